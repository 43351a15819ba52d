#!/bin/sh
# DNSSEC validated in process (common/dnssec.c) through t/unit/dnssec-lookup,
# against zones signed with ldns-signzone and served by knot: NSEC, NSEC3 and
# NSEC3 opt-out; ECDSAP256SHA256, ED25519 and RSASHA256; secure, insecure
# and bogus answers, records and denials; every bogus shape (a signature
# edited, one removed, one expired or not yet valid, one by a key not in the
# zone, a DS that names no key, a denial missing); unsigned delegations;
# CNAMEs across zones; the trust-ad mode behind a real unbound; a resolver
# that times out or answers garbage (temperror, within --timeout).  drill -S
# agrees on the secure, insecure and bogus cases.
. "${MX_SRCDIR:-.}/t/lib.sh"
. "$MX_SRCDIR/t/knot.sh"

need_knot
need ldns-keygen ldns-signzone ldns-key2ds drill

L=$MX_BUILDDIR/t/unit/dnssec-lookup
Z=$T/zones
mkdir "$Z" || exit 1
EXP=20360101000000
EXP_EPOCH=2082758400
TLSA=0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef

# key ZONE ALG [-k]: a new key of the zone, its base name (under $Z)
key() {
	(cd "$Z" && ldns-keygen -a "$2" ${3:+"$3"} "$1")
}

# head ZONE: the head of a master file for ZONE
head_of() {
	printf '$ORIGIN %s.\n$TTL 300\n' "$1"
	printf '@ IN SOA ns.test. h.test. 1 3600 600 86400 300\n'
	printf '@ IN NS ns.test.\n'
}

# sign ZONE KSK ZSK [ldns-signzone options]: $Z/ZONE.signed
sign() {
	_zone=$1 _ksk=$2 _zsk=$3
	shift 3
	(cd "$Z" && ldns-signzone -e "$EXP" "$@" -f "$_zone.signed" \
	    "$_zone.zone" "$_ksk" "$_zsk") || return 1
}

# The children first: their DS go into test.
head_of n3.test >"$Z/n3.test.zone"
cat >>"$Z/n3.test.zone" <<EOF
mx IN A 127.0.0.2
_25._tcp.mx IN TLSA 3 1 1 $TLSA
*.w IN TXT "wild"
badsig IN A 127.0.0.7
nosig IN A 127.0.0.8
EOF
N3K=$(key n3.test ED25519 -k) && N3Z=$(key n3.test ED25519) &&
    sign n3.test "$N3K" "$N3Z" -n -s beef -t 1 || exit 1
# a signature edited after signing; one removed
awk -F '\t' 'BEGIN { OFS = "\t" }
$1 == "badsig.n3.test." && $4 == "RRSIG" && $5 ~ /^A / {
	n = split($5, f, " "); s = f[n]
	c = substr(s, 20, 1); c = c == "A" ? "B" : "A"
	f[n] = substr(s, 1, 19) c substr(s, 21); $5 = f[1]
	for (i = 2; i <= n; i++) $5 = $5 " " f[i]
}
!($1 == "nosig.n3.test." && $4 == "RRSIG" && $5 ~ /^A /)' \
    "$Z/n3.test.signed" >"$Z/n3.test.edited" || exit 1

head_of rsa.test >"$Z/rsa.test.zone"
cat >>"$Z/rsa.test.zone" <<'EOF'
mx IN A 127.0.0.9
wk IN A 127.0.0.10
* IN TXT "wild rsa"
EOF
RK=$(key rsa.test RSASHA256 -k) && RZ=$(key rsa.test RSASHA256) &&
    sign rsa.test "$RK" "$RZ" || exit 1
# wk's signature made by a key that is not in the zone
OK2=$(key rsa.test RSASHA256 -k) && OZ2=$(key rsa.test RSASHA256) &&
    cp "$Z/rsa.test.zone" "$Z/rsa2.test.zone" &&
    (cd "$Z" && ldns-signzone -e "$EXP" -f rsa2.signed -o rsa.test \
    rsa2.test.zone "$OK2" "$OZ2") || exit 1
awk -F '\t' 'NR == FNR { if ($1 == "wk.rsa.test." && $4 == "RRSIG" &&
	$5 ~ /^A /) foreign = $0; next }
$1 == "wk.rsa.test." && $4 == "RRSIG" && $5 ~ /^A / { print foreign; next }
{ print }' "$Z/rsa2.signed" "$Z/rsa.test.signed" >"$Z/rsa.test.edited" ||
    exit 1

head_of oo.test >"$Z/oo.test.zone"
cat >>"$Z/oo.test.zone" <<'EOF'
mx IN A 127.0.0.5
u IN NS ns.test.
*.w IN A 127.0.0.17
EOF
OK=$(key oo.test ECDSAP256SHA256 -k) && OZ=$(key oo.test ECDSAP256SHA256) &&
    sign oo.test "$OK" "$OZ" -n -p -t 0 || exit 1
# ldns-signzone -p gives u an NSEC3 still: none, as RFC 5155 6 allows
$PY "$MX_SRCDIR/t/data/dnssec-optout.py" "$Z/oo.test.signed" oo.test \
    "$Z/$OZ" || exit 1

