/*
 * tagval: DKIM tag=value lists.
 */
#include "config.h"

#include <string.h>
#include <strings.h>

#include "tagval.h"

static int
is_wsp(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int
is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int
is_digit(int c)
{
	return c >= '0' && c <= '9';
}

int
tv_parse(const char *s, size_t n, struct tvlist *l, const char **why)
{
	size_t	i = 0, j;

	l->n = 0;
	for (;;) {
		size_t	nb, ne, vb, ve;

		while (i < n && is_wsp((unsigned char)s[i]))
			i++;
		if (i == n) {
			/* An empty list, or one ';' after the last tag. */
			return 0;
		}
		nb = i;
		if (!is_alpha((unsigned char)s[i])) {
			*why = s[i] == ';' ? "empty tag" : "bad tag name";
			return -1;
		}
		while (i < n && (is_alpha((unsigned char)s[i]) ||
		    is_digit((unsigned char)s[i]) || s[i] == '_'))
			i++;
		ne = i;
		while (i < n && is_wsp((unsigned char)s[i]))
			i++;
		if (i == n || s[i] != '=') {
			*why = "bad tag name";
			return -1;
		}
		i++;
		while (i < n && is_wsp((unsigned char)s[i]))
			i++;
		vb = i;
		while (i < n && s[i] != ';') {
			/* tval is VALCHAR (%x21-3A / %x3C-7E) and FWS. */
			if (s[i] == '\0' || ((unsigned char)s[i] < 0x21 &&
			    !is_wsp((unsigned char)s[i])) ||
			    (unsigned char)s[i] > 0x7e) {
				*why = "bad character in tag value";
				return -1;
			}
			i++;
		}
		ve = i;
		while (ve > vb && is_wsp((unsigned char)s[ve - 1]))
			ve--;
		for (j = 0; j < l->n; j++)
			if (l->t[j].namelen == ne - nb &&
			    memcmp(l->t[j].name, s + nb, ne - nb) == 0) {
				*why = "duplicate tag";
				return -1;
			}
		if (l->n == TV_MAX) {
			*why = "too many tags";
			return -1;
		}
		l->t[l->n].name = s + nb;
		l->t[l->n].namelen = ne - nb;
		l->t[l->n].val = s + vb;
		l->t[l->n].vallen = ve - vb;
		l->n++;
		if (i == n)
			return 0;
		i++;		/* the ';' */
	}
}

const struct tv *
tv_get(const struct tvlist *l, const char *name)
{
	size_t	i, len = strlen(name);

	for (i = 0; i < l->n; i++)
		if (l->t[i].namelen == len &&
		    memcmp(l->t[i].name, name, len) == 0)
			return &l->t[i];
	return NULL;
}

int
tv_is(const struct tv *t, const char *s)
{
	size_t	len = strlen(s);

	return t->vallen == len && memcmp(t->val, s, len) == 0;
}

long
tv_copy_nows(const struct tv *t, char *buf, size_t size)
{
	size_t	i, o = 0;

	for (i = 0; i < t->vallen; i++) {
		if (is_wsp((unsigned char)t->val[i]))
			continue;
		if (o + 1 >= size)
			return -1;
		buf[o++] = t->val[i];
	}
	if (size == 0)
		return -1;
	buf[o] = '\0';
	return (long)o;
}

const char *
tv_list_next(const char **pp, const char *e, size_t *len)
{
	const char	*p = *pp, *q, *a, *z;

	if (p >= e)
		return NULL;
	if ((q = memchr(p, ':', e - p)) == NULL)
		q = e;
	for (a = p; a < q && is_wsp((unsigned char)*a); a++)
		;
	for (z = q; z > a && is_wsp((unsigned char)z[-1]); z--)
		;
	*pp = q + 1;
	*len = z - a;
	return a;
}

int
tv_list_has(const struct tv *t, const char *item)
{
	const char	*p = t->val, *e = t->val + t->vallen, *a;
	size_t		 len = strlen(item), n;

	while ((a = tv_list_next(&p, e, &n)) != NULL)
		if (n == len && strncasecmp(a, item, len) == 0)
			return 1;
	return 0;
}

long long
tv_num(const struct tv *t)
{
	long long	v = 0;
	size_t		i;

	if (t->vallen == 0 || t->vallen > 18)
		return -1;
	for (i = 0; i < t->vallen; i++) {
		if (!is_digit((unsigned char)t->val[i]))
			return -1;
		v = v * 10 + (t->val[i] - '0');
	}
	return v;
}
