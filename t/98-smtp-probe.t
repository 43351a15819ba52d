#!/bin/sh
# smtp-probe: every option and error path of the command line.  Usage
# errors; the TARGET forms; -4 and -6; the MX lookup through --dns-zone
# (MX by preference, a name without MX, [HOST] skipping it, a null MX,
# NXDOMAIN, no address); a DNS failure; a refused port, a silent server;
# the exit status of each way a server refuses or breaks the protocol, from
# a server that says what the test tells it; the JSON keys against Exim;
# the cache warnings (foreign, corrupt, unwritable) that never change the
# status; --send's usage errors, its message errors, and its status per
# outcome.
. "${MX_SRCDIR:-.}/t/lib.sh"

need openssl

# reply_server PORT REPLY...: on each connection send the first REPLY, then
# one more for each line the client sends, then close; "-" closes at once.
# A REPLY may hold several lines (\n between).  A client's line with no
# REPLY left gets the connection closed.
reply_server() {
	_port=$1
	shift
	daemon $PY -c 'import socket, sys, threading
port, replies = int(sys.argv[1]), sys.argv[2:]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(16)
def say(c, r):
    c.sendall("".join(l + "\r\n" for l in r.split("\\n")).encode())
def serve(c):
    f = c.makefile("rb")
    try:
        for r in replies:
            if r == "-":
                break
            say(c, r)
            if f.readline() == b"":
                break
    except OSError:
        pass
    c.close()
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()' \
	    "$_port" "$@"
	wait_port "$_port"
}

status() {	# status WANT DESCRIPTION: $rc, and a one-line diagnostic
	is "$rc" "$1" "$2: exit $1"
	one_line_error smtp-probe "$2: one-line diagnostic"
}

# --- usage errors ----------------------------------------------------------
run smtp-probe
status 64 "no TARGET"
run smtp-probe a.example b.example
status 64 "two TARGETs"
run smtp-probe -4 -6 127.0.0.1
status 64 "-4 and -6"
run smtp-probe --starttls --no-starttls 127.0.0.1
status 64 "--starttls and --no-starttls"
run smtp-probe --implicit-tls --no-starttls 127.0.0.1
status 64 "--implicit-tls and --no-starttls"
run smtp-probe --compare --no-early 127.0.0.1
status 64 "--compare and --no-early"
run smtp-probe --compare --send --from a@b --to c@d 127.0.0.1
status 64 "--compare and --send"
run smtp-probe --port 0 127.0.0.1
status 64 "--port 0"
run smtp-probe --port 65536 127.0.0.1
status 64 "--port 65536"
run smtp-probe --port 2525 127.0.0.1:2526
status 64 "--port and TARGET's port differ"
run smtp-probe --timeout 0 127.0.0.1
status 64 "--timeout 0"
run smtp-probe --timeout x 127.0.0.1
status 64 "--timeout x"
run smtp-probe --helo 'a b' 127.0.0.1
status 64 "a bad --helo"
for bad in '[127.0.0.1' '[x]y' 'a..b' ':25' '127.0.0.1:' '127.0.0.1:x' \
    'mx.example:70000' 'a:b:c' '[::1]x' '[]' "$(printf 'a\nb')"; do
	run smtp-probe "$bad"
	status 64 "bad TARGET '$bad'"
done
run smtp-probe -4 '[::1]:25'
status 64 "-4 with an IPv6 address"
run smtp-probe -6 127.0.0.1
status 64 "-6 with an IPv4 address"
run smtp-probe --bogus 127.0.0.1
status 64 "an unknown option"

# --send's usage errors, before any connection
run smtp-probe --send --to a@b.example 127.0.0.1 </dev/null
status 64 "--send without --from"
run smtp-probe --send --from a@b.example 127.0.0.1 </dev/null
status 64 "--send without --to"
run smtp-probe --from a@b.example 127.0.0.1
status 64 "--from without --send"
run smtp-probe --to a@b.example 127.0.0.1
status 64 "--to without --send"
run smtp-probe --send --from a@b.example --to 'x y@b.example' 127.0.0.1
status 64 "--to with a blank"
run smtp-probe --send --from '<a@b.example>' --to c@d.example 127.0.0.1
status 64 "--from with angle brackets"
run smtp-probe --send --from a@b.example --to '"c<d"@e.example' 127.0.0.1
status 64 "--to with an angle bracket in quotes"
run smtp-probe --send --from '"a>b"@c.example' --to d@e.example 127.0.0.1
status 64 "--from with an angle bracket in quotes"
# RFC 5321 4.5.3.1.3: a path of 256 octets, 254 between its brackets
long=$(printf '%0250d' 0)
run smtp-probe --send --from a@b.example --to "$long@x.ex" 127.0.0.1
status 64 "--to of 255 octets"
run smtp-probe --send --from "$long@x.ex" --to a@b.example 127.0.0.1
status 64 "--from of 255 octets"

