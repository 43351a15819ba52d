/*
 * cli: what every mxkit tool shares at its edge: the common option table,
 * one-line diagnostics, the exit-code table and the output formats.
 */
#ifndef MX_CLI_H
#define MX_CLI_H

#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <time.h>
#include <popt.h>

/* Exit status, sysexits values as MTAs and MDAs expect (DESIGN.md). */
enum {
	MX_OK = 0,		/* ok, or the verdict was accepted */
	MX_REJECT = 1,		/* verdict not accepted */
	MX_USAGE = 64,		/* bad command line */
	MX_DATAERR = 65,	/* malformed input */
	MX_NOINPUT = 66,	/* input missing or unreadable */
	MX_NOHOST = 68,		/* the host or domain does not exist */
	MX_UNAVAILABLE = 69,	/* a peer or service is unavailable */
	MX_SOFTWARE = 70,	/* internal error */
	MX_OSERR = 71,		/* a system call failed: socket, memory */
	MX_CANTCREAT = 73,	/* cannot create output */
	MX_IOERR = 74,		/* read or write error */
	MX_TEMPFAIL = 75	/* temporary failure: try again later */
};

/* Set by cli_parse from the common options. */
extern int cli_verbose;
extern int cli_json;
extern int cli_syslog;

/*
 * The common popt table: -h/--help, --usage, -V/--version, -v/--verbose,
 * --json, --syslog.  Include it in a tool's table with
 * POPT_ARG_INCLUDE_TABLE.
 */
extern struct poptOption cli_common_options[];

/*
 * Parse argv with the tool's table (which includes cli_common_options).
 * First opens /dev/null on any of fds 0, 1 and 2 that is closed, so that
 * no file or socket the tool opens later can take their place; reading or
 * writing them still fails with EBADF.
 * Handles --help, --usage and --version itself (and exits 0), reports a bad
 * option as a one-line diagnostic and exits MX_USAGE.  Options of the
 * tool's table with a val above 0 (and below 100) go to onopt, with the
 * context for poptGetOptArg(); onopt may be NULL.  Returns the context,
 * positioned on the leftover arguments; the caller frees it.
 */
poptContext	 cli_parse(int, const char **, const struct poptOption *,
		    const char *, void (*)(poptContext, int));

/* The program name diagnostics start with. */
const char	*cli_progname(void);

/*
 * "tool: message" on stderr: one line, lower case, no full stop.  With
 * --syslog the message goes to syslog(3) instead: facility mail, the
 * tool's name and pid as tag, priority err (info for cli_info).
 */
void		 cli_warn(const char *, ...)
		    __attribute__((format(printf, 1, 2)));
/* cli_warn, then exit with the given status. */
void		 cli_die(int, const char *, ...)
		    __attribute__((format(printf, 2, 3), noreturn));
/* cli_warn, only with -v. */
void		 cli_info(const char *, ...)
		    __attribute__((format(printf, 1, 2)));

/*
 * Result output.  A record is a set of name=value pairs.  By default each
 * pair is a line `name=value` with the value shell-quoted, so that
 * eval "$(tool ...)" works; with a prefix (several input files) each line
 * starts with "prefix: ", the prefix shown as cli_show() does (a control
 * byte, a backslash or a byte beyond ASCII as \xNN), so that a file name
 * holding a newline cannot split a line.  With --json a record is one JSON object on one
 * line; the prefix becomes a "file" member.
 */
struct cli_rec {
	FILE		*fp;
	const char	*prefix;
	int		 json;
	int		 n;
};

void	cli_rec_begin(struct cli_rec *, FILE *, const char *);
void	cli_rec_str(struct cli_rec *, const char *, const char *);
void	cli_rec_strn(struct cli_rec *, const char *, const char *, size_t);
void	cli_rec_int(struct cli_rec *, const char *, long long);
void	cli_rec_end(struct cli_rec *);
/*
 * With --json only: the name of a member whose value the caller then
 * writes to the record's stream itself, as JSON (an array, an object).
 */
void	cli_rec_name(struct cli_rec *, const char *);

/*
 * The signals a tool cleans up on before it ends: SIGHUP, SIGINT and
 * SIGTERM.  cli_hold_signals(1, &old) blocks them, saving the mask in
 * old; cli_hold_signals(0, &old) puts the mask back, and a signal that
 * came meanwhile is delivered then.  cli_catch_signals(fn) makes fn the
 * handler of each of them that is not ignored, once (SA_RESETHAND, so
 * that fn can end the process by raising the signal again), the others
 * blocked while it runs.
 */
void	cli_hold_signals(int, sigset_t *);
void	cli_catch_signals(void (*)(int));

/* The value of a hex digit (either case), or -1 for any other byte. */
int	cli_hexval(int);

/* Write s (n bytes) shell-quoted: bare when safe, else in single quotes. */
void	cli_shell_quote(FILE *, const char *, size_t);
/*
 * Write s (n bytes) as a JSON string, quotes included: always valid UTF-8
 * JSON, whatever the bytes.  Well-formed UTF-8 passes through; each byte
 * that is not part of a well-formed sequence (RFC 3629: overlong forms,
 * surrogates, above U+10FFFF, stray or missing continuation bytes) is
 * written as \ufffd; control characters and DEL are escaped.
 */
