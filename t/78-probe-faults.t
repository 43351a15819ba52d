#!/bin/sh
# smtp-probe against servers that misbehave, each made by a real peer,
# t/data/smtp-script-server: an endless multi-line reply (as fast as it
# goes, and dripping), a reply line of 1 MB, bytes after the greeting, a
# stall in the middle of a reply, a reset during STARTTLS, a silent
# server, a dead port, garbage: each a one-line diagnostic and the exit
# status of the page (1 a broken protocol, 75 what a retry may cure, 69
# nobody there), every wait bounded by --timeout (measured).  The cache:
# a corrupt entry dropped alone, a foreign file left byte for byte, a
# save that cannot be made warned about, and a file never seen half
# written (temp file and rename, a lock against concurrent probes).  And
# what no Debian server sends: LIMITS valid, malformed and changing
# after STARTTLS, the three spellings of early pipelining, odd
# multi-line replies.
. "${MX_SRCDIR:-.}/t/lib.sh"
need openssl strace flock
[ -x "$MX_BUILDDIR/tools/smtp-probe" ] || skip_all "smtp-probe not built"
cd "$T" || exit 1

SRV=$MX_SRCDIR/t/data/smtp-script-server
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout key.pem -subj /CN=mx.test -days 30 -out cert.pem 2>/dev/null ||
    { echo "Bail out! openssl cannot make a certificate"; exit 1; }

# serve ARGS...: the scripted server on a free port $P, logging to $T/log,
# its pid in $spid.  Its pid file says it listens.  serve_at PORT ARGS...:
# the same on PORT.
serve() {
	serve_at "$(free_port)" "$@"
}
serve_at() {
	P=$1
	shift
	rm -f log pid
	daemon "$PY" "$SRV" --listen "127.0.0.1:$P" --log "$T/log" \
	    --pidfile "$T/pid" "$@"
	spid=$!
	_i=0
	until [ -s pid ]; do
		_i=$((_i + 1))
		[ "$_i" -lt 100 ] || { echo "Bail out! smtp-script-server $*"; exit 1; }
		sleep 0.05
	done
}
unserve() {
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
}
probe() {	# probe ARGS...: smtp-probe at the server, as `run` does
	run smtp-probe --helo client.test "$@" "127.0.0.1:$P"
}
# elapsed COMMAND...: run it as `run` does, its wall time in $took (s).
elapsed() {
	_s=$(date +%s.%N)
	run "$@"
	took=$(awk -v a="$_s" -v b="$(date +%s.%N)" \
	    'BEGIN { printf "%.2f", b - a }')
}
within() {	# within LOW HIGH: $took is in [LOW, HIGH]
	awk -v t="$took" -v l="$1" -v h="$2" 'BEGIN { exit !(t >= l && t <= h) }'
}
# j EXPR: EXPR (Python, over d, the JSON object of $T/out) printed.
j() {
	$PY -c 'import json, sys
d = json.loads(open(sys.argv[2]).readline())
print(eval(sys.argv[1]))' "$1" "$T/out"
}

# --- faults: each a one-line diagnostic, its status, its time ------------
# fault NAME STATUS TIMEOUT LOW HIGH ARGS...: a probe with --timeout
# TIMEOUT of a server started with ARGS gives STATUS within LOW to HIGH
# seconds, a one-line diagnostic, and a JSON report that says what
# failed.  A fault seen at once is given a timeout of 3 s and must end
# in 1.5: it did not wait for the time to run out.
fault() {
	_name=$1 _want=$2 _t=$3 _low=$4 _high=$5
	shift 5
	serve "$@"
	elapsed smtp-probe --helo client.test --timeout "$_t" --json \
	    "127.0.0.1:$P"
	is "$rc" "$_want" "$_name: exit $_want"
	one_line_error smtp-probe "$_name: a one-line diagnostic"
	like "$err" "'127\.0\.0\.1:$P'" "$_name: the diagnostic names the target"
	isnt "$(j 'd.get("error") or ""' 2>/dev/null)" "" \
	    "$_name: the JSON report says what failed"
	ok "$_name: --timeout $_t, within $_low to $_high s ($took s)" \
	    within "$_low" "$_high"
	unserve
}

