#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cli.h"
#include "msg.h"

enum { IN_HEADER, IN_BODY, ENDED };

struct field {
	size_t		 off;		/* in h, or 0 for a prepended one */
	char		*own;		/* prepended: our copy */
	size_t		 len;
	size_t		 namelen;
};

struct msg {
	int		 state;
	int		 crlf;		/* -1 until the first line end */
	size_t		 membody;

	char		*h;		/* From line, fields, blank line */
	size_t		 hlen, hcap;
	size_t		 scan;		/* start of the first unsplit line */
	size_t		 fromlen;	/* leading mbox "From " line */
	size_t		 hdrend;	/* end of the fields */
	size_t		 seplen;	/* the blank line: 0, 1 or 2 bytes */

	struct field	*f;		/* prepended first, newest on top */
	size_t		 nf, fcap, npre;
	struct msg_hdr	*view;

	char		*b;		/* body in memory */
	size_t		 blen, bcap;
	int		 bfd;		/* spool file once past membody */
	off_t		 bsize;
	off_t		 rpos;
};

struct msg *
msg_new(size_t membody)
{
	struct msg	*m;

	if ((m = calloc(1, sizeof *m)) == NULL)
		return NULL;
	m->crlf = -1;
	m->membody = membody;
	m->bfd = -1;
	return m;
}

void
msg_free(struct msg *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->nf; i++)
		free(m->f[i].own);
	free(m->f);
	free(m->view);
	free(m->h);
	free(m->b);
	if (m->bfd >= 0)
		close(m->bfd);
	free(m);
}

static int
grow(char **p, size_t *cap, size_t need)
{
	size_t	 n = *cap ? *cap : 4096;
	char	*np;

	while (n < need)
		n *= 2;
	if (n == *cap)
		return 0;
	if ((np = realloc(*p, n)) == NULL)
		return -1;
	*p = np;
	*cap = n;
	return 0;
}

static int
write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t	w = write(fd, p, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		n -= w;
	}
	return 0;
}

static int
spool_open(struct msg *m, char *err, size_t errlen)
{
	const char	*dir = getenv("TMPDIR");
	char		 path[4096];

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if ((size_t)snprintf(path, sizeof path, "%s/mxkit.XXXXXX", dir) >=
	    sizeof path) {
		snprintf(err, errlen, "cannot create spool file in '%s': %s",
		    dir, strerror(ENAMETOOLONG));
		return MX_CANTCREAT;
	}
	if ((m->bfd = mkstemp(path)) < 0) {
		snprintf(err, errlen, "cannot create spool file in '%s': %s",
		    dir, strerror(errno));
		return MX_CANTCREAT;
	}
	unlink(path);
	if (write_all(m->bfd, m->b, m->blen) < 0) {
		snprintf(err, errlen, "cannot write spool file: %s",
		    strerror(errno));
		return MX_IOERR;
	}
	free(m->b);
	m->b = NULL;
	m->blen = m->bcap = 0;
	return 0;
}

static int
body_add(struct msg *m, const char *p, size_t n, char *err, size_t errlen)
{
	int	rc;

	if (n == 0)
		return 0;
	m->bsize += n;
	if (m->bfd < 0 && m->blen + n > m->membody &&
	    (rc = spool_open(m, err, errlen)) != 0)
		return rc;
	if (m->bfd >= 0) {
		if (write_all(m->bfd, p, n) < 0) {
			snprintf(err, errlen, "cannot write spool file: %s",
			    strerror(errno));
			return MX_IOERR;
		}
		return 0;
	}
	if (grow(&m->b, &m->bcap, m->blen + n) < 0) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return MX_SOFTWARE;
	}
	memcpy(m->b + m->blen, p, n);
	m->blen += n;
	return 0;
}

