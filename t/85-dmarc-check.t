#!/bin/sh
# dmarc-check: every option and error path.  The DNS is a master file
# (--dns-zone), or a resolver that never answers for the temporary
# failures; DKIM signatures are dkimpy's.
. "${MX_SRCDIR:-.}/t/lib.sh"
need openssl

rsa_key "$T/sel.key" || skip_all "openssl cannot make keys"
{
	cat <<'EOF'
_dmarc.example.com. 300 IN TXT "v=DMARC1; p=reject; rua=mailto:agg@example.com; ruf=mailto:fail@example.com"
example.com. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.example.org. 300 IN TXT "v=DMARC1; p=quarantine; pct=0"
example.org. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
example.net. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
EOF
	"$MX_SRCDIR/t/data/arc-zone" sel._domainkey.example.com="$T/sel.key"
} >"$T/z"
Z="--dns-zone $T/z"

msg() {	# msg FROM: a message from that address
	printf '%s\n' "From: Alice <$1>" "To: bob@example.net" \
	    "Subject: lunch" "Message-ID: <1@x>" "" "Noon?"
}
msg alice@example.com >"$T/com.eml"
msg alice@example.org >"$T/org.eml"
msg alice@example.net >"$T/net.eml"
printf '%s\n' "From: a@example.com" "From: b@example.com" "" "x" >"$T/two.eml"
printf '%s\n' "From: undisclosed:;" "" "x" >"$T/group.eml"
printf '%s\n' "Subject: none" "" "x" >"$T/nofrom.eml"
# sign IN: IN with dkimpy's signature of example.com on top (dkimpy ends
# its lines in CRLF, the message's are LF).
sign() {
	$PY -c 'import dkim, sys
m = open(sys.argv[1], "rb").read()
k = open(sys.argv[2], "rb").read()
sys.stdout.buffer.write(dkim.sign(m, b"sel", b"example.com", k,
    include_headers=[b"from", b"to", b"subject"]) + m)' "$1" "$T/sel.key" |
	    tr -d '\r'
}
sign "$T/com.eml" >"$T/signed.eml" || skip_all "dkimpy cannot sign"
sed 's/^Noon?$/Noon!/' "$T/signed.eml" >"$T/tampered.eml"

val() {	# val NAME: the value of NAME in $out
	printf '%s\n' "$out" | sed -n "s/^$1=//p"
}

# --- usage errors: one line, 64 ----------------------------------------------
usage() {	# usage DESCRIPTION ARGS...
	_d=$1
	shift
	run dmarc-check "$@" "$T/com.eml"
	is "$rc" 64 "usage: $_d: 64"
	one_line_error dmarc-check "  one line"
	is "$out" "" "  nothing on stdout"
}
usage "an unknown --spf" --spf bogus
usage "--dkim without a colon" --dkim example.com
usage "--dkim with an unknown result" --dkim example.com:bogus
usage "--dkim with no domain" --dkim 'exa mple.com:pass'
usage "a typo in --accept" --spf pass --mail-from a@example.com \
    --accept acept
usage "an empty --accept" --spf pass --mail-from a@example.com --accept ''
usage "a bad --ip" --ip 192.0.2.300 --mail-from a@example.com
usage "SPF to compute, no --ip" --mail-from a@example.com
usage "SPF to compute, no --mail-from" --ip 192.0.2.1
usage "-H with --no-filename" --spf pass -H --no-filename
usage "an authserv-id that is no token" --spf pass --add-header 'mx x'
usage "a bad --authserv-id" --authserv-id 'a;b'
usage "--forensic - with --add-header" --spf pass --forensic - \
    --add-header mx
usage "--forensic-sender alone" --spf pass --forensic-sender a@b.example
usage "--job without --history" --spf pass --job q1
usage "--disable with --history" --spf pass --disable --history "$T/h"
usage "a negative --time" --spf pass --time -1
usage "a bad --timeout" --spf pass --timeout x
usage "--resolver with --dns-zone" --spf pass --resolver 127.0.0.1 $Z
usage "a bad --reporter" --spf pass --reporter 'a b'
i=0
set --
while [ "$i" -le 32 ]; do
	set -- "$@" --dkim "d$i.example:pass"
	i=$((i + 1))
