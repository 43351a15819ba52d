#!/bin/sh
# tlsa-check over every case of the offline test bed (scripts/dane-testbed.sh):
# the verdict of each host and the exit status as DIR/cases gives them, in
# text and in JSON; the SNI, the matched record and its depth, Exim's usage
# mask and the chain against what openssl says of the bed's certificates;
# --warn-days and rollover; many domains on stdin in input order; and hosts
# checked in parallel.
. "${MX_SRCDIR:-.}/t/lib.sh"
need knotd kdig ldns-signzone ldns-keygen openssl
[ -x "$MX_BUILDDIR/tools/tlsa-check" ] || skip_all "tlsa-check not built"
. "$MX_SRCDIR/scripts/dane-testbed.sh"

testbed_make "$T/bed" >"$T/bed.log" 2>&1 ||
    { cat "$T/bed.log"; echo "Bail out! no test bed"; exit 1; }
testbed_start "$T/bed" >"$T/bed.log" 2>&1 ||
    { cat "$T/bed.log"; echo "Bail out! the test bed did not start"; exit 1; }
PKI=$TB_DIR/pki

tc() {
	tlsa-check --resolver "$TB_DNS" --anchor "$TB_ANCHOR" \
	    --port "$TB_PORT" --timeout 5 "$@"
}

# j EXPR: EXPR (Python, over d, the JSON object in $T/out; h its first
# host, a that host's first address) printed; lists are joined by blanks,
# None is "null", booleans are true/false.
j() {
	$PY - "$1" "$T/out" <<'EOF'
import json, sys
d = json.load(open(sys.argv[2]))
h = d["hosts"][0] if d["hosts"] else {}
a = h["addresses"][0] if h.get("addresses") else {}
def show(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return " ".join(show(x) for x in v)
    return str(v)
print(show(eval(sys.argv[1])))
EOF
}

# What openssl says of the bed's certificates: the TLSA data of each.
upper() { tr 'a-f' 'A-F'; }
spki() {
	openssl x509 -in "$PKI/$1.crt" -noout -pubkey |
	    openssl pkey -pubin -outform DER | sha256sum | cut -d ' ' -f 1
}
certhash() {
	openssl x509 -in "$PKI/$1.crt" -outform DER | sha256sum |
	    cut -d ' ' -f 1
}
not_after() {
	date -u -d "$(openssl x509 -in "$PKI/$1.crt" -noout -enddate |
	    cut -d = -f 2)" '+%Y-%m-%dT%H:%M:%SZ'
}
EE=$(spki ee | upper)
HOST=$(spki host | upper)
INT=$(certhash int | upper)

# Every case, JSON and text: exit status and the verdicts of the hosts.
while read -r dom want verdicts; do
	run tc --json "$dom"
	is "$rc" "$want" "$dom: exit status $want"
	is "$(j '[h["verdict"] for h in d["hosts"]]')" "$verdicts" \
	    "$dom: verdicts $verdicts (json)"
	is "$(j 'd["status"]')" "$want" "$dom: status in the json"
	run tc "$dom"
	is "$rc" "$want" "$dom: exit status $want (text)"
	is "$(printf '%s\n' "$out" | grep -E '^  host ' |
	    sed 's/.*: //' | tr '\n' ' ' | sed 's/ $//')" "$verdicts" \
	    "$dom: verdicts $verdicts (text)"
done <"$TB_DIR/cases"
while read -r host want verdict; do
	run tc --json --host "$host"
	is "$rc/$(j 'h["verdict"]')" "$want/$verdict" \
	    "--host $host: $verdict, exit $want"
done <"$TB_DIR/hosts"

# DANE-EE: SNI the MX host, 3 1 1 of the leaf at depth 0, mask 8.
run tc --json ee.test
is "$(j 'd["mx"]["dnssec"]')/$(j '[l["dnssec"] for l in h["lookups"]]')" \
    "secure/secure secure secure" "ee.test: every lookup secure"
is "$(j 'h["sni"]')" mx.ee.test "ee.test: SNI is the MX host"
is "$(j 'a["matched"]')" "3 1 1 $EE" \
    "ee.test: the leaf's 3 1 1 matched"
is "$(j 'a["depth"]')" 0 "ee.test: at depth 0"
is "$(j 'h["tls_out_tlsa_usage"]')/$(j 'h["tls_out_dane"]')" \
    "8/yes" "ee.test: tls_out_tlsa_usage 8, tls_out_dane yes"
