/*
 * tlsagen: the TLSA records a server's operator publishes (RFC 6698,
 * RFC 7671 5, RFC 7672 3.1), made from a certificate, a chain or a public
 * key, or from the chain a live server sends after STARTTLS; for
 * tlsa-check generate.
 */
#ifndef MX_TLSAGEN_H
#define MX_TLSAGEN_H

#include <stddef.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "dns.h"
#include "tlsa.h"

/*
 * The usage, selector and matching type asked for, each -1 for the
 * default of the certificate's kind: 3 1 1 for a server's own (its key,
 * which a renewal may keep), 2 0 1 for a CA's (basicConstraints CA:TRUE).
 * An explicit usage picks the certificates of a chain it suits: the first
 * (the server's) for 1 and 3, the CAs for 0 and 2.
 */
struct tlsagen {
	int	 usage;
	int	 selector;
	int	 mtype;
};

/* One record made, and the subject of the certificate it is for. */
struct tlsagen_rec {
	struct tlsa	*tlsa;
	char		 subject[256];	/* "" for a public key */
	int		 index;		/* in the chain, from 0 */
};

/*
 * The records for certs (a chain, the server's certificate first), or for
 * key alone when certs is NULL (a server's key: selector 1 only).  On
 * success the number of records (at least 1), with *recs an array to
 * free with tlsagen_free.  -1 with a reason in err when the records asked
 * cannot be made (selector 0 from a key alone; an explicit usage that
 * suits no certificate of the chain), or when out of memory (errno
 * ENOMEM).
 */
int	tlsagen_make(const struct tlsagen *, STACK_OF(X509) *, EVP_PKEY *,
	    struct tlsagen_rec **, char *, size_t);
void	tlsagen_free(struct tlsagen_rec *, int);

/*
 * The owner name "_PORT._tcp.HOST." for host, lower case, with one final
 * dot, into buf.  -1 when host is empty, too long, or an address.
 */
int	tlsagen_owner(char *, size_t, const char *, int);

/*
 * The host name a server certificate is for, to name the owner by: its
 * first DNS name that is no wildcard (subjectAltName, else CN).  NULL for
 * a CA certificate or one without such a name; else a string to free.
 */
char	*tlsagen_host(X509 *);

/*
 * The chain host (a name, or an IPv4 or IPv6 address) sends at port
 * after EHLO helo and STARTTLS, taken without verifying it, since the
 * records are what is to be published; sni is sent when not NULL.  Each
 * address of host is tried in turn, A then AAAA, each step within timeout
 * seconds.  On success the chain (free with sk_X509_pop_free(...,
 * X509_free)); else NULL with the reason of the last failure in err and
 * in *status the exit code: MX_UNAVAILABLE when no address gave a TLS
 * session or host has none, MX_TEMPFAIL when its addresses cannot be
 * looked up now, MX_SOFTWARE out of memory.
 */
STACK_OF(X509)	*tlsagen_fetch(SSL_CTX *, struct dns *, const char *, int,
		    const char *, const char *, int, int *, char *, size_t);

#endif
