/*
 * DMARC for one message.  libopendmarc 1.4.2 decides alignment wrongly
 * (relaxed takes any parent, even a public suffix; strict takes a
 * subdomain of an organizational From domain), reads p=, sp=, adkim= and
 * aspf= by prefix, takes the first of several records and never applies
 * pct.  So everything it could get wrong is done here: the record is
 * fetched and read here, alignment is decided here from the organizational
 * domains of our public suffix list, and the library is given only
 * identities that are the From domain itself, an exact match that it
 * aligns in any mode, and a record rewritten to the plain p= and sp=
 * read here.  Its answer is then checked against what those inputs must
 * give; pct is applied here afterwards.
 */
#include "config.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <opendmarc/dmarc.h>

#include "cli.h"
#include "dmarc.h"
#include "dns.h"
#include "psl.h"

#define NAME_BUF	256

struct dmarc_ctx {
	struct psl	*psl;
};

/* libopendmarc keeps its settings and suffix list in globals. */
static int	lib_users;

static const struct {
	const char	*name, *text;
} status_words[] = {
	[DMARC_ACCEPT] = { "accept", "Accept" },
	[DMARC_REJECT] = { "reject", "Reject" },
	[DMARC_QUARANTINE] = { "quarantine", "Quarantine" },
	[DMARC_NONE] = { "none", "None, Accept" },
	[DMARC_NORECORD] = { "norecord", "No DMARC record" },
	[DMARC_NOFROM] = { "nofrom", "No From: domain found" },
	[DMARC_TEMPERROR] = { "temperror", "Internal Policy Error" },
	[DMARC_OFF] = { "off", "" }
};

const char *
dmarc_status_name(enum dmarc_status s)
{
	if ((unsigned)s >= sizeof status_words / sizeof status_words[0])
		return "temperror";
	return status_words[s].name;
}

const char *
dmarc_status_text(enum dmarc_status s)
{
	if ((unsigned)s >= sizeof status_words / sizeof status_words[0])
		return "Internal Policy Error";
	return status_words[s].text;
}

const char *
dmarc_policy_name(int p)
{
	switch (p) {
	case DMARC_P_NONE:
		return "none";
	case DMARC_P_QUARANTINE:
		return "quarantine";
	case DMARC_P_REJECT:
		return "reject";
	}
	return "";
}

/* A reason: cut short when it does not fit. */
static void __attribute__((format(printf, 3, 4)))
say(char *buf, size_t size, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(buf, size, fmt, ap);
	va_end(ap);
}

/* Tag-list white space: WSP and the CR LF of FWS. */
static int
is_wsp(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
trim(const char **s, const char **e)
{
	while (*s < *e && is_wsp(**s))
		(*s)++;
	while (*e > *s && is_wsp((*e)[-1]))
		(*e)--;
}

/* Whether s..e is word, compared case-insensitively (ABNF strings). */
static int
is_word(const char *s, const char *e, const char *word)
{
	size_t	n = strlen(word);

	return (size_t)(e - s) == n && strncasecmp(s, word, n) == 0;
}

/* RFC 7489 6.3: "none", "quarantine", "reject" whole, or 0. */
static int
policy_value(const char *s, const char *e)
{
	if (is_word(s, e, "none"))
		return DMARC_P_NONE;
	if (is_word(s, e, "quarantine"))
		return DMARC_P_QUARANTINE;
	if (is_word(s, e, "reject"))
		return DMARC_P_REJECT;
	return DMARC_P_UNSET;
}

/* A number of at most digits digits, or -1. */
static long
number(const char *s, const char *e, int digits)
{
	long	v = 0;

	if (s == e || e - s > digits)
		return -1;
	for (; s < e; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		v = v * 10 + (*s - '0');
	}
	return v;
}

/*
 * One dmarc-uri: URI ["!" 1*DIGIT ["k" / "m" / "g" / "t"]].  The URI
 * needs a scheme (RFC 3986 3.1) and no white space; a comma inside one
 * is written %2C (RFC 7489 6.4), so it never splits one.
 */
static int
uri(const char *s, const char *e, struct dmarc_uri *u)
{
	const char		*bang = NULL, *p, *d;
	unsigned long long	 n = 0, mul = 1;

	for (p = s; p < e; p++) {
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f)
			return -1;
		if (*p == '!')
			bang = p;
	}
	if (bang != NULL) {
		p = e;
		switch (e[-1]) {
		case 'k': case 'K':
			mul = 1ULL << 10;
			p--;
			break;
		case 'm': case 'M':
			mul = 1ULL << 20;
			p--;
			break;
		case 'g': case 'G':
			mul = 1ULL << 30;
			p--;
			break;
		case 't': case 'T':
			mul = 1ULL << 40;
			p--;
			break;
		}
		if (p == bang + 1)
			return -1;
		for (d = bang + 1; d < p; d++) {
			if (*d < '0' || *d > '9')
				return -1;
			/* A limit beyond any message is no limit: saturate. */
			if (n > (ULLONG_MAX / mul - 9) / 10)
				n = ULLONG_MAX / mul;
			else
				n = n * 10 + (*d - '0');
		}
		e = bang;
		n *= mul;
	}
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	for (p = s; p < e && *p != ':'; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (p > s && ((*p >= '0' && *p <= '9') || *p == '+' ||
		    *p == '-' || *p == '.'))))
			return -1;
	if (p == s || p == e || p + 1 == e)
		return -1;
	if ((size_t)(e - s) >= sizeof u->uri)
		return -1;
	memcpy(u->uri, s, e - s);
	u->uri[e - s] = '\0';
	u->limit = n;
	return 0;
}

