/*
 * Fuzz the From field reader on the whole input, as a field value.  It
 * must give a domain or one of its five reasons; a domain must be a clean
 * DNS name (lower case, labels of 1 to 63 bytes, no trailing dot); a
 * second read must agree; and whatever the input holds, put inside a
 * quoted local part or a comment next to an address it must leave that
 * address's domain alone (the CVE-2019-16378 class).  The envelope reader
 * gets the input up to its first NUL and must give a clean name or -1.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check(int cond)
{
	if (!cond)
		abort();
}

static void
check_domain(const char *d)
{
	size_t	n = strlen(d), lab = 0, i;

	check(n > 0 && n <= 253 && d[n - 1] != '.' && d[0] != '.');
	for (i = 0; i < n; i++) {
		unsigned char	c = d[i];

		if (c == '.') {
			check(lab > 0);
			lab = 0;
			continue;
		}
		check(++lab <= 63);
		check((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_' || c >= 0x80);
	}
}

static const char *const reasons[] = {
	"no address", "several addresses", "a group",
	"no domain in the address", "not an address"
};

/* in, with each byte of special escaped by a backslash, between pre/post. */
static char *
wrap(const uint8_t *in, size_t n, const char *pre, const char *special,
    const char *post, size_t *len)
{
	size_t	 o = 0, i;
	char	*s = malloc(strlen(pre) + 2 * n + strlen(post) + 1);

	check(s != NULL);
	memcpy(s, pre, strlen(pre));
	o = strlen(pre);
	for (i = 0; i < n; i++) {
		if (in[i] == '\0' || strchr(special, in[i]) != NULL)
			s[o++] = '\\';
		s[o++] = in[i];
	}
	memcpy(s + o, post, strlen(post));
	*len = o + strlen(post);
	return s;
}

static void
must_give(const char *s, size_t n, const char *want)
{
	char		 buf[256];
	const char	*why = NULL;

	check(addr_from_domain(s, n, buf, sizeof buf, &why) == 0);
	check(strcmp(buf, want) == 0);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		 a[256], b[256], *s, *z;
	const char	*why = NULL, *why2 = NULL;
	size_t		 n, i;
	int		 r, r2;

	r = addr_from_domain((const char *)data, size, a, sizeof a, &why);
	check(r == 0 || r == -1);
	if (r == 0)
		check_domain(a);
	else {
		for (i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
			if (why == reasons[i] || strcmp(why, reasons[i]) == 0)
				break;
		check(i < sizeof reasons / sizeof reasons[0]);
	}
	r2 = addr_from_domain((const char *)data, size, b, sizeof b, &why2);
	check(r2 == r);
	if (r == 0)
		check(strcmp(a, b) == 0);
	else
		check(strcmp(why, why2) == 0);
	/* A small buffer: a domain that fits, or -1; never an overflow. */
	r2 = addr_from_domain((const char *)data, size, b, 8, &why2);
	check(r2 == -1 || (r == 0 && strlen(a) < 8 && strcmp(a, b) == 0));

	/* Inside a quoted local part, or a comment: it cannot matter. */
	s = wrap(data, size, "Name <\"", "\"\\\r\n", "\"@Real.Example>", &n);
	must_give(s, n, "real.example");
	free(s);
	s = wrap(data, size, "\"", "\"\\\r\n", "\"@real.example", &n);
	must_give(s, n, "real.example");
	free(s);
	s = wrap(data, size, "u@real.example (", "()\\", ")", &n);
	must_give(s, n, "real.example");
	free(s);
	s = wrap(data, size, "\"", "\"\\\r\n", "\" <u@real.example>", &n);
	must_give(s, n, "real.example");
	free(s);

	/* The envelope reader, on a NUL-terminated copy. */
	check((z = malloc(size + 1)) != NULL);
	memcpy(z, data, size);
	z[size] = '\0';
	if (addr_domain(z, a, sizeof a) == 0)
		check_domain(a);
	free(z);
	return 0;
}
