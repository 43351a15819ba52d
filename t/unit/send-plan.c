/*
 * send-plan: recipients through send_plan, for t/75.
 *
 *	send-plan [--rcptmax N] [--rcptdomainmax N] < recipients
 *
 * Reads one address a line (blank lines skipped) and prints
 * transactions=N, then one line per transaction, "T: addr addr ...", its
 * recipients in their input order.  0 for a limit means none, as an
 * absent one does.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "send.h"

#define ADDR_MAX	1024

static char	*rcptmax_arg, *rcptdomainmax_arg;

static struct poptOption options[] = {
	{ "rcptmax", '\0', POPT_ARG_STRING, &rcptmax_arg, 0,
	  "RCPT commands per transaction (0: no limit)", "N" },
	{ "rcptdomainmax", '\0', POPT_ARG_STRING, &rcptdomainmax_arg, 0,
	  "recipient domains per transaction (0: no limit)", "N" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

struct list {
	char		**addr;
	size_t		 n;
};

static int
add(void *arg, const char *line, size_t len, unsigned long lineno)
{
	struct list	*l = arg;
	char		**a;

	if (line == NULL)
		cli_die(MX_DATAERR, "line %lu: address too long", lineno);
	if (len == 0)
		return 0;
	if ((a = reallocarray(l->addr, l->n + 1, sizeof *a)) == NULL ||
	    (a[l->n] = strndup(line, len)) == NULL)
		cli_die(MX_SOFTWARE, "out of memory");
	l->addr = a;
	l->n++;
	return 0;
}

int
main(int argc, const char **argv)
{
	poptContext	 pc;
	struct list	 l = { NULL, 0 };
	size_t		*trans, ntrans, t, i;
	long		 rcptmax = 0, rcptdomainmax = 0;

	pc = cli_parse(argc, argv, options, "< recipients", NULL);
	if (poptPeekArg(pc) != NULL)
		cli_die(MX_USAGE, "usage: send-plan [--rcptmax N] "
		    "[--rcptdomainmax N] < recipients");
	if (rcptmax_arg != NULL)
		rcptmax = cli_num("--rcptmax", rcptmax_arg, 0, 1000000000);
	if (rcptdomainmax_arg != NULL)
		rcptdomainmax = cli_num("--rcptdomainmax", rcptdomainmax_arg,
		    0, 1000000000);
	if (cli_lines(0, ADDR_MAX, add, &l) == -1)
		cli_die(MX_IOERR, "cannot read standard input: %s",
		    strerror(errno));
	if ((trans = calloc(l.n + 1, sizeof *trans)) == NULL)
		cli_die(MX_SOFTWARE, "out of memory");
	ntrans = send_plan((const char *const *)l.addr, l.n, rcptmax,
	    rcptdomainmax, trans);
	printf("transactions=%zu\n", ntrans);
	for (t = 0; t < ntrans; t++) {
		printf("%zu:", t);
		for (i = 0; i < l.n; i++)
			if (trans[i] == t)
				printf(" %s", l.addr[i]);
		putchar('\n');
	}
	for (i = 0; i < l.n; i++)
		free(l.addr[i]);
	free(l.addr);
	free(trans);
	poptFreeContext(pc);
	return cli_flush_stdout();
}
