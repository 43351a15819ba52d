/*
 * Fuzz canonicalisation.  The first byte seeds the sizes of the pieces the
 * body is fed in; the second, when its top bit is set, gives an l= limit
 * (0 to 127).  The rest is a message: msg splits it into header fields, as
 * canon_hdr takes them, and the body.
 *
 * Header fields, both forms, with and without the final CRLF: no bare LF
 * ever comes out; simple is the field with its LF line ends made CRLF and
 * nothing else changed (a bare CR is content, RFC 6376 3.4.1); relaxed is
 * the lower-cased name, a colon, then the value unfolded with each run of
 * blanks one space, none after the colon or before the CRLF, no CR or LF
 * but that CRLF (3.4.2).
 *
 * Body, both forms: the hash is the same fed whole and fed in pieces, the
 * same as a plain whole-body canonicalisation's, and the same for the body
 * with its bare LFs made CRLF; so too for the body with every CR dropped,
 * LF-only, against that LF-only body with CRLF line ends.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "canon.h"
#include "msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
blank(int c)
{
	return c == ' ' || c == '\t';
}

static void
add(struct buf *b, const void *p, size_t n)
{
	if (buf_add(b, p, n) < 0)
		abort();
}

/* Whether b holds an LF without a CR before it. */
static int
bare_lf(const struct buf *b)
{
	for (size_t i = 0; i < b->len; i++)
		if (b->p[i] == '\n' && (i == 0 || b->p[i - 1] != '\r'))
			return 1;
	return 0;
}

/* Simple: raw with its line-ending LFs made CRLF, the last gone if !crlf. */
static void
simple_ref(struct buf *o, const char *raw, size_t len, int crlf)
{
	if (!crlf && len > 0 && raw[len - 1] == '\n')
		len--;
	if (!crlf && len > 0 && raw[len - 1] == '\r')
		len--;
	for (size_t i = 0; i < len; i++) {
		if (raw[i] == '\n' && (i == 0 || raw[i - 1] != '\r'))
			add(o, "\r", 1);
		add(o, raw + i, 1);
	}
}

static void
check_simple(const struct msg_hdr *h)
{
	for (int crlf = 0; crlf <= 1; crlf++) {
		struct buf	out = { 0 }, ref = { 0 };

		if (canon_hdr(&out, 0, h->raw, h->len, crlf) != 0)
			abort();
		simple_ref(&ref, h->raw, h->len, crlf);
		if (bare_lf(&out) || out.len != ref.len ||
		    (out.len > 0 && memcmp(out.p, ref.p, out.len) != 0))
			abort();
		buf_free(&out);
		buf_free(&ref);
	}
}

static void
check_relaxed(const struct msg_hdr *h)
{
	const char	*v;
	size_t		 vlen, i, k;

	v = msg_hdr_value(h, &vlen);
	for (int crlf = 0; crlf <= 1; crlf++) {
		struct buf	out = { 0 };
		size_t		end;

		if (canon_hdr(&out, 1, h->raw, h->len, crlf) != 0)
			abort();
		end = out.len;
		if (crlf) {
			if (end < 2 || memcmp(out.p + end - 2, "\r\n", 2) != 0)
				abort();
			end -= 2;
		}
		/* The name, lower-cased, then the colon. */
		if (end < h->namelen + 1 || out.p[h->namelen] != ':')
			abort();
		for (i = 0; i < h->namelen; i++) {
			char	c = h->raw[i];

			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			if (out.p[i] != c)
				abort();
		}
		/*
		 * The value: no line end, tab or blank run; not at its ends.
		 * A bare CR is content (RFC 6376 3.4.2 unfolds CRLF only).
		 */
		i = h->namelen + 1;
		if (i < end && (out.p[i] == ' ' || out.p[end - 1] == ' '))
			abort();
		for (; i < end; i++)
			if ((out.p[i] == '\r' && i + 1 < end &&
			    out.p[i + 1] == '\n') || out.p[i] == '\n' ||
			    out.p[i] == '\t' ||
			    (out.p[i] == ' ' && i + 1 < end &&
			    out.p[i + 1] == ' '))
				abort();
		/* Blanks aside, it is the raw value without its line ends. */
		i = h->namelen + 1;
		for (k = 0; k < vlen; k++) {
			if (blank((unsigned char)v[k]) || v[k] == '\n' ||
			    (v[k] == '\r' && (k + 1 == vlen ||
			    v[k + 1] == '\n')))
				continue;
			while (i < end && out.p[i] == ' ')
				i++;
			if (i == end || out.p[i++] != v[k])
				abort();
		}
		if (i != end)
			abort();
		buf_free(&out);
	}
}

/*
 * A plain canonical body (RFC 6376 3.4.3, 3.4.4), whole: split into lines
 * at LF (a CR before it belongs to the line end), relaxed compresses each
 * run of blanks and drops one at the line end, empty lines at the end go,
 * and simple makes an empty body one CRLF.
 */
