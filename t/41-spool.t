#!/bin/sh
# common/spool.c: message ids, the -H parser, the -D first line and the
# exim -bP reader.  The real -H files of ../shared/fixtures/exim-spool and
# ones Exim 4.96 writes here in every form it can (frozen, partly
# delivered, ACL variables with newlines, long ones, DSN, many recipients,
# a header marked '*', tainted values, wire format) are parsed, and each
# field compared with what Exim itself reads from the same file (exim -bp,
# exim -Mset ID -be); damaged copies of them must be refused, each with a
# one-line reason.
. "$MX_SRCDIR/t/lib.sh"
. "$MX_SRCDIR/t/exim-spool.sh"

SP=$MX_BUILDDIR/t/unit/spool-parse
FIX=$MX_SHARED/fixtures/exim-spool
[ -f "$FIX/1xVXF3-0002Lv-1w-H" ] || skip_all "no fixtures in '$FIX'"

# -- message ids -------------------------------------------------------------
for s in 1xVXF3-0002Lv-1w:16 1xVXF3-00000002Lv1-001w:23 \
    1xVXF3-0002Lv-1:0 1xVXF3-0002Lv-1wx:0 1xVXF3_0002Lv-1w:0 \
    1xVXF30-002Lv-1w:0 1xVXF3-0002Lv-1_:0 1xVXF3-0000002Lv1-0001w:0 \
    1xVXF3-00000002Lv1001-w:0 :0; do
	run "$SP" --id-len "${s%:*}"
	is "$out" "${s##*:}" "spool_id_len '${s%:*}' is ${s##*:}"
done

# -- the fixtures, field by field -------------------------------------------
run "$SP" "$FIX/1xVXF3-0002Lv-1w-H"
is "$rc" 0 "local fixture parsed"
eval "$out"
is "$login:$uid:$gid:$sender:$received:$warnings" \
    "root:0:0:alice@test.example:1795452609:0" "local: envelope"
is "$acls:$acl1_name:$acl1_value" "1:m_demo:hello world" "local: ACL variable"
is "$rcpts:$rcpt1:$rcpt2:$nonrcpts" "2:bob@example.org:carol@example.net:0" \
    "local: recipients"
is "$hdrs:$hdr1_flag$hdr2_flag$hdr3_flag$hdr4_flag$hdr5_flag$hdr6_flag" \
    "6:PFT I " "local: header flags"
is "$hdr1_name:$hdr1_len:$hdr6_name:$hdr6_len" "Received:152:Date:38" \
    "local: header names and lengths"
is "$opts:$opt10_name:$opt10_value:$opt7_name:${opt7_value-none}" \
    "10:tls_resumption:A:allow_unqualified_recipient:none" "local: options"

run "$SP" "$FIX/1xVXFM-0002aE-0p-H"
eval "$out"
is "$opt3_name:$opt3_value:$opt3_tainted:$opt4_value:${opt7_tainted-0}" \
    "helo_name:client.example:1:[192.0.2.7]:40123:0" \
    "smtp: tainted options are marked, the others not"
is "$acl1_name:$acl1_value" "c_conn:1" "smtp: connection ACL variable"

run "$SP" "$FIX/1xVXGt-0003em-2G-H"
eval "$out"
is "$rcpt1:$rcpt1_orcpt:$rcpt1_dsn:$rcpt1_errors_to:$rcpt1_pno" \
    "bob@example.org:rfc822;bob@example.org:12::-1" "dsn: the #3 form"
is "$rcpt2:${rcpt2_dsn-none}" "eve@example.org:none" "dsn: a plain one"
is "$opt11_name=$opt11_value $opt12_name=$opt12_value" \
    "dsn_envid=abc123 dsn_ret=2" "dsn: ENVID and RET kept as options"
run "$SP" --json "$FIX/1xVXGt-0003em-2G-H"
is "$(printf '%s' "$out" | $PY -c '
import json, sys
j = json.load(sys.stdin)
r = j["recipients"]
print(j["id"], j["sender"], r[0]["orcpt"], ",".join(r[0]["notify"]),
    "notify" in r[1], j["acl"]["c_conn"], j["options"]["deliver_firsttime"],
    j["headers"][1]["name"], repr(j["headers"][1]["flag"]))')" \
    "1xVXGt-0003em-2G dave@remote.example rfc822;bob@example.org success,failure False 1 True Subject ' '" \
    "dsn: --json"

