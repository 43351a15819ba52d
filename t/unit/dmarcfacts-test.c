/*
 * Unit tests of common/dmarcfacts.c (and the value builder of authres.c
 * and msg_write_bytes() it is written with), printed as TAP; run by
 * t/56-dmarcfacts.t.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "authres.h"
#include "cli.h"
#include "dmarcfacts.h"
#include "msg.h"
#include "tap.h"

static struct msg *
message(const char *text)
{
	struct msg	*m;
	char		 err[256];

	if ((m = msg_new(MSG_MEM_DEFAULT)) == NULL ||
	    msg_feed(m, text, strlen(text), err, sizeof err) != 0 ||
	    msg_end(m, err, sizeof err) != 0)
		abort();
	return m;
}

/* The value as authres_add_value() writes it, in a static string. */
static const char *
value(const char *v)
{
	static char	 s[256];
	struct buf	 b = { 0 };

	if (authres_add_value(&b, v) < 0 || buf_add(&b, "", 1) < 0)
		abort();
	snprintf(s, sizeof s, "%s", b.p);
	buf_free(&b);
	return s;
}

static void
test_value(void)
{
	ok(strcmp(value("example.com"), "example.com") == 0,
	    "value: a domain bare");
	ok(strcmp(value("alice@example.com"), "alice@example.com") == 0,
	    "value: an addr-spec of atext bare");
	ok(strcmp(value("odd user@example.com"),
	    "\"odd user@example.com\"") == 0,
	    "value: a blank makes a quoted-string");
	ok(strcmp(value("a\"b\\c"), "\"a\\\"b\\\\c\"") == 0,
	    "value: '\"' and '\\' escaped in it");
	ok(strcmp(value("a@b@c"), "\"a@b@c\"") == 0,
	    "value: two '@' quoted");
	ok(strcmp(value("x;y"), "\"x;y\"") == 0,
	    "value: a ';' quoted, or it would end the resinfo");
	ok(strcmp(value(""), "\"\"") == 0, "value: empty is \"\"");
}

/* Facts and a verdict as dmarc-check has them for one message. */
static void
sample(struct dmarcfacts *f, struct dmarc_verdict *v)
{
	memset(f, 0, sizeof *f);
	memset(v, 0, sizeof *v);
	f->spf.result = SPF_FAIL;
	f->spf_have = 1;
	snprintf(f->mfrom, sizeof f->mfrom, "odd user@example.com");
	snprintf(f->spf_domain, sizeof f->spf_domain, "example.com");
	if ((f->sigs = calloc(2, sizeof *f->sigs)) == NULL)
		abort();
	f->nsigs = 2;
	f->sigs[0].status = DKIM_VPASS;
	snprintf(f->sigs[0].domain, sizeof f->sigs[0].domain, "example.com");
	snprintf(f->sigs[0].selector, sizeof f->sigs[0].selector, "sel");
	snprintf(f->sigs[0].b, sizeof f->sigs[0].b, "Ab+/cD");
	f->sigs[1].status = DKIM_VINVALID;
	f->sigs[1].temperror = 1;
	snprintf(f->sigs[1].domain, sizeof f->sigs[1].domain, "b.example");
	v->status = DMARC_REJECT;
	v->have_record = 1;
	v->policy = DMARC_P_REJECT;
	v->disposition = DMARC_P_REJECT;
	snprintf(v->used_domain, sizeof v->used_domain, "example.com");
}

