#!/bin/sh
# DKIM interoperability: messages signed by us (t/unit/dkim-tool), by
# dkimpy and by Mail::DKIM, intact and tampered, verified by us, dkimpy,
# Mail::DKIM and opendkim-testmsg, all taking keys from one knot server on
# loopback.  Every verifier must give each message the verdict its
# signature calls for: pass intact, fail with the body or a signed field
# changed, and with blanks changed pass only where both halves of c= are
# relaxed.  opendkim-testmsg asks the system resolver, so it runs in a
# network and mount namespace of its own (unshare) with its own
# /etc/resolv.conf and a knot server of its own on 127.0.0.1 port 53.
. "$MX_SRCDIR/t/lib.sh"
. "$MX_SRCDIR/t/knot.sh"
need openssl
need_knot

DK=$MX_BUILDDIR/t/unit/dkim-tool
if [ ! -x "$DK" ]; then
	echo "1..1"
	echo "not ok 1 - $DK is built"
	exit 1
fi
DATA=$MX_SRCDIR/t/data
$PY -c 'import dkim, dns.resolver' 2>/dev/null ||
    skip_all "dkimpy or dnspython missing (python3-dkim, python3-dnspython)"
perl -MMail::DKIM::Verifier -MNet::DNS -e1 2>/dev/null ||
    skip_all "Mail::DKIM or Net::DNS missing (libmail-dkim-perl)"

rsa_key "$T/rsa.pem" 2048 && ed25519_key "$T/ed.pem" ||
    skip_all "openssl cannot make keys"
{
	zone_head example.org
	"$DATA/arc-zone" rsa._domainkey.example.org="$T/rsa.pem" \
	    ed._domainkey.example.org="$T/ed.pem"
} >"$T/zone" || skip_all "arc-zone failed"
knot_start "$T/zone" example.org || skip_all "knot does not start"
RES=127.0.0.1@$KNOT_PORT

# Date and Message-ID: libopendkim wants an RFC 5322 header section.
cat >"$T/m" <<'EOM'
From: Alice <alice@example.org>
To: Bob <bob@example.net>
Subject: interop
  with a folded line
Date: Mon, 1 Jan 2024 00:00:00 +0000
Message-ID: <interop@example.org>

Hello  there, 
with blanks	inside and at the ends  

and empty lines after.


EOM

