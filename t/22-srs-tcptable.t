#!/bin/sh
# srs-forward --tcp-forward / --tcp-reverse: Postfix's tcp_table protocol
# as postsrsd 1.10 serves it, so that a site can put srs-forward on
# postsrsd's ports and keep its main.cf.  Both run side by side on the
# same secret and day and must give the same answers to the same
# requests; then pipelining, many clients, malformed lines and SIGHUP.
. "$MX_SRCDIR/t/lib.sh"

PATH=$PATH:/usr/sbin
use_faketime monotonic-real

SEC=$(secret_file secret s3cr3t)
FWD=fwd.example.net
A=User@Example.COM
SRS0=SRS0=Ti5e=RA=Example.COM=User@$FWD	# day 20000
NOON=$((20000 * 86400 + 43200))

# The client: tt.py COMMAND PORT ARGS...
cat >"$T/tt.py" <<'EOF'
import socket, sys, threading


def enc(b):
    return b"".join(b"%%%02X" % c if c <= 32 or c >= 127 or c == 37
                    else bytes([c]) for c in b)


def dec(b):
    out, i = bytearray(), 0
    while i < len(b):
        if b[i:i + 1] == b"%":
            out.append(int(b[i + 1:i + 3], 16))
            i += 3
        else:
            out += b[i:i + 1]
            i += 1
    return bytes(out)


def connect(port, wait=5):
    s = socket.create_connection(("127.0.0.1", int(port)), 5)
    s.settimeout(wait)
    return s


def lines(s, n):
    """Read n reply lines, then "EOF" if the server closed."""
    f, out = s.makefile("rb"), []
    while len(out) < n:
        try:
            l = f.readline()
        except socket.timeout:
            out.append(b"TIMEOUT")
            break
        if not l:
            out.append(b"EOF")
            break
        assert l.endswith(b"\n") and not l.endswith(b"\r\n"), l
        out.append(l[:-1])
    return out


def show(l, why):
    """200 and the decoded value; 400/500, with the reason if asked."""
    if l[:4] in (b"400 ", b"500 ") and not why:
        return l[:3]
    if l[:4] in (b"200 ", b"400 ", b"500 "):
        return l[:4] + dec(l[4:])
    return l


cmd, port, args = sys.argv[1], sys.argv[2], sys.argv[3:]
out = sys.stdout.buffer
if cmd in ("ask", "why"):	# keys on stdin, pipelined; a reply each
    keys = sys.stdin.buffer.read().split(b"\n")[:-1]
    s = connect(port)
    threading.Thread(target=s.sendall, daemon=True, args=(
        b"".join(b"get " + enc(k) + b"\n" for k in keys),)).start()
    for l in lines(s, len(keys)):
        out.write(show(l, cmd == "why") + b"\n")
elif cmd == "raw":		# raw bytes; the replies, then whether it closed
    s = connect(port, 1.5)
    s.sendall(args[0].encode("latin-1").decode("unicode_escape")
              .encode("latin-1"))
    for l in lines(s, int(args[1])):
        out.write(show(l, True) + b"\n")
    try:
        s.settimeout(0.5)
        out.write(b"closed\n" if s.recv(1) == b"" else b"open\n")
    except socket.timeout:
        out.write(b"open\n")
    except ConnectionResetError:
        out.write(b"closed\n")
elif cmd == "many":		# n clients at once, k requests each
    n, k = int(args[0]), int(args[1])
    socks = [connect(port) for _ in range(n)]
    res = [0] * n

    def one(i):
        try:
            socks[i].sendall(b"".join(b"get u%d.%d@example.org\n" % (i, j)
                                      for j in range(k)))
            res[i] = sum(1 for j, l in enumerate(lines(socks[i], k))
                         if l.startswith(b"200 SRS0=") and
                         l.endswith(b"=u%d.%d@fwd.example.net" % (i, j)))
        except OSError:
            pass
    th = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in th:
        t.start()
    for t in th:
        t.join(20)
    print(sum(res))
EOF
tt() {
	$PY "$T/tt.py" "$@"
}

