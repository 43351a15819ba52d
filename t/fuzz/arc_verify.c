/*
 * Fuzz ARC chain validation on whole messages, read with a 64-byte body
 * bound so that the spool path runs.  Keys come from a zone file written
 * once, at the first call, from the fixed test keys below: the seeds were
 * sealed with them (tools/arc-sign --time 1700000000), so the fuzzer starts
 * from chains that pass and explores the deep paths.
 *
 * The result must be in range and consistent: a verdict, a non-empty
 * reason exactly when it is fail, oldest-pass within 1..n exactly when it
 * is pass, n - 1 colons in the domain list, no DNS failure (the zone
 * answers from memory), and the same verdict the second time.  A chain
 * that passes must fail at its newest AMS once a line is added to the body
 * (unless that AMS has an l=).
 *
 * Then the message is sealed on top (with an A-R field of our own, unless
 * it already holds one that would decide cv instead), with the RSA key
 * for inputs of even length and the Ed25519 key for odd ones: arc_seal
 * must reach the verdict arc_verify reaches on the same message, seal it
 * unless the chain is full or was failed by its last sealer, and the new
 * chain must then pass if the old one passed or was none, and be failed
 * at the new instance otherwise.
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

#include "arc.h"
#include "authres.h"
#include "dkim.h"
#include "dns.h"
#include "msg.h"
#include "tagval.h"

#define NOW	1700000000	/* the --time of the seeds */
#define OURS	"fuzz.example"	/* our authserv-id when sealing */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * Test keys, for nothing but this harness and its seeds: s1 and r1 are the
 * RSA key (1024 bits, the least DKIM takes, for speed), s2 and e1 the
 * Ed25519 one; k0 to k19 of example.org are both again, k2, k5, k8 and so
 * on Ed25519.  To make a seed, write them to files (mode 600), the zone
 * with t/data/arc-zone, and run tools/arc-sign --time 1700000000.
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

/*
 * The key record: SubjectPublicKeyInfo for RSA, the raw key for Ed25519;
 * a note n= tells records of one key apart, as a cache sees them.
 */
static void
key_record(FILE *fp, const char *name, EVP_PKEY *pk, int note)
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
	fprintf(fp, "%s._domainkey 300 IN TXT \"v=DKIM1; k=%s; \"", name,
	    pk == ed ? "ed25519" : "rsa");
	if (note >= 0)
		fprintf(fp, " \"n=%d; \"", note);
	fprintf(fp, " \"p=%s\"\n", b64);
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
	snprintf(path, sizeof path, "%s/mxkit-arc-fuzz.XXXXXX",
	    tmp != NULL && *tmp != '\0' ? tmp : "/tmp");
	if ((fd = mkstemp(path)) < 0 || (fp = fdopen(fd, "w")) == NULL)
		abort();
	fprintf(fp, "$ORIGIN example.org.\n");
	key_record(fp, "s1", rsa, -1);
	key_record(fp, "s2", ed, -1);
	/* More records than the verifier keeps keys or RSA contexts for. */
	for (int i = 0; i < 20; i++) {
		char	sel[8];

		snprintf(sel, sizeof sel, "k%d", i);
		key_record(fp, sel, i % 3 == 2 ? ed : rsa, i);
	}
	fprintf(fp, "revoked._domainkey 300 IN TXT \"v=DKIM1; p=\"\n"
	    "bad._domainkey 300 IN TXT \"v=DKIM1; k=rsa; p=MIGfMA0G\"\n"
	    "alias._domainkey 300 IN CNAME s1._domainkey\n"
	    "$ORIGIN example.net.\n");
	key_record(fp, "r1", rsa, -1);
	key_record(fp, "e1", ed, -1);
	if (fclose(fp) != 0)
		abort();
	/* The zone is read once, here: the file can go at once. */
	dns = dns_new(NULL, path, 5, err, sizeof err);
	unlink(path);
	if (dns == NULL) {
		fprintf(stderr, "arc_verify: %s\n", err);
		abort();
	}
}

static int
terminated_string(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

static void
check_result(const struct arc_result *r)
{
	size_t	colons = 0;

	if (!terminated_string(r->reason, sizeof r->reason) ||
	    !terminated_string(r->domains, sizeof r->domains) ||
	    r->n < 0 || r->n > ARC_MAX || r->tempfail ||
	    r->oldest_pass < 0 || r->oldest_pass > r->n ||
	    r->fail_i < 0 || r->fail_i > r->n)
		abort();
	switch (r->state) {
	case ARC_NONE:
		if (r->n != 0 || r->reason[0] != '\0' || r->terminated)
			abort();
		break;
	case ARC_PASS:
		if (r->n < 1 || r->oldest_pass < 1 || r->reason[0] != '\0' ||
		    r->fail_i != 0 || r->terminated)
			abort();
		break;
	case ARC_FAIL:
		if (r->reason[0] == '\0' || r->oldest_pass != 0)
			abort();
		break;
	default:
		abort();
	}
	/* Seal d= values in instance order: no colon inside one. */
	for (const char *p = r->domains; *p != '\0'; p++)
		if (*p == ':')
			colons++;
		else if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' &&
		    *p <= 'Z') && !(*p >= '0' && *p <= '9') &&
		    strchr(".-_", *p) == NULL)
			abort();
	if (r->n == 0 ? r->domains[0] != '\0' : colons != (size_t)r->n - 1)
		abort();
}

