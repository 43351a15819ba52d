/*
 * spoolcopy-run: common/spoolcopy.c driven from the command line, for
 * t/42 and as a stand-in for queuefile-copy until it lands.
 *
 *	spoolcopy-run [--check] [--link] [--replace] [--no-lock] [--split]
 *	    [--remove] [--mode M] [--uid U --gid G] [--owner-from-dir] [--all]
 *	    SRC DST [ID...]
 *
 * SRC is the input directory read, DST the one written (ignored with
 * --check).  The ids are the arguments, or with --all every message of
 * SRC (spool_list), or else one per line on stdin.  Prints "ID result
 * status err" per message, and exits as queuefile-copy does: 0 when every
 * message is done, 75 when one failed for a temporary reason, else the
 * status of the first failure.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "spool.h"
#include "spoolcopy.h"

static int	 check, link_, replace, nolock, split, remove_, all;
static int	 from_dir, have_uid, have_gid;
static char	*mode_s, *uid_s, *gid_s;

static struct poptOption options[] = {
	{ "check", '\0', POPT_ARG_NONE, &check, 0, "validate only", NULL },
	{ "link", '\0', POPT_ARG_NONE, &link_, 0, "hard-link -D", NULL },
	{ "replace", '\0', POPT_ARG_NONE, &replace, 0, "replace", NULL },
	{ "no-lock", '\0', POPT_ARG_NONE, &nolock, 0, "no lock", NULL },
	{ "split", '\0', POPT_ARG_NONE, &split, 0, "split target", NULL },
	{ "remove", '\0', POPT_ARG_NONE, &remove_, 0, "remove sources",
	  NULL },
	{ "mode", '\0', POPT_ARG_STRING, &mode_s, 0, "mode", "M" },
	{ "uid", '\0', POPT_ARG_STRING, &uid_s, 0, "owner", "U" },
	{ "gid", '\0', POPT_ARG_STRING, &gid_s, 0, "group", "G" },
	{ "owner-from-dir", '\0', POPT_ARG_NONE, &from_dir, 0,
	  "owner of DST", NULL },
	{ "all", '\0', POPT_ARG_NONE, &all, 0, "every message of SRC", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

static int	status;

static void
done(void *arg, const struct spoolcopy_result *r)
{
	(void)arg;
	printf("%s %s %d %s\n", r->id, r->result, r->status,
	    r->status ? r->err : "-");
	/* Out as it is known, as queuefile-copy's are. */
	fflush(stdout);
	if (r->status == 0)
		return;
	if (r->status == MX_TEMPFAIL)
		status = MX_TEMPFAIL;
	else if (status == 0)
		status = r->status;
}

static int
add_one(void *arg, const char *id, size_t n)
{
	spoolcopy_add(arg, id, n);
	return 0;
}

static int
add_line(void *arg, const char *line, size_t n, unsigned long no)
{
	(void)no;
	if (line == NULL)
		return 0;
	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	while (n > 0 && (*line == ' ' || *line == '\t')) {
		line++;
		n--;
	}
	if (n > 0)
		spoolcopy_add(arg, line, n);
	return 0;
}

int
main(int argc, const char **argv)
{
	struct spoolcopy_opts	 o;
	struct spoolcopy	*sc;
	poptContext		 pc;
	const char		*src, *dst, *a;
	char			 err[2048];
	int			 rc;

	pc = cli_parse(argc, argv, options, "SRC DST [ID...]", NULL);
	if ((src = poptGetArg(pc)) == NULL || (dst = poptGetArg(pc)) == NULL)
		cli_die(MX_USAGE, "usage: spoolcopy-run [options] SRC DST "
		    "[ID...]");
	memset(&o, 0, sizeof o);
	o.lock = !nolock;
	o.link = link_;
	o.replace = replace;
	o.check = check;
	o.dst_split = split;
	o.remove_src = remove_;
	o.owner_from_dir = from_dir;
	o.mode = mode_s ? (mode_t)strtol(mode_s, NULL, 8) : 0640;
	have_uid = uid_s != NULL;
	have_gid = gid_s != NULL;
	if (have_uid != have_gid)
		cli_die(MX_USAGE, "--uid and --gid go together");
	if (have_uid) {
		o.owner_set = 1;
		o.uid = cli_num("--uid", uid_s, 0, 0x7fffffff);
		o.gid = cli_num("--gid", gid_s, 0, 0x7fffffff);
	}
	if ((sc = spoolcopy_new(src, check ? NULL : dst, &o, done, NULL, err,
	    sizeof err)) == NULL)
		cli_die(MX_TEMPFAIL, "%s", err);
	if (all) {
		/* What could be listed is done, the failure said after. */
		if ((rc = spool_list(src, add_one, sc, err, sizeof err)) != 0) {
			cli_warn("%s", err);
			status = rc == MX_TEMPFAIL || status == 0 ? rc : status;
		}
	} else if (poptPeekArg(pc) != NULL) {
		while ((a = poptGetArg(pc)) != NULL)
			spoolcopy_add(sc, a, strlen(a));
	} else if (cli_lines(0, 1024, add_line, sc) < 0) {
		spoolcopy_free(sc);
		cli_die(MX_TEMPFAIL, "cannot read standard input");
	}
	spoolcopy_flush(sc);
	spoolcopy_free(sc);
	poptFreeContext(pc);
	if (cli_flush_stdout() != 0)
		return MX_TEMPFAIL;
	return status;
}
