#!/bin/sh
# arc-sign: every option and error path.  What it seals is checked by
# arc-verify (and once by dkimpy) with keys made for the test, served from
# a zone file; the rules are RFC 8617 5.1 and the issue's (the AAR merges
# every A-R of ours, cv from our arc= result or our own validation, Exim's
# --exim forms).
. "$MX_SRCDIR/t/lib.sh"
need openssl

T0=1700000000
ZONE=$T/zone
D=$MX_SRCDIR/t/data

key() {	# key NAME [BITS]: an RSA key $T/NAME.pem
	rsa_key "$T/$1.pem" "${2:-1024}"
}
key k1 && key k2 && ed25519_key "$T/e3.pem" ||
    skip_all "openssl cannot make keys"
K1=$T/k1.pem
"$D/arc-zone" s1._domainkey.d1.example="$K1" \
    s2._domainkey.d2.example="$T/k2.pem" \
    s3._domainkey.d3.example="$T/e3.pem" >"$ZONE" ||
    skip_all "arc-zone failed"

DEAD=$(dead_udp_port)

# sign ARGS...: arc-sign as d1.example at $T0.
sign() {
	run arc-sign -d d1.example -s s1 -k "$K1" --time "$T0" "$@"
}

# verify FILE: arc-verify's state, reason and domains for it, on one line.
verify() {
	arc-verify --dns-zone "$ZONE" --time "$T0" "$1" 2>&1 |
	    sed -n 's/^arc_state=//p; s/^arc_state_reason=//p;
	    s/^arc_domains=//p' | tr '\n' ' ' | sed 's/ $//'
}

# tag FILE FIELD TAG: the tag's value in the first such field, whitespace
# taken out; "-" when the field has no such tag, "--" without the field.
tag() {
	$PY -c 'import re, sys
head = open(sys.argv[1], "rb").read().decode("latin-1")
head = head.replace("\r\n", "\n").split("\n\n", 1)[0]
for f in re.split(r"\n(?![ \t])", head):
	name, _, val = f.partition(":")
	if name.lower() != sys.argv[2].lower():
		continue
	for t in val.split(";"):
		k, eq, v = t.partition("=")
		if eq and k.strip() == sys.argv[3]:
			print(re.sub(r"\s", "", v))
			sys.exit(0)
	print("-")
	sys.exit(0)
print("--")' "$@"
}

# aar FILE: the first ARC-Authentication-Results value, unfolded.
aar() {
	awk '/^ARC-Authentication-Results:/ { f = $0; on = 1; next }
	    on && /^[ \t]/ { f = f $0; next } on { exit }
	    END { print f }' "$1" | tr -s ' \t' '  ' |
	    sed 's/^ARC-Authentication-Results: //'
}

# unsealed FILE: FILE without the three fields on top.
unsealed() {
	awk 'n < 4 && !/^[ \t]/ { n++ } n >= 4' "$1"
}

# fails STATUS ERE DESCRIPTION: the status, one line on stderr that says
# why, nothing on stdout.
fails() {
	is "$rc" "$1" "$3: exit $1"
	one_line_error arc-sign "$3: one line on stderr"
	like "$err" "$2" "$3: says why"
	is "$out" "" "$3: nothing on stdout"
}

# unchanged IN ERE DESCRIPTION: exit 1, IN written as it was, one warning.
unchanged() {
	is "$rc" 1 "$3: exit 1"
	same "$T/out" "$1" "$3: the message written unchanged"
	one_line_error arc-sign "$3: one line on stderr"
	like "$err" "$2" "$3: says why"
}

cat >"$T/m" <<'EOF'
Authentication-Results: d1.example; spf=pass smtp.mailfrom=a.example
Authentication-Results: other.example; spf=fail smtp.mailfrom=a.example
From: Alice <alice@a.example>
To: bob@b.example
Subject: hello
Date: Mon, 1 Jan 2024 00:00:00 +0000
Message-ID: <1@a.example>

Hello body.
EOF

# --- a basic seal -----------------------------------------------------------
sign "$T/m"
cp "$T/out" "$T/h1"
is "$rc:$err" "0:" "a seal: exit 0, nothing on stderr"
is "$(verify "$T/h1")" "pass '' d1.example" "arc-verify: pass"
is "$(awk '!/^[ \t]/ { sub(/:.*/, ""); print }' "$T/h1" | head -n 3 |
    tr '\n' ' ')" "ARC-Seal ARC-Message-Signature ARC-Authentication-Results " \
    "the seal on top, then the AMS, then the AAR"
unsealed "$T/h1" >"$T/rest"
same "$T/rest" "$T/m" "below the set, the message unchanged"
is "$(aar "$T/h1")" "i=1; d1.example; spf=pass smtp.mailfrom=a.example" \
    "the AAR: our A-R's results, not those of other.example"
