#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "cli.h"
#include "dns.h"

const char	*dns_opt_resolver;
const char	*dns_opt_zone;
int		 dns_opt_timeout = 5;

/* popt would take "010" as 8 and "" as 0: a plain decimal number only. */
static void
dns_opt_cb(poptContext pc, enum poptCallbackReason why,
    const struct poptOption *opt, const char *arg, const void *data)
{
	(void)pc;
	(void)data;
	if (why == POPT_CALLBACK_REASON_OPTION && opt->arg == NULL)
		dns_opt_timeout = cli_num("--timeout", arg, 1, INT_MAX / 1000);
}

struct poptOption dns_options[] = {
	{ NULL, '\0', POPT_ARG_CALLBACK, (void *)dns_opt_cb, 0, NULL, NULL },
	{ "resolver", '\0', POPT_ARG_STRING, &dns_opt_resolver, 0,
	  "send DNS queries to this recursive resolver instead of those of "
	  "/etc/resolv.conf (an IPv4 or IPv6 address; port 53 by default)",
	  "ADDR[@PORT]" },
	{ "dns-zone", '\0', POPT_ARG_STRING, &dns_opt_zone, 0,
	  "answer DNS queries from this master file instead, without a "
	  "server", "FILE" },
	{ "timeout", '\0', POPT_ARG_STRING, NULL, 0,
	  "give up on a DNS query, retries and TCP included, after this "
	  "many seconds (default 5)", "SECS" },
	POPT_TABLEEND
};

#define CACHE_SLOTS	1024
#define CACHE_WAYS	4		/* slots a name may take, from its hash on */
#define CACHE_BYTES	(1024 * 1024)	/* answer bytes held at most */
#define CHAIN_MAX	8		/* CNAMEs followed at most */
/*
 * The EDNS buffer size of DNS flag day 2020: no IP fragmentation on
 * common paths; a bigger answer comes truncated and is asked over TCP.
 */
#define EDNS_SIZE	1232
#define UDP_TRIES	2		/* one retransmission per server */

struct entry {
	uint8_t		*key;		/* lower-case name, wire form */
	size_t		 keylen;
	enum dns_status	 st;
	char		**txt;
	size_t		 n;
	size_t		 bytes;
};

/* The records of one answer as they are being gathered, as text. */
struct rrset {
	ldns_rr_type	 type;		/* the type asked for */
	char		**v;
	size_t		 n;
	size_t		 bytes;
	size_t		 nul;		/* records left out: a NUL inside */
};

struct dns {
	ldns_resolver	*res;		/* NULL when answering from a file */
	char		 server[INET6_ADDRSTRLEN + 8];
	char		 broken[256];	/* why the system resolver is none */
	int		 timeout;

	ldns_rr_list	*zone;		/* the file's records */
	ldns_rr		**rrs;		/* the same, by owner */
	size_t		 nrrs;

	struct entry	 cache[CACHE_SLOTS];
	size_t		 cached;

	struct timespec	 deadline;	/* no query beyond (0: none) */
	int		 refused;	/* the last answer, by send_checked */
};

static void
seterr(char *err, size_t len, const char *fmt, ...)
{
	va_list	ap;
	int	save = errno;

	if (err == NULL || len == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, len, fmt, ap);
	va_end(ap);
	errno = save;
}

/* ldns's text for a status, starting lower case as our diagnostics do. */
static const char *
reason(ldns_status s, char *buf, size_t len)
{
	const char	*r = ldns_get_errorstr_by_id(s);

	snprintf(buf, len, "%s", r != NULL ? r : "unknown ldns error");
	if (buf[0] >= 'A' && buf[0] <= 'Z' && !(buf[1] >= 'A' &&
	    buf[1] <= 'Z'))
		buf[0] += 'a' - 'A';
	return buf;
}

static int
names_equal(const ldns_rdf *a, const ldns_rdf *b)
{
	return ldns_dname_compare(a, b) == 0;
}

/* Sort by owner (RFC 4034 canonical order), file order within an owner. */
static int
by_owner(const void *a, const void *b)
{
	ldns_rr *const	*x = a, *const *y = b;
	int		 c;

	c = ldns_dname_compare(ldns_rr_owner(*x), ldns_rr_owner(*y));
	if (c != 0)
		return c;
	return x < y ? -1 : x > y;
}

/*
 * The text of the record that ldns just read, from offset from to where
 * fp is now (malloc'd, NUL-terminated, at most 64 KiB), fp left where it
 * was; NULL when it cannot be had.
 */
static char *
record_text(FILE *fp, long from)
{
	long	 to = ftell(fp);
	size_t	 n, got;
	char	*buf;

	if (from < 0 || to < from)
		return NULL;
	n = to - from > 65536 ? 65536 : (size_t)(to - from);
	if ((buf = malloc(n + 1)) == NULL)
		return NULL;
	if (fseek(fp, from, SEEK_SET) != 0) {
		free(buf);
		return NULL;
	}
	got = fread(buf, 1, n, fp);
	buf[got] = '\0';
	if (fseek(fp, to, SEEK_SET) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}

/*
 * The bytes of the quoted string that starts after *pp (its opening
 * quote), a \DDD or \X escape being one; *pp is left on the closing quote
 * (or the NUL) and *line counts the newlines inside.
 */
static size_t
quoted_len(const char **pp, int *line)
{
	const char	*p = *pp;
	size_t		 len = 0;

	for (p++; *p != '\0' && *p != '"'; p++, len++) {
		if (*p == '\n')
			(*line)++;
		if (*p != '\\' || p[1] == '\0')
			continue;
		p++;
		if (p[0] >= '0' && p[0] <= '9' && p[1] != '\0' && p[2] != '\0')
			p += 2;
	}
	*pp = p;
	return len;
}

/*
 * RFC 1035 3.3: a character-string holds 255 bytes at most, so ldns
 * cannot take a longer quoted string, and says only that the rdata is
 * bad.  The line (counting from first, the record's) of the first such
 * string in text, or 0.
 */
static int
long_string_line(const char *text, int first)
{
	const char	*p;
	int		 line = first, start;

	for (p = text; *p != '\0'; p++) {
		if (*p == ';')
			while (p[1] != '\0' && p[1] != '\n')
				p++;
		else if (*p == '\n')
			line++;
		else if (*p == '"') {
			start = line;
			if (quoted_len(&p, &line) > 255)
				return start;
			if (*p == '\0')
				break;
		}
	}
	return 0;
}

/*
 * ldns ends a quoted string still open at the end of its line as if it
 * had been closed there, and says nothing: a forgotten quote would change
 * a record unseen.  The first line holding such a string, or 0, reading
 * fp from where it is to its end.
 */
static int
open_quote_line(FILE *fp)
{
	char	*buf = NULL;
	size_t	 cap = 0, i;
	ssize_t	 n;
	int	 line = 0, open = 0;

	while (!open && (n = getline(&buf, &cap, fp)) >= 0) {
		line++;
		for (i = 0; i < (size_t)n && buf[i] != '\n'; i++) {
			if (buf[i] == '\\')
				i++;
			else if (buf[i] == '"')
				open = !open;
			else if (buf[i] == ';' && !open)
				break;
		}
	}
	free(buf);
	return open ? line : 0;
}

/*
 * Before any $ORIGIN or SOA, ldns takes a relative owner name as under
 * the root: "sel._domainkey" is "sel._domainkey.", which no key query
 * asks for.  Say so, on the first such line.  1 when it said so.
 */
static int
warn_relative(const char *path, const char *text, int line)
{
	const char	*p = text, *e;
	char		 shown[80];

	/* the comments and blank lines ldns skipped on its way */
	for (;;) {
		for (e = p; *e == ' ' || *e == '\t' || *e == '\r'; e++)
			;
		if (*e != '\n' && *e != ';')
			break;
		if ((e = strchr(e, '\n')) == NULL)
			return 0;
		p = e + 1;
		line++;
	}
	/* a blank first: the owner of the record before */
	if (*p == ' ' || *p == '\t' || *p == '(')
		return 0;
	for (e = p; *e != '\0' && *e != ' ' && *e != '\t' && *e != '\n' &&
	    *e != '('; e++)
		if (*e == '\\' && e[1] != '\0')
			e++;
	if (e == p || (e[-1] == '.' && (e - p < 2 || e[-2] != '\\')))
		return 0;
	cli_show(p, e - p, 60, shown, sizeof shown);
	cli_warn("zone file '%s' line %d: relative name '%s' with no $ORIGIN "
	    "or SOA before it, taken as '%s.' (end it with a dot or add "
	    "$ORIGIN)", path, line, shown, shown);
	return 1;
}

/*
 * Read the records of a master file (name, as a diagnostic shows it) into
 * list, as ldns_zone_new_frm_fp_l does, less its leak: on a syntax error
 * it frees the records read so far only shallowly.  As ldns, names after an SOA and before any $ORIGIN are
 * relative to the SOA's owner; without either, to the root (with a
 * warning).
 */
static ldns_status
zone_read(FILE *fp, const char *name, ldns_rr_list *list, int *line)
{
	ldns_rdf	*origin = NULL, *prev = NULL;
	ldns_rr		*rr;
	ldns_status	 s = LDNS_STATUS_OK;
	uint32_t	 ttl = 3600;
	long		 at;
	int		 before, warned = 0, l;
	char		*text;

	while (!feof(fp)) {
		at = ftell(fp);
		before = *line;
		s = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &origin, &prev, line);
		if (s == LDNS_STATUS_SYNTAX_EMPTY ||
		    s == LDNS_STATUS_SYNTAX_TTL ||
		    s == LDNS_STATUS_SYNTAX_ORIGIN) {
			s = LDNS_STATUS_OK;
			continue;
		}
		if (s == LDNS_STATUS_SYNTAX_INCLUDE)
			s = LDNS_STATUS_SYNTAX_INCLUDE_ERR_NOTIMPL;
		if (s != LDNS_STATUS_OK && s != LDNS_STATUS_MEM_ERR &&
		    (text = record_text(fp, at)) != NULL) {
			if ((l = long_string_line(text, before + 1)) > 0) {
				*line = l;
				s = LDNS_STATUS_INVALID_STR;
			}
			free(text);
		}
		if (s != LDNS_STATUS_OK)
			break;
		if (origin == NULL && !warned &&
		    ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA &&
		    (text = record_text(fp, at)) != NULL) {
			warned = warn_relative(name, text, before + 1);
			free(text);
		}
		if (origin == NULL && ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA &&
		    (origin = ldns_rdf_clone(ldns_rr_owner(rr))) == NULL)
			s = LDNS_STATUS_MEM_ERR;
		if (s != LDNS_STATUS_OK || !ldns_rr_list_push_rr(list, rr)) {
			ldns_rr_free(rr);
			s = LDNS_STATUS_MEM_ERR;
			break;
		}
	}
	if (origin != NULL)
		ldns_rdf_deep_free(origin);
	if (prev != NULL)
		ldns_rdf_deep_free(prev);
	return s;
}

