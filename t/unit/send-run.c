/*
 * send-run: one message through common/send.c's send_run, for t/75.
 *
 *	send-run [--timeout N] [--helo NAME] [--tls auto|none|require|implicit]
 *	    [--cache FILE] [--no-early] --from ADDR --to ADDR... ADDR PORT
 *	    < message
 *
 * Reads the message on stdin (send_data: LF or CRLF), delivers it to the
 * server at ADDR (an IPv4 or IPv6 literal) and PORT, and prints a line
 * per recipient, "ADDR state=S code=N session=N trans=N reply=TEXT", then
 * sessions=, transactions=, rtts=, ms=, accepted=, deferred=, refused=
 * and, per session, session=K early=0|1 nearly=N rtts=N rtts_plain=N
 * retried=0|1 cache=NOTE.  With --cache
 * the cache is loaded first and saved after.  Exits as smtp-probe --send
 * does: 0 all accepted, 75 any deferred, 1 some refused, 65 a message
 * that cannot go, 64 a bad command line.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "pcache.h"
#include "probe.h"
#include "send.h"
#include "tls.h"

#define MSG_MAX	(64 * 1024 * 1024)

static char	*timeout_arg, *helo = "send-run.test", *tls_arg, *cache_arg;
static char	*from;
static char	**to;
static size_t	 nto;
static int	 no_early;

enum { OPT_TO = 1 };

static struct poptOption options[] = {
	{ "timeout", '\0', POPT_ARG_STRING, &timeout_arg, 0,
	  "seconds for each wait (default 5)", "N" },
	{ "helo", '\0', POPT_ARG_STRING, &helo, 0, "the EHLO name", "NAME" },
	{ "tls", '\0', POPT_ARG_STRING, &tls_arg, 0,
	  "auto, none, require or implicit", "MODE" },
	{ "cache", '\0', POPT_ARG_STRING, &cache_arg, 0,
	  "the early pipelining cache", "FILE" },
	{ "no-early", '\0', POPT_ARG_NONE, &no_early, 0,
	  "never early pipelining", NULL },
	{ "from", '\0', POPT_ARG_STRING, &from, 0, "the sender", "ADDR" },
	{ "to", '\0', POPT_ARG_STRING, NULL, OPT_TO, "a recipient", "ADDR" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

static void
onopt(poptContext pc, int val)
{
	char	**a;

	if (val != OPT_TO)
		return;
	/* poptGetOptArg's copy is ours to free */
	if ((a = reallocarray(to, nto + 1, sizeof *a)) == NULL ||
	    (a[nto] = poptGetOptArg(pc)) == NULL)
		cli_die(MX_SOFTWARE, "out of memory");
	to = a;
	nto++;
}

static char *
read_all(int fd, size_t *len)
{
	char	*b = NULL, *nb;
	size_t	 n = 0, cap = 0;
	ssize_t	 r;

	for (;;) {
		if (n == cap) {
			cap = cap ? 2 * cap : 65536;
			if (cap > MSG_MAX)
				cli_die(MX_DATAERR, "message over %d bytes",
				    MSG_MAX);
			if ((nb = realloc(b, cap)) == NULL)
				cli_die(MX_SOFTWARE, "out of memory");
			b = nb;
		}
		if ((r = read(fd, b + n, cap - n)) == -1) {
			if (errno == EINTR)
				continue;
			cli_die(MX_NOINPUT, "cannot read the message: %s",
			    strerror(errno));
		}
		if (r == 0)
			break;
		n += r;
	}
	*len = n;
	return b;
}

