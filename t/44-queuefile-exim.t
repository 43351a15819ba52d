#!/bin/sh
# queuefile-copy on spools Debian's Exim 4.96 made (t/exim-spool.sh), and
# Exim itself reading what it wrote: messages of every form Exim writes
# (a local submission with ACL variables, a folded one among them; SMTP
# with the connection's ACL variable; DSN recipients; frozen; partially
# delivered, with the non-recipients tree; a header marked deleted; 8-bit
# bytes; a 5 MB body; 1000 recipients; BDAT kept in wire format, CRLF),
# in a split spool and in a flat one, copied out byte for byte (the spool
# named by --spool, or found by `exim -bP` through --config), the spool
# untouched; --check --json's envelope beside `exim -bp`; ids from
# `exiqgrep -i`; requeued into a second spool of the other layout, where
# `exim -bp`, `-Mvh` and `-Mvb` show each message as the first spool's
# Exim shows it, and a queue run delivers each as the first spool's own
# queue run does; --link sharing the -D's inode with the spool; and copy
# out with --no-lock from inside Exim's own pipe transport, where Exim
# holds the lock on -D (without --no-lock the tool finds it locked: 75,
# and Exim defers).
. "${MX_SRCDIR:-.}/t/lib.sh"
. "$MX_SRCDIR/t/exim-spool.sh"

need_exim
need exiqgrep
FIX=$MX_SHARED/fixtures/exim-spool
[ -d "$FIX" ] || skip_all "no fixtures in $FIX"
QC=$MX_BUILDDIR/tools/queuefile-copy
[ -x "$QC" ] || skip_all "tools/queuefile-copy not built"

# views ID DIR: what the current spool's Exim shows of the message, into
# DIR/ID.bp (the queue line without the age, which moves with the clock),
# DIR/ID.vh and DIR/ID.vb.
views() {
	mkdir -p "$2"
	exim_spool_run -bp "$1" | sed 's/^ *[0-9]*[smhdw] //' >"$2/$1.bp"
	exim_spool_run -Mvh "$1" >"$2/$1.vh" 2>&1
	exim_spool_run -Mvb "$1" >"$2/$1.vb" 2>&1
}

# listing DIR: every file under DIR with its mode, owner, size, mtime and
# checksum: the same before and after means untouched.
listing() {
	(cd "$1" && find . -printf '%p %m %u:%g %s %T@\n' | sort &&
	    find . -type f -exec sha256sum {} + | sort)
}

# where ID: the -H of the message in the current spool, split or flat.
where() {
	for _w in "$EXSPOOL_INPUT/$(printf %s "$1" | cut -c6)/$1-H" \
	    "$EXSPOOL_INPUT/$1-H"; do
		[ -f "$_w" ] && { echo "$_w"; return 0; }
	done
	return 1
}