done
usage "33 --dkim" --spf pass "$@"
run dmarc-check --spf pass --add-header mx $Z "$T/com.eml" "$T/org.eml"
is "$rc:$out" 64: "usage: --add-header with two files: 64, nothing out"
run dmarc-check --spf pass --forensic "$T/f" $Z "$T/com.eml" "$T/org.eml"
is "$rc" 64 "usage: --forensic with two files: 64"
run dmarc-check --spf pass --history "$T/h" --job q $Z "$T/com.eml" \
    "$T/org.eml"
is "$rc" 64 "usage: --job with two files: 64"

# --- given facts ---------------------------------------------------------------
run dmarc-check --spf pass --mail-from alice@example.com $Z "$T/com.eml"
is "$rc" 0 "--spf pass for the From domain: exit 0"
is "$(val dmarc_status):$(val dmarc_alignment_spf):$(val spf_used_domain)" \
    accept:yes:example.com "  accept, SPF aligned"
is "$(val dmarc_domain_policy):$(val dkim_verify_status)" reject:none \
    "  the policy, no signature"
run dmarc-check --spf fail --mail-from alice@example.com $Z "$T/com.eml"
is "$rc:$(val dmarc_status):$(val dmarc_status_text)" 1:reject:Reject \
    "--spf fail: reject, exit 1 with the default --accept"
run dmarc-check --spf fail --mail-from alice@example.com --accept reject \
    $Z "$T/com.eml"
is "$rc" 0 "--accept reject: exit 0"
run dmarc-check --spf fail --mail-from alice@example.com --accept '!reject' \
    $Z "$T/com.eml"
is "$rc" 1 "--accept !reject: exit 1"
run dmarc-check --spf pass --mail-from alice@other.example $Z "$T/com.eml"
is "$(val dmarc_status):$(val dmarc_alignment_spf)" reject:no \
    "--spf pass for another domain: not aligned, reject"
run dmarc-check --spf none --dkim example.com:pass $Z "$T/com.eml"
is "$rc:$(val dmarc_status):$(val dmarc_alignment_dkim)" 0:accept:yes \
    "--dkim example.com:pass: accept, DKIM aligned"
is "$(val dkim_verify_status):$(val dkim_domains)" pass:example.com \
    "  dkim_verify_status and dkim_domains"
run dmarc-check --spf none --dkim other.example:pass --dkim example.com:fail \
    $Z "$T/com.eml"
is "$(val dmarc_status):$(val dkim_verify_status):$(val dkim_domains)" \
    reject:pass:fail:other.example:example.com \
    "two --dkim, neither an aligned pass: reject, both listed in order"
run dmarc-check --spf none --dkim none $Z "$T/com.eml"
is "$(val dmarc_status):$(val dkim_verify_status)" reject:none \
    "--dkim none: no signature, and the message's are not verified"
run dmarc-check --spf fail --mail-from alice@example.net $Z "$T/net.eml"
is "$rc:$(val dmarc_status)" 0:norecord "no DMARC record: norecord, exit 0"
run dmarc-check --spf fail --mail-from a@example.org $Z "$T/org.eml"
is "$(val dmarc_status):$(val dmarc_domain_policy)" none:quarantine \
    "pct=0: quarantine sampled down to none"
run dmarc-check --spf fail --mail-from a@example.org --no-sampling $Z \
    "$T/org.eml"
is "$rc:$(val dmarc_status)" 1:quarantine "--no-sampling: quarantine"
run dmarc-check --spf fail --disable $Z "$T/com.eml"
is "$rc:$(val dmarc_status):$(val spf_result)" 0:off:fail \
    "--disable: off, exit 0, SPF still reported"

# Not accepted by default: a reader sees the first of several addresses,
# which may be a p=reject domain's beside the spoofer's own.
for f in two group nofrom; do
	run dmarc-check --spf pass $Z "$T/$f.eml"
	is "$rc:$(val dmarc_status):$(val dmarc_used_domain)" "1:nofrom:''" \
	    "$f.eml: nofrom, exit 1 by default"
	one_line_error dmarc-check "  a one-line warning"
done
run dmarc-check --spf pass --accept accept:nofrom $Z "$T/two.eml"
is "$rc" 0 "nofrom in --accept accept:nofrom: exit 0"
run dmarc-check --spf pass --accept accept $Z "$T/two.eml"
is "$rc" 1 "nofrom is not in --accept accept: exit 1"

