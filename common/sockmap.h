/*
 * sockmap: Postfix's socketmap protocol (socketmap_table(5)).  A request is
 * a netstring "name key", a reply a netstring "OK data", "NOTFOUND ",
 * "TEMP reason", "TIMEOUT reason" or "PERM reason".
 */
#ifndef MX_SOCKMAP_H
#define MX_SOCKMAP_H

#include <stddef.h>

#define SOCKMAP_REQ_MAX		10000	/* longest request payload taken */
#define SOCKMAP_REPLY_MAX	10000	/* longest reply payload sent */

enum ns_status {
	NS_MORE = 0,		/* incomplete: read more */
	NS_DONE = 1,		/* one netstring in *data, *dlen */
	NS_MALFORMED = -1,	/* not a netstring: the stream is lost */
	NS_TOOLONG = -2		/* its length exceeds the limit given */
};

/*
 * Parse one netstring "len:data," from the start of buf (n bytes), taking
 * payloads of at most max bytes.  On NS_DONE, *data and *dlen give the
 * payload (inside buf) and *used the bytes the netstring took.
 */
enum ns_status	ns_parse(const char *, size_t, size_t, const char **,
		    size_t *, size_t *);

/*
 * Answer one request.  name and key are the two halves of the request
 * (key after the first space); write the reply payload into reply (at most
 * SOCKMAP_REPLY_MAX bytes) and return its length.
 */
typedef size_t	(*sockmap_fn)(void *, const char *, size_t, const char *,
		    size_t, char *);

/*
 * Listen on "ADDR:PORT", "[ADDR6]:PORT" (numeric only) or "unix:PATH".
 * Returns the socket; or -2 when the text is not such an address, -1 when
 * the system refused (address in use, no permission), with a reason in
 * err.  *bound gets what was bound, with the real port when PORT was 0.
 */
int	sockmap_listen(const char *, char *, size_t, char *, size_t);

/*
 * Serve requests on the listening socket until SIGTERM or SIGINT, one
 * process, many clients, answering each by fn(arg, ...).  A client that
 * sends a malformed or oversized netstring gets a PERM reply and is
 * closed; one that stays silent, or stops mid-request, for timeout_ms is
 * closed.  Neither affects the other clients.  With reload not NULL,
 * SIGHUP calls reload(arg) between requests, never inside one.  Returns
 * 0, or -1 with a reason in err.
 */
int	sockmap_serve(int, int, sockmap_fn, void (*)(void *), void *, char *,
	    size_t);

#endif
