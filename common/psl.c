/*
 * The public suffix list, as publicsuffix.org's algorithm reads it: the
 * prevailing rule is an exception rule when one matches, else the
 * matching rule with the most labels, else "*"; an exception's public
 * suffix is the rule without its leftmost label.
 *
 * The whole file is read into one buffer and the rules are cut in place,
 * then hashed by name: a tool run once per message loads it in well under
 * a millisecond and needs no allocation per rule.  A rule in Unicode is
 * also entered under its ASCII form (RFC 3492 Punycode), the form a From
 * domain takes in DNS.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "psl.h"

#define PSL_FILE_MAX	(16 * 1024 * 1024)	/* the list is 250 kB */
#define NAME_MAX_LEN	253			/* RFC 1035, without the dot */
#define LABEL_MAX_LEN	63

enum {
	R_NORMAL = 1,		/* "a.b" */
	R_WILD = 2,		/* "*.a.b", entered as "a.b" */
	R_EXCEPT = 4		/* "!a.b", entered as "a.b" */
};

struct slot {
	const char	*name;	/* NULL for an empty slot */
	size_t		 len;
	unsigned	 flags;
};

struct psl {
	char		*text;		/* the file; rules point into it */
	char		**idn;		/* Punycode forms, malloc'd each */
	size_t		 nidn, idncap;
	struct slot	*slot;
	size_t		 nslot;		/* a power of two */
	size_t		 nrule;
};

