#!/bin/sh
# The displays of dmarc-check(1) and the README's dmarc-check section, run
# as printed: Exim's DATA ACL, the Postfix filter under a fake sendmail,
# procmail, Sieve through Pigeonhole's sieve-test, the shell, the maildir
# one-liner, the failure report; the output displays against what the
# tool prints.  The recipes ask the system resolver, as at a real site, so
# the test runs in private network and mount namespaces where
# /etc/resolv.conf names knot on 127.0.0.1, serving example.com as the
# page's dns-zone display publishes it.  Only paths are changed in the
# printed text: /usr/local/bin/ becomes the build's tools/, files under
# /etc/ and /var/spool/ go to $T.
. "${MX_SRCDIR:-.}/t/lib.sh"
. "$MX_SRCDIR/t/knot.sh"

PATH=$PATH:/usr/sbin
need procmail
need_knot

if [ -z "${MX_T87_NS:-}" ]; then
	if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null ||
	    ! command -v ip >/dev/null || ! unshare -nm true 2>/dev/null; then
		skip_all "no private namespaces here (unshare -nm, as root)"
	fi
	echo "nameserver 127.0.0.1" >"$T/resolv.conf"
	MX_T87_NS=1 unshare -nm sh -c '
		ip link set lo up && mount --bind "$1" /etc/resolv.conf ||
		    exit 77
		exec sh "$2"' sh "$T/resolv.conf" "$0"
	rc=$?
	[ "$rc" -eq 77 ] && skip_all "cannot set up the namespaces"
	exit "$rc"
fi

# The tools must be reachable by the Exim user and by nobody (Sieve).
chmod 755 "$T"
TOOLS=$MX_BUILDDIR/tools

# --- example.com as the page publishes it, served by knot --------------------
block man/dmarc-check.1 dns-zone >"$T/page.zone"
{ zone_head example.com; cat "$T/page.zone"; } >"$T/example.com.zone"
knot_start "$T/example.com.zone" example.com. 53 >&2 ||
    skip_all "knot does not serve on 127.0.0.1@53"

# --- messages ----------------------------------------------------------------
cat >"$T/msg.eml" <<'EOF'
From: Alice <alice@example.com>
To: bob@example.net
Subject: Lunch
Date: Mon, 23 Nov 2026 10:00:00 +0000
Message-ID: <lunch.1@example.com>

Noon at the usual place?
EOF
# with the results our MTA (mx.example.net, mx.example.org) wrote
ours() {	# ours AUTHSERV-ID SPF IN
	{ printf '%s\n' "Authentication-Results: $1;" \
	    "	spf=$2 smtp.mailfrom=alice@example.com;" "	dkim=none"
	  cat "$3"; }
}
ours mx.example.net pass "$T/msg.eml" >"$T/pass.eml"
ours mx.example.net fail "$T/msg.eml" >"$T/fail.eml"
# A sender's forgery: a pass under another authserv-id.
ours mx.example.org pass "$T/msg.eml" >"$T/forged.eml"
# From a domain the resolver cannot answer for now (knot refuses it).
sed 's/alice@example.com/alice@other.example/' "$T/msg.eml" >"$T/other.eml"
ours mx.example.net pass "$T/other.eml" >"$T/tempfail.eml"
{ i=0
  while [ "$i" -lt 1100 ]; do
	printf 'X-Filler-%d: %01000d\n' "$i" 0
	i=$((i + 1))
  done
  cat "$T/msg.eml"; } >"$T/big.eml"

verdict() {	# verdict ARGS...: dmarc_status through the resolver
	dmarc-check "$@" | sed -n 's/^dmarc_status=//p'
}
is "$(verdict --ip 192.0.2.7 --mail-from alice@example.com "$T/msg.eml")" \
    accept "the resolver in the namespace answers for example.com"

