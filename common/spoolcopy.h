/*
 * spoolcopy: Exim spool messages copied out of a spool's input directory
 * into a directory of their own, or back (requeue), so that no reader
 * ever sees half of one and a crash at any point loses nothing.
 *
 * For each message, in this order:
 *  - the source -D is opened and, unless told not to, locked as Exim
 *    locks it (fcntl F_WRLCK on bytes [0, id length + 3), without
 *    waiting): a message being delivered is skipped as "locked"; a
 *    -D this process may not open for writing is read-locked (F_RDLCK,
 *    which keeps a delivery out as well) rather than not locked;
 *  - -H is read whole and validated (spool_h_parse), and the first line
 *    of -D checked (spool_d_check): a corrupt pair is never copied;
 *  - the temporary files a killed run left for this id in the target
 *    directory (".ID-D.XXXXXX", ".ID-H.XXXXXX", exactly) are removed:
 *    none is a live run's, since the source lock keeps every other copy
 *    of this message out until this one is done.  Without the lock that
 *    holds only where the caller holds Exim's (its pipe transport) or
 *    runs one copy of a message at a time: two unlocked runs of one
 *    message may remove each other's, and that copy fails (75), never
 *    leaving a partial file under a final name;
 *  - a target whose -H and -D are the source's byte for byte is done
 *    in every mode: not written again, made durable with the batch and
 *    reported "copied" ("linked" when its -D is the source's inode),
 *    status 0, so that a retry after a failure or a kill past the commit
 *    ends; a target whose -H exists and differs in any byte (or whose -D
 *    does) is refused ("exists") unless replace; a target -D without its
 *    -H is what a killed run left, and is replaced;
 *    the -H is looked for flat and split whatever dst_split says (a
 *    spool holds a message once: queued flat and then split, Exim would
 *    list and deliver it twice), and a message replaced is replaced
 *    where it is; a target -D about to be replaced is locked as Exim
 *    locks it (held by a delivery: "locked") until the new -H is in
 *    place, so that no delivery of the old one unlinks the new files;
 *  - -D and -H are written under temporary names in the target
 *    directory (".ID-D.XXXXXX", ".ID-H.XXXXXX"), with the mode and owner
 *    wanted.
 * Then, for the whole batch at once (the shape of msg_batch: one
 * syncfs(2), or an fsync(2) per file when it fails or the batch is one
 * message): the data made durable; every -D renamed to its name; the
 * directories fsynced; every -H renamed to its name (never over an
 * existing -H unless replace: renameat2 RENAME_NOREPLACE, or link and
 * unlink); the directories fsynced; the locks released.  So -D is on disk
 * under its name before -H is, and a -H never names an incomplete -D.
 *
 * Link mode hard-links the source -D instead of copying it, when the
 * target is on the same filesystem and the source -D already has the mode
 * and owner wanted (else it is copied); -H is always written from the
 * bytes validated.
 *
 * The source is never written to.  Memory is bounded whatever the size of
 * a message or the number of messages: -D is copied through a fixed
 * buffer, and a batch holds at most SPOOLCOPY_BATCH messages.
 */
#ifndef MX_SPOOLCOPY_H
#define MX_SPOOLCOPY_H

#include <sys/types.h>

#include "spool.h"

/*
 * Messages made durable together, at most: fewer when the descriptors the
 * process may open (RLIMIT_NOFILE, less 32 for the caller, three a
 * message, four replacing) are fewer, and a batch is committed early once
 * the -H files it holds pass 8 MB (one -H alone may be bigger, up to
 * SPOOL_H_MAX).  A message that finds no descriptor left commits what is
 * pending and is tried once more.
 */
#define SPOOLCOPY_BATCH	128

