/*
 * The report of a DANE check, as text and as JSON.  Both say the same
 * facts; the text leaves the RRSIG expiries and the session times to -v.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "cli.h"
#include "danefmt.h"

/* A TLSA record as "U S M HEX", or "?" when out of memory. */
static void
put_record(FILE *fp, const struct tlsa *t)
{
	char	*s;

	if ((s = tlsa_text(t)) == NULL) {
		fputs("?", fp);
		return;
	}
	fputs(s, fp);
	free(s);
}

static const struct tlsa *
matched(const struct dane_host *h, const struct dane_addr *a)
{
	if (a->tls.matched < 0 || (size_t)a->tls.matched >= h->ntlsa)
		return NULL;
	return h->tlsa[a->tls.matched];
}

static int
has_dnssec(const struct dane_lookup *l)
{
	return l->status != DNS_TEMPFAIL && l->status != DNS_PERMFAIL;
}

static void
text_lookup(FILE *fp, const char *indent, const struct dane_lookup *l,
    int verbose)
{
	char	when[32];

	fprintf(fp, "%s%s %s", indent, l->what, l->name);
	if (strcmp(l->owner, l->name) != 0)
		fprintf(fp, " -> %s", l->owner);
	fprintf(fp, ": %s", dns_status_name(l->status));
	if (has_dnssec(l))
		fprintf(fp, ", %s", dnssec_sec_name(l->sec));
	if (verbose && l->expires != 0) {
		cert_time(l->expires, when, sizeof when);
		fprintf(fp, ", signatures expire %s", when);
	}
	if (l->reason[0] != '\0')
		fprintf(fp, ": %s", l->reason);
	fputc('\n', fp);
}

static void
text_chain(FILE *fp, const struct dane_addr *a)
{
	struct cert_facts	 f;
	char			 when[32], spki[65];
	int			 i;

	for (i = 0; a->tls.chain != NULL && i < sk_X509_num(a->tls.chain);
	    i++) {
		if (cert_facts(sk_X509_value(a->tls.chain, i), &f) == -1)
			continue;
		cert_time(f.not_after, when, sizeof when);
		cert_hex(spki, f.spki_sha256, sizeof f.spki_sha256);
		fprintf(fp, "      cert %d: subject %s; issuer %s; notAfter "
		    "%s; spki sha256 %s\n", i, f.subject, f.issuer, when, spki);
		cert_facts_free(&f);
	}
}

static void
text_addr(FILE *fp, const struct dane_host *h, const struct dane_addr *a,
    int verbose)
{
	const struct tlsa	*t;

	fprintf(fp, "    address %s: ", a->text);
	if (!a->tried) {
		fputs("not connected\n", fp);
		return;
	}
	if (a->fail != SMTP_OK) {
		fprintf(fp, "%s: %s\n", smtp_fail_name(a->fail), a->error);
		return;
	}
	fprintf(fp, "%s %s", a->tls.version, a->tls.cipher);
	if (a->tls.dane && a->tls.verified) {
		fputs(", verified", fp);
		if ((t = matched(h, a)) != NULL) {
			fputs(" by ", fp);
			put_record(fp, t);
		}
		fprintf(fp, " at depth %d", a->tls.depth);
		if (a->tls.peername[0] != '\0')
			fprintf(fp, ", peername %s", a->tls.peername);
	} else if (a->tls.dane)
		fprintf(fp, ", not verified: %s", a->tls.verify_text);
	else
		fprintf(fp, ", unauthenticated");
	fprintf(fp, ", ocsp %s", tls_ocsp_name(a->tls.ocsp));
	if (verbose)
		fprintf(fp, ", %.3f s", a->seconds);
	fputc('\n', fp);
	text_chain(fp, a);
}

