/*
 * dkimverify: verifying DKIM-Signature fields (RFC 6376 6.1, RFC 8463).
 *
 * Every signature's tags are checked first; then one pass over the body
 * computes a hash for each distinct (body canonicalisation, l=) pair the
 * good ones ask for; then each signature takes its key (6.1.2), compares
 * its body hash and checks its signature (6.1.3), in that order, so that
 * a key that cannot be had is reported as such whatever the body says.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "canon.h"
#include "dkim.h"
#include "dkimverify.h"
#include "dns.h"
#include "msg.h"
#include "tagval.h"

#define KEYREC_MAX	8	/* key records tried at one name */
#define B_MAX		(2 * DKIM_SIG_MAX)	/* b= bytes decoded */

struct vsig {
	long		 idx;		/* msg_hdr index of the field */
	struct tvlist	 tv;
	int		 good;		/* tags fine: verify it */
	int		 alg, hrel, brel;
	long long	 limit;		/* l=, or -1 */
	int		 bh;		/* its body hash */
	int		 subdomain;	/* i= is below d= */
	const struct tv	*h, *b;
	unsigned char	 want[32];	/* bh= */
	char		 name[600];	/* selector._domainkey.domain */
};

const char *
dkim_vstatus_name(enum dkim_vstatus s)
{
	return s == DKIM_VPASS ? "pass" : s == DKIM_VFAIL ? "fail" :
	    "invalid";
}

static int
is_sig_field(const struct msg_hdr *h)
{
	return h->namelen == 14 &&
	    strncasecmp(h->raw, "DKIM-Signature", 14) == 0;
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s += 'a' - 'A';
}

/* field-name (RFC 5322 3.6.8): printable US-ASCII but ':'. */
static int
ftext_ok(const char *p, size_t n)
{
	size_t	i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)p[i] < 0x21 || (unsigned char)p[i] > 0x7e ||
		    p[i] == ':')
			return 0;
	return 1;
}

/* h=: field names only, From among them (RFC 6376 5.4). */
static const char *
check_h(const struct tv *t)
{
	const char	*p = t->val, *e = t->val + t->vallen, *a;
	size_t		 n;
	int		 from = 0;

	while ((a = tv_list_next(&p, e, &n)) != NULL) {
		if (!ftext_ok(a, n))
			return "bad field name in h=";
		if (n == 4 && strncasecmp(a, "from", 4) == 0)
			from = 1;
	}
	return from ? NULL : "From not signed";
}

/* q=: one method we know, dns/txt; others are ignored (RFC 6376 3.5). */
static int
check_q(const struct tv *t)
{
	return t == NULL || tv_list_has(t, "dns/txt");
}

/*
 * i=: [local-part] "@" domain, the domain d= or below it.  The domain is
 * after the last '@', as a local part in dkim-quoted-printable writes an
 * '@' as =40.
 */
static const char *
check_i(const struct tv *t, const char *d, struct dkim_sig *out,
    int *subdomain)
{
	const char	*at = NULL, *dom;
	size_t		 i, dl = strlen(d), n;

	for (i = 0; i < t->vallen; i++)
		if (t->val[i] == '@')
			at = t->val + i;
	if (at == NULL)
		return "no @ in i=";
	dom = at + 1;
	n = t->vallen - (size_t)(dom - t->val);
	if (!dkim_domain_ok(dom, n))
		return "bad domain in i=";
	if (n == dl && strncasecmp(dom, d, dl) == 0)
		*subdomain = 0;
	else if (n > dl && dom[n - dl - 1] == '.' &&
	    strncasecmp(dom + n - dl, d, dl) == 0)
		*subdomain = 1;
	else
		return "i= not within d=";
	if (tv_copy_nows(t, out->identity, sizeof out->identity) < 0)
		return "i= too long";
	return NULL;
}

/* b= start for A-R header.b: RFC 6008 wants 8 characters at least. */
static void
b_start(const struct tv *b, char *out, size_t size)
{
	size_t	i, o = 0;

	for (i = 0; i < b->vallen && o + 1 < size; i++)
		if (b->val[i] != ' ' && b->val[i] != '\t' &&
		    b->val[i] != '\r' && b->val[i] != '\n')
			out[o++] = b->val[i];
	out[o] = '\0';
}

/*
 * The tags of one signature (RFC 6376 3.5, 6.1.1).  NULL when it can be
 * verified, else why not; out gets d=, s=, i= and a= as far as they read.
 */
