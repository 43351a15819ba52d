/*
 * send-plan: recipients through send_plan, for t/75.
 *
 *	send-plan [--rcptmax N] [--rcptdomainmax N] [--walk | --first]
 *	    < recipients
 *
 * Reads one address a line (blank lines skipped) and prints
 * transactions=N, then one line per transaction, "T: addr addr ...", its
 * recipients in their input order.  0 for a limit means none, as an
 * absent one does.  With --walk the plan is made as send_run makes it,
 * one transaction at a time: send_plan's first transaction of the
 * recipients not yet planned, again and again; with --first the same
 * walk with send_plan_first, which must give the same plan.
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
static int	 walk, first;

static struct poptOption options[] = {
	{ "rcptmax", '\0', POPT_ARG_STRING, &rcptmax_arg, 0,
	  "RCPT commands per transaction (0: no limit)", "N" },
	{ "rcptdomainmax", '\0', POPT_ARG_STRING, &rcptdomainmax_arg, 0,
	  "recipient domains per transaction (0: no limit)", "N" },
	{ "walk", '\0', POPT_ARG_NONE, &walk, 0,
	  "one transaction at a time, with send_plan", NULL },
	{ "first", '\0', POPT_ARG_NONE, &first, 0,
	  "one transaction at a time, with send_plan_first", NULL },
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

/* The plan as send_run walks it: the first transaction of the rest. */
static size_t
by_walk(const struct list *l, long rcptmax, long rcptdomainmax,
    size_t *trans)
{
	const char	**rest;
	size_t		*idx, *t1, nrest, ntrans, i, k;

	if ((rest = calloc(l->n + 1, sizeof *rest)) == NULL ||
	    (idx = calloc(l->n + 1, sizeof *idx)) == NULL ||
	    (t1 = calloc(l->n + 1, sizeof *t1)) == NULL)
		cli_die(MX_SOFTWARE, "out of memory");
	for (i = 0; i < l->n; i++)
		idx[i] = i;
	nrest = l->n;
	for (ntrans = 0; nrest > 0; ntrans++) {
		for (i = 0; i < nrest; i++)
			rest[i] = l->addr[idx[i]];
		if (first)
			send_plan_first(rest, nrest, rcptmax, rcptdomainmax,
			    t1);
		else
			send_plan(rest, nrest, rcptmax, rcptdomainmax, t1);
		for (i = k = 0; i < nrest; i++) {
			if (t1[i] == 0)
				trans[idx[i]] = ntrans;
			else
				idx[k++] = idx[i];
		}
		if (k == nrest)
			cli_die(MX_SOFTWARE, "an empty first transaction");
		nrest = k;
	}
	free(rest);
	free(idx);
	free(t1);
	return ntrans;
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
		    "[--rcptdomainmax N] [--walk | --first] < recipients");
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
	if (walk || first)
		ntrans = by_walk(&l, rcptmax, rcptdomainmax, trans);
	else
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