is "$(j 'a["chain"][0]["spki_sha256"]')" \
    "$(spki ee)" "ee.test: the leaf's SPKI digest as openssl has it"
is "$(j 'a["chain"][0]["notAfter"]')" \
    "$(not_after ee)" "ee.test: the leaf's notAfter as openssl has it"
is "$(j 'h["deliverable"]')" true "ee.test: deliverable"
like "$(j 'a["version"]')" '^TLSv1\.[23]$' \
    "ee.test: the TLS version"
run tc ee.test
like "$out" "    sni mx\.ee\.test" "ee.test: text names the SNI"
like "$out" "verified by 3 1 1 $EE at depth 0" \
    "ee.test: text names the matched record and its depth"
like "$out" "tls_out_tlsa_usage=8 tls_out_dane=yes" \
    "ee.test: text gives Exim's variables"

# DANE-TA: the issuer's 2 0 1 at depth 1, the name checked, mask 4.
run tc --json ta.test
is "$(j 'a["matched"]')" "2 0 1 $INT" \
    "ta.test: the intermediate's 2 0 1 matched"
is "$(j 'a["depth"]')" 1 "ta.test: at depth 1"
is "$(j 'a["peername"]')" mx.ta.test \
    "ta.test: the name that matched is the TLSA base domain"
is "$(j 'h["tls_out_tlsa_usage"]')/$(j 'h["tls_out_dane"]')" \
    "4/yes" "ta.test: tls_out_tlsa_usage 4, tls_out_dane yes"

# DANE-TA, the leaf names only the next-hop domain: it passes over a
# secure MX lookup (RFC 7672 3.2.2), not with --host.
run tc --json nexthop.test
is "$(j 'a["peername"]')" nexthop.test \
    "nexthop.test: the next-hop domain matched"
run tc --json --host mx.nexthop.test
is "$(j 'a["verified"]')/$(j 'h["tls_out_dane"]')" \
    "false/no" "--host mx.nexthop.test: no next-hop domain, no match"

# DANE-TA, a leaf naming neither: the digest matches, the name does not;
# no rollover is suggested for a record that is published already.
run tc --json taname.test
is "$(j 'a["verified"]')/$(j 'h["would_match"]')" \
    "false/" "taname.test: not verified, no record would do better"
like "$(j 'h["warnings"]')" "names neither the TLSA base domain" \
    "taname.test: the warning says the name failed"
is "$(j 'h["tls_out_tlsa_usage"]')" 4 "taname.test: mask 4"

# A digest that no longer matches: the record that would is named.
run tc --json digest.test
is "$(j 'h["would_match"]')" "3 1 1 $HOST" \
    "digest.test: the record that would match after a rollover"
is "$(j 'h["tls_out_dane"]')/$(j 'h["deliverable"]')" \
    "no/false" "digest.test: no DANE, a DANE sender defers"
run tc digest.test
like "$out" "would match 3 1 1 $HOST" "digest.test: text names it too"

# A CNAME to the MX host: the TLSA at the expanded name first, and the
# expanded name as SNI (RFC 7672 2.2.2).
run tc --json cname.test
is "$(j 'h["lookups"][0]["owner"]')" real.cname.test \
    "cname.test: the address lookup followed the CNAME"
is "$(j 'h["sni"]')" real.cname.test \
    "cname.test: SNI is the expanded name"
is "$(j 'a["matched"]')" "3 1 1 $HOST" \
    "cname.test: the record at the expanded name matched"

# Usages 0 and 1 only, and a SHA-256 of 31 bytes: TLS without
# authentication, no DANE mask.
run tc --json pkix.test
is "$(j '[t["usable"] for t in h["tlsa"]]')" "false false" \
    "pkix.test: usages 0 and 1 are unusable"
is "$(j 'h["tls_out_tlsa_usage"]')/$(j 'h["sni"]')/$(j 'h["deliverable"]')" \
    "0/null/true" "pkix.test: no DANE, no SNI, delivered over TLS"
run tc --json badlen.test
like "$(j 'h["tlsa"][0]["why"]')" 31 \
    "badlen.test: the record's 31 bytes named"