# --- SPF and DKIM computed ---------------------------------------------------
run dmarc-check --ip 192.0.2.7 --mail-from alice@example.com $Z "$T/com.eml"
is "$rc:$(val spf_result):$(val dmarc_status)" 0:pass:accept \
    "SPF computed: pass, accept"
run dmarc-check --ip 198.51.100.7 --mail-from alice@example.com $Z \
    "$T/com.eml"
is "$rc:$(val spf_result):$(val dmarc_status)" 1:fail:reject \
    "SPF computed: fail, reject"
like "$(val spf_smtp_comment)" . "  with an explanation"
run dmarc-check --ip 192.0.2.7 --mail-from '<alice@example.com>' $Z \
    "$T/com.eml"
is "$(val spf_result):$(val spf_used_domain):$(val dmarc_status)" \
    pass:example.com:accept "--mail-from in angle brackets"
run dmarc-check --ip 192.0.2.7 --mail-from '<>' --helo example.com \
    --add-header mx $Z "$T/com.eml"
is "$(sed -n 2p "$T/out")" "	spf=pass smtp.helo=example.com;" \
    "--mail-from '<>': the null sender, the HELO identity"
run dmarc-check --ip '' --mail-from alice@example.com $Z "$T/com.eml"
is "$(val spf_result):$(val dmarc_status)" none:reject \
    "--ip '': a local sender, SPF none"
run dmarc-check --ip 198.51.100.7 --mail-from alice@example.com $Z \
    "$T/signed.eml"
is "$rc:$(val dkim_verify_status):$(val dmarc_status)" 0:pass:accept \
    "DKIM verified: dkimpy's signature passes, accept"
run dmarc-check --ip 198.51.100.7 --mail-from alice@example.com $Z \
    "$T/tampered.eml"
is "$rc:$(val dkim_verify_status):$(val dmarc_status)" 1:fail:reject \
    "DKIM verified: a changed body fails, reject"
run dmarc-check --ip 198.51.100.7 --mail-from alice@example.com $Z \
    --time 4102444800 "$T/signed.eml"
is "$(val dkim_verify_status)" pass "--time: a signature without x= passes"

# --- --authserv-id -----------------------------------------------------------
{ printf '%s\n' "Authentication-Results: mx.example.net;" \
    "	spf=pass smtp.mailfrom=alice@example.com;" \
    "	dkim=fail header.d=example.com header.s=sel"
  cat "$T/com.eml"; } >"$T/ours.eml"
run dmarc-check --authserv-id mx.example.net $Z "$T/ours.eml"
is "$rc:$(val dmarc_status):$(val spf_result):$(val dkim_verify_status)" \
    0:accept:pass:fail "--authserv-id: SPF and DKIM from our field"
run dmarc-check --authserv-id MX.Example.NET $Z "$T/ours.eml"
is "$(val dmarc_status)" accept "  the authserv-id matched ignoring case"
run dmarc-check --authserv-id mx.example.org $Z "$T/ours.eml"
is "$rc:$(val dmarc_status):$(val spf_result)" 1:reject:none \
    "  another authserv-id's field is never read: none, reject"
run dmarc-check --authserv-id mx.example.net --spf fail $Z "$T/ours.eml"
is "$(val spf_result):$(val dkim_verify_status)" fail:fail \
    "  --spf wins over the field, DKIM still from it"
{ printf '%s\n' "Authentication-Results: mx.example.net; spf=pass" \
    "	smtp.helo=example.com"
  cat "$T/com.eml"; } >"$T/helo.eml"
run dmarc-check --authserv-id mx.example.net $Z "$T/helo.eml"
is "$(val spf_used_domain):$(val dmarc_status)" example.com:accept \
    "  smtp.helo: the HELO identity"

# --- filter mode -------------------------------------------------------------
run dmarc-check --ip 198.51.100.7 --mail-from alice@example.com \
    --add-header mx.example.net $Z "$T/com.eml"
is "$rc" 0 "--add-header: a reject verdict, exit 0"
is "$(sed -n 1,4p "$T/out")" "Authentication-Results: mx.example.net;
	spf=fail smtp.mailfrom=alice@example.com;
	dkim=none;
	dmarc=fail (p=reject dis=reject) header.from=example.com" \
    "  the field"
