/*
 * Fuzz the cache file parser: the input through pcache_parse; when it is
 * a cache, pcache_text of what was taken must parse again with nothing
 * dropped, to the same text; every entry's reply must be found again by
 * pcache_get at its own time, and not after PCACHE_MAXAGE.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "pcache.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	struct pcache	*a, *b;
	char		 err[256], *t1, *t2, *p, *nl;
	size_t		 dropped, l1, l2;
	long long	 stored;
	int		 rc, tls;
	char		 peer[128];

	if (n > 1024 * 1024)
		return 0;
	if ((a = pcache_new()) == NULL || (b = pcache_new()) == NULL)
		abort();
	rc = pcache_parse(a, (const char *)buf, n, &dropped, err, sizeof err);
	if (rc != 0 && rc != MX_DATAERR)
		abort();
	if (rc != 0 || (dropped > 0 && err[0] == '\0')) {
		if (rc == 0)
			abort();
		goto out;
	}
	if ((t1 = pcache_text(a, &l1)) == NULL || strlen(t1) != l1)
		abort();
	if (pcache_parse(b, t1, l1, &dropped, err, sizeof err) != 0 ||
	    dropped != 0)
		abort();
	if ((t2 = pcache_text(b, &l2)) == NULL || l1 != l2 ||
	    memcmp(t1, t2, l1) != 0)
		abort();
	/* Each entry is found at its own time, and not long after. */
	for (p = t1; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		if (strncmp(p, "entry ", 6) != 0)
			continue;
		if (sscanf(p, "entry %127s %d %lld", peer, &tls, &stored) != 3)
			abort();
		if (pcache_get(b, peer, tls, stored) == NULL ||
		    pcache_get(b, peer, tls, stored + PCACHE_MAXAGE + 1) !=
		    NULL)
			abort();
	}
	free(t1);
	free(t2);
out:
	pcache_free(a);
	pcache_free(b);
	return 0;
}
