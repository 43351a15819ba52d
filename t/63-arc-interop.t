#!/bin/sh
# arc-sign and arc-verify beside the two other ARC implementations,
# dkimpy and Mail::DKIM (through t/data/arc-dkimpy and arc-maildkim):
# one hop each way, then chains of three hops and more mixing all three in
# several orders, LF and CRLF, a mailing list footer, tampering blamed on
# the same instance by all three, and ed25519, which only we seal.
. "${MX_SRCDIR:-.}/t/lib.sh"

need perl openssl
$PY -c 'import dkim, authres' 2>/dev/null ||
    skip_all "dkimpy or authres not installed"
perl -MMail::DKIM::ARC::Signer -MMail::DKIM::ARC::Verifier -e 1 \
    2>/dev/null || skip_all "Mail::DKIM not installed"

D=$MX_SRCDIR/t/data
K=$T/keys
Z=$T/zone
CR=$(printf '\r')
mkdir "$K" || exit 1

# One domain per implementation; dkimpy reads only PKCS#1 keys.
for d in a b c; do
	rsa_key "$K/$d.pem"
done
ed25519_key "$K/e.pem"
$D/arc-zone s1._domainkey.a.example="$K/a.pem" \
    s1._domainkey.b.example="$K/b.pem" s1._domainkey.c.example="$K/c.pem" \
    ed._domainkey.a.example="$K/e.pem" >"$Z"
is "$(grep -c ' IN TXT "v=DKIM1; k=' "$Z")" 4 "a zone with the four keys"

dom_of() {
	case $1 in
	us) echo a.example ;;
	dkimpy) echo b.example ;;
	maildkim) echo c.example ;;
	esac
}

key_of() {
	case $1 in
	us) echo "$K/a.pem" ;;
	dkimpy) echo "$K/b.pem" ;;
	maildkim) echo "$K/c.pem" ;;
	esac
}

# verdict IMPL FILE: sets V_STATE, V_BLAME (the instance blamed for a
# fail, else empty) and, for us, V_DOMAINS and V_OLDEST.
verdict() {
	V_DOMAINS= V_OLDEST=
	if [ "$1" = us ]; then
		arc-verify --dns-zone "$Z" "$2" >"$T/v" 2>&1
		V_STATE=$(sed -n 's/^arc_state=//p' "$T/v")
		V_BLAME=$(sed -n "s/^arc_state_reason='i=\([0-9]*\) .*/\1/p" \
		    "$T/v")
		V_DOMAINS=$(sed -n "s/^arc_domains=//p" "$T/v" | tr -d "'")
		V_OLDEST=$(sed -n 's/^arc_oldest_pass=//p' "$T/v")
	else
		"$D/arc-$1" verify --dns-zone "$Z" "$2" >"$T/v" 2>&1
		V_STATE=$(sed -n 's/^arc_state=//p' "$T/v")
		V_BLAME=$(sed -n 's/^arc_fail_instance=//p' "$T/v")
	fi
	[ "$V_STATE" = pass ] || [ -n "$V_WANTFAIL" ] || diag "$(cat "$T/v")"
}

# message EOL > file: the first hop's input, with line ends EOL.
message() {
	sed "s/\$/$1/" <<'EOF'
From: Joe Sender <joe@origin.example>
To: List <list@a.example>,
	Other  <other@b.example>
Subject: hello   there 
Date: Mon, 1 Jan 2024 00:00:00 +0000
Message-ID: <1.2.3@origin.example>
MIME-Version: 1.0
Content-Type: text/plain; charset=us-ascii

body line with trailing space 
	tabbed  line

last line


EOF
}

# hop IMPL N EOL IN OUT: hop N of a chain.  The hop's implementation
# checks the chain it receives (from hop 2 on), writes its own
# Authentication-Results (ours through arc-verify --add-header), and
# seals.  With FOOTER=N, hop N appends a footer to the body first, as a
# mailing list does.
hop() {
	h_impl=$1 h_n=$2 h_eol=$3 h_in=$4 h_out=$5
	h_dom=$(dom_of "$h_impl")
	h_id=mx$h_n.$h_dom
	if [ "$h_n" -eq 1 ]; then
		printf 'Authentication-Results: %s; arc=none%s\n' "$h_id" "$h_eol" |
		    cat - "$h_in" >"$T/hopin"
	else
		verdict "$h_impl" "$h_in"
		is "$V_STATE" pass "$what: hop $h_n ($h_impl) receives a pass"
		if [ "$h_impl" = us ]; then
			arc-verify --dns-zone "$Z" --add-header "$h_id" \
			    --ip 192.0.2.$h_n "$h_in" >"$T/hopin"
		else
			printf 'Authentication-Results: %s; arc=pass%s\n' \
			    "$h_id" "$h_eol" | cat - "$h_in" >"$T/hopin"
		fi
	fi
	if [ "${FOOTER:-0}" -eq "$h_n" ]; then
		printf -- '-- %s\nlist footer%s\n' "$h_eol" "$h_eol" >>"$T/hopin"
	fi
	if [ "$h_impl" = us ]; then
		arc-sign -d "$h_dom" -s s1 -k "$(key_of us)" --authserv-id "$h_id" \
		    "$T/hopin" >"$h_out" 2>"$T/err"
		h_rc=$?
		tail -c "$(wc -c <"$T/hopin")" "$h_out" >"$T/rest"
		same "$T/rest" "$T/hopin" \
		    "$what: hop $h_n: the message follows our set unchanged"
	else
		"$D/arc-$h_impl" sign --domain "$h_dom" --selector s1 \
		    --key "$(key_of "$h_impl")" --srv-id "$h_id" "$T/hopin" \
		    >"$h_out" 2>"$T/err"
		h_rc=$?
	fi
	is "$h_rc:$(cat "$T/err")" 0: "$what: hop $h_n ($h_impl) seals"
}