static void
text_host(FILE *fp, const struct dane_host *h, int verbose)
{
	size_t	i;

	fprintf(fp, "  host %s", h->name);
	if (h->pref >= 0)
		fprintf(fp, ", MX %d", h->pref);
	fprintf(fp, ", port %d: %s\n", h->port, dane_verdict_name(h->verdict));
	for (i = 0; i < h->nlookups; i++)
		text_lookup(fp, "    ", &h->lookups[i], verbose);
	for (i = 0; i < h->ntlsa; i++) {
		fputs("    record ", fp);
		put_record(fp, h->tlsa[i]);
		if (h->unusable[i] == NULL)
			fputs(": usable\n", fp);
		else
			fprintf(fp, ": unusable: %s\n", h->unusable[i]);
	}
	if (h->base[0] != '\0')
		fprintf(fp, "    sni %s\n", h->base);
	for (i = 0; i < h->naddrs; i++)
		text_addr(fp, h, &h->addrs[i], verbose);
	for (i = 0; i < h->nwould; i++) {
		fputs("    would match ", fp);
		put_record(fp, h->would_match[i]);
		fputc('\n', fp);
	}
	for (i = 0; i < h->nwarnings; i++)
		fprintf(fp, "    warning: %s\n", h->warnings[i]);
	fprintf(fp, "    tls_out_tlsa_usage=%d tls_out_dane=%s\n",
	    h->usage_mask, h->tls_dane ? "yes" : "no");
	fprintf(fp, "    note: %s\n", h->note);
}

void
danefmt_text(FILE *fp, const struct dane_domain *d, int verbose)
{
	size_t	i, n = 0;

	for (i = 0; i < d->nhosts; i++)
		n += d->hosts[i].deliverable;
	fprintf(fp, "%s: %s", d->name, dane_verdict_name(d->verdict));
	if (d->nhosts > 0)
		fprintf(fp, ": a DANE sender can deliver to %zu of %zu "
		    "host%s", n, d->nhosts, d->nhosts == 1 ? "" : "s");
	fputc('\n', fp);
	if (d->mx.what[0] != '\0')
		text_lookup(fp, "  ", &d->mx, verbose);
	if (d->error[0] != '\0')
		fprintf(fp, "  error: %s\n", d->error);
	for (i = 0; i < d->nwarnings; i++)
		fprintf(fp, "  warning: %s\n", d->warnings[i]);
	for (i = 0; i < d->nhosts; i++)
		text_host(fp, &d->hosts[i], verbose);
}

static void
json_str(FILE *fp, const char *name, const char *s)
{
	fprintf(fp, "\"%s\":", name);
	if (s == NULL)
		fputs("null", fp);
	else
		cli_json_string(fp, s, strlen(s));
}

static void
json_time(FILE *fp, const char *name, time_t t)
{
	char	when[32];

	if (t == 0) {
		fprintf(fp, "\"%s\":null", name);
		return;
	}
	cert_time(t, when, sizeof when);
	json_str(fp, name, when);
}

static void
json_lines(FILE *fp, const char *name, char *const *v, size_t n)
{
	size_t	i;

	fprintf(fp, "\"%s\":[", name);
	for (i = 0; i < n; i++) {
		if (i > 0)
			fputc(',', fp);
		cli_json_string(fp, v[i], strlen(v[i]));
	}
	fputc(']', fp);
}

static void
json_record(FILE *fp, const struct tlsa *t)
{
	char	*s;

	if ((s = tlsa_text(t)) == NULL) {
		fputs("null", fp);
		return;
	}
	cli_json_string(fp, s, strlen(s));
	free(s);
}

static void
json_lookup(FILE *fp, const struct dane_lookup *l)
{
	fputc('{', fp);
	json_str(fp, "what", l->what);
	fputc(',', fp);
	json_str(fp, "name", l->name);
	fputc(',', fp);
	json_str(fp, "owner", l->owner);
	fputc(',', fp);
	json_str(fp, "status", dns_status_name(l->status));
	fputc(',', fp);
	json_str(fp, "dnssec", has_dnssec(l) ? dnssec_sec_name(l->sec) :
	    NULL);
	fputc(',', fp);
	json_time(fp, "expires", l->expires);
	fputc(',', fp);
	json_str(fp, "reason", l->reason);
	fputc('}', fp);
}

static void
json_chain(FILE *fp, const struct dane_addr *a)
{
	fputs("\"chain\":", fp);
	cert_chain_json(fp, a->tls.chain);
}

