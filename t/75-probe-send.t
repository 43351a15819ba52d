#!/bin/sh
# smtp-probe --send's delivery (common/send.c): recipients split into
# transactions by RCPTMAX and RCPTDOMAINMAX (send_plan through
# t/unit/send-plan), then delivered by send_run (t/unit/send-run) through
# the scripted server, whose log shows each transaction's envelope and
# which commands came in one read, and through Exim, whose mailbox holds
# the message byte for byte.
. "${MX_SRCDIR:-.}/t/lib.sh"
SP=$MX_BUILDDIR/t/unit/send-plan
SR=$MX_BUILDDIR/t/unit/send-run
SS=$MX_SRCDIR/t/data/smtp-script-server
for _p in "$SP" "$SR"; do
	[ -x "$_p" ] || skip_all "${_p#"$MX_BUILDDIR/"} not built"
done

# plan NAME OPTIONS... : the plan of the recipients in $T/rcpt against
# the expected one on the test's stdin.
plan() {
	_name=$1
	shift
	cat >"$T/want"
	"$SP" "$@" <"$T/rcpt" >"$T/got" 2>"$T/err"
	same "$T/got" "$T/want" "plan: $_name"
	# send_run's walk, one transaction at a time: send_plan_first
	# gives what send_plan's first transaction gave
	"$SP" --walk "$@" <"$T/rcpt" >"$T/walk" 2>"$T/err"
	"$SP" --first "$@" <"$T/rcpt" >"$T/got" 2>"$T/err"
	same "$T/got" "$T/walk" "plan, send_plan_first's walk: $_name"
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
	_many=$7
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
	"$SP" --walk --rcptmax "$3" --rcptdomainmax "$4" <"$T/rcpt" \
	    >"$T/walk"
	"$SP" --first --rcptmax "$3" --rcptdomainmax "$4" <"$T/rcpt" \
	    >"$T/first"
	same "$T/first" "$T/walk" "$_many: send_plan_first's walk"
}
# 143 or 142 a domain: RCPTMAX binds, 1000 / 40.
many 1000 7 40 3 25 "1000 over 7 domains"
# 10 a domain: RCPTDOMAINMAX binds, 2 domains (20) a transaction.
many 1000 100 25 2 50 "1000 over 100 domains"

# --- delivery through the scripted server ---

# srv NAME OPTIONS...: the scripted server on a free port (on $PORT with
# KEEP_PORT=1), its log $LOG, the messages it took in $T/NAME/md.
srv() {
	_sd=$T/$1
	shift
	mkdir -p "$_sd/md"
	[ -n "${KEEP_PORT-}" ] || PORT=$(free_port)
	daemon "$PY" "$SS" --listen "127.0.0.1:$PORT" --log "$_sd/log" \
	    --maildir "$_sd/md" "$@"
	SPID=$!
	MD=$_sd/md
	LOG=$_sd/log
	wait_port "$PORT" || { echo "Bail out! no scripted server"; exit 1; }
}
srv_stop() {
	kill "$SPID"
	wait "$SPID" 2>/dev/null
}
# snd OPTIONS...: the message $T/msg from s@a.example to the server.
snd() {
	run "$SR" --timeout 5 --from s@a.example "$@" 127.0.0.1 "$PORT" \
	    <"$T/msg"
}
# The server's view: each transaction's envelope (code, sender,
# recipients), one a line; the sessions that said EHLO; the commands of
# a session given by its first word ("MAIL", "RCPT"...) with the read
# they came in.
envs() { sed -n 's/^[0-9]* envelope //p' "$LOG"; }
sessions() { awk '$2 == "cmd" && $4 == "EHLO" { print $1 }' "$LOG" |
    sort -u | wc -l | tr -d ' '; }
cmds() { awk '$2 == "cmd" { $1 = $2 = ""; print substr($0, 3) }' "$LOG"; }
state() { sed -n "s/^$1 state=\([a-z]*\) code=\([0-9]*\).*/\1 \2/p" \
    "$T/out"; }
field() { sed -n "s/^$1=//p" "$T/out"; }

