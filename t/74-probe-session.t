#!/bin/sh
# A session as smtp-probe opens it (common/probe.c) through
# t/unit/probe-session, against the scripted server (whose log says which
# commands came in one read and whether input was waiting before the
# banner) and Debian's Exim 4.96 (whose mainlog says L* when early
# pipelining was used, and logs the early input it refuses): each phase's
# time, the flights and round trips, the cache filled by a plain session
# and used by the next, a changed EHLO updating the entry and a dropped
# PIPECONNECT dropping it, a 554 to early input dropping the entry and
# retrying at once, STARTTLS early, implicit TLS, TLS 1.2's two round
# trips, bytes after the greeting refused, QUIT not held by Exim, and
# every wait bounded by the timeout.
. "$MX_SRCDIR/t/lib.sh"

need openssl
PS=$MX_BUILDDIR/t/unit/probe-session
PT=$MX_BUILDDIR/t/unit/pcache-tool
SRV=$MX_SRCDIR/t/data/smtp-script-server

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$T/key.pem" -out "$T/cert.pem" -days 30 -subj /CN=mx.test \
    >/dev/null 2>&1 || { echo "Bail out! no certificate"; exit 1; }

# srv PORT LOG [options]: the scripted server, its banner held 200 ms so
# that early input is surely there when it looks; SRV_PID.
srv() {
	_p=$1
	_l=$2
	shift 2
	daemon "$PY" "$SRV" --listen "127.0.0.1:$_p" --log "$_l" \
	    --banner-delay 200 "$@"
	SRV_PID=$!
	wait_port "$_p" || { echo "Bail out! no server on $_p"; exit 1; }
}
srv_stop() {
	kill "$SRV_PID" 2>/dev/null
	wait "$SRV_PID" 2>/dev/null
}
# ps ARGS: a session; out, rc.
ps() {
	run "$PS" "$@"
}
# val NAME: NAME's first value in out, unquoted.
val() {
	printf '%s\n' "$out" | sed -n "s/^$1=//p" | head -n 1 |
	    sed "s/^'\\(.*\\)'\$/\\1/"
}
# flights: the steps' labels, flight by flight: "banner|EHLO QUIT".
flights() {
	printf '%s\n' "$out" | sed -n "s/^step='\\{0,1\\}//p" |
	    sed "s/'\$//" | awk '
	    { l = $6; for (i = 7; i <= NF; i++) l = l " " $i
	      if ($2 == f && NR > 1) s = s "|" l
	      else s = s (NR > 1 ? " " : "") l
	      f = $2 }
	    END { print s }'
}
# ordered A B C...: each time present (>= 0) and none before the last.
ordered() {
	_prev=0
	for _o in "$@"; do
		_v=$(val "$_o")
		awk -v a="$_prev" -v b="$_v" 'BEGIN { exit !(b >= 0 && b >= a) }' ||
		    { diag "$_o=$_v before $_prev"; return 1; }
		_prev=$_v
	done
}
# last LOG: the number of the last connection in LOG (wait_port's
# probe is a connection too).
last() {
	awk '$2 == "connect" { c = $1 } END { print c }' "$1"
}
# cmds LOG: the commands of the last connection with their reads.
cmds() {
	awk -v c="$(last "$1")" '$1 == c && $2 == "cmd" { $1 = ""; $2 = "";
	    sub(/^  /, ""); print }' "$1"
}
# early LOG: the bytes waiting when the last connection's banner was due.
early() {
	awk -v c="$(last "$1")" '$1 == c && $2 == "early" { print $3 }' "$1"
}
ms_since() {	# ms_since START_NS
	echo $((($(date +%s%N) - $1) / 1000000))
}

# --- the scripted server: a plain session, then early ------------------
P=$(free_port)
L=$T/srv.log
C=$T/cache
srv "$P" "$L"
ps --cache "$C" 127.0.0.1 "$P"
is "$rc $(val fail) $(val early)" "0 ok 0" "a plain session opens and closes"
ok "each phase's time present and ordered" ordered t_connect t_banner \
    t_ehlo t_quit t_total
is "$(val t_starttls) $(val t_handshake)" "-1.0 -1.0" \
    "no STARTTLS phase without STARTTLS"