sed 1,4d "$T/out" >"$T/below"
same "$T/below" "$T/com.eml" "  the message below it unchanged"
run dmarc-check --ip 198.51.100.7 --mail-from alice@example.com \
    --add-header mx.example.net $Z "$T/signed.eml"
like "$(sed -n 3p "$T/out")" \
    "^	dkim=pass header.d=example.com header.s=sel header.b=[^ ;]+;\$" \
    "  a signature: header.d, header.s, header.b"
run dmarc-check --spf pass --mail-from alice@example.com --arc \
    --add-header mx.example.net $Z "$T/com.eml"
is "$(sed -n 3,5p "$T/out")" "	dkim=none;
	dmarc=pass (p=reject dis=none) header.from=example.com;
	arc=none" "  a pass, and arc= with --arc"
run dmarc-check --spf pass --add-header mx.example.net $Z "$T/two.eml"
is "$rc:$(sed -n 4p "$T/out")" \
    "0:	dmarc=permerror (several From fields)" \
    "  nofrom: permerror, the reason"
run dmarc-check --spf pass --disable --add-header mx.example.net $Z \
    "$T/com.eml"
is "$(sed -n 3,4p "$T/out")" "	dkim=none
From: Alice <alice@example.com>" "  --disable: no dmarc="
sed 's/$/\r/' "$T/com.eml" >"$T/crlf.eml"
run dmarc-check --spf pass --mail-from alice@example.com \
    --add-header mx.example.net $Z "$T/crlf.eml"
is "$(head -n 4 "$T/out" | grep -c "$(printf '\r')\$")" 4 \
    "  a CRLF message gets CRLF in the field"
run dmarc-check --spf pass --mail-from '' --helo mail.example.com \
    --add-header mx.example.net $Z "$T/com.eml"
is "$(sed -n 2p "$T/out")" "	spf=pass smtp.helo=mail.example.com;" \
    "  the null sender: smtp.helo"
run dmarc-check --spf pass --mail-from '"a b"@example.com' \
    --add-header mx.example.net $Z "$T/com.eml"
is "$(sed -n 2p "$T/out")" '	spf=pass smtp.mailfrom="\"a b\"@example.com";' \
    "  a quoted local part: a quoted-string"

# --- DNS failures: temperror, 75 ---------------------------------------------
dead=$(dead_udp_port)
D="--resolver 127.0.0.1@$dead --timeout 1"
run dmarc-check --spf pass --mail-from alice@example.com $D "$T/com.eml"
is "$rc:$(val dmarc_status)" 75:temperror \
    "no DNS answer: temperror, exit 75"
one_line_error dmarc-check "  one line"
run dmarc-check --spf pass --mail-from alice@example.com --accept '*' $D \
    "$T/com.eml"
is "$rc" 75 "  75 whatever --accept says"
run dmarc-check --spf pass --mail-from alice@example.com \
    --add-header mx.example.net $D "$T/com.eml"
is "$rc:$(wc -c <"$T/out" | tr -d ' ')" 75:0 \
    "  in filter mode: 75, nothing written"
run dmarc-check --spf pass --dkim example.com:pass --disable $D "$T/com.eml"
is "$rc:$(val dmarc_status)" 0:off "  --disable asks nothing: off, exit 0"

# --- input -------------------------------------------------------------------
run dmarc-check --spf pass --mail-from alice@example.com $Z <"$T/com.eml"
is "$rc:$(val dmarc_status)" 0:accept "standard input"
run dmarc-check --spf pass --mail-from alice@example.com $Z - <"$T/com.eml"
is "$rc:$(val dmarc_status)" 0:accept "  and '-'"
run dmarc-check --spf pass --mail-from alice@example.com $Z "$T/com.eml" \
    "$T/net.eml"
is "$(printf '%s\n' "$out" | grep -c "^$T/com.eml: ")" 12 \
    "two files: each line with its file name"
like "$out" "$T/net.eml: dmarc_status=norecord" "  the second file's verdict"
run dmarc-check --spf pass --mail-from alice@example.com -H $Z "$T/com.eml"
is "$(printf '%s\n' "$out" | sed -n 1p)" "$T/com.eml: dmarc_status=accept" \
    "-H: the name for one file"
