#include "config.h"

#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/*
 * The low-level digests, deprecated in OpenSSL 3 but kept by it: with the
 * padded key absorbed once per secret, an HMAC is two struct copies and two
 * compressions, where EVP re-creates its context on every init (about 2.3
 * times slower here, and the HMAC is most of the cost of a rewrite).
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/crypto.h>
#include <openssl/md5.h>
#include <openssl/sha.h>

#include "cli.h"
#include "srs.h"

#define DAY		86400
#define STAMP_SLOTS	1024		/* two base32 characters */
#define BLOCK		64		/* SHA-1 and MD5 block size */

static const char	BASE32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
static const char	BASE64[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* RFC 2104 HMAC state after the inner and outer padded key blocks. */
union hstate {
	SHA_CTX		sha1;
	MD5_CTX		md5;
};

struct secret {
	union hstate	in;
	union hstate	out;
};

struct domain {
	char		*name;
	size_t		 len;
};

struct srs {
	enum srs_scheme	 scheme;
	struct secret	*secrets;
	int		 nsecrets;
	struct domain	*locals;
	size_t		 nlocals;
	int		 hashlen;
	int		 hashmin;
	int		 maxage;
	char		 sep;
	int		 fixed;		/* now, not the clock, gives the day */
	time_t		 now;
};

/* A bounded string builder: overflow is remembered, never written. */
struct sb {
	char		*p;
	size_t		 n;
	size_t		 cap;
	int		 over;
};

static void
sb_add(struct sb *b, const char *s, size_t n)
{
	if (b->over || n > b->cap - 1 - b->n) {
		b->over = 1;
		return;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

static void
sb_str(struct sb *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void
sb_chr(struct sb *b, char c)
{
	sb_add(b, &c, 1);
}

/*
 * Bytes an unquoted address may not hold: controls, space, angle brackets;
 * in the domain also '"' and '@'.  Bit 1: anywhere, bit 2: in the domain.
 */
static unsigned char	badbyte[256];

static void
badbyte_init(void)
{
	for (int c = 0; c < 256; c++) {
		int	any = c < 0x20 || c == 0x7f || c == ' ' || c == '<' ||
			    c == '>';

		badbyte[c] = any | (any || c == '"' || c == '@') << 1;
	}
}

/* RFC 5321 4.1.2 atext, and UTF-8 bytes as RFC 6531 allows them. */
static int
atext(unsigned char c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' &&
	    (c | 0x20) <= 'z') || c >= 0x80 ||
	    (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/*
 * A local part that may go unquoted: atext and dots, neither first nor
 * last.  A Dot-string (RFC 5321 4.1.2) but for two dots in a row, which
 * the peers write bare and MTAs take as one address (a..b@example.jp is
 * common): no special that makes a parser see a second address, a list,
 * a command or a file.
 */
static int
bare(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '.' && !atext(s[i]))
			return 0;
	return 1;
}

/*
 * The content of a Quoted-string, its quotes taken off, without its
 * quoted-pairs: into out, which holds n bytes.  -1 when it is not one (a
 * bare quote or a backslash at the end, a control).
 */
static ssize_t
unquote(const char *s, size_t n, char *out)
{
	size_t	o = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char	c = s[i];

		if (c == '"' || (c == '\\' && ++i == n))
			return -1;
		c = s[i];
		if (c < 0x20 || c == 0x7f)
			return -1;
		out[o++] = c;
	}
	return o;
}

/* A whole Quoted-string, quotes and all (as Mail::SRS keeps one inside). */
static int
quoted_string(const char *s, size_t n)
{
	char	buf[SRS_ADDR_MAX];

	return n >= 2 && n - 2 <= sizeof buf && s[0] == '"' &&
	    s[n - 1] == '"' && unquote(s + 1, n - 2, buf) >= 0;
}

/* A local part, in quotes with '"' and '\\' escaped when quote is set. */
static void
sb_local(struct sb *b, const char *s, size_t n, int quote)
{
	if (!quote) {
		sb_add(b, s, n);
		return;
	}
	sb_chr(b, '"');
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"' || s[i] == '\\')
			sb_chr(b, '\\');
		sb_chr(b, s[i]);
	}
	sb_chr(b, '"');
}

/*
 * A domain a reply may name (RFC 5321 4.1.2): labels of letters, digits,
 * '-' (and '_' and UTF-8, which MTAs meet), joined by single dots; or an
 * address literal in brackets.  Nothing that splits a list or an address.
 */
static int
domain_ok(const char *d, size_t n)
{
	if (n >= 2 && d[0] == '[') {
		for (size_t i = 1; i < n - 1; i++)
			if (strchr("[]\\", d[i]) != NULL)
				return 0;
		return d[n - 1] == ']';
	}
	if (n == 0 || d[0] == '.' || d[n - 1] == '.')
		return 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char	c = d[i];

		if (c == '.' ? d[i + 1] == '.' : !(c >= 0x80 || c == '-' ||
		    c == '_' || (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' &&
		    (c | 0x20) <= 'z')))
			return 0;
	}
	return 1;
}

struct srs *
srs_new(enum srs_scheme scheme)
{
	struct srs	*s;

	if ((s = calloc(1, sizeof *s)) == NULL)
		return NULL;
	if (badbyte['<'] == 0)
		badbyte_init();
	s->scheme = scheme;
	s->hashlen = s->hashmin = 4;
	s->maxage = scheme == SRS_EXIM ? 10 : 21;
	s->sep = '=';
	return s;
}

void
srs_free(struct srs *s)
{
	if (s == NULL)
		return;
	if (s->secrets != NULL)
		OPENSSL_cleanse(s->secrets, s->nsecrets * sizeof *s->secrets);
	free(s->secrets);
	for (size_t i = 0; i < s->nlocals; i++)
		free(s->locals[i].name);
	free(s->locals);
	free(s);
}

/* Absorb one block into a fresh state of the scheme's digest. */
static void
hstate_init(const struct srs *s, union hstate *h, const unsigned char *blk)
{
	if (s->scheme == SRS_EXIM) {
		MD5_Init(&h->md5);
		MD5_Update(&h->md5, blk, BLOCK);
	} else {
		SHA1_Init(&h->sha1);
		SHA1_Update(&h->sha1, blk, BLOCK);
	}
}

/* Finish a copy of h over data; returns the digest length. */
static int
hstate_final(const struct srs *s, const union hstate *h, const void *data,
    size_t len, unsigned char *out)
{
	union hstate	c = *h;

	if (s->scheme == SRS_EXIM) {
		MD5_Update(&c.md5, data, len);
		MD5_Final(out, &c.md5);
		return MD5_DIGEST_LENGTH;
	}
	SHA1_Update(&c.sha1, data, len);
	SHA1_Final(out, &c.sha1);
	return SHA_DIGEST_LENGTH;
}

int
srs_add_secret(struct srs *s, const char *key, size_t len)
{
	unsigned char	 k[BLOCK], ipad[BLOCK], opad[BLOCK];
	struct secret	*ns, *sec;

	memset(k, 0, sizeof k);
	/* RFC 2104: a key longer than a block is hashed first. */
	if (len > BLOCK) {
		if (s->scheme == SRS_EXIM)
			MD5((const unsigned char *)key, len, k);
		else
			SHA1((const unsigned char *)key, len, k);
	} else
		memcpy(k, key, len);
	ns = reallocarray(s->secrets, s->nsecrets + 1, sizeof *ns);
	if (ns == NULL)
		return -1;
	s->secrets = ns;
	sec = &ns[s->nsecrets++];
	for (int i = 0; i < BLOCK; i++) {
		ipad[i] = k[i] ^ 0x36;
		opad[i] = k[i] ^ 0x5c;
	}
	hstate_init(s, &sec->in, ipad);
	hstate_init(s, &sec->out, opad);
	OPENSSL_cleanse(k, sizeof k);
	OPENSSL_cleanse(ipad, sizeof ipad);
	OPENSSL_cleanse(opad, sizeof opad);
	return 0;
}

int
srs_nsecrets(const struct srs *s)
{
	return s->nsecrets;
}

int
srs_add_local_domain(struct srs *s, const char *d, size_t len)
{
	struct domain	*nd;
	char		*name;

	if ((name = strndup(d, len)) == NULL)
		return -1;
	nd = reallocarray(s->locals, s->nlocals + 1, sizeof *nd);
	if (nd == NULL) {
		free(name);
		return -1;
	}
	s->locals = nd;
	nd[s->nlocals].name = name;
	nd[s->nlocals++].len = len;
	return 0;
}

int
srs_add_local_domains(struct srs *s, const char *list)
{
	const char	*p = list;

	while (*p) {
		size_t	n = strcspn(p, ",: \t");

		if (n > 0 && srs_add_local_domain(s, p, n) < 0)
			return -1;
		p += n;
		p += strspn(p, ",: \t");
	}
	return 0;
}

struct secrets {
	struct srs	*srs;
	unsigned long	 toolong;	/* the line that was too long, or 0 */
	int		 nomem;
};

static int
add_secret_line(void *arg, const char *line, size_t len, unsigned long lineno)
{
	struct secrets	*sc = arg;

	if (line == NULL) {
		sc->toolong = lineno;
		return -2;
	}
	if (len > 0 && srs_add_secret(sc->srs, line, len) < 0) {
		sc->nomem = 1;
		return -2;
	}
	return 0;
}

int
srs_load_secrets(struct srs *s, const char *path, int *exposed, char *err,
    size_t errlen)
{
	struct secrets	sc = { s, 0, 0 };
	struct stat	st;
	int		fd, status, r;

	*exposed = 0;
	if ((fd = cli_open_regular(path, "secret file", err, errlen,
	    &status)) < 0)
		return status;
	if (fstat(fd, &st) == 0 && (st.st_mode & S_IROTH))
		*exposed = 1;
	r = cli_lines(fd, SRS_SECRET_MAX, add_secret_line, &sc);
	if (r == -1)
		snprintf(err, errlen, "cannot read secret file '%s': %s",
		    path, strerror(errno));
	close(fd);
	if (r == -1)
		return MX_IOERR;
	if (sc.nomem) {
		snprintf(err, errlen, "cannot load secret: %s",
		    strerror(ENOMEM));
		return MX_SOFTWARE;
	}
	if (sc.toolong) {
		snprintf(err, errlen, "secret on line %lu of '%s' is too long",
		    sc.toolong, path);
		return MX_USAGE;
	}
	if (s->nsecrets == 0) {
		snprintf(err, errlen, "no secret in '%s'", path);
		return MX_USAGE;
	}
	return MX_OK;
}

int
srs_set_hash_length(struct srs *s, int n)
{
	if (n < 1 || n > SRS_HASH_MAX || (s->scheme == SRS_EXIM && n != 4))
		return -1;
	s->hashlen = n;
	return 0;
}

int
srs_set_hash_min(struct srs *s, int n)
{
	if (n < 1 || n > SRS_HASH_MAX || (s->scheme == SRS_EXIM && n != 4))
		return -1;
	s->hashmin = n;
	return 0;
}

int
srs_set_max_age(struct srs *s, int days)
{
	if (days < 1 || days >= STAMP_SLOTS)
		return -1;
	s->maxage = days;
	return 0;
}

int
srs_set_separator(struct srs *s, char c)
{
	if (c != '=' && (s->scheme == SRS_EXIM || (c != '+' && c != '-')))
		return -1;
	s->sep = c;
	return 0;
}

void
srs_set_time(struct srs *s, time_t t)
{
	s->now = t;
	s->fixed = 1;
}

static long
today(const struct srs *s)
{
	return (long)((s->fixed ? s->now : time(NULL)) / DAY);
}

/* HMAC of the lower-cased concatenation of the data. */
static int
hmac(struct srs *s, const struct secret *k, const char *data, size_t len,
    unsigned char *mac)
{
	unsigned char	inner[SHA_DIGEST_LENGTH];
	int		n;

	n = hstate_final(s, &k->in, data, len, inner);
	return hstate_final(s, &k->out, inner, n, mac);
}

static size_t
lower_cat(char *dst, const char *src, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char	c = src[i];

		dst[i] = c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
	}
	return n;
}

