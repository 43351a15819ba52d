/*
 * The facts of one message for DMARC, read from our own A-R fields and
 * written back as one.  Nothing here prints: a word to warn about is
 * handed up in the facts.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "authres.h"
#include "dmarcfacts.h"

void
dmarcfacts_domain(char *buf, size_t size, const char *name)
{
	char	*s;

	snprintf(buf, size, "%s", name);
	for (s = buf; *s != '\0'; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s += 'a' - 'A';
}

void
dmarcfacts_env_domain(const char *a, char *buf, size_t size)
{
	if (strchr(a, '@') != NULL) {
		if (addr_domain(a, buf, size) != 0)
			buf[0] = '\0';
		return;
	}
	dmarcfacts_domain(buf, size, a);
}

int
dmarcfacts_dkim_word(const char *w, enum dkim_vstatus *st, int *temp)
{
	*temp = 0;
	if (strcasecmp(w, "pass") == 0)
		*st = DKIM_VPASS;
	else if (strcasecmp(w, "fail") == 0)
		*st = DKIM_VFAIL;
	else if (strcasecmp(w, "invalid") == 0 ||
	    strcasecmp(w, "permerror") == 0 ||
	    strcasecmp(w, "neutral") == 0 || strcasecmp(w, "policy") == 0)
		*st = DKIM_VINVALID;
	else if (strcasecmp(w, "temperror") == 0) {
		*st = DKIM_VINVALID;
		*temp = 1;
	} else if (strcasecmp(w, "none") == 0)
		return 1;
	else
		return -1;
	return 0;
}

/* spf= of one of our results. */
static void
spf_of(const struct ar_result *r, struct dmarcfacts *f)
{
	const char	*p;
	int		 res;

	/* An int: the enum may be unsigned, where -1 would never be < 0. */
	if ((res = spf_result_parse(r->result)) < 0) {
		snprintf(f->spf_unknown, sizeof f->spf_unknown, "%s",
		    r->result);
		res = SPF_PERMERROR;
	}
	f->spf.result = res;
	f->spf_have = 1;
	if ((p = ar_prop_get(r, "smtp", "mailfrom")) != NULL) {
		snprintf(f->mfrom, sizeof f->mfrom, "%s", p);
		dmarcfacts_env_domain(p, f->spf_domain, sizeof f->spf_domain);
		snprintf(f->mfrom_domain, sizeof f->mfrom_domain, "%s",
		    f->spf_domain);
	} else if ((p = ar_prop_get(r, "smtp", "helo")) != NULL) {
		dmarcfacts_domain(f->spf_domain, sizeof f->spf_domain, p);
		f->spf_helo = 1;
	}
}

/* dkim= of one of our results: a signature added, or none.  -1 nomem. */
static int
dkim_of(const struct ar_result *r, struct dmarcfacts *f)
{
	struct dkim_sig		*s;
	enum dkim_vstatus	 st;
	const char		*p;
	int			 temp;

	if (dmarcfacts_dkim_word(r->result, &st, &temp) != 0)
		return 0;
	if ((p = ar_prop_get(r, "header", "d")) == NULL &&
	    (p = ar_prop_get(r, "header", "i")) != NULL &&
	    strchr(p, '@') != NULL)
		p = strchr(p, '@') + 1;
	if (p == NULL || f->nsigs == 255)
		return 0;
	if ((s = reallocarray(f->sigs, f->nsigs + 1, sizeof *s)) == NULL)
		return -1;
	f->sigs = s;
	s = &f->sigs[f->nsigs++];
	memset(s, 0, sizeof *s);
	s->status = st;
	s->temperror = temp;
	s->alg = -1;
	dmarcfacts_domain(s->domain, sizeof s->domain, p);
	if ((p = ar_prop_get(r, "header", "s")) != NULL)
		snprintf(s->selector, sizeof s->selector, "%s", p);
	if ((p = ar_prop_get(r, "header", "b")) != NULL)
		snprintf(s->b, sizeof s->b, "%s", p);
	return 0;
}

