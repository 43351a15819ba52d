/*
 * tlsa-check: DANE for SMTP (RFC 7672) as a sending MTA sees it, host by
 * host, for a domain's MX hosts; and the TLSA records to publish for a
 * certificate, a chain, a public key or a live server.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/x509.h>

#include "cert.h"
#include "cli.h"
#include "dane.h"
#include "danefmt.h"
#include "dns.h"
#include "dnssec.h"
#include "smtp.h"
#include "tls.h"
#include "tlsa.h"

#define JOBS_DEFAULT	8
#define JOBS_MAX	256
#define STDIN_MAX	(1024 * 1024)	/* a PEM chain is a few kB */

static const char *stdin_only[] = { "-", NULL };

static char	*host_opt, *port_opt, *anchor, *warn_opt, *jobs_opt,
		*helo_opt, *usage_opt, *selector_opt, *mtype_opt,
		*from_server;
static int	 trust_ad;

static struct poptOption check_options[] = {
	{ "host", '\0', POPT_ARG_STRING, &host_opt, 0,
	  "check this one host, not a domain's MX hosts", "HOST[:PORT]" },
	{ "port", '\0', POPT_ARG_STRING, &port_opt, 0,
	  "the SMTP port, of the TLSA name too (default 25)", "PORT" },
	{ "anchor", '\0', POPT_ARG_STRING, &anchor, 0,
	  "DNSSEC trust anchors, DNSKEY or DS records (default "
	  DNSSEC_ROOT_ANCHOR ")", "FILE" },
	{ "trust-ad", '\0', POPT_ARG_NONE, &trust_ad, 0,
	  "trust the AD bit of a validating resolver instead of validating "
	  "here", NULL },
	{ "warn-days", '\0', POPT_ARG_STRING, &warn_opt, 0,
	  "warn of a certificate or signature that expires within N days",
	  "N" },
	{ "jobs", '\0', POPT_ARG_STRING, &jobs_opt, 0,
	  "check up to N domains at once from standard input (default 8)",
	  "N" },
	{ "helo", '\0', POPT_ARG_STRING, &helo_opt, 0,
	  "the EHLO name (default this host's name)", "NAME" },
	{ "time", '\0', POPT_ARG_STRING, NULL, CLI_OPT_TIME,
	  "judge signatures and certificates as at this time (seconds since "
	  "the epoch)", "T" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, dns_options, 0,
	  "DNS options:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

/* popt takes the first match: this --usage comes before the common one. */
static struct poptOption gen_options[] = {
	{ "host", '\0', POPT_ARG_STRING, &host_opt, 0,
	  "the owner's host name (default the server's name, or the "
	  "certificate's first name)", "HOST" },
	{ "port", '\0', POPT_ARG_STRING, &port_opt, 0,
	  "the owner's port (default that of --from-server, else 25)",
	  "PORT" },
	{ "usage", '\0', POPT_ARG_STRING, &usage_opt, 0,
	  "certificate usage (default 3, 2 for a CA certificate)", "U" },
	{ "selector", '\0', POPT_ARG_STRING, &selector_opt, 0,
	  "selector: 0 the certificate, 1 its public key (default 1, 0 "
	  "for usage 2)", "S" },
	{ "mtype", '\0', POPT_ARG_STRING, &mtype_opt, 0,
	  "matching type: 0 full, 1 SHA-256, 2 SHA-512 (default 1)", "M" },
	{ "from-server", '\0', POPT_ARG_STRING, &from_server, 0,
	  "take the chain from this server over STARTTLS", "HOST[:PORT]" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, dns_options, 0,
	  "DNS options (for --from-server):", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

/* A host name as DNS takes it: no blank, no control byte, 253 at most. */
static int
name_ok(const char *s)
{
	size_t	n = strlen(s);

	if (n == 0 || n > 253 || s[0] == '.')
		return 0;
	for (; *s; s++)
		if (*s <= ' ' || *s >= 0x7f || *s == '/' || *s == '\\')
			return 0;
	return 1;
}

/* An address is no host name for an owner or a certificate. */
static int
literal(const char *s)
{
	unsigned char	a[16];

	return inet_pton(AF_INET, s, a) == 1 ? AF_INET :
	    inet_pton(AF_INET6, s, a) == 1 ? AF_INET6 : 0;
}

/* HOST[:PORT] into host (a copy to free) and *port, usage error if bad. */
static char *
host_port(const char *opt, const char *arg, int *port)
{
	char	*h, *colon, shown[CLI_SHOWN_NAME];

	if ((h = strdup(arg)) == NULL)
		cli_die(MX_SOFTWARE, "out of memory");
	if ((colon = strrchr(h, ':')) != NULL) {
		*colon = '\0';
		*port = cli_num(opt, colon + 1, 1, 65535);
	}
	if (!name_ok(h))
		cli_die(MX_USAGE, "bad host '%s' for %s", cli_show(arg,
		    strlen(arg), CLI_SHOW_NAME, shown, sizeof shown), opt);
	return h;
}

static void
print_domain(void *arg, const struct dane_domain *d)
{
	(void)arg;
	if (cli_json)
		danefmt_json(stdout, d);
	else
		danefmt_text(stdout, d, cli_verbose);
	/* A monitor reading the pipe sees each domain as it is done. */
	fflush(stdout);
}

/* A check whose outcome is worse: 1 outranks 75, which outranks 0. */
static int
worse(int a, int b)
{
	if (a == MX_REJECT || b == MX_REJECT)
		return MX_REJECT;
	return a > b ? a : b;
}

static int
check(int argc, const char **argv)
{
	static char	 hostname[256];
	struct dane_cfg	 cfg = { 0 };
	struct dane_domain d;
	poptContext	 pc;
	const char	**args;
	char		*host = NULL, err[512], shown[CLI_SHOWN_NAME];
	int		 n = 0, i, rc, worst = MX_OK, hport = 0;

	pc = cli_parse(argc, argv, check_options, "[DOMAIN...]", NULL);
	args = poptGetArgs(pc);
	while (args != NULL && args[n] != NULL)
		n++;
	cfg.resolver = dns_opt_resolver;
	cfg.zone = dns_opt_zone;
	cfg.timeout = dns_opt_timeout;
	cfg.anchor = anchor;
	cfg.trust_ad = trust_ad;
	cfg.now = cli_time(cli_time_arg);
	cfg.port = port_opt ? cli_num("--port", port_opt, 1, 65535) : 25;
	cfg.warn_days = warn_opt ? cli_num("--warn-days", warn_opt, 0,
	    36500) : 0;
	cfg.jobs = jobs_opt ? cli_num("--jobs", jobs_opt, 1, JOBS_MAX) :
	    JOBS_DEFAULT;
	if (anchor != NULL && trust_ad)
		cli_die(MX_USAGE, "--anchor and --trust-ad exclude each other");
	if (helo_opt != NULL && !name_ok(helo_opt))
		cli_die(MX_USAGE, "bad EHLO name '%s'", cli_show(helo_opt,
		    strlen(helo_opt), CLI_SHOW_NAME, shown, sizeof shown));
	if (helo_opt == NULL && (gethostname(hostname, sizeof hostname) != 0
	    || !name_ok(hostname)))
		snprintf(hostname, sizeof hostname, "localhost");
	cfg.helo = helo_opt ? helo_opt : hostname;
	if (host_opt != NULL) {
		if (n > 0)
			cli_die(MX_USAGE, "--host takes no DOMAIN");
		hport = cfg.port;
		host = host_port("--host", host_opt, &hport);
	}
	for (i = 0; i < n; i++)
		if (strcmp(args[i], "-") != 0 && !name_ok(args[i]))
			cli_die(MX_USAGE, "bad domain '%s'", cli_show(args[i],
			    strlen(args[i]), CLI_SHOW_NAME, shown,
			    sizeof shown));
	/* The resolver and anchor are the user's to fix: before any check. */
	if ((rc = dane_init(&cfg, err, sizeof err)) != 0)
		cli_die(rc, "%s", err);
	if ((cfg.ctx = tls_ctx_new(err, sizeof err)) == NULL)
		cli_die(MX_SOFTWARE, "cannot make a TLS context: %s", err);

	if (host != NULL) {
		worst = dane_check_host(&cfg, host, hport, &d);
		print_domain(NULL, &d);
		dane_domain_free(&d);
	} else if (n == 0)
		args = stdin_only, n = 1;
	for (i = 0; host == NULL && i < n; i++) {
		if (strcmp(args[i], "-") == 0) {
			if ((rc = dane_check_stream(&cfg, 0, print_domain,
			    NULL)) < 0) {
				cli_warn("cannot read 'stdin': %s",
				    strerror(errno));
				rc = MX_IOERR;
			}
		} else {
			rc = dane_check_domain(&cfg, args[i], &d);
			print_domain(NULL, &d);
			dane_domain_free(&d);
		}
		worst = rc == MX_IOERR || worst == MX_IOERR ? MX_IOERR :
		    worse(worst, rc);
	}
	free(host);
	SSL_CTX_free(cfg.ctx);
	poptFreeContext(pc);
	rc = cli_flush_stdout();
	return rc != MX_OK ? rc : worst;
}

/*
 * The chain a server sends after STARTTLS, taken without verifying it:
 * its records are what is to be published.  69 when no address of host
 * gives a TLS session, 75 when its addresses cannot be looked up now.
 */
static STACK_OF(X509) *
server_chain(const char *host, int port, int *status, char *why,
    size_t whylen)
{
	struct dns_addr	 lit, *addrs = NULL, *a4 = NULL, *a6 = NULL;
	struct dns	*dns;
	struct smtp	 s;
	struct tls_info	 info;
	STACK_OF(X509)	*chain = NULL;
	SSL_CTX		*ctx;
	enum dns_status	 st4 = DNS_OK, st6 = DNS_OK;
	size_t		 n = 0, n4 = 0, n6 = 0, i;
	char		 err[256], err6[256], helo[256];

	if ((dns = dns_new(dns_opt_resolver, dns_opt_zone, dns_opt_timeout,
	    err, sizeof err)) == NULL)
		cli_die(dns_new_status(errno), "%s", err);
	if ((lit.af = literal(host)) != 0) {
		inet_pton(lit.af, host, lit.a);
		addrs = &lit;
		n = 1;
	} else {
		st4 = dns_addr(dns, host, AF_INET, &a4, &n4, err, sizeof err);
		st6 = dns_addr(dns, host, AF_INET6, &a6, &n6, err6,
		    sizeof err6);
		if (n4 + n6 == 0) {
			*status = st4 == DNS_TEMPFAIL || st6 == DNS_TEMPFAIL ?
			    MX_TEMPFAIL : MX_UNAVAILABLE;
			snprintf(why, whylen, "cannot look up '%s': %s", host,
			    st4 != DNS_OK ? err : err6);
			goto done;
		}
		if ((addrs = reallocarray(a4, n4 + n6, sizeof *addrs)) ==
		    NULL)
			cli_die(MX_SOFTWARE, "out of memory");
		a4 = addrs;
		if (n6 > 0)
			memcpy(addrs + n4, a6, n6 * sizeof *addrs);
		n = n4 + n6;
	}
	if ((ctx = tls_ctx_new(err, sizeof err)) == NULL)
		cli_die(MX_SOFTWARE, "cannot make a TLS context: %s", err);
	if (gethostname(helo, sizeof helo) != 0 || !name_ok(helo))
		snprintf(helo, sizeof helo, "localhost");
	*status = MX_UNAVAILABLE;
	for (i = 0; i < n && chain == NULL; i++) {
		memset(&info, 0, sizeof info);
		if (smtp_connect(&s, &addrs[i], port, dns_opt_timeout, err,
		    sizeof err) != SMTP_OK) {
			snprintf(why, whylen, "cannot connect to '%s': %s",
			    host, err);
			cli_info("%s", why);
			continue;
		}
		if (smtp_starttls(&s, helo, NULL, NULL, err, sizeof err) ==
		    SMTP_OK && tls_start(ctx, &s, NULL, lit.af ? host_opt :
		    host, &info, err, sizeof err) == SMTP_OK &&
		    info.chain != NULL && sk_X509_num(info.chain) > 0) {
			chain = X509_chain_up_ref(info.chain);
			*status = MX_OK;
		} else {
			snprintf(why, whylen, "cannot start TLS with '%s' at "
			    "%s: %s", host, s.peer, err[0] ? err :
			    "no certificate");
			cli_info("%s", why);
		}
		tls_info_free(&info);
		smtp_close(&s);
	}
	SSL_CTX_free(ctx);
done:
	free(a4);
	free(a6);
	dns_free(dns);
	return chain;
}

/* Standard input whole, for cert_load_mem. */
static int
load_stdin(STACK_OF(X509) **certs, EVP_PKEY **key, char *err, size_t len)
{
	char	*buf;
	size_t	 n = 0;
	ssize_t	 r;
	int	 rc;

	if ((buf = malloc(STDIN_MAX + 1)) == NULL)
		cli_die(MX_SOFTWARE, "out of memory");
	while (n <= STDIN_MAX && (r = read(0, buf + n, STDIN_MAX + 1 - n)) !=
	    0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, len, "cannot read 'stdin': %s",
			    strerror(errno));
			free(buf);
			return MX_IOERR;
		}
		n += r;
	}
	rc = n > STDIN_MAX ? -1 : cert_load_mem(buf, n, certs, key, err, len);
	if (n > STDIN_MAX)
		snprintf(err, len, "more than %d bytes", STDIN_MAX);
	free(buf);
	return rc == 0 ? MX_OK : MX_DATAERR;
}

struct gen {
	char	 owner[512];
	int	 usage, selector, mtype;	/* -1: by the kind */
};

static int
emit(const struct gen *g, X509 *cert, EVP_PKEY *key, int usage,
    const char *what)
{
	struct tlsa	*t;
	struct cli_rec	 rec;
	char		*text, err[256];
	int		 sel = g->selector >= 0 ? g->selector :
			    usage == TLSA_DANE_TA || usage == TLSA_PKIX_TA ?
			    TLSA_SEL_CERT : TLSA_SEL_SPKI;
	int		 mt = g->mtype >= 0 ? g->mtype : TLSA_MT_SHA256;

	if ((t = tlsa_make(cert, key, usage, sel, mt, err, sizeof err)) ==
	    NULL) {
		cli_warn("cannot make a record for %s: %s", what, err);
		return MX_USAGE;
	}
	if (!cli_json)
		tlsa_print(stdout, g->owner, t);
	else if ((text = tlsa_text(t)) != NULL) {
		cli_rec_begin(&rec, stdout, NULL);
		cli_rec_str(&rec, "owner", g->owner);
		cli_rec_int(&rec, "usage", t->usage);
		cli_rec_int(&rec, "selector", t->selector);
		cli_rec_int(&rec, "mtype", t->mtype);
		/* "U S M HEX": the hex is the fourth word. */
		cli_rec_str(&rec, "data", strrchr(text, ' ') + 1);
		cli_rec_str(&rec, "for", what);
		cli_rec_end(&rec);
		free(text);
	}
	free(t);
	return MX_OK;
}

/*
 * A record per certificate as its kind says: 3 1 1 for a server's own,
 * 2 0 1 for a CA's.  An explicit usage picks the certificates it suits:
 * the leaf (the first) for 1 and 3, the CAs for 0 and 2.
 */
static int
emit_chain(const struct gen *g, STACK_OF(X509) *certs, const char *name)
{
	struct cert_facts f;
	char		 what[600];
	int		 i, n = sk_X509_num(certs), ca, u, rc, done = 0;

	for (i = 0; i < n; i++) {
		if (cert_facts(sk_X509_value(certs, i), &f) < 0)
			cli_die(MX_SOFTWARE, "out of memory");
		ca = f.is_ca;
		snprintf(what, sizeof what, "%s %s", name, f.subject);
		cert_facts_free(&f);
		u = g->usage >= 0 ? g->usage : ca ? TLSA_DANE_TA :
		    TLSA_DANE_EE;
		if (n > 1 && g->usage >= 0 && ((u & 1) ? i > 0 : !ca && i == 0))
			continue;
		cli_info("%s: certificate %d: %s", name, i + 1, what);
		if ((rc = emit(g, sk_X509_value(certs, i), NULL, u, what)) !=
		    MX_OK)
			return rc;
		done++;
	}
	if (done == 0) {
		cli_warn("no certificate in '%s' for usage %d", name,
		    g->usage);
		return MX_USAGE;
	}
	return MX_OK;
}

/* The owner's host: --host, the server's name, or the leaf's first name. */
static int
owner(struct gen *g, const char *host, int port, STACK_OF(X509) *certs)
{
	struct cert_facts f = { 0 };
	char		  h[256];
	size_t		  n;

	if (host == NULL && certs != NULL && sk_X509_num(certs) > 0) {
		if (cert_facts(sk_X509_value(certs, 0), &f) < 0)
			cli_die(MX_SOFTWARE, "out of memory");
		if (!f.is_ca && f.nnames > 0 && name_ok(f.names[0]) &&
		    f.names[0][0] != '*')
			host = f.names[0];
	}
	if (host == NULL) {
		cert_facts_free(&f);
		return -1;
	}
	snprintf(h, sizeof h, "%s", host);
	cert_facts_free(&f);
	if ((n = strlen(h)) > 0 && h[n - 1] == '.')
		h[n - 1] = '\0';
	for (n = 0; h[n]; n++)
		if (h[n] >= 'A' && h[n] <= 'Z')
			h[n] += 'a' - 'A';
	snprintf(g->owner, sizeof g->owner, "_%d._tcp.%s.", port, h);
	return 0;
}

static int
generate(int argc, const char **argv)
{
	struct gen	 g;
	poptContext	 pc;
	const char	**args, *name;
	STACK_OF(X509)	*certs;
	EVP_PKEY	*key;
	char		*shost = NULL, err[512], shown[CLI_SHOWN_NAME];
	int		 n = 0, i, rc = MX_OK, port, sport;

	pc = cli_parse(argc, argv, gen_options, "generate [CERT...]", NULL);
	args = poptGetArgs(pc);
	while (args != NULL && args[n] != NULL)
		n++;
	port = port_opt ? cli_num("--port", port_opt, 1, 65535) : 25;
	g.usage = usage_opt ? cli_num("--usage", usage_opt, 0, 3) : -1;
	g.selector = selector_opt ? cli_num("--selector", selector_opt, 0,
	    1) : -1;
	g.mtype = mtype_opt ? cli_num("--mtype", mtype_opt, 0, 2) : -1;
	if (host_opt != NULL && !name_ok(host_opt))
		cli_die(MX_USAGE, "bad host '%s'", cli_show(host_opt,
		    strlen(host_opt), CLI_SHOW_NAME, shown, sizeof shown));
	if (g.usage == TLSA_PKIX_TA || g.usage == TLSA_PKIX_EE)
		cli_warn("usage %d (%s) is not for SMTP: RFC 7672 clients "
		    "ignore it", g.usage, tlsa_usage_name(g.usage));

	if (from_server != NULL) {
		if (n > 0)
			cli_die(MX_USAGE, "--from-server takes no CERT");
		sport = port;
		shost = host_port("--from-server", from_server, &sport);
		if ((certs = server_chain(shost, sport, &rc, err,
		    sizeof err)) == NULL)
			cli_die(rc, "%s", err);
		/* The records are for the service asked, unless told. */
		if (owner(&g, host_opt ? host_opt : literal(shost) ? NULL :
		    shost, port_opt ? port : sport, certs) < 0)
			cli_die(MX_USAGE, "generate needs --host");
		rc = emit_chain(&g, certs, shost);
		sk_X509_pop_free(certs, X509_free);
		free(shost);
		poptFreeContext(pc);
		return rc != MX_OK ? rc : cli_flush_stdout();
	}
	if (n == 0)
		args = stdin_only, n = 1;
	for (i = 0; i < n && rc == MX_OK; i++) {
		certs = NULL;
		key = NULL;
		if (strcmp(args[i], "-") == 0) {
			name = "stdin";
			if ((rc = load_stdin(&certs, &key, err, sizeof err)) !=
			    MX_OK)
				cli_die(rc, "cannot read certificates from "
				    "'stdin': %s", err);
		} else {
			name = cli_show(args[i], strlen(args[i]),
			    CLI_SHOW_NAME, shown, sizeof shown);
			if (cert_load(args[i], &certs, &key, err, sizeof err,
			    &rc) != 0)
				cli_die(rc, "cannot read certificates from "
				    "'%s': %s", name, err);
		}
		if (owner(&g, host_opt, port, certs) < 0)
			cli_die(MX_USAGE, "generate needs --host: no host "
			    "name in '%s'", name);
		if (certs != NULL)
			rc = emit_chain(&g, certs, name);
		else {
			/* A key alone: the server's own, selector 1 only. */
			rc = emit(&g, NULL, key, g.usage >= 0 ? g.usage :
			    TLSA_DANE_EE, name);
		}
		sk_X509_pop_free(certs, X509_free);
		EVP_PKEY_free(key);
	}
	poptFreeContext(pc);
	if (rc != MX_OK)
		return rc;
	return cli_flush_stdout();
}

int
main(int argc, const char **argv)
{
	const char	**gargv;
	int		  i;

	if (argc < 2 || strcmp(argv[1], "generate") != 0)
		return check(argc, argv);
	/* The subcommand out of the way, the program name kept. */
	if ((gargv = calloc(argc, sizeof *gargv)) == NULL)
		cli_die(MX_SOFTWARE, "out of memory");
	gargv[0] = argv[0];
	for (i = 2; i < argc; i++)
		gargv[i - 1] = argv[i];
	i = generate(argc - 1, gargv);
	free(gargv);
	return i;
}
