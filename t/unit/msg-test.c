/* Unit tests of common/msg.c, printed as TAP. */
#include "config.h"

#include <sys/mman.h>
#include <sys/stat.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "msg.h"
#include "tap.h"

static char	err[256];

#define PARSE(text, membody, step) parse(text, strlen(text), membody, step)

static struct msg *
parse(const char *text, size_t len, size_t membody, size_t step)
{
	struct msg	*m = msg_new(membody);
	size_t		 off = 0;

	while (off < len) {
		size_t	k = len - off < step ? len - off : step;

		if (msg_feed(m, text + off, k, err, sizeof err) != 0)
			break;
		off += k;
	}
	if (msg_end(m, err, sizeof err) != 0) {
		msg_free(m);
		return NULL;
	}
	return m;
}

/* What msg_write gives back, in a malloc'd buffer. */
static char *
written(struct msg *m, size_t *len)
{
	int	 fd = memfd_create("t", 0);
	char	*buf;

	if (fd < 0 || msg_write(m, fd, err, sizeof err) != 0)
		return NULL;
	*len = lseek(fd, 0, SEEK_CUR);
	buf = malloc(*len + 1);
	if (pread(fd, buf, *len, 0) != (ssize_t)*len)
		return NULL;
	close(fd);
	return buf;
}

static void
roundtrip(const char *name, const char *text, size_t membody)
{
	size_t	 len = strlen(text), got;
	size_t	 steps[] = { 1, 7, 65536 };

	for (size_t i = 0; i < 3; i++) {
		struct msg	*m = parse(text, len, membody, steps[i]);
		char		*back = m ? written(m, &got) : NULL;

		ok(back != NULL && got == len && memcmp(back, text, len) == 0,
		    "%s: byte for byte, fed %zu at a time", name, steps[i]);
		free(back);
		msg_free(m);
	}
}

static void
test_fields(void)
{
	const char	*t = "From: a@example.org\r\n"
	    "Subject: one\r\n  two\r\n"
	    "X-Blank  : v\r\n"
	    "subject: again\r\n"
	    "\r\n"
	    "body\r\n";
	struct msg		*m = parse(t, strlen(t), 1024, 3);
	const struct msg_hdr	*h;
	const char		*v;
	size_t			 vl;

	ok(m != NULL, "CRLF message parses");
	ok(msg_crlf(m), "CRLF line ends are seen");
	ok(msg_nhdrs(m) == 4, "four fields (a fold is part of its field)");
	h = msg_find(m, "SUBJECT", 0);
	v = h ? msg_hdr_value(h, &vl) : NULL;
	is_mem(v, vl, " one\r\n  two\r\n", 13,
	    "case-insensitive lookup gives the folded value as read");
	h = msg_find(m, "subject", 1);
	ok(h != NULL && h->raw == msg_hdr(m, 3)->raw, "the second Subject");
	ok(msg_find(m, "subject", 2) == NULL, "no third Subject");
	h = msg_find(m, "x-blank", 0);
	ok(h != NULL && h->namelen == 7, "blanks before the colon are not "
	    "part of the name");
	ok(msg_body_size(m) == 6, "body size");
	ok(msg_prepend(m, "ARC-Seal: i=1\r\n", 15) == 0 &&
	    msg_prepend(m, "Authentication-Results: x; none\r\n", 33) == 0,
	    "prepend two fields");
	ok(msg_nhdrs(m) == 6 && msg_hdr(m, 0)->added &&
	    strncmp(msg_hdr(m, 0)->raw, "Authentication-Results", 22) == 0,
	    "the newest prepended field comes first");
	ok(msg_find(m, "arc-seal", 0) == msg_hdr(m, 1), "prepended fields "
	    "are found");
	{
		size_t	 n;
		char	*w = written(m, &n);

		ok(w != NULL && n == strlen(t) + 48 &&
		    memcmp(w, "Authentication-Results: x; none\r\n"
		    "ARC-Seal: i=1\r\nFrom:", 53) == 0 &&
		    memcmp(w + 48, t, strlen(t)) == 0,
		    "written with the new fields on top, the rest unchanged");
		free(w);
	}
	msg_free(m);
}