/*
 * The Shevek hash: the first `len` characters of the standard base64 of
 * HMAC-SHA1(secret, lc(a) . lc(b) . lc(c)).  Writes SRS_HASH_MAX+1 bytes.
 */
static int
shevek_hash(struct srs *s, const struct secret *k, const char *a, size_t alen,
    const char *b, size_t blen, const char *c, size_t clen, char *out)
{
	char		 data[3 * SRS_ADDR_MAX];
	unsigned char	 mac[SHA_DIGEST_LENGTH];
	size_t		 n = 0;
	int		 o = 0;

	n += lower_cat(data + n, a, alen);
	n += lower_cat(data + n, b, blen);
	n += lower_cat(data + n, c, clen);
	if (hmac(s, k, data, n, mac) != 20)
		return -1;
	for (int i = 0; i < 20; i += 3) {
		unsigned long	v = (unsigned long)mac[i] << 16;

		if (i + 1 < 20)
			v |= mac[i + 1] << 8;
		if (i + 2 < 20)
			v |= mac[i + 2];
		out[o++] = BASE64[v >> 18 & 63];
		out[o++] = BASE64[v >> 12 & 63];
		if (i + 1 < 20)
			out[o++] = BASE64[v >> 6 & 63];
		if (i + 2 < 20)
			out[o++] = BASE64[v & 63];
	}
	out[o] = '\0';
	return 0;
}

