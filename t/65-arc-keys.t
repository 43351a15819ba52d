#!/bin/sh
# ARC keys: a key file that is a FIFO or encrypted is refused at once,
# never read from the terminal or from standard input (the message);
# arc-sign --new-key makes a key and its DNS record, which --dns-zone and
# knot load as printed; arc-verify --check-key says whether the published
# record matches a key, as opendkim-testkey does; the key examples and the
# rollover recipe of the man pages and README run as printed.
. "${MX_SRCDIR:-.}/t/lib.sh"
. "$MX_SRCDIR/t/knot.sh"

need openssl timeout
# knot serves the zones of the later parts; without it they skip.
have_knot=yes
[ -x "$KNOTD" ] && [ -x "$KNOTC" ] && [ -x "$KDIG" ] || have_knot=

D=keys.test
cat >"$T/m" <<EOF
Authentication-Results: mx.$D; spf=pass smtp.mailfrom=joe@origin.example
From: Joe <joe@origin.example>
To: list@$D
Subject: keys
Date: Mon, 1 Jan 2024 00:00:00 +0000
Message-ID: <keys.1@origin.example>

a body
EOF

# field NAME: a name=value line of the last run's stdout, unquoted.
field() {
	sed -n "s/^$1=//p" "$T/out" | sed "s/^'//; s/'\$//"
}

# qs TEXT: TEXT as quoted strings of 255 bytes at most, for a zone file.
qs() {
	printf '%s' "$1" | fold -w 255 | sed 's/.*/"&"/' | tr '\n' ' '
}

# seal_verify KEY SELECTOR ZONE-OPTION...: seal $T/m with KEY and validate
# it with the DNS options given; prints arc_state.
seal_verify() {
	_k=$1 _s=$2
	shift 2
	arc-sign -d "$D" -s "$_s" -k "$_k" --authserv-id "mx.$D" "$T/m" \
	    >"$T/sealed" 2>/dev/null || { echo "seal failed"; return; }
	arc-verify "$@" "$T/sealed" | sed -n 's/^arc_state=//p'
}

# --- A FIFO as -k: refused at once (it used to hang for ever) -----------
mkfifo "$T/fifo"
run timeout 5 arc-sign -d "$D" -s s1 -k "$T/fifo" "$T/m"
is "$rc" 66 "a FIFO as -k: exit 66 at once"
one_line_error arc-sign "  one line on stderr"
like "$err" "key '$T/fifo': not a regular file" "  saying it is no regular file"
is "$out" "" "  nothing on stdout"

# --- Encrypted keys: refused without asking for a passphrase ------------
# The message's first line is the passphrase: OpenSSL, left to itself,
# reads it from standard input and the message is lost.
{ echo secret; cat "$T/m"; } >"$T/pm"
openssl genpkey -algorithm rsa -pkeyopt rsa_keygen_bits:2048 -aes256 \
    -pass pass:secret -out "$T/enc-p8-rsa.pem" 2>/dev/null
openssl genrsa -aes256 -traditional -passout pass:secret \
    -out "$T/enc-trad-rsa.pem" 2048 2>/dev/null
openssl genpkey -algorithm ed25519 -aes256 -pass pass:secret \
    -out "$T/enc-p8-ed25519.pem" 2>/dev/null
chmod 600 "$T"/enc-*.pem
like "$(sed -n 2p "$T/enc-trad-rsa.pem")" '^Proc-Type: 4,ENCRYPTED' \
    "the traditional RSA key has Proc-Type: 4,ENCRYPTED"
for kind in p8-rsa trad-rsa p8-ed25519; do
	K=$T/enc-$kind.pem
	(timeout 5 arc-sign -d "$D" -s s1 -k "$K" >"$T/out" 2>"$T/err"
	    echo $? >"$T/rc"; cat >"$T/rest") <"$T/pm"
	rc=$(cat "$T/rc") out=$(cat "$T/out") err=$(cat "$T/err")
	is "$rc:$out" 66: "encrypted key ($kind): exit 66, nothing written"
	one_line_error arc-sign "  one line on stderr"
	like "$err" "key '$K': it is encrypted \(decrypt it: openssl pkey -in $K" \
	    "  saying it is encrypted and how to decrypt it"
	same "$T/rest" "$T/pm" "  standard input left unread, passphrase line and all"
