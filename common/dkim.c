/*
 * dkim: algorithms, key records, key files, base64, signed header hash.
 */
#include "config.h"

#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#include "dns.h"
#include "msg.h"
#include "tagval.h"

int
dkim_name_ok(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '.' || *s == '-' ||
		    *s == '_'))
			return 0;
	return 1;
}

int
dkim_domain_ok(const char *p, size_t n)
{
	size_t	i, lab = 0;

	if (n == 0 || n > 253)
		return 0;
	for (i = 0; i < n; i++) {
		unsigned char	ch = p[i];

		if (ch == '.') {
			if (lab == 0)
				return 0;
			lab = 0;
			continue;
		}
		if (!(ch >= 'a' && ch <= 'z') && !(ch >= 'A' && ch <= 'Z') &&
		    !(ch >= '0' && ch <= '9') && ch != '-' && ch != '_')
			return 0;
		if (++lab > 63)
			return 0;
	}
	return lab > 0;
}

static int
canon_word(const char *p, size_t n, int *relaxed)
{
	if (n == 7 && memcmp(p, "relaxed", 7) == 0)
		*relaxed = 1;
	else if (n == 6 && memcmp(p, "simple", 6) == 0)
		*relaxed = 0;
	else
		return -1;
	return 0;
}

int
dkim_canon_parse(const char *p, size_t n, int *hrel, int *brel)
{
	const char	*slash = memchr(p, '/', n);
	size_t		 a = slash ? (size_t)(slash - p) : n;

	*hrel = *brel = 0;
	if (canon_word(p, a, hrel) < 0)
		return -1;
	if (slash == NULL)
		return 0;
	return canon_word(slash + 1, n - a - 1, brel);
}

const char *
dkim_check_times(const struct tvlist *l, time_t now, int expiry)
{
	const struct tv	*t = tv_get(l, "t"), *x = tv_get(l, "x");
	long long	 tv = -1, xv = -1;

	if (t != NULL && (tv = tv_num(t)) < 0)
		return "bad t=";
	if (t != NULL && tv > (long long)now + DKIM_SKEW)
		return "t= in the future";
	if (!expiry)
		return NULL;
	if (x != NULL && (xv = tv_num(x)) < 0)
		return "bad x=";
	/* RFC 6376 3.5: x= MUST be greater than t=. */
	if (x != NULL && t != NULL && xv <= tv)
		return "x= not after t=";
	if (x != NULL && xv < (long long)now)
		return "signature expired";
	return NULL;
}

