#!/bin/sh
# arc-verify: every option and error path.  The chains are sealed here by
# arc-sign with keys made for the test, served from a zone file (arc-zone);
# what each chain must give is RFC 8617 section 5.2's answer, under Exim's
# names (REFERENCES.md).
. "$MX_SRCDIR/t/lib.sh"
need openssl

T0=1700000000	# the clock of every seal
ZONE=$T/zone
D=$MX_SRCDIR/t/data

# key NAME [BITS]: an RSA key $T/NAME.pem.
key() {
	rsa_key "$T/$1.pem" "${2:-1024}"
}
key k1 && key k2 && key k9 && ed25519_key "$T/e3.pem" ||
    skip_all "openssl cannot make keys"
"$D/arc-zone" s1._domainkey.d1.example="$T/k1.pem" \
    s2._domainkey.d2.example="$T/k2.pem" \
    s3._domainkey.d3.example="$T/e3.pem" >"$ZONE" ||
    skip_all "arc-zone failed"

DEAD=$(dead_udp_port)

sealed=0
# seal IN OUT DOMAIN SEL KEY AR-RESULTS [ARGS...]: a hop of DOMAIN that
# wrote an A-R of its own and sealed at $T0.
seal() {
	_in=$1 _out=$2 _d=$3 _s=$4 _k=$5 _ar=$6
	shift 6
	{ printf 'Authentication-Results: %s; %s\n' "$_d" "$_ar"; cat "$_in"; } |
	    arc-sign -d "$_d" -s "$_s" -k "$T/$_k.pem" --time "$T0" \
	    --dns-zone "$ZONE" "$@" >"$_out" 2>"$T/seal.err" ||
	    sealed=$((sealed + 1))
}

# v ARGS...: arc-verify with the zone, as at $T0.
v() {
	run arc-verify --dns-zone "$ZONE" --time "$T0" "$@"
}

# verdict RC STATE REASON DOMAINS OLDEST DESCRIPTION: after run, the exit
# status and the four lines (values as the tool quotes them).
verdict() {
	is "$rc:$out" "$1:arc_state=$2
arc_state_reason=$3
arc_domains=$4
arc_oldest_pass=$5" "$6"
}

# fails STATUS ERE DESCRIPTION: the status, one line on stderr that says
# why, nothing on stdout.
fails() {
	is "$rc" "$1" "$3: exit $1"
	one_line_error arc-verify "$3: one line on stderr"
	like "$err" "$2" "$3: says why"
	is "$out" "" "$3: nothing on stdout"
}

# edit FROM TO IN OUT: OUT is IN with the lines matching FROM (a sed
# regular expression) replaced by TO; the edit must take.
edit() {
	sed "s/$1/$2/" "$3" >"$4"
	cmp -s "$3" "$4" && echo "edit '$1' did not take in $3" >&2
}

cat >"$T/m" <<'EOF'
From: Alice <alice@a.example>
To: bob@b.example
Subject: hello
Date: Mon, 1 Jan 2024 00:00:00 +0000
Message-ID: <1@a.example>
X-Old: one

Hello body.
EOF

# One hop, two, three (the third with ed25519); the hops trust the chain
# they got (arc=pass in their own A-R).
seal "$T/m" "$T/h1" d1.example s1 k1 'spf=pass smtp.mailfrom=a.example' \
    --headers from:subject:date:x-old
seal "$T/h1" "$T/h2" d2.example s2 k2 arc=pass
seal "$T/h2" "$T/h3" d3.example s3 e3 arc=pass
# A list between hop 1 and 2 that adds a footer; another between 2 and 3.
edit '^Hello body\.$' 'Hello body.\n-- list footer' "$T/h1" "$T/h1b"
seal "$T/h1b" "$T/h2b" d2.example s2 k2 arc=pass
edit '^Hello body\.$' 'Hello body.\n-- list footer' "$T/h2" "$T/h2b3"
seal "$T/h2b3" "$T/h3b" d3.example s3 e3 arc=pass
# Hop 2 says the chain it got had failed: a seal with cv=fail.
seal "$T/h1" "$T/h2f" d2.example s2 k2 arc=fail
is "$sealed" 0 "the test chains are sealed"

