/*
 * dkim: algorithms, key records, key files, base64, signed header hash.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "cli.h"
#include "dkim.h"
#include "msg.h"
#include "tagval.h"

int
dkim_alg_parse(const char *s, size_t n)
{
	if (n == 10 && memcmp(s, "rsa-sha256", 10) == 0)
		return DKIM_RSA_SHA256;
	if (n == 14 && memcmp(s, "ed25519-sha256", 14) == 0)
		return DKIM_ED25519_SHA256;
	return -1;
}

const char *
dkim_alg_name(int alg)
{
	return alg == DKIM_ED25519_SHA256 ? "ed25519-sha256" : "rsa-sha256";
}

static const signed char b64val[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6,
	['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12,
	['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17,
	['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
	['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27,
	['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
	['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37,
	['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
	['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47,
	['v'] = 48, ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52,
	['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
	['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62,
	['+'] = 63, ['/'] = 64
};

long
b64_decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
	unsigned long	acc = 0;
	size_t		i, o = 0;
	int		bits = 0, pad = 0;

	for (i = 0; i < n; i++) {
		unsigned char	c = s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			pad++;
			continue;
		}
		if (pad || b64val[c] == 0)
			return -1;
		acc = (acc << 6) | (unsigned long)(b64val[c] - 1);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o == cap)
				return -1;
			out[o++] = (acc >> bits) & 0xff;
		}
	}
	/* Leftover bits must be the zero fill the padding stands for. */
	if (pad > 2 || (acc & ((1UL << bits) - 1)) != 0 ||
	    (pad && (bits / 2 != pad)))
		return -1;
	return (long)o;
}

size_t
b64_encode(const unsigned char *p, size_t n, char *out)
{
	return (size_t)EVP_EncodeBlock((unsigned char *)out, p, (int)n);
}

enum dkim_key_status
dkim_key_parse(const char *rec, size_t len, struct dkim_pubkey *k,
    const char **why)
{
	struct tvlist		 l;
	const struct tv		*t;
	unsigned char		 der[8192];
	const unsigned char	*dp;
	long			 dlen;

	memset(k, 0, sizeof *k);
	if (tv_parse(rec, len, &l, why) < 0)
		return DKIM_KEY_BAD;
	/* v=, when present, comes first and says DKIM1. */
	if ((t = tv_get(&l, "v")) != NULL &&
	    (t != &l.t[0] || !tv_is(t, "DKIM1"))) {
		*why = "bad v= in key record";
		return DKIM_KEY_BAD;
	}
	k->alg = DKIM_RSA_SHA256;
	if ((t = tv_get(&l, "k")) != NULL) {
		if (tv_is(t, "ed25519"))
			k->alg = DKIM_ED25519_SHA256;
		else if (!tv_is(t, "rsa")) {
			*why = "unknown key type";
			return DKIM_KEY_BAD;
		}
	}
	if ((t = tv_get(&l, "h")) != NULL && !tv_list_has(t, "sha256")) {
		*why = "key record does not allow sha256";
		return DKIM_KEY_BAD;
	}
	if ((t = tv_get(&l, "s")) != NULL && !tv_list_has(t, "*") &&
	    !tv_list_has(t, "email")) {
		*why = "key record not for email";
		return DKIM_KEY_BAD;
	}
	if ((t = tv_get(&l, "t")) != NULL) {
		k->testing = tv_list_has(t, "y");
		k->strict = tv_list_has(t, "s");
	}
	if ((t = tv_get(&l, "p")) == NULL) {
		*why = "no p= in key record";
		return DKIM_KEY_BAD;
	}
	if ((dlen = b64_decode(t->val, t->vallen, der, sizeof der)) < 0) {
		*why = "bad base64 in p=";
		return DKIM_KEY_BAD;
	}
	if (dlen == 0) {
		*why = "key revoked";
		return DKIM_KEY_REVOKED;
	}
	dp = der;
	if (k->alg == DKIM_ED25519_SHA256) {
		/* RFC 8463: the bare 32-byte public key. */
		if (dlen == 32)
			k->pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519,
			    NULL, der, 32);
	} else {
		/* SubjectPublicKeyInfo, or a bare RSAPublicKey as some publish. */
		k->pk = d2i_PUBKEY(NULL, &dp, dlen);
		if (k->pk == NULL) {
			dp = der;
			k->pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &dp, dlen);
		}
		if (k->pk != NULL && EVP_PKEY_get_base_id(k->pk) != EVP_PKEY_RSA) {
			EVP_PKEY_free(k->pk);
			k->pk = NULL;
		}
	}
	if (k->pk == NULL) {
		*why = "bad public key in p=";
		return DKIM_KEY_BAD;
	}
	if (k->alg == DKIM_RSA_SHA256 && EVP_PKEY_get_bits(k->pk) < DKIM_RSA_MIN) {
		*why = "RSA key shorter than 1024 bits";
		dkim_pubkey_free(k);
		return DKIM_KEY_BAD;
	}
	return DKIM_KEY_OK;
}