like "$(val t_banner)" '^(19[0-9]|[23][0-9][0-9])\.' \
    "the banner's time is the server's 200 ms hold"
is "$(flights)" "connect banner EHLO QUIT" \
    "plain: connect, banner, EHLO and QUIT each a flight of its own"
is "$(val rtts) $(val rtts_plain)" "4 4" "plain: 4 round trips, none saved"
is "$(early "$L")" 0 "no input was waiting before the banner"
is "$(val cache)" "miss: stored" "the first session fills the cache"
"$PT" "$C" get "127.0.0.1:$P" 0 >/dev/null
is "$?" 0 "the entry is in the file, in clear"

ps --cache "$C" 127.0.0.1 "$P"
is "$rc $(val fail) $(val early) $(val cache)" "0 ok 1 hit" \
    "the next session pipelines early on the cache's word"
is "$(flights)" "connect banner|EHLO QUIT" \
    "early: the EHLO went in the banner's flight"
like "$(early "$L")" '^[1-9]' "the server saw the EHLO before its banner"
is "$(val rtts) $(val rtts_plain)" "3 4" "early in clear saves 1 round trip"
ok "early: each phase's time present and ordered" ordered t_connect \
    t_banner t_ehlo t_quit t_total

ps --cache "$C" --no-early 127.0.0.1 "$P"
is "$(val early) $(val cache)" "0 hit: not used" \
    "--no-early: the entry is checked, not used"

ps --cache "$C" --early-mail a@b.example --flight RSET --flight NOOP \
    127.0.0.1 "$P"
is "$(flights)" "connect banner|EHLO|MAIL RSET|NOOP QUIT" \
    "a transaction's first command goes with the early EHLO"
is "$(val nearly) $(val early_reply)" "1 250 2.1.0 ok" \
    "its reply is the session's early reply"
is "$(cmds "$L" | awk '{ print $1 }' | uniq -c | awk '{ print $1 }' |
    tr '\n' ' ')" "2 2 1 " \
    "the server read EHLO and MAIL at once, RSET and NOOP at once"
is "$(val rtts) $(val rtts_plain)" "4 6" \
    "banner, EHLO and MAIL in one flight: 2 round trips saved"
srv_stop

# --- a changed EHLO updates the entry; no PIPECONNECT drops it ---------
srv "$P" "$L" --ehlo-line PIPELINING --ehlo-line PIPECONNECT \
    --ehlo-line 'LIMITS RCPTMAX=5'
ps --cache "$C" 127.0.0.1 "$P"
is "$(val early) $(val cache)" "1 changed: updated" \
    "a reply other than the cached one updates the entry"
like "$("$PT" "$C" get "127.0.0.1:$P" 0)" 'LIMITS RCPTMAX=5' \
    "the entry now holds the new reply"
srv_stop
srv "$P" "$L" --ehlo-line PIPELINING
ps --cache "$C" 127.0.0.1 "$P"
is "$(val early) $(val cache)" "1 changed: dropped" \
    "a reply without PIPECONNECT drops the entry"
"$PT" "$C" get "127.0.0.1:$P" 0 >/dev/null 2>&1
is "$?" 1 "the entry is gone from the file"
ps --cache "$C" 127.0.0.1 "$P"
is "$(val early) $(val cache)" "0 miss" "and the next session is plain"
srv_stop

# --- a 554 to early input: dropped, retried at once without -----------
: >"$L"
srv "$P" "$L"
ps --cache "$C" 127.0.0.1 "$P"
srv_stop
: >"$L"
srv "$P" "$L" --sync-check
ps --cache "$C" 127.0.0.1 "$P"
is "$rc $(val fail) $(val retried) $(val early)" "0 ok 1 0" \
    "554 to early input: retried without early pipelining, and opened"
like "$(val cache)" '^dropped: 554 SMTP synchronization error; miss: stored' \
    "the note says the entry was dropped for the 554"
like "$(grep -c sync-error "$L") $(early "$L")" '^1 0$' \
    "the server refused the first connection, the retry sent nothing early"
is "$(val rtts) $(val rtts_plain)" "6 4" \
    "the refused attempt's 2 round trips are a cost, not a saving"
srv_stop

