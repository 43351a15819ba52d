#include "config.h"

#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "cli.h"

int	cli_verbose;
int	cli_json;
int	cli_syslog;

static const char	*progname = PACKAGE;

enum { OPT_HELP = 100, OPT_USAGE, OPT_VERSION };

char	*cli_time_arg;

struct poptOption cli_common_options[] = {
	{ "verbose", 'v', POPT_ARG_NONE, &cli_verbose, 0,
	  "report what is being done on stderr", NULL },
	{ "json", '\0', POPT_ARG_NONE, &cli_json, 0,
	  "write results as JSON, one object per line", NULL },
	{ "syslog", '\0', POPT_ARG_NONE, &cli_syslog, 0,
	  "send diagnostics to syslog (facility mail), not stderr", NULL },
	{ "help", 'h', POPT_ARG_NONE, NULL, OPT_HELP,
	  "show this help and exit", NULL },
	{ "usage", '\0', POPT_ARG_NONE, NULL, OPT_USAGE,
	  "show a short usage message and exit", NULL },
	{ "version", 'V', POPT_ARG_NONE, NULL, OPT_VERSION,
	  "show the version and exit", NULL },
	POPT_TABLEEND
};

const char *
cli_progname(void)
{
	return progname;
}

/*
 * One diagnostic, on stderr, or with --syslog to syslog(3) instead: a
 * server's stderr often goes nowhere, and a transport filter's goes into
 * the very message it writes (Exim sends it on as message text).
 */
static void
vwarn_line(int prio, const char *fmt, va_list ap)
{
	static int	opened;
	char		buf[1024];

	vsnprintf(buf, sizeof buf, fmt, ap);
	/* A diagnostic is one line whatever the input held. */
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (!cli_syslog) {
		fprintf(stderr, "%s: %s\n", progname, buf);
		return;
	}
	if (!opened) {
		openlog(progname, LOG_PID, LOG_MAIL);
		opened = 1;
	}
	syslog(prio, "%s", buf);
}

void
cli_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vwarn_line(LOG_ERR, fmt, ap);
	va_end(ap);
}

void
cli_die(int status, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vwarn_line(LOG_ERR, fmt, ap);
	va_end(ap);
	exit(status);
}

void
cli_info(const char *fmt, ...)
{
	va_list	ap;

	if (!cli_verbose)
		return;
	va_start(ap, fmt);
	vwarn_line(LOG_INFO, fmt, ap);
	va_end(ap);
}

/*
 * popt names the value, not the option, in "--max-age x": find the option
 * it belongs to so that the diagnostic names both.  The context is freed
 * first: exiting with it allocated is a leak to LeakSanitizer.
 */
static void
bad_option(poptContext pc, int rc, int argc, const char **argv)
{
	const char	*bad = poptBadOption(pc, POPT_BADOPTION_NOALIAS);
	char		 msg[512];
	int		 i = 0;

	if (bad != NULL && *bad != '-' && (rc == POPT_ERROR_BADNUMBER ||
	    rc == POPT_ERROR_OVERFLOW))
		for (i = argc - 1; i > 1; i--)
			if (strcmp(argv[i], bad) == 0 && argv[i - 1][0] == '-')
				break;
	if (i > 1)
		snprintf(msg, sizeof msg, "bad value '%s' for '%s': %s", bad,
		    argv[i - 1], poptStrerror(rc));
	else
		snprintf(msg, sizeof msg, "bad option '%s': %s",
		    bad ? bad : "", poptStrerror(rc));
	poptFreeContext(pc);
	cli_die(MX_USAGE, "%s (see %s --help)", msg, progname);
}

/* --help, --usage, --version: print, free, exit. */
static void
info_exit(poptContext pc, int what)
{
	if (what == OPT_HELP)
		poptPrintHelp(pc, stdout, 0);
	else if (what == OPT_USAGE)
		poptPrintUsage(pc, stdout, 0);
	else
		printf("%s (%s) %s\n", progname, PACKAGE_NAME, PACKAGE_VERSION);
	poptFreeContext(pc);
	exit(cli_flush_stdout());
}

