/*
 * smtp-probe: what an SMTP server offers and what talking to it costs
 * (EHLO, LIMITS, STARTTLS, early pipelining, the round trips of each
 * phase), with and without early pipelining side by side, and a delivery
 * through it that honours its LIMITS.
 */
#include "config.h"

#include <sys/socket.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "dane.h"
#include "dns.h"
#include "nexthop.h"
#include "pcache.h"
#include "probe.h"
#include "probefmt.h"
#include "send.h"
#include "tls.h"

#define TIMEOUT_DEFAULT	30
#define RCPT_MAX	10000
#define OPT_TO		1

static char	*port_opt, *helo_opt, *timeout_opt, *cache_opt, *from_opt;
static int	 only4, only6, starttls, no_starttls, implicit, no_early,
		 compare, sending;
static char	*to[RCPT_MAX];
static size_t	 nto;

static struct poptOption options[] = {
	{ "port", '\0', POPT_ARG_STRING, &port_opt, 0,
	  "the SMTP port (default 25, or TARGET's)", "PORT" },
	{ "helo", '\0', POPT_ARG_STRING, &helo_opt, 0,
	  "the EHLO name (default this host's name)", "NAME" },
	{ "timeout", '\0', POPT_ARG_STRING, &timeout_opt, 0,
	  "give up on any one wait (DNS, connect, a reply, TLS) after this "
	  "many seconds (default 30)", "SECS" },
	{ NULL, '4', POPT_ARG_NONE, &only4, 0, "IPv4 addresses only", NULL },
	{ NULL, '6', POPT_ARG_NONE, &only6, 0, "IPv6 addresses only", NULL },
	{ "starttls", '\0', POPT_ARG_NONE, &starttls, 0,
	  "require STARTTLS: fail without it", NULL },
	{ "no-starttls", '\0', POPT_ARG_NONE, &no_starttls, 0,
	  "never start TLS", NULL },
	{ "implicit-tls", '\0', POPT_ARG_NONE, &implicit, 0,
	  "TLS on connect (the default on port 465)", NULL },
	{ "cache", '\0', POPT_ARG_STRING, &cache_opt, 0,
	  "keep EHLO replies in this file, for early pipelining", "FILE" },
	{ "no-early", '\0', POPT_ARG_NONE, &no_early, 0,
	  "never use early pipelining, whatever the cache says", NULL },
	{ "compare", '\0', POPT_ARG_NONE, &compare, 0,
	  "the session without early pipelining, then with it, and the "
	  "saving", NULL },
	{ "send", '\0', POPT_ARG_NONE, &sending, 0,
	  "deliver the message on standard input", NULL },
	{ "from", '\0', POPT_ARG_STRING, &from_opt, 0,
	  "the envelope sender of --send (\"\" for none)", "ADDR" },
	{ "to", '\0', POPT_ARG_STRING, NULL, OPT_TO,
	  "a recipient of --send (repeat it for more)", "ADDR" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, dns_options, 0,
	  "DNS options:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

static const char *
shown(const char *s)
{
	static char	buf[CLI_SHOWN_NAME];

	return cli_show(s, strlen(s), CLI_SHOW_NAME, buf, sizeof buf);
}

/* An address as SMTP carries it between <>: no blank, control or <>. */
static int
addr_ok(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s <= ' ' || *s == '<' || *s == '>' ||
		    *s == 0x7f)
			return 0;
	return 1;
}

static void
onopt(poptContext pc, int val)
{
	char	*arg;

	if (val != OPT_TO)
		return;
	if (nto == RCPT_MAX)
		cli_die(MX_USAGE, "more than %d --to", RCPT_MAX);
	/* kept before it is checked, so that exiting leaks nothing */
	if ((to[nto++] = arg = poptGetOptArg(pc)) == NULL)
		cli_die(MX_OSERR, "out of memory");
	if (arg[0] == '\0' || !addr_ok(arg))
		cli_die(MX_USAGE, "bad --to '%s'", shown(arg));
}

static struct dns *
resolver(void)
{
	struct dns	*dns;
	char		 err[512];

	if ((dns = dns_new(dns_opt_resolver, dns_opt_zone, dns_opt_timeout,
	    err, sizeof err)) == NULL)
		cli_die(dns_new_status(errno), "%s", err);
	return dns;
}

/* The exit status of a session that failed (probe and --compare). */
static int
fail_status(const struct probe_session *p)
{
	size_t	i;

	switch (p->fail) {
	case SMTP_OK:
		return MX_OK;
	case SMTP_REFUSED:
		return MX_UNAVAILABLE;
	case SMTP_TIMEOUT:
	case SMTP_CLOSED:
		return MX_TEMPFAIL;
	case SMTP_LOCAL:
		return MX_OSERR;
	case SMTP_REPLY:
		/* the refusal is the last reply that came */
		for (i = p->nsteps; i > 0; i--)
			if (p->steps[i - 1].code >= 400)
				return p->steps[i - 1].code < 500 ?
				    MX_TEMPFAIL : MX_REJECT;
		return p->banner.code / 100 == 4 ? MX_TEMPFAIL : MX_REJECT;
	default:	/* a malformed reply, no STARTTLS, a failed handshake */
		return MX_REJECT;
	}
}

/* LIMITS the server sent that RFC 9422 makes us ignore, on stderr. */
static void
limits_warn(const struct probe_session *p)
{
	if (p->feat.limits.why[0] != '\0')
		cli_warn("LIMITS of '%s' ignored: %s", p->peer,
		    p->feat.limits.why);
	if (p->feat_tls.limits.why[0] != '\0')
		cli_warn("LIMITS of '%s' after TLS ignored: %s", p->peer,
		    p->feat_tls.limits.why);
}

/*
 * Open a session on the first host whose address answers: a host none of
 * whose addresses answered (nothing connected) gives way to the next.
 */
static enum smtp_fail
open_any(struct probe_cfg *cfg, const struct nexthop_host *h, size_t nh,
    int port, struct probe_session *p)
{
	struct probe_target	 t;
	enum smtp_fail		 f = SMTP_REFUSED;
	size_t			 i;

	for (i = 0; i < nh; i++) {
		if (i > 0)
			probe_free(p);
		memset(p, 0, sizeof *p);
		t.host = h[i].name;
		t.addr = h[i].addr;
		t.naddr = h[i].naddr;
		t.port = port;
		cfg->sni = h[i].name[0] != '\0' ? h[i].name : NULL;
		if ((f = probe_open(cfg, &t, NULL, NULL, p)) == SMTP_OK ||
		    p->peer[0] != '\0')
			break;
	}
	return f;
}

/* "cannot probe 'mx.example.org' for 'example.org': why", one line. */
static void
failed(const struct probe_session *p, const char *target, const char *again)
{
	char	host[CLI_SHOWN_NAME];

	if (p->host[0] == '\0' || strcmp(p->host, target) == 0) {
		cli_warn("cannot probe '%s'%s: %s", shown(target), again,
		    p->err);
		return;
	}
	cli_show(p->host, strlen(p->host), CLI_SHOW_NAME, host, sizeof host);
	cli_warn("cannot probe '%s' for '%s'%s: %s", host, shown(target),
	    again, p->err);
}

static int
probe(struct probe_cfg *cfg, const struct nexthop_host *h, size_t nh,
    int port, const char *target)
{
	struct probe_session	 p;
	int			 rc;

	if (open_any(cfg, h, nh, port, &p) == SMTP_OK)
		probe_quit(&p);
	limits_warn(&p);
	if ((rc = fail_status(&p)) != MX_OK)
		failed(&p, target, "");
	/* Nothing answered: the diagnostic is the whole report. */
	if (cli_json)
		probefmt_json(stdout, &p);
	else if (p.peer[0] != '\0')
		probefmt_text(stdout, &p, cli_verbose);
	probe_free(&p);
	return rc;
}

/* The same session without early pipelining (filling the cache), then with. */
static int
compare_both(struct probe_cfg *cfg, const struct nexthop_host *h, size_t nh,
    int port, const char *target)
{
	struct probe_session	 a, b;
	struct nexthop_host	 one;
	int			 rc;

	cfg->early = 0;
	if (open_any(cfg, h, nh, port, &a) == SMTP_OK)
		probe_quit(&a);
	limits_warn(&a);
	if ((rc = fail_status(&a)) != MX_OK) {
		failed(&a, target, "");
		if (cli_json)
			probefmt_json(stdout, &a);
		else if (a.peer[0] != '\0')
			probefmt_text(stdout, &a, 1);
		probe_free(&a);
		return rc;
	}
	/* The same host again: the one that answered. */
	for (one = h[0]; nh > 0; h++, nh--)
		if (strcmp(h->name, a.host) == 0) {
			one = *h;
			break;
		}
	cfg->early = 1;
	if (open_any(cfg, &one, 1, port, &b) == SMTP_OK)
		probe_quit(&b);
	if ((rc = fail_status(&b)) != MX_OK)
		failed(&b, target, " again");
	if (cli_json)
		probefmt_compare_json(stdout, &a, &b);
	else
		probefmt_compare_text(stdout, &a, &b);
	probe_free(&a);
	probe_free(&b);
	return rc;
}

/*
 * The message on standard input, made CRLF by send_data: an empty one, a
 * NUL or a bare CR cannot go as they are (RFC 5321 2.3.8): 65.
 */
static char *
read_message(size_t *len, int *eightbit)
{
	char	*in = NULL, *out, *more, err[256];
	size_t	 n = 0, size = 0;
	ssize_t	 r;
	int	 rc;

	for (;;) {
		if (n == size) {
			size = size ? size * 2 : 65536;
			if ((more = realloc(in, size)) == NULL)
				cli_die(MX_OSERR, "out of memory");
			in = more;
		}
		if ((r = read(0, in + n, size - n)) == 0)
			break;
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			cli_die(MX_NOINPUT, "cannot read the message 'stdin': "
			    "%s", strerror(errno));
		n += r;
	}
	if ((rc = send_data(in, n, &out, len, eightbit, err,
	    sizeof err)) == -1)
		cli_die(MX_OSERR, "out of memory");
	if (rc != 0)
		cli_die(MX_DATAERR, "cannot send the message 'stdin': %s", err);
	free(in);
	return out;
}

static int
deliver(struct probe_cfg *cfg, const struct nexthop_host *h, size_t nh,
    int port, struct send_msg *m)
{
	struct send_result	 r;
	struct probe_target	 t;
	size_t			 i, j;

	for (i = 0; i < nh; i++) {
		memset(&r, 0, sizeof r);
		for (j = 0; j < m->nrcpt; j++) {
			m->rcpt[j].state = SEND_PENDING;
			m->rcpt[j].code = 0;
			m->rcpt[j].reply[0] = '\0';
		}
		t.host = h[i].name;
		t.addr = h[i].addr;
		t.naddr = h[i].naddr;
		t.port = port;
		cfg->sni = h[i].name[0] != '\0' ? h[i].name : NULL;
		send_run(cfg, &t, m, &r);
		/* No address of this host answered: the next host. */
		if (i + 1 < nh && r.accepted + r.refused == 0 &&
		    r.nsessions > 0 && r.sessions[0].peer[0] == '\0') {
			send_result_free(&r);
			continue;
		}
		break;
	}
	for (i = 0; i < r.nsessions; i++)
		if (r.sessions[i].fail != SMTP_OK) {
			cli_warn("session %zu with '%s' failed: %s", i + 1,
			    r.sessions[i].peer[0] != '\0' ? r.sessions[i].peer :
			    shown(h[0].name), r.sessions[i].err);
			break;
		}
	for (i = 0; i < r.nsessions; i++)
		limits_warn(&r.sessions[i]);
	if (cli_json)
		probefmt_send_json(stdout, m, &r);
	else
		probefmt_send_text(stdout, m, &r);
	i = r.deferred;
	j = r.refused;
	send_result_free(&r);
	/* A retry may deliver the deferred: 75 outranks 1. */
	return i > 0 ? MX_TEMPFAIL : j > 0 ? MX_REJECT : MX_OK;
}

int
main(int argc, const char **argv)
{
	static char		 hostname[256];
	struct probe_cfg	 cfg = { 0 };
	struct send_msg		 m = { 0 };
	struct nexthop		 hop;
	struct nexthop_host	*h;
	struct dns		*dns = NULL;
	struct pcache		*cache = NULL;
	poptContext		 pc;
	const char		**args;
	char			 err[512];
	size_t			 nh, i, dropped = 0;
	int			 port, rc, save = 0;

	pc = cli_parse(argc, argv, options, "[OPTION...] TARGET", onopt);
	args = poptGetArgs(pc);
	if (args == NULL || args[0] == NULL || args[1] != NULL)
		cli_die(MX_USAGE, "want one TARGET");
	if (only4 && only6)
		cli_die(MX_USAGE, "-4 and -6 exclude each other");
	if (starttls + no_starttls + implicit > 1)
		cli_die(MX_USAGE, "--starttls, --no-starttls and "
		    "--implicit-tls exclude each other");
	if (compare && (sending || no_early))
		cli_die(MX_USAGE, "--compare excludes --send and --no-early");
	if (sending && (from_opt == NULL || nto == 0))
		cli_die(MX_USAGE, "--send needs --from and --to");
	if (!sending && (from_opt != NULL || nto > 0))
		cli_die(MX_USAGE, "--from and --to need --send");
	if (from_opt != NULL && !addr_ok(from_opt))
		cli_die(MX_USAGE, "bad --from '%s'", shown(from_opt));
	cfg.timeout = timeout_opt ? cli_num("--timeout", timeout_opt, 1,
	    INT_MAX / 1000) : TIMEOUT_DEFAULT;
	dns_opt_timeout = cfg.timeout;
	if (helo_opt != NULL && dane_bad_name(helo_opt, strlen(helo_opt)))
		cli_die(MX_USAGE, "bad EHLO name '%s'", shown(helo_opt));
	if (helo_opt == NULL && (gethostname(hostname, sizeof hostname) != 0
	    || dane_bad_name(hostname, strlen(hostname)) != NULL))
		snprintf(hostname, sizeof hostname, "localhost");
	cfg.helo = helo_opt ? helo_opt : hostname;
	if (nexthop_parse(args[0], &hop) == -1)
		cli_die(errno == ENOMEM ? MX_OSERR : MX_USAGE,
		    "bad TARGET '%s'", shown(args[0]));
	port = hop.port;
	if (port_opt != NULL) {
		rc = cli_num("--port", port_opt, 1, 65535);
		if (port != 0 && port != rc)
			cli_die(MX_USAGE, "--port %d and TARGET's port %d "
			    "differ", rc, port);
		port = rc;
	}
	if (port == 0)
		port = 25;
	cfg.tls = starttls ? PROBE_TLS_REQUIRE : no_starttls ? PROBE_TLS_NONE :
	    implicit || port == 465 ? PROBE_TLS_IMPLICIT : PROBE_TLS_AUTO;
	cfg.early = !no_early;
	cfg.now = time(NULL);

	/* The message is the user's to fix: before any lookup. */
	if (sending) {
		m.from = from_opt;
		m.nrcpt = nto;
		if ((m.rcpt = calloc(nto, sizeof *m.rcpt)) == NULL)
			cli_die(MX_OSERR, "out of memory");
		for (i = 0; i < nto; i++) {
			m.rcpt[i].addr = to[i];
			m.rcpt[i].session = -1;
		}
		m.data = read_message(&m.len, &m.eightbit);
	}
	if (hop.lit.af == 0)
		dns = resolver();
	if ((rc = nexthop_hosts(dns, &hop, only4 ? AF_INET : only6 ? AF_INET6 :
	    AF_UNSPEC, &h, &nh, err, sizeof err)) != MX_OK)
		cli_die(rc, "%s", err);
	if (dns != NULL)
		dns_free(dns);
	if ((cfg.ctx = tls_ctx_new(err, sizeof err)) == NULL)
		cli_die(MX_OSERR, "%s", err);

	/*
	 * A cache that cannot be used is warned about and left as it is: it
	 * never stops a probe or a delivery, nor changes the exit status.
	 */
	if (cache_opt != NULL || compare) {
		if ((cache = pcache_new()) == NULL)
			cli_die(MX_OSERR, "out of memory");
		cfg.cache = cache;
	}
	if (cache_opt != NULL) {
		rc = pcache_load(cache, cache_opt, &dropped, err, sizeof err);
		/* err names the file and what is wrong with it */
		if (rc == MX_DATAERR)
			cli_warn("%s: not used, left as it is", err);
		else if (rc != MX_OK)
			cli_warn("%s: not used", err);
		else if (dropped > 0)
			cli_warn("%s", err);
		save = rc == MX_OK;
	}

	if (compare)
		rc = compare_both(&cfg, h, nh, port, args[0]);
	else if (sending)
		rc = deliver(&cfg, h, nh, port, &m);
	else
		rc = probe(&cfg, h, nh, port, args[0]);

	if (save && pcache_save(cache, cache_opt, cfg.timeout, err,
	    sizeof err) != 0)
		cli_warn("%s", err);
	if (cache != NULL)
		pcache_free(cache);
	nexthop_hosts_free(h, nh);
	nexthop_free(&hop);
	for (i = 0; i < nto; i++)
		free(to[i]);
	free(m.rcpt);
	free((char *)m.data);
	SSL_CTX_free(cfg.ctx);
	poptFreeContext(pc);
	i = cli_flush_stdout();
	return i != MX_OK ? (int)i : rc;
}
