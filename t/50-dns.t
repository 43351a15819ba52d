#!/bin/sh
# common/dns.c through t/unit/dns-test: TXT answers (and A, AAAA, MX and
# PTR ones) from a master file
# (--dns-zone) and from a server (--resolver: knot on a loopback port,
# serving the same file, must give the same answers), the failures a mail
# tool keeps apart (temporary: defer; permanent: decide), timeouts, the
# cache, and bad options.
. "$MX_SRCDIR/t/lib.sh"
. "$MX_SRCDIR/t/knot.sh"

DT=$MX_BUILDDIR/t/unit/dns-test
if [ ! -x "$DT" ]; then
	echo "1..1"
	echo "not ok 1 - $DT is built"
	exit 1
fi
ZONE=$MX_SRCDIR/t/data/dns-example.zone
SEL=sel._domainkey.example.org
KEY="v=DKIM1; k=rsa; $(sed -n 's/^sel\._domainkey.*" "\(p=.*\)"$/\1/p' "$ZONE")"
NAMES="$SEL $SEL. SEL._DomainKey.Example.ORG multi.example.org
Mixed.Case.example.org mixed.case.example.org. a-only.example.org
empty.example.org x.empty.example.org nope.example.org esc.example.org
alias.example.org big._domainkey.example.org huge.example.org"

# records LINE: the records of a dns-test line, one per line.
records() {
	eval "set -- $1"
	shift 2
	for _r; do
		printf '%s\n' "$_r"
	done
}

# line NAME: that name's line in $out.
line() {
	printf '%s\n' "$out" | grep -F -- "$1 " | head -n 1
}

# contains GOT STRING DESCRIPTION: GOT holds STRING, as it is.
contains() {
	case $1 in
	*"$2"*)	_result 0 "$3" ;;
	*)	_result 1 "$3"
		diag "     got: '$1'" "expected to contain: '$2'" ;;
	esac
}

# ms: a monotonic enough clock in milliseconds.
ms() {
	echo $(($(date +%s%N) / 1000000))
}

# --dns-zone: answers from the file.
run "$DT" --dns-zone "$ZONE" $NAMES
is "$rc" 0 "zone: every name looked up"
ZOUT=$out
is "$(records "$(line "$SEL")")" "$KEY" \
    "zone: a record's two strings joined without separator"
is "$(line "$SEL.")" "$SEL. $(line "$SEL" | cut -d' ' -f2-)" \
    "zone: a trailing dot changes nothing"
is "$(line SEL._DomainKey.Example.ORG | cut -d' ' -f2-)" \
    "$(line "$SEL" | cut -d' ' -f2-)" "zone: names match in any case"
is "$(line Mixed.Case.example.org)" \
    "Mixed.Case.example.org ok 'case kept in the data'" \
    "zone: an owner written in upper case, the data's case kept"
is "$(line mixed.case.example.org.)" \
    "mixed.case.example.org. ok 'case kept in the data'" \
    "zone: looked up in lower case with a trailing dot"
is "$(line multi.example.org)" "multi.example.org ok one two" \
    "zone: two records at one name"
is "$(line nope.example.org)" "nope.example.org nxdomain" \
    "zone: an absent name is NXDOMAIN"
is "$(line a-only.example.org)" "a-only.example.org nodata" \
    "zone: a name with an A record only is NODATA"
is "$(line empty.example.org)" "empty.example.org nodata" \
    "zone: an empty non-terminal exists: NODATA, not NXDOMAIN"
is "$(records "$(line esc.example.org)")" \
    'semi;colon "quoted" back\slash A' "zone: escapes in a string"
is "$(records "$(line alias.example.org)")" "$KEY" \
    "zone: a CNAME is followed"
big=$(records "$(line big._domainkey.example.org)")
is "${#big}" 754 "zone: a 4096-bit key record, 754 bytes"
huge=$(records "$(line huge.example.org)")
is "${#huge}" 2640 "zone: a record of twelve strings, 2640 bytes"
like "$huge" '^0000abc.*0011abc.*789$' "zone: its strings in order"

