/*
 * Unit tests of common/authres.c, printed as TAP.
 *
 * authres-test --dump FILE parses each record of FILE (records end with a
 * line "%%") and prints one canonical line per record, the form that
 * t/55-authres.t compares with python3-authres.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "authres.h"
#include "tap.h"

static char		*cur;	/* the value parsed last: its bytes, no NUL */
static size_t		 curlen;
static struct authres	 ar;

static int
parse(const char *s, size_t n)
{
	authres_free(&ar);
	free(cur);
	/* Exactly n bytes, so that ASan sees a read past the end. */
	if ((cur = malloc(n ? n : 1)) == NULL)
		abort();
	memcpy(cur, s, n);
	curlen = n;
	return authres_parse(cur, n, &ar);
}

#define PARSE(s)	parse(s, strlen(s))

struct buf {
	char	b[8192];
	size_t	n;
};

static void
add(struct buf *b, const char *fmt, ...)
{
	va_list	ap;
	int	k;

	if (b->n >= sizeof b->b - 1)
		return;
	va_start(ap, fmt);
	k = vsnprintf(b->b + b->n, sizeof b->b - b->n, fmt, ap);
	va_end(ap);
	if (k > 0)
		b->n += (size_t)k < sizeof b->b - b->n ? (size_t)k :
		    sizeof b->b - 1 - b->n;
}

/*
 * One line: id=ID v=N none=0|1, then " | method=result reason=R
 * ptype.name=value..." per result ("-" for a missing id or result).
 */
static const char *
dump(const struct authres *a, int lowerid)
{
	static struct buf	 b;
	const char		*id = a->authserv_id;

	b.n = 0;
	b.b[0] = '\0';
	add(&b, "id=");
	if (id == NULL)
		add(&b, "-");
	for (; id != NULL && *id != '\0'; id++)
		add(&b, "%c", lowerid && *id >= 'A' && *id <= 'Z' ?
		    *id + 'a' - 'A' : *id);
	add(&b, " v=%d none=%d", a->version, a->none);
	for (size_t i = 0; i < a->nres; i++) {
		const struct ar_result	*r = &a->res[i];

		add(&b, " | %s=%s", r->method, r->result ? r->result : "-");
		if (r->reason != NULL)
			add(&b, " reason=%s", r->reason);
		for (size_t j = 0; j < r->nprops; j++)
			add(&b, " %s.%s=%s", r->props[j].ptype,
			    r->props[j].name, r->props[j].value);
	}
	return b.b;
}

static int
same_str(const char *got, const char *want)
{
	if (got != NULL && want != NULL && strcmp(got, want) == 0)
		return 1;
	if (got == NULL && want == NULL)
		return 1;
	printf("#      got: '%s'\n#   expected: '%s'\n", got ? got : "(null)",
	    want ? want : "(null)");
	return 0;
}

/* The value s parses to the dump want. */
#define is_dump(s, want, ...)						\
	ok(PARSE(s) == 0 && same_str(dump(&ar, 0), want), __VA_ARGS__)

/* The text of result i is at offset off of the value, want as bytes. */
static int
text_is(size_t i, size_t off, const char *want)
{
	if (i >= ar.nres)
		return 0;
	if (ar.res[i].text == cur + off && ar.res[i].textlen == strlen(want) &&
	    memcmp(ar.res[i].text, want, strlen(want)) == 0)
		return 1;
	printf("#      got: at %td '%.*s'\n#   expected: at %zu '%s'\n",
	    ar.res[i].text - cur, (int)ar.res[i].textlen, ar.res[i].text, off,
	    want);
	return 0;
}

static int
rest_is(size_t off, const char *want)
{
	if (ar.rest == cur + off && ar.restlen == strlen(want) &&
	    memcmp(ar.rest, want, strlen(want)) == 0)
		return 1;
	printf("#      got: at %td '%.*s'\n#   expected: at %zu '%s'\n",
	    ar.rest - cur, (int)ar.restlen, ar.rest, off, want);
	return 0;
}

