/*
 * Unit tests of common/addr.c, psl.c and dmarc.c, printed as TAP.
 *
 *	dmarc-test DIR
 *	dmarc-test --org LIST
 *
 * DIR is an empty directory for the files the tests write: a zone file
 * (the DNS answers, read through dns_new(NULL, zone, ...) as --dns-zone
 * does), small public suffix lists, and nothing else.  DNS failures come
 * from a UDP server this program forks on 127.0.0.1, answering SERVFAIL
 * for some names and NXDOMAIN for the rest.  Each libopendmarc trap of
 * REFERENCES.md is shown beside the test of its workaround: what the
 * library itself answers, as a diagnostic, then our verdict, as a test.
 *
 * With --org, the names on stdin (one a line) are printed back each with
 * its organizational domain under the public suffix list LIST and 1 or 0
 * for whether it is itself a public suffix (or "-" for a name that is
 * none), the form t/84-dmarc-core.t compares with libpsl's.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <opendmarc/dmarc.h>

#include "addr.h"
#include "cli.h"
#include "dmarc.h"
#include "dns.h"
#include "psl.h"
#include "tap.h"

static const char	*dir;
static char		 path_buf[4096];

static const char *
path(const char *name)
{
	snprintf(path_buf, sizeof path_buf, "%s/%s", dir, name);
	return path_buf;
}

static void
write_file(const char *name, const char *text)
{
	FILE	*fp;

	if ((fp = fopen(path(name), "w")) == NULL ||
	    fputs(text, fp) == EOF || fclose(fp) == EOF) {
		perror(name);
		exit(2);
	}
}

/* From ---------------------------------------------------------------- */

/*
 * The value is copied to exactly its length, so that ASan sees any read
 * past the end.  want is the domain, or "-" followed by the reason.
 */
static void
from_is(const char *value, const char *want)
{
	size_t		 n = strlen(value);
	char		*v = malloc(n ? n : 1), buf[256], shown[2048];
	const char	*why = NULL, *got;
	int		 r;

	if (v == NULL)
		abort();
	memcpy(v, value, n);
	r = addr_from_domain(v, n, buf, sizeof buf, &why);
	got = r == 0 ? buf : why;
	cli_show(value, n, 400, shown, sizeof shown);
	if (want[0] == '-')
		ok(r == -1 && strcmp(got, want + 1) == 0,
		    "From: %s: %s", shown, want + 1);
	else
		ok(r == 0 && strcmp(got, want) == 0, "From: %s: %s", shown,
		    want);
	if (strcmp(got, want[0] == '-' ? want + 1 : want) != 0)
		printf("#   got %s '%s'\n", r == 0 ? "domain" : "reason", got);
	free(v);
}

static void
test_from(void)
{
	/* The common forms. */
	from_is("user@example.com", "example.com");
	from_is(" Jane Doe <jane@Example.COM>\r\n", "example.com");
	from_is("\"Doe, Jane\" <jane@example.org>", "example.org");
	from_is("jane@example.org (Jane Doe)", "example.org");
	from_is("jane@example.org.", "example.org");
	from_is("<jane@example.org>", "example.org");
	from_is("Jane\r\n\t<jane@example.org>", "example.org");
	/* CVE-2019-16378: an address inside a quoted local part. */
	from_is("\"x <a@junk.example>\"@real.example", "real.example");
	from_is("\"x <a@junk.example>\"@real.example (c@other.example)",
	    "real.example");
	from_is("\"a@junk.example\" <b@real.example>", "real.example");
	from_is("\"<a@junk.example>\" <b@real.example>", "real.example");
	from_is("\"a\\\"@junk.example\" <b@real.example>", "real.example");
	from_is("(a@junk.example) b@real.example", "real.example");
	from_is("(nested (a@junk.example) <x@y>) b@real.example",
	    "real.example");
	from_is("b@real.example (<a@junk.example>, c@junk.example)",
	    "real.example");
	from_is("a@junk.example <b@real.example>", "-not an address");
	/* Several addresses, groups, none. */
	from_is("a@one.example, b@two.example", "-several addresses");
	from_is("a@one.example, a@one.example", "-several addresses");
	from_is("\"x\" <a@one.example>, <b@two.example>",
	    "-several addresses");
	from_is("<a@one.example> <b@two.example>", "-not an address");
	from_is(", a@one.example ,, ", "one.example");
	from_is("friends: a@one.example, b@two.example;", "-a group");
	from_is("friends: a@one.example;", "-a group");
	from_is("undisclosed-recipients:;", "-a group");
	from_is("a@one.example, friends:;", "-a group");
	from_is("", "-no address");
	from_is("  (just a comment)  ", "-no address");
	from_is(" , , ", "-no address");
	from_is("<>", "-no address");
	/* No domain. */
	from_is("root", "-no domain in the address");
	from_is("Root User <root>", "-no domain in the address");
	from_is("root@", "-no domain in the address");
	from_is("<root@>", "-no domain in the address");
	from_is("user@[192.0.2.1]", "-no domain in the address");
	from_is("user@[IPv6:2001:db8::1]", "-no domain in the address");
	/* Obsolete forms (RFC 5322 4.4). */
	from_is("John Q. Public <john@example.net>", "example.net");
	from_is("<@relay.example,@other.example:john@example.net>",
	    "example.net");
	from_is("john . q@example.net", "example.net");
	from_is("john@example . net", "example.net");
	from_is("\"john\".\"q\"@example.net", "example.net");
	from_is("john@ (comment) example.net", "example.net");
	/* Encoded words stay atoms of a display name: never decoded. */
	from_is("=?utf-8?q?J=C3=B6rg?= <joerg@example.de>", "example.de");
	from_is("=?utf-8?q?a=40junk=2Eexample_=3Cx=40junk=2Eexample=3E?= "
	    "<b@real.example>", "real.example");
	from_is("=?utf-8?b?PGFAanVuay5leGFtcGxlPg==?= <b@real.example>",
	    "real.example");
	/* RFC 6532: UTF-8 is atext. */
	from_is("J\xc3\xb6rg <j@b\xc3\xbc\x63her.example>",
	    "b\xc3\xbc\x63her.example");
	/* Malformed. */
	from_is("\"unclosed <a@b.example>", "-not an address");
	from_is("a@b.example (unclosed", "-not an address");
	from_is("<a@b.example", "-not an address");
	from_is("a@b.example>", "-not an address");
	from_is("<<a@b.example>>", "-not an address");
	from_is("a@b@c.example", "-not an address");
	from_is("a@b..example", "-not an address");
	from_is("a@.example", "-not an address");
	from_is("a@exa mple.com", "-not an address");
	from_is("a@exa!mple.com", "-not an address");
	from_is("a@b.example\\", "-not an address");
	from_is("a@[1.2.3.4", "-not an address");
	from_is("@example.com", "-not an address");
	from_is("a@b.example;", "-a group");
	{
		/* A NUL inside: the length counts, not the NUL. */
		char		 buf[64];
		const char	*why = "";

		ok(addr_from_domain("a@b.example\0x", 13, buf, sizeof buf,
		    &why) == -1 && strcmp(why, "not an address") == 0,
		    "From with a NUL byte: not an address");
		ok(addr_from_domain("a@b.example, c@d.example", 11, buf,
		    sizeof buf, &why) == 0 && strcmp(buf, "b.example") == 0,
		    "From read to its length only");
	}
	{
		char	name[400], val[420];

		memset(name, 'a', 64);
		snprintf(name + 64, sizeof name - 64, ".example");
		snprintf(val, sizeof val, "u@%s", name);
		from_is(val, "-not an address");
		memset(name, 0, sizeof name);
		for (int i = 0; i < 26; i++)
			memcpy(name + i * 10, "abcdefghi.", 10);
		memcpy(name + 260, "example", 8);
		snprintf(val, sizeof val, "u@%s", name);
		from_is(val, "-not an address");
	}
}

