/*
 * probe-session: one session through common/probe.c, for t/74 and for
 * tests that need a session before tools/smtp-probe does.
 *
 *	probe-session [--timeout N] [--helo H] [--tls auto|none|require|
 *	    implicit] [--cache FILE] [--no-early] [--early-mail ADDR
 *	    [--early-cmd CMD]...] [--flight CMD]... [--body TEXT]
 *	    ADDR[,ADDR]... PORT
 *
 * Opens a session on the first ADDR (an IPv4 or IPv6 literal; up to 8)
 * that answers at PORT with probe_open, the cache read from FILE and
 * saved back when given; with --early-mail, a MAIL FROM:<ADDR> goes with
 * the last EHLO when early pipelining allows (probe_early_fn), and the
 * --early-cmd commands after it (RCPT, DATA); when they did not go early
 * (no early pipelining, or a session abandoned and opened again), they go
 * first in the flight after the session opened; then the
 * --flight commands in one flight (probe_flight); with --body, TEXT (LF
 * made CRLF) and the final dot in a second flight (the --flight commands
 * end in DATA); and QUIT.  Prints name=value lines: fail, error,
 * fail_code, peer, banner, ehlo and ehlo_tls (the codes), pipeconnect,
 * starttls, tls, version and cipher, early, early_tls, retried, cache
 * (the note), the times (t_connect ... t_total, ms, -1 for a step that
 * did not happen), rtts, rtts_plain, nearly, the replies (early_reply=,
 * reply=), and every flight (flight=I KIND START END RTTS) and step
 * (step=I FLIGHT SENT DONE CODE LABEL).  Exits 0 when a session opened,
 * 1 when not, 64 on a bad command line.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "pcache.h"
#include "probe.h"
#include "tls.h"

static char	*timeout_arg, *helo = "probe-session.test", *tls_arg = "auto";
static char	*cache_path, *early_mail, *body, **cmds, **labels;
static char	**ecmds, **elabels;
static size_t	 ncmds, necmds;
static int	 no_early;

enum { OPT_FLIGHT = 1, OPT_EARLY };

static struct poptOption options[] = {
	{ "timeout", '\0', POPT_ARG_STRING, &timeout_arg, 0,
	  "seconds for each wait (default 5)", "N" },
	{ "helo", '\0', POPT_ARG_STRING, &helo, 0, "the EHLO name", "NAME" },
	{ "tls", '\0', POPT_ARG_STRING, &tls_arg, 0,
	  "auto, none, require or implicit", "MODE" },
	{ "cache", '\0', POPT_ARG_STRING, &cache_path, 0,
	  "the early-pipelining cache", "FILE" },
	{ "no-early", '\0', POPT_ARG_NONE, &no_early, 0,
	  "no early pipelining, whatever the cache says", NULL },
	{ "early-mail", '\0', POPT_ARG_STRING, &early_mail, 0,
	  "MAIL FROM:<ADDR> with the last EHLO when allowed", "ADDR" },
	{ "early-cmd", '\0', POPT_ARG_STRING, NULL, OPT_EARLY,
	  "a command after the early MAIL", "CMD" },
	{ "flight", '\0', POPT_ARG_STRING, NULL, OPT_FLIGHT,
	  "a command of the flight after the session opened", "CMD" },
	{ "body", '\0', POPT_ARG_STRING, &body, 0,
	  "after the flight (which ends in DATA), this message and the "
	  "final dot, in a flight of their own", "TEXT" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

static char	 mail_cmd[600];

static void
onopt(poptContext pc, int val)
{
	const char	*arg = poptGetOptArg(pc);
	char		*c;

	if (val == OPT_FLIGHT) {
		if ((cmds = reallocarray(cmds, ncmds + 1, sizeof *cmds)) ==
		    NULL || (labels = reallocarray(labels, ncmds + 1,
		    sizeof *labels)) == NULL || asprintf(&c, "%s\r\n", arg) ==
		    -1 || (labels[ncmds] = strdup(arg)) == NULL)
			cli_die(MX_SOFTWARE, "out of memory");
		cmds[ncmds++] = c;
	} else if (val == OPT_EARLY) {
		if ((ecmds = reallocarray(ecmds, necmds + 1, sizeof *ecmds)) ==
		    NULL || (elabels = reallocarray(elabels, necmds + 1,
		    sizeof *elabels)) == NULL || asprintf(&c, "%s\r\n", arg) ==
		    -1 || (elabels[necmds] = strdup(arg)) == NULL)
			cli_die(MX_SOFTWARE, "out of memory");
		ecmds[necmds++] = c;
	}
	free((void *)arg);
}

static size_t
early(void *arg, const struct ehlo *feat, struct probe_item *it,
    size_t max)
{
	size_t	 i;

	(void)arg;
	(void)feat;
	if (max < 1 + necmds)
		return 0;
	it->label = "MAIL";
	it->bytes = mail_cmd;
	it->len = strlen(mail_cmd);
	it->reply = 1;
	for (i = 0; i < necmds; i++) {
		it[1 + i].label = elabels[i];
		it[1 + i].bytes = ecmds[i];
		it[1 + i].len = strlen(ecmds[i]);
		it[1 + i].reply = 1;
	}
	return 1 + necmds;
}

static void
put_ms(struct cli_rec *rec, const char *name, double v)
{
	char	 buf[32];

	snprintf(buf, sizeof buf, "%.1f", v);
	cli_rec_str(rec, name, buf);
}

static void
put_reply(struct cli_rec *rec, const char *name, const struct smtp_reply *r)
{
	char	 line[600];

	snprintf(line, sizeof line, "%d %s", r->code, r->nlines > 0 ?
	    r->lines[0] : "");
	cli_rec_str(rec, name, line);
}

static void
put_session(struct cli_rec *rec, const struct probe_session *p)
{
	const struct probe_flight	*f;
	const struct probe_step		*s;
	char				 line[400];
	size_t				 i;

	cli_rec_str(rec, "fail", smtp_fail_name(p->fail));
	cli_rec_str(rec, "error", p->err);
	cli_rec_int(rec, "fail_code", p->fail_code);
	cli_rec_str(rec, "peer", p->peer);
	put_reply(rec, "banner", &p->banner);
	cli_rec_int(rec, "ehlo", p->ehlo.code);
	cli_rec_int(rec, "ehlo_tls", p->ehlo_tls.code);
	cli_rec_str(rec, "pipeconnect", p->feat.pipeconnect != EHLO_PC_NONE ?
	    ehlo_pipeconnect_name(p->feat.pipeconnect) : "");
	cli_rec_int(rec, "starttls", p->feat.starttls);
	cli_rec_int(rec, "tls", p->tls_up);
	cli_rec_str(rec, "version", p->tls.version);
	cli_rec_str(rec, "cipher", p->tls.cipher);
	cli_rec_int(rec, "early", p->early);
	cli_rec_int(rec, "early_tls", p->early_tls);
	cli_rec_int(rec, "retried", p->retried);
	cli_rec_str(rec, "cache", p->cache_note);
	put_ms(rec, "t_connect", p->t_connect);
	put_ms(rec, "t_banner", p->t_banner);
	put_ms(rec, "t_ehlo", p->t_ehlo);
	put_ms(rec, "t_starttls", p->t_starttls);
	put_ms(rec, "t_handshake", p->t_handshake);
	put_ms(rec, "t_ehlo_tls", p->t_ehlo_tls);
	put_ms(rec, "t_quit", p->t_quit);
	put_ms(rec, "t_total", p->t_total);
	cli_rec_int(rec, "rtts", p->rtts);
	cli_rec_int(rec, "rtts_plain", p->rtts_plain);
	cli_rec_int(rec, "nearly", p->nearly);
	for (i = 0; i < p->nearly_replies; i++)
		put_reply(rec, "early_reply", &p->early_replies[i]);
	for (i = 0; i < p->nflights; i++) {
		f = &p->flights[i];
		snprintf(line, sizeof line, "%zu %s %.1f %.1f %d", i, f->kind,
		    f->start, f->end, f->rtts);
		cli_rec_str(rec, "flight", line);
	}
	for (i = 0; i < p->nsteps; i++) {
		s = &p->steps[i];
		snprintf(line, sizeof line, "%zu %d %.1f %.1f %d %s", i,
		    s->flight, s->sent, s->done, s->code, s->label);
		cli_rec_str(rec, "step", line);
	}
}

/* The message in one flight: LF made CRLF, then the final dot. */
static int
send_body(struct cli_rec *rec, struct probe_session *p)
{
	struct probe_item	 it;
	struct smtp_reply	 r;
	char			*data, *d;
	const char		*b;
	int			 ok;

	if ((data = malloc(2 * strlen(body) + 6)) == NULL)
		cli_die(MX_SOFTWARE, "out of memory");
	for (b = body, d = data; *b != '\0'; b++) {
		if (*b == '\n')
			*d++ = '\r';
		*d++ = *b;
	}
	memcpy(d, ".\r\n", 4);
	memset(&it, 0, sizeof it);
	it.label = "message";
	it.bytes = data;
	it.len = d + 3 - data;
	it.reply = 1;
	ok = probe_flight(p, &it, 1, &r) == SMTP_OK;
	if (ok)
		put_reply(rec, "reply", &r);
	smtp_reply_free(&r);
	free(data);
	return ok;
}

