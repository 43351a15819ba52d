/*
 * spool: Exim's spool format taken apart, pure: message ids, the -H file
 * validated by length, the first line of a -D, the output of exim -bP.
 *
 * The reader follows Exim 4.96's (spool_in.c) in what it accepts, and is
 * stricter wherever Exim would read on past a damaged value: every length
 * must land exactly on the newline that ends its value, every line must
 * have its newline, and nothing may follow the last header.
 */
#include "config.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "spool.h"

/* The most digits a number may have: below any overflow of long long. */
#define DIGITS_MAX	18

/*
 * Exim 4.96's big_buffer: BIG_BUFFER_SIZE bytes (16 KiB where it is built
 * without Heimdal GSSAPI, as Debian's is), which fgets_big_buffer doubles
 * for a longer line up to four times that, and no further.
 */
#define EXIM_BUF	16384
#define EXIM_BUF_MAX	(4 * EXIM_BUF)

struct cur {
	const char	*buf;
	size_t		 len;
	size_t		 off;		/* of the next line */
	unsigned long	 line;		/* the last one read, from 1 */
	size_t		 bufsize;	/* Exim's big_buffer_size by now */
	char		*err;
	size_t		 errlen;
};

static int
is_base62(int c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

size_t
spool_id_len(const char *s, size_t n)
{
	size_t	dash2, i;

	/* tttttt-pppppp-ff or tttttt-ppppppppppp-ffff */
	if (n == SPOOL_ID_OLD)
		dash2 = 13;
	else if (n == SPOOL_ID_NEW)
		dash2 = 18;
	else
		return 0;
	for (i = 0; i < n; i++)
		if (i == 6 || i == dash2) {
			if (s[i] != '-')
				return 0;
		} else if (!is_base62((unsigned char)s[i]))
			return 0;
	return n;
}

/*
 * s[0..n) as a decimal number of 1 to DIGITS_MAX digits, nothing else, at
 * most max: 0, or -1.
 */
static int
dec(const char *s, size_t n, long long max, long long *v)
{
	long long	x = 0;
	size_t		i;

	if (n == 0 || n > DIGITS_MAX)
		return -1;
	for (i = 0; i < n; i++) {
		if (!is_digit((unsigned char)s[i]))
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	if (x > max)
		return -1;
	*v = x;
	return 0;
}

/* isspace() in the C locale, as Exim's Uskip_whitespace has it. */
static int
is_space(int c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* How many of s[0..n) are digits, from the start. */
static size_t
digits(const char *s, size_t n)
{
	size_t	i;

	for (i = 0; i < n && is_digit((unsigned char)s[i]); i++)
		;
	return i;
}

static int
fail(struct cur *c, const char *what)
{
	cli_errf(c->err, c->errlen, "line %lu: %s", c->line, what);
	return MX_DATAERR;
}

/*
 * The next line, without its newline, into l: 0, or MX_DATAERR when the
 * file ends first or the line has no newline or holds a NUL.  what names
 * what the line was to be, for a file that ends before it.
 */
static int
next_line(struct cur *c, struct spool_str *l, const char *what)
{
	const char	*p = c->buf + c->off, *nl;

	if (c->off >= c->len) {
		cli_errf(c->err, c->errlen, "line %lu: file ends before %s",
		    c->line + 1, what);
		return MX_DATAERR;
	}
	c->line++;
	if ((nl = memchr(p, '\n', c->len - c->off)) == NULL)
		return fail(c, "no newline at its end");
	l->p = p;
	l->n = nl - p;
	c->off += l->n + 1;
	if (memchr(l->p, '\0', l->n) != NULL)
		return fail(c, "a NUL byte");
	return 0;
}

/*
 * Line l as Exim reads it with one fgets into its big buffer, which holds
 * a line of bufsize - 1 bytes with its newline: a longer one Exim would
 * read as two.
 */
static int
short_line(struct cur *c, const struct spool_str *l)
{
	if (l->n + 1 > c->bufsize - 1)
		return fail(c, "longer than Exim reads");
	return 0;
}

/*
 * Line l as Exim's fgets_big_buffer reads it: the buffer doubled until
 * the line fits, up to EXIM_BUF_MAX, past which Exim gives up.  The
 * buffer stays grown for the lines after.
 */
static int
big_line(struct cur *c, const struct spool_str *l)
{
	while (l->n + 1 > c->bufsize - 1) {
		if (c->bufsize >= EXIM_BUF_MAX)
			return fail(c, "longer than Exim reads");
		c->bufsize *= 2;
	}
	return 0;
}

/* Room for one more of *n elements of size in *arr (capacity *cap). */
static int
grow(void *arr, size_t *cap, size_t n, size_t size)
{
	void	**ap = arr, *p;
	size_t	  ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	if ((p = reallocarray(*ap, ncap, size)) == NULL)
		return -1;
	*ap = p;
	*cap = ncap;
	return 0;
}

/*
 * Line 2, "LOGIN UID GID", read from its end as Exim does, since the
 * login may hold blanks; UID and GID may be negative.
 */
static int
number_back(const char *s, const char **e, long *v)
{
	const char	*q = *e;
	long long	 x;
	int		 neg = 0;

	while (q > s && is_digit((unsigned char)q[-1]))
		q--;
	if (dec(q, *e - q, LONG_MAX, &x) == -1)
		return -1;
	if (q > s && q[-1] == '-') {
		neg = 1;
		q--;
	}
	if (q == s || q[-1] != ' ')
		return -1;
	*v = neg ? -x : x;
	*e = q - 1;
	return 0;
}

static int
parse_owner(struct cur *c, struct spool_h *h)
{
	struct spool_str l;
	const char	*e;
	int		 rc;

	if ((rc = next_line(c, &l, "the login line")) != 0 ||
	    (rc = short_line(c, &l)) != 0)
		return rc;
	e = l.p + l.n;
	if (number_back(l.p, &e, &h->gid) == -1 ||
	    number_back(l.p, &e, &h->uid) == -1)
		return fail(c, "not 'LOGIN UID GID'");
	h->login.p = l.p;
	h->login.n = e - l.p;
	return 0;
}

static int
parse_sender_time(struct cur *c, struct spool_h *h)
{
	struct spool_str l;
	const char	*sp;
	long long	 v;
	int		 neg, rc;

	if ((rc = next_line(c, &l, "the sender line")) != 0)
		return rc;
	if ((rc = short_line(c, &l)) != 0)
		return rc;
	if (l.n < 2 || l.p[0] != '<' || l.p[l.n - 1] != '>')
		return fail(c, "sender not within '<>'");
	h->sender.p = l.p + 1;
	h->sender.n = l.n - 2;

	if ((rc = next_line(c, &l, "the time line")) != 0)
		return rc;
	/*
	 * Exim 4.96 writes the time with "%d" of an int, so from 2038 on
	 * it is negative, and reads it back with "%ld": such a -H is
	 * delivered, and must be read here too.
	 */
	neg = l.n > 0 && l.p[0] == '-';
	if ((sp = memchr(l.p, ' ', l.n)) == NULL ||
	    dec(l.p + neg, sp - l.p - neg, LLONG_MAX, &h->time) == -1 ||
	    dec(sp + 1, l.p + l.n - sp - 1, INT_MAX, &v) == -1)
		return fail(c, "not 'TIME WARNINGS'");
	if (neg)
		h->time = -h->time;
	h->warnings = v;
	return 0;
}

/*
 * An ACL variable's value: exactly count bytes after its line, and the
 * newline Exim writes after them.
 */
static int
acl_value(struct cur *c, struct spool_acl *a, long long count)
{
	const char	*p = c->buf + c->off, *q;

	if ((unsigned long long)count >= c->len - c->off)
		return fail(c, "ACL variable's length runs past the end");
	if (p[count] != '\n')
		return fail(c, "ACL variable's length does not end its value");
	if (memchr(p, '\0', count) != NULL)
		return fail(c, "a NUL byte in an ACL variable");
	a->value.p = p;
	a->value.n = count;
	c->off += count + 1;
	/* Lines are counted as an editor shows them: the value's too. */
	for (q = p; (q = memchr(q, '\n', p + count - q)) != NULL; q++)
		c->line++;
	c->line++;
	return 0;
}

/*
 * What Exim lets "set acl_c..." name: a digit or '_', then letters,
 * digits and '_'.  Held to it, a name is written into JSON as it is.
 */
static int
acl_name(const struct spool_str *s)
{
	size_t	i;

	if (s->n == 0 || (s->p[0] != '_' && !is_digit((unsigned char)s->p[0])))
		return 0;
	for (i = 1; i < s->n; i++)
		if (!is_base62((unsigned char)s->p[i]) && s->p[i] != '_')
			return 0;
	return 1;
}

/*
 * "-aclc NAME LEN", "-aclm NAME LEN", or Exim 3's "-acl N LEN" (N 0 to 9
 * a connection variable, 10 to 19 a message one, named by its last digit),
 * which Exim 4.96 still reads.
 */
static int
parse_acl(struct cur *c, struct spool_h *h, size_t *cap,
    const struct spool_opt *o)
{
	struct spool_acl *a;
	const char	*v = o->value.p, *e = v + o->value.n, *sp;
	long long	 count, idx;

	if (grow(&h->acls, cap, h->nacls, sizeof *h->acls) == -1)
		return MX_TEMPFAIL;
	a = &h->acls[h->nacls];
	memset(a, 0, sizeof *a);
	a->tainted = o->tainted;
	a->quoter = o->quoter;
	if ((sp = memchr(v, ' ', o->value.n)) == NULL || sp == v)
		return fail(c, "not '-aclX NAME LENGTH'");
	if (o->name.n == 3) {
		if (dec(v, sp - v, 19, &idx) == -1 ||
		    dec(sp + 1, e - sp - 1, 16384, &count) == -1)
			return fail(c, "not '-acl NUMBER LENGTH'");
		a->kind = idx < 10 ? 'c' : 'm';
		a->name.p = sp - 1;
		a->name.n = 1;
	} else {
		if (dec(sp + 1, e - sp - 1, LLONG_MAX, &count) == -1)
			return fail(c, "not '-aclX NAME LENGTH'");
		a->kind = o->name.p[3];
		a->name.p = v;
		a->name.n = sp - v;
		if (!acl_name(&a->name))
			return fail(c, "ACL variable's name is not Exim's");
	}
	if (acl_value(c, a, count) != 0)
		return MX_DATAERR;
	h->nacls++;
	return 0;
}

static int
is_name(const struct spool_str *s, const char *name)
{
	return s->n == strlen(name) && memcmp(s->p, name, s->n) == 0;
}

/*
 * Whether s names one of Exim 4.96's lookup types: Exim refuses a quoter
 * that does not (one its build lacks too: that cannot be known here).
 */
static int
lookup_type(const struct spool_str *s)
{
	static const char *const types[] = {
		"cdb", "dbm", "dbmjz", "dbmnz", "dnsdb", "dsearch", "ibase",
		"iplsearch", "json", "ldap", "ldapdn", "ldapm", "lmdb",
		"lsearch", "mysql", "nis", "nis0", "nisplus", "nwildlsearch",
		"oracle", "passwd", "pgsql", "readsock", "redis", "spf",
		"sqlite", "testdb", "whoson", "wildlsearch",
	};
	size_t	i;

	for (i = 0; i < sizeof types / sizeof types[0]; i++)
		if (is_name(s, types[i]))
			return 1;
	return 0;
}

/*
 * One "-name [value]" line (l, its first byte the dash), "--name" for a
 * tainted value, "--(quoter)name" for one quoted for a lookup type.
 */
static int
split_opt(struct cur *c, const struct spool_str *l, struct spool_opt *o)
{
	const char	*p = l->p + 1, *e = l->p + l->n, *q, *sp;

	memset(o, 0, sizeof *o);
	if (p < e && *p == '-') {
		o->tainted = 1;
		p++;
	}
	/* Exim looks for a quoter after one dash as after two. */
	if (p < e && *p == '(') {
		if ((q = memchr(p, ')', e - p)) == NULL || q == p + 1)
			return fail(c, "quoter without its ')'");
		o->quoter.p = p + 1;
		o->quoter.n = q - p - 1;
		if (!lookup_type(&o->quoter))
			return fail(c, "quoter that is no lookup type");
		p = q + 1;
	}
	if ((sp = memchr(p, ' ', e - p)) == NULL)
		sp = e;
	if (sp == p)
		return fail(c, "option without a name");
	o->name.p = p;
	o->name.n = sp - p;
	if (sp < e) {
		o->has_value = 1;
		o->value.p = sp + 1;
		o->value.n = e - sp - 1;
	}
	return 0;
}

/*
 * The option lines, up to the first line that does not start with a
 * dash, left in l: the non-recipients tree's first line.
 */
static int
parse_opts(struct cur *c, struct spool_h *h, struct spool_str *l)
{
	struct spool_opt o;
	size_t		 ocap = 0, acap = 0;
	long long	 v;
	int		 rc;

	for (;;) {
		/* The tree's first line too is read as an option's. */
		if ((rc = next_line(c, l, "the non-recipients")) != 0 ||
		    (rc = big_line(c, l)) != 0)
			return rc;
		if (l->n == 0 || l->p[0] != '-')
			return 0;
		if ((rc = split_opt(c, l, &o)) != 0)
			return rc;
		if ((is_name(&o.name, "aclc") || is_name(&o.name, "aclm") ||
		    is_name(&o.name, "acl")) && o.has_value) {
			if ((rc = parse_acl(c, h, &acap, &o)) != 0)
				return rc;
			continue;
		}
		if (o.name.n >= 6 && memcmp(o.name.p, "frozen", 6) == 0) {
			/*
			 * Exim takes any name that starts so for -frozen, and
			 * refuses it without its time.
			 */
			if (o.name.n != 6 || !o.has_value ||
			    dec(o.value.p, o.value.n, LLONG_MAX, &v) == -1)
				return fail(c, "-frozen without its time");
			h->frozen = 1;
		} else if (is_name(&o.name, "spool_file_wireformat"))
			h->wireformat = 1;
		if (grow(&h->opts, &ocap, h->nopts, sizeof *h->opts) == -1)
			return MX_TEMPFAIL;
		h->opts[h->nopts++] = o;
	}
}

/*
 * The non-recipients tree, "XX" when empty, else its nodes in preorder,
 * "YN addr": Y when the node has a left (then right) subtree.  Counted,
 * not recursed, so that no file can run the stack out.
 */
static int
parse_tree(struct cur *c, struct spool_h *h, struct spool_str *l)
{
	size_t	pending = 1, cap = 0;
	int	rc;

	if (l->n == 2 && l->p[0] == 'X' && l->p[1] == 'X')
		return 0;
	for (;;) {
		if (l->n < 4 || (l->p[0] != 'Y' && l->p[0] != 'N') ||
		    (l->p[1] != 'Y' && l->p[1] != 'N') || l->p[2] != ' ')
			return fail(c, "not a non-recipients tree line");
		if (grow(&h->nonrcpts, &cap, h->nnonrcpts,
		    sizeof *h->nonrcpts) == -1)
			return MX_TEMPFAIL;
		h->nonrcpts[h->nnonrcpts].p = l->p + 3;
		h->nonrcpts[h->nnonrcpts++].n = l->n - 3;
		pending += (l->p[0] == 'Y') + (l->p[1] == 'Y') - 1;
		if (pending == 0)
			return 0;
		if ((rc = next_line(c, l, "the rest of the non-recipients"))
		    != 0 || (rc = short_line(c, l)) != 0)
			return rc;
	}
}

/*
 * From the end e back over "LEN,NUM" (NUM may be negative) and the blank
 * before it, then back over the LEN bytes it counts and the blank before
 * those: the counted value into val, NUM into num, *e moved to that
 * second blank.
 */
static int
counted_back(const char *s, const char **e, struct spool_str *val,
    long long *num)
{
	const char	*q = *e, *comma;
	long long	 len;
	int		 neg;

	while (q > s && (is_digit((unsigned char)q[-1]) || q[-1] == ',' ||
	    q[-1] == '-'))
		q--;
	if ((comma = memchr(q, ',', *e - q)) == NULL ||
	    dec(q, comma - q, SPOOL_H_MAX, &len) == -1)
		return -1;
	neg = comma + 1 < *e && comma[1] == '-';
	if (dec(comma + 1 + neg, *e - comma - 1 - neg, INT_MAX, num) == -1)
		return -1;
	if (neg)
		*num = -*num;
	/* The blank, the value, the blank before it. */
	if (q == s || q[-1] != ' ' || (long long)(q - 1 - s) < len + 1)
		return -1;
	val->p = q - 1 - len;
	val->n = len;
	if (val->p[-1] != ' ')
		return -1;
	*e = val->p - 1;
	return 0;
}

/*
 * A recipient line, in the forms Exim 4.96 reads: a bare address;
 * "ADDR PNO" (early Exim 4); "ADDR N,PNO,N" (Exim 3); and the current
 * "ADDR ORCPT LEN,DSNFLAGS ERRORSTO LEN,PNO#3", read from its end by
 * length, since an address may hold blanks.  Of the "#" forms only 3 is
 * taken: Exim writes no other, and reads 1 and 2 wrongly.
 */
static int
parse_rcpt(const struct spool_str *l, struct spool_rcpt *r)
{
	const char	*s = l->p, *e = l->p + l->n, *q = e, *c1, *c2;
	long long	 v, pno;

	memset(r, 0, sizeof *r);
	r->pno = -1;
	while (q > s && is_digit((unsigned char)q[-1]))
		q--;
	if (q < e && q > s && q[-1] == '#') {
		if (dec(q, e - q, INT_MAX, &v) == -1 || v != 3)
			return -1;
		e = q - 1;
		if (counted_back(s, &e, &r->errors_to, &pno) == -1 ||
		    counted_back(s, &e, &r->orcpt, &v) == -1)
			return -1;
		if (pno < -1 || v < 0)
			return -1;
		r->pno = pno;
		r->dsn_flags = v;
		r->extended = 1;
	} else if (q < e && q > s && q[-1] == ',') {
		/* Exim 3: " N,PNO,N", the parent number the second. */
		while (q > s && (is_digit((unsigned char)q[-1]) ||
		    q[-1] == ','))
			q--;
		if (q == s || q[-1] != ' ' ||
		    (c1 = memchr(q, ',', e - q)) == NULL ||
		    (c2 = memchr(c1 + 1, ',', e - c1 - 1)) == NULL ||
		    dec(c1 + 1, c2 - c1 - 1, INT_MAX, &pno) == -1)
			return -1;
		r->pno = pno;
		e = q - 1;
	} else if (q < e && q > s && q[-1] == ' ') {
		if (dec(q, e - q, INT_MAX, &pno) == -1)
			return -1;
		r->pno = pno;
		e = q - 1;
	}
	if (e == s)
		return -1;
	r->addr.p = s;
	r->addr.n = e - s;
	return 0;
}

static int
parse_rcpts(struct cur *c, struct spool_h *h)
{
	struct spool_str l;
	long long	 count;
	size_t		 i;
	int		 rc;

	if ((rc = next_line(c, &l, "the recipient count")) != 0)
		return rc;
	if (digits(l.p, l.n) < l.n || l.n == 0)
		return fail(c, "recipient count is not a number");
	if (dec(l.p, l.n, SPOOL_RCPT_MAX, &count) == -1)
		return fail(c, "recipient count over 16384");
	if (count > 0 &&
	    (h->rcpts = calloc(count, sizeof *h->rcpts)) == NULL)
		return MX_TEMPFAIL;
	for (i = 0; i < (size_t)count; i++) {
		if ((rc = next_line(c, &l, "the last recipient")) != 0 ||
		    (rc = big_line(c, &l)) != 0)
			return rc;
		if (parse_rcpt(&l, &h->rcpts[i]) == -1)
			return fail(c, "malformed recipient");
		h->nrcpts++;
	}
	if ((rc = next_line(c, &l, "the blank line")) != 0)
		return rc;
	if (l.n != 0)
		return fail(c, "no blank line before the headers");
	return 0;
}

static int
hfail(struct cur *c, size_t n, const char *what)
{
	cli_errf(c->err, c->errlen, "header %zu: %s", n, what);
	return MX_DATAERR;
}

/*
 * The field name: printable ASCII but ':' (RFC 5322 3.6.8), then ':', with
 * blanks allowed before it (the obsolete syntax of RFC 5322 4.5.8), which
 * Exim's header_checkname skips too: "Subject : x" is a Subject.
 */
static void
hdr_name(struct spool_hdr *hd)
{
	size_t	i, n;

	for (i = 0; i < hd->text.n; i++)
		if (hd->text.p[i] == ':' || is_space(hd->text.p[i]))
			break;
		else if (hd->text.p[i] < 33 || hd->text.p[i] > 126)
			return;
	n = i;
	while (i < hd->text.n && is_space(hd->text.p[i]))
		i++;
	if (n > 0 && i < hd->text.n && hd->text.p[i] == ':') {
		hd->name.p = hd->text.p;
		hd->name.n = n;
	}
}

/*
 * "NNNf TEXT" to the end of the file: NNN (3 digits or more) the length of
 * TEXT, the folded field with its final newline, f its flag.
 */
static int
parse_hdrs(struct cur *c, struct spool_h *h)
{
	struct spool_hdr *hd;
	const char	*p, *e = c->buf + c->len;
	size_t		 cap = 0, k;
	long long	 n;

	while (c->off < c->len) {
		p = c->buf + c->off;
		k = digits(p, e - p);
		if (k == 0)
			return hfail(c, h->nhdrs + 1,
			    "does not start with its length");
		if (k < 3 || dec(p, k, SPOOL_H_MAX, &n) == -1)
			return hfail(c, h->nhdrs + 1, "malformed length");
		if (e - p < (ptrdiff_t)k + 2 || p[k + 1] != ' ' ||
		    strchr(" BCFIPRST*", p[k]) == NULL || p[k] == '\0')
			return hfail(c, h->nhdrs + 1, "malformed flag");
		p += k + 2;
		if (n > e - p)
			return hfail(c, h->nhdrs + 1,
			    "length runs past the end");
		if (n == 0 || p[n - 1] != '\n')
			return hfail(c, h->nhdrs + 1,
			    "length does not end at a newline");
		if (memchr(p, '\0', n) != NULL)
			return hfail(c, h->nhdrs + 1, "a NUL byte");
		/*
		 * Exim reads "NNNf " with fscanf's "%d%c ", whose blank
		 * skips every blank after it: a text starting with one
		 * would be read from past it, and run over the end.
		 */
		if (is_space((unsigned char)p[0]))
			return hfail(c, h->nhdrs + 1,
			    "starts with a blank, which Exim would skip");
		if (grow(&h->hdrs, &cap, h->nhdrs, sizeof *h->hdrs) == -1)
			return MX_TEMPFAIL;
		hd = &h->hdrs[h->nhdrs++];
		memset(hd, 0, sizeof *hd);
		hd->flag = p[-2];
		hd->text.p = p;
		hd->text.n = n;
		hdr_name(hd);
		c->off = p + n - c->buf;
	}
	return 0;
}

static int
parse(struct cur *c, struct spool_h *h, const char *id)
{
	struct spool_str l;
	size_t		 idlen = strlen(id);
	int		 rc;

	if (spool_id_len(id, idlen) == 0) {
		cli_errf(c->err, c->errlen, "not a message id");
		return MX_DATAERR;
	}
	memcpy(h->id, id, idlen + 1);
	if (c->len > SPOOL_H_MAX) {
		cli_errf(c->err, c->errlen, "over %ld bytes", SPOOL_H_MAX);
		return MX_DATAERR;
	}
	if ((rc = next_line(c, &l, "its first line")) != 0)
		return rc;
	if (l.n != idlen + 2 || memcmp(l.p, id, idlen) != 0 ||
	    l.p[idlen] != '-' || l.p[idlen + 1] != 'H') {
		cli_errf(c->err, c->errlen, "line 1: not '%s-H'", id);
		return MX_DATAERR;
	}
	if ((rc = parse_owner(c, h)) != 0 ||
	    (rc = parse_sender_time(c, h)) != 0 ||
	    (rc = parse_opts(c, h, &l)) != 0 ||
	    (rc = parse_tree(c, h, &l)) != 0 ||
	    (rc = parse_rcpts(c, h)) != 0 ||
	    (rc = parse_hdrs(c, h)) != 0)
		return rc;
	return 0;
}

int
spool_h_parse(struct spool_h *h, const char *buf, size_t len,
    const char *id, char *err, size_t errlen)
{
	struct cur	c = { buf, len, 0, 0, EXIM_BUF, err, errlen };
	int		rc;

	memset(h, 0, sizeof *h);
	if ((rc = parse(&c, h, id)) != 0) {
		if (rc == MX_TEMPFAIL)
			cli_errf(err, errlen, "out of memory");
		spool_h_free(h);
	}
	return rc;
}

void
spool_h_free(struct spool_h *h)
{
	free(h->opts);
	free(h->acls);
	free(h->nonrcpts);
	free(h->rcpts);
	free(h->hdrs);
	memset(h, 0, sizeof *h);
}

const struct spool_opt *
spool_h_opt(const struct spool_h *h, const char *name)
{
	size_t	i;

	/* The last: a later line sets what an earlier one set, as in Exim. */
	for (i = h->nopts; i > 0; i--)
		if (is_name(&h->opts[i - 1].name, name))
			return &h->opts[i - 1];
	return NULL;
}

int
spool_d_check(const char *buf, size_t len, const char *id, char *err,
    size_t errlen)
{
	size_t	idlen = strlen(id);

	if (spool_id_len(id, idlen) == 0) {
		cli_errf(err, errlen, "not a message id");
		return MX_DATAERR;
	}
	if (len < SPOOL_D_LOCKLEN(idlen) || memcmp(buf, id, idlen) != 0 ||
	    memcmp(buf + idlen, "-D\n", 3) != 0) {
		cli_errf(err, errlen, "-D's first line is not '%s-D'", id);
		return MX_DATAERR;
	}
	return 0;
}

static void
json_str(FILE *fp, const struct spool_str *s)
{
	cli_json_string(fp, s->p, s->n);
}

static void
json_rcpt(FILE *fp, const struct spool_rcpt *r)
{
	static const struct {
		int		 bit;
		const char	*name;
	} notify[] = {
		{ SPOOL_DSN_NEVER, "never" },
		{ SPOOL_DSN_SUCCESS, "success" },
		{ SPOOL_DSN_FAILURE, "failure" },
		{ SPOOL_DSN_DELAY, "delay" },
	};
	size_t	i;
	int	n = 0;

	fputs("{\"address\":", fp);
	json_str(fp, &r->addr);
	if (r->orcpt.n > 0) {
		fputs(",\"orcpt\":", fp);
		json_str(fp, &r->orcpt);
	}
	if (r->dsn_flags & (SPOOL_DSN_NEVER | SPOOL_DSN_SUCCESS |
	    SPOOL_DSN_FAILURE | SPOOL_DSN_DELAY)) {
		fputs(",\"notify\":[", fp);
		for (i = 0; i < sizeof notify / sizeof notify[0]; i++)
			if (r->dsn_flags & notify[i].bit)
				fprintf(fp, "%s\"%s\"", n++ ? "," : "",
				    notify[i].name);
		fputc(']', fp);
	}
	if (r->errors_to.n > 0) {
		fputs(",\"errors_to\":", fp);
		json_str(fp, &r->errors_to);
	}
	if (r->pno >= 0)
		fprintf(fp, ",\"pno\":%d", r->pno);
	fputc('}', fp);
}

void
spool_h_json(FILE *fp, const struct spool_h *h)
{
	char	name[2] = { 0, 0 };
	size_t	i;

	fputs(",\"sender\":", fp);
	json_str(fp, &h->sender);
	fputs(",\"login\":", fp);
	json_str(fp, &h->login);
	fprintf(fp, ",\"uid\":%ld,\"gid\":%ld,\"received\":%lld"
	    ",\"warnings\":%d,\"frozen\":%s", h->uid, h->gid, h->time,
	    h->warnings, h->frozen ? "true" : "false");
	fputs(",\"options\":{", fp);
	for (i = 0; i < h->nopts; i++) {
		if (i > 0)
			fputc(',', fp);
		json_str(fp, &h->opts[i].name);
		fputc(':', fp);
		if (h->opts[i].has_value)
			json_str(fp, &h->opts[i].value);
		else
			fputs("true", fp);
	}
	fputs("},\"acl\":{", fp);
	for (i = 0; i < h->nacls; i++) {
		/* Exim's own name: acl_m_demo is "m_demo". */
		fprintf(fp, "%s\"%c%.*s\":", i > 0 ? "," : "", h->acls[i].kind,
		    (int)h->acls[i].name.n, h->acls[i].name.p);
		json_str(fp, &h->acls[i].value);
	}
	fputs("},\"nonrecipients\":[", fp);
	for (i = 0; i < h->nnonrcpts; i++) {
		if (i > 0)
			fputc(',', fp);
		json_str(fp, &h->nonrcpts[i]);
	}
	fputs("],\"recipients\":[", fp);
	for (i = 0; i < h->nrcpts; i++) {
		if (i > 0)
			fputc(',', fp);
		json_rcpt(fp, &h->rcpts[i]);
	}
	fputs("],\"headers\":[", fp);
	for (i = 0; i < h->nhdrs; i++) {
		fputs(i > 0 ? ",{\"name\":" : "{\"name\":", fp);
		json_str(fp, &h->hdrs[i].name);
		name[0] = h->hdrs[i].flag;
		fputs(",\"flag\":", fp);
		cli_json_string(fp, name, 1);
		fputc('}', fp);
	}
	fputc(']', fp);
}

int
spool_bp_parse(const char *out, size_t n, char **dir, int *split, char *err,
    size_t errlen)
{
	static const char key[] = "spool_directory = ";
	const char	*p = out, *e = out + n, *nl, *v = NULL;
	size_t		 len, vlen = 0;
	int		 sp = -1;

	*dir = NULL;
	while (p < e) {
		if ((nl = memchr(p, '\n', e - p)) == NULL)
			nl = e;
		len = nl - p;
		if (len == 0)
			;
		else if (len == 21 && memcmp(p, "split_spool_directory",
		    21) == 0)
			sp = 1;
		else if (len == 24 && memcmp(p, "no_split_spool_directory",
		    24) == 0)
			sp = 0;
		else if (len >= sizeof key - 1 &&
		    memcmp(p, key, sizeof key - 1) == 0) {
			v = p + sizeof key - 1;
			vlen = len - (sizeof key - 1);
		} else {
			cli_errf(err, errlen, "exim -bP printed an unknown "
			    "line");
			return MX_DATAERR;
		}
		p = nl + 1;
	}
	if (v == NULL || sp == -1) {
		cli_errf(err, errlen, "exim -bP printed no %s",
		    v == NULL ? "spool_directory" : "split_spool_directory");
		return MX_DATAERR;
	}
	if (vlen == 0 || v[0] != '/' || memchr(v, '\0', vlen) != NULL) {
		cli_errf(err, errlen, "spool_directory is not an absolute "
		    "path");
		return MX_DATAERR;
	}
	if ((*dir = strndup(v, vlen)) == NULL) {
		cli_errf(err, errlen, "out of memory");
		return MX_TEMPFAIL;
	}
	*split = sp;
	return 0;
}
