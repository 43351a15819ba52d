/*
 * pcache: the early-pipelining cache of EHLO replies, a text file.
 *
 *	mxkit-pcache 1
 *	entry 127.0.0.1:25 0 1764777600 250 3
 *	 mx.example Hello client.example [127.0.0.1]
 *	 PIPELINING
 *	 PIPECONNECT
 *
 * The first line names the format and its version.  An entry is a line
 * "entry PEER TLS STORED CODE N" (the peer as struct smtp names it, 0 or
 * 1, the time stored in seconds since the epoch, the reply's code, its
 * number of lines), then its N lines, each a blank and the line's text
 * as the server sent it.  Only entry lines start with a letter and only
 * reply lines with a blank, so a damaged entry is skipped to the next
 * "entry" without losing the rest.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "pcache.h"

#define MAGIC		"mxkit-pcache"
#define FORMAT		1
/*
 * The most of a file that is read: a larger one is cut there, its last
 * entries dropped as damaged.  Expired entries go at each save, so a
 * cache this big is one of many thousands of servers.
 */
#define FILE_MAX	(32 * 1024 * 1024)
#define PEER_MAX	63
/*
 * The most entries kept: past it the oldest goes.  A cache is searched
 * entry by entry, which this bound keeps cheap.
 */
#define ENTRIES_MAX	4096
#define TIME_MAX	999999999999999999LL	/* 18 digits */
/*
 * An entry stored further ahead of the clock than this (a clock stepped
 * back) would be newer than any put for ever: it is dropped as damaged.
 * Less is a clock's ordinary skew between two machines sharing a cache.
 */
#define FUTURE_MAX	86400

struct pent {
	char		 peer[PEER_MAX + 1];
	int		 tls;
	time_t		 stored;
	struct smtp_reply r;
	int		 changed;	/* a put not saved yet */
};

struct pkey {
	char		 peer[PEER_MAX + 1];
	int		 tls;
};

struct pcache {
	struct pent	*e;
	size_t		 n, cap;
	struct pkey	*drops;		/* drops not saved yet */
	size_t		 ndrops, capdrops;
};

struct pcache *
pcache_new(void)
{
	return calloc(1, sizeof(struct pcache));
}

void
pcache_free(struct pcache *pc)
{
	size_t	i;

	if (pc == NULL)
		return;
	for (i = 0; i < pc->n; i++)
		smtp_reply_free(&pc->e[i].r);
	free(pc->e);
	free(pc->drops);
	free(pc);
}

