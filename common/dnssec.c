#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "cli.h"
#include "dns.h"
#include "dnssec.h"

#define CHAIN_MAX	8	/* CNAMEs followed at most, as common/dns */
/* queries one lookup may make: a DS at each of 127 labels, and more */
#define QUERIES_MAX	160
#define ZONES_MAX	1024	/* zone cuts and non-cuts kept */
#define ANSWERS_MAX	256	/* answers kept */
/* RFC 9276 3.2: more NSEC3 iterations than this make a zone insecure */
#define NSEC3_ITER_MAX	150
/* The bounds of signature checks, as unbound's after KeyTrap */
#define KEYS_PER_TAG	4	/* keys of one tag tried for one RRSIG */
#define VERIFY_RRSET	8	/* verifications for one RRset */
#define VERIFY_LOOKUP	512	/* verifications for one lookup */

/*
 * What the walk down from an anchor learnt of a name: a zone apex (secure
 * with its validated keys, insecure, or bogus, with why), or a name proven
 * to be no zone cut, which the next walk steps over.
 */
struct zone {
	ldns_rdf	*name;
	int		 cut;
	int		 ds;		/* a cut by a DS there, not a denial */
	enum dnssec_sec	 sec;
	ldns_rr_list	*keys;		/* the DNSKEY set, when secure */
	time_t		 expires;	/* of the chain down to these keys */
	char		 reason[256];
};

struct cached {
	ldns_rdf		*name;
	int			 type;
	struct dnssec_answer	 ans;
};

struct dnssec {
	struct dns	*dns;
	int		 trust_ad;
	time_t		 now;
	ldns_rr_list	*anchors;	/* DNSKEY and DS records */
	struct zone	*zones;
	size_t		 nzones;
	struct cached	 answers[ANSWERS_MAX];
	size_t		 nextanswer;
	int		 queries;	/* made by the current lookup */
	int		 verified;	/* signatures it checked */
	int		 late;		/* its deadline passed while checking */
	int		 spent;		/* it ran out of verifications */
};

/* The outcome of one step of a validation: a status and why. */
struct verdict {
	enum dnssec_sec	 sec;
	time_t		 expires;	/* earliest RRSIG expiration used */
	char		 signer[256];
	char		 reason[256];
};

/* Worse of two statuses: bogus over insecure over secure. */
static enum dnssec_sec
worse(enum dnssec_sec a, enum dnssec_sec b)
{
	return a > b ? a : b;
}

