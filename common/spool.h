/*
 * spool: Exim's spool format, pure (no I/O): message ids, where a
 * message's two files lie, the -H file taken apart and validated by length,
 * the first line of a -D file, and what `exim -bP` prints.
 *
 * A message is two files in the spool's input directory (or in its split
 * subdirectory, named by the id's 6th character): ID-D, the body after a
 * first line "ID-D", and ID-H, the envelope and the headers.  Exim writes
 * -D first and -H last, and removes -H first: -H says the message exists.
 *
 * -H is read as Exim 4.96 reads it (spool_in.c), and more strictly: every
 * value that has a length is read by its length, never by line, and
 * anything Exim would take as a format error, or would read past, is an
 * error here too.  The layout:
 *
 *	ID-H
 *	LOGIN UID GID			(UID and GID may be negative)
 *	<SENDER>
 *	TIME WARNINGS			(TIME negative from 2038: Exim 4.96
 *					writes it with "%d" of an int)
 *	-name [value]			any number; --name: a tainted value;
 *					-(quoter)name, --(quoter)name: one
 *					quoted for a lookup type; unknown
 *					names are kept, as Exim skips them
 *	-aclc NAME LEN | -aclm NAME LEN	then exactly LEN bytes and a newline
 *	XX | the non-recipients tree	YY|YN|NY|NN ADDR lines in preorder
 *	COUNT				recipients, at most 16384
 *	ADDR | ADDR ORCPT LEN,DSNFLAGS ERRORSTO LEN,PNO#3
 *	(blank line)
 *	NNNf TEXT			NNN the byte length of TEXT (folded,
 *					with its final newline), f the flag:
 *					' ' B C F I P R S T, '*' deleted
 *
 * Lines no longer than Exim reads them into its 16 KiB big_buffer: the
 * login, sender and later non-recipient lines 16383 bytes with their
 * newline (one fgets), option, recipient and the tree's first lines
 * 65535 (the buffer doubled up to four times its size, and left so for
 * the lines after).
 */
#ifndef MX_SPOOL_H
#define MX_SPOOL_H

#include <stddef.h>
#include <stdio.h>

#define SPOOL_ID_OLD	16	/* tttttt-pppppp-ff, Exim up to 4.96 */
#define SPOOL_ID_NEW	23	/* tttttt-ppppppppppp-ffff, Exim 4.97 on */
#define SPOOL_ID_MAX	SPOOL_ID_NEW
#define SPOOL_RCPT_MAX	16384	/* Exim's own bound on the count */
#define SPOOL_H_MAX	(64L * 1024 * 1024)	/* a -H beyond: refused */

/*
 * The length of the message id s[0..n) is, SPOOL_ID_OLD or SPOOL_ID_NEW,
 * or 0 when it is not one: base 62 characters and two dashes where an old
 * or a new id has them, nothing else.
 */
size_t	spool_id_len(const char *, size_t);
/* The split spool subdirectory of a valid id: its 6th character. */
#define SPOOL_ID_SUBDIR(id)	((id)[5])

/* Bytes inside the buffer given to spool_h_parse: not NUL-terminated. */
struct spool_str {
	const char	*p;
	size_t		 n;
};

/* One "-name [value]" line. */
struct spool_opt {
	struct spool_str name;		/* without the dashes */
	struct spool_str value;		/* after the first blank; n 0 if none */
	int		 has_value;
	int		 tainted;	/* written "--name" */
	struct spool_str quoter;	/* "-(quoter)name" or "--(quoter)name":
					   n 0 if none */
};

/* One ACL variable, "-aclc NAME LEN" or "-aclm NAME LEN". */
struct spool_acl {
	char		 kind;		/* 'c' or 'm' */
	struct spool_str name;		/* without the c or m: "_conn" */
	struct spool_str value;		/* LEN bytes, newlines and all */
	int		 tainted;
	struct spool_str quoter;	/* as in struct spool_opt */
};

/* Exim's DSN flags on a recipient (its rf_* bits). */
#define SPOOL_DSN_LASTHOP	0x01
#define SPOOL_DSN_NEVER		0x02
#define SPOOL_DSN_SUCCESS	0x04
#define SPOOL_DSN_FAILURE	0x08
#define SPOOL_DSN_DELAY		0x10