# --- the message of --send, checked before the network --------------------
dead=$(free_port)
run smtp-probe --send --from a@b.example --to c@d.example \
    "127.0.0.1:$dead" </dev/null
status 65 "--send: an empty message"
printf 'Subject: x\n\na\0b\n' >"$T/nul"
run smtp-probe --send --from a@b.example --to c@d.example \
    "127.0.0.1:$dead" <"$T/nul"
status 65 "--send: a NUL"
printf 'Subject: x\n\na\rb\n' >"$T/cr"
run smtp-probe --send --from a@b.example --to c@d.example \
    "127.0.0.1:$dead" <"$T/cr"
status 65 "--send: a bare CR"
run smtp-probe --send --from a@b.example --to c@d.example \
    "127.0.0.1:$dead" <"$T"
status 66 "--send: standard input unreadable (a directory)"
run smtp-probe --send --from a@b.example --to c@d.example \
    "127.0.0.1:$dead" <&-
status 66 "--send: standard input closed"
# A read error that is not the input's kind (EIO: the test shell's own
# unmapped page 0) is a local fault a retry may mend: 75, not 66.
run smtp-probe --send --from a@b.example --to c@d.example \
    "127.0.0.1:$dead" <"/proc/$$/mem"
status 75 "--send: a read error on standard input"
# The longest address a path takes (254 octets) goes: deferred at the
# dead port, not refused unsent.
printf 'Subject: x\n\nb\n' >"$T/msg1"
run smtp-probe --send --from a@b.example --to "$(printf '%0249d' 0)@x.ex" \
    "127.0.0.1:$dead" <"$T/msg1"
status 75 "--to of 254 octets: sent, deferred"

# --- DNS: MX lookup through --dns-zone --------------------------------------
p1=$(free_port)
cat >"$T/zone" <<EOF
\$ORIGIN example.
@	3600 IN SOA ns.example. h.example. 1 3600 600 86400 300
mx	3600 IN MX 20 backup.mx
	3600 IN MX 10 primary.mx
primary.mx	3600 IN A 127.0.0.1
backup.mx	3600 IN A 127.0.0.1
plain	3600 IN A 127.0.0.1
bracket	3600 IN MX 10 nowhere
bracket	3600 IN A 127.0.0.1
nomail	3600 IN MX 0 .
v6only	3600 IN AAAA ::1
noaddr	3600 IN TXT "no address here"
deadmx	3600 IN MX 10 noaddr
EOF
reply_server "$p1" '220 zone.example ESMTP' \
    '250-zone.example\n250 PIPELINING' '221 bye'
z="--dns-zone $T/zone --no-starttls --port $p1"
run smtp-probe $z mx.example
is "$rc" 0 "MX: a session opened and closed"
like "$out" "^host: primary.mx.example" "MX: the preferred host first"
like "$out" "peer: 127.0.0.1:$p1" "MX: the address that answered"
run smtp-probe $z plain.example
is "$rc:$(printf '%s\n' "$out" | sed -n 's/^host: //p')" \
    "0:plain.example" "no MX: the name itself"
run smtp-probe $z '[bracket.example]'
is "$rc:$(printf '%s\n' "$out" | sed -n 's/^host: //p')" \
    "0:bracket.example" "[HOST]: no MX lookup, its own address"
run smtp-probe $z bracket.example
status 68 "HOST with an MX to a name that does not exist"
run smtp-probe $z nomail.example
status 68 "a null MX"
like "$err" "null MX" "a null MX: said so"
run smtp-probe $z nosuch.example
status 68 "NXDOMAIN"
run smtp-probe $z noaddr.example
status 68 "a name without address"
run smtp-probe $z deadmx.example
status 68 "an MX host without address"
run smtp-probe --dns-zone "$T/nozone" 127.0.0.1:1
isnt "$rc" 68 "an address needs no zone"
run smtp-probe --dns-zone "$T/nozone" mx.example
status 66 "a zone file that is not there"

# -4 and -6: only that family's addresses
p6=$(free_port)
daemon $PY -c 'import os, socket, sys
s = socket.socket(socket.AF_INET6)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("::1", int(sys.argv[1])))
s.listen(4)
open(sys.argv[2], "w").write("%d\n" % os.getpid())
while True:
    c, _ = s.accept()
    c.sendall(b"220 v6 ESMTP\r\n")
    f = c.makefile("rb")
    f.readline()
    c.sendall(b"250 v6\r\n")
    f.readline()
    c.sendall(b"221 bye\r\n")
    c.close()' "$p6" "$T/v6.pid"
