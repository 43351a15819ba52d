#!/bin/sh
# queuefile-copy when things go wrong, on spools Debian's Exim 4.96 made:
# killed with SIGKILL at random points while it copies 200 messages out or
# requeues them into a spool (no file under a final name that is not its
# source byte for byte, no -H without its whole -D, `exim -bp` never
# reading a spool format error, and a rerun finishing the rest and
# removing every temporary file the killed run left); a -D
# locked as a running Exim delivery locks it, and by fcntl from another
# process (skipped, 75, `locked`, the others copied); a missing -D or -H,
# an id that is not one, a corrupt -H (a header length off by one, a
# NUL); a target on a full disk (a tmpfs in a mount namespace of its
# own); a target directory removed while 500 messages are copied; a
# source that cannot be read.  Each: a one-line diagnostic a message,
# the exit status of the page, the rest done, and the source spool byte
# for byte and stat for stat as it was.  The judge and the saboteurs are
# t/data/spool-faults.py.
# The kill loops run the tool some hundred times, each batch made durable
# by syncfs(2), which on a disk that other jobs write to waits for their
# writes too: the test runs in a mount namespace of its own, with a tmpfs
# on a fresh directory of its own as its TMPDIR, gone with it (not on
# $TMPDIR itself, which would hide a build tree under /tmp).  A SIGKILL,
# unlike a power cut, leaves the page cache as it is: the medium changes
# nothing judged.
if [ -z "${QF_TMPFS-}" ] && [ "$(id -u)" -eq 0 ] &&
    command -v unshare >/dev/null 2>&1; then
	QF_TMPFS=$(mktemp -d "${TMPDIR:-/tmp}/mxkit-qf.XXXXXX") || exit 1
	export QF_TMPFS
	trap 'rmdir "$QF_TMPFS"' EXIT
	trap 'exit 1' INT TERM HUP
	unshare -m sh -c 'mount -t tmpfs -o size=1g tmpfs "$QF_TMPFS"
	    TMPDIR=$QF_TMPFS exec sh "$0"' "$0"
	exit
fi
. "${MX_SRCDIR:-.}/t/lib.sh"
. "$MX_SRCDIR/t/exim-spool.sh"
need_exim
need unshare setpriv
[ -x "$MX_BUILDDIR/tools/queuefile-copy" ] ||
    skip_all "queuefile-copy not built"
cd "$T" || exit 1

sf() {
	$PY "$MX_SRCDIR/t/data/spool-faults.py" "$@"
}
# elapsed COMMAND...: as `run`, its wall time in $took (s).
elapsed() {
	_s=$(date +%s.%N)
	run "$@"
	took=$(awk -v a="$_s" -v b="$(date +%s.%N)" \
	    'BEGIN { printf "%.3f", b - a }')
}
# diags VERB N WHAT: standard error is N lines, each queuefile-copy's
# one-line diagnostic for a message ("cannot VERB 'ID': reason").
diags() {
	_bad=$(printf '%s\n' "$err" | grep -c -v \
	    "^queuefile-copy: cannot $1 '[^']*': [^ ]")
	[ -n "$err" ] || _bad=0
	is "$(printf '%s' "$err" | grep -c '')/$_bad" "$2/0" \
	    "$3: $2 one-line diagnostics"
	[ "$_bad" -eq 0 ] || diag "$(printf '%s\n' "$err" | head -n 5)"
}
# result ID: the result printed for ID in $out.
result() {
	printf '%s\n' "$out" | sed -n "s/^$1: result=//p"
}
# untouched WHAT: the spool's input directory is as it was (sf snap).
untouched() {
	sf snap "$INPUT" >snap.now
	same snap.now snap.0 "$1: the source spool untouched"
}

# --- the spool: four messages from Exim, cloned to 200 -------------------
exim_spool_new "$T/src" --split || { echo "Bail out! exim spool"; exit 1; }
S=$EXSPOOL_SPOOL
INPUT=$EXSPOOL_INPUT
printf 'From: a@test.example\nSubject: one\n\nhello\n' |
    exim_spool_submit -f alice@test.example bob@example.org \
    carol@example.net >/dev/null &&
