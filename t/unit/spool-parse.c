/*
 * spool-parse: common/spool.c's parsers, for t/41.
 *
 *	spool-parse [--json] [--id ID] FILE	FILE as the -H of ID (default:
 *						its name without "-H")
 *	spool-parse --d FILE ID			the first line of a -D
 *	spool-parse --bp < output		what exim -bP printed
 *	spool-parse --id-len S			spool_id_len of S
 *
 * A -H's fields are printed as name=value lines (cli_rec), lists as
 * count and numbered members (rcpts=2, rcpt1=..., rcpt1_orcpt=...), or
 * with --json as the tool's record has them (spool_h_json).  Malformed
 * input: 65 with the parser's one-line reason.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "spool.h"

static const char	*id_arg, *d_path, *id_len_arg;
static int		 bp;

static struct poptOption options[] = {
	{ "id", '\0', POPT_ARG_STRING, &id_arg, 0,
	  "the message id (default: from FILE's name)", "ID" },
	{ "d", '\0', POPT_ARG_STRING, &d_path, 0,
	  "check the first line of the -D file FILE", "FILE" },
	{ "bp", '\0', POPT_ARG_NONE, &bp, 0,
	  "parse exim -bP output on stdin", NULL },
	{ "id-len", '\0', POPT_ARG_STRING, &id_len_arg, 0,
	  "print spool_id_len of S", "S" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

/* The whole of fd, up to max bytes (a longer one cut there). */
static char *
slurp(int fd, const char *name, size_t max, size_t *len)
{
	char	*buf;
	size_t	 n = 0;
	ssize_t	 r;

	if ((buf = malloc(max + 1)) == NULL)
		cli_die(MX_SOFTWARE, "out of memory");
	while (n < max && (r = read(fd, buf + n, max - n)) != 0) {
		if (r == -1) {
			if (errno == EINTR)
				continue;
			cli_die(MX_IOERR, "cannot read '%s': %s", name,
			    strerror(errno));
		}
		n += r;
	}
	*len = n;
	return buf;
}

static char *
slurp_path(const char *path, size_t max, size_t *len)
{
	char	 err[512];
	char	*buf;
	int	 fd, status;

	if ((fd = cli_open_regular(path, "file", err, sizeof err,
	    &status)) == -1)
		cli_die(status, "%s", err);
	buf = slurp(fd, path, max, len);
	close(fd);
	return buf;
}

static void
str(struct cli_rec *rec, const char *name, const struct spool_str *s)
{
	cli_rec_strn(rec, name, s->p, s->n);
}

/* name%zu_suffix, for the numbered members of a list. */
static const char *
nth(const char *name, size_t i, const char *suffix)
{
	static char	buf[64];

	snprintf(buf, sizeof buf, "%s%zu%s", name, i + 1, suffix);
	return buf;
}

static void
print_h(const struct spool_h *h)
{
	struct cli_rec	 rec;
	char		 buf[256];
	size_t		 i;

	cli_rec_begin(&rec, stdout, NULL);
	cli_rec_str(&rec, "id", h->id);
	str(&rec, "login", &h->login);
	cli_rec_int(&rec, "uid", h->uid);
	cli_rec_int(&rec, "gid", h->gid);
	str(&rec, "sender", &h->sender);
	cli_rec_int(&rec, "received", h->time);
	cli_rec_int(&rec, "warnings", h->warnings);
	cli_rec_int(&rec, "frozen", h->frozen);
	cli_rec_int(&rec, "wireformat", h->wireformat);
	cli_rec_int(&rec, "opts", h->nopts);
	for (i = 0; i < h->nopts; i++) {
		str(&rec, nth("opt", i, "_name"), &h->opts[i].name);
		if (h->opts[i].has_value)
			str(&rec, nth("opt", i, "_value"), &h->opts[i].value);
		if (h->opts[i].tainted)
			cli_rec_int(&rec, nth("opt", i, "_tainted"), 1);
		if (h->opts[i].quoter.n > 0)
			str(&rec, nth("opt", i, "_quoter"),
			    &h->opts[i].quoter);
	}
	cli_rec_int(&rec, "acls", h->nacls);
	for (i = 0; i < h->nacls; i++) {
		snprintf(buf, sizeof buf, "%c%.*s", h->acls[i].kind,
		    (int)h->acls[i].name.n, h->acls[i].name.p);
		cli_rec_str(&rec, nth("acl", i, "_name"), buf);
		str(&rec, nth("acl", i, "_value"), &h->acls[i].value);
		if (h->acls[i].tainted)
			cli_rec_int(&rec, nth("acl", i, "_tainted"), 1);
	}
	cli_rec_int(&rec, "nonrcpts", h->nnonrcpts);
	for (i = 0; i < h->nnonrcpts; i++)
		str(&rec, nth("nonrcpt", i, ""), &h->nonrcpts[i]);
	cli_rec_int(&rec, "rcpts", h->nrcpts);
	for (i = 0; i < h->nrcpts; i++) {
		str(&rec, nth("rcpt", i, ""), &h->rcpts[i].addr);
		if (!h->rcpts[i].extended && h->rcpts[i].pno == -1)
			continue;
		str(&rec, nth("rcpt", i, "_orcpt"), &h->rcpts[i].orcpt);
		cli_rec_int(&rec, nth("rcpt", i, "_dsn"),
		    h->rcpts[i].dsn_flags);
		str(&rec, nth("rcpt", i, "_errors_to"),
		    &h->rcpts[i].errors_to);
		cli_rec_int(&rec, nth("rcpt", i, "_pno"), h->rcpts[i].pno);
	}
	cli_rec_int(&rec, "hdrs", h->nhdrs);
	for (i = 0; i < h->nhdrs; i++) {
		snprintf(buf, sizeof buf, "%c", h->hdrs[i].flag);
		cli_rec_str(&rec, nth("hdr", i, "_flag"), buf);
		str(&rec, nth("hdr", i, "_name"), &h->hdrs[i].name);
		cli_rec_int(&rec, nth("hdr", i, "_len"), h->hdrs[i].text.n);
	}
	cli_rec_end(&rec);
}

