/*
 * dns: TXT, A, AAAA, MX and PTR lookups through ldns.
 *
 * Three sources of answers: the system resolver (/etc/resolv.conf), one
 * server given as ADDR[@PORT] (--resolver), or a master file read once
 * (--dns-zone), which answers offline so that tests and users without a
 * server need none.  Outcomes keep temporary and permanent failures apart,
 * since a mail tool defers on the first and decides on the second.
 */
#ifndef MX_DNS_H
#define MX_DNS_H

#include <stddef.h>
#include <popt.h>

enum dns_status {
	DNS_OK = 0,		/* one or more records */
	DNS_NXDOMAIN,		/* the name does not exist */
	DNS_NODATA,		/* the name exists, no record of the type */
	DNS_TEMPFAIL,		/* timeout, SERVFAIL, REFUSED, FORMERR,
				   an answer that cannot be read, or
				   with records not asked for */
	DNS_PERMFAIL		/* a malformed name or TXT record */
};

/* The options --resolver, --dns-zone and --timeout; tools include the table. */
extern struct poptOption dns_options[];
extern const char *dns_opt_resolver;	/* ADDR[@PORT], or NULL */
extern const char *dns_opt_zone;	/* master file, or NULL */
extern int dns_opt_timeout;		/* seconds per query, default 5 */

struct dns;

/*
 * A resolver from the options above (NULL, NULL for the system one).
 * NULL with a reason in err when the address or zone file is bad; errno
 * then says which: EINVAL a bad address or timeout (a usage error),
 * EBADMSG a syntax error in the zone file (the reason names the file and
 * line), ENOMEM out of memory, anything else the zone file could not be
 * opened or read.  An /etc/resolv.conf that cannot be read or parsed is
 * no error here: every lookup then fails with DNS_TEMPFAIL, the reason
 * saying why, so that what needs no lookup still works.
 *
 * --resolver takes an IPv4 or IPv6 literal, optionally @PORT (53 by
 * default).  The system resolver is /etc/resolv.conf's servers, in order
 * (127.0.0.1 without one, as glibc).  The timeout, in seconds, bounds a
 * whole query: the servers, one retransmission each, and TCP after a
 * truncated answer share it.  EDNS asks for answers up to 1232 bytes.
 *
 * A zone file is read once and answers from memory: NXDOMAIN for a name
 * that is neither an owner nor above one, NODATA for one without the type,
 * CNAMEs followed within the file.  Relative names need $ORIGIN (or an
 * SOA before them): without, a name is taken as under the root, with a
 * warning (cli_warn) naming the file and the first such line.  A string
 * over 255 bytes, or a quoted string not closed on its line, is a syntax
 * error that says so; a UTF-8 byte order mark at the start is skipped,
 * with a warning; a file that is not a regular file (a FIFO) is refused
 * at once.  No $INCLUDE, no wildcard synthesis.
 */
struct dns	*dns_new(const char *, const char *, int, char *, size_t);
/* The exit status for that errno: MX_USAGE, MX_DATAERR or MX_NOINPUT. */
int		 dns_new_status(int);
void		 dns_free(struct dns *);

/*
 * The TXT records at name (no trailing dot needed).  Each record's strings
 * are joined without separator, as DKIM and DMARC read them, NUL-terminated.
 * On DNS_OK, *txt holds *n records (malloc'd; free with dns_txt_free);
 * otherwise *txt is NULL and *n 0.  A record with a NUL byte inside is
 * left out (PERMFAIL when it was the only one).  Answers, and NXDOMAIN and
 * NODATA, are cached for the life of the struct dns whatever their TTL,
 * so one key looked up for many messages costs one query (1024 names and
 * 1 MB at most); failures are not.  err gets a reason whenever the status
 * is not DNS_OK: the caller names the name.
 */
enum dns_status	 dns_txt(struct dns *, const char *, char ***, size_t *,
		    char *, size_t);
void		 dns_txt_free(char **, size_t);

/* An address of an A or AAAA record, in network order. */
struct dns_addr {
	int		af;		/* AF_INET or AF_INET6 */
	unsigned char	a[16];		/* 4 or 16 bytes used */
};

