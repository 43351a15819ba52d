/*
 * dkimverify: verifying the DKIM-Signature fields of a message (RFC 6376,
 * RFC 8463): rsa-sha256 and ed25519-sha256, simple and relaxed, l=, t=
 * and x=, the key record's flags, revoked keys.  A DNS failure is kept
 * apart from a permanent one, since a mail tool defers on the first.
 */
#ifndef MX_DKIMVERIFY_H
#define MX_DKIMVERIFY_H

#include <stddef.h>
#include <time.h>

struct dns;
struct msg;

/* Exim's dkim_verify_status words; "none" is a message with no signature. */
enum dkim_vstatus {
	DKIM_VPASS,
	DKIM_VFAIL,		/* the body hash or the signature is wrong */
	DKIM_VINVALID		/* not verifiable: syntax, key, expiry, DNS */
};

#define DKIM_VERIFY_MAX	32	/* signatures verified; later ones are
				   reported invalid without a look-up */

struct dkim_sig {
	enum dkim_vstatus status;
	int		 temperror;	/* invalid only because a key look-up
					   failed for now: A-R temperror */
	char		 domain[256];	/* d=, lower case; "" when unreadable */
	char		 selector[256];	/* s=; "" when unreadable */
	char		 identity[512];	/* i=, or "@" d= when absent */
	int		 alg;		/* a DKIM_ algorithm, or -1 */
	int		 testing;	/* the key record says t=y */
	/*
	 * Exim's dkim_verify_reason: "pubkey_unavailable",
	 * "pubkey_syntax", "bodyhash_mismatch", "signature_incorrect",
	 * or "" for a pass or a signature that cannot be parsed.
	 */
	char		 reason[32];
	char		 detail[256];	/* one line, for -v and an A-R comment */
	char		 b[16];		/* the start of b=, for A-R header.b */
};

/* "pass", "fail", "invalid". */
const char	*dkim_vstatus_name(enum dkim_vstatus);

/*
 * Verify every DKIM-Signature field of m (msg_end done), top down, the
 * first DKIM_VERIFY_MAX of them in full, keys from dns, now the time to
 * judge t= and x= by.  On return *sigs holds *n results in field order
 * (*n 0 and *sigs NULL for a message with no signature); free them with
 * free().  Returns 0, or -1 out of memory or when the body cannot be read.
 *
 * Each signature's tags are checked (RFC 6376 6.1.1), then one pass over
 * the body hashes it once per distinct (body canonicalisation, l=) pair,
 * then each signature takes its key (6.1.2: of several key records, any
 * that verifies it), compares its body hash and checks its signature
 * (6.1.3).  rsa-sha1 is invalid (RFC 8301), so is an RSA key under 1024
 * or over 8192 bits.  Parsed keys are cached between calls (dkim.h):
 * dkim_cache_free lets them go.
 */
int	dkim_verify(struct msg *, struct dns *, time_t, struct dkim_sig **,
	    size_t *);

#endif