static int
is_cfws(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

void
dkim_b_span(const char *raw, size_t len, const char *val, size_t vallen,
    size_t *off, size_t *blen)
{
	size_t	start = (size_t)(val - raw), end = start + vallen;

	while (start > 0 && raw[start - 1] != '=')
		start--;
	while (end < len && raw[end] != ';' && is_cfws((unsigned char)raw[end]))
		end++;
	*off = start;
	*blen = end - start;
}

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
		return DKIM_KEY_SHORT;
	}
	/* Its signatures would not fit DKIM_SIG_MAX. */
	if (k->alg == DKIM_RSA_SHA256 &&
	    EVP_PKEY_get_bits(k->pk) > DKIM_RSA_MAX) {
		*why = "RSA key longer than 8192 bits";
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

#define KEY_CACHE	16

static struct {
	char			*txt;
	struct dkim_pubkey	 k;
} keys[KEY_CACHE];
static unsigned	key_next;

enum dkim_key_status
dkim_key_cached(const char *rec, const struct dkim_pubkey **kp,
    const char **why)
{
	struct dkim_pubkey	k;
	enum dkim_key_status	st;
	size_t			i;

	*kp = NULL;
	for (i = 0; i < KEY_CACHE; i++)
		if (keys[i].txt != NULL && strcmp(keys[i].txt, rec) == 0) {
			*kp = &keys[i].k;
			return DKIM_KEY_OK;
		}
	if ((st = dkim_key_parse(rec, strlen(rec), &k, why)) != DKIM_KEY_OK)
		return st;
	i = key_next++ % KEY_CACHE;
	free(keys[i].txt);
	dkim_pubkey_free(&keys[i].k);
	if ((keys[i].txt = strdup(rec)) == NULL) {
		dkim_pubkey_free(&k);
		*why = "out of memory";
		return DKIM_KEY_BAD;
	}
	keys[i].k = k;
	*kp = &keys[i].k;
	return DKIM_KEY_OK;
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
		*rc = MX_TEMPFAIL;
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
 * Write pk to a new temporary file beside path, sync it, and link it to
 * path: link(2) never replaces a file, as rename(2) would.
 */
static int
key_write(EVP_PKEY *pk, const char *path, char *err, size_t errlen)
{
	const char	*base = strrchr(path, '/');
	char		 dir[PATH_MAX], tmp[PATH_MAX], *pem;
	BIO		*bio;
	long		 n;
	size_t		 off = 0;
	ssize_t		 w;
	int		 fd, dfd, ok, e;

	if (base == NULL) {
		base = path;
		snprintf(dir, sizeof dir, ".");
	} else {
		base++;
		if ((size_t)(base - path) >= sizeof dir)
			goto toolong;
		/* "/k" is in "/", "a/b/k" in "a/b". */
		snprintf(dir, sizeof dir, "%.*s", base - path == 1 ? 1 :
		    (int)(base - path - 1), path);
	}
	if (*base == '\0') {
		snprintf(err, errlen, "cannot create key '%s': no file name",
		    path);
		return -1;
	}
	if ((size_t)snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, base) >=
	    sizeof tmp)
		goto toolong;
	if ((fd = mkstemp(tmp)) < 0) {
		snprintf(err, errlen, "cannot create key '%s': %s", path,
		    strerror(errno));
		return -1;
	}
	if ((bio = BIO_new(BIO_s_mem())) == NULL) {
		errno = ENOMEM;
		goto fail;
	}
	ok = dkim_privkey_alg(pk) == DKIM_RSA_SHA256 ?
	    PEM_write_bio_PrivateKey_traditional(bio, pk, NULL, NULL, 0, NULL,
	    NULL) : PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL,
	    NULL);
	n = BIO_get_mem_data(bio, &pem);
	e = ENOMEM;
	while (ok && n > 0 && off < (size_t)n) {
		if ((w = write(fd, pem + off, (size_t)n - off)) < 0 &&
		    errno == EINTR)
			continue;
		if (w <= 0) {
			e = w < 0 ? errno : EIO;
			ok = 0;
			break;
		}
		off += (size_t)w;
	}
	if (n > 0)
		OPENSSL_cleanse(pem, (size_t)n);
	BIO_free(bio);
	if (!ok) {
		errno = e;
		goto fail;
	}
	if (fchmod(fd, 0600) < 0 || fsync(fd) < 0)
		goto fail;
	if (close(fd) < 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (link(tmp, path) < 0)
		goto fail;
	unlink(tmp);
	/* The new name is durable once its directory is. */
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fsync(dfd) < 0) {
		snprintf(err, errlen, "cannot sync directory '%s': %s", dir,
		    strerror(errno));
		if (dfd >= 0)
			close(dfd);
		unlink(path);
		return -1;
	}
	close(dfd);
	return 0;
fail:
	snprintf(err, errlen, "cannot create key '%s': %s", path,
	    strerror(errno));
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	return -1;
toolong:
	snprintf(err, errlen, "cannot create key '%s': %s", path,
	    strerror(ENAMETOOLONG));
	return -1;
}

