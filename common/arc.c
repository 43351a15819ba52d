/*
 * arc: ARC chain validation (RFC 8617 section 5.2) and sealing (5.1).
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arc.h"
#include "authres.h"
#include "canon.h"
#include "dkim.h"
#include "dns.h"
#include "msg.h"
#include "tagval.h"

enum { F_AAR, F_AMS, F_AS };
static const char *const fname[] = {
	"ARC-Authentication-Results", "ARC-Message-Signature", "ARC-Seal"
};
static const char *const fshort[] = { "AAR", "AMS", "AS" };

struct arcset {
	long		 idx[3];	/* msg_hdr index, -1 when missing */
	int		 count[3];
	struct tvlist	 tv[3];		/* AMS and AS tags (AAR unused) */
};

struct chain {
	struct msg	*m;
	struct bodyhash	 bh[ARC_MAX];	/* body hashes, one per distinct form */
	int		 nbh;		/* of them, those computed */
	struct arcset	 set[ARC_MAX + 1];
	int		 n;		/* highest instance */
	int		 top;		/* highest i= seen, over ARC_MAX too */
	int		 any;
	char		 bad[128];	/* a structural fault, "" if none */
	int		 bad_i;
};

/* One chain's worth of room, kept for the next message. */
static struct chain	*chain_room;

const char *
arc_state_name(enum arc_state s)
{
	return s == ARC_PASS ? "pass" : s == ARC_FAIL ? "fail" : "none";
}

static void
fail(struct arc_result *r, int i, const char *what)
{
	r->state = ARC_FAIL;
	r->fail_i = i;
	if (i > 0)
		snprintf(r->reason, sizeof r->reason, "i=%d (%s)", i, what);
	else
		snprintf(r->reason, sizeof r->reason, "%s", what);
}

static int
which_field(const struct msg_hdr *h)
{
	int	k;

	for (k = 0; k < 3; k++)
		if (h->namelen == strlen(fname[k]) &&
		    strncasecmp(h->raw, fname[k], h->namelen) == 0)
			return k;
	return -1;
}

static int
is_cfws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* An instance number: 1 to ARC_MAX digits-wise, else -1 or 0. */
static int
instance(const char *p, size_t n)
{
	long	v = 0;
	size_t	i;

	if (n == 0 || n > 3)
		return -1;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	return (int)v;
}

/* The i= that starts an AAR value: "i=N;" with FWS allowed round it. */
static int
aar_instance(const char *v, size_t n)
{
	size_t	i = 0, b;

	while (i < n && is_cfws((unsigned char)v[i]))
		i++;
	if (i == n || v[i] != 'i')
		return -1;
	i++;
	while (i < n && is_cfws((unsigned char)v[i]))
		i++;
	if (i == n || v[i] != '=')
		return -1;
	i++;
	while (i < n && is_cfws((unsigned char)v[i]))
		i++;
	b = i;
	while (i < n && v[i] >= '0' && v[i] <= '9')
		i++;
	{
		int	k = instance(v + b, i - b);

		while (i < n && is_cfws((unsigned char)v[i]))
			i++;
		if (i == n || v[i] != ';')
			return -1;
		return k;
	}
}

static void
chain_bad(struct chain *c, int i, const char *what)
{
	if (c->bad[0] == '\0') {
		snprintf(c->bad, sizeof c->bad, "%s", what);
		c->bad_i = i;
	}
}

