/*
 * tagval: DKIM tag=value lists (RFC 6376 section 3.2), as DKIM signatures,
 * key records, ARC-Seal and ARC-Message-Signature fields write them.
 *
 * Parsing points into the caller's text and copies nothing.  Whitespace
 * round names, '=' and ';' is dropped; whitespace inside a value is kept
 * (tv_copy_nows drops it where the RFC says it is not part of the value,
 * as in b=, bh= and p=).
 */
#ifndef MX_TAGVAL_H
#define MX_TAGVAL_H

#include <stddef.h>

#define TV_MAX	64		/* more tags than this is refused */

struct tv {
	const char	*name;
	size_t		 namelen;
	const char	*val;		/* NULL-free; may be empty */
	size_t		 vallen;
};

struct tvlist {
	struct tv	 t[TV_MAX];
	size_t		 n;
};

/*
 * Parse s (n bytes).  Returns 0, or -1 with a reason in *why: a tag name
 * that is not ALPHA *(ALPHA / DIGIT / "_"), a missing '=', a duplicate
 * tag, an empty element between two ';', too many tags.  One ';' after the
 * last tag is allowed.
 */
int		 tv_parse(const char *, size_t, struct tvlist *, const char **);
/* The tag named name (case-sensitive, as the RFC says), or NULL. */
const struct tv	*tv_get(const struct tvlist *, const char *);
/* Whether tag t's value equals s exactly. */
int		 tv_is(const struct tv *, const char *);
/*
 * Copy t's value into buf (size bytes) without its whitespace, NUL
 * terminated.  Returns the length, or -1 when it does not fit.
 */
long		 tv_copy_nows(const struct tv *, char *, size_t);
/*
 * Whether t's value, a colon-separated list (h= of a signature, h= and s=
 * of a key record) with FWS round the colons, holds item, compared
 * case-insensitively.
 */
int		 tv_list_has(const struct tv *, const char *);
/*
 * Walk such a list from *p to e: the next item, FWS trimmed (its length
 * in *len, maybe 0), with *p moved past it; NULL at the end.
 */
const char	*tv_list_next(const char **, const char *, size_t *);
/* The value as a number of at most 18 digits, or -1 when it is not one. */
long long	 tv_num(const struct tv *);

#endif
