/*
 * pcache: smtp-probe's cache of EHLO replies for early pipelining
 * (draft-harris-early-pipe 3), one entry per server address, port and TLS
 * state, as Exim keeps its hints.  A client may send EHLO before the
 * banner only to a server whose cached reply offers early pipelining.
 *
 * The file is text: a first line naming the format and its version, then
 * one entry per block.  A file without that first line is not ours and is
 * never written over.  Writes go to a temp file in the same directory,
 * fsynced and renamed over the file, under a lock on FILE.lock, so that a
 * reader sees the old file or the new one, never half of one, and two
 * probes at once lose neither's entry.
 */
#ifndef MX_PCACHE_H
#define MX_PCACHE_H

#include <stddef.h>
#include <time.h>

#include "smtp.h"

#define PCACHE_MAXAGE	(7 * 86400)	/* an older entry is not used */

struct pcache;

struct pcache	*pcache_new(void);
void		 pcache_free(struct pcache *);

/*
 * Read path into the cache.  A missing file is an empty cache (0).  A
 * file that is not a cache (no first line of ours): MX_DATAERR, and the
 * caller must not save over it.  An entry that does not parse is left
 * out, counted in *dropped, and the reason of the first in err (a warning:
 * the return is 0).  MX_IOERR, MX_NOINPUT (not a regular file) with err.
 * Also MX_SOFTWARE out of memory.  An empty file (0 bytes) is an empty
 * cache: it holds nothing to lose.  err is a whole message naming the
 * file ("cache 'F': entry at line 5 dropped: bad code"), for "tool: %s".
 */
int		 pcache_load(struct pcache *, const char *, size_t *, char *,
		    size_t);
/* The same on text in memory (pcache_load's parser): for the fuzzer. */
int		 pcache_parse(struct pcache *, const char *, size_t, size_t *,
		    char *, size_t);

/*
 * The cached EHLO reply (its lines, as smtp_reply holds them: text after
 * the code) for peer ("127.0.0.1:25", "[::1]:25", struct smtp's form) in
 * TLS state tls (0 in clear, 1 after STARTTLS or on implicit TLS), stored
 * no longer than PCACHE_MAXAGE before now; NULL when none.
 */
const struct smtp_reply *pcache_get(const struct pcache *, const char *, int,
		    time_t);
/*
 * Store (replace) or drop an entry.  pcache_put: 0, -1 out of memory.  A
 * reply the file cannot hold (a peer over 63 bytes or with a blank, no
 * line, a line with a LF or over SMTP_LINE_MAX, a code not 2xx to 5xx) is
 * not stored, and 0 returned: that costs early pipelining, nothing else.
 */
int		 pcache_put(struct pcache *, const char *, int,
		    const struct smtp_reply *, time_t);
void		 pcache_drop(struct pcache *, const char *, int);
/* When the entry of peer and tls was stored, -1 when there is none:
   a hit refreshes an entry only once it is a day old. */
time_t		 pcache_stored(const struct pcache *, const char *, int);

/*
 * Write this cache's puts and drops into path: under the lock, read path
 * again (another probe may have written it), apply them, write the whole
 * to a temp file beside it, fsync, rename, fsync the directory.  The lock
 * is waited for at most timeout seconds.  0, or MX_TEMPFAIL (lock busy),
 * MX_DATAERR (path is not a cache), MX_CANTCREAT, MX_IOERR with err.
 * Nothing put or dropped: 0 at once, no file touched.  The temp file is
 * FILE.tmp.XXXXXX, made by mkstemp (a FILE.tmp of anyone else's is never
 * touched; a killed save may leave its own); entries older than
 * PCACHE_MAXAGE go; of two puts of one key the later stored wins, but
 * an entry stored in the future is no newer than a put; the lock file
 * must be a regular file (else MX_CANTCREAT, at once);
 * MX_SOFTWARE out of memory.  An entry stored more than a day ahead of
 * the clock is dropped as damaged by pcache_load and the save's re-read.
 */
int		 pcache_save(struct pcache *, const char *, int, char *,
		    size_t);

/* The whole cache as the file holds it (malloc'd, NUL-ended), or NULL. */
char		*pcache_text(const struct pcache *, size_t *);

#endif