is "$(tag "$T/h1" ARC-Seal cv) $(tag "$T/h1" ARC-Seal i) \
$(tag "$T/h1" ARC-Seal a) $(tag "$T/h1" ARC-Seal d) $(tag "$T/h1" ARC-Seal s) \
$(tag "$T/h1" ARC-Seal t) $(tag "$T/h1" ARC-Seal h)" \
    "none 1 rsa-sha256 d1.example s1 $T0 -" \
    "the seal: cv=none i=1 a d s t, no h="
is "$(tag "$T/h1" ARC-Message-Signature i) \
$(tag "$T/h1" ARC-Message-Signature c) $(tag "$T/h1" ARC-Message-Signature a) \
$(tag "$T/h1" ARC-Message-Signature d) $(tag "$T/h1" ARC-Message-Signature s) \
$(tag "$T/h1" ARC-Message-Signature t) $(tag "$T/h1" ARC-Message-Signature x)" \
    "1 relaxed/relaxed rsa-sha256 d1.example s1 $T0 -" \
    "the AMS: i=1 c=relaxed/relaxed a d s t, no x="
if "$PY" -c 'import dkim' 2>/dev/null; then
	is "$("$D/arc-dkimpy" verify --dns-zone "$ZONE" "$T/h1" 2>&1 |
	    head -n 1)" "arc_state=pass" "dkimpy verifies the seal as pass"
else
	skip 1 "python3-dkim not installed"
fi
sign <"$T/m"
same "$T/out" "$T/h1" "from stdin: the same"
sign - <"$T/m"
same "$T/out" "$T/h1" "'-' is stdin"
sign -v "$T/m"
like "$rc:$err" "^0:arc-sign: sealed '.*/m'$" "-v: says what it sealed"

# --- --time: reproducible ---------------------------------------------------
sign "$T/m"
same "$T/out" "$T/h1" "--time: two runs, the same bytes"
run arc-sign -d d1.example -s s1 -k "$K1" --time $((T0 + 1)) "$T/m"
is "$(tag "$T/out" ARC-Seal t):$(tag "$T/out" ARC-Message-Signature t)" \
    "$((T0 + 1)):$((T0 + 1))" "--time sets t= in the AMS and the seal"
run arc-sign -d d1.example -s s1 -k "$K1" "$T/m"
now=$(date +%s)
tt=$(tag "$T/out" ARC-Seal t)
ok "without --time: t= is now" test "$tt" -ge $((now - 60)) -a "$tt" -le "$now"
sign --time -5 "$T/m"
fails 64 "--time" "--time -5 (never 'now' instead)"
sign --time soon "$T/m"
fails 64 "bad --time 'soon': want seconds since the epoch" "--time soon"

# --- --authserv-id: whose A-R fields go into the AAR ------------------------
cat >"$T/m2" <<'EOF'
Authentication-Results: other.example; dkim=fail header.d=x.example
Authentication-Results: mx.d1.example; spf=pass smtp.mailfrom=a.example
Authentication-Results: mx.d1.example; dkim=pass header.d=a.example;
	dmarc=pass header.from=a.example
Authentication-Results: mx.d1.example.evil; spf=fail smtp.mailfrom=a.example
From: a@a.example
Subject: two

body
EOF
sign --authserv-id mx.d1.example "$T/m2"
is "$rc:$(aar "$T/out")" "0:i=1; mx.d1.example; spf=pass \
smtp.mailfrom=a.example; dkim=pass header.d=a.example; dmarc=pass \
header.from=a.example" "--authserv-id: our two A-R merged in order, \
other ADMDs left out"
is "$(verify "$T/out")" "pass '' d1.example" "--authserv-id: it verifies"
sign --authserv-id MX.D1.Example "$T/m2"
is "$rc:$(aar "$T/out" | cut -d';' -f1-3)" \
    "0:i=1; MX.D1.Example; spf=pass smtp.mailfrom=a.example" \
    "--authserv-id matches in any case"
sign "$T/m2"
unchanged "$T/m2" "^arc-sign: no ARC set added to '.*m2': no \
Authentication-Results field of 'd1\.example'$" \
    "no A-R of ours (the domain by default)"
sign --authserv-id d1 "$T/m"
unchanged "$T/m" "no Authentication-Results field of 'd1'" \
    "--authserv-id d1 is not d1.example"
sign --authserv-id 'a;b' "$T/m"
fails 64 "authserv-id 'a;b'" "--authserv-id 'a;b'"
# AAR lines stay within RFC 5322's 998 bytes however long our A-Rs are.
long=$(awk 'BEGIN { for (i = 0; i < 40; i++) printf "x%02d=pass ", i }')
{ for r in spf dkim dmarc; do
	printf 'Authentication-Results: d1.example; %s=pass (%s)\n' "$r" "$long"
  done; cat "$T/m"; } >"$T/mlong"
sign "$T/mlong"
is "$rc:$(verify "$T/out")" "0:pass '' d1.example" "three long A-Rs: sealed"
is "$(awk 'length > 998' "$T/out" | wc -l | tr -d ' ')" 0 \
    "three long A-Rs: no line over 998 bytes"