struct spoolcopy_opts {
	int	 lock;		/* take Exim's lock on the source -D */
	int	 link;		/* hard-link the -D where that is possible */
	int	 replace;	/* replace a target that exists */
	int	 check;		/* validate only: nothing written, no target */
	/*
	 * Target files in DIR/<id's 6th char>/, made as needed (mode of
	 * DIR, its owner); -1: so when DIR has one of the 62 split
	 * subdirectories already (not a symbolic link), else flat.
	 */
	int	 dst_split;
	mode_t	 mode;		/* of the files written: 0640 as Exim's
				   (0 taken as 0640) */
	int	 owner_set;	/* uid and gid below; else as owner_from */
	uid_t	 uid;
	gid_t	 gid;
	/*
	 * Without owner_set, whose the files written are: 0 the source
	 * file's owner (copying out of a spool), 1 the target directory's
	 * (requeueing into one).  A change of owner is made only when it
	 * differs from the process's, and needs root.
	 */
	int	 owner_from_dir;
	/*
	 * Once the batch is durable in the target, remove each source's -H,
	 * then its -D, and fsync the source directory: a requeue that moves
	 * the messages out of the external directory, so that no rerun can
	 * queue one twice.  Never used on a spool (the tool refuses it).
	 * A target whose -H and -D are the source's byte for byte (a run
	 * killed after its commit, before the removal) is done, as in
	 * every mode, and its source removed.  The one window left: a message Exim delivered, and so
	 * removed, before the rerun is queued again.
	 */
	int	 remove_src;
};

/* What became of one message. */
struct spoolcopy_result {
	char		 id[SPOOL_ID_MAX + 1];	/* as given, cut, when invalid */
	/*
	 * "copied", "linked", "ok" (check), or a failure: "invalid" (not a
	 * message id), "missing" (no -H or no -D), "corrupt", "locked",
	 * "exists", "failed" (an I/O fault, reading or writing).
	 */
	const char	*result;
	/*
	 * 0 done; MX_DATAERR invalid or corrupt; MX_NOINPUT missing;
	 * MX_TEMPFAIL locked, exists, and every fault writing the target or
	 * reading the source (a full disk, a vanished directory, EIO, out
	 * of memory, never 70, which a pipe transport bounces):
	 * none is the message's own, a retry may succeed.
	 */
	int		 status;
	char		 err[512];	/* the one-line reason when status != 0 */
	/* The parsed -H (NULL when not parsed), valid during the callback. */
	const struct spool_h *h;
};

typedef void	(*spoolcopy_fn)(void *, const struct spoolcopy_result *);

struct spoolcopy;

/*
 * Copies from the input directory src (a spool's DIR/input, or an
 * external directory; a message is looked for in its split subdirectory
 * first, then flat) into the directory dst (NULL with check).  done is
 * called once for each message added, in the order added, when its batch
 * is committed.  NULL with the reason in err when dst cannot be opened,
 * or when it is src, one of src's split subdirectories, or the reverse
 * (a one-line reason; the caller exits MX_TEMPFAIL or MX_CANTCREAT).  A
 * message whose source and target directories still turn out to be one
 * is "failed" (MX_TEMPFAIL), never written.
 */
struct spoolcopy *spoolcopy_new(const char *, const char *,
		    const struct spoolcopy_opts *, spoolcopy_fn, void *, char *,
		    size_t);
/*
 * Add the message id[0..n) to the batch: locked, validated, written under
 * temporary names.  A batch that is full is committed first.  An id that
 * fails is reported in its turn, never stops the others.
 */
void		 spoolcopy_add(struct spoolcopy *, const char *, size_t);
/* Commit what is pending, as above, and report each message. */
void		 spoolcopy_flush(struct spoolcopy *);
/*
 * Remove the temporary files not yet renamed: async-signal-safe (unlink
 * only), for a handler of a signal that ends the process.
 */
void		 spoolcopy_unlink(struct spoolcopy *);
/* Remove what is uncommitted (unreported), release locks, free. */
void		 spoolcopy_free(struct spoolcopy *);

/*
 * Call fn(arg, id, len) for each message in the input directory dir, the
 * split subdirectories then dir itself: each file named ID-H with a valid
 * id (a -D alone is not a message yet).  Stops when fn returns other than
 * 0 and returns that.  0, or MX_NOINPUT / MX_TEMPFAIL with err when dir
 * cannot be read.  A subdirectory that cannot be read, or is a symbolic
 * link (never followed), is passed over and the others listed; then
 * MX_TEMPFAIL with the first such reason in err.
 */
int		 spool_list(const char *, int (*)(void *, const char *,
		    size_t), void *, char *, size_t);

#endif
