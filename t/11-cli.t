#!/bin/sh
# common/cli.c through the tools: --json is valid UTF-8 JSON whatever the
# bytes of an address or a file name, --time takes only what a DKIM t= can
# say, --accept refuses a list that can never mean what was typed, and
# --syslog sends each diagnostic to syslog (facility mail) instead of stderr.
. "$MX_SRCDIR/t/lib.sh"
need openssl

T0=1700000000
rsa_key "$T/k.pem" 1024 || skip_all "openssl cannot make keys"
"$MX_SRCDIR/t/data/arc-zone" s._domainkey.d.example="$T/k.pem" \
    >"$T/zone" || skip_all "arc-zone failed"
printf '%s\n' "Authentication-Results: d.example; spf=pass" \
    "From: a@d.example" "Subject: t" "" "body" >"$T/m"
arc-sign -d d.example -s s -k "$T/k.pem" --time "$T0" --dns-zone "$T/zone" \
    "$T/m" >"$T/sealed" || skip_all "arc-sign cannot seal"
SEC=$(secret_file sec 's3cret')

# jsonlines: each line of $out parses as strict UTF-8 and strict JSON;
# prints the values of the member named $1, one per line, with each
# character outside printable ASCII as U+XXXX.
jsonlines() {
	printf '%s\n' "$out" | $PY -c '
import json, sys
for raw in sys.stdin.buffer.read().split(b"\n")[:-1]:
    v = json.loads(raw.decode("utf-8", "strict"), strict=True)[sys.argv[1]]
    print("".join(c if " " <= c <= "~" else "U+%04X" % ord(c) for c in v))
' "$1"
}

# --json, srs-forward: addresses with bytes that are not UTF-8 (a Latin-1
# byte, an overlong '/', a surrogate, a byte above U+10FFFF, a cut
# sequence) and with valid UTF-8, which must come through as it is.
printf 'caf\351@ex.org\n\300\257@ex.org\n\355\240\200@ex.org\n%s\n%s\n%s\n' \
    "$(printf '\364\220\200\200@ex.org')" "$(printf 'a\342\202@ex.org')" \
    "$(printf 'caf\303\251@\346\227\245.example')" >"$T/addrs"
run srs-forward --secret-file "$SEC" -d fwd.example --json --time "$T0" \
    <"$T/addrs"
if [ "$rc" = 64 ]; then
	# --time is srs-forward's since issue 7; the forward form then
	# depends on the day, which the input member does not.
	run srs-forward --secret-file "$SEC" -d fwd.example --json <"$T/addrs"
fi
is "$rc" 0 "srs-forward --json: every address rewritten"
got=$(jsonlines input)
is "$?:$got" "0:cafU+FFFD@ex.org
U+FFFDU+FFFD@ex.org
U+FFFDU+FFFDU+FFFD@ex.org
U+FFFDU+FFFDU+FFFDU+FFFD@ex.org
aU+FFFDU+FFFD@ex.org
cafU+00E9@U+65E5.example" \
    "srs-forward --json: each line strict UTF-8 JSON, a bad byte U+FFFD"
got=$(jsonlines output)
like "$?:$got" "^0:SRS0=[^=]*=[^=]*=ex.org=cafU[+]FFFD@fwd.example" \
    "  the output member too"

run srs-forward --secret-file "$SEC" -d fwd.example --json -r \
    "$(printf 'SRS0=abcd=AB=ex\377.org=u\351@fwd.example')"
isnt "$rc" 0 "srs-forward --json -r: a bad address is refused"
got=$(jsonlines input)
is "$?:$got" "0:SRS0=abcd=AB=exU+FFFD.org=uU+FFFD@fwd.example" \
    "  and its line is strict UTF-8 JSON"

# --json, arc-verify: several files, so each line has a "file" member.
for f in "$(printf 'caf\351')" "$(printf 'x\300\257\nz')" \
    "$(printf '\355\240\200"\\')" "$(printf 'caf\303\251')"; do
	cp "$T/sealed" "$T/$f.eml"
