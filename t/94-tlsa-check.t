#!/bin/sh
# tlsa-check: every option and every error path of the command line.
# generate against the openssl pipelines that give each record's data
# (3 1 1, 3 1 2, 2 0 1, 3 0 1, 3 1 0, a chain, a public key), and
# --from-server against a live STARTTLS server; the checks against the
# offline test bed (scripts/dane-testbed.sh): each option seen to act, the
# exit statuses, and the usage, file and DNS errors as one-line
# diagnostics with the status of the man page.
. "${MX_SRCDIR:-.}/t/lib.sh"

need openssl

# --- certificates: a root, an intermediate, leaves of two key types ---------
cd "$T" || exit 1
ext() {	# ext FILE LINE...
	_f=$1
	shift
	printf '%s\n' "$@" >"$_f"
}
ext ca.ext basicConstraints=critical,CA:true keyUsage=critical,keyCertSign
ext leaf.ext basicConstraints=CA:false subjectAltName=DNS:MX.Example.ORG
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout root.key -subj /CN=root -days 30 -out root.pem \
    -addext basicConstraints=critical,CA:true 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout int.key -subj /CN=int 2>/dev/null |
    openssl x509 -req -CA root.pem -CAkey root.key -set_serial 2 -days 30 \
    -extfile ca.ext -out int.pem 2>/dev/null
openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key \
    -subj /CN=mx.example.org 2>/dev/null |
    openssl x509 -req -CA int.pem -CAkey int.key -set_serial 3 -days 30 \
    -extfile leaf.ext -out leaf.pem 2>/dev/null
cat leaf.pem int.pem root.pem >chain.pem
openssl pkey -in leaf.key -pubout -out leaf.pub 2>/dev/null
[ -s chain.pem ] && [ -s leaf.pub ] || { echo "openssl failed" >&2; exit 1; }

upper() {
	tr a-f A-F
}
# The pipelines of the issue and of RFC 6698's examples.
spki256=$(openssl x509 -in leaf.pem -noout -pubkey |
    openssl pkey -pubin -outform DER | sha256sum | cut -d ' ' -f 1 | upper)
spki512=$(openssl x509 -in leaf.pem -noout -pubkey |
    openssl pkey -pubin -outform DER | sha512sum | cut -d ' ' -f 1 | upper)
spkifull=$(openssl x509 -in leaf.pem -noout -pubkey |
    openssl pkey -pubin -outform DER | od -An -v -tx1 | tr -d ' \n' | upper)
cert256=$(openssl x509 -in leaf.pem -outform DER | sha256sum |
    cut -d ' ' -f 1 | upper)
int256=$(openssl x509 -in int.pem -outform DER | sha256sum |
    cut -d ' ' -f 1 | upper)
root256=$(openssl x509 -in root.pem -outform DER | sha256sum |
    cut -d ' ' -f 1 | upper)
O=_25._tcp.mx.example.org.

# --- generate: each record against its pipeline -----------------------------
run tlsa-check generate --host mx.example.org leaf.pem
is "$rc:$out" "0:$O IN TLSA 3 1 1 $spki256" \
    "generate 3 1 1: SHA-256 of the DER SubjectPublicKeyInfo"
run tlsa-check generate --host mx.example.org --mtype 2 leaf.pem
is "$rc:$out" "0:$O IN TLSA 3 1 2 $spki512" \
    "generate 3 1 2: SHA-512 of the DER SubjectPublicKeyInfo"
run tlsa-check generate --host mx.example.org --selector 0 leaf.pem
is "$rc:$out" "0:$O IN TLSA 3 0 1 $cert256" \
    "generate 3 0 1: SHA-256 of the DER certificate"
run tlsa-check generate --host mx.example.org --mtype 0 leaf.pem
is "$rc:$out" "0:$O IN TLSA 3 1 0 $spkifull" \
    "generate 3 1 0: the DER SubjectPublicKeyInfo itself"
run tlsa-check generate --host mx.example.org int.pem
is "$rc:$out" "0:$O IN TLSA 2 0 1 $int256" \
    "generate: a CA certificate gives 2 0 1, the DER certificate's SHA-256"
run tlsa-check generate --host mx.example.org chain.pem
is "$rc:$out" "0:$O IN TLSA 3 1 1 $spki256
$O IN TLSA 2 0 1 $int256
$O IN TLSA 2 0 1 $root256" \
    "generate: a chain gives a record per certificate as its kind says"
run tlsa-check generate --host mx.example.org --usage 3 chain.pem
is "$rc:$out" "0:$O IN TLSA 3 1 1 $spki256" \
    "generate --usage 3: a chain's server certificate only"