done
# On a terminal OpenSSL would prompt and wait for ever.
if command -v script >/dev/null 2>&1; then
	K=$T/enc-trad-rsa.pem
	timeout 10 script -qec "arc-sign -d $D -s s1 -k $K $T/m" /dev/null \
	    </dev/null >"$T/pty" 2>&1
	rc=$?
	is "$rc" 66 "encrypted key, run on a terminal: exit 66, no prompt"
	is "$(grep -ci 'pass phrase' "$T/pty")" 0 "  no passphrase prompt"
	: >"$T/empty.zone"
	timeout 10 script -qec "arc-verify --check-key -d $D -s s1 -k $K \
	    --dns-zone $T/empty.zone" /dev/null </dev/null >"$T/pty" 2>&1
	is "$?" 66 "  arc-verify --check-key on a terminal too"
	like "$(cat "$T/pty")" "it is encrypted" \
	    "  refused as encrypted, not for its zone"
else
	skip 4 "no script(1) for a terminal"
fi

# --- arc-sign --new-key --------------------------------------------------
mkdir "$T/k"
run sh -c 'umask 0; exec arc-sign --new-key "$1" -d "$2" -s s1' sh \
    "$T/k/rsa.key" "$D"
is "$rc" 0 "--new-key: exit 0"
is "$(stat -c %a "$T/k/rsa.key")" 600 "  the key is mode 0600 under umask 0"
is "$(ls -A "$T/k")" rsa.key "  no temporary file left"
like "$(head -n 1 "$T/k/rsa.key")" '^-----BEGIN RSA PRIVATE KEY-----$' \
    "  RSA in PKCS#1 PEM, as dkimpy reads it"
like "$(openssl pkey -in "$T/k/rsa.key" -noout -text | head -n 1)" \
    '\(2048 bit' "  2048 bits by default"
is "$(printf '%s\n' "$out" | wc -l)" 1 "  one line on stdout"
like "$out" "^s1\._domainkey\.keys\.test\. 3600 IN TXT \"v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]+\"( \"[A-Za-z0-9+/=]+\")+\$" \
    "  an absolute owner, TTL, IN TXT and the record in quoted strings"