# --- cv ---------------------------------------------------------------------
# hop IN OUT AR [ARGS...]: d2.example seals IN after writing AR.
hop() {
	_in=$1 _out=$2 _ar=$3
	shift 3
	{ printf 'Authentication-Results: d2.example; %s\n' "$_ar"
	  cat "$_in"; } >"$_out.in"
	run arc-sign -d d2.example -s s2 -k "$T/k2.pem" --time "$T0" "$@" \
	    "$_out.in"
	cp "$T/out" "$_out"
}
sed 's/^Hello body\.$/Hello body.\n-- list footer/' "$T/h1" >"$T/h1b"
hop "$T/h1" "$T/c1" arc=pass
is "$rc:$(tag "$T/c1" ARC-Seal cv):$(verify "$T/c1")" \
    "0:pass:pass '' d1.example:d2.example" "our A-R says arc=pass: cv=pass"
hop "$T/h1b" "$T/c2" arc=pass
is "$rc:$(tag "$T/c2" ARC-Seal cv)" "0:pass" \
    "arc=pass is taken as it is, even on a broken chain"
hop "$T/h1" "$T/c3" arc=fail
is "$rc:$(tag "$T/c3" ARC-Seal cv):$(verify "$T/c3")" \
    "0:fail:fail 'i=2 (cv)' d1.example:d2.example" \
    "our A-R says arc=fail: cv=fail, and arc-verify says i=2 (cv)"
hop "$T/h1" "$T/c4" 'spf=pass' --dns-zone "$ZONE"
is "$rc:$err:$(tag "$T/c4" ARC-Seal cv):$(verify "$T/c4")" \
    "0::pass:pass '' d1.example:d2.example" \
    "no arc= in our A-R, a valid chain: validated here, cv=pass"
hop "$T/h1b" "$T/c5" 'spf=pass' --dns-zone "$ZONE"
is "$rc:$(tag "$T/c5" ARC-Seal cv):$(verify "$T/c5")" \
    "0:fail:fail 'i=2 (cv)' d1.example:d2.example" \
    "no arc= in our A-R, a broken chain: validated here, cv=fail"
hop "$T/h1" "$T/c6" 'arc=none' --dns-zone "$ZONE"
is "$rc:$(tag "$T/c6" ARC-Seal cv)" "0:pass" \
    "arc=none in our A-R: no verdict, validated here"
{ echo 'Authentication-Results: other.example; arc=pass'; cat "$T/h1b"; } \
    >"$T/h1bo"
hop "$T/h1bo" "$T/c7" 'spf=pass' --dns-zone "$ZONE"
is "$rc:$(tag "$T/c7" ARC-Seal cv)" "0:fail" \
    "another ADMD's arc=pass is not ours: validated here, cv=fail"
hop "$T/h1" "$T/c8" 'spf=pass' --resolver "127.0.0.1@$DEAD" --timeout 1
fails 75 "cannot seal '.*': cannot validate the chain: .*temporary failure" \
    "no arc=, a DNS failure while validating"

# A seal of cv=fail signs its own set only (RFC 8617 5.1.2).
cat >"$T/sealcheck.py" <<'EOF'
# sealcheck MSG ZONE FROM: the newest seal verifies over sets FROM..N
import base64, hashlib, re, sys
import dkim
from dkim.canonicalization import Relaxed
from dkim.crypto import parse_public_key, RSASSA_PKCS1_v1_5_verify
msg, zone, first = open(sys.argv[1], 'rb').read(), sys.argv[2], int(sys.argv[3])
hdrs, _ = dkim.rfc822_parse(msg)
kinds = (b'arc-authentication-results', b'arc-message-signature', b'arc-seal')
sets = {}
for n, v in hdrs:
    if n.lower() in kinds:
        i = int(re.search(rb'(?:^|;)\s*i\s*=\s*(\d+)', v).group(1))
        sets.setdefault(i, {})[kinds.index(n.lower())] = (n, v)
sel = []
for i in range(first, max(sets) + 1):
    sel += [sets[i][0], sets[i][1], sets[i][2]]
n, v = sel[-1]
tags = dict((k.strip(), x) for k, x in
            (t.split(b'=', 1) for t in v.split(b';') if b'=' in t))
sig = base64.b64decode(re.sub(rb'\s', b'', tags[b'b']))
sel[-1] = (n, re.sub(rb'(^|[;\s])b=[^;]*', rb'\1b=', v))
data = b''.join(k + b':' + x for k, x in Relaxed.canonicalize_headers(sel))
data = data[:-2] if data.endswith(b'\r\n') else data
d = re.sub(rb'\s', b'', tags[b'd']).decode()
s = re.sub(rb'\s', b'', tags[b's']).decode()
rec = ''
for line in open(zone):
    if line.startswith('%s._domainkey.%s.' % (s, d)):
        rec = ''.join(re.findall(r'"([^"]*)"', line))