/* Gather the ARC fields by instance; note the first structural fault. */
static void
chain_collect(struct chain *c, struct msg *m)
{
	size_t	nh = msg_nhdrs(m), k;
	int	i;

	/* Not the tag lists: 300 KB, each written before it is read. */
	c->m = m;
	c->n = c->top = c->any = c->bad_i = c->nbh = 0;
	c->bad[0] = '\0';
	for (i = 0; i <= ARC_MAX; i++) {
		c->set[i].idx[0] = c->set[i].idx[1] = c->set[i].idx[2] = -1;
		c->set[i].count[0] = c->set[i].count[1] =
		    c->set[i].count[2] = 0;
	}
	for (k = 0; k < nh; k++) {
		const struct msg_hdr	*h = msg_hdr(m, k);
		const char		*v, *why;
		size_t			 vlen;
		struct tvlist		 tl;
		const struct tv		*t;
		int			 f = which_field(h), inst;
		char			 what[96];

		if (f < 0)
			continue;
		c->any = 1;
		v = msg_hdr_value(h, &vlen);
		if (f == F_AAR)
			inst = aar_instance(v, vlen);
		else if (tv_parse(v, vlen, &tl, &why) < 0) {
			snprintf(what, sizeof what, "%s %s", fshort[f], why);
			chain_bad(c, 0, what);
			continue;
		} else if ((t = tv_get(&tl, "i")) == NULL)
			inst = -1;
		else
			inst = instance(t->val, t->vallen);
		if (inst > c->top)
			c->top = inst;
		if (inst < 1 || inst > ARC_MAX) {
			snprintf(what, sizeof what, "%s %s", fshort[f],
			    inst > ARC_MAX ? "i= over 50" : "bad i=");
			chain_bad(c, 0, what);
			continue;
		}
		if (inst > c->n)
			c->n = inst;
		if (c->set[inst].count[f]++ > 0) {
			snprintf(what, sizeof what, "%s duplicated", fshort[f]);
			chain_bad(c, inst, what);
			continue;
		}
		c->set[inst].idx[f] = (long)k;
		if (f != F_AAR)
			c->set[inst].tv[f] = tl;
	}
}

/* Whether the newest seal says cv=fail: its sealer ended the chain. */
static int
chain_terminated(const struct chain *c)
{
	const struct tv	*cv;

	if (c->n == 0 || c->set[c->n].count[F_AS] != 1)
		return 0;
	cv = tv_get(&c->set[c->n].tv[F_AS], "cv");
	return cv != NULL && tv_is(cv, "fail");
}

/* The first instance without exactly one of a field (in *f), or 0. */
static int
chain_incomplete(const struct chain *c, int *f)
{
	int	i;

	for (i = 1; i <= c->n; i++)
		for (*f = 0; *f < 3; (*f)++)
			if (c->set[i].count[*f] != 1)
				return i;
	return 0;
}

static int
good_domain(const struct tv *t)
{
	return dkim_domain_ok(t->val, t->vallen);
}

static int
good_selector(const struct tv *t)
{
	return good_domain(t);
}

void
arc_cache_free(void)
{
	free(chain_room);
	chain_room = NULL;
	dkim_cache_free();
}

/* The key for s= and d=, or NULL and a reason; *temp set on a DNS failure. */
static const struct dkim_pubkey *
get_key(struct dns *dns, const struct tv *s, const struct tv *d,
    const char **why, int *temp)
{
	const struct dkim_pubkey	*found = NULL;
	char				 name[600], err[256], **txt;
	size_t				 ntxt;
	enum dns_status			 st;

	*temp = 0;
	snprintf(name, sizeof name, "%.*s._domainkey.%.*s", (int)s->vallen,
	    s->val, (int)d->vallen, d->val);
	st = dns_txt(dns, name, &txt, &ntxt, err, sizeof err);
	if (st == DNS_TEMPFAIL) {
		*temp = 1;
		*why = "key lookup temporary failure";
		return NULL;
	}
	if (st != DNS_OK) {
		*why = "no key";
		return NULL;
	}
	switch (dkim_key_cached(txt[0], &found, why)) {
	case DKIM_KEY_OK:
		break;
	case DKIM_KEY_REVOKED:
		*why = "key revoked";
		break;
	default:
		*why = "bad key record";
		break;
	}
	dns_txt_free(txt, ntxt);
	return found;
}

/*
 * An AMS's c=.  Without one, relaxed/relaxed: what the ARC conformance
 * suite and dkimpy take, although DKIM's own default is simple/simple.
 */
static int
ams_canon(const struct tv *c, int *hrel, int *brel)
{
	if (c == NULL) {
		*hrel = *brel = 1;
		return 0;
	}
	if (c->vallen == 0)
		return -1;
	return dkim_canon_parse(c->val, c->vallen, hrel, brel);
}

static void
b_span(const struct msg_hdr *h, const struct tv *b, size_t *off, size_t *len)
{
	dkim_b_span(h->raw, h->len, b->val, b->vallen, off, len);
}