/* A comma-separated list of URIs; the number valid, those kept in u. */
static int
uri_list(const char *s, const char *e, struct dmarc_uri *u, size_t *n)
{
	const char	*c, *a, *b;
	int		 valid = 0;

	for (; s <= e; s = c + 1) {
		if ((c = memchr(s, ',', e - s)) == NULL)
			c = e;
		a = s;
		b = c;
		trim(&a, &b);
		if (a < b && uri(a, b, *n < DMARC_URI_MAX ? &u[*n] :
		    &(struct dmarc_uri){ "", 0 }) == 0) {
			valid++;
			if (*n < DMARC_URI_MAX)
				(*n)++;
		}
	}
	return valid;
}

/* fo: "0" / "1" / "d" / "s", colon separated (RFC 7489 6.3). */
static int
fo_value(const char *s, const char *e, char *fo, size_t size)
{
	size_t	o = 0;
	int	want = 1;

	for (; s < e; s++) {
		if (is_wsp(*s))
			continue;
		if (want ? strchr("01dsDS", *s) == NULL || *s == '\0' :
		    *s != ':')
			return -1;
		want = !want;
		if (o + 1 >= size)
			return -1;
		fo[o++] = *s >= 'A' && *s <= 'Z' ? *s + ('a' - 'A') : *s;
	}
	if (want)
		return -1;
	fo[o] = '\0';
	return 0;
}

/* The tags of RFC 7489 6.3, in the order of known[]. */
enum tag {
	TAG_V, TAG_P, TAG_SP, TAG_ADKIM, TAG_ASPF, TAG_PCT, TAG_FO, TAG_RF,
	TAG_RI, TAG_RUA, TAG_RUF, NKNOWN
};
static const char *const known[NKNOWN] = {
	"v", "p", "sp", "adkim", "aspf", "pct", "fo", "rf", "ri", "rua",
	"ruf"
};

