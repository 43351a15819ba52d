#!/bin/sh
# The message reader (common/msg.c): its unit tests are a C TAP program,
# built by make check (or make t/unit/msg-test).
: "${MX_BUILDDIR:=$(pwd)}"
if [ ! -x "$MX_BUILDDIR/t/unit/msg-test" ]; then
	echo "1..1"
	echo "not ok 1 - $MX_BUILDDIR/t/unit/msg-test is built"
	exit 1
fi
exec "$MX_BUILDDIR/t/unit/msg-test"