/* Check one AMS; NULL when it verifies, else the failed check. */
static const char *
verify_ams(struct chain *c, int i, struct dns *dns, time_t now,
    struct bodyhash *bh, int nbh, int *temp)
{
	const struct tvlist	*l = &c->set[i].tv[F_AMS];
	const struct msg_hdr	*h = msg_hdr(c->m, c->set[i].idx[F_AMS]);
	const struct tv		*a = tv_get(l, "a"), *b = tv_get(l, "b"),
				*bht = tv_get(l, "bh"), *d = tv_get(l, "d"),
				*hl = tv_get(l, "h"), *s = tv_get(l, "s"),
				*ct = tv_get(l, "c"), *lt = tv_get(l, "l");
	const struct dkim_pubkey	*key;
	unsigned char		 sig[DKIM_SIG_MAX], want[64], md[32];
	long			 slen, wlen;
	long long		 limit = -1;
	const char		*why;
	size_t			 boff, blen;
	int			 alg, hrel, brel, k, ok;

	*temp = 0;
	if (a == NULL || b == NULL || bht == NULL || d == NULL ||
	    hl == NULL || s == NULL)
		return "AMS missing a required tag";
	if ((alg = dkim_alg_parse(a->val, a->vallen)) < 0)
		return "AMS unknown algorithm";
	if (ams_canon(ct, &hrel, &brel) < 0)
		return "AMS bad c=";
	if (!good_domain(d) || !good_selector(s))
		return "AMS bad d= or s=";
	if (tv_list_has(hl, "arc-seal"))
		return "AMS signs an ARC-Seal";
	if (lt != NULL && (limit = tv_num(lt)) < 0)
		return "AMS bad l=";
	if ((why = dkim_check_times(l, now, 1)) != NULL)
		return why;
	if ((wlen = b64_decode(bht->val, bht->vallen, want, sizeof want)) != 32)
		return "AMS bad bh=";
	if ((slen = b64_decode(b->val, b->vallen, sig, sizeof sig)) <= 0)
		return "AMS bad b=";
	for (k = 0; k < nbh; k++)
		if (bh[k].relaxed == brel && bh[k].limit == limit)
			break;
	if (k == nbh)
		return "AMS body hash not computed";
	if (memcmp(bh[k].md, want, 32) != 0)
		return "AMS body hash miscompare";
	b_span(h, b, &boff, &blen);
	if (dkim_hash_headers(c->m, hl->val, hl->vallen, hrel, h->raw, h->len,
	    boff, blen, c->set[i].idx[F_AMS], md) < 0)
		return "out of memory";
	if ((key = get_key(dns, s, d, &why, temp)) == NULL)
		return why;
	ok = key->alg == alg &&
	    dkim_verify_hash(key->pk, alg, md, sig, (size_t)slen);
	return ok ? NULL : "AMS signature invalid";
}

/* The canonical text a seal of instance i signs, its own b= left out. */
static int
seal_data(struct buf *out, struct msg *m, struct arcset *set, int from,
    int i, const struct tv *b)
{
	int	j, f;

	for (j = from; j <= i; j++)
		for (f = 0; f < 3; f++) {
			const struct msg_hdr	*h = msg_hdr(m, set[j].idx[f]);
			size_t			 boff, blen;
			struct buf		 s = { 0 };
			int			 rc;

			if (b == NULL || j < i || f != F_AS) {
				if (canon_hdr(out, 1, h->raw, h->len, 1) < 0)
					return -1;
				continue;
			}
			b_span(h, b, &boff, &blen);
			rc = buf_add(&s, h->raw, boff) < 0 ||
			    buf_add(&s, h->raw + boff + blen,
			    h->len - boff - blen) < 0 ||
			    canon_hdr(out, 1, s.p, s.len, 0) < 0;
			buf_free(&s);
			if (rc)
				return -1;
		}
	return 0;
}

/* Check the tags of the seal of instance i; NULL or what is wrong. */
static const char *
check_seal_tags(const struct tvlist *l, int i, time_t now)
{
	const struct tv	*cv = tv_get(l, "cv");
	const char	*req[] = { "a", "b", "cv", "d", "s" };
	size_t		 k;

	for (k = 0; k < sizeof req / sizeof req[0]; k++)
		if (tv_get(l, req[k]) == NULL)
			return "AS missing a required tag";
	if (tv_get(l, "h") != NULL)
		return "AS has h=";
	if (dkim_alg_parse(tv_get(l, "a")->val, tv_get(l, "a")->vallen) < 0)
		return "AS unknown algorithm";
	if (!good_domain(tv_get(l, "d")) || !good_selector(tv_get(l, "s")))
		return "AS bad d= or s=";
	if (!tv_is(cv, "none") && !tv_is(cv, "pass") && !tv_is(cv, "fail"))
		return "AS bad cv=";
	if (tv_is(cv, "fail"))
		return "cv";
	if (i == 1 && !tv_is(cv, "none"))
		return "cv";
	if (i > 1 && !tv_is(cv, "pass"))
		return "cv";
	return dkim_check_times(l, now, 0);
}