# A server that drops an early talker without a word (closed, reset):
# the same as a 554, not a failure for every session the entry lives.
: >"$L"
srv "$P" "$L" --mode drop-early
ps --cache "$C" 127.0.0.1 "$P"
is "$rc $(val fail) $(val retried) $(val early)" "0 ok 1 0" \
    "dropped for early input: retried without early pipelining, opened"
like "$(val cache)" '^dropped: ' "the note says the entry was dropped"
is "$(grep -c drop-early "$L") $(early "$L")" "1 0" \
    "the server dropped the first connection, the retry sent nothing early"
srv_stop

# --- STARTTLS early, TLS state cached apart ----------------------------
: >"$L"
srv "$P" "$L" --cert "$T/cert.pem" --key "$T/key.pem"
rm -f "$C"
ps --cache "$C" 127.0.0.1 "$P"
is "$rc $(val tls) $(val version)" "0 1 TLSv1.3" "STARTTLS, TLS 1.3"
ok "STARTTLS: each phase's time present and ordered" ordered t_connect \
    t_banner t_ehlo t_starttls t_handshake t_ehlo_tls t_quit t_total
is "$(flights)" "connect banner EHLO STARTTLS TLS handshake EHLO QUIT" \
    "plain STARTTLS: 7 flights"
is "$(val rtts) $(val rtts_plain)" "7 7" "plain STARTTLS: 7 round trips"
is "$(val cache)" "miss: stored; tls miss: stored" \
    "both replies cached, in clear and after TLS"
ps --cache "$C" 127.0.0.1 "$P"
is "$(flights)" "connect banner|EHLO|STARTTLS TLS handshake EHLO QUIT" \
    "early STARTTLS: EHLO and STARTTLS in the banner's flight"
is "$(cmds "$L" | sed -n '1,2p' | awk '{ print $1 }' | uniq | wc -l)" 1 \
    "the server read EHLO and STARTTLS at once"
like "$(early "$L")" '^[1-9]' "before its banner"
is "$(val rtts) $(val rtts_plain)" "5 7" \
    "early STARTTLS saves 2 round trips"
ps --cache "$C" --early-mail a@b.example --flight RSET 127.0.0.1 "$P"
is "$(val early_tls) $(flights)" \
    "1 connect banner|EHLO|STARTTLS TLS handshake EHLO|MAIL RSET QUIT" \
    "with a cached TLS reply, MAIL goes with the EHLO after TLS"
is "$(val rtts) $(val rtts_plain)" "6 9" "then 3 round trips are saved"
ps --cache "$C" --tls none 127.0.0.1 "$P"
is "$(val tls) $(flights)" "0 connect banner|EHLO QUIT" \
    "--tls none: no STARTTLS, early or not"
srv_stop

# --- implicit TLS ----------------------------------------------------------
: >"$L"
srv "$P" "$L" --cert "$T/cert.pem" --key "$T/key.pem" --implicit-tls
rm -f "$C"
ps --cache "$C" --tls implicit 127.0.0.1 "$P"
is "$rc $(val tls) $(val ehlo) $(val ehlo_tls)" "0 1 0 250" \
    "implicit TLS: TLS first, the one EHLO after it"
is "$(flights)" "connect TLS handshake banner EHLO QUIT" \
    "implicit TLS: the handshake before the banner"
ok "implicit: each phase's time present and ordered" ordered t_connect \
    t_handshake t_banner t_ehlo_tls t_quit t_total
is "$(val cache)" "tls miss: stored" "the reply cached in the TLS state"
"$PT" "$C" get "127.0.0.1:$P" 1 >/dev/null
is "$?" 0 "under the TLS state"
ps --cache "$C" --tls implicit 127.0.0.1 "$P"
is "$(val early) $(flights)" "1 connect TLS handshake banner|EHLO QUIT" \
    "implicit TLS early: the EHLO goes with the banner's wait"
ps --tls auto 127.0.0.1 "$P"
is "$rc $(val fail)" "1 timeout" \
    "a TLS server spoken to in clear: no banner, a timeout"
srv_stop

