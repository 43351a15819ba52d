#!/bin/sh
# Round trips measured, not assumed: Debian's Exim 4.96 (t/exim-smtp.sh)
# behind scripts/bench/delay-relay --accept-delay holding every byte 50 ms
# each way, so a round trip is 100 ms of wall time (this kernel has no
# netem).  For plain and early-pipelined sessions, in clear and with
# STARTTLS, probing and sending, the round trips smtp-probe reports must
# be the time the session took over the round trip: the connect is free
# through the relay (the kernel answers it), so a session the tool counts
# N round trips takes N - 1 of them.  Early pipelining saves 1 round trip
# in clear and 2 with STARTTLS when probing (REFERENCES: the EHLO goes
# with the banner's wait, STARTTLS with it too); sending saves the same,
# measured and shown beside the draft's claim (1.5 and 2.5): the early
# transaction is MAIL, RCPT and DATA, and the message waits for the
# fresh EHLO reply, so it costs the flight BDAT would have saved.
# Local work only ever adds to a session's time (the relay never lets a
# round trip take less than 100 ms), so a session of N - 1 round trips
# takes at least that and less than one more: busy machines add tens of
# milliseconds, never a round trip.
. "${MX_SRCDIR:-.}/t/lib.sh"
need openssl
[ -x "$MX_BUILDDIR/tools/smtp-probe" ] || skip_all "smtp-probe not built"
. "$MX_SRCDIR/t/exim-smtp.sh"
need_exim
cd "$T" || exit 1

# Exim's spool on tmpfs when there is one: it fsyncs each message before
# its 250, which on a busy disk costs more than a round trip's slack.
E=$T/exim
if [ "$(stat -f -c %T /dev/shm 2>/dev/null)" = tmpfs ] &&
    SHM=$(mktemp -d /dev/shm/mxkit-t77.XXXXXX); then
	E=$SHM/exim
	trap '_cleanup; rm -rf "$SHM"' EXIT
fi
exim_smtp_start "$E" 2>exim.err ||
    { cat exim.err; echo "Bail out! exim did not start"; exit 1; }
D=50
RTT=$((2 * D))
RP=$(free_port)
daemon "$PY" "$MX_SRCDIR/scripts/bench/delay-relay" --delay-ms "$D" \
    --accept-delay --listen "127.0.0.1:$RP" --to "127.0.0.1:$EXIM_PORT"
wait_port "$RP" || { echo "Bail out! delay-relay did not come up"; exit 1; }

# --- the relay: the delay it adds, measured ---------------------------------
# The banner a round trip after the connect (the server accepts half a
# round trip later, its banner takes the other half), an EHLO a round
# trip; the medians of five sessions, in ms.
# shellcheck disable=SC2046 # two numbers
set -- $($PY - "$RP" <<'EOF'
import socket, statistics, sys, time
port = int(sys.argv[1])
def reply(f):
    while True:
        line = f.readline()
        if line[3:4] != b"-":
            return line
def session():
    s = socket.create_connection(("127.0.0.1", port), 5)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    f = s.makefile("rb")
    t = time.monotonic()
    reply(f)
    b = time.monotonic() - t
    t = time.monotonic()
    s.sendall(b"EHLO rtt.test\r\n")
    reply(f)
    e = time.monotonic() - t
    s.sendall(b"QUIT\r\n")
    s.shutdown(socket.SHUT_WR)
    reply(f)
    s.close()
    return b, e
v = [session() for i in range(5)]
print("%.0f %.0f" % (1000 * statistics.median(x[0] for x in v),
                     1000 * statistics.median(x[1] for x in v)))
EOF
)
near() {	# near MS WANT: MS within [WANT - 5, WANT + RTT / 2)
	awk -v m="$1" -v w="$2" -v r="$RTT" \
	    'BEGIN { exit !(m >= w - 5 && m < w + r / 2) }'
}
ok "relay: the banner comes a round trip after the connect (${1-?} ms)" \
    near "${1-0}" "$RTT"
ok "relay: an EHLO takes a round trip (${2-?} ms)" near "${2-0}" "$RTT"

