#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "cli.h"
#include "smtp.h"

/* A write this big may sit in the socket buffer longer than a reply's
   wait: smtp_write sees it out. */
#define DRAIN_MIN	(256 * 1024)

double
smtp_now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Wait until fd is ready for events or the deadline passes: 1 ready, 0
 * time is up, -1 poll failed.  A peer that has closed is "ready": the
 * read or write that follows tells.
 */
int
smtp_wait(int fd, short events, double deadline)
{
	struct pollfd	 pfd;
	double		 left;
	int		 r;

	for (;;) {
		left = deadline - smtp_now();
		if (left <= 0)
			return 0;
		pfd.fd = fd;
		pfd.events = events;
		pfd.revents = 0;
		r = poll(&pfd, 1, (int)(left * 1000) + 1);
		if (r > 0)
			return 1;
		if (r == -1 && errno != EINTR)
			return -1;
	}
}

double
smtp_deadline(const struct smtp *s)
{
	return smtp_now() + (s->timeout > 0 ? s->timeout : 1);
}

enum smtp_fail
smtp_connect(struct smtp *s, const struct dns_addr *a, int port,
    int timeout, char *err, size_t errlen)
{
	struct sockaddr_storage	 ss;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t		 sslen, elen;
	char			 text[INET6_ADDRSTRLEN];
	double			 deadline;
	int			 e, r;

	memset(s, 0, sizeof *s);
	s->fd = -1;
	s->timeout = timeout;
	memset(&ss, 0, sizeof ss);
	if (a->af == AF_INET6) {
		sin6->sin6_family = AF_INET6;
		memcpy(&sin6->sin6_addr, a->a, 16);
		sin6->sin6_port = htons(port);
		sslen = sizeof *sin6;
		inet_ntop(AF_INET6, a->a, text, sizeof text);
		snprintf(s->peer, sizeof s->peer, "[%s]:%d", text, port);
	} else {
		sin->sin_family = AF_INET;
		memcpy(&sin->sin_addr, a->a, 4);
		sin->sin_port = htons(port);
		sslen = sizeof *sin;
		inet_ntop(AF_INET, a->a, text, sizeof text);
		snprintf(s->peer, sizeof s->peer, "%s:%d", text, port);
	}
	deadline = smtp_deadline(s);
	if ((s->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		cli_errf(err, errlen, "socket: %s", strerror(errno));
		return SMTP_LOCAL;
	}
	/*
	 * A flight (pipelined commands, early pipelining's EHLO before the
	 * banner) goes out at once, not held back by Nagle until the peer
	 * ACKs the last one: that would cost the round trip it saves.
	 */
	e = 1;
	if (setsockopt(s->fd, IPPROTO_TCP, TCP_NODELAY, &e, sizeof e) == -1) {
		cli_errf(err, errlen, "setsockopt: %s", strerror(errno));
		smtp_close(s);
		return SMTP_LOCAL;
	}
	if (connect(s->fd, (struct sockaddr *)&ss, sslen) == -1) {
		if (errno != EINPROGRESS) {
			e = errno;
			goto refused;
		}
		if ((r = smtp_wait(s->fd, POLLOUT, deadline)) <= 0) {
			if (r == 0)
				cli_errf(err, errlen, "no connection within "
				    "%d s", s->timeout);
			else
				cli_errf(err, errlen, "poll: %s",
				    strerror(errno));
			smtp_close(s);
			return r == 0 ? SMTP_TIMEOUT : SMTP_LOCAL;
		}
		elen = sizeof e;
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &e, &elen) == -1)
			e = errno;
		if (e != 0)
			goto refused;
	}
	return SMTP_OK;
refused:
	cli_errf(err, errlen, "connect: %s", strerror(e));
	smtp_close(s);
	if (e == ETIMEDOUT)
		return SMTP_TIMEOUT;
	if (e == ENOMEM || e == ENOBUFS || e == EMFILE || e == ENFILE)
		return SMTP_LOCAL;
	return SMTP_REFUSED;
}