static void
envelope_is(const char *value, const char *want)
{
	char	buf[256];
	int	r = addr_domain(value, buf, sizeof buf);

	if (want == NULL)
		ok(r == -1, "envelope %s: none", value);
	else
		ok(r == 0 && strcmp(buf, want) == 0, "envelope %s: %s", value,
		    want);
}

static void
test_envelope(void)
{
	envelope_is("user@Example.COM", "example.com");
	envelope_is("<user@example.com>", "example.com");
	envelope_is("<user@example.com.>", "example.com");
	envelope_is("\"a@b <c>\"@example.com", "example.com");
	envelope_is("<\"a\\\"@x\"@example.com>", "example.com");
	envelope_is("<@relay.example:user@example.com>", "example.com");
	envelope_is("", NULL);
	envelope_is("<>", NULL);
	envelope_is("postmaster", NULL);
	envelope_is("user@", NULL);
	envelope_is("@example.com", NULL);
	envelope_is("user@[192.0.2.1]", NULL);
	envelope_is("user@exa mple.com", NULL);
	envelope_is("a@b@example.com", NULL);
}

/* PSL ----------------------------------------------------------------- */

static void
org_is(const struct psl *l, const char *name, const char *want, int suffix)
{
	char	buf[256];
	int	r = psl_org_domain(l, name, buf, sizeof buf);

	if (want == NULL) {
		ok(r == -1, "org domain of '%s': not a domain", name);
		return;
	}
	ok(r == 0 && strcmp(buf, want) == 0 &&
	    psl_is_suffix(l, name) == suffix, "org domain of %s: %s%s", name,
	    want, suffix ? ", a public suffix" : "");
	if (r != 0 || strcmp(buf, want) != 0)
		printf("#   got %d '%s'\n", r, r == 0 ? buf : "");
}

static void
load_fails(const char *file, const char *why, int status)
{
	char		 err[512];
	struct psl	*l;
	int		 st = -1;

	l = psl_load(file, err, sizeof err, &st);
	ok(l == NULL && st == status && strstr(err, why) != NULL,
	    "psl_load %s: %s (%d)", file, why, status);
	if (l != NULL)
		psl_free(l);
	else if (strstr(err, why) == NULL)
		printf("#   got '%s'\n", err);
}

