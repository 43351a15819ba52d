#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/ocsp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

#include "cert.h"
#include "cli.h"
#include "smtp.h"
#include "tls.h"
#include "tlsa.h"

SSL_CTX *
tls_ctx_new(char *err, size_t errlen)
{
	SSL_CTX		*ctx;
	const char	*why;

	ERR_clear_error();
	if ((ctx = SSL_CTX_new(TLS_client_method())) == NULL ||
	    SSL_CTX_dane_enable(ctx) <= 0) {
		why = ERR_reason_error_string(ERR_peek_last_error());
		cli_errf(err, errlen, "cannot make a TLS context: %s",
		    why != NULL ? why : "out of memory");
		SSL_CTX_free(ctx);
		ERR_clear_error();
		return NULL;
	}
	/*
	 * The handshake goes on whatever the verification says: tls_start
	 * reports the outcome, and a sending MTA without DANE delivers over
	 * unauthenticated TLS all the same.  The system's CAs only serve to
	 * say what PKIX would make of a certificate when there is no DANE.
	 */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (SSL_CTX_set_default_verify_paths(ctx) != 1)
		ERR_clear_error();
	return ctx;
}

/* Seconds of clock skew an OCSP response's times are allowed. */
#define OCSP_SLACK	300

/*
 * A response's thisUpdate and nextUpdate (NULL when none) current at now,
 * as OCSP_check_validity judges them at the clock.
 */
static int
ocsp_current(const ASN1_GENERALIZEDTIME *thisupd,
    const ASN1_GENERALIZEDTIME *nextupd, time_t now)
{
	time_t	from, until;

	if ((from = cert_asn1_time(thisupd)) == 0 || from > now + OCSP_SLACK)
		return 0;
	if (nextupd == NULL)
		return 1;
	until = cert_asn1_time(nextupd);
	return until != 0 && until >= from && until >= now - OCSP_SLACK;
}

/*
 * The stapled OCSP response about the leaf: it must be signed by the
 * leaf's issuer (as in the chain sent) or by a responder that issuer
 * delegated to, be current at now (0: the clock), and speak of the leaf.
 */
static enum tls_ocsp
ocsp_status(SSL *ssl, STACK_OF(X509) *chain, time_t now, time_t *next)
{
	const unsigned char	*p;
	OCSP_RESPONSE		*resp = NULL;
	OCSP_BASICRESP		*bs = NULL;
	OCSP_CERTID		*id = NULL;
	X509_STORE		*store = NULL;
	ASN1_GENERALIZEDTIME	*thisupd, *nextupd, *rev;
	X509			*leaf, *issuer = NULL;
	enum tls_ocsp		 st = TLS_OCSP_INVALID;
	long			 len;
	int			 i, status, reason;

	*next = 0;
	if ((len = SSL_get_tlsext_status_ocsp_resp(ssl, &p)) <= 0 ||
	    p == NULL)
		return TLS_OCSP_NONE;
	if (chain == NULL || sk_X509_num(chain) < 1)
		return TLS_OCSP_INVALID;
	leaf = sk_X509_value(chain, 0);
	for (i = 1; i < sk_X509_num(chain) && issuer == NULL; i++)
		if (X509_check_issued(sk_X509_value(chain, i), leaf) ==
		    X509_V_OK)
			issuer = sk_X509_value(chain, i);
	if (issuer == NULL)
		goto out;
	if ((resp = d2i_OCSP_RESPONSE(NULL, &p, len)) == NULL ||
	    OCSP_response_status(resp) != OCSP_RESPONSE_STATUS_SUCCESSFUL ||
	    (bs = OCSP_response_get1_basic(resp)) == NULL)
		goto out;
	/* The chain's certificates as anchors: the signer must chain to
	   the issuer; a partial chain is enough. */
	if ((store = X509_STORE_new()) == NULL)
		goto out;
	for (i = 1; i < sk_X509_num(chain); i++)
		X509_STORE_add_cert(store, sk_X509_value(chain, i));
	X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
	/* the responder's certificate judged at the same time */
	if (now != 0)
		X509_VERIFY_PARAM_set_time(X509_STORE_get0_param(store), now);
	else
		now = time(NULL);
	if (OCSP_basic_verify(bs, chain, store, OCSP_TRUSTOTHER) <= 0)
		goto out;
	if ((id = OCSP_cert_to_id(NULL, leaf, issuer)) == NULL ||
	    OCSP_resp_find_status(bs, id, &status, &reason, &rev, &thisupd,
	    &nextupd) != 1 || !ocsp_current(thisupd, nextupd, now))
		goto out;
	*next = cert_asn1_time(nextupd);
	switch (status) {
	case V_OCSP_CERTSTATUS_GOOD:
		st = TLS_OCSP_GOOD;
		break;
	case V_OCSP_CERTSTATUS_REVOKED:
		st = TLS_OCSP_REVOKED;
		break;
	default:
		st = TLS_OCSP_UNKNOWN;
	}
out:
	OCSP_CERTID_free(id);
	X509_STORE_free(store);
	OCSP_BASICRESP_free(bs);
	OCSP_RESPONSE_free(resp);
	ERR_clear_error();
	return st;
}

