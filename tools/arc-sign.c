/*
 * arc-sign: add an ARC set (RFC 8617) to messages leaving the ADMD.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "arc.h"
#include "authres.h"
#include "cli.h"
#include "dkim.h"
#include "dns.h"
#include "msg.h"

static char	*domain, *selector, *keyfile, *authserv_id, *exim_spec,
		*headers, *algorithm, *outdir, *newkey;
static char	*bits_opt;
static int	 filter_mode;

static struct poptOption options[] = {
	{ "domain", 'd', POPT_ARG_STRING, &domain, 0,
	  "the signing domain (d=)", "DOMAIN" },
	{ "selector", 's', POPT_ARG_STRING, &selector, 0,
	  "the key's selector (s=)", "SELECTOR" },
	{ "key", 'k', POPT_ARG_STRING, &keyfile, 0,
	  "the private key, PEM (RSA or Ed25519), not readable by others",
	  "FILE" },
	{ "authserv-id", '\0', POPT_ARG_STRING, &authserv_id, 0,
	  "whose Authentication-Results go into the seal (default: the "
	  "domain)", "ID" },
	{ "exim", '\0', POPT_ARG_STRING, &exim_spec, 0,
	  "Exim's arc_sign: ID:SELECTOR:/KEY[:timestamps,expire[=[+]N]]",
	  "SPEC" },
	{ "time", '\0', POPT_ARG_STRING, NULL, CLI_OPT_TIME,
	  "sign as at this time (seconds since the epoch), for t= and x=",
	  "T" },
	{ "headers", '\0', POPT_ARG_STRING, &headers, 0,
	  "sign exactly these header fields, in this order (colon list)",
	  "LIST" },
	{ "algorithm", 'a', POPT_ARG_STRING, &algorithm, 0,
	  "rsa-sha256 or ed25519-sha256 (default: as the key, or RSA for "
	  "--new-key; Ed25519 only if every receiver verifies it)", "ALG" },
	{ "output-dir", 'o', POPT_ARG_STRING, &outdir, 0,
	  "write each sealed message to DIR under its own name, the batch "
	  "durable at the exit", "DIR" },
	{ "new-key", '\0', POPT_ARG_STRING, &newkey, 0,
	  "make a new private key in FILE (never over a file) for -d and -s, "
	  "and print its DNS record", "FILE" },
	{ "bits", '\0', POPT_ARG_STRING, &bits_opt, 0,
	  "with --new-key: RSA key size, 1024 to 8192 (default 2048)", "N" },
	{ "filter", '\0', POPT_ARG_NONE, &filter_mode, 0,
	  "as an MTA's filter: exit 0 whenever the message is written, "
	  "sealed or not", NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, dns_options, 0,
	  "DNS options (to validate a chain our results say nothing of):",
	  NULL },
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

static struct arc_signer	 sg;
static struct dns		*dns;
static struct msg_batch		*batch;	/* --output-dir */

/* A d=, s= or header name list item: what a tag value may hold. */
static int
tag_safe(const char *s, const char *extra)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || strchr(extra, *s)))
			return 0;
	return 1;
}

/*
 * --headers: names with single colons between, From among them (RFC 6376
 * 5.4 makes it a must), and no ARC-Seal, which an AMS may not sign.
 */
static void
check_headers(const char *list)
{
	const char	*p = list;
	int		 from = 0;

	if (!tag_safe(list, ":-_.") || *list == ':' ||
	    list[strlen(list) - 1] == ':' || strstr(list, "::") != NULL)
		cli_die(MX_USAGE, "bad --headers '%s': want names with "
		    "colons between", list);
	while (*p != '\0') {
		size_t	n = strcspn(p, ":");

		if (n == 4 && strncasecmp(p, "from", 4) == 0)
			from = 1;
		if (n == 8 && strncasecmp(p, "arc-seal", 8) == 0)
			cli_die(MX_USAGE, "bad --headers '%s': an AMS may not "
			    "sign ARC-Seal", list);
		p += n + (p[n] == ':');
	}
	if (!from)
		cli_die(MX_USAGE, "bad --headers '%s': From must be signed",
		    list);
}