/* Exim: the first four lower-case hex digits of HMAC-MD5(secret, lc(d)). */
static int
exim_hash(struct srs *s, const struct secret *k, const char *d, size_t len,
    char *out)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 data[SRS_OUT_MAX];
	unsigned char		 mac[SHA_DIGEST_LENGTH];

	if (hmac(s, k, data, lower_cat(data, d, len), mac) != 16)
		return -1;
	for (int i = 0; i < 2; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[4] = '\0';
	return 0;
}

/* Split at the last '@'; check what an SMTP path may hold. */
static enum srs_status
split_addr(const char *a, size_t len, size_t *at)
{
	const unsigned char	*u = (const unsigned char *)a;
	const char		*p;
	size_t			 i;
	int			 quoted;

	if (len > SRS_ADDR_MAX)
		return SRS_TOOLONG;
	if ((p = memrchr(a, '@', len)) == NULL)
		return SRS_BADADDR;
	*at = p - a;
	if (*at == 0 || *at + 1 == len)
		return SRS_BADADDR;
	/* Inside quotes a local part may hold anything but controls. */
	quoted = a[0] == '"' && *at >= 2 && a[*at - 1] == '"';
	for (i = 0; i < *at; i++)
		if (badbyte[u[i]] & 1 && !(quoted && u[i] >= 0x20 &&
		    u[i] != 0x7f))
			return SRS_BADADDR;
	for (i = *at + 1; i < len; i++)
		if (badbyte[u[i]] & 2)
			return SRS_BADADDR;
	return SRS_OK;
}

