/*
 * sockmap: a lookup server for Postfix, in two protocols.  Socketmap
 * (socketmap_table(5)): a request is a netstring "name key", a reply a
 * netstring "OK data", "NOTFOUND ", "TEMP reason", "TIMEOUT reason" or
 * "PERM reason".  tcp_table(5), as postsrsd serves it: a request is a line
 * "get key", a reply a line "200 data", "500 reason" (not found) or "400
 * reason" (try again); key, data and reason are %XX-encoded where a byte
 * is a space, a control, '%' or not ASCII.  One port serves one map.
 */
#ifndef MX_SOCKMAP_H
#define MX_SOCKMAP_H

#include <stddef.h>

#define SOCKMAP_REQ_MAX		10000	/* longest request payload taken */
#define SOCKMAP_REPLY_MAX	10000	/* longest reply payload sent */
#define TCPTABLE_LINE_MAX	10000	/* longest request line taken */
#define TCPTABLE_REPLY_MAX	10000	/* longest encoded reply text sent */
#define SOCKMAP_LISTEN_MAX	8	/* listening sockets one server takes */

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
 * Parse one tcp_table request line, "get key" and LF (a CR before the LF
 * is dropped), from the start of buf (n bytes), lines of at most max
 * bytes.  On NS_DONE the key, %XX-decoded, is in key (room for max bytes)
 * and *klen; *used is the bytes the line took with its LF, on NS_DONE and
 * NS_MALFORMED (not "get", an empty key, a raw space or control byte, a
 * '%' without two hex digits).  NS_MORE: no LF yet; NS_TOOLONG: no LF in
 * the first max + 1 bytes.
 */
enum ns_status	tt_parse(const char *, size_t, size_t, char *, size_t *,
		    size_t *);

/*
 * %XX-encode n bytes of s for tcp_table into out, which has room for max
 * bytes and a NUL.  Returns the length, or -1 when it does not fit.
 */
int	tt_encode(const char *, size_t, char *, size_t);

/* What an answer says; each protocol writes it its own way. */
enum sockmap_res {
	SM_OK,		/* socketmap OK, tcp_table 200: the value */
	SM_NOTFOUND,	/* NOTFOUND, 500: the reason (socketmap drops it) */
	SM_TEMP,	/* TEMP, 400: try again later */
	SM_PERM		/* PERM, 500: a request that can never succeed */
};

/*
 * Answer one request: key (klen bytes) in the map name (nlen bytes).  A
 * socketmap request names its map; a tcp_table request gets the map its
 * listener was given.  Write the value, or the reason, into text (room for
 * SOCKMAP_REPLY_MAX bytes and a NUL) and return what it is.
 */
typedef enum sockmap_res (*sockmap_fn)(void *, const char *, size_t,
		    const char *, size_t, char *);

/* A listening socket and the protocol spoken there. */
struct sockmap_listener {
	int		 fd;
	int		 tcptable;	/* tcp_table(5), not socketmap */
	const char	*map;		/* tcp_table: the map its keys go to */
};

/*
 * Listen on "ADDR:PORT", "[ADDR6]:PORT" (numeric only) or "unix:PATH".
 * Returns the socket; or -2 when the text is not such an address, -1 when
 * the system refused (address in use, no permission), with a reason in
 * err.  *bound gets what was bound, with the real port when PORT was 0.
 */
int	sockmap_listen(const char *, char *, size_t, char *, size_t);

/*
 * Serve requests on the nl listening sockets (1 to SOCKMAP_LISTEN_MAX)
 * until SIGTERM or SIGINT, one process, many clients, answering each by
 * fn(arg, ...).  A client that sends a malformed or oversized request
 * gets a PERM (socketmap) or 500 (tcp_table) reply and is closed; one that
 * stays silent, or stops mid-request, for timeout_ms is closed.  Neither
 * affects the other clients.  With reload not NULL, SIGHUP calls
 * reload(arg) between requests, never inside one.  Returns 0, or -1 with
 * a reason in err.
 */
int	sockmap_serve(const struct sockmap_listener *, int, int, sockmap_fn,
	    void (*)(void *), void *, char *, size_t);

#endif
