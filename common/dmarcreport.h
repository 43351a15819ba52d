/*
 * dmarcreport: what DMARC leaves behind for reports: the history record
 * that Debian's opendmarc-import loads into MySQL or MariaDB for aggregate
 * reports, appended safely by many processes at once, and the RFC 6591
 * failure report (ARF, Auth-Failure: dmarc) sent to a record's ruf= URIs.
 */
#ifndef MX_DMARCREPORT_H
#define MX_DMARCREPORT_H

#include <stddef.h>
#include <time.h>

#include "arc.h"
#include "canon.h"
#include "dmarc.h"

struct dns;
struct msg;

/* Facts of the message that are neither input nor verdict. */
struct dmarc_facts {
	const char		*job;		/* unique per record: a queue
						   id, or made up when NULL */
	const char		*reporter;	/* our host name */
	time_t			 received;
	const char		*mfrom_domain;	/* envelope sender's domain,
						   or NULL (the null sender) */
	const struct arc_result	*arc;		/* NULL when not checked */
};

/*
 * Append the history record of one message to b, in the format
 * opendmarc-import reads (REFERENCES.md: the lines it needs, the arc and
 * arc_policy forms that do not crash it, a selector for every dkim line,
 * 255 signatures at most).  m gives the ARC instances' d=, s= and client
 * address for arc_policy.  0, or -1 out of memory.
 *
 * Nothing is appended when the verdict found no DMARC record (as Exim and
 * the milter keep history) or the input has no client address (the
 * importer would skip the record).  For the null sender (mfrom_domain
 * NULL) the mfrom line holds the HELO name SPF checked, else the From
 * domain, since the importer skips a record without one.  A byte of a
 * value that could cut or forge a line (a blank, a control, beyond ASCII)
 * is written as '_'.
 */
int	dmarc_history_format(struct buf *, struct msg *,
	    const struct dmarc_input *, const struct dmarc_verdict *,
	    const struct dmarc_facts *);

/*
 * Append len bytes to the history file path in one write(2) under an
 * exclusive lock, so that records of processes appending at once never
 * interleave, then make them durable (fdatasync) before returning.  The
 * file is created mode 0644 when missing.  0, or MX_CANTCREAT / MX_IOERR
 * with a reason in err; on failure nothing of the record stays in the
 * file (a short write is cut back).
 *
 * Rotation: once it holds the lock, the writer checks that path still
 * names the file it opened, and opens it anew when not, so a job that
 * renames the history and then takes its lock once has every record
 * written to the old file.  The lock is waited for 10 s at most, then
 * MX_TEMPFAIL; so is a file renamed under us 100 times.  A FIFO, a
 * directory or anything else that is not a regular file is MX_CANTCREAT
 * at once.  len 0 appends nothing and returns 0.
 */
int	dmarc_history_append(const char *, const char *, size_t, char *,
	    size_t);

/*
 * Build an RFC 6591 failure report on m for the verdict into b: a whole
 * message ready for "sendmail -t", From sender, To each mailto: ruf= URI
 * whose size limit the report fits (and, for a URI outside the From
 * domain's organizational domain, only when the destination authorises
 * it through dns, RFC 7489 7.1), multipart/report with a text part,
 * message/feedback-report (Feedback-Type: auth-failure, Auth-Failure:
 * dmarc) and text/rfc822-headers.  fo= decides whether a failure is
 * reported at all.  Returns 1 when a report was built, 0 when there is
 * nothing to send (no failure fo= reports, no ruf=, no URI left), -1 out
 * of memory or when the body cannot be read.
 *
 * The sender is the last argument, or postmaster@ the reporter when NULL.
 * Only a mailto: URI holding one plain local@domain is taken (%-escapes
 * decoded, a query left out), since it goes into To:.  fo=d counts a DKIM
 * signature that failed or is invalid, not a temperror; fo=s an SPF fail,
 * softfail or permerror.  A destination under the From domain's
 * organizational domain needs no authorisation; the look-up of another
 * failing authorises nothing (a report is not worth a retry).  The ruf=
 * of an authorising record replaces the URI when it names the same host.
 */
int	dmarc_forensic(struct buf *, struct msg *, struct dns *,
	    const struct dmarc_input *, const struct dmarc_verdict *,
	    const struct dmarc_facts *, const char *);

#endif
