/*
 * psl: the public suffix list (publicsuffix.org's format: rules, wildcards
 * and exceptions, ICANN and private sections alike), and the
 * organizational domain of RFC 7489 section 3.2 that DMARC aligns by.
 */
#ifndef MX_PSL_H
#define MX_PSL_H

#include <stddef.h>

/* Debian's copy, from the publicsuffix package. */
#define PSL_DEFAULT	"/usr/share/publicsuffix/public_suffix_list.dat"

struct psl;

/*
 * Read a list (NULL for PSL_DEFAULT).  NULL with a reason in err, and
 * *status MX_NOINPUT for a file missing, unreadable, not a regular file or
 * holding no rule, MX_TEMPFAIL out of memory.
 */
struct psl	*psl_load(const char *, char *, size_t, int *);
void		 psl_free(struct psl *);

/*
 * The organizational domain of name (lower case, no trailing dot needed):
 * its public suffix and one label more, or name itself when it is a public
 * suffix (a domain no one can hold).  0 with it in buf, -1 when name is
 * not a domain name or buf is too small.
 */
int	psl_org_domain(const struct psl *, const char *, char *, size_t);

/* Whether name is itself a public suffix. */
int	psl_is_suffix(const struct psl *, const char *);

/*
 * name with each label that is not ASCII written as an A-label ("xn--",
 * RFC 3492 Punycode), the form DNS and the list's rules are compared in;
 * labels are taken as they are (no Unicode case folding or
 * normalization).  0 with it in buf, -1 for bytes that are not UTF-8 or
 * a result that does not fit.
 */
int	psl_ascii(const char *, char *, size_t);

#endif
