/*
 * DANE for SMTP as a sending MTA applies it (RFC 7672): the lookups, the
 * sessions, and what a sender would do with each host.  Each host is
 * checked in a thread of its own with its own resolver and validator, so
 * that a domain takes about as long as its slowest host.
 */
#include "config.h"

#include <sys/types.h>
#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <ldns/ldns.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "cli.h"
#include "dane.h"

/* Host threads of one domain at once; more hosts wait for a free one. */
#define HOST_THREADS	16
/* A host's lookups: A, AAAA, TLSA at the expanded name, at the original. */
#define HOST_LOOKUPS	4
/* A line of the stream longer than this is no domain name. */
#define STREAM_LINE_MAX	1024
/*
 * Addresses checked a host, at once: Postfix tries no more than its
 * smtp_mx_address_limit (5) either, and without a limit a host with many
 * silent addresses would hold the check for the timeout times their number.
 */
#define HOST_ADDRS	5

struct resolver {
	struct dns	*dns;
	struct dnssec	*sec;
};

struct hostrun {
	const struct dane_cfg	*cfg;
	struct dane_host	*hosts;
	size_t			 nhosts;
	const char		*nexthop;	/* NULL: MX not secure */
	pthread_mutex_t		 mu;
	size_t			 next;
};

static const char *const verdict_names[] = {
	"verified", "no-tlsa", "insecure", "unusable", "mismatch",
	"tls-failed", "unreachable", "bogus", "tempfail"
};

const char *
dane_verdict_name(enum dane_verdict v)
{
	if ((size_t)v >= sizeof verdict_names / sizeof verdict_names[0])
		return "tempfail";
	return verdict_names[v];
}

static time_t
cfg_now(const struct dane_cfg *cfg)
{
	return cfg->now != 0 ? cfg->now : time(NULL);
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s += 'a' - 'A';
}

/* "name" without its final dot, lower case, into buf. */
static void
plain_name(char *buf, size_t size, const char *name)
{
	size_t	n;

	snprintf(buf, size, "%s", name);
	n = strlen(buf);
	if (n > 1 && buf[n - 1] == '.')
		buf[n - 1] = '\0';
	lower(buf);
}

static int
resolver_open(const struct dane_cfg *cfg, struct resolver *r, char *err,
    size_t errlen)
{
	int	 e;

	r->sec = NULL;
	if ((r->dns = dns_new(cfg->resolver, cfg->zone, cfg->timeout, err,
	    errlen)) == NULL)
		return dns_new_status(errno);
	if ((r->sec = dnssec_new(r->dns, cfg->anchor, cfg->trust_ad, cfg->now,
	    err, errlen)) == NULL) {
		e = errno;
		dns_free(r->dns);
		r->dns = NULL;
		return dns_new_status(e);
	}
	return 0;
}

static void
resolver_close(struct resolver *r)
{
	dnssec_free(r->sec);
	dns_free(r->dns);
}

int
dane_init(const struct dane_cfg *cfg, char *err, size_t errlen)
{
	struct resolver	 r;
	int		 rc;

	if ((rc = resolver_open(cfg, &r, err, errlen)) != 0)
		return rc;
	resolver_close(&r);
	return 0;
}

/* Append a copy of the line to a list of lines; the list stays as it was
   when out of memory (a warning is not worth failing the check for). */
static void
line_add(char ***v, size_t *n, const char *fmt, ...)
{
	va_list	 ap;
	char	*s, **nv;
	size_t	 i;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) == -1) {
		va_end(ap);
		return;
	}
	va_end(ap);
	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i], s) == 0) {
			free(s);
			return;
		}
	if ((nv = reallocarray(*v, *n + 1, sizeof *nv)) == NULL) {
		free(s);
		return;
	}
	nv[(*n)++] = s;
	*v = nv;
}

