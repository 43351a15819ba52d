#!/bin/sh
# DMARC history: records as Debian's opendmarc-import loads them into a
# MariaDB server that this test starts (its own data directory, a free
# port on 127.0.0.1), every column checked against what the record said;
# values that would cut a line or forge one; many processes appending at
# once, every record exactly once and whole; a lock held by another
# process waited for; the data durable before the lock goes (strace); a
# full disk leaving nothing partial; a history that is no regular file.
# Then the cron jobs: scripts/dmarc-history-cron rotating under writers
# and importing from two hosts into one server, and scripts/psl-update.
# Last, a history written by tools/dmarc-check itself.
. "$MX_SRCDIR/t/lib.sh"
. "$MX_SRCDIR/t/mariadb.sh"
need_mariadb

DT=$MX_BUILDDIR/t/unit/dmarcreport-test
HP=$MX_SRCDIR/t/data/dmarc-history.py
export LC_ALL=C

# expect TABLE FILE...: the rows the history files must give.
expect() {
	"$PY" "$HP" "$@" | sort
}

# rows TABLE: the rows the server holds, in dmarc-history.py's shape.
rows() {
	case $1 in
	messages) q="SELECT m.jobid, r.name, UNIX_TIMESTAMP(m.date), i.addr,
		e.name, f.name, p.name, m.policy, m.disp, m.spf, m.align_dkim,
		m.align_spf, m.sigcount, m.arc, m.arc_policy
		FROM messages m JOIN reporters r ON r.id = m.reporter
		JOIN ipaddr i ON i.id = m.ip
		JOIN domains e ON e.id = m.env_domain
		JOIN domains f ON f.id = m.from_domain
		JOIN domains p ON p.id = m.policy_domain" ;;
	jobs) q="SELECT r.name, m.jobid FROM messages m
		JOIN reporters r ON r.id = m.reporter" ;;
	signatures) q="SELECT m.jobid, d.name, COALESCE(s.name, '-'), g.pass,
		g.error FROM signatures g JOIN messages m ON m.id = g.message
		JOIN domains d ON d.id = g.domain
		LEFT JOIN selectors s ON s.id = g.selector" ;;
	arcseals) q="SELECT m.jobid, a.instance, d.name, s.name
		FROM arcseals a JOIN messages m ON m.id = a.message
		JOIN domains d ON d.id = a.domain
		JOIN selectors s ON s.id = a.selector" ;;
	arcauthresults) q="SELECT m.jobid, a.instance, a.arc_client_addr
		FROM arcauthresults a JOIN messages m ON m.id = a.message" ;;
	requests) q="SELECT d.name, q.repuri, q.adkim, q.aspf, q.policy,
		q.spolicy, q.pct FROM requests q
		JOIN domains d ON d.id = q.domain"
		;;
	esac
	sql "$q" | sort
}

# fresh: empty every table, for the next import.
fresh() {
	sql "DELETE FROM messages; DELETE FROM signatures; DELETE FROM arcseals;
	    DELETE FROM arcauthresults; DELETE FROM requests;
	    DELETE FROM domains; DELETE FROM selectors; DELETE FROM reporters;
	    DELETE FROM ipaddr"
}

# same_rows TABLE DESCRIPTION FILE...: the server holds what the files say.
same_rows() {
	_t=$1 _d=$2
	shift 2
	expect "$_t" "$@" >"$T/want.$_t"
	rows "$_t" >"$T/got.$_t"
	same "$T/got.$_t" "$T/want.$_t" "$_d"
}

# A lock that another process holds for ever: the writer gives up after
# 10 s with 75.  Started first, so that its wait runs beside the rest.
# The holder is one process, so that killing it lets the lock go.
: >"$T/held"
daemon "$PY" -c 'import fcntl, sys, time
f = open(sys.argv[1], "a")
fcntl.flock(f, fcntl.LOCK_EX)
time.sleep(60)' "$T/held"
holder=$!
sleep 0.2
(
	t0=$(date +%s)
	"$DT" history --history "$T/held" --job h1 --from a.example \
	    --ip 192.0.2.1 --mfrom a.example </dev/null 2>"$T/held.err"
	echo "$? $(($(date +%s) - t0))" >"$T/held.rc"
) &
heldwriter=$!

start=$(date +%s%N)
if ! mariadb_start; then
	_result 1 "mariadbd starts on 127.0.0.1:$DB_PORT"
	done_testing
fi
_result 0 "mariadbd starts on 127.0.0.1 at a free port, schema loaded, \
in $((($(date +%s%N) - start) / 1000000)) ms"