EVP_PKEY *
dkim_key_new(const char *path, int alg, int bits, char *err, size_t errlen,
    int *status)
{
	struct stat	 st;
	EVP_PKEY	*pk;

	*status = MX_USAGE;
	if (alg == DKIM_ED25519_SHA256 && bits != 0) {
		snprintf(err, errlen, "bad bits %d: an Ed25519 key has no "
		    "size to choose", bits);
		return NULL;
	}
	if (alg == DKIM_RSA_SHA256 && bits == 0)
		bits = DKIM_RSA_BITS;
	if (alg == DKIM_RSA_SHA256 &&
	    (bits < DKIM_RSA_MIN || bits > DKIM_RSA_MAX)) {
		snprintf(err, errlen, "bad bits %d: want %d to %d", bits,
		    DKIM_RSA_MIN, DKIM_RSA_MAX);
		return NULL;
	}
	/* Say so before a long RSA generation; link(2) decides in the end. */
	*status = MX_CANTCREAT;
	if (lstat(path, &st) == 0) {
		snprintf(err, errlen, "cannot create key '%s': %s", path,
		    strerror(EEXIST));
		return NULL;
	}
	pk = alg == DKIM_ED25519_SHA256 ?
	    EVP_PKEY_Q_keygen(NULL, NULL, "ED25519") :
	    EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	if (pk == NULL) {
		snprintf(err, errlen, "cannot make a key: OpenSSL failed");
		ERR_clear_error();
		*status = MX_SOFTWARE;
		return NULL;
	}
	if (key_write(pk, path, err, errlen) < 0) {
		EVP_PKEY_free(pk);
		return NULL;
	}
	return pk;
}

char *
dkim_key_record(EVP_PKEY *pk)
{
	unsigned char	 raw[32], *der = NULL;
	const char	*head;
	char		*rec;
	size_t		 rawlen = sizeof raw, hlen;
	int		 dlen;

	if (dkim_privkey_alg(pk) == DKIM_ED25519_SHA256) {
		/* RFC 8463 4.2: the bare public key, not its SPKI. */
		if (EVP_PKEY_get_raw_public_key(pk, raw, &rawlen) != 1)
			return NULL;
		head = "v=DKIM1; k=ed25519; p=";
		der = raw;
		dlen = (int)rawlen;
	} else {
		if ((dlen = i2d_PUBKEY(pk, &der)) <= 0)
			return NULL;
		head = "v=DKIM1; k=rsa; p=";
	}
	hlen = strlen(head);
	if ((rec = malloc(hlen + 4 * (((size_t)dlen + 2) / 3) + 1)) != NULL) {
		memcpy(rec, head, hlen);
		b64_encode(der, (size_t)dlen, rec + hlen);
	}
	if (der != raw)
		OPENSSL_free(der);
	return rec;
}

char *
dkim_zone_line(const char *selector, const char *domain, unsigned long ttl,
    const char *record)
{
	struct buf	b = { 0 };
	size_t		len = strlen(record), i, dl = strlen(domain);
	char		num[32];

	/* The owner is absolute: "example.org." is taken as given. */
	if (dl > 0 && domain[dl - 1] == '.')
		dl--;
	snprintf(num, sizeof num, ". %lu IN TXT", ttl);
	if (buf_addstr(&b, selector) < 0 ||
	    buf_addstr(&b, "._domainkey.") < 0 ||
	    buf_add(&b, domain, dl) < 0 || buf_addstr(&b, num) < 0)
		goto fail;
	for (i = 0; i < len || i == 0; i += 255)
		if (buf_addstr(&b, " \"") < 0 ||
		    buf_add(&b, record + i, len - i < 255 ? len - i : 255) < 0 ||
		    buf_addstr(&b, "\"") < 0)
			goto fail;
	if (buf_add(&b, "", 1) < 0)
		goto fail;
	return b.p;
fail:
	buf_free(&b);
	return NULL;
}

int
dkim_is_key_record(const char *rec)
{
	struct tvlist	 l;
	const struct tv	*v;
	const char	*why;

	if (tv_parse(rec, strlen(rec), &l, &why) == 0) {
		if ((v = tv_get(&l, "v")) == NULL)
			return tv_get(&l, "p") != NULL;
		return v == &l.t[0] && tv_is(v, "DKIM1");
	}
	/* One that does not parse is still a key record gone wrong. */
	while (*rec == ' ' || *rec == '\t')
		rec++;
	return strncmp(rec, "v=DKIM1", 7) == 0;
}