static void
lines_free(char **v, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void
lookup_set(struct dane_lookup *l, const char *what, const char *name,
    const struct dnssec_answer *a)
{
	memset(l, 0, sizeof *l);
	snprintf(l->what, sizeof l->what, "%s", what);
	plain_name(l->name, sizeof l->name, name);
	if (a->nnames > 0)
		plain_name(l->owner, sizeof l->owner, a->names[a->nnames - 1]);
	else
		snprintf(l->owner, sizeof l->owner, "%s", l->name);
	l->status = a->status;
	l->sec = a->sec;
	l->expires = a->sec == DNSSEC_SECURE ? a->expires : 0;
	snprintf(l->reason, sizeof l->reason, "%s", a->reason);
}

/*
 * Look up type at name and keep the lookup in the host's list, which has
 * room for HOST_LOOKUPS, so that a pointer to one stays good.  The answer
 * is the caller's to free.
 */
static struct dane_lookup *
host_lookup(struct dane_host *h, struct resolver *r, const char *what,
    const char *name, int type, struct dnssec_answer *a)
{
	struct dane_lookup	*l;

	memset(a, 0, sizeof *a);
	dnssec_lookup(r->sec, name, type, a);
	if (h->nlookups >= HOST_LOOKUPS)
		return NULL;
	l = &h->lookups[h->nlookups++];
	lookup_set(l, what, name, a);
	return l;
}

static void
verdict(struct dane_host *h, enum dane_verdict v, int deliverable,
    const char *fmt, ...)
{
	va_list	ap;

	h->verdict = v;
	h->deliverable = deliverable;
	va_start(ap, fmt);
	vsnprintf(h->note, sizeof h->note, fmt, ap);
	va_end(ap);
}

/* A failed lookup decides the host (RFC 7672 2.1.1): never a downgrade. */
static int
lookup_failed(struct dane_host *h, const struct dane_lookup *l)
{
	const char	*type;

	type = l->what;
	if (l->status == DNS_TEMPFAIL) {
		verdict(h, DANE_TEMPFAIL, 0, "%s lookup of '%s' failed (%s): "
		    "a sender defers delivery here and retries", type, l->name,
		    l->reason[0] != '\0' ? l->reason : "temporary error");
		return 1;
	}
	if (l->sec == DNSSEC_BOGUS) {
		verdict(h, DANE_BOGUS, 0, "%s lookup of '%s' is bogus (%s): "
		    "a DANE sender skips this host", type, l->name,
		    l->reason[0] != '\0' ? l->reason : "no valid signature");
		return 1;
	}
	if (l->status == DNS_PERMFAIL) {
		verdict(h, DANE_UNREACHABLE, 0, "%s lookup of '%s' failed for "
		    "good (%s): a sender skips this host", type, l->name,
		    l->reason);
		return 1;
	}
	return 0;
}

static int
addrs_add(struct dane_host *h, const struct dnssec_answer *a, int af)
{
	struct dane_addr	*v;
	size_t			 i, len;

	len = af == AF_INET ? 4 : 16;
	for (i = 0; i < a->nrr; i++) {
		if (a->rdlen[i] != len)
			continue;
		v = reallocarray(h->addrs, h->naddrs + 1, sizeof *v);
		if (v == NULL)
			return -1;
		h->addrs = v;
		v = &h->addrs[h->naddrs++];
		memset(v, 0, sizeof *v);
		v->addr.af = af;
		memcpy(v->addr.a, a->rdata[i], len);
		inet_ntop(af, v->addr.a, v->text, sizeof v->text);
		v->tls.depth = -1;
		v->tls.matched = -1;
	}
	return 0;
}

/*
 * Addresses in one order whatever order the resolver gave them in (one
 * that rotates its RRsets would change the report at every run): IPv4
 * first, then by their bytes.
 */
static int
by_addr(const void *a, const void *b)
{
	const struct dane_addr	*x = a, *y = b;

	if (x->addr.af != y->addr.af)
		return x->addr.af == AF_INET ? -1 : 1;
	return memcmp(x->addr.a, y->addr.a, x->addr.af == AF_INET ? 4 : 16);
}

/* Two RDATA in canonical order (RFC 4034 6.3). */
static int
rdata_cmp(const struct dnssec_answer *r, size_t i, size_t j)
{
	size_t	n;
	int	c;

	n = r->rdlen[i] < r->rdlen[j] ? r->rdlen[i] : r->rdlen[j];
	if ((c = memcmp(r->rdata[i], r->rdata[j], n)) != 0)
		return c;
	return r->rdlen[i] < r->rdlen[j] ? -1 : r->rdlen[i] > r->rdlen[j];
}

/* Keep the records of a TLSA answer, each judged usable or not. */
static int
tlsa_keep(struct dane_host *h, const struct dnssec_answer *a)
{
	struct tlsa	*t;
	char		 why[256];
	size_t		 i, j, k, *order;

	h->tlsa = calloc(a->nrr + 1, sizeof *h->tlsa);
	h->unusable = calloc(a->nrr + 1, sizeof *h->unusable);
	if (h->tlsa == NULL || h->unusable == NULL ||
	    (order = calloc(a->nrr + 1, sizeof *order)) == NULL)
		return -1;
	/* in canonical order, not the resolver's (a few records: an
	   insertion sort) */
	for (j = 0; j < a->nrr; j++) {
		for (k = j; k > 0 && rdata_cmp(a, order[k - 1], j) > 0; k--)
			order[k] = order[k - 1];
		order[k] = j;
	}
	for (j = 0; j < a->nrr; j++) {
		i = order[j];
		if ((t = tlsa_from_rdata(a->rdata[i], a->rdlen[i], why,
		    sizeof why)) == NULL) {
			line_add(&h->warnings, &h->nwarnings, "a TLSA record "
			    "of %zu bytes cannot be read: %s", a->rdlen[i],
			    why);
			continue;
		}
		h->tlsa[h->ntlsa] = t;
		if (a->sec != DNSSEC_SECURE)
			snprintf(why, sizeof why, "not DNSSEC-secure");
		else if (tlsa_usable(t, why, sizeof why))
			why[0] = '\0';
		if (why[0] != '\0' && (h->unusable[h->ntlsa] = strdup(why)) ==
		    NULL) {
			free(order);
			return -1;
		}
		h->ntlsa++;
	}
	free(order);
	return 0;
}

static double
elapsed(const struct timespec *t0)
{
	struct timespec	t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - t0->tv_sec) + (t.tv_nsec - t0->tv_nsec) / 1e9;
}

/*
 * Connect to one address, STARTTLS and the handshake (with DANE when td is
 * given).  Returns 1 when a connection was made at all.
 */
static int
session(const struct dane_cfg *cfg, struct dane_host *h, struct dane_addr *a,
    const struct tls_dane *td)
{
	struct smtp	 s;
	struct timespec	 t0;
	int		 connected = 0;

	memset(&s, 0, sizeof s);
	s.fd = -1;
	a->tried = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	a->fail = smtp_connect(&s, &a->addr, h->port, cfg->timeout, a->error,
	    sizeof a->error);
	if (a->fail == SMTP_OK) {
		connected = 1;
		a->fail = smtp_starttls(&s, cfg->helo != NULL ? cfg->helo :
		    "localhost", NULL, NULL, a->error, sizeof a->error);
	}
	if (a->fail == SMTP_OK)
		a->fail = tls_start(cfg->ctx, &s, td, NULL, &a->tls, a->error,
		    sizeof a->error);
	a->seconds = elapsed(&t0);
	smtp_close(&s);
	return connected;
}

struct addrrun {
	const struct dane_cfg	*cfg;
	struct dane_host	*h;
	struct dane_addr	*a;
	const struct tls_dane	*td;
	int			 connected;
	int			 threaded;
	pthread_t		 thr;
};

static void *
addr_worker(void *arg)
{
	struct addrrun	*r = arg;

	r->connected = session(r->cfg, r->h, r->a, r->td);
	return NULL;
}

/*
 * The first n addresses of the host, each in a thread of its own (inline
 * when none starts), so that the host takes as long as its slowest one;
 * conn[i] set for each that accepted a connection.
 */
static void
sessions_run(const struct dane_cfg *cfg, struct dane_host *h, size_t n,
    const struct tls_dane *td, char *conn)
{
	struct addrrun	 run[HOST_ADDRS];
	size_t		 i;

	for (i = 0; i < n; i++) {
		run[i].cfg = cfg;
		run[i].h = h;
		run[i].a = &h->addrs[i];
		run[i].td = td;
		run[i].connected = 0;
		run[i].threaded = i > 0 && pthread_create(&run[i].thr, NULL,
		    addr_worker, &run[i]) == 0;
	}
	for (i = 0; i < n; i++)
		if (!run[i].threaded)
			addr_worker(&run[i]);
	for (i = 0; i < n; i++) {
		if (run[i].threaded)
			pthread_join(run[i].thr, NULL);
		conn[i] = run[i].connected != 0;
	}
}