# --- no chain ---------------------------------------------------------------
v "$T/m"
verdict 0 none "''" "''" 0 "no ARC fields: none, exit 0"
is "$err" "" "no chain: nothing on stderr"
v <"$T/m"
verdict 0 none "''" "''" 0 "from stdin"
v - <"$T/h1"
verdict 0 pass "''" d1.example 1 "'-' is stdin"

# --- good chains ------------------------------------------------------------
v "$T/h1"
verdict 0 pass "''" d1.example 1 "one hop: pass, oldest pass 1"
is "$err" "" "pass: nothing on stderr"
v "$T/h2"
verdict 0 pass "''" d1.example:d2.example 1 "two hops"
v "$T/h3"
verdict 0 pass "''" d1.example:d2.example:d3.example 1 \
    "three hops, the third ed25519"
sed 's/$/\r/' "$T/h3" >"$T/h3crlf"
v "$T/h3crlf"
verdict 0 pass "''" d1.example:d2.example:d3.example 1 "a CRLF message"
{ echo 'From alice@a.example Mon Jan  1 00:00:00 2024'; cat "$T/h2"; } \
    >"$T/h2mbox"
v "$T/h2mbox"
verdict 0 pass "''" d1.example:d2.example 1 "an mbox 'From ' line first"

# --- oldest pass: older AMSs that no longer verify ---------------------------
v "$T/h2b"
verdict 0 pass "''" d1.example:d2.example 2 \
    "body changed between hop 1 and 2: pass, oldest pass 2"
v "$T/h3b"
verdict 0 pass "''" d1.example:d2.example:d3.example 3 \
    "body changed between hop 2 and 3: oldest pass 3"
seal "$T/h2b" "$T/h3c" d3.example s3 e3 arc=pass
v "$T/h3c"
verdict 0 pass "''" d1.example:d2.example:d3.example 2 \
    "three hops, body changed between hop 1 and 2: oldest pass 2"
edit '^X-Old: one$' 'X-Old: two' "$T/h2" "$T/h2xo"
v "$T/h2xo"
verdict 0 pass "''" d1.example:d2.example 2 \
    "a field only hop 1's AMS signs, changed after hop 2: oldest pass 2"

# --- tampering after the last seal -----------------------------------------
edit '^Subject: hello$' 'Subject: HELLO' "$T/h2" "$T/h2s"
v "$T/h2s"
verdict 1 fail "'i=2 (AMS signature invalid)'" d1.example:d2.example 0 \
    "a field both AMSs sign changed: fail at i=2, exit 1"
is "$err" "" "fail: nothing on stderr"
edit '^To: bob' 'To: eve' "$T/h2" "$T/h2to"
v "$T/h2to"
verdict 1 fail "'i=2 (AMS signature invalid)'" d1.example:d2.example 0 \
    "a field only the newest AMS signs changed: fail at i=2"
edit '^Subject: hello$' 'Subject: HELLO' "$T/h1" "$T/h1s"
v "$T/h1s"
verdict 1 fail "'i=1 (AMS signature invalid)'" d1.example 0 \
    "one hop, a signed field changed"
edit '^Hello body\.$' 'Hello body!' "$T/h3" "$T/h3t"
v "$T/h3t"
verdict 1 fail "'i=3 (AMS body hash miscompare)'" \
    d1.example:d2.example:d3.example 0 \
    "the body changed after three hops: AMS body hash miscompare"
edit '^ARC-Authentication-Results: i=1; d1.example; spf=pass' \
    'ARC-Authentication-Results: i=1; d1.example; spf=fail' "$T/h2" "$T/h2aar"
v "$T/h2aar"
verdict 1 fail "'i=2 (AS signature invalid)'" d1.example:d2.example 0 \
    "hop 1's AAR changed: the newest seal fails first"