static int
field_add(struct msg *m, size_t off, char *own, size_t len, size_t namelen)
{
	struct field	*nf;

	if (m->nf == m->fcap) {
		size_t	cap = m->fcap ? m->fcap * 2 : 32;

		if ((nf = reallocarray(m->f, cap, sizeof *nf)) == NULL)
			return -1;
		m->f = nf;
		m->fcap = cap;
	}
	m->f[m->nf].off = off;
	m->f[m->nf].own = own;
	m->f[m->nf].len = len;
	m->f[m->nf].namelen = namelen;
	m->nf++;
	return 0;
}

/* RFC 5322 2.2 (and obsolete 4.5.8): printable name, blanks, colon. */
static size_t
field_name(const char *p, size_t n)
{
	size_t	i, name;

	for (i = 0; i < n && p[i] > ' ' && p[i] < 0x7f && p[i] != ':'; i++)
		;
	name = i;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	return name > 0 && i < n && p[i] == ':' ? name : 0;
}

/* The header section ends at offset `at`, with a blank line of sep bytes. */
static int
end_header(struct msg *m, size_t at, size_t sep, char *err, size_t errlen)
{
	size_t	rest = at + sep;

	m->hdrend = at;
	m->seplen = sep;
	m->state = IN_BODY;
	if (rest < m->hlen) {
		int	rc = body_add(m, m->h + rest, m->hlen - rest, err,
			    errlen);

		if (rc != 0)
			return rc;
	}
	m->hlen = rest;
	return 0;
}

/* Classify one line of the header section: [s, s + n), n > 0. */
static int
header_line(struct msg *m, size_t s, size_t n, char *err, size_t errlen)
{
	const char	*p = m->h + s;
	size_t		 name;

	if (m->crlf < 0 && p[n - 1] == '\n')
		m->crlf = n >= 2 && p[n - 2] == '\r';
	if (s == 0 && n >= 5 && memcmp(p, "From ", 5) == 0) {
		m->fromlen = n;
		return 0;
	}
	if ((n == 1 && p[0] == '\n') || (n == 2 && p[0] == '\r' &&
	    p[1] == '\n'))
		return end_header(m, s, n, err, errlen);
	if ((p[0] == ' ' || p[0] == '\t') && m->nf > m->npre) {
		m->f[m->nf - 1].len += n;
		return 0;
	}
	if ((name = field_name(p, n)) > 0) {
		if (field_add(m, s, NULL, n, name) < 0) {
			snprintf(err, errlen, "%s", strerror(ENOMEM));
			return MX_SOFTWARE;
		}
		return 0;
	}
	/* Not a field: the body starts here, with no blank line before it. */
	return end_header(m, s, 0, err, errlen);
}

static int
split_lines(struct msg *m, char *err, size_t errlen)
{
	const char	*nl;
	int		 rc;

	while (m->state == IN_HEADER && m->scan < m->hlen &&
	    (nl = memchr(m->h + m->scan, '\n', m->hlen - m->scan)) != NULL) {
		size_t	s = m->scan, n = nl + 1 - (m->h + s);

		m->scan = s + n;
		if ((rc = header_line(m, s, n, err, errlen)) != 0)
			return rc;
	}
	if (m->state == IN_HEADER && m->hlen > MSG_HDR_MAX) {
		snprintf(err, errlen, "header section larger than %d bytes",
		    MSG_HDR_MAX);
		return MX_DATAERR;
	}
	return 0;
}

int
msg_feed(struct msg *m, const char *p, size_t n, char *err, size_t errlen)
{
	if (m->state == IN_BODY)
		return body_add(m, p, n, err, errlen);
	if (m->state == ENDED || n == 0)
		return 0;
	if (grow(&m->h, &m->hcap, m->hlen + n) < 0) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return MX_SOFTWARE;
	}
	memcpy(m->h + m->hlen, p, n);
	m->hlen += n;
	return split_lines(m, err, errlen);
}