# A reply past SMTP_LINES_MAX lines is refused as soon as it passes it,
# not read to the end (there is none) nor waited on to the timeout.
fault "endless multi-line EHLO reply" 1 3 0 1.5 --mode endless-multiline
fault "endless multi-line banner" 1 3 0 1.5 --mode endless-multiline \
    --fault-at banner
# The same dripping, a line every 100 ms: each line comes well within the
# timeout, the reply never does; the bound is the reply's, not a line's.
fault "dripping multi-line EHLO reply" 75 1 0.9 2.5 \
    --mode endless-multiline --line-delay 100
fault "1 MB EHLO reply line" 1 3 0 1.5 --mode long-line
fault "1 MB banner line" 1 3 0 1.5 --mode long-line --fault-at banner
fault "bytes after the greeting" 1 3 0 1.5 --mode after-greeting
fault "stall in the middle of the EHLO reply" 75 1 0.9 2.5 \
    --mode stall-mid-reply
fault "stall in the middle of the banner" 75 1 0.9 2.5 \
    --mode stall-mid-reply --fault-at banner
fault "garbage banner" 1 3 0 1.5 --mode garbage --fault-at banner
fault "garbage EHLO reply" 1 3 0 1.5 --mode garbage
fault "closed after the banner" 75 3 0 1.5 --mode close-after-banner
# A reset is the peer going away, which a retry may cure (75), not a
# handshake that failed on its merits (1).
fault "reset during STARTTLS" 75 3 0 1.5 --cert cert.pem --key key.pem \
    --mode reset-in-starttls
fault "4xx banner" 75 3 0 1.5 --banner '421 4.3.2 mx.test busy, try later'
fault "5xx banner" 1 3 0 1.5 --banner '554 5.7.1 mx.test no service here'
fault "4xx EHLO reply" 75 3 0 1.5 --ehlo-reply '421 4.3.2 busy'
fault "5xx EHLO reply" 1 3 0 1.5 --ehlo-reply '550 5.7.1 not you'

# Silent: every wait is the timeout's, whatever it is.
serve --mode silent
for t in 1 2; do
	elapsed smtp-probe --helo client.test --timeout "$t" "127.0.0.1:$P"
	is "$rc" 75 "silent server, --timeout $t: 75"
	one_line_error smtp-probe "silent server, --timeout $t: one line"
	ok "silent server: --timeout $t kept ($took s)" \
	    within "$((t - 1)).9" "$t.9"
done
unserve

# A dead port: refused at once, 69.
P=$(free_port)
elapsed smtp-probe --helo client.test --timeout 5 "127.0.0.1:$P"
is "$rc" 69 "dead port: 69"
one_line_error smtp-probe "dead port: a one-line diagnostic"
ok "dead port: at once ($took s)" within 0 1.5

# --- odd multi-line replies ------------------------------------------------
# keys: the EHLO keywords of the JSON report, upper case, sorted
keys() {
	j '" ".join(sorted(k.upper() for k in d["ehlo"]))'
}
serve --ehlo-reply '250-mx.test' --ehlo-reply '250-PIPELINING' \
    --ehlo-reply '250'
probe --json
is "$rc" 0 "a bare '250' as the last line: a reply like any other"
like "$(keys)" "PIPELINING" "a bare '250': the keywords before it kept"
unserve

serve --ehlo-reply '250-mx.test' --ehlo-reply '251 PIPELINING'
probe
is "$rc" 1 "codes differing between the lines of a reply: 1"
one_line_error smtp-probe "codes differing: a one-line diagnostic"
unserve

serve --banner '220-mx.test first' --banner '221 mx.test second'
probe
is "$rc" 1 "codes differing between the lines of a banner: 1"
unserve

serve --banner '220-mx.test first line' --banner '220-second' \
    --banner '220 mx.test ready'
