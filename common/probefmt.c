/*
 * The report of an SMTP probe, a --compare and a delivery, as text and as
 * JSON.  Both say the same facts; the text leaves the flights to -v
 * (--compare always draws them: they are its point).
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "cli.h"
#include "probefmt.h"

static const char *const phase_names[] = {
	"connect", "banner", "ehlo", "starttls", "handshake", "ehlo_tls",
	"quit", "total"
};
#define NPHASES	(sizeof phase_names / sizeof phase_names[0])

static void
phases(const struct probe_session *p, double *t)
{
	t[0] = p->t_connect;
	t[1] = p->t_banner;
	t[2] = p->t_ehlo;
	t[3] = p->t_starttls;
	t[4] = p->t_handshake;
	t[5] = p->t_ehlo_tls;
	t[6] = p->t_quit;
	t[7] = p->t_total;
}

/*
 * Round trips early pipelining saved: negative when an attempt refused for
 * its early input cost more than it saved (probe.h).
 */
static int
saved(const struct probe_session *p)
{
	return p->rtts_plain - p->rtts;
}

/* --- text --------------------------------------------------------------- */

/*
 * A server's text (or anything it could have put there) on a terminal:
 * escaped as cli_show does, so that a control byte (ESC, CR) it sent
 * cannot rewrite the reader's screen.
 */
static void
put(FILE *fp, const char *s)
{
	static char	buf[4 * SMTP_LINE_MAX + 8];

	fputs(cli_show(s, strlen(s), SMTP_LINE_MAX, buf, sizeof buf), fp);
}

static void
text_kw(FILE *fp, const char *what, const struct smtp_reply *r,
    const struct ehlo *e)
{
	size_t	i;

	if (r->nlines == 0)
		return;
	fprintf(fp, "%s: %d ", what, r->code);
	put(fp, r->lines[0]);
	fputc('\n', fp);
	for (i = 0; i < e->nkw; i++) {
		fprintf(fp, "%s: ", what);
		put(fp, e->kw[i].name);
		if (e->kw[i].param[0] != '\0') {
			fputc(' ', fp);
			put(fp, e->kw[i].param);
		}
		fputc('\n', fp);
	}
}

static void
text_limits(FILE *fp, const struct ehlo_limits *l)
{
	fputs("limits:", fp);
	if (!l->offered || !l->valid)
		fputs(" none", fp);
	else if (l->mailmax == 0 && l->rcptmax == 0 && l->rcptdomainmax == 0)
		fputs(" none", fp);
	if (l->offered && l->valid) {
		if (l->mailmax > 0)
			fprintf(fp, " MAILMAX=%ld", l->mailmax);
		if (l->rcptmax > 0)
			fprintf(fp, " RCPTMAX=%ld", l->rcptmax);
		if (l->rcptdomainmax > 0)
			fprintf(fp, " RCPTDOMAINMAX=%ld", l->rcptdomainmax);
	}
	if (l->why[0] != '\0') {
		fputs(" (", fp);
		put(fp, l->why);
		fputc(')', fp);
	}
	fputc('\n', fp);
}

static void
text_chain(FILE *fp, const struct probe_session *p)
{
	struct cert_facts	 f;
	char			 when[32], spki[65];
	int			 i, n;

	n = p->tls.chain != NULL ? sk_X509_num(p->tls.chain) : 0;
	for (i = 0; i < n; i++) {
		if (cert_facts(sk_X509_value(p->tls.chain, i), &f) == -1)
			continue;
		cert_time(f.not_after, when, sizeof when);
		cert_hex(spki, f.spki_sha256, sizeof f.spki_sha256);
		fprintf(fp, "certificate %d: subject ", i);
		put(fp, f.subject);
		fprintf(fp, "\ncertificate %d: issuer ", i);
		put(fp, f.issuer);
		fputc('\n', fp);
		fprintf(fp, "certificate %d: not after %s\n", i, when);
		fprintf(fp, "certificate %d: spki sha256 %s\n", i, spki);
		cert_facts_free(&f);
	}
	if (n > 0)
		fprintf(fp, "pkix: %s\n", p->tls.verify_error == X509_V_OK ?
		    "verified" : p->tls.verify_text);
}

void
probefmt_timeline(FILE *fp, const struct probe_session *p)
{
	const struct probe_flight	*f;
	const struct probe_step		*s;
	size_t				 i, j;

	for (i = 0; i < p->nflights; i++) {
		f = &p->flights[i];
		fprintf(fp, "%8.1f ms %s:", f->start, f->kind);
		for (j = f->first; j < f->first + f->n && j < p->nsteps;
		    j++) {
			s = &p->steps[j];
			fprintf(fp, "%s ", j > f->first ? "," : "");
			put(fp, s->label);
			fputs(" (", fp);
			if (s->code != 0)
				fprintf(fp, "%d ", s->code);
			if (s->done >= 0)
				fprintf(fp, "at %.1f)", s->done);
			else
				fputs("no reply)", fp);
		}
		fprintf(fp, " [%d rtt%s]\n", f->rtts, f->rtts == 1 ? "" : "s");
	}
}

