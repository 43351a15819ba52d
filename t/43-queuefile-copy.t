#!/bin/sh
# queuefile-copy: every option and error path of the command line.  Usage
# errors; ids from the arguments, standard input and --all, with and
# without the "ID: " prefix; invalid, missing, corrupt, locked and existing
# messages among good ones (the rest done, the status of the table);
# --check, --json, --link, --replace, --mode, --owner; new ids and a split
# source; the spool from --spool, from an --exim script that prints fixed
# output, from a failing one and from the real exim4 with --config;
# --requeue split, flat and auto, --remove, the owner taken from the input
# directory; SIGTERM with a batch pending leaves no temporary file.  The
# source spool is checked unchanged at the end.
. "${MX_SRCDIR:-.}/t/lib.sh"

FIX=$MX_SHARED/fixtures/exim-spool
[ -f "$FIX/1xVXFM-0002aE-0p-H" ] || skip_all "no spool fixtures in $FIX"
A=1xVXF3-0002Lv-1w
B=1xVXFM-0002aE-0p
C=1xVXGt-0003em-2G

# A flat spool $T/spool holding the three fixtures, as Exim leaves them.
mkdir -p "$T/spool/input" || exit 1
for f in "$FIX"/1x*-[DH]; do
	cp "$f" "$T/spool/input/" && chmod 640 "$T/spool/input/${f##*/}"
done
SP=$T/spool
IN=$SP/input

# The spool's listing: contents, mode, owner, mtime of every file.
listing() {
	(cd "$1" && find . -type f | sort | while read -r f; do
		printf '%s %s\n' "$(stat -c '%a %u %g %Y %s' "$f")" \
		    "$(sha256sum <"$f")"
	done)
}
listing "$IN" >"$T/before"

status() {	# status WANT DESCRIPTION: $rc, and a one-line diagnostic
	is "$rc" "$1" "$2: exit $1"
	one_line_error queuefile-copy "$2: one-line diagnostic"
}
q=queuefile-copy

# --- usage errors -----------------------------------------------------------
run $q --spool "$SP" $B </dev/null
status 64 "no --to"
run $q --spool "$SP" --requeue --from "$T" --to "$T/x" </dev/null
status 64 "--to with --requeue"
run $q --spool "$SP" --from "$T" --to "$T/x" $B
status 64 "--from without --requeue"
run $q --spool "$SP" --remove --to "$T/x" $B
status 64 "--remove without --requeue"
run $q --spool "$SP" --requeue --all
status 64 "--requeue without --from"
run $q --spool "$SP" --split --to "$T/x" $B
status 64 "--split without --requeue"
run $q --spool "$SP" --requeue --from "$T" --split --flat --all
status 64 "--split with --flat"
run $q --spool "$SP" --check --to "$T/x" $B
status 64 "--check with --to"
run $q --spool "$SP" --check --link $B
status 64 "--check with --link"
run $q --spool "$SP" --exim /bin/false --to "$T/x" $B
status 64 "--spool with --exim"
run $q --spool "$SP" --config /dev/null --to "$T/x" $B
status 64 "--spool with --config"
run $q --spool "$SP" --to "$T/x" --all $B
status 64 "ids with --all"
for m in 1777 0200 9 abc '' 0640x -640 ' 640'; do
	run $q --spool "$SP" --to "$T/x" --mode "$m" $B
	status 64 "--mode '$m'"
done
run $q --spool "$SP" --to "$T/x" --owner no-such-user-here $B
status 64 "--owner: unknown user"
run $q --spool "$SP" --to "$T/x" --owner nobody:no-such-group-here $B
status 64 "--owner: unknown group"
run $q --spool "$SP" --to "$T/x" --owner 4000000 $B
status 64 "--owner: a number with no account and no group"
run $q --spool "$SP" --to "$T/x" --bogus $B
status 64 "unknown option"
if command -v script >/dev/null 2>&1; then
	script -qec "$MX_BUILDDIR/tools/queuefile-copy --spool $SP --to $T/x" \
	    /dev/null >"$T/tty" 2>&1
	rc=$?
	is "$rc" 64 "no ids, standard input a terminal: exit 64"
	like "$(cat "$T/tty")" "no IDs" "no ids, a terminal: says so"
