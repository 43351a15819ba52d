#include "config.h"

#include <sys/socket.h>
#include <netinet/in.h>

#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cli.h"
#include "ehlo.h"
#include "pcache.h"
#include "probe.h"
#include "smtp.h"
#include "tls.h"

#define EARLY_MAX	64	/* items probe_early_fn may give */
#define REFRESH_AGE	86400	/* a hit on an older entry: stored again */

static enum smtp_fail	 fail(struct probe_session *, enum smtp_fail,
			    const char *, ...)
			    __attribute__((format(printf, 3, 4)));

/* What the cache said of a peer in one TLS state. */
struct cached {
	int		 have;		/* an entry, young enough */
	struct ehlo	 feat;		/* its reply, parsed */
};

static double
ms(const struct probe_session *p)
{
	return (smtp_now() - p->t0) * 1000;
}

/* Add to the cache note: "hit", "tls miss: stored"... */
static void
note(struct probe_session *p, const char *state, const char *what)
{
	size_t	 n = strlen(p->cache_note);

	snprintf(p->cache_note + n, sizeof p->cache_note - n, "%s%s%s",
	    n > 0 ? "; " : "", state, what);
}

static int
add_flight(struct probe_session *p, const char *kind, double start)
{
	struct probe_flight	*f;

	if ((f = reallocarray(p->flights, p->nflights + 1, sizeof *f)) ==
	    NULL)
		return -1;
	p->flights = f;
	f += p->nflights;
	memset(f, 0, sizeof *f);
	snprintf(f->kind, sizeof f->kind, "%s", kind);
	f->start = start;
	f->end = -1;
	f->first = p->nsteps;
	return (int)p->nflights++;
}

static struct probe_step *
add_step(struct probe_session *p, int flight, const char *label,
    double sent)
{
	struct probe_step	*s;

	if ((s = reallocarray(p->steps, p->nsteps + 1, sizeof *s)) == NULL)
		return NULL;
	p->steps = s;
	s += p->nsteps++;
	memset(s, 0, sizeof *s);
	snprintf(s->label, sizeof s->label, "%s", label);
	s->flight = flight;
	s->sent = sent;
	s->done = -1;
	p->flights[flight].n++;
	return s;
}

static enum smtp_fail
fail(struct probe_session *p, enum smtp_fail f, const char *fmt, ...)
{
	va_list	 ap;

	p->fail = f;
	va_start(ap, fmt);
	vsnprintf(p->err, sizeof p->err, fmt, ap);
	va_end(ap);
	return f;
}

static enum smtp_fail
nomem(struct probe_session *p)
{
	return fail(p, SMTP_LOCAL, "out of memory");
}

/*
 * Close our side after QUIT: Exim holds its 221 until the client's FIN
 * comes (up to 200 ms, sparing the server the TIME_WAIT), so a client
 * that waits for the 221 first pays that on every session.  Exim's own
 * client closes this way: close_notify under TLS, then the FIN.
 */
static void
half_close(struct smtp *s)
{
	if (s->ssl != NULL) {
		SSL_shutdown(s->ssl);
		ERR_clear_error();
	}
	shutdown(s->fd, SHUT_WR);
}

/*
 * A 421 says the server is closing (RFC 5321 3.8): its words are what a
 * report must give, not the close that follows.
 */
static void
said_421(struct probe_session *p, const char *label,
    const struct smtp_reply *r)
{
	char	 shown[128], text[128];

	/* the first says why the session ends: a later one is an echo */
	if (p->closing_code != 0)
		return;
	p->closing_code = r->code;
	snprintf(p->closing_text, sizeof p->closing_text, "%s",
	    r->nlines == 0 ? "" : r->lines[0]);
	snprintf(p->closing, sizeof p->closing, "%s: %d %s", cli_show(label,
	    strlen(label), 60, shown, sizeof shown), r->code,
	    r->nlines == 0 ? "" : cli_show(r->lines[0], strlen(r->lines[0]),
	    80, text, sizeof text));
}