static int
zone_load(struct dns *d, const char *path, char *err, size_t errlen)
{
	FILE		*fp;
	ldns_status	 s;
	char		 why[128], bom[3], shown[CLI_SHOWN_NAME];
	const char	*name = cli_show(path, strlen(path), CLI_SHOW_NAME,
			    shown, sizeof shown);
	int		 line = 0, rerr, fd, status;
	long		 skip = 0;
	size_t		 i;

	if ((d->zone = ldns_rr_list_new()) == NULL) {
		seterr(err, errlen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	/* A FIFO would hang the tool for ever: refused at once. */
	if ((fd = cli_open_regular(path, "zone file", err, errlen,
	    &status)) < 0) {
		errno = EIO;	/* MX_NOINPUT, see dns_new_status */
		return -1;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		seterr(err, errlen, "cannot open zone file '%s': %s", name,
		    strerror(errno));
		close(fd);
		return -1;
	}
	/*
	 * A byte order mark, which some editors write, would become part of
	 * the first owner name, and its records would never be found.
	 */
	if (fread(bom, 1, 3, fp) == 3 && memcmp(bom, "\xef\xbb\xbf", 3) == 0) {
		cli_warn("zone file '%s': a UTF-8 byte order mark at the start, "
		    "skipped", name);
		skip = 3;
	}
	if (fseek(fp, skip, SEEK_SET) == 0 &&
	    (line = open_quote_line(fp)) > 0) {
		seterr(err, errlen, "bad zone file '%s' line %d: a quoted "
		    "string not closed on its line", name, line);
		fclose(fp);
		errno = EBADMSG;
		return -1;
	}
	line = 0;
	if (fseek(fp, skip, SEEK_SET) == 0)
		s = zone_read(fp, name, d->zone, &line);
	else
		s = LDNS_STATUS_FILE_ERR;
	rerr = ferror(fp);
	fclose(fp);
	if (rerr) {
		seterr(err, errlen, "cannot read zone file '%s'", name);
		errno = EIO;
		return -1;
	}
	if (s == LDNS_STATUS_INVALID_STR) {
		seterr(err, errlen, "bad zone file '%s' line %d: a string "
		    "longer than 255 bytes (split it into several quoted "
		    "strings)", name, line);
		errno = EBADMSG;
		return -1;
	}
	if (s != LDNS_STATUS_OK) {
		seterr(err, errlen, "bad zone file '%s' line %d: %s", name,
		    line, reason(s, why, sizeof why));
		errno = s == LDNS_STATUS_MEM_ERR ? ENOMEM : EBADMSG;
		return -1;
	}
	d->nrrs = ldns_rr_list_rr_count(d->zone);
	if ((d->rrs = calloc(d->nrrs + 1, sizeof *d->rrs)) == NULL) {
		seterr(err, errlen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < d->nrrs; i++)
		d->rrs[i] = ldns_rr_list_rr(d->zone, i);
	qsort(d->rrs, d->nrrs, sizeof *d->rrs, by_owner);
	snprintf(d->server, sizeof d->server, "the zone file");
	return 0;
}

/* The settings every resolver gets, whatever its servers. */
static void
resolver_setup(struct dns *d)
{
	/* the servers in resolv.conf order, as the C library asks them */
	ldns_resolver_set_random(d->res, false);
	/* TCP after truncation is ours, to keep it within the timeout */
	ldns_resolver_set_fallback(d->res, false);
	ldns_resolver_set_edns_udp_size(d->res, EDNS_SIZE);
	ldns_resolver_set_recursive(d->res, true);
	ldns_resolver_set_defnames(d->res, false);
	ldns_resolver_set_dnsrch(d->res, false);
	ldns_resolver_set_fail(d->res, false);
}

static int
push_server(struct dns *d, const char *addr)
{
	struct in6_addr	 a6;
	ldns_rdf	*rdf;
	ldns_status	 s;

	if (inet_pton(AF_INET6, addr, &a6) == 1)
		rdf = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_AAAA, addr);
	else
		rdf = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, addr);
	if (rdf == NULL)
		return -1;
	s = ldns_resolver_push_nameserver(d->res, rdf);
	ldns_rdf_deep_free(rdf);
	return s == LDNS_STATUS_OK ? 0 : -1;
}

/* ADDR[@PORT]: an IPv4 or IPv6 literal (no name: that needs a resolver). */
static int
server_new(struct dns *d, const char *spec, char *err, size_t errlen)
{
	const char	*at = strrchr(spec, '@');
	char		 addr[INET6_ADDRSTRLEN];
	unsigned char	 bin[sizeof(struct in6_addr)];
	size_t		 alen = at != NULL ? (size_t)(at - spec) : strlen(spec);
	unsigned long	 port = 53;
	char		*end;

	if (alen == 0 || alen >= sizeof addr)
		goto bad;
	memcpy(addr, spec, alen);
	addr[alen] = '\0';
	if (inet_pton(AF_INET, addr, bin) != 1 &&
	    inet_pton(AF_INET6, addr, bin) != 1)
		goto bad;
	if (at != NULL) {
		errno = 0;
		if (at[1] < '0' || at[1] > '9')
			goto bad;
		port = strtoul(at + 1, &end, 10);
		if (*end != '\0' || errno != 0 || port == 0 || port > 65535)
			goto bad;
	}
	if ((d->res = ldns_resolver_new()) == NULL || push_server(d, addr)) {
		seterr(err, errlen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	ldns_resolver_set_port(d->res, (uint16_t)port);
	resolver_setup(d);
	snprintf(d->server, sizeof d->server, "%s@%lu", addr, port);
	return 0;
bad:
	seterr(err, errlen, "bad resolver '%s': expected an IPv4 or IPv6 "
	    "address, optionally @PORT", spec);
	errno = EINVAL;
	return -1;
}

static int
system_new(struct dns *d, char *err, size_t errlen)
{
	ldns_status	s;
	char		why[128];

	errno = 0;
	s = ldns_resolver_new_frm_file(&d->res, NULL);
	if (s == LDNS_STATUS_FILE_ERR && errno == ENOENT) {
		d->res = ldns_resolver_new();
		s = d->res != NULL ? LDNS_STATUS_OK : LDNS_STATUS_MEM_ERR;
	}
	if (s == LDNS_STATUS_MEM_ERR) {
		d->res = NULL;
		seterr(err, errlen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	/*
	 * A broken resolv.conf is the host's fault, no file of the command
	 * line's, and a retry once it is mended gets the answers: each
	 * lookup fails for the time being, and a message that needs none
	 * (no ARC chain) still goes through.
	 */
	if (s == LDNS_STATUS_FILE_ERR) {
		d->res = NULL;
		snprintf(d->broken, sizeof d->broken, "cannot open '%s': %s",
		    LDNS_RESOLV_CONF, strerror(errno));
		return 0;
	}
	if (s != LDNS_STATUS_OK) {
		d->res = NULL;
		snprintf(d->broken, sizeof d->broken, "bad '%s': %s",
		    LDNS_RESOLV_CONF, reason(s, why, sizeof why));
		return 0;
	}
	/* As glibc: without a nameserver line, a server on this host. */
	if (ldns_resolver_nameserver_count(d->res) == 0 &&
	    push_server(d, "127.0.0.1") != 0) {
		seterr(err, errlen, "out of memory");
		errno = ENOMEM;
		return -1;
	}
	resolver_setup(d);
	snprintf(d->server, sizeof d->server, "the system resolver");
	return 0;
}

struct dns *
dns_new(const char *resolver, const char *zone, int timeout, char *err,
    size_t errlen)
{
	struct dns	*d;
	int		 rc, save;

	if (timeout < 1) {
		seterr(err, errlen, "bad timeout %d: expected seconds above 0",
		    timeout);
		errno = EINVAL;
		return NULL;
	}
	if (resolver != NULL && zone != NULL) {
		seterr(err, errlen, "a resolver and a zone file exclude each "
		    "other");
		errno = EINVAL;
		return NULL;
	}
	if ((d = calloc(1, sizeof *d)) == NULL) {
		seterr(err, errlen, "out of memory");
		return NULL;
	}
	d->timeout = timeout;
	if (zone != NULL)
		rc = zone_load(d, zone, err, errlen);
	else if (resolver != NULL)
		rc = server_new(d, resolver, err, errlen);
	else
		rc = system_new(d, err, errlen);
	if (rc != 0) {
		save = errno;
		dns_free(d);
		errno = save;
		return NULL;
	}
	return d;
}

static void
entry_clear(struct dns *d, struct entry *e)
{
	free(e->key);
	dns_txt_free(e->txt, e->n);
	d->cached -= e->bytes;
	memset(e, 0, sizeof *e);
}

void
dns_free(struct dns *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < CACHE_SLOTS; i++)
		entry_clear(d, &d->cache[i]);
	if (d->res != NULL)
		ldns_resolver_deep_free(d->res);
	free(d->rrs);
	if (d->zone != NULL)
		ldns_rr_list_deep_free(d->zone);
	free(d);
}

void
dns_txt_free(char **txt, size_t n)
{
	if (txt == NULL)
		return;
	for (size_t i = 0; i < n; i++)
		free(txt[i]);
	free(txt);
}

const char *
dns_status_name(enum dns_status st)
{
	switch (st) {
	case DNS_OK:		return "ok";
	case DNS_NXDOMAIN:	return "nxdomain";
	case DNS_NODATA:	return "nodata";
	case DNS_TEMPFAIL:	return "temperror";
	case DNS_PERMFAIL:	return "permerror";
	}
	return "permerror";
}

static const char *
type_name(ldns_rr_type type)
{
	switch (type) {
	case LDNS_RR_TYPE_A:	return "A";
	case LDNS_RR_TYPE_AAAA:	return "AAAA";
	case LDNS_RR_TYPE_MX:	return "MX";
	case LDNS_RR_TYPE_PTR:	return "PTR";
	default:		return "TXT";
	}
}

static int
rrset_push(struct rrset *set, char *s, size_t len)
{
	char	**v;

	if ((v = reallocarray(set->v, set->n + 1, sizeof *v)) == NULL) {
		free(s);
		return -2;
	}
	set->v = v;
	set->v[set->n++] = s;
	set->bytes += len + 1;
	return 0;
}

/*
 * A domain name as SPF and a diagnostic want it: presentation form, lower
 * case, without the final dot ("" for the root).  NULL out of memory.
 */
static char *
dname_text(const ldns_rdf *f)
{
	char	*s, *p;
	size_t	 len;

	if ((s = ldns_rdf2str(f)) == NULL)
		return NULL;
	len = strlen(s);
	if (len > 0 && s[len - 1] == '.' && (len < 2 || s[len - 2] != '\\'))
		s[--len] = '\0';
	for (p = s; *p != '\0'; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	return s;
}

/*
 * Add an A, AAAA, MX or PTR record: the address as inet_ntop writes it,
 * or the name as dname_text does.  An MX is kept as its preference (five
 * digits, for sorting) and a blank before the name.
 */
static int
rrset_add_other(struct rrset *set, const ldns_rr *rr)
{
	const ldns_rdf	*f;
	char		 buf[INET6_ADDRSTRLEN], *s, *name;
	size_t		 len;
	int		 af = AF_INET;
	uint16_t	 pref;

	switch (set->type) {
	case LDNS_RR_TYPE_AAAA:
		af = AF_INET6;
		/* FALLTHROUGH */
	case LDNS_RR_TYPE_A:
		if (ldns_rr_rd_count(rr) != 1)
			return -1;
		f = ldns_rr_rdf(rr, 0);
		if (ldns_rdf_size(f) != (af == AF_INET ? 4 : 16) ||
		    inet_ntop(af, ldns_rdf_data(f), buf, sizeof buf) == NULL)
			return -1;
		if ((s = strdup(buf)) == NULL)
			return -2;
		break;
	case LDNS_RR_TYPE_MX:
		if (ldns_rr_rd_count(rr) != 2 ||
		    ldns_rdf_size(ldns_rr_rdf(rr, 0)) != 2 ||
		    ldns_rdf_get_type(ldns_rr_rdf(rr, 1)) !=
		    LDNS_RDF_TYPE_DNAME)
			return -1;
		pref = ldns_read_uint16(ldns_rdf_data(ldns_rr_rdf(rr, 0)));
		if ((name = dname_text(ldns_rr_rdf(rr, 1))) == NULL)
			return -2;
		len = strlen(name) + 7;
		if ((s = malloc(len)) == NULL) {
			free(name);
			return -2;
		}
		snprintf(s, len, "%05u %s", pref, name);
		free(name);
		break;
	default:
		if (ldns_rr_rd_count(rr) != 1 ||
		    ldns_rdf_get_type(ldns_rr_rdf(rr, 0)) !=
		    LDNS_RDF_TYPE_DNAME)
			return -1;
		if ((s = dname_text(ldns_rr_rdf(rr, 0))) == NULL)
			return -2;
		break;
	}
	return rrset_push(set, s, strlen(s));
}

/*
 * Add one record of the type asked.  A TXT record has its
 * character-strings joined; one holding a NUL cannot be a C string: it is
 * counted and left out.  -1 when an rdata field is not what the type
 * holds, -2 when out of memory.
 */
static int
rrset_add(struct rrset *set, const ldns_rr *rr)
{
	const ldns_rdf	*f;
	char		*s;
	size_t		 len = 0, i, k, off = 0;

	if (set->type != LDNS_RR_TYPE_TXT)
		return rrset_add_other(set, rr);
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		f = ldns_rr_rdf(rr, i);
		if (ldns_rdf_get_type(f) != LDNS_RDF_TYPE_STR ||
		    ldns_rdf_size(f) < 1 ||
		    ldns_rdf_data(f)[0] != ldns_rdf_size(f) - 1)
			return -1;
		len += ldns_rdf_size(f) - 1;
	}
	if ((s = malloc(len + 1)) == NULL)
		return -2;
	for (i = 0; i < ldns_rr_rd_count(rr); i++) {
		f = ldns_rr_rdf(rr, i);
		k = ldns_rdf_size(f) - 1;
		memcpy(s + off, ldns_rdf_data(f) + 1, k);
		off += k;
	}
	s[len] = '\0';
	if (memchr(s, '\0', len) != NULL) {
		free(s);
		set->nul++;
		return 0;
	}
	return rrset_push(set, s, len);
}

static enum dns_status
add_failed(int rc, ldns_rr_type type, const char *from, char *err,
    size_t errlen)
{
	if (rc == -2) {
		seterr(err, errlen, "out of memory");
		return DNS_TEMPFAIL;
	}
	seterr(err, errlen, "malformed %s record from %s", type_name(type),
	    from);
	return DNS_PERMFAIL;
}

static int
is_type(const ldns_rr *rr, ldns_rr_type type)
{
	return ldns_rr_get_type(rr) == type &&
	    ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN;
}

static int
is_cname(const ldns_rr *rr)
{
	return ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
	    ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
	    ldns_rr_rd_count(rr) == 1 &&
	    ldns_rdf_get_type(ldns_rr_rdf(rr, 0)) == LDNS_RDF_TYPE_DNAME;
}

/* What the gathered records come to, once the owner's are all in. */
static enum dns_status
rrset_status(const struct rrset *set, char *err, size_t errlen)
{
	if (set->n > 0)
		return DNS_OK;
	if (set->nul > 0) {
		seterr(err, errlen, "malformed TXT record: a NUL byte inside");
		return DNS_PERMFAIL;
	}
	seterr(err, errlen, "no %s record", type_name(set->type));
	return DNS_NODATA;
}

static enum dns_status
chain_too_long(char *err, size_t errlen)
{
	seterr(err, errlen, "more than %d CNAMEs in a row", CHAIN_MAX);
	return DNS_PERMFAIL;
}

/* The first record whose owner is name or sorts after it. */
static size_t
zone_lower_bound(const struct dns *d, const ldns_rdf *name)
{
	size_t	lo = 0, hi = d->nrrs, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (ldns_dname_compare(ldns_rr_owner(d->rrs[mid]), name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static enum dns_status
zone_query(const struct dns *d, const ldns_rdf *qname, struct rrset *set,
    char *err, size_t errlen)
{
	const ldns_rdf	*name = qname, *next;
	size_t		 lo, i;
	int		 rc;

	for (int hops = 0;; hops++) {
		lo = zone_lower_bound(d, name);
		next = NULL;
		for (i = lo; i < d->nrrs &&
		    names_equal(ldns_rr_owner(d->rrs[i]), name); i++) {
			if (is_type(d->rrs[i], set->type) &&
			    (rc = rrset_add(set, d->rrs[i])) != 0)
				return add_failed(rc, set->type, d->server, err,
				    errlen);
			if (is_cname(d->rrs[i]))
				next = ldns_rr_rdf(d->rrs[i], 0);
		}
		if (i == lo) {
			/*
			 * Names below it sort right after it: with one, this
			 * is an empty non-terminal, which exists (RFC 8020).
			 */
			if (lo < d->nrrs &&
			    ldns_dname_is_subdomain(ldns_rr_owner(d->rrs[lo]),
			    name))
				return rrset_status(set, err, errlen);
			seterr(err, errlen, "no such name");
			return DNS_NXDOMAIN;
		}
		if (set->n > 0 || set->nul > 0 || next == NULL)
			return rrset_status(set, err, errlen);
		if (hops == CHAIN_MAX)
			return chain_too_long(err, errlen);
		name = next;
	}
}

/* What ldns says of a datagram it cannot read: short, garbled, cut. */
static int
wire_error(ldns_status s)
{
	switch (s) {
	case LDNS_STATUS_PACKET_OVERFLOW:
	case LDNS_STATUS_INVALID_POINTER:
	case LDNS_STATUS_EMPTY_LABEL:
	case LDNS_STATUS_LABEL_OVERFLOW:
	case LDNS_STATUS_DOMAINNAME_OVERFLOW:
	case LDNS_STATUS_DOMAINNAME_UNDERFLOW:
	case LDNS_STATUS_WIRE_INCOMPLETE_HEADER:
	case LDNS_STATUS_WIRE_INCOMPLETE_QUESTION:
	case LDNS_STATUS_WIRE_INCOMPLETE_ANSWER:
	case LDNS_STATUS_WIRE_INCOMPLETE_AUTHORITY:
	case LDNS_STATUS_WIRE_INCOMPLETE_ADDITIONAL:
	case LDNS_STATUS_WIRE_RDATA_ERR:
	case LDNS_STATUS_RDATA_OVERFLOW:
		return 1;
	default:
		return 0;
	}
}

/* Past a name in wire form at w[off]: the offset after it, 0 if cut. */
static size_t
wire_skip_name(const uint8_t *w, size_t len, size_t off)
{
	while (off < len) {
		if ((w[off] & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : 0;
		if (w[off] & 0xc0)
			return 0;
		if (w[off] == 0)
			return off + 1;
		off += w[off] + 1;
	}
	return 0;
}

int
dns_wire_refused(const uint8_t *w, size_t len)
{
	size_t	off = 12, i, n, rdlen;
	int	type, tsig = 0, opt = 0;

	if (len < 12)
		return 0;
	for (i = 0; i < (size_t)(w[4] << 8 | w[5]); i++)
		if ((off = wire_skip_name(w, len, off)) == 0 ||
		    (off += 4) > len)
			return 0;
	n = (size_t)(w[6] << 8 | w[7]) + (w[8] << 8 | w[9]) +
	    (w[10] << 8 | w[11]);
	for (i = 0; i < n; i++) {
		if ((off = wire_skip_name(w, len, off)) == 0 || off + 10 > len)
			return 0;
		type = w[off] << 8 | w[off + 1];
		rdlen = (size_t)(w[off + 8] << 8 | w[off + 9]);
		if ((type == LDNS_RR_TYPE_TSIG && ++tsig > 1) ||
		    (type == LDNS_RR_TYPE_OPT && ++opt > 1))
			return 1;
		off += 10 + rdlen;
	}
	return 0;
}

/*
 * ldns_send, the answer's wire checked before ldns reads it: ldns keeps
 * one TSIG record and one OPT record of a packet and loses the memory of
 * any other (RFC 8945 5.1 and RFC 6891 6.1.1 allow one of each), so a
 * packet with two of either is refused (LDNS_STATUS_PACKET_OVERFLOW
 * stands for it: a malformed answer).  Each server in turn, tries times,
 * as ldns_send does.
 */
static ldns_status
send_checked(struct dns *d, const ldns_pkt *q, ldns_pkt **a)
{
	struct sockaddr_storage	*to;
	ldns_buffer		*qb;
	ldns_rdf		**ns = ldns_resolver_nameservers(d->res);
	uint8_t			*reply = NULL;
	size_t			 nns = ldns_resolver_nameserver_count(d->res);
	size_t			 i, tolen, rlen = 0;
	ldns_status		 s = LDNS_STATUS_NETWORK_ERR;
	int			 t;

	d->refused = 0;
	if ((qb = ldns_buffer_new(LDNS_MAX_PACKETLEN)) == NULL)
		return LDNS_STATUS_MEM_ERR;
	if ((s = ldns_pkt2buffer_wire(qb, q)) != LDNS_STATUS_OK) {
		ldns_buffer_free(qb);
		return s;
	}
	s = LDNS_STATUS_NETWORK_ERR;
	for (i = 0; reply == NULL && i < nns; i++) {
		if ((to = ldns_rdf2native_sockaddr_storage(ns[i],
		    ldns_resolver_port(d->res), &tolen)) == NULL)
			continue;
		for (t = 0; reply == NULL && t < ldns_resolver_retry(d->res);
		    t++) {
			s = ldns_resolver_usevc(d->res) ? ldns_tcp_send(&reply,
			    qb, to, (socklen_t)tolen, ldns_resolver_timeout(
			    d->res), &rlen) : ldns_udp_send(&reply, qb, to,
			    (socklen_t)tolen, ldns_resolver_timeout(d->res),
			    &rlen);
			if (s != LDNS_STATUS_OK) {
				free(reply);
				reply = NULL;
			}
		}
		free(to);
	}
	ldns_buffer_free(qb);
	if (reply == NULL)
		return s;
	d->refused = dns_wire_refused(reply, rlen);
	s = d->refused ? LDNS_STATUS_PACKET_OVERFLOW :
	    ldns_wire2pkt(a, reply, rlen);
	free(reply);
	return s;
}

/*
 * One pass over the servers, within what is left of the deadline.  ldns
 * waits its timeout per server per try (twice per try over TCP: connect,
 * then read), so the time left is shared out among them.
 */
static ldns_status
send_within(struct dns *d, const ldns_pkt *q, ldns_pkt **a,
    const struct timespec *end, int tries, int waits)
{
	struct timespec	now;
	struct timeval	tv;
	size_t		nns = ldns_resolver_nameserver_count(d->res);
	long long	left, per;

	clock_gettime(CLOCK_MONOTONIC, &now);
	left = (long long)(end->tv_sec - now.tv_sec) * 1000 +
	    (end->tv_nsec - now.tv_nsec) / 1000000;
	if (left <= 0)
		return LDNS_STATUS_NETWORK_ERR;
	per = left / ((long long)(nns > 0 ? nns : 1) * tries * waits);
	if (per < 1)
		per = 1;
	tv.tv_sec = per / 1000;
	tv.tv_usec = per % 1000 * 1000;
	ldns_resolver_set_timeout(d->res, tv);
	ldns_resolver_set_retry(d->res, tries);
	*a = NULL;
	return send_checked(d, q, a);
}

/* The question of an answer is the one asked. */
static int
same_question(const ldns_pkt *a, const ldns_rdf *qname, ldns_rr_type type)
{
	const ldns_rr_list	*qs = ldns_pkt_question(a);
	const ldns_rr		*rr;

	if (qs == NULL || ldns_rr_list_rr_count(qs) != 1)
		return 0;
	rr = ldns_rr_list_rr(qs, 0);
	return names_equal(ldns_rr_owner(rr), qname) &&
	    ldns_rr_get_type(rr) == type &&
	    ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN;
}

/*
 * Whether every record of the answer section is one the question asked
 * for: its type or CNAME in class IN at the name or along its CNAME chain
 * (chain[0..n)), or the DNAME or RRSIG a resolver may put beside them.
 * Anything else (another class, type or owner) comes from a broken or
 * forged answer, which says nothing about the name: taking it as "no
 * record" would end an ARC chain for good.
 */
static int
answers_question(const ldns_rr_list *an, ldns_rr_type type,
    const ldns_rdf *const *chain, size_t n)
{
	const ldns_rr	*rr;
	size_t		 i, k, nan = an != NULL ? ldns_rr_list_rr_count(an) : 0;

	for (i = 0; i < nan; i++) {
		rr = ldns_rr_list_rr(an, i);
		if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN)
			return 0;
		switch (ldns_rr_get_type(rr)) {
		case LDNS_RR_TYPE_DNAME:
		case LDNS_RR_TYPE_RRSIG:
			continue;
		case LDNS_RR_TYPE_CNAME:
			break;
		default:
			if (ldns_rr_get_type(rr) != type)
				return 0;
		}
		for (k = 0; k < n; k++)
			if (names_equal(ldns_rr_owner(rr), chain[k]))
				break;
		if (k == n)
			return 0;
	}
	return 1;
}

/*
 * A NOERROR answer with neither records nor an SOA but NS records is a
 * referral: the server is authoritative for a parent zone and does not
 * recurse.  Not NODATA: the name was never asked where it lives.
 */
static int
is_referral(const ldns_pkt *a)
{
	const ldns_rr_list	*auth = ldns_pkt_authority(a);
	size_t			 i, nauth = auth != NULL ?
				    ldns_rr_list_rr_count(auth) : 0;
	int			 ns = 0;

	if (ldns_pkt_get_rcode(a) != LDNS_RCODE_NOERROR || ldns_pkt_aa(a) ||
	    ldns_pkt_ancount(a) > 0)
		return 0;
	for (i = 0; i < nauth; i++)
		switch (ldns_rr_get_type(ldns_rr_list_rr(auth, i))) {
		case LDNS_RR_TYPE_SOA:
			return 0;
		case LDNS_RR_TYPE_NS:
			ns = 1;
			break;
		default:
			break;
		}
	return ns;
}

static enum dns_status
packet_query(const struct dns *d, const ldns_pkt *a, const ldns_rdf *qname,
    struct rrset *set, char *err, size_t errlen)
{
	const ldns_rr_list	*an = ldns_pkt_answer(a);
	const ldns_rdf		*name = qname, *next;
	const ldns_rdf		*chain[CHAIN_MAX + 1];
	const ldns_rr		*rr;
	size_t			 i, nchain = 0, nan = an != NULL ?
				    ldns_rr_list_rr_count(an) : 0;
	int			 rc;

	/* Follow the CNAMEs a recursive resolver puts before the answer. */
	for (int hops = 0;; hops++) {
		chain[nchain++] = name;
		next = NULL;
		for (i = 0; i < nan; i++) {
			rr = ldns_rr_list_rr(an, i);
			if (!names_equal(ldns_rr_owner(rr), name))
				continue;
			if (is_type(rr, set->type) &&
			    (rc = rrset_add(set, rr)) != 0)
				return add_failed(rc, set->type, d->server, err,
				    errlen);
			if (is_cname(rr))
				next = ldns_rr_rdf(rr, 0);
		}
		if (set->n > 0 || set->nul > 0 || next == NULL)
			break;
		if (hops == CHAIN_MAX)
			return chain_too_long(err, errlen);
		name = next;
	}
	if (!answers_question(an, set->type, chain, nchain)) {
		seterr(err, errlen, "an answer from %s with a record that does "
		    "not answer the query", d->server);
		return DNS_TEMPFAIL;
	}
	if (set->n == 0 && set->nul == 0 && name == qname &&
	    is_referral(a)) {
		seterr(err, errlen, "a referral from %s: not a recursive "
		    "resolver", d->server);
		return DNS_TEMPFAIL;
	}
	return rrset_status(set, err, errlen);
}

/*
 * The checks of every answer: it is the reply to q (ldns takes any
 * datagram to its socket), not truncated, NOERROR or NXDOMAIN.  DNS_OK,
 * or DNS_TEMPFAIL with err (and a SERVFAIL's rcode in *rcodep).
 */
static enum dns_status
packet_status(const struct dns *d, const ldns_pkt *q, const ldns_pkt *a,
    const ldns_rdf *qname, ldns_rr_type type, int *rcodep, char *err,
    size_t errlen)
{
	ldns_lookup_table	*rc;
	ldns_pkt_rcode		 rcode = ldns_pkt_get_rcode(a);

	if (!ldns_pkt_qr(a) || ldns_pkt_id(a) != ldns_pkt_id(q) ||
	    ldns_pkt_get_opcode(a) != LDNS_PACKET_QUERY ||
	    ((rcode == LDNS_RCODE_NOERROR || rcode == LDNS_RCODE_NXDOMAIN) &&
	    !same_question(a, qname, type))) {
		seterr(err, errlen, "an answer from %s that does not match "
		    "the query", d->server);
		return DNS_TEMPFAIL;
	}
	if (ldns_pkt_tc(a)) {
		seterr(err, errlen, "a truncated answer from %s", d->server);
		return DNS_TEMPFAIL;
	}
	if (rcode == LDNS_RCODE_NOERROR || rcode == LDNS_RCODE_NXDOMAIN)
		return DNS_OK;
	if (rcodep != NULL)
		*rcodep = rcode;
	rc = ldns_lookup_by_id(ldns_rcodes, rcode);
	seterr(err, errlen, "%s answered %s", d->server,
	    rc != NULL ? rc->name : "an unknown rcode");
	return DNS_TEMPFAIL;
}

/*
 * RFC 6376 3.9 and 6.1.2: a key that cannot be fetched for a server's
 * reasons is a temporary failure, so that the message is deferred and
 * tried again, not failed for good.  SERVFAIL, no answer and a truncated
 * answer are that.  So are REFUSED and FORMERR: they say that this
 * resolver will not or cannot answer (an ACL, a middlebox that mangles
 * EDNS), which a fixed configuration cures; nothing in them is about the
 * name, and a permanent DKIM failure for a resolver's fault would fail
 * good mail.  So is an answer that cannot be read at all (short, garbled,
 * cut): one bad datagram, a broken middlebox or resolver, says nothing
 * about the name either, and ending an ARC chain for good over it would
 * lose what a retry through a sane path gets.
 */
static enum dns_status
answer_status(const struct dns *d, const ldns_pkt *q, const ldns_pkt *a,
    const ldns_rdf *qname, struct rrset *set, char *err, size_t errlen)
{
	enum dns_status	st;

	if ((st = packet_status(d, q, a, qname, set->type, NULL, err,
	    errlen)) != DNS_OK)
		return st;
	if (ldns_pkt_get_rcode(a) == LDNS_RCODE_NOERROR)
		return packet_query(d, a, qname, set, err, errlen);
	seterr(err, errlen, "no such name");
	return DNS_NXDOMAIN;
}

/* When a query must be over: its timeout, or the deadline when sooner. */
static void
query_end(const struct dns *d, struct timespec *end)
{
	clock_gettime(CLOCK_MONOTONIC, end);
	end->tv_sec += d->timeout;
	if (d->deadline.tv_sec != 0 && (d->deadline.tv_sec < end->tv_sec ||
	    (d->deadline.tv_sec == end->tv_sec &&
	    d->deadline.tv_nsec < end->tv_nsec)))
		*end = d->deadline;
}

/*
 * Send q and take its answer into *a, asking again over TCP when it comes
 * truncated, all within the time query_end gives.  DNS_OK, or
 * DNS_TEMPFAIL with the reason in err (*a NULL).
 */
static enum dns_status
exchange(struct dns *d, const ldns_pkt *q, ldns_pkt **a, char *err,
    size_t errlen)
{
	struct timespec	 end;
	ldns_status	 s;
	const char	*over = "";
	char		 why[128];

	query_end(d, &end);
	ldns_resolver_set_usevc(d->res, false);
	s = send_within(d, q, a, &end, UDP_TRIES, 1);
	if (s == LDNS_STATUS_OK && *a != NULL && ldns_pkt_tc(*a)) {
		/* RFC 7766 5: truncated over UDP, asked again over TCP */
		ldns_pkt_free(*a);
		ldns_resolver_set_usevc(d->res, true);
		s = send_within(d, q, a, &end, 1, 2);
		ldns_resolver_set_usevc(d->res, false);
		over = " over TCP after a truncated answer";
	}
	if (s == LDNS_STATUS_OK && *a != NULL)
		return DNS_OK;
	if (*a != NULL)
		ldns_pkt_free(*a);
	*a = NULL;
	if (wire_error(s) && d->refused)
		seterr(err, errlen, "a malformed answer from %s%s: more than "
		    "one TSIG or OPT record", d->server, over);
	else if (wire_error(s))
		seterr(err, errlen, "a malformed answer from %s%s: %s",
		    d->server, over, reason(s, why, sizeof why));
	else if (s == LDNS_STATUS_NETWORK_ERR || s == LDNS_STATUS_OK)
		seterr(err, errlen, "no answer from %s%s within %d s",
		    d->server, over, d->timeout);
	else
		seterr(err, errlen, "no answer from %s%s: %s", d->server,
		    over, reason(s, why, sizeof why));
	return DNS_TEMPFAIL;
}

static enum dns_status
resolve_query(struct dns *d, const ldns_rdf *qname, struct rrset *set,
    char *err, size_t errlen)
{
	ldns_pkt	*q = NULL, *a = NULL;
	ldns_status	 s;
	enum dns_status	 st;
	char		 why[128];

	s = ldns_resolver_prepare_query_pkt(&q, d->res, qname,
	    set->type, LDNS_RR_CLASS_IN, LDNS_RD);
	if (s != LDNS_STATUS_OK) {
		seterr(err, errlen, "cannot make a query: %s",
		    reason(s, why, sizeof why));
		return DNS_TEMPFAIL;
	}
	st = exchange(d, q, &a, err, errlen);
	if (st == DNS_OK)
		st = answer_status(d, q, a, qname, set, err, errlen);
	ldns_pkt_free(q);
	if (a != NULL)
		ldns_pkt_free(a);
	return st;
}

static uint32_t
hash(const uint8_t *p, size_t n)
{
	uint32_t	h = 2166136261u;	/* FNV-1a */

	while (n-- > 0)
		h = (h ^ *p++) * 16777619u;
	return h;
}

static int
txt_copy(char **v, size_t n, char ***out)
{
	char	**c;

	if ((c = calloc(n, sizeof *c)) == NULL)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((c[i] = strdup(v[i])) == NULL) {
			dns_txt_free(c, i);
			return -1;
		}
	*out = c;
	return 0;
}

/* The type, then the name in wire form: one key per question. */
static size_t
cache_key(const ldns_rdf *qname, ldns_rr_type type, uint8_t *key)
{
	key[0] = type >> 8;
	key[1] = type & 0xff;
	memcpy(key + 2, ldns_rdf_data(qname), ldns_rdf_size(qname));
	return ldns_rdf_size(qname) + 2;
}

static int
cache_hit(const struct entry *e, const uint8_t *key, size_t keylen)
{
	return e->key != NULL && e->keylen == keylen &&
	    memcmp(e->key, key, keylen) == 0;
}

/*
 * The entry holding key, or NULL; *put gets where to keep its answer.  A
 * key may sit in any of the CACHE_WAYS slots from its hash on, so that
 * two names a batch asks for every message do not evict each other for
 * every message, as they would in one slot: the first empty one of
 * those, or the first of them when all are taken.
 */
static struct entry *
cache_find(struct dns *d, const uint8_t *key, size_t keylen,
    struct entry **put)
{
	size_t		 h = hash(key, keylen) % CACHE_SLOTS;
	struct entry	*e;

	*put = NULL;
	for (size_t i = 0; i < CACHE_WAYS; i++) {
		e = &d->cache[(h + i) % CACHE_SLOTS];
		if (cache_hit(e, key, keylen))
			return e;
		if (e->key == NULL && *put == NULL)
			*put = e;
	}
	if (*put == NULL)
		*put = &d->cache[h];
	return NULL;
}

/* Keep an answer, unless it would take the cache over its bytes. */
static void
cache_put(struct dns *d, struct entry *e, const uint8_t *key,
    size_t keylen, enum dns_status st, const struct rrset *set)
{
	size_t		 bytes = set->bytes + keylen;

	entry_clear(d, e);
	if (d->cached + bytes > CACHE_BYTES)
		return;
	if ((e->key = malloc(keylen)) == NULL)
		return;
	if (set->n > 0 && txt_copy(set->v, set->n, &e->txt) != 0) {
		free(e->key);
		e->key = NULL;
		return;
	}
	memcpy(e->key, key, keylen);
	e->keylen = keylen;
	e->st = st;
	e->n = set->n;
	e->bytes = bytes;
	d->cached += bytes;
}

/*
 * The name to ask, in lower case (the cache key, and the query: case does
 * not matter in DNS), or NULL with the reason in err.
 */
static ldns_rdf *
query_name(const char *name, char *err, size_t errlen)
{
	ldns_rdf	*qname = NULL;
	ldns_status	 s;
	char		 why[128];

	if (name == NULL || *name == '\0')
		s = LDNS_STATUS_DOMAINNAME_UNDERFLOW;
	else
		s = ldns_str2rdf_dname(&qname, name);
	if (s != LDNS_STATUS_OK) {
		seterr(err, errlen, "bad domain name: %s",
		    reason(s, why, sizeof why));
		return NULL;
	}
	ldns_dname2canonical(qname);
	return qname;
}

/*
 * The records of one type at name, as text (see rrset_add), through the
 * cache, from the zone file or the server.
 */
static enum dns_status
dns_query(struct dns *d, const char *name, ldns_rr_type type, char ***out,
    size_t *n, char *err, size_t errlen)
{
	struct rrset	 set = { type, NULL, 0, 0, 0 };
	struct entry	*e, *put;
	ldns_rdf	*qname = NULL;
	enum dns_status	 st;
	uint8_t		 key[LDNS_MAX_DOMAINLEN + 3];
	size_t		 keylen;

	*out = NULL;
	*n = 0;
	if ((qname = query_name(name, err, errlen)) == NULL)
		return DNS_PERMFAIL;
	keylen = cache_key(qname, type, key);
	e = cache_find(d, key, keylen, &put);
	if (d->broken[0] != '\0') {
		seterr(err, errlen, "%s", d->broken);
		st = DNS_TEMPFAIL;
	} else if (d->zone != NULL)
		st = zone_query(d, qname, &set, err, errlen);
	else if (e != NULL) {
		st = e->st;
		if (st == DNS_OK && txt_copy(e->txt, e->n, &set.v) == 0)
			set.n = e->n;
		else if (st == DNS_OK) {
			seterr(err, errlen, "out of memory");
			st = DNS_TEMPFAIL;
		} else if (st == DNS_NXDOMAIN)
			seterr(err, errlen, "no such name");
		else
			seterr(err, errlen, "no %s record", type_name(type));
	} else {
		st = resolve_query(d, qname, &set, err, errlen);
		if (st == DNS_OK || st == DNS_NXDOMAIN || st == DNS_NODATA)
			cache_put(d, put, key, keylen, st, &set);
	}
	ldns_rdf_deep_free(qname);
	if (st != DNS_OK) {
		dns_txt_free(set.v, set.n);
		return st;
	}
	*out = set.v;
	*n = set.n;
	return st;
}

enum dns_status
dns_txt(struct dns *d, const char *name, char ***txt, size_t *n, char *err,
    size_t errlen)
{
	return dns_query(d, name, LDNS_RR_TYPE_TXT, txt, n, err, errlen);
}

enum dns_status
dns_addr(struct dns *d, const char *name, int af, struct dns_addr **out,
    size_t *n, char *err, size_t errlen)
{
	enum dns_status	  st;
	char		**v;
	size_t		  nv, i;

	*out = NULL;
	*n = 0;
	st = dns_query(d, name, af == AF_INET6 ? LDNS_RR_TYPE_AAAA :
	    LDNS_RR_TYPE_A, &v, &nv, err, errlen);
	if (st != DNS_OK)
		return st;
	if ((*out = calloc(nv, sizeof **out)) == NULL) {
		dns_txt_free(v, nv);
		seterr(err, errlen, "out of memory");
		return DNS_TEMPFAIL;
	}
	for (i = 0; i < nv; i++) {
		(*out)[i].af = af == AF_INET6 ? AF_INET6 : AF_INET;
		inet_pton((*out)[i].af, v[i], (*out)[i].a);
	}
	*n = nv;
	dns_txt_free(v, nv);
	return DNS_OK;
}

static int
fail_rank(enum dns_status st)
{
	switch (st) {
	case DNS_TEMPFAIL:
		return 3;
	case DNS_NODATA:
		return 2;
	case DNS_NXDOMAIN:
		return 1;
	default:
		return 0;
	}
}

enum dns_status
dns_addrs(struct dns *d, const char *name, int af, struct dns_addr **out,
    size_t *n, char *err, size_t errlen)
{
	static const int	 fams[] = { AF_INET, AF_INET6 };
	struct dns_addr		*a, *all = NULL, *more;
	enum dns_status		 st, best = DNS_NXDOMAIN;
	size_t			 i, na, nall = 0;
	char			 why[256];
	int			 failed = 0;

	*out = NULL;
	*n = 0;
	for (i = 0; i < 2; i++) {
		if (af != AF_UNSPEC && af != fams[i])
			continue;
		st = dns_addr(d, name, fams[i], &a, &na, why, sizeof why);
		if (st == DNS_OK) {
			if ((more = reallocarray(all, nall + na,
			    sizeof *more)) == NULL) {
				free(a);
				free(all);
				seterr(err, errlen, "out of memory");
				return DNS_TEMPFAIL;
			}
			memcpy(more + nall, a, na * sizeof *a);
			all = more;
			nall += na;
			free(a);
			best = DNS_OK;
			continue;
		}
		/* Addresses of one family are enough.  Else a temporary
		   failure outranks a missing record, which outranks a
		   missing name; the reason kept is the first one of the
		   status given. */
		if (best != DNS_OK && (failed++ == 0 ||
		    fail_rank(st) > fail_rank(best))) {
			best = st;
			seterr(err, errlen, "%s", why);
		}
	}
	if (best != DNS_OK)
		return best;
	*out = all;
	*n = nall;
	return DNS_OK;
}

static int
by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

enum dns_status
dns_mx(struct dns *d, const char *name, char ***names, size_t *n, char *err,
    size_t errlen)
{
	enum dns_status	 st;
	size_t		 i;
	char		*p;

	st = dns_query(d, name, LDNS_RR_TYPE_MX, names, n, err, errlen);
	if (st != DNS_OK)
		return st;
	/* by preference; the five digits and the blank go */
	qsort(*names, *n, sizeof **names, by_text);
	for (i = 0; i < *n; i++) {
		p = (*names)[i];
		memmove(p, p + 6, strlen(p + 6) + 1);
	}
	return DNS_OK;
}

enum dns_status
dns_ptr(struct dns *d, const char *ip, char ***names, size_t *n, char *err,
    size_t errlen)
{
	unsigned char	a[16];
	char		q[80], *p = q;
	int		i;

	*names = NULL;
	*n = 0;
	if (inet_pton(AF_INET, ip, a) == 1)
		snprintf(q, sizeof q, "%u.%u.%u.%u.in-addr.arpa", a[3], a[2],
		    a[1], a[0]);
	else if (inet_pton(AF_INET6, ip, a) == 1) {
		for (i = 15; i >= 0; i--) {
			*p++ = "0123456789abcdef"[a[i] & 0xf];
			*p++ = '.';
			*p++ = "0123456789abcdef"[a[i] >> 4];
			*p++ = '.';
		}
		memcpy(p, "ip6.arpa", sizeof "ip6.arpa");
	} else {
		seterr(err, errlen, "bad address '%s'", ip);
		return DNS_PERMFAIL;
	}
	return dns_query(d, q, LDNS_RR_TYPE_PTR, names, n, err, errlen);
}

/*
 * The answer to a raw query, from the zone file: the records of type at
 * qname and along its CNAMEs, with the RRSIGs the file holds for them.
 */
static enum dns_status
zone_packet(const struct dns *d, const ldns_rdf *qname, ldns_rr_type type,
    ldns_pkt **pkt, char *err, size_t errlen)
{
	const ldns_rdf	*name = qname, *next;
	ldns_pkt	*p;
	ldns_rr		*q, *rr, *c;
	ldns_rr_type	 t, covered;
	size_t		 lo, i;
	int		 found;

	if ((p = ldns_pkt_new()) == NULL || (q = ldns_rr_new()) == NULL)
		goto nomem;
	ldns_rr_set_owner(q, ldns_rdf_clone(qname));
	ldns_rr_set_type(q, type);
	ldns_rr_set_class(q, LDNS_RR_CLASS_IN);
	ldns_rr_set_question(q, true);
	if (ldns_rr_owner(q) == NULL ||
	    !ldns_pkt_push_rr(p, LDNS_SECTION_QUESTION, q)) {
		ldns_rr_free(q);
		goto nomem;
	}
	ldns_pkt_set_qr(p, true);
	ldns_pkt_set_aa(p, true);
	for (int hops = 0;; hops++) {
		lo = zone_lower_bound(d, name);
		next = NULL;
		found = 0;
		for (i = lo; i < d->nrrs &&
		    names_equal(ldns_rr_owner(d->rrs[i]), name); i++) {
			rr = d->rrs[i];
			t = ldns_rr_get_type(rr);
			covered = t == LDNS_RR_TYPE_RRSIG &&
			    ldns_rr_rrsig_typecovered(rr) != NULL ?
			    ldns_rdf2rr_type(ldns_rr_rrsig_typecovered(rr)) : 0;
			if (t != type && !is_cname(rr) && covered != type &&
			    covered != LDNS_RR_TYPE_CNAME)
				continue;
			if ((c = ldns_rr_clone(rr)) == NULL ||
			    !ldns_pkt_push_rr(p, LDNS_SECTION_ANSWER, c)) {
				ldns_rr_free(c);
				goto nomem;
			}
			if (t == type)
				found = 1;
			else if (is_cname(rr))
				next = ldns_rr_rdf(rr, 0);
		}
		/* as zone_query: an empty non-terminal exists */
		if (i == lo && !(lo < d->nrrs && ldns_dname_is_subdomain(
		    ldns_rr_owner(d->rrs[lo]), name))) {
			ldns_pkt_set_rcode(p, LDNS_RCODE_NXDOMAIN);
			break;
		}
		if (found || next == NULL || type == LDNS_RR_TYPE_CNAME)
			break;
		if (hops == CHAIN_MAX) {
			ldns_pkt_free(p);
			return chain_too_long(err, errlen);
		}
		name = next;
	}
	*pkt = p;
	return DNS_OK;
nomem:
	ldns_pkt_free(p);
	seterr(err, errlen, "out of memory");
	return DNS_TEMPFAIL;
}

/*
 * Whether the answer section holds only what answers qname and type, as
 * answers_question says, along the CNAMEs it holds from qname on.
 */
static int
packet_answers(const ldns_pkt *a, const ldns_rdf *qname, ldns_rr_type type)
{
	const ldns_rr_list	*an = ldns_pkt_answer(a);
	const ldns_rdf		*chain[CHAIN_MAX + 2], *next;
	const ldns_rr		*rr;
	size_t			 n = 0, i, nan = an != NULL ?
				    ldns_rr_list_rr_count(an) : 0;

	chain[n++] = qname;
	while (n < CHAIN_MAX + 2 && type != LDNS_RR_TYPE_CNAME) {
		next = NULL;
		for (i = 0; i < nan && next == NULL; i++) {
			rr = ldns_rr_list_rr(an, i);
			if (is_cname(rr) && names_equal(ldns_rr_owner(rr),
			    chain[n - 1]))
				next = ldns_rr_rdf(rr, 0);
		}
		if (next == NULL)
			break;
		chain[n++] = next;
	}
	return answers_question(an, type, chain, n);
}

enum dns_status
dns_packet(struct dns *d, const char *name, int type, int flags,
    ldns_pkt **pkt, int *rcode, char *err, size_t errlen)
{
	ldns_rdf	*qname = NULL;
	ldns_pkt	*q = NULL, *a = NULL;
	ldns_status	 s;
	enum dns_status	 st;
	char		 why[128];

	*pkt = NULL;
	if (rcode != NULL)
		*rcode = LDNS_RCODE_NOERROR;
	if ((qname = query_name(name, err, errlen)) == NULL)
		return DNS_PERMFAIL;
	if (d->broken[0] != '\0') {
		seterr(err, errlen, "%s", d->broken);
		st = DNS_TEMPFAIL;
	} else if (d->zone != NULL)
		st = zone_packet(d, qname, type, pkt, err, errlen);
	else if ((s = ldns_resolver_prepare_query_pkt(&q, d->res, qname,
	    type, LDNS_RR_CLASS_IN, LDNS_RD)) != LDNS_STATUS_OK) {
		seterr(err, errlen, "cannot make a query: %s",
		    reason(s, why, sizeof why));
		st = DNS_TEMPFAIL;
	} else {
		/*
		 * DO for the RRSIGs and denials.  CD so that a validating
		 * resolver hands over what it finds bogus, for us to judge;
		 * for --trust-ad, AD instead (RFC 6840 5.7) so that it says
		 * what it found secure.
		 */
		if (flags & (DNS_Q_DNSSEC | DNS_Q_AD))
			ldns_pkt_set_edns_do(q, true);
		if (flags & DNS_Q_DNSSEC)
			ldns_pkt_set_cd(q, true);
		else if (flags & DNS_Q_AD)
			ldns_pkt_set_ad(q, true);
		st = exchange(d, q, &a, err, errlen);
		if (st == DNS_OK)
			st = packet_status(d, q, a, qname, type, rcode, err,
			    errlen);
		if (st == DNS_OK && !packet_answers(a, qname, type)) {
			seterr(err, errlen, "an answer from %s with a record "
			    "that does not answer the query", d->server);
			st = DNS_TEMPFAIL;
		}
		if (st == DNS_OK && is_referral(a)) {
			seterr(err, errlen, "a referral from %s: not a "
			    "recursive resolver", d->server);
			st = DNS_TEMPFAIL;
		}
		if (st == DNS_OK) {
			*pkt = a;
			a = NULL;
		}
	}
	if (q != NULL)
		ldns_pkt_free(q);
	if (a != NULL)
		ldns_pkt_free(a);
	ldns_rdf_deep_free(qname);
	return st;
}

int
dns_is_zone(const struct dns *d)
{
	return d->zone != NULL;
}

const char *
dns_server(const struct dns *d)
{
	return d->server;
}

void
dns_deadline(struct dns *d, int on)
{
	memset(&d->deadline, 0, sizeof d->deadline);
	if (on) {
		clock_gettime(CLOCK_MONOTONIC, &d->deadline);
		d->deadline.tv_sec += d->timeout;
	}
}

int
dns_past_deadline(const struct dns *d)
{
	struct timespec	now;

	if (d == NULL || d->deadline.tv_sec == 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec > d->deadline.tv_sec ||
	    (now.tv_sec == d->deadline.tv_sec &&
	    now.tv_nsec >= d->deadline.tv_nsec);
}

int
dns_new_status(int e)
{
	if (e == EINVAL)
		return MX_USAGE;
	if (e == EBADMSG)
		return MX_DATAERR;
	if (e == ENOMEM)
		return MX_SOFTWARE;
	return MX_NOINPUT;
}