run dmarc-check --spf pass --mail-from alice@example.com -H $Z <"$T/com.eml"
is "$(printf '%s\n' "$out" | sed -n 1p)" "stdin: dmarc_status=accept" \
    "  stdin"
run dmarc-check --spf pass --mail-from alice@example.com --no-filename $Z \
    "$T/com.eml" "$T/net.eml"
is "$(printf '%s\n' "$out" | sed -n 1p)" "dmarc_status=accept" \
    "--no-filename: no names"
run dmarc-check --spf fail --mail-from alice@example.com $Z "$T/net.eml" \
    "$T/com.eml"
is "$rc" 1 "two files: the worst status"
run dmarc-check --spf pass --mail-from alice@example.com --json $Z \
    "$T/com.eml" "$T/net.eml"
is "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 2 "--json: one object each"
like "$(printf '%s\n' "$out" | sed -n 1p)" \
    "^\\{\"file\":\"$T/com.eml\",\"dmarc_status\":\"accept\",.*,\"dkim\":\\[\\]\\}\$" \
    "  with the file first, dkim an array"
run dmarc-check --ip 198.51.100.7 --mail-from alice@example.com --json $Z \
    "$T/signed.eml"
like "$out" '"dkim":\[\{"domain":"example.com","selector":"sel","status":"pass",' \
    "  a signature as an object"
run dmarc-check --spf pass $Z "$T/missing.eml"
is "$rc" 66 "a missing file: 66"
one_line_error dmarc-check "  one line"
run dmarc-check --spf pass $Z "$T"
is "$rc" 66 "a directory: 66"
run dmarc-check --spf pass --add-header mx $Z "$T/missing.eml"
is "$rc" 66 "  in filter mode: 66 too (a file named)"
run dmarc-check --spf pass --dns-zone "$T/nozone" "$T/com.eml"
is "$rc" 66 "a missing zone file: 66"
run dmarc-check --spf pass --tld-file "$T/nopsl" $Z "$T/com.eml"
is "$rc" 66 "a missing --tld-file: 66"
one_line_error dmarc-check "  one line"
run dmarc-check --spf pass --tld-file "$T/nopsl" --add-header mx $Z \
    "$T/com.eml"
is "$rc:$(wc -c <"$T/out" | tr -d ' ')" 75:0 \
    "  in filter mode: 75 (not the message's fault), nothing written"
printf '%s\n' com >"$T/psl"
run dmarc-check --spf pass --mail-from alice@example.com --tld-file "$T/psl" \
    $Z "$T/com.eml"
is "$rc:$(val dmarc_status)" 0:accept "--tld-file: a list of one rule"
run closed_pipe dmarc-check --spf pass --mail-from a@example.com $Z \
    "$T/com.eml"
is "$rc" 74 "stdout closed: 74"
run closed_pipe dmarc-check --spf pass --add-header mx $Z "$T/com.eml"
is "$rc" 75 "  in filter mode: 75"

# --- --history ---------------------------------------------------------------
run dmarc-check --ip 198.51.100.7 --mail-from alice@example.com \
    --history "$T/hist" --job q1 --reporter mx.example.net $Z "$T/com.eml"
is "$rc:$(val dmarc_status)" 1:reject "--history: the verdict as ever"
like "$(cat "$T/hist")" "^job q1\$" "  a record, job q1"
like "$(cat "$T/hist")" "^reporter mx.example.net\$" "  --reporter"
like "$(cat "$T/hist")" "^from example.com\$" "  the From domain"
run dmarc-check --spf pass --ip 192.0.2.7 --mail-from alice@example.com \
    --history "$T/hist" $Z "$T/net.eml"
is "$(grep -c '^job ' "$T/hist")" 1 "  no DMARC record, no history record"
run dmarc-check --spf pass --ip 192.0.2.7 --mail-from alice@example.com \
    --history "$T/hist" $Z "$T/com.eml" "$T/org.eml"
is "$(grep -c '^job ' "$T/hist")" 3 "  a batch: one record per message"
is "$(grep '^job ' "$T/hist" | sort -u | wc -l | tr -d ' ')" 3 \
    "  each with its own job id"
mkdir "$T/hdir"
run dmarc-check --spf pass --ip 192.0.2.7 --mail-from alice@example.com \
    --history "$T/hdir" $Z "$T/com.eml"
