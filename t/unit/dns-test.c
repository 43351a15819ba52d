/*
 * dns-test: TXT lookups through common/dns.c for t/50-dns.t.
 *
 *	dns-test [--resolver ADDR[@PORT]] [--dns-zone FILE] [--timeout N] NAME...
 *
 * One line per name: the name, the status word, then each record
 * shell-quoted, in the order given.  A temporary or permanent failure also
 * gets its reason on stderr.  Exit 0 once every name is looked up; when
 * the options are bad, the diagnostic and 64 (bad address or timeout), 65
 * (zone file syntax) or 66 (zone file missing).
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "dns.h"

static struct poptOption options[] = {
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, dns_options, 0,
	  "DNS options:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

int
main(int argc, const char **argv)
{
	poptContext	  pc;
	struct dns	 *d;
	const char	 *name;
	char		**txt, err[512];
	size_t		  n;
	enum dns_status	  st;
	int		  rc;

	pc = cli_parse(argc, argv, options, "NAME...", NULL);
	if ((d = dns_new(dns_opt_resolver, dns_opt_zone, dns_opt_timeout, err,
	    sizeof err)) == NULL) {
		rc = errno == EINVAL ? MX_USAGE : errno == EBADMSG ?
		    MX_DATAERR : MX_NOINPUT;
		poptFreeContext(pc);
		cli_die(rc, "%s", err);
	}
	while ((name = poptGetArg(pc)) != NULL) {
		st = dns_txt(d, name, &txt, &n, err, sizeof err);
		printf("%s %s", name, dns_status_name(st));
		for (size_t i = 0; i < n; i++) {
			putchar(' ');
			cli_shell_quote(stdout, txt[i], strlen(txt[i]));
		}
		putchar('\n');
		dns_txt_free(txt, n);
		if (st == DNS_TEMPFAIL || st == DNS_PERMFAIL) {
			fflush(stdout);
			cli_warn("lookup failed '%s': %s", name, err);
		}
	}
	dns_free(d);
	poptFreeContext(pc);
	return cli_flush_stdout();
}
