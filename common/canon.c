/*
 * canon: DKIM canonicalisation of header fields and bodies.
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "canon.h"

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) < 0)
		return -1;
	if (n > 0)
		memcpy(b->p + b->len, p, n);
	b->len += n;
	return 0;
}

int
buf_reserve(struct buf *b, size_t n)
{
	size_t	 cap = b->cap ? b->cap : 256;
	char	*np;

	if (b->cap - b->len >= n)
		return 0;
	while (cap - b->len < n) {
		if (cap > ((size_t)-1) / 2)
			return -1;
		cap *= 2;
	}
	if ((np = realloc(b->p, cap)) == NULL)
		return -1;
	b->p = np;
	b->cap = cap;
	return 0;
}

int
buf_addstr(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

void
buf_free(struct buf *b)
{
	free(b->p);
	b->p = NULL;
	b->len = b->cap = 0;
}

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t';
}

/* Simple: the field as it is, bare LFs made CRLF. */
static int
canon_simple(struct buf *b, const char *raw, size_t len, int crlf)
{
	size_t	i, start = 0, end = len;

	if (!crlf) {
		if (end > 0 && raw[end - 1] == '\n')
			end--;
		if (end > 0 && raw[end - 1] == '\r')
			end--;
	}
	for (i = 0; i < end; i++) {
		if (raw[i] != '\n' || (i > 0 && raw[i - 1] == '\r'))
			continue;
		if (buf_add(b, raw + start, i - start) < 0 ||
		    buf_add(b, "\r", 1) < 0)
			return -1;
		start = i;
	}
	return buf_add(b, raw + start, end - start);
}

/*
 * Relaxed: the name in lower case without the blanks before the colon;
 * the value unfolded, each run of blanks one space, none at either end.
 */
static int
canon_relaxed(struct buf *b, const char *raw, size_t len, int crlf)
{
	const char	*colon = memchr(raw, ':', len);
	size_t		 i, nlen, start;
	char		*o;
	int		 sp = 0;

	if (colon == NULL)
		return -1;
	nlen = colon - raw;
	while (nlen > 0 && is_wsp((unsigned char)raw[nlen - 1]))
		nlen--;
	/* Never longer than the field and a CRLF: room made once. */
	if (buf_reserve(b, nlen + len + 3) < 0)
		return -1;
	o = b->p + b->len;
	for (i = 0; i < nlen; i++)
		*o++ = raw[i] >= 'A' && raw[i] <= 'Z' ? raw[i] + 'a' - 'A' :
		    raw[i];
	*o++ = ':';
	start = o - b->p;
	for (i = colon - raw + 1; i < len; i++) {
		char	c = raw[i];

		/* Line ends go (unfolding); a bare CR is content, as dkimpy has it. */
		if (c == '\n' || (c == '\r' && i + 1 < len && raw[i + 1] == '\n'))
			continue;
		if (c == '\r' && i + 1 == len)
			continue;
		if (is_wsp((unsigned char)c)) {
			sp = 1;
			continue;
		}
		if (sp && (size_t)(o - b->p) > start)
			*o++ = ' ';
		sp = 0;
		*o++ = c;
	}
	if (crlf) {
		*o++ = '\r';
		*o++ = '\n';
	}
	b->len = o - b->p;
	return 0;
}

int
canon_hdr(struct buf *b, int relaxed, const char *raw, size_t len, int crlf)
{
	return relaxed ? canon_relaxed(b, raw, len, crlf) :
	    canon_simple(b, raw, len, crlf);
}

int
bodyhash_init(struct bodyhash *h, int relaxed, long long limit)
{
	memset(h, 0, sizeof *h);
	h->relaxed = relaxed;
	h->limit = limit;
	if ((h->ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	if (EVP_DigestInit_ex(h->ctx, EVP_sha256(), NULL) != 1) {
		EVP_MD_CTX_free(h->ctx);
		h->ctx = NULL;
		return -1;
	}
	return 0;
}

/*
 * Hash canonical bytes, up to the l= limit.  Relaxed canonicalisation
 * emits a word at a time: the bytes gather in out[] and reach the digest
 * in large pieces, as a call to it costs more than a short word's hash.
 */
static void
flush(struct bodyhash *h)
{
	if (h->nout > 0)
		EVP_DigestUpdate(h->ctx, h->out, h->nout);
	h->nout = 0;
}

static void
emit(struct bodyhash *h, const char *p, size_t n)
{
	if (h->limit >= 0) {
		if (h->done >= h->limit)
			return;
		if ((long long)n > h->limit - h->done)
			n = h->limit - h->done;
	}
	h->done += n;
	h->any = 1;
	if (n > sizeof h->out - h->nout) {
		flush(h);
		if (n >= sizeof h->out) {
			EVP_DigestUpdate(h->ctx, p, n);
			return;
		}
	}
	memcpy(h->out + h->nout, p, n);
	h->nout += n;
}

/* The first content of a line: the empty lines before it count after all. */
static void
content(struct bodyhash *h)
{
	for (; h->blanks > 0; h->blanks--)
		emit(h, "\r\n", 2);
	if (h->wsp)
		emit(h, " ", 1);
	h->wsp = 0;
	h->inline_ = 1;
}

static void
line_end(struct bodyhash *h)
{
	if (h->inline_)
		emit(h, "\r\n", 2);
	else
		h->blanks++;
	h->inline_ = 0;
	h->wsp = 0;
}

void
bodyhash_feed(struct bodyhash *h, const char *p, size_t n)
{
	size_t	i = 0;

	while (i < n) {
		size_t	j = i;

		if (h->cr) {
			h->cr = 0;
			if (p[i] == '\n') {
				line_end(h);
				i++;
				continue;
			}
			/* A bare CR is content, in either form. */
			content(h);
			emit(h, "\r", 1);
		}
		/*
		 * A run of ordinary content, hashed in one call.  A single
		 * space between two words is already canonical, so relaxed
		 * takes it in the run; other blanks end it.
		 */
		while (j < n && p[j] != '\r' && p[j] != '\n') {
			if (h->relaxed && is_wsp((unsigned char)p[j]) &&
			    !(p[j] == ' ' && j > i && j + 1 < n &&
			    !is_wsp((unsigned char)p[j + 1]) &&
			    p[j + 1] != '\r' && p[j + 1] != '\n'))
				break;
			j++;
		}
		if (j > i) {
			content(h);
			emit(h, p + i, j - i);
			i = j;
			continue;
		}
		if (p[i] == '\r')
			h->cr = 1;
		else if (p[i] == '\n')
			line_end(h);
		else
			h->wsp = 1;
		i++;
	}
}

int
bodyhash_final(struct bodyhash *h)
{
	if (h->cr) {
		h->cr = 0;
		content(h);
		emit(h, "\r", 1);
	}
	if (h->inline_)
		emit(h, "\r\n", 2);
	/* Simple turns an empty body into one CRLF; relaxed leaves it empty. */
	if (!h->relaxed && !h->any)
		emit(h, "\r\n", 2);
	flush(h);
	if (EVP_DigestFinal_ex(h->ctx, h->md, &h->mdlen) != 1)
		return -1;
	return 0;
}

void
bodyhash_free(struct bodyhash *h)
{
	EVP_MD_CTX_free(h->ctx);
	h->ctx = NULL;
}