/* Blanks off both ends, in place. */
static char *
trim(char *p)
{
	char	*e;

	while (*p == ' ' || *p == '\t')
		p++;
	for (e = p + strlen(p); e > p && (e[-1] == ' ' || e[-1] == '\t');)
		*--e = '\0';
	return p;
}

/* Exim's arc_sign option: "id : selector : /key [: options]". */
static void
parse_exim(const char *given, long long now)
{
	char	*f[4] = { NULL }, *spec, *p, *o;
	int	 n = 0;

	/* Split a copy, so that a diagnostic can quote the spec as given. */
	if ((spec = strdup(given)) == NULL)
		cli_die(MX_TEMPFAIL, "out of memory");
	p = spec;

	while (n < 4 && p != NULL) {
		f[n++] = p;
		if ((p = strchr(p, ':')) != NULL && n < 4)
			*p++ = '\0';
	}
	for (int i = 0; i < n; i++)
		f[i] = trim(f[i]);
	if (n < 3 || *f[0] == '\0' || *f[1] == '\0')
		cli_die(MX_USAGE, "bad --exim '%s': want "
		    "ID:SELECTOR:/KEY[:OPTIONS]", given);
	if (f[2][0] != '/')
		cli_die(MX_USAGE, "bad --exim key '%s': give the key as an "
		    "absolute path, never the key itself", f[2]);
	domain = f[0];
	selector = f[1];
	keyfile = f[2];
	for (p = f[3]; p != NULL && *p != '\0'; p = o) {
		char	*end;

		if ((o = strchr(p, ',')) != NULL)
			*o++ = '\0';
		p = trim(p);
		if (strcmp(p, "timestamps") == 0)
			sg.timestamps = 1;
		else if (strcmp(p, "expire") == 0)
			sg.expire = now + 30 * 86400LL;
		else if (strncmp(p, "expire=", 7) == 0) {
			int	rel = p[7] == '+';

			errno = 0;
			sg.expire = strtoll(p + 7 + rel, &end, 10);
			if (errno || end == p + 7 + rel || *end != '\0' ||
			    sg.expire <= 0 || sg.expire > CLI_TIME_MAX)
				cli_die(MX_USAGE, "bad --exim option '%s'", p);
			if (rel)
				sg.expire += now;
		} else if (*p != '\0')
			cli_die(MX_USAGE, "unknown --exim option '%s'", p);
	}
	/* RFC 6376 3.5: x= has at most 12 digits, as t= has. */
	if (sg.expire > CLI_TIME_MAX)
		cli_die(MX_USAGE, "bad --exim '%s': expire is past the "
		    "12 digits x= may have", given);
	/* A signature born expired would fail everywhere. */
	if (sg.expire != 0 && sg.expire <= now)
		cli_die(MX_USAGE, "bad --exim '%s': expire is not in the future",
		    given);
}

/* --new-key: the key goes to its file, its DNS record to stdout. */
static int
new_key(int nargs)
{
	struct cli_rec	 r;
	EVP_PKEY	*pk;
	char		 err[512], *rec, *line;
	int		 alg = DKIM_RSA_SHA256, rc, bits = 0;

	if (keyfile != NULL || exim_spec != NULL || outdir != NULL ||
	    filter_mode || nargs > 0)
		cli_die(MX_USAGE, "--new-key takes no -k, --exim, -o, "
		    "--filter or file");
	if (domain == NULL || selector == NULL)
		cli_die(MX_USAGE, "--new-key needs -d DOMAIN and -s SELECTOR");
	if (!dkim_name_ok(domain) || !dkim_name_ok(selector))
		cli_die(MX_USAGE, "bad domain or selector '%s' '%s'", domain,
		    selector);
	if (algorithm != NULL &&
	    (alg = dkim_alg_parse(algorithm, strlen(algorithm))) < 0)
		cli_die(MX_USAGE, "unknown algorithm '%s'", algorithm);
	if (bits_opt != NULL)
		bits = cli_num("--bits", bits_opt, DKIM_RSA_MIN, 8192);
	if ((pk = dkim_key_new(newkey, alg, bits, err, sizeof err, &rc)) ==
	    NULL)
		cli_die(rc, "%s", err);
	if ((rec = dkim_key_record(pk)) == NULL || (line =
	    dkim_zone_line(selector, domain, 3600, rec)) == NULL)
		cli_die(MX_SOFTWARE, "out of memory");
	cli_info("made key '%s'", newkey);
	if (cli_json) {
		cli_rec_begin(&r, stdout, NULL);
		cli_rec_str(&r, "key", newkey);
		cli_rec_str(&r, "record", line);
		cli_rec_end(&r);
	} else
		printf("%s\n", line);
	free(line);
	free(rec);
	EVP_PKEY_free(pk);
	/* A key whose record was never seen is of no use: let a rerun work. */
	if ((rc = cli_flush_stdout()) != MX_OK && unlink(newkey) == 0)
		cli_warn("removed key '%s'", newkey);
	return rc;
}