# A message with lines a DATA must stuff: a leading dot, a lone dot, two.
cat >"$T/msg" <<'EOF'
Subject: limits
To: many

.leading dot
.
..two
last line
EOF
awk '{ printf "%s\r\n", $0 }' "$T/msg" >"$T/msg.crlf"

srv limits --ehlo-line PIPELINING --ehlo-line CHUNKING \
    --ehlo-line 'LIMITS RCPTMAX=2'
snd --to a@x.example --to b@y.example --to c@x.example \
    --to d@y.example --to e@z.example
is "$rc" 0 "RCPTMAX=2: exit 0, all accepted"
is "$(envs)" "250 s@a.example a@x.example c@x.example
250 s@a.example b@y.example d@y.example
250 s@a.example e@z.example" "RCPTMAX=2: three transactions by domain"
is "$(sessions)" 1 "RCPTMAX=2: one session"
is "$(field transactions) $(field accepted)" "3 5" \
    "RCPTMAX=2: send_run counts three transactions, five accepted"
is "$(cmds | grep -c RSET)" 0 "RCPTMAX=2: no RSET between whole ones"
# With PIPELINING and CHUNKING a transaction is one flight: MAIL, the
# RCPTs and BDAT with the message in one read.
is "$(cmds | awk '/^[0-9]+ (MAIL|RCPT|BDAT)/ { r[$1]++ }
    END { for (k in r) print r[k] }' | sort | tr '\n' ' ')" "3 4 4 " \
    "RCPTMAX=2: each transaction in one read (4, 4 and 3 commands)"
n=0
for f in "$MD"/msg-*; do
	cmp -s "$f" "$T/msg.crlf" && n=$((n + 1))
done
is "$n" 3 "BDAT: the three messages as sent, CRLF, no stuffing"
srv_stop

srv domains --ehlo-line PIPELINING --ehlo-line 'LIMITS RCPTDOMAINMAX=1'
snd --to a@x.example --to b@y.example --to c@X.example
is "$(envs)" "250 s@a.example a@x.example c@X.example
250 s@a.example b@y.example" "RCPTDOMAINMAX=1: a transaction per domain"
srv_stop

# MAILMAX: a new session for the rest; the server holds to it too (a
# MAIL past it gets 421 and a close).
srv mailmax --ehlo-line PIPELINING \
    --ehlo-line 'LIMITS MAILMAX=2 RCPTMAX=1' --mailmax 2
snd --to a@x.example --to b@x.example --to c@x.example
is "$rc" 0 "MAILMAX=2: all accepted"
is "$(sessions)" 2 "MAILMAX=2, 3 transactions: a second session"
is "$(envs | wc -l | tr -d ' ')" 3 "MAILMAX=2: three transactions"
is "$(sed -n 's/^.*@.* session=\([0-9]\) trans=\([0-9]\).*/\1.\2/p' \
    "$T/out" | tr '\n' ' ')" "0.0 0.1 1.0 " "MAILMAX=2: session and transaction of each"
is "$(field sessions)" 2 "MAILMAX=2: send_run says two sessions"
srv_stop

# A 452 after 2 with no LIMITS said: the rest in a new transaction.
srv r452 --ehlo-line PIPELINING --rcpt-452-after 2
snd --to a@x.example --to b@x.example --to c@x.example --to d@x.example \
    --to e@x.example
is "$rc" 0 "452 after 2: all accepted in the end"
is "$(envs)" "250 s@a.example a@x.example b@x.example
250 s@a.example c@x.example d@x.example
250 s@a.example e@x.example" "452 after 2: 2, 2, 1"
is "$(sessions)" 1 "452 after 2: in one session"
srv_stop