_i=0
until [ -s "$T/v6.pid" ] || [ "$_i" -ge 100 ]; do
	sleep 0.05
	_i=$((_i + 1))
done
run smtp-probe --dns-zone "$T/zone" --no-starttls --port "$p6" -4 \
    v6only.example
status 68 "-4 and a name with only AAAA"
run smtp-probe --dns-zone "$T/zone" --no-starttls --port "$p6" -6 \
    v6only.example
is "$rc" 0 "-6: the IPv6 address"
like "$out" "peer: \\[::1\\]:$p6" "-6: peer in brackets"
run smtp-probe --no-starttls "[::1]:$p6"
is "$rc" 0 "[IPv6]:PORT"
run smtp-probe --no-starttls --port "$p6" ::1
is "$rc" 0 "a bare IPv6 address with --port"
run smtp-probe --dns-zone "$T/zone" --no-starttls --port "$p1" -4 \
    mx.example
is "$rc" 0 "-4: the IPv4 address"

# A resolver that does not answer: a temporary failure, within --timeout.
udp=$(dead_udp_port)
start=$(date +%s)
run smtp-probe --resolver "127.0.0.1@$udp" --timeout 1 mx.example
status 75 "a DNS timeout"
ok "a DNS timeout: within the timeout" test $(($(date +%s) - start)) -le 4

# --- connections ------------------------------------------------------------
run smtp-probe --no-starttls "127.0.0.1:$dead"
status 69 "a refused connection"
# A server that takes the connection and says nothing.
ps=$(free_port)
daemon $PY -c 'import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
time.sleep(3600)' "$ps"
wait_port "$ps"
start=$(date +%s)
run smtp-probe --timeout 1 "127.0.0.1:$ps"
status 75 "a silent server"
ok "a silent server: within the timeout" test $(($(date +%s) - start)) -le 3

# --- the exit status of each answer -----------------------------------------
probe_with() {	# probe_with WANT DESCRIPTION [option...] -- REPLY...
	_want=$1 _what=$2
	shift 2
	_opts=
	while [ "$1" != -- ]; do
		_opts="$_opts $1"
		shift
	done
	shift
	_p=$(free_port)
	reply_server "$_p" "$@"
	run smtp-probe --timeout 5 $_opts "127.0.0.1:$_p"
	if [ "$_want" -eq 0 ]; then
		is "$rc:$err" "0:" "$_what: exit 0, no diagnostic"
	else
		status "$_want" "$_what"
	fi
}
probe_with 0 "220, 250, 221" -- '220 ok' '250-ok\n250 PIPELINING' '221 bye'
probe_with 0 "no 221 to QUIT" -- '220 ok' '250 ok' -
probe_with 1 "a 554 banner" -- '554 go away'
probe_with 75 "a 421 banner" -- '421 busy'
probe_with 1 "a 550 to EHLO" -- '220 ok' '550 no'
probe_with 75 "a 421 to EHLO" -- '220 ok' '421 not now'
probe_with 1 "a malformed banner" -- 'hello there'
probe_with 1 "a malformed EHLO reply" -- '220 ok' '250-ok\n251 mixed codes'
probe_with 75 "closed after the banner" -- '220 ok' -
probe_with 75 "closed at once" -- -
probe_with 1 "--starttls and no STARTTLS" --starttls -- \
    '220 ok' '250-ok\n250 PIPELINING' '221 bye'
probe_with 75 "a 454 to STARTTLS" --starttls -- \
    '220 ok' '250-ok\n250 STARTTLS' '454 not now' '221 bye'
probe_with 1 "a 502 to STARTTLS" --starttls -- \
    '220 ok' '250-ok\n250 STARTTLS' '502 no such command' '221 bye'
probe_with 1 "a TLS handshake with no TLS" --starttls -- \
    '220 ok' '250-ok\n250 STARTTLS' '220 go ahead' 'this is no TLS'
probe_with 0 "--no-starttls and STARTTLS offered" --no-starttls -- \
    '220 ok' '250-ok\n250 STARTTLS' '221 bye'
probe_with 1 "--implicit-tls with a clear server" --implicit-tls -- \
    '220 ok' '250 ok' '221 bye'

# LIMITS the server gets wrong: a warning, the limit ignored, exit 0
pl=$(free_port)
reply_server "$pl" '220 ok' '250-ok\n250-LIMITS RCPTMAX=0 MAILMAX=5\n250 PIPELINING' \
    '221 bye'
