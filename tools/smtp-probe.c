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

/*
 * dns.h's table less its own --timeout: ours bounds each DNS query too,
 * and one option is listed once.
 */
static struct poptOption dns_opts[] = {
	{ "resolver", '\0', POPT_ARG_STRING, &dns_opt_resolver, 0,
	  "send DNS queries to this recursive resolver instead of those of "
	  "/etc/resolv.conf (an IPv4 or IPv6 address; port 53 by default)",
	  "ADDR[@PORT]" },
	{ "dns-zone", '\0', POPT_ARG_STRING, &dns_opt_zone, 0,
	  "answer DNS queries from this master file instead, without a "
	  "server", "FILE" },
	POPT_TABLEEND
};

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
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, dns_opts, 0,
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

/* RFC 5321 4.1.2 atext; a byte over 127 is RFC 6531's UTF-8. */
static int
atext(unsigned char c)
{
	return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static int
letdig(unsigned char c)
{
	return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/*
 * A Mailbox of RFC 5321 4.1.2 (with RFC 6531's UTF-8), as SMTP carries it
 * between <>: a Dot-string or one whole Quoted-string, "@", a domain or an
 * address literal; or Postmaster alone (4.5.1).  What the grammar refuses
 * would be refused by the server or, worse, read otherwise by it.  Not
 * an angle bracket even quoted (it would end the path of MAIL or RCPT
 * early for a careless server), nor over the 254 octets of a path's
 * 256 less its brackets (4.5.3.1.3): send.c would refuse it per
 * recipient, after the connect; a usage error says it at once.
 */
static int
addr_ok(const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;

	if (strlen(s) > 254 || strpbrk(s, "<>") != NULL)
		return 0;
	if (strcasecmp(s, "postmaster") == 0)
		return 1;
	if (*p == '"') {
		for (p++; *p != '"'; p++) {
			if (*p == '\\')
				p++;
			if (*p < ' ' || *p == 0x7f)
				return 0;
		}
		p++;
	} else
		for (;;) {
			if (!atext(*p))
				return 0;
			while (atext(*p))
				p++;
			if (*p != '.')
				break;
			p++;
		}
	if (*p++ != '@')
		return 0;
	if (*p == '[') {
		/* an address literal: whatever the server makes of it, but
		   nothing that ends it early */
		for (p++; *p != ']'; p++)
			if (*p <= ' ' || *p == 0x7f || *p == '[' || *p == '\\')
				return 0;
		return p[1] == '\0';
	}
	for (;;) {
		if (!letdig(*p))
			return 0;
		while (letdig(*p) || *p == '-')
			p++;
		if (p[-1] == '-')
			return 0;
		if (*p != '.')
			break;
		p++;
	}
	return *p == '\0';
}

/*
 * The status of a fault that is not the message's own (a zone file, TLS
 * set up, memory): a delivery is retried later (75), as an MTA's pipe
 * transport takes it; a probe says what it was.
 */
static int
fault(int status)
{
	return sending ? MX_TEMPFAIL : status;
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
		cli_die(fault(MX_OSERR), "out of memory");
	if (arg[0] == '\0' || !addr_ok(arg))
		cli_die(MX_USAGE, "bad --to '%s'", shown(arg));
}

/*
 * The EHLO name when none is given: the node name when it has a dot, else
 * NULL for an address literal of the connection's own end (RFC 5321
 * 4.1.4), since a server may refuse a name that is no FQDN.  No
 * getaddrinfo(AI_CANONNAME) to make it canonical: libc's resolver is
 * bounded by no --timeout and blind to --resolver and --dns-zone.
 */
static const char *
helo_name(char *buf, size_t size)
{
	if (gethostname(buf, size) != 0 || buf[size - 1] != '\0' ||
	    dane_bad_name(buf, strlen(buf)) != NULL ||
	    strchr(buf, '.') == NULL)
		return NULL;
	return buf;
}

static struct dns *
resolver(void)
{
	struct dns	*dns;
	char		 err[512];

	if ((dns = dns_new(dns_opt_resolver, dns_opt_zone, dns_opt_timeout,
	    err, sizeof err)) == NULL)
		cli_die(fault(dns_new_status(errno)), "%s", err);
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

/*
 * What RFC 9422 made us ignore of the LIMITS in force (after TLS when TLS
 * is up: those before are no longer the server's word), on stderr, once
 * for each thing said.
 */
static void
limits_warn(const struct probe_session *p)
{
	static char	 last[512];
	const char	*why = probe_feat(p)->limits.why, *tls = p->tls_up ?
			    " after TLS" : "";
	char		 line[sizeof last];

	if (why[0] == '\0')
		return;
	/* ehlo.c's words begin "LIMITS ignored: " or "LIMITS: " */
	if (strncmp(why, "LIMITS ignored: ", 16) == 0)
		snprintf(line, sizeof line, "LIMITS of '%s'%s ignored: %s",
		    p->peer, tls, why + 16);
	else if (strncmp(why, "LIMITS: ", 8) == 0)
		snprintf(line, sizeof line, "LIMITS of '%s'%s: %s", p->peer,
		    tls, why + 8);
	else
		snprintf(line, sizeof line, "LIMITS of '%s'%s: %s", p->peer,
		    tls, why);
	if (strcmp(line, last) == 0)
		return;
	snprintf(last, sizeof last, "%s", line);
	cli_warn("%s", line);
}

/* The target as given, for a session with an address for host. */
static const char	*target_name;

/* The cache's file: loaded (0), not used, or saved; and why not. */
static struct pcache	*cache;
static const char	*cache_file;
static int		 cache_state;	/* 0 none, 1 loaded, 2 saved, -1 not
					   used or not saved */
static char		 cache_why[80];
static int		 cache_timeout;

/*
 * Save the cache, once, before the report says what was stored: a note
 * probe.c wrote of what it put in memory is made true of the file.
 */
static void
cache_finish(void)
{
	char	err[512];
	int	rc;

	if (cache_state != 1)
		return;
	if ((rc = pcache_save(cache, cache_file, cache_timeout, err,
	    sizeof err)) == 0) {
		cache_state = 2;
		return;
	}
	cli_warn("%s", err);
	cache_state = -1;
	snprintf(cache_why, sizeof cache_why, "%s",
	    rc == MX_TEMPFAIL ? "the file is locked" :
	    rc == MX_DATAERR ? "the file is not a cache" :
	    rc == MX_CANTCREAT ? "the file cannot be written" :
	    "the file could not be saved");
}

/* In note, each "WORD" after ": " becomes "not WORD: why". */
static void
note_fix(char *note, size_t size)
{
	static const char *const words[] = { "stored", "updated", "dropped" };
	char	 out[sizeof ((struct probe_session *)0)->cache_note];
	char	*n = note;
	size_t	 i, o = 0, len;

	if (cache_state != -1 || size > sizeof out)
		return;
	while (*n != '\0' && o + 1 < sizeof out) {
		for (i = 0; i < 3; i++) {
			len = strlen(words[i]);
			if (n > note && strncmp(n - 2, ": ", 2) == 0 &&
			    strncmp(n, words[i], len) == 0 &&
			    (n[len] == '\0' || n[len] == ';' || n[len] == ':'))
				break;
		}
		if (i < 3) {
			o += snprintf(out + o, sizeof out - o, "not %s: %s",
			    words[i], cache_why);
			if (o >= sizeof out)
				o = sizeof out - 1;
			n += len;
			/* probe.c's own reason after it is no longer true */
			if (*n == ':')
				n += strcspn(n, ";");
			continue;
		}
		out[o++] = *n++;
	}
	out[o] = '\0';
	snprintf(note, size, "%s", out);
}

/* The session, ready to report: host named, cache note true. */
static void
ready(struct probe_session *p)
{
	if (p->host[0] == '\0' && p->peer[0] != '\0')
		snprintf(p->host, sizeof p->host, "%s", target_name);
	note_fix(p->cache_note, sizeof p->cache_note);
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

	if (p->host[0] == '\0' || strcmp(p->host, target) == 0 ||
	    strcmp(p->host, target_name) == 0) {
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
	cache_finish();
	ready(&p);
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
		cache_finish();
		ready(&a);
		failed(&a, target, "");
		if (cli_json)
			probefmt_compare_json(stdout, &a, NULL);
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
	cache_finish();
	ready(&a);
	ready(&b);
	limits_warn(&b);
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
				cli_die(fault(MX_OSERR), "out of memory");
			in = more;
		}
		if ((r = read(0, in + n, size - n)) == 0)
			break;
		if (r == -1 && errno == EINTR)
			continue;
		/*
		 * A directory or a closed descriptor will never give a
		 * message: the command line's fault.  Any other read error
		 * is not the message's own: a retry may read it.
		 */
		if (r == -1)
			cli_die(errno == EISDIR || errno == EBADF ?
			    MX_NOINPUT : MX_TEMPFAIL, "cannot read the message "
			    "'stdin': %s", strerror(errno));
		n += r;
	}
	if ((rc = send_data(in, n, &out, len, eightbit, err,
	    sizeof err)) == -1)
		cli_die(fault(MX_OSERR), "out of memory");
	if (rc != 0)
		cli_die(MX_DATAERR, "cannot send the message 'stdin': %s", err);
	free(in);
	return out;
}

/*
 * A session that failed before any transaction went (nothing connected,
 * a timeout, a close, a 4xx banner or EHLO): the next address or MX host
 * may take the message, as a sending MTA goes on.  A 5xx is the server's
 * answer; a failure after a transaction went may have delivered it.
 */
static int
try_next(const struct send_result *r)
{
	const struct probe_session	*p;

	if (r->nsessions != 1 || r->ntrans > 0 || r->accepted > 0)
		return 0;
	p = &r->sessions[0];
	switch (p->fail) {
	case SMTP_REFUSED:
	case SMTP_TIMEOUT:
	case SMTP_CLOSED:
		return 1;
	case SMTP_REPLY:
		return fail_status(p) == MX_TEMPFAIL;
	default:
		return 0;
	}
}

/* "cannot send through 'mx1.example' (127.0.0.1:25), trying the next" */
static void
warn_next(const struct probe_session *p, const char *host)
{
	char	addr[128];

	if (p->peer[0] != '\0')
		snprintf(addr, sizeof addr, " (%s)", p->peer);
	else
		addr[0] = '\0';
	cli_warn("cannot send through '%s'%s, trying the next: %s",
	    shown(host), addr, p->err);
}

static int
deliver(struct probe_cfg *cfg, const struct nexthop_host *h, size_t nh,
    int port, struct send_msg *m)
{
	struct send_result	 r;
	struct probe_target	 t;
	const char		*name = target_name;
	size_t			 i, j, a, n = 0, tried = 0;

	memset(&r, 0, sizeof r);
	for (i = 0; i < nh; i++)
		n += h[i].naddr;
	/* Each address of each host in turn, until one takes the session. */
	for (i = 0; i < nh; i++)
		for (a = 0; a < h[i].naddr; a++) {
			if (tried++ > 0)
				send_result_free(&r);
			memset(&r, 0, sizeof r);
			t.host = h[i].name;
			t.addr = &h[i].addr[a];
			t.naddr = 1;
			t.port = port;
			cfg->sni = h[i].name[0] != '\0' ? h[i].name : NULL;
			/* send_run sets every recipient's state afresh */
			send_run(cfg, &t, m, &r);
			/* an address target has no name but the TARGET */
			name = h[i].name[0] != '\0' ? h[i].name : target_name;
			if (tried < n && try_next(&r)) {
				warn_next(&r.sessions[0], name);
				continue;
			}
			goto done;
		}
done:
	cache_finish();
	for (i = 0; i < r.nsessions; i++) {
		ready(&r.sessions[i]);
		if (r.sessions[i].fail != SMTP_OK) {
			cli_warn("session %zu with '%s' failed: %s", i + 1,
			    r.sessions[i].peer[0] != '\0' ? r.sessions[i].peer :
			    shown(name), r.sessions[i].err);
			break;
		}
	}
	for (i = 0; i < r.nsessions; i++)
		limits_warn(&r.sessions[i]);
	if (cli_json)
		probefmt_send_json(stdout, m, &r);
	else
		probefmt_send_text(stdout, m, &r, cli_verbose);
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
	poptContext		 pc;
	const char		**args;
	char			 err[512];
	size_t			 nh, i, dropped = 0;
	int			 port, rc;

	/* -v here adds the flights to the report (standard output) */
	for (i = 0; cli_common_options[i].longName != NULL ||
	    cli_common_options[i].shortName != '\0'; i++)
		if (cli_common_options[i].shortName == 'v')
			cli_common_options[i].descrip = "add the flights of "
			    "each session to the report";
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
	if (from_opt != NULL && from_opt[0] != '\0' && !addr_ok(from_opt))
		cli_die(MX_USAGE, "bad --from '%s'", shown(from_opt));
	cfg.timeout = timeout_opt ? cli_num("--timeout", timeout_opt, 1,
	    INT_MAX / 1000) : TIMEOUT_DEFAULT;
	dns_opt_timeout = cfg.timeout;
	if (helo_opt != NULL && dane_bad_name(helo_opt, strlen(helo_opt)))
		cli_die(MX_USAGE, "bad EHLO name '%s'", shown(helo_opt));
	cfg.helo = helo_opt ? helo_opt : helo_name(hostname, sizeof hostname);
	if (nexthop_parse(args[0], &hop) == -1)
		cli_die(errno == ENOMEM ? fault(MX_OSERR) : MX_USAGE,
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
			cli_die(fault(MX_OSERR), "out of memory");
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
		cli_die(rc == MX_OSERR ? fault(rc) : rc, "%s", err);
	if (dns != NULL)
		dns_free(dns);
	/* The CA bundle is read only when TLS may be used. */
	if (cfg.tls != PROBE_TLS_NONE &&
	    (cfg.ctx = tls_ctx_new(err, sizeof err)) == NULL)
		cli_die(fault(MX_OSERR), "%s", err);

	/*
	 * A cache that cannot be used is warned about and left as it is: it
	 * never stops a probe or a delivery, nor changes the exit status.
	 */
	if (cache_opt != NULL || compare) {
		if ((cache = pcache_new()) == NULL)
			cli_die(fault(MX_OSERR), "out of memory");
		cfg.cache = cache;
	}
	if (cache_opt != NULL) {
		cache_file = cache_opt;
		cache_timeout = cfg.timeout;
		rc = pcache_load(cache, cache_opt, &dropped, err, sizeof err);
		/* err names the file and what is wrong with it */
		if (rc == MX_DATAERR)
			cli_warn("%s: not used, left as it is", err);
		else if (rc != MX_OK)
			cli_warn("%s: not used", err);
		else if (dropped > 0)
			cli_warn("%s", err);
		cache_state = rc == MX_OK ? 1 : -1;
		snprintf(cache_why, sizeof cache_why, "%s",
		    rc == MX_DATAERR ? "the file is not a cache" :
		    "the file cannot be read");
	}
	target_name = hop.name;

	if (compare)
		rc = compare_both(&cfg, h, nh, port, args[0]);
	else if (sending)
		rc = deliver(&cfg, h, nh, port, &m);
	else
		rc = probe(&cfg, h, nh, port, args[0]);

	cache_finish();
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
	/*
	 * A report that could not be written (warned about) does not undo a
	 * delivery: the message must be neither resent nor bounced for it.
	 */
	i = cli_flush_stdout();
	return i != MX_OK && !sending ? (int)i : rc;
}
