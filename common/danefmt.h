/*
 * danefmt: the report of a DANE check (common/dane.h) as tlsa-check prints
 * it: text for a reader, in the manner of danecheck, or one JSON object per
 * domain for monitoring.
 */
#ifndef MX_DANEFMT_H
#define MX_DANEFMT_H

#include <stdio.h>

#include "dane.h"

/*
 * The report as text: a first line "DOMAIN: VERDICT", then one line per
 * lookup and per fact, indented per host: each lookup with its DNS status
 * and DNSSEC status word, the TLSA records and whether each is usable, the
 * SNI, each address's TLS session (version, cipher, the matching record
 * and its depth, OCSP), Exim's tls_out_tlsa_usage and tls_out_dane, the
 * records that would match after a rollover, the warnings, and a last line
 * per host saying what a sending MTA does there.  verbose adds the chain
 * of each session (subject, issuer, notAfter, SPKI SHA-256), the RRSIG
 * expiry of each secure lookup, and the time each session took.
 */
void	danefmt_text(FILE *, const struct dane_domain *, int);

/*
 * The report as one JSON object on one line, newline included: the
 * domain, its verdict and exit status, the MX lookup, and per host its
 * lookups (each with "dnssec": "secure", "insecure" or "bogus"), records
 * (with "usable"), the matched record and "depth", "tls_out_tlsa_usage",
 * "tls_out_dane", the chain with notAfter, the OCSP status, the records
 * that would match, the warnings, "deliverable" and "note".
 */
void	danefmt_json(FILE *, const struct dane_domain *);

#endif