/* RFC 7672 3.2: DANE's records and names on ssl; the records added. */
static int
dane_setup(SSL *ssl, const struct tls_dane *dane, char *err, size_t errlen)
{
	const struct tlsa	*t;
	size_t			 i;
	int			 added = 0;

	if (SSL_dane_enable(ssl, dane->base) <= 0 ||
	    SSL_set_tlsext_host_name(ssl, dane->base) != 1) {
		cli_errf(err, errlen,
		    "cannot enable DANE for '%s'", dane->base);
		return -1;
	}
	/* RFC 7672 3.1.1: no name check for DANE-EE (OpenSSL's default
	   would make one). */
	SSL_dane_set_flags(ssl, DANE_FLAG_NO_DANE_EE_NAMECHECKS);
	/* A DANE-TA chain's certificates judged at the time asked; OpenSSL
	   checks no time for a DANE-EE match (RFC 7672 3.1.1). */
	if (dane->now != 0)
		X509_VERIFY_PARAM_set_time(SSL_get0_param(ssl), dane->now);
	for (i = 0; i < dane->nnames; i++)
		if (SSL_add1_host(ssl, dane->names[i]) != 1) {
			cli_errf(err, errlen, "cannot add the name '%s'",
			    dane->names[i]);
			return -1;
		}
	for (i = 0; i < dane->ntlsa; i++) {
		t = dane->tlsa[i];
		/* OpenSSL would take PKIX-TA and PKIX-EE: RFC 7672 3.1.3
		   does not. */
		if (t->usage != TLSA_DANE_TA && t->usage != TLSA_DANE_EE)
			continue;
		if (SSL_dane_tlsa_add(ssl, t->usage, t->selector, t->mtype,
		    t->data, t->len) > 0)
			added++;
	}
	ERR_clear_error();
	return added;
}

static void
facts(SSL *ssl, const struct tls_dane *dane, int added,
    struct tls_info *info)
{
	const SSL_CIPHER	*c;
	STACK_OF(X509)		*sk;
	const unsigned char	*data;
	const char		*peer;
	uint8_t			 u, sel, mt;
	size_t			 dlen, i;

