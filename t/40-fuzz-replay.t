#!/bin/sh
# Replay each fuzz harness's corpus (t/fuzz/corpus/NAME) through its
# libFuzzer-free build t/fuzz/replay-NAME: every input must run through
# the harness's own checks (it aborts on a failed one), and every corpus
# file must be taken.
. "$MX_SRCDIR/t/lib.sh"

for src in "$MX_SRCDIR"/t/fuzz/*.c; do
	name=$(basename "$src" .c)
	[ "$name" = replay ] && continue
	bin=$MX_BUILDDIR/t/fuzz/replay-$name
	corpus=$MX_SRCDIR/t/fuzz/corpus/$name
	if [ ! -x "$bin" ] || [ ! -d "$corpus" ]; then
		_result 1 "$name: corpus replayed"
		diag "missing '$bin' (make check builds it) or '$corpus'"
		continue
	fi
	files=$(find "$corpus" -type f ! -name '.*' | wc -l | tr -d ' ')
	run "$bin" "$corpus"
	if [ "$rc" -eq 0 ] && [ "$files" -gt 0 ] &&
	    [ "$out" = "replayed $files inputs" ]; then
		_result 0 "$name: $files corpus inputs replayed"
	else
		_result 1 "$name: $files corpus inputs replayed"
		diag "exit $rc, stdout '$out'" "$(printf '%s\n' "$err" | tail -n 5)"
	fi
done
done_testing
