#!/bin/sh
# The srs-forward recipes of man/srs-forward.1 (EXAMPLES) and of the
# README, run as printed; only paths and port numbers are changed.
# Console displays are compared with what the tool prints; the procmail
# recipe runs in procmail, the Exim router and transport in Debian's Exim
# with the socketmap server up and then killed, the rotation against the
# running server, the bounce report under cron's environment.

# start-stop-daemon detaches the server from this shell, and PID 1 here
# reaps nothing: run the test under a subreaper that does.
if [ -z "${MX_REAPER:-}" ]; then
	MX_REAPER=1 exec /usr/bin/python3 -c 'import ctypes, os, subprocess, sys
ctypes.CDLL(None).prctl(36, 1)	# PR_SET_CHILD_SUBREAPER
p = subprocess.Popen(sys.argv[1:])
rc = 1
while True:
    try:
        pid, st = os.wait()
    except ChildProcessError:
        break
    if pid == p.pid:
        rc = os.waitstatus_to_exitcode(st)
sys.exit(rc if rc >= 0 else 128 - rc)' /bin/sh "$0" "$@"
fi
. "$MX_SRCDIR/t/lib.sh"
use_faketime monotonic-real

TOOLS=$MX_BUILDDIR/tools
FWD=fwd.example.net
# The displays' files, by the names they have here.
W=$T/w
mkdir -p "$W" "$T/etc" "$T/run" "$T/tmp"
printf 's3cr3t\n' >"$W/srs-secret"
chmod 600 "$W/srs-secret"
SUBST="s,/usr/local/bin/,$TOOLS/,g; s,/etc/exim4/srs-secret,$T/etc/srs-secret,g
s,/run/srs-forward.pid,$T/run/srs-forward.pid,g"

# console NAME [SED] <DISPLAY: run a console display: each "$ command",
# with its continuation lines, in $W at noon of day $DAY (today when it is
# empty), and what it prints compared with the lines shown under it:
# diagnostics with its standard error, the rest with its standard output.
DAY=20000
console() {
	_c=$T/console/$1
	mkdir -p "$_c"
	sed "$SUBST; ${2:-}" | awk -v d="$_c" '
	function done_cmd() {
		printf "} >\"%s/%d.out\" 2>\"%s/%d.err\"\n", d, n, d, n >run
		cont = 0
	}
	BEGIN { run = d "/run.sh" }
	cont { print >run; print >cmd; if (!/\\$/) done_cmd(); next }
	/^\$ / {
		n++
		cmd = d "/" n ".cmd"; out = d "/" n ".want"; err = d "/" n ".wanterr"
		printf "" >out; printf "" >err
		print "{ " substr($0, 3) >run; print substr($0, 3) >cmd
		if (/\\$/) cont = 1; else done_cmd()
		next
	}
	/^srs-forward: / { print >err; next }
	{ print >out }
	'
	if [ -n "$DAY" ]; then
		(cd "$W" && at "$DAY" sh "$_c/run.sh")
	else
		(cd "$W" && sh "$_c/run.sh")
	fi
	_i=1
	while [ -f "$_c/$_i.cmd" ]; do
		_what="$1: $(head -n 1 "$_c/$_i.cmd" | cut -c 1-50)"
		same "$_c/$_i.out" "$_c/$_i.want" "$_what: output as shown"
		same "$_c/$_i.err" "$_c/$_i.wanterr" "$_what: diagnostics as shown"
		_i=$((_i + 1))
	done
}

# ask PORT REQUEST: one socketmap request; prints the netstring's content.
ask() {
	$PY -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
q = sys.argv[2].encode()
s.sendall(b"%d:%s," % (len(q), q))
b = b""
while not b.endswith(b","):
    d = s.recv(4096)
    if not d:
        break
    b += d
print(b[b.index(b":") + 1:-1].decode())' "$@"
}

