/*
 * tls: the TLS client of tlsa-check and smtp-probe on OpenSSL 3: DANE
 * (RFC 7671, RFC 7672) through OpenSSL's DANE API, and the facts of the
 * session (version, cipher, chain, OCSP staple).
 */
#ifndef MX_TLS_H
#define MX_TLS_H

#include <stddef.h>
#include <time.h>
#include <openssl/ssl.h>

#include "smtp.h"
#include "tlsa.h"

/* One client context per process; SSL_CTX is safe to share across threads. */
SSL_CTX		*tls_ctx_new(char *, size_t);

/*
 * What DANE verification needs (RFC 7672 3.2): the TLSA records a client
 * can use (tlsa_usable; the caller leaves the others out), and the
 * reference identifiers for DANE-TA: base, the TLSA base domain, which is
 * also the SNI, and the further names (the next-hop domain when the MX
 * lookup was secure, RFC 7672 3.2.2).  DANE-EE gets no name and no expiry
 * check.  now: the time certificates of a DANE-TA chain and the OCSP
 * staple are judged at (a tool's --time), 0 for the clock.
 */
struct tls_dane {
	const char		 *base;
	const char *const	 *names;
	size_t			  nnames;
	struct tlsa *const	 *tlsa;
	size_t			  ntlsa;
	time_t			  now;
};

enum tls_ocsp {
	TLS_OCSP_NONE = 0,	/* no staple */
	TLS_OCSP_GOOD,
	TLS_OCSP_REVOKED,
	TLS_OCSP_UNKNOWN,	/* the responder does not know the cert */
	TLS_OCSP_INVALID	/* a staple that does not parse or verify */
};

struct tls_info {
	char		 version[16];	/* "TLSv1.3" */
	char		 cipher[64];	/* "TLS_AES_256_GCM_SHA384" */
	int		 bits;
	STACK_OF(X509)	*chain;		/* as the peer sent it, leaf first */
	int		 dane;		/* DANE was asked (records given) */
	int		 verified;	/* DANE: a record matched, chain ok */
	int		 depth;		/* depth of the matching cert, or -1 */
	int		 matched;	/* index into tls_dane.tlsa, or -1 */
	char		 peername[256];	/* the name DANE-TA matched, or "" */
	long		 verify_error;	/* X509_V_OK or the error */
	char		 verify_text[128];
	enum tls_ocsp	 ocsp;
	time_t		 ocsp_next;	/* the staple's nextUpdate, or 0 */
};

/*
 * The TLS handshake on s (after smtp_starttls, or at once for implicit
 * TLS), SNI dane->base when dane is given (else sni, which may be NULL),
 * within s->timeout, asking for an OCSP staple.  With dane, verification
 * is DANE's alone (no PKIX fallback) and its outcome is in info, not in the
 * return: SMTP_OK means a session is up, whatever DANE said.  Without
 * dane, any certificate is taken (opportunistic TLS) and
 * info->verify_error says what PKIX would say of it.  On failure
 * SMTP_TLS (or SMTP_TIMEOUT, SMTP_CLOSED) with err, and OpenSSL's reason.
 * Free info with tls_info_free whatever the outcome.
 */
enum smtp_fail	 tls_start(SSL_CTX *, struct smtp *, const struct tls_dane *,
		    const char *, struct tls_info *, char *, size_t);
void		 tls_info_free(struct tls_info *);

/* "none", "good", "revoked", "unknown", "invalid". */
const char	*tls_ocsp_name(enum tls_ocsp);

#endif
