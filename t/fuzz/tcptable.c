/*
 * Fuzz the tcp_table request parser and encoder.  Every line it takes
 * ends at its LF within the limit; its key, encoded again and put in a
 * request, parses back to the same key; the encoding holds no byte that
 * tcp_table(5) says must be encoded; and a line cut short of its LF asks
 * for more rather than being taken or refused.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockmap.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static char	key[TCPTABLE_LINE_MAX + 1], key2[TCPTABLE_LINE_MAX + 1];
static char	enc[3 * TCPTABLE_LINE_MAX + 8];
static char	req[3 * TCPTABLE_LINE_MAX + 16];

static void
check_encoding(const char *k, size_t klen)
{
	size_t	used, k2len;
	int	n;

	if ((n = tt_encode(k, klen, enc, sizeof enc - 1)) < 0)
		abort();
	for (int i = 0; i < n; i++) {
		unsigned char	c = enc[i];

		if (c <= ' ' || c >= 127)
			abort();
		if (c == '%' && (i + 2 >= n ||
		    strchr("0123456789ABCDEF", enc[i + 1]) == NULL ||
		    strchr("0123456789ABCDEF", enc[i + 2]) == NULL))
			abort();
	}
	/* "get " alone is no request: the empty key has no round trip. */
	if (klen == 0)
		return;
	memcpy(req, "get ", 4);
	memcpy(req + 4, enc, n);
	req[4 + n] = '\n';
	if (tt_parse(req, 5 + n, 3 * TCPTABLE_LINE_MAX + 8, key2, &k2len,
	    &used) != NS_DONE || used != (size_t)n + 5 || k2len != klen ||
	    memcmp(k, key2, klen) != 0)
		abort();
	/* Too small a room is refused, never overrun. */
	if (n > 0 && tt_encode(k, klen, enc, n - 1) != -1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	const char	*p = (const char *)buf;
	size_t		 off = 0, klen, used, u2;
	enum ns_status	 st;

	while (off < n) {
		st = tt_parse(p + off, n - off, TCPTABLE_LINE_MAX, key, &klen,
		    &used);
		if (st == NS_MORE || st == NS_TOOLONG) {
			if (st == NS_MORE && (n - off > TCPTABLE_LINE_MAX ||
			    memchr(p + off, '\n', n - off) != NULL))
				abort();
			break;
		}
		if (used == 0 || used > n - off ||
		    used > TCPTABLE_LINE_MAX + 1 || p[off + used - 1] != '\n')
			abort();
		if (st == NS_DONE) {
			if (klen == 0 || klen > used)
				abort();
			check_encoding(key, klen);
			if (tt_parse(p + off, used - 1, TCPTABLE_LINE_MAX,
			    key2, &klen, &u2) != NS_MORE)
				abort();
		}
		off += used;
	}
	/* The input as a value: encoded, it parses back whole. */
	check_encoding(p, n > TCPTABLE_LINE_MAX ? TCPTABLE_LINE_MAX : n);
	return 0;
}
