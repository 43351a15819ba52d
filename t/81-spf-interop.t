#!/bin/sh
# common/spf.c through t/unit/spf-check beside pyspf (python3-spf) and
# Mail::SPF (libmail-spf-perl), all three asking one knot server on
# loopback, on cases of our own (the RFC 7208 suite is t/80's): every
# mechanism, macros, includes and redirects, explanations, the lookup
# limits, the HELO identity; and, beyond the peers, the time limit on a
# check (a server that stalls).  Each result must be pyspf's, and each
# explanation pyspf's where the record has exp=; Mail::SPF must agree too,
# but where it keeps RFC 4408 (the cases say which and why).
. "$MX_SRCDIR/t/lib.sh"
. "$MX_SRCDIR/t/knot.sh"

SC=$MX_BUILDDIR/t/unit/spf-check
[ -x "$SC" ] || skip_all "$SC not built"
need_knot
$PY -c 'import spf, dns.resolver' 2>/dev/null ||
    skip_all "pyspf not installed (python3-spf)"
perl -MMail::SPF -MNet::DNS -e 1 2>/dev/null ||
    skip_all "Mail::SPF not installed (libmail-spf-perl)"

# One root zone: names under test. and the reverse names for ptr and %{p}.
cat >"$T/spf.zone" <<'ZONE'
$ORIGIN .
$TTL 300
.		IN SOA	ns.test. hostmaster.test. 1 3600 600 86400 300
.		IN NS	ns.test.
ns.test.	IN A	127.0.0.1
$ORIGIN test.
ip		IN TXT	"v=spf1 ip4:192.0.2.0/25 ip6:2001:db8:1::/48 -all"
host		IN A	192.0.2.130
host		IN AAAA	2001:db8:2::1
acidr		IN TXT	"v=spf1 a:host.test/26//64 ~all"
mx		IN MX	10 host.test.
mx		IN MX	20 mx2.test.
mx		IN TXT	"v=spf1 mx/30 -all"
mx2		IN A	198.51.100.7
manymx		IN TXT	"v=spf1 mx -all"
manymx		IN MX	1 m1.test.
manymx		IN MX	2 m2.test.
manymx		IN MX	3 m3.test.
manymx		IN MX	4 m4.test.
manymx		IN MX	5 m5.test.
manymx		IN MX	6 m6.test.
manymx		IN MX	7 m7.test.
manymx		IN MX	8 m8.test.
manymx		IN MX	9 m9.test.
manymx		IN MX	10 m10.test.
manymx		IN MX	11 mx2.test.
ptr		IN TXT	"v=spf1 ptr -all"
mx2.ptr		IN A	198.51.100.7
ptr2		IN TXT	"v=spf1 ptr:other.example -all"
; ten names that do not give 198.51.100.8 back, then (knot answers in
; canonical order, the longer first label last) one that does
p1.ptr		IN A	198.51.100.99
p2.ptr		IN A	198.51.100.99
p3.ptr		IN A	198.51.100.99
p4.ptr		IN A	198.51.100.99
p5.ptr		IN A	198.51.100.99
p6.ptr		IN A	198.51.100.99
p7.ptr		IN A	198.51.100.99
p8.ptr		IN A	198.51.100.99
p9.ptr		IN A	198.51.100.99
p10.ptr		IN A	198.51.100.99
valid-name-last.ptr IN A	198.51.100.8
exists		IN TXT	"v=spf1 exists:%{ir}.%{l1r-}.lst.%{d} -all"
5.2.0.192.bob.lst.exists IN A 127.0.0.2
inc		IN TXT	"v=spf1 include:ip.test include:nospf.test -all"
nospf		IN TXT	"not an SPF record"
inc2		IN TXT	"v=spf1 -include:ip.test ?all"
redir		IN TXT	( "v=spf1 ip4:203.0.113.1 redirect=expfail.test"
			  " exp=wrong.test" )
expfail		IN TXT	"v=spf1 -all exp=why.%{d}"
why.expfail	IN TXT	"%{i} is not one of %{d}'s senders; ask %{S}"
wrong		IN TXT	"wrong explanation"
void		IN TXT	( "v=spf1 a:n1.void.test a:n2.void.test"
			  " a:n3.void.test +all" )
void2		IN TXT	"v=spf1 a:n1.void.test a:n2.void.test +all"
voidptr		IN TXT	"v=spf1 a:n1.void.test a:n2.void.test ptr +all"
lim		IN TXT	( "v=spf1 a:host.test a:host.test a:host.test"
			  " a:host.test a:host.test a:host.test a:host.test"
			  " a:host.test a:host.test a:host.test"
			  " include:ip.test -all" )
