/*
 * dmarc-check: the DMARC verdict (RFC 7489) for arriving messages, with
 * SPF and DKIM computed here or taken as given, reported under Exim's
 * names or added as an Authentication-Results field; the history record
 * for opendmarc-import and the failure report on request.
 */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "arc.h"
#include "authres.h"
#include "canon.h"
#include "cli.h"
#include "dkim.h"
#include "dkimverify.h"
#include "dmarc.h"
#include "dmarcfacts.h"
#include "dmarcreport.h"
#include "dns.h"
#include "msg.h"
#include "psl.h"
#include "spf.h"

#define OPT_DKIM	1
#define DKIM_GIVEN_MAX	DKIM_VERIFY_MAX

static char	*accept_list = "accept:none:norecord:off",
		*add_header, *remote_ip, *mail_from, *helo, *spf_opt,
		*authserv_id, *tld_file, *history, *job, *reporter,
		*forensic, *forensic_sender;
static int	 no_sampling, disable, arc_opt, with_filename, no_filename;
static time_t	 now;

static struct poptOption options[] = {
	{ "ip", '\0', POPT_ARG_STRING, &remote_ip, 0,
	  "the SMTP client's address", "ADDR" },
	{ "mail-from", '\0', POPT_ARG_STRING, &mail_from, 0,
	  "the envelope sender ('' for the null sender)", "ADDR" },
	{ "helo", '\0', POPT_ARG_STRING, &helo, 0,
	  "the client's HELO or EHLO name", "NAME" },
	{ "spf", '\0', POPT_ARG_STRING, &spf_opt, 0,
	  "take this SPF result instead of computing it", "RESULT" },
	{ "dkim", '\0', POPT_ARG_STRING, NULL, OPT_DKIM,
	  "take this result of a signature of DOMAIN instead of verifying "
	  "(repeat for each)", "DOMAIN:RESULT" },
	{ "authserv-id", '\0', POPT_ARG_STRING, &authserv_id, 0,
	  "take SPF and DKIM from our Authentication-Results fields of this "
	  "authserv-id", "ID" },
	{ "accept", '\0', POPT_ARG_STRING, &accept_list, 0,
	  "exit 0 when dmarc_status is in this Exim list (default "
	  "accept:none:norecord:off)", "LIST" },
	{ "disable", '\0', POPT_ARG_NONE, &disable, 0,
	  "no DMARC check: dmarc_status is off", NULL },
	{ "no-sampling", '\0', POPT_ARG_NONE, &no_sampling, 0,
	  "apply the policy as published, whatever pct= says", NULL },
	{ "tld-file", '\0', POPT_ARG_STRING, &tld_file, 0,
	  "the public suffix list (default " PSL_DEFAULT ")", "FILE" },
	{ "add-header", '\0', POPT_ARG_STRING, &add_header, 0,
	  "filter: write the message with an Authentication-Results field "
	  "of this authserv-id on top", "AUTHSERV-ID" },
	{ "arc", '\0', POPT_ARG_NONE, &arc_opt, 0,
	  "validate the ARC chain too (reported, never applied)", NULL },
	{ "history", '\0', POPT_ARG_STRING, &history, 0,
	  "append a record for opendmarc-import to FILE", "FILE" },
	{ "job", '\0', POPT_ARG_STRING, &job, 0,
	  "the history record's job id (a queue id; one message)", "ID" },
	{ "reporter", '\0', POPT_ARG_STRING, &reporter, 0,
	  "this host: the history's reporter, SPF's %{r} (default: the "
	  "host name)",
	  "NAME" },
	{ "forensic", '\0', POPT_ARG_STRING, &forensic, 0,
	  "write a failure report for ruf= to FILE, or - for standard "
	  "output (one message)", "FILE" },
	{ "forensic-sender", '\0', POPT_ARG_STRING, &forensic_sender, 0,
	  "the failure report's From (default postmaster@ the reporter)",
	  "ADDR" },
	{ "time", '\0', POPT_ARG_STRING, NULL, CLI_OPT_TIME,
	  "judge as at this time (seconds since the epoch)", "T" },
	{ "with-filename", 'H', POPT_ARG_NONE, &with_filename, 0,
	  "start each result with its file name, even for one file", NULL },
	{ "no-filename", '\0', POPT_ARG_NONE, &no_filename, 0,
	  "no file names before the results, even for several files", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, dns_options, 0,
	  "DNS options:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

/* --dkim facts, in the order given. */
static struct given {
	char			 domain[256];
	enum dkim_vstatus	 status;
	int			 temperror;
}		 given[DKIM_GIVEN_MAX];
static size_t	 ngiven;
static int	 dkim_opt;

static struct dns	*dns;
static struct dmarc_ctx	*dctx;
static enum spf_result	 spf_given;
static char		 hostname[256];

static void
onopt(poptContext pc, int val)
{
	struct given	*g;
	char		*arg, *colon;
	int		 r;

	if (val != OPT_DKIM)
		return;
	arg = poptGetOptArg(pc);
	dkim_opt = 1;
	/* "none" alone: no signature at all. */
	if (strcasecmp(arg, "none") == 0) {
		free(arg);
		return;
	}
	if ((colon = strrchr(arg, ':')) == NULL)
		cli_die(MX_USAGE, "bad --dkim '%s': want DOMAIN:RESULT", arg);
	*colon = '\0';
	if (ngiven == DKIM_GIVEN_MAX)
		cli_die(MX_USAGE, "more than %d --dkim", DKIM_GIVEN_MAX);
	g = &given[ngiven];
	if ((r = dmarcfacts_dkim_word(colon + 1, &g->status,
	    &g->temperror)) < 0) {
		*colon = ':';
		cli_die(MX_USAGE, "bad --dkim '%s': the result is one of pass, "
		    "fail, invalid, temperror, permerror, none", arg);
	}
	if (!dkim_name_ok(arg) || strlen(arg) >= sizeof g->domain) {
		*colon = ':';
		cli_die(MX_USAGE, "bad --dkim '%s': not a domain", arg);
	}
	if (r == 0) {
		dmarcfacts_domain(g->domain, sizeof g->domain, arg);
		ngiven++;
	}
	free(arg);
}

/* SPF and DKIM for m: given, from our A-R fields, or computed here. */
static int
get_facts(struct msg *m, struct dmarcfacts *f, const char *name)
{
	struct spf_request	 rq;
	size_t			 i;

	memset(f, 0, sizeof *f);
	if (mail_from != NULL) {
		snprintf(f->mfrom, sizeof f->mfrom, "%s", mail_from);
		if (addr_domain(mail_from, f->mfrom_domain,
		    sizeof f->mfrom_domain) != 0)
			f->mfrom_domain[0] = '\0';
	}
	if (dkim_opt) {
		if (ngiven > 0 && (f->sigs = calloc(ngiven,
		    sizeof *f->sigs)) == NULL)
			return -1;
		for (i = 0; i < ngiven; i++) {
			f->sigs[i].status = given[i].status;
			f->sigs[i].temperror = given[i].temperror;
			f->sigs[i].alg = -1;
			memcpy(f->sigs[i].domain, given[i].domain,
			    sizeof f->sigs[i].domain);
		}
		f->nsigs = ngiven;
	}
	if (spf_opt != NULL) {
		f->spf.result = spf_given;
		f->spf_have = 1;
		/* RFC 7208 2.4: the null sender's identity is the HELO. */
		if (f->mfrom_domain[0] != '\0')
			snprintf(f->spf_domain, sizeof f->spf_domain, "%s",
			    f->mfrom_domain);
		else if (helo != NULL && mail_from != NULL &&
		    *mail_from == '\0') {
			dmarcfacts_domain(f->spf_domain, sizeof f->spf_domain,
			    helo);
			f->spf_helo = 1;
		}
	}
	if (authserv_id != NULL && (spf_opt == NULL || !dkim_opt) &&
	    dmarcfacts_from_authres(m, authserv_id, f, spf_opt == NULL,
	    !dkim_opt) < 0)
		return -1;
	if (f->spf_unknown[0] != '\0')
		cli_warn("unknown spf result '%s' in '%s', taken as permerror",
		    f->spf_unknown, name);
	if (authserv_id != NULL) {
		/* Ours said nothing of it: there was nothing. */
		f->spf_have = 1;
	} else if (spf_opt == NULL && *remote_ip == '\0') {
		/* No client (a local submission): no SPF to check. */
		f->spf_have = 1;
	} else if (spf_opt == NULL) {
		memset(&rq, 0, sizeof rq);
		rq.ip = remote_ip;
		rq.mail_from = mail_from;
		rq.helo = helo;
		rq.receiver = reporter;
		rq.now = now;
		if (spf_check(dns, &rq, &f->spf) < 0) {
			cli_warn("cannot check spf for '%s': %s", name,
			    f->spf.reason[0] ? f->spf.reason :
			    "out of memory");
			return -1;
		}
		f->spf_have = 1;
		snprintf(f->spf_domain, sizeof f->spf_domain, "%s",
		    f->spf.domain);
		f->spf_helo = f->spf.helo;
	}
	if (!dkim_opt && authserv_id == NULL &&
	    dkim_verify(m, dns, now, &f->sigs, &f->nsigs) < 0) {
		cli_warn("cannot verify dkim of '%s': out of memory or a "
		    "read error", name);
		return -1;
	}
	return dmarcfacts_dkim(f);
}

/* The name=value record (or JSON object) of one message. */
static void
record(const char *prefix, const struct dmarcfacts *f,
    const struct dmarc_verdict *v, const struct arc_result *arc)
{
	struct cli_rec	 rec;
	struct buf	 st = { 0 }, dom = { 0 };
	size_t		 i;

	for (i = 0; i < f->nsigs; i++)
		if ((i > 0 && (buf_addstr(&st, ":") < 0 ||
		    buf_addstr(&dom, ":") < 0)) ||
		    buf_addstr(&st, dkim_vstatus_name(f->sigs[i].status)) < 0 ||
		    buf_addstr(&dom, f->sigs[i].domain) < 0)
			cli_die(MX_SOFTWARE, "out of memory");
	cli_rec_begin(&rec, stdout, prefix);
	cli_rec_str(&rec, "dmarc_status", dmarc_status_name(v->status));
	cli_rec_str(&rec, "dmarc_status_text", dmarc_status_text(v->status));
	cli_rec_str(&rec, "dmarc_used_domain", v->used_domain);
	cli_rec_str(&rec, "dmarc_domain_policy", v->have_record ?
	    dmarc_policy_name(v->policy) : "");
	cli_rec_str(&rec, "dmarc_alignment_spf", v->align_spf ? "yes" : "no");
	cli_rec_str(&rec, "dmarc_alignment_dkim", v->align_dkim ? "yes" :
	    "no");
	cli_rec_str(&rec, "spf_result", spf_result_name(f->spf.result));
	cli_rec_str(&rec, "spf_header_comment", f->spf.header_comment);
	cli_rec_str(&rec, "spf_smtp_comment", f->spf.smtp_comment);
	cli_rec_str(&rec, "spf_used_domain", f->spf_domain);
	cli_rec_strn(&rec, "dkim_verify_status", f->nsigs ? st.p : "none",
	    f->nsigs ? st.len : 4);
	cli_rec_strn(&rec, "dkim_domains", f->nsigs ? dom.p : "", dom.len);
	if (arc != NULL)
		cli_rec_str(&rec, "arc_state", arc_state_name(arc->state));
	/* The signatures one by one, as objects, where JSON can say it. */
	if (rec.json) {
		cli_rec_name(&rec, "dkim");
		putc('[', stdout);
		for (i = 0; i < f->nsigs; i++) {
			const struct dkim_sig	*s = &f->sigs[i];

			fputs(i ? ",{\"domain\":" : "{\"domain\":", stdout);
			cli_json_string(stdout, s->domain, strlen(s->domain));
			fputs(",\"selector\":", stdout);
			cli_json_string(stdout, s->selector,
			    strlen(s->selector));
			fputs(",\"status\":", stdout);
			cli_json_string(stdout, dkim_vstatus_name(s->status),
			    strlen(dkim_vstatus_name(s->status)));
			fprintf(stdout, ",\"temperror\":%s,\"reason\":",
			    s->temperror ? "true" : "false");
			cli_json_string(stdout, s->reason, strlen(s->reason));
			putc('}', stdout);
		}
		putc(']', stdout);
	}
	cli_rec_end(&rec);
	buf_free(&st);
	buf_free(&dom);
}

/*
 * Whether --forensic FILE may be replaced or removed: missing, or a
 * regular file.  The report takes its place by rename and a stale one is
 * removed, so a device, a FIFO or a link there would be destroyed.
 */
static int
forensic_ok(void)
{
	struct stat	st;

	return lstat(forensic, &st) < 0 ? errno == ENOENT :
	    S_ISREG(st.st_mode);
}

/* The report to --forensic FILE, whole or not at all. */
static int
write_report(const struct buf *b, char *err, size_t errlen)
{
	char		 dir[PATH_MAX];
	const char	*slash = strrchr(forensic, '/');

	if (!forensic_ok()) {
		snprintf(err, errlen, "cannot write '%s': not a regular file",
		    forensic);
		return MX_CANTCREAT;
	}
	if (slash == NULL)
		return msg_write_bytes(".", forensic, b->p, b->len, err,
		    errlen);
	if (snprintf(dir, sizeof dir, "%.*s", (int)(slash - forensic) +
	    (slash == forensic), forensic) >= (int)sizeof dir) {
		snprintf(err, errlen, "cannot write '%s': name too long",
		    forensic);
		return MX_CANTCREAT;
	}
	return msg_write_bytes(dir, slash + 1, b->p, b->len, err, errlen);
}

/* --forensic: the report, when the verdict and fo= call for one. */
static int
report(struct msg *m, const struct dmarc_input *in,
    const struct dmarc_verdict *v, const struct dmarc_facts *df,
    const char *name)
{
	struct buf	 b = { 0 };
	char		 err[PATH_MAX + 128];
	int		 r, rc = MX_OK;

	if ((r = dmarc_forensic(&b, m, dns, in, v, df, forensic_sender)) < 0) {
		cli_warn("cannot build a failure report on '%s': out of "
		    "memory or a read error", name);
		rc = MX_SOFTWARE;
	} else if (r == 0) {
		cli_info("%s: no failure report to send", name);
		/* No stale report left to be sent again. */
		if (strcmp(forensic, "-") != 0 && forensic_ok() &&
		    unlink(forensic) < 0 && errno != ENOENT) {
			cli_warn("cannot remove '%s': %s", forensic,
			    strerror(errno));
			rc = MX_CANTCREAT;
		}
	} else if (strcmp(forensic, "-") == 0) {
		if (fwrite(b.p, 1, b.len, stdout) != b.len)
			rc = MX_IOERR;
	} else if (write_report(&b, err, sizeof err) != 0) {
		cli_warn("%s", err);
		rc = MX_CANTCREAT;
	}
	buf_free(&b);
	return rc;
}

/* --history: the record, in one locked write. */
static int
log_history(struct msg *m, const struct dmarc_input *in,
    const struct dmarc_verdict *v, const struct dmarc_facts *df,
    const char *name)
{
	struct buf	 b = { 0 };
	char		 err[512];
	int		 rc;

	if (dmarc_history_format(&b, m, in, v, df) < 0) {
		cli_warn("cannot write history of '%s': out of memory", name);
		buf_free(&b);
		return MX_TEMPFAIL;
	}
	/* No DMARC record, or no client address: nothing to aggregate. */
	if (b.len == 0) {
		cli_info("%s: no history record", name);
		return MX_OK;
	}
	rc = dmarc_history_append(history, b.p, b.len, err, sizeof err);
	buf_free(&b);
	if (rc != 0) {
		cli_warn("cannot append to history '%s': %s", history, err);
		/* The record is owed: the MTA keeps the message, retries. */
		return MX_TEMPFAIL;
	}
	return MX_OK;
}

static int
one(const char *path, const char *prefix)
{
	char			 shown[CLI_SHOWN_NAME];
	const char		*name = strcmp(path, "-") == 0 ? "stdin" :
				    cli_show(path, strlen(path), CLI_SHOW_NAME,
				    shown, sizeof shown);
	struct msg		*m;
	struct dmarcfacts		 f;
	struct dmarc_input	 in;
	struct dmarc_verdict	 v;
	struct dmarc_facts	 df;
	struct arc_result	 arc;
	struct buf		 field = { 0 };
	const char		*why = "";
	char			 err[256], fdom[256];
	int			 rc;

	if ((m = msg_new(MSG_MEM_DEFAULT)) == NULL)
		cli_die(add_header ? MX_TEMPFAIL : MX_SOFTWARE,
		    "out of memory");
	if ((rc = msg_read_path(m, path, err, sizeof err)) != 0) {
		cli_warn("cannot read '%s': %s", name, err);
		msg_free(m);
		/* A filter that cannot read its message now may later. */
		return add_header ? cli_filter_status(rc, 0) : rc;
	}
	if (get_facts(m, &f, name) < 0) {
		dmarcfacts_free(&f);
		msg_free(m);
		return add_header ? MX_TEMPFAIL : MX_SOFTWARE;
	}
	memset(&in, 0, sizeof in);
	in.ip = remote_ip != NULL && *remote_ip != '\0' ? remote_ip : NULL;
	in.from_domain = dmarcfacts_from_domain(m, fdom, sizeof fdom, &why);
	in.spf = f.spf.result;
	in.spf_domain = f.spf_domain[0] ? f.spf_domain : NULL;
	in.spf_helo = f.spf_helo;
	in.dkim = f.dd;
	in.ndkim = f.nsigs;
	in.no_sampling = no_sampling;
	memset(&v, 0, sizeof v);
	if (disable)
		v.status = DMARC_OFF;
	else if (dmarc_check(dctx, dns, &in, &v) < 0) {
		cli_warn("cannot check dmarc of '%s': %s", name,
		    v.reason[0] ? v.reason : "out of memory");
		rc = add_header ? MX_TEMPFAIL : MX_SOFTWARE;
		goto out;
	}
	if (v.status == DMARC_NOFROM)
		cli_warn("no From domain in '%s': %s", name, why);
	if (arc_opt && arc_verify(m, dns, now, &arc) < 0) {
		cli_warn("cannot validate the arc chain of '%s': %s", name,
		    arc.reason[0] ? arc.reason : "out of memory");
		rc = add_header ? MX_TEMPFAIL : MX_IOERR;
		goto out;
	}
	/* No verdict now; a retry later may give one. */
	if (arc_opt && arc.tempfail) {
		cli_warn("cannot validate the arc chain of '%s': %s", name,
		    arc.reason);
		rc = MX_TEMPFAIL;
		goto out;
	}
	if (v.status == DMARC_TEMPERROR) {
		cli_warn("cannot check dmarc of '%s': %s", name, v.reason);
		rc = MX_TEMPFAIL;
		/* Nothing decided: a filter keeps the message for a retry. */
		if (add_header)
			goto out;
	} else
		rc = cli_list_match(accept_list, dmarc_status_name(v.status)) ?
		    MX_OK : MX_REJECT;
	cli_info("%s: dmarc=%s (%s) spf=%s signatures=%zu%s%s", name,
	    dmarc_status_name(v.status), v.reason[0] ? v.reason : "-",
	    spf_result_name(f.spf.result), f.nsigs, arc_opt ? " arc=" : "",
	    arc_opt ? arc_state_name(arc.state) : "");
	memset(&df, 0, sizeof df);
	df.job = job;
	df.reporter = reporter;
	df.received = now;
	df.mfrom_domain = f.mfrom_domain[0] ? f.mfrom_domain : NULL;
	df.arc = arc_opt ? &arc : NULL;
	if (history != NULL && rc != MX_TEMPFAIL &&
	    log_history(m, &in, &v, &df, name) != MX_OK) {
		rc = MX_TEMPFAIL;
		goto out;
	}
	if (forensic != NULL && !disable && rc != MX_TEMPFAIL) {
		int	r = report(m, &in, &v, &df, name);

		if (r != MX_OK) {
			rc = add_header ? MX_TEMPFAIL : r;
			goto out;
		}
	}
	if (add_header) {
		if (dmarcfacts_ar_field(&field, msg_crlf(m) ? "\r\n" : "\n",
		    add_header, &f, &v, why, arc_opt ? &arc : NULL) < 0 ||
		    msg_prepend(m, field.p, field.len) < 0) {
			cli_warn("cannot add a field to '%s': out of memory",
			    name);
			rc = MX_TEMPFAIL;
		} else if (msg_write(m, 1, err, sizeof err) != 0) {
			/* A full disk or a closed pipe: no fault of the
			   message. */
			cli_warn("cannot write '%s': %s", name, err);
			rc = MX_TEMPFAIL;
		} else
			rc = MX_OK;
	} else if (forensic == NULL || strcmp(forensic, "-") != 0)
		record(prefix, &f, &v, arc_opt ? &arc : NULL);
out:
	buf_free(&field);
	dmarcfacts_free(&f);
	msg_free(m);
	return rc;
}

static void
check_options(int n)
{
	static const char *const	 words[] = { "accept", "reject",
					    "quarantine", "none", "norecord",
					    "nofrom", "temperror", "off",
					    NULL };
	char		 err[256];
	unsigned char	 ip[16];
	int		 r;

	if (cli_list_check(accept_list, words, err, sizeof err) != 0)
		cli_die(MX_USAGE, "bad --accept '%s': %s", accept_list, err);
	if (add_header != NULL && n > 1)
		cli_die(MX_USAGE, "--add-header takes one message");
	if (add_header != NULL && !authres_token_ok(add_header))
		cli_die(MX_USAGE, "bad authserv-id '%s'", add_header);
	if (authserv_id != NULL && !authres_token_ok(authserv_id))
		cli_die(MX_USAGE, "bad authserv-id '%s'", authserv_id);
	/*
	 * What the SMTP client said is taken as it is, however odd (SPF
	 * judges it); an address must be one, or '' for a local sender.
	 */
	if (remote_ip != NULL && *remote_ip != '\0' &&
	    inet_pton(AF_INET, remote_ip, ip) != 1 &&
	    inet_pton(AF_INET6, remote_ip, ip) != 1)
		cli_die(MX_USAGE, "bad address '%s'", remote_ip);
	if (spf_opt != NULL) {
		if ((r = spf_result_parse(spf_opt)) < 0)
			cli_die(MX_USAGE, "bad --spf '%s': one of none, "
			    "neutral, pass, fail, softfail, temperror, "
			    "permerror", spf_opt);
		spf_given = r;
	}
	/* SPF computed here needs the SMTP facts it judges. */
	if (spf_opt == NULL && authserv_id == NULL &&
	    (remote_ip == NULL || mail_from == NULL))
		cli_die(MX_USAGE, "give --ip and --mail-from for SPF (or "
		    "--spf, or --authserv-id)");
	if (with_filename && no_filename)
		cli_die(MX_USAGE, "-H and --no-filename exclude each other");
	if (job != NULL && (n > 1 || history == NULL))
		cli_die(MX_USAGE, "--job goes with --history and one message");
	if (forensic != NULL && n > 1)
		cli_die(MX_USAGE, "--forensic takes one message");
	if (forensic != NULL && *forensic == '\0')
		cli_die(MX_USAGE, "bad --forensic '': give a file, or -");
	if (forensic != NULL && add_header != NULL &&
	    strcmp(forensic, "-") == 0)
		cli_die(MX_USAGE, "--forensic - and --add-header would both "
		    "write to standard output");
	if (forensic_sender != NULL && forensic == NULL)
		cli_die(MX_USAGE, "--forensic-sender goes with --forensic");
	if (disable && (forensic != NULL || history != NULL ||
	    tld_file != NULL || no_sampling))
		cli_die(MX_USAGE, "--disable takes no --forensic, --history, "
		    "--tld-file or --no-sampling");
	if (history != NULL && *history == '\0')
		cli_die(MX_USAGE, "bad --history '': give a file");
	if (reporter != NULL && (!dkim_name_ok(reporter) ||
	    strlen(reporter) > 253))
		cli_die(MX_USAGE, "bad --reporter '%s': not a host name",
		    reporter);
	/* Before a message is judged, so that its verdict is not lost. */
	if (forensic != NULL && strcmp(forensic, "-") != 0 && !forensic_ok())
		cli_die(add_header != NULL ? MX_TEMPFAIL : MX_CANTCREAT,
		    "cannot write '%s': not a regular file", forensic);
}

int
main(int argc, const char **argv)
{
	static char	 sender[600];
	poptContext	 pc;
	const char	**args;
	char		 err[256];
	int		 n = 0, i, rc = MX_OK, worst = MX_OK;

	pc = cli_parse(argc, argv, options, "[FILE...]", onopt);
	args = poptGetArgs(pc);
	while (args != NULL && args[n] != NULL)
		n++;
	now = cli_time(cli_time_arg);
	check_options(n);
	/* MAIL FROM as the SMTP command has it: "<a@b>", "<>" the null. */
	if (mail_from != NULL && mail_from[0] == '<' &&
	    mail_from[strlen(mail_from) - 1] == '>') {
		mail_from++;
		mail_from[strlen(mail_from) - 1] = '\0';
	}
	if (reporter == NULL) {
		if (gethostname(hostname, sizeof hostname - 1) < 0 ||
		    hostname[0] == '\0')
			snprintf(hostname, sizeof hostname, "localhost");
		reporter = hostname;
	}
	if (forensic != NULL && forensic_sender == NULL) {
		snprintf(sender, sizeof sender, "postmaster@%s", reporter);
		forensic_sender = sender;
	}
	if ((dns = dns_new(dns_opt_resolver, dns_opt_zone, dns_opt_timeout,
	    err, sizeof err)) == NULL) {
		rc = dns_new_status(errno);
		cli_die(add_header ? cli_filter_status(rc, 1) : rc, "%s",
		    err);
	}
	/*
	 * A suffix list missing or broken (a package upgrade under way) is no
	 * fault of the message: a filter defers it, as Postfix would bounce
	 * a 66, for every message, until the list is back.
	 */
	if (!disable && (dctx = dmarc_new(tld_file, err, sizeof err, &rc)) ==
	    NULL)
		cli_die(add_header ? MX_TEMPFAIL : rc, "%s", err);
	if (n == 0)
		worst = one("-", with_filename ? "stdin" : NULL);
	for (i = 0; i < n; i++) {
		rc = one(args[i], (n > 1 || with_filename) && !no_filename ?
		    args[i] : NULL);
		/* Several files: the worst outcome, as grep reports. */
		if (rc > worst)
			worst = rc;
	}
	poptFreeContext(pc);
	if (dctx != NULL)
		dmarc_free(dctx);
	dns_free(dns);
	arc_cache_free();
	rc = cli_flush_stdout();
	if (add_header != NULL)
		rc = cli_filter_status(rc, 0);
	return rc > worst ? rc : worst;
}