static const char *
verify_seal(struct chain *c, int i, struct dns *dns, int *temp)
{
	const struct tvlist	*l = &c->set[i].tv[F_AS];
	const struct tv		*b = tv_get(l, "b"), *a = tv_get(l, "a");
	const struct dkim_pubkey	*key;
	struct buf		 data = { 0 };
	unsigned char		 sig[DKIM_SIG_MAX], md[32];
	const char		*why;
	long			 slen;
	int			 alg = dkim_alg_parse(a->val, a->vallen), ok;

	*temp = 0;
	if ((slen = b64_decode(b->val, b->vallen, sig, sizeof sig)) <= 0)
		return "AS bad b=";
	if (seal_data(&data, c->m, c->set, 1, i, b) < 0 ||
	    EVP_Digest(data.p, data.len, md, NULL, EVP_sha256(), NULL) != 1) {
		buf_free(&data);
		return "out of memory";
	}
	buf_free(&data);
	if ((key = get_key(dns, tv_get(l, "s"), tv_get(l, "d"), &why,
	    temp)) == NULL)
		return why;
	ok = key->alg == alg &&
	    dkim_verify_hash(key->pk, alg, md, sig, (size_t)slen);
	return ok ? NULL : "AS signature invalid";
}

static void
set_domains(struct chain *c, struct arc_result *r)
{
	size_t	o = 0;
	int	i;

	r->domains[0] = '\0';
	for (i = 1; i <= c->n; i++) {
		const struct tv	*d = NULL;

		if (c->set[i].idx[F_AS] >= 0 && c->set[i].count[F_AS] == 1)
			d = tv_get(&c->set[i].tv[F_AS], "d");
		o += snprintf(r->domains + o, sizeof r->domains - o, "%s%.*s",
		    i > 1 ? ":" : "", d && good_domain(d) ? (int)d->vallen : 0,
		    d ? d->val : "");
		if (o >= sizeof r->domains) {
			r->domains[sizeof r->domains - 1] = '\0';
			return;
		}
	}
}

static int
chain_verify(struct chain *c, struct dns *dns, time_t now,
    struct arc_result *r)
{
	struct bodyhash	*bh = c->bh;	/* 200 KB: off the stack */
	const char	*why;
	int		 nbh = 0, i, f, k, temp, rc = 0;

	memset(r, 0, sizeof *r);
	r->n = c->n;
	set_domains(c, r);
	if (!c->any) {
		r->state = ARC_NONE;
		return 0;
	}
	/* 5.2 step 2: a chain its last sealer marked failed stays failed. */
	if (chain_terminated(c)) {
		r->terminated = 1;
		fail(r, c->n, "cv");
		return 0;
	}
	/* Step 3: the structure. */
	if (c->bad[0] != '\0') {
		fail(r, c->bad_i, c->bad);
		return 0;
	}
	if ((i = chain_incomplete(c, &f)) != 0) {
		char	what[32];

		snprintf(what, sizeof what, "%s missing", fshort[f]);
		fail(r, i, what);
		return 0;
	}
	for (i = c->n; i >= 1; i--)
		if ((why = check_seal_tags(&c->set[i].tv[F_AS], i, now))) {
			fail(r, i, why);
			return 0;
		}
	/* One pass over the body for every AMS's form of it. */
	for (i = 1; i <= c->n; i++) {
		const struct tvlist	*l = &c->set[i].tv[F_AMS];
		const struct tv		*ct = tv_get(l, "c"),
					*lt = tv_get(l, "l");
		int			 hrel, brel = 0;
		long long		 limit = lt ? tv_num(lt) : -1;

		if (ams_canon(ct, &hrel, &brel) < 0)
			continue;
		for (k = 0; k < nbh; k++)
			if (bh[k].relaxed == brel && bh[k].limit == limit)
				break;
		if (k < nbh)
			continue;
		if (bodyhash_init(&bh[nbh], brel, limit) < 0) {
			rc = -1;
			goto out;
		}
		nbh++;
	}
	if (dkim_body_hashes(c->m, bh, nbh) < 0) {
		snprintf(r->reason, sizeof r->reason, "cannot read the body");
		rc = -1;
		goto out;
	}
	c->nbh = nbh;
	/* Step 4: the newest AMS. */
	if ((why = verify_ams(c, c->n, dns, now, bh, nbh, &temp)) != NULL) {
		r->tempfail = temp;
		fail(r, c->n, why);
		goto out;
	}
	/* Steps 5 and 6: oldest-pass, down from the newest. */
	r->oldest_pass = c->n;
	for (i = c->n - 1; i >= 1; i--) {
		if (verify_ams(c, i, dns, now, bh, nbh, &temp) != NULL) {
			if (temp) {
				r->tempfail = 1;
				fail(r, i, "key lookup temporary failure");
				goto out;
			}
			break;
		}
		r->oldest_pass = i;
	}
	/* Step 7: every seal, newest first. */
	for (i = c->n; i >= 1; i--)
		if ((why = verify_seal(c, i, dns, &temp)) != NULL) {
			r->tempfail = temp;
			r->oldest_pass = 0;
			fail(r, i, why);
			goto out;
		}
	r->state = ARC_PASS;
out:
	if (r->state != ARC_PASS)
		r->oldest_pass = 0;
	for (k = 0; k < nbh; k++)
		bodyhash_free(&bh[k]);
	return rc;
}

