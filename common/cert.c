#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "cert.h"
#include "cli.h"

#define CERT_FILE_MAX	(1024 * 1024)	/* a chain is a few kB */
#define CERT_OBJS_MAX	64		/* PEM objects in one file */

/* OpenSSL's reason for the last error, then the queue cleared. */
static const char *
ssl_reason(char *buf, size_t size)
{
	unsigned long	 e = ERR_peek_last_error();
	const char	*r;

	r = e != 0 ? ERR_reason_error_string(e) : NULL;
	snprintf(buf, size, "%s", r != NULL ? r : "not DER");
	ERR_clear_error();
	return buf;
}

time_t
cert_asn1_time(const ASN1_TIME *t)
{
	struct tm	 tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return timegm(&tm);
}

void
cert_time(time_t t, char *buf, size_t size)
{
	struct tm	 tm;

	if (gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%s", "?");
}

/*
 * name in RFC 2253 form, shown safely, into buf.  XN_FLAG_RFC2253 escapes
 * controls and 8-bit bytes itself (\XX), so its text is printable ASCII
 * whose backslashes are RFC 2253's ("O=Example\, Inc."): that is kept as
 * it is, as openssl x509 -nameopt RFC2253 shows it; anything else goes
 * through cli_show.
 */
static int
name_text(const X509_NAME *name, char *buf, size_t size)
{
	BIO	*b;
	char	*p;
	long	 n, i;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return -1;
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253) < 0) {
		BIO_free(b);
		return -1;
	}
	n = BIO_get_mem_data(b, &p);
	for (i = 0; i < n && p[i] >= 0x20 && p[i] < 0x7f; i++)
		;
	if (i == n && (size_t)n < size) {
		memcpy(buf, p, n);
		buf[n] = '\0';
	} else
		cli_show(p, n, size / 4 - 4, buf, size);
	BIO_free(b);
	return 0;
}

static void
key_text(X509 *x, char *buf, size_t size)
{
	EVP_PKEY	*k = X509_get0_pubkey(x);
	char		 group[64];
	const char	*nist;
	size_t		 i;

	if (k == NULL) {
		snprintf(buf, size, "unknown");
		return;
	}
	switch (EVP_PKEY_get_base_id(k)) {
	case EVP_PKEY_RSA:
		snprintf(buf, size, "rsa %d", EVP_PKEY_get_bits(k));
		break;
	case EVP_PKEY_EC:
		if (EVP_PKEY_get_group_name(k, group, sizeof group, NULL) != 1)
			snprintf(group, sizeof group, "unknown");
		nist = EC_curve_nid2nist(OBJ_sn2nid(group));
		snprintf(buf, size, "ec %.24s", nist != NULL ? nist : group);
		for (i = 0; buf[i] != '\0'; i++)
			buf[i] = tolower((unsigned char)buf[i]);
		break;
	case EVP_PKEY_ED25519:
		snprintf(buf, size, "ed25519");
		break;
	case EVP_PKEY_ED448:
		snprintf(buf, size, "ed448");
		break;
	case EVP_PKEY_DSA:
		snprintf(buf, size, "dsa %d", EVP_PKEY_get_bits(k));
		break;
	default:
		snprintf(buf, size, "unknown");
	}
}

static int
add_name(struct cert_facts *f, const unsigned char *s, int n)
{
	char	**names, buf[4 * 255 + 8];
	int	 i;

	if (n <= 0)
		return 0;
	cli_show((const char *)s, n, 255, buf, sizeof buf);
	for (i = 0; buf[i] != '\0'; i++)
		buf[i] = tolower((unsigned char)buf[i]);
	if ((names = reallocarray(f->names, f->nnames + 1,
	    sizeof *names)) == NULL)
		return -1;
	f->names = names;
	if ((names[f->nnames] = strdup(buf)) == NULL)
		return -1;
	f->nnames++;
	return 0;
}

static int
names(X509 *x, struct cert_facts *f)
{
	GENERAL_NAMES		*gens;
	const GENERAL_NAME	*g;
	const X509_NAME		*subj;
	const X509_NAME_ENTRY	*ne;
	const ASN1_STRING	*s;
	int			 i, rc = 0;

	gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (i = 0; gens != NULL && i < sk_GENERAL_NAME_num(gens); i++) {
		g = sk_GENERAL_NAME_value(gens, i);
		if (g->type == GEN_DNS && add_name(f,
		    ASN1_STRING_get0_data(g->d.dNSName),
		    ASN1_STRING_length(g->d.dNSName)) == -1)
			rc = -1;
	}
	GENERAL_NAMES_free(gens);
	if (f->nnames > 0 || rc == -1)
		return rc;
	/* RFC 6125 6.4.4: the CN only when there is no DNS-ID. */
	subj = X509_get_subject_name(x);
	i = -1;
	while ((i = X509_NAME_get_index_by_NID(subj, NID_commonName, i)) >= 0) {
		ne = X509_NAME_get_entry(subj, i);
		s = X509_NAME_ENTRY_get_data(ne);
		if (add_name(f, ASN1_STRING_get0_data(s),
		    ASN1_STRING_length(s)) == -1)
			return -1;
	}
	return 0;
}