run tlsa-check generate --host mx.example.org --usage 2 chain.pem
is "$rc:$out" "0:$O IN TLSA 2 0 1 $int256
$O IN TLSA 2 0 1 $root256" \
    "generate --usage 2: a chain's CA certificates only"
run tlsa-check generate --host mx.example.org --usage 2 --selector 1 int.pem
is "$rc:$out" "0:$O IN TLSA 2 1 1 $(openssl x509 -in int.pem -noout -pubkey |
    openssl pkey -pubin -outform DER | sha256sum | cut -d ' ' -f 1 | upper)" \
    "generate 2 1 1: the CA's public key"
run tlsa-check generate --host mx.example.org leaf.pub
is "$rc:$out" "0:$O IN TLSA 3 1 1 $spki256" \
    "generate: a public key file gives 3 1 1, as its certificate does"
run tlsa-check generate --host mx.example.org --mtype 2 leaf.pub
is "$rc:$out" "0:$O IN TLSA 3 1 2 $spki512" "generate: a public key, 3 1 2"
run tlsa-check generate --host mx.example.org --selector 0 leaf.pub
is "$rc" 64 "generate: selector 0 from a public key alone is 64"
one_line_error tlsa-check "generate: selector 0 from a key: one line"
run tlsa-check generate --host mx.example.org --usage 2 leaf.pub
is "$rc:$out" "0:$O IN TLSA 2 1 1 $spki256" \
    "generate --usage 2: a public key takes selector 1 by default"
run tlsa-check generate --host mx.example.org --usage 0 int.pem
is "$rc:$out" "0:$O IN TLSA 0 0 1 $int256" \
    "generate --usage 0: selector 0 by default, as --help says"

# --- generate: the owner ------------------------------------------------------
run tlsa-check generate leaf.pem
is "$out" "$O IN TLSA 3 1 1 $spki256" \
    "generate: the owner from the certificate's name, lower case"
run tlsa-check generate --host MX.Example.ORG. --port 2525 leaf.pem
is "$out" "_2525._tcp.mx.example.org. IN TLSA 3 1 1 $spki256" \
    "generate --host --port: the owner, lower case, one final dot"
run tlsa-check generate int.pem
is "$rc" 64 "generate: a CA certificate names no host: --host needed (64)"
like "$err" "needs --host" "generate: the diagnostic says --host is needed"
run tlsa-check generate leaf.pub
is "$rc" 64 "generate: a public key names no host: 64"
run sh -c 'tlsa-check generate --host mx.example.org <leaf.pem'
is "$rc:$out" "0:$O IN TLSA 3 1 1 $spki256" \
    "generate: no CERT reads standard input"
run sh -c 'cat int.pem | tlsa-check generate --host mx.example.org leaf.pem -'
is "$rc:$out" "0:$O IN TLSA 3 1 1 $spki256
$O IN TLSA 2 0 1 $int256" "generate: '-' is standard input, files in order"
run tlsa-check generate --json --host mx.example.org chain.pem
is "$rc" 0 "generate --json: exit 0"
is "$(printf '%s\n' "$out" | $PY -c 'import json, sys
for l in sys.stdin:
    o = json.loads(l)
    print(o["owner"], o["usage"], o["selector"], o["mtype"], o["data"])')" \
    "$O 3 1 1 $spki256
$O 2 0 1 $int256
$O 2 0 1 $root256" "generate --json: one object per record, the same data"
run tlsa-check generate --host mx.example.org --usage 1 leaf.pem
is "$rc:$out" "0:$O IN TLSA 1 1 1 $spki256" \
    "generate --usage 1: made, as asked"
like "$err" "^tlsa-check: usage 1 \(PKIX-EE\) is not for SMTP" \
    "generate --usage 1: with a warning that SMTP clients ignore it"
run tlsa-check generate -v --host mx.example.org leaf.pem
like "$err" "certificate 1: .*mx.example.org" \
    "generate -v: names each certificate on standard error"

# --- generate: bad files and bad options -------------------------------------
run tlsa-check generate --host h.example nosuch.pem
is "$rc" 66 "generate: a missing file is 66"
one_line_error tlsa-check "generate: missing file: one line"
like "$err" "nosuch.pem" "generate: the diagnostic names the file"
mkfifo fifo
run timeout 5 tlsa-check generate --host h.example fifo
is "$rc" 66 "generate: a FIFO is refused at once (66), not waited on"
run tlsa-check generate --host h.example .
is "$rc" 66 "generate: a directory is 66"
printf '%s\n' '-----BEGIN CERTIFICATE-----' 'MIIBkjCCATegAwIBAgIB' \
    '-----END CERTIFICATE-----' >bad.pem