/* Index of the record the session matched, in h->tlsa, or -1. */
static int
matched_index(const struct dane_host *h, int usable_index)
{
	size_t	i;
	int	k = 0;

	if (usable_index < 0)
		return -1;
	for (i = 0; i < h->ntlsa; i++)
		if (h->unusable[i] == NULL && k++ == usable_index)
			return (int)i;
	return -1;
}

static int
same_record(const struct tlsa *a, const struct tlsa *b)
{
	return a->usage == b->usage && a->selector == b->selector &&
	    a->mtype == b->mtype && a->len == b->len &&
	    memcmp(a->data, b->data, a->len) == 0;
}

/*
 * The certificates that issued the leaf, nearest first, as X509_check_issued
 * finds them among those the server sent (not the order it sent them in: a
 * stray certificate in the chain issued nothing).  n of them in v, which
 * has room for the chain's length.
 */
static size_t
issuers(STACK_OF(X509) *chain, X509 **v)
{
	X509	*x, *c;
	size_t	 n = 0, k;
	int	 i, max = sk_X509_num(chain);

	x = sk_X509_value(chain, 0);
	while (n + 1 < (size_t)max) {
		for (i = 1; i < max; i++) {
			c = sk_X509_value(chain, i);
			if (c == x || X509_check_issued(c, x) != X509_V_OK)
				continue;
			for (k = 0; k < n && v[k] != c; k++)
				;
			if (k == n)
				break;
		}
		if (i == max)
			break;
		x = v[n++] = sk_X509_value(chain, i);
	}
	return n;
}

/* The usable record of the host that is t, or NULL. */
static const struct tlsa *
published(const struct dane_host *h, const struct tlsa *t)
{
	size_t	i;

	for (i = 0; i < h->ntlsa; i++)
		if (h->unusable[i] == NULL && same_record(h->tlsa[i], t))
			return h->tlsa[i];
	return NULL;
}

/*
 * RFC 7671 9, digest agility, as OpenSSL applies it: of the usable
 * records of one usage and selector, only those of the strongest digest
 * (SHA-512 over SHA-256) count.  The first such record of t's usage and
 * selector with a stronger digest than t's, or NULL.
 */
static const struct tlsa *
outranked(const struct dane_host *h, const struct tlsa *t)
{
	size_t	i;

	if (t->mtype != 1 /* SHA-256 */)
		return NULL;
	for (i = 0; i < h->ntlsa; i++)
		if (h->unusable[i] == NULL && h->tlsa[i]->usage == t->usage &&
		    h->tlsa[i]->selector == t->selector &&
		    h->tlsa[i]->mtype == 2 /* SHA-512 */)
			return h->tlsa[i];
	return NULL;
}

static void
subject_of(X509 *x, char *buf, size_t size)
{
	struct cert_facts	f;

	snprintf(buf, size, "?");
	if (cert_facts(x, &f) == 0) {
		snprintf(buf, size, "%s", f.subject);
		cert_facts_free(&f);
	}
}

/* Why a published record that matches its certificate did not verify. */
static void
why_published(struct dane_host *h, const struct dane_addr *a,
    const struct tlsa *t, X509 *x, const char *nexthop)
{
	const struct tlsa	*o;
	X509			*leaf = sk_X509_value(a->tls.chain, 0);
	char			*ts, *os, subj[256];

	ts = tlsa_text(t);
	if ((o = outranked(h, t)) != NULL) {
		os = tlsa_text(o);
		line_add(&h->warnings, &h->nwarnings, "the record %s matches "
		    "the chain of %s, but the record %s of the same usage and "
		    "selector does not, and its stronger digest outranks the "
		    "SHA-256 one (digest agility, RFC 7671 9): replace or "
		    "remove the stale SHA-512 record", ts != NULL ? ts : "?",
		    a->text, os != NULL ? os : "?");
		free(os);
	} else if (t->usage == TLSA_DANE_TA &&
	    X509_check_host(leaf, h->base, 0, 0, NULL) != 1 &&
	    (nexthop == NULL ||
	    X509_check_host(leaf, nexthop, 0, 0, NULL) != 1))
		line_add(&h->warnings, &h->nwarnings, "the %s record %s "
		    "matches the chain of %s, but the certificate names "
		    "neither the TLSA base domain '%s' nor any other "
		    "reference identifier", tlsa_usage_name(t->usage),
		    ts != NULL ? ts : "?", a->text, h->base);
	else {
		subject_of(x, subj, sizeof subj);
		line_add(&h->warnings, &h->nwarnings, "the record %s matches "
		    "'%s' in the chain of %s%s, yet the chain did not verify: "
		    "%s", ts != NULL ? ts : "?", subj, a->text,
		    t->usage == TLSA_DANE_TA ? " and the leaf names the TLSA "
		    "base domain" : "", a->tls.verify_text[0] != '\0' ?
		    a->tls.verify_text : "no reason given");
	}
	free(ts);
}

/*
 * After a mismatch: for each (usage, selector, mtype) the usable records
 * use, the record that the live chain would match: the leaf's for 3 S M,
 * the leaf's issuer's for 2 S M.  One that is published already did not
 * fail on a rollover: say what it failed on instead.
 */
