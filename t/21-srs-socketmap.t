#!/bin/sh
# srs-forward --socketmap: Postfix's socketmap protocol (netstrings) with the
# maps 'forward' and 'reverse', against a client written here.  Bad clients
# (malformed, oversized, slow, vanished) must not stop the server or delay
# the others.  Every wait is bounded.
. "$MX_SRCDIR/t/lib.sh"
use_faketime monotonic-real

SEC=$(secret_file secret s3cr3t)
FWD=fwd.example.net
A=User@Example.COM
SRS0=SRS0=Ti5e=RA=Example.COM=User@$FWD	# day 20000
DAY=@$((20000 * 86400 + 43200))
FAKETIME=$(date -u -d "$DAY" '+@%Y-%m-%d %H:%M:%S')

# The client: ns.py COMMAND ADDR ARGS...; ADDR is HOST:PORT or unix:PATH.
cat >"$T/ns.py" <<'EOF'
import socket, sys, threading, time

def connect(addr):
    if addr.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        s.connect(addr[5:])
    else:
        host, port = addr.rsplit(":", 1)
        s = socket.create_connection((host.strip("[]"), int(port)), 5)
    s.settimeout(5)
    return s

def ns(text):
    b = text.encode("latin-1")
    return b"%d:%s," % (len(b), b)

def replies(s, n):
    """Read n netstring replies; then "EOF" if the server closed."""
    buf, out = b"", []
    while len(out) < n:
        colon = buf.find(b":")
        if colon > 0 and len(buf) >= colon + int(buf[:colon]) + 2:
            ln = int(buf[:colon])
            assert buf[colon + 1 + ln:colon + 2 + ln] == b","
            out.append(buf[colon + 1:colon + 1 + ln].decode("latin-1"))
            buf = buf[colon + 2 + ln:]
            continue
        try:
            d = s.recv(65536)
        except socket.timeout:
            out.append("TIMEOUT")
            break
        if not d:
            out.append("EOF")
            break
        buf += d
    return out

def closed(s, wait=3):
    """True when the server closes the connection within wait seconds."""
    s.settimeout(wait)
    try:
        return s.recv(1) == b""
    except ConnectionResetError:
        return True
    except socket.timeout:
        return False

cmd, addr, args = sys.argv[1], sys.argv[2], sys.argv[3:]
if cmd == "ask":		# requests pipelined in one write, a reply each
    s = connect(addr)
    s.sendall(b"".join(ns(a) for a in args))
    for r in replies(s, len(args)):
        print(r)
elif cmd == "raw":		# raw bytes: the replies, then whether it closed
    s = connect(addr)
    s.sendall(args[0].encode("latin-1").decode("unicode_escape")
              .encode("latin-1"))
    for r in replies(s, int(args[1])):
        print(r)
    print("closed" if closed(s) else "open")
elif cmd == "slow":		# half a request, then silence
    s = connect(addr)
    s.sendall(b"20:forward a@")
    t0 = time.monotonic()
    # Meanwhile another client is served at once.
    t1 = time.monotonic()
    o = connect(addr)
    o.sendall(ns("forward " + args[0]))
    r = replies(o, 1)
    print("other", r[0], "fast" if time.monotonic() - t1 < 0.5 else "slow")
    c = closed(s, 5)
    el = time.monotonic() - t0
    print("slow", "closed" if c else "open",
          "in-time" if 0.8 < el < 3.5 else "after %.2f s" % el)
elif cmd == "trickle":	# a byte at a time, never finishing the request
    s = connect(addr)
    t0 = time.monotonic()
    res = "open"
    for b in b"9999:forward a@b.example":
        try:
            s.sendall(bytes([b]))
        except OSError:
            res = "closed"
            break
        if closed(s, 0.3):
            res = "closed"
            break
    el = time.monotonic() - t0
    print(res, "in-time" if el < 4 else "after %.2f s" % el)