run tlsa-check generate --host h.example bad.pem
is "$rc" 65 "generate: a malformed certificate is 65"
one_line_error tlsa-check "generate: malformed certificate: one line"
: >empty.pem
run tlsa-check generate --host h.example empty.pem
is "$rc" 65 "generate: a file with no certificate or key is 65"
run tlsa-check generate --host h.example leaf.pem bad.pem
is "$rc:$out" "65:" \
    "generate: a good file then a bad one: 65, and no record of either"
run tlsa-check generate --host h.example leaf.pem missing.pem
is "$rc:$out" "66:" "generate: a good file then a missing one: 66, nothing"
like "$err" "^tlsa-check: cannot open certificate file 'missing.pem': " \
    "generate: a missing file is named once"
run tlsa-check generate leaf.pem leaf.pub
is "$rc:$out" "64:" \
    "generate: a file that needs --host after a good one: 64, nothing"
run tlsa-check generate --host h.example leaf.key
is "$rc" 65 "generate: a private key is refused (65)"
one_line_error tlsa-check "generate: private key: one line"
run sh -c 'tlsa-check generate --host h.example </dev/null'
is "$rc" 65 "generate: nothing on standard input is 65"
for bad in "--usage 4" "--usage -1" "--selector 2" "--mtype 3" "--port 0" \
    "--port 65536" "--port x" "--mtype 01x"; do
	# shellcheck disable=SC2086 # the option and its value
	run tlsa-check generate --host h.example $bad leaf.pem
	is "$rc:$out" "64:" "generate $bad: usage error, nothing written"
done
run tlsa-check generate --host 'a b' leaf.pem
is "$rc" 64 "generate: a host name with a blank is 64"
run tlsa-check generate --from-server 127.0.0.1:1 leaf.pem
is "$rc" 64 "generate: --from-server and a CERT exclude each other"
run tlsa-check generate --bogus
is "$rc" 64 "generate: an unknown option is 64"
one_line_error tlsa-check "generate: unknown option: one line"
run closed_pipe tlsa-check generate --host h.example leaf.pem
is "$rc" 74 "generate: a write error is 74"
run tlsa-check generate --help
like "$out" "--from-server=HOST" "generate --help: the options of generate"
like "$(printf '%s\n' "$out" | tr -s ' \n' '  ')" \
    "default 0 for usage 0 and 2, else 1; always 1 for a public key" \
    "generate --help: the default selector as the code picks it"
is "$rc" 0 "generate --help: exit 0"

# --- generate --from-server: the chain a live server sends ------------------
cat leaf.pem int.pem >served.pem
PORT=$(free_port)
daemon $PY "$MX_SRCDIR/scripts/smtp-tls-server" --listen "127.0.0.1:$PORT" \
    --cert served.pem --key leaf.key
wait_port "$PORT" || { echo "smtp-tls-server did not start" >&2; exit 1; }
run tlsa-check generate --from-server "127.0.0.1:$PORT" --host mx.example.org
is "$rc:$out" "0:_$PORT._tcp.mx.example.org. IN TLSA 3 1 1 $spki256
_$PORT._tcp.mx.example.org. IN TLSA 2 0 1 $int256" \
    "generate --from-server: the records of the chain it sends, its port"
run tlsa-check generate --from-server "127.0.0.1:$PORT"
is "$rc:$out" "0:_$PORT._tcp.mx.example.org. IN TLSA 3 1 1 $spki256
_$PORT._tcp.mx.example.org. IN TLSA 2 0 1 $int256" \
    "generate --from-server ADDR: the owner from the certificate's name"
run tlsa-check generate --from-server "127.0.0.1:$PORT" --port 25 --usage 3
is "$rc:$out" "0:$O IN TLSA 3 1 1 $spki256" \
    "generate --from-server --port --usage: the owner's port, the leaf only"
printf '%s\n' '$ORIGIN example.org.' 'mx A 127.0.0.1' >zone
run tlsa-check generate --dns-zone zone --from-server "mx.example.org:$PORT" \
    --selector 0 --usage 3
is "$rc:$out" "0:_$PORT._tcp.mx.example.org. IN TLSA 3 0 1 $cert256" \
    "generate --from-server HOST: its address looked up, 3 0 1"
run tlsa-check generate --dns-zone zone --from-server "nx.example.org:$PORT"
is "$rc" 69 "generate --from-server: a name with no address is 69"
one_line_error tlsa-check "generate --from-server: no address: one line"
run tlsa-check generate --resolver "127.0.0.1@$(dead_udp_port)" --timeout 1 \
    --from-server "mx.example.org:$PORT"