void
smtp_close(struct smtp *s)
{

	if (s->ssl != NULL) {
		/* Our close_notify, without waiting for the peer's. */
		SSL_shutdown(s->ssl);
		ERR_clear_error();
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	if (s->fd != -1)
		close(s->fd);
	s->fd = -1;
	s->pos = s->len = 0;
}

/*
 * What an OpenSSL call's failure means for the session: SMTP_CLOSED for
 * a peer that closed or reset (also mid-record, which OpenSSL 3 reports
 * as an "unexpected eof"), SMTP_TLS for a TLS error, with the reason.
 */
enum smtp_fail
smtp_ssl_fail(SSL *ssl, int r, const char *what, char *err, size_t errlen)
{
	unsigned long	 e;
	char		 buf[256];
	int		 se, en = errno;

	se = SSL_get_error(ssl, r);
	e = ERR_peek_last_error();
	if (se == SSL_ERROR_ZERO_RETURN) {
		cli_errf(err, errlen, "%s: the peer closed TLS", what);
		return SMTP_CLOSED;
	}
	if (se == SSL_ERROR_SYSCALL && e == 0) {
		cli_errf(err, errlen, "%s: %s", what, en == 0 ?
		    "the peer closed the connection" : strerror(en));
		return SMTP_CLOSED;
	}
	if (ERR_GET_LIB(e) == ERR_LIB_SSL &&
	    ERR_GET_REASON(e) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
		cli_errf(err, errlen,
		    "%s: the peer closed the connection", what);
		ERR_clear_error();
		return SMTP_CLOSED;
	}
	if (e == 0)
		snprintf(buf, sizeof buf, "error %d", se);
	else
		ERR_error_string_n(e, buf, sizeof buf);
	cli_errf(err, errlen, "%s: %s", what, buf);
	ERR_clear_error();
	return SMTP_TLS;
}

/* More bytes into s->buf at s->len, within deadline. */
static enum smtp_fail
fill(struct smtp *s, double deadline, char *err, size_t errlen)
{
	size_t			 room = sizeof s->buf - s->len;
	ssize_t			 n;
	short			 ev;
	int			 r, se;

	for (;;) {
		if (s->ssl != NULL) {
			ERR_clear_error();
			r = SSL_read(s->ssl, s->buf + s->len, (int)room);
			if (r > 0) {
				s->len += r;
				return SMTP_OK;
			}
			se = SSL_get_error(s->ssl, r);
			if (se == SSL_ERROR_WANT_READ)
				ev = POLLIN;
			else if (se == SSL_ERROR_WANT_WRITE)
				ev = POLLOUT;
			else
				return smtp_ssl_fail(s->ssl, r, "read", err,
				    errlen);
		} else {
			n = read(s->fd, s->buf + s->len, room);
			if (n > 0) {
				s->len += n;
				return SMTP_OK;
			}
			if (n == 0) {
				cli_errf(err, errlen, "the peer closed the "
				    "connection");
				return SMTP_CLOSED;
			}
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				cli_errf(err, errlen,
				    "read: %s", strerror(errno));
				return SMTP_CLOSED;
			}
			ev = POLLIN;
		}
		if ((r = smtp_wait(s->fd, ev, deadline)) == 0) {
			cli_errf(err, errlen,
			    "no reply within %d s", s->timeout);
			return SMTP_TIMEOUT;
		}
		if (r == -1) {
			cli_errf(err, errlen, "poll: %s", strerror(errno));
			return SMTP_LOCAL;
		}
	}
}

/* The next line of the peer's: *line, *n without its CRLF or LF. */
static enum smtp_fail
get_line(struct smtp *s, double deadline, const char **line, size_t *n,
    char *err, size_t errlen)
{
	enum smtp_fail	 f;
	char		*nl;
	size_t		 k;

	for (;;) {
		nl = memchr(s->buf + s->pos, '\n', s->len - s->pos);
		if (nl != NULL) {
			*line = s->buf + s->pos;
			k = nl - *line;
			s->pos += k + 1;
			if (k > 0 && (*line)[k - 1] == '\r')
				k--;
			if (k > SMTP_LINE_MAX)
				goto toolong;
			*n = k;
			return SMTP_OK;
		}
		if (s->pos > 0) {
			memmove(s->buf, s->buf + s->pos, s->len - s->pos);
			s->len -= s->pos;
			s->pos = 0;
		}
		if (s->len == sizeof s->buf)
			goto toolong;
		if ((f = fill(s, deadline, err, errlen)) != SMTP_OK)
			return f;
	}
toolong:
	cli_errf(err, errlen, "a reply line over %d bytes", SMTP_LINE_MAX);
	return SMTP_PROTOCOL;
}

