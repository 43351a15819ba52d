/*
 * dns-test: lookups through common/dns.c for t/50-dns.t.
 *
 *	dns-test [--resolver ADDR[@PORT]] [--dns-zone FILE] [--timeout N]
 *	    [--type TXT|A|AAAA|MX|PTR] NAME...
 *
 * One line per name: the name, the status word, then each record
 * shell-quoted, in the order given (TXT: the strings joined; A and AAAA:
 * the address; MX: the exchange, by preference; PTR: NAME is an address,
 * the names follow).  NAME/TYPE asks that name for that type instead, so
 * that one run (one cache) can ask one name for several types.  A
 * temporary or permanent failure also gets its reason on stderr.  Exit 0
 * once every name is looked up; when the options are bad, the diagnostic
 * and 64 (bad address or timeout), 65 (zone file syntax) or 66 (zone file
 * missing).
 */
#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "dns.h"

static char	*opt_type;

static struct poptOption options[] = {
	{ "type", '\0', POPT_ARG_STRING, &opt_type, 0,
	  "the record type: TXT (the default), A, AAAA, MX or PTR", "TYPE" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, dns_options, 0,
	  "DNS options:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

static int
type_ok(const char *t)
{
	return t == NULL || strcasecmp(t, "TXT") == 0 ||
	    strcasecmp(t, "A") == 0 || strcasecmp(t, "AAAA") == 0 ||
	    strcasecmp(t, "MX") == 0 || strcasecmp(t, "PTR") == 0;
}

/* The records of the type asked, as text, as dns_txt gives TXT ones. */
static enum dns_status
lookup(struct dns *d, const char *arg, char ***txt, size_t *n, char *err,
    size_t errlen)
{
	struct dns_addr	*a;
	enum dns_status	 st;
	char		 buf[INET6_ADDRSTRLEN], name[1024];
	const char	*type = opt_type, *slash = strchr(arg, '/');
	int		 af;

	snprintf(name, sizeof name, "%.*s", (int)(slash != NULL ?
	    slash - arg : (ptrdiff_t)strlen(arg)), arg);
	if (slash != NULL)
		type = slash + 1;
	if (!type_ok(type))
		cli_die(MX_USAGE, "bad type '%s': TXT, A, AAAA, MX or PTR",
		    type);

	if (type == NULL || strcasecmp(type, "TXT") == 0)
		return dns_txt(d, name, txt, n, err, errlen);
	if (strcasecmp(type, "MX") == 0)
		return dns_mx(d, name, txt, n, err, errlen);
	if (strcasecmp(type, "PTR") == 0)
		return dns_ptr(d, name, txt, n, err, errlen);
	af = strcasecmp(type, "AAAA") == 0 ? AF_INET6 : AF_INET;
	*txt = NULL;
	if ((st = dns_addr(d, name, af, &a, n, err, errlen)) != DNS_OK)
		return st;
	if ((*txt = calloc(*n, sizeof **txt)) == NULL)
		cli_die(MX_SOFTWARE, "out of memory");
	for (size_t i = 0; i < *n; i++)
		if (inet_ntop(af, a[i].a, buf, sizeof buf) == NULL ||
		    ((*txt)[i] = strdup(buf)) == NULL)
			cli_die(MX_SOFTWARE, "out of memory");
	free(a);
	return st;
}

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
	if (!type_ok(opt_type))
		cli_die(MX_USAGE, "bad type '%s': TXT, A, AAAA, MX or PTR",
		    opt_type);
	if ((d = dns_new(dns_opt_resolver, dns_opt_zone, dns_opt_timeout, err,
	    sizeof err)) == NULL) {
		rc = errno == EINVAL ? MX_USAGE : errno == EBADMSG ?
		    MX_DATAERR : MX_NOINPUT;
		poptFreeContext(pc);
		cli_die(rc, "%s", err);
	}
	while ((name = poptGetArg(pc)) != NULL) {
		st = lookup(d, name, &txt, &n, err, sizeof err);
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