static void
test_psl(void)
{
	struct psl	*l;
	char		 err[512], buf[256];
	int		 st;

	write_file("small.dat",
	    "// a list of our own\n"
	    "com\n"
	    "uk\n"
	    "co.uk\n"
	    "  ck   trailing words are no part of the rule\n"
	    "*.ck\n"
	    "!www.ck\n"
	    "jp\n"
	    "*.kobe.jp\n"
	    "!city.kobe.jp\n"
	    "\xe5\x85\xac\xe5\x8f\xb8.cn\r\n"
	    "cn\n"
	    "// ===BEGIN PRIVATE DOMAINS===\n"
	    "github.io\n"
	    "*.Compute.Example\n");
	l = psl_load(path("small.dat"), err, sizeof err, &st);
	ok(l != NULL && st == MX_OK, "psl_load of a small list");
	if (l == NULL) {
		printf("#   %s\n", err);
		return;
	}
	org_is(l, "example.com", "example.com", 0);
	org_is(l, "a.b.example.com", "example.com", 0);
	org_is(l, "Mail.Example.COM.", "example.com", 0);
	org_is(l, "com", "com", 1);
	org_is(l, "example.co.uk", "example.co.uk", 0);
	org_is(l, "www.example.co.uk", "example.co.uk", 0);
	org_is(l, "co.uk", "co.uk", 1);
	org_is(l, "example.uk", "example.uk", 0);
	/* No rule: the implicit "*". */
	org_is(l, "example", "example", 1);
	org_is(l, "a.b.example", "b.example", 0);
	/* Wildcards and their exceptions. */
	org_is(l, "foo.ck", "foo.ck", 1);
	org_is(l, "bar.foo.ck", "bar.foo.ck", 0);
	org_is(l, "a.bar.foo.ck", "bar.foo.ck", 0);
	org_is(l, "www.ck", "www.ck", 0);
	org_is(l, "a.www.ck", "www.ck", 0);
	org_is(l, "x.kobe.jp", "x.kobe.jp", 1);
	org_is(l, "shop.x.kobe.jp", "shop.x.kobe.jp", 0);
	org_is(l, "city.kobe.jp", "city.kobe.jp", 0);
	org_is(l, "www.city.kobe.jp", "city.kobe.jp", 0);
	org_is(l, "kobe.jp", "kobe.jp", 0);
	/* The private section counts alike; rules are case-insensitive. */
	org_is(l, "user.github.io", "user.github.io", 0);
	org_is(l, "a.user.github.io", "user.github.io", 0);
	org_is(l, "github.io", "github.io", 1);
	org_is(l, "x.eu.compute.example", "x.eu.compute.example", 0);
	/* A Unicode rule matches in either form. */
	org_is(l, "a.b.\xe5\x85\xac\xe5\x8f\xb8.cn",
	    "b.\xe5\x85\xac\xe5\x8f\xb8.cn", 0);
	org_is(l, "a.b.xn--55qx5d.cn", "b.xn--55qx5d.cn", 0);
	org_is(l, "xn--55qx5d.cn", "xn--55qx5d.cn", 1);
	/* Not domain names. */
	org_is(l, "", NULL, 0);
	org_is(l, ".", NULL, 0);
	org_is(l, "a..example.com", NULL, 0);
	org_is(l, ".example.com", NULL, 0);
	org_is(l, "exa mple.com", NULL, 0);
	ok(psl_org_domain(l, "a.b.example.com", buf, 12) == 0 &&
	    strcmp(buf, "example.com") == 0 &&
	    psl_org_domain(l, "a.b.example.com", buf, 11) == -1,
	    "psl_org_domain: a buffer too small is -1");
	psl_free(l);

	/* RFC 3492 7.1 sample (L), and the ASCII labels kept as they are. */
	ok(psl_ascii("\xe3\x81\xb2\xe3\x81\xa8\xe3\x81\xa4\xe5\xb1\x8b\xe6"
	    "\xa0\xb9\xe3\x81\xae\xe4\xb8\x8b\x32.example", buf, sizeof buf)
	    == 0 && strcmp(buf, "xn--2-u9tlzr9756bt3uc0v.example") == 0,
	    "psl_ascii: RFC 3492 sample (L)");
	ok(psl_ascii("b\xc3\xbc\x63her.example", buf, sizeof buf) == 0 &&
	    strcmp(buf, "xn--bcher-kva.example") == 0,
	    "psl_ascii: b\\xc3\\xbccher.example");
	ok(psl_ascii("b\xfc\x63her.example", buf, sizeof buf) == -1,
	    "psl_ascii: Latin-1 is not UTF-8");

	/* Debian's list, as --tld-file's default. */
	l = psl_load(NULL, err, sizeof err, &st);
	ok(l != NULL, "psl_load of %s", PSL_DEFAULT);
	if (l != NULL) {
		org_is(l, "www.bbc.co.uk", "bbc.co.uk", 0);
		org_is(l, "a.b.city.kawasaki.jp", "city.kawasaki.jp", 0);
		org_is(l, "a.b.c.kawasaki.jp", "b.c.kawasaki.jp", 0);
		org_is(l, "mail.example.com", "example.com", 0);
		org_is(l, "x.y.github.io", "y.github.io", 0);
		org_is(l, "s3.amazonaws.com", "s3.amazonaws.com", 1);
		org_is(l, "mail.example.test", "example.test", 0);
		psl_free(l);
	}

	/* What is no list: refused at once, whatever the library does. */
	load_fails(path("missing.dat"), "No such file or directory",
	    MX_NOINPUT);
	load_fails(dir, "not a regular file", MX_NOINPUT);
	if (mkfifo(path("fifo.dat"), 0600) == 0)
		load_fails(path("fifo.dat"), "not a regular file",
		    MX_NOINPUT);
	write_file("empty.dat", "// only comments\n\n");
	load_fails(path("empty.dat"), "no rule in it", MX_NOINPUT);
	write_file("html.dat", "<html><body>captive portal</body></html>\n");
	load_fails(path("html.dat"), "line 1 is not a rule", MX_NOINPUT);
	write_file("bad.dat", "com\n// fine so far\nexample..com\n");
	load_fails(path("bad.dat"), "line 3 is not a rule", MX_NOINPUT);
}

/* Records ------------------------------------------------------------- */

static void
record_is(const char *rec, int want, const char *fields)
{
	struct dmarc_record	r;
	char			why[256] = "", got[2048], shown[512];
	int			n;

	n = dmarc_record_parse(rec, strlen(rec), &r, why, sizeof why);
	if (n < 0)
		snprintf(got, sizeof got, "-");
	else {
		snprintf(got, sizeof got, "p=%s sp=%s%s adkim=%c aspf=%c "
		    "pct=%d fo=%s ri=%ld rua=%zu%s%s ruf=%zu%s%s",
		    dmarc_policy_name(r.p), dmarc_policy_name(r.sp),
		    r.sp_given ? "!" : "", r.adkim, r.aspf, r.pct, r.fo, r.ri,
		    r.nrua, r.nrua ? ":" : "", r.nrua ? r.rua[0].uri : "",
		    r.nruf, r.nruf ? ":" : "", r.nruf ? r.ruf[0].uri : "");
		if (r.nrua && r.rua[0].limit)
			snprintf(got + strlen(got), sizeof got - strlen(got),
			    " limit=%llu", r.rua[0].limit);
	}
	ok(n == want && strcmp(got, fields) == 0, "record '%s': %d %s%s%s",
	    cli_show(rec, strlen(rec), 200, shown, sizeof shown), want, fields,
	    n != 0 ? ": " : "", n != 0 ? why : "");
	if (n != want || strcmp(got, fields) != 0)
		printf("#   got %d %s (%s)\n", n, got, why);
}