printf 'Subject: caf\303\251\nContent-Type: text/plain; charset=utf-8\n\n%b\n' \
    '\303\251t\303\251' |
    exim_spool_submit -f '' bob@example.org >/dev/null &&
awk 'BEGIN { for (i = 0; i < 1000; i++)
    printf "line %05d of a 50 kB body: a kill may cut its copy\n", i }' |
    exim_spool_submit -f alice@test.example dan@example.org >/dev/null &&
printf 'Subject: three\n\nbody\n' |
    exim_spool_submit -f alice@test.example a@example.org b@example.org \
    c@example.org >/dev/null ||
    { echo "Bail out! exim -odq"; exit 1; }
# 198 clones (18 with new 23-character ids): 202 messages, 20 of 4.97's
sf clone "$INPUT" 198 18 >/dev/null || { echo "Bail out! clone"; exit 1; }
ALL=$(find "$INPUT" -name '*-H' | sed 's|.*/||; s/-H$//' | sort)
OLD=$(printf '%s\n' "$ALL" | awk 'length == 16')
NALL=$(printf '%s\n' "$ALL" | wc -l)
NOLD=$(printf '%s\n' "$OLD" | wc -l)
is "$(exim_spool_ids | wc -l)" "$NOLD" \
    "the spool: exim -bp lists the $NOLD messages of old ids"
# one more, of 1 MB, not cloned: for the full disk
BIG=$(awk 'BEGIN { for (i = 0; i < 16384; i++) printf "%063d\n", i }' |
    exim_spool_submit -f alice@test.example big@example.org) ||
    { echo "Bail out! exim -odq"; exit 1; }
ALL=$(printf '%s\n%s\n' "$ALL" "$BIG")
NALL=$((NALL + 1))
set -- $OLD
S1=$1 S2=$2 S3=$3 S4=$4 S5=$5 S6=$6 S7=$7 S8=$8
sf snap "$INPUT" >snap.0

# --- killed while copying out ------------------------------------------
# A run that is let finish sets the bound of the random delays; each
# round then kills one (a run that ends first is done again, the bound
# cut), judges the target, and reruns: with --replace and --all, or
# without, given the ids not yet whole (a -D without its -H, a killed
# run's, is finished).  Every fourth round links (--link: the spool and
# the target share the tmpfs), so a killed run leaves links to finish.
mkdir clean
elapsed queuefile-copy --spool "$S" --to clean --all
is "$rc" 0 "copy out --all: 0"
is "$(sf check "$INPUT" clean)" "complete=$NALL tmp=0" \
    "copy out --all: $NALL messages, each byte for byte"
most=$took
diag "a whole run: $most s"
rounds=${QF_ROUNDS:-30} r=0 killed=0 faults=0 reruns=0 whole=0 tmps=0
while [ "$r" -lt "$rounds" ]; do
	r=$((r + 1))
	ln=
	[ $((r % 4)) -eq 0 ] && ln=--link
	bound=$most
	for try in 1 2 3; do
		rm -rf to && mkdir to
		how=$(sf kill "$bound" "$r$try" kout kerr queuefile-copy $ln \
		    --spool "$S" --to to --all)
		case $how in *killed) killed=$((killed + 1)); break ;; esac
		bound=$(awk -v b="$bound" 'BEGIN { print b * 0.6 }')
	done
	sf check "$INPUT" to todo >chk 2>chk.err ||
	    { faults=$((faults + 1)); diag "round $r ($how):" \
	    "$(head -n 3 chk.err)"; }
	if [ $((r % 2)) -eq 1 ]; then
		queuefile-copy $ln --spool "$S" --to to --replace --all \
		    >rout 2>rerr
	else
		queuefile-copy $ln --spool "$S" --to to <todo >rout 2>rerr
	fi
	rrc=$?
	[ "$rrc" -eq 0 ] && [ ! -s rerr ] && reruns=$((reruns + 1)) ||
	    diag "round $r ($how, $(cat chk)): rerun $rrc: $(head -n 2 rerr)"
	sf check "$INPUT" to >chk 2>&1 && grep -q "^complete=$NALL " chk &&
	    whole=$((whole + 1))
	tmps=$((tmps + $(sed -n 's/.* tmp=//p' chk)))