key = parse_public_key(base64.b64decode(re.search(r'p=([^;]*)', rec).group(1)))
sys.exit(0 if RSASSA_PKCS1_v1_5_verify(hashlib.sha256(data), sig, key) else 1)
EOF
if "$PY" -c 'import dkim' 2>/dev/null; then
	ok "a cv=fail seal verifies over its own set" \
	    "$PY" "$T/sealcheck.py" "$T/c3" "$ZONE" 2
	"$PY" "$T/sealcheck.py" "$T/c3" "$ZONE" 1
	is $? 1 "a cv=fail seal does not sign the sets before it"
	ok "a cv=pass seal verifies over the whole chain" \
	    "$PY" "$T/sealcheck.py" "$T/c1" "$ZONE" 1
else
	skip 3 "python3-dkim not installed"
fi

# A chain failed already (cv=fail on top): RFC 8617 5.1 adds no set to it,
# whatever our results say.
{ echo 'Authentication-Results: d3.example; spf=pass'; cat "$T/c3"; } \
    >"$T/c3n"
run arc-sign -d d3.example -s s3 -k "$T/e3.pem" --dns-zone "$ZONE" "$T/c3n"
unchanged "$T/c3n" "^arc-sign: no ARC set added to '.*c3n': the chain was \
failed at i=2$" "a failed chain, no arc= in our A-R"
{ echo 'Authentication-Results: d3.example; arc=fail'; cat "$T/c3"; } \
    >"$T/c3f"
run arc-sign -d d3.example -s s3 -k "$T/e3.pem" --dns-zone "$ZONE" \
    --time "$T0" "$T/c3f"
unchanged "$T/c3f" "^arc-sign: no ARC set added to '.*c3f': the chain was \
failed at i=2$" "a failed chain, arc=fail in our A-R"
{ echo 'Authentication-Results: d3.example; arc=pass'; cat "$T/c3"; } \
    >"$T/c3p"
run arc-sign -d d3.example -s s3 -k "$T/e3.pem" --dns-zone "$ZONE" \
    --time "$T0" "$T/c3p"
unchanged "$T/c3p" "^arc-sign: no ARC set added to '.*c3p': the chain was \
failed at i=2$" "a failed chain, arc=pass in our A-R all the same"

# 50 sets is the limit.
cp "$T/m" "$T/l0"
i=0
bad=0
while [ "$i" -lt 50 ]; do
	{ echo 'Authentication-Results: d1.example; arc=pass'; cat "$T/l$i"; } |
	    arc-sign -d d1.example -s s1 -k "$K1" --time "$T0" \
	    >"$T/l$((i + 1))" 2>/dev/null || bad=$((bad + 1))
	rm -f "$T/l$i"
	i=$((i + 1))
done
is "$bad:$(tag "$T/l50" ARC-Seal i)" "0:50" "50 sets sealed one by one"
{ echo 'Authentication-Results: d1.example; arc=pass'; cat "$T/l50"; } \
    >"$T/l50a"
sign "$T/l50a"
unchanged "$T/l50a" "the chain has 50 ARC sets, the most allowed" \
    "a 51st set refused"

# --- h= ---------------------------------------------------------------------
cat >"$T/m3" <<'EOF'
Authentication-Results: d1.example; spf=pass
Received: from x by y
From: a@a.example
To: b@b.example
To: c@c.example
Cc: d@d.example
Subject: s
List-Id: <l.example>
MIME-Version: 1.0
Content-Type: text/plain
X-Other: 1
DKIM-Signature: v=1; a=rsa-sha256; d=a.example; s=x; h=from; bh=x; b=y

b
EOF
sign "$T/m3"
is "$rc:$(tag "$T/out" ARC-Message-Signature h)" \
    "0:from:subject:to:to:cc:list-id:mime-version:content-type:\
dkim-signature:from" \
    "default h=: the fields present, as often as present, From oversigned"
is "$(verify "$T/out")" "pass '' d1.example" "default h=: it verifies"
sign "$T/m"
is "$(tag "$T/out" ARC-Message-Signature h)" \
    "from:subject:date:to:message-id:from" "default h= of a plain message"
sign --headers Subject:from:X-Other:x-missing "$T/m3"
is "$rc:$(tag "$T/out" ARC-Message-Signature h)" \
    "0:Subject:from:X-Other:x-missing" "--headers: exactly that h="
is "$(verify "$T/out")" "pass '' d1.example" "--headers: it verifies"
sed 's/^X-Other: 1$/X-Other: 2/' "$T/out" >"$T/xo"
is "$(verify "$T/xo")" "fail 'i=1 (AMS signature invalid)' d1.example" \
    "--headers: a field in the list is signed"
sed 's/^Cc: d@/Cc: e@/' "$T/out" >"$T/cc"
is "$(verify "$T/cc")" "pass '' d1.example" \
    "--headers: a field out of the list is not"
sign --headers 'from;to' "$T/m"
fails 64 "bad --headers 'from;to'" "--headers 'from;to'"
sign --headers '' "$T/m"
fails 64 "bad --headers ''" "--headers ''"
for h in 'from:subject:' ':from' 'from::to'; do
	sign --headers "$h" "$T/m"
	fails 64 "bad --headers '$h': want names with colons between" \
	    "--headers '$h': an empty name"