int
smtp_parse_line(const char *line, size_t n, int *code, int *more,
    const char **text)
{
	/* RFC 5321 4.2: 2yz to 5yz, the second digit 0 to 5. */
	if (n < 3 || line[0] < '2' || line[0] > '5' || line[1] < '0' ||
	    line[1] > '5' || line[2] < '0' || line[2] > '9')
		return -1;
	if (n > 3 && line[3] != ' ' && line[3] != '-')
		return -1;
	/* The text is kept as a C string: a NUL cannot be in it. */
	if (memchr(line, '\0', n) != NULL)
		return -1;
	*code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + line[2] - '0';
	*more = n > 3 && line[3] == '-';
	*text = line + (n > 3 ? 4 : 3);
	return 0;
}

void
smtp_reply_free(struct smtp_reply *r)
{
	size_t	 i;

	for (i = 0; i < r->nlines; i++)
		free(r->lines[i]);
	free(r->lines);
	r->lines = NULL;
	r->nlines = 0;
	r->code = 0;
}

enum smtp_fail
smtp_read(struct smtp *s, struct smtp_reply *r, char *err, size_t errlen)
{
	enum smtp_fail	 f;
	const char	*line, *text;
	char		**l, shown[64];
	size_t		 n, k;
	double		 deadline;
	int		 code, more;

	memset(r, 0, sizeof *r);
	if (s->fd == -1) {
		cli_errf(err, errlen, "no connection");
		return SMTP_LOCAL;
	}
	/* The whole reply within the timeout, not each line: a peer that
	   drips a line a second cannot hold us for ever. */
	deadline = smtp_deadline(s);
	do {
		if ((f = get_line(s, deadline, &line, &n, err, errlen)) !=
		    SMTP_OK)
			goto bad;
		if (smtp_parse_line(line, n, &code, &more, &text) == -1 ||
		    (r->nlines > 0 && code != r->code)) {
			cli_errf(err, errlen, "%s: '%s'", r->nlines > 0 &&
			    smtp_parse_line(line, n, &code, &more, &text) == 0 ?
			    "a reply line of another code" : "no reply line",
			    cli_show(line, n, 40, shown, sizeof shown));
			f = SMTP_PROTOCOL;
			goto bad;
		}
		if (r->nlines == SMTP_LINES_MAX) {
			cli_errf(err, errlen, "a reply of over %d lines",
			    SMTP_LINES_MAX);
			f = SMTP_PROTOCOL;
			goto bad;
		}
		if ((l = reallocarray(r->lines, r->nlines + 1,
		    sizeof *l)) == NULL)
			goto nomem;
		r->lines = l;
		k = n - (text - line);
		if ((l[r->nlines] = strndup(text, k)) == NULL)
			goto nomem;
		r->nlines++;
		r->code = code;
	} while (more);
	return SMTP_OK;
nomem:
	cli_errf(err, errlen, "out of memory");
	f = SMTP_LOCAL;
bad:
	smtp_reply_free(r);
	return f;
}

enum smtp_fail
smtp_send(struct smtp *s, const char *cmd, char *err, size_t errlen)
{
	char			 buf[SMTP_LINE_MAX + 3];
	size_t			 n;

	if (s->fd == -1) {
		cli_errf(err, errlen, "no connection");
		return SMTP_LOCAL;
	}
	n = strlen(cmd);
	if (n > SMTP_LINE_MAX || strpbrk(cmd, "\r\n") != NULL) {
		cli_errf(err, errlen,
		    "a command over %d bytes or with a line end",
		    SMTP_LINE_MAX);
		return SMTP_LOCAL;
	}
	memcpy(buf, cmd, n);
	memcpy(buf + n, "\r\n", 2);
	return smtp_write(s, buf, n + 2, err, errlen);
}

/*
 * Whether the peer took bytes since the last look: the socket's send
 * queue shrank.  POLLOUT comes only once a good part of a big send
 * buffer is free, which on a slow link may take longer than the timeout
 * while the peer reads all along.  Where the queue cannot be seen: no.
 */
static int
taken(const struct smtp *s, int *last)
{
#ifdef TIOCOUTQ
	int	 q, fell;

	if (ioctl(s->fd, TIOCOUTQ, &q) == -1)
		return 0;
	fell = *last != -1 && q < *last;
	*last = q;
	return fell;
#else
	(void)s;
	(void)last;
	return 0;
#endif
}

/*
 * Wait until the kernel has sent what a big write left in the socket's
 * buffer (megabytes), each wait bounded by the timeout and started again
 * whenever the peer takes some: else the wait for the reply would pay
 * for the slow link's last megabytes within one timeout.
 */
