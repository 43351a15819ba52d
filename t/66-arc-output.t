#!/bin/sh
# arc-sign -o/--output-dir: each failure names the message and the target
# and costs none of the others; the data is durable before any rename and
# the directory after the last (one flush for the batch, seen with
# strace); a signal leaves no temporary file and no partial file.  And
# what a seal may carry: an AAR a peer keeps whole, a header section
# arc-verify reads, a chain of 50 sets at most, counted as it is.
. "$MX_SRCDIR/t/lib.sh"
need openssl

T0=1700000000
ZONE=$T/zone
rsa_key "$T/k.pem" 1024 || skip_all "openssl cannot make keys"
"$MX_SRCDIR/t/data/arc-zone" s1._domainkey.d1.example="$T/k.pem" \
    >"$ZONE" || skip_all "arc-zone failed"

sign() {	# sign ARGS...: arc-sign as d1.example at $T0
	run arc-sign -d d1.example -s s1 -k "$T/k.pem" --time "$T0" "$@"
}

# msg FILE [LINES]: a message with an A-R of ours, LINES body lines.
msg() {
	{
		printf 'Authentication-Results: d1.example; spf=pass '
		printf 'smtp.mailfrom=%s\n' "$(basename "$1")@a.example"
		printf 'From: a@a.example\nTo: b@b.example\n'
		printf 'Subject: %s\n\n' "$(basename "$1")"
		awk -v n="${2:-3}" 'BEGIN { for (i = 0; i < n; i++)
			printf "line %d of the body, to make it longer\n", i }'
	} >"$1"
}

# passes FILE...: how many arc-verify passes.
passes() {
	arc-verify --dns-zone "$ZONE" --time "$T0" "$@" 2>/dev/null |
	    grep -c 'arc_state=pass$'
}

# hidden DIR: the temporary files left in DIR, one line.
hidden() {
	(cd "$1" && ls -A | grep '^\.' | tr '\n' ' ')
}

mkdir "$T/in" "$T/o"
for i in 1 2 3 4; do
	msg "$T/in/$i.eml"
done

# --- a batch ------------------------------------------------------------------
sign -o "$T/o" "$T/in/1.eml" "$T/in/2.eml" "$T/in/3.eml"
is "$rc:$err" "0:" "-o: exit 0, nothing on stderr"
is "$(passes "$T"/o/*)" 3 "-o: each file written verifies as pass"
is "$(hidden "$T/o")" "" "-o: no temporary file left"

# A log reader gone (stderr a closed pipe) under -v: no death by SIGPIPE
# half way, which left temporary files behind.
mkdir "$T/o2"
closed_stderr arc-sign -v -d d1.example -s s1 -k "$T/k.pem" --time "$T0" \
    -o "$T/o2" "$T/in/1.eml" "$T/in/2.eml" "$T/in/3.eml"
is "$?" 0 "-v, stderr a closed pipe: exit 0"
is "$(passes "$T"/o2/*)" 3 "  each message written"
is "$(hidden "$T/o2")" "" "  no temporary file left"

# A name as long as a file name may be (255 bytes): its temporary file's
# name is cut to fit.
long=$(printf 'n%.0s' $(seq 1 255))
cp "$T/in/1.eml" "$T/$long"
mkdir "$T/o3"
sign -o "$T/o3" "$T/$long"
is "$rc:$err" "0:" "-o, a 255-byte file name: written"
is "$(passes "$T/o3/$long")" 1 "  and it verifies"

