#!/bin/sh
# DKIM verification (common/dkimverify.c) through t/unit/dkim-tool: every
# rule of RFC 6376 and 8463 a signature or a key record can break, each
# shown on a field signed for real (dkim-tool sign --tag makes a field
# that breaks one rule and nothing else), under Exim's words: status
# pass, fail or invalid, the reason, and temperror kept apart.
. "$MX_SRCDIR/t/lib.sh"
need openssl base64

DK=$MX_BUILDDIR/t/unit/dkim-tool
if [ ! -x "$DK" ]; then
	echo "1..1"
	echo "not ok 1 - $DK is built"
	exit 1
fi
T0=1700000000
ZONE=$T/zone
DATA=$MX_SRCDIR/t/data

rsa_key "$T/rsa.pem" 2048 && rsa_key "$T/other.pem" 1024 &&
    ed25519_key "$T/ed.pem" && rsa_key "$T/short.pem" 512 ||
    skip_all "openssl cannot make keys"
# A key too slow to make in a test, kept in t/data (mode 600 as a signer
# wants it); and a message signed by dkimpy with a 16384-bit key, its
# public half beside it.
cp "$DATA/dkim-rsa8192.pem" "$T/" && chmod 600 "$T/dkim-rsa8192.pem"

# spki KEY: the p= of an RSA key; raw KEY: of an Ed25519 key (RFC 8463).
spki() {
	openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | base64 -w0
}
raw() {
	openssl pkey -in "$1" -pubout -outform DER 2>/dev/null | tail -c 32 |
	    base64 -w0
}
RSA=$(spki "$T/rsa.pem")
ED=$(raw "$T/ed.pem")
OTHER=$(spki "$T/other.pem")
SHORT=$(spki "$T/short.pem")
BIG8=$(spki "$T/dkim-rsa8192.pem")
BIG16=$(openssl pkey -pubin -in "$DATA/dkim-rsa16384.pub" -outform DER |
    base64 -w0)

# txt SELECTOR RECORD...: master-file lines, one TXT record each, in
# strings of 255 bytes at most.
txt() {
	$PY -c 'import sys
for r in sys.argv[2:]:
    print(sys.argv[1] + "._domainkey.example.org. 300 IN TXT " +
          " ".join("\"%s\"" % r[i:i + 255]
                   for i in range(0, max(len(r), 1), 255)))' "$@"
}
{
	txt rsa "v=DKIM1; k=rsa; p=$RSA"
	txt nov "k=rsa; p=$RSA"
	txt ed "v=DKIM1; k=ed25519; p=$ED"
	txt hsha1 "v=DKIM1; h=sha1; p=$RSA"
	txt hboth "v=DKIM1; h=sha1:sha256; p=$RSA"
	txt svc "v=DKIM1; s=other; p=$RSA"
	txt semail "v=DKIM1; s=email; p=$RSA"
	txt sstar "v=DKIM1; s=*; p=$RSA"
	txt kdsa "v=DKIM1; k=dsa; p=$RSA"
	txt kmis "v=DKIM1; k=ed25519; p=$ED"
	txt strict "v=DKIM1; t=s; p=$RSA"
	txt testing "v=DKIM1; t=y; p=$RSA"
	txt revoked "v=DKIM1; p="
	txt nokey "v=DKIM1; p=bm90IGEga2V5"
	txt short "v=DKIM1; p=$SHORT"
	txt vlate "k=rsa; v=DKIM1; p=$RSA"
	txt vbad "v=DKIM2; p=$RSA"
	txt multi "v=DKIM1; p=" "v=DKIM1; p=$RSA"
	txt multi2 "v=DKIM1; p=$OTHER" "v=DKIM1; p=$RSA"
	txt multibad "v=DKIM1; p=$OTHER" "v=DKIM1; p="
	txt note "hello world"
	txt spf "v=spf1 -all" "v=DKIM1; p=$RSA"
	txt big8 "v=DKIM1; p=$BIG8"
	txt big16 "v=DKIM1; p=$BIG16"
	echo "nodata._domainkey.example.org. 300 IN A 127.0.0.1"
} >"$ZONE"

