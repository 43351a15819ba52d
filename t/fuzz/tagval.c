/*
 * Fuzz the tag=value list parser on the whole input.  A list it takes must
 * lie inside the input, in order, with well formed and distinct names and
 * trimmed values of tval characters only; every tag must be found again by
 * name; the list written back as "name=value;" must parse to the same
 * list; and the value helpers (tv_num, tv_copy_nows, tv_list_has) must
 * agree with plain reference versions, tv_copy_nows writing no byte past
 * the buffer it is given.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "tagval.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
wsp(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
digit(int c)
{
	return c >= '0' && c <= '9';
}

static int
good_name(const char *p, size_t n)
{
	if (n == 0 || !alpha((unsigned char)p[0]))
		return 0;
	for (size_t i = 1; i < n; i++)
		if (!alpha((unsigned char)p[i]) &&
		    !digit((unsigned char)p[i]) && p[i] != '_')
			return 0;
	return 1;
}

/* RFC 6376 3.2 tval and FWS, no ';', no blank at either end. */
static int
good_value(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char	c = p[i];

		if (c == ';' || (!wsp(c) && (c < 0x21 || c > 0x7e)))
			return 0;
	}
	return n == 0 || (!wsp((unsigned char)p[0]) &&
	    !wsp((unsigned char)p[n - 1]));
}

/* Whether [p, p + n) lies within [s, s + len). */
static int
inside(const char *p, size_t n, const char *s, size_t len)
{
	return p >= s && p <= s + len && n <= (size_t)(s + len - p);
}

/* tv_num: at most 18 digits, nothing else; -1 otherwise. */
static void
check_num(const struct tv *t)
{
	long long	v = tv_num(t);
	char		num[32];
	size_t		z = 0, k;
	int		digits = t->vallen > 0 && t->vallen <= 18;

	for (k = 0; k < t->vallen; k++)
		digits &= digit((unsigned char)t->val[k]);
	if (!digits) {
		if (v != -1)
			abort();
		return;
	}
	if (v < 0 || v > 999999999999999999LL)
		abort();
	/* The number written back is the value without its leading zeros. */
	while (z + 1 < t->vallen && t->val[z] == '0')
		z++;
	k = (size_t)snprintf(num, sizeof num, "%lld", v);
	if (k != t->vallen - z || memcmp(num, t->val + z, k) != 0)
		abort();
}

/* tv_copy_nows into buffers of exactly size bytes, so ASan sees overflows. */
static void
check_copy(const struct tv *t, size_t size)
{
	char	*buf = malloc(size);
	size_t	 want = 0, k;
	long	 got;

	if (buf == NULL && size > 0)
		abort();
	got = tv_copy_nows(t, buf, size);
	for (k = 0; k < t->vallen; k++)
		if (!wsp((unsigned char)t->val[k]))
			want++;
	if (want + 1 > size) {
		if (got != -1)
			abort();
		free(buf);
		return;
	}
	if (got != (long)want || buf[want] != '\0')
		abort();
	for (k = 0, got = 0; k < t->vallen; k++)
		if (!wsp((unsigned char)t->val[k]) && buf[got++] != t->val[k])
			abort();
	free(buf);
}

/* The tag is found by its name, and its value is tv_is its value. */
static void
check_lookup(const struct tvlist *l, const struct tv *t)
{
	char	*name, *val;

	if ((name = malloc(t->namelen + 2)) == NULL ||
	    (val = malloc(t->vallen + 2)) == NULL)
		abort();
	memcpy(name, t->name, t->namelen);
	name[t->namelen] = '\0';
	memcpy(val, t->val, t->vallen);
	val[t->vallen] = '\0';
	if (tv_get(l, name) != t || !tv_is(t, val))
		abort();
	/* A longer name is another tag; a longer value is another value. */
	name[t->namelen] = '_';
	name[t->namelen + 1] = '\0';
	val[t->vallen] = 'x';
	val[t->vallen + 1] = '\0';
	if (tv_get(l, name) == t || tv_is(t, val))
		abort();
	free(name);
	free(val);
}