# json_valid FILE...: each FILE that parses (as the -H of the id its first
# line names, else of $L, as the fuzz harness takes it) printed with --json
# and loaded by Python's json.loads; "PARSED REFUSED", or the first file
# whose record is no JSON object.
json_valid() {
	/usr/bin/python3 - "$SP" "$L" "$@" <<'PYEOF'
import json, re, subprocess, sys
sp, dflt = sys.argv[1], sys.argv[2]
good = bad = 0
for f in sys.argv[3:]:
    head = open(f, "rb").read(26)
    m = re.match(rb"([0-9A-Za-z]{6}-(?:[0-9A-Za-z]{6}-[0-9A-Za-z]{2}|"
                 rb"[0-9A-Za-z]{11}-[0-9A-Za-z]{4}))-H", head)
    id = m.group(1).decode() if m else dflt
    r = subprocess.run([sp, "--json", "--id", id, f], capture_output=True)
    if r.returncode != 0:
        bad += 1
        continue
    try:
        j = json.loads(r.stdout)
        assert isinstance(j, dict) and j["id"] == id
    except Exception as e:
        print("%s: %s" % (f, e))
        sys.exit(0)
    good += 1
print(good, bad)
PYEOF
}
CORPUS=$MX_SRCDIR/t/fuzz/corpus/spool_h
# shellcheck disable=SC2046
set -- $(json_valid "$CORPUS"/* "$FIX"/*-H)
[ "$#" -eq 2 ] && [ "$1" -ge 3 ] && [ "$2" -ge 1 ]
_result $? "--json of each of the $1 corpus and fixture -H read is JSON"
[ "$#" -eq 2 ] || diag "$*"

# -- damage ------------------------------------------------------------------
# Every proper prefix, each parsed from a buffer of its own size: refused
# with a one-line reason, except where the file ends right after a header
# (the format has no count of headers: that is a -H with fewer).
for f in "$FIX"/*-H; do
	id=$(basename "$f" -H)
	eval "$("$SP" "$f" | grep -E '^(hdrs|hdr[0-9]+_len)=')"
	size=$(wc -c <"$f")
	want= i=$hdrs at=$size
	while [ "$i" -gt 0 ]; do
		eval "l=\$hdr${i}_len"
		d=${#l}
		[ "$d" -lt 3 ] && d=3
		at=$((at - l - d - 2))
		want="ok $at
$want"
		i=$((i - 1))
	done
	run "$SP" --prefixes "$f"
	is "$out" "$(printf '%s' "$want")" \
	    "$id: each of its $size prefixes refused with a one-line reason but at a header's end"
done

# damage FILE SED-SCRIPT: the fixture FILE changed by sed into $T/ID-H.
damage() {
	sed "$2" "$FIX/$1-H" >"$T/$1-H"
}
# refused ID WHY DESCRIPTION: $T/ID-H refused with 65 and a one-line
# reason matching WHY.
refused() {
	run "$SP" "$T/$1-H"
	if [ "$rc" -eq 65 ] && printf '%s' "$err" | grep -q -- "$2"; then
		one_line_error spool-parse "$3"
	else
		_result 1 "$3"
		diag "exit $rc, stderr '$err'"
	fi
}
L=1xVXF3-0002Lv-1w
S=1xVXFM-0002aE-0p
D=1xVXGt-0003em-2G

damage $L 's/^-aclm _demo 11$/-aclm _demo 10/'
refused $L "line 9: ACL variable's length does not end" "ACL length one short"
damage $L 's/^-aclm _demo 11$/-aclm _demo 12/'
refused $L "line 9: ACL variable's length does not end" "ACL length one long"
damage $L 's/^-aclm _demo 11$/-aclm _demo 999/'
refused $L "runs past the end" "ACL length past the end"
damage $L 's/^-aclm _demo 11$/-aclm _de-mo 11/'
refused $L "name is not Exim's" "ACL name Exim cannot set"
damage $L 's/^020T To:/019T To:/'
refused $L "header 3: length does not end at a newline" "header length one short"
damage $L 's/^020T To:/021T To:/'
refused $L "header 3: length does not end at a newline" "header length one long"
damage $L 's/^038  Date/039  Date/'
refused $L "header 6: length runs past the end" "last header's length one long"
damage $L 's/^020  Subject/020   ubject/'
refused $L "header 4: starts with a blank" "a header text Exim would read past its blank"
damage $L 's/^020T To:/20T To:/'
refused $L "header 3: malformed length" "header length of 2 digits"
damage $L 's/^020T To:/020X To:/'
refused $L "header 3: malformed flag" "unknown header flag"
damage $L 's/^020T To:/020TTo:/'
refused $L "header 3: malformed flag" "no blank after the flag"
head -c 605 "$FIX/$L-H" >"$T/$L-H"
printf '\000' >>"$T/$L-H"
tail -c +607 "$FIX/$L-H" >>"$T/$L-H"
refused $L "header 4: a NUL byte" "a NUL in a header"
cp "$T/$L-H" "$T/nul-H"
damage $L '/^$/d'
refused $L "line 21: no blank line before the headers" "no blank line"
damage $L 's/^2$/16385/'
refused $L "line 18: recipient count over 16384" "recipient count over 16384"
damage $L 's/^2$/99999999999999999999/'
refused $L "line 18: recipient count over 16384" "recipient count of 20 digits"
damage $L 's/^2$/2x/'
refused $L "line 18: recipient count is not a number" "recipient count 2x"
damage $L 's/^2$/-1/'
refused $L "line 18: recipient count is not a number" "recipient count -1"
damage $L 's/^2$/3/'
refused $L "line 21: malformed recipient" "one recipient too many counted"
damage $L 's/^2$/1/'
refused $L "line 20: no blank line" "one recipient too few counted"
damage $L 's/^XX$/XY bob@example.org/'
refused $L "line 17: not a non-recipients tree line" "tree line XY"
damage $L 's/^XX$/NN /'
refused $L "line 17: not a non-recipients tree line" "tree line without an address"
damage $L 's/^XX$/YN bob@example.org/'
refused $L "line 18: not a non-recipients tree line" "tree node without its left subtree"
damage $L 's/^XX$/NY bob@example.org\nNN carol@example.net/'
run "$SP" "$T/$L-H"
eval "$out"
is "$rc:$nonrcpts:$nonrcpt1:$nonrcpt2" "0:2:bob@example.org:carol@example.net" \
    "a two-node tree read"
damage $L '1s/.*/1xVXF3-0002Lv-1x-H/'
refused $L "line 1: not '$L-H'" "another id's first line"
damage $L '1s/.*/1xVXF3-0002Lv-1w-D/'
refused $L "line 1: not '$L-H'" "a -D's first line"
damage $L '2s/.*/root 0/'
refused $L "line 2: not 'LOGIN UID GID'" "login line without a gid"
damage $L '2s/.*/root 0 0 /'
refused $L "line 2: not 'LOGIN UID GID'" "login line with a trailing blank"
damage $L '2s/.*/a b -1 -2/'
run "$SP" "$T/$L-H"
eval "$out"
is "$rc:$login:$uid:$gid" "0:a b:-1:-2" "a login with a blank, negative ids"
damage $L '3s/.*/alice@test.example/'
refused $L "line 3: sender not within" "sender without <>"
damage $L '3s/.*/<>/'
run "$SP" "$T/$L-H"
eval "$out"
is "$rc:$sender" "0:" "the null sender"
damage $L '4s/.*/1795452609/'
refused $L "line 4: not 'TIME WARNINGS'" "time line without warnings"
damage $L 's/^-deliver_firsttime$/-frozen/'
refused $L "line 15: -frozen without its time" "-frozen without its time"
damage $L 's/^-deliver_firsttime$/-frozenx 5/'
refused $L "line 15: -frozen without its time" "-frozenx, which Exim reads as -frozen"
damage $L 's/^-deliver_firsttime$/-/'
refused $L "line 15: option without a name" "an option without a name"
damage $L 's/^-deliver_firsttime$/--(pgsql name x/'
refused $L "line 15: quoter without" "a quoter without its ')'"
damage $L 's/^-deliver_firsttime$/--(nonesuch)x_new a b/'
refused $L "line 15: quoter that is no lookup type" "a quoter Exim has no lookup for"
damage $L 's/^-deliver_firsttime$/--(pgsql)x_new a b/'
run "$SP" "$T/$L-H"
eval "$out"
is "$rc:$opt9_name:$opt9_value:$opt9_tainted:$opt9_quoter" \
    "0:x_new:a b:1:pgsql" "an unknown quoted option kept"
damage $L 's/^-deliver_firsttime$/-(nonesuch)x_new a b/'
refused $L "line 15: quoter that is no lookup type" \
    "an unknown quoter after one dash, as Exim refuses it"
damage $L 's/^-deliver_firsttime$/-(pgsql)x_new a b/'
run "$SP" "$T/$L-H"
eval "$out"
is "$rc:$opt9_name:$opt9_value:$opt9_quoter" "0:x_new:a b:pgsql" \
    "a known quoter after one dash read, as Exim reads it"

# From 2038 Exim 4.96 writes the time of an int, negative, and reads it.
damage $L '4s/.*/-2146372096 0/'
run "$SP" "$T/$L-H"
eval "$out"
is "$rc:$received" "0:-2146372096" "a negative time read"
for bad in '- 0' '--5 0' '-x 0' '5- 0'; do
	damage $L "4s/.*/$bad/"
	refused $L "line 4: not 'TIME WARNINGS'" "time line '$bad'"
done

# long WHERE LEN: the fixture with a line of LEN bytes (its newline
# included) made where WHERE says: an unknown option, a recipient, the
# sender, the non-recipients tree's first or second line, into $T/ID-H.
long() {
	$PY - "$FIX/$L-H" "$T/$L-H" "$1" "$2" <<'PYEOF'
import sys
src, dst, where, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
lines = open(src, "rb").read().split(b"\n")
pad = lambda pre, post: pre + b"a" * (n - 1 - len(pre) - len(post)) + post
if where == "option":
    i = lines.index(b"-deliver_firsttime")
    lines[i] = pad(b"-x_long ", b"")
elif where == "rcpt":
    i = lines.index(b"bob@example.org")
    lines[i] = pad(b"", b"@example.org")
elif where == "sender":
    lines[2] = pad(b"<", b"@test.example>")
elif where in ("tree1", "tree2"):
    i = lines.index(b"XX")
    one = pad(b"NN ", b"@example.org")
    lines[i:i + 1] = [one] if where == "tree1" else \
        [b"NY bob@example.org", one]
open(dst, "wb").write(b"\n".join(lines))
PYEOF
}
for edge in option:65535:0 option:65536:65 rcpt:65535:0 rcpt:65536:65 \
    sender:16383:0 sender:16384:65 tree1:20000:0 tree1:65535:0 \
    tree1:65536:65 tree2:16383:0 tree2:16384:65; do
	where=${edge%%:*} len=${edge#*:} len=${len%:*}
	long "$where" "$len"
	run "$SP" "$T/$L-H"
	if [ "${edge##*:}" = 0 ]; then
		is "$rc" 0 "$where line of $len bytes read, as Exim reads it"
	else
		why=$(printf '%s' "$err" | grep -c 'longer than Exim reads')
		is "$rc:$why" 65:1 \
		    "$where line of $len bytes refused, as Exim refuses it"
	fi
done

cp "$FIX/$L-H" "$T/$L-H"
printf 'x\n' >>"$T/$L-H"
refused $L "header 7: does not start with its length" "trailing bytes"
cp "$FIX/$L-H" "$T/$L-H"
printf '\n' >>"$T/$L-H"
refused $L "header 7: does not start with its length" "a trailing newline"
head -c 120 "$FIX/$L-H" | tr -d '\n' >"$T/$L-H"
refused $L "line 1: no newline at its end" "no newline at all"
run "$SP" --id 1xVXF3-0002Lv-1 "$FIX/$L-H"
is "$rc" 65 "an id that is not one refused"

# DSN recipients: the errors_to part, parent numbers, blanks in addresses.
damage $D 's/^bob@example.org rfc822;bob@example.org 22,12  0,-1#3$/a b@x rfc822;a b@x 12,2 e f@y 5,7#3/'
run "$SP" "$T/$D-H"
eval "$out"
is "$rc:$rcpt1:$rcpt1_orcpt:$rcpt1_dsn:$rcpt1_errors_to:$rcpt1_pno" \
    "0:a b@x:rfc822;a b@x:2:e f@y:7" "#3 form read by length from its end"
# Every member such a recipient has in --json is one the man page lists.
members=$("$SP" --json "$T/$D-H" | $PY -c '
import json, sys
print(" ".join(sorted(json.load(sys.stdin)["recipients"][0])))')
listed=$(sed -n 's/^\.Pq Li address , \(.*\)$/address , \1/p' \
    "$MX_SRCDIR/man/queuefile-copy.1" | tr -d ',' | tr ' ' '\n' | grep . |
    sort | tr '\n' ' ')
is "$listed" "$members " "the man page's OUTPUT lists each recipient member"
damage $D 's/ 22,12  0,-1#3$/ 23,12  0,-1#3/'
refused $D "line 21: malformed recipient" "orcpt length one long"
damage $D 's/ 22,12  0,-1#3$/ 22,12  1,-1#3/'
refused $D "line 21: malformed recipient" "errors_to length one long"
damage $D 's/ 22,12  0,-1#3$/ 22,12  0,-1#2/'
refused $D "line 21: malformed recipient" "a #2 form"
damage $D 's/^eve@example.org$/eve@example.org 4/'
run "$SP" "$T/$D-H"
eval "$out"
is "$rc:$rcpt2:$rcpt2_pno" "0:eve@example.org:4" "early Exim 4 parent number"
damage $D 's/^eve@example.org$/eve@example.org 0,5,0/'
run "$SP" "$T/$D-H"
eval "$out"
is "$rc:$rcpt2:$rcpt2_pno" "0:eve@example.org:5" "Exim 3 parent number"

# The most recipients Exim reads, and one more.
{
	sed -n '1,17p' "$FIX/$L-H"
	echo 16384
	i=0
	while [ $i -lt 16384 ]; do
		echo "r$i@example.org"
		i=$((i + 1))
	done
	sed -n '/^$/,$p' "$FIX/$L-H"
} >"$T/$L-H"
run "$SP" "$T/$L-H"
eval "$(printf '%s\n' "$out" | grep -E '^(rcpts|rcpt16384|hdrs)=')"
is "$rc:$rcpts:$rcpt16384:$hdrs" "0:16384:r16383@example.org:6" \
    "16384 recipients read"

# A new (Exim 4.97) id: a real -H renamed consistently, the id replaced in
# its first line and its headers, their lengths made right.
NEW=1xVXF3-000000002Lv-001w
$PY - "$FIX/$L-H" "$T/$NEW-H" "$L" "$NEW" <<'EOF'
import re, sys
src, dst, old, new = sys.argv[1:]
b = open(src, "rb").read()
env, hdrs = b.split(b"\n\n", 1)
env = env.replace(old.encode(), new.encode(), 1)
out = []
while hdrs:
    m = re.match(rb"(\d{3,})(.) ", hdrs)
    n = int(m.group(1))
    text = hdrs[m.end():m.end() + n]
    hdrs = hdrs[m.end() + n:]
    text = text.replace(old.encode(), new.encode())
    out.append(b"%03d%s " % (len(text), m.group(2)) + text)
open(dst, "wb").write(env + b"\n\n" + b"".join(out))
EOF
run "$SP" --json "$T/$NEW-H"
is "$rc" 0 "a new id's -H parsed"
is "$out" "$("$SP" --json "$FIX/$L-H" | sed "s/$L/$NEW/g")" \
    "a new id's -H reads as the old one's"
run "$SP" --id "$L" "$T/$NEW-H"
is "$rc:$err" "65:spool-parse: cannot parse '$T/$NEW-H': line 1: not '$L-H'" \
    "a new id's -H is not the old id's"

# -D first lines.
run "$SP" --d "$FIX/$L-D" "$L"
is "$rc:$out" "0:ok" "-D first line"
printf '%s-D\nbody\n' "$NEW" >"$T/$NEW-D"
run "$SP" --d "$T/$NEW-D" "$NEW"
is "$rc:$out" "0:ok" "-D first line of a new id"
run "$SP" --d "$FIX/$L-D" "$S"
is "$rc:$err" "65:spool-parse: cannot check '$FIX/$L-D': -D's first line is not '$S-D'" \
    "-D of another id"
for bad in "$L-H" "$L-Dx" "${L}x-D" "" "$L"; do
	printf '%s\nbody\n' "$bad" >"$T/bad-D"
	run "$SP" --d "$T/bad-D" "$L"
	is "$rc" 65 "-D first line '$bad' refused"
done
printf '%s-D' "$L" >"$T/bad-D"
run "$SP" --d "$T/bad-D" "$L"
is "$rc" 65 "-D first line without its newline refused"

# exim -bP output.
bp() {
	printf "$1" | "$SP" --bp >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}
bp 'spool_directory = /var/spool/exim4\nno_split_spool_directory\n'
is "$rc:$out" "0:spool_directory=/var/spool/exim4
split_spool_directory=0" "-bP: flat"
bp 'split_spool_directory\nspool_directory = /s p\n'
is "$rc:$out" "0:spool_directory='/s p'
split_spool_directory=1" "-bP: split, either order, no final newline"
for bad in 'spool_directory = /s\n' 'split_spool_directory\n' \
    'spool_directory = s\nsplit_spool_directory\n' \
    'spool_directory = \nsplit_spool_directory\n' \
    'spool_directory=/s\nsplit_spool_directory\n' \
    'spool_directory = /s\nsplit_spool_directory = true\n' \
    'spool_directory = /s\0x\nsplit_spool_directory\n' ''; do
	bp "$bad"
	is "$rc" 65 "-bP output '$bad' refused"
done

# -- Exim's view ------------------------------------------------------------
if [ ! -x "$EXIM" ] || [ "$(id -u)" -ne 0 ] ||
    ! id "$EXIM_USER" >/dev/null 2>&1; then
	skip 1 "exim4 as root needed for Exim's view"
	done_testing
	exit
fi

exim_spool_new "$T/a" --split --main 'spool_wireformat = true' \
    --acl 'warn remove_header = X-Remove' || exit 1

# The fixtures, as Exim leaves them in its split spool.
for id in $L $S $D; do
	sub=$EXSPOOL_INPUT/$(printf '%s' "$id" | cut -c6)
	install -d -o "$EXIM_USER" -g "$EXIM_USER" -m 750 "$sub"
	install -o "$EXIM_USER" -g "$EXIM_USER" -m 640 "$FIX/$id-D" \
	    "$FIX/$id-H" "$sub/"
done

# Messages of every form Exim writes.
long=$(i=0; while [ $i -lt 60 ]; do
	printf ' word%02d-abcdefghijklmnopqrstuvwxyz-0123456789\n' $i
	i=$((i + 1))
done)
m_acl=$(printf 'From: a@test.example\nX-Acl: one\n two\nSubject: acl\n\nbody\n' |
    exim_spool_submit -f alice@test.example bob@example.org)
m_long=$(printf 'From: a@test.example\nX-Acl:%s\nSubject: long\n\nbody\n' "$long" |
    exim_spool_submit -f alice@test.example bob@example.org)
m_frozen=$(printf 'Subject: frozen\n\nbody\n' |
    exim_spool_submit -f '' bob@example.org)
exim_spool_run -Mf "$m_frozen" >/dev/null
m_star=$(printf 'From: a@test.example\nX-Remove: gone\nSubject: star\n\nbody\n' |
    exim_spool_submit -f alice@test.example bob@example.org)
rcpts= i=0
while [ $i -lt 300 ]; do
	rcpts="$rcpts r$i@example.org"
	i=$((i + 1))
done
# shellcheck disable=SC2086
m_many=$(printf 'Subject: many\n\nbody\n' |
    exim_spool_submit -f alice@test.example defer1@example.org $rcpts)
exim_spool_run -M "$m_many" >/dev/null 2>&1
m_dsn=$(printf '%s\r\n' 'EHLO client.example' \
    'MAIL FROM:<dave@remote.example> RET=FULL ENVID=e+2Bnv' \
    'RCPT TO:<bob@example.org> NOTIFY=SUCCESS,FAILURE ORCPT=rfc822;bob@example.org' \
    'RCPT TO:<carol@example.org> NOTIFY=NEVER' \
    'RCPT TO:<dan@example.org> NOTIFY=DELAY ORCPT=rfc822;Dan@Example.org' \
    'RCPT TO:<eve@example.org>' 'DATA' 'X-Acl: smtp' '' 'x' '.' 'QUIT' |
    exim_spool_smtp -oMa 192.0.2.7.40123 -oMi 198.51.100.1.25)
m_wire=$(printf '%s\r\n' 'EHLO client.example' \
    'MAIL FROM:<dave@remote.example>' 'RCPT TO:<bob@example.org>' \
    'BDAT 25 LAST' 'Subject: bdat' '' 'body x' 'QUIT' |
    exim_spool_smtp -oMa 192.0.2.7.40124)

# ours ID: the fields as spool-parse reads them, one a line, in the order
# exim_view prints them; it leaves the driver's variables set.
ours() {
	f=$(ls "$EXSPOOL_INPUT"/*/"$1-H")
	unset acls
	eval "$("$SP" "$f")"
	dsize=$(wc -c <"${f%-H}-D")
	size=$((dsize - ${#1} - 3 + 1))
	list= i=1
	while [ $i -le "$hdrs" ]; do
		eval "fl=\$hdr${i}_flag l=\$hdr${i}_len"
		[ "$fl" = '*' ] || size=$((size + l))
		i=$((i + 1))
	done
	i=1
	while [ $i -le "$rcpts" ]; do
		eval "a=\$rcpt$i"
		list="$list${list:+, }$a"
		i=$((i + 1))
	done
	printf '%s\n' "$sender" "$uid" "$gid" "$received" "$size" "$rcpts"
	printf '%s' "$list" | md5sum | cut -d' ' -f1
	"$SP" --headers "$f" | md5sum | cut -d' ' -f1
	i=1
	while [ $i -le "$acls" ]; do
		eval "printf '%s' \"\$acl${i}_value\"" | md5sum | cut -d' ' -f1
		i=$((i + 1))
	done
}

# exim_view ID: the same fields as Exim reads them (after ours ID).
exim_view() {
	_id=$1
	set -- '$sender_address' '$originator_uid' '$originator_gid' \
	    '$received_time' '$message_size' '$recipients_count' \
	    '${md5:$recipients}' '${md5:$message_headers_raw}'
	i=1
	while [ $i -le "$acls" ]; do
		eval "n=\$acl${i}_name"
		set -- "$@" "\${md5:\$acl_$n}"
		i=$((i + 1))
	done
	exim_spool_run -Mset "$_id" -be "$@" 2>&1
}

# bp_view ID: frozen or not, and the recipients Exim marks delivered.
bp_view() {
	exim_spool_run -bp "$1" >"$T/bp"
	if grep -q 'frozen' "$T/bp"; then echo 1; else echo 0; fi
	sed -n 's/^ *D \(.*\)/\1/p' "$T/bp" | sort
}
bp_ours() {
	echo "$frozen"
	i=1
	while [ $i -le "$nonrcpts" ]; do
		eval "printf '%s\n' \"\$nonrcpt$i\""
		i=$((i + 1))
	done | sort
}

for id in $L $S $D $m_acl $m_long $m_frozen $m_star $m_many $m_dsn $m_wire
do
	ours "$id" >"$T/mine"
	exim_view "$id" >"$T/view"
	is "$(cat "$T/view")" "$(cat "$T/mine")" \
	    "$id: sender, ids, time, size, recipients, headers, ACL as Exim reads them"
	is "$(bp_view "$id")" "$(bp_ours)" "$id: frozen and delivered as exim -bp says"
done
is "$(exim_spool_run -Mset "$L" -be '$acl_m_demo')" \
    "hello world" "exim -Mset ID -be shows the ACL variable"

# What each form must show.
f() { ls "$EXSPOOL_INPUT"/*/"$1-H"; }
eval "$("$SP" "$(f "$m_acl")")"
is "$acl2_name:$acl2_tainted:$acl2_value" "m_raw:1: one
 two
" "acl: a tainted ACL value with newlines"
eval "$("$SP" "$(f "$m_long")")"
[ "$hdr3_len" -gt 999 ] && [ "${#acl2_value}" -gt 999 ] &&
    grep -q "^${hdr3_len}  X-Acl:" "$(f "$m_long")"
_result $? "long: a header of $hdr3_len bytes (4 digits), an ACL value of ${#acl2_value}"
eval "$("$SP" "$(f "$m_frozen")")"
is "$frozen:$sender" "1:" "frozen: -frozen read, null sender"
eval "$("$SP" "$(f "$m_star")")"
is "$hdr3_flag:$hdr3_name" "*:X-Remove" "star: the removed header marked '*'"
eval "$("$SP" "$(f "$m_many")")"
is "$rcpts:$nonrcpts" "301:300" "many: 301 recipients, 300 delivered"
ok "many: the non-recipients tree has inner nodes (YY)" \
    grep -q '^YY ' "$(f "$m_many")"
eval "$("$SP" "$(f "$m_dsn")")"
is "$rcpt1_orcpt:$rcpt1_dsn:$rcpt2_dsn:$rcpt3_orcpt:$rcpt3_dsn:${rcpt4_dsn-none}" \
    "rfc822;bob@example.org:12:2:rfc822;Dan@Example.org:16:none" \
    "dsn: NOTIFY and ORCPT of each recipient"
is "$("$SP" "$(f "$m_dsn")" | grep -cE '^opt[0-9]+_name=dsn_(envid|ret)$')" 2 \
    "dsn: ENVID and RET as options"
eval "$("$SP" "$(f "$m_dsn")" | grep -E '^opt[0-9]+_(name|value|tainted)=')"
i=1 ha=
while eval "[ -n \"\${opt${i}_name-}\" ]"; do
	eval "[ \"\$opt${i}_name\" = host_address ] &&
	    ha=\$opt${i}_value:\${opt${i}_tainted-0}"
	i=$((i + 1))
done
is "$ha" "[192.0.2.7]:40123:1" "dsn: the tainted host address"
eval "$("$SP" "$(f "$m_wire")")"
is "$wireformat" 1 "wire: -spool_file_wireformat read"
ok "wire: its -D has CRLF line ends" \
    grep -q "$(printf 'body x\r')" "$(dirname "$(f "$m_wire")")/$m_wire-D"

# Damaged copies in the spool: Exim refuses them too.
for bad in nul short quoter; do
	id=1xVXF3-0002Lv-2$(printf '%s' $bad | cut -c1)
	sub=$EXSPOOL_INPUT/3
	case $bad in
	nul)	sed "1s/.*/$id-H/" "$T/nul-H" >"$sub/$id-H" ;;
	short)	sed -e "1s/.*/$id-H/" -e 's/^020T To:/019T To:/' \
		    "$FIX/$L-H" >"$sub/$id-H" ;;
	quoter)	sed -e "1s/.*/$id-H/" \
		    -e 's/^-deliver_firsttime$/--(nonesuch)x_new a/' \
		    "$FIX/$L-H" >"$sub/$id-H" ;;
	esac
	sed "1s/.*/$id-D/" "$FIX/$L-D" >"$sub/$id-D"
	chown "$EXIM_USER:$EXIM_USER" "$sub/$id-H" "$sub/$id-D"
	chmod 640 "$sub/$id-H" "$sub/$id-D"
	like "$(exim_spool_run -bp "$id" 2>&1)" "spool format error" \
	    "$bad: exim -bp says spool format error"
	run "$SP" "$sub/$id-H"
	is "$rc" 65 "$bad: refused here too"
done

# The long lines at their edges, Exim's own verdict beside ours.
n=0
for edge in option:65535:0 option:65536:65 rcpt:65535:0 rcpt:65536:65 \
    sender:16383:0 sender:16384:65 tree1:20000:0 tree1:65536:65 \
    tree2:16383:0 tree2:16384:65; do
	n=$((n + 1))
	id=1xVXF3-0002Lv-4$(printf '%s' abcdefghij | cut -c$n)
	want=${edge##*:} edge=${edge%:*}
	long "${edge%:*}" "${edge#*:}"
	sub=$EXSPOOL_INPUT/3
	sed "1s/.*/$id-H/" "$T/$L-H" >"$sub/$id-H"
	sed "1s/.*/$id-D/" "$FIX/$L-D" >"$sub/$id-D"
	chown "$EXIM_USER:$EXIM_USER" "$sub/$id-H" "$sub/$id-D"
	chmod 640 "$sub/$id-H" "$sub/$id-D"
	theirs=$(exim_spool_run -bp "$id" 2>&1 | grep -c 'spool format error')
	"$SP" "$sub/$id-H" >/dev/null 2>&1
	mine=$?
	is "$mine:$theirs" "$want:$([ "$want" = 0 ] && echo 0 || echo 1)" \
	    "${edge%:*} line of ${edge#*:} bytes: $([ "$want" = 0 ] &&
	    echo read || echo refused) by exim -bp and here"
done

# From 2038 Exim 4.96 writes a negative time, and delivers the message.
use_faketime
m_2038=$(printf 'Subject: y2038\n\nbody\n' |
    LD_PRELOAD=$FT FAKETIME='@2038-02-01 00:00:00' \
    exim_spool_submit -f alice@test.example bob@example.org)
ok "2038: Exim wrote a negative time" \
    grep -q '^-[0-9]* 0$' "$(f "$m_2038")"
eval "$("$SP" "$(f "$m_2038")")"
run "$SP" --json "$(f "$m_2038")"
is "$rc:$(printf '%s' "$out" | $PY -c '
import json, sys
print(json.load(sys.stdin)["received"])')" \
    "0:$(sed -n '4s/ .*//p' "$(f "$m_2038")")" \
    "2038: read, its received time negative as Exim wrote it"
is "$(exim_view "$m_2038" | sed -n 4p)" "$received" \
    "2038: Exim reads the time as this reader does"

# Blanks before the colon (RFC 5322's obsolete syntax): Exim's
# header_checkname skips them, and flags "From\t:" F, a From.
m_blank=$(printf 'Subject : spaced\nFrom\t: a@test.example\n\nbody\n' |
    exim_spool_submit -f alice@test.example bob@example.org)
run "$SP" --json "$(f "$m_blank")"
is "$(printf '%s' "$out" | $PY -c '
import json, sys
print(" ".join(h["name"] + "/" + h["flag"]
    for h in json.load(sys.stdin)["headers"]))')" \
    "Received/P Subject/  From/F Message-Id/I Date/ " \
    "blank before the colon: named Subject and From, as Exim flags From"

all=
for id in $m_acl $m_long $m_frozen $m_star $m_many $m_dsn $m_wire \
    $m_2038 $m_blank; do
	all="$all $(f "$id")"
done
# shellcheck disable=SC2086
is "$(json_valid $all)" "9 0" "--json of each -H Exim wrote is JSON"

# Damage of every kind (a byte made a newline, a '0' or a blank, a byte
# dropped, a byte doubled) at every fourth byte (fewer in a long file) of
# the fixtures and of the files of the forms made above, and at the bytes
# where a line's form is decided (its first two, and the 4th and 5th: a
# header's blank and its text's first byte), each copy a message of its
# own in a second spool: whatever is read here Exim must read too (the
# reverse is not asked: this reader is the stricter).
forms="$FIX/$L-H $FIX/$S-H $FIX/$D-H"
for id in $m_acl $m_frozen $m_star $m_many $m_dsn $m_wire; do
	forms="$forms $(f "$id")"
done
exim_spool_new "$T/z" --split || exit 1
mkdir "$EXSPOOL_INPUT/3"
# shellcheck disable=SC2086
$PY - "$EXSPOOL_INPUT/3" $forms <<'EOF'
import sys
dst = sys.argv[1]
b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
n = 0
for f in sys.argv[2:]:
    h = open(f, "rb").read()
    d = open(f[:-1] + "D", "rb").read()
    body = d[d.index(b"\n") + 1:]
    start = h.index(b"\n") + 1
    at = set(range(start, len(h), max(4, len(h) // 60)))
    nl = [i + 1 for i, c in enumerate(h[:-1]) if c == 10]
    for i in nl[::max(1, len(nl) // 15)]:
        at |= {i + k for k in (0, 1, 4, 5) if i + k < len(h)}
    for pos in sorted(at):
        for op in range(5):
            m = bytearray(h)
            if op < 3:
                m[pos] = b"\n0 "[op]
            elif op == 3:
                del m[pos]
            else:
                m.insert(pos, m[pos])
            if bytes(m) == h:
                continue
            new = "1xVXF3-000%s%s%s-00" % (b62[n // 3844 % 62],
                b62[n // 62 % 62], b62[n % 62])
            n += 1
            m[:start] = (new + "-H\n").encode()
            open("%s/%s-H" % (dst, new), "wb").write(m)
            open("%s/%s-D" % (dst, new), "wb").write(
                (new + "-D\n").encode() + body)
EOF
chown -R "$EXIM_USER:$EXIM_USER" "$EXSPOOL_INPUT/3"
find "$EXSPOOL_INPUT/3" -type f -exec chmod 640 {} +
exim_spool_run -bp >"$T/bp" 2>&1
awk '/^ *[0-9]+[smhdw] / { id = $3 } /^ +1xVX/ { id = $1 }
    /\*\*\* spool/ { print id }' "$T/bp" | sort -u >"$T/exim-bad"
"$SP" --verdicts "$EXSPOOL_INPUT"/3/*-H >"$T/ours"
sed -n 's/ ok$//p' "$T/ours" | sort >"$T/ours-ok"
total=$(wc -l <"$T/ours")
bad=$(wc -l <"$T/exim-bad")
[ "$total" -gt 4000 ] && [ "$bad" -gt 1000 ]
_result $? "$total damaged copies made, $bad refused by exim -bp"
is "$(comm -12 "$T/ours-ok" "$T/exim-bad" | tr '\n' ' ')" "" \
    "no damaged copy read here that Exim refuses"
diag "$(grep -c ' refused$' "$T/ours") refused here, $bad by Exim"

# What exim -bP prints.
exim_spool_run -bP spool_directory split_spool_directory >"$T/bP"
is "$("$SP" --bp <"$T/bP")" "spool_directory=$EXSPOOL_SPOOL
split_spool_directory=1" "exim -bP read"

done_testing