elif cmd == "vanish":		# leave mid-request, and before a reply
    for part in (b"30:forward a@", b"", ns("forward a@b.example")):
        s = connect(addr)
        if part:
            s.sendall(part)
        s.close()
    s = connect(addr)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\1\0\0\0\0\0\0\0")
    s.sendall(ns("forward a@b.example") * 100)
    s.close()			# a reset, with replies unread
    print("done")
elif cmd == "halfclose":	# send, shut the write side, read the replies
    s = connect(addr)
    s.sendall(b"".join(ns(a) for a in args))
    s.shutdown(socket.SHUT_WR)
    for r in replies(s, len(args) + 1):
        print(r)
elif cmd == "many":		# n clients at once, all connected first
    n = int(args[0])
    socks = [connect(addr) for _ in range(n)]
    res = [None] * n
    def one(i):
        try:
            socks[i].sendall(ns("forward u%d@example.org" % i))
            res[i] = replies(socks[i], 1)[0]
        except OSError as e:
            res[i] = str(e)
    th = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in th:
        t.start()
    for t in th:
        t.join(10)
    ok = sum(1 for i in range(n) if res[i] and res[i].startswith("OK ") and
             res[i].endswith("=u%d@fwd.example.net" % i))
    print(ok)
elif cmd == "hold":		# n silent connections, held for t seconds
    socks = [connect(addr) for _ in range(int(args[0]))]
    time.sleep(float(args[1]))
elif cmd == "big":		# a pipeline larger than the server's buffers
    s = connect(addr)
    reqs = [ns("forward u%d@example.org" % i) for i in range(int(args[0]))]
    threading.Thread(target=s.sendall, args=(b"".join(reqs),),
                     daemon=True).start()
    r = replies(s, len(reqs))
    print(sum(1 for x in r if x.startswith("OK ")))
EOF
ns() {
	$PY "$T/ns.py" "$@"
}

# serve NAME ARGS...: start srs-forward --socketmap ARGS as a child on day
# 20000; $pid is its pid and $addr what it says it listens on.
serve() {
	_name=$1
	shift
	# With $fds set, only that many descriptors.
	daemon sh -c '[ -z "$1" ] || ulimit -n "$1" || exit 1; shift
	    exec "$@"' sh "${fds:-}" \
	    env LD_PRELOAD="$FT" FAKETIME="$FAKETIME" \
	    srs-forward --secret-file "$SEC" -d "$FWD" \
	    --socketmap "$@" >"$T/$_name.out" 2>"$T/$_name.err"
	pid=$!
	bound "$_name"
}

# bound NAME: wait up to 5 s for server $pid to say in $T/NAME.out where
# it listens; $addr is that, empty if it never did.
bound() {
	addr=
	_i=0
	while [ "$_i" -lt 100 ]; do
		addr=$(sed -n 's/^socketmap=//p' "$T/$1.out")
		[ -n "$addr" ] && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
		_i=$((_i + 1))
	done
}

start=$(date +%s)
serve tcp 127.0.0.1:0 --timeout 1 --local-domains local.example
like "$addr" '^127\.0\.0\.1:[1-9][0-9]*$' "it says where it listens"

# --- the maps ---------------------------------------------------------------
is "$(ns ask "$addr" "forward $A")" "OK $SRS0" "forward: OK and the address"
is "$(ns ask "$addr" "reverse $SRS0")" "OK $A" "reverse: OK and the address"
V='"victim@t.example,a"@attacker.example'
QV=$(env LD_PRELOAD="$FT" FAKETIME="$FAKETIME" srs-forward \
    --secret-file "$SEC" -d "$FWD" -- "$V")
is "$(ns ask "$addr" "reverse $(printf '%s' "$QV" | tr -d '"')")" "OK $V" \
    "reverse: specials in the local part come back quoted"
printf '%s\n' "$A" u1@example.org "v.w+x@sub.example.org" >"$T/addrs"
env LD_PRELOAD="$FT" FAKETIME="$FAKETIME" srs-forward --secret-file "$SEC" \
    -d "$FWD" <"$T/addrs" >"$T/batch"
ns ask "$addr" "forward $A" "forward u1@example.org" \
    "forward v.w+x@sub.example.org" | sed 's/^OK //' >"$T/sm"