# 452 without PIPELINING: the RCPTs after the 452 are not sent at all.
srv r452lock --ehlo-line 8BITMIME --rcpt-452-after 1
snd --to a@x.example --to b@x.example --to c@x.example
is "$(envs | wc -l | tr -d ' ')" 3 "lockstep 452: one a transaction"
is "$(cmds | grep -c RCPT)" 5 "lockstep 452: 5 RCPTs, not 3 + 2 + 1"
# Without PIPELINING each command waits: no two in one read.
is "$(cmds | awk '{ print $1 }' | uniq -d)" "" "lockstep: a read a command"
# Without CHUNKING: DATA, the message dot-stuffed, un-stuffed by the
# server into what was sent.
is "$(cmds | grep -c '^[0-9]* DATA$')" 3 "no CHUNKING: DATA"
ok "DATA: the message arrives as sent, dots and all" \
    cmp -s "$MD/msg-0001" "$T/msg.crlf"
srv_stop

# Per recipient: a 5xx refused, a 4xx deferred, the rest accepted; a
# deferral outranks a refusal (exit 75).
srv mixed --ehlo-line PIPELINING \
    --rcpt-reply 'no@x.example=550 5.1.1 no such user' \
    --rcpt-reply 'later@x.example=451 4.3.0 try later'
snd --to a@x.example --to no@x.example --to later@x.example
is "$rc" 75 "4xx and 5xx: exit 75"
is "$(state a@x.example)" "accepted 250" "4xx and 5xx: the good one accepted"
is "$(state no@x.example)" "refused 550" "550: refused"
is "$(state later@x.example)" "deferred 451" "451: deferred"
like "$(grep '^no@' "$T/out")" "reply='5.1.1 no such user'" \
    "the reply that decided, as the server said it"
snd --to a@x.example --to no@x.example
is "$rc" 1 "a 5xx and no 4xx: exit 1"
like "$(cmds | grep MAIL | tail -n 1)" "MAIL FROM:<s@a.example>$" \
    "neither SIZE nor 8BITMIME offered: MAIL without parameters"
srv_stop

# RSET only when a transaction is left open: here the first one (MAIL
# taken, its only RCPT refused, DATA refused) before the second.
srv rset --ehlo-line PIPELINING --ehlo-line 'LIMITS RCPTDOMAINMAX=1' \
    --rcpt-reply 'no@x.example=550 5.1.1 no such user'
snd --to no@x.example --to b@y.example --to c@z.example
is "$(cmds | sed 's/^[0-9]* //' | grep -E '^(RSET|MAIL)' |
    sed 's/ FROM.*//' | tr '\n' ' ')" "MAIL RSET MAIL MAIL " \
    "RSET after the transaction left open only, in the next flight"
is "$(state b@y.example) $(state c@z.example)" "accepted 250 accepted 250" \
    "after the RSET: delivered"
srv_stop

# The message's reply decides: 451 to the data defers every recipient.
srv data451 --ehlo-line PIPELINING --data-reply '451 4.3.0 disk full'
snd --to a@x.example --to b@y.example
is "$rc $(state a@x.example) $(state b@y.example)" \
    "75 deferred 451 deferred 451" "451 to the data: all deferred"
srv_stop

# A session dying in the middle: the server closes at the second MAIL
# (421) while the RCPTs of that flight wait; the first transaction's
# recipient stays accepted, the rest are deferred with why.
srv dying --ehlo-line PIPELINING --ehlo-line 'LIMITS RCPTMAX=1' \
    --mailmax 1
snd --to a@x.example --to b@x.example --to c@x.example
is "$rc" 75 "session dies mid-transaction: exit 75"
is "$(state a@x.example)" "accepted 250" "the first transaction delivered"
is "$(state b@x.example | cut -d ' ' -f 1) $(state c@x.example |
    cut -d ' ' -f 1)" "deferred deferred" "the rest deferred"
# Each undecided recipient deferred with the reply that ended the
# session, not the command the close was seen at.
is "$(grep -c "code=421 .*reply='4.7.0 too many transactions in one session'" \
    "$T/out")" 2 "the rest deferred with the 421 that ended the session"
srv_stop

