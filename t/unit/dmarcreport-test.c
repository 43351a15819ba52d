/*
 * dmarcreport-test: common/dmarcreport.c driven from the command line for
 * t/86-dmarc-history.t and t/89-dmarc-forensic.t, with the verdict given
 * as options (what dmarc_check would have found), so that the history
 * and the report can be checked apart from the verdict.
 *
 *	dmarcreport-test history [--history FILE [--count N]] [facts] < msg
 *	dmarcreport-test forensic [--dns-zone FILE] [--sender A] [facts] < msg
 *
 * history prints the record, or appends it to FILE (N records, job ids
 * JOB.1 to JOB.N, one append each); forensic prints the report and exits
 * 0, or exits 1 when there is none to send.  A failed append gets the
 * diagnostic and the status dmarc_history_append gave.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "dmarcreport.h"
#include "dns.h"
#include "msg.h"

static struct dmarc_dkim	 dkim[300];
static char			*dkimtext[300];
static struct dmarc_verdict	 v;
static struct dmarc_input	 in;
static struct dmarc_facts	 f;
static struct arc_result	 arc;
static size_t			 ndkim;

static char	*opt_ip, *opt_from, *opt_mfrom, *opt_spf, *opt_spf_domain;
static char	*opt_status, *opt_record_domain, *opt_org, *opt_p, *opt_sp;
static char	*opt_adkim, *opt_aspf, *opt_fo, *opt_disp, *opt_job;
static char	*opt_reporter, *opt_arc, *opt_history, *opt_sender;
static long	 opt_received = 1700000000, opt_pct = 100, opt_count;
static long	 opt_lib_policy;
static int	 opt_helo, opt_align_spf, opt_align_dkim, opt_no_record;

/* The string options' values, in strs[] order, after the others. */
enum {
	O_DKIM = 1, O_RUA, O_RUF,
	S_IP, S_FROM, S_MFROM, S_SPF, S_SPF_DOMAIN,
	S_STATUS, S_RECORD_DOMAIN, S_ORG, S_P, S_SP,
	S_ADKIM, S_ASPF, S_FO, S_DISP, S_JOB,
	S_REPORTER, S_ARC, S_HISTORY, S_SENDER, S_END
};
static char	**const strs[] = {
	&opt_ip, &opt_from, &opt_mfrom, &opt_spf, &opt_spf_domain,
	&opt_status, &opt_record_domain, &opt_org, &opt_p, &opt_sp,
	&opt_adkim, &opt_aspf, &opt_fo, &opt_disp, &opt_job,
	&opt_reporter, &opt_arc, &opt_history, &opt_sender
};