	snprintf(info->version, sizeof info->version, "%s",
	    SSL_get_version(ssl));
	if ((c = SSL_get_current_cipher(ssl)) != NULL) {
		snprintf(info->cipher, sizeof info->cipher, "%s",
		    SSL_CIPHER_get_name(c));
		info->bits = SSL_CIPHER_get_bits(c, NULL);
	}
	if ((sk = SSL_get_peer_cert_chain(ssl)) != NULL)
		info->chain = X509_chain_up_ref(sk);
	info->verify_error = SSL_get_verify_result(ssl);
	if (dane != NULL && added == 0) {
		/* Without a record OpenSSL falls back to PKIX: not DANE. */
		info->verify_error = X509_V_ERR_DANE_NO_MATCH;
		snprintf(info->verify_text, sizeof info->verify_text,
		    "no usable TLSA record");
	} else
		snprintf(info->verify_text, sizeof info->verify_text, "%s",
		    X509_verify_cert_error_string(info->verify_error));
	if (dane != NULL && added > 0) {
		info->depth = SSL_get0_dane_authority(ssl, NULL, NULL);
		info->verified = info->verify_error == X509_V_OK &&
		    info->depth >= 0;
		if (SSL_get0_dane_tlsa(ssl, &u, &sel, &mt, &data, &dlen) >= 0)
			for (i = 0; i < dane->ntlsa; i++)
				if (dane->tlsa[i]->usage == u &&
				    dane->tlsa[i]->selector == sel &&
				    dane->tlsa[i]->mtype == mt &&
				    dane->tlsa[i]->len == dlen &&
				    memcmp(dane->tlsa[i]->data, data,
				    dlen) == 0) {
					info->matched = (int)i;
					break;
				}
		if (info->verified && (peer = SSL_get0_peername(ssl)) != NULL)
			snprintf(info->peername, sizeof info->peername, "%s",
			    peer);
	}
	info->ocsp = ocsp_status(ssl, info->chain, dane != NULL ? dane->now :
	    0, &info->ocsp_next);
}

enum smtp_fail
tls_start(SSL_CTX *ctx, struct smtp *s, const struct tls_dane *dane,
    const char *sni, struct tls_info *info, char *err, size_t errlen)
{
	enum smtp_fail		 f;
	SSL			*ssl;
	double			 deadline;
	short			 ev;
	int			 r, added = 0;

	memset(info, 0, sizeof *info);
	info->depth = -1;
	info->matched = -1;
	info->dane = dane != NULL;
	if (s->fd == -1 || s->ssl != NULL) {
		cli_errf(err, errlen, s->fd == -1 ? "no connection" :
		    "TLS is already up");
		return SMTP_LOCAL;
	}
	deadline = smtp_deadline(s);
	ERR_clear_error();
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, s->fd) != 1 ||
	    SSL_set_tlsext_status_type(ssl, TLSEXT_STATUSTYPE_ocsp) != 1) {
		cli_errf(err, errlen, "cannot start TLS: out of memory");
		f = SMTP_LOCAL;
		goto bad;
	}
	if (dane != NULL) {
		if ((added = dane_setup(ssl, dane, err, errlen)) == -1) {
			f = SMTP_LOCAL;
			goto bad;
		}
	} else if (sni != NULL && (SSL_set_tlsext_host_name(ssl, sni) != 1 ||
	    SSL_set1_host(ssl, sni) != 1)) {
		cli_errf(err, errlen, "cannot set the server name '%s'", sni);
		f = SMTP_LOCAL;
		goto bad;
	}
	SSL_set_connect_state(ssl);
	for (;;) {
		ERR_clear_error();
		r = SSL_do_handshake(ssl);
		if (r == 1)
			break;
		switch (SSL_get_error(ssl, r)) {
		case SSL_ERROR_WANT_READ:
			ev = POLLIN;
			break;
		case SSL_ERROR_WANT_WRITE:
			ev = POLLOUT;
			break;
		default:
			f = smtp_ssl_fail(ssl, r, "TLS handshake", err,
			    errlen);
			goto bad;
		}
		if ((r = smtp_wait(s->fd, ev, deadline)) == 0) {
			cli_errf(err, errlen, "TLS handshake: not done within "
			    "%d s", s->timeout);
			f = SMTP_TIMEOUT;
			goto bad;
		}
		if (r == -1) {
			cli_errf(err, errlen, "poll: %s", strerror(errno));
			f = SMTP_LOCAL;
			goto bad;
		}
	}
	s->ssl = ssl;
	facts(ssl, dane, added, info);
	return SMTP_OK;
bad:
	SSL_free(ssl);
	ERR_clear_error();
	return f;
}

void
tls_info_free(struct tls_info *info)
{
	sk_X509_pop_free(info->chain, X509_free);
	info->chain = NULL;
}

const char *
tls_ocsp_name(enum tls_ocsp o)
{
	static const char *const names[] = {
		"none", "good", "revoked", "unknown", "invalid"
	};

	if ((unsigned)o < sizeof names / sizeof names[0])
		return names[o];
	return "invalid";
}