cat >"$T/nosoa.zone" <<'EOF'
; no SOA, relative names under $ORIGIN
$ORIGIN example.net.
sel._domainkey	60 IN TXT "v=DKIM1; " "p=abc"
www		IN A	192.0.2.7
EOF
run "$DT" --dns-zone "$T/nosoa.zone" sel._domainkey.example.net \
    www.example.net _domainkey.example.net other.example.net
is "$out" "sel._domainkey.example.net ok 'v=DKIM1; p=abc'
www.example.net nodata
_domainkey.example.net nodata
other.example.net nxdomain" "zone: a file without SOA, relative names"

run "$DT" --dns-zone "$T/absent.zone" "$SEL"
is "$rc" 66 "zone: a missing file is an error"
one_line_error dns-test "zone: one line about it"
like "$err" "'$T/absent.zone'.*No such file" "zone: it names the file"

printf '$ORIGIN example.net.\n; fine so far\n\na IN TXT "x"\n%s\n' \
    'mail IN A 192.0.2.999' >"$T/bad.zone"
run "$DT" --dns-zone "$T/bad.zone" a.example.net
is "$rc" 65 "zone: a syntax error is an error"
one_line_error dns-test "zone: one line about it"
like "$err" "'$T/bad.zone' line 5: " "zone: it names the file and line"
is "$out" "" "zone: nothing looked up in a broken file"

# ldns would end an unclosed quoted string at the end of its line and say
# nothing; a quote in a comment or escaped is no string.
printf '%s\n' '$ORIGIN example.net.' 'a IN TXT "x" ; a "quote' \
    'b IN TXT "y\"z' 'c IN TXT "w"' >"$T/quote.zone"
run "$DT" --dns-zone "$T/quote.zone" a.example.net
is "$rc:$out" 65: "zone: a quoted string not closed is a syntax error"
one_line_error dns-test "  one line about it"
is "$err" "dns-test: bad zone file '$T/quote.zone' line 3: a quoted string \
not closed on its line" "  naming the file and line"
printf '%s\n' '$ORIGIN example.net.' 'a IN TXT "x" ; a "quote' \
    'b IN TXT "y\"z"' 'c IN TXT x\"y' >"$T/quote2.zone"
run "$DT" --dns-zone "$T/quote2.zone" a.example.net b.example.net \
    c.example.net
is "$rc:$out:$err" '0:a.example.net ok x
b.example.net ok '"'"'y"z'"'"'
c.example.net ok '"'"'x"y'"'"':' "  a quote in a comment or escaped is none"

# A UTF-8 byte order mark, as some editors write, would be part of the
# first owner name: skipped, with a warning.
printf '\357\273\277a.example.net. IN TXT "bom"\n' >"$T/bom.zone"
run "$DT" --dns-zone "$T/bom.zone" a.example.net
is "$rc:$out" "0:a.example.net ok bom" "zone: a byte order mark is skipped"
is "$err" "dns-test: zone file '$T/bom.zone': a UTF-8 byte order mark at \
the start, skipped" "  with a warning"

# Relative names before any $ORIGIN or SOA are under the root: a warning
# naming the file and the first such line says so, and what to do.
printf '%s\n' '; no $ORIGIN' 'abs.example.net. IN TXT "a"' '' \
    'sel._domainkey IN TXT "v=DKIM1; p="' 'www IN TXT "w"' >"$T/rel.zone"
run "$DT" --dns-zone "$T/rel.zone" sel._domainkey.example.net \
    sel._domainkey. abs.example.net
is "$rc:$out" "0:sel._domainkey.example.net nxdomain
sel._domainkey. ok 'v=DKIM1; p='
abs.example.net ok a" "zone: a relative name without \$ORIGIN is under the root"
one_line_error dns-test "  with one warning, for the first such line"
is "$err" "dns-test: zone file '$T/rel.zone' line 4: relative name \
'sel._domainkey' with no \$ORIGIN or SOA before it, taken as \
'sel._domainkey.' (end it with a dot or add \$ORIGIN)" \
    "  naming the file, the line and the name, and saying what happens"