is "$rc" 75 "generate --from-server: a resolver that never answers is 75"
DEAD=$(free_port)
run tlsa-check generate --from-server "127.0.0.1:$DEAD" --host h.example
is "$rc:$out" "69:" "generate --from-server: connection refused is 69"
like "$err" "^tlsa-check: cannot connect to '127.0.0.1'" \
    "generate --from-server: refused: the diagnostic says so"
for mode in no-starttls silent close-in-handshake garbage; do
	P=$(free_port)
	daemon $PY "$MX_SRCDIR/scripts/smtp-tls-server" --mode "$mode" \
	    --listen "127.0.0.1:$P" --cert served.pem --key leaf.key
	wait_port "$P" || { echo "smtp-tls-server did not start" >&2; exit 1; }
	s=$(date +%s)
	run tlsa-check generate --timeout 1 --from-server "127.0.0.1:$P" \
	    --host h.example
	took=$(($(date +%s) - s))
	is "$rc:$out" "69:" "generate --from-server: a $mode server is 69"
	ok "generate --from-server: a $mode server takes no more than the \
timeout ($took s)" [ "$took" -le 3 ]
done

# --- generate: which certificate is the server's ----------------------------
# The first certificate of a file is the server's (3 1 1) unless it is a
# CA certificate that names no host and is not self-signed alone in its
# file; a DANE-TA record of the server's own certificate never verifies
# (RFC 7671 5.2.2).  Each shape's records, one at a time, verified by
# t/unit/tls-client against smtp-tls-server serving that certificate.
TC=$MX_BUILDDIR/t/unit/tls-client
# `openssl req -x509` and exim-gencert: self-signed, CA:TRUE, the host as
# CN; another with the host in subjectAltName; one that names no host.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout self.key -subj /CN=mx.self.test -days 30 -out self.pem 2>/dev/null
openssl req -x509 -key self.key -subj '/CN=Mail Server' -days 30 \
    -addext subjectAltName=DNS:mx.san.test -out san.pem 2>/dev/null
openssl req -x509 -key self.key -subj '/CN=Mail Server' -days 30 \
    -out anon.pem 2>/dev/null
# A server certificate issued with CA:TRUE, naming its host.
ext caleaf.ext basicConstraints=CA:true subjectAltName=DNS:mx.caleaf.test
openssl req -new -key self.key -subj /CN=caleaf 2>/dev/null |
    openssl x509 -req -CA int.pem -CAkey int.key -set_serial 4 -days 30 \
    -extfile caleaf.ext -out caleaf.pem 2>/dev/null
cat caleaf.pem int.pem >caleaf-chain.pem
cat root.pem int.pem >cas.pem
ok "self-signed server certificates are CA:TRUE, as openssl req makes them" \
    sh -c 'openssl x509 -in self.pem -noout -ext basicConstraints |
    grep -q CA:TRUE'
digest() {	# digest FILE SELECTOR: SHA-256 of its certificate or SPKI
	if [ "$2" = 0 ]; then
		openssl x509 -in "$1" -outform DER
	else
		openssl x509 -in "$1" -noout -pubkey |
		    openssl pkey -pubin -outform DER
	fi | sha256sum | cut -d ' ' -f 1 | upper
}
# serve CHAIN KEY: smtp-tls-server on a new port, $SP
serve() {
	SP=$(free_port)
	daemon $PY "$MX_SRCDIR/scripts/smtp-tls-server" \
	    --listen "127.0.0.1:$SP" --cert "$1" --key "$2"
	wait_port "$SP" || { echo "smtp-tls-server did not start" >&2; exit 1; }
}
# verifies SNI: the records in $out, each alone, verified by tls-client
# against the server at $SP; prints "1" per record that verified
verifies() {
	printf '%s\n' "$out" | while read -r _o _in _t _u _s _m _h; do
		[ -n "$_h" ] || continue
		"$TC" --timeout 3 --sni "$1" --tlsa "$_u $_s $_m $_h" \
		    127.0.0.1 "$SP" | sed -n 's/^verified=//p'
	done | tr -d '\n'
}
S=_25._tcp.mx.self.test.
run tlsa-check generate self.pem
is "$rc:$out" "0:$S IN TLSA 3 1 1 $(digest self.pem 1)" \
    "generate: a self-signed CA:TRUE certificate naming its host is 3 1 1"
serve self.pem self.key
is "$(verifies mx.self.test)" 1 "generate: its 3 1 1 verifies (tls-client)"
"$TC" --timeout 3 --sni mx.self.test --tlsa "2 0 1 $(digest self.pem 0)" \
    127.0.0.1 "$SP" >tc.out
is "$(sed -n 's/^verified=//p' tc.out)" 0 \
    "the 2 0 1 of a server's own certificate does not verify: why 3 1 1"
