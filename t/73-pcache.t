#!/bin/sh
# The early-pipelining cache, common/pcache.c, through t/unit/pcache-tool:
# a round trip; entries too old not used, and gone at the next save; a
# foreign file refused and left byte for byte; a damaged entry dropped
# with a warning, the rest kept; puts from many processes at once all
# kept (the lock); a save killed at any point leaves the old file or the
# new one, never half of one; a lock held too long is 75 within the
# timeout; a directory we cannot write is 73.
. "${MX_SRCDIR:-.}/t/lib.sh"

PT=$MX_BUILDDIR/t/unit/pcache-tool
C=$T/cache

# --- round trip -----------------------------------------------------------
ehlo_reply "$T/r1" 'mx.example Hello client [127.0.0.1]' 'SIZE 52428800' \
    PIPELINING PIPECONNECT 'AUTH PLAIN LOGIN'
ehlo_reply "$T/r2" 'mx.example Hello client [::1]' PIPELINING STARTTLS
ehlo_reply "$T/r3" 'mx.example Hello again' PIPELINING PIPECONNECT

run "$PT" "$C" get 127.0.0.1:25 0
is "$rc/$out/$err" "1//" "a missing file: an empty cache, nothing found"
ok "and get created no file" [ ! -e "$C" ]

run "$PT" "$C" put 127.0.0.1:25 0 <"$T/r1"
is "$rc/$err" 0/ "put into a new file"
run "$PT" "$C" put '[::1]:2525' 1 <"$T/r2"
is "$rc/$err" 0/ "a second entry: another peer, after TLS"
run "$PT" "$C" get 127.0.0.1:25 0
tr -d '\r' <"$T/r1" >"$T/r1.lf"
is "$out" "$(cat "$T/r1.lf")" "get gives the reply back line for line"
run "$PT" "$C" get '[::1]:2525' 1
is "$out" "$(tr -d '\r' <"$T/r2")" "and the other"
run "$PT" "$C" get 127.0.0.1:25 1
is "$rc/$out" 1/ "the same peer in another TLS state: not found"
run "$PT" "$C" get 127.0.0.1:26 0
is "$rc/$out" 1/ "another port: not found"
is "$(head -n 1 "$C")" "mxkit-pcache 1" "the file names its format first"
is "$(grep -c '^entry ' "$C")" 2 "two entries in the file"
run "$PT" "$C" text
same "$T/out" "$C" "pcache_text is the file as written"

run "$PT" "$C" put 127.0.0.1:25 0 <"$T/r3"
run "$PT" "$C" get 127.0.0.1:25 0
is "$out" "$(tr -d '\r' <"$T/r3")" "a put replaces the entry of its key"
is "$(grep -c '^entry ' "$C")" 2 "still two entries"
run "$PT" "$C" drop 127.0.0.1:25 0
run "$PT" "$C" get 127.0.0.1:25 0
is "$rc" 1 "drop takes the entry away"
run "$PT" "$C" get '[::1]:2525' 1
is "$rc" 0 "and leaves the other"
ok "no temp file left" [ -z "$(ls "$C".tmp* 2>/dev/null)" ]
run "$PT" "$C" drop 192.0.2.1:25 0
is "$rc/$err" 0/ "dropping what is not there is no error"

# A reply line of 4096 bytes with bytes beyond ASCII and controls.
long=$(head -c 3000 /dev/zero | tr '\0' 'x')
printf '250-big\r\n250-%s\xc3\xa9\x01 \r\n250 END\r\n' "$long" >"$T/r4"
run "$PT" "$C" put 127.0.0.1:587 0 <"$T/r4"
run "$PT" "$C" get 127.0.0.1:587 0
printf '%s\n' "$out" >"$T/got4"
tr -d '\r' <"$T/r4" >"$T/r4.lf"
same "$T/got4" "$T/r4.lf" "odd bytes and long lines kept exactly"