is "$rc:$out" 75: "  a history that cannot be appended to: 75, no verdict"
one_line_error dmarc-check "  one line"
run dmarc-check --spf pass --ip 192.0.2.7 --mail-from alice@example.com \
    --history "$T/hdir" --add-header mx $Z "$T/com.eml"
is "$rc:$(wc -c <"$T/out" | tr -d ' ')" 75:0 \
    "  in filter mode: 75, nothing written"

# --- --forensic --------------------------------------------------------------
run dmarc-check --ip 198.51.100.7 --mail-from alice@example.com \
    --forensic "$T/rep" --forensic-sender dmarc@example.net $Z "$T/com.eml"
is "$rc:$(val dmarc_status)" 1:reject "--forensic: the verdict as ever"
like "$(cat "$T/rep")" "^To: .*fail@example.com" "  a report to ruf="
like "$(cat "$T/rep")" "^From: .*dmarc@example.net" "  from --forensic-sender"
like "$(cat "$T/rep")" "^Auth-Failure: dmarc" "  an ARF auth-failure report"
run dmarc-check --ip 192.0.2.7 --mail-from alice@example.com \
    --forensic "$T/rep" $Z "$T/com.eml"
ok "  a pass: no report, the old file removed" test ! -e "$T/rep"
run dmarc-check --ip 198.51.100.7 --mail-from alice@example.com \
    --forensic - $Z "$T/com.eml"
is "$rc" 1 "--forensic -: exit status as ever"
like "$out" "Auth-Failure: dmarc" "  the report on stdout"
is "$(printf '%s\n' "$out" | grep -c '^dmarc_status=')" 0 \
    "  instead of the verdict"
run dmarc-check --ip 198.51.100.7 --mail-from alice@example.com \
    --forensic "$T/nodir/rep" $Z "$T/com.eml"
is "$rc" 73 "  a report that cannot be written: 73"
run dmarc-check --ip 198.51.100.7 --mail-from alice@example.com \
    --forensic "$T/nodir/rep" --add-header mx $Z "$T/com.eml"
is "$rc:$(wc -c <"$T/out" | tr -d ' ')" 75:0 \
    "  in filter mode: 75, nothing written"
mkfifo "$T/fifo"
ln -s /dev/null "$T/null"
for f in fifo null; do
	run dmarc-check --ip 192.0.2.7 --mail-from alice@example.com \
	    --forensic "$T/$f" $Z "$T/com.eml"
	is "$rc:$err" \
	    "73:dmarc-check: cannot write '$T/$f': not a regular file" \
	    "  --forensic $f (not a regular file): 73, one line, no verdict"
	ok "  and $f left as it was" test ! -f "$T/$f" -a -e "$T/$f"
done
run dmarc-check --ip 198.51.100.7 --mail-from alice@example.com \
    --forensic "$T/fifo" --add-header mx $Z "$T/com.eml"
is "$rc:$(wc -c <"$T/out" | tr -d ' ')" 75:0 \
    "  a FIFO in filter mode: 75, nothing written"

# --- --arc -------------------------------------------------------------------
run dmarc-check --spf pass --mail-from alice@example.com --arc $Z "$T/com.eml"
is "$(val arc_state)" none "--arc: arc_state none without a chain"
arc-sign -d example.com -s sel -k "$T/sel.key" --authserv-id example.com \
    $Z "$T/ours.eml" >/dev/null 2>&1
{ printf '%s\n' "Authentication-Results: example.com; spf=pass"
  cat "$T/com.eml"; } >"$T/tos"
arc-sign -d example.com -s sel -k "$T/sel.key" $Z "$T/tos" >"$T/sealed.eml"
run dmarc-check --spf fail --mail-from alice@example.com --arc \
    --accept '*' $Z "$T/sealed.eml"
is "$rc:$(val arc_state):$(val dmarc_status)" 0:pass:reject \
    "  a chain that holds: arc_state pass, the verdict unchanged"
run dmarc-check --spf fail --mail-from alice@example.com --arc $D \
    --disable "$T/sealed.eml"
is "$rc" 75 "  a key of the chain that cannot be fetched: 75"

# --- -v ----------------------------------------------------------------------
run dmarc-check -v --spf pass --mail-from alice@example.com $Z "$T/com.eml"
like "$err" "^dmarc-check: .*dmarc=accept" "-v: the verdict on stderr"
done_testing