v "$T/h2f"
verdict 1 fail "'i=2 (cv)'" d1.example:d2.example 0 \
    "a seal of cv=fail on top: fail, i=2 (cv)"

# --- keys and times ---------------------------------------------------------
grep -v '^s1\._domainkey' "$ZONE" >"$T/zone-nokey"
run arc-verify --dns-zone "$T/zone-nokey" --time "$T0" "$T/h1"
verdict 1 fail "'i=1 (no key)'" d1.example 0 "the key is not in DNS"
sed 's/^\(s1\._domainkey[^"]*\)".*/\1"v=DKIM1; k=rsa; p="/' "$ZONE" \
    >"$T/zone-revoked"
run arc-verify --dns-zone "$T/zone-revoked" --time "$T0" "$T/h1"
verdict 1 fail "'i=1 (key revoked)'" d1.example 0 "a revoked key (p= empty)"
{ grep -v '^s1\._domainkey' "$ZONE"
  "$D/arc-zone" s1._domainkey.d1.example="$T/k9.pem"; } >"$T/zone-other"
run arc-verify --dns-zone "$T/zone-other" --time "$T0" "$T/h1"
verdict 1 fail "'i=1 (AMS signature invalid)'" d1.example 0 \
    "another key under the selector"
run arc-verify --dns-zone "$ZONE" --time $((T0 - 301)) "$T/h1"
verdict 1 fail "'i=1 (t= in the future)'" d1.example 0 \
    "judged 301 s before t=: t= in the future"
run arc-verify --dns-zone "$ZONE" --time $((T0 - 300)) "$T/h1"
verdict 0 pass "''" d1.example 1 "judged 300 s before t=: allowed skew"
run arc-verify --dns-zone "$ZONE" "$T/h1"
verdict 0 pass "''" d1.example 1 "without --time: judged now"

printf 'Authentication-Results: d1.example; spf=pass\n' | cat - "$T/m" |
    arc-sign --exim "d1.example:s1:$T/k1.pem:timestamps,expire=+10" \
    --time "$T0" >"$T/x10"
run arc-verify --dns-zone "$ZONE" --time $((T0 + 10)) "$T/x10"
verdict 0 pass "''" d1.example 1 "x= = T+10, judged at T+10: pass"
run arc-verify --dns-zone "$ZONE" --time $((T0 + 11)) "$T/x10"
verdict 1 fail "'i=1 (signature expired)'" d1.example 0 \
    "judged a second after x=: signature expired"
run arc-verify --dns-zone "$ZONE" --time $((T0 + 100)) "$T/x10"
verdict 1 fail "'i=1 (signature expired)'" d1.example 0 \
    "judged 100 s after t=, 90 after x=: expired"
run arc-verify --dns-zone "$ZONE" "$T/x10"
like "$rc:$out" "^1:arc_state=fail
arc_state_reason='i=1 \(signature expired\)'" "without --time, now: expired"
# arc-sign refuses to make an x= not after t=; edit one in instead (the
# check comes before the signature's).
sed 's/x=1700000010/x=1700000000/' "$T/x10" >"$T/xt"
run arc-verify --dns-zone "$ZONE" --time $((T0 - 100)) "$T/xt"
verdict 1 fail "'i=1 (x= not after t=)'" d1.example 0 "x= equal to t=: fail"

# --- DNS temporary failure: 75, no verdict printed --------------------------
run arc-verify --resolver "127.0.0.1@$DEAD" --timeout 1 --time "$T0" \
    "$T/h1"
fails 75 "cannot validate '.*h1': i=1 \(key lookup temporary failure\)" \
    "a resolver that does not answer"
run arc-verify --resolver "127.0.0.1@$DEAD" --timeout 1 "$T/m"
verdict 0 none "''" "''" 0 "no chain: no DNS, no failure"
run arc-verify --resolver "127.0.0.1@$DEAD" --timeout 1 --time "$T0" \
    "$T/m" "$T/h1"
