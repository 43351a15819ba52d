#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli.h"
#include "send.h"

/*
 * The domain of an address: after its last '@' (a quoted local part may
 * hold one), "" for a bare local part such as Postmaster (RFC 5321 4.5.1).
 */
static const char *
domain_of(const char *addr)
{
	const char	*at;

	if ((at = strrchr(addr, '@')) == NULL)
		return "";
	return at + 1;
}

/* Whether no recipient before i has i's domain: i leads its group. */
static int
leads(const char *const *addr, size_t i)
{
	const char	*d;
	size_t		 j;

	d = domain_of(addr[i]);
	for (j = 0; j < i; j++)
		if (strcasecmp(domain_of(addr[j]), d) == 0)
			return 0;
	return 1;
}

/*
 * Recipients are taken domain by domain, the domains in the order they
 * first appear and each domain's recipients in their own order, and
 * poured into transactions: a new one when the current one holds rcptmax
 * recipients or a domain would be one too many.  For one order that is
 * the fewest transactions, and a domain is split only where RCPTMAX ends
 * a transaction in the middle of it.  Domains compare case-insensitively
 * (RFC 5321 2.4).  No memory is taken: the groups are found again by
 * comparison, n^2 at worst, which a command line's recipients can afford.
 * With first set the walk stops where the first transaction is complete,
 * the others marked 1: a sender takes one transaction at a time, and
 * planning all of them again for each would be n^2 per transaction.
 */
static size_t
plan(const char *const *addr, size_t n, long rcptmax, long rcptdomainmax,
    size_t *trans, int first)
{
	const char	*d;
	size_t		 i, j, ntrans, count, domains, nfirst;

	if (n == 0)
		return 0;
	if (first)
		for (i = 0; i < n; i++)
			trans[i] = 1;
	ntrans = 1;
	count = domains = nfirst = 0;
	for (i = 0; i < n; i++) {
		if (!leads(addr, i))
			continue;
		d = domain_of(addr[i]);
		if (rcptdomainmax > 0 && domains == (size_t)rcptdomainmax) {
			if (first)
				return nfirst;
			ntrans++;
			count = domains = 0;
		}
		domains++;
		for (j = i; j < n; j++) {
			if (strcasecmp(domain_of(addr[j]), d) != 0)
				continue;
			if (rcptmax > 0 && count == (size_t)rcptmax) {
				if (first)
					return nfirst;
				ntrans++;
				count = 0;
				domains = 1;
			}
			trans[j] = ntrans - 1;
			count++;
			nfirst += ntrans == 1;
		}
	}
	return first ? nfirst : ntrans;
}

size_t
send_plan(const char *const *addr, size_t n, long rcptmax,
    long rcptdomainmax, size_t *trans)
{
	return plan(addr, n, rcptmax, rcptdomainmax, trans, 0);
}

size_t
send_plan_first(const char *const *addr, size_t n, long rcptmax,
    long rcptdomainmax, size_t *trans)
{
	return plan(addr, n, rcptmax, rcptdomainmax, trans, 1);
}

const char *
send_state_name(enum send_state st)
{
	switch (st) {
	case SEND_ACCEPTED:
		return "accepted";
	case SEND_DEFERRED:
		return "deferred";
	case SEND_REFUSED:
		return "refused";
	default:
		return "pending";
	}
}

/*
 * A message as read (LF or CRLF line ends) made into what the wire takes:
 * CRLF throughout and a last line ended.  A message that cannot go as it
 * is (empty, a NUL, a CR not before an LF, which a receiver would read as
 * a line end or refuse: RFC 5321 2.3.8) is MX_DATAERR with err.
 */
int
send_data(const char *in, size_t n, char **out, size_t *len, int *eightbit,
    char *err, size_t errlen)
{
	char	*d;
	size_t	 i, k, lines;

	*out = NULL;
	*len = 0;
	*eightbit = 0;
	if (n == 0) {
		cli_errf(err, errlen, "the message is empty");
		return MX_DATAERR;
	}
	lines = 1;
	for (i = 0; i < n; i++) {
		if (in[i] == '\0') {
			cli_errf(err, errlen, "a NUL at byte %zu", i);
			return MX_DATAERR;
		}
		if (in[i] == '\r' && (i + 1 == n || in[i + 1] != '\n')) {
			cli_errf(err, errlen, "a bare CR at byte %zu", i);
			return MX_DATAERR;
		}
		if (in[i] == '\n')
			lines++;
		if ((unsigned char)in[i] >= 0x80)
			*eightbit = 1;
	}
	if (lines > (SIZE_MAX - n) / 2 - 2 ||
	    (d = malloc(n + lines + 2)) == NULL)
		return -1;
	for (i = k = 0; i < n; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			d[k++] = '\r';
		d[k++] = in[i];
	}
	if (in[n - 1] != '\n') {
		d[k++] = '\r';
		d[k++] = '\n';
	}
	*out = d;
	*len = k;
	return 0;
}

