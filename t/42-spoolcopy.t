#!/bin/sh
# Spool messages copied out and back, common/spoolcopy.c, through
# t/unit/spoolcopy-run: the order of the system calls under strace (Exim's
# lock on its region before -H is read, data durable before any rename,
# every -D renamed, the directory synced, then every -H, the directory
# synced again, nothing ever written under a final name); exists and
# --replace; a -D a killed run left finished by the rerun; a half message
# in the source is missing; link mode (same inode; a tmpfs target or a -D
# with another mode copied); mode and owner; split targets made as their
# parent; --remove only once the target is durable; --check writing
# nothing; old and new ids; a locked -D; 300 messages (over a batch) all
# reported in order; a 200 MB -D in flat memory; and the source byte for
# byte unchanged, mtimes and modes too, after every run.
. "${MX_SRCDIR:-.}/t/lib.sh"
need strace
[ "$(id -u)" = 0 ] || skip_all "needs root (owners, Debian-exim)"

SR=$MX_BUILDDIR/t/unit/spoolcopy-run
FX=$MX_SHARED/fixtures/exim-spool
[ -r "$FX/1xVXF3-0002Lv-1w-H" ] || skip_all "no spool fixtures in $FX"
A=1xVXF3-0002Lv-1w
B=1xVXFM-0002aE-0p
C=1xVXGt-0003em-2G