static int
build_view(struct msg *m)
{
	struct msg_hdr	*v;

	if ((v = reallocarray(m->view, m->nf + 1, sizeof *v)) == NULL)
		return -1;
	m->view = v;
	/* Prepended fields sit at the end of f, newest last: show it first. */
	for (size_t i = 0; i < m->npre; i++) {
		const struct field	*f = &m->f[m->nf - 1 - i];

		v[i] = (struct msg_hdr){ f->own, f->len, f->namelen, 1 };
	}
	for (size_t i = 0; i < m->nf - m->npre; i++) {
		const struct field	*f = &m->f[i];

		v[m->npre + i] = (struct msg_hdr){ m->h + f->off, f->len,
		    f->namelen, 0 };
	}
	return 0;
}

int
msg_end(struct msg *m, char *err, size_t errlen)
{
	int	rc;

	if (m->state == IN_HEADER) {
		/* A last line without a line end. */
		if (m->scan < m->hlen &&
		    (rc = header_line(m, m->scan, m->hlen - m->scan, err,
		    errlen)) != 0)
			return rc;
		if (m->state == IN_HEADER) {
			m->hdrend = m->hlen;
			m->seplen = 0;
		}
	}
	m->state = ENDED;
	if (build_view(m) < 0) {
		snprintf(err, errlen, "%s", strerror(ENOMEM));
		return MX_SOFTWARE;
	}
	return 0;
}

int
msg_read_fd(struct msg *m, int fd, char *err, size_t errlen)
{
	char	buf[65536];
	ssize_t	r;
	int	rc;

	for (;;) {
		r = read(fd, buf, sizeof buf);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "read error: %s",
			    strerror(errno));
			return MX_IOERR;
		}
		if ((rc = msg_feed(m, buf, r, err, errlen)) != 0)
			return rc;
	}
	return msg_end(m, err, errlen);
}

size_t
msg_nhdrs(const struct msg *m)
{
	return m->state == ENDED ? m->nf : 0;
}

const struct msg_hdr *
msg_hdr(const struct msg *m, size_t i)
{
	return i < msg_nhdrs(m) ? &m->view[i] : NULL;
}

const struct msg_hdr *
msg_find(const struct msg *m, const char *name, size_t nth)
{
	size_t	len = strlen(name);

	for (size_t i = 0; i < msg_nhdrs(m); i++) {
		const struct msg_hdr	*h = &m->view[i];

		if (h->namelen == len && strncasecmp(h->raw, name, len) == 0 &&
		    nth-- == 0)
			return h;
	}
	return NULL;
}

const char *
msg_hdr_value(const struct msg_hdr *h, size_t *len)
{
	const char	*colon = memchr(h->raw, ':', h->len);

	*len = h->len - (colon + 1 - h->raw);
	return colon + 1;
}

int
msg_crlf(const struct msg *m)
{
	return m->crlf > 0;
}

off_t
msg_body_size(const struct msg *m)
{
	return m->bsize;
}

off_t
msg_size(const struct msg *m)
{
	off_t	n = m->hlen + m->bsize;

	for (size_t i = 0; i < m->npre; i++)
		n += m->f[m->nf - 1 - i].len;
	return n;
}

int
msg_spooled(const struct msg *m)
{
	return m->bfd >= 0;
}

int
msg_prepend(struct msg *m, const char *raw, size_t len)
{
	char	*own;
	size_t	 name;

	/* Only once the message is read: prepended fields sit after its own. */
	if (m->state != ENDED || (name = field_name(raw, len)) == 0 ||
	    (own = malloc(len)) == NULL)
		return -1;
	memcpy(own, raw, len);
	if (field_add(m, 0, own, len, name) < 0) {
		free(own);
		return -1;
	}
	m->npre++;
	return build_view(m);
}

void
msg_unprepend(struct msg *m, size_t n)
{
	for (; n > 0 && m->npre > 0; n--) {
		free(m->f[--m->nf].own);
		m->npre--;
	}
	/* A view of fewer fields fits in the one already there. */
	(void)build_view(m);
}

int
msg_body_rewind(struct msg *m)
{
	m->rpos = 0;
	return 0;
}