is "$rc:$out" "75:$T/m: arc_state=none
$T/m: arc_state_reason=''
$T/m: arc_domains=''
$T/m: arc_oldest_pass=0" \
    "two files, one DNS failure: the other's verdict, exit 75"
run arc-verify --resolver "127.0.0.1@$DEAD" --timeout 1 --time "$T0" \
    --add-header mx.example "$T/h1"
fails 75 "key lookup temporary failure" \
    "--add-header: a DNS failure writes nothing"

# --- odd messages -----------------------------------------------------------
: >"$T/empty"
v "$T/empty"
verdict 0 none "''" "''" 0 "an empty message"
printf 'From: a@a.example\nSubject: x\n' >"$T/nobody"
v "$T/nobody"
verdict 0 none "''" "''" 0 "a message without a body"
seal "$T/nobody" "$T/nobody.s" d1.example s1 k1 spf=pass
v "$T/nobody.s"
verdict 0 pass "''" d1.example 1 "a sealed message without a body"
edit '^Subject: x$' 'Subject: y' "$T/nobody.s" "$T/nobody.t"
v "$T/nobody.t"
verdict 1 fail "'i=1 (AMS signature invalid)'" d1.example 0 \
    "a sealed message without a body, changed"

# --- 50 sets is the limit ---------------------------------------------------
cp "$T/m" "$T/c0"
i=0
while [ "$i" -lt 50 ]; do
	seal "$T/c$i" "$T/c$((i + 1))" d1.example s1 k1 arc=pass
	i=$((i + 1))
done
is "$sealed" 0 "a chain of 50 sets sealed"
v "$T/c50"
like "$rc:$out" "^0:arc_state=pass
arc_state_reason=''
arc_domains=(d1\.example:){49}d1\.example
arc_oldest_pass=1$" "50 sets: pass"
# Set 50 again as a 51st, on top: structurally sound but one too many.
{ sed -n '1,/^ARC-Authentication-Results/p' "$T/c50" |
    sed 's/i=50\([;]\|$\)/i=51\1/'; cat "$T/c50"; } >"$T/c51"
is "$(grep -c 'i=51' "$T/c51")" 3 "a 51st set made"
v "$T/c51"
like "$rc:$out" "^1:arc_state=fail
arc_state_reason='.*'
arc_domains=.*
arc_oldest_pass=0$" "51 sets: fail"

# --- --accept ---------------------------------------------------------------
# accept LIST FILE STATUS: the exit status for that list.
accept() {
	v --accept "$1" "$2"
	is "$rc" "$3" "--accept '$1', $(sed -n 's/^arc_state=//p' "$T/out"): \
exit $3"
}
accept pass "$T/h1" 0
accept pass "$T/m" 1
accept pass "$T/h2s" 1
accept fail "$T/h2s" 0
accept fail "$T/h1" 1
accept none "$T/m" 0
accept none "$T/h1" 1
accept '!fail' "$T/m" 0
accept '!fail' "$T/h1" 0
accept '!fail' "$T/h2s" 1
accept none:pass "$T/h1" 0
accept none:pass "$T/m" 0
accept none:pass "$T/h2s" 1
accept '*' "$T/h2s" 0
accept '*' "$T/h1" 0
# A typo or an empty list is a usage error (t/11-cli.t has the messages).
accept bogus "$T/h1" 64
accept bogus "$T/m" 64
accept '' "$T/h1" 64
accept ' none : pass ' "$T/m" 0
accept '<;fail;pass' "$T/h1" 0
accept '<;fail;pass' "$T/m" 1
accept PASS "$T/h1" 0
v --accept fail "$T/h1"
verdict 1 pass "''" d1.example 1 "--accept changes the status, not the output"
v "$T/h2s"
is "$rc" 1 "default none:pass: fail exits 1"