ok "forward agrees with batch mode" cmp -s "$T/batch" "$T/sm"
env LD_PRELOAD="$FT" FAKETIME="$FAKETIME" srs-forward --secret-file "$SEC" \
    -r <"$T/batch" >"$T/rbatch"
ns ask "$addr" "reverse $(sed -n 1p "$T/batch")" \
    "reverse $(sed -n 2p "$T/batch")" "reverse $(sed -n 3p "$T/batch")" |
    sed 's/^OK //' >"$T/rsm"
ok "reverse agrees with batch mode" cmp -s "$T/rbatch" "$T/rsm"
ok "...and gives the addresses back" cmp -s "$T/addrs" "$T/rsm"

is "$(ns ask "$addr" "forward a@local.example")" "NOTFOUND " \
    "forward: a local domain is NOTFOUND"
is "$(ns ask "$addr" "forward a@$FWD")" "NOTFOUND " \
    "forward: the forwarding domain is NOTFOUND"
is "$(ns ask "$addr" "reverse a@example.org")" "NOTFOUND " \
    "reverse: not SRS is NOTFOUND"
is "$(ns ask "$addr" "reverse SRS0=Xx5e=RA=Example.COM=User@$FWD")" \
    "NOTFOUND " "reverse: a bad hash is NOTFOUND"
is "$(ns ask "$addr" "reverse SRS1=other.net==Ti5e=RA=Example.COM=User@$FWD")" \
    "NOTFOUND " "reverse: a hashless SRS1 is NOTFOUND"
# Postfix looks up "user" and "@domain" after the full address.
for k in user @example.org user@ ""; do
	is "$(ns ask "$addr" "forward $k" "reverse $k" | tr '\n' '|')" \
	    "NOTFOUND |NOTFOUND |" "forward and reverse '$k': NOTFOUND"
done
is "$(ns ask "$addr" "nosuchmap $A")" "PERM unknown map 'nosuchmap'" \
    "an unknown map is PERM"
is "$(ns ask "$addr" "forward")" "PERM expected 'name key'" \
    "a request without a key is PERM"
is "$(ns ask "$addr" "forward $A" "reverse $SRS0" "bogus x" \
    "reverse a@example.org" "forward $A" | tr '\n' '|')" \
    "OK $SRS0|OK $A|PERM unknown map 'bogus'|NOTFOUND |OK $SRS0|" \
    "five requests pipelined on one connection"
is "$(ns halfclose "$addr" "forward $A" "reverse $SRS0" | tr '\n' '|')" \
    "OK $SRS0|OK $A|EOF|" "a client that shuts its side gets its replies"
is "$(ns big "$addr" 3000)" 3000 \
    "3000 pipelined requests, more than the buffers hold: all answered"

# --- malformed and oversized netstrings -------------------------------------
for bad in 'abc' '5:forward a@b.example,' '07:forward,' ':x,' '-1:x,' \
    '3:abcd,'; do
	is "$(ns raw "$addr" "$bad" 1 | tr '\n' '|')" \
	    "PERM malformed netstring|closed|" "malformed '$bad': PERM, closed"
done
is "$(ns raw "$addr" '99999999:' 1 | tr '\n' '|')" \
    "PERM request too long|closed|" "99999999: PERM, closed"
is "$(ns raw "$addr" '10001:' 1 | tr '\n' '|')" \
    "PERM request too long|closed|" "one byte over the limit: PERM, closed"
is "$(ns raw "$addr" "24:forward $A,xyz" 2 | tr '\n' '|')" \
    "OK $SRS0|PERM malformed netstring|closed|" \
    "the requests before the bad one are answered"
is "$(ns ask "$addr" "forward $A")" "OK $SRS0" \
    "other connections keep working"

# --- slow, stalled and vanished clients -------------------------------------
is "$(ns slow "$addr" "$A" | tr '\n' '|')" \
    "other OK $SRS0 fast|slow closed in-time|" \
    "a stalled client is closed after --timeout 1; another is served at once"
is "$(ns trickle "$addr")" "closed in-time" \
    "a client that trickles a request is closed after --timeout too"