ssize_t
msg_body_read(struct msg *m, char *buf, size_t n)
{
	ssize_t	r;

	if ((off_t)n > m->bsize - m->rpos)
		n = m->bsize - m->rpos;
	if (n == 0)
		return 0;
	if (m->bfd < 0) {
		memcpy(buf, m->b + m->rpos, n);
		r = n;
	} else {
		do
			r = pread(m->bfd, buf, n, m->rpos);
		while (r < 0 && errno == EINTR);
		if (r <= 0)
			return -1;
	}
	m->rpos += r;
	return r;
}

/* The message to fd: 0, or -1 with errno set. */
static int
write_msg(struct msg *m, int fd)
{
	char	buf[65536];
	ssize_t	r;
	int	ok;

	ok = write_all(fd, m->h, m->fromlen) == 0;
	for (size_t i = 0; ok && i < m->npre; i++)
		ok = write_all(fd, m->f[m->nf - 1 - i].own,
		    m->f[m->nf - 1 - i].len) == 0;
	if (ok && m->hlen > m->fromlen)
		ok = write_all(fd, m->h + m->fromlen, m->hlen - m->fromlen) == 0;
	msg_body_rewind(m);
	while (ok && (r = msg_body_read(m, buf, sizeof buf)) != 0)
		ok = r > 0 && write_all(fd, buf, r) == 0;
	return ok ? 0 : -1;
}

int
msg_write(struct msg *m, int fd, char *err, size_t errlen)
{
	if (write_msg(m, fd) < 0) {
		snprintf(err, errlen, "write error: %s", strerror(errno));
		return MX_IOERR;
	}
	return 0;
}

int
msg_read_path(struct msg *m, const char *path, char *err, size_t errlen)
{
	struct stat	st;
	int		fd, rc;

	if (strcmp(path, "-") == 0)
		return msg_read_fd(m, 0, err, errlen);
	/* The caller names the file: its diagnostic says it once. */
	if ((fd = open(path, O_RDONLY)) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		return MX_NOINPUT;
	}
	/* A directory named as a message is a command line no retry mends. */
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s", strerror(EISDIR));
		close(fd);
		return MX_NOINPUT;
	}
	rc = msg_read_fd(m, fd, err, errlen);
	close(fd);
	return rc;
}

/* One file of a batch: pending from its creation to its rename. */
struct bfile {
	char			*tmp;		/* dir/.name.XXXXXX */
	char			*path;		/* dir/name */
	char			*src;		/* the message, for diagnostics */
	volatile sig_atomic_t	 pending;
	int			 err;		/* errno of a failed write */
	int			 status;	/* MX_ status of that failure */
	char			*buf;		/* the message, for the writer */
	size_t			 len;
	struct bfile		*next;		/* in the writer's queue */
};

/*
 * Past the first message a thread of the batch's own creates and writes
 * the files, so that on a disk, where creating a file costs a journal
 * transaction, that cost runs beside the next message's signatures
 * rather than after them.  It takes copies of messages up to
 * BATCH_COPY_MAX bytes, at most BATCH_QUEUE_MAX bytes waiting, so memory
 * stays bounded; a larger message is written by the caller as before.
 */
#define BATCH_COPY_MAX	MSG_MEM_DEFAULT
#define BATCH_QUEUE_MAX	(8 * 1024 * 1024)

struct msg_batch {
	char			*dir;
	int			 dfd;
	mode_t			 mode;		/* of each file */
	struct bfile		**f;		/* stable: the writer keeps one */
	volatile sig_atomic_t	 n;	/* listed, as a handler sees them */
	size_t			 cap;

	int			 threaded;
	pthread_t		 thr;
	pthread_mutex_t		 mu;
	pthread_cond_t		 more, room;
	struct bfile		*head, *tail;	/* queued for the writer */
	size_t			 queued;	/* bytes in the queue */
	int			 closing;
	/*
	 * A handler that cleans up says so in dying, then waits while
	 * creating is above 0: a temporary file being made is listed
	 * (pending) before creating drops, and none is made once dying is
	 * seen, so the handler misses none.
	 */
	atomic_int		 creating, dying;
};

