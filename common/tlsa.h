/*
 * tlsa: TLSA records (RFC 6698, RFC 7671, RFC 7672): read, judge, make,
 * match and print them.
 */
#ifndef MX_TLSA_H
#define MX_TLSA_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <openssl/x509.h>

/* Certificate usages, selectors and matching types. */
enum {
	TLSA_PKIX_TA = 0, TLSA_PKIX_EE = 1, TLSA_DANE_TA = 2, TLSA_DANE_EE = 3
};
enum { TLSA_SEL_CERT = 0, TLSA_SEL_SPKI = 1 };
enum { TLSA_MT_FULL = 0, TLSA_MT_SHA256 = 1, TLSA_MT_SHA512 = 2 };

#define TLSA_DATA_MAX	65535

struct tlsa {
	uint8_t		 usage;
	uint8_t		 selector;
	uint8_t		 mtype;
	size_t		 len;
	uint8_t		 data[];	/* len bytes */
};

/*
 * A record from its RDATA (rd, n bytes: usage, selector, mtype, data).
 * NULL with err when it has fewer than 4 bytes (no data) or out of memory.
 * A record of any usage, selector, matching type or length is read: which
 * ones a client can use is tlsa_usable's question.  free() it.
 */
struct tlsa	*tlsa_from_rdata(const uint8_t *, size_t, char *, size_t);
/*
 * A record from presentation form, "3 1 1 ABCD..." (blanks inside the hex
 * allowed, as in master files), NULL with err when malformed.
 */
struct tlsa	*tlsa_parse(const char *, char *, size_t);

/*
 * Whether an SMTP client can use the record (RFC 7672 3.1, RFC 7671 4-5):
 * usage 2 or 3, selector 0 or 1, matching type 0, 1 or 2, and data of the
 * length the matching type gives (32 bytes for SHA-256, 64 for SHA-512; a
 * full certificate or key that parses as one for type 0).  Returns 1, or 0
 * with the reason in why ("usage 1 (PKIX-EE) is not for SMTP", "SHA-256
 * data of 31 bytes").
 */
int		 tlsa_usable(const struct tlsa *, char *, size_t);

/*
 * The record of usage, selector and mtype for cert (selector 0: its DER;
 * 1: its DER SubjectPublicKeyInfo), or for a public key alone (key, with
 * cert NULL: selector 1 only).  NULL with err when the combination cannot
 * be made (selector 0 from a key alone, a value out of range).
 */
struct tlsa	*tlsa_make(X509 *, EVP_PKEY *, int, int, int, char *, size_t);

/* Whether the record's selector and matching type give its data for cert. */
int		 tlsa_matches(const struct tlsa *, X509 *);

/*
 * The record in master-file form: "OWNER IN TLSA U S M HEX\n", the hex
 * upper case in one word; owner as given (e.g. "_25._tcp.mx.example.").
 */
void		 tlsa_print(FILE *, const char *, const struct tlsa *);
/* "U S M HEX" into a malloc'd string (NULL when out of memory). */
char		*tlsa_text(const struct tlsa *);

/* "PKIX-TA", "PKIX-EE", "DANE-TA", "DANE-EE", or "usage N". */
const char	*tlsa_usage_name(int);

#endif