static void
test_rfc_examples(void)
{
	/* RFC 8601 appendix B, one field at a time. */
	is_dump("example.org 1; none", "id=example.org v=1 none=1",
	    "B.2: service provided, no authentication done");
	ok(rest_is(15, "none"), "B.2: rest is the no-result");
	is_dump(" example.com;\r\n"
	    "          spf=pass smtp.mailfrom=example.net\r\n",
	    "id=example.com v=1 none=0 | spf=pass smtp.mailfrom=example.net",
	    "B.3: one authentication");
	is_dump(" example.com;\r\n"
	    "          auth=pass (cram-md5) smtp.auth=sender@example.net;\r\n"
	    "          spf=pass smtp.mailfrom=example.net\r\n",
	    "id=example.com v=1 none=0"
	    " | auth=pass smtp.auth=sender@example.net"
	    " | spf=pass smtp.mailfrom=example.net",
	    "B.4: several authentications, first field");
	is_dump(" example.com; iprev=pass\r\n"
	    "          policy.iprev=192.0.2.200\r\n",
	    "id=example.com v=1 none=0 | iprev=pass policy.iprev=192.0.2.200",
	    "B.4: second field");
	is_dump(" example.com;\r\n"
	    "          dkim=pass (good signature) header.d=example.com\r\n",
	    "id=example.com v=1 none=0 | dkim=pass header.d=example.com",
	    "B.5: a comment after the result");
	is_dump(" example.com;\r\n"
	    "          auth=pass (cram-md5) smtp.auth=sender@example.com;\r\n"
	    "          spf=fail smtp.mailfrom=example.com\r\n",
	    "id=example.com v=1 none=0"
	    " | auth=pass smtp.auth=sender@example.com"
	    " | spf=fail smtp.mailfrom=example.com",
	    "B.5: the second field");
	is_dump(" example.com;\r\n"
	    "      dkim=pass reason=\"good signature\"\r\n"
	    "        header.i=@mail-router.example.net;\r\n"
	    "      dkim=fail reason=\"bad signature\"\r\n"
	    "        header.i=@newyork.example.com\r\n",
	    "id=example.com v=1 none=0"
	    " | dkim=pass reason=good signature"
	    " header.i=@mail-router.example.net"
	    " | dkim=fail reason=bad signature header.i=@newyork.example.com",
	    "B.6: quoted reasons, header.i of a domain");
	is_dump(" mail-router.example.net;\r\n"
	    "      dkim=pass (good signature) header.d=newyork.example.com\r\n"
	    "        header.b=oINEO8hg;\r\n"
	    "      dkim=fail (bad signature)"
	    " header.d=mail-router.example.net\r\n"
	    "        header.b=EToRSuvU\r\n",
	    "id=mail-router.example.net v=1 none=0"
	    " | dkim=pass header.d=newyork.example.com header.b=oINEO8hg"
	    " | dkim=fail header.d=mail-router.example.net header.b=EToRSuvU",
	    "B.6: header.b");
	is_dump(" foo.example.net (foobar) 1 (baz);\r\n"
	    "    dkim (Because I like it) / 1 (One yay) = (wait for it)"
	    " fail\r\n"
	    "      policy (A dot can go here) . (like that) expired\r\n"
	    "      (this surprised me) = (as I wasn't expecting it) 1362471462"
	    "\r\n",
	    "id=foo.example.net v=1 none=0"
	    " | dkim=fail policy.expired=1362471462",
	    "B.7: the comment-heavy example");
	ok(text_is(0, 40, "dkim (Because I like it) / 1 (One yay) = (wait for "
	    "it) fail\r\n      policy (A dot can go here) . (like that) "
	    "expired\r\n      (this surprised me) = (as I wasn't expecting "
	    "it) 1362471462"), "B.7: text keeps comments and folds");
}