int
dmarcfacts_from_authres(const struct msg *m, const char *id,
    struct dmarcfacts *f, int want_spf, int want_dkim)
{
	const struct msg_hdr	*h;
	struct authres		 ar;
	const char		*v;
	size_t			 i, k, len;
	int			 found = 0, dkim_here;

	/*
	 * spf= from the topmost field of ours that has one, and dkim= from
	 * the topmost that has any: an MTA whose SPF check and DKIM check
	 * each write a field (Postfix with a milter for each) leaves them
	 * apart.
	 */
	for (i = 0; (want_spf || want_dkim) &&
	    (h = msg_find(m, "Authentication-Results", i)) != NULL; i++) {
		v = msg_hdr_value(h, &len);
		if (authres_parse(v, len, &ar) != 0 ||
		    !authres_is_ours(&ar, id)) {
			authres_free(&ar);
			continue;
		}
		dkim_here = 0;
		for (k = 0; k < ar.nres; k++) {
			const struct ar_result	*r = &ar.res[k];

			if (r->result == NULL)
				continue;
			if (strcmp(r->method, "spf") == 0 && want_spf &&
			    !f->spf_have) {
				found = 1;
				spf_of(r, f);
			}
			if (strcmp(r->method, "dkim") != 0 || !want_dkim)
				continue;
			found = dkim_here = 1;
			if (dkim_of(r, f) < 0) {
				authres_free(&ar);
				return -1;
			}
		}
		authres_free(&ar);
		if (f->spf_have)
			want_spf = 0;
		if (dkim_here)
			want_dkim = 0;
	}
	return found;
}

int
dmarcfacts_dkim(struct dmarcfacts *f)
{
	size_t	i;

	if (f->nsigs > 0 && (f->dd = calloc(f->nsigs, sizeof *f->dd)) ==
	    NULL)
		return -1;
	for (i = 0; i < f->nsigs; i++) {
		f->dd[i].domain = f->sigs[i].domain;
		f->dd[i].selector = f->sigs[i].selector[0] ?
		    f->sigs[i].selector : NULL;
		f->dd[i].status = f->sigs[i].status;
		f->dd[i].temperror = f->sigs[i].temperror;
	}
	return 0;
}

void
dmarcfacts_free(struct dmarcfacts *f)
{
	free(f->sigs);
	free(f->dd);
	f->sigs = NULL;
	f->dd = NULL;
	f->nsigs = 0;
}

const char *
dmarcfacts_from_domain(const struct msg *m, char *buf, size_t size,
    const char **why)
{
	const struct msg_hdr	*h;
	const char		*v;
	size_t			 len;

	if ((h = msg_find(m, "From", 0)) == NULL) {
		*why = "no From field";
		return NULL;
	}
	if (msg_find(m, "From", 1) != NULL) {
		*why = "several From fields";
		return NULL;
	}
	v = msg_hdr_value(h, &len);
	return addr_from_domain(v, len, buf, size, why) == 0 ? buf : NULL;
}

const char *
dmarcfacts_dkim_ar_word(const struct dkim_sig *s)
{
	if (s->status == DKIM_VPASS)
		return "pass";
	if (s->status == DKIM_VFAIL)
		return "fail";
	return s->temperror ? "temperror" : "permerror";
}

