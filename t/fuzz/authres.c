/*
 * Fuzz the Authentication-Results parser: the input is one field value.
 * Every slice must lie in the input (each result's text inside rest, in
 * order), every string must be short and clean (methods, results, ptypes
 * and names lower-case tokens, no folds left in values), two parses must
 * agree, and what an ARC sealer builds from rest must parse to the same
 * results.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authres.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int cond)
{
	if (!cond)
		abort();
}

/* A string of at most max bytes, none of them CR or LF. */
static void
check_str(const char *s, size_t max)
{
	check(s != NULL && strnlen(s, max + 1) <= max);
	check(strpbrk(s, "\r\n") == NULL);
}

/* RFC 2045 token characters, and 8-bit bytes. */
static int
is_tok(unsigned char c)
{
	return c >= 0x80 || (c > ' ' && c != 0x7f &&
	    strchr("()<>@,;:\\\"/[]?=", c) == NULL);
}

static int
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A non-empty lower-case token. */
static void
check_token(const char *s, size_t max, int dot)
{
	check_str(s, max);
	check(*s != '\0');
	for (; *s != '\0'; s++) {
		check(is_tok(*s));
		check(!(*s >= 'A' && *s <= 'Z') && (dot || *s != '.'));
	}
}

static int
str_eq(const char *a, const char *b)
{
	return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Same results; with slices, at the same places, else the same bytes. */
static int
same(const struct authres *a, const struct authres *b, int places)
{
	if (a->none != b->none || a->nres != b->nres)
		return 0;
	for (size_t i = 0; i < a->nres; i++) {
		const struct ar_result	*r = &a->res[i], *s = &b->res[i];

		if (!str_eq(r->method, s->method) ||
		    !str_eq(r->result, s->result) ||
		    !str_eq(r->reason, s->reason) || r->nprops != s->nprops ||
		    r->textlen != s->textlen ||
		    (places ? r->text != s->text :
		    memcmp(r->text, s->text, r->textlen) != 0))
			return 0;
		for (size_t j = 0; j < r->nprops; j++)
			if (!str_eq(r->props[j].ptype, s->props[j].ptype) ||
			    !str_eq(r->props[j].name, s->props[j].name) ||
			    !str_eq(r->props[j].value, s->props[j].value))
				return 0;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	const char	*p = (const char *)buf, *end = p + n, *last;
	struct authres	 a, b, c;
	char		*sealed;
	int		 rc;

	rc = authres_parse(p, n, &a);
	check(rc == 0 || rc == -1);
	check(authres_parse(p, n, &b) == rc);
	if (rc == -1) {
		check(a.authserv_id == NULL && a.res == NULL && a.nres == 0 &&
		    a.rest == NULL && a.restlen == 0);
		return 0;
	}
	check(same(&a, &b, 1) && a.rest == b.rest && a.restlen == b.restlen &&
	    a.version == b.version && str_eq(a.authserv_id, b.authserv_id));
	authres_free(&b);

	if (a.authserv_id != NULL) {
		check_str(a.authserv_id, n);
		check(authres_is_ours(&a, a.authserv_id));
	}
	check(a.version >= 0);
	check(!a.none || a.nres == 0);
	check(a.rest >= p && a.rest <= end && a.restlen <= (size_t)(end -
	    a.rest));
	last = a.rest;
	for (size_t i = 0; i < a.nres; i++) {
		const struct ar_result	*r = &a.res[i];
		size_t			 ml = strlen(r->method);

		check_token(r->method, n, 1);
		if (r->result != NULL)
			check_token(r->result, n, 1);
		if (r->reason != NULL)
			check_str(r->reason, n);
		/* The text starts with the whole method, and lies in rest. */
		check(r->text >= last && r->textlen >= ml &&
		    r->text + r->textlen <= a.rest + a.restlen);
		check(strncasecmp(r->text, r->method, ml) == 0);
		check(r->textlen == ml || !is_tok(r->text[ml]));
		check(!is_ws(r->text[r->textlen - 1]));
		last = r->text + r->textlen;
		for (size_t j = 0; j < r->nprops; j++) {
			check_token(r->props[j].ptype, n, 0);
			check_token(r->props[j].name, n, 1);
			check_str(r->props[j].value, n);
			check(ar_prop_get(r, r->props[j].ptype,
			    r->props[j].name) != NULL);
		}
		check(authres_find(&a, r->method) != NULL);
	}

	/* An ARC sealer's "id; " + rest reads as the same results. */
	if ((sealed = malloc(a.restlen + 4)) == NULL)
		abort();
	memcpy(sealed, "id; ", 4);
	memcpy(sealed + 4, a.rest, a.restlen);
	check(authres_parse(sealed, a.restlen + 4, &c) == 0);
	check(same(&a, &c, 0) && str_eq(c.authserv_id, "id"));
	authres_free(&c);
	free(sealed);
	authres_free(&a);
	return 0;
}