static struct poptOption options[] = {
	{ "ip", '\0', POPT_ARG_STRING, NULL, S_IP, "client", "IP" },
	{ "from", '\0', POPT_ARG_STRING, NULL, S_FROM, "From domain", "D" },
	{ "mfrom", '\0', POPT_ARG_STRING, NULL, S_MFROM, "MAIL FROM", "D" },
	{ "spf", '\0', POPT_ARG_STRING, NULL, S_SPF, "SPF result", "R" },
	{ "spf-domain", '\0', POPT_ARG_STRING, NULL, S_SPF_DOMAIN,
	  "SPF domain", "D" },
	{ "helo", '\0', POPT_ARG_NONE, &opt_helo, 0, "SPF checked HELO",
	  NULL },
	{ "dkim", '\0', POPT_ARG_STRING, NULL, O_DKIM, "a signature",
	  "D:S:pass|fail|invalid|temperror" },
	{ "status", '\0', POPT_ARG_STRING, NULL, S_STATUS, "verdict", "W" },
	{ "no-record", '\0', POPT_ARG_NONE, &opt_no_record, 0, "no record",
	  NULL },
	{ "record-domain", '\0', POPT_ARG_STRING, NULL, S_RECORD_DOMAIN,
	  "where the record was", "D" },
	{ "org-domain", '\0', POPT_ARG_STRING, NULL, S_ORG, "org domain",
	  "D" },
	{ "p", '\0', POPT_ARG_STRING, NULL, S_P, "p=", "n|q|r" },
	{ "sp", '\0', POPT_ARG_STRING, NULL, S_SP, "sp=", "n|q|r" },
	{ "adkim", '\0', POPT_ARG_STRING, NULL, S_ADKIM, "adkim=", "r|s" },
	{ "aspf", '\0', POPT_ARG_STRING, NULL, S_ASPF, "aspf=", "r|s" },
	{ "pct", '\0', POPT_ARG_LONG, &opt_pct, 0, "pct=", "N" },
	{ "fo", '\0', POPT_ARG_STRING, NULL, S_FO, "fo=", "LIST" },
	{ "rua", '\0', POPT_ARG_STRING, NULL, O_RUA, "rua= URI", "URI" },
	{ "ruf", '\0', POPT_ARG_STRING, NULL, O_RUF, "ruf= URI, !bytes",
	  "URI[!N]" },
	{ "align-spf", '\0', POPT_ARG_NONE, &opt_align_spf, 0, "aligned",
	  NULL },
	{ "align-dkim", '\0', POPT_ARG_NONE, &opt_align_dkim, 0, "aligned",
	  NULL },
	{ "lib-policy", '\0', POPT_ARG_LONG, &opt_lib_policy, 0,
	  "libopendmarc's policy", "N" },
	{ "disposition", '\0', POPT_ARG_STRING, NULL, S_DISP, "after pct",
	  "n|q|r" },
	{ "job", '\0', POPT_ARG_STRING, NULL, S_JOB, "job id", "ID" },
	{ "reporter", '\0', POPT_ARG_STRING, NULL, S_REPORTER, "reporter",
	  "NAME" },
	{ "received", '\0', POPT_ARG_LONG, &opt_received, 0, "time", "T" },
	{ "arc", '\0', POPT_ARG_STRING, NULL, S_ARC, "ARC result",
	  "pass|fail|none|tempfail:N" },
	{ "history", '\0', POPT_ARG_STRING, NULL, S_HISTORY, "append to",
	  "FILE" },
	{ "count", '\0', POPT_ARG_LONG, &opt_count, 0, "records", "N" },
	{ "sender", '\0', POPT_ARG_STRING, NULL, S_SENDER, "report From",
	  "ADDR" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, dns_options, 0,
	  "DNS options:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

static int
policy(const char *s)
{
	if (s == NULL)
		return DMARC_P_UNSET;
	switch (*s) {
	case 'n':
		return DMARC_P_NONE;
	case 'q':
		return DMARC_P_QUARANTINE;
	case 'r':
		return DMARC_P_REJECT;
	}
	cli_die(MX_USAGE, "bad policy '%s'", s);
}

static void
add_uri(struct dmarc_uri *u, size_t *n, const char *s)
{
	const char	*bang;

	if (*n == DMARC_URI_MAX)
		cli_die(MX_USAGE, "too many URIs");
	bang = strrchr(s, '!');
	snprintf(u[*n].uri, sizeof u[*n].uri, "%.*s",
	    (int)(bang != NULL ? bang - s : (long)strlen(s)), s);
	u[*n].limit = bang != NULL ? strtoull(bang + 1, NULL, 10) : 0;
	(*n)++;
}

static void
onopt(poptContext pc, int val)
{
	const char	*a = poptGetOptArg(pc);
	char		*s, *c1, *c2;

	switch (val) {
	case O_DKIM:
		if (ndkim == sizeof dkim / sizeof dkim[0])
			cli_die(MX_USAGE, "too many --dkim");
		if ((s = strdup(a)) == NULL)
			cli_die(MX_SOFTWARE, "out of memory");
		dkimtext[ndkim] = s;
		if ((c1 = strchr(s, ':')) == NULL ||
		    (c2 = strchr(c1 + 1, ':')) == NULL)
			cli_die(MX_USAGE, "bad --dkim '%s'", a);
		*c1++ = *c2++ = '\0';
		dkim[ndkim].domain = s;
		dkim[ndkim].selector = *c1 != '\0' ? c1 : NULL;
		if (strcmp(c2, "pass") == 0)
			dkim[ndkim].status = DKIM_VPASS;
		else if (strcmp(c2, "fail") == 0)
			dkim[ndkim].status = DKIM_VFAIL;
		else if (strcmp(c2, "invalid") == 0)
			dkim[ndkim].status = DKIM_VINVALID;
		else if (strcmp(c2, "temperror") == 0) {
			dkim[ndkim].status = DKIM_VINVALID;
			dkim[ndkim].temperror = 1;
		} else
			cli_die(MX_USAGE, "bad --dkim '%s'", a);
		ndkim++;
		break;
	case O_RUA:
		add_uri(v.rec.rua, &v.rec.nrua, a);
		break;
	case O_RUF:
		add_uri(v.rec.ruf, &v.rec.nruf, a);
		break;
	default:
		/* popt would leak the copy an option given twice drops */
		if (val >= S_IP && val < S_END) {
			free(*strs[val - S_IP]);
			*strs[val - S_IP] = (char *)a;
			return;
		}
	}
	free((char *)a);
}

static const char *const spf_words[] = {
	"none", "neutral", "pass", "fail", "softfail", "temperror",
	"permerror", NULL
};
static const char *const status_words[] = {
	"accept", "reject", "quarantine", "none", "norecord", "nofrom",
	"temperror", "off", NULL
};

static int
word(const char *const *w, const char *s, const char *what)
{
	int	i;

	for (i = 0; w[i] != NULL; i++)
		if (strcmp(w[i], s) == 0)
			return i;
	cli_die(MX_USAGE, "bad %s '%s'", what, s);
}

static void
setup(void)
{
	char	*c;

	in.ip = opt_ip;
	in.from_domain = opt_from;
	in.spf = opt_spf != NULL ? word(spf_words, opt_spf, "--spf") :
	    SPF_NONE;
	in.spf_domain = opt_spf_domain;
	in.spf_helo = opt_helo;
	in.dkim = dkim;
	in.ndkim = ndkim;
	v.status = opt_status != NULL ? word(status_words, opt_status,
	    "--status") : DMARC_ACCEPT;
	snprintf(v.used_domain, sizeof v.used_domain, "%s",
	    opt_from != NULL ? opt_from : "");
	snprintf(v.record_domain, sizeof v.record_domain, "%s",
	    opt_record_domain != NULL ? opt_record_domain : v.used_domain);
	snprintf(v.org_domain, sizeof v.org_domain, "%s",
	    opt_org != NULL ? opt_org : v.record_domain);
	v.have_record = !opt_no_record;
	v.rec.p = policy(opt_p != NULL ? opt_p : "n");
	v.rec.sp_given = opt_sp != NULL;
	v.rec.sp = opt_sp != NULL ? policy(opt_sp) : v.rec.p;
	v.rec.adkim = opt_adkim != NULL ? *opt_adkim : 'r';
	v.rec.aspf = opt_aspf != NULL ? *opt_aspf : 'r';
	v.rec.pct = (int)opt_pct;
	snprintf(v.rec.fo, sizeof v.rec.fo, "%s", opt_fo != NULL ? opt_fo :
	    "0");
	v.rec.ri = 86400;
	v.policy = v.rec.p;
	v.align_spf = opt_align_spf;
	v.align_dkim = opt_align_dkim;
	v.disposition = opt_disp != NULL ? policy(opt_disp) :
	    v.status == DMARC_REJECT ? DMARC_P_REJECT :
	    v.status == DMARC_QUARANTINE ? DMARC_P_QUARANTINE : DMARC_P_NONE;
	v.lib_policy = (int)opt_lib_policy;
	f.job = opt_job;
	f.reporter = opt_reporter;
	f.received = (time_t)opt_received;
	f.mfrom_domain = opt_mfrom;
	if (opt_arc != NULL) {
		c = strchr(opt_arc, ':');
		arc.n = c != NULL ? atoi(c + 1) : 0;
		if (strncmp(opt_arc, "pass", 4) == 0)
			arc.state = ARC_PASS;
		else if (strncmp(opt_arc, "fail", 4) == 0)
			arc.state = ARC_FAIL;
		else if (strncmp(opt_arc, "tempfail", 8) == 0)
			arc.tempfail = 1;
		f.arc = &arc;
	}
}

static int
history(struct msg *m)
{
	struct buf	 b = { 0 };
	char		 err[512], job[256];
	long		 k, n = opt_count > 0 ? opt_count : 1;
	int		 rc;

	for (k = 1; k <= n; k++) {
		if (opt_count > 0) {
			snprintf(job, sizeof job, "%s.%ld",
			    opt_job != NULL ? opt_job : "job", k);
			f.job = job;
		}
		b.len = 0;
		if (dmarc_history_format(&b, m, &in, &v, &f) < 0)
			cli_die(MX_SOFTWARE, "out of memory");
		if (opt_history == NULL) {
			fwrite(b.p, 1, b.len, stdout);
			continue;
		}
		rc = dmarc_history_append(opt_history, b.p, b.len, err,
		    sizeof err);
		if (rc != 0) {
			buf_free(&b);
			cli_die(rc, "cannot append to '%s': %s", opt_history,
			    err);
		}
	}
	buf_free(&b);
	return cli_flush_stdout();
}

static int
forensic(struct msg *m)
{
	struct buf	 b = { 0 };
	struct dns	*d = NULL;
	char		 err[512];
	int		 rc;

	if ((dns_opt_zone != NULL || dns_opt_resolver != NULL) &&
	    (d = dns_new(dns_opt_resolver, dns_opt_zone, dns_opt_timeout, err,
	    sizeof err)) == NULL)
		cli_die(dns_new_status(errno), "%s", err);
	rc = dmarc_forensic(&b, m, d, &in, &v, &f, opt_sender);
	dns_free(d);
	if (rc < 0)
		cli_die(MX_SOFTWARE, "cannot build the report");
	fwrite(b.p, 1, b.len, stdout);
	buf_free(&b);
	if (cli_flush_stdout() != 0)
		return MX_IOERR;
	return rc == 1 ? 0 : 1;
}

int
main(int argc, const char **argv)
{
	poptContext	 pc;
	struct msg	*m;
	const char	*mode;
	char		 err[512];
	int		 rc;
	size_t		 i;

	pc = cli_parse(argc, argv, options, "history|forensic", onopt);
	if ((mode = poptGetArg(pc)) == NULL)
		cli_die(MX_USAGE, "no mode");
	setup();
	if ((m = msg_new(MSG_MEM_DEFAULT)) == NULL)
		cli_die(MX_SOFTWARE, "out of memory");
	if ((rc = msg_read_fd(m, 0, err, sizeof err)) != 0)
		cli_die(rc, "cannot read the message: %s", err);
	if (strcmp(mode, "history") == 0)
		rc = history(m);
	else if (strcmp(mode, "forensic") == 0)
		rc = forensic(m);
	else
		cli_die(MX_USAGE, "bad mode '%s'", mode);
	msg_free(m);
	for (i = 0; i < ndkim; i++)
		free(dkimtext[i]);
	for (i = 0; i < sizeof strs / sizeof strs[0]; i++)
		free(*strs[i]);
	poptFreeContext(pc);
	return rc;
}