is "$(ns vanish "$addr")" "done" "clients vanish mid-request and unread"
is "$(ns ask "$addr" "forward $A")" "OK $SRS0" "...the server goes on"
is "$(ns many "$addr" 50)" 50 "50 clients at once: all served"
is "$(ns ask "$addr" "reverse $SRS0")" "OK $A" "...and it still answers"

kill -TERM "$pid"
wait "$pid"
is "$?" 0 "SIGTERM: exit 0"
is "$(cat "$T/tcp.err")" "" "nothing on stderr without -v"

# Out of descriptors: the listener stays readable while accept() fails;
# the server must wait, not spin, and serve again once clients leave.
fds=8
serve fds 127.0.0.1:0 --timeout 1
fds=
ns hold "$addr" 12 2 &
holder=$!
sleep 1.5
ticks=$(awk '{ print $14 + $15 }' "/proc/$pid/stat" 2>/dev/null)
ok "out of descriptors: no busy loop (${ticks:-?} ticks of CPU)" \
    test "${ticks:-999}" -lt 50
wait "$holder"
is "$(ns ask "$addr" "forward $A")" "OK $SRS0" "...and it serves again"
kill -TERM "$pid"
wait "$pid"

# --- unix sockets, -v, --json -----------------------------------------------
serve unix "unix:$T/map.sock" -v
is "$addr" "unix:$T/map.sock" "unix:PATH: it says where"
is "$(ns ask "$addr" "forward $A" "reverse $SRS0" "reverse a@x.example" | \
    tr '\n' '|')" "OK $SRS0|OK $A|NOTFOUND |" "unix:PATH: the maps"
is "$(ns raw "$addr" 'x' 1 | tr '\n' '|')" \
    "PERM malformed netstring|closed|" "unix:PATH: malformed, closed"
kill -TERM "$pid"
wait "$pid"
is "$?" 0 "unix:PATH: SIGTERM: exit 0"
ok "unix:PATH: the socket is removed" test ! -e "$T/map.sock"
like "$(cat "$T/unix.err")" \
    "^srs-forward: reverse 'a@x.example': not an SRS address$" \
    "-v: a NOTFOUND is told on stderr"

: >"$T/stale.sock"
serve stale "unix:$T/stale.sock"
is "$addr" "" "a file that is not a socket is not replaced"
wait "$pid"
is "$?" 69 "...exit 69"
is "$(cat "$T/stale.err")" \
    "srs-forward: cannot listen on 'unix:$T/stale.sock': Address already"\
" in use" \
    "...with one line"
serve again "unix:$T/map.sock"
ns ask "$addr" "forward $A" >/dev/null
kill -KILL "$pid"
wait "$pid" 2>/dev/null
serve again2 "unix:$T/map.sock"
is "$(ns ask "$addr" "forward $A")" "OK $SRS0" \
    "a socket left by a killed server is replaced"
kill -TERM "$pid"
wait "$pid"

if $PY -c 'import socket; socket.socket(socket.AF_INET6).bind(("::1", 0))' \
    2>/dev/null; then
	serve v6 '[::1]:0'
	eval "v6$(cat "$T/v6.out")"
	like "$v6socketmap" '^\[::1\]:[1-9][0-9]*$' \
	    "[::1]:0: the address, shell-quoted for eval"
	is "$(ns ask "$v6socketmap" "forward $A")" "OK $SRS0" \
	    "[::1]:0: the maps"
	kill -TERM "$pid"
	wait "$pid"
else
	skip 2 "no IPv6 loopback"
fi

serve json 127.0.0.1:0 --json
like "$(cat "$T/json.out")" '^\{"socketmap":"127\.0\.0\.1:[0-9]+"\}$' \
    "--json: the address as JSON"
kill -TERM "$pid"
wait "$pid"
is "$?" 0 "SIGTERM: exit 0"