static int
is_local(const struct srs *s, const char *d, size_t len, const char *fwd)
{
	if (fwd != NULL && strlen(fwd) == len && strncasecmp(d, fwd, len) == 0)
		return 1;
	for (size_t i = 0; i < s->nlocals; i++) {
		const struct domain	*l = &s->locals[i];

		if (l->name[0] == '.') {
			if (len > l->len && strncasecmp(d + len - l->len,
			    l->name, l->len) == 0)
				return 1;
		} else if (len == l->len && strncasecmp(d, l->name, len) == 0)
			return 1;
	}
	return 0;
}

static int
has_tag(const char *p, size_t n, const char *tag, const char *seps)
{
	return n >= 5 && strncasecmp(p, tag, 4) == 0 && p[4] != '\0' &&
	    strchr(seps, p[4]) != NULL;
}

static void
stamp(const struct srs *s, char *out)
{
	long	t = today(s) % STAMP_SLOTS;

	out[0] = BASE32[t >> 5 & 31];
	out[1] = BASE32[t & 31];
	out[2] = '\0';
}

static enum srs_status
finish(struct sb *b, char *out)
{
	if (b->over) {
		out[0] = '\0';
		return SRS_TOOLONG;
	}
	return SRS_OK;
}

static enum srs_status
shevek_forward(struct srs *s, const char *lp, size_t lpn, const char *dom,
    size_t domn, int quoted, const char *fwd, char *out)
{
	char		 nl[SRS_OUT_MAX];
	struct sb	 b = { nl, 0, sizeof nl, 0 };
	struct sb	 o = { out, 0, SRS_OUT_MAX, 0 };
	char		 hash[SRS_HASH_MAX + 1], ts[3];
	const char	*rest, *e1, *e2;
	size_t		 restn;

	out[0] = nl[0] = '\0';
	if (has_tag(lp, lpn, "SRS1", "-+=") &&
	    (e1 = memchr(lp + 5, '=', lpn - 5)) != NULL &&
	    (e2 = memchr(e1 + 1, '=', lpn - (e1 + 1 - lp))) != NULL) {
		/* Re-forwarding SRS1: keep the first hop and its data. */
		rest = e2 + 1;
		restn = lpn - (rest - lp);
		if (shevek_hash(s, &s->secrets[0], e1 + 1, e2 - e1 - 1,
		    rest, restn, "", 0, hash) < 0)
			return SRS_TOOLONG;
		hash[s->hashlen] = '\0';
		sb_str(&b, "SRS1");
		sb_chr(&b, s->sep);
		sb_str(&b, hash);
		sb_add(&b, e1, lpn - (e1 - lp));
	} else if (has_tag(lp, lpn, "SRS0", "-+=")) {
		/* SRS0 from another forwarder: wrap it, naming its host. */
		rest = lp + 4;
		restn = lpn - 4;
		if (shevek_hash(s, &s->secrets[0], dom, domn, rest, restn,
		    "", 0, hash) < 0)
			return SRS_TOOLONG;
		hash[s->hashlen] = '\0';
		sb_str(&b, "SRS1");
		sb_chr(&b, s->sep);
		sb_str(&b, hash);
		sb_chr(&b, '=');
		sb_add(&b, dom, domn);
		sb_chr(&b, '=');
		sb_add(&b, rest, restn);
	} else {
		stamp(s, ts);
		if (shevek_hash(s, &s->secrets[0], ts, 2, dom, domn, lp, lpn,
		    hash) < 0)
			return SRS_TOOLONG;
		hash[s->hashlen] = '\0';
		sb_str(&b, "SRS0");
		sb_chr(&b, s->sep);
		sb_str(&b, hash);
		sb_chr(&b, '=');
		sb_str(&b, ts);
		sb_chr(&b, '=');
		sb_add(&b, dom, domn);
		sb_chr(&b, '=');
		sb_add(&b, lp, lpn);
	}
	if (b.over)
		return finish(&b, out);
	/*
	 * Quoted as pysrs does when the original was; and whenever the new
	 * local part may not go bare (a@b@example.org), where the peers
	 * write an address no parser reads as one.
	 */
	sb_local(&o, nl, b.n, quoted || !bare(nl, b.n));
	sb_chr(&o, '@');
	sb_str(&o, fwd);
	return finish(&o, out);
}