static void
test_field(void)
{
	struct dmarcfacts	 f, g;
	struct dmarc_verdict	 v;
	struct arc_result	 arc;
	struct buf		 b = { 0 };
	struct msg		*m;
	static const char	 want[] =
	    "Authentication-Results: mx.example.net;\r\n"
	    "\tspf=fail smtp.mailfrom=\"odd user@example.com\";\r\n"
	    "\tdkim=pass header.d=example.com header.s=sel "
	    "header.b=\"Ab+/cD\";\r\n"
	    "\tdkim=temperror header.d=b.example;\r\n"
	    "\tdmarc=fail (p=reject dis=reject) header.from=example.com;\r\n"
	    "\tarc=pass\r\n";

	sample(&f, &v);
	memset(&arc, 0, sizeof arc);
	arc.state = ARC_PASS;
	ok(dmarcfacts_ar_field(&b, "\r\n", "mx.example.net", &f, &v, "",
	    &arc) == 0, "field: built");
	is_mem(b.p, b.len, want, sizeof want - 1,
	    "field: RFC 8601 form, folded per result with the eol given");

	/* What we write, we read back as ours: the same facts. */
	if (buf_addstr(&b, "From: a@example.com\r\n\r\nbody\r\n") < 0 ||
	    buf_add(&b, "", 1) < 0)
		abort();
	m = message(b.p);
	memset(&g, 0, sizeof g);
	ok(dmarcfacts_from_authres(m, "mx.example.net", &g, 1, 1) == 1,
	    "field read back: found");
	ok(g.spf_have && g.spf.result == SPF_FAIL &&
	    strcmp(g.mfrom, "odd user@example.com") == 0 &&
	    strcmp(g.spf_domain, "example.com") == 0 && !g.spf_helo,
	    "field read back: spf fail, the quoted smtp.mailfrom unquoted");
	ok(g.nsigs == 2 && g.sigs[0].status == DKIM_VPASS &&
	    strcmp(g.sigs[0].domain, "example.com") == 0 &&
	    strcmp(g.sigs[0].selector, "sel") == 0 &&
	    strcmp(g.sigs[0].b, "Ab+/cD") == 0 &&
	    g.sigs[1].status == DKIM_VINVALID && g.sigs[1].temperror &&
	    strcmp(g.sigs[1].domain, "b.example") == 0,
	    "field read back: both signatures, temperror kept");
	dmarcfacts_free(&g);
	msg_free(m);
	buf_free(&b);

	v.status = DMARC_OFF;
	f.nsigs = 0;
	f.spf_helo = 1;
	snprintf(f.spf_domain, sizeof f.spf_domain, "mail.example.com");
	ok(dmarcfacts_ar_field(&b, "\n", "mx", &f, &v, "", NULL) == 0 &&
	    buf_add(&b, "", 1) == 0 && strcmp(b.p,
	    "Authentication-Results: mx;\n"
	    "\tspf=fail smtp.helo=mail.example.com;\n"
	    "\tdkim=none\n") == 0,
	    "field: smtp.helo, dkim=none, no dmarc= when off, no arc=");
	buf_free(&b);
	dmarcfacts_free(&f);

	memset(&v, 0, sizeof v);
	v.status = DMARC_NOFROM;
	ok(dmarcfacts_ar_dmarc(&b, &v, "several From fields") == 0 &&
	    buf_add(&b, "", 1) == 0 &&
	    strcmp(b.p, "dmarc=permerror (several From fields)") == 0,
	    "dmarc=: nofrom says why, no header.from");
	buf_free(&b);
	v.status = DMARC_ACCEPT;
	v.have_record = 1;
	v.policy = DMARC_P_QUARANTINE;
	v.disposition = DMARC_P_QUARANTINE;
	snprintf(v.used_domain, sizeof v.used_domain, "example.org");
	ok(dmarcfacts_ar_dmarc(&b, &v, "") == 0 && buf_add(&b, "", 1) == 0 &&
	    strcmp(b.p, "dmarc=pass (p=quarantine dis=none) "
	    "header.from=example.org") == 0, "dmarc=: a pass is dis=none");
	buf_free(&b);
}

static const char forged[] =
    "Authentication-Results: mx.example.net.evil.example;\n"
    "\tspf=pass smtp.mailfrom=evil.example;\n"
    "\tdkim=pass header.d=evil.example\n"
    "Authentication-Results: mx.example.org; spf=pass\n"
    "Authentication-Results: MX.Example.NET (ours);\n"
    "\tspf=softfail smtp.mailfrom=Bob@Example.COM;\n"
    "\tdkim=pass header.d=Example.COM header.s=s1;\n"
    "\tdkim=permerror header.i=@B.example;\n"
    "\tdkim=none\n"
    "Authentication-Results: mx.example.net; spf=pass smtp.helo=x;\n"
    "\tdkim=pass header.d=older.example\n"
    "From: a@example.com\n"
    "\n"
    "body\n";