# A 552 for too many recipients (RFC 5321 4.5.3.1.10: 5.5.3, or said in
# its text) is taken as the 452: the rest in a new transaction; another
# 552 (mailbox full) still refuses.
n=0
for r552 in '552 5.5.3 too many recipients' '552 Too many recipients'; do
	n=$((n + 1))
	srv "r552-$n" --ehlo-line PIPELINING --rcpt-452-after 2 \
	    --rcpt-over-reply "$r552" \
	    --rcpt-reply 'full@x.example=552 5.2.2 mailbox full'
	snd --to a@x.example --to b@x.example --to c@x.example \
	    --to d@x.example --to e@x.example
	is "$rc $(envs | tr '\n' ' ')" "0 250 s@a.example a@x.example \
b@x.example 250 s@a.example c@x.example d@x.example 250 s@a.example \
e@x.example " "$r552: the rest in new transactions, all accepted"
	srv_stop
done
srv r552full --ehlo-line PIPELINING \
    --rcpt-reply 'full@x.example=552 5.2.2 mailbox full'
snd --to a@x.example --to full@x.example
is "$rc $(state full@x.example)" "1 refused 552" "552 5.2.2: refused"
srv_stop
srv r552lock --ehlo-line 8BITMIME --rcpt-452-after 1 \
    --rcpt-over-reply '552 5.5.3 too many recipients'
snd --to a@x.example --to b@x.example
is "$rc $(envs | wc -l | tr -d ' ')" "0 2" \
    "lockstep 552 5.5.3: a second transaction, all accepted"
srv_stop

# A recipient given twice goes once (the domain compared without case,
# the local part exactly), and is listed once.
srv dup --ehlo-line PIPELINING
snd --to a@x.example --to a@X.EXAMPLE --to A@x.example --to a@x.example
is "$rc $(envs)" "0 250 s@a.example a@x.example A@x.example" \
    "a recipient twice: sent once, A@ is another"
is "$(grep -c ' state=' "$T/out") $(field accepted)" "2 2" \
    "a recipient twice: listed once"
srv_stop

# A non-ASCII address and no SMTPUTF8 offered (RFC 6531 3.4): that
# recipient refused unsent; a non-ASCII sender: nothing sent.
srv utf8 --ehlo-line PIPELINING
snd --to "$(printf 'j\303\274rg@x.example')" --to b@x.example
is "$rc $(grep -c "state=refused code=0 .*5.6.7" "$T/out")" "1 1" \
    "a non-ASCII recipient, no SMTPUTF8: refused"
is "$(cmds | grep -c RCPT) $(envs)" "1 250 s@a.example b@x.example" \
    "only the ASCII recipient sent"
run "$SR" --timeout 5 --from "$(printf 's\303\251@a.example')" \
    --to b@x.example 127.0.0.1 "$PORT" <"$T/msg"
is "$rc $(grep -c "state=refused code=0 .*5.6.7" "$T/out")" "1 1" \
    "a non-ASCII sender, no SMTPUTF8: refused"
is "$(cmds | grep -c MAIL)" 1 "no MAIL sent for it"
srv_stop
srv utf8ok --ehlo-line PIPELINING --ehlo-line SMTPUTF8
snd --to "$(printf 'j\303\274rg@x.example')"
like "$rc $(cmds | grep MAIL)" "^0 .* SMTPUTF8\$" \
    "with SMTPUTF8 offered: sent, MAIL says SMTPUTF8"
srv_stop

# What is kept of RCPT replies is bounded: 200 recipients each answered
# with 512 lines of 4000 bytes (400 MB in all) do not make the client
# hold them all until the transaction ends.
rm -f "$T/rcpts"
i=0
while [ $i -lt 200 ]; do
	printf -- '--to\nu%d@x.example\n' $i
	i=$((i + 1))
done >"$T/rcpts"
srv fat --ehlo-line PIPELINING --rcpt-lines 512
# (ASan's quarantine would keep what was freed: a small one.)
# shellcheck disable=SC2046
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1 \
    run /usr/bin/time -f %M -o "$T/rss" "$SR" --timeout 20 \
    --from s@a.example $(cat "$T/rcpts") 127.0.0.1 "$PORT" <"$T/msg"
