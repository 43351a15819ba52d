/*
 * cert-facts: a certificate file through common/cert.c and common/tlsa.c,
 * for t/91.
 *
 *	cert-facts FILE
 *
 * For each certificate in the file, in order: subject, issuer, notbefore,
 * notafter, ca, self_signed, key, names (blank separated), spki_sha256,
 * cert_sha256 and the records 3 1 1, 3 1 2, 3 0 1 (tlsa_text), each
 * checked with tlsa_matches; for a public key, its 3 1 1 and 3 1 2.  The
 * lines of each certificate start with its index and a blank.  Exits as
 * tlsa-check would on the file: cert_load's status with its message.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "cli.h"
#include "tlsa.h"

static struct poptOption options[] = {
	{ NULL, '\0', POPT_ARG_INCLUDE_TABLE, cli_common_options, 0,
	  "Common options:", NULL },
	POPT_TABLEEND
};

static void
hex(const char *name, int i, const unsigned char *d, size_t n)
{
	size_t	 k;

	printf("%d %s=", i, name);
	for (k = 0; k < n; k++)
		printf("%02x", d[k]);
	putchar('\n');
}

static void
record(int i, X509 *x, EVP_PKEY *key, int u, int s, int m)
{
	struct tlsa	*t;
	char		*text, err[128];

	if ((t = tlsa_make(x, key, u, s, m, err, sizeof err)) == NULL)
		cli_die(MX_SOFTWARE, "cannot make %d %d %d: %s", u, s, m, err);
	if (x != NULL && !tlsa_matches(t, x))
		cli_die(MX_SOFTWARE, "%d %d %d does not match", u, s, m);
	if ((text = tlsa_text(t)) == NULL)
		cli_die(MX_SOFTWARE, "out of memory");
	printf("%d tlsa=%s\n", i, text);
	free(text);
	free(t);
}

int
main(int argc, const char **argv)
{
	poptContext		 pc;
	STACK_OF(X509)		*certs;
	X509			*x;
	EVP_PKEY		*key;
	struct cert_facts	 f;
	const char		*path;
	char			 err[CLI_SHOWN_NAME + 256], when[32];
	size_t			 k;
	int			 i, status;

	pc = cli_parse(argc, argv, options, "FILE", NULL);
	if ((path = poptGetArg(pc)) == NULL || poptPeekArg(pc) != NULL)
		cli_die(MX_USAGE, "usage: cert-facts FILE");
	if (cert_load(path, &certs, &key, err, sizeof err, &status) == -1) {
		if (status == MX_NOINPUT)
			cli_die(status, "%s", err);
		cli_die(status, "cannot use certificate file '%s': %s", path,
		    err);
	}
	for (i = 0; certs != NULL && i < sk_X509_num(certs); i++) {
		x = sk_X509_value(certs, i);
		if (cert_facts(x, &f) == -1)
			cli_die(MX_SOFTWARE, "out of memory");
		printf("%d subject=%s\n%d issuer=%s\n", i, f.subject, i,
		    f.issuer);
		cert_time(f.not_before, when, sizeof when);
		printf("%d notbefore=%s\n", i, when);
		cert_time(f.not_after, when, sizeof when);
		printf("%d notafter=%s\n", i, when);
		printf("%d ca=%d\n%d self_signed=%d\n%d key=%s\n%d names=", i,
		    f.is_ca, i, f.self_signed, i, f.key, i);
		for (k = 0; k < f.nnames; k++)
			printf("%s%s", k ? " " : "", f.names[k]);
		putchar('\n');
		hex("spki_sha256", i, f.spki_sha256, 32);
		hex("cert_sha256", i, f.cert_sha256, 32);
		record(i, x, NULL, TLSA_DANE_EE, TLSA_SEL_SPKI, TLSA_MT_SHA256);
		record(i, x, NULL, TLSA_DANE_EE, TLSA_SEL_SPKI, TLSA_MT_SHA512);
		record(i, x, NULL, TLSA_DANE_EE, TLSA_SEL_CERT, TLSA_MT_SHA256);
		cert_facts_free(&f);
	}
	if (key != NULL) {
		record(0, NULL, key, TLSA_DANE_EE, TLSA_SEL_SPKI,
		    TLSA_MT_SHA256);
		record(0, NULL, key, TLSA_DANE_EE, TLSA_SEL_SPKI,
		    TLSA_MT_SHA512);
	}
	sk_X509_pop_free(certs, X509_free);
	EVP_PKEY_free(key);
	poptFreeContext(pc);
	return cli_flush_stdout();
}