static void
test_comments(void)
{
	is_dump("(a)example.com(b);(c)spf(d)=(e)pass(f)smtp(g).(h)mailfrom(i)="
	    "(j)a@example.net(k);(l)",
	    "id=example.com v=1 none=0 | spf=pass smtp.mailfrom=a@example.net",
	    "comments with no blanks around them, everywhere CFWS goes");
	ok(text_is(0, 21, "spf(d)=(e)pass(f)smtp(g).(h)mailfrom(i)=(j)"
	    "a@example.net(k)"),
	    "text: from the method, trailing comment kept");
	is_dump("example.com; dkim=pass (nested (comment; with \\) and \\( and "
	    "\"quote) inside) header.d=example.org; spf=none",
	    "id=example.com v=1 none=0 | dkim=pass header.d=example.org"
	    " | spf=none",
	    "nested comments, quoted-pairs, ';' and '\"' inside a comment");
	is_dump("example.com; spf=pass (unclosed; dkim=pass",
	    "id=example.com v=1 none=0 | spf=pass",
	    "an unclosed comment runs to the end of the value");
	is_dump("example.com (the server; v2) ; spf=pass",
	    "id=example.com v=1 none=0 | spf=pass",
	    "a ';' in a comment after the authserv-id");
}

static void
test_version(void)
{
	is_dump("example.org 1 (v) ; spf=pass", "id=example.org v=1 none=0"
	    " | spf=pass", "version 1 after the authserv-id, with a comment");
	is_dump("example.org\r\n 2; spf=pass", "id=example.org v=2 none=0"
	    " | spf=pass", "another version, after a fold");
	ok(rest_is(17, "spf=pass"), "rest after the version and the ';'");
	is_dump("example.org 99999999999; spf=pass", "id=example.org v=1 none=0"
	    " | spf=pass", "a version too big for an int is ignored");
	is_dump("example.org 1 junk (x); spf=pass", "id=example.org v=1 none=0"
	    " | spf=pass", "garbage after the authserv-id is ignored");
	is_dump("example.org; dkim/1=pass header.d=a.example",
	    "id=example.org v=1 none=0 | dkim=pass header.d=a.example",
	    "a method version");
	is_dump("example.org; dkim/x=pass; spf=pass",
	    "id=example.org v=1 none=0 | spf=pass",
	    "a method version that is no number drops that resinfo");
}