is "$rc $(field accepted)" "0 200" "fat RCPT replies: all accepted"
rss=$(tail -n 1 "$T/rss")
ok "fat RCPT replies: RSS ${rss} kB under 64 MB" [ "$rss" -lt 65536 ]
srv_stop

# SIZE and BODY=8BITMIME when offered and the data is 8-bit.
printf 'Subject: caf\303\251\n\nna\303\257ve\n' >"$T/msg8"
srv eight --ehlo-line PIPELINING --ehlo-line 'SIZE 1000' \
    --ehlo-line 8BITMIME
run "$SR" --from s@a.example --to a@x.example 127.0.0.1 "$PORT" \
    <"$T/msg8"
size=$(awk '{ printf "%s\r\n", $0 }' "$T/msg8" | wc -c | tr -d ' ')
like "$(cmds | grep MAIL)" \
    "MAIL FROM:<s@a.example> SIZE=$size BODY=8BITMIME\$" \
    "8-bit data: SIZE= (CRLF bytes) and BODY=8BITMIME"
srv_stop

# Early pipelining: the cache's first session fills it; the second sends
# the first transaction with EHLO before the banner: MAIL, the RCPTs and
# DATA, never BDAT with the message, even with CHUNKING cached (the
# message waits for the fresh EHLO reply).  Then the server
# lowers RCPTMAX and answers 452 past it: the early transaction was
# planned by cached limits the server no longer gives, so the session is
# abandoned before its message and opened again at once without early
# pipelining (probe_open), the plan made by the new RCPTMAX.
srv early --ehlo-line PIPELINING --ehlo-line CHUNKING \
    --ehlo-line PIPECONNECT --ehlo-line 'LIMITS RCPTMAX=5' \
    --banner-delay 200
snd --cache "$T/cache" --to a@x.example --to b@x.example --to c@x.example
is "$(grep '^session=0' "$T/out" | sed 's/ rtts.*//')" \
    "session=0 early=0 nearly=0" "first session: nothing early"
snd --cache "$T/cache" --to a@x.example --to b@x.example --to c@x.example
is "$rc $(grep '^session=0' "$T/out" | sed 's/ rtts.*//')" \
    "0 session=0 early=1 nearly=5" "cached: the transaction went early"
is "$(awk '$2 == "cmd" && $1 == 3 { print $3 }' "$LOG" | sort -u |
    head -n 1) $(awk '$2 == "early" && $1 == 3 { print ($3 > 0) }' "$LOG")" \
    "1 1" "the server had MAIL, RCPT and DATA before its banner"
is "$(awk '$1 == 3 && $2 == "cmd" && $3 == 1 { print $4 }' "$LOG" |
    tr '\n' ' ')" "EHLO MAIL RCPT RCPT RCPT DATA " \
    "one read: EHLO, MAIL, three RCPTs, DATA; no BDAT, no message"
is "$(awk '$1 == 3 && $2 == "envelope"' "$LOG" | wc -l | tr -d ' ')" 1 \
    "the early transaction delivered once, not sent again"
# What it saved: the banner's round trip, not the message's (BDAT would
# have carried it in the transaction's flight): rtts_plain is what the
# same send takes without early pipelining.
rp=$(sed -n 's/^session=0 .* rtts_plain=\([0-9]*\) .*/\1/p' "$T/out")
snd --no-early --to a@x.example --to b@x.example --to c@x.example
is "$rp" "$(sed -n 's/^session=0 .* rtts=\([0-9]*\) .*/\1/p' "$T/out")" \
    "early: rtts_plain is what a send without early pipelining took"
srv_stop
KEEP_PORT=1 srv early2 --ehlo-line PIPELINING --ehlo-line CHUNKING \
    --ehlo-line PIPECONNECT --ehlo-line 'LIMITS RCPTMAX=2' \
    --rcpt-452-after 2 --banner-delay 200
snd --cache "$T/cache" --to a@x.example --to b@x.example --to c@x.example
is "$rc" 0 "RCPTMAX lowered since the cache: all accepted"
is "$(envs)" "250 s@a.example a@x.example b@x.example
250 s@a.example c@x.example" \
    "RCPTMAX lowered: each recipient once, two transactions"