static int
same(const struct arc_result *a, const struct arc_result *b)
{
	return a->state == b->state && a->tempfail == b->tempfail &&
	    a->terminated == b->terminated && a->n == b->n &&
	    a->fail_i == b->fail_i && a->oldest_pass == b->oldest_pass &&
	    strcmp(a->reason, b->reason) == 0 &&
	    strcmp(a->domains, b->domains) == 0;
}

/* Whether an A-R field of ours is there: it, not validation, sets cv. */
static int
has_ours(const struct msg *m)
{
	for (size_t i = 0; i < msg_nhdrs(m); i++) {
		const struct msg_hdr	*h = msg_hdr(m, i);
		struct authres		 ar;
		const char		*v;
		size_t			 vlen;
		int			 ours;

		if (h->namelen != 22 ||
		    strncasecmp(h->raw, "Authentication-Results", 22) != 0)
			continue;
		v = msg_hdr_value(h, &vlen);
		ours = authres_parse(v, vlen, &ar) == 0 &&
		    authres_is_ours(&ar, OURS);
		authres_free(&ar);
		if (ours)
			return 1;
	}
	return 0;
}

/* Whether the AMS of instance n has an l= (its body hash then covers less). */
static int
newest_ams_limited(const struct msg *m, int n)
{
	for (size_t i = 0; i < msg_nhdrs(m); i++) {
		const struct msg_hdr	*h = msg_hdr(m, i);
		struct tvlist		 l;
		const struct tv		*t;
		const char		*v, *why;
		size_t			 vlen;

		if (h->namelen != 21 ||
		    strncasecmp(h->raw, "ARC-Message-Signature", 21) != 0)
			continue;
		v = msg_hdr_value(h, &vlen);
		if (tv_parse(v, vlen, &l, &why) == 0 &&
		    (t = tv_get(&l, "i")) != NULL && tv_num(t) == n)
			return tv_get(&l, "l") != NULL;
	}
	return 1;
}

/*
 * A chain that passes fails, at its newest AMS, once the body gets one
 * more line: unless that AMS has an l=, or there was no body to add to.
 */
static void
body_tamper(const uint8_t *buf, size_t n, const struct msg *m,
    const struct arc_result *r)
{
	struct arc_result	 t;
	struct msg		*m2;
	char			 err[256], want[64];

	if (r->state != ARC_PASS || msg_body_size(m) == 0 ||
	    newest_ams_limited(m, r->n))
		return;
	if ((m2 = msg_new(64)) == NULL ||
	    msg_feed(m2, (const char *)buf, n, err, sizeof err) != 0 ||
	    msg_feed(m2, "x\r\n", 3, err, sizeof err) != 0 ||
	    msg_end(m2, err, sizeof err) != 0 ||
	    arc_verify(m2, dns, NOW, &t) != 0)
		abort();
	check_result(&t);
	snprintf(want, sizeof want, "i=%d (AMS body hash miscompare)", r->n);
	if (t.state != ARC_FAIL || strcmp(t.reason, want) != 0)
		abort();
	msg_free(m2);
}

static void
reseal(struct msg *m, EVP_PKEY *key)
{
	struct arc_signer	 sg = {
		.domain = "example.org", .selector = key == ed ? "s2" : "s1",
		.authserv_id = OURS, .key = key, .now = NOW,
		.alg = key == ed ? DKIM_ED25519_SHA256 : DKIM_RSA_SHA256
	};
	struct arc_result	 before, chain, after;
	enum arc_seal_status	 st;
	char			 ar[128], why[256];
	char			 want[sizeof after.domains + 16];

	if (has_ours(m))
		return;
	snprintf(ar, sizeof ar, "Authentication-Results: %s; spf=pass%s",
	    OURS, msg_crlf(m) ? "\r\n" : "\n");
	if (msg_prepend(m, ar, strlen(ar)) != 0 ||
	    arc_verify(m, dns, NOW, &before) != 0)
		abort();
	check_result(&before);
	memset(&chain, 0, sizeof chain);
	st = arc_seal(m, &sg, dns, &chain, why, sizeof why);
	if (before.n >= ARC_MAX) {
		if (st != ARC_TOO_MANY)
			abort();
		return;
	}
	if (before.terminated) {
		if (st != ARC_CHAIN_FAILED)
			abort();
		return;
	}
	if (st != ARC_SEALED || !same(&chain, &before) ||
	    arc_verify(m, dns, NOW, &after) != 0)
		abort();
	check_result(&after);
	snprintf(want, sizeof want, "%s%sexample.org", before.domains,
	    before.n > 0 ? ":" : "");
	if (after.n != before.n + 1 || strcmp(after.domains, want) != 0)
		abort();
	if (before.state != ARC_FAIL ? after.state != ARC_PASS :
	    after.state != ARC_FAIL || !after.terminated ||
	    after.fail_i != after.n)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	struct arc_result	 r, again;
	struct msg		*m;
	char			 err[256];

	if (dns == NULL)
		setup();
	if ((m = msg_new(64)) == NULL)
		abort();
	if (msg_feed(m, (const char *)buf, n, err, sizeof err) != 0 ||
	    msg_end(m, err, sizeof err) != 0) {
		msg_free(m);
		return 0;
	}
	if (arc_verify(m, dns, NOW, &r) != 0)
		abort();
	check_result(&r);
	if (arc_verify(m, dns, NOW, &again) != 0 || !same(&r, &again))
		abort();
	body_tamper(buf, n, m, &r);
	reseal(m, n % 2 ? ed : rsa);
	msg_free(m);
	return 0;
}
