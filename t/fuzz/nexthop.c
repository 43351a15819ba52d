/*
 * Fuzz the destination parser of smtp-probe on the input as a string (to
 * its first NUL, as argv gives it).  A destination it takes has a name of
 * its input's bytes, a port from 0 to 65535, and an address only for a
 * name that is one; written back in its bracketed form it parses to the
 * same destination.
 */
#include "config.h"

#include <sys/socket.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nexthop.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	struct nexthop	 a, b;
	char		*s, *again;
	size_t		 len;

	if ((s = malloc(n + 1)) == NULL)
		abort();
	memcpy(s, buf, n);
	s[n] = '\0';
	if (nexthop_parse(s, &a) == -1) {
		free(s);
		return 0;
	}
	if (a.name == NULL || a.port < 0 || a.port > 65535 ||
	    strlen(a.name) > strlen(s) || (a.name[0] == '\0'))
		abort();
	if (a.lit.af != 0 && a.lit.af != AF_INET && a.lit.af != AF_INET6)
		abort();
	/* [name]:port names the same host without an MX lookup. */
	len = strlen(a.name) + 16;
	if ((again = malloc(len)) == NULL)
		abort();
	if (a.port != 0)
		snprintf(again, len, "[%s]:%d", a.name, a.port);
	else
		snprintf(again, len, "[%s]", a.name);
	if (nexthop_parse(again, &b) == -1 || strcmp(a.name, b.name) != 0 ||
	    a.port != b.port || !b.nomx || a.lit.af != b.lit.af ||
	    memcmp(a.lit.a, b.lit.a, sizeof a.lit.a) != 0)
		abort();
	nexthop_free(&a);
	nexthop_free(&b);
	free(again);
	free(s);
	return 0;
}