/*
 * The commands of one flight, built in one buffer: the items point into
 * it once the flight is complete (fl_items), since it moves as it grows.
 */
struct flight {
	char			*buf;
	size_t			 len, cap;
	struct probe_item	*item;
	size_t			*off;
	size_t			 n, cap_item, nreply;
};

static void
fl_free(struct flight *fl)
{
	size_t	i;

	for (i = 0; i < fl->n; i++)
		free((char *)fl->item[i].label);
	free(fl->buf);
	free(fl->item);
	free(fl->off);
	memset(fl, 0, sizeof *fl);
}

/* Add an item: its label, then its bytes.  0, -1 out of memory. */
static int
fl_add(struct flight *fl, const char *label, const char *head, size_t hlen,
    const char *body, size_t blen)
{
	struct probe_item	*it;
	size_t			*off, cap;
	char			*b;

	if (fl->n == fl->cap_item) {
		cap = fl->cap_item ? 2 * fl->cap_item : 8;
		if ((it = reallocarray(fl->item, cap, sizeof *it)) == NULL)
			return -1;
		fl->item = it;
		if ((off = reallocarray(fl->off, cap, sizeof *off)) == NULL)
			return -1;
		fl->off = off;
		fl->cap_item = cap;
	}
	if (blen > SIZE_MAX / 2 - hlen - fl->len)
		return -1;
	if (fl->len + hlen + blen > fl->cap) {
		cap = 2 * (fl->len + hlen + blen) + 256;
		if ((b = realloc(fl->buf, cap)) == NULL)
			return -1;
		fl->buf = b;
		fl->cap = cap;
	}
	it = &fl->item[fl->n];
	memset(it, 0, sizeof *it);
	if ((it->label = strdup(label)) == NULL)
		return -1;
	it->len = hlen + blen;
	it->reply = 1;
	it->brief = 1;
	fl->off[fl->n++] = fl->len;
	fl->nreply++;
	memcpy(fl->buf + fl->len, head, hlen);
	if (blen > 0)
		memcpy(fl->buf + fl->len + hlen, body, blen);
	fl->len += hlen + blen;
	return 0;
}

static int	fl_cmd(struct flight *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));

/* A command: the line is its label, CRLF is added on the wire. */
static int
fl_cmd(struct flight *fl, const char *fmt, ...)
{
	va_list	 ap;
	char	 line[SMTP_LINE_MAX];
	int	 r;

	va_start(ap, fmt);
	r = vsnprintf(line, sizeof line - 2, fmt, ap);
	va_end(ap);
	if (r < 0 || (size_t)r >= sizeof line - 2)
		return -1;
	memcpy(line + r, "\r\n", 2);
	line[r + 2] = '\0';
	if (fl_add(fl, line, line, r + 2, NULL, 0) == -1)
		return -1;
	/* The label without the line end. */
	((char *)fl->item[fl->n - 1].label)[r] = '\0';
	return 0;
}

static struct probe_item *
fl_items(struct flight *fl)
{
	size_t	i;

	for (i = 0; i < fl->n; i++)
		fl->item[i].bytes = fl->buf + fl->off[i];
	return fl->item;
}

/* What a send_run keeps between its steps. */
struct run {
	const struct probe_cfg	*cfg;
	struct send_msg		*m;
	struct send_result	*r;
	char			*stuffed;	/* the data dot-stuffed, with
						   its end ".\r\n" */
	size_t			 nstuffed;
	size_t			*pend;		/* undecided recipients */
	size_t			 npend;
	size_t			*plan;
	const char		**addr;
	int			*ok;		/* RCPT accepted, data not
						   yet answered */
	/* the transaction probe_early_fn put in the first flight */
	struct flight		 early;
	size_t			*eidx;
	size_t			 neidx;
};

