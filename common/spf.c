#include "config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dns.h"
#include "spf.h"

/* RFC 7208 4.6.4: the terms that query DNS, and those that find nothing. */
#define LOOKUP_MAX	10
#define VOID_MAX	2
/* RFC 7208 4.6.4: MX names looked up, PTR names checked. */
#define MX_MAX		10
#define PTR_MAX		10
/* RFC 7208 7.3: an expanded name is cut from the left to this length. */
#define NAME_MAX_LEN	253
/* RFC 7208 4.6.4: a check's time, at least 20 s. */
#define TIME_LIMIT	20
/* What a macro may expand to: beyond it the record is refused. */
#define EXPAND_MAX	8192

enum mech {
	M_ALL, M_INCLUDE, M_A, M_MX, M_PTR, M_IP4, M_IP6, M_EXISTS
};

static const char *const mech_names[] = {
	"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"
};

struct spf_term {
	enum mech	 mech;
	enum spf_result	 qual;		/* pass, fail, softfail, neutral */
	char		*spec;		/* domain-spec, NULL when none */
	int		 cidr4;		/* prefix lengths, -1 when none */
	int		 cidr6;
	unsigned char	 addr[16];	/* ip4 and ip6 */
};

struct spf_record {
	struct spf_term	*t;
	size_t		 n;
	char		*redirect;	/* domain-specs, NULL when none */
	char		*exp;
};

/* One check, across its includes and redirects. */
struct ctx {
	struct dns			*dns;
	const struct spf_request	*req;
	int				 af;	/* the client's, as checked */
	unsigned char			 ip[16];
	char				 local[256];	/* %{l} */
	char				 sdomain[256];	/* %{o} */
	const char			*helo;
	int				 lookups;
	int				 voids;
	int				 include;	/* depth in includes */
	char				 valid[256];	/* %{p}, "" unknown */
	int				 pdone;
	char				*why;		/* = res->reason */
	size_t				 whylen;
	char				*exp;		/* fail's explanation */
	int				 nomem;		/* out of memory once */
	struct timespec			 end;		/* the time limit */
	int				 limit;		/* it, in seconds */
	int				 late;		/* it has passed */
};

struct buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
	int	 over;		/* past EXPAND_MAX or out of memory */
	int	 nomem;
};

const char *
spf_result_name(enum spf_result r)
{
	switch (r) {
	case SPF_NONE:		return "none";
	case SPF_NEUTRAL:	return "neutral";
	case SPF_PASS:		return "pass";
	case SPF_FAIL:		return "fail";
	case SPF_SOFTFAIL:	return "softfail";
	case SPF_TEMPERROR:	return "temperror";
	case SPF_PERMERROR:	return "permerror";
	}
	return "permerror";
}

int
spf_result_parse(const char *s)
{
	for (int r = SPF_NONE; r <= SPF_PERMERROR; r++)
		if (strcasecmp(s, spf_result_name(r)) == 0)
			return r;
	return -1;
}

static void
seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list	ap;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
}