static enum srs_status
exim_forward(struct srs *s, const char *addr, size_t len, const char *lp,
    size_t lpn, const char *dom, size_t domn, const char *fwd, char *out)
{
	struct sb	 b = { out, 0, SRS_OUT_MAX, 0 };
	char		 hash[5], ts[3];
	int		 quoted = memchr(lp, '"', lpn) != NULL;

	out[0] = '\0';
	/* Exim hashes the address as given, quotes and all. */
	if (exim_hash(s, &s->secrets[0], addr, len, hash) < 0)
		return SRS_TOOLONG;
	stamp(s, ts);
	ts[0] |= 0x20;
	ts[1] |= 0x20;
	if (quoted)
		sb_chr(&b, '"');
	sb_str(&b, "SRS0=");
	sb_str(&b, hash);
	sb_chr(&b, '=');
	sb_str(&b, ts);
	sb_chr(&b, '=');
	sb_add(&b, dom, domn);
	sb_chr(&b, '=');
	/* ...and writes the local part with every quote taken out. */
	for (size_t i = 0; i < lpn; i++)
		if (lp[i] != '"')
			sb_chr(&b, lp[i]);
	if (quoted)
		sb_chr(&b, '"');
	sb_chr(&b, '@');
	sb_str(&b, fwd);
	return finish(&b, out);
}

