#!/bin/sh
# The displays of tlsa-check(1) and of the README's tlsa-check section, run
# as printed: the records generate makes against the openssl pipeline, the
# checks against the offline test bed, the crontab line with
# scripts/tlsa-check-cron; and the cron script itself against the bed:
# first run, no change, a key rollover that forgot its record, a mail that
# cannot be sent, a DNS failure, the lock, its usage errors.  Only paths
# change in the printed text (/etc/..., /var/lib/..., /tmp/... go to $T);
# the cron job finds, first on its PATH, a tlsa-check that asks the bed
# (its resolver, anchor and port) and a sendmail that keeps the mail.
. "${MX_SRCDIR:-.}/t/lib.sh"

need openssl
PATH=$PATH:/usr/sbin
for c in knotd kdig ldns-signzone ldns-keygen ldns-key2ds exim4 flock; do
	need "$c"
done

W=$T/w
mkdir -p "$W" "$T/etc/ssl"
ln -s "$MX_SRCDIR/scripts" "$W/scripts"
cp "$MX_SRCDIR/scripts/demo-data/mx.example.org.pem" "$T/etc/ssl/"
SUBST="s, /tmp/bed, $T/bed,g; s, /tmp/tlsa-bed, $T/tlsa-bed,g
s, /etc/ssl/, $T/etc/ssl/,g; s, /var/lib/mxkit/, $T/var/,g
s, /etc/mxkit/, $T/etc/,g"

# console (t/lib.sh) runs each display; a bed the display leaves up is
# stopped.
CONSOLE_EXIT='command -v testbed_stop >/dev/null && testbed_stop'

# --- The displays ----------------------------------------------------------
block man/tlsa-check.1 generate >"$T/display"
console man-generate <"$T/display"
block man/tlsa-check.1 openssl-311 >"$T/display"
console man-openssl-311 <"$T/display"
block README.md tlsa-generate >"$T/display"
console readme-generate <"$T/display"
block man/tlsa-check.1 bed >"$T/display"
console man-bed <"$T/display"
block README.md tlsa-bed >"$T/display"
console readme-bed <"$T/display"

# --- The crontab line, against the bed ---------------------------------------
. "$MX_SRCDIR/scripts/dane-testbed.sh"
testbed_make "$T/bed" && testbed_start "$T/bed" ||
    { echo "the test bed did not come up" >&2; exit 1; }
mkdir -p "$T/bin" "$T/var" "$T/mail"
# What the cron job finds first on its PATH: tlsa-check asking the bed, a
# sendmail that keeps each mail (and fails when told to).
printf '%s\n' '#!/bin/sh' "echo \"\$*\" >>$T/calls" \
    "exec $MX_BUILDDIR/tools/tlsa-check \$(cat $T/bedopts) \"\$@\"" \
    >"$T/bin/tlsa-check"
printf '%s\n' "--resolver $TB_DNS --anchor $TB_ANCHOR --port $TB_PORT" \
    >"$T/bedopts"
printf '%s\n' '#!/bin/sh' "[ -f $T/mail/fail ] && exit 75" \
    "n=\$(ls $T/mail | wc -l)" \
    "{ echo \"ARGS: \$*\"; cat; } >$T/mail/\$((n + 1))" >"$T/bin/sendmail"
chmod +x "$T/bin/tlsa-check" "$T/bin/sendmail"
cp "$MX_SRCDIR/scripts/tlsa-check-cron" "$T/bin/"
printf '%s\n' '# the domains we watch' ee.test '' multi.test \
    >"$T/etc/tlsa-domains"

block man/tlsa-check.1 crontab >"$T/crontab"
cron_job() {	# the command of the crontab line, as cron runs it
	(cd "$T" && env -i HOME="$T" SHELL=/bin/sh LOGNAME=root \
	    PATH="$T/bin:/usr/bin:/bin" \
	    sh -c "$(sed "$SUBST" "$T/crontab" | cut -d ' ' -f 6-)")
}
cron() {	# the script as a user runs it, with the bed's tlsa-check
	env PATH="$T/bin:$PATH" tlsa-check-cron "$@"
}
mails() {
	ls "$T/mail" | grep -c '^[0-9]'
}
run cron_job
is "$rc:$err" "0:" "crontab: the first run exits 0, silently"
is "$(mails)" 1 "crontab: the first run mails what it found"
like "$(cat "$T/mail/1")" "^ARGS: -oi -- postmaster" \
    "crontab: the mail goes to -m's address"