like "$(grep '^session=0' "$T/out")" "early=0 .*retried=1 cache='changed" \
    "the cache entry updated, the session opened again without early"
is "$(cmds | grep -c '^[0-9]* BDAT')" 2 \
    "nothing of the message went to the abandoned session"
srv_stop

# Early without CHUNKING: DATA goes early, the message after its 354.
srv earlydata --ehlo-line PIPELINING --ehlo-line PIPECONNECT \
    --banner-delay 200
snd --cache "$T/cache2" --to a@x.example
snd --cache "$T/cache2" --to a@x.example --to b@y.example
is "$rc $(grep '^session=0' "$T/out" | sed 's/ rtts.*//')" \
    "0 session=0 early=1 nearly=4" "early DATA: accepted, sent early"
is "$(awk '$1 == 3 && $2 == "cmd" && $3 == 1 { print $4 }' "$LOG" |
    tr '\n' ' ')" "EHLO MAIL RCPT RCPT DATA " "early DATA: one read"
ok "early DATA: the message as sent" cmp -s "$MD/msg-0002" "$T/msg.crlf"
srv_stop

# Through STARTTLS, the limits after TLS are the ones in force.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" \
    -out "$T/cert.pem" -days 2 -subj /CN=mx.test 2>/dev/null
srv tls --cert "$T/cert.pem" --key "$T/key.pem" \
    --ehlo-line PIPELINING --ehlo-line STARTTLS \
    --ehlo-line 'LIMITS RCPTMAX=5' \
    --ehlo-tls-line PIPELINING --ehlo-tls-line 'LIMITS RCPTMAX=1'
snd --tls require --to a@x.example --to b@x.example
is "$rc $(envs | wc -l | tr -d ' ')" "0 2" \
    "RCPTMAX=1 after STARTTLS (5 before): two transactions"
ok "the transactions went under TLS" grep -q ' tls TLS' "$LOG"
srv_stop

# A message that cannot go as it is: 65, nothing sent.
srv bad
printf '' >"$T/empty"
printf 'a\000b\n' >"$T/nul"
printf 'a\rb\n' >"$T/cr"
for f in empty nul cr; do
	run "$SR" --from s@a.example --to a@x.example 127.0.0.1 "$PORT" \
	    <"$T/$f"
	is "$rc" 65 "a message $f: 65"
done
is "$(cmds | grep -c MAIL)" 0 "nothing sent for them"
# An address that would break the command line is refused unsent.
run "$SR" --from s@a.example --to "$(printf 'a@x.example\r\nRSET')" \
    --to b@x.example 127.0.0.1 "$PORT" <"$T/msg"
is "$rc $(grep -c 'state=refused code=0 .*not an address' "$T/out")" "1 1" \
    "an address with a CRLF in it: refused, not sent"
is "$(cmds | grep -c RSET) $(envs)" "0 250 s@a.example b@x.example" \
    "the other delivered, nothing injected"
# A message with CRLF line ends already goes as it is.
run "$SR" --from s@a.example --to c@x.example 127.0.0.1 "$PORT" \
    <"$T/msg.crlf"
ok "CRLF input: the message as it was" cmp -s "$MD/msg-0002" "$T/msg.crlf"
srv_stop

# The scripted server answers as Exim would where a wrong client could
# otherwise pass: BDAT without CHUNKING offered is 503 and its data read
# as commands, MAIL inside a transaction 503, SIZE enforced.
# talk LINE...: the lines in one write, then QUIT; the reply codes.
talk() {
	"$PY" - "$PORT" "$@" <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.sendall("".join(l + "\r\n" for l in sys.argv[2:] + ["QUIT"]).encode())
b = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    b += d
print(" ".join(l[:3].decode() for l in b.split(b"\r\n")
               if l[3:4] == b" "))
EOF
}
srv exim-like --ehlo-line PIPELINING --ehlo-line 'SIZE 100'
is "$(talk 'EHLO c' 'MAIL FROM:<s@a.example>' 'RCPT TO:<r@x.example>' \
    'BDAT 10 LAST' 'RSET' 'MAIL FROM:<f@x.example>')" \
    "220 250 250 250 503 250 250 221" \
    "no CHUNKING: BDAT 503, the data read as commands"