static const char *
parse_sig(const struct msg_hdr *hd, struct vsig *v, struct dkim_sig *out,
    time_t now, int times)
{
	static const char *const req[] = { "v", "a", "b", "bh", "d", "h",
	    "s" };
	const struct tv	*t;
	const char	*val, *why;
	unsigned char	 scratch[B_MAX];
	size_t		 vlen, k;
	long		 n;

	v->alg = -1;
	v->limit = -1;
	val = msg_hdr_value(hd, &vlen);
	if (tv_parse(val, vlen, &v->tv, &why) < 0)
		return why;
	if ((t = tv_get(&v->tv, "d")) != NULL &&
	    dkim_domain_ok(t->val, t->vallen)) {
		memcpy(out->domain, t->val, t->vallen);
		out->domain[t->vallen] = '\0';
		lower(out->domain);
		/* The identity defaults to "@" d= (RFC 6376 3.5). */
		snprintf(out->identity, sizeof out->identity, "@%s",
		    out->domain);
	}
	if ((t = tv_get(&v->tv, "s")) != NULL &&
	    dkim_domain_ok(t->val, t->vallen)) {
		memcpy(out->selector, t->val, t->vallen);
		out->selector[t->vallen] = '\0';
	}
	if ((t = tv_get(&v->tv, "a")) != NULL)
		out->alg = v->alg = dkim_alg_parse(t->val, t->vallen);
	if ((v->b = tv_get(&v->tv, "b")) != NULL)
		b_start(v->b, out->b, sizeof out->b);
	for (k = 0; k < sizeof req / sizeof req[0]; k++)
		if (tv_get(&v->tv, req[k]) == NULL) {
			snprintf(out->detail, sizeof out->detail,
			    "no %s= tag", req[k]);
			return out->detail;
		}
	if (!tv_is(tv_get(&v->tv, "v"), "1"))
		return "v= is not 1";
	if (v->alg < 0)
		return "unknown algorithm in a=";
	if (out->domain[0] == '\0')
		return "bad d=";
	if (out->selector[0] == '\0')
		return "bad s=";
	if ((t = tv_get(&v->tv, "i")) != NULL &&
	    (why = check_i(t, out->domain, out, &v->subdomain)) != NULL)
		return why;
	v->h = tv_get(&v->tv, "h");
	if ((why = check_h(v->h)) != NULL)
		return why;
	t = tv_get(&v->tv, "c");
	if (t != NULL && dkim_canon_parse(t->val, t->vallen, &v->hrel,
	    &v->brel) < 0)
		return "bad c=";
	if ((t = tv_get(&v->tv, "l")) != NULL && (v->limit = tv_num(t)) < 0)
		return "bad l=";
	if (!check_q(tv_get(&v->tv, "q")))
		return "no known query method in q=";
	t = tv_get(&v->tv, "bh");
	if (b64_decode(t->val, t->vallen, v->want, sizeof v->want) != 32)
		return "bad bh=";
	if ((n = b64_decode(v->b->val, v->b->vallen, scratch,
	    sizeof scratch)) <= 0)
		return "bad b=";
	if (times && (why = dkim_check_times(&v->tv, now, 1)) != NULL)
		return why;
	if ((size_t)snprintf(v->name, sizeof v->name, "%s._domainkey.%s",
	    out->selector, out->domain) >= sizeof v->name)
		return "key name too long";
	return NULL;
}

static void
invalid(struct dkim_sig *out, const char *reason, const char *detail)
{
	out->status = DKIM_VINVALID;
	snprintf(out->reason, sizeof out->reason, "%s", reason);
	if (detail != out->detail)
		snprintf(out->detail, sizeof out->detail, "%s", detail);
}

/*
 * One key record against one signature: NULL when the key may check it
 * (in *kp), else why not and the reason word in *word.
 */
static const char *
usable_key(const char *rec, const struct vsig *v,
    const struct dkim_pubkey **kp, const char **word)
{
	const char	*why = "bad key record";

	*word = "pubkey_syntax";
	switch (dkim_key_cached(rec, kp, &why)) {
	case DKIM_KEY_OK:
		break;
	case DKIM_KEY_REVOKED:
		return "key revoked";
	default:
		return why;
	}
	if ((*kp)->alg != v->alg)
		return "key type does not match a=";
	/* RFC 6376 3.6.1 t=s: i= must be d= itself. */
	if ((*kp)->strict && v->subdomain)
		return "key forbids an i= below d= (t=s)";
	return NULL;
}

/*
 * 6.1.2 and 6.1.3 for one signature whose tags are good and whose body
 * hash is in bh.  0, or -1 out of memory.
 */
static int
verify_one(struct msg *m, struct dns *dns, struct vsig *v, struct bodyhash *bh,
    struct dkim_sig *out)
{
	const struct dkim_pubkey	*key;
	const struct msg_hdr		*hd = msg_hdr(m, (size_t)v->idx);
	enum dns_status			 st;
	unsigned char			 sig[B_MAX], md[32];
	char				 err[256], **txt;
	const char			*why, *word, *first = NULL;
	const char			*firstword = NULL;
	size_t				 ntxt, i, nkey = 0, boff, blen;
	long				 slen;
	int				 hashed = 0, rc = 0;