# Insecure: the domain's zone unsigned; the TLSA under an unsigned cut.
run tc --json insecure.test
is "$(j 'd["mx"]["dnssec"]')/$(j 'h["tls_out_tlsa_usage"]')" \
    "insecure/0" "insecure.test: the MX lookup is insecure, no DANE"
run tc --json tlsains.test
is "$(j '[l["what"] + ":" + l["dnssec"] for l in h["lookups"]]')" \
    "a:secure aaaa:secure tlsa:insecure" \
    "tlsains.test: addresses secure, the TLSA insecure"
is "$(j '[t["usable"] for t in h["tlsa"]]')/$(j 'h["tlsa"][0]["why"]')" \
    "false/not DNSSEC-secure" \
    "tlsains.test: an insecure record is no usable one"

# Bogus TLSA (a signature edited, an RRSIG gone): no connection at all.
for dom in bogussig.test nosig.test; do
	run tc --json "$dom"
	is "$(j 'h["lookups"][-1]["dnssec"]')/$(j '[x["fail"] for x in
	    h["addresses"]]')" \
	    "bogus/null" "$dom: the TLSA lookup is bogus, no connection tried"
done

# DANE-EE takes an expired leaf (RFC 7672 3.1.1); --warn-days tells.
run tc --json expired.test
is "$(j 'a["chain"][0]["notAfter"]')" \
    2025-02-01T00:00:00Z "expired.test: the notAfter reported"
is "$rc/$(j 'h["verdict"]')/$(j 'h["warnings"]')" \
    "0/verified/the certificate 'CN=mx.expired.test' expired \
2025-02-01T00:00:00Z" "expired.test: verified, the expiry a warning \
without --warn-days too"
run tc --json --warn-days 1 expired.test
is "$rc" 0 "expired.test --warn-days 1: still 0"
like "$(j 'h["warnings"]')" \
    "certificate 'CN=mx.expired.test' expired 2025-02-01T00:00:00Z" \
    "expired.test --warn-days 1: the expiry is a warning"

# RRSIGs: the bed's expire 2036-01-01; judged from mid-December 2035.
run tc --json --warn-days 30 --time "$(date -u -d 2035-12-15 +%s)" ee.test
like "$(j 'h["warnings"]')" "RRSIG of the tlsa lookup of \
'_${TB_PORT}\._tcp\.mx\.ee\.test' expires 2036-01-01T00:00:00Z, in 17 days" \
    "--warn-days 30: the TLSA's RRSIG expiry is a warning"
like "$(j 'd["warnings"]')" "RRSIG of the mx lookup of 'ee.test' expires" \
    "--warn-days 30: so is the MX lookup's"

# Refused, no STARTTLS, several hosts, no MX.
run tc --json refused.test
is "$(j 'a["fail"]')" refused \
    "refused.test: the connection was refused"
run tc --json nostarttls.test
is "$(j 'a["fail"]')/$(j 'h["deliverable"]')" \
    "notls/false" "nostarttls.test: no STARTTLS, a DANE sender defers"
run tc --json multi.test
is "$(j '[h["name"] + ":" + str(h["pref"]) for h in d["hosts"]]')" \
    "mx1.multi.test:10 mx2.multi.test:20" "multi.test: hosts by preference"
is "$(j '[h["deliverable"] for h in d["hosts"]]')" "true false" \
    "multi.test: one host deliverable"
run tc --json nomx.test
is "$(j 'd["mx"]["status"]')/$(j 'h["name"]')/$(j 'h["pref"]')" \
    "nodata/nomx.test/0" "nomx.test: no MX, the domain itself"

# Many domains on stdin: output in input order, the worst status.
printf '%s\n' '# comment' ee.test '' digest.test ta.test refused.test \
    nomx.test expired.test >"$T/list"
run tc --json --jobs 3 <"$T/list"
is "$rc" 1 "stdin: exit 1 (digest.test, refused.test)"
is "$($PY -c 'import json, sys
print(" ".join(json.loads(l)["domain"]
               for l in open(sys.argv[1])))' "$T/out")" \
    "ee.test digest.test ta.test refused.test nomx.test expired.test" \
    "stdin: one object per domain, in input order"
printf '%s\n' ee.test ta.test nomx.test | tc --jobs 2 >"$T/out"
is "$?/$(grep -c '^[a-z.]*: verified' "$T/out")" 0/3 "stdin: 0 when all pass"