struct reason {
	char	*err;
	size_t	 errlen;
};

static int	batch_add(struct msg_batch *, struct msg *, const void *,
		    size_t, const char *, const char *, char *, size_t);

/* msg_batch_commit's fail() for a batch of one: keep the reason. */
static void
last_reason(void *arg, const char *why)
{
	struct reason	*r = arg;

	snprintf(r->err, r->errlen, "%s", why);
}

int
msg_write_file(struct msg *m, const char *dir, const char *name, char *err,
    size_t errlen)
{
	struct msg_batch	*b;
	struct reason		 r = { err, errlen };
	int			 rc;

	if ((b = msg_batch_new(dir, err, errlen)) == NULL)
		return MX_CANTCREAT;
	if ((rc = msg_batch_add(b, m, name, NULL, err, errlen)) == 0)
		rc = msg_batch_commit(b, last_reason, &r);
	msg_batch_free(b);
	return rc;
}

int
msg_write_bytes(const char *dir, const char *name, const void *p, size_t len,
    char *err, size_t errlen)
{
	struct msg_batch	*b;
	struct reason		 r = { err, errlen };
	int			 rc;

	if ((b = msg_batch_new(dir, err, errlen)) == NULL)
		return MX_CANTCREAT;
	if ((rc = batch_add(b, NULL, p, len, name, NULL, err, errlen)) == 0)
		rc = msg_batch_commit(b, last_reason, &r);
	msg_batch_free(b);
	return rc;
}

struct msg_batch *
msg_batch_new(const char *dir, char *err, size_t errlen)
{
	struct msg_batch	*b;
	mode_t			 mask;

	if ((b = calloc(1, sizeof *b)) == NULL ||
	    (b->dir = strdup(dir)) == NULL) {
		snprintf(err, errlen, "out of memory");
		free(b);
		return NULL;
	}
	if ((b->dfd = open(dir, O_RDONLY | O_DIRECTORY)) < 0) {
		snprintf(err, errlen, "cannot open directory '%s': %s", dir,
		    strerror(errno));
		free(b->dir);
		free(b);
		return NULL;
	}
	/* The mode a file created the usual way would get, not mkstemp's. */
	mask = umask(077);
	umask(mask);
	b->mode = 0666 & ~mask;
	return b;
}

/* dir/PREnameSUF in a new string, or NULL (errno set). */
static char *
path_of(const char *dir, const char *pre, const char *name, const char *suf)
{
	char	*s;
	size_t	 n = strlen(dir) + strlen(pre) + strlen(name) + strlen(suf) + 2;

	if (n > PATH_MAX) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	if ((s = malloc(n)) == NULL)
		return NULL;
	snprintf(s, n, "%s/%s%s%s", dir, pre, name, suf);
	return s;
}

static void
batch_reason(const struct bfile *f, int e, char *err, size_t errlen)
{
	char	path[CLI_SHOWN_NAME];

	cli_show(f->path, strlen(f->path), CLI_SHOW_NAME, path, sizeof path);
	if (f->src != NULL)
		snprintf(err, errlen, "cannot write '%s' to '%s': %s", f->src,
		    path, strerror(e));
	else
		snprintf(err, errlen, "cannot write '%s': %s", path,
		    strerror(e));
}

/*
 * Make f's temporary file and list it, as a handler calling
 * msg_batch_unlink() must see it.  The caller's thread holds the signals
 * such a handler runs on; the writer has them blocked for good.
 */
static int
tmp_create(struct msg_batch *b, struct bfile *f)
{
	int	fd, e;

	atomic_fetch_add(&b->creating, 1);
	if (atomic_load(&b->dying)) {
		atomic_fetch_sub(&b->creating, 1);
		errno = EINTR;
		return -1;
	}
	if ((fd = mkstemp(f->tmp)) >= 0)
		f->pending = 1;
	e = errno;
	atomic_fetch_sub(&b->creating, 1);
	errno = e;
	return fd;
}

