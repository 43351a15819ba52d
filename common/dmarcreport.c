/*
 * dmarcreport: the history record opendmarc-import loads, appended under a
 * lock and made durable, and the RFC 6591 failure report for ruf=.
 */
#include "config.h"

#include <sys/file.h>
#include <sys/stat.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "authres.h"
#include "cli.h"
#include "dmarcreport.h"
#include "dns.h"
#include "msg.h"
#include "tagval.h"

#define HIST_SIGS	255	/* messages.sigcount is a TINYINT UNSIGNED */
#define HIST_JOB	128	/* messages.jobid is a VARCHAR(128) */
#define HIST_NAME	255	/* domains.name, reporters.name */
#define LOCK_WAIT	10000	/* ms a writer waits for the lock */
#define REOPEN_MAX	100	/* rotations met in one append */

/* opendmarc's ARES_RESULT_ codes, as its history holds them. */
enum {
	ARES_PASS = 0,
	ARES_SOFTFAIL = 2,
	ARES_NEUTRAL = 3,
	ARES_TEMPERROR = 4,
	ARES_PERMERROR = 5,
	ARES_NONE = 6,
	ARES_FAIL = 7,
	ARES_UNKNOWN = 11
};

/* Its DMARC_POLICY_ codes (the policy line) and DMARC_RESULT_ (action). */
enum {
	POL_ABSENT = 14, POL_PASS, POL_REJECT, POL_QUARANTINE, POL_NONE
};
enum {
	ACT_REJECT = 0, ACT_ACCEPT = 2, ACT_TEMPFAIL = 3, ACT_QUARANTINE = 4
};
enum { ALIGN_PASS = 4, ALIGN_FAIL = 5 };

/* arc_policy: whether the chain passed, as the milter writes it. */
enum { ARCPOL_PASS = 0, ARCPOL_UNUSED = 1, ARCPOL_FAIL = 2 };

static int
bprintf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
bprintf(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n + 1) < 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

/*
 * Copy at most max bytes of s, each byte that is not kept by ok() written
 * as '_'; "-" for an empty or missing s.
 */
static int
add_safe(struct buf *b, const char *s, size_t max, int (*ok)(int))
{
	size_t	i;
	char	c;

	if (s == NULL || *s == '\0')
		return buf_addstr(b, "-");
	for (i = 0; s[i] != '\0' && i < max; i++) {
		c = ok((unsigned char)s[i]) ? s[i] : '_';
		if (buf_add(b, &c, 1) < 0)
			return -1;
	}
	return 0;
}

/*
 * A history value: the importer splits a line at blanks and a record at
 * its "job" line, so a blank or a line end inside a value would cut it
 * or forge a line of the next record.
 */
static int
hist_ok(int c)
{
	return c > ' ' && c < 0x7f;
}

/* A JSON string's contents, with nothing to escape. */
static int
json_ok(int c)
{
	return hist_ok(c) && c != '"' && c != '\\';
}

/* A name or address in a report's header fields and A-R. */
static int
hdr_ok(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr(".-_:@+", c) != NULL;
}

static int
hist_line(struct buf *b, const char *key, const char *val, size_t max)
{
	if (buf_addstr(b, key) < 0 || buf_addstr(b, " ") < 0 ||
	    add_safe(b, val, max, hist_ok) < 0 || buf_addstr(b, "\n") < 0)
		return -1;
	return 0;
}

static int
spf_ares(enum spf_result r)
{
	switch (r) {
	case SPF_PASS:
		return ARES_PASS;
	case SPF_FAIL:
		return ARES_FAIL;
	case SPF_SOFTFAIL:
		return ARES_SOFTFAIL;
	case SPF_NEUTRAL:
		return ARES_NEUTRAL;
	case SPF_TEMPERROR:
		return ARES_TEMPERROR;
	case SPF_PERMERROR:
		return ARES_PERMERROR;
	default:
		return ARES_NONE;
	}
}

static int
dkim_ares(const struct dmarc_dkim *d)
{
	if (d->status == DKIM_VPASS)
		return ARES_PASS;
	if (d->status == DKIM_VFAIL)
		return ARES_FAIL;
	/* RFC 8601 2.7.1: a signature that cannot be verified */
	return d->temperror ? ARES_TEMPERROR : ARES_PERMERROR;
}

/* The RFC 8601 result word of an ARES code. */
static const char *
ares_word(int a)
{
	switch (a) {
	case ARES_PASS:
		return "pass";
	case ARES_SOFTFAIL:
		return "softfail";
	case ARES_NEUTRAL:
		return "neutral";
	case ARES_TEMPERROR:
		return "temperror";
	case ARES_PERMERROR:
		return "permerror";
	case ARES_FAIL:
		return "fail";
	default:
		return "none";
	}
}

/* The policy line: libopendmarc's answer, or the same read off status. */
static int
hist_policy(const struct dmarc_verdict *v)
{
	if (v->lib_policy >= POL_ABSENT && v->lib_policy <= POL_NONE)
		return v->lib_policy;
	switch (v->status) {
	case DMARC_ACCEPT:
		return POL_PASS;
	case DMARC_REJECT:
		return POL_REJECT;
	case DMARC_QUARANTINE:
		return POL_QUARANTINE;
	case DMARC_NONE:
		return POL_NONE;
	default:
		return POL_ABSENT;
	}
}