done
ok "copy out: killed $killed of $rounds runs at random points" \
    [ "$killed" -ge $((rounds * 2 / 3)) ]
is "$faults" 0 "copy out, killed: never a partial file or a -H without -D"
is "$reruns" "$rounds" "copy out, killed: every rerun 0, no diagnostic"
is "$whole" "$rounds" "copy out, killed: every rerun finished all $NALL"
is "$tmps" 0 "copy out, killed: no temporary file left after the reruns"
mkdir ln
queuefile-copy --link --spool "$S" --to ln "$S1" >/dev/null
is "$(stat -c %i ln/"$S1"-D)" "$(stat -c %i "$(find "$INPUT" -name "$S1-D")")" \
    "the --link rounds link: the -D is the spool's inode"
untouched "copy out, killed"

# --- killed while requeueing ---------------------------------------------
# The external directory x0 holds the old-id messages (Exim 4.96 reads no
# other).  Each round requeues a copy of it into an empty input directory
# of a second spool, split or flat, and from round 9 on with --remove (the
# messages moved out: none may be lost in between); after the kill, what
# Exim's -bp reads must be whole messages only.
mkdir x0
printf '%s\n' "$OLD" | queuefile-copy --spool "$S" --to x0 >/dev/null
is "$?/$(sf check "$INPUT" x0)" "0/complete=$NOLD tmp=0" \
    "the external directory: $NOLD messages copied out"
exim_spool_new "$T/dst" --flat || { echo "Bail out! exim spool"; exit 1; }
DS=$EXSPOOL_SPOOL
DIN=$EXSPOOL_INPUT
fresh() {
	rm -rf "$DIN" x && mkdir "$DIN" && chown "$EXIM_USER:" "$DIN" &&
	    chmod 750 "$DIN" && cp -pr x0 x
}
fresh
elapsed queuefile-copy --requeue --from x --spool "$DS" --split --all
is "$rc/$(sf check x0 "$DIN")" "0/complete=$NOLD tmp=0" \
    "requeue --all: $NOLD messages, each byte for byte"
