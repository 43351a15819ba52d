/*
 * Fuzz the spool parsers: the input as a -H (of the id its first line
 * names, when that is one, else of a fixed id) through spool_h_parse and
 * spool_h_json; and the same bytes through spool_d_check, spool_id_len
 * and spool_bp_parse.  A parse that succeeds must leave every value
 * inside the input and every count within its bound; one that fails a
 * reason of one line and nothing to free.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "spool.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char	*lo, *hi;

static void
inside(const struct spool_str *s)
{
	if (s->n > 0 && (s->p < lo || s->p + s->n > hi))
		abort();
	if (s->n > 0 && memchr(s->p, '\0', s->n) != NULL)
		abort();
}

static void
one_line(const char *err, size_t size)
{
	if (memchr(err, '\0', size) == NULL || err[0] == '\0' ||
	    strchr(err, '\n') != NULL)
		abort();
}

/*
 * A header's name starts its text, is printable ASCII but ':', and only
 * blanks lie between it and the colon.
 */
static void
hdr_named(const struct spool_hdr *hd)
{
	size_t	i;

	if (hd->name.p != hd->text.p || hd->name.n >= hd->text.n)
		abort();
	for (i = 0; i < hd->name.n; i++)
		if (hd->name.p[i] < 33 || hd->name.p[i] > 126 ||
		    hd->name.p[i] == ':')
			abort();
	while (i < hd->text.n &&
	    strchr(" \t\n\v\f\r", hd->text.p[i]) != NULL)
		i++;
	if (i == hd->text.n || hd->text.p[i] != ':')
		abort();
}

static void
check_h(const struct spool_h *h)
{
	size_t	i;

	inside(&h->login);
	inside(&h->sender);
	for (i = 0; i < h->nopts; i++) {
		inside(&h->opts[i].name);
		inside(&h->opts[i].value);
		if (h->opts[i].name.n == 0 ||
		    (!h->opts[i].has_value && h->opts[i].value.n > 0))
			abort();
	}
	for (i = 0; i < h->nacls; i++) {
		inside(&h->acls[i].name);
		inside(&h->acls[i].value);
		if (h->acls[i].kind != 'c' && h->acls[i].kind != 'm')
			abort();
	}
	for (i = 0; i < h->nnonrcpts; i++)
		inside(&h->nonrcpts[i]);
	if (h->nrcpts > SPOOL_RCPT_MAX)
		abort();
	for (i = 0; i < h->nrcpts; i++) {
		inside(&h->rcpts[i].addr);
		inside(&h->rcpts[i].orcpt);
		inside(&h->rcpts[i].errors_to);
		if (h->rcpts[i].addr.n == 0 || h->rcpts[i].pno < -1)
			abort();
	}
	for (i = 0; i < h->nhdrs; i++) {
		inside(&h->hdrs[i].text);
		inside(&h->hdrs[i].name);
		if (h->hdrs[i].text.n == 0 ||
		    h->hdrs[i].text.p[h->hdrs[i].text.n - 1] != '\n' ||
		    strchr(" \t\n\v\f\r", h->hdrs[i].text.p[0]) != NULL ||
		    strchr(" BCFIPRST*", h->hdrs[i].flag) == NULL ||
		    h->hdrs[i].flag == '\0')
			abort();
	}
	for (i = 0; i < h->nhdrs; i++)
		if (h->hdrs[i].name.n > 0)
			hdr_named(&h->hdrs[i]);
	/* The last header ends the file. */
	if (h->nhdrs > 0 && h->hdrs[h->nhdrs - 1].text.p +
	    h->hdrs[h->nhdrs - 1].text.n != hi)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	static FILE	*null;
	struct spool_h	 h;
	const char	*in = (const char *)buf;
	char		 id[SPOOL_ID_MAX + 1] = "1xVXF3-0002Lv-1w";
	char		 err[512];
	char		*dir;
	size_t		 k;
	int		 rc, split;

	if (null == NULL && (null = fopen("/dev/null", "w")) == NULL)
		abort();
	lo = in;
	hi = in + n;
	for (k = SPOOL_ID_OLD; k <= SPOOL_ID_NEW; k += SPOOL_ID_NEW -
	    SPOOL_ID_OLD)
		if (n > k + 2 && spool_id_len(in, k) == k &&
		    memcmp(in + k, "-H", 2) == 0) {
			memcpy(id, in, k);
			id[k] = '\0';
		}

	memset(err, 0, sizeof err);
	rc = spool_h_parse(&h, in, n, id, err, sizeof err);
	if (rc == 0) {
		if (strcmp(h.id, id) != 0)
			abort();
		check_h(&h);
		spool_h_json(null, &h);
		if (spool_h_opt(&h, "frozen") == NULL && h.frozen)
			abort();
		spool_h_free(&h);
	} else {
		if (rc != MX_DATAERR && rc != MX_TEMPFAIL)
			abort();
		one_line(err, sizeof err);
		/* Nothing to free: a second free must be harmless. */
		if (h.opts != NULL || h.rcpts != NULL || h.hdrs != NULL)
			abort();
	}

	memset(err, 0, sizeof err);
	rc = spool_d_check(in, n, id, err, sizeof err);
	if (rc != 0)
		one_line(err, sizeof err);
	else if (n < SPOOL_D_LOCKLEN(strlen(id)))
		abort();

	k = spool_id_len(in, n < SPOOL_ID_NEW ? n : SPOOL_ID_NEW);
	if (k != 0 && k != SPOOL_ID_OLD && k != SPOOL_ID_NEW)
		abort();
	if (spool_id_len(in, n) != 0 && n != SPOOL_ID_OLD &&
	    n != SPOOL_ID_NEW)
		abort();

	memset(err, 0, sizeof err);
	rc = spool_bp_parse(in, n, &dir, &split, err, sizeof err);
	if (rc == 0) {
		if (dir[0] != '/' || strchr(dir, '\n') != NULL ||
		    (split != 0 && split != 1))
			abort();
		free(dir);
	} else {
		one_line(err, sizeof err);
		if (dir != NULL)
			abort();
	}
	return 0;
}
