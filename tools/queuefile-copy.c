/*
 * queuefile-copy: Exim spool messages (-D and -H) copied out of a spool's
 * input directory keeping the format, checked, or requeued into one.
 */
#include "config.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "spool.h"
#include "spoolcopy.h"

static char	*spool_arg, *exim_arg, *config_arg, *to_dir, *from_dir;
static char	*mode_arg, *owner_arg;
static int	 requeue, remove_src, all, check, link_d, replace, no_lock;
static int	 split, flat;

static struct poptOption options[] = {
	{ "to", '\0', POPT_ARG_STRING, &to_dir, 0,
	  "copy the messages into this directory, flat", "DIR" },
	{ "requeue", '\0', POPT_ARG_NONE, &requeue, 0,
	  "the way back: the messages of --from into the spool", NULL },
	{ "from", '\0', POPT_ARG_STRING, &from_dir, 0,
	  "with --requeue: the directory the messages are in", "DIR" },
	{ "remove", '\0', POPT_ARG_NONE, &remove_src, 0,
	  "with --requeue: remove each message from --from once it is "
	  "durable in the spool", NULL },
	{ "spool", '\0', POPT_ARG_STRING, &spool_arg, 0,
	  "Exim's spool_directory, the one holding input/ (default: what "
	  "exim -bP says)", "DIR" },
	{ "exim", '\0', POPT_ARG_STRING, &exim_arg, 0,
	  "the exim binary asked for the spool (default: exim on PATH, "
	  "/usr/sbin/exim4, /usr/sbin/exim)", "PATH" },
	{ "config", '\0', POPT_ARG_STRING, &config_arg, 0,
	  "the configuration exim reads (its -C)", "FILE" },
	{ "all", '\0', POPT_ARG_NONE, &all, 0,
	  "every message of the source, in place of IDs", NULL },
	{ "check", '\0', POPT_ARG_NONE, &check, 0,
	  "validate the messages, write nothing", NULL },
	{ "link", '\0', POPT_ARG_NONE, &link_d, 0,
	  "hard-link -D where the target is on the same filesystem and "
	  "the file's mode and owner are those wanted", NULL },
	{ "replace", '\0', POPT_ARG_NONE, &replace, 0,
	  "replace a different message the target has", NULL },
	{ "no-lock", '\0', POPT_ARG_NONE, &no_lock, 0,
	  "take no lock on -D (Exim's pipe transport holds it)", NULL },
	{ "split", '\0', POPT_ARG_NONE, &split, 0,
	  "with --requeue: into the split subdirectories", NULL },
	{ "flat", '\0', POPT_ARG_NONE, &flat, 0,
	  "with --requeue: into the input directory itself", NULL },
	{ "mode", '\0', POPT_ARG_STRING, &mode_arg, 0,
	  "the files' mode, octal (default 0640)", "MODE" },
	{ "owner", '\0', POPT_ARG_STRING, &owner_arg, 0,
	  "the files' owner (default: the source file's when copying out, "
	  "the input directory's when requeueing)", "USER[:GROUP]" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

/* What exim -bP may print that is read; the rest is skipped. */
#define BP_MAX		65536
/* An id line on stdin longer than this is no id. */
#define LINE_MAX_ID	1024
/* The most of a given id a record and a diagnostic show. */
#define SHOW_ID		64

/*
 * The ids given, in the order given, each as cli_show renders it, for the
 * record's prefix, its "id" and the diagnostic: they show what was given
 * (a NUL, bytes past SPOOL_ID_MAX), where the engine's r->id is cut.  The
 * engine reports the messages in the order added and holds at most
 * SPOOLCOPY_BATCH unreported when one is added, so the queue is bounded.
 */
struct given {
	char		 shown[4 * SHOW_ID + 4];
	/* The number of a stdin line too long for an id, else 0. */
	unsigned long	 long_line;
};
static struct given	 givens[SPOOLCOPY_BATCH + 1];
static size_t		 given_first, given_n;

static struct spoolcopy *volatile	active;
static const char			*verb = "copy";
static int				 prefixed, failed, worst;

static void
on_signal(int sig)
{
	if (active != NULL)
		spoolcopy_unlink(active);
	/* SA_RESETHAND made the action the default again. */
	raise(sig);
}

static mode_t
parse_mode(const char *s)
{
	char	*end;
	long	 m;

	errno = 0;
	m = strtol(s, &end, 8);
	if (*s < '0' || *s > '7' || *end != '\0' || errno != 0 ||
	    m > 0777 || !(m & 0400))
		cli_die(MX_USAGE, "bad --mode '%s': expected an octal mode "
		    "up to 0777 that the owner can read", s);
	return (mode_t)m;
}

/* A user or group number: digits only, or -1. */
static long
id_num(const char *s)
{
	char	*end;
	long	 n;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	n = strtol(s, &end, 10);
	if (*end != '\0' || errno != 0 || n > INT_MAX)
		return -1;
	return n;
}

static void
parse_owner(const char *s, uid_t *uid, gid_t *gid)
{
	struct passwd	*pw;
	struct group	*gr;
	char		*user, *group;
	long		 n;

	if ((user = strdup(s)) == NULL)
		cli_die(MX_SOFTWARE, "out of memory");
	if ((group = strchr(user, ':')) != NULL)
		*group++ = '\0';
	if ((n = id_num(user)) >= 0) {
		*uid = (uid_t)n;
		pw = getpwuid(*uid);
	} else if (*user != '\0' && (pw = getpwnam(user)) != NULL)
		*uid = pw->pw_uid;
	else
		cli_die(MX_USAGE, "bad --owner '%s': no such user", s);
	if (group == NULL) {
		/* A number with no account has no group to take. */
		if (pw == NULL)
			cli_die(MX_USAGE, "bad --owner '%s': user %ld has no "
			    "group: give USER:GROUP", s, n);
		*gid = pw->pw_gid;
	} else if ((n = id_num(group)) >= 0)
		*gid = (gid_t)n;
	else if (*group != '\0' && (gr = getgrnam(group)) != NULL)
		*gid = gr->gr_gid;
	else
		cli_die(MX_USAGE, "bad --owner '%s': no such group", s);
	free(user);
}

static void
check_usage(int nargs)
{
	if (requeue && to_dir != NULL)
		cli_die(MX_USAGE, "--to goes with copying out, not --requeue: "
		    "the spool is the target");
	if (!requeue && from_dir != NULL)
		cli_die(MX_USAGE, "--from goes with --requeue");
	if (!requeue && remove_src)
		cli_die(MX_USAGE, "--remove goes with --requeue");
	if (requeue && from_dir == NULL)
		cli_die(MX_USAGE, "--requeue needs --from DIR");
	if (!requeue && !check && to_dir == NULL)
		cli_die(MX_USAGE, "--to DIR is required (or --check, or "
		    "--requeue)");
	if (!requeue && (split || flat))
		cli_die(MX_USAGE, "--split and --flat go with --requeue: a copy "
		    "out is flat");
	if (split && flat)
		cli_die(MX_USAGE, "--split and --flat exclude each other");
	if (check && (to_dir != NULL || remove_src || link_d || replace ||
	    split || flat || mode_arg != NULL || owner_arg != NULL))
		cli_die(MX_USAGE, "--check writes nothing: no --to, --remove, "
		    "--link, --replace, --split, --flat, --mode or --owner");
	if (spool_arg != NULL && (exim_arg != NULL || config_arg != NULL))
		cli_die(MX_USAGE, "--spool excludes --exim and --config: exim "
		    "is asked only for a spool not given");
	if (all && nargs > 0)
		cli_die(MX_USAGE, "--all takes no IDs");
	if (!all && nargs == 0 && isatty(0))
		cli_die(MX_USAGE, "no IDs: give them as arguments, on standard "
		    "input, or --all");
}

/* The exim binary: --exim, else exim on PATH, else Debian's, else exim. */
static const char *
exim_path(char *buf, size_t size)
{
	static const char *const	 fixed[] = { "/usr/sbin/exim4",
					    "/usr/sbin/exim" };
	const char			*path = getenv("PATH"), *p, *e;
	size_t				 i;
	int				 n;

	if (exim_arg != NULL)
		return exim_arg;
	for (p = path; p != NULL && *p != '\0'; p = *e ? e + 1 : e) {
		e = p + strcspn(p, ":");
		n = snprintf(buf, size, "%.*s/exim", (int)(e - p), p);
		if (e > p && n > 0 && (size_t)n < size &&
		    access(buf, X_OK) == 0)
			return buf;
	}
	for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
		if (access(fixed[i], X_OK) == 0)
			return fixed[i];
	return fixed[0];
}

/* Read what fd gives into b (up to BP_MAX kept, the rest read and lost). */
static int
drain(int fd, char *b, size_t *n)
{
	char	skip[4096];
	ssize_t	r;

	if (*n < BP_MAX)
		r = read(fd, b + *n, BP_MAX - *n);
	else
		r = read(fd, skip, sizeof skip);
	if (r > 0 && *n < BP_MAX)
		*n += r;
	return r < 0 && (errno == EINTR || errno == EAGAIN) ? 1 : r > 0;
}

/*
 * exim [-C FILE] -bP spool_directory split_spool_directory, run without a
 * shell and with no standard input (ours may be the ids): *dir and *split
 * from what it prints.  0, or -1 with the reason in err.
 */
static int
exim_bp(char **dir, int *split_out, char *err, size_t errlen)
{
	char		 pathbuf[PATH_MAX], out[BP_MAX], msg[BP_MAX], line[256];
	char		 why[512];
	const char	*exim = exim_path(pathbuf, sizeof pathbuf), *argv[7];
	const char	*eol;
	struct pollfd	 pfd[2];
	size_t		 nout = 0, nmsg = 0;
	pid_t		 pid;
	int		 po[2], pe[2], nul, st, a = 0, open_fds;

	argv[a++] = exim;
	if (config_arg != NULL) {
		argv[a++] = "-C";
		argv[a++] = config_arg;
	}
	argv[a++] = "-bP";
	argv[a++] = "spool_directory";
	argv[a++] = "split_spool_directory";
	argv[a] = NULL;
	if (pipe2(po, O_CLOEXEC) < 0 || pipe2(pe, O_CLOEXEC) < 0 ||
	    (nul = open("/dev/null", O_RDONLY | O_CLOEXEC)) < 0) {
		cli_errf(err, errlen, "cannot run exim '%s': %s", exim,
		    strerror(errno));
		return -1;
	}
	if ((pid = fork()) < 0) {
		cli_errf(err, errlen, "cannot run exim '%s': %s", exim,
		    strerror(errno));
		return -1;
	}
	if (pid == 0) {
		/* cli_parse ignores SIGPIPE for us, not for exim. */
		signal(SIGPIPE, SIG_DFL);
		if (dup2(nul, 0) < 0 || dup2(po[1], 1) < 0 ||
		    dup2(pe[1], 2) < 0)
			_exit(127);
		execv(exim, (char *const *)argv);
		dprintf(2, "%s\n", strerror(errno));
		_exit(127);
	}
	close(nul);
	close(po[1]);
	close(pe[1]);
	pfd[0].fd = po[0];
	pfd[1].fd = pe[0];
	pfd[0].events = pfd[1].events = POLLIN;
	for (open_fds = 2; open_fds > 0; ) {
		if (poll(pfd, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[0].revents && !drain(po[0], out, &nout)) {
			pfd[0].fd = -1;
			open_fds--;
		}
		if (pfd[1].revents && !drain(pe[0], msg, &nmsg)) {
			pfd[1].fd = -1;
			open_fds--;
		}
	}
	close(po[0]);
	close(pe[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR) {
			cli_errf(err, errlen, "cannot run exim '%s': %s", exim,
			    strerror(errno));
			return -1;
		}
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		/* Its first line says why, shown safely. */
		eol = memchr(msg, '\n', nmsg);
		cli_show(msg, eol != NULL ? (size_t)(eol - msg) : nmsg, 200,
		    line, sizeof line);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 127 && nmsg > 0)
			cli_errf(err, errlen, "cannot run exim '%s': %s", exim,
			    line);
		else if (WIFEXITED(st))
			cli_errf(err, errlen, "exim '%s' -bP failed: exit %d%s%s",
			    exim, WEXITSTATUS(st), nmsg > 0 ? ": " : "", line);
		else
			cli_errf(err, errlen, "exim '%s' -bP failed: signal %d",
			    exim, WTERMSIG(st));
		return -1;
	}
	if (spool_bp_parse(out, nout, dir, split_out, why, sizeof why) != 0) {
		cli_errf(err, errlen, "cannot read exim '%s' -bP: %s", exim,
		    why);
		return -1;
	}
	return 0;
}

/*
 * One message's diagnostic, its record, and what it does to the status.
 * The diagnostic comes first: Exim's pipe transport logs the first line
 * of the output.  Each record is flushed: its batch is durable.
 */
static void
done(void *arg, const struct spoolcopy_result *r)
{
	struct cli_rec	 rec;
	struct given	*g;
	char		 why[sizeof r->err];

	(void)arg;
	if (given_n == 0)
		cli_die(MX_SOFTWARE, "internal error: a result for no id");
	g = &givens[given_first];
	given_first = (given_first + 1) % (sizeof givens / sizeof givens[0]);
	given_n--;
	if (g->long_line != 0)
		snprintf(why, sizeof why, "line %lu too long for a message id",
		    g->long_line);
	else
		snprintf(why, sizeof why, "%s", r->err);
	if (r->status != MX_OK) {
		cli_warn("cannot %s '%s': %s", verb, g->shown, why);
		/* A temporary failure wins: the caller must come back. */
		if (r->status == MX_TEMPFAIL || !failed)
			worst = r->status;
		failed = 1;
	}
	/*
	 * The prefix is already rendered (cli_rec would render its
	 * backslashes again); a text record is its one result line.
	 */
	if (prefixed && !cli_json)
		printf("%s: ", g->shown);
	cli_rec_begin(&rec, stdout, NULL);
	if (cli_json)
		cli_rec_str(&rec, "id", g->shown);
	cli_rec_str(&rec, "result", r->result);
	if (cli_json && r->status != MX_OK)
		cli_rec_str(&rec, "error", why);
	if (cli_json && r->h != NULL)
		spool_h_json(stdout, r->h);
	cli_rec_end(&rec);
	fflush(stdout);
}

/* Hand id[0..n) to the engine, its text kept for its record. */
static void
add(struct spoolcopy *sc, const char *id, size_t n, unsigned long long_line)
{
	struct given	*g;

	if (given_n == sizeof givens / sizeof givens[0])
		cli_die(MX_SOFTWARE, "internal error: more ids pending than "
		    "a batch holds");
	g = &givens[(given_first + given_n) % (sizeof givens /
	    sizeof givens[0])];
	cli_show(id, n, SHOW_ID, g->shown, sizeof g->shown);
	g->long_line = long_line;
	given_n++;
	spoolcopy_add(sc, id, n);
}

static int
add_id(void *arg, const char *id, size_t n)
{
	add(arg, id, n, 0);
	return 0;
}

/*
 * An id line of stdin (cli_lines): blanks around it, a CR and blank lines
 * skipped.  A line too long for an id is still one in its turn, never an
 * id: cli_lines keeps none of its bytes, so its record shows its number.
 */
static int
add_line(void *arg, const char *s, size_t n, unsigned long lineno)
{
	char	 buf[64];
	int	 len;

	if (s == NULL) {
		len = snprintf(buf, sizeof buf, "line %lu too long", lineno);
		add(arg, buf, len, lineno);
		return 0;
	}
	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' ||
	    s[n - 1] == '\r'))
		n--;
	if (n > 0)
		add(arg, s, n, 0);
	return 0;
}

