#!/bin/sh
# smtp-probe against Debian's Exim 4.96 (t/exim-smtp.sh), each fact beside
# what another client or Exim itself says: the EHLO keywords beside swaks's
# and `exim -bh`'s, before and after STARTTLS; the TLS version and cipher
# beside `openssl s_client -starttls smtp`'s, for TLS 1.3 and 1.2; the
# certificate chain's facts beside `openssl x509`'s; PIPECONNECT under
# 4.96's spelling; early pipelining as Exim's mainlog shows it (`L*` on the
# `<=` line when our cache said so, not on the first session); the 554 of an
# Exim that does not allow it, retried at once and the entry dropped; a
# message sent with --send (BDAT and DATA, LF and CRLF) arriving byte for
# byte as it was, and as swaks's copy of it arrives.
. "${MX_SRCDIR:-.}/t/lib.sh"
. "$MX_SRCDIR/t/exim-smtp.sh"

need_exim
need swaks openssl

E=$T/exim
mkdir -p "$E"

# A chain of two, so issuer and subject differ and the chain has a CA.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/ca.key" -out "$T/ca.pem" -days 3650 \
    -subj '/O=mxkit tests/CN=Probe Test CA' >/dev/null 2>&1 &&
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$E/key.pem" -out "$T/leaf.csr" \
    -subj '/C=DE/O=mxkit, tests/CN=exim.test' >/dev/null 2>&1 &&
openssl x509 -req -in "$T/leaf.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" \
    -set_serial 76 -days 400 -out "$T/leaf.pem" >/dev/null 2>&1 &&
cat "$T/leaf.pem" "$T/ca.pem" >"$E/cert.pem" || {
	echo 'Bail out! cannot make the certificates'
	exit 1
}

start() {	# start [exim_smtp_start options]: at the same port, if any
	exim_smtp_stop
	exim_smtp_start "$E" ${EXIM_PORT:+--port "$EXIM_PORT"} "$@" || {
		echo 'Bail out! exim does not start'
		exit 1
	}
	TARGET="[127.0.0.1]:$EXIM_PORT"
}

# js FILE EXPR: a Python expression over the JSON object j in FILE, printed
# as jq -r would: a string bare, a list an item a line, the rest as JSON.
js() {
	$PY -c 'import json, sys
j = json.load(open(sys.argv[1]))
def out(v):
    if isinstance(v, list):
        for x in v:
            out(x)
    elif isinstance(v, str):
        print(v)
    else:
        print(json.dumps(v, separators=(",", ":")))
out(eval("(" + sys.argv[2] + ")"))' "$1" "$2"
}

# kw_json, kw_swaks: EHLO keyword lines as `KEYWORD PARAMS`, sorted; from
# smtp-probe's JSON (the key, ehlo or ehlo_tls), from swaks's transcript
# (its prefix for what the server said).
kw_json() {
	js "$2" '[k + (" " + v if v else "") for k, v in j["'"$1"'"].items()]' |
	    sort
}
kw_swaks() {
	sed -n "s/^$1  250[- ]//p" "$2" | sed 1d | sort
}

# log_has ERE: Exim's mainlog has a line matching, within 2 s (it logs a
# session without MAIL as it ends, maybe after our QUIT's 221).
log_has() {
	_i=0
	until grep -Eq -- "$1" "$EXIM_LOG"; do
		[ "$_i" -ge 40 ] && return 1
		sleep 0.05
		_i=$((_i + 1))
	done
}

start

# EHLO in clear: ours, swaks's, exim -bh's.
run smtp-probe --json --no-starttls --helo probe.test --timeout 10 "$TARGET"
is "$rc" 0 "a probe in clear exits 0"
ok "exim logs the session, --helo's name and our commands" log_has \
    'no MAIL in SMTP connection from \(probe\.test\) .* C=EHLO,QUIT$'
cp "$T/out" "$T/clear.json"
kw_json ehlo "$T/clear.json" >"$T/kw.ours"
swaks --server "127.0.0.1:$EXIM_PORT" --quit-after EHLO >"$T/swaks.clear" 2>&1
kw_swaks '<-' "$T/swaks.clear" >"$T/kw.swaks"
printf 'EHLO probe.test\r\nQUIT\r\n' |
    "$EXIM" -C "$EXIM_CONF" -bh 127.0.0.1 2>/dev/null | tr -d '\r' |
    sed -n 's/^250[- ]//p' | sed 1d | sort >"$T/kw.bh"
ok "exim offers what the test needs" grep -qx PIPECONNECT "$T/kw.swaks"
same "$T/kw.ours" "$T/kw.swaks" "EHLO keywords in clear: ours are swaks's"
same "$T/kw.ours" "$T/kw.bh" "EHLO keywords in clear: ours are exim -bh's"
is "$(js "$T/clear.json" 'j["pipeconnect"]')" PIPECONNECT \
    "early pipelining under 4.96's spelling"
