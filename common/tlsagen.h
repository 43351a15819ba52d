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
 * default of the certificate's kind: 3 1 1 for the server's own (its key,
 * which a renewal may keep), 2 0 1 for a CA's (basicConstraints CA:TRUE;
 * the whole certificate, RFC 7671 5.2.2); selector 0 for usages 0 and 2,
 * 1 for the others and for a public key alone.
 *
 * The server's certificate is the first of the chain: always in a chain a
 * server sent (sent), and in a file unless it is a CA certificate that
 * names no host (tlsagen_names_host) and is not self-signed alone in its
 * file, which makes a file of CA certificates only.  A self-signed
 * server certificate is CA:TRUE as `openssl req -x509` makes it, and
 * OpenSSL never matches a DANE-TA record at depth 0: it gets 3 1 1.
 * An explicit usage picks the certificates of a chain it suits: the
 * first for 1 and 3, the others for 0 and 2 (the first too when it is a
 * CA's).
 */
struct tlsagen {
	int	 usage;
	int	 selector;
	int	 mtype;
	int	 sent;		/* the chain a server sent (--from-server) */
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
 * 1 when the first certificate of certs is the server's as struct
 * tlsagen says, 0 when certs holds CA certificates only, -1 out of
 * memory.
 */
int	tlsagen_server(const struct tlsagen *, STACK_OF(X509) *);

/*
 * The host name the server's certificate of certs (tlsagen_server) is
 * for, to name the owner by: its first DNS name that is a host name
 * (subjectAltName, else CN; no wildcard, no address).  NULL when certs
 * holds CA certificates only or the server's names no host; else a
 * string to free.
 */
char	*tlsagen_host(const struct tlsagen *, STACK_OF(X509) *);

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