cat >"$T/m" <<'EOF2'
From: Alice <alice@example.org>
To: bob@example.net
Subject: hello
Date: Mon, 1 Jan 2024 00:00:00 +0000
Message-ID: <1@example.org>

Hello  body.
Second line.
EOF2

# sign OUT [ARGS...]: $T/m signed at $T0 by example.org, selector rsa
# and the 2048-bit key unless ARGS say otherwise.
n=0
sign() {
	_o=$1
	shift
	"$DK" sign -d example.org -s rsa -k "$T/rsa.pem" --time "$T0" "$@" \
	    "$T/m" >"$T/$_o" 2>"$T/sign.err" ||
	    { echo "# cannot sign $_o: $(cat "$T/sign.err")"; n=$((n + 1)); }
}

# v FILE [ARGS...]: verify as at $T0.
v() {
	_f=$1
	shift
	run "$DK" verify --dns-zone "$ZONE" --time "$T0" "$@" "$T/$_f"
}

# one FILE "STATUS REASON TEMPERROR" DESCRIPTION [DETAIL] [ARGS...]: the
# one signature's verdict; DETAIL, when given, is what detail= must say.
one() {
	_f=$1 _want=$2 _d=$3 _detail=${4-}
	shift 3
	[ $# -gt 0 ] && shift
	v "$_f" "$@"
	status= reason= temperror= detail= domain= identity= testing= alg=
	eval "$out"
	is "$rc:$status $reason $temperror" "0:$_want" "$_d"
	[ -z "$_detail" ] || is "$detail" "$_detail" "  $_d: says why"
}

# The good cases: every algorithm, canonicalisation and key form.
sign rr -c relaxed/relaxed
one rr "pass  0" "rsa-sha256 relaxed/relaxed"
line="^status=pass domain=example.org selector=rsa identity=@example.org"
line="$line alg=rsa-sha256 temperror=0 testing=0 reason=''"
like "$out" "$line b=[A-Za-z0-9+/]{15} detail=''\$" "  the whole line"
sign ss -c simple/simple
one ss "pass  0" "rsa-sha256 simple/simple"
sign rs -c relaxed/simple
one rs "pass  0" "rsa-sha256 relaxed/simple"
sign sr -c simple/relaxed
one sr "pass  0" "rsa-sha256 simple/relaxed"
sign s0 -c simple/simple --tag c
one s0 "pass  0" "no c=: simple/simple"
sign s1 -c simple/simple --tag c=simple
one s1 "pass  0" "c=simple: the body simple too"
sign ed -s ed -k "$T/ed.pem"
one ed "pass  0" "ed25519-sha256 (RFC 8463)"
is "$alg" "ed25519-sha256" "  alg=ed25519-sha256"
sign nov -s nov
one nov "pass  0" "a key record without v="
sign big8 -s big8 -k "$T/dkim-rsa8192.pem"
one big8 "pass  0" "an 8192-bit RSA key"
sign upper -d EXAMPLE.Org
one upper "pass  0" "d= in capitals"
is "$domain" "example.org" "  the domain in lower case"
sign ident -i 'user@example.org'
one ident "pass  0" "i= the domain itself"
is "$identity" "user@example.org" "  identity is i="
sign sub -i '@mail.example.org'
one sub "pass  0" "i= a subdomain of d="
sign unknown --tag foo=bar
one unknown "pass  0" "an unknown tag is ignored"
sign q1 --tag q=dns/txt
one q1 "pass  0" "q=dns/txt"
sign q2 --tag q=other/x:dns/txt
one q2 "pass  0" "q= with dns/txt after a method we do not know"

# Tampering: fail, and which part.
sed 's/^Second line\./Second lime./' "$T/rr" >"$T/rr-body"
one rr-body "fail bodyhash_mismatch 0" "a changed body" "body hash mismatch"
sed 's/^Subject: hello/Subject: hullo/' "$T/rr" >"$T/rr-subj"
one rr-subj "fail signature_incorrect 0" "a changed Subject" \
    "signature does not verify"
{ echo "From: mallory@example.net"; cat "$T/rr"; } >"$T/rr-from"
one rr-from "fail signature_incorrect 0" \
    "a second From on top (h= names From twice)"
sed 's/^Hello  body\./Hello body.   /' "$T/rr" >"$T/rr-ws"
one rr-ws "pass  0" "relaxed body: blanks changed"
sed 's/^Hello  body\./Hello body.   /' "$T/ss" >"$T/ss-ws"
one ss-ws "fail bodyhash_mismatch 0" "simple body: blanks changed"
sed 's/^Subject: hello/Subject:   hello /' "$T/rr" >"$T/rr-hws"
one rr-hws "pass  0" "relaxed header: blanks changed"
sed 's/^Subject: hello/Subject:   hello /' "$T/ss" >"$T/ss-hws"
one ss-hws "fail signature_incorrect 0" "simple header: blanks changed"
printf '\n\n\n' >>"$T/ss-ws"
cp "$T/ss" "$T/ss-nl" && printf '\n\n' >>"$T/ss-nl"
one ss-nl "pass  0" "simple: empty lines added at the end"
sed 's/^Hello  body\./Hello\r  body./' "$T/rr" >"$T/rr-cr"
one rr-cr "fail bodyhash_mismatch 0" "a bare CR added"
sed 's/^\(	b=[A-Za-z0-9+/]*\)[A-Za-z0-9+/]\{4\}/\1AAAA/' "$T/rr" >"$T/rr-b"
one rr-b "fail signature_incorrect 0" "b= changed"

# l=: the first N canonical bytes signed; more may follow, less may not.
sign l10 -l 10
printf 'Appended.\n' >>"$T/l10"
one l10 "pass  0" "l=10: text appended after the signed part"
sed 's/^Hello/Jello/' "$T/l10" >"$T/l10-in"
one l10-in "fail bodyhash_mismatch 0" "l=10: a change within it"
sign lbig --tag l=9999
one lbig "invalid  0" "l= longer than the body" "body shorter than l="
sign l0 -l 0
one l0 "pass  0" "l=0"

# Tags: each rule broken alone.
sign v2 --tag v=2
one v2 "invalid  0" "v=2" "v= is not 1"
sign nov2 --tag v
one nov2 "invalid  0" "no v=" "no v= tag"
sign sha1 --tag a=rsa-sha1
one sha1 "invalid  0" "a=rsa-sha1 (RFC 8301)" "unknown algorithm in a="
sign noa --tag a
one noa "invalid  0" "no a=" "no a= tag"
sign nod --tag d
one nod "invalid  0" "no d=" "no d= tag"
sign nos --tag s
one nos "invalid  0" "no s=" "no s= tag"
sign noh --tag h
one noh "invalid  0" "no h=" "no h= tag"
sign nofrom -h to:subject
one nofrom "invalid  0" "From not in h=" "From not signed"
sign emptyh -h 'from::to'
one emptyh "invalid  0" "an empty name in h=" "bad field name in h="
sign badd --tag 'd=exa..mple.org'
one badd "invalid  0" "d= not a domain" "bad d="
sign bads --tag 's=r s a'
one bads "invalid  0" "s= not a selector" "bad s="
sign other -i 'user@example.net'
one other "invalid  0" "i= outside d=" "i= not within d="
sign suffix -i 'user@badexample.org'
one suffix "invalid  0" "i= a domain that only ends like d=" \
    "i= not within d="
sign noat -i 'example.org'
one noat "invalid  0" "i= without @" "no @ in i="
sign q3 --tag q=http/well-known
one q3 "invalid  0" "q= without dns/txt" "no known query method in q="
sign c0 --tag c=
one c0 "invalid  0" "c= empty" "bad c="
sign c1 --tag c=fancy/simple
one c1 "invalid  0" "c= unknown" "bad c="
sign c2 --tag c=relaxed/fancy
one c2 "invalid  0" "c= body form unknown" "bad c="
sign badl --tag l=-1
one badl "invalid  0" "l= not a number" "bad l="
sed 's/bh=[A-Za-z0-9+/]*=*/bh=AAAA/' "$T/rr" >"$T/rr-bh"
one rr-bh "invalid  0" "bh= not 32 bytes" "bad bh="
sed 's/^\(	b=[A-Za-z0-9+/]*\)[A-Za-z0-9+/]\{4\}/\1!!!!/' "$T/rr" >"$T/rr-b64"
one rr-b64 "invalid  0" "b= not base64" "bad b="
sed 's/; v=1$/; v=1; d=example.org/' "$T/rr" >"$T/rr-dup"
one rr-dup "invalid  0" "a tag twice" "duplicate tag"

# t= and x=, judged by --time.
sign fut -T --time $((T0 + 3600))
one fut "invalid  0" "t= an hour ahead" "t= in the future"
sign skew -T --time $((T0 + 200))
one skew "pass  0" "t= 200 s ahead: within the clock skew allowed"
sign exp -T -x $((T0 + 100))
one exp "pass  0" "x= ahead"
one exp "invalid  0" "x= past" "signature expired" --time $((T0 + 101))
sign xt -T --tag x=$T0
one xt "invalid  0" "x= equal to t= (RFC 6376 3.5: greater)" \
    "x= not after t="
sign badt --tag t=soon
one badt "invalid  0" "t= not a number" "bad t="

# Key records.
sign hsha1 -s hsha1
one hsha1 "invalid pubkey_syntax 0" "key h=sha1" \
    "key record does not allow sha256"
sign hboth -s hboth
one hboth "pass  0" "key h=sha1:sha256"
sign svc -s svc
one svc "invalid pubkey_syntax 0" "key s=other" "key record not for email"
sign semail -s semail
one semail "pass  0" "key s=email"
sign sstar -s sstar
one sstar "pass  0" "key s=*"
sign kdsa -s kdsa
one kdsa "invalid pubkey_syntax 0" "key k=dsa" "unknown key type"
sign kmis -s kmis
one kmis "invalid pubkey_syntax 0" "an Ed25519 key, an rsa-sha256 signature" \
    "key type does not match a="
sign strict -s strict -i '@mail.example.org'
one strict "invalid pubkey_syntax 0" "key t=s, i= a subdomain" \
    "key forbids an i= below d= (t=s)"
sign strict2 -s strict -i 'u@example.org'
one strict2 "pass  0" "key t=s, i= the domain"
sign testing -s testing
one testing "pass  0" "key t=y"
is "$testing" 1 "  testing=1"
sign revoked -s revoked
one revoked "invalid pubkey_syntax 0" "key revoked (p= empty)" "key revoked"
sign nokey -s nokey
one nokey "invalid pubkey_syntax 0" "p= not a key" "bad public key in p="
sign short -s short
one short "invalid pubkey_syntax 0" "a 512-bit RSA key" \
    "RSA key shorter than 1024 bits"
sign vlate -s vlate
one vlate "invalid pubkey_syntax 0" "key v= not first" \
    "no key record at 'vlate._domainkey.example.org'"
sign vbad -s vbad
one vbad "invalid pubkey_syntax 0" "key v=DKIM2" \
    "no key record at 'vbad._domainkey.example.org'"
sign note -s note
one note "invalid pubkey_syntax 0" "a TXT record that is no key record" \
    "no key record at 'note._domainkey.example.org'"
sign spf -s spf
one spf "pass  0" "an SPF record beside the key record"
sign multi -s multi
one multi "pass  0" "two key records, the first revoked"
sign multi2 -s multi2
one multi2 "pass  0" "two key records, the second the signer's"
sign multibad -s multibad
one multibad "fail signature_incorrect 0" \
    "two key records, neither the signer's"
sign missing -s missing
one missing "invalid pubkey_unavailable 0" "no key (NXDOMAIN)" \
    "no key at 'missing._domainkey.example.org': nxdomain"
sign nodata -s nodata
one nodata "invalid pubkey_unavailable 0" "no key (NODATA)" \
    "no key at 'nodata._domainkey.example.org': nodata"
cp "$DATA/dkim-big16.eml" "$T/big16"
one big16 "invalid pubkey_syntax 0" "a 16384-bit RSA key" \
    "RSA key longer than 8192 bits"

# Several signatures: in field order, each on its own.
sign two-a -c simple/simple
"$DK" sign -d example.org -s ed -k "$T/ed.pem" "$T/two-a" >"$T/two"
sed -i 's/^Hello  body\./Hello body./' "$T/two"
v two
short=$(printf '%s\n' "$out" |
    sed 's/ domain=.* alg=\([^ ]*\).* reason=\([^ ]*\).*/ \1 \2/')
is "$rc:$short" \
    "0:status=pass ed25519-sha256 ''
status=fail rsa-sha256 bodyhash_mismatch" \
    "two signatures, relaxed and simple, blanks changed: pass then fail"

# No signature: no line.
v m
is "$rc:$out" "0:" "no signature: nothing"

# More than DKIM_VERIFY_MAX (32): the rest invalid, with no look-up.
cp "$T/m" "$T/many"
i=0
while [ "$i" -lt 33 ]; do
	"$DK" sign -d example.org -s ed -k "$T/ed.pem" "$T/many" \
	    >"$T/many.new" && mv "$T/many.new" "$T/many"
	i=$((i + 1))
done
v many
is "$(printf '%s\n' "$out" | grep -c '^status=pass ')" 32 \
    "33 signatures: the first 32 pass"
is "$(printf '%s\n' "$out" |
    sed -n '33s/.* domain=\([^ ]*\) .*detail=/\1 /p')" \
    "example.org 'more signatures than are verified'" \
    "  the 33rd invalid, unverified, its domain still given"