/*
 * A flight's write or read failed on what: after a 421 the close was
 * announced, and the 421 (its code in fail_code, its command and text in
 * err) is what failed; else what and why.
 */
static enum smtp_fail
closed(struct probe_session *p, enum smtp_fail f, const char *what,
    const char *why)
{
	char	 shown[128];

	if (f == SMTP_CLOSED && p->closing_code != 0) {
		p->fail_code = p->closing_code;
		return fail(p, f, "%s", p->closing);
	}
	return fail(p, f, "%s: %s", cli_show(what, strlen(what), 60, shown,
	    sizeof shown), why);
}

/*
 * Write items as one flight and read the replies of those that want one,
 * in order, into replies (one per such item).  The banner is an item with
 * no bytes.  A flight with a reply to wait for is a round trip.  With
 * shut, the write side is closed after the bytes (QUIT).
 */
static enum smtp_fail
flight(struct probe_session *p, const char *kind,
    const struct probe_item *it, size_t n, struct smtp_reply *replies,
    int shut)
{
	struct probe_step	*st;
	enum smtp_fail		 f;
	const char		*what = it[0].label;
	char			*buf = NULL, e[256];
	size_t			 i, k, len = 0, first;
	double			 t;
	int			 fl, wait = 0;

	for (i = 0, k = 0; i < n; i++) {
		if (it[i].reply)
			memset(&replies[k++], 0, sizeof replies[0]);
		len += it[i].len;
	}
	if (len > 0 && (buf = malloc(len)) == NULL)
		return nomem(p);
	for (i = 0, len = 0; i < n; i++) {
		if (it[i].len > 0 && len == 0)
			what = it[i].label;
		if (it[i].len > 0)
			memcpy(buf + len, it[i].bytes, it[i].len);
		len += it[i].len;
	}
	t = ms(p);
	if ((fl = add_flight(p, kind, t)) == -1) {
		free(buf);
		return nomem(p);
	}
	first = p->nsteps;
	for (i = 0; i < n; i++) {
		if (add_step(p, fl, it[i].label, it[i].len > 0 ? t : -1) ==
		    NULL) {
			free(buf);
			return nomem(p);
		}
		wait |= it[i].reply;
	}
	p->flights[fl].end = t;
	if (len > 0) {
		f = smtp_write(&p->s, buf, len, e, sizeof e);
		free(buf);
		if (f != SMTP_OK)
			return closed(p, f, what, e);
	}
	if (shut)
		half_close(&p->s);
	if (wait) {
		p->rtts++;
		p->rtts_plain++;
		p->flights[fl].rtts = 1;
	}
	for (i = 0, k = 0; i < n; i++) {
		if (!it[i].reply)
			continue;
		st = &p->steps[first + i];
		if ((f = smtp_read(&p->s, &replies[k], e, sizeof e)) !=
		    SMTP_OK)
			return closed(p, f, it[i].label, e);
		st->done = p->flights[fl].end = ms(p);
		st->code = replies[k].code;
		if (replies[k].code == 421)
			said_421(p, it[i].label, &replies[k]);
		/* raw, bounded: a report escapes it as its format needs */
		snprintf(st->text, sizeof st->text, "%s", replies[k].lines[0]);
		if (it[i].brief &&
		    smtp_reply_trim(&replies[k], PROBE_BRIEF) == -1)
			return nomem(p);
		k++;
	}
	return SMTP_OK;
}

/* A reply other than want: SMTP_REPLY, its code kept for the exit. */
static enum smtp_fail
want(struct probe_session *p, const char *what, const struct smtp_reply *r,
    int code)
{
	char	 shown[128];

	if (r->code == code)
		return SMTP_OK;
	p->fail_code = r->code;
	return fail(p, SMTP_REPLY, "%s: %d %s", what, r->code,
	    r->nlines == 0 ? "" :
	    cli_show(r->lines[0], strlen(r->lines[0]), 80, shown,
	    sizeof shown));
}