head_of bad.test >"$Z/bad.test.zone"
echo 'mx IN A 127.0.0.11' >>"$Z/bad.test.zone"
BK=$(key bad.test ECDSAP256SHA256 -k) && BZ=$(key bad.test ECDSAP256SHA256) &&
    sign bad.test "$BK" "$BZ" || exit 1
# the DS test. publishes: of a key bad.test does not have
STRAY=$(key bad.test ECDSAP256SHA256 -k) || exit 1

head_of nd.test >"$Z/nd.test.zone"
echo 'mx IN A 127.0.0.12' >>"$Z/nd.test.zone"
NK=$(key nd.test ECDSAP256SHA256 -k) && NZ=$(key nd.test ECDSAP256SHA256) &&
    sign nd.test "$NK" "$NZ" || exit 1
# its denials gone: NSEC records and their signatures
awk -F '\t' '$4 != "NSEC" && !($4 == "RRSIG" && $5 ~ /^NSEC /)' \
    "$Z/nd.test.signed" >"$Z/nd.test.edited" || exit 1

head_of old.test >"$Z/old.test.zone"
echo 'mx IN A 127.0.0.13' >>"$Z/old.test.zone"
OLK=$(key old.test ECDSAP256SHA256 -k) &&
    OLZ=$(key old.test ECDSAP256SHA256) &&
    (cd "$Z" && ldns-signzone -i 20200101000000 -e 20210101000000 \
    -f old.test.signed old.test.zone "$OLK" "$OLZ") || exit 1

# NSEC3 at more iterations than RFC 9276 lets a validator spend
head_of it.test >"$Z/it.test.zone"
printf 'mx IN A 127.0.0.15\n*.w IN A 127.0.0.18\n' >>"$Z/it.test.zone"
IK=$(key it.test ECDSAP256SHA256 -k) && IZ=$(key it.test ECDSAP256SHA256) &&
    sign it.test "$IK" "$IZ" -n -t 151 2>/dev/null || exit 1

# RSAMD5, which RFC 8624 3.1 forbids a validator to use
head_of md.test >"$Z/md.test.zone"
echo 'mx IN A 127.0.0.19' >>"$Z/md.test.zone"
MK=$(key md.test RSAMD5 -k) && MZ=$(key md.test RSAMD5) &&
    sign md.test "$MK" "$MZ" || exit 1

head_of ins.test >"$Z/ins.test.zone"
cat >>"$Z/ins.test.zone" <<'EOF'
mx IN A 127.0.0.4
mx2 IN CNAME mx.n3.test.
EOF
head_of alg.test >"$Z/alg.test.zone"
echo 'mx IN A 127.0.0.16' >>"$Z/alg.test.zone"
head_of u.oo.test >"$Z/u.oo.test.zone"
echo 'mx IN A 127.0.0.6' >>"$Z/u.oo.test.zone"

# Forged answers from signed pieces (the review's attacks), served by knot
# as the file holds them.  fz.test has a wildcard and a signed child,
# sub.fz.test; after signing, records made of its signatures are added.
head_of sub.fz.test >"$Z/sub.fz.test.zone"
echo 'mx IN A 127.0.0.21' >>"$Z/sub.fz.test.zone"
SK=$(key sub.fz.test ECDSAP256SHA256 -k) &&
    SZ=$(key sub.fz.test ECDSAP256SHA256) &&
    sign sub.fz.test "$SK" "$SZ" || exit 1
head_of fz.test >"$Z/fz.test.zone"
cat >>"$Z/fz.test.zone" <<'EOF'
* IN A 192.0.2.80
b IN TXT "exists"
sub IN NS ns.test.
EOF
(cd "$Z" && ldns-key2ds -n -2 "$SK.key") >>"$Z/fz.test.zone" || exit 1
FK=$(key fz.test ECDSAP256SHA256 -k) && FZ=$(key fz.test ECDSAP256SHA256) &&
    sign fz.test "$FK" "$FZ" || exit 1
# fz.test as it was before sub was delegated: www.sub, and sub's own MX
# (at the child's apex), signed by fz.test
head_of fz.test >"$Z/fzold.zone"
printf 'www.sub IN A 192.0.2.81\nsub IN MX 10 evil.fz.test.\n' \
    >>"$Z/fzold.zone"
(cd "$Z" && ldns-signzone -e "$EXP" -f fzold.signed -o fz.test fzold.zone \
    "$FK" "$FZ") || exit 1
awk -F '\t' '($1 == "www.sub.fz.test." && ($4 == "A" ||
    ($4 == "RRSIG" && $5 ~ /^A /))) || ($1 == "sub.fz.test." &&
    ($4 == "MX" || ($4 == "RRSIG" && $5 ~ /^MX /)))' "$Z/fzold.signed" \
    >>"$Z/sub.fz.test.signed" || exit 1
