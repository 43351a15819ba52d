#!/bin/sh
# The TLS client of tlsa-check (common/smtp.c, tls.c, cert.c, tlsa.c)
# through t/unit/tls-client, against scripts/smtp-tls-server and Debian's
# Exim: DANE-EE and DANE-TA verification with OpenSSL's DANE API (no name
# or expiry check for DANE-EE; name checks against each reference
# identifier for DANE-TA), the SNI sent, usages 0 and 1 and records of the
# wrong length refused, the certificate facts beside openssl x509's, the
# OCSP staple Exim sends, and every way a session fails made by a real
# peer, each bounded by --timeout.
. "$MX_SRCDIR/t/lib.sh"

need openssl
TC=$MX_BUILDDIR/t/unit/tls-client
SRV=$MX_SRCDIR/scripts/smtp-tls-server
C=$T/c
mkdir "$C"

# --- certificates: a root, an intermediate, leaves ---------------------
ec() {	# ec KEY: a P-256 key
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$1" 2>/dev/null
}
# sign NAME ISSUER EXTENSIONS [faketime]: NAME.crt for NAME.key by ISSUER
sign() {
	printf '%s\n' "$3" >"$C/$1.ext"
	openssl req -new -key "$C/$1.key" -subj "/O=mxkit test/CN=$1" \
	    -out "$C/$1.csr" 2>/dev/null &&
	${4:+env LD_PRELOAD="$FT" FAKETIME="$4"} openssl x509 -req \
	    -in "$C/$1.csr" -CA "$C/$2.crt" -CAkey "$C/$2.key" \
	    -set_serial "0x$(od -An -N8 -tx1 /dev/urandom | tr -d ' ')" \
	    -days 30 -extfile "$C/$1.ext" -out "$C/$1.crt" 2>/dev/null
}
CA='basicConstraints=critical,CA:TRUE
keyUsage=critical,keyCertSign,cRLSign'
for k in root int ta exp-ta ee exp; do ec "$C/$k.key"; done
openssl req -x509 -new -key "$C/root.key" -subj "/O=mxkit test/CN=root" \
    -days 30 -addext "$CA" -out "$C/root.crt" 2>/dev/null
sign int root "$CA"
sign ta int 'subjectAltName=DNS:mx.ta.test,DNS:mx2.ta.test'
cat "$C/ta.crt" "$C/int.crt" >"$C/ta-chain.pem"
cat "$C/ta-chain.pem" "$C/root.crt" >"$C/ta-full.pem"
openssl req -x509 -new -key "$C/ee.key" -days 30 \
    -subj "/CN=Not This Host" -addext 'subjectAltName=DNS:not-this.test' \
    -out "$C/ee.crt" 2>/dev/null
FT=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
if [ -n "$FT" ]; then
	# Issued in 2020 for 30 days: long expired.
	env LD_PRELOAD="$FT" FAKETIME='@2020-01-01 00:00:00' openssl req \
	    -x509 -new -key "$C/exp.key" -days 30 -subj /CN=mx.exp.test \
	    -out "$C/exp.crt" 2>/dev/null
	sign exp-ta int 'subjectAltName=DNS:mx.ta.test' '@2020-01-01 00:00:00'
	cat "$C/exp-ta.crt" "$C/int.crt" >"$C/exp-ta-chain.pem"
fi
ok "certificates made" test -s "$C/ta-chain.pem" -a -s "$C/ee.crt"

# Record data as REFERENCES.md gives the pipelines.
spki() {	# spki CERT ALG: digest of the DER SubjectPublicKeyInfo
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin \
	    -outform DER | openssl dgst -"$2" -r | cut -d' ' -f1
}
der() {		# der CERT ALG: digest of the DER certificate
	openssl x509 -in "$1" -outform DER | openssl dgst -"$2" -r |
	    cut -d' ' -f1
}
fullkey() {	# fullkey CERT: the DER SubjectPublicKeyInfo in hex
	openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin \
	    -outform DER | od -An -v -tx1 | tr -d ' \n'
}