is "$(talk 'EHLO c' 'MAIL FROM:<s@a.example>' 'MAIL FROM:<t@a.example>')" \
    "220 250 250 503 221" "MAIL inside a transaction: 503"
is "$(talk 'EHLO c' 'MAIL FROM:<s@a.example> SIZE=101' \
    'MAIL FROM:<s@a.example> SIZE=100')" "220 250 552 250 221" \
    "MAIL SIZE= over SIZE: 552"
is "$(talk 'EHLO c' 'MAIL FROM:<s@a.example>' 'RCPT TO:<r@x.example>' \
    DATA "$(awk 'BEGIN { while (i++ < 101) printf "x" }')" .)" \
    "220 250 250 250 354 552 221" "a message over SIZE: 552"
srv_stop

# And its replies are not held by Nagle: a lockstep send under TLS (13
# round trips on loopback) takes a few ms, not the 40 ms of a delayed ACK.
srv nodelay --cert "$T/cert.pem" --key "$T/key.pem" \
    --ehlo-line STARTTLS --ehlo-line 8BITMIME
best=
for i in 1 2 3; do
	snd --tls require --to a@x.example --to b@x.example --to c@x.example
	ms=$(field ms)
	[ -n "$best" ] && [ "$best" -le "$ms" ] || best=$ms
done
ok "TCP_NODELAY: a lockstep send under TLS in ${best} ms, under 35" \
    [ "$best" -lt 35 ]
srv_stop

# --- delivery through Exim 4.96 ---
# recipients_max 2 and no LIMITS: Exim answers 452 past 2, the rest go in
# new transactions; each message arrives byte for byte as sent (Exim
# keeps LF line ends), through BDAT and, with CHUNKING off, through DATA
# with its dot-stuffing.
if [ ! -x "${EXIM:-/usr/sbin/exim4}" ] || [ "$(id -u)" -ne 0 ]; then
	skip 18 "exim4 not installed, or not root (a -C file)"
	done_testing
fi
. "$MX_SRCDIR/t/exim-smtp.sh"
# exim_send NAME OPTIONS...: Exim as OPTIONS say, five recipients to it.
exim_send() {
	_en=$1
	shift
	exim_smtp_start "$T/$_en" "$@" >"$T/$_en.err" 2>&1 ||
	    { cat "$T/$_en.err"; echo "Bail out! exim did not start"; exit 1; }
	run "$SR" --timeout 5 --from s@a.example --to a@x.example \
	    --to b@x.example --to c@y.example --to d@y.example \
	    --to e@z.example 127.0.0.1 "$EXIM_PORT" <"$T/msg"
	exim_smtp_wait_mail 3 || diag "exim delivered $(exim_smtp_mail |
	    wc -l) of 3"
}
exim_same() {	# exim_same DESCRIPTION: every message as sent
	_ek=0
	for f in $(exim_smtp_mail); do
		cmp -s "$f" "$T/msg" && _ek=$((_ek + 1))
	done
	is "$_ek" 3 "$1"
}
exim_send exim-bdat --recipients-max 2 --no-tls
is "$rc $(field accepted)" "0 5" "exim recipients_max 2: all five accepted"
is "$(field transactions)" 3 "exim: 452 past 2, so three transactions"
is "$(grep -c ' <= s@a.example ' "$EXIM_LOG")" 3 "exim: three messages"
like "$(grep ' <= ' "$EXIM_LOG" | head -n 1)" " K " \
    "exim took them by BDAT (K on its <= line)"
exim_same "exim BDAT: the messages byte for byte as sent"
exim_smtp_stop

exim_send exim-data --recipients-max 2 --no-tls \
    --main 'chunking_advertise_hosts ='
is "$rc $(field accepted) $(field transactions)" "0 5 3" \
    "exim, CHUNKING off: five accepted in three transactions"
