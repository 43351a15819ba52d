/*
 * Fuzz the SRS reverse parser in both schemes.  The first byte picks the
 * scheme; the rest is the address.  A reversal that succeeds must give an
 * address that forwards again without error.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "srs.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	static struct srs	*s[2];
	char			 out[SRS_OUT_MAX], again[SRS_OUT_MAX];
	enum srs_status		 st;
	int			 flags, k;

	if (s[0] == NULL) {
		for (k = 0; k < 2; k++) {
			s[k] = srs_new(k ? SRS_EXIM : SRS_SHEVEK);
			if (s[k] == NULL || srs_add_secret(s[k], "s3cr3t", 6))
				abort();
			srs_add_secret(s[k], "older", 5);
			srs_set_time(s[k], 20000L * 86400);
			if (!k)
				srs_set_hash_min(s[k], 2);
		}
	}
	if (n == 0)
		return 0;
	k = buf[0] & 1;
	st = srs_reverse(s[k], (const char *)buf + 1, n - 1, out, &flags);
	if (strlen(out) >= SRS_OUT_MAX)
		abort();
	if (st == SRS_OK) {
		if (out[0] == '\0')
			abort();
		st = srs_forward(s[k], out, strlen(out), "fwd.example.net",
		    again, &flags);
		if (st != SRS_OK && st != SRS_UNCHANGED && st != SRS_TOOLONG &&
		    st != SRS_BADADDR)
			abort();
	}
	return 0;
}