run smtp-probe --json "127.0.0.1:$pl"
is "$rc" 0 "a bad LIMITS value: exit 0"
one_line_error smtp-probe "a bad LIMITS value: one warning"
like "$err" "LIMITS" "a bad LIMITS value: the warning says LIMITS"
like "$out" '"limits":\{"MAILMAX":5\}' "a bad LIMITS value: the others kept"

# --- the cache never changes the status --------------------------------------
pc=$(free_port)
reply_server "$pc" '220 ok' '250-ok\n250-PIPECONNECT\n250 PIPELINING' \
    '221 bye'
printf 'this is not a cache\nof anyone\n' >"$T/foreign"
cp "$T/foreign" "$T/foreign.orig"
run smtp-probe --cache "$T/foreign" "127.0.0.1:$pc"
is "$rc" 0 "a foreign cache file: exit 0"
one_line_error smtp-probe "a foreign cache file: one warning"
like "$err" "foreign|not a cache" "a foreign cache file: said so"
same "$T/foreign" "$T/foreign.orig" "a foreign cache file: left byte for byte"

run smtp-probe --cache "$T/cache" "127.0.0.1:$pc"
is "$rc:$err" "0:" "a new cache: exit 0, no warning"
ok "a new cache: written" test -s "$T/cache"
run smtp-probe --json --cache "$T/cache" "127.0.0.1:$pc"
like "$out" '"early":true' "the cache used: early pipelining"
like "$out" '"cache":"hit' "the cache used: its note says hit"
# a corrupt entry: the file's first line kept, an entry made garbage
{ head -n 1 "$T/cache"; printf 'garbage that is no entry\n'; } \
    >"$T/corrupt"
run smtp-probe --cache "$T/corrupt" "127.0.0.1:$pc"
is "$rc" 0 "a corrupt cache entry: exit 0"
one_line_error smtp-probe "a corrupt cache entry: one warning"
like "$err" "corrupt|dropped" "a corrupt cache entry: said so"
run smtp-probe --cache "$T/corrupt" "127.0.0.1:$pc"
is "$rc:$err" "0:" "a corrupt cache entry: dropped, the next run is clean"
run smtp-probe --cache "$T/nodir/cache" "127.0.0.1:$pc"
is "$rc" 0 "a cache that cannot be written: exit 0"
one_line_error smtp-probe "a cache that cannot be written: one warning"
mkdir "$T/dircache"
run smtp-probe --cache "$T/dircache" "127.0.0.1:$pc"
is "$rc" 0 "a cache that is a directory: exit 0"
one_line_error smtp-probe "a cache that is a directory: one warning"
ok "a cache that is a directory: left a directory" test -d "$T/dircache"

# --- --send: the status per outcome -------------------------------------------
send_with() {	# send_with WANT DESCRIPTION RCPT... -- REPLY...
	_want=$1 _what=$2
	shift 2
	_to=
	while [ "$1" != -- ]; do
		_to="$_to --to $1"
		shift
	done
	shift
	_p=$(free_port)
	reply_server "$_p" "$@"
	printf 'Subject: t\n\nbody\n' >"$T/msg"
	run smtp-probe --timeout 5 --send --from a@b.example $_to \
	    "127.0.0.1:$_p" <"$T/msg"
	is "$rc" "$_want" "--send, $_what: exit $_want"
}
send_with 0 "all accepted" x@c.example y@c.example -- '220 ok' '250 ok' \
    '250 sender ok' '250 rcpt ok' '250 rcpt ok' '354 go' '250 queued' \
    '221 bye'
like "$out" "x@c.example: accepted 250" "--send: a line per recipient"
like "$out" "sent: 2 accepted, 0 deferred, 0 refused" "--send: the summary"
send_with 1 "one refused, none deferred" x@c.example y@c.example -- \
    '220 ok' '250 ok' '250 sender ok' '550 no such user' '250 rcpt ok' \
    '354 go' '250 queued' '221 bye'
like "$out" "x@c.example: refused 550" "--send: refused, with the reply"
send_with 75 "one deferred, one refused" x@c.example y@c.example -- \
    '220 ok' '250 ok' '250 sender ok' '550 no such user' '451 later' \
    '221 bye'
like "$out" "y@c.example: deferred 451" "--send: deferred, with the reply"
send_with 75 "the session dies" x@c.example -- '220 ok' '250 ok' -
send_with 75 "a connection closed at once" x@c.example -- -
run smtp-probe --json --send --from a@b.example --to x@c.example \
    "127.0.0.1:$dead" <"$T/msg"