# RFC 1035 3.3: a string of 256 bytes is an error that says so, with the
# line of the string, in a record over several lines too.
s255=$(printf '%0255d' 0)
printf '%s\n' '$ORIGIN example.net.' 'ok IN TXT "'"$s255"'"' \
    'k IN TXT ( "v=DKIM1; k=rsa; "' "  \"p=${s255}0\" )" >"$T/long.zone"
run "$DT" --dns-zone "$T/long.zone" ok.example.net
is "$rc:$out" 65: "zone: a string of 256 bytes is an error"
one_line_error dns-test "  in one line"
is "$err" "dns-test: bad zone file '$T/long.zone' line 4: a string longer \
than 255 bytes (split it into several quoted strings)" \
    "  saying so, with its line"
printf '%s\n' '$ORIGIN example.net.' 'ok IN TXT "'"$s255"'"' \
    'k IN TXT "a;b\"'"${s255#????}"'" ; "'"$s255"'0"' >"$T/long.zone"
run "$DT" --dns-zone "$T/long.zone" ok.example.net k.example.net
k=$(records "$(line k.example.net)")
is "$rc:${#k}" 0:255 \
    "zone: 255 bytes are fine, an escape one byte, a comment no string"

# A FIFO as zone file: refused at once, not waited on for ever.
mkfifo "$T/fifo.zone"
run timeout 10 "$DT" --dns-zone "$T/fifo.zone" a.example.net
is "$rc:$out" 66: "zone: a FIFO is refused (66), at once"
like "$err" "cannot use zone file '$T/fifo.zone': not a regular file" \
    "  saying why"

run "$DT" --dns-zone "$ZONE" a..b.example.org "$(printf '%070d' 0).org"
is "$out" "a..b.example.org permerror
$(printf '%070d' 0).org permerror" "a malformed name is a permanent failure"

# A, AAAA, MX and PTR (for SPF): a zone file at the root, so that one file
# holds names and reverse names, served below by knot too.
cat >"$T/types.zone" <<'EOF'
$ORIGIN .
$TTL 300
.			IN SOA	ns.example. hostmaster.example. 1 3600 600 86400 300
.			IN NS	ns.example.
ns.example.		IN A	127.0.0.1
host.example.		IN A	192.0.2.10
host.example.		IN A	192.0.2.11
host.example.		IN AAAA	2001:db8::10
host.example.		IN TXT	"v=spf1 a -all"
txtonly.example.	IN TXT	"x"
alias.example.		IN CNAME Host.Example.
mx.example.		IN MX	20 Second.Example.
mx.example.		IN MX	10 host.example.
mx.example.		IN MX	30 alias.example.
nullmx.example.		IN MX	0 .
10.2.0.192.in-addr.arpa. IN PTR host.example.
10.2.0.192.in-addr.arpa. IN PTR Other.Example.
0.1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa. IN PTR host.example.
EOF
TYPES="host.example/A alias.example/A host.example/AAAA txtonly.example/A
nope.example/A txtonly.example/AAAA mx.example/MX host.example/MX
nullmx.example/MX 192.0.2.10/PTR 2001:db8::10/PTR 192.0.2.99/PTR
host.example/TXT"
TYPES_OUT="host.example/A ok 192.0.2.10 192.0.2.11
alias.example/A ok 192.0.2.10 192.0.2.11
host.example/AAAA ok 2001:db8::10
txtonly.example/A nodata
nope.example/A nxdomain
txtonly.example/AAAA nodata
mx.example/MX ok host.example second.example alias.example
host.example/MX nodata
nullmx.example/MX ok ''
192.0.2.10/PTR ok host.example other.example
2001:db8::10/PTR ok host.example
192.0.2.99/PTR nxdomain
host.example/TXT ok 'v=spf1 a -all'"
run "$DT" --dns-zone "$T/types.zone" $TYPES
is "$rc:$out" "0:$TYPES_OUT" "zone: A, AAAA (a CNAME followed), MX by \
preference, the null MX, PTR of IPv4 and IPv6, NXDOMAIN and NODATA apart"
run "$DT" --dns-zone "$T/types.zone" --type PTR 192.0.2.300 host.example
is "$rc:$out" "0:192.0.2.300 permerror
host.example permerror" "zone: PTR of what is no address: permerror"
like "$err" "bad address '192.0.2.300'" "  saying why"
run "$DT" --type SPF host.example
is "$rc:$out" 64: "--type SPF is refused: no such lookup here"