static void
test_shapes(void)
{
	struct msg	*m;
	char		 buf[100];
	ssize_t		 r;

	m = PARSE("Subject: x\nnot a header\nmore\n", 1024, 5);
	ok(m && msg_nhdrs(m) == 1 && msg_body_size(m) == 18,
	    "a line that is no field starts the body");
	msg_free(m);
	m = PARSE("From sender@example.org Mon Jan  1 00:00:00 2024\n"
	    "To: b@example.org\n\nhi\n", 1024, 4);
	ok(m && msg_nhdrs(m) == 1 && !msg_crlf(m) && msg_body_size(m) == 3,
	    "a leading mbox From line is kept apart");
	msg_free(m);
	m = PARSE("To: b@example.org", 1024, 100);
	ok(m && msg_nhdrs(m) == 1 && msg_body_size(m) == 0,
	    "a last field without a line end");
	msg_free(m);
	m = PARSE("", 1024, 1);
	ok(m && msg_nhdrs(m) == 0 && msg_size(m) == 0, "an empty message");
	msg_free(m);
	m = PARSE(" folded first\nTo: x\n", 1024, 1);
	ok(m && msg_nhdrs(m) == 0 && msg_body_size(m) == 20,
	    "a continuation line with no field before it is body");
	msg_free(m);
	m = PARSE("A: 1\n\nline one\nline two\n", 4, 3);
	ok(m && msg_spooled(m), "a body past the bound goes to the spool");
	msg_body_rewind(m);
	r = msg_body_read(m, buf, sizeof buf);
	is_mem(buf, (size_t)r, "line one\nline two\n", 18,
	    "the spooled body reads back");
	ok(msg_body_read(m, buf, sizeof buf) == 0, "then end of body");
	msg_free(m);
}

static void
test_limits(void)
{
	size_t		 n = MSG_HDR_MAX + 100;
	char		*big = malloc(n);
	struct msg	*m = msg_new(1024);
	int		 rc;

	memcpy(big, "X-Big: ", 7);
	memset(big + 7, 'a', n - 7);
	rc = msg_feed(m, big, n, err, sizeof err);
	ok(rc == MX_DATAERR, "a header section past the limit is refused");
	ok(strstr(err, "header section") != NULL, "with a reason: %s", err);
	msg_free(m);
	free(big);
}

