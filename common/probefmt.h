/*
 * probefmt: what smtp-probe prints of a session (common/probe.h) and of a
 * delivery (common/send.h): a text report for a reader, the --compare
 * timeline, the per-recipient summary, and one JSON object on one line for
 * a machine.  Only formatting: the facts are all in the structures.
 */
#ifndef MX_PROBEFMT_H
#define MX_PROBEFMT_H

#include <stdio.h>

#include "probe.h"
#include "send.h"

/*
 * The session as text, one fact a line, "name: value" (a server's text
 * escaped as cli_show does: no control byte reaches a terminal): host, peer,
 * banner, the EHLO keywords with their parameters before and after TLS,
 * LIMITS in force, early pipelining, TLS version and cipher and each
 * certificate's facts, the time of each phase, the round trips taken and
 * saved, the cache's note.  verbose adds the flights (probefmt_timeline).
 */
void	probefmt_text(FILE *, const struct probe_session *, int);

/*
 * The flights of a session, one line each: when it went out (ms since
 * the connect began), what was in it, and when each reply came.
 */
void	probefmt_timeline(FILE *, const struct probe_session *);

/*
 * The session as one JSON object: "host", "peer", "banner", "ehlo" and
 * "ehlo_tls" (keyword, upper case -> parameter), "limits" (the limits in force:
 * after TLS when TLS is up; name -> integer), "pipeconnect", "tls",
 * "times", "rtts", "rtts_plain", "rtt_saved", "early", "retried",
 * "cache", "flights", and "error" when the session failed.
 * probefmt_json ends it with a newline; probefmt_json_obj writes the
 * object alone, for --compare's.
 */
void	probefmt_json(FILE *, const struct probe_session *);
void	probefmt_json_obj(FILE *, const struct probe_session *);

/*
 * --compare: the session without early pipelining, then with it, each as
 * a timeline, then the saving in round trips and milliseconds; as JSON,
 * {"without":{...},"with":{...},"rtt_saved":N,"ms_saved":X}; b NULL
 * (the first session failed) gives "with" and the savings null.
 */
void	probefmt_compare_text(FILE *, const struct probe_session *,
	    const struct probe_session *);
void	probefmt_compare_json(FILE *, const struct probe_session *,
	    const struct probe_session *);

/*
 * --send: one line per recipient ("ADDR: accepted 250 text"), then a
 * summary (counts, sessions, transactions, round trips, time), and with
 * verbose each session's flights; as JSON,
 * {"recipients":[{"addr","state","code","reply","session",
 * "transaction"}] (session and transaction from 1, null for a recipient
 * never sent),"accepted":N,"deferred":N,"refused":N,"sessions":N,
 * "transactions":N,"rtts":N,"ms":X}.
 */
void	probefmt_send_text(FILE *, const struct send_msg *,
	    const struct send_result *, int);
void	probefmt_send_json(FILE *, const struct send_msg *,
	    const struct send_result *);

#endif
