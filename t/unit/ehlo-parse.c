/*
 * ehlo-parse: an EHLO reply through common/ehlo.c, for t/72.
 *
 *	ehlo-parse < reply
 *
 * Reads the reply as the server sent it ("250-host Hello", "250-SIZE 10",
 * "250 HELP"; CRLF or LF) and prints what ehlo_parse found as name=value
 * lines (cli_rec; --json for one object): the greeting, each line as kwN,
 * kwN_param, kwN_keyword, the extensions' flags, size, auth, xclient,
 * pipeconnect, and the limits with why one or all were ignored.  A line
 * that is no reply line: 65.  With --same FILE, also same=1 or 0: whether
 * the reply in FILE offers the same (ehlo_same).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ehlo.h"
#include "smtp.h"

#include "reply.h"

static const char	*same_path;

static struct poptOption options[] = {
	{ "same", '\0', POPT_ARG_STRING, &same_path, 0,
	  "compare with the reply in FILE", "FILE" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

static void
parse(const char *name, struct smtp_reply *r, struct ehlo *e)
{
	FILE	*fp = stdin;

	if (name != NULL && (fp = fopen(name, "r")) == NULL)
		cli_die(MX_NOINPUT, "cannot open '%s'", name);
	read_reply(fp, name != NULL ? name : "stdin", r);
	if (fp != stdin)
		fclose(fp);
	if (ehlo_parse(e, r->lines, r->nlines) == -1)
		cli_die(MX_SOFTWARE, "out of memory");
}

int
main(int argc, const char **argv)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} flags[] = {
		{ "pipelining", offsetof(struct ehlo, pipelining) },
		{ "chunking", offsetof(struct ehlo, chunking) },
		{ "dsn", offsetof(struct ehlo, dsn) },
		{ "smtputf8", offsetof(struct ehlo, smtputf8) },
		{ "prdr", offsetof(struct ehlo, prdr) },
		{ "starttls", offsetof(struct ehlo, starttls) },
		{ "eightbitmime", offsetof(struct ehlo, eightbitmime) },
		{ "binarymime", offsetof(struct ehlo, binarymime) },
		{ "requiretls", offsetof(struct ehlo, requiretls) },
		{ "size_offered", offsetof(struct ehlo, size_offered) },
	};
	poptContext		 pc;
	struct smtp_reply	 r, r2;
	struct ehlo		 e, e2;
	struct cli_rec		 rec;
	const char		*pcn;
	char			 name[32];
	size_t			 i;

	pc = cli_parse(argc, argv, options, "< reply", NULL);
	if (poptPeekArg(pc) != NULL)
		cli_die(MX_USAGE, "usage: ehlo-parse [--same FILE] < reply");
	parse(NULL, &r, &e);
	cli_rec_begin(&rec, stdout, NULL);
	cli_rec_int(&rec, "code", r.code);
	cli_rec_str(&rec, "greeting", e.greeting);
	cli_rec_int(&rec, "nkw", e.nkw);
	for (i = 0; i < e.nkw; i++) {
		snprintf(name, sizeof name, "kw%zu", i + 1);
		cli_rec_str(&rec, name, e.kw[i].name);
		snprintf(name, sizeof name, "kw%zu_param", i + 1);
		cli_rec_str(&rec, name, e.kw[i].param);
		snprintf(name, sizeof name, "kw%zu_keyword", i + 1);
		cli_rec_int(&rec, name, e.kw[i].keyword);
	}
	for (i = 0; i < sizeof flags / sizeof flags[0]; i++)
		cli_rec_int(&rec, flags[i].name,
		    *(int *)((char *)&e + flags[i].off));
	snprintf(name, sizeof name, "%llu", e.size);
	cli_rec_str(&rec, "size", name);
	cli_rec_str(&rec, "auth", e.auth != NULL ? e.auth : "-");
	cli_rec_str(&rec, "xclient", e.xclient != NULL ? e.xclient : "-");
	pcn = ehlo_pipeconnect_name(e.pipeconnect);
	cli_rec_str(&rec, "pipeconnect", pcn != NULL ? pcn : "-");
	cli_rec_int(&rec, "limits_offered", e.limits.offered);
	cli_rec_int(&rec, "limits_valid", e.limits.valid);
	cli_rec_int(&rec, "mailmax", e.limits.mailmax);
	cli_rec_int(&rec, "rcptmax", e.limits.rcptmax);
	cli_rec_int(&rec, "rcptdomainmax", e.limits.rcptdomainmax);
	cli_rec_str(&rec, "limits_why", e.limits.why);
	if (same_path != NULL) {
		parse(same_path, &r2, &e2);
		cli_rec_int(&rec, "same", ehlo_same(&e, &e2));
		ehlo_free(&e2);
		smtp_reply_free(&r2);
	}
	cli_rec_end(&rec);
	ehlo_free(&e);
	smtp_reply_free(&r);
	poptFreeContext(pc);
	return cli_flush_stdout();
}