static void
buf_add(struct buf *b, const char *s, size_t n)
{
	char	*p;
	size_t	 cap;

	if (b->over)
		return;
	if (b->len + n + 1 > EXPAND_MAX) {
		b->over = 1;
		return;
	}
	if (b->len + n + 1 > b->cap) {
		cap = b->cap == 0 ? 256 : b->cap;
		while (cap < b->len + n + 1)
			cap *= 2;
		if ((p = realloc(b->s, cap)) == NULL) {
			b->over = b->nomem = 1;
			return;
		}
		b->s = p;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

/*
 * The client address as SPF's %{i} shows it: IPv6 as dotted nibbles, in
 * upper case as pyspf and the RFC 7208 test suite write them (the RFC's
 * own example has lower case; DNS does not care, an explanation shows it).
 */
static void
ip_dotted(const struct ctx *c, char *out, size_t len)
{
	char	*p = out;

	if (c->af == AF_INET) {
		snprintf(out, len, "%u.%u.%u.%u", c->ip[0], c->ip[1],
		    c->ip[2], c->ip[3]);
		return;
	}
	for (int i = 0; i < 16 && len >= 5; i++, len -= 4) {
		*p++ = "0123456789ABCDEF"[c->ip[i] >> 4];
		*p++ = '.';
		*p++ = "0123456789ABCDEF"[c->ip[i] & 0xf];
		*p++ = i < 15 ? '.' : '\0';
	}
}

static int
is_delim(int ch)
{
	return ch != '\0' && strchr(".-+,/_=", ch) != NULL;
}

/* RFC 3986 unreserved: what an upper-case macro letter leaves as it is. */
static int
is_unreserved(int ch)
{
	return isalnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch == '~';
}

static int validate_ptr(struct ctx *, const char *, char *, size_t, int);
static void time_limit(struct ctx *, int);

/*
 * The value of macro letter l (lower case) for c, in out.  Without c
 * (syntax checks, the fuzz harness) every value is a placeholder.
 */
static void
macro_value(struct ctx *c, const char *domain, int l, char *out, size_t len)
{
	const struct spf_request	*r;

	if (c == NULL) {
		snprintf(out, len, "%s", l == 'i' ? "192.0.2.1" :
		    "example.org");
		return;
	}
	r = c->req;
	switch (l) {
	case 's':
		snprintf(out, len, "%s@%s", c->local, c->sdomain);
		break;
	case 'l':
		snprintf(out, len, "%s", c->local);
		break;
	case 'o':
		snprintf(out, len, "%s", c->sdomain);
		break;
	case 'd':
		snprintf(out, len, "%s", domain);
		break;
	case 'i':
		ip_dotted(c, out, len);
		break;
	case 'c':
		inet_ntop(c->af, c->ip, out, len);
		break;
	case 'p':
		/* RFC 7208 7.3: looked up once, for the first domain */
		if (!c->pdone && c->dns != NULL) {
			c->pdone = 1;
			validate_ptr(c, domain, c->valid, sizeof c->valid, 0);
		}
		snprintf(out, len, "%s", c->valid[0] != '\0' ? c->valid :
		    "unknown");
		break;
	case 'v':
		snprintf(out, len, "%s", c->af == AF_INET ? "in-addr" : "ip6");
		break;
	case 'h':
		snprintf(out, len, "%s", c->helo != NULL && *c->helo != '\0' ?
		    c->helo : "unknown");
		break;
	case 'r':
		snprintf(out, len, "%s", r->receiver != NULL ? r->receiver :
		    "unknown");
		break;
	case 't':
		snprintf(out, len, "%lld", (long long)r->now);
		break;
	}
}

/*
 * RFC 7208 7.3: a value split at the delimiters (default "."), reversed
 * with r, its rightmost n parts (all with n 0), joined with ".", then
 * URL-escaped for an upper-case letter.
 */
static void
macro_transform(struct buf *b, const char *v, unsigned long n, int rev,
    const char *delims, int upper)
{
	const char	*parts[EXPAND_MAX / 2 + 1];
	size_t		 lens[EXPAND_MAX / 2 + 1];
	size_t		 np = 0, i, first;
	const char	*p = v, *s = v;
	char		 esc[4];
	struct buf	 t = { NULL, 0, 0, 0, 0 };

	for (;; p++) {
		if (*p == '\0' || (strchr(delims, *p) != NULL)) {
			if (np < sizeof parts / sizeof parts[0]) {
				parts[np] = s;
				lens[np++] = p - s;
			}
			if (*p == '\0')
				break;
			s = p + 1;
		}
	}
	if (rev)
		for (i = 0; i < np / 2; i++) {
			const char	*tp = parts[i];
			size_t		 tl = lens[i];

			parts[i] = parts[np - 1 - i];
			lens[i] = lens[np - 1 - i];
			parts[np - 1 - i] = tp;
			lens[np - 1 - i] = tl;
		}
	first = n > 0 && n < np ? np - n : 0;
	for (i = first; i < np; i++) {
		if (i > first)
			buf_add(&t, ".", 1);
		buf_add(&t, parts[i], lens[i]);
	}
	if (t.over) {
		b->over = 1;
		b->nomem |= t.nomem;
		free(t.s);
		return;
	}
	for (i = 0; i < t.len; i++) {
		if (!upper || is_unreserved((unsigned char)t.s[i]))
			buf_add(b, t.s + i, 1);
		else {
			snprintf(esc, sizeof esc, "%%%02X",
			    (unsigned char)t.s[i]);
			buf_add(b, esc, 3);
		}
	}
	free(t.s);
}

/*
 * Expand the macro-string s[0..len) (RFC 7208 7) into b.  exp allows the
 * letters c, r and t and blanks (an explanation, 6.2).  0, or -1 with a
 * reason in err on a syntax error.  Without c only the syntax is checked.
 */
static int
expand(struct ctx *c, const char *domain, const char *s, size_t len, int exp,
    struct buf *b, char *err, size_t errlen)
{
	const char	*p = s, *e = s + len, *start;
	char		 val[EXPAND_MAX], delims[8];
	unsigned long	 n;
	int		 l, upper, rev, nd;

	while (p < e) {
		if (*p != '%') {
			if ((unsigned char)*p < 0x21 ||
			    (unsigned char)*p > 0x7e) {
				if (!(exp && *p == ' ')) {
					seterr(err, errlen, "a byte 0x%02x "
					    "that no macro-string holds",
					    (unsigned char)*p);
					return -1;
				}
			}
			buf_add(b, p++, 1);
			continue;
		}
		start = p++;
		if (p == e) {
			seterr(err, errlen, "a '%%' at the end");
			return -1;
		}
		switch (*p) {
		case '%':
			buf_add(b, "%", 1);
			p++;
			continue;
		case '_':
			buf_add(b, " ", 1);
			p++;
			continue;
		case '-':
			buf_add(b, "%20", 3);
			p++;
			continue;
		case '{':
			break;
		default:
			seterr(err, errlen, "'%%%c' is no macro", *p);
			return -1;
		}
		p++;
		if (p == e)
			goto bad;
		l = tolower((unsigned char)*p);
		upper = isupper((unsigned char)*p);
		if (strchr("slodiphv", l) == NULL &&
		    !(exp && strchr("crt", l) != NULL)) {
			seterr(err, errlen, "'%%{%c' is no macro%s", *p,
			    strchr("crt", l) != NULL && l != '\0' ?
			    " outside an explanation" : "");
			return -1;
		}
		p++;
		n = 0;
		nd = 0;
		while (p < e && *p >= '0' && *p <= '9') {
			if (n < 1000)
				n = n * 10 + (*p - '0');
			p++;
			nd++;
		}
		/* RFC 7208 7.3: a DIGIT transformer is nonzero */
		if (nd > 0 && n == 0) {
			seterr(err, errlen, "a macro keeping 0 parts");
			return -1;
		}
		rev = 0;
		if (p < e && (*p == 'r' || *p == 'R')) {
			rev = 1;
			p++;
		}
		delims[0] = '\0';
		while (p < e && is_delim(*p)) {
			size_t	dl = strlen(delims);

			if (strchr(delims, *p) == NULL &&
			    dl < sizeof delims - 1) {
				delims[dl] = *p;
				delims[dl + 1] = '\0';
			}
			p++;
		}
		if (p == e || *p != '}')
			goto bad;
		p++;
		macro_value(c, domain, l, val, sizeof val);
		macro_transform(b, val, n, rev, delims[0] != '\0' ? delims :
		    ".", upper);
	}
	return 0;
bad:
	seterr(err, errlen, "a macro not closed right: '%.*s'",
	    (int)(e - start > 20 ? 20 : e - start), start);
	return -1;
}

/*
 * RFC 7208 7.1 domain-end: a domain-spec ends with a macro or with "."
 * and a top label that is not all digits (so "1.2.3.4" is no name).
 */
static int
domain_end_ok(const char *s)
{
	size_t		 len = strlen(s);
	const char	*top, *p;
	int		 alpha = 0;

	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len > 0 && s[len - 1] == '}') {
		/* a macro ends it: the last "%{" with no "}" after it */
		for (p = s + len - 1; p > s && p[-1] != '}'; p--)
			if (p[-1] == '%' && p[0] == '{')
				return 1;
		return 0;
	}
	/* "%%", "%_", "%-" are macro-expands too */
	if (len >= 2 && s[len - 2] == '%' && strchr("%_-", s[len - 1]) != NULL)
		return 1;
	for (top = s + len; top > s && top[-1] != '.'; top--)
		;
	if (top == s)
		return 0;
	if (top == s + len)
		return 0;
	for (p = top; p < s + len; p++) {
		if (isalpha((unsigned char)*p))
			alpha = 1;
		else if (!isdigit((unsigned char)*p) && *p != '-')
			return 0;
	}
	if (*top == '-' || s[len - 1] == '-')
		return 0;
	return alpha || memchr(top, '-', s + len - top) != NULL;
}

/* A "/NN" cidr length: "0" or no leading zero, at most max. -1 if bad. */
static int
cidr_value(const char *s, size_t n, int max)
{
	int	v = 0;

	if (n == 0 || n > 3 || (s[0] == '0' && n > 1))
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

/*
 * Take a dual-cidr-length ("/24", "//64", "/24//64") off the end of arg
 * (len bytes), which is shortened.  -1 when one is there but bad.
 */
static int
take_cidr(const char *arg, size_t *len, int *c4, int *c6)
{
	size_t	 n = *len, d;
	int	 v;

	*c4 = *c6 = -1;
	for (d = n; d > 0 && isdigit((unsigned char)arg[d - 1]); d--)
		;
	if (d == n || d == 0 || arg[d - 1] != '/')
		return 0;
	if (d >= 2 && arg[d - 2] == '/') {
		if ((v = cidr_value(arg + d, n - d, 128)) < 0)
			return -1;
		*c6 = v;
		n = d - 2;
		for (d = n; d > 0 && isdigit((unsigned char)arg[d - 1]); d--)
			;
		if (d == n || d == 0 || arg[d - 1] != '/') {
			*len = n;
			return 0;
		}
	}
	if ((v = cidr_value(arg + d, n - d, 32)) < 0)
		return -1;
	*c4 = v;
	*len = d - 1;
	return 0;
}

/* Whether arg (malloc'd, freed here) is a valid macro-string: 0 or -1. */
static int
spec_valid(char *arg, char *err, size_t errlen)
{
	struct buf	b = { NULL, 0, 0, 0, 0 };
	int		rc;

	rc = expand(NULL, "", arg, strlen(arg), 0, &b, err, errlen);
	free(b.s);
	free(arg);
	return rc;
}

void
spf_record_free(struct spf_record *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n; i++)
		free(r->t[i].spec);
	free(r->t);
	free(r->redirect);
	free(r->exp);
	free(r);
}

static int
spec_check(const char *spec, const char *name, char *err, size_t errlen)
{
	struct buf	b = { NULL, 0, 0, 0, 0 };
	int		rc;

	if (*spec == '\0') {
		seterr(err, errlen, "'%s' with an empty domain", name);
		return -1;
	}
	rc = expand(NULL, "", spec, strlen(spec), 0, &b, err, errlen);
	free(b.s);
	if (rc != 0)
		return -1;
	if (!domain_end_ok(spec)) {
		seterr(err, errlen, "'%s' with a domain that is no domain: "
		    "'%.60s'", name, spec);
		return -1;
	}
	return 0;
}

/* One term; 0, -1 syntax error (err says why), -2 out of memory. */
static int
parse_term(struct spf_record *r, const char *s, size_t len, char *err,
    size_t errlen)
{
	struct spf_term	 t, *v;
	const char	*eq, *colon, *arg = NULL;
	size_t		 nlen, alen = 0, i;
	char		 name[16], abuf[INET6_ADDRSTRLEN + 1];
	char		**mod;
	int		 m;

	memset(&t, 0, sizeof t);
	t.cidr4 = t.cidr6 = -1;
	t.qual = SPF_PASS;
	/* a modifier: name "=" macro-string, name = ALPHA *(ALNUM/-/_/.) */
	for (i = 0; i < len && (isalnum((unsigned char)s[i]) ||
	    strchr("-_.", s[i]) != NULL); i++)
		;
	eq = i < len && s[i] == '=' ? s + i : NULL;
	if (eq != NULL && isalpha((unsigned char)s[0])) {
		nlen = eq - s;
		mod = NULL;
		if (nlen == 8 && strncasecmp(s, "redirect", 8) == 0)
			mod = &r->redirect;
		else if (nlen == 3 && strncasecmp(s, "exp", 3) == 0)
			mod = &r->exp;
		if (mod != NULL && *mod != NULL) {
			seterr(err, errlen, "'%.*s' twice", (int)nlen, s);
			return -1;
		}
		if ((arg = strndup(eq + 1, s + len - eq - 1)) == NULL)
			return -2;
		if (mod != NULL) {
			if (spec_check(arg, nlen == 3 ? "exp" : "redirect",
			    err, errlen) != 0) {
				free((char *)arg);
				return -1;
			}
			*mod = (char *)arg;
			return 0;
		}
		/* RFC 7208 6: an unknown modifier is ignored, if well formed */
		return spec_valid((char *)arg, err, errlen);
	}
	if (len > 0 && strchr("+-~?", s[0]) != NULL) {
		t.qual = s[0] == '+' ? SPF_PASS : s[0] == '-' ? SPF_FAIL :
		    s[0] == '~' ? SPF_SOFTFAIL : SPF_NEUTRAL;
		s++;
		len--;
	}
	for (i = 0; i < len && isalnum((unsigned char)s[i]); i++)
		;
	nlen = i;
	for (m = 0; m <= M_EXISTS; m++)
		if (strlen(mech_names[m]) == nlen &&
		    strncasecmp(s, mech_names[m], nlen) == 0)
			break;
	if (m > M_EXISTS || nlen == 0) {
		seterr(err, errlen, "unknown mechanism '%.*s'",
		    (int)(len > 40 ? 40 : len), s);
		return -1;
	}
	t.mech = m;
	colon = s + nlen;
	arg = colon;
	alen = len - nlen;
	snprintf(name, sizeof name, "%s", mech_names[m]);
	switch (m) {
	case M_ALL:
		if (alen != 0)
			goto bad;
		break;
	case M_INCLUDE:
	case M_EXISTS:
	case M_PTR:
		if (alen == 0 && m == M_PTR)
			break;
		if (alen == 0 || *arg != ':')
			goto bad;
		if ((t.spec = strndup(arg + 1, alen - 1)) == NULL)
			return -2;
		if (spec_check(t.spec, name, err, errlen) != 0) {
			free(t.spec);
			return -1;
		}
		break;
	case M_A:
	case M_MX:
		if (take_cidr(arg, &alen, &t.cidr4, &t.cidr6) != 0) {
			seterr(err, errlen, "'%s' with a bad prefix length",
			    name);
			return -1;
		}
		if (alen == 0)
			break;
		if (*arg != ':')
			goto bad;
		if ((t.spec = strndup(arg + 1, alen - 1)) == NULL)
			return -2;
		if (spec_check(t.spec, name, err, errlen) != 0) {
			free(t.spec);
			return -1;
		}
		break;
	case M_IP4:
	case M_IP6:
		if (alen < 2 || *arg != ':')
			goto bad;
		arg++;
		alen--;
		i = alen;
		while (i > 0 && arg[i - 1] != '/')
			i--;
		if (i > 0) {
			t.cidr4 = t.cidr6 = cidr_value(arg + i, alen - i,
			    m == M_IP4 ? 32 : 128);
			if (t.cidr4 < 0) {
				seterr(err, errlen, "'%s' with a bad prefix "
				    "length", name);
				return -1;
			}
			alen = i - 1;
		} else
			t.cidr4 = t.cidr6 = m == M_IP4 ? 32 : 128;
		if (alen == 0 || alen >= sizeof abuf)
			goto bad;
		memcpy(abuf, arg, alen);
		abuf[alen] = '\0';
		if (inet_pton(m == M_IP4 ? AF_INET : AF_INET6, abuf,
		    t.addr) != 1) {
			seterr(err, errlen, "'%s' with a bad address '%s'",
			    name, abuf);
			return -1;
		}
		break;
	}
	if ((v = reallocarray(r->t, r->n + 1, sizeof *v)) == NULL) {
		free(t.spec);
		return -2;
	}
	r->t = v;
	r->t[r->n++] = t;
	return 0;
bad:
	seterr(err, errlen, "bad '%s' term: '%.*s'", name,
	    (int)(len > 60 ? 60 : len), s);
	return -1;
}

int
spf_record_is_spf(const char *s, size_t len)
{
	return len >= 6 && strncasecmp(s, "v=spf1", 6) == 0 &&
	    (len == 6 || s[6] == ' ');
}

int
spf_record_parse(const char *s, size_t len, struct spf_record **out,
    char *err, size_t errlen)
{
	struct spf_record	*r;
	size_t			 i, j;
	int			 rc;

	*out = NULL;
	if (!spf_record_is_spf(s, len)) {
		seterr(err, errlen, "not an SPF record: no 'v=spf1' first");
		return -1;
	}
	if ((r = calloc(1, sizeof *r)) == NULL)
		return -2;
	/* RFC 7208 4.6.1: terms are separated by spaces, and only those */
	for (i = 6; i < len; i = j) {
		while (i < len && s[i] == ' ')
			i++;
		for (j = i; j < len && s[j] != ' '; j++)
			;
		if (j == i)
			break;
		if ((rc = parse_term(r, s + i, j - i, err, errlen)) != 0) {
			spf_record_free(r);
			return rc;
		}
	}
	*out = r;
	return 0;
}

int
spf_macro_expand(struct dns *dns, const struct spf_request *req,
    const char *domain, const char *s, size_t len, int exp, char **out,
    char *err, size_t errlen)
{
	struct buf	 b = { NULL, 0, 0, 0, 0 };
	struct ctx	 c, *cp = NULL;
	int		 rc;

	*out = NULL;
	if (req != NULL) {
		memset(&c, 0, sizeof c);
		c.dns = dns;
		c.req = req;
		c.af = AF_INET;
		if (inet_pton(AF_INET6, req->ip, c.ip) == 1)
			c.af = AF_INET6;
		else if (inet_pton(AF_INET, req->ip, c.ip) != 1)
			memset(c.ip, 0, sizeof c.ip);
		snprintf(c.local, sizeof c.local, "postmaster");
		snprintf(c.sdomain, sizeof c.sdomain, "%s", domain);
		c.helo = req->helo;
		time_limit(&c, req->time_limit);
		cp = &c;
	}
	rc = expand(cp, domain, s, len, exp, &b, err, errlen);
	if (rc == 0 && b.over) {
		seterr(err, errlen, b.nomem ? "out of memory" :
		    "a macro-string expanding beyond %d bytes", EXPAND_MAX);
		rc = b.nomem ? -2 : -1;
	}
	if (rc != 0) {
		free(b.s);
		return rc;
	}
	if (b.s == NULL && (b.s = strdup("")) == NULL)
		return -2;
	*out = b.s;
	return 0;
}

/*
 * RFC 7208 4.3: a name check_host can take: labels of 1 to 63 bytes, at
 * least two of them, 253 bytes at most (a final dot aside).
 */
static int
name_ok(const char *d)
{
	size_t	len = strlen(d), l = 0;
	int	labels = 0;

	if (len > 0 && d[len - 1] == '.')
		len--;
	/* "[192.0.2.1]" is an address literal, no name */
	if (len == 0 || len > NAME_MAX_LEN || d[0] == '[')
		return 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || d[i] == '.') {
			if (l == 0 || l > 63)
				return 0;
			labels++;
			l = 0;
		} else
			l++;
	}
	return labels >= 2;
}