is "$(grep ' <= ' "$EXIM_LOG" | grep -c ' K ')" 0 "exim took them by DATA"
exim_same "exim DATA: byte for byte, the dot-stuffing undone"
exim_smtp_stop

# STARTTLS and early pipelining with Exim: the second send, with the
# cache the first filled, puts the transaction in the EHLO's flight;
# Exim's <= line says L* (early pipelining used).
exim_smtp_start "$T/exim-early" --connect-delay 1s >"$T/exim-early.err" 2>&1 ||
    { cat "$T/exim-early.err"; echo "Bail out! exim did not start"; exit 1; }
for i in 1 2; do
	run "$SR" --timeout 5 --cache "$T/exim-cache" --from s@a.example \
	    --to a@x.example 127.0.0.1 "$EXIM_PORT" <"$T/msg"
done
exim_smtp_wait_mail 2
is "$rc $(grep '^session=0' "$T/out" | sed 's/ rtts.*//')" \
    "0 session=0 early=1 nearly=3" \
    "exim: the cached second send went early, through STARTTLS"
is "$(grep ' <= ' "$EXIM_LOG" | sed -n 's/.* \(L[*.-]\) .*/\1/p' |
    tr '\n' ' ')" "L. L* " "exim: L. then L* on its <= lines"
exim_smtp_stop

# A stale cache: the entry says CHUNKING (or no STARTTLS), the server
# restarted on the same port no longer offers it (or now offers
# STARTTLS).  Nothing of the message goes before the fresh EHLO reply: it
# arrives once, to its recipient, and the commands in its body stay body
# (a BDAT the server refuses would make them commands: a forged message).
cat >"$T/forge" <<'EOF'
Subject: stale cache

RSET
MAIL FROM:<forger@f.example>
RCPT TO:<victim@v.example>
DATA
Subject: forged

forged
.
EOF
# stale NAME FIRST-OPTIONS -- SECOND-OPTIONS: a send to fill the cache,
# the server restarted on that port as SECOND-OPTIONS say, a send with
# that cache.
stale() {
	_sn=$1
	shift
	_a=
	while [ "$1" != -- ]; do _a="$_a $1"; shift; done
	shift
	# shellcheck disable=SC2086
	exim_smtp_start "$T/$_sn-1" --connect-delay 1s $_a \
	    >"$T/$_sn.err" 2>&1 ||
	    { cat "$T/$_sn.err"; echo "Bail out! exim did not start"; exit 1; }
	run "$SR" --timeout 5 --cache "$T/$_sn.cache" --from s@a.example \
	    --to first@x.example 127.0.0.1 "$EXIM_PORT" <"$T/forge"
	exim_smtp_wait_mail 1
	exim_smtp_stop
	exim_smtp_start "$T/$_sn-2" --port "$EXIM_PORT" --connect-delay 1s \
	    "$@" >"$T/$_sn.err" 2>&1 ||
	    { cat "$T/$_sn.err"; echo "Bail out! exim did not start"; exit 1; }
	run "$SR" --timeout 5 --cache "$T/$_sn.cache" --from s@a.example \
	    --to r@x.example 127.0.0.1 "$EXIM_PORT" <"$T/forge"
	exim_smtp_wait_mail 1
	# a second message, if one came, would come at once
	sleep 0.3
	is "$rc $(state r@x.example)" "0 accepted 250" \
	    "$_sn: the recipient accepted"
	is "$(exim_smtp_mail | wc -l | tr -d ' ')" 1 \
	    "$_sn: one message delivered, once"
	is "$(grep -c -i -e victim -e forger "$EXIM_LOG")" 0 \
	    "$_sn: nothing forged from the body"
	ok "$_sn: the message byte for byte" cmp -s "$(exim_smtp_mail |
	    head -n 1)" "$T/forge"
}
stale stale-chunking --no-tls -- --no-tls \
    --main 'chunking_advertise_hosts ='
exim_smtp_stop
stale stale-starttls --no-tls --
like "$(grep ' <= ' "$EXIM_LOG")" " X=TLS" \
    "stale-starttls: the message went over TLS"
exim_smtp_stop

done_testing