# --- the servers: one address each, one port --------------------------
P=$(free_port)
serve() {	# serve N CHAIN KEY MODE: smtp-tls-server on 127.0.0.N:P
	daemon "$SRV" --listen "127.0.0.$1:$P" --cert "$C/$2" \
	    --key "$C/$3.key" --mode "$4" --log "$T/sni.$1"
}
serve 2 ee.crt ee normal
serve 3 ta-chain.pem ta normal
serve 5 ee.crt ee no-starttls
serve 6 ee.crt ee close-in-handshake
serve 7 ee.crt ee silent
serve 8 ee.crt ee garbage
serve 9 ee.crt ee longline
serve 10 ee.crt ee reject
serve 11 ee.crt ee bad-tls
serve 12 ee.crt ee implicit
serve 14 ta-full.pem ta normal
serve 16 ee.crt ee silent-tls
serve 17 ee.crt ee inject
serve 18 ee.crt ee drip
daemon "$SRV" --listen "[::1]:$P" --cert "$C/ee.crt" --key "$C/ee.key"
if [ -n "$FT" ]; then
	serve 4 exp.crt exp normal
	serve 13 exp-ta-chain.pem exp-ta normal
fi
up() {	# up N: wait for 127.0.0.N:P
	_i=0
	while [ "$_i" -lt 100 ]; do
		$PY -c 'import socket, sys
socket.create_connection((sys.argv[1], int(sys.argv[2])), 0.2).close()' \
		    "127.0.0.$1" "$P" 2>/dev/null && return 0
		sleep 0.05
		_i=$((_i + 1))
	done
	return 1
}
for n in 2 3 5 6 7 8 9 10 11 12 14 16 17 18; do
	up "$n" || { diag "server 127.0.0.$n did not come up"; exit 1; }
done

# field NAME: the value of the first NAME= line of $out, as the shell
# reads it (tls-client quotes values as the tools do)
field() {
	(eval "$(printf '%s\n' "$out" | grep "^$1=" | head -n 1)"
	eval "printf '%s' \"\${$1-}\"")
}
tc() {	# tc N ARGS...: tls-client to 127.0.0.N:P
	_host=127.0.0.$1
	shift
	run "$TC" --timeout 3 "$@" "$_host" "$P"
}

# --- DANE-EE: the key or certificate, no name, no expiry ---------------
EE311=$(spki "$C/ee.crt" sha256)
tc 2 --sni mx.ee.test --tlsa "3 1 1 $EE311"
is "$rc $(field fail) $(field verified) $(field depth) $(field matched)" \
    "0 ok 1 0 0" "DANE-EE 3 1 1: verified at depth 0 by record 0"
is "$(field verify_text)" "ok" "DANE-EE: OpenSSL's verification says ok"
is "$(cat "$T/sni.2")" "sni mx.ee.test" "the SNI sent is the TLSA base domain"
like "$(field version)" '^TLSv1\.[23]$' "a TLS version reported"
like "$(field cipher)" '^TLS_|^ECDHE' "a cipher reported"
is "$(field tls_ehlo) $(field tls_starttls) $(field quit)" "250 0 221" \
    "EHLO and QUIT read back through TLS, no STARTTLS offered again"
for rec in "3 1 2 $(spki "$C/ee.crt" sha512)" \
    "3 0 1 $(der "$C/ee.crt" sha256)" \
    "3 0 2 $(der "$C/ee.crt" sha512)" "3 1 0 $(fullkey "$C/ee.crt")"; do
	tc 2 --sni mx.ee.test --tlsa "$rec"
	is "$(field verified) $(field depth)" "1 0" \
	    "DANE-EE $(echo "$rec" | cut -c1-5): verified"
done
# No name check: the certificate names not-this.test only, the SNI and
# the names asked are others.
tc 2 --sni mx.ee.test --name other.test --tlsa "3 1 1 $EE311"
is "$(field verified) $(field peername)" "1 " \
    "DANE-EE: no name check (the certificate names another host)"
TA311=$(spki "$C/ta.crt" sha256)
tc 2 --sni mx.ee.test --tlsa "3 1 1 $TA311"
is "$rc $(field fail) $(field verified) $(field verify_error)" "0 ok 0 65" \
    "DANE-EE digest mismatch: a session, not verified (65, no match)"
is "$(field depth) $(field matched)" "-1 -1" "no depth, no record matched"
tc 2 --sni mx.ee.test --tlsa "3 1 1 $TA311" --tlsa "3 1 1 $EE311"
is "$(field verified) $(field matched)" "1 1" \
    "of two records, the second matched and is named"