int
main(int argc, const char **argv)
{
	struct spoolcopy_opts	 o;
	struct spoolcopy	*sc;
	poptContext		 pc;
	const char		**args, *src, *dst;
	char			 err[1024], input[PATH_MAX], *spool = NULL;
	int			 n = 0, i, rc, bp_split = -1;

	pc = cli_parse(argc, argv, options, "[OPTION...] --to DIR | --check | "
	    "--requeue --from DIR [--all | ID...]", NULL);
	args = poptGetArgs(pc);
	while (args != NULL && args[n] != NULL)
		n++;
	check_usage(n);
	memset(&o, 0, sizeof o);
	o.lock = !no_lock;
	o.link = link_d;
	o.replace = replace;
	o.check = check;
	o.mode = mode_arg != NULL ? parse_mode(mode_arg) : 0640;
	if (owner_arg != NULL) {
		parse_owner(owner_arg, &o.uid, &o.gid);
		o.owner_set = 1;
	}
	o.owner_from_dir = requeue;
	o.remove_src = remove_src;
	verb = check ? "check" : requeue ? "requeue" : "copy";
	prefixed = !(n == 1 && !all);

	/* The spool: needed unless checking an external directory. */
	if (!(requeue && check)) {
		if (spool_arg != NULL)
			spool = strdup(spool_arg);
		else if (exim_bp(&spool, &bp_split, err, sizeof err) != 0)
			cli_die(MX_TEMPFAIL, "%s", err);
		if (spool == NULL)
			cli_die(MX_SOFTWARE, "out of memory");
		rc = snprintf(input, sizeof input, "%s/input", spool);
		if (rc < 0 || (size_t)rc >= sizeof input)
			cli_die(spool_arg != NULL ? MX_USAGE : MX_TEMPFAIL,
			    "spool directory '%s' too long", spool);
		cli_info("spool input directory '%s'", input);
	}
	src = requeue ? from_dir : input;
	dst = check ? NULL : requeue ? input : to_dir;
	if (requeue && !check)
		o.dst_split = split ? 1 : flat ? 0 : bp_split >= 0 ?
		    bp_split : -1;

	cli_catch_signals(on_signal);
	if ((sc = spoolcopy_new(src, dst, &o, done, NULL, err,
	    sizeof err)) == NULL)
		cli_die(MX_TEMPFAIL, "%s", err);
	active = sc;
	rc = 0;
	if (all) {
		if ((rc = spool_list(src, add_id, sc, err, sizeof err)) != 0)
			cli_warn("cannot list '%s': %s", src, err);
	} else if (n == 0) {
		if (cli_lines(0, LINE_MAX_ID, add_line, sc) != 0) {
			cli_warn("cannot read ids from standard input: %s",
			    strerror(errno));
			rc = MX_TEMPFAIL;
		}
	}
	for (i = 0; i < n; i++)
		add(sc, args[i], strlen(args[i]), 0);
	spoolcopy_flush(sc);
	active = NULL;
	spoolcopy_free(sc);
	free(spool);
	poptFreeContext(pc);
	/* A source that cannot be listed, or a lost result: try again. */
	if (rc != 0 || cli_flush_stdout() != MX_OK)
		return MX_TEMPFAIL;
	return worst;
}