int
cert_facts(X509 *x, struct cert_facts *f)
{
	unsigned char	*der = NULL;
	unsigned int	 mdlen;
	uint32_t	 xf;
	int		 n;

	memset(f, 0, sizeof *f);
	if (name_text(X509_get_subject_name(x), f->subject,
	    sizeof f->subject) == -1 || name_text(X509_get_issuer_name(x),
	    f->issuer, sizeof f->issuer) == -1)
		goto nomem;
	f->not_before = cert_asn1_time(X509_get0_notBefore(x));
	f->not_after = cert_asn1_time(X509_get0_notAfter(x));
	xf = X509_get_extension_flags(x);
	f->is_ca = (xf & EXFLAG_BCONS) && (xf & EXFLAG_CA);
	f->self_signed = X509_self_signed(x, 1) == 1;
	ERR_clear_error();
	if ((n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &der)) <= 0 ||
	    EVP_Digest(der, n, f->spki_sha256, NULL, EVP_sha256(),
	    NULL) != 1) {
		OPENSSL_free(der);
		goto nomem;
	}
	OPENSSL_free(der);
	if (X509_digest(x, EVP_sha256(), f->cert_sha256, &mdlen) != 1)
		goto nomem;
	key_text(x, f->key, sizeof f->key);
	if (names(x, f) == -1)
		goto nomem;
	return 0;
nomem:
	cert_facts_free(f);
	ERR_clear_error();
	return -1;
}

void
cert_facts_free(struct cert_facts *f)
{
	size_t	 i;

	for (i = 0; i < f->nnames; i++)
		free(f->names[i]);
	free(f->names);
	f->names = NULL;
	f->nnames = 0;
}

static int
is_private(const char *name)
{
	return strstr(name, "PRIVATE KEY") != NULL;
}

int
cert_load_mem(const char *buf, size_t len, STACK_OF(X509) **certs,
    EVP_PKEY **pubkey, char *err, size_t errlen)
{
	BIO			*b;
	STACK_OF(X509)		*sk = NULL;
	EVP_PKEY		*key = NULL;
	X509			*x;
	char			*name = NULL, *header = NULL, why[128];
	unsigned char		*data = NULL;
	const unsigned char	*p;
	unsigned long		 e;
	long			 n;
	int			 nobj = 0, ncert = 0;

	*certs = NULL;
	*pubkey = NULL;
	if (len > CERT_FILE_MAX) {
		cli_errf(err, errlen, "over %d bytes: no certificate file",
		    CERT_FILE_MAX);
		return -1;
	}
	ERR_clear_error();
	if ((b = BIO_new_mem_buf(buf, (int)len)) == NULL ||
	    (sk = sk_X509_new_null()) == NULL) {
		cli_errf(err, errlen, "out of memory");
		goto bad;
	}
	for (;;) {
		if (PEM_read_bio(b, &name, &header, &data, &n) != 1) {
			e = ERR_peek_last_error();
			if (ERR_GET_LIB(e) == ERR_LIB_PEM &&
			    ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
				break;
			cli_errf(err, errlen, "PEM object %d is malformed: %s",
			    nobj + 1, ssl_reason(why, sizeof why));
			goto bad;
		}
		nobj++;
		p = data;
		if (is_private(name)) {
			cli_errf(err, errlen, "holds a private key (PEM object "
			    "%d): give the certificate or public key only",
			    nobj);
			goto bad;
		}
		if (nobj > CERT_OBJS_MAX) {
			cli_errf(err, errlen, "over %d PEM objects",
			    CERT_OBJS_MAX);
			goto bad;
		}
		if (strcmp(name, "CERTIFICATE") == 0 ||
		    strcmp(name, "X509 CERTIFICATE") == 0) {
			ncert++;
			x = d2i_X509(NULL, &p, n);
			if (x == NULL || p != data + n) {
				X509_free(x);
				cli_errf(err, errlen, "certificate %d is "
				    "malformed: %s", ncert,
				    x == NULL ? ssl_reason(why, sizeof why) :
				    "bytes after its end");
				goto bad;
			}
			if (!sk_X509_push(sk, x)) {
				X509_free(x);
				cli_errf(err, errlen, "out of memory");
				goto bad;
			}
		} else if (strcmp(name, "PUBLIC KEY") == 0 ||
		    strcmp(name, "RSA PUBLIC KEY") == 0) {
			if (key != NULL) {
				cli_errf(err, errlen,
				    "more than one public key");
				goto bad;
			}
			key = name[0] == 'R' ?
			    d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, n) :
			    d2i_PUBKEY(NULL, &p, n);
			if (key == NULL || p != data + n) {
				cli_errf(err, errlen,
				    "public key is malformed: %s",
				    key == NULL ? ssl_reason(why, sizeof why) :
				    "bytes after its end");
				goto bad;
			}
		}
		/* Anything else (a CRL, parameters) is no concern here. */
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		name = header = NULL;
		data = NULL;
	}
	ERR_clear_error();
	if (ncert > 0 && key != NULL) {
		cli_errf(err, errlen,
		    "certificates and a public key: give one or "
		    "the other");
		goto bad;
	}
	if (ncert == 0 && key == NULL) {
		cli_errf(err, errlen, "no certificate or public key");
		goto bad;
	}
	BIO_free(b);
	if (ncert > 0)
		*certs = sk;
	else {
		sk_X509_free(sk);
		*pubkey = key;
	}
	return 0;
bad:
	ERR_clear_error();
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	EVP_PKEY_free(key);
	sk_X509_pop_free(sk, X509_free);
	BIO_free(b);
	return -1;
}