# ours NAME ARGS...: srs-forward serving tcp_table on free ports, day
# 20000 by --time; $pid, $PF (forward port), $PR (reverse port).
ours() {
	_name=$1
	shift
	daemon srs-forward --secret-file "$SEC" -d "$FWD" --time "$NOON" \
	    --tcp-forward 127.0.0.1:0 --tcp-reverse 127.0.0.1:0 "$@" \
	    >"$T/$_name.out" 2>"$T/$_name.err"
	pid=$!
	_i=0
	while [ ! -s "$T/$_name.out" ] && [ "$_i" -lt 100 ]; do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
		_i=$((_i + 1))
	done
	PF=$(port_of tcp_forward "$T/$_name.out")
	PR=$(port_of tcp_reverse "$T/$_name.out")
}

# port_of NAME FILE: the port srs-forward said NAME listens on, in its
# name=value or its --json line.
port_of() {
	sed -n "s/^$1=127\.0\.0\.1://p
	    s/.*\"$1\":\"127\.0\.0\.1:\([0-9]*\)\".*/\1/p" "$2"
}

# --- the same answers as postsrsd 1.10 --------------------------------------
if command -v postsrsd >/dev/null; then
	free_ports QF QR
	daemon env TZ=UTC LD_PRELOAD="$FT" FAKETIME="@$(noon 20000)" \
	    postsrsd -s "$SEC" -d "$FWD" -l 127.0.0.1 -f "$QF" -r "$QR" -4 \
	    -Xlocal.example -X.sub.example.org
	pdpid=$!
	wait_port "$QF" && wait_port "$QR"
fi
ours same --local-domains local.example,.sub.example.org
like "$PF:$PR" '^[1-9][0-9]*:[1-9][0-9]*$' "it says where it listens"

OTHER=$(secret_file other 0th3r)
$PY "$MX_SRCDIR/t/data/srs-addrs.py" 22 300 >"$T/plain"
srs-forward --secret-file "$OTHER" -d hop.example --time "$NOON" \
    <"$T/plain" | head -n 20 >"$T/hop0"
srs-forward --secret-file "$OTHER" -d hop2.example --time "$NOON" \
    <"$T/hop0" >"$T/hop1"
srs-forward --secret-file "$SEC" -d "$FWD" --time "$NOON" \
    <"$T/plain" >"$T/mine"
srs-forward --secret-file "$SEC" -d "$FWD" --time "$((NOON - 30 * 86400))" \
    <"$T/plain" | head -n 10 >"$T/old"
{
	cat "$T/plain" "$T/hop0" "$T/hop1" "$T/mine" "$T/old"
	head -n 20 "$T/mine" | tr a-z A-Z
	head -n 20 "$T/mine" | sed 's/^\(SRS0=\)./\1!/'
	cat <<EOF
$A
a@local.example
a@LOCAL.example
b@x.sub.example.org
a@sub.example.org
a@$FWD
A@FWD.Example.NET
$SRS0
SRS0=Ti5e=RA=Example.COM=User@other.net
SRS1=hop.example=hop.example==abcd=RA=x.org=u@$FWD
user
EOF
} >"$T/keys"
tt ask "$PF" <"$T/keys" >"$T/of"
tt ask "$PR" <"$T/keys" >"$T/or"
is "$(wc -l <"$T/of" | tr -d ' '):$(wc -l <"$T/or" | tr -d ' ')" \
    "$(wc -l <"$T/keys" | tr -d ' '):$(wc -l <"$T/keys" | tr -d ' ')" \
    "requests pipelined on each port: a reply each"
is "$(head -n 1 "$T/of")" "200 $(head -n 1 "$T/mine")" \
    "forward: 200 and the address, as the batch mode writes it"