done
sign --headers 'from:ARC-Seal' "$T/m"
fails 64 "bad --headers 'from:ARC-Seal': an AMS may not sign ARC-Seal" \
    "--headers with ARC-Seal"
sign --headers 'subject:to' "$T/m"
fails 64 "bad --headers 'subject:to': From must be signed" \
    "--headers without From"
# Our AAR goes on before the AMS is made, so the AMS can sign it.
sign --headers 'from:arc-authentication-results' "$T/m"
is "$rc:$(verify "$T/out")" "0:pass '' d1.example" \
    "--headers naming our new AAR: it is signed, and verifies"

# --- --exim -----------------------------------------------------------------
# exim OPTIONS: arc-sign --exim with the test key.
exim() {
	run arc-sign --exim "d1.example:s1:$K1$1" --time "$T0" "$T/m"
}
# tx: t= of the seal and the AMS, x= of the AMS ("-" when absent).
tx() {
	echo "$(tag "$T/out" ARC-Seal t) $(tag "$T/out" ARC-Message-Signature t)\
 $(tag "$T/out" ARC-Message-Signature x) $(tag "$T/out" ARC-Seal x)"
}
exim ''
is "$rc:$(tx)" "0:- - - -" "--exim without options: no t=, no x="
is "$(verify "$T/out")" "pass '' d1.example" "--exim: it verifies"
is "$(aar "$T/out")" "i=1; d1.example; spf=pass smtp.mailfrom=a.example" \
    "--exim: the ID is the authserv-id"
exim :timestamps
is "$rc:$(tx)" "0:$T0 $T0 - -" "--exim timestamps: t= on both"
exim :expire
is "$rc:$(tx)" "0:- - $((T0 + 2592000)) -" \
    "--exim expire: x= 30 days on, on the AMS only"
exim :expire=+3600
is "$rc:$(tx)" "0:- - $((T0 + 3600)) -" "--exim expire=+3600"
exim :expire=1800000000
is "$rc:$(tx)" "0:- - 1800000000 -" "--exim expire=1800000000: absolute"
exim :timestamps,expire=+10
is "$rc:$(tx)" "0:$T0 $T0 $((T0 + 10)) -" "--exim timestamps,expire=+10"
run arc-sign --exim " d1.example : s1 : $K1 : timestamps , expire=+3600 " \
    --time "$T0" "$T/m"
is "$rc:$(tx)" "0:$T0 $T0 $((T0 + 3600)) -" \
    "--exim: spaces round the separators, as Exim's lists allow"
run arc-sign --exim "mx.d1.example:s1:$K1" --time "$T0" "$T/m2"
is "$rc:$(tag "$T/out" ARC-Seal d)" "0:mx.d1.example" \
    "--exim: the ID is d= and the authserv-id"
run arc-sign --exim "d1.example:s1:$K1" --authserv-id mx.d1.example \
    --time "$T0" "$T/m2"
is "$rc:$(tag "$T/out" ARC-Seal d):$(aar "$T/out" | cut -d';' -f2)" \
    "0:d1.example: mx.d1.example" "--exim with --authserv-id"
exim :bogus
fails 64 "unknown --exim option 'bogus'" "--exim option bogus"
for o in expire=0 expire=+0 expire=-5 expire=x expire=+ expire=; do
	exim ":$o"
	fails 64 "option '$(printf '%s' "$o" | sed 's/+/\\+/')'" \
	    "--exim option $o"
done
exim :expire=1000000000000
fails 64 "option 'expire=1000000000000'" "--exim expire past 12 digits"
run arc-sign --exim "d1.example:s1:$K1:expire=+100000" --time 999999999990 \
    "$T/m"
fails 64 "expire is past the 12 digits" \
    "--exim expire=+N that passes 12 digits from --time"
for x in "$T0" $((T0 - 1)); do
	exim ":expire=$x"
	fails 64 "expire is not in the future" "--exim expire=$x: not after now"
done
run arc-sign --exim "d1.example:s1:k1.pem" "$T/m"
fails 64 "bad --exim key 'k1\.pem': .*absolute" "--exim, a relative key path"
run arc-sign --exim "d1.example:s1:$K1" -d d1.example "$T/m"
fails 64 "--exim replaces -d, -s and -k" "--exim with -d"
run arc-sign --exim "d1.example:s1:$K1" -k "$K1" "$T/m"
fails 64 "--exim replaces -d, -s and -k" "--exim with -k"
run arc-sign --exim "d1.example:s1" "$T/m"
fails 64 "bad --exim 'd1\.example:s1': want ID:SELECTOR:/KEY" \
    "--exim without a key (the spec quoted whole)"
run arc-sign --exim ":s1:$K1" "$T/m"
fails 64 "bad --exim ':s1:.*k1\.pem'" "--exim without an ID"

# --- algorithms -------------------------------------------------------------
run arc-sign -d d3.example -s s3 -k "$T/e3.pem" --authserv-id d1.example \
    --time "$T0" -a ed25519-sha256 "$T/m"
