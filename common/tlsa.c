#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "cli.h"
#include "tlsa.h"

static struct tlsa *
tlsa_new(int usage, int selector, int mtype, const uint8_t *data,
    size_t len, char *err, size_t errlen)
{
	struct tlsa	*t;

	if ((t = malloc(sizeof *t + len)) == NULL) {
		cli_errf(err, errlen, "out of memory");
		return NULL;
	}
	t->usage = usage;
	t->selector = selector;
	t->mtype = mtype;
	t->len = len;
	if (data != NULL)
		memcpy(t->data, data, len);
	return t;
}

struct tlsa *
tlsa_from_rdata(const uint8_t *rd, size_t n, char *err, size_t errlen)
{
	if (n < 4) {
		cli_errf(err, errlen, "TLSA RDATA of %zu bytes: no data", n);
		return NULL;
	}
	if (n - 3 > TLSA_DATA_MAX) {
		cli_errf(err, errlen, "TLSA RDATA of %zu bytes", n);
		return NULL;
	}
	return tlsa_new(rd[0], rd[1], rd[2], rd + 3, n - 3, err, errlen);
}

static int
blank(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A decimal field of 0 to 255 at *sp, then a blank. */
static int
field(const char **sp, const char *what, char *err, size_t errlen)
{
	const char	*s = *sp;
	int		 v = 0, n = 0;

	while (blank(*s))
		s++;
	while (*s >= '0' && *s <= '9' && n < 4) {
		v = v * 10 + *s++ - '0';
		n++;
	}
	if (n == 0 || n > 3 || v > 255 || !blank(*s)) {
		cli_errf(err, errlen, "no %s (a number from 0 to 255)", what);
		return -1;
	}
	*sp = s;
	return v;
}

struct tlsa *
tlsa_parse(const char *s, char *err, size_t errlen)
{
	struct tlsa	*t;
	const char	*p;
	size_t		 nhex = 0, i;
	int		 u, sel, mt, hi, lo;

	if ((u = field(&s, "certificate usage", err, errlen)) == -1 ||
	    (sel = field(&s, "selector", err, errlen)) == -1 ||
	    (mt = field(&s, "matching type", err, errlen)) == -1)
		return NULL;
	for (p = s; *p != '\0'; p++) {
		if (blank(*p))
			continue;
		if (cli_hexval(*p) == -1) {
			cli_errf(err, errlen,
			    "'%c' in the certificate data: hex "
			    "digits only", *p >= 0x21 && *p < 0x7f ? *p : '?');
			return NULL;
		}
		nhex++;
	}
	if (nhex == 0 || nhex % 2 != 0) {
		cli_errf(err, errlen, nhex == 0 ? "no certificate data" :
		    "an odd number of hex digits in the certificate data");
		return NULL;
	}
	if (nhex / 2 > TLSA_DATA_MAX) {
		cli_errf(err, errlen, "certificate data over %d bytes",
		    TLSA_DATA_MAX);
		return NULL;
	}
	if ((t = tlsa_new(u, sel, mt, NULL, nhex / 2, err, errlen)) == NULL)
		return NULL;
	for (p = s, i = 0; *p != '\0'; p++) {
		if (blank(*p))
			continue;
		hi = cli_hexval(*p++);
		while (blank(*p))
			p++;
		lo = cli_hexval(*p);
		t->data[i++] = hi << 4 | lo;
	}
	return t;
}

const char *
tlsa_usage_name(int u)
{
	static const char *const names[] = {
		"PKIX-TA", "PKIX-EE", "DANE-TA", "DANE-EE"
	};
	static __thread char	 buf[16];

	if (u >= 0 && u <= 3)
		return names[u];
	snprintf(buf, sizeof buf, "usage %d", u);
	return buf;
}

int
tlsa_usable(const struct tlsa *t, char *why, size_t whylen)
{
	const unsigned char	*p = t->data;
	X509			*x;
	EVP_PKEY		*k;
	int			 ok;

	/* RFC 7672 3.1.3: PKIX-TA and PKIX-EE are not for SMTP. */
	if (t->usage != TLSA_DANE_TA && t->usage != TLSA_DANE_EE) {
		cli_errf(why, whylen, t->usage <= TLSA_PKIX_EE ?
		    "usage %d (%s) is not for SMTP" : "usage %d is unknown",
		    t->usage, tlsa_usage_name(t->usage));
		return 0;
	}
	if (t->selector > TLSA_SEL_SPKI) {
		cli_errf(why, whylen, "selector %d is unknown", t->selector);
		return 0;
	}
	switch (t->mtype) {
	case TLSA_MT_SHA256:
		if (t->len != 32) {
			cli_errf(why, whylen,
			    "SHA-256 data of %zu bytes", t->len);
			return 0;
		}
		return 1;
	case TLSA_MT_SHA512:
		if (t->len != 64) {
			cli_errf(why, whylen,
			    "SHA-512 data of %zu bytes", t->len);
			return 0;
		}
		return 1;
	case TLSA_MT_FULL:
		break;
	default:
		cli_errf(why, whylen, "matching type %d is unknown", t->mtype);
		return 0;
	}
	/* A full certificate or key must be one, all of the data. */
	if (t->selector == TLSA_SEL_CERT) {
		x = d2i_X509(NULL, &p, (long)t->len);
		ok = x != NULL && p == t->data + t->len;
		X509_free(x);
	} else {
		k = d2i_PUBKEY(NULL, &p, (long)t->len);
		ok = k != NULL && p == t->data + t->len;
		EVP_PKEY_free(k);
	}
	ERR_clear_error();
	if (!ok)
		cli_errf(why, whylen, "full %s data of %zu bytes that is none",
		    t->selector == TLSA_SEL_CERT ? "certificate" : "key",
		    t->len);
	return ok;
}

struct tlsa *
tlsa_make(X509 *cert, EVP_PKEY *key, int usage, int selector, int mtype,
    char *err, size_t errlen)
{
	struct tlsa	*t = NULL;
	unsigned char	*der = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
	int		 n;

	if (usage < 0 || usage > 3 || selector < 0 || selector > 1 ||
	    mtype < 0 || mtype > 2) {
		cli_errf(err, errlen,
		    "no such record: %d %d %d", usage, selector,
		    mtype);
		return NULL;
	}
	if (cert != NULL)
		key = X509_get0_pubkey(cert);
	if (selector == TLSA_SEL_CERT && cert == NULL) {
		cli_errf(err, errlen,
		    "selector 0 needs a certificate, not a key "
		    "alone");
		return NULL;
	}
	if (key == NULL && cert == NULL) {
		cli_errf(err, errlen, "no certificate or key");
		return NULL;
	}
	ERR_clear_error();
	if (selector == TLSA_SEL_CERT)
		n = i2d_X509(cert, &der);
	else if (cert != NULL)
		n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(cert), &der);
	else
		n = i2d_PUBKEY(key, &der);
	if (n <= 0) {
		cli_errf(err, errlen, "cannot encode the %s",
		    selector == TLSA_SEL_CERT ? "certificate" : "public key");
		goto out;
	}
	if (mtype == TLSA_MT_FULL) {
		t = tlsa_new(usage, selector, mtype, der, n, err, errlen);
		goto out;
	}
	if (EVP_Digest(der, n, md, &mdlen, mtype == TLSA_MT_SHA256 ?
	    EVP_sha256() : EVP_sha512(), NULL) != 1) {
		cli_errf(err, errlen, "cannot digest the %s",
		    selector == TLSA_SEL_CERT ? "certificate" : "public key");
		goto out;
	}
	t = tlsa_new(usage, selector, mtype, md, mdlen, err, errlen);
out:
	OPENSSL_free(der);
	ERR_clear_error();
	return t;
}

