# t/exim-spool.sh: Debian's Exim 4.96 as the maker and the reader of real
# spool files, for the queuefile-copy tests.  Source it after t/lib.sh:
#	. "$MX_SRCDIR/t/exim-spool.sh"
#	need_exim				# else skip the whole test
#	exim_spool_new "$T/a" --split || ...
#	id=$(exim_spool_submit -f alice@test.example bob@example.org <msg)
#	ids=$(exim_spool_smtp <script)		# -bs: one id a line
#	exim_spool_run -Mvh "$id"		# exim4 -C $EXSPOOL_CONF -Mvh ID
#	exim_spool_run -qff			# deliver: $EXSPOOL_MAIL/ID
#
# exim_spool_new DIR writes DIR/conf, a configuration owned by root (Exim
# takes a -C file from root only, so the test runs as root), with its spool
# DIR/spool, its logs DIR/log and its mail DIR/mail.  Nothing listens and
# nothing is delivered on submission (queue_only): messages stay in the
# spool until a test runs the queue (-qff, -M ID), and then every recipient
# of a message is delivered together, as Debian-exim, to one file
# DIR/mail/ID (ID: the message id), exactly as the message is, with no
# From_ line and the envelope in Return-path: and Envelope-to: fields, so
# that two spools delivering the same message make the same file.
#
# The configuration, so that the spool files show every form:
#  - a local submission sets acl_m_demo ("hello world"), and the raw value
#    of an X-Acl: field when the message has one as acl_m_raw (a folded
#    field: a value with newlines, as long as the field is);
#  - an SMTP submission (-bs) sets acl_c_conn at MAIL, the same
#    acl_m_raw at DATA, and DSN is advertised (NOTIFY, ORCPT, ENVID, RET);
#  - a recipient whose local part starts with "defer" is deferred while
#    the file DIR/defer exists (exim_spool_new makes it; remove it to let
#    them through): a partial delivery, Exim rewriting -H with the
#    non-recipients tree; every other recipient is delivered;
#  - `--main 'spool_wireformat = true'` keeps a message sent by BDAT in
#    wire format (-spool_file_wireformat in -H, CRLF in -D);
#  - a queue run's own messages (a DSN success report, a bounce) are
#    queued, not delivered: the Exim that a queue run starts for them
#    loses root for the -C option (it says so on standard error) and
#    leaves them in the spool.
# Options:
#	--split, --flat		split_spool_directory true (the default) or
#				false
#	--main LINE		a line for the main section (repeatable); an
#				option set here replaces the one this file
#				sets (`--main 'queue_only = false'`)
#	--router TEXT		a router (its name line and its options) put
#				before the others, first to see every address
#	--transport TEXT	a transport added to the others
#	--acl TEXT		lines appended to the acl_ns ACL (local
#				submissions), after its `warn` setting
#				acl_m_demo: e.g. `warn set acl_m_x = ...`
# It sets EXSPOOL_DIR (DIR, absolute), EXSPOOL_CONF (DIR/conf),
# EXSPOOL_SPOOL (the spool directory: the one holding input/),
# EXSPOOL_INPUT (EXSPOOL_SPOOL/input), EXSPOOL_MAIL (DIR/mail) and
# EXSPOOL_LOG (the mainlog), and returns 1, with a diagnostic, when Exim
# refuses the configuration.
#
# Several spools in one test: each lives in its own DIR, and
# `exim_spool_use DIR` makes a spool made before the current one again (it
# sets the same variables from DIR); exim_spool_submit, _smtp, _run and
# _ids work on the current one.  EXSPOOL_* are exported: a test's child
# (the tool under test as Exim's pipe transport) sees them.
#
# The spool, log and mail directories are Debian-exim's, as Exim makes
# them on Debian; spool files come out owned by Debian-exim, mode 0640.
# The input directory is made at once (Debian-exim, 0750, as Exim makes
# it), so that a spool nothing was queued in yet can be requeued into.
# DIR and the directories above it that others cannot search (a test's
# mode-700 $T) are made searchable by others (o+x, not readable), since
# Exim writes the spool as Debian-exim.  Nothing outside DIR is written.

# EXIM, EXIM_USER, need_exim and exim_searchable are t/exim-smtp.sh's.
# shellcheck source=t/exim-smtp.sh
. "$MX_SRCDIR/t/exim-smtp.sh"

# _exspool_main DIR SPLIT: the main section this file sets.
_exspool_main() {
	cat <<EOF
primary_hostname = test.example
qualify_domain = test.example
spool_directory = $1/spool
log_file_path = $1/log/%slog
split_spool_directory = $2
keep_environment =
host_lookup =
rfc1413_hosts =
queue_only = true
dsn_advertise_hosts = *
acl_not_smtp = acl_ns
acl_smtp_mail = acl_mail
acl_smtp_rcpt = acl_rcpt
acl_smtp_data = acl_data
EOF
}

# _exspool_rest DIR: the sections after the main one.
_exspool_rest() {
	cat <<EOF
begin acl
acl_ns:
  warn set acl_m_demo = hello world
  warn condition = \${if def:h_X-Acl:}
       set acl_m_raw = \$rh_X-Acl:
$_exspool_acl
  accept
acl_mail:
  accept set acl_c_conn = 1
acl_rcpt:
  accept
acl_data:
  warn condition = \${if def:h_X-Acl:}
       set acl_m_raw = \$rh_X-Acl:
  accept
begin routers
$_exspool_router
defer:
  driver = redirect
  local_parts = ^defer
  condition = \${if exists{$1/defer}}
  allow_defer
  data = :defer: deferred by the test
all:
  driver = accept
  transport = store
begin transports
$_exspool_transport
store:
  driver = appendfile
  file = $1/mail/\$message_exim_id
  user = $EXIM_USER
  mode = 0644
  batch_max = 10000
  message_prefix =
  message_suffix =
  check_string =
  escape_string =
  return_path_add
  envelope_to_add
begin retry
*	*	F,1d,1m
EOF
}

