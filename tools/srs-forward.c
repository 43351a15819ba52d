/*
 * srs-forward: SRS forward and reverse rewriting of envelope senders, for
 * one address, a batch on stdin, or Postfix through a socketmap.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
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
static int	 hash_length, hash_min, max_age, timeout_s = 30;

enum { OPT_LOCAL = 1 };

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
	{ "hash-length", '\0', POPT_ARG_INT, &hash_length, 0,
	  "hash characters written (default 4)", "N" },
	{ "hash-min", '\0', POPT_ARG_INT, &hash_min, 0,
	  "fewest hash characters accepted (default: the hash length)", "N" },
	{ "max-age", '\0', POPT_ARG_INT, &max_age, 0,
	  "days a timestamp stays valid (default 21; exim 10)", "DAYS" },
	{ "separator", '\0', POPT_ARG_STRING, &separator, 0,
	  "separator after SRS0/SRS1: = + or - (default =)", "C" },
	{ "local-domains", '\0', POPT_ARG_STRING, NULL, OPT_LOCAL,
	  "never rewrite these (comma or colon list; .dom for subdomains)",
	  "LIST" },
	{ "socketmap", '\0', POPT_ARG_STRING, &listen_on, 0,
	  "serve Postfix socketmap maps 'forward' and 'reverse'",
	  "ADDR:PORT" },
	{ "timeout", '\0', POPT_ARG_INT, &timeout_s, 0,
	  "socketmap: close a client silent this long (default 30)", "SECS" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

static const char	*locals[64];
static int		 nlocals;

static void
on_option(poptContext pc, int val)
{
	if (val != OPT_LOCAL)
		return;
	if (nlocals == (int)(sizeof locals / sizeof locals[0]))
		cli_die(MX_USAGE, "too many --local-domains options");
	locals[nlocals++] = poptGetOptArg(pc);
}

static void
add_local_domains(const char *list)
{
	const char	*p = list;

	while (*p) {
		size_t	n = strcspn(p, ",: \t");

		if (n > 0 && srs_add_local_domain(srs, p, n) < 0)
			cli_die(MX_SOFTWARE, "cannot add local domain: %s",
			    strerror(ENOMEM));
		p += n;
		p += strspn(p, ",: \t");
	}
}

static void
load_secrets(const char *path)
{
	char		 buf[65536];
	struct stat	 st;
	ssize_t		 n;
	size_t		 len = 0;
	char		*p, *e;
	int		 fd;

	if ((fd = open(path, O_RDONLY)) < 0)
		cli_die(MX_NOINPUT, "cannot open secret file '%s': %s", path,
		    strerror(errno));
	if (fstat(fd, &st) == 0 && (st.st_mode & S_IROTH))
		cli_warn("secret file '%s' is readable by others", path);
	while ((n = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
		len += n;
	if (n < 0)
		cli_die(MX_IOERR, "cannot read secret file '%s': %s", path,
		    strerror(errno));
	if (len == sizeof buf - 1)
		cli_die(MX_USAGE, "secret file '%s' is too large", path);
	close(fd);
	buf[len] = '\0';
	for (p = buf; p < buf + len; p = e + 1) {
		if ((e = memchr(p, '\n', buf + len - p)) == NULL)
			e = buf + len;
		n = e - p;
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n > 0 && srs_add_secret(srs, p, n) < 0)
			cli_die(MX_SOFTWARE, "cannot load secret: %s",
			    strerror(ENOMEM));
	}
	explicit_bzero(buf, sizeof buf);
	if (srs_nsecrets(srs) == 0)
		cli_die(MX_USAGE, "no secret in '%s'", path);
}

static void
setup(void)
{
	enum srs_scheme	sch = SRS_SHEVEK;

	if (scheme_name != NULL) {
		if (strcmp(scheme_name, "exim") == 0)
			sch = SRS_EXIM;
		else if (strcmp(scheme_name, "shevek") != 0)
			cli_die(MX_USAGE, "unknown scheme '%s': "
			    "expected shevek or exim", scheme_name);
	}
	if ((srs = srs_new(sch)) == NULL)
		cli_die(MX_SOFTWARE, "cannot set up HMAC: OpenSSL failed");
	if (hash_length && srs_set_hash_length(srs, hash_length) < 0)
		cli_die(MX_USAGE, "bad --hash-length %d: expected %s",
		    hash_length, sch == SRS_EXIM ? "4 with --scheme exim" :
		    "1 to 27");
	if (srs_set_hash_min(srs, hash_min ? hash_min :
	    hash_length ? hash_length : 4) < 0)
		cli_die(MX_USAGE, "bad --hash-min %d: expected %s", hash_min,
		    sch == SRS_EXIM ? "4 with --scheme exim" : "1 to 27");
	if (max_age && srs_set_max_age(srs, max_age) < 0)
		cli_die(MX_USAGE, "bad --max-age %d: expected 1 to 1023 days",
		    max_age);
	if (separator != NULL && (strlen(separator) != 1 ||
	    srs_set_separator(srs, separator[0]) < 0))
		cli_die(MX_USAGE, "bad --separator '%s': expected %s",
		    separator, sch == SRS_EXIM ? "= with --scheme exim" :
		    "=, + or -");
	if (secret_file == NULL)
		cli_die(MX_USAGE, "--secret-file is required");
	if (timeout_s < 1 || timeout_s > INT_MAX / 1000)
		cli_die(MX_USAGE, "bad --timeout %d: expected seconds",
		    timeout_s);
	if (domain == NULL && (!reverse || listen_on != NULL))
		cli_die(MX_USAGE, "--domain is required to forward");
	if (domain != NULL && (*domain == '\0' ||
	    strcspn(domain, "@<>\" \t\r\n") != strlen(domain)))
		cli_die(MX_USAGE, "bad --domain '%s'", domain);
	for (int i = 0; i < nlocals; i++)
		add_local_domains(locals[i]);
	load_secrets(secret_file);
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

/* Rewrite one address; print the result line.  Returns an exit status. */
static int
one(const char *addr, size_t len, unsigned long lineno)
{
	char		 out[SRS_OUT_MAX], where[32] = "";
	enum srs_status	 st;
	int		 flags;

	st = reverse ? srs_reverse(srs, addr, len, out, &flags) :
	    srs_forward(srs, addr, len, domain, out, &flags);
	if (lineno > 0)
		snprintf(where, sizeof where, "line %lu: ", lineno);
	if (flags & SRS_F_CASEHASH)
		cli_warn("%shash of '%.*s' matched only ignoring case", where,
		    (int)len, addr);
	if (st != SRS_OK && st != SRS_UNCHANGED)
		cli_warn("%scannot %s '%.*s': %s", where,
		    reverse ? "reverse" : "forward", (int)len, addr,
		    srs_strerror(st));
	else if (st == SRS_UNCHANGED)
		cli_info("%s'%.*s' left alone: %s", where, (int)len, addr,
		    srs_strerror(st));
	if (cli_json) {
		struct cli_rec	r;

		cli_rec_begin(&r, stdout, NULL);
		cli_rec_strn(&r, "input", addr, len);
		cli_rec_str(&r, "status", st == SRS_OK ? "rewritten" :
		    st == SRS_UNCHANGED ? "unchanged" : "error");
		if (st == SRS_OK || st == SRS_UNCHANGED)
			cli_rec_str(&r, "output", out);
		else
			cli_rec_str(&r, "reason", srs_strerror(st));
		cli_rec_end(&r);
	} else {
		/* One line out per line in, empty when it failed. */
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
batch(void)
{
	static char	 buf[1 << 16];
	size_t		 have = 0, start;
	unsigned long	 lineno = 0;
	ssize_t		 r;
	int		 rc = MX_OK, skipping = 0, eof = 0;

	while (!eof) {
		r = read(0, buf + have, sizeof buf - have);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			cli_warn("cannot read standard input: %s",
			    strerror(errno));
			return worse(rc, MX_IOERR);
		}
		if (r == 0) {
			eof = 1;
			/* A last line without a newline still counts. */
			if (have > 0 && buf[have - 1] != '\n')
				buf[have++] = '\n';
		}
		have += r;
		start = 0;
		for (;;) {
			char	*nl = memchr(buf + start, '\n', have - start);
			size_t	 n;

			if (nl == NULL)
				break;
			n = nl - (buf + start);
			if (n > 0 && buf[start + n - 1] == '\r')
				n--;
			if (skipping)
				skipping = 0;
			else
				rc = worse(rc, one(buf + start, n, ++lineno));
			start = nl + 1 - buf;
		}
		memmove(buf, buf + start, have - start);
		have -= start;
		if (have == sizeof buf - 1 || (skipping && have > 0)) {
			/* Longer than any address: report once, skip it. */
			if (!skipping) {
				lineno++;
				cli_warn("line %lu: cannot %s: %s", lineno,
				    reverse ? "reverse" : "forward",
				    srs_strerror(SRS_TOOLONG));
				if (cli_json) {
					struct cli_rec	rec;

					cli_rec_begin(&rec, stdout, NULL);
					cli_rec_str(&rec, "status", "error");
					cli_rec_str(&rec, "reason",
					    srs_strerror(SRS_TOOLONG));
					cli_rec_end(&rec);
				} else
					putc_unlocked('\n', stdout);
				rc = worse(rc, MX_DATAERR);
			}
			skipping = 1;
			have = 0;
		}
	}
	return rc;
}

static size_t
sockmap_answer(void *arg, const char *name, size_t nlen, const char *key,
    size_t klen, char *reply)
{
	enum srs_status	st;
	char		out[SRS_OUT_MAX];
	int		flags, fwd;

	(void)arg;
	if (nlen == 7 && memcmp(name, "forward", 7) == 0)
		fwd = 1;
	else if (nlen == 7 && memcmp(name, "reverse", 7) == 0)
		fwd = 0;
	else
		return snprintf(reply, SOCKMAP_REPLY_MAX,
		    "PERM unknown map '%.*s'", (int)(nlen > 64 ? 64 : nlen),
		    name);
	st = fwd ? srs_forward(srs, key, klen, domain, out, &flags) :
	    srs_reverse(srs, key, klen, out, &flags);
	if (st == SRS_OK)
		return snprintf(reply, SOCKMAP_REPLY_MAX, "OK %s", out);
	/* Postfix also asks for "user" and "@domain": not found, not PERM. */
	cli_info("%s '%.*s': %s", fwd ? "forward" : "reverse",
	    (int)(klen > 512 ? 512 : klen), key, srs_strerror(st));
	return snprintf(reply, SOCKMAP_REPLY_MAX, "NOTFOUND ");
}

static int
serve(void)
{
	char	err[256], bound[300];
	int	fd;

	if ((fd = sockmap_listen(listen_on, err, sizeof err, bound,
	    sizeof bound)) < 0)
		cli_die(MX_UNAVAILABLE, "cannot listen on '%s': %s",
		    listen_on, err);
	if (cli_json)
		printf("{\"socketmap\":\"%s\"}\n", bound);
	else
		printf("socketmap=%s\n", bound);
	if (cli_flush_stdout() != MX_OK)
		return MX_IOERR;
	if (sockmap_serve(fd, timeout_s * 1000, sockmap_answer, NULL, err,
	    sizeof err) < 0)
		cli_die(MX_SOFTWARE, "socketmap server failed: %s", err);
	close(fd);
	return MX_OK;
}

int
main(int argc, const char **argv)
{
	static char	 obuf[1 << 16];
	poptContext	 pc;
	const char	*arg;
	int		 rc = MX_OK;

	pc = cli_parse(argc, argv, options, "[ADDRESS...]", on_option);
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
	setup();
	if (listen_on != NULL) {
		if (poptPeekArg(pc) != NULL)
			cli_die(MX_USAGE, "no address arguments with "
			    "--socketmap");
		rc = serve();
	} else if (poptPeekArg(pc) == NULL)
		rc = batch();
	else
		while ((arg = poptGetArg(pc)) != NULL)
			rc = worse(rc, one(arg, strlen(arg), 0));
	poptFreeContext(pc);
	srs_free(srs);
	return worse(rc, cli_flush_stdout());
}
