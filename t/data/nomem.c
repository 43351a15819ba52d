/*
 * nomem.so: a process whose memory runs out at large allocations.  Preloaded
 * (LD_PRELOAD) into a tool, malloc, calloc and realloc fail with ENOMEM for
 * any block over MX_NOMEM_OVER bytes (default 256 KiB), as they would when
 * the memory is exhausted; smaller ones go through.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>

static size_t
over(void)
{
	const char	*s = getenv("MX_NOMEM_OVER");

	return s != NULL ? strtoul(s, NULL, 10) : 256 * 1024;
}

void *
malloc(size_t n)
{
	static void	*(*real)(size_t);

	if (n > over()) {
		errno = ENOMEM;
		return NULL;
	}
	if (real == NULL)
		real = (void *(*)(size_t))dlsym(RTLD_NEXT, "malloc");
	return real(n);
}

void *
realloc(void *p, size_t n)
{
	static void	*(*real)(void *, size_t);

	if (n > over()) {
		errno = ENOMEM;
		return NULL;
	}
	if (real == NULL)
		real = (void *(*)(void *, size_t))dlsym(RTLD_NEXT, "realloc");
	return real(p, n);
}
