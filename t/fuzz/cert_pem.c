/*
 * Fuzz certificate files: cert_load_mem on the input.  It must take
 * certificates or a public key, never both, or give a reason; for every
 * certificate taken, cert_facts must give names in lower case, a notAfter
 * cert_time can print, and a 3 1 1 record that tlsa_matches the
 * certificate and is tlsa_usable; for a key, 3 1 1 can be made and 3 0 1
 * cannot.
 */
#include "config.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "tlsa.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void
check_cert(X509 *x)
{
	struct cert_facts	 f;
	struct tlsa		*t;
	char			 when[32], err[128];
	size_t			 i, k;

	if (cert_facts(x, &f) != 0)
		abort();
	for (i = 0; i < f.nnames; i++)
		for (k = 0; f.names[i][k] != '\0'; k++)
			if (isupper((unsigned char)f.names[i][k]))
				abort();
	cert_time(f.not_after, when, sizeof when);
	if (strlen(when) == 0)
		abort();
	if ((t = tlsa_make(x, NULL, TLSA_DANE_EE, TLSA_SEL_SPKI,
	    TLSA_MT_SHA256, err, sizeof err)) != NULL) {
		if (!tlsa_matches(t, x) || !tlsa_usable(t, err, sizeof err) ||
		    memcmp(t->data, f.spki_sha256, 32) != 0)
			abort();
		free(t);
	}
	cert_facts_free(&f);
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	STACK_OF(X509)	*certs;
	EVP_PKEY	*key;
	struct tlsa	*t;
	char		 err[256];
	int		 i;

	err[0] = '\0';
	if (cert_load_mem((const char *)buf, n, &certs, &key, err,
	    sizeof err) != 0) {
		if (certs != NULL || key != NULL || err[0] == '\0')
			abort();
		return 0;
	}
	if ((certs == NULL) == (key == NULL))
		abort();
	for (i = 0; certs != NULL && i < sk_X509_num(certs); i++)
		check_cert(sk_X509_value(certs, i));
	if (key != NULL) {
		if ((t = tlsa_make(NULL, key, TLSA_DANE_EE, TLSA_SEL_SPKI,
		    TLSA_MT_SHA256, err, sizeof err)) == NULL)
			abort();
		free(t);
		if ((t = tlsa_make(NULL, key, TLSA_DANE_EE, TLSA_SEL_CERT,
		    TLSA_MT_SHA256, err, sizeof err)) != NULL)
			abort();
	}
	sk_X509_pop_free(certs, X509_free);
	EVP_PKEY_free(key);
	return 0;
}