	st = dns_txt(dns, v->name, &txt, &ntxt, err, sizeof err);
	if (st != DNS_OK) {
		out->temperror = st == DNS_TEMPFAIL;
		invalid(out, "pubkey_unavailable", "");
		/* Cut to fit: a name may take 520 bytes, a reason 256. */
		snprintf(out->detail, sizeof out->detail, "%s '%.120s': %.80s",
		    st == DNS_TEMPFAIL ? "cannot look up key" : "no key at",
		    v->name, st == DNS_TEMPFAIL || st == DNS_PERMFAIL ? err :
		    dns_status_name(st));
		return 0;
	}
	slen = b64_decode(v->b->val, v->b->vallen, sig, sizeof sig);
	/*
	 * RFC 6376 3.6.2.2: a verifier may try each of several key
	 * records; the signature passes when one of them checks it.
	 */
	for (i = 0; i < ntxt && nkey < KEYREC_MAX; i++) {
		if (!dkim_is_key_record(txt[i]))
			continue;
		nkey++;
		if ((why = usable_key(txt[i], v, &key, &word)) != NULL) {
			if (first == NULL) {
				first = why;
				firstword = word;
			}
			continue;
		}
		/* The body first: a changed body says most. */
		if (v->limit >= 0 && bh[v->bh].done < v->limit) {
			invalid(out, "", "body shorter than l=");
			goto out;
		}
		if (memcmp(bh[v->bh].md, v->want, 32) != 0) {
			out->status = DKIM_VFAIL;
			snprintf(out->reason, sizeof out->reason,
			    "bodyhash_mismatch");
			snprintf(out->detail, sizeof out->detail,
			    "body hash mismatch");
			goto out;
		}
		if (!hashed) {
			dkim_b_span(hd->raw, hd->len, v->b->val, v->b->vallen,
			    &boff, &blen);
			if (dkim_hash_headers(m, v->h->val, v->h->vallen,
			    v->hrel, hd->raw, hd->len, boff, blen, v->idx,
			    md) < 0) {
				rc = -1;
				goto out;
			}
			hashed = 1;
		}
		out->testing = key->testing;
		if (slen > 0 && slen <= DKIM_SIG_MAX &&
		    dkim_verify_hash(key->pk, v->alg, md, sig, (size_t)slen)) {
			out->status = DKIM_VPASS;
			out->reason[0] = out->detail[0] = '\0';
			goto out;
		}
		out->status = DKIM_VFAIL;
		snprintf(out->reason, sizeof out->reason,
		    "signature_incorrect");
		snprintf(out->detail, sizeof out->detail,
		    "signature does not verify");
	}
	if (out->status != DKIM_VFAIL) {
		if (nkey == 0)
			snprintf(out->detail, sizeof out->detail,
			    "no key record at '%.200s'", v->name);
		else
			snprintf(out->detail, sizeof out->detail, "%s", first);
		invalid(out, nkey == 0 ? "pubkey_syntax" : firstword,
		    out->detail);
	}
out:
	dns_txt_free(txt, ntxt);
	return rc;
}

int
dkim_verify(struct msg *m, struct dns *dns, time_t now,
    struct dkim_sig **sigs, size_t *np)
{
	struct dkim_sig	*out = NULL;
	struct vsig	*v = NULL;
	struct bodyhash	 bh[DKIM_VERIFY_MAX];
	const char	*why;
	size_t		 nh = msg_nhdrs(m), i, n = 0, nv;
	int		 nbh = 0, k, rc = -1;

	*sigs = NULL;
	*np = 0;
	for (i = 0; i < nh; i++)
		if (is_sig_field(msg_hdr(m, i)))
			n++;
	if (n == 0)
		return 0;
	nv = n < DKIM_VERIFY_MAX ? n : DKIM_VERIFY_MAX;
	if ((out = calloc(n, sizeof *out)) == NULL ||
	    (v = calloc(nv, sizeof *v)) == NULL)
		goto out;
	for (i = 0, n = 0; i < nh; i++) {
		const struct msg_hdr	*hd = msg_hdr(m, i);
		struct vsig		 spare, *vs;

		if (!is_sig_field(hd))
			continue;
		vs = n < nv ? &v[n] : &spare;
		memset(vs, 0, sizeof *vs);
		vs->idx = (long)i;
		out[n].status = DKIM_VINVALID;
		why = parse_sig(hd, vs, &out[n], now, n < nv);
		if (n >= nv)
			invalid(&out[n], "", "more signatures than are "
			    "verified");
		else if (why != NULL)
			invalid(&out[n], "", why);
		else
			vs->good = 1;
		n++;
	}
	/* A body hash for each distinct (canonicalisation, l=). */
	for (i = 0; i < nv; i++) {
		if (!v[i].good)
			continue;
		for (k = 0; k < nbh; k++)
			if (bh[k].relaxed == v[i].brel &&
			    bh[k].limit == v[i].limit)
				break;
		if (k == nbh) {
			if (bodyhash_init(&bh[k], v[i].brel, v[i].limit) < 0)
				goto out;
			nbh++;
		}
		v[i].bh = k;
	}
	if (dkim_body_hashes(m, bh, nbh) < 0)
		goto out;
	for (i = 0; i < nv; i++)
		if (v[i].good && verify_one(m, dns, &v[i], bh, &out[i]) < 0)
			goto out;
	*sigs = out;
	*np = n;
	out = NULL;
	rc = 0;
out:
	for (k = 0; k < nbh; k++)
		bodyhash_free(&bh[k]);
	free(v);
	free(out);
	return rc;
}
