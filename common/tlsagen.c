#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "cli.h"
#include "smtp.h"
#include "tls.h"
#include "tlsagen.h"

static int
is_address(const char *s)
{
	unsigned char	a[16];

	return inet_pton(AF_INET, s, a) == 1 ? AF_INET :
	    inet_pton(AF_INET6, s, a) == 1 ? AF_INET6 : 0;
}

static int
add(struct tlsagen_rec **recs, int *n, struct tlsa *t, const char *subject,
    int index)
{
	struct tlsagen_rec	*v;

	if ((v = reallocarray(*recs, *n + 1, sizeof *v)) == NULL) {
		free(t);
		return -1;
	}
	*recs = v;
	v[*n].tlsa = t;
	snprintf(v[*n].subject, sizeof v[*n].subject, "%s", subject);
	v[*n].index = index;
	(*n)++;
	return 0;
}

/*
 * A host name as a server certificate names its host: letters, digits,
 * hyphens, at least two labels, no address; "*." first when wild is set.
 * A CA's common name ("R3", "Example Root CA") is none.
 */
static int
host_name(const char *s, int wild)
{
	size_t	n, label = 0;
	int	dots = 0, alpha = 0;

	if (wild && strncmp(s, "*.", 2) == 0)
		s += 2;
	if ((n = strlen(s)) == 0 || n > 253 || s[0] == '.' || s[0] == '-')
		return 0;
	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (label == 0 || s[-1] == '-' || s[1] == '-')
				return 0;
			dots++;
			label = 0;
			continue;
		}
		if ((*s < 'a' || *s > 'z') && (*s < '0' || *s > '9') &&
		    *s != '-' && *s != '_')
			return 0;
		alpha |= *s < '0' || *s > '9';
		if (++label > 63)
			return 0;
	}
	return dots > 0 && label > 0 && s[-1] != '-' && alpha;
}

static int
names_host(const struct cert_facts *f, int wild)
{
	size_t	i;

	for (i = 0; i < f->nnames; i++)
		if (host_name(f->names[i], wild))
			return 1;
	return 0;
}

int
tlsagen_server(const struct tlsagen *g, STACK_OF(X509) *certs)
{
	struct cert_facts	f;
	int			r;

	if (certs == NULL || sk_X509_num(certs) < 1)
		return 0;
	if (g->sent)
		return 1;
	if (cert_facts(sk_X509_value(certs, 0), &f) < 0)
		return -1;
	r = !f.is_ca || names_host(&f, 1) ||
	    (f.self_signed && sk_X509_num(certs) == 1);
	cert_facts_free(&f);
	return r;
}

/* What the kind of certificate says, where nothing was asked. */
static void
defaults(const struct tlsagen *g, int ca, int key, int *u, int *s, int *m)
{
	*u = g->usage >= 0 ? g->usage : ca ? TLSA_DANE_TA : TLSA_DANE_EE;
	/* A CA's whole certificate: RFC 7671 5.2.2 wants it whole in the
	   chain a server sends.  A key alone has no certificate. */
	*s = g->selector >= 0 ? g->selector : key ? TLSA_SEL_SPKI :
	    *u == TLSA_DANE_TA || *u == TLSA_PKIX_TA ? TLSA_SEL_CERT :
	    TLSA_SEL_SPKI;
	*m = g->mtype >= 0 ? g->mtype : TLSA_MT_SHA256;
}

int
tlsagen_make(const struct tlsagen *g, STACK_OF(X509) *certs, EVP_PKEY *key,
    struct tlsagen_rec **recs, char *err, size_t errlen)
{
	struct cert_facts	 f;
	struct tlsa		*t;
	X509			*x;
	int			 i, n = 0, u, s, m, ca, count, srv;

	*recs = NULL;
	count = certs != NULL ? sk_X509_num(certs) : 0;
	if (certs == NULL) {
		defaults(g, 0, 1, &u, &s, &m);
		if ((t = tlsa_make(NULL, key, u, s, m, err, errlen)) == NULL)
			return -1;
		if (add(recs, &n, t, "", 0) < 0)
			goto nomem;
		return n;
	}
	if ((srv = tlsagen_server(g, certs)) < 0)
		goto nomem;
	for (i = 0; i < count; i++) {
		x = sk_X509_value(certs, i);
		if (cert_facts(x, &f) < 0)
			goto nomem;
		/* The server's own is no CA's whatever its basicConstraints;
		   the first of CA certificates only is one. */
		ca = i == 0 ? !srv : f.is_ca;
		defaults(g, ca, 0, &u, &s, &m);
		/* 1 and 3 are for the server's own, 0 and 2 for a CA. */
		if (count > 1 && g->usage >= 0 && ((u & 1) ? i > 0 : i == 0 &&
		    srv)) {
			cert_facts_free(&f);
			continue;
		}
		if ((t = tlsa_make(x, NULL, u, s, m, err, errlen)) == NULL) {
			cert_facts_free(&f);
			tlsagen_free(*recs, n);
			*recs = NULL;
			return -1;
		}
		if (add(recs, &n, t, f.subject, i) < 0) {
			cert_facts_free(&f);
			goto nomem;
		}
		cert_facts_free(&f);
	}
	if (n == 0) {
		snprintf(err, errlen, "no certificate for usage %d (%s)",
		    g->usage, tlsa_usage_name(g->usage));
		return -1;
	}
	return n;
nomem:
	tlsagen_free(*recs, n);
	*recs = NULL;
	snprintf(err, errlen, "out of memory");
	errno = ENOMEM;
	return -1;
}