enum srs_status
srs_forward(struct srs *s, const char *addr, size_t len, const char *fwd,
    char *out, int *flags)
{
	enum srs_status	 st;
	const char	*lp, *dom;
	char		 sem[SRS_ADDR_MAX];
	size_t		 at, lpn, domn;
	int		 quoted;

	*flags = 0;
	out[0] = '\0';
	/* The null sender of a bounce is never rewritten (RFC 5321 4.5.5). */
	if (len == 0 || (len == 2 && addr[0] == '<' && addr[1] == '>')) {
		memcpy(out, addr, len);
		out[len] = '\0';
		return SRS_UNCHANGED;
	}
	if ((st = split_addr(addr, len, &at)) != SRS_OK)
		return st;
	lp = addr;
	lpn = at;
	dom = addr + at + 1;
	domn = len - at - 1;
	if (!domain_ok(dom, domn))
		return SRS_BADADDR;
	if (is_local(s, dom, domn, fwd)) {
		memcpy(out, addr, len);
		out[len] = '\0';
		return SRS_UNCHANGED;
	}
	/* A quoted local part must be one quoted string (RFC 5321 4.1.2). */
	quoted = lpn >= 2 && lp[0] == '"' && lp[lpn - 1] == '"';
	if (quoted && unquote(lp + 1, lpn - 2, sem) < 0)
		return SRS_BADADDR;
	if (s->scheme == SRS_EXIM)
		st = exim_forward(s, addr, len, lp, lpn, dom, domn, fwd, out);
	else {
		/*
		 * As pysrs does: the quotes go round the whole new local
		 * part.  What is hashed and kept is the local part itself,
		 * its quoted-pairs undone, as an MTA hands it over unquoted
		 * (Exim's $local_part).
		 */
		if (quoted) {
			lpn = unquote(lp + 1, lpn - 2, sem);
			lp = sem;
		}
		st = shevek_forward(s, lp, lpn, dom, domn, quoted, fwd, out);
	}
	/* An address that srs_reverse() would refuse as too long is none. */
	if (st == SRS_OK && strlen(out) > SRS_ADDR_MAX) {
		out[0] = '\0';
		return SRS_TOOLONG;
	}
	return st;
}

/*
 * Shevek verification: a hash of at least hashmin characters that is a
 * prefix of the HMAC under any secret; failing that, the same ignoring
 * case (an MTA smashed the local part), which sets SRS_F_CASEHASH.
 */
static enum srs_status
shevek_verify(struct srs *s, const char *h, size_t hn, const char *a,
    size_t an, const char *b, size_t bn, const char *c, size_t cn, int *flags)
{
	char	want[SRS_HASH_MAX + 1];
	int	caseless = 0;

	if (hn < (size_t)s->hashmin || hn > SRS_HASH_MAX)
		return SRS_BADHASH;
	for (int i = 0; i < s->nsecrets; i++) {
		if (shevek_hash(s, &s->secrets[i], a, an, b, bn, c, cn,
		    want) < 0)
			return SRS_BADHASH;
		if (memcmp(want, h, hn) == 0)
			return SRS_OK;
		if (strncasecmp(want, h, hn) == 0)
			caseless = 1;
	}
	if (!caseless)
		return SRS_BADHASH;
	*flags |= SRS_F_CASEHASH;
	return SRS_OK;
}

static int
b32val(char c, int lower_only)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	if (!lower_only && c >= 'A' && c <= 'Z')
		return c - 'A';
	return -1;
}

/* Peers' rule: today or up to maxage days before, in a 1024-day cycle. */
static enum srs_status
shevek_stamp_check(const struct srs *s, const char *ts, size_t n)
{
	int	hi, lo;
	long	t, now;

	if (n != 2 || (hi = b32val(ts[0], 0)) < 0 || (lo = b32val(ts[1], 0)) < 0)
		return SRS_SYNTAX;
	t = hi << 5 | lo;
	now = today(s) % STAMP_SLOTS;
	if (now < t)
		now += STAMP_SLOTS;
	return now <= t + s->maxage ? SRS_OK : SRS_EXPIRED;
}