is "$(exim_spool_ids | wc -l)" "$NOLD" "requeue --all: exim -bp lists all"
most=$took
diag "a whole requeue: $most s"
rounds=$(((${QF_ROUNDS:-30} + 1) * 2 / 5))
r=0 killed=0 faults=0 reruns=0 whole=0 bperr=0 lost=0 tmps=0
while [ "$r" -lt "$rounds" ]; do
	r=$((r + 1))
	lay=--split
	[ $((r % 3)) -eq 0 ] && lay=--flat
	rm=
	[ "$r" -gt 8 ] && rm=--remove
	bound=$most
	for try in 1 2 3; do
		fresh
		how=$(sf kill "$bound" "$((100 + r))$try" kout kerr \
		    queuefile-copy --requeue $rm --from x --spool "$DS" $lay \
		    --all)
		case $how in *killed) killed=$((killed + 1)); break ;; esac
		bound=$(awk -v b="$bound" 'BEGIN { print b * 0.6 }')
	done
	sf check x0 "$DIN" todo >chk 2>chk.err ||
	    { faults=$((faults + 1)); diag "round $r ($how):" \
	    "$(head -n 3 chk.err)"; }
	exim_spool_run -bp >bp 2>&1
	n=$(exim_spool_ids | wc -l)
	if grep -qi 'error' bp || ! grep -q "^complete=$n " chk; then
		bperr=$((bperr + 1))
		diag "round $r ($how): exim -bp lists $n, $(cat chk):" \
		    "$(grep -i error bp | head -n 2)"
	fi
	if [ -n "$rm" ]; then
		sf kept x0 x "$DIN" 2>kept.err ||
		    { lost=$((lost + 1)); diag "round $r:" \
		    "$(head -n 2 kept.err)"; }
	fi
	# With --remove, a message the killed run queued but had not yet
	# removed is still in x: the rerun, without --replace, finds it
	# whole in the spool and removes it from x.
	if [ -n "$rm" ]; then
		queuefile-copy --requeue $rm --from x --spool "$DS" $lay \
		    --all >rout 2>rerr
	elif [ $((r % 2)) -eq 1 ]; then
		queuefile-copy --requeue --from x --spool "$DS" $lay \
		    --replace --all >rout 2>rerr
	else
		queuefile-copy --requeue $rm --from x --spool "$DS" $lay \
		    <todo >rout 2>rerr
	fi
	rrc=$?
	[ "$rrc" -eq 0 ] && [ ! -s rerr ] && reruns=$((reruns + 1)) ||
	    diag "round $r ($how, $(cat chk)): rerun $rrc: $(head -n 2 rerr)"
	sf check x0 "$DIN" >chk 2>&1 && grep -q "^complete=$NOLD " chk &&
	    [ "$(exim_spool_ids | wc -l)" -eq "$NOLD" ] &&
	    { [ -z "$rm" ] || [ -z "$(find x -name '*-H')" ]; } &&
	    whole=$((whole + 1)) ||
	    diag "round $r ($how): after the rerun $(head -n 2 chk)," \
	    "exim -bp $(exim_spool_ids | wc -l)," \
	    "$(find x -name '*-H' | wc -l) -H left in x"
	tmps=$((tmps + $(sed -n 's/.* tmp=//p' chk)))
done
ok "requeue: killed $killed of $rounds runs at random points" \
    [ "$killed" -ge $((rounds * 2 / 3)) ]
is "$faults" 0 "requeue, killed: never a partial file or a -H without -D"
is "$bperr" 0 "requeue, killed: exim -bp reads every -H there, no error"
is "$lost" 0 "requeue --remove, killed: no message lost"
is "$reruns" "$rounds" "requeue, killed: every rerun 0, no diagnostic"
is "$whole" "$rounds" \
    "requeue, killed: every rerun finished all $NOLD, Exim lists them"
is "$tmps" 0 "requeue, killed: no temporary file left after the reruns"
# The window a kill may or may not hit, made sure of: all queued, none
# yet removed from x.  The rerun, without --replace, finds each in place.
fresh
queuefile-copy --requeue --from x --spool "$DS" --split --all >/dev/null
run queuefile-copy --requeue --remove --from x --spool "$DS" --split --all
is "$rc/$err/$(find x -name '*-[DH]' | wc -l)" 0//0 \
    "requeue --remove, killed after its commit: the rerun removes each"
is "$(sf check x0 "$DIN")/$(exim_spool_ids | wc -l)" \
    "complete=$NOLD tmp=0/$NOLD" \
    "requeue --remove, killed after its commit: each queued once, whole"
exim_spool_use "$T/src"
untouched "requeue, killed"

# --- locked: by a running Exim delivery, and by fcntl --------------------
# A spool whose slow@ recipient goes to a pipe that sleeps: `exim -M ID`
# holds the lock on that -D for as long; another message's -D is locked
# by a process of the test, on the same bytes as Exim's.
exim_spool_new "$T/lk" --router 'slow:
  driver = accept
  local_parts = slow
  transport = slow' --transport 'slow:
  driver = pipe
  command = /bin/sleep 3
  user = Debian-exim
  current_directory = /
  home_directory = /' || { echo "Bail out! exim spool"; exit 1; }
LK=$EXSPOOL_SPOOL
la=$(printf 'Subject: a\n\na\n' | exim_spool_submit bob@example.org) &&
le=$(printf 'Subject: e\n\ne\n' | exim_spool_submit slow@test.example) &&
lp=$(printf 'Subject: p\n\np\n' | exim_spool_submit bob@example.org) &&
lc=$(printf 'Subject: c\n\nc\n' | exim_spool_submit bob@example.org) ||
    { echo "Bail out! exim -odq"; exit 1; }