if [ -n "$FT" ]; then
	up 4 && up 13
	tc 4 --sni mx.exp.test --tlsa "3 1 1 $(spki "$C/exp.crt" sha256)"
	is "$(field verified) $(field depth)" "1 0" \
	    "DANE-EE with an expired certificate: verified (no expiry check)"
	like "$(field cert)" '\|2020-01-31T00:00:00Z\|' \
	    "its notAfter in 2020 still reported"
	tc 13 --sni mx.ta.test --tlsa "2 0 1 $(der "$C/int.crt" sha256)"
	is "$(field verified)" 0 "DANE-TA with an expired leaf: not verified"
	like "$(field verify_text)" "expired" "the reason: expired"
else
	skip 4 "libfaketime not installed (faketime)"
fi

# --- DANE-TA: the issuer, names checked --------------------------------
INT201=$(der "$C/int.crt" sha256)
tc 3 --sni mx.ta.test --tlsa "2 0 1 $INT201"
is "$(field verified) $(field depth) $(field peername)" "1 1 mx.ta.test" \
    "DANE-TA 2 0 1 of the intermediate: verified at depth 1, name matched"
is "$(cat "$T/sni.3")" "sni mx.ta.test" "the SNI sent is the base domain"
# --time T: a DANE-TA chain judged as at T (the leaf and int expire in 30
# days, were not valid a day ago); DANE-EE has no expiry check at T either.
NOW=$(date +%s)
tc 3 --sni mx.ta.test --tlsa "2 0 1 $INT201" --time $((NOW + 40 * 86400))
is "$(field verified) $(field verify_text)" "0 certificate has expired" \
    "DANE-TA --time after the leaf expires: not verified, expired"
tc 3 --sni mx.ta.test --tlsa "2 0 1 $INT201" --time $((NOW - 86400))
is "$(field verified) $(field verify_text)" "0 certificate is not yet valid" \
    "DANE-TA --time before the leaf is valid: not verified"
tc 3 --sni mx.ta.test --tlsa "2 0 1 $INT201" --time $((NOW + 86400))
is "$(field verified)" 1 "DANE-TA --time within the validity: verified"
tc 2 --sni mx.ee.test --tlsa "3 1 1 $EE311" --time $((NOW + 40 * 86400))
is "$(field verified) $(field depth)" "1 0" \
    "DANE-EE --time after the certificate expires: still verified"
tc 3 --sni mx.ta.test --tlsa "2 1 1 $(spki "$C/int.crt" sha256)"
is "$(field verified) $(field depth)" "1 1" "DANE-TA 2 1 1: verified"
tc 14 --sni mx.ta.test --tlsa "2 0 1 $(der "$C/root.crt" sha256)"
is "$(field verified) $(field depth)" "1 2" \
    "DANE-TA of the root the server sends: depth 2"
tc 3 --sni mx.ta.test --tlsa "2 0 1 $(der "$C/root.crt" sha256)"
is "$(field verified)" 0 "DANE-TA of a root the server does not send: no"
tc 3 --sni other.test --tlsa "2 0 1 $INT201"
is "$(field verified) $(field verify_error)" "0 62" \
    "DANE-TA name mismatch: not verified (62, hostname mismatch)"
tc 3 --sni other.test --name mx2.ta.test --tlsa "2 0 1 $INT201"
is "$(field verified) $(field peername)" "1 mx2.ta.test" \
    "DANE-TA: a further reference identifier (--name) matches"
tc 3 --sni other.test --name x.ta.test --name ta.test --tlsa "2 0 1 $INT201"
is "$(field verified)" 0 "DANE-TA: none of several names is the leaf's"
tc 3 --sni mx.ta.test --tlsa "3 1 1 $EE311" --tlsa "2 0 1 $INT201"
is "$(field verified) $(field matched)" "1 1" \
    "an EE record that does not match beside a TA one that does"

# --- records a client cannot use ----------------------------------------
tc 2 --sni mx.ee.test --tlsa "0 0 1 $(der "$C/ee.crt" sha256)" \
    --tlsa "1 1 1 $EE311"