is "$(js "$T/clear.json" 'j["tls"]')" null "--no-starttls: no TLS"
is "$(js "$T/clear.json" 'j["ehlo_tls"]')" null "--no-starttls: no EHLO after TLS"
is "$(js "$T/clear.json" 'j["limits"]')" '{}' "exim gives no LIMITS"

# After STARTTLS, TLS 1.3 and then 1.2 (Exim told not to do 1.3).
# tls_facts: version and cipher as s_client saw them, its verify result, each
# certificate it was sent: subject, issuer, notAfter, SPKI SHA-256.
tls_facts() {
	openssl s_client -starttls smtp -connect "127.0.0.1:$EXIM_PORT" \
	    -showcerts </dev/null >"$T/s_client" 2>/dev/null
	sed -n 's/^New, \(TLSv[0-9.]*\), Cipher is \(.*\)$/\1\
\2/p' "$T/s_client"
	sed -n 's/^ *Verify return code: [0-9]* (\(.*\))$/\1/p' "$T/s_client" |
	    sed -n 1p
	awk '/^-----BEGIN CERT/ { n++; c = 1 } c { print >(d "/c" n) }
	    /^-----END CERT/ { c = 0 }' d="$T" "$T/s_client"
	for c in "$T"/c[0-9]*; do
		openssl x509 -in "$c" -noout -subject -issuer -nameopt RFC2253 |
		    sed 's/^[a-z]*=//'
		date -u -d "$(openssl x509 -in "$c" -noout -enddate |
		    sed 's/^notAfter=//')" +%Y-%m-%dT%H:%M:%SZ
		openssl x509 -in "$c" -noout -pubkey |
		    openssl pkey -pubin -outform DER | sha256sum | cut -c1-64
		rm -f "$c"
	done
}
ours_tls() {
	js "$1" '[j["tls"][k] for k in ("version", "cipher", "pkix")] +
	    [c[k] for c in j["tls"]["chain"]
	    for k in ("subject", "issuer", "notAfter", "spki_sha256")]'
}
for v in 1.3 1.2; do
	# Debian's Exim is built with GnuTLS: its priority string.
	[ "$v" = 1.2 ] && start --main 'tls_require_ciphers = NORMAL:-VERS-TLS1.3'
	run smtp-probe --json --starttls --timeout 10 "$TARGET"
	is "$rc" 0 "TLS $v: a probe with --starttls exits 0"
	cp "$T/out" "$T/tls$v.json"
	tls_facts >"$T/tls.openssl"
	ok "TLS $v: openssl talked TLSv$v" grep -qx "TLSv$v" "$T/tls.openssl"
	ours_tls "$T/tls$v.json" >"$T/tls.ours"
	same "$T/tls.ours" "$T/tls.openssl" \
	    "TLS $v: version, cipher, verify result, chain as openssl sees them"
	kw_json ehlo_tls "$T/tls$v.json" >"$T/kw.ours"
	swaks --server "127.0.0.1:$EXIM_PORT" --tls --quit-after EHLO \
	    >"$T/swaks.tls" 2>&1
	kw_swaks '<~' "$T/swaks.tls" >"$T/kw.swaks"
	same "$T/kw.ours" "$T/kw.swaks" \
	    "TLS $v: EHLO keywords after STARTTLS: ours are swaks's"
	kw_json ehlo "$T/tls$v.json" >"$T/kw.ours"
	kw_swaks '<-' "$T/swaks.tls" >"$T/kw.swaks"
	same "$T/kw.ours" "$T/kw.swaks" \
	    "TLS $v: EHLO keywords before STARTTLS: ours are swaks's"
done
# The certificate facts from the files Exim was given, not only from what
# it sent: the leaf's and the CA's.
for c in leaf ca; do
	openssl x509 -in "$T/$c.pem" -noout -pubkey |
	    openssl pkey -pubin -outform DER | sha256sum | cut -c1-64
done >"$T/spki.files"
js "$T/tls1.3.json" '[c["spki_sha256"] for c in j["tls"]["chain"]]' >"$T/spki.ours"
same "$T/spki.ours" "$T/spki.files" "the chain's keys are the files' keys"

# --send: the message arrives as sent, LF line ends as Exim stores it,
# through BDAT (CHUNKING offered) and DATA (not), from LF and CRLF input;
# swaks's copy arrives the same.  Lines a careless client would change:
# leading dots, a lone dot, From at a line's start, trailing blanks, 8 bits.
cat >"$T/msg" <<'EOF'
From: Probe Test <a@b.test>
To: c@d.test, e@f.test
Subject: smtp-probe and exim
Date: Thu, 03 Dec 2026 15:00:00 +0000
Message-ID: <76.1@b.test>
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