static void
body_ref(const char *p, size_t n, int relaxed, long long limit,
    unsigned char *md)
{
	struct buf	o = { 0 };
	size_t		keep = 0, i = 0;

	while (i < n) {
		const char	*nl = memchr(p + i, '\n', n - i);
		size_t		 e = nl ? (size_t)(nl - p) : n;
		size_t		 next = nl ? e + 1 : n, start = o.len;

		if (nl && e > i && p[e - 1] == '\r')
			e--;
		for (; i < e; i++) {
			if (!relaxed || !blank((unsigned char)p[i])) {
				add(&o, p + i, 1);
				continue;
			}
			while (i + 1 < e && blank((unsigned char)p[i + 1]))
				i++;
			if (i + 1 < e)
				add(&o, " ", 1);
		}
		add(&o, "\r\n", 2);
		/* Empty lines count only once a line with content follows. */
		if (o.len > start + 2)
			keep = o.len;
		i = next;
	}
	o.len = keep;
	if (!relaxed && o.len == 0)
		add(&o, "\r\n", 2);
	if (limit >= 0 && (long long)o.len > limit)
		o.len = limit;
	if (EVP_Digest(o.p ? o.p : "", o.len, md, NULL, EVP_sha256(),
	    NULL) != 1)
		abort();
	buf_free(&o);
}

/* The body hash fed in pieces whose sizes come from seed (0: whole). */
static void
body_hash(const char *p, size_t n, int relaxed, long long limit,
    unsigned seed, unsigned char *md)
{
	struct bodyhash	h;
	size_t		off = 0, rounds = 0;

	if (p == NULL)
		p = "";		/* an empty struct buf */
	if (bodyhash_init(&h, relaxed, limit) != 0)
		abort();
	/* Empty pieces too; what is left after 2n + 8 rounds goes whole. */
	while (seed != 0 && off < n && rounds++ < 2 * n + 8) {
		size_t	k = seed % 11;

		if (k > n - off)
			k = n - off;
		bodyhash_feed(&h, p + off, k);
		off += k;
		seed = seed * 1103515245 + 12345;
		seed = (seed >> 8) | 1;
	}
	bodyhash_feed(&h, p + off, n - off);
	if (bodyhash_final(&h) != 0 || h.mdlen != 32)
		abort();
	memcpy(md, h.md, 32);
	bodyhash_free(&h);
}

/* Bare LFs made CRLF; with nocr, every CR dropped and every LF made CRLF. */
static void
relines(struct buf *o, const char *p, size_t n, int nocr)
{
	for (size_t i = 0; i < n; i++) {
		if (nocr && p[i] == '\r')
			continue;
		if (p[i] == '\n' && (nocr || i == 0 || p[i - 1] != '\r'))
			add(o, "\r", 1);
		add(o, p + i, 1);
	}
}

static void
check_body(const char *p, size_t n, unsigned seed, long long limit)
{
	struct buf	crlf = { 0 }, lf = { 0 }, lfcrlf = { 0 };

	relines(&crlf, p, n, 0);
	for (size_t i = 0; i < n; i++)
		if (p[i] != '\r')
			add(&lf, p + i, 1);
	relines(&lfcrlf, lf.p, lf.len, 1);
	for (int relaxed = 0; relaxed <= 1; relaxed++) {
		unsigned char	whole[32], pieces[32], ref[32], other[32];

		body_hash(p, n, relaxed, limit, 0, whole);
		body_hash(p, n, relaxed, limit, seed | 1, pieces);
		body_ref(p, n, relaxed, limit, ref);
		if (memcmp(whole, pieces, 32) != 0 ||
		    memcmp(whole, ref, 32) != 0)
			abort();
		body_hash(crlf.p, crlf.len, relaxed, limit, seed, other);
		if (memcmp(whole, other, 32) != 0)
			abort();
		body_hash(lf.p, lf.len, relaxed, limit, seed, whole);
		body_hash(lfcrlf.p, lfcrlf.len, relaxed, limit, seed, other);
		if (memcmp(whole, other, 32) != 0)
			abort();
	}
	buf_free(&crlf);
	buf_free(&lf);
	buf_free(&lfcrlf);
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	const char	*p = (const char *)buf + 2;
	struct msg	*m;
	char		 err[256];
	long long	 limit;
	size_t		 bsize;

	if (n < 2)
		return 0;
	limit = buf[1] & 0x80 ? buf[1] & 0x7f : -1;
	n -= 2;
	if ((m = msg_new(n + 1)) == NULL)
		abort();
	if (msg_feed(m, p, n, err, sizeof err) != 0 ||
	    msg_end(m, err, sizeof err) != 0)
		abort();
	for (size_t i = 0; i < msg_nhdrs(m); i++) {
		check_simple(msg_hdr(m, i));
		check_relaxed(msg_hdr(m, i));
	}
	bsize = (size_t)msg_body_size(m);
	if (bsize > n)
		abort();
	check_body(p + n - bsize, bsize, buf[0], limit);
	msg_free(m);
	return 0;
}
