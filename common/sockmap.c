#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "sockmap.h"

#define MAX_CLIENTS	512
/* Room for one request, and for replies of either protocol. */
#define IN_MAX		(SOCKMAP_REQ_MAX + 16)
#define REPLY_ROOM	(SOCKMAP_REPLY_MAX > TCPTABLE_REPLY_MAX ? \
			    SOCKMAP_REPLY_MAX : TCPTABLE_REPLY_MAX)
#define OUT_MAX		(4 * (REPLY_ROOM + 16))

enum ns_status
ns_parse(const char *buf, size_t n, size_t max, const char **data,
    size_t *dlen, size_t *used)
{
	size_t	len = 0, i;

	for (i = 0; i < n && buf[i] >= '0' && buf[i] <= '9'; i++) {
		/* RFC-less but universal: no leading zeros. */
		if (i == 1 && buf[0] == '0')
			return NS_MALFORMED;
		len = len * 10 + (buf[i] - '0');
		if (len > max)
			return NS_TOOLONG;
	}
	if (i == n)
		return i > 10 ? NS_MALFORMED : NS_MORE;
	if (i == 0 || buf[i] != ':')
		return NS_MALFORMED;
	i++;
	if (n - i < len + 1)
		return NS_MORE;
	if (buf[i + len] != ',')
		return NS_MALFORMED;
	*data = buf + i;
	*dlen = len;
	*used = i + len + 1;
	return NS_DONE;
}

enum ns_status
tt_parse(const char *buf, size_t n, size_t max, char *key, size_t *klen,
    size_t *used)
{
	const char	*nl;
	size_t		 len, i, k = 0;
	int		 h, l;

	if ((nl = memchr(buf, '\n', n > max + 1 ? max + 1 : n)) == NULL)
		return n > max ? NS_TOOLONG : NS_MORE;
	*used = nl + 1 - buf;
	len = nl - buf;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	/* tcp_table(5): "get SPACE key NEWLINE"; Postfix never sends put. */
	if (len < 5 || memcmp(buf, "get ", 4) != 0)
		return NS_MALFORMED;
	for (i = 4; i < len; i++) {
		if (buf[i] != '%') {
			/* Encoded by the client: a raw space is no key. */
			if ((unsigned char)buf[i] <= ' ')
				return NS_MALFORMED;
			key[k++] = buf[i];
			continue;
		}
		if (len - i < 3 || (h = cli_hexval(buf[i + 1])) < 0 ||
		    (l = cli_hexval(buf[i + 2])) < 0)
			return NS_MALFORMED;
		key[k++] = h << 4 | l;
		i += 2;
	}
	*klen = k;
	return NS_DONE;
}

int
tt_encode(const char *s, size_t n, char *out, size_t max)
{
	static const char	hex[] = "0123456789ABCDEF";
	size_t			i, o = 0;

	for (i = 0; i < n; i++) {
		unsigned char	c = s[i];

		if (c > ' ' && c < 127 && c != '%') {
			if (o + 1 > max)
				return -1;
			out[o++] = c;
		} else {
			if (o + 3 > max)
				return -1;
			out[o++] = '%';
			out[o++] = hex[c >> 4];
			out[o++] = hex[c & 15];
		}
	}
	out[o] = '\0';
	return (int)o;
}

static volatile sig_atomic_t	stop, hup;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		hup = 1;
	else
		stop = 1;
}