/* Create, write and close f's temporary file; a failure goes in f. */
static void
file_write(struct msg_batch *b, struct bfile *f, struct msg *m, int held)
{
	sigset_t	old;
	size_t		off = 0;
	ssize_t		r;
	int		fd;

	if (held)
		cli_hold_signals(1, &old);
	fd = tmp_create(b, f);
	f->err = errno;
	if (held)
		cli_hold_signals(0, &old);
	if (fd < 0) {
		f->status = MX_CANTCREAT;
		return;
	}
	(void)fchmod(fd, b->mode);
	if (m != NULL) {
		if (write_msg(m, fd) < 0)
			goto bad;
	} else
		while (off < f->len) {
			if ((r = write(fd, f->buf + off, f->len - off)) < 0) {
				if (errno == EINTR)
					continue;
				goto bad;
			}
			off += r;
		}
#ifdef SYNC_FILE_RANGE_WRITE
	/* Writeback starts now, behind the next message; commit waits. */
	(void)sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
	if (close(fd) < 0) {
		fd = -1;
		goto bad;
	}
	return;
bad:
	f->err = errno;
	f->status = MX_IOERR;
	if (fd >= 0)
		close(fd);
	unlink(f->tmp);
	f->pending = 0;
}

static void *
writer(void *arg)
{
	struct msg_batch	*b = arg;
	struct bfile		*f;

	for (;;) {
		pthread_mutex_lock(&b->mu);
		while (b->head == NULL && !b->closing)
			pthread_cond_wait(&b->more, &b->mu);
		if ((f = b->head) == NULL) {
			pthread_mutex_unlock(&b->mu);
			return NULL;
		}
		if ((b->head = f->next) == NULL)
			b->tail = NULL;
		pthread_mutex_unlock(&b->mu);

		file_write(b, f, NULL, 0);

		pthread_mutex_lock(&b->mu);
		b->queued -= f->len;
		free(f->buf);
		f->buf = NULL;
		pthread_cond_signal(&b->room);
		pthread_mutex_unlock(&b->mu);
	}
}

/* Start the writer, every signal blocked in it.  0, or -1: write here. */
static int
writer_start(struct msg_batch *b)
{
	sigset_t	all, old;
	int		rc;

	if (pthread_mutex_init(&b->mu, NULL) != 0)
		return -1;
	if (pthread_cond_init(&b->more, NULL) != 0) {
		pthread_mutex_destroy(&b->mu);
		return -1;
	}
	if (pthread_cond_init(&b->room, NULL) != 0) {
		pthread_cond_destroy(&b->more);
		pthread_mutex_destroy(&b->mu);
		return -1;
	}
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	rc = pthread_create(&b->thr, NULL, writer, b);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		pthread_cond_destroy(&b->room);
		pthread_cond_destroy(&b->more);
		pthread_mutex_destroy(&b->mu);
		return -1;
	}
	b->threaded = 1;
	return 0;
}

/* Let the writer finish the queue, and end it. */
static void
writer_stop(struct msg_batch *b)
{
	if (!b->threaded)
		return;
	pthread_mutex_lock(&b->mu);
	b->closing = 1;
	pthread_cond_signal(&b->more);
	pthread_mutex_unlock(&b->mu);
	pthread_join(b->thr, NULL);
	pthread_cond_destroy(&b->room);
	pthread_cond_destroy(&b->more);
	pthread_mutex_destroy(&b->mu);
	b->threaded = 0;
}

