#!/bin/sh
# DMARC failure reports (RFC 7489 7.3, RFC 6591): the whole report read
# back by Python's email package and checked field by field; when fo=
# asks for one (0, 1, d, s); ruf= size limits; destinations outside the
# policy domain only when they agree to it in the DNS, where they may
# name other addresses of theirs (RFC 7489 7.1);
# ruf= URIs that could add a recipient or a header refused.
. "$MX_SRCDIR/t/lib.sh"

DT=$MX_BUILDDIR/t/unit/dmarcreport-test
ZONE=$T/zone
cat >"$ZONE" <<'EOF'
$ORIGIN example.
$TTL 300
@	SOA	ns hostmaster 1 3600 600 86400 300
	NS	ns
ns	A	127.0.0.1
a.example._report._dmarc.reports	TXT	"v=DMARC1"
a.example._report._dmarc.spaced	TXT	"v = DMARC1 ; rua=mailto:x@y.example"
a.example._report._dmarc.other	TXT	"v=spf1 -all"
b.example._report._dmarc.wrongpolicy	TXT	"v=DMARC1"
a.example._report._dmarc.brokendns	CNAME	nowhere.invalid.
a.example._report._dmarc.over	TXT	"v=DMARC1; ruf=mailto:desk@over.example"
a.example._report._dmarc.away	TXT	"v=DMARC1; ruf=mailto:x@b.example"
a.example._report._dmarc.tiny	TXT	"v=DMARC1; ruf=mailto:f@tiny.example!99"
EOF
cat >"$T/msg" <<'EOF'
Received: from mx.b.example (mx.b.example [192.0.2.1])
	by mx.example.net; Tue, 14 Nov 2023 22:13:20 +0000
From: Alice <alice@a.example>
To: bob@example.net
Subject: quarterly figures
Message-ID: <1@a.example>
DKIM-Signature: v=1; a=rsa-sha256; d=b.example; s=s1; h=from;
	bh=AAAA; b=BBBB

the body, which a failure report leaves out
EOF

# report ARGS...: a report on $T/msg failing DMARC at a.example (p=reject,
# SPF fail, a DKIM fail from b.example unless $DKIM says otherwise), ARGS
# added; into $T/report.
report() {
	"$DT" forensic --dns-zone "$ZONE" --ip 192.0.2.1 --from a.example \
	    --mfrom b.example --spf fail --spf-domain b.example \
	    --dkim "${DKIM-b.example:s1:fail}" --status reject --p r \
	    --reporter mx.example.net --received 1700000000 --job q1 "$@" \
	    <"${MSG:-$T/msg}" >"$T/report" 2>"$T/err"
}
# check: the report read by Python's email package, one "name: value"
# line per fact checked, or the reason it cannot be read.
check() {
	"$PY" - "$T/report" "${MSG:-$T/msg}" <<'EOF'
import email, email.policy, email.utils, sys
raw = open(sys.argv[1], "rb").read()
orig = open(sys.argv[2], "rb").read()
m = email.message_from_bytes(raw, policy=email.policy.compat32)
out = []
def say(k, v):
    out.append("%s: %s" % (k, v))
for h in ("From", "To", "Subject", "Message-ID", "Auto-Submitted",
          "MIME-Version"):
    say(h, " ".join(str(m.get(h, "")).split()))
say("Date", email.utils.parsedate_to_datetime(m["Date"]).isoformat())
say("type", m.get_content_type())
say("report-type", m.get_param("report-type"))
parts = m.get_payload()
say("parts", " ".join(p.get_content_type() for p in parts))
say("defects", len(m.defects) + sum(len(p.defects) for p in parts))
say("text", " ".join(parts[0].get_payload().split()))
fb = parts[1].get_payload()
fb = fb[0] if isinstance(fb, list) else email.message_from_string(fb)
for k in ("Feedback-Type", "User-Agent", "Version", "Auth-Failure",
          "Identity-Alignment", "Source-IP", "Reported-Domain"):
    say(k, fb.get(k))
say("Arrival-Date",
    email.utils.parsedate_to_datetime(fb["Arrival-Date"]).isoformat())
say("Authentication-Results", " ".join(fb["Authentication-Results"].split()))
hdrs = parts[2].get_payload(decode=True)
want = orig.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0] + b"\n"
say("headers", "same" if hdrs.rstrip(b"\n") == want.rstrip(b"\n")
    else repr(hdrs))
say("body left out", b"the body" not in raw)
print("\n".join(out))
EOF
}
# field NAME: one line of check's output.
field() {
	sed -n "s/^$1: //p" "$T/check"
}

