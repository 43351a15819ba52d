/*
 * ehlo: an EHLO reply taken apart (RFC 5321 4.1.1.1), LIMITS (RFC 9422).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "ehlo.h"

/* RFC 9422 4.1 to 4.3: each value is 1*6DIGIT. */
#define LIMIT_DIGITS	6

static int
is_alnum(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/*
 * RFC 5321 4.1.1.1: ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT / "-").
 * Exim's X_PIPE_CONNECT and PIPE_CONNECT break it with '_', and a client
 * must still know them, so '_' is let in after the first character.
 */
static int
is_keyword(const char *s, size_t n)
{
	size_t	i;

	if (n == 0 || !is_alnum((unsigned char)s[0]))
		return 0;
	for (i = 1; i < n; i++)
		if (!is_alnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_')
			return 0;
	return 1;
}

static void
limit_why(struct ehlo_limits *l, const char *pre, const char *s, size_t n,
    const char *post)
{
	char	shown[64];

	/* The first reason is the one shown. */
	if (l->why[0] != '\0')
		return;
	cli_errf(l->why, sizeof l->why, "%s '%s'%s", pre,
	    cli_show(s, n, 40, shown, sizeof shown), post);
}

/*
 * One limit's value: 1 to LIMIT_DIGITS digits, not 0 (a limit of none
 * would forbid the command it limits, which no server means).  -1 if bad.
 */
static long
limit_value(const char *v, size_t n)
{
	long	x = 0;
	size_t	i;

	if (n == 0 || n > LIMIT_DIGITS)
		return -1;
	for (i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (v[i] - '0');
	}
	return x == 0 ? -1 : x;
}

/*
 * RFC 9422 3: limits-param = limit-name-value 0*[SP limit-name-value],
 * limit-name-value = limit-name ["=" limit-value], limit-name =
 * 1*(ALPHA / DIGIT / "-" / "_"), limit-value = 1*(VCHAR except ";").
 * The grammar is checked whole before any limit is taken, since an error
 * anywhere voids every limit.
 */
static int
limits_grammar(const char *p, const char **bad, size_t *badlen)
{
	const char	*s = p, *b;

	for (;;) {
		b = s;
		while (is_alnum((unsigned char)*s) || *s == '-' || *s == '_')
			s++;
		if (s == b)
			goto fail;
		if (*s == '=') {
			s++;
			if (*s == '\0' || *s == ' ')
				goto fail;
			while (*s > 0x20 && *s < 0x7f && *s != ';')
				s++;
		}
		if (*s == '\0')
			return 0;
		if (*s != ' ')
			goto fail;
		s++;
	}
fail:
	*bad = b;
	*badlen = strcspn(b, " ");
	if (*badlen == 0)
		*badlen = strlen(b) > 0 ? 1 : 0;
	return -1;
}

void
ehlo_limits_parse(struct ehlo_limits *l, const char *p)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} known[] = {
		{ "MAILMAX", offsetof(struct ehlo_limits, mailmax) },
		{ "RCPTMAX", offsetof(struct ehlo_limits, rcptmax) },
		{ "RCPTDOMAINMAX", offsetof(struct ehlo_limits, rcptdomainmax) },
	};
	const char	*s, *bad, *eq, *end;
	size_t		 i, n, badlen;
	long		 v, *lim;

	memset(l, 0, sizeof *l);
	l->offered = 1;
	if (limits_grammar(p, &bad, &badlen) == -1) {
		if (*p == '\0')
			cli_errf(l->why, sizeof l->why,
			    "LIMITS ignored: no limit given");
		else
			limit_why(l, "LIMITS ignored: bad syntax at", bad,
			    badlen, "");
		return;
	}
	l->valid = 1;
	for (s = p; *s != '\0'; s = *end == ' ' ? end + 1 : end) {
		end = s + strcspn(s, " ");
		eq = memchr(s, '=', end - s);
		n = (eq != NULL ? eq : end) - s;
		for (i = 0; i < 3; i++)
			if (strlen(known[i].name) == n &&
			    strncasecmp(s, known[i].name, n) == 0)
				break;
		/* RFC 9422 3: a client ignores limits it does not know. */
		if (i == 3)
			continue;
		lim = (long *)((char *)l + known[i].off);
		if (eq == NULL) {
			limit_why(l, "LIMITS: no value for", known[i].name,
			    strlen(known[i].name), ", limit ignored");
			continue;
		}
		if ((v = limit_value(eq + 1, end - eq - 1)) == -1) {
			limit_why(l, "LIMITS: bad value", s, end - s,
			    ", limit ignored");
			continue;
		}
		/*
		 * A limit given twice: the server enforces one of the two,
		 * and the lower meets both.
		 */
		if (*lim != 0) {
			limit_why(l, "LIMITS: given twice", known[i].name,
			    strlen(known[i].name), ", the lower taken");
			if (v > *lim)
				continue;
		}
		*lim = v;
	}
}

static int
kw_is(const struct ehlo_kw *k, const char *name)
{
	return k->keyword && strcasecmp(k->name, name) == 0;
}