# --- SIGHUP: the secret file read again ------------------------------------
# The monthly rotation: a new first secret, the old one kept below it.
# Old addresses still reverse, new ones are signed with the new secret; a
# bad file keeps the secrets the server has, says why, and it serves on.
MAIN=$SEC
SEC=$(secret_file rot 0ld-s3cr3t)
serve hup 127.0.0.1:0
hup_err() {	# hup_err: the lines on the server's stderr so far
	wc -l <"$T/hup.err" | tr -d ' '
}
old=$(ns ask "$addr" "forward $A" | sed 's/^OK //')
like "$old" '^SRS0=' "before the rotation: forwards with the old secret"
secret_file rot n3w-s3cr3t 0ld-s3cr3t >/dev/null
secret_file new n3w-s3cr3t >/dev/null
new=$(env LD_PRELOAD="$FT" FAKETIME="$FAKETIME" srs-forward \
    --secret-file "$T/new" -d "$FWD" "$A")
isnt "$new" "$old" "the new secret signs otherwise"
kill -HUP "$pid"
is "$(ns ask "$addr" "forward $A")" "OK $new" \
    "after SIGHUP: forwards with the new first secret"
is "$(ns ask "$addr" "reverse $old")" "OK $A" \
    "after SIGHUP: an old address reverses while the old secret is listed"
is "$(ns ask "$addr" "reverse $new")" "OK $A" \
    "after SIGHUP: a new one reverses"
is "$(hup_err)" 0 "a good reload says nothing without -v"

# hup_bad DESCRIPTION ERE: after the secret file was spoiled, SIGHUP; one
# more line on stderr that matches, and the server works as before.
hup_bad() {
	_before=$(hup_err)
	kill -HUP "$pid"
	is "$(ns ask "$addr" "forward $A" "reverse $old" | tr '\n' '|')" \
	    "OK $new|OK $A|" "$1: the old secrets are kept"
	is "$(hup_err)" "$((_before + 1))" "$1: one line on stderr"
	like "$(tail -n 1 "$T/hup.err")" \
	    "^srs-forward: secrets not reloaded, the old ones kept: $2" \
	    "$1: says why"
	ok "$1: the server is alive" kill -0 "$pid"
}
rm "$T/rot"
hup_bad "a missing file" "cannot open secret file '.*rot': No such file"
mkfifo "$T/rot"
hup_bad "a FIFO" "cannot use secret file '.*rot': not a regular file"
rm "$T/rot"
: >"$T/rot"
chmod 600 "$T/rot"
hup_bad "an empty file" "no secret in '.*rot'"
head -c 5000 /dev/zero | tr '\0' x >"$T/rot"
chmod 600 "$T/rot"
hup_bad "an over-long line" "secret on line 1 of '.*rot' is too long"
if [ "$(id -u)" -ne 0 ]; then
	secret_file rot n3w-s3cr3t >/dev/null
	chmod 000 "$T/rot"
	hup_bad "an unreadable file" "Permission denied"
else
	skip 5 "root reads a file of mode 000"
fi
secret_file rot n3w-s3cr3t >/dev/null
kill -HUP "$pid"
is "$(ns ask "$addr" "reverse $old" "forward $A" | tr '\n' '|')" \
    "NOTFOUND |OK $new|" \
    "the old secret dropped: its addresses no longer reverse"
for i in 1 2 3 4 5 6 7 8 9 10; do
	kill -HUP "$pid"
done
is "$(ns many "$addr" 20)" 20 "SIGHUP after SIGHUP: it serves on"
kill -TERM "$pid"
wait "$pid"
is "$?" 0 "SIGTERM after SIGHUP: exit 0"
SEC=$MAIN

# The man page's line for a refused reload, from a server run in $T on a
# secret file named as the page names it.
secret_file srs-secret s3cr3t >/dev/null
(cd "$T" && exec srs-forward --secret-file srs-secret -d "$FWD" \
    --socketmap 127.0.0.1:0 >"$T/pg.out" 2>"$T/pg.err") &
pid=$!
_pids="$_pids $pid"
bound pg
: >"$T/srs-secret"
kill -HUP "$pid"
ns ask "$addr" "forward $A" >/dev/null
block man/srs-forward.1 reload-refused | sed 's/^ *//' >"$T/pg.want"
same "$T/pg.err" "$T/pg.want" "man page: the refused reload's line as printed"
kill -TERM "$pid"
wait "$pid"