static void
test_records(void)
{
	const char	*dflt = "p=reject sp=reject adkim=r aspf=r pct=100 "
			    "fo=0 ri=86400 rua=0 ruf=0";

	record_is("v=DMARC1; p=reject", 0, dflt);
	record_is("v=DMARC1;p=reject;", 0, dflt);
	record_is("v = DMARC1 ;\r\n\tp = reject ; ", 0, dflt);
	record_is("v=DMARC1; p=Reject", 0, dflt);
	record_is("V=DMARC1; P=reject", 0, dflt);
	record_is("v=DMARC1; p=reject;; x=y; future=1", 0, dflt);
	record_is("v=DMARC1; p=none; sp=reject; adkim=s; aspf=S; pct=7; "
	    "fo=1:d; ri=3600; rua=mailto:a@x.example!10m, "
	    "mailto:b@x.example; ruf=mailto:f@x.example", 0,
	    "p=none sp=reject! adkim=s aspf=s pct=7 fo=1:d ri=3600 "
	    "rua=2:mailto:a@x.example ruf=1:mailto:f@x.example "
	    "limit=10485760");
	/* Prefixes are no values (the library reads p=q as quarantine). */
	record_is("v=DMARC1; p=q", -1, "-");
	record_is("v=DMARC1; p=rej", -1, "-");
	record_is("v=DMARC1; p=rejected", -1, "-");
	record_is("v=DMARC1; p=reject; sp=q", -1, "-");
	/* 6.6.3 step 6: no valid p= (or sp=) but a valid rua=: p=none. */
	record_is("v=DMARC1; rua=mailto:a@x.example", 1,
	    "p=none sp=none adkim=r aspf=r pct=100 fo=0 ri=86400 "
	    "rua=1:mailto:a@x.example ruf=0");
	record_is("v=DMARC1; p=q; rua=mailto:a@x.example", 1,
	    "p=none sp=none adkim=r aspf=r pct=100 fo=0 ri=86400 "
	    "rua=1:mailto:a@x.example ruf=0");
	record_is("v=DMARC1; p=reject; sp=bogus; rua=mailto:a@x.example", 1,
	    "p=none sp=none adkim=r aspf=r pct=100 fo=0 ri=86400 "
	    "rua=1:mailto:a@x.example ruf=0");
	record_is("v=DMARC1; rua=not a uri", -1, "-");
	record_is("v=DMARC1; rua=nouri", -1, "-");
	record_is("v=DMARC1", -1, "-");
	/* v= first, exactly DMARC1; duplicates void the record. */
	record_is("p=reject; v=DMARC1", -1, "-");
	record_is("v=dmarc1; p=reject", -1, "-");
	record_is("v=DMARC2; p=reject", -1, "-");
	record_is("v=DMARC1 p=reject", -1, "-");
	record_is("v=DMARC1; p=reject; p=none", -1, "-");
	record_is("v=DMARC1; p=reject; P=none", -1, "-");
	record_is("v=DMARC1; v=DMARC1; p=reject", -1, "-");
	record_is("v=DMARC1; p=reject; pct=10; pct=20", -1, "-");
	record_is("v=DMARC1; p=reject; novalue", -1, "-");
	record_is("v=DMARC1; p=reject; 1x=2", -1, "-");
	record_is("", -1, "-");
	/* A bad optional value leaves the default, not a void record. */
	record_is("v=DMARC1; p=reject; adkim=strict; aspf=x; pct=101; "
	    "fo=2; ri=soon", 0, dflt);
	record_is("v=DMARC1; p=reject; pct=-1", 0, dflt);
	record_is("v=DMARC1; p=reject; pct=0", 0,
	    "p=reject sp=reject adkim=r aspf=r pct=0 fo=0 ri=86400 rua=0 "
	    "ruf=0");
	record_is("v=DMARC1; p=reject; rua=mailto:a@x.example!1k", 0,
	    "p=reject sp=reject adkim=r aspf=r pct=100 fo=0 ri=86400 "
	    "rua=1:mailto:a@x.example ruf=0 limit=1024");
	record_is("v=DMARC1; p=reject; rua=mailto:a@x.example!5", 0,
	    "p=reject sp=reject adkim=r aspf=r pct=100 fo=0 ri=86400 "
	    "rua=1:mailto:a@x.example ruf=0 limit=5");
	record_is("v=DMARC1; p=reject; "
	    "rua=mailto:a@x.example!99999999999999999999999t", 0,
	    "p=reject sp=reject adkim=r aspf=r pct=100 fo=0 ri=86400 "
	    "rua=1:mailto:a@x.example ruf=0 limit=18446742974197923840");
	record_is("v=DMARC1; p=reject; rua=mailto:a@x.example!x, "
	    "mailto:b@x.example", 0,
	    "p=reject sp=reject adkim=r aspf=r pct=100 fo=0 ri=86400 "
	    "rua=1:mailto:b@x.example ruf=0");
	{
		struct dmarc_record	r;
		char			why[64];

		ok(dmarc_record_parse("v=DMARC1; p=reject\0; p=none", 27, &r,
		    why, sizeof why) == -1, "a record with a NUL: none");
		ok(dmarc_record_parse("v=DMARC1; p=reject; p=none", 18, &r,
		    why, sizeof why) == 0 && r.p == DMARC_P_REJECT,
		    "a record read to its length only");
	}
}

/* Verdicts ------------------------------------------------------------ */

static struct dmarc_ctx	*ctx;
static struct dns	*zone;

struct msg_case {
	const char	*from;
	const char	*spf;		/* "pass:domain", "fail:domain", ... */
	const char	*dkim[3];	/* "pass:domain", "fail:domain" */
	int		 no_sampling;
};

static int
check(struct dns *d, const struct msg_case *m, struct dmarc_verdict *v)
{
	struct dmarc_input	in;
	struct dmarc_dkim	dk[3];
	static char		spf_dom[256], dk_dom[3][256];
	size_t			i;
	int			r;

	memset(&in, 0, sizeof in);
	in.ip = "192.0.2.1";
	in.from_domain = m->from;
	in.spf = SPF_NONE;
	if (m->spf != NULL) {
		const char	*c = strchr(m->spf, ':');
		char		 word[32];

		snprintf(word, sizeof word, "%.*s", (int)(c - m->spf),
		    m->spf);
		if ((r = spf_result_parse(word)) < 0)
			abort();
		in.spf = (enum spf_result)r;
		snprintf(spf_dom, sizeof spf_dom, "%s", c + 1);
		in.spf_domain = spf_dom;
	}
	for (i = 0; i < 3 && m->dkim[i] != NULL; i++) {
		const char	*c = strchr(m->dkim[i], ':');

		snprintf(dk_dom[i], sizeof dk_dom[i], "%s", c + 1);
		dk[i].domain = dk_dom[i];
		dk[i].selector = "sel";
		dk[i].temperror = strncmp(m->dkim[i], "temperror", 9) == 0;
		dk[i].status = strncmp(m->dkim[i], "pass", 4) == 0 ?
		    DKIM_VPASS : strncmp(m->dkim[i], "fail", 4) == 0 ?
		    DKIM_VFAIL : DKIM_VINVALID;
	}
	in.dkim = dk;
	in.ndkim = i;
	in.no_sampling = m->no_sampling;
	return dmarc_check(ctx, d, &in, v);
}

/*
 * want: "status policy align_spf align_dkim used record", e.g.
 * "reject r 0 0 x.test x.test"; "-" for an empty field.
 */