.a line starting with a dot
..and one with two
.
From the start of a line, not escaped
trailing blanks   
EOF
printf 'caf\303\251, 8 bits\n\nthe end\n' >>"$T/msg"
sed 's/$/\r/' "$T/msg" >"$T/msg.crlf"
sent=0
# deliver NAME INPUT: smtp-probe --send INPUT; the file Exim wrote, as NAME.
deliver() {
	run smtp-probe --send --json --timeout 10 --from a@b.test \
	    --to c@d.test --to e@f.test "$TARGET" <"$2"
	is "$rc" 0 "$1: --send exits 0"
	is "$(js "$T/out" '" ".join(r["state"] for r in j["recipients"])')" \
	    "accepted accepted" "$1: both recipients accepted"
	sent=$((sent + 1))
	exim_smtp_wait_mail "$sent"
	cp "$(exim_smtp_mail | tail -n 1)" "$T/got.$1" 2>/dev/null
	same "$T/got.$1" "$T/msg" "$1: exim's mailbox holds the message as sent"
}
start
deliver bdat "$T/msg"
ok "bdat: exim took it by BDAT, BODY=8BITMIME, for both" grep -Eq \
    ' <= a@b.test .* K S=[0-9]+ M8S=8 .*for c@d.test e@f.test$' "$EXIM_LOG"
deliver bdat-crlf "$T/msg.crlf"
start --main 'chunking_advertise_hosts ='
deliver data "$T/msg"
ok "data: exim took it by DATA, BODY=8BITMIME" grep -Eq \
    ' <= a@b.test .*[^K] S=[0-9]+ M8S=8 .*for c@d.test e@f.test$' "$EXIM_LOG"
# swaks takes a final `.` line as the end of its data (without one it adds
# an empty line): the message ends as sent.
cat "$T/msg" - >"$T/msg.swaks" <<'EOF'
.
EOF
swaks --server "127.0.0.1:$EXIM_PORT" --from a@b.test \
    --to c@d.test,e@f.test --data "$T/msg.swaks" >"$T/swaks.send" 2>&1
is "$?" 0 "swaks sends the same message"
sent=$((sent + 1))
exim_smtp_wait_mail "$sent"
same "$(exim_smtp_mail | tail -n 1)" "$T/got.data" \
    "swaks's copy arrives as ours did"

# Early pipelining, with Exim delaying its banner a second so that the
# early EHLO is surely waiting when it looks (REFERENCES.md).
start --connect-delay 1s
C=$T/cache
run smtp-probe --json --no-starttls --cache "$C" --timeout 10 "$TARGET"
is "$rc" 0 "first probe with an empty cache exits 0"
is "$(js "$T/out" '(j["early"], j["rtt_saved"])')" "[false,0]" \
    "first probe: no early pipelining, nothing saved"
run smtp-probe --json --no-starttls --cache "$C" --timeout 10 "$TARGET"
is "$rc" 0 "second probe exits 0"
is "$(js "$T/out" '(j["early"], j["rtt_saved"])')" "[true,1]" \
    "second probe: early pipelining from the cache, one round trip saved"
is "$(grep -c 'synchronization error' "$EXIM_LOG")" 0 \
    "exim took the early EHLO: no synchronization error"

# Sending: exim logs L. (offered, not used) for the first session and L*
# (used) for the one our cache allows.
SC=$T/send-cache
sendl() {	# sendl: one message, the L field of its <= line
	: >"$EXIM_LOG"
	smtp-probe --send --timeout 10 --cache "$SC" --from a@b.test \
	    --to c@d.test "$TARGET" <"$T/msg" >/dev/null 2>"$T/err" ||
	    diag "smtp-probe --send: $?: $(cat "$T/err")"
	sed -n 's/.* <= .* \(L[^ ]*\) .*/\1/p' "$EXIM_LOG"
}
like "$(sendl)" '^L\.-?$' "first send: exim offered early pipelining, unused"
is "$(sendl)" "L*" "second send, cache filled: exim logs early pipelining"

# An Exim that does not allow it (the cache still says PIPECONNECT): 554,
# the entry dropped and the probe opened again at once without it.
start --connect-delay 1s --no-early
: >"$EXIM_LOG"
t0=$(date +%s)
run smtp-probe --json --no-starttls --cache "$C" --timeout 20 "$TARGET"
t1=$(date +%s)
is "$rc" 0 "554 for early input: the probe still exits 0"
is "$(js "$T/out" '(j["early"], j["retried"])')" "[false,true]" \
    "554: retried without early pipelining"
like "$(js "$T/out" 'j["cache"]')" '554|dropped' "554: the cache note says why"
is "$(grep -c 'synchronization error (input sent without waiting for greeting).*input="EHLO' "$EXIM_LOG")" \
    1 "exim logged one early EHLO"
ok "554: retried at once, not after --timeout ($((t1 - t0)) s)" \
    test $((t1 - t0)) -lt 6
run smtp-probe --json --no-starttls --cache "$C" --timeout 20 "$TARGET"
is "$rc" 0 "next probe exits 0"
is "$(js "$T/out" 'j["early"]')" false "next probe: no early pipelining"
is "$(grep -c 'synchronization error' "$EXIM_LOG")" 1 \
    "the entry was dropped: no second early EHLO"

done_testing
