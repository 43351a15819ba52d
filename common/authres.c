/*
 * Authentication-Results (RFC 8601), read leniently.
 *
 * The value is first cut at the ';' that stand outside comments and
 * quoted-strings; each piece after the authserv-id is then one resinfo,
 * parsed on its own, so that garbage in one costs only that one.  An
 * unclosed comment or quoted-string runs to the end of the value, the
 * only reading that needs no backtracking (and keeps the cut linear).
 */
#include "config.h"

#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authres.h"
#include "canon.h"

enum {
	P_OK,		/* parsed, or skipped as garbage */
	P_NOMEM		/* allocation failed: give up on the whole field */
};

static int
is_ws(unsigned char c)
{
	/* Folds are taken wherever CFWS goes; a bare CR or LF as well. */
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* RFC 2045 token characters, and 8-bit bytes (UTF-8 names, RFC 8616). */
static int
is_tok(unsigned char c)
{
	if (c >= 0x80)
		return 1;
	if (c <= ' ' || c == 0x7f)
		return 0;
	return strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* A ptype: a token without its dot. */
static int
is_key(unsigned char c)
{
	return c != '.' && is_tok(c);
}

/*
 * Bytes of a pvalue outside quoted-strings.  Wider than RFC 8601's
 * token / addr-spec: the wild writes IPv6 addresses, base64 (header.b)
 * and SRS addresses bare, with ':', '/' and '='.
 */
static int
is_pv(unsigned char c)
{
	if (c >= 0x80)
		return 1;
	if (c <= ' ' || c == 0x7f)
		return 0;
	return c != ';' && c != '(' && c != ')' && c != '"';
}

static int
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static const char *
span(const char *p, const char *e, int (*in)(unsigned char))
{
	while (p < e && in((unsigned char)*p))
		p++;
	return p;
}

/* p is at '('; comments nest and take quoted-pairs (RFC 5322 3.2.2). */
static const char *
skip_comment(const char *p, const char *e)
{
	size_t	depth = 0;

	while (p < e) {
		char	c = *p++;

		if (c == '\\') {
			if (p < e)
				p++;
		} else if (c == '(')
			depth++;
		else if (c == ')' && --depth == 0)
			return p;
	}
	return e;
}

/* p is at '"': the byte after the closing quote, or NULL if unclosed. */
static const char *
skip_quoted(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '\\') {
			if (++p == e)
				break;
		} else if (*p == '"')
			return p + 1;
	}
	return NULL;
}

static const char *
skip_cfws(const char *p, const char *e)
{
	while (p < e) {
		if (is_ws((unsigned char)*p))
			p++;
		else if (*p == '(')
			p = skip_comment(p, e);
		else
			break;
	}
	return p;
}

/* The next ';' outside comments and quoted-strings, or e. */
static const char *
next_semicolon(const char *p, const char *e)
{
	const char	*q;

	while (p < e) {
		if (*p == ';')
			return p;
		if (*p == '(')
			p = skip_comment(p, e);
		else if (*p == '"')
			p = (q = skip_quoted(p, e)) != NULL ? q : e;
		else
			p++;
	}
	return e;
}

static const char *
trim_end(const char *s, const char *e)
{
	while (e > s && is_ws((unsigned char)e[-1]))
		e--;
	return e;
}

/*
 * A copy of [p, e): lower-cased if asked, unquoted if it is one
 * quoted-string.  Folds are unfolded (CR and LF dropped); NULs, which no
 * field may hold, are dropped too so the copy is a whole C string.
 */