probe --json
is "$rc" 0 "a multi-line banner: taken"
like "$(j 'd["banner"]')" "first line" "a multi-line banner: reported"
unserve

serve --ehlo-line PIPELINING --ehlo-line 'SIZE 1000' --ehlo-line CHUNKING
probe --json
crlf=$(keys)
unserve
serve --lf --ehlo-line PIPELINING --ehlo-line 'SIZE 1000' \
    --ehlo-line CHUNKING
probe --json
is "$rc" 0 "LF-only line ends: taken"
is "$(keys)" "$crlf" "LF-only line ends: the same keywords as with CRLF"
is "$(j 'd["ehlo"].get("SIZE")')" 1000 "LF-only: SIZE's parameter whole"
unserve

# --- LIMITS (RFC 9422) -------------------------------------------------------
lim() {	# lim: the limits of the JSON report, sorted, NAME=N ...
	j '" ".join("%s=%d" % kv for kv in sorted(d["limits"].items()))'
}
serve --ehlo-line PIPELINING \
    --ehlo-line 'LIMITS RCPTMAX=10 MAILMAX=5 RCPTDOMAINMAX=3'
probe --json
is "$rc:$(lim)" "0:MAILMAX=5 RCPTDOMAINMAX=3 RCPTMAX=10" "LIMITS: all three"
is "$err" "" "LIMITS valid: no warning"
unserve

serve --ehlo-line 'LIMITS rcptmax=7 X-FLAG X-OTHER=abc MAILMAX=2'
probe --json
is "$rc:$(lim)" "0:MAILMAX=2 RCPTMAX=7" \
    "LIMITS: names in any case, unknown names (with or without a value) ignored"
is "$err" "" "LIMITS: unknown names ignored without a word"
unserve

serve --ehlo-line 'LIMITS RCPTMAX=abc MAILMAX=4'
probe --json
is "$rc:$(lim)" "0:MAILMAX=4" "LIMITS: a bad value ignores that limit only"
one_line_error smtp-probe "LIMITS with a bad value: one warning"
like "$err" "RCPTMAX" "LIMITS with a bad value: the warning names it"
unserve

serve --ehlo-line 'LIMITS RCPTMAX=10  MAILMAX=4'
probe --json
is "$rc:$(lim)" "0:" "LIMITS with a grammar error (two blanks): all ignored"
one_line_error smtp-probe "LIMITS with a grammar error: one warning"
unserve

serve --ehlo-line 'LIMITS =3'
probe --json
is "$rc:$(lim)" "0:" "LIMITS with a value and no name: all ignored"
unserve

serve --cert cert.pem --key key.pem --ehlo-line STARTTLS \
    --ehlo-line 'LIMITS RCPTMAX=10 MAILMAX=5' \
    --ehlo-tls-line 'LIMITS RCPTMAX=50'
probe --json
is "$rc:$(lim)" "0:RCPTMAX=50" \
    "LIMITS changed after STARTTLS: those after TLS are in force"
is "$(j 'd["ehlo"]["LIMITS"]')" "RCPTMAX=10 MAILMAX=5" \
    "LIMITS changed after STARTTLS: those in clear still reported"
probe --json --no-starttls
is "$rc:$(lim)" "0:MAILMAX=5 RCPTMAX=10" \
    "LIMITS changed after STARTTLS: --no-starttls keeps those in clear"
unserve

# --- early pipelining in its three spellings -----------------------------
# The banner is held 300 ms, so an early EHLO is waiting when the server
# looks: its log says how many bytes were (early N).
for kw in PIPECONNECT PIPE_CONNECT X_PIPE_CONNECT; do
	rm -f cache
	serve --banner-delay 300 --ehlo-line PIPELINING --ehlo-line "$kw"
	probe --json --cache cache
	is "$rc:$(j 'd["pipeconnect"]'):$(j 'd["early"]')" "0:$kw:False" \
	    "$kw: recognised; the first session not early"
	probe --json --cache cache
	is "$rc:$(j 'd["early"]'):$(j 'd["rtt_saved"]')" "0:True:1" \
	    "$kw: the second session early, a round trip saved"
	like "$(grep '^2 early' log)" '^2 early [1-9]' \
	    "$kw: the server had the EHLO before its banner"
	unserve
