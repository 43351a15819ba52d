#!/bin/sh
# dmarc-check's verdicts beside those of the real Mail::DMARC (Debian's
# libmail-dmarc-perl), both asking one knot server on loopback, over the
# generated matrix of t/data/dmarc-matrix: p and sp, pct 0 and 100, strict
# and relaxed alignment, From at the organizational domain, at a subdomain
# and at a name that does not exist, SPF and DKIM pass, fail, none and
# temperror, several records, malformed records, NXDOMAIN and NODATA, the
# alignment traps of libopendmarc.  Both get the same SPF and DKIM facts
# (dmarc-check --spf, --dkim, --mail-from).  Every difference is either
# gone or listed below with its reason (dmarc-check.1 STANDARDS says the
# same to readers); an explanation no case needs any more fails too.
# Then the same verdicts once more from one dmarc-check run over the cases
# as messages (those of --no-sampling aside), the facts in their
# Authentication-Results fields.
. "${MX_SRCDIR:-.}/t/lib.sh"
. "$MX_SRCDIR/t/knot.sh"

need_knot
need perl
perl -MMail::DMARC::PurePerl -MNet::DNS::Resolver -e 1 2>/dev/null ||
    skip_all "Mail::DMARC not installed (libmail-dmarc-perl)"
[ -r /usr/share/publicsuffix/public_suffix_list.dat ] ||
    skip_all "no public suffix list (publicsuffix)"

D=$MX_SRCDIR/t/data
SRV=mx.mxkit-matrix.net
"$D/dmarc-matrix" zone >"$T/zone" || exit 1
"$D/dmarc-matrix" cases >"$T/cases" || exit 1
n=$(wc -l <"$T/cases")
ok "the matrix has $n cases" test "$n" -gt 500

ok "knot serves the matrix's root zone" knot_start "$T/zone" . ||
    done_testing
R=127.0.0.1@$KNOT_PORT

# answers NAME: the status of knot's answer to a TXT query for NAME, then
# the TXT records in it.
answers() {
	"$KDIG" @127.0.0.1 -p "$KNOT_PORT" +timeout=2 +retry=0 TXT "$1" \
	    2>&1 | awk '/status:/ { sub(/.*status: /, ""); sub(/[;,].*/, "")
		printf "%s", $0 }
	    /^[^;].*[[:space:]]TXT[[:space:]]/ { sub(/.*TXT[[:space:]]*/, "")
		printf " %s", $0 }'
}
# dom TAG: the organizational domain of the matrix made for TAG.
dom() {
	sed -n "s/^\(mxkit-$1\.[a-z.]*[a-z]\)\.[[:space:]]*IN A.*/\1/p" \
	    "$T/zone"
}
like "$(answers "_dmarc.$(dom several)")" \
    '^NOERROR "v=DMARC1; p=(reject|none)" "v=DMARC1; p=(reject|none)"$' \
    "knot: two DMARC records at _dmarc.$(dom several)"
is "$(answers "_dmarc.$(dom nxdomain)")" NXDOMAIN \
    "knot: NXDOMAIN at _dmarc.$(dom nxdomain)"
is "$(answers "_dmarc.$(dom nodata)")" NOERROR \
    "knot: NODATA at _dmarc.$(dom nodata)"
is "$(answers "_dmarc.$(dom ent)")" NOERROR \
    "knot: an empty non-terminal at _dmarc.$(dom ent)"
is "$(answers "_dmarc.$(dom split)")" \
    'NOERROR "v=DMA" "RC1; p=quar" "antine; sp=re" "ject"' \
    "knot: a record in four strings at _dmarc.$(dom split)"

# --- dmarc-check, one process a case, as an MTA runs it ---------------
mkdir "$T/ours" "$T/msg" "$T/ar" || exit 1
while IFS='	' read -r id class from mfrom helo spf dkim samp; do
	msg="From: $from