int
dmarcfacts_ar_dmarc(struct buf *b, const struct dmarc_verdict *v,
    const char *why)
{
	const char	*res;
	int		 bad;

	switch (v->status) {
	case DMARC_ACCEPT:
		res = "pass";
		break;
	case DMARC_REJECT:
	case DMARC_QUARANTINE:
	case DMARC_NONE:
		res = "fail";
		break;
	case DMARC_NORECORD:
		res = "none";
		break;
	case DMARC_NOFROM:
		res = "permerror";
		break;
	default:
		res = "temperror";
		break;
	}
	bad = buf_addstr(b, "dmarc=") < 0 || buf_addstr(b, res) < 0;
	if (!bad && v->have_record && v->status != DMARC_NOFROM)
		bad = buf_addstr(b, " (p=") < 0 ||
		    buf_addstr(b, dmarc_policy_name(v->policy)) < 0 ||
		    buf_addstr(b, " dis=") < 0 ||
		    buf_addstr(b, v->status == DMARC_ACCEPT ? "none" :
		    dmarc_policy_name(v->disposition)) < 0 ||
		    buf_addstr(b, ")") < 0;
	else if (!bad && v->status == DMARC_NOFROM)
		bad = buf_addstr(b, " (") < 0 || buf_addstr(b, why) < 0 ||
		    buf_addstr(b, ")") < 0;
	if (!bad && v->used_domain[0] != '\0')
		bad = buf_addstr(b, " header.from=") < 0 ||
		    authres_add_value(b, v->used_domain) < 0;
	return bad ? -1 : 0;
}

/* ";", the fold, a tab and the method= of the next result. */
static int
next_result(struct buf *b, const char *eol, const char *method)
{
	return buf_addstr(b, ";") < 0 || buf_addstr(b, eol) < 0 ||
	    buf_addstr(b, "\t") < 0 || buf_addstr(b, method) < 0 ? -1 : 0;
}

/* " ptype.name=value", quoted as need be. */
static int
prop(struct buf *b, const char *name, const char *value)
{
	return buf_addstr(b, " ") < 0 || buf_addstr(b, name) < 0 ||
	    buf_addstr(b, "=") < 0 || authres_add_value(b, value) < 0 ?
	    -1 : 0;
}

int
dmarcfacts_ar_field(struct buf *b, const char *eol, const char *id,
    const struct dmarcfacts *f, const struct dmarc_verdict *v,
    const char *why, const struct arc_result *arc)
{
	size_t	i;
	int	bad;

	bad = buf_addstr(b, "Authentication-Results: ") < 0 ||
	    buf_addstr(b, id) < 0 || buf_addstr(b, ";") < 0 ||
	    buf_addstr(b, eol) < 0 || buf_addstr(b, "\tspf=") < 0 ||
	    buf_addstr(b, spf_result_name(f->spf.result)) < 0;
	if (!bad && f->spf_helo && f->spf_domain[0] != '\0')
		bad = prop(b, "smtp.helo", f->spf_domain) < 0;
	else if (!bad && f->mfrom[0] != '\0')
		bad = prop(b, "smtp.mailfrom", f->mfrom) < 0;
	else if (!bad && f->spf_domain[0] != '\0')
		bad = prop(b, "smtp.mailfrom", f->spf_domain) < 0;
	if (!bad && f->nsigs == 0)
		bad = next_result(b, eol, "dkim=none") < 0;
	for (i = 0; !bad && i < f->nsigs; i++) {
		const struct dkim_sig	*s = &f->sigs[i];

		bad = next_result(b, eol, "dkim=") < 0 ||
		    buf_addstr(b, dmarcfacts_dkim_ar_word(s)) < 0;
		if (!bad && s->domain[0] != '\0')
			bad = prop(b, "header.d", s->domain) < 0;
		if (!bad && s->selector[0] != '\0')
			bad = prop(b, "header.s", s->selector) < 0;
		if (!bad && s->b[0] != '\0')
			bad = prop(b, "header.b", s->b) < 0;
	}
	if (!bad && v->status != DMARC_OFF)
		bad = next_result(b, eol, "") < 0 ||
		    dmarcfacts_ar_dmarc(b, v, why) < 0;
	if (!bad && arc != NULL)
		bad = next_result(b, eol, "arc=") < 0 ||
		    buf_addstr(b, arc_state_name(arc->state)) < 0;
	return bad || buf_addstr(b, eol) < 0 ? -1 : 0;
}