struct spool_rcpt {
	struct spool_str addr;
	struct spool_str orcpt;		/* n 0 when none */
	struct spool_str errors_to;	/* n 0 when none */
	int		 dsn_flags;
	int		 pno;		/* parent number, -1 when none */
	int		 extended;	/* written in the "#3" form */
};

struct spool_hdr {
	struct spool_str text;		/* raw folded, with its final newline */
	struct spool_str name;		/* the field name, n 0 if none */
	char		 flag;		/* ' ', 'B' ... 'T', '*' deleted */
};

/*
 * A parsed -H.  Every spool_str points into the buffer parsed, which must
 * outlive it.
 */
struct spool_h {
	char		 id[SPOOL_ID_MAX + 1];
	struct spool_str login;
	long		 uid, gid;
	struct spool_str sender;	/* between the <>; n 0 for <> */
	long long	 time;
	int		 warnings;
	struct spool_opt *opts;
	size_t		 nopts;
	struct spool_acl *acls;
	size_t		 nacls;
	struct spool_str *nonrcpts;	/* the tree's addresses, in file order */
	size_t		 nnonrcpts;
	struct spool_rcpt *rcpts;
	size_t		 nrcpts;
	struct spool_hdr *hdrs;
	size_t		 nhdrs;
	int		 wireformat;	/* -spool_file_wireformat: -D is CRLF */
	int		 frozen;	/* -frozen */
};

/*
 * Parse and validate the -H file's bytes buf[0..len), which must be the
 * -H of message id (its first line "ID-H").  0, or MX_DATAERR with a
 * one-line reason in err naming where ("line 12: recipient count over
 * 16384", "header 3: length runs past the end"), or MX_TEMPFAIL out of
 * memory (no fault of the message's: Postfix's pipe bounces a 70, defers
 * a 75).  On failure h holds nothing to free.  A NUL anywhere, a line
 * without its newline, trailing bytes after the last header: errors.
 * Refused too, as Exim would misread them or refuse them: a header text
 * that starts with a blank; an option named frozen-something, or -frozen
 * without its time; a quoter that names no lookup type of Exim 4.96; an
 * ACL variable name "set acl_c..." cannot make; a recipient in a "#"
 * form other than #3 (Exim writes no other); a line longer than Exim
 * reads (above).  A -H cut just after a header is a -H with fewer
 * headers: the format cannot tell.
 */
int	spool_h_parse(struct spool_h *, const char *, size_t, const char *,
	    char *, size_t);
void	spool_h_free(struct spool_h *);
/*
 * The option named name (without dashes), NULL when absent; the last
 * when there are several, as Exim takes the last.
 */
const struct spool_opt *spool_h_opt(const struct spool_h *, const char *);

/*
 * Whether buf[0..len), the start of a -D file, begins with the line
 * "ID-D\n" for id: 0, or MX_DATAERR with the reason in err.  len may run
 * past the first line.  The line's length (id length + 3) is also the
 * region Exim locks.
 */
int	spool_d_check(const char *, size_t, const char *, char *, size_t);
#define SPOOL_D_LOCKLEN(idlen)	((idlen) + 3)

/*
 * The envelope as JSON members, for a record the caller has open (it
 * writes the braces): "sender", "login", "uid", "gid", "received" (time),
 * "warnings", "frozen", "options" (name -> value, true when it has none),
 * "acl" ({"m_demo": "hello world"}), "nonrecipients" (list),
 * "recipients" ([{"address", "orcpt", "notify": ["success", ...],
 * "errors_to", "pno"}]), "headers" ([{"name", "flag"}]), each preceded
 * by a comma.  A recipient's "orcpt", "notify" and "errors_to" are there only
 * when it has them, and "pno" (its parent number) when not -1; a header's
 * "name" is its field name without the blanks Exim allows before the
 * colon ("Subject : x" is "Subject"), "" when it has none.  Bytes are
 * written as cli_json_string writes them.
 */
void	spool_h_json(FILE *, const struct spool_h *);

/*
 * What `exim -bP spool_directory split_spool_directory` printed, out[0..n):
 * "spool_directory = /var/spool/exim4" and "split_spool_directory" or
 * "no_split_spool_directory" lines, in any order.  *dir (malloc'd) and
 * *split are set from it.  0, or MX_DATAERR with the reason in err
 * (a line missing, a value that is not an absolute path, a newline or a
 * NUL in it), MX_TEMPFAIL out of memory.
 */
int	spool_bp_parse(const char *, size_t, char **, int *, char *, size_t);

#endif
