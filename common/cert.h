/*
 * cert: certificate facts and certificate files, for tlsa-check and
 * smtp-probe.
 *
 * What an administrator checks of a certificate: subject, issuer, the
 * validity period, whether it is a CA, the names it is for, and the
 * digest of its public key that TLSA records of selector 1 carry.
 */
#ifndef MX_CERT_H
#define MX_CERT_H

#include <stddef.h>
#include <stdio.h>
#include <time.h>
#include <openssl/x509.h>

struct cert_facts {
	char		 subject[256];	/* RFC 2253 one line, shown safely */
	char		 issuer[256];
	time_t		 not_before;
	time_t		 not_after;
	int		 is_ca;		/* basicConstraints CA:TRUE */
	int		 self_signed;	/* issuer == subject, own key signs */
	unsigned char	 spki_sha256[32];  /* of the DER SubjectPublicKeyInfo */
	unsigned char	 cert_sha256[32];  /* of the DER certificate */
	char		 key[32];	/* "rsa 2048", "ec p-256", "ed25519" */
	/* DNS names: subjectAltName dNSNames, else the subject CN; lower case */
	char		**names;
	size_t		 nnames;
};

/* n bytes as 2n lower-case hex digits and a NUL into buf. */
void	cert_hex(char *, const unsigned char *, size_t);
/*
 * A chain as the reports of tlsa-check and smtp-probe give it in JSON, an
 * array leaf first: depth, subject, issuer, notBefore, notAfter, the
 * SHA-256 of the SubjectPublicKeyInfo, and whether it is a CA.  NULL or
 * an empty chain prints [].
 */
void	cert_chain_json(FILE *, STACK_OF(X509) *);

/* The facts of cert; -1 only when out of memory. */
int	cert_facts(X509 *, struct cert_facts *);
void	cert_facts_free(struct cert_facts *);

/* An ASN.1 time (UTCTime or GeneralizedTime) as time_t, 0 when bad. */
time_t	cert_asn1_time(const ASN1_TIME *);

/* notAfter as "2036-01-01T00:00:00Z" into buf (21 bytes at least). */
void	cert_time(time_t, char *, size_t);

/*
 * A PEM file of one or more certificates (a leaf, a chain), or one public
 * key ("PUBLIC KEY", "RSA PUBLIC KEY").  On success 0 and either *certs
 * (a stack in file order, free with sk_X509_pop_free(..., X509_free)) or
 * *pubkey (free with EVP_PKEY_free), the other NULL.  On failure -1, err
 * one line naming what is wrong ("no certificate or public key",
 * "certificate 2 is malformed: ..."; for MX_NOINPUT it is
 * cli_open_regular's whole message, which names the file), and *status
 * the exit code:
 * MX_NOINPUT for a file that cannot be opened or is no regular file,
 * MX_DATAERR for one that holds no valid PEM object of those kinds or a
 * malformed one, MX_IOERR for a read error.  A private key in the file is
 * refused (MX_DATAERR): this is no place for secrets.
 */
int	cert_load(const char *, STACK_OF(X509) **, EVP_PKEY **, char *, size_t,
	    int *);
/* The same from an open file (standard input), read to its end. */
int	cert_load_fd(int, STACK_OF(X509) **, EVP_PKEY **, char *, size_t,
	    int *);
/* The same from memory, for the fuzz harness and for chains from a server. */
int	cert_load_mem(const char *, size_t, STACK_OF(X509) **, EVP_PKEY **,
	    char *, size_t);

#endif
