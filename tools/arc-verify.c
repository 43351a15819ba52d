/*
 * arc-verify: validate the ARC chain (RFC 8617) of arriving messages and
 * report it under Exim's names, or add an Authentication-Results field.
 */
#include "config.h"

#include <sys/socket.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arc.h"
#include "authres.h"
#include "canon.h"
#include "cli.h"
#include "dkim.h"
#include "dns.h"
#include "msg.h"

static char	*accept_list = "none:pass", *add_header, *remote_ip,
		*domain, *selector, *keyfile;
static int	 check_key;
static time_t	 now;
static int	 with_filename, no_filename;

static struct poptOption options[] = {
	{ "accept", '\0', POPT_ARG_STRING, &accept_list, 0,
	  "exit 0 when arc_state is in this Exim list (default none:pass)",
	  "LIST" },
	{ "add-header", '\0', POPT_ARG_STRING, &add_header, 0,
	  "filter: write the message with an Authentication-Results field "
	  "of this authserv-id on top", "AUTHSERV-ID" },
	{ "ip", '\0', POPT_ARG_STRING, &remote_ip, 0,
	  "the sending client's address, for smtp.remote-ip in that field",
	  "ADDR" },
	{ "time", '\0', POPT_ARG_STRING, NULL, CLI_OPT_TIME,
	  "judge t= and x= as at this time (seconds since the epoch)", "T" },
	{ "check-key", '\0', POPT_ARG_NONE, &check_key, 0,
	  "say whether the key record published for -d and -s holds the "
	  "public half of the private key -k", NULL },
	{ "domain", 'd', POPT_ARG_STRING, &domain, 0,
	  "with --check-key: the signing domain", "DOMAIN" },
	{ "selector", 's', POPT_ARG_STRING, &selector, 0,
	  "with --check-key: the key's selector", "SELECTOR" },
	{ "key", 'k', POPT_ARG_STRING, &keyfile, 0,
	  "with --check-key: the private key, PEM", "FILE" },
	{ "with-filename", 'H', POPT_ARG_NONE, &with_filename, 0,
	  "start each result with its file name, even for one file", NULL },
	{ "no-filename", '\0', POPT_ARG_NONE, &no_filename, 0,
	  "no file names before the results, even for several files", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, dns_options, 0,
	  "DNS options:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

static struct dns	*dns;

static int
filter(struct msg *m, const struct arc_result *r, const char *name)
{
	const char	*eol = msg_crlf(m) ? "\r\n" : "\n";
	struct buf	 f = { 0 };
	char		 num[32], err[256];
	int		 bad;

	/* The verdict, a comment saying why, then the properties. */
	bad = buf_addstr(&f, "Authentication-Results: ") < 0 ||
	    buf_addstr(&f, add_header) < 0 || buf_addstr(&f, ";") < 0 ||
	    buf_addstr(&f, eol) < 0 || buf_addstr(&f, "\tarc=") < 0 ||
	    buf_addstr(&f, arc_state_name(r->state)) < 0 ||
	    buf_addstr(&f, " (") < 0 ||
	    buf_addstr(&f, r->state == ARC_FAIL ? r->reason :
	    r->state == ARC_PASS ? "chain valid" : "no chain") < 0 ||
	    buf_addstr(&f, ")") < 0;
	if (!bad && r->state == ARC_PASS) {
		snprintf(num, sizeof num, "%d", r->oldest_pass);
		bad = buf_addstr(&f, " header.oldest-pass=") < 0 ||
		    buf_addstr(&f, num) < 0;
	}
	/* An IPv6 address is no token: RFC 8601 wants it quoted. */
	if (!bad && remote_ip != NULL) {
		int	q = !authres_token_ok(remote_ip);

		bad = buf_addstr(&f, " smtp.remote-ip=") < 0 ||
		    (q && buf_addstr(&f, "\"") < 0) ||
		    buf_addstr(&f, remote_ip) < 0 ||
		    (q && buf_addstr(&f, "\"") < 0);
	}
	if (bad || buf_addstr(&f, eol) < 0 ||
	    msg_prepend(m, f.p, f.len) < 0) {
		buf_free(&f);
		cli_warn("cannot add a field to '%s': out of memory", name);
		return MX_TEMPFAIL;
	}
	buf_free(&f);
	/* A full disk or a closed pipe is no fault of the message. */
	if (msg_write(m, 1, err, sizeof err) != 0) {
		cli_warn("cannot write '%s': %s", name, err);
		return MX_TEMPFAIL;
	}
	return MX_OK;
}

/* --check-key: the published record against the private key. */
static int
key_check(int nargs)
{
	struct cli_rec	 rec;
	enum dkim_check	 c;
	EVP_PKEY	*pk;
	char		 err[512];
	int		 rc;

	if (nargs > 0 || add_header != NULL || remote_ip != NULL)
		cli_die(MX_USAGE, "--check-key takes no message, --add-header "
		    "or --ip");
	if (domain == NULL || selector == NULL || keyfile == NULL)
		cli_die(MX_USAGE, "--check-key needs -d DOMAIN, -s SELECTOR "
		    "and -k KEY");
	if (!dkim_name_ok(domain) || !dkim_name_ok(selector))
		cli_die(MX_USAGE, "bad domain or selector '%s' '%s'", domain,
		    selector);
	if ((pk = dkim_privkey_load(keyfile, err, sizeof err, &rc)) == NULL)
		cli_die(rc, "%s", err);
	c = dkim_key_check(dns, selector, domain, pk, err, sizeof err);
	EVP_PKEY_free(pk);
	if (c == DKIM_CHECK_TEMPFAIL)
		cli_die(MX_TEMPFAIL, "cannot check key '%s': %s", keyfile, err);
	cli_rec_begin(&rec, stdout, NULL);
	cli_rec_str(&rec, "key_status", dkim_check_name(c));
	cli_rec_str(&rec, "key_reason", err);
	cli_rec_end(&rec);
	rc = cli_flush_stdout();
	return rc != MX_OK ? rc : c == DKIM_CHECK_MATCH ? MX_OK : MX_REJECT;
}

static int
one(const char *path, const char *prefix)
{
	char			 shown[CLI_SHOWN_NAME];
	const char		*name = strcmp(path, "-") == 0 ? "stdin" :
				    cli_show(path, strlen(path), CLI_SHOW_NAME,
				    shown, sizeof shown);
	struct msg		*m;
	struct arc_result	 r;
	struct cli_rec		 rec;
	char			 err[256];
	int			 rc;

	if ((m = msg_new(MSG_MEM_DEFAULT)) == NULL)
		cli_die(add_header ? MX_TEMPFAIL : MX_SOFTWARE,
		    "out of memory");
	if ((rc = msg_read_path(m, path, err, sizeof err)) != 0) {
		cli_warn("cannot read '%s': %s", name, err);
		msg_free(m);
		/* A filter that cannot read its message now may later. */
		return add_header ? cli_filter_status(rc, 0) : rc;
	}
	if (arc_verify(m, dns, now, &r) < 0) {
		cli_warn("cannot validate '%s': %s", name,
		    r.reason[0] ? r.reason : "out of memory");
		msg_free(m);
		return add_header ? MX_TEMPFAIL : MX_IOERR;
	}
	if (r.tempfail) {
		/* No verdict now; a retry later may give one. */
		cli_warn("cannot validate '%s': %s", name, r.reason);
		msg_free(m);
		return MX_TEMPFAIL;
	}
	cli_info("%s: arc=%s%s%s", name, arc_state_name(r.state),
	    r.reason[0] ? " " : "", r.reason);
	if (add_header) {
		rc = filter(m, &r, name);
		msg_free(m);
		return rc;
	}
	cli_rec_begin(&rec, stdout, prefix);
	cli_rec_str(&rec, "arc_state", arc_state_name(r.state));
	cli_rec_str(&rec, "arc_state_reason", r.reason);
	cli_rec_str(&rec, "arc_domains", r.domains);
	cli_rec_int(&rec, "arc_oldest_pass", r.oldest_pass);
	cli_rec_end(&rec);
	msg_free(m);
	return cli_list_match(accept_list, arc_state_name(r.state)) ?
	    MX_OK : MX_REJECT;
}

int
main(int argc, const char **argv)
{
	static const char *const	 states[] = { "none", "pass", "fail",
					    NULL };
	poptContext	 pc;
	const char	**args;
	char		 err[256];
	unsigned char	 ip[16];
	int		 n = 0, i, rc = MX_OK, worst = MX_OK;

	pc = cli_parse(argc, argv, options, "[FILE...]", NULL);
	args = poptGetArgs(pc);
	while (args != NULL && args[n] != NULL)
		n++;
	now = cli_time(cli_time_arg);
	if (cli_list_check(accept_list, states, err, sizeof err) != 0)
		cli_die(MX_USAGE, "bad --accept '%s': %s", accept_list, err);
	if (add_header != NULL && n > 1)
		cli_die(MX_USAGE, "--add-header takes one message");
	if (add_header != NULL && !authres_token_ok(add_header))
		cli_die(MX_USAGE, "bad authserv-id '%s'", add_header);
	if (remote_ip != NULL && inet_pton(AF_INET, remote_ip, ip) != 1 &&
	    inet_pton(AF_INET6, remote_ip, ip) != 1)
		cli_die(MX_USAGE, "bad address '%s'", remote_ip);
	if (remote_ip != NULL && add_header == NULL)
		cli_die(MX_USAGE, "--ip goes with --add-header");
	if (with_filename && no_filename)
		cli_die(MX_USAGE, "-H and --no-filename exclude each other");
	if ((dns = dns_new(dns_opt_resolver, dns_opt_zone, dns_opt_timeout,
	    err, sizeof err)) == NULL) {
		rc = dns_new_status(errno);
		cli_die(add_header ? cli_filter_status(rc, 1) : rc, "%s",
		    err);
	}
	if (check_key) {
		rc = key_check(n);
		poptFreeContext(pc);
		dns_free(dns);
		return rc;
	}
	if (domain != NULL || selector != NULL || keyfile != NULL)
		cli_die(MX_USAGE, "-d, -s and -k go with --check-key");
	if (n == 0)
		worst = one("-", with_filename ? "stdin" : NULL);
	for (i = 0; i < n; i++) {
		rc = one(args[i], (n > 1 || with_filename) && !no_filename ?
		    args[i] : NULL);
		/* Several files: the worst outcome, as grep reports. */
		if (rc > worst)
			worst = rc;
	}
	poptFreeContext(pc);
	dns_free(dns);
	arc_cache_free();
	rc = cli_flush_stdout();
	if (add_header != NULL)
		rc = cli_filter_status(rc, 0);
	return rc > worst ? rc : worst;
}
