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

#include "sockmap.h"

#define MAX_CLIENTS	512
/* Room for one request and one reply netstring, with their framing. */
#define IN_MAX		(SOCKMAP_REQ_MAX + 16)
#define OUT_MAX		(4 * (SOCKMAP_REPLY_MAX + 16))

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

static volatile sig_atomic_t	stop;

static void
on_signal(int sig)
{
	(void)sig;
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
	if (strlen(path) >= sizeof sun.sun_path) {
		snprintf(err, errlen, "socket path too long");
		return -1;
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
	char			 host[256], port[32], h[NI_MAXHOST], p[NI_MAXSERV];
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
		return -1;
	}
	hl = colon - spec;
	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof host) {
		snprintf(err, errlen, "expected ADDR:PORT or unix:PATH");
		return -1;
	}
	memcpy(host, spec, hl);
	host[hl] = '\0';
	strcpy(port, colon + 1);
	memset(&hints, 0, sizeof hints);
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST | AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s", gai_strerror(rc));
		return -1;
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

struct client {
	int		 fd;
	int		 closing;	/* flush what is queued, then close */
	struct timespec	 last;
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

static void
queue_reply(struct client *c, const char *r, size_t n)
{
	int	w;

	/* Never more than OUT_MAX queued: reading stops before that. */
	w = snprintf(c->out + c->outlen, OUT_MAX - c->outlen, "%zu:", n);
	if (w < 0 || (size_t)w + n + 1 > OUT_MAX - c->outlen) {
		c->closing = 1;
		return;
	}
	c->outlen += w;
	memcpy(c->out + c->outlen, r, n);
	c->outlen += n;
	c->out[c->outlen++] = ',';
}

static void
handle_input(struct client *c, sockmap_fn fn, void *arg, char *reply)
{
	const char	*data, *sp;
	size_t		 dlen, used, off = 0, n;
	enum ns_status	 st;

	while (!c->closing && c->outlen <= OUT_MAX - (SOCKMAP_REPLY_MAX + 16)) {
		st = ns_parse(c->in + off, c->inlen - off, SOCKMAP_REQ_MAX,
		    &data, &dlen, &used);
		if (st == NS_MORE)
			break;
		if (st != NS_DONE) {
			queue_reply(c, st == NS_TOOLONG ?
			    "PERM request too long" :
			    "PERM malformed netstring", st == NS_TOOLONG ?
			    21 : 24);
			c->closing = 1;
			off = c->inlen;
			break;
		}
		off += used;
		sp = memchr(data, ' ', dlen);
		if (sp == NULL) {
			queue_reply(c, "PERM expected 'name key'", 24);
			continue;
		}
		n = fn(arg, data, sp - data, sp + 1, dlen - (sp + 1 - data),
		    reply);
		queue_reply(c, reply, n);
	}
	memmove(c->in, c->in + off, c->inlen - off);
	c->inlen -= off;
}

/* Returns -1 when the client is to be dropped. */
static int
client_read(struct client *c, sockmap_fn fn, void *arg, char *reply)
{
	ssize_t	r;

	r = read(c->fd, c->in + c->inlen, IN_MAX - c->inlen);
	if (r == 0)
		return -1;
	if (r < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	c->inlen += r;
	clock_gettime(CLOCK_MONOTONIC, &c->last);
	handle_input(c, fn, arg, reply);
	return 0;
}

static int
client_write(struct client *c, sockmap_fn fn, void *arg, char *reply)
{
	ssize_t	w;

	w = send(c->fd, c->out, c->outlen, MSG_NOSIGNAL);
	if (w < 0)
		return errno == EAGAIN || errno == EINTR ? 0 : -1;
	memmove(c->out, c->out + w, c->outlen - w);
	c->outlen -= w;
	clock_gettime(CLOCK_MONOTONIC, &c->last);
	if (c->outlen == 0 && c->closing)
		return -1;
	/* Requests held back while the output was full. */
	handle_input(c, fn, arg, reply);
	return 0;
}

static void
drop(struct client **cl, int *n, int i)
{
	close(cl[i]->fd);
	free(cl[i]);
	cl[i] = cl[--*n];
}

int
sockmap_serve(int lfd, int timeout_ms, sockmap_fn fn, void *arg, char *err,
    size_t errlen)
{
	struct sigaction	 sa;
	struct client		*cl[MAX_CLIENTS];
	struct pollfd		 pfd[MAX_CLIENTS + 1];
	char			*reply;
	int			 n = 0, i, fd, rc = 0;

	if ((reply = malloc(SOCKMAP_REPLY_MAX + 1)) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);

	while (!stop) {
		/* At the client limit, new connections wait in the backlog. */
		pfd[0].fd = n < MAX_CLIENTS ? lfd : -1;
		pfd[0].events = POLLIN;
		for (i = 0; i < n; i++) {
			pfd[i + 1].fd = cl[i]->fd;
			pfd[i + 1].events = 0;
			if (!cl[i]->closing && cl[i]->inlen < IN_MAX &&
			    cl[i]->outlen <= OUT_MAX - (SOCKMAP_REPLY_MAX + 16))
				pfd[i + 1].events |= POLLIN;
			if (cl[i]->outlen > 0)
				pfd[i + 1].events |= POLLOUT;
		}
		if (poll(pfd, n + 1, 1000) < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "poll: %s", strerror(errno));
			rc = -1;
			break;
		}
		/* Walk backwards: drop() moves the last client into slot i. */
		for (i = n - 1; i >= 0; i--) {
			short	re = pfd[i + 1].revents;
			int	bad = 0;

			if (pfd[i + 1].fd != cl[i]->fd)
				continue;
			if (re & POLLOUT)
				bad = client_write(cl[i], fn, arg, reply) < 0;
			if (!bad && (re & POLLIN))
				bad = client_read(cl[i], fn, arg, reply) < 0;
			if (!bad && (re & (POLLERR | POLLNVAL)))
				bad = 1;
			if (!bad && (re & POLLHUP) && !(re & POLLIN))
				bad = 1;
			if (!bad && ms_since(&cl[i]->last) > timeout_ms)
				bad = 1;
			if (bad)
				drop(cl, &n, i);
		}
		if ((pfd[0].revents & POLLIN) && n < MAX_CLIENTS) {
			fd = accept(lfd, NULL, NULL);
			if (fd < 0)
				continue;
			if (set_nonblock(fd) < 0 ||
			    (cl[n] = malloc(sizeof *cl[n])) == NULL) {
				close(fd);
				continue;
			}
			cl[n]->fd = fd;
			cl[n]->closing = 0;
			cl[n]->inlen = cl[n]->outlen = 0;
			clock_gettime(CLOCK_MONOTONIC, &cl[n]->last);
			n++;
		}
	}
	while (n > 0)
		drop(cl, &n, n - 1);
	free(reply);
	return rc;
}