static struct chain *
chain_get(void)
{
	if (chain_room == NULL)
		chain_room = malloc(sizeof *chain_room);
	return chain_room;
}

int
arc_verify(struct msg *m, struct dns *dns, time_t now, struct arc_result *r)
{
	struct chain	*c;

	if ((c = chain_get()) == NULL)
		return -1;
	chain_collect(c, m);
	return chain_verify(c, dns, now, r);
}

/* Gather our A-R fields: their results in order, and their arc= result. */
static int
our_results(struct msg *m, const char *id, const char *eol, struct buf *rest,
    char *arc, size_t arclen)
{
	size_t	nh = msg_nhdrs(m), i;
	int	n = 0;

	arc[0] = '\0';
	for (i = 0; i < nh; i++) {
		const struct msg_hdr	*h = msg_hdr(m, i);
		const struct ar_result	*res;
		struct authres		 ar;
		const char		*v;
		size_t			 vlen;

		if (h->namelen != 22 ||
		    strncasecmp(h->raw, "Authentication-Results", 22) != 0)
			continue;
		v = msg_hdr_value(h, &vlen);
		if (authres_parse(v, vlen, &ar) < 0) {
			authres_free(&ar);
			continue;
		}
		if (!authres_is_ours(&ar, id)) {
			authres_free(&ar);
			continue;
		}
		n++;
		/* "none" says no results: nothing to merge. */
		/* Each field's results on lines of their own, under 998. */
		if (!ar.none && ar.restlen > 0 && ((rest->len > 0 &&
		    (buf_addstr(rest, ";") < 0 || buf_addstr(rest, eol) < 0 ||
		    buf_addstr(rest, "\t") < 0)) ||
		    buf_add(rest, ar.rest, ar.restlen) < 0)) {
			authres_free(&ar);
			return -1;
		}
		if (arc[0] == '\0' && (res = authres_find(&ar, "arc")) != NULL)
			snprintf(arc, arclen, "%s",
			    res->result ? res->result : "fail");
		authres_free(&ar);
	}
	return n;
}

enum arc_seal_status
arc_seal(struct msg *m, const struct arc_signer *sg, struct dns *dns,
    struct arc_result *chainr, char *why, size_t whylen)
{
	struct chain		*c;
	struct arc_result	 r;
	struct buf		 rest = { 0 }, hl = { 0 }, aar = { 0 },
				 ams = { 0 }, as = { 0 }, data = { 0 },
				 seal = { 0 };
	struct dkim_tag		 t[10];
	size_t			 nt;
	struct bodyhash		 bh;
	const struct bodyhash	*body;
	char			 arc[32], tbuf[32], num[32], xbuf[32];
	const char		*eol = msg_crlf(m) ? "\r\n" : "\n", *cv;
	char			 bhb64[64];
	enum arc_seal_status	 st = ARC_SEAL_ERROR;
	size_t			 added = 0;
	int			 nours, i, f, inst, broken;

