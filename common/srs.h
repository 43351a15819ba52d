/*
 * srs: Sender Rewriting Scheme, forward and reverse.
 *
 * Two schemes.  SRS_SHEVEK is the scheme of Mail::SRS, pysrs, libsrs2 and
 * postsrsd (SRS0=HH=TT=domain=local@fwd, SRS1 for re-forwarding), byte for
 * byte.  SRS_EXIM is Exim 4.95+'s srs_encode / inbound_srs (HMAC-MD5 over
 * the whole address, lower-case hex, SRS0 only).
 *
 * Addresses are taken as (pointer, length) and never need a NUL.  Results
 * are written into a caller's buffer of SRS_OUT_MAX bytes, NUL-terminated.
 */
#ifndef MX_SRS_H
#define MX_SRS_H

#include <stddef.h>
#include <time.h>

#define SRS_ADDR_MAX	2048	/* longest address taken */
#define SRS_OUT_MAX	(SRS_ADDR_MAX + 64)
#define SRS_HASH_MAX	27	/* base64 of a SHA-1 HMAC, unpadded */

enum srs_scheme {
	SRS_SHEVEK,
	SRS_EXIM
};

enum srs_status {
	SRS_OK = 0,		/* rewritten */
	SRS_UNCHANGED,		/* forward: left alone (null sender, local domain) */
	SRS_NOTSRS,		/* reverse: not an SRS address */
	SRS_BADHASH,		/* reverse: the hash does not verify */
	SRS_EXPIRED,		/* reverse: timestamp too old or in the future */
	SRS_HASHLESS,		/* reverse: SRS1 without a hash (unsafe) */
	SRS_SYNTAX,		/* reverse: an SRS address with broken fields */
	SRS_BADADDR,		/* not an address: no @, empty part, bad byte */
	SRS_TOOLONG		/* address or result too long */
};

/* Set by srs_forward / srs_reverse in *flags. */
#define SRS_F_CASEHASH	0x01	/* hash matched only ignoring case */

struct srs;

/*
 * A rewriter with the scheme's defaults: hash length 4, hash minimum 4,
 * separator '=', max age 21 days (Shevek) or 10 (Exim).  NULL when out of
 * memory.
 */
struct srs	*srs_new(enum srs_scheme);
void		 srs_free(struct srs *);

/* The first secret added signs; every secret verifies.  0, or -1 (ENOMEM). */
int	srs_add_secret(struct srs *, const char *, size_t);
int	srs_nsecrets(const struct srs *);

/*
 * Never rewrite addresses in these domains: "example.org" matches that
 * domain, ".example.org" any subdomain of it.  0, or -1 (ENOMEM).
 */
int	srs_add_local_domain(struct srs *, const char *, size_t);

/* Settings; each returns 0, or -1 when the value is out of range. */
int	srs_set_hash_length(struct srs *, int);	/* 1..27; Exim: 4 only */
int	srs_set_hash_min(struct srs *, int);	/* 1..27; Exim: 4 only */
int	srs_set_max_age(struct srs *, int);	/* days, 1..1023 */
int	srs_set_separator(struct srs *, char);	/* = + -; Exim: = only */
/* Fix the clock (tests, reproducible output): the day is that of t. */
void	srs_set_time(struct srs *, time_t);

/* Rewrite addr for forwarding through domain fwd. */
enum srs_status	srs_forward(struct srs *, const char *, size_t,
		    const char *, char *, int *);
/* Reverse an SRS address to the address it stands for. */
enum srs_status	srs_reverse(struct srs *, const char *, size_t, char *,
		    int *);

/* A short lower-case reason for a status. */
const char	*srs_strerror(enum srs_status);

#endif