# Hosts in parallel: four MX hosts, each server waiting 1 s before its
# banner; the domain takes about 1 s, not 4.
{
	printf '$ORIGIN par.test.\n'
	for n in 1 2 3 4; do
		printf '@ MX 10 mx%s\nmx%s A 127.0.0.3%s\n' "$n" "$n" "$n"
		printf '_%s._tcp.mx%s TLSA 3 1 1 %s\n' "$TB_PORT" "$n" "$HOST"
	done
	# a domain without delay, for the order of the output
	printf '$ORIGIN fast.test.\n@ MX 10 mx\nmx A 127.0.0.35\n'
	printf '_%s._tcp.mx TLSA 3 1 1 %s\n' "$TB_PORT" "$HOST"
	# no TLSA: a server that never speaks, one without STARTTLS
	printf '$ORIGIN silent.test.\n@ MX 10 mx\nmx A 127.0.0.36\n'
	printf '$ORIGIN plain.test.\n@ MX 10 mx\nmx A 127.0.0.37\n'
} >"$T/par.zone"
for n in 1 2 3 4; do
	daemon $PY "$MX_SRCDIR/scripts/smtp-tls-server" \
	    --listen "127.0.0.3$n:$TB_PORT" --cert "$PKI/host.pem" \
	    --key "$PKI/host.key" --delay 1
done
daemon $PY "$MX_SRCDIR/scripts/smtp-tls-server" \
    --listen "127.0.0.35:$TB_PORT" --cert "$PKI/host.pem" \
    --key "$PKI/host.key"
daemon $PY "$MX_SRCDIR/scripts/smtp-tls-server" \
    --listen "127.0.0.36:$TB_PORT" --cert "$PKI/host.pem" \
    --key "$PKI/host.key" --mode silent
daemon $PY "$MX_SRCDIR/scripts/smtp-tls-server" \
    --listen "127.0.0.37:$TB_PORT" --cert "$PKI/host.pem" \
    --key "$PKI/host.key" --mode no-starttls
$PY - "$TB_PORT" <<'EOF' || echo "# a slow server did not come up"
import socket, sys, time
end = time.time() + 5
for n in range(1, 8):
    while True:
        try:
            socket.create_connection(("127.0.0.3%d" % n, int(sys.argv[1])),
                                     0.2).close()
            break
        except OSError:
            if time.time() > end:
                sys.exit(1)
            time.sleep(0.05)
EOF
s0=$(date +%s.%N)
run tlsa-check --dns-zone "$T/par.zone" --trust-ad --port "$TB_PORT" \
    --timeout 5 --json par.test
s1=$(date +%s.%N)
is "$rc/$(j '[h["verdict"] for h in d["hosts"]]')" \
    "0/verified verified verified verified" "par.test: four hosts verified"
one=$(j 'a["seconds"]')
wall=$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.2f", b - a }')
diag "par.test: $wall s for four hosts; one took $one s"
ok "par.test: one host waited its second" awk -v s="$one" \
    'BEGIN { exit !(s >= 0.9) }'
ok "par.test: the domain took under 3 s, not the 4 s of the sum" \
    awk -v s="$wall" 'BEGIN { exit !(s < 3) }'

# Two domains at once from stdin: the slow one first, printed first.
printf '%s\n' par.test fast.test | tlsa-check --dns-zone "$T/par.zone" \
    --trust-ad --port "$TB_PORT" --timeout 5 --jobs 2 >"$T/out"
is "$?/$(sed 's/: .*//' "$T/out" | grep -v '^ ' | tr '\n' ' ')" \
    "0/par.test fast.test " "stdin: the slow domain's report first"

# Without TLSA a sender goes on in clear text without STARTTLS, but not
# past a server that never answers (bounded by --timeout).
run tlsa-check --dns-zone "$T/par.zone" --trust-ad --port "$TB_PORT" \
    --timeout 5 --json plain.test
is "$rc/$(j 'h["verdict"]')/$(j 'h["deliverable"]')" \
    "1/no-tlsa/true" "plain.test: no TLSA, no STARTTLS: deliverable"
like "$(j 'h["note"]')" "in clear text" \
    "plain.test: the note says in clear text"
run tlsa-check --dns-zone "$T/par.zone" --trust-ad --port "$TB_PORT" \
    --timeout 1 --json silent.test
is "$rc/$(j 'h["verdict"]')/$(j 'h["deliverable"]')/$(j 'a["fail"]')" \
    "1/no-tlsa/false/timeout" \
    "silent.test: no TLSA, a silent server: not deliverable"