	memset(&r, 0, sizeof r);
	if ((c = chain_get()) == NULL) {
		snprintf(why, whylen, "out of memory");
		return ARC_SEAL_ERROR;
	}
	chain_collect(c, m);
	if ((nours = our_results(m, sg->authserv_id, eol, &rest, arc,
	    sizeof arc)) < 0) {
		snprintf(why, whylen, "out of memory");
		goto out;
	}
	if (nours == 0) {
		snprintf(why, whylen, "no Authentication-Results field of "
		    "'%s'", sg->authserv_id);
		st = ARC_NO_AR;
		goto out;
	}
	/* Counted as they are: sets past ARC_MAX are not in c->n. */
	if (c->n >= ARC_MAX) {
		if (c->top > ARC_MAX)
			snprintf(why, whylen, "the chain has %d ARC sets, more "
			    "than the %d allowed", c->top, ARC_MAX);
		else
			snprintf(why, whylen, "the chain has %d ARC sets, the "
			    "most allowed", c->top);
		st = ARC_TOO_MANY;
		goto out;
	}
	/*
	 * RFC 8617 5.1: a chain whose newest seal says cv=fail is over; no
	 * set of ours can revive it, whatever our results say.
	 */
	if (chain_terminated(c)) {
		snprintf(why, whylen, "the chain was failed at i=%d", c->n);
		st = ARC_CHAIN_FAILED;
		goto out;
	}
	inst = c->n + 1;
	broken = c->bad[0] != '\0' || chain_incomplete(c, &f) != 0;
	if (!c->any)
		cv = "none";
	else if (strcmp(arc, "pass") == 0 || strcmp(arc, "fail") == 0)
		/* A broken chain fails whatever our results say of it. */
		cv = strcmp(arc, "pass") == 0 && !broken ? "pass" : "fail";
	else {
		/*
		 * No verdict of ours on the chain (no arc=, none, or one
		 * like temperror that is no verdict): reach one now.
		 */
		if (chain_verify(c, dns, sg->now, &r) < 0) {
			snprintf(why, whylen, "%s", r.reason[0] ? r.reason :
			    "out of memory");
			goto out;
		}
		if (r.tempfail) {
			snprintf(why, whylen, "cannot validate the chain: %s",
			    r.reason);
			st = ARC_SEAL_TEMPFAIL;
			goto out;
		}
		cv = r.state == ARC_PASS ? "pass" : "fail";
	}
	if (chainr != NULL)
		*chainr = r;
	snprintf(num, sizeof num, "%d", inst);
	snprintf(tbuf, sizeof tbuf, "%lld", (long long)sg->now);

	/* ARC-Authentication-Results: i=N; our id; our results. */
	if (buf_addstr(&aar, "ARC-Authentication-Results: i=") < 0 ||
	    buf_addstr(&aar, num) < 0 || buf_addstr(&aar, "; ") < 0 ||
	    buf_addstr(&aar, sg->authserv_id) < 0 ||
	    buf_addstr(&aar, "; ") < 0 ||
	    (rest.len > 0 ? buf_add(&aar, rest.p, rest.len) < 0 :
	    buf_addstr(&aar, "none") < 0) ||
	    buf_addstr(&aar, eol) < 0)
		goto nomem;
	if (aar.len > ARC_AAR_MAX) {
		snprintf(why, whylen, "%d Authentication-Results fields of "
		    "'%s' would make an ARC-Authentication-Results of %zu "
		    "bytes, over %d", nours, sg->authserv_id, aar.len,
		    ARC_AAR_MAX);
		st = ARC_TOO_BIG;
		goto out;
	}

	/*
	 * The body hash, relaxed, whole: the one our validation of the
	 * chain made when it made one, else a pass of its own.
	 */
	for (i = 0; i < c->nbh; i++)
		if (c->bh[i].relaxed && c->bh[i].limit < 0)
			break;
	if (i < c->nbh)
		body = &c->bh[i];
	else {
		if (bodyhash_init(&bh, 1, -1) < 0)
			goto nomem;
		i = dkim_body_hashes(m, &bh, 1);
		bodyhash_free(&bh);
		if (i < 0) {
			snprintf(why, whylen, "cannot read the body");
			goto out;
		}
		body = &bh;
	}
	b64_encode(body->md, body->mdlen, bhb64);