/* A name as a diagnostic shows it: lower case, no final dot. */
static const char *
show(const ldns_rdf *name, char *buf, size_t len)
{
	char	*s, *p;
	size_t	 n;

	if (name == NULL || (s = ldns_rdf2str(name)) == NULL) {
		snprintf(buf, len, "?");
		return buf;
	}
	n = strlen(s);
	if (n > 1 && s[n - 1] == '.')
		s[n - 1] = '\0';
	for (p = s; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	snprintf(buf, len, "%s", s);
	free(s);
	return buf;
}

static const char *
type_text(ldns_rr_type type, char *buf, size_t len)
{
	const ldns_rr_descriptor	*d = ldns_rr_descript(type);

	if (d != NULL && d->_name != NULL)
		snprintf(buf, len, "%s", d->_name);
	else
		snprintf(buf, len, "TYPE%u", (unsigned)type);
	return buf;
}

static void
set_verdict(struct verdict *vd, enum dnssec_sec sec, const char *fmt, ...)
{
	va_list	ap;

	vd->sec = sec;
	va_start(ap, fmt);
	vsnprintf(vd->reason, sizeof vd->reason, fmt, ap);
	va_end(ap);
}

static int
same_name(const ldns_rdf *a, const ldns_rdf *b)
{
	return ldns_dname_compare(a, b) == 0;
}

/* a is b or below it */
static int
at_or_below(const ldns_rdf *a, const ldns_rdf *b)
{
	return same_name(a, b) || ldns_dname_is_subdomain(a, b);
}

/* Labels of a name, the root not counted. */
static int
labels(const ldns_rdf *name)
{
	return ldns_dname_label_count(name);
}

/* The last n labels of name (malloc'd), NULL out of memory. */
static ldns_rdf *
suffix(const ldns_rdf *name, int n)
{
	return ldns_dname_clone_from(name, labels(name) - n);
}

static ldns_rr_type
covered(const ldns_rr *sig)
{
	const ldns_rdf	*f = ldns_rr_rrsig_typecovered(sig);

	return f != NULL ? ldns_rdf2rr_type(f) : 0;
}

/*
 * The records of a section with owner (NULL: any) and type (or, for type
 * RRSIG and cov non-zero, the RRSIGs covering cov): a list of pointers
 * into the packet, freed with ldns_rr_list_free.
 */
static ldns_rr_list *
pick(const ldns_rr_list *from, const ldns_rdf *owner, ldns_rr_type type,
    ldns_rr_type cov)
{
	ldns_rr_list	*l;
	ldns_rr		*rr;
	size_t		 i, n = from != NULL ? ldns_rr_list_rr_count(from) : 0;

	if ((l = ldns_rr_list_new()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		rr = ldns_rr_list_rr(from, i);
		if (ldns_rr_get_type(rr) != type ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
			continue;
		if (owner != NULL && !same_name(ldns_rr_owner(rr), owner))
			continue;
		if (type == LDNS_RR_TYPE_RRSIG && cov != 0 &&
		    (ldns_rr_rd_count(rr) != 9 || covered(rr) != cov))
			continue;
		if (!ldns_rr_list_push_rr(l, rr)) {
			ldns_rr_list_free(l);
			return NULL;
		}
	}
	return l;
}

/* Tear down a zone entry. */
static void
zone_clear(struct zone *z)
{
	if (z->name != NULL)
		ldns_rdf_deep_free(z->name);
	if (z->keys != NULL)
		ldns_rr_list_deep_free(z->keys);
	memset(z, 0, sizeof *z);
}

static struct zone *
zone_find(struct dnssec *v, const ldns_rdf *name)
{
	for (size_t i = 0; i < v->nzones; i++)
		if (same_name(v->zones[i].name, name))
			return &v->zones[i];
	return NULL;
}

/*
 * The table is bounded: once it holds ZONES_MAX entries, the next lookup
 * starts it again empty, so a long run over many domains keeps its memory
 * flat (the anchors' zones are found again at the next walk).  Not within
 * a lookup, which holds pointers into it: one lookup adds an entry per
 * query at most, and there is room for those beyond ZONES_MAX.
 */
static void
zones_trim(struct dnssec *v)
{
	if (v->nzones < ZONES_MAX)
		return;
	for (size_t i = 0; i < v->nzones; i++)
		zone_clear(&v->zones[i]);
	v->nzones = 0;
}

/* A new entry for name, bogus until shown otherwise; NULL out of memory. */
static struct zone *
zone_add(struct dnssec *v, const ldns_rdf *name, int cut)
{
	struct zone	*z;

	if (v->nzones == ZONES_MAX + QUERIES_MAX + 1)
		return NULL;
	if (v->zones == NULL && (v->zones = calloc(ZONES_MAX + QUERIES_MAX +
	    1, sizeof *v->zones)) == NULL)
		return NULL;
	z = &v->zones[v->nzones];
	memset(z, 0, sizeof *z);
	if ((z->name = ldns_rdf_clone(name)) == NULL)
		return NULL;
	ldns_dname2canonical(z->name);
	z->cut = cut;
	z->sec = DNSSEC_BOGUS;
	snprintf(z->reason, sizeof z->reason, "not validated");
	v->nzones++;
	return z;
}

/* Take back the last entry added: a temporary failure is not kept. */
static void
zone_drop(struct dnssec *v, struct zone *z)
{
	if (v->nzones > 0 && z == &v->zones[v->nzones - 1]) {
		zone_clear(z);
		v->nzones--;
	}
}

static time_t
now(const struct dnssec *v)
{
	return v->now != 0 ? v->now : time(NULL);
}

/* Where answers come from, for a reason. */
static const char *
server(const struct dnssec *v)
{
	return v->dns != NULL ? dns_server(v->dns) : "the answer judged";
}

/* One query of the current lookup, within its bounds. */
static enum dns_status
query(struct dnssec *v, const ldns_rdf *name, ldns_rr_type type, int flags,
    ldns_pkt **pkt, int *rcode, char *err, size_t errlen)
{
	enum dns_status	 st;
	char		*text;

	*pkt = NULL;
	if (v->dns == NULL) {
		snprintf(err, errlen, "no resolver to ask");
		return DNS_TEMPFAIL;
	}
	if (++v->queries > QUERIES_MAX) {
		snprintf(err, errlen, "more than %d queries for one lookup",
		    QUERIES_MAX);
		return DNS_TEMPFAIL;
	}
	if ((text = ldns_rdf2str(name)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return DNS_TEMPFAIL;
	}
	st = dns_packet(v->dns, text, type, flags, pkt, rcode, err, errlen);
	free(text);
	return st;
}

/*
 * Verify rrset (owner, type) with sigs against the keys of zone z: the
 * first RRSIG by z that verifies at the time judged by is enough (RFC 4035
 * 5.3), and the one the caller goes by: *used (when not NULL) gets its
 * label count, vd->expires is lowered to its expiration.  With exact, an
 * RRSIG of fewer labels than owner's, a wildcard expansion (RFC 4035
 * 5.3.4), does not count: a denial record proves something only at its
 * own name.  The work is bounded, as a KeyTrap zone (CVE-2023-50387)
 * makes it grow with keys times RRSIGs: KEYS_PER_TAG keys tried for one
 * RRSIG, VERIFY_RRSET verifications for the RRset, VERIFY_LOOKUP for the
 * whole lookup, and none once its deadline is past (v->late).  Running
 * out of the lookup's (v->spent) or of its time makes the lookup a
 * temporary failure, not bogus: too much work is no proof of forgery.
 * 0, or -1 with vd bogus and why.
 */
static int
verify_rrset(struct dnssec *v, const ldns_rr_list *rrset,
    const ldns_rr_list *sigs, const struct zone *z, const ldns_rdf *owner,
    ldns_rr_type type, int exact, int *used, struct verdict *vd)
{
	const ldns_rr	*sig, *key;
	ldns_rr_list	*one = NULL;
	ldns_status	 s, last = LDNS_STATUS_CRYPTO_NO_RRSIG;
	time_t		 t;
	size_t		 i, k;
	size_t		 n = sigs != NULL ? ldns_rr_list_rr_count(sigs) : 0;
	size_t		 nk = z->keys != NULL ? ldns_rr_list_rr_count(z->keys) :
			    0;
	char		 o[256], tt[16], zn[256], when[32];
	int		 bysigner = 0, tried = 0, tagged, sl, want;
	struct tm	 tm;

	want = labels(owner) - (ldns_dname_is_wildcard(owner) ? 1 : 0);
	for (i = 0; i < n; i++) {
		sig = ldns_rr_list_rr(sigs, i);
		if (!same_name(ldns_rr_rrsig_signame(sig), z->name))
			continue;
		bysigner++;
		/* RFC 4035 5.3.1: more labels than the owner has is no RRSIG */
		sl = ldns_rdf2native_int8(ldns_rr_rrsig_labels(sig));
		if (sl > want || (exact && sl != want))
			continue;
		for (k = 0, tagged = 0; k < nk; k++) {
			key = ldns_rr_list_rr(z->keys, k);
			if (ldns_rr_rd_count(key) != 4 ||
			    ldns_calc_keytag(key) != ldns_rdf2native_int16(
			    ldns_rr_rdf(sig, 6)) ||
			    ldns_rdf2native_int8(ldns_rr_rdf(key, 2)) !=
			    ldns_rdf2native_int8(ldns_rr_rdf(sig, 1)))
				continue;
			if (v->verified == VERIFY_LOOKUP)
				v->spent = 1;
			if (tagged++ == KEYS_PER_TAG ||
			    tried == VERIFY_RRSET || v->spent)
				goto spent;
			if (v->dns != NULL && dns_past_deadline(v->dns)) {
				v->late = 1;
				goto spent;
			}
			tried++;
			v->verified++;
			if ((one == NULL && (one = ldns_rr_list_new()) ==
			    NULL) || !ldns_rr_list_push_rr(one, (ldns_rr *)key))
				goto spent;
			s = ldns_verify_rrsig_keylist_time((ldns_rr_list *)
			    rrset, (ldns_rr *)sig, one, now(v), NULL);
			ldns_rr_list_pop_rr(one);
			if (s == LDNS_STATUS_OK) {
				t = ldns_rdf2native_time_t(
				    ldns_rr_rrsig_expiration(sig));
				if (vd->expires == 0 || t < vd->expires)
					vd->expires = t;
				if (used != NULL)
					*used = sl;
				ldns_rr_list_free(one);
				return 0;
			}
			/* an expired one says more than a key that fits not */
			if (last == LDNS_STATUS_CRYPTO_NO_RRSIG ||
			    s == LDNS_STATUS_CRYPTO_SIG_EXPIRED ||
			    s == LDNS_STATUS_CRYPTO_SIG_NOT_INCEPTED)
				last = s;
		}
		if (tagged == 0 && last == LDNS_STATUS_CRYPTO_NO_RRSIG)
			last = LDNS_STATUS_CRYPTO_NO_MATCHING_KEYTAG_DNSKEY;
	}
	ldns_rr_list_free(one);
	show(owner, o, sizeof o);
	type_text(type, tt, sizeof tt);
	show(z->name, zn, sizeof zn);
	if (bysigner == 0 && n == 0)
		set_verdict(vd, DNSSEC_BOGUS, "no RRSIG for '%s' %s in the "
		    "signed zone '%s'", o, tt, zn);
	else if (bysigner == 0)
		set_verdict(vd, DNSSEC_BOGUS, "no RRSIG by '%s' for '%s' %s",
		    zn, o, tt);
	else if (last == LDNS_STATUS_CRYPTO_SIG_EXPIRED ||
	    last == LDNS_STATUS_CRYPTO_SIG_NOT_INCEPTED) {
		for (i = 0; i < n; i++) {
			sig = ldns_rr_list_rr(sigs, i);
			if (same_name(ldns_rr_rrsig_signame(sig), z->name))
				break;
		}
		t = ldns_rdf2native_time_t(last ==
		    LDNS_STATUS_CRYPTO_SIG_EXPIRED ?
		    ldns_rr_rrsig_expiration(sig) :
		    ldns_rr_rrsig_inception(sig));
		gmtime_r(&t, &tm);
		strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
		set_verdict(vd, DNSSEC_BOGUS, last ==
		    LDNS_STATUS_CRYPTO_SIG_EXPIRED ? "RRSIG for '%s' %s "
		    "expired %s" : "RRSIG for '%s' %s not valid before %s",
		    o, tt, when);
	} else if (exact && last == LDNS_STATUS_CRYPTO_NO_RRSIG)
		set_verdict(vd, DNSSEC_BOGUS, "'%s' %s signed as a "
		    "wildcard's expansion, which proves nothing there", o, tt);
	else
		set_verdict(vd, DNSSEC_BOGUS, "RRSIG for '%s' %s does not "
		    "verify with the keys of '%s' (%s)", o, tt, zn,
		    ldns_get_errorstr_by_id(last));
	return -1;
spent:
	ldns_rr_list_free(one);
	show(owner, o, sizeof o);
	type_text(type, tt, sizeof tt);
	if (v->late)
		set_verdict(vd, DNSSEC_BOGUS, "the timeout ran out while "
		    "verifying the RRSIGs for '%s' %s", o, tt);
	else
		set_verdict(vd, DNSSEC_BOGUS, "too many RRSIGs or keys to try "
		    "for '%s' %s (more than %d verifications)", o, tt,
		    v->verified == VERIFY_LOOKUP ? VERIFY_LOOKUP :
		    tagged > KEYS_PER_TAG ? KEYS_PER_TAG : VERIFY_RRSET);
	return -1;
}

/*
 * An algorithm ldns has and RFC 8624 3.1 lets a validator use: not
 * RSAMD5, DSA nor DSA-NSEC3-SHA1 (MUST NOT validate), which are then
 * as unknown ones: a zone signed only with them is insecure.
 */
static int
alg_usable(uint8_t alg)
{
	return alg != LDNS_RSAMD5 && alg != LDNS_DSA &&
	    alg != LDNS_DSA_NSEC3 && ldns_key_algo_supported(alg);
}

/* RFC 4034 5.2: the digest types ldns computes. */
static int
ds_usable(const ldns_rr *ds)
{
	uint8_t	alg, dig;

	if (ldns_rr_rd_count(ds) != 4 ||
	    ldns_rdf_size(ldns_rr_rdf(ds, 1)) != 1 ||
	    ldns_rdf_size(ldns_rr_rdf(ds, 2)) != 1)
		return 0;
	alg = ldns_rdf_data(ldns_rr_rdf(ds, 1))[0];
	dig = ldns_rdf_data(ldns_rr_rdf(ds, 2))[0];
	return alg_usable(alg) &&
	    (dig == LDNS_SHA1 || dig == LDNS_SHA256 || dig == LDNS_SHA384);
}

/* RFC 4034 2.1.1, 2.1.2: a zone key, protocol 3, of an algorithm we use. */
static int
key_usable(const ldns_rr *key)
{
	return ldns_rr_rd_count(key) == 4 &&
	    (ldns_rdf2native_int16(ldns_rr_rdf(key, 0)) & LDNS_KEY_ZONE_KEY) &&
	    ldns_rdf2native_int8(ldns_rr_rdf(key, 1)) == 3 &&
	    alg_usable(ldns_rdf2native_int8(ldns_rr_rdf(key, 2)));
}

static int
same_rdata(const ldns_rr *a, const ldns_rr *b)
{
	size_t	i;

	if (ldns_rr_rd_count(a) != ldns_rr_rd_count(b))
		return 0;
	for (i = 0; i < ldns_rr_rd_count(a); i++)
		if (ldns_rdf_compare(ldns_rr_rdf(a, i), ldns_rr_rdf(b, i)) != 0)
			return 0;
	return 1;
}

/* Whether key is the one that trust (a DS, or a DNSKEY anchor) names. */
static int
key_matches(const ldns_rr *trust, const ldns_rr *key)
{
	ldns_rr	*ds;
	int	 m;

	if (ldns_rr_get_type(trust) == LDNS_RR_TYPE_DNSKEY)
		return same_rdata(trust, key);
	if ((ds = ldns_key_rr2ds(key, (ldns_hash)ldns_rdf2native_int8(
	    ldns_rr_rdf(trust, 2)))) == NULL)
		return 0;
	m = same_rdata(trust, ds);
	ldns_rr_free(ds);
	return m;
}

/*
 * The DNSKEY set of name, trusted through trust (the DS set from its
 * parent, or the anchors of name): RFC 4035 5.2.  Fills z (secure with
 * its keys, insecure when no DS or anchor is of an algorithm we can
 * check, or bogus).  0, or -1 for a temporary failure (err says why).
 */
static int
zone_keys(struct dnssec *v, struct zone *z, const ldns_rr_list *trust,
    time_t expires, char *err, size_t errlen)
{
	ldns_pkt	*p = NULL;
	ldns_rr_list	*keys = NULL, *sigs = NULL, *good = NULL;
	struct verdict	 vd;
	size_t		 i, k, nt = ldns_rr_list_rr_count(trust);
	char		 zn[256], why[256];
	int		 usable = 0;

	memset(&vd, 0, sizeof vd);
	vd.expires = expires;
	show(z->name, zn, sizeof zn);
	for (i = 0; i < nt; i++)
		if (ldns_rr_get_type(ldns_rr_list_rr(trust, i)) ==
		    LDNS_RR_TYPE_DNSKEY ? key_usable(ldns_rr_list_rr(trust,
		    i)) : ds_usable(ldns_rr_list_rr(trust, i)))
			usable++;
	if (usable == 0) {
		/* RFC 4035 5.2: as if there were no DS at all */
		z->sec = DNSSEC_INSECURE;
		snprintf(z->reason, sizeof z->reason, "no DS for '%.180s' of "
		    "an algorithm and digest that can be checked", zn);
		return 0;
	}
	if (query(v, z->name, LDNS_RR_TYPE_DNSKEY, DNS_Q_DNSSEC, &p, NULL,
	    why, sizeof why) != DNS_OK) {
		snprintf(err, errlen, "DNSKEY of '%.80s': %.160s", zn, why);
		return -1;
	}
	if ((keys = pick(ldns_pkt_answer(p), z->name, LDNS_RR_TYPE_DNSKEY,
	    0)) == NULL || (sigs = pick(ldns_pkt_answer(p), z->name,
	    LDNS_RR_TYPE_RRSIG, LDNS_RR_TYPE_DNSKEY)) == NULL ||
	    (good = ldns_rr_list_new()) == NULL)
		goto nomem;
	for (i = 0; i < ldns_rr_list_rr_count(keys); i++) {
		if (!key_usable(ldns_rr_list_rr(keys, i)))
			continue;
		for (k = 0; k < nt; k++)
			if (key_matches(ldns_rr_list_rr(trust, k),
			    ldns_rr_list_rr(keys, i)))
				break;
		if (k < nt && !ldns_rr_list_push_rr(good,
		    ldns_rr_list_rr(keys, i)))
			goto nomem;
	}
	z->sec = DNSSEC_BOGUS;
	if (ldns_rr_list_rr_count(keys) == 0)
		snprintf(z->reason, sizeof z->reason, "no DNSKEY for '%.200s' "
		    "(%s)", zn, ldns_pkt_get_rcode(p) == LDNS_RCODE_NXDOMAIN ?
		    "no such name" : "none in the answer");
	else if (ldns_rr_list_rr_count(good) == 0)
		snprintf(z->reason, sizeof z->reason, "no DNSKEY of '%.200s' "
		    "matches its %s", zn, ldns_rr_get_type(
		    ldns_rr_list_rr(trust, 0)) == LDNS_RR_TYPE_DS ? "DS" :
		    "trust anchor");
	else {
		/* the key set signed by a key the DS names */
		z->keys = good;
		if (verify_rrset(v, keys, sigs, z, z->name,
		    LDNS_RR_TYPE_DNSKEY, 1, NULL, &vd) == 0) {
			z->sec = DNSSEC_SECURE;
			z->expires = vd.expires;
			if ((z->keys = ldns_rr_list_new()) == NULL)
				goto nomem;
			for (i = 0; i < ldns_rr_list_rr_count(keys); i++) {
				ldns_rr *c = ldns_rr_clone(
				    ldns_rr_list_rr(keys, i));
				if (!key_usable(c) ||
				    !ldns_rr_list_push_rr(z->keys, c))
					ldns_rr_free(c);
			}
		} else {
			z->keys = NULL;
			snprintf(z->reason, sizeof z->reason, "%s", vd.reason);
		}
	}
	ldns_rr_list_free(good);
	ldns_rr_list_free(keys);
	ldns_rr_list_free(sigs);
	ldns_pkt_free(p);
	return 0;
nomem:
	ldns_rr_list_free(good);
	ldns_rr_list_free(keys);
	ldns_rr_list_free(sigs);
	ldns_pkt_free(p);
	snprintf(err, errlen, "out of memory");
	return -1;
}

/*
 * Bitmap of an NSEC (rdf 1) or NSEC3 (rdf 5), NULL when the record has
 * none.
 */
static const ldns_rdf *
bitmap(const ldns_rr *rr)
{
	size_t	i = ldns_rr_get_type(rr) == LDNS_RR_TYPE_NSEC ? 1 : 5;

	return ldns_rr_rd_count(rr) > i ? ldns_rr_rdf(rr, i) : NULL;
}

static int
has_type(const ldns_rr *rr, ldns_rr_type t)
{
	const ldns_rdf	*b = bitmap(rr);

	return b != NULL && ldns_nsec_bitmap_covers_type(b, t);
}

/* What a denial proves, once its records are known to be signed. */
enum proof {
	PROOF_NONE,		/* nothing: bogus */
	PROOF_NODATA,		/* no such type at the name */
	PROOF_CUT,		/* no DS at a delegation: insecure below */
	PROOF_OPTOUT,		/* NSEC3 opt-out: may be an unsigned cut */
	PROOF_NXDOMAIN		/* no such name */
};

/*
 * A record of the parent side of a delegation (NS without SOA) or at a
 * DNAME: its zone holds nothing below it, so it proves nothing of a name
 * there (RFC 6840 4.1, RFC 5155 8.3).
 */
static int
is_cut_or_dname(const ldns_rr *rr)
{
	return (has_type(rr, LDNS_RR_TYPE_NS) &&
	    !has_type(rr, LDNS_RR_TYPE_SOA)) ||
	    has_type(rr, LDNS_RR_TYPE_DNAME);
}

/*
 * What the denial record at the name asked says: no type there.  The
 * parent's record at a delegation (NS, no SOA) says that for DS only, and
 * then that the delegation is unsigned; the child's apex record (SOA)
 * says nothing of the DS, which is the parent's (RFC 6840 4.4).
 */
static enum proof
nodata_at(const ldns_rr *at, ldns_rr_type type)
{
	int	cut = has_type(at, LDNS_RR_TYPE_NS) &&
		    !has_type(at, LDNS_RR_TYPE_SOA);

	if (has_type(at, type) || (type != LDNS_RR_TYPE_DS &&
	    has_type(at, LDNS_RR_TYPE_CNAME)))
		return PROOF_NONE;
	if (type == LDNS_RR_TYPE_DS)
		return has_type(at, LDNS_RR_TYPE_SOA) ? PROOF_NONE : cut ?
		    PROOF_CUT : PROOF_NODATA;
	return cut ? PROOF_NONE : PROOF_NODATA;
}

/* The NSEC covering name, not at it: owner < name < next. */
static const ldns_rr *
nsec_cover(const ldns_rr_list *nsecs, const ldns_rdf *name)
{
	const ldns_rr	*rr;

	for (size_t i = 0; i < ldns_rr_list_rr_count(nsecs); i++) {
		rr = ldns_rr_list_rr(nsecs, i);
		if (ldns_rr_rd_count(rr) >= 1 &&
		    !same_name(ldns_rr_owner(rr), name) &&
		    ldns_nsec_covers_name(rr, name))
			return rr;
	}
	return NULL;
}

static const ldns_rr *
nsec_at(const ldns_rr_list *nsecs, const ldns_rdf *name)
{
	for (size_t i = 0; i < ldns_rr_list_rr_count(nsecs); i++)
		if (same_name(ldns_rr_owner(ldns_rr_list_rr(nsecs, i)), name))
			return ldns_rr_list_rr(nsecs, i);
	return NULL;
}

/* Labels name shares with other, counted from the root. */
static int
common_labels(const ldns_rdf *name, const ldns_rdf *other)
{
	ldns_rdf	*a, *b;
	int		 n, eq;

	for (n = labels(name) < labels(other) ? labels(name) : labels(other);
	    n > 0; n--) {
		a = suffix(name, n);
		b = suffix(other, n);
		eq = a != NULL && b != NULL && same_name(a, b);
		ldns_rdf_deep_free(a);
		ldns_rdf_deep_free(b);
		if (eq)
			return n;
	}
	return 0;
}

/* "*." before the last n labels of name. */
static ldns_rdf *
wildcard_at(const ldns_rdf *name, int n)
{
	ldns_rdf	*ce, *w;

	if ((ce = suffix(name, n)) == NULL)
		return NULL;
	if ((w = ldns_dname_new_frm_str("*")) != NULL &&
	    ldns_dname_cat(w, ce) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(w);
		w = NULL;
	}
	ldns_rdf_deep_free(ce);
	return w;
}

/* A wildcard *.(last n labels of qname) is proven absent or lacks type. */
static int
nsec_no_wildcard(const ldns_rr_list *nsecs, const ldns_rdf *qname, int n,
    ldns_rr_type type, int nodata)
{
	ldns_rdf	*w;
	const ldns_rr	*at;
	int		 ok;

	if ((w = wildcard_at(qname, n)) == NULL)
		return 0;
	if ((at = nsec_at(nsecs, w)) != NULL)
		ok = nodata && !has_type(at, type) &&
		    !has_type(at, LDNS_RR_TYPE_CNAME);
	else
		ok = !nodata && nsec_cover(nsecs, w) != NULL;
	ldns_rdf_deep_free(w);
	return ok;
}

/* RFC 4035 5.4 and 3.1.3: what the NSEC records prove of qname, type. */
static enum proof
nsec_proof(const ldns_rr_list *nsecs, const ldns_rdf *qname,
    ldns_rr_type type, int nx, const ldns_rdf *zone)
{
	const ldns_rr	*at, *cov;
	const ldns_rdf	*next;
	int		 ce;

	if (!nx && (at = nsec_at(nsecs, qname)) != NULL)
		return nodata_at(at, type);
	if ((cov = nsec_cover(nsecs, qname)) == NULL)
		return PROOF_NONE;
	/* a delegation's NSEC covers its child's names, and proves nothing */
	if (ldns_dname_is_subdomain(qname, ldns_rr_owner(cov)) &&
	    is_cut_or_dname(cov))
		return PROOF_NONE;
	next = ldns_rr_rdf(cov, 0);
	/* an empty non-terminal: a name below qname follows it */
	if (ldns_dname_is_subdomain(next, qname))
		return nx ? PROOF_NONE : PROOF_NODATA;
	/* the closest encloser: the longer of the two names qname shares */
	ce = common_labels(qname, ldns_rr_owner(cov));
	if (common_labels(qname, next) > ce)
		ce = common_labels(qname, next);
	if (ce < labels(zone))
		return PROOF_NONE;
	if (nsec_no_wildcard(nsecs, qname, ce, type, !nx))
		return nx ? PROOF_NXDOMAIN : PROOF_NODATA;
	return PROOF_NONE;
}

/* The NSEC3 hash of name, under zone, in full: NULL when it cannot be. */
static ldns_rdf *
nsec3_hash(const ldns_rr *nsec3, const ldns_rdf *name, const ldns_rdf *zone)
{
	ldns_rdf	*h;

	if ((h = ldns_nsec3_hash_name_frm_nsec3(nsec3, name)) == NULL)
		return NULL;
	if (ldns_dname_cat(h, zone) != LDNS_STATUS_OK) {
		ldns_rdf_deep_free(h);
		return NULL;
	}
	return h;
}

/* The NSEC3 matching (match set) or covering name, or NULL. */
static const ldns_rr *
nsec3_find(const ldns_rr_list *nsec3s, const ldns_rdf *name,
    const ldns_rdf *zone, int match)
{
	const ldns_rr	*rr, *found = NULL;
	ldns_rdf	*h;

	if (ldns_rr_list_rr_count(nsec3s) == 0 ||
	    (h = nsec3_hash(ldns_rr_list_rr(nsec3s, 0), name, zone)) == NULL)
		return NULL;
	for (size_t i = 0; found == NULL &&
	    i < ldns_rr_list_rr_count(nsec3s); i++) {
		rr = ldns_rr_list_rr(nsec3s, i);
		if (match ? same_name(ldns_rr_owner(rr), h) :
		    !same_name(ldns_rr_owner(rr), h) &&
		    ldns_nsec_covers_name(rr, h))
			found = rr;
	}
	ldns_rdf_deep_free(h);
	return found;
}

/*
 * RFC 5155 8.3: the closest provable encloser of qname, as a label
 * count, with the NSEC3 covering the next closer name in *nc; -1 when
 * there is none.
 */
static int
nsec3_encloser(const ldns_rr_list *nsec3s, const ldns_rdf *qname,
    const ldns_rdf *zone, const ldns_rr **nc)
{
	const ldns_rr	*at;
	ldns_rdf	*ce, *next;
	int		 n;

	for (n = labels(qname) - 1; n >= labels(zone); n--) {
		if ((ce = suffix(qname, n)) == NULL)
			return -1;
		at = nsec3_find(nsec3s, ce, zone, 1);
		ldns_rdf_deep_free(ce);
		if (at == NULL)
			continue;
		/* 8.3: not a delegation's nor a DNAME's */
		if (is_cut_or_dname(at))
			return -1;
		if ((next = suffix(qname, n + 1)) == NULL)
			return -1;
		*nc = nsec3_find(nsec3s, next, zone, 0);
		ldns_rdf_deep_free(next);
		return *nc != NULL ? n : -1;
	}
	return -1;
}

/* RFC 5155 8.4-8.7: what the NSEC3 records prove of qname, type. */
static enum proof
nsec3_proof(const ldns_rr_list *nsec3s, const ldns_rdf *qname,
    ldns_rr_type type, int nx, const ldns_rdf *zone)
{
	const ldns_rr	*at, *nc = NULL;
	ldns_rdf	*w;
	int		 ce;

	if (!nx && (at = nsec3_find(nsec3s, qname, zone, 1)) != NULL)
		return nodata_at(at, type);
	if ((ce = nsec3_encloser(nsec3s, qname, zone, &nc)) < 0)
		return PROOF_NONE;
	/* 8.6: no DS, under an opt-out span: an unsigned delegation maybe */
	if (!nx && type == LDNS_RR_TYPE_DS && ldns_nsec3_optout(nc))
		return PROOF_OPTOUT;
	if ((w = wildcard_at(qname, ce)) == NULL)
		return PROOF_NONE;
	at = nsec3_find(nsec3s, w, zone, 1);
	if (!nx && at != NULL && !has_type(at, type) &&
	    !has_type(at, LDNS_RR_TYPE_CNAME)) {
		ldns_rdf_deep_free(w);
		/* 8.7, and the next closer name may be an unsigned cut */
		return ldns_nsec3_optout(nc) ? PROOF_OPTOUT : PROOF_NODATA;
	}
	if (nx && at == NULL && nsec3_find(nsec3s, w, zone, 0) != NULL) {
		ldns_rdf_deep_free(w);
		/* 8.4, and an opt-out span may hide an unsigned name */
		return ldns_nsec3_optout(nc) ? PROOF_OPTOUT : PROOF_NXDOMAIN;
	}
	ldns_rdf_deep_free(w);
	return PROOF_NONE;
}

/*
 * Verify every NSEC or NSEC3 RRset of list (from section auth) with the
 * keys of z.  0, or -1 with vd bogus.
 */
static int
verify_each(struct dnssec *v, const ldns_rr_list *list,
    const ldns_rr_list *auth, const struct zone *z, ldns_rr_type type,
    struct verdict *vd)
{
	ldns_rr_list	*set, *sigs;
	const ldns_rdf	*owner;
	int		 rc = 0;

	for (size_t i = 0; rc == 0 && i < ldns_rr_list_rr_count(list); i++) {
		owner = ldns_rr_owner(ldns_rr_list_rr(list, i));
		set = pick(auth, owner, type, 0);
		sigs = pick(auth, owner, LDNS_RR_TYPE_RRSIG, type);
		if (set == NULL || sigs == NULL) {
			set_verdict(vd, DNSSEC_BOGUS, "out of memory");
			rc = -1;
		} else
			rc = verify_rrset(v, set, sigs, z, owner, type, 1,
			    NULL, vd);
		ldns_rr_list_free(set);
		ldns_rr_list_free(sigs);
	}
	return rc;
}

static int walk(struct dnssec *, const ldns_rdf *, struct zone **, char *,
    size_t);

/*
 * The signer of the RRSIGs covering type in list, when one is at or above
 * owner: the zone to check them with.
 */
static const ldns_rdf *
signer_of(const ldns_rr_list *sigs, const ldns_rdf *owner)
{
	const ldns_rdf	*s;

	for (size_t i = 0; i < ldns_rr_list_rr_count(sigs); i++) {
		s = ldns_rr_rrsig_signame(ldns_rr_list_rr(sigs, i));
		if (s != NULL && at_or_below(owner, s))
			return s;
	}
	return NULL;
}

/*
 * The zone that must have signed what is at owner, signed by signer (NULL
 * when nothing is signed): walk down to it.  1 when *z is secure and the
 * signer (vd then has nothing yet), 0 when vd is settled (insecure or
 * bogus), -1 for a temporary failure (err).  The walk goes past the
 * signer down to owner's parent, and with at_owner to owner: a zone cut
 * on the way or at owner (a DS there) makes owner the child's, which the
 * signer is not, whatever it signed (RFC 4035 5: the signer is the zone
 * that holds the RRset).  Not for an
 * answer judged (no server to ask: the keys given are all the zones).
 */
static int
signing_zone(struct dnssec *v, const ldns_rdf *owner, int at_owner,
    const ldns_rdf *signer, const char *what, struct zone **z,
    struct verdict *vd, char *err, size_t errlen)
{
	ldns_rdf	*parent = NULL;
	struct zone	*c;
	char		 zn[256], sn[256], o[256];
	int		 rc;

	if (signer != NULL && v->dns != NULL &&
	    labels(owner) - 1 > labels(signer) &&
	    (parent = suffix(owner, labels(owner) - 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	rc = walk(v, parent != NULL ? parent : signer != NULL ? signer :
	    owner, z, err, errlen);
	ldns_rdf_deep_free(parent);
	if (rc != 0)
		return -1;
	/*
	 * A cut at owner itself (a DS there, verified or bogus) makes
	 * owner the child's apex; no DS there, whatever the denial says of
	 * it, leaves the RRset to be judged as the parent's.  A DS is the
	 * parent's, a CNAME's owner no apex.
	 */
	if (at_owner && signer != NULL && v->dns != NULL &&
	    (*z)->sec == DNSSEC_SECURE && labels(owner) > labels(signer)) {
		if (walk(v, owner, &c, err, errlen) != 0)
			return -1;
		if (c->ds && same_name(c->name, owner))
			*z = c;
	}
	show((*z)->name, zn, sizeof zn);
	if ((*z)->sec != DNSSEC_SECURE) {
		set_verdict(vd, (*z)->sec, "%s", (*z)->reason);
		return 0;
	}
	if (signer == NULL) {
		set_verdict(vd, DNSSEC_BOGUS, "no RRSIG for %s '%s' in the "
		    "signed zone '%s'", what, show(owner, o, sizeof o), zn);
		return 0;
	}
	if (!same_name((*z)->name, signer)) {
		set_verdict(vd, DNSSEC_BOGUS, "%s '%s' signed by '%s', not by "
		    "its zone '%s'", what, show(owner, o, sizeof o),
		    show(signer, sn, sizeof sn), zn);
		return 0;
	}
	return 1;
}

/*
 * Whether the denial in p's authority section proves what the answer
 * says of qname and type (nx: NXDOMAIN, else NODATA), or, for the walk,
 * which proof it is (*proof).  vd gets the outcome; -1 for a temporary
 * failure.  zone, when not NULL, is the zone whose records they must be
 * (the walk's).
 */
static int
prove_denial(struct dnssec *v, const ldns_pkt *p, const ldns_rdf *qname,
    ldns_rr_type type, int nx, struct zone *zone, enum proof *proof,
    struct verdict *vd, char *err, size_t errlen)
{
	const ldns_rr_list	*auth = ldns_pkt_authority(p);
	ldns_rr_list		*nsecs, *nsec3s, *sigs;
	const ldns_rdf		*signer;
	struct zone		*z;
	ldns_rr_type		 dt;
	char			 q[256], tt[16], zn[256];
	int			 rc;

	*proof = PROOF_NONE;
	nsecs = pick(auth, NULL, LDNS_RR_TYPE_NSEC, 0);
	nsec3s = pick(auth, NULL, LDNS_RR_TYPE_NSEC3, 0);
	dt = nsecs != NULL && ldns_rr_list_rr_count(nsecs) > 0 ?
	    LDNS_RR_TYPE_NSEC : LDNS_RR_TYPE_NSEC3;
	sigs = pick(auth, NULL, LDNS_RR_TYPE_RRSIG, dt);
	if (nsecs == NULL || nsec3s == NULL || sigs == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
		goto done;
	}
	signer = signer_of(sigs, qname);
	if (zone != NULL) {
		/* the walk's own step: the zone above must deny it */
		rc = 0;
		z = zone;
		if (signer == NULL || !same_name(signer, z->name)) {
			set_verdict(vd, DNSSEC_BOGUS, "no denial of %s at "
			    "'%s' signed by '%s'", type_text(type, tt,
			    sizeof tt), show(qname, q, sizeof q),
			    show(z->name, zn, sizeof zn));
			goto done;
		}
	} else if ((rc = signing_zone(v, qname, !nx &&
	    type != LDNS_RR_TYPE_DS, signer, nx ?
	    "the denial of" : "the NODATA denial of", &z, vd, err,
	    errlen)) <= 0)
		goto done;
	rc = 0;
	if (verify_each(v, dt == LDNS_RR_TYPE_NSEC ? nsecs : nsec3s, auth, z,
	    dt, vd) != 0)
		goto done;
	if (dt == LDNS_RR_TYPE_NSEC3 && ldns_rr_list_rr_count(nsec3s) > 0 &&
	    ldns_nsec3_iterations(ldns_rr_list_rr(nsec3s, 0)) >
	    NSEC3_ITER_MAX) {
		set_verdict(vd, DNSSEC_INSECURE, "NSEC3 of '%s' with %u "
		    "iterations, above %d", show(z->name, zn, sizeof zn),
		    ldns_nsec3_iterations(ldns_rr_list_rr(nsec3s, 0)),
		    NSEC3_ITER_MAX);
		*proof = PROOF_OPTOUT;
		goto done;
	}
	*proof = dt == LDNS_RR_TYPE_NSEC ?
	    nsec_proof(nsecs, qname, type, nx, z->name) :
	    nsec3_proof(nsec3s, qname, type, nx, z->name);
	show(qname, q, sizeof q);
	type_text(type, tt, sizeof tt);
	show(z->name, zn, sizeof zn);
	snprintf(vd->signer, sizeof vd->signer, "%s", zn);
	if (*proof == PROOF_NONE && nx)
		set_verdict(vd, DNSSEC_BOGUS, "the %s records of '%s' do not "
		    "prove that '%s' does not exist", dt == LDNS_RR_TYPE_NSEC ?
		    "NSEC" : "NSEC3", zn, q);
	else if (*proof == PROOF_NONE)
		set_verdict(vd, DNSSEC_BOGUS, "the %s records of '%s' do not "
		    "prove no %s at '%s'", dt == LDNS_RR_TYPE_NSEC ? "NSEC" :
		    "NSEC3", zn, tt, q);
	else if (*proof == PROOF_OPTOUT)
		set_verdict(vd, DNSSEC_INSECURE, "no %s for '%s' (NSEC3 "
		    "opt-out)", tt, q);
	else {
		vd->sec = DNSSEC_SECURE;
		if (vd->expires == 0 || (z->expires != 0 &&
		    z->expires < vd->expires))
			vd->expires = z->expires;
	}
done:
	ldns_rr_list_free(nsecs);
	ldns_rr_list_free(nsec3s);
	ldns_rr_list_free(sigs);
	return rc;
}

/*
 * One step down the chain: what name is, below the secure zone z (its
 * parent side).  *next is the new zone when name is a cut, z when it is
 * none, NULL when name does not exist.  0, or -1 for a temporary failure.
 */
static int
step(struct dnssec *v, struct zone *z, const ldns_rdf *name,
    struct zone **next, char *err, size_t errlen)
{
	ldns_pkt	*p = NULL;
	ldns_rr_list	*ds = NULL, *sigs = NULL;
	struct verdict	 vd;
	struct zone	*c;
	enum proof	 proof;
	char		 n[256], why[256];
	int		 rc = -1;

	memset(&vd, 0, sizeof vd);
	show(name, n, sizeof n);
	if (query(v, name, LDNS_RR_TYPE_DS, DNS_Q_DNSSEC, &p, NULL, why,
	    sizeof why) != DNS_OK) {
		snprintf(err, errlen, "DS of '%.80s': %.160s", n, why);
		return -1;
	}
	if ((ds = pick(ldns_pkt_answer(p), name, LDNS_RR_TYPE_DS, 0)) ==
	    NULL || (sigs = pick(ldns_pkt_answer(p), name,
	    LDNS_RR_TYPE_RRSIG, LDNS_RR_TYPE_DS)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	if (ldns_rr_list_rr_count(ds) > 0) {
		if ((c = zone_add(v, name, 1)) == NULL) {
			snprintf(err, errlen, "out of memory");
			goto done;
		}
		c->ds = 1;
		vd.expires = z->expires;
		if (verify_rrset(v, ds, sigs, z, name, LDNS_RR_TYPE_DS, 1,
		    NULL, &vd) != 0) {
			c->sec = DNSSEC_BOGUS;
			snprintf(c->reason, sizeof c->reason, "%s", vd.reason);
			rc = 0;
		} else if ((rc = zone_keys(v, c, ds, vd.expires, err,
		    errlen)) != 0)
			zone_drop(v, c);
		*next = c;
		goto done;
	}
	if (prove_denial(v, p, name, LDNS_RR_TYPE_DS,
	    ldns_pkt_get_rcode(p) == LDNS_RCODE_NXDOMAIN, z, &proof, &vd, err,
	    errlen) != 0)
		goto done;
	rc = 0;
	switch (proof) {
	case PROOF_NXDOMAIN:
		*next = NULL;
		goto done;
	case PROOF_NODATA:
		*next = z;
		if ((c = zone_add(v, name, 0)) == NULL) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
		goto done;
	default:
		break;
	}
	if ((c = zone_add(v, name, 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
		goto done;
	}
	c->sec = proof == PROOF_NONE ? vd.sec : DNSSEC_INSECURE;
	if (proof == PROOF_CUT)
		snprintf(c->reason, sizeof c->reason, "no DS for '%.200s': an "
		    "unsigned delegation", n);
	else
		snprintf(c->reason, sizeof c->reason, "%s", vd.reason);
	*next = c;
done:
	ldns_rr_list_free(ds);
	ldns_rr_list_free(sigs);
	ldns_pkt_free(p);
	return rc;
}

/* The anchors of the closest enclosing anchored zone of name, or NULL. */
static ldns_rr_list *
anchors_for(const struct dnssec *v, const ldns_rdf *name)
{
	const ldns_rr	*rr, *best = NULL;
	ldns_rr_list	*l;

	for (size_t i = 0; i < ldns_rr_list_rr_count(v->anchors); i++) {
		rr = ldns_rr_list_rr(v->anchors, i);
		if (at_or_below(name, ldns_rr_owner(rr)) && (best == NULL ||
		    labels(ldns_rr_owner(rr)) > labels(ldns_rr_owner(best))))
			best = rr;
	}
	if (best == NULL || (l = ldns_rr_list_new()) == NULL)
		return NULL;
	for (size_t i = 0; i < ldns_rr_list_rr_count(v->anchors); i++) {
		rr = ldns_rr_list_rr(v->anchors, i);
		if (same_name(ldns_rr_owner(rr), ldns_rr_owner(best)) &&
		    !ldns_rr_list_push_rr(l, (ldns_rr *)rr)) {
			ldns_rr_list_free(l);
			return NULL;
		}
	}
	return l;
}

/*
 * Walk down from the closest trust anchor above target to target itself,
 * zone cut by zone cut (RFC 4035 5), and set *zp to the deepest zone
 * found on the way: secure (keys validated), insecure (the first proven
 * unsigned delegation, or no anchor), or bogus.  What each step learns is
 * kept, so a second walk through the same names asks nothing.  0, or -1
 * for a temporary failure (err).
 */
static int
walk(struct dnssec *v, const ldns_rdf *target, struct zone **zp, char *err,
    size_t errlen)
{
	ldns_rr_list	*trust;
	ldns_rdf	*name;
	struct zone	*z, *c, *next;
	char		 t[256];
	int		 n, rc;

	if ((trust = anchors_for(v, target)) == NULL) {
		if ((z = zone_find(v, target)) == NULL &&
		    (z = zone_add(v, target, 1)) == NULL)
			goto nomem;
		z->sec = DNSSEC_INSECURE;
		snprintf(z->reason, sizeof z->reason, "no trust anchor for "
		    "'%s'", show(target, t, sizeof t));
		*zp = z;
		return 0;
	}
	name = ldns_rr_owner(ldns_rr_list_rr(trust, 0));
	if ((z = zone_find(v, name)) == NULL) {
		if ((z = zone_add(v, name, 1)) == NULL) {
			ldns_rr_list_free(trust);
			goto nomem;
		}
		if (zone_keys(v, z, trust, 0, err, errlen) != 0) {
			zone_drop(v, z);
			ldns_rr_list_free(trust);
			return -1;
		}
	}
	ldns_rr_list_free(trust);
	for (n = labels(z->name) + 1; z->sec == DNSSEC_SECURE &&
	    n <= labels(target); n++) {
		if ((name = suffix(target, n)) == NULL)
			goto nomem;
		if ((c = zone_find(v, name)) != NULL) {
			ldns_rdf_deep_free(name);
			if (c->cut)
				z = c;
			continue;
		}
		rc = step(v, z, name, &next, err, errlen);
		ldns_rdf_deep_free(name);
		if (rc != 0)
			return -1;
		if (next == NULL)
			break;
		z = next;
	}
	*zp = z;
	return 0;
nomem:
	snprintf(err, errlen, "out of memory");
	return -1;
}

/*
 * Validate the RRset (owner, type) of p's answer section.  vd gets the
 * outcome; -1 for a temporary failure.  A wildcard expansion (RFC 4035
 * 5.3.4) needs the proof that owner itself does not exist.
 */
static int
validate_rrset(struct dnssec *v, const ldns_pkt *p, const ldns_rdf *owner,
    ldns_rr_type type, struct verdict *vd, char *err, size_t errlen)
{
	ldns_rr_list	*set, *sigs = NULL, *nsecs = NULL, *nsec3s = NULL;
	ldns_rr_list	*auth = ldns_pkt_authority(p);
	const ldns_rdf	*signer;
	const ldns_rr	*cov;
	struct zone	*z;
	ldns_rdf	*next = NULL;
	char		 o[256], tt[16];
	int		 rc = -1, sl = 0, proved = 0;
	unsigned	 iter;

	vd->sec = DNSSEC_SECURE;
	if ((set = pick(ldns_pkt_answer(p), owner, type, 0)) == NULL ||
	    (sigs = pick(ldns_pkt_answer(p), owner, LDNS_RR_TYPE_RRSIG,
	    type)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	signer = signer_of(sigs, owner);
	rc = signing_zone(v, owner, type != LDNS_RR_TYPE_DS &&
	    type != LDNS_RR_TYPE_CNAME, signer, type_text(type, tt,
	    sizeof tt), &z, vd, err, errlen);
	if (rc <= 0)
		goto done;
	rc = 0;
	if (verify_rrset(v, set, sigs, z, owner, type, 0, &sl, vd) != 0)
		goto done;
	snprintf(vd->signer, sizeof vd->signer, "%s", show(z->name, o,
	    sizeof o));
	if (z->expires != 0 && z->expires < vd->expires)
		vd->expires = z->expires;
	/*
	 * The labels of the RRSIG that verified, not of any other: fewer
	 * than owner's make it a wildcard's expansion (RFC 4035 5.3.4), the
	 * wildcard *.(the last sl labels), which must be the closest
	 * encloser's (RFC 4592 3.3.1): the next closer name, owner cut to
	 * sl + 1 labels, must be proven not to exist.
	 */
	if (sl == labels(owner) || (sl == labels(owner) - 1 &&
	    ldns_dname_is_wildcard(owner)))
		goto done;
	if (sl < labels(z->name) || (next = suffix(owner, sl + 1)) == NULL) {
		set_verdict(vd, DNSSEC_BOGUS, "'%s' %s from a wildcard above "
		    "its zone", show(owner, o, sizeof o), tt);
		goto done;
	}
	if ((nsecs = pick(auth, NULL, LDNS_RR_TYPE_NSEC, 0)) == NULL ||
	    (nsec3s = pick(auth, NULL, LDNS_RR_TYPE_NSEC3, 0)) == NULL) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
		goto done;
	}
	/* a delegation's NSEC covers its child's names, and proves nothing */
	if (ldns_rr_list_rr_count(nsecs) > 0 &&
	    verify_each(v, nsecs, auth, z, LDNS_RR_TYPE_NSEC, vd) == 0)
		proved = (cov = nsec_cover(nsecs, next)) != NULL &&
		    !(ldns_dname_is_subdomain(next, ldns_rr_owner(cov)) &&
		    is_cut_or_dname(cov));
	else if (ldns_rr_list_rr_count(nsecs) == 0 &&
	    ldns_rr_list_rr_count(nsec3s) > 0 &&
	    verify_each(v, nsec3s, auth, z, LDNS_RR_TYPE_NSEC3, vd) == 0) {
		iter = ldns_nsec3_iterations(ldns_rr_list_rr(nsec3s, 0));
		cov = nsec3_find(nsec3s, next, z->name, 0);
		proved = cov != NULL;
		/*
		 * RFC 9276 3.2 as for a denial; RFC 5155 8.8: an opt-out
		 * span over the next closer name may hide an unsigned
		 * delegation there, whose answer this would be
		 */
		if (iter > NSEC3_ITER_MAX)
			set_verdict(vd, DNSSEC_INSECURE, "NSEC3 of '%s' with "
			    "%u iterations, above %d", show(z->name, o,
			    sizeof o), iter, NSEC3_ITER_MAX);
		else if (proved && ldns_nsec3_optout(cov))
			set_verdict(vd, DNSSEC_INSECURE, "'%s' %s from a "
			    "wildcard under an NSEC3 opt-out span",
			    show(owner, o, sizeof o), tt);
	}
	if (!proved && vd->sec == DNSSEC_SECURE)
		set_verdict(vd, DNSSEC_BOGUS, "'%s' %s from a wildcard, "
		    "without the proof that no closer name exists",
		    show(owner, o, sizeof o), tt);
done:
	ldns_rdf_deep_free(next);
	ldns_rr_list_free(set);
	ldns_rr_list_free(sigs);
	ldns_rr_list_free(nsecs);
	ldns_rr_list_free(nsec3s);
	return rc;
}

static int
names_push(struct dnssec_answer *ans, const ldns_rdf *name)
{
	char	**n, buf[1024];

	if ((n = reallocarray(ans->names, ans->nnames + 1, sizeof *n)) ==
	    NULL)
		return -1;
	ans->names = n;
	if ((n[ans->nnames] = strdup(show(name, buf, sizeof buf))) == NULL)
		return -1;
	ans->nnames++;
	return 0;
}

/* The RDATA of the records of type at owner in p's answer, in wire form. */
static int
records(struct dnssec_answer *ans, const ldns_pkt *p, const ldns_rdf *owner,
    ldns_rr_type type)
{
	ldns_rr_list	*set;
	const ldns_rr	*rr;
	size_t		 i, k, len, n;
	uint8_t		*d;

	if ((set = pick(ldns_pkt_answer(p), owner, type, 0)) == NULL)
		return -1;
	n = ldns_rr_list_rr_count(set);
	if (n > 0 && ((ans->rdata = calloc(n, sizeof *ans->rdata)) == NULL ||
	    (ans->rdlen = calloc(n, sizeof *ans->rdlen)) == NULL)) {
		ldns_rr_list_free(set);
		return -1;
	}
	for (i = 0; i < n; i++) {
		rr = ldns_rr_list_rr(set, i);
		for (len = 0, k = 0; k < ldns_rr_rd_count(rr); k++)
			len += ldns_rdf_size(ldns_rr_rdf(rr, k));
		if ((d = malloc(len > 0 ? len : 1)) == NULL) {
			ldns_rr_list_free(set);
			return -1;
		}
		for (len = 0, k = 0; k < ldns_rr_rd_count(rr); k++) {
			memcpy(d + len, ldns_rdf_data(ldns_rr_rdf(rr, k)),
			    ldns_rdf_size(ldns_rr_rdf(rr, k)));
			len += ldns_rdf_size(ldns_rr_rdf(rr, k));
		}
		ans->rdata[i] = d;
		ans->rdlen[i] = len;
		ans->nrr++;
		if (i == 0 || ldns_rr_ttl(rr) < ans->ttl)
			ans->ttl = ldns_rr_ttl(rr);
	}
	ldns_rr_list_free(set);
	return 0;
}

/* The target of the CNAME at owner in p's answer, or NULL. */
static const ldns_rdf *
cname_at(const ldns_pkt *p, const ldns_rdf *owner)
{
	const ldns_rr_list	*an = ldns_pkt_answer(p);
	const ldns_rr		*rr;

	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
		    ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
		    ldns_rr_rd_count(rr) == 1 &&
		    same_name(ldns_rr_owner(rr), owner))
			return ldns_rr_rdf(rr, 0);
	}
	return NULL;
}

/* The DNAME in p's answer over name (its owner a proper ancestor), or NULL. */
static const ldns_rr *
dname_over(const ldns_pkt *p, const ldns_rdf *name)
{
	const ldns_rr_list	*an = ldns_pkt_answer(p);
	const ldns_rr		*rr, *best = NULL;

	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_DNAME &&
		    ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
		    ldns_rr_rd_count(rr) == 1 &&
		    ldns_dname_is_subdomain(name, ldns_rr_owner(rr)) &&
		    (best == NULL || labels(ldns_rr_owner(rr)) >
		    labels(ldns_rr_owner(best))))
			best = rr;
	}
	return best;
}

/*
 * RFC 6672 2.2: name with the DNAME's owner at its end replaced by its
 * target; NULL when that is too long a name (or out of memory).
 */
static ldns_rdf *
dname_synth(const ldns_rdf *name, const ldns_rr *dn)
{
	ldns_rdf	*out = NULL, *l;
	int		 k = labels(name) - labels(ldns_rr_owner(dn)), i;

	for (i = 0; i < k; i++) {
		if ((l = ldns_dname_label(name, i)) == NULL)
			goto fail;
		if (out == NULL)
			out = l;
		else {
			if (ldns_dname_cat(out, l) != LDNS_STATUS_OK) {
				ldns_rdf_deep_free(l);
				goto fail;
			}
			ldns_rdf_deep_free(l);
		}
	}
	if (out == NULL || ldns_dname_cat(out, ldns_rr_rdf(dn, 0)) !=
	    LDNS_STATUS_OK || ldns_rdf_size(out) > LDNS_MAX_DOMAINLEN)
		goto fail;
	return out;
fail:
	ldns_rdf_deep_free(out);
	return NULL;
}

/* Fold a verdict into the answer. */
static void
fold(struct dnssec_answer *ans, const struct verdict *vd, time_t *expires)
{
	if (vd->sec > ans->sec || (vd->sec != DNSSEC_SECURE &&
	    ans->reason[0] == '\0'))
		snprintf(ans->reason, sizeof ans->reason, "%s", vd->reason);
	ans->sec = worse(ans->sec, vd->sec);
	if (vd->expires != 0 && (*expires == 0 || vd->expires < *expires))
		*expires = vd->expires;
}

/*
 * The validated lookup: ask (or take first, the answer already had),
 * follow the CNAMEs (asking again where the server did not), validate
 * each CNAME, then the records or the denial at the end of the chain.
 */
static enum dns_status
lookup_validated(struct dnssec *v, ldns_rdf *qname, ldns_rr_type type,
    ldns_pkt *first, struct dnssec_answer *ans)
{
	ldns_pkt	*p = NULL;
	ldns_rdf	*cur = NULL, *next;
	const ldns_rdf	*target = NULL;
	const ldns_rr	*dn;
	struct verdict	 vd;
	enum proof	 proof;
	enum dns_status	 st;
	time_t		 expires = 0;
	char		 why[256];
	int		 hops = 0, nx, fresh;

	ans->sec = DNSSEC_SECURE;
	ans->chain_sec = DNSSEC_SECURE;
	if ((cur = ldns_rdf_clone(qname)) == NULL || names_push(ans, cur))
		goto nomem;
	for (;;) {
		if (first != NULL) {
			p = first;
			first = NULL;
			st = DNS_OK;
		} else
			st = query(v, cur, type, DNS_Q_DNSSEC, &p, NULL, why,
			    sizeof why);
		if (st != DNS_OK) {
			snprintf(ans->reason, sizeof ans->reason, "%s", why);
			goto out;
		}
		fresh = 1;
		while (type != LDNS_RR_TYPE_CNAME &&
		    ((dn = dname_over(p, cur)) != NULL ||
		    (target = cname_at(p, cur)) != NULL)) {
			if (hops++ == CHAIN_MAX) {
				/* a bogus CNAME on the way says more */
				if (ans->sec != DNSSEC_BOGUS)
					snprintf(ans->reason, sizeof
					    ans->reason, "more than %d CNAMEs "
					    "in a row", CHAIN_MAX);
				st = DNS_PERMFAIL;
				goto out;
			}
			memset(&vd, 0, sizeof vd);
			/*
			 * RFC 6672 5.3.1: the CNAME a server makes from a
			 * DNAME is unsigned; the signed DNAME says where the
			 * name leads, and we make the CNAME ourselves.
			 */
			if (validate_rrset(v, p, dn != NULL ?
			    ldns_rr_owner(dn) : cur, dn != NULL ?
			    LDNS_RR_TYPE_DNAME : LDNS_RR_TYPE_CNAME, &vd, why,
			    sizeof why) != 0)
				goto tempfail;
			ans->chain_sec = worse(ans->chain_sec, vd.sec);
			fold(ans, &vd, &expires);
			next = dn != NULL ? dname_synth(cur, dn) :
			    ldns_rdf_clone(target);
			if (next == NULL && dn != NULL) {
				snprintf(ans->reason, sizeof ans->reason,
				    "a DNAME makes too long a name of it");
				st = DNS_PERMFAIL;
				goto out;
			}
			ldns_rdf_deep_free(cur);
			if ((cur = next) == NULL)
				goto nomem;
			ldns_dname2canonical(cur);
			if (names_push(ans, cur))
				goto nomem;
			fresh = 0;
		}
		nx = ldns_pkt_get_rcode(p) == LDNS_RCODE_NXDOMAIN;
		memset(&vd, 0, sizeof vd);
		if (records(ans, p, cur, type) != 0)
			goto nomem;
		if (ans->nrr > 0) {
			if (validate_rrset(v, p, cur, type, &vd, why,
			    sizeof why) != 0)
				goto tempfail;
			st = DNS_OK;
			break;
		}
		/*
		 * A server that holds the zone of the name but not that of
		 * the CNAME's target stops at the CNAME: ask the target.
		 */
		if (!fresh && !nx) {
			ldns_pkt_free(p);
			p = NULL;
			continue;
		}
		if (prove_denial(v, p, cur, type, nx, NULL, &proof, &vd, why,
		    sizeof why) != 0)
			goto tempfail;
		st = nx ? DNS_NXDOMAIN : DNS_NODATA;
		break;
	}
	fold(ans, &vd, &expires);
	if (ans->sec == DNSSEC_SECURE) {
		ans->expires = expires;
		snprintf(ans->signer, sizeof ans->signer, "%s", vd.signer);
		ans->reason[0] = '\0';
	}
	goto out;
tempfail:
	snprintf(ans->reason, sizeof ans->reason, "%s", why);
	st = DNS_TEMPFAIL;
	goto out;
nomem:
	snprintf(ans->reason, sizeof ans->reason, "out of memory");
	st = DNS_TEMPFAIL;
out:
	ldns_rdf_deep_free(cur);
	ldns_pkt_free(p);
	return st;
}

/* The earliest expiration of the RRSIGs in p's answer section, or 0. */
static time_t
answer_expires(const ldns_pkt *p)
{
	const ldns_rr_list	*an = ldns_pkt_answer(p);
	const ldns_rr		*rr;
	time_t			 t, min = 0;

	for (size_t i = 0; i < ldns_rr_list_rr_count(an); i++) {
		rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_RRSIG ||
		    ldns_rr_rd_count(rr) != 9)
			continue;
		t = ldns_rdf2native_time_t(ldns_rr_rrsig_expiration(rr));
		if (min == 0 || t < min)
			min = t;
	}
	return min;
}

/*
 * The answer as it comes, with no validation of ours: for --trust-ad
 * (the resolver's AD bit says), and from a zone file.
 */
static enum dns_status
lookup_trusted(struct dnssec *v, ldns_rdf *qname, ldns_rr_type type,
    struct dnssec_answer *ans)
{
	ldns_pkt	*p = NULL;
	ldns_rdf	*cur = NULL;
	const ldns_rdf	*target;
	enum dns_status	 st;
	char		 why[256];
	int		 rcode = 0, hops = 0, zone = dns_is_zone(v->dns);

	st = query(v, qname, type, DNS_Q_AD, &p, &rcode, why, sizeof why);
	if (st != DNS_OK && rcode == LDNS_RCODE_SERVFAIL) {
		/* RFC 4035 3.2.2: the same with CD tells bogus from broken */
		if (query(v, qname, type, DNS_Q_DNSSEC, &p, NULL, why,
		    sizeof why) == DNS_OK) {
			st = DNS_OK;
			ans->sec = DNSSEC_BOGUS;
			snprintf(ans->reason, sizeof ans->reason, "%s answers "
			    "SERVFAIL, and with CD set: it holds the answer "
			    "bogus", server(v));
		} else
			snprintf(why, sizeof why, "%s answered SERVFAIL",
			    server(v));
	}
	if (st != DNS_OK) {
		snprintf(ans->reason, sizeof ans->reason, "%s", why);
		return st;
	}
	if (ans->sec != DNSSEC_BOGUS) {
		ans->sec = zone ? (v->trust_ad ? DNSSEC_SECURE :
		    DNSSEC_INSECURE) : ldns_pkt_ad(p) ? DNSSEC_SECURE :
		    DNSSEC_INSECURE;
		if (ans->sec == DNSSEC_INSECURE)
			snprintf(ans->reason, sizeof ans->reason, zone ?
			    "answers from a zone file are not validated" :
			    "%s did not set the AD bit", server(v));
	}
	ans->chain_sec = ans->sec;
	if ((cur = ldns_rdf_clone(qname)) == NULL || names_push(ans, cur))
		goto nomem;
	while ((target = cname_at(p, cur)) != NULL &&
	    type != LDNS_RR_TYPE_CNAME && hops++ < CHAIN_MAX) {
		ldns_rdf_deep_free(cur);
		if ((cur = ldns_rdf_clone(target)) == NULL)
			goto nomem;
		ldns_dname2canonical(cur);
		if (names_push(ans, cur))
			goto nomem;
	}
	if (records(ans, p, cur, type) != 0)
		goto nomem;
	st = ans->nrr > 0 ? DNS_OK : ldns_pkt_get_rcode(p) ==
	    LDNS_RCODE_NXDOMAIN ? DNS_NXDOMAIN : DNS_NODATA;
	if (ans->sec == DNSSEC_SECURE && !zone) {
		ans->expires = answer_expires(p);
		for (size_t i = 0; i < ldns_rr_list_rr_count(
		    ldns_pkt_answer(p)); i++) {
			const ldns_rr *rr = ldns_rr_list_rr(ldns_pkt_answer(p),
			    i);
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_RRSIG &&
			    ldns_rr_rd_count(rr) == 9 && covered(rr) == type)
				show(ldns_rr_rrsig_signame(rr), ans->signer,
				    sizeof ans->signer);
		}
	}
	goto out;
nomem:
	snprintf(ans->reason, sizeof ans->reason, "out of memory");
	st = DNS_TEMPFAIL;
out:
	ldns_rdf_deep_free(cur);
	ldns_pkt_free(p);
	return st;
}

/*
 * Settle the outcome of a lookup: nothing of a failure or of what is not
 * secure may pass for secure.  A permanent failure (a malformed name, a
 * CNAME loop) is no DNSSEC failure: insecure, unless a record on the way
 * was bogus.
 */
static void
settle(struct dnssec_answer *ans)
{
	if (ans->status == DNS_PERMFAIL) {
		ans->sec = worse(ans->sec, DNSSEC_INSECURE);
		ans->chain_sec = worse(ans->chain_sec, DNSSEC_INSECURE);
	} else if (ans->status != DNS_OK && ans->status != DNS_NXDOMAIN &&
	    ans->status != DNS_NODATA) {
		ans->sec = DNSSEC_BOGUS;
		ans->chain_sec = DNSSEC_BOGUS;
	}
	if (ans->sec != DNSSEC_SECURE) {
		ans->expires = 0;
		ans->signer[0] = '\0';
	}
}

static int
answer_copy(struct dnssec_answer *to, const struct dnssec_answer *from)
{
	*to = *from;
	to->names = NULL;
	to->rdata = NULL;
	to->rdlen = NULL;
	to->nnames = to->nrr = 0;
	if (from->nnames > 0 &&
	    (to->names = calloc(from->nnames, sizeof *to->names)) == NULL)
		return -1;
	for (; to->nnames < from->nnames; to->nnames++)
		if ((to->names[to->nnames] = strdup(from->names[to->nnames])) ==
		    NULL)
			return -1;
	if (from->nrr > 0 && ((to->rdata = calloc(from->nrr,
	    sizeof *to->rdata)) == NULL || (to->rdlen = calloc(from->nrr,
	    sizeof *to->rdlen)) == NULL))
		return -1;
	for (; to->nrr < from->nrr; to->nrr++) {
		if ((to->rdata[to->nrr] = malloc(from->rdlen[to->nrr] + 1)) ==
		    NULL)
			return -1;
		memcpy(to->rdata[to->nrr], from->rdata[to->nrr],
		    from->rdlen[to->nrr]);
		to->rdlen[to->nrr] = from->rdlen[to->nrr];
	}
	return 0;
}

enum dns_status
dnssec_lookup(struct dnssec *v, const char *name, int type,
    struct dnssec_answer *ans)
{
	ldns_rdf	*qname = NULL;
	struct cached	*c;
	ldns_status	 s;
	size_t		 i;

	memset(ans, 0, sizeof *ans);
	if (name == NULL || *name == '\0')
		s = LDNS_STATUS_DOMAINNAME_UNDERFLOW;
	else
		s = ldns_str2rdf_dname(&qname, name);
	if (s != LDNS_STATUS_OK) {
		ans->status = DNS_PERMFAIL;
		ans->sec = DNSSEC_INSECURE;
		ans->chain_sec = DNSSEC_INSECURE;
		snprintf(ans->reason, sizeof ans->reason, "bad domain name: "
		    "%s", ldns_get_errorstr_by_id(s));
		return ans->status;
	}
	ldns_dname2canonical(qname);
	for (i = 0; i < ANSWERS_MAX; i++) {
		c = &v->answers[i];
		if (c->name != NULL && c->type == type &&
		    same_name(c->name, qname)) {
			ldns_rdf_deep_free(qname);
			if (answer_copy(ans, &c->ans) != 0) {
				dnssec_answer_free(ans);
				memset(ans, 0, sizeof *ans);
				ans->status = DNS_TEMPFAIL;
				snprintf(ans->reason, sizeof ans->reason,
				    "out of memory");
			}
			return ans->status;
		}
	}
	v->queries = 0;
	v->verified = 0;
	v->late = 0;
	v->spent = 0;
	zones_trim(v);
	/* RFC 7672 is about a whole lookup: all its queries in one timeout */
	dns_deadline(v->dns, 1);
	if (v->trust_ad || dns_is_zone(v->dns))
		ans->status = lookup_trusted(v, qname, type, ans);
	else
		ans->status = lookup_validated(v, qname, type, NULL, ans);
	dns_deadline(v->dns, 0);
	if (v->late) {
		ans->status = DNS_TEMPFAIL;
		snprintf(ans->reason, sizeof ans->reason, "the timeout ran out "
		    "while checking signatures");
	} else if (v->spent) {
		ans->status = DNS_TEMPFAIL;
		snprintf(ans->reason, sizeof ans->reason, "too much work for "
		    "one lookup (more than %d signature checks)",
		    VERIFY_LOOKUP);
	}
	settle(ans);
	/*
	 * What a lookup cut short learnt of zones may be wrong (bogus for
	 * want of time or of verifications left): none of it is kept.
	 */
	if (v->late || v->spent) {
		for (i = 0; i < v->nzones; i++)
			zone_clear(&v->zones[i]);
		v->nzones = 0;
	}
	/* answers are kept; failures are not */
	if (ans->status != DNS_TEMPFAIL) {
		c = &v->answers[v->nextanswer];
		v->nextanswer = (v->nextanswer + 1) % ANSWERS_MAX;
		if (c->name != NULL) {
			ldns_rdf_deep_free(c->name);
			dnssec_answer_free(&c->ans);
		}
		memset(c, 0, sizeof *c);
		if (answer_copy(&c->ans, ans) != 0) {
			dnssec_answer_free(&c->ans);
			memset(c, 0, sizeof *c);
		} else {
			c->name = qname;
			c->type = type;
			qname = NULL;
		}
	}
	ldns_rdf_deep_free(qname);
	return ans->status;
}

enum dns_status
dnssec_judge(const uint8_t *wire, size_t len, time_t t,
    struct dnssec_answer *ans)
{
	struct dnssec	 v;
	struct zone	*z;
	ldns_pkt	*p = NULL;
	ldns_rr_list	*keys = NULL;
	const ldns_rr	*q, *k;
	ldns_rdf	*qname = NULL;
	size_t		 i;

	memset(ans, 0, sizeof *ans);
	memset(&v, 0, sizeof v);
	v.now = t;
	ans->status = DNS_TEMPFAIL;
	if (dns_wire_refused(wire, len)) {
		snprintf(ans->reason, sizeof ans->reason, "a malformed answer: "
		    "more than one TSIG or OPT record");
		goto out;
	}
	if (ldns_wire2pkt(&p, wire, len) != LDNS_STATUS_OK) {
		snprintf(ans->reason, sizeof ans->reason, "a malformed answer");
		goto out;
	}
	if (ldns_rr_list_rr_count(ldns_pkt_question(p)) != 1 ||
	    (keys = pick(ldns_pkt_additional(p), NULL, LDNS_RR_TYPE_DNSKEY,
	    0)) == NULL || (v.anchors = ldns_rr_list_new()) == NULL) {
		snprintf(ans->reason, sizeof ans->reason, "no question");
		goto out;
	}
	q = ldns_rr_list_rr(ldns_pkt_question(p), 0);
	if ((qname = ldns_rdf_clone(ldns_rr_owner(q))) == NULL)
		goto out;
	ldns_dname2canonical(qname);
	/* each owner's keys, a zone validated already */
	for (i = 0; i < ldns_rr_list_rr_count(keys); i++) {
		k = ldns_rr_list_rr(keys, i);
		if ((z = zone_find(&v, ldns_rr_owner(k))) == NULL) {
			if ((z = zone_add(&v, ldns_rr_owner(k), 1)) == NULL ||
			    (z->keys = ldns_rr_list_new()) == NULL)
				goto out;
			z->sec = DNSSEC_SECURE;
		}
		if (!ldns_rr_list_push_rr(z->keys, ldns_rr_clone(k)) ||
		    !ldns_rr_list_push_rr(v.anchors, ldns_rr_clone(k)))
			goto out;
	}
	ans->status = lookup_validated(&v, qname, ldns_rr_get_type(q), p,
	    ans);
	p = NULL;
out:
	settle(ans);
	ldns_rdf_deep_free(qname);
	ldns_rr_list_free(keys);
	ldns_pkt_free(p);
	for (i = 0; i < v.nzones; i++)
		zone_clear(&v.zones[i]);
	free(v.zones);
	if (v.anchors != NULL)
		ldns_rr_list_deep_free(v.anchors);
	return ans->status;
}

void
dnssec_answer_free(struct dnssec_answer *ans)
{
	size_t	i;

	if (ans == NULL)
		return;
	for (i = 0; ans->names != NULL && i < ans->nnames; i++)
		free(ans->names[i]);
	free(ans->names);
	for (i = 0; ans->rdata != NULL && i < ans->nrr; i++)
		free(ans->rdata[i]);
	free(ans->rdata);
	free(ans->rdlen);
	ans->names = NULL;
	ans->rdata = NULL;
	ans->rdlen = NULL;
	ans->nnames = ans->nrr = 0;
}

/*
 * The anchors of a file: DNSKEY and DS records in master-file form.  0,
 * or -1 with err and errno (EBADMSG for what is in the file).
 */
static int
anchors_read(struct dnssec *v, const char *path, char *err, size_t errlen)
{
	FILE		*fp;
	ldns_rr		*rr;
	ldns_rdf	*origin = NULL, *prev = NULL;
	ldns_status	 s;
	uint32_t	 ttl = 3600;
	char		 shown[CLI_SHOWN_NAME];
	const char	*name = cli_show(path, strlen(path), CLI_SHOW_NAME,
			    shown, sizeof shown);
	int		 fd, status, line = 0, rc = -1, save;

	if ((fd = cli_open_regular(path, "trust anchor file", err, errlen,
	    &status)) < 0) {
		if (errno == 0)
			errno = ENOENT;
		return -1;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		save = errno;
		snprintf(err, errlen, "cannot open trust anchor file '%s': %s",
		    name, strerror(errno));
		close(fd);
		errno = save;
		return -1;
	}
	if ((v->anchors = ldns_rr_list_new()) == NULL)
		goto nomem;
	while (!feof(fp)) {
		s = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &origin, &prev, &line);
		if (s == LDNS_STATUS_SYNTAX_EMPTY ||
		    s == LDNS_STATUS_SYNTAX_TTL ||
		    s == LDNS_STATUS_SYNTAX_ORIGIN)
			continue;
		if (s != LDNS_STATUS_OK) {
			if (ferror(fp))
				break;
			snprintf(err, errlen, "bad trust anchor file '%s' line "
			    "%d: %s", name, line, ldns_get_errorstr_by_id(s));
			errno = EBADMSG;
			goto out;
		}
		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_DNSKEY &&
		    ldns_rr_get_type(rr) != LDNS_RR_TYPE_DS) {
			ldns_rr_free(rr);
			snprintf(err, errlen, "bad trust anchor file '%s' line "
			    "%d: no DNSKEY or DS record", name, line);
			errno = EBADMSG;
			goto out;
		}
		ldns_dname2canonical(ldns_rr_owner(rr));
		if (!ldns_rr_list_push_rr(v->anchors, rr)) {
			ldns_rr_free(rr);
			goto nomem;
		}
	}
	if (ferror(fp)) {
		save = errno;
		snprintf(err, errlen, "cannot read trust anchor file '%s': %s",
		    name, strerror(errno));
		errno = save != 0 ? save : EIO;
		goto out;
	}
	if (ldns_rr_list_rr_count(v->anchors) == 0) {
		snprintf(err, errlen, "bad trust anchor file '%s': no DNSKEY "
		    "or DS record in it", name);
		errno = EBADMSG;
		goto out;
	}
	rc = 0;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
	errno = ENOMEM;
out:
	save = errno;
	if (origin != NULL)
		ldns_rdf_deep_free(origin);
	if (prev != NULL)
		ldns_rdf_deep_free(prev);
	fclose(fp);
	errno = save;
	return rc;
}

struct dnssec *
dnssec_new(struct dns *dns, const char *anchor_file, int trust_ad, time_t t,
    char *err, size_t errlen)
{
	struct dnssec	*v;
	int		 save;

	if ((v = calloc(1, sizeof *v)) == NULL) {
		snprintf(err, errlen, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	v->dns = dns;
	v->trust_ad = trust_ad;
	v->now = t;
	if (!trust_ad && anchors_read(v, anchor_file != NULL ? anchor_file :
	    DNSSEC_ROOT_ANCHOR, err, errlen) != 0) {
		save = errno;
		dnssec_free(v);
		errno = save;
		return NULL;
	}
	return v;
}

void
dnssec_free(struct dnssec *v)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < v->nzones; i++)
		zone_clear(&v->zones[i]);
	free(v->zones);
	for (size_t i = 0; i < ANSWERS_MAX; i++)
		if (v->answers[i].name != NULL) {
			ldns_rdf_deep_free(v->answers[i].name);
			dnssec_answer_free(&v->answers[i].ans);
		}
	if (v->anchors != NULL)
		ldns_rr_list_deep_free(v->anchors);
	free(v);
}

const char *
dnssec_sec_name(enum dnssec_sec sec)
{
	switch (sec) {
	case DNSSEC_SECURE:	return "secure";
	case DNSSEC_INSECURE:	return "insecure";
	case DNSSEC_BOGUS:	return "bogus";
	}
	return "bogus";
}