static void
test_values(void)
{
	is_dump("example.com; dkim=fail reason=\"sig \\\"bad\\\"; very\" "
	    "header.d=\"example.org\" header.s=\"\"",
	    "id=example.com v=1 none=0 | dkim=fail reason=sig \"bad\"; very"
	    " header.d=example.org header.s=",
	    "quoted-strings unquoted, a ';' inside one, an empty one");
	is_dump("example.com; spf=pass smtp.mailfrom=\"john q\"@example.org",
	    "id=example.com v=1 none=0 | spf=pass"
	    " smtp.mailfrom=\"john q\"@example.org",
	    "an addr-spec with a quoted local part is kept as written");
	is_dump("example.com; dkim=fail reason=\"a long\r\n\treason\"",
	    "id=example.com v=1 none=0 | dkim=fail reason=a long\treason",
	    "a folded quoted-string is unfolded");
	is_dump("example.com; dkim=neutral reason=bodyhash header.d=x.example",
	    "id=example.com v=1 none=0 | dkim=neutral reason=bodyhash"
	    " header.d=x.example", "a reason token");
	is_dump("example.com; compauth=pass header.from=x.example reason=100",
	    "id=example.com v=1 none=0 | compauth=pass reason=100"
	    " header.from=x.example", "a reason after the properties");
	is_dump("example.com; spf=pass smtp.mailfrom=\"unclosed; dkim=pass",
	    "id=example.com v=1 none=0 | spf=pass",
	    "an unclosed quoted-string runs to the end, its property lost");
	is_dump("example.com; SPF=PASS SMTP.MailFrom=User+Tag@Example.COM",
	    "id=example.com v=1 none=0 | spf=pass"
	    " smtp.mailfrom=User+Tag@Example.COM",
	    "smtp.mailfrom with a local part: names lower-cased, value not");
	is_dump("example.com; dkim=pass header.d=example.org "
	    "header.i=@mail.example.org header.b=\"ab/c+9=\""
	    " header.a=rsa-sha256 header.s=sel",
	    "id=example.com v=1 none=0 | dkim=pass header.d=example.org"
	    " header.i=@mail.example.org header.b=ab/c+9="
	    " header.a=rsa-sha256 header.s=sel", "dkim properties");
	is_dump("example.com; dkim=pass header.b=Ab/cD+e=",
	    "id=example.com v=1 none=0 | dkim=pass header.b=Ab/cD+e=",
	    "an unquoted header.b with '/' and '=' as the wild writes it");
	is_dump("example.com; arc=pass (i=2 spf=pass) header.oldest-pass=2 "
	    "smtp.remote-ip=192.0.2.1",
	    "id=example.com v=1 none=0 | arc=pass header.oldest-pass=2"
	    " smtp.remote-ip=192.0.2.1", "arc=pass with oldest-pass and an IP");
	is_dump("example.com; iprev=pass policy.iprev=2001:db8::1",
	    "id=example.com v=1 none=0 | iprev=pass policy.iprev=2001:db8::1",
	    "an IPv6 address, bare");
	is_dump("example.com; x-thing=pass x-custom.key=v1 smtp.helo=h.example",
	    "id=example.com v=1 none=0 | x-thing=pass x-custom.key=v1"
	    " smtp.helo=h.example", "an unknown ptype is kept");
	ok(authres_find(&ar, "X-THING") == &ar.res[0] &&
	    ar_prop_get(&ar.res[0], "X-Custom", "KEY") != NULL &&
	    strcmp(ar_prop_get(&ar.res[0], "smtp", "helo"), "h.example") == 0 &&
	    ar_prop_get(&ar.res[0], "smtp", "mailfrom") == NULL &&
	    authres_find(&ar, "spf") == NULL,
	    "authres_find and ar_prop_get, case-insensitive");
	is_dump("\"my server\"; spf=pass", "id=my server v=1 none=0"
	    " | spf=pass", "a quoted authserv-id");
}