/* One key record against pk. */
static enum dkim_check
check_one(const char *rec, EVP_PKEY *pk, char *why, size_t whylen)
{
	struct dkim_pubkey	 k;
	const char		*r = "";
	enum dkim_check		 c;

	switch (dkim_key_parse(rec, strlen(rec), &k, &r)) {
	case DKIM_KEY_OK:
		break;
	case DKIM_KEY_REVOKED:
		snprintf(why, whylen, "the record is revoked (empty p=)");
		return DKIM_CHECK_REVOKED;
	case DKIM_KEY_SHORT:
		snprintf(why, whylen, "the record's RSA key is shorter than "
		    "%d bits", DKIM_RSA_MIN);
		return DKIM_CHECK_SHORT;
	default:
		snprintf(why, whylen, "bad key record: %s", r);
		return DKIM_CHECK_BAD;
	}
	if (k.alg != dkim_privkey_alg(pk)) {
		snprintf(why, whylen, "the record is for %s, the key for %s",
		    dkim_alg_name(k.alg), dkim_alg_name(dkim_privkey_alg(pk)));
		c = DKIM_CHECK_MISMATCH;
	} else if (EVP_PKEY_eq(k.pk, pk) != 1) {
		snprintf(why, whylen, "the record holds another key");
		c = DKIM_CHECK_MISMATCH;
	} else {
		*why = '\0';
		c = DKIM_CHECK_MATCH;
	}
	ERR_clear_error();
	dkim_pubkey_free(&k);
	return c;
}

enum dkim_check
dkim_key_check(struct dns *dns, const char *selector, const char *domain,
    EVP_PKEY *pk, char *why, size_t whylen)
{
	enum dkim_check		 c, worst = DKIM_CHECK_MATCH;
	enum dns_status		 st;
	char			 name[600], err[256], **txt, r[256];
	size_t			 ntxt, i, nkey = 0, dl = strlen(domain);

	if (dl > 0 && domain[dl - 1] == '.')
		dl--;
	if ((size_t)snprintf(name, sizeof name, "%s._domainkey.%.*s",
	    selector, (int)dl, domain) >= sizeof name) {
		snprintf(why, whylen, "name too long");
		return DKIM_CHECK_BAD;
	}
	st = dns_txt(dns, name, &txt, &ntxt, err, sizeof err);
	switch (st) {
	case DNS_OK:
		break;
	case DNS_NXDOMAIN:
	case DNS_NODATA:
		snprintf(why, whylen, "no TXT record at '%s' (%s)", name,
		    dns_status_name(st));
		return DKIM_CHECK_MISSING;
	case DNS_TEMPFAIL:
		snprintf(why, whylen, "cannot look up '%s': %s", name, err);
		return DKIM_CHECK_TEMPFAIL;
	default:
		snprintf(why, whylen, "cannot look up '%s': %s", name, err);
		return DKIM_CHECK_BAD;
	}
	*why = '\0';
	for (i = 0; i < ntxt; i++) {
		if (!dkim_is_key_record(txt[i]))
			continue;
		nkey++;
		c = check_one(txt[i], pk, r, sizeof r);
		if (c != DKIM_CHECK_MATCH && worst == DKIM_CHECK_MATCH) {
			worst = c;
			snprintf(why, whylen, "%s", r);
		}
	}
	dns_txt_free(txt, ntxt);
	if (nkey == 0) {
		snprintf(why, whylen, "no DKIM key record at '%s'", name);
		return DKIM_CHECK_MISSING;
	}
	return worst;
}