/*
 * A tool started with stdin, stdout or stderr closed would hand that
 * number to the next file or socket it opens, and then write its results
 * or diagnostics into a listening socket or a key file.  Each closed one
 * is opened on /dev/null the wrong way round (stdin for writing, the
 * others for reading), which fills the gap and still fails every read or
 * write with EBADF, as the closed one did: a filter whose stdout is
 * closed must not exit 0 with the message gone.  Without /dev/null
 * nothing is safe, and the tool stops at once (75: the machine's fault).
 */
static void
std_fds(void)
{
	int	fd;

	for (int i = 0; i <= 2; i++) {
		if (fcntl(i, F_GETFD) != -1 || errno != EBADF)
			continue;
		if ((fd = open("/dev/null", i == 0 ? O_WRONLY : O_RDONLY)) != i) {
			if (fd != -1 && fd > 2)
				close(fd);
			_exit(MX_TEMPFAIL);
		}
	}
}

poptContext
cli_parse(int argc, const char **argv, const struct poptOption *opts,
    const char *args_help, void (*onopt)(poptContext, int))
{
	poptContext	 pc;
	const char	*slash;
	int		 rc;

	std_fds();
	/*
	 * A reader gone or a file-size limit is a write error to report
	 * with the exit status the contract gives, not a death by signal
	 * that leaves temporary files and says nothing.
	 */
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN);
	if (argc > 0 && argv[0] != NULL) {
		slash = strrchr(argv[0], '/');
		progname = slash ? slash + 1 : argv[0];
	}
	pc = poptGetContext(progname, argc, argv, opts, 0);
	if (args_help != NULL)
		poptSetOtherOptionHelp(pc, args_help);
	while ((rc = poptGetNextOpt(pc)) > 0) {
		if (rc == CLI_OPT_TIME) {
			free(cli_time_arg);
			cli_time_arg = poptGetOptArg(pc);
		} else if (rc >= OPT_HELP)
			info_exit(pc, rc);
		else if (onopt != NULL)
			onopt(pc, rc);
	}
	if (rc < -1)
		bad_option(pc, rc, argc, argv);
	return pc;
}

static int
shell_safe(const char *s, size_t n)
{
	if (n == 0)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyz"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
		    "@%+=:,./-_", s[i]) || s[i] == '\0')
			return 0;
	return 1;
}

int
cli_hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

void
cli_shell_quote(FILE *fp, const char *s, size_t n)
{
	if (shell_safe(s, n)) {
		fwrite(s, 1, n, fp);
		return;
	}
	putc('\'', fp);
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\'')
			fputs("'\\''", fp);
		else
			putc(s[i], fp);
	}
	putc('\'', fp);
}

/*
 * The length of the well-formed UTF-8 sequence at s (RFC 3629 4: no
 * overlong form, no surrogate, nothing above U+10FFFF), or 0.
 */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	unsigned char	lo = 0x80, hi = 0xbf;
	size_t		len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;
	else if (s[0] == 0xed)
		hi = 0x9f;
	else if (s[0] == 0xf0)
		lo = 0x90;
	else if (s[0] == 0xf4)
		hi = 0x8f;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

/*
 * RFC 8259 8.1: JSON text is UTF-8.  A byte that is not part of a
 * well-formed sequence (a file name or an address may hold any) becomes
 * U+FFFD, written as \ufffd, so that every line parses; the shell-quoted
 * output keeps the bytes as they are.
 */
void
cli_json_string(FILE *fp, const char *s, size_t n)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i = 0, len;

	putc('"', fp);
	while (i < n) {
		unsigned char	c = u[i];

		switch (c) {
		case '"':	fputs("\\\"", fp); break;
		case '\\':	fputs("\\\\", fp); break;
		case '\n':	fputs("\\n", fp); break;
		case '\r':	fputs("\\r", fp); break;
		case '\t':	fputs("\\t", fp); break;
		default:
			if (c < 0x20 || c == 0x7f)
				fprintf(fp, "\\u%04x", c);
			else if ((len = utf8_len(u + i, n - i)) == 0)
				fputs("\\ufffd", fp);
			else {
				fwrite(u + i, 1, len, fp);
				i += len;
				continue;
			}
		}
		i++;
	}
	putc('"', fp);
}

