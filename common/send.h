/*
 * send: deliver one message through one server as RFC 9422 LIMITS, RFC
 * 2920 PIPELINING, RFC 3030 CHUNKING and early pipelining allow, for
 * smtp-probe --send.  Recipients are split into transactions (RCPTMAX,
 * RCPTDOMAINMAX) and transactions into sessions (MAILMAX); a 452 for too
 * many recipients sends the rest in a new transaction.  Each recipient
 * ends accepted, deferred or refused, with the reply that said so.
 */
#ifndef MX_SEND_H
#define MX_SEND_H

#include <stddef.h>

#include "probe.h"

enum send_state {
	SEND_PENDING = 0,
	SEND_ACCEPTED,		/* the final reply to the data was 2xx */
	SEND_DEFERRED,		/* a 4xx, or the session failed: retry */
	SEND_REFUSED		/* a 5xx: never */
};

struct send_rcpt {
	const char	*addr;		/* as given, without <> */
	enum send_state	 state;
	int		 code;		/* the reply that decided, 0 none */
	char		 reply[256];	/* its text, one line, raw */
	int		 session;	/* from 0; -1 never sent */
	int		 trans;		/* transaction in that session */
};

struct send_msg {
	const char	*from;		/* "" for the null sender */
	struct send_rcpt *rcpt;
	size_t		 nrcpt;
	const char	*data;		/* the message, CRLF line ends, not
					   dot-stuffed, ending in CRLF */
	size_t		 len;
	int		 eightbit;	/* 8-bit bytes in it: BODY=8BITMIME */
};

/*
 * Split n recipients (addresses) into transactions: at most rcptmax in
 * each and at most rcptdomainmax distinct domains (0: no limit), keeping
 * a domain's recipients together where a limit allows.  trans[i] is the
 * transaction of rcpt i, from 0; returns how many transactions.  Pure.
 */
size_t		 send_plan(const char *const *, size_t, long, long,
		    size_t *);
/*
 * send_plan's first transaction only, at the cost of that one: trans[i]
 * is 0 for its recipients and 1 for all others; returns how many it
 * holds.  Pure.
 */
size_t		 send_plan_first(const char *const *, size_t, long, long,
		    size_t *);

struct send_result {
	struct probe_session *sessions;	/* each session as it went */
	size_t		 nsessions;
	size_t		 ntrans;	/* transactions sent */
	size_t		 accepted, deferred, refused;
	int		 rtts;		/* round trips, all sessions */
	double		 ms;		/* wall time, all sessions */
};

/*
 * Deliver m through t: open a session (probe_open, early pipelining when
 * cfg allows), transactions as limits allow, a new session at MAILMAX,
 * QUIT.  A recipient given twice is dropped from m->rcpt first (the
 * first kept, m->nrcpt lowered: the domain compared without case, the
 * local part exactly).  Every recipient's state is set (none stays
 * SEND_PENDING).
 * Returns 0 when every recipient was accepted, else 1; the caller maps
 * the states to an exit status.  Free r with send_result_free.
 */
int		 send_run(const struct probe_cfg *, const struct probe_target *,
		    struct send_msg *, struct send_result *);
void		 send_result_free(struct send_result *);

const char	*send_state_name(enum send_state);	/* "accepted"... */

/*
 * The message as read (n bytes, LF or CRLF line ends) made into
 * send_msg's data: CRLF throughout, the last line ended; *eightbit set
 * when a byte is over 127.  *data is malloc'd (free it).  0; MX_DATAERR
 * with err for a message that cannot go as it is: empty, a NUL, a CR not
 * before an LF; -1 out of memory.
 */
int		 send_data(const char *, size_t, char **, size_t *, int *,
		    char *, size_t);

#endif