int
cert_load_fd(int fd, STACK_OF(X509) **certs, EVP_PKEY **pubkey, char *err,
    size_t errlen, int *status)
{
	char	*buf = NULL, *nb;
	size_t	 len = 0, size = 0;
	ssize_t	 n;

	*certs = NULL;
	*pubkey = NULL;
	for (;;) {
		if (len == size) {
			if (size > CERT_FILE_MAX) {
				cli_errf(err, errlen, "over %d bytes: no "
				    "certificate file", CERT_FILE_MAX);
				*status = MX_DATAERR;
				goto bad;
			}
			size = size ? size * 2 : 16384;
			if ((nb = realloc(buf, size)) == NULL) {
				cli_errf(err, errlen, "out of memory");
				*status = MX_SOFTWARE;
				goto bad;
			}
			buf = nb;
		}
		if ((n = read(fd, buf + len, size - len)) == 0)
			break;
		if (n == -1) {
			if (errno == EINTR)
				continue;
			cli_errf(err, errlen, "read: %s", strerror(errno));
			*status = MX_IOERR;
			goto bad;
		}
		len += n;
	}
	if (cert_load_mem(buf, len, certs, pubkey, err, errlen) == -1) {
		*status = MX_DATAERR;
		goto bad;
	}
	free(buf);
	*status = MX_OK;
	return 0;
bad:
	free(buf);
	return -1;
}

int
cert_load(const char *path, STACK_OF(X509) **certs, EVP_PKEY **pubkey,
    char *err, size_t errlen, int *status)
{
	int	fd, rc;

	*certs = NULL;
	*pubkey = NULL;
	if ((fd = cli_open_regular(path, "certificate file", err, errlen,
	    status)) == -1)
		return -1;
	rc = cert_load_fd(fd, certs, pubkey, err, errlen, status);
	close(fd);
	return rc;
}

void
cert_hex(char *buf, const unsigned char *p, size_t n)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < n; i++) {
		buf[2 * i] = digits[p[i] >> 4];
		buf[2 * i + 1] = digits[p[i] & 0xf];
	}
	buf[2 * n] = '\0';
}

static void
json_field(FILE *fp, const char *name, const char *s)
{
	fprintf(fp, ",\"%s\":", name);
	cli_json_string(fp, s, strlen(s));
}

static void
json_when(FILE *fp, const char *name, time_t t)
{
	char	when[32];

	if (t == 0) {
		fprintf(fp, ",\"%s\":null", name);
		return;
	}
	cert_time(t, when, sizeof when);
	json_field(fp, name, when);
}

void
cert_chain_json(FILE *fp, STACK_OF(X509) *chain)
{
	struct cert_facts	 f;
	char			 spki[65];
	int			 i, n = 0;

	fputc('[', fp);
	for (i = 0; chain != NULL && i < sk_X509_num(chain); i++) {
		/* out of memory: that certificate is left out */
		if (cert_facts(sk_X509_value(chain, i), &f) == -1)
			continue;
		if (n++ > 0)
			fputc(',', fp);
		cert_hex(spki, f.spki_sha256, sizeof f.spki_sha256);
		fprintf(fp, "{\"depth\":%d", i);
		json_field(fp, "subject", f.subject);
		json_field(fp, "issuer", f.issuer);
		json_when(fp, "notBefore", f.not_before);
		json_when(fp, "notAfter", f.not_after);
		json_field(fp, "spki_sha256", spki);
		fprintf(fp, ",\"ca\":%s}", f.is_ca ? "true" : "false");
		cert_facts_free(&f);
	}
	fputc(']', fp);
}