/* A peer the file can hold: 1 to PEER_MAX bytes of VCHAR. */
static int
peer_ok(const char *p, size_t n)
{
	size_t	i;

	if (n == 0 || n > PEER_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (p[i] <= 0x20 || p[i] >= 0x7f)
			return 0;
	return 1;
}

static ssize_t
find(const struct pcache *pc, const char *peer, int tls)
{
	size_t	i;

	for (i = 0; i < pc->n; i++)
		if (pc->e[i].tls == tls && strcmp(pc->e[i].peer, peer) == 0)
			return i;
	return -1;
}

static void
remove_at(struct pcache *pc, size_t i)
{
	smtp_reply_free(&pc->e[i].r);
	pc->e[i] = pc->e[--pc->n];
}

/* Add e (its reply taken over) in place of any entry of its key. */
static int
insert(struct pcache *pc, struct pent *e)
{
	struct pent	*ne;
	ssize_t		 i, k;
	size_t		 cap;

	if ((i = find(pc, e->peer, e->tls)) != -1) {
		smtp_reply_free(&pc->e[i].r);
		pc->e[i] = *e;
		return 0;
	}
	if (pc->n == ENTRIES_MAX) {
		for (i = 0, k = 1; k < (ssize_t)pc->n; k++)
			if (pc->e[k].stored < pc->e[i].stored)
				i = k;
		remove_at(pc, i);
	}
	if (pc->n == pc->cap) {
		cap = pc->cap ? pc->cap * 2 : 8;
		if ((ne = reallocarray(pc->e, cap, sizeof *ne)) == NULL)
			return -1;
		pc->e = ne;
		pc->cap = cap;
	}
	pc->e[pc->n++] = *e;
	return 0;
}

const struct smtp_reply *
pcache_get(const struct pcache *pc, const char *peer, int tls, time_t now)
{
	ssize_t	i;

	if ((i = find(pc, peer, tls != 0)) == -1)
		return NULL;
	/*
	 * An entry from the future (a clock set back) has no known age: it
	 * is not used, and the next session's put replaces it.
	 */
	if (pc->e[i].stored > now || now - pc->e[i].stored > PCACHE_MAXAGE)
		return NULL;
	return &pc->e[i].r;
}

time_t
pcache_stored(const struct pcache *pc, const char *peer, int tls)
{
	ssize_t	i;

	if ((i = find(pc, peer, tls != 0)) == -1)
		return -1;
	return pc->e[i].stored;
}

static void
undrop(struct pcache *pc, const char *peer, int tls)
{
	size_t	i;

	for (i = 0; i < pc->ndrops; i++)
		if (pc->drops[i].tls == tls &&
		    strcmp(pc->drops[i].peer, peer) == 0) {
			pc->drops[i] = pc->drops[--pc->ndrops];
			return;
		}
}

/*
 * A reply the file cannot hold (a peer of blanks or too long, a line with
 * a LF, no line, too many) is not stored: that costs early pipelining
 * with that server, nothing else.
 */
int
pcache_put(struct pcache *pc, const char *peer, int tls,
    const struct smtp_reply *r, time_t now)
{
	struct pent	 e;
	size_t		 i;

	tls = tls != 0;
	if (!peer_ok(peer, strlen(peer)) || now < 0 || now > TIME_MAX ||
	    r->nlines == 0 ||
	    r->nlines > SMTP_LINES_MAX || r->code < 200 || r->code > 599)
		return 0;
	for (i = 0; i < r->nlines; i++)
		if (strchr(r->lines[i], '\n') != NULL ||
		    strlen(r->lines[i]) > SMTP_LINE_MAX)
			return 0;
	memset(&e, 0, sizeof e);
	snprintf(e.peer, sizeof e.peer, "%s", peer);
	e.tls = tls;
	e.stored = now;
	e.changed = 1;
	e.r.code = r->code;
	if ((e.r.lines = calloc(r->nlines, sizeof *e.r.lines)) == NULL)
		return -1;
	for (i = 0; i < r->nlines; i++, e.r.nlines++)
		if ((e.r.lines[i] = strdup(r->lines[i])) == NULL) {
			smtp_reply_free(&e.r);
			return -1;
		}
	if (insert(pc, &e) == -1) {
		smtp_reply_free(&e.r);
		return -1;
	}
	undrop(pc, peer, tls);
	return 0;
}

void
pcache_drop(struct pcache *pc, const char *peer, int tls)
{
	struct pkey	*nd;
	ssize_t		 i;
	size_t		 cap, k;

	tls = tls != 0;
	if ((i = find(pc, peer, tls)) != -1)
		remove_at(pc, i);
	if (!peer_ok(peer, strlen(peer)))
		return;
	for (k = 0; k < pc->ndrops; k++)
		if (pc->drops[k].tls == tls &&
		    strcmp(pc->drops[k].peer, peer) == 0)
			return;
	if (pc->ndrops == pc->capdrops) {
		cap = pc->capdrops ? pc->capdrops * 2 : 4;
		/* Out of memory: the entry stays in the file, and the
		   next session that finds it stale drops it again. */
		if ((nd = reallocarray(pc->drops, cap, sizeof *nd)) == NULL)
			return;
		pc->drops = nd;
		pc->capdrops = cap;
	}
	nd = &pc->drops[pc->ndrops++];
	snprintf(nd->peer, sizeof nd->peer, "%s", peer);
	nd->tls = tls;
}

/* A decimal of at most max digits, no sign, no leading blank. */
static int
number(const char *s, size_t n, int max, long long *v)
{
	size_t	i;

	if (n == 0 || n > (size_t)max)
		return -1;
	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/*
 * "entry PEER TLS STORED CODE N" (without its LF) into e and *nlines;
 * the reason on failure.
 */
static const char *
entry_line(const char *s, size_t n, struct pent *e, size_t *nlines)
{
	const char	*f[6], *end = s + n;
	size_t		 fl[6], k = 0;
	long long	 v;

	while (s < end && k < 6) {
		f[k] = s;
		while (s < end && *s != ' ')
			s++;
		fl[k] = s - f[k];
		k++;
		if (s < end)
			s++;
	}
	if (k != 6 || s != end || fl[5] == 0 || f[5] + fl[5] != end)
		return "not six fields";
	if (!peer_ok(f[1], fl[1]))
		return "bad peer";
	memcpy(e->peer, f[1], fl[1]);
	e->peer[fl[1]] = '\0';
	if (fl[2] != 1 || (f[2][0] != '0' && f[2][0] != '1'))
		return "bad tls state";
	e->tls = f[2][0] - '0';
	if (number(f[3], fl[3], 18, &v) == -1)
		return "bad time";
	e->stored = v;
	if (number(f[4], fl[4], 3, &v) == -1 || v < 200 || v > 599)
		return "bad code";
	e->r.code = v;
	if (number(f[5], fl[5], 3, &v) == -1 || v < 1 || v > SMTP_LINES_MAX)
		return "bad line count";
	*nlines = v;
	return NULL;
}

static void
drop_note(size_t *dropped, char *err, size_t errlen, size_t lineno,
    const char *why)
{
	if ((*dropped)++ == 0)
		cli_errf(err, errlen, "entry at line %zu dropped: %s", lineno,
		    why);
}

/*
 * An entry's lines are all read: into the cache when there are as many
 * as its count said.  -1 out of memory, e then still holding its lines.
 */
static int
entry_end(struct pcache *pc, struct pent *e, size_t want, size_t *dropped,
    char *err, size_t errlen, size_t lineno)
{
	if (e->r.nlines != want) {
		drop_note(dropped, err, errlen, lineno,
		    "fewer lines than its count");
		smtp_reply_free(&e->r);
	} else if (insert(pc, e) == -1)
		return -1;
	memset(e, 0, sizeof *e);
	return 0;
}

int
pcache_parse(struct pcache *pc, const char *buf, size_t len,
    size_t *dropped, char *err, size_t errlen)
{
	struct pent	 e;
	const char	*p = buf, *end = buf + len, *nl, *why;
	size_t		 n, want = 0, lineno = 1, elineno = 0;
	char		 shown[64];
	int		 in = 0;	/* 1 in an entry, -1 skipping one */
	time_t		 now = time(NULL);

	*dropped = 0;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	/* An empty file holds nothing to lose: an empty cache. */
	if (len == 0)
		return 0;
	nl = memchr(p, '\n', len);
	n = (nl != NULL ? nl : end) - p;
	if (n != strlen(MAGIC " 1") || memcmp(p, MAGIC " 1", n) != 0) {
		if (n > strlen(MAGIC " ") &&
		    memcmp(p, MAGIC " ", strlen(MAGIC " ")) == 0)
			cli_errf(err, errlen, "format version '%s' is not "
			    "known", cli_show(p + strlen(MAGIC " "),
			    n - strlen(MAGIC " "), 20, shown, sizeof shown));
		else
			cli_errf(err, errlen, "not a cache of smtp-probe: first "
			    "line '%s'", cli_show(p, n, 40, shown,
			    sizeof shown));
		return MX_DATAERR;
	}
	p = nl != NULL ? nl + 1 : end;
	memset(&e, 0, sizeof e);
	for (; p < end; p = nl != NULL ? nl + 1 : end) {
		lineno++;
		nl = memchr(p, '\n', end - p);
		n = (nl != NULL ? nl : end) - p;
		if (n > 0 && p[0] == ' ') {
			if (in != 1) {
				if (in == 0) {
					drop_note(dropped, err, errlen, lineno,
					    "a reply line outside an entry");
					in = -1;
				}
				continue;
			}
			if (e.r.nlines == want) {
				drop_note(dropped, err, errlen, elineno,
				    "more lines than its count");
				smtp_reply_free(&e.r);
				in = -1;
				continue;
			}
			if (nl == NULL || n - 1 > SMTP_LINE_MAX ||
			    memchr(p, '\0', n) != NULL) {
				drop_note(dropped, err, errlen, elineno,
				    nl == NULL ? "cut short" :
				    "a bad reply line");
				smtp_reply_free(&e.r);
				in = -1;
				continue;
			}
			if ((e.r.lines[e.r.nlines] = strndup(p + 1, n - 1)) ==
			    NULL)
				goto oom;
			e.r.nlines++;
			continue;
		}
		/* The entry before, done. */
		if (in == 1 && entry_end(pc, &e, want, dropped, err, errlen,
		    elineno) == -1)
			goto oom;
		in = -1;
		elineno = lineno;
		if (n < 6 || memcmp(p, "entry ", 6) != 0) {
			drop_note(dropped, err, errlen, lineno, "not an entry");
			continue;
		}
		if (nl == NULL) {
			drop_note(dropped, err, errlen, lineno, "cut short");
			continue;
		}
		memset(&e, 0, sizeof e);
		if ((why = entry_line(p, n, &e, &want)) != NULL ||
		    (e.stored > now && e.stored - now > FUTURE_MAX &&
		    (why = "stored in the future") != NULL)) {
			drop_note(dropped, err, errlen, lineno, why);
			continue;
		}
		if ((e.r.lines = calloc(want, sizeof *e.r.lines)) == NULL)
			goto oom;
		in = 1;
	}
	if (in == 1 && entry_end(pc, &e, want, dropped, err, errlen,
	    elineno) == -1)
		goto oom;
	return 0;
oom:
	smtp_reply_free(&e.r);
	cli_errf(err, errlen, "out of memory");
	return MX_SOFTWARE;
}

char *
pcache_text(const struct pcache *pc, size_t *lenp)
{
	const struct pent	*e;
	char			*t, *o;
	size_t			 len, i, k;
	int			 w;

	len = strlen(MAGIC) + 4;
	for (i = 0; i < pc->n; i++) {
		/* "entry ", a peer, " 0 ", a time, a code, a count, LF */
		len += 6 + PEER_MAX + 3 + 18 + 4 + 4 + 1;
		for (k = 0; k < pc->e[i].r.nlines; k++)
			len += strlen(pc->e[i].r.lines[k]) + 2;
	}
	if ((t = malloc(len + 1)) == NULL)
		return NULL;
	o = t;
	o += snprintf(o, len + 1, "%s %d\n", MAGIC, FORMAT);
	for (i = 0; i < pc->n; i++) {
		e = &pc->e[i];
		w = snprintf(o, len + 1 - (o - t), "entry %s %d %lld %d %zu\n",
		    e->peer, e->tls, (long long)e->stored, e->r.code,
		    e->r.nlines);
		o += w;
		for (k = 0; k < e->r.nlines; k++) {
			*o++ = ' ';
			w = strlen(e->r.lines[k]);
			memcpy(o, e->r.lines[k], w);
			o += w;
			*o++ = '\n';
		}
	}
	*o = '\0';
	if (lenp != NULL)
		*lenp = o - t;
	return t;
}

/*
 * The whole of fd, at most FILE_MAX bytes (*cut set when there was
 * more).  -1 with errno on a read error.
 */
static char *
slurp(int fd, size_t *lenp, int *cut)
{
	char	*b = NULL, *nb;
	size_t	 len = 0, cap = 0;
	ssize_t	 r;

	*cut = 0;
	for (;;) {
		if (len == cap) {
			if (cap == FILE_MAX + 1) {
				*cut = 1;
				len = FILE_MAX;
				break;
			}
			cap = cap ? cap * 2 : 8192;
			if (cap > FILE_MAX + 1)
				cap = FILE_MAX + 1;
			if ((nb = realloc(b, cap)) == NULL) {
				free(b);
				errno = ENOMEM;
				return NULL;
			}
			b = nb;
		}
		if ((r = read(fd, b + len, cap - len)) == -1) {
			if (errno == EINTR)
				continue;
			free(b);
			return NULL;
		}
		if (r == 0)
			break;
		len += r;
	}
	if (b == NULL && (b = malloc(1)) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	*lenp = len;
	return b;
}

/*
 * Read path into pc: no file is an empty cache.  The status (of
 * cli_open_regular, MX_IOERR, MX_SOFTWARE, or pcache_parse's) with err;
 * on 0, entries dropped (a file cut at FILE_MAX counted as one) are
 * counted in *dropped and the first told in err.
 */
static int
read_file(struct pcache *pc, const char *path, const char *shown,
    size_t *dropped, char *err, size_t errlen)
{
	struct stat	 st;
	char		 why[256], *buf;
	size_t		 len;
	int		 fd, status, cut, rc, e;

	*dropped = 0;
	/* No file yet: an empty cache, which the first save creates. */
	if (stat(path, &st) == -1 && errno == ENOENT)
		return 0;
	if ((fd = cli_open_regular(path, "cache", err, errlen, &status)) ==
	    -1)
		return status;
	if ((buf = slurp(fd, &len, &cut)) == NULL) {
		e = errno;
		cli_errf(err, errlen, "cannot read cache '%s': %s", shown,
		    strerror(e));
		close(fd);
		return e == ENOMEM ? MX_SOFTWARE : MX_IOERR;
	}
	close(fd);
	rc = pcache_parse(pc, buf, len, dropped, why, sizeof why);
	free(buf);
	if (rc == 0 && cut) {
		if (*dropped == 0)
			cli_errf(why, sizeof why, "cut at %d bytes",
			    FILE_MAX);
		(*dropped)++;
	}
	if (rc != 0 || *dropped > 0)
		cli_errf(err, errlen, "cache '%s': %s", shown, why);
	return rc;
}

int
pcache_load(struct pcache *pc, const char *path, size_t *dropped,
    char *err, size_t errlen)
{
	char	shown[CLI_SHOWN_NAME];

	cli_show(path, strlen(path), CLI_SHOW_NAME, shown, sizeof shown);
	return read_file(pc, path, shown, dropped, err, errlen);
}

/*
 * Take the lock on path.lock within timeout seconds: the descriptor, or
 * -1 with the status.  flock, not fcntl: it is the lock's file, not the
 * cache's, that is locked, so the rename that replaces the cache does not
 * let a second writer in.
 */
static int
lock(const char *path, const char *shown, int timeout, char *err,
    size_t errlen, int *status)
{
	struct timespec	 now, until, nap = { 0, 20 * 1000 * 1000 };
	struct stat	 st;
	char		 lp[PATH_MAX];
	int		 fd;

	if ((size_t)snprintf(lp, sizeof lp, "%s.lock", path) >= sizeof lp) {
		cli_errf(err, errlen, "cannot lock cache '%s': name too long",
		    shown);
		*status = MX_CANTCREAT;
		return -1;
	}
	/* O_NONBLOCK: a FIFO there would hang the open before any
	   timeout; flock does not mind it. */
	if ((fd = open(lp, O_RDONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW |
	    O_NOCTTY | O_NONBLOCK, 0666)) == -1) {
		cli_errf(err, errlen, "cannot lock cache '%s': %s", shown,
		    strerror(errno));
		*status = MX_CANTCREAT;
		return -1;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		cli_errf(err, errlen, "cannot lock cache '%s': %s.lock is not "
		    "a regular file", shown, shown);
		*status = MX_CANTCREAT;
		close(fd);
		return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_sec += timeout > 0 ? timeout : 0;
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EWOULDBLOCK && errno != EINTR) {
			cli_errf(err, errlen, "cannot lock cache '%s': %s",
			    shown, strerror(errno));
			*status = MX_IOERR;
			close(fd);
			return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > until.tv_sec || (now.tv_sec == until.tv_sec &&
		    now.tv_nsec >= until.tv_nsec)) {
			cli_errf(err, errlen, "cannot lock cache '%s': held by "
			    "another process for %d s", shown, timeout);
			*status = MX_TEMPFAIL;
			close(fd);
			return -1;
		}
		nanosleep(&nap, NULL);
	}
	return fd;
}

static int
write_all(int fd, const char *b, size_t n)
{
	ssize_t	w;

	while (n > 0) {
		if ((w = write(fd, b, n)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += w;
		n -= w;
	}
	return 0;
}

/*
 * Write text to path by way of a temp file of our own beside it
 * (path.tmp.XXXXXX): a file of that name that is not ours, another
 * program's or one a killed save left, is never touched.
 */
static int
replace(const char *path, const char *shown, const char *text, size_t len,
    char *err, size_t errlen)
{
	char	 tmp[PATH_MAX], dir[PATH_MAX];
	mode_t	 mask;
	int	 fd, dfd, e;

	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp.XXXXXX", path) >=
	    sizeof tmp ||
	    (size_t)snprintf(dir, sizeof dir, "%s", path) >= sizeof dir) {
		cli_errf(err, errlen, "cannot write cache '%s': name too long",
		    shown);
		return MX_CANTCREAT;
	}
	if ((fd = mkostemp(tmp, O_CLOEXEC)) == -1) {
		cli_errf(err, errlen, "cannot write cache '%s': %s",
		    shown, strerror(errno));
		return MX_CANTCREAT;
	}
	/* mkstemp's 0600 made what open(0666) would have: the cache is
	   shared as the umask says. */
	mask = umask(0);
	umask(mask);
	if (fchmod(fd, 0666 & ~mask) == -1 ||
	    write_all(fd, text, len) == -1 || fsync(fd) == -1) {
		e = errno;
		close(fd);
		unlink(tmp);
		cli_errf(err, errlen, "cannot write cache '%s': %s", shown,
		    strerror(e));
		return MX_IOERR;
	}
	if (close(fd) == -1 || rename(tmp, path) == -1) {
		e = errno;
		unlink(tmp);
		cli_errf(err, errlen, "cannot write cache '%s': %s", shown,
		    strerror(e));
		return MX_IOERR;
	}
	/* The rename itself on disk, before the lock goes. */
	if ((dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) == -1 || fsync(dfd) == -1) {
		e = errno;
		if (dfd != -1)
			close(dfd);
		cli_errf(err, errlen, "cannot sync the directory of cache "
		    "'%s': %s", shown, strerror(e));
		return MX_IOERR;
	}
	close(dfd);
	return 0;
}

int
pcache_save(struct pcache *pc, const char *path, int timeout, char *err,
    size_t errlen)
{
	struct pcache	*disk = NULL;
	char		 shown[CLI_SHOWN_NAME], *text = NULL;
	size_t		 i, len, dropped;
	time_t		 now = time(NULL);
	ssize_t		 k;
	int		 lfd, rc, status, changed = 0;

	for (i = 0; i < pc->n; i++)
		changed |= pc->e[i].changed;
	if (!changed && pc->ndrops == 0)
		return 0;
	cli_show(path, strlen(path), CLI_SHOW_NAME, shown, sizeof shown);
	if ((lfd = lock(path, shown, timeout, err, errlen, &status)) == -1)
		return status;
	if ((disk = pcache_new()) == NULL)
		goto oom;
	/* Read again under the lock: another probe may have saved.  Its
	   dropped entries stay dropped: the load warned of them. */
	if ((rc = read_file(disk, path, shown, &dropped, err, errlen)) != 0) {
		/* Not a file to rename over, whatever it is. */
		if (rc == MX_NOINPUT)
			rc = MX_DATAERR;
		goto out;
	}
	if (errlen > 0)
		err[0] = '\0';
	for (i = 0; i < pc->ndrops; i++)
		if ((k = find(disk, pc->drops[i].peer, pc->drops[i].tls)) !=
		    -1)
			remove_at(disk, k);
	for (i = 0; i < pc->n; i++) {
		if (!pc->e[i].changed)
			continue;
		/* Another probe's newer reply stays; one from the future
		   is no newer than ours. */
		k = find(disk, pc->e[i].peer, pc->e[i].tls);
		if (k != -1 && disk->e[k].stored > pc->e[i].stored &&
		    disk->e[k].stored <= now)
			continue;
		if (pcache_put(disk, pc->e[i].peer, pc->e[i].tls, &pc->e[i].r,
		    pc->e[i].stored) == -1)
			goto oom;
	}
	/* Expired entries go, so that the file does not grow for ever. */
	for (i = 0; i < disk->n;)
		if (disk->e[i].stored <= now &&
		    now - disk->e[i].stored > PCACHE_MAXAGE)
			remove_at(disk, i);
		else
			i++;
	if ((text = pcache_text(disk, &len)) == NULL)
		goto oom;
	if ((rc = replace(path, shown, text, len, err, errlen)) == 0) {
		for (i = 0; i < pc->n; i++)
			pc->e[i].changed = 0;
		pc->ndrops = 0;
	}
	goto out;
oom:
	cli_errf(err, errlen, "cannot write cache '%s': out of memory", shown);
	rc = MX_SOFTWARE;
out:
	free(text);
	pcache_free(disk);
	close(lfd);
	return rc;
}