# --- smtp-probe through it ----------------------------------------------------
# probe1 NAME ARGS...: smtp-probe --json through the relay, its JSON in
# NAME.json, its exit status in $rc; standard input from $IN.
IN=/dev/null
probe1() {
	_name=$1
	shift
	smtp-probe --json --timeout 10 --helo rtt.test "$@" \
	    "[127.0.0.1]:$RP" <"$IN" >"$_name.json" 2>"$_name.err"
	rc=$?
	[ ! -s "$_name.err" ] || diag "$_name: $(head -n 1 "$_name.err")"
}
# probe NAME ARGS...: probe1, and again (three runs at most) while a
# session of it took half a round trip or more over the round trips it
# counted: a busy machine.  Local work only adds, so a count too high is
# never run again, and a count too low is as slow every time.  Not for a
# run that changes the cache's state.
probe() {
	_k=1
	probe1 "$@"
	while [ "$rc" -eq 0 ] && [ "$_k" -lt 3 ] && slow "$1"; do
		diag "$1: slow, measured again"
		_k=$((_k + 1))
		probe1 "$@"
	done
}
# slow NAME: a session of NAME.json (--compare: either) took RTT / 2 - 5
# ms or more over the round trips it counted, the connect's free.
slow() {
	$PY -c 'import json, sys
d = json.loads(open(sys.argv[1]).readline())
rtt = int(sys.argv[2])
for s in [d["without"], d["with"]] if "without" in d else [d]:
    ms = s["ms"] if "ms" in s else s["times"]["total"]
    if ms - (s["rtts"] - s.get("sessions", 1)) * rtt >= rtt / 2 - 5:
        sys.exit(0)
sys.exit(1)' "$1.json" "$RTT" 2>/dev/null
}
# j NAME EXPR: EXPR (Python, over d, the JSON object in NAME.json).
j() {
	$PY -c 'import json, sys
try:
    d = json.loads(open(sys.argv[2]).readline())
    print(eval(sys.argv[1]))
except Exception as e:
    print("?")' "$2" "$1.json"
}
# taken MS: round trips MS took: MS over the round trip, rounded.
taken() {
	awk -v m="$1" -v r="$RTT" 'BEGIN {
		if (m == "?" || m == "None") print "?"; else printf "%d\n", m / r + 0.5 }'
}
# whole MS: whole round trips in MS, local work over them ignored (up to a
# round trip, less 5 ms for the clocks).
whole() {
	awk -v m="$1" -v r="$RTT" 'BEGIN {
		if (m == "?" || m == "None") print "?"; else printf "%d\n", (m + 5) / r }'
}
# session NAME EARLY [untimed]: a probe's facts checked: exit 0, early
# pipelining used or not, and its round trips the time it took (not for a
# run probe1 made: it was not measured again when slow).
session() {
	is "$rc" 0 "$1: exit 0"
	is "$(j "$1" 'str(d["early"]).lower()')" "$2" "$1: early is $2"
	[ "${3-}" != untimed ] || return 0
	_r=$(j "$1" 'd["rtts"]')
	_t=$(j "$1" 'd["times"]["total"]')
	is "$(whole "$_t")" "$((_r - 1))" \
	    "$1: $_r round trips, the connect's free: $_t ms"
}
# saving PLAIN EARLY N: early pipelining saved N round trips, counted and
# measured.
saving() {
	_rp=$(j "$1" 'd["rtts"]')
	_re=$(j "$2" 'd["rtts"]')
	is "$((_rp - _re))" "$3" "$2: $3 round trips fewer than $1"
	is "$(j "$2" 'd["rtt_saved"]')" "$3" "$2: rtt_saved says $3"
	is "$(j "$2" 'd["rtts_plain"]')" "$_rp" \
	    "$2: rtts_plain is what $1 took"
	_ms=$(awk -v a="$(j "$1" 'd["times"]["total"]')" \
	    -v b="$(j "$2" 'd["times"]["total"]')" 'BEGIN { print a - b }')
	is "$(taken "$_ms")" "$3" "$2: $3 round trips saved, measured ($_ms ms)"
}

# In clear: the first probe with a cache is a plain one and fills it; the
# next pipelines early.  The same with STARTTLS, from a cache of its own
# (with the entry in clear, its first probe would pipeline already).
C=$T/cache
CT=$T/cache-tls
probe1 clear-fill --no-starttls --cache "$C"
session clear-fill false untimed
probe clear-plain --no-starttls --no-early
session clear-plain false
is "$(j clear-plain 'd["rtts"]')" 4 \
    "clear-plain: connect, banner, EHLO, QUIT: 4 round trips"
