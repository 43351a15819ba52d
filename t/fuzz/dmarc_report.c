/*
 * Fuzz what common/dmarcreport.c reads from a message and a record: the
 * input's first line is the record's ruf= list (comma separated, each URI
 * with an optional !size in bytes), its second the DKIM signatures'
 * d=/s= pairs (blank separated, as d:s), the rest the message, whose
 * ARC-Seal and ARC-Authentication-Results fields the history's arc_policy
 * list is read from.
 *
 * The history record must be one record of printable ASCII lines, each
 * ending in LF, starting "job " and with no other job line, with exactly
 * one line per key but dkim and rua, and an arc_policy list whose braces
 * balance, outside its quoted strings, as JSON's must.  The failure
 * report must end with its closing boundary, and its own header (up to
 * the first empty line) must hold printable ASCII only, one To field whose
 * addresses all lie in the From domain's organizational domain (no DNS
 * here authorises any other), and no Bcc or Cc field.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmarcreport.h"
#include "msg.h"

#define ORG	"a.example"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The next line of [*p, e), without its LF. */
static const char *
line(const char **p, const char *e, size_t *n)
{
	const char	*s = *p, *nl = memchr(s, '\n', e - s);

	*n = (nl != NULL ? nl : e) - s;
	*p = nl != NULL ? nl + 1 : e;
	return s;
}

static void
check_history(const char *s, size_t n)
{
	static const char *const once[] = {
		"job", "reporter", "received", "ipaddr", "from", "mfrom", "spf",
		"pdomain", "policy", "pct", "adkim", "aspf", "p", "sp",
		"align_dkim", "align_spf", "arc", "arc_policy", "action", NULL
	};
	int		 seen[32] = { 0 };
	const char	*p = s, *e = s + n, *l;
	size_t		 len, i, k;
	int		 depth, quoted;

	if (n == 0)
		abort();
	if (s[n - 1] != '\n' || strncmp(s, "job ", 4) != 0)
		abort();
	for (i = 0; i < n; i++)
		if (s[i] != '\n' && (s[i] < ' ' || s[i] > '~'))
			abort();
	while (p < e) {
		l = line(&p, e, &len);
		for (k = 0; once[k] != NULL; k++) {
			size_t	kl = strlen(once[k]);

			if (len > kl && l[kl] == ' ' &&
			    strncmp(l, once[k], kl) == 0)
				seen[k]++;
		}
		if (strncmp(l, "arc_policy ", 11) != 0)
			continue;
		depth = quoted = 0;
		for (i = 11; i < len; i++) {
			if (l[i] == '"')
				quoted = !quoted;
			else if (!quoted && (l[i] == '[' || l[i] == '{'))
				depth++;
			else if (!quoted && (l[i] == ']' || l[i] == '}'))
				depth--;
			if (depth < 0)
				abort();
		}
		if (depth != 0 || quoted)
			abort();
	}
	for (k = 0; once[k] != NULL; k++)
		if (seen[k] != 1)
			abort();
}

static int
in_org(const char *a, size_t n)
{
	const char	*at = memchr(a, '@', n);
	size_t		 d, o = strlen(ORG);

	if (at == NULL)
		return 0;
	d = n - (at + 1 - a);
	return (d == o && strncasecmp(at + 1, ORG, o) == 0) ||
	    (d > o && at[d - o] == '.' && strncasecmp(at + 1 + d - o, ORG,
	    o) == 0);
}

