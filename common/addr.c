/*
 * RFC 5322 addresses, read as tokens: CFWS (comments nest, quoted-pairs
 * inside) is skipped, a quoted-string and a domain literal are one token
 * each, so an "@" or "<" inside them never splits anything.  Reading the
 * From field the way libopendmarc does, by hunting for the last "@" or
 * the first "<", is what CVE-2019-16378 abused: "x <a@junk>"@real must
 * give real.  Encoded words are not decoded: they are atoms of a display
 * name, and a decoded "<" in one must not open an address.
 */
#include "config.h"

#include <string.h>

#include "addr.h"

#define NAME_MAX_LEN	253
#define LABEL_MAX_LEN	63

enum tok {
	T_END,
	T_BAD,		/* unclosed quote, comment or literal; a stray byte */
	T_ATOM,
	T_QUOTED,
	T_LITERAL,	/* [ ... ] */
	T_SPECIAL	/* one of < > @ , : ; . */
};

struct lex {
	const char	*p, *e;
	const char	*s;	/* the token's bytes, quotes included */
	size_t		 n;
	char		 c;	/* the special */
};

/* RFC 5322 3.2.3 atext, and UTF-8 bytes (RFC 6532). */
static int
is_atext(unsigned char c)
{
	if (c >= 0x80)
		return 1;
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* WSP and the CR LF of a fold; a bare CR or LF as well. */
static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Skip CFWS.  -1 for a comment that is not closed. */
static int
skip_cfws(struct lex *x)
{
	int	depth;

	for (;;) {
		while (x->p < x->e && is_ws(*x->p))
			x->p++;
		if (x->p == x->e || *x->p != '(')
			return 0;
		for (depth = 0; x->p < x->e; x->p++) {
			if (*x->p == '\\') {
				if (++x->p == x->e)
					return -1;
			} else if (*x->p == '(')
				depth++;
			else if (*x->p == ')' && --depth == 0)
				break;
		}
		if (x->p == x->e)
			return -1;
		x->p++;
	}
}

/* The quoted-string or literal at x->p runs to close; -1 when unclosed. */
static int
skip_quoted(struct lex *x, char close)
{
	for (x->p++; x->p < x->e; x->p++) {
		if (*x->p == '\\') {
			if (++x->p == x->e)
				return -1;
		} else if (*x->p == close) {
			x->p++;
			return 0;
		} else if (close == ']' && *x->p == '[')
			return -1;
	}
	return -1;
}

static enum tok
next(struct lex *x)
{
	unsigned char	c;

	if (skip_cfws(x) < 0)
		return T_BAD;
	if (x->p == x->e)
		return T_END;
	x->s = x->p;
	c = *x->p;
	if (c == '"' || c == '[') {
		if (skip_quoted(x, c == '"' ? '"' : ']') < 0)
			return T_BAD;
		x->n = x->p - x->s;
		return c == '"' ? T_QUOTED : T_LITERAL;
	}
	if (c != '\0' && strchr("<>@,:;.", c) != NULL) {
		x->p++;
		x->n = 1;
		x->c = c;
		return T_SPECIAL;
	}
	if (!is_atext(c))
		return T_BAD;
	while (x->p < x->e && is_atext(*x->p))
		x->p++;
	x->n = x->p - x->s;
	return T_ATOM;
}

/*
 * A DNS name made of atoms and dots, as the tokens from x give it, up to
 * the token that ends it (returned, with x past it).  The name, lower
 * case, goes to buf; a trailing dot is dropped.  *bad set when it is no
 * domain name: no label, an empty one, a label or name too long, or a
 * byte other than letters, digits, "-", "_" and UTF-8.
 */
static enum tok
domain(struct lex *x, char *buf, size_t size, int *bad)
{
	enum tok	t;
	size_t		o = 0, i, lab = 0;
	int		dot = 1;

	*bad = 0;
	while ((t = next(x)) == T_ATOM || (t == T_SPECIAL && x->c == '.')) {
		if (t == T_SPECIAL) {
			if (dot)
				*bad = 1;
			dot = 1;
			lab = 0;
			if (o + 1 < size)
				buf[o++] = '.';
			continue;
		}
		if (!dot)
			*bad = 1;
		dot = 0;
		for (i = 0; i < x->n; i++) {
			unsigned char	c = x->s[i];

			if (c >= 'A' && c <= 'Z')
				c += 'a' - 'A';
			else if (!(c >= 'a' && c <= 'z') &&
			    !(c >= '0' && c <= '9') && c != '-' &&
			    c != '_' && c < 0x80)
				*bad = 1;
			if (++lab > LABEL_MAX_LEN)
				*bad = 1;
			if (o + 1 < size)
				buf[o++] = c;
			else
				*bad = 1;
		}
	}
	if (o > 0 && buf[o - 1] == '.')
		o--;
	if (o == 0 || o > NAME_MAX_LEN)
		*bad = 1;
	/* Two dots at the end: an empty label. */
	if (o > 0 && buf[o - 1] == '.')
		*bad = 1;
	buf[o < size ? o : size - 1] = '\0';
	return t;
}

/*
 * local-part "@" domain from x on; the token after it returned.  -1 with
 * *why when it is none.  The local part is words and dots (obs-local-part
 * and the "a..b" of the wild: only the domain matters here).
 */
static int
addr_spec(struct lex *x, enum tok t, char *buf, size_t size,
    const char **why, enum tok *after)
{
	int	words = 0, bad;

	for (; t == T_ATOM || t == T_QUOTED ||
	    (t == T_SPECIAL && x->c == '.'); t = next(x))
		if (t != T_SPECIAL)
			words++;
	if (t != T_SPECIAL || x->c != '@') {
		*why = words > 0 && (t == T_END || (t == T_SPECIAL &&
		    x->c == '>')) ? "no domain in the address" :
		    "not an address";
		return -1;
	}
	if (words == 0) {
		*why = "not an address";
		return -1;
	}
	if ((t = next(x)) == T_LITERAL) {
		/* An address literal names a host, not a DNS domain. */
		*why = "no domain in the address";
		return -1;
	}
	if (t != T_ATOM) {
		*why = t == T_END || (t == T_SPECIAL && x->c == '>') ?
		    "no domain in the address" : "not an address";
		return -1;
	}
	/* Read the domain again from its first atom. */
	x->p = x->s;
	*after = domain(x, buf, size, &bad);
	if (bad) {
		*why = "not an address";
		return -1;
	}
	return 0;
}

/* obs-route: *("," / "@" domain) ":" after a "<"; the token after it. */
static enum tok
skip_route(struct lex *x, enum tok t, int *bad)
{
	char	tmp[NAME_MAX_LEN + 2];
	int	any = 0;

	*bad = 0;
	for (;;) {
		if (t == T_SPECIAL && x->c == ',') {
			t = next(x);
			continue;
		}
		if (t == T_SPECIAL && x->c == '@') {
			t = domain(x, tmp, sizeof tmp, bad);
			if (*bad)
				return t;
			any = 1;
			continue;
		}
		break;
	}
	if (any) {
		if (t != T_SPECIAL || x->c != ':')
			*bad = 1;
		else
			t = next(x);
	}
	return t;
}

/* The one mailbox in p..e (no top-level comma or colon in it). */
static int
mailbox(const char *p, const char *e, char *buf, size_t size,
    const char **why)
{
	struct lex	 x = { p, e, NULL, 0, 0 };
	struct lex	 start;
	enum tok	 t;
	int		 angle = 0, bad;

	start = x;
	/* A display name first: words and obs-phrase dots, up to "<". */
	while ((t = next(&x)) == T_ATOM || t == T_QUOTED ||
	    (t == T_SPECIAL && x.c == '.'))
		;
	if (t == T_SPECIAL && x.c == '<') {
		angle = 1;
		t = skip_route(&x, next(&x), &bad);
		if (bad) {
			*why = "not an address";
			return -1;
		}
		if (t == T_SPECIAL && x.c == '>') {
			*why = "no address";
			return -1;
		}
	} else {
		x = start;
		t = next(&x);
	}
	if (t == T_BAD) {
		*why = "not an address";
		return -1;
	}
	if (addr_spec(&x, t, buf, size, why, &t) < 0)
		return -1;
	if (angle) {
		if (t != T_SPECIAL || x.c != '>') {
			*why = "not an address";
			return -1;
		}
		t = next(&x);
	}
	if (t != T_END) {
		*why = "not an address";
		return -1;
	}
	return 0;
}

int
addr_from_domain(const char *s, size_t len, char *buf, size_t size,
    const char **why)
{
	struct lex	 x = { s, s + len, NULL, 0, 0 };
	const char	*elem = s, *one = NULL, *one_end = NULL;
	enum tok	 t;
	int		 angle = 0, n = 0, tokens = 0;

	if (size == 0) {
		*why = "no domain in the address";
		return -1;
	}
	buf[0] = '\0';
	/*
	 * Cut at the commas outside angle brackets (obs-mbox-list allows
	 * empty elements); a colon there makes a group (RFC 6854), which
	 * has no single author.
	 */
	for (;;) {
		t = next(&x);
		if (t == T_BAD) {
			*why = "not an address";
			return -1;
		}
		if (t == T_END || (t == T_SPECIAL && x.c == ',' && !angle)) {
			if (tokens > 0) {
				n++;
				one = elem;
				one_end = t == T_END ? x.e : x.s;
			}
			if (t == T_END)
				break;
			elem = x.p;
			tokens = 0;
			continue;
		}
		tokens++;
		if (t != T_SPECIAL)
			continue;
		if (x.c == '<') {
			if (angle) {
				*why = "not an address";
				return -1;
			}
			angle = 1;
		} else if (x.c == '>')
			angle = 0;
		else if ((x.c == ':' || x.c == ';') && !angle) {
			*why = "a group";
			return -1;
		}
	}
	if (n == 0) {
		*why = "no address";
		return -1;
	}
	if (n > 1) {
		*why = "several addresses";
		return -1;
	}
	return mailbox(one, one_end, buf, size, why);
}

int
addr_domain(const char *s, char *buf, size_t size)
{
	const char	*e = s + strlen(s), *at;
	struct lex	 x;
	enum tok	 t;
	int		 bad;

	while (s < e && is_ws(*s))
		s++;
	while (e > s && is_ws(e[-1]))
		e--;
	if (e - s >= 2 && *s == '<' && e[-1] == '>') {
		s++;
		e--;
	}
	/* A source route, "@a,@b:", goes before the mailbox. */
	if (s < e && *s == '@') {
		if ((at = memchr(s, ':', e - s)) == NULL)
			return -1;
		s = at + 1;
	}
	if (s == e || size == 0)
		return -1;
	x.p = s;
	x.e = e;
	if (*s == '"') {
		if (skip_quoted(&x, '"') < 0)
			return -1;
		at = x.p;
	} else {
		/* An unquoted local part has no "@": the first is it. */
		for (at = s; at < e && *at != '@'; at++)
			;
	}
	if (at == s || at >= e || *at != '@')
		return -1;
	x.p = at + 1;
	if (x.p < e && is_ws(*x.p))
		return -1;
	t = domain(&x, buf, size, &bad);
	if (bad || t != T_END)
		return -1;
	/*
	 * What the lexer let through as folding (a line end, a blank inside
	 * the name) is no part of an envelope domain, which a client sends
	 * on one line: such an address is none.
	 */
	for (const char *p = buf; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return -1;
	return 0;
}
