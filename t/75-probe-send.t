#!/bin/sh
# smtp-probe --send's delivery (common/send.c): recipients split into
# transactions by RCPTMAX and RCPTDOMAINMAX (send_plan through
# t/unit/send-plan), then delivered through the scripted server and Exim.
. "${MX_SRCDIR:-.}/t/lib.sh"
SP=$MX_BUILDDIR/t/unit/send-plan
[ -x "$SP" ] || skip_all "t/unit/send-plan not built"

# plan NAME OPTIONS... : the plan of the recipients in $T/rcpt against
# the expected one on the test's stdin.
plan() {
	_name=$1
	shift
	cat >"$T/want"
	"$SP" "$@" <"$T/rcpt" >"$T/got" 2>"$T/err"
	same "$T/got" "$T/want" "plan: $_name"
}

cat >"$T/rcpt" <<'EOF'
a@x.example
b@y.example
c@X.Example
d@z.example
e@y.example
f@x.example
EOF

plan "no limit: one transaction" <<'EOF'
transactions=1
0: a@x.example b@y.example c@X.Example d@z.example e@y.example f@x.example
EOF
plan "limits of 0 are none" --rcptmax 0 --rcptdomainmax 0 <<'EOF'
transactions=1
0: a@x.example b@y.example c@X.Example d@z.example e@y.example f@x.example
EOF
plan "RCPTMAX 2: three, a domain's recipients together" --rcptmax 2 <<'EOF'
transactions=3
0: a@x.example c@X.Example
1: b@y.example f@x.example
2: d@z.example e@y.example
EOF
plan "RCPTMAX 4: a domain split only where a transaction fills" \
    --rcptmax 4 <<'EOF'
transactions=2
0: a@x.example b@y.example c@X.Example f@x.example
1: d@z.example e@y.example
EOF
plan "RCPTMAX above the count: one" --rcptmax 100 <<'EOF'
transactions=1
0: a@x.example b@y.example c@X.Example d@z.example e@y.example f@x.example
EOF
plan "RCPTDOMAINMAX 1: one domain each, never split" \
    --rcptdomainmax 1 <<'EOF'
transactions=3
0: a@x.example c@X.Example f@x.example
1: b@y.example e@y.example
2: d@z.example
EOF
plan "RCPTDOMAINMAX 2" --rcptdomainmax 2 <<'EOF'
transactions=2
0: a@x.example b@y.example c@X.Example e@y.example f@x.example
1: d@z.example
EOF
plan "both: RCPTMAX 3 and RCPTDOMAINMAX 2" --rcptmax 3 \
    --rcptdomainmax 2 <<'EOF'
transactions=2
0: a@x.example c@X.Example f@x.example
1: b@y.example d@z.example e@y.example
EOF
plan "both: RCPTDOMAINMAX binding after a RCPTMAX split" --rcptmax 2 \
    --rcptdomainmax 1 <<'EOF'
transactions=4
0: a@x.example c@X.Example
1: f@x.example
2: b@y.example e@y.example
3: d@z.example
EOF
plan "RCPTMAX 1: one recipient each, in domain order" --rcptmax 1 <<'EOF'
transactions=6
0: a@x.example
1: c@X.Example
2: f@x.example
3: b@y.example
4: e@y.example
5: d@z.example
EOF

printf 'postmaster\nPostmaster\nu@v.example\n' >"$T/rcpt"
plan "a bare local part is a domain of its own" --rcptdomainmax 1 <<'EOF'
transactions=2
0: postmaster Postmaster
1: u@v.example
EOF

: >"$T/rcpt"
plan "no recipients: no transaction" --rcptmax 2 <<'EOF'
transactions=0
EOF

# 1000 recipients over 7 domains, then over 100: every transaction within
# both limits, each recipient in exactly one, as few as the grouped order
# allows.
# many N DOMAINS RCPTMAX RCPTDOMAINMAX TRANSACTIONS DESCRIPTION
many() {
	i=0
	while [ $i -lt "$1" ]; do
		echo "u$i@d$((i % $2)).example"
		i=$((i + 1))
	done >"$T/rcpt"
	"$SP" --rcptmax "$3" --rcptdomainmax "$4" <"$T/rcpt" >"$T/got"
	is "$(awk 'NR > 1 { n += NF - 1 } END { print n }' "$T/got")" "$1" \
	    "$7: each recipient planned once"
	is "$(awk -v m="$3" 'NR > 1 && NF - 1 > m' "$T/got")" "" \
	    "$7: RCPTMAX held"
	is "$(awk -v m="$4" 'NR > 1 { split("", d); k = 0
		for (i = 2; i <= NF; i++) { sub(/.*@/, "", $i)
		if (!($i in d)) k++; d[$i] } if (k > m) print }' "$T/got")" \
	    "" "$7: RCPTDOMAINMAX held"
	is "$(head -n 1 "$T/got")" "transactions=$5" "$7: $5 transactions"
}
# 143 or 142 a domain: RCPTMAX binds, 1000 / 40.
many 1000 7 40 3 25 "1000 over 7 domains"
# 10 a domain: RCPTDOMAINMAX binds, 2 domains (20) a transaction.
many 1000 100 25 2 50 "1000 over 100 domains"

done_testing
