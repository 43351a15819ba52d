#!/bin/sh
# The displays of arc-sign(1), arc-verify(1) and the README's ARC section,
# run as printed: Exim with the transport filter, the Postfix filter
# scripts under a fake sendmail, procmail, the shell and console examples.
# The recipes ask the system resolver for keys, as at a real site, so the
# test runs in private network and mount namespaces where
# /etc/resolv.conf names knot on 127.0.0.1, serving example.org's keys.
# Only paths are changed in the printed text: /usr/local/bin/ becomes the
# build's tools/, files under /etc/ go to $T.
. "${MX_SRCDIR:-.}/t/lib.sh"
. "$MX_SRCDIR/t/knot.sh"

# exim lives in /usr/sbin, not always on a user's PATH.
PATH=$PATH:/usr/sbin
need openssl procmail
need_knot

if [ -z "${MX_T67_NS:-}" ]; then
	if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null ||
	    ! command -v ip >/dev/null || ! unshare -nm true 2>/dev/null; then
		skip_all "no private namespaces here (unshare -nm, as root)"
	fi
	echo "nameserver 127.0.0.1" >"$T/resolv.conf"
	MX_T67_NS=1 unshare -nm sh -c '
		ip link set lo up && mount --bind "$1" /etc/resolv.conf ||
		    exit 77
		exec sh "$2"' sh "$T/resolv.conf" "$0"
	rc=$?
	[ "$rc" -eq 77 ] && skip_all "cannot set up the namespaces"
	exit "$rc"
fi

# The tools and the key must be reachable by the Exim user.
chmod 755 "$T"
TOOLS=$MX_BUILDDIR/tools

mkdir -p "$T/dz/man" "$T/mc/man"

# --- keys, served by knot as the system resolver's answers -------------------
rsa_key "$T/arc.key" || skip_all "openssl cannot make keys"
rsa_key "$T/other.key"
{
	zone_head example.org
	"$MX_SRCDIR/t/data/arc-zone" arc2026._domainkey.example.org="$T/arc.key" \
	    arc2026._domainkey.lists.example.org="$T/arc.key" \
	    arc2026._domainkey.mx.example.org="$T/arc.key"
} >"$T/example.org.zone"
knot_start "$T/example.org.zone" example.org. 53 >&2 ||
    skip_all "knot does not serve on 127.0.0.1@53"

# --- messages ----------------------------------------------------------------
# msg.eml: with our MTA's results, the message of the man pages' examples.
cat >"$T/msg.eml" <<'EOF'
Authentication-Results: mx.example.org; spf=pass smtp.mailfrom=alice@example.com;
	dkim=pass header.d=example.com
From: Alice <alice@example.com>
To: bob@example.org
Subject: Lunch
Date: Mon, 23 Nov 2026 10:00:00 +0000
Message-ID: <lunch.1@example.com>

Noon at the usual place?
EOF
sed 1,2d "$T/msg.eml" >"$T/nores.eml"
seal() {	# seal IN: IN sealed by example.org as mx.example.org
	arc-sign -d example.org -s arc2026 -k "$T/arc.key" \
	    --authserv-id mx.example.org "$1"
}
seal "$T/msg.eml" >"$T/pass.eml"
sed 's/^Noon at/Noon, at/' "$T/pass.eml" >"$T/fail.eml"
# A chain whose key (other.example) the resolver cannot give now: knot
# refuses a name outside its zone, a temporary failure.
arc-sign -d other.example -s arc2026 -k "$T/other.key" \
    --authserv-id mx.example.org "$T/msg.eml" >"$T/other.eml"
{ echo 'Authentication-Results: mx.example.org; spf=pass'
  cat "$T/other.eml"; } >"$T/tempfail.eml"
# A header section over 1 MiB: malformed beyond use.
{ i=0
  while [ "$i" -lt 1100 ]; do
	printf 'X-Filler-%d: %01000d\n' "$i" 0
	i=$((i + 1))
  done
  cat "$T/msg.eml"; } >"$T/big.eml"

verdict() {	# verdict FILE: arc_state and arc_domains through the resolver
	arc-verify "$1" | sed -n 's/^arc_state=//p; s/^arc_domains=//p' |
	    tr '\n' ' ' | sed 's/ $//'
}
is "$(verdict "$T/pass.eml")" "pass example.org" \
    "the resolver in the namespace gives example.org's key"