int
dmarc_record_parse(const char *s, size_t len, struct dmarc_record *r,
    char *why, size_t whylen)
{
	const char	*e = s + len, *semi, *a, *b, *eq, *ns, *ne, *c;
	unsigned	 seen = 0;
	int		 first = 1, pbad = 0, spbad = 0, rua_ok = 0, k;
	long		 n;

	memset(r, 0, sizeof *r);
	r->adkim = r->aspf = 'r';
	r->pct = 100;
	snprintf(r->fo, sizeof r->fo, "0");
	r->ri = 86400;
	if (memchr(s, '\0', len) != NULL) {
		say(why, whylen, "a NUL byte in the record");
		return -1;
	}
	for (; s <= e; s = semi + 1) {
		if ((semi = memchr(s, ';', e - s)) == NULL)
			semi = e;
		a = s;
		b = semi;
		trim(&a, &b);
		/* An empty element ("p=none;;" and a last ";") is let be. */
		if (a == b && !first)
			continue;
		if ((eq = memchr(a, '=', b - a)) == NULL) {
			say(why, whylen, first ? "no v=DMARC1 tag first" :
			    "a tag without '='");
			return -1;
		}
		ns = a;
		ne = eq;
		trim(&ns, &ne);
		a = eq + 1;
		trim(&a, &b);
		/* tag-name = ALPHA *ALNUMPUNC (RFC 6376 3.2) */
		if (ns == ne || !((*ns >= 'a' && *ns <= 'z') ||
		    (*ns >= 'A' && *ns <= 'Z'))) {
			say(why, whylen, "a tag name that is none");
			return -1;
		}
		for (c = ns; c < ne; c++)
			if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' &&
			    *c <= 'Z') || (*c >= '0' && *c <= '9') ||
			    *c == '_')) {
				say(why, whylen, "a tag name that is "
				    "none");
				return -1;
			}
		if (first) {
			/* 6.3: v= comes first and its value matches exactly. */
			if (!is_word(ns, ne, "v") || b - a != 6 ||
			    memcmp(a, "DMARC1", 6) != 0) {
				say(why, whylen, "no v=DMARC1 tag first");
				return -1;
			}
			first = 0;
		}
		for (k = 0; k < NKNOWN; k++)
			if (is_word(ns, ne, known[k]))
				break;
		if (k == NKNOWN)
			continue;	/* 6.3: unknown tags are ignored */
		/* RFC 6376 3.2: a duplicate tag voids the list. */
		if (seen & 1u << k) {
			say(why, whylen, "tag %s= given twice", known[k]);
			return -1;
		}
		seen |= 1u << k;
		switch (k) {
		case TAG_V:		/* first: taken above */
			break;
		case TAG_P:
			if ((r->p = policy_value(a, b)) == DMARC_P_UNSET)
				pbad = 1;
			break;
		case TAG_SP:
			if ((r->sp = policy_value(a, b)) == DMARC_P_UNSET)
				spbad = 1;
			else
				r->sp_given = 1;
			break;
		/*
		 * A bad value of an optional tag leaves its default: a typo
		 * ("adkim=strict") must not void a published policy.
		 */
		case TAG_ADKIM:
		case TAG_ASPF:
			if (is_word(a, b, "r") || is_word(a, b, "s")) {
				if (k == TAG_ADKIM)
					r->adkim = *a | 0x20;
				else
					r->aspf = *a | 0x20;
			}
			break;
		case TAG_PCT:
			if ((n = number(a, b, 3)) >= 0 && n <= 100)
				r->pct = (int)n;
			break;
		case TAG_FO:
			if (fo_value(a, b, r->fo, sizeof r->fo) < 0)
				snprintf(r->fo, sizeof r->fo, "0");
			break;
		case TAG_RI:
			if ((n = number(a, b, 9)) >= 0)
				r->ri = n;
			break;
		case TAG_RUA:
			rua_ok = uri_list(a, b, r->rua, &r->nrua) > 0;
			break;
		case TAG_RUF:
			uri_list(a, b, r->ruf, &r->nruf);
			break;
		}
	}
	if (first) {
		say(why, whylen, "no v=DMARC1 tag first");
		return -1;
	}
	if (!(seen & 1u << TAG_P))
		pbad = 1;
	if (!pbad && !spbad) {
		if (!r->sp_given)
			r->sp = r->p;
		return 0;
	}
	/* 6.6.3 step 6: with a valid rua= it reads as p=none. */
	say(why, whylen, "%s", pbad ? (seen & 1u << TAG_P ?
	    "a bad p= value" : "no p= tag") : "a bad sp= value");
	if (!rua_ok)
		return -1;
	r->p = r->sp = DMARC_P_NONE;
	r->sp_given = 0;
	return 1;
}

/* 6.6.3 step 2: whether a TXT record starts with v=DMARC1. */
static int
is_dmarc(const char *s)
{
	const char	*e;

	while (is_wsp(*s))
		s++;
	if (*s != 'v' && *s != 'V')
		return 0;
	for (s++; is_wsp(*s); s++)
		;
	if (*s++ != '=')
		return 0;
	while (is_wsp(*s))
		s++;
	if (strncmp(s, "DMARC1", 6) != 0)
		return 0;
	for (e = s + 6; is_wsp(*e); e++)
		;
	return *e == ';' || *e == '\0';
}

enum found {
	F_NONE,		/* no DMARC record at the name */
	F_ONE,		/* *rec filled (maybe as p=none, 6.6.3 step 6) */
	F_BAD,		/* one record, no usable policy: why */
	F_SEVERAL,
	F_TEMP		/* a DNS failure: why */
};

