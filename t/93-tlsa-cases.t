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
	tlsa-check --resolver "$TB_DNS" --anchor "$TB_ANCHOR" --port "$TB_PORT" \
	    --timeout 5 "$@"
}

# j EXPR: EXPR (Python, over d, the JSON object in $T/out) printed; lists
# are joined by blanks, None is "null", booleans are true/false.
j() {
	$PY - "$1" "$T/out" <<'EOF'
import json, sys
d = json.load(open(sys.argv[2]))
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
	is "$rc/$(j 'd["hosts"][0]["verdict"]')" "$want/$verdict" \
	    "--host $host: $verdict, exit $want"
done <"$TB_DIR/hosts"

# DANE-EE: SNI the MX host, 3 1 1 of the leaf at depth 0, mask 8.
run tc --json ee.test
is "$(j 'd["mx"]["dnssec"]')/$(j '[l["dnssec"] for l in d["hosts"][0]["lookups"]]')" \
    "secure/secure secure secure" "ee.test: every lookup secure"
is "$(j 'd["hosts"][0]["sni"]')" mx.ee.test "ee.test: SNI is the MX host"
is "$(j 'd["hosts"][0]["addresses"][0]["matched"]')" "3 1 1 $EE" \
    "ee.test: the leaf's 3 1 1 matched"
is "$(j 'd["hosts"][0]["addresses"][0]["depth"]')" 0 "ee.test: at depth 0"
is "$(j 'd["hosts"][0]["tls_out_tlsa_usage"]')/$(j 'd["hosts"][0]["tls_out_dane"]')" \
    "8/yes" "ee.test: tls_out_tlsa_usage 8, tls_out_dane yes"
is "$(j 'd["hosts"][0]["addresses"][0]["chain"][0]["spki_sha256"]')" \
    "$(spki ee)" "ee.test: the leaf's SPKI digest as openssl has it"
is "$(j 'd["hosts"][0]["addresses"][0]["chain"][0]["notAfter"]')" \
    "$(not_after ee)" "ee.test: the leaf's notAfter as openssl has it"
is "$(j 'd["hosts"][0]["deliverable"]')" true "ee.test: deliverable"
like "$(j 'd["hosts"][0]["addresses"][0]["version"]')" '^TLSv1\.[23]$' \
    "ee.test: the TLS version"
run tc ee.test
like "$out" "    sni mx\.ee\.test" "ee.test: text names the SNI"
like "$out" "verified by 3 1 1 $EE at depth 0" \
    "ee.test: text names the matched record and its depth"
like "$out" "tls_out_tlsa_usage=8 tls_out_dane=yes" \
    "ee.test: text gives Exim's variables"

# DANE-TA: the issuer's 2 0 1 at depth 1, the name checked, mask 4.
run tc --json ta.test
is "$(j 'd["hosts"][0]["addresses"][0]["matched"]')" "2 0 1 $INT" \
    "ta.test: the intermediate's 2 0 1 matched"
is "$(j 'd["hosts"][0]["addresses"][0]["depth"]')" 1 "ta.test: at depth 1"
is "$(j 'd["hosts"][0]["addresses"][0]["peername"]')" mx.ta.test \
    "ta.test: the name that matched is the TLSA base domain"
is "$(j 'd["hosts"][0]["tls_out_tlsa_usage"]')/$(j 'd["hosts"][0]["tls_out_dane"]')" \
    "4/yes" "ta.test: tls_out_tlsa_usage 4, tls_out_dane yes"

# DANE-TA, the leaf names only the next-hop domain: it passes over a
# secure MX lookup (RFC 7672 3.2.2), not with --host.
run tc --json nexthop.test
is "$(j 'd["hosts"][0]["addresses"][0]["peername"]')" nexthop.test \
    "nexthop.test: the next-hop domain matched"
run tc --json --host mx.nexthop.test
is "$(j 'd["hosts"][0]["addresses"][0]["verified"]')/$(j 'd["hosts"][0]["tls_out_dane"]')" \
    "false/no" "--host mx.nexthop.test: no next-hop domain, no match"

# DANE-TA, a leaf naming neither: the digest matches, the name does not;
# no rollover is suggested for a record that is published already.
run tc --json taname.test
is "$(j 'd["hosts"][0]["addresses"][0]["verified"]')/$(j 'd["hosts"][0]["would_match"]')" \
    "false/" "taname.test: not verified, no record would do better"
like "$(j 'd["hosts"][0]["warnings"]')" "names neither the TLSA base domain" \
    "taname.test: the warning says the name failed"
is "$(j 'd["hosts"][0]["tls_out_tlsa_usage"]')" 4 "taname.test: mask 4"

# A digest that no longer matches: the record that would is named.
run tc --json digest.test
is "$(j 'd["hosts"][0]["would_match"]')" "3 1 1 $HOST" \
    "digest.test: the record that would match after a rollover"
is "$(j 'd["hosts"][0]["tls_out_dane"]')/$(j 'd["hosts"][0]["deliverable"]')" \
    "no/false" "digest.test: no DANE, a DANE sender defers"
run tc digest.test
like "$out" "would match 3 1 1 $HOST" "digest.test: text names it too"

# A CNAME to the MX host: the TLSA at the expanded name first, and the
# expanded name as SNI (RFC 7672 2.2.2).
run tc --json cname.test
is "$(j 'd["hosts"][0]["lookups"][0]["owner"]')" real.cname.test \
    "cname.test: the address lookup followed the CNAME"
is "$(j 'd["hosts"][0]["sni"]')" real.cname.test \
    "cname.test: SNI is the expanded name"
is "$(j 'd["hosts"][0]["addresses"][0]["matched"]')" "3 1 1 $HOST" \
    "cname.test: the record at the expanded name matched"

# Usages 0 and 1 only, and a SHA-256 of 31 bytes: TLS without
# authentication, no DANE mask.
run tc --json pkix.test
is "$(j '[t["usable"] for t in d["hosts"][0]["tlsa"]]')" "false false" \
    "pkix.test: usages 0 and 1 are unusable"
is "$(j 'd["hosts"][0]["tls_out_tlsa_usage"]')/$(j 'd["hosts"][0]["sni"]')/$(j 'd["hosts"][0]["deliverable"]')" \
    "0/null/true" "pkix.test: no DANE, no SNI, delivered over TLS"
run tc --json badlen.test
like "$(j 'd["hosts"][0]["tlsa"][0]["why"]')" 31 \
    "badlen.test: the record's 31 bytes named"

# Insecure: the domain's zone unsigned; the TLSA under an unsigned cut.
run tc --json insecure.test
is "$(j 'd["mx"]["dnssec"]')/$(j 'd["hosts"][0]["tls_out_tlsa_usage"]')" \
    "insecure/0" "insecure.test: the MX lookup is insecure, no DANE"
run tc --json tlsains.test
is "$(j '[l["what"] + ":" + l["dnssec"] for l in d["hosts"][0]["lookups"]]')" \
    "a:secure aaaa:secure tlsa:insecure" \
    "tlsains.test: addresses secure, the TLSA insecure"
is "$(j '[t["usable"] for t in d["hosts"][0]["tlsa"]]')/$(j 'd["hosts"][0]["tlsa"][0]["why"]')" \
    "false/not DNSSEC-secure" "tlsains.test: an insecure record is no usable one"

# Bogus TLSA (a signature edited, an RRSIG gone): no connection at all.
for dom in bogussig.test nosig.test; do
	run tc --json "$dom"
	is "$(j 'd["hosts"][0]["lookups"][-1]["dnssec"]')/$(j '[a["fail"] for a in d["hosts"][0]["addresses"]]')" \
	    "bogus/null" "$dom: the TLSA lookup is bogus, no connection tried"
done

# DANE-EE takes an expired leaf (RFC 7672 3.1.1); --warn-days tells.
run tc --json expired.test
is "$(j 'd["hosts"][0]["addresses"][0]["chain"][0]["notAfter"]')" \
    2025-02-01T00:00:00Z "expired.test: the notAfter reported"
is "$(j 'd["hosts"][0]["warnings"]')" "" "expired.test: no warning without --warn-days"
run tc --json --warn-days 1 expired.test
is "$rc" 0 "expired.test --warn-days 1: still 0"
like "$(j 'd["hosts"][0]["warnings"]')" \
    "certificate 'CN=mx.expired.test' expired 2025-02-01T00:00:00Z" \
    "expired.test --warn-days 1: the expiry is a warning"

# RRSIGs: the bed's expire 2036-01-01; judged from mid-December 2035.
run tc --json --warn-days 30 --time "$(date -u -d 2035-12-15 +%s)" ee.test
like "$(j 'd["hosts"][0]["warnings"]')" \
    "RRSIG of the tlsa lookup of '_${TB_PORT}\._tcp\.mx\.ee\.test' expires 2036-01-01T00:00:00Z, in 17 days" \
    "--warn-days 30: the TLSA's RRSIG expiry is a warning"
like "$(j 'd["warnings"]')" "RRSIG of the mx lookup of 'ee.test' expires" \
    "--warn-days 30: so is the MX lookup's"

# Refused, no STARTTLS, several hosts, no MX.
run tc --json refused.test
is "$(j 'd["hosts"][0]["addresses"][0]["fail"]')" refused \
    "refused.test: the connection was refused"
run tc --json nostarttls.test
is "$(j 'd["hosts"][0]["addresses"][0]["fail"]')/$(j 'd["hosts"][0]["deliverable"]')" \
    "notls/false" "nostarttls.test: no STARTTLS, a DANE sender defers"
run tc --json multi.test
is "$(j '[h["name"] + ":" + str(h["pref"]) for h in d["hosts"]]')" \
    "mx1.multi.test:10 mx2.multi.test:20" "multi.test: hosts by preference"
is "$(j '[h["deliverable"] for h in d["hosts"]]')" "true false" \
    "multi.test: one host deliverable"
run tc --json nomx.test
is "$(j 'd["mx"]["status"]')/$(j 'd["hosts"][0]["name"]')/$(j 'd["hosts"][0]["pref"]')" \
    "nodata/nomx.test/0" "nomx.test: no MX, the domain itself"

# Many domains on stdin: output in input order, the worst status.
printf '%s\n' '# comment' ee.test '' digest.test ta.test refused.test \
    nomx.test expired.test >"$T/list"
run tc --json --jobs 3 <"$T/list"
is "$rc" 1 "stdin: exit 1 (digest.test, refused.test)"
is "$($PY -c 'import json, sys
print(" ".join(json.loads(l)["domain"] for l in open(sys.argv[1])))' "$T/out")" \
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
one=$(j 'd["hosts"][0]["addresses"][0]["seconds"]')
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
is "$rc/$(j 'd["hosts"][0]["verdict"]')/$(j 'd["hosts"][0]["deliverable"]')" \
    "1/no-tlsa/true" "plain.test: no TLSA, no STARTTLS: deliverable"
like "$(j 'd["hosts"][0]["note"]')" "in clear text" \
    "plain.test: the note says in clear text"
run tlsa-check --dns-zone "$T/par.zone" --trust-ad --port "$TB_PORT" \
    --timeout 1 --json silent.test
is "$rc/$(j 'd["hosts"][0]["verdict"]')/$(j 'd["hosts"][0]["deliverable"]')/$(j 'd["hosts"][0]["addresses"][0]["fail"]')" \
    "1/no-tlsa/false/timeout" "silent.test: no TLSA, a silent server: not deliverable"
ok "silent.test: within the 1 s timeout" awk \
    -v s="$(j 'd["hosts"][0]["addresses"][0]["seconds"]')" \
    'BEGIN { exit !(s >= 0.9 && s < 1.5) }'

done_testing