else
	skip 2 "script(1) not installed"
fi
ok "no usage error wrote anything" test ! -e "$T/x"

# --- ids: arguments, standard input, --all ----------------------------------
mkdir "$T/o1"
run $q --spool "$SP" --to "$T/o1" $B
is "$rc" 0 "one id: exit 0"
is "$out" "result=copied" "one id: no prefix"
is "$err" "" "one id: nothing on stderr"
same "$T/o1/$B-H" "$IN/$B-H" "one id: -H byte for byte"
same "$T/o1/$B-D" "$IN/$B-D" "one id: -D byte for byte"
is "$(stat -c %a "$T/o1/$B-H") $(stat -c %a "$T/o1/$B-D")" "640 640" \
    "the copies have mode 0640"
is "$(ls -A "$T/o1" | wc -l)" 2 "nothing else in the target"

run $q --spool "$SP" --to "$T/o1" $A $C
is "$rc" 0 "two ids: exit 0"
is "$out" "$A: result=copied
$C: result=copied" "two ids: each line prefixed, in order"

mkdir "$T/o2"
printf '  %s\t\n\n%s\r\n   \n%s' $C $A $B >"$T/ids"
run $q --spool "$SP" --to "$T/o2" <"$T/ids"
is "$rc" 0 "ids on stdin: exit 0"
is "$out" "$C: result=copied
$A: result=copied
$B: result=copied" "ids on stdin: blanks and blank lines skipped, prefixed"
printf '%s\n' $C >"$T/ids"
run $q --spool "$SP" --to "$T/o2" --replace <"$T/ids"
is "$out" "$C: result=copied" "one id on stdin: prefixed all the same"

mkdir "$T/o3"
run $q --spool "$SP" --to "$T/o3" --all </dev/null
is "$rc" 0 "--all: exit 0"
is "$(printf '%s\n' "$out" | sort)" "$A: result=copied
$B: result=copied
$C: result=copied" "--all: every message, prefixed"
for id in $A $B $C; do
	same "$T/o3/$id-H" "$IN/$id-H" "--all: $id -H copied"
done

run $q --spool "$SP" --to "$T/o3" </dev/null
is "$rc:$out:$err" "0::" "empty standard input: exit 0, nothing said"
mkdir -p "$T/empty/input" "$T/o4"
run $q --spool "$T/empty" --to "$T/o4" --all
is "$rc:$out:$err" "0::" "--all on an empty spool: exit 0, nothing said"

# --- failures among good messages -------------------------------------------
mkdir "$T/f1"
run $q --spool "$SP" --to "$T/f1" $A not-an-id $B
is "$rc" 65 "an invalid id among good ones: exit 65"
is "$out" "$A: result=copied
not-an-id: result=invalid
$B: result=copied" "an invalid id: the others done"
one_line_error queuefile-copy "an invalid id: one-line diagnostic"
like "$err" "^queuefile-copy: cannot copy 'not-an-id': " \
    "the diagnostic names the id"
ok "the others are in the target" test -f "$T/f1/$B-H"

# What was given is what the record shows: a NUL in a stdin line does not
# cut the prefix back to a valid id, and a line too long says so.
printf '%s\0junk\n%s\n' $B $A >"$T/ids"
run $q --spool "$SP" --check <"$T/ids"
is "$rc" 65 "a NUL in a stdin id: exit 65"
is "$out" "$B\\x00junk: result=invalid
$A: result=ok" "a NUL in a stdin id: the prefix shows it escaped, not cut"
like "$err" "^queuefile-copy: cannot check '$B\\\\x00junk': " \
    "a NUL in a stdin id: the diagnostic shows it escaped"
printf '%s\0junk\n' $B >"$T/ids"
run $q --spool "$SP" --check --json <"$T/ids"
is "$(printf '%s\n' "$out" |
    $PY -c 'import json, sys; print(json.loads(sys.stdin.read())["id"])')" \
    "$B\\x00junk" "a NUL in a stdin id: the JSON id shows it escaped"
long=$(printf '%02000d' 7)
printf '%s\n%s\n' $A "$long" >"$T/ids"
run $q --spool "$SP" --check <"$T/ids"
is "$rc" 65 "a stdin line too long: exit 65"
is "$out" "$A: result=ok
line 2 too long: result=invalid" \
    "a stdin line too long: refused in its turn, its number shown"
