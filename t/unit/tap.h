/* A few TAP helpers for the C unit tests, as t/lib.sh is for sh. */
#ifndef MX_TAP_H
#define MX_TAP_H

#include <stdio.h>
#include <string.h>

static int	tap_n, tap_failed;

#define ok(cond, ...) do {						\
	int	c_ = (cond) ? 1 : 0;					\
	printf("%sok %d - ", c_ ? "" : "not ", ++tap_n);		\
	printf(__VA_ARGS__);						\
	putchar('\n');							\
	if (!c_) {							\
		tap_failed++;						\
		printf("#   failed at %s line %d\n", __FILE__, __LINE__);	\
	}								\
} while (0)

#define is_mem(got, glen, want, wlen, ...)				\
	ok((glen) == (wlen) && memcmp((got), (want), (wlen)) == 0, __VA_ARGS__)

static inline int
done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed != 0;
}

#endif
