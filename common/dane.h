/*
 * dane: DANE for SMTP as a sending MTA applies it (RFC 7672), host by host,
 * for tlsa-check: the MX lookup, each host's addresses and TLSA records,
 * STARTTLS and DANE verification on each address, and what a sender would
 * do there.  Hosts are checked in parallel, each lookup and network wait
 * bounded by the timeout, so that a domain takes about as long as its
 * slowest host.
 */
#ifndef MX_DANE_H
#define MX_DANE_H

#include <stddef.h>
#include <time.h>
#include <openssl/ssl.h>

#include "dns.h"
#include "dnssec.h"
#include "smtp.h"
#include "tls.h"
#include "tlsa.h"

struct dane_cfg {
	const char	*resolver;	/* dns_new's arguments */
	const char	*zone;
	int		 timeout;	/* seconds, every DNS and network wait */
	const char	*anchor;	/* dnssec_new's; NULL: the root key */
	int		 trust_ad;
	time_t		 now;		/* signatures and expiry judged at */
	int		 port;		/* 25 */
	const char	*helo;		/* EHLO name */
	int		 warn_days;	/* 0: no warnings */
	int		 jobs;		/* dane_check_stream's domains at once,
					   at least 1 (a domain's hosts are
					   checked all at once, up to 16) */
	SSL_CTX		*ctx;		/* tls_ctx_new's, for all threads */
};

/* What a host is, from best to worst as the exit status reads them. */
enum dane_verdict {
	DANE_VERIFIED = 0,	/* a usable record matched on every address */
	DANE_NO_TLSA,		/* secure: no TLSA records: no DANE */
	DANE_INSECURE,		/* an insecure lookup: no DANE */
	DANE_UNUSABLE,		/* TLSA, none usable: TLS, no authentication */
	DANE_MISMATCH,		/* usable TLSA, no match: a DANE sender defers */
	DANE_TLS_FAILED,	/* TLSA, but no STARTTLS or handshake */
	DANE_UNREACHABLE,	/* no connection to any address */
	DANE_BOGUS,		/* a bogus lookup: a DANE sender skips it */
	DANE_TEMPFAIL		/* a temporary DNS failure */
};

/* One DNS lookup of the check, as the report shows it. */
struct dane_lookup {
	char		 what[8];	/* "mx", "a", "aaaa", "tlsa" */
	char		 name[256];	/* the name asked */
	char		 owner[256];	/* after CNAMEs */
	enum dns_status	 status;
	enum dnssec_sec	 sec;
	time_t		 expires;	/* earliest RRSIG expiry when secure */
	char		 reason[256];
};

/* One address of a host and its TLS session. */
struct dane_addr {
	char		 text[64];	/* "192.0.2.1", "2001:db8::1" */
	struct dns_addr	 addr;
	int		 tried;		/* 0: no connection was tried (a
					   bogus or failed lookup) */
	enum smtp_fail	 fail;		/* SMTP_OK: a TLS session was up */
	char		 error[256];
	/*
	 * tls.matched is an index into the host's tlsa[] (not into the
	 * usable records tls_start was given), or -1.
	 */
	struct tls_info	 tls;
	double		 seconds;	/* connect to the end of the handshake */
};

struct dane_host {
	char		 name[256];	/* as the MX record names it */
	int		 pref;		/* MX preference, -1 with --host */
	int		 port;
	char		 base[256];	/* TLSA base domain, the SNI */
	struct dane_lookup *lookups;	/* a, aaaa, tlsa (and tlsa again at
					   the original name, 2.2.2) */
	size_t		 nlookups;
	struct tlsa	**tlsa;		/* the records found (secure or not) */
	char		**unusable;	/* NULL when usable, else why */
	size_t		 ntlsa;
	struct dane_addr *addrs;	/* IPv4 first, each by its bytes; the
					   first 5 checked, at once (as
					   Postfix's smtp_mx_address_limit),
					   the others tried == 0 and named in
					   a warning */
	size_t		 naddrs;
	enum dane_verdict verdict;
	int		 usage_mask;	/* Exim's $tls_out_tlsa_usage */
	int		 tls_dane;	/* Exim's $tls_out_dane */
	int		 deliverable;	/* a DANE sender could deliver here */
	char		 note[256];	/* what a sender does here, one line */
	/* --warn-days and rollover: one line each */
	char		**warnings;
	size_t		 nwarnings;
	/*
	 * When no usable record matched the live leaf: the record of each
	 * (usage, selector, mtype) in use that would match it (3 S M for the
	 * leaf; for 2 S M, the issuer in the chain), for the report.
	 */
	struct tlsa	**would_match;
	size_t		 nwould;
};

struct dane_domain {
	char		 name[256];	/* the domain, or the host with --host */
	struct dane_lookup mx;		/* what[0] == '\0' with --host */
	struct dane_host *hosts;	/* by MX preference, then name */
	size_t		 nhosts;
	enum dane_verdict verdict;	/* the worst host's, ranked as the
					   status: tempfail only when every
					   host that failed failed so */
	int		 status;	/* exit status: 0, 1 or 75 */
	char		 error[256];	/* when no host could be named */
	/* --warn-days for the MX lookup's RRSIG, malformed MX records */
	char		**warnings;
	size_t		 nwarnings;
};

/*
 * Check once what every check opens again: the resolver (--resolver,
 * --dns-zone) and the trust anchor, so that a tool can refuse them before
 * any check.  0, or the exit status (MX_USAGE for a bad address, MX_NOINPUT
 * for an anchor or zone file that cannot be read, MX_DATAERR for one that
 * is malformed) with the reason in err.
 */
int	dane_init(const struct dane_cfg *, char *, size_t);

/*
 * Check domain: its MX hosts (the domain itself when it has no MX, RFC 5321
 * 5.1), each in parallel.  Returns the exit status (also in d->status): 0
 * when every host is DANE-verified, 1 when any is not, 75 when a lookup
 * failed temporarily and nothing worse was found.  Free d with
 * dane_domain_free.
 */
int	dane_check_domain(const struct dane_cfg *, const char *,
	    struct dane_domain *);
/* --host HOST[:PORT]: one host, the TLSA base domain taken as given. */
int	dane_check_host(const struct dane_cfg *, const char *, int,
	    struct dane_domain *);
void	dane_domain_free(struct dane_domain *);

/*
 * Many domains: the lines of fd (blank lines and # comments skipped), up
 * to cfg->jobs checked at once, out(arg, d) called for each in input order
 * as soon as it and those before it are done, so that memory stays flat.
 * Returns the worst status (75 ranks below 1), or -1 when fd cannot be
 * read (errno).  A line that is no domain name gets no report but a
 * diagnostic (cli_warn) naming its line, the others are checked, and the
 * status is then MX_DATAERR (65), which outranks 1 and 75.
 */
int	dane_check_stream(const struct dane_cfg *, int,
	    void (*)(void *, const struct dane_domain *), void *);

/*
 * Why s (n bytes) is no host or domain name to look up, or NULL: a blank,
 * control, non-ASCII, / or \\ byte, no name at all, an empty label, a label over 63 bytes
 * or a name over 253 (RFC 1035 2.3.4); one final dot allowed.  NULL s is
 * a line too long to read.  tlsa-check refuses such a name on its command
 * line, and dane_check_stream skips such a line with a diagnostic.
 */
const char *dane_bad_name(const char *, size_t);

/* "verified", "no-tlsa", "insecure", "unusable", "mismatch", "tls-failed",
   "unreachable", "bogus", "tempfail" */
const char *dane_verdict_name(enum dane_verdict);

#endif
