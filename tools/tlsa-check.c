/*
 * tlsa-check: DANE for SMTP (RFC 7672) as a sending MTA sees it, host by
 * host, for a domain's MX hosts; and the TLSA records to publish for a
 * certificate, a chain, a public key or a live server.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <malloc.h>
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
#include "tls.h"
#include "tlsa.h"
#include "tlsagen.h"

#define JOBS_DEFAULT	8
#define JOBS_MAX	256

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
	  "server certificate's first host name)", "HOST" },
	{ "port", '\0', POPT_ARG_STRING, &port_opt, 0,
	  "the owner's port (default that of --from-server, else 25)",
	  "PORT" },
	{ "usage", '\0', POPT_ARG_STRING, &usage_opt, 0,
	  "certificate usage (default 3 for the server's certificate, 2 for "
	  "a CA's)", "U" },
	{ "selector", '\0', POPT_ARG_STRING, &selector_opt, 0,
	  "selector: 0 the certificate, 1 its public key (default 0 for "
	  "usage 0 and 2, else 1; always 1 for a public key)", "S" },
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

/* A host name as DNS takes it (dane_bad_name says why not). */
static int
name_ok(const char *s)
{
	return dane_bad_name(s, strlen(s)) == NULL;
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

/*
 * The worse of two outcomes: an input that cannot be read first, then a
 * bad domain name among the input (65), then a domain found wrong (a
 * retry cannot mend it), then a DNS failure (75), as dane_check_stream
 * ranks them.
 */
static int
worse(int a, int b)
{
	static const int order[] = { MX_IOERR, MX_DATAERR, MX_REJECT };

	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
		if (a == order[i] || b == order[i])
			return order[i];
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

	/*
	 * glibc gives each of the many threads (--jobs domains, their hosts,
	 * their addresses) an arena of its own, up to 8 a core, and a long
	 * run from stdin grows as they fill: 1.27x the peak RSS of 100
	 * domains for 1,000.  The threads wait on the network, not on
	 * malloc, so two arenas cost no time and keep it flat (1.16x).
	 * MALLOC_ARENA_MAX in the environment still decides.
	 */
	if (getenv("MALLOC_ARENA_MAX") == NULL)
		mallopt(M_ARENA_MAX, 2);

	pc = cli_parse(argc, argv, check_options,
	    "[DOMAIN...]  (making records: tlsa-check generate --help)", NULL);
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
		cli_die(MX_SOFTWARE, "%s", err);

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
		worst = worse(worst, rc);
	}
	free(host);
	SSL_CTX_free(cfg.ctx);
	poptFreeContext(pc);
	rc = cli_flush_stdout();
	return rc != MX_OK ? rc : worst;
}

/* Standard input whole, for cert_load_mem. */
/*
 * One input's records, made before any is printed.  The owner's host:
 * --host, else the name of --from-server, else the first host name of the
 * server's certificate (tlsagen_host).
 */
struct made {
	struct tlsagen_rec	*recs;
	int			 n;
	char			 owner[512];
};

static void
make(const struct tlsagen *g, STACK_OF(X509) *certs, EVP_PKEY *key,
    const char *host, int port, const char *name, struct made *m)
{
	char	err[256], *h = NULL;

	if (host == NULL && certs != NULL && sk_X509_num(certs) > 0)
		host = h = tlsagen_host(g, certs);
	if (host == NULL || tlsagen_owner(m->owner, sizeof m->owner, host,
	    port) < 0)
		cli_die(MX_USAGE, "generate needs --host: no host name for "
		    "'%s'", name);
	free(h);
	if ((m->n = tlsagen_make(g, certs, key, &m->recs, err,
	    sizeof err)) < 0)
		cli_die(errno == ENOMEM ? MX_SOFTWARE : MX_USAGE,
		    "cannot make records for '%s': %s", name, err);
}

static void
emit(const struct made *m, const char *name)
{
	struct cli_rec	 rec;
	char		*text;
	int		 i;

	for (i = 0; i < m->n; i++) {
		cli_info("%s: certificate %d: %s", name, m->recs[i].index + 1,
		    m->recs[i].subject);
		if (!cli_json) {
			tlsa_print(stdout, m->owner, m->recs[i].tlsa);
			continue;
		}
		if ((text = tlsa_text(m->recs[i].tlsa)) == NULL)
			cli_die(MX_SOFTWARE, "out of memory");
		cli_rec_begin(&rec, stdout, NULL);
		cli_rec_str(&rec, "owner", m->owner);
		cli_rec_int(&rec, "usage", m->recs[i].tlsa->usage);
		cli_rec_int(&rec, "selector", m->recs[i].tlsa->selector);
		cli_rec_int(&rec, "mtype", m->recs[i].tlsa->mtype);
		/* "U S M HEX": the hex is the fourth word. */
		cli_rec_str(&rec, "data", strrchr(text, ' ') + 1);
		cli_rec_str(&rec, "subject", m->recs[i].subject);
		cli_rec_end(&rec);
		free(text);
	}
}