# --- Console displays, compared as printed ---------------------------------
secret=$T/etc/srs-secret
cp "$W/srs-secret" "$secret"
block man/srs-forward.1 fwd-rev >"$T/display"
console fwd-rev <"$T/display"
block man/srs-forward.1 exim-scheme >"$T/display"
console exim-scheme <"$T/display"
block README.md srs-fwd-rev >"$T/display"
console srs-fwd-rev <"$T/display"
block README.md srs-batch >"$T/display"
# Its --time gives the day, whatever the clock says.
DAY=
console srs-batch <"$T/display"
DAY=20000
block README.md srs-srs1 >"$T/display"
console srs-srs1 <"$T/display"
block README.md srs-refused >"$T/display"
console srs-refused <"$T/display"
block README.md srs-exim-scheme >"$T/display"
console srs-exim-scheme <"$T/display"
block README.md srs-json >"$T/display"
console srs-json <"$T/display"

# The README's secret: one line, mode 0600, taken by srs-forward.
mkdir "$T/new"
block README.md srs-secret >"$T/secret.sh"
(cd "$T/new" && sh -e "$T/secret.sh")
is "$(stat -c %a "$T/new/srs-secret")" 600 "README srs-secret: mode 0600"
like "$(cat "$T/new/srs-secret")" '^[A-Za-z0-9+/]{32}$' \
    "README srs-secret: one line of 24 random bytes in base64"
run srs-forward --secret-file "$T/new/srs-secret" -d "$FWD" a@example.org
is "$rc:$err" "0:" "README srs-secret: srs-forward takes it without a warning"

# --- The README's socketmap server, main.cf and netstring client ----------
PORT=$(free_port)
block README.md srs-socketmap | sed "s/10003/$PORT/g" >"$T/sm"
cmd=$(sed -n 's/^\$ \(.*\) &$/\1/p' "$T/sm")
cd "$W" || exit 1
# Not `at`: the pid must be the server's, for the kill on exit.
daemon env TZ=UTC LD_PRELOAD="$FT" FAKETIME="$(noon 20000)" \
    sh -c "exec $cmd" >"$T/sm.out"
cd "$T" || exit 1
wait_port "$PORT"
is "$(cat "$T/sm.out")" "$(sed '/^\$ /d' "$T/sm")" \
    "README srs-socketmap: the server says where it listens, as shown"
block README.md srs-netstring >"$T/display"
console srs-netstring "s/10003/$PORT/g" <"$T/display"
# Postfix is not installed beside Exim: ask each map of main.cf what its
# cleanup would ask, and check the classes are Postfix's words.
block README.md srs-main-cf | sed "s/10003/$PORT/g" >"$T/main.cf"
map() {	# map PARAMETER: the map name of a socketmap:inet:ADDR:PORT:NAME value
	sed -n "s/^$1 = socketmap:inet:127\\.0\\.0\\.1:$PORT:\\([a-z]*\\)\$/\\1/p" \
	    "$T/main.cf"
}
srs0=SRS0=CLjc=RA=example.org=alice@$FWD
is "$(ask "$PORT" "$(map sender_canonical_maps) alice@example.org")" \
    "OK $srs0" "README srs-main-cf: the sender map rewrites a sender"
is "$(ask "$PORT" "$(map recipient_canonical_maps) $srs0")" \
    "OK alice@example.org" "README srs-main-cf: the recipient map reverses"
is "$(ask "$PORT" "$(map sender_canonical_maps) bob@$FWD")" "NOTFOUND " \
    "README srs-main-cf: a local sender is not found, so Postfix keeps it"
is "$(sed -n 's/^\([a-z_]*_classes\) = .*/\1/p' "$T/main.cf" | tr '\n' ' ')" \
    "sender_canonical_classes recipient_canonical_classes " \
    "README srs-main-cf: both class parameters set"
bad=$(sed -n 's/^[a-z_]*_classes = //p' "$T/main.cf" | sed 's/[, ]\{1,\}/\n/g' |
    grep -Evx '(envelope|header)_(sender|recipient)')
is "$bad" "" "README srs-main-cf: the classes are Postfix's words"

