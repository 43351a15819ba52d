/*
 * dkim: what DKIM signatures (RFC 6376) and ARC's signatures share: the
 * algorithms (rsa-sha256, ed25519-sha256 of RFC 8463), public key records,
 * private key files, base64, and the hash of the signed header fields.
 */
#ifndef MX_DKIM_H
#define MX_DKIM_H

#include <stddef.h>
#include <openssl/evp.h>

#include "canon.h"

struct msg;

enum dkim_alg {
	DKIM_RSA_SHA256,
	DKIM_ED25519_SHA256
};

#define DKIM_SIG_MAX	1024	/* bytes of a signature: RSA up to 8192 bits */
#define DKIM_RSA_MIN	1024	/* RSA keys below this are refused */
#define DKIM_KEYFILE_MAX 65536	/* bytes: a larger file is no key */

/* The algorithm named by an a= value, or -1. */
int		 dkim_alg_parse(const char *, size_t);
const char	*dkim_alg_name(int);

enum dkim_key_status {
	DKIM_KEY_OK,
	DKIM_KEY_REVOKED,	/* p= empty */
	DKIM_KEY_BAD		/* syntax, unknown k=, bad key, too short */
};

struct dkim_pubkey {
	EVP_PKEY	*pk;
	int		 alg;		/* the DKIM_ algorithm it can check */
	int		 testing;	/* t=y */
	int		 strict;	/* t=s */
};

/*
 * Parse a key record (the joined TXT strings).  On DKIM_KEY_OK the key is
 * in k->pk (free with dkim_pubkey_free); otherwise *why says what is wrong.
 */
enum dkim_key_status	dkim_key_parse(const char *, size_t,
			    struct dkim_pubkey *, const char **);
void			dkim_pubkey_free(struct dkim_pubkey *);

/*
 * Load a private key (PEM, RSA or Ed25519) from path.  Anything but a
 * regular file is refused at once, and so is a file that others may read,
 * as a key must stay secret.  An encrypted key is refused without asking
 * for its passphrase: nothing is ever read from the terminal or from
 * standard input.  NULL with a reason in err; *rc gets the MX_ exit status
 * to use: MX_NOINPUT for a file missing, irregular, open to others,
 * encrypted or holding no key we can use, MX_TEMPFAIL when reading it
 * failed, MX_SOFTWARE out of memory.
 */
EVP_PKEY	*dkim_privkey_load(const char *, char *, size_t, int *);
/* The algorithm a private key signs with, or -1. */
int		 dkim_privkey_alg(EVP_PKEY *);

/*
 * Sign or verify a SHA-256 hash of the canonical header data.  RSA
 * contexts are kept for the next call with the same key (they hold a
 * reference to it); dkim_cache_free lets them go.
 */
void	dkim_cache_free(void);
int	dkim_sign_hash(EVP_PKEY *, int, const unsigned char *,
	    unsigned char *, size_t *);
int	dkim_verify_hash(EVP_PKEY *, int, const unsigned char *,
	    const unsigned char *, size_t);

/*
 * Base64: decode n bytes of s, whitespace ignored, into out (cap bytes).
 * Returns the length, or -1 for a character outside the alphabet, bad
 * padding, or too long a result.  Encode returns the length written (out
 * must hold 4 * ((n + 2) / 3) + 1 bytes).
 */
long	b64_decode(const char *, size_t, unsigned char *, size_t);
size_t	b64_encode(const unsigned char *, size_t, char *);

/*
 * The SHA-256 hash of the header fields named in the colon-separated list
 * hl (FWS allowed round the colons), each name taking the next instance
 * from the bottom up and a missing one adding nothing, followed by the
 * signature field sig (raw, as msg keeps it) with the value of its b= tag
 * (bytes boff to boff + blen of sig) left out and no final CRLF.  The
 * field numbered skip (msg_hdr index, or -1) is never selected: it is the
 * signature itself.  0, or -1 out of memory.
 */
int	dkim_hash_headers(const struct msg *, const char *, size_t, int,
	    const char *, size_t, size_t, size_t, long, unsigned char *);

/* The canonical text of those header fields alone, appended to b. */
int	dkim_canon_headers(const struct msg *, const char *, size_t, int,
	    long, struct buf *);

#endif