paths() {	# the printed text with its paths moved into the test
	sed -e "s|/usr/local/bin/|$TOOLS/|g" \
	    -e "s|/usr/local/libexec/|$T/libexec/|g" \
	    -e "s|/usr/local/lib/mxkit/sieve-filter/|$T/filter/|g" \
	    -e "s|/usr/local/lib/mxkit/sieve-filter|$T/filter|g" \
	    -e "s|/usr/sbin/sendmail|$T/sendmail|g" \
	    -e "s|/var/spool/exim4/dmarc/|$T/exim-acl/dmarc/|g" \
	    -e "s|/var/spool/dmarc/|$T/spool/|g" "$@"
}

# console_block FILE NAME, as t/67: the "$ " lines run in one shell, into
# $T/cons.got; the other lines, what they print, into $T/cons.want.
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

# --- the output displays -----------------------------------------------------
mkdir "$T/od" && cd "$T/od" || exit 1
cp "$T/msg.eml" msg.eml
dmarc-check --dns-zone "$T/page.zone" --ip 192.0.2.99 \
    --mail-from alice@example.com --add-header mx.example.net msg.eml |
    sed -n 1,4p >"$T/got"
block man/dmarc-check.1 filter-field >"$T/want"
same "$T/got" "$T/want" "filter-field: the field for a failing message"
dmarc-check --dns-zone "$T/page.zone" --ip 192.0.2.99 \
    --mail-from alice@example.com --reporter mx.example.net msg.eml >"$T/got"
block man/dmarc-check.1 output-reject >"$T/want"
same "$T/got" "$T/want" "output-reject: the record"
dmarc-check --dns-zone "$T/page.zone" --ip 192.0.2.7 \
    --mail-from alice@example.com --reporter mx.example.net --json msg.eml \
    >"$T/got"
block man/dmarc-check.1 output-json >"$T/want"
same "$T/got" "$T/want" "output-json: the object for a pass"

# --- README.md: the dmarc-check section --------------------------------------
mkdir "$T/rd" && cd "$T/rd" || exit 1
ln -s "$MX_SRCDIR/scripts" scripts
console_block README.md dmarc-reject
same "$T/cons.got" "$T/cons.want" "README dmarc-reject: the verdict and exit 1"
console_block README.md dmarc-authres
same "$T/cons.got" "$T/cons.want" \
    "README dmarc-authres: the list's results, the field added"
cd "$T/od" || exit 1

# --- the shell ---------------------------------------------------------------
block man/dmarc-check.1 shell-verdict >"$T/sv.sh"
run sh "$T/sv.sh"
is "$rc:$out" "0:reject for example.com (policy reject)" \
    "shell-verdict: the verdict through the resolver"
cp "$T/other.eml" msg.eml
run sh "$T/sv.sh"
is "$rc:$out" "75:" "shell-verdict: the DNS failing: 75, no verdict"
cd "$T" || exit 1

mkdir -p "$T/home/Maildir/cur"
cp "$T/fail.eml" "$T/home/Maildir/cur/1795000001.M1P1.mx:2,S"
maildir() {
	block man/dmarc-check.1 maildir-reject | sed 's/^\$ //' >"$T/md.sh"
	HOME=$T/home sh "$T/md.sh"
}
is "$(maildir)" \
    "$T/home/Maildir/cur/1795000001.M1P1.mx:2,S: dmarc_status=reject" \
    "maildir-reject: one message, rejected by its results"
cp "$T/pass.eml" "$T/home/Maildir/cur/1795000002.M2P2.mx:2,S"
cp "$T/forged.eml" "$T/home/Maildir/cur/1795000003.M3P3.mx:2,S"
is "$(maildir)" \
    "$T/home/Maildir/cur/1795000001.M1P1.mx:2,S: dmarc_status=reject
$T/home/Maildir/cur/1795000003.M3P3.mx:2,S: dmarc_status=reject" \
    "maildir-reject: three, the forged pass found too"