static void
verdict_is(const char *what, const struct msg_case *m, const char *want)
{
	struct dmarc_verdict	v;
	char			got[1024];
	int			r;

	r = check(zone, m, &v);
	snprintf(got, sizeof got, "%s %c %d %d %s %s",
	    dmarc_status_name(v.status), v.policy ? v.policy : '-',
	    v.align_spf, v.align_dkim, v.used_domain[0] ? v.used_domain : "-",
	    v.record_domain[0] ? v.record_domain : "-");
	ok(r == 0 && strcmp(got, want) == 0, "%s: %s", what, want);
	if (r != 0 || strcmp(got, want) != 0)
		printf("#   got %d %s (%s)\n", r, got, v.reason);
}

/* A case names only the fields it needs: the rest are zero. */
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
#define MSG(...)	(&(struct msg_case){ __VA_ARGS__ })

static const char zone_text[] =
    "$ORIGIN test.\n"
    "@ 300 IN SOA ns.test. hostmaster.test. 1 3600 600 86400 300\n"
    "_dmarc.org 300 IN TXT \"v=DMARC1; p=reject; sp=quarantine; "
    "rua=mailto:agg@org.test\"\n"
    "_dmarc.own.org 300 IN TXT \"v=DMARC1; p=none\"\n"
    "_dmarc.two-here.org 300 IN TXT \"v=DMARC1; p=none\"\n"
    "_dmarc.two-here.org 300 IN TXT \"v=DMARC1; p=none\"\n"
    "_dmarc.junk-here.org 300 IN TXT \"v=DMARC1; p=nonsense\"\n"
    "_dmarc.spf-here.org 300 IN TXT \"v=spf1 -all\"\n"
    "_dmarc.strict 300 IN TXT \"v=DMARC1; p=reject; adkim=s; aspf=s\"\n"
    "_dmarc.nosp 300 IN TXT \"v=DMARC1; p=quarantine\"\n"
    "_dmarc.two 300 IN TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.two 300 IN TXT \"v=DMARC1; p=none\"\n"
    "_dmarc.mixed 300 IN TXT \"v=spf1 -all\"\n"
    "_dmarc.mixed 300 IN TXT \"v=DMARC1; p=quarantine\"\n"
    "_dmarc.mixed 300 IN TXT \"some other text\"\n"
    "_dmarc.prefix 300 IN TXT \"v=DMARC1; p=q\"\n"
    "_dmarc.prefix-rua 300 IN TXT \"v=DMARC1; p=q; "
    "rua=mailto:a@prefix-rua.test\"\n"
    "_dmarc.vlater 300 IN TXT \"p=reject; v=DMARC1\"\n"
    "_dmarc.lower 300 IN TXT \"v=dmarc1; p=reject\"\n"
    "_dmarc.dup 300 IN TXT \"v=DMARC1; p=reject; p=none\"\n"
    "_dmarc.split 300 IN TXT \"v=DMARC1; p=rej\" \"ect; pct=100\"\n"
    "_dmarc.pct0 300 IN TXT \"v=DMARC1; p=reject; pct=0\"\n"
    "_dmarc.pct0q 300 IN TXT \"v=DMARC1; p=quarantine; pct=0\"\n"
    "_dmarc.pct100 300 IN TXT \"v=DMARC1; p=reject; pct=100\"\n"
    "_dmarc.pct50 300 IN TXT \"v=DMARC1; p=reject; pct=50\"\n"
    "_dmarc.pct10 300 IN TXT \"v=DMARC1; p=quarantine; pct=10\"\n"
    "_dmarc.none 300 IN TXT \"v=DMARC1; p=none; sp=reject\"\n"
    "_dmarc.x.com. 300 IN TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.example.co.uk. 300 IN TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.xn--bcher-kva 300 IN TXT \"v=DMARC1; p=reject\"\n"
    "nodata 300 IN A 192.0.2.1\n"
    "_dmarc.compute.example. 300 IN TXT \"v=DMARC1; p=reject\"\n"
    "_dmarc.b.eu.compute.example. 300 IN TXT \"v=DMARC1; p=none\"\n";