is "$rc" 75 "--send to a dead port: deferred, 75"
ok "--send --json: recipients, sessions, transactions, rtts" \
    $PY -c 'import json, sys
d = json.loads(sys.argv[1])
r = d["recipients"][0]
assert r["addr"] == "x@c.example" and r["state"] == "deferred", r
for k in ("sessions", "transactions", "rtts", "accepted", "deferred",
        "refused"):
    assert k in d, k' "$out"

# --- review findings -----------------------------------------------------------
unlike() {	# unlike GOT ERE DESCRIPTION
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		_result 1 "$3"
		diag "     got: '$1'" "expected not to match: /$2/"
	else
		_result 0 "$3"
	fi
}
SRV=$MX_SRCDIR/t/data/smtp-script-server
# srv PORT ARGS...: the scripted server on 127.0.0.1:PORT (or ADDR:PORT
# given as PORT), logging to $T/srv.log; it listens once its pid file is.
srv() {
	case $1 in *:*) _l=$1 ;; *) _l=127.0.0.1:$1 ;; esac
	shift
	rm -f "$T/srv.pid"
	daemon "$PY" "$SRV" --listen "$_l" --log "$T/srv.log" \
	    --pidfile "$T/srv.pid" "$@"
	_i=0
	until [ -s "$T/srv.pid" ]; do
		_i=$((_i + 1))
		[ "$_i" -lt 100 ] || { echo "Bail out! $SRV $*"; exit 1; }
		sleep 0.05
	done
}
printf 'Subject: t\n\nbody\n' >"$T/msg"

# Under --send a fault of the session is a deferral, not a refusal: 75,
# where a probe says 1.
p7=$(free_port)
srv "$p7" --ehlo-reply '250-mx.test' --ehlo-reply '251 PIPELINING'
run smtp-probe --timeout 5 --send --from a@b.example --to x@c.example \
    "127.0.0.1:$p7" <"$T/msg"
is "$rc" 75 "--send, a malformed EHLO reply: exit 75"
run smtp-probe --timeout 5 "127.0.0.1:$p7"
is "$rc" 1 "a probe, a malformed EHLO reply: exit 1"
p7=$(free_port)
srv "$p7" --ehlo-line PIPELINING
run smtp-probe --timeout 5 --starttls --send --from a@b.example \
    --to x@c.example "127.0.0.1:$p7" <"$T/msg"
is "$rc" 75 "--send --starttls, a server without STARTTLS: exit 75"
run smtp-probe --timeout 5 --starttls "127.0.0.1:$p7"
is "$rc" 1 "a probe, --starttls and no STARTTLS: exit 1"

# A delivery whose report cannot be written is still a delivery.
pf=$(free_port)
reply_server "$pf" '220 ok' '250 ok' '250 sender ok' '250 rcpt ok' '354 go' \
    '250 queued' '221 bye'
smtp-probe --timeout 5 --send --from a@b.example --to x@c.example \
    "127.0.0.1:$pf" <"$T/msg" >/dev/full 2>"$T/err"
rc=$? err=$(cat "$T/err")
is "$rc" 0 "--send >/dev/full: delivered, exit 0 (not 74: never bounced)"
one_line_error smtp-probe "--send >/dev/full: one warning"
run smtp-probe --timeout 5 "127.0.0.1:$pf"
smtp-probe --timeout 5 "127.0.0.1:$pf" >/dev/full 2>/dev/null
is "$?" 74 "a probe >/dev/full: still 74"

# Local faults in send mode are 75: the MTA retries, never bounces.
run smtp-probe --send --from a@b.example --to x@c.example \
    --dns-zone "$T/nozone" mx.example <"$T/msg"
status 75 "--send: a zone file that is not there: 75, not 66"
if nomem; then
	head -c 400000 /dev/zero | tr '\0' 'a' | fold -w 70 >"$T/big"
	run env LD_PRELOAD="$T/nomem.so" smtp-probe --send --from a@b.example \
	    --to x@c.example "127.0.0.1:$dead" <"$T/big"
	status 75 "--send out of memory: 75, not 71"
	run env LD_PRELOAD="$T/nomem.so" MX_NOMEM_OVER=1024 smtp-probe \
	    --dns-zone "$T/zone" --no-starttls mx.example
	isnt "$rc" 75 "a probe out of memory: not 75"
else
	skip 3 "no nomem.so here (no cc, or the sanitizers)"
fi

# Server text on a terminal: no control byte of the server's reaches it.
pe=$(free_port)
reply_server "$pe" "$(printf '220 ok\033]0;owned\007 \\ here')" \
    "$(printf '250-ok\\n250-X\033[2JY\\n250 PIPELINING\r')" '221 bye'
