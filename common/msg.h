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
/* Take back the n newest prepended fields (all there are, at most). */
void	msg_unprepend(struct msg *, size_t);

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
 * MX_NOINPUT when the file cannot be opened.  err does not name the file
 * (the caller's diagnostic does): strerror(3) when it cannot be opened.
 */
int	msg_read_path(struct msg *, const char *, char *, size_t);

/*
 * Write the message to dir/name safely: a temporary file in dir, fsynced,
 * then renamed over name, and the directory fsynced, so the name never
 * holds a partial message and is durable on return (a batch of one).
 * 0, MX_CANTCREAT or MX_IOERR.
 */
int	msg_write_file(struct msg *, const char *, const char *, char *,
	    size_t);
/*
 * msg_write_file() for any bytes (a report, not a message read here):
 * dir/name holds all of p, len or, as before, what it held.
 */
int	msg_write_bytes(const char *, const char *, const void *, size_t,
	    char *, size_t);

/*
 * A batch of messages written to files in one directory, made durable
 * together (the shape of git's core.fsyncMethod=batch): msg_batch_add()
 * writes each message to a hidden temporary file ".NAME.XXXXXX" in the
 * directory and starts its writeback; msg_batch_commit() waits for all
 * the data at once (one syncfs(2), or an fsync(2) per file where that
 * fails or the batch has a single file), only then renames each file to
 * its name, and fsyncs the directory.  A name never holds a partial
 * message, and one file that fails costs none of the others.
 *
 * From the second message on, a thread of the batch's own creates and
 * writes the files (up to 8 MB of copies waiting), so that on a disk the
 * cost of creating each file runs beside the caller's next message; a
 * message over 1 MB is written by the caller.  A write that fails there
 * is reported by msg_batch_commit().
 *
 * Signals: a handler of SIGHUP, SIGINT or SIGTERM that calls
 * msg_batch_unlink() sees every temporary file there is: the caller's
 * thread holds those signals while it creates and lists one, the writer
 * has them blocked, and msg_batch_unlink() waits for a creation under
 * way and stops any further one.
 */
struct msg_batch;

/* A batch writing into dir (kept open).  NULL with a reason in err. */
struct msg_batch	*msg_batch_new(const char *, char *, size_t);
/*
 * Write the message to its temporary file, to become dir/name at commit;
 * src names the message in a diagnostic ("cannot write 'src' to
 * 'dir/name': reason"), or NULL.  The message may be freed on return.
 * 0, or MX_CANTCREAT / MX_IOERR with the reason in err (nothing is left
 * behind for this message then); a message handed to the writer thread
 * that fails is reported at commit instead.
 */
int	msg_batch_add(struct msg_batch *, struct msg *, const char *,
	    const char *, char *, size_t);
/*
 * Make the files added durable and give them their names, as above.
 * fail(arg, err) is called with a one-line reason for each file that did
 * not make it (its temporary file is removed) and for a directory that
 * cannot be synced.  Returns 0, or the worst of MX_CANTCREAT and MX_IOERR.
 */
int	msg_batch_commit(struct msg_batch *,
	    void (*)(void *, const char *), void *);
/*
 * Remove the temporary files not yet renamed: async-signal-safe (unlink
 * only), for a handler of a signal that ends the process.  NULL is taken.
 */
void	msg_batch_unlink(struct msg_batch *);
/*
 * Guard the batch, one at a time: on SIGHUP, SIGINT or SIGTERM (unless
 * ignored) and at exit() before commit, its temporary files are removed
 * with msg_batch_unlink(); a signal then ends the process as it would have.
 * msg_batch_free() lifts the guard.
 */
void	msg_batch_guard(struct msg_batch *);
/* Remove what is left uncommitted, close the directory and free. */
void	msg_batch_free(struct msg_batch *);

#endif