static void
check_report(const char *s, size_t n)
{
	const char	*p = s, *e = s + n, *l, *a, *c;
	size_t		 len, i;
	int		 to = 0, in_to = 0;

	if (n < 3 || memcmp(s + n - 3, "--\n", 3) != 0)
		abort();
	while (p < e) {
		l = line(&p, e, &len);
		if (len == 0)
			break;
		for (i = 0; i < len; i++)
			if (l[i] != '\t' && (l[i] < ' ' || l[i] > '~'))
				abort();
		if (strncasecmp(l, "Bcc:", 4) == 0 ||
		    strncasecmp(l, "Cc:", 3) == 0)
			abort();
		if (strncasecmp(l, "To:", 3) == 0)
			to++, in_to = 1, a = l + 4;
		else if (in_to && l[0] == '\t')
			a = l + 1;
		else {
			in_to = 0;
			continue;
		}
		/* the addresses, comma separated, one per line */
		c = memchr(a, ',', l + len - a);
		if (!in_org(a, (c != NULL ? c : l + len) - a))
			abort();
	}
	if (to != 1)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char		*p = (const char *)data, *e = p + size, *l, *u;
	struct dmarc_dkim	 dk[8];
	char			 dd[8][64], *colon, err[256];
	struct dmarc_input	 in;
	struct dmarc_verdict	 v;
	struct dmarc_facts	 f;
	struct arc_result	 arc;
	struct buf		 b = { 0 };
	struct msg		*m;
	size_t			 len, k, n;
	int			 rc;

	memset(&in, 0, sizeof in);
	memset(&v, 0, sizeof v);
	memset(&f, 0, sizeof f);
	memset(&arc, 0, sizeof arc);
	l = line(&p, e, &len);
	for (u = l; u < l + len && v.rec.nruf < DMARC_URI_MAX; u += n + 1) {
		const char	*c = memchr(u, ',', l + len - u), *bang;
		struct dmarc_uri *r = &v.rec.ruf[v.rec.nruf++];

		n = (c != NULL ? c : l + len) - u;
		bang = memchr(u, '!', n);
		k = bang != NULL ? (size_t)(bang - u) : n;
		if (k >= sizeof r->uri)
			k = sizeof r->uri - 1;
		memcpy(r->uri, u, k);
		r->uri[k] = '\0';
		r->limit = bang != NULL ? strtoull(bang + 1, NULL, 10) : 0;
		if (c == NULL)
			break;
	}
	l = line(&p, e, &len);
	for (u = l; u < l + len && in.ndkim < 8; u += n + 1) {
		const char	*c = memchr(u, ' ', l + len - u);

		n = (c != NULL ? c : l + len) - u;
		k = n < sizeof dd[0] ? n : sizeof dd[0] - 1;
		memcpy(dd[in.ndkim], u, k);
		dd[in.ndkim][k] = '\0';
		colon = strchr(dd[in.ndkim], ':');
		if (colon != NULL)
			*colon++ = '\0';
		dk[in.ndkim].domain = dd[in.ndkim];
		dk[in.ndkim].selector = colon;
		dk[in.ndkim].status = (enum dkim_vstatus)(in.ndkim % 3);
		dk[in.ndkim].temperror = in.ndkim % 4 == 3;
		in.ndkim++;
		if (c == NULL)
			break;
	}
	in.dkim = dk;
	in.ip = "192.0.2.1";
	in.from_domain = ORG;
	in.spf = SPF_FAIL;
	in.spf_domain = "b.example";
	v.status = DMARC_REJECT;
	v.have_record = 1;
	snprintf(v.used_domain, sizeof v.used_domain, "%s", ORG);
	snprintf(v.record_domain, sizeof v.record_domain, "%s", ORG);
	snprintf(v.org_domain, sizeof v.org_domain, "%s", ORG);
	v.rec.p = v.rec.sp = v.policy = v.disposition = DMARC_P_REJECT;
	v.rec.adkim = v.rec.aspf = 'r';
	v.rec.pct = 100;
	snprintf(v.rec.fo, sizeof v.rec.fo, "1:d:s");
	f.reporter = "mx.example.net";
	f.received = 1700000000;
	f.job = size % 2 ? "q1" : NULL;
	arc.state = size % 3 == 0 ? ARC_PASS : ARC_FAIL;
	arc.n = ARC_MAX;
	f.arc = &arc;

	if ((m = msg_new(64)) == NULL)
		return 0;
	if (msg_feed(m, p, e - p, err, sizeof err) != 0 ||
	    msg_end(m, err, sizeof err) != 0) {
		msg_free(m);
		return 0;
	}
	if (dmarc_history_format(&b, m, &in, &v, &f) < 0)
		abort();
	check_history(b.p, b.len);
	b.len = 0;
	if ((rc = dmarc_forensic(&b, m, NULL, &in, &v, &f, NULL)) < 0)
		abort();
	if (rc == 1)
		check_report(b.p, b.len);
	else if (b.len != 0)
		abort();
	buf_free(&b);
	msg_free(m);
	return 0;
}