# mx: the wildcard's A with its RRSIG, a junk RRSIG of mx's own labels
# before it (RSASHA256, 8, sorts before 13 in knot's answer); dane: the
# wildcard's NSEC with its RRSIG, as dane's denial
awk -F '\t' 'BEGIN { OFS = "\t" }
{ print }
$1 == "*.fz.test." && $4 == "A" { a = $5; ttl = $2 }
$1 == "*.fz.test." && $4 == "RRSIG" && $5 ~ /^A / { asig = $5 }
$1 == "*.fz.test." && $4 == "NSEC" { nsec = $5 }
$1 == "*.fz.test." && $4 == "RRSIG" && $5 ~ /^NSEC / { nsig = $5 }
END {
	print "mx.fz.test.", ttl, "IN", "A", a
	n = split(asig, g, " ")
	junk = g[1]
	for (i = 2; i < n; i++) junk = junk " " (i == 2 ? 8 : i == 3 ? 3 : g[i])
	for (i = 0; i < 86; i++) zero = zero "A"
	print "mx.fz.test.", ttl, "IN", "RRSIG", junk " " zero "=="
	print "mx.fz.test.", ttl, "IN", "RRSIG", asig
	print "dane.fz.test.", 300, "IN", "NSEC", nsec
	print "dane.fz.test.", 300, "IN", "RRSIG", nsig
}' "$Z/fz.test.signed" >"$Z/fz.test.forged" || exit 1

# KeyTrap, scaled down: 200 keys of the ZSK's tag in kt.test's signed
# key set, 200 RRSIGs by that tag over mx's A, and none that verifies
head_of kt.test >"$Z/kt.test.zone"
echo 'mx IN A 127.0.0.22' >>"$Z/kt.test.zone"
KK=$(key kt.test ED25519 -k) && KZ=$(key kt.test ED25519) &&
    $PY "$MX_SRCDIR/t/data/dnssec-keytrap.py" "$Z/$KZ.key" 200 200 \
    mx.kt.test. "$Z/kt.keys" "$Z/kt.sigs" &&
    cat "$Z/kt.keys" >>"$Z/kt.test.zone" &&
    sign kt.test "$KK" "$KZ" || exit 1
awk -F '\t' '!($1 == "mx.kt.test." && $4 == "RRSIG" && $5 ~ /^A /)' \
    "$Z/kt.test.signed" >"$Z/kt.test.edited" &&
    cat "$Z/kt.sigs" >>"$Z/kt.test.edited" || exit 1

head_of test >"$Z/test.zone"
cat >>"$Z/test.zone" <<'EOF'
ns IN A 127.0.0.1
www IN A 127.0.0.3
www IN TXT "www"
a.b.c IN A 127.0.0.14
alias IN CNAME mx.n3.test.
alias2 IN CNAME badsig.n3.test.
alias3 IN CNAME mx.ins.test.
dn IN DNAME n3.test.
ins IN NS ns.test.
n3 IN NS ns.test.
rsa IN NS ns.test.
oo IN NS ns.test.
bad IN NS ns.test.
nd IN NS ns.test.
old IN NS ns.test.
it IN NS ns.test.
alg IN NS ns.test.
alg IN DS 12345 253 2 0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
loop1 IN CNAME loop2.test.
loop2 IN CNAME loop1.test.
fz IN NS ns.test.
kt IN NS ns.test.
md IN NS ns.test.
EOF
for k in "$N3K" "$RK" "$OK" "$STRAY" "$NK" "$OLK" "$IK" "$FK" "$KK" \
    "$MK"; do
	(cd "$Z" && ldns-key2ds -n -2 "$k.key") >>"$Z/test.zone" || exit 1
done
TK=$(key test ECDSAP256SHA256 -k) && TZ=$(key test ECDSAP256SHA256) &&
    sign test "$TK" "$TZ" || exit 1
ANCHOR=$Z/$TK.key

# knot serving every zone on one port
knot_zones() {
	KNOT_DIR=$T/knot
	mkdir -p "$KNOT_DIR" || return 1
	KNOT_PORT=$(free_port)
	{
		_knot_conf "$KNOT_DIR" "$KNOT_PORT" "$Z/test.signed" test
		for z in n3.test:n3.test.edited rsa.test:rsa.test.edited \
		    oo.test:oo.test.signed bad.test:bad.test.signed \
		    nd.test:nd.test.edited old.test:old.test.signed \
		    it.test:it.test.signed alg.test:alg.test.zone \
		    ins.test:ins.test.zone u.oo.test:u.oo.test.zone \
		    fz.test:fz.test.forged sub.fz.test:sub.fz.test.signed \
		    kt.test:kt.test.edited md.test:md.test.signed; do
			printf '  - domain: "%s"\n    file: "%s"\n' \
			    "${z%%:*}" "$Z/${z#*:}"
			printf '    zonefile-sync: -1\n'
			printf '    zonefile-load: whole\n'
			printf '    journal-content: none\n'
		done
	} >"$KNOT_DIR/knot.conf"
	daemon "$KNOTD" -c "$KNOT_DIR/knot.conf" 2>>"$KNOT_DIR/log"
	KNOT_PID=$!
	for z in test n3.test rsa.test oo.test bad.test nd.test old.test \
	    it.test alg.test ins.test u.oo.test fz.test sub.fz.test \
	    kt.test md.test; do
		_knot_wait "$z" || return 1
	done
}
if ! ok "knot serves the zones" knot_zones; then
	diag "$(cat "$T/knot/log")"
	done_testing
fi
R=127.0.0.1@$KNOT_PORT

# field NAME: the value of a name=value line of $out, as the shell reads
# it (the last line of that name, for rr)
field() {
	eval "$(printf '%s\n' "$out" | sed -n "s/^$1=/_v=/p" | tail -n 1)"
	printf '%s\n' "$_v"
}