/* The reply's text with its code, for the cache note. */
static const char *
reply_text(const struct smtp_reply *r, char *buf, size_t size)
{
	char	 shown[96];

	snprintf(buf, size, "%d %s", r->code, r->nlines == 0 ? "" :
	    cli_show(r->lines[0], strlen(r->lines[0]), 60, shown,
	    sizeof shown));
	return buf;
}

static int
is_tls13(const struct tls_info *t)
{
	return strcmp(t->version, "TLSv1.3") == 0;
}

static enum smtp_fail
handshake(struct probe_session *p, const struct probe_cfg *cfg)
{
	struct probe_step	*st;
	enum smtp_fail		 f;
	char			 e[256];
	double			 t = ms(p);
	int			 fl, r;

	if ((fl = add_flight(p, "tls", t)) == -1 ||
	    (st = add_step(p, fl, "TLS handshake", t)) == NULL)
		return nomem(p);
	f = tls_start(cfg->ctx, &p->s, NULL, cfg->sni, &p->tls, e, sizeof e);
	if (f != SMTP_OK)
		return fail(p, f, "%s", e);
	p->tls_up = 1;
	st->done = p->flights[fl].end = p->t_handshake = ms(p);
	snprintf(st->text, sizeof st->text, "%s %s", p->tls.version,
	    p->tls.cipher);
	/* A full TLS 1.2 handshake waits on the server twice, TLS 1.3
	   once (RFC 8446 2). */
	r = is_tls13(&p->tls) ? 1 : 2;
	p->flights[fl].rtts = r;
	p->rtts += r;
	p->rtts_plain += r;
	return SMTP_OK;
}

static void
cached_get(const struct probe_cfg *cfg, const char *peer, int tls,
    struct cached *c)
{
	const struct smtp_reply	*r;

	memset(c, 0, sizeof *c);
	if (cfg->cache == NULL ||
	    (r = pcache_get(cfg->cache, peer, tls, cfg->now)) == NULL)
		return;
	if (ehlo_parse(&c->feat, r->lines, r->nlines) == -1) {
		ehlo_free(&c->feat);
		memset(c, 0, sizeof *c);
		return;
	}
	c->have = 1;
}

/*
 * The fresh EHLO reply against the cache (draft-harris-early-pipe 3): an
 * entry is kept only for a server that offers early pipelining (pc), in
 * clear or after TLS; a reply that differs from the entry replaces it, or
 * drops it when early pipelining is no longer offered.
 */
static void
cache_check(const struct probe_cfg *cfg, struct probe_session *p,
    const struct cached *c, int tls, const struct smtp_reply *r,
    const struct ehlo *fresh, int pc, int used)
{
	const char	*state = tls ? "tls " : "";

	if (cfg->cache == NULL)
		return;
	if (c->have && ehlo_same(&c->feat, fresh) && pc) {
		/* An entry in use lives on: stored again once a day old (not
		   at every hit, which would write the file each time). */
		if (cfg->now - pcache_stored(cfg->cache, p->s.peer, tls) >
		    REFRESH_AGE && pcache_put(cfg->cache, p->s.peer, tls, r,
		    cfg->now) == -1) {
			note(p, state, "hit: not refreshed: out of memory");
			return;
		}
		note(p, state, used ? "hit" : "hit: not used");
		return;
	}
	if (!pc) {
		if (c->have) {
			pcache_drop(cfg->cache, p->s.peer, tls);
			note(p, state, "changed: dropped");
		} else
			note(p, state, "miss");
		return;
	}
	if (pcache_put(cfg->cache, p->s.peer, tls, r, cfg->now) == -1) {
		note(p, state, "not stored: out of memory");
		return;
	}
	note(p, state, c->have ? "changed: updated" : "miss: stored");
}

/*
 * EHLO with cfg->helo, or with no name an address literal of this end of
 * the connection (RFC 5321 4.1.4): built once connected.
 */