run tlsa-check generate --from-server "127.0.0.1:$SP"
is "$rc:$out" "0:_$SP._tcp.mx.self.test. IN TLSA 3 1 1 $(digest self.pem 1)" \
    "generate --from-server: the first certificate sent is the server's"
is "$(verifies mx.self.test)" 1 "generate --from-server: it verifies"
run tlsa-check generate san.pem
is "$rc:$out" "0:_25._tcp.mx.san.test. IN TLSA 3 1 1 $(digest san.pem 1)" \
    "generate: a self-signed certificate with a subjectAltName: 3 1 1"
serve san.pem self.key
is "$(verifies mx.san.test)" 1 "generate: its 3 1 1 verifies"
run tlsa-check generate anon.pem
is "$rc" 64 "generate: a self-signed certificate naming no host needs --host"
like "$err" "needs --host" "generate: the diagnostic says so"
run tlsa-check generate --host mx.anon.test anon.pem
is "$rc:$out" "0:_25._tcp.mx.anon.test. IN TLSA 3 1 1 $(digest anon.pem 1)" \
    "generate --host: a self-signed certificate alone, naming no host: 3 1 1"
serve anon.pem self.key
is "$(verifies mx.anon.test)" 1 "generate: its 3 1 1 verifies"
run tlsa-check generate caleaf-chain.pem
is "$rc:$out" "0:_25._tcp.mx.caleaf.test. IN TLSA 3 1 1 $(digest caleaf.pem 1)
_25._tcp.mx.caleaf.test. IN TLSA 2 0 1 $int256" \
    "generate: a CA:TRUE server certificate naming its host is the server's"
serve caleaf-chain.pem self.key
is "$(verifies mx.caleaf.test)" 11 "generate: both its records verify"
run tlsa-check generate --host mx.example.org cas.pem
is "$rc:$out" "0:$O IN TLSA 2 0 1 $root256
$O IN TLSA 2 0 1 $int256" \
    "generate: CA certificates naming no host, a root first: 2 0 1 each"
run tlsa-check generate cas.pem
is "$rc" 64 "generate: CA certificates name no host: --host needed"
run tlsa-check generate --host mx.example.org root.pem
is "$rc:$out" "0:$O IN TLSA 3 1 1 $(digest root.pem 1)" \
    "generate: a self-signed certificate alone is taken for the server's"
run tlsa-check generate --host mx.example.org --usage 2 root.pem
is "$rc:$out" "0:$O IN TLSA 2 0 1 $root256" \
    "generate --usage 2: a self-signed CA certificate alone pinned as a CA"
run tlsa-check generate --usage 2 caleaf-chain.pem
is "$rc:$out" "0:_25._tcp.mx.caleaf.test. IN TLSA 2 0 1 $int256" \
    "generate --usage 2: not the server's certificate, though CA:TRUE"
run tlsa-check generate --host mx.example.org chain.pem
serve chain.pem leaf.key
is "$(verifies mx.example.org)" 111 \
    "generate: a chain's three records each verify, sent whole"

# --- check --time: certificates judged as at T -------------------------------
# A DANE-TA leaf valid for 2 days, issued by int: at now + 5 days it has
# expired, and a DANE-TA sender fails it; DANE-EE has no expiry check.
# The records from a zone file, secure by --trust-ad (no signature to
# expire at T).
ext ta2.ext basicConstraints=CA:false \
    subjectAltName=DNS:mx-ta.example.org,DNS:mx-ee.example.org
openssl req -new -key leaf.key -subj /CN=mx-ta.example.org 2>/dev/null |
    openssl x509 -req -CA int.pem -CAkey int.key -set_serial 5 -days 2 \
    -extfile ta2.ext -out ta2.pem 2>/dev/null
cat ta2.pem int.pem >ta2-chain.pem
serve ta2-chain.pem leaf.key
printf '%s\n' '$ORIGIN example.org.' 'mx-ta A 127.0.0.1' 'mx-ee A 127.0.0.1' \
    "_$SP._tcp.mx-ta TLSA 2 0 1 $int256" \
    "_$SP._tcp.mx-ee TLSA 3 1 1 $(digest ta2.pem 1)" >time.zone
later=$(($(date +%s) + 5 * 86400))
for t in "" "--time $later"; do
	# shellcheck disable=SC2086 # the option and its value
	run tlsa-check --dns-zone time.zone --trust-ad --port "$SP" $t \
	    --host mx-ta.example.org
	set -- "$rc" "$(printf '%s\n' "$out" | head -n 1 | cut -d : -f 1-2)"
	if [ -z "$t" ]; then
		is "$1:$2" "0:mx-ta.example.org: verified" \
		    "check: a DANE-TA leaf valid now is verified"
	else
		is "$1:$2" "1:mx-ta.example.org: mismatch" \
		    "check --time: the DANE-TA leaf expired at T: mismatch, 1"
		like "$out" "certificate has expired" \
		    "check --time: the reason, expired, in the report"
		ok "check --time: the expired leaf is not called a name failure" \
		    test -z "$(printf '%s\n' "$out" | grep 'names neither')"
	fi
