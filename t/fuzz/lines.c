/*
 * Fuzz the batch line reader.  The first byte picks the longest line taken
 * (1 to 256); the rest is the input.  Every line handed over must be at
 * most that long, hold no LF, and come in order; every LF of the input must
 * end exactly one line; and the lines, put back with their ends, must be
 * the input wherever no line was too long.
 */
#include "config.h"

#include <sys/mman.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

struct seen {
	size_t		 max;
	unsigned long	 lines;
	int		 toolong;
	char		*back;
	size_t		 blen;
};

static int
take(void *arg, const char *line, size_t len, unsigned long lineno)
{
	struct seen	*s = arg;

	if (lineno != ++s->lines)
		abort();
	if (line == NULL) {
		s->toolong = 1;
		return 0;
	}
	if (len > s->max || memchr(line, '\n', len) != NULL)
		abort();
	memcpy(s->back + s->blen, line, len);
	s->blen += len;
	s->back[s->blen++] = '\n';
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *buf, size_t n)
{
	struct seen	 s = { 0 };
	const char	*in = (const char *)buf + 1;
	size_t		 inlen, lfs = 0, i, j;
	int		 fd;

	if (n == 0)
		return 0;
	s.max = buf[0] + 1;
	inlen = n - 1;
	if ((fd = memfd_create("lines", 0)) < 0 ||
	    write(fd, in, inlen) != (ssize_t)inlen || lseek(fd, 0, SEEK_SET))
		abort();
	if ((s.back = malloc(inlen + 2)) == NULL)
		abort();
	if (cli_lines(fd, s.max, take, &s) != 0)
		abort();
	close(fd);
	for (i = 0; i < inlen; i++)
		lfs += in[i] == '\n';
	if (s.lines != lfs + (inlen > 0 && in[inlen - 1] != '\n') &&
	    !s.toolong)
		abort();
	if (!s.toolong) {
		/* Compare with the input, CRs before LFs taken out. */
		for (i = j = 0; i < inlen; i++) {
			if (in[i] == '\r' && (i + 1 == inlen || in[i + 1] == '\n'))
				continue;
			if (j >= s.blen || s.back[j++] != in[i])
				abort();
		}
		if (j != s.blen && !(j + 1 == s.blen && s.back[j] == '\n'))
			abort();
	}
	free(s.back);
	return 0;
}
