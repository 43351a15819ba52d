# t/lib.sh: TAP helpers for the POSIX sh tests.  Source it first thing:
#	. "${MX_SRCDIR:-.}/t/lib.sh"
# Every test gets its own temporary directory $T, removed on exit, and the
# freshly built tools first on PATH.  Test servers started with `daemon`
# are killed and reaped on exit.

: "${MX_BUILDDIR:=$(pwd)}"
: "${MX_SRCDIR:=$(pwd)}"
: "${MX_SHARED:=$MX_SRCDIR/../shared}"
PATH=$MX_BUILDDIR/tools:$PATH
export PATH MX_BUILDDIR MX_SRCDIR MX_SHARED
# Debian's Python modules (SRS, dkim, yaml), not a pyenv build on PATH.
PY=/usr/bin/python3

T=$(mktemp -d "${TMPDIR:-/tmp}/mxkit-t.XXXXXX") || exit 1
_n=0
_failed=0
_pids=

_cleanup() {
	for _p in $_pids; do
		kill "$_p" 2>/dev/null
	done
	for _p in $_pids; do
		wait "$_p" 2>/dev/null
	done
	rm -rf "$T"
}
trap _cleanup EXIT
trap 'exit 1' INT TERM HUP

_result() {	# _result STATUS DESCRIPTION
	_n=$((_n + 1))
	if [ "$1" -eq 0 ]; then
		printf 'ok %d - %s\n' "$_n" "$2"
	else
		printf 'not ok %d - %s\n' "$_n" "$2"
		_failed=$((_failed + 1))
	fi
}

diag() {
	printf '%s\n' "$@" | sed 's/^/# /'
}

# ok DESCRIPTION COMMAND...: passes when the command exits 0.
ok() {
	_d=$1
	shift
	"$@"
	_result $? "$_d"
}

# is GOT WANT DESCRIPTION
is() {
	if [ "$1" = "$2" ]; then
		_result 0 "$3"
	else
		_result 1 "$3"
		diag "     got: '$1'" "expected: '$2'"
	fi
}

# same GOTFILE WANTFILE DESCRIPTION: the two files are byte for byte equal.
same() {
	if cmp -s "$1" "$2"; then
		_result 0 "$3"
	else
		_result 1 "$3"
		diag "$(diff "$2" "$1" | head -n 6)"
	fi
}

# isnt GOT UNWANTED DESCRIPTION
isnt() {
	if [ "$1" != "$2" ]; then
		_result 0 "$3"
	else
		_result 1 "$3"
		diag "got the unwanted '$1'"
	fi
}

# like GOT ERE DESCRIPTION
like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then
		_result 0 "$3"
	else
		_result 1 "$3"
		diag "     got: '$1'" "expected to match: /$2/"
	fi
}