/* The action line: what DMARC says is done, pct applied. */
static int
hist_action(const struct dmarc_verdict *v)
{
	if (v->status == DMARC_TEMPERROR)
		return ACT_TEMPFAIL;
	if (v->status == DMARC_ACCEPT)
		return ACT_ACCEPT;
	if (v->disposition == DMARC_P_REJECT)
		return ACT_REJECT;
	if (v->disposition == DMARC_P_QUARANTINE)
		return ACT_QUARANTINE;
	return ACT_ACCEPT;
}

/* Our host name when the caller gave none. */
static const char *
reporter_of(const struct dmarc_facts *f, char *buf, size_t size)
{
	if (f->reporter != NULL && *f->reporter != '\0')
		return f->reporter;
	if (gethostname(buf, size) < 0 || buf[0] == '\0')
		snprintf(buf, size, "localhost");
	buf[size - 1] = '\0';
	return buf;
}

/*
 * A job id of our own: the pid tells processes apart, the counter the
 * records of one process, and the importer's unique key holds the
 * reporter and the second besides.
 */
static const char *
job_of(const struct dmarc_facts *f, char *buf, size_t size)
{
	static unsigned	n;

	if (f->job != NULL && *f->job != '\0')
		return f->job;
	snprintf(buf, size, "mx%lld.%ld.%u", (long long)f->received,
	    (long)getpid(), n++);
	return buf;
}

/* --- ARC: the instances' d=, s= and client address, for arc_policy. --- */

struct arcinst {
	int	seal;		/* an ARC-Seal with this i= was read */
	char	d[256], s[256];
	char	ip[INET6_ADDRSTRLEN];
};

static int
name_is(const struct msg_hdr *h, const char *name)
{
	return h->namelen == strlen(name) &&
	    strncasecmp(h->raw, name, h->namelen) == 0;
}

static int
is_fws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The instance an AAR value starts with ("i=N;", FWS round each part),
 * 1 to ARC_MAX, with *rest the offset after the ';'; or -1.
 */
static int
aar_instance(const char *v, size_t n, size_t *rest)
{
	size_t	i = 0;
	int	k = 0, digits = 0;

	while (i < n && is_fws((unsigned char)v[i]))
		i++;
	if (i == n || v[i++] != 'i')
		return -1;
	while (i < n && is_fws((unsigned char)v[i]))
		i++;
	if (i == n || v[i++] != '=')
		return -1;
	while (i < n && is_fws((unsigned char)v[i]))
		i++;
	for (; i < n && v[i] >= '0' && v[i] <= '9' && digits < 3; i++) {
		k = k * 10 + (v[i] - '0');
		digits++;
	}
	while (i < n && is_fws((unsigned char)v[i]))
		i++;
	if (digits == 0 || i == n || v[i] != ';' || k < 1 || k > ARC_MAX)
		return -1;
	*rest = i + 1;
	return k;
}

/*
 * The client address an AAR records: smtp.remote-ip (RFC 8601 iprev),
 * smtp.client-ip, or policy.iprev, whichever comes first and is an
 * address.
 */
static void
aar_ip(const char *v, size_t n, char *ip, size_t size)
{
	static const char *const props[][2] = {
		{ "smtp", "remote-ip" },
		{ "smtp", "client-ip" },
		{ "policy", "iprev" }
	};
	struct authres		 ar;
	const char		*a;
	unsigned char		 bin[sizeof(struct in6_addr)];
	size_t			 r, p;

	if (authres_parse(v, n, &ar) < 0)
		return;
	for (p = 0; p < sizeof props / sizeof props[0] && ip[0] == '\0'; p++)
		for (r = 0; r < ar.nres && ip[0] == '\0'; r++) {
			a = ar_prop_get(&ar.res[r], props[p][0], props[p][1]);
			if (a != NULL && strlen(a) < size &&
			    (inet_pton(AF_INET, a, bin) == 1 ||
			    inet_pton(AF_INET6, a, bin) == 1))
				snprintf(ip, size, "%s", a);
		}
	authres_free(&ar);
}

/* Read the first ARC-Seal and AAR of each instance up to n. */
static void
arc_collect(struct msg *m, struct arcinst *in, int n)
{
	const struct msg_hdr	*h;
	const struct tv		*t;
	struct tvlist		 tl;
	const char		*v, *why;
	size_t			 k, vlen, rest;
	long long		 i;

	for (k = 0; k < msg_nhdrs(m); k++) {
		h = msg_hdr(m, k);
		if (h->added)
			continue;
		v = msg_hdr_value(h, &vlen);
		if (name_is(h, "ARC-Authentication-Results")) {
			if ((i = aar_instance(v, vlen, &rest)) > 0 && i <= n &&
			    in[i].ip[0] == '\0')
				aar_ip(v + rest, vlen - rest, in[i].ip,
				    sizeof in[i].ip);
			continue;
		}
		if (!name_is(h, "ARC-Seal") || tv_parse(v, vlen, &tl, &why) < 0)
			continue;
		if ((t = tv_get(&tl, "i")) == NULL || (i = tv_num(t)) < 1 ||
		    i > n || in[i].seal)
			continue;
		if ((t = tv_get(&tl, "d")) == NULL ||
		    tv_copy_nows(t, in[i].d, sizeof in[i].d) <= 0 ||
		    (t = tv_get(&tl, "s")) == NULL ||
		    tv_copy_nows(t, in[i].s, sizeof in[i].s) <= 0)
			continue;
		in[i].seal = 1;
	}
}