done
run tlsa-check --dns-zone time.zone --trust-ad --port "$SP" --time "$later" \
    --host mx-ee.example.org
is "$rc:$(printf '%s\n' "$out" | head -n 1 | cut -d : -f 1-2)" \
    "0:mx-ee.example.org: verified" \
    "check --time: DANE-EE, the same leaf expired at T, still verified"

# --- check: usage, file and resolver errors, before any lookup --------------
for bad in "--port 0" "--port 65536" "--jobs 0" "--jobs 257" "--warn-days x" \
    "--warn-days -1" "--time 12ab" "--timeout 0" "--resolver nonsense" \
    "--host mx.example:0" "--host mx.example:x"; do
	# shellcheck disable=SC2086 # the option and its value
	run tlsa-check $bad ee.test
	is "$rc:$out" "64:" "check $bad: usage error, nothing written"
done
run tlsa-check --host mx.ee.test ee.test
is "$rc" 64 "check: --host takes no DOMAIN (64)"
one_line_error tlsa-check "check: --host with a DOMAIN: one line"
run tlsa-check --anchor root.pem --trust-ad ee.test
is "$rc" 64 "check: --anchor and --trust-ad exclude each other (64)"
run tlsa-check --helo 'a b' ee.test
is "$rc" 64 "check: an EHLO name with a blank is 64"
run tlsa-check 'a b'
is "$rc:$out" "64:" "check: a domain with a blank is 64"
like "$err" "^tlsa-check: bad domain 'a b'$" "check: the diagnostic names it"
run tlsa-check ''
is "$rc" 64 "check: an empty domain is 64"
run tlsa-check --bogus ee.test
is "$rc" 64 "check: an unknown option is 64"
one_line_error tlsa-check "check: unknown option: one line"
run tlsa-check --anchor nosuch.key ee.test
is "$rc:$out" "66:" "check: a missing anchor file is 66, before any check"
one_line_error tlsa-check "check: missing anchor: one line"
run tlsa-check --anchor leaf.pem ee.test
is "$rc:$out" "65:" "check: an anchor file with no DNSKEY or DS is 65"
one_line_error tlsa-check "check: malformed anchor: one line"
# A bad name on stdin: a diagnostic naming its line, no report for it,
# the other lines checked, and 65 for the run (above 1 and 75).
printf '%s\n' '$ORIGIN test.' 'a MX 0 .' 'b MX 0 .' >null.zone
long=$(printf '%0305d' 0 | tr 0 a)
printf '%s\n' a.test "$long" '# a comment' 'x..test' b.test >names
run tlsa-check --dns-zone null.zone --trust-ad --json <names
is "$rc" 65 "check: a bad name on stdin makes the run 65"
is "$(printf '%s\n' "$out" | sed 's/^{"domain":"\([^"]*\)".*/\1/' |
    tr '\n' ' ')" "a.test b.test " \
    "check: the good names of stdin reported, the bad ones not"
is "$(printf '%s\n' "$err" | sed 's/aaaa*/A/')" \
    "tlsa-check: bad domain name 'A...' on line 2: longer than 253 bytes
tlsa-check: bad domain name 'x..test' on line 4: an empty label" \
    "check: a one-line diagnostic per bad line, naming the line"
run sh -c 'tlsa-check --dns-zone null.zone --trust-ad a.test - <names'
is "$rc" 65 "check: a bad name on stdin among argv's domains: still 65"
printf '%s\n' a.test "$(printf '%064d' 0).test" | tlsa-check \
    --dns-zone null.zone --trust-ad >/dev/null 2>"$T/err"
is "$?:$(cut -d : -f 2- "$T/err")" \
    "65: bad domain name '$(printf '%048d' 0)...' on line 2: a label \
longer than 63 bytes" "check: a label over 63 bytes on stdin is 65"
run tlsa-check --dns-zone nosuch.zone ee.test
is "$rc:$out" "66:" "check: a missing zone file is 66"
printf '"unclosed\n' >bad.zone
run tlsa-check --dns-zone bad.zone ee.test
is "$rc:$out" "65:" "check: a zone file with a syntax error is 65"
run tlsa-check --usage
is "$rc" 0 "check: --usage is the short usage message"
like "$out" "--warn-days" "check --usage: lists the options"
run tlsa-check --help
like "$out" "--trust-ad" "check --help: the check options"

# --- check: against the offline test bed -----------------------------------
for c in knotd kdig ldns-signzone ldns-keygen ldns-key2ds exim4; do
	if ! PATH=$PATH:/usr/sbin command -v "$c" >/dev/null; then
		skip 1 "the test bed needs $c"
		done_testing
	fi
done
. "$MX_SRCDIR/scripts/dane-testbed.sh"
testbed_make "$T/bed" && testbed_start "$T/bed" ||
    { echo "the test bed did not come up" >&2; exit 1; }
B="--resolver $TB_DNS --anchor $TB_ANCHOR --port $TB_PORT"

# shellcheck disable=SC2086 # $B: the bed's options
run tlsa-check $B ee.test
is "$rc" 0 "check: a DANE-EE match is 0"
is "$(printf '%s\n' "$out" | head -n 1)" \
    "ee.test: verified: a DANE sender can deliver to 1 of 1 host" \
    "check: the first line is the domain's verdict"
like "$out" "tlsa _${TB_PORT}._tcp.mx.ee.test: ok, secure" \
    "check --port: the TLSA name has that port"
ok "check: the chain, and no warning without --warn-days" \
    [ "$(printf '%s\n' "$out" | grep -c -e 'cert 0:')" -eq 1 ] &&
    [ "$(printf '%s\n' "$out" | grep -c -e 'warning:')" -eq 0 ]
# shellcheck disable=SC2086
run tlsa-check $B --json ee.test
is "$rc" 0 "check --json: exit 0"
is "$(printf '%s\n' "$out" | $PY -c 'import json, sys
o = json.loads(sys.stdin.read())
h = o["hosts"][0]
a = h["addresses"][0]
print(o["domain"], o["verdict"], o["status"], h["tls_out_tlsa_usage"],
      h["tls_out_dane"], a["depth"], a["matched"][:5],
      [l["dnssec"] for l in h["lookups"]])')" \
    "ee.test verified 0 8 yes 0 3 1 1 ['secure', 'secure', 'secure']" \
    "check --json: one object: verdict, usage mask, depth, matched, dnssec"
# shellcheck disable=SC2086
run tlsa-check $B ee.test digest.test
is "$rc" 1 "check: two domains, one mismatch: 1"
is "$(printf '%s\n' "$out" | grep '^[^ ]' | cut -d : -f 1-2)" \
    "ee.test: verified
digest.test: mismatch" "check: one report per domain, in order"
# knot refuses a name outside its zones: a temporary failure, which a
# domain found wrong outranks (a retry cannot mend it).
# shellcheck disable=SC2086
run tlsa-check $B ee.test elsewhere.example
is "$rc:$(printf '%s\n' "$out" | grep '^[^ ]' | cut -d : -f 1-2)" \
    "75:ee.test: verified
elsewhere.example: tempfail" "check: a verified domain and a DNS failure: 75"
# shellcheck disable=SC2086
run tlsa-check $B elsewhere.example digest.test
is "$rc" 1 "check: a DNS failure and a mismatch: 1 outranks 75"
printf '%s\n' digest.test '# a comment' '' ee.test >domains
# shellcheck disable=SC2086
run sh -c "tlsa-check $B <domains"
is "$rc:$(printf '%s\n' "$out" | grep '^[^ ]' | cut -d : -f 1-2)" \
    "1:digest.test: mismatch
ee.test: verified" "check: domains on standard input, comments skipped"
# shellcheck disable=SC2086
run sh -c "tlsa-check $B ee.test - <domains"
is "$(printf '%s\n' "$out" | grep -c '^[^ ]')" 3 \
    "check: '-' among the domains is standard input"
cut -d ' ' -f 1 "$TB_DIR/cases" >all
# shellcheck disable=SC2086
run sh -c "tlsa-check $B --jobs 1 <all"
one=$out
one_rc=$rc
# shellcheck disable=SC2086
run sh -c "tlsa-check $B --jobs 16 <all"
is "$rc" "$one_rc" "check --jobs 16: the status of --jobs 1"
ok "check --jobs 16: the same reports in the same order as --jobs 1" \
    [ "$out" = "$one" ]
is "$(printf '%s\n' "$out" | grep '^[^ ]' | cut -d : -f 1)" \
    "$(cat all)" "check --jobs: every domain of the input, in input order"
# shellcheck disable=SC2086
run tlsa-check $B --host mx.ee.test
is "$rc" 0 "check --host: one host, verified"
like "$(printf '%s\n' "$out" | sed -n 2p)" \
    "^  host mx.ee.test, port $TB_PORT:" \
    "check --host: no MX preference, the port"
# shellcheck disable=SC2086
run tlsa-check $B nexthop.test
is "$rc" 0 "check: a DANE-TA leaf naming only the next-hop domain passes"
# shellcheck disable=SC2086
run tlsa-check $B --host mx.nexthop.test
is "$rc" 1 "check --host: the same host alone fails: no next-hop domain"
run tlsa-check --resolver "$TB_DNS" --anchor "$TB_ANCHOR" \
    --host "mx.ee.test:$TB_PORT"
is "$rc" 0 "check --host HOST:PORT: the port from the host"
run tlsa-check --resolver "$TB_DNS" --anchor "$TB_ANCHOR" ee.test
is "$rc" 1 "check: without --port, port 25, where nothing listens: 1"
like "$out" "tlsa _25._tcp.mx.ee.test: nxdomain, secure" \
    "check: without --port the TLSA name is at _25._tcp"
# shellcheck disable=SC2086
run tlsa-check $B -v ee.test
like "$out" "ok, secure, signatures expire 20" "check -v: the expiry of the signatures"
# shellcheck disable=SC2086
run tlsa-check $B --warn-days 36500 ee.test
is "$rc" 0 "check --warn-days: warnings only, still 0"
like "$out" "warning: the certificate 'CN=mx.ee.test' expires" \
    "check --warn-days: a certificate expiring within N days is a warning"
like "$out" "warning: the RRSIG of the tlsa lookup" \
    "check --warn-days: an RRSIG expiring within N days is a warning"
# shellcheck disable=SC2086
run tlsa-check $B --time 2100000000 ee.test
is "$rc:$(printf '%s\n' "$out" | head -n 1)" "1:ee.test: bogus" \
    "check --time: after the signatures expire, bogus: 1"
# shellcheck disable=SC2086
run tlsa-check $B --helo client.example.net ee.test
is "$rc" 0 "check --helo: a good EHLO name"
(cd "$T" && ldns-keygen -a ECDSAP256SHA256 -k test >other-anchor) &&
    mv "$T/$(cat "$T/other-anchor").key" "$T/other.key"
run tlsa-check --resolver "$TB_DNS" --anchor "$T/other.key" \
    --port "$TB_PORT" ee.test
is "$rc:$(printf '%s\n' "$out" | head -n 1)" "1:ee.test: bogus" \
    "check --anchor: another key for test. makes the zone bogus"
run tlsa-check --resolver "$TB_DNS" --trust-ad --port "$TB_PORT" ee.test
is "$rc:$(printf '%s\n' "$out" | head -n 1 | cut -d : -f 1-2)" \
    "1:ee.test: insecure" \
    "check --trust-ad: a server that does not validate sets no AD: insecure"
if [ -x /usr/sbin/unbound ] && testbed_resolver; then
	run tlsa-check --resolver "$TB_VALIDATOR" --trust-ad --port "$TB_PORT" \
	    ee.test bogussig.test
	is "$rc:$(printf '%s\n' "$out" | grep '^[^ ]' | cut -d : -f 1-2)" \
	    "1:ee.test: verified
bogussig.test: bogus" \
	    "check --trust-ad: unbound validating: secure and bogus as it says"
else
	skip 1 "no validating unbound"
fi
s=$(date +%s)
run tlsa-check --resolver "127.0.0.1@$(dead_udp_port)" --timeout 1 \
    --anchor "$TB_ANCHOR" ee.test
took=$(($(date +%s) - s))
is "$rc:$(printf '%s\n' "$out" | head -n 1)" "75:ee.test: tempfail" \
    "check: a resolver that never answers is 75"
ok "check --timeout 1: a silent resolver costs no more ($took s)" \
    [ "$took" -le 3 ]
# shellcheck disable=SC2086
run sh -c "tlsa-check $B <."
is "$rc" 74 "check: standard input that cannot be read is 74"
one_line_error tlsa-check "check: unreadable standard input: one line"
# shellcheck disable=SC2086
run closed_pipe tlsa-check $B ee.test
is "$rc" 74 "check: a write error is 74"

# --- generate --from-server against the bed's Exim --------------------------
run tlsa-check generate --from-server "127.0.0.2:$TB_PORT" --host mx.ee.test
is "$rc:$(printf '%s\n' "$out" | head -n 1)" \
    "0:_$TB_PORT._tcp.mx.ee.test. IN TLSA 3 1 1 $(openssl x509 \
    -in "$TB_DIR/pki/ee.crt" -noout -pubkey | openssl pkey -pubin \
    -outform DER | sha256sum | cut -d ' ' -f 1 | upper)" \
    "generate --from-server: Exim's chain gives the record the bed publishes"

done_testing