void	cli_json_string(FILE *, const char *, size_t);

/*
 * Read fd to its end line by line and call fn(arg, line, len, lineno) for
 * each line, lineno counting from 1, without its LF or CRLF; a last line
 * without a newline counts too.  A line longer than max bytes is passed
 * once as line NULL (len 0) and its bytes are skipped, so memory stays
 * bounded whatever the input.  When fn returns other than 0 reading stops
 * and that value is returned.  Returns 0 at the end of the input, or -1
 * with errno set when read(2) fails.  The buffer is cleared before it is
 * freed, so secrets may be read this way.
 */
int	cli_lines(int, size_t, int (*)(void *, const char *, size_t,
	    unsigned long), void *);

/*
 * A tool's --time entry has val CLI_OPT_TIME and no arg: { "time", '\0',
 * POPT_ARG_STRING, NULL, CLI_OPT_TIME, help, "T" }.  cli_parse keeps the
 * last text given in cli_time_arg (NULL when none), for cli_time: popt
 * would drop an earlier copy unfreed.
 */
#define CLI_OPT_TIME	110
extern char	*cli_time_arg;

/*
 * The clock a tool judges by: the --time option's text when given (NULL
 * when not), else the time now.  The text must be a plain decimal number
 * from 0 to CLI_TIME_MAX, the 12 digits a DKIM t= or x= may have: digits
 * only, no sign, blank or base prefix.  Anything else is a usage error:
 * the tool exits MX_USAGE with a one-line diagnostic.
 */
#define CLI_TIME_MAX	999999999999L
time_t	cli_time(const char *);

/*
 * The value of a numeric option: s (its text) must be a plain decimal
 * number from min to max, as for cli_time (min at least 0); anything else
 * is a usage error naming opt ("--bits"): the tool exits MX_USAGE.
 */
long	cli_num(const char *, const char *, long, long);

/*
 * Match value against an Exim list ("none:pass", "!fail : *", "<; a; b"):
 * left to right, case-insensitively, the first item that matches decides
 * (a negated one says no), "*" matches anything, and at the end of the list
 * the answer is yes only when the last item was negated.  1 or 0.
 */
int	cli_list_match(const char *, const char *);

/*
 * Check an Exim list for cli_list_match against the values it can meet:
 * every item (after its "!"s) must be "*" or one of words (a
 * NULL-terminated array; case does not matter).  0, or -1 with a reason
 * in err (naming the item) when the list has no item at all (empty, or
 * only separators and blanks), a "!" with nothing after it, or an item
 * that is no such word: a typo that would otherwise never match.
 */
int	cli_list_check(const char *, const char *const *, char *, size_t);

/*
 * Open path for reading, refusing at once anything that is not a regular
 * file (a FIFO would block the open or the read for ever, a directory or a
 * device is no key, secret or zone).  what names the file in the message
 * ("key", "secret file").  Returns the descriptor (close-on-exec,
 * blocking), or -1 with a one-line reason in err and the exit status in
 * *status: MX_NOINPUT for a missing, unreadable or irregular file.
 */
int	cli_open_regular(const char *, const char *, char *, size_t, int *);

/* The most of a file name a diagnostic shows, and room for it shown. */
#define CLI_SHOW_NAME	1024
#define CLI_SHOWN_NAME	(4 * CLI_SHOW_NAME + 4)

/*
 * Render n bytes of s for a diagnostic, quotes not included: printable
 * ASCII as it is, anything else (a NUL, a control byte, a byte that is not
 * ASCII) as \xNN, so that nothing is cut or hidden.  At most max input
 * bytes are shown, then "...".  The result goes to buf (always
 * NUL-terminated, cut short to fit) and buf is returned.
 */
const char	*cli_show(const char *, size_t, size_t, char *, size_t);

/*
 * Flush stdout and report a failed write (a full disk, a closed pipe) as
 * MX_IOERR.  Returns 0 or MX_IOERR.
 */
int	cli_flush_stdout(void);

/*
 * The status a filter (a tool that writes the message itself) exits with
 * for status rc.  A filter gives 0, 1, 64, 65, 66 or 75 only: 65 and 66
 * are bounced, so they are kept for a message malformed beyond use and for
 * a file named on the command line; any other fault (a write error, out of
 * memory, a spool file) is not the message's own and becomes MX_TEMPFAIL,
 * so that the MTA keeps the message and retries.  With named set, rc is
 * about a file named on the command line (a key, a zone), whose bad
 * contents are 66 rather than 65: the message is not at fault.
 */
int	cli_filter_status(int, int);

/*
 * printf into err (errlen bytes, always NUL-terminated, cut short to fit)
 * for a reason returned up the stack; nothing when err is NULL or errlen
 * 0.
 */
void	cli_errf(char *, size_t, const char *, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