/* An expanded domain-spec as a query name: cut from the left to fit. */
static const char *
query_name(char *s)
{
	size_t	len = strlen(s);
	char	*p = s;

	if (len > 0 && s[len - 1] == '.')
		s[--len] = '\0';
	while (len > NAME_MAX_LEN && (p = strchr(p, '.')) != NULL) {
		p++;
		len = strlen(p);
	}
	return p != NULL ? p : s;
}

static int
cidr_match(const unsigned char *a, const unsigned char *b, int bits)
{
	int	bytes = bits / 8, rest = bits % 8;

	if (memcmp(a, b, bytes) != 0)
		return 0;
	if (rest == 0)
		return 1;
	return ((a[bytes] ^ b[bytes]) & (0xff << (8 - rest)) & 0xff) == 0;
}

static int
why(struct ctx *c, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(c->why, c->whylen, fmt, ap);
	va_end(ap);
	return 0;
}

/*
 * RFC 7208 4.6.4: past the time limit a check is a temperror.  Asked
 * before each lookup; a query under way has its own timeout.
 */
static int
late(struct ctx *c)
{
	struct timespec	now;

	if (c->late)
		return 1;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec < c->end.tv_sec || (now.tv_sec == c->end.tv_sec &&
	    now.tv_nsec < c->end.tv_nsec))
		return 0;
	c->late = 1;
	why(c, "the check took more than %d s", c->limit);
	return 1;
}

