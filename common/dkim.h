/*
 * dkim: what DKIM signatures (RFC 6376) and ARC's signatures share: the
 * algorithms (rsa-sha256, ed25519-sha256 of RFC 8463), public key records,
 * private key files, base64, and the hash of the signed header fields.
 */
#ifndef MX_DKIM_H
#define MX_DKIM_H

#include <stddef.h>
#include <time.h>
#include <openssl/evp.h>

#include "canon.h"

struct dns;
struct msg;
struct tvlist;

#define DKIM_SKEW	300	/* seconds a t= may lie ahead of our clock */

enum dkim_alg {
	DKIM_RSA_SHA256,
	DKIM_ED25519_SHA256
};

#define DKIM_SIG_MAX	1024	/* bytes of a signature: RSA up to 8192 bits */
#define DKIM_RSA_MIN	1024	/* RSA keys below this are refused */
#define DKIM_RSA_MAX	8192	/* a signature must fit DKIM_SIG_MAX */
#define DKIM_RSA_BITS	2048	/* a new RSA key, unless told */
#define DKIM_KEYFILE_MAX 65536	/* bytes: a larger file is no key */

/*
 * Whether s is fit for d= or s=, and for a DNS name and a master file as
 * it is: letters, digits, '.', '-' and '_', not empty.
 */
int		 dkim_name_ok(const char *);

/*
 * Whether the n bytes at p are a domain name as d= and s= may hold:
 * dot-separated labels of 1 to 63 letters, digits, '-' and '_', 253
 * bytes at most.
 */
int		 dkim_domain_ok(const char *, size_t);

/*
 * A c= value, "header[/body]", each "simple" or "relaxed" (a missing
 * body form is simple).  0 with the two forms, or -1.
 */
int		 dkim_canon_parse(const char *, size_t, int *, int *);

/*
 * t= and x= of a signature's tags judged by now: NULL, or what is wrong
 * (t= in the future beyond DKIM_SKEW; with expiry, x= not after t= or
 * past).
 */
const char	*dkim_check_times(const struct tvlist *, time_t, int);

/*
 * Where the value of the b= tag (val, vallen) lies within the raw field
 * (raw, len), with the whitespace round it: RFC 6376 3.7 leaves all of it
 * out of the hash.
 */
void		 dkim_b_span(const char *, size_t, const char *, size_t,
		    size_t *, size_t *);

/* The algorithm named by an a= value, or -1. */
int		 dkim_alg_parse(const char *, size_t);
const char	*dkim_alg_name(int);