# --- The README's postsrsd replacement: tcp_table on postsrsd's ports --------
# tcp PORT KEY: a tcp_table request, as Postfix's cleanup makes it.
tcp() {
	$PY -c 'import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 5)
s.sendall(b"get %s\n" % sys.argv[2].encode())
print(s.makefile("rb").readline().decode().rstrip("\n"))' "$@"
}
free_ports PF PR
mkdir "$T/postsrsd"
cp "$W/srs-secret" "$T/postsrsd/secret"
block README.md srs-postsrsd |
    sed "s,/etc/postsrsd.secret,$T/postsrsd/secret,; s/10001/$PF/g
    s/10002/$PR/g" >"$T/pd"
cmd=$(sed -n 's/^\$ \(.*\) &$/\1/p' "$T/pd")
daemon sh -c "exec $cmd" >"$T/pd.out"
wait_port "$PF"
wait_port "$PR"
is "$(cat "$T/pd.out")" "$(sed '/^\$ /d' "$T/pd")" \
    "README srs-postsrsd: it says where it listens, as shown"
block README.md srs-postsrsd-main-cf |
    sed "s/10001/$PF/g; s/10002/$PR/g" >"$T/pd.cf"
tcpmap() {	# tcpmap PARAMETER: the port of a tcp:localhost:PORT value
	sed -n "s/^$1 = tcp:localhost:\([0-9]*\)\$/\1/p" "$T/pd.cf"
}
fwd=$(tcp "$(tcpmap sender_canonical_maps)" alice@example.org)
like "$fwd" "^200 SRS0=[^=]{4}=[A-Z2-7]{2}=example\\.org=alice@$FWD\$" \
    "README srs-postsrsd-main-cf: the sender map rewrites a sender"
