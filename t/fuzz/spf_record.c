/*
 * Fuzz SPF record parsing on the whole input, as a TXT record.  A record
 * is parsed only when it starts "v=spf1" and a space or its end; parsing
 * the same bytes twice gives the same answer; a syntax error always has a
 * reason; a record taken stays taken with a term of its own ("all")
 * added, and with an unknown well-formed modifier added; and each of its
 * prefixes that ends before a space is taken too (terms stand alone).
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
parse(const char *s, size_t n, char *err, size_t errlen)
{
	struct spf_record	*r;
	int			 rc;

	err[0] = '\0';
	rc = spf_record_parse(s, n, &r, err, errlen);
	if (rc == 0 && r == NULL)
		abort();
	if (rc != 0 && (r != NULL || (rc == -1 && err[0] == '\0')))
		abort();
	spf_record_free(r);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	const char	*s = (const char *)buf;
	char		 err[256], *more;
	int		 rc, again;
	size_t		 k;

	rc = parse(s, n, err, sizeof err);
	if (!spf_record_is_spf(s, n) && rc != -1)
		abort();
	again = parse(s, n, err, sizeof err);
	if (rc != again)
		abort();
	if (rc != 0 || memchr(s, '\0', n) != NULL)
		return 0;
	for (k = 6; k < n; k++)
		if (s[k] == ' ' && parse(s, k, err, sizeof err) != 0)
			abort();
	if ((more = malloc(n + 32)) == NULL)
		abort();
	memcpy(more, s, n);
	k = n;
	memcpy(more + k, " -all", 5);
	if (parse(more, k + 5, err, sizeof err) != 0)
		abort();
	memcpy(more + k, " x-unknown=%{d}", 15);
	if (parse(more, k + 15, err, sizeof err) != 0)
		abort();
	free(more);
	return 0;
}
