/* Fuzz the netstring parser: every outcome in bounds, consistent. */
#include <stdint.h>
#include <stdlib.h>

#include "sockmap.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	const char	*p = (const char *)buf, *data;
	size_t		 off = 0, dlen, used;

	while (off < n && ns_parse(p + off, n - off, SOCKMAP_REQ_MAX, &data,
	    &dlen, &used) == NS_DONE) {
		if (used > n - off || data < p + off ||
		    data + dlen > p + off + used || dlen > SOCKMAP_REQ_MAX)
			abort();
		off += used;
	}
	return 0;
}