void
cli_rec_begin(struct cli_rec *r, FILE *fp, const char *prefix)
{
	r->fp = fp;
	r->prefix = prefix;
	r->json = cli_json;
	r->n = 0;
	if (r->json) {
		putc('{', fp);
		if (prefix != NULL) {
			cli_json_string(fp, "file", 4);
			putc(':', fp);
			cli_json_string(fp, prefix, strlen(prefix));
			r->n++;
		}
	}
}

/* The prefix as cli_show renders it, whatever its length, then ": ". */
static void
show_prefix(FILE *fp, const char *s)
{
	char	buf[4 * 256 + 4];
	size_t	n = strlen(s), k;

	for (; n > 0; s += k, n -= k) {
		k = n < 256 ? n : 256;
		fputs(cli_show(s, k, k, buf, sizeof buf), fp);
	}
	fputs(": ", fp);
}

static void
rec_name(struct cli_rec *r, const char *name)
{
	if (r->json) {
		if (r->n++)
			putc(',', r->fp);
		cli_json_string(r->fp, name, strlen(name));
		putc(':', r->fp);
	} else {
		if (r->prefix != NULL)
			show_prefix(r->fp, r->prefix);
		fprintf(r->fp, "%s=", name);
		r->n++;
	}
}

void
cli_rec_strn(struct cli_rec *r, const char *name, const char *v, size_t n)
{
	rec_name(r, name);
	if (r->json)
		cli_json_string(r->fp, v, n);
	else {
		cli_shell_quote(r->fp, v, n);
		putc('\n', r->fp);
	}
}

void
cli_rec_str(struct cli_rec *r, const char *name, const char *v)
{
	cli_rec_strn(r, name, v, strlen(v));
}

void
cli_rec_int(struct cli_rec *r, const char *name, long long v)
{
	rec_name(r, name);
	fprintf(r->fp, r->json ? "%lld" : "%lld\n", v);
}

void
cli_rec_name(struct cli_rec *r, const char *name)
{
	rec_name(r, name);
}

void
cli_rec_end(struct cli_rec *r)
{
	if (r->json)
		fputs("}\n", r->fp);
}

int
cli_flush_stdout(void)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		cli_warn("cannot write to standard output: %s",
		    strerror(errno));
		return MX_IOERR;
	}
	return MX_OK;
}

int
cli_filter_status(int rc, int named)
{
	switch (rc) {
	case MX_DATAERR:
		return named ? MX_NOINPUT : rc;
	case MX_OK:
	case MX_REJECT:
	case MX_USAGE:
	case MX_NOINPUT:
		return rc;
	default:
		return MX_TEMPFAIL;
	}
}

/* One complete line of n bytes at p (no LF): strip a CR, hand it over. */
static int
line_out(const char *p, size_t n, size_t max, unsigned long lineno,
    int (*fn)(void *, const char *, size_t, unsigned long), void *arg)
{
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n > max)
		return fn(arg, NULL, 0, lineno);
	return fn(arg, p, n, lineno);
}

int
cli_lines(int fd, size_t max, int (*fn)(void *, const char *, size_t,
    unsigned long), void *arg)
{
	/* Room for the longest line with its CRLF, and big reads. */
	size_t		 cap = max + 2 > 65536 ? max + 2 : 65536;
	size_t		 have = 0, start;
	unsigned long	 lineno = 0;
	char		*buf, *nl;
	ssize_t		 r;
	int		 rc = 0, skipping = 0, saved;

	if ((buf = malloc(cap)) == NULL)
		return -1;
	while (rc == 0) {
		if ((r = read(fd, buf + have, cap - have)) < 0) {
			if (errno == EINTR)
				continue;
			rc = -1;
			break;
		}
		if (r == 0) {
			if (have > 0 && !skipping)
				rc = line_out(buf, have, max, ++lineno, fn,
				    arg);
			break;
		}
		have += r;
		start = 0;
		while (rc == 0 &&
		    (nl = memchr(buf + start, '\n', have - start)) != NULL) {
			if (skipping)
				skipping = 0;
			else
				rc = line_out(buf + start, nl - (buf + start),
				    max, ++lineno, fn, arg);
			start = nl + 1 - buf;
		}
		if (skipping) {
			have = 0;
			continue;
		}
		have -= start;
		memmove(buf, buf + start, have);
		/* No newline in max + CR bytes: too long, whatever follows. */
		if (rc == 0 && have > max + 1) {
			rc = fn(arg, NULL, 0, ++lineno);
			skipping = 1;
			have = 0;
		}
	}
	saved = errno;
	explicit_bzero(buf, cap);
	free(buf);
	errno = saved;
	return rc;
}