void
dkim_pubkey_free(struct dkim_pubkey *k)
{
	EVP_PKEY_free(k->pk);
	k->pk = NULL;
}

/*
 * OpenSSL asks for a passphrase only for an encrypted key.  Say no, and
 * remember that it asked: with no callback it would prompt on the terminal
 * or read standard input, which is the message.
 */
static int
no_passphrase(char *buf, int size, int rwflag, void *asked)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	*(int *)asked = 1;
	return -1;
}

/* Whether PEM text says it is encrypted, PKCS#8 or traditional. */
static int
pem_encrypted(const char *p, size_t n)
{
	return memmem(p, n, "-----BEGIN ENCRYPTED PRIVATE KEY-----", 37) !=
	    NULL || memmem(p, n, "Proc-Type: 4,ENCRYPTED", 22) != NULL;
}

EVP_PKEY *
dkim_privkey_load(const char *path, char *err, size_t errlen, int *rc)
{
	struct stat	 st;
	EVP_PKEY	*pk = NULL;
	BIO		*bio;
	char		*pem;
	size_t		 len = 0;
	ssize_t		 r;
	int		 fd, asked = 0;

	if ((fd = cli_open_regular(path, "key", err, errlen, rc)) < 0)
		return NULL;
	*rc = MX_NOINPUT;
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "cannot open key '%s': %s", path,
		    strerror(errno));
		close(fd);
		return NULL;
	}
	if (st.st_mode & (S_IROTH | S_IWOTH)) {
		snprintf(err, errlen, "refusing key '%s': others can read "
		    "or write it (chmod o-rw)", path);
		close(fd);
		return NULL;
	}
	if ((pem = malloc(DKIM_KEYFILE_MAX)) == NULL) {
		snprintf(err, errlen, "cannot read key '%s': out of memory",
		    path);
		close(fd);
		*rc = MX_SOFTWARE;
		return NULL;
	}
	while (len < DKIM_KEYFILE_MAX &&
	    (r = read(fd, pem + len, DKIM_KEYFILE_MAX - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			snprintf(err, errlen, "cannot read key '%s': %s", path,
			    strerror(errno));
			*rc = MX_TEMPFAIL;
			goto out;
		}
		len += (size_t)r;
	}
	if (pem_encrypted(pem, len)) {
		asked = 1;
		goto out;
	}
	if (len < DKIM_KEYFILE_MAX &&
	    (bio = BIO_new_mem_buf(pem, (int)len)) != NULL) {
		pk = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, &asked);
		BIO_free(bio);
	}
	ERR_clear_error();
