# scripts/dane-testbed.sh: an offline DANE test bed for tlsa-check's tests,
# the demo and the bench.  A POSIX sh library: source it, then
#	testbed_make DIR	files only: PKI, DNSSEC keys, signed zones,
#				DIR/anchor.key, DIR/cases, DIR/hosts
#	testbed_start DIR	knot and the SMTP servers, as children of the
#				calling shell (PID 1 here does not reap)
#	tlsa-check --resolver "$TB_DNS" --anchor "$TB_ANCHOR" \
#	    --port "$TB_PORT" ee.test
#	testbed_resolver [PORT]	a validating unbound in front of knot
#	testbed_implicit	implicit-TLS twins of the servers (ldns-dane)
#	testbed_stop		kill and wait for them (safe in an EXIT trap)
#
# The signed zone test. holds one case per child name (ee.test is a signed
# child zone with a DS; insecure.test and _tcp.mx.tlsains.test are
# delegated without one).  Every MX host has an address of its own,
# 127.0.0.N (N from 2), and every SMTP server listens on the one port
# TB_PORT, so the TLSA records sit at _TB_PORT._tcp.HOST.  The port is
# picked by testbed_make and written into the zones; testbed_start signs
# again at another port only when that one has been taken meanwhile.
#
# DIR/cases: one line per case, `DOMAIN STATUS VERDICT...`: the exit
# status of `tlsa-check DOMAIN` and the dane_verdict_name of each MX host
# in preference order.  DIR/hosts: `HOST STATUS VERDICT` for `tlsa-check
# --host HOST`.  DIR/servers: `ADDR HOST SERVER CERT` for each MX host
# (SERVER: exim, a mode of scripts/smtp-tls-server, or none; the chain it
# sends is DIR/pki/CERT.pem, the leaf CERT.crt, its key CERT.key).
# DIR/pki also holds root.crt, int.crt (the CAs) and other.key (a key no
# server has).
#
# After testbed_start: TB_DIR, TB_DNS (127.0.0.1@PORT, for --resolver),
# TB_DNS_PORT, TB_ANCHOR, TB_PORT, TB_PIDS.  When t/lib.sh is sourced,
# the daemons are also in its list, so its EXIT trap stops them.
#
# Needs openssl, ldns-keygen, ldns-key2ds, ldns-signzone (ldnsutils),
# knotd and kdig (knot, knot-dnsutils), exim4 (exim4-daemon-heavy) and
# /usr/bin/python3, and root (Exim takes a -C file from root only).
# scripts/smtp-tls-server is taken from TB_SRCDIR, the source tree
# (default $MX_SRCDIR); without it Exim serves every case (a server
# without STARTTLS included) and testbed_implicit fails.

_tb_py=/usr/bin/python3
_tb_knotd=${KNOTD:-/usr/sbin/knotd}
_tb_kdig=${KDIG:-$(command -v kdig || echo /usr/bin/kdig)}
_tb_exim=${EXIM:-/usr/sbin/exim4}
TB_PIDS=

# The certificates' and signatures' lifetimes: valid from 2025 to 2036,
# so that a test may pin the clock anywhere in between.
_tb_inception=20250101000000
_tb_expiration=20360101000000