int
main(int argc, const char **argv)
{
	poptContext		 pc;
	struct probe_cfg	 cfg;
	struct probe_target	 t;
	struct dns_addr		 a;
	struct send_msg		 m;
	struct send_result	 r;
	struct probe_session	*s;
	const char		*addr, *port;
	char			 err[512], *raw, *data;
	size_t			 i, n, len, dropped;
	int			 rc;

	pc = cli_parse(argc, argv, options, "--from A --to B... ADDR PORT",
	    onopt);
	if ((addr = poptGetArg(pc)) == NULL || (port = poptGetArg(pc)) ==
	    NULL || poptPeekArg(pc) != NULL || from == NULL || nto == 0)
		cli_die(MX_USAGE, "usage: send-run [options] --from ADDR "
		    "--to ADDR... ADDR PORT < message");
	memset(&cfg, 0, sizeof cfg);
	memset(&t, 0, sizeof t);
	memset(&a, 0, sizeof a);
	cfg.helo = helo;
	cfg.timeout = timeout_arg ? cli_num("--timeout", timeout_arg, 1,
	    3600) : 5;
	cfg.early = !no_early;
	cfg.now = time(NULL);
	if (tls_arg == NULL || strcmp(tls_arg, "auto") == 0)
		cfg.tls = PROBE_TLS_AUTO;
	else if (strcmp(tls_arg, "none") == 0)
		cfg.tls = PROBE_TLS_NONE;
	else if (strcmp(tls_arg, "require") == 0)
		cfg.tls = PROBE_TLS_REQUIRE;
	else if (strcmp(tls_arg, "implicit") == 0)
		cfg.tls = PROBE_TLS_IMPLICIT;
	else
		cli_die(MX_USAGE, "bad --tls '%s'", tls_arg);
	if (inet_pton(AF_INET, addr, a.a) == 1)
		a.af = AF_INET;
	else if (inet_pton(AF_INET6, addr, a.a) == 1)
		a.af = AF_INET6;
	else
		cli_die(MX_USAGE, "bad address '%s'", addr);
	t.host = "";
	t.addr = &a;
	t.naddr = 1;
	t.port = cli_num("port", port, 1, 65535);
	if ((cfg.ctx = tls_ctx_new(err, sizeof err)) == NULL)
		cli_die(MX_SOFTWARE, "cannot make a TLS context: %s", err);
	if (cache_arg != NULL) {
		if ((cfg.cache = pcache_new()) == NULL)
			cli_die(MX_SOFTWARE, "out of memory");
		dropped = 0;
		err[0] = '\0';
		rc = pcache_load(cfg.cache, cache_arg, &dropped, err,
		    sizeof err);
		if (rc != 0)
			cli_die(rc, "cannot load cache '%s': %s", cache_arg,
			    err);
		if (dropped > 0)
			cli_warn("cache '%s': %zu entries dropped: %s",
			    cache_arg, dropped, err);
	}

	raw = read_all(0, &len);
	memset(&m, 0, sizeof m);
	rc = send_data(raw, len, &data, &m.len, &m.eightbit, err, sizeof err);
	if (rc == -1)
		cli_die(MX_SOFTWARE, "out of memory");
	if (rc != 0)
		cli_die(rc, "cannot send the message: %s", err);
	free(raw);
	m.data = data;
	m.from = from;
	m.nrcpt = nto;
	if ((m.rcpt = calloc(nto, sizeof *m.rcpt)) == NULL)
		cli_die(MX_SOFTWARE, "out of memory");
	for (i = 0; i < nto; i++)
		m.rcpt[i].addr = to[i];

	send_run(&cfg, &t, &m, &r);
	for (i = 0; i < m.nrcpt; i++) {
		printf("%s state=%s code=%d session=%d trans=%d reply=",
		    m.rcpt[i].addr, send_state_name(m.rcpt[i].state),
		    m.rcpt[i].code, m.rcpt[i].session, m.rcpt[i].trans);
		cli_shell_quote(stdout, m.rcpt[i].reply,
		    strlen(m.rcpt[i].reply));
		putchar('\n');
	}
	printf("sessions=%zu\ntransactions=%zu\nrtts=%d\nms=%.0f\n"
	    "accepted=%zu\ndeferred=%zu\nrefused=%zu\n", r.nsessions,
	    r.ntrans, r.rtts, r.ms, r.accepted, r.deferred, r.refused);
	for (i = 0; i < r.nsessions; i++) {
		s = &r.sessions[i];
		printf("session=%zu early=%d nearly=%zu rtts=%d rtts_plain=%d "
		    "retried=%d cache=", i, s->early, s->nearly, s->rtts,
		    s->rtts_plain, s->retried);
		cli_shell_quote(stdout, s->cache_note, strlen(s->cache_note));
		putchar('\n');
	}
	if (cache_arg != NULL && pcache_save(cfg.cache, cache_arg,
	    cfg.timeout, err, sizeof err) != 0)
		cli_warn("cannot save cache '%s': %s", cache_arg, err);
	rc = r.deferred > 0 ? MX_TEMPFAIL : r.refused > 0 ? MX_REJECT : MX_OK;
	send_result_free(&r);
	free(m.rcpt);
	free(data);
	for (n = 0; n < nto; n++)
		free(to[n]);
	free(to);
	if (cfg.cache != NULL)
		pcache_free(cfg.cache);
	SSL_CTX_free(cfg.ctx);
	poptFreeContext(pc);
	if (cli_flush_stdout() != 0)
		return MX_IOERR;
	return rc;
}