To: <rcpt@mxkit-rcpt.net>
Subject: $id $class
Message-ID: <$id@mxkit-matrix.net>

body"
	printf '%s\n' "$msg" >"$T/msg/$id"
	set -- --resolver "$R" --ip 192.0.2.25 --spf "$spf"
	# The same facts in an Authentication-Results field of ours.
	ar="Authentication-Results: $SRV;"
	if [ "$mfrom" = '<>' ]; then
		set -- "$@" --mail-from '' --helo "$helo"
		ar="$ar spf=$spf smtp.helo=$helo"
	else
		set -- "$@" --mail-from "$mfrom"
		[ "$helo" = - ] || set -- "$@" --helo "$helo"
		ar="$ar spf=$spf smtp.mailfrom=$mfrom"
	fi
	# DOMAIN:RESULT,...: split at the commas without a process.
	rest=$dkim,
	while [ "$dkim" != - ] && [ -n "$rest" ]; do
		x=${rest%%,*}
		rest=${rest#*,}
		set -- "$@" --dkim "$x"
		r=${x##*:}
		# invalid is Exim's word; RFC 8601 says permerror.
		[ "$r" = invalid ] && r=permerror
		ar="$ar; dkim=$r header.d=${x%:*} header.s=s1"
	done
	# The batch below has no --no-sampling.
	if [ "$samp" = nosample ]; then
		set -- "$@" --no-sampling
	else
		printf '%s\n%s\n' "$ar" "$msg" >"$T/ar/$id"
	fi
	dmarc-check "$@" "$T/msg/$id" >"$T/ours/$id" 2>"$T/ours/$id.err"
	rc=$?
	echo "$rc" >"$T/ours/$id.rc"
	# A verdict is 0 or 1; temperror is 75, for the MTA to retry.
	case $rc in
	0|1) ;;
	75) grep -qx dmarc_status=temperror "$T/ours/$id" || echo "$id" ;;
	*) echo "$id" ;;
	esac
done <"$T/cases" >"$T/badrc"

is "$(wc -l <"$T/badrc")" 0 \
    "every case ran: exit 0 or 1, or 75 with dmarc_status=temperror"
for id in $(head -n 3 "$T/badrc"); do
	diag "$id: exit $(cat "$T/ours/$id.rc") $(head -n 1 "$T/ours/$id.err")"
done

# --- Mail::DMARC, the same cases and the same facts ---------------------
"$D/dmarc-maildmarc" --resolver "$R" cases <"$T/cases" >"$T/peer" \
    2>"$T/peer.err"
is "$?:$(wc -l <"$T/peer")" "0:$n" "Mail::DMARC gives a line a case"

# Both saw the verdicts the matrix is made of, not one answer for all
# (as two resolvers that both failed would agree on norecord).
for v in accept reject quarantine none norecord; do
	o=$(cat "$T"/ours/c[0-9]* | grep -cx "dmarc_status=$v")
	p=$(grep -c " verdict=$v " "$T/peer")
	ok "$v: $o cases of dmarc-check, $p of Mail::DMARC" \
	    test "$o" -ge 5 -a "$p" -ge 5
done

# --- The comparison, one line a group of cases ----------------------------
# The differences that stay, each with its reason (the paragraph in
# dmarc-check.1 STANDARDS says the same): CLASS-RE|FIELD|OURS|PEER|why.
# RFC 7489 is the judge; where it says nothing, the choice is said.
cat >"$T/explained" <<'EOF'
^nosample |verdict|reject|quarantine|--no-sampling applies p as published;
	Mail::DMARC always samples (pct=0: a step lighter)
^nosample |verdict|quarantine|none|the same
-temperror$|verdict|temperror|*|a temperror of an SPF or DKIM identifier
	that would align, with nothing aligned passing and a p (or sp) that
	acts: dmarc-check says temperror (exit 75: retry later); Mail::DMARC
	applies the policy