is "$(sed -n '/^ee.test: new/p; /^multi.test: new/p' "$T/mail/1")" \
    "ee.test: new, now verified
multi.test: new, now mismatch" "crontab: a line per domain: was, now"
like "$(cat "$T/mail/1")" "note: no usable TLSA record matches" \
    "crontab: the mail has the report"
is "$(wc -l <"$T/calls")" 1 \
    "crontab: the mail is the run's own report: tlsa-check ran once"
ok "crontab: the last report of each domain kept as JSON" \
    $PY -c 'import json, sys
for f in sys.argv[1:]:
    json.load(open(f))' "$T/var/tlsa/ee.test.json" "$T/var/tlsa/multi.test.json"
run cron_job
is "$rc:$(mails)" "0:1" "crontab: nothing changed, no mail"

# The time a session took and the days a warning counts down change at
# every run: no mail for them.
run cron -d "$T/var/w" "$T/etc/tlsa-domains" \
    --warn-days 36500 --time 1800000000
is "$rc:$(mails)" "0:2" "cron --warn-days: the first run mails"
run cron -d "$T/var/w" "$T/etc/tlsa-domains" \
    --warn-days 36500 --time 1800086400
is "$rc:$(mails)" "0:2" "cron --warn-days: a day later, the same: no mail"
# The zone re-signed, as its signer does every few days: the RRSIG's
# date in the --warn-days warning changes, nothing else.
(cd "$TB_DIR/dns" && read -r _k _z ksk zsk <keys &&
    awk '$4 == "SOA" && !done { $7 = $7 + 1; done = 1 } { print }' \
    ee.test.zone >ee.test.zone.new && mv ee.test.zone.new ee.test.zone &&
    ldns-signzone -n -i 20250101000000 -e 20351231000000 \
    -f ee.test.signed ee.test.zone "$ksk" "$zsk") &&
    knotc -s "$TB_DIR/knot/knot.sock" zone-reload ee.test. >/dev/null &&
    sleep 0.5
like "$(tlsa-check --resolver "$TB_DNS" --anchor "$TB_ANCHOR" \
    --port "$TB_PORT" --warn-days 36500 --time 1800086400 ee.test)" \
    "RRSIG of the mx lookup of 'ee.test' expires 2035-12-31" \
    "cron: the zone re-signed, the RRSIG date moved"
run cron -d "$T/var/w" "$T/etc/tlsa-domains" \
    --warn-days 36500 --time 1800086400
is "$rc:$(mails)" "0:2" "cron --warn-days: the zone re-signed: no mail"

# A rollover that forgot its record: ee.test's server shows another key.
cp "$TB_DIR/pki/host.pem" "$TB_DIR/exim/127.0.0.2.pem"
cp "$TB_DIR/pki/host.key" "$TB_DIR/exim/127.0.0.2.key"
: >"$T/mail/fail"
run cron_job
is "$rc" 75 "crontab: a mail that cannot be sent is 75"
one_line_error tlsa-check-cron "crontab: mail failure: one line"
rm "$T/mail/fail"
like "$(cat "$T/var/tlsa/ee.test.json")" '"verdict":"verified"' \
    "crontab: the report kept is not replaced while the mail is not sent"
run cron_job
is "$rc:$(mails)" "0:3" "crontab: the change, mailed by the next run"
is "$(sed -n '/, now /p' "$T/mail/3")" "ee.test: verified, now mismatch" \
    "crontab: the domain that changed, only it"
like "$(sed -n '/would_match:/{n;p;}' "$T/mail/3")" "^ *- 3 1 1 [0-9A-F]{64}$" \
    "crontab: the record that would match, ready to publish"
