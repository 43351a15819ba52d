/*
 * dnssec-lookup: one validated lookup through common/dnssec.c, for the
 * tests of every owner (t/90-dnssec.t first).
 *
 *	dnssec-lookup [--resolver A@P | --dns-zone F] [--timeout N]
 *	    [--anchor FILE] [--trust-ad] [--time T] NAME TYPE [NAME TYPE]...
 *	dnssec-lookup --judge FILE [--time T]
 *
 * Prints, as name=value lines: status= (dns_status_name), sec=
 * (dnssec_sec_name), chain_sec=, names= (the CNAME chain, blank
 * separated), one rr= line per record (its RDATA in presentation form),
 * expires= (epoch, 0 when not secure), signer=, reason=; further NAME
 * TYPE pairs are looked up in turn by the same validator (its caches), each
 * printed the same way after the one before.  Exits 0 whatever
 * the outcome; 64 for a usage error, 66 or 65 when the anchor file is
 * missing or bad.  With --judge, no query: FILE is an answer in wire form
 * judged by dnssec_judge (its additional section's DNSKEYs the keys), as
 * the fuzz harness t/fuzz/dns_answer.c does; 66 when it cannot be read.
 */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "cli.h"
#include "dns.h"
#include "dnssec.h"

static char	*opt_anchor;
static char	*opt_judge;
static int	 opt_trust_ad;