^split-strings/|verdict|*|norecord|a TXT record in several strings is one
	string, joined; Mail::DMARC joins them with spaces (Net::DNS
	txtdata) and finds no v=DMARC1 in "v=DMA RC1"
^record spaces/org/|verdict|*|norecord|RFC 7489 6.4 ABNF allows spaces
	around = and ; (v = DMARC1 ; p = reject); Mail::DMARC wants
	v=dmarc1 as the first 8 characters
^record spaces/sub/|verdict|reject|quarantine|the same; Mail::DMARC goes on
	to the organizational record
^record spaces/sub/|policy|reject|quarantine|the same
^record v-lower/org/|verdict|norecord|*|RFC 7489 6.3: v= must be DMARC1
	exactly; Mail::DMARC takes v=dmarc1
^record v-lower/sub/|verdict|quarantine|reject|the same; dmarc-check goes
	on to the organizational record
^record v-lower/sub/|policy|quarantine|reject|the same
^record bad-p-rua/|verdict|*|norecord|RFC 7489 6.6.3 step 6: a bad p= with
	a valid rua= reads as p=none; Mail::DMARC's policy parser refuses
	the record first
^record pct-bad/|verdict|reject|quarantine|pct=abc is no number:
	dmarc-check ignores the tag (100); Mail::DMARC compares rand(100)
	with it as 0 and samples every failure out
^record dup-tag/|verdict|norecord|*|a tag twice (p=none; p=reject) makes
	the record invalid to dmarc-check; Mail::DMARC takes the last
^record no-semicolon/sub/|verdict|*|norecord|"v=DMARC1 p=reject" (no ;
	after DMARC1) is no DMARC record to dmarc-check, which asks the
	organizational domain next; Mail::DMARC takes it for one, cannot
	read it and stops
^no-address/|verdict|*|norecord|Mail::DMARC skips DMARC when neither the
	From domain nor its organizational domain has an MX, NS, A or AAAA
	record; RFC 7489 has no such test (appendix A.4)
^idn u-label/|verdict|*|nofrom|a From domain in UTF-8 (RFC 6532) is looked
	up as its A-label; Mail::DMARC finds no domain in it
^from-several|verdict|nofrom|*|several From addresses: dmarc-check says
	nofrom (RFC 7489 6.6.1 would check each domain and apply the
	strictest); Mail::DMARC takes the last address
EOF

"$D/dmarc-compare" "$T/cases" "$T/peer" "$T/ours" "$T/explained" \
    >"$T/compare" || exit 1
while IFS='	' read -r st what detail; do
	ok "$what" test "$st" = ok
	[ -z "$detail" ] ||
	    printf '%s\n' "$detail" | tr ';' '\n' | head -n 8 | sed 's/^ */# /'
done <"$T/compare"

# --- One run over every case as a message, facts from our A-R fields ----
# A message's verdict must not depend on the run it is in (DNS answers are
# cached across the batch).
(cd "$T/ar" && dmarc-check --resolver "$R" --authserv-id "$SRV" \
    --ip 192.0.2.25 c[0-9]*) >"$T/batch" 2>"$T/batch.err"
rc=$?
nb=$(ls "$T/ar" | wc -l)
# Several files: the worst exit status of them all, as for grep.
worst=$(cd "$T/ar" && for f in c[0-9]*; do cat "../ours/$f.rc"; done |
    sort -n | tail -n 1)
is "$rc" "$worst" "one dmarc-check run over $nb of the messages: exit $rc"
for f in "$T"/ar/c[0-9]*; do
	printf '%s: %s\n' "${f##*/}" \
	    "$(grep '^dmarc_status=' "$T/ours/${f##*/}")"
done >"$T/single"
grep ': dmarc_status=' "$T/batch" >"$T/batchst"
same "$T/batchst" "$T/single" "  each message's verdict as in its own run"

done_testing
