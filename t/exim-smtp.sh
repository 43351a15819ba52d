# t/exim-smtp.sh: Debian's Exim 4.96 as an SMTP peer for a test.  Source
# it after t/lib.sh:
#	. "$MX_SRCDIR/t/exim-smtp.sh"
#	need_exim				# else skip the whole test
#	exim_smtp_start "$T/exim" [options] || ...
#	smtp-probe "[127.0.0.1]:$EXIM_PORT" ...
#	exim_smtp_wait_mail 1			# the message delivered
#	exim_smtp_stop
#
# exim_smtp_start DIR runs Exim in the foreground (-bdf) as a child of the
# test (lib.sh's daemon, so killed and reaped on exit) on 127.0.0.1 at a
# free high port, with its configuration, spool, log and a self-signed
# certificate (CN exim.test; DIR/cert.pem and DIR/key.pem already there, a
# chain maybe, are taken as they are) all under DIR, and waits until it
# listens.  It advertises PIPELINING, PIPECONNECT, CHUNKING, STARTTLS,
# PRDR, SMTPUTF8 and 8BITMIME, accepts every recipient and delivers each
# message once, all its recipients together, to a file of its own
# DIR/mail/msg.ID (ID: Exim's message id) holding the message exactly as
# received: LF line ends, no Received: field, no From_ line, no escaping.
# A message's recipients are in the mainlog (`=>` and `->` lines).
# Options:
#	--port N		this port (to restart a server where a client's
#				cache expects it) instead of a free one
#	--no-early		pipelining_connect_advertise_hosts = :, so no
#				PIPECONNECT and early input gets 554
#	--recipients-max N	recipients_max: 452 past N RCPTs
#	--no-tls		no STARTTLS
#	--connect-delay T	acl_smtp_connect `accept delay = T` (default
#				$EXIM_CONNECT_DELAY or 0s): Exim looks for early
#				input once the delay is over, so with 1s a
#				client's early EHLO is there for sure
#	--main LINE		a line for the main section (repeatable); an
#				option set here replaces the one above
#				(`--main 'chunking_advertise_hosts ='`)
# It sets EXIM_PORT, EXIM_DIR, EXIM_PID, EXIM_LOG (the mainlog), EXIM_CONF,
# EXIM_CERT (the certificate, PEM) and EXIM_MAIL (DIR/mail), and returns 1,
# with Exim's complaint as a diagnostic, when it does not come up.
#
# The mainlog logs connections, a session without MAIL with its commands
# (`no MAIL in SMTP connection from ... C=EHLO,QUIT`) and, on a message's
# `<=` line, `L*` when early pipelining was used (`L.` offered, not used; a
# `-` after it: PIPELINING not used), ` K` for BDAT, `M8S=8` for
# BODY=8BITMIME; a session without MAIL cannot show early pipelining, but
# with --no-early its early input is logged (`SMTP protocol synchronization
# error (input sent without waiting for greeting) ... input="EHLO ...`).
#
# Exim takes a -C file from root only, so the test runs as root; Exim runs
# as root too (its own user could not read a test's mode-700 directory),
# but it never delivers as root (Debian's fixed never_users): deliveries run
# as Debian-exim, so DIR and the directories above it that others cannot
# search (a test's mode-700 $T, the $T of the test a README recipe runs
# in) are made searchable by others (o+x, not readable).  Nothing outside
# DIR is written; /etc is not touched.

EXIM=${EXIM:-/usr/sbin/exim4}
EXIM_USER=${EXIM_USER:-Debian-exim}

need_exim() {
	[ -x "$EXIM" ] || skip_all "exim4 not installed (exim4-daemon-heavy)"
	[ "$(id -u)" -eq 0 ] || skip_all "exim takes a -C file from root only"
	id "$EXIM_USER" >/dev/null 2>&1 || skip_all "no user $EXIM_USER"
}

# exim_searchable DIR: DIR and the directories above it that are ours and
# others cannot search made searchable by others (o+x, not readable), so
# that Exim's deliveries, as Debian-exim, reach DIR.
exim_searchable() {
	_ed=$1
	while [ "$_ed" != / ]; do
		if [ -O "$_ed" ] && [ -n "$(find "$_ed" -maxdepth 0 \
		    ! -perm -o+x)" ]; then
			chmod o+x "$_ed" || return 1
		fi
		_ed=$(dirname "$_ed")
	done
}

# _exim_conf DIR PORT: the configuration, from the _exim_* settings.
_exim_conf() {
	cat <<EOF
primary_hostname = exim.test
exim_user = root
exim_group = root
spool_directory = $1/spool
log_file_path = $1/log/%slog
log_selector = +smtp_connection +smtp_no_mail +pipelining \\
  +received_recipients +smtp_protocol_error +smtp_syntax_error +tls_peerdn \\
  +8bitmime
local_interfaces = <; 127.0.0.1
daemon_smtp_ports = $2
keep_environment =
host_lookup =
rfc1413_hosts =
# The message exactly as sent, for byte comparisons.
received_header_text =
pipelining_advertise_hosts = *
pipelining_connect_advertise_hosts = $_exim_early
chunking_advertise_hosts = *
prdr_enable = true
tls_advertise_hosts = $_exim_tls
tls_certificate = $1/cert.pem
tls_privatekey = $1/key.pem
$_exim_rmax
acl_smtp_connect = connect
acl_smtp_rcpt = accept
begin acl
connect:
  accept delay = $_exim_delay
begin routers
store:
  driver = accept
  transport = store
begin transports
store:
  driver = appendfile
  directory = $1/mail
  directory_file = msg.\$message_exim_id
  user = $EXIM_USER
  # not root's supplementary group 0, which the mode-7x1 directories shut out
  initgroups = true
  mode = 0644
  batch_max = 10000
  message_prefix =
  message_suffix =
  check_string =
  escape_string =
EOF
}

