/*
 * arc: Authenticated Received Chain (RFC 8617): validating the chain of a
 * message, and adding a new ARC set to it.
 */
#ifndef MX_ARC_H
#define MX_ARC_H

#include <stddef.h>
#include <time.h>
#include <openssl/evp.h>

struct dns;
struct msg;

#define ARC_MAX		50	/* instances in a chain (RFC 8617 5.2) */
/*
 * The most an AAR may take, field name and line ends included: Postfix
 * discards what a header field holds past its header_size_limit, 102400
 * bytes by default, and a seal over a cut AAR fails at every hop after.
 */
#define ARC_AAR_MAX	102400

enum arc_state {
	ARC_NONE,
	ARC_PASS,
	ARC_FAIL
};

struct arc_result {
	enum arc_state	 state;
	int		 tempfail;	/* a DNS failure left no verdict */
	int		 terminated;	/* the newest seal already said cv=fail */
	int		 n;		/* instances found (highest i=) */
	int		 fail_i;	/* the instance blamed, 0 for none */
	int		 oldest_pass;	/* lowest i whose AMS and newer verify */
	char		 reason[256];	/* "i=2 (AMS body hash miscompare)" */
	char		 domains[ARC_MAX * 256];	/* seal d=, colon list */
};

/* Let go of the keys and contexts kept between messages. */
void	arc_cache_free(void);

/* "none", "pass", "fail". */
const char	*arc_state_name(enum arc_state);

/*
 * Validate the chain of a message read in full (msg_end done), keys from
 * dns, now the time to judge t= and x= by.  Never fails as a call: the
 * outcome, temporary DNS failure included, is in *r.  Returns 0, or -1 out
 * of memory or when the body cannot be read (a reason in r->reason).
 */
int	arc_verify(struct msg *, struct dns *, time_t, struct arc_result *);

struct arc_signer {
	const char	*domain;	/* d= */
	const char	*selector;	/* s= */
	const char	*authserv_id;	/* whose A-R fields make the AAR */
	EVP_PKEY	*key;
	int		 alg;		/* DKIM_RSA_SHA256, DKIM_ED25519_SHA256 */
	const char	*headers;	/* h= list, or NULL for the default */
	time_t		 now;
	int		 timestamps;	/* add t= to the AMS and the seal */
	long long	 expire;	/* x= on the AMS, 0 for none */
};

enum arc_seal_status {
	ARC_SEALED,		/* a set was added */
	ARC_NO_AR,		/* no A-R of ours: nothing added */
	ARC_CHAIN_FAILED,	/* the chain had failed and our A-R says nothing */
	ARC_TOO_MANY,		/* the chain is already 50 long (or more) */
	ARC_TOO_BIG,		/* the AAR over ARC_AAR_MAX, or the header
				   section over MSG_HDR_MAX with the set */
	ARC_SEAL_TEMPFAIL,	/* validating the chain hit a DNS failure */
	ARC_SEAL_ERROR		/* out of memory, the body unreadable, signing */
};

/*
 * Add a new ARC set to m (msg_end done): AAR, AMS and AS, prepended in that
 * order so that the seal ends on top.  cv comes from the arc= result of our
 * A-R fields, or from validating the chain with dns when they have none.
 * chain, when not NULL, gets that validation.  A reason goes to why.
 * Whatever the status but ARC_SEALED, the message is left as it came, so
 * that it may go on unchanged.
 */
enum arc_seal_status	arc_seal(struct msg *, const struct arc_signer *,
			    struct dns *, struct arc_result *, char *, size_t);

#endif
