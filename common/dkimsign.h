/*
 * dkimsign: adding a DKIM-Signature field to a message (RFC 6376 5,
 * RFC 8463), so that the tests can verify messages we signed beside
 * messages the peers signed, with every tag a verifier must judge.
 */
#ifndef MX_DKIMSIGN_H
#define MX_DKIMSIGN_H

#include <stddef.h>
#include <time.h>
#include <openssl/evp.h>

struct msg;

struct dkim_signer {
	const char	*domain;	/* d= */
	const char	*selector;	/* s= */
	const char	*identity;	/* i=, or NULL for none */
	EVP_PKEY	*key;
	int		 alg;		/* a DKIM_ algorithm */
	int		 hrel, brel;	/* c=: relaxed header, relaxed body */
	const char	*headers;	/* h= list, or NULL for the default */
	long long	 limit;		/* l=, or -1 for none */
	time_t		 now;		/* t=, when timestamps */
	int		 timestamps;
	long long	 expire;	/* x=, 0 for none */
	/*
	 * For tests: "name=value" sets a tag (ours or a new one), a bare
	 * "name" leaves ours out, so that a test can sign a field that a
	 * verifier must refuse for that tag alone.  b= and bh= stay ours.
	 */
	const char	*const *tags;
	size_t		 ntags;
};

/*
 * Sign m (msg_end done) and prepend the DKIM-Signature field, its line
 * ends as the message's.  0, or -1 with a reason in why (out of memory,
 * the body unreadable, signing failed); the message is left as it came
 * then.
 */
int	dkim_sign(struct msg *, const struct dkim_signer *, char *, size_t);

#endif
