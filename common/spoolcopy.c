/*
 * spoolcopy: Exim spool messages copied out and back, -D before -H, each
 * file durable before its name is (spoolcopy.h says the order).
 */
#include "config.h"

#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <sys/types.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "spool.h"
#include "spoolcopy.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE	(1 << 0)
#endif

#define COPY_BUF	(128 * 1024)	/* the read/write fallback's buffer */
#define HELD_MAX	(8 * 1024 * 1024)	/* -H bytes a batch holds */
#define FD_SPARE	32		/* descriptors left to the caller */
#define WRITEBACK_MIN	(1024 * 1024)	/* a -D written back at once */
#define NDIRS		63		/* 62 split subdirectories, then the
					   directory itself */
#define ROOT		62
/* ".ID-D.XXXXXX" and a NUL. */
#define TMP_NAME	(1 + SPOOL_ID_MAX + 2 + 1 + 6 + 1)

struct slot {
	struct spoolcopy_result	 r;
	size_t			 idlen;
	int			 sdir;		/* the source's directory */
	int			 tdir;		/* the target's */
	int			 tdirfd;	/* for spoolcopy_unlink */
	int			 dfd;		/* source -D, locked */
	int			 tdfd, thfd;	/* the temporary files */
	int			 tlfd;		/* the target -D replaced,
						   locked */
	char			 dtmp[TMP_NAME], htmp[TMP_NAME];
	volatile sig_atomic_t	 dpend, hpend;
	int			 linked;
	int			 dexists;	/* a target -D was there */
	int			 hexists;	/* a target -H to replace */
	int			 done;		/* the target has it whole */
	char			*hbuf;
	size_t			 hlen;
	struct stat		 dst;		/* the source -D's */
	struct stat		 hst;		/* the source -H's */
	struct spool_h		 h;
	int			 parsed;
	int			 nofd;		/* failed for EMFILE/ENFILE */
};

struct spoolcopy {
	struct spoolcopy_opts	 o;
	spoolcopy_fn		 fn;
	void			*arg;
	char			*src, *dst;
	/* Directory descriptors, -1 until opened: [0, 62) split, ROOT. */
	int			 sfd[NDIRS], tfd[NDIRS];
	int			 tdirty[NDIRS], sdirty[NDIRS];
	/*
	 * Split subdirectories found missing, looked for again only in the
	 * next batch: a flat spool has none, and an open of each for every
	 * message is the cost of one.
	 */
	int			 smiss[NDIRS], tmiss[NDIRS];
	struct stat		 dst_st;
	uid_t			 euid;
	gid_t			 egid;
	uint64_t		 rnd;
	char			*buf;		/* COPY_BUF, when needed */
	/*
	 * The temporary names of ours each target directory held when
	 * first used, sorted: what killed runs left (stale_drop).
	 */
	char			(*stale[NDIRS])[TMP_NAME];
	size_t			 nstale[NDIRS];
	int			 scanned[NDIRS];
	struct slot		 s[SPOOLCOPY_BATCH];
	volatile sig_atomic_t	 n;
	int			 batch;		/* messages a batch holds */
	size_t			 held;		/* bytes of -H they hold */
};

static const char b62[] =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/*
 * Open the directory name in dir, never through a symbolic link: one is
 * ELOOP (O_DIRECTORY says ENOTDIR for it).  The descriptor, or -1.
 */
static int
open_dir(int dir, const char *name)
{
	struct stat	st;
	int		fd;

	fd = openat(dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd < 0 && errno == ENOTDIR &&
	    fstatat(dir, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode))
		errno = ELOOP;
	return fd;
}

/* The split subdirectory's index of a valid id's character. */
static int
b62_index(int c)
{
	const char	*p;

	if (c == '\0' || (p = strchr(b62, c)) == NULL)
		return ROOT;
	return p - b62;
}

/* The directory index's name under the top directory, "" for ROOT. */
static void
dir_name(int i, char *buf)
{
	if (i == ROOT)
		buf[0] = '\0';
	else {
		buf[0] = b62[i];
		buf[1] = '\0';
	}
}

/* "dir/X/name" or "dir/name" for a diagnostic. */
static const char *
path_show(const char *top, int i, const char *name, char *buf, size_t len)
{
	char	raw[PATH_MAX + 64];

	if (i == ROOT)
		snprintf(raw, sizeof raw, "%s/%s", top, name);
	else
		snprintf(raw, sizeof raw, "%s/%c/%s", top, b62[i], name);
	return cli_show(raw, strlen(raw), CLI_SHOW_NAME, buf, len);
}

