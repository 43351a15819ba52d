#!/bin/sh
# Every case of the DANE test bed through the peers, beside tlsa-check:
# Postfix's posttls-finger (-l dane, a real sending MTA's DANE code) and
# ldns-dane, each behind a validating unbound on 127.0.0.1:53 that trusts
# the bed's anchor; they read /etc/resolv.conf only, so the whole test
# runs in a network and mount namespace of its own with a resolv.conf
# bind-mounted there.  ldns-dane speaks no STARTTLS: it talks to the
# bed's implicit-TLS servers (testbed_implicit).  tlsa-check runs twice:
# validating in process, and with --trust-ad behind the same unbound.
# The verdicts agree on every case, or the test names the case and why
# (man/tlsa-check.1, STANDARDS).
if [ -z "${MX_NETNS-}" ] && unshare -nm true 2>/dev/null; then
	MX_NETNS=1 exec unshare -nm sh "$0" "$@"
fi
. "${MX_SRCDIR:-.}/t/lib.sh"
. "$MX_SRCDIR/scripts/dane-testbed.sh"

PATH=$PATH:/usr/sbin
[ -n "${MX_NETNS-}" ] || skip_all "no network namespace (unshare -nm)"
PF=/opt/mxkit/postfix/usr/sbin/posttls-finger
[ -x "$PF" ] || skip_all "no posttls-finger in /opt/mxkit/postfix"
need ip mount ldns-dane unbound knotd kdig exim4 openssl

ip link set lo up || skip_all "cannot bring up lo in the namespace"
printf 'nameserver 127.0.0.1\noptions trust-ad\n' >"$T/resolv.conf"
mount --bind "$T/resolv.conf" /etc/resolv.conf ||
    skip_all "cannot bind-mount /etc/resolv.conf"

B=$T/bed
{ testbed_make "$B" && testbed_start "$B" && testbed_resolver 53 &&
    testbed_implicit; } >"$T/bed.log" 2>&1 ||
    { diag "$(cat "$T/bed.log")"; ok "the test bed" false; done_testing; }
P=$TB_PORT

mkdir "$T/pf"
printf '%s\n' 'mail_owner = nobody' 'setgid_group = mail' \
    'default_privs = daemon' >"$T/pf/main.cf"

# posttls DEST: posttls-finger's text for DEST (a domain, or [host]).
posttls() {
	LD_LIBRARY_PATH=/opt/mxkit/postfix/usr/lib/postfix \
	    MAIL_CONFIG=$T/pf "$PF" -t 3 -T 3 -L routine,certmatch,dane \
	    -l dane "$1:$P" >"$T/pf.out" 2>&1
}

# pf_verdict: posttls-finger's text in our words.  It says which TLSA
# records were DNSSEC-signed and usable, and how the session went.
pf_verdict() {
	_o=$T/pf.out
	if grep -q 'Verified TLS connection established' "$_o"; then
		echo verified
	elif grep -q 'TLSA lookup error' "$_o"; then
		echo bogus
	elif grep -q 'Connection refused' "$_o"; then
		echo unreachable
	elif grep -q 'Untrusted TLS connection' "$_o"; then
		if grep -q 'all TLSA records unusable' "$_o"; then
			echo unusable
		elif grep -q 'DNSSEC-signed TLSA record' "$_o"; then
			echo mismatch
		elif grep -q 'unsupported TLSA certificate usage' "$_o"; then
			echo unusable
		else
			echo insecure
		fi
	elif grep -q '^posttls-finger: < 250 ' "$_o" &&
	    ! grep -q '> STARTTLS' "$_o"; then
		echo tls-failed
	else
		echo unknown
	fi
}

# ldns HOST ADDR: ldns-dane at the host's implicit-TLS twin, its words
# turned into ours.  RFC 7672 3.1.1 has no name checks for DANE-EE,
# ldns-dane always makes them: -n when every record is DANE-EE.
ldns() {
	_n=
	"$KDIG" @127.0.0.1 +short TLSA "_$P._tcp.$1" >"$T/tlsa" 2>/dev/null
	[ -s "$T/tlsa" ] && ! grep -qv '^3 ' "$T/tlsa" && _n=-n
	ldns-dane -k "$TB_ANCHOR" -S $_n -a "$2" verify "$1" "$P" \
	    >"$T/ld.out" 2>&1
	_o=$T/ld.out
	if grep -q 'dane-validated successfully' "$_o"; then
		echo verified
	elif grep -q 'Bogus DNSSEC signature' "$_o"; then
		echo bogus
	elif grep -q 'were found, but were insecure' "$_o"; then
		echo insecure
	elif grep -q 'No usable TLSA records' "$_o"; then
		echo unusable
	elif grep -q 'Could not connect' "$_o"; then
		echo unreachable
	elif grep -q 'did not dane-validate' "$_o"; then
		echo mismatch
	else
		echo unknown
	fi
}
KDIG=${KDIG:-kdig}

