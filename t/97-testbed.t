#!/bin/sh
# The DANE test bed (scripts/dane-testbed.sh) checked with the peers alone,
# before any tool of ours: each case's DNSSEC status as a validating
# unbound and drill -S see it, each server's chain as openssl s_client sees
# it, and each case's verdict in DIR/cases derived again from those peers
# by the rules of RFC 7672, with openssl's DANE verification doing the
# matching.  Then the bed's own promises: testbed_stop stops it, and a port
# taken meanwhile is replaced.
. "${MX_SRCDIR:-.}/t/lib.sh"
. "$MX_SRCDIR/scripts/dane-testbed.sh"

PATH=$PATH:/usr/sbin
need openssl ldns-keygen ldns-signzone ldns-key2ds drill knotd kdig exim4 \
    unbound

B=$T/bed
t0=$(date +%s%N)
ok "testbed_make" testbed_make "$B"
t1=$(date +%s%N)
ok "testbed_start" testbed_start "$B" || { done_testing; exit 1; }
t2=$(date +%s%N)
ok "a validating unbound in front of it" testbed_resolver ||
    { done_testing; exit 1; }
t3=$(date +%s%N)
diag "testbed_make $(((t1 - t0) / 1000000)) ms," \
    "testbed_start $(((t2 - t1) / 1000000)) ms" \
    "testbed_resolver $(((t3 - t2) / 1000000)) ms"
VP=${TB_VALIDATOR#*@}
P=$TB_PORT
A=$TB_ANCHOR

# --- DNS as the peers see it ----------------------------------------------

# sec NAME TYPE: $s is secure, insecure or bogus as unbound says (AD bit,
# or SERVFAIL); the records of TYPE in $T/rr ("OWNER RDATA", hex lower
# case), the target of the last CNAME in $owner.
sec() {
	"$KDIG" @127.0.0.1 -p "$VP" +dnssec +timeout=2 +retry=1 "$2" "$1" \
	    >"$T/dig" 2>&1
	awk -v t="$2" '/^;; ANSWER SECTION/ { a = 1; next }
	    /^$/ { a = 0 }
	    a && $4 == t { o = $1; $1 = $2 = $3 = $4 = ""
		sub(/^ +/, ""); print o, tolower($0) }' "$T/dig" >"$T/rr"
	owner=$(awk '/^;; ANSWER SECTION/ { a = 1; next } /^$/ { a = 0 }
	    a && $4 == "CNAME" { o = $5 } END { print o }' "$T/dig")
	owner=${owner%.}
	if grep -q 'status: SERVFAIL' "$T/dig"; then
		s=bogus
	elif grep -q 'Flags:.* ad;' "$T/dig"; then
		s=secure
	elif grep -q 'status: NOERROR\|status: NXDOMAIN' "$T/dig"; then
		s=insecure
	else
		s=error
	fi
}
KDIG=${KDIG:-kdig}

# --- The chains as openssl s_client sees them ------------------------------

# sclient ADDR [ARGS...]: a STARTTLS session; its text in $T/s.
sclient() {
	_a=$1
	shift
	echo QUIT | timeout 10 openssl s_client -starttls smtp \
	    -connect "$_a:$P" "$@" >"$T/s" 2>&1
}

# dane ADDR BASE: openssl's own DANE verification with the records of
# $T/usable, BASE the reference identifier, DANE-EE without name checks
# (RFC 7672 3.1.1): 0 when verified.
dane() {
	_args=
	while read -r _u _s _m _h; do
		_args="$_args -dane_tlsa_rrdata '$_u $_s $_m $_h'"
	done <"$T/usable"
	eval sclient "$1" -dane_tlsa_domain "$2" -dane_ee_no_namechecks $_args
	grep -q '^Verify return code: 0 (ok)' "$T/s"
}

# verdict HOST MXSEC DOMAIN: the verdict of one MX host by RFC 7672,
# from the peers' answers (DOMAIN the next-hop domain, a reference
# identifier for DANE-TA when the MX lookup was secure, 3.2.2).
verdict() {
	[ "$2" = bogus ] && { echo bogus; return; }
	[ "$2" = insecure ] && { echo insecure; return; }
	sec "$1" A
	case $s in
	bogus|insecure) echo "$s"; return ;;
	esac
	_addr=$(awk 'NR == 1 { print $2 }' "$T/rr")
	[ -n "$_addr" ] || { echo unreachable; return; }
	# 2.2.2: the expanded name first when the chain is secure.
	_base=${owner:-$1}
	sec "_$P._tcp.$_base" TLSA
	if [ "$s" = secure ] && [ ! -s "$T/rr" ] && [ "$_base" != "$1" ]; then
		_base=$1
		sec "_$P._tcp.$_base" TLSA
	fi
	case $s in
	bogus|insecure) echo "$s"; return ;;
	esac
	[ -s "$T/rr" ] || { echo no-tlsa; return; }
	# Usages 2 and 3, selectors 0 and 1, digests of their length.
	awk '($2 == 2 || $2 == 3) && ($3 == 0 || $3 == 1) &&
	    (($4 == 1 && length($5) == 64) || ($4 == 2 && length($5) == 128) ||
	    ($4 == 0 && length($5) > 0)) { print $2, $3, $4, $5 }' \
	    "$T/rr" >"$T/usable"
	[ -s "$T/usable" ] || { echo unusable; return; }
	if ! sclient "$_addr"; then
		if grep -q 'errno=111' "$T/s"; then
			echo unreachable
			return
		fi
	fi
	if grep -q "Didn't find STARTTLS" "$T/s"; then
		echo tls-failed
		return
	fi
	if dane "$_addr" "$_base" ||
	    { [ "$2" = secure ] && dane "$_addr" "$3"; }; then
		echo verified
	else
		echo mismatch
	fi
}

