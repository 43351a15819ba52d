/*
 * dmarc: DMARC (RFC 7489) for one message: the policy record looked up
 * through common/dns and read here, the organizational domain from the
 * public suffix list, alignment of the SPF and DKIM identifiers decided
 * here, and the policy to apply from libopendmarc, fed only what it cannot
 * get wrong (REFERENCES.md lists its traps), with pct sampling applied.
 *
 * Not thread-safe: libopendmarc keeps its settings and its suffix list in
 * globals, so only one thread of a process may use this module.  Several
 * dmarc_ctx in one process share them (the first dmarc_new sets the
 * library up, the last dmarc_free shuts it down): give them one tld file.
 */
#ifndef MX_DMARC_H
#define MX_DMARC_H

#include <stddef.h>

#include "dkimverify.h"
#include "spf.h"

struct dns;

/* The verdicts, under Exim's dmarc_status words. */
enum dmarc_status {
	DMARC_ACCEPT,		/* an aligned pass */
	DMARC_REJECT,		/* failed; the policy applied is reject */
	DMARC_QUARANTINE,	/* failed; quarantine */
	DMARC_NONE,		/* failed; p=none (or pct made it none) */
	DMARC_NORECORD,		/* no usable DMARC record */
	DMARC_NOFROM,		/* no single From domain to check */
	DMARC_TEMPERROR,	/* a DNS failure left no verdict */
	DMARC_OFF		/* not checked (--disable) */
};

/* "accept", "reject", ... as Exim's dmarc_status. */
const char	*dmarc_status_name(enum dmarc_status);
/*
 * Exim's dmarc_status_text: "Accept", "No DMARC record", ...; "" for off,
 * which Exim leaves without a text.
 */
const char	*dmarc_status_text(enum dmarc_status);

/* p= and sp= values: the ASCII letters opendmarc's history uses. */
enum dmarc_policy {
	DMARC_P_UNSET = 0,
	DMARC_P_NONE = 'n',
	DMARC_P_QUARANTINE = 'q',
	DMARC_P_REJECT = 'r'
};
/* "none", "quarantine", "reject", or "" for unset. */
const char	*dmarc_policy_name(int);

#define DMARC_URI_MAX	8	/* rua= and ruf= URIs kept of each */

struct dmarc_uri {
	char			 uri[512];	/* as published, without the !size */
	unsigned long long	 limit;		/* bytes (!size), 0 for none */
};

struct dmarc_record {
	int		 p, sp;		/* DMARC_P_; sp is p when not given */
	int		 sp_given;
	int		 adkim, aspf;	/* 'r' or 's'; 'r' when not given */
	int		 pct;		/* 0 to 100; 100 when not given */
	char		 fo[16];	/* "0" when not given */
	long		 ri;		/* 86400 when not given */
	size_t		 nrua, nruf;
	struct dmarc_uri rua[DMARC_URI_MAX], ruf[DMARC_URI_MAX];
};

/*
 * Read a record (the joined TXT strings) as RFC 7489 section 6.3 and
 * 6.6.3 say: v=DMARC1 first, tags compared exactly (no prefixes: "p=q" is
 * not quarantine), unknown tags ignored.  Returns 0 for a valid record,
 * 1 for one whose p= (or sp=) is missing or bad but with a valid rua=,
 * read as p=none as the RFC says, -1 for what is no usable DMARC record,
 * a reason in why.
 */
int	dmarc_record_parse(const char *, size_t, struct dmarc_record *,
	    char *, size_t);

/* One DKIM signature's outcome, as dmarc_check takes it. */
struct dmarc_dkim {
	const char		*domain;	/* d= */
	const char		*selector;	/* s=, or NULL */
	enum dkim_vstatus	 status;
	int			 temperror;
};

struct dmarc_input {
	const char		*ip;		/* the client, or NULL */
	const char		*from_domain;	/* From's domain; NULL: nofrom */
	enum spf_result		 spf;
	const char		*spf_domain;	/* the domain SPF checked, or
						   NULL when there was none */
	int			 spf_helo;	/* that was the HELO name */
	const struct dmarc_dkim	*dkim;
	size_t			 ndkim;
	int			 no_sampling;	/* apply p as published */
};

/*
 * Exim's variables from a verdict, as Exim 4.96 sets them through
 * libopendmarc: $dmarc_used_domain is record_domain when have_record (the
 * organizational domain when the record came from there), else
 * used_domain; $dmarc_domain_policy is the record's p (even when sp
 * applies), empty without a record.
 */
struct dmarc_verdict {
	enum dmarc_status	 status;
	char			 used_domain[256];	/* the From domain, as
							   looked up (A-labels);
							   "" for nofrom */
	char			 record_domain[256];	/* where the record was */
	char			 org_domain[256];	/* of the From domain */
	int			 have_record;
	struct dmarc_record	 rec;
	int			 policy;	/* the p or sp that applies */
	int			 align_spf;	/* 1 aligned pass, else 0 */
	int			 align_dkim;
	const char		*dkim_domain;	/* the aligned pass, or NULL */
	int			 disposition;	/* DMARC_P_ after pct */
	int			 sampled_out;	/* pct lightened the policy */
	int			 lib_policy;	/* libopendmarc's 14 to 18,
						   13 for nofrom, before pct:
						   the history's policy */
	char			 reason[256];	/* for temperror, -v, A-R */
};

struct dmarc_ctx;

/*
 * Load the public suffix list (tld_file, or PSL_DEFAULT for NULL) and set
 * libopendmarc up (without the list: it is only ever asked to align the
 * From domain with itself).  NULL with a reason and *status as psl_load
 * says (MX_SOFTWARE when the library refuses).
 */
struct dmarc_ctx	*dmarc_new(const char *, char *, size_t, int *);
void			 dmarc_free(struct dmarc_ctx *);

/*
 * The verdict for one message.  Looks up _dmarc.FROM, then _dmarc.ORG
 * (RFC 7489 6.6.3) through dns; several records or none there is
 * norecord; a DNS failure is temperror.  Always fills *v; returns 0, or
 * -1 out of memory or when libopendmarc fails (a reason in v->reason).
 */
int	dmarc_check(struct dmarc_ctx *, struct dns *,
	    const struct dmarc_input *, struct dmarc_verdict *);

#endif
