/*
 * spf-check: one SPF check through common/spf.c, for t/80 and t/81.
 *
 *	spf-check [--resolver ADDR[@PORT] | --dns-zone FILE] [--timeout N]
 *	    --ip IP --mail-from ADDR [--helo NAME] [--receiver NAME]
 *	    [--time T] [--time-limit SECS]
 *
 * Prints spf_result, spf_used_domain, spf_header_comment and
 * spf_smtp_comment, one line each, shell-quoted as the tools print them,
 * and exits 0 whatever the result; with -v the reason goes to stderr.  An
 * empty --mail-from is the null sender.  64 on a bad command line (an IP
 * that is no address among them), 70 out of memory.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dns.h"
#include "spf.h"

static char	*ip, *mail_from, *helo, *receiver, *limit;

static struct poptOption options[] = {
	{ "ip", '\0', POPT_ARG_STRING, &ip, 0,
	  "the SMTP client's address", "IP" },
	{ "mail-from", '\0', POPT_ARG_STRING, &mail_from, 0,
	  "the envelope sender ('' the null sender)", "ADDR" },
	{ "helo", '\0', POPT_ARG_STRING, &helo, 0,
	  "the HELO or EHLO name", "NAME" },
	{ "receiver", '\0', POPT_ARG_STRING, &receiver, 0,
	  "this host's name, for %{r} and the comments", "NAME" },
	{ "time", '\0', POPT_ARG_STRING, NULL, CLI_OPT_TIME,
	  "the time for %{t} (seconds since the epoch)", "T" },
	{ "time-limit", '\0', POPT_ARG_STRING, &limit, 0,
	  "give up with temperror after this long (default 20)", "SECS" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, dns_options, 0,
	  "DNS options:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

int
main(int argc, const char **argv)
{
	poptContext		 pc;
	struct dns		*d;
	struct spf_request	 req;
	struct spf_response	 res;
	struct cli_rec		 rec;
	char			 err[512];
	int			 rc;

	pc = cli_parse(argc, argv, options, "", NULL);
	if (poptPeekArg(pc) != NULL)
		cli_die(MX_USAGE, "unexpected argument '%s'", poptPeekArg(pc));
	if (ip == NULL || mail_from == NULL)
		cli_die(MX_USAGE, "--ip and --mail-from are needed");
	memset(&req, 0, sizeof req);
	req.ip = ip;
	req.mail_from = mail_from;
	req.helo = helo;
	req.receiver = receiver;
	req.now = cli_time(cli_time_arg);
	if (limit != NULL)
		req.time_limit = cli_num("--time-limit", limit, 1, 86400);
	if ((d = dns_new(dns_opt_resolver, dns_opt_zone, dns_opt_timeout, err,
	    sizeof err)) == NULL) {
		rc = dns_new_status(errno);
		poptFreeContext(pc);
		cli_die(rc, "%s", err);
	}
	if (spf_check(d, &req, &res) != 0) {
		rc = errno == ENOMEM ? MX_SOFTWARE : MX_USAGE;
		dns_free(d);
		poptFreeContext(pc);
		cli_die(rc, "cannot check '%s': %s", ip, res.reason);
	}
	cli_info("%s", res.reason);
	cli_rec_begin(&rec, stdout, NULL);
	cli_rec_str(&rec, "spf_result", spf_result_name(res.result));
	cli_rec_str(&rec, "spf_used_domain", res.domain);
	cli_rec_str(&rec, "spf_header_comment", res.header_comment);
	cli_rec_str(&rec, "spf_smtp_comment", res.smtp_comment);
	cli_rec_end(&rec);
	dns_free(d);
	poptFreeContext(pc);
	return cli_flush_stdout();
}