static char *
copy(const char *p, const char *e, int lower, int unquote)
{
	char	*s, *d;

	if ((s = d = malloc(e - p + 1)) == NULL)
		return NULL;
	if (unquote) {
		p++;
		e--;
	}
	for (; p < e; p++) {
		unsigned char	c = *p;

		if (unquote && c == '\\' && p + 1 < e)
			c = *++p;
		if (c == '\0' || c == '\r' || c == '\n')
			continue;
		if (lower && c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		*d++ = c;
	}
	*d = '\0';
	return s;
}

/*
 * arr (of n elements) with room for one more: the capacity doubles from 4,
 * so it is full exactly when n is 0 or a power of two from 4 up.  NULL
 * when realloc fails, arr then unchanged.
 */
static void *
grow(void *arr, size_t n, size_t size)
{
	size_t	cap;

	if (n != 0 && (n < 4 || (n & (n - 1)) != 0))
		return arr;
	cap = n == 0 ? 4 : n * 2;
	if (cap > SIZE_MAX / size)
		return NULL;
	return realloc(arr, cap * size);
}

static void
result_free(struct ar_result *r)
{
	for (size_t i = 0; i < r->nprops; i++) {
		free(r->props[i].ptype);
		free(r->props[i].name);
		free(r->props[i].value);
	}
	free(r->props);
	free(r->method);
	free(r->result);
	free(r->reason);
}

/*
 * A pvalue (RFC 8601 2.2) from *pp, leading CFWS skipped: one
 * quoted-string is unquoted; anything else (an addr-spec with a quoted
 * local part, a bare token) is kept as written.  *out is NULL when the
 * bytes are not a value (an unclosed quoted-string).
 */
static int
pvalue(const char **pp, const char *e, char **out)
{
	const char	*p = skip_cfws(*pp, e), *s = p, *q;
	int		 quoted = 0, bare = 0;

	*out = NULL;
	while (p < e) {
		if (*p == '"') {
			if ((q = skip_quoted(p, e)) == NULL)
				return P_OK;
			quoted++;
			p = q;
		} else if (is_pv((unsigned char)*p)) {
			bare = 1;
			p++;
		} else
			break;
	}
	if ((*out = copy(s, p, 0, quoted == 1 && !bare)) == NULL)
		return P_NOMEM;
	*pp = p;
	return P_OK;
}

/*
 * The propspecs and a reasonspec after a methodspec, from p.  Reading
 * stops at the first thing that is neither: what came before is kept.
 */
static int
props(struct ar_result *r, const char *p, const char *e)
{
	const char	*k, *ke, *n, *ne;
	struct ar_prop	*np;
	char		*v;

	for (;;) {
		p = skip_cfws(p, e);
		k = p;
		p = ke = span(p, e, is_key);
		if (k == ke)
			return P_OK;
		p = skip_cfws(p, e);
		if (p < e && *p == '=') {
			/*
			 * The reasonspec, which the wild also writes after the
			 * properties; other key=value (Microsoft's action=) go.
			 */
			p++;
			if (pvalue(&p, e, &v) != P_OK)
				return P_NOMEM;
			if (v == NULL)
				return P_OK;
			if (ke - k == 6 && strncasecmp(k, "reason", 6) == 0 &&
			    r->reason == NULL)
				r->reason = v;
			else
				free(v);
			continue;
		}
		if (p == e || *p != '.')
			return P_OK;
		p = n = skip_cfws(p + 1, e);
		p = ne = span(p, e, is_tok);
		if (n == ne)
			return P_OK;
		p = skip_cfws(p, e);
		if (p == e || *p != '=')
			return P_OK;
		p++;
		if (pvalue(&p, e, &v) != P_OK)
			return P_NOMEM;
		if (v == NULL)
			return P_OK;
		if ((np = grow(r->props, r->nprops, sizeof *np)) == NULL) {
			free(v);
			return P_NOMEM;
		}
		r->props = np;
		r->props[r->nprops].value = v;
		r->props[r->nprops].ptype = copy(k, ke, 1, 0);
		r->props[r->nprops].name = copy(n, ne, 1, 0);
		r->nprops++;
		if (r->props[r->nprops - 1].ptype == NULL ||
		    r->props[r->nprops - 1].name == NULL)
			return P_NOMEM;
	}
}

/*
 * One resinfo in [p, e), between two ';'.  A method makes a result; no
 * method (only CFWS, or garbage first) makes none; "none" alone is the
 * no-result form.
 */
static int
resinfo(struct authres *ar, const char *p, const char *e, int *none)
{
	struct ar_result	 r, *nr;
	const char		*m, *me, *q, *d, *rs;

	memset(&r, 0, sizeof r);
	m = skip_cfws(p, e);
	me = span(m, e, is_tok);
	if (me == m)
		return P_OK;
	q = skip_cfws(me, e);
	if (q < e && *q == '/') {
		/* RFC 8601 2.2: a method version, read and not kept. */
		q = skip_cfws(q + 1, e);
		if ((d = span(q, e, is_digit)) == q)
			return P_OK;
		q = skip_cfws(d, e);
	} else if ((q == e || *q != '=') && me - m == 4 &&
	    strncasecmp(m, "none", 4) == 0) {
		*none = 1;
		return P_OK;
	}
	if ((r.method = copy(m, me, 1, 0)) == NULL)
		return P_NOMEM;
	if (q < e && *q == '=') {
		rs = skip_cfws(q + 1, e);
		q = span(rs, e, is_tok);
		if (q > rs && (r.result = copy(rs, q, 1, 0)) == NULL) {
			result_free(&r);
			return P_NOMEM;
		}
	}
	r.text = m;
	r.textlen = trim_end(m, e) - m;
	if (props(&r, q, e) != P_OK ||
	    (nr = grow(ar->res, ar->nres, sizeof *nr)) == NULL) {
		result_free(&r);
		return P_NOMEM;
	}
	ar->res = nr;
	ar->res[ar->nres++] = r;
	return P_OK;
}

/* An authres-version: digits alone before the first ';', or -1. */
static int
version(const char *p, const char *e)
{
	const char	*d = span(p, e, is_digit);
	int		 v = 0;

	if (d == p || skip_cfws(d, e) != e)
		return -1;
	for (; p < d; p++) {
		if (v > (INT_MAX - (*p - '0')) / 10)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return v;
}

int
authres_parse(const char *val, size_t len, struct authres *ar)
{
	const char	*e = val + len, *p, *q, *e0, *list, *re;
	int		 none = 0, quoted, v;

	memset(ar, 0, sizeof *ar);
	ar->version = 1;
	if ((p = skip_cfws(val, e)) == e)
		return -1;
	e0 = next_semicolon(p, e);
	if ((quoted = *p == '"'))
		q = skip_quoted(p, e0);
	else
		q = span(p, e0, is_tok);
	if (q == NULL || q == p)
		return -1;
	list = skip_cfws(q, e0);
	if (!quoted && list < e0 && (*list == '=' || *list == '/'))
		/* No authserv-id: the first token is a method. */
		list = p;
	else {
		if ((ar->authserv_id = copy(p, q, 0, quoted)) == NULL)
			goto nomem;
		/* Anything else before the ';' is ignored. */
		if ((v = version(list, e0)) >= 0)
			ar->version = v;
		list = e0 < e ? e0 + 1 : e;
	}
	/*
	 * rest runs from the first resinfo that is more than CFWS to the end
	 * of the last one: empty ones at the ends would be empty resinfos in
	 * an ARC AAR that joins the rests of several fields.
	 */
	for (p = skip_cfws(list, e); p < e && *p == ';';)
		p = skip_cfws(p + 1, e);
	ar->rest = re = p;
	for (p = list;; p = q + 1) {
		q = next_semicolon(p, e);
		if (skip_cfws(p, q) < q)
			re = trim_end(p, q);
		if (resinfo(ar, p, q, &none) != P_OK)
			goto nomem;
		if (q == e)
			break;
	}
	ar->restlen = re - ar->rest;
	ar->none = none && ar->nres == 0;
	return 0;
nomem:
	authres_free(ar);
	return -1;
}

void
authres_free(struct authres *ar)
{
	for (size_t i = 0; i < ar->nres; i++)
		result_free(&ar->res[i]);
	free(ar->res);
	free(ar->authserv_id);
	memset(ar, 0, sizeof *ar);
	ar->version = 1;
}

const struct ar_result *
authres_find(const struct authres *ar, const char *method)
{
	for (size_t i = 0; i < ar->nres; i++)
		if (strcasecmp(ar->res[i].method, method) == 0)
			return &ar->res[i];
	return NULL;
}

const char *
ar_prop_get(const struct ar_result *r, const char *ptype, const char *name)
{
	for (size_t i = 0; i < r->nprops; i++)
		if (strcasecmp(r->props[i].ptype, ptype) == 0 &&
		    strcasecmp(r->props[i].name, name) == 0)
			return r->props[i].value;
	return NULL;
}

int
authres_is_ours(const struct authres *ar, const char *id)
{
	size_t	a, b;

	if (ar->authserv_id == NULL || id == NULL)
		return 0;
	a = strlen(ar->authserv_id);
	b = strlen(id);
	/* A domain name with its root dot is the same name. */
	if (a > 0 && ar->authserv_id[a - 1] == '.')
		a--;
	if (b > 0 && id[b - 1] == '.')
		b--;
	return a == b && strncasecmp(ar->authserv_id, id, a) == 0;
}

int
authres_token_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 127 ||
		    strchr("()<>@,;:\\\"/[]?=", *s) != NULL)
			return 0;
	return 1;
}