run smtp-probe -v --no-starttls "127.0.0.1:$pe"
is "$rc" 0 "control bytes: exit 0"
ok "control bytes: no ESC on stdout" \
    sh -c '! grep -q "$(printf "\033")" "$1"' - "$T/out"
like "$out" 'banner: 220 ok\\x1b\]0;owned\\x07 \\x5c here' \
    "control bytes: the banner escaped"
like "$out" 'ehlo: X\\x1b\[2JY' "control bytes: the keyword escaped"
run smtp-probe --json --no-starttls "127.0.0.1:$pe"
ok "JSON: step text escaped once (raw text, one JSON escape)" \
    $PY -c 'import json, sys
d = json.loads(sys.argv[1])
t = [s["text"] for f in d["flights"] for s in f["steps"] if s["code"] == 220]
assert t == ["ok\x1b]0;owned\x07 \\ here"], t' "$out"
ps2=$(free_port)
reply_server "$ps2" '220 ok' '250 ok' '250 sender ok' \
    "$(printf '550 no \033[31m\\ user')" '221 bye'
run smtp-probe --timeout 5 --send --from a@b.example --to x@c.example \
    "127.0.0.1:$ps2" <"$T/msg"
like "$out" 'x@c.example: refused 550 no \\x1b\[31m\\x5c user' \
    "--send text: the reply escaped"
run smtp-probe --json --timeout 5 --send --from a@b.example \
    --to x@c.example "127.0.0.1:$ps2" <"$T/msg"
ok "--send JSON: the reply escaped once; session from 1; host kept" \
    $PY -c 'import json, sys
d = json.loads(sys.argv[1])
r = d["recipients"][0]
assert r["reply"] == "no \x1b[31m\\ user", r
assert r["session"] == 1 and r["transaction"] == 1, r' "$out"

# JSON: keywords upper case, once; host is the target as given.
pk=$(free_port)
reply_server "$pk" '220 ok' '250-ok\n250-SIZE 100\n250-size 200\n250 pipelining' \
    '221 bye'
run smtp-probe --json --no-starttls "127.0.0.1:$pk"
ok "JSON: ehlo keys upper case, a keyword given twice once; host 127.0.0.1" \
    $PY -c 'import json, sys
d = json.loads(sys.argv[1])
assert d["ehlo"] == {"SIZE": "100", "PIPELINING": ""}, d["ehlo"]
assert d["host"] == "127.0.0.1", d["host"]' "$out"

# The cache note says what reached the file.
pn=$(free_port)
reply_server "$pn" '220 ok' '250-ok\n250-PIPECONNECT\n250 PIPELINING' \
    '221 bye'
cp "$T/foreign.orig" "$T/foreign2"
run smtp-probe --cache "$T/foreign2" "127.0.0.1:$pn"
like "$out" "cache: miss: not stored: the file is not a cache" \
    "cache note: a foreign file, not stored"
run smtp-probe --cache "$T/nodir/cache" "127.0.0.1:$pn"
like "$out" "cache: miss: not stored: the file cannot be written" \
    "cache note: a missing directory, not stored"
: >"$T/busy.lock"
flock "$T/busy.lock" sleep 10 &
lk=$!
_i=0
while flock -n "$T/busy.lock" true && [ "$_i" -lt 100 ]; do
	sleep 0.05
	_i=$((_i + 1))
done
run smtp-probe --timeout 1 --cache "$T/busy" "127.0.0.1:$pn"
like "$out" "cache: miss: not stored: the file is locked" \
    "cache note: the lock busy, not stored"
kill "$lk" 2>/dev/null
wait "$lk" 2>/dev/null
run smtp-probe --cache "$T/fresh" "127.0.0.1:$pn"
like "$out" "cache: miss: stored" "cache note: saved, stored"

# --compare against a server that refuses early input (554) and a retry.
p5=$(free_port)
srv "$p5" --ehlo-line PIPELINING --ehlo-line PIPECONNECT --sync-check \
    --banner-delay 200
run smtp-probe --compare --no-starttls "127.0.0.1:$p5"
like "$out" "with early pipelining: [0-9]+ rtts, [0-9.]+ ms \\(the early attempt was refused, and retried without\\)" \
    "--compare, a 554: said refused and retried"
like "$out" "saved: -[1-9]" "--compare, a 554: the saving negative"
run smtp-probe --json --compare --no-starttls "127.0.0.1:$p5"
ok "--compare --json, a 554: with.rtt_saved is the negative saving" \
    $PY -c 'import json, sys