# ours ARGS...: tlsa-check's exit status and verdicts, "STATUS V...",
# validating in process; with --trust-ad, trusting unbound's AD bit.
ours() {
	if [ "$1" = --trust-ad ]; then
		set -- --resolver 127.0.0.1 "$@"
	else
		set -- --resolver "$TB_DNS" --anchor "$TB_ANCHOR" "$@"
	fi
	tlsa-check --port "$P" --timeout 3 --json "$@" \
	    >"$T/ours.json" 2>"$T/ours.err"
	_rc=$?
	printf '%s %s\n' "$_rc" "$($PY -c 'import json, sys
d = json.load(open(sys.argv[1]))
print(" ".join(h["verdict"] for h in d["hosts"]))' "$T/ours.json" 2>/dev/null)"
}
have_ours=
[ -x "$MX_BUILDDIR/tools/tlsa-check" ] && have_ours=1

# The MX hosts of a domain in preference order (the domain itself without
# MX), each with its address, as the validating resolver gives them.
mxhosts() {
	"$KDIG" @127.0.0.1 +short MX "$1" | sort -n |
	    awk '{ sub(/\.$/, "", $2); print $2 }' >"$T/mx"
	[ -s "$T/mx" ] || echo "$1" >"$T/mx"
	while read -r _h; do
		_a=$("$KDIG" @127.0.0.1 +short A "$_h" | tail -n 1)
		echo "$_h ${_a:-none}"
	done <"$T/mx"
}

# Where a peer's verdict differs from ours, by design; anything else must
# agree.  differ PEER CASE HOST-INDEX THEIRS WHY
differ() {
	printf '%s\t%s\t%s\t%s\t%s\n' "$@" >>"$T/differ"
}
: >"$T/differ"
differ ldns-dane nosig.test 1 insecure "ldns-dane takes a TLSA RRset\
 without its RRSIG in a signed zone for insecure and falls back to PKIX;\
 RFC 4035 5 makes it bogus, as unbound and posttls-finger do"
differ ldns-dane pkix.test 1 mismatch "ldns-dane applies usages 0 and 1\
 (PKIX-TA, PKIX-EE) of RFC 6698 and fails without a CA; RFC 7672 3.1.3\
 makes them unusable for SMTP"
differ ldns-dane cname.test 1 mismatch "ldns-dane takes the TLSA at the\
 name given, not at the CNAME-expanded MX host name first (RFC 7672\
 2.2.2)"
differ ldns-dane nexthop.test 1 mismatch "ldns-dane knows no next-hop\
 domain, the only name of the DANE-TA leaf (RFC 7672 3.2.2); tlsa-check\
 --host agrees with it"
differ ldns-dane nostarttls.test 1 unreachable "ldns-dane speaks TLS on\
 connect only, and a server without STARTTLS has no such twin"

# agree PEER CASE I THEIRS WANT: the peer agrees, or differs as listed.
agree() {
	_why=$(awk -F '\t' -v p="$1" -v c="$2" -v i="$3" \
	    '$1 == p && $2 == c && $3 == i { print $4 ": " $5 }' "$T/differ")
	if [ -n "$_why" ]; then
		is "$4" "${_why%%:*}" "$1, $2 host $3: differs: ${_why#*: }"
	else
		is "$4" "$5" "$1, $2 host $3: $5"
	fi
}

while read -r dom st want; do
	mxhosts "$dom" >"$T/hosts"
	i=0
	for w in $want; do
		i=$((i + 1))
		read -r host addr <<EOF
$(sed -n "${i}p" "$T/hosts")
EOF
		# posttls-finger reports the first MX host it reaches: the
		# domain for the first, [host] after it.
		if [ "$i" -eq 1 ]; then
			posttls "$dom"
		else
			posttls "[$host]"
		fi
		agree posttls-finger "$dom" "$i" "$(pf_verdict)" "$w"
		agree ldns-dane "$dom" "$i" \
		    "$(ldns "$host" "127.1.0.${addr##*.}")" "$w"
	done
	if [ -n "$have_ours" ]; then
		is "$(ours "$dom")" "$st $want" "tlsa-check $dom: $st $want"
		is "$(ours --trust-ad "$dom")" "$st $want" \
		    "tlsa-check --trust-ad $dom behind unbound: $st $want"
	fi
done <"$B/cases"

# One host alone (tlsa-check --host): no next-hop domain.
while read -r host st want; do
	addr=$("$KDIG" @127.0.0.1 +short A "$host" | tail -n 1)
	posttls "[$host]"
	is "$(pf_verdict)" "$want" "posttls-finger [$host]: $want"
	is "$(ldns "$host" "127.1.0.${addr##*.}")" "$want" \
	    "ldns-dane $host: $want"
	if [ -n "$have_ours" ]; then
		is "$(ours --host "$host")" "$st $want" \
		    "tlsa-check --host $host: $st $want"
	fi
done <"$B/hosts"

[ -n "$have_ours" ] || skip 1 "tools/tlsa-check is not built"
done_testing