static void
rollover(struct dane_host *h, const struct dane_addr *a, const char *nexthop)
{
	STACK_OF(X509)	*chain = a->tls.chain;
	struct tlsa	*t, **v;
	X509		*x, **up = NULL;
	char		 err[128], subj[256], *ts;
	size_t		 i, j, k, nup = 0;
	int		 c;

	if (chain == NULL || sk_X509_num(chain) < 1)
		return;
	if ((up = calloc(sk_X509_num(chain), sizeof *up)) == NULL)
		return;
	nup = issuers(chain, up);
	for (i = 0; i < h->ntlsa; i++) {
		if (h->unusable[i] != NULL)
			continue;
		for (j = 0; j < i; j++)
			if (h->unusable[j] == NULL &&
			    h->tlsa[j]->usage == h->tlsa[i]->usage &&
			    h->tlsa[j]->selector == h->tlsa[i]->selector &&
			    h->tlsa[j]->mtype == h->tlsa[i]->mtype)
				break;
		if (j < i)
			continue;
		if (h->tlsa[i]->usage == TLSA_DANE_TA) {
			/* a record of a certificate that issued nothing */
			for (c = 1; c < sk_X509_num(chain); c++) {
				x = sk_X509_value(chain, c);
				for (k = 0; k < nup && up[k] != x; k++)
					;
				if (k < nup)
					continue;
				if ((t = tlsa_make(x, NULL, h->tlsa[i]->usage,
				    h->tlsa[i]->selector, h->tlsa[i]->mtype,
				    err, sizeof err)) == NULL)
					continue;
				if (published(h, t) != NULL) {
					subject_of(x, subj, sizeof subj);
					ts = tlsa_text(t);
					line_add(&h->warnings, &h->nwarnings,
					    "the record %s matches '%s', which "
					    "%s sends but which did not issue "
					    "its leaf", ts != NULL ? ts : "?",
					    subj, a->text);
					free(ts);
				}
				free(t);
			}
			/* the issuers, nearest first: the would-be record
			   is the nearest one's */
			t = NULL;
			for (k = nup; k-- > 0; ) {
				free(t);
				if ((t = tlsa_make(up[k], NULL,
				    h->tlsa[i]->usage, h->tlsa[i]->selector,
				    h->tlsa[i]->mtype, err, sizeof err)) ==
				    NULL)
					break;
				if (published(h, t) != NULL) {
					why_published(h, a, t, up[k], nexthop);
					free(t);
					t = NULL;
					break;
				}
			}
			if (t == NULL)
				continue;
		} else {
			x = sk_X509_value(chain, 0);
			if ((t = tlsa_make(x, NULL, h->tlsa[i]->usage,
			    h->tlsa[i]->selector, h->tlsa[i]->mtype, err,
			    sizeof err)) == NULL)
				continue;
			if (published(h, t) != NULL) {
				why_published(h, a, t, x, nexthop);
				free(t);
				continue;
			}
		}
		if ((v = reallocarray(h->would_match, h->nwould + 1,
		    sizeof *v)) == NULL) {
			free(t);
			continue;
		}
		h->would_match = v;
		v[h->nwould++] = t;
	}
	free(up);
	if (h->nwould > 0)
		line_add(&h->warnings, &h->nwarnings, "no usable TLSA record "
		    "matches the chain of %s (a rollover without its new "
		    "record?): the records that would match are listed",
		    a->text);
}

static void
warn_expiry(struct dane_host *h, const char *what, time_t t, time_t now,
    int days)
{
	char	when[32];

	/* what has expired is told whatever days says */
	if (t == 0 || (t > now && (days <= 0 ||
	    t - now > (time_t)days * 86400)))
		return;
	cert_time(t, when, sizeof when);
	if (t <= now)
		line_add(&h->warnings, &h->nwarnings, "%s expired %s", what,
		    when);
	else
		line_add(&h->warnings, &h->nwarnings, "%s expires %s, in %lld "
		    "days", what, when, (long long)((t - now) / 86400));
}

/*
 * --warn-days: every certificate of every chain and every RRSIG; and a
 * certificate already expired always, though DANE-EE takes it (RFC 7672
 * 3.1.1), since a sender that falls back to PKIX does not.
 */
static void
warnings(const struct dane_cfg *cfg, struct dane_host *h)
{
	struct cert_facts	 f;
	char			 what[400];
	time_t			 now = cfg_now(cfg);
	size_t			 i;
	int			 j;

	for (i = 0; cfg->warn_days > 0 && i < h->nlookups; i++) {
		snprintf(what, sizeof what, "the RRSIG of the %s lookup of "
		    "'%s'", h->lookups[i].what, h->lookups[i].name);
		warn_expiry(h, what, h->lookups[i].expires, now,
		    cfg->warn_days);
	}
	for (i = 0; i < h->naddrs; i++) {
		if (h->addrs[i].tls.chain == NULL)
			continue;
		for (j = 0; j < sk_X509_num(h->addrs[i].tls.chain); j++) {
			if (cert_facts(sk_X509_value(h->addrs[i].tls.chain, j),
			    &f) == -1)
				continue;
			snprintf(what, sizeof what, "the certificate '%s'",
			    f.subject);
			warn_expiry(h, what, f.not_after, now, cfg->warn_days);
			cert_facts_free(&f);
		}
	}
}

/* Why there is no DANE for a host with no TLSA or an insecure lookup. */
static void
insecure_why(const struct dane_host *h, enum dane_verdict v, char *buf,
    size_t size)
{
	size_t	i;

	snprintf(buf, size, "no TLSA records, no DANE");
	if (v != DANE_INSECURE)
		return;
	for (i = 0; i < h->nlookups; i++)
		if (h->lookups[i].sec == DNSSEC_INSECURE) {
			snprintf(buf, size, "the %s lookup of '%s' is "
			    "insecure, no DANE", h->lookups[i].what,
			    h->lookups[i].name);
			return;
		}
	snprintf(buf, size, "an insecure lookup, no DANE");
}

/* The addresses past the limit, named in one warning. */
static void
unchecked(struct dane_host *h, size_t from)
{
	char	list[512];
	size_t	i, o = 0;
	int	r;

	list[0] = '\0';
	for (i = from; i < h->naddrs; i++) {
		r = snprintf(list + o, sizeof list - o, "%s%s", i > from ?
		    " " : "", h->addrs[i].text);
		if (r < 0 || (size_t)r >= sizeof list - o) {
			snprintf(list + o, sizeof list - o, " ...");
			break;
		}
		o += r;
	}
	line_add(&h->warnings, &h->nwarnings, "%zu of the %zu addresses not "
	    "checked, past the limit of %d a host (as Postfix's "
	    "smtp_mx_address_limit): %s", h->naddrs - from, h->naddrs,
	    HOST_ADDRS, list);
}

/*
 * Connect to the first HOST_ADDRS addresses, all at once: with DANE when
 * usable records were found (RFC 7672 3), else opportunistic TLS, which is
 * what a sender does then, so that the report shows the session.  The
 * verdict so far (no-tlsa, insecure, unusable, or verified when DANE
 * applies) becomes the host's.
 */
static void
sessions(const struct dane_cfg *cfg, struct dane_host *h,
    enum dane_verdict v, const char *nexthop)
{
	struct tls_dane	 td, *tdp = NULL;
	struct tlsa	**usable = NULL;
	const char	*names[1];
	size_t		 i, n = 0, connected = 0, tls = 0, ok = 0, bad = 0;
	size_t		 mism = 0, plain = 0, nchk;
	struct dane_addr *first_bad = NULL;
	char		*conn, why[512];

