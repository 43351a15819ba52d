#!/bin/sh
# tlsa-check under bad input and faults: malformed certificate files for
# generate (65, one line, nothing on stdout), a TLSA record of the wrong
# length (unusable), SMTP servers that close in the handshake, never say a
# word (bounded by --timeout, measured), or send garbage, resolvers that
# never answer or send garbage, for every query or for one lookup of an
# otherwise secure chain (75: a sender retries), and bogus answers (1: the
# host is skipped, never downgraded to plain TLS).  The servers are real:
# the offline test bed (scripts/dane-testbed.sh), scripts/smtp-tls-server
# in each mode at the address of the bed's host without a server, and
# t/data/dns-faultproxy.py in front of the bed's knot.
. "${MX_SRCDIR:-.}/t/lib.sh"
need openssl knotd kdig ldns-signzone ldns-keygen
[ -x "$MX_BUILDDIR/tools/tlsa-check" ] || skip_all "tlsa-check not built"
cd "$T" || exit 1

# elapsed COMMAND...: run it as `run` does, its wall time in $took (s).
elapsed() {
	_s=$(date +%s.%N)
	run "$@"
	took=$(awk -v a="$_s" -v b="$(date +%s.%N)" \
	    'BEGIN { printf "%.2f", b - a }')
}
# within LOW HIGH: $took is in [LOW, HIGH]
within() {
	awk -v t="$took" -v l="$1" -v h="$2" 'BEGIN { exit !(t >= l && t <= h) }'
}
# j EXPR: EXPR (Python, over d, the JSON object on the first line of
# $T/out) printed.
j() {
	$PY -c 'import json, sys
d = json.loads(open(sys.argv[2]).readline())
print(eval(sys.argv[1]))' "$1" "$T/out"
}

# --- generate: malformed certificate files ----------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout key.pem -subj /CN=mx.example.org -days 30 -out cert.pem \
    2>/dev/null ||
    { echo "Bail out! openssl cannot make a certificate"; exit 1; }
openssl x509 -in cert.pem -outform DER -out cert.der
echo 'this is no certificate' >text.pem
: >empty.pem
# No END line.
head -n 4 cert.pem >cut.pem
# A line that is no base64.
{ head -n 1 cert.pem; echo '!!!! not base64 !!!!'; tail -n 1 cert.pem; } \
    >b64.pem
# Good base64 of DER whose outer SEQUENCE claims one byte more than there is.
$PY -c 'import base64, sys
d = bytearray(open(sys.argv[1], "rb").read())
n = (d[2] << 8 | d[3]) + 1
d[2], d[3] = n >> 8, n & 255
sys.stdout.write("-----BEGIN CERTIFICATE-----\n" +
    base64.encodebytes(bytes(d)).decode() + "-----END CERTIFICATE-----\n")' \
    cert.der >der.pem
cat cert.pem der.pem >chain.pem
for f in text.pem empty.pem cut.pem b64.pem der.pem key.pem cert.der; do
	run tlsa-check generate --host mx.example.org "$f"
	is "$rc:$out" 65: "generate $f: malformed, 65 and nothing on stdout"
	one_line_error tlsa-check "generate $f: a one-line diagnostic"
	like "$err" "'$f'" "generate $f: the diagnostic names the file"
done
run tlsa-check generate --host mx.example.org chain.pem
is "$rc:$out" 65: \
    "generate: a chain whose second certificate is malformed: 65, no record"
like "$err" "certificate 2" "generate: the diagnostic says which one"
mkfifo fifo
elapsed tlsa-check generate --host mx.example.org fifo
is "$rc" 66 "generate: a FIFO is refused (66)"
ok "generate: ... at once, not read until a writer comes ($took s)" within 0 3

# --- the test bed -------------------------------------------------------------
. "$MX_SRCDIR/scripts/dane-testbed.sh"
# Exim reads its keys and writes its log as its own user.
chmod 755 "$T"
testbed_make "$T/bed" >bed.log 2>&1 && testbed_start "$T/bed" >bed.log 2>&1 ||
    { cat bed.log; echo "Bail out! the test bed did not start"; exit 1; }
tc() {
	tlsa-check --anchor "$TB_ANCHOR" --port "$TB_PORT" "$@"
}