# --- the age of an entry --------------------------------------------------
use_faketime
A=$T/aged
ehlo_reply "$T/ra" 'old.example' PIPECONNECT
ehlo_reply "$T/rb" 'new.example' PIPECONNECT
at 20000 "$PT" "$A" put 192.0.2.1:25 0 <"$T/ra"
run at 20006 "$PT" "$A" get 192.0.2.1:25 0
is "$rc" 0 "an entry 6 days old is used"
run at 20008 "$PT" "$A" get 192.0.2.1:25 0
is "$rc/$out" 1/ "an entry 8 days old is not (PCACHE_MAXAGE, 7 days)"
run at 19999 "$PT" "$A" get 192.0.2.1:25 0
is "$rc/$out" 1/ "an entry stored after now (a clock set back) is not"
at 20008 "$PT" "$A" put 192.0.2.2:25 0 <"$T/rb"
is "$(grep '^entry ' "$A" | cut -d ' ' -f 2)" 192.0.2.2:25 \
    "a save leaves out the expired entries"

# A clock stepped back 3 days: the entry stored "in the future" is
# dropped as damaged, and a fresh put takes its key; one a few hours
# ahead (skew) is only not used, and a put still replaces it.
ehlo_reply "$T/rc" 'later.example' PIPECONNECT
FU=$T/future
at 20010 "$PT" "$FU" put 192.0.2.3:25 0 <"$T/ra"
run at 20007 "$PT" "$FU" get 192.0.2.3:25 0
is "$rc/$out" 1/ "an entry stored 3 days after now is not used"
like "$err" "entry at line 2 dropped: stored in the future" \
    "it is dropped as damaged, with a warning"
at 20007 "$PT" "$FU" put 192.0.2.3:25 0 <"$T/rc" 2>/dev/null
run at 20007 "$PT" "$FU" get 192.0.2.3:25 0
is "$rc/$out" "0/$(tr -d '\r' <"$T/rc")" \
    "a fresh put replaces it: early pipelining not lost for ever"
env TZ=UTC LD_PRELOAD="$FT" FAKETIME="$(noon 20007 | sed 's/12:/18:/')" \
    "$PT" "$FU" put 192.0.2.4:25 0 <"$T/ra"
at 20007 "$PT" "$FU" put 192.0.2.4:25 0 <"$T/rc"
run at 20007 "$PT" "$FU" get 192.0.2.4:25 0
is "$rc/$out/$err" "0/$(tr -d '\r' <"$T/rc")/" \
    "6 hours ahead: kept without a word, and a put still replaces it"

# --- a file that is not ours ----------------------------------------------
F=$T/foreign
printf 'some file\nentry 127.0.0.1:25 0 1 250 1\n \001\377\n' >"$F"
cp "$F" "$T/foreign.orig"
run "$PT" "$F" get 127.0.0.1:25 0
is "$rc" 65 "a foreign file: 65"
one_line_error pcache-tool "one line"
like "$err" "not a cache of smtp-probe: first line 'some file'" \
    "saying what it is"
run "$PT" "$F" put 127.0.0.1:25 0 <"$T/r1"
is "$rc" 65 "put refuses it"
same "$F" "$T/foreign.orig" "and leaves it byte for byte"
ok "no temp file left beside it" [ -z "$(ls "$F".tmp* 2>/dev/null)" ]
printf 'mxkit-pcache 2\nentry x\n' >"$T/v2"
cp "$T/v2" "$T/v2.orig"
run "$PT" "$T/v2" put 127.0.0.1:25 0 <"$T/r1"
is "$rc" 65 "a later format version: refused too"
like "$err" "format version '2' is not known" "saying so"
same "$T/v2" "$T/v2.orig" "and left as it is"
: >"$T/empty"
run "$PT" "$T/empty" put 127.0.0.1:25 0 <"$T/r1"
is "$rc/$(head -n 1 "$T/empty")" "0/mxkit-pcache 1" \
    "an empty file has nothing to lose: taken as an empty cache"