int
main(int argc, const char **argv)
{
	poptContext		 pc;
	struct probe_cfg	 cfg;
	struct probe_target	 t;
	struct probe_session	 p;
	struct probe_item	*it;
	struct smtp_reply	*r;
	struct dns_addr		 a[8];
	struct cli_rec		 rec;
	const char		*addr, *port_arg;
	char			 err[512], *list, *w;
	size_t			 i, k, dropped = 0, naddr = 0;
	int			 status, opened;

	pc = cli_parse(argc, argv, options, "ADDR[,ADDR]... PORT", onopt);
	if ((addr = poptGetArg(pc)) == NULL ||
	    (port_arg = poptGetArg(pc)) == NULL || poptPeekArg(pc) != NULL)
		cli_die(MX_USAGE, "usage: probe-session [options] ADDR[,ADDR]... PORT");
	memset(&cfg, 0, sizeof cfg);
	memset(&t, 0, sizeof t);
	t.port = cli_num("PORT", port_arg, 1, 65535);
	cfg.timeout = timeout_arg != NULL ?
	    cli_num("--timeout", timeout_arg, 1, 3600) : 5;
	if ((list = strdup(addr)) == NULL)
		cli_die(MX_SOFTWARE, "out of memory");
	for (w = strtok(list, ","); w != NULL && naddr < 8;
	    w = strtok(NULL, ",")) {
		memset(&a[naddr], 0, sizeof a[naddr]);
		if (inet_pton(AF_INET, w, a[naddr].a) == 1)
			a[naddr].af = AF_INET;
		else if (inet_pton(AF_INET6, w, a[naddr].a) == 1)
			a[naddr].af = AF_INET6;
		else
			cli_die(MX_USAGE, "no address '%s'", w);
		naddr++;
	}
	free(list);
	if (strcmp(tls_arg, "auto") == 0)
		cfg.tls = PROBE_TLS_AUTO;
	else if (strcmp(tls_arg, "none") == 0)
		cfg.tls = PROBE_TLS_NONE;
	else if (strcmp(tls_arg, "require") == 0)
		cfg.tls = PROBE_TLS_REQUIRE;
	else if (strcmp(tls_arg, "implicit") == 0)
		cfg.tls = PROBE_TLS_IMPLICIT;
	else
		cli_die(MX_USAGE, "bad --tls '%s'", tls_arg);
	if (early_mail != NULL && (size_t)snprintf(mail_cmd, sizeof mail_cmd,
	    "MAIL FROM:<%s>\r\n", early_mail) >= sizeof mail_cmd)
		cli_die(MX_USAGE, "--early-mail too long");
	t.host = "";
	t.addr = a;
	t.naddr = naddr;
	cfg.helo = helo;
	cfg.early = !no_early;
	cfg.now = time(NULL);
	if ((cfg.ctx = tls_ctx_new(err, sizeof err)) == NULL)
		cli_die(MX_SOFTWARE, "%s", err);
	if (cache_path != NULL) {
		if ((cfg.cache = pcache_new()) == NULL)
			cli_die(MX_SOFTWARE, "out of memory");
		if ((status = pcache_load(cfg.cache, cache_path, &dropped, err,
		    sizeof err)) != 0)
			cli_die(status, "cannot read the cache '%s': %s",
			    cache_path, err);
		if (dropped > 0)
			cli_warn("cache '%s': %zu entries dropped: %s",
			    cache_path, dropped, err);
	}

	opened = probe_open(&cfg, &t, early_mail != NULL ? early : NULL, NULL,
	    &p) == SMTP_OK;
	cli_rec_begin(&rec, stdout, NULL);
	/* The early items that did not go early go first now. */
	k = early_mail != NULL && p.nearly == 0 ? 1 + necmds : 0;
	if (opened && ncmds + k > 0) {
		if ((it = calloc(ncmds + k, sizeof *it)) == NULL ||
		    (r = calloc(ncmds + k, sizeof *r)) == NULL)
			cli_die(MX_SOFTWARE, "out of memory");
		if (k > 0)
			early(NULL, NULL, it, k);
		for (i = 0; i < ncmds; i++) {
			it[k + i].label = labels[i];
			it[k + i].bytes = cmds[i];
			it[k + i].len = strlen(cmds[i]);
			it[k + i].reply = 1;
		}
		if (probe_flight(&p, it, ncmds + k, r) != SMTP_OK)
			opened = 0;
		for (i = 0; i < ncmds + k; i++) {
			if (r[i].code != 0)
				put_reply(&rec, "reply", &r[i]);
			smtp_reply_free(&r[i]);
		}
		free(it);
		free(r);
	}
	if (opened && body != NULL)
		opened = send_body(&rec, &p);
	probe_quit(&p);
	put_session(&rec, &p);
	cli_rec_end(&rec);
	if (cfg.cache != NULL) {
		if ((status = pcache_save(cfg.cache, cache_path, cfg.timeout,
		    err, sizeof err)) != 0)
			cli_warn("cannot save the cache '%s': %s", cache_path,
			    err);
		pcache_free(cfg.cache);
	}
	probe_free(&p);
	SSL_CTX_free(cfg.ctx);
	for (i = 0; i < ncmds; i++) {
		free(cmds[i]);
		free(labels[i]);
	}
	free(cmds);
	free(labels);
	for (i = 0; i < necmds; i++) {
		free(ecmds[i]);
		free(elabels[i]);
	}
	free(ecmds);
	free(elabels);
	poptFreeContext(pc);
	return opened ? 0 : 1;
}
