/*
 * ehlo: what a server's EHLO reply offers (RFC 5321 4.1.1.1, 2.2.2), taken
 * apart for smtp-probe: the extensions a report shows, SIZE and AUTH
 * parameters, early pipelining under any of its three spellings, and
 * LIMITS (RFC 9422) with its error rules.  Pure: no I/O, no clock; the
 * fuzz harness calls it.
 */
#ifndef MX_EHLO_H
#define MX_EHLO_H

#include <stddef.h>

#include "smtp.h"

/*
 * LIMITS (RFC 9422 4): the limits a client acts on, 0 when the server gave
 * none (or a value was bad and that limit is ignored).  A parameter that
 * breaks the grammar makes the whole LIMITS keyword ignored: valid 0, all
 * limits 0, and why says so.  Unknown names are ignored without a word; a
 * name with no value is valid and known limits need one.  A known limit's
 * value is 1 to 6 digits, not 0 (RFC 9422 4); a limit given twice takes
 * the lower value (the server enforces one of them; the lower meets both).
 * Blanks between the keyword LIMITS and its parameter are the keyword
 * line's (as smtp_ehlo_param takes them); within it, one SP only.
 */
struct ehlo_limits {
	int		 offered;	/* the LIMITS keyword was there */
	int		 valid;		/* and its parameter parsed */
	long		 mailmax;	/* transactions per session */
	long		 rcptmax;	/* RCPT commands per transaction */
	long		 rcptdomainmax;	/* recipient domains per transaction */
	char		 why[160];	/* "" or why LIMITS or a limit was
					   ignored, for a warning */
};

/* Early pipelining (draft-harris-early-pipe), as the server spelled it. */
enum ehlo_pipeconnect {
	EHLO_PC_NONE = 0,
	EHLO_PC_X_PIPE_CONNECT,		/* Exim 4.92 to 4.94 */
	EHLO_PC_PIPE_CONNECT,		/* 4.95 */
	EHLO_PC_PIPECONNECT		/* 4.96 and the draft */
};

struct ehlo_kw {
	char		*name;		/* as sent */
	char		*param;		/* after the keyword and its blank,
					   "" when none */
	int		 keyword;	/* name is an ehlo-keyword (or has
					   Exim's '_'); else counts for
					   nothing */
};

struct ehlo {
	char		*greeting;	/* the first line: domain and text */
	struct ehlo_kw	*kw;		/* the keyword lines, in order */
	size_t		 nkw;
	int		 pipelining, chunking, dsn, smtputf8, prdr;
	int		 starttls, eightbitmime, binarymime, requiretls;
	int		 size_offered;	/* SIZE was there */
	unsigned long long size;	/* its value, 0 when none given */
	char		*auth;		/* mechanisms as sent, or NULL */
	char		*xclient;	/* XCLIENT's attributes, or NULL */
	enum ehlo_pipeconnect pipeconnect;
	struct ehlo_limits limits;
};

/*
 * Take apart the lines of a 250 EHLO reply (smtp_reply.lines: text after
 * the code).  Keywords are matched case-insensitively; a line that is no
 * keyword (RFC 5321: ehlo-keyword = (ALPHA / DIGIT) *(ALPHA / DIGIT /
 * "-")) is kept in kw but counts for nothing.  0, or -1 out of memory.
 * ehlo_free also after a failure.
 */
int		 ehlo_parse(struct ehlo *, char *const *, size_t);
void		 ehlo_free(struct ehlo *);

/* LIMITS' parameter alone ("MAILMAX=5 RCPTMAX=10"), as ehlo_parse does it. */
void		 ehlo_limits_parse(struct ehlo_limits *, const char *);

/*
 * Whether two EHLO replies offer the same: the same keywords with the same
 * parameters, case-insensitively, in any order; the greeting line does not
 * count (it names the client's address, and Exim's has no date, but
 * others' may).  What an early-pipelining client checks a fresh reply
 * against its cache with.
 */
int		 ehlo_same(const struct ehlo *, const struct ehlo *);

/* "PIPECONNECT", "PIPE_CONNECT", "X_PIPE_CONNECT", or NULL for none. */
const char	*ehlo_pipeconnect_name(enum ehlo_pipeconnect);

#endif