	/* ARC-Message-Signature. */
	if (sg->headers != NULL ? buf_addstr(&hl, sg->headers) < 0 :
	    dkim_default_headers(m, &hl) < 0)
		goto nomem;
	if (buf_add(&hl, "", 1) < 0)
		goto nomem;
	snprintf(xbuf, sizeof xbuf, "%lld", sg->expire);
	nt = 0;
	t[nt++] = (struct dkim_tag){ "a", dkim_alg_name(sg->alg), 0 };
	t[nt++] = (struct dkim_tag){ "b", "", 0 };
	t[nt++] = (struct dkim_tag){ "bh", bhb64, 0 };
	t[nt++] = (struct dkim_tag){ "c", "relaxed/relaxed", 0 };
	t[nt++] = (struct dkim_tag){ "d", sg->domain, 0 };
	t[nt++] = (struct dkim_tag){ "h", hl.p, 1 };
	t[nt++] = (struct dkim_tag){ "i", num, 0 };
	t[nt++] = (struct dkim_tag){ "s", sg->selector, 0 };
	if (sg->timestamps)
		t[nt++] = (struct dkim_tag){ "t", tbuf, 0 };
	if (sg->expire > 0)
		t[nt++] = (struct dkim_tag){ "x", xbuf, 0 };
	/*
	 * What the seal signs of the sets before ours (none when cv=fail),
	 * taken while the chain's field numbers still hold; then our AAR
	 * goes on, before the AMS is made, as RFC 8617 5.1 orders it.
	 */
	if (strcmp(cv, "fail") != 0 && inst > 1 &&
	    seal_data(&seal, m, c->set, 1, inst - 1, NULL) < 0)
		goto nomem;
	if (msg_prepend(m, aar.p, aar.len) < 0)
		goto nomem;
	added = 1;
	if (dkim_canon_headers(m, hl.p, hl.len - 1, 1, -1, &data) < 0 ||
	    dkim_sign_field(&ams, "ARC-Message-Signature", t, nt, sg->key,
	    sg->alg, 1, &data, eol) < 0) {
		snprintf(why, whylen, "cannot sign the AMS");
		goto out;
	}

	/* ARC-Seal: the sets before it, then ours. */
	if (canon_hdr(&seal, 1, aar.p, aar.len, 1) < 0 ||
	    canon_hdr(&seal, 1, ams.p, ams.len, 1) < 0)
		goto nomem;
	nt = 0;
	t[nt++] = (struct dkim_tag){ "a", dkim_alg_name(sg->alg), 0 };
	t[nt++] = (struct dkim_tag){ "b", "", 0 };
	t[nt++] = (struct dkim_tag){ "cv", cv, 0 };
	t[nt++] = (struct dkim_tag){ "d", sg->domain, 0 };
	t[nt++] = (struct dkim_tag){ "i", num, 0 };
	t[nt++] = (struct dkim_tag){ "s", sg->selector, 0 };
	if (sg->timestamps)
		t[nt++] = (struct dkim_tag){ "t", tbuf, 0 };
	if (dkim_sign_field(&as, "ARC-Seal", t, nt, sg->key, sg->alg, 1,
	    &seal, eol) < 0) {
		snprintf(why, whylen, "cannot sign the seal");
		goto out;
	}
	if (msg_prepend(m, ams.p, ams.len) < 0)
		goto nomem;
	added++;
	if (msg_prepend(m, as.p, as.len) < 0)
		goto nomem;
	added++;
	/* What arc-verify (msg.h) reads; a set that breaks it is no set. */
	if (msg_size(m) - msg_body_size(m) > MSG_HDR_MAX) {
		snprintf(why, whylen, "the header section would grow to %lld "
		    "bytes, over %d", (long long)(msg_size(m) -
		    msg_body_size(m)), MSG_HDR_MAX);
		st = ARC_TOO_BIG;
		goto out;
	}
	st = ARC_SEALED;
	goto out;
nomem:
	snprintf(why, whylen, "out of memory");
out:
	if (st != ARC_SEALED)
		msg_unprepend(m, added);
	buf_free(&rest);
	buf_free(&hl);
	buf_free(&aar);
	buf_free(&ams);
	buf_free(&as);
	buf_free(&data);
	buf_free(&seal);
	return st;
}