# --- --json -----------------------------------------------------------------
# json_ok DESCRIPTION: $out is JSON, one object a line.
json_ok() {
	printf '%s\n' "$out" | $PY -c 'import json, sys
for l in sys.stdin:
	assert isinstance(json.loads(l), dict)' 2>/dev/null
	_result $? "$1"
}
v --json "$T/h2xo"
is "$rc:$out" '0:{"arc_state":"pass","arc_state_reason":"","arc_domains":'\
'"d1.example:d2.example","arc_oldest_pass":2}' "--json: a pass"
json_ok "--json: valid JSON"
v --json "$T/h3t"
json_ok "--json: a fail is valid JSON"
is "$(printf '%s\n' "$out" | $PY -c 'import json, sys
o = json.loads(sys.stdin.read())
print(sorted(o), o["arc_state"], o["arc_state_reason"], o["arc_domains"],
    type(o["arc_oldest_pass"]).__name__, o["arc_oldest_pass"])')" \
    "['arc_domains', 'arc_oldest_pass', 'arc_state', 'arc_state_reason'] fail \
i=3 (AMS body hash miscompare) d1.example:d2.example:d3.example int 0" \
    "--json: the four fields, oldest pass a number"
is "$rc" 1 "--json: exit 1 for a fail"
v --json "$T/h1" "$T/m" "$T/h2s"
json_ok "--json, three files: valid JSON"
is "$rc:$(printf '%s\n' "$out" | $PY -c 'import json, sys
for l in sys.stdin:
	o = json.loads(l)
	print(o["file"], o["arc_state"])')" "1:$T/h1 pass
$T/m none
$T/h2s fail" "--json, three files: each object names its file, exit 1"

# --- several files ----------------------------------------------------------
v "$T/h1" "$T/m"
is "$rc:$out" "0:$T/h1: arc_state=pass
$T/h1: arc_state_reason=''
$T/h1: arc_domains=d1.example
$T/h1: arc_oldest_pass=1
$T/m: arc_state=none
$T/m: arc_state_reason=''
$T/m: arc_domains=''
$T/m: arc_oldest_pass=0" "two files: each line prefixed 'FILE: '"
v "$T/h1" "$T/h2s" "$T/m"
is "$rc:$(grep -c ': arc_state=' "$T/out")" "1:3" \
    "a fail among three: all three reported, exit 1"
v "$T/h1" "$T/nonesuch" "$T/h2s"
is "$rc:$(grep -c ': arc_state=' "$T/out")" "66:2" \
    "a missing file among three: the others reported, exit 66"
one_line_error arc-verify "a missing file among three: one line on stderr"
# -H: the prefix for one file too, so that a glob of one works as of many.
v -H "$T/h1"
is "$rc:$out" "0:$T/h1: arc_state=pass
$T/h1: arc_state_reason=''
$T/h1: arc_domains=d1.example
$T/h1: arc_oldest_pass=1" "-H, one file: each line prefixed 'FILE: '"
v --with-filename --json "$T/h1"
like "$out" "^\{\"file\":\"$T/h1\",\"arc_state\":\"pass\"" \
    "--with-filename --json: the object names its file"
run sh -c 'arc-verify --dns-zone "$1" --time "$2" -H <"$3"' sh "$ZONE" \
    "$T0" "$T/h1"
is "$(sed -n 1p "$T/out")" "stdin: arc_state=pass" \
    "-H, standard input: named 'stdin', as in diagnostics"
v --no-filename "$T/h1" "$T/m"
is "$rc:$(grep -c '^arc_state=' "$T/out"):$(grep -c ': ' "$T/out")" 0:2:0 \
    "--no-filename, two files: no prefix"
v -H --no-filename "$T/h1"
fails 64 "-H and --no-filename exclude each other" "-H with --no-filename"
# A name holding a newline (or any control byte, a backslash, a byte
# beyond ASCII) cannot split a line: the prefix shows it as \xNN.
nl=$(printf 'a\nb:\\\351')
cp "$T/h1" "$T/$nl"
v -H "$T/$nl"
is "$rc:$out" "0:$T/a\\x0ab:\\x5c\\xe9: arc_state=pass
$T/a\\x0ab:\\x5c\\xe9: arc_state_reason=''
$T/a\\x0ab:\\x5c\\xe9: arc_domains=d1.example
$T/a\\x0ab:\\x5c\\xe9: arc_oldest_pass=1" \
    "-H, a name with a newline: four lines, the name shown as in diagnostics"