# --- the failure report ------------------------------------------------------
cat >"$T/sendmail" <<EOF
#!/bin/sh
printf '%s\n' "\$@" >"$T/sm.argv"
cat >"$T/sm.in"
EOF
chmod 755 "$T/sendmail"
mkdir -p "$T/spool" "$T/fr"
block man/dmarc-check.1 forensic | paths >"$T/forensic.sh"
cd "$T/fr" && cp "$T/msg.eml" msg.eml || exit 1
run sh "$T/forensic.sh"
is "$rc" 0 "forensic: the script runs"
is "$(tr '\n' ' ' <"$T/sm.argv")" "-t -i " "  sendmail -t -i is called"
like "$(cat "$T/sm.in")" "^To: .*dmarc@example.com" "  with the report to ruf="
like "$(cat "$T/sm.in")" "^From: .*dmarc-noreply@example.net" \
    "  from --forensic-sender"
ok "  the report removed once sent" test ! -e "$T/spool/report.eml"
rm -f "$T/sm.argv"
sed 's/192.0.2.99/192.0.2.7/' "$T/forensic.sh" >"$T/forensic-pass.sh"
run sh "$T/forensic-pass.sh"
is "$rc" 0 "forensic: a pass, nothing to report"
ok "  sendmail not called" test ! -e "$T/sm.argv"
cp "$T/other.eml" msg.eml
run sh "$T/forensic.sh"
is "$rc" 75 "forensic: the DNS failing: 75"
cd "$T" || exit 1

# --- Exim: the DATA ACL ------------------------------------------------------
exim_main() {
	cat <<EOF
primary_hostname = $1
spool_directory = $2
log_file_path = $2/%slog
exim_user = Debian-exim
exim_group = Debian-exim
EOF
}
acl_setup() {
	command -v exim4 >/dev/null || return 1
	AX=$T/exim-acl
	mkdir -p "$AX/spool" "$AX/dmarc" &&
	    chown Debian-exim "$AX/spool" "$AX/dmarc" || return 1
	{ exim_main mx.example.net "$AX/spool"
	  cat <<EOF
queue_only = true
acl_smtp_rcpt = accept
acl_smtp_data = acl_check_data
begin acl
EOF
	  block man/dmarc-check.1 exim-acl | paths; } >"$AX/conf"
}

# smtp_in IP SENDER IN: IN through an SMTP session from IP; the replies
# in $T/smtp.
smtp_in() {
	{ printf 'EHLO client.example\r\nMAIL FROM:<%s>\r\n' "$2"
	  printf 'RCPT TO:<bob@example.net>\r\nDATA\r\n'
	  sed 's/^\./../; s/$/\r/' "$3"
	  printf '.\r\nQUIT\r\n'; } |
	    exim4 -C "$AX/conf" -oMa "$1" -bs >"$T/smtp" 2>>"$AX/stderr"
}

# added: the X-DMARC field of the newest message in Exim's queue.
added() {
	_id=$(exim4 -C "$AX/conf" -bp 2>/dev/null |
	    awk 'NF >= 3 && $3 ~ /^[0-9A-Za-z]+-/ { id = $3 } END { print id }')
	[ -n "$_id" ] && exim4 -C "$AX/conf" -Mvh "$_id" 2>/dev/null |
	    sed -n 's/^[0-9]*[A-Z ]  *\(X-DMARC: .*\)/\1/p' | sed -n 1p
}

if acl_setup; then
	smtp_in 192.0.2.7 alice@example.com "$T/msg.eml"
	like "$(grep '^250 OK id=' "$T/smtp")" "^250 OK id=" \
	    "exim-acl: SPF passes for example.com: accepted"
	is "$(added)" "X-DMARC: accept" "  with X-DMARC: accept"
	id1=$(sed -n 's/^250 OK id=//p' "$T/smtp" | tr -d '\r')
	like "$(cat "$AX/dmarc/history" 2>/dev/null)" "^job $id1\$" \
	    "  a history record, job the queue id"
	smtp_in 192.0.2.99 alice@example.com "$T/msg.eml"
	like "$(grep '^550' "$T/smtp")" \
	    "^550 Rejected by the DMARC policy of example.com" \
	    "exim-acl: SPF fails, p=reject: 550"
	smtp_in 192.0.2.7 '"a b\"c"@example.com' "$T/msg.eml"
	is "$(added)" "X-DMARC: accept" \
	    "exim-acl: a quoted local part with a quote stays one argument"
	smtp_in 192.0.2.99 '' "$T/msg.eml"
	like "$(grep '^550' "$T/smtp")" "^550 Rejected" \
	    "exim-acl: the null sender, an empty argument: judged, 550"
	smtp_in 192.0.2.7 alice@other.example "$T/other.eml"
	like "$(grep '^451' "$T/smtp")" \
	    "^451 DMARC cannot be checked now, try again later" \
	    "exim-acl: the DNS failing: 451"
	is "$(exim4 -C "$AX/conf" -bpc 2>/dev/null)" 2 \
	    "exim-acl: the two accepted are queued, only those"