is "$(printf '%s\n' "$out" | grep -c '^unusable=')" 2 "usages 0 and 1: unusable"
like "$out" "unusable='1 usage 1 \(PKIX-EE\) is not for SMTP'" \
    "and why, by name"
is "$(field verified) $(field verify_text)" "0 no usable TLSA record" \
    "usages 0 and 1 only: no DANE, though the certificate matches them"
tc 2 --sni mx.ee.test --all-records --tlsa "0 0 1 $(der "$C/ee.crt" sha256)" \
    --tlsa "1 1 1 $EE311"
is "$(field verified) $(field verify_text)" "0 no usable TLSA record" \
    "tls_start itself leaves out usages 0 and 1 (OpenSSL would take them)"
SHORT=$(echo "$EE311" | cut -c1-62)
tc 2 --sni mx.ee.test --tlsa "3 1 1 $SHORT" --tlsa "3 1 2 $EE311" \
    --tlsa "3 1 0 00$(fullkey "$C/ee.crt")" --tlsa "3 2 1 $EE311" \
    --tlsa "3 1 3 $EE311"
like "$out" "unusable='0 SHA-256 data of 31 bytes'" \
    "3 1 1 of 31 bytes: unusable"
like "$out" "unusable='1 SHA-512 data of 32 bytes'" \
    "3 1 2 of 32 bytes: unusable"
like "$out" "unusable='2 full key data of [0-9]+ bytes that is none'" \
    "3 1 0 that is no key: unusable"
like "$out" "unusable='3 selector 2 is unknown'" "selector 2: unusable"
like "$out" "unusable='4 matching type 3 is unknown'" \
    "matching type 3: unusable"
is "$(field verified)" 0 "wrong lengths only: not verified"
tc 2 --sni mx.ee.test --tlsa "3 1 1 $SHORT" --tlsa "3 1 1 $EE311"
is "$(field verified) $(field matched)" "1 1" \
    "an unusable record does not spoil a usable one"

# --- certificate facts beside openssl x509 ------------------------------
tc 3 --sni mx.ta.test --tlsa "2 0 1 $INT201"
for d in 0 1; do
	case $d in 0) f=$C/ta.crt ;; 1) f=$C/int.crt ;; esac
	subj=$(openssl x509 -in "$f" -noout -subject -nameopt RFC2253 |
	    sed 's/^subject=//')
	iss=$(openssl x509 -in "$f" -noout -issuer -nameopt RFC2253 |
	    sed 's/^issuer=//')
	end=$(date -u -d "$(openssl x509 -in "$f" -noout -enddate |
	    sed 's/^notAfter=//')" +%Y-%m-%dT%H:%M:%SZ)
	is "$(printf '%s\n' "$out" | sed -n "s/^cert='$d \(.*\)'\$/\1/p")" \
	    "$subj|$iss|$end|$(spki "$f" sha256)" \
	    "chain depth $d: subject, issuer, notAfter, SPKI as openssl x509"
done

# --- certificate files: cert_load, cert_facts, tlsa_make ---------------
CF=$MX_BUILDDIR/t/unit/cert-facts
cf() {	# cf FILE NAME [INDEX]: NAME of certificate INDEX (0) of FILE
	sed -n "s/^${3:-0} $2=//p" "$T/cf" | head -n 1
}
openssl genpkey -algorithm ED25519 -out "$C/ed.key" 2>/dev/null
openssl req -x509 -new -key "$C/ed.key" -days 30 -subj /CN=Mixed.Case.TEST \
    -out "$C/ed.crt" 2>/dev/null
"$CF" "$C/ta-full.pem" >"$T/cf"
is "$(grep -c ' subject=' "$T/cf")" 3 \
    "a chain file: every certificate, in order"