done

# An entry that says early pipelining, and the server now silent: the
# early EHLO waits no longer than the timeout.
rm -f cache
serve --ehlo-line PIPELINING --ehlo-line PIPECONNECT
probe --cache cache
unserve
serve_at "$P" --mode silent
elapsed smtp-probe --helo client.test --timeout 1 --cache cache \
    "127.0.0.1:$P"
is "$rc" 75 "early pipelining to a silent server: 75"
ok "early pipelining to a silent server: --timeout 1 kept ($took s)" \
    within 0.9 2.9
unserve

# --- the cache ---------------------------------------------------------------
# Entries of two servers, then the file's last line cut off.
rm -f cache
serve
Pa=$P
probe --cache cache
serve
Pb=$P
probe --cache cache
is "$(grep -c "127\.0\.0\.1:\(${Pa}\|${Pb}\) " cache)" 2 \
    "cache: an entry of each of two servers"
# the entry the file ends with loses its last line; the other stays whole
cut=$(grep -o "127\.0\.0\.1:\(${Pa}\|${Pb}\) " cache | tail -n 1 |
    sed 's/.*://; s/ //')
[ "$cut" = "$Pa" ] && whole=$Pb || whole=$Pa
sed '$d' cache >cut && mv cut cache
serve
Pc=$P
probe --json --cache cache
is "$rc" 0 "corrupt cache: the probe goes on, 0"
one_line_error smtp-probe "corrupt cache: one warning"
like "$err" "cache" "corrupt cache: the warning names the file"
entries() {	# entries PORT: the entries of 127.0.0.1:PORT in the cache
	grep -c "127\.0\.0\.1:$1 " cache
}
is "$(entries "$whole"):$(entries "$cut"):$(entries "$Pc")" "1:0:1" \
    "corrupt cache: the cut entry dropped, the rest kept, the new one added"
probe --cache cache
is "$rc:$err" "0:" "corrupt cache: saved whole again, no warning next time"

printf 'these are my notes, not a cache\n' >foreign
cp foreign foreign.orig
probe --json --cache foreign
is "$rc" 0 "foreign cache file: the probe goes on, 0"
one_line_error smtp-probe "foreign cache file: one warning"
like "$err" "'foreign'" "foreign cache file: the warning names it"
is "$(j 'd["early"]')" False "foreign cache file: not used"
same foreign foreign.orig "foreign cache file: left byte for byte"

elapsed smtp-probe --helo client.test --cache nodir/cache "127.0.0.1:$P"
is "$rc" 0 "cache in a missing directory: the probe goes on, 0"
one_line_error smtp-probe "cache in a missing directory: one warning"

: >busy
flock busy.lock sleep 6 &
fpid=$!
_i=0
while flock -n busy.lock true && [ "$_i" -lt 100 ]; do
	sleep 0.05
	_i=$((_i + 1))
done
elapsed smtp-probe --helo client.test --timeout 1 --cache busy \
    "127.0.0.1:$P"
is "$rc" 0 "cache lock busy: the probe goes on, 0"
one_line_error smtp-probe "cache lock busy: one warning"
ok "cache lock busy: given up after --timeout 1 ($took s)" within 0.9 2.5
kill "$fpid"
wait "$fpid" 2>/dev/null

# Written beside and renamed over, never in place: under strace, the
# file is only ever opened for reading, and comes by a rename from the
# same directory.  (A new server each time: an entry that did not change
# is not saved.)
serve
strace -f -qq -o trace -e trace=open,openat,rename,renameat,renameat2 \
    smtp-probe --helo client.test --cache "$T/cache" "127.0.0.1:$P" \
    >/dev/null 2>&1