static enum found
fetch(struct dns *dns, const char *domain, struct dmarc_record *rec,
    char *why, size_t whylen)
{
	char		 name[NAME_BUF + 8], err[256], rwhy[128];
	char		**txt = NULL;
	size_t		 n = 0, i, ndmarc = 0, at = 0;
	enum dns_status	 st;
	int		 r;

	snprintf(name, sizeof name, "_dmarc.%s", domain);
	st = dns_txt(dns, name, &txt, &n, err, sizeof err);
	if (st == DNS_TEMPFAIL) {
		say(why, whylen, "cannot look up '%s': %s", name, err);
		return F_TEMP;
	}
	/* A name or record DNS cannot carry is no record. */
	if (st != DNS_OK)
		return F_NONE;
	for (i = 0; i < n; i++)
		if (is_dmarc(txt[i])) {
			ndmarc++;
			at = i;
		}
	if (ndmarc == 0) {
		dns_txt_free(txt, n);
		return F_NONE;
	}
	if (ndmarc > 1) {
		dns_txt_free(txt, n);
		say(why, whylen, "%zu DMARC records at '%s'", ndmarc,
		    name);
		return F_SEVERAL;
	}
	r = dmarc_record_parse(txt[at], strlen(txt[at]), rec, rwhy,
	    sizeof rwhy);
	dns_txt_free(txt, n);
	if (r < 0) {
		say(why, whylen, "the DMARC record at '%s' is not "
		    "usable: %s", name, rwhy);
		return F_BAD;
	}
	if (r > 0)
		say(why, whylen, "the DMARC record at '%s' is read as "
		    "p=none: %s", name, rwhy);
	return F_ONE;
}

/*
 * name as DNS and the suffix list compare it: lower case, no trailing
 * dot, Unicode labels (an RFC 6532 From) as A-labels.  -1 when it does
 * not fit or is not UTF-8.
 */
static int
lower(const char *name, char *buf, size_t size)
{
	char	tmp[NAME_BUF];
	size_t	n = strlen(name), i;
	int	utf8 = 0;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n >= size || n >= sizeof tmp)
		return -1;
	for (i = 0; i < n; i++) {
		tmp[i] = name[i] >= 'A' && name[i] <= 'Z' ?
		    name[i] + ('a' - 'A') : name[i];
		if ((unsigned char)name[i] >= 0x80)
			utf8 = 1;
	}
	tmp[n] = '\0';
	if (utf8)
		return psl_ascii(tmp, buf, size);
	memcpy(buf, tmp, n + 1);
	return 0;
}

/*
 * RFC 7489 3.1: whether an authenticated domain aligns with the From
 * domain: strict, the same name; relaxed, the same organizational domain,
 * which a public suffix is of itself alone (so d=com never aligns with
 * x.com).
 */
static int
aligned(const struct dmarc_ctx *ctx, const char *id, const char *from,
    const char *from_org, int mode)
{
	char	a[NAME_BUF], org[NAME_BUF];

	if (id == NULL || lower(id, a, sizeof a) < 0)
		return 0;
	if (strcmp(a, from) == 0)
		return 1;
	if (mode == 's')
		return 0;
	if (psl_org_domain(ctx->psl, a, org, sizeof org) < 0)
		return 0;
	return strcmp(org, from_org) == 0;
}

struct dmarc_ctx *
dmarc_new(const char *tld_file, char *err, size_t errlen, int *status)
{
	struct dmarc_ctx	*ctx;
	OPENDMARC_LIB_T		 lib;
	const char		*path = tld_file != NULL ? tld_file :
				    PSL_DEFAULT;

	if ((ctx = calloc(1, sizeof *ctx)) == NULL) {
		say(err, errlen, "cannot set up dmarc: out of memory");
		*status = MX_TEMPFAIL;
		return NULL;
	}
	/* The library reads a list without a word when it is missing. */
	if ((ctx->psl = psl_load(path, err, errlen, status)) == NULL) {
		free(ctx);
		return NULL;
	}
	/*
	 * It gets no list of its own: every identity it is given is the
	 * From domain itself, which it aligns before it looks at any list,
	 * and reading the list again would cost a message 4 ms.
	 */
	if (lib_users++ == 0) {
		memset(&lib, 0, sizeof lib);
		lib.tld_type = OPENDMARC_TLD_TYPE_MOZILLA;
		if (opendmarc_policy_library_init(&lib) != DMARC_PARSE_OKAY) {
			lib_users--;
			say(err, errlen, "cannot set up libopendmarc");
			*status = MX_SOFTWARE;
			psl_free(ctx->psl);
			free(ctx);
			return NULL;
		}
	}
	return ctx;
}

