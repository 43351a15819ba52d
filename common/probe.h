/*
 * probe: one SMTP session as smtp-probe opens it, step by step, with the
 * time of each step and the flights it took: what went out in one write,
 * and when each reply to it came.  Early pipelining
 * (draft-harris-early-pipe): with a cached EHLO reply that offers it, the
 * client sends EHLO (and STARTTLS, or a transaction) before the banner
 * arrives, then checks the banner and the EHLO reply against the cache.
 *
 * Times are milliseconds on the monotonic clock since the connect began.
 * A round trip is a flight the client waited on: the connect, each flight
 * of commands (the banner wait is one, unless early pipelining folds it
 * into the EHLO flight), each round trip of the TLS handshake (1 for TLS
 * 1.3, 2 for a full TLS 1.2 handshake).  rtts_plain counts what the same
 * session would have taken without early pipelining: each flight early
 * pipelining folded into another (the banner wait, STARTTLS, the
 * transaction given by probe_early_fn) is one more; an attempt refused
 * for its early input (554) is no part of it, so that rtts - rtts_plain
 * is then what early pipelining cost.
 *
 * cache_note, "; "-separated, for the state in clear and then the TLS
 * state ("tls miss: stored"): "none" (no cache), "miss" (no entry, and
 * the server offers no early pipelining), "miss: stored", "hit" (used),
 * "hit: not used" (cfg->early 0, or nothing to send with it), "changed:
 * updated", "changed: dropped" (PIPECONNECT gone), "dropped: REPLY" (the
 * early input refused; the retry's own words follow), "not checked" (the
 * session failed before an EHLO reply).
 */
#ifndef MX_PROBE_H
#define MX_PROBE_H

#include <stddef.h>
#include <time.h>
#include <openssl/ssl.h>

#include "dns.h"
#include "ehlo.h"
#include "pcache.h"
#include "smtp.h"
#include "tls.h"

enum probe_tls {
	PROBE_TLS_AUTO = 0,	/* STARTTLS when offered */
	PROBE_TLS_NONE,		/* never (--no-starttls) */
	PROBE_TLS_REQUIRE,	/* STARTTLS, and fail without it */
	PROBE_TLS_IMPLICIT	/* TLS on connect (port 465) */
};

struct probe_cfg {
	const char	*helo;		/* the EHLO name; NULL: an address
					   literal of this end (RFC 5321
					   4.1.4) */
	int		 timeout;	/* seconds, each wait (smtp.h) */
	enum probe_tls	 tls;
	SSL_CTX		*ctx;		/* tls_ctx_new's */
	const char	*sni;		/* NULL: no SNI */
	struct pcache	*cache;		/* NULL: never early pipelining */
	int		 early;		/* 0: no early pipelining even when
					   the cache allows (--compare's
					   first session) */
	time_t		 now;		/* cache entries judged at */
};

/* Where to connect: addresses tried in order until one answers. */
struct probe_target {
	const char		*host;	/* the name, for the report, or "" */
	const struct dns_addr	*addr;
	size_t			 naddr;
	int			 port;
};

/*
 * One thing sent and, when reply is set, the reply waited for.  The
 * banner is an item with no bytes and a reply.  bytes hold whole lines
 * with their CRLF (a command) or message data.
 */
#define PROBE_BRIEF	256

struct probe_item {
	const char	*label;		/* for the timeline: "EHLO", "MAIL
					   FROM:<a@b.example>", "message
					   (2048 bytes)" */
	const char	*bytes;
	size_t		 len;
	int		 reply;
	int		 brief;		/* keep the reply as one line of at
					   most PROBE_BRIEF bytes
					   (smtp_reply_trim), so that a
					   flight of many RCPTs stays small */
};

/* One item as it went, for the report. */
struct probe_step {
	char		 label[96];
	int		 flight;	/* index in flights[] */
	double		 sent;		/* ms; -1 for nothing sent */
	double		 done;		/* ms the reply came; -1 none */
	int		 code;		/* the reply's code, 0 none */
	char		 text[128];	/* its first line, cut short, raw */
};

/* One flight: the connect, the handshake, or items written at once. */
struct probe_flight {
	char		 kind[16];	/* "connect", "smtp", "tls" */
	double		 start;		/* ms it was written */
	double		 end;		/* ms the last reply it waited for
					   came */
	int		 rtts;		/* round trips it cost (tls: 1 or 2) */
	size_t		 first, n;	/* its steps, steps[first..first+n) */
};

