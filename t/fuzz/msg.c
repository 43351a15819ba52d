/*
 * Fuzz the message reader: fed in uneven pieces, with a tiny in-memory
 * bound so the spool path runs too, the message must write back byte for
 * byte, every header field must be well formed, and the body streamed back
 * must be the tail of the input.
 */
#include "config.h"

#include <sys/mman.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "msg.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	struct msg	*m = msg_new(64);
	const char	*p = (const char *)buf;
	char		 err[256], chunk[37], *back;
	size_t		 off = 0, step = 1, blen, vlen, bsz;
	ssize_t		 got;
	int		 rc = 0, fd;

	if (m == NULL)
		abort();
	while (rc == 0 && off < n) {
		size_t	k = n - off < step ? n - off : step;

		rc = msg_feed(m, p + off, k, err, sizeof err);
		off += k;
		step = step * 3 % 97 + 1;
	}
	if (rc == 0)
		rc = msg_end(m, err, sizeof err);
	if (rc == 0) {
		for (size_t i = 0; i < msg_nhdrs(m); i++) {
			const struct msg_hdr	*h = msg_hdr(m, i);

			if (h->namelen == 0 || h->namelen >= h->len ||
			    msg_hdr_value(h, &vlen) + vlen != h->raw + h->len)
				abort();
		}
		if (msg_size(m) != (off_t)n || msg_body_size(m) > (off_t)n)
			abort();
		/* The body, read back in odd-sized pieces, ends the input. */
		bsz = msg_body_size(m);
		off = n - bsz;
		if (msg_body_rewind(m) != 0)
			abort();
		while ((got = msg_body_read(m, chunk, sizeof chunk)) > 0) {
			if ((size_t)got > n - off || memcmp(chunk, p + off, got))
				abort();
			off += got;
		}
		if (got < 0 || off != n)
			abort();
		if ((fd = memfd_create("msg", 0)) < 0 ||
		    msg_write(m, fd, err, sizeof err) != 0)
			abort();
		blen = lseek(fd, 0, SEEK_CUR);
		if (blen != n || (back = malloc(n + 1)) == NULL ||
		    pread(fd, back, n, 0) != (ssize_t)n || memcmp(back, p, n))
			abort();
		free(back);
		close(fd);
	}
	msg_free(m);
	return 0;
}