/* The last component of a path, as written under --output-dir. */
static const char *
base_of(const char *path)
{
	const char	*b = strrchr(path, '/');

	return b ? b + 1 : path;
}

static int
one(const char *path)
{
	char			 shown[CLI_SHOWN_NAME];
	const char		*name = strcmp(path, "-") == 0 ? "stdin" :
				    cli_show(path, strlen(path), CLI_SHOW_NAME,
				    shown, sizeof shown);
	struct msg		*m;
	char			 err[PATH_MAX * 2 + 128], why[512];
	enum arc_seal_status	 st;
	int			 rc;

	if ((m = msg_new(MSG_MEM_DEFAULT)) == NULL)
		cli_die(MX_TEMPFAIL, "out of memory");
	if ((rc = msg_read_path(m, path, err, sizeof err)) != 0) {
		cli_warn("cannot read '%s': %s", name, err);
		msg_free(m);
		return cli_filter_status(rc, 0);
	}
	st = arc_seal(m, &sg, dns, NULL, why, sizeof why);
	switch (st) {
	case ARC_SEALED:
		rc = MX_OK;
		cli_info("sealed '%s'", name);
		break;
	case ARC_TOO_BIG:
		/* No retry makes the message smaller: 65, nothing written. */
		if (!filter_mode) {
			cli_warn("cannot seal '%s': %s", name, why);
			msg_free(m);
			return MX_DATAERR;
		}
		/* FALLTHROUGH */
	case ARC_NO_AR:
	case ARC_CHAIN_FAILED:
	case ARC_TOO_MANY:
		/*
		 * The message goes on unchanged; the status says so, unless
		 * an MTA that would defer on it runs us (--filter).
		 */
		cli_warn("no ARC set added to '%s': %s", name, why);
		rc = filter_mode ? MX_OK : MX_REJECT;
		break;
	default:
		/* Nothing written: the MTA keeps the message and retries. */
		cli_warn("cannot seal '%s': %s", name, why);
		msg_free(m);
		return MX_TEMPFAIL;
	}
	if (outdir == NULL) {
		/* A full disk or a closed pipe is no fault of the message. */
		if (msg_write(m, 1, err, sizeof err) != 0) {
			cli_warn("cannot write '%s': %s", name, err);
			rc = MX_TEMPFAIL;
		}
	} else if (msg_batch_add(batch, m, base_of(path), name, err,
	    sizeof err) != 0) {
		cli_warn("%s", err);
		rc = MX_CANTCREAT;
	}
	msg_free(m);
	return rc;
}

static void
commit_failed(void *arg, const char *why)
{
	(void)arg;
	cli_warn("%s", why);
}

/* The whole batch durable at once, then named (msg.h): 0 or 73. */
static int
commit(void)
{
	struct msg_batch	*b = batch;
	int			 rc;

	rc = msg_batch_commit(b, commit_failed, NULL) != 0 ? MX_CANTCREAT : 0;
	batch = NULL;
	msg_batch_free(b);
	return rc;
}