# --- the report, field by field ---------------------------------------------
report --ruf mailto:forensic@a.example
is "$?" 0 "a DMARC failure, fo=0, ruf= in the domain: a report (exit 0)"
check >"$T/check" 2>&1
is "$(field From)" "postmaster@mx.example.net" \
    "From: postmaster at the reporter when no sender is given"
is "$(field To)" "forensic@a.example" "To: the ruf= address"
is "$(field Subject)" "DMARC failure report for a.example" "Subject"
is "$(field Date)" "2023-11-14T22:13:20+00:00" "Date: the message's arrival"
is "$(field Message-ID)" "<dmarc.q1@mx.example.net>" \
    "Message-ID: the job at the reporter"
is "$(field Auto-Submitted)" "auto-generated" \
    "Auto-Submitted: auto-generated (RFC 3834: no replies, no loops)"
is "$(field MIME-Version)" "1.0" "MIME-Version"
is "$(field type):$(field report-type)" "multipart/report:feedback-report" \
    "multipart/report; report-type=feedback-report"
is "$(field parts)" "text/plain message/feedback-report text/rfc822-headers" \
    "three parts: text, feedback report, the message's header"
is "$(field defects)" 0 "no MIME defects"
is "$(field text)" "A message from 192.0.2.1 with a From domain of a.example \
failed a check that the domain's DMARC record asks reports of (fo=0). \
DMARC: fail; SPF aligned: no; DKIM aligned: no." "the text part"
is "$(field Feedback-Type)" "auth-failure" "Feedback-Type: auth-failure"
like "$(field User-Agent)" "^mxkit/[0-9]" "User-Agent: mxkit/VERSION"
is "$(field Version)" 1 "Version: 1"
is "$(field Auth-Failure)" dmarc "Auth-Failure: dmarc"
is "$(field Identity-Alignment)" none "Identity-Alignment: none"
is "$(field Source-IP)" 192.0.2.1 "Source-IP: the client"
is "$(field Reported-Domain)" a.example "Reported-Domain: the From domain"
is "$(field Arrival-Date)" "2023-11-14T22:13:20+00:00" "Arrival-Date"
is "$(field Authentication-Results)" "mx.example.net; dmarc=fail \
(p=reject dis=reject) header.from=a.example; spf=fail \
smtp.mailfrom=b.example; dkim=fail header.d=b.example header.s=s1" \
    "Authentication-Results: dmarc, spf, dkim as evaluated"
is "$(field headers)" same \
    "text/rfc822-headers: the message's header as it came"
is "$(field 'body left out')" True "the body is not in the report"

report --ruf mailto:forensic@a.example --sender dmarc-reports@example.net \
    --helo --spf-domain helo.b.example --spf softfail --align-dkim \
    --dkim a.example:k:pass --status accept --fo 1
check >"$T/check" 2>&1
is "$(field From)" "dmarc-reports@example.net" "--sender: From"
is "$(field Identity-Alignment)" dkim "Identity-Alignment: dkim"
like "$(field text)" "\(fo=1\)\. DMARC: pass; SPF aligned: no; \
DKIM aligned: yes\.$" "the text part: fo=1, DMARC passing"
is "$(field Authentication-Results)" "mx.example.net; dmarc=pass \
(p=reject dis=none) header.from=a.example; spf=softfail \
smtp.helo=helo.b.example; dkim=fail header.d=b.example header.s=s1; \
dkim=pass header.d=a.example header.s=k" \
    "Authentication-Results: the HELO identity, every signature"

# A message with CRLF line ends and a byte beyond ASCII in its header.
{
	printf 'From: =?utf-8?q?Z=C3=BC?= <z@a.example>\r\n'
	printf 'Subject: gr\303\274n\r\n\r\nbody\r\n'
} >"$T/crlf"
MSG=$T/crlf report --ruf mailto:f@a.example
MSG=$T/crlf check >"$T/check" 2>&1
is "$(field headers)" same "a CRLF message: its header with LF, as the report"
is "$(field defects)" 0 "a CRLF message: no MIME defects"
like "$(sed -n '/^Content-Type: text\/rfc822-headers/,/^$/p' "$T/report")" \
    "Content-Transfer-Encoding: 8bit" "a byte beyond ASCII: the part says 8bit"

# --- fo= ----------------------------------------------------------------------
# fo CASE WANT ARGS...: whether a report is built (0) or not (1), with
# ruf=mailto:f@a.example.
fo() {
	_d=$1 _w=$2
	shift 2
	report --ruf mailto:f@a.example "$@"
	is "$?" "$_w" "fo: $_d"
}
fo "0, nothing aligned: report" 0 --fo 0
fo "unset is 0" 0 --fo ''
fo "0, SPF aligned: none" 1 --fo 0 --align-spf --status accept
fo "1, SPF aligned, DKIM not: report" 0 --fo 1 --align-spf --status accept
fo "1, both aligned: none" 1 --fo 1 --align-spf --align-dkim \
    --status accept --dkim a.example:s:pass --spf pass