is "$rc:$(tag "$T/out" ARC-Seal a):$(tag "$T/out" ARC-Message-Signature a)" \
    "0:ed25519-sha256:ed25519-sha256" "-a ed25519-sha256, an ed25519 key"
is "$(verify "$T/out")" "pass '' d3.example" "ed25519: it verifies"
cp "$T/out" "$T/ed1"
run arc-sign -d d3.example -s s3 -k "$T/e3.pem" --authserv-id d1.example \
    --time "$T0" --algorithm ed25519-sha256 "$T/m"
same "$T/out" "$T/ed1" "--algorithm is -a; ed25519 is reproducible"
run arc-sign -d d3.example -s s3 -k "$T/e3.pem" --authserv-id d1.example \
    --time "$T0" "$T/m"
same "$T/out" "$T/ed1" "no -a: the key's algorithm"
sign -a rsa-sha256 "$T/m"
same "$T/out" "$T/h1" "-a rsa-sha256 with an RSA key"
sign -a ed25519-sha256 "$T/m"
fails 64 "key '.*k1\.pem' cannot sign ed25519-sha256" \
    "-a ed25519-sha256, an RSA key"
run arc-sign -d d3.example -s s3 -k "$T/e3.pem" -a rsa-sha256 "$T/m"
fails 64 "cannot sign rsa-sha256" "-a rsa-sha256, an ed25519 key"
sign -a rsa-sha1 "$T/m"
fails 64 "unknown algorithm 'rsa-sha1'" "-a rsa-sha1"

# --- keys -------------------------------------------------------------------
cp "$K1" "$T/k644.pem"
chmod 644 "$T/k644.pem"
run arc-sign -d d1.example -s s1 -k "$T/k644.pem" "$T/m"
fails 66 "'.*k644\.pem'.*chmod" "a key of mode 644 is refused"
chmod 604 "$T/k644.pem"
run arc-sign -d d1.example -s s1 -k "$T/k644.pem" "$T/m"
fails 66 "chmod" "a key of mode 604 is refused"
chmod 640 "$T/k644.pem"
run arc-sign -d d1.example -s s1 -k "$T/k644.pem" --time "$T0" "$T/m"
same "$T/out" "$T/h1" "a key of mode 640 (group only) is taken"
run arc-sign -d d1.example -s s1 -k "$T/nonesuch.pem" "$T/m"
fails 66 "cannot open key '.*nonesuch\.pem': No such file" "a missing key"
run arc-sign -d d1.example -s s1 -k "$T" "$T/m"
fails 66 "key '$T'" "a directory as the key"
# A key that cannot be used is 66, as a missing one: the message is not at
# fault, so it is not 65.
head -c 300 /dev/urandom | od -An -tx1 >"$T/garbage.pem"
chmod 600 "$T/garbage.pem"
run arc-sign -d d1.example -s s1 -k "$T/garbage.pem" "$T/m"
fails 66 "key '.*garbage\.pem'" "a garbage key"
: >"$T/empty.pem"
chmod 600 "$T/empty.pem"
run arc-sign -d d1.example -s s1 -k "$T/empty.pem" "$T/m"
fails 66 "key '.*empty\.pem'" "an empty key file"
key k512 512
run arc-sign -d d1.example -s s1 -k "$T/k512.pem" "$T/m"
fails 66 "key '.*k512\.pem': .*1024" "an RSA key of 512 bits is refused"
openssl ecparam -name prime256v1 -genkey -noout -out "$T/ec.pem" 2>/dev/null
chmod 600 "$T/ec.pem"
run arc-sign -d d1.example -s s1 -k "$T/ec.pem" "$T/m"
fails 66 "key '.*ec\.pem'" "an EC key"
openssl genrsa -out "$T/p8.pem" 1024 2>/dev/null
chmod 600 "$T/p8.pem"
"$D/arc-zone" s8._domainkey.d1.example="$T/p8.pem" >>"$ZONE"
run arc-sign -d d1.example -s s8 -k "$T/p8.pem" --time "$T0" "$T/m"
is "$rc:$(verify "$T/out")" "0:pass '' d1.example" "a PKCS#8 RSA key"

# --- bad command lines ------------------------------------------------------
run arc-sign -s s1 -k "$K1" "$T/m"
fails 64 "give -d DOMAIN, -s SELECTOR and -k KEY" "no -d"
run arc-sign -d d1.example -k "$K1" "$T/m"
fails 64 "give -d DOMAIN" "no -s"
run arc-sign -d d1.example -s s1 "$T/m"
fails 64 "give -d DOMAIN" "no -k"
run arc-sign -d 'd1 example' -s s1 -k "$K1" "$T/m"
fails 64 "'d1 example'" "-d 'd1 example'"
run arc-sign -d d1.example -s 's;1' -k "$K1" "$T/m"
fails 64 "'s;1'" "-s 's;1'"
run arc-sign --bogus
fails 64 "bad option '--bogus'" "an unknown option"
sign --dns-zone "$T/nozone" "$T/m"
fails 66 "cannot open zone file" "--dns-zone, a missing file"
sign --resolver bogus "$T/m"
fails 64 "bad resolver 'bogus'" "--resolver bogus"
printf 'x.example. 300 IN TXT\n' >"$T/badzone"
sign --dns-zone "$T/badzone" "$T/m"
fails 66 "bad zone file '$T/badzone' line 1" \
    "--dns-zone, a syntax error: 66, the file is named, not the message"