static enum srs_status
shevek_reverse(struct srs *s, const char *lp, size_t lpn, int quoted,
    char *out, int *flags)
{
	struct sb	 b = { out, 0, SRS_OUT_MAX, 0 };
	const char	*end = lp + lpn, *f[4];
	char		 lp0[SRS_ADDR_MAX];
	size_t		 fn[4];
	enum srs_status	 st;
	int		 srs1, nf, i, keep;

	if (has_tag(lp, lpn, "SRS1", "-+="))
		srs1 = 1;
	else if (has_tag(lp, lpn, "SRS0", "-+="))
		srs1 = 0;
	else
		return SRS_NOTSRS;
	/*
	 * Quotes round an SRS local part that needs none came from the
	 * original's (pysrs quotes the whole): they stay.  Needed ones say
	 * nothing of the original.
	 */
	keep = quoted && bare(lp, lpn);
	/* SRS1: hash, hop, rest; SRS0: hash, stamp, domain, local part. */
	nf = srs1 ? 3 : 4;
	f[0] = lp + 5;
	for (i = 0; i < nf - 1; i++) {
		const char	*e = memchr(f[i], '=', end - f[i]);

		if (e == NULL)
			return SRS_SYNTAX;
		fn[i] = e - f[i];
		f[i + 1] = e + 1;
	}
	fn[nf - 1] = end - f[nf - 1];
	if (srs1) {
		if (memchr(f[0], '.', fn[0]) != NULL)
			return SRS_HASHLESS;
		if (fn[1] == 0 || fn[2] < 1 || !strchr("-+=", f[2][0]))
			return SRS_SYNTAX;
		st = shevek_verify(s, f[0], fn[0], f[1], fn[1], f[2], fn[2],
		    "", 0, flags);
		if (st != SRS_OK)
			return st;
		if (!domain_ok(f[1], fn[1]))
			return SRS_SYNTAX;
		memcpy(lp0, "SRS0", 4);
		memcpy(lp0 + 4, f[2], fn[2]);
		sb_local(&b, lp0, fn[2] + 4, keep || !bare(lp0, fn[2] + 4));
		sb_chr(&b, '@');
		sb_add(&b, f[1], fn[1]);
		return finish(&b, out);
	}
	if (fn[2] == 0 || (fn[3] == 0 && !quoted) || !domain_ok(f[2], fn[2]))
		return SRS_SYNTAX;
	st = shevek_verify(s, f[0], fn[0], f[1], fn[1], f[2], fn[2], f[3],
	    fn[3], flags);
	if (st == SRS_OK)
		st = shevek_stamp_check(s, f[1], fn[1]);
	if (st != SRS_OK)
		return st;
	/*
	 * The address the original sender had, in RFC 5321 form: quoted
	 * where it may not go bare, so that it names that one mailbox and
	 * no list, command or file (an Exim redirect reads an address
	 * list); a Quoted-string that Mail::SRS kept inside is one
	 * already.
	 */
	if (bare(f[3], fn[3]) || !quoted_string(f[3], fn[3]))
		sb_local(&b, f[3], fn[3], keep || !bare(f[3], fn[3]));
	else
		sb_add(&b, f[3], fn[3]);
	sb_chr(&b, '@');
	sb_add(&b, f[2], fn[2]);
	return finish(&b, out);
}

static int
exim_needs_quotes(const char *lp, size_t n)
{
	if (n > 0 && lp[0] == '"')
		return 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char	c = lp[i];

		if (!(c >= '0' && c <= '9') && !((c | 0x20) >= 'a' &&
		    (c | 0x20) <= 'z') && !strchr(".!#$%&'*+-/=?^_`{|}~", c))
			return 1;
	}
	return 0;
}

/*
 * Exim's inbound_srs: SRS0=hhhh=tt=domain=local, tt two lower-case base32
 * digits no more than max age days old, hhhh the HMAC-MD5 of the lower-cased
 * result.  Checked in Exim's order: the stamp, then the hash.
 */
