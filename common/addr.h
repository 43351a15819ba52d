/*
 * addr: RFC 5322 addresses as DMARC needs them: the one domain of a From
 * field, and the domain of an envelope address.
 */
#ifndef MX_ADDR_H
#define MX_ADDR_H

#include <stddef.h>

/*
 * The domain of the single address in a From field value (the bytes
 * after the colon, folds and line end included): comments, quoted local
 * parts, display names, angle addresses, obsolete forms and domain
 * literals read as RFC 5322 says.  0 with the domain, lower case and
 * without a trailing dot, in buf (size bytes); -1 when there is not
 * exactly one address with a domain, *why then saying which: "no
 * address", "several addresses", "a group", "no domain in the address",
 * "not an address".  Never reads past len and never needs a NUL.
 */
int	addr_from_domain(const char *, size_t, char *, size_t, const char **);

/*
 * The domain of an envelope address (MAIL FROM or RCPT TO, with or without
 * its angle brackets; the local part may be quoted), lower case, without
 * a trailing dot.  0, or -1 for the null sender and for what is not
 * local@domain.
 */
int	addr_domain(const char *, char *, size_t);

#endif
