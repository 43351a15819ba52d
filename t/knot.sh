# t/knot.sh: a knot authoritative server for a test.  Source it after
# t/lib.sh:
#	. "$MX_SRCDIR/t/knot.sh"
#	need_knot				# else skip the whole test
#	knot_start ZONEFILE ORIGIN [PORT] || ...
#	tool --resolver "127.0.0.1@$KNOT_PORT" ...
#
# knot_start serves the master file ZONEFILE (it needs an SOA) as the zone
# ORIGIN, unsigned, on 127.0.0.1 at PORT or a free high port, in its own
# directory under $T, and waits until the zone answers.  It sets KNOT_PORT,
# KNOT_DIR (config, log, control socket) and KNOT_PID.  The server is a
# child of the test (lib.sh's daemon), killed and reaped on exit; it runs
# as the user running the test, root included, and never writes the zone
# file.  mod-stats counts queries: `knot_ctl stats` shows them, over UDP
# and TCP apart.  Returns 1, with knot's log as diagnostics, when the
# server does not come up.
#
# zone_head ORIGIN prints the head of a master file for ORIGIN (no final
# dot): $ORIGIN, $TTL 300, the SOA, the NS ns.ORIGIN and its A 127.0.0.1.

KNOTD=${KNOTD:-/usr/sbin/knotd}
KNOTC=${KNOTC:-/usr/sbin/knotc}
KDIG=${KDIG:-$(command -v kdig || echo /usr/bin/kdig)}

need_knot() {
	[ -x "$KNOTD" ] || skip_all "knotd not installed (knot)"
	[ -x "$KNOTC" ] || skip_all "knotc not installed (knot)"
	[ -x "$KDIG" ] || skip_all "kdig not installed (knot-dnsutils)"
}

# _knot_conf DIR PORT ZONEFILE ORIGIN: the configuration (block style:
# knot takes no YAML flow style).
_knot_conf() {
	cat <<EOF
server:
    rundir: "$1"
    user: $(id -un):$(id -gn)
    listen: 127.0.0.1@$2
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: "$1/knot.sock"
log:
  - target: stderr
    any: warning
database:
    storage: "$1"
template:
  - id: default
    global-module: mod-stats
zone:
  - domain: "$4"
    file: "$3"
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
EOF
}

# _knot_wait: up to 5 s for the zone's SOA over TCP; 1 if knotd died.
_knot_wait() {
	_k=0
	while [ "$_k" -lt 50 ]; do
		kill -0 "$KNOT_PID" 2>/dev/null || return 1
		[ -n "$("$KDIG" @127.0.0.1 -p "$KNOT_PORT" +tcp +timeout=1 \
		    +retry=0 +short SOA "$1" 2>/dev/null)" ] && return 0
		sleep 0.1
		_k=$((_k + 1))
	done
	return 1
}

zone_head() {	# zone_head ORIGIN
	# shellcheck disable=SC2016 # $ORIGIN and $TTL are the file's own
	printf '$ORIGIN %s.\n$TTL 300\n' "$1"
	printf '@\tIN SOA\tns.%s. hostmaster.%s. 1 3600 600 86400 300\n' \
	    "$1" "$1"
	printf '@\tIN NS\tns.%s.\nns\tIN A\t127.0.0.1\n' "$1"
}

knot_start() {	# knot_start ZONEFILE ORIGIN [PORT]
	_kzone=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
	KNOT_DIR=$T/knot
	# A free TCP port may be taken for UDP: another, up to three times.
	for _try in 1 2 3; do
		KNOT_PORT=${3:-$(free_port)}
		rm -rf "$KNOT_DIR"
		mkdir -p "$KNOT_DIR" || return 1
		_knot_conf "$KNOT_DIR" "$KNOT_PORT" "$_kzone" "$2" \
		    >"$KNOT_DIR/knot.conf"
		daemon "$KNOTD" -c "$KNOT_DIR/knot.conf" 2>>"$KNOT_DIR/log"
		KNOT_PID=$!
		_knot_wait "$2" && return 0
		kill "$KNOT_PID" 2>/dev/null
		wait "$KNOT_PID" 2>/dev/null
		[ -z "$3" ] || break
	done
	diag "knotd did not come up:" "$(tail -n 5 "$KNOT_DIR/log")"
	return 1
}

knot_ctl() {	# knot_ctl ARGS...: knotc on the running server
	"$KNOTC" -c "$KNOT_DIR/knot.conf" -s "$KNOT_DIR/knot.sock" "$@"
}
