#!/bin/sh
# The facts of one message for DMARC (common/dmarcfacts.c): our own
# Authentication-Results fields read (another authserv-id's ignored), the
# field written back (values quoted where RFC 8601 wants it), the From
# domain, and the report file written whole (msg_write_bytes): the C unit
# tests of t/unit/dmarcfacts-test.c.
. "${MX_SRCDIR:-.}/t/lib.sh"

UNIT=$MX_BUILDDIR/t/unit/dmarcfacts-test

# The unit tests' TAP lines, renumbered into this test's.
if [ -x "$UNIT" ]; then
	run "$UNIT"
	plan=
	seen=0
	while IFS= read -r line; do
		case $line in
		"ok "*)
			_result 0 "${line#ok * - }"
			seen=$((seen + 1)) ;;
		"not ok "*)
			_result 1 "${line#not ok * - }"
			seen=$((seen + 1)) ;;
		1..*)	plan=${line#1..} ;;
		*)	printf '%s\n' "$line" ;;
		esac
	done <"$T/out"
	is "$plan:$rc" "$seen:$((_failed > 0))" "unit tests: all $seen run"
else
	_result 1 "$UNIT is built"
fi

done_testing
