/*
 * Fuzz the DNSSEC validation of one answer through dnssec_judge: the
 * input is a DNS message in wire form, the DNSKEY records of its
 * additional section taken as keys validated already (the corpus: knot's
 * answers to the queries of t/90, the signer's keys added).  Whatever the
 * bytes, the outcome holds together: the status returned is the one
 * kept; what is secure has a signer, an expiration and no reason, and a
 * secure chain; what is not has neither; every record's bytes can be
 * read; and the same bytes judged again give the same outcome.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dnssec.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The time the corpus's signatures are valid at (2027-01-15). */
#define JUDGED	1800000000

static unsigned
touch(const struct dnssec_answer *a)
{
	unsigned	sum = 0;

	for (size_t i = 0; i < a->nrr; i++)
		for (size_t k = 0; k < a->rdlen[i]; k++)
			sum += a->rdata[i][k];
	for (size_t i = 0; i < a->nnames; i++)
		sum += (unsigned)strlen(a->names[i]);
	return sum;
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	struct dnssec_answer	a, b;
	enum dns_status		st;

	st = dnssec_judge(buf, n, JUDGED, &a);
	if (st != a.status)
		abort();
	if (a.sec == DNSSEC_SECURE && (a.signer[0] == '\0' ||
	    a.expires == 0 || a.reason[0] != '\0' ||
	    a.chain_sec != DNSSEC_SECURE || (st != DNS_OK &&
	    st != DNS_NXDOMAIN && st != DNS_NODATA)))
		abort();
	if (a.sec != DNSSEC_SECURE && (a.signer[0] != '\0' || a.expires != 0))
		abort();
	if (st == DNS_OK && a.nrr == 0)
		abort();
	if (memchr(a.reason, '\0', sizeof a.reason) == NULL)
		abort();
	dnssec_judge(buf, n, JUDGED, &b);
	if (b.status != a.status || b.sec != a.sec || b.nrr != a.nrr ||
	    b.nnames != a.nnames || touch(&a) != touch(&b) ||
	    strcmp(a.reason, b.reason) != 0)
		abort();
	dnssec_answer_free(&a);
	dnssec_answer_free(&b);
	return 0;
}
