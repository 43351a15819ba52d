/*
 * Fuzz the DMARC record reader on the whole input, as the joined TXT
 * strings.  What it takes must be in range (p and sp one of the three
 * policies, adkim and aspf r or s, pct 0 to 100, fo a list of 0, 1, d
 * and s, at most DMARC_URI_MAX URIs of each kind, each with a scheme and
 * no white space); a record read as p=none (RFC 7489 6.6.3 step 6) must
 * have a rua= URI; two reads must agree; and the record with a duplicate
 * p= added, or with its v= tag moved after the others, is no record.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static void
check_uri(const struct dmarc_uri *u)
{
	size_t	n = strnlen(u->uri, sizeof u->uri), i;

	check(n > 2 && n < sizeof u->uri);
	check(strchr(u->uri, ':') != NULL && u->uri[0] != ':');
	for (i = 0; i < n; i++)
		check((unsigned char)u->uri[i] > ' ' &&
		    (unsigned char)u->uri[i] < 0x7f);
}

static int
is_policy(int p)
{
	return p == DMARC_P_NONE || p == DMARC_P_QUARANTINE ||
	    p == DMARC_P_REJECT;
}

static int
parse(const uint8_t *data, size_t size, struct dmarc_record *r)
{
	char	why[256];
	char	*copy = malloc(size ? size : 1);
	int	n;

	/* Exactly size bytes, so that ASan sees a read past the end. */
	check(copy != NULL);
	memcpy(copy, data, size);
	why[0] = '\0';
	n = dmarc_record_parse(copy, size, r, why, sizeof why);
	check(strnlen(why, sizeof why) < sizeof why);
	free(copy);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct dmarc_record	r, r2;
	char			*s;
	size_t			 i;
	int			 n;

	n = parse(data, size, &r);
	check(n >= -1 && n <= 1);
	if (n < 0)
		return 0;
	check(is_policy(r.p) && is_policy(r.sp));
	check(r.adkim == 'r' || r.adkim == 's');
	check(r.aspf == 'r' || r.aspf == 's');
	check(r.pct >= 0 && r.pct <= 100);
	check(r.ri >= 0);
	check(strnlen(r.fo, sizeof r.fo) < sizeof r.fo && r.fo[0] != '\0');
	for (i = 0; r.fo[i] != '\0'; i++)
		check(i % 2 ? r.fo[i] == ':' : strchr("01ds", r.fo[i]) != NULL);
	check(i % 2 == 1);
	check(r.nrua <= DMARC_URI_MAX && r.nruf <= DMARC_URI_MAX);
	for (i = 0; i < r.nrua; i++)
		check_uri(&r.rua[i]);
	for (i = 0; i < r.nruf; i++)
		check_uri(&r.ruf[i]);
	if (n == 1)
		check(r.p == DMARC_P_NONE && r.sp == DMARC_P_NONE &&
		    r.nrua > 0);
	if (!r.sp_given)
		check(r.sp == r.p);
	check(parse(data, size, &r2) == n && memcmp(&r, &r2, sizeof r) == 0);

	/* A second p= voids the record (RFC 6376 3.2). */
	check((s = malloc(size + 16)) != NULL);
	memcpy(s, data, size);
	memcpy(s + size, ";p=none;p=none", 14);
	check(parse((uint8_t *)s, size + 14, &r2) == -1);
	/* v= must come first: put "p=none;" before it. */
	memcpy(s, "p=none;", 7);
	memcpy(s + 7, data, size);
	check(parse((uint8_t *)s, size + 7, &r2) == -1);
	free(s);
	return 0;
}