# --- --add-header -----------------------------------------------------------
# field: the first field of $T/out, unfolded.
field() {
	awk 'NR == 1 { f = $0; next } /^[ \t]/ { f = f $0; next }
	    { print f; exit }' "$T/out" | tr -s ' \t' '  '
}
# rest IN: the output after the added field is IN, byte for byte.
rest() {
	tail -n +3 "$T/out" >"$T/rest"
	same "$T/rest" "$1" "$2"
}
v --add-header mx.example "$T/h1"
is "$rc:$(field)" "0:Authentication-Results: mx.example; arc=pass \
(chain valid) header.oldest-pass=1" "--add-header: arc=pass, oldest pass"
rest "$T/h1" "--add-header: the message follows unchanged"
is "$(sed -n 2p "$T/out" | cut -c1)" "$(printf '\t')" \
    "--add-header: the field folded before the result"
v --add-header mx.example "$T/h2xo"
is "$rc:$(field)" "0:Authentication-Results: mx.example; arc=pass \
(chain valid) header.oldest-pass=2" "--add-header: header.oldest-pass=2"
v --add-header mx.example "$T/h3t"
is "$rc:$(field)" "0:Authentication-Results: mx.example; arc=fail \
(i=3 (AMS body hash miscompare))" \
    "--add-header: arc=fail with the reason, exit 0"
rest "$T/h3t" "--add-header: a failed message follows unchanged"
v --add-header mx.example "$T/m"
is "$rc:$(field)" "0:Authentication-Results: mx.example; arc=none (no chain)" \
    "--add-header: arc=none"
v --add-header mx.example --ip 192.0.2.1 "$T/h1"
is "$rc:$(field)" "0:Authentication-Results: mx.example; arc=pass \
(chain valid) header.oldest-pass=1 smtp.remote-ip=192.0.2.1" "--ip IPv4"
v --add-header mx.example --accept fail "$T/h1"
is "$rc" 0 "--add-header: exit 0 whatever --accept says"
v --add-header mx.example <"$T/h1"
rest "$T/h1" "--add-header: from stdin"
v --add-header mx.example "$T/empty"
is "$rc:$out" "0:Authentication-Results: mx.example;
	arc=none (no chain)" "--add-header: an empty message"

# ar_parse FILE: the added field as python3-authres reads it.
ar_parse() {
	$PY -c 'import email, sys, authres
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
r = authres.AuthenticationResultsHeader.parse(
    "Authentication-Results: " + str(m["Authentication-Results"]))
for x in r.results:
	print(r.authserv_id, x.method, x.result,
	    " ".join("%s.%s=%s" % (p.type, p.name, p.value)
	    for p in x.properties))' "$1" 2>&1 | tail -n 1
}
v --add-header mx.example --ip 192.0.2.1 "$T/h2xo"
is "$(ar_parse "$T/out")" \
    "mx.example arc pass header.oldest-pass=2 smtp.remote-ip=192.0.2.1" \
    "--add-header: python3-authres reads the field"
v --add-header mx.example --ip 2001:db8::1 "$T/h1"
is "$rc" 0 "--ip IPv6: exit 0"
is "$(ar_parse "$T/out")" \
    "mx.example arc pass header.oldest-pass=1 smtp.remote-ip=2001:db8::1" \
    "--ip IPv6: a valid A-R value (quoted: colons are not token characters)"
v --add-header mx.example --ip 192.0.2.1 "$T/h3t"
is "$(ar_parse "$T/out")" "mx.example arc fail smtp.remote-ip=192.0.2.1" \
    "--add-header: python3-authres reads a fail"