# make_messages: every form, queued in the current spool; their ids into
# $T/ids (in the order made) and the partial one's mail into $1.partial.
make_messages() {
	: >"$T/ids"
	# A local submission; X-Acl's raw value (folded, 3 lines of 300
	# bytes) becomes acl_m_raw, a tainted value with newlines.
	{
		printf 'X-Acl: %s\n' "$(printf '%0300d' 0 | tr 0 a)"
		printf '  %s\n' "$(printf '%0300d' 0 | tr 0 b)" \
		    "$(printf '%0300d' 0 | tr 0 c)"
		printf 'X-Drop: removed by the ACL, kept marked *\n'
		cat "$FIX/msg.txt"
	} | exim_spool_submit -f alice@test.example bob@example.org \
	    >>"$T/ids" || return 1
	# SMTP from a remote client: acl_c_conn, the host and interface.
	exim_spool_smtp -oMa 192.0.2.7.40123 -oMi 198.51.100.1.25 \
	    <"$FIX/smtp.txt" >>"$T/ids" || return 1
	# DSN: ENVID, RET, NOTIFY and ORCPT on one recipient, not the other.
	exim_spool_smtp -oMa 192.0.2.7.40124 \
	    <"$FIX/smtp-dsn.txt" >>"$T/ids" ||
	    return 1
	# Frozen.
	_m=$(printf 'Subject: frozen\n\ncold\n' |
	    exim_spool_submit carol@example.org) &&
	    exim_spool_run -Mf "$_m" >/dev/null && echo "$_m" >>"$T/ids" ||
	    return 1
	# Partially delivered: one recipient done, one deferred; Exim
	# rewrites -H with the tree.  The delivery made is kept aside, so
	# that the mail directory holds only what the queue run below makes.
	_m=$(printf 'Subject: partial\n\nhalf\n' |
	    exim_spool_submit bob@example.org deferred@example.org) &&
	    exim_spool_run -M "$_m" >/dev/null 2>&1 &&
	    mv "$EXSPOOL_MAIL/$_m" "$1.partial" && echo "$_m" >>"$T/ids" ||
	    return 1
	# 8-bit bytes in a header and the body, a bare CR, no final newline.
	printf 'Subject: caf\303\251\n\n\200\377 \351t\351\r\nend' |
	    exim_spool_submit bob@example.org >>"$T/ids" || return 1
	# A 5 MB body.
	{
		printf 'Subject: big\n\n'
		awk 'BEGIN { for (i = 0; i < 65536; i++)
			printf "%079d\n", i }'
	} | exim_spool_submit bob@example.org >>"$T/ids" || return 1
	# 1000 recipients.
	printf 'Subject: many\n\nto all\n' |
	    exim_spool_submit $(seq -f 'r%g@example.org' 1000) \
	    >>"$T/ids" || return 1
	# BDAT under spool_wireformat: -D kept as it came, CRLF.
	printf 'Subject: wire\r\n\r\nline one\r\n' >"$T/wire"
	{
		printf 'EHLO c.example\r\nMAIL FROM:<dave@remote.example>\r\n'
		printf 'RCPT TO:<bob@example.org>\r\nBDAT %d LAST\r\n' \
		    "$(wc -c <"$T/wire")"
		cat "$T/wire"
		printf 'QUIT\r\n'
	} | exim_spool_smtp -oMa 192.0.2.7.40125 >>"$T/ids" || return 1
}