# A TLSA record of the wrong length: 3 1 1 with 31 bytes.
run tc --resolver "$TB_DNS" badlen.test
is "$rc:$(printf '%s\n' "$out" | head -n 1 | cut -d : -f 1-2)" \
    "1:badlen.test: unusable" "badlen: 31 bytes of SHA-256: unusable, 1"
like "$out" "record 3 1 1 [0-9A-F]{62}: unusable: .*31 bytes" \
    "badlen: the record is named with its length"
like "$out" "tls_out_tlsa_usage=0 tls_out_dane=no" \
    "badlen: no usable record loaded, as Exim would count it"
run tc --resolver "$TB_DNS" --json badlen.test
is "$(j 'd["hosts"][0]["tlsa"][0]["usable"]'):$(j 'd["status"]')" "False:1" \
    "badlen --json: usable false, status 1"

# SMTP servers that misbehave, at the address of the bed's host that has
# none: its TLSA record is secure, so TLS is mandatory there.
A=$(awk '$2 == "mx.refused.test" { print $1 }' "$TB_DIR/servers")
host_up() {	# host_up: a TCP listener at $A:$TB_PORT, up to 5 s
	$PY -c 'import socket, sys, time
end = time.time() + 5
while True:
    try:
        socket.create_connection((sys.argv[1], int(sys.argv[2])), 1).close()
        break
    except OSError:
        if time.time() > end:
            sys.exit(1)
        time.sleep(0.05)' "$A" "$TB_PORT"
}
serve() {	# serve MODE: smtp-tls-server in MODE at $A, its pid in $spid
	daemon "$PY" "$MX_SRCDIR/scripts/smtp-tls-server" \
	    --listen "$A:$TB_PORT" --cert "$TB_DIR/pki/host.pem" \
	    --key "$TB_DIR/pki/host.key" --mode "$1"
	spid=$!
	host_up || { echo "Bail out! smtp-tls-server --mode $1 not up"; exit 1; }
}
unserve() {
	kill "$spid" 2>/dev/null
	wait "$spid" 2>/dev/null
}
# addr_line: what the report says of the one address of the host.
addr_line() {
	printf '%s\n' "$out" | sed -n "s/^    address $A: //p"
}

serve close-in-handshake
elapsed tc --resolver "$TB_DNS" --timeout 5 refused.test
is "$rc:$(printf '%s\n' "$out" | head -n 1 | cut -d : -f 1-2)" \
    "1:refused.test: tls-failed" "closed in the handshake: tls-failed, 1"
like "$(addr_line)" "^closed: .*handshake" \
    "closed in the handshake: the address says so"
like "$out" "note: .*defers" "closed in the handshake: a DANE sender defers"
ok "closed in the handshake: no wait for the timeout ($took s)" within 0 3
unserve

serve silent
for t in 1 3; do
	elapsed tc --resolver "$TB_DNS" --timeout "$t" refused.test
	is "$rc:$(printf '%s\n' "$out" | head -n 1 | cut -d : -f 1-2)" \
	    "1:refused.test: tls-failed" "silent server, --timeout $t: 1"
	like "$(addr_line)" "^timeout: " \
	    "silent server, --timeout $t: the address timed out"
	ok "silent server, --timeout $t: gives up after $took s" \
	    within "$((t - 1)).8" "$((t + 1)).5"
done
unserve

serve garbage
run tc --resolver "$TB_DNS" --timeout 5 refused.test
is "$rc:$(printf '%s\n' "$out" | head -n 1 | cut -d : -f 1-2)" \
    "1:refused.test: tls-failed" "garbage banner: tls-failed, 1"
like "$(addr_line)" "^protocol: " "garbage banner: a protocol error"
unserve

# Bogus answers: the host is skipped, never a downgrade to plain TLS.
no_tls() {
	! printf '%s\n' "$out" | grep -q 'TLSv\|unauthenticated'
}
for d in bogussig.test nosig.test; do
	run tc --resolver "$TB_DNS" --json "$d"
	is "$rc:$(j 'd["hosts"][0]["verdict"]'):$(j \
	    'd["hosts"][0]["deliverable"]')" "1:bogus:False" \
	    "$d: bogus, 1, not deliverable"
	is "$(j 'd["hosts"][0]["addresses"][0]["fail"]'):$(j \
	    'd["hosts"][0]["tls_out_dane"]')" "None:no" \
	    "$d: no connection made, no DANE"
	run tc --resolver "$TB_DNS" "$d"
	like "$out" "note: .*bogus.*skips this host" "$d: the note says skipped"
	ok "$d: no TLS session reported, unauthenticated or not" no_tls