one_line_error queuefile-copy "a stdin line too long: one-line diagnostic"
like "$err" "^queuefile-copy: cannot check 'line 2 too long': line 2 too long \
for a message id\$" "a stdin line too long: the diagnostic says so, its number"
mkdir "$T/f1cr"
printf '%s\r\n' $A >"$T/ids"
run $q --spool "$SP" --to "$T/f1cr" <"$T/ids"
is "$rc:$out" "0:$A: result=copied" "a stdin id ending in CR LF: copied"
same "$T/f1cr/$A-H" "$IN/$A-H" "a stdin id ending in CR LF: its -H copied"

run $q --spool "$SP" --to "$T/f2" 1xVXFM-0002aE-0q </dev/null
status 75 "a target directory that is not there"
mkdir "$T/f2"
run $q --spool "$SP" --to "$T/f2" 1xVXFM-0002aE-0q
status 66 "a message not in the spool"
is "$out" "result=missing" "not in the spool: missing"

# A spool with a -D alone and a -H alone.
mkdir -p "$T/half/input" "$T/f3"
cp "$IN/$A-D" "$T/half/input/"
cp "$IN/$B-H" "$T/half/input/"
run $q --spool "$T/half" --to "$T/f3" $A
status 66 "a -D without its -H"
run $q --spool "$T/half" --to "$T/f3" $B
status 66 "a -H without its -D"
ok "nothing copied of a half message" test -z "$(ls -A "$T/f3")"

run $q --spool "$SP" --to "$T/f3" 1xVXFM-0002aE-0q bad! $A
is "$rc" 66 "missing, then invalid: the first failure's status, 66"
run $q --spool "$SP" --to "$T/f3" --replace bad! 1xVXFM-0002aE-0q $A
is "$rc" 65 "invalid, then missing: the first failure's status, 65"

# A corrupt -H: a header's length one too short.
mkdir -p "$T/bad/input" "$T/f4"
cp "$IN/$A-D" "$IN/$B-D" "$IN/$B-H" "$T/bad/input/"
sed 's/^033F From:/032F From:/' "$IN/$A-H" >"$T/bad/input/$A-H"
run $q --spool "$T/bad" --to "$T/f4" $B $A
is "$rc" 65 "a corrupt -H: exit 65"
is "$out" "$B: result=copied
$A: result=corrupt" "a corrupt -H: refused, the other copied"
one_line_error queuefile-copy "a corrupt -H: one-line diagnostic"
ok "the corrupt message is not in the target" test ! -e "$T/f4/$A-H"
ok "nor its -D" test ! -e "$T/f4/$A-D"

# A target that has the message byte for byte: done, every time (a retry
# after a failure, or after a kill past the commit, exits 0).  One with a
# different message under the id: exists, and --replace; a temporary
# failure wins over a first 65.
mkdir "$T/o6"
run $q --spool "$SP" --to "$T/o6" $B
is "$rc:$out" "0:result=copied" "--to o ID: copied"
run $q --spool "$SP" --to "$T/o6" $B
is "$rc:$out" "0:result=copied" "--to o ID again: the same message there, done"
same "$T/o6/$B-H" "$IN/$B-H" "again: the target's -H as it was"
is "$(ls -A "$T/o6" | wc -l)" 2 "again: nothing else in the target"
printf 'scribbled\n' >"$T/o1/$B-H"
run $q --spool "$SP" --to "$T/o1" bad! $B
is "$rc" 75 "an invalid id, then one the target has differently: exit 75"
is "$out" "bad!: result=invalid
$B: result=exists" "the target has another message under the id: exists"
is "$(cat "$T/o1/$B-H")" "scribbled" "exists: the target left alone"
cp "$IN/$B-H" "$T/o1/$B-H"
printf 'x' >>"$T/o1/$B-D"
run $q --spool "$SP" --to "$T/o1" $B
is "$rc:$out" "75:result=exists" "the same -H but another -D: exists"
printf 'scribbled\n' >"$T/o1/$B-H"
run $q --spool "$SP" --to "$T/o1" --replace $B
is "$rc:$out" "0:result=copied" "--replace: copied over it"
same "$T/o1/$B-H" "$IN/$B-H" "--replace: the target is the message again"