/*
 * The arc and arc_policy lines.  Without a result, the forms the 1.4.2
 * importer takes: with no arc line it fails, and Exim's "json[ ]" crashes
 * it.  Each instance goes into the list once, as the importer's unique
 * key on (message, instance) wants.
 */
static int
hist_arc(struct buf *b, struct msg *m, const struct arc_result *r)
{
	struct arcinst	*in;
	int		 i, n, ares, pol, first = 1;

	if (r == NULL)
		return bprintf(b, "arc %d\narc_policy %d json:[]\n",
		    ARES_UNKNOWN, ARCPOL_UNUSED);
	if (r->tempfail)
		ares = ARES_TEMPERROR, pol = ARCPOL_UNUSED;
	else if (r->state == ARC_PASS)
		ares = ARES_PASS, pol = ARCPOL_PASS;
	else if (r->state == ARC_FAIL)
		ares = ARES_FAIL, pol = ARCPOL_FAIL;
	else
		ares = ARES_NONE, pol = ARCPOL_UNUSED;
	n = r->n < 0 ? 0 : r->n > ARC_MAX ? ARC_MAX : r->n;
	if ((in = calloc(ARC_MAX + 1, sizeof *in)) == NULL)
		return -1;
	if (m != NULL)
		arc_collect(m, in, n);
	if (bprintf(b, "arc %d\narc_policy %d json:[", ares, pol) < 0)
		goto nomem;
	for (i = 1; i <= n; i++) {
		if (!in[i].seal)
			continue;
		if (bprintf(b, "%s{ \"i\": %d, \"d\":\"", first ? "" : ", ",
		    i) < 0 || add_safe(b, in[i].d, HIST_NAME, json_ok) < 0 ||
		    buf_addstr(b, "\", \"s\":\"") < 0 ||
		    add_safe(b, in[i].s, HIST_NAME, json_ok) < 0 ||
		    bprintf(b, "\", \"ip\":\"%s\" }", in[i].ip) < 0)
			goto nomem;
		first = 0;
	}
	if (buf_addstr(b, "]\n") < 0)
		goto nomem;
	free(in);
	return 0;
nomem:
	free(in);
	return -1;
}

int
dmarc_history_format(struct buf *b, struct msg *m,
    const struct dmarc_input *in, const struct dmarc_verdict *v,
    const struct dmarc_facts *f)
{
	const struct dmarc_record	*rec = &v->rec;
	const char			*mfrom;
	char				 host[256], job[64];
	size_t				 start = b->len, i;

	/*
	 * Exim and the milter keep history only of mail whose From domain
	 * publishes a policy; the importer skips a record without a client
	 * address, so none is written.
	 */
	if (!v->have_record || in->ip == NULL || *in->ip == '\0' ||
	    v->used_domain[0] == '\0')
		return 0;
	/*
	 * The importer skips a record without mfrom: for the null sender,
	 * the HELO name SPF checked stands in, else the From domain.
	 */
	mfrom = f->mfrom_domain;
	if (mfrom == NULL || *mfrom == '\0')
		mfrom = in->spf_domain != NULL && *in->spf_domain != '\0' ?
		    in->spf_domain : v->used_domain;
	if (hist_line(b, "job", job_of(f, job, sizeof job), HIST_JOB) < 0 ||
	    hist_line(b, "reporter", reporter_of(f, host, sizeof host),
	    HIST_NAME) < 0 ||
	    bprintf(b, "received %lld\n", (long long)f->received) < 0 ||
	    hist_line(b, "ipaddr", in->ip, INET6_ADDRSTRLEN) < 0 ||
	    hist_line(b, "from", v->used_domain, HIST_NAME) < 0 ||
	    hist_line(b, "mfrom", mfrom, HIST_NAME) < 0 ||
	    bprintf(b, "spf %d\n", in->spf_domain == NULL ? ARES_NONE :
	    spf_ares(in->spf)) < 0)
		goto nomem;
	for (i = 0; i < in->ndkim && i < HIST_SIGS; i++) {
		const struct dmarc_dkim	*d = &in->dkim[i];

		/* the importer needs a selector: "-" stands for none */
		if (buf_addstr(b, "dkim ") < 0 ||
		    add_safe(b, d->domain, HIST_NAME, hist_ok) < 0 ||
		    buf_addstr(b, " ") < 0 ||
		    add_safe(b, d->selector, HIST_NAME, hist_ok) < 0 ||
		    bprintf(b, " %d\n", dkim_ares(d)) < 0)
			goto nomem;
	}
	if (hist_line(b, "pdomain", v->record_domain[0] != '\0' ?
	    v->record_domain : v->used_domain, HIST_NAME) < 0 ||
	    bprintf(b, "policy %d\n", hist_policy(v)) < 0)
		goto nomem;
	for (i = 0; i < rec->nrua && i < DMARC_URI_MAX; i++)
		if (hist_line(b, "rua", rec->rua[i].uri, HIST_NAME) < 0)
			goto nomem;
	if (rec->nrua == 0 && buf_addstr(b, "rua -\n") < 0)
		goto nomem;
	if (bprintf(b, "pct %d\nadkim %d\naspf %d\np %d\nsp %d\n"
	    "align_dkim %d\nalign_spf %d\n", rec->pct, rec->adkim, rec->aspf,
	    rec->p, rec->sp, v->align_dkim ? ALIGN_PASS : ALIGN_FAIL,
	    v->align_spf ? ALIGN_PASS : ALIGN_FAIL) < 0 ||
	    hist_arc(b, m, f->arc) < 0 ||
	    bprintf(b, "action %d\n", hist_action(v)) < 0)
		goto nomem;
	return 0;
nomem:
	b->len = start;
	return -1;
}