static void
test_verdicts(void)
{
	/* Discovery (RFC 7489 6.6.3). */
	verdict_is("record at the From domain", MSG("org.test"),
	    "reject r 0 0 org.test org.test");
	verdict_is("record at the organizational domain, sp applies",
	    MSG("a.b.org.test"), "quarantine q 0 0 a.b.org.test org.test");
	verdict_is("a subdomain's own record: its p, not the org's sp",
	    MSG("own.org.test"), "none n 0 0 own.org.test own.org.test");
	verdict_is("no sp=: p for subdomains", MSG("sub.nosp.test"),
	    "quarantine q 0 0 sub.nosp.test nosp.test");
	verdict_is("sp=reject, From the org domain: p=none applies",
	    MSG("none.test"), "none n 0 0 none.test none.test");
	verdict_is("sp=reject for a subdomain", MSG("a.none.test"),
	    "reject r 0 0 a.none.test none.test");
	verdict_is("no record anywhere", MSG("nothing.test"),
	    "norecord - 0 0 nothing.test -");
	verdict_is("no record at an existing name without TXT",
	    MSG("nodata.test"), "norecord - 0 0 nodata.test -");
	verdict_is("several records: none (the library takes the first)",
	    MSG("two.test"), "norecord - 0 0 two.test -");
	verdict_is("several records at the From domain: no fallback",
	    MSG("two-here.org.test"), "norecord - 0 0 two-here.org.test -");
	verdict_is("an unusable record at the From domain: no fallback",
	    MSG("junk-here.org.test"),
	    "norecord - 0 0 junk-here.org.test -");
	verdict_is("a TXT that is no DMARC record: fallback",
	    MSG("spf-here.org.test"),
	    "quarantine q 0 0 spf-here.org.test org.test");
	verdict_is("other TXT records beside the one", MSG("mixed.test"),
	    "quarantine q 0 0 mixed.test mixed.test");
	verdict_is("p=q: no usable record", MSG("prefix.test"),
	    "norecord - 0 0 prefix.test -");
	verdict_is("p=q with a valid rua: p=none", MSG("prefix-rua.test"),
	    "none n 0 0 prefix-rua.test prefix-rua.test");
	verdict_is("v= not first: no record", MSG("vlater.test"),
	    "norecord - 0 0 vlater.test -");
	verdict_is("v=dmarc1: no record", MSG("lower.test"),
	    "norecord - 0 0 lower.test -");
	verdict_is("a duplicate tag: no record", MSG("dup.test"),
	    "norecord - 0 0 dup.test -");
	verdict_is("a record in two strings is one", MSG("split.test"),
	    "reject r 0 0 split.test split.test");
	verdict_is("From domain in capitals, trailing dot",
	    MSG("A.B.ORG.TEST."), "quarantine q 0 0 a.b.org.test org.test");
	verdict_is("a Unicode From domain is looked up as its A-label",
	    MSG("b\xc3\xbc\x63her.test", "pass:xn--bcher-kva.test"),
	    "accept r 1 0 xn--bcher-kva.test xn--bcher-kva.test");
	verdict_is("no From domain", MSG(NULL), "nofrom - 0 0 - -");
	verdict_is("a From domain that is none", MSG("a..b.test"),
	    "nofrom - 0 0 - -");

	/* Alignment, decided here (RFC 7489 3.1). */
	verdict_is("spf pass, same domain", MSG("org.test", "pass:org.test"),
	    "accept r 1 0 org.test org.test");
	verdict_is("spf pass, relaxed: a subdomain",
	    MSG("org.test", "pass:bounce.org.test"),
	    "accept r 1 0 org.test org.test");
	verdict_is("spf pass, relaxed: a sibling",
	    MSG("a.org.test", "pass:b.org.test"),
	    "accept q 1 0 a.org.test org.test");
	verdict_is("spf pass, another domain",
	    MSG("org.test", "pass:other.test"),
	    "reject r 0 0 org.test org.test");
	verdict_is("spf fail, same domain", MSG("org.test", "fail:org.test"),
	    "reject r 0 0 org.test org.test");
	verdict_is("spf softfail, same domain",
	    MSG("org.test", "softfail:org.test"),
	    "reject r 0 0 org.test org.test");
	verdict_is("spf neutral, same domain",
	    MSG("org.test", "neutral:org.test"),
	    "reject r 0 0 org.test org.test");
	verdict_is("dkim pass, same domain",
	    MSG("org.test", NULL, { "pass:org.test" }),
	    "accept r 0 1 org.test org.test");
	verdict_is("dkim pass, relaxed: a subdomain",
	    MSG("org.test", NULL, { "pass:mail.org.test" }),
	    "accept r 0 1 org.test org.test");
	verdict_is("dkim fail, then an aligned pass",
	    MSG("org.test", NULL, { "fail:org.test", "pass:other.test",
	    "pass:Org.Test." }), "accept r 0 1 org.test org.test");
	verdict_is("dkim: only unaligned passes",
	    MSG("org.test", NULL, { "pass:other.test", "fail:org.test" }),
	    "reject r 0 0 org.test org.test");
	verdict_is("dkim invalid, same domain",
	    MSG("org.test", NULL, { "invalid:org.test" }),
	    "reject r 0 0 org.test org.test");
	verdict_is("both aligned", MSG("org.test", "pass:org.test",
	    { "pass:org.test" }), "accept r 1 1 org.test org.test");
	/* Trap: relaxed alignment with a public suffix. */
	verdict_is("dkim d=com does not align with x.com",
	    MSG("x.com", NULL, { "pass:com" }), "reject r 0 0 x.com x.com");
	verdict_is("spf com does not align with x.com",
	    MSG("x.com", "pass:com"), "reject r 0 0 x.com x.com");
	verdict_is("dkim d=co.uk does not align with example.co.uk",
	    MSG("example.co.uk", NULL, { "pass:co.uk" }),
	    "reject r 0 0 example.co.uk example.co.uk");
	verdict_is("dkim d=other.co.uk does not align with example.co.uk",
	    MSG("example.co.uk", NULL, { "pass:other.co.uk" }),
	    "reject r 0 0 example.co.uk example.co.uk");
	verdict_is("dkim d=mail.example.co.uk aligns with example.co.uk",
	    MSG("example.co.uk", NULL, { "pass:mail.example.co.uk" }),
	    "accept r 0 1 example.co.uk example.co.uk");
	/* Trap: strict alignment with a subdomain. */
	verdict_is("strict: dkim d=bounces.strict.test, From strict.test",
	    MSG("strict.test", NULL, { "pass:bounces.strict.test" }),
	    "reject r 0 0 strict.test strict.test");
	verdict_is("strict: spf bounces.strict.test, From strict.test",
	    MSG("strict.test", "pass:bounces.strict.test"),
	    "reject r 0 0 strict.test strict.test");
	verdict_is("strict: dkim d=strict.test, From a.strict.test",
	    MSG("a.strict.test", NULL, { "pass:strict.test" }),
	    "reject r 0 0 a.strict.test strict.test");
	verdict_is("strict: the same name aligns",
	    MSG("strict.test", "pass:STRICT.test", { "pass:strict.test." }),
	    "accept r 1 1 strict.test strict.test");

	/* A failure for now of an identifier that would align. */
	verdict_is("spf temperror, aligned: temperror",
	    MSG("org.test", "temperror:org.test"),
	    "temperror r 0 0 org.test org.test");
	verdict_is("dkim temperror, aligned: temperror",
	    MSG("org.test", NULL, { "temperror:org.test" }),
	    "temperror r 0 0 org.test org.test");
	verdict_is("dkim temperror, not aligned: the policy",
	    MSG("org.test", NULL, { "temperror:other.test" }),
	    "reject r 0 0 org.test org.test");
	verdict_is("spf temperror but dkim aligned pass: accept",
	    MSG("org.test", "temperror:org.test", { "pass:org.test" }),
	    "accept r 0 1 org.test org.test");
	verdict_is("spf temperror under p=none: none",
	    MSG("own.org.test", "temperror:own.org.test"),
	    "none n 0 0 own.org.test own.org.test");

	/* pct (RFC 7489 6.6.4). */
	verdict_is("pct=0, reject: quarantine", MSG("pct0.test"),
	    "quarantine r 0 0 pct0.test pct0.test");
	verdict_is("pct=0, quarantine: none", MSG("pct0q.test"),
	    "none q 0 0 pct0q.test pct0q.test");
	verdict_is("pct=0 --no-sampling: reject",
	    MSG("pct0.test", .no_sampling = 1),
	    "reject r 0 0 pct0.test pct0.test");
	verdict_is("pct=0 --no-sampling: quarantine",
	    MSG("pct0q.test", .no_sampling = 1),
	    "quarantine q 0 0 pct0q.test pct0q.test");
	verdict_is("pct=0 but aligned: accept",
	    MSG("pct0.test", "pass:pct0.test"),
	    "accept r 1 0 pct0.test pct0.test");
	{
		struct dmarc_verdict	v;
		int			n, rej = 0, other = 0, out = 0;

		for (n = 0; n < 200; n++) {
			check(zone, MSG("pct100.test"), &v);
			rej += v.status == DMARC_REJECT && !v.sampled_out;
			check(zone, MSG("pct0.test"), &v);
			other += v.status == DMARC_QUARANTINE &&
			    v.disposition == DMARC_P_QUARANTINE &&
			    v.sampled_out && v.lib_policy == 16;
		}
		ok(rej == 200 && other == 200, "pct=100 always reject, pct=0 "
		    "never (200 each)");
		rej = out = 0;
		for (n = 0; n < 4000; n++) {
			check(zone, MSG("pct50.test"), &v);
			if (v.status == DMARC_REJECT)
				rej++;
			else if (v.status == DMARC_QUARANTINE && v.sampled_out)
				out++;
		}
		/* 6 standard deviations either side: a flake is 1 in 10^9. */
		ok(rej + out == 4000 && rej > 1810 && rej < 2190,
		    "pct=50: %d of 4000 rejected, the rest quarantined", rej);
		rej = out = 0;
		for (n = 0; n < 4000; n++) {
			check(zone, MSG("pct10.test"), &v);
			if (v.status == DMARC_QUARANTINE)
				rej++;
			else if (v.status == DMARC_NONE && v.sampled_out)
				out++;
		}
		ok(rej + out == 4000 && rej > 286 && rej < 514,
		    "pct=10: %d of 4000 quarantined, the rest none", rej);
		rej = 0;
		for (n = 0; n < 500; n++) {
			check(zone, MSG("pct50.test", .no_sampling = 1), &v);
			rej += v.status == DMARC_REJECT;
		}
		ok(rej == 500, "pct=50 --no-sampling: all 500 rejected");
	}
}