/* FNV-1a: short keys, no adversary (the list is the admin's file). */
static uint32_t
hash(const char *s, size_t n)
{
	uint32_t	h = 2166136261u;

	while (n-- > 0) {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

static struct slot *
find(const struct psl *l, const char *s, size_t n)
{
	size_t	i = hash(s, n) & (l->nslot - 1);

	for (;;) {
		struct slot	*sl = &l->slot[i];

		if (sl->name == NULL || (sl->len == n &&
		    memcmp(sl->name, s, n) == 0))
			return sl;
		i = (i + 1) & (l->nslot - 1);
	}
}

static void
enter(struct psl *l, const char *s, size_t n, unsigned flags)
{
	struct slot	*sl = find(l, s, n);

	if (sl->name == NULL) {
		sl->name = s;
		sl->len = n;
		l->nrule++;
	}
	sl->flags |= flags;
}

static unsigned
lookup(const struct psl *l, const char *s, size_t n)
{
	return find(l, s, n)->flags;
}

/* RFC 3492 6.1: bias adaptation. */
static uint32_t
adapt(uint32_t delta, uint32_t npoints, int first)
{
	uint32_t	k = 0;

	delta = first ? delta / 700 : delta / 2;
	delta += delta / npoints;
	while (delta > ((36 - 1) * 26) / 2) {
		delta /= 36 - 1;
		k += 36;
	}
	return k + (36 * delta) / (delta + 38);
}

static int
put(char *out, size_t size, size_t *o, uint32_t d)
{
	if (*o + 1 >= size)
		return -1;
	out[(*o)++] = d < 26 ? 'a' + d : '0' + (d - 26);
	return 0;
}

/*
 * One UTF-8 label (n bytes) as "xn--" Punycode (RFC 3492 6.3), into out.
 * -1 for bytes that are not UTF-8 or a result that does not fit.
 */
static int
punycode(const char *s, size_t n, char *out, size_t size)
{
	uint32_t	cp[LABEL_MAX_LEN + 1];
	size_t		ncp = 0, i, o, b, h;
	uint32_t	m, cur = 128, delta = 0, bias = 72, q, k, t;

	for (i = 0; i < n; ) {
		unsigned char	c = s[i];
		int		more;
		uint32_t	v;

		if (c < 0x80) {
			v = c;
			more = 0;
		} else if (c >= 0xc2 && c < 0xe0) {
			v = c & 0x1f;
			more = 1;
		} else if (c >= 0xe0 && c < 0xf0) {
			v = c & 0x0f;
			more = 2;
		} else if (c >= 0xf0 && c < 0xf5) {
			v = c & 0x07;
			more = 3;
		} else
			return -1;
		if (i + 1 + more > n || ncp == LABEL_MAX_LEN + 1)
			return -1;
		for (i++; more > 0; more--, i++) {
			if (((unsigned char)s[i] & 0xc0) != 0x80)
				return -1;
			v = v << 6 | ((unsigned char)s[i] & 0x3f);
		}
		cp[ncp++] = v;
	}
	if (size < 5)
		return -1;
	memcpy(out, "xn--", 4);
	o = 4;
	for (i = 0; i < ncp; i++)
		if (cp[i] < 0x80) {
			if (o + 1 >= size)
				return -1;
			out[o++] = cp[i];
		}
	h = b = o - 4;
	if (b > 0) {
		if (o + 1 >= size)
			return -1;
		out[o++] = '-';
	}
	while (h < ncp) {
		m = UINT32_MAX;
		for (i = 0; i < ncp; i++)
			if (cp[i] >= cur && cp[i] < m)
				m = cp[i];
		/* Labels are short: no overflow in these sums. */
		delta += (m - cur) * (uint32_t)(h + 1);
		cur = m;
		for (i = 0; i < ncp; i++) {
			if (cp[i] < cur)
				delta++;
			if (cp[i] != cur)
				continue;
			for (q = delta, k = 36; ; k += 36) {
				t = k <= bias ? 1 : k >= bias + 26 ? 26 :
				    k - bias;
				if (q < t)
					break;
				if (put(out, size, &o, t + (q - t) % (36 - t)))
					return -1;
				q = (q - t) / (36 - t);
			}
			if (put(out, size, &o, q))
				return -1;
			bias = adapt(delta, h + 1, h == b);
			delta = 0;
			h++;
		}
		delta++;
		cur++;
	}
	out[o] = '\0';
	return (int)o;
}

int
psl_ascii(const char *s, char *buf, size_t size)
{
	char		 lab[LABEL_MAX_LEN + 1];
	const char	*p = s, *e = s + strlen(s), *dot;
	size_t		 o = 0, k;
	int		 r;

	if (size == 0)
		return -1;
	while (p < e) {
		if ((dot = memchr(p, '.', e - p)) == NULL)
			dot = e;
		for (k = 0; p + k < dot && (unsigned char)p[k] < 0x80; k++)
			;
		if (p + k == dot) {
			if (dot - p > LABEL_MAX_LEN)
				return -1;
			memcpy(lab, p, dot - p);
			r = (int)(dot - p);
		} else if ((r = punycode(p, dot - p, lab, sizeof lab)) < 0)
			return -1;
		if (o + r + 1 >= size)
			return -1;
		memcpy(buf + o, lab, r);
		o += r;
		if (dot < e)
			buf[o++] = '.';
		p = dot + 1;
	}
	buf[o] = '\0';
	return 0;
}

/*
 * The ASCII form of a rule with Unicode labels, kept beside the list;
 * -1 out of memory.  A rule that cannot be encoded stays in its Unicode
 * form only.
 */
static int
enter_idn(struct psl *l, const char *rule, unsigned flags)
{
	char	buf[NAME_MAX_LEN + 1];

	if (psl_ascii(rule, buf, sizeof buf) < 0)
		return 0;
	if (l->nidn == l->idncap) {
		size_t	 cap = l->idncap ? 2 * l->idncap : 512;
		char	**v = reallocarray(l->idn, cap, sizeof *v);

		if (v == NULL)
			return -1;
		l->idn = v;
		l->idncap = cap;
	}
	if ((l->idn[l->nidn] = strdup(buf)) == NULL)
		return -1;
	enter(l, l->idn[l->nidn], strlen(buf), flags);
	l->nidn++;
	return 0;
}

/* A rule's characters: LDH, '_', and UTF-8 for Unicode labels. */
static int
rule_ok(const char *s, size_t n)
{
	size_t	i, lab = 0;

	if (n == 0 || n > NAME_MAX_LEN)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char	c = s[i];

		if (c == '.') {
			if (lab == 0)
				return 0;
			lab = 0;
			continue;
		}
		if (++lab > LABEL_MAX_LEN)
			return 0;
		if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') &&
		    c != '-' && c != '_' && c < 0x80)
			return 0;
	}
	return lab > 0;
}