else
	skip 8 "exim4 cannot run here"
fi

# --- Postfix: master.cf and the filter script, under the fake sendmail -------
mkdir -p "$T/libexec" "$T/mc"
block man/dmarc-check.1 postfix-master | paths >"$T/mc/master.cf"
svc=$(sed -n 's/.*content_filter=\([a-z]*\):dummy.*/\1/p' "$T/mc/master.cf")
like "$(grep "^$svc " "$T/mc/master.cf")" "^$svc +unix .* pipe\$" \
    "postfix-master: content_filter names its pipe service"
pipe_argv() {	# pipe_argv SENDER: the argv= with pipe(8)'s macros
	awk '
	    /^ *argv=/ { on = 1; sub(/^ *argv=/, ""); a = $0; next }
	    on && /^[ \t]/ { sub(/^[ \t]+/, " "); a = a $0; next }
	    { on = 0 } END { print a }' "$T/mc/master.cf" |
	    sed -e "s/\${sender}/$1/g" \
	    -e 's/\${recipient}/bob@example.net/g' \
	    -e "s/\${client_address}/$2/g" \
	    -e 's/\${client_helo}/client.example/g'
}
postfix() {	# postfix SENDER IP IN: the filter as pipe(8) runs it
	rm -f "$T/sm.argv" "$T/sm.in"
	# shellcheck disable=SC2046
	run sh -c 'exec "$@" <"$0"' "$3" $(pipe_argv "$1" "$2")
}
block man/dmarc-check.1 postfix-filter | paths >"$T/libexec/dmarc-check-filter"
chmod 755 "$T/libexec/dmarc-check-filter"
postfix alice@example.com 192.0.2.7 "$T/msg.eml"
is "$rc:$err" 0: "postfix-filter: exit 0"
is "$(tr '\n' ' ' <"$T/sm.argv")" \
    "-G -i -f alice@example.com -- bob@example.net " \
    "  sendmail gets -G -i and pipe's sender and recipient"
is "$(sed -n 4p "$T/sm.in")" \
    "	dmarc=pass (p=reject dis=none) header.from=example.com" \
    "  the field, DMARC passing"
sed 1,4d "$T/sm.in" >"$T/got"
same "$T/got" "$T/msg.eml" "  the message below it unchanged"
postfix alice@example.com 192.0.2.99 "$T/msg.eml"
is "$rc:$(sed -n 4p "$T/sm.in")" \
    "0:	dmarc=fail (p=reject dis=reject) header.from=example.com" \
    "postfix-filter: a failing message goes on with its field"
postfix alice@example.com 192.0.2.7 "$T/big.eml"
is "$rc" 65 "postfix-filter: a header over 1 MiB stays 65, a bounce"
ok "  sendmail is not called" test ! -e "$T/sm.in"
postfix alice@other.example 192.0.2.7 "$T/other.eml"
is "$rc" 75 "postfix-filter: the DNS failing: 75, a deferral"
ok "  sendmail is not called" test ! -e "$T/sm.in"
run env TMPDIR=/nonexistent sh -c 'exec "$@" <"$0"' "$T/msg.eml" \
    $(pipe_argv alice@example.com 192.0.2.7)