static int
from(const struct tlsagen *g, const char *arg, int port)
{
	STACK_OF(X509)	*chain;
	struct made	 m;
	struct dns	*dns;
	SSL_CTX		*ctx;
	char		*host, helo[256], err[512];
	int		 sport = port_opt ? port : 25, rc, addr;

	host = host_port("--from-server", arg, &sport);
	if ((dns = dns_new(dns_opt_resolver, dns_opt_zone, dns_opt_timeout,
	    err, sizeof err)) == NULL)
		cli_die(dns_new_status(errno), "%s", err);
	if ((ctx = tls_ctx_new(err, sizeof err)) == NULL)
		cli_die(MX_SOFTWARE, "%s", err);
	if (gethostname(helo, sizeof helo) != 0 || !name_ok(helo))
		snprintf(helo, sizeof helo, "localhost");
	addr = tlsagen_owner(err, sizeof err, host, 25) < 0;
	if ((chain = tlsagen_fetch(ctx, dns, host, sport, helo, addr ?
	    host_opt : host, dns_opt_timeout, &rc, err, sizeof err)) == NULL)
		cli_die(rc, "%s", err);
	/* The records are for the service asked, unless told otherwise. */
	make(g, chain, NULL, host_opt ? host_opt : addr ? NULL : host,
	    port_opt ? port : sport, host, &m);
	emit(&m, host);
	tlsagen_free(m.recs, m.n);
	sk_X509_pop_free(chain, X509_free);
	SSL_CTX_free(ctx);
	dns_free(dns);
	free(host);
	return MX_OK;
}

static int
generate(int argc, const char **argv)
{
	struct tlsagen	 g;
	poptContext	 pc;
	const char	**args, *name;
	struct made	*made = NULL;
	STACK_OF(X509)	*certs;
	EVP_PKEY	*key;
	char		 err[512], shown[CLI_SHOWN_NAME];
	int		 n = 0, i, rc = MX_OK, port;

	pc = cli_parse(argc, argv, gen_options, "generate [CERT...]", NULL);
	args = poptGetArgs(pc);
	while (args != NULL && args[n] != NULL)
		n++;
	port = port_opt ? cli_num("--port", port_opt, 1, 65535) : 25;
	g.usage = usage_opt ? cli_num("--usage", usage_opt, 0, 3) : -1;
	g.selector = selector_opt ? cli_num("--selector", selector_opt, 0,
	    1) : -1;
	g.mtype = mtype_opt ? cli_num("--mtype", mtype_opt, 0, 2) : -1;
	g.sent = from_server != NULL;
	if (host_opt != NULL && !name_ok(host_opt))
		cli_die(MX_USAGE, "bad host '%s'", cli_show(host_opt,
		    strlen(host_opt), CLI_SHOW_NAME, shown, sizeof shown));
	if (g.usage == TLSA_PKIX_TA || g.usage == TLSA_PKIX_EE)
		cli_warn("usage %d (%s) is not for SMTP: RFC 7672 clients "
		    "ignore it", g.usage, tlsa_usage_name(g.usage));
	if (from_server != NULL && n > 0)
		cli_die(MX_USAGE, "--from-server takes no CERT");
	if (from_server != NULL)
		rc = from(&g, from_server, port);
	if (from_server == NULL && n == 0)
		args = stdin_only, n = 1;
	/*
	 * Every file is read and its records made before one is printed:
	 * records to paste into a zone come all or not at all.
	 */
	if (from_server == NULL && (made = calloc(n, sizeof *made)) == NULL)
		cli_die(MX_SOFTWARE, "out of memory");
	for (i = 0; from_server == NULL && i < n; i++) {
		certs = NULL;
		key = NULL;
		if (strcmp(args[i], "-") == 0) {
			name = "stdin";
			if (cert_load_fd(0, &certs, &key, err, sizeof err,
			    &rc) != 0)
				cli_die(rc, "cannot read certificates from "
				    "'stdin': %s", err);
		} else {
			name = cli_show(args[i], strlen(args[i]),
			    CLI_SHOW_NAME, shown, sizeof shown);
			/* a file that cannot be opened is named in err */
			if (cert_load(args[i], &certs, &key, err, sizeof err,
			    &rc) != 0) {
				if (rc == MX_NOINPUT)
					cli_die(rc, "%s", err);
				cli_die(rc, "cannot read certificates from "
				    "'%s': %s", name, err);
			}
		}
		make(&g, certs, key, host_opt, port, name, &made[i]);
		sk_X509_pop_free(certs, X509_free);
		EVP_PKEY_free(key);
	}
	for (i = 0; from_server == NULL && i < n; i++) {
		name = strcmp(args[i], "-") == 0 ? "stdin" :
		    cli_show(args[i], strlen(args[i]), CLI_SHOW_NAME, shown,
		    sizeof shown);
		emit(&made[i], name);
		tlsagen_free(made[i].recs, made[i].n);
	}
	free(made);
	poptFreeContext(pc);
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