int
authres_add_value(struct buf *b, const char *v)
{
	const char	*p;

	/*
	 * A token (RFC 2045, as RFC 8601 2.2 says) is a value as it is, and
	 * so is an addr-spec of token characters and one '@'; anything else
	 * is quoted.  A control byte (a line end from a client's MAIL FROM)
	 * would end the field or forge another: it becomes '_'.
	 */
	if (authres_token_ok(v))
		return buf_addstr(b, v);
	if ((p = strchr(v, '@')) != NULL && p != v && p[1] != '\0' &&
	    strchr(p + 1, '@') == NULL) {
		char	 local[512];
		size_t	 n = (size_t)(p - v);

		if (n < sizeof local) {
			memcpy(local, v, n);
			local[n] = '\0';
			if (authres_token_ok(local) && authres_token_ok(p + 1))
				return buf_addstr(b, v);
		}
	}
	if (buf_addstr(b, "\"") < 0)
		return -1;
	for (p = v; *p != '\0'; p++)
		if (((*p == '"' || *p == '\\') && buf_addstr(b, "\\") < 0) ||
		    buf_add(b, (unsigned char)*p < 0x20 || *p == 0x7f ? "_" :
		    p, 1) < 0)
			return -1;
	return buf_addstr(b, "\"");
}