static void
decide(struct send_rcpt *rc, enum send_state st, int code, const char *text)
{
	rc->state = st;
	rc->code = code;
	/* raw, bounded: a report escapes it as its format needs */
	snprintf(rc->reply, sizeof rc->reply, "%s", text);
}

/*
 * "Too many recipients" (RFC 5321 4.5.3.1.10): a 452, or a 552 with the
 * enhanced code 5.5.3 or saying so, which the RFC says to take as
 * temporary since older servers sent it.
 */
static int
too_many(const struct smtp_reply *rp)
{
	const char	*t;

	if (rp->code == 452)
		return 1;
	if (rp->code != 552 || rp->nlines == 0)
		return 0;
	t = rp->lines[0];
	return (strncmp(t, "5.5.3", 5) == 0 && (t[5] == ' ' || t[5] == '\0')) ||
	    strcasestr(t, "too many recipients") != NULL;
}

/* A reply's lines as one, for the report. */
static void
decide_reply(struct send_rcpt *rc, const struct smtp_reply *rp)
{
	char	text[sizeof rc->reply];
	size_t	i, k, n;

	k = 0;
	text[0] = '\0';
	for (i = 0; i < rp->nlines && k + 1 < sizeof text; i++) {
		n = strlen(rp->lines[i]);
		if (k + (i > 0) + n >= sizeof text)
			n = sizeof text - k - 1 - (i > 0);
		if (i > 0)
			text[k++] = ' ';
		memcpy(text + k, rp->lines[i], n);
		k += n;
		text[k] = '\0';
	}
	/* anything but a 2xx or a 5xx may go through on a retry, and so
	   may a 552 for too many recipients */
	decide(rc, rp->code / 100 == 2 ? SEND_ACCEPTED : rp->code / 100 == 5 &&
	    !too_many(rp) ? SEND_REFUSED : SEND_DEFERRED, rp->code, text);
}

static int
non_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/*
 * MAIL FROM with what the server offers: SIZE= (RFC 1870) so that a
 * message over its limit is refused before the data goes, BODY=8BITMIME
 * (RFC 6152) for 8-bit data, SMTPUTF8 (RFC 6531) for an address that
 * needs it.  Without 8BITMIME, 8-bit data goes as it is, as MTAs send it.
 */
static int
add_mail(struct run *run, struct flight *fl, const struct ehlo *feat,
    const size_t *idx, size_t n)
{
	struct send_msg	*m = run->m;
	char		 size[32], utf8;
	size_t		 i;

	size[0] = '\0';
	if (feat->size_offered)
		snprintf(size, sizeof size, " SIZE=%zu", m->len);
	utf8 = non_ascii(m->from);
	for (i = 0; i < n; i++)
		utf8 |= non_ascii(m->rcpt[idx[i]].addr);
	return fl_cmd(fl, "MAIL FROM:<%s>%s%s%s", m->from, size,
	    m->eightbit && feat->eightbitmime ? " BODY=8BITMIME" : "",
	    utf8 && feat->smtputf8 ? " SMTPUTF8" : "");
}

/* BDAT with the whole message as its one chunk (RFC 3030 2). */
static int
add_bdat(struct run *run, struct flight *fl)
{
	char	head[64];
	int	r;

	r = snprintf(head, sizeof head, "BDAT %zu LAST\r\n", run->m->len);
	if (fl_add(fl, "", head, r, run->m->data, run->m->len) == -1)
		return -1;
	head[r - 2] = '\0';
	free((char *)fl->item[fl->n - 1].label);
	if ((fl->item[fl->n - 1].label = strdup(head)) == NULL)
		return -1;
	return 0;
}

/*
 * The message as DATA carries it (RFC 5321 4.5.2): a '.' doubled at the
 * start of a line, then the end ".\r\n".  Made once for all
 * transactions.
 */
static int
stuff(struct run *run)
{
	const char	*d = run->m->data;
	size_t		 n = run->m->len, i, k, dots;

	if (run->stuffed != NULL)
		return 0;
	for (i = dots = 0; i < n; i++)
		if (d[i] == '.' && (i == 0 || d[i - 1] == '\n'))
			dots++;
	if (dots > SIZE_MAX - n - 3 ||
	    (run->stuffed = malloc(n + dots + 3)) == NULL)
		return -1;
	for (i = k = 0; i < n; i++) {
		if (d[i] == '.' && (i == 0 || d[i - 1] == '\n'))
			run->stuffed[k++] = '.';
		run->stuffed[k++] = d[i];
	}
	memcpy(run->stuffed + k, ".\r\n", 3);
	run->nstuffed = k + 3;
	return 0;
}