# Bad options: usage errors, before any lookup.
for r in dns.example 192.0.2.1@ 192.0.2.1@0 192.0.2.1@65536 \
    '192.0.2.1@ 53' 192.0.2.1@53x ::1@x @53 '[::1]@53' 192.0.2.300; do
	run "$DT" --resolver "$r" "$SEL"
	is "$rc:$out" 64: "--resolver '$r' is refused"
	one_line_error dns-test "  with one line"
	contains "$err" "bad resolver '$r': " "  naming it"
done
run "$DT" --timeout 0 "$SEL"
is "$rc" 64 "--timeout 0 is refused"
run "$DT" --timeout x "$SEL"
is "$rc" 64 "--timeout x is refused"
run "$DT" --resolver 127.0.0.1 --dns-zone "$ZONE" "$SEL"
is "$rc" 64 "--resolver and --dns-zone exclude each other"
run "$DT" --help
like "$out" "--resolver=ADDR\\[@PORT\\]" "--help shows --resolver"
like "$out" "--dns-zone=FILE" "--help shows --dns-zone"
like "$out" "--timeout=SECS" "--help shows --timeout"

# Nothing listens: no answer within the timeout is a temporary failure,
# over IPv4 and IPv6 literals alike.
closed=$(free_port)
for a in 127.0.0.1 ::1; do
	if [ "$a" = ::1 ] && ! $PY -c 'import socket
socket.socket(socket.AF_INET6, socket.SOCK_DGRAM).bind(("::1", 0))' \
	    2>/dev/null; then
		skip 3 "no IPv6 loopback here"
		continue
	fi
	t0=$(ms)
	run "$DT" --timeout 1 --resolver "$a@$closed" "$SEL"
	t=$(($(ms) - t0))
	is "$rc:$out" "0:$SEL temperror" "no server at $a: temperror"
	like "$err" "no answer from $a@$closed within 1 s" "  saying so"
	ok "  within the timeout ($t ms)" test "$t" -ge 900 -a "$t" -lt 2500
done