v --add-header mx.example "$T/h3crlf"
is "$(head -n 2 "$T/out" | od -An -c | tr -d ' \n' | grep -o '\\r\\n' |
    wc -l)" 2 "--add-header, a CRLF message: the field's lines end in CRLF"
rest "$T/h3crlf" "--add-header, a CRLF message: the message unchanged"
v --add-header mx.example "$T/h3"
is "$(head -n 2 "$T/out" | grep -c "$(printf '\r')")" 0 \
    "--add-header, an LF message: no CR added"

run arc-verify --dns-zone "$ZONE" --add-header mx.example --ip 300.1.2.3 \
    "$T/h1"
fails 64 "bad address '300\.1\.2\.3'" "--ip 300.1.2.3"
run arc-verify --dns-zone "$ZONE" --add-header mx.example --ip host.example \
    "$T/h1"
fails 64 "bad address 'host\.example'" "--ip with a name"
run arc-verify --dns-zone "$ZONE" --ip 192.0.2.1 "$T/h1"
fails 64 "--ip goes with --add-header" "--ip without --add-header"
run arc-verify --dns-zone "$ZONE" --add-header mx.example "$T/h1" "$T/m"
fails 64 "--add-header takes one message" "--add-header with two files"
run arc-verify --dns-zone "$ZONE" --add-header 'mx example' "$T/h1"
fails 64 "bad authserv-id 'mx example'" "--add-header 'mx example'"
run arc-verify --dns-zone "$ZONE" --add-header 'mx;x' "$T/h1"
fails 64 "bad authserv-id 'mx;x'" "--add-header 'mx;x'"
run arc-verify --dns-zone "$ZONE" --add-header mx.example "$T/nonesuch"
fails 66 "cannot read '.*nonesuch'" "--add-header, a missing file"

# --- bad command lines, missing files, I/O ----------------------------------
run arc-verify --dns-zone "$ZONE" "$T/nonesuch"
fails 66 "^arc-verify: cannot read '$T/nonesuch': .*No such file" \
    "a missing file"
is "$err" "arc-verify: cannot read '$T/nonesuch': No such file or directory" \
    "  naming the file once"
run arc-verify --dns-zone "$ZONE" "$T/$(printf 'zz\001\377')"
is "$rc:$err" "66:arc-verify: cannot read '$T/zz\\x01\\xff': No such file \
or directory" "a missing file with a control byte and a non-ASCII one: \\xNN"
run arc-verify --dns-zone "$T/$(printf 'zo\nne')" "$T/h1"
is "$rc:$err" "66:arc-verify: cannot open zone file '$T/zo\\x0ane': No such \
file or directory" "a zone file's name the same"
run arc-sign -d d1.example -s s1 -k "$T/$(printf 'k\033.pem')" "$T/m"
is "$rc:$err" "66:arc-sign: cannot open key '$T/k\\x1b.pem': No such \
file or directory" "a key file's name the same"
run arc-sign -d d1.example -s s1 -k "$T/k1.pem" "$T/$(printf 'm\177')"
is "$rc:$err" "66:arc-sign: cannot read '$T/m\\x7f': No such file or \
directory" "arc-sign: a message file's name once, and shown"
run arc-verify --bogus "$T/h1"
fails 64 "bad option '--bogus'" "an unknown option"
run arc-verify --dns-zone "$T/nozone" "$T/h1"
fails 66 "cannot open zone file '$T/nozone'" "--dns-zone, a missing file"
printf 'x.example. 300 IN TXT\n' >"$T/badzone"
run arc-verify --dns-zone "$T/badzone" "$T/h1"
fails 65 "bad zone file '$T/badzone' line 1" "--dns-zone, a syntax error"
run arc-verify --resolver bogus "$T/h1"
fails 64 "bad resolver 'bogus'" "--resolver bogus"
run arc-verify --dns-zone "$ZONE" --resolver 127.0.0.1 "$T/h1"
fails 64 "exclude each other" "--dns-zone and --resolver"
run arc-verify --dns-zone "$ZONE" --timeout 0 "$T/h1"
fails 64 "bad --timeout '0': want a whole number from 1 to" "--timeout 0"
run arc-verify --dns-zone "$ZONE" --time soon "$T/h1"
fails 64 "bad --time 'soon': want seconds since the epoch" "--time soon"
run arc-verify --dns-zone "$ZONE" --time -1 "$T/h1"
fails 64 "--time" "--time -1 (not a time, never 'now')"
run arc-verify --dns-zone "$ZONE" "$T"
fails 66 "cannot read '$T'.*Is a directory" "a directory as the message: 66"
run arc-verify --dns-zone "$ZONE" --add-header mx "$T"
fails 66 "cannot read '$T'.*Is a directory" \
    "--add-header, a directory named as the message: 66, no retry mends it"