lim10		IN TXT	( "v=spf1 a:host.test a:host.test a:host.test"
			  " a:host.test a:host.test a:host.test a:host.test"
			  " a:host.test a:host.test include:ip.test -all" )
two		IN TXT	"v=spf1 -all"
two		IN TXT	"v=spf1 +all"
mod		IN TXT	"v=spf1 foo=%{d}.bar +all"
mod		IN TXT	"v=spf10 -all"
bad		IN TXT	"v=spf1 ip4:192.0.2.256 -all"
dupexp		IN TXT	"v=spf1 -all exp=a.test exp=b.test"
soft		IN TXT	"v=spf1 ~all"
neu		IN TXT	"v=spf1 ?all"
empty		IN TXT	"v=spf1"
helo		IN TXT	"v=spf1 a -all"
helo		IN A	192.0.2.20
upexp		IN TXT	"v=spf1 -all exp=up.test"
up		IN TXT	"see http://x.test/?s=%{S}&l=%{L} from %{C}"
pm		IN TXT	"v=spf1 -all exp=pexp.test"
pexp		IN TXT	"connect from %{p} for %{o}"
alias		IN CNAME ip.test.
nolp		IN TXT	"v=spf1 -all exp=lexp.test"
lexp		IN TXT	"%{l} at %{o}"

macros		IN TXT	"v=spf1 -all exp=mexp.test"
mexp		IN TXT	"%{d2} %{l} %{o1} %{ir} %{v} %{h} %%%_%-"
macros6		IN TXT	"v=spf1 -all exp=mexp6.test"
mexp6		IN TXT	"%{i} %{ir} %{v} %{c}"
delims		IN TXT	"v=spf1 -all exp=dexp.test"
dexp		IN TXT	"%{l-} %{l1r-} %{l2-+}"
$ORIGIN in-addr.arpa.
7.100.51.198	IN PTR	mx2.ptr.test.
7.100.51.198	IN PTR	other.example.
8.100.51.198	IN PTR	p1.ptr.test.
8.100.51.198	IN PTR	p2.ptr.test.
8.100.51.198	IN PTR	p3.ptr.test.
8.100.51.198	IN PTR	p4.ptr.test.
8.100.51.198	IN PTR	p5.ptr.test.
8.100.51.198	IN PTR	p6.ptr.test.
8.100.51.198	IN PTR	p7.ptr.test.
8.100.51.198	IN PTR	p8.ptr.test.
8.100.51.198	IN PTR	p9.ptr.test.
8.100.51.198	IN PTR	p10.ptr.test.
8.100.51.198	IN PTR	valid-name-last.ptr.test.
ZONE
ok "knot serves the zone" knot_start "$T/spf.zone" . ||
    { done_testing; exit; }

