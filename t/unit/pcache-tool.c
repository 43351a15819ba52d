/*
 * pcache-tool: the early-pipelining cache through common/pcache.c, for
 * t/73.
 *
 *	pcache-tool [--timeout N] FILE get PEER TLS
 *	pcache-tool [--timeout N] FILE put PEER TLS < reply
 *	pcache-tool [--timeout N] FILE drop PEER TLS
 *	pcache-tool [--timeout N] FILE text
 *
 * get prints the cached reply as the server sent it ("250-..." lines),
 * 1 when there is none; put reads a reply in that form and stores it, as
 * of now; drop takes an entry away; both save under the lock, waiting
 * --timeout seconds (default 5) for it.  text prints the cache as it
 * would be written.  A dropped entry is warned about; the exit status is
 * pcache_load's or pcache_save's.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "pcache.h"
#include "smtp.h"

#include "reply.h"

static int	timeout = 5;

static struct poptOption options[] = {
	{ "timeout", '\0', POPT_ARG_INT, &timeout, 0,
	  "wait at most N seconds for the lock", "N" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

static void
usage(void)
{
	cli_die(MX_USAGE, "usage: pcache-tool [--timeout N] FILE "
	    "get|put|drop PEER TLS | text");
}

int
main(int argc, const char **argv)
{
	poptContext		 pc;
	struct pcache		*c;
	struct smtp_reply	 r;
	const struct smtp_reply	*got;
	const char		*path, *cmd, *peer = NULL, *t;
	char			 err[CLI_SHOWN_NAME + 512], *text;
	size_t			 i, dropped, len;
	int			 rc, tls = 0;

	pc = cli_parse(argc, argv, options, "FILE get|put|drop PEER TLS | text",
	    NULL);
	if ((path = poptGetArg(pc)) == NULL || (cmd = poptGetArg(pc)) == NULL)
		usage();
	if (strcmp(cmd, "text") != 0) {
		if ((peer = poptGetArg(pc)) == NULL ||
		    (t = poptGetArg(pc)) == NULL ||
		    (strcmp(t, "0") != 0 && strcmp(t, "1") != 0))
			usage();
		tls = t[0] == '1';
	}
	if (poptPeekArg(pc) != NULL)
		usage();
	if ((c = pcache_new()) == NULL)
		cli_die(MX_SOFTWARE, "out of memory");
	if ((rc = pcache_load(c, path, &dropped, err, sizeof err)) != 0)
		cli_die(rc, "%s", err);
	if (dropped > 0)
		cli_warn("%s (%zu dropped)", err, dropped);
	if (strcmp(cmd, "get") == 0) {
		if ((got = pcache_get(c, peer, tls, time(NULL))) == NULL)
			rc = MX_REJECT;
		else
			for (i = 0; i < got->nlines; i++)
				printf("%d%c%s\n", got->code,
				    i + 1 < got->nlines ? '-' : ' ',
				    got->lines[i]);
	} else if (strcmp(cmd, "put") == 0 || strcmp(cmd, "drop") == 0) {
		if (cmd[0] == 'p') {
			read_reply(stdin, "stdin", &r);
			if (pcache_put(c, peer, tls, &r, time(NULL)) == -1)
				cli_die(MX_SOFTWARE, "out of memory");
			smtp_reply_free(&r);
		} else
			pcache_drop(c, peer, tls);
		if ((rc = pcache_save(c, path, timeout, err, sizeof err)) != 0)
			cli_die(rc, "%s", err);
	} else if (strcmp(cmd, "text") == 0) {
		if ((text = pcache_text(c, &len)) == NULL)
			cli_die(MX_SOFTWARE, "out of memory");
		fwrite(text, 1, len, stdout);
		free(text);
	} else
		usage();
	pcache_free(c);
	poptFreeContext(pc);
	if (cli_flush_stdout() != 0)
		return MX_IOERR;
	return rc;
}