/* Whether a colon list holds item, by a plain split of a copy. */
static int
list_ref(const struct tv *t, const char *item)
{
	char	*v, *p, *q, *e;
	int	 found = 0;

	if ((v = malloc(t->vallen + 1)) == NULL)
		abort();
	memcpy(v, t->val, t->vallen);
	v[t->vallen] = '\0';
	for (p = v; p != NULL && !found; p = q) {
		if ((q = strchr(p, ':')) != NULL)
			*q++ = '\0';
		while (wsp((unsigned char)*p))
			p++;
		for (e = p + strlen(p); e > p && wsp((unsigned char)e[-1]); e--)
			;
		*e = '\0';
		found = *p != '\0' && strcasecmp(p, item) == 0;
	}
	free(v);
	return found;
}

/*
 * tv_list_has finds each item of the list, and only those.  Empty items
 * ("a::b", "a:") are left alone: no caller asks for one.
 */
static void
check_items(const struct tv *t)
{
	static const char *const probe[] = {
		"*", "email", "sha256", "from", "arc-seal", "y", "s"
	};
	const char	*p = t->val, *e = t->val + t->vallen;
	char		*item;

	for (size_t k = 0; k < sizeof probe / sizeof probe[0]; k++)
		if (tv_list_has(t, probe[k]) != list_ref(t, probe[k]))
			abort();
	if ((item = malloc(t->vallen + 2)) == NULL)
		abort();
	while (p < e) {
		const char	*q = memchr(p, ':', e - p), *a = p, *z;

		if (q == NULL)
			q = e;
		while (a < q && wsp((unsigned char)*a))
			a++;
		for (z = q; z > a && wsp((unsigned char)z[-1]); z--)
			;
		p = q + 1;
		if (z == a)
			continue;
		memcpy(item, a, z - a);
		item[z - a] = '\0';
		if (tv_list_has(t, item) != 1)
			abort();
		/* One more letter: found only if that, too, is an item. */
		item[z - a] = 'Q';
		item[z - a + 1] = '\0';
		if (tv_list_has(t, item) != list_ref(t, item))
			abort();
	}
	free(item);
}

static void
check_list(const struct tvlist *l, const char *s, size_t n)
{
	const char	*prev = s;

	if (l->n > TV_MAX)
		abort();
	for (size_t i = 0; i < l->n; i++) {
		const struct tv	*t = &l->t[i];

		if (!inside(t->name, t->namelen, s, n) ||
		    !inside(t->val, t->vallen, s, n) ||
		    t->name < prev || t->name + t->namelen >= t->val ||
		    !good_name(t->name, t->namelen) ||
		    !good_value(t->val, t->vallen))
			abort();
		prev = t->val + t->vallen;
		for (size_t j = 0; j < i; j++)
			if (l->t[j].namelen == t->namelen &&
			    memcmp(l->t[j].name, t->name, t->namelen) == 0)
				abort();
		check_lookup(l, t);
		check_num(t);
		check_items(t);
		check_copy(t, 0);
		check_copy(t, 1);
		check_copy(t, t->vallen / 2 + 1);
		check_copy(t, t->vallen + 1);
	}
}

/* The list written back as name=value; pairs parses to itself. */
static void
check_reparse(const struct tvlist *l)
{
	struct tvlist	 again;
	const char	*why = NULL;
	char		*out, *o;
	size_t		 len = 0;

	for (size_t i = 0; i < l->n; i++)
		len += l->t[i].namelen + l->t[i].vallen + 2;
	if ((out = o = malloc(len ? len : 1)) == NULL)
		abort();
	for (size_t i = 0; i < l->n; i++) {
		memcpy(o, l->t[i].name, l->t[i].namelen);
		o += l->t[i].namelen;
		*o++ = '=';
		memcpy(o, l->t[i].val, l->t[i].vallen);
		o += l->t[i].vallen;
		*o++ = ';';
	}
	if (tv_parse(out, len, &again, &why) != 0 || again.n != l->n)
		abort();
	for (size_t i = 0; i < l->n; i++) {
		const struct tv	*a = &l->t[i], *b = &again.t[i];

		if (a->namelen != b->namelen || a->vallen != b->vallen ||
		    memcmp(a->name, b->name, a->namelen) != 0 ||
		    memcmp(a->val, b->val, a->vallen) != 0)
			abort();
	}
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	struct tvlist	*l = malloc(sizeof *l);
	const char	*s = (const char *)buf, *why = NULL;

	if (l == NULL)
		abort();
	if (tv_parse(s, n, l, &why) != 0) {
		if (why == NULL || *why == '\0')
			abort();
	} else {
		check_list(l, s, n);
		check_reparse(l);
	}
	free(l);
	return 0;
}