/* SPF and DKIM each in a field of ours, as two milters write them. */
static const char apart[] =
    "Authentication-Results: mx.example.net; spf=fail "
    "smtp.mailfrom=a@example.org\n"
    "Authentication-Results: mx.example.net; none\n"
    "Authentication-Results: mx.example.net;\n"
    "\tdkim=pass header.d=example.com header.s=s1\n"
    "Authentication-Results: mx.example.net; spf=pass "
    "smtp.mailfrom=b@example.com;\n"
    "\tdkim=pass header.d=older.example\n"
    "From: a@example.com\n"
    "\n"
    "body\n";

static void
test_apart(void)
{
	struct dmarcfacts	 f;
	struct buf		 b = { 0 };
	struct msg		*m;

	m = message(apart);
	memset(&f, 0, sizeof f);
	ok(dmarcfacts_from_authres(m, "mx.example.net", &f, 1, 1) == 1 &&
	    f.spf_have && f.spf.result == SPF_FAIL &&
	    strcmp(f.spf_domain, "example.org") == 0 && f.nsigs == 1 &&
	    strcmp(f.sigs[0].domain, "example.com") == 0 &&
	    f.sigs[0].status == DKIM_VPASS,
	    "reader: spf= and dkim= from two fields of ours, each the "
	    "topmost that has it, the older ones not read");
	dmarcfacts_free(&f);
	msg_free(m);

	ok(authres_add_value(&b, "a\r\nX-Injected: yes\n@example.com") == 0 &&
	    buf_add(&b, "", 1) == 0 &&
	    strcmp(b.p, "\"a__X-Injected: yes_@example.com\"") == 0,
	    "value: line ends and controls become _, inside quotes");
	b.len = 0;
	ok(authres_add_value(&b, "user+tag@example.com") == 0 &&
	    buf_add(&b, "", 1) == 0 &&
	    strcmp(b.p, "user+tag@example.com") == 0,
	    "value: an address of tokens is bare");
	b.len = 0;
	ok(authres_add_value(&b, "a=b") == 0 && buf_add(&b, "", 1) == 0 &&
	    strcmp(b.p, "\"a=b\"") == 0, "value: '=' (a tspecial) is quoted");
	buf_free(&b);
}

static void
test_reader(void)
{
	struct dmarcfacts	 f;
	struct msg		*m;

	m = message(forged);
	memset(&f, 0, sizeof f);
	ok(dmarcfacts_from_authres(m, "mx.example.net", &f, 1, 1) == 1,
	    "reader: ours found below a forged one");
	ok(f.spf.result == SPF_SOFTFAIL && strcmp(f.mfrom,
	    "Bob@Example.COM") == 0 &&
	    strcmp(f.spf_domain, "example.com") == 0 &&
	    strcmp(f.mfrom_domain, "example.com") == 0,
	    "reader: spf of ours (authserv-id compared without case), not "
	    "the forged pass of another authserv-id");
	ok(f.nsigs == 2 && strcmp(f.sigs[0].domain, "example.com") == 0 &&
	    strcmp(f.sigs[0].selector, "s1") == 0 &&
	    f.sigs[0].status == DKIM_VPASS &&
	    strcmp(f.sigs[1].domain, "b.example") == 0 &&
	    f.sigs[1].status == DKIM_VINVALID && !f.sigs[1].temperror,
	    "reader: dkim of ours only, header.i's domain, dkim=none no "
	    "signature, the older field of ours not read");
	ok(dmarcfacts_dkim(&f) == 0 && f.nsigs == 2 &&
	    f.dd[0].domain == f.sigs[0].domain &&
	    strcmp(f.dd[0].selector, "s1") == 0 && f.dd[1].selector == NULL,
	    "reader: dd for dmarc_evaluate");
	dmarcfacts_free(&f);

	memset(&f, 0, sizeof f);
	ok(dmarcfacts_from_authres(m, "mx.example.com", &f, 1, 1) == 0 &&
	    !f.spf_have && f.nsigs == 0,
	    "reader: no field of ours, nothing taken from the others");
	memset(&f, 0, sizeof f);
	ok(dmarcfacts_from_authres(m, "mx.example.net", &f, 0, 1) == 1 &&
	    !f.spf_have && f.nsigs == 2, "reader: spf not wanted, not read");
	dmarcfacts_free(&f);
	ok(dmarcfacts_from_authres(m, "mx.example.net", &f, 1, 0) == 1 &&
	    f.spf_have && f.nsigs == 0, "reader: dkim not wanted, not read");
	dmarcfacts_free(&f);
	msg_free(m);

	m = message("Authentication-Results: mx; spf=Weird\n"
	    "Authentication-Results: mx; spf=pass smtp.helo=Mail.Example\n"
	    "\n");
	memset(&f, 0, sizeof f);
	ok(dmarcfacts_from_authres(m, "mx", &f, 1, 1) == 1 &&
	    f.spf.result == SPF_PERMERROR &&
	    strcmp(f.spf_unknown, "weird") == 0,
	    "reader: an unknown spf word is permerror, the word kept");
	msg_free(m);

	m = message("Authentication-Results: mx; spf=pass smtp.helo=Mail.Ex\n"
	    "\n");
	memset(&f, 0, sizeof f);
	ok(dmarcfacts_from_authres(m, "mx", &f, 1, 1) == 1 &&
	    f.spf.result == SPF_PASS && f.spf_helo &&
	    strcmp(f.spf_domain, "mail.ex") == 0 && f.mfrom[0] == '\0',
	    "reader: smtp.helo is the identity, lower case");
	msg_free(m);
}

