#!/bin/sh
# DMARC's core (common/addr.c, psl.c, dmarc.c): the C unit tests (From
# parsing, the public suffix list, record parsing, discovery, alignment,
# sp, pct, DNS failures, each libopendmarc trap beside its workaround),
# then our organizational domains beside libpsl's for names made from
# every rule of Debian's list.
. "${MX_SRCDIR:-.}/t/lib.sh"

UNIT=$MX_BUILDDIR/t/unit/dmarc-test
PSL=/usr/share/publicsuffix/public_suffix_list.dat

# The unit tests' TAP lines, renumbered into this test's.
if [ -x "$UNIT" ]; then
	mkdir "$T/unit"
	run "$UNIT" "$T/unit"
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
	is "$(cat "$T/err")" "" "unit tests: nothing on stderr"
else
	_result 1 "$UNIT is built"
fi

# libpsl, through ctypes: a second reading of the same list.
if [ -x "$UNIT" ] && [ -r "$PSL" ] &&
    $PY -c 'import ctypes; ctypes.CDLL("libpsl.so.5")' 2>/dev/null; then
	counts=$($PY "$MX_SRCDIR/t/data/psl-libpsl.py" "$PSL" "$T/names" \
	    "$T/want")
	diag "libpsl: $counts (names compared, names left out)"
	like "$counts" '^[0-9]{5,} [0-9]+$' \
	    "libpsl read every rule of $PSL"
	"$UNIT" --org "$PSL" <"$T/names" >"$T/got"
	same "$T/got" "$T/want" \
	    "organizational domains and public suffixes as libpsl's"
	# The same names in capitals, with a trailing dot: the same answers.
	tr a-z A-Z <"$T/names" | sed 's/$/./' >"$T/names.up"
	"$UNIT" --org "$PSL" <"$T/names.up" | cut -d' ' -f2- >"$T/got.up"
	cut -d' ' -f2- "$T/want" >"$T/want.up"
	same "$T/got.up" "$T/want.up" "capitals and a trailing dot alike"
else
	skip 3 "libpsl (libpsl5) or /usr/bin/python3 missing"
fi

done_testing