i=0
for f in ta int root; do
	f=$C/$f.crt
	is "$(cf "$T/cf" subject $i)|$(cf "$T/cf" issuer $i)" \
	    "$(openssl x509 -in "$f" -noout -subject -nameopt RFC2253 |
	    sed 's/^subject=//')|$(openssl x509 -in "$f" -noout -issuer \
	    -nameopt RFC2253 | sed 's/^issuer=//')" \
	    "certificate $i: subject and issuer as openssl x509 -nameopt"
	for w in before:start after:end; do
		is "$(cf "$T/cf" "not${w%:*}" $i)" "$(date -u -d \
		    "$(openssl x509 -in "$f" -noout "-${w#*:}date" |
		    cut -d= -f2)" +%Y-%m-%dT%H:%M:%SZ)" \
		    "certificate $i: not${w%:*} as openssl x509 -${w#*:}date"
	done
	is "$(cf "$T/cf" spki_sha256 $i) $(cf "$T/cf" cert_sha256 $i)" \
	    "$(spki "$f" sha256) $(der "$f" sha256)" \
	    "certificate $i: SPKI and certificate SHA-256"
	is "$(sed -n "s/^$i tlsa=3 1 2 //p" "$T/cf")" \
	    "$(spki "$f" sha512 | tr a-f A-F)" \
	    "certificate $i: 3 1 2 is the SHA-512 of the DER SPKI"
	i=$((i + 1))
done
is "$(cf "$T/cf" ca 0)$(cf "$T/cf" ca 1)$(cf "$T/cf" ca 2)" 011 \
    "CA:TRUE for the intermediate and the root only"
is "$(cf "$T/cf" self_signed 0)$(cf "$T/cf" self_signed 2)" 01 \
    "self-signed: the root"
is "$(cf "$T/cf" names 0)|$(cf "$T/cf" key 0)" \
    "mx.ta.test mx2.ta.test|ec p-256" \
    "names from subjectAltName; the key"
"$CF" "$C/ed.crt" >"$T/cf"
is "$(cf "$T/cf" names)|$(cf "$T/cf" key)" "mixed.case.test|ed25519" \
    "no subjectAltName: the CN, in lower case; an Ed25519 key"
openssl x509 -in "$C/ta.crt" -noout -pubkey >"$C/ta.pub"
run "$CF" "$C/ta.pub"
is "$rc $(printf '%s\n' "$out" | sed -n 's/^0 tlsa=3 1 1 //p')" \
    "0 $(echo "$TA311" | tr a-f A-F)" "a public key file: its 3 1 1"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 \
    -out "$C/rsa.key" 2>/dev/null