# --- the records and the rows they give ------------------------------------
# A message with two ARC sets (the second seal's i=1 repeated, as a broken
# chain may) for the arc_policy list.
cat >"$T/arc.eml" <<'EOF'
ARC-Seal: i=2; a=rsa-sha256; cv=pass; d=fwd.example; s=arc2; b=xyz
ARC-Authentication-Results: i=2; mx.fwd.example; iprev=pass
 smtp.remote-ip=2001:db8::25; spf=pass smtp.mailfrom=a.example
ARC-Seal: i=1; a=rsa-sha256; cv=none; d=list.example; s=arc1; b=abc
ARC-Seal: i=1; a=rsa-sha256; cv=none; d=dup.example; s=dup; b=abc
ARC-Authentication-Results: i=1; mx.list.example; spf=pass
 smtp.client-ip=198.51.100.7 smtp.mailfrom=a.example
From: a@a.example
Subject: arc

body
EOF
printf 'From: a@a.example\nSubject: plain\n\nbody\n' >"$T/plain.eml"

H=$T/history
hist() {	# hist ARGS...: one record appended to $H ($IP, $REP, $MSG)
	"$DT" history --history "$H" --reporter "${REP-mx1.example}" \
	    --ip "${IP-192.0.2.1}" "$@" <"${MSG:-$T/plain.eml}"
}
ok "a pass, SPF and DKIM aligned" hist --job q1 --from a.example \
    --mfrom a.example --spf pass --spf-domain a.example \
    --dkim a.example:sel1:pass --status accept --p r --align-spf \
    --align-dkim --lib-policy 15 --rua mailto:agg@a.example \
    --rua 'mailto:agg@b.example'
ok "a reject, every kind of signature" hist --job q2 --from b.example \
    --mfrom bounce.other.example --spf softfail --spf-domain \
    bounce.other.example --dkim x.example:s:fail --dkim y.example::invalid \
    --dkim z.example:k:temperror --dkim b.example:s1:pass --status reject \
    --p r --sp q --adkim s --aspf s --received 1700000100
ok "a quarantine sampled out by pct: policy 17, action accept" hist \
    --job q3 --from c.example --spf fail --spf-domain c.example \
    --status none --p q --pct 0 --lib-policy 17 --disposition n
IP=2001:db8::1 ok "the null sender: mfrom is the HELO name SPF checked" \
    hist --job q4 --from d.example --spf pass --spf-domain helo.d.example \
    --helo --status quarantine --p q
MSG=$T/arc.eml ok "an ARC chain that passed" hist --job q5 \
    --from a.example --mfrom list.example --spf pass --spf-domain \
    list.example --status reject --p r --arc pass:2 --record-domain \
    a.example
ok "a temporary ARC failure" hist --job q6 --from a.example \
    --mfrom a.example --status reject --p r --arc tempfail:0
REP=$(printf 'mx1.ex\tample') ok \
    "values with blanks and line ends are kept on their line" hist \
    --job "$(printf 'q7 x\njob forged')" \
    --from e.example --mfrom "$(printf 'e.example\nipaddr 6.6.6.6')" \
    --dkim "$(printf 'evil d\n:s el:pass')" --status accept --align-dkim
i=0 many=
while [ "$i" -lt 300 ]; do
	many="$many --dkim s$i.example:k:pass"
	i=$((i + 1))
done
# shellcheck disable=SC2086
ok "300 signatures" hist --job q8 --from f.example --mfrom f.example \
    $many --status accept --align-dkim
IP= ok "no client address: no record" hist --job n1 --from g.example
ok "no DMARC record: no record" hist --job n2 --from g.example --no-record
is "$(grep -c '^job ' "$H")" 8 "8 records written, none for n1 and n2"
is "$(awk '$1 == "job" && NR > 1 { print prev } { prev = $0 }' "$H" |
    sort -u)" "action 0
action 2
action 4" "each record ends with its action line"
is "$(grep -c '^dkim ' "$H")" $((4 + 1 + 1 + 255)) \
    "255 signatures kept of 300 (sigcount is a TINYINT UNSIGNED)"
