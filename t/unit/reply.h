/*
 * For the drivers that read a server's reply as a test writes it: the
 * lines "250-host", "250 HELP", CRLF or LF ended, into a struct smtp_reply
 * as smtp_read leaves it.  A line that is no reply line: exit 65.
 */
#ifndef MX_T_REPLY_H
#define MX_T_REPLY_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "smtp.h"

static void
read_reply(FILE *fp, const char *name, struct smtp_reply *r)
{
	char		*line = NULL, **nl;
	const char	*text;
	size_t		 cap = 0;
	ssize_t		 n;
	int		 code, more;

	memset(r, 0, sizeof *r);
	while ((n = getline(&line, &cap, fp)) != -1) {
		if (n > 0 && line[n - 1] == '\n')
			n--;
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (smtp_parse_line(line, n, &code, &more, &text) == -1)
			cli_die(MX_DATAERR, "no reply line in '%s'", name);
		r->code = code;
		if ((nl = reallocarray(r->lines, r->nlines + 1,
		    sizeof *nl)) == NULL)
			cli_die(MX_SOFTWARE, "out of memory");
		r->lines = nl;
		if ((nl[r->nlines] = strndup(text, line + n - text)) == NULL)
			cli_die(MX_SOFTWARE, "out of memory");
		r->nlines++;
	}
	if (ferror(fp))
		cli_die(MX_IOERR, "cannot read '%s'", name);
	free(line);
}

#endif
