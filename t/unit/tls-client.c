/*
 * tls-client: one SMTP session up to TLS through common/smtp.c and
 * common/tls.c, for t/91 and the test bed.
 *
 *	tls-client [--timeout N] [--helo NAME] [--sni NAME]
 *	    [--tlsa 'U S M HEX']... [--name NAME]... [--all-records]
 *	    [--implicit] [--time T] ADDR PORT
 *
 * Connects to ADDR (an IPv4 or IPv6 literal) at PORT, reads the banner,
 * EHLO, STARTTLS (or TLS at once with --implicit), the handshake; then,
 * over TLS, EHLO again and QUIT.  With --tlsa records, DANE verification
 * with base domain --sni and further DANE-TA names --name; records
 * tlsa_usable refuses are left out, as a sending MTA leaves them out
 * (--all-records gives tls_start every record, to show that it leaves
 * out usages 0 and 1 itself); --time judges a DANE-TA chain's
 * certificates and the OCSP staple as at T.
 * Prints name=value lines: fail (smtp_fail_name), error, version,
 * cipher, bits, verified, depth, matched (index into the --tlsa records
 * given, or -1), peername, verify_error and verify_text, ocsp, the
 * unusable records as unusable=INDEX why, the EHLO replies' codes and,
 * per certificate of the chain, cert=DEPTH subject|issuer|notAfter|
 * spki-sha256 (hex).  Exits 0 when a TLS session came up, 1 when not, 64
 * on a bad command line.
 */
#include "config.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "cli.h"
#include "smtp.h"
#include "tls.h"
#include "tlsa.h"

static char	*timeout_arg, *helo = "tls-client.test", *sni;
static int	 implicit, all_records;
static char	**tlsa_args, **names;
static size_t	 ntlsa_args, nnames;

enum { OPT_TLSA = 1, OPT_NAME };

static struct poptOption options[] = {
	{ "timeout", '\0', POPT_ARG_STRING, &timeout_arg, 0,
	  "seconds for each network step (default 5)", "N" },
	{ "helo", '\0', POPT_ARG_STRING, &helo, 0,
	  "the EHLO name", "NAME" },
	{ "sni", '\0', POPT_ARG_STRING, &sni, 0,
	  "the server name sent; with --tlsa, the TLSA base domain", "NAME" },
	{ "tlsa", '\0', POPT_ARG_STRING, NULL, OPT_TLSA,
	  "a TLSA record to verify with (DANE)", "'U S M HEX'" },
	{ "name", '\0', POPT_ARG_STRING, NULL, OPT_NAME,
	  "a further reference identifier for DANE-TA", "NAME" },
	{ "all-records", '\0', POPT_ARG_NONE, &all_records, 0,
	  "give tls_start the unusable records too", NULL },
	{ "implicit", '\0', POPT_ARG_NONE, &implicit, 0,
	  "TLS on connect, no SMTP before it", NULL },
	{ "time", '\0', POPT_ARG_STRING, NULL, CLI_OPT_TIME,
	  "with --tlsa, judge certificates and the OCSP staple as at this "
	  "time (seconds since the epoch)", "T" },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

static void
push(char ***v, size_t *n, const char *s)
{
	if ((*v = reallocarray(*v, *n + 1, sizeof **v)) == NULL ||
	    ((*v)[*n] = strdup(s)) == NULL)
		cli_die(MX_SOFTWARE, "out of memory");
	(*n)++;
}

static void
onopt(poptContext pc, int val)
{
	const char	*arg = poptGetOptArg(pc);

	if (val == OPT_TLSA)
		push(&tlsa_args, &ntlsa_args, arg);
	else if (val == OPT_NAME)
		push(&names, &nnames, arg);
	free((void *)arg);
}

static void
print_chain(struct cli_rec *rec, STACK_OF(X509) *chain)
{
	struct cert_facts	 f;
	char			 line[1024], when[32], hex[65];
	int			 i, k;

	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		if (cert_facts(sk_X509_value(chain, i), &f) == -1)
			cli_die(MX_SOFTWARE, "out of memory");
		cert_time(f.not_after, when, sizeof when);
		for (k = 0; k < 32; k++)
			snprintf(hex + 2 * k, 3, "%02x", f.spki_sha256[k]);
		snprintf(line, sizeof line, "%d %s|%s|%s|%s", i, f.subject,
		    f.issuer, when, hex);
		cli_rec_str(rec, "cert", line);
		cert_facts_free(&f);
	}
}