static void
time_limit(struct ctx *c, int limit)
{
	c->limit = limit > 0 ? limit : TIME_LIMIT;
	clock_gettime(CLOCK_MONOTONIC, &c->end);
	c->end.tv_sec += c->limit;
}

/* Count a void answer (RFC 7208 4.6.4); -1 past the limit. */
static int
count_void(struct ctx *c, enum dns_status st, const char *name)
{
	if (st != DNS_NXDOMAIN && st != DNS_NODATA)
		return 0;
	if (++c->voids > VOID_MAX) {
		why(c, "more than %d void lookups, the last '%s'", VOID_MAX,
		    name);
		return -1;
	}
	return 0;
}

/*
 * Whether the addresses at name hold the client (with the prefix length
 * of its family): 1, 0, or -1 temperror, -2 void limit passed.
 */
static int
addr_match(struct ctx *c, const char *name, int cidr4, int cidr6, int isvoid)
{
	struct dns_addr	*a;
	size_t		 n;
	enum dns_status	 st;
	char		 err[256];
	int		 bits = c->af == AF_INET ? cidr4 : cidr6, hit = 0;

	if (bits < 0)
		bits = c->af == AF_INET ? 32 : 128;
	if (late(c))
		return -1;
	st = dns_addr(c->dns, name, c->af, &a, &n, err, sizeof err);
	if (st == DNS_TEMPFAIL) {
		why(c, "lookup of '%s' failed: %s", name, err);
		return -1;
	}
	if (isvoid && count_void(c, st, name) != 0)
		return -2;
	for (size_t i = 0; i < n && !hit; i++)
		hit = cidr_match(a[i].a, c->ip, bits);
	free(a);
	return hit;
}

