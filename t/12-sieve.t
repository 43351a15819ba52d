#!/bin/sh
# mxkit(7)'s Sieve recipe as printed: Dovecot's configuration, the filter
# wrapper and the script, run by Pigeonhole's sieve-test on messages sealed
# by arc-sign, the keys served by knot as the system resolver (in private
# network and mount namespaces).  A chain that holds gets arc=pass and
# stays in INBOX, a broken one goes to Junk; when arc-verify exits 75 (the
# DNS is down) the filter fails and the original is delivered unchanged.
. "$MX_SRCDIR/t/lib.sh"
. "$MX_SRCDIR/t/knot.sh"
need sieve-test openssl setpriv
need_knot
if [ "$(id -u)" != 0 ] || ! command -v unshare >/dev/null ||
    ! command -v ip >/dev/null || ! unshare -nm true 2>/dev/null; then
	skip_all "no private namespaces here (unshare -nm, as root)"
fi
id nobody >/dev/null 2>&1 || skip_all "no user nobody to run sieve-test as"

# sieve-test runs as nobody (Dovecot refuses root), so $T is open to it.
chmod 755 "$T"
rsa_key "$T/k.pem" || skip_all "openssl cannot make keys"
{
	echo 'example.org. 300 IN SOA ns.example.org. hm.example.org. 1 60 60 600 60'
	echo 'example.org. 300 IN NS ns.example.org.'
	echo 'ns.example.org. 300 IN A 127.0.0.1'
	"$MX_SRCDIR/t/data/arc-zone" arc2026._domainkey.example.org="$T/k.pem"
} >"$T/example.org.zone" || skip_all "arc-zone failed"
printf '%s\n' "Authentication-Results: example.org; spf=pass" \
    "From: a@example.org" "To: b@example.net" "Subject: forwarded" "" \
    "Hello." >"$T/m"
arc-sign -d example.org -s arc2026 -k "$T/k.pem" \
    --dns-zone "$T/example.org.zone" "$T/m" >"$T/good.eml" ||
    skip_all "arc-sign cannot seal"
sed 's/^Hello\.$/Hello, changed./' "$T/good.eml" >"$T/bad.eml"

# The recipe, as printed: paths under /usr/local moved into $T and the
# build.  Dovecot's own settings for a test run come first.
mkdir -m 755 "$T/filter" "$T/home"
block man/mxkit.7 sieve-conf |
    sed "s#/usr/local/lib/mxkit/sieve-filter#$T/filter#" >"$T/sieve.conf"
block man/mxkit.7 sieve-wrapper |
    sed "s#/usr/local/bin/#$MX_BUILDDIR/tools/#" >"$T/filter/arc-verify"
chmod 755 "$T/filter/arc-verify"
block man/mxkit.7 sieve-script >"$T/arc.sieve"
printf '%s\n' "!include $T/sieve.conf" >"$T/dovecot.conf"
chmod 644 "$T"/*.eml "$T"/*.conf "$T/arc.sieve"
chown nobody "$T/home"
echo "nameserver 127.0.0.1" >"$T/resolv.conf"

# deliver MESSAGE [dns]: sieve-test runs the script over MESSAGE into the
# maildir $T/home/mail, with knot answering as the system resolver when
# "dns" is given, and nothing on port 53 otherwise.
deliver() {
	rm -rf "$T/home/mail"
	unshare -nm sh -c '
		t=$1 msg=$2 dns=$3
		ip link set lo up && mount --bind "$t/resolv.conf" \
		    /etc/resolv.conf || exit 77
		if [ "$dns" = dns ]; then
			# knot in a temporary directory of its own
			. "$MX_SRCDIR/t/lib.sh"
			. "$MX_SRCDIR/t/knot.sh"
			knot_start "$t/example.org.zone" example.org 53 >&2 ||
			    exit 78
		fi
		setpriv --reuid nobody --regid nogroup --clear-groups \
		    env HOME="$t/home" sieve-test -c "$t/dovecot.conf" \
		    -l "maildir:$t/home/mail" -e "$t/arc.sieve" "$msg"
	' sh "$T" "$1" "$2"
}

# stored FOLDER: the one message in that maildir folder ("" for INBOX).
stored() {
	cat "$T/home/mail/${1:+.$1/}"new/* 2>/dev/null
}

run deliver "$T/good.eml" dns
[ "$rc" = 77 ] && skip_all "cannot bind /etc/resolv.conf here"
is "$rc" 0 "sieve-test runs the recipe on a sealed message"
like "$err" "stored mail into mailbox 'INBOX'" "  the message stays in INBOX"
like "$(stored | head -n 2)" \
    "^Authentication-Results: mx.example.org;
	arc=pass \(i=1 ARC-Seal.d=example.org ARC-Message-Signature.d=example.org\)\$" \
    "  with arc-verify's field at the top"
is "$(stored | sed 1,2d)" "$(cat "$T/good.eml")" "  over the message as it was"

run deliver "$T/bad.eml" dns
is "$rc" 0 "sieve-test runs the recipe on a message changed after sealing"
like "$err" "stored mail into mailbox 'Junk'" "  the message goes to Junk"
like "$(stored Junk | sed -n 2p)" "^	arc=fail " "  with arc=fail in the field"

# A forged field of ours that came with the message does not count.
{ printf 'Authentication-Results: mx.example.org; arc=fail\n'
  cat "$T/good.eml"; } >"$T/forged.eml"
chmod 644 "$T/forged.eml"
run deliver "$T/forged.eml" dns
like "$err" "stored mail into mailbox 'INBOX'" \
    "a forged arc=fail below the new field: INBOX"

# No DNS: arc-verify exits 75, the filter fails, the original goes on.
run deliver "$T/good.eml"
is "$rc" 0 "no DNS: sieve-test still delivers"
like "$err" "exit code 75" "  Pigeonhole saw arc-verify exit 75"
like "$err" "arc-verify: cannot validate.*temporary failure" \
    "  and its diagnostic"
is "$(stored)" "$(cat "$T/good.eml")" \
    "  the original message delivered to INBOX unchanged"
done_testing
