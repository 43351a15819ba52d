#!/bin/sh
# The displays of queuefile-copy(1) and of the README's queuefile-copy
# section, run as printed.  The console displays run on a spool holding
# the fixtures' three messages (their ids are the ones printed); the
# scanner flow runs for real with Debian's Exim: the router and the
# transport of the page in an Exim configuration (t/exim-spool.sh), the
# directories made by the page's command, a message queued, copied out by
# the pipe transport (Exim counts it delivered), passed by a stand-in
# scanner, requeued by the cron line into the named queue, delivered by
# the queue run of that line.  Only paths change in the printed text
# (/var/spool/exim4 and /var/spool/scanner, /var/tmp/, /usr/local/bin/,
# /etc/exim4/exim4.conf go to the test's own); the cron line's
# /usr/sbin/exim4 becomes the path of a wrapper that gives the test's Exim
# its configuration (-C), since a substitution may change paths only.
. "${MX_SRCDIR:-.}/t/lib.sh"

FIX=$MX_SHARED/fixtures/exim-spool
[ -f "$FIX/1xVXFM-0002aE-0p-H" ] || skip_all "no spool fixtures in $FIX"
W=$T/w
mkdir -p "$W" "$T/spool/input" "$T/spool-out/input" "$T/var/held"
for f in "$FIX"/1x*-[DH]; do
	cp "$f" "$T/spool/input/" && chmod 640 "$T/spool/input/${f##*/}"
done

# --- the console displays, on the fixtures ----------------------------------
SUBST="s,/var/spool/exim4,$T/spool,g; s,/var/tmp/,$T/var/,g"
{
	block man/queuefile-copy.1 copy-one
	block man/queuefile-copy.1 diag
} >"$T/display"
console -2 man-copy <"$T/display"
same "$T/var/held/1xVXFM-0002aE-0p-H" "$T/spool/input/1xVXFM-0002aE-0p-H" \
    "man: the copy is the spool's -H"

block README.md qc-copy >"$T/display"
console readme <"$T/display"
ok "README: --remove took the requeued message out of the directory" \
    test ! -e "$T/var/scan/1xVXFM-0002aE-0p-H"

# --- the scanner flow with Exim ----------------------------------------------
if [ ! -x /usr/sbin/exim4 ] || [ "$(id -u)" -ne 0 ] ||
    ! id Debian-exim >/dev/null 2>&1; then
	skip 18 "no exim4, not root, or no Debian-exim"
	done_testing
	exit 0
fi
. "$MX_SRCDIR/t/exim-spool.sh"
exim_spool_new "$T/ex" \
    --router "$(block man/queuefile-copy.1 exim-router)" \
    --transport "$(block man/queuefile-copy.1 exim-transport |
    sed "s,/usr/local/bin/,$MX_BUILDDIR/tools/,; s,/var/spool/scanner,$T/scanner,")"
is "$?" 0 "the page's router and transport: Exim takes them"
SUBST="s,/usr/local/bin/,$MX_BUILDDIR/tools/,g; s,/var/spool/scanner,$T/scanner,g; s,/var/spool/exim4,$EXSPOOL_SPOOL,g; s,/usr/sbin/exim4,$T/bin/exim4,g; s,/etc/exim4/exim4.conf,$EXSPOOL_CONF,g; s,/var/tmp/,$T/var/,g"
mkdir -p "$T/scanner" "$T/bin"
printf '#!/bin/sh\nexec %s -C %s "$@"\n' "$EXIM" "$EXSPOOL_CONF" \
    >"$T/bin/exim4"
chmod 755 "$T/bin/exim4"
block man/queuefile-copy.1 dirs | sed "$SUBST" >"$T/dirs.sh"
ok "the page's directories made" sh "$T/dirs.sh"

id=$(printf 'Subject: scan me\n\nbody\n' |
    exim_spool_submit -f alice@test.example bob@example.org carol@example.net)
sub=$(printf %s "$id" | cut -c 6)
cp "$EXSPOOL_INPUT/$sub/$id-H" "$EXSPOOL_INPUT/$sub/$id-D" "$T/"
exim_spool_run -qff
ok "copied out by the pipe transport" \
    test -f "$T/scanner/incoming/$id-H"
same "$T/scanner/incoming/$id-H" "$T/$id-H" "the copy's -H is the spool's"
same "$T/scanner/incoming/$id-D" "$T/$id-D" "the copy's -D is the spool's"
is "$(stat -c '%U %a' "$T/scanner/incoming/$id-H")" "Debian-exim 640" \
    "the copy is the Exim user's, mode 0640"
is "$(exim_spool_ids)" "" "Exim counted it delivered: the queue is empty"
is "$(grep -c "$id => .* T=scanner_copy" "$EXSPOOL_LOG")" 1 \
    "one delivery through the pipe transport for both recipients"
ok "nothing delivered yet" test ! -e "$EXSPOOL_MAIL/$id"

# The scanner passes it: -D then -H into clean.
mv "$T/scanner/incoming/$id-D" "$T/scanner/clean/"
mv "$T/scanner/incoming/$id-H" "$T/scanner/clean/"

block man/queuefile-copy.1 cron | cut -d ' ' -f 7- | sed "$SUBST" \
    >"$T/cron.sh"
run sh "$T/cron.sh"
is "$rc" 0 "the cron line: exit 0"
ok "requeued: removed from clean" test -z "$(ls -A "$T/scanner/clean")"
ok "delivered from the named queue" test -f "$EXSPOOL_MAIL/$id"
like "$(grep "$id => bob" "$EXSPOOL_LOG")" "Q=scanned R=all T=store" \
    "the named queue's delivery skipped the scanner"
like "$(sed -n '/^Envelope-to:/,/^[^ \t]/p' "$EXSPOOL_MAIL/$id" | tr -d '\n')" \
    "bob@example.org,[[:space:]]*carol@example.net" "both recipients delivered"
is "$(tail -n 1 "$EXSPOOL_MAIL/$id")" "body" "the body delivered"
is "$(grep -c "$id => .* T=scanner_copy" "$EXSPOOL_LOG")" 1 \
    "no second trip to the scanner"

# --- copying out the frozen messages -------------------------------------------
fz=$(printf 'Subject: frozen\n\nx\n' | exim_spool_submit bob@example.org)
printf 'Subject: thawed\n\ny\n' | exim_spool_submit bob@example.org >/dev/null
exim_spool_run -Mf "$fz" >/dev/null
block man/queuefile-copy.1 frozen | sed "$SUBST" >"$T/frozen.sh"
mkdir -p "$T/var/frozen"
run sh "$T/frozen.sh"
is "$rc:$out" "0:$fz: result=copied" "frozen: only the frozen message copied"
ok "frozen: its -H in the target" test -f "$T/var/frozen/$fz-H"
done_testing