	if (v == DANE_VERIFIED) {
		if ((usable = calloc(h->ntlsa, sizeof *usable)) == NULL) {
			verdict(h, DANE_TEMPFAIL, 0, "out of memory");
			return;
		}
		for (i = 0; i < h->ntlsa; i++)
			if (h->unusable[i] == NULL) {
				usable[n++] = h->tlsa[i];
				h->usage_mask |= 1 << h->tlsa[i]->usage;
			}
		memset(&td, 0, sizeof td);
		td.now = cfg->now;
		td.base = h->base;
		/* RFC 7672 3.2.2: the next-hop domain only when the MX
		   lookup was secure */
		if (nexthop != NULL && strcasecmp(nexthop, h->base) != 0) {
			names[0] = nexthop;
			td.names = names;
			td.nnames = 1;
		}
		td.tlsa = usable;
		td.ntlsa = n;
		tdp = &td;
	}
	if ((conn = calloc(h->naddrs, 1)) == NULL) {
		free(usable);
		verdict(h, DANE_TEMPFAIL, 0, "out of memory");
		return;
	}
	nchk = h->naddrs < HOST_ADDRS ? h->naddrs : HOST_ADDRS;
	sessions_run(cfg, h, nchk, tdp, conn);
	for (i = 0; i < nchk; i++) {
		struct dane_addr *a = &h->addrs[i];

		if (!conn[i])
			continue;
		connected++;
		if (a->fail != SMTP_OK) {
			bad++;
			/* without TLSA a sender goes on in clear text */
			if (a->fail == SMTP_NOTLS || a->fail == SMTP_TLS)
				plain++;
			continue;
		}
		tls++;
		if (tdp == NULL)
			continue;
		a->tls.matched = matched_index(h, a->tls.matched);
		if (a->tls.verified)
			ok++;
		else {
			mism++;
			if (first_bad == NULL)
				first_bad = a;
		}
	}
	free(usable);
	if (first_bad != NULL)
		rollover(h, first_bad, nexthop);
	warnings(cfg, h);
	/* a sender tries the next address: not the host's verdict */
	for (i = 0; connected > 0 && i < nchk; i++)
		if (!conn[i])
			line_add(&h->warnings, &h->nwarnings, "no connection "
			    "to %s: %s", h->addrs[i].text, h->addrs[i].error);
	free(conn);
	if (nchk < h->naddrs)
		unchecked(h, nchk);
	if (connected == 0) {
		verdict(h, DANE_UNREACHABLE, 0, "no address accepts a "
		    "connection: a sender tries the next MX host");
		return;
	}
	switch (v) {
	case DANE_VERIFIED:
		h->tls_dane = ok > 0 && mism == 0 && bad == 0;
		if (bad > 0)
			verdict(h, DANE_TLS_FAILED, 0, "TLSA records make TLS "
			    "mandatory and STARTTLS failed: a DANE sender "
			    "defers delivery here");
		else if (mism > 0)
			verdict(h, DANE_MISMATCH, 0, "no usable TLSA record "
			    "matches the server's chain: a DANE sender "
			    "defers delivery here");
		else
			verdict(h, DANE_VERIFIED, 1, "a DANE sender delivers "
			    "here with authenticated TLS");
		break;
	case DANE_UNUSABLE:
		if (bad > 0)
			verdict(h, DANE_TLS_FAILED, 0, "TLSA records make TLS "
			    "mandatory and STARTTLS failed: a DANE sender "
			    "defers delivery here");
		else
			verdict(h, v, 1, "no usable TLSA record: a DANE sender "
			    "delivers here with TLS, unauthenticated");
		break;
	default:
		insecure_why(h, v, why, sizeof why);
		if (tls + plain == 0)
			verdict(h, v, 0, "%s, and no address gets as far as "
			    "STARTTLS: a sender defers delivery here", why);
		else
			verdict(h, v, 1, "%s: a sender delivers here %s", why,
			    tls > 0 ? "with unauthenticated TLS" :
			    "in clear text");
		break;
	}
}