int
tlsa_matches(const struct tlsa *t, X509 *cert)
{
	struct tlsa	*m;
	int		 r;

	if (t->selector > TLSA_SEL_SPKI || t->mtype > TLSA_MT_SHA512)
		return 0;
	if ((m = tlsa_make(cert, NULL, TLSA_DANE_EE, t->selector, t->mtype,
	    NULL, 0)) == NULL)
		return 0;
	r = m->len == t->len && CRYPTO_memcmp(m->data, t->data, t->len) == 0;
	free(m);
	return r;
}

char *
tlsa_text(const struct tlsa *t)
{
	static const char	 hex[] = "0123456789ABCDEF";
	char			*s, *p;
	size_t			 i;

	if ((s = malloc(16 + 2 * t->len)) == NULL)
		return NULL;
	p = s + snprintf(s, 16, "%u %u %u ", t->usage, t->selector,
	    t->mtype);
	for (i = 0; i < t->len; i++) {
		*p++ = hex[t->data[i] >> 4];
		*p++ = hex[t->data[i] & 15];
	}
	*p = '\0';
	return s;
}

void
tlsa_print(FILE *fp, const char *owner, const struct tlsa *t)
{
	size_t	 i;

	fprintf(fp, "%s IN TLSA %u %u %u ", owner, t->usage, t->selector,
	    t->mtype);
	for (i = 0; i < t->len; i++)
		fprintf(fp, "%02X", t->data[i]);
	putc('\n', fp);
}