/* The message as its file will hold it, in one new buffer, or NULL. */
static char *
msg_copy(struct msg *m, size_t *len)
{
	char	*buf, *p;
	ssize_t	 r;
	size_t	 n = msg_size(m), left;

	if ((buf = malloc(n > 0 ? n : 1)) == NULL)
		return NULL;
	p = buf;
	memcpy(p, m->h, m->fromlen);
	p += m->fromlen;
	for (size_t i = 0; i < m->npre; i++) {
		memcpy(p, m->f[m->nf - 1 - i].own, m->f[m->nf - 1 - i].len);
		p += m->f[m->nf - 1 - i].len;
	}
	memcpy(p, m->h + m->fromlen, m->hlen - m->fromlen);
	p += m->hlen - m->fromlen;
	msg_body_rewind(m);
	left = n - (p - buf);
	while (left > 0 && (r = msg_body_read(m, p, left)) > 0) {
		p += r;
		left -= r;
	}
	if (left != 0) {
		free(buf);
		return NULL;
	}
	*len = n;
	return buf;
}

/*
 * msg_batch_add() of the message m, or of the bytes p, len when m is NULL:
 * those are written by the caller's thread, and need not outlive the call.
 */
static int
batch_add(struct msg_batch *b, struct msg *m, const void *p, size_t len,
    const char *name, const char *src, char *err, size_t errlen)
{
	struct bfile	*f, **g;
	sigset_t	 old;
	char		 stem[NAME_MAX + 1];
	size_t		 n;
	int		 e;

	/* ".NAME.XXXXXX" must be a name too: a long NAME is cut in it. */
	if ((n = strlen(name)) > NAME_MAX - 8)
		n = NAME_MAX - 8;
	memcpy(stem, name, n);
	stem[n] = '\0';
	if ((f = calloc(1, sizeof *f)) == NULL ||
	    (src != NULL && (f->src = strdup(src)) == NULL) ||
	    (f->path = path_of(b->dir, "", name, "")) == NULL ||
	    (f->tmp = path_of(b->dir, ".", stem, ".XXXXXX")) == NULL)
		goto fail;
	if ((size_t)b->n == b->cap) {
		size_t	cap = b->cap ? b->cap * 2 : 16;

		/* Held: a handler may be walking the list. */
		cli_hold_signals(1, &old);
		g = reallocarray(b->f, cap, sizeof *g);
		if (g != NULL) {
			b->f = g;
			b->cap = cap;
		}
		cli_hold_signals(0, &old);
		if (g == NULL)
			goto fail;
	}
	cli_hold_signals(1, &old);
	b->f[b->n] = f;
	b->n++;
	cli_hold_signals(0, &old);

	if (b->n > 1 && !b->threaded && !atomic_load(&b->dying))
		(void)writer_start(b);
	if (m != NULL && b->threaded && msg_size(m) <= BATCH_COPY_MAX &&
	    (f->buf = msg_copy(m, &f->len)) != NULL) {
		pthread_mutex_lock(&b->mu);
		while (b->queued > 0 && b->queued + f->len > BATCH_QUEUE_MAX)
			pthread_cond_wait(&b->room, &b->mu);
		if (b->tail != NULL)
			b->tail->next = f;
		else
			b->head = f;
		b->tail = f;
		b->queued += f->len;
		pthread_cond_signal(&b->more);
		pthread_mutex_unlock(&b->mu);
		return 0;
	}
	if (m == NULL) {
		f->buf = (char *)p;
		f->len = len;
	}
	file_write(b, f, m, 1);
	if (m == NULL) {
		f->buf = NULL;
		f->len = 0;
	}
	if (f->status != 0) {
		batch_reason(f, f->err, err, errlen);
		e = f->status;
		f->status = 0;		/* said here, not again at commit */
		return e;
	}
	return 0;
fail:
	e = errno;
	snprintf(err, errlen, "cannot write %s%s%s'%s/%s': %s",
	    src ? "'" : "", src ? src : "", src ? "' to " : "", b->dir, name,
	    strerror(e));
	if (f != NULL) {
		free(f->path);
		free(f->tmp);
		free(f->src);
		free(f);
	}
	return MX_CANTCREAT;
}

int
msg_batch_add(struct msg_batch *b, struct msg *m, const char *name,
    const char *src, char *err, size_t errlen)
{
	return batch_add(b, m, NULL, 0, name, src, err, errlen);
}

