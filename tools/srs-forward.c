/*
 * srs-forward: SRS forward and reverse rewriting of envelope senders, for
 * one address, a batch on stdin, or Postfix through a socketmap.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "sockmap.h"
#include "srs.h"

static int	 reverse;
static char	*secret_file, *domain, *scheme_name, *separator, *listen_on;
static char	*tcp_forward, *tcp_reverse;
static int	 hash_length = 4, hash_min, max_age, timeout_s = 30;

/* The most of an address a diagnostic quotes. */
#define SHOW_MAX	100

/* Options whose presence matters, not only their value. */
enum { OPT_LOCAL = 1, OPT_HASH_LENGTH, OPT_HASH_MIN, OPT_MAX_AGE,
    OPT_TIMEOUT };
static int	 given[OPT_TIMEOUT + 1];

static struct srs	*srs;

static struct poptOption options[] = {
	{ "secret-file", '\0', POPT_ARG_STRING, &secret_file, 0,
	  "secrets, one per line: the first signs, all verify", "FILE" },
	{ "domain", 'd', POPT_ARG_STRING, &domain, 0,
	  "the forwarding domain rewritten addresses are in", "FWD" },
	{ "reverse", 'r', POPT_ARG_NONE, &reverse, 0,
	  "reverse SRS addresses instead of forwarding", NULL },
	{ "scheme", '\0', POPT_ARG_STRING, &scheme_name, 0,
	  "shevek (Mail::SRS, pysrs, postsrsd; the default) or exim",
	  "NAME" },
	{ "hash-length", '\0', POPT_ARG_STRING, NULL, OPT_HASH_LENGTH,
	  "hash characters written (default 4)", "N" },
	{ "hash-min", '\0', POPT_ARG_STRING, NULL, OPT_HASH_MIN,
	  "fewest hash characters accepted, at most the hash length "
	  "(default: the hash length)", "N" },
	{ "max-age", '\0', POPT_ARG_STRING, NULL, OPT_MAX_AGE,
	  "days a timestamp stays valid (default 21; exim 10)", "DAYS" },
	{ "separator", '\0', POPT_ARG_STRING, &separator, 0,
	  "separator after SRS0/SRS1: = + or - (default =)", "C" },
	{ "local-domains", '\0', POPT_ARG_STRING, NULL, OPT_LOCAL,
	  "never rewrite these (split on commas, colons or spaces; "
	  "repeatable; .dom: the subdomains of dom)", "LIST" },
	{ "socketmap", '\0', POPT_ARG_STRING, &listen_on, 0,
	  "serve Postfix socketmap maps 'forward' and 'reverse' on "
	  "ADDR:PORT (port 0: any free one) or unix:PATH", "ADDR:PORT" },
	{ "tcp-forward", '\0', POPT_ARG_STRING, &tcp_forward, 0,
	  "serve Postfix tcp_table forward lookups as postsrsd does "
	  "(its -f port)", "ADDR:PORT" },
	{ "tcp-reverse", '\0', POPT_ARG_STRING, &tcp_reverse, 0,
	  "serve Postfix tcp_table reverse lookups as postsrsd does "
	  "(its -r port)", "ADDR:PORT" },
	{ "time", '\0', POPT_ARG_STRING, NULL, CLI_OPT_TIME,
	  "rewrite as at this time (seconds since the epoch): the day "
	  "written, and the day a timestamp's age is judged by", "T" },
	{ "timeout", '\0', POPT_ARG_STRING, NULL, OPT_TIMEOUT,
	  "servers: close a client idle, or slow to send a request, this "
	  "long (default 30)", "SECS" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

static const char	*locals[64];
static int		 nlocals;

static void
on_option(poptContext pc, int val)
{
	char	*arg = poptGetOptArg(pc);

	given[val] = 1;
	if (val == OPT_LOCAL) {
		if (nlocals == (int)(sizeof locals / sizeof locals[0]))
			cli_die(MX_USAGE, "too many --local-domains options");
		locals[nlocals++] = arg;
		return;
	}
	/* The scheme's own bounds are checked by setup(). */
	if (val == OPT_HASH_LENGTH)
		hash_length = cli_num("--hash-length", arg, 1, 27);
	else if (val == OPT_HASH_MIN)
		hash_min = cli_num("--hash-min", arg, 1, 27);
	else if (val == OPT_MAX_AGE)
		max_age = cli_num("--max-age", arg, 1, 1023);
	else if (val == OPT_TIMEOUT)
		timeout_s = cli_num("--timeout", arg, 1, INT_MAX / 1000);
	free(arg);
}

/* The settings every rewriter gets, checked once by setup(). */
static enum srs_scheme	 scheme = SRS_SHEVEK;

/*
 * A rewriter with the settings setup() checked and the secrets of
 * --secret-file, in *out.  Returns 0, or the exit status with a reason
 * in err.
 */
static int
new_srs(struct srs **out, char *err, size_t errlen)
{
	struct srs	*s;
	int		 rc, exposed;

	if ((s = srs_new(scheme)) == NULL) {
		snprintf(err, errlen, "cannot set up HMAC: OpenSSL failed");
		return MX_SOFTWARE;
	}
	if (cli_time_arg != NULL)
		srs_set_time(s, cli_time(cli_time_arg));
	rc = MX_USAGE;
	if (srs_set_hash_length(s, hash_length) < 0)
		snprintf(err, errlen, "bad --hash-length %d: expected %s",
		    hash_length, scheme == SRS_EXIM ? "4 with --scheme exim" :
		    "1 to 27");
	else if (srs_set_hash_min(s, hash_min) < 0)
		snprintf(err, errlen, "bad --hash-min %d: expected %s",
		    hash_min, scheme == SRS_EXIM ? "4 with --scheme exim" :
		    "1 to 27");
	/* Else our own addresses would not reverse. */
	else if (hash_min > hash_length)
		snprintf(err, errlen, "bad --hash-min %d: more than the hash "
		    "length %d", hash_min, hash_length);
	else if (given[OPT_MAX_AGE] && srs_set_max_age(s, max_age) < 0)
		snprintf(err, errlen, "bad --max-age %d: expected 1 to 1023 "
		    "days", max_age);
	else if (separator != NULL && (strlen(separator) != 1 ||
	    srs_set_separator(s, separator[0]) < 0))
		snprintf(err, errlen, "bad --separator '%s': expected %s",
		    separator, scheme == SRS_EXIM ? "= with --scheme exim" :
		    "=, + or -");
	else
		rc = MX_OK;
	if (rc != MX_OK) {
		srs_free(s);
		return rc;
	}
	for (int i = 0; i < nlocals; i++)
		if (srs_add_local_domains(s, locals[i]) < 0) {
			snprintf(err, errlen, "cannot add local domain: %s",
			    strerror(ENOMEM));
			srs_free(s);
			return MX_SOFTWARE;
		}
	rc = srs_load_secrets(s, secret_file, &exposed, err, errlen);
	if (exposed)
		cli_warn("secret file '%s' is readable by others",
		    secret_file);
	if (rc != MX_OK) {
		srs_free(s);
		return rc;
	}
	*out = s;
	return MX_OK;
}

static void
setup(void)
{
	char	err[512];
	int	rc;

	if (scheme_name != NULL) {
		if (strcmp(scheme_name, "exim") == 0)
			scheme = SRS_EXIM;
		else if (strcmp(scheme_name, "shevek") != 0)
			cli_die(MX_USAGE, "unknown scheme '%s': "
			    "expected shevek or exim", scheme_name);
	}
	if (!given[OPT_HASH_MIN])
		hash_min = hash_length;
	if (secret_file == NULL)
		cli_die(MX_USAGE, "--secret-file is required");
	if (timeout_s < 1 || timeout_s > INT_MAX / 1000)
		cli_die(MX_USAGE, "bad --timeout %d: expected seconds",
		    timeout_s);
	if (domain == NULL && (!reverse || listen_on != NULL ||
	    tcp_forward != NULL))
		cli_die(MX_USAGE, "--domain is required to forward");
	if (domain != NULL && (*domain == '\0' ||
	    strcspn(domain, "@<>\" \t\r\n") != strlen(domain)))
		cli_die(MX_USAGE, "bad --domain '%s'", domain);
	if ((rc = new_srs(&srs, err, sizeof err)) != MX_OK)
		cli_die(rc, "%s", err);
}

/*
 * SIGHUP in the server: the secret file again, into a new rewriter that
 * replaces the old one only when it loaded, so that a half-written or
 * missing file never leaves the server without secrets.
 */
static void
reload(void *arg)
{
	struct srs	*s;
	char		 err[512];

	(void)arg;
	if (new_srs(&s, err, sizeof err) != MX_OK) {
		cli_warn("secrets not reloaded, the old ones kept: %s", err);
		return;
	}
	cli_info("secrets reloaded from '%s': %d", secret_file,
	    srs_nsecrets(s));
	srs_free(srs);
	srs = s;
}

/* Exit status for a status: refused reversals 1, bad addresses 65. */
static int
status_exit(enum srs_status st)
{
	switch (st) {
	case SRS_OK:
	case SRS_UNCHANGED:
		return MX_OK;
	case SRS_BADADDR:
	case SRS_TOOLONG:
		return MX_DATAERR;
	default:
		return MX_REJECT;
	}
}

static void
report(enum srs_status st, int flags, const char *addr, size_t len,
    unsigned long lineno)
{
	char	where[32] = "", show[4 * SHOW_MAX + 8];

	/* The common case says nothing: format nothing for it. */
	if ((st == SRS_OK && !(flags & SRS_F_CASEHASH)) ||
	    (st == SRS_UNCHANGED && !cli_verbose))
		return;
	if (lineno > 0)
		snprintf(where, sizeof where, "line %lu: ", lineno);
	if (addr == NULL) {
		cli_warn("%scannot %s: line longer than %d bytes", where,
		    reverse ? "reverse" : "forward", SRS_ADDR_MAX);
		return;
	}
	/* A NUL or a control byte in a batch line shows, and cuts nothing. */
	cli_show(addr, len, SHOW_MAX, show, sizeof show);
	if (st == SRS_UNCHANGED)
		cli_info("%s'%s' left alone: %s", where, show,
		    srs_strerror(st));
	else if (st != SRS_OK)
		cli_warn("%scannot %s '%s': %s", where,
		    reverse ? "reverse" : "forward", show, srs_strerror(st));
	if (flags & SRS_F_CASEHASH)
		cli_warn("%shash of '%s' matched only ignoring case", where,
		    show);
}

/*
 * Rewrite one address (NULL: a line too long to be one) and print the
 * result line, an empty line when it failed.  Returns an exit status.
 */
static int
one(const char *addr, size_t len, unsigned long lineno)
{
	char		 out[SRS_OUT_MAX];
	enum srs_status	 st = SRS_TOOLONG;
	int		 flags = 0;

	out[0] = '\0';
	if (addr != NULL)
		st = reverse ? srs_reverse(srs, addr, len, out, &flags) :
		    srs_forward(srs, addr, len, domain, out, &flags);
	report(st, flags, addr, len, lineno);
	if (cli_json) {
		struct cli_rec	r;

		cli_rec_begin(&r, stdout, NULL);
		if (addr != NULL)
			cli_rec_strn(&r, "input", addr, len);
		cli_rec_str(&r, "status", st == SRS_OK ? "rewritten" :
		    st == SRS_UNCHANGED ? "unchanged" : "error");
		if (st == SRS_OK || st == SRS_UNCHANGED)
			cli_rec_str(&r, "output", out);
		else
			cli_rec_str(&r, "reason", srs_strerror(st));
		cli_rec_end(&r);
	} else {
		fputs_unlocked(out, stdout);
		putc_unlocked('\n', stdout);
	}
	return status_exit(st);
}

static int
worse(int a, int b)
{
	return b > a ? b : a;
}

static int
batch_line(void *arg, const char *line, size_t len, unsigned long lineno)
{
	int	*rc = arg;

	*rc = worse(*rc, one(line, len, lineno));
	/* Output lost (a full disk): the rest would be lost too. */
	return ferror(stdout) ? -2 : 0;
}

static int
batch(void)
{
	int	rc = MX_OK;

	if (cli_lines(0, SRS_ADDR_MAX, batch_line, &rc) == -1) {
		cli_warn("cannot read standard input: %s", strerror(errno));
		rc = worse(rc, MX_IOERR);
	}
	return rc;
}

/*
 * The maps: "forward" and "reverse" for socketmap clients, and the same
 * with postsrsd's answers for the tcp_table ports ("tcp-forward",
 * "tcp-reverse", names a socketmap client can ask too).
 */
static enum sockmap_res
answer(void *arg, const char *name, size_t nlen, const char *key,
    size_t klen, char *text)
{
	enum srs_status		 st;
	const char		*map = name;
	size_t			 mlen = nlen;
	char			 out[SRS_OUT_MAX], show[4 * SHOW_MAX + 8];
	int			 flags = 0, fwd, pd = 0;

	(void)arg;
	if (mlen > 4 && memcmp(map, "tcp-", 4) == 0) {
		pd = 1;
		map += 4;
		mlen -= 4;
	}
	if (mlen == 7 && memcmp(map, "forward", 7) == 0)
		fwd = 1;
	else if (mlen == 7 && memcmp(map, "reverse", 7) == 0)
		fwd = 0;
	else {
		snprintf(text, SOCKMAP_REPLY_MAX, "unknown map '%s'",
		    cli_show(name, nlen, 64, show, sizeof show));
		return SM_PERM;
	}
	if (fwd && pd)
		switch (srs_tcp_forward(srs, key, klen, domain, out)) {
		case SRS_TCP_ALREADY:
			snprintf(text, SOCKMAP_REPLY_MAX, "already rewritten");
			return SM_NOTFOUND;
		case SRS_TCP_OWN:
			snprintf(text, SOCKMAP_REPLY_MAX, "%s", out);
			return SM_OK;
		case SRS_TCP_FORWARD:
			break;
		}
	if (fwd)
		st = srs_forward(srs, key, klen, domain, out, &flags);
	else
		st = srs_reverse(srs, key, klen, out, &flags);
	if (st == SRS_OK) {
		snprintf(text, SOCKMAP_REPLY_MAX, "%s", out);
		return SM_OK;
	}
	/* Postfix also asks for "user" and "@domain": not found, not PERM. */
	cli_info("%s '%s': %s", fwd ? "forward" : "reverse",
	    cli_show(key, klen, SHOW_MAX, show, sizeof show),
	    srs_strerror(st));
	snprintf(text, SOCKMAP_REPLY_MAX, "%s", srs_strerror(st));
	return SM_NOTFOUND;
}

/* The servers asked for, listening; the bound addresses in rec. */
static int
listen_all(struct sockmap_listener *ls, struct cli_rec *rec)
{
	static const struct {
		const char	*name;
		int		 tcptable;
		const char	*map;
	} kind[] = {
		{ "socketmap", 0, NULL },
		{ "tcp_forward", 1, "tcp-forward" },
		{ "tcp_reverse", 1, "tcp-reverse" }
	};
	const char	*spec[] = { listen_on, tcp_forward, tcp_reverse };
	char		 err[256], bound[300];
	int		 nl = 0, fd;

	for (size_t i = 0; i < sizeof kind / sizeof kind[0]; i++) {
		if (spec[i] == NULL)
			continue;
		if ((fd = sockmap_listen(spec[i], err, sizeof err, bound,
		    sizeof bound)) < 0)
			cli_die(fd == -2 ? MX_USAGE : MX_UNAVAILABLE,
			    "cannot listen on '%s': %s", spec[i], err);
		ls[nl].fd = fd;
		ls[nl].tcptable = kind[i].tcptable;
		ls[nl].map = kind[i].map;
		nl++;
		/* The bound address (the real port for :0) says we are up. */
		cli_rec_str(rec, kind[i].name, bound);
	}
	return nl;
}

static int
serve(void)
{
	struct sockmap_listener	ls[3];
	struct cli_rec		r;
	const char		*spec[] = { listen_on, tcp_forward,
				    tcp_reverse };
	char			err[256];
	int			nl, rc;

	cli_rec_begin(&r, stdout, NULL);
	nl = listen_all(ls, &r);
	cli_rec_end(&r);
	if ((rc = cli_flush_stdout()) == MX_OK &&
	    sockmap_serve(ls, nl, timeout_s * 1000, answer, reload, NULL,
	    err, sizeof err) < 0) {
		cli_warn("server failed: %s", err);
		rc = MX_SOFTWARE;
	}
	for (int i = 0; i < nl; i++)
		close(ls[i].fd);
	for (size_t i = 0; i < sizeof spec / sizeof spec[0]; i++)
		if (spec[i] != NULL && strncmp(spec[i], "unix:", 5) == 0)
			unlink(spec[i] + 5);
	return rc;
}

int
main(int argc, const char **argv)
{
	static char	 obuf[1 << 16];
	poptContext	 pc;
	const char	*arg;
	int		 rc = MX_OK;

	pc = cli_parse(argc, argv, options, "[ADDRESS...]", on_option);
	/* Big blocks into a pipe; a line at a time for a person reading. */
	setvbuf(stdout, obuf, isatty(1) ? _IOLBF : _IOFBF, sizeof obuf);
	setup();
	if (listen_on != NULL || tcp_forward != NULL || tcp_reverse != NULL) {
		if (poptPeekArg(pc) != NULL)
			cli_die(MX_USAGE, "no address arguments with "
			    "a server option");
		rc = serve();
		poptFreeContext(pc);
		srs_free(srs);
		/* serve() has flushed and said so: no second diagnostic. */
		return rc;
	} else if (poptPeekArg(pc) == NULL)
		rc = batch();
	else
		while ((arg = poptGetArg(pc)) != NULL)
			rc = worse(rc, one(arg, strlen(arg), 0));
	poptFreeContext(pc);
	srs_free(srs);
	return worse(rc, cli_flush_stdout());
}