/*
 * A UDP server answering SERVFAIL for _dmarc.fail.* and _dmarc.orgfail.*,
 * NXDOMAIN for the rest.
 */
static pid_t
bad_server(int *port)
{
	struct sockaddr_in	sa;
	socklen_t		len = sizeof sa;
	unsigned char		q[512];
	ssize_t			n;
	pid_t			pid;
	int			s;

	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
		return -1;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    getsockname(s, (struct sockaddr *)&sa, &len) < 0)
		return -1;
	*port = ntohs(sa.sin_port);
	fflush(stdout);
	if ((pid = fork()) != 0) {
		close(s);
		return pid;
	}
	/* Gone in a minute even if the test dies without killing it. */
	alarm(60);
	for (;;) {
		struct sockaddr_in	from;
		socklen_t		flen = sizeof from;
		size_t			i;
		int			fail = 0;

		if ((n = recvfrom(s, q, sizeof q, 0, (struct sockaddr *)&from,
		    &flen)) < 12)
			continue;
		/* _dmarc.fail.* and _dmarc.orgfail.* fail. */
		i = 12 + 1 + q[12];
		if (i + 8 <= (size_t)n && (memcmp(q + i, "\4fail", 5) == 0 ||
		    memcmp(q + i, "\7orgfail", 8) == 0))
			fail = 1;
		q[2] = 0x80 | (q[2] & 0x01);	/* QR, RD kept */
		q[3] = 0x80 | (fail ? 2 : 3);	/* RA; SERVFAIL, NXDOMAIN */
		memset(q + 6, 0, 6);		/* no answer, NS, additional */
		sendto(s, q, n, 0, (struct sockaddr *)&from, flen);
	}
}