is "$(tcp "$(tcpmap recipient_canonical_maps)" "${fwd#200 }")" \
    "200 alice@example.org" \
    "README srs-postsrsd-main-cf: the recipient map reverses it"
bad=$(sed -n 's/^[a-z_]*_classes *= *//p' "$T/pd.cf" |
    sed 's/[, ]\{1,\}/\n/g' | grep -Evx '(envelope|header)_(sender|recipient)')
is "$bad" "" "README srs-postsrsd-main-cf: the classes are Postfix's words"
if command -v postsrsd >/dev/null; then
	free_ports QF QR
	daemon postsrsd -s "$T/postsrsd/secret" -d "$FWD" -l 127.0.0.1 \
	    -f "$QF" -r "$QR" -4
	wait_port "$QF"
	theirs=$(tcp "$QF" Bob@Example.COM)
	is "$(tcp "$(tcpmap sender_canonical_maps)" Bob@Example.COM)" "$theirs" \
	    "README srs-postsrsd: the same address as postsrsd writes"
	is "$(tcp "$(tcpmap recipient_canonical_maps)" "${theirs#200 }")" \
	    "200 Bob@Example.COM" \
	    "README srs-postsrsd: an address postsrsd wrote reverses"
else
	skip 2 "postsrsd not installed"
fi

# --- procmail -----------------------------------------------------------
if command -v procmail >/dev/null; then
	PM=$T/pm
	mkdir -p "$PM"
	cp "$W/srs-secret" "$PM/srs-secret"
	cat >"$PM/sendmail" <<EOF
#!/bin/sh
# A sendmail that records its arguments and the message, and fails on
# demand.
printf '%s\n' "\$@" >"$PM/argv"
cat >"$PM/sent"
exit \$(cat "$PM/sendmail.rc" 2>/dev/null || echo 0)
EOF
	chmod +x "$PM/sendmail"
	block man/srs-forward.1 procmail |
	    sed "$SUBST; s,/usr/sbin/sendmail,$PM/sendmail,
	    s,\$HOME/.srs-secret,$PM/srs-secret," >"$PM/rc"
	# pm NAME: the message on stdin through procmail; $pmrc its status.
	pm() {
		rm -f "$PM/argv" "$PM/sent" "$PM/mbox"
		procmail -m DEFAULT="$PM/mbox" MAILDIR="$PM" \
		    LOGFILE="$PM/log" "$PM/rc" >/dev/null
		pmrc=$?
	}
	body='Subject: forwarded

The body.
'
	srs_alice=$(srs-forward --secret-file "$PM/srs-secret" -d "$FWD" \
	    alice@example.org)
	argv="-oi -f $srs_alice bob@elsewhere.example"
	printf 'Return-Path: <alice@example.org>\n%s\n' "$body" >"$PM/m1"
	pm rp <"$PM/m1"
	is "$pmrc:$(tr '\n' ' ' <"$PM/argv")" "0:$argv " \
	    "procmail: Return-Path: forwarded with the SRS sender"
	same "$PM/sent" "$PM/m1" "procmail: the message goes out whole"

	# Exim's address_pipe (|procmail in ~/.forward): no Return-Path, the
	# sender in the pipe transport's "From sender date" line.
	printf 'From alice@example.org Thu Oct  3 12:00:00 2024\n%s\n' \
	    "$body" >"$PM/m2"
	pm from_ <"$PM/m2"
	is "$pmrc:$(tr '\n' ' ' <"$PM/argv")" "0:$argv " \
	    "procmail: no Return-Path, the From_ line: the SRS sender"

	# A bounce stays a bounce, either way.
	for m in 'Return-Path: <>' \
	    'From MAILER-DAEMON Thu Oct  3 12:00:00 2024'; do
		printf '%s\n%s\n' "$m" "$body" >"$PM/m3"
		pm bounce <"$PM/m3"
		is "$pmrc:$(tr '\n' ' ' <"$PM/argv")" \
		    "0:-oi -f  bob@elsewhere.example " \
		    "procmail: a bounce ($m) keeps its null sender"
	done

	# No sender anywhere: never a null sender, the message deferred.
	printf '%s\n' "$body" >"$PM/m4"
	pm nosender <"$PM/m4"
	is "$pmrc" 75 "procmail: no sender known: exit 75, the MTA retries"
	ok "procmail: ... and nothing sent" test ! -e "$PM/argv"
	ok "procmail: ... nor delivered locally" test ! -e "$PM/mbox"

	# srs-forward fails (the secret file gone): deferred, nothing sent.
	mv "$PM/srs-secret" "$PM/srs-secret.away"
	pm nosecret <"$PM/m1"
	is "$pmrc" 75 "procmail: srs-forward fails: exit 75"
	ok "procmail: ... and nothing sent" test ! -e "$PM/argv"
	ok "procmail: ... nor delivered locally" test ! -e "$PM/mbox"
	like "$(cat "$PM/log")" "srs-forward: cannot open secret file" \
	    "procmail: ... and its log says why"
	mv "$PM/srs-secret.away" "$PM/srs-secret"

	# sendmail fails: deferred too.
	echo 1 >"$PM/sendmail.rc"
	pm sendmailfails <"$PM/m1"
	is "$pmrc" 75 "procmail: sendmail fails: exit 75"
	ok "procmail: ... nor delivered locally" test ! -e "$PM/mbox"
	rm "$PM/sendmail.rc"

	# A sender made to be run by a shell is not run.
	# shellcheck disable=SC2016
	printf 'Return-Path: <"`touch %s/owned`$(touch %s/owned)"@x.example>\n%s\n' \
	    "$PM" "$PM" "$body" >"$PM/m5"
	pm quoted <"$PM/m5"
	ok "procmail: a sender with backquotes is not run" test ! -e "$PM/owned"

	# Senders that look like options are addresses all the same; only
	# the first Return-Path counts; brackets and blanks are optional.
	# pmsend SENDER RETURN-PATH-LINES: the sendmail -f srs-forward gives.
	pmsend() {
		printf '%s\n%s\n' "$2" "$body" >"$PM/m6"
		pm sender <"$PM/m6"
		want=$(srs-forward --secret-file "$PM/srs-secret" -d "$FWD" \
		    -- "$1")
		is "$pmrc:$(tr '\n' ' ' <"$PM/argv" 2>/dev/null)" \
		    "0:-oi -f $want bob@elsewhere.example " \
		    "procmail: $(printf '%s' "$2" | tr '\n' '|')"
	}
	pmsend -x@example.org 'Return-Path: <-x@example.org>'
	pmsend --local-domains=a@b.example \
	    'Return-Path: <--local-domains=a@b.example>'
	pmsend alice@example.org "$(printf '%s\n' \
	    'Return-Path: <alice@example.org>' 'Return-Path: <eve@example.org>')"
	pmsend alice@example.org 'Return-Path: alice@example.org'
	pmsend alice@example.org "$(printf 'Return-Path:  \t<alice@example.org> ')"
else
	skip 20 "procmail not installed"
fi

# --- The daily bounce report, as cron runs it -------------------------------
mkdir -p "$T/cron"
cat >"$T/cron/mail" <<EOF
#!/bin/sh
printf '%s\n' "\$@" >"$T/cron/mail.argv"
cat >"$T/cron/mail.in"
EOF
chmod +x "$T/cron/mail"
a1=$(srs-forward --secret-file "$secret" -d "$FWD" alice@example.org)
a2=$(srs-forward --secret-file "$secret" -d "$FWD" Bob@Example.COM)
forged=SRS0=AAAA=${a1#SRS0=????=}
cat >"$T/cron/mainlog" <<EOF
2024-10-04 12:00:01 1sWz1a-000Abc-1x ** $a1 R=inbound_srs: x
2024-10-04 12:00:02 1sWz1b-000Abc-2x <= <> H=mx.example.com for $a2
2024-10-04 12:00:03 1sWz1c-000Abc-3x <= <> H=mx.example.com for $forged
2024-10-04 12:00:04 1sWz1d-000Abc-4x <= <> H=mx.example.com for $a1
2024-10-04 12:00:05 1sWz1e-000Abc-5x <= carol@example.net for dave@$FWD
EOF
block man/srs-forward.1 bounce-report |
    sed "$SUBST; s,/var/log/exim4/mainlog,$T/cron/mainlog,
    s,/usr/bin/mail,$T/cron/mail," >"$T/cron/srs-bounces"
chmod +x "$T/cron/srs-bounces"
# cron's environment: PATH=/usr/bin:/bin and little else.
run env -i PATH=/usr/bin:/bin HOME=/root SHELL=/bin/sh LOGNAME=root \
    TMPDIR="$T/tmp" "$T/cron/srs-bounces"
is "$rc:$err" "0:" "bounce report: runs under cron's PATH, quietly"
printf '%s\t%s\n' "$a1" alice@example.org "$a2" Bob@Example.COM \
    "$forged" "" | sort >"$T/cron/want"
same "$T/cron/mail.in" "$T/cron/want" \
    "bounce report: each SRS address once, beside its sender"
is "$(tr '\n' ' ' <"$T/cron/mail.argv")" "-s SRS bounces postmaster " \
    "bounce report: mailed to postmaster"
is "$(ls "$T/tmp")" "" "bounce report: its temporary file removed"
# No bounces: no mail.
rm -f "$T/cron/mail.in"
printf '2024-10-04 12:00:05 x <= carol@example.net for dave@%s\n' "$FWD" \
    >"$T/cron/mainlog"
run env -i PATH=/usr/bin:/bin TMPDIR="$T/tmp" "$T/cron/srs-bounces"
is "$rc" 0 "bounce report: no bounces: exit 0"
ok "bounce report: ... and no mail" test ! -e "$T/cron/mail.in"

# --- Exim and the socketmap server: up, rotated, down -----------------------
PATH=$PATH:/usr/sbin
if ! command -v exim >/dev/null 2>&1 ||
    ! command -v start-stop-daemon >/dev/null 2>&1 ||
    ! getent passwd Debian-exim >/dev/null; then
	skip 39 "exim4 or start-stop-daemon not installed"
	done_testing
fi
# The server and Exim's delivery processes run as Debian-exim.
chmod 711 "$T"
chgrp Debian-exim "$secret"
chmod 640 "$secret"
SPORT=$(free_port)
SUBST="$SUBST
s/10003/$SPORT/g"
block man/srs-forward.1 start-stop-daemon | sed "$SUBST" >"$T/ssd.sh"
sh -e "$T/ssd.sh"
is "$?" 0 "man start-stop-daemon: starts the server"
pid=$(cat "$T/run/srs-forward.pid")
_pids="$_pids $pid"
wait_port "$SPORT"
is "$(stat -c %U "/proc/$pid")" Debian-exim \
    "man start-stop-daemon: the server runs as Debian-exim"

# The fake next hop: an SMTP server that notes MAIL and RCPT.
MX=$(free_port)
cat >"$T/sink.py" <<'EOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(5)

def session(c):
    f = c.makefile("rwb")
    def say(t):
        f.write(t.encode() + b"\r\n")
        f.flush()
    say("220 sink")
    data = False
    for line in f:
        l = line.decode("latin-1").rstrip("\r\n")
        if data:
            if l == ".":
                data = False
                say("250 ok")
            continue
        v = l[:4].upper()
        if v in ("MAIL", "RCPT"):
            with open(sys.argv[2], "a") as log:
                log.write(l + "\n")
        if v == "DATA":
            data = True
            say("354 go")
        elif v == "QUIT":
            say("221 bye")
            break
        else:
            say("250 ok")

while True:
    c, _ = s.accept()
    try:
        session(c)
    except OSError as e:
        print("sink:", e, file=sys.stderr)
    c.close()
EOF
: >"$T/sink.log"
daemon "$PY" "$T/sink.py" "$MX" "$T/sink.log"
wait_port "$MX"

E=$T/exim
mkdir -p "$E/spool" "$E/log"
chown Debian-exim:Debian-exim "$E/spool" "$E/log"
{
	cat <<EOF
keep_environment =
primary_hostname = $FWD
qualify_domain = $FWD
spool_directory = $E/spool
log_file_path = $E/log/%slog
untrusted_set_sender = *
domainlist local_domains = $FWD

begin routers
EOF
	block man/srs-forward.1 exim-router | sed "$SUBST"
	cat <<EOF

remote:
  driver = manualroute
  domains = ! +local_domains
  route_list = * 127.0.0.1::$MX byname
  self = send
  transport = remote_forwarded_smtp

begin transports
EOF
	block man/srs-forward.1 exim-transport | sed "$SUBST"
	# Debian's retry rule: without one a deferral times out at once.
	cat <<EOF

begin retry
*   *   F,2h,15m; G,16h,1h,1.5; F,4d,6h
EOF
} >"$E/exim.conf"
run exim -C "$E/exim.conf" -bV
is "$rc" 0 "exim: the configuration with the recipes is valid"
# xm SENDER RCPT: a message through exim, delivered at once.
xm() {
	printf 'Subject: test\n\nbody\n' |
	    exim -C "$E/exim.conf" -odi -f "$1" "$2" 2>>"$E/stderr"
}
queued() {
	exim -C "$E/exim.conf" -bpc 2>/dev/null
}

srs=$(srs-forward --secret-file "$secret" -d "$FWD" User@Example.COM)
run exim -C "$E/exim.conf" -bt -f '' "$srs"
like "$out" "^User@Example\\.COM\$" \
    "exim-router: a bounce to an SRS address goes to the original sender"
run exim -C "$E/exim.conf" -bt -f '' "SRS0=AAAA=${srs#SRS0=????=}"
like "$out" "is undeliverable: invalid SRS recipient address" \
    "exim-router: a forged SRS address fails"
# Senders whose local parts hold specials: the bounce goes back to that
# one sender, never to a list of addresses or through an :include: file.
printf 'stolen@evil.example\n' >"$T/inc@y.example"
chmod 644 "$T/inc@y.example"
for a in '"victim@t.example,a"@attacker.example' \
    "\":include:$T/inc\"@y.example" '"|/bin/touch x"@z.example' \
    'a@b@c.example'; do
	f=$(srs-forward --secret-file "$secret" -d "$FWD" -- "$a")
	run exim -C "$E/exim.conf" -bt -f '' "$f"
	want=$a
	[ "$a" = a@b@c.example ] && want='"a@b"@c.example'
	is "$(printf '%s\n' "$out" | grep -c 'router = remote')" 1 \
	    "exim-router: a bounce to $a: one address"
	like "$(printf '%s\n' "$out" | sed -n 1p)" "^$(printf '%s' "$want" |
	    sed 's/[]|.*^$[]/\\&/g')\$" "...the original sender"
	ok "...and no file read" sh -c "! printf '%s' '$out' | grep -q stolen"
done
# The router is safe by itself: a server that answers a list, a file, a
# pipe or an include (an older srs-forward, another program) is not
# followed.
BAD=$(free_port)
daemon "$PY" -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(5)
while True:
    c, _ = s.accept()
    if c.recv(4096):
        r = b"OK " + open(sys.argv[2], "rb").read().rstrip(b"\n")
        c.sendall(b"%d:%s," % (len(r), r))
    c.close()' "$BAD" "$T/answer"
wait_port "$BAD"
sed "s/:$SPORT}/:$BAD}/" "$E/exim.conf" >"$E/bad.conf"
for a in 'victim@t.example,a@attacker.example' ":include:$T/inc@y.example" \
    '|/bin/touch x' '/etc/passwd' 'a@b, c@d' ':blackhole:'; do
	printf '%s\n' "$a" >"$T/answer"
	run exim -C "$E/bad.conf" -bt -f '' "$srs"
	like "$out" \
	    "cannot be resolved at this time: SRS socketmap server said no one" \
	    "exim-router: a server answering '$a': deferred"
done
xm '' "$srs"
xm alice@example.org bob@elsewhere.example
xm carol@$FWD bob@elsewhere.example
srs_alice=$(srs-forward --secret-file "$secret" -d "$FWD" alice@example.org)
printf '%s\n' 'MAIL FROM:<>' 'RCPT TO:<User@Example.COM>' \
    "MAIL FROM:<$srs_alice>" 'RCPT TO:<bob@elsewhere.example>' \
    "MAIL FROM:<carol@$FWD>" 'RCPT TO:<bob@elsewhere.example>' \
    >"$T/sink.want"
same "$T/sink.log" "$T/sink.want" \
    "exim: bounce reversed; forward with the SRS sender; a local sender kept"
is "$(queued)" 0 "exim: nothing left in the queue"

# --- The monthly rotation, against the running server ----------------------
old=$(head -n 1 "$secret")
before=$(ask "$SPORT" "forward alice@example.org")
block man/srs-forward.1 rotate | sed "$SUBST" >"$T/rotate"
run sh "$T/rotate"
is "$rc:$err" "0:" "man rotate: runs quietly"
is "$(sed -n 2p "$secret"):$(wc -l <"$secret")" "$old:2" \
    "man rotate: a new secret on top, the previous one kept below"
is "$(stat -c '%a %G' "$secret")" "640 Debian-exim" \
    "man rotate: mode 0640 root:Debian-exim"
is "$(ls "$T/etc")" srs-secret "man rotate: no temporary file left"
ok "man rotate: the server lives on" kill -0 "$pid"
after=$(ask "$SPORT" "forward alice@example.org")
head -n 1 "$secret" >"$T/new-only"
printf '%s\n' "$old" >"$T/old-only"
chmod 600 "$T/new-only" "$T/old-only"
is "$(srs-forward -r --secret-file "$T/new-only" "${after#OK }" 2>&1)" \
    alice@example.org "man rotate: the server signs with the new secret"
run srs-forward -r --secret-file "$T/old-only" "${after#OK }"
is "$rc" 1 "man rotate: ... not with the old one"
is "$(ask "$SPORT" "reverse ${before#OK }")" "OK alice@example.org" \
    "man rotate: an address signed before still reverses"

# --- The server down: both recipes defer, nothing goes out ------------------
kill "$pid"
i=0
while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
cp "$T/sink.log" "$T/sink.before"
run exim -C "$E/exim.conf" -bt -f '' "$srs"
like "$out" "cannot be resolved at this time" \
    "server down: exim-router defers a bounce to an SRS address"
xm '' "$srs"
xm alice@example.org bob@elsewhere.example
same "$T/sink.log" "$T/sink.before" "server down: nothing goes out"
is "$(queued)" 2 "server down: both messages stay queued"
like "$(grep -c ' == .* defer' "$E/log/mainlog")" '^2$' \
    "server down: both logged as deferred"
ok "server down: nothing failed" sh -c "! grep -q ' \\*\\* ' '$E/log/mainlog'"

done_testing