static void
check_host(const struct dane_cfg *cfg, struct dane_host *h,
    const char *nexthop)
{
	struct resolver		 r;
	struct dnssec_answer	 a4, a6, t;
	struct dane_lookup	*l4, *l6, *lt = NULL;
	char			 err[256], qname[300], expanded[256];
	const struct dnssec_answer *chain;

	h->verdict = DANE_TEMPFAIL;
	if ((h->lookups = calloc(HOST_LOOKUPS, sizeof *h->lookups)) == NULL) {
		verdict(h, DANE_TEMPFAIL, 0, "out of memory");
		return;
	}
	if (resolver_open(cfg, &r, err, sizeof err) != 0) {
		verdict(h, DANE_TEMPFAIL, 0, "%s", err);
		return;
	}
	l4 = host_lookup(h, &r, "a", h->name, LDNS_RR_TYPE_A, &a4);
	l6 = host_lookup(h, &r, "aaaa", h->name, LDNS_RR_TYPE_AAAA, &a6);
	if (l4 == NULL || l6 == NULL) {
		verdict(h, DANE_TEMPFAIL, 0, "out of memory");
		goto done;
	}
	/* a bogus answer anywhere outranks a failure elsewhere */
	if ((a4.sec == DNSSEC_BOGUS && a4.status != DNS_TEMPFAIL &&
	    lookup_failed(h, l4)) || (a6.sec == DNSSEC_BOGUS &&
	    a6.status != DNS_TEMPFAIL && lookup_failed(h, l6)) ||
	    lookup_failed(h, l4) || lookup_failed(h, l6))
		goto done;
	if (addrs_add(h, &a4, AF_INET) == -1 ||
	    addrs_add(h, &a6, AF_INET6) == -1) {
		verdict(h, DANE_TEMPFAIL, 0, "out of memory");
		goto done;
	}
	if (h->naddrs > 1)
		qsort(h->addrs, h->naddrs, sizeof *h->addrs, by_addr);
	if (h->naddrs == 0) {
		verdict(h, DANE_UNREACHABLE, 0, "'%s' has no address: a sender "
		    "skips this host", h->name);
		goto done;
	}
	/* RFC 7672 2.2.3: no TLSA lookup unless the addresses are secure */
	if (a4.sec != DNSSEC_SECURE || a6.sec != DNSSEC_SECURE) {
		sessions(cfg, h, DANE_INSECURE, nexthop);
		goto done;
	}
	/*
	 * RFC 7672 2.2.2: over a secure CNAME chain the expanded name is
	 * tried first; the original name when it has no secure TLSA.
	 */
	chain = a4.status == DNS_OK ? &a4 : &a6;
	expanded[0] = '\0';
	if (chain->nnames > 1 && chain->chain_sec == DNSSEC_SECURE)
		plain_name(expanded, sizeof expanded,
		    chain->names[chain->nnames - 1]);
	memset(&t, 0, sizeof t);
	if (expanded[0] != '\0' && strcasecmp(expanded, h->name) != 0) {
		snprintf(qname, sizeof qname, "_%d._tcp.%s", h->port, expanded);
		if ((lt = host_lookup(h, &r, "tlsa", qname, LDNS_RR_TYPE_TLSA,
		    &t)) == NULL) {
			verdict(h, DANE_TEMPFAIL, 0, "out of memory");
			goto done_t;
		}
		if (lookup_failed(h, lt))
			goto done_t;
		if (t.status == DNS_OK && t.sec == DNSSEC_SECURE)
			snprintf(h->base, sizeof h->base, "%s", expanded);
		else {
			dnssec_answer_free(&t);
			memset(&t, 0, sizeof t);
			lt = NULL;
		}
	}
	if (lt == NULL) {
		snprintf(qname, sizeof qname, "_%d._tcp.%s", h->port, h->name);
		if ((lt = host_lookup(h, &r, "tlsa", qname, LDNS_RR_TYPE_TLSA,
		    &t)) == NULL) {
			verdict(h, DANE_TEMPFAIL, 0, "out of memory");
			goto done_t;
		}
		if (lookup_failed(h, lt))
			goto done_t;
		snprintf(h->base, sizeof h->base, "%s", h->name);
	}
	if (t.status == DNS_OK && tlsa_keep(h, &t) == -1) {
		verdict(h, DANE_TEMPFAIL, 0, "out of memory");
		goto done_t;
	}
	if (t.sec != DNSSEC_SECURE)
		sessions(cfg, h, DANE_INSECURE, nexthop);
	else if (t.status != DNS_OK)
		sessions(cfg, h, DANE_NO_TLSA, nexthop);
	else {
		size_t	i, n = 0;

		for (i = 0; i < h->ntlsa; i++)
			if (h->unusable[i] == NULL)
				n++;
		sessions(cfg, h, n > 0 ? DANE_VERIFIED : DANE_UNUSABLE,
		    nexthop);
	}
	/* the SNI and DANE-TA's name only where DANE applied */
	if (h->usage_mask == 0)
		h->base[0] = '\0';
done_t:
	dnssec_answer_free(&t);
done:
	dnssec_answer_free(&a4);
	dnssec_answer_free(&a6);
	resolver_close(&r);
}

static void *
host_worker(void *arg)
{
	struct hostrun	*run = arg;
	size_t		 i;

	for (;;) {
		pthread_mutex_lock(&run->mu);
		i = run->next++;
		pthread_mutex_unlock(&run->mu);
		if (i >= run->nhosts)
			return NULL;
		check_host(run->cfg, &run->hosts[i], run->nexthop);
	}
}

/* Every host at once, up to HOST_THREADS; inline when no thread starts. */
static void
check_hosts(const struct dane_cfg *cfg, struct dane_host *hosts, size_t n,
    const char *nexthop)
{
	struct hostrun	 run;
	pthread_t	 thr[HOST_THREADS];
	size_t		 i, nthr;

	memset(&run, 0, sizeof run);
	run.cfg = cfg;
	run.hosts = hosts;
	run.nhosts = n;
	run.nexthop = nexthop;
	pthread_mutex_init(&run.mu, NULL);
	for (nthr = 0; nthr < n && nthr < HOST_THREADS; nthr++)
		if (pthread_create(&thr[nthr], NULL, host_worker, &run) != 0)
			break;
	host_worker(&run);
	for (i = 0; i < nthr; i++)
		pthread_join(thr[i], NULL);
	pthread_mutex_destroy(&run.mu);
}

/*
 * An MX RDATA: the preference, then the exchange in wire form, into a
 * name in text (lower case, no final dot, "" for the root).  -1 when
 * malformed or not a host name we can ask for.
 */
static int
mx_rdata(const uint8_t *p, size_t n, int *pref, char *buf, size_t size)
{
	size_t	i = 2, o = 0, len;

	if (n < 3 || size < 256)
		return -1;
	*pref = p[0] << 8 | p[1];
	while (i < n && p[i] != 0) {
		len = p[i++];
		if (len > 63 || i + len > n || o + len + 1 >= 255)
			return -1;
		if (o > 0)
			buf[o++] = '.';
		for (; len > 0; len--, i++) {
			/* no blank, dot or control byte in a host name */
			if (p[i] <= ' ' || p[i] == '.' || p[i] >= 0x7f)
				return -1;
			buf[o++] = p[i];
		}
	}
	if (i + 1 != n)
		return -1;
	buf[o] = '\0';
	lower(buf);
	return 0;
}

static int
by_pref(const void *a, const void *b)
{
	const struct dane_host	*x = a, *y = b;

	/* by name within a preference: the same order at every run */
	if (x->pref != y->pref)
		return x->pref < y->pref ? -1 : 1;
	return strcmp(x->name, y->name);
}

static void
domain_error(struct dane_domain *d, enum dane_verdict v, const char *fmt,
    ...)
{
	va_list	ap;

	d->verdict = v;
	d->status = v == DANE_TEMPFAIL ? MX_TEMPFAIL : MX_REJECT;
	va_start(ap, fmt);
	vsnprintf(d->error, sizeof d->error, fmt, ap);
	va_end(ap);
}

static int
status_rank(int st)
{
	switch (st) {
	case MX_OK:		return 0;
	case MX_TEMPFAIL:	return 1;
	case MX_REJECT:		return 2;
	default:		return 3;
	}
}

/*
 * The domain's verdict and exit status from its hosts', ranked alike: a
 * host found wrong outranks one that failed for a moment (a retry cannot
 * mend it), so the verdict is tempfail only when every host that failed
 * failed so, as the status is 75 only then.
 */