run arc-sign --help
is "$rc:$err" "0:" "--help: exit 0"
for o in --domain --selector --key --authserv-id --exim --time --headers \
    --algorithm --output-dir --filter --resolver --dns-zone --timeout --verbose \
    --usage --version; do
	case $out in
	*"$o"*)	_result 0 "--help lists $o" ;;
	*)	_result 1 "--help lists $o" ;;
	esac
done
run arc-sign --usage
like "$rc:$out" "^0:Usage: arc-sign " "--usage"
run arc-sign --version
like "$rc:$out" "^0:arc-sign \(mxkit\) [0-9]" "--version"

# --- input and output -------------------------------------------------------
sign "$T/nonesuch"
fails 66 "cannot read '.*nonesuch'.*No such file" "a missing message"
: >"$T/empty"
sign "$T/empty"
unchanged "$T/empty" "no Authentication-Results" "an empty message"

# --- faults: what a filter gives ----------------------------------------------
# A fault that is not the message's own writes nothing usable and exits 75,
# so that the MTA keeps the message and retries (Postfix's pipe would
# bounce a 74).
run sh -c 'arc-sign -d d1.example -s s1 -k "$1" "$2" >/dev/full' sh \
    "$K1" "$T/m"
fails 75 "cannot write '.*m': write error: No space left" "a full device"
run closed_pipe arc-sign -d d1.example -s s1 -k "$K1" "$T/m"
fails 75 "cannot write '.*m': write error: Broken pipe" \
    "a closed pipe: 75 and a diagnostic, no death by SIGPIPE"
run arc-sign --filter -d d1.example -s s1 -k "$K1" "$T"
fails 66 "cannot read '$T'.*Is a directory" \
    "--filter, a directory named as the message: 66, no retry mends it"
run sh -c 'arc-sign -d d1.example -s s1 -k "$1" <"$2"' sh "$K1" "$T"
fails 75 "cannot read 'stdin': read error: Is a directory" \
    "a read error on standard input"
if nomem; then
	run env LD_PRELOAD="$T/nomem.so" MX_NOMEM_OVER=65536 arc-sign \
	    -d d1.example -s s1 -k "$K1" "$T/m"
	fails 75 "out of memory|Cannot allocate memory" \
	    "memory exhausted while sealing: 75, nothing written"
else
	skip 4 "no nomem.so here (no cc, or the sanitizers)"
fi

# --- --filter: 0 whenever the message is written whole -----------------------
sign --filter "$T/m"
is "$rc:$err" "0:" "--filter: sealed, exit 0"
same "$T/out" "$T/h1" "--filter: the same set as without"
sign --filter "$T/m2"
is "$rc" 0 "--filter: no A-R of ours, exit 0"
same "$T/out" "$T/m2" "--filter: the message written unchanged"
one_line_error arc-sign "--filter, not sealed: one line on stderr"
like "$err" "no ARC set added to '.*m2': no Authentication-Results field" \
    "--filter, not sealed: says why"
hop "$T/c3" "$T/cf" 'spf=pass' --filter
is "$rc" 0 "--filter: a chain already failed, exit 0"
like "$err" "no ARC set added .*the chain was failed" \
    "--filter, a chain already failed: says why"
same "$T/out" "$T/cf.in" "--filter, a chain already failed: unchanged"
hop "$T/h1" "$T/cg" 'spf=pass' --filter --resolver "127.0.0.1@$DEAD" \
    --timeout 1
fails 75 "cannot seal .*temporary failure" "--filter: a DNS failure, 75"
run sh -c 'arc-sign --filter -d d1.example -s s1 -k "$1" "$2" >/dev/full' \
    sh "$K1" "$T/m"
fails 75 "No space left" "--filter: a full device, 75"
sign --filter "$T/nonesuch"
fails 66 "cannot read '.*nonesuch'" "--filter: a missing message, 66"
sign --filter -o "$T" "$T/m"
fails 64 "--filter writes to standard output" "--filter with -o"

sed 's/$/\r/' "$T/m" >"$T/crlf"
sign "$T/crlf"
is "$rc:$(wc -l <"$T/out" | tr -d ' '):$(grep -c "$(printf '\r')\$" \
    "$T/out")" "0:$(wc -l <"$T/out" | tr -d ' '):$(wc -l <"$T/out" |
    tr -d ' ')" "CRLF in: every line out ends in CRLF"