# mxhosts DOMAIN: its MX hosts in preference order, or the domain itself
# (RFC 5321 5.1); the MX lookup's status in $mxsec.
mxhosts() {
	sec "$1" MX
	mxsec=$s
	if [ -s "$T/rr" ]; then
		sort -n -k 2 "$T/rr" | awk '{ sub(/\.$/, "", $3); print $3 }'
	else
		echo "$1"
	fi
}

while read -r dom st want; do
	got=
	mxhosts "$dom" >"$T/mx"
	for h in $(cat "$T/mx"); do
		got="$got $(verdict "$h" "$mxsec" "$dom")"
	done
	is "${got# }" "$want" "$dom: the peers give the verdicts of DIR/cases"
done <"$B/cases"

while read -r h st want; do
	is "$(verdict "$h" none none)" "$want" \
	    "--host $h: the peers give the verdict of DIR/hosts"
done <"$B/hosts"

# --- Each case's design, fact by fact ---------------------------------------

drill_rc() {	# drill_rc NAME TYPE: drill's chase from the anchor
	drill -p "$TB_DNS_PORT" -k "$A" -S "$1" "$2" @127.0.0.1 >"$T/drill" 2>&1
	echo $?
}
tl() { echo "_$P._tcp.$1"; }

is "$(drill_rc "$(tl mx.ee.test)" TLSA)" 0 \
    "ee: drill chases the TLSA through the DS of the child zone ee.test"
like "$(cat "$T/drill")" 'ee\.test\. \(DS keytag' "ee: the chain passes a DS"
is "$(drill_rc "$(tl mx.ta.test)" TLSA)" 0 "ta: drill chases the TLSA"
is "$(drill_rc "$(tl mx.bogussig.test)" TLSA)" 35 \
    "bogussig: drill calls the TLSA bogus"
like "$(cat "$T/drill")" 'Bogus DNSSEC signature' "bogussig: a bad signature"
like "$(cat "$TB_DIR/unbound/log")" \
    "$(tl mx.bogussig.test)\\. TLSA IN>: signature crypto failed" \
    "bogussig: unbound says the signature is wrong"
like "$(cat "$TB_DIR/unbound/log")" \
    "$(tl mx.nosig.test)\\. TLSA IN>: no signatures" \
    "nosig: unbound says the TLSA has no signature"
"$KDIG" @127.0.0.1 -p "$TB_DNS_PORT" +dnssec TLSA "$(tl mx.nosig.test)" \
    >"$T/dig"
is "$(awk '!/^;/ { n[$4]++ } END { print n["TLSA"] + 0 ":" n["RRSIG"] + 0 }' \
    "$T/dig")" "1:0" \
    "nosig: knot serves the TLSA without its RRSIG"
sec insecure.test DS
is "$s" secure "insecure: no DS, proven"
sec mx.insecure.test A
is "$s" insecure "insecure: the host is insecure"
sec mx.tlsains.test A
is "$s" secure "tlsains: the host's address is secure"
sec _tcp.mx.tlsains.test DS
is "$s" secure "tlsains: no DS at the TLSA's delegation, proven"
sec "$(tl mx.tlsains.test)" TLSA
is "$s:$(wc -l <"$T/rr")" insecure:1 \
    "tlsains: the TLSA is there, insecure"
