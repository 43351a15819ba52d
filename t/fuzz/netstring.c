/*
 * Fuzz the netstring parser.  Every netstring it takes must be exactly
 * "len:data," as written back from what it returned, and each one cut
 * short by a byte must ask for more rather than be taken or refused.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sockmap.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	const char	*p = (const char *)buf, *data, *d2;
	size_t		 off = 0, dlen, used, l2, u2;
	char		 head[32];
	int		 hn;

	while (off < n && ns_parse(p + off, n - off, SOCKMAP_REQ_MAX, &data,
	    &dlen, &used) == NS_DONE) {
		if (used > n - off || dlen > SOCKMAP_REQ_MAX)
			abort();
		hn = snprintf(head, sizeof head, "%zu:", dlen);
		if (used != hn + dlen + 1 || memcmp(p + off, head, hn) != 0 ||
		    data != p + off + hn || p[off + used - 1] != ',')
			abort();
		if (ns_parse(p + off, used - 1, SOCKMAP_REQ_MAX, &d2, &l2,
		    &u2) != NS_MORE)
			abort();
		off += used;
	}
	return 0;
}