static int
parse_h(const char *path)
{
	struct spool_h	 h;
	const char	*base;
	char		 id[SPOOL_ID_MAX + 1], err[512];
	char		*buf;
	size_t		 len, n;
	int		 rc;

	if (id_arg == NULL) {
		base = strrchr(path, '/') != NULL ? strrchr(path, '/') + 1 :
		    path;
		n = strlen(base);
		if (n < 3 || n - 2 > SPOOL_ID_MAX ||
		    strcmp(base + n - 2, "-H") != 0)
			cli_die(MX_USAGE, "no id in '%s': give --id", path);
		memcpy(id, base, n - 2);
		id[n - 2] = '\0';
		id_arg = id;
	}
	buf = slurp_path(path, SPOOL_H_MAX + 1, &len);
	if ((rc = spool_h_parse(&h, buf, len, id_arg, err, sizeof err)) != 0)
		cli_die(rc, "cannot parse '%s': %s", path, err);
	if (cli_json) {
		fputs("{\"id\":", stdout);
		cli_json_string(stdout, h.id, strlen(h.id));
		spool_h_json(stdout, &h);
		fputs("}\n", stdout);
	} else
		print_h(&h);
	spool_h_free(&h);
	free(buf);
	return cli_flush_stdout();
}

int
main(int argc, const char **argv)
{
	poptContext	 pc;
	struct cli_rec	 rec;
	const char	*file;
	char		 err[512], *buf, *dir;
	size_t		 len;
	int		 rc, split;

	pc = cli_parse(argc, argv, options, "FILE", NULL);
	if (id_len_arg != NULL) {
		printf("%zu\n", spool_id_len(id_len_arg, strlen(id_len_arg)));
		return cli_flush_stdout();
	}
	if (bp) {
		buf = slurp(STDIN_FILENO, "stdin", 1024 * 1024, &len);
		if ((rc = spool_bp_parse(buf, len, &dir, &split, err,
		    sizeof err)) != 0)
			cli_die(rc, "cannot parse exim -bP output: %s", err);
		cli_rec_begin(&rec, stdout, NULL);
		cli_rec_str(&rec, "spool_directory", dir);
		cli_rec_int(&rec, "split_spool_directory", split);
		cli_rec_end(&rec);
		free(dir);
		free(buf);
		return cli_flush_stdout();
	}
	if (d_path != NULL) {
		if ((file = poptGetArg(pc)) == NULL || poptPeekArg(pc) != NULL)
			cli_die(MX_USAGE, "usage: spool-parse --d FILE ID");
		buf = slurp_path(d_path, SPOOL_ID_MAX + 3, &len);
		if ((rc = spool_d_check(buf, len, file, err,
		    sizeof err)) != 0)
			cli_die(rc, "cannot check '%s': %s", d_path, err);
		puts("ok");
		free(buf);
		return cli_flush_stdout();
	}
	if ((file = poptGetArg(pc)) == NULL || poptPeekArg(pc) != NULL)
		cli_die(MX_USAGE, "usage: spool-parse [--json] [--id ID] "
		    "FILE");
	rc = parse_h(file);
	poptFreeContext(pc);
	return rc;
}