static void
text_times(FILE *fp, const struct probe_session *p)
{
	double	t[NPHASES];
	size_t	i;
	int	n = 0;

	phases(p, t);
	for (i = 0; i < NPHASES; i++)
		if (t[i] >= 0)
			fprintf(fp, "%s %s %.1f", n++ > 0 ? "," : "times:",
			    phase_names[i], t[i]);
	if (n > 0)
		fputs(" ms\n", fp);
}

void
probefmt_text(FILE *fp, const struct probe_session *p, int verbose)
{
	const char	*pc;
	size_t		 i;

	if (p->host[0] != '\0') {
		fputs("host: ", fp);
		put(fp, p->host);
		fputc('\n', fp);
	}
	if (p->peer[0] != '\0')
		fprintf(fp, "peer: %s\n", p->peer);
	for (i = 0; i < p->banner.nlines; i++) {
		fprintf(fp, "banner: %d ", p->banner.code);
		put(fp, p->banner.lines[i]);
		fputc('\n', fp);
	}
	text_kw(fp, "ehlo", &p->ehlo, &p->feat);
	if (p->tls_up) {
		fprintf(fp, "tls: %s %s %d bits\n", p->tls.version,
		    p->tls.cipher, p->tls.bits);
		text_chain(fp, p);
	}
	text_kw(fp, "ehlo-tls", &p->ehlo_tls, &p->feat_tls);
	if (p->ehlo.nlines > 0 || p->ehlo_tls.nlines > 0) {
		text_limits(fp, &probe_feat(p)->limits);
		pc = ehlo_pipeconnect_name(probe_feat(p)->pipeconnect);
		fprintf(fp, "pipeconnect: %s\n", pc != NULL ? pc : "no");
	}
	if (p->nflights > 0)
		text_times(fp, p);
	fprintf(fp, "early: %s%s\n", p->early ? "yes" : "no",
	    p->retried ? " (retried without)" : "");
	fprintf(fp, "rtts: %d, %d without early pipelining, %d saved\n",
	    p->rtts, p->rtts_plain, saved(p));
	if (p->cache_note[0] != '\0') {
		fputs("cache: ", fp);
		put(fp, p->cache_note);
		fputc('\n', fp);
	}
	if (p->fail != SMTP_OK && p->err[0] != '\0') {
		fputs("error: ", fp);
		put(fp, p->err);
		fputc('\n', fp);
	}
	if (verbose)
		probefmt_timeline(fp, p);
}

void
probefmt_compare_text(FILE *fp, const struct probe_session *a,
    const struct probe_session *b)
{
	fprintf(fp, "without early pipelining: %d rtts, %.1f ms\n", a->rtts,
	    a->t_total);
	probefmt_timeline(fp, a);
	fprintf(fp, "with early pipelining: %d rtts, %.1f ms%s\n", b->rtts,
	    b->t_total, b->retried ? " (the early attempt was refused, and "
	    "retried without)" : b->early ? "" : " (not used: the server "
	    "does not offer it)");
	probefmt_timeline(fp, b);
	/* Negative when the refused attempt cost more than it saved. */
	fprintf(fp, "saved: %d rtts, %.1f ms\n", a->rtts - b->rtts,
	    a->t_total - b->t_total);
}

void
probefmt_send_text(FILE *fp, const struct send_msg *m,
    const struct send_result *r, int verbose)
{
	const struct send_rcpt	*rc;
	size_t			 i;

	for (i = 0; i < m->nrcpt; i++) {
		rc = &m->rcpt[i];
		put(fp, rc->addr);
		fprintf(fp, ": %s", send_state_name(rc->state));
		if (rc->code != 0)
			fprintf(fp, " %d", rc->code);
		if (rc->reply[0] != '\0') {
			fputc(' ', fp);
			put(fp, rc->reply);
		}
		if (rc->session >= 0)
			fprintf(fp, " (session %d, transaction %d)",
			    rc->session + 1, rc->trans + 1);
		fputc('\n', fp);
	}
	fprintf(fp, "sent: %zu accepted, %zu deferred, %zu refused; "
	    "%zu session%s, %zu transaction%s, %d rtts, %.1f ms\n",
	    r->accepted, r->deferred, r->refused, r->nsessions,
	    r->nsessions == 1 ? "" : "s", r->ntrans, r->ntrans == 1 ? "" : "s",
	    r->rtts, r->ms);
	for (i = 0; verbose && i < r->nsessions; i++) {
		fprintf(fp, "session %zu: %s\n", i + 1, r->sessions[i].peer);
		probefmt_timeline(fp, &r->sessions[i]);
	}
}