/*
 * RFC 7208 5.5: the client's names, as PTR records give them, that give
 * the client back (the first PTR_MAX); the one equal to target, or else
 * under it, or else any (for %{p}), and whether one under
 * target was found.  A DNS failure is no match.  The chosen name goes to
 * valid.  For the ptr mechanism (term set), no PTR record is a void
 * lookup: -2 past the limit.
 */
static int
validate_ptr(struct ctx *c, const char *target, char *valid, size_t vlen,
    int term)
{
	char		**names, ip[INET6_ADDRSTRLEN], err[256];
	size_t		  n, i, tl = strlen(target), nl;
	int		  best = 0, rank;
	enum dns_status	  st;

	inet_ntop(c->af, c->ip, ip, sizeof ip);
	st = dns_ptr(c->dns, ip, &names, &n, err, sizeof err);
	if (term && count_void(c, st, ip) != 0)
		return -2;
	if (st != DNS_OK)
		return 0;
	for (i = 0; i < n && i < PTR_MAX && !late(c); i++) {
		nl = strlen(names[i]);
		if (strcasecmp(names[i], target) == 0)
			rank = 3;
		else if (nl > tl && names[i][nl - tl - 1] == '.' &&
		    strcasecmp(names[i] + nl - tl, target) == 0)
			rank = 2;
		else
			rank = 1;
		if (rank <= best || !name_ok(names[i]))
			continue;
		if (addr_match(c, names[i], -1, -1, 0) == 1) {
			best = rank;
			snprintf(valid, vlen, "%s", names[i]);
		}
	}
	dns_txt_free(names, n);
	return best >= 2;
}