# h= of 100,000 names over 25,000 fields: each name finds its field by a
# search, not by a scan of all (which took 6 s here).
$PY -c 'import base64, hashlib, sys
bh = base64.b64encode(hashlib.sha256(b"body\r\n").digest()).decode()
h = "from:" + ":".join("z%d" % (i % 1000) for i in range(100000))
sys.stdout.write("DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=rsa;"
    " bh=%s; b=AAAA; h=%s\n" % (bh, h))
sys.stdout.write("".join("X%d: y\n" % i for i in range(25000)))
sys.stdout.write("From: a@example.org\n\nbody\n")' >"$T/wide"
t0=$(date +%s%N)
one wide "fail signature_incorrect 0" "an h= of 100,000 names, 25,000 fields"
t=$((($(date +%s%N) - t0) / 1000000))
ok "  in $t ms (under 3 s)" test "$t" -lt 3000

# DNS failures: temperror; a bad answer that is permanent is not.
daemon "$PY" "$DATA/dns-badserver.py" "$T/bad.port"
i=0
while [ ! -s "$T/bad.port" ] && [ "$i" -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
BAD=127.0.0.1@$(cat "$T/bad.port" 2>/dev/null)
# bad SELECTOR "STATUS REASON TEMPERROR" DESCRIPTION
bad() {
	sign "bad-$1" -s "$1"
	run "$DK" verify --resolver "$BAD" --timeout 1 --time "$T0" \
	    "$T/bad-$1"
	status= reason= temperror=
	eval "$out"
	is "$rc:$status $reason $temperror" "0:$2" "$3"
}
bad silent "invalid pubkey_unavailable 1" "a server that stalls: temperror"
bad servfail "invalid pubkey_unavailable 1" "SERVFAIL: temperror"
bad garbage "invalid pubkey_unavailable 1" "a garbage answer: temperror"
bad cut "invalid pubkey_unavailable 1" "an answer cut short: temperror"
bad nul "invalid pubkey_unavailable 0" \
    "a TXT record with a NUL: permanent"
bad fine "invalid pubkey_syntax 0" "a TXT record that is no key: permanent"
DEAD=$(dead_udp_port)
sign dead
run "$DK" verify --resolver "127.0.0.1@$DEAD" --timeout 1 --time "$T0" \
    "$T/dead"
eval "$out"
is "$status $temperror" "invalid 1" "no server at all: temperror"
like "$detail" "^cannot look up key 'rsa._domainkey.example.org': " \
    "  saying which key"

is "$n" 0 "every message was signed"
done_testing