static int
grow(struct psl *l, size_t want)
{
	size_t		 n = 1024, i;
	struct slot	*old = l->slot, *s;
	size_t		 nold = l->nslot;

	while (n < want * 2)
		n *= 2;
	if ((s = calloc(n, sizeof *s)) == NULL)
		return -1;
	l->slot = s;
	l->nslot = n;
	l->nrule = 0;
	for (i = 0; i < nold; i++)
		if (old[i].name != NULL)
			enter(l, old[i].name, old[i].len, old[i].flags);
	free(old);
	return 0;
}

/*
 * Cut the rules out of l->text (n bytes).  -1 out of memory, 1 with a
 * reason for a line that is no rule: a file that is not the list (an
 * error page saved by a download) is refused whole, not read as rules.
 */
static int
parse(struct psl *l, size_t n, char *err, size_t errlen)
{
	char		*p = l->text, *e = l->text + n, *nl, *r, *re;
	unsigned long	 lineno = 0;
	size_t		 lines = 1, i;
	unsigned	 flags;

	for (i = 0; i < n; i++)
		if (p[i] == '\n')
			lines++;
	if (grow(l, lines) < 0)
		return -1;
	for (; p < e; p = nl + 1) {
		lineno++;
		if ((nl = memchr(p, '\n', e - p)) == NULL)
			nl = e;
		for (r = p; r < nl && (*r == ' ' || *r == '\t' ||
		    *r == '\r'); r++)
			;
		if (r == nl || (nl - r >= 2 && r[0] == '/' && r[1] == '/'))
			continue;
		/* A rule is read up to the first white space. */
		for (re = r; re < nl && *re != ' ' && *re != '\t' &&
		    *re != '\r'; re++)
			if (*re >= 'A' && *re <= 'Z')
				*re += 'a' - 'A';
		flags = R_NORMAL;
		if (*r == '!') {
			flags = R_EXCEPT;
			r++;
		} else if (re - r >= 2 && r[0] == '*' && r[1] == '.') {
			flags = R_WILD;
			r += 2;
		}
		if (!rule_ok(r, re - r) ||
		    (flags == R_EXCEPT && memchr(r, '.', re - r) == NULL)) {
			snprintf(err, errlen, "line %lu is not a rule", lineno);
			return 1;
		}
		*re = '\0';
		enter(l, r, re - r, flags);
		for (i = 0; i < (size_t)(re - r); i++)
			if ((unsigned char)r[i] >= 0x80)
				break;
		if (i < (size_t)(re - r) &&
		    enter_idn(l, r, flags) < 0)
			return -1;
		if (l->nrule * 2 > l->nslot && grow(l, l->nrule * 2) < 0)
			return -1;
	}
	return 0;
}

struct psl *
psl_load(const char *path, char *err, size_t errlen, int *status)
{
	struct psl	*l;
	struct stat	 st;
	char		 why[128], shown[CLI_SHOWN_NAME];
	size_t		 n = 0;
	ssize_t		 r;
	int		 fd, e;

	if (path == NULL)
		path = PSL_DEFAULT;
	cli_show(path, strlen(path), CLI_SHOW_NAME, shown, sizeof shown);
	if ((fd = cli_open_regular(path, "public suffix list", err, errlen,
	    status)) < 0)
		return NULL;
	*status = MX_TEMPFAIL;
	if ((l = calloc(1, sizeof *l)) == NULL)
		goto nomem;
	if (fstat(fd, &st) < 0 || st.st_size > PSL_FILE_MAX) {
		snprintf(err, errlen, "cannot read public suffix list '%s': %s",
		    shown, st.st_size > PSL_FILE_MAX ? "too big" :
		    strerror(errno));
		*status = MX_NOINPUT;
		goto fail;
	}
	if ((l->text = malloc(st.st_size + 1)) == NULL)
		goto nomem;
	/* Read to the end even if the file grew: up to its size then. */
	while (n < (size_t)st.st_size &&
	    (r = read(fd, l->text + n, st.st_size - n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "cannot read public suffix "
			    "list '%s': %s", shown, strerror(errno));
			*status = MX_NOINPUT;
			goto fail;
		}
		n += r;
	}
	l->text[n] = '\0';
	close(fd);
	fd = -1;
	if ((e = parse(l, n, why, sizeof why)) < 0)
		goto nomem;
	if (e > 0 || l->nrule == 0) {
		snprintf(err, errlen, "cannot use public suffix list '%s': %s",
		    shown, e > 0 ? why : "no rule in it");
		*status = MX_NOINPUT;
		goto fail;
	}
	*status = MX_OK;
	return l;
nomem:
	snprintf(err, errlen, "cannot load public suffix list '%s': %s",
	    shown, strerror(ENOMEM));
fail:
	if (fd >= 0)
		close(fd);
	psl_free(l);
	return NULL;
}