ok "silent.test: within the 1 s timeout" awk \
    -v s="$(j 'a["seconds"]')" \
    'BEGIN { exit !(s >= 0.9 && s < 1.5) }'

# unlike GOT ERE DESCRIPTION: GOT has no match for ERE.
unlike() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		_result 1 "$3"
		diag "     got: '$1'" "unwanted: '$2'"
	else
		_result 0 "$3"
	fi
}

# Digest agility (RFC 7671 9): a stale 3 1 2 beside the 3 1 1 that
# matches outranks it in OpenSSL; the report names the 3 1 2, not a name.
ROOT=$(certhash root | upper)
STALE512=$(openssl pkey -in "$PKI/other.key" -pubout -outform DER |
    sha512sum | cut -d ' ' -f 1 | upper)
# A chain with a stray certificate between the leaf and its issuer.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/stray.key" -out "$T/stray.crt" -subj /CN=stray -days 30 \
    2>/dev/null
STRAY=$(openssl x509 -in "$T/stray.crt" -outform DER | sha256sum |
    cut -d ' ' -f 1 | upper)
openssl x509 -in "$PKI/host.crt" >"$T/straychain.pem"
cat "$T/stray.crt" "$PKI/int.crt" >>"$T/straychain.pem"
{
	printf '$ORIGIN agile.test.\n@ MX 10 mx\nmx A 127.0.0.35\n'
	printf '_%s._tcp.mx TLSA 3 1 1 %s\n' "$TB_PORT" "$HOST"
	printf '_%s._tcp.mx TLSA 3 1 2 %s\n' "$TB_PORT" "$STALE512"
	printf '$ORIGIN stray.test.\n@ MX 10 mx\nmx A 127.0.0.38\n'
	printf '_%s._tcp.mx TLSA 2 0 1 %s\n' "$TB_PORT" "$ROOT"
	printf '$ORIGIN stray2.test.\n@ MX 10 mx\nmx A 127.0.0.38\n'
	printf '_%s._tcp.mx TLSA 2 0 1 %s\n' "$TB_PORT" "$STRAY"
	# eight addresses that accept and never speak
	printf '$ORIGIN many.test.\n@ MX 10 mx\n'
	for n in 40 41 42 43 44 45 46 47; do
		printf 'mx A 127.0.0.%s\n' "$n"
	done
} >"$T/fix.zone"
daemon $PY "$MX_SRCDIR/scripts/smtp-tls-server" \
    --listen "127.0.0.38:$TB_PORT" --cert "$T/straychain.pem" \
    --key "$PKI/host.key"
daemon $PY -c 'import socket, sys, time
socks = []
for n in range(40, 48):
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.%d" % n, int(sys.argv[1])))
    s.listen(8)
    socks.append(s)
time.sleep(600)' "$TB_PORT"
for a in 127.0.0.38 127.0.0.47; do
	$PY -c 'import socket, sys, time
end = time.time() + 5
while True:
    try:
        socket.create_connection((sys.argv[1], int(sys.argv[2])), 0.2).close()
        break
    except OSError:
        if time.time() > end:
            sys.exit(1)
        time.sleep(0.05)' "$a" "$TB_PORT" || echo "# $a did not come up"
done
fz() {
	tlsa-check --dns-zone "$T/fix.zone" --trust-ad --port "$TB_PORT" \
	    --timeout 1 "$@"
}
run fz --json agile.test
is "$rc/$(j 'h["verdict"]')" 1/mismatch \
    "agile.test: a stale 3 1 2 beside a good 3 1 1 is a mismatch"
like "$(j 'h["warnings"]')" "record 3 1 2 $STALE512 .*digest agility" \
    "agile.test: the stale SHA-512 record named as the cause"
unlike "$(j 'h["warnings"]')" "names neither" \
    "agile.test: no name problem for DANE-EE"

# A stray certificate in the chain: the advice is the real issuer's.
run fz --json stray.test
is "$rc/$(j 'h["would_match"]')" "1/2 0 1 $INT" \
    "stray.test: 2 0 1 of the leaf's real issuer would match"
run fz --json stray2.test
is "$(j 'h["would_match"]')" "2 0 1 $INT" \
    "stray2.test: a record of the stray certificate: the issuer's advised"
