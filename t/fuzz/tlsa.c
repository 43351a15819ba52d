/*
 * Fuzz TLSA record handling: the input as RDATA (tlsa_from_rdata) and as
 * presentation form (tlsa_parse).  A record read must hold the input's
 * fields and data; tlsa_usable must say yes exactly when the usage is 2
 * or 3, the selector 0 or 1 and the data of the length its matching type
 * gives (a full certificate or key must parse), and give a reason when it
 * says no; the record written back by tlsa_text must parse to itself.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tlsa.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static int
same(const struct tlsa *a, const struct tlsa *b)
{
	return a->usage == b->usage && a->selector == b->selector &&
	    a->mtype == b->mtype && a->len == b->len &&
	    memcmp(a->data, b->data, a->len) == 0;
}

static void
check(const struct tlsa *t)
{
	struct tlsa	*again;
	char		*text, why[128], err[128];
	int		 u;

	if (t->len == 0 || t->len > TLSA_DATA_MAX)
		abort();
	why[0] = '\0';
	u = tlsa_usable(t, why, sizeof why);
	if (u != 0 && u != 1)
		abort();
	if (u == 0 && why[0] == '\0')
		abort();
	if (u == 1 && ((t->usage != 2 && t->usage != 3) ||
	    t->selector > 1 || t->mtype > 2 ||
	    (t->mtype == 1 && t->len != 32) ||
	    (t->mtype == 2 && t->len != 64)))
		abort();
	if (u == 0 && (t->usage == 2 || t->usage == 3) && t->selector <= 1 &&
	    ((t->mtype == 1 && t->len == 32) || (t->mtype == 2 &&
	    t->len == 64)))
		abort();
	if ((text = tlsa_text(t)) == NULL)
		abort();
	if ((again = tlsa_parse(text, err, sizeof err)) == NULL ||
	    !same(t, again))
		abort();
	if (strlen(tlsa_usage_name(t->usage)) == 0)
		abort();
	free(again);
	free(text);
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	struct tlsa	*t;
	char		*s, err[128];

	err[0] = '\0';
	t = tlsa_from_rdata(buf, n, err, sizeof err);
	if ((t == NULL) != (n < 4) || (t == NULL && err[0] == '\0'))
		abort();
	if (t != NULL) {
		if (t->usage != buf[0] || t->selector != buf[1] ||
		    t->mtype != buf[2] || t->len != n - 3 ||
		    memcmp(t->data, buf + 3, n - 3) != 0)
			abort();
		check(t);
		free(t);
	}

	/* The same bytes as text, cut at a NUL as a C string is. */
	if ((s = malloc(n + 1)) == NULL)
		abort();
	memcpy(s, buf, n);
	s[n] = '\0';
	err[0] = '\0';
	if ((t = tlsa_parse(s, err, sizeof err)) == NULL) {
		if (err[0] == '\0')
			abort();
	} else {
		check(t);
		free(t);
	}
	free(s);
	return 0;
}