fo "d, a DKIM failure, DMARC passing on SPF: report" 0 --fo d --align-spf \
    --status accept
DKIM=a.example:s:pass fo "d, no DKIM failure: none" 1 --fo d \
    --align-dkim --status accept
DKIM=b.example:s:temperror fo "d, a DKIM temperror is no failure: none" 1 \
    --fo d --align-spf --status accept
fo "s, SPF fail, DMARC passing on DKIM: report" 0 --fo s --align-dkim \
    --dkim a.example:s:pass --status accept
fo "s, SPF pass: none" 1 --fo s --spf pass --align-dkim --status accept
fo "s, SPF temperror is no failure: none" 1 --fo s --spf temperror \
    --align-dkim --status accept
fo "0:d:s, only d matching: report" 0 --fo 0:d:s --spf pass --align-spf \
    --status accept
report --fo 1
is "$?:$(wc -c <"$T/report")" "1:0" "fo: no ruf=: none, nothing written"
fo "norecord: none" 1 --status norecord
fo "temperror: none" 1 --status temperror
fo "no DMARC record: none" 1 --no-record

# --- size limits ------------------------------------------------------------
report --ruf mailto:f@a.example
size=$(wc -c <"$T/report")
report --ruf "mailto:f@a.example!$size"
is "$?:$(grep -c '^To: f@a.example$' "$T/report")" "0:1" \
    "a limit of exactly the report's size ($size bytes): sent"
report --ruf "mailto:f@a.example!$((size - 1))"
is "$?:$(wc -c <"$T/report")" "1:0" "a limit one byte short: no report"
report --ruf "mailto:small@a.example!100" --ruf "mailto:big@a.example!10000" \
    --ruf mailto:any@a.example
rc=$?
check >"$T/check" 2>&1
is "$rc:$(field To)" "0:big@a.example, any@a.example" \
    "three ruf=: the one whose limit is too small left out"
n=$(wc -c <"$T/report")
ok "the report ($n bytes) within every limit it is sent under" \
    test "$n" -le 10000

# --- external destinations (RFC 7489 7.1) -----------------------------------
# to: the report's To: value.
to() {
	sed -n '1,/^$/s/^To: //p' "$T/report"
}
# ext URI WANT DESCRIPTION: whether URI gets the report.
ext() {
	report --ruf "$1"
	is "$?:$(to)" "$2" "$3"
}
ext mailto:f@sub.a.example "0:f@sub.a.example" \
    "within the organizational domain: no look-up needed"
ext mailto:f@reports.example "0:f@reports.example" \
    "outside, a.example._report._dmarc.reports.example says v=DMARC1: sent"
ext mailto:f@spaced.example "0:f@spaced.example" \
    "outside, v = DMARC1 with blanks round the '=': sent"
ext mailto:f@other.example "1:" \
    "outside, a record that is not v=DMARC1: not sent"
ext mailto:f@wrongpolicy.example "1:" \
    "outside, authorised for another domain only: not sent"
ext mailto:f@nowhere.example "1:" "outside, no record: not sent"
ext mailto:f@brokendns.example "1:" \
    "outside, a CNAME leading out of the zone: not sent"
ext mailto:f@over.example "0:desk@over.example" \
    "outside, the authorising record's ruf= on the same host: in its place"
ext mailto:f@away.example "0:f@away.example" \
    "outside, the authorising record's ruf= on another host: not taken"
ext mailto:f@tiny.example "1:" \
    "outside, the authorising record's ruf= with its own !size: honoured"
report --ruf mailto:f@nowhere.example --ruf mailto:g@a.example
is "$?:$(to)" "0:g@a.example" \
    "an unauthorised destination costs the others nothing"

# --- ruf= URIs that are no plain address ------------------------------------
ext "MAILTO:Upper@A.Example" "0:Upper@a.example" \
    "a scheme in capitals: taken, the domain lower-cased"
ext "mailto:f%40a.example" "0:f@a.example" "%40: decoded"
ext "mailto:f@a.example?subject=hi" "0:f@a.example" "a query: left out"
ext "mailto:f@a.example,evil@b.example" "1:" "two addresses: refused"
ext "mailto:f@a.example%0d%0aBcc:evil@b.example" "1:" \
    "an encoded line end and a Bcc: refused"