is "$(grep "\"$T/cache\"" trace | grep -c 'O_WRONLY\|O_RDWR\|O_TRUNC')" 0 \
    "cache save: the file itself never opened for writing"
like "$(grep 'rename' trace)" "\"$T/[^\"/]*\", [^,]*\"$T/cache\"" \
    "cache save: a file of the same directory renamed over it"

# A big cache (2000 entries of 40 lines, 4 MB) saved while a reader reads
# it over and over: every read is the old file or the new one.
$PY -c 'import sys, time
now = int(time.time())
out = ["mxkit-pcache 1"]
for i in range(2000):
    out.append("entry 10.%d.%d.1:25 0 %d 250 40" % (i >> 8, i & 255, now))
    out.append(" mx%d.example Hello client.test" % i)
    out += [" X-PADDING-%02d %s" % (n, "p" * 80) for n in range(39)]
open("big", "w").write("\n".join(out) + "\n")'
cp big big.orig
probe --cache big
is "$rc:$err" "0:" "big cache: read without a warning"
cp big big.orig
serve
$PY -c 'import hashlib, os, sys, time
seen = set()
end = time.time() + 20
while not os.path.exists("done") and time.time() < end:
    try:
        seen.add(hashlib.sha256(open("big", "rb").read()).hexdigest())
    except OSError:
        seen.add("missing")
open("seen", "w").write("\n".join(sorted(seen)) + "\n")' &
rpid=$!
sleep 0.3
smtp-probe --helo client.test --cache big --no-early "127.0.0.1:$P" \
    >/dev/null 2>&1
sleep 0.3
: >done
wait "$rpid"
old=$(sha256sum <big.orig | cut -d ' ' -f 1)
new=$(sha256sum <big | cut -d ' ' -f 1)
isnt "$new" "$old" "big cache: saved again (the new entry's time)"
is "$(grep -cv -e "^$old\$" -e "^$new\$" seen)" 0 \
    "big cache: never seen half written ($(wc -l <seen) versions seen)"

# --timeout bounds each wait for progress, not a whole write: 4 MB to
# a server reading 800 KB/s through a 16 KB window takes longer than the
# timeout and goes; a server that stops reading is given up within it.
$PY -c 'import sys
line = b"x" * 998 + b"\r\n"
sys.stdout.buffer.write(b"Subject: big\r\n\r\n" + line * 4000)' >big.eml
serve --mode slow-read --ehlo-line PIPELINING --ehlo-line 8BITMIME \
    --maildir "$T/slow"
elapsed smtp-probe --helo client.test --timeout 1 --send \
    --from a@a.example --to b@b.example "127.0.0.1:$P" <big.eml
is "$rc" 0 "slow reader: the big message goes although it takes long"
[ "$rc" = 0 ] || diag "$out" "$err"
ok "slow reader: longer than the timeout ($took s)" within 2 60
cmp -s big.eml slow/msg-0001
is "$?" 0 "slow reader: the message arrived whole"
unserve
serve --mode stop-read --ehlo-line PIPELINING --ehlo-line 8BITMIME
elapsed smtp-probe --helo client.test --timeout 2 --send \
    --from a@a.example --to b@b.example "127.0.0.1:$P" <big.eml
is "$rc" 75 "stopped reader: deferred"
ok "stopped reader: within the timeout ($took s)" within 1.9 4
like "$out" "deferred" "stopped reader: the recipient deferred"
unserve

# Probes at once, each of its own server, one cache: the lock keeps
# every entry.
rm -f cache
ports=
for i in 1 2 3 4 5 6 7 8 9 10; do
	serve
	ports="$ports $P"
done
pids=
for p in $ports; do
	smtp-probe --helo client.test --cache cache "127.0.0.1:$p" \
	    >/dev/null 2>&1 &
	pids="$pids $!"
done
for p in $pids; do
	wait "$p"
done
n=0
for p in $ports; do
	grep -q "127\.0\.0\.1:$p " cache && n=$((n + 1))
done
is "$n" 10 "ten probes at once: every entry kept"

done_testing