tt ask "$PR" <"$T/mine" | sed 's/^200 //' >"$T/back"
same "$T/back" "$T/plain" "reverse: 200 and the original addresses"
if [ -n "${pdpid:-}" ]; then
	tt ask "$QF" <"$T/keys" >"$T/pf"
	tt ask "$QR" <"$T/keys" >"$T/pr"
	same "$T/of" "$T/pf" "forward port: the answers of postsrsd 1.10"
	same "$T/or" "$T/pr" "reverse port: the answers of postsrsd 1.10"
	# Where postsrsd 1.10 is wrong we do not follow it: it rewrites an
	# empty local part and takes bytes no address holds.
	# Nor do we reverse an SRS local part without its domain (Postfix
	# asks for it only when the whole address failed, for the same hash).
	printf '%s\n' @example.org 'a	b@x.org' >"$T/odd"
	is "$(tt ask "$PF" <"$T/odd" | tr '\n' '|')" "500|500|" \
	    "forward: an empty local part, a tab: 500 (not as postsrsd)"
	is "$(tt ask "$QF" <"$T/odd" | cut -c1-3 | tr '\n' '|')" "200|200|" \
	    "...which postsrsd 1.10 rewrites"
	echo SRS0=Ti5e=RA=Example.COM=User >"$T/odd"
	is "$(tt ask "$PR" <"$T/odd"):$(tt ask "$QR" <"$T/odd")" \
	    "500:200 $A" "reverse: a bare SRS local part, 500 (not as postsrsd)"
	kill "$pdpid"
	wait "$pdpid" 2>/dev/null
else
	skip 4 "postsrsd not installed"
fi
is "$(printf '%s\n' a@local.example "a@$FWD" "$SRS0" | tt why "$PF" |
    tr '\n' '|')" \
    "500 null sender or local domain, not rewritten|200 a@$FWD|$(:
    )500 already rewritten|" \
    "forward: the reasons, %-encoded and decoded back"
AB=$(srs-forward --secret-file "$SEC" -d "$FWD" --time "$NOON" a@b.org)
QAB=$(srs-forward --secret-file "$SEC" -d "$FWD" --time "$NOON" '"a b"@x.org')
is "$(tt raw "$PF" 'get a%20b@x.org\nget a@b.org\n' 2 | tr '\n' '|')" \
    "500 not a valid address|200 $AB|open|" \
    "an encoded space is decoded; the connection stays open"
is "$(tt raw "$PF" 'get a@b.org\r\n' 1 | tr '\n' '|')" \
    "200 $AB|open|" "a CR before the LF is dropped"
is "$(printf '%s\n' '"a b"@x.org' | tt ask "$PF")" "200 $QAB" \
    "a quoted local part: the space goes both ways %-encoded"
is "$(tt raw "$PF" 'get %22a%20b%22@x.org\n' 1 | sed -n 1p)" "200 $QAB" \
    "...as Postfix encodes it"
V='"victim@t.example,a"@attacker.example'
QV=$(srs-forward --secret-file "$SEC" -d "$FWD" --time "$NOON" -- "$V")
is "$(printf '%s\n' "$QV" "$(printf '%s' "$QV" | tr -d '"')" |
    tt ask "$PR" | tr '\n' '|')" "200 $V|200 $V|" \
    "reverse: specials in the local part come back quoted, from either form"
is "$(tt raw "$PF" "get $(head -c 3000 /dev/zero | tr '\0' a)@b.org\n" 1 |
    tr '\n' '|')" "500 address too long|open|" \
    "a 3000-byte key: 500, the connection stays open"

# --- malformed requests: 500, then closed, as postsrsd does -----------------
for bad in 'GET a@b.org\n' 'put a@b.org x\n' 'get \n' 'get\n' 'x\n' \
    'get a b@x.org\n' 'get a%zz@x.org\n' 'get a%4\n' 'get a\001@x.org\n'; do
	is "$(tt raw "$PF" "$bad" 1 | tr '\n' '|')" \
	    "500 invalid request|closed|" \
	    "malformed '$bad': 500, closed"
done
is "$(tt raw "$PR" "get $SRS0\nget x y\nget $SRS0\n" 3 | tr '\n' '|')" \
    "200 $A|500 invalid request|EOF|closed|" \
    "the requests before a bad one are answered, none after"
long=$(head -c 10100 /dev/zero | tr '\0' a)
is "$(tt raw "$PF" "get $long" 1 | tr '\n' '|')" \
    "500 request too long|closed|" "a line over 10000 bytes: 500, closed"
is "$(tt raw "$PF" 'get a@b.org' 1 | tr '\n' '|')" "TIMEOUT|open|" \
    "a request without its LF waits for the rest"
is "$(echo "$A" | tt ask "$PF")" "200 $SRS0" "other connections go on"