static void
test_tempfail(void)
{
	struct dmarc_verdict	v;
	struct dns		*d;
	char			addr[64], err[256];
	pid_t			pid;
	int			port, r;

	if ((pid = bad_server(&port)) < 0) {
		ok(0, "a DNS server on 127.0.0.1");
		return;
	}
	snprintf(addr, sizeof addr, "127.0.0.1@%d", port);
	if ((d = dns_new(addr, NULL, 2, err, sizeof err)) == NULL) {
		ok(0, "dns_new %s: %s", addr, err);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		return;
	}
	r = check(d, MSG("ok.test"), &v);
	ok(r == 0 && v.status == DMARC_NORECORD,
	    "NXDOMAIN from the server: norecord");
	r = check(d, MSG("fail.test", "pass:fail.test"), &v);
	ok(r == 0 && v.status == DMARC_TEMPERROR &&
	    strstr(v.reason, "_dmarc.fail.test") != NULL,
	    "SERVFAIL at _dmarc.FROM: temperror (%s)", v.reason);
	r = check(d, MSG("sub.orgfail.test"), &v);
	ok(r == 0 && v.status == DMARC_TEMPERROR &&
	    strstr(v.reason, "'_dmarc.orgfail.test'") != NULL,
	    "NXDOMAIN at _dmarc.FROM, SERVFAIL at _dmarc.ORG: temperror (%s)",
	    v.reason);
	dns_free(d);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/*
 * The library's own answers where REFERENCES.md says it errs, set up as
 * its documentation says (with the list), before dmarc_new sets it up.
 */
static void
show_library_traps(void)
{
	OPENDMARC_LIB_T	 lib;
	DMARC_POLICY_T	*p;
	u_char		 buf[256];
	int		 r;

	memset(&lib, 0, sizeof lib);
	lib.tld_type = OPENDMARC_TLD_TYPE_MOZILLA;
	snprintf((char *)lib.tld_source_file, sizeof lib.tld_source_file,
	    "%s", PSL_DEFAULT);
	if (opendmarc_policy_library_init(&lib) != DMARC_PARSE_OKAY)
		return;
	printf("# libopendmarc's own alignment: d=com with From x.com "
	    "relaxed: %s\n", opendmarc_policy_check_alignment((u_char *)
	    "x.com", (u_char *)"com", 'r') == 0 ? "aligned" : "not aligned");
	printf("# libopendmarc's own alignment: d=bounces.x.com with From "
	    "x.com strict: %s\n", opendmarc_policy_check_alignment(
	    (u_char *)"x.com", (u_char *)"bounces.x.com", 's') == 0 ?
	    "aligned" : "not aligned");
	if ((p = opendmarc_policy_connect_init((u_char *)"192.0.2.1", 0)) ==
	    NULL) {
		opendmarc_policy_library_shutdown(&lib);
		return;
	}
	r = opendmarc_policy_store_from_domain(p, (u_char *)
	    "\"x <a@junk.example>\"@real.example");
	if (r == DMARC_PARSE_OKAY && opendmarc_policy_fetch_from_domain(p,
	    buf, sizeof buf) == DMARC_PARSE_OKAY)
		printf("# libopendmarc's own From: '\"x <a@junk.example>\""
		    "@real.example' is %s\n", buf);
	opendmarc_policy_connect_rset(p);
	r = opendmarc_policy_store_dmarc(p, (u_char *)"v=DMARC1; p=q",
	    (u_char *)"x.com", NULL);
	printf("# libopendmarc's own reading of p=q: %s\n", r !=
	    DMARC_PARSE_OKAY ? "refused" :
	    opendmarc_get_policy_to_enforce(p) == DMARC_POLICY_QUARANTINE ?
	    "quarantine" : "other");
	opendmarc_policy_connect_rset(p);
	r = opendmarc_policy_store_dmarc(p, (u_char *)
	    "v=DMARC1; p=reject; pct=0", (u_char *)"x.com", NULL);
	printf("# libopendmarc's own answer for p=reject pct=0: %d\n",
	    r == DMARC_PARSE_OKAY ? opendmarc_get_policy_to_enforce(p) : -1);
	opendmarc_policy_connect_shutdown(p);
	opendmarc_policy_library_shutdown(&lib);
}

/* The library itself says nothing of a list that is not there. */
static void
show_library_init(void)
{
	OPENDMARC_LIB_T	lib;
	int		r;

	memset(&lib, 0, sizeof lib);
	lib.tld_type = OPENDMARC_TLD_TYPE_MOZILLA;
	snprintf((char *)lib.tld_source_file, sizeof lib.tld_source_file,
	    "%s", path("missing.dat"));
	r = opendmarc_policy_library_init(&lib);
	printf("# libopendmarc's own init with a missing list: %d\n", r);
	opendmarc_policy_library_shutdown(&lib);
}

static void
test_new(void)
{
	struct dmarc_ctx	*c;
	char			 err[512];
	int			 st = -1;

	c = dmarc_new(path("missing.dat"), err, sizeof err, &st);
	ok(c == NULL && st == MX_NOINPUT && strstr(err, "missing.dat") !=
	    NULL, "dmarc_new with a missing list: refused, 66");
	write_file("empty2.dat", "\n");
	c = dmarc_new(path("empty2.dat"), err, sizeof err, &st);
	ok(c == NULL && st == MX_NOINPUT && strstr(err, "no rule") != NULL,
	    "dmarc_new with an empty list: refused, 66 (%s)", err);
	c = dmarc_new(path("small.dat"), err, sizeof err, &st);
	ok(c != NULL, "dmarc_new with --tld-file's list");
	if (c != NULL) {
		struct dmarc_ctx	*save = ctx;

		/* The small list has *.compute.example, Debian's has not. */
		ctx = c;
		verdict_is("--tld-file: the org domain from that list",
		    MSG("a.b.eu.compute.example", "pass:c.eu.compute.example"),
		    "none n 0 0 a.b.eu.compute.example b.eu.compute.example");
		ctx = save;
		dmarc_free(c);
	}
	verdict_is("Debian's list: another org domain",
	    MSG("a.b.eu.compute.example", "pass:c.eu.compute.example"),
	    "accept r 1 0 a.b.eu.compute.example compute.example");
}

static void
test_words(void)
{
	static const char *const want[][2] = {
		{ "accept", "Accept" }, { "reject", "Reject" },
		{ "quarantine", "Quarantine" }, { "none", "None, Accept" },
		{ "norecord", "No DMARC record" },
		{ "nofrom", "No From: domain found" },
		{ "temperror", "Internal Policy Error" }, { "off", "" }
	};
	enum dmarc_status	s;
	int			good = 1;

	for (s = DMARC_ACCEPT; s <= DMARC_OFF; s++)
		if (strcmp(dmarc_status_name(s), want[s][0]) != 0 ||
		    strcmp(dmarc_status_text(s), want[s][1]) != 0)
			good = 0;
	ok(good, "Exim's dmarc_status words and texts");
	ok(strcmp(dmarc_policy_name(DMARC_P_QUARANTINE), "quarantine") == 0 &&
	    strcmp(dmarc_policy_name(DMARC_P_UNSET), "") == 0,
	    "policy names");
}

static int
org_lines(const char *list)
{
	struct psl	*l;
	char		 line[1024], buf[256], err[512];
	int		 st;

	if ((l = psl_load(list, err, sizeof err, &st)) == NULL) {
		fprintf(stderr, "dmarc-test: %s\n", err);
		return st;
	}
	while (fgets(line, sizeof line, stdin) != NULL) {
		line[strcspn(line, "\n")] = '\0';
		if (psl_org_domain(l, line, buf, sizeof buf) < 0)
			printf("%s -\n", line);
		else
			printf("%s %s %d\n", line, buf, psl_is_suffix(l, line));
	}
	psl_free(l);
	return 0;
}

int
main(int argc, char **argv)
{
	char	err[512];
	int	st;

	if (argc == 3 && strcmp(argv[1], "--org") == 0)
		return org_lines(argv[2]);
	if (argc != 2) {
		fprintf(stderr, "usage: dmarc-test DIR\n");
		return 64;
	}
	dir = argv[1];
	show_library_init();
	show_library_traps();
	test_from();
	test_envelope();
	test_psl();
	test_records();
	test_words();
	write_file("zone", zone_text);
	if ((zone = dns_new(NULL, path("zone"), 5, err, sizeof err)) == NULL ||
	    (ctx = dmarc_new(NULL, err, sizeof err, &st)) == NULL) {
		ok(0, "set up: %s", err);
		return done_testing();
	}
	test_new();
	test_verdicts();
	test_tempfail();
	dmarc_free(ctx);
	dns_free(zone);
	return done_testing();
}
