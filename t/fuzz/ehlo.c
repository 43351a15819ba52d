/*
 * Fuzz the EHLO reply parser: the input's lines (LF or CRLF, as the text
 * after a reply's code) through ehlo_parse, and the first line through
 * ehlo_limits_parse.  Every line must become one kw entry, the greeting
 * the first line; ignored LIMITS must leave no limit; each limit taken
 * must be 1 to 999999 and present in the parameter; the reply must be
 * ehlo_same to itself, to itself with its keyword lines in the reverse
 * order, and to itself in upper case, and not to itself short of a line.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ehlo.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_limits(const struct ehlo_limits *l, const char *param)
{
	const long	 v[3] = { l->mailmax, l->rcptmax, l->rcptdomainmax };
	const char	*names[3] = { "MAILMAX=", "RCPTMAX=", "RCPTDOMAINMAX=" };
	char		 want[32];
	size_t		 i;

	if (!l->offered)
		abort();
	if (!l->valid && (v[0] || v[1] || v[2] || l->why[0] == '\0'))
		abort();
	if (memchr(l->why, '\0', sizeof l->why) == NULL)
		abort();
	for (i = 0; i < 3; i++) {
		if (v[i] == 0)
			continue;
		if (v[i] < 1 || v[i] > 999999)
			abort();
		/* The value is in the parameter, under its name. */
		snprintf(want, sizeof want, "%s", names[i]);
		if (strcasestr(param, want) == NULL)
			abort();
	}
}

static void
upper(char *s)
{
	for (; *s != '\0'; s++)
		*s = toupper((unsigned char)*s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	struct ehlo	 e, r;
	struct ehlo_limits l;
	const char	*in = (const char *)buf, *p = in, *end = in + n, *nl;
	char		**lines, **rev;
	size_t		 nl_n = 0, i, len;

	if (n > 65536)
		return 0;
	if ((lines = calloc(SMTP_LINES_MAX, sizeof *lines)) == NULL ||
	    (rev = calloc(SMTP_LINES_MAX, sizeof *rev)) == NULL)
		abort();
	while (p < end && nl_n < SMTP_LINES_MAX) {
		nl = memchr(p, '\n', end - p);
		len = (nl != NULL ? nl : end) - p;
		if (len > 0 && p[len - 1] == '\r')
			len--;
		/* A NUL ends the line, as the C string smtp_read makes. */
		if ((lines[nl_n] = strndup(p, len)) == NULL)
			abort();
		nl_n++;
		p = nl != NULL ? nl + 1 : end;
	}

	if (ehlo_parse(&e, lines, nl_n) == -1)
		abort();
	if (e.nkw != (nl_n > 0 ? nl_n - 1 : 0) ||
	    strcmp(e.greeting, nl_n > 0 ? lines[0] : "") != 0)
		abort();
	for (i = 0; i < e.nkw; i++)
		if (strlen(e.kw[i].name) > strlen(lines[i + 1]) ||
		    strncmp(e.kw[i].name, lines[i + 1],
		    strlen(e.kw[i].name)) != 0)
			abort();
	if (e.limits.offered)
		check_limits(&e.limits, smtp_ehlo_param(&(struct smtp_reply){
		    250, lines, nl_n }, "LIMITS"));
	if ((ehlo_pipeconnect_name(e.pipeconnect) == NULL) !=
	    (e.pipeconnect == EHLO_PC_NONE))
		abort();
	if (!ehlo_same(&e, &e))
		abort();

	/* The keyword lines reversed: the same offer. */
	if (nl_n > 0) {
		rev[0] = lines[0];
		for (i = 1; i < nl_n; i++)
			rev[i] = lines[nl_n - i];
		if (ehlo_parse(&r, rev, nl_n) == -1)
			abort();
		if (!ehlo_same(&e, &r) || !ehlo_same(&r, &e))
			abort();
		ehlo_free(&r);
		/* One line short: not the same. */
		if (nl_n > 1) {
			if (ehlo_parse(&r, lines, nl_n - 1) == -1)
				abort();
			if (ehlo_same(&e, &r))
				abort();
			ehlo_free(&r);
		}
	}
	/* Upper case: the same offer. */
	for (i = 0; i < nl_n; i++)
		upper(lines[i]);
	if (ehlo_parse(&r, lines, nl_n) == -1)
		abort();
	if (!ehlo_same(&e, &r) || r.pipeconnect != e.pipeconnect ||
	    r.limits.rcptmax != e.limits.rcptmax)
		abort();
	ehlo_free(&r);
	ehlo_free(&e);

	/* The first line as a LIMITS parameter by itself. */
	ehlo_limits_parse(&l, nl_n > 0 ? lines[0] : "");
	check_limits(&l, nl_n > 0 ? lines[0] : "");

	for (i = 0; i < nl_n; i++)
		free(lines[i]);
	free(lines);
	free(rev);
	return 0;
}