# --- load: many clients, a long pipeline ------------------------------------
is "$(tt many "$PF" 50 20)" 1000 "50 clients at once, 20 requests each"
seq 1 5000 | sed 's/$/@example.org/' >"$T/5000"
is "$(tt ask "$PF" <"$T/5000" | grep -c '^200 SRS0=')" 5000 \
    "5000 requests pipelined, more than the buffers hold: all answered"
kill -TERM "$pid"
wait "$pid"
is "$?" 0 "SIGTERM: exit 0"
is "$(cat "$T/same.err")" "" "nothing on stderr without -v"

# --- SIGHUP, and the socketmap in the same process --------------------------
SEC=$(secret_file rot 0ld-s3cr3t)
ours hup --socketmap 127.0.0.1:0 --json
like "$(cat "$T/hup.out")" \
    '^\{"socketmap":"127\.0\.0\.1:[0-9]+","tcp_forward":"127\.0\.0\.1:[0-9]+",'$(:
    )'"tcp_reverse":"127\.0\.0\.1:[0-9]+"\}$' \
    "--json: the three addresses in one object"
SM=$(sed 's/.*"socketmap":"\(127\.0\.0\.1:[0-9]*\)".*/\1/' "$T/hup.out")
old=$(echo "$A" | tt ask "$PF" | sed 's/^200 //')
secret_file rot n3w-s3cr3t 0ld-s3cr3t >/dev/null
kill -HUP "$pid"
new=$(echo "$A" | tt ask "$PF" | sed 's/^200 //')
is "$new" \
    "$(srs-forward --secret-file "$T/rot" -d "$FWD" --time "$NOON" "$A")" \
    "after SIGHUP: tcp_table forwards with the new first secret"
isnt "$new" "$old" "...which is not the old one"
is "$(printf '%s\n' "$old" "$new" | tt ask "$PR" | tr '\n' '|')" \
    "200 $A|200 $A|" "after SIGHUP: old and new addresses reverse"
rm "$T/rot"
kill -HUP "$pid"
is "$(printf '%s\n' "$old" | tt ask "$PR")" "200 $A" \
    "a missing file on SIGHUP: the old secrets are kept"
like "$(cat "$T/hup.err")" \
    "^srs-forward: secrets not reloaded, the old ones kept: cannot open secret" \
    "...and it says why"
ok "...and it is alive" kill -0 "$pid"
is "$($PY -c 'import socket, sys
h, p = sys.argv[1].rsplit(":", 1)
s = socket.create_connection((h, int(p)), 5)
q = ("reverse " + sys.argv[2]).encode()
s.sendall(b"%d:%s," % (len(q), q))
print(s.recv(4096).decode())' "$SM" "$old")" "$((${#A} + 3)):OK $A," \
    "the socketmap in the same process answers too"
kill -TERM "$pid"
wait "$pid"
is "$?" 0 "SIGTERM after SIGHUP: exit 0"
SEC=$T/secret

# --- bad command lines ------------------------------------------------------
for o in --tcp-forward --tcp-reverse; do
	for bad in nonsense 127.0.0.1: localhost:0 127.0.0.1:99999; do
		run timeout 5 srs-forward --secret-file "$SEC" -d "$FWD" \
		    "$o" "$bad"
		is "$rc" 64 "$o '$bad': exit 64"
		one_line_error srs-forward "$o '$bad': one line"
	done
done
run timeout 5 srs-forward --secret-file "$SEC" -d "$FWD" \
    --tcp-forward 127.0.0.1:0 "$A"
is "$rc" 64 "--tcp-forward with an address argument: exit 64"
run timeout 5 srs-forward --secret-file "$SEC" --tcp-forward 127.0.0.1:0
is "$rc" 64 "--tcp-forward needs --domain"
ours busy
run timeout 5 srs-forward --secret-file "$SEC" -d "$FWD" \
    --tcp-reverse "127.0.0.1:$PR"
is "$rc" 69 "a port in use: exit 69"
like "$err" \
    "^srs-forward: cannot listen on '127\.0\.0\.1:$PR': Address already in use$" \
    "...with one line saying so"
kill -TERM "$pid"
wait "$pid"
run srs-forward --help
for o in --tcp-forward --tcp-reverse; do
	case $out in
	*"$o"*)	_result 0 "--help lists $o" ;;
	*)	_result 1 "--help lists $o" ;;
	esac
done

done_testing