# exim_spool_use DIR: make the spool in DIR (made by exim_spool_new) the
# current one.
exim_spool_use() {
	EXSPOOL_DIR=$(cd "$1" && pwd) || return 1
	EXSPOOL_CONF=$EXSPOOL_DIR/conf
	EXSPOOL_SPOOL=$EXSPOOL_DIR/spool
	EXSPOOL_INPUT=$EXSPOOL_SPOOL/input
	EXSPOOL_MAIL=$EXSPOOL_DIR/mail
	EXSPOOL_LOG=$EXSPOOL_DIR/log/mainlog
	export EXSPOOL_DIR EXSPOOL_CONF EXSPOOL_SPOOL EXSPOOL_INPUT \
	    EXSPOOL_MAIL EXSPOOL_LOG
}

exim_spool_new() {	# exim_spool_new DIR [options]
	mkdir -p "$1" && exim_spool_use "$1" || return 1
	shift
	_exspool_split=true
	_exspool_extra=
	_exspool_router=
	_exspool_transport=
	_exspool_acl=
	while [ $# -gt 0 ]; do
		case $1 in
		--split)
			_exspool_split=true ;;
		--flat)
			_exspool_split=false ;;
		--main)
			_exspool_extra="$_exspool_extra$2
"
			shift ;;
		--router)
			_exspool_router=$2
			shift ;;
		--transport)
			_exspool_transport=$2
			shift ;;
		--acl)
			_exspool_acl=$2
			shift ;;
		*)
			echo "exim_spool_new: unknown option '$1'" >&2
			return 1 ;;
		esac
		shift
	done
	mkdir -p "$EXSPOOL_SPOOL" "$EXSPOOL_DIR/log" "$EXSPOOL_MAIL" &&
	    chown "$EXIM_USER:" "$EXSPOOL_SPOOL" "$EXSPOOL_DIR/log" \
	    "$EXSPOOL_MAIL" || return 1
	mkdir -p "$EXSPOOL_INPUT" && chmod 750 "$EXSPOOL_INPUT" &&
	    chown "$EXIM_USER:" "$EXSPOOL_INPUT" &&
	    : >"$EXSPOOL_DIR/defer" || return 1
	exim_searchable "$EXSPOOL_DIR" || return 1
	# Exim refuses an option set twice: a --main option drops ours.
	{
		_exspool_main "$EXSPOOL_DIR" "$_exspool_split" |
		    while IFS= read -r _exspool_l; do
			case "
$_exspool_extra" in
			*"
${_exspool_l%%[ =]*} "* | *"
${_exspool_l%%[ =]*}="*) ;;
			*)	printf '%s\n' "$_exspool_l" ;;
			esac
		done
		printf '%s' "$_exspool_extra"
		_exspool_rest "$EXSPOOL_DIR"
	} >"$EXSPOOL_CONF" || return 1
	chmod 644 "$EXSPOOL_CONF"
	"$EXIM" -C "$EXSPOOL_CONF" -bV >"$EXSPOOL_DIR/bV" 2>&1 || {
		echo "exim_spool_new: exim refuses $EXSPOOL_CONF:" \
		    "$(grep -v '^ *$' "$EXSPOOL_DIR/bV" | tail -n 1)" >&2
		return 1
	}
}

# exim_spool_run ARGS...: exim4 -C $EXSPOOL_CONF ARGS.
exim_spool_run() {
	"$EXIM" -C "$EXSPOOL_CONF" "$@"
}

# _exspool_lines: how many lines the mainlog has.
_exspool_lines() {
	if [ -f "$EXSPOOL_LOG" ]; then
		wc -l <"$EXSPOOL_LOG"
	else
		echo 0
	fi
}

# exim_spool_submit [-f SENDER] [EXIM ARGS] RCPT... <MESSAGE: queue the
# message (exim -odq, a local submission by root) and print its id, read
# from the `<=` line Exim logs; 1 when Exim refuses it.  Not for two
# submissions at once to one spool.
exim_spool_submit() {
	_exspool_n=$(_exspool_lines)
	"$EXIM" -C "$EXSPOOL_CONF" -odq "$@" || return 1
	awk -v n="$_exspool_n" 'NR > n && $4 == "<=" { print $3; f = 1; exit }
	    END { exit !f }' "$EXSPOOL_LOG"
}

# exim_spool_smtp [EXIM ARGS] <SCRIPT: an SMTP session on Exim's standard
# input (-bs; `-oMa 192.0.2.7.40123` and the like for a remote client):
# SCRIPT is the client's lines, sent as they are, Exim's replies read
# only at the end.  Prints the id of each message accepted, in order; 1
# when none was.
exim_spool_smtp() {
	"$EXIM" -C "$EXSPOOL_CONF" -bs "$@" |
	    sed -n 's/^250 OK id=\([0-9A-Za-z-]*\).*/\1/p' | grep .
}

# exim_spool_ids: the ids in the queue, as `exim -bp` lists them.
exim_spool_ids() {
	"$EXIM" -C "$EXSPOOL_CONF" -bpr |
	    awk '$1 ~ /^[0-9]+[smhdw]$/ && NF >= 3 { print $3 }'
}