static void
test_lenient(void)
{
	is_dump("spf=pass smtp.mailfrom=a@example.net; dkim=fail",
	    "id=- v=1 none=0 | spf=pass smtp.mailfrom=a@example.net"
	    " | dkim=fail", "no authserv-id: the first token is a method");
	ok(rest_is(0, "spf=pass smtp.mailfrom=a@example.net; dkim=fail") &&
	    text_is(0, 0, "spf=pass smtp.mailfrom=a@example.net"),
	    "no authserv-id: rest is all of the value");
	is_dump(" (c) dkim (x) / 1 = pass", "id=- v=1 none=0 | dkim=pass",
	    "no authserv-id, a method version and comments");
	ok(!authres_is_ours(&ar, "dkim"), "no authserv-id is nobody's");
	is_dump("example.com; dkim header.d=example.org; spf",
	    "id=example.com v=1 none=0 | dkim=- header.d=example.org | spf=-",
	    "methods without a result");
	is_dump("example.com; spf= ; dkim=(none)",
	    "id=example.com v=1 none=0 | spf=- | dkim=-",
	    "'=' with no result");
	is_dump("example.com; NONE (nothing to say)", "id=example.com v=1 "
	    "none=1", "none, upper case, with a comment");
	is_dump("example.com; none; spf=pass", "id=example.com v=1 none=0"
	    " | spf=pass", "none beside a result is no none");
	is_dump("example.com; none=pass", "id=example.com v=1 none=0"
	    " | none=pass", "a method named none");
	is_dump("example.com", "id=example.com v=1 none=0",
	    "an authserv-id alone");
	ok(ar.rest == cur + curlen && ar.restlen == 0, "its rest is empty");
	is_dump("example.com; spf=pass;; ; dkim=pass;",
	    "id=example.com v=1 none=0 | spf=pass | dkim=pass",
	    "empty resinfos and a trailing ';'");
	ok(rest_is(13, "spf=pass;; ; dkim=pass"),
	    "rest: the trailing ';' trimmed, the empty ones kept");
	is_dump("example.com; ; (c) ;\r\n spf=pass (x);\r\n ; (y) ;\r\n",
	    "id=example.com v=1 none=0 | spf=pass",
	    "empty resinfos around one");
	ok(rest_is(23, "spf=pass (x)"), "rest: empty resinfos at the ends "
	    "left out, a comment of the last kept");
	is_dump("example.com; spf=pass; @@@ junk]; dkim=pass header.d=x.example"
	    "; ]; dmarc=fail",
	    "id=example.com v=1 none=0 | spf=pass"
	    " | dkim=pass header.d=x.example | dmarc=fail",
	    "garbage resinfos in the middle are skipped");
	ok(text_is(1, 34, "dkim=pass header.d=x.example") &&
	    text_is(2, 67, "dmarc=fail"), "the texts around garbage");
	is_dump("example.com; spf=pass smtp.mailfrom=a@x.example ]junk "
	    "smtp.helo=h; dkim=pass",
	    "id=example.com v=1 none=0 | spf=pass smtp.mailfrom=a@x.example"
	    " | dkim=pass", "garbage inside a resinfo keeps what came before");
	ok(text_is(0, 13, "spf=pass smtp.mailfrom=a@x.example ]junk "
	    "smtp.helo=h"), "text: the resinfo with its garbage");
	is_dump("mx.microsoft.example; spf=pass (sender IP is 192.0.2.7) "
	    "smtp.mailfrom=example.com; dkim=none (message not signed) "
	    "header.d=none;dmarc=none action=none header.from=example.com;"
	    "compauth=pass reason=100",
	    "id=mx.microsoft.example v=1 none=0"
	    " | spf=pass smtp.mailfrom=example.com | dkim=none header.d=none"
	    " | dmarc=none header.from=example.com | compauth=pass reason=100",
	    "Microsoft's form: action= skipped, no blank after ';'");
	{
		const char	v[] = "example.com; spf=pass\0; dkim=pass";

		ok(parse(v, sizeof v - 1) == 0 &&
		    same_str(dump(&ar, 0), "id=example.com v=1 none=0"
		    " | spf=pass | dkim=pass"), "a NUL is garbage, not an end");
	}
	ok(parse("example.com; spf=pass", 19) == 0 &&
	    same_str(dump(&ar, 0), "id=example.com v=1 none=0 | spf=pa"),
	    "nothing past len is read");
}

static void
test_folds(void)
{
	const char	*crlf = "example.com;\r\n\tspf=pass\r\n"
	    "  smtp.mailfrom=a@example.net;\r\n dkim=pass\r\n"
	    "\theader.d=x.example\r\n";
	const char	*lf = "example.com;\n\tspf=pass\n"
	    "  smtp.mailfrom=a@example.net;\n dkim=pass\n"
	    "\theader.d=x.example\n";
	const char	*want = "id=example.com v=1 none=0"
	    " | spf=pass smtp.mailfrom=a@example.net"
	    " | dkim=pass header.d=x.example";

	is_dump(crlf, want, "CRLF folds");
	ok(text_is(0, 15, "spf=pass\r\n  smtp.mailfrom=a@example.net") &&
	    text_is(1, 58, "dkim=pass\r\n\theader.d=x.example"),
	    "CRLF: texts keep inner folds, trailing CRLF trimmed");
	ok(rest_is(15, "spf=pass\r\n  smtp.mailfrom=a@example.net;\r\n "
	    "dkim=pass\r\n\theader.d=x.example"), "CRLF: rest keeps folds");
	is_dump(lf, want, "LF folds");
	ok(text_is(1, 55, "dkim=pass\n\theader.d=x.example") &&
	    rest_is(14, "spf=pass\n  smtp.mailfrom=a@example.net;\n "
	    "dkim=pass\n\theader.d=x.example"), "LF: texts and rest");
}