static void
fail(struct slot *s, const char *result, int status, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void
fail(struct slot *s, const char *result, int status, const char *fmt, ...)
{
	va_list	ap;

	/* Out of descriptors: spoolcopy_add commits and tries once more. */
	s->nofd = errno == EMFILE || errno == ENFILE;
	s->r.result = result;
	s->r.status = status;
	va_start(ap, fmt);
	vsnprintf(s->r.err, sizeof s->r.err, fmt, ap);
	va_end(ap);
}

/*
 * Six base62 characters and a NUL at buf, the suffix of a temporary name.
 * xorshift: only to tell names apart, O_EXCL (or mkdir) makes them safe.
 */
static void
tmp_suffix(struct spoolcopy *sc, char *buf)
{
	uint64_t	x;
	int		i;

	x = sc->rnd;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	sc->rnd = x;
	for (i = 0; i < 6; i++, x /= 62)
		buf[i] = b62[x % 62];
	buf[6] = '\0';
}

static void
tmp_name(struct spoolcopy *sc, char *buf, const char *id, char kind)
{
	int	n;

	n = snprintf(buf, TMP_NAME, ".%s-%c.", id, kind);
	tmp_suffix(sc, buf + n);
}

/*
 * Make a temporary file in the target directory, or hard-link srcname
 * (in the directory srcdir, a symbolic link followed: /proc/self/fd/N)
 * there, under a new hidden name marked pending so that spoolcopy_unlink
 * sees it: the signals it runs on are held meanwhile.  The descriptor, 0
 * for a link, or -1 with errno.
 */
static int
tmp_make(struct spoolcopy *sc, struct slot *s, char kind, int srcdir,
    const char *srcname)
{
	volatile sig_atomic_t	*pend = kind == 'D' ? &s->dpend : &s->hpend;
	char			*name = kind == 'D' ? s->dtmp : s->htmp;
	sigset_t		 old;
	int			 fd, e, tries;

	for (tries = 0; tries < 100; tries++) {
		tmp_name(sc, name, s->r.id, kind);
		cli_hold_signals(1, &old);
		if (srcname != NULL)
			fd = linkat(srcdir, srcname, s->tdirfd, name,
			    AT_SYMLINK_FOLLOW);
		else
			fd = openat(s->tdirfd, name, O_WRONLY | O_CREAT |
			    O_EXCL | O_CLOEXEC, 0600);
		e = errno;
		if (fd >= 0)
			*pend = 1;
		cli_hold_signals(0, &old);
		if (fd >= 0 || e != EEXIST) {
			errno = e;
			return fd;
		}
	}
	errno = EEXIST;
	return -1;
}

/*
 * Whether name is a temporary name of ours: ".ID-D.XXXXXX" or
 * ".ID-H.XXXXXX", a valid id and the 6 characters tmp_name makes.
 */
static int
tmp_ours(const char *name)
{
	size_t	n = strlen(name), idlen;
	int	i;

	if (n < 10 || n >= TMP_NAME || name[0] != '.')
		return 0;
	idlen = n - 10;
	if (spool_id_len(name + 1, idlen) != idlen ||
	    name[1 + idlen] != '-' || (name[2 + idlen] != 'D' &&
	    name[2 + idlen] != 'H') || name[3 + idlen] != '.')
		return 0;
	for (i = 4; i < 10; i++)
		if (name[idlen + i] == '\0' ||
		    strchr(b62, name[idlen + i]) == NULL)
			return 0;
	return 1;
}

static int
stale_cmp(const void *a, const void *b)
{
	return strcmp(a, b);
}

/*
 * Note the temporary names of ours in the target directory i, once, the
 * first time a message goes there: before this process made any.  Names
 * only, so the memory is that of what killed runs left.  A directory that
 * cannot be read is left as it is: the copy does not depend on it.
 */
static void
stale_scan(struct spoolcopy *sc, int i)
{
	struct dirent	*de;
	DIR		*d;
	char		(*p)[TMP_NAME];
	size_t		 cap = 0;
	int		 fd;

	sc->scanned[i] = 1;
	if ((fd = openat(sc->tfd[i], ".", O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (!tmp_ours(de->d_name))
			continue;
		if (sc->nstale[i] == cap) {
			cap = cap ? cap * 2 : 16;
			if ((p = reallocarray(sc->stale[i], cap,
			    sizeof *p)) == NULL)
				break;
			sc->stale[i] = p;
		}
		/* tmp_ours: shorter than TMP_NAME. */
		memcpy(sc->stale[i][sc->nstale[i]++], de->d_name,
		    strlen(de->d_name) + 1);
	}
	closedir(d);
	if (sc->nstale[i] > 1)
		qsort(sc->stale[i], sc->nstale[i], TMP_NAME, stale_cmp);
}

/*
 * Remove the temporary files of the slot's id that a killed run left in
 * its target directory: none can be a live run's, the source lock keeps
 * any other copy of this message out until this one is done
 * (spoolcopy.h).  Best effort: what is not removed is removed next time.
 */
static void
stale_drop(struct spoolcopy *sc, struct slot *s)
{
	char	 key[SPOOL_ID_MAX + 3];
	size_t	 lo = 0, hi, klen;
	int	 i = s->tdir;

	if (!sc->scanned[i])
		stale_scan(sc, i);
	/* The first name that sorts at or after ".ID-". */
	klen = snprintf(key, sizeof key, ".%s-", s->r.id);
	hi = sc->nstale[i];
	while (lo < hi) {
		size_t	mid = lo + (hi - lo) / 2;

		if (strcmp(sc->stale[i][mid], key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < sc->nstale[i] &&
	    strncmp(sc->stale[i][lo], key, klen) == 0; lo++)
		if (strlen(sc->stale[i][lo]) == klen + 8)
			(void)unlinkat(s->tdirfd, sc->stale[i][lo], 0);
}

/* Drop the slot's temporary files, as they stand. */
static void
tmp_drop(struct slot *s)
{
	if (s->tdfd >= 0)
		close(s->tdfd);
	if (s->thfd >= 0)
		close(s->thfd);
	s->tdfd = s->thfd = -1;
	if (s->dpend)
		unlinkat(s->tdirfd, s->dtmp, 0);
	if (s->hpend)
		unlinkat(s->tdirfd, s->htmp, 0);
	s->dpend = s->hpend = 0;
}

/*
 * Whether the directory st is the top directory fd or one of its split
 * subdirectories.
 */
static int
dir_nested(int fd, const struct stat *st)
{
	struct stat	x;
	char		name[2];
	int		i;

	for (i = 0; i < NDIRS; i++) {
		dir_name(i, name);
		if ((i == ROOT ? fstat(fd, &x) : fstatat(fd, name, &x,
		    AT_SYMLINK_NOFOLLOW)) == 0 && x.st_dev == st->st_dev &&
		    x.st_ino == st->st_ino)
			return 1;
	}
	return 0;
}

/*
 * A split subdirectory just opened on fd, on one side: whether it is one
 * of the directories open on the other side, fds (a bind mount, or a
 * rename since spoolcopy_new checked the two tops).  Every pair of
 * directories a message is copied between is met here once, when the
 * later of the two is opened.  1 the same (errno EEXIST), 0 not, -1 with
 * errno.
 */
static int
dir_clash(int fd, const int *fds)
{
	struct stat	st, x;
	int		i;

	if (fstat(fd, &st) < 0)
		return -1;
	for (i = 0; i < NDIRS; i++)
		if (fds[i] >= 0 && fstat(fds[i], &x) == 0 &&
		    x.st_dev == st.st_dev && x.st_ino == st.st_ino) {
			errno = EEXIST;
			return 1;
		}
	return 0;
}

struct spoolcopy *
spoolcopy_new(const char *src, const char *dst,
    const struct spoolcopy_opts *o, spoolcopy_fn fn, void *arg, char *err,
    size_t errlen)
{
	struct spoolcopy	*sc;
	struct stat		 st;
	struct rlimit		 rl;
	char			 show[CLI_SHOWN_NAME];
	int			 i;

	if ((sc = calloc(1, sizeof *sc)) == NULL) {
		cli_errf(err, errlen, "out of memory");
		return NULL;
	}
	sc->o = *o;
	if (sc->o.mode == 0)
		sc->o.mode = 0640;
	sc->fn = fn;
	sc->arg = arg;
	for (i = 0; i < NDIRS; i++)
		sc->sfd[i] = sc->tfd[i] = -1;
	/*
	 * A pending message holds up to three descriptors (four replacing):
	 * a batch never needs more than the process may open.
	 */
	sc->batch = SPOOLCOPY_BATCH;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 &&
	    rl.rlim_cur != RLIM_INFINITY) {
		rlim_t	per = o->replace ? 4 : 3, b;

		b = rl.rlim_cur > FD_SPARE + per ? (rl.rlim_cur - FD_SPARE) /
		    per : 1;
		if (b < (rlim_t)sc->batch)
			sc->batch = b;
	}
	sc->euid = geteuid();
	sc->egid = getegid();
	if (getrandom(&sc->rnd, sizeof sc->rnd, GRND_NONBLOCK) !=
	    sizeof sc->rnd)
		sc->rnd = (uint64_t)time(NULL) << 20 ^ (uint64_t)getpid();
	sc->rnd |= 1;
	if ((sc->src = strdup(src)) == NULL ||
	    (dst != NULL && (sc->dst = strdup(dst)) == NULL)) {
		cli_errf(err, errlen, "out of memory");
		goto bad;
	}
	if ((sc->sfd[ROOT] = open(src, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0) {
		cli_errf(err, errlen, "cannot open directory '%s': %s",
		    cli_show(src, strlen(src), CLI_SHOW_NAME, show,
		    sizeof show), strerror(errno));
		goto bad;
	}
	if (o->check)
		return sc;
	if (dst == NULL) {
		cli_errf(err, errlen, "no target directory");
		goto bad;
	}
	if ((sc->tfd[ROOT] = open(dst, O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0 || fstat(sc->tfd[ROOT], &sc->dst_st) < 0) {
		cli_errf(err, errlen, "cannot open directory '%s': %s",
		    cli_show(dst, strlen(dst), CLI_SHOW_NAME, show,
		    sizeof show), strerror(errno));
		goto bad;
	}
	/*
	 * The source is never written to, not even as its own target: the
	 * two top directories, or one the other's split subdirectory (a
	 * requeue from SPOOL/input/X into SPOOL/input).  dir_clash checks
	 * each split subdirectory as it is opened as well.
	 */
	if (fstat(sc->sfd[ROOT], &st) < 0) {
		cli_errf(err, errlen, "cannot open directory '%s': %s",
		    cli_show(src, strlen(src), CLI_SHOW_NAME, show,
		    sizeof show), strerror(errno));
		goto bad;
	}
	if (dir_nested(sc->sfd[ROOT], &sc->dst_st) ||
	    dir_nested(sc->tfd[ROOT], &st)) {
		cli_errf(err, errlen, "'%s' is the source directory",
		    cli_show(dst, strlen(dst), CLI_SHOW_NAME, show,
		    sizeof show));
		goto bad;
	}
	/*
	 * Auto: split when the target has one of the 62 subdirectories
	 * already (a spool Exim splits), looked for by name, never through
	 * a symbolic link, rather than read whole: a flat spool's input
	 * directory may hold many thousand files.
	 */
	if (sc->o.dst_split < 0) {
		char	name[2];
		int	fd;

		sc->o.dst_split = 0;
		for (i = 0; i < ROOT && !sc->o.dst_split; i++) {
			dir_name(i, name);
			if ((fd = open_dir(sc->tfd[ROOT], name)) >= 0) {
				sc->o.dst_split = 1;
				close(fd);
			}
		}
	}
	return sc;
bad:
	for (i = 0; i < NDIRS; i++) {
		if (sc->sfd[i] >= 0)
			close(sc->sfd[i]);
		if (sc->tfd[i] >= 0)
			close(sc->tfd[i]);
	}
	free(sc->src);
	free(sc->dst);
	free(sc);
	return NULL;
}

/*
 * The source split subdirectory i, opened when it exists; -1 with errno,
 * or -2 when it is a directory of the target's (dir_clash).
 */
static int
src_sub(struct spoolcopy *sc, int i)
{
	char	name[2];
	int	fd, rc, e;

	if (sc->sfd[i] < 0 && sc->smiss[i]) {
		errno = ENOENT;
		return -1;
	}
	if (sc->sfd[i] < 0) {
		dir_name(i, name);
		/* Never through a link the spool's owner may have made. */
		if ((fd = open_dir(sc->sfd[ROOT], name)) < 0) {
			if (errno == ENOENT)
				sc->smiss[i] = 1;
			return -1;
		}
		if ((rc = dir_clash(fd, sc->tfd)) != 0) {
			e = errno;
			close(fd);
			errno = e;
			return rc > 0 ? -2 : -1;
		}
		sc->sfd[i] = fd;
	}
	return sc->sfd[i];
}

/*
 * Make the split subdirectory name under the top target directory, whole
 * before it has its name: under a hidden temporary name (".X.XXXXXX"),
 * given the top directory's mode and owner, then renamed to name.  A kill
 * at any point leaves at worst an empty hidden directory, never a
 * subdirectory Exim cannot read.  Made meanwhile by another: ours removed,
 * theirs used.  The descriptor, or -1 with errno.
 */
static int
subdir_make(struct spoolcopy *sc, const char *name)
{
	char		 tmp[2 + 1 + 1 + 6 + 1];
	int		 fd, e, tries, top = sc->tfd[ROOT];

	for (tries = 0; tries < 100; tries++) {
		snprintf(tmp, sizeof tmp, ".%s.", name);
		tmp_suffix(sc, tmp + 3);
		if (mkdirat(top, tmp, 0700) == 0)
			break;
		if (errno != EEXIST)
			return -1;
	}
	if (tries == 100) {
		errno = EEXIST;
		return -1;
	}
	if ((fd = openat(top, tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) < 0)
		goto bad;
	if ((sc->dst_st.st_uid != sc->euid ||
	    sc->dst_st.st_gid != sc->egid) &&
	    fchown(fd, sc->dst_st.st_uid, sc->dst_st.st_gid) < 0)
		goto bad;
	/* After fchown, which may clear set-id bits; not through umask. */
	if (fchmod(fd, sc->dst_st.st_mode & 07777) < 0)
		goto bad;
	if (renameat2(top, tmp, top, name, RENAME_NOREPLACE) < 0 &&
	    ((errno != EINVAL && errno != ENOSYS) ||
	    renameat(top, tmp, top, name) < 0)) {
		if (errno != EEXIST && errno != ENOTEMPTY)
			goto bad;
		/* Another made it first: theirs, as it is. */
		e = errno;
		close(fd);
		(void)unlinkat(top, tmp, AT_REMOVEDIR);
		errno = e;
		return -2;
	}
	/* Its name in the top directory must be durable too. */
	sc->tdirty[ROOT] = 1;
	return fd;
bad:
	e = errno;
	if (fd >= 0)
		close(fd);
	(void)unlinkat(top, tmp, AT_REMOVEDIR);
	errno = e;
	return -1;
}

/*
 * A split subdirectory that is there already: as root, given the top
 * directory's owner and mode where it has others (a run killed before
 * the subdirectories were made whole left them root's; Exim, which runs
 * as its own user, could neither see nor remove the messages there).
 * 0 or -1 with errno.
 */
static int
subdir_fix(struct spoolcopy *sc, int fd)
{
	struct stat	st;

	if (sc->euid != 0)
		return 0;
	if (fstat(fd, &st) < 0)
		return -1;
	if ((st.st_uid != sc->dst_st.st_uid ||
	    st.st_gid != sc->dst_st.st_gid) &&
	    fchown(fd, sc->dst_st.st_uid, sc->dst_st.st_gid) < 0)
		return -1;
	if ((st.st_mode & 07777) != (sc->dst_st.st_mode & 07777) &&
	    fchmod(fd, sc->dst_st.st_mode & 07777) < 0)
		return -1;
	return 0;
}

/*
 * The target directory for the message: a split one made whole
 * (subdir_make) when it is not there yet, put right (subdir_fix) when it
 * is.  Never through a symbolic link.  0 or -1 with errno.
 */
static int
dst_dir(struct spoolcopy *sc, struct slot *s)
{
	char	name[2];
	int	i = ROOT, fd, tries, rc;

	if (sc->o.dst_split)
		i = b62_index(SPOOL_ID_SUBDIR(s->r.id));
	s->tdir = i;
	for (tries = 0; sc->tfd[i] < 0 && tries < 3; tries++) {
		dir_name(i, name);
		fd = open_dir(sc->tfd[ROOT], name);
		if (fd >= 0) {
			if ((rc = dir_clash(fd, sc->sfd)) != 0 ||
			    subdir_fix(sc, fd) < 0) {
				close(fd);
				return rc > 0 ? -2 : -1;
			}
		} else if (errno == ENOENT) {
			if ((fd = subdir_make(sc, name)) == -1)
				return -1;
			if (fd == -2)
				continue;
		} else
			return -1;
		sc->tfd[i] = fd;
	}
	if (sc->tfd[i] < 0) {
		errno = EEXIST;
		return -1;
	}
	s->tdirfd = sc->tfd[i];
	return 0;
}

/*
 * Open name in the directory fd for src_open.  Exim's lock is F_WRLCK,
 * which needs the file open for writing; nothing is written.  Where that
 * is not allowed (a reader of the spool that is not Exim) a read lock
 * keeps a delivery out just as well.  Without the lock, read-only.
 */
static int
open_d(int dir, const char *name, int lock, int *flags)
{
	int	fd;

	*flags = lock ? O_RDWR : O_RDONLY;
	fd = openat(dir, name, *flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 && lock && (errno == EACCES || errno == EROFS)) {
		*flags = O_RDONLY;
		fd = openat(dir, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
		    O_NONBLOCK);
	}
	return fd;
}

/*
 * Lock the -D open on fd (flags as open_d gave) as Exim does, without
 * waiting: F_WRLCK on its first idlen + 3 bytes, F_RDLCK where it could
 * only be opened for reading.  0 locked, 1 held by another (a delivery),
 * -1 with errno.
 */
static int
lock_d(int fd, int flags, size_t idlen)
{
	struct flock	fl;

	memset(&fl, 0, sizeof fl);
	fl.l_type = flags == O_RDWR ? F_WRLCK : F_RDLCK;
	fl.l_whence = SEEK_SET;
	fl.l_start = 0;
	fl.l_len = SPOOL_D_LOCKLEN(idlen);
	if (fcntl(fd, F_SETLK, &fl) == 0)
		return 0;
	return errno == EAGAIN || errno == EACCES ? 1 : -1;
}

/*
 * Whether the directory open on fd was removed: its messages are not
 * missing but out of reach (a fault, not the message's own).
 */
static int
dir_gone(int fd)
{
	struct stat	st;

	return fd >= 0 && fstat(fd, &st) == 0 && st.st_nlink == 0;
}

/*
 * Open the source -D in its split subdirectory, else flat, and lock it as
 * Exim does.  0, or the slot failed.
 */
static int
src_open(struct spoolcopy *sc, struct slot *s)
{
	char		 dname[SPOOL_ID_MAX + 3], hname[SPOOL_ID_MAX + 3];
	char		 show[CLI_SHOWN_NAME];
	struct stat	 st;
	int		 i, sub, fd = -1, flags, e;

	snprintf(dname, sizeof dname, "%s-D", s->r.id);
	snprintf(hname, sizeof hname, "%s-H", s->r.id);
	i = b62_index(SPOOL_ID_SUBDIR(s->r.id));
	s->sdir = ROOT;
	/* In the split subdirectory when either file is there. */
	if ((sub = src_sub(sc, i)) == -2) {
		path_show(sc->src, i, ".", show, sizeof show);
		fail(s, "failed", MX_TEMPFAIL, "source and target are the "
		    "same directory '%s'", show);
		return -1;
	}
	if (sub < 0 && errno != ENOENT && errno != ENOTDIR) {
		e = errno;
		path_show(sc->src, i, ".", show, sizeof show);
		fail(s, "failed", MX_TEMPFAIL, "cannot open directory '%s': %s",
		    show, e == ELOOP ? "a symbolic link" : strerror(e));
		return -1;
	}
	if (sub >= 0 && sub != sc->sfd[ROOT]) {
		fd = open_d(sub, dname, sc->o.lock, &flags);
		e = errno;
		if (fd >= 0 || e != ENOENT ||
		    fstatat(sub, hname, &st, AT_SYMLINK_NOFOLLOW) == 0)
			s->sdir = i;
		errno = e;
	}
	if (fd < 0 && s->sdir == ROOT)
		fd = open_d(sc->sfd[ROOT], dname, sc->o.lock, &flags);
	if (fd < 0) {
		e = errno;
		path_show(sc->src, s->sdir, dname, show, sizeof show);
		if (e == ENOENT && (dir_gone(sc->sfd[s->sdir]) ||
		    dir_gone(sc->sfd[ROOT]))) {
			path_show(sc->src, s->sdir, ".", show, sizeof show);
			fail(s, "failed", MX_TEMPFAIL, "directory '%s' removed",
			    show);
		} else if (e == ENOENT) {
			if (fstatat(sc->sfd[s->sdir], hname, &st,
			    AT_SYMLINK_NOFOLLOW) == 0)
				fail(s, "missing", MX_NOINPUT,
				    "no -D file '%s'", show);
			else
				fail(s, "missing", MX_NOINPUT,
				    "no such message in '%s'", sc->src);
		} else if (e == ELOOP)
			fail(s, "corrupt", MX_DATAERR, "'%s' is a symbolic "
			    "link", show);
		else
			fail(s, "failed", MX_TEMPFAIL, "cannot open '%s': %s",
			    show, strerror(e));
		return -1;
	}
	s->dfd = fd;
	path_show(sc->src, s->sdir, dname, show, sizeof show);
	if (fstat(fd, &s->dst) < 0) {
		fail(s, "failed", MX_TEMPFAIL, "cannot read '%s': %s", show,
		    strerror(errno));
		return -1;
	}
	if (!S_ISREG(s->dst.st_mode)) {
		fail(s, "corrupt", MX_DATAERR, "'%s' is not a regular file",
		    show);
		return -1;
	}
	if (sc->o.lock && (e = lock_d(fd, flags, s->idlen)) != 0) {
		if (e > 0)
			fail(s, "locked", MX_TEMPFAIL,
			    "-D is locked: a delivery is under way");
		else
			fail(s, "failed", MX_TEMPFAIL, "cannot lock -D: %s",
			    strerror(errno));
		return -1;
	}
	/*
	 * Exim journals each address it delivers in ID-J, and writes them
	 * into -H only when the delivery ends, or at the start of the next
	 * after a crash: until then -H names recipients already delivered,
	 * and a copy would deliver to them again.  An empty -J is the one a
	 * delivery opens before its transports run (the pipe transport's
	 * case).
	 */
	snprintf(dname, sizeof dname, "%s-J", s->r.id);
	if (fstatat(sc->sfd[s->sdir], dname, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    st.st_size > 0) {
		fail(s, "locked", MX_TEMPFAIL, "-J lists deliveries -H does "
		    "not record yet: Exim has a delivery to finish");
		return -1;
	}
	return 0;
}

/* pread all of len bytes at off, or fewer at the end.  -1 with errno. */
static ssize_t
pread_all(int fd, char *buf, size_t len, off_t off)
{
	size_t	got = 0;
	ssize_t	r;

	while (got < len) {
		if ((r = pread(fd, buf + got, len - got, off + got)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		got += r;
	}
	return got;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t	r;

	while (len > 0) {
		if ((r = write(fd, buf, len)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += r;
		len -= r;
	}
	return 0;
}

/* Read and validate the -H, and the -D's first line.  0, or failed. */
static int
src_validate(struct spoolcopy *sc, struct slot *s)
{
	char		 hname[SPOOL_ID_MAX + 3], show[CLI_SHOWN_NAME];
	char		 first[SPOOL_ID_MAX + 8], why[400];
	struct stat	 st;
	ssize_t		 got;
	int		 fd, rc;

	snprintf(hname, sizeof hname, "%s-H", s->r.id);
	path_show(sc->src, s->sdir, hname, show, sizeof show);
	if ((fd = openat(sc->sfd[s->sdir], hname, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK)) < 0) {
		if (errno == ENOENT && dir_gone(sc->sfd[s->sdir])) {
			path_show(sc->src, s->sdir, ".", show, sizeof show);
			fail(s, "failed", MX_TEMPFAIL, "directory '%s' removed",
			    show);
		} else if (errno == ENOENT)
			fail(s, "missing", MX_NOINPUT, "no -H file '%s'", show);
		else if (errno == ELOOP)
			fail(s, "corrupt", MX_DATAERR, "'%s' is a symbolic "
			    "link", show);
		else
			fail(s, "failed", MX_TEMPFAIL, "cannot open '%s': %s",
			    show, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		fail(s, "failed", MX_TEMPFAIL, "cannot read '%s': %s", show,
		    strerror(errno));
		goto bad;
	}
	s->hst = st;
	if (!S_ISREG(st.st_mode)) {
		fail(s, "corrupt", MX_DATAERR, "'%s' is not a regular file",
		    show);
		goto bad;
	}
	if (st.st_size > SPOOL_H_MAX) {
		fail(s, "corrupt", MX_DATAERR, "'%s' is over %ld bytes", show,
		    SPOOL_H_MAX);
		goto bad;
	}
	/*
	 * Out of memory is this run's, not the message's: 75, which a pipe
	 * transport defers and a retry may get past (70 would bounce it).
	 */
	if ((s->hbuf = malloc(st.st_size + 1)) == NULL) {
		fail(s, "failed", MX_TEMPFAIL, "out of memory");
		goto bad;
	}
	/* One byte more: a -H that grew since fstat is not the one read. */
	if ((got = pread_all(fd, s->hbuf, st.st_size + 1, 0)) < 0) {
		fail(s, "failed", MX_TEMPFAIL, "cannot read '%s': %s", show,
		    strerror(errno));
		goto bad;
	}
	if (got != st.st_size) {
		fail(s, "failed", MX_TEMPFAIL, "'%s' changed while read",
		    show);
		goto bad;
	}
	close(fd);
	fd = -1;
	s->hlen = got;
	/* Anything but a corrupt -H (out of memory) may pass on a retry. */
	rc = spool_h_parse(&s->h, s->hbuf, got, s->r.id, why, sizeof why);
	if (rc != 0) {
		if (rc == MX_DATAERR)
			fail(s, "corrupt", rc, "-H: %s", why);
		else
			fail(s, "failed", MX_TEMPFAIL, "-H: %s", why);
		return -1;
	}
	s->parsed = 1;
	s->r.h = &s->h;
	if ((got = pread_all(s->dfd, first, SPOOL_D_LOCKLEN(s->idlen), 0)) <
	    0) {
		fail(s, "failed", MX_TEMPFAIL, "cannot read -D: %s",
		    strerror(errno));
		return -1;
	}
	if ((rc = spool_d_check(first, got, s->r.id, why, sizeof why)) != 0) {
		if (rc == MX_DATAERR)
			fail(s, "corrupt", rc, "-D: %s", why);
		else
			fail(s, "failed", MX_TEMPFAIL, "-D: %s", why);
		return -1;
	}
	return 0;
bad:
	if (fd >= 0)
		close(fd);
	return -1;
}

/*
 * The owner wanted for a file copied from st, in uid and gid; 0 when
 * fchown must make it so, 1 when the file keeps the process's.
 */
static int
owner_wanted(struct spoolcopy *sc, const struct stat *st, uid_t *uid,
    gid_t *gid)
{
	if (sc->o.owner_set) {
		*uid = sc->o.uid;
		*gid = sc->o.gid;
	} else if (sc->o.owner_from_dir) {
		*uid = sc->dst_st.st_uid;
		*gid = sc->dst_st.st_gid;
	} else {
		*uid = st->st_uid;
		*gid = st->st_gid;
	}
	if (*uid == sc->euid && *gid == sc->egid)
		return 1;
	/* Only root can give a file away; asked for, it is an error. */
	if (!sc->o.owner_set && sc->euid != 0)
		return 1;
	return 0;
}

/* Mode and owner of a temporary file.  0 or -1 with errno. */
static int
tmp_own(struct spoolcopy *sc, int fd, const struct stat *st)
{
	uid_t	uid;
	gid_t	gid;

	if (owner_wanted(sc, st, &uid, &gid) == 0 && fchown(fd, uid, gid) < 0)
		return -1;
	/* After fchown, which may clear set-id bits. */
	return fchmod(fd, sc->o.mode);
}

/*
 * Copy the source -D, size bytes as fstat saw them, into fd: the lock
 * keeps it from changing, and without the lock Exim appends nothing to a
 * -D once its -H exists.  0 copied; 1 the source ended before size or
 * goes on after it (a short copy: a message changing under us, never
 * taken as done); -1 with errno.
 */
static int
copy_data(struct spoolcopy *sc, int from, int to, off_t size)
{
	off_t	off = 0;
	ssize_t	r;
	char	c;

#ifdef __linux__
	(void)posix_fadvise(from, 0, 0, POSIX_FADV_SEQUENTIAL);
	while (off < size) {
		r = copy_file_range(from, &off, to, NULL, size - off, 0);
		if (r > 0)
			continue;
		/*
		 * 0 at the start is what some filesystems say for "not
		 * here" (procfs, some FUSE): the read loop below finds out.
		 */
		if (r == 0) {
			if (off == 0)
				break;
			return 1;
		}
		if (errno == EINTR)
			continue;
		/* Not across these filesystems, or not on this kernel. */
		if (off == 0 && (errno == EXDEV || errno == EINVAL ||
		    errno == ENOSYS || errno == EOPNOTSUPP ||
		    errno == EBADF))
			break;
		return -1;
	}
#endif
	if (off < size && sc->buf == NULL &&
	    (sc->buf = malloc(COPY_BUF)) == NULL)
		return -1;
	while (off < size) {
		if ((r = pread(from, sc->buf, size - off < COPY_BUF ?
		    (size_t)(size - off) : COPY_BUF, off)) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return 1;
		if (write_all(to, sc->buf, r) < 0)
			return -1;
		off += r;
	}
	/* Grown since fstat: not the file locked and validated. */
	while ((r = pread(from, &c, 1, size)) < 0)
		if (errno != EINTR)
			return -1;
	return r == 0 ? 0 : 1;
}

/*
 * Whether the file open on fd holds what the source does: the bytes of
 * the source -H validated (buf, len), or, buf NULL, of the source -D open
 * on from, len bytes.  Sizes first, then the bytes through the copy
 * buffer, in halves.  1 the same, 2 the one inode (buf NULL), 0 not, -1
 * with errno.
 */
static int
same_bytes(struct spoolcopy *sc, int fd, const char *buf, int from,
    off_t len)
{
	struct stat	 st;
	off_t		 off;
	ssize_t		 a, b;
	size_t		 half = COPY_BUF / 2, want;

	if (fstat(fd, &st) < 0)
		return -1;
	if (!S_ISREG(st.st_mode) || st.st_size != len)
		return 0;
	if (buf == NULL) {
		struct stat	sst;

		/* A link an earlier run made: the one file. */
		if (fstat(from, &sst) == 0 && st.st_dev == sst.st_dev &&
		    st.st_ino == sst.st_ino)
			return 2;
	}
	if (sc->buf == NULL && (sc->buf = malloc(COPY_BUF)) == NULL)
		return -1;
	for (off = 0; off < len; off += a) {
		want = len - off < (off_t)half ? (size_t)(len - off) : half;
		if ((a = pread_all(fd, sc->buf, want, off)) < 0)
			return -1;
		if (buf != NULL) {
			if ((size_t)a != want ||
			    memcmp(sc->buf, buf + off, want) != 0)
				return 0;
			continue;
		}
		if ((b = pread_all(from, sc->buf + half, want, off)) < 0)
			return -1;
		if ((size_t)a != want || b != a ||
		    memcmp(sc->buf, sc->buf + half, want) != 0)
			return 0;
	}
	return 1;
}

/*
 * Without replace, a target -H there already: whether the target's -H
 * and -D are the source's, byte for byte, so that the message is in
 * place (a run killed after its commit, a retry after a failure) and is
 * done, not "exists"; with remove_src only its sources are left to
 * remove.  The target files are kept open on the slot
 * for sync_data.  1 in place, 0 not (exists), -1 failed.
 */
static int
dst_same(struct spoolcopy *sc, struct slot *s)
{
	char		 name[SPOOL_ID_MAX + 3], show[CLI_SHOWN_NAME];
	int		 rc;

	snprintf(name, sizeof name, "%s-H", s->r.id);
	if ((s->thfd = openat(s->tdirfd, name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK)) < 0) {
		if (errno == ENOENT)
			return 0;
		goto bad;
	}
	if ((rc = same_bytes(sc, s->thfd, s->hbuf, -1, s->hlen)) <= 0)
		goto out;
	snprintf(name, sizeof name, "%s-D", s->r.id);
	if ((s->tdfd = openat(s->tdirfd, name, O_RDONLY | O_CLOEXEC |
	    O_NOFOLLOW | O_NONBLOCK)) < 0) {
		if (errno == ENOENT)
			return 0;
		goto bad;
	}
	if ((rc = same_bytes(sc, s->tdfd, NULL, s->dfd,
	    s->dst.st_size)) <= 0)
		goto out;
	s->linked = rc == 2;
	return 1;
out:
	if (rc == 0)
		return 0;
bad:
	path_show(sc->dst, s->tdir, name, show, sizeof show);
	fail(s, "failed", MX_TEMPFAIL, "cannot read '%s': %s", show,
	    strerror(errno));
	return -1;
}

/*
 * A message is in a spool once, flat or split: when its -H is not where
 * the layout asked but in the other place (a flat target's split
 * subdirectory, a split one's top), that is where it is, and where it is
 * refused as "exists" or replaced; never queued twice.  The slot's target
 * directory moved there.  1 the target has a -H (or it could not be
 * looked at, which the caller meets when it opens it), 0 none, -1 with
 * errno, or -2 it is a directory of the source's (s->tdir the
 * directory).
 */
static int
dst_elsewhere(struct spoolcopy *sc, struct slot *s, const char *hname)
{
	struct stat	st;
	char		name[2];
	int		i, fd, rc;

	if (fstatat(s->tdirfd, hname, &st, AT_SYMLINK_NOFOLLOW) == 0 ||
	    errno != ENOENT)
		return 1;
	i = s->tdir == ROOT ? b62_index(SPOOL_ID_SUBDIR(s->r.id)) : ROOT;
	if (sc->tfd[i] < 0 && sc->tmiss[i])
		return 0;
	if (sc->tfd[i] < 0) {
		dir_name(i, name);
		if ((fd = open_dir(sc->tfd[ROOT], name)) < 0) {
			if (errno != ENOENT)
				return -1;
			sc->tmiss[i] = 1;
			return 0;
		}
		if (fstatat(fd, hname, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			close(fd);
			return 0;
		}
		if ((rc = dir_clash(fd, sc->sfd)) != 0 ||
		    subdir_fix(sc, fd) < 0) {
			close(fd);
			s->tdir = i;
			return rc > 0 ? -2 : -1;
		}
		sc->tfd[i] = fd;
	} else if (fstatat(sc->tfd[i], hname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return 0;
	s->tdir = i;
	s->tdirfd = sc->tfd[i];
	stale_drop(sc, s);
	return 1;
}

/*
 * Lock the target -D about to be replaced as Exim locks it, until the new
 * -H is in place (report): in a live spool, an Exim delivering it holds
 * that lock and would unlink the new files once done; one that has not
 * begun waits for ours.  0, or the slot failed ("locked" when held).
 */
static int
dst_lock(struct spoolcopy *sc, struct slot *s, const char *dname)
{
	char		show[CLI_SHOWN_NAME];
	int		flags, rc;

	path_show(sc->dst, s->tdir, dname, show, sizeof show);
	if ((s->tlfd = open_d(s->tdirfd, dname, 1, &flags)) < 0) {
		if (errno == ENOENT)
			return 0;
		fail(s, "failed", MX_TEMPFAIL, "cannot open '%s': %s", show,
		    strerror(errno));
		return -1;
	}
	if ((rc = lock_d(s->tlfd, flags, s->idlen)) == 0)
		return 0;
	if (rc > 0)
		fail(s, "locked", MX_TEMPFAIL, "'%s' is locked: a delivery "
		    "is under way", show);
	else
		fail(s, "failed", MX_TEMPFAIL, "cannot lock '%s': %s", show,
		    strerror(errno));
	close(s->tlfd);
	s->tlfd = -1;
	return -1;
}

/* Write the slot's -D and -H under temporary names.  0, or failed. */
static int
dst_write(struct spoolcopy *sc, struct slot *s)
{
	char		 dname[SPOOL_ID_MAX + 3], hname[SPOOL_ID_MAX + 3];
	char		 show[CLI_SHOWN_NAME];
	struct stat	 st;
	uid_t		 uid;
	gid_t		 gid;
	const char	*what = dname;
	int		 rc = 0, there;

	snprintf(dname, sizeof dname, "%s-D", s->r.id);
	snprintf(hname, sizeof hname, "%s-H", s->r.id);
	if ((rc = dst_dir(sc, s)) < 0 ||
	    (rc = there = dst_elsewhere(sc, s, hname)) < 0) {
		path_show(sc->dst, s->tdir, ".", show, sizeof show);
		if (rc == -2)
			fail(s, "failed", MX_TEMPFAIL, "source and target are "
			    "the same directory '%s'", show);
		else
			fail(s, "failed", MX_TEMPFAIL, "cannot open directory "
			    "'%s': %s", show, strerror(errno));
		return -1;
	}
	stale_drop(sc, s);
	if (there) {
		if (!sc->o.replace) {
			switch (dst_same(sc, s)) {
			case 1:
				/*
				 * Done already: made durable with the batch
				 * (a run killed before its sync), and with
				 * remove_src its source then removed.
				 */
				s->done = 1;
				sc->tdirty[s->tdir] = 1;
				return 0;
			case -1:
				tmp_drop(s);
				return -1;
			}
			tmp_drop(s);
		}
		if (!sc->o.replace) {
			path_show(sc->dst, s->tdir, hname, show, sizeof show);
			fail(s, "exists", MX_TEMPFAIL, "'%s' exists", show);
			return -1;
		}
		s->hexists = 1;
	}
	s->dexists = fstatat(s->tdirfd, dname, &st,
	    AT_SYMLINK_NOFOLLOW) == 0;
	if (s->dexists && dst_lock(sc, s, dname) < 0)
		return -1;
	(void)owner_wanted(sc, &s->dst, &uid, &gid);
	if (sc->o.link && (s->dst.st_mode & 07777) == sc->o.mode &&
	    uid == s->dst.st_uid && gid == s->dst.st_gid) {
		char	proc[32];

		/*
		 * The inode open, locked and validated, not what its name
		 * may have been swapped for since: linked through the
		 * descriptor.  Without /proc (ENOENT), copied from it.
		 */
		snprintf(proc, sizeof proc, "/proc/self/fd/%d", s->dfd);
		if (tmp_make(sc, s, 'D', AT_FDCWD, proc) == 0)
			s->linked = 1;
		else if (errno != EXDEV && errno != EPERM &&
		    errno != EMLINK && errno != ENOENT)
			goto bad;
	}
	if (!s->linked) {
		if ((s->tdfd = tmp_make(sc, s, 'D', -1, NULL)) < 0 ||
		    (rc = copy_data(sc, s->dfd, s->tdfd, s->dst.st_size)) < 0 ||
		    tmp_own(sc, s->tdfd, &s->dst) < 0)
			goto bad;
		if (rc > 0) {
			path_show(sc->src, s->sdir, dname, show, sizeof show);
			fail(s, "failed", MX_TEMPFAIL, "short copy of '%s': "
			    "not the %lld bytes it had when opened", show,
			    (long long)s->dst.st_size);
			tmp_drop(s);
			return -1;
		}
#ifdef SYNC_FILE_RANGE_WRITE
		/*
		 * A large -D's writeback starts now, behind the next
		 * message; small ones wait for the batch's one syncfs,
		 * where starting each costs more than it saves.
		 */
		if (s->dst.st_size >= WRITEBACK_MIN)
			(void)sync_file_range(s->tdfd, 0, 0,
			    SYNC_FILE_RANGE_WRITE);
#endif
	}
	what = hname;
	if ((s->thfd = tmp_make(sc, s, 'H', -1, NULL)) < 0 ||
	    write_all(s->thfd, s->hbuf, s->hlen) < 0 ||
	    tmp_own(sc, s->thfd, &s->hst) < 0)
		goto bad;
	return 0;
bad:
	path_show(sc->dst, s->tdir, what, show, sizeof show);
	fail(s, "failed", MX_TEMPFAIL, "cannot write '%s': %s", show,
	    strerror(errno));
	tmp_drop(s);
	return -1;
}

/* Release what the slot holds: files, locks, memory. */
static void
slot_clear(struct slot *s)
{
	tmp_drop(s);
	if (s->tlfd >= 0)
		close(s->tlfd);
	if (s->dfd >= 0)
		close(s->dfd);
	if (s->parsed)
		spool_h_free(&s->h);
	free(s->hbuf);
	s->tlfd = s->dfd = -1;
	s->parsed = 0;
	s->hbuf = NULL;
}

/* Report the slots, release their locks and empty the batch. */
static void
report(struct spoolcopy *sc)
{
	sigset_t	old;
	int		i;

	for (i = 0; i < sc->n; i++) {
		struct slot	*s = &sc->s[i];

		if (sc->fn != NULL)
			sc->fn(sc->arg, &s->r);
	}
	cli_hold_signals(1, &old);
	for (i = 0; i < sc->n; i++)
		slot_clear(&sc->s[i]);
	sc->n = 0;
	sc->held = 0;
	cli_hold_signals(0, &old);
	/* The next batch looks again for what this one found missing. */
	memset(sc->smiss, 0, sizeof sc->smiss);
	memset(sc->tmiss, 0, sizeof sc->tmiss);
}

/* Add one message to the batch, as spoolcopy_add says. */
static struct slot *
add_one(struct spoolcopy *sc, const char *id, size_t n)
{
	struct slot	*s;
	size_t		 idlen;
	int		 i;

	idlen = spool_id_len(id, n);
	/* The same id twice in a batch: the first must be in place. */
	if (idlen == n)
		for (i = 0; i < sc->n; i++)
			if (sc->s[i].idlen == n &&
			    memcmp(sc->s[i].r.id, id, n) == 0) {
				spoolcopy_flush(sc);
				break;
			}
	/* Bounded by count, by descriptors, and by the -H bytes held. */
	if (sc->n >= sc->batch || sc->held >= HELD_MAX)
		spoolcopy_flush(sc);
	s = &sc->s[sc->n];
	memset(s, 0, sizeof *s);
	s->dfd = s->tdfd = s->thfd = s->tdirfd = s->tlfd = -1;
	s->tdir = s->sdir = ROOT;
	memcpy(s->r.id, id, n < SPOOL_ID_MAX ? n : SPOOL_ID_MAX);
	s->r.result = sc->o.check ? "ok" : "copied";
	/* A handler sees the slot only once it is cleared. */
	atomic_signal_fence(memory_order_seq_cst);
	sc->n++;
	if (idlen == 0 || idlen != n) {
		char	show[4 * 64 + 4];

		fail(s, "invalid", MX_DATAERR, "'%s' is not a message id",
		    cli_show(id, n, 64, show, sizeof show));
		s->nofd = 0;
		return s;
	}
	s->idlen = n;
	if (src_open(sc, s) < 0 || src_validate(sc, s) < 0)
		return s;
	sc->held += s->hlen;
	if (sc->o.check)
		return s;
	if (dst_write(sc, s) < 0)
		return s;
	if (s->linked)
		s->r.result = "linked";
	return s;
}

void
spoolcopy_add(struct spoolcopy *sc, const char *id, size_t n)
{
	struct slot	*s;
	sigset_t	 old;
	int		 i;

	s = add_one(sc, id, n);
	if (!s->nofd)
		return;
	/*
	 * Out of descriptors with others pending: this one taken back, the
	 * batch committed (its descriptors closed), and this one tried once
	 * more, its result then final.
	 */
	cli_hold_signals(1, &old);
	slot_clear(s);
	sc->n--;
	cli_hold_signals(0, &old);
	spoolcopy_flush(sc);
	/* The split subdirectories too, opened again as needed. */
	for (i = 0; i < ROOT; i++) {
		if (sc->sfd[i] >= 0)
			close(sc->sfd[i]);
		if (sc->tfd[i] >= 0)
			close(sc->tfd[i]);
		sc->sfd[i] = sc->tfd[i] = -1;
	}
	(void)add_one(sc, id, n);
}

/*
 * fsync the directories marked in dirty; a failure fails what is live.
 * A requeue into a split spool dirties most of its 62 subdirectories in
 * every batch: there one syncfs(2) costs less than their fsyncs (a
 * tenth of the time at 10,000 messages), as for the data.
 */
static int
sync_dirs(const int *fds, int *dirty, const char *top,
    char *err, size_t errlen)
{
	char	show[CLI_SHOWN_NAME];
	int	i, rc = 0, n = 0, one = -1;

	for (i = 0; i < NDIRS; i++)
		if (dirty[i]) {
			n++;
			one = i;
		}
#ifdef __linux__
	if (n > 1 && syncfs(fds[one]) == 0) {
		memset(dirty, 0, NDIRS * sizeof *dirty);
		return 0;
	}
#endif
	for (i = 0; i < NDIRS; i++) {
		if (!dirty[i])
			continue;
		dirty[i] = 0;
		if (fsync(fds[i]) < 0 && rc == 0) {
			path_show(top, i, ".", show, sizeof show);
			cli_errf(err, errlen, "cannot sync directory '%s': %s",
			    show, strerror(errno));
			rc = -1;
		}
	}
	return rc;
}

/* Whether a slot is still on its way. */
#define LIVE(s)	((s)->r.status == 0)

static void
fail_live(struct spoolcopy *sc, const char *why)
{
	int	i;

	for (i = 0; i < sc->n; i++)
		if (LIVE(&sc->s[i])) {
			fail(&sc->s[i], "failed", MX_TEMPFAIL, "%s", why);
			tmp_drop(&sc->s[i]);
		}
}

/* Rename the slot's temporary kind ('D' or 'H') to its name. */
static int
put_name(struct spoolcopy *sc, struct slot *s, char kind)
{
	char			 name[SPOOL_ID_MAX + 3], show[CLI_SHOWN_NAME];
	volatile sig_atomic_t	*pend = kind == 'D' ? &s->dpend : &s->hpend;
	const char		*tmp = kind == 'D' ? s->dtmp : s->htmp;
	int			 rc;

	snprintf(name, sizeof name, "%s-%c", s->r.id, kind);
	if (kind == 'D' || sc->o.replace)
		rc = renameat(s->tdirfd, tmp, s->tdirfd, name);
	else {
		/* Never over a -H put there since it was looked for. */
		rc = renameat2(s->tdirfd, tmp, s->tdirfd, name,
		    RENAME_NOREPLACE);
		if (rc < 0 && (errno == EINVAL || errno == ENOSYS) &&
		    (rc = linkat(s->tdirfd, tmp, s->tdirfd, name, 0)) == 0)
			unlinkat(s->tdirfd, tmp, 0);
	}
	/*
	 * A -H that appeared since dst_write looked (another writer) is
	 * left alone; the -D put beside it is this same message's.
	 */
	if (rc < 0) {
		path_show(sc->dst, s->tdir, name, show, sizeof show);
		if (errno == EEXIST)
			fail(s, "exists", MX_TEMPFAIL, "'%s' exists", show);
		else
			fail(s, "failed", MX_TEMPFAIL, "cannot write '%s': %s",
			    show, strerror(errno));
		tmp_drop(s);
		return -1;
	}
	/*
	 * A link renamed over a name of the same file is left as it was
	 * (rename(2)): the -D was linked by an earlier run.
	 */
	if (kind == 'D' && s->linked && s->dexists)
		unlinkat(s->tdirfd, tmp, 0);
	*pend = 0;
	sc->tdirty[s->tdir] = 1;
	return 0;
}

/* The data of the live slots on disk; a slot whose data is not, failed. */
static void
sync_data(struct spoolcopy *sc)
{
	char	show[CLI_SHOWN_NAME];
	int	i, live = 0, synced = 0;

	for (i = 0; i < sc->n; i++)
		live += LIVE(&sc->s[i]);
	if (live == 0)
		return;
	/*
	 * One flush for the lot, as msg_batch: syncfs(2) reports a
	 * writeback error since the directory was opened (Linux 5.8); on a
	 * failure the fsync of each file finds the ones it hit.
	 */
#ifdef __linux__
	if (live > 1 && syncfs(sc->tfd[ROOT]) == 0)
		synced = 1;
#endif
	for (i = 0; i < sc->n && !synced; i++) {
		struct slot	*s = &sc->s[i];

		if (!LIVE(s))
			continue;
		/* A link is the source's inode, whose descriptor is ours. */
		if (fsync(s->linked ? s->dfd : s->tdfd) < 0) {
			path_show(sc->dst, s->tdir, s->r.id, show,
			    sizeof show);
			fail(s, "failed", MX_TEMPFAIL,
			    "cannot write '%s-D': %s", show, strerror(errno));
			tmp_drop(s);
		} else if (fsync(s->thfd) < 0) {
			path_show(sc->dst, s->tdir, s->r.id, show,
			    sizeof show);
			fail(s, "failed", MX_TEMPFAIL,
			    "cannot write '%s-H': %s", show, strerror(errno));
			tmp_drop(s);
		}
	}
}

/* With remove_src: the source's -H, then its -D, once in place. */
static void
remove_sources(struct spoolcopy *sc)
{
	char	name[SPOOL_ID_MAX + 3], show[CLI_SHOWN_NAME], why[1024];
	int	i;

	for (i = 0; i < sc->n; i++) {
		struct slot	*s = &sc->s[i];

		if (!LIVE(s))
			continue;
		snprintf(name, sizeof name, "%s-H", s->r.id);
		if (unlinkat(sc->sfd[s->sdir], name, 0) < 0 &&
		    errno != ENOENT)
			goto bad;
		snprintf(name, sizeof name, "%s-D", s->r.id);
		if (unlinkat(sc->sfd[s->sdir], name, 0) < 0 &&
		    errno != ENOENT)
			goto bad;
		sc->sdirty[s->sdir] = 1;
		continue;
bad:
		path_show(sc->src, s->sdir, name, show, sizeof show);
		fail(s, "failed", MX_TEMPFAIL, "in place, but cannot remove "
		    "'%s': %s", show, strerror(errno));
		sc->sdirty[s->sdir] = 1;
	}
	if (sync_dirs(sc->sfd, sc->sdirty, sc->src, why, sizeof why) < 0)
		for (i = 0; i < sc->n; i++)
			if (LIVE(&sc->s[i]))
				fail(&sc->s[i], "failed", MX_TEMPFAIL,
				    "in place, but %s", why);
}

void
spoolcopy_flush(struct spoolcopy *sc)
{
	char		why[1024], name[SPOOL_ID_MAX + 3];
	sigset_t	mask;
	int		i;

	if (sc->o.check || sc->n == 0) {
		report(sc);
		return;
	}
	sync_data(sc);
	/*
	 * From the first name put or removed to the last result out, the
	 * signals that end a run wait: one lands before (the temporary
	 * files removed, nothing reported, nothing in place) or after (all
	 * reported), never between, where the results would not say what
	 * is in the target.
	 */
	cli_hold_signals(1, &mask);
	/* Exim's rule: a -H is removed first, so one being replaced is. */
	for (i = 0; i < sc->n; i++) {
		struct slot	*s = &sc->s[i];

		if (!LIVE(s) || !s->hexists)
			continue;
		snprintf(name, sizeof name, "%s-H", s->r.id);
		if (unlinkat(s->tdirfd, name, 0) < 0 && errno != ENOENT) {
			char	show[CLI_SHOWN_NAME];

			path_show(sc->dst, s->tdir, name, show, sizeof show);
			fail(s, "failed", MX_TEMPFAIL, "cannot replace '%s': "
			    "%s", show, strerror(errno));
			tmp_drop(s);
		}
	}
	for (i = 0; i < sc->n; i++)
		if (LIVE(&sc->s[i]) && !sc->s[i].done)
			(void)put_name(sc, &sc->s[i], 'D');
	/* Every -D under its name, on disk, before any -H is. */
	if (sync_dirs(sc->tfd, sc->tdirty, sc->dst, why, sizeof why) < 0)
		fail_live(sc, why);
	for (i = 0; i < sc->n; i++)
		if (LIVE(&sc->s[i]) && !sc->s[i].done)
			(void)put_name(sc, &sc->s[i], 'H');
	if (sync_dirs(sc->tfd, sc->tdirty, sc->dst, why, sizeof why) < 0)
		for (i = 0; i < sc->n; i++)
			if (LIVE(&sc->s[i]))
				fail(&sc->s[i], "failed", MX_TEMPFAIL, "%s",
				    why);
	if (sc->o.remove_src)
		remove_sources(sc);
	report(sc);
	cli_hold_signals(0, &mask);
}

void
spoolcopy_unlink(struct spoolcopy *sc)
{
	int	i;

	if (sc == NULL)
		return;
	for (i = 0; i < sc->n; i++) {
		if (sc->s[i].dpend)
			unlinkat(sc->s[i].tdirfd, sc->s[i].dtmp, 0);
		if (sc->s[i].hpend)
			unlinkat(sc->s[i].tdirfd, sc->s[i].htmp, 0);
	}
}

void
spoolcopy_free(struct spoolcopy *sc)
{
	int	i;

	if (sc == NULL)
		return;
	sc->fn = NULL;
	report(sc);
	for (i = 0; i < NDIRS; i++) {
		if (sc->sfd[i] >= 0)
			close(sc->sfd[i]);
		if (sc->tfd[i] >= 0)
			close(sc->tfd[i]);
	}
	for (i = 0; i < NDIRS; i++)
		free(sc->stale[i]);
	free(sc->buf);
	free(sc->src);
	free(sc->dst);
	free(sc);
}

/*
 * Each ID-H in the directory fd; closes fd.  fn's return when not 0; a
 * directory that cannot be read is noted in err (the first one) and *bad
 * set, and the listing goes on.
 */
static int
list_dir(int fd, int sub, int (*fn)(void *, const char *, size_t),
    void *arg, const char *what, int *bad, char *err, size_t errlen)
{
	struct dirent	*de;
	DIR		*d;
	size_t		 n;
	int		 rc = 0;

	if ((d = fdopendir(fd)) == NULL) {
		if (!*bad)
			cli_errf(err, errlen, "cannot read directory '%s': %s",
			    what, strerror(errno));
		*bad = 1;
		close(fd);
		return 0;
	}
	for (;;) {
		errno = 0;
		if ((de = readdir(d)) == NULL)
			break;
		n = strlen(de->d_name);
		if (n < 3 || strcmp(de->d_name + n - 2, "-H") != 0 ||
		    spool_id_len(de->d_name, n - 2) != n - 2)
			continue;
		/* Where a reader looks for it, or it is not there. */
		if (sub >= 0 && SPOOL_ID_SUBDIR(de->d_name) != b62[sub])
			continue;
		if ((rc = fn(arg, de->d_name, n - 2)) != 0)
			break;
	}
	if (de == NULL && errno != 0) {
		if (!*bad)
			cli_errf(err, errlen, "cannot read directory '%s': %s",
			    what, strerror(errno));
		*bad = 1;
	}
	closedir(d);
	return rc;
}

int
spool_list(const char *dir, int (*fn)(void *, const char *, size_t),
    void *arg, char *err, size_t errlen)
{
	char	show[CLI_SHOWN_NAME], name[2], what[CLI_SHOWN_NAME + 4];
	int	top, fd, i, rc, e, bad = 0;

	cli_show(dir, strlen(dir), CLI_SHOW_NAME, show, sizeof show);
	if ((top = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		e = errno;
		cli_errf(err, errlen, "cannot open directory '%s': %s", show,
		    strerror(e));
		return e == ENOENT || e == ENOTDIR ? MX_NOINPUT : MX_TEMPFAIL;
	}
	for (i = 0; i < ROOT; i++) {
		dir_name(i, name);
		snprintf(what, sizeof what, "%s/%s", show, name);
		/* Never through a link the spool's owner may have made. */
		if ((fd = open_dir(top, name)) < 0) {
			if (errno == ENOENT || errno == ENOTDIR)
				continue;
			if (!bad)
				cli_errf(err, errlen, "cannot open directory "
				    "'%s': %s", what, errno == ELOOP ?
				    "a symbolic link" : strerror(errno));
			bad = 1;
			continue;
		}
		if ((rc = list_dir(fd, i, fn, arg, what, &bad, err,
		    errlen)) != 0) {
			close(top);
			return rc;
		}
	}
	if ((rc = list_dir(top, -1, fn, arg, show, &bad, err, errlen)) != 0)
		return rc;
	return bad ? MX_TEMPFAIL : 0;
}
