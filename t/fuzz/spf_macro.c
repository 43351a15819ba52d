/*
 * Fuzz SPF macro expansion on the whole input, as a macro-string.  The
 * syntax check (no request) and an expansion for a request agree on
 * whether the string is well formed; what an explanation may hold is a
 * superset of what a domain-spec may; an expansion is a C string of at
 * most 8 KiB; and a string without '%' expands to itself.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* 0, 1 a syntax error, 2 an expansion too long. */
static int
expand(const struct spf_request *req, const char *s, size_t n, int exp,
    char **out)
{
	char	err[256];
	int	rc;

	err[0] = '\0';
	rc = spf_macro_expand(NULL, req, "example.org", s, n, exp, out, err,
	    sizeof err);
	if (rc == 0 && (*out == NULL || strlen(*out) > 8192))
		abort();
	if (rc != 0 && (*out != NULL || err[0] == '\0' || rc != -1))
		abort();
	if (rc == 0)
		return 0;
	return strstr(err, "expanding beyond") != NULL ? 2 : 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	static const struct spf_request	v4 = { "192.0.2.1", "a.b@example.com",
					    "mx.example.com", "mx.example.net",
					    1700000000 };
	static const struct spf_request	v6 = { "2001:db8::1", "",
					    "mx.example.com", NULL, 0 };
	const char	*s = (const char *)buf;
	char		*o1 = NULL, *o2 = NULL, *o3 = NULL, *o4 = NULL;
	int		 dom, dom4, dom6, ex;

	dom = expand(NULL, s, n, 0, &o1);
	dom4 = expand(&v4, s, n, 0, &o2);
	dom6 = expand(&v6, s, n, 0, &o3);
	ex = expand(&v4, s, n, 1, &o4);
	/* a length error may hit one and not another; syntax may not */
	if (dom != dom6 && dom != 2 && dom6 != 2)
		abort();
	if (dom != dom4 && dom != 2 && dom4 != 2)
		abort();
	if (dom4 == 0 && ex == 1)
		abort();
	if (dom == 0 && memchr(s, '%', n) == NULL &&
	    (strlen(o1) != n || memcmp(o1, s, n) != 0))
		abort();
	free(o1);
	free(o2);
	free(o3);
	free(o4);
	return 0;
}