done

# --- resolvers that fail --------------------------------------------------
elapsed tc --resolver "127.0.0.1@$(dead_udp_port)" --timeout 1 ee.test
is "$rc:$(printf '%s\n' "$out" | head -n 1)" "75:ee.test: tempfail" \
    "a resolver that never answers: 75"
ok "a resolver that never answers: bounded by --timeout 1 ($took s)" \
    within 0.8 2.5
like "$out" "error: the MX lookup failed: " \
    "a resolver that never answers: the report says which lookup"

# proxy QTYPE MODE: t/data/dns-faultproxy.py before knot, as $R.
proxy() {
	rm -f proxy.port
	daemon "$PY" "$MX_SRCDIR/t/data/dns-faultproxy.py" "$T/proxy.port" \
	    "$TB_DNS_PORT" "$1" "$2"
	ppid=$!
	_i=0
	until [ -s proxy.port ]; do
		_i=$((_i + 1))
		[ "$_i" -lt 100 ] || { echo "Bail out! no fault proxy"; exit 1; }
		sleep 0.05
	done
	R=127.0.0.1@$(cat proxy.port)
}
unproxy() {
	kill "$ppid" 2>/dev/null
	wait "$ppid" 2>/dev/null
}

proxy any garbage
elapsed tc --resolver "$R" --timeout 2 ee.test
is "$rc:$(printf '%s\n' "$out" | head -n 1)" "75:ee.test: tempfail" \
    "a resolver answering garbage: 75"
like "$out" "malformed" "a resolver answering garbage: the report says so"
ok "a resolver answering garbage: no wait for the timeout ($took s)" \
    within 0 1.9
unproxy

# One lookup failing in a chain that is otherwise whole and secure: the
# host is not downgraded, it is tried again later.
proxy 52 garbage
run tc --resolver "$R" --timeout 2 --json ee.test
is "$rc:$(j 'd["hosts"][0]["verdict"]'):$(j 'd["hosts"][0]["deliverable"]')" \
    "75:tempfail:False" "garbage for the TLSA query only: 75, not deliverable"
is "$(j '[l["status"] for l in d["hosts"][0]["lookups"]]')" \
    "['ok', 'nodata', 'temperror']" \
    "garbage for the TLSA query only: the TLSA lookup failed, the rest not"
is "$(j 'd["hosts"][0]["addresses"][0]["fail"]')" None \
    "garbage for the TLSA query only: no connection made"
unproxy

proxy 52 servfail
run tc --resolver "$R" --timeout 2 ee.test
is "$rc:$(printf '%s\n' "$out" | head -n 1 | cut -d : -f 1-2)" \
    "75:ee.test: tempfail" "SERVFAIL for the TLSA query: 75"
like "$out" \
    "note: tlsa lookup of '_${TB_PORT}._tcp.mx.ee.test' failed .*retries" \
    "SERVFAIL for the TLSA query: the note names the lookup"
unproxy

proxy 52 silent
elapsed tc --resolver "$R" --timeout 1 ee.test
is "$rc:$(printf '%s\n' "$out" | head -n 1 | cut -d : -f 1-2)" \
    "75:ee.test: tempfail" "no answer to the TLSA query: 75"
ok "no answer to the TLSA query: bounded by --timeout 1 ($took s)" \
    within 0.8 2.5
unproxy

proxy 1 silent
elapsed tc --resolver "$R" --timeout 1 ee.test
is "$rc:$(printf '%s\n' "$out" | head -n 1 | cut -d : -f 1-2)" \
    "75:ee.test: tempfail" "no answer to the A query: 75"
like "$out" "note: a lookup of 'mx.ee.test' failed .*retries" \
    "no answer to the A query: the note names the A lookup"
ok "no answer to the A query: bounded by --timeout 1 ($took s)" \
    within 0.8 2.5
run tc --resolver "$R" --timeout 1 --json ee.test
is "$(j 'd["status"]'):$(j 'd["hosts"][0]["verdict"]')" "75:tempfail" \
    "no answer to the A query --json: status 75"
unproxy

done_testing