run arc-verify "$T/tempfail.eml"
is "$rc" 75 "other.example's key: a temporary failure"

# paths FILE: the printed text with its paths moved into the test.
paths() {
	sed -e "s|/usr/local/bin/|$TOOLS/|g" \
	    -e "s|/usr/local/libexec/|$T/libexec/|g" \
	    -e "s|/usr/sbin/sendmail|$T/sendmail|g" \
	    -e "s|/etc/exim4/|$T/exim/|g" -e "s|/etc/postfix/|$T/pf/|g" "$@"
}

# console_block FILE NAME, as a console display: the "$ " lines (and
# their continuation lines) run in one shell in the current directory,
# stderr with stdout, into $T/cons.got; the other lines, what they print,
# into $T/cons.want.
console() {
	awk -v sh="$T/cons.sh" -v want="$T/cons.want" '
	BEGIN { print "exec 2>&1" > sh }
	cont { print > sh; cont = /\\$/; next }
	/^\$ / { sub(/^\$ /, ""); print > sh; cont = /\\$/; next }
	{ print > want }' "$T/cons.txt"
	[ -f "$T/cons.want" ] || : >"$T/cons.want"
	sh "$T/cons.sh" >"$T/cons.got"
}
console_block() {
	rm -f "$T/cons.want"
	block "$1" "$2" >"$T/cons.txt" && console
}

# unb: the base64 of b= cut, as the displays cut it.
unb() {
	sed 's/^\(	b=\)[^;]*;/\1...;/'
}

# --- arc-sign(1) -------------------------------------------------------------
mkdir "$T/as" && cd "$T/as" || exit 1
cp "$T/arc.key" "$T/msg.eml" .
arc-sign -d example.org -s arc2026 -k arc.key --authserv-id mx.example.org \
    --time 1795000000 msg.eml | head -n 10 | unb >"$T/got"
block man/arc-sign.1 set | unb >"$T/want"
same "$T/got" "$T/want" "arc-sign.1 set: the set msg.eml gets, b= aside"