void
tlsagen_free(struct tlsagen_rec *recs, int n)
{
	int	i;

	for (i = 0; i < n; i++)
		free(recs[i].tlsa);
	free(recs);
}

int
tlsagen_owner(char *buf, size_t size, const char *host, int port)
{
	char	h[256];
	size_t	n;
	int	w;

	if ((n = strlen(host)) == 0 || n >= sizeof h || is_address(host))
		return -1;
	memcpy(h, host, n + 1);
	if (h[n - 1] == '.')
		h[--n] = '\0';
	if (n == 0)
		return -1;
	for (n = 0; h[n] != '\0'; n++)
		if (h[n] >= 'A' && h[n] <= 'Z')
			h[n] += 'a' - 'A';
	w = snprintf(buf, size, "_%d._tcp.%s.", port, h);
	return w < 0 || (size_t)w >= size ? -1 : 0;
}

char *
tlsagen_host(const struct tlsagen *g, STACK_OF(X509) *certs)
{
	struct cert_facts	 f;
	char			*h = NULL;
	size_t			 i;

	if (tlsagen_server(g, certs) != 1 ||
	    cert_facts(sk_X509_value(certs, 0), &f) < 0)
		return NULL;
	for (i = 0; i < f.nnames && h == NULL; i++)
		if (host_name(f.names[i], 0))
			h = strdup(f.names[i]);
	cert_facts_free(&f);
	return h;
}

/* The addresses of host: the address itself, or its A then AAAA records. */
static int
addresses(struct dns *dns, const char *host, struct dns_addr **addrs,
    size_t *n, char *err, size_t errlen)
{
	struct dns_addr	*v;
	enum dns_status	 st;
	char		 why[256];

	*addrs = NULL;
	*n = 0;
	if ((v = calloc(1, sizeof *v)) == NULL)
		return MX_SOFTWARE;
	if ((v->af = is_address(host)) != 0) {
		inet_pton(v->af, host, v->a);
		*addrs = v;
		*n = 1;
		return MX_OK;
	}
	free(v);
	st = dns_addrs(dns, host, AF_UNSPEC, addrs, n, why, sizeof why);
	if (st != DNS_OK) {
		snprintf(err, errlen, "cannot look up '%s': %s", host, why);
		return st == DNS_TEMPFAIL ? MX_TEMPFAIL : MX_UNAVAILABLE;
	}
	return MX_OK;
}

STACK_OF(X509) *
tlsagen_fetch(SSL_CTX *ctx, struct dns *dns, const char *host, int port,
    const char *helo, const char *sni, int timeout, int *status, char *err,
    size_t errlen)
{
	struct dns_addr	*addrs;
	struct smtp	 s;
	struct tls_info	 info;
	STACK_OF(X509)	*chain = NULL;
	size_t		 n, i;
	char		 why[256];

	if ((*status = addresses(dns, host, &addrs, &n, err, errlen)) != 0) {
		if (*status == MX_SOFTWARE)
			snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*status = MX_UNAVAILABLE;
	for (i = 0; i < n && chain == NULL; i++) {
		memset(&info, 0, sizeof info);
		why[0] = '\0';
		if (smtp_connect(&s, &addrs[i], port, timeout, why,
		    sizeof why) != SMTP_OK) {
			snprintf(err, errlen, "cannot connect to '%s': %s",
			    host, why);
			continue;
		}
		if (smtp_starttls(&s, helo, NULL, NULL, why, sizeof why) ==
		    SMTP_OK && tls_start(ctx, &s, NULL, sni, &info, why,
		    sizeof why) == SMTP_OK && info.chain != NULL &&
		    sk_X509_num(info.chain) > 0) {
			if ((chain = X509_chain_up_ref(info.chain)) == NULL) {
				*status = MX_SOFTWARE;
				snprintf(err, errlen, "out of memory");
			} else
				*status = MX_OK;
		} else
			snprintf(err, errlen, "cannot start TLS with '%s' at "
			    "%s: %s", host, s.peer, why[0] ? why :
			    "no certificate");
		tls_info_free(&info);
		smtp_close(&s);
		if (*status == MX_SOFTWARE)
			break;
	}
	free(addrs);
	return chain;
}