d = json.loads(sys.argv[1])
assert d["with"]["retried"] is True, d["with"]
assert d["rtt_saved"] < 0 and d["with"]["rtt_saved"] == d["rtt_saved"], \
    (d["rtt_saved"], d["with"]["rtt_saved"])' "$out"
run smtp-probe --json --compare --no-starttls "127.0.0.1:$dead"
is "$rc" 69 "--compare --json, refused: 69"
ok "--compare --json, refused: the shape kept" \
    $PY -c 'import json, sys
d = json.loads(sys.argv[1])
assert set(d) == {"without", "with", "rtt_saved", "ms_saved"}, d
assert d["with"] is None and d["without"]["peer"] is None, d' "$out"

# The EHLO name: an FQDN, or an address literal of this end.
ph=$(free_port)
srv "$ph" --ehlo-line PIPELINING
rm -f "$T/srv.log"
if unshare -u sh -c 'hostname nodot && "$@"' - smtp-probe --no-starttls \
    "127.0.0.1:$ph" >/dev/null 2>&1; then
	like "$(grep ' cmd .* EHLO' "$T/srv.log")" 'EHLO \[127\.0\.0\.1\]$' \
	    "a node name with no dot: EHLO [127.0.0.1]"
	rm -f "$T/srv.log"
	unshare -u sh -c 'hostname box.example.org && "$@"' - smtp-probe \
	    --no-starttls "127.0.0.1:$ph" >/dev/null 2>&1
	like "$(grep ' cmd .* EHLO' "$T/srv.log")" 'EHLO box\.example\.org$' \
	    "a node name with a dot: as it is"
	# No canonical name through libc's resolver: it knows no --timeout.
	ok "a node name with no dot: no libc resolver asked" sh -c '! \
	    unshare -u sh -c "hostname nodot && \"\$@\"" - strace -f \
	    -e trace=openat,open smtp-probe --no-starttls "127.0.0.1:$1" \
	    2>&1 >/dev/null | grep -q -e /etc/hosts -e nsswitch' - "$ph"
else
	skip 3 "unshare -u does not work here"
fi
ok "--no-starttls: no CA bundle read" sh -c '! strace -f -e trace=openat,open \
    smtp-probe --no-starttls "127.0.0.1:$1" 2>&1 >/dev/null |
    grep -q -e /etc/ssl -e ca-certificates' - "$ph"

# --send goes on to the next MX host when the first says 421.
pm=$(free_port)
cat >"$T/zone2" <<ZONE
\$ORIGIN example.
@	3600 IN SOA ns.example. h.example. 1 3600 600 86400 300
two	3600 IN MX 10 mx1.two
	3600 IN MX 20 mx2.two
mx1.two	3600 IN A 127.0.0.1
mx2.two	3600 IN A 127.0.0.2
ZONE
reply_server "$pm" '421 mx1 busy'
mkdir -p "$T/mx2mail"
srv "127.0.0.2:$pm" --ehlo-line PIPELINING --maildir "$T/mx2mail"
run smtp-probe --timeout 5 --send --from a@b.example --to x@two.example \
    --dns-zone "$T/zone2" --port "$pm" two.example <"$T/msg"
is "$rc" 0 "--send, a 421 from the first MX: the second takes it"
like "$out" "x@two.example: accepted 250" "--send, next MX: accepted"
is "$(ls "$T/mx2mail" | wc -l)" 1 "--send, next MX: one message at mx2"
like "$err" "421 mx1 busy" "--send, next MX: the first's 421 warned"

# --help and -v say what the code does.
run smtp-probe --help
is "$(printf '%s\n' "$out" | grep -c -e '--timeout')" 1 "--help: --timeout once"
unlike "$out" "on stderr" "--help: -v not said to write on stderr"
run smtp-probe -v --timeout 5 --send --from a@b.example --to x@c.example \
    "127.0.0.1:$pf" <"$T/msg"
like "$out" "session 1: 127\\.0\\.0\\.1:$pf" "-v --send: each session's flights"
like "$out" "ms connect: connect \\(" "-v: the timeline's kind, one space"

# --to: RFC 5321's Mailbox grammar
for bad in 'a"b\c@x.example' '"ab@x.example' 'a..b@x.example' '.a@x.example' \
    'a@-x.example' 'a@x..example' 'a@' '@x.example' 'a@[1.2.3.4'; do
	run smtp-probe --send --from a@b.example --to "$bad" \
	    "127.0.0.1:$dead" <"$T/msg"
	status 64 "--to '$bad': not a Mailbox"