block man/arc-sign.1 dns-zone-line >"$T/dz/man/arc-sign.1"
block man/arc-verify.1 dns-zone-line >"$T/dz/man/arc-verify.1"
for page in man/arc-sign.1 man/arc-verify.1; do
	line=$(tr -d '\t' <"$T/dz/$page")
	ere=$(printf '%s\n' "$line" | sed 's/[].[*^$()+?{}|\\/]/\\&/g;
	    s/\\\.\\\.\\\./.*/g')
	got=$("$MX_SRCDIR/t/data/arc-zone" \
	    arc2026._domainkey.example.org="$T/arc.key")
	like "$got" "^$ere\$" "$page dns-zone-line: the shape of a record"
done
printf '%s\n' "$got" >"$T/one.zone"
run arc-verify --dns-zone "$T/one.zone" "$T/pass.eml"
is "$rc:$(sed -n 1p "$T/out")" 0:arc_state=pass \
    "  such a line, as --dns-zone reads it"

# output-no-set: no results of ours; a chain failed at i=2.
{ echo 'Authentication-Results: lists.example.org; arc=fail'
  cat "$T/pass.eml"; } >"$T/f1.in"
arc-sign -d lists.example.org -s arc2026 -k arc.key \
    --authserv-id lists.example.org "$T/f1.in" >"$T/f1.eml"
{ echo 'Authentication-Results: mx.example.org; spf=pass'
  cat "$T/f1.eml"; } >"$T/f2.eml"
{ arc-sign -d example.org -s arc2026 -k arc.key \
    --authserv-id mx.example.org <"$T/nores.eml" 2>&1 >/dev/null
  arc-sign -d example.org -s arc2026 -k arc.key \
    --authserv-id mx.example.org <"$T/f2.eml" 2>&1 >/dev/null; } >"$T/got"
block man/arc-sign.1 output-no-set >"$T/want"
same "$T/got" "$T/want" "arc-sign.1 output-no-set: the two diagnostics"
arc-sign -d example.org -s arc2026 -k arc.key --authserv-id mx.example.org \
    <"$T/tempfail.eml" 2>"$T/got" >"$T/out"
rc=$?
block man/arc-sign.1 output-cannot-seal >"$T/want"
same "$T/got" "$T/want" "arc-sign.1 output-cannot-seal: the diagnostic"
is "$rc:$(wc -c <"$T/out" | tr -d ' ')" 75:0 "  exit 75, nothing written"

console_block man/arc-sign.1 seal-one
is "$(cat "$T/cons.got")" "" "arc-sign.1 seal-one: runs, says nothing"
is "$(verdict sealed.eml)" "pass example.org" "  sealed.eml verifies"

mkdir in
cp "$T/msg.eml" in/a.eml
cp "$T/nores.eml" in/b.eml
sed 's/^Subject: Lunch/Subject: Dinner/' "$T/msg.eml" >in/c.eml
console_block man/arc-sign.1 seal-dir
is "$(cat "$T/cons.got")" "arc-sign: no ARC set added to 'in/b.eml': no \
Authentication-Results field of 'mx.example.org'" \
    "arc-sign.1 seal-dir: one warning, for the message without results"
is "$(verdict sealed/a.eml):$(verdict sealed/c.eml)" \
    "pass example.org:pass example.org" \
    "  each sealed message verifies"
same sealed/b.eml in/b.eml "  the one without results is written unchanged"
mv sealed sealed.1
console_block man/arc-sign.1 seal-dir
ok "  the same on every run" diff -r sealed sealed.1
cd "$T" || exit 1

# --- arc-sign(1): Exim's transport filter ------------------------------------
# exim_main NAME SPOOL: the main options of an Exim of the test, which
# runs with its own spool and logs, as Debian's Exim user.
exim_main() {
	cat <<EOF
primary_hostname = $1
spool_directory = $2
log_file_path = $2/%slog
exim_user = Debian-exim
exim_group = Debian-exim
EOF
}

# Exim (the sender) delivers with -odi through the printed remote_smtp to a
# second Exim (the sink) listening on a loopback port, which stores what it
# gets in an mbox.
exim_setup() {
	command -v exim4 >/dev/null || return 1
	EX=$T/exim
	mkdir -p "$EX/out" "$EX/sink" "$EX/box" || return 1
	chown Debian-exim "$EX/out" "$EX/sink" "$EX/box" || return 1
	cp "$T/arc.key" "$EX/arc.key"
	chown Debian-exim "$EX/arc.key"
	SINK_PORT=$(free_port)
	{ exim_main sink.example.net "$EX/sink"
	  cat <<EOF
tls_advertise_hosts =
acl_smtp_rcpt = accept
begin routers
all:
  driver = accept
  transport = store
begin transports
store:
  driver = appendfile
  file = $EX/box/mbox
  user = Debian-exim
EOF
	} >"$EX/sink.conf"
	{ exim_main mx.example.org "$EX/out"
	  cat <<EOF
begin routers
out:
  driver = manualroute
  route_list = * 127.0.0.1::$SINK_PORT
  self = send
  transport = remote_smtp
begin transports
EOF
	  block man/arc-sign.1 exim-transport | paths; } \
	    >"$EX/out.conf"
	daemon exim4 -C "$EX/sink.conf" -bdf -oX "$SINK_PORT" -oP "$EX/pid" \
	    2>>"$EX/stderr"
	wait_port "$SINK_PORT"
}

# exim_send FILE: hand FILE to the sending Exim, delivering at once.
exim_send() {
	exim4 -C "$EX/out.conf" -odi -f alice@example.com bob@example.net \
	    <"$1" 2>>"$EX/stderr"
}

sent() {	# how many messages the sink has stored
	cat "$EX/box/mbox" 2>/dev/null | grep -c '^From '
}

# delivered N: the N-th message in the sink's mbox, without the From_
# line, the sink's Received field and the blank line mbox adds.  The sink
# stores a message once it has said 250: wait up to 5 s for it.
delivered() {
	_i=0
	while [ "$(sent)" -lt "$1" ] &&
	    [ "$_i" -lt 100 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
	awk -v n="$1" '/^From / { k++; hdr = 1; rcv = 0; next }
	    k != n { next }
	    hdr && /^Received: / && !rcv { skip = 1; rcv = 1; next }
	    skip && /^[ \t]/ { next }
	    { skip = 0; if (/^$/) hdr = 0; print }' "$EX/box/mbox" |
	    sed '$d'
}

queued() {
	exim4 -C "$EX/out.conf" -bpc 2>/dev/null
}

if exim_setup; then
	exim_send "$T/msg.eml"
	delivered 1 >"$T/x1"
	is "$(queued)" 0 "exim: the message is sent"
	like "$(sed -n 1p "$T/x1")" "^ARC-Seal: " "exim: sent with a set on top"
	is "$(verdict "$T/x1")" "pass mx.example.org" \
	    "exim: what it sent verifies"
	exim_send "$T/nores.eml"
	delivered 2 >"$T/x2"
	is "$(queued)" 0 \
	    "exim: no results of ours: sent all the same (--filter)"
	is "$(grep -c '^ARC-\|arc-sign' "$T/x2")" 0 \
	    "exim: no set, and no diagnostic inside the message"
	sed '1,/^	for bob@example.net;/d' "$T/x2" | sed 1d >"$T/x2b"
	same "$T/x2b" "$T/nores.eml" \
	    "exim: the message sent as it came, below Exim's Received"
	chmod 644 "$EX/arc.key"
	exim_send "$T/msg.eml"
	is "$(queued)" 1 \
	    "exim: a key it cannot use: the message stays in the queue"
	like "$(grep ' == bob@example.net' "$EX/out/mainlog" | tail -n 1)" \
	    "defer .*transport filter process failed \(66\)" \
	    "exim: deferred, the filter's 66 in the log"
	chmod 600 "$EX/arc.key"
	exim_send "$T/tempfail.eml"
	is "$(queued)" 2 "exim: a key lookup failing for now: queued too"
	like "$(grep ' == bob@example.net' "$EX/out/mainlog" | tail -n 1)" \
	    "defer .*transport filter process failed \(75\)" \
	    "exim: deferred, the filter's 75 in the log"
	is "$(sent)" 2 \
	    "exim: the sink got the two sent, and only those"
	exim4 -C "$EX/out.conf" -qff 2>>"$EX/stderr"
	delivered 3 >"$T/x3"
	is "$(queued):$(sent)" 1:3 \
	    "exim: the key mended, a queue run sends the first"
	is "$(verdict "$T/x3")" "pass mx.example.org" \
	    "  sealed, and it verifies"
else
	skip 13 "exim4 cannot run here"
fi

# --- Postfix: master.cf and the filter scripts, under a fake sendmail --------
# Postfix is not installed (it conflicts with Exim): the script runs as
# pipe(8) would run the master.cf argv, with a sendmail that records its
# arguments and the message.
mkdir -p "$T/libexec"
cat >"$T/sendmail" <<EOF
#!/bin/sh
printf '%s\n' "\$@" >"$T/sm.argv"
cat >"$T/sm.in"
EOF
chmod 755 "$T/sendmail"
mkdir -p "$T/pf" && cp "$T/arc.key" "$T/pf/arc.key"

# pipe_argv PAGE: the argv= of the page's master.cf service, its lines
# joined, with pipe(8)'s macros for the test's message.
block man/arc-sign.1 postfix-master | paths >"$T/mc/man/arc-sign.1"
block man/arc-verify.1 postfix-master | paths >"$T/mc/man/arc-verify.1"
pipe_argv() {
	awk '
	    /^ *argv=/ { on = 1; sub(/^ *argv=/, ""); a = $0; next }
	    on && /^[ \t]/ { sub(/^[ \t]+/, " "); a = a $0; next }
	    { on = 0 } END { print a }' "$T/mc/$1" |
	    sed -e 's/\${sender}/alice@example.com/g' \
	    -e 's/\${recipient}/bob@example.net/g' \
	    -e 's/\${client_address}/192.0.2.7/g'
}

# postfix PAGE IN: run the page's filter on IN as pipe(8) would; its
# status in $rc, its stderr in $err.
postfix() {
	rm -f "$T/sm.argv" "$T/sm.in"
	# shellcheck disable=SC2046
	run sh -c 'exec "$@" <"$0"' "$2" $(pipe_argv "$1")
}

# handed_on NAME: sendmail got -G -i and pipe's sender and recipient.
handed_on() {
	is "$(tr '\n' ' ' <"$T/sm.argv")" \
	    "-G -i -f alice@example.com -- bob@example.net " \
	    "$1: sendmail gets -G -i and pipe's sender and recipient"
}

# bounce_or_defer PAGE NAME: the filter keeps a 65 (Postfix bounces the
# message, which no retry could mend) and makes a fault for now 75 (it
# defers); sendmail is called for neither.
bounce_or_defer() {
	postfix "$1" "$T/big.eml"
	is "$rc" 65 "$2: a header over 1 MiB stays 65, a bounce"
	ok "  sendmail is not called" test ! -e "$T/sm.in"
	postfix "$1" "$T/tempfail.eml"
	is "$rc" 75 "$2: a key lookup failing for now, 75"
	ok "  sendmail is not called" test ! -e "$T/sm.in"
}

for page in man/arc-sign.1 man/arc-verify.1; do
	svc=$(sed -n 's/.*content_filter=\([a-z]*\):dummy.*/\1/p' "$T/mc/$page")
	like "$(grep "^$svc " "$T/mc/$page")" \
	    "^$svc +unix .* pipe\$" \
	    "$page postfix-master: content_filter names its pipe service"
done

# installed NAME < SCRIPT: the printed script as libexec/NAME.
installed() {
	paths >"$T/libexec/$1" && chmod 755 "$T/libexec/$1"
}

block man/arc-sign.1 postfix-filter | installed arc-sign-filter
postfix man/arc-sign.1 "$T/msg.eml"
is "$rc:$err" 0: "arc-sign-filter: sealed, exit 0"
handed_on arc-sign-filter
is "$(verdict "$T/sm.in")" "pass example.org" "  what it gets verifies"
postfix man/arc-sign.1 "$T/nores.eml"
is "$rc" 0 "arc-sign-filter: no results of ours, exit 0"
same "$T/sm.in" "$T/nores.eml" "  the message goes on unchanged"
is "$err" "" "  its warning goes to syslog, not into pipe(8)'s reply"
bounce_or_defer man/arc-sign.1 arc-sign-filter
chmod 644 "$T/pf/arc.key"
postfix man/arc-sign.1 "$T/msg.eml"
is "$rc" 75 "arc-sign-filter: a key it cannot use defers (75), no bounce"
ok "  sendmail is not called" test ! -e "$T/sm.in"
chmod 600 "$T/pf/arc.key"
run env TMPDIR=/nonexistent sh -c 'exec "$@" <"$0"' "$T/msg.eml" \
    $(pipe_argv man/arc-sign.1)
is "$rc" 75 "arc-sign-filter: no temporary file, 75"

block man/arc-verify.1 postfix-filter | installed arc-verify-filter
postfix man/arc-verify.1 "$T/pass.eml"
is "$rc:$err" 0: "arc-verify-filter: exit 0"
handed_on arc-verify-filter
is "$(sed -n 2p "$T/sm.in")" \
    "	arc=pass (chain valid) header.oldest-pass=1 smtp.remote-ip=192.0.2.7" \
    "  the field, with the client address"
postfix man/arc-verify.1 "$T/fail.eml"
is "$rc:$(sed -n 1p "$T/sm.in")" "0:Authentication-Results: mx.example.net;" \
    "arc-verify-filter: a failing chain goes on with its field"
bounce_or_defer man/arc-verify.1 arc-verify-filter

# --- arc-verify(1): procmail -------------------------------------------------
# procmail -m with an rcfile that sets MAILDIR, includes the printed recipe
# and delivers what is left to the inbox, as DEFAULT would.
# procmail_block PAGE NAME IN: deliver IN through that recipe; $rc is
# procmail's status, and $T/pm the maildirs.
procmail_block() {
	rm -rf "$T/pm"
	mkdir -p "$T/pm"
	block "$1" "$2" | paths >"$T/pm/recipe.rc"
	cat >"$T/pm/rc" <<EOF
MAILDIR=$T/pm
DEFAULT=$T/pm/inbox/
LOGFILE=$T/pm/log
INCLUDERC=$T/pm/recipe.rc

:0
\$DEFAULT
EOF
	procmail -m "$T/pm/rc" <"$3"
	rc=$?
}

# one_in DIR: the one message in maildir DIR, or nothing.
one_in() {
	set -- "$T/pm/$1"/new/*
	[ $# -eq 1 ] && [ -f "$1" ] && cat "$1"
}

procmail_block man/arc-verify.1 procmail-field "$T/pass.eml"
is "$rc:$(one_in inbox | sed -n 2p)" \
    "0:	arc=pass (chain valid) header.oldest-pass=1" \
    "procmail-field: a passing chain gets its field, into the inbox"
# procmail ends what a filter gives it with a blank line, after cat too.
one_in inbox | tail -n +3 >"$T/got"
{ cat "$T/pass.eml"; echo; } >"$T/want"
same "$T/got" "$T/want" "  the message below it unchanged"
procmail_block man/arc-verify.1 procmail-field "$T/fail.eml"
is "$rc:$(one_in arc-failed | sed -n 2p)" \
    "0:	arc=fail (i=1 (AMS body hash miscompare))" \
    "procmail-field: a failing chain, its folded field matched: arc-failed/"
ok "  nothing in the inbox" test ! -d "$T/pm/inbox"
procmail_block man/arc-verify.1 procmail-field "$T/tempfail.eml"
one_in inbox >"$T/got"
same "$T/got" "$T/tempfail.eml" \
    "procmail-field: arc-verify fails (75): the message kept as it was"
like "$(cat "$T/pm/log")" "arc-verify: cannot validate 'stdin'" \
    "  the diagnostic in procmail's log"
procmail_block man/arc-verify.1 procmail-status "$T/fail.eml"
one_in arc-failed >"$T/got"
same "$T/got" "$T/fail.eml" "procmail-status: a failing chain to arc-failed/"
procmail_block man/arc-verify.1 procmail-status "$T/pass.eml"
one_in inbox >"$T/got"
same "$T/got" "$T/pass.eml" "procmail-status: a passing one to the inbox"

# --- arc-verify(1): the shell, the maildir one-liner -------------------------
mkdir "$T/sv" && cd "$T/sv" || exit 1
for m in pass fail tempfail; do
	cp "$T/$m.eml" msg.eml
	block man/arc-verify.1 shell-verdict >"$T/sv.sh"
	sh "$T/sv.sh" >"$T/out" 2>"$T/err"
	eval "rc_$m=\$?"
	eval "out_$m=\$(cat "$T/out")"
done
is "$rc_pass:$out_pass" "0:pass  (sealed by example.org)" \
    "shell-verdict: a passing chain"
is "$rc_fail:$out_fail" \
    "0:fail i=1 (AMS body hash miscompare) (sealed by example.org)" \
    "shell-verdict: a failing one, and why"
is "$rc_tempfail:$out_tempfail" "75:" \
    "shell-verdict: a key that cannot be fetched now: 75, no verdict"

mkdir -p "$T/home/Maildir/cur"
cp "$T/fail.eml" "$T/home/Maildir/cur/1795000001.M1P1.mx:2,S"
maildir() {
	block man/arc-verify.1 maildir-fail | sed 's/^\$ //' >"$T/md.sh"
	HOME=$T/home sh "$T/md.sh"
}
is "$(maildir)" \
    "$T/home/Maildir/cur/1795000001.M1P1.mx:2,S: arc_state=fail" \
    "maildir-fail: one message, the failing one found"
cp "$T/pass.eml" "$T/home/Maildir/cur/1795000002.M2P2.mx:2,S"
cp "$T/fail.eml" "$T/home/Maildir/cur/1795000003.M3P3.mx:2,RS"
is "$(maildir)" \
    "$T/home/Maildir/cur/1795000001.M1P1.mx:2,S: arc_state=fail
$T/home/Maildir/cur/1795000003.M3P3.mx:2,RS: arc_state=fail" \
    "maildir-fail: three messages, the two failing found"
cd "$T" || exit 1

# --- arc-verify(1): the output displays --------------------------------------
mkdir "$T/av" && cd "$T/av" || exit 1
cp "$T/pass.eml" a.eml
cp "$T/fail.eml" b.eml
arc-verify --add-header mx.example.net --ip 192.0.2.7 a.eml | sed -n 1,2p \
    >"$T/got"
block man/arc-verify.1 filter-field >"$T/want"
same "$T/got" "$T/want" "arc-verify.1 filter-field: the field added"
arc-verify b.eml >"$T/got"
block man/arc-verify.1 output-fail >"$T/want"
same "$T/got" "$T/want" "arc-verify.1 output-fail: a changed body"
arc-verify a.eml b.eml | head -n 1 >"$T/got"
block man/arc-verify.1 output-file >"$T/want"
same "$T/got" "$T/want" "arc-verify.1 output-file: the first line of two"
arc-verify --json a.eml b.eml | head -n 1 >"$T/got"
block man/arc-verify.1 output-json >"$T/want"
same "$T/got" "$T/want" "arc-verify.1 output-json: the first object of two"
cd "$T" || exit 1

# --- README.md: the ARC section ----------------------------------------------
# In a directory with the key and its zone file, and the tree's scripts/.
mkdir "$T/rd" && cd "$T/rd" || exit 1
cp "$T/arc.key" arc.key
"$MX_SRCDIR/t/data/arc-zone" \
    arc2026._domainkey.lists.example.org="$T/arc.key" >arc.zone
ln -s "$MX_SRCDIR/scripts" scripts
console_block README.md arc-seal
unb <"$T/cons.got" >"$T/got"
unb <"$T/cons.want" >"$T/want"
same "$T/got" "$T/want" "README arc-seal: the set on the demo message, b= aside"
console_block README.md arc-no-set
same "$T/cons.got" "$T/cons.want" "README arc-no-set: the warning and exit 1"
console_block README.md arc-verify
same "$T/cons.got" "$T/cons.want" "README arc-verify: pass, then fail"
block README.md arc-eval >"$T/eval.sh"
run sh "$T/eval.sh"
is "$rc:$out" "0:pass from lists.example.org" \
    "README arc-eval: the verdict through the resolver"
console_block README.md arc-json-filter
same "$T/cons.got" "$T/cons.want" "README arc-json-filter: --json, --add-header"
cd "$T" || exit 1

# --- arc-verify(1): Exim's DATA ACL ------------------------------------------
# An SMTP session on Exim's standard input (-bs) with the printed ACL; what
# is accepted stays in the queue, where -Mvh shows its header.
acl_setup() {
	command -v exim4 >/dev/null || return 1
	AX=$T/exim-acl
	mkdir -p "$AX/spool" && chown Debian-exim "$AX/spool" || return 1
	{ exim_main mx.example.org "$AX/spool"
	  cat <<EOF
queue_only = true
acl_smtp_rcpt = accept
acl_smtp_data = acl_check_data
begin acl
EOF
	  block man/arc-verify.1 exim-acl | paths; } >"$AX/conf"
}

# smtp_in IN: IN through an SMTP session; the replies in $T/smtp.
smtp_in() {
	{ printf 'EHLO client.example\r\nMAIL FROM:<alice@example.com>\r\n'
	  printf 'RCPT TO:<bob@example.org>\r\nDATA\r\n'
	  sed 's/^\./../; s/$/\r/' "$1"
	  printf '.\r\nQUIT\r\n'; } |
	    exim4 -C "$AX/conf" -bs >"$T/smtp" 2>>"$AX/stderr"
}

# added: the Authentication-Results field Exim added to the newest message
# in its queue.
added() {
	_id=$(exim4 -C "$AX/conf" -bp 2>/dev/null |
	    awk 'NF >= 3 && $3 ~ /^[0-9A-Za-z]+-/ { id = $3 } END { print id }')
	[ -n "$_id" ] && exim4 -C "$AX/conf" -Mvh "$_id" 2>/dev/null |
	    sed -n 's/^[0-9]*[A-Z ]  *\(Authentication-Results: .*\)/\1/p' |
	    sed -n 1p
}

if acl_setup; then
	smtp_in "$T/pass.eml"
	like "$(grep '^250 OK id=' "$T/smtp")" "^250 OK id=" \
	    "exim-acl: a passing chain is accepted"
	is "$(added)" "Authentication-Results: mx.example.org; arc=pass" \
	    "exim-acl: with arc=pass in the field it adds"
	smtp_in "$T/fail.eml"
	is "$(added)" "Authentication-Results: mx.example.org; arc=fail" \
	    "exim-acl: a failing chain, arc=fail"
	smtp_in "$T/tempfail.eml"
	like "$(grep '^451' "$T/smtp")" \
	    "^451 ARC keys cannot be fetched now, try again later" \
	    "exim-acl: a key that cannot be fetched now: 451, try later"
	is "$(exim4 -C "$AX/conf" -bpc 2>/dev/null)" 2 \
	    "exim-acl: and that message is not taken"
else
	skip 5 "exim4 cannot run here"
fi

done_testing
