/*
 * authres: Authentication-Results fields (RFC 8601), parsed and built
 * (the values; dmarcfacts.c builds whole fields).
 *
 * The parser is lenient where the wild is: comments anywhere CFWS may be,
 * a missing authserv-id (the field is then kept with authserv_id NULL),
 * a method without "=result" (result NULL), a version after the
 * authserv-id, quoted values, "none".  It never reads past len and never
 * needs a NUL.
 *
 * Garbage in one resinfo ends that resinfo (what was read before it is
 * kept) and costs none of the others; a resinfo without a method is left
 * out.  An unclosed comment or quoted-string runs to the end of the value.
 * Property names and ptypes are lower-cased; unknown ptypes are kept;
 * key=value pairs with no ptype (other than reason=) are skipped.
 */
#ifndef MX_AUTHRES_H
#define MX_AUTHRES_H

#include <stddef.h>

struct ar_prop {
	char	*ptype;		/* "smtp", "header", "body", "policy", ... */
	char	*name;		/* "mailfrom", "d", "oldest-pass", ... */
	char	*value;		/* unfolded; unquoted if quoted */
};

struct ar_result {
	char		*method;	/* lower case: "spf", "dkim", "arc", ... */
	char		*result;	/* lower case, or NULL when missing */
	char		*reason;	/* reason= value, unquoted, or NULL */
	struct ar_prop	*props;
	size_t		 nprops;
	/*
	 * The resinfo as written (from the method name to the byte before
	 * the ';' that ends it, or the end), trailing blanks and folds
	 * trimmed, comments kept as written; an ARC sealer copies these
	 * into its ARC-Authentication-Results.
	 */
	const char	*text;		/* points into the parsed value */
	size_t		 textlen;
};

struct authres {
	char		*authserv_id;	/* as written (unquoted), or NULL */
	int		 version;	/* 1 unless given */
	int		 none;		/* the "none" form: no results */
	struct ar_result *res;
	size_t		 nres;
	/*
	 * The text after the authserv-id and its ';' (the resinfo list, or
	 * all of the value when the authserv-id is missing), from the first
	 * resinfo that is more than CFWS to the end of the last one, folds
	 * and comments kept: what an ARC sealer copies.  Points into the
	 * parsed value, as each result's text does: keep the value while
	 * they are used.
	 */
	const char	*rest;
	size_t		 restlen;
};

/*
 * Parse the value of an Authentication-Results field (the bytes after the
 * colon, folds included).  Returns 0, or -1 when nothing sensible can be
 * read (empty, or garbage where the authserv-id should be); the struct is
 * then empty and safe to authres_free.
 */
int	authres_parse(const char *, size_t, struct authres *);
void	authres_free(struct authres *);

/* The first result of a method (case-insensitive), or NULL. */
const struct ar_result	*authres_find(const struct authres *, const char *);
/* The value of ptype.name of a result, or NULL. */
const char		*ar_prop_get(const struct ar_result *, const char *,
			    const char *);

/*
 * Whether the authserv-id matches id: case-insensitively, as a domain
 * name compares (RFC 8601 section 5).
 */
int	authres_is_ours(const struct authres *, const char *);

/*
 * Whether s can be written bare in an A-R field: an RFC 2045 token (no
 * blanks, controls or tspecials), as an authserv-id or a value must be.
 */
int	authres_token_ok(const char *);

struct buf;
/*
 * Add v to b as an RFC 8601 value: bare when it is an RFC 2045 token, or
 * two tokens joined by one '@', else a quoted-string with '"' and '\'
 * escaped (a base64 header.b= with '/' or '=' is quoted).  A control byte
 * becomes '_', so that no value can end the field or start another.  0,
 * or -1 out of memory.
 */
int	authres_add_value(struct buf *, const char *);

#endif