/* Take the meaning of one keyword line into e. */
static int
take(struct ehlo *e, const struct ehlo_kw *k)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} flags[] = {
		{ "PIPELINING", offsetof(struct ehlo, pipelining) },
		{ "CHUNKING", offsetof(struct ehlo, chunking) },
		{ "DSN", offsetof(struct ehlo, dsn) },
		{ "SMTPUTF8", offsetof(struct ehlo, smtputf8) },
		{ "PRDR", offsetof(struct ehlo, prdr) },
		{ "STARTTLS", offsetof(struct ehlo, starttls) },
		{ "8BITMIME", offsetof(struct ehlo, eightbitmime) },
		{ "BINARYMIME", offsetof(struct ehlo, binarymime) },
		{ "REQUIRETLS", offsetof(struct ehlo, requiretls) },
	};
	static const struct {
		const char		*name;
		enum ehlo_pipeconnect	 pc;
	} pcs[] = {
		{ "PIPECONNECT", EHLO_PC_PIPECONNECT },
		{ "PIPE_CONNECT", EHLO_PC_PIPE_CONNECT },
		{ "X_PIPE_CONNECT", EHLO_PC_X_PIPE_CONNECT },
	};
	const char	*p;
	size_t		 i;

	for (i = 0; i < sizeof flags / sizeof flags[0]; i++)
		if (kw_is(k, flags[i].name)) {
			*(int *)((char *)e + flags[i].off) = 1;
			return 0;
		}
	for (i = 0; i < sizeof pcs / sizeof pcs[0]; i++)
		if (kw_is(k, pcs[i].name)) {
			/* Several spellings: the newest is what to use. */
			if (pcs[i].pc > e->pipeconnect)
				e->pipeconnect = pcs[i].pc;
			return 0;
		}
	if (kw_is(k, "SIZE") && !e->size_offered) {
		e->size_offered = 1;
		/* RFC 1870 4: a value of digits; anything else is no value. */
		for (p = k->param; *p >= '0' && *p <= '9'; p++) {
			if (e->size > (~0ULL - (*p - '0')) / 10) {
				e->size = 0;
				break;
			}
			e->size = e->size * 10 + (*p - '0');
		}
		if (*p != '\0')
			e->size = 0;
	} else if (kw_is(k, "AUTH") && e->auth == NULL) {
		if ((e->auth = strdup(k->param)) == NULL)
			return -1;
	} else if (kw_is(k, "XCLIENT") && e->xclient == NULL) {
		if ((e->xclient = strdup(k->param)) == NULL)
			return -1;
	} else if (kw_is(k, "LIMITS") && !e->limits.offered)
		ehlo_limits_parse(&e->limits, k->param);
	return 0;
}

int
ehlo_parse(struct ehlo *e, char *const *lines, size_t n)
{
	struct ehlo_kw	*k;
	const char	*l, *sp;
	size_t		 i;

	memset(e, 0, sizeof *e);
	if ((e->greeting = strdup(n > 0 ? lines[0] : "")) == NULL)
		return -1;
	if (n < 2)
		return 0;
	if ((e->kw = calloc(n - 1, sizeof *e->kw)) == NULL)
		return -1;
	for (i = 1; i < n; i++) {
		l = lines[i];
		k = &e->kw[e->nkw];
		sp = l + strcspn(l, " ");
		if ((k->name = strndup(l, sp - l)) == NULL)
			return -1;
		/* The same as smtp_ehlo_param: blanks after the keyword. */
		while (*sp == ' ')
			sp++;
		if ((k->param = strdup(sp)) == NULL) {
			free(k->name);
			return -1;
		}
		e->nkw++;
		k->keyword = is_keyword(k->name, strlen(k->name));
		if (take(e, k) == -1)
			return -1;
	}
	return 0;
}

void
ehlo_free(struct ehlo *e)
{
	size_t	i;

	for (i = 0; i < e->nkw; i++) {
		free(e->kw[i].name);
		free(e->kw[i].param);
	}
	free(e->kw);
	free(e->greeting);
	free(e->auth);
	free(e->xclient);
	memset(e, 0, sizeof *e);
}

int
ehlo_same(const struct ehlo *a, const struct ehlo *b)
{
	unsigned char	*used;
	size_t		 i, j;
	int		 same = 1;

	if (a->nkw != b->nkw)
		return 0;
	if (a->nkw == 0)
		return 1;
	/* Out of memory: not the same, which costs only a cache entry. */
	if ((used = calloc(b->nkw, 1)) == NULL)
		return 0;
	for (i = 0; i < a->nkw && same; i++) {
		for (j = 0; j < b->nkw; j++)
			if (!used[j] &&
			    strcasecmp(a->kw[i].name, b->kw[j].name) == 0 &&
			    strcasecmp(a->kw[i].param, b->kw[j].param) == 0)
				break;
		if (j == b->nkw)
			same = 0;
		else
			used[j] = 1;
	}
	free(used);
	return same;
}

const char *
ehlo_pipeconnect_name(enum ehlo_pipeconnect pc)
{
	switch (pc) {
	case EHLO_PC_PIPECONNECT:
		return "PIPECONNECT";
	case EHLO_PC_PIPE_CONNECT:
		return "PIPE_CONNECT";
	case EHLO_PC_X_PIPE_CONNECT:
		return "X_PIPE_CONNECT";
	default:
		return NULL;
	}
}