# Locked as Exim locks a -D it delivers: fcntl F_WRLCK on [0, 19).
mkdir "$T/f5"
$PY -c 'import fcntl, sys, time
f = open(sys.argv[1], "r+b")
fcntl.lockf(f, fcntl.LOCK_EX | fcntl.LOCK_NB, 19, 0)
open(sys.argv[2], "w").close()
time.sleep(30)' "$IN/$C-D" "$T/locked" &
lockpid=$!
i=0
while [ ! -e "$T/locked" ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
run $q --spool "$SP" --to "$T/f5" $A $C
is "$rc" 75 "a locked -D: exit 75"
is "$out" "$A: result=copied
$C: result=locked" "a locked -D: skipped, the other copied"
one_line_error queuefile-copy "a locked -D: one-line diagnostic"
run $q --spool "$SP" --to "$T/f5" --no-lock $C
is "$rc:$out" "0:result=copied" "--no-lock: copied while locked"
run $q --spool "$SP" --check $C
is "$rc:$out" "75:result=locked" "--check takes the lock too"
kill $lockpid
wait $lockpid 2>/dev/null

# A delivery's journal: Exim writes each address it delivers to ID-J and
# into -H only at the end (or at the next delivery, after a crash), so a
# copy of -H while -J lists an address would deliver to it again.  The
# empty -J a delivery opens before its transports run does not stop it.
mkdir "$T/j1"
: >"$IN/$C-J"
run $q --spool "$SP" --to "$T/j1" --no-lock $C
is "$rc:$out" "0:result=copied" "an empty -J: copied"
printf 'bob@example.org\n' >"$IN/$C-J"
run $q --spool "$SP" --to "$T/j1" --replace $A $C
is "$rc" 75 "a -J listing a delivery: exit 75"
is "$out" "$A: result=copied
$C: result=locked" "a -J listing a delivery: skipped as locked, the other copied"
like "$err" "-J lists deliveries" "a -J listing a delivery: says so"
run $q --spool "$SP" --to "$T/j1" --replace --no-lock $C
is "$rc:$out" "75:result=locked" "a -J listing a delivery: --no-lock too"
rm -f "$IN/$C-J"

# --- SIGTERM while a batch is pending: its temporary files removed ----------
# The ids come through a FIFO that stays open, so the tool waits for more
# with two messages written under temporary names, not yet committed.
mkdir "$T/s1"
mkfifo "$T/fifo"
queuefile-copy --spool "$SP" --to "$T/s1" <"$T/fifo" >"$T/s1.out" 2>&1 &
qpid=$!
exec 7>"$T/fifo"
printf '%s\n%s\n' $A $B >&7
i=0
while [ "$(ls -A "$T/s1" | grep -c '^\.')" -lt 4 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
is "$(ls -A "$T/s1" | grep -c '^\.')" 4 "pending: four temporary files"
kill -TERM $qpid
# wait reports the signal on its standard error: not for the console.
wait $qpid 2>/dev/null
rc=$?
exec 7>&-
is "$rc" 143 "SIGTERM ends it as the signal would"
is "$(ls -A "$T/s1")" "" "SIGTERM: no temporary file left, nothing named"
is "$(cat "$T/s1.out")" "" "SIGTERM: no result for what was not committed"

# --- --check, --json ---------------------------------------------------------
run $q --spool "$SP" --check --all
is "$rc" 0 "--check --all: exit 0"
is "$(printf '%s\n' "$out" | sort)" "$A: result=ok
$B: result=ok
$C: result=ok" "--check: ok for each"
run $q --spool "$T/bad" --check $A
status 65 "--check of a corrupt message"
like "$err" "^queuefile-copy: cannot check '$A': " "--check: 'cannot check'"

run $q --spool "$SP" --json --check $A bad! 1xVXFM-0002aE-0q
is "$rc" 65 "--json: the status as without"
printf '%s\n' "$out" >"$T/json"
is "$($PY -c 'import json, sys
r = [json.loads(l) for l in open(sys.argv[1])]
a = r[0]
print(len(r), a["id"], a["result"], "error" in a, a["sender"],
    a["login"], a["uid"], a["frozen"],
    [x["address"] for x in a["recipients"]], a["acl"],
    [h["name"] for h in a["headers"]][:3])
print(r[1]["id"], r[1]["result"], bool(r[1]["error"]), "sender" in r[1])
print(r[2]["id"], r[2]["result"], bool(r[2]["error"]))' "$T/json")" \
"3 $A ok False alice@test.example root 0 False ['bob@example.org', \
'carol@example.net'] {'m_demo': 'hello world'} ['Received', 'From', 'To']
bad! invalid True False
1xVXFM-0002aE-0q missing True" \
    "--json: id, result, error, the envelope when -H was read"
is "$(grep -c . "$T/json")" 3 "--json: one line per message"
printf 'scribbled\n' >"$T/o1/$B-H"
run $q --spool "$SP" --json --to "$T/o1" $B
like "$out" '^\{"id":"'$B'","result":"exists","error":"[^"]+","sender":' \
    "--json: a failure after -H was read has the envelope too"

# --- new ids, a split source ---------------------------------------------------
N=1xVXFM-000000002aE-0p00
mkdir -p "$T/new/input/M" "$T/n1"
{ echo "$N-D"; tail -n +2 "$IN/$B-D"; } >"$T/new/input/M/$N-D"
{ echo "$N-H"; tail -n +2 "$IN/$B-H"; } >"$T/new/input/M/$N-H"
run $q --spool "$T/new" --to "$T/n1" $N
is "$rc:$out" "0:result=copied" "a new 23-character id, split source"
same "$T/n1/$N-H" "$T/new/input/M/$N-H" "new id: -H copied, flat"
run $q --spool "$T/new" --to "$T/n1" --all
is "$rc:$out" "0:$N: result=copied" "--all finds a split source's message"

# --- --link, --mode, --owner ---------------------------------------------------
mkdir "$T/l1" "$T/l2"
run $q --spool "$SP" --to "$T/l1" --link $B
is "$rc:$out" "0:result=linked" "--link: linked"
is "$(stat -c %i "$T/l1/$B-D")" "$(stat -c %i "$IN/$B-D")" \
    "--link: the -D is the spool's inode"
run $q --spool "$SP" --to "$T/l1" --link $B
is "$rc:$out" "0:result=linked" "--link again: the same inode there, linked"
isnt "$(stat -c %i "$T/l1/$B-H")" "$(stat -c %i "$IN/$B-H")" \
    "--link: the -H is written, not linked"
run $q --spool "$SP" --to "$T/l2" --link --mode 0600 $B
is "$rc:$out" "0:result=copied" "--link with another --mode: copied"
isnt "$(stat -c %i "$T/l2/$B-D")" "$(stat -c %i "$IN/$B-D")" \
    "--link with another --mode: not the spool's inode"
is "$(stat -c %a "$T/l2/$B-D") $(stat -c %a "$T/l2/$B-H")" "600 600" \
    "--mode 0600: both files"
if [ "$(id -u)" -eq 0 ]; then
	mkdir "$T/l3"
	run $q --spool "$SP" --to "$T/l3" --owner nobody:nogroup --mode 440 $B
	is "$rc:$out" "0:result=copied" "--owner nobody:nogroup: copied"
	is "$(stat -c '%U:%G %a' "$T/l3/$B-D" "$T/l3/$B-H" | sort -u)" \
	    "nobody:nogroup 440" "--owner: both files nobody's, --mode 440"
	mkdir "$T/l4"
	run $q --spool "$SP" --to "$T/l4" --owner 65534 $B
	is "$(stat -c '%u:%g' "$T/l4/$B-H")" "65534:65534" \
	    "--owner UID: the account's group"
else
	skip 3 "not root"
fi

# --- the spool from exim -bP ---------------------------------------------------
cat >"$T/exim-fixed" <<EOF
#!/bin/sh
cat >/dev/null
[ "\$*" = "-bP spool_directory split_spool_directory" ] || exit 3
echo "spool_directory = $SP"
echo no_split_spool_directory
EOF
cat >"$T/exim-fail" <<'EOF'
#!/bin/sh
echo "exim: cannot open main config file" >&2
echo "second line" >&2
exit 1
EOF
printf '#!/bin/sh\necho hello\n' >"$T/exim-junk"
chmod 755 "$T/exim-fixed" "$T/exim-fail" "$T/exim-junk"
mkdir "$T/e1"
printf '%s\n' $A >"$T/ids"
run $q --exim "$T/exim-fixed" --to "$T/e1" <"$T/ids"
is "$rc:$out" "0:$A: result=copied" \
    "--exim: the spool it prints; the ids on stdin are not its stdin"
run $q --exim "$T/exim-fail" --to "$T/e1" $B
status 75 "a failing exim"
like "$err" "cannot open main config file" "a failing exim: its first line"
run $q --exim "$T/exim-junk" --to "$T/e1" $B
status 75 "an exim that prints no spool"
run $q --exim "$T/no-such-exim" --to "$T/e1" $B
status 75 "an exim that is not there"
run $q --exim "$T/exim-fixed" --config /etc/passwd --to "$T/e1" $B
status 75 "--config passed as -C: the script refuses it"
ok "nothing copied when exim failed" test ! -e "$T/e1/$B-H"
run $q --spool "$T/no-such-spool" --check --all
status 75 "a spool that is not there, --all"

# --- --requeue ---------------------------------------------------------------
mkdir -p "$T/r1/input" "$T/r2/input" "$T/r3/input/x" "$T/r4/input"
run $q --requeue --from "$T/o3" --spool "$T/r1" --split $A
is "$rc:$out" "0:result=copied" "--requeue --split: copied"
same "$T/r1/input/3/$A-H" "$IN/$A-H" "--split: into input/3 (6th char)"
same "$T/r1/input/3/$A-D" "$IN/$A-D" "--split: its -D too"
run $q --requeue --from "$T/o3" --spool "$T/r2" --flat $A
same "$T/r2/input/$A-H" "$IN/$A-H" "--requeue --flat: into input"
run $q --requeue --from "$T/o3" --spool "$T/r3" $A
ok "auto: a split subdirectory there: split" test -f "$T/r3/input/3/$A-H"
run $q --requeue --from "$T/o3" --spool "$T/r4" $A
ok "auto: none there: flat" test -f "$T/r4/input/$A-H"
mkdir -p "$T/r6/input/_" "$T/r6/d"
ln -s ../d "$T/r6/input/Q"
: >"$T/r6/input/a"
run $q --requeue --from "$T/o3" --spool "$T/r6" $A
ok "auto: a link, a file and '_' are no split subdirectory: flat" \
    test -f "$T/r6/input/$A-H"
mkdir -p "$T/r5/input"
sed "s|no_split_spool_directory|split_spool_directory|; s|$SP|$T/r5|" \
    "$T/exim-fixed" >"$T/exim-split"
chmod 755 "$T/exim-split"
run $q --requeue --from "$T/o3" --exim "$T/exim-split" $A
ok "auto: as exim -bP says (split)" test -f "$T/r5/input/3/$A-H"
run $q --requeue --from "$T/o3" --spool "$T/r5" --all --check
is "$rc" 0 "--requeue --check: the --from messages checked"
is "$(printf '%s\n' "$out" | sort | tr '\n' ' ')" \
    "$A: result=ok $B: result=ok $C: result=ok " \
    "--requeue --check: each ok"

cp -p "$T/o3/"* "$T/o4/"
run $q --requeue --remove --from "$T/o4" --spool "$T/r2" --all
is "$rc:$(ls -A "$T/o4")" "0:" \
    "--remove: one already queued byte for byte: done, removed from --from"
cp -p "$T/o3/"* "$T/o4/"
printf 'changed\n' >>"$T/o4/$A-D"
run $q --requeue --remove --from "$T/o4" --spool "$T/r2" --all
is "$rc" 75 "--remove: one already queued, but another -D: exit 75"
is "$(ls "$T/o4" | tr '\n' ' ')" "$A-D $A-H " \
    "--remove: the ones requeued removed, the refused one kept"
run $q --requeue --remove --replace --from "$T/o4" --spool "$T/r2" --all
is "$rc:$(ls -A "$T/o4")" "0:" "--remove --replace: the last one removed"
run $q --requeue --from "$T/o3" --spool "$T/r2" --all --replace
ok "without --remove the source stays" test -f "$T/o3/$A-H"
run $q --requeue --from "$T/o3" --spool "$T/no-such" --all
status 75 "--requeue into a spool with no input directory"

if [ "$(id -u)" -eq 0 ]; then
	mkdir -p "$T/r6/input"
	chown nobody:nogroup "$T/r6/input"
	run $q --requeue --from "$T/o3" --spool "$T/r6" $B
	is "$(stat -c '%U:%G %a' "$T/r6/input/$B-H" "$T/r6/input/$B-D" |
	    sort -u)" "nobody:nogroup 640" \
	    "--requeue: the input directory's owner, mode 0640"
	run $q --requeue --from "$T/o3" --spool "$T/r6" --owner root:root \
	    --replace $B
	is "$(stat -c '%U:%G' "$T/r6/input/$B-H")" "root:root" \
	    "--requeue --owner: that owner"
else
	skip 2 "not root"
fi

# --- a real Exim: exim -bP through --config ------------------------------------
if [ -x /usr/sbin/exim4 ] && [ "$(id -u)" -eq 0 ] &&
    id Debian-exim >/dev/null 2>&1; then
	. "$MX_SRCDIR/t/exim-spool.sh"
	exim_spool_new "$T/ex" --split
	id=$(printf 'Subject: real\n\nbody\n' |
	    exim_spool_submit -f a@test.example b@example.org)
	mkdir "$T/e2"
	run $q --exim /usr/sbin/exim4 --config "$EXSPOOL_CONF" --to "$T/e2" "$id"
	is "$rc:$out" "0:result=copied" "exim4 --config: its spool found"
	sub=$(printf %s "$id" | cut -c 6)
	same "$T/e2/$id-H" "$EXSPOOL_INPUT/$sub/$id-H" \
	    "exim4 --config: the -H from its split spool"
	run $q --exim /usr/sbin/exim4 --config "$T/no-such.conf" --to "$T/e2" \
	    "$id"
	status 75 "exim4 with a config that is not there"
else
	skip 4 "no exim4, not root or no Debian-exim"
fi

# --- the man page's SYNOPSIS and OPTIONS against the tool --------------------
MAN=$MX_SRCDIR/man/queuefile-copy.1
# Each long option --help lists has its entry in OPTIONS.
for o in $($q --help |
    sed -n 's/^ *\(-[a-zA-Z], \)\{0,1\}--\([a-z-]*\).*/\2/p'); do
	ok "--$o: in the man page's OPTIONS" grep -Eq \
	    "^\.It .*Fl \\\\-$o( |\$)" "$MAN"
done
# Each SYNOPSIS form, with every option it shows (the first of each
# alternative), is one the tool takes: no usage error.
awk '/^\.Sh SYNOPSIS/ { s = 1; next } /^\.Sh/ { s = 0 }
    s && /^\.Nm/ { if (n++) printf "\n" }
    s && match($0, /Fl \\-[a-z-]+/) {
	printf " --%s", substr($0, RSTART + 5, RLENGTH - 5) }
    END { printf "\n" }' "$MAN" >"$T/forms"
is "$(wc -l <"$T/forms")" 4 "the SYNOPSIS has four forms"
i=0
while read -r form; do
	i=$((i + 1))
	rm -rf "$T/syn"
	mkdir -p "$T/syn/to" "$T/syn/spool/input" "$T/syn/from"
	cp "$IN/$A-D" "$IN/$A-H" "$T/syn/from/"
	set --
	for o in $form; do
		case $o in
		--to)	set -- "$@" --to "$T/syn/to" ;;
		--from)	set -- "$@" --from "$T/syn/from" ;;
		--spool) case " $form " in
			*" --requeue "*) set -- "$@" --spool "$T/syn/spool" ;;
			*)	set -- "$@" --spool "$SP" ;;
			esac ;;
		--mode)	set -- "$@" --mode 0640 ;;
		--owner) set -- "$@" --owner "$(id -u):$(id -g)" ;;
		*)	set -- "$@" "$o" ;;
		esac
	done
	run $q "$@" </dev/null
	ok "SYNOPSIS form $i ($form): taken as shown" \
	    test "$rc" -eq 0 -a -z "$err"
done <"$T/forms"

listing "$IN" >"$T/after"
same "$T/after" "$T/before" "the source spool unchanged: bytes, modes, mtimes"

done_testing
