#!/bin/sh
# The ARC tools over the network: the keys served by knot on a loopback
# port (--resolver), not read from a file.  A two-hop chain verifies;
# arc-sign validates the chain it extends through the server; a key the
# zone lacks is a fail; a server gone is a temporary failure, exit 75.
. "${MX_SRCDIR:-.}/t/lib.sh"
. "$MX_SRCDIR/t/knot.sh"

need_knot
need openssl

Z=$T/arc.zone
for d in a b; do
	rsa_key "$T/$d.pem"
done
{
	zone_head arc.test
	"$MX_SRCDIR/t/data/arc-zone" s1._domainkey.a.arc.test="$T/a.pem" \
	    s1._domainkey.b.arc.test="$T/b.pem"
} >"$Z"

ok "knot serves the zone" knot_start "$Z" arc.test. || done_testing
R=127.0.0.1@$KNOT_PORT

# queries: how many queries knot has answered so far.
queries() {
	knot_ctl stats 2>/dev/null | awk -F '= ' '/request-protocol/ {
	    n += $2 } END { print n + 0 }'
}

# field NAME: a name=value line of $out, unquoted.
field() {
	printf '%s\n' "$out" | sed -n "s/^$1=//p" | tr -d "'"
}

cat >"$T/m" <<'EOF'
From: Joe <joe@origin.example>
To: list@a.arc.test
Subject: over the wire
Date: Mon, 1 Jan 2024 00:00:00 +0000
Message-ID: <knot.1@origin.example>

a body
EOF

# --- Hop 1 seals (no chain to check), hop 2 checks it through knot ------
{
	echo 'Authentication-Results: mx1.a.arc.test; arc=none'
	cat "$T/m"
} >"$T/h1in"
run arc-sign -d a.arc.test -s s1 -k "$T/a.pem" --authserv-id mx1.a.arc.test \
    --resolver "$R" "$T/h1in"
is "$rc" 0 "hop 1 seals"
printf '%s\n' "$out" >"$T/h1"

# Our A-R at hop 2 says nothing of arc: arc-sign judges the chain itself.
{
	echo 'Authentication-Results: mx2.b.arc.test; spf=pass smtp.mailfrom=origin.example'
	cat "$T/h1"
} >"$T/h2in"
q0=$(queries)
run arc-sign -d b.arc.test -s s1 -k "$T/b.pem" --authserv-id mx2.b.arc.test \
    --resolver "$R" "$T/h2in"
is "$rc:$err" 0: "hop 2 seals, validating the chain through knot"
printf '%s\n' "$out" >"$T/h2"
like "$(sed -n '/^ARC-Seal:/,/^[^ \t]/p' "$T/h2" | head -n 3 | tr -d ' \t\n')" \
    'cv=pass;.*i=2;' "hop 2's seal says cv=pass"
q1=$(queries)
ok "hop 2 asked knot for the key ($q0 -> $q1 queries)" test "$q1" -gt "$q0"

run arc-verify --resolver "$R" "$T/h2"
is "$rc:$(field arc_state)" 0:pass "the two-hop chain verifies through knot"
is "$(field arc_domains)" a.arc.test:b.arc.test "  arc_domains names both hops"
is "$(field arc_oldest_pass)" 1 "  arc_oldest_pass=1"
q2=$(queries)
ok "  knot answered the verifier ($q1 -> $q2 queries)" test "$q2" -gt "$q1"
run arc-verify --dns-zone "$Z" "$T/h2"
is "$(field arc_state)" pass "  and from the same zone as a file"

# A chain broken before hop 2: arc-sign finds it out and seals cv=fail.
sed 's/^a body$/a bodY/' "$T/h1" | {
	echo 'Authentication-Results: mx2.b.arc.test; spf=pass smtp.mailfrom=origin.example'
	cat
} >"$T/b2in"
run arc-sign -d b.arc.test -s s1 -k "$T/b.pem" --authserv-id mx2.b.arc.test \
    --resolver "$R" "$T/b2in"
is "$rc" 0 "a broken chain is sealed too"
printf '%s\n' "$out" >"$T/b2"
like "$(sed -n '/^ARC-Seal:/,/^[^ \t]/p' "$T/b2" | head -n 3 | tr -d ' \t\n')" \
    'cv=fail;.*i=2;' "  with cv=fail"
run arc-verify --resolver "$R" "$T/b2"
is "$rc:$(field arc_state)" 1:fail "  and verifies as fail"

# --- A key the zone lacks: NXDOMAIN, a permanent fail -------------------
run "$KDIG" @127.0.0.1 -p "$KNOT_PORT" +timeout=2 +retry=0 TXT \
    gone._domainkey.a.arc.test
like "$out" 'status: NXDOMAIN' "knot says NXDOMAIN for selector 'gone'"
run arc-sign -d a.arc.test -s gone -k "$T/a.pem" \
    --authserv-id mx1.a.arc.test "$T/h1in"
is "$rc" 0 "sealed with selector 'gone'"
printf '%s\n' "$out" >"$T/gone"
run arc-verify --resolver "$R" "$T/gone"
is "$rc:$(field arc_state)" 1:fail "a key absent from the zone: fail"
is "$(field arc_state_reason)" 'i=1 (no key)' "  because of no key at i=1"

# --- The server gone: temporary failure ---------------------------------
kill "$KNOT_PID"
wait "$KNOT_PID" 2>/dev/null
run "$KDIG" @127.0.0.1 -p "$KNOT_PORT" +timeout=1 +retry=0 SOA arc.test
isnt "$rc" 0 "knot is stopped"
start=$(date +%s)
run arc-verify --timeout 1 --resolver "$R" "$T/h2"
end=$(date +%s)
is "$rc" 75 "verify without a server: exit 75"
is "$out" "" "  nothing on stdout"
one_line_error arc-verify "  one line on stderr"
ok "  given up within the timeout ($((end - start)) s)" \
    test $((end - start)) -le 3
run arc-sign -d b.arc.test -s s1 -k "$T/b.pem" --authserv-id mx2.b.arc.test \
    --timeout 1 --resolver "$R" "$T/h2in"
is "$rc:$out" 75: "sealing a chain it cannot check: exit 75, nothing written"
one_line_error arc-sign "  one line on stderr"

done_testing
