/*
 * dmarcfacts: what one message is judged by for DMARC (RFC 7489): its
 * SPF result and identity, its DKIM signatures, its From domain; read
 * from our own Authentication-Results fields when another step of the
 * MTA found them, and written back as one such field (RFC 8601).
 *
 * Computing SPF and DKIM is spf.c's and dkimverify.c's work; which of the
 * ways a message gets its facts is the tool's choice.
 */
#ifndef MX_DMARCFACTS_H
#define MX_DMARCFACTS_H

#include <stddef.h>

#include "arc.h"
#include "canon.h"
#include "dkimverify.h"
#include "dmarc.h"
#include "msg.h"
#include "spf.h"

struct dmarcfacts {
	struct spf_response	 spf;
	int			 spf_have;	/* spf holds a result */
	char			 spf_domain[256];
	int			 spf_helo;
	char			 mfrom[600];	/* for smtp.mailfrom */
	char			 mfrom_domain[256];
	/* An spf= result word we do not know, taken as permerror. */
	char			 spf_unknown[64];
	struct dkim_sig		*sigs;		/* dkim_verify's, or given */
	size_t			 nsigs;
	struct dmarc_dkim	*dd;		/* dmarcfacts_dkim() */
};

/* Copy a domain name into buf, lower case (ASCII only, as DNS compares). */
void	dmarcfacts_domain(char *, size_t, const char *);

/*
 * The domain of an envelope address, or of smtp.mailfrom's value, which
 * may be the domain alone (RFC 8601 2.7.2); "" when there is none.
 */
void	dmarcfacts_env_domain(const char *, char *, size_t);

/*
 * A DKIM result word as an A-R field or an option gives it: 0 with the
 * status (temperror is DKIM_VINVALID with *temp set), 1 for "none" (no
 * signature), -1 for a word that is none of pass, fail, invalid,
 * permerror, neutral, policy, temperror, none.
 */
int	dmarcfacts_dkim_word(const char *, enum dkim_vstatus *, int *);

/*
 * SPF (when want_spf and f has none yet) from the topmost
 * Authentication-Results field of authserv-id id that has spf=, and DKIM
 * (when want_dkim) from the topmost that has dkim=, which may be another
 * field: an MTA whose SPF and DKIM checks each write one leaves them
 * apart.  Fields of other authserv-ids are the sender's word,
 * never taken.  spf= gives the result and smtp.mailfrom (the identity
 * and mfrom) or smtp.helo; a result word unknown is permerror, with the
 * word in spf_unknown for the caller to warn.  Each dkim= with
 * header.d (or the domain of header.i) adds a signature, with header.s
 * and header.b; dkim=none adds none.  1 when such a field was found, 0
 * when not, -1 when out of memory.
 */
int	dmarcfacts_from_authres(const struct msg *, const char *,
	    struct dmarcfacts *, int, int);

/* Fill dd from sigs, for dmarc_evaluate().  0, or -1 out of memory. */
int	dmarcfacts_dkim(struct dmarcfacts *);
void	dmarcfacts_free(struct dmarcfacts *);

/*
 * The domain of the message's From address into buf: exactly one From
 * field holding one address.  buf, or NULL with why ("no From field",
 * "several From fields", or addr_from_domain()'s reason).
 */
const char	*dmarcfacts_from_domain(const struct msg *, char *, size_t,
		    const char **);

/*
 * The word of a DKIM signature's result in an A-R field: pass, fail,
 * temperror or permerror.
 */
const char	*dmarcfacts_dkim_ar_word(const struct dkim_sig *);

/*
 * dmarc= and its policy comment (RFC 7489 11.2) as opendmarc writes it,
 * e.g. "dmarc=fail (p=reject dis=reject) header.from=example.com"; why
 * is the comment of nofrom.  0, or -1 out of memory.
 */
int	dmarcfacts_ar_dmarc(struct buf *, const struct dmarc_verdict *,
	    const char *);

/*
 * A whole Authentication-Results field of authserv-id id: spf= with
 * smtp.helo or smtp.mailfrom, one dkim= per signature (header.d, .s, .b;
 * dkim=none for none), dmarc= unless the verdict is off, and arc= when
 * arc is not NULL; each result on a line of its own, folded with eol
 * ("\n" or "\r\n", as the message's), the last line ended by eol.
 * Values are quoted where RFC 8601 wants it.  0, or -1 out of memory.
 */
int	dmarcfacts_ar_field(struct buf *, const char *, const char *,
	    const struct dmarcfacts *, const struct dmarc_verdict *,
	    const char *, const struct arc_result *);

#endif