static int
domain_status(struct dane_domain *d)
{
	size_t	i;
	int	st = MX_OK;

	d->verdict = DANE_VERIFIED;
	for (i = 0; i < d->nhosts; i++) {
		if (d->hosts[i].verdict != DANE_TEMPFAIL &&
		    d->hosts[i].verdict > d->verdict)
			d->verdict = d->hosts[i].verdict;
		if (d->hosts[i].verdict == DANE_TEMPFAIL) {
			if (st == MX_OK)
				st = MX_TEMPFAIL;
		} else if (d->hosts[i].verdict != DANE_VERIFIED)
			st = MX_REJECT;
	}
	if (st == MX_TEMPFAIL)
		d->verdict = DANE_TEMPFAIL;
	return d->status = st;
}

static struct dane_host *
host_new(struct dane_domain *d, const char *name, int pref, int port)
{
	struct dane_host	*h;

	h = reallocarray(d->hosts, d->nhosts + 1, sizeof *h);
	if (h == NULL)
		return NULL;
	d->hosts = h;
	h = &d->hosts[d->nhosts++];
	memset(h, 0, sizeof *h);
	plain_name(h->name, sizeof h->name, name);
	h->pref = pref;
	h->port = port;
	return h;
}

/* The MX hosts, each once at its best preference, by preference. */
static int
mx_hosts(const struct dane_cfg *cfg, struct dane_domain *d,
    const struct dnssec_answer *a)
{
	char	name[256];
	size_t	i, j;
	int	pref;

	for (i = 0; i < a->nrr; i++) {
		if (mx_rdata(a->rdata[i], a->rdlen[i], &pref, name,
		    sizeof name) == -1) {
			line_add(&d->warnings, &d->nwarnings, "an MX record "
			    "of %zu bytes is malformed", a->rdlen[i]);
			continue;
		}
		/* RFC 7505: a null MX alone says no mail is accepted */
		if (name[0] == '\0')
			continue;
		for (j = 0; j < d->nhosts; j++)
			if (strcmp(d->hosts[j].name, name) == 0)
				break;
		if (j < d->nhosts) {
			if (pref < d->hosts[j].pref)
				d->hosts[j].pref = pref;
			continue;
		}
		if (host_new(d, name, pref, cfg->port) == NULL)
			return -1;
	}
	/* a null MX leaves hosts NULL, which qsort may not take */
	if (d->nhosts > 1)
		qsort(d->hosts, d->nhosts, sizeof *d->hosts, by_pref);
	return 0;
}

static void
domain_init(struct dane_domain *d, const char *name)
{
	memset(d, 0, sizeof *d);
	plain_name(d->name, sizeof d->name, name);
}

/* RRSIG expiry of the MX lookup, with --warn-days. */
static void
mx_warning(const struct dane_cfg *cfg, struct dane_domain *d)
{
	char	when[32];
	time_t	now = cfg_now(cfg), t = d->mx.expires;

	if (cfg->warn_days <= 0 || t == 0 ||
	    t - now > (time_t)cfg->warn_days * 86400)
		return;
	cert_time(t, when, sizeof when);
	line_add(&d->warnings, &d->nwarnings, "the RRSIG of the mx lookup of "
	    "'%s' %s %s", d->name, t <= now ? "expired" : "expires", when);
}

int
dane_check_domain(const struct dane_cfg *cfg, const char *domain,
    struct dane_domain *d)
{
	struct resolver		 r;
	struct dnssec_answer	 a;
	char			 err[256];
	int			 rc;

	domain_init(d, domain);
	if ((rc = resolver_open(cfg, &r, err, sizeof err)) != 0) {
		snprintf(d->error, sizeof d->error, "%s", err);
		d->verdict = DANE_TEMPFAIL;
		return d->status = rc;
	}
	memset(&a, 0, sizeof a);
	dnssec_lookup(r.sec, d->name, LDNS_RR_TYPE_MX, &a);
	lookup_set(&d->mx, "mx", d->name, &a);
	resolver_close(&r);
	mx_warning(cfg, d);
	/*
	 * RFC 7672 2.2.1: a failed or bogus MX lookup leaves no host a
	 * sender may use; an insecure one still lets each host have DANE.
	 */
	if (a.status == DNS_TEMPFAIL)
		domain_error(d, DANE_TEMPFAIL, "the MX lookup failed: %s",
		    a.reason[0] != '\0' ? a.reason : "temporary error");
	else if (a.sec == DNSSEC_BOGUS)
		domain_error(d, DANE_BOGUS, "the MX lookup is bogus: %s",
		    a.reason[0] != '\0' ? a.reason : "no valid signature");
	else if (a.status == DNS_PERMFAIL)
		domain_error(d, DANE_UNREACHABLE, "the MX lookup failed for "
		    "good: %s", a.reason);
	else if (a.status == DNS_NXDOMAIN)
		domain_error(d, DANE_UNREACHABLE, "the domain does not exist");
	else if (a.status == DNS_NODATA) {
		/* RFC 5321 5.1: no MX, the domain itself at preference 0 */
		if (host_new(d, d->name, 0, cfg->port) == NULL)
			domain_error(d, DANE_TEMPFAIL, "out of memory");
	} else if (mx_hosts(cfg, d, &a) == -1)
		domain_error(d, DANE_TEMPFAIL, "out of memory");
	else if (d->nhosts == 0)
		domain_error(d, DANE_UNREACHABLE, "a null MX (RFC 7505): the "
		    "domain accepts no mail");
	if (d->error[0] == '\0') {
		check_hosts(cfg, d->hosts, d->nhosts, a.sec == DNSSEC_SECURE ?
		    d->name : NULL);
		domain_status(d);
	}
	dnssec_answer_free(&a);
	return d->status;
}

int
dane_check_host(const struct dane_cfg *cfg, const char *host, int port,
    struct dane_domain *d)
{
	domain_init(d, host);
	if (host_new(d, host, -1, port > 0 ? port : cfg->port) == NULL) {
		domain_error(d, DANE_TEMPFAIL, "out of memory");
		return d->status;
	}
	check_hosts(cfg, d->hosts, d->nhosts, NULL);
	return domain_status(d);
}

void
dane_domain_free(struct dane_domain *d)
{
	struct dane_host	*h;
	size_t			 i, j;

	for (i = 0; i < d->nhosts; i++) {
		h = &d->hosts[i];
		free(h->lookups);
		for (j = 0; j < h->ntlsa; j++) {
			free(h->tlsa[j]);
			free(h->unusable[j]);
		}
		free(h->tlsa);
		free(h->unusable);
		for (j = 0; j < h->naddrs; j++)
			tls_info_free(&h->addrs[j].tls);
		free(h->addrs);
		lines_free(h->warnings, h->nwarnings);
		for (j = 0; j < h->nwould; j++)
			free(h->would_match[j]);
		free(h->would_match);
	}
	free(d->hosts);
	lines_free(d->warnings, d->nwarnings);
	memset(d, 0, sizeof *d);
}