static enum spf_result check_host(struct ctx *, const char *, int);

/* The domain a term names: its domain-spec expanded, or domain. */
static int
target(struct ctx *c, const struct spf_term *t, const char *spec,
    const char *domain, char **out)
{
	char	 err[128], *s;
	int	 rc;

	if (spec == NULL) {
		*out = strdup(domain);
		return *out != NULL ? 0 : -2;
	}
	{
		struct buf	b = { NULL, 0, 0, 0, 0 };

		rc = expand(c, domain, spec, strlen(spec), 0, &b, err,
		    sizeof err);
		if (rc == 0 && b.over) {
			free(b.s);
			why(c, "'%s' expands beyond %d bytes",
			    t != NULL ? mech_names[t->mech] : "redirect",
			    EXPAND_MAX);
			return b.nomem ? -2 : -1;
		}
		if (rc != 0) {
			free(b.s);
			why(c, "%s", err);
			return -1;
		}
		if (b.s == NULL && (b.s = strdup("")) == NULL)
			return -2;
		s = b.s;
	}
	memmove(s, query_name(s), strlen(query_name(s)) + 1);
	*out = s;
	return 0;
}

static int
count_lookup(struct ctx *c, const char *what)
{
	if (++c->lookups > LOOKUP_MAX) {
		why(c, "more than %d DNS lookups, the last '%s'", LOOKUP_MAX,
		    what);
		return -1;
	}
	return 0;
}

/*
 * Whether term t matches: 1, 0, or the result it ends the check with
 * (temperror, permerror) as -1 - result.
 */
static int
term_match(struct ctx *c, const struct spf_term *t, const char *domain)
{
	char		 *name = NULL, **mx, err[256];
	size_t		  n, i;
	enum dns_status	  st;
	enum spf_result	  r;
	struct dns_addr	 *a;
	int		  hit = 0, rc;

	if (t->mech == M_INCLUDE || t->mech == M_A || t->mech == M_MX ||
	    t->mech == M_PTR || t->mech == M_EXISTS) {
		if (count_lookup(c, mech_names[t->mech]) != 0)
			return -1 - SPF_PERMERROR;
		if (late(c))
			return -1 - SPF_TEMPERROR;
		if ((rc = target(c, t, t->spec, domain, &name)) != 0)
			return rc == -2 ? -100 : -1 - SPF_PERMERROR;
	}
	switch (t->mech) {
	case M_ALL:
		return 1;
	case M_IP4:
		return c->af == AF_INET && cidr_match(t->addr, c->ip, t->cidr4);
	case M_IP6:
		return c->af == AF_INET6 && cidr_match(t->addr, c->ip,
		    t->cidr6);
	case M_INCLUDE:
		c->include++;
		r = check_host(c, name, 1);
		c->include--;
		free(name);
		switch (r) {
		case SPF_PASS:
			return 1;
		case SPF_FAIL:
		case SPF_SOFTFAIL:
		case SPF_NEUTRAL:
			return 0;
		case SPF_TEMPERROR:
			return -1 - SPF_TEMPERROR;
		default:
			/* RFC 7208 5.2: none there is a permerror here */
			return -1 - SPF_PERMERROR;
		}
	case M_A:
		rc = addr_match(c, name, t->cidr4, t->cidr6, 1);
		free(name);
		return rc == -1 ? -1 - SPF_TEMPERROR : rc == -2 ?
		    -1 - SPF_PERMERROR : rc;
	case M_MX:
		st = dns_mx(c->dns, name, &mx, &n, err, sizeof err);
		if (st == DNS_TEMPFAIL) {
			why(c, "lookup of MX '%s' failed: %s", name, err);
			free(name);
			return -1 - SPF_TEMPERROR;
		}
		if (count_void(c, st, name) != 0) {
			free(name);
			return -1 - SPF_PERMERROR;
		}
		if (n > MX_MAX) {
			why(c, "more than %d MX records at '%s'", MX_MAX, name);
			dns_txt_free(mx, n);
			free(name);
			return -1 - SPF_PERMERROR;
		}
		free(name);
		for (i = 0; i < n && hit == 0; i++)
			if (mx[i][0] != '\0')
				hit = addr_match(c, mx[i], t->cidr4, t->cidr6,
				    0);
		dns_txt_free(mx, n);
		return hit == -1 ? -1 - SPF_TEMPERROR : hit;
	case M_PTR:
		rc = validate_ptr(c, name, err, sizeof err, 1);
		free(name);
		if (c->late)
			return -1 - SPF_TEMPERROR;
		return rc == -2 ? -1 - SPF_PERMERROR : rc;
	case M_EXISTS:
		/* RFC 7208 5.7: an A query, whatever the client's family */
		st = dns_addr(c->dns, name, AF_INET, &a, &n, err, sizeof err);
		free(a);
		if (st == DNS_TEMPFAIL) {
			why(c, "lookup of '%s' failed: %s", name, err);
			free(name);
			return -1 - SPF_TEMPERROR;
		}
		rc = count_void(c, st, name);
		free(name);
		return rc != 0 ? -1 - SPF_PERMERROR : st == DNS_OK;
	}
	return 0;
}

