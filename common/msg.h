/*
 * msg: a message as read from a pipe or a file, kept byte for byte.
 *
 * The header section is held in memory (at most MSG_HDR_MAX bytes) and
 * split into fields; the body is held in memory up to a bound and spooled
 * to an unlinked temporary file beyond it, so memory stays flat whatever
 * the size.  LF and CRLF line ends are both taken and kept as they came.
 * A leading mbox "From " line (as Exim's pipe transport writes) is kept
 * apart and written back first.
 *
 * Reading is a push parser: msg_feed() takes bytes as they come and
 * msg_end() closes the message; msg_read_fd() does both for a descriptor.
 */
#ifndef MX_MSG_H
#define MX_MSG_H

#include <stddef.h>
#include <sys/types.h>

#define MSG_HDR_MAX	(1024 * 1024)	/* as Exim's header_maxsize */
#define MSG_MEM_DEFAULT	(1024 * 1024)	/* body bytes held before spooling */

struct msg_hdr {
	const char	*raw;		/* name, colon, value, folds, line end */
	size_t		 len;		/* bytes of raw */
	size_t		 namelen;	/* the name, trailing blanks left out */
	int		 added;		/* prepended by msg_prepend() */
};

struct msg;

/* A new, empty message; the body is spooled past membody bytes. */
struct msg	*msg_new(size_t);
void		 msg_free(struct msg *);

/*
 * Push n bytes of message text.  Returns 0, or an MX_ status (cli.h) with
 * a reason in err: MX_DATAERR for a header section over MSG_HDR_MAX,
 * MX_CANTCREAT / MX_IOERR when the spool file fails.
 */
int	msg_feed(struct msg *, const char *, size_t, char *, size_t);
/* The end of the text: splits the last header lines.  0 or MX_ status. */
int	msg_end(struct msg *, char *, size_t);
/* msg_feed() all of fd, then msg_end().  0 or an MX_ status. */
int	msg_read_fd(struct msg *, int, char *, size_t);

/* Header fields in message order, prepended ones first. */
size_t			 msg_nhdrs(const struct msg *);
const struct msg_hdr	*msg_hdr(const struct msg *, size_t);
/* The i-th (from 0) field named name, case-insensitively, or NULL. */
const struct msg_hdr	*msg_find(const struct msg *, const char *, size_t);
/* The value: the bytes after the colon, folds and line end included. */
const char		*msg_hdr_value(const struct msg_hdr *, size_t *);

/* Whether the message's first line ended in CRLF. */
int	msg_crlf(const struct msg *);
/* Bytes of body (after the blank line), and of the whole message. */
off_t	msg_body_size(const struct msg *);
off_t	msg_size(const struct msg *);
/* Whether the body went to the spool file. */
int	msg_spooled(const struct msg *);

/*
 * Add a header field above the others, once the message is read (after
 * msg_end).  raw must be a whole field with its line end (use msg_crlf() to
 * pick it).  The text is copied.  0 or -1.
 */
int	msg_prepend(struct msg *, const char *, size_t);

/*
 * Stream the body: msg_body_rewind(), then msg_body_read() until it
 * returns 0.  Returns the bytes read, or -1 on a read error.
 */
int	msg_body_rewind(struct msg *);
ssize_t	msg_body_read(struct msg *, char *, size_t);

/* Write the message, prepended fields first, to fd.  0 or MX_IOERR. */
int	msg_write(struct msg *, int, char *, size_t);

/*
 * Read a whole message from path ("-" is stdin): msg_read_fd, with
 * MX_NOINPUT when the file cannot be opened.
 */
int	msg_read_path(struct msg *, const char *, char *, size_t);

/*
 * Write the message to dir/name safely: a temporary file in dir, fsynced,
 * then renamed over name, so the name never holds a partial message.
 * 0, MX_CANTCREAT or MX_IOERR.
 */
int	msg_write_file(struct msg *, const char *, const char *, char *,
	    size_t);

#endif
