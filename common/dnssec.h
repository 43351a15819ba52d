/*
 * dnssec: lookups validated in process, for DANE (RFC 7672, RFC 4033-4035,
 * RFC 5155).
 *
 * Every answer comes with its security status, as a sending MTA needs it:
 * secure (a chain of signatures from a trust anchor), insecure (a proven
 * unsigned delegation on the way, or no anchor above the name), or bogus
 * (signatures that should be there and are missing, expired or wrong; a
 * denial that does not prove what it says).  Queries go through common/dns
 * (dns_packet, DO and CD set), so --resolver, --timeout and the system
 * resolver work as in every tool; the server need not validate.  The
 * validator walks down from the anchor: DNSKEYs checked against the
 * anchor's DS or DNSKEY, each zone cut's DS checked with the parent's keys,
 * the child's DNSKEY set with a key the DS names; an unsigned delegation is
 * insecure only when an NSEC or NSEC3 signed by the parent proves that no
 * DS exists there.  Validated key sets are cached per zone for the life of
 * the struct, answers per name and type.
 *
 * Also insecure, as RFC 4035 5.2, RFC 5155 and RFC 9276 allow: a DS set
 * none of whose algorithms or digests ldns can check; a name under an
 * NSEC3 opt-out span (no DS, or no such name); a zone whose NSEC3 records
 * take more than 150 iterations.  A DNAME is validated and followed, the
 * CNAME a server makes of it left aside.  One lookup, every query of its
 * chain included, takes no longer than the dns timeout (dns_deadline),
 * 160 queries and 512 signature checks; past any of these it is a
 * temporary failure.  Against KeyTrap (CVE-2023-50387) an RRSIG is tried
 * with 4 keys of one key tag at most and an RRset with 8 checks at most;
 * past these the RRset is bogus.  Cached answers keep no TTL: a struct is for
 * one run.
 *
 * An answer is secure only when signed by the zone that holds its owner:
 * the walk goes on below the signer, a DS query at each name down to the
 * owner's parent, and a signed zone cut there makes the answer the
 * child's.  A wildcard's expansion (an RRSIG of fewer labels than the
 * owner) needs the proof that the next closer name does not exist (RFC
 * 4592, RFC 5155 8.8); an expanded NSEC or NSEC3 denies nothing.
 *
 * With trust_ad the validation is the resolver's: an answer is secure when
 * it has the AD bit, insecure when not; a SERVFAIL that the same query with
 * CD set answers is bogus, one it does not is a temporary failure.  From a
 * --dns-zone file nothing can be validated: answers are insecure, or secure
 * with trust_ad (the file is then trusted as a whole).
 *
 * A struct dnssec is for one thread; make one per thread.
 */
#ifndef MX_DNSSEC_H
#define MX_DNSSEC_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "dns.h"

/* Debian's dns-root-data: the root zone's key, the default anchor. */
#define DNSSEC_ROOT_ANCHOR	"/usr/share/dns/root.key"

enum dnssec_sec {
	DNSSEC_SECURE = 0,
	DNSSEC_INSECURE,
	DNSSEC_BOGUS
};

struct dnssec;

/*
 * A validator over dns (which it does not own), with the trust anchors of
 * anchor_file: DNSKEY or DS records in master-file form, as ldns-keygen
 * writes them and /usr/share/dns/root.key holds them (comments and blank
 * lines allowed; several records, of several zones).  anchor_file NULL is
 * DNSSEC_ROOT_ANCHOR; with trust_ad it is not read at all.  NULL with a
 * reason in err (naming the file) when the file cannot be read (errno
 * ENOENT, EACCES...: MX_NOINPUT) or holds no DNSKEY or DS record, or a
 * line that is none (EBADMSG: MX_DATAERR).  now is the time signatures are
 * judged by (0: the clock, read at each check).
 */
struct dnssec	*dnssec_new(struct dns *, const char *, int, time_t, char *,
		    size_t);
void		 dnssec_free(struct dnssec *);

/*
 * One lookup's outcome.  status as common/dns gives it: DNS_OK (records
 * below), DNS_NXDOMAIN, DNS_NODATA, DNS_TEMPFAIL (no usable answer: sec
 * is then meaningless), DNS_PERMFAIL (a malformed name, a CNAME loop:
 * no DNSSEC failure, sec insecure unless a CNAME on the way was bogus).
 * sec says how far the outcome, records or denial, can be trusted; a
 * bogus outcome keeps what the answer said (records, status) for the
 * report, but nothing may act on it.
 */
struct dnssec_answer {
	enum dns_status	 status;
	enum dnssec_sec	 sec;
	/*
	 * The CNAME chain from the name asked: names[0] is the name asked,
	 * names[nnames - 1] the owner of the records (or of the denial); lower
	 * case, no final dot.  chain_sec is the status of the CNAME records
	 * alone (DNSSEC_SECURE when there are none): RFC 7672 2.2.2 takes the
	 * expanded name as TLSA base domain only when the chain is secure.
	 */
	char		**names;
	size_t		 nnames;
	enum dnssec_sec	 chain_sec;
	/*
	 * The records of the type asked, at names[nnames - 1], each as its
	 * RDATA in wire form (names uncompressed, as in the RFCs' RDATA
	 * definitions): rdata[i] is rdlen[i] bytes.  ttl is the smallest TTL.
	 */
	uint8_t		**rdata;
	size_t		*rdlen;
	size_t		 nrr;
	uint32_t	 ttl;
	/*
	 * When sec is DNSSEC_SECURE: the earliest expiration of the RRSIGs
	 * that made it so (answer, CNAMEs, denial, and every DS and DNSKEY
	 * set of the chain), and the zone that signed the answer.  0 and ""
	 * otherwise.
	 */
	time_t		 expires;
	char		 signer[256];
	/*
	 * Why the outcome is not secure, or why it failed: one line, lower
	 * case ("no DS for 'x.test' (NSEC3 opt-out)", "RRSIG for 'mx.test'
	 * TLSA expired 2026-01-02"); "" when secure.
	 */
	char		 reason[256];
};

/*
 * Look up type (an ldns_rr_type: LDNS_RR_TYPE_MX, _A, _AAAA, _TLSA...) at
 * name and validate the outcome.  Returns ans->status; ans must be freed
 * with dnssec_answer_free whatever it returns.  MX answers are left in
 * wire order: the caller sorts by preference.
 */
enum dns_status	 dnssec_lookup(struct dnssec *, const char *, int,
		    struct dnssec_answer *);
void		 dnssec_answer_free(struct dnssec_answer *);

/*
 * The validation of one answer, without a query: for the fuzz harness and
 * for tests.  wire is a DNS answer (len bytes) to the one question it
 * holds; the DNSKEY records of its additional section are taken as keys
 * validated already, of the zones they are at (their owners), which are
 * also the only trust anchors.  What the validation would have to ask
 * (a DS, a CNAME's target the answer lacks) fails with DNS_TEMPFAIL; no
 * DS is asked below a signer (its keys given, it is taken to hold the
 * names below it).  An answer with more than one TSIG or OPT record is
 * refused (DNS_TEMPFAIL).  Signatures are judged at time t.  As
 * dnssec_lookup otherwise.
 */
enum dns_status	 dnssec_judge(const uint8_t *, size_t, time_t,
		    struct dnssec_answer *);

/* "secure", "insecure", "bogus": the words of the text and JSON output. */
const char	*dnssec_sec_name(enum dnssec_sec);

#endif