/* --- Appending under a lock. --- */

static int
fail(char *err, size_t errlen, int rc, const char *what, int e)
{
	snprintf(err, errlen, "%s: %s", what, strerror(e));
	return rc;
}

/* Make the directory entry of a file just created durable. */
static int
sync_dir(const char *path)
{
	char	dir[PATH_MAX];
	char	*slash;
	int	fd, rc, e;

	if (strlen(path) >= sizeof dir) {
		errno = ENAMETOOLONG;
		return -1;
	}
	snprintf(dir, sizeof dir, "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	rc = fsync(fd);
	e = errno;
	close(fd);
	errno = e;
	return rc;
}

/*
 * Open the history for appending, creating it 0644 when missing.  A FIFO
 * without a reader fails at once (O_NONBLOCK) rather than hanging; one
 * with a reader, or anything else that is not a regular file, is refused.
 */
static int
hist_open(const char *path, char *err, size_t errlen)
{
	struct stat	st;
	int		fd, e, fl;

	for (;;) {
		fd = open(path, O_WRONLY | O_APPEND | O_NONBLOCK | O_NOCTTY |
		    O_CLOEXEC);
		if (fd >= 0 || errno != ENOENT)
			break;
		fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_EXCL |
		    O_NOCTTY | O_CLOEXEC, 0644);
		if (fd >= 0) {
			/* the entry first, so a record is never in a file
			   that a crash can take away */
			if (fchmod(fd, 0644) < 0 || sync_dir(path) < 0) {
				e = errno;
				close(fd);
				return fail(err, errlen, -1, "cannot create",
				    e);
			}
			return fd;
		}
		if (errno != EEXIST)
			return fail(err, errlen, -1, "cannot create", errno);
	}
	if (fd < 0)
		return fail(err, errlen, -1, "cannot open", errno);
	if (fstat(fd, &st) < 0) {
		e = errno;
		close(fd);
		return fail(err, errlen, -1, "cannot open", e);
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		snprintf(err, errlen, "not a regular file");
		return -1;
	}
	if ((fl = fcntl(fd, F_GETFL)) < 0 ||
	    fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
		e = errno;
		close(fd);
		return fail(err, errlen, -1, "cannot open", e);
	}
	return fd;
}

/*
 * The exclusive lock, waited for at most LOCK_WAIT ms: a writer that
 * never lets go must not hold up the mail for ever, and a retry later is
 * what an MTA does with MX_TEMPFAIL.
 */
static int
hist_lock(int fd, char *err, size_t errlen)
{
	struct timespec	ts;
	long		waited = 0, step = 1;

	while (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EINTR)
			continue;
		if (errno != EWOULDBLOCK)
			return fail(err, errlen, MX_IOERR, "cannot lock",
			    errno);
		if (waited >= LOCK_WAIT) {
			snprintf(err, errlen, "locked by another process for "
			    "%d s", LOCK_WAIT / 1000);
			return MX_TEMPFAIL;
		}
		ts.tv_sec = 0;
		ts.tv_nsec = step * 1000000L;
		nanosleep(&ts, NULL);
		waited += step;
		if (step < 32)
			step *= 2;
	}
	return 0;
}

