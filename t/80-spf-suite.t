#!/bin/sh
# The openspf RFC 7208 test suite that python3-spf ships, each scenario's
# zone data served by a real DNS server on loopback (t/data/spf-suite-dns.py,
# one port a scenario, by the rules of the suite's own driver).  The server
# is proved first: its answers follow those rules, and pyspf asking it
# passes every case.  Then every case through our SPF (t/unit/spf-check):
# a result the case accepts and, where it gives one, its explanation.
. "${MX_SRCDIR:-.}/t/lib.sh"

SUITE=${SPF_SUITE:-/usr/share/doc/python3-spf/rfc7208-tests.yml.gz}
[ -f "$SUITE" ] || skip_all "no SPF suite '$SUITE' (python3-spf)"
$PY -c 'import yaml, dns.resolver, spf' 2>/dev/null ||
    skip_all "python3-yaml, python3-dnspython or python3-spf not installed"

D=$MX_SRCDIR/t/data
# A case that waits for an answer that never comes costs this much; the
# cases run several at once.
TIMEOUT=2

daemon $PY "$D/spf-suite-dns.py" "$SUITE" "$T/ports"
i=0
while [ ! -f "$T/ports" ] && [ "$i" -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
ok "the server listens, a port for each scenario" test -s "$T/ports"
[ -s "$T/ports" ] || done_testing

port() {	# port SCENARIO: the port serving it (counted from 0)
	awk -v s="$1" '$1 == s { print $2 }' "$T/ports"
}

ask() {	# ask SCENARIO NAME TYPE [tcp]: rcode, then the answer sorted
	_p=$(port "$1")
	shift
	$PY "$D/spf-suite.py" probe "$_p" "$@" >"$T/ask" 2>&1
	{ head -n 1 "$T/ask"; tail -n +2 "$T/ask" | sort; } | tr '\n' '|'
}

# --- The server keeps the driver's rules -------------------------------
# Scenario 1 is "Record lookup", 13 "Macro expansion rules", 15 "Test
# cases from implementation bugs".
is "$(ask 1 both.example.net TXT)" 'NOERROR|both.example.net. TXT "v=spf1 -all"|' \
    "a name that lists TXT gets its TXT record, not the SPF one copied"
is "$(ask 1 BOTH.Example.NET TXT)" 'NOERROR|BOTH.Example.NET. TXT "v=spf1 -all"|' \
    "names match in any case"
is "$(ask 1 spfonly.example.net TXT)" 'NOERROR|' \
    "TXT: NONE: the name is there, without TXT"
is "$(ask 1 spfonly.example.net SPF)" \
    'NOERROR|spfonly.example.net. SPF "v=spf1 -all"|' \
    "an SPF record is served as type SPF too"
is "$(ask 1 spftimeout.example.net TXT)" \
    'NOERROR|spftimeout.example.net. TXT "v=spf1 -all"|' \
    "a type listed before TIMEOUT is answered"
is "$(ask 1 spftimeout.example.net A)" 'timeout|' \
    "a type not listed before TIMEOUT gets no answer"
is "$(ask 1 nothere.example.net TXT)" 'NXDOMAIN|' \
    "a name not listed does not exist"
is "$(ask 1 error.nothere.example.net TXT)" 'timeout|' \
    "a name not listed that starts with error. gets no answer"
is "$(ask 1 example.net TXT)" 'NOERROR|' \
    "a name above a listed one exists, without records"
is "$(ask 13 'macro%percent  space%20url-space.example.com' A)" \
    'NOERROR|macro%percent\032\032space%20url-space.example.com. A 1.2.3.4|' \
    "a label with spaces and % is served"
cname='NOERROR|a.example.org. TXT "A third TXT record."|a.example.org. TXT "Another TXT record."|a.example.org. TXT "More TXT records."|a.example.org. TXT "v=spf1 ip4:192.0.2.225 ?include:webmail.pair.com ?include:relay.pair.com -all"|b.example.org. CNAME a.example.org.|'
is "$(ask 15 b.example.org TXT)" "$cname" \
    "a CNAME comes with its target's records"
is "$(ask 15 b.example.org TXT tcp)" "$cname" "TCP gives the same answer"

# --- pyspf through the server -----------------------------------------
n=$($PY "$D/spf-suite.py" count "$SUITE")
is "$n" 203 "the suite holds its 203 cases"
$PY "$D/spf-suite.py" pyspf "$SUITE" "$T/ports" "$TIMEOUT" >"$T/pyspf"
is "$?:$(grep -c '^ok ' "$T/pyspf")" "0:$n" \
    "pyspf passes every case through the server"
grep -v '^ok ' "$T/pyspf" | sed 's/^/# /'

# --- Our SPF through the server ---------------------------------------
SPF_CHECK=$MX_BUILDDIR/t/unit/spf-check
if [ ! -x "$SPF_CHECK" ]; then
	skip "$n" "t/unit/spf-check not built"
	done_testing
fi
$PY "$D/spf-suite.py" ours "$SUITE" "$T/ports" "$TIMEOUT" "$SPF_CHECK" "$T" \
    >"$T/ours"
is "$(wc -l <"$T/ours")" "$n" "spf-check judged every case"
while read -r verdict; do
	case $verdict in
	"ok "*)
		_result 0 "spf-check ${verdict#ok }" ;;
	*)
		_result 1 "spf-check ${verdict#not ok }" ;;
	esac
done <"$T/ours"

done_testing
