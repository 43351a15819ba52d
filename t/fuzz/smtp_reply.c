/*
 * Fuzz SMTP reply reading: smtp_parse_line on each line of the input,
 * and the whole input read as a server's replies through smtp_read over
 * a socketpair.  Each reply read must be exactly the next lines of the
 * input as a plain splitter cuts them (LF or CRLF), one code throughout,
 * every line but the last marked with '-', no line over SMTP_LINE_MAX
 * and no reply over SMTP_LINES_MAX lines; reading stops with a failure
 * (closed at the end, protocol before it) and never reads past the input.
 * smtp_ehlo_param finds only what a line holds.
 */
#include "config.h"

#include <sys/socket.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "smtp.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The next line of [*p, e): its start and length, *p past its LF. */
static int
next_line(const char **p, const char *e, const char **line, size_t *n)
{
	const char	*nl;

	if (*p >= e || (nl = memchr(*p, '\n', e - *p)) == NULL)
		return 0;
	*line = *p;
	*n = nl - *p;
	if (*n > 0 && nl[-1] == '\r')
		(*n)--;
	*p = nl + 1;
	return 1;
}

static void
check_ehlo(const struct smtp_reply *r)
{
	const char	*v;
	size_t		 i;
	int		 inside = 0;

	if ((v = smtp_ehlo_param(r, "STARTTLS")) == NULL)
		return;
	for (i = 1; i < r->nlines; i++)
		if (v >= r->lines[i] && v <= r->lines[i] +
		    strlen(r->lines[i]) &&
		    strncasecmp(r->lines[i], "STARTTLS", 8) == 0)
			inside = 1;
	if (!inside)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	struct smtp		 s;
	struct smtp_reply	 r;
	enum smtp_fail		 f;
	const char		*in = (const char *)buf, *p = in, *e = in + n;
	const char		*line, *text;
	char			 err[256];
	size_t			 len, i;
	int			 sv[2], code, more;

	/* Within what a socketpair holds without a reader. */
	if (n > 65536)
		return 0;
	while (next_line(&p, e, &line, &len))
		if (smtp_parse_line(line, len, &code, &more, &text) == 0 &&
		    (code < 200 || code > 599 || text < line ||
		    text > line + len || more != (len > 3 && line[3] == '-')))
			abort();

	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == -1)
		abort();
	if (write(sv[1], buf, n) != (ssize_t)n)
		abort();
	close(sv[1]);
	memset(&s, 0, sizeof s);
	s.fd = sv[0];
	s.timeout = 5;
	p = in;
	while ((f = smtp_read(&s, &r, err, sizeof err)) == SMTP_OK) {
		if (r.nlines == 0 || r.nlines > SMTP_LINES_MAX)
			abort();
		for (i = 0; i < r.nlines; i++) {
			if (!next_line(&p, e, &line, &len) ||
			    len > SMTP_LINE_MAX ||
			    smtp_parse_line(line, len, &code, &more,
			    &text) != 0 || code != r.code ||
			    more != (i + 1 < r.nlines) ||
			    strlen(r.lines[i]) != len - (text - line) ||
			    memcmp(r.lines[i], text, strlen(r.lines[i])) != 0)
				abort();
		}
		check_ehlo(&r);
		smtp_reply_free(&r);
	}
	if (r.lines != NULL || r.nlines != 0 || err[0] == '\0')
		abort();
	if (f != SMTP_CLOSED && f != SMTP_PROTOCOL)
		abort();
	close(sv[0]);
	return 0;
}