mkdir "$T/s"
bad=0
# signed NAME COMMAND...: the message signed by COMMAND, as $T/s/NAME.
signed() {
	_name=$1
	shift
	"$@" >"$T/s/$_name" 2>"$T/sign.err" || {
		echo "# cannot sign $_name: $(cat "$T/sign.err")"
		rm -f "$T/s/$_name"
		bad=$((bad + 1))
	}
}
us() {	# us NAME CANON [SELECTOR [ARGS...]]: with key $T/SELECTOR.pem
	_nm=$1 _c=$2 _s=${3:-rsa}
	shift 2
	[ $# -gt 0 ] && shift
	signed "us-$_nm" "$DK" sign -d example.org -s "$_s" -k "$T/$_s.pem" \
	    -c "$_c" -h from:to:subject:date "$@" "$T/m"
}
py() {	# py NAME CANON [SELECTOR [ARGS...]]
	_nm=$1 _c=$2 _s=${3:-rsa}
	shift 2
	[ $# -gt 0 ] && shift
	signed "dkimpy-$_nm" "$DATA/dkim-dkimpy" sign --domain example.org \
	    --selector "$_s" --key "$T/$_s.pem" --canon "$_c" "$@" "$T/m"
}
pl() {	# pl NAME CANON
	signed "maildkim-$1" "$DATA/dkim-maildkim" sign --domain example.org \
	    --selector rsa --key "$T/rsa.pem" --canon "$2" "$T/m"
}
us rr relaxed/relaxed
us ss simple/simple
us rs relaxed/simple
us sr simple/relaxed
us ed relaxed/relaxed ed
us edss simple/simple ed
us l20 relaxed/relaxed rsa -l 20
py rr relaxed/relaxed
py ss simple/simple
py rs relaxed/simple
py sr simple/relaxed
py ed relaxed/relaxed ed --algorithm ed25519-sha256
py edss simple/simple ed --algorithm ed25519-sha256
py l relaxed/relaxed rsa --length
pl rr relaxed/relaxed
pl ss simple/simple
pl rs relaxed/simple
pl sr simple/relaxed
is "$bad" 0 "every signer signed"

# Tampered copies, and what each must come to.
for f in "$T"/s/*; do
	sed 's/^and empty lines/and EMPTY lines/' "$f" >"$f.body"
	sed 's/^Subject: interop/Subject: Interop/' "$f" >"$f.subject"
	sed 's/^Hello  there, $/Hello there,/
	    s/^  with a folded/ with a  folded/' "$f" >"$f.blanks"
done
# want FILE: the verdict its signature calls for.
want() {
	case $1 in
	us-l20.body|us-l20.blanks)	echo pass ;;	# beyond l=20
	*.body|*.subject)	echo fail ;;
	*-rr.blanks|*-ed.blanks|*-l.blanks)	echo pass ;;
	*.blanks)	echo fail ;;
	*)	echo pass ;;
	esac
}
FILES=$(cd "$T/s" && ls)

# Our verdicts, one process per message as an MTA runs it.
for f in $FILES; do
	"$DK" verify --resolver "$RES" "$T/s/$f" >"$T/out" 2>&1
	status=
	eval "$(head -n 1 "$T/out")"
	echo "$f $status"
done >"$T/ours"
for f in $FILES; do
	is "$(sed -n "s/^$f //p" "$T/ours")" "$(want "$f")" "us on $f"
done

# peer NAME RESULTS [NOED]: each verdict of the peer is ours (pass or
# fail; a peer's "invalid" is no pass); with NOED, Ed25519 signatures are
# skipped, saying NOED.
peer() {
	for f in $FILES; do
		case $f in
		*-ed*)	if [ -n "${3-}" ]; then
				skip 1 "$1 on $f: $3"
				continue
			fi ;;
		esac
		_p=$(sed -n "s|^.*/$f ||p" "$2")
		[ "$_p" = invalid ] && _p=fail
		is "$_p" "$(sed -n "s/^$f //p" "$T/ours")" "$1 agrees on $f"
	done
}
(cd "$T/s" && "$DATA/dkim-dkimpy" verify --resolver "$RES" $FILES) \
    >"$T/dkimpy" 2>&1
sed -i 's|^|./|' "$T/dkimpy"
peer dkimpy "$T/dkimpy"
(cd "$T/s" && "$DATA/dkim-maildkim" verify --resolver "$RES" $FILES) \
    >"$T/maildkim" 2>&1
sed -i 's|^|./|' "$T/maildkim"
noed=
# Debian 12's Mail::DKIM (1.20230212) has no ed25519-sha256 module: it
# verifies RSA only, and calls an Ed25519 signature unsupported.
perl -MMail::DKIM::Algorithm::ed25519_sha256 -e1 2>/dev/null ||
    noed="this Mail::DKIM has no ed25519-sha256 (Mail::DKIM::Algorithm::ed25519_sha256)"
peer Mail::DKIM "$T/maildkim" "$noed"

# opendkim-testmsg, in namespaces of its own: its exit status is 0 for a
# good signature, 70 with "Bad signature" for a bad one.
if ! command -v opendkim-testmsg >/dev/null 2>&1; then
	skip $(($(echo $FILES | wc -w) + 3)) \
	    "opendkim-testmsg not installed (opendkim-tools)"
elif ! unshare -m -n true 2>/dev/null; then
	skip $(($(echo $FILES | wc -w) + 3)) "$(printf '%s %s' \
	    "unshare -m -n not permitted here:" \
	    "opendkim-testmsg would ask the system resolver")"
else
	run unshare -m -n sh -c '
	    zone=$1 out=$2 dir=$3
	    shift 3
	    ip link set lo up || exit 1
	    echo "nameserver 127.0.0.1" >"$dir/resolv.conf"
	    mount --bind "$dir/resolv.conf" /etc/resolv.conf || exit 1
	    . "$MX_SRCDIR/t/lib.sh"
	    . "$MX_SRCDIR/t/knot.sh"
	    knot_start "$zone" example.org 53 >&2 || exit 1
	    # libopendkim reads CRLF lines.
	    for f; do
		sed "s/\$/\r/" "$dir/s/$f" >"$T/in"
		opendkim-testmsg <"$T/in" >/dev/null 2>"$T/err"
		echo "$f $? $(head -n 1 "$T/err")"
	    done >"$out"
	    # Its own signature: rsa-sha1, the only one it makes.
	    sed "s/\$/\r/" "$dir/m" >"$T/in"
	    opendkim-testmsg -C -d example.org -s rsa -k "$dir/rsa.pem" \
		<"$T/in" >"$dir/opendkim-signed" &&
		opendkim-testmsg <"$dir/opendkim-signed"
	    echo "self $?" >>"$out"' sh "$T/zone" "$T/opendkim" "$T" $FILES
	is "$rc" 0 "opendkim-testmsg ran in its own namespaces"
	[ "$rc" -eq 0 ] || diag "$err"
	for f in $FILES; do
		_line=$(grep "^$f " "$T/opendkim")
		case $_line in
		"$f 0 ")	_p=pass ;;
		"$f 70 opendkim-testmsg: dkim_eom(): Bad signature")	_p=fail ;;
		*)	_p="other: $_line" ;;
		esac
		is "$_p" "$(sed -n "s/^$f //p" "$T/ours")" \
		    "opendkim-testmsg agrees on $f"
	done
	# RFC 8301: a verifier must not take rsa-sha1, which is all
	# opendkim-testmsg signs with.
	is "$(grep '^self ' "$T/opendkim")" "self 0" \
	    "opendkim-testmsg signs (rsa-sha1) and verifies its own signature"
	"$DK" verify --resolver "$RES" "$T/opendkim-signed" >"$T/out"
	status= detail=
	eval "$(cat "$T/out")"
	is "$status:$detail" "invalid:unknown algorithm in a=" \
	    "its rsa-sha1 signature is invalid to us (RFC 8301)"
fi
done_testing