# --- faults: bytes after the greeting, waits bounded ---------------------
srv "$P" "$L" --mode after-greeting
ps 127.0.0.1 "$P"
is "$rc $(val fail)" "1 protocol" "bytes after the greeting: a protocol error"
is "$(val error)" "banner: bytes after the greeting" "said so"
srv_stop
for m in silent stall-mid-reply endless-multiline; do
	srv "$P" "$L" --mode "$m" --fault-at banner --line-delay 100
	t0=$(date +%s%N)
	ps --timeout 1 127.0.0.1 "$P"
	t=$(ms_since "$t0")
	is "$rc $(val fail)" "1 timeout" "$m banner: a timeout"
	ok "$m: over within the timeout (${t} ms)" [ "$t" -lt 1800 ]
	srv_stop
done
srv "$P" "$L" --mode stall-mid-reply --fault-at ehlo
rm -f "$C"
ps --cache "$C" --timeout 1 127.0.0.1 "$P"
is "$rc $(val fail) $(val error)" "1 timeout EHLO: no reply within 1 s" \
    "no EHLO reply: a timeout naming the step"
srv_stop
ps --timeout 1 127.0.0.1 "$P"
is "$rc $(val fail)" "1 refused" "a dead port: refused"
srv "$P" "$L"
ps 127.0.0.2,127.0.0.1 "$P"
is "$rc $(val peer) $(flights)" "0 127.0.0.1:$P connect banner EHLO QUIT" \
    "the first address refused, the next probed, its session alone shown"
srv_stop

# --- a hit refreshes an entry once it is a day old ----------------------
use_faketime monotonic-real
R=$T/refresh
: >"$L"
srv "$P" "$L"
# stored: the time stored of the entry in clear for the server.
stored() {
	awk -v k="127.0.0.1:$P" '$1 == "entry" && $2 == k && $3 == 0 {
	    print $4 }' "$R"
}
at 20000 "$PS" --cache "$R" 127.0.0.1 "$P" >/dev/null
s0=$(stored)
run at 20000 "$PS" --cache "$R" 127.0.0.1 "$P"
is "$(val early) $(val cache) $(stored)" "1 hit $s0" \
    "a hit on an entry stored today leaves it (no write at every hit)"
run at 20005 "$PS" --cache "$R" 127.0.0.1 "$P"
is "$(val early) $(val cache) $(stored)" "1 hit $((s0 + 5 * 86400))" \
    "a hit on an entry 5 days old stores it again"
run at 20010 "$PS" --cache "$R" 127.0.0.1 "$P"
is "$(val early) $(val cache)" "1 hit" \
    "so an entry in daily use is still used 10 days after its first store"
srv_stop

# --- Exim 4.96 ---------------------------------------------------------------
. "$MX_SRCDIR/t/exim-smtp.sh"
if [ ! -x "$EXIM" ] || [ "$(id -u)" -ne 0 ]; then
	skip 19 "exim4 not usable here (needs root for -C)"
	done_testing
fi
rm -f "$C"
exim_smtp_start "$T/exim" --connect-delay 1s || {
	echo "Bail out! exim did not start"; exit 1; }
ps --cache "$C" --tls none --flight 'MAIL FROM:<a@b.example>' \
    --flight 'RCPT TO:<x@y.example>' --flight DATA --body 'Subject: one

first
' 127.0.0.1 "$EXIM_PORT"
is "$rc $(val cache)" "0 miss: stored" "exim: a plain session fills the cache"
ps --cache "$C" --tls none --early-mail a@b.example \
    --flight 'RCPT TO:<x@y.example>' --flight DATA --body 'Subject: two

second
' 127.0.0.1 "$EXIM_PORT"
is "$rc $(val early) $(flights)" \
    "0 1 connect banner|EHLO|MAIL RCPT TO:<x@y.example>|DATA message QUIT" \
    "exim: EHLO and MAIL before the banner"
exim_smtp_wait_mail 2
like "$(grep ' <= ' "$EXIM_LOG" | sed -n 1p)" ' L\. ' \
    "exim's log: early pipelining offered, not used, the first time"
like "$(grep ' <= ' "$EXIM_LOG" | sed -n 2p)" ' L\* ' \
    "exim's log: early pipelining used the second time (L*)"
ps --cache "$C" 127.0.0.1 "$EXIM_PORT"
ps --cache "$C" 127.0.0.1 "$EXIM_PORT"
is "$(val early) $(val version) $(val rtts) $(val rtts_plain)" \
    "1 TLSv1.3 5 7" "exim: STARTTLS early, 2 round trips saved"
