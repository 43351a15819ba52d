#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "send.h"

/*
 * The domain of an address: after its last '@' (a quoted local part may
 * hold one), "" for a bare local part such as Postmaster (RFC 5321 4.5.1).
 */
static const char *
domain_of(const char *addr)
{
	const char	*at;

	if ((at = strrchr(addr, '@')) == NULL)
		return "";
	return at + 1;
}

/* Whether no recipient before i has i's domain: i leads its group. */
static int
leads(const char *const *addr, size_t i)
{
	const char	*d;
	size_t		 j;

	d = domain_of(addr[i]);
	for (j = 0; j < i; j++)
		if (strcasecmp(domain_of(addr[j]), d) == 0)
			return 0;
	return 1;
}

/*
 * Recipients are taken domain by domain, the domains in the order they
 * first appear and each domain's recipients in their own order, and
 * poured into transactions: a new one when the current one holds rcptmax
 * recipients or a domain would be one too many.  For one order that is
 * the fewest transactions, and a domain is split only where RCPTMAX ends
 * a transaction in the middle of it.  Domains compare case-insensitively
 * (RFC 5321 2.4).  No memory is taken: the groups are found again by
 * comparison, n^2 at worst, which a command line's recipients can afford.
 */
size_t
send_plan(const char *const *addr, size_t n, long rcptmax,
    long rcptdomainmax, size_t *trans)
{
	const char	*d;
	size_t		 i, j, ntrans, count, domains;

	if (n == 0)
		return 0;
	ntrans = 1;
	count = domains = 0;
	for (i = 0; i < n; i++) {
		if (!leads(addr, i))
			continue;
		d = domain_of(addr[i]);
		if (rcptdomainmax > 0 && domains == (size_t)rcptdomainmax) {
			ntrans++;
			count = domains = 0;
		}
		domains++;
		for (j = i; j < n; j++) {
			if (strcasecmp(domain_of(addr[j]), d) != 0)
				continue;
			if (rcptmax > 0 && count == (size_t)rcptmax) {
				ntrans++;
				count = 0;
				domains = 1;
			}
			trans[j] = ntrans - 1;
			count++;
		}
	}
	return ntrans;
}
