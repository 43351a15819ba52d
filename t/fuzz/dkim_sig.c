/*
 * Fuzz DKIM-Signature parsing and verification on whole messages, read
 * with a 64-byte body bound so that the spool path runs.  Keys come from
 * a zone file written once, at the first call, from the fixed test keys
 * below (arc_verify's): the seeds were signed with them
 * (t/unit/dkim-tool sign --time 1700000000), so the fuzzer starts from
 * signatures that pass and explores the deep paths.
 *
 * Every result must be in range and consistent: one per DKIM-Signature
 * field; pass with no reason and a domain, selector, algorithm and an
 * identity within the domain; fail with bodyhash_mismatch or
 * signature_incorrect; invalid with a detail, and beyond DKIM_VERIFY_MAX
 * for every field past it; no temperror (the zone answers from memory);
 * the same results the second time.  A signature that passes without l=
 * must fail with bodyhash_mismatch once a line is added to the body.
 *
 * Then the message is signed on top with the RSA key for inputs of even
 * length and the Ed25519 key for odd ones, relaxed or simple by the
 * input's length too: that signature must pass, whatever the message
 * holds, and the results for the fields below it must not change.
 */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "dkim.h"
#include "dkimsign.h"
#include "dkimverify.h"
#include "dns.h"
#include "msg.h"
#include "tagval.h"

#define NOW	1700000000	/* the --time of the seeds */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * Test keys, for nothing but the harnesses and their seeds: s1 is the RSA
 * key (1024 bits, the least DKIM takes, for speed), s2 the Ed25519 one;
 * k0 to k19 are both again (k2, k5, k8 and so on Ed25519), more than the
 * key cache holds.  To make a seed, write them to files (mode 600), the
 * zone with t/data/arc-zone, and run t/unit/dkim-tool sign.
 */
static const char rsa_pem[] =
"-----BEGIN RSA PRIVATE KEY-----\n"
"MIICXAIBAAKBgQC0J1uDiongPOBSanc+9C/QN7+IJ6u0j92J5GMcoV3BisKfIj6G\n"
"QWXFL2JE3+EJjs3BNHlmnqdoB2vihCx0IQiGkUbiERH4IYaI1XEWi0N5zBO51995\n"
"mpH5zxss31pV+mwRgHOt1dXbFniMj1x6kRmXV81Oi9TaCO36rQkMJqsgVwIDAQAB\n"
"AoGAGpODyI/zbwUMApx6Iuta8liHBMr1ZZmjkOgERwD3F8okk901ZBDZtpEa6hYs\n"
"2IAcklfvYNge0hXmMHBXLnqBCzlz/5DlrzW8rJqpH/9KQU8/LOmgxZObtbx2Evjm\n"
"1d0FK6pWlvOqlsDn6o20Ec3kSm/Vbl2JNpW0nylRfDcTcYECQQDm5GoxxSDbuKn3\n"
"pWEcv7tESvEgGjB5fP+Bu8cnsv9tkH+G9nylTGaBWCQdH8WX+oomCUTJmsGi17G/\n"
"AL8yOa/nAkEAx757jj2xKHfpDU5x87KmPFvl0tc0453JQiaJA8J8QqLH5icMRVyW\n"
"s3Qzw0y2najyLrKcDn93pXIyh7M1iE++EQJAX05xt1GTmp7DKgIN7/wEpM/6cDHf\n"
"SIacQUTtlCmC3gsDWQZttR2wQjvLzGnM+krks4an6kADJeC68giw416EiQJALkAe\n"
"De6dAdjaHtmmKx6XvWwuCCcKuRXFD0sq+LLk4O0eSl2KStlIj979SWCO/GytP0De\n"
"P8EmLCoIJ0HIyHpmcQJBALGxmUBgytEhdpSSHnDxEwOlUTJUgu1dNun8/ffhL+8L\n"
"IlzIU6vGVMPliPWrzxdfF3nvIbWTmArjemIqhHY9Q+Q=\n"
"-----END RSA PRIVATE KEY-----\n";

static const char ed_pem[] =
"-----BEGIN PRIVATE KEY-----\n"
"MC4CAQAwBQYDK2VwBCIEIKFCPW1w6xeZx2r0Yg1ZjFiX7Qu6HQatXwiY3qzB0QVB\n"
"-----END PRIVATE KEY-----\n";

static struct dns	*dns;
static EVP_PKEY		*rsa, *ed;

static EVP_PKEY *
load_key(const char *pem)
{
	BIO		*bio;
	EVP_PKEY	*pk;

	if ((bio = BIO_new_mem_buf(pem, -1)) == NULL ||
	    (pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) == NULL)
		abort();
	BIO_free(bio);
	return pk;
}