/* The file at dir/name, in a malloc'd buffer (NUL-terminated), or NULL. */
static char *
slurp(const char *dir, const char *name)
{
	char	 path[512], *buf;
	FILE	*f;
	long	 n;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, n + 1);
	if (fread(buf, 1, n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

/* How many names in dir start with a dot (temporary files), "." and ".."
 * aside, and how many do not. */
static void
count(const char *dir, int *hidden, int *shown)
{
	DIR		*d = opendir(dir);
	struct dirent	*e;

	*hidden = *shown = 0;
	while (d != NULL && (e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			(*(e->d_name[0] == '.' ? hidden : shown))++;
	if (d != NULL)
		closedir(d);
}

static void
note_fail(void *arg, const char *why)
{
	snprintf(arg, sizeof err, "%s", why);
}

static void
test_files(void)
{
	const char		*t1 = "From: a\n\none\n", *t2 = "From: b\n\ntwo\n";
	char			 dir[] = "/tmp/msg-test.XXXXXX", sub[64],
				*got = NULL, why[sizeof err] = "";
	struct msg		*m1 = PARSE(t1, 1024, 64), *m2 = PARSE(t2, 1024, 64);
	struct msg_batch	*b;
	int			 hidden, shown;

	if (mkdtemp(dir) == NULL) {
		ok(0, "a temporary directory");
		return;
	}
	ok(msg_write_file(m1, dir, "m", err, sizeof err) == 0 &&
	    (got = slurp(dir, "m")) != NULL && strcmp(got, t1) == 0,
	    "msg_write_file writes the message under its name");
	free(got);
	got = NULL;
	ok(msg_write_file(m2, dir, "m", err, sizeof err) == 0 &&
	    (got = slurp(dir, "m")) != NULL && strcmp(got, t2) == 0,
	    "msg_write_file replaces what was there");
	free(got);
	got = NULL;
	ok(msg_write_file(m1, "/nonexistent", "m", err, sizeof err) ==
	    MX_CANTCREAT && strstr(err, "/nonexistent") != NULL,
	    "msg_write_file into no directory: MX_CANTCREAT: %s", err);

	/* A batch given up before its commit leaves nothing. */
	b = msg_batch_new(dir, err, sizeof err);
	ok(b != NULL && msg_batch_add(b, m1, "x", "in/x", err,
	    sizeof err) == 0, "a batch: a message added");
	count(dir, &hidden, &shown);
	ok(hidden == 1 && shown == 1, "added: a temporary file, no name yet");
	msg_batch_free(b);
	count(dir, &hidden, &shown);
	ok(hidden == 0 && shown == 1 && slurp(dir, "x") == NULL,
	    "a batch freed uncommitted: its temporary file gone");

	/* One name taken by a directory: the others are written. */
	snprintf(sub, sizeof sub, "%s/y", dir);
	mkdir(sub, 0700);
	b = msg_batch_new(dir, err, sizeof err);
	ok(msg_batch_add(b, m1, "x", "in/x", err, sizeof err) == 0 &&
	    msg_batch_add(b, m2, "y", "in/y", err, sizeof err) == 0 &&
	    msg_batch_add(b, m2, "z", "in/z", err, sizeof err) == 0,
	    "a batch of three added");
	ok(msg_batch_commit(b, note_fail, why) == MX_CANTCREAT,
	    "its commit: MX_CANTCREAT for the name taken");
	ok(strncmp(why, "cannot write 'in/y' to '", 24) == 0 &&
	    strstr(why, "/y': Is a directory") != NULL, "the reason: %s", why);
	msg_batch_free(b);
	count(dir, &hidden, &shown);
	got = slurp(dir, "z");
	ok(hidden == 0 && shown == 4 && got != NULL && strcmp(got, t2) == 0,
	    "the others written, no temporary file left");
	free(got);
	rmdir(sub);
	for (const char *n = "mxz"; *n != '\0'; n++) {
		snprintf(sub, sizeof sub, "%s/%c", dir, *n);
		unlink(sub);
	}
	rmdir(dir);
	msg_free(m1);
	msg_free(m2);
}

int
main(void)
{
	char	*large;
	size_t	 n = 3 * 1024 * 1024;

	roundtrip("LF message", "From: a@example.org\nSubject: s\n\nbody\n",
	    1024);
	roundtrip("CRLF message", "From: a\r\n\r\nbody\r\n\r\n", 1024);
	roundtrip("no body", "From: a\r\nTo: b\r\n", 1024);
	roundtrip("blank line only", "From: a\n\n", 1024);
	roundtrip("mixed ends and bare CR", "A: 1\r\nB: 2\n\rC\n\nx\ry\r\n", 4);
	roundtrip("body without final newline", "A: 1\n\nno newline", 2);
	roundtrip("no header at all", "\nbody only\n", 1024);
	large = malloc(n + 1);
	memcpy(large, "Subject: big\n\n", 14);
	for (size_t i = 14; i < n; i++)
		large[i] = i % 61 == 60 ? '\n' : 'a' + i % 26;
	large[n] = '\0';
	roundtrip("3 MB body through the spool", large, 65536);
	free(large);
	test_fields();
	test_shapes();
	test_limits();
	test_files();
	return done_testing();
}