probe clear-early --no-starttls --cache "$C"
session clear-early true
saving clear-plain clear-early 1

probe1 tls-fill --starttls --cache "$CT"
session tls-fill false untimed
probe tls-plain --starttls --no-early
session tls-plain false
is "$(j tls-plain 'd["tls"]["version"]')" TLSv1.3 \
    "tls-plain: TLS 1.3, a handshake of one round trip"
is "$(j tls-plain 'd["rtts"]')" 7 \
    "tls-plain: connect, banner, EHLO, STARTTLS, handshake, EHLO, QUIT: 7"
probe tls-early --starttls --cache "$CT"
session tls-early true
saving tls-plain tls-early 2

# compare NAME ARG N: --compare in one run saves N round trips, counted and
# measured.
compare() {
	probe "compare-$1" --compare "$2"
	is "$rc" 0 "compare $1: exit 0"
	is "$(j "compare-$1" 'd["rtt_saved"]')" "$3" \
	    "compare $1: $3 round trips saved"
	is "$(j "compare-$1" 'd["without"]["rtts"] - d["with"]["rtts"]')" \
	    "$3" "compare $1: the two sessions' round trips differ by $3"
	_ms=$(j "compare-$1" 'd["ms_saved"]')
	is "$(taken "$_ms")" "$3" "compare $1: ms_saved is $3 round trips ($_ms)"
	_ms=$(j "compare-$1" \
	    'd["without"]["times"]["total"] - d["with"]["times"]["total"]')
	is "$(taken "$_ms")" "$3" "compare $1: the sessions' times say so too"
}
compare clear --no-starttls 1
compare tls --starttls 2

# --- sending: what early pipelining saves, measured -------------------------
{
	echo 'From: rtt <rtt@probe.test>'
	echo 'To: sink <sink@probe.test>'
	echo 'Subject: round trips'
	echo
	echo 'a message sent through the delay relay'
} >msg
# send NAME ARGS...: smtp-probe --send of msg, checked: exit 0, one
# session, its round trips the time it took (one connect free).
send() {
	_name=$1
	shift
	IN=msg
	probe "$_name" --send --from rtt@probe.test --to sink@probe.test "$@"
	IN=/dev/null
	is "$rc" 0 "$_name: exit 0, accepted"
	_s=$(j "$_name" 'd["sessions"]')
	_r=$(j "$_name" 'd["rtts"]')
	_t=$(j "$_name" 'd["ms"]')
	is "$(whole "$_t")" "$((_r - _s))" \
	    "$_name: $_r round trips in $_s session(s): $_t ms"
}
# sendpair NAME ARG N DRAFT CACHE: a plain and an early delivery, the
# saving measured, the N round trips probing saves; the draft claims
# DRAFT.
sendpair() {
	send "send-$1-plain" "$2" --no-early
	send "send-$1-early" "$2" --cache "$5"
	_rp=$(j "send-$1-plain" 'd["rtts"]')
	_re=$(j "send-$1-early" 'd["rtts"]')
	_ms=$(awk -v a="$(j "send-$1-plain" 'd["ms"]')" \
	    -v b="$(j "send-$1-early" 'd["ms"]')" 'BEGIN { print a - b }')
	is "$(taken "$_ms")" "$((_rp - _re))" \
	    "send $1: early pipelining saved $((_rp - _re)) round trips, measured"
	is "$((_rp - _re))" "$3" "send $1: it saves what probing does ($3)"
	diag "send $1: $_rp round trips plain, $_re early: saved" \
	    "$((_rp - _re)), $_ms ms (draft: up to $4)"
}
sendpair clear --no-starttls 1 1.5 "$C"
sendpair tls --starttls 2 2.5 "$CT"
ok "every message sent arrived" exim_smtp_wait_mail 4
diag "exim logged early pipelining (L*) on $(grep -c ' L\*' "$EXIM_LOG")" \
    "of $(grep -c ' <= ' "$EXIM_LOG") messages"

done_testing