/* --- JSON --------------------------------------------------------------- */

static void
json_name(FILE *fp, const char *name)
{
	cli_json_string(fp, name, strlen(name));
	fputc(':', fp);
}

static void
json_str(FILE *fp, const char *name, const char *s)
{
	json_name(fp, name);
	if (s == NULL)
		fputs("null", fp);
	else
		cli_json_string(fp, s, strlen(s));
}

static void
json_ms(FILE *fp, const char *name, double t)
{
	json_name(fp, name);
	if (t < 0)
		fputs("null", fp);
	else
		fprintf(fp, "%.3f", t);
}

static int
kw_upper(const char *s, char *buf, size_t size)
{
	size_t	i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i + 1 >= size)
			return -1;
		buf[i] = toupper((unsigned char)s[i]);
	}
	buf[i] = '\0';
	return 0;
}

/*
 * Keyword -> parameter, the keyword upper case (RFC 5321 2.4: keywords
 * are case-blind); the greeting line is no keyword.
 */
static void
json_kw(FILE *fp, const char *what, const struct ehlo *e, int any)
{
	char	name[256];
	size_t	i, j, n;

	json_name(fp, what);
	if (!any) {
		fputs("null", fp);
		return;
	}
	fputc('{', fp);
	for (i = 0, n = 0; i < e->nkw; i++) {
		if (kw_upper(e->kw[i].name, name, sizeof name) == -1)
			continue;
		/* EHLO keywords are case-blind: a name given twice, once */
		for (j = 0; j < i; j++)
			if (strcasecmp(e->kw[j].name, e->kw[i].name) == 0)
				break;
		if (j < i)
			continue;
		if (n++ > 0)
			fputc(',', fp);
		json_str(fp, name, e->kw[i].param);
	}
	fputc('}', fp);
}

static void
json_limits(FILE *fp, const struct ehlo_limits *l)
{
	int	n = 0;

	json_name(fp, "limits");
	fputc('{', fp);
	if (l->offered && l->valid) {
		if (l->mailmax > 0)
			fprintf(fp, "%s\"MAILMAX\":%ld", n++ ? "," : "",
			    l->mailmax);
		if (l->rcptmax > 0)
			fprintf(fp, "%s\"RCPTMAX\":%ld", n++ ? "," : "",
			    l->rcptmax);
		if (l->rcptdomainmax > 0)
			fprintf(fp, "%s\"RCPTDOMAINMAX\":%ld", n++ ? "," : "",
			    l->rcptdomainmax);
	}
	fputc('}', fp);
	fputc(',', fp);
	json_str(fp, "limits_note", l->why[0] != '\0' ? l->why : NULL);
}

static void
json_tls(FILE *fp, const struct probe_session *p)
{
	json_name(fp, "tls");
	if (!p->tls_up) {
		fputs("null", fp);
		return;
	}
	fputc('{', fp);
	json_str(fp, "version", p->tls.version);
	fputc(',', fp);
	json_str(fp, "cipher", p->tls.cipher);
	fprintf(fp, ",\"bits\":%d,", p->tls.bits);
	json_str(fp, "pkix", p->tls.verify_error == X509_V_OK ? "verified" :
	    p->tls.verify_text);
	fputs(",\"chain\":", fp);
	cert_chain_json(fp, p->tls.chain);
	fputc('}', fp);
}

static void
json_times(FILE *fp, const struct probe_session *p)
{
	double	t[NPHASES];
	size_t	i;

	phases(p, t);
	json_name(fp, "times");
	fputc('{', fp);
	for (i = 0; i < NPHASES; i++) {
		if (i > 0)
			fputc(',', fp);
		json_ms(fp, phase_names[i], t[i]);
	}
	fputc('}', fp);
}

static void
json_flights(FILE *fp, const struct probe_session *p)
{
	const struct probe_flight	*f;
	const struct probe_step		*s;
	size_t				 i, j;

	json_name(fp, "flights");
	fputc('[', fp);
	for (i = 0; i < p->nflights; i++) {
		f = &p->flights[i];
		if (i > 0)
			fputc(',', fp);
		fputc('{', fp);
		json_str(fp, "kind", f->kind);
		fputc(',', fp);
		json_ms(fp, "start", f->start);
		fputc(',', fp);
		json_ms(fp, "end", f->end);
		fprintf(fp, ",\"rtts\":%d,\"steps\":[", f->rtts);
		for (j = f->first; j < f->first + f->n && j < p->nsteps;
		    j++) {
			s = &p->steps[j];
			if (j > f->first)
				fputc(',', fp);
			fputc('{', fp);
			json_str(fp, "label", s->label);
			fputc(',', fp);
			json_ms(fp, "sent", s->sent);
			fputc(',', fp);
			json_ms(fp, "done", s->done);
			fprintf(fp, ",\"code\":%d,", s->code);
			json_str(fp, "text", s->text);
			fputc('}', fp);
		}
		fputs("]}", fp);
	}
	fputc(']', fp);
}