mkfifo "$T/fifo"
run timeout 5 "$PT" "$T/fifo" get 127.0.0.1:25 0
is "$rc" 66 "a FIFO: 66 at once, not a hang"
mkdir "$T/dir"
run "$PT" "$T/dir" get 127.0.0.1:25 0
is "$rc" 66 "a directory: 66"

# --- a damaged entry --------------------------------------------------------
# The entries below were stored at 2000000000 s; DAY is the day after.
DAY=23149
D=$T/damaged
cat >"$D" <<'EOF'
mxkit-pcache 1
entry 127.0.0.1:25 0 2000000000 250 2
 one.example
 PIPECONNECT
entry 127.0.0.1:26 0 2000000000 250 5
 two.example
 PIPECONNECT
entry 127.0.0.1:27 0 2000000000 250 2
 three.example
 PIPECONNECT
EOF
cp "$D" "$T/damaged.orig"
run at $DAY "$PT" "$D" get 127.0.0.1:27 0
is "$rc" 0 "a damaged entry does not stop the load"
is "$out" "$(printf '250-three.example\n250 PIPECONNECT')" \
    "the entry after it is read"
one_line_error pcache-tool "a one-line warning"
like "$err" "entry at line 5 dropped: fewer lines than its count" \
    "naming the entry and what is wrong"
run at $DAY "$PT" "$D" get 127.0.0.1:25 0
is "$rc" 0 "the entry before it is read too"
run at $DAY "$PT" "$D" get 127.0.0.1:26 0
is "$rc/$out" 1/ "the damaged one is not used"
same "$D" "$T/damaged.orig" "reading changed nothing"
run at $DAY "$PT" "$D" put 127.0.0.1:28 0 <"$T/r1"
is "$rc" 0 "a put into it"
is "$(grep '^entry ' "$D" | cut -d ' ' -f 2 | sort | tr '\n' ' ')" \
    '127.0.0.1:25 127.0.0.1:27 127.0.0.1:28 ' \
    "writes back the good entries and the new one, not the damaged one"

for bad in 'entry 127.0.0.1:25 2 1 250 1' 'entry 127.0.0.1:25 0 x 250 1' \
    'entry 127.0.0.1:25 0 1 199 1' 'entry 127.0.0.1:25 0 1 250 0' \
    'entry 127.0.0.1:25 0 1 250 513' 'entry  0 1 250 1' \
    'entry 127.0.0.1:25 0 1 250 1 extra' 'garbage'; do
	printf 'mxkit-pcache 1\n%s\n x\nentry ok:1 0 2000000000 250 1\n y\n' \
	    "$bad" >"$T/bad"
	run at $DAY "$PT" "$T/bad" get ok:1 0
	is "$rc/$out" "0/250 y" "'$bad': dropped, the next entry read"
	like "$err" "dropped" "'$bad': warned"
done
printf '%s\n' 'mxkit-pcache 1' 'entry a:1 0 2000000000 250 1' ' x' ' y' \
    'entry ok:1 0 2000000000 250 1' ' z' >"$T/bad"
run at $DAY "$PT" "$T/bad" get a:1 0
is "$rc/$out" 1/ "more lines than the count: dropped"
printf 'mxkit-pcache 1\nentry a:1 0 2000000000 250 1\n x\000y\n' >"$T/bad"
run at $DAY "$PT" "$T/bad" get a:1 0
is "$rc/$out" 1/ "a NUL in a line: dropped"
printf 'mxkit-pcache 1\nentry a:1 0 2000000000 250 2\n x\n y' >"$T/bad"
run at $DAY "$PT" "$T/bad" get a:1 0
is "$rc/$out" 1/ "a file cut short in its last line: that entry dropped"

# --- many probes at once ------------------------------------------------------
M=$T/many
N=24
i=0
pids=
while [ "$i" -lt "$N" ]; do
	"$PT" --timeout 30 "$M" put "192.0.2.$i:25" 0 <"$T/r1" \
	    2>"$T/many.$i.err" &
	pids="$pids $!"
	i=$((i + 1))
done
fails=0
for p in $pids; do
	wait "$p" || fails=$((fails + 1))