# In clear Exim holds its 221 up to 200 ms until the client's FIN.
ps --tls none 127.0.0.1 "$EXIM_PORT"
q=$(awk -v a="$(val t_quit)" -v b="$(val t_ehlo)" \
    'BEGIN { printf "%d", a - b }')
ok "exim: the 221 not held for our FIN (${q} ms)" [ "$q" -lt 150 ]
exim_smtp_stop

exim_smtp_start "$T/exim2" --port "$EXIM_PORT" --no-early \
    --connect-delay 1s --main 'tls_require_ciphers = NORMAL:-VERS-TLS1.3' || {
	echo "Bail out! exim did not start"; exit 1; }
ps --cache "$C" 127.0.0.1 "$EXIM_PORT"
is "$rc $(val retried) $(val early)" "0 1 0" \
    "exim without early pipelining for us: 554, retried at once, opened"
n=$(printf '%s\n' "$out" | grep -c "^flight='[0-9]* tls .* 2'\$")
is "$(val version) $n" "TLSv1.2 1" \
    "a TLS 1.2 handshake: a flight of 2 round trips"
is "$(val rtts) $(val rtts_plain)" "10 8" \
    "554 and retried: the refused attempt's 2 round trips a cost"
like "$(val cache)" '^dropped: 554 SMTP synchronization error' \
    "the entry dropped for Exim's 554"
like "$(cat "$EXIM_LOG")" \
    'synchronization error \(input sent without waiting for greeting\)' \
    "exim logged the early input it refused"
exim_smtp_stop

# A transaction sent early on the word of a cached reply the server no
# longer gives: abandoned unanswered (no STARTTLS after DATA in clear, no
# final dot), the session opened again at once without, the message
# delivered once, and over TLS when TLS came.
rm -f "$C"
exim_smtp_start "$T/exim3" --port "$EXIM_PORT" --no-tls \
    --connect-delay 1s || { echo "Bail out! exim did not start"; exit 1; }
ps --cache "$C" 127.0.0.1 "$EXIM_PORT"
is "$rc $(val tls) $(val cache)" "0 0 miss: stored" \
    "exim without TLS: the cache filled in clear"
exim_smtp_stop
exim_smtp_start "$T/exim4" --port "$EXIM_PORT" --connect-delay 1s || {
	echo "Bail out! exim did not start"; exit 1; }
ps --cache "$C" --early-mail a@b.example --early-cmd 'RCPT TO:<x@y.example>' \
    --early-cmd DATA --body 'Subject: three

STARTTLS
' 127.0.0.1 "$EXIM_PORT"
is "$rc $(val retried) $(val early) $(val nearly) $(val tls)" "0 1 0 0 1" \
    "TLS now offered: the early transaction abandoned, opened again with TLS"
exim_smtp_wait_mail 1
is "$(ls "$EXIM_MAIL" | wc -l)" 1 "exim: the message delivered once"
like "$(grep ' <= ' "$EXIM_LOG")" ' P=esmtps ' "exim: and over TLS"
printf 'Subject: three\n\nSTARTTLS\n' >"$T/want"
cmp -s "$T/want" "$(exim_smtp_mail | tail -n 1)"
is "$?" 0 "exim: the message as sent"
exim_smtp_stop

# CHUNKING gone: the early transaction abandoned, the body with SMTP
# commands in it delivered as data, never run.
exim_smtp_start "$T/exim5" --port "$EXIM_PORT" \
    --main 'chunking_advertise_hosts =' --connect-delay 1s || {
	echo "Bail out! exim did not start"; exit 1; }
ps --cache "$C" --early-mail a@b.example --early-cmd 'RCPT TO:<x@y.example>' \
    --early-cmd DATA --body 'Subject: four

RSET
MAIL FROM:<evil@b.example>
' 127.0.0.1 "$EXIM_PORT"
is "$rc $(val retried) $(val early_tls) $(val nearly)" "0 1 0 0" \
    "CHUNKING gone: the early transaction abandoned, opened again"
exim_smtp_wait_mail 1
is "$(ls "$EXIM_MAIL" | wc -l)" 1 "exim: one message, the body's commands data"
is "$(grep -c 'evil@' "$EXIM_LOG")" 0 "exim: the body's MAIL never ran"
exim_smtp_stop
done_testing