static enum srs_status
exim_reverse(struct srs *s, const char *lp, size_t lpn, char *out)
{
	struct sb	 b = { out, 0, SRS_OUT_MAX, 0 };
	const char	*end = lp + lpn, *h, *ts, *dom, *user, *e;
	char		 want[5];
	int		 hi, lo, q;
	long		 t;

	if (!has_tag(lp, lpn, "SRS0", "="))
		return SRS_NOTSRS;
	h = lp + 5;
	if ((e = memchr(h, '=', end - h)) == NULL || e == h)
		return SRS_SYNTAX;
	ts = e + 1;
	if (end - ts < 3 || ts[2] != '=')
		return SRS_SYNTAX;
	dom = ts + 3;
	if ((e = memchr(dom, '=', end - dom)) == NULL)
		return SRS_SYNTAX;
	user = e + 1;
	if ((hi = b32val(ts[0], 1)) < 0 || (lo = b32val(ts[1], 1)) < 0)
		return SRS_SYNTAX;
	t = hi << 5 | lo;
	if (((today(s) - t) & (STAMP_SLOTS - 1)) > s->maxage)
		return SRS_EXPIRED;
	if (ts - 1 - h != 4)
		return SRS_BADHASH;
	q = exim_needs_quotes(lp, lpn);
	if (q)
		sb_chr(&b, '"');
	sb_add(&b, user, end - user);
	if (q)
		sb_chr(&b, '"');
	sb_chr(&b, '@');
	sb_add(&b, dom, e - dom);
	if (b.over)
		return finish(&b, out);
	lower_cat(out, out, b.n);
	for (int i = 0; i < s->nsecrets; i++) {
		if (exim_hash(s, &s->secrets[i], out, b.n, want) < 0)
			break;
		if (memcmp(want, h, 4) == 0)
			return SRS_OK;
	}
	out[0] = '\0';
	return SRS_BADHASH;
}

enum srs_status
srs_reverse(struct srs *s, const char *addr, size_t len, char *out,
    int *flags)
{
	enum srs_status	 st;
	const char	*lp;
	char		 sem[SRS_ADDR_MAX];
	size_t		 at, lpn;
	int		 quoted;

	*flags = 0;
	out[0] = '\0';
	if ((st = split_addr(addr, len, &at)) != SRS_OK)
		return st;
	lp = addr;
	lpn = at;
	/* Quoted (Postfix) or not (Exim's $local_part): the same fields. */
	quoted = lpn >= 2 && lp[0] == '"' && lp[lpn - 1] == '"';
	if (quoted) {
		ssize_t	n = unquote(lp + 1, lpn - 2, sem);

		if (n < 0)
			return SRS_BADADDR;
		lp = sem;
		lpn = n;
	}
	st = s->scheme == SRS_EXIM ? exim_reverse(s, lp, lpn, out) :
	    shevek_reverse(s, lp, lpn, quoted, out, flags);
	if (st != SRS_OK)
		out[0] = '\0';
	return st;
}

enum srs_tcp
srs_tcp_forward(struct srs *s, const char *addr, size_t len, const char *fwd,
    char *out)
{
	const char	*at;
	size_t		 dl = strlen(fwd);
	int		 flags;

	if (srs_reverse(s, addr, len, out, &flags) == SRS_OK)
		return SRS_TCP_ALREADY;
	at = memrchr(addr, '@', len);
	if (at != NULL && (size_t)(addr + len - at - 1) == dl &&
	    strncasecmp(at + 1, fwd, dl) == 0 &&
	    srs_forward(s, addr, len, fwd, out, &flags) == SRS_UNCHANGED)
		return SRS_TCP_OWN;
	return SRS_TCP_FORWARD;
}

const char *
srs_strerror(enum srs_status st)
{
	switch (st) {
	case SRS_OK:		return "ok";
	case SRS_UNCHANGED:	return "null sender or local domain, not rewritten";
	case SRS_NOTSRS:	return "not an SRS address";
	case SRS_BADHASH:	return "bad hash";
	case SRS_EXPIRED:	return "timestamp too old or in the future";
	case SRS_HASHLESS:	return "SRS1 address without a hash";
	case SRS_SYNTAX:	return "malformed SRS address";
	case SRS_BADADDR:	return "not a valid address";
	case SRS_TOOLONG:	return "address too long";
	}
	return "unknown error";
}