openssl rsa -in "$C/rsa.key" -RSAPublicKey_out -out "$C/rsa.pub" 2>/dev/null
run "$CF" "$C/rsa.pub"
is "$rc $(printf '%s\n' "$out" | sed -n 's/^0 tlsa=3 1 1 //p')" \
    "0 $(openssl pkey -in "$C/rsa.key" -pubout -outform DER |
    openssl dgst -sha256 -r | cut -d' ' -f1 | tr a-f A-F)" \
    "an RSA PUBLIC KEY (PKCS#1) file: the 3 1 1 of its SPKI"
mkfifo "$T/fifo"
sed '3s/./!/' "$C/ee.crt" >"$T/badb64"
{ sed -n 1,4p "$C/ee.crt"; echo '-----END CERTIFICATE-----'; } >"$T/cut"
cat "$C/ee.crt" "$C/ta.pub" >"$T/both"
echo hello >"$T/nopem"
for c in "$T/none:66:No such file" "$T/fifo:66:not a regular file" \
    "$T:66:not a regular file" "$C/ee.key:65:holds a private key" \
    "$T/nopem:65:no certificate or public key" \
    "$T/badb64:65:PEM object 1 is malformed" \
    "$T/cut:65:certificate 1 is malformed" \
    "$T/both:65:certificates and a public key"; do
	f=${c%%:*}
	w=${c#*:}
	run "$CF" "$f"
	is "$rc" "${w%%:*}" "$(basename "$f"): exit ${w%%:*}"
	like "$err" \
	    "^cert-facts: cannot (open|use) certificate file '$f': .*${w#*:}" \
	    "$(basename "$f"): one line, the file and why"
done

# --- without DANE: opportunistic TLS, PKIX's word -----------------------
tc 3 --sni mx.ta.test
is "$rc $(field fail) $(field verified) $(field verify_error)" "0 ok 0 20" \
    "no records: the session is up, PKIX cannot find the issuer (20)"
run "$TC" --timeout 3 --sni mx.ee.test --tlsa "3 1 1 $EE311" ::1 "$P"
is "$rc $(field fail) $(field verified)" "0 ok 1" "over IPv6 (::1)"
tc 12 --implicit --sni mx.ee.test --tlsa "3 1 1 $EE311"
is "$rc $(field verified)" "0 1" "implicit TLS (--implicit): verified"

# --- every way to fail, by a real peer ----------------------------------
tc 15 --tlsa "3 1 1 $EE311" --sni mx.ee.test
is "$rc $(field fail)" "1 refused" "nobody listening: refused"
like "$(field error)" "Connection refused" "with the system's reason"
secs() {	# secs COMMAND...: run it, $el the whole seconds it took
	_t0=$(date +%s%N)
	"$@"
	el=$((($(date +%s%N) - _t0) / 1000000000))
}
secs run "$TC" --timeout 1 127.0.0.7 "$P"
is "$rc $(field fail)" "1 timeout" "a silent server: timeout"
ok "within --timeout 1 (${el} s)" test "$el" -lt 3
secs run "$TC" --timeout 1 127.0.0.16 "$P"
is "$rc $(field fail)" "1 timeout" "a handshake that never ends: timeout"
ok "within --timeout 1 (${el} s)" test "$el" -lt 3
like "$(field error)" "TLS handshake" "the step named"
secs run "$TC" --timeout 1 127.0.0.12 "$P"
is "$rc $(field fail)" "1 timeout" \
    "an implicit-TLS server spoken SMTP to: timeout"
ok "within --timeout 1 (${el} s)" test "$el" -lt 3
secs run "$TC" --timeout 1 127.0.0.18 "$P"
is "$rc $(field fail)" "1 timeout" "a banner line every 0.2 s, never ending"
ok "the whole reply within --timeout 1, not each line (${el} s)" \
    test "$el" -lt 3
tc 6
is "$rc $(field fail)" "1 closed" "closed in the handshake: closed"
tc 8
is "$rc $(field fail)" "1 protocol" "a banner that is no reply: protocol"
like "$(field error)" "^banner: no reply line: 'HTTP/1.0" "shown as sent"
secs tc 9
is "$rc $(field fail)" "1 protocol" "a 1 MB banner line: protocol"
like "$(field error)" "over 4096 bytes" "the limit named"
ok "at once, not after reading it all (${el} s)" test "$el" -lt 2
tc 5
is "$rc $(field fail) $(field ehlo)" "1 notls 250" "no STARTTLS: notls"
tc 10
is "$rc $(field fail)" "1 reply" "a 554 banner: reply"
like "$(field error)" "^banner: 554 5.7.1 no service here" "with the reply"
tc 17
is "$rc $(field fail)" "1 protocol" \
    "a reply sent after the 220 to STARTTLS, before TLS: protocol"
like "$(field error)" "bytes after the 220" "and why"
tc 2 --helo "$(printf 'a.test\r\nMAIL FROM:<x@a.test>')"
is "$rc $(field fail)" "1 local" \
    "an EHLO name with a line end: local, nothing smuggled to the server"
like "$(field error)" '^EHLO a\.test\\x0d\\x0aMAIL FROM:<x@a\.test>: ' \
    "the command named, on one line, its line end shown"
tc 2 --helo "$(printf '%0300d' 0)"
is "$rc $(field fail)" "1 local" "an EHLO name too long: local"
tc 11
is "$rc $(field fail)" "1 tls" "bytes that are no TLS: tls"
like "$(field error)" "^TLS handshake: .*wrong version number" \
    "with OpenSSL's reason"

# --- the OCSP staple: Exim 4.96 (DANE and SNI too), openssl s_server --
# Staples for the ta leaf, made by openssl ocsp: signed by its issuer
# (good; revoked; unknown, from an index without the leaf), and one
# signed by a key that issued nothing.
O=$T/ocsp
mkdir "$O"
serial=$(openssl x509 -in "$C/ta.crt" -noout -serial | cut -d= -f2)
printf 'V\t491231235959Z\t\t%s\tunknown\t/O=mxkit test/CN=ta\n' \
    "$serial" >"$O/good.idx"
printf 'R\t491231235959Z\t200101000000Z\t%s\tunknown\t/O=mxkit test/CN=ta\n' \
    "$serial" >"$O/revoked.idx"
: >"$O/unknown.idx"
openssl ocsp -issuer "$C/int.crt" -cert "$C/ta.crt" -no_nonce \
    -reqout "$O/req.der" >/dev/null 2>&1
for s in good revoked unknown; do
	openssl ocsp -index "$O/$s.idx" -rsigner "$C/int.crt" \
	    -rkey "$C/int.key" -CA "$C/int.crt" -reqin "$O/req.der" \
	    -respout "$O/$s.der" -ndays 7 >/dev/null 2>&1
done
openssl ocsp -index "$O/good.idx" -rsigner "$C/ee.crt" -rkey "$C/ee.key" \
    -CA "$C/int.crt" -reqin "$O/req.der" -respout "$O/forged.der" \
    -ndays 7 >/dev/null 2>&1

# Debian's Exim is built with GnuTLS, which will not send a staple that
# says revoked: openssl s_server (TLS on connect) sends those.
for s in revoked:23 unknown:24; do
	daemon openssl s_server -quiet -accept "127.0.0.${s#*:}:$P" \
	    -cert "$C/ta.crt" -key "$C/ta.key" -cert_chain "$C/int.crt" \
	    -status_file "$O/${s%:*}.der" </dev/null >/dev/null 2>&1
done
up 23 && up 24 || diag "openssl s_server did not come up"
for s in revoked:23 unknown:24; do
	tc "${s#*:}" --implicit --sni mx.ta.test --tlsa "2 0 1 $INT201"
	is "$(field verified) $(field ocsp)" "1 ${s%:*}" \
	    "openssl s_server: a staple that says ${s%:*}"
done

EXIM=/usr/sbin/exim4
if [ -x "$EXIM" ]; then
	E=$T/exim
	mkdir -p "$E/spool" "$E/log"
	# Exim reads its key and writes its spool as Debian-exim.
	chmod 755 "$T" "$C" "$O" "$E"
	chmod 777 "$E/spool" "$E/log"
	chmod 644 "$C"/*.key
	cat >"$E/conf" <<-EOF
	spool_directory = $E/spool
	log_file_path = $E/log/%slog
	primary_hostname = mx.ta.test
	keep_environment =
	local_interfaces = <; 127.0.0.20 ; 127.0.0.22
	tls_advertise_hosts = *
	tls_certificate = $C/ta-chain.pem
	tls_privatekey = $C/ta.key
	tls_ocsp_file = $O/\${if eq{\$received_ip_address}{127.0.0.22}\
	{forged}{good}}.der
	acl_smtp_quit = quit
	begin acl
	quit:
	  accept logwrite = sni=\$tls_in_sni
	begin routers
	begin transports
	EOF
	daemon "$EXIM" -C "$E/conf" -bdf -oX "$P" -oP "$E/pid"
	up 20 && up 22 || diag "exim did not come up: $(cat "$E"/log/*)"
	tc 20 --sni mx.ta.test --tlsa "2 0 1 $INT201"
	is "$rc $(field verified) $(field depth) $(field ocsp)" "0 1 1 good" \
	    "exim: DANE-TA verified, the OCSP staple good"
	# The staple is for 7 days: expired at T = now + 10 days, while the
	# leaf still is valid; not yet issued a day ago.
	tc 20 --sni mx.ta.test --tlsa "2 0 1 $INT201" \
	    --time $(($(date +%s) + 10 * 86400))
	is "$(field verified) $(field ocsp)" "1 invalid" \
	    "exim: --time after the staple's nextUpdate: the staple invalid"
	tc 20 --sni mx.ta.test --tlsa "2 0 1 $INT201" \
	    --time $(($(date +%s) + 6 * 86400))
	is "$(field verified) $(field ocsp)" "1 good" \
	    "exim: --time before the staple's nextUpdate: good"
	tc 20 --sni mx.other.test --tlsa "3 1 1 $TA311"
	is "$(field verified) $(field depth)" "1 0" "exim: DANE-EE verified"
	sleep 0.2
	like "$(cat "$E/log/mainlog")" "sni=mx\.other\.test" \
	    "exim saw the SNI we sent"
	tc 22 --sni mx.ta.test --tlsa "2 0 1 $INT201"
	is "$(field ocsp)" invalid "exim: a staple its issuer did not sign"
	tc 20 --sni other.test --tlsa "2 0 1 $INT201"
	is "$(field verified) $(field verify_error)" "0 62" \
	    "exim: DANE-TA name mismatch"
else
	skip 7 "no exim4"
fi

done_testing