# elapsed COMMAND...: run it, $ms the milliseconds it took
elapsed() {
	_t0=$(date +%s%N)
	run "$@"
	ms=$(( ($(date +%s%N) - _t0) / 1000000 ))
}

# check DESC NAME TYPE STATUS SEC [LOOKUP OPTIONS...]
check() {
	_d=$1 _name=$2 _type=$3 _st=$4 _sec=$5
	shift 5
	run "$L" --resolver "$R" --anchor "$ANCHOR" "$@" "$_name" "$_type"
	is "$(field status) $(field sec) $rc" "$_st $_sec 0" "$_d"
}

# -- secure --------------------------------------------------------------
check "NSEC zone: an A record is secure" www.test A ok secure
is "$(field rr)" 127.0.0.3 "its address"
is "$(field signer) $(field expires)" "test $EXP_EPOCH" \
    "its signer, and the expiration of the chain's earliest RRSIG"
is "$(field reason)" "" "no reason when secure"
check "NSEC: no AAAA is a secure nodata" www.test AAAA nodata secure
check "NSEC: no such name is a secure nxdomain" nope.test A nxdomain secure
check "NSEC: an empty non-terminal is a secure nodata" c.test A nodata secure
check "NSEC3 child, ED25519: secure through the DS" mx.n3.test A ok secure
is "$(field signer)" n3.test "signed by the child"
check "the TLSA record" _25._tcp.mx.n3.test TLSA ok secure
is "$(field rr)" "3 1 1 $TLSA" "as presentation text"
check "NSEC3: no AAAA is a secure nodata" mx.n3.test AAAA nodata secure
check "NSEC3: no such name is a secure nxdomain" nope.n3.test A \
    nxdomain secure
check "NSEC3: an empty non-terminal is a secure nodata" _tcp.mx.n3.test \
    TXT nodata secure
check "NSEC3: a wildcard answer, with its proof" x.w.n3.test TXT ok secure
is "$(field rr)" '"wild"' "the wildcard's record"
# 44 labels below the wildcard: a DS denied at each (more than 48
# queries), NSEC3 verified for each (more than 128 signature checks)
deep=$(printf 'a.%.0s' $(seq 44))w.n3.test
check "NSEC3: a wildcard answer 44 labels below it" "$deep" TXT ok secure
is "$(field reason)" "" "no reason"
check "NSEC3: a wildcard without the type is a secure nodata" x.w.n3.test \
    A nodata secure
check "RSASHA256 child with NSEC" mx.rsa.test A ok secure
check "NSEC: a wildcard answer, with its proof" any.rsa.test TXT ok secure
check "a CNAME into a child zone" alias.test A ok secure
is "$(field names) $(field chain_sec)" "alias.test mx.n3.test secure" \
    "the chain, secure"
check "a DNAME into a child zone (the CNAME made of it unsigned)" \
    mx.dn.test A ok secure
is "$(field names) $(field rr)" "mx.dn.test mx.n3.test 127.0.0.2" \
    "the name it leads to, and its record"
check "a DNAME to a name that does not exist" nope.dn.test A nxdomain secure
check "the DS set itself" n3.test DS ok secure
check "the DNSKEY set itself" n3.test DNSKEY ok secure
check "NSEC3 opt-out zone: a signed name" mx.oo.test A ok secure
run "$L" --resolver "$R" --anchor "$Z/$TK.ds" www.test A
is "$(field sec)" secure "a DS record as trust anchor"

# -- what one validator keeps ------------------------------------------
# queries: how many queries knot has answered so far
queries() {
	knot_ctl stats 2>/dev/null | awk -F '= ' '/request-protocol/ {
	    n += $2 } END { print n + 0 }'
}
q0=$(queries)
run "$L" --resolver "$R" --anchor "$ANCHOR" mx.rsa.test A
q1=$(queries)
run "$L" --resolver "$R" --anchor "$ANCHOR" mx.rsa.test A \
    _25._tcp.mx.rsa.test TLSA mx.rsa.test A
q2=$(queries)
# A DS query at each name below the zone down to the owner, for a zone cut
# between them or at the owner (one there makes the record the child's).
is "$((q1 - q0)) $((q2 - q1))" "5 7" "a cold lookup asks 5 queries (a DS at\
 the owner among them); two more in the same zone ask 2 more, and the same\
 one again none"
is "$(printf '%s\n' "$out" | grep -c '^status=')" 3 "three outcomes"

# -- insecure ------------------------------------------------------------
check "an unsigned delegation (NSEC, no DS)" mx.ins.test A ok insecure
is "$(field reason)" "no DS for 'ins.test': an unsigned delegation" \
    "the reason names the delegation"
is "$(field expires) $(field signer)" "0 " "no expiration, no signer"
check "no such name in an unsigned zone" nope.ins.test A nxdomain insecure
check "an unsigned delegation under NSEC3 opt-out" mx.u.oo.test A ok insecure
is "$(field reason)" "no DS for 'u.oo.test' (NSEC3 opt-out)" \
    "the reason says opt-out"