static enum smtp_fail
drain(struct smtp *s, char *err, size_t errlen)
{
#ifdef TIOCOUTQ
	struct timespec	 tick = { 0, 20 * 1000 * 1000 };
	double		 deadline = smtp_deadline(s);
	int		 q, last = -1;

	while (ioctl(s->fd, TIOCOUTQ, &q) == 0 && q > 0) {
		if (last == -1 || q < last)
			deadline = smtp_deadline(s);
		else if (smtp_now() > deadline) {
			cli_errf(err, errlen, "peer took nothing for %d s",
			    s->timeout);
			return SMTP_TIMEOUT;
		}
		last = q;
		nanosleep(&tick, NULL);
	}
#else
	(void)s;
	(void)err;
	(void)errlen;
#endif
	return SMTP_OK;
}

enum smtp_fail
smtp_write(struct smtp *s, const void *p, size_t n, char *err,
    size_t errlen)
{
	const char		*buf = p;
	size_t			 off = 0;
	ssize_t			 w;
	double			 deadline, slice;
	short			 ev;
	int			 r, last = -1;

	if (s->fd == -1) {
		cli_errf(err, errlen, "no connection");
		return SMTP_LOCAL;
	}
	/* The timeout bounds each wait for progress, not the whole write:
	   a big message on a slow link goes as long as bytes go out, and a
	   peer that stops reading is given up within the timeout. */
	deadline = smtp_deadline(s);
	while (off < n) {
		if (s->ssl != NULL) {
			ERR_clear_error();
			r = SSL_write(s->ssl, buf + off, n - off > INT_MAX ?
			    INT_MAX : (int)(n - off));
			if (r > 0) {
				off += r;
				deadline = smtp_deadline(s);
				continue;
			}
			switch (SSL_get_error(s->ssl, r)) {
			case SSL_ERROR_WANT_READ:
				ev = POLLIN;
				break;
			case SSL_ERROR_WANT_WRITE:
				ev = POLLOUT;
				break;
			default:
				return smtp_ssl_fail(s->ssl, r, "write", err,
				    errlen);
			}
		} else {
			w = send(s->fd, buf + off, n - off, MSG_NOSIGNAL);
			if (w >= 0) {
				off += w;
				deadline = smtp_deadline(s);
				continue;
			}
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				cli_errf(err, errlen,
				    "write: %s", strerror(errno));
				return SMTP_CLOSED;
			}
			ev = POLLOUT;
		}
		slice = smtp_now() + 0.1;
		r = smtp_wait(s->fd, ev, slice < deadline ? slice : deadline);
		if (r == 0 && taken(s, &last))
			deadline = smtp_deadline(s);
		if (r == 0 && smtp_now() < deadline)
			continue;
		if (r <= 0) {
			if (r == 0)
				cli_errf(err, errlen, "peer took nothing for "
				    "%d s", s->timeout);
			else
				cli_errf(err, errlen, "poll: %s",
				    strerror(errno));
			return r == 0 ? SMTP_TIMEOUT : SMTP_LOCAL;
		}
	}
	/* Small flights (commands) go without waiting: that is what
	   pipelining saves. */
	if (n >= DRAIN_MIN)
		return drain(s, err, errlen);
	return SMTP_OK;
}

size_t
smtp_pending(const struct smtp *s)
{
	size_t	 n;

	int	 k;

	n = s->len - s->pos;
	/* Under TLS, a record OpenSSL has read but not handed over. */
	if (s->ssl != NULL)
		n += SSL_pending(s->ssl);
	/* And what the kernel holds: bytes a server sent after its reply
	   may not have come in the same read. */
	if (s->fd != -1 && ioctl(s->fd, FIONREAD, &k) == 0 && k > 0)
		n += k;
	return n;
}

const char *
smtp_ehlo_param(const struct smtp_reply *r, const char *kw)
{
	const char	*l;
	size_t		 i, k = strlen(kw);

	for (i = 1; i < r->nlines; i++) {
		l = r->lines[i];
		if (strncasecmp(l, kw, k) != 0)
			continue;
		if (l[k] == '\0')
			return l + k;
		if (l[k] == ' ') {
			l += k;
			while (*l == ' ')
				l++;
			return l;
		}
	}
	return NULL;
}