void
psl_free(struct psl *l)
{
	size_t	i;

	if (l == NULL)
		return;
	for (i = 0; i < l->nidn; i++)
		free(l->idn[i]);
	free(l->idn);
	free(l->slot);
	free(l->text);
	free(l);
}

/*
 * name, lower case and without its trailing dot, into buf; the offsets
 * of its labels into lab.  The number of labels, or -1 for what is not a
 * domain name: empty labels, a label over 63 bytes, a name over 253,
 * space and control bytes.
 */
static int
labels(const char *name, char *buf, size_t *lab)
{
	size_t	n = strlen(name), i, start = 0;
	int	nl = 0;

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > NAME_MAX_LEN)
		return -1;
	for (i = 0; i <= n; i++) {
		unsigned char	c = i < n ? name[i] : '.';

		if (c == '.') {
			if (i == start || i - start > LABEL_MAX_LEN)
				return -1;
			lab[nl++] = start;
			start = i + 1;
			if (i < n)
				buf[i] = '.';
			continue;
		}
		if (c <= ' ' || c == 0x7f)
			return -1;
		buf[i] = c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
	}
	buf[n] = '\0';
	return nl;
}

/*
 * The index of the label the public suffix of the name starts at, or
 * -1 for no domain name.
 */
static int
suffix_at(const struct psl *l, const char *name, char *buf, size_t *lab,
    int *nlab)
{
	int	n, i;
	size_t	len;

	if ((n = labels(name, buf, lab)) < 0)
		return -1;
	*nlab = n;
	len = strlen(buf);
	/* An exception prevails over any other rule that matches. */
	for (i = 0; i < n; i++)
		if (lookup(l, buf + lab[i], len - lab[i]) & R_EXCEPT)
			return i + 1;
	/* Else the rule with the most labels: the first from the left. */
	for (i = 0; i < n; i++) {
		if (lookup(l, buf + lab[i], len - lab[i]) & R_NORMAL)
			return i;
		if (i + 1 < n && lookup(l, buf + lab[i + 1],
		    len - lab[i + 1]) & R_WILD)
			return i;
	}
	/* The implicit rule "*": the top-level label. */
	return n - 1;
}

int
psl_org_domain(const struct psl *l, const char *name, char *out,
    size_t size)
{
	char	buf[NAME_MAX_LEN + 2];
	size_t	lab[NAME_MAX_LEN / 2 + 2], len;
	int	at, n;

	if ((at = suffix_at(l, name, buf, lab, &n)) < 0)
		return -1;
	if (at > 0)
		at--;
	len = strlen(buf + lab[at]);
	if (len + 1 > size)
		return -1;
	memcpy(out, buf + lab[at], len + 1);
	return 0;
}

int
psl_is_suffix(const struct psl *l, const char *name)
{
	char	buf[NAME_MAX_LEN + 2];
	size_t	lab[NAME_MAX_LEN / 2 + 2];
	int	n;

	return suffix_at(l, name, buf, lab, &n) == 0;
}
