#!/bin/sh
# The facts of one message for DMARC (common/dmarcfacts.c): our own
# Authentication-Results fields read (another authserv-id's ignored), the
# field written back (values quoted where RFC 8601 wants it), the From
# domain, and the report file written whole (msg_write_bytes).  The C unit
# tests of t/unit/dmarcfacts-test.c print their own TAP, plan last; a
# crash leaves the plan out, and prove counts that a failure.
UNIT=${MX_BUILDDIR:-.}/t/unit/dmarcfacts-test

if [ ! -x "$UNIT" ]; then
	printf '1..1\nnot ok 1 - %s is built\n' "$UNIT"
	exit 1
fi
exec "$UNIT"