out:
	OPENSSL_cleanse(pem, DKIM_KEYFILE_MAX);
	free(pem);
	close(fd);
	if (asked) {
		snprintf(err, errlen, "cannot use key '%s': it is encrypted "
		    "(decrypt it: openssl pkey -in %s -out NEWFILE)", path,
		    path);
		EVP_PKEY_free(pk);
		return NULL;
	}
	if (*rc == MX_TEMPFAIL)
		return NULL;
	if (pk == NULL || dkim_privkey_alg(pk) < 0) {
		snprintf(err, errlen, "cannot use key '%s': %s", path,
		    pk == NULL ? "not a PEM private key" :
		    "neither RSA nor Ed25519");
		EVP_PKEY_free(pk);
		return NULL;
	}
	if (dkim_privkey_alg(pk) == DKIM_RSA_SHA256 &&
	    EVP_PKEY_get_bits(pk) < DKIM_RSA_MIN) {
		snprintf(err, errlen, "cannot use key '%s': RSA key shorter "
		    "than %d bits", path, DKIM_RSA_MIN);
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

int
dkim_privkey_alg(EVP_PKEY *pk)
{
	switch (EVP_PKEY_get_base_id(pk)) {
	case EVP_PKEY_RSA:
		return DKIM_RSA_SHA256;
	case EVP_PKEY_ED25519:
		return DKIM_ED25519_SHA256;
	}
	return -1;
}

/*
 * RSA contexts, set up once per key and used for every signature after:
 * OpenSSL 3 fetches the algorithm anew for each new context, which costs
 * as much as a verification.  The context holds a reference to its key,
 * so a cached key's address cannot be reused while it is here.
 */
#define CTX_CACHE	8

struct ctx_cache {
	EVP_PKEY	*pk;
	EVP_PKEY_CTX	*ctx;
	int		 sign;
};
static struct ctx_cache	ctxs[CTX_CACHE];
static unsigned		ctx_next;

static EVP_PKEY_CTX *
rsa_ctx(EVP_PKEY *pk, int sign)
{
	struct ctx_cache	*c;
	EVP_PKEY_CTX		*ctx;
	size_t			 i;

	for (i = 0; i < CTX_CACHE; i++)
		if (ctxs[i].pk == pk && ctxs[i].sign == sign)
			return ctxs[i].ctx;
	if ((ctx = EVP_PKEY_CTX_new(pk, NULL)) == NULL)
		return NULL;
	if ((sign ? EVP_PKEY_sign_init(ctx) : EVP_PKEY_verify_init(ctx)) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1) {
		EVP_PKEY_CTX_free(ctx);
		return NULL;
	}
	c = &ctxs[ctx_next++ % CTX_CACHE];
	EVP_PKEY_CTX_free(c->ctx);
	c->pk = pk;
	c->ctx = ctx;
	c->sign = sign;
	return ctx;
}

void
dkim_cache_free(void)
{
	size_t	i;

	for (i = 0; i < CTX_CACHE; i++) {
		EVP_PKEY_CTX_free(ctxs[i].ctx);
		ctxs[i].ctx = NULL;
		ctxs[i].pk = NULL;
	}
}

/*
 * RSA signs the hash in a PKCS#1 v1.5 DigestInfo; Ed25519 (RFC 8463) signs
 * the 32 bytes of the hash as its message.
 */
int
dkim_sign_hash(EVP_PKEY *pk, int alg, const unsigned char *md,
    unsigned char *sig, size_t *siglen)
{
	EVP_PKEY_CTX	*ctx;
	EVP_MD_CTX	*mctx;
	int		 ok = 0;

	*siglen = DKIM_SIG_MAX;
	if (alg == DKIM_ED25519_SHA256) {
		if ((mctx = EVP_MD_CTX_new()) == NULL)
			return -1;
		ok = EVP_DigestSignInit(mctx, NULL, NULL, NULL, pk) == 1 &&
		    EVP_DigestSign(mctx, sig, siglen, md, 32) == 1;
		EVP_MD_CTX_free(mctx);
		return ok ? 0 : -1;
	}
	if ((ctx = rsa_ctx(pk, 1)) == NULL)
		return -1;
	ok = EVP_PKEY_sign(ctx, NULL, siglen, md, 32) == 1 &&
	    *siglen <= DKIM_SIG_MAX &&
	    EVP_PKEY_sign(ctx, sig, siglen, md, 32) == 1;
	return ok ? 0 : -1;
}

/* 1 when the signature is good, 0 when not. */
int
dkim_verify_hash(EVP_PKEY *pk, int alg, const unsigned char *md,
    const unsigned char *sig, size_t siglen)
{
	EVP_PKEY_CTX	*ctx;
	EVP_MD_CTX	*mctx;
	int		 ok;

	if (alg == DKIM_ED25519_SHA256) {
		if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_ED25519 ||
		    (mctx = EVP_MD_CTX_new()) == NULL)
			return 0;
		ok = EVP_DigestVerifyInit(mctx, NULL, NULL, NULL, pk) == 1 &&
		    EVP_DigestVerify(mctx, sig, siglen, md, 32) == 1;
		EVP_MD_CTX_free(mctx);
		return ok;
	}
	if (EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA ||
	    (ctx = rsa_ctx(pk, 0)) == NULL)
		return 0;
	return EVP_PKEY_verify(ctx, sig, siglen, md, 32) == 1;
}

int
dkim_canon_headers(const struct msg *m, const char *hl, size_t hlen,
    int relaxed, long skip, struct buf *b)
{
	size_t		 nh = msg_nhdrs(m), i, len;
	unsigned char	*used;
	const char	*p = hl, *e = hl + hlen, *a;
	int		 rc = -1;

	if ((used = calloc(nh + 1, 1)) == NULL)
		return -1;
	if (skip >= 0 && (size_t)skip < nh)
		used[skip] = 1;
	while ((a = tv_list_next(&p, e, &len)) != NULL) {
		if (len == 0)
			continue;
		/* The next instance from the bottom; none adds nothing. */
		for (i = nh; i-- > 0;) {
			const struct msg_hdr	*h = msg_hdr(m, i);

			if (used[i] || h->namelen != len ||
			    strncasecmp(h->raw, a, len) != 0)
				continue;
			used[i] = 1;
			if (canon_hdr(b, relaxed, h->raw, h->len, 1) < 0)
				goto out;
			break;
		}
	}
	rc = 0;
out:
	free(used);
	return rc;
}

int
dkim_hash_headers(const struct msg *m, const char *hl, size_t hlen,
    int relaxed, const char *sig, size_t siglen, size_t boff, size_t blen,
    long skip, unsigned char *md)
{
	struct buf	b = { 0 }, s = { 0 };
	int		rc = -1;

	/* The signature field last, its b= value left out, no CRLF. */
	if (dkim_canon_headers(m, hl, hlen, relaxed, skip, &b) < 0 ||
	    buf_add(&s, sig, boff) < 0 ||
	    buf_add(&s, sig + boff + blen, siglen - boff - blen) < 0 ||
	    canon_hdr(&b, relaxed, s.p, s.len, 0) < 0 ||
	    EVP_Digest(b.p, b.len, md, NULL, EVP_sha256(), NULL) != 1)
		goto out;
	rc = 0;
out:
	buf_free(&b);
	buf_free(&s);
	return rc;
}