done
cd "$T" || exit 1
run arc-verify --json --dns-zone zone --time "$T0" ./*.eml sealed
cd - >/dev/null || exit 1
is "$rc" 0 "arc-verify --json: five files validated"
got=$(jsonlines file)
is "$?:$got" "0:./cafU+00E9.eml
./cafU+FFFD.eml
./xU+FFFDU+FFFDU+000Az.eml
./U+FFFDU+FFFDU+FFFD\"\\.eml
sealed" "arc-verify --json: each line strict UTF-8 JSON, a bad byte U+FFFD"
got=$(jsonlines arc_state)
is "$got" "pass
pass
pass
pass
pass" "  each with its result"

# --time: 0 to 999999999999, the 12 digits of RFC 6376's t=.
for t in 1000000000000 9223372036854775807 99999999999999999999 -1; do
	run arc-verify --dns-zone "$T/zone" --time "$t" "$T/sealed"
	is "$rc:$out" 64: "arc-verify --time $t: a usage error"
	one_line_error arc-verify "  in one line"
	run arc-sign -d d.example -s s -k "$T/k.pem" --time "$t" \
	    --dns-zone "$T/zone" "$T/m"
	is "$rc:$out" 64: "arc-sign --time $t: a usage error"
	one_line_error arc-sign "  in one line"
done
like "$err" "want seconds since the epoch, 0 to 999999999999" \
    "  saying what is wanted"
run arc-sign -d d.example -s s -k "$T/k.pem" --time 999999999999 \
    --dns-zone "$T/zone" "$T/m"
is "$rc" 0 "arc-sign --time 999999999999: sealed"
like "$out" "; s=s; t=999999999999\$" "  with t=999999999999"
printf '%s\n' "$out" >"$T/late"
run arc-verify --dns-zone "$T/zone" --time 999999999999 "$T/late"
like "$rc:$out" "^0:arc_state=pass" "arc-verify --time 999999999999: pass"

# --time and the other numbers: plain decimal only.  popt would read ''
# as 0, 010 as 8 and 0x10 as 16; -9223372036854775808 was the "unset"
# value.  A leading zero is harmless in decimal.
for t in '' 0x10 +10 ' 10' '10 ' 1e3 -9223372036854775808; do
	run arc-verify --dns-zone "$T/zone" --time "$t" "$T/sealed"
	is "$rc:$out:$err" "64::arc-verify: bad --time '$t': want seconds \
since the epoch, 0 to 999999999999" "arc-verify --time '$t': a usage error"
done
run arc-sign -d d.example -s s -k "$T/k.pem" --time 0$T0 \
    --dns-zone "$T/zone" "$T/m"
is "$rc:$(printf '%s\n' "$out" | grep -o ' t=[0-9]*' | sort -u)" "0: t=$T0" \
    "arc-sign --time 0$T0: t=$T0, no octal"
for o in --timeout --bits; do
	for v in '' 0x5 +5 5s; do
		run arc-sign --new-key "$T/nk.pem" -d d.example -s s "$o" "$v"
		like "$rc:$err" "^64:arc-sign: bad $o '$(printf %s "$v" |
		    sed 's/+/[+]/')': want a whole number from [0-9]+ to [0-9]+\$" \
		    "arc-sign $o '$v': a usage error"
	done
done
run arc-sign --new-key "$T/nk.pem" -d d.example -s s --bits 01024
like "$rc:$(openssl pkey -in "$T/nk.pem" -noout -text | head -n 1)" \
    '^0:.*\(1024 bit' "arc-sign --bits 01024: a 1024-bit key, no octal"

# --accept: a typo or an empty list is a usage error, naming what is wrong.
acc() {	# acc LIST RC WHY
	run arc-verify --dns-zone "$T/zone" --time "$T0" --accept "$1" \
	    "$T/sealed"
	is "$rc" "$2" "--accept '$1': exit $2"
	if [ -n "$3" ]; then
		is "$out" "" "  nothing on stdout"
		one_line_error arc-verify "  one line"
		like "$err" "$3" "  saying '$3'"
	fi
}
acc pas 64 "bad --accept 'pas': unknown item 'pas'"
acc '' 64 "bad --accept '': an empty list"
acc ' : :' 64 "an empty list"
acc '<; ;' 64 "an empty list"
acc 'none:!' 64 "a '!' with no item after it"
acc 'none:pass:fial' 64 "unknown item 'fial'"
# As in Exim, a doubled separator is one inside an item, never two items.
acc 'fail::pass' 64 "unknown item 'fail:pass'"
acc '<;none;;pass' 64 "unknown item 'none;pass'"
acc 'none::' 64 "unknown item 'none:'"
# "<" and a letter picks no separator: "<pass" is an item.
acc '<pass' 64 "unknown item '<pass'"
acc 'fail : : pass' 0
acc '!*' 1
acc 'none:PASS' 0
acc '<; fail; !none' 0
acc '!fail' 0
acc '*' 0
acc 'fail' 1

# mxkit(7)'s displays of the contract.  A diagnostic has the shape shown,
# the words of the display standing for any tool, failure, name, reason.
shape=$(block man/mxkit.7 diag | sed "s/^tool: /^[a-z-]+: /;
    s/what failed /[a-z ]+ /; s/'name'/'[^']*'/; s/ reason\$/ [^.]+[^.]\$/")
run arc-sign -d d.example -s s -k "$T/absent.pem" "$T/m"
like "$err" "$shape" "mxkit.7 diag: a diagnostic has the shape shown ($shape)"
run arc-verify --dns-zone "$T/absent.zone" "$T/m"
like "$err" "$shape" "  another"

# eval: a message without ARC fields needs no DNS.
sed 1d "$T/m" >"$T/message"
cd "$T" || exit 1
arc_state=unset
block man/mxkit.7 eval >"$T/eval.sh"
. "$T/eval.sh"
cd - >/dev/null || exit 1
is "$arc_state:$arc_oldest_pass" none:0 "mxkit.7 eval: sets arc_state and more"

# grep-prefix: two files, one line each per name, prefixed by the file.
cp "$T/sealed" "$T/a.eml"
sed 's/^body$/body, changed/' "$T/sealed" >"$T/b.eml"
cd "$T" || exit 1
run arc-verify --dns-zone zone --time "$T0" a.eml b.eml
cd - >/dev/null || exit 1
is "$rc:$(printf '%s\n' "$out" | grep ' arc_state=')" \
    "1:$(block man/mxkit.7 grep-prefix)" \
    "mxkit.7 grep-prefix: what arc-verify prints for two files (exit 1: one fails)"

# --syslog: the diagnostic reaches /dev/log as "<PRI>... tool[pid]: text",
# facility mail (2): err is 19, info 22.  A listener's socket is bound over
# /dev/log in a private mount namespace; /dev is an overlay there, so that
# nothing is made in the real /dev.
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null ||
    ! unshare -m true 2>/dev/null; then
	skip 11 "no private mount namespace here (unshare -m, as root)"
	done_testing
fi
cat >"$T/listen.py" <<'EOF'
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
os.rename(sys.argv[2] + ".tmp", sys.argv[2])
with open(sys.argv[2], "ab", buffering=0) as out:
    while True:
        out.write(s.recv(65536) + b"\n")
EOF
# inns COMMAND...: run the command with a listener on /dev/log; what it
# received is in $T/log.
inns() {
	rm -f "$T/log" "$T/log.sock"
	rm -rf "$T/up" "$T/wk"
	mkdir "$T/up" "$T/wk"
	: >"$T/log.tmp"
	unshare -m sh -c '
		T=$1
		shift
		mount -t overlay overlay -o \
		    "lowerdir=/dev,upperdir=$T/up,workdir=$T/wk" /dev ||
		    exit 77
		/usr/bin/python3 "$T/listen.py" "$T/log.sock" "$T/log" &
		i=0
		while [ ! -S "$T/log.sock" ] && [ $i -lt 100 ]; do
			sleep 0.05
			i=$((i + 1))
		done
		rm -f /dev/log
		: >/dev/log && mount --bind "$T/log.sock" /dev/log || exit 77
		"$@"
		rc=$?
		sleep 0.2
		kill $!
		wait $! 2>/dev/null
		exit $rc
	' sh "$T" "$@"
}
run inns arc-verify --syslog --accept pas "$T/sealed"
if [ "$rc" = 77 ]; then
	skip 11 "cannot mount an overlay on /dev or bind /dev/log here"
	done_testing
fi
is "$rc" 64 "--syslog: arc-verify's usage error still 64"
is "$err" "" "  nothing on stderr"
like "$(cat "$T/log")" \
    "^<19>.* arc-verify\\[[0-9]*\\]: bad --accept 'pas': unknown item 'pas'\$" \
    "  and to syslog: mail.err, tagged arc-verify[pid]"
run inns arc-verify --syslog -v --dns-zone "$T/zone" --time "$T0" \
    "$T/sealed"
like "$(cat "$T/log")" "^<22>.* arc-verify\\[[0-9]*\\]: .*sealed: arc=pass\$" \
    "  -v: the report at mail.info"
run inns arc-sign --syslog -d d.example -s s -k "$T/absent.pem" "$T/m"
is "$rc:$out" 66: "--syslog: arc-sign, a missing key still 66"
is "$err" "" "  nothing on stderr"
like "$(cat "$T/log")" "^<19>.* arc-sign\\[[0-9]*\\]: .*absent.pem" \
    "  the reason to syslog, mail.err, tagged arc-sign[pid]"
run inns srs-forward --syslog --secret-file "$T/absent" -d fwd.example \
    a@ex.org
is "$rc:$out" 66: "--syslog: srs-forward, a missing secret file still 66"
like "$(cat "$T/log")" "^<19>.* srs-forward\\[[0-9]*\\]: .*'$T/absent'" \
    "  the reason to syslog, mail.err, tagged srs-forward[pid]"
run inns arc-verify --dns-zone "$T/zone" --accept pas "$T/sealed"
is "$rc" 64 "without --syslog: the same error"
is "$(cat "$T/log")" "" "  and nothing to syslog"
ok "the real /dev has no log made by the test" \
    test ! -e /dev/log -o -S /dev/log
done_testing