/* One item of an Exim list; an item too long for buf cannot match. */
struct list_item {
	char	buf[64];
	size_t	len;		/* its length, beyond buf when too long */
	int	neg;		/* negated by its "!"s */
	int	bang;		/* it had a "!" */
};

/*
 * The items of an Exim list in turn: a leading "<c" picks the separator,
 * blanks around an item and its "!"s go, empty items are skipped (not an
 * empty one after a "!").  As in Exim, a doubled separator stands for
 * one inside an item ("fail::pass" is the one item "fail:pass"), except a
 * control character, which is never data.  *sep is '\0' at first.
 * Returns where to go on, NULL at the end.
 */
static const char *
list_next(const char *p, char *sep, struct list_item *it)
{
	size_t	keep;
	int	special;

	if (*sep == '\0') {
		*sep = ':';
		while (*p == ' ' || *p == '\t')
			p++;
		/*
		 * Exim's "<c" at the start, c a punctuation character,
		 * picks another separator; "<pass" is an item.
		 */
		if (*p == '<' && ispunct((unsigned char)p[1])) {
			*sep = p[1];
			p += 2;
		}
	}
	special = iscntrl((unsigned char)*sep);
	while (*p != '\0') {
		it->len = keep = 0;
		it->neg = it->bang = 0;
		while (*p == ' ' || *p == '\t')
			p++;
		while (*p == '!') {
			it->neg = !it->neg;
			it->bang = 1;
			for (p++; *p == ' ' || *p == '\t'; p++)
				;
		}
		while (*p != '\0') {
			if (*p == *sep && (special || p[1] != *sep)) {
				p++;
				break;
			}
			if (*p == *sep)
				p++;
			if (it->len < sizeof it->buf)
				it->buf[it->len] = *p;
			it->len++;
			if (*p != ' ' && *p != '\t')
				keep = it->len;
			p++;
		}
		it->len = keep;
		if (it->len > 0 || it->bang)
			return p;
	}
	return NULL;
}

/* Whether the item is s, case aside. */
static int
item_is(const struct list_item *it, const char *s)
{
	return it->len == strlen(s) && it->len <= sizeof it->buf &&
	    strncasecmp(it->buf, s, it->len) == 0;
}

int
cli_list_match(const char *list, const char *value)
{
	const char		*p = list;
	char			 sep = '\0';
	int			 last_neg = 0;
	struct list_item	 it;

	while ((p = list_next(p, &sep, &it)) != NULL) {
		if (it.len == 0)
			continue;
		last_neg = it.neg;
		if (item_is(&it, "*") || item_is(&it, value))
			return !it.neg;
	}
	/* As in Exim, a list ending in a negated item takes what it left. */
	return last_neg;
}

int
cli_list_check(const char *list, const char *const *words, char *err,
    size_t errlen)
{
	const char		*p = list;
	char			 sep = '\0', shown[64];
	int			 items = 0;
	size_t			 i, n;
	struct list_item	 it;

	while ((p = list_next(p, &sep, &it)) != NULL) {
		if (it.len == 0) {
			snprintf(err, errlen, "a '!' with no item after it");
			return -1;
		}
		items++;
		if (item_is(&it, "*"))
			continue;
		for (i = 0; words[i] != NULL; i++)
			if (item_is(&it, words[i]))
				break;
		if (words[i] == NULL) {
			n = it.len < sizeof it.buf ? it.len : sizeof it.buf;
			snprintf(err, errlen, "unknown item '%s'",
			    cli_show(it.buf, n, 40, shown, sizeof shown));
			return -1;
		}
	}
	if (items == 0) {
		snprintf(err, errlen, "an empty list");
		return -1;
	}
	return 0;
}