# _exim_listening PORT: whether something listens on 127.0.0.1:PORT, read
# from the kernel's table, so that waiting leaves no connection in the log.
_exim_listening() {
	_el=$(printf '0100007F:%04X' "$1")
	awk -v a="$_el" '$2 == a && $4 == "0A" { f = 1 } END { exit !f }' \
	    /proc/net/tcp
}

exim_smtp_start() {	# exim_smtp_start DIR [options]
	mkdir -p "$1" && EXIM_DIR=$(cd "$1" && pwd) || return 1
	shift
	EXIM_PORT=
	_exim_early='*'
	_exim_tls='*'
	_exim_rmax=
	_exim_delay=${EXIM_CONNECT_DELAY:-0s}
	_exim_main=
	while [ $# -gt 0 ]; do
		case $1 in
		--port)
			EXIM_PORT=$2
			shift ;;
		--no-early)
			_exim_early=: ;;
		--recipients-max)
			_exim_rmax="recipients_max = $2"
			shift ;;
		--no-tls)
			_exim_tls= ;;
		--connect-delay)
			_exim_delay=$2
			shift ;;
		--main)
			_exim_main="$_exim_main$2
"
			shift ;;
		*)
			echo "exim_smtp_start: unknown option '$1'" >&2
			return 1 ;;
		esac
		shift
	done
	[ -n "$EXIM_PORT" ] || EXIM_PORT=$(free_port) || return 1
	EXIM_CONF=$EXIM_DIR/conf
	EXIM_LOG=$EXIM_DIR/log/mainlog
	EXIM_CERT=$EXIM_DIR/cert.pem
	EXIM_MAIL=$EXIM_DIR/mail
	mkdir -p "$EXIM_DIR/spool" "$EXIM_DIR/log" "$EXIM_MAIL" || return 1
	chown "$EXIM_USER" "$EXIM_MAIL" || return 1
	exim_searchable "$EXIM_DIR" || return 1
	if [ ! -s "$EXIM_DIR/key.pem" ]; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 \
		    -nodes -keyout "$EXIM_DIR/key.pem" -out "$EXIM_CERT" \
		    -days 3650 -subj /CN=exim.test \
		    -addext subjectAltName=DNS:exim.test \
		    >"$EXIM_DIR/openssl.log" 2>&1 || {
			cat "$EXIM_DIR/openssl.log" >&2
			return 1
		}
	fi
	# Exim refuses an option set twice: --main's replace the defaults.
	_exim_conf "$EXIM_DIR" "$EXIM_PORT" | awk -v main="$_exim_main" '
	    BEGIN {
		n = split(main, l, "\n")
		for (i = 1; i <= n; i++)
			if (split(l[i], w, /[ \t=]+/) > 0 && w[1] != "")
				set[w[1]] = 1
	    }
	    /^begin / && !done { done = 1; printf "%s", main }
	    !done && /^[a-z_0-9]+ *=/ && $1 in set { skip = 1; next }
	    skip && /^[ \t]/ { next }
	    { skip = 0; print }' >"$EXIM_CONF" || return 1
	rm -f "$EXIM_DIR/pid"
	daemon "$EXIM" -C "$EXIM_CONF" -bdf -oP "$EXIM_DIR/pid" \
	    2>>"$EXIM_DIR/stderr"
	EXIM_PID=$!
	_ei=0
	until _exim_listening "$EXIM_PORT"; do
		if ! kill -0 "$EXIM_PID" 2>/dev/null || [ "$_ei" -ge 100 ]; then
			echo "exim_smtp_start: exim did not come up:" \
			    "$(tail -n 1 "$EXIM_DIR/stderr" 2>/dev/null)" >&2
			exim_smtp_stop
			return 1
		fi
		sleep 0.05
		_ei=$((_ei + 1))
	done
	export EXIM_PORT EXIM_DIR EXIM_PID EXIM_LOG EXIM_CONF EXIM_CERT \
	    EXIM_MAIL
}

# exim_smtp_stop: kill the server and wait for it (its port is free again).
exim_smtp_stop() {
	[ -n "${EXIM_PID-}" ] || return 0
	kill "$EXIM_PID" 2>/dev/null
	wait "$EXIM_PID" 2>/dev/null
	# Out of lib.sh's list too: its exit trap must not kill the pid once
	# another process has it.
	_pids=$(printf ' %s ' "$_pids" | sed "s/ $EXIM_PID / /; s/^ *//; s/ *$//")
	EXIM_PID=
}

# exim_smtp_wait_mail N: wait up to 10 s until DIR/mail holds N messages
# (delivery runs after the 250 to DATA, in the background); 1 if not.
exim_smtp_wait_mail() {
	_ei=0
	while [ "$(exim_smtp_mail | wc -l)" -lt "$1" ]; do
		[ "$_ei" -ge 200 ] && return 1
		sleep 0.05
		_ei=$((_ei + 1))
	done
}

# exim_smtp_mail: the files of the messages delivered, oldest first.
exim_smtp_mail() {
	# shellcheck disable=SC2012 # msg.ID: Exim's ids are base 62
	ls -tr "$EXIM_MAIL" | sed -n "s|^msg\\.|$EXIM_MAIL/msg.|p"
}
