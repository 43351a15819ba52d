#!/bin/sh
# The displays of smtp-probe(1) and of the README's smtp-probe section, run
# as printed: the probe, --compare and --send against Debian's Exim as
# t/exim-smtp.sh starts it, the zone file and the MX lookup through it.
# Only paths change in the printed text (/tmp/..., /var/tmp/...,
# /etc/mxkit/... go to $T).  A console display runs in one shell, each "$
# command" with its continuation lines; what it prints (standard output and
# standard error, as a terminal shows both) is compared with the lines
# shown under it (console in t/lib.sh).
. "${MX_SRCDIR:-.}/t/lib.sh"
. "$MX_SRCDIR/t/exim-smtp.sh"

need_exim
W=$T/w
mkdir -p "$W" "$T/etc" "$T/var"
ln -s "$MX_SRCDIR/t" "$W/t"
SUBST="s, /tmp/, $T/,g; s, /var/tmp/, $T/var/,g; s, /etc/mxkit/, $T/etc/,g"

# The man page's Exim session: three displays, one shell.
{
	block man/smtp-probe.1 offers
	block man/smtp-probe.1 compare
	block man/smtp-probe.1 send
} >"$T/display"
console -2 man-exim <"$T/display"
ok "man: the cache the compare display names was written" \
    test -s "$T/var/smtp-probe.cache"
# Exim delivers in a child of its own, which may outlive exim_smtp_stop.
EXIM_MAIL=$T/exim/mail exim_smtp_wait_mail 1
ok "man: exim delivered the message of --send" \
    test "$(ls "$T/exim/mail" | wc -l)" -ge 1

# The zone file as printed, and the MX lookup through it.
block man/smtp-probe.1 zone >"$T/etc/example.zone"
block man/smtp-probe.1 mx >"$T/display"
console -2 man-mx <"$T/display"

block README.md probe-exim >"$T/display"
console -2 readme <"$T/display"
EXIM_MAIL=$T/smtp-probe-exim/mail exim_smtp_wait_mail 1
ok "README: exim delivered the message" \
    test "$(ls "$T/smtp-probe-exim/mail" | wc -l)" -eq 1
done_testing