int
main(int argc, const char **argv)
{
	poptContext	 pc;
	const char	**args;
	struct stat	 st;
	char		 err[512], shown[CLI_SHOWN_NAME];
	int		 n = 0, i, rc, worst = MX_OK, alg;

	pc = cli_parse(argc, argv, options, "[FILE...]", NULL);
	args = poptGetArgs(pc);
	while (args != NULL && args[n] != NULL)
		n++;
	if (newkey != NULL) {
		rc = new_key(n);
		poptFreeContext(pc);
		return rc;
	}
	if (bits_opt != NULL)
		cli_die(MX_USAGE, "--bits goes with --new-key");
	sg.now = cli_time(cli_time_arg);
	if (exim_spec != NULL) {
		if (domain || selector || keyfile)
			cli_die(MX_USAGE, "--exim replaces -d, -s and -k");
		parse_exim(exim_spec, (long long)sg.now);
	} else
		sg.timestamps = 1;
	if (domain == NULL || selector == NULL || keyfile == NULL)
		cli_die(MX_USAGE, "give -d DOMAIN, -s SELECTOR and -k KEY "
		    "(or --exim)");
	if (!dkim_name_ok(domain) || !dkim_name_ok(selector))
		cli_die(MX_USAGE, "bad domain or selector '%s' '%s'", domain,
		    selector);
	if (authserv_id == NULL)
		authserv_id = domain;
	if (!authres_token_ok(authserv_id))
		cli_die(MX_USAGE, "bad authserv-id '%s'", authserv_id);
	if (headers != NULL)
		check_headers(headers);
	if (n > 1 && outdir == NULL)
		cli_die(MX_USAGE, "several messages need --output-dir");
	if (filter_mode && outdir != NULL)
		cli_die(MX_USAGE, "--filter writes to standard output, not "
		    "to --output-dir");
	if (outdir != NULL) {
		if (stat(outdir, &st) < 0 || !S_ISDIR(st.st_mode))
			cli_die(MX_CANTCREAT, "cannot use '%s': not a "
			    "directory", cli_show(outdir, strlen(outdir),
			    CLI_SHOW_NAME, shown, sizeof shown));
		for (i = 0; i < n; i++)
			if (strcmp(args[i], "-") == 0)
				cli_die(MX_USAGE, "stdin has no name to write "
				    "in --output-dir");
		if (n == 0)
			cli_die(MX_USAGE, "--output-dir needs file names");
		for (i = 0; i < n; i++)
			for (int j = 0; j < i; j++)
				if (strcmp(base_of(args[i]),
				    base_of(args[j])) == 0)
					cli_die(MX_USAGE, "'%s' and '%s' would "
					    "both be written as '%s'", args[j],
					    args[i], base_of(args[i]));
	}
	if ((sg.key = dkim_privkey_load(keyfile, err, sizeof err, &rc)) ==
	    NULL)
		cli_die(cli_filter_status(rc, 1), "%s", err);
	sg.alg = dkim_privkey_alg(sg.key);
	if (algorithm != NULL) {
		if ((alg = dkim_alg_parse(algorithm, strlen(algorithm))) < 0)
			cli_die(MX_USAGE, "unknown algorithm '%s'", algorithm);
		if (alg != sg.alg)
			cli_die(MX_USAGE, "key '%s' cannot sign %s", keyfile,
			    algorithm);
	}
	sg.domain = domain;
	sg.selector = selector;
	sg.authserv_id = authserv_id;
	sg.headers = headers;
	if ((dns = dns_new(dns_opt_resolver, dns_opt_zone, dns_opt_timeout,
	    err, sizeof err)) == NULL)
		cli_die(cli_filter_status(dns_new_status(errno), 1), "%s",
		    err);
	if (outdir != NULL) {
		if ((batch = msg_batch_new(outdir, err, sizeof err)) == NULL)
			cli_die(MX_CANTCREAT, "%s", err);
		msg_batch_guard(batch);
	}
	if (n == 0)
		worst = one("-");
	for (i = 0; i < n; i++)
		if ((rc = one(args[i])) > worst)
			worst = rc;
	if (batch != NULL && (rc = commit()) > worst)
		worst = rc;
	poptFreeContext(pc);
	dns_free(dns);
	arc_cache_free();
	EVP_PKEY_free(sg.key);
	rc = cli_filter_status(cli_flush_stdout(), 0);
	return rc > worst ? rc : worst;
}