/*
 * RFC 7208 6.2: the explanation of a fail, from the record's exp=: one
 * TXT record, a valid macro-string of printable ASCII; else none.
 */
static void
explain(struct ctx *c, const struct spf_record *r, const char *domain)
{
	char		**txt, *name, err[256];
	size_t		  n;
	struct buf	  b = { NULL, 0, 0, 0, 0 };
	char		  whysave[256];

	if (r->exp == NULL || c->include > 0 || late(c))
		return;
	snprintf(whysave, sizeof whysave, "%s", c->why);
	if (target(c, NULL, r->exp, domain, &name) != 0) {
		snprintf(c->why, c->whylen, "%s", whysave);
		return;
	}
	snprintf(c->why, c->whylen, "%s", whysave);
	if (dns_txt(c->dns, name, &txt, &n, err, sizeof err) != DNS_OK) {
		free(name);
		return;
	}
	free(name);
	if (n == 1 && expand(c, domain, txt[0], strlen(txt[0]), 1, &b, err,
	    sizeof err) == 0 && !b.over && b.s != NULL) {
		free(c->exp);
		c->exp = b.s;
		b.s = NULL;
	}
	free(b.s);
	dns_txt_free(txt, n);
}

/*
 * RFC 7208 4: check_host() for domain.  redirect says the domain came
 * from a redirect= or include (none is then the caller's to judge).
 */
static enum spf_result
check_host(struct ctx *c, const char *domain, int nested)
{
	char		**txt, err[256], *rec = NULL, *name;
	size_t		  n, i, found = 0;
	enum dns_status	  st;
	struct spf_record *r;
	enum spf_result	  res = SPF_NEUTRAL;
	int		  rc, m;

	(void)nested;
	if (!name_ok(domain)) {
		why(c, "'%s' is no domain name", domain);
		return SPF_NONE;
	}
	if (late(c))
		return SPF_TEMPERROR;
	st = dns_txt(c->dns, domain, &txt, &n, err, sizeof err);
	if (st == DNS_TEMPFAIL) {
		why(c, "lookup of TXT '%s' failed: %s", domain, err);
		return SPF_TEMPERROR;
	}
	if (st == DNS_PERMFAIL) {
		/* a TXT record with a NUL in it: what it says is unknown */
		why(c, "lookup of TXT '%s' failed: %s", domain, err);
		return SPF_PERMERROR;
	}
	if (st != DNS_OK) {
		why(c, "no SPF record at '%s'", domain);
		return SPF_NONE;
	}
	for (i = 0; i < n; i++)
		if (spf_record_is_spf(txt[i], strlen(txt[i]))) {
			found++;
			rec = txt[i];
		}
	if (found == 0) {
		dns_txt_free(txt, n);
		why(c, "no SPF record at '%s'", domain);
		return SPF_NONE;
	}
	if (found > 1) {
		dns_txt_free(txt, n);
		why(c, "%zu SPF records at '%s'", found, domain);
		return SPF_PERMERROR;
	}
	rc = spf_record_parse(rec, strlen(rec), &r, err, sizeof err);
	dns_txt_free(txt, n);
	if (rc == -2) {
		why(c, "out of memory");
		c->nomem = 1;
		return SPF_TEMPERROR;
	}
	if (rc != 0) {
		why(c, "bad SPF record at '%s': %s", domain, err);
		return SPF_PERMERROR;
	}
	for (i = 0; i < r->n; i++) {
		m = term_match(c, &r->t[i], domain);
		if (m == -100) {
			why(c, "out of memory");
			c->nomem = 1;
			res = SPF_TEMPERROR;
			goto out;
		}
		if (m < 0) {
			res = -1 - m;
			goto out;
		}
		if (m == 1) {
			res = r->t[i].qual;
			why(c, "'%s' matched in the record of '%s'",
			    mech_names[r->t[i].mech], domain);
			if (res == SPF_FAIL)
				explain(c, r, domain);
			goto out;
		}
	}
	if (r->redirect != NULL) {
		/* RFC 7208 6.1: the target's result, its none a permerror */
		if (count_lookup(c, "redirect") != 0) {
			res = SPF_PERMERROR;
			goto out;
		}
		if ((rc = target(c, NULL, r->redirect, domain, &name)) != 0) {
			c->nomem |= rc == -2;
			res = rc == -2 ? SPF_TEMPERROR : SPF_PERMERROR;
			goto out;
		}
		res = check_host(c, name, 1);
		free(name);
		if (res == SPF_NONE) {
			why(c, "redirect to a domain without an SPF record");
			res = SPF_PERMERROR;
		}
		goto out;
	}
	why(c, "no mechanism matched in the record of '%s'", domain);
out:
	spf_record_free(r);
	return res;
}

