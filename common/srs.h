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
#define SRS_SECRET_MAX	4096	/* longest line of a secret file */

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
 * Add the secrets of the file path to s, one a line, an empty line
 * skipped; the file is opened with cli_open_regular and read with
 * cli_lines, which clears its buffer.  *exposed is set to 1 when others
 * may read the file (worth a warning, not a refusal), else 0.  Returns
 * MX_OK, or the exit status with a one-line reason in err: MX_NOINPUT for
 * a missing, unreadable or irregular file (a FIFO is refused at once),
 * MX_IOERR when reading fails, MX_USAGE for a file with no secret or a
 * line longer than SRS_SECRET_MAX, MX_SOFTWARE when out of memory.  On
 * failure s may hold some of the secrets: the caller frees it.
 */
int	srs_load_secrets(struct srs *, const char *, int *, char *, size_t);

/*
 * Never rewrite addresses in these domains: "example.org" matches that
 * domain, ".example.org" any subdomain of it.  0, or -1 (ENOMEM).
 */
int	srs_add_local_domain(struct srs *, const char *, size_t);
/*
 * The same for each domain of a list (a NUL-terminated string), split on
 * commas, colons, spaces and tabs; empty items are skipped.  0, or -1
 * (ENOMEM) with the domains before the failing one added.
 */
int	srs_add_local_domains(struct srs *, const char *);

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

/*
 * postsrsd's tcp_table forward decision, asked before an ordinary forward
 * of addr through fwd: an address that already reverses under the secrets
 * of s is not rewritten again (SRS_TCP_ALREADY, postsrsd's 500), and one
 * in fwd comes back as it is, in out (SRS_TCP_OWN, its 200), as libsrs2
 * gives them.  SRS_TCP_FORWARD: neither, forward it as usual.  out is a
 * buffer of SRS_OUT_MAX bytes, overwritten whatever the answer.
 */
enum srs_tcp {
	SRS_TCP_FORWARD,
	SRS_TCP_ALREADY,
	SRS_TCP_OWN
};
enum srs_tcp	srs_tcp_forward(struct srs *, const char *, size_t,
		    const char *, char *);

/* A short lower-case reason for a status. */
const char	*srs_strerror(enum srs_status);

#endif