is "$rc" 75 "postfix-filter: no temporary file, 75"

# --- procmail ----------------------------------------------------------------
procmail_block() {	# procmail_block PAGE NAME IN, as t/67
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
one_in() {	# one_in DIR: the one message in maildir DIR
	set -- "$T/pm/$1"/new/*
	[ $# -eq 1 ] && [ -f "$1" ] && cat "$1"
}
procmail_block man/dmarc-check.1 procmail-field "$T/pass.eml"
is "$rc:$(one_in inbox | sed -n 4p)" \
    "0:	dmarc=pass (p=reject dis=none) header.from=example.com" \
    "procmail-field: our results pass: the field, into the inbox"
procmail_block man/dmarc-check.1 procmail-field "$T/fail.eml"
is "$(one_in dmarc-failed | sed -n 4p)" \
    "	dmarc=fail (p=reject dis=reject) header.from=example.com" \
    "procmail-field: our SPF failed: dmarc-failed/"
ok "  nothing in the inbox" test ! -d "$T/pm/inbox"
procmail_block man/dmarc-check.1 procmail-field "$T/forged.eml"
ok "procmail-field: a forged pass is not read: dmarc-failed/" \
    test -d "$T/pm/dmarc-failed"
procmail_block man/dmarc-check.1 procmail-field "$T/tempfail.eml"
one_in inbox >"$T/got"
same "$T/got" "$T/tempfail.eml" \
    "procmail-field: the DNS failing (75): the message kept as it was"
like "$(cat "$T/pm/log")" "dmarc-check: cannot check dmarc of 'stdin'" \
    "  the diagnostic in procmail's log"

# --- Sieve: the wrapper and the script, with mxkit(7)'s configuration --------
if command -v sieve-test >/dev/null && command -v setpriv >/dev/null &&
    id nobody >/dev/null 2>&1; then
	mkdir -m 755 "$T/filter" "$T/shome"
	block man/mxkit.7 sieve-conf | paths >"$T/sieve.conf"
	block man/dmarc-check.1 sieve-wrapper | paths >"$T/filter/dmarc-check"
	chmod 755 "$T/filter/dmarc-check"
	block man/dmarc-check.1 sieve-script >"$T/dmarc.sieve"
	printf '%s\n' "!include $T/sieve.conf" >"$T/dovecot.conf"
	for m in pass fail tempfail; do
		ours mx.example.org "$(echo "$m" | sed 's/tempfail/pass/')" \
		    "$T/$( [ "$m" = tempfail ] && echo other || echo msg).eml" \
		    >"$T/s-$m.eml"
	done
	chmod 644 "$T"/*.eml "$T"/*.conf "$T/dmarc.sieve"
	chown nobody "$T/shome"
	deliver() {	# deliver IN: sieve-test into $T/shome/mail
		rm -rf "$T/shome/mail"
		setpriv --reuid nobody --regid nogroup --clear-groups \
		    env HOME="$T/shome" sieve-test -c "$T/dovecot.conf" \
		    -l "maildir:$T/shome/mail" -e "$T/dmarc.sieve" "$1"
	}
	stored() {
		cat "$T/shome/mail/${1:+.$1/}"new/* 2>/dev/null
	}
	run deliver "$T/s-pass.eml"
	like "$err" "stored mail into mailbox 'INBOX'" \
	    "sieve-script: a pass stays in INBOX"
	is "$(stored | sed -n 4p)" \
	    "	dmarc=pass (p=reject dis=none) header.from=example.com" \
	    "  with the field on top"
	run deliver "$T/s-fail.eml"
	like "$err" "stored mail into mailbox 'Junk'" \
	    "sieve-script: a failure goes to Junk"
	run deliver "$T/s-tempfail.eml"
	like "$err" "exit code 75" "sieve-script: the DNS failing: exit 75"
	is "$(stored)" "$(cat "$T/s-tempfail.eml")" \
	    "  the original delivered to INBOX unchanged"
else
	skip 5 "sieve-test, setpriv or nobody missing"
fi

done_testing