dfile() {	# dfile ID: its -D in the current spool
	find "$EXSPOOL_INPUT" -name "$1-D"
}
sf snap "$EXSPOOL_INPUT" dirs >lk.0
daemon $PY "$MX_SRCDIR/t/data/spool-faults.py" hold "$(dfile "$lp")" 19 held
hpid=$!
exim_spool_run -M "$le" &
epid=$!
ino=$(stat -c %i "$(dfile "$le")")
i=0
until [ -s held ] && grep -q ":$ino 0 18\$" /proc/locks; do
	i=$((i + 1))
	[ "$i" -lt 100 ] || { echo "Bail out! no lock held"; exit 1; }
	sleep 0.05
done
mkdir lk1 lk2 lk3
run queuefile-copy --spool "$LK" --to lk1 "$la" "$le" "$lp" "$lc"
is "$rc" 75 "locked: 75"
is "$(result "$le")/$(result "$lp")" "locked/locked" \
    "locked by Exim's delivery and by fcntl: result=locked"
is "$(result "$la")/$(result "$lc")" "copied/copied" "locked: the others copied"
diags copy 2 "locked"
like "$err" "cannot copy '$le': " "locked: the diagnostic names the message"
is "$(sf check "$EXSPOOL_INPUT" lk1)" "complete=2 tmp=0" \
    "locked: nothing of the locked ones in the target"
# A locked one and an invalid id: the temporary failure wins.
run queuefile-copy --spool "$LK" --to lk2 "$la" 1xZZZZ-000000-0 "$le"
is "$rc/$(result "$le")/$(result 1xZZZZ-000000-0)" 75/locked/invalid \
    "locked and an invalid id: 75"
diags copy 2 "locked and an invalid id"
run queuefile-copy --check --spool "$LK" "$le" "$la"
is "$rc/$(result "$le")/$(result "$la")" 75/locked/ok "--check, locked: 75"
diags check 1 "--check, locked"
# As Exim's own pipe transport runs it: the lock is the delivery's.
run queuefile-copy --no-lock --spool "$LK" --to lk3 "$la" "$le" "$lp" "$lc"
is "$rc/$err" 0/ "--no-lock: the locked ones copied too"
is "$(sf check "$EXSPOOL_INPUT" lk3)" "complete=4 tmp=0" \
    "--no-lock: all four byte for byte"
sf snap "$EXSPOOL_INPUT" dirs >lk.now
same lk.now lk.0 "locked: the source spool untouched"
kill "$hpid"
wait "$epid"
is "$?" 0 "the Exim delivery done"
exim_spool_use "$T/src"

# --- bad input: each refused alone, the rest done --------------------------
# A flat spool of its own: two good messages, one without its -D, one
# without its -H, one whose -H says a header is a byte longer than it is
# (its first, the folded Received:), one the same for a one-line header
# (Subject:, where a reader that fell back to lines would see no fault),
# and one with a NUL in a header.
SJ=
for i in $OLD; do
	case " $S1 $S2 $S3 $S4 $S5 $S6 $S7 $S8 " in *" $i "*) continue ;; esac
	if grep -q '^[0-9][0-9][0-9]. Subject: ' $(find "$INPUT" -name "$i-H")
	then
		SJ=$i
		break
	fi
done
[ -n "$SJ" ] || { echo "Bail out! no message with a Subject:"; exit 1; }
mkdir -p bad/input
for i in "$S1" "$S2" "$S3" "$S4" "$S5" "$S6" "$SJ"; do
	find "$INPUT" -name "$i-[DH]" -exec cp -p {} bad/input/ \;