# run COMMAND...: run it; its stdout, stderr and status go to $out, $err
# and $rc (and the files $T/out, $T/err).
run() {
	"$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}

# One-line diagnostics: "tool: ...", a single line, nothing else.
one_line_error() {	# one_line_error TOOL DESCRIPTION
	_lines=$(printf '%s\n' "$err" | wc -l)
	if [ "$_lines" -eq 1 ] && printf '%s\n' "$err" | grep -q "^$1: "; then
		_result 0 "$2"
	else
		_result 1 "$2"
		diag "stderr was: '$err'"
	fi
}

skip() {	# skip COUNT REASON
	_i=0
	while [ "$_i" -lt "$1" ]; do
		_n=$((_n + 1))
		printf 'ok %d # skip %s\n' "$_n" "$2"
		_i=$((_i + 1))
	done
}

skip_all() {
	printf '1..0 # SKIP %s\n' "$1"
	exit 0
}

need() {	# need COMMAND...: skip the whole test unless all are there
	for _c; do
		command -v "$_c" >/dev/null 2>&1 || skip_all "$_c not installed"
	done
}

done_testing() {
	printf '1..%d\n' "$_n"
	[ "$_failed" -eq 0 ]
	exit $?
}

# daemon COMMAND...: start a server in the background, a child of this
# shell, killed and waited for on exit.  Its pid is in $!.
daemon() {
	"$@" &
	_pids="$_pids $!"
}

# free_port: a TCP port on 127.0.0.1 that nothing listens on just now.
free_port() {
	$PY -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# free_ports VAR1 VAR2: two distinct free ports, in the variables named
# (a server with two listeners cannot take the same one twice).
free_ports() {
	_p1=$(free_port)
	_p2=$(free_port)
	while [ "$_p2" = "$_p1" ]; do
		_p2=$(free_port)
	done
	eval "$1=\$_p1 $2=\$_p2"
}

# wait_port PORT: wait up to 5 s for a listener on 127.0.0.1:PORT.
wait_port() {
	_i=0
	while [ "$_i" -lt 100 ]; do
		$PY -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 0.2).close()' \
		    "$1" 2>/dev/null && return 0
		sleep 0.05
		_i=$((_i + 1))
	done
	return 1
}

# secret_file NAME SECRET...: a secret file, mode 0600, one per line.
secret_file() {
	_f=$T/$1
	shift
	printf '%s\n' "$@" >"$_f"
	chmod 600 "$_f"
	echo "$_f"
}

# use_faketime: pin days with libfaketime, preloaded directly (the faketime
# command would stand between a test and a server's pid and signals, and
# its semaphores collide with stale ones a killed run leaves in /dev/shm).
# Sets $FT; skips the whole test without it.  use_faketime monotonic-real
# leaves the monotonic clock alone (a server's timeouts stay real) while
# the day is pinned.
use_faketime() {
	FT=$(ls /usr/lib/*/faketime/libfaketime.so.1 2>/dev/null | head -n 1)
	[ -n "$FT" ] || skip_all "libfaketime not installed (faketime)"
	if [ "${1-}" = monotonic-real ]; then
		FAKETIME_DONT_FAKE_MONOTONIC=1
		export FAKETIME_DONT_FAKE_MONOTONIC
	fi
	# ASan wants to be first in the library list; libfaketime is preloaded.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
	export ASAN_OPTIONS
}

# noon DAY: the FAKETIME value for noon UTC of a day counted from the epoch.
noon() {
	date -u -d "@$(($1 * 86400 + 43200))" '+%Y-%m-%d %H:%M:%S'
}

# at DAY COMMAND...: run it with the clock stopped at noon of that day.
at() {
	_day=$1
	shift
	env TZ=UTC LD_PRELOAD="$FT" FAKETIME="$(noon "$_day")" "$@"
}

# sanitized: whether the tools were built with --enable-sanitizers, whose
# shadow memory makes memory figures meaningless.
sanitized() {
	ldd "$MX_BUILDDIR/tools/srs-forward" 2>/dev/null | grep -q libasan
}

# rsa_key FILE [BITS]: a new RSA private key (PKCS#1, which dkimpy wants;
# 2048 bits by default), mode 600 as arc-sign demands.
rsa_key() {
	openssl genrsa -traditional -out "$1" "${2:-2048}" 2>/dev/null &&
	    chmod 600 "$1"
}

# ed25519_key FILE: a new Ed25519 private key, mode 600.
ed25519_key() {
	openssl genpkey -algorithm ed25519 -out "$1" 2>/dev/null &&
	    chmod 600 "$1"
}

# dead_udp_port: a UDP port on 127.0.0.1 that nothing listens on, for a
# resolver that never answers.
dead_udp_port() {
	$PY -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# closed_pipe COMMAND...: run it with standard output a pipe whose reader
# has gone, as when an MTA drops a filter's output; its status as the shell
# gives it (128 + the signal for a death by signal).
closed_pipe() {
	_closed stdout "$@"
}

# closed_stderr COMMAND...: the same with standard error, as when the pipe
# to a log reader has closed.
closed_stderr() {
	_closed stderr "$@"
}

_closed() {	# _closed stdout|stderr COMMAND...
	$PY -c 'import os, subprocess, sys
r, w = os.pipe()
os.close(r)
rc = subprocess.run(sys.argv[2:], **{sys.argv[1]: w}).returncode
sys.exit(128 - rc if rc < 0 else rc)' "$@"
}

# nomem: build $T/nomem.so from t/data/nomem.c; preloaded, it fails every
# allocation over MX_NOMEM_OVER bytes (256 KiB), as when memory runs out.
# 1 without a C compiler, or under the sanitizers, whose allocator it
# cannot stand in for.
nomem() {
	! sanitized && ${CC:-cc} -shared -fPIC -o "$T/nomem.so" \
	    "$MX_SRCDIR/t/data/nomem.c" -ldl 2>/dev/null
}

# block FILE NAME: print the display tagged NAME in FILE (a man page or
# README.md, relative to the source tree), as a reader sees it; see
# t/docblock.  t/70-docblocks.t checks that every display is tagged and
# that a test takes each by this call, spelled out on one line.
block() {
	"$MX_SRCDIR/t/docblock" "$MX_SRCDIR/$1" "$2" ||
	    { echo "no block '$2' in $1" >&2; return 1; }
}

# ehlo_reply FILE LINE...: a 250 reply of those lines (the greeting first)
# into FILE, CRLF ended, as a server sends it to EHLO.
ehlo_reply() {
	_f=$1
	shift
	_last=$#
	_i=0
	for _l; do
		_i=$((_i + 1))
		if [ "$_i" -eq "$_last" ]; then
			printf '250 %s\r\n' "$_l"
		else
			printf '250-%s\r\n' "$_l"
		fi
	done >"$_f"
}

# console [-2] NAME <DISPLAY: run a console display (a recipe's "$ command"
# lines, each with its continuation lines after a trailing backslash or
# pipe) in one shell in $W, with $SUBST (a sed script: the path
# substitutions) applied first, and compare what each command prints with
# the lines shown under it.  Standard error must stay empty; with -2 it is
# taken with the output, as a terminal shows both.  $CONSOLE_EXIT, when
# set, is run as that shell exits (a test bed the display left up).
console() {
	_both=
	[ "$1" = -2 ] && { _both=1; shift; }
	_c=$T/console/$1
	mkdir -p "$_c"
	sed "$SUBST" | awk -v d="$_c" -v both="$_both" \
	    -v atexit="${CONSOLE_EXIT:-}" '
	function done_cmd() {
		if (both)
			printf "} >\"%s/%d.out\" 2>&1\n", d, n >run
		else
			printf "} >\"%s/%d.out\" 2>\"%s/%d.err\"\n", \
			    d, n, d, n >run
		cont = 0
	}
	BEGIN {
		run = d "/run.sh"
		printf "" >run
		if (atexit != "")
			print "trap \"" atexit "\" EXIT" >run
	}
	cont { print >run; print >cmd; if (!/[\\|]$/) done_cmd(); next }
	/^\$ / {
		n++
		cmd = d "/" n ".cmd"; out = d "/" n ".want"
		printf "" >out
		print "{ " substr($0, 3) >run; print substr($0, 3) >cmd
		if (/[\\|]$/) cont = 1; else done_cmd()
		next
	}
	{ print >out }
	'
	(cd "$W" && sh "$_c/run.sh")
	_i=1
	while [ -f "$_c/$_i.cmd" ]; do
		_what="$1: $(head -n 1 "$_c/$_i.cmd" | cut -c 1-60)"
		same "$_c/$_i.out" "$_c/$_i.want" "$_what: output as shown"
		[ -n "$_both" ] ||
		    is "$(cat "$_c/$_i.err")" "" "$_what: no diagnostic"
		_i=$((_i + 1))
	done
}