for layout in split flat; do
	case $layout in
	split)	other="flat" ;;
	flat)	other="split" ;;
	esac
	A=$T/$layout-a
	B=$T/$layout-b
	OUT=$T/$layout-out
	exim_spool_new "$A" "--$layout" --acl 'warn remove_header = X-Drop' \
	    --main 'spool_wireformat = true' || {
		echo 'Bail out! exim refuses the spool configuration'
		exit 1
	}
	make_messages "$A" || {
		echo 'Bail out! exim did not queue the messages'
		exit 1
	}
	n=$(wc -l <"$T/ids")
	LC_ALL=C sort "$T/ids" >"$T/ids.sorted"
	is "$(exim_spool_ids | sort)" "$(sort "$T/ids")" \
	    "$layout: the $n messages queued"
	first=$(head -n 1 "$T/ids")
	case $layout in
	split)	want=$EXSPOOL_INPUT/$(printf %s "$first" | cut -c6)/$first-H ;;
	flat)	want=$EXSPOOL_INPUT/$first-H ;;
	esac
	ok "$layout: the spool is $layout as Exim wrote it" test -f "$want"
	grep -q '^NN bob@example.org$' "$(where "$(sed -n 5p "$T/ids")")"
	ok "$layout: the partial delivery left the tree in -H" test $? -eq 0
	grep -q '^-frozen ' "$(where "$(sed -n 4p "$T/ids")")"
	ok "$layout: the frozen message says so in -H" test $? -eq 0
	grep -q '^...\* X-Drop:' "$(where "$(head -n 1 "$T/ids")")"
	ok "$layout: the removed header is marked * in -H" test $? -eq 0
	grep -q '^-spool_file_wireformat$' "$(where "$(tail -n 1 "$T/ids")")"
	ok "$layout: the BDAT message is in wire format" test $? -eq 0
	bad=
	while read -r id; do
		views "$id" "$T/$layout-view-a"
		[ "$(head -n 1 "$T/$layout-view-a/$id.vh")" = "$id-H" ] &&
		    [ -s "$T/$layout-view-a/$id.vb" ] &&
		    grep -q " $id " "$T/$layout-view-a/$id.bp" || bad="$bad $id"
	done <"$T/ids"
	is "$bad" "" "$layout: Exim shows each message (-bp, -Mvh, -Mvb)"
	listing "$EXSPOOL_SPOOL" >"$T/$layout-before"

	# Copy out: split through --spool, flat through exim -bP.
	mkdir "$OUT"
	if [ $layout = split ]; then
		run "$QC" --spool "$EXSPOOL_SPOOL" --to "$OUT" --all
	else
		run "$QC" --exim "$EXIM" --config "$EXSPOOL_CONF" --to "$OUT" \
		    --all
	fi
	is "$rc" 0 "$layout: copy out --all exits 0"
	is "$err" "" "$layout: copy out says nothing on stderr"
	is "$(printf '%s\n' "$out" | sort)" \
	    "$(sed 's/$/: result=copied/' "$T/ids" | sort)" \
	    "$layout: a copied line for each message"
	bad=
	while read -r id; do
		h=$(where "$id")
		cmp -s "$h" "$OUT/$id-H" &&
		    cmp -s "${h%-H}-D" "$OUT/$id-D" || bad="$bad $id"
	done <"$T/ids"
	is "$bad" "" "$layout: each copy byte for byte the spool's -D and -H"
	is "$(ls "$OUT" | wc -l)" "$((n * 2))" \
	    "$layout: nothing else in the target"
	is "$(stat -c '%a %U' "$OUT"/* | sort -u)" "640 $EXIM_USER" \
	    "$layout: the copies 0640 and the spool's owner"

	# --check --json: the envelope as the tool reads it from -H, beside
	# Exim's -bp of the same message.
	run "$QC" --spool "$EXSPOOL_SPOOL" --check --json --all
	is "$rc" 0 "$layout: --check --all exits 0"
	printf '%s\n' "$out" | $PY -c 'import json, sys
for j in sorted((json.loads(l) for l in sys.stdin), key=lambda j: j["id"]):
    print(" ".join([j["id"], j["result"], "<%s>" % j["sender"]] +
        (["frozen"] if j["frozen"] else [])))
    for r in j["recipients"]:
        print(" ", r["address"])' >"$T/$layout-json" 2>&1
	while read -r id; do
		awk 'NR == 1 { print $2, "ok", $3 ($4 == "***" ? " frozen" : "") }
		    NR > 1 && NF { print " ", $NF }' "$T/$layout-view-a/$id.bp"
	done <"$T/ids.sorted" >"$T/$layout-json-want"
	same "$T/$layout-json" "$T/$layout-json-want" \
	    "$layout: --check --json: sender, recipients, frozen as exim -bp"
	listing "$EXSPOOL_SPOOL" >"$T/$layout-after"
	same "$T/$layout-after" "$T/$layout-before" \
	    "$layout: the spool untouched by the copy and the check"

	# Ids on standard input as exiqgrep -i picks them: the frozen one.
	frozen=$(sed -n 4p "$T/ids")
	mkdir "$T/$layout-frozen"
	exiqgrep -E "$EXIM" -C "$EXSPOOL_CONF" -z -i |
	    "$QC" --spool "$EXSPOOL_SPOOL" --to "$T/$layout-frozen" \
	    >"$T/out" 2>"$T/err"
	is "$?:$(cat "$T/out" "$T/err")" "0:$frozen: result=copied" \
	    "$layout: exiqgrep -z -i into the tool: the frozen message copied"
	is "$(ls "$T/$layout-frozen")" "$frozen-D