/* Whether fd is still the file at path: a rotation renames it away. */
static int
still_there(int fd, const char *path)
{
	struct stat	a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* Write all of s at the end; on failure cut the file back to size. */
static int
hist_write(int fd, off_t size, const char *s, size_t len, char *err,
    size_t errlen)
{
	size_t	done = 0;
	ssize_t	n;
	int	e;

	while (done < len) {
		n = write(fd, s + done, len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			e = n < 0 ? errno : EIO;
			goto cut;
		}
		done += (size_t)n;
	}
	/* durable before the lock goes, unlike the milter's fclose */
	if (fdatasync(fd) == 0)
		return 0;
	e = errno;
cut:
	if (ftruncate(fd, size) < 0) {
		snprintf(err, errlen, "cannot write: %s; cannot cut back the "
		    "part written: %s", strerror(e), strerror(errno));
		return MX_IOERR;
	}
	fdatasync(fd);
	return fail(err, errlen, MX_IOERR, "cannot write", e);
}

int
dmarc_history_append(const char *path, const char *s, size_t len, char *err,
    size_t errlen)
{
	struct stat	st;
	int		fd, rc, tries;

	if (len == 0)
		return 0;
	for (tries = 0;; tries++) {
		if ((fd = hist_open(path, err, errlen)) < 0)
			return MX_CANTCREAT;
		if ((rc = hist_lock(fd, err, errlen)) != 0) {
			close(fd);
			return rc;
		}
		/*
		 * Renamed between our open and our lock: the rotating job
		 * may be importing it already, so the record goes into the
		 * new file.
		 */
		if (still_there(fd, path))
			break;
		close(fd);
		if (tries == REOPEN_MAX) {
			snprintf(err, errlen, "renamed under us %d times",
			    REOPEN_MAX);
			return MX_TEMPFAIL;
		}
	}
	if (fstat(fd, &st) < 0) {
		rc = fail(err, errlen, MX_IOERR, "cannot stat", errno);
		close(fd);
		return rc;
	}
	rc = hist_write(fd, st.st_size, s, len, err, errlen);
	if (close(fd) < 0 && rc == 0)
		rc = fail(err, errlen, MX_IOERR, "cannot close", errno);
	return rc;
}

/* --- The failure report. --- */

#define REPORT_DEST	DMARC_URI_MAX

struct dest {
	char			 addr[320];	/* local@domain, checked */
	const char		*domain;	/* into addr */
	unsigned long long	 limit;		/* bytes, 0 for none */
	int			 on;		/* still addressed */
};

/* Whether any fo= option (RFC 7489 6.3) asks for a report of this one. */
static int
fo_wants(const struct dmarc_input *in, const struct dmarc_verdict *v)
{
	const char	*p = v->rec.fo[0] != '\0' ? v->rec.fo : "0";
	size_t		 i;
	int		 dkim_failed = 0, spf_failed;

	for (i = 0; i < in->ndkim; i++)
		if (in->dkim[i].status != DKIM_VPASS && !in->dkim[i].temperror)
			dkim_failed = 1;
	/* a permanent SPF verdict against the sender, not a DNS failure */
	spf_failed = in->spf == SPF_FAIL || in->spf == SPF_SOFTFAIL ||
	    in->spf == SPF_PERMERROR;
	for (; *p != '\0'; p++) {
		switch (*p) {
		case '0':	/* no mechanism gave an aligned pass */
			if (!v->align_spf && !v->align_dkim)
				return 1;
			break;
		case '1':	/* one of them gave none */
			if (!v->align_spf || !v->align_dkim)
				return 1;
			break;
		case 'd':
			if (dkim_failed)
				return 1;
			break;
		case 's':
			if (spf_failed)
				return 1;
			break;
		}
	}
	return 0;
}

static int
atext(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL;
}

/*
 * The one address of a mailto: URI (RFC 6068), %-escapes decoded, the
 * query left out, the domain lower-cased.  Only a plain local@domain is
 * taken: it goes into a To: field, where anything else could add a
 * recipient or a header field.  0, or -1 for anything else.
 */
static int
mailto_addr(const char *uri, struct dest *d)
{
	const char	*p;
	size_t		 n = 0, at = 0, i;
	int		 hi, lo, c, nat = 0;

	if (strncasecmp(uri, "mailto:", 7) != 0)
		return -1;
	for (p = uri + 7; *p != '\0' && *p != '?'; p++) {
		c = (unsigned char)*p;
		if (c == '%') {
			if ((hi = cli_hexval((unsigned char)p[1])) < 0 ||
			    (lo = cli_hexval((unsigned char)p[2])) < 0)
				return -1;
			c = hi * 16 + lo;
			p += 2;
		}
		if (c == '@') {
			nat++;
			at = n;
		} else if (nat == 0 ? !atext(c) : !(c == '-' || c == '.' ||
		    (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9')))
			return -1;
		if (n + 1 >= sizeof d->addr)
			return -1;
		d->addr[n++] = (char)c;
	}
	d->addr[n] = '\0';
	if (nat != 1 || at == 0 || at > 64 || n - at - 1 == 0 ||
	    n - at - 1 > 253 || d->addr[at + 1] == '.' ||
	    d->addr[n - 1] == '.' || strstr(d->addr + at, "..") != NULL)
		return -1;
	for (i = at + 1; i < n; i++)
		if (d->addr[i] >= 'A' && d->addr[i] <= 'Z')
			d->addr[i] += 'a' - 'A';
	d->domain = d->addr + at + 1;
	return 0;
}

/* Whether name is org or under it. */
static int
within(const char *name, const char *org)
{
	size_t	n = strlen(name), o = strlen(org);

	if (o == 0)
		return 0;
	return strcasecmp(name, org) == 0 || (n > o && name[n - o - 1] ==
	    '.' && strcasecmp(name + n - o, org) == 0);
}

/* Whether a TXT record starts v=DMARC1 (FWS allowed round the '='). */
static int
dmarc1(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s++ != 'v')
		return 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if (*s++ != '=')
		return 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if (strncmp(s, "DMARC1", 6) != 0)
		return 0;
	s += 6;
	while (*s == ' ' || *s == '\t')
		s++;
	return *s == '\0' || *s == ';';
}

/*
 * The ruf= of an authorising record (RFC 7489 7.1 step 8), read by the
 * policy record's own parser.  0, or -1 when it has none.
 */
static int
auth_ruf(const char *txt, struct dmarc_record *over)
{
	struct tvlist	 tl;
	const struct tv	*t;
	const char	*why;
	char		 rec[1024], err[128];
	int		 n;

	if (tv_parse(txt, strlen(txt), &tl, &why) < 0 ||
	    (t = tv_get(&tl, "ruf")) == NULL)
		return -1;
	n = snprintf(rec, sizeof rec, "v=DMARC1; p=none; ruf=%.*s",
	    (int)t->vallen, t->val);
	if (n < 0 || (size_t)n >= sizeof rec ||
	    dmarc_record_parse(rec, (size_t)n, over, err, sizeof err) < 0 ||
	    over->nruf == 0)
		return -1;
	return 0;
}

/*
 * RFC 7489 7.1: a destination outside the policy domain's organizational
 * domain takes reports only when it says so at
 * POLICY-DOMAIN._report._dmarc.DESTINATION, whose ruf=, if any, goes into
 * *over.  A destination under the organizational domain is taken as
 * inside it (a private suffix below an organizational domain would need
 * the public suffix list here).  A DNS failure authorises nothing: the
 * report is a courtesy, not worth a retry.
 */
static int
dest_allowed(struct dns *dns, const struct dmarc_verdict *v,
    const struct dest *d, struct dmarc_record *over)
{
	const char	*org = v->org_domain[0] != '\0' ? v->org_domain :
			    v->used_domain;
	const char	*pol = v->record_domain[0] != '\0' ?
			    v->record_domain : v->used_domain;
	char		 name[600], why[256];
	char		**txt;
	size_t		 n, i;
	int		 ok = 0;

	over->nruf = 0;
	if (within(d->domain, org))
		return 1;
	if (dns == NULL || (size_t)snprintf(name, sizeof name,
	    "%s._report._dmarc.%s", pol, d->domain) >= sizeof name ||
	    strlen(name) > 253)
		return 0;
	if (dns_txt(dns, name, &txt, &n, why, sizeof why) != DNS_OK)
		return 0;
	for (i = 0; i < n; i++)
		if (dmarc1(txt[i]) && !ok++ && auth_ruf(txt[i], over) < 0)
			over->nruf = 0;
	dns_txt_free(txt, n);
	return ok;
}

/* Add a destination (its address not there yet) to d. */
static void
dest_put(struct dest *d, size_t *nd, const struct dest *s)
{
	size_t	i;

	for (i = 0; i < *nd; i++)
		if (strcasecmp(d[i].addr, s->addr) == 0)
			return;
	if (*nd == REPORT_DEST)
		return;
	d[*nd] = *s;
	d[*nd].domain = d[*nd].addr + (s->domain - s->addr);
	d[*nd].on = 1;
	(*nd)++;
}

/*
 * The destinations of ruf= URI u into d: its address, or those that the
 * destination's authorising record names in its place, as long as they
 * name the same host (RFC 7489 7.1: no loops, no indirect abuse).
 */
static void
dest_add(struct dns *dns, const struct dmarc_verdict *v,
    const struct dmarc_uri *u, struct dest *d, size_t *nd)
{
	struct dmarc_record	*over;
	struct dest		 orig, o;
	size_t			 i, added = 0;

	memset(&orig, 0, sizeof orig);
	if (mailto_addr(u->uri, &orig) < 0 ||
	    (over = calloc(1, sizeof *over)) == NULL)
		return;
	if (dest_allowed(dns, v, &orig, over)) {
		for (i = 0; i < over->nruf; i++) {
			memset(&o, 0, sizeof o);
			if (mailto_addr(over->ruf[i].uri, &o) < 0 ||
			    strcmp(o.domain, orig.domain) != 0)
				continue;
			o.limit = over->ruf[i].limit;
			dest_put(d, nd, &o);
			added++;
		}
		if (added == 0) {
			orig.limit = u->limit;
			dest_put(d, nd, &orig);
		}
	}
	free(over);
}

static const char *
rfc5322_date(time_t t, char *buf, size_t size)
{
	static const char *const day[] = {
		"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"
	};
	static const char *const mon[] = {
		"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
		"Oct", "Nov", "Dec"
	};
	struct tm	tm;

	if (gmtime_r(&t, &tm) == NULL)
		memset(&tm, 0, sizeof tm);
	snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d +0000",
	    day[tm.tm_wday % 7], tm.tm_mday, mon[tm.tm_mon % 12],
	    tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
	return buf;
}

static const char *
dmarc_ar_word(enum dmarc_status s)
{
	switch (s) {
	case DMARC_ACCEPT:
		return "pass";
	case DMARC_REJECT:
	case DMARC_QUARANTINE:
	case DMARC_NONE:
		return "fail";
	case DMARC_TEMPERROR:
		return "temperror";
	default:
		return "none";
	}
}

/* The Authentication-Results field of the feedback report. */
static int
report_ar(struct buf *b, const char *reporter, const struct dmarc_input *in,
    const struct dmarc_verdict *v)
{
	const char	*dis;
	size_t		 i;

	dis = v->disposition == DMARC_P_REJECT ? "reject" :
	    v->disposition == DMARC_P_QUARANTINE ? "quarantine" : "none";
	if (buf_addstr(b, "Authentication-Results: ") < 0 ||
	    add_safe(b, reporter, HIST_NAME, hdr_ok) < 0 ||
	    bprintf(b, ";\n\tdmarc=%s (p=%s dis=%s) header.from=",
	    dmarc_ar_word(v->status), v->policy == DMARC_P_REJECT ? "reject" :
	    v->policy == DMARC_P_QUARANTINE ? "quarantine" : "none", dis) < 0 ||
	    add_safe(b, v->used_domain, HIST_NAME, hdr_ok) < 0)
		return -1;
	if (in->spf_domain != NULL && *in->spf_domain != '\0' &&
	    (bprintf(b, ";\n\tspf=%s smtp.%s=", ares_word(spf_ares(in->spf)),
	    in->spf_helo ? "helo" : "mailfrom") < 0 ||
	    add_safe(b, in->spf_domain, HIST_NAME, hdr_ok) < 0))
		return -1;
	for (i = 0; i < in->ndkim && i < DKIM_VERIFY_MAX; i++) {
		const struct dmarc_dkim	*d = &in->dkim[i];

		if (bprintf(b, ";\n\tdkim=%s header.d=",
		    ares_word(dkim_ares(d))) < 0 ||
		    add_safe(b, d->domain, HIST_NAME, hdr_ok) < 0 ||
		    (d->selector != NULL && *d->selector != '\0' &&
		    (buf_addstr(b, " header.s=") < 0 ||
		    add_safe(b, d->selector, HIST_NAME, hdr_ok) < 0)))
			return -1;
	}
	return buf_addstr(b, "\n");
}

/* The message's own header fields, line ends made LF as the report's. */
static int
report_headers(struct buf *b, struct msg *m)
{
	const struct msg_hdr	*h;
	size_t			 k, i, from;

	for (k = 0; k < msg_nhdrs(m); k++) {
		h = msg_hdr(m, k);
		if (h->added)
			continue;
		for (i = from = 0; i < h->len; i++)
			if (h->raw[i] == '\r' && i + 1 < h->len &&
			    h->raw[i + 1] == '\n') {
				if (buf_add(b, h->raw + from, i - from) < 0)
					return -1;
				from = i + 1;
			}
		if (buf_add(b, h->raw + from, h->len - from) < 0)
			return -1;
		if (h->len == 0 || h->raw[h->len - 1] != '\n')
			if (buf_addstr(b, "\n") < 0)
				return -1;
	}
	return 0;
}

struct report {
	struct msg			*m;
	const struct dmarc_input	*in;
	const struct dmarc_verdict	*v;
	const struct dmarc_facts	*f;
	const char			*sender;
	const char			*reporter;
	const char			*msgid;
	struct buf			 hdrs;		/* the message's */
	char				 boundary[64];
	int				 eightbit;
};

/* The whole report, addressed to the destinations still on. */
static int
report_build(struct buf *b, const struct report *r, const struct dest *d,
    size_t nd)
{
	const struct dmarc_input	*in = r->in;
	const struct dmarc_verdict	*v = r->v;
	char				 date[64];
	size_t				 i;
	int				 first = 1;

	rfc5322_date(r->f->received, date, sizeof date);
	if (buf_addstr(b, "From: ") < 0 ||
	    add_safe(b, r->sender, 320, hdr_ok) < 0 ||
	    buf_addstr(b, "\nTo: ") < 0)
		return -1;
	for (i = 0; i < nd; i++) {
		if (!d[i].on)
			continue;
		if (bprintf(b, "%s%s", first ? "" : ",\n\t", d[i].addr) < 0)
			return -1;
		first = 0;
	}
	if (buf_addstr(b, "\nSubject: DMARC failure report for ") < 0 ||
	    add_safe(b, v->used_domain, HIST_NAME, hdr_ok) < 0 ||
	    bprintf(b, "\nDate: %s\nMessage-ID: <%s>\n"
	    "Auto-Submitted: auto-generated\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=feedback-report;\n"
	    "\tboundary=\"%s\"\n\n"
	    "This is a DMARC failure report (RFC 7489, RFC 6591).\n\n"
	    "--%s\nContent-Type: text/plain; charset=us-ascii\n\n"
	    "A message from ", date, r->msgid, r->boundary, r->boundary) < 0 ||
	    add_safe(b, in->ip, INET6_ADDRSTRLEN, hdr_ok) < 0 ||
	    buf_addstr(b, " with a From domain of ") < 0 ||
	    add_safe(b, v->used_domain, HIST_NAME, hdr_ok) < 0 ||
	    buf_addstr(b, "\nfailed a check that the domain's DMARC record "
	    "asks reports of (fo=") < 0 ||
	    add_safe(b, v->rec.fo[0] != '\0' ? v->rec.fo : "0", sizeof
	    v->rec.fo, hist_ok) < 0 ||
	    bprintf(b, ").\nDMARC: %s; SPF aligned: %s; DKIM aligned: %s.\n\n",
	    dmarc_ar_word(v->status), v->align_spf ? "yes" : "no",
	    v->align_dkim ? "yes" : "no") < 0)
		return -1;
	if (bprintf(b, "--%s\nContent-Type: message/feedback-report\n\n"
	    "Feedback-Type: auth-failure\nUser-Agent: mxkit/%s\nVersion: 1\n"
	    "Auth-Failure: dmarc\n", r->boundary, PACKAGE_VERSION) < 0 ||
	    report_ar(b, r->reporter, in, v) < 0 ||
	    bprintf(b, "Identity-Alignment: %s\nArrival-Date: %s\n",
	    v->align_dkim && v->align_spf ? "dkim, spf" : v->align_dkim ?
	    "dkim" : v->align_spf ? "spf" : "none", date) < 0 ||
	    buf_addstr(b, "Source-IP: ") < 0 ||
	    add_safe(b, in->ip, INET6_ADDRSTRLEN, hdr_ok) < 0 ||
	    buf_addstr(b, "\nReported-Domain: ") < 0 ||
	    add_safe(b, v->used_domain, HIST_NAME, hdr_ok) < 0 ||
	    bprintf(b, "\n\n--%s\nContent-Type: text/rfc822-headers\n%s\n",
	    r->boundary, r->eightbit ? "Content-Transfer-Encoding: 8bit\n" :
	    "") < 0 ||
	    buf_add(b, r->hdrs.p, r->hdrs.len) < 0 ||
	    bprintf(b, "\n--%s--\n", r->boundary) < 0)
		return -1;
	return 0;
}

int
dmarc_forensic(struct buf *b, struct msg *m, struct dns *dns,
    const struct dmarc_input *in, const struct dmarc_verdict *v,
    const struct dmarc_facts *f, const char *sender)
{
	struct dest	 d[REPORT_DEST];
	struct report	 r;
	struct buf	 t = { 0 };
	char		 host[256], from[320], job[64], msgid[400];
	size_t		 nd = 0, i, on;
	unsigned	 salt;
	int		 dropped, rc = -1;

	if (!v->have_record || v->rec.nruf == 0 || in->ip == NULL)
		return 0;
	if (v->status != DMARC_ACCEPT && v->status != DMARC_REJECT &&
	    v->status != DMARC_QUARANTINE && v->status != DMARC_NONE)
		return 0;
	if (!fo_wants(in, v))
		return 0;
	for (i = 0; i < v->rec.nruf && i < DMARC_URI_MAX; i++)
		dest_add(dns, v, &v->rec.ruf[i], d, &nd);
	if (nd == 0)
		return 0;

	memset(&r, 0, sizeof r);
	r.m = m, r.in = in, r.v = v, r.f = f;
	r.reporter = reporter_of(f, host, sizeof host);
	if (sender == NULL || *sender == '\0') {
		snprintf(from, sizeof from, "postmaster@%s", r.reporter);
		sender = from;
	}
	r.sender = sender;
	snprintf(msgid, sizeof msgid, "dmarc.%s@%s", job_of(f, job,
	    sizeof job), r.reporter);
	for (i = 0; msgid[i] != '\0'; i++)
		if (!hdr_ok((unsigned char)msgid[i]))
			msgid[i] = '_';
	r.msgid = msgid;
	if (report_headers(&r.hdrs, m) < 0)
		goto out;
	for (i = 0; i < r.hdrs.len; i++)
		if ((unsigned char)r.hdrs.p[i] >= 0x80)
			r.eightbit = 1;
	/* RFC 2046 5.1.1: the boundary occurs in no part */
	for (salt = (unsigned)getpid();; salt++) {
		snprintf(r.boundary, sizeof r.boundary, "=_mxkit_%lld_%u",
		    (long long)f->received, salt);
		if (r.hdrs.len == 0 || memmem(r.hdrs.p, r.hdrs.len, r.boundary,
		    strlen(r.boundary)) == NULL)
			break;
	}

	/*
	 * RFC 7489 6.2: a destination whose !size the report exceeds gets
	 * none.  Fewer addresses make a shorter report, so drop and
	 * rebuild until every one left takes it.
	 */
	do {
		t.len = 0;
		if (report_build(&t, &r, d, nd) < 0)
			goto out;
		dropped = 0;
		for (i = on = 0; i < nd; i++) {
			if (d[i].on && d[i].limit != 0 && t.len > d[i].limit) {
				d[i].on = 0;
				dropped = 1;
			}
			on += d[i].on;
		}
	} while (dropped && on > 0);
	if (on == 0) {
		rc = 0;
		goto out;
	}
	if (buf_add(b, t.p, t.len) < 0)
		goto out;
	rc = 1;
out:
	buf_free(&t);
	buf_free(&r.hdrs);
	return rc;
}