void
dmarc_free(struct dmarc_ctx *ctx)
{
	OPENDMARC_LIB_T	lib;

	if (ctx == NULL)
		return;
	if (--lib_users == 0) {
		memset(&lib, 0, sizeof lib);
		opendmarc_policy_library_shutdown(&lib);
	}
	psl_free(ctx->psl);
	free(ctx);
}

/* The libopendmarc answer a policy letter gives when nothing aligns. */
static int
lib_code(int policy)
{
	switch (policy) {
	case DMARC_P_REJECT:
		return DMARC_POLICY_REJECT;
	case DMARC_P_QUARANTINE:
		return DMARC_POLICY_QUARANTINE;
	}
	return DMARC_POLICY_NONE;
}

/*
 * Ask libopendmarc for the policy.  It gets the From domain, an SPF and
 * a DKIM identity only when one aligned with a pass here (as the From
 * domain itself, which it aligns in every mode), and a record holding
 * only the p= and sp= read here; the fourth argument of store_dmarc, the
 * organizational domain, only when the record came from there, since the
 * library applies sp= whenever it is given.  -1 when it fails or answers
 * other than those inputs must give.
 */
static int
ask_library(const struct dmarc_input *in, struct dmarc_verdict *v,
    int from_org)
{
	DMARC_POLICY_T	*pctx;
	char		 rec[64];
	const char	*ip = in->ip != NULL ? in->ip : "0.0.0.0";
	u_char		*from = (u_char *)v->used_domain;
	int		 want, r = -1;

	if ((pctx = opendmarc_policy_connect_init((u_char *)ip,
	    strchr(ip, ':') != NULL)) == NULL) {
		say(v->reason, sizeof v->reason, "libopendmarc: out of "
		    "memory");
		return -1;
	}
	snprintf(rec, sizeof rec, "v=DMARC1; p=%s; sp=%s",
	    dmarc_policy_name(v->rec.p), dmarc_policy_name(v->rec.sp));
	if (opendmarc_policy_store_from_domain(pctx, from) !=
	    DMARC_PARSE_OKAY)
		goto fail;
	if (v->align_spf && opendmarc_policy_store_spf(pctx, from,
	    DMARC_POLICY_SPF_OUTCOME_PASS, in->spf_helo ?
	    DMARC_POLICY_SPF_ORIGIN_HELO : DMARC_POLICY_SPF_ORIGIN_MAILFROM,
	    NULL) != DMARC_PARSE_OKAY)
		goto fail;
	if (v->align_dkim && opendmarc_policy_store_dkim(pctx, from, NULL,
	    DMARC_POLICY_DKIM_OUTCOME_PASS, NULL) != DMARC_PARSE_OKAY)
		goto fail;
	if (opendmarc_policy_store_dmarc(pctx, (u_char *)rec, from,
	    from_org ? (u_char *)v->org_domain : NULL) != DMARC_PARSE_OKAY)
		goto fail;
	v->lib_policy = opendmarc_get_policy_to_enforce(pctx);
	want = v->align_spf || v->align_dkim ? DMARC_POLICY_PASS :
	    lib_code(v->policy);
	if (v->lib_policy != want) {
		say(v->reason, sizeof v->reason, "libopendmarc answers "
		    "%d where %d was due", v->lib_policy, want);
		goto out;
	}
	r = 0;
	goto out;
fail:
	say(v->reason, sizeof v->reason, "libopendmarc refuses the "
	    "From domain '%s'", v->used_domain);
out:
	opendmarc_policy_connect_shutdown(pctx);
	return r;
}

/*
 * RFC 7489 6.6.4: a failing message is subject to the policy with
 * probability pct/100; one that is not gets the next policy down
 * (reject: quarantine, quarantine: none).
 */
static int
sample(const struct dmarc_record *rec, int policy, int no_sampling,
    int *out)
{
	*out = 0;
	if (no_sampling || rec->pct >= 100 || policy == DMARC_P_NONE)
		return policy;
	if (rec->pct > 0 && (int)arc4random_uniform(100) < rec->pct)
		return policy;
	*out = 1;
	return policy == DMARC_P_REJECT ? DMARC_P_QUARANTINE : DMARC_P_NONE;
}