static void
json_addr(FILE *fp, const struct dane_host *h, const struct dane_addr *a)
{
	const struct tlsa	*t;
	int			 up = a->tried && a->fail == SMTP_OK;

	fputc('{', fp);
	json_str(fp, "address", a->text);
	fputc(',', fp);
	json_str(fp, "fail", a->tried ? smtp_fail_name(a->fail) : NULL);
	fputc(',', fp);
	json_str(fp, "error", a->tried ? a->error : NULL);
	fputc(',', fp);
	json_str(fp, "version", up ? a->tls.version : NULL);
	fputc(',', fp);
	json_str(fp, "cipher", up ? a->tls.cipher : NULL);
	fprintf(fp, ",\"dane\":%s,\"verified\":%s,\"depth\":",
	    a->tls.dane ? "true" : "false",
	    a->tls.dane && a->tls.verified ? "true" : "false");
	if (up && a->tls.depth >= 0)
		fprintf(fp, "%d", a->tls.depth);
	else
		fputs("null", fp);
	fputs(",\"matched\":", fp);
	if ((t = matched(h, a)) != NULL)
		json_record(fp, t);
	else
		fputs("null", fp);
	fputc(',', fp);
	json_str(fp, "peername", a->tls.peername);
	fputc(',', fp);
	json_str(fp, "verify_error", up ? a->tls.verify_text : NULL);
	fputc(',', fp);
	json_str(fp, "ocsp", tls_ocsp_name(a->tls.ocsp));
	fputc(',', fp);
	json_time(fp, "ocsp_next", a->tls.ocsp_next);
	fprintf(fp, ",\"seconds\":%.3f,", a->seconds);
	json_chain(fp, a);
	fputc('}', fp);
}

static void
json_host(FILE *fp, const struct dane_host *h)
{
	size_t	i;

	fputc('{', fp);
	json_str(fp, "name", h->name);
	fputs(",\"pref\":", fp);
	if (h->pref >= 0)
		fprintf(fp, "%d", h->pref);
	else
		fputs("null", fp);
	fprintf(fp, ",\"port\":%d,", h->port);
	json_str(fp, "sni", h->base[0] != '\0' ? h->base : NULL);
	fputc(',', fp);
	json_str(fp, "verdict", dane_verdict_name(h->verdict));
	fprintf(fp, ",\"deliverable\":%s,", h->deliverable ? "true" : "false");
	json_str(fp, "note", h->note);
	fprintf(fp, ",\"tls_out_tlsa_usage\":%d,\"tls_out_dane\":\"%s\","
	    "\"lookups\":[", h->usage_mask, h->tls_dane ? "yes" : "no");
	for (i = 0; i < h->nlookups; i++) {
		if (i > 0)
			fputc(',', fp);
		json_lookup(fp, &h->lookups[i]);
	}
	fputs("],\"tlsa\":[", fp);
	for (i = 0; i < h->ntlsa; i++) {
		if (i > 0)
			fputc(',', fp);
		fputs("{\"record\":", fp);
		json_record(fp, h->tlsa[i]);
		fprintf(fp, ",\"usage\":%d,\"selector\":%d,\"mtype\":%d,"
		    "\"usable\":%s,", h->tlsa[i]->usage, h->tlsa[i]->selector,
		    h->tlsa[i]->mtype, h->unusable[i] == NULL ? "true" :
		    "false");
		json_str(fp, "why", h->unusable[i]);
		fputc('}', fp);
	}
	fputs("],\"addresses\":[", fp);
	for (i = 0; i < h->naddrs; i++) {
		if (i > 0)
			fputc(',', fp);
		json_addr(fp, h, &h->addrs[i]);
	}
	fputs("],\"would_match\":[", fp);
	for (i = 0; i < h->nwould; i++) {
		if (i > 0)
			fputc(',', fp);
		json_record(fp, h->would_match[i]);
	}
	fputs("],", fp);
	json_lines(fp, "warnings", h->warnings, h->nwarnings);
	fputc('}', fp);
}

void
danefmt_json(FILE *fp, const struct dane_domain *d)
{
	size_t	i;

	fputc('{', fp);
	json_str(fp, "domain", d->name);
	fputc(',', fp);
	json_str(fp, "verdict", dane_verdict_name(d->verdict));
	fprintf(fp, ",\"status\":%d,", d->status);
	json_str(fp, "error", d->error[0] != '\0' ? d->error : NULL);
	fputs(",\"mx\":", fp);
	if (d->mx.what[0] != '\0')
		json_lookup(fp, &d->mx);
	else
		fputs("null", fp);
	fputc(',', fp);
	json_lines(fp, "warnings", d->warnings, d->nwarnings);
	fputs(",\"hosts\":[", fp);
	for (i = 0; i < d->nhosts; i++) {
		if (i > 0)
			fputc(',', fp);
		json_host(fp, &d->hosts[i]);
	}
	fputs("]}\n", fp);
}