static int
ehlo_cmd(const struct probe_cfg *cfg, const struct probe_session *p,
    char *buf, size_t size)
{
	struct sockaddr_storage	 ss;
	socklen_t		 len = sizeof ss;
	char			 a[INET6_ADDRSTRLEN], lit[INET6_ADDRSTRLEN + 8];
	const char		*helo = cfg->helo;

	if (helo == NULL) {
		if (getsockname(p->s.fd, (struct sockaddr *)&ss, &len) == -1 ||
		    getnameinfo((struct sockaddr *)&ss, len, a, sizeof a,
		    NULL, 0, NI_NUMERICHOST) != 0)
			return -1;
		snprintf(lit, sizeof lit, ss.ss_family == AF_INET6 ?
		    "[IPv6:%s]" : "[%s]", a);
		helo = lit;
	}
	if (strpbrk(helo, "\r\n") != NULL ||
	    (size_t)snprintf(buf, size, "EHLO %s\r\n", helo) >= size)
		return -1;
	return 0;
}

static void
item(struct probe_item *it, const char *label, const char *bytes)
{
	it->label = label;
	it->bytes = bytes;
	it->len = bytes != NULL ? strlen(bytes) : 0;
	it->reply = 1;
	it->brief = 0;
}

static enum smtp_fail
parse_ehlo(struct probe_session *p, struct ehlo *e,
    const struct smtp_reply *r)
{
	if (ehlo_parse(e, r->lines, r->nlines) == -1)
		return nomem(p);
	return SMTP_OK;
}

/*
 * Early input refused (draft-harris-early-pipe 4): a banner that is not
 * 220 (or none that parses, or the connection closed or reset before or
 * right after it), or a 554 to the early EHLO; then try again without.
 * rep: the banner and the EHLO reply as far as they came, f how the
 * flight ended.
 */
static int
early_refused(const struct smtp_reply *rep, enum smtp_fail f)
{
	/* Some servers drop an early talker without a word, before or
	   right after their banner: closed or reset. */
	if (rep[0].code == 0)
		return f == SMTP_PROTOCOL || f == SMTP_CLOSED;
	if (rep[0].code == 220 && rep[1].code == 0)
		return f == SMTP_CLOSED;
	return rep[0].code != 220 || rep[1].code == 554;
}

/* Move the replies to the nitems early items it into the session. */
static int
keep_early(struct probe_session *p, const struct probe_item *it,
    struct smtp_reply *rep, size_t nitems)
{
	size_t	 i, n = 0;

	for (i = 0; i < nitems; i++)
		n += it[i].reply != 0;
	p->nearly = nitems;
	if (n == 0)
		return 0;
	if ((p->early_replies = calloc(n, sizeof *p->early_replies)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		p->early_replies[i] = rep[i];
		memset(&rep[i], 0, sizeof rep[i]);
	}
	p->nearly_replies = n;
	return 0;
}

static size_t
call_early(probe_early_fn fn, void *arg, const struct ehlo *feat,
    struct probe_item *it)
{
	size_t	 n;

	memset(it, 0, EARLY_MAX * sizeof *it);
	n = fn(arg, feat, it, EARLY_MAX);
	return n > EARLY_MAX ? EARLY_MAX : n;
}

/*
 * After STARTTLS and the handshake, EHLO again (RFC 3207 4.2), with the
 * transaction when the cache knows the reply it will get (items), and
 * that reply checked against the cache's for the TLS state, c1 (loaded
 * here when the session did not load it for early pipelining).  pc: the
 * server offered early pipelining in clear.  1 when the transaction went
 * early and the reply is not the cached one: the session is to be
 * abandoned and opened again without early pipelining.
 */
static int
ehlo_again(const struct probe_cfg *cfg, probe_early_fn early_fn, void *arg,
    const char *ehlo, struct cached *c1, int items, int pc,
    struct probe_session *p)
{
	struct probe_item	 it[1 + EARLY_MAX];
	struct smtp_reply	 rep[1 + EARLY_MAX];
	enum smtp_fail		 f;
	size_t			 n = 0, k, nearly = 0, base = p->nsteps;
	int			 again = 0;