done
rm bad/input/"$S3"-D bad/input/"$S4"-H
$PY - bad/input/"$S5"-H bad/input/"$S6"-H bad/input/"$SJ"-H <<'PYEOF' ||
import re, sys
for path, how in zip(sys.argv[1:], ("length", "nul", "subject")):
    with open(path, "rb") as f:
        h = f.read()
    at = h.index(b"\n\n") + 2
    if how == "subject":
        # one line, and a header after it: its length one too long
        # takes the next header's first byte, a line still whole
        m = re.compile(rb"\n(\d{3}). Subject: [^\n]*\n\d{3}").search(h, at)
        at = m.start(1)
        how = "length"
    n = int(h[at:at + 3])
    if how == "length":
        h = h[:at] + b"%03d" % (n + 1) + h[at + 3:]
    else:
        at += 5 + h[at + 5:].index(b":") + 2
        h = h[:at] + b"\0" + h[at + 1:]
    with open(path, "wb") as f:
        f.write(h)
PYEOF
    { echo "Bail out! corrupt"; exit 1; }
sf snap bad/input >bad.0
# badcase NAME STATUS RESULT ID: ID between the two good ones.
badcase() {
	rm -rf bo && mkdir bo
	run queuefile-copy --spool bad --to bo "$S1" "$4" "$S2"
	is "$rc/$(result "$4")" "$2/$3" "$1: $2, result=$3"
	is "$(result "$S1")/$(result "$S2")" copied/copied "$1: the rest copied"
	diags copy 1 "$1"
	like "$err" "cannot copy '$4': " "$1: the diagnostic names it"
	is "$(sf check bad/input bo 2>&1)" "complete=2 tmp=0" \
	    "$1: nothing of it in the target"
}
badcase "a missing -D" 66 missing "$S3"
badcase "a missing -H" 66 missing "$S4"
badcase "an id that is not one" 65 invalid 1xZBkw-00000-0l
badcase "a header length one too long (the folded Received:)" 65 corrupt "$S5"
badcase "a header length one too long (a one-line Subject:)" 65 corrupt "$SJ"
badcase "a NUL in a header" 65 corrupt "$S6"
rm -rf bo && mkdir bo
run queuefile-copy --spool bad --to bo "$S1" "$S3" x "$S5" "$S6" "$S4" "$S2"
is "$rc" 66 "all of them: the status of the first failure"
diags copy 5 "all of them"
is "$(sf check bad/input bo 2>&1)" "complete=2 tmp=0" \
    "all of them: the two good ones only"
run queuefile-copy --check --spool bad "$S5"
is "$rc/$out" 65/result=corrupt "--check, a corrupt -H: 65, no prefix"
diags check 1 "--check, a corrupt -H"
sf snap bad/input >bad.now
same bad.now bad.0 "bad input: the source untouched"