$frozen-H" "$layout: only that one"

	# Link mode: the same filesystem, the -D's inode shared.
	mkdir "$T/$layout-link" "$T/$layout-link2"
	run "$QC" --spool "$EXSPOOL_SPOOL" --to "$T/$layout-link" --link --all
	is "$rc" 0 "$layout: --link exits 0"
	is "$(printf '%s\n' "$out" | sort)" \
	    "$(sed 's/$/: result=linked/' "$T/ids" | sort)" \
	    "$layout: a linked line for each message"
	bad=
	while read -r id; do
		h=$(where "$id")
		[ "$(stat -c %i "${h%-H}-D")" = \
		    "$(stat -c %i "$T/$layout-link/$id-D")" ] &&
		    [ "$(stat -c %i "$h")" != \
		    "$(stat -c %i "$T/$layout-link/$id-H")" ] &&
		    cmp -s "$h" "$T/$layout-link/$id-H" || bad="$bad $id"
	done <"$T/ids"
	is "$bad" "" "$layout: each -D the spool's inode, each -H a copy"
	run "$QC" --spool "$EXSPOOL_SPOOL" --to "$T/$layout-link2" --link \
	    --mode 0600 "$(head -n 1 "$T/ids")"
	is "$out" "result=copied" \
	    "$layout: --link with another --mode copies, does not link"
	is "$(stat -c '%a %h' "$T/$layout-link2/$(head -n 1 "$T/ids")-D")" \
	    "600 1" "$layout: the copy has that mode and its own inode"

	# Requeue into a spool of the other layout.
	exim_spool_new "$B" "--$other" --acl 'warn remove_header = X-Drop' || {
		echo 'Bail out! exim refuses the second spool'
		exit 1
	}
	if [ $layout = split ]; then
		run "$QC" --requeue --flat --from "$OUT" \
		    --spool "$EXSPOOL_SPOOL" --all
	else
		# exim -bP says split_spool_directory, where the input
		# directory, still without a subdirectory, would say flat.
		run "$QC" --requeue --remove --from "$OUT" --exim "$EXIM" \
		    --config "$EXSPOOL_CONF" --all
	fi
	is "$rc" 0 "$layout: requeue into the $other spool exits 0"
	is "$(printf '%s\n' "$out" | sort)" \
	    "$(sed 's/$/: result=copied/' "$T/ids" | sort)" \
	    "$layout: a copied line for each message requeued"
	bad=
	while read -r id; do
		if [ "$other" = split ]; then
			f=$EXSPOOL_INPUT/$(printf %s "$id" | cut -c6)/$id
		else
			f=$EXSPOOL_INPUT/$id
		fi
		[ "$(stat -c '%a %U %G' "$f-D" "$f-H" | sort -u)" = \
		    "640 $EXIM_USER $EXIM_USER" ] || bad="$bad $id"
	done <"$T/ids"
	is "$bad" "" \
	    "$layout: each message $other in the spool, 0640, Exim's owner"
	if [ $layout = flat ]; then
		is "$(ls -A "$OUT")" "" "$layout: --remove emptied the source"
	fi
	is "$(exim_spool_ids | sort)" "$(sort "$T/ids")" \
	    "$layout: exim -bp lists the same messages in the $other spool"
	bad=
	while read -r id; do
		views "$id" "$T/$layout-view-b"
		for v in bp vh vb; do
			cmp -s "$T/$layout-view-a/$id.$v" \
			    "$T/$layout-view-b/$id.$v" || bad="$bad $id.$v"
		done
	done <"$T/ids"
	is "$bad" "" "$layout: exim -bp, -Mvh and -Mvb the same in both spools"
	grep -il 'error' "$T/$layout-view-b"/* >"$T/$layout-errors"
	is "$(cat "$T/$layout-errors")" "" \
	    "$layout: no spool read or format error in Exim's views"

	# Both queues run: each message delivered the same from either.
	rm -f "$A/defer" "$B/defer"
	exim_spool_run -qff 2>"$T/$layout-qb.err"
	exim_spool_use "$A"
	exim_spool_run -qff 2>"$T/$layout-qa.err"
	bad=
	while read -r id; do
		[ -s "$A/mail/$id" ] && cmp -s "$A/mail/$id" "$B/mail/$id" ||
		    bad="$bad $id"
	done <"$T/ids"
	is "$bad" "" "$layout: each message delivered from the $other spool" \
	    "as from the original"
	is "$(grep -c '^Envelope-to: deferred@' "$B/mail/$(sed -n 5p "$T/ids")")" \
	    1 "$layout: the partial message's deferred recipient only"
	is "$(awk '$4 == "Completed"' "$B/log/mainlog" | wc -l)" "$n" \
	    "$layout: the $other spool's queue run completed all $n"
done

# As Exim's own pipe transport: Exim holds the lock on -D while the tool
# runs, a child of the delivering process.
P=$T/pipe
mkdir -p "$P/scanned"
chown "$EXIM_USER:" "$P/scanned"
exim_spool_new "$P/spool" --router "scan:
  driver = accept
  local_parts = ^scan
  transport = scan
locked:
  driver = accept
  local_parts = ^locked
  transport = locked" --transport "scan:
  driver = pipe
  command = $QC --no-lock --spool \$spool_directory --to $P/scanned \
\$message_exim_id
  user = $EXIM_USER
  temp_errors = 75
  log_output
locked:
  driver = pipe
  command = $QC --spool \$spool_directory --to $P/scanned \$message_exim_id
  user = $EXIM_USER
  temp_errors = 75
  log_output" || {
	echo 'Bail out! exim refuses the pipe transport configuration'
	exit 1
}
id=$(exim_spool_submit -f alice@test.example scan@test.example \
    <"$FIX/msg.txt")
h=$(where "$id")
cp "$h" "$T/pipe.H"
cp "${h%-H}-D" "$T/pipe.D"
exim_spool_run -M "$id" 2>"$T/pipe.err"
grep "^[^ ]* [^ ]* $id " "$EXSPOOL_LOG" >"$T/pipe.log"
like "$(cat "$T/pipe.log")" "=> scan <scan@test.example> R=scan T=scan" \
    "pipe: --no-lock under Exim's lock: delivered"
like "$(cat "$T/pipe.log")" " Completed" "pipe: the message left the queue"
same "$P/scanned/$id-H" "$T/pipe.H" "pipe: the -H copied as it was queued"
same "$P/scanned/$id-D" "$T/pipe.D" "pipe: the -D copied as it was queued"
is "$(stat -c '%a %U' "$P/scanned/$id-H" "$P/scanned/$id-D" | sort -u)" \
    "640 $EXIM_USER" "pipe: the copies 0640, Exim's user's"
is "$(exim_spool_ids)" "" "pipe: the queue empty"

id=$(exim_spool_submit -f alice@test.example locked@test.example \
    <"$FIX/msg.txt")
exim_spool_run -M "$id" 2>"$T/locked.err"
grep "^[^ ]* [^ ]* $id " "$EXSPOOL_LOG" >"$T/locked.log"
like "$(cat "$T/locked.log")" \
    "== locked@test.example R=locked T=locked defer .*returned 75" \
    "pipe: without --no-lock the tool finds -D locked: 75, Exim defers"
like "$(cat "$T/locked.log")" "locked" "pipe: the tool's output says locked"
is "$(exim_spool_ids)" "$id" "pipe: the message still queued"
ok "pipe: nothing copied of it" test ! -e "$P/scanned/$id-H" -a \
    ! -e "$P/scanned/$id-D"

done_testing