_tb_free_port() {
	$_tb_py -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

# _tb_free_on_all PORT ADDR...: whether PORT is free on every address.
_tb_free_on_all() {
	$_tb_py - "$@" <<'EOF'
import socket, sys
port = int(sys.argv[1])
for a in sys.argv[2:]:
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind((a, port))
    except OSError:
        sys.exit(1)
    s.close()
EOF
}

# --- PKI ------------------------------------------------------------------

_tb_ec() {	# _tb_ec KEYFILE
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
	    -out "$1" 2>/dev/null
}

# _tb_ca NAME SUBJECT [ISSUER]: a CA certificate, self-signed or issued by
# ISSUER.
_tb_ca() {
	_tb_ec "$1.key" || return 1
	printf '%s\n' 'basicConstraints=critical,CA:true' \
	    'keyUsage=critical,keyCertSign,cRLSign' \
	    'subjectKeyIdentifier=hash' >"$1.ext"
	if [ -z "${3-}" ]; then
		openssl req -new -x509 -key "$1.key" -subj "$2" -days 4000 \
		    \
		    -addext 'basicConstraints=critical,CA:true' \
		    -addext 'keyUsage=critical,keyCertSign,cRLSign' \
		    -out "$1.crt" 2>/dev/null
	else
		openssl req -new -key "$1.key" -subj "$2" \
		    2>/dev/null |
		    openssl x509 -req -CA "$3.crt" -CAkey "$3.key" \
		    -set_serial "0x$(openssl rand -hex 8)" -days 4000 \
		    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
	fi
}

# _tb_leaf NAME CN SAN [START END]: a server certificate issued by the
# intermediate CA "int", with NAME.pem the chain a server sends (leaf,
# then int).  START and END (YYYYMMDDhhmmssZ) give dates in the past.
_tb_leaf() {
	_tb_ec "$1.key" || return 1
	printf '%s\n' 'basicConstraints=critical,CA:false' \
	    'keyUsage=critical,digitalSignature' 'extendedKeyUsage=serverAuth' \
	    "subjectAltName=$3" >"$1.ext"
	openssl req -new -key "$1.key" -subj "/CN=$2" \
	    -out "$1.csr" 2>/dev/null || return 1
	if [ -z "${4-}" ]; then
		openssl x509 -req -in "$1.csr" -CA int.crt -CAkey int.key \
		    -set_serial "0x$(openssl rand -hex 8)" -days 3650 \
		    -extfile "$1.ext" -out "$1.crt" 2>/dev/null || return 1
	else
		# openssl x509 takes no dates of its own: openssl ca does.
		mkdir -p ca.db && : >ca.db/index && echo 01 >ca.db/serial
		cat >ca.db/conf <<EOF
[ca]
default_ca = bed
[bed]
database = ca.db/index
serial = ca.db/serial
new_certs_dir = ca.db
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
EOF
		openssl ca -batch -config ca.db/conf -cert int.crt \
		    -keyfile int.key -startdate "$4" -enddate "$5" \
		    -extfile "$1.ext" -notext -in "$1.csr" -out "$1.crt" \
		    2>/dev/null || return 1
	fi
	cat "$1.crt" int.crt >"$1.pem"
}

# TLSA association data, lower-case hex.
_tb_spki256() {	# 3 1 1 / 2 1 1 of a certificate
	openssl x509 -in "$1" -noout -pubkey |
	    openssl pkey -pubin -outform DER | sha256sum | cut -d ' ' -f 1
}

_tb_cert256() {	# 3 0 1 / 2 0 1
	openssl x509 -in "$1" -outform DER | sha256sum | cut -d ' ' -f 1
}

# The leaves are made two at a time (openssl starts slowly); 1 if any
# could not be made.
_tb_pki() {	# in DIR/pki
	_tb_ca root "/CN=mxkit test root CA" &&
	_tb_ca int "/CN=mxkit test intermediate CA" root || return 1
	_tb_leaf ee mx.ee.test DNS:mx.ee.test & _tb_j=$!
	_tb_leaf ta mx.ta.test DNS:mx.ta.test &&
	# A DANE-TA leaf naming neither the TLSA base domain nor the domain.
	_tb_leaf taname wrong.example DNS:wrong.example &&
	_tb_leaf host mx.example DNS:mx.example &&
	# A key whose digest is published where the server shows another.
	_tb_ec other.key &&
	_tb_leaf expired mx.expired.test DNS:mx.expired.test \
	    20250101000000Z 20250201000000Z &&
	# A DANE-TA leaf that names the next-hop domain only (RFC 7672
	# 3.2.2): it passes when the MX lookup was secure.
	_tb_leaf nexthop nexthop.test DNS:nexthop.test &&
	wait "$_tb_j"
}

# --- The cases --------------------------------------------------------------
# ee	DANE-EE 3 1 1 of the leaf, in the signed child zone ee.test (DS)
# ta	DANE-TA 2 0 1 of the intermediate, the leaf names mx.ta.test
# taname	the same, the leaf names wrong.example only
# digest	3 1 1 of a key the server does not have
# bogussig	the TLSA's RRSIG edited after signing
# insecure	the domain in a child zone delegated without DS
# tlsains	MX and address secure, the TLSA under an unsigned delegation
# nosig	the TLSA without its RRSIG
# pkix	usages 0 and 1 only
# cname	the MX host a CNAME: 3 1 1 at the target matches, the record
#	at the original name does not (RFC 7672 2.2.2: the target first)
# expired	an expired leaf under 3 1 1
# multi	two MX hosts, the second one's 3 1 1 does not match
# nexthop	DANE-TA, the leaf names the domain only (3.2.2)
# badlen	3 1 1 of 31 bytes: unusable
# refused	no server at the MX host's address
# nostarttls	a server that offers no STARTTLS
# nomx	no MX: the domain is its own host
# _tb_table: one line per MX host: ADDR HOST SERVER CERT.  SERVER is exim
# (Debian's Exim 4.96 serves the cases that pass, where a real MTA counts
# most), else a mode of smtp-tls-server, or none.

_tb_table() {
	cat <<'EOF'
127.0.0.2	mx.ee.test	exim	ee
127.0.0.3	mx.ta.test	exim	ta
127.0.0.4	mx.taname.test	normal	taname
127.0.0.5	mx.digest.test	normal	host
127.0.0.6	mx.bogussig.test	normal	host
127.0.0.7	mx.insecure.test	normal	host
127.0.0.8	mx.tlsains.test	normal	host
127.0.0.9	mx.nosig.test	normal	host
127.0.0.10	mx.pkix.test	normal	host
127.0.0.11	real.cname.test	exim	host
127.0.0.12	mx.expired.test	exim	expired
127.0.0.13	mx1.multi.test	exim	host
127.0.0.14	mx2.multi.test	normal	host
127.0.0.15	mx.nexthop.test	exim	nexthop
127.0.0.16	mx.badlen.test	normal	host
127.0.0.17	mx.refused.test	none	host
127.0.0.18	mx.nostarttls.test	no-starttls	host
127.0.0.19	nomx.test	exim	host
EOF
}

_tb_cases() {
	cat <<'EOF'
ee.test 0 verified
ta.test 0 verified
taname.test 1 mismatch
digest.test 1 mismatch
bogussig.test 1 bogus
insecure.test 1 insecure
tlsains.test 1 insecure
nosig.test 1 bogus
pkix.test 1 unusable
cname.test 0 verified
expired.test 0 verified
multi.test 1 verified mismatch
nexthop.test 0 verified
badlen.test 1 unusable
refused.test 1 unreachable
nostarttls.test 1 tls-failed
nomx.test 0 verified
EOF
}

# With --host the TLSA base domain is the host and there is no next-hop
# domain to match: the next-hop leaf fails there.
_tb_hostcases() {
	cat <<'EOF'
mx.ee.test 0 verified
mx.ta.test 0 verified
mx.nexthop.test 1 mismatch
EOF
}

# --- DNS --------------------------------------------------------------------

_tb_soa() {	# _tb_soa ORIGIN
	# shellcheck disable=SC2016 # $ORIGIN and $TTL are the zone file's
	printf '$ORIGIN %s.\n$TTL 300\n' "$1"
	printf '@\tSOA\tns.test. hostmaster.test. 1 3600 600 86400 300\n'
	printf '@\tNS\tns.test.\n'
}

# _tb_zones PORT: the zone files for SMTP port PORT, signed (in DIR/dns).
_tb_zones() {
	_tb_p=$1
	_tb_host=$(_tb_spki256 ../pki/host.crt)
	_tb_other=$(openssl pkey -in ../pki/other.key -pubout -outform DER |
	    sha256sum | cut -d ' ' -f 1)
	_tb_int=$(_tb_cert256 ../pki/int.crt)
	_tb_root=$(_tb_cert256 ../pki/root.crt)
	{
		_tb_soa ee.test
		printf '@\tMX\t10 mx\nmx\tA\t127.0.0.2\n'
		printf '_%s._tcp.mx\tTLSA\t3 1 1 %s\n' "$_tb_p" \
		    "$(_tb_spki256 ../pki/ee.crt)"
	} >ee.test.zone
	{
		_tb_soa insecure.test
		printf '@\tMX\t10 mx\nmx\tA\t127.0.0.7\n'
		printf '_%s._tcp.mx\tTLSA\t3 1 1 %s\n' "$_tb_p" "$_tb_host"
	} >insecure.test.zone
	{
		_tb_soa _tcp.mx.tlsains.test
		printf '_%s\tTLSA\t3 1 1 %s\n' "$_tb_p" "$_tb_host"
	} >tlsains.zone
	{
		_tb_soa test
		printf 'ns\tA\t127.0.0.1\n'
		printf 'ee\tNS\tns.test.\n'
		ldns-key2ds -n -2 "$_tb_eeksk.key" | sed 's/^[^	 ]*/ee/'
		_tb_t="_$_tb_p._tcp"
		cat <<EOF
ta	MX	10 mx.ta
mx.ta	A	127.0.0.3
$_tb_t.mx.ta	TLSA	2 0 1 $_tb_int
taname	MX	10 mx.taname
mx.taname	A	127.0.0.4
$_tb_t.mx.taname	TLSA	2 0 1 $_tb_int
digest	MX	10 mx.digest
mx.digest	A	127.0.0.5
$_tb_t.mx.digest	TLSA	3 1 1 $_tb_other
bogussig	MX	10 mx.bogussig
mx.bogussig	A	127.0.0.6
$_tb_t.mx.bogussig	TLSA	3 1 1 $_tb_host
insecure	NS	ns.test.
tlsains	MX	10 mx.tlsains
mx.tlsains	A	127.0.0.8
_tcp.mx.tlsains	NS	ns.test.
nosig	MX	10 mx.nosig
mx.nosig	A	127.0.0.9
$_tb_t.mx.nosig	TLSA	3 1 1 $_tb_host
pkix	MX	10 mx.pkix
mx.pkix	A	127.0.0.10
$_tb_t.mx.pkix	TLSA	0 0 1 $_tb_root
$_tb_t.mx.pkix	TLSA	1 1 1 $_tb_host
cname	MX	10 mx.cname
mx.cname	CNAME	real.cname
real.cname	A	127.0.0.11
$_tb_t.real.cname	TLSA	3 1 1 $_tb_host
$_tb_t.mx.cname	TLSA	3 1 1 $_tb_other
expired	MX	10 mx.expired
mx.expired	A	127.0.0.12
$_tb_t.mx.expired	TLSA	3 1 1 $(_tb_spki256 ../pki/expired.crt)
multi	MX	10 mx1.multi
multi	MX	20 mx2.multi
mx1.multi	A	127.0.0.13
mx2.multi	A	127.0.0.14
$_tb_t.mx1.multi	TLSA	3 1 1 $_tb_host
$_tb_t.mx2.multi	TLSA	3 1 1 $_tb_other
nexthop	MX	10 mx.nexthop
mx.nexthop	A	127.0.0.15
$_tb_t.mx.nexthop	TLSA	2 0 1 $_tb_int
badlen	MX	10 mx.badlen
mx.badlen	A	127.0.0.16
$_tb_t.mx.badlen	TLSA	3 1 1 $(printf %.62s "$_tb_host")
refused	MX	10 mx.refused
mx.refused	A	127.0.0.17
$_tb_t.mx.refused	TLSA	3 1 1 $_tb_host
nostarttls	MX	10 mx.nostarttls
mx.nostarttls	A	127.0.0.18
$_tb_t.mx.nostarttls	TLSA	3 1 1 $_tb_host
nomx	A	127.0.0.19
$_tb_t.nomx	TLSA	3 1 1 $_tb_host
EOF
	} >test.zone
	ldns-signzone -n -i $_tb_inception -e $_tb_expiration \
	    -f ee.test.signed ee.test.zone "$_tb_eeksk" "$_tb_eezsk" &&
	ldns-signzone -i $_tb_inception -e $_tb_expiration \
	    -f test.signed test.zone "$_tb_ksk" "$_tb_zsk" || return 1
	# A signature edited after signing (a bogus TLSA), and a TLSA RRset
	# whose RRSIG is gone (bogus too: the zone is signed).
	awk -v b="$_tb_t.mx.bogussig.test." -v n="$_tb_t.mx.nosig.test." '
	$1 == n && $4 == "RRSIG" && $5 == "TLSA" { next }
	$1 == b && $4 == "RRSIG" && $5 == "TLSA" {
		c = substr($NF, 20, 1)
		$NF = substr($NF, 1, 19) (c == "A" ? "B" : "A") substr($NF, 21)
	}
	{ print }' test.signed >test.signed.new &&
	mv test.signed.new test.signed
}

_tb_keys() {	# in DIR/dns
	_tb_ksk=$(ldns-keygen -a ECDSAP256SHA256 -k test) &&
	_tb_zsk=$(ldns-keygen -a ECDSAP256SHA256 test) &&
	_tb_eeksk=$(ldns-keygen -a ECDSAP256SHA256 -k ee.test) &&
	_tb_eezsk=$(ldns-keygen -a ECDSAP256SHA256 ee.test) || return 1
	printf '%s %s %s %s\n' "$_tb_ksk" "$_tb_zsk" "$_tb_eeksk" \
	    "$_tb_eezsk" >keys
}

# _tb_sign DIR PORT: zones for PORT, the servers' files, the port noted.
_tb_sign() {
	(cd "$1/dns" && read -r _tb_ksk _tb_zsk _tb_eeksk _tb_eezsk <keys &&
	    _tb_zones "$2") || return 1
	echo "$2" >"$1/port"
}

testbed_make() {	# testbed_make DIR
	mkdir -p "$1/pki" "$1/dns" || return 1
	_tb_d=$(cd "$1" && pwd)
	# The keys meanwhile: independent, and as slow.
	(cd "$_tb_d/dns" && _tb_keys) & _tb_kj=$!
	if ! (cd "$_tb_d/pki" && _tb_pki); then
		wait "$_tb_kj"
		echo "testbed: cannot make the certificates" >&2
		return 1
	fi
	wait "$_tb_kj" ||
	    { echo "testbed: cannot make the DNSSEC keys" >&2; return 1; }
	cp "$_tb_d/dns/$(cut -d ' ' -f 1 "$_tb_d/dns/keys").key" \
	    "$_tb_d/anchor.key"
	_tb_table >"$_tb_d/servers"
	_tb_cases >"$_tb_d/cases"
	_tb_hostcases >"$_tb_d/hosts"
	_tb_sign "$_tb_d" "$(_tb_free_port)" ||
	    { echo "testbed: cannot sign the zones" >&2; return 1; }
}

# --- Servers ------------------------------------------------------------------

_tb_spawn() {	# _tb_spawn COMMAND...: a child, in TB_PIDS (and lib.sh's)
	"$@" &
	TB_PIDS="$TB_PIDS $!"
	_pids="${_pids-} $!"
}

_tb_knot_conf() {	# _tb_knot_conf DIR PORT
	cat <<EOF
server:
    rundir: "$1/knot"
    user: $(id -un):$(id -gn)
    listen: 127.0.0.1@$2
    udp-workers: 1
    tcp-workers: 1
    background-workers: 1
control:
    listen: "$1/knot/knot.sock"
log:
  - target: stderr
    any: warning
database:
    storage: "$1/knot"
template:
  - id: default
    zonefile-sync: -1
    zonefile-load: whole
    journal-content: none
zone:
  - domain: test.
    file: "$1/dns/test.signed"
  - domain: ee.test.
    file: "$1/dns/ee.test.signed"
  - domain: insecure.test.
    file: "$1/dns/insecure.test.zone"
  - domain: _tcp.mx.tlsains.test.
    file: "$1/dns/tlsains.zone"
EOF
}

_tb_knot() {	# _tb_knot DIR: knot up at a free port, TB_DNS_PORT
	for _tb_try in 1 2 3; do
		TB_DNS_PORT=$(_tb_free_port)
		rm -rf "$1/knot" && mkdir -p "$1/knot" || return 1
		_tb_knot_conf "$1" "$TB_DNS_PORT" >"$1/knot/knot.conf"
		_tb_spawn "$_tb_knotd" -c "$1/knot/knot.conf" \
		    2>>"$1/knot/log"
		_tb_kpid=$!
		_tb_k=0
		while [ "$_tb_k" -lt 50 ]; do
			kill -0 "$_tb_kpid" 2>/dev/null || break
			[ -n "$("$_tb_kdig" @127.0.0.1 -p "$TB_DNS_PORT" \
			    +tcp +timeout=1 +retry=0 +short SOA test. \
			    2>/dev/null)" ] &&
			    [ -n "$("$_tb_kdig" @127.0.0.1 -p "$TB_DNS_PORT" \
			    +timeout=1 +retry=0 +short SOA ee.test. \
			    2>/dev/null)" ] &&
			    return 0
			sleep 0.1
			_tb_k=$((_tb_k + 1))
		done
		kill "$_tb_kpid" 2>/dev/null
		wait "$_tb_kpid" 2>/dev/null
	done
	echo "testbed: knot did not come up: $(tail -n 1 "$1/knot/log")" >&2
	return 1
}

# _tb_exim_conf DIR PORT ADDR...: one Exim for the hosts it serves, each
# address with its own certificate chain, picked by the address the client
# reached.
_tb_exim_conf() {
	_tb_d=$1
	_tb_p=$2
	shift 2
	_tb_l=$(printf '%s ; ' "$@")
	_tb_nost=$(awk '$3 == "no-starttls" { print $1 }' "$_tb_d/servers")
	cat <<EOF
primary_hostname = bed.test
# Its own user could not reach the keys and the log in a test's private
# directory (mode 700).
exim_user = root
exim_group = root
spool_directory = $_tb_d/exim/spool
log_file_path = $_tb_d/exim/%slog
local_interfaces = <; ${_tb_l% ; }
keep_environment =
daemon_smtp_ports = $_tb_p
host_lookup =
rfc1413_hosts =
tls_advertise_hosts = \${if eq{\$received_ip_address}{$_tb_nost}{}{*}}
tls_certificate = $_tb_d/exim/\$received_ip_address.pem
tls_privatekey = $_tb_d/exim/\$received_ip_address.key
acl_smtp_rcpt = refuse
begin acl
refuse:
  deny message = this is a test bed
begin routers
begin transports
EOF
}

_tb_exim() {	# _tb_exim DIR PORT ADDR...
	_tb_d=$1
	_tb_p=$2
	rm -rf "$_tb_d/exim" && mkdir -p "$_tb_d/exim/spool" || return 1
	shift 2
	for _tb_a; do
		_tb_c=$(awk -v a="$_tb_a" '$1 == a { print $4 }' \
		    "$_tb_d/servers")
		cp "$_tb_d/pki/$_tb_c.pem" "$_tb_d/exim/$_tb_a.pem"
		cp "$_tb_d/pki/$_tb_c.key" "$_tb_d/exim/$_tb_a.key"
	done
	_tb_exim_conf "$_tb_d" "$_tb_p" "$@" >"$_tb_d/exim/conf"
	_tb_spawn "$_tb_exim" -C "$_tb_d/exim/conf" -bdf -oP "$_tb_d/exim/pid" \
	    2>>"$_tb_d/exim/stderr"
}

# _tb_wait_smtp PORT ADDR...: up to 5 s for a 220 banner at each (with
# PORT -PORT: for a connection only).
_tb_wait_smtp() {
	$_tb_py - "$@" <<'EOF'
import socket, sys, time
port = int(sys.argv[1])
end = time.time() + 5
for a in sys.argv[2:]:
    while True:
        try:
            s = socket.create_connection((a, abs(port)), 1)
            s.settimeout(1)
            if port < 0 or s.recv(512).startswith(b"220"):
                s.close()
                break
            s.close()
        except OSError:
            pass
        if time.time() > end:
            print(a)
            sys.exit(1)
        time.sleep(0.05)
EOF
}

# _tb_servers DIR OFFSET AWK-CONDITION: an smtp-tls-server for each line
# of DIR/servers the condition takes; at 127.OFFSET.0.N with implicit TLS
# when OFFSET is not 0.  The list in DIR/servers.OFFSET.
_tb_servers() {
	awk "$3" "$1/servers" | while read -r _tb_a _tb_h _tb_m _tb_c; do
		[ "$2" -eq 0 ] || _tb_m=implicit
		echo "${_tb_a%%.*}.$2.${_tb_a#*.*.}" "$_tb_h" "$_tb_m" "$_tb_c"
	done >"$1/servers.$2"
	while read -r _tb_a _tb_h _tb_m _tb_c; do
		_tb_spawn "$_tb_srv" --listen "$_tb_a:$TB_PORT" \
		    --cert "$1/pki/$_tb_c.pem" --key "$1/pki/$_tb_c.key" \
		    --mode "$_tb_m" --name "$_tb_h" 2>>"$1/servers.log"
	done <"$1/servers.$2"
}

testbed_start() {	# testbed_start DIR
	TB_DIR=$(cd "$1" && pwd) || return 1
	TB_ANCHOR=$TB_DIR/anchor.key
	TB_PORT=$(cat "$TB_DIR/port") || return 1
	_tb_all=$(awk '$3 != "none" { print $1 }' "$TB_DIR/servers")
	if ! _tb_free_on_all "$TB_PORT" $_tb_all; then
		TB_PORT=$(_tb_free_port)
		_tb_sign "$TB_DIR" "$TB_PORT" || return 1
	fi
	_tb_knot "$TB_DIR" || { testbed_stop; return 1; }
	TB_DNS=127.0.0.1@$TB_DNS_PORT
	_tb_srv=${TB_SRCDIR:-${MX_SRCDIR:-.}}/scripts/smtp-tls-server
	if [ -x "$_tb_srv" ]; then
		_tb_ex='$3 == "exim"'
	else
		_tb_ex='$3 != "none"'
	fi
	_tb_exim "$TB_DIR" "$TB_PORT" $(awk "$_tb_ex { print \$1 }" \
	    "$TB_DIR/servers") || { testbed_stop; return 1; }
	[ -x "$_tb_srv" ] &&
	    _tb_servers "$TB_DIR" 0 '$3 != "exim" && $3 != "none"'
	if ! _tb_down=$(_tb_wait_smtp "$TB_PORT" $_tb_all); then
		echo "testbed: no SMTP server on $_tb_down port $TB_PORT" >&2
		testbed_stop
		return 1
	fi
	export TB_DIR TB_DNS TB_DNS_PORT TB_ANCHOR TB_PORT
}

# testbed_resolver [PORT]: a validating unbound on 127.0.0.1 at PORT (a
# free one by default), trusting the bed's anchor and asking knot for
# test.; sets TB_VALIDATOR (ADDR@PORT).  At port 53 it is the resolver
# for tools that read /etc/resolv.conf (posttls-finger, ldns-dane), in a
# network namespace of their own.
testbed_resolver() {
	_tb_vport=${1:-$(_tb_free_port)}
	_tb_u=$TB_DIR/unbound
	rm -rf "$_tb_u" && mkdir -p "$_tb_u" || return 1
	# No cache: a test that edits a zone and reloads knot sees it at once.
	cat >"$_tb_u/unbound.conf" <<EOF
server:
    interface: 127.0.0.1
    port: $_tb_vport
    do-ip6: no
    do-daemonize: no
    username: ""
    chroot: ""
    directory: "$_tb_u"
    pidfile: ""
    use-syslog: no
    logfile: ""
    verbosity: 0
    val-log-level: 2
    access-control: 127.0.0.0/8 allow
    do-not-query-localhost: no
    trust-anchor-file: "$TB_ANCHOR"
    local-zone: "test." nodefault
    qname-minimisation: no
    cache-max-ttl: 0
    cache-max-negative-ttl: 0
remote-control:
    control-enable: no
stub-zone:
    name: "test."
    stub-addr: 127.0.0.1@$TB_DNS_PORT
EOF
	_tb_spawn /usr/sbin/unbound -d -c "$_tb_u/unbound.conf" 2>>"$_tb_u/log"
	_tb_upid=$!
	_tb_k=0
	while [ "$_tb_k" -lt 50 ]; do
		kill -0 "$_tb_upid" 2>/dev/null || break
		if "$_tb_kdig" @127.0.0.1 -p "$_tb_vport" +timeout=1 +retry=0 \
		    +dnssec SOA test. 2>/dev/null | grep -q 'Flags:.* ad;'; then
			TB_VALIDATOR=127.0.0.1@$_tb_vport
			export TB_VALIDATOR
			return 0
		fi
		sleep 0.1
		_tb_k=$((_tb_k + 1))
	done
	echo "testbed: unbound did not come up: $(tail -n 1 "$_tb_u/log")" >&2
	return 1
}

# testbed_implicit: for ldns-dane, which speaks no STARTTLS, a server with
# TLS on connect for each host with a STARTTLS server, at 127.1.0.N for
# 127.0.0.N, at the same port with the same chain.
testbed_implicit() {
	if [ ! -x "$_tb_srv" ]; then
		echo "testbed: no smtp-tls-server at '$_tb_srv'" >&2
		return 1
	fi
	_tb_servers "$TB_DIR" 1 '$3 != "none" && $3 != "no-starttls"'
	if ! _tb_down=$(_tb_wait_smtp "-$TB_PORT" \
	    $(awk '{ print $1 }' "$TB_DIR/servers.1")); then
		echo "testbed: no TLS server on $_tb_down port $TB_PORT" >&2
		return 1
	fi
}

testbed_stop() {
	for _tb_p in $TB_PIDS; do
		kill "$_tb_p" 2>/dev/null
	done
	for _tb_p in $TB_PIDS; do
		wait "$_tb_p" 2>/dev/null
	done
	TB_PIDS=
}