/* The undecided recipients, in their order, into run->pend. */
static void
pending(struct run *run)
{
	size_t	i;

	run->npend = 0;
	for (i = 0; i < run->m->nrcpt; i++)
		if (run->m->rcpt[i].state == SEND_PENDING)
			run->pend[run->npend++] = i;
}

/*
 * The recipients of the next transaction under feat's limits, the first
 * of send_plan's (send_plan_first) for the undecided ones that can go (no
 * non-ASCII address without SMTPUTF8), at most max of them, into idx.
 */
static size_t
next_trans(struct run *run, const struct ehlo *feat, size_t *idx,
    size_t max)
{
	const struct ehlo_limits *lim = &feat->limits;
	size_t	i, k;

	pending(run);
	if (!feat->smtputf8) {
		if (non_ascii(run->m->from))
			return 0;
		for (i = k = 0; i < run->npend; i++)
			if (!non_ascii(run->m->rcpt[run->pend[i]].addr))
				run->pend[k++] = run->pend[i];
		run->npend = k;
	}
	for (i = 0; i < run->npend; i++)
		run->addr[i] = run->m->rcpt[run->pend[i]].addr;
	send_plan_first(run->addr, run->npend, lim->rcptmax,
	    lim->rcptdomainmax, run->plan);
	for (i = k = 0; i < run->npend && k < max; i++)
		if (run->plan[i] == 0)
			idx[k++] = run->pend[i];
	return k;
}

/*
 * Judge a transaction's replies: to MAIL, to each RCPT (n of them; fewer
 * when the client stopped sending them) and to the data (NULL when none
 * came).  A 452 (or a 552 5.5.3) after an accepted RCPT of the same
 * transaction is "too many recipients" (RFC 5321 4.5.3.1.10, RFC 9422
 * 5): that recipient stays undecided for a new transaction; one to the
 * first is the server's temporary refusal.  Returns whether the server still
 * holds a transaction that needs a RSET.
 */
static int
judge(struct run *run, const size_t *idx, size_t n,
    const struct smtp_reply *mail, const struct smtp_reply *rcpt,
    size_t nrcpt, const struct smtp_reply *data)
{
	struct send_rcpt	*rc;
	size_t			 i, accepted = 0;

	if (mail->code / 100 != 2) {
		for (i = 0; i < n; i++)
			decide_reply(&run->m->rcpt[idx[i]], mail);
		return 0;
	}
	for (i = 0; i < n; i++) {
		rc = &run->m->rcpt[idx[i]];
		run->ok[idx[i]] = 0;
		if (i >= nrcpt) {
			/* not sent: back to the undecided */
			rc->session = rc->trans = -1;
		} else if (rcpt[i].code / 100 == 2) {
			run->ok[idx[i]] = 1;
			accepted++;
		} else if (too_many(&rcpt[i]) && accepted > 0)
			rc->session = rc->trans = -1;
		else
			decide_reply(rc, &rcpt[i]);
	}
	for (i = 0; i < n; i++) {
		if (!run->ok[idx[i]])
			continue;
		run->ok[idx[i]] = 0;
		if (data != NULL)
			decide_reply(&run->m->rcpt[idx[i]], data);
		else
			decide(&run->m->rcpt[idx[i]], SEND_DEFERRED, 0,
			    "no data sent");
	}
	return data == NULL || data->code / 100 != 2;
}

static void
free_replies(struct smtp_reply *rp, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		smtp_reply_free(&rp[i]);
}

/*
 * One flight of fl's items, their replies into rp, each cut to what a
 * report shows as it comes (brief): a server may answer each RCPT with
 * 512 lines of 4 kB, which kept whole till the transaction ends would
 * take gigabytes for a few hundred recipients.
 */
static enum smtp_fail
fly(struct probe_session *s, struct flight *fl, struct smtp_reply *rp)
{
	return probe_flight(s, fl_items(fl), fl->n, rp);
}