int
dmarc_check(struct dmarc_ctx *ctx, struct dns *dns,
    const struct dmarc_input *in, struct dmarc_verdict *v)
{
	const char	*temp = NULL;
	enum found	 f;
	size_t		 i;
	int		 from_org;

	memset(v, 0, sizeof *v);
	v->status = DMARC_TEMPERROR;
	if (in->from_domain == NULL || lower(in->from_domain, v->used_domain,
	    sizeof v->used_domain) < 0 || psl_org_domain(ctx->psl,
	    v->used_domain, v->org_domain, sizeof v->org_domain) < 0) {
		v->used_domain[0] = '\0';
		v->status = DMARC_NOFROM;
		v->lib_policy = DMARC_FROM_DOMAIN_ABSENT;
		say(v->reason, sizeof v->reason, "no From domain");
		return 0;
	}

	/* 6.6.3: the From domain, then (if other) its organizational one. */
	from_org = 0;
	f = fetch(dns, v->used_domain, &v->rec, v->reason, sizeof v->reason);
	if (f == F_NONE && strcmp(v->used_domain, v->org_domain) != 0) {
		from_org = 1;
		f = fetch(dns, v->org_domain, &v->rec, v->reason,
		    sizeof v->reason);
	}
	switch (f) {
	case F_TEMP:
		v->status = DMARC_TEMPERROR;
		return 0;
	case F_NONE:
		v->lib_policy = DMARC_POLICY_ABSENT;
		say(v->reason, sizeof v->reason, "no DMARC record for "
		    "'%s'", v->used_domain);
		/* FALLTHROUGH */
	case F_BAD:
	case F_SEVERAL:
		v->lib_policy = DMARC_POLICY_ABSENT;
		v->status = DMARC_NORECORD;
		return 0;
	case F_ONE:
		break;
	}
	v->have_record = 1;
	snprintf(v->record_domain, sizeof v->record_domain, "%s",
	    from_org ? v->org_domain : v->used_domain);
	/* sp= is for the subdomains of the domain the record is at. */
	v->policy = from_org ? v->rec.sp : v->rec.p;

	/* 3.1.2: SPF counts only as a pass, for the domain it checked. */
	if (in->spf == SPF_PASS && aligned(ctx, in->spf_domain,
	    v->used_domain, v->org_domain, v->rec.aspf))
		v->align_spf = 1;
	else if (in->spf == SPF_TEMPERROR && aligned(ctx, in->spf_domain,
	    v->used_domain, v->org_domain, v->rec.aspf))
		temp = "spf";
	for (i = 0; i < in->ndkim; i++) {
		const struct dmarc_dkim	*d = &in->dkim[i];

		if (!aligned(ctx, d->domain, v->used_domain, v->org_domain,
		    v->rec.adkim))
			continue;
		if (d->status == DKIM_VPASS) {
			v->align_dkim = 1;
			v->dkim_domain = d->domain;
			break;
		}
		if (d->temperror && temp == NULL)
			temp = "dkim";
	}
	if (ask_library(in, v, from_org) < 0)
		return -1;
	if (v->align_spf || v->align_dkim) {
		v->status = DMARC_ACCEPT;
		v->disposition = DMARC_P_NONE;
		say(v->reason, sizeof v->reason, "%s aligned with '%s'",
		    v->align_dkim ? "dkim" : "spf", v->used_domain);
		return 0;
	}
	/*
	 * An identifier that would align failed only for now: the verdict
	 * may change, so a policy that acts waits for a retry rather than
	 * bouncing mail for a DNS hiccup.
	 */
	if (temp != NULL && v->policy != DMARC_P_NONE) {
		v->status = DMARC_TEMPERROR;
		v->disposition = DMARC_P_UNSET;
		say(v->reason, sizeof v->reason, "%s temperror for a "
		    "domain aligned with '%s'", temp, v->used_domain);
		return 0;
	}
	v->disposition = sample(&v->rec, v->policy, in->no_sampling,
	    &v->sampled_out);
	v->status = v->disposition == DMARC_P_REJECT ? DMARC_REJECT :
	    v->disposition == DMARC_P_QUARANTINE ? DMARC_QUARANTINE :
	    DMARC_NONE;
	say(v->reason, sizeof v->reason, "no aligned pass for '%s'%s",
	    v->used_domain, v->sampled_out ? " (pct spared it)" : "");
	return 0;
}