enum dkim_key_status {
	DKIM_KEY_OK,
	DKIM_KEY_REVOKED,	/* p= empty */
	DKIM_KEY_BAD,		/* syntax, unknown k=, bad key */
	DKIM_KEY_SHORT		/* an RSA key under DKIM_RSA_MIN bits */
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
 * dkim_key_parse through a cache of the last few keys by record text: a
 * chain or a batch of messages uses a few keys many times, and decoding
 * one costs more than a verification.  On DKIM_KEY_OK *k points into the
 * cache, valid until the next call or dkim_cache_free.
 */
enum dkim_key_status	dkim_key_cached(const char *,
			    const struct dkim_pubkey **, const char **);

/*
 * Whether a TXT record at a key's name is a key record, as opposed to
 * another record published there (an SPF record by mistake, a note):
 * v=DKIM1 first, or no v= and a p= (RFC 6376 3.6.1 makes v= optional).
 */
int			dkim_is_key_record(const char *);

/*
 * Load a private key (PEM, RSA or Ed25519) from path.  Anything but a
 * regular file is refused at once, and so is a file that others may read,
 * as a key must stay secret.  An encrypted key is refused without asking
 * for its passphrase: nothing is ever read from the terminal or from
 * standard input.  NULL with a reason in err; *rc gets the MX_ exit status
 * to use: MX_NOINPUT for a file missing, irregular, open to others,
 * encrypted or holding no key we can use, MX_TEMPFAIL when reading it
 * failed or memory ran out (a filter's message is kept and retried).
 */
EVP_PKEY	*dkim_privkey_load(const char *, char *, size_t, int *);
/* The algorithm a private key signs with, or -1. */
int		 dkim_privkey_alg(EVP_PKEY *);

/*
 * Make a new private key and write it to path: RSA of bits bits
 * (DKIM_RSA_MIN to DKIM_RSA_MAX, 0 for DKIM_RSA_BITS) for
 * DKIM_RSA_SHA256, in PKCS#1 PEM as dkimpy and Exim read it, or Ed25519
 * (bits 0) in PKCS#8 PEM.  The file is mode 0600 and never replaces
 * anything: it is written to a new temporary name in the same directory,
 * synced, linked to path (which fails if path exists) and the directory
 * synced, so that a crash leaves either no key or the whole key.  Returns
 * the key (the caller frees it), or NULL with a reason in err and *status:
 * MX_USAGE for bits out of range, MX_CANTCREAT when path exists or
 * cannot be written, MX_SOFTWARE when OpenSSL fails.
 */
EVP_PKEY	*dkim_key_new(const char *, int, int, char *, size_t, int *);

/*
 * The key record publishing pk's public half: "v=DKIM1; k=rsa; p=" and
 * the SubjectPublicKeyInfo (RFC 6376 3.6.1), or "k=ed25519; p=" and the
 * bare 32 bytes (RFC 8463 4.2), base64.  malloc'd; NULL out of memory.
 */
char		*dkim_key_record(EVP_PKEY *);

/*
 * A master-file line for record at selector._domainkey.domain: the owner
 * absolute (a trailing dot, so it needs no $ORIGIN), ttl, IN TXT, and the
 * record as quoted strings of 255 bytes at most (RFC 1035 3.3), which
 * readers join.  selector, domain and record must need no escapes (the
 * tools allow letters, digits, '.', '-' and '_').  malloc'd; NULL out of
 * memory.
 */
char		*dkim_zone_line(const char *, const char *, unsigned long,
		    const char *);

/* What the key record published for a private key says of it. */
enum dkim_check {
	DKIM_CHECK_MATCH,	/* the record holds its public half */
	DKIM_CHECK_MISMATCH,	/* another key, or another algorithm */
	DKIM_CHECK_MISSING,	/* NXDOMAIN, NODATA, no key record */
	DKIM_CHECK_REVOKED,	/* p= empty */
	DKIM_CHECK_SHORT,	/* RSA under DKIM_RSA_MIN bits */
	DKIM_CHECK_BAD,		/* a record verifiers cannot use */
	DKIM_CHECK_TEMPFAIL	/* DNS timeout, SERVFAIL: ask again later */
};

/*
 * Look up selector._domainkey.domain through dns and compare each key
 * record there (a TXT record whose first tag is v=DKIM1, or that has p=
 * and no v=) with the private key pk.  Verifiers may take any of several
 * records, so the result is a match only when all of them match; else
 * the first that does not says why.  A reason goes to why in every case
 * but a match (where why is empty).
 */
enum dkim_check	 dkim_key_check(struct dns *, const char *, const char *,
		    EVP_PKEY *, char *, size_t);
/* "match", "mismatch", "missing", "revoked", "short", "bad", "temperror". */
const char	*dkim_check_name(enum dkim_check);

/*
 * Sign or verify a SHA-256 hash of the canonical header data.  RSA
 * contexts are kept for the next call with the same key (they hold a
 * reference to it); dkim_cache_free lets them go, and the cached keys.
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

/*
 * The header fields signed by default, as an h= list: RFC 6376 5.4.1's
 * and the MIME ones, each as often as the message has it, and "from"
 * once more, so that a From added later breaks the signature.  Appended
 * to b; 0 or -1.
 */
int	dkim_default_headers(const struct msg *, struct buf *);

/*
 * A signature field (DKIM-Signature, ARC-Seal, ARC-Message-Signature)
 * laid out with its tags in alphabetical order, lines folded before
 * column 78.  b= stands on a line of its own, so that the field signed
 * (b= empty) and the field written fold alike everywhere else and
 * canonicalise alike.
 */
struct dkim_tag {
	const char	*name;
	const char	*val;
	int		 list;		/* a colon list: breaks at colons */
};

/* The field name: tags (sorted in place), b= sig, lines ending in eol. */
int	dkim_layout(struct buf *, const char *, struct dkim_tag *, size_t,
	    const char *, const char *);
/*
 * Lay the field out with b= empty, append it (canonical, relaxed or
 * simple) to what precedes it in pre, hash that, sign it with key (alg),
 * and lay the field out into out with the signature.  pre is left as it
 * came.  0, or -1 (out of memory, or signing failed).
 */
int	dkim_sign_field(struct buf *, const char *, struct dkim_tag *, size_t,
	    EVP_PKEY *, int, int, struct buf *, const char *);

/*
 * One streaming pass over the body of m feeding the n body hashes of h
 * (each started with bodyhash_init: one per distinct canonicalisation
 * and l= that the signatures ask for), then each closed.  0, or -1 when
 * the body cannot be read or a hash fails.
 */
int	dkim_body_hashes(struct msg *, struct bodyhash *, int);

#endif