/*
 * s as a plain decimal number, min to max: digits only (leading zeros
 * are harmless in decimal), no sign, blank, base prefix or suffix.  -1
 * when it is no such number, -2 when it is one beyond max.
 */
static long
decimal(const char *s, long max)
{
	long	v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if (v > (max - (*s - '0')) / 10)
			v = -2;
		else if (v >= 0)
			v = v * 10 + (*s - '0');
	}
	return v;
}

long
cli_num(const char *opt, const char *s, long min, long max)
{
	char	shown[64];
	long	v = decimal(s, max);

	if (v < min)
		cli_die(MX_USAGE, "bad %s '%s': want a whole number from %ld "
		    "to %ld", opt, cli_show(s, strlen(s), 40, shown,
		    sizeof shown), min, max);
	return v;
}

time_t
cli_time(const char *given)
{
	char	shown[64];
	long	v;

	if (given == NULL)
		return time(NULL);
	/* RFC 6376 3.5: t= and x= have at most 12 digits. */
	if ((v = decimal(given, CLI_TIME_MAX)) < 0)
		cli_die(MX_USAGE, "bad --time '%s': want seconds since the "
		    "epoch, 0 to %ld", cli_show(given, strlen(given), 40,
		    shown, sizeof shown), CLI_TIME_MAX);
	return (time_t)v;
}

int
cli_open_regular(const char *path, const char *what, char *err,
    size_t errlen, int *status)
{
	struct stat	st;
	int		fd, fl;
	char		shown[CLI_SHOWN_NAME];
	const char	*name = cli_show(path, strlen(path), CLI_SHOW_NAME, shown,
			    sizeof shown);

	*status = MX_NOINPUT;
	/* O_NONBLOCK: opening a FIFO with no writer returns at once. */
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) < 0) {
		snprintf(err, errlen, "cannot open %s '%s': %s", what, name,
		    strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot open %s '%s': %s", what, name,
		    strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "cannot use %s '%s': not a regular "
		    "file", what, name);
		close(fd);
		return -1;
	}
	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		snprintf(err, errlen, "cannot open %s '%s': %s", what, name,
		    strerror(errno));
		close(fd);
		*status = MX_TEMPFAIL;
		return -1;
	}
	return fd;
}

const char *
cli_show(const char *s, size_t n, size_t max, char *buf, size_t size)
{
	static const char	hex[] = "0123456789abcdef";
	size_t			i, o = 0;

	if (size == 0)
		return buf;
	for (i = 0; i < n && i < max; i++) {
		unsigned char	c = s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\') {
			if (o + 1 >= size)
				break;
			buf[o++] = c;
		} else {
			if (o + 4 >= size)
				break;
			buf[o++] = '\\';
			buf[o++] = 'x';
			buf[o++] = hex[c >> 4];
			buf[o++] = hex[c & 15];
		}
	}
	if ((i < n) && o + 3 < size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
	return buf;
}

void
cli_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

void
cli_hold_signals(int on, sigset_t *old)
{
	sigset_t	s;

	if (!on) {
		sigprocmask(SIG_SETMASK, old, NULL);
		return;
	}
	sigemptyset(&s);
	sigaddset(&s, SIGHUP);
	sigaddset(&s, SIGINT);
	sigaddset(&s, SIGTERM);
	sigprocmask(SIG_BLOCK, &s, old);
}

void
cli_catch_signals(void (*fn)(int))
{
	static const int	 sigs[] = { SIGHUP, SIGINT, SIGTERM };
	struct sigaction	 sa, old;
	size_t			 i;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = fn;
	sa.sa_flags = SA_RESETHAND;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		if (sigaction(sigs[i], NULL, &old) == 0 &&
		    old.sa_handler != SIG_IGN)
			sigaction(sigs[i], &sa, NULL);
}