# --- the page's displays ---------------------------------------------------
# The line the server starts with: the page's port is any port here.
serve page 127.0.0.1:0
like "$(cat "$T/page.out")" \
    "^$(block man/srs-forward.1 bound-line |
    sed 's/^ *//; s/41337$//')[0-9]+\$" \
    "man page: the line the server starts with, as printed"
kill -TERM "$pid"
wait "$pid"
# main.cf as printed: each map it names, asked on the address and port it
# names, as Postfix's cleanup would ask (when that port is free here).
block man/srs-forward.1 postfix-main-cf >"$T/main.cf"
maps=$(sed -n \
    's/^ *\([a-z_]*_canonical_maps\) = socketmap:inet:\(.*\)$/\1 \2/p' \
    "$T/main.cf")
is "$(printf '%s\n' "$maps" | wc -l | tr -d ' ')" 2 \
    "main.cf: two canonical maps, both socketmap:inet"
is "$(sed -n 's/^ *[a-z_]*_canonical_classes = //p' "$T/main.cf" |
    tr ',' '\n' | tr -d ' ' | grep -cvE \
    '^(envelope_sender|envelope_recipient|header_sender|header_recipient)$')" \
    0 "main.cf: the classes are Postfix's"
listen=$(printf '%s\n' "$maps" | sed -n '1s/^[^ ]* \(.*\):[a-z]*$/\1/p')
if $PY -c 'import socket, sys
h, p = sys.argv[1].rsplit(":", 1)
socket.socket().bind((h, int(p)))' "$listen" 2>/dev/null; then
	serve maincf "$listen"
	while read -r name where; do
		case $name in
		sender_*)	key=$A want="OK $SRS0" ;;
		*)		key=$SRS0 want="OK $A" ;;
		esac
		is "$(ns ask "${where%:*}" "${where##*:} $key")" "$want" \
		    "main.cf: $name asks map '${where##*:}' on ${where%:*}"
	done <<EOF
$maps
EOF
	kill -TERM "$pid"
	wait "$pid"
else
	skip 2 "port ${listen##*:} is taken here"
fi

# --- the systemd unit: its ExecStart and ExecReload, run as written -------
# Paths to the build and $T, and port 0 for its port; nothing else changed.
unit=$MX_SRCDIR/scripts/srs-forward.service
secret_file srs-secret s3cr3t >/dev/null
sed "s|/usr/local/bin/|$MX_BUILDDIR/tools/|g
    s|/etc/postfix/srs-secret|$T/srs-secret|g
    s|127\.0\.0\.1:10003|127.0.0.1:0|g" "$unit" >"$T/srs-forward.service"
exec_start=$(sed -n "s/^ExecStart=//p" "$T/srs-forward.service")
reload=$(sed -n 's/^ExecReload=//p' "$T/srs-forward.service")
like "$exec_start" \
    "^$MX_BUILDDIR/tools/srs-forward .*--socketmap 127\.0\.0\.1:0" \
    "the unit: ExecStart runs srs-forward --socketmap"
# systemd splits ExecStart on white space; the line has no quotes.
# shellcheck disable=SC2086
set -- $exec_start
env LD_PRELOAD="$FT" FAKETIME="$FAKETIME" "$@" >"$T/unit.out" \
    2>"$T/unit.err" &
pid=$!
_pids="$_pids $pid"
bound unit
is "$(ns ask "$addr" "forward $A")" "OK $SRS0" \
    "the unit: ExecStart serves the socketmap"
secret_file srs-secret n3w-s3cr3t s3cr3t >/dev/null
new=$(env LD_PRELOAD="$FT" FAKETIME="$FAKETIME" srs-forward \
    --secret-file "$T/srs-secret" -d fwd.example.net "$A")
# What systemd runs for `systemctl reload`, $MAINPID being the server.
sh -c "$(printf '%s\n' "$reload" | sed "s/\$MAINPID/$pid/")"
is "$?:$(ns ask "$addr" "forward $A" "reverse $SRS0" | tr '\n' '|')" \
    "0:OK $new|OK $A|" "the unit: ExecReload rotates the secret in place"
ok "the unit: the server lives on" kill -0 "$pid"
kill -TERM "$pid"
wait "$pid"
is "$?" 0 "the unit: stopped by SIGTERM, exit 0 (no restart)"
if command -v systemd-analyze >/dev/null; then
	run systemd-analyze verify --man=no "$T/srs-forward.service"
	is "$rc:$err" "0:" "the unit: systemd-analyze verify finds nothing"
else
	skip 1 "no systemd-analyze"
fi

# Standard output lost (the bound address cannot be told): one line.
run sh -c 'exec timeout 5 srs-forward --secret-file "$1" -d "$2" \
    --socketmap 127.0.0.1:0 >/dev/full' sh "$SEC" "$FWD"
is "$rc" 74 "stdout on a full device: exit 74"
one_line_error srs-forward "...and one line, not two"

# --- bad command lines ------------------------------------------------------
# Under timeout: a server that should have refused to start would not stop.
run timeout 5 srs-forward --secret-file "$SEC" -d "$FWD" \
    --socketmap 127.0.0.1:0 "$A"
is "$rc" 64 "--socketmap with an address argument: exit 64"
one_line_error srs-forward "...one line"
for bad in nonsense 127.0.0.1: :25 999.1.1.1:0 localhost:0 127.0.0.1:99999 \
    127.0.0.1:http 127.0.0.1:-1 unix: \
    "unix:$(printf '%0200d' 0)"; do
	run timeout 5 srs-forward --secret-file "$SEC" -d "$FWD" \
	    --socketmap "$bad"
	is "$rc" 64 "--socketmap '$bad': exit 64"
	one_line_error srs-forward "--socketmap '$bad': one line"
done
daemon $PY -c 'import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen()
print(s.getsockname()[1], flush=True)
time.sleep(30)' >"$T/busy"
busypid=$!
_i=0
while [ ! -s "$T/busy" ] && [ "$_i" -lt 100 ]; do
	sleep 0.05
	_i=$((_i + 1))
done
run timeout 5 srs-forward --secret-file "$SEC" -d "$FWD" \
    --socketmap "127.0.0.1:$(cat "$T/busy")"
is "$rc" 69 "a port in use: exit 69"
one_line_error srs-forward "...one line"
like "$err" "Address already in use" "...saying so"
kill "$busypid"
run timeout 5 srs-forward --secret-file "$SEC" -r --socketmap 127.0.0.1:0
is "$rc" 64 "--socketmap needs --domain"
one_line_error srs-forward "...one line"
run timeout 5 srs-forward --secret-file "$T/none" -d "$FWD" \
    --socketmap 127.0.0.1:0
is "$rc" 66 "--socketmap: a missing secret file, exit 66"

# Started with stdout closed (>&-): the listening socket must not take fd
# 1, or the startup line goes into it (SIGPIPE, silently).  A closed
# stdout is a write error, as for any output: 74, saying so.  Not under
# libfaketime, which opens a file of its own at start and so would fill
# the gap by chance.
P=$(free_port)
timeout 5 srs-forward --secret-file "$SEC" -d "$FWD" \
    --socketmap "127.0.0.1:$P" >&- 2>"$T/err"
rc=$?
err=$(cat "$T/err")
is "$rc" 74 "stdout closed at start: exit 74"
one_line_error srs-forward "...one line"
like "$err" "cannot write to standard output: Bad file descriptor" \
    "...saying so"
# stdin and stderr closed: a forward still prints its answer.
NOON=$((20000 * 86400 + 43200))
is "$(srs-forward --time "$NOON" --secret-file "$SEC" -d "$FWD" "$A" \
    <&- 2>&-)" "$SRS0" \
    "stdin and stderr closed: the answer on stdout"

el=$(($(date +%s) - start))
ok "all of it within 30 s (took $el s)" test "$el" -lt 30

done_testing