static int
set_nonblock(int fd)
{
	int	fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

static int
listen_unix(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un	sun;
	struct stat		st;
	int			fd;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (*path == '\0' || strlen(path) >= sizeof sun.sun_path) {
		snprintf(err, errlen, "expected unix:PATH, at most %zu bytes",
		    sizeof sun.sun_path - 1);
		return -2;
	}
	strcpy(sun.sun_path, path);
	/* A socket left by an earlier run is replaced; anything else is not. */
	if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0 ||
	    listen(fd, 128) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

int
sockmap_listen(const char *spec, char *err, size_t errlen, char *bound,
    size_t boundlen)
{
	struct addrinfo		 hints, *res;
	struct sockaddr_storage	 ss;
	socklen_t		 sl = sizeof ss;
	char			 host[256], port[32], h[NI_MAXHOST];
	char			 p[NI_MAXSERV];
	const char		*colon;
	size_t			 hl;
	int			 fd, rc, one = 1;

	if (strncmp(spec, "unix:", 5) == 0) {
		snprintf(bound, boundlen, "%s", spec);
		fd = listen_unix(spec + 5, err, errlen);
		if (fd >= 0 && set_nonblock(fd) < 0) {
			snprintf(err, errlen, "%s", strerror(errno));
			close(fd);
			return -1;
		}
		return fd;
	}
	if ((colon = strrchr(spec, ':')) == NULL || colon[1] == '\0' ||
	    strlen(colon + 1) >= sizeof port) {
		snprintf(err, errlen, "expected ADDR:PORT or unix:PATH");
		return -2;
	}
	hl = colon - spec;
	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof host) {
		snprintf(err, errlen, "expected ADDR:PORT or unix:PATH");
		return -2;
	}
	memcpy(host, spec, hl);
	host[hl] = '\0';
	strcpy(port, colon + 1);
	/* getaddrinfo() takes port 99999 as 34463: check it here. */
	if (strspn(port, "0123456789") != strlen(port) ||
	    strlen(port) > 5 || atoi(port) > 65535) {
		snprintf(err, errlen, "bad port '%s': expected 0 to 65535",
		    port);
		return -2;
	}
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		if (rc == EAI_SYSTEM || rc == EAI_MEMORY) {
			snprintf(err, errlen, "%s", gai_strerror(rc));
			return -1;
		}
		snprintf(err, errlen, "bad address '%s': expected an IPv4 or "
		    "IPv6 address, not a name", host);
		return -2;
	}
	fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (fd < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) < 0 ||
	    listen(fd, 128) < 0 || set_nonblock(fd) < 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		snprintf(err, errlen, "%s", strerror(errno));
		if (fd >= 0)
			close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	if (getnameinfo((struct sockaddr *)&ss, sl, h, sizeof h, p, sizeof p,
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
		snprintf(bound, boundlen, "%s", spec);
	else if (ss.ss_family == AF_INET6)
		snprintf(bound, boundlen, "[%s]:%s", h, p);
	else
		snprintf(bound, boundlen, "%s:%s", h, p);
	return fd;
}

struct server {
	sockmap_fn	 fn;
	void		*arg;
	char		*text;		/* an answer's value or reason */
	char		*key;		/* a tcp_table key, decoded */
	char		*enc;		/* a tcp_table reply, encoded */
};

struct client {
	int		 fd;
	int		 tcptable;	/* tcp_table(5), not socketmap */
	const char	*map;		/* tcp_table: the map asked */
	int		 closing;	/* flush what is queued, then close */
	int		 eof;		/* the client has sent all it will */
	struct timespec	 last;		/* the last read or write */
	struct timespec	 begun;		/* the pending request began */
	size_t		 inlen;
	size_t		 outlen;
	char		 in[IN_MAX];
	char		 out[OUT_MAX];
};

static long
ms_since(const struct timespec *t)
{
	struct timespec	now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t->tv_sec) * 1000 +
	    (now.tv_nsec - t->tv_nsec) / 1000000;
}

/* Room for one more reply: else requests wait until the client reads. */
static int
out_room(const struct client *c)
{
	return c->outlen <= OUT_MAX - (REPLY_ROOM + 16);
}

/* Queue bytes as they are; never more than OUT_MAX (out_room() first). */
static void
queue(struct client *c, const char *r, size_t n)
{
	if (n > OUT_MAX - c->outlen) {
		c->closing = 1;
		return;
	}
	memcpy(c->out + c->outlen, r, n);
	c->outlen += n;
}

/* A socketmap reply: the netstring of head and text. */
static void
queue_reply(struct client *c, const char *head, const char *text)
{
	size_t	hl = strlen(head), tl = strlen(text), n;
	char	len[24];

	if (tl > SOCKMAP_REPLY_MAX - hl)
		tl = SOCKMAP_REPLY_MAX - hl;
	n = hl + tl;
	snprintf(len, sizeof len, "%zu:", n);
	queue(c, len, strlen(len));
	queue(c, head, hl);
	queue(c, text, tl);
	queue(c, ",", 1);
}

/* A tcp_table reply: the code, then the text %XX-encoded. */
static void
queue_tt_reply(struct client *c, struct server *sv, const char *code,
    const char *text)
{
	int	n;

	n = tt_encode(text, strlen(text), sv->enc, TCPTABLE_REPLY_MAX);
	if (n < 0) {
		/* Postfix takes a reply up to 64 KB: this is far below. */
		code = "500";
		n = tt_encode("reply too long", 14, sv->enc,
		    TCPTABLE_REPLY_MAX);
	}
	queue(c, code, 3);
	queue(c, " ", 1);
	queue(c, sv->enc, n);
	queue(c, "\n", 1);
}

static void
answer_socketmap(struct client *c, struct server *sv, const char *data,
    size_t dlen)
{
	static const char	*head[] = { "OK ", "NOTFOUND ", "TEMP ",
				    "PERM " };
	const char		*sp;
	enum sockmap_res	 r;

	if ((sp = memchr(data, ' ', dlen)) == NULL) {
		queue_reply(c, "PERM ", "expected 'name key'");
		return;
	}
	sv->text[0] = '\0';
	r = sv->fn(sv->arg, data, sp - data, sp + 1, dlen - (sp + 1 - data),
	    sv->text);
	/* socketmap_table(5): NOTFOUND carries no reason. */
	queue_reply(c, head[r], r == SM_NOTFOUND ? "" : sv->text);
}

static void
answer_tcptable(struct client *c, struct server *sv, size_t klen)
{
	static const char	*code[] = { "200", "500", "400", "500" };
	enum sockmap_res	 r;

	sv->text[0] = '\0';
	r = sv->fn(sv->arg, c->map, strlen(c->map), sv->key, klen, sv->text);
	queue_tt_reply(c, sv, code[r], sv->text);
}

static void
handle_input(struct client *c, struct server *sv)
{
	const char	*data;
	size_t		 dlen, used, off = 0;
	enum ns_status	 st;

	while (!c->closing && out_room(c)) {
		if (c->tcptable)
			st = tt_parse(c->in + off, c->inlen - off,
			    TCPTABLE_LINE_MAX, sv->key, &dlen, &used);
		else
			st = ns_parse(c->in + off, c->inlen - off,
			    SOCKMAP_REQ_MAX, &data, &dlen, &used);
		if (st == NS_MORE)
			break;
		if (st != NS_DONE) {
			/*
			 * A netstring stream is lost after a bad one; a
			 * tcp_table client that sends what Postfix never
			 * would is closed too, as postsrsd does.
			 */
			if (c->tcptable)
				queue_tt_reply(c, sv, "500", st == NS_TOOLONG ?
				    "request too long" : "invalid request");
			else if (st == NS_TOOLONG)
				queue_reply(c, "PERM ", "request too long");
			else
				queue_reply(c, "PERM ", "malformed netstring");
			c->closing = 1;
			off = c->inlen;
			break;
		}
		off += used;
		if (c->tcptable)
			answer_tcptable(c, sv, dlen);
		else
			answer_socketmap(c, sv, data, dlen);
	}
	if (off > 0)
		clock_gettime(CLOCK_MONOTONIC, &c->begun);
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
}

/* Nothing left to send, and nothing more will be read. */
static int
client_done(const struct client *c)
{
	return c->outlen == 0 && (c->closing || c->eof);
}

/* Returns -1 when the client is to be dropped. */
static int
client_read(struct client *c, struct server *sv)
{
	ssize_t	r;

	r = read(c->fd, c->in + c->inlen, IN_MAX - c->inlen);
	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	clock_gettime(CLOCK_MONOTONIC, &c->last);
	if (r == 0) {
		/* Half closed: answer what came, then close. */
		c->eof = 1;
		return client_done(c) ? -1 : 0;
	}
	if (c->inlen == 0)
		c->begun = c->last;
	c->inlen += r;
	handle_input(c, sv);
	return 0;
}

static int
client_write(struct client *c, struct server *sv)
{
	ssize_t	w;

	w = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL);
	if (w < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	memmove(c->out, c->out + w, c->outlen - w);
	c->outlen -= w;
	clock_gettime(CLOCK_MONOTONIC, &c->last);
	/* Requests held back while the output was full. */
	handle_input(c, sv);
	return client_done(c) ? -1 : 0;
}

/*
 * Idle for the timeout, or a request begun and not finished in it: a slow
 * client holds a slot for no longer than that.
 */
static int
client_expired(const struct client *c, int timeout_ms)
{
	return ms_since(&c->last) > timeout_ms ||
	    (c->inlen > 0 && ms_since(&c->begun) > timeout_ms);
}

static void
drop(struct client **cl, int *n, int i)
{
	close(cl[i]->fd);
	free(cl[i]);
	cl[i] = cl[--*n];
}

/* Take every waiting connection.  Returns -1 when out of descriptors. */
static int
accept_all(const struct sockmap_listener *l, struct client **cl, int *n)
{
	struct client	*c;
	int		 fd;

	while (*n < MAX_CLIENTS) {
		if ((fd = accept(l->fd, NULL, NULL)) < 0)
			return errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM ? -1 : 0;
		if (set_nonblock(fd) < 0 || (c = malloc(sizeof *c)) == NULL) {
			close(fd);
			return -1;
		}
		c->fd = fd;
		c->tcptable = l->tcptable;
		c->map = l->map != NULL ? l->map : "";
		c->closing = c->eof = 0;
		c->inlen = c->outlen = 0;
		clock_gettime(CLOCK_MONOTONIC, &c->last);
		c->begun = c->last;
		cl[(*n)++] = c;
	}
	return 0;
}

int
sockmap_serve(const struct sockmap_listener *ls, int nl, int timeout_ms,
    sockmap_fn fn, void (*reload)(void *), void *arg, char *err,
    size_t errlen)
{
	struct sigaction	 sa;
	struct timespec		 tick;
	struct server		 sv;
	sigset_t		 block, waitmask, saved;
	struct client		*cl[MAX_CLIENTS];
	struct pollfd		 pfd[SOCKMAP_LISTEN_MAX + MAX_CLIENTS];
	int			 n = 0, i, rc = 0, starved = 0;

	if (nl < 1 || nl > SOCKMAP_LISTEN_MAX) {
		snprintf(err, errlen, "%d listeners: expected 1 to %d", nl,
		    SOCKMAP_LISTEN_MAX);
		return -1;
	}
	sv.fn = fn;
	sv.arg = arg;
	sv.text = malloc(SOCKMAP_REPLY_MAX + 1);
	sv.key = malloc(TCPTABLE_LINE_MAX + 1);
	sv.enc = malloc(TCPTABLE_REPLY_MAX + 1);
	if (sv.text == NULL || sv.key == NULL || sv.enc == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		free(sv.text);
		free(sv.key);
		free(sv.enc);
		return -1;
	}
	/*
	 * The signals are held while requests are answered and let in only
	 * while ppoll() waits, so none is missed between the test of the
	 * flags and the wait, and a reload never runs inside an answer.
	 */
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	if (reload != NULL)
		sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &saved);
	waitmask = saved;
	sigdelset(&waitmask, SIGTERM);
	sigdelset(&waitmask, SIGINT);
	sigdelset(&waitmask, SIGHUP);
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (reload != NULL)
		sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	while (!stop) {
		if (hup) {
			hup = 0;
			reload(arg);
			continue;
		}
		/*
		 * At the client limit, or out of descriptors, new connections
		 * wait in the backlog; a short poll then tries again, rather
		 * than spinning on a listener that stays readable.
		 */
		for (i = 0; i < nl; i++) {
			pfd[i].fd = n < MAX_CLIENTS && !starved ? ls[i].fd : -1;
			pfd[i].events = POLLIN;
		}
		for (i = 0; i < n; i++) {
			pfd[nl + i].fd = cl[i]->fd;
			pfd[nl + i].events = 0;
			if (!cl[i]->closing && !cl[i]->eof &&
			    cl[i]->inlen < IN_MAX && out_room(cl[i]))
				pfd[nl + i].events |= POLLIN;
			if (cl[i]->outlen > 0)
				pfd[nl + i].events |= POLLOUT;
		}
		tick.tv_sec = starved ? 0 : 1;
		tick.tv_nsec = starved ? 100000000 : 0;
		if (ppoll(pfd, nl + n, &tick, &waitmask) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "poll: %s", strerror(errno));
			rc = -1;
			break;
		}
		starved = 0;
		/* Walk backwards: drop() moves the last client into slot i. */
		for (i = n - 1; i >= 0; i--) {
			short	re = pfd[nl + i].revents;
			int	bad = 0;

			if (re & POLLOUT)
				bad = client_write(cl[i], &sv) < 0;
			if (!bad && (re & POLLIN))
				bad = client_read(cl[i], &sv) < 0;
			if (!bad && (re & (POLLERR | POLLNVAL)))
				bad = 1;
			if (!bad && (re & POLLHUP) && !(re & POLLIN))
				bad = 1;
			if (!bad && client_expired(cl[i], timeout_ms))
				bad = 1;
			if (bad)
				drop(cl, &n, i);
		}
		for (i = 0; i < nl; i++)
			if ((pfd[i].revents & POLLIN) &&
			    accept_all(&ls[i], cl, &n) < 0)
				starved = 1;
	}
	while (n > 0)
		drop(cl, &n, n - 1);
	sigprocmask(SIG_SETMASK, &saved, NULL);
	free(sv.text);
	free(sv.key);
	free(sv.enc);
	return rc;
}
