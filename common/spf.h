/*
 * spf: Sender Policy Framework (RFC 7208): check_host() for a client
 * address, an envelope sender and a HELO name, with every mechanism and
 * modifier, the macro language, and the DNS limits of section 4.6.4.
 */
#ifndef MX_SPF_H
#define MX_SPF_H

#include <stddef.h>
#include <time.h>

struct dns;

/* The results of RFC 7208 section 2.6, under the names Exim prints. */
enum spf_result {
	SPF_NONE,
	SPF_NEUTRAL,
	SPF_PASS,
	SPF_FAIL,
	SPF_SOFTFAIL,
	SPF_TEMPERROR,
	SPF_PERMERROR
};

/* "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror". */
const char	*spf_result_name(enum spf_result);
/* The result a name (as above, case-insensitive) gives, or -1. */
int		 spf_result_parse(const char *);

struct spf_request {
	const char	*ip;		/* the client, IPv4 or IPv6 text */
	const char	*mail_from;	/* the envelope sender; "" the null
					   sender, which makes the identity
					   postmaster@helo (RFC 7208 2.4) */
	const char	*helo;		/* HELO/EHLO name, or NULL */
	const char	*receiver;	/* %{r}, or NULL for "unknown" */
	time_t		 now;		/* %{t} */
	int		 time_limit;	/* seconds for the whole check, 0 for
					   20 (RFC 7208 4.6.4): past it, no
					   more lookups and a temperror */
};

struct spf_response {
	enum spf_result	 result;
	int		 helo;		/* the HELO identity was checked */
	char		 domain[256];	/* the domain checked, lower case,
					   no trailing dot; "" for none */
	char		 sender[600];	/* the identity: local@domain */
	/* Exim's spf_header_comment: what the result means, one line. */
	char		 header_comment[512];
	/*
	 * Exim's spf_smtp_comment: on fail, the explanation (exp= expanded,
	 * or a default one); empty otherwise.  Printable ASCII only.
	 */
	char		 smtp_comment[512];
	/* Why: the mechanism that matched, or the error; for -v and A-R. */
	char		 reason[256];
};

/*
 * Evaluate SPF for the request (RFC 7208 section 4) with lookups through
 * dns.  Always fills *res: a DNS failure is SPF_TEMPERROR, a bad record,
 * too many lookups or a bad macro SPF_PERMERROR, a sender domain that is
 * no domain SPF_NONE.  Returns 0, or -1 out of memory or when ip is not
 * an address (a reason in res->reason).
 */
int	spf_check(struct dns *, const struct spf_request *,
	    struct spf_response *);

/*
 * For the fuzz harnesses (and check_host itself): an SPF record parsed,
 * and a macro-string expanded.
 *
 * spf_record_is_spf: whether the TXT record s (len bytes) is an SPF
 * record, "v=spf1" (any case) then a space or its end (RFC 7208 4.5).
 *
 * spf_record_parse: the terms of record s (len bytes, "v=spf1" first)
 * into *out (free with spf_record_free); 0, -1 on a syntax error (RFC
 * 7208 4.6: any one refuses the whole record) with a reason in err, -2
 * out of memory.
 *
 * spf_macro_expand: the macro-string s (len bytes) expanded as RFC 7208 7
 * says, for the check of domain (%{d}); exp allows what an explanation
 * may hold (the letters c, r, t and blanks).  With req NULL only the
 * syntax is checked (placeholders for the values); with req, the sender
 * is postmaster@domain and %{p} looks up through dns (NULL: "unknown").
 * *out is malloc'd; 0, -1 on a syntax error or an expansion over 8 KiB
 * (err says which), -2 out of memory.
 */
struct spf_record;
int	spf_record_is_spf(const char *, size_t);
int	spf_record_parse(const char *, size_t, struct spf_record **, char *,
	    size_t);
void	spf_record_free(struct spf_record *);
int	spf_macro_expand(struct dns *, const struct spf_request *,
	    const char *, const char *, size_t, int, char **, char *, size_t);

#endif