/*
 * dane_check_stream: a ring of slots in input order; up to jobs of them
 * are being checked, each by a thread of its own, and the calling thread
 * reads the input, starts the checks and hands out the finished ones from
 * the head, so that output keeps the input's order and memory holds at
 * most the ring.
 */
struct slot {
	struct dane_domain	 d;
	char			*name;
	unsigned long		 lineno;
	int			 done;
	int			 threaded;
	pthread_t		 thr;
	struct stream		*st;
};

struct stream {
	const struct dane_cfg	*cfg;
	void			(*out)(void *, const struct dane_domain *);
	void			*arg;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	struct slot		*slots;
	size_t			 cap, head, count, running, jobs;
	int			 worst;
	int			 bad;		/* a line was no domain name */
};

static void
slot_check(struct slot *s)
{
	dane_check_domain(s->st->cfg, s->name, &s->d);
}

const char *
dane_bad_name(const char *s, size_t n)
{
	size_t	i, label = 0;

	if (s == NULL)
		return "longer than any domain name";
	if (n == 0)
		return "an empty name";
	if (n > 1 && s[n - 1] == '.')
		n--;
	if (n > 253)
		return "longer than 253 bytes";
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f ||
		    s[i] == '/' || s[i] == '\\')
			return "a blank, control, non-ASCII, / or \\ byte";
		if (s[i] != '.')
			label++;
		else if (label == 0)
			return "an empty label";
		else
			label = 0;
		if (label > 63)
			return "a label longer than 63 bytes";
	}
	return NULL;
}

static void
slot_done(struct slot *s)
{
	pthread_mutex_lock(&s->st->mu);
	s->done = 1;
	s->st->running--;
	pthread_cond_broadcast(&s->st->cv);
	pthread_mutex_unlock(&s->st->mu);
}

static void *
slot_worker(void *arg)
{
	struct slot	*s = arg;

	slot_check(s);
	slot_done(s);
	return NULL;
}

/* Hand out the finished slots at the head; called and returns locked. */
static void
stream_flush(struct stream *st)
{
	struct slot	*s;

	while (st->count > 0 && st->slots[st->head].done) {
		s = &st->slots[st->head];
		pthread_mutex_unlock(&st->mu);
		if (s->threaded)
			pthread_join(s->thr, NULL);
		st->out(st->arg, &s->d);
		if (status_rank(s->d.status) > status_rank(st->worst))
			st->worst = s->d.status;
		dane_domain_free(&s->d);
		free(s->name);
		s->name = NULL;
		pthread_mutex_lock(&st->mu);
		st->head = (st->head + 1) % st->cap;
		st->count--;
	}
}

static int
stream_line(void *arg, const char *line, size_t len, unsigned long lineno)
{
	struct stream	*st = arg;
	struct slot	*s;
	const char	*why;
	char		 shown[256];
	size_t		 i;

	if (line != NULL) {
		while (len > 0 && (*line == ' ' || *line == '\t'))
			line++, len--;
		while (len > 0 && (line[len - 1] == ' ' ||
		    line[len - 1] == '\t'))
			len--;
		if (len == 0 || *line == '#')
			return 0;
	}
	/* a bad line is the input's fault, not the domain's: no report */
	if ((why = dane_bad_name(line, len)) != NULL) {
		if (line != NULL)
			cli_warn("bad domain name '%s' on line %lu: %s",
			    cli_show(line, len, 48, shown, sizeof shown),
			    lineno, why);
		else
			cli_warn("bad domain name on line %lu: %s", lineno,
			    why);
		st->bad = 1;
		return 0;
	}
	pthread_mutex_lock(&st->mu);
	for (;;) {
		stream_flush(st);
		if (st->count < st->cap && st->running < st->jobs)
			break;
		pthread_cond_wait(&st->cv, &st->mu);
	}
	i = (st->head + st->count) % st->cap;
	s = &st->slots[i];
	memset(s, 0, sizeof *s);
	s->st = st;
	s->lineno = lineno;
	st->count++;
	st->running++;
	pthread_mutex_unlock(&st->mu);
	if ((s->name = strndup(line, len)) == NULL) {
		/* out of memory: the domain is reported, not lost */
		domain_init(&s->d, "");
		domain_error(&s->d, DANE_TEMPFAIL, "line %lu: out of memory",
		    lineno);
		slot_done(s);
		return 0;
	}
	if (pthread_create(&s->thr, NULL, slot_worker, s) == 0)
		s->threaded = 1;
	else
		slot_worker(s);
	return 0;
}

int
dane_check_stream(const struct dane_cfg *cfg, int fd,
    void (*out)(void *, const struct dane_domain *), void *arg)
{
	struct stream	 st;
	int		 rc, e = 0;

	memset(&st, 0, sizeof st);
	st.cfg = cfg;
	st.out = out;
	st.arg = arg;
	st.jobs = cfg->jobs > 0 ? (size_t)cfg->jobs : 1;
	/* room beyond the running ones, so one slow domain does not hold
	   the others back at once */
	st.cap = st.jobs * 2;
	if ((st.slots = calloc(st.cap, sizeof *st.slots)) == NULL)
		return -1;
	pthread_mutex_init(&st.mu, NULL);
	pthread_cond_init(&st.cv, NULL);
	if ((rc = cli_lines(fd, STREAM_LINE_MAX, stream_line, &st)) == -1)
		e = errno;
	pthread_mutex_lock(&st.mu);
	for (;;) {
		stream_flush(&st);
		if (st.count == 0)
			break;
		pthread_cond_wait(&st.cv, &st.mu);
	}
	pthread_mutex_unlock(&st.mu);
	pthread_cond_destroy(&st.cv);
	pthread_mutex_destroy(&st.mu);
	free(st.slots);
	if (rc == -1) {
		errno = e;
		return -1;
	}
	/* bad input outranks what the domains were found to be */
	if (st.bad && status_rank(st.worst) < status_rank(MX_DATAERR))
		return MX_DATAERR;
	return st.worst;
}