/* Read a reply and want code; SMTP_REPLY with what the peer said if not. */
static enum smtp_fail
expect(struct smtp *s, const char *step, int code, struct smtp_reply *r,
    char *err, size_t errlen)
{
	enum smtp_fail	 f;
	char		 e[256], shown[128];

	if ((f = smtp_read(s, r, e, sizeof e)) != SMTP_OK) {
		cli_errf(err, errlen, "%s: %s", step, e);
		return f;
	}
	if (r->code != code) {
		cli_errf(err, errlen, "%s: %d %s", step, r->code,
		    cli_show(r->lines[0], strlen(r->lines[0]), 80, shown,
		    sizeof shown));
		smtp_reply_free(r);
		return SMTP_REPLY;
	}
	return SMTP_OK;
}

static enum smtp_fail
command(struct smtp *s, const char *cmd, char *err, size_t errlen)
{
	enum smtp_fail	 f;
	char		 e[256], shown[256];

	/* The command as cli_show renders it: an EHLO name may hold
	   anything, a line end included. */
	if ((f = smtp_send(s, cmd, e, sizeof e)) != SMTP_OK)
		cli_errf(err, errlen, "%s: %s", cli_show(cmd, strlen(cmd), 60,
		    shown, sizeof shown), e);
	return f;
}

enum smtp_fail
smtp_starttls(struct smtp *s, const char *helo, struct smtp_reply *banner,
    struct smtp_reply *ehlo, char *err, size_t errlen)
{
	struct smtp_reply	 b, e, st;
	enum smtp_fail		 f;
	char			 cmd[300];

	memset(&e, 0, sizeof e);
	if (banner != NULL)
		memset(banner, 0, sizeof *banner);
	if (ehlo != NULL)
		memset(ehlo, 0, sizeof *ehlo);
	if ((f = expect(s, "banner", 220, &b, err, errlen)) != SMTP_OK)
		return f;
	if ((size_t)snprintf(cmd, sizeof cmd, "EHLO %s", helo) >= sizeof cmd) {
		cli_errf(err, errlen, "EHLO name too long");
		f = SMTP_LOCAL;
		goto out;
	}
	if ((f = command(s, cmd, err, errlen)) != SMTP_OK ||
	    (f = expect(s, "EHLO", 250, &e, err, errlen)) != SMTP_OK)
		goto out;
	if (smtp_ehlo_param(&e, "STARTTLS") == NULL) {
		cli_errf(err, errlen, "STARTTLS is not offered");
		f = SMTP_NOTLS;
		goto out;
	}
	if ((f = command(s, "STARTTLS", err, errlen)) != SMTP_OK ||
	    (f = expect(s, "STARTTLS", 220, &st, err, errlen)) != SMTP_OK)
		goto out;
	smtp_reply_free(&st);
	/*
	 * Bytes after the 220 were sent before TLS and would be read as if
	 * under it (the STARTTLS command injection of CVE-2011-0411, the
	 * other way round): no server may send them, whether they came in
	 * the 220's read or are still in the kernel.
	 */
	if (smtp_pending(s) > 0) {
		cli_errf(err, errlen, "STARTTLS: bytes after the 220 reply, "
		    "before TLS");
		f = SMTP_PROTOCOL;
		goto out;
	}
out:
	if (banner != NULL)
		*banner = b;
	else
		smtp_reply_free(&b);
	if (ehlo != NULL)
		*ehlo = e;
	else
		smtp_reply_free(&e);
	return f;
}

const char *
smtp_fail_name(enum smtp_fail f)
{
	static const char *const names[] = {
		"ok", "timeout", "refused", "closed", "protocol", "reply",
		"notls", "tls", "local"
	};

	if ((unsigned)f < sizeof names / sizeof names[0])
		return names[f];
	return "unknown";
}

int
smtp_reply_trim(struct smtp_reply *r, size_t max)
{
	char	*line, **lines;
	size_t	 i, k = 0, n;

	if (max == 0 || (line = malloc(max)) == NULL)
		return -1;
	line[0] = '\0';
	for (i = 0; i < r->nlines && k + 1 < max; i++) {
		if (i > 0)
			line[k++] = ' ';
		n = strlen(r->lines[i]);
		if (k + n >= max)
			n = max - k - 1;
		memcpy(line + k, r->lines[i], n);
		k += n;
		line[k] = '\0';
	}
	if ((lines = malloc(sizeof *lines)) == NULL) {
		free(line);
		return -1;
	}
	for (i = 0; i < r->nlines; i++)
		free(r->lines[i]);
	free(r->lines);
	lines[0] = line;
	r->lines = lines;
	r->nlines = 1;
	return 0;
}