ext "mailto:%22f%20x%22@a.example" "1:" "a quoted local part: refused"
ext "https://a.example/report" "1:" "not mailto: skipped"
ext "mailto:@a.example" "1:" "no local part: refused"
ext "mailto:f@" "1:" "no domain: refused"
ext "mailto:f@a..example" "1:" "an empty label: refused"

# --- a report written by dmarc-check itself ---------------------------------
# SPF computed and a DKIM signature verified from one zone; the report
# goes to standard output (--forensic -) or to a file.
DC=$MX_BUILDDIR/tools/dmarc-check
DK=$MX_BUILDDIR/t/unit/dkim-tool
if [ ! -x "$DC" ]; then
	skip 9 "tools/dmarc-check not built yet (it comes with wip-tool)"
elif ! rsa_key "$T/k.pem" 1024; then
	skip 9 "openssl cannot make keys"
else
	T0=1700000000
	Z=$T/dc.zone
	"$MX_SRCDIR/t/data/arc-zone" sel._domainkey.b.example="$T/k.pem" \
	    sel._domainkey.a.example="$T/k.pem" >"$Z"
	cat >>"$Z" <<'EOF'
$ORIGIN a.example.
_dmarc TXT "v=DMARC1;p=reject;fo=1;ruf=mailto:f@a.example,mailto:f@r.example!9k"
@ TXT "v=spf1 ip4:192.0.2.0/24 -all"
a.example._report._dmarc.r.example. TXT "v=DMARC1"
EOF
	printf 'From: a@a.example\nSubject: signed elsewhere\n\nbody\n' |
	    "$DK" sign -d b.example -s sel -k "$T/k.pem" --time "$T0" \
	    >"$T/dc.eml"
	dc() {	# dc IP ARGS...: dmarc-check on $T/dc.eml from IP
		_ip=$1
		shift
		"$DC" --dns-zone "$Z" --time "$T0" --reporter mx.example.net \
		    --ip "$_ip" --mail-from x@a.example --helo mx.b.example \
		    --accept '*' "$@" "$T/dc.eml"
	}
	dc 198.51.100.1 --forensic - >"$T/report" 2>"$T/err"
	is "$?:$(cat "$T/err")" "0:" "dmarc-check --forensic -: exit 0"
	MSG=$T/dc.eml check >"$T/check" 2>&1
	is "$(field To)" "f@a.example, f@r.example" \
	    "dmarc-check: to both ruf=, the outside one authorised"
	is "$(field parts):$(field defects)" \
	    "text/plain message/feedback-report text/rfc822-headers:0" \
	    "dmarc-check: the report's three parts, no MIME defects"
	is "$(field Authentication-Results)" "mx.example.net; dmarc=fail \
(p=reject dis=reject) header.from=a.example; spf=fail \
smtp.mailfrom=a.example; dkim=pass header.d=b.example header.s=sel" \
	    "dmarc-check: SPF and DKIM as it computed them"
	is "$(field headers)" same \
	    "dmarc-check: the message's header, its signature included"
	dc 192.0.2.1 --forensic "$T/r.eml" --forensic-sender d@example.net \
	    >/dev/null 2>&1
	is "$?:$(sed -n '1,/^$/s/^From: //p' "$T/r.eml")" "0:d@example.net" \
	    "dmarc-check --forensic FILE --forensic-sender: From"
	cp "$T/r.eml" "$T/report"
	MSG=$T/dc.eml check >"$T/check" 2>&1
	is "$(field Identity-Alignment)" spf \
	    "fo=1 and SPF aligned, DKIM not: a report, alignment spf"
	# RFC 7489 6.3: fo=1 reports a mechanism giving anything but an
	# aligned pass, "none" (no signature) too.
	printf 'From: a@a.example\nSubject: 2\n\nbody\n' >"$T/dc.eml"
	dc 192.0.2.1 --forensic "$T/r.eml" >/dev/null 2>&1
	cp "$T/r.eml" "$T/report"
	MSG=$T/dc.eml check >"$T/check" 2>&1
	is "$(field Authentication-Results)" "mx.example.net; dmarc=pass \
(p=reject dis=none) header.from=a.example; spf=pass smtp.mailfrom=a.example" \
	    "fo=1, SPF aligned and no signature: a report, no dkim= in its A-R"
	printf 'From: a@a.example\nSubject: 3\n\nbody\n' |
	    "$DK" sign -d a.example -s sel -k "$T/k.pem" --time "$T0" \
	    >"$T/dc.eml"
	dc 192.0.2.1 --forensic "$T/r.eml" >/dev/null 2>&1
	is "$?:$(ls "$T/r.eml" 2>/dev/null)" "0:" \
	    "fo=1, SPF and DKIM aligned: no report, the stale file removed"
fi

done_testing