	memset(rep, 0, sizeof rep);
	item(&it[n++], "EHLO", ehlo);
	if (items)
		n += nearly = call_early(early_fn, arg, &c1->feat, it + n);
	p->early_tls = nearly > 0;
	f = flight(p, "smtp", it, n, rep, 0);
	p->ehlo_tls = rep[0];
	memset(&rep[0], 0, sizeof rep[0]);
	if (f != SMTP_OK)
		goto out;
	p->t_ehlo_tls = p->steps[base].done;
	if (want(p, "EHLO", &p->ehlo_tls, 250) != SMTP_OK ||
	    parse_ehlo(p, &p->feat_tls, &p->ehlo_tls) != SMTP_OK)
		goto out;
	if (p->early_tls)
		p->rtts_plain++;
	if (!c1->have)
		cached_get(cfg, p->s.peer, 1, c1);
	cache_check(cfg, p, c1, 1, &p->ehlo_tls, &p->feat_tls,
	    pc || p->feat_tls.pipeconnect != EHLO_PC_NONE, p->early_tls);
	if (nearly > 0 && !ehlo_same(&c1->feat, &p->feat_tls)) {
		/* The transaction was planned on what the server no longer
		   says: abandoned unfinished, sent again without. */
		again = 1;
		goto out;
	}
	if (keep_early(p, it + 1, rep + 1, nearly) == -1) {
		nomem(p);
		goto out;
	}
	p->fail = SMTP_OK;
out:
	for (k = 0; k < n; k++)
		smtp_reply_free(&rep[k]);
	/* A session that failed with a transaction in the air is closed
	   without QUIT, which a server in DATA would take as data. */
	if (nearly > 0 && p->nearly == 0)
		smtp_close(&p->s);
	return again;
}

enum open_result { OPEN_DONE, OPEN_RETRY };

/*
 * One session on one address, connected: the banner, EHLO, STARTTLS and
 * EHLO again, early as the cache allows.  OPEN_RETRY when early input was
 * refused (the entry is dropped); else the session's outcome is in p.
 */
static enum open_result
session(const struct probe_cfg *cfg, probe_early_fn early_fn, void *arg,
    int early_ok, struct probe_session *p)
{
	struct probe_item	 it[3 + EARLY_MAX];
	struct smtp_reply	 rep[3 + EARLY_MAX];
	struct cached		 c0, c1;
	enum open_result	 res = OPEN_DONE;
	char			 ehlo[300], shown[128], why[300];
	enum smtp_fail		 f;
	size_t			 n, k, nearly = 0, base;
	int			 st0, early, early_st, items_clear = 0;
	int			 items_tls = 0, do_tls, pc;

	memset(rep, 0, sizeof rep);
	memset(&c0, 0, sizeof c0);
	memset(&c1, 0, sizeof c1);
	st0 = cfg->tls == PROBE_TLS_IMPLICIT;
	if (ehlo_cmd(cfg, p, ehlo, sizeof ehlo) == -1) {
		fail(p, SMTP_LOCAL, "EHLO name '%s': too long or with a line "
		    "end", cfg->helo == NULL ? "(address literal)" :
		    cli_show(cfg->helo, strlen(cfg->helo), 60, shown,
		    sizeof shown));
		goto out;
	}
	if (st0 && handshake(p, cfg) != SMTP_OK)
		goto out;

	/*
	 * Early pipelining only on the cache's word that the server offers
	 * it (draft-harris-early-pipe 3); STARTTLS with it when the cached
	 * reply offers that, a transaction with the last EHLO when the
	 * reply cached for that state offers PIPELINING.
	 */
	cached_get(cfg, p->s.peer, st0, &c0);
	early = early_ok && cfg->early && c0.have &&
	    c0.feat.pipeconnect != EHLO_PC_NONE;
	early_st = early && !st0 && cfg->tls != PROBE_TLS_NONE &&
	    c0.feat.starttls;
	if (early_st) {
		cached_get(cfg, p->s.peer, 1, &c1);
		items_tls = early_fn != NULL && c1.have && c1.feat.pipelining;
	} else if (early && (st0 || cfg->tls != PROBE_TLS_REQUIRE))
		items_clear = early_fn != NULL && c0.feat.pipelining;

	/* The first flight: the banner alone, or EHLO (and STARTTLS, or a
	   transaction) sent before it. */
	n = 0;
	base = p->nsteps;
	item(&it[n++], "banner", NULL);
	if (early) {
		item(&it[n++], "EHLO", ehlo);
		if (early_st)
			item(&it[n++], "STARTTLS", "STARTTLS\r\n");
		if (items_clear)
			n += nearly = call_early(early_fn, arg, &c0.feat,
			    it + n);
	}
	p->early = early;
	f = flight(p, "smtp", it, n, rep, 0);
	if (f != SMTP_OK && early && early_refused(rep, p->fail))
		goto refused;
	p->banner = rep[0];
	memset(&rep[0], 0, sizeof rep[0]);
	if (f != SMTP_OK)
		goto out;
	p->t_banner = p->steps[base].done;
	if (early && p->banner.code != 220) {
		rep[0] = p->banner;
		memset(&p->banner, 0, sizeof p->banner);
		goto refused;
	}
	if (want(p, "banner", &p->banner, 220) != SMTP_OK)
		goto out;
	if (!early) {
		/* RFC 5321 4.3.1: the server speaks after its greeting only
		   when spoken to; such bytes would be read as the reply to
		   our EHLO. */
		if (smtp_pending(&p->s) > 0) {
			fail(p, SMTP_PROTOCOL,
			    "banner: bytes after the greeting");
			goto out;
		}
		/* The EHLO step is then base + 1, as in the early flight. */
		base = p->nsteps - 1;
		item(&it[0], "EHLO", ehlo);
		f = flight(p, "smtp", it, 1, rep + 1, 0);
	}
	p->ehlo = rep[1];
	memset(&rep[1], 0, sizeof rep[1]);
	if (f != SMTP_OK)
		goto out;
	p->t_ehlo = p->steps[base + 1].done;
	if (early && p->ehlo.code == 554) {
		rep[1] = p->ehlo;
		memset(&p->ehlo, 0, sizeof p->ehlo);
		goto refused;
	}
	if (want(p, "EHLO", &p->ehlo, 250) != SMTP_OK ||
	    parse_ehlo(p, &p->feat, &p->ehlo) != SMTP_OK)
		goto out;
	/* What early pipelining folded: the banner's wait, and the STARTTLS
	   or transaction flight that went with the EHLO. */
	if (early)
		p->rtts_plain += 1 + (early_st || nearly > 0);
	pc = p->feat.pipeconnect != EHLO_PC_NONE;
	cache_check(cfg, p, &c0, st0, &p->ehlo, &p->feat, pc, early);
	if (nearly > 0 && !ehlo_same(&c0.feat, &p->feat)) {
		/* The transaction went on the word of a reply the server no
		   longer gives (STARTTLS now offered, CHUNKING gone...):
		   nothing more is sent on this connection, not STARTTLS to
		   a server that may be reading message data, and the
		   session is opened again at once without. */
		res = OPEN_RETRY;
		goto out;
	}
	if (keep_early(p, it + n - nearly, rep + 2, nearly) == -1) {
		nomem(p);
		goto out;
	}

	if (st0) {
		/* On implicit TLS the only EHLO is the one after TLS. */
		p->ehlo_tls = p->ehlo;
		p->feat_tls = p->feat;
		p->t_ehlo_tls = p->t_ehlo;
		memset(&p->ehlo, 0, sizeof p->ehlo);
		memset(&p->feat, 0, sizeof p->feat);
		p->t_ehlo = -1;
		p->fail = SMTP_OK;
		goto out;
	}
	do_tls = (cfg->tls == PROBE_TLS_REQUIRE ||
	    (cfg->tls == PROBE_TLS_AUTO && (p->feat.starttls || early_st)));
	if (cfg->tls == PROBE_TLS_REQUIRE && !p->feat.starttls) {
		fail(p, SMTP_NOTLS, "STARTTLS is not offered");
		goto out;
	}
	if (!do_tls) {
		p->fail = SMTP_OK;
		goto out;
	}
	base = early_st ? base + 2 : p->nsteps;
	if (!early_st) {
		item(&it[0], "STARTTLS", "STARTTLS\r\n");
		if (flight(p, "smtp", it, 1, rep + 2, 0) != SMTP_OK)
			goto out;
	}
	p->t_starttls = p->steps[base].done;
	if (rep[2].code != 220 && !p->feat.starttls) {
		/* Sent early on the cache's word to a server that no longer
		   offers it: carry on in clear, as without it. */
		p->fail = SMTP_OK;
		goto out;
	}
	if (want(p, "STARTTLS", &rep[2], 220) != SMTP_OK)
		goto out;
	/* Bytes after the 220 were sent before TLS and would be read as if
	   under it (CVE-2011-0411, the other way round). */
	if (smtp_pending(&p->s) > 0) {
		fail(p, SMTP_PROTOCOL,
		    "STARTTLS: bytes after the 220 reply, before TLS");
		goto out;
	}
	if (handshake(p, cfg) == SMTP_OK &&
	    ehlo_again(cfg, early_fn, arg, ehlo, &c1, items_tls, pc, p))
		res = OPEN_RETRY;
	goto out;

refused:
	pcache_drop(cfg->cache, p->s.peer, st0);
	if (rep[0].code != 0 && rep[0].code != 220)
		reply_text(&rep[0], why + 9, sizeof why - 9);
	else if (rep[1].code != 0)
		reply_text(&rep[1], why + 9, sizeof why - 9);
	else
		snprintf(why + 9, sizeof why - 9, "%s", p->err);
	memcpy(why, "dropped: ", 9);
	note(p, "", why);
	res = OPEN_RETRY;
out:
	/* A session that failed with a transaction sent early and not
	   answered in full is closed without QUIT, which a server in DATA
	   would take as data. */
	if (nearly > 0 && p->nearly == 0)
		smtp_close(&p->s);
	for (k = 0; k < sizeof rep / sizeof rep[0]; k++)
		smtp_reply_free(&rep[k]);
	ehlo_free(&c0.feat);
	ehlo_free(&c1.feat);
	return res;
}

static enum smtp_fail
connect_one(const struct probe_cfg *cfg, const struct dns_addr *a,
    int port, struct probe_session *p)
{
	struct probe_step	*st;
	enum smtp_fail		 f;
	char			 e[256];
	double			 t = ms(p);
	int			 fl;

	if ((fl = add_flight(p, "connect", t)) == -1 ||
	    (st = add_step(p, fl, "connect", t)) == NULL)
		return nomem(p);
	f = smtp_connect(&p->s, a, port, cfg->timeout, e, sizeof e);
	p->flights[fl].rtts = 1;
	p->rtts++;
	p->rtts_plain++;
	if (f != SMTP_OK)
		return fail(p, f, "%s", e);
	snprintf(p->peer, sizeof p->peer, "%s", p->s.peer);
	st->done = p->flights[fl].end = p->t_connect = ms(p);
	return SMTP_OK;
}

/* Forget what an attempt gathered, keeping the steps and flights. */
static void
reset(struct probe_session *p)
{
	smtp_close(&p->s);
	smtp_reply_free(&p->banner);
	smtp_reply_free(&p->ehlo);
	smtp_reply_free(&p->ehlo_tls);
	ehlo_free(&p->feat);
	ehlo_free(&p->feat_tls);
	memset(&p->feat, 0, sizeof p->feat);
	memset(&p->feat_tls, 0, sizeof p->feat_tls);
	tls_info_free(&p->tls);
	memset(&p->tls, 0, sizeof p->tls);
	p->tls_up = 0;
	p->early = p->early_tls = 0;
	p->t_connect = p->t_banner = p->t_ehlo = p->t_starttls = -1;
	p->t_handshake = p->t_ehlo_tls = p->t_quit = p->t_total = -1;
	p->fail = SMTP_OK;
	p->fail_code = 0;
	p->err[0] = '\0';
	p->closing_code = 0;
	p->closing[0] = '\0';
	p->closing_text[0] = '\0';
}

enum smtp_fail
probe_open(const struct probe_cfg *cfg, const struct probe_target *t,
    probe_early_fn early_fn, void *arg, struct probe_session *p)
{
	size_t	 i;
	int	 retried = 0, base;

	memset(p, 0, sizeof *p);
	p->s.fd = -1;
	snprintf(p->host, sizeof p->host, "%s", t->host != NULL ? t->host :
	    "");
	snprintf(p->cache_note, sizeof p->cache_note, "%s",
	    cfg->cache == NULL ? "none" : "");
	p->t0 = smtp_now();
	reset(p);
	if (t->naddr == 0)
		return fail(p, SMTP_LOCAL, "no address to connect to");
	for (i = 0; i < t->naddr; i++) {
		if (i > 0) {
			/* Another address, another session: the report is
			   of the one that answered. */
			p->nsteps = p->nflights = 0;
			p->rtts = p->rtts_plain = 0;
			p->t0 = smtp_now();
			reset(p);
		}
		if (connect_one(cfg, &t->addr[i], t->port, p) != SMTP_OK) {
			if (p->fail == SMTP_REFUSED ||
			    p->fail == SMTP_TIMEOUT)
				continue;
			break;
		}
		base = p->rtts;
		if (session(cfg, early_fn, arg, !retried, p) == OPEN_DONE)
			break;
		/* Refused early input: the same address again at once,
		   without, the failed attempt's round trips a cost. */
		p->retried = retried = 1;
		p->rtts_plain = base - 1;
		reset(p);
		if (connect_one(cfg, &t->addr[i], t->port, p) != SMTP_OK)
			break;
		session(cfg, early_fn, arg, 0, p);
		break;
	}
	if (cfg->cache != NULL && p->cache_note[0] == '\0')
		note(p, "", "not checked");
	return p->fail;
}

enum smtp_fail
probe_flight(struct probe_session *p, const struct probe_item *it,
    size_t n, struct smtp_reply *replies)
{
	if (p->s.fd == -1)
		return fail(p, SMTP_LOCAL, "no connection");
	return flight(p, "smtp", it, n, replies, 0);
}

void
probe_quit(struct probe_session *p)
{
	struct probe_item	 it;
	struct smtp_reply	 r;
	enum smtp_fail		 keep = p->fail;
	char			 err[sizeof p->err];

	/* After a timeout or a broken reply the two sides are out of step:
	   a QUIT would only wait again. */
	if (p->s.fd != -1 && p->fail != SMTP_OK && p->fail != SMTP_REPLY &&
	    p->fail != SMTP_NOTLS)
		smtp_close(&p->s);
	if (p->s.fd != -1) {
		memcpy(err, p->err, sizeof err);
		item(&it, "QUIT", "QUIT\r\n");
		if (flight(p, "smtp", &it, 1, &r, 1) == SMTP_OK)
			p->t_quit = p->steps[p->nsteps - 1].done;
		smtp_reply_free(&r);
		/* A QUIT that went wrong spoils nothing already done. */
		p->fail = keep;
		memcpy(p->err, err, sizeof err);
		smtp_close(&p->s);
	}
	p->t_total = ms(p);
}

void
probe_free(struct probe_session *p)
{
	size_t	 i;

	smtp_close(&p->s);
	smtp_reply_free(&p->banner);
	smtp_reply_free(&p->ehlo);
	smtp_reply_free(&p->ehlo_tls);
	ehlo_free(&p->feat);
	ehlo_free(&p->feat_tls);
	tls_info_free(&p->tls);
	for (i = 0; i < p->nearly_replies; i++)
		smtp_reply_free(&p->early_replies[i]);
	free(p->early_replies);
	p->early_replies = NULL;
	p->nearly = p->nearly_replies = 0;
	free(p->steps);
	p->steps = NULL;
	p->nsteps = 0;
	free(p->flights);
	p->flights = NULL;
	p->nflights = 0;
}

const struct ehlo *
probe_feat(const struct probe_session *p)
{
	return p->tls_up ? &p->feat_tls : &p->feat;
}