is "$(sed -n '/^job q5$/,/^action/p' "$H" | grep '^arc')" "arc 0
arc_policy 0 json:[{ \"i\": 1, \"d\":\"list.example\", \"s\":\"arc1\", \
\"ip\":\"198.51.100.7\" }, { \"i\": 2, \"d\":\"fwd.example\", \
\"s\":\"arc2\", \"ip\":\"2001:db8::25\" }]" \
    "ARC: each instance once, the first seal of it, the client address"
is "$(sed -n '/^job q1$/,/^action/p' "$H" | grep '^arc')" "arc 11
arc_policy 1 json:[]" "no ARC result: the forms the importer takes"

ok "opendmarc-import exits 0" import "$H"
is "$(cat "$T/import.err")" "" "opendmarc-import says nothing on stderr"
is "$(sql 'SELECT COUNT(*) FROM messages')" 8 "8 rows in messages"
same_rows messages "messages: every column as the records say" "$H"
same_rows signatures "signatures: domain, selector, result, error" "$H"
same_rows arcseals "arcseals: instance, domain, selector" "$H"
same_rows arcauthresults "arcauthresults: instance, client address" "$H"
same_rows requests "requests: rua, adkim, aspf, p, sp, pct" "$H"
# And against what was asked, not only against the file.
is "$(sql "SELECT m.policy, m.disp, m.spf, m.align_dkim, m.align_spf,
    m.sigcount, m.arc, m.arc_policy, UNIX_TIMESTAMP(m.date)
    FROM messages m WHERE jobid = 'q2'")" \
    "$(printf '16\t0\t2\t5\t5\t4\t11\t1\t1700000100')" \
    "the reject: policy 16, action reject, spf softfail, 4 signatures"
is "$(sql "SELECT pass, error FROM signatures g JOIN messages m
    ON m.id = g.message WHERE m.jobid = 'q2' ORDER BY g.id" |
    tr '\t\n' ': ')" "7:0 5:1 4:1 0:0 " \
    "signatures: fail 7, invalid permerror 5, temperror 4, pass 0"
is "$(sql "SELECT s.name FROM signatures g JOIN domains d
    ON d.id = g.domain LEFT JOIN selectors s ON s.id = g.selector
    WHERE d.name = 'y.example'")" "NULL" \
    "a signature without a selector is still a row, with none"
is "$(sql "SELECT m.policy, m.disp FROM messages m WHERE jobid = 'q3'")" \
    "$(printf '17\t2')" "sampled out: policy 17, action accept"
is "$(sql "SELECT e.name, i.addr FROM messages m JOIN domains e
    ON e.id = m.env_domain JOIN ipaddr i ON i.id = m.ip
    WHERE jobid = 'q4'")" "$(printf 'helo.d.example\t2001:db8::1')" \
    "the null sender: mfrom the HELO name; an IPv6 client"
is "$(sql "SELECT a.instance, d.name, s.name, r.arc_client_addr
    FROM arcseals a JOIN domains d ON d.id = a.domain
    JOIN selectors s ON s.id = a.selector JOIN arcauthresults r
    ON r.message = a.message AND r.instance = a.instance
    JOIN messages m ON m.id = a.message WHERE m.jobid = 'q5'
    ORDER BY a.instance" | tr '\t\n' ' /')" \
    "1 list.example arc1 198.51.100.7/2 fwd.example arc2 2001:db8::25/" \
    "ARC seals and client addresses, per instance"
is "$(sql "SELECT arc, arc_policy FROM messages WHERE jobid = 'q6'")" \
    "$(printf '4\t1')" "ARC temporary failure: arc 4 (temperror)"
is "$(sql "SELECT m.jobid, r.name, e.name, m.sigcount FROM messages m
    JOIN reporters r ON r.id = m.reporter JOIN domains e
    ON e.id = m.env_domain WHERE jobid LIKE 'q7%'")" \
    "$(printf 'q7_x_job_forged\tmx1.ex_ample\te.example_ipaddr_6.6.6.6\t1')" \
    "blanks and line ends become _: one record, nothing forged"
is "$(sql "SELECT COUNT(*) FROM signatures g JOIN messages m
    ON m.id = g.message WHERE m.jobid = 'q8'")" 255 "255 signature rows"
is "$(sql "SELECT COUNT(*) FROM ipaddr WHERE addr = '6.6.6.6'")" 0 \
    "no forged address"

# The importer's silent traps, shown on it: a record without its spf line
# or without arc lines loads no row, and "json[ ]" crashes it; so the
# forms above matter.
fresh
sed -n '/^job q1$/,/^action/p' "$H" | grep -v '^spf ' >"$T/nospf"
import "$T/nospf"
is "$?:$(sql 'SELECT COUNT(*) FROM messages')" "0:0" \
    "the importer: no spf line, exit 0 and no row (why spf is always written)"
sed -n '/^job q1$/,/^action/p' "$H" |
    sed 's/^arc_policy 1 json:\[\]$/arc_policy 1 json[ ]/' >"$T/exim"
import "$T/exim"
isnt "$?:$(sql 'SELECT COUNT(*) FROM messages')" "0:1" \
    "the importer: Exim's 'json[ ]' does not load (why json:[] is written)"

# --- many writers at once ---------------------------------------------------
fresh
C=$T/concurrent
N=8 M=40
i=0 pids=
while [ "$i" -lt "$N" ]; do
	"$DT" history --history "$C" --count "$M" --job "w$i" \
	    --reporter mx1.example --ip 192.0.2.9 --from a.example \
	    --mfrom a.example --spf pass --spf-domain a.example \
	    --dkim a.example:s:pass --status accept --align-spf \
	    --align-dkim --rua mailto:a@a.example </dev/null &
	pids="$pids $!"
	i=$((i + 1))
done
fails=0
for p in $pids; do
	wait "$p" || fails=$((fails + 1))
done
is "$fails" 0 "$N writers of $M records each: every one exits 0"
is "$("$PY" "$HP" records "$C" 2>&1)" $((N * M)) \
    "$((N * M)) records, each whole and in order (parsed)"
is "$(expect jobs "$C" | uniq -d)" "" "no job id twice"
is "$(expect jobs "$C" | wc -l)" $((N * M)) "every job id once"
import "$C"
is "$(sql 'SELECT COUNT(*) FROM messages')" $((N * M)) \
    "$((N * M)) rows imported"
same_rows jobs "each job id in the server exactly once" "$C"

# --- the lock ---------------------------------------------------------------
L=$T/locked
: >"$L"
flock -x "$L" sleep 1 &
lockpid=$!
sleep 0.2
t0=$(date +%s%N)
"$DT" history --history "$L" --job l1 --from a.example --ip 192.0.2.1 \
    --mfrom a.example </dev/null
rc=$?
ms=$((($(date +%s%N) - t0) / 1000000))
wait "$lockpid"
ok "a writer waits for a lock held by another process ($ms ms)" \
    test "$rc" -eq 0 -a "$ms" -ge 500
is "$(grep -c '^job l1$' "$L")" 1 "then appends its record"
# A rotation while a writer waits: it opened the file, the file is
# renamed away (and may be being imported), then it gets the lock.
flock -x "$L" sleep 1 &
lockpid=$!
sleep 0.2
"$DT" history --history "$L" --job l2 --from a.example --ip 192.0.2.1 \
    --mfrom a.example </dev/null &
wpid=$!
sleep 0.2
mv "$L" "$L.rotated"
wait "$lockpid"
wait "$wpid"
is "$?:$(grep -c '^job l2$' "$L"):$(grep -c '^job l2$' "$L.rotated")" \
    "0:1:0" "renamed while the writer waited: the record goes to a new file"

wait "$heldwriter"
kill "$holder"
wait "$holder"
set -- $(cat "$T/held.rc")
is "$1" 75 "a lock held for ever: exit 75 after $2 s"
ok "a lock held for ever: given up after 10 s, not before" \
    test "$2" -ge 9 -a "$2" -le 30
like "$(cat "$T/held.err")" "locked by another process for 10 s$" \
    "a lock held for ever: says so"
is "$(wc -c <"$T/held")" 0 "a lock held for ever: nothing written"

# --- durability: lock, one write, fdatasync, then the lock goes ------------
# trace: the calls on the history, one letter each: D fsync of its
# directory (a new file), L the exclusive lock, W write, S fdatasync, C
# close (which lets the lock go).
trace() {
	rm -f "$T/d/h"
	mkdir -p "$T/d"
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
	    strace -f -y -o "$T/trace" \
	    -e trace=flock,write,fsync,fdatasync,close \
	    "$DT" history --history "$T/d/h" --count 3 --job d \
	    --from a.example \
	    --ip 192.0.2.1 --mfrom a.example </dev/null 2>/dev/null
	awk -v h="<$T/d/h>" -v d="<$T/d>" '
		index($0, h) && / flock\(.*LOCK_EX/ { printf "L" }
		index($0, h) && / write\(/ { printf "W" }
		index($0, h) && / fdatasync\(/ { printf "S" }
		index($0, h) && / close\(/ { printf "C" }
		index($0, d) && / fsync\(/ { printf "D" }
		END { print "" }' "$T/trace"
}
if command -v strace >/dev/null && strace -o /dev/null true 2>/dev/null; then
	is "$(trace)" "DLWSCLWSCLWSC" \
	    "each record: lock, one write, fdatasync, close (a new file: \
its directory synced first)"
else
	skip 1 "strace missing or not permitted"
fi

# --- faults -----------------------------------------------------------------
# A full file system: a tmpfs of 4 pages in a mount namespace of our own.
# The history fills it but for 200 bytes, so the record's write is cut
# short and then fails; what was written of it must go.
FULL=$T/full
mkdir "$FULL"
if unshare -m sh -c "mount -t tmpfs -o size=16k mxkit '$FULL'" 2>/dev/null
then
	unshare -m sh -c '
		mount -t tmpfs -o size=16k mxkit "$1" || exit 99
		yes "a line of the history before the disk filled" |
		    head -c 16184 >"$1/h"
		cp "$1/h" "$2/h.before"
		"$3" history --history "$1/h" --job f1 --from a.example \
		    --ip 192.0.2.1 --mfrom a.example </dev/null \
		    >"$2/out.full" 2>"$2/err.full"
		echo $? >"$2/rc.full"
		cp "$1/h" "$2/h.after"
		umount "$1"
		mount -t tmpfs -o size=16k,nr_inodes=1 mxkit "$1" || exit 99
		"$3" history --history "$1/new" --job f2 --from a.example \
		    --ip 192.0.2.1 --mfrom a.example </dev/null \
		    2>"$2/err.inodes"
		echo $? >"$2/rc.inodes"
		ls -A "$1" >"$2/ls.inodes"' sh "$FULL" "$T" "$DT"
	is "$(cat "$T/rc.full")" 74 "no space left: exit 74"
	err=$(cat "$T/err.full")
	one_line_error dmarcreport-test "no space left: one line"
	like "$err" "cannot write: No space left on device$" \
	    "no space left: says so"
	same "$T/h.after" "$T/h.before" \
	    "no space left: the part written is cut back, the file as before"
	is "$(cat "$T/rc.inodes")" 73 "no inode left: exit 73"
	like "$(cat "$T/err.inodes")" "cannot create: No space left on device" \
	    "no inode left: says so"
	is "$(cat "$T/ls.inodes")" "" "no inode left: no file left"
else
	skip 7 "no mount namespace with a tmpfs here (needs root)"
fi

mkfifo "$T/fifo"
run timeout 5 "$DT" history --history "$T/fifo" --job x --from a.example \
    --ip 192.0.2.1 --mfrom a.example </dev/null
is "$rc" 73 "a FIFO without a reader: exit 73 at once"
one_line_error dmarcreport-test "a FIFO: one line"
mkdir "$T/dir"
run "$DT" history --history "$T/dir" --job x --from a.example \
    --ip 192.0.2.1 --mfrom a.example </dev/null
is "$rc" 73 "a directory: exit 73"
like "$err" "'$T/dir': cannot open: Is a directory$" "a directory: says so"
run "$DT" history --history "$T/nodir/h" --job x --from a.example \
    --ip 192.0.2.1 --mfrom a.example </dev/null
is "$rc" 73 "a missing directory: exit 73"

# --- scripts/dmarc-history-cron ---------------------------------------------
CRON=$MX_SRCDIR/scripts/dmarc-history-cron
printf '%s\n' "$DB_PASS" >"$T/dbpass"
printf 'wrong\n' >"$T/badpass"
cron() {	# cron PASSFILE HISTORY
	"$CRON" -h 127.0.0.1 -P "$DB_PORT" -u opendmarc -p "$1" "$2"
}
# writer HOST HISTORY JOB COUNT: COUNT records, job ids JOB.1 to JOB.COUNT
writer() {
	"$DT" history --history "$2" --count "$4" --job "$3" --reporter "$1" \
	    --ip 192.0.2.7 --from a.example --mfrom a.example --spf pass \
	    --spf-domain a.example --dkim a.example:s:pass --status accept \
	    --align-spf --align-dkim --rua mailto:a@a.example </dev/null
}
# jobs HOST JOB COUNT: the rows of writer HOST HISTORY JOB COUNT.
jobs() {
	awk -v h="$1" -v j="$2" -v n="$3" 'BEGIN {
		for (k = 1; k <= n; k++) printf "%s\t%s.%d\n", h, j, k }' | sort
}

run "$CRON"
is "$rc" 64 "cron: no history: exit 64"
is "$err" "usage: dmarc-history-cron [-d dbname] [-h dbhost] [-P dbport] \
[-u dbuser] [-p passfile] [-i importer] history" "cron: the usage line"

# Rotation while 4 writers append: every record loaded exactly once.
fresh
mkdir "$T/mx1" "$T/mx2"
# Each writer: 30 processes one after the other, 5 records each.
i=0 pids=
while [ "$i" -lt 4 ]; do
	(
		b=0
		while [ "$b" -lt 30 ]; do
			writer mx1.example "$T/mx1/h" "r$i.$b-" 5 || exit 1
			sleep 0.03
			b=$((b + 1))
		done
	) &
	pids="$pids $!"
	i=$((i + 1))
done
runs=0 fails=0
while kill -0 $pids 2>/dev/null; do
	cron "$T/dbpass" "$T/mx1/h" || fails=$((fails + 1))
	runs=$((runs + 1))
done
for p in $pids; do
	wait "$p" || fails=$((fails + 1))
done
cron "$T/dbpass" "$T/mx1/h" || fails=$((fails + 1))
is "$fails" 0 \
    "cron: $runs runs while 4 writers appended 150 records each, 5 a process"
ok "cron: more than one rotation under the writers ($runs)" \
    test "$runs" -ge 2
awk 'BEGIN { for (i = 0; i < 4; i++) for (b = 0; b < 30; b++)
	for (k = 1; k <= 5; k++) printf "mx1.example\tr%d.%d-.%d\n", i, b, k
    }' | sort >"$T/want.jobs"
rows jobs >"$T/got.jobs"
same "$T/got.jobs" "$T/want.jobs" "cron: all 600 records loaded, each once"
is "$(ls "$T/mx1")" "" "cron: no history file left behind"

# Two MX hosts loading into one server at the same moment: the same job
# ids and domains from each, told apart by the reporter.  Both importers
# meet the new domain, reporter and address at once, and one of them
# drops a record now and then (about one round in five here): the cron
# job must see it and load it again.  Three rounds.
{ jobs mx1.example t 100; jobs mx2.example t 100; } | sort >"$T/want.jobs"
for round in 1 2 3; do
	fresh
	writer mx1.example "$T/mx1/h" t 100
	writer mx2.example "$T/mx2/h" t 100
	cron "$T/dbpass" "$T/mx1/h" &
	p1=$!
	cron "$T/dbpass" "$T/mx2/h" &
	p2=$!
	wait "$p1"
	r1=$?
	wait "$p2"
	is "$r1:$?" 0:0 "two hosts at once, round $round: both exit 0"
	rows jobs >"$T/got.jobs"
	same "$T/got.jobs" "$T/want.jobs" \
	    "two hosts at once, round $round: 200 rows, each once"
done

# A server that refuses us: the records are kept for the next run.
fresh
writer mx1.example "$T/mx1/h" k 5
run cron "$T/badpass" "$T/mx1/h"
is "$rc" 75 "a refused login: exit 75"
like "$err" "^dmarc-history-cron: cannot load '$T/mx1/h\.[0-9]+\.[0-9]+': \
.*unable to connect to database: Access denied" "a refused login: says so"
is "$(ls "$T/mx1" | grep -c '^h\.[0-9]')" 1 "a refused login: the file kept"
writer mx1.example "$T/mx1/h" k2 3
run cron "$T/dbpass" "$T/mx1/h"
is "$rc:$(sql 'SELECT COUNT(*) FROM messages'):$(ls "$T/mx1")" "0:8:" \
    "the next run loads the kept file and the new one, and removes both"

# An importer that fails without a word: the file kept, and a line says so.
printf '#!/bin/sh\nexit 3\n' >"$T/mute-importer"
chmod 755 "$T/mute-importer"
writer mx1.example "$T/mx1/h" k3 2
run "$CRON" -i "$T/mute-importer" "$T/mx1/h"
is "$rc" 75 "an importer failing silently: exit 75"
like "$err" "^dmarc-history-cron: cannot load '$T/mx1/h\.[0-9]+\.[0-9]+': \
$T/mute-importer exited 3\$" \
    "an importer failing silently: named, with its status"
run "$CRON" -d 'opendmarc x' -i "$T/mute-importer" "$T/mx1/h"
is "$rc:$err" "64:dmarc-history-cron: a database option holds a blank or a \
wildcard: 'opendmarc x'" "a database option with a blank: 64, said"

# --- scripts/psl-update -----------------------------------------------------
PSLU=$MX_SRCDIR/scripts/psl-update
mkdir "$T/www" "$T/psl"
# A list in publicsuffix.org's form: rules, a wildcard, an exception, the
# private section.
cat >"$T/www/list.dat" <<'EOF'
// This Source Code Form is subject to the terms of the Mozilla Public
// ===BEGIN ICANN DOMAINS===
com
org
uk
co.uk
*.ck
!www.ck
// ===END ICANN DOMAINS===
// ===BEGIN PRIVATE DOMAINS===
blogspot.com
// ===END PRIVATE DOMAINS===
EOF
printf '<html><body>503 Service Unavailable</body></html>\n' \
    >"$T/www/error.html"
head -n 4 "$T/www/list.dat" >"$T/www/cut.dat"
printf '// ===BEGIN ICANN DOMAINS===\ncom\n// ===END ICANN DOMAINS===\n' \
    >"$T/www/short.dat"
WWW_PORT=$(free_port)
daemon "$PY" -m http.server --bind 127.0.0.1 --directory "$T/www" \
    "$WWW_PORT" 2>/dev/null >/dev/null
wait_port "$WWW_PORT" || diag "the web server did not come up"
P=$T/psl/list.dat

run "$PSLU"
is "$rc:$err" "64:usage: psl-update [-u url] [-m min-rules] file" \
    "psl-update: no file: the usage line, exit 64"
run "$PSLU" -u "file://$T/www/a list.dat" "$P"
like "$rc:$err" "^64:psl-update: cannot download 'file://$T/www/a list.dat': \
curl: \\(3\\)" "psl-update: a URL curl cannot read: 64, not a retry"
run "$PSLU" -m 3 -u "file://$T/www/list.dat" "$P"
is "$rc:$err" "0:" "psl-update from a file:// URL: exit 0"
same "$P" "$T/www/list.dat" "psl-update: the list in place"
is "$(stat -c %a "$P")" 644 "psl-update: mode 644"
printf 'net\n' >>"$T/www/list.dat"
run "$PSLU" -m 3 -u "http://127.0.0.1:$WWW_PORT/list.dat" "$P"
is "$rc:$err" "0:" "psl-update over http: exit 0"
same "$P" "$T/www/list.dat" "psl-update over http: the new list in place"
cp "$P" "$T/psl.before"
for case in \
    "404.dat:75:cannot download 'http://127.0.0.1:$WWW_PORT/404.dat': .*404" \
    "error.html:65:is no public suffix list: no ICANN section" \
    "cut.dat:65:is no public suffix list: no ICANN section" \
    "short.dat:65:is no public suffix list: 1 rules where the list in place \
has 8"
do
	f=${case%%:*} want=${case#*:}
	run "$PSLU" -m 1 -u "http://127.0.0.1:$WWW_PORT/$f" "$P"
	like "$rc:$err" "^${want%%:*}:psl-update: .*${want#*:}" \
	    "psl-update: $f refused (${want%%:*})"
	same "$P" "$T/psl.before" "psl-update: $f: the old list kept"
done
run "$PSLU" -u "http://127.0.0.1:$WWW_PORT/list.dat" "$P"
like "$rc:$err" "^65:.*: 8 rules, fewer than 1000$" \
    "psl-update: fewer rules than the default minimum refused"
run "$PSLU" -m 1 -u "http://127.0.0.1:$(free_port)/list.dat" "$P"
is "$rc" 75 "psl-update: no server: exit 75"
is "$(ls -A "$T/psl")" "list.dat" "psl-update: no temporary file left"

# --- a history written by dmarc-check itself --------------------------------
# Messages judged for real from one zone: SPF computed, a DKIM signature
# verified, an ARC chain validated; each record loaded and its row
# checked against what the zone and the messages make of it.
DC=$MX_BUILDDIR/tools/dmarc-check
DK=$MX_BUILDDIR/t/unit/dkim-tool
if [ ! -x "$DC" ]; then
	skip 10 "tools/dmarc-check not built yet (it comes with wip-tool)"
elif ! rsa_key "$T/k.pem" 1024; then
	skip 10 "openssl cannot make keys"
else
	T0=1700000000
	Z=$T/dc.zone
	"$MX_SRCDIR/t/data/arc-zone" sel._domainkey.a.example="$T/k.pem" \
	    s1._domainkey.fwd.example="$T/k.pem" >"$Z"
	cat >>"$Z" <<'EOF'
_dmarc.a.example. 300 IN TXT "v=DMARC1; p=reject; rua=mailto:agg@a.example"
a.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
mx.a.example. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"
_dmarc.b.example. 300 IN TXT "v=DMARC1; p=quarantine; adkim=s; aspf=s"
b.example. 300 IN TXT "v=spf1 -all"
EOF
	mkdir "$T/dc"
	printf 'From: a@a.example\nSubject: 1\n\nbody\n' |
	    "$DK" sign -d a.example -s sel -k "$T/k.pem" --time "$T0" \
	    >"$T/dc/1.eml"
	printf 'From: b@b.example\nSubject: 2\n\nbody\n' |
	    "$DK" sign -d a.example -s sel -k "$T/k.pem" --time "$T0" \
	    >"$T/dc/2.eml"
	printf '%s\n' 'Authentication-Results: fwd.example; iprev=pass' \
	    ' smtp.remote-ip=198.51.100.7; spf=pass smtp.mailfrom=a.example' \
	    'From: c@a.example' 'Subject: 3' '' 'body' |
	    arc-sign -d fwd.example -s s1 -k "$T/k.pem" --time "$T0" \
	    >"$T/dc/3.eml"
	printf 'From: a@a.example\nSubject: 4\n\nbody\n' >"$T/dc/4.eml"
	printf 'From: d@nodmarc.example\nSubject: 5\n\nbody\n' >"$T/dc/5.eml"
	DH=$T/dc/history
	dc() {	# dc MESSAGE IP MAIL-FROM HELO
		"$DC" --dns-zone "$Z" --time "$T0" --reporter mx1.example \
		    --history "$DH" --arc --ip "$2" --mail-from "$3" \
		    --helo "$4" --accept '*' "$T/dc/$1.eml" >/dev/null
	}
	fails=0
	dc 1 192.0.2.1 x@a.example mx.a.example || fails=$((fails + 1))
	dc 2 192.0.2.1 x@b.example mx.b.example || fails=$((fails + 1))
	dc 3 198.51.100.7 bounce@fwd.example mx.fwd.example ||
	    fails=$((fails + 1))
	dc 4 192.0.2.1 '' mx.a.example || fails=$((fails + 1))
	dc 5 192.0.2.1 x@nodmarc.example mx.nodmarc.example ||
	    fails=$((fails + 1))
	is "$fails:$(grep -c '^job ' "$DH")" 0:4 \
	    "dmarc-check --history: 4 records of 5 messages (one without DMARC)"
	fresh
	ok "dmarc-check's history: opendmarc-import exits 0" import "$DH"
	is "$(cat "$T/import.err")" "" \
	    "dmarc-check's history: opendmarc-import says nothing"
	same_rows messages "dmarc-check's history: messages as the records say" \
	    "$DH"
	same_rows signatures \
	    "dmarc-check's history: signatures as the records say" "$DH"
	same_rows arcseals "dmarc-check's history: ARC seals as the records say" \
	    "$DH"
	# from, mfrom: policy, disp, spf, align_dkim, align_spf, sigcount,
	# arc, arc_policy
	is "$(sql "SELECT f.name, e.name, m.policy, m.disp, m.spf,
	    m.align_dkim, m.align_spf, m.sigcount, m.arc, m.arc_policy,
	    UNIX_TIMESTAMP(m.date), i.addr FROM messages m
	    JOIN domains f ON f.id = m.from_domain
	    JOIN domains e ON e.id = m.env_domain JOIN ipaddr i ON i.id = m.ip
	    ORDER BY f.name, e.name" | tr '\t' ' ')" \
"a.example a.example 15 2 0 4 4 1 6 1 $T0 192.0.2.1
a.example fwd.example 16 0 6 5 5 0 0 0 $T0 198.51.100.7
a.example mx.a.example 15 2 0 5 4 0 6 1 $T0 192.0.2.1
b.example b.example 17 4 7 5 5 1 6 1 $T0 192.0.2.1" \
	    "dmarc-check's history: each verdict as the zone makes it"
	is "$(sql "SELECT d.name, s.name, g.pass FROM signatures g
	    JOIN domains d ON d.id = g.domain
	    JOIN selectors s ON s.id = g.selector" | sort -u | tr '\t' ' ')" \
	    "a.example sel 0" "dmarc-check's history: the signature, verified"
	is "$(sql "SELECT a.instance, d.name, s.name, r.arc_client_addr
	    FROM arcseals a JOIN domains d ON d.id = a.domain
	    JOIN selectors s ON s.id = a.selector JOIN arcauthresults r
	    ON r.message = a.message AND r.instance = a.instance" |
	    tr '\t' ' ')" "1 fwd.example s1 198.51.100.7" \
	    "dmarc-check's history: the ARC set and its client address"
	# The list psl-update put in place is one dmarc-check reads.
	is "$("$DC" --tld-file "$P" --dns-zone "$Z" --time "$T0" \
	    --ip 192.0.2.1 --mail-from x@a.example --helo mx.a.example \
	    "$T/dc/1.eml" | sed -n 's/^dmarc_status=//p')" accept \
	    "dmarc-check --tld-file the list psl-update renewed: accept"
fi

done_testing