check "no such name under an opt-out span" nope.oo.test A nxdomain insecure
# RFC 5155 8.8: the next closer name of a wildcard's answer under an
# opt-out span may be an unsigned delegation, which the answer hides
check "a wildcard's answer under an opt-out span" mx.w.oo.test A ok insecure
like "$(field reason)" "opt-out" "the reason says opt-out"
check "a wildcard's nodata under an opt-out span" mx.w.oo.test TXT nodata \
    insecure
check "a secure CNAME into an unsigned zone" alias3.test A ok insecure
is "$(field chain_sec)" secure "the CNAME itself is secure"
check "an unsigned CNAME into a signed zone" mx2.ins.test A ok insecure
is "$(field chain_sec)" insecure "the CNAME is insecure"
printf 'example. IN DS 1 13 2 %s\n' "$TLSA" >"$T/other.ds"
run "$L" --resolver "$R" --anchor "$T/other.ds" www.test A
is "$(field sec) $(field reason)" "insecure no trust anchor for 'test'" \
    "no anchor above the zone: insecure"

check "a zone whose NSEC3 take 151 iterations: a record is secure" \
    mx.it.test A ok secure
check "its denials are insecure" nope.it.test A nxdomain insecure
like "$(field reason)" "151 iterations" "the reason says why"
check "a wildcard's answer, proven by those NSEC3, is insecure" \
    x.w.it.test A ok insecure
like "$(field reason)" "151 iterations" "the reason says why"
check "a DS of an algorithm no validator knows: insecure" mx.alg.test A \
    ok insecure
like "$(field reason)" "^no DS for 'alg.test' of an algorithm" "says so"
check "a zone signed with RSAMD5 (RFC 8624 3.1): insecure" mx.md.test A \
    ok insecure

# -- bogus ---------------------------------------------------------------
check "a signature edited after signing" badsig.n3.test A ok bogus
like "$(field reason)" "does not verify" "says it does not verify"
is "$(field rr)" 127.0.0.7 "the record is still reported"
check "a signature removed" nosig.n3.test A ok bogus
like "$(field reason)" "^no RRSIG for A 'nosig.n3.test'" "says none is there"
check "a signature by a key not in the zone" wk.rsa.test A ok bogus
check "a DS that names no key of the child" mx.bad.test A ok bogus
is "$(field reason)" "no DNSKEY of 'bad.test' matches its DS" "says so"
check "a denial without NSEC records" nope.nd.test A nxdomain bogus
check "a record beside it is still secure" mx.nd.test A ok secure
check "an expired signature" mx.old.test A ok bogus
like "$(field reason)" "expired 2021-01-01" "says when it expired"
check "signatures judged after they expire (--time)" www.test A ok bogus \
    --time 2100000000
like "$(field reason)" "expired 2036-01-01" "the chain's expiration"
check "signatures judged before they start" www.test A ok bogus \
    --time 1000000000
like "$(field reason)" "not valid before" "says so"
check "a CNAME loop: no DNSSEC failure" loop1.test A permerror insecure
is "$(field reason)" "more than 8 CNAMEs in a row" "says so"
check "a malformed name: no DNSSEC failure" a..test MX permerror insecure
like "$(field reason)" "^bad domain name" "says so"
check "a secure CNAME to a bogus record" alias2.test A ok bogus
is "$(field chain_sec)" secure "the chain is secure, the end is not"
run "$L" --resolver "$R" --anchor "$Z/$N3K.key" mx.rsa.test A
is "$(field sec)" insecure "an anchor of another zone says nothing of it"
run "$L" --resolver "$R" --anchor "$Z/$OK2.key" mx.rsa.test A
is "$(field sec)" bogus "an anchor for the zone that is none of its keys"
(cd "$Z" && ldns-keygen -a ECDSAP256SHA256 -k test) >"$T/wrong" || exit 1
run "$L" --resolver "$R" --anchor "$Z/$(cat "$T/wrong").key" www.test A
is "$(field sec)" bogus "a wrong trust anchor for the zone: bogus"
like "$(field reason)" "no DNSKEY of 'test' matches its trust anchor" \
    "says so"

# -- forged answers made of signed pieces --------------------------------
# A junk RRSIG of mx's own labels before the wildcard's, which verifies:
# the labels are those of the RRSIG that verified, a wildcard's.
check "the wildcard's A at an existing name, a junk RRSIG first" \
    mx.fz.test A ok bogus
is "$(field reason)" "'mx.fz.test' A from a wildcard, without the proof\
 that no closer name exists" "a wildcard's expansion, unproven"
# (knot proves a wildcard answer from the NSEC of the name before: the
# forged names have none, sub has a delegation's, which covers zzz)
check "the wildcard's answer, proven, is still secure" zzz.fz.test A ok secure
# The wildcard's NSEC at dane: no TXT (nor TLSA) there, it would say.
check "the wildcard's NSEC as a name's denial" dane.fz.test TXT nodata bogus
is "$(field reason)" "'dane.fz.test' NSEC signed as a wildcard's expansion,\
 which proves nothing there" "an expanded NSEC proves nothing"
check "a true denial of the zone is still secure" b.fz.test A nodata secure
# www.sub.fz.test signed by fz.test before sub was delegated, served by
# the child: the signature verifies, but the signer is not the zone.
check "a parent's old signature below a signed delegation" \
    www.sub.fz.test A ok bogus
is "$(field reason)" "A 'www.sub.fz.test' signed by 'fz.test', not by its\
 zone 'sub.fz.test'" "says whose it should be"