static void
test_from(void)
{
	struct msg	*m;
	const char	*why = NULL;
	char		 d[256];

	m = message("Subject: x\n\n");
	ok(dmarcfacts_from_domain(m, d, sizeof d, &why) == NULL &&
	    strcmp(why, "no From field") == 0, "from: none");
	msg_free(m);
	m = message("From: a@x.example\nFrom: b@y.example\n\n");
	ok(dmarcfacts_from_domain(m, d, sizeof d, &why) == NULL &&
	    strcmp(why, "several From fields") == 0, "from: two fields");
	msg_free(m);
	m = message("From: \"A\" <a@Sub.Example.COM>\n\n");
	ok(dmarcfacts_from_domain(m, d, sizeof d, &why) == d &&
	    strcmp(d, "sub.example.com") == 0, "from: one, lower case");
	msg_free(m);
	dmarcfacts_env_domain("x@Y.Example", d, sizeof d);
	ok(strcmp(d, "y.example") == 0, "env_domain: of an address");
	dmarcfacts_env_domain("Y.Example", d, sizeof d);
	ok(strcmp(d, "y.example") == 0, "env_domain: the domain alone");
}

static void
test_write(void)
{
	char	 dir[] = "/tmp/dmarcfacts-test.XXXXXX", path[64], got[64];
	char	 err[256];
	FILE	*fp;
	DIR	*dp;
	size_t	 n = 0, files = 0;

	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof path, "%s/rep", dir);
	ok(msg_write_bytes(dir, "rep", "one\n", 4, err, sizeof err) == 0 &&
	    msg_write_bytes(dir, "rep", "two\0x", 5, err, sizeof err) == 0,
	    "write_bytes: written twice");
	if ((fp = fopen(path, "r")) != NULL) {
		n = fread(got, 1, sizeof got, fp);
		fclose(fp);
	}
	is_mem(got, n, "two\0x", 5, "write_bytes: the bytes, NUL and all");
	if ((dp = opendir(dir)) == NULL)
		abort();
	while (readdir(dp) != NULL)
		files++;
	closedir(dp);
	ok(files == 3, "write_bytes: no temporary file left");
	snprintf(path, sizeof path, "%s/no", dir);
	ok(msg_write_bytes(path, "rep", "x", 1, err, sizeof err) ==
	    MX_CANTCREAT && strstr(err, "cannot open directory") != NULL,
	    "write_bytes: no directory, 73 and why");
	snprintf(path, sizeof path, "%s/rep", dir);
	unlink(path);
	rmdir(dir);
}

int
main(void)
{
	test_value();
	test_field();
	test_reader();
	test_apart();
	test_from();
	test_write();
	return done_testing();
}