/* Whether a file's data is on disk: fsync through a descriptor of its own. */
static int
sync_path(const char *path)
{
	int	fd, rc, e;

	if ((fd = open(path, O_RDONLY)) < 0)
		return -1;
	rc = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

int
msg_batch_commit(struct msg_batch *b, void (*fail)(void *, const char *),
    void *arg)
{
	char	 err[PATH_MAX * 2 + 128];
	size_t	 i, live = 0, named = 0;
	int	 worst = 0, synced = 0;

	/* What the writer has taken is written, or failed, first. */
	writer_stop(b);
	for (i = 0; i < (size_t)b->n; i++) {
		struct bfile	*f = b->f[i];

		if (f->status != 0) {
			batch_reason(f, f->err, err, sizeof err);
			fail(arg, err);
			if (f->status > worst)
				worst = f->status;
			f->status = 0;
		}
		live += f->pending != 0;
	}
	if (live == 0)
		return worst;
	/*
	 * One flush for the lot.  syncfs(2) reports a writeback error
	 * since the directory was opened (Linux 5.8); on any failure the
	 * per-file fsync below finds the files it hit.
	 */
#ifdef __linux__
	if (live > 1 && syncfs(b->dfd) == 0)
		synced = 1;
#endif
	for (i = 0; i < (size_t)b->n; i++) {
		struct bfile	*f = b->f[i];

		if (!f->pending)
			continue;
		if (!synced && sync_path(f->tmp) < 0) {
			batch_reason(f, errno, err, sizeof err);
			unlink(f->tmp);
			f->pending = 0;
			fail(arg, err);
			worst = MX_IOERR;
			continue;
		}
		/* Only now: the data is durable before the name is. */
		if (rename(f->tmp, f->path) < 0) {
			batch_reason(f, errno, err, sizeof err);
			unlink(f->tmp);
			f->pending = 0;
			fail(arg, err);
			if (worst == 0)
				worst = MX_CANTCREAT;
			continue;
		}
		f->pending = 0;
		named++;
	}
	if (named > 0 && fsync(b->dfd) < 0) {
		snprintf(err, sizeof err, "cannot sync directory '%s': %s",
		    b->dir, strerror(errno));
		fail(arg, err);
		worst = MX_IOERR;
	}
	return worst;
}

void
msg_batch_unlink(struct msg_batch *b)
{
	int	i;

	if (b == NULL)
		return;
	atomic_store(&b->dying, 1);
	/* The writer is inside mkstemp(): a system call's while. */
	while (atomic_load(&b->creating) > 0)
		;
	for (i = 0; i < b->n; i++)
		if (b->f[i]->pending)
			unlink(b->f[i]->tmp);
}

/* The batch msg_batch_guard() watches over, for a handler or exit(). */
static struct msg_batch *volatile	guarded;

static void
guard_signal(int sig)
{
	msg_batch_unlink(guarded);
	/* SA_RESETHAND made the action the default again. */
	raise(sig);
}

/* A cli_die() half way leaves no temporary file either. */
static void
guard_exit(void)
{
	msg_batch_unlink(guarded);
}

void
msg_batch_guard(struct msg_batch *b)
{
	static int	installed;

	guarded = b;
	if (installed++)
		return;
	cli_catch_signals(guard_signal);
	atexit(guard_exit);
}

void
msg_batch_free(struct msg_batch *b)
{
	sigset_t	old;
	int		i;

	if (b == NULL)
		return;
	atomic_store(&b->dying, 1);
	writer_stop(b);
	cli_hold_signals(1, &old);
	msg_batch_unlink(b);
	if (guarded == b)
		guarded = NULL;
	for (i = 0; i < b->n; i++) {
		free(b->f[i]->tmp);
		free(b->f[i]->path);
		free(b->f[i]->src);
		free(b->f[i]->buf);
		free(b->f[i]);
	}
	b->n = 0;
	cli_hold_signals(0, &old);
	free(b->f);
	close(b->dfd);
	free(b->dir);
	free(b);
}