sec "$(tl mx.pkix.test)" TLSA
is "$(awk '{ print $2 }' "$T/rr" | sort | tr '\n' ' ')" "0 1 " \
    "pkix: usages 0 and 1 only"
sec mx.cname.test A
is "$owner" real.cname.test "cname: the MX host is a CNAME"
sec "$(tl mx.cname.test)" TLSA
awk '{ print $2, $3, $4, $5 }' "$T/rr" >"$T/usable"
dane 127.0.0.11 mx.cname.test
isnt "$?" 0 "cname: the TLSA at the original name does not match"
sec "$(tl mx.badlen.test)" TLSA
is "$(awk '{ print $2 $3 $4, length($5) / 2 }' "$T/rr")" "311 31" \
    "badlen: a 3 1 1 record of 31 bytes"
sec multi.test MX
is "$(sort -n -k 2 "$T/rr" | awk '{ printf "%s %s ", $2, $3 }')" \
    "10 mx1.multi.test. 20 mx2.multi.test. " "multi: two MX hosts"
sec nomx.test MX
is "$(wc -l <"$T/rr")" 0 "nomx: no MX, securely"

# The certificates.
C=$B/pki
run openssl verify -CAfile "$C/root.crt" -untrusted "$C/int.crt" \
    "$C/ee.crt" "$C/ta.crt" "$C/taname.crt" "$C/host.crt" "$C/nexthop.crt"
is "$rc:$(grep -c ': OK$' "$T/out")" 0:5 \
    "every leaf but the expired one chains to the root"
run openssl verify -CAfile "$C/root.crt" -untrusted "$C/int.crt" \
    "$C/expired.crt"
like "$out$err" 'certificate has expired' "expired: the leaf has expired"
run openssl x509 -in "$C/nexthop.crt" -noout -ext subjectAltName
like "$out" '^ *DNS:nexthop\.test$' "nexthop: the leaf names nexthop.test only"
run openssl x509 -in "$C/taname.crt" -noout -ext subjectAltName
like "$out" '^ *DNS:wrong\.example$' "taname: the leaf names wrong.example"
is "$(awk '{ print $1, $3, $4 }' "$A")" \
    "test. DNSKEY 257" "the anchor is the KSK of test. in DNSKEY form"

# Each server's chain as s_client shows it: the leaf of DIR/servers, then
# the intermediate.
while read -r addr host srv cert; do
	[ "$srv" = none ] && continue
	[ "$srv" = no-starttls ] && continue
	sclient "$addr" -showcerts
	want=$(openssl x509 -in "$C/$cert.crt" -noout -subject |
	    sed 's/^subject=//')
	is "$(sed -n 's/^ 0 s://p; s/^ 1 s://p' "$T/s" | tr '\n' '|')" \
	    "$want|CN = mxkit test intermediate CA|" \
	    "$host ($srv): s_client sees its chain"
done <"$B/servers"

# --- testbed_stop, and a port taken meanwhile ---------------------------

testbed_stop
"$_tb_py" -c 'import socket, sys
socket.create_connection(("127.0.0.2", int(sys.argv[1])), 1)' "$P" \
    2>/dev/null
isnt "$?" 0 "testbed_stop: no SMTP server left"
"$KDIG" @127.0.0.1 -p "$TB_DNS_PORT" +timeout=1 +retry=0 SOA test. \
    >/dev/null 2>&1
isnt "$?" 0 "testbed_stop: no DNS server left"

# Something else takes the port on one address: the bed moves, signed again.
"$_tb_py" -c 'import socket, sys, time
s = socket.socket()
# The server of the bed has just left it in TIME_WAIT.
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.9", int(sys.argv[1])))
s.listen()
open(sys.argv[2], "w").close()
time.sleep(60)' "$P" "$T/squatting" &
_pids="$_pids $!"
i=0
while [ ! -e "$T/squatting" ] && [ "$i" -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
ok "testbed_start with the port taken" testbed_start "$B"
isnt "$TB_PORT" "$P" "it moved to another port"
is "$(drill_rc "$(tl mx.ee.test)" TLSA)" 0 "the TLSA is signed at the new one"
testbed_stop

done_testing