/* After DATA's 354: the message, then its reply into rp. */
static enum smtp_fail
send_body(struct run *run, struct probe_session *s, struct smtp_reply *rp)
{
	struct flight	 fl;
	enum smtp_fail	 f;
	char		 label[64];

	memset(&fl, 0, sizeof fl);
	snprintf(label, sizeof label, "message (%zu bytes)", run->m->len);
	if (stuff(run) == -1 ||
	    fl_add(&fl, label, run->stuffed, run->nstuffed, NULL, 0) == -1) {
		fl_free(&fl);
		return SMTP_LOCAL;
	}
	f = fly(s, &fl, rp);
	fl_free(&fl);
	return f;
}

/*
 * The commands of a pipelined transaction (RFC 2920): MAIL, every RCPT,
 * and DATA, or BDAT with the message, in one flight.
 */
static int
build(struct run *run, struct flight *fl, const struct ehlo *feat,
    const size_t *idx, size_t n, int chunk)
{
	size_t	i;

	if (add_mail(run, fl, feat, idx, n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (fl_cmd(fl, "RCPT TO:<%s>", run->m->rcpt[idx[i]].addr) ==
		    -1)
			return -1;
	return chunk ? add_bdat(run, fl) : fl_cmd(fl, "DATA");
}

/*
 * The replies of a pipelined transaction (rp: MAIL's, the RCPTs', then
 * DATA's or BDAT's): DATA's 354 sends the message, or, when no RCPT was
 * accepted, the end of the data alone (RFC 2920 3.1).  Returns SMTP_OK
 * or the failure, *rset whether a RSET is due.
 */
static enum smtp_fail
finish(struct run *run, struct probe_session *s, const size_t *idx,
    size_t n, int chunk, const struct smtp_reply *rp, int *rset)
{
	struct smtp_reply	 body;
	struct flight		 fl;
	enum smtp_fail		 f;
	size_t			 i;
	int			 any = 0;

	memset(&body, 0, sizeof body);
	if (!chunk && rp[n + 1].code != 354 && rp[n + 1].code / 100 < 4) {
		s->fail = SMTP_PROTOCOL;
		snprintf(s->err, sizeof s->err, "DATA answered %d, not 354",
		    rp[n + 1].code);
		return SMTP_PROTOCOL;
	}
	if (chunk || rp[n + 1].code != 354) {
		*rset = judge(run, idx, n, &rp[0], &rp[1], n, &rp[n + 1]);
		return SMTP_OK;
	}
	for (i = 0; i < n; i++)
		any |= rp[0].code / 100 == 2 && rp[1 + i].code / 100 == 2;
	if (any)
		f = send_body(run, s, &body);
	else {
		memset(&fl, 0, sizeof fl);
		if (fl_add(&fl, "end of data", ".\r\n", 3, NULL, 0) == -1)
			f = SMTP_LOCAL;
		else
			f = fly(s, &fl, &body);
		fl_free(&fl);
	}
	if (f != SMTP_OK) {
		smtp_reply_free(&body);
		return f;
	}
	*rset = judge(run, idx, n, &rp[0], &rp[1], n, &body);
	smtp_reply_free(&body);
	return SMTP_OK;
}

/* One transaction with PIPELINING: one flight, two with DATA. */
static enum smtp_fail
pipelined(struct run *run, struct probe_session *s, const struct ehlo *feat,
    const size_t *idx, size_t n, int *rset)
{
	struct flight		 fl;
	struct smtp_reply	*rp;
	enum smtp_fail		 f;
	size_t			 off;
	int			 chunk = feat->chunking;

	memset(&fl, 0, sizeof fl);
	off = *rset;
	if ((*rset && fl_cmd(&fl, "RSET") == -1) ||
	    build(run, &fl, feat, idx, n, chunk) == -1 ||
	    (rp = calloc(fl.nreply, sizeof *rp)) == NULL) {
		fl_free(&fl);
		return SMTP_LOCAL;
	}
	if ((f = fly(s, &fl, rp)) == SMTP_OK)
		f = finish(run, s, idx, n, chunk, rp + off, rset);
	free_replies(rp, fl.nreply);
	free(rp);
	fl_free(&fl);
	return f;
}

/* One command, its own flight. */
static enum smtp_fail
step(struct probe_session *s, struct smtp_reply *rp, const char *cmd,
    const char *addr)
{
	struct flight	 fl;
	enum smtp_fail	 f;
	int		 r;

	memset(&fl, 0, sizeof fl);
	if (addr != NULL)
		r = fl_cmd(&fl, "%s:<%s>", cmd, addr);
	else
		r = fl_cmd(&fl, "%s", cmd);
	if (r == -1)
		f = SMTP_LOCAL;
	else
		f = fly(s, &fl, rp);
	fl_free(&fl);
	return f;
}

/*
 * One transaction without PIPELINING: each command waits for its reply.
 * After a 452 to a RCPT once one was accepted, the rest are not sent:
 * they go to the next transaction.
 */
static enum smtp_fail
lockstep(struct run *run, struct probe_session *s, const struct ehlo *feat,
    const size_t *idx, size_t n, int *rset)
{
	struct smtp_reply	 mail, body, *rcpt;
	struct flight		 fl;
	enum smtp_fail		 f;
	size_t			 i, k, accepted = 0;

	memset(&mail, 0, sizeof mail);
	memset(&body, 0, sizeof body);
	if ((rcpt = calloc(n, sizeof *rcpt)) == NULL)
		return SMTP_LOCAL;
	k = 0;
	if (*rset) {
		if ((f = step(s, &body, "RSET", NULL)) != SMTP_OK)
			goto done;
		smtp_reply_free(&body);
	}
	memset(&fl, 0, sizeof fl);
	if (add_mail(run, &fl, feat, idx, n) == -1)
		f = SMTP_LOCAL;
	else
		f = fly(s, &fl, &mail);
	fl_free(&fl);
	if (f != SMTP_OK)
		goto done;
	if (mail.code / 100 != 2) {
		*rset = judge(run, idx, n, &mail, rcpt, 0, NULL);
		goto done;
	}
	for (k = 0; k < n; k++) {
		f = step(s, &rcpt[k], "RCPT TO",
		    run->m->rcpt[idx[k]].addr);
		if (f != SMTP_OK)
			goto done;
		if (rcpt[k].code / 100 == 2)
			accepted++;
		else if (too_many(&rcpt[k]) && accepted > 0) {
			k++;
			break;
		}
	}
	if (accepted == 0) {
		*rset = judge(run, idx, n, &mail, rcpt, k, NULL);
		/* nothing accepted, yet the transaction is open */
		goto done;
	}
	if (feat->chunking) {
		memset(&fl, 0, sizeof fl);
		if (add_bdat(run, &fl) == -1)
			f = SMTP_LOCAL;
		else
			f = fly(s, &fl, &body);
		fl_free(&fl);
	} else {
		if ((f = step(s, &body, "DATA", NULL)) != SMTP_OK)
			goto done;
		if (body.code == 354) {
			smtp_reply_free(&body);
			f = send_body(run, s, &body);
		}
	}
	if (f == SMTP_OK)
		*rset = judge(run, idx, n, &mail, rcpt, k, &body);
done:
	for (i = 0; i < n; i++)
		smtp_reply_free(&rcpt[i]);
	free(rcpt);
	smtp_reply_free(&mail);
	smtp_reply_free(&body);
	return f;
}

/*
 * probe_early_fn: the first transaction, planned against the cached EHLO
 * reply's limits, to go out with EHLO before the banner.  What the server
 * really offers is checked afterwards: a RCPTMAX it lowered meets the 452
 * path, as any server's change of mind does.  MAIL, the RCPTs and DATA
 * only, never BDAT with the message: nothing of the message goes before
 * the fresh EHLO reply was seen.  A server that no longer offers CHUNKING
 * would answer BDAT with 503 and read the message's lines as commands,
 * and one that now offers STARTTLS would take the message in clear; the
 * message goes after DATA's 354, once probe_open has checked the EHLO
 * (and opened again without early pipelining when it changed).
 */
static size_t
early(void *arg, const struct ehlo *feat, struct probe_item *items,
    size_t max)
{
	struct run	*run = arg;
	size_t		 n;

	fl_free(&run->early);
	run->neidx = 0;
	if (max < 3)
		return 0;
	if ((n = next_trans(run, feat, run->eidx, max - 2)) == 0)
		return 0;
	/* out of memory: the transaction goes after the banner instead */
	if (build(run, &run->early, feat, run->eidx, n, 0) == -1) {
		fl_free(&run->early);
		return 0;
	}
	memcpy(items, fl_items(&run->early), run->early.n * sizeof *items);
	run->neidx = n;
	return run->early.n;
}

static void
mark(struct run *run, const size_t *idx, size_t n, size_t session,
    size_t trans)
{
	size_t	i;

	for (i = 0; i < n; i++) {
		run->m->rcpt[idx[i]].session = session;
		run->m->rcpt[idx[i]].trans = trans;
	}
}

/*
 * An address that cannot go in a command as it is: a control byte (a
 * line end would end the command and start another), an angle bracket,
 * or longer than RFC 5321 4.5.3.1.3's path allows.
 */
static int
addr_bad(const char *a)
{
	size_t	n;

	for (n = 0; a[n] != '\0'; n++)
		if ((unsigned char)a[n] < 0x20 || a[n] == 0x7f ||
		    a[n] == '<' || a[n] == '>')
			return 1;
	return n > 254;
}

/*
 * A session that failed: whoever is undecided is deferred with why, or
 * with the first 421 of s (RFC 5321 3.8: the server ends the session)
 * when one came (the command the close was seen at is another
 * recipient's).  s is NULL when no session of its own failed.
 */
static void
fail_rest(struct run *run, const struct probe_session *s, int code,
    const char *why)
{
	size_t	i;

	if (s != NULL && s->closing_code != 0) {
		code = s->closing_code;
		why = s->closing_text;
	}
	for (i = 0; i < run->m->nrcpt; i++)
		if (run->m->rcpt[i].state == SEND_PENDING)
			decide(&run->m->rcpt[i], SEND_DEFERRED, code, why);
}

/*
 * A non-ASCII address must not go to a server that does not offer
 * SMTPUTF8 (RFC 6531 3.4): such a recipient, or every one when it is
 * the sender, refused unsent, as the server would be bound to.
 */
static void
utf8_refuse(struct run *run, const struct ehlo *feat)
{
	struct send_rcpt	*rc;
	size_t			 i;
	int			 from;

	if (feat->smtputf8)
		return;
	from = non_ascii(run->m->from);
	for (i = 0; i < run->m->nrcpt; i++) {
		rc = &run->m->rcpt[i];
		if (rc->state != SEND_PENDING || (!from && !non_ascii(rc->addr)))
			continue;
		decide(rc, SEND_REFUSED, 0, from ? "5.6.7 a non-ASCII sender "
		    "and no SMTPUTF8 offered" : "5.6.7 a non-ASCII address and "
		    "no SMTPUTF8 offered");
	}
}

/*
 * The transactions of one open session: the early one when it went, then
 * as the limits in force allow (those after TLS when TLS is up, RFC 9422
 * 4: they may change), up to MAILMAX.  SMTP_OK, or the failure with
 * s->err.
 */
static enum smtp_fail
session(struct run *run, struct probe_session *s, size_t k, size_t *idx)
{
	const struct ehlo	*feat;
	const struct ehlo_limits *lim;
	enum smtp_fail		 f = SMTP_OK;
	size_t			 n, ntrans = 0;
	int			 rset = 0;

	feat = probe_feat(s);
	lim = &feat->limits;
	if (s->nearly > 0 && run->neidx > 0) {
		mark(run, run->eidx, run->neidx, k, 0);
		if (s->nearly_replies < run->neidx + 2) {
			s->fail = f = SMTP_PROTOCOL;
			snprintf(s->err, sizeof s->err, "%zu replies to %zu "
			    "early commands", s->nearly_replies,
			    run->neidx + 2);
		} else {
			f = finish(run, s, run->eidx, run->neidx, 0,
			    s->early_replies, &rset);
			/* Without early pipelining BDAT would have carried
			   the message in the transaction's one flight: the
			   flight after DATA's 354 is no saving. */
			if (f == SMTP_OK && feat->chunking &&
			    s->early_replies[run->neidx + 1].code == 354)
				s->rtts_plain--;
		}
		ntrans = 1;
	}
	while (f == SMTP_OK) {
		if (lim->mailmax > 0 && ntrans >= (size_t)lim->mailmax)
			break;
		utf8_refuse(run, feat);
		if ((n = next_trans(run, feat, idx, SIZE_MAX)) == 0)
			break;
		mark(run, idx, n, k, ntrans);
		if (feat->pipelining)
			f = pipelined(run, s, feat, idx, n, &rset);
		else
			f = lockstep(run, s, feat, idx, n, &rset);
		ntrans++;
	}
	run->r->ntrans += ntrans;
	if (f == SMTP_LOCAL && s->err[0] == '\0') {
		s->fail = f;
		snprintf(s->err, sizeof s->err, "out of memory");
	}
	return f;
}

/*
 * Whether two addresses are one: the local part as it is (RFC 5321 2.4
 * leaves its case to the receiving host), the domain without case.
 */
static int
same_addr(const char *a, const char *b)
{
	const char	*da = domain_of(a), *db = domain_of(b);
	size_t		 la = da - a, lb = db - b;

	return la == lb && memcmp(a, b, la) == 0 && strcasecmp(da, db) == 0;
}

/* A recipient given twice would get the message twice: the first kept. */
static void
dedup(struct send_msg *m)
{
	size_t	i, j, k;

	for (i = k = 0; i < m->nrcpt; i++) {
		for (j = 0; j < k; j++)
			if (same_addr(m->rcpt[j].addr, m->rcpt[i].addr))
				break;
		if (j == k)
			m->rcpt[k++] = m->rcpt[i];
	}
	m->nrcpt = k;
}

int
send_run(const struct probe_cfg *cfg, const struct probe_target *t,
    struct send_msg *m, struct send_result *r)
{
	struct run		 run;
	struct probe_session	*ss;
	size_t			*idx, i, n = m->nrcpt + 1;
	double			 t0;
	int			 from_bad;

	memset(r, 0, sizeof *r);
	memset(&run, 0, sizeof run);
	run.cfg = cfg;
	run.m = m;
	run.r = r;
	dedup(m);
	for (i = 0; i < m->nrcpt; i++) {
		m->rcpt[i].state = SEND_PENDING;
		m->rcpt[i].code = 0;
		m->rcpt[i].reply[0] = '\0';
		m->rcpt[i].session = m->rcpt[i].trans = -1;
	}
	t0 = smtp_now();
	from_bad = addr_bad(m->from);
	for (i = 0; i < m->nrcpt; i++)
		if (from_bad || addr_bad(m->rcpt[i].addr))
			decide(&m->rcpt[i], SEND_REFUSED, 0, from_bad ?
			    "not a sender address" : "not an address");
	run.pend = calloc(n, sizeof *run.pend);
	run.plan = calloc(n, sizeof *run.plan);
	run.addr = calloc(n, sizeof *run.addr);
	run.ok = calloc(n, sizeof *run.ok);
	run.eidx = calloc(n, sizeof *run.eidx);
	idx = calloc(n, sizeof *idx);
	if (run.pend == NULL || run.plan == NULL || run.addr == NULL ||
	    run.ok == NULL || run.eidx == NULL || idx == NULL) {
		fail_rest(&run, NULL, 0, "out of memory");
		goto out;
	}
	for (;;) {
		pending(&run);
		if (run.npend == 0)
			break;
		if ((ss = reallocarray(r->sessions, r->nsessions + 1,
		    sizeof *ss)) == NULL) {
			fail_rest(&run, NULL, 0, "out of memory");
			break;
		}
		r->sessions = ss;
		ss = &r->sessions[r->nsessions++];
		memset(ss, 0, sizeof *ss);
		run.neidx = 0;
		if (probe_open(cfg, t, early, &run, ss) != SMTP_OK) {
			fl_free(&run.early);
			fail_rest(&run, NULL, ss->fail == SMTP_REPLY ?
			    ss->fail_code : 0, ss->err);
			break;
		}
		fl_free(&run.early);
		if (session(&run, ss, r->nsessions - 1, idx) != SMTP_OK) {
			fail_rest(&run, ss, 0, ss->err);
			smtp_close(&ss->s);
			break;
		}
		probe_quit(ss);
	}
out:
	for (i = 0; i < r->nsessions; i++)
		r->rtts += r->sessions[i].rtts;
	for (i = 0; i < m->nrcpt; i++) {
		if (m->rcpt[i].state == SEND_ACCEPTED)
			r->accepted++;
		else if (m->rcpt[i].state == SEND_REFUSED)
			r->refused++;
		else
			r->deferred++;
	}
	r->ms = (smtp_now() - t0) * 1e3;
	free(run.stuffed);
	free(run.pend);
	free(run.plan);
	free(run.addr);
	free(run.ok);
	free(run.eidx);
	free(idx);
	return r->accepted == m->nrcpt ? 0 : 1;
}

void
send_result_free(struct send_result *r)
{
	size_t	i;

	for (i = 0; i < r->nsessions; i++)
		probe_free(&r->sessions[i]);
	free(r->sessions);
	memset(r, 0, sizeof *r);
}
