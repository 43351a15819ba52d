/*
 * dkim-tool: DKIM signing and verifying through common/ for the tests.
 *
 *	dkim-tool sign -d DOMAIN -s SELECTOR -k KEY [-c CANON] [-i ID]
 *	    [-h LIST] [-l N] [-T] [-x X] [--tag NAME[=VALUE]]... [--time T]
 *	    [FILE]
 *	dkim-tool verify [--time T] [DNS options] [FILE]
 *
 * sign writes the message (FILE or stdin) with a DKIM-Signature field on
 * top; verify prints one line per signature, in field order, of
 * dkim_verify's results as name=value pairs, values shell-quoted, apart by
 * one space (status, domain, selector, identity, alg, temperror, testing,
 * reason, b, detail), and nothing for a message with none.  Exit 0
 * whatever the results; 64 usage, 66 no input, 70 dkim_verify or signing
 * failed.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "dkim.h"
#include "dkimsign.h"
#include "dkimverify.h"
#include "dns.h"
#include "msg.h"

static char	*domain, *selector, *keyfile, *canon,
		*identity, *headers, *limit, *expire;
static int	 timestamps;
static const char *tags[16];
static size_t	 ntags;

static struct poptOption options[] = {
	{ "domain", 'd', POPT_ARG_STRING, NULL, 2, "sign: d=", "DOMAIN" },
	{ "selector", 's', POPT_ARG_STRING, NULL, 3, "sign: s=",
	  "SELECTOR" },
	{ "key", 'k', POPT_ARG_STRING, NULL, 4, "sign: the private key",
	  "FILE" },
	{ "canon", 'c', POPT_ARG_STRING, NULL, 5,
	  "sign: c= (default relaxed/relaxed)", "CANON" },
	{ "identity", 'i', POPT_ARG_STRING, NULL, 6, "sign: i=", "ID" },
	{ "headers", 'h', POPT_ARG_STRING, NULL, 7, "sign: h=", "LIST" },
	{ "limit", 'l', POPT_ARG_STRING, NULL, 8, "sign: l=", "N" },
	{ "timestamp", 'T', POPT_ARG_NONE, &timestamps, 0, "sign: t=", NULL },
	{ "expire", 'x', POPT_ARG_STRING, NULL, 9, "sign: x=", "X" },
	{ "tag", '\0', POPT_ARG_STRING, NULL, 1,
	  "sign: set a tag, or leave one out (NAME alone)", "NAME=VALUE" },
	{ "time", '\0', POPT_ARG_STRING, NULL, CLI_OPT_TIME,
	  "the time to sign at or judge t= and x= by", "T" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, dns_options, 0,
	  "DNS options:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

static int
sign(struct msg *m, time_t now)
{
	struct dkim_signer	 sg;
	char			 err[512];
	int			 rc;

	memset(&sg, 0, sizeof sg);
	if (domain == NULL || selector == NULL || keyfile == NULL)
		cli_die(MX_USAGE, "sign needs -d, -s and -k");
	if ((sg.key = dkim_privkey_load(keyfile, err, sizeof err, &rc)) ==
	    NULL)
		cli_die(rc, "%s", err);
	sg.alg = dkim_privkey_alg(sg.key);
	sg.domain = domain;
	sg.selector = selector;
	sg.identity = identity;
	sg.headers = headers;
	if (canon == NULL)
		canon = strdup("relaxed/relaxed");
	if (canon == NULL ||
	    dkim_canon_parse(canon, strlen(canon), &sg.hrel, &sg.brel) < 0)
		cli_die(MX_USAGE, "bad canonicalization '%s'", canon);
	sg.limit = limit != NULL ? cli_num("--limit", limit, 0,
	    999999999L) : -1;
	sg.expire = expire != NULL ? cli_num("--expire", expire, 1,
	    CLI_TIME_MAX) : 0;
	sg.now = now;
	sg.timestamps = timestamps;
	sg.tags = tags;
	sg.ntags = ntags;
	if (dkim_sign(m, &sg, err, sizeof err) < 0)
		cli_die(MX_SOFTWARE, "cannot sign: %s", err);
	EVP_PKEY_free(sg.key);
	if (msg_write(m, 1, err, sizeof err) != 0)
		cli_die(MX_IOERR, "%s", err);
	return 0;
}

static void
pair(const char *name, const char *val, int space)
{
	printf("%s%s=", space ? " " : "", name);
	cli_shell_quote(stdout, val, strlen(val));
}

static int
verify(struct msg *m, time_t now)
{
	struct dns	*d;
	struct dkim_sig	*s;
	char		 err[512];
	size_t		 n, i;

	if ((d = dns_new(dns_opt_resolver, dns_opt_zone, dns_opt_timeout, err,
	    sizeof err)) == NULL)
		cli_die(dns_new_status(errno), "%s", err);
	if (dkim_verify(m, d, now, &s, &n) < 0)
		cli_die(MX_SOFTWARE, "cannot verify");
	for (i = 0; i < n; i++) {
		pair("status", dkim_vstatus_name(s[i].status), 0);
		pair("domain", s[i].domain, 1);
		pair("selector", s[i].selector, 1);
		pair("identity", s[i].identity, 1);
		pair("alg", s[i].alg < 0 ? "" : dkim_alg_name(s[i].alg), 1);
		pair("temperror", s[i].temperror ? "1" : "0", 1);
		pair("testing", s[i].testing ? "1" : "0", 1);
		pair("reason", s[i].reason, 1);
		pair("b", s[i].b, 1);
		pair("detail", s[i].detail, 1);
		putchar('\n');
	}
	free(s);
	dns_free(d);
	dkim_cache_free();
	return 0;
}

/* The string options by val: the last one given counts. */
static char	**const slot[] = {
	[2] = &domain, [3] = &selector, [4] = &keyfile, [5] = &canon,
	[6] = &identity, [7] = &headers, [8] = &limit, [9] = &expire
};

static void
onopt(poptContext pc, int val)
{
	if (val == 1) {
		if (ntags == sizeof tags / sizeof tags[0])
			cli_die(MX_USAGE, "too many --tag");
		/* popt's copy: kept till exit. */
		tags[ntags++] = poptGetOptArg(pc);
		return;
	}
	/* An earlier copy is let go, not lost: a test may repeat -s. */
	free(*slot[val]);
	*slot[val] = poptGetOptArg(pc);
}

int
main(int argc, const char **argv)
{
	poptContext	 pc;
	struct msg	*m;
	const char	*mode, *path;
	char		 err[512];
	time_t		 now;
	int		 rc;

	pc = cli_parse(argc, argv, options, "sign|verify [FILE]", onopt);
	now = cli_time(cli_time_arg);
	if ((mode = poptGetArg(pc)) == NULL ||
	    (strcmp(mode, "sign") != 0 && strcmp(mode, "verify") != 0))
		cli_die(MX_USAGE, "usage: dkim-tool sign|verify [FILE]");
	if ((path = poptGetArg(pc)) == NULL)
		path = "-";
	if ((m = msg_new(MSG_MEM_DEFAULT)) == NULL)
		cli_die(MX_SOFTWARE, "out of memory");
	if ((rc = msg_read_path(m, path, err, sizeof err)) != 0)
		cli_die(rc, "cannot read '%s': %s", path, err);
	rc = strcmp(mode, "sign") == 0 ? sign(m, now) : verify(m, now);
	msg_free(m);
	poptFreeContext(pc);
	return rc;
}