run cron_job
is "$rc:$(mails)" "0:3" "crontab: mailed once"

# A DNS failure mails nobody and keeps the last reports.
printf '%s\n' "--resolver 127.0.0.1@$(dead_udp_port) --timeout 1" \
    "--anchor $TB_ANCHOR --port $TB_PORT" >"$T/bedopts"
run cron_job
is "$rc:$(mails)" "0:3" "crontab: a DNS failure is no change: no mail"
like "$(cat "$T/var/tlsa/ee.test.json")" '"verdict":"mismatch"' \
    "crontab: the last report kept through a DNS failure"
like "$err" "no domain could be checked" \
    "crontab: a resolver down for the whole run: one line for cron to mail"

# A DNS hiccup on one host of a domain: its last report stands, no mail,
# and none when the host is back (ok, drop, ok).
printf '%s\n' '$ORIGIN two.test.' '$TTL 300' '@ MX 10 mx1' \
    '@ MX 20 mx2' 'mx1 A 127.0.0.50' 'mx2 A 127.0.0.51' >"$T/two.zone"
: >"$T/two.fail"
daemon /usr/bin/python3 "$MX_SRCDIR/t/data/dane-flaky-dns.py" "$T/two.port" \
    "$T/two.zone" "$T/two.fail"
n=0
while [ ! -s "$T/two.port" ] && [ $n -lt 50 ]; do
	sleep 0.1
	n=$((n + 1))
done
printf '%s\n' "--resolver 127.0.0.1@$(cat "$T/two.port") --trust-ad" \
    "--timeout 2 --port $TB_PORT" >"$T/bedopts"
echo two.test >"$T/etc/two-domains"
run cron -d "$T/var/two" "$T/etc/two-domains"
is "$rc:$(mails)" "0:4" "cron: two.test, first seen: mailed"
cp "$T/var/two/two.test.json" "$T/two.kept"
echo mx2.two.test >"$T/two.fail"
run cron -d "$T/var/two" "$T/etc/two-domains"
is "$rc:$(mails)" "0:4" "cron: a DNS failure on one host: no mail"
same "$T/var/two/two.test.json" "$T/two.kept" \
    "cron: the last report kept through it"
: >"$T/two.fail"
run cron -d "$T/var/two" "$T/etc/two-domains"
is "$rc:$(mails)" "0:4" "cron: the host back: no mail"

# --- The cron script's errors ------------------------------------------------
run cron
is "$rc" 64 "cron: no arguments: 64"
run cron "$T/etc/tlsa-domains"
is "$rc" 64 "cron: no -d: 64"
run cron -d "$T/var/tlsa" "$T/nosuch"
is "$rc" 66 "cron: a missing domains file: 66"
one_line_error tlsa-check-cron "cron: missing domains file: one line"
run cron -d "$T/etc/tlsa-domains/x" "$T/etc/tlsa-domains"
is "$rc" 73 "cron: a state directory that cannot be made: 73"
run cron -d "$T/var/tlsa" -m '-oX' "$T/etc/tlsa-domains"
is "$rc" 64 "cron: an address that sendmail would take as an option: 64"
run cron -d "$T/var/tlsa" "$T/etc/tlsa-domains" --jobs 0
is "$rc" 64 "cron: tlsa-check's usage error is the script's status"
flock "$T/var/tlsa/.lock" sleep 3 &
lockpid=$!
sleep 0.3
run cron -d "$T/var/tlsa" "$T/etc/tlsa-domains"
is "$rc" 75 "cron: another run holding the lock: 75"
like "$err" "another run holds" "cron: the lock: says so"
kill "$lockpid" 2>/dev/null
wait "$lockpid" 2>/dev/null
mkdir -p "$T/lockdir" && cp "$T/etc/tlsa-domains" "$T/lockdir.domains"
mkdir "$T/lockdir/.lock"
run cron -d "$T/lockdir" "$T/lockdir.domains"
is "$rc" 73 "cron: a lock file that cannot be made: 73, not the shell's 2"
one_line_error tlsa-check-cron "cron: the lock file: one line"

done_testing