done
for good in '"a b\"c"@x.example' 'Postmaster' 'a.b+c@x-y.example' \
    'a@[127.0.0.1]'; do
	run smtp-probe --timeout 2 --send --from a@b.example --to "$good" \
	    "127.0.0.1:$dead" <"$T/msg"
	is "$rc" 75 "--to '$good': a Mailbox, tried"
done

# LIMITS warnings: what was ignored, of the LIMITS in force only.
pl2=$(free_port)
reply_server "$pl2" '220 ok' '250-ok\n250-LIMITS RCPTMAX=5 MAILMAX=0\n250 X' \
    '221 bye'
run smtp-probe --json --no-starttls "127.0.0.1:$pl2"
like "$err" "LIMITS of '127.0.0.1:$pl2': bad value 'MAILMAX=0', limit ignored" \
    "LIMITS: the one bad limit named"
unlike "$err" "LIMITS.*LIMITS" "LIMITS: said once"
like "$out" '"limits":\{"RCPTMAX":5\}' "LIMITS: the good one kept"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/key.pem" -subj /CN=mx.test -days 30 -out "$T/cert.pem" \
    2>/dev/null
pt=$(free_port)
srv "$pt" --cert "$T/cert.pem" --key "$T/key.pem" --ehlo-line STARTTLS \
    --ehlo-line 'LIMITS RCPTMAX=' --ehlo-tls-line 'LIMITS RCPTMAX=7'
run smtp-probe --json "127.0.0.1:$pt"
is "$rc:$err" "0:" "LIMITS bad in clear, good after TLS: no warning"
like "$out" '"limits":\{"RCPTMAX":7\}' "LIMITS after TLS in force"

# A null MX probed: no word of sending.
run smtp-probe $z nomail.example
unlike "$err" "send" "a null MX probed: nothing said of sending"

# --- JSON keys, TLS, against Exim ---------------------------------------------
. "$MX_SRCDIR/t/exim-smtp.sh"
if [ -x "$EXIM" ] && [ "$(id -u)" -eq 0 ] &&
    exim_smtp_start "$T/exim" 2>"$T/exim.err"; then
	run smtp-probe --json --helo client.example \
	    "[127.0.0.1]:$EXIM_PORT"
	is "$rc" 0 "exim: exit 0"
	printf '%s\n' "$out" >"$T/j"
	ok "exim: --json is one object on one line with the keys" \
	    $PY -c 'import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, len(lines)
d = json.loads(lines[0])
for k in ("host", "peer", "banner", "ehlo", "ehlo_tls", "limits",
        "pipeconnect", "tls", "times", "rtts", "rtt_saved", "early",
        "cache"):
    assert k in d, k
assert d["limits"] == {}, d["limits"]
assert d["pipeconnect"] == "PIPECONNECT", d["pipeconnect"]
assert "STARTTLS" in d["ehlo"] and "STARTTLS" not in d["ehlo_tls"]
assert d["tls"]["version"].startswith("TLSv1"), d["tls"]
assert d["tls"]["chain"][0]["subject"].find("exim.test") >= 0
assert d["early"] is False and d["rtt_saved"] == 0
for k in ("connect", "banner", "ehlo", "starttls", "handshake", "ehlo_tls"):
    assert d["times"][k] is not None and d["times"][k] >= 0, k' "$T/j"
	run smtp-probe --compare --json "[127.0.0.1]:$EXIM_PORT"
	ok "exim --compare --json: without, with, rtt_saved, ms_saved" \
	    $PY -c 'import json, sys
d = json.loads(sys.argv[1])
assert d["without"]["early"] is False and d["with"]["early"] is True
assert d["rtt_saved"] == d["without"]["rtts"] - d["with"]["rtts"] == 2, d["rtt_saved"]
assert isinstance(d["ms_saved"], float)' "$out"
	run smtp-probe --no-starttls --compare "[127.0.0.1]:$EXIM_PORT"
	is "$rc" 0 "exim --compare in clear: exit 0"
	like "$out" "saved: 1 rtts" "exim --compare in clear: 1 round trip saved"
	run smtp-probe -v "[127.0.0.1]:$EXIM_PORT"
	like "$out" "TLS handshake \\(at " "-v: the timeline"
	printf 'Subject: t\n\nbody\n' >"$T/msg"
	run smtp-probe --send --from a@client.example --to x@exim.test \
	    "[127.0.0.1]:$EXIM_PORT" <"$T/msg"
	is "$rc" 0 "exim --send: exit 0"
	exim_smtp_stop
else
	skip 7 "no exim here ($(cat "$T/exim.err" 2>/dev/null))"
fi
done_testing
