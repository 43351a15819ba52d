/*
 * canon: DKIM canonicalisation (RFC 6376 section 3.4), simple and relaxed,
 * of header fields into a buffer and of the body into a running hash, so
 * that a body of any size is hashed in one streaming pass.  Input lines may
 * end in LF or CRLF; the canonical form always ends them in CRLF.
 */
#ifndef MX_CANON_H
#define MX_CANON_H

#include <stddef.h>
#include <openssl/evp.h>

/* A growing byte buffer. */
struct buf {
	char	*p;
	size_t	 len, cap;
};

int	buf_add(struct buf *, const void *, size_t);
/* Room for n more bytes. */
int	buf_reserve(struct buf *, size_t);
int	buf_addstr(struct buf *, const char *);
void	buf_free(struct buf *);

/*
 * Append the canonical form of one header field (raw: name, colon, value,
 * folds, line end as msg keeps it) to b.  With crlf 0 the final CRLF is
 * left off, as for the signature field itself.  0, or -1 out of memory.
 */
int	canon_hdr(struct buf *, int, const char *, size_t, int);

/* The body hash of one (canonicalisation, length limit) pair. */
struct bodyhash {
	int		 relaxed;
	long long	 limit;		/* l=, or -1 for the whole body */
	long long	 done;		/* canonical bytes hashed */
	EVP_MD_CTX	*ctx;
	unsigned long	 blanks;	/* empty lines held back */
	int		 wsp;		/* relaxed: blanks held back on this line */
	int		 cr;		/* a CR held back, waiting for its LF */
	int		 inline_;	/* this line has content */
	int		 any;		/* anything hashed */
	size_t		 nout;		/* bytes waiting in out */
	char		 out[4096];
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen;
};

/* Start a SHA-256 body hash; 0 or -1. */
int	bodyhash_init(struct bodyhash *, int, long long);
/* Feed the next bytes of the body. */
void	bodyhash_feed(struct bodyhash *, const char *, size_t);
/* Close it: md and mdlen hold the hash.  0 or -1. */
int	bodyhash_final(struct bodyhash *);
void	bodyhash_free(struct bodyhash *);

#endif
