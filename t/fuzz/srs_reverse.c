/*
 * Fuzz the SRS parsers in both schemes.  The first byte picks the scheme
 * (bit 0) and the direction (bit 1); the rest is the address.
 *
 * Reverse: an address that reverses must forward again, and that forward
 * must reverse back to the same address: what we accept we can also make.
 * Forward: an address that forwards must reverse back to itself (Exim's
 * scheme gives it back lower-cased, as Exim does).
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "srs.h"

#define FWD	"fwd.example.net"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * Whether a round trip through forward and reverse is defined to give the
 * address back.  Not for SRS1 local parts, re-forwarded keeping their
 * first hop (they come back as SRS0); nor a wrapped "srs0", which comes
 * back as "SRS0"; nor a domain holding '=', ambiguous in every
 * implementation's field split; nor, in the Shevek scheme, what comes
 * back in RFC 5321 form rather than as given.  Exim's scheme hashes quotes
 * it then drops and quotes the result by the whole SRS local part, so
 * there only plain atext addresses come back.
 */
static int
round_trips(int exim, const char *a, size_t n)
{
	const char	*at = memrchr(a, '@', n);
	const char	*q;
	size_t		 lpn;

	if (at == NULL)
		return 0;
	lpn = at - a;
	q = a;
	if (lpn >= 2 && a[0] == '"' && a[lpn - 1] == '"') {
		q++;
		lpn -= 2;
	}
	if (lpn >= 5 && strncasecmp(q, "SRS1", 4) == 0 &&
	    strchr("-+=", q[4]) != NULL)
		return 0;
	/* A wrapped SRS0 comes back with its tag in upper case. */
	if (lpn >= 5 && strncasecmp(q, "SRS0", 4) == 0 &&
	    strncmp(q, "SRS0", 4) != 0 && strchr("-+=", q[4]) != NULL)
		return 0;
	if (memchr(at + 1, '=', n - (at + 1 - a)) != NULL)
		return 0;
	/*
	 * The Shevek scheme gives back RFC 5321 form: a local part with
	 * specials, or a dot first or last, quoted; quoted-pairs undone;
	 * and needless quotes only where the SRS local part needs none (an
	 * address literal's brackets make it need them).
	 */
	if (!exim && q != a && (memchr(q, '\\', lpn) != NULL || at[1] == '['))
		return 0;
	if (!exim && q == a && (lpn == 0 || a[0] == '.' || a[lpn - 1] == '.'))
		return 0;
	for (size_t i = 0; !exim && q == a && i < lpn; i++)
		if ((unsigned char)a[i] < 0x80 && (a[i] == '\0' || !strchr(
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789.!#$%&'*+-/=?^_`{|}~", a[i])))
			return 0;
	/* Exim too refuses to reverse these (a domain literal, say). */
	for (size_t i = 0; exim && i < n; i++)
		if (a + i != at && (a[i] == '\0' || !strchr(
		    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		    "0123456789.!#$%&'*+-/=?^_`{|}~", a[i])))
			return 0;
	return 1;
}

static int
same(int exim, const char *a, const char *b, size_t bn)
{
	return strlen(a) == bn &&
	    (exim ? strncasecmp(a, b, bn) : memcmp(a, b, bn)) == 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	static struct srs	*s[2];
	static char		 out[SRS_OUT_MAX], again[SRS_OUT_MAX],
				 back[SRS_OUT_MAX];
	const char		*a = (const char *)buf + 1;
	enum srs_status		 st;
	int			 flags, k;
	size_t			 an;

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
	an = n - 1;
	if (buf[0] & 2) {
		st = srs_forward(s[k], a, an, FWD, out, &flags);
		if (strlen(out) >= SRS_OUT_MAX)
			abort();
		if (st != SRS_OK || strlen(out) > SRS_ADDR_MAX)
			return 0;
		st = srs_reverse(s[k], out, strlen(out), back, &flags);
		if (round_trips(k, a, an) &&
		    (st != SRS_OK || !same(k, back, a, an)))
			abort();
		return 0;
	}
	st = srs_reverse(s[k], a, an, out, &flags);
	if (strlen(out) >= SRS_OUT_MAX)
		abort();
	if (st != SRS_OK)
		return 0;
	if (out[0] == '\0')
		abort();
	st = srs_forward(s[k], out, strlen(out), FWD, again, &flags);
	if (st != SRS_OK && st != SRS_UNCHANGED && st != SRS_TOOLONG &&
	    st != SRS_BADADDR)
		abort();
	if (st != SRS_OK || strlen(again) > SRS_ADDR_MAX ||
	    !round_trips(k, out, strlen(out)))
		return 0;
	st = srs_reverse(s[k], again, strlen(again), back, &flags);
	if (st != SRS_OK || strcmp(back, out) != 0)
		abort();
	return 0;
}