/*
 * The A (af AF_INET) or AAAA (AF_INET6) records at name, from the same
 * sources, with the same statuses, reasons and cache as dns_txt.  On
 * DNS_OK, *addrs holds *n addresses (malloc'd: free it).
 */
enum dns_status	 dns_addr(struct dns *, const char *, int,
		    struct dns_addr **, size_t *, char *, size_t);
/*
 * The addresses at name of family af (AF_INET, AF_INET6, or AF_UNSPEC:
 * the A records, then the AAAA records after them).  DNS_OK when either
 * family has one; else the strongest failure: DNS_TEMPFAIL, then
 * DNS_NODATA, then DNS_NXDOMAIN, with its reason in err.
 */
enum dns_status	 dns_addrs(struct dns *, const char *, int,
		    struct dns_addr **, size_t *, char *, size_t);
/*
 * The exchanges of the MX records at name, by preference, lower case,
 * without the final dot ("" for RFC 7505's null MX "."), as dns_txt
 * gives TXT records (free with dns_txt_free).
 */
enum dns_status	 dns_mx(struct dns *, const char *, char ***, size_t *,
		    char *, size_t);
/*
 * The names of the PTR records for the address ip (IPv4 or IPv6 text):
 * asked at in-addr.arpa or ip6.arpa, given as dns_mx gives names.  An ip
 * that is no address is DNS_PERMFAIL.
 */
enum dns_status	 dns_ptr(struct dns *, const char *, char ***, size_t *,
		    char *, size_t);

/*
 * Raw queries, for the DNSSEC validator (common/dnssec.h).  flags:
 * DNS_Q_DNSSEC sets the DO bit (records come with their RRSIGs, NSECs and
 * NSEC3s) and the CD bit (a validating resolver hands over even what it
 * holds bogus, so that we decide); DNS_Q_AD asks without CD and keeps the
 * AD bit, for --trust-ad.  The query goes to the same servers, within the
 * same timeout, with the same TCP retry after truncation, and the answer
 * is checked the same way (id, question, QR) as for dns_txt.
 *
 * DNS_OK with *pkt set (the caller frees it with ldns_pkt_free) for a
 * NOERROR or NXDOMAIN answer: the caller reads the sections.  A referral
 * (the server does not recurse) is DNS_TEMPFAIL, as for dns_txt.  DNS_TEMPFAIL
 * with err for no answer, a malformed or mismatched one, SERVFAIL, REFUSED
 * and the like (*pkt NULL); the rcode of a SERVFAIL is kept in *rcode when
 * rcode is not NULL (LDNS_RCODE_NOERROR otherwise).  Nothing is cached.
 * From a zone file (dns_is_zone), the answer is made from the file's
 * records: the records of the type at the name along CNAMEs, RRSIGs the
 * file holds for them, no denial records; AA set, AD never.
 */
#define DNS_Q_DNSSEC	0x1
#define DNS_Q_AD	0x2
struct ldns_struct_pkt;
enum dns_status	 dns_packet(struct dns *, const char *, int, int,
		    struct ldns_struct_pkt **, int *, char *, size_t);
/* Whether answers come from a --dns-zone file rather than a server. */
int		 dns_is_zone(const struct dns *);
/* The server answers come from ("127.0.0.1@5300"), for diagnostics. */
const char	*dns_server(const struct dns *);
/*
 * With on set, every query that follows, of any kind, ends by the time
 * the timeout runs out counted from now, whatever is left of its own
 * timeout; with on 0, each query has the whole timeout again.
 * dnssec_lookup sets it, so that one validated lookup, every query of its
 * chain included, takes no longer than the timeout.
 */
void		 dns_deadline(struct dns *, int);
/*
 * Whether the deadline dns_deadline set has passed (0 when none is set),
 * for the work a caller does between queries (signature checks).
 */
int		 dns_past_deadline(const struct dns *);
/*
 * Whether an answer in wire form (n bytes) holds more than one TSIG or
 * OPT record, which ldns would lose the memory of: dns_packet refuses
 * such an answer, and so does dnssec_judge.
 */
int		 dns_wire_refused(const unsigned char *, size_t);

/* "ok", "nxdomain", "nodata", "temperror", "permerror". */
const char	*dns_status_name(enum dns_status);

#endif