done
is "$fails" 0 "$N puts at once all succeed"
is "$(grep -c '^entry ' "$M")" "$N" "and every one of the $N entries is kept"
run "$PT" "$M" text
is "$rc/$err" 0/ "the file is whole"

# --- a save killed --------------------------------------------------------
# A cache of a few megabytes, so that a save takes a while.
B=$T/big
big=$(head -c 4000 /dev/zero | tr '\0' 'b')
{
	printf 'mxkit-pcache 1\n'
	for h in 1 2 3 4; do
		printf 'entry 10.0.0.%d:25 0 2000000000 250 512\n' "$h"
		i=0
		while [ "$i" -lt 512 ]; do
			printf ' %s\n' "$big"
			i=$((i + 1))
		done
	done
} >"$B"
cp "$B" "$T/big.old"
cp "$B" "$T/big.new"
at $DAY "$PT" "$T/big.new" put 10.0.0.9:25 0 <"$T/r1"

# killed_at SYSCALL NUMBER: run a put with SYSCALL held 3 s by strace;
# once the put waits there on the cache (its /proc/PID/syscall starts with
# NUMBER, the x86_64 number, and for write and fsync the descriptor is a
# file of the cache's: libfaketime writes too), kill it (not strace) with
# SIGKILL.
killed_at() {
	strace -o /dev/null -e trace="$1" -e inject="$1":delay_enter=3000000 \
	    env TZ=UTC LD_PRELOAD="$FT" FAKETIME="$(noon $DAY)" \
	    "$PT" "$B" put 10.0.0.9:25 0 <"$T/r1" >/dev/null 2>&1 &
	_s=$!
	_i=0
	_at=no
	while [ "$_i" -lt 100 ]; do
		_c=$(tr -d " " </proc/$_s/task/$_s/children 2>/dev/null)
		set -- "$1" "$2" $(cat /proc/$_c/syscall 2>/dev/null)
		if [ -n "$_c" ] && [ "${3-}" = "$2" ] && { [ "$1" = rename ] ||
		    case $(readlink /proc/$_c/fd/$((${4:-0}))) in
		    "$B"*) true ;; *) false ;; esac; }; then
			_at=yes
			kill -9 "$_c"
			break
		fi
		sleep 0.05
		_i=$((_i + 1))
	done
	wait "$_s" 2>/dev/null
	[ "$_at" = yes ]
}
if [ "$(uname -m)" = x86_64 ] && command -v strace >/dev/null 2>&1 &&
    strace -o /dev/null true 2>/dev/null; then
	for sc in write:1 fsync:74 rename:82; do
		ok "a put killed in ${sc%:*}" killed_at ${sc%:*} ${sc#*:}
		ok "killed in ${sc%:*}: the old file, whole" \
		    cmp -s "$B" "$T/big.old"
	done
	ok "a temp file was left behind" [ -n "$(ls "$B".tmp.* 2>/dev/null)" ]
	left=$(ls "$B".tmp.*)
	run at $DAY "$PT" "$B" put 10.0.0.9:25 0 <"$T/r1"
	is "$rc/$err" 0/ "the next save goes through"
	ok "and writes the new file" cmp -s "$B" "$T/big.new"
	is "$(ls "$B".tmp.*)" "$left" \
	    "a temp file not its own is not the save's to take away"
else
	skip 10 "strace cannot trace here, or not x86_64"
fi
# Killed at whatever point a delay finds: the old file or the new one.
half=0
for d in 0.01 0.03 0.06 0.1 0.15 0.2 0.3; do
	cp "$T/big.old" "$B"
	env TZ=UTC LD_PRELOAD="$FT" FAKETIME="$(noon $DAY)" \
	    "$PT" "$B" put 10.0.0.9:25 0 <"$T/r1" >/dev/null 2>&1 &
	p=$!
	sleep "$d"
	kill -9 "$p" 2>/dev/null
	wait "$p" 2>/dev/null
	cmp -s "$B" "$T/big.old" || cmp -s "$B" "$T/big.new" ||
	    half=$((half + 1))
done
is "$half" 0 "killed after 10 to 300 ms: never half a file"

# --- the lock -----------------------------------------------------------------
L=$T/locked
"$PT" "$L" put 127.0.0.1:25 0 <"$T/r1"
cp "$L" "$T/locked.orig"
daemon $PY -c 'import fcntl, sys, time
f = open(sys.argv[1], "w")
fcntl.flock(f, fcntl.LOCK_EX)
time.sleep(30)' "$L.lock"
holder=$!
i=0
while [ "$i" -lt 100 ] && flock -n "$L.lock" true; do
	sleep 0.05
	i=$((i + 1))
done
t0=$(date +%s.%N)
run "$PT" --timeout 1 "$L" put 127.0.0.1:26 0 <"$T/r2"
t1=$(date +%s.%N)
is "$rc" 75 "a lock held by another: 75"
one_line_error pcache-tool "one line"
like "$err" "held by another process for 1 s" "saying so"
ok "given up after the timeout, 1 s, not before" \
    awk "BEGIN { exit !($t1 - $t0 >= 0.9 && $t1 - $t0 < 3) }"
same "$L" "$T/locked.orig" "the cache untouched"
run "$PT" --timeout 0 "$L" put 127.0.0.1:26 0 <"$T/r2"
is "$rc" 75 "--timeout 0: one try"
kill "$holder"
wait "$holder" 2>/dev/null
run "$PT" --timeout 1 "$L" put 127.0.0.1:26 0 <"$T/r2"
is "$rc" 0 "the lock free again: saved"

# --- odd files beside the cache ---------------------------------------------
# A FIFO at FILE.lock: refused at once (no open that hangs), the cache
# not saved.
O=$T/odd
mkfifo "$O.lock"
s0=$(date +%s)
run timeout 20 "$PT" --timeout 2 "$O" put 127.0.0.1:25 0 <"$T/r1"
is "$rc" 73 "a FIFO at FILE.lock: 73"
ok "at once ($(($(date +%s) - s0)) s)" [ $(($(date +%s) - s0)) -le 1 ]
like "$err" "odd\.lock is not a regular file" "saying so"
ok "nothing saved" [ ! -e "$O" ]
rm -f "$O.lock"
# A FILE.tmp of someone else's is left byte for byte.
printf 'not the cache'"'"'s\n' >"$O.tmp"
run "$PT" "$O" put 127.0.0.1:25 0 <"$T/r1"
is "$rc/$err" 0/ "a foreign FILE.tmp: the save goes through"
is "$(cat "$O.tmp")" "not the cache's" "and leaves it as it was"
is "$(ls "$O".tmp*)" "$O.tmp" "no temp file of its own left"

# --- a directory we cannot write ------------------------------------------
U=$T/ro
mkdir "$U"
"$PT" "$U/cache" put 127.0.0.1:25 0 <"$T/r1"
chmod 555 "$U"
as_user=
if [ "$(id -u)" -eq 0 ]; then
	# root writes anywhere: the check runs as nobody.
	chmod 755 "$T"
	chmod 644 "$U/cache" "$T/r2"
	as_user="setpriv --reuid=nobody --regid=nogroup --clear-groups"
fi
chmod 755 "$U"
rm -f "$U/cache.lock"
chmod 555 "$U"
run $as_user "$PT" "$U/cache" put 127.0.0.1:26 0 <"$T/r2"
is "$rc" 73 "no lock file can be made in the directory: 73"
one_line_error pcache-tool "one line"
chmod 755 "$U"
touch "$U/cache.lock"
chmod 666 "$U/cache.lock"
chmod 555 "$U"
run $as_user "$PT" "$U/cache" put 127.0.0.1:26 0 <"$T/r2"
is "$rc" 73 "the lock taken, but no temp file can be made: 73"
like "$err" "cannot write cache '.*': Permission denied" "saying why"
run $as_user "$PT" "$U/cache" get 127.0.0.1:25 0
is "$rc" 0 "reading it still works"
chmod 755 "$U"

done_testing