# DESCRIPTION|IP|MAIL FROM|HELO|FLAGS: exp (compare the explanation with
# both), exp-pyspf:WHY (with pyspf's; Mail::SPF's differs, and why),
# mailspf=RESULT:WHY (Mail::SPF's known other result, and why).
cat >"$T/cases" <<'CASES'
ip4 prefix: in|192.0.2.3|a@ip.test|mx.test|
ip4 prefix: out|192.0.2.200|a@ip.test|mx.test|
ip6 prefix: in|2001:db8:1:ff::9|a@ip.test|mx.test|
ip6 prefix: out|2001:db8:9::1|a@ip.test|mx.test|
IPv4-mapped client is IPv4|::ffff:192.0.2.3|a@ip.test|mx.test|
a with /26 prefix|192.0.2.129|a@acidr.test|mx.test|
a with /26 prefix, out|192.0.2.1|a@acidr.test|mx.test|
a with //64 prefix|2001:db8:2::ffff|a@acidr.test|mx.test|
mx with /30 prefix, first MX|192.0.2.131|a@mx.test|mx.test|
mx, second MX|198.51.100.7|a@mx.test|mx.test|
mx, no MX holds it|198.51.100.99|a@mx.test|mx.test|
more than 10 MX records|198.51.100.7|a@manymx.test|mx.test|
ptr, validated name under the target|198.51.100.7|a@ptr.test|mx.test|
ptr, a name that does not give the client back|198.51.100.7|a@ptr2.test|mx.test|
ptr, no PTR|192.0.2.77|a@ptr.test|mx.test|
ptr, the valid name is the 11th: ignored|198.51.100.8|a@ptr.test|mx.test|
exists with %{ir} and %{l1r-}|192.0.2.5|bob-smith@exists.test|mx.test|
exists, other local part|192.0.2.5|alice@exists.test|mx.test|
include pass|192.0.2.3|a@inc.test|mx.test|
include of a domain without SPF|203.0.113.9|a@inc.test|mx.test|
-include pass is fail|192.0.2.3|a@inc2.test|mx.test|
include no match|203.0.113.9|a@inc2.test|mx.test|
redirect: the target's exp, not ours|192.0.2.9|Joe@redir.test|mx.test|exp
redirect, matched before it|203.0.113.1|joe@redir.test|mx.test|
3 void lookups|192.0.2.3|a@void.test|mx.test|
2 void lookups, at the limit|192.0.2.3|a@void2.test|mx.test|
no PTR is the 3rd void lookup|192.0.2.3|a@voidptr.test|mx.test|
11 lookups|192.0.2.3|a@lim.test|mx.test|
10 lookups|192.0.2.3|a@lim10.test|mx.test|
two SPF records|192.0.2.3|a@two.test|mx.test|
unknown modifier, v=spf10 no record|192.0.2.3|a@mod.test|mx.test|
ip4 address out of range|192.0.2.3|a@bad.test|mx.test|
exp twice|192.0.2.3|a@dupexp.test|mx.test|
softfail|192.0.2.3|a@soft.test|mx.test|
neutral|192.0.2.3|a@neu.test|mx.test|
empty record|192.0.2.3|a@empty.test|mx.test|
TXT but no SPF|192.0.2.3|a@nospf.test|mx.test|
no such domain|192.0.2.3|a@nxdomain.test|mx.test|
null sender: HELO pass|192.0.2.20||helo.test|
null sender: HELO fail|192.0.2.21||helo.test|
null sender, HELO an address literal|192.0.2.21||[192.0.2.21]|
URL-escaped macros in exp|192.0.2.1|a+b@upexp.test|mx.test|exp
%{p} in exp|198.51.100.7|x@pm.test|mx.test|exp
%{p} in exp, no PTR|192.0.2.1|x@pm.test|mx.test|exp
transformers in exp|192.0.2.1|first-last@macros.test|c.test|exp
delimiters in exp: parts joined with dots|192.0.2.1|a-b+c-d@delims.test|c.test|exp-pyspf:Mail::SPF joins them with the delimiters it split them at, RFC 7208 7.3 with dots
IPv6 %{i} and %{v} in exp|2001:db8::1|first-last@macros6.test|c.test|exp-pyspf:Mail::SPF writes the nibbles of %{i} in lower case, pyspf and the RFC 7208 suite in upper case
CNAME to a record|192.0.2.3|a@alias.test|mx.test|
no local part: postmaster|192.0.2.200|@nolp.test|mx.test|exp
CASES

cut -d'|' -f2-4 "$T/cases" | tr '|' '\t' >"$T/in"
$PY "$MX_SRCDIR/t/data/spf-pyspf" "$KNOT_PORT" mx.receiver.test <"$T/in" \
    >"$T/py" 2>"$T/py.err"
ok "pyspf ran every case" test "$(wc -l <"$T/py")" -eq \
    "$(wc -l <"$T/in")"
perl "$MX_SRCDIR/t/data/spf-mailspf" "$KNOT_PORT" mx.receiver.test \
    <"$T/in" >"$T/pl" 2>"$T/pl.err"
ok "Mail::SPF ran every case" test "$(wc -l <"$T/pl")" -eq \
    "$(wc -l <"$T/in")"

TAB=$(printf '\t')
i=0
while IFS='|' read -r desc ip from helo flags; do
	i=$((i + 1))
	py=$(sed -n "${i}p" "$T/py")
	pl=$(sed -n "${i}p" "$T/pl")
	spf_result= spf_smtp_comment=
	eval "$("$SC" --resolver "127.0.0.1@$KNOT_PORT" --ip "$ip" \
	    --mail-from "$from" --helo "$helo" --receiver mx.receiver.test)"
	is "$spf_result" "${py%%"$TAB"*}" "$desc: $spf_result, as pyspf"
	case $flags in
	exp*)	is "$spf_smtp_comment" "${py#*"$TAB"}" \
		    "$desc: the explanation, as pyspf" ;;
	esac
	case $flags in
	*mailspf=*)
		want=${flags#*mailspf=}
		is "${pl%%"$TAB"*}" "${want%%:*}" \
		    "$desc: Mail::SPF ${want%%:*} (${want#*:})" ;;
	*)	is "$spf_result" "${pl%%"$TAB"*}" "$desc: as Mail::SPF" ;;
	esac
	case $flags in
	exp)	is "$spf_smtp_comment" "${pl#*"$TAB"}" \
		    "$desc: the explanation, as Mail::SPF" ;;
	exp-pyspf:*)
		isnt "$spf_smtp_comment" "${pl#*"$TAB"}" \
		    "$desc: Mail::SPF's explanation differs (${flags#*:})" ;;
	esac