/*
 * Called by probe_open when early pipelining lets a transaction go out in
 * the same flight as the last EHLO (cached PIPECONNECT and PIPELINING in
 * the TLS state the transaction will be in).  feat is the cached EHLO
 * reply the server is expected to give.  Fill at most max items (they
 * come zeroed; their bytes live until probe_open returns) and return how
 * many, 0 for none.
 */
typedef size_t	(*probe_early_fn)(void *, const struct ehlo *,
		    struct probe_item *, size_t);

struct probe_session {
	char		 host[256];	/* target host, "" for an address */
	char		 peer[64];	/* the address that answered */
	struct smtp	 s;
	struct smtp_reply banner;
	struct smtp_reply ehlo;		/* in clear: empty for implicit TLS */
	struct smtp_reply ehlo_tls;	/* after TLS: empty without TLS */
	struct ehlo	 feat, feat_tls;	/* the two, parsed */
	int		 tls_up;
	struct tls_info	 tls;
	/* ms since the connect began; -1 for a step that did not happen */
	double		 t_connect, t_banner, t_ehlo, t_starttls;
	double		 t_handshake, t_ehlo_tls, t_quit, t_total;
	int		 early;		/* EHLO went before the banner */
	int		 early_tls;	/* EHLO after TLS went with the next
					   commands (cached TLS reply) */
	int		 retried;	/* early pipelining failed (554, bad
					   banner): retried at once without */
	char		 cache_note[160];	/* "miss", "hit", "changed:
					   updated", "dropped: 554 ..." */
	struct probe_step *steps;
	size_t		 nsteps;
	struct probe_flight *flights;
	size_t		 nflights;
	int		 rtts;		/* round trips taken so far */
	int		 rtts_plain;	/* the same steps without early
					   pipelining */
	struct smtp_reply *early_replies;	/* to probe_early_fn's items */
	size_t		 nearly;	/* items sent early, 0 when none */
	size_t		 nearly_replies;	/* early_replies: one per
					   early item that wants a reply, in
					   order, as probe_flight's */
	enum smtp_fail	 fail;
	int		 fail_code;	/* SMTP_REPLY: the reply's code (a
					   4xx banner or EHLO is temporary,
					   a 5xx not); SMTP_CLOSED after a
					   421 that announced the close:
					   421, and err is "CMD: 421 text" */
	char		 err[256];
	int		 closing_code;	/* a 421 came: the close is
					   announced */
	char		 closing[256];	/* "CMD: 421 text" for err */
	char		 closing_text[256];	/* its first line, raw */
	double		 t0;		/* the connect began, monotonic s */
};

/*
 * Open a session on the first address of t that answers (refused or timed
 * out: the next): banner, EHLO, STARTTLS as cfg->tls says and the
 * handshake (no DANE: any certificate, tls.verify_error says what PKIX
 * thinks), EHLO again; the cache consulted and updated in memory (puts
 * and drops; the caller saves it).  With early pipelining and early_fn,
 * the transaction's items go with the last EHLO, and their replies are in
 * early_replies.  SMTP_OK: ready for a transaction or QUIT.  A failure
 * leaves fail, err and the steps so far; a 554 or a banner other than 220
 * after early input drops the cache entry and opens again without early
 * pipelining (retried).  Free with probe_free whatever the outcome.
 */
enum smtp_fail	 probe_open(const struct probe_cfg *,
		    const struct probe_target *, probe_early_fn, void *,
		    struct probe_session *);

/*
 * One flight on an open session: every item's bytes in one write, then
 * the replies of the items that want one, in order, into replies (one per
 * such item; free them).  A 4xx or 5xx reply is no failure: its code is
 * there.  SMTP_OK, or the failure (timeout, closed, protocol) with
 * sess->fail and sess->err set.
 */
enum smtp_fail	 probe_flight(struct probe_session *,
		    const struct probe_item *, size_t, struct smtp_reply *);

/*
 * QUIT, its 221 waited for within the timeout, and close; t_total set.
 * The write side is closed right after the QUIT (under TLS a close_notify
 * first), as Exim's client does: Exim holds its 221 in clear until the
 * client's FIN, up to 200 ms.  After a timeout or a broken reply (fail
 * other than SMTP_OK, SMTP_REPLY, SMTP_NOTLS) no QUIT: just the close.
 * fail and err stay as they were: a QUIT that goes wrong spoils nothing.
 */
void		 probe_quit(struct probe_session *);
void		 probe_free(struct probe_session *);

/*
 * The EHLO reply in force for the session: the one after TLS when TLS is
 * up (RFC 9422 4: limits may change after STARTTLS), else the first.
 */
const struct ehlo *probe_feat(const struct probe_session *);

#endif