/* The key record, with a note n= and flags, or a second record. */
static void
key_record(FILE *fp, const char *name, EVP_PKEY *pk, const char *more)
{
	unsigned char	 der[1024], *p = der;
	char		 b64[2048];
	size_t		 len = sizeof der;
	int		 n;

	if (pk == ed) {
		if (EVP_PKEY_get_raw_public_key(pk, der, &len) != 1)
			abort();
	} else {
		if ((n = i2d_PUBKEY(pk, NULL)) <= 0 || (size_t)n > sizeof der ||
		    i2d_PUBKEY(pk, &p) != n)
			abort();
		len = (size_t)n;
	}
	b64_encode(der, len, b64);
	fprintf(fp, "%s._domainkey 300 IN TXT \"v=DKIM1; k=%s; %s\" "
	    "\"p=%s\"\n", name, pk == ed ? "ed25519" : "rsa", more, b64);
}

static void
setup(void)
{
	const char	*tmp = getenv("TMPDIR");
	char		 path[4096], err[256];
	FILE		*fp;
	int		 fd;

	rsa = load_key(rsa_pem);
	ed = load_key(ed_pem);
	snprintf(path, sizeof path, "%s/mxkit-dkim-fuzz.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if ((fd = mkstemp(path)) < 0 || (fp = fdopen(fd, "w")) == NULL)
		abort();
	fprintf(fp, "$ORIGIN example.org.\n");
	key_record(fp, "s1", rsa, "");
	key_record(fp, "s2", ed, "");
	key_record(fp, "strict", rsa, "t=s; ");
	key_record(fp, "testing", ed, "t=y; h=sha1:sha256; s=email; ");
	key_record(fp, "multi", ed, "");
	fprintf(fp, "multi._domainkey 300 IN TXT \"v=DKIM1; p=\"\n");
	key_record(fp, "multi", rsa, "");
	for (int i = 0; i < 20; i++) {
		char	sel[8], note[16];

		snprintf(sel, sizeof sel, "k%d", i);
		snprintf(note, sizeof note, "n=%d; ", i);
		key_record(fp, sel, i % 3 == 2 ? ed : rsa, note);
	}
	fprintf(fp, "revoked._domainkey 300 IN TXT \"v=DKIM1; p=\"\n"
	    "bad._domainkey 300 IN TXT \"v=DKIM1; k=rsa; p=MIGfMA0G\"\n"
	    "note._domainkey 300 IN TXT \"hello\"\n"
	    "alias._domainkey 300 IN CNAME s1._domainkey\n"
	    "$ORIGIN sub.example.org.\n");
	key_record(fp, "s1", rsa, "");
	if (fclose(fp) != 0)
		abort();
	/* The zone is read once, here: the file can go at once. */
	dns = dns_new(NULL, path, 5, err, sizeof err);
	unlink(path);
	if (dns == NULL) {
		fprintf(stderr, "dkim_sig: %s\n", err);
		abort();
	}
}

static int
terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static int
is_sig(const struct msg_hdr *h)
{
	return h->namelen == 14 &&
	    strncasecmp(h->raw, "DKIM-Signature", 14) == 0;
}

static size_t
count_sigs(const struct msg *m)
{
	size_t	i, n = 0;

	for (i = 0; i < msg_nhdrs(m); i++)
		n += is_sig(msg_hdr(m, i));
	return n;
}

/* The k-th DKIM-Signature field's tags; -1 when they do not parse. */
static int
sig_tags(const struct msg *m, size_t k, struct tvlist *l)
{
	const char	*v, *why;
	size_t		 i, vlen;

	for (i = 0; i < msg_nhdrs(m); i++) {
		const struct msg_hdr	*h = msg_hdr(m, i);

		if (!is_sig(h) || k-- > 0)
			continue;
		v = msg_hdr_value(h, &vlen);
		return tv_parse(v, vlen, l, &why);
	}
	abort();
}

static void
check_one(const struct msg *m, const struct dkim_sig *s, size_t k)
{
	size_t		 dl, il;
	struct tvlist	 l;

	if (!terminated(s->domain, sizeof s->domain) ||
	    !terminated(s->selector, sizeof s->selector) ||
	    !terminated(s->identity, sizeof s->identity) ||
	    !terminated(s->reason, sizeof s->reason) ||
	    !terminated(s->detail, sizeof s->detail) ||
	    !terminated(s->b, sizeof s->b) || s->temperror ||
	    s->alg < -1 || s->alg > DKIM_ED25519_SHA256)
		abort();
	for (const char *p = s->domain; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			abort();
	if (k >= DKIM_VERIFY_MAX && (s->status != DKIM_VINVALID ||
	    strcmp(s->detail, "more signatures than are verified") != 0))
		abort();
	switch (s->status) {
	case DKIM_VPASS:
		dl = strlen(s->domain);
		il = strlen(s->identity);
		if (s->reason[0] != '\0' || s->detail[0] != '\0' ||
		    dl == 0 || s->selector[0] == '\0' || s->alg < 0 ||
		    strchr(s->identity, '@') == NULL || il < dl ||
		    strcasecmp(s->identity + il - dl, s->domain) != 0 ||
		    (s->identity[il - dl - 1] != '@' &&
		    s->identity[il - dl - 1] != '.'))
			abort();
		/* What passed parses, with v=1 and From signed. */
		if (sig_tags(m, k, &l) != 0 || !tv_is(tv_get(&l, "v"), "1") ||
		    !tv_list_has(tv_get(&l, "h"), "from"))
			abort();
		break;
	case DKIM_VFAIL:
		if (strcmp(s->reason, "bodyhash_mismatch") != 0 &&
		    strcmp(s->reason, "signature_incorrect") != 0)
			abort();
		break;
	case DKIM_VINVALID:
		if (s->detail[0] == '\0' || (s->reason[0] != '\0' &&
		    strcmp(s->reason, "pubkey_unavailable") != 0 &&
		    strcmp(s->reason, "pubkey_syntax") != 0))
			abort();
		break;
	default:
		abort();
	}
}

static struct dkim_sig *
verify(struct msg *m, size_t *n)
{
	struct dkim_sig	*s;

	if (dkim_verify(m, dns, NOW, &s, n) != 0 || *n != count_sigs(m) ||
	    (*n == 0) != (s == NULL))
		abort();
	for (size_t k = 0; k < *n; k++)
		check_one(m, &s[k], k);
	return s;
}

/* A pass without l= fails once the body has one more line. */
static void
body_tamper(const uint8_t *buf, size_t n, const struct msg *m,
    const struct dkim_sig *s, size_t ns)
{
	struct dkim_sig	*t;
	struct msg	*m2;
	struct tvlist	 l;
	char		 err[256];
	size_t		 nt, k;

	if (msg_body_size(m) == 0 || buf[n - 1] != '\n')
		return;
	if ((m2 = msg_new(64)) == NULL ||
	    msg_feed(m2, (const char *)buf, n, err, sizeof err) != 0 ||
	    msg_feed(m2, "x\r\n", 3, err, sizeof err) != 0 ||
	    msg_end(m2, err, sizeof err) != 0)
		abort();
	t = verify(m2, &nt);
	if (nt != ns)
		abort();
	for (k = 0; k < ns; k++)
		if (s[k].status == DKIM_VPASS &&
		    (sig_tags(m, k, &l) != 0 || tv_get(&l, "l") == NULL) &&
		    (t[k].status != DKIM_VFAIL ||
		    strcmp(t[k].reason, "bodyhash_mismatch") != 0))
			abort();
	free(t);
	msg_free(m2);
}

/* Our own signature on top passes; those below keep their results. */
static void
sign_on_top(struct msg *m, size_t len, const struct dkim_sig *s, size_t ns)
{
	struct dkim_signer	 sg = {
		.domain = "example.org", .selector = len % 2 ? "s2" : "s1",
		.key = len % 2 ? ed : rsa, .now = NOW, .limit = -1,
		.alg = len % 2 ? DKIM_ED25519_SHA256 : DKIM_RSA_SHA256,
		.hrel = len % 3 == 0, .brel = len % 5 == 0
	};
	struct dkim_sig		*t;
	char			 why[256];
	size_t			 nt, k;

	if (msg_size(m) - msg_body_size(m) > MSG_HDR_MAX - 4096)
		return;
	if (dkim_sign(m, &sg, why, sizeof why) != 0)
		abort();
	t = verify(m, &nt);
	if (nt != ns + 1 || t[0].status != DKIM_VPASS)
		abort();
	/*
	 * A field below keeps its result, but for the one pushed past
	 * DKIM_VERIFY_MAX, and one whose h= names DKIM-Signature (ours is
	 * now the bottom-most of those it takes).
	 */
	for (k = 0; k + 1 < DKIM_VERIFY_MAX && k < ns; k++)
		if (t[k + 1].status != s[k].status &&
		    strstr(t[k + 1].detail, "more") == NULL) {
			struct tvlist	l;

			if (sig_tags(m, k + 1, &l) == 0 &&
			    tv_get(&l, "h") != NULL &&
			    tv_list_has(tv_get(&l, "h"), "dkim-signature"))
				continue;
			abort();
		}
	free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	struct dkim_sig	*s, *again;
	struct msg	*m;
	char		 err[256];
	size_t		 ns, na;

	if (dns == NULL)
		setup();
	if ((m = msg_new(64)) == NULL)
		abort();
	if (msg_feed(m, (const char *)buf, n, err, sizeof err) != 0 ||
	    msg_end(m, err, sizeof err) != 0) {
		msg_free(m);
		return 0;
	}
	s = verify(m, &ns);
	again = verify(m, &na);
	if (na != ns || (ns > 0 && memcmp(s, again, ns * sizeof *s) != 0))
		abort();
	free(again);
	body_tamper(buf, n, m, s, ns);
	sign_on_top(m, n, s, ns);
	free(s);
	msg_free(m);
	return 0;
}