# line_ends FILE EOL: all lines end in CRLF, or none does.
line_ends() {
	if [ -n "$2" ]; then
		[ "$(grep -c -v "$CR\$" "$1")" -eq 0 ]
	else
		[ "$(grep -c "$CR" "$1")" -eq 0 ]
	fi
}

# chain LF|CRLF IMPL...: a message through one hop per IMPL, in order;
# then all three must verify it as pass, and (unless TAMPER=no) fail it,
# blaming the newest instance, once a signed header or the body is
# changed.
chain() {
	c_e=$1
	shift
	what="$* ($c_e${FOOTER:+, footer at hop $FOOTER})"
	eol=
	[ "$c_e" = CRLF ] && eol=$CR
	message "$eol" >"$T/c0"
	c_i=0 c_doms=
	for h_impl; do
		hop "$h_impl" $((c_i + 1)) "$eol" "$T/c$c_i" "$T/c$((c_i + 1))"
		c_i=$((c_i + 1))
		c_doms=${c_doms:+$c_doms:}$(dom_of "$h_impl")
	done
	f=$T/c$c_i
	ok "$what: line ends kept ($c_e)" line_ends "$f" "$eol"
	is "$(grep -c '^ARC-Seal: ' "$f")" "$c_i" "$what: sets: $c_i"
	for v in us dkimpy maildkim; do
		verdict "$v" "$f"
		is "$V_STATE" pass "$what: $v verifies as pass"
		if [ "$v" = us ]; then
			is "$V_DOMAINS" "$c_doms" "$what: arc_domains lists the hops"
			is "$V_OLDEST" "${FOOTER:-1}" \
			    "$what: arc_oldest_pass=${FOOTER:-1}"
		fi
	done
	[ "${TAMPER:-yes}" = yes ] || return 0
	V_WANTFAIL=1
	sed 's/^Subject: hello/Subject: HELLO/' "$f" >"$T/tampered"
	for v in us dkimpy maildkim; do
		verdict "$v" "$T/tampered"
		is "$V_STATE:$V_BLAME" "fail:$c_i" \
		    "$what: Subject changed: $v fails, blames i=$c_i"
	done
	sed 's/^last line/last lime/' "$f" >"$T/tampered"
	for v in us dkimpy maildkim; do
		verdict "$v" "$T/tampered"
		is "$V_STATE:$V_BLAME" "fail:$c_i" \
		    "$what: body changed: $v fails, blames i=$c_i"
	done
	V_WANTFAIL=
}

# --- One hop each way --------------------------------------------------
# Tampering costs two runs of each peer: the CRLF ones go without (the
# peers verify in CRLF whatever the input's line ends).
for e in LF CRLF; do
	[ "$e" = LF ] && TAMPER=yes || TAMPER=no
	chain "$e" us
	chain "$e" dkimpy
	chain "$e" maildkim
done
TAMPER=yes

# --- Mixed chains --------------------------------------------------------
chain LF us dkimpy maildkim
chain CRLF maildkim us dkimpy
chain LF dkimpy maildkim us us
chain CRLF us maildkim dkimpy us maildkim

# A list at hop 2 adds a footer: the first AMS breaks, the chain holds,
# and the oldest AMS that still passes is the list's.
FOOTER=2
chain CRLF dkimpy us maildkim
FOOTER=

# --- ed25519: only we seal and verify it in ARC --------------------------
message '' | sed '1i\
Authentication-Results: mx1.a.example; arc=none' >"$T/ein"
run arc-sign -d a.example -s ed -k "$K/e.pem" --authserv-id mx1.a.example \
    "$T/ein"
is "$rc" 0 "ed25519: we seal"
printf '%s\n' "$out" >"$T/ed"
like "$(sed -n '/^ARC-Seal:/,/^[^ \t]/p' "$T/ed" | tr -d ' \t\n')" \
    'a=ed25519-sha256;' "ed25519: the seal says a=ed25519-sha256"
verdict us "$T/ed"
is "$V_STATE:$V_DOMAINS" "pass:a.example" "ed25519: we verify our seal"
# Neither peer knows ed25519 in ARC: a fail, never a pass.
V_WANTFAIL=1
for v in dkimpy maildkim; do
	verdict "$v" "$T/ed"
	is "$V_STATE" fail "ed25519: $v cannot verify it: fail"
	run "$D/arc-$v" sign --algorithm ed25519-sha256 --domain a.example \
	    --selector ed --key "$K/e.pem" --srv-id mx1.a.example "$T/ein"
	is "$rc" 3 "ed25519: $v cannot seal with it (unsupported)"
done
V_WANTFAIL=

done_testing