# mk DIR COUNT [split] [new]: COUNT messages made from the fixture A with
# ids of their own (the id replaced where it stands, so every length in
# -H still holds), flat or split; new: 23-character ids, replaced in the
# first lines only.
cat >"$T/mk.py" <<'EOF'
import os, sys
fx, out, count, layout, kind = sys.argv[1:6]
b62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
old = "1xVXF3-0002Lv-1w"
h = open(os.path.join(fx, old + "-H"), "rb").read()
d = open(os.path.join(fx, old + "-D"), "rb").read()
for k in range(int(count)):
    t = "".join(b62[(k // 62 ** i) % 62] for i in (3, 2, 1, 0))
    if kind == "new":
        new = "1x" + t + "-000000002Lv-001w"
        hh = h.replace(old.encode(), new.encode(), 1)
        dd = d.replace(old.encode(), new.encode(), 1)
    else:
        new = "1x" + t + "-0002Lv-1w"
        hh = h.replace(old.encode(), new.encode())
        dd = d.replace(old.encode(), new.encode())
    sub = os.path.join(out, new[5]) if layout == "split" else out
    os.makedirs(sub, exist_ok=True)
    for suf, data in (("-D", dd), ("-H", hh)):
        with open(os.path.join(sub, new + suf), "wb") as f:
            f.write(data)
        os.chmod(os.path.join(sub, new + suf), 0o640)
    print(new)
EOF
mk() {
	mkdir -p "$1"
	$PY "$T/mk.py" "$FX" "$1" "$2" "${3:-flat}" "${4:-old}"
}

# snap DIR: every file's name, mode, owner, mtime and checksum.
snap() {
	(cd "$1" && find . -printf '%p %m %u:%g %T@\n' | sort &&
	    find . -type f -exec md5sum {} + | sort)
}

# The source spool every copy-out below reads: the three fixtures, owned
# as Exim's are, split A and flat B and C.
S=$T/spool/input
mkdir -p "$S/3"
cp "$FX/$A-D" "$FX/$A-H" "$S/3/"
cp "$FX/$B-D" "$FX/$B-H" "$FX/$C-D" "$FX/$C-H" "$S/"
chmod 640 "$S"/*-? "$S"/3/*
chown -R Debian-exim:Debian-exim "$T/spool"
chmod 750 "$S"
snap "$T/spool" >"$T/snap0"

unchanged() {	# unchanged DESCRIPTION
	snap "$T/spool" >"$T/snap1"
	same "$T/snap1" "$T/snap0" "the source spool is untouched: $1"
}

# --- a copy out, and its system calls in order --------------------------
# trace OUT ARGS...: spoolcopy-run under strace, its trace in OUT.
trace() {
	_o=$1
	shift
	# LeakSanitizer cannot run under ptrace; the untraced runs check.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	    strace -f -y -qq -o "$_o" -e trace=openat,write,fsync,fdatasync,\
syncfs,rename,renameat,renameat2,link,linkat,unlink,unlinkat,fcntl,\
copy_file_range,mkdirat,pwrite64 "$SR" "$@"
}

# st ARGS...: strace ARGS (fault injection), without LeakSanitizer, which
# cannot run under ptrace.
st() {
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 strace "$@"
}

# order.py TRACE SRC DST [remove]: check the trace, print "ok" or what
# broke the rules.
cat >"$T/order.py" <<'EOF'
import re, sys
trace, src, dst = sys.argv[1:4]
dst = dst.rstrip("/")
remove = len(sys.argv) > 4
lines = [re.sub(r"^\d+\s+", "", l) for l in open(trace).read().splitlines()]
bad = []
def idx(pred):
    return [i for i, l in enumerate(lines) if pred(l)]
def fdpath(l):
    m = re.match(r"\w+\(\d+<([^>]*)>", l)
    return m.group(1) if m else None
ids = sorted(set(re.findall(
    r"([0-9A-Za-z]{6}-[0-9A-Za-z]{6,11}-[0-9A-Za-z]{2,4})-H",
    open(trace).read())))
rn = lambda l: l.startswith(("rename(", "renameat(", "renameat2("))
for id in ids:
    locks = idx(lambda l: l.startswith("fcntl(") and fdpath(l) and
                fdpath(l).endswith("/" + id + "-D") and "F_SETLK" in l)
    hopen = idx(lambda l: l.startswith("openat(") and
                ('"%s-H"' % id) in l and "O_CREAT" not in l)
    if not locks or not hopen:
        bad.append("%s: no lock or no -H read" % id); continue
    want = "l_start=0, l_len=%d" % (len(id) + 3)
    if want not in lines[locks[0]] or "F_WRLCK" not in lines[locks[0]]:
        bad.append("%s: lock %s" % (id, lines[locks[0]]))
    if locks[0] > hopen[0]:
        bad.append("%s: -H read before the lock" % id)
    dren = idx(lambda l: rn(l) and ('"%s-D"' % id) in l)
    hren = idx(lambda l: rn(l) and ('"%s-H"' % id) in l)
    if not dren or not hren:
        bad.append("%s: not renamed" % id); continue
    if not dren[-1] < hren[0]:
        bad.append("%s: -H renamed before -D" % id)
# The batch: data synced, then -D renames, dir fsync, -H renames, fsync.
dr = idx(lambda l: rn(l) and re.search(r'"[^".]*-D"', l))
hr = idx(lambda l: rn(l) and re.search(r'"[^".]*-H"', l))
syncs = idx(lambda l: l.startswith(("syncfs(", "fsync(", "fdatasync(")))
isdir = lambda p: p == dst or re.fullmatch(re.escape(dst) + "/[0-9A-Za-z]", p)
# A directory synced by its fsync, or by a syncfs through it (many
# subdirectories dirty at once).
dsync = idx(lambda l: l.startswith(("fsync(", "syncfs(")) and fdpath(l) and
            isdir(fdpath(l)))
if dr and hr:
    first = min(dr)
    # Each temporary file synced (itself, or by syncfs) after its last
    # write and before the first rename.
    last = {}
    for i, l in enumerate(lines):
        if l.startswith(("write(", "pwrite64(")) and fdpath(l):
            last[fdpath(l)] = i
        m = re.match(r"copy_file_range\(\d+<[^>]*>, \S+, \d+<([^>]*)>", l)
        if m:
            last[m.group(1)] = i
    for p, w in last.items():
        if not p.startswith(dst + "/"):
            continue
        if not [i for i in syncs if w < i < first and
                (lines[i].startswith("syncfs(") or fdpath(lines[i]) == p)]:
            bad.append("%s: not synced before the first rename" % p)
    if not last:
        bad.append("nothing written")
    if not [i for i in dsync if max(dr) < i < min(hr)]:
        bad.append("no directory fsync between the -D and -H renames")
    if not [i for i in dsync if i > max(hr)]:
        bad.append("no directory fsync after the -H renames")
    if max(dr) > min(hr):
        bad.append("a -D renamed after a -H")
    # Every temporary file was written and synced before any rename.
    tmpw = idx(lambda l: l.startswith(("write(", "copy_file_range(",
                                       "pwrite64(")) and dst in l)
    if [i for i in tmpw if i > first]:
        bad.append("written after the renames began")
# Nothing created or written under a final name in the target.
for i, l in enumerate(lines):
    if l.startswith("openat(") and "O_CREAT" in l and \
       not re.search(r'"\.[^"]*\.[0-9A-Za-z]{6}"', l):
        bad.append("created under a final name: " + l)
    if l.startswith(("write(", "pwrite64(")) and fdpath(l) and \
       fdpath(l).startswith(dst) and "/." not in fdpath(l):
        bad.append("written under a final name: " + l)
    if l.startswith("copy_file_range(") and dst in l and \
       not re.search(r"<" + re.escape(dst) + r"[^>]*/\.[^/>]*>", l):
        bad.append("copied under a final name: " + l)
if remove:
    last = max(idx(lambda l: l.startswith(("fsync(", "syncfs(")) and
                   fdpath(l) and fdpath(l).startswith(dst)))
    for id in ids:
        uh = idx(lambda l: l.startswith("unlinkat(") and ('"%s-H"' % id) in l)
        ud = idx(lambda l: l.startswith("unlinkat(") and ('"%s-D"' % id) in l)
        if not uh or not ud:
            bad.append("%s: source not removed" % id); continue
        if not (last < uh[0] < ud[0]):
            bad.append("%s: removed before the target was durable" % id)
    ss = idx(lambda l: l.startswith(("fsync(", "syncfs(")) and fdpath(l) and
             fdpath(l).startswith(src))
    if not ss or ss[-1] < max(idx(lambda l: l.startswith("unlinkat("))):
        bad.append("source directory not synced after the removals")
print("\n".join(bad) if bad else "ok")
EOF
order() {	# order TRACE SRC DST [remove]
	$PY "$T/order.py" "$@"
}

D=$T/out1
mkdir "$D"
trace "$T/tr1" "$S" "$D" $A $B $C >"$T/o1"
is "$?/$(cat "$T/o1")" "0/$A copied 0 -
$B copied 0 -
$C copied 0 -" "three messages copied, split and flat, reported in order"
for m in $A $B $C; do
	src=$S/$m
	[ -e "$src-H" ] || src=$S/3/$m
	cmp -s "$src-D" "$D/$m-D" && cmp -s "$src-H" "$D/$m-H"
	_result $? "$m: -D and -H byte for byte as in the spool"
done
is "$(ls -A "$D" | wc -l)" 6 "six files, no temporary one left"
is "$(stat -c '%a %U:%G' "$D/$A-D" "$D/$A-H" | sort -u)" \
    "640 Debian-exim:Debian-exim" "mode 0640 and the spool's owner"
is "$(order "$T/tr1" "$S" "$D")" ok \
    "a batch: lock before -H, syncfs, -D renames, fsync, -H renames, fsync"
unchanged "after a copy out"

# A batch of one syncs each file, not the filesystem.
mkdir "$T/out2"
trace "$T/tr2" "$S" "$T/out2" $B >/dev/null
is "$(order "$T/tr2" "$S" "$T/out2")" ok "a single message: the same order"
is "$(grep -c '^[0-9]* *fsync(' "$T/tr2")" 4 \
    "and the fsyncs are -D, -H and the directory twice"

# --- exists, --replace, and what a killed run leaves --------------------
run "$SR" "$S" "$D" $A $B
is "$rc/$out" "0/$A copied 0 -
$B copied 0 -" "copying again: the same messages there, done"
printf 'changed\n' >>"$D/$B-D"
run "$SR" "$S" "$D" $A $B
is "$rc" 75 "a target -D that differs: 75"
is "$out" "$A copied 0 -
$B exists 75 '$D/$B-H' exists" "it exists, and says which file"
run "$SR" --replace "$S" "$D" $B
is "$rc/$out" "0/$B copied 0 -" "--replace copies over"
same "$D/$B-D" "$S/$B-D" "the -D replaced"
rm "$D/$C-H"
printf 'half' >"$D/$C-D"
run "$SR" "$S" "$D" $C
is "$rc/$out" "0/$C copied 0 -" \
    "a -D without its -H (a killed run's) is finished without --replace"
same "$D/$C-D" "$S/$C-D" "its -D is the whole one now"
run "$SR" --replace "$S" "$S" $B
is "$rc/$out" "75/" "the source as its own target: refused, nothing done"
like "$err" "^spoolcopy-run: '.*/spool/input' is the source directory$" \
    "with one line saying so"
unchanged "after exists and replace"

# --- temporary files a killed run left ------------------------------------
# Those of the message copied go, before it is written; a name not quite
# of our form, or of another message, stays.
ST=$T/stale
mkdir "$ST"
for f in .$A-D.abc123 .$A-H.XYZ789 .$C-D.000000 .$A-D.abc12 .$A-H.abc1234 \
    .$A-X.abcdef x.$A-D.abcdef .$B-D.abcdef; do
	printf 'stale\n' >"$ST/$f"
done
run "$SR" "$S" "$ST" $A $C
is "$rc/$(ls -A "$ST" | sort | tr '\n' ' ')" "0/.$A-D.abc12 .$A-H.abc1234 \
.$A-X.abcdef .$B-D.abcdef $A-D $A-H $C-D $C-H x.$A-D.abcdef " \
    "a killed run's temporary files of the messages copied removed, only"
unchanged "after stale temporary files"

# --- half messages in the source: missing --------------------------------
H=$T/half
mkdir "$H" "$T/out3"
cp "$FX/$A-D" "$FX/$B-H" "$H/"
run "$SR" "$H" "$T/out3" $A $B $C 1xVXF3-0002Lv-1 NOT/AN-ID-0000-00
is "$rc" 66 "a half message: 66, the first failure's status"
is "$out" "$A missing 66 no -H file '$H/$A-H'
$B missing 66 no -D file '$H/$B-D'
$C missing 66 no such message in '$H'
1xVXF3-0002Lv-1 invalid 65 '1xVXF3-0002Lv-1' is not a message id
NOT/AN-ID-0000-00 invalid 65 'NOT/AN-ID-0000-00' is not a message id" \
    "-D alone, -H alone, neither, ids that are not ids"
is "$(ls -A "$T/out3")" "" "nothing written for any of them"

# --- a corrupt pair is never copied ---------------------------------------
K=$T/corrupt
mkdir "$K" "$T/out3k"
sed 's/^152P Received/153P Received/' "$FX/$A-H" >"$K/$A-H"
cp "$FX/$A-D" "$K/"
cp "$FX/$B-H" "$K/"
sed "1s/.*/$C-D/" "$FX/$B-D" >"$K/$B-D"
cp "$FX/$C-D" "$FX/$C-H" "$K/"
run "$SR" "$K" "$T/out3k" $A $B $C
is "$rc" 65 "a corrupt pair: 65"
like "$(sed -n 1p "$T/out")" "^$A corrupt 65 -H: .+" \
    "a header length one too long: corrupt, with the parser's reason"
like "$(sed -n 2p "$T/out")" "^$B corrupt 65 -D: .+" \
    "a -D whose first line names another id: corrupt"
is "$(sed -n 3p "$T/out")" "$C copied 0 -" "the good one beside them copied"
is "$(ls -A "$T/out3k" | sort | tr '\n' ' ')" "$C-D $C-H " \
    "nothing of the corrupt ones written"

# --- old and new ids ------------------------------------------------------
mk "$T/new" 3 flat new >"$T/newids"
mkdir "$T/out4"
trace "$T/tr4" "$T/new" "$T/out4" <"$T/newids" >"$T/o4"
is "$?/$(awk '{print $2}' "$T/o4" | sort -u)" 0/copied \
    "23-character ids copied"
is "$(order "$T/tr4" "$T/new" "$T/out4")" ok \
    "and locked on their own region, 26 bytes"
ok "a new id's files byte for byte" cmp -s \
    "$T/new/$(head -n 1 "$T/newids")-H" "$T/out4/$(head -n 1 "$T/newids")-H"

# --- --no-lock, and a -D locked by another process ------------------------
trace "$T/tr5" --no-lock "$S" "$T/out5" $B >/dev/null 2>&1
mkdir "$T/out5"
trace "$T/tr5" --no-lock "$S" "$T/out5" $B >/dev/null
is "$(grep -c 'fcntl(.*F_SETLK' "$T/tr5")" 0 "--no-lock takes no lock"
mkfifo "$T/held"
# hold FILE: its first 19 bytes locked as a delivering Exim locks its -D,
# by $lk, until killed.
hold() {
	daemon $PY "$MX_SRCDIR/t/data/spool-faults.py" hold "$1" 19 "$T/held"
	lk=$!
	cat "$T/held" >/dev/null
}
hold "$S/$C-D"
mkdir "$T/out6"
run "$SR" "$S" "$T/out6" $B $C
kill $lk
wait $lk 2>/dev/null
is "$rc" 75 "a -D locked as Exim locks it: 75"
is "$out" "$B copied 0 -
$C locked 75 -D is locked: a delivery is under way" \
    "that one locked, the other copied"
ok "nothing of the locked one written" [ ! -e "$T/out6/$C-D" ]
run "$SR" --no-lock "$S" "$T/out6" $C
is "$rc/$out" "0/$C copied 0 -" "with --no-lock it is copied"

# A reader that may not write the -D read-locks it: a delivery's write
# lock still keeps it out, and the copy is made when none is held.
chmod o+x "$T"
R=$T/ro
mkdir "$R" "$T/out6r"
cp "$FX/$C-D" "$FX/$C-H" "$R/"
chmod 644 "$R"/*
chown nobody "$T/out6r"
nobody() {
	setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}
hold "$R/$C-D"
run nobody "$SR" "$R" "$T/out6r" $C
kill $lk
wait $lk 2>/dev/null
is "$rc/$out" "75/$C locked 75 -D is locked: a delivery is under way" \
    "a -D read-only to us, locked by a delivery: locked"
run nobody "$SR" "$R" "$T/out6r" $C
is "$rc/$out" "0/$C copied 0 -" "and copied once the delivery is over"

# --- link mode ------------------------------------------------------------
mkdir "$T/out7"
run "$SR" --link "$S" "$T/out7" $A $B
is "$rc/$out" "0/$A linked 0 -
$B linked 0 -" "--link on the same filesystem: linked"
is "$(stat -c %i "$T/out7/$B-D")" "$(stat -c %i "$S/$B-D")" \
    "the -D is the spool's inode"
isnt "$(stat -c %i "$T/out7/$B-H")" "$(stat -c %i "$S/$B-H")" \
    "the -H is written, not linked"
mkdir "$T/out8"
run "$SR" --link --mode 0600 "$S" "$T/out8" $B
is "$rc/$out" "0/$B copied 0 -" "--link with another mode: copied"
is "$(stat -c %a "$T/out8/$B-D")" 600 "with that mode"
run "$SR" --link --uid 65534 --gid 65534 "$S" "$T/out9" $B
mkdir "$T/out9"
run "$SR" --link --uid 65534 --gid 65534 "$S" "$T/out9" $B
is "$rc/$out/$(stat -c %U "$T/out9/$B-D")" "0/$B copied 0 -/nobody" \
    "--link with another owner: copied, and chowned"
run "$SR" --link --replace "$S" "$T/out7" $B
is "$rc/$out/$(ls -A "$T/out7" | wc -l)" "0/$B linked 0 -/4" \
    "linked again over its own link: no temporary name left"
if unshare -m true 2>/dev/null; then
	mkdir "$T/tmpfs"
	unshare -m sh -c 'mount -t tmpfs -o size=4m t "$1" &&
	    "$2" --link "$3" "$1" "$4" && stat -c %i "$1/$4-D" &&
	    cmp -s "$1/$4-D" "$3/$4-D" && echo same' sh "$T/tmpfs" "$SR" \
	    "$S" $B >"$T/o10" 2>&1
	is "$(sed -n '1p;3p' "$T/o10")" "$B copied 0 -
same" "--link into a tmpfs (another filesystem): copied"
	isnt "$(sed -n 2p "$T/o10")" "$(stat -c %i "$S/$B-D")" \
	    "not the spool's inode"
else
	skip 2 "no private mount namespace"
fi
unchanged "after link mode"

# --- mode and owner -------------------------------------------------------
mkdir "$T/out11"
run "$SR" --mode 0644 --uid 65534 --gid 65534 "$S" "$T/out11" $A
is "$rc/$(stat -c '%a %U:%G' "$T/out11/$A-D" "$T/out11/$A-H" | sort -u)" \
    "0/644 nobody:nogroup" "--uid/--gid and --mode set both files"
mkdir "$T/out12"
chown nobody:nogroup "$T/out12"
run "$SR" --owner-from-dir "$S" "$T/out12" $A
is "$rc/$(stat -c '%a %U:%G' "$T/out12/$A-D" "$T/out12/$A-H" | sort -u)" \
    "0/640 nobody:nogroup" "owner from the target directory"

# --- split target ---------------------------------------------------------
mkdir "$T/out13"
chmod 750 "$T/out13"
chown Debian-exim:Debian-exim "$T/out13"
trace "$T/tr13" --split --owner-from-dir "$S" "$T/out13" $A $B $C >"$T/o13"
is "$?/$(awk '{print $2}' "$T/o13" | sort -u)" 0/copied "into a split target"
ok "each in its subdirectory" test -f "$T/out13/3/$A-H" -a \
    -f "$T/out13/M/$B-H" -a -f "$T/out13/t/$C-D"
is "$(stat -c '%a %U:%G' "$T/out13/3" "$T/out13/M" "$T/out13/t" | sort -u)" \
    "750 Debian-exim:Debian-exim" "subdirectories made as their parent is"
is "$(order "$T/tr13" "$S" "$T/out13")" ok "the same order into subdirectories"
ok "the parent synced after its new subdirectories" grep -Eq \
    "^[0-9]* *(fsync|syncfs)\([0-9]*<$T/out13(/.)?>" "$T/tr13"
unchanged "after a split copy"

# --- --check --------------------------------------------------------------
mkdir "$T/out14"
trace "$T/tr14" --check "$S" "$T/out14" $A $B $C >"$T/o14"
is "$?/$(cat "$T/o14")" "0/$A ok 0 -
$B ok 0 -
$C ok 0 -" "--check: ok for each"
is "$(ls -A "$T/out14")/$(grep -v '^[0-9]* *write(1<' "$T/tr14" |
    grep -Ec 'O_CREAT|O_WRONLY|rename|link|write\(|sync')" /0 \
    "--check writes nothing, anywhere (but the results on stdout)"

# --- --remove: the way back from an external directory --------------------
X=$T/ext
mk "$X" 5 >"$T/xids"
Q=$T/q/input
mkdir -p "$Q"
trace "$T/tr15" --remove --split "$X" "$Q" <"$T/xids" >"$T/o15"
is "$?/$(awk '{print $2}' "$T/o15" | sort -u)" 0/copied "requeued"
is "$(ls -A "$X")" "" "and the external directory emptied"
is "$(order "$T/tr15" "$X" "$Q" remove)" ok \
    "each -H removed, then its -D, only after the target was durable"
# Killed after its commit, before the sources were removed: the message
# whole in the target and still in the source.  The rerun, without
# --replace, finds the target the source's byte for byte and removes the
# source; a target that differs in a byte is another message: exists.
X2=$T/ext2
Q2=$T/q2/input
mk "$X2" 4 >"$T/x2ids"
mkdir -p "$Q2"
"$SR" --split "$X2" "$Q2" <"$T/x2ids" >/dev/null
set -- $(cat "$T/x2ids")
printf 'x' >>"$(find "$Q2" -name "$3-D")"
find "$Q2" -name "$4-H" -exec sed -i '$s/a/b/' {} \;
(cd "$Q2" && find . -type f -exec md5sum {} + | sort) >"$T/q2.0"
run "$SR" --remove --split "$X2" "$Q2" $1 $2 $3 $4
is "$rc/$out" "75/$1 copied 0 -
$2 copied 0 -
$3 exists 75 '$(find "$Q2" -name "$3-H")' exists
$4 exists 75 '$(find "$Q2" -name "$4-H")' exists" \
    "--remove, the target has it whole: done; a byte differs: exists"
is "$(ls -A "$X2" | sort | tr '\n' ' ')" "$3-D $3-H $4-D $4-H " \
    "--remove: the sources of those in place removed, the others kept"
(cd "$Q2" && find . -type f -exec md5sum {} + | sort) >"$T/q2.1"
same "$T/q2.1" "$T/q2.0" "--remove: the target left as it was"

# --- a batch of 300: every message reported, in order --------------------
mk "$T/many" 300 split >"$T/ids"
sort -r "$T/ids" >"$T/rids"
mkdir "$T/out16"
run "$SR" "$T/many" "$T/out16" <"$T/rids"
is "$rc" 0 "300 messages, ids on stdin"
is "$(awk '{print $1}' "$T/out")" "$(cat "$T/rids")" \
    "reported in the order given"
is "$(ls "$T/out16" | wc -l)" 600 "600 files"
mkdir "$T/out17"
run "$SR" --all --link "$T/many" "$T/out17"
is "$rc/$(awk '{print $1}' "$T/out" | sort | uniq | wc -l)" 0/300 \
    "--all: 300 messages, each once"
is "$(awk '{print $2}' "$T/out" | sort -u)" linked "all linked"

# --- a split subdirectory made whole, or put right ----------------------
# Killed as it gives a new subdirectory its owner: the rerun leaves it
# the input directory's (Debian-exim, 0750), and Exim lists the messages.
. "$MX_SRCDIR/t/exim-spool.sh"
if need_exim 2>/dev/null && exim_spool_new "$T/ex" --split; then
	mk "$T/exsrc" 3 >"$T/exids"
	EQ=$EXSPOOL_INPUT
	mkdir -p "$EQ"
	chown Debian-exim:Debian-exim "$EQ"
	chmod 750 "$EQ"
	st -f -qq -o /dev/null -e inject=fchown:signal=KILL:when=1 \
	    "$SR" --split --owner-from-dir "$T/exsrc" "$EQ" \
	    <"$T/exids" >/dev/null 2>&1
	run "$SR" --split --owner-from-dir "$T/exsrc" "$EQ" <"$T/exids"
	is "$rc/$(awk '{print $2}' "$T/out" | sort -u)" 0/copied \
	    "split: the rerun after a kill at a subdirectory's fchown"
	is "$(find "$EQ" -mindepth 1 -type d -name '[!.]*' \
	    -printf '%m %u:%g\n' | sort -u)" \
	    "750 Debian-exim:Debian-exim" \
	    "every subdirectory the input directory's owner and mode"
	is "$(exim_spool_run -bp | awk 'NF > 2 {print $3}' | sort)" \
	    "$(sort "$T/exids")" "and Exim lists the messages"
	# One root's already, a run before this fix: put right.
	mk "$T/exsrc2" 1 >"$T/exids2"
	chown root:root "$EQ/0"
	chmod 700 "$EQ/0"
	run "$SR" --split --owner-from-dir --replace "$T/exsrc2" "$EQ" \
	    <"$T/exids2"
	is "$rc/$(stat -c '%a %U:%G' "$EQ/0")" "0/750 Debian-exim:Debian-exim" \
	    "a subdirectory of another owner and mode put right"
else
	skip 4 "no Exim spool"
fi

# --- copy_file_range saying 0, and a -D that ends early or grows --------
# 0 at the start: copied by read and write instead; the source ending
# before its size (a pread of 0) or going on after it: "failed", nothing
# under a final name.
mkdir "$T/out19"
st -qq -o /dev/null -e inject=copy_file_range:retval=0 \
    "$SR" "$S" "$T/out19" $B >"$T/o19" 2>&1
is "$?/$(cat "$T/o19")" "0/$B copied 0 -" \
    "copy_file_range returning 0: copied all the same"
same "$T/out19/$B-D" "$S/$B-D" "its -D whole, not empty"
for w in 2:0:"ends early" 3:1:grows; do
	rm -f "$T/out19"/*
	st -qq -o /dev/null -P "$S/$B-D" \
	    -e trace=pread64,copy_file_range \
	    -e inject=copy_file_range:retval=0 \
	    -e inject=pread64:retval=$(echo $w | cut -d: -f2):when=${w%%:*} \
	    "$SR" "$S" "$T/out19" $B >"$T/o19" 2>/dev/null
	is "$?/$(cat "$T/o19")/$(ls -A "$T/out19")" "75/$B failed 75 short \
copy of '$S/$B-D': not the $(stat -c %s "$S/$B-D") bytes it had when opened/" \
	    "a -D that ${w##*:}: failed, nothing written"
done

# --- the source as the target, by a split subdirectory -------------------
# From a spool's split subdirectory into that spool, split: each message's
# target directory is its source's.  Refused before anything is done.
mk "$T/same/input" 3 split >"$T/sameids"
snap "$T/same" >"$T/same0"
Y=$(head -c 6 "$T/sameids" | tail -c 1)
run "$SR" --split --replace --remove --all "$T/same/input/$Y" \
    "$T/same/input"
is "$rc/$out" "75/" "from SPOOL/input/X into SPOOL/input: refused"
like "$err" "is the source directory$" "with one line saying so"
run "$SR" --replace "$T/same/input" "$T/same/input/$Y" $(head -n 1 \
    "$T/sameids")
is "$rc/$out" "75/" "from SPOOL/input into SPOOL/input/X: refused"
snap "$T/same" >"$T/same1"
same "$T/same1" "$T/same0" "the source untouched"
# A target's split subdirectory that is the source's (a bind mount, which
# the two tops do not show): that message failed as it comes to it, the
# others copied, nothing written into the source.
mk "$T/bs" 3 split >"$T/bsids"
mkdir -p "$T/bt/0"
snap "$T/bs" >"$T/bs0"
run unshare -m sh -c 'mount --bind "$1/bs/0" "$1/bt/0" && shift &&
    exec "$@"' sh "$T" "$SR" --split "$T/bs" "$T/bt" <"$T/bsids"
is "$rc/$out" "75/$(sed -n 1p "$T/bsids") failed 75 source and target are \
the same directory '$T/bt/0/.'
$(sed -n 2p "$T/bsids") copied 0 -
$(sed -n 3p "$T/bsids") copied 0 -" \
    "a target subdirectory bind-mounted on the source's: that one failed"
snap "$T/bs" >"$T/bs1"
same "$T/bs1" "$T/bs0" "the source untouched"

# --- a message already queued in the other layout ------------------------
# Requeued flat, then split: the second run finds it flat ("exists"); with
# --replace it is replaced where it is, never in both places.
mk "$T/lay" 2 >"$T/layids"
mkdir -p "$T/lays/input"
"$SR" "$T/lay" "$T/lays/input" <"$T/layids" >/dev/null
run "$SR" --split "$T/lay" "$T/lays/input" <"$T/layids"
is "$rc/$(awk '{print $2}' "$T/out" | sort -u)" 0/copied \
    "queued flat, requeued split: there byte for byte, done"
is "$(cd "$T/lays/input" && find . -name '*-H' | sort | tr '\n' ' ')" \
    "$(sed 's|^|./|; s|$|-H|' "$T/layids" | tr '\n' ' ')" \
    "done where it was, flat, and nowhere else"
while read -r i; do
	printf 'x' >>"$T/lays/input/$i-D"
done <"$T/layids"
run "$SR" --split "$T/lay" "$T/lays/input" <"$T/layids"
is "$rc/$(awk '{print $2}' "$T/out" | sort -u)" 75/exists \
    "queued flat with another -D, requeued split: exists"
run "$SR" --split --replace "$T/lay" "$T/lays/input" <"$T/layids"
is "$rc/$(awk '{print $2}' "$T/out" | sort -u)" 0/copied \
    "with --replace: replaced"
is "$(cd "$T/lays/input" && find . -name '*-H' | sort | tr '\n' ' ')" \
    "$(sed 's|^|./|; s|$|-H|' "$T/layids" | tr '\n' ' ')" \
    "where it was, flat, and nowhere else"
mkdir -p "$T/lays2/input"
"$SR" --split "$T/lay" "$T/lays2/input" <"$T/layids" >/dev/null
while read -r i; do
	printf 'x' >>"$T/lays2/input/$(printf %s "$i" | cut -c6)/$i-D"
done <"$T/layids"
run "$SR" "$T/lay" "$T/lays2/input" <"$T/layids"
is "$rc/$(awk '{print $2}' "$T/out" | sort -u)" 75/exists \
    "queued split with another -D, requeued flat: exists"

# --- --replace of a target being delivered --------------------------------
# The target -D locked as a delivering Exim locks it: "locked", the target
# as it was (Exim would unlink the new files once done).
mkdir "$T/out20"
"$SR" "$S" "$T/out20" $B >/dev/null
printf 'old\n' >>"$T/out20/$B-D"
(cd "$T/out20" && md5sum $B-D $B-H) >"$T/rep0"
hold "$T/out20/$B-D"
run "$SR" --replace "$S" "$T/out20" $B
kill $lk
wait $lk 2>/dev/null
is "$rc/$out" "75/$B locked 75 '$T/out20/$B-D' is locked: a delivery is \
under way" "--replace of a target -D being delivered: locked"
(cd "$T/out20" && md5sum $B-D $B-H) >"$T/rep1"
same "$T/rep1" "$T/rep0" "the target left as it was"
run "$SR" --replace "$S" "$T/out20" $B
is "$rc/$out" "0/$B copied 0 -" "and replaced once the delivery is over"

# --- --link of a -D whose name is swapped once opened ----------------------
# The name swapped for another file while the link is made: the target is
# still the inode opened, locked and validated; linked while it has a name
# somewhere, else copied from the descriptor.
SW=$T/swap
mkdir "$SW" "$T/out21"
cp "$FX/$B-D" "$FX/$B-H" "$SW/"
chmod 640 "$SW"/*
ino=$(stat -c %i "$SW/$B-D")
for keep in yes no; do
	rm -f "$T/out21"/* "$T/keep"
	[ $keep = yes ] && ln "$SW/$B-D" "$T/keep"
	printf 'other\n' >"$T/other-D"
	st -qq -o /dev/null -e inject=linkat:delay_enter=600000 \
	    "$SR" --link "$SW" "$T/out21" $B >"$T/o21" 2>&1 &
	sw=$!
	sleep 0.3
	mv "$T/other-D" "$SW/$B-D"
	wait $sw
	rc=$?
	if [ $keep = yes ]; then
		is "$rc/$(cat "$T/o21")/$(stat -c %i "$T/out21/$B-D")" \
		    "0/$B linked 0 -/$ino" \
		    "--link: the inode opened, not what its name became"
	else
		is "$rc/$(cat "$T/o21")" "0/$B copied 0 -" \
		    "--link, the inode opened since removed: copied from it"
	fi
	ok "its bytes the message's" cmp -s "$T/out21/$B-D" "$FX/$B-D"
	cp "$FX/$B-D" "$SW/"
done

# --- symbolic links in the source and the target -------------------------
# A split subdirectory that is a link (the spool's owner can make one):
# never followed, reading or writing; a -D or -H that is one: corrupt.
mk "$T/slreal" 2 split >"$T/slids"
set -- $(cat "$T/slids")
mkdir -p "$T/sl/input" "$T/slq"
ln -s "$T/slreal/0" "$T/sl/input/0"
run "$SR" --remove --all "$T/sl/input" "$T/slq"
is "$rc/$out" "75/" "--all: a split subdirectory that is a link not listed"
is "$err" "spoolcopy-run: cannot open directory '$T/sl/input/0': a symbolic \
link" "with one line saying so"
run "$SR" --remove "$T/sl/input" "$T/slq" $1
is "$rc/$out" "75/$1 failed 75 cannot open directory '$T/sl/input/0/.': a \
symbolic link" "by id: failed, the link named"
ok "nothing removed through it" test -f "$T/slreal/0/$1-H"
mkdir "$T/elsewhere"
ln -s "$T/elsewhere" "$T/slq/1"
run "$SR" --split "$T/slreal" "$T/slq" $2
is "$rc/$(awk '{print $2, $3}' "$T/out")/$(ls -A "$T/elsewhere")" \
    "75/failed 75/" "a target split subdirectory that is a link: failed"
mkdir "$T/sld"
cp "$FX/$B-H" "$T/sld/"
ln -s "$FX/$B-D" "$T/sld/$B-D"
cp "$FX/$C-D" "$T/sld/"
ln -s "$FX/$C-H" "$T/sld/$C-H"
run "$SR" "$T/sld" "$T/slq" $B $C
is "$rc/$out" "65/$B corrupt 65 '$T/sld/$B-D' is a symbolic link
$C corrupt 65 '$T/sld/$C-H' is a symbolic link" \
    "a -D or a -H that is a link: corrupt"

# --- a subdirectory that cannot be read, a source that vanishes -----------
# --all lists the others, does them, and exits 75 saying which; a message
# whose directory was removed under the run is failed (75), not missing.
mk "$T/ul" 2 split >"$T/ulids"
set -- $(cat "$T/ulids")
chmod 644 "$T"/ul/*/*
mkdir "$T/ulq"
chown nobody "$T/ulq"
chmod 000 "$T/ul/0"
run nobody "$SR" --all "$T/ul" "$T/ulq"
chmod 755 "$T/ul/0"
is "$rc/$out" "75/$2 copied 0 -" \
    "--all with an unreadable subdirectory: the others done, 75"
like "$err" "^spoolcopy-run: cannot open directory '$T/ul/0': Permission" \
    "and one line saying which"
mk "$T/gone" 3 >"$T/goneids"
mkdir "$T/goneq"
st -qq -o /dev/null -P "$T/gone/$(head -n 1 "$T/goneids")-D" \
    -e trace=fcntl -e inject=fcntl:delay_enter=600000:when=1 \
    "$SR" "$T/gone" "$T/goneq" <"$T/goneids" >"$T/ogone" 2>&1 &
gp=$!
sleep 0.3
rm -rf "$T/gone"
wait $gp
is "$?/$(sed 1d "$T/ogone" | awk '{print $2, $3}' | sort -u)" \
    "75/failed 75" "the source directory removed mid-run: failed, 75"
like "$(sed -n 2p "$T/ogone")" "directory '$T/gone/\.' removed$" \
    "saying so"

# --- SIGTERM during the renames --------------------------------------------
# Held from the first rename until every result is out: what the results
# say is what the target holds.
mk "$T/term" 5 >"$T/termids"
mkdir "$T/termq"
st -f -qq -o /dev/null -e inject=renameat2:signal=TERM:when=3 \
    "$SR" "$T/term" "$T/termq" <"$T/termids" >"$T/oterm" 2>/dev/null
is "$?/$(grep -c ' copied 0 -$' "$T/oterm")/$(ls "$T/termq" | grep -c -- -H)" \
    "143/5/5" "SIGTERM at the third -H rename: every message reported, then \
ended"

# --- few descriptors ---------------------------------------------------------
# A batch bounded by the descriptors the process may open; and where the
# caller holds more than was left for it, a message out of them commits
# the batch and is tried once more.
mk "$T/fds" 150 split >"$T/fdsids"
mkdir "$T/fdsq" "$T/fdsq2"
run sh -c 'ulimit -n 40 && exec "$@"' sh "$SR" --all "$T/fds" "$T/fdsq"
is "$rc/$(awk '{print $2}' "$T/out" | sort | uniq -c | tr -s ' ')" \
    "0/ 150 copied" "ulimit -n 40: every message copied, none failed"
run $PY -c 'import os, resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
for i in range(40):
    os.set_inheritable(os.open("/dev/null", os.O_RDONLY), True)
os.execv(sys.argv[1], sys.argv[1:])' "$SR" "$T/fds" "$T/fdsq2" <"$T/fdsids"
is "$rc/$(awk '{print $2}' "$T/out" | sort | uniq -c | tr -s ' ')" \
    "0/ 150 copied" "40 descriptors held by the caller: copied all the same"
is "$(awk '{print $1}' "$T/out")" "$(cat "$T/fdsids")" "in order"

# --- large -H files: a batch committed once it holds 8 MB of them ----------
mkdir "$T/bigh" "$T/bighq"
$PY -c 'import sys
fx, out, old = sys.argv[1], sys.argv[2], "1xVXF3-0002Lv-1w"
h = open(fx + "/" + old + "-H", "rb").read()
d = open(fx + "/" + old + "-D", "rb").read()
pad = b"X-Pad: " + b"x" * (1024 * 1024) + b"\n"
for k in range(24):
    new = "1x00%02d-0002Lv-1w" % k
    open(out + "/" + new + "-H", "wb").write(h.replace(old.encode(),
        new.encode()) + b"%03d  " % len(pad) + pad)
    open(out + "/" + new + "-D", "wb").write(d.replace(old.encode(),
        new.encode()))' "$FX" "$T/bigh"
trace "$T/tr22" --all "$T/bigh" "$T/bighq" >"$T/o22"
is "$?/$(awk '{print $2}' "$T/o22" | sort | uniq -c | tr -s ' ')" \
    "0/ 24 copied" "24 messages with a 1 MB -H each copied"
is "$(grep -c '^[0-9]* *syncfs(' "$T/tr22")" 3 \
    "in three batches of 8 MB of -H, not one of 24 MB"

# --- work done once --------------------------------------------------------
# A flat source into a flat target: a split subdirectory found missing is
# looked for once a batch on each side, not once a message (124 messages,
# two to each of the 62).  And a rerun that finds each message there, its
# -D the source's inode, says linked.
mk "$T/once" 124 >"$T/onceids"
mkdir "$T/onceq"
trace "$T/trw" "$T/once" "$T/onceq" <"$T/onceids" >/dev/null
is "$(grep -c 'openat([^"]*"[0-9A-Za-z]", .*ENOENT' "$T/trw")" 124 \
    "a missing subdirectory: opened once a batch on each side"
mkdir "$T/onceq2"
"$SR" --link "$T/once" "$T/onceq2" <"$T/onceids" >/dev/null
run "$SR" --link "$T/once" "$T/onceq2" <"$T/onceids"
is "$rc/$(awk '{print $2}' "$T/out" | sort | uniq -c | tr -s ' ')" \
    "0/ 124 linked" "a rerun over its own links: linked, done"

# --- out of memory -------------------------------------------------------------
# The run's fault, not the message's: 75, which a pipe transport defers
# (70 would bounce it).  A 40 MB -H read under a 30 MB address space.
mkdir "$T/oom" "$T/oomq"
cp "$FX/$B-D" "$T/oom/"
truncate -s 40M "$T/oom/$B-H"
if sanitized; then	# ASan reserves terabytes of address space
	skip 1 "ulimit -v under the sanitizers"
else
	run sh -c 'ulimit -v 30000 && exec "$@"' sh "$SR" "$T/oom" "$T/oomq" $B
	is "$rc/$out" "75/$B failed 75 out of memory" \
	    "out of memory reading -H: failed, 75"
fi

# --- a 200 MB -D in flat memory ------------------------------------------
if [ -x /usr/bin/time ]; then
	big=$T/big
	mkdir "$big" "$T/out18"
	cp "$FX/$B-H" "$big/"
	{ printf '%s-D\n' $B; head -c 200000000 /dev/zero | tr '\0' x; } \
	    >"$big/$B-D"
	/usr/bin/time -v "$SR" "$big" "$T/out18" $B >"$T/o18" 2>"$T/time18"
	is "$?/$(cat "$T/o18")" "0/$B copied 0 -" "a 200 MB -D copied"
	ok "byte for byte" cmp -s "$big/$B-D" "$T/out18/$B-D"
	rss=$(awk -F': ' '/Maximum resident/ {print $2}' "$T/time18")
	diag "max RSS ${rss} kB"
	if sanitized; then	# ASan's shadow memory is no figure of ours
		skip 1 "max RSS under sanitizers"
	else
		ok "in flat memory (max RSS $rss kB < 8 MB)" [ "$rss" -lt 8192 ]
	fi
	rm -rf "$big" "$T/out18"
else
	skip 3 "no GNU time"
fi

unchanged "at the end"
done_testing