const char *
dkim_check_name(enum dkim_check c)
{
	static const char	*names[] = { "match", "mismatch", "missing",
				    "revoked", "short", "bad", "temperror" };

	return (size_t)c < sizeof names / sizeof names[0] ? names[c] : "bad";
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
	for (i = 0; i < KEY_CACHE; i++) {
		free(keys[i].txt);
		keys[i].txt = NULL;
		dkim_pubkey_free(&keys[i].k);
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

/*
 * The header fields by name, each name's instances from the bottom up,
 * so that each h= item finds its next instance by a binary search: a scan
 * of every field for every item would cost a message of 25,000 fields
 * and an h= of 100,000 items seconds per signature.
 */
struct hname {
	const char	*name;
	size_t		 len;
	size_t		 i;		/* msg_hdr index */
};

static int
hname_cmp(const void *a, const void *b)
{
	const struct hname	*x = a, *y = b;
	size_t			 n = x->len < y->len ? x->len : y->len;
	int			 c;

	if ((c = strncasecmp(x->name, y->name, n)) != 0)
		return c;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return x->i > y->i ? -1 : x->i < y->i;
}

/* The first of the fields named (p, len) in v, or n when none is. */
static size_t
hname_find(const struct hname *v, size_t n, const char *p, size_t len)
{
	struct hname	key = { p, len, (size_t)-1 };
	size_t		lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (hname_cmp(&v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < n && (v[lo].len != len || strncasecmp(v[lo].name, p, len)))
		return n;
	return lo;
}

int
dkim_canon_headers(const struct msg *m, const char *hl, size_t hlen,
    int relaxed, long skip, struct buf *b)
{
	size_t		 nh = msg_nhdrs(m), n = 0, i, k, len, *taken;
	struct hname	*v;
	const char	*p = hl, *e = hl + hlen, *a;
	int		 rc = -1;

	v = calloc(nh + 1, sizeof *v);
	taken = calloc(nh + 1, sizeof *taken);
	if (v == NULL || taken == NULL)
		goto out;
	for (i = 0; i < nh; i++) {
		const struct msg_hdr	*h = msg_hdr(m, i);

		/* The signature itself is never selected. */
		if (skip >= 0 && (size_t)skip == i)
			continue;
		v[n++] = (struct hname){ h->raw, h->namelen, i };
	}
	qsort(v, n, sizeof *v, hname_cmp);
	while ((a = tv_list_next(&p, e, &len)) != NULL) {
		if (len == 0 || (k = hname_find(v, n, a, len)) == n)
			continue;
		/* The next instance from the bottom; none adds nothing. */
		i = k + taken[k];
		if (i >= n || hname_cmp(&v[i], &(struct hname){ a, len,
		    v[i].i }) != 0)
			continue;
		taken[k]++;
		if (canon_hdr(b, relaxed, msg_hdr(m, v[i].i)->raw,
		    msg_hdr(m, v[i].i)->len, 1) < 0)
			goto out;
	}
	rc = 0;
out:
	free(v);
	free(taken);
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

/* Header fields signed by default: RFC 6376 5.4.1's, and the MIME ones. */
static const char *const default_sign[] = {
	"from", "reply-to", "subject", "date", "to", "cc", "resent-date",
	"resent-from", "resent-to", "resent-cc", "in-reply-to", "references",
	"list-id", "list-help", "list-unsubscribe", "list-subscribe",
	"list-post", "list-owner", "list-archive", "message-id",
	"mime-version", "content-type", "content-transfer-encoding",
	"dkim-signature", NULL
};

/* Every default field present, as often as present, and From once more. */
int
dkim_default_headers(const struct msg *m, struct buf *out)
{
	size_t	nh = msg_nhdrs(m), i, k;

	for (k = 0; default_sign[k] != NULL; k++) {
		size_t	len = strlen(default_sign[k]);

		for (i = 0; i < nh; i++) {
			const struct msg_hdr	*h = msg_hdr(m, i);

			if (h->namelen != len ||
			    strncasecmp(h->raw, default_sign[k], len) != 0)
				continue;
			if ((out->len > 0 && buf_add(out, ":", 1) < 0) ||
			    buf_add(out, default_sign[k], len) < 0)
				return -1;
		}
	}
	if (out->len > 0 && buf_add(out, ":", 1) < 0)
		return -1;
	return buf_addstr(out, "from");
}

static int
tag_cmp(const void *a, const void *b)
{
	return strcmp(((const struct dkim_tag *)a)->name,
	    ((const struct dkim_tag *)b)->name);
}

static int
newline(struct buf *o, const char *eol, size_t *col)
{
	*col = 1;
	return buf_addstr(o, eol) < 0 || buf_add(o, "\t", 1) < 0 ? -1 : 0;
}

/* One piece that may not break; a space or a fold before it. */
static int
piece(struct buf *o, const char *eol, size_t *col, const char *s, size_t n,
    int space)
{
	if (*col > 1 && *col + space + n > 78) {
		if (newline(o, eol, col) < 0)
			return -1;
	} else if (space) {
		if (buf_add(o, " ", 1) < 0)
			return -1;
		(*col)++;
	}
	*col += n;
	return buf_add(o, s, n);
}

int
dkim_layout(struct buf *o, const char *name, struct dkim_tag *t, size_t n,
    const char *sig, const char *eol)
{
	size_t	col, i;

	qsort(t, n, sizeof *t, tag_cmp);
	if (buf_addstr(o, name) < 0 || buf_add(o, ":", 1) < 0)
		return -1;
	col = strlen(name) + 1;
	for (i = 0; i < n; i++) {
		const char	*semi = i + 1 < n ? ";" : "";
		struct buf	 w = { 0 };
		int		 rc = 0;

		if (strcmp(t[i].name, "b") == 0) {
			/*
			 * Unbroken (a line stays far below 998 bytes): a
			 * later seal hashes this field whole, and the ARC
			 * suite's seals were made over an unbroken b=.
			 */
			if (newline(o, eol, &col) < 0 ||
			    buf_addstr(o, "b=") < 0 || buf_addstr(o, sig) < 0 ||
			    buf_addstr(o, semi) < 0 ||
			    (*semi && newline(o, eol, &col) < 0))
				return -1;
			continue;
		}
		if (!t[i].list) {
			rc = buf_addstr(&w, t[i].name) < 0 ||
			    buf_add(&w, "=", 1) < 0 ||
			    buf_addstr(&w, t[i].val) < 0 ||
			    buf_addstr(&w, semi) < 0 ||
			    piece(o, eol, &col, w.p, w.len, col > 1) < 0;
			buf_free(&w);
			if (rc)
				return -1;
			continue;
		}
		/* h=: breaks after its colons, never inside a name. */
		{
			const char	*p = t[i].val;
			int		 first = 1;

			do {
				const char	*q = strchr(p, ':');
				size_t		 m = q ? (size_t)(q - p + 1) :
						    strlen(p);

				w.len = 0;
				rc = (first && (buf_addstr(&w, t[i].name) < 0 ||
				    buf_add(&w, "=", 1) < 0)) ||
				    buf_add(&w, p, m) < 0 ||
				    ((q == NULL || q[1] == '\0') &&
				    buf_addstr(&w, semi) < 0) ||
				    piece(o, eol, &col, w.p, w.len,
				    first && col > 1) < 0;
				first = 0;
				p += m;
			} while (!rc && *p != '\0');
			buf_free(&w);
			if (rc)
				return -1;
		}
	}
	return buf_addstr(o, eol);
}

int
dkim_sign_field(struct buf *out, const char *name, struct dkim_tag *t,
    size_t n, EVP_PKEY *key, int alg, int relaxed, struct buf *pre,
    const char *eol)
{
	struct buf	 unsigned_ = { 0 };
	unsigned char	 md[32], sig[DKIM_SIG_MAX];
	char		 b64[DKIM_SIG_MAX * 2];
	size_t		 slen, keep = pre->len;
	int		 rc = -1;

	if (dkim_layout(&unsigned_, name, t, n, "", eol) < 0 ||
	    canon_hdr(pre, relaxed, unsigned_.p, unsigned_.len, 0) < 0 ||
	    EVP_Digest(pre->p, pre->len, md, NULL, EVP_sha256(), NULL) != 1 ||
	    dkim_sign_hash(key, alg, md, sig, &slen) < 0)
		goto out;
	b64_encode(sig, slen, b64);
	rc = dkim_layout(out, name, t, n, b64, eol);
out:
	pre->len = keep;
	buf_free(&unsigned_);
	return rc;
}

int
dkim_body_hashes(struct msg *m, struct bodyhash *h, int n)
{
	char	buf[65536];
	ssize_t	got;
	int	k;

	if (n == 0)
		return 0;
	if (msg_body_rewind(m) < 0)
		return -1;
	while ((got = msg_body_read(m, buf, sizeof buf)) > 0)
		for (k = 0; k < n; k++)
			bodyhash_feed(&h[k], buf, (size_t)got);
	if (got < 0)
		return -1;
	for (k = 0; k < n; k++)
		if (bodyhash_final(&h[k]) < 0)
			return -1;
	return 0;
}