static void
json_banner(FILE *fp, const struct probe_session *p)
{
	char	*s;
	size_t	 i, len = 0;

	json_name(fp, "banner");
	if (p->banner.nlines == 0) {
		fputs("null", fp);
		return;
	}
	/* The lines as sent, joined: "220 mx ESMTP" or several lines. */
	for (i = 0; i < p->banner.nlines; i++)
		len += strlen(p->banner.lines[i]) + 5;
	if ((s = malloc(len + 1)) == NULL) {
		fputs("null", fp);
		return;
	}
	s[0] = '\0';
	for (i = 0; i < p->banner.nlines; i++)
		snprintf(s + strlen(s), len + 1 - strlen(s), "%s%03d %s",
		    i > 0 ? "\n" : "", p->banner.code, p->banner.lines[i]);
	cli_json_string(fp, s, strlen(s));
	free(s);
}

void
probefmt_json_obj(FILE *fp, const struct probe_session *p)
{
	const char	*pc;

	fputc('{', fp);
	json_str(fp, "host", p->host);
	fputc(',', fp);
	json_str(fp, "peer", p->peer[0] != '\0' ? p->peer : NULL);
	fputc(',', fp);
	json_banner(fp, p);
	fputc(',', fp);
	json_kw(fp, "ehlo", &p->feat, p->ehlo.nlines > 0);
	fputc(',', fp);
	json_kw(fp, "ehlo_tls", &p->feat_tls, p->ehlo_tls.nlines > 0);
	fputc(',', fp);
	json_limits(fp, &probe_feat(p)->limits);
	fputc(',', fp);
	pc = ehlo_pipeconnect_name(probe_feat(p)->pipeconnect);
	json_str(fp, "pipeconnect", pc);
	fputc(',', fp);
	json_tls(fp, p);
	fputc(',', fp);
	json_times(fp, p);
	fprintf(fp, ",\"rtts\":%d,\"rtts_plain\":%d,\"rtt_saved\":%d,"
	    "\"early\":%s,\"retried\":%s,", p->rtts, p->rtts_plain, saved(p),
	    p->early ? "true" : "false", p->retried ? "true" : "false");
	json_str(fp, "cache", p->cache_note[0] != '\0' ? p->cache_note :
	    NULL);
	fputc(',', fp);
	json_flights(fp, p);
	if (p->fail != SMTP_OK) {
		fputc(',', fp);
		json_str(fp, "error", p->err);
	}
	fputc('}', fp);
}

void
probefmt_json(FILE *fp, const struct probe_session *p)
{
	probefmt_json_obj(fp, p);
	fputc('\n', fp);
}

void
probefmt_compare_json(FILE *fp, const struct probe_session *a,
    const struct probe_session *b)
{
	fputs("{\"without\":", fp);
	probefmt_json_obj(fp, a);
	fputs(",\"with\":", fp);
	/* The first session failed: no second, the shape kept. */
	if (b == NULL) {
		fputs("null,\"rtt_saved\":null,\"ms_saved\":null}\n", fp);
		return;
	}
	probefmt_json_obj(fp, b);
	fprintf(fp, ",\"rtt_saved\":%d,\"ms_saved\":%.3f}\n",
	    a->rtts - b->rtts, a->t_total - b->t_total);
}

void
probefmt_send_json(FILE *fp, const struct send_msg *m,
    const struct send_result *r)
{
	const struct send_rcpt	*rc;
	size_t			 i;

	fputs("{\"recipients\":[", fp);
	for (i = 0; i < m->nrcpt; i++) {
		rc = &m->rcpt[i];
		if (i > 0)
			fputc(',', fp);
		fputc('{', fp);
		json_str(fp, "addr", rc->addr);
		fputc(',', fp);
		json_str(fp, "state", send_state_name(rc->state));
		fprintf(fp, ",\"code\":%d,", rc->code);
		json_str(fp, "reply", rc->reply);
		/* From 1, as the text counts them; null: never sent */
		if (rc->session < 0)
			fputs(",\"session\":null,\"transaction\":null}", fp);
		else
			fprintf(fp, ",\"session\":%d,\"transaction\":%d}",
			    rc->session + 1, rc->trans + 1);
	}
	fprintf(fp, "],\"accepted\":%zu,\"deferred\":%zu,\"refused\":%zu,"
	    "\"sessions\":%zu,\"transactions\":%zu,\"rtts\":%d,"
	    "\"ms\":%.3f}\n", r->accepted, r->deferred, r->refused,
	    r->nsessions, r->ntrans, r->rtts, r->ms);
}