/* What an ARC sealer builds from rest parses to the same results. */
static void
test_rest_reparse(void)
{
	const char	*v[] = {
		" example.org (x) 1 ; (y) spf=pass smtp.mailfrom=a@b.example ;"
		"\r\n dkim=fail reason=\"x; y\" header.d=b.example ; \r\n",
		"arc=pass header.oldest-pass=1; spf=none",
		"example.org; none",
		"example.org; junk@; dmarc=pass (p=none)"
		" header.from=b.example;;",
	};
	char		 sealed[512], want[8192];

	for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
		int	n;

		PARSE(v[i]);
		snprintf(want, sizeof want, "%s", strchr(dump(&ar, 0), ' '));
		n = snprintf(sealed, sizeof sealed, "example.org; %.*s",
		    (int)ar.restlen, ar.rest);
		ok(parse(sealed, n) == 0 &&
		    same_str(strchr(dump(&ar, 0), ' '), want),
		    "rest of value %zu parses to the same results", i + 1);
	}
}

static void
test_errors(void)
{
	const struct {
		const char	*v, *why;
	} bad[] = {
		{ "", "empty" },
		{ "   \r\n\t", "blanks and a fold" },
		{ "(only a comment)", "a comment alone" },
		{ "; spf=pass", "';' first" },
		{ "@example.com; spf=pass", "'@' first" },
		{ "\"unclosed; spf=pass", "an unclosed quoted authserv-id" },
		{ "=pass", "'=' first" },
	};

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		ok(PARSE(bad[i].v) == -1 && ar.authserv_id == NULL &&
		    ar.nres == 0 && ar.res == NULL && ar.rest == NULL,
		    "-1 and an empty struct: %s", bad[i].why);
	authres_free(&ar);
	authres_free(&ar);
	ok(ar.nres == 0, "authres_free twice is safe");
}

static void
test_is_ours(void)
{
	PARSE("Mx.Example.COM; spf=pass");
	ok(same_str(ar.authserv_id, "Mx.Example.COM"), "the id as written");
	ok(authres_is_ours(&ar, "mx.example.com"), "ours: case-insensitive");
	ok(authres_is_ours(&ar, "MX.EXAMPLE.COM."), "ours: a trailing dot");
	ok(!authres_is_ours(&ar, "example.com"), "not ours: a parent domain");
	ok(!authres_is_ours(&ar, "mx.example.co"), "not ours: a prefix");
	ok(!authres_is_ours(&ar, "mx.example.com.."), "not ours: two dots");
	ok(!authres_is_ours(&ar, ""), "not ours: empty");
	PARSE("mx.example.com.; spf=pass");
	ok(authres_is_ours(&ar, "mx.example.com") &&
	    authres_is_ours(&ar, "mx.example.com."),
	    "ours: a trailing dot in the field");
}

static int
dump_file(const char *path)
{
	FILE		*fp;
	char		*data = NULL, *p, *e;
	size_t		 n = 0, cap = 0, k;

	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		return 1;
	}
	do {
		if (n == cap && (data = realloc(data, cap = cap * 2 + 4096)) ==
		    NULL)
			abort();
		k = fread(data + n, 1, cap - n, fp);
		n += k;
	} while (k > 0);
	fclose(fp);
	for (p = data; p < data + n; p = e + 4) {
		if ((e = memmem(p, data + n - p, "\n%%\n", 4)) == NULL)
			e = data + n;
		if (parse(p, e - p) == 0)
			printf("%s\n", dump(&ar, 1));
		else
			printf("error\n");
		if (e == data + n)
			break;
	}
	free(data);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "--dump") == 0)
		return dump_file(argv[2]);
	test_rfc_examples();
	test_comments();
	test_version();
	test_values();
	test_lenient();
	test_folds();
	test_rest_reparse();
	test_errors();
	test_is_ours();
	authres_free(&ar);
	free(cur);
	return done_testing();
}