like "$(j 'h["warnings"]')" "matches 'CN=stray', which 127.0.0.38 sends \
but which did not issue its leaf" "stray2.test: the stray certificate named"
unlike "$(j 'h["warnings"]')" "names neither" \
    "stray2.test: not called a name problem"

# Eight silent addresses: five checked at once, the rest named.
s0=$(date +%s.%N)
run fz --json many.test
s1=$(date +%s.%N)
is "$(j '[x["fail"] for x in h["addresses"]]')" \
    "timeout timeout timeout timeout timeout null null null" \
    "many.test: the first five addresses checked, three not"
like "$(j 'h["warnings"]')" "3 of the 8 addresses not checked, past the \
limit of 5 a host .*: 127\.0\.0\.45 127\.0\.0\.46 127\.0\.0\.47" \
    "many.test: the addresses left unchecked named"
wall=$(awk -v a="$s0" -v b="$s1" 'BEGIN { printf "%.2f", b - a }')
diag "many.test: $wall s with --timeout 1"
ok "many.test: the five at once, not one after the other" \
    awk -v s="$wall" 'BEGIN { exit !(s < 3) }'

# The same records in another order (a resolver rotating its RRsets):
# the same report.
{
	printf '@ MX 10 mxb\n@ MX 10 mxa\n@ MX 5 mxc\n'
	printf 'mxa A 127.0.0.50\nmxa A 127.0.0.35\nmxb A 127.0.0.51\n'
	printf 'mxc A 127.0.0.52\n'
	printf '_%s._tcp.mxa TLSA 3 1 1 %s\n' "$TB_PORT" "$HOST"
	printf '_%s._tcp.mxa TLSA 3 0 1 %s\n' "$TB_PORT" "$INT"
	printf '_%s._tcp.mxa TLSA 2 0 1 %s\n' "$TB_PORT" "$INT"
} >"$T/order.body"
{ printf '$ORIGIN order.test.\n'; cat "$T/order.body"; } >"$T/order1.zone"
{ printf '$ORIGIN order.test.\n'; tac "$T/order.body"; } >"$T/order2.zone"
for n in 1 2; do
	tlsa-check --dns-zone "$T/order$n.zone" --trust-ad --port "$TB_PORT" \
	    --timeout 1 --json order.test |
	    sed 's/"seconds":[0-9.]*,//g' >"$T/order$n.json"
done
same "$T/order1.json" "$T/order2.json" \
    "order.test: the records in another order, the same report"
cp "$T/order1.json" "$T/out"
is "$(j '[h["name"] for h in d["hosts"]]')" \
    "mxc.order.test mxa.order.test mxb.order.test" \
    "order.test: hosts by preference, then name"

# A DNS failure on one host of two beside a host found wrong: the
# verdict ranks as the status does (1, not 75: not tempfail).
printf '%s\n' '$ORIGIN two.test.' '$TTL 300' '@ MX 10 mx1' \
    '@ MX 20 mx2' 'mx1 A 127.0.0.50' 'mx2 A 127.0.0.51' >"$T/two.zone"
echo mx2.two.test >"$T/two.fail"
daemon /usr/bin/python3 "$MX_SRCDIR/t/data/dane-flaky-dns.py" "$T/two.port" \
    "$T/two.zone" "$T/two.fail"
n=0
while [ ! -s "$T/two.port" ] && [ $n -lt 50 ]; do
	sleep 0.1
	n=$((n + 1))
done
run tlsa-check --resolver "127.0.0.1@$(cat "$T/two.port")" --trust-ad \
    --port "$TB_PORT" --timeout 2 --json two.test
is "$rc/$(j 'd["status"]')/$(j 'd["verdict"]')" "1/1/unreachable" \
    "two.test: one host unreachable, one tempfail: 1 and unreachable"
is "$(j '[h["verdict"] for h in d["hosts"]]')" "unreachable tempfail" \
    "two.test: the hosts' verdicts"
echo mx1.two.test >"$T/two.fail"
echo mx2.two.test >>"$T/two.fail"
run tlsa-check --resolver "127.0.0.1@$(cat "$T/two.port")" --trust-ad \
    --port "$TB_PORT" --timeout 2 --json two.test
is "$rc/$(j 'd["status"]')/$(j 'd["verdict"]')" "75/75/tempfail" \
    "two.test: every host tempfail: 75 and tempfail"

done_testing