# --- a full disk ---------------------------------------------------------
# A 512 kB tmpfs in a mount namespace of this test's alone: a 1 MB message
# between two small ones fails (75) and leaves no temporary file; then the
# disk filled but for one page, which holds a -D and not its -H.
mkdir full
cat >full.sh <<FULL
mount -t tmpfs -o size=512k tmpfs full || exit 1
queuefile-copy --spool "$S" --to full "$S1" "$BIG" "$S2" >full.out 2>full.err
echo \$? >full.rc
$PY "$MX_SRCDIR/t/data/spool-faults.py" check "$INPUT" full >full.chk 2>&1
rm -f full/*
dd if=/dev/zero of=full/fill bs=4k 2>/dev/null
truncate -s -4096 full/fill
queuefile-copy --spool "$S" --to full "$S7" >page.out 2>page.err
echo \$? >page.rc
ls -A full >page.ls
FULL
unshare -m sh full.sh || { echo "Bail out! unshare -m, tmpfs"; exit 1; }
out=$(cat full.out) err=$(cat full.err)
is "$(cat full.rc)/$(result "$BIG")" 75/failed "full disk: 75, result=failed"
is "$(result "$S1")/$(result "$S2")" copied/copied "full disk: the rest copied"
diags copy 1 "full disk"
like "$err" "cannot copy '$BIG': .*[Nn]o space" "full disk: the reason"
is "$(cat full.chk)" "complete=2 tmp=0" \
    "full disk: nothing partial, no temporary file left"
out=$(cat page.out) err=$(cat page.err)
is "$(cat page.rc)/$out" 75/result=failed "a page left: 75, result=failed"
diags copy 1 "a page left"
is "$(cat page.ls)" fill "a page left: no -D, no temporary file left"
untouched "full disk"

# --- the target directory removed mid-run --------------------------------
# 500 messages in a flat spool; the target removed as soon as the first
# file shows in it, by another process, again until it stays gone.  A
# message said copied must have been there whole: its -D and -H seen.
exim_spool_new "$T/v" --flat || { echo "Bail out! exim spool"; exit 1; }
printf 'Subject: v\n\nv\n' | exim_spool_submit bob@example.org >/dev/null &&
sf clone "$EXSPOOL_INPUT" 499 >/dev/null || { echo "Bail out! clone"; exit 1; }
sf snap "$EXSPOOL_INPUT" >v.0
mkdir vt
how=$(sf vanish vt seen v.out v.err queuefile-copy \
    --spool "$EXSPOOL_SPOOL" --to vt --all)
out=$(cat v.out) err=$(cat v.err)
is "$how" "exit 75" "target removed: 75, no crash"
is "$(printf '%s\n' "$out" | grep -c ': result=')" 500 \
    "target removed: a result for each of the 500"
nf=$(printf '%s\n' "$out" | grep -c ': result=failed$')
is "$(printf '%s\n' "$out" | grep -c -v ': result=\(copied\|failed\)$')" 0 \
    "target removed: each copied or failed ($nf failed)"
ok "target removed: some failed" [ "$nf" -gt 0 ]
printf '%s\n' "$out" | sed -n 's/: result=copied$//p' >said
is "$(sed 's/$/-D/' said | sort | comm -23 - seen)" "" \
    "target removed: each -D said copied was there"
is "$(sed 's/$/-H/' said | sort | comm -23 - seen)" "" \
    "target removed: each -H said copied was there ($(wc -l <said) copied)"
diags copy "$nf" "target removed"
sf snap "$EXSPOOL_INPUT" >v.now
same v.now v.0 "target removed: the source spool untouched"
exim_spool_use "$T/src"

# --- a source that cannot be read ----------------------------------------
# As nobody: the spool's input directory is Debian-exim's, mode 750; and a
# spool whose directories anyone may search but whose files are 0640.
mkdir nb ur ur/input
chown nobody: nb
find "$INPUT" \( -name "$S1-[DH]" -o -name "$S2-[DH]" \) \
    -exec cp -p {} ur/input/ \;
chmod 755 ur ur/input
asnobody() {
	run setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"
}
asnobody queuefile-copy --spool "$S" --to nb "$S1" "$S2"
is "$rc" 75 "unreadable spool directory, ids: 75, not missing"
# one for the directory, or one a message
n=$(printf '%s\n' "$err" | grep -c "^queuefile-copy: cannot [a-z ]* '[^']*': ")
is "$n/$(printf '%s\n' "$err" | wc -l)" "$n/$n" \
    "unreadable spool directory, ids: one-line diagnostics ($n)"
ok "unreadable spool directory, ids: one diagnostic or one a message" \
    [ "$n" -eq 1 -o "$n" -eq 2 ]
asnobody queuefile-copy --spool "$S" --to nb --all
is "$rc/$out" 75/ "unreadable spool directory, --all: 75, nothing done"
one_line_error queuefile-copy "unreadable spool directory, --all: one line"
asnobody queuefile-copy --spool ur --to nb "$S1" "$S2"
is "$rc/$(result "$S1")/$(result "$S2")" 75/failed/failed \
    "unreadable files: 75, result=failed"
diags copy 2 "unreadable files"
is "$(ls -A nb)" "" "unreadable source: nothing in the target"
untouched "unreadable source"

done_testing