# --- one failure, named, and the rest written -------------------------------
rm -f "$T"/o/*
mkdir "$T/o/2.eml"
sign -o "$T/o" "$T/in/1.eml" "$T/in/2.eml" "$T/in/3.eml"
is "$rc" 73 "a name taken by a directory: exit 73"
one_line_error arc-sign "a name taken by a directory: one line"
is "$err" "arc-sign: cannot write '$T/in/2.eml' to '$T/o/2.eml': Is a \
directory" "a name taken by a directory: names the message and the target"
is "$(passes "$T/o/1.eml" "$T/o/3.eml")" 2 \
    "a name taken by a directory: the others written"
is "$(hidden "$T/o")" "" "a name taken by a directory: no temporary file"
rmdir "$T/o/2.eml"

# A full file system: a small tmpfs, in a mount namespace of our own.
msg "$T/in/big.eml" 8000
FULL=$T/full
mkdir "$FULL"
if unshare -m sh -c "mount -t tmpfs -o size=128k mxkit '$FULL' 2>/dev/null" \
    2>/dev/null; then
	unshare -m sh -c '
		mount -t tmpfs -o size=128k mxkit "$1" || exit 99
		arc-sign -d d1.example -s s1 -k "$2/k.pem" --time "$3" \
		    -o "$1" "$2/in/1.eml" "$2/in/big.eml" "$2/in/3.eml" \
		    >"$2/out.full" 2>"$2/err.full"
		echo $? >"$2/rc.full"
		cp "$1"/*.eml "$2/o/"
		(cd "$1" && ls -A) >"$2/ls.full"' sh "$FULL" "$T" "$T0"
	rm -f "$T/o/big.eml"
	is "$(cat "$T/rc.full")" 73 "no space left: exit 73"
	err=$(cat "$T/err.full")
	one_line_error arc-sign "no space left: one line"
	is "$err" "arc-sign: cannot write '$T/in/big.eml' to '$FULL/big.eml': \
No space left on device" "no space left: names the message and the target"
	is "$(tr '\n' ' ' <"$T/ls.full")" "1.eml 3.eml " \
	    "no space left: the others written, no temporary file"
	is "$(passes "$T/o/1.eml" "$T/o/3.eml")" 2 \
	    "no space left: the others verify as pass"
else
	skip 5 "no mount namespace with a tmpfs here (needs root)"
fi

# --- durability: the data before any rename, the directory after the last --
# trace FILE...: arc-sign -o's calls, one letter each (S syncfs, F fsync
# of a file, D fsync of the directory, R rename), a colon, its status.
trace() {
	rm -f "$T"/o/*
	# LeakSanitizer cannot work under ptrace.
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	    strace -f -y -o "$T/trace" \
	    -e trace=fsync,fdatasync,syncfs,rename,renameat,renameat2 \
	    arc-sign -d d1.example -s s1 -k "$T/k.pem" --time "$T0" \
	    -o "$T/o" "$@" 2>"$T/err" >/dev/null
	rc=$?
	awk -v out="$T/o" -v rc="$rc" '
		/ syncfs\(/ { printf "S" }
		/ f(data)?sync\(/ { printf (index($0, "<" out ">") ? "D" : "F") }
		/ rename(at2?)?\(/ { printf "R" }
		END { print ":" rc }' "$T/trace"
}
if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
	is "$(trace "$T"/in/[1234].eml)" "SRRRRD:0" \
	    "4 files: one syncfs, the renames, one directory fsync"
	is "$(passes "$T"/o/*)" 4 "4 files: each verifies as pass"
	is "$(trace "$T/in/1.eml")" "FRD:0" \
	    "1 file: its fsync, the rename, the directory fsync"
else
	skip 3 "strace missing or not permitted"
fi

# --- signals: no temporary file, no partial file ----------------------------
# A batch long enough to be killed in the middle of, at a random point in
# each run, by SIGTERM, SIGINT or SIGHUP in turn; whatever was written
# must be byte for byte what a whole run writes.
mkdir "$T/many" "$T/whole" "$T/killed"
i=0
while [ "$i" -lt 150 ]; do
	msg "$T/many/m$i.eml" 60
	i=$((i + 1))
done
start=$(date +%s%N)
arc-sign -d d1.example -s s1 -k "$T/k.pem" --time "$T0" -o "$T/whole" \
    "$T"/many/*.eml 2>/dev/null
is "$?:$(ls "$T/whole" | wc -l)" "0:150" "a whole run of 150 messages"
ms=$((($(date +%s%N) - start) / 1000000 + 20))
run=0 killed=0 left= partial=
while [ "$run" -lt 18 ]; do
	case $((run % 3)) in
	0) sig=TERM ;;
	1) sig=INT ;;
	2) sig=HUP ;;
	esac
	rm -rf "$T/killed"
	mkdir "$T/killed"
	# A background job starts with SIGINT ignored: give it back.
	env --default-signal=INT arc-sign -d d1.example -s s1 \
	    -k "$T/k.pem" --time "$T0" -o "$T/killed" "$T"/many/*.eml \
	    2>/dev/null &
	pid=$!
	sleep "$(awk -v r="$run" -v ms="$ms" 'BEGIN { srand(r + 7)
		printf "%.3f", rand() * ms * 0.9 / 1000 }')"
	kill -s "$sig" "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	[ $? -gt 128 ] && killed=$((killed + 1))
	h=$(hidden "$T/killed")
	[ -z "$h" ] || left="$left $sig:$h"
	for f in "$T"/killed/*.eml; do
		[ -e "$f" ] || continue
		cmp -s "$f" "$T/whole/$(basename "$f")" ||
		    partial="$partial $sig:$(basename "$f")"
	done
	run=$((run + 1))
done
diag "$killed of $run runs killed before they ended"
ok "some runs killed half way ($killed of $run)" [ "$killed" -ge 2 ]
is "$left" "" "killed by a signal: no temporary file left"
is "$partial" "" "killed by a signal: no partial file under a final name"

# --- what a seal may carry ----------------------------------------------------
# ars FILE N: a message with N A-R fields of ours, each different.
ars() {
	awk -v n="$2" 'BEGIN { for (i = 0; i < n; i++)
		printf "Authentication-Results: d1.example; spf=pass " \
		    "smtp.mailfrom=s%d\n", i }' >"$1"
	printf 'From: a@a.example\nSubject: many\n\nbody\n' >>"$1"
}
ars "$T/ar2000" 2000
sign "$T/ar2000"
cp "$T/out" "$T/ar2000.sealed"
is "$rc:$err" "0:" "2000 A-R fields of ours: sealed"
is "$(passes "$T/ar2000.sealed")" 1 "2000 A-R fields of ours: verifies as pass"
ars "$T/ar15000" 15000
sign "$T/ar15000"
is "$rc" 65 "15000 A-R fields of ours: exit 65"
one_line_error arc-sign "15000 A-R fields of ours: one line"
like "$err" "^arc-sign: cannot seal '.*/ar15000': 15000 \
Authentication-Results fields of 'd1.example' would make an \
ARC-Authentication-Results of [0-9]+ bytes, over 102400$" \
    "15000 A-R fields of ours: says why"