check "the child's own record is secure" mx.sub.fz.test A ok secure
# the same at the child's apex: the cut is at the owner itself
check "a parent's old signature at a signed delegation's apex" \
    sub.fz.test MX ok bogus
is "$(field reason)" "MX 'sub.fz.test' signed by 'fz.test', not by its\
 zone 'sub.fz.test'" "says whose it should be"
# KeyTrap: 200 keys of one tag, 200 RRSIGs by it; unbounded, 40000 checks
elapsed "$L" --resolver "$R" --timeout 2 --anchor "$ANCHOR" mx.kt.test A
is "$(field status) $(field sec)" "ok bogus" \
    "200 keys of one tag and 200 RRSIGs by it: bogus"
like "$(field reason)" "^too many RRSIGs or keys to try for 'mx.kt.test' A" \
    "says why"
ok "within the timeout ($ms ms)" [ "$ms" -lt 2000 ]
check "the same zone's key set is secure" kt.test DNSKEY ok secure

# -- the anchor file ----------------------------------------------------
run "$L" --resolver "$R" --anchor "$T/none.key" www.test A
is "$rc" 66 "a missing anchor file: 66"
one_line_error dnssec-lookup "in one line"
echo 'test. IN A 127.0.0.1' >"$T/a.key"
run "$L" --resolver "$R" --anchor "$T/a.key" www.test A
is "$rc" 65 "an anchor file with no DNSKEY or DS in it: 65"
like "$err" "line 1: no DNSKEY or DS record" "names the line"
printf '; nothing\n\n' >"$T/empty.key"
run "$L" --resolver "$R" --anchor "$T/empty.key" www.test A
is "$rc $err" "65 dnssec-lookup: bad trust anchor file '$T/empty.key':\
 no DNSKEY or DS record in it" "an anchor file with comments only: 65"
printf 'test. IN DNSKEY 257 3 13 !!!\n' >"$T/bad.key"
run "$L" --resolver "$R" --anchor "$T/bad.key" www.test A
is "$rc" 65 "a DNSKEY that cannot be read: 65"
mkfifo "$T/fifo.key"
run "$L" --resolver "$R" --anchor "$T/fifo.key" www.test A
is "$rc" 66 "a FIFO for anchor file is refused at once: 66"

# -- a zone file ---------------------------------------------------------
cat >"$T/file.zone" <<'EOF2'
$ORIGIN test.
@ 300 IN SOA ns.test. h.test. 1 3600 600 86400 300
www 300 IN A 127.0.0.3
EOF2
run "$L" --dns-zone "$T/file.zone" --anchor "$ANCHOR" www.test A
is "$(field status) $(field sec) $(field rr)" "ok insecure 127.0.0.3" \
    "answers from a zone file are insecure"
run "$L" --dns-zone "$T/file.zone" --trust-ad www.test A
is "$(field status) $(field sec)" "ok secure" "or secure with --trust-ad"
run "$L" --dns-zone "$T/file.zone" --trust-ad nope.test A
is "$(field status) $(field sec)" "nxdomain secure" "a name not in the file"

