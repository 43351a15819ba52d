/*
 * smtp: the client side of an SMTP session (RFC 5321), for tlsa-check and
 * smtp-probe: connect within a time, read replies (multi-line, bounded),
 * send commands, EHLO keywords, STARTTLS (RFC 3207).  The connection is
 * plain until common/tls puts TLS on it; reads and writes then go through
 * it.  Every step is bounded by the connection's timeout as a whole: the
 * connect, each reply however many lines it has or however slowly they
 * come, each command sent, the TLS handshake.
 */
#ifndef MX_SMTP_H
#define MX_SMTP_H

#include <stddef.h>
#include <openssl/ssl.h>

#include "dns.h"

#define SMTP_LINE_MAX	4096	/* a longer reply line is an error */
#define SMTP_LINES_MAX	512	/* a reply of more lines is an error */

struct smtp {
	int		 fd;		/* -1 when closed */
	SSL		*ssl;		/* set by tls_start */
	int		 timeout;	/* seconds, each wait */
	char		 peer[64];	/* "127.0.0.1:25", "[::1]:25" */
	char		 buf[SMTP_LINE_MAX + 2];
	size_t		 pos, len;	/* unread bytes are buf[pos..len) */
};

/*
 * Why a step failed, for the exit code and the report: the peer's doing
 * (refused, closed, a malformed or negative reply) or time.
 */
enum smtp_fail {
	SMTP_OK = 0,
	SMTP_TIMEOUT,		/* no connection or no reply within timeout */
	SMTP_REFUSED,		/* connection refused or unreachable */
	SMTP_CLOSED,		/* the peer closed or reset the connection */
	SMTP_PROTOCOL,		/* a malformed reply: bad code, too long */
	SMTP_REPLY,		/* a well-formed reply with an unwanted code */
	SMTP_NOTLS,		/* STARTTLS not offered */
	SMTP_TLS,		/* the TLS handshake failed (common/tls) */
	SMTP_LOCAL		/* our own fault: socket(), memory */
};

struct smtp_reply {
	int		 code;		/* 3 digits */
	char		**lines;	/* text after "NNN-" or "NNN ", no CRLF */
	size_t		 nlines;
};

/*
 * Connect to addr:port within timeout seconds (non-blocking connect, then
 * poll).  Returns SMTP_OK with s ready, or the failure with err.
 */
enum smtp_fail	 smtp_connect(struct smtp *, const struct dns_addr *, int,
		    int, char *, size_t);
/* Close the connection (and its TLS, without waiting for the peer's). */
void		 smtp_close(struct smtp *);

/*
 * Read one reply.  Every line must be NNN followed by '-' (more follow),
 * ' ' or the end of the line (the last), with the same code throughout; a
 * bare LF ends a line as CRLF does.  SMTP_PROTOCOL for anything else, for
 * a line over SMTP_LINE_MAX or a reply over SMTP_LINES_MAX lines (found
 * as soon as the limit is passed, without reading the rest), and for a
 * NUL in a line.  SMTP_TIMEOUT when the whole reply has not come within
 * s->timeout.  Free the reply with smtp_reply_free (also safe after a
 * failure, when it is empty).
 */
enum smtp_fail	 smtp_read(struct smtp *, struct smtp_reply *, char *,
		    size_t);
void		 smtp_reply_free(struct smtp_reply *);
/*
 * Make a reply one line of at most max - 1 bytes, its lines joined by a
 * blank and cut there, the rest freed: for replies a caller keeps many of
 * (one per recipient), so that memory stays small whatever a server
 * sends.  0, or -1 out of memory (the reply is then as it was).
 */
int		 smtp_reply_trim(struct smtp_reply *, size_t);
/* Send one command line; CRLF is added.  A command over SMTP_LINE_MAX or
   with a CR or LF in it is SMTP_LOCAL, not sent. */
enum smtp_fail	 smtp_send(struct smtp *, const char *, char *, size_t);

/*
 * Write n bytes as they are (several commands at once, message data), in
 * as few writes as the socket takes, within the timeout: what pipelining
 * and early pipelining send as one flight.  The connection has
 * TCP_NODELAY, so a flight is not held back waiting for an ACK.
 */
enum smtp_fail	 smtp_write(struct smtp *, const void *, size_t, char *,
		    size_t);
/*
 * Bytes the peer sent that no smtp_read has taken yet: buffered here, in
 * OpenSSL, or still in the socket (under TLS those count as they came,
 * records not yet decrypted).
 */
size_t		 smtp_pending(const struct smtp *);

/*
 * One reply line (without its line end) taken apart: the code, whether
 * more lines follow, the text.  -1 when it is no reply line (RFC 5321
 * 4.2: 2yz to 5yz with y from 0 to 5, then ' ', '-' or the end; no NUL).
 * The text points into the line and runs to its end, line + n: it is not
 * NUL-terminated.  Pure: the fuzz harness calls it.
 */
int		 smtp_parse_line(const char *, size_t, int *, int *,
		    const char **);

/*
 * In an EHLO reply, the line of keyword (case-insensitive; the first line,
 * the greeting, is not a keyword): its parameters after the keyword and a
 * blank ("" when none), or NULL when not offered.
 */
const char	*smtp_ehlo_param(const struct smtp_reply *, const char *);

/*
 * The session up to TLS: read the banner (220), EHLO helo (250), check
 * STARTTLS is offered, send STARTTLS, read its 220.  The banner and EHLO
 * reply are returned when the pointers are not NULL (free them), also on
 * failure as far as they came (an EHLO reply without STARTTLS), empty
 * when not.  After SMTP_OK, call tls_start.  Bytes the server sent after
 * its 220 to STARTTLS, before TLS, are SMTP_PROTOCOL.
 */
enum smtp_fail	 smtp_starttls(struct smtp *, const char *,
		    struct smtp_reply *, struct smtp_reply *, char *, size_t);

/*
 * For common/tls.c, which drives OpenSSL on the same non-blocking socket,
 * and common/probe.c, which times the steps.  smtp_now: the monotonic
 * clock, in seconds; smtp_deadline: now plus the timeout, in seconds;
 * smtp_wait: poll fd for events until then: 1 ready, 0 time is up, -1
 * poll failed.  A peer gone away is EPIPE, not SIGPIPE, since every tool
 * ignores SIGPIPE (cli_parse), for OpenSSL's writes too.  smtp_ssl_fail:
 * the failure of an OpenSSL call r on ssl as SMTP_CLOSED (the peer closed
 * or reset, also mid-record) or SMTP_TLS, the reason prefixed with what;
 * it clears the thread's error queue.
 */
double		 smtp_now(void);
double		 smtp_deadline(const struct smtp *);
int		 smtp_wait(int, short, double);
enum smtp_fail	 smtp_ssl_fail(SSL *, int, const char *, char *, size_t);

/* "ok", "timeout", "refused", "closed", "protocol", "reply", "notls",
   "tls", "local": words of the report. */
const char	*smtp_fail_name(enum smtp_fail);

#endif