static struct poptOption options[] = {
	{ "anchor", '\0', POPT_ARG_STRING, &opt_anchor, 0,
	  "the trust anchors: DNSKEY or DS records (default "
	  DNSSEC_ROOT_ANCHOR ")", "FILE" },
	{ "trust-ad", '\0', POPT_ARG_NONE, &opt_trust_ad, 0,
	  "trust the AD bit of a validating resolver instead", NULL },
	{ "judge", '\0', POPT_ARG_STRING, &opt_judge, 0,
	  "judge the answer in this file (wire form) without a query",
	  "FILE" },
	{ "time", '\0', POPT_ARG_STRING, NULL, CLI_OPT_TIME,
	  "judge signatures at this time (seconds since the epoch)", "T" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, dns_options, 0,
	  "DNS options:", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

/* The RDATA of one record of type, in presentation form (malloc'd). */
static char *
rdata_text(int type, const uint8_t *rd, size_t len)
{
	uint8_t		*wire;
	ldns_rr		*rr = NULL;
	size_t		 pos = 0, i, n = 11 + len, off = 0;
	char		*out, *f;

	if (len > 65535 || (wire = malloc(n)) == NULL)
		return NULL;
	wire[0] = 0;			/* the root as owner */
	ldns_write_uint16(wire + 1, type);
	ldns_write_uint16(wire + 3, LDNS_RR_CLASS_IN);
	ldns_write_uint32(wire + 5, 0);
	ldns_write_uint16(wire + 9, len);
	memcpy(wire + 11, rd, len);
	if (ldns_wire2rr(&rr, wire, n, &pos, LDNS_SECTION_ANSWER) !=
	    LDNS_STATUS_OK) {
		free(wire);
		return strdup("(unreadable)");
	}
	free(wire);
	if ((out = calloc(1, 1)) == NULL)
		return NULL;
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		if ((f = ldns_rdf2str(ldns_rr_rdf(rr, i))) == NULL)
			break;
		n = strlen(f);
		if ((wire = realloc(out, off + n + 2)) == NULL) {
			free(f);
			break;
		}
		out = (char *)wire;
		if (off > 0)
			out[off++] = ' ';
		memcpy(out + off, f, n + 1);
		off += n;
		free(f);
	}
	ldns_rr_free(rr);
	return out;
}

/* The outcome, as name=value lines. */
static int
print(const struct dnssec_answer *ans, int type)
{
	struct cli_rec	 rec;
	char		*names = NULL, *t;
	size_t		 len = 0, i;

	for (i = 0; i < ans->nnames; i++) {
		if ((t = realloc(names, len + strlen(ans->names[i]) + 2)) ==
		    NULL)
			cli_die(MX_SOFTWARE, "out of memory");
		names = t;
		len += (size_t)sprintf(names + len, "%s%s", i > 0 ? " " : "",
		    ans->names[i]);
	}
	cli_rec_begin(&rec, stdout, NULL);
	cli_rec_str(&rec, "status", dns_status_name(ans->status));
	cli_rec_str(&rec, "sec", dnssec_sec_name(ans->sec));
	cli_rec_str(&rec, "chain_sec", dnssec_sec_name(ans->chain_sec));
	cli_rec_str(&rec, "names", names != NULL ? names : "");
	for (i = 0; i < ans->nrr; i++) {
		if ((t = rdata_text(type, ans->rdata[i], ans->rdlen[i])) ==
		    NULL)
			cli_die(MX_SOFTWARE, "out of memory");
		cli_rec_str(&rec, "rr", t);
		free(t);
	}
	cli_rec_int(&rec, "expires", (long long)ans->expires);
	cli_rec_str(&rec, "signer", ans->signer);
	cli_rec_str(&rec, "reason", ans->reason);
	cli_rec_end(&rec);
	free(names);
	return 0;
}

/* --judge FILE: the answer in the file, through dnssec_judge. */
static int
judge(const char *path, time_t t, poptContext pc)
{
	struct dnssec_answer	 ans;
	const ldns_rr_list	*q;
	ldns_pkt		*p = NULL;
	uint8_t			*buf = NULL;
	size_t			 len = 0;
	char			 err[512];
	int			 fd, status, type = LDNS_RR_TYPE_A;
	ssize_t			 got;

	if (poptPeekArg(pc) != NULL)
		cli_die(MX_USAGE, "usage: dnssec-lookup --judge FILE");
	if ((fd = cli_open_regular(path, "answer file", err, sizeof err,
	    &status)) < 0)
		cli_die(status, "%s", err);
	do {
		if ((buf = realloc(buf, len + 65536)) == NULL)
			cli_die(MX_SOFTWARE, "out of memory");
		got = read(fd, buf + len, 65536);
		if (got > 0)
			len += (size_t)got;
	} while (got > 0);
	if (got < 0)
		cli_die(MX_NOINPUT, "cannot read '%s'", path);
	close(fd);
	dnssec_judge(buf, len, t, &ans);
	/* the type of the question, for the records' text */
	if (ldns_wire2pkt(&p, buf, len) == LDNS_STATUS_OK &&
	    (q = ldns_pkt_question(p)) != NULL && ldns_rr_list_rr_count(q) == 1)
		type = ldns_rr_get_type(ldns_rr_list_rr(q, 0));
	ldns_pkt_free(p);
	free(buf);
	print(&ans, type);
	dnssec_answer_free(&ans);
	poptFreeContext(pc);
	return cli_flush_stdout();
}

int
main(int argc, const char **argv)
{
	poptContext		 pc;
	struct dns		*d;
	struct dnssec		*v;
	struct dnssec_answer	 ans;
	const char		**args;
	char			 err[512];
	int			 type, rc, i, n;

	pc = cli_parse(argc, argv, options, "NAME TYPE [NAME TYPE]...", NULL);
	if (opt_judge != NULL)
		return judge(opt_judge, cli_time(cli_time_arg), pc);
	args = poptGetArgs(pc);
	for (n = 0; args != NULL && args[n] != NULL; n++)
		if (n % 2 == 1 && ldns_get_rr_type_by_name(args[n]) == 0)
			cli_die(MX_USAGE, "bad type '%s'", args[n]);
	if (n == 0 || n % 2 != 0)
		cli_die(MX_USAGE, "usage: dnssec-lookup [options] NAME TYPE "
		    "[NAME TYPE]...");
	if ((d = dns_new(dns_opt_resolver, dns_opt_zone, dns_opt_timeout, err,
	    sizeof err)) == NULL) {
		rc = dns_new_status(errno);
		poptFreeContext(pc);
		cli_die(rc, "%s", err);
	}
	if ((v = dnssec_new(d, opt_anchor, opt_trust_ad,
	    cli_time(cli_time_arg), err, sizeof err)) == NULL) {
		rc = dns_new_status(errno);
		dns_free(d);
		poptFreeContext(pc);
		cli_die(rc, "%s", err);
	}
	for (i = 0; i < n; i += 2) {
		type = ldns_get_rr_type_by_name(args[i + 1]);
		dnssec_lookup(v, args[i], type, &ans);
		print(&ans, type);
		dnssec_answer_free(&ans);
	}
	dnssec_free(v);
	dns_free(d);
	poptFreeContext(pc);
	return cli_flush_stdout();
}