is "$(wc -c <"$T/out")" 0 "15000 A-R fields of ours: nothing on stdout"
sign -o "$T/o" "$T/ar15000"
is "$rc:$(ls "$T/o" | grep -c ar15000)" "65:0" \
    "15000 A-R fields of ours, -o: exit 65, nothing written"

# A header section 500 bytes short of 1 MiB, which the set takes over.
{
	echo 'Authentication-Results: d1.example; spf=pass'
	awk 'BEGIN { for (i = 0; i < 15188; i++)
		printf "X-Filler: %058d\n", i }'
	printf 'From: a@a.example\nSubject: big\n\nbody\n'
} >"$T/bighead"
sign "$T/bighead"
is "$rc:$(wc -c <"$T/out")" "65:0" \
    "a set that takes the header past 1 MiB: exit 65, nothing on stdout"
like "$err" "^arc-sign: cannot seal '.*/bighead': the header section would \
grow to [0-9]+ bytes, over 1048576$" "a header past 1 MiB: says why"
# --filter: a message too big to seal goes on unchanged, exit 0.
for f in ar15000 bighead; do
	sign --filter "$T/$f"
	is "$rc" 0 "$f, --filter: exit 0"
	same "$T/out" "$T/$f" "$f, --filter: the message as it came"
	like "$err" "^arc-sign: no ARC set added to '.*/$f': " \
	    "$f, --filter: says why"
done

# 60 sets: the count as it is.  Sets 51 to 60 are copies of set 50 with
# i= changed; what counts is the number, not the signatures.
cp "$T/in/1.eml" "$T/l0"
i=0
while [ "$i" -lt 50 ]; do
	{ echo 'Authentication-Results: d1.example; arc=pass'; cat "$T/l$i"; } |
	    arc-sign -d d1.example -s s1 -k "$T/k.pem" --time "$T0" \
	    >"$T/l$((i + 1))" 2>/dev/null || break
	rm -f "$T/l$i"
	i=$((i + 1))
done
awk 'BEGIN { n = 0 } /^[^ \t]/ { top = n++ < 3 } top' "$T/l50" >"$T/set50"
{
	echo 'Authentication-Results: d1.example; arc=pass'
	for j in 60 59 58 57 56 55 54 53 52 51; do
		sed "s/i=50;/i=$j;/" "$T/set50"
	done
	cat "$T/l50"
} >"$T/l60"
sign "$T/l60"
is "$rc" 1 "60 sets: exit 1"
same "$T/out" "$T/l60" "60 sets: written unchanged"
is "$err" "arc-sign: no ARC set added to '$T/l60': the chain has 60 ARC \
sets, more than the 50 allowed" "60 sets: says 60"
{ echo 'Authentication-Results: d1.example; arc=pass'; cat "$T/l50"; } \
    >"$T/l50a"
sign "$T/l50a"
is "$rc:$err" "1:arc-sign: no ARC set added to '$T/l50a': the chain has 50 \
ARC sets, the most allowed" "50 sets: exit 1, says 50 is the most"

done_testing
