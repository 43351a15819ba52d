/*
 * Fuzz cli_json_string on the whole input.  What it writes must be one
 * JSON string (RFC 8259 7) in well-formed UTF-8, and decode to the input
 * with each byte that begins no well-formed UTF-8 sequence replaced by
 * U+FFFD, as mxkit(7) says: valid UTF-8 comes back as it went in.  The
 * decoders here work by code point, not by the byte ranges cli.c checks.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define BAD	0xffffffffu

/* The code point of the well-formed UTF-8 sequence at p, or BAD. */
static uint32_t
decode(const uint8_t *p, size_t n, size_t *len)
{
	static const uint32_t	least[] = { 0, 0, 0x80, 0x800, 0x10000 };
	uint32_t		cp;
	size_t			k, i;

	if (p[0] < 0x80) {
		*len = 1;
		return p[0];
	}
	if ((p[0] & 0xe0) == 0xc0) {
		k = 2;
		cp = p[0] & 0x1f;
	} else if ((p[0] & 0xf0) == 0xe0) {
		k = 3;
		cp = p[0] & 0x0f;
	} else if ((p[0] & 0xf8) == 0xf0) {
		k = 4;
		cp = p[0] & 0x07;
	} else
		return BAD;
	if (n < k)
		return BAD;
	for (i = 1; i < k; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return BAD;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if (cp < least[k] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return BAD;
	*len = k;
	return cp;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The code points of the JSON string out (n bytes), or abort. */
static size_t
parse(const uint8_t *out, size_t n, uint32_t *cps)
{
	size_t		 i = 1, k = 0, len;
	uint32_t	 cp;
	int		 h;

	if (n < 2 || out[0] != '"' || out[n - 1] != '"')
		abort();
	while (i < n - 1) {
		if ((cp = decode(out + i, n - 1 - i, &len)) == BAD)
			abort();		/* not UTF-8 */
		if (cp < 0x20 || cp == '"')
			abort();		/* must be escaped */
		i += len;
		if (cp != '\\') {
			cps[k++] = cp;
			continue;
		}
		if (i >= n - 1)
			abort();
		switch (out[i++]) {
		case '"':	cps[k++] = '"'; break;
		case '\\':	cps[k++] = '\\'; break;
		case '/':	cps[k++] = '/'; break;
		case 'b':	cps[k++] = '\b'; break;
		case 'f':	cps[k++] = '\f'; break;
		case 'n':	cps[k++] = '\n'; break;
		case 'r':	cps[k++] = '\r'; break;
		case 't':	cps[k++] = '\t'; break;
		case 'u':
			if (i + 4 > n - 1)
				abort();
			cp = 0;
			for (len = 0; len < 4; len++) {
				if ((h = hexval(out[i + len])) < 0)
					abort();
				cp = cp << 4 | h;
			}
			/* we never write a surrogate pair: none is needed */
			if (cp >= 0xd800 && cp <= 0xdfff)
				abort();
			cps[k++] = cp;
			i += 4;
			break;
		default:
			abort();
		}
	}
	return k;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t	*want, *got;
	char		*out = NULL;
	size_t		 outlen = 0, nwant = 0, ngot, i, len;
	FILE		*fp;

	if ((fp = open_memstream(&out, &outlen)) == NULL)
		return 0;
	cli_json_string(fp, (const char *)data, size);
	if (fclose(fp) != 0)
		abort();
	if ((want = calloc(size + 1, sizeof *want)) == NULL ||
	    (got = calloc(outlen + 1, sizeof *got)) == NULL)
		abort();
	for (i = 0; i < size; i += len) {
		if ((want[nwant] = decode(data + i, size - i, &len)) == BAD) {
			want[nwant] = 0xfffd;
			len = 1;
		}
		nwant++;
	}
	ngot = parse((const uint8_t *)out, outlen, got);
	if (ngot != nwant || memcmp(got, want, nwant * sizeof *want) != 0)
		abort();
	free(want);
	free(got);
	free(out);
	return 0;
}