static void
comment(struct spf_response *res, const char *rcv, const char *ip)
{
	const char	*s = res->sender;

	switch (res->result) {
	case SPF_PASS:
		seterr(res->header_comment, sizeof res->header_comment,
		    "%s: domain of %s designates %s as permitted sender",
		    rcv, s, ip);
		break;
	case SPF_FAIL:
		seterr(res->header_comment, sizeof res->header_comment,
		    "%s: domain of %s does not designate %s as permitted "
		    "sender", rcv, s, ip);
		break;
	case SPF_SOFTFAIL:
		seterr(res->header_comment, sizeof res->header_comment,
		    "%s: transitioning domain of %s does not designate %s as "
		    "permitted sender", rcv, s, ip);
		break;
	case SPF_NEUTRAL:
		seterr(res->header_comment, sizeof res->header_comment,
		    "%s: %s is neither permitted nor denied by domain of %s",
		    rcv, ip, s);
		break;
	case SPF_NONE:
		seterr(res->header_comment, sizeof res->header_comment,
		    "%s: domain of %s does not designate permitted sender "
		    "hosts", rcv, s);
		break;
	case SPF_TEMPERROR:
		seterr(res->header_comment, sizeof res->header_comment,
		    "%s: error in processing during lookup of %s: DNS "
		    "failure", rcv, s);
		break;
	case SPF_PERMERROR:
		seterr(res->header_comment, sizeof res->header_comment,
		    "%s: error in processing during lookup of %s: bad SPF "
		    "record", rcv, s);
		break;
	}
}

/* Printable ASCII only in an SMTP reply: anything else becomes '?'. */
static void
smtp_text(char *out, size_t len, const char *s)
{
	size_t	i;

	for (i = 0; i + 1 < len && s[i] != '\0'; i++)
		out[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	out[i] = '\0';
}

int
spf_check(struct dns *dns, const struct spf_request *req,
    struct spf_response *res)
{
	struct ctx	 c;
	const char	*at, *dom;
	char		 ipbuf[INET6_ADDRSTRLEN], dflt[512];
	size_t		 ll;
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0,
			 0, 0xff, 0xff };

	memset(res, 0, sizeof *res);
	memset(&c, 0, sizeof c);
	c.dns = dns;
	c.req = req;
	c.why = res->reason;
	c.whylen = sizeof res->reason;
	time_limit(&c, req->time_limit);
	res->result = SPF_NONE;
	if (req->ip != NULL && inet_pton(AF_INET, req->ip, c.ip) == 1)
		c.af = AF_INET;
	else if (req->ip != NULL && inet_pton(AF_INET6, req->ip, c.ip) == 1) {
		c.af = AF_INET6;
		/* RFC 7208 5: an IPv4-mapped client is the IPv4 one */
		if (memcmp(c.ip, mapped, 12) == 0) {
			memmove(c.ip, c.ip + 12, 4);
			memset(c.ip + 4, 0, 12);
			c.af = AF_INET;
		}
	} else {
		why(&c, "not an IP address: '%.60s'", req->ip != NULL ?
		    req->ip : "");
		errno = EINVAL;
		return -1;
	}
	inet_ntop(c.af, c.ip, ipbuf, sizeof ipbuf);
	c.helo = req->helo;
	/* RFC 7208 2.4: the null sender is checked as postmaster@helo */
	if (req->mail_from == NULL || req->mail_from[0] == '\0') {
		res->helo = 1;
		dom = req->helo != NULL ? req->helo : "";
		snprintf(c.local, sizeof c.local, "postmaster");
	} else if ((at = strrchr(req->mail_from, '@')) != NULL) {
		dom = at + 1;
		ll = at - req->mail_from;
		/* RFC 7208 4.3: no local part is postmaster's */
		if (ll == 0)
			snprintf(c.local, sizeof c.local, "postmaster");
		else
			snprintf(c.local, sizeof c.local, "%.*s",
			    (int)(ll > 255 ? 255 : ll), req->mail_from);
	} else {
		dom = req->mail_from;
		snprintf(c.local, sizeof c.local, "postmaster");
	}
	snprintf(c.sdomain, sizeof c.sdomain, "%s", dom);
	ll = strlen(c.sdomain);
	if (ll > 0 && c.sdomain[ll - 1] == '.')
		c.sdomain[ll - 1] = '\0';
	for (char *p = c.sdomain; *p != '\0'; p++)
		*p = tolower((unsigned char)*p);
	snprintf(res->sender, sizeof res->sender, "%s@%s", c.local,
	    c.sdomain);
	if (name_ok(c.sdomain)) {
		snprintf(res->domain, sizeof res->domain, "%s", c.sdomain);
		res->result = check_host(&c, c.sdomain, 0);
	} else
		why(&c, "'%s' is no domain name", c.sdomain);
	comment(res, req->receiver != NULL ? req->receiver : "unknown",
	    ipbuf);
	if (res->result == SPF_FAIL) {
		if (c.exp != NULL)
			smtp_text(res->smtp_comment, sizeof res->smtp_comment,
			    c.exp);
		else {
			seterr(dflt, sizeof dflt, "%s is not allowed to "
			    "send mail as %s (SPF fail)", ipbuf, res->sender);
			smtp_text(res->smtp_comment, sizeof res->smtp_comment,
			    dflt);
		}
	}
	free(c.exp);
	if (c.nomem) {
		errno = ENOMEM;
		return -1;
	}
	return 0;
}