# A server answering wrongly on purpose, for what knot never does.
daemon "$PY" "$MX_SRCDIR/t/data/dns-badserver.py" "$T/bad.port"
i=0
while [ ! -s "$T/bad.port" ] && [ "$i" -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
BAD=127.0.0.1@$(cat "$T/bad.port" 2>/dev/null)
# bad NAME STATUS [REASON]: what the server's fault NAME comes to.
bad() {
	run "$DT" --timeout 2 --resolver "$BAD" "$1.example"
	is "$out" "$1.example $2" "a server's $1: $2"
	[ -z "$3" ] || contains "$err" "$3" "  the reason says '$3'"
}
bad fine "ok fine"
bad garbage temperror "a malformed answer from $BAD"
bad short temperror "a malformed answer from $BAD: header section incomplete"
bad cut temperror "a malformed answer from $BAD: answer section incomplete"
bad nul permerror "malformed TXT record: a NUL byte inside"
bad servfail temperror "$BAD answered SERVFAIL"
bad formerr temperror "$BAD answered FORMERR"
bad badid temperror "does not match the query"
bad othername temperror "does not match the query"
bad status temperror "does not match the query"
bad chaos temperror "with a record that does not answer the query"
bad arec temperror "with a record that does not answer the query"
bad otherowner temperror "with a record that does not answer the query"
bad truncated temperror "over TCP after a truncated answer"
bad referral temperror "not a recursive resolver"
# The type asked is checked in the answer: a TXT answer to an A query is
# no answer, an A answer to one is.
run "$DT" --timeout 2 --resolver "$BAD" fine.example/A arec.example/A \
    servfail.example/MX 192.0.2.1/PTR
is "$(printf '%s\n' "$out" | cut -d' ' -f1-2)" "fine.example/A temperror
arec.example/A ok
servfail.example/MX temperror
192.0.2.1/PTR temperror" "a server's answers checked for the type asked"
like "$err" "fine.example/A': an answer from $BAD with a record that does not \
answer the query" "  a TXT answer to an A query: temperror, saying why"
# A query that timed out does not fail the next one (ldns would mark the
# server unreachable for good).
t0=$(ms)
run "$DT" --timeout 1 --resolver "$BAD" silent.example fine.example
t=$(($(ms) - t0))
is "$out" "silent.example temperror
fine.example ok fine" "a silent server: temperror, then the next query is asked"
ok "  within the timeout ($t ms)" test "$t" -ge 900 -a "$t" -lt 2500

# The ARC tools over that server: a key that cannot be fetched for the
# server's reasons defers the message (75, nothing on stdout), never a
# permanent "no key" that would end the chain for good.
if rsa_key "$T/k.pem" 1024; then
	printf '%s\n' "Authentication-Results: d.example; spf=pass" \
	    "From: a@d.example" "Subject: t" "" "body" >"$T/m"
	for f in garbage short cut servfail truncated chaos; do
		$MX_SRCDIR/t/data/arc-zone \
		    "$f._domainkey.d.example=$T/k.pem" >"$T/$f.zone"
		arc-sign -d d.example -s "$f" -k "$T/k.pem" \
		    --dns-zone "$T/$f.zone" "$T/m" >"$T/$f.eml"
		run arc-verify --timeout 2 --resolver "$BAD" "$T/$f.eml"
		is "$rc:$out" 75: "arc-verify, a key lookup answered $f: 75"
		like "$err" "temporary failure" "  saying it is temporary"
		{ sed -n 1p "$T/m"; cat "$T/$f.eml"; } >"$T/$f.2"
		run arc-sign -d d.example -s fine -k "$T/k.pem" --timeout 2 \
		    --resolver "$BAD" "$T/$f.2"
		is "$rc:$out" 75: "arc-sign, a key lookup answered $f: 75"
	done
else
	skip 18 "openssl cannot make keys"
fi

# A broken /etc/resolv.conf is the host's fault, no file named on the
# command line: each lookup is a temporary failure (75, never 66, which
# Postfix bounces), and a message that needs none goes through.
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null ||
    ! unshare -m true 2>/dev/null || [ ! -s "$T/servfail.eml" ]; then
	skip 10 "no private mount namespace here (unshare -m, as root)"
else
	echo "nameserver not-an-address" >"$T/bad.resolv"
	badresolv() {	# badresolv COMMAND...: with that resolv.conf
		unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf ||
		    exit 77; shift; exec "$@"' sh "$T/bad.resolv" "$@"
	}
	run badresolv "$DT" "$SEL"
	is "$rc:$out" "0:$SEL temperror" \
	    "a broken resolv.conf: a lookup is a temporary failure"
	like "$err" "bad '/etc/resolv.conf': " "  saying why"
	run badresolv arc-sign --filter -d d.example -s s -k "$T/k.pem" "$T/m"
	like "$rc:$(printf '%s\n' "$out" | grep -c 'cv=none;')" "^0:1\$" \
	    "  arc-sign --filter: a message with no chain is sealed"
	run badresolv arc-verify --add-header mx "$T/m"
	is "$rc:$(printf '%s\n' "$out" | sed -n 2p)" "0:	arc=none (no chain)" \
	    "  arc-verify --add-header: a message with no chain goes through"
	run badresolv arc-verify --add-header mx "$T/servfail.eml"
	is "$rc:$out" 75: "  arc-verify --add-header: one with a chain, 75"
	one_line_error arc-verify "  in one line"
	run badresolv arc-verify "$T/servfail.eml"
	is "$rc:$out" 75: "  arc-verify: 75"
	run badresolv arc-sign -d d.example -s s -k "$T/k.pem" \
	    "$T/servfail.2"
	is "$rc:$out" 75: "  arc-sign: a chain to validate, 75"
	run badresolv arc-sign --filter -d d.example -s s -k "$T/k.pem" \
	    "$T/servfail.2"
	is "$rc:$out" 75: "  arc-sign --filter: the same"
fi

# --resolver: knot serving the same file gives the same answers.
if [ ! -x "$KNOTD" ] || [ ! -x "$KNOTC" ] || [ ! -x "$KDIG" ]; then
	skip 7 "knot or kdig not installed"
	done_testing
fi
ok "knot serves the zone" knot_start "$ZONE" example.org
K=127.0.0.1@$KNOT_PORT

stat() {	# stat NAME: a mod-stats counter, 0 when absent
	_v=$(knot_ctl stats | sed -n "s/^mod-stats\\.$1 = //p")
	echo "${_v:-0}"
}

udp0=$(stat 'request-protocol\[udp4\]')
tcp0=$(stat 'request-protocol\[tcp4\]')
run "$DT" --resolver "$K" $NAMES
is "$out" "$ZOUT" "knot: the same answers as the zone file, name for name"
udp1=$(stat 'request-protocol\[udp4\]')
tcp1=$(stat 'request-protocol\[tcp4\]')
# Three of the fourteen names come again in another case or with a dot:
# the cache answers them.  huge alone goes on to TCP.
is "$((udp1 - udp0)):$((tcp1 - tcp0))" "11:1" \
    "knot: 11 queries over UDP, the answer over 1232 bytes again over TCP"

run "$DT" --resolver "$K" other.example
is "$out" "other.example temperror" "knot: REFUSED (not its zone) is temporary"
like "$err" "answered REFUSED" "  the reason says REFUSED"

# knot serving the root zone above: the same A, AAAA, MX and PTR answers,
# and the cache keeps one answer per name and type.
kill "$KNOT_PID" 2>/dev/null
wait "$KNOT_PID" 2>/dev/null
ok "knot serves the types zone" knot_start "$T/types.zone" .
K=127.0.0.1@$KNOT_PORT
udp0=$(stat 'request-protocol\[udp4\]')
run "$DT" --resolver "$K" $TYPES
is "$out" "$TYPES_OUT" "knot: the same A, AAAA, MX and PTR answers"
run "$DT" --resolver "$K" host.example/A Host.Example./A host.example/TXT \
    HOST.example/TXT host.example/AAAA host.example/A nope.example/A \
    nope.example/A
is "$out" "host.example/A ok 192.0.2.10 192.0.2.11
Host.Example./A ok 192.0.2.10 192.0.2.11
host.example/TXT ok 'v=spf1 a -all'
HOST.example/TXT ok 'v=spf1 a -all'
host.example/AAAA ok 2001:db8::10
host.example/A ok 192.0.2.10 192.0.2.11
nope.example/A nxdomain
nope.example/A nxdomain" "knot: a name asked for several types, each its own"
udp1=$(stat 'request-protocol\[udp4\]')
is "$((udp1 - udp0))" "$(($(echo $TYPES | wc -w) + 4))" \
    "knot: one query per name and type, NXDOMAIN cached too"

# The system resolver: /etc/resolv.conf pointing at knot on port 53, in
# private network and mount namespaces.
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null ||
    ! command -v ip >/dev/null || ! unshare -nm true 2>/dev/null; then
	skip 2 "no private namespaces here (unshare -nm, as root)"
	done_testing
fi
echo "nameserver 127.0.0.1" >"$T/resolv.conf"
run unshare -nm sh -c '
	ip link set lo up && mount --bind "$1" /etc/resolv.conf || exit 77
	. "$MX_SRCDIR/t/lib.sh"
	. "$MX_SRCDIR/t/knot.sh"
	knot_start "$2" example.org 53 >&2 || exit 1
	"$3" "$4" nope.example.org
' sh "$T/resolv.conf" "$ZONE" "$DT" "$SEL"
is "$rc" 0 "system resolver: knot on 127.0.0.1@53 in a private namespace"
is "$out" "$SEL ok '$KEY'
nope.example.org nxdomain" "system resolver: the same answers"

done_testing
