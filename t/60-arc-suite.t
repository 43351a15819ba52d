#!/bin/sh
# The ARC conformance suite (ValiMail's arc_test_suite, RFC 8617): every
# validation test gives its expected cv in arc-verify, and every sign test
# seals as the suite expects, b= byte for byte, and the sealed message
# verifies as pass here, in dkimpy and in Mail::DKIM.
. "${MX_SRCDIR:-.}/t/lib.sh"

SUITE=${ARC_SUITE_DIR:-$MX_SHARED/vectors/arc}
[ -f "$SUITE/arc-draft-validation-tests.yml" ] &&
    [ -f "$SUITE/arc-draft-sign-tests.yml" ] ||
    skip_all "no ARC suite in '$SUITE' (ARC_SUITE_DIR)"
$PY -c 'import yaml' 2>/dev/null || skip_all "python3-yaml not installed"
need perl
$PY -c 'import dkim, authres' 2>/dev/null ||
    skip_all "dkimpy or authres not installed"
perl -MMail::DKIM::ARC::Verifier -e 1 2>/dev/null ||
    skip_all "Mail::DKIM not installed"

D=$MX_SRCDIR/t/data
S=$T/suite
TAB=$(printf '\t')

run $D/arc-suite expand "$SUITE" "$S"
is "$rc" 0 "the suite expands"
like "$out" '^validation=[1-9][0-9]* sign=[1-9][0-9]*$' "it has both kinds"
[ "$rc" -eq 0 ] || done_testing

# --- Validation: one process for every message, then one per message ----
# A batch line is "NAME.eml: arc_state=STATE" (run from the messages'
# directory); one batch per zone file, in case the suite needed several.
: >"$T/batch"
: >"$T/berr"
brcs=
wrcs=
for z in $(cut -f 2 "$S/validation.tsv" | sort -u); do
	awk -F "$TAB" -v z="$z" '$2 == z { print $1 ".eml" }' \
	    "$S/validation.tsv" >"$T/names"
	(cd "$S/v" && exec arc-verify --dns-zone "$z" $(cat "$T/names")) \
	    >>"$T/batch" 2>>"$T/berr"
	brcs="$brcs $?"
	# Some tests expect fail: then the batch as a whole is not accepted.
	if awk -F "$TAB" -v z="$z" '$2 == z && $4 == "fail" { f = 1 }
	    END { exit !f }' "$S/validation.tsv"; then
		wrcs="$wrcs 1"
	else
		wrcs="$wrcs 0"
	fi
done
is "$(grep -c ': arc_state=' "$T/batch")" "$(wc -l <"$S/validation.tsv")" \
    "the batch run judges every message once"
is "$(cat "$T/berr")" "" "the batch run says nothing on stderr"
is "$brcs" "$wrcs" "the batch run exits 1 when a message is not accepted"

: >"$T/disagree"
lines_of() {	# lines_of FILE: its lines in the batch output, unprefixed
	awk -v p="$1: " 'index($0, p) == 1 { print substr($0, length(p) + 1) }' \
	    "$T/batch"
}

nsingle=0
while IFS=$TAB read -r name zone msg cv; do
	lines_of "$name.eml" >"$T/bone"
	got=$(sed -n 's/^arc_state=//p' "$T/bone")
	is "$got" "$cv" "$name: cv $cv"
	# The one-message-per-process path must say the same, with its exit
	# status following the default --accept none:pass.
	arc-verify --dns-zone "$zone" "$msg" >"$T/one" 2>&1
	orc=$?
	one=$(sed -n 's/^arc_state=//p' "$T/one")
	want=1
	case $got in pass|none) want=0 ;; esac
	if [ "$one" != "$got" ] || [ "$orc" != "$want" ]; then
		echo "$name: batch '$got', alone '$one' exit $orc" \
		    >>"$T/disagree"
	fi
	# In the batch, each message's lines are the single run's, prefixed.
	cmp -s "$T/bone" "$T/one" ||
	    echo "$name: batch lines differ from a single run" >>"$T/disagree"
	nsingle=$((nsingle + 1))
done <"$S/validation.tsv"
is "$(cat "$T/disagree")" "" \
    "the $nsingle single runs agree with the batch run, exit status too"

# --- Signing -----------------------------------------------------------
peer_state() {	# peer_state DRIVER MSG: arc_state as the peer says
	"$D/$1" verify --dns-zone "$S/zone" "$2" 2>&1 |
	    sed -n 's/^arc_state=//p'
}

while IFS=$TAB read -r name msg t hdrs srv dom sel key exp; do
	run arc-sign -d "$dom" -s "$sel" -k "$key" --authserv-id "$srv" \
	    --time "$t" --headers "$hdrs" "$msg"
	is "$rc:$err" "0:" "$name: sealed"
	cp "$T/out" "$T/sealed"
	run $D/arc-suite compare "$exp" "$T/sealed"
	is "$out" ok "$name: AS, AMS and AAR as the suite's, b= included"
	tail -c "$(wc -c <"$msg")" "$T/sealed" >"$T/rest"
	same "$T/rest" "$msg" "$name: the message follows the set unchanged"
	run arc-verify --dns-zone "$S/zone" "$T/sealed"
	is "$(printf '%s\n' "$out" | sed -n 's/^arc_state=//p'):$rc" "pass:0" \
	    "$name: we verify the seal as pass"
	is "$(peer_state arc-dkimpy "$T/sealed")" pass \
	    "$name: dkimpy verifies it as pass"
	is "$(peer_state arc-maildkim "$T/sealed")" pass \
	    "$name: Mail::DKIM verifies it as pass"
done <"$S/sign.tsv"

# The comparison can fail: one second later, t= and both b= differ.
IFS=$TAB read -r name msg t hdrs srv dom sel key exp <"$S/sign.tsv"
arc-sign -d "$dom" -s "$sel" -k "$key" --authserv-id "$srv" \
    --time $((t + 1)) --headers "$hdrs" "$msg" >"$T/sealed"
run $D/arc-suite compare "$exp" "$T/sealed"
is "$rc:$(printf '%s\n' "$out" | grep -c '^ARC-')" "1:2" \
    "$name: sealed a second later, AS and AMS differ from the suite's"

done_testing