is "$(verify "$T/out")" "pass '' d1.example" "CRLF: it verifies"
unsealed "$T/out" >"$T/rest"
same "$T/rest" "$T/crlf" "CRLF: the message unchanged below the set"
is "$(grep -c "$(printf '\r')" "$T/h1")" 0 "LF in: no CR out"
{ echo 'From alice@a.example Mon Jan  1 00:00:00 2024'; cat "$T/m"; } \
    >"$T/mbox"
sign "$T/mbox"
is "$rc:$(head -n 1 "$T/out")" \
    "0:From alice@a.example Mon Jan  1 00:00:00 2024" \
    "an mbox 'From ' line stays first"
is "$(sed -n 2p "$T/out" | cut -d: -f1)" ARC-Seal "...the set below it"
is "$(verify "$T/out")" "pass '' d1.example" "...and it verifies"
printf 'Authentication-Results: d1.example; spf=pass\nFrom: a@a.example\n' \
    >"$T/nobody"
sign "$T/nobody"
is "$rc:$(verify "$T/out")" "0:pass '' d1.example" "a message without a body"

# --- --output-dir -----------------------------------------------------------
mkdir "$T/in" "$T/od"
cp "$T/m" "$T/in/a.eml"
cp "$T/m2" "$T/in/b.eml"
cp "$T/m3" "$T/in/c.eml"
sign -o "$T/od" "$T/in/a.eml" "$T/in/b.eml" "$T/in/c.eml"
is "$rc" 1 "--output-dir, three files, one without our A-R: exit 1"
one_line_error arc-sign "--output-dir: one warning, for b.eml"
like "$err" "'.*b\.eml'" "--output-dir: the warning names b.eml"
is "$out" "" "--output-dir: nothing on stdout"
is "$(ls -A "$T/od" | tr '\n' ' ')" "a.eml b.eml c.eml " \
    "--output-dir: each file under its name, no temporary files left"
same "$T/od/a.eml" "$T/h1" "--output-dir: a.eml sealed"
same "$T/od/b.eml" "$T/m2" "--output-dir: b.eml unchanged"
is "$(verify "$T/od/c.eml")" "pass '' d1.example" "--output-dir: c.eml sealed"
same "$T/in/a.eml" "$T/m" "--output-dir: the input left alone"
sign --output-dir "$T/od" "$T/in/a.eml"
is "$rc" 0 "--output-dir, one file, overwritten: exit 0"
same "$T/od/a.eml" "$T/h1" "--output-dir: the file replaced"
sign "$T/in/a.eml" "$T/in/c.eml"
fails 64 "several messages need --output-dir" \
    "several files without --output-dir"
sign -o "$T/m" "$T/in/a.eml"
fails 73 "cannot use '.*m': not a directory" "--output-dir a file"
sign -o "$T/nodir" "$T/in/a.eml"
fails 73 "cannot use '.*nodir'" "--output-dir missing"
sign -o "$T/od" - "$T/in/a.eml" <"$T/m"
fails 64 "stdin has no name" "'-' with --output-dir"
sign -o "$T/od" <"$T/m"
fails 64 "--output-dir needs file names" "--output-dir, no files"

# --- a large message: memory stays flat -------------------------------------
{ cat "$T/m"; awk 'BEGIN { for (i = 0; i < 820000; i++)
    printf "%07d the quick brown fox jumps over the lazy dog 0123456789\n", i
}'; } >"$T/big"
size=$(wc -c <"$T/big" | tr -d ' ')
ok "a message of 50 MB made" test "$size" -gt 50000000
if [ -x /usr/bin/time ]; then
	cat "$T/big" | /usr/bin/time -f %M -o "$T/rss" arc-sign -d d1.example \
	    -s s1 -k "$K1" --time "$T0" >"$T/big.s" 2>"$T/err"
	is "$?:$(cat "$T/err")" "0:" "50 MB from a pipe: sealed"
	rss=$(tail -n 1 "$T/rss")
	if sanitized; then	# ASan's shadow memory is no figure of ours
		skip 1 "peak RSS: the tools are built with sanitizers"
	else
		ok "50 MB: peak RSS ${rss} KB, under 16 MB" \
		    test "$rss" -lt 16384
	fi
	/usr/bin/time -f %M -o "$T/rss" arc-sign -d d1.example -s s1 \
	    -k "$K1" --time "$T0" "$T/big" >"$T/big.s2" 2>"$T/err"
	rss=$(tail -n 1 "$T/rss")
	if sanitized; then
		skip 1 "peak RSS: the tools are built with sanitizers"
	else
		ok "50 MB from a file: peak RSS ${rss} KB, under 16 MB" \
		    test "$rss" -lt 16384
	fi
	same "$T/big.s2" "$T/big.s" "50 MB: the same seal from a file"
else
	skip 4 "/usr/bin/time not installed"
fi
is "$(verify "$T/big.s")" "pass '' d1.example" "50 MB: it verifies"
unsealed "$T/big.s" >"$T/big.rest"
same "$T/big.rest" "$T/big" "50 MB: the message unchanged below the set"
rm -f "$T/big" "$T/big.s" "$T/big.s2" "$T/big.rest"

done_testing