run sh -c 'arc-verify --dns-zone "$1" "$2" >/dev/full' sh "$ZONE" "$T/h1"
fails 74 "cannot write to standard output" "a full device"
run closed_pipe arc-verify --dns-zone "$ZONE" "$T/h1"
fails 74 "cannot write to standard output: Broken pipe" \
    "a reader gone: 74 and one line, no death by SIGPIPE"
# A filter's faults that are not the message's own: 75, so that the MTA
# keeps the message and retries (Postfix's pipe would bounce a 74).
run sh -c 'arc-verify --dns-zone "$1" --add-header mx "$2" >/dev/full' sh \
    "$ZONE" "$T/h1"
fails 75 "cannot write '.*h1': write error: No space left" \
    "--add-header to a full device"
run closed_pipe arc-verify --dns-zone "$ZONE" --add-header mx "$T/h1"
fails 75 "cannot write '.*h1': write error: Broken pipe" \
    "--add-header to a closed pipe: 75, no death by SIGPIPE"
run sh -c 'arc-verify --dns-zone "$1" --add-header mx <"$2"' sh "$ZONE" "$T"
fails 75 "cannot read 'stdin': read error: Is a directory" \
    "--add-header, a read error on standard input"
run arc-verify --dns-zone "$T/badzone" --add-header mx "$T/h1"
fails 66 "bad zone file '$T/badzone' line 1" \
    "--add-header, a zone file with a syntax error: 66, not the message's"
# A header section of 600 KB, read into memory that runs out.
{ i=0
  while [ "$i" -lt 600 ]; do
	printf 'X-Filler-%d: %01000d\n' "$i" 0
	i=$((i + 1))
  done
  cat "$T/h1"; } >"$T/bighdr"
if nomem; then
	run env LD_PRELOAD="$T/nomem.so" arc-verify --dns-zone "$ZONE" \
	    --add-header mx "$T/bighdr"
	fails 75 "cannot read '.*bighdr': Cannot allocate memory" \
	    "--add-header, memory exhausted: 75, not 70"
else
	skip 4 "no nomem.so here (no cc, or the sanitizers)"
fi

# --- -v and the common options ----------------------------------------------
v -v "$T/h1"
is "$rc:$(grep -c '^arc_state=pass$' "$T/out")" "0:1" "-v: the same output"
like "$err" "^arc-verify: .*h1: arc=pass" "-v: says what it found"
run arc-verify --help
is "$rc:$err" "0:" "--help: exit 0, nothing on stderr"
for o in --accept --add-header --ip --time --resolver --dns-zone --timeout \
    --with-filename --no-filename --json --verbose --usage --version; do
	case $out in
	*"$o"*)	_result 0 "--help lists $o" ;;
	*)	_result 1 "--help lists $o" ;;
	esac
done
run arc-verify -h
like "$rc:$out" "^0:Usage: arc-verify " "-h is --help"
run arc-verify --usage
like "$rc:$out" "^0:Usage: arc-verify " "--usage"
run arc-verify --version
like "$rc:$out" "^0:arc-verify \(mxkit\) [0-9]" "--version"
run arc-verify -V
like "$rc:$out" "^0:arc-verify \(mxkit\) [0-9]" "-V is --version"

done_testing