# -- a resolver in front: unbound, validating ----------------------------
unbound_start() {
	UDIR=$T/unbound
	mkdir -p "$UDIR" || return 1
	UPORT=$(free_port)
	{
		cat <<EOF2
server:
    interface: 127.0.0.1
    port: $UPORT
    do-ip6: no
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$UDIR"
    pidfile: "$UDIR/pid"
    use-syslog: no
    logfile: ""
    verbosity: 0
    num-threads: 1
    do-not-query-localhost: no
    qname-minimisation: no
    trust-anchor-file: "$ANCHOR"
    local-zone: "test." nodefault
    module-config: "validator iterator"
remote-control:
    control-enable: no
EOF2
		for z in test n3.test rsa.test oo.test bad.test nd.test \
		    old.test it.test alg.test ins.test u.oo.test; do
			printf 'stub-zone:\n    name: "%s."\n' "$z"
			printf '    stub-addr: 127.0.0.1@%s\n' "$KNOT_PORT"
		done
	} >"$UDIR/unbound.conf"
	daemon /usr/sbin/unbound -d -c "$UDIR/unbound.conf" 2>"$UDIR/log"
	wait_port "$UPORT"
}
if [ -x /usr/sbin/unbound ] && unbound_start; then
	U=127.0.0.1@$UPORT
	for c in www.test:A:ok:secure mx.ins.test:A:ok:insecure \
	    badsig.n3.test:A:ok:bogus mx.bad.test:A:ok:bogus \
	    nope.n3.test:A:nxdomain:secure alias.test:A:ok:secure \
	    x.w.n3.test:TXT:ok:secure; do
		n=${c%%:*} rest=${c#*:}
		t=${rest%%:*} rest=${rest#*:}
		want="${rest%%:*} ${rest#*:}"
		run "$L" --resolver "$U" --trust-ad "$n" "$t"
		is "$(field status) $(field sec)" "$want" \
		    "unbound's AD bit (--trust-ad): $n $t $want"
		run "$L" --resolver "$U" --anchor "$ANCHOR" "$n" "$t"
		is "$(field status) $(field sec)" "$want" \
		    "our validation through unbound (CD): $n $t $want"
	done
	run "$L" --resolver "$U" --trust-ad badsig.n3.test A
	like "$(field reason)" "SERVFAIL" "bogus: a SERVFAIL that CD answers"
	is "$(field rr)" 127.0.0.7 "with the record it holds bogus"
	run "$L" --resolver "$U" --trust-ad mx.n3.test A
	is "$(field signer)" n3.test "the signer from the answer's RRSIG"
	like "$(field expires)" "^$EXP_EPOCH\$" "its expiration"
else
	skip 18 "unbound does not run: $(tail -n 1 "$T/unbound/log" \
	    2>/dev/null)"
fi
run "$L" --resolver "$R" --trust-ad www.test A
is "$(field status) $(field sec)" "ok insecure" \
    "--trust-ad with a server that does not validate: insecure"

# -- a resolver that fails -----------------------------------------------
elapsed "$L" --resolver "127.0.0.1@$(dead_udp_port)" --timeout 1 \
    --anchor "$ANCHOR" www.test A
is "$rc $(field status) $(field sec)" "0 temperror bogus" \
    "no server: temperror (and never secure or insecure)"
like "$(field reason)" "no answer from 127.0.0.1@[0-9]+ within 1 s" "says so"
ok "within the timeout ($ms ms)" [ "$ms" -lt 2500 ]
# port_in FILE: the port a server writes to FILE, once it is there
port_in() {
	_i=0
	while [ ! -s "$1" ] && [ "$_i" -lt 50 ]; do
		sleep 0.1
		_i=$((_i + 1))
	done
	cat "$1"
}
daemon $PY "$MX_SRCDIR/t/data/dns-badserver.py" "$T/bad.port"
B=127.0.0.1@$(port_in "$T/bad.port")
for f in garbage short cut servfail formerr badid othername chaos \
    otherowner status truncated referral twotsig silent; do
	elapsed "$L" --resolver "$B" --timeout 1 --anchor "$ANCHOR" "$f.test" A
	is "$rc $(field status)" "0 temperror" \
	    "a server that answers $f: temperror"
done
ok "the silent one within the timeout ($ms ms)" [ "$ms" -lt 2500 ]
run "$L" --resolver "$B" --timeout 1 --anchor "$ANCHOR" --trust-ad \
    garbage.test A
is "$(field status)" temperror "garbage with --trust-ad: temperror"
run "$L" --resolver "$B" --timeout 1 --trust-ad referral.test TLSA
is "$(field status)" temperror \
    "a referral with --trust-ad: temperror, not an insecure nodata"

# The whole lookup, every query of its chain, within one timeout: each
# answer 400 ms late, and four queries to make from cold.
daemon $PY "$MX_SRCDIR/t/data/dns-delay.py" "$T/delay.port" "$KNOT_PORT" 400
D=127.0.0.1@$(port_in "$T/delay.port")
elapsed "$L" --resolver "$D" --timeout 5 --anchor "$ANCHOR" mx.n3.test A
is "$(field status) $(field sec)" "ok secure" \
    "through the slow path, with time enough: secure ($ms ms)"
slow=$ms
elapsed "$L" --resolver "$D" --timeout 1 --anchor "$ANCHOR" mx.n3.test A
is "$(field status)" temperror "with --timeout 1: temperror"
# Four queries of 400 ms each cannot fit in one second: temperror above
# is the proof; the time is bounded loosely, for a loaded machine.
ok "within the timeout ($ms ms), not the $slow ms of the chain" \
    test "$ms" -lt 2500 -a "$slow" -gt 1200

# -- one answer judged without a query (dnssec_judge, the fuzz entry) ----
# The fuzz corpus: knot's answers to t/90's kind of queries, with the
# signer's DNSKEY set in the additional section, judged at JUDGED.
C=$MX_SRCDIR/t/fuzz/corpus/dns_answer
JUDGED=1800000000
for c in www_test-A:ok:secure nope_test-A:nxdomain:secure \
    ns_test-AAAA:nodata:secure mx_sec_test-A:ok:secure \
    foo_sec_test-TXT:ok:secure mx_sec_test-AAAA:nodata:secure \
    _25__tcp_mx_sec_test-TLSA:ok:secure sec_test-DS:ok:secure \
    test-DNSKEY:ok:secure alias_test-A:ok:secure mx_n3_test-A:ok:secure \
    nope_n3_test-A:nxdomain:secure mx_n3_test-AAAA:nodata:secure \
    x_w_n3_test-TXT:ok:secure x_w_n3_test-A:nodata:secure \
    _tcp_mx_n3_test-TXT:nodata:secure mx_ins_test-A:temperror:bogus \
    forged_mx_example-A:ok:bogus forged_a_b_example-A:ok:bogus \
    forged_www_sub_example-A:ok:bogus \
    forged__25__tcp_mx_example-TLSA:nodata:bogus \
    208f52c095e00dedecae65f24cf7f101f112ddc9:temperror:bogus; do
	f=${c%%:*} want=$(echo "${c#*:}" | tr : ' ')
	run "$L" --judge "$C/$f" --time "$JUDGED"
	is "$(field status) $(field sec)" "$want" "judged: $f $want"
done
# the review's forged answers: a junk RRSIG before the wildcard's; the
# wildcard's A at a.b, under the existing b (the answer is NXDOMAIN);
# the same under sub, a delegation; the wildcard's NSEC as the TLSA
# denial; and an answer with two TSIG records
run "$L" --judge "$C/forged_a_b_example-A" --time "$JUDGED"
is "$(field reason)" "'a.b.example' A from a wildcard, without the proof\
 that no closer name exists" "the NSEC covers a.b, not the next closer b"
run "$L" --judge "$C/208f52c095e00dedecae65f24cf7f101f112ddc9"
is "$(field reason)" "a malformed answer: more than one TSIG or OPT record" \
    "two TSIG records: refused"
run "$L" --resolver "$B" --timeout 1 --anchor "$ANCHOR" twotsig.test A
like "$(field reason)" "more than one TSIG or OPT record\$" \
    "from a server too"
run "$L" --judge "$C/www_test-A" --time 2100000000
like "$(field sec) $(field reason)" "^bogus RRSIG for 'www.test' A expired" \
    "judged after the signatures expire: bogus"
# one bit of the A record's signature flipped
$PY - "$C/www_test-A" "$T/flipped" <<'EOF2'
import sys
import dns.message
import dns.rdatatype
m = dns.message.from_wire(open(sys.argv[1], "rb").read())
for rrset in m.answer:
    if rrset.rdtype == dns.rdatatype.RRSIG:
        sig = rrset[0]
        flipped = bytes([sig.signature[0] ^ 1]) + sig.signature[1:]
        rrset.remove(sig)
        rrset.add(sig.replace(signature=flipped))
open(sys.argv[2], "wb").write(m.to_wire())
EOF2
run "$L" --judge "$T/flipped" --time "$JUDGED"
like "$(field sec) $(field reason)" \
    "^bogus RRSIG for 'www.test' A does not verify" \
    "judged with one bit of the signature flipped: bogus"

# strip IN OUT N: the answer IN without the Nth RRset of its authority
# section (counting from 1), and the RRSIGs over it, into OUT
strip() {
	$PY - "$@" <<'EOF2'
import sys
import dns.message
import dns.rdatatype
m = dns.message.from_wire(open(sys.argv[1], "rb").read())
plain = [r for r in m.authority if r.rdtype != dns.rdatatype.RRSIG]
gone = plain[int(sys.argv[3]) - 1]
m.authority = [r for r in m.authority if r.name != gone.name or
               (r.rdtype != gone.rdtype and r.covers != gone.rdtype)]
open(sys.argv[2], "wb").write(m.to_wire())
EOF2
}
strip "$C/x_w_n3_test-TXT" "$T/w3" 1
run "$L" --judge "$T/w3" --time "$JUDGED"
is "$(field sec) $(field reason)" "bogus 'x.w.n3.test' TXT from a\
 wildcard, without the proof that no closer name exists" \
    "an NSEC3 wildcard answer without its NSEC3: bogus"
strip "$C/foo_sec_test-TXT" "$T/w1" 1
run "$L" --judge "$T/w1" --time "$JUDGED"
is "$(field sec)" bogus "an NSEC wildcard answer without its NSEC: bogus"
# the authority sections: the SOA, then the two NSEC (NSEC3) records of
# the proof, one for the name, one for the wildcard
strip "$C/nope_test-A" "$T/nx" 1
run "$L" --judge "$T/nx" --time "$JUDGED"
is "$(field status) $(field sec)" "nxdomain secure" \
    "without the SOA, which proves nothing: still secure"
for n in 2 3; do
	strip "$C/nope_test-A" "$T/nx" "$n"
	run "$L" --judge "$T/nx" --time "$JUDGED"
	is "$(field status) $(field sec) $(field reason)" \
	    "nxdomain bogus the NSEC records of 'test' do not prove that\
 'nope.test' does not exist" \
	    "NSEC nxdomain without NSEC $n of the proof: bogus"
	strip "$C/nope_n3_test-A" "$T/nx3" "$n"
	run "$L" --judge "$T/nx3" --time "$JUDGED"
	is "$(field status) $(field sec)" "nxdomain bogus" \
	    "NSEC3 nxdomain without NSEC3 $n of the proof: bogus"
done

# -- drill -S agrees -----------------------------------------------------
# drill's status: 0 a chain chased to the anchor, 29 no trusted key on
# the way (an unsigned delegation), 35 a signature that does not verify.
# A DS that names no key of the child is also 29 to drill, which does not
# tell it from no DS at all; RFC 4035 5.2 makes it bogus, and so do we.
for c in www.test:A:0:secure mx.n3.test:A:0:secure \
    _25._tcp.mx.n3.test:TLSA:0:secure mx.ins.test:A:29:insecure \
    badsig.n3.test:A:35:bogus mx.bad.test:A:29:bogus; do
	n=${c%%:*} rest=${c#*:}
	t=${rest%%:*} rest=${rest#*:}
	dwant=${rest%%:*} want=${rest#*:}
	drill -p "$KNOT_PORT" -k "$ANCHOR" -S "$n" "$t" @127.0.0.1 \
	    >"$T/drill" 2>&1
	d=$?
	run "$L" --resolver "$R" --anchor "$ANCHOR" "$n" "$t"
	is "$d $(field sec)" "$dwant $want" "drill -S and we agree on $n $t"
done

done_testing