long=$(printf '%s\n' "$out" | grep -o '"[^"]*"' | awk '{ if (length($0) - 2 > 255) n++ } END { print n + 0 }')
is "$long" 0 "  no string over 255 bytes"
is "$(printf '%s\n' "$out" | grep -o '"[^"]*"' | awk 'length($0) - 2 == 255' | wc -l)" 1 \
    "  the first string full at 255 bytes"
p=$(printf '%s\n' "$out" | grep -o '"[^"]*"' | tr -d '"\n' | sed 's/.*p=//')
is "$p" "$(openssl pkey -in "$T/k/rsa.key" -pubout -outform DER | openssl base64 -A)" \
    "  p= is the key's SubjectPublicKeyInfo"
printf '%s\n' "$out" >"$T/rsa.zone"
is "$(seal_verify "$T/k/rsa.key" s1 --dns-zone "$T/rsa.zone")" pass \
    "  a seal with the key validates against the line, by --dns-zone"

run arc-sign --new-key "$T/k/ed.key" -a ed25519-sha256 -d "$D." -s ed --json
is "$rc" 0 "--new-key -a ed25519-sha256 --json: exit 0 (domain with a dot)"
is "$(stat -c %a "$T/k/ed.key")" 600 "  mode 0600"
like "$(openssl pkey -in "$T/k/ed.key" -noout -text | head -n 1)" \
    'ED25519 Private-Key' "  an Ed25519 key"
rec=$(printf '%s' "$out" | $PY -c 'import json, sys
o = json.load(sys.stdin)
print(o["key"] == sys.argv[1] and o["record"] or "bad key member")' "$T/k/ed.key")
like "$rec" "^ed\._domainkey\.keys\.test\. 3600 IN TXT \"v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=\"\$" \
    "  JSON: key and record, the bare 32-byte key (RFC 8463)"
printf '%s\n' "$rec" >"$T/ed.zone"
is "$(seal_verify "$T/k/ed.key" ed --dns-zone "$T/ed.zone")" pass \
    "  an Ed25519 seal validates against it"

run arc-sign --new-key "$T/k/r1024.key" --bits 1024 -d "$D" -s s1024
like "$rc:$(openssl pkey -in "$T/k/r1024.key" -noout -text | head -n 1)" \
    '^0:.*\(1024 bit' "--bits 1024: a 1024-bit key"
printf '%s\n' "$out" >"$T/r1024.zone"

# Usage errors: nothing made.
for args in "--bits 1023" "--bits 8193" "--bits -5" "--bits x" \
    "-a ed25519-sha256 --bits 2048" "-a rsa-sha1" "-k $T/k/rsa.key" \
    "-o $T" "$T/m"; do
	# shellcheck disable=SC2086
	run arc-sign --new-key "$T/k/u.key" -d "$D" -s u $args
	is "$rc:$out" 64: "--new-key $args: exit 64"
	one_line_error arc-sign "  one line on stderr"
done
run arc-sign --new-key "$T/k/u.key" -s u
is "$rc" 64 "--new-key without -d: exit 64"
run arc-sign --new-key "$T/k/u.key" -d 'a b' -s u
is "$rc" 64 "--new-key with a bad domain: exit 64"
run arc-sign --bits 2048 -d "$D" -s s1 -k "$T/k/rsa.key" "$T/m"
is "$rc" 64 "--bits without --new-key: exit 64"
is "$(ls -A "$T/k")" "ed.key
r1024.key
rsa.key" "  no file made by any of them"

# The record lost on a full stdout: the key goes too, so a rerun works.
if [ -w /dev/full ]; then
	arc-sign --new-key "$T/k/lost.key" -d "$D" -s s1 >/dev/full 2>"$T/err"
	is "$?" 74 "--new-key, stdout full: exit 74"
	ok "  the key removed" test ! -e "$T/k/lost.key"
	like "$(cat "$T/err")" "cannot write to standard output" "  saying why"
else
	skip 3 "no /dev/full"
fi
run closed_pipe arc-sign --new-key "$T/k/piped.key" -d "$D" -s s1
is "$rc" 74 "--new-key into a pipe whose reader is gone: 74, not SIGPIPE"
ok "  the key removed, so a rerun works" test ! -e "$T/k/piped.key"

# Never over an existing file.
cp "$T/k/rsa.key" "$T/rsa.copy"
run arc-sign --new-key "$T/k/rsa.key" -d "$D" -s s1
is "$rc:$out" 73: "--new-key over an existing key: exit 73, nothing printed"
one_line_error arc-sign "  one line on stderr"
like "$err" "cannot create key '$T/k/rsa.key': File exists" "  saying it exists"
same "$T/k/rsa.key" "$T/rsa.copy" "  the old key untouched"
ln -s "$T/k/nowhere" "$T/k/link"
run arc-sign --new-key "$T/k/link" -d "$D" -s s1
is "$rc" 73 "--new-key over a dangling symlink: exit 73"
ok "  nothing made where it points" test ! -e "$T/k/nowhere"
rm "$T/k/link"
for bad in "$T/none/k.key" "$T/m/k.key"; do
	run arc-sign --new-key "$bad" -d "$D" -s s1
	is "$rc" 73 "--new-key in a directory that is not there ($bad): exit 73"
	one_line_error arc-sign "  one line on stderr"
done
if [ "$(id -u)" != 0 ]; then
	mkdir "$T/ro" && chmod 555 "$T/ro"
	run arc-sign --new-key "$T/ro/k.key" -d "$D" -s s1
	is "$rc:$(ls -A "$T/ro")" 73: "--new-key in a read-only directory: 73"
else
	# Root writes anywhere: a full file system stands in, mounted in a
	# namespace of its own, so that nothing outlives the test.
	mkdir "$T/full"
	run unshare -m sh -c 'mount -t tmpfs -o size=16k tmpfs "$1" || exit 77
		dd if=/dev/zero of="$1/fill" bs=4k count=8 2>/dev/null
		arc-sign --new-key "$1/k.key" -d "$2" -s s1
		rc=$?
		ls -A "$1"
		exit $rc' sh "$T/full" "$D"
	if [ "$rc" = 77 ] || ! command -v unshare >/dev/null; then
		skip 3 "root, and no tmpfs to fill (unshare -m)"
	else
		is "$rc:$out" 73:fill \
		    "--new-key on a full file system: 73, no file left"
		one_line_error arc-sign "  one line on stderr"
		like "$err" "cannot create key '.*/k\.key': No space left" \
		    "  saying why"
	fi
fi

# --- arc-verify --check-key, each verdict, from a zone file -------------
rsa_key "$T/other.pem"
openssl genrsa -traditional -out "$T/short.pem" 512 2>/dev/null
edp=$(sed 's/.*p=//; s/"//g' "$T/ed.zone")
rsap=$(sed 's/.*p=//; s/[" ]//g' "$T/rsa.zone")
{
	zone_head "$D"
	cat <<EOF
nodata._domainkey	IN A	192.0.2.1
spf._domainkey	IN TXT	"v=spf1 -all"
rev._domainkey	IN TXT	"v=DKIM1; k=rsa; p="
bad._domainkey	IN TXT	"v=DKIM1; k=rsa; p=bm90IGEga2V5"
unk._domainkey	IN TXT	"v=DKIM1; k=dsa; p=$edp"
edrsa._domainkey	IN TXT	"v=DKIM1; k=ed25519; p=$edp"
two._domainkey	IN TXT	$(qs "v=DKIM1; k=rsa; p=$rsap")
nov._domainkey	IN TXT	$(qs "k=rsa; p=$rsap")
EOF
	cat "$T/rsa.zone" "$T/ed.zone"
	"$MX_SRCDIR/t/data/arc-zone" other._domainkey.$D="$T/other.pem" \
	    two._domainkey.$D="$T/other.pem" short._domainkey.$D="$T/short.pem"
} >"$T/z"

# verdict SELECTOR KEY: "rc status" of --check-key, DNS options after.
verdict() {
	_s=$1 _k=$2
	shift 2
	run arc-verify --check-key -d "$D" -s "$_s" -k "$_k" "$@"
	echo "$rc $(field key_status)"
}
Z="--dns-zone $T/z"
R=$T/k/rsa.key
# shellcheck disable=SC2086
{
is "$(verdict s1 "$R" $Z)" "0 match" "--check-key: the record of the key: match, 0"
is "$(field key_reason)" "" "  no reason given"
is "$(verdict ed "$T/k/ed.key" $Z)" "0 match" "  an Ed25519 key and its record: match"
is "$(verdict nov "$R" $Z)" "0 match" "  a record without v=: match"
is "$(verdict other "$R" $Z)" "1 mismatch" "  another key's record: mismatch, 1"
like "$(field key_reason)" "another key" "  saying it holds another key"
is "$(verdict edrsa "$R" $Z)" "1 mismatch" "  an Ed25519 record for an RSA key: mismatch"
is "$(verdict two "$R" $Z)" "1 mismatch" "  two records, one of another key: mismatch"
is "$(verdict gone "$R" $Z)" "1 missing" "  no such name: missing"
is "$(verdict nodata "$R" $Z)" "1 missing" "  a name without TXT: missing"
is "$(verdict spf "$R" $Z)" "1 missing" "  only a TXT record that is no key record: missing"
is "$(verdict rev "$R" $Z)" "1 revoked" "  an empty p=: revoked"
is "$(verdict short "$R" $Z)" "1 short" "  a 512-bit RSA record: short"
is "$(verdict bad "$R" $Z)" "1 bad" "  a p= that is no key: bad"
is "$(verdict unk "$R" $Z)" "1 bad" "  an unknown k=: bad"
}
run arc-verify --check-key -d "$D" -s other -k "$R" --dns-zone "$T/z" --json
is "$(printf '%s' "$out" | $PY -c 'import json, sys
o = json.load(sys.stdin)
print(o["key_status"], o["key_reason"] != "")')" "mismatch True" \
    "  --json: one object with key_status and key_reason"

port=$(dead_udp_port)
start=$(date +%s)
run arc-verify --check-key -d "$D" -s s1 -k "$R" --timeout 1 \
    --resolver "127.0.0.1@$port"
end=$(date +%s)
is "$rc:$out" 75: "--check-key, the resolver silent: exit 75, nothing on stdout"
one_line_error arc-verify "  one line on stderr"
ok "  given up within the timeout ($((end - start)) s)" \
    test $((end - start)) -le 3

printf 'not a key\n' >"$T/junk.pem"
chmod 600 "$T/junk.pem"
cp "$R" "$T/open.pem"
chmod 644 "$T/open.pem"
for k in "$T/none.pem" "$T/fifo" "$T/junk.pem" "$T/open.pem" "$T/short.pem" \
    "$T/enc-p8-rsa.pem"; do
	run timeout 5 arc-verify --check-key -d "$D" -s s1 -k "$k" --dns-zone "$T/z"
	is "$rc:$out" 66: "--check-key -k $(basename "$k"): exit 66"
	one_line_error arc-verify "  one line on stderr"
done
run arc-verify --check-key -d "$D" -s s1 --dns-zone "$T/z"
is "$rc" 64 "--check-key without -k: exit 64"
run arc-verify --check-key -d "$D" -s s1 -k "$R" --dns-zone "$T/z" "$T/m"
is "$rc" 64 "--check-key with a message: exit 64"
run arc-verify --check-key -d "$D" -s 's 1' -k "$R" --dns-zone "$T/z"
is "$rc" 64 "--check-key with a bad selector: exit 64"
run arc-verify -d "$D" --dns-zone "$T/z" "$T/sealed"
is "$rc" 64 "-d without --check-key: exit 64"
run arc-sign -d "$D" -s s1 -k "$T/junk.pem" "$T/m"
is "$rc:$out" 66: "arc-sign: a key file that holds no key: exit 66"

# --- The key examples of the man pages and README, as printed ----------
# console FILE: a display of commands ("$ " lines) and what they print:
# the commands, prompt taken off, to $T/cmd, the output to $T/want.
console() {
	sed -n 's/^\$ //p' "$1" >"$T/cmd"
	grep -v '^\$ ' "$1" >"$T/want"
}
mkdir "$T/doc" "$T/readme"
block man/arc-sign.1 newkey >"$T/doc/newkey.sh"
(cd "$T/doc" && sh -e newkey.sh)
is "$?" 0 "arc-sign(1) EXAMPLES, newkey: runs"
ok "  it makes arc.key and arc.zone" test -s "$T/doc/arc.key" -a -s "$T/doc/arc.zone"
block man/arc-verify.1 check-key >"$T/doc/check-key.txt"
console "$T/doc/check-key.txt"
(cd "$T/doc" && sh "$T/cmd") >"$T/got"
is "$?" 0 "arc-verify(1) EXAMPLES, check-key: exit 0 for that key and line"
same "$T/got" "$T/want" "  the output printed"
block README.md arc-newkey >"$T/readme/arc-newkey.sh"
(cd "$T/readme" && sh -e arc-newkey.sh) >"$T/got"
is "$?:$(cat "$T/got")" "0:key_status=match
key_reason=''" "README arc-newkey: the key made and checked against its line"

# The rollover of arc-sign(1), step by step, against knot on port 53 as
# the system's resolver (/etc/resolv.conf), in private network and mount
# namespaces: the commands run as printed, /etc/exim4/ being $T/etc/.
if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null ||
    ! unshare -nm true 2>/dev/null || [ -z "$have_knot" ]; then
	skip 6 "no knot, or no private namespaces here (unshare -nm, as root)"
else
	mkdir "$T/etc"
	sub="s|/etc/exim4/|$T/etc/|g"
	arc-sign --new-key "$T/etc/arc2026.key" -d example.org -s arc2026 \
	    >"$T/old.line"
	{
		zone_head example.org
		cat "$T/old.line"
	} >"$T/roll.zone"
	block man/arc-sign.1 rollover-new | sed "$sub" >"$T/roll-new.sh"
	block man/arc-sign.1 rollover-check | sed "$sub" >"$T/roll-check.txt"
	console "$T/roll-check.txt"
	mv "$T/cmd" "$T/cmd-new"
	mv "$T/want" "$T/want-new"
	block man/arc-sign.1 rollover-revoke >"$T/revoke.line"
	block man/arc-sign.1 rollover-retired | sed "$sub" >"$T/roll-old.txt"
	console "$T/roll-old.txt"
	echo "nameserver 127.0.0.1" >"$T/resolv.conf"
	cat >"$T/roll.sh" <<'EOF'
O=$1
ip link set lo up && mount --bind "$O/resolv.conf" /etc/resolv.conf ||
    exit 77
. "$MX_SRCDIR/t/lib.sh"
. "$MX_SRCDIR/t/knot.sh"
# The new key; the line it prints is published.
sh -e "$O/roll-new.sh" >>"$O/roll.zone" || exit 2
knot_start "$O/roll.zone" example.org. 53 >&2 || exit 3
sh "$O/cmd-new" >"$O/got-new"
echo $? >"$O/rc-new"
# The switch: a seal with the new key validates through the same DNS.
arc-sign -d example.org -s arc2027 -k "$O/etc/arc2027.key" \
    --authserv-id mx.keys.test "$O/m" >"$O/sealed" &&
    arc-verify "$O/sealed" >"$O/verify-new"
# The old record retired: the revoking line in its place, a new serial.
{ sed '/^arc2026\._domainkey/d; s/ 1 3600 600/ 2 3600 600/' "$O/roll.zone"
  cat "$O/revoke.line"; } >"$O/z2"
cat "$O/z2" >"$O/roll.zone"
knot_ctl zone-reload example.org >/dev/null
i=0
until "$KDIG" @127.0.0.1 +short TXT arc2026._domainkey.example.org |
    grep -q 'p="$' || [ $i -ge 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
sh "$O/cmd" >"$O/got-old"
echo $? >"$O/rc-old"
EOF
	run unshare -nm sh "$T/roll.sh" "$T"
	is "$rc" 0 "rollover: knot on 127.0.0.1@53 as the system's resolver"
	[ "$rc" = 0 ] || diag "$err"
	is "$(cat "$T/rc-new" 2>/dev/null)" 0 \
	    "rollover-new, then rollover-check: exit 0"
	same "$T/got-new" "$T/want-new" "  and the output printed"
	like "$(cat "$T/verify-new" 2>/dev/null)" '^arc_state=pass' \
	    "  after the switch, a seal with the new key validates"
	is "$(cat "$T/rc-old" 2>/dev/null)" 1 \
	    "rollover-revoke published, rollover-retired: exit 1"
	same "$T/got-old" "$T/want" "  and the output printed"
fi

# --- The records as served by knot, and opendkim-testkey beside us ------
if [ -z "$have_knot" ]; then
	skip 19 "knot not installed (knot, knot-dnsutils)"
	done_testing
fi
cp "$T/z" "$T/zk"
cat "$T/r1024.zone" >>"$T/zk"
ok "knot loads the zone with the lines --new-key printed" \
    knot_start "$T/zk" "$D." || done_testing
K=127.0.0.1@$KNOT_PORT
is "$(seal_verify "$R" s1 --resolver "$K")" pass \
    "  an RSA-2048 seal validates against knot"
is "$(seal_verify "$T/k/ed.key" ed --resolver "$K")" pass \
    "  an Ed25519 seal validates against knot"
is "$(seal_verify "$T/k/r1024.key" s1024 --resolver "$K")" pass \
    "  an RSA-1024 seal (its record in one string) too"
# shellcheck disable=SC2086
for c in "s1 0 match" "other 1 mismatch" "gone 1 missing" "rev 1 revoked" \
    "short 1 short"; do
	set -- $c
	is "$(verdict "$1" "$R" --resolver "$K")" "$2 $3" \
	    "--check-key through knot, selector $1: $3"
done

# opendkim-testkey asks through libunbound: a stub zone sends it to knot.
if command -v opendkim-testkey >/dev/null 2>&1; then
	cat >"$T/unbound.conf" <<EOF
server:
    do-not-query-localhost: no
    local-zone: "test." nodefault
stub-zone:
    name: "$D"
    stub-addr: 127.0.0.1@$KNOT_PORT
EOF
	printf 'ResolverConfiguration %s\n' "$T/unbound.conf" >"$T/od.conf"
	# Its words: key OK (0), keys do not match (65), record not found
	# or No key (69), Revoked key (69).
	for c in "s1 0 match key.OK" "other 1 mismatch keys.do.not.match" \
	    "gone 1 missing record.not.found" "nodata 1 missing No.key" \
	    "rev 1 revoked Revoked.key"; do
		set -- $c
		timeout 20 opendkim-testkey -x "$T/od.conf" -d "$D" -s "$1" \
		    -k "$R" -vvv >"$T/od" 2>&1
		odrc=$?
		ours=$(verdict "$1" "$R" --resolver "$K")
		if [ "$2" = 0 ]; then same_rc=$odrc; else same_rc=$((odrc != 0)); fi
		is "$ours:$same_rc" "$2 $3:$2" \
		    "selector $1: $3, and opendkim-testkey agrees (exit $odrc)"
		like "$(cat "$T/od")" "$4" "  it says: $(tail -n 1 "$T/od")"
	done
else
	skip 10 "opendkim-testkey not installed (opendkim-tools)"
fi

done_testing