done <"$T/cases"

# The comments in the shape Exim's (libspf2's) spf_header_comment has.
# comment IP MAIL-FROM HELO WANT
comment() {
	run "$SC" --resolver "127.0.0.1@$KNOT_PORT" --ip "$1" \
	    --mail-from "$2" --helo "$3" --receiver mx.receiver.test
	eval "$out"
	is "$spf_header_comment" "mx.receiver.test: $4" \
	    "spf_header_comment on $spf_result"
}
comment 192.0.2.3 a@ip.test mx.test \
    "domain of a@ip.test designates 192.0.2.3 as permitted sender"
comment 192.0.2.200 a@ip.test mx.test \
    "domain of a@ip.test does not designate 192.0.2.200 as permitted sender"
comment 192.0.2.1 a@acidr.test mx.test "transitioning domain of \
a@acidr.test does not designate 192.0.2.1 as permitted sender"
comment 192.0.2.1 a@neu.test mx.test \
    "192.0.2.1 is neither permitted nor denied by domain of a@neu.test"
comment 192.0.2.1 a@nospf.test mx.test \
    "domain of a@nospf.test does not designate permitted sender hosts"
comment 192.0.2.1 a@bad.test mx.test \
    "error in processing during lookup of a@bad.test: bad SPF record"
comment 192.0.2.1 "" helo.test \
    "domain of postmaster@helo.test does not designate 192.0.2.1 as \
permitted sender"
is "$spf_used_domain" helo.test "null sender: the HELO name is the domain"
is "$spf_smtp_comment" "192.0.2.1 is not allowed to send mail as \
postmaster@helo.test (SPF fail)" "  the default explanation without exp="

# Beyond the peers: RFC 7208 4.6.4's time limit on a whole check.  A
# server that answers the record and the PTR names but never the names'
# addresses: each lookup times out, and the ptr term skips it; past the
# limit the check is a temperror.  192.0.2.1 has 10 PTR names, 192.0.2.2
# two.
cat >"$T/stall.py" <<'PY'
import os
import socket
import sys

import dns.message
import dns.rdatatype
import dns.rrset

s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(str(s.getsockname()[1]))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    data, peer = s.recvfrom(4096)
    q = dns.message.from_wire(data)
    name = q.question[0].name.to_text().lower()
    qtype = q.question[0].rdtype
    r = dns.message.make_response(q)
    if qtype == dns.rdatatype.TXT and name == "stall.test.":
        r.answer.append(dns.rrset.from_text(name, 300, "IN", "TXT",
                                            '"v=spf1 ptr -all"'))
    elif qtype == dns.rdatatype.PTR:
        n = 10 if name.startswith("1.2.0.192.") else 2
        r.answer.append(dns.rrset.from_text(
            name, 300, "IN", "PTR",
            *["n%d.stall.test." % i for i in range(n)]))
    else:
        continue
    s.sendto(r.to_wire(), peer)
PY
daemon "$PY" "$T/stall.py" "$T/stall.port"
i=0
while [ ! -s "$T/stall.port" ] && [ "$i" -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
STALL=127.0.0.1@$(cat "$T/stall.port" 2>/dev/null)
ms() {
	echo $(($(date +%s%N) / 1000000))
}
t0=$(ms)
run "$SC" --resolver "$STALL" --timeout 1 --time-limit 30 --ip 192.0.2.2 \
    --mail-from a@stall.test
t=$(($(ms) - t0))
like "$out" "spf_result=fail" "two PTR names that time out: skipped, fail"
ok "  after their two timeouts ($t ms)" test "$t" -ge 1900 -a "$t" -lt 4000
t0=$(ms)
run "$SC" -v --resolver "$STALL" --timeout 1 --time-limit 3 \
    --ip 192.0.2.1 --mail-from a@stall.test
t=$(($(ms) - t0))
like "$out" "spf_result=temperror" "ten that time out: the time limit, temperror"
ok "  once the limit has passed ($t ms)" test "$t" -ge 2900 -a "$t" -lt 5000
is "$err" "spf-check: the check took more than 3 s" "  -v says why"
run "$SC" --time-limit 0 --ip 192.0.2.1 --mail-from a@stall.test
is "$rc:$out" 64: "--time-limit 0 is refused"

done_testing