int
main(int argc, const char **argv)
{
	poptContext		 pc;
	SSL_CTX			*ctx;
	struct smtp		 s;
	struct smtp_reply	 banner, ehlo, r;
	struct dns_addr		 a;
	struct tls_dane		 dane, *dp = NULL;
	struct tls_info		 info;
	struct tlsa		**recs = NULL, **usable = NULL;
	struct cli_rec		 rec;
	enum smtp_fail		 f;
	const char		*addr, *port_arg;
	char			 err[512], why[128], line[256];
	size_t			 i, nusable = 0;
	int			 port, timeout = 5, *index = NULL;

	pc = cli_parse(argc, argv, options, "ADDR PORT", onopt);
	if ((addr = poptGetArg(pc)) == NULL ||
	    (port_arg = poptGetArg(pc)) == NULL || poptPeekArg(pc) != NULL)
		cli_die(MX_USAGE, "usage: tls-client [options] ADDR PORT");
	port = cli_num("PORT", port_arg, 1, 65535);
	if (timeout_arg != NULL)
		timeout = cli_num("--timeout", timeout_arg, 1, 3600);
	memset(&a, 0, sizeof a);
	if (inet_pton(AF_INET, addr, a.a) == 1)
		a.af = AF_INET;
	else if (inet_pton(AF_INET6, addr, a.a) == 1)
		a.af = AF_INET6;
	else
		cli_die(MX_USAGE, "no address '%s'", addr);
	if (ntlsa_args > 0 && sni == NULL)
		cli_die(MX_USAGE, "--tlsa needs --sni, the TLSA base domain");

	cli_rec_begin(&rec, stdout, NULL);
	if (ntlsa_args > 0) {
		recs = calloc(ntlsa_args, sizeof *recs);
		usable = calloc(ntlsa_args, sizeof *usable);
		index = calloc(ntlsa_args, sizeof *index);
		if (recs == NULL || usable == NULL || index == NULL)
			cli_die(MX_SOFTWARE, "out of memory");
		for (i = 0; i < ntlsa_args; i++) {
			if ((recs[i] = tlsa_parse(tlsa_args[i], err,
			    sizeof err)) == NULL)
				cli_die(MX_USAGE, "bad --tlsa '%s': %s",
				    tlsa_args[i], err);
			if (!tlsa_usable(recs[i], why, sizeof why)) {
				snprintf(line, sizeof line, "%zu %s", i, why);
				cli_rec_str(&rec, "unusable", line);
				if (!all_records)
					continue;
			}
			index[nusable] = (int)i;
			usable[nusable++] = recs[i];
		}
		dane.base = sni;
		dane.names = (const char *const *)names;
		dane.nnames = nnames;
		dane.tlsa = usable;
		dane.ntlsa = nusable;
		dane.now = cli_time_arg != NULL ? cli_time(cli_time_arg) : 0;
		dp = &dane;
	}
	if ((ctx = tls_ctx_new(err, sizeof err)) == NULL)
		cli_die(MX_SOFTWARE, "%s", err);

	memset(&info, 0, sizeof info);
	info.depth = info.matched = -1;
	memset(&banner, 0, sizeof banner);
	memset(&ehlo, 0, sizeof ehlo);
	if ((f = smtp_connect(&s, &a, port, timeout, err, sizeof err)) !=
	    SMTP_OK)
		goto out;
	if (!implicit && (f = smtp_starttls(&s, helo, &banner, &ehlo, err,
	    sizeof err)) != SMTP_OK)
		goto out;
	if ((f = tls_start(ctx, &s, dp, sni, &info, err, sizeof err)) !=
	    SMTP_OK)
		goto out;
	/* Replies read through TLS: the session is really up. */
	if (!implicit) {
		snprintf(line, sizeof line, "EHLO %s", helo);
		if (smtp_send(&s, line, err, sizeof err) == SMTP_OK &&
		    smtp_read(&s, &r, err, sizeof err) == SMTP_OK) {
			cli_rec_int(&rec, "tls_ehlo", r.code);
			cli_rec_int(&rec, "tls_starttls",
			    smtp_ehlo_param(&r, "STARTTLS") != NULL);
			smtp_reply_free(&r);
		}
		if (smtp_send(&s, "QUIT", err, sizeof err) == SMTP_OK &&
		    smtp_read(&s, &r, err, sizeof err) == SMTP_OK) {
			cli_rec_int(&rec, "quit", r.code);
			smtp_reply_free(&r);
		}
		err[0] = '\0';
	}
out:
	cli_rec_str(&rec, "fail", smtp_fail_name(f));
	cli_rec_str(&rec, "error", f == SMTP_OK ? "" : err);
	if (banner.nlines > 0)
		cli_rec_int(&rec, "banner", banner.code);
	if (ehlo.nlines > 0)
		cli_rec_int(&rec, "ehlo", ehlo.code);
	if (f == SMTP_OK) {
		cli_rec_str(&rec, "version", info.version);
		cli_rec_str(&rec, "cipher", info.cipher);
		cli_rec_int(&rec, "bits", info.bits);
		cli_rec_int(&rec, "verified", info.verified);
		cli_rec_int(&rec, "depth", info.depth);
		cli_rec_int(&rec, "matched", info.matched >= 0 ?
		    index[info.matched] : -1);
		cli_rec_str(&rec, "peername", info.peername);
		cli_rec_int(&rec, "verify_error", info.verify_error);
		cli_rec_str(&rec, "verify_text", info.verify_text);
		cli_rec_str(&rec, "ocsp", tls_ocsp_name(info.ocsp));
		print_chain(&rec, info.chain);
	}
	cli_rec_end(&rec);
	smtp_reply_free(&banner);
	smtp_reply_free(&ehlo);
	smtp_close(&s);
	tls_info_free(&info);
	for (i = 0; i < ntlsa_args; i++) {
		free(recs != NULL ? recs[i] : NULL);
		free(tlsa_args[i]);
	}
	for (i = 0; i < nnames; i++)
		free(names[i]);
	free(tlsa_args);
	free(names);
	free(recs);
	free(usable);
	free(index);
	SSL_CTX_free(ctx);
	poptFreeContext(pc);
	if (cli_flush_stdout() != 0)
		return MX_IOERR;
	return f == SMTP_OK ? 0 : 1;
}
