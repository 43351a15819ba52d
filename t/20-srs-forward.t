#!/bin/sh
# srs-forward on the command line and in batch mode: every option, every
# error path with its exit status and its one-line diagnostic.  Days are
# pinned with faketime; the known answers are those of REFERENCES.md and of
# Mail::SRS and Exim on the same input.
. "$MX_SRCDIR/t/lib.sh"
use_faketime

SEC=$(secret_file secret s3cr3t)
FWD=fwd.example.net
A=User@Example.COM
SRS0=SRS0=Ti5e=RA=Example.COM=User@$FWD	# day 20000
SRS1=SRS1=WAS+=other.net==Ti5e=RA=Example.COM=User@$FWD

# srs ARGS...: srs-forward with the test secret on day 20000.
srs() {
	at 20000 srs-forward --secret-file "$SEC" "$@"
}

# fails STATUS ERE DESCRIPTION: after run, the status, and a one-line
# diagnostic that matches.
fails() {
	is "$rc" "$1" "$3: exit $1"
	one_line_error srs-forward "$3: one line on stderr"
	like "$err" "$2" "$3: says why"
}

# succeeds OUTPUT DESCRIPTION: after run, status 0, that output, no noise.
succeeds() {
	is "$rc:$out" "0:$1" "$2"
	is "$err" "" "$2: nothing on stderr"
}

# --- forward and reverse, the known answers -------------------------------
run srs --domain "$FWD" "$A"
succeeds "$SRS0" "forward, day 20000"
run srs -d "$FWD" "$A"
succeeds "$SRS0" "-d is --domain"
run srs --reverse "$SRS0"
succeeds "$A" "reverse, same day"
run srs -r "$SRS0"
succeeds "$A" "-r is --reverse"
run srs -d "$FWD" SRS0=Ti5e=RA=Example.COM=User@other.net
succeeds "$SRS1" "an SRS0 address from elsewhere becomes SRS1"
run srs -r "$SRS1"
succeeds SRS0=Ti5e=RA=Example.COM=User@other.net \
    "SRS1 reverses to the SRS0 address at its hop"
run srs -d "$FWD" "a@$FWD"
succeeds "a@$FWD" "an address in the forwarding domain is left alone"
run srs -d "$FWD" "$A" b@example.org
is "$rc:$(printf '%s\n' "$out" | wc -l)" "0:2" \
    "several arguments: one line each"
run srs -r "$(printf '%s' "$SRS0" | tr 'A-Z' 'a-z')"
is "$rc:$out" "0:user@example.com" \
    "a hash lowered by an MTA still reverses"
like "$err" "^srs-forward: hash of .* matched only ignoring case$" \
    "...with a warning"

# --- the page's forms and lines, against what the tool prints --------------
# form SED < DISPLAY: a template display of the man page, with its
# placeholders made into the patterns SED gives: an anchored ERE.
form() {
	printf '^%s$' "$(sed 's/^ *//' | sed "$1")"
}
H4='[A-Za-z0-9+/]{4}'
to="s/@domain/@$FWD/; s/=dom=/=example.org=/; s/=local@/=b@/"
run srs -d "$FWD" b@example.org
like "$out" "$(block man/srs-forward.1 srs0-form |
    form "$to; s|HHHH|$H4|; s/TT/[A-Z2-7]{2}/")" \
    "man page: an address forwarded has the SRS0 form it shows"
run srs -d "$FWD" SRS0=abcd=RA=x.org=u@hop.example
like "$out" "$(block man/srs-forward.1 srs1-form |
    form "$to; s|HHHH|$H4|; s/=hop=/=hop.example=/
    s/=srest@/==abcd=RA=x.org=u@/")" \
    "man page: an SRS0 forwarded again has the SRS1 form it shows"
run srs -d "$FWD" --scheme exim b@example.org
like "$out" "$(block man/srs-forward.1 exim-form |
    form "$to; s/hhhh/[0-9a-f]{4}/; s/tt/[a-z2-7]{2}/")" \
    "man page: the Exim scheme's form"
printf '%s\n' "$A" not-an-address >"$T/two-lines"
run srs -d "$FWD" <"$T/two-lines"
is "$err" "$(block man/srs-forward.1 diag-line | sed 's/^ *//')" \
    "man page: the diagnostic for a bad batch line, as printed"
run srs -r srs0=ti5e=ra=example.com=user@fwd.example.net
is "$rc:$out" "0:user@example.com" "a lower-cased address reverses"
is "$err" "$(block man/srs-forward.1 case-warning | sed 's/^ *//')" \
    "man page: its warning, as printed"

# --- --max-age: the timestamp window ----------------------------------------
run at 20021 srs-forward --secret-file "$SEC" -r "$SRS0"
succeeds "$A" "21 days later it still reverses"
run at 20022 srs-forward --secret-file "$SEC" -r "$SRS0"
fails 1 "timestamp too old" "22 days later"
run at 19999 srs-forward --secret-file "$SEC" -r "$SRS0"
fails 1 "in the future" "a day before it was made"
run at 20005 srs-forward --secret-file "$SEC" --max-age 5 -r "$SRS0"
succeeds "$A" "--max-age 5: 5 days later"
run at 20006 srs-forward --secret-file "$SEC" --max-age 5 -r "$SRS0"
fails 1 "timestamp too old" "--max-age 5: 6 days later"
# A plain decimal number: a leading zero is no octal.
run at 20009 srs-forward --secret-file "$SEC" --max-age 010 -r "$SRS0"
succeeds "$A" "--max-age 010: 10 days, 9 days later"
# Two base32 digits: the stamp wraps every 1024 days, in every peer.
run at 21024 srs-forward --secret-file "$SEC" -r "$SRS0"
succeeds "$A" "1024 days later the stamp has wrapped round"
run at 21046 srs-forward --secret-file "$SEC" -r "$SRS0"
fails 1 "timestamp too old" "1046 days later it is 22 days old again"

# --- --time: the day from the command line, not the clock -----------------
# Under a clock stopped on day 30000, --time alone decides the day.
day() {	# day N [H]: --time for hour H (default 12) of day N
	echo $(($1 * 86400 + ${2:-12} * 3600))
}
run srs --time "$(day 20000)" -d "$FWD" "$A"
succeeds "$SRS0" "--time, day 20000: the known answer"
run srs --time "$(day 20000 0)" -d "$FWD" "$A"
succeeds "$SRS0" "--time at the first second of day 20000"
run srs --time "$(($(day 20000 0) + 86399))" -d "$FWD" "$A"
succeeds "$SRS0" "--time at the last second of day 20000"
run srs --time 0 -d "$FWD" "$A"
succeeds "SRS0=Bx6k=AA=Example.COM=User@$FWD" \
    "--time 0: day 0, the other known answer"
run at 30000 srs-forward --secret-file "$SEC" --time "$(day 20000)" \
    -d "$FWD" "$A"
succeeds "$SRS0" "--time wins over the clock"
run at 30000 srs-forward --secret-file "$SEC" --time "$(day 20021)" -r \
    "$SRS0"
succeeds "$A" "--time, reverse: 21 days later it still reverses"
run at 20000 srs-forward --secret-file "$SEC" --time "$(day 20022)" -r \
    "$SRS0"
fails 1 "timestamp too old" "--time, reverse: 22 days later it does not"
run srs --time "$(day 19999)" -r "$SRS0"
fails 1 "in the future" "--time, reverse: a day before it was made"
for v in -1 abc 1.5 '' 0x10 +10 ' 10' -9223372036854775808; do
	run srs --time "$v" -d "$FWD" "$A"
	fails 64 "--time" "--time '$v'"
done
run srs --time 000 -d "$FWD" "$A"
succeeds "SRS0=Bx6k=AA=Example.COM=User@$FWD" "--time 000 is --time 0"
run srs --time 086400 -d "$FWD" "$A"
like "$rc:$out" "^0:SRS0=[^=]*=AB=Example.COM=User@$FWD\$" \
    "--time 086400: day 1, decimal with a leading zero, no octal"
# The peers under libfaketime, we under --time only: the same addresses.
if perl -MMail::SRS -e 1 2>/dev/null && $PY -c 'import SRS' 2>/dev/null; then
	$PY "$MX_SRCDIR/t/data/srs-addrs.py" 5 40 >"$T/peer-in"
	for d in 0 19461 20000 25000; do
		srs-forward --secret-file "$SEC" --time "$(day "$d" 23)" \
		    -d "$FWD" <"$T/peer-in" >"$T/peer-ours"
		at "$d" perl "$MX_SRCDIR/t/data/srs-mailsrs.pl" forward "$FWD" \
		    "$SEC" <"$T/peer-in" >"$T/peer-m"
		at "$d" $PY "$MX_SRCDIR/t/data/srs-pysrs.py" forward "$FWD" \
		    "$SEC" <"$T/peer-in" >"$T/peer-p"
		same "$T/peer-ours" "$T/peer-m" "--time, day $d: as Mail::SRS"
		same "$T/peer-ours" "$T/peer-p" "--time, day $d: as pysrs"
		at "$((d + 21))" $PY "$MX_SRCDIR/t/data/srs-pysrs.py" reverse \
		    "$FWD" "$SEC" <"$T/peer-ours" >"$T/peer-p"
		srs-forward --secret-file "$SEC" --time "$(day $((d + 21)))" \
		    -r <"$T/peer-ours" >"$T/peer-r"
		same "$T/peer-r" "$T/peer-p" \
		    "--time, day $d + 21: reversed as pysrs does"
		same "$T/peer-r" "$T/peer-in" "...to the addresses forwarded"
	done
else
	skip 16 "Mail::SRS or pysrs not installed"
fi

# --- --hash-length, --hash-min ----------------------------------------------
run srs -d "$FWD" --hash-length 8 "$A"
succeeds "SRS0=Ti5eYooJ=RA=Example.COM=User@$FWD" \
    "--hash-length 8 (as Mail::SRS HashLength 8)"
run srs -r "SRS0=Ti5eYooJ=RA=Example.COM=User@$FWD"
succeeds "$A" "a longer hash is accepted by default"
run srs -r --hash-length 10 "SRS0=Ti5eYooJ=RA=Example.COM=User@$FWD"
fails 1 "bad hash" "--hash-length 10 refuses 8 characters"
run srs -r "SRS0=Ti5=RA=Example.COM=User@$FWD"
fails 1 "bad hash" "a hash shorter than 4"
run srs -r --hash-length 8 --hash-min 3 "SRS0=Ti5=RA=Example.COM=User@$FWD"
succeeds "$A" "--hash-min 3 accepts it"
run srs -r --hash-length 2 "SRS0=Ti=RA=Example.COM=User@$FWD"
succeeds "$A" "--hash-length 2: the minimum follows it"
run srs -d "$FWD" --hash-length 27 "$A"
like "$rc:$out" "^0:SRS0=Ti5eYooJ[A-Za-z0-9+/]{19}=RA=" "--hash-length 27"

# --- --separator, --scheme --------------------------------------------------
run srs -d "$FWD" --separator + "$A"
succeeds "SRS0+Ti5e=RA=Example.COM=User@$FWD" "--separator +"
run srs -d "$FWD" --separator - "$A"
succeeds "SRS0-Ti5e=RA=Example.COM=User@$FWD" "--separator -"
run srs -r "SRS0+Ti5e=RA=Example.COM=User@$FWD"
succeeds "$A" "reverse takes any separator"
run srs -d "$FWD" --scheme shevek "$A"
succeeds "$SRS0" "--scheme shevek is the default"
run srs -d "$FWD" --scheme exim "$A"
succeeds "SRS0=9dd4=ra=Example.COM=User@$FWD" \
    "--scheme exim (as exim -be srs_encode)"
# Quoting that is no quoted string, which Exim's srs_encode refuses too.
for a in '"a"b"@c.org' '"a"@x.org,b@y.org,"c"@dom.org' '"x" "y"@c.org'; do
	for sch in exim shevek; do
		run srs -d "$FWD" --scheme "$sch" -- "$a"
		fails 65 "not a valid address" "--scheme $sch: $a refused"
	done
done
# Nothing forwarded that the reverse would refuse as too long.
lp=$(printf 'a%.0s' $(seq 1 2030))
run srs -d "$FWD" -- "$lp@b.org"
fails 65 "address too long" "a forward longer than a reverse takes: refused"
run srs -r --scheme exim "SRS0=9dd4=ra=Example.COM=User@$FWD"
succeeds user@example.com \
    "--scheme exim reverses its own, lower case as Exim's inbound_srs"
run at 20011 srs-forward --secret-file "$SEC" -r --scheme exim \
    "SRS0=9dd4=ra=Example.COM=User@$FWD"
fails 1 "timestamp too old" "--scheme exim: 11 days later"
run srs -r --scheme exim "$SRS0"
is "$rc" 1 "--scheme exim refuses a Shevek address"

# --- --local-domains --------------------------------------------------------
run srs -d "$FWD" --local-domains loc.org a@loc.org a@LOC.Org a@sub.loc.org
is "$rc:$out" "0:a@loc.org
a@LOC.Org
SRS0=mHIu=RA=sub.loc.org=a@$FWD" \
    "--local-domains: exact, case-insensitive, not the subdomains"
run srs -d "$FWD" --local-domains .loc.org a@loc.org a@x.sub.loc.org
is "$rc:$out" "0:SRS0=5tBX=RA=loc.org=a@$FWD
a@x.sub.loc.org" "--local-domains .loc.org: the subdomains, not itself"
run srs -d "$FWD" --local-domains a.org,b.org:c.org \
    --local-domains 'd.org f.org' \
    x@a.org x@b.org x@c.org x@d.org x@e.org x@f.org
is "$rc:$out" "0:x@a.org
x@b.org
x@c.org
x@d.org
SRS0=UA3g=RA=e.org=x@$FWD
x@f.org" "comma, colon and space lists, the option repeated"
is "$err" "" "left alone is not a diagnostic"
run srs -d "$FWD" --local-domains loc.org -v a@loc.org
is "$rc:$out" "0:a@loc.org" "-v: the output is the same"
like "$err" "^srs-forward: 'a@loc.org' left alone: .*local domain" \
    "-v: says what was left alone"
run srs -d "$FWD" --verbose --local-domains loc.org a@loc.org
one_line_error srs-forward "--verbose is -v"

# --- --json -----------------------------------------------------------------
json_ok() {	# json_ok DESCRIPTION: $out is JSON, one object a line
	printf '%s\n' "$out" | $PY -c 'import json, sys
for l in sys.stdin:
	assert isinstance(json.loads(l), dict)' 2>/dev/null
	_result $? "$1"
}
run srs -d "$FWD" --json "$A"
is "$out" "{\"input\":\"$A\",\"status\":\"rewritten\",\"output\":\"$SRS0\"}" \
    "--json: input, status, output"
run srs -d "$FWD" --json --local-domains example.com "$A"
is "$out" "{\"input\":\"$A\",\"status\":\"unchanged\",\"output\":\"$A\"}" \
    "--json: a local domain is 'unchanged'"
run srs -r --json "b@example.org"
is "$rc:$out" \
    '1:{"input":"b@example.org","status":"error",'\
'"reason":"not an SRS address"}' \
    "--json: a refusal has a reason"
one_line_error srs-forward "--json: the diagnostic still goes to stderr"
printf '%s\n' '"we\"ird\\"@x.org' "tab	here@x.org" "it's@x.org" \
    "$(printf 'ctl\001@x.org')" >"$T/odd"
run srs-forward --secret-file "$SEC" -d "$FWD" --json <"$T/odd"
json_ok "--json: quotes, backslashes, tabs and control bytes are escaped"
is "$(printf '%s\n' "$out" | $PY -c 'import json, sys
print(",".join(json.loads(l)["input"] for l in sys.stdin))')" \
    "$(tr '\n' , <"$T/odd" | sed 's/,$//')" \
    "--json: the input comes back intact"

# --- the common options -----------------------------------------------------
run srs-forward --help
is "$rc" 0 "--help: exit 0"
for o in --secret-file --domain --reverse --scheme --hash-length --hash-min \
    --max-age --separator --local-domains --socketmap --time --timeout \
    --json --verbose --usage --version; do
	case $out in
	*"$o"*)	_result 0 "--help lists $o" ;;
	*)	_result 1 "--help lists $o" ;;
	esac
done
run srs-forward -h
is "$rc:$err" "0:" "-h is --help"
run srs-forward --usage
like "$rc:$out" "^0:Usage: srs-forward " "--usage"
run srs-forward --version
like "$rc:$out" "^0:srs-forward \(mxkit\) [0-9]" "--version"
run srs-forward -V
like "$rc:$out" "^0:srs-forward \(mxkit\) [0-9]" "-V is --version"
run srs -d "$FWD" --timeout 5 "$A"
succeeds "$SRS0" "--timeout is taken (it matters to --socketmap)"

# --- bad command lines: 64, 66 ----------------------------------------------
run srs-forward -d "$FWD" "$A"
fails 64 "^srs-forward: --secret-file is required$" "no --secret-file"
run srs-forward --secret-file "$T/nonesuch" -d "$FWD" "$A"
fails 66 "cannot open secret file '.*nonesuch': No such file" \
    "a missing secret file"
run srs-forward --secret-file "$T" -d "$FWD" "$A"
fails 66 "cannot use secret file '$T': not a regular file" \
    "a directory as secret file"
# A FIFO with no writer would block the open, one with a writer that never
# closes it the read: refused at once, whoever holds the other end.
mkfifo "$T/fifo"
run timeout 5 srs-forward --secret-file "$T/fifo" -d "$FWD" "$A"
fails 66 "cannot use secret file '.*fifo': not a regular file" \
    "a FIFO as secret file, no writer"
sleep 10 >"$T/fifo" &
writer=$!
run timeout 5 srs-forward --secret-file "$T/fifo" -d "$FWD" "$A"
fails 66 "cannot use secret file '.*fifo': not a regular file" \
    "a FIFO as secret file, a writer holding it open"
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
run timeout 5 srs-forward --secret-file /dev/null -d "$FWD" "$A"
fails 66 "cannot use secret file '/dev/null': not a regular file" \
    "a device as secret file"
if [ "$(id -u)" -eq 0 ] && command -v setpriv >/dev/null; then
	run setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$MX_BUILDDIR/tools/srs-forward" --secret-file "$SEC" -d "$FWD" "$A"
else
	chmod 000 "$SEC"
	run srs-forward --secret-file "$SEC" -d "$FWD" "$A"
	chmod 600 "$SEC"
fi
fails 66 "cannot open secret file .*: Permission denied" \
    "an unreadable secret file"
: >"$T/empty"
chmod 600 "$T/empty"
run srs-forward --secret-file "$T/empty" -d "$FWD" "$A"
fails 64 "no secret in '.*empty'" "an empty secret file"
printf '\n\r\n\n' >"$T/blank"
chmod 600 "$T/blank"
run srs-forward --secret-file "$T/blank" -d "$FWD" "$A"
fails 64 "no secret in" "a secret file of blank lines"
head -c 5000 /dev/zero | tr '\0' x >"$T/huge"
chmod 600 "$T/huge"
run srs-forward --secret-file "$T/huge" -d "$FWD" "$A"
fails 64 "secret on line 1 of '.*huge' is too long" "a 5000-byte secret"
SECPUB=$(secret_file public s3cr3t)
chmod 644 "$SECPUB"
run at 20000 srs-forward --secret-file "$SECPUB" -d "$FWD" "$A"
is "$rc:$out" "0:$SRS0" "a secret file others can read still works..."
like "$err" "^srs-forward: secret file '.*public' is readable by others$" \
    "...with a warning"

run srs --bogus
fails 64 "bad option '--bogus': unknown option" "an unknown option"
run srs -d
fails 64 "bad option '-d': missing argument" "-d without its argument"
run srs -r "$SRS0" --scheme rot13
fails 64 "unknown scheme 'rot13': expected shevek or exim" "--scheme rot13"
for v in 0 28 -1 abc '' 0x4 ' 4' '4 ' 4x; do
	run srs -d "$FWD" --hash-length "$v" "$A"
	fails 64 "bad --hash-length '$v': want a whole number from 1 to 27" \
	    "--hash-length $v"
done
for v in 0 28 '' 0x4 04.0; do
	run srs -d "$FWD" --hash-min "$v" "$A"
	fails 64 "bad --hash-min '$v': want a whole number from 1 to 27" \
	    "--hash-min $v"
done
run srs -d "$FWD" --hash-length 4 --hash-min 5 "$A"
fails 64 "bad --hash-min 5: more than the hash length 4" \
    "--hash-min above --hash-length"
for v in 0 1024 x '' 0x5 -5 99999999999999999999; do
	run srs -d "$FWD" --max-age "$v" "$A"
	fails 64 "bad --max-age '$v': want a whole number from 1 to 1023" \
	    "--max-age $v"
done
for v in '' == '#' x; do
	run srs -d "$FWD" --separator "$v" "$A"
	fails 64 "bad --separator '$v': expected =, \+ or -" "--separator '$v'"
done
run srs -d "$FWD" --scheme exim --hash-length 5 "$A"
fails 64 "expected 4 with --scheme exim" "--scheme exim --hash-length 5"
run srs -d "$FWD" --scheme exim --separator + "$A"
fails 64 "expected = with --scheme exim" "--scheme exim --separator +"
for v in 0 -1 99999999 abc '' 0x5 5s; do
	run srs -d "$FWD" --timeout "$v" "$A"
	fails 64 "bad --timeout '$v': want a whole number from 1 to" \
	    "--timeout $v"
done
run srs "$A"
fails 64 "^srs-forward: --domain is required to forward$" "no --domain"
for v in '' a@b 'a b'; do
	run srs -d "$v" "$A"
	fails 64 "bad --domain '$v'" "--domain '$v'"
done

# --- bad addresses: 65; refused reversals: 1 --------------------------------
for a in user @example.org user@; do
	run srs -d "$FWD" "$a"
	fails 65 "cannot forward '$a': not a valid address" "forward '$a'"
	is "$out" "" "forward '$a': an empty output line"
done
run srs -d "$FWD" ""
succeeds "" "the null sender passes unchanged"
run srs -r ""
fails 65 "cannot reverse '': not a valid address" "reverse ''"
run srs -r user
fails 65 "cannot reverse 'user': not a valid address" "reverse 'user'"
run srs -r b@example.org
fails 1 "cannot reverse 'b@example.org': not an SRS address" \
    "reverse: not SRS"
is "$out" "" "reverse: not SRS gives an empty line"
run srs -r "SRS0=Xx5e=RA=Example.COM=User@$FWD"
fails 1 ": bad hash$" "reverse: a bad hash"
run srs -r "SRS0=Ti5e=RA=Example.COM=Other@$FWD"
fails 1 ": bad hash$" "reverse: a changed local part"
run srs -r "SRS1=other.net==Ti5e=RA=Example.COM=User@$FWD"
fails 1 ": SRS1 address without a hash$" "reverse: a hashless SRS1"
run srs -r "SRS0=Ti5e=RA=User@$FWD"
fails 1 ": malformed SRS address$" "reverse: an SRS0 short of a field"
run srs -r "SRS0=Ti5e=R=Example.COM=User@$FWD"
fails 1 "malformed SRS address|bad hash" "reverse: a one-letter stamp"
run srs -r "SRS1=WAS+=other.net=Ti5e@$FWD"
fails 1 ": malformed SRS address$" "reverse: an SRS1 without its SRS0 part"
run srs -r "$SRS0" "SRS0=Xx5e=RA=Example.COM=User@$FWD" user
is "$rc:$out:$(wc -l <"$T/out")" "65:$A:3" \
    "arguments: one line each, exit the worst"
is "$(printf '%s\n' "$err" | wc -l)" 2 "arguments: a diagnostic per failure"
long=$(head -c 3000 /dev/zero | tr '\0' a)
run srs -d "$FWD" "$long@example.org"
fails 65 "address too long" "a 3000-byte argument"
like "$err" "'a{100}\.\.\.'" "...quoted only in part"

# --- batch mode -------------------------------------------------------------
# batch FILE ARGS...: srs-forward on day 20000 reading FILE.
batch() {
	_in=$1
	shift
	run at 20000 srs-forward --secret-file "$SEC" "$@" <"$_in"
}
lines() {	# lines TEXT: the number of lines in it
	printf '%s\n' "$1" | wc -l | tr -d ' '
}

printf '%s\n' "$A" b@example.org >"$T/two"
batch "$T/two" -d "$FWD"
succeeds "$SRS0
SRS0=/Hue=RA=example.org=b@$FWD" "batch: one line out per line in"
printf '%s\r\n' "$A" b@example.org >"$T/crlf"
batch "$T/crlf" -d "$FWD"
succeeds "$SRS0
SRS0=/Hue=RA=example.org=b@$FWD" "batch: CRLF lines, no CR in the output"
printf '%s\n%s' "$A" b@example.org >"$T/nonl"
batch "$T/nonl" -d "$FWD"
succeeds "$SRS0
SRS0=/Hue=RA=example.org=b@$FWD" "batch: a last line without a newline"
: >"$T/none"
batch "$T/none" -d "$FWD"
succeeds "" "batch: no input, no output"

printf '%s\n' "$A" user @example.org c@example.org >"$T/bad"
batch "$T/bad" -d "$FWD"
is "$rc" 65 "batch with bad lines: exit 65"
is "$out" "$SRS0


SRS0=hvPQ=RA=example.org=c@$FWD" \
    "batch: bad lines give empty lines, the batch goes on"
is "$err" "srs-forward: line 2: cannot forward 'user': not a valid address
srs-forward: line 3: cannot forward '@example.org': not a valid address" \
    "batch: each bad line named by its number"

printf '%s\n' "$A" "" "<>" c@example.org >"$T/null"
batch "$T/null" -d "$FWD"
succeeds "$SRS0

<>
SRS0=hvPQ=RA=example.org=c@$FWD" \
    "batch: null senders (empty, <>) pass unchanged"

printf '%s\n' "$SRS0" b@example.org "$SRS1" >"$T/rev"
batch "$T/rev" -r
is "$rc:$out" "1:$A

SRS0=Ti5e=RA=Example.COM=User@other.net" "batch reverse: a refusal exits 1"
is "$err" \
    "srs-forward: line 2: cannot reverse 'b@example.org': not an SRS address" \
    "batch reverse: the refusal on stderr"
printf '%s\n' b@example.org user "$SRS0" >"$T/mixed"
batch "$T/mixed" -r
is "$rc:$(lines "$out")" "65:3" "batch: 1 and 65 make 65, the worst"

# Over-long lines: 2048 bytes is the longest address; longer lines are
# refused without being read into memory whole, and the batch goes on.
a2048=$(head -c 2036 /dev/zero | tr '\0' a)@example.org
{
	echo "$A"
	echo "$a2048"
	echo "${a2048}x"
	head -c 300000 /dev/zero | tr '\0' a
	echo
	printf '%s\r\n' "$a2048"
	echo "$A"
} >"$T/long"
batch "$T/long" -d "$FWD"
is "$rc" 65 "batch with over-long lines: exit 65"
is "$(lines "$out")" 6 "batch: one output line per input line"
is "$(printf '%s\n' "$out" | sed -n '1p;6p')" "$SRS0
$SRS0" "batch: the lines around them are rewritten"
is "$(printf '%s\n' "$out" | sed -n '3,4p' | tr -d '\n')" "" \
    "batch: the over-long lines give empty lines"
is "$(printf '%s\n' "$err" | grep -c 'longer than 2048 bytes')" 2 \
    "batch: each over-long line is reported..."
like "$(printf '%s\n' "$err" | grep 'longer than')" "^srs-forward: line 3: .*
srs-forward: line 4: " "...with its line number"
is "$(printf '%s\n' "$err" | awk 'length > 200' | wc -l)" 0 \
    "batch: no diagnostic quotes a whole long line"

batch "$T/long" -d "$FWD" --json
is "$(lines "$out")" 6 "batch --json: one object per line"
json_ok "batch --json: all of it JSON"
is "$(printf '%s\n' "$out" | sed -n 4p)" \
    '{"status":"error","reason":"address too long"}' \
    "batch --json: an over-long line has no input"
# A NUL, or any control byte, in a line: the diagnostic shows the whole
# line as it came, the NUL as \x00, and cuts nothing after it.
printf 'a\000b@example.org\nc\001\033d@example.org\n' >"$T/nul"
batch "$T/nul" -d "$FWD"
is "$rc" 65 "batch: a NUL in a line, exit 65"
is "$err" "srs-forward: line 1: cannot forward 'a\\x00b@example.org': not a \
valid address
srs-forward: line 2: cannot forward 'c\\x01\\x1bd@example.org': not a \
valid address" "batch: the NUL and the control bytes as \\xNN, nothing cut"
run srs -r "$(printf 'SRS0=Xx5e=RA=\303\251.org=u@x.org')"
like "$err" "'SRS0=Xx5e=RA=\\\\xc3\\\\xa9\\.org=u@x\\.org': bad hash" \
    "bytes that are not ASCII shown as \\xNN"
long=$(head -c 1500 /dev/zero | tr '\0' b)
printf '\001%s@example.org\n' "$long" >"$T/longctl"
batch "$T/longctl" -d "$FWD"
like "$err" "'\\\\x01b{99}\\.\\.\\.': " \
    "a long line: the first 100 bytes shown, then ..."

batch "$T/bad" -d "$FWD" --json
is "$(printf '%s\n' "$out" | sed -n 2p)" \
    '{"input":"user","status":"error","reason":"not a valid address"}' \
    "batch --json: a bad line in the middle"

# --- I/O errors: 74 ---------------------------------------------------------
run sh -c 'srs-forward --secret-file "$1" -d "$2" "$3" >/dev/full' sh \
    "$SEC" "$FWD" "$A"
fails 74 "cannot write to standard output: No space left on device" \
    "writing to a full device"
run closed_pipe srs-forward --secret-file "$SEC" -d "$FWD" "$A"
fails 74 "cannot write to standard output: Broken pipe" \
    "a reader gone: 74 and one line, no death by SIGPIPE"
seq 1 200000 | sed 's/$/@example.org/' >"$T/many"
run sh -c 'srs-forward --secret-file "$1" -d "$2" <"$3" >/dev/full' sh \
    "$SEC" "$FWD" "$T/many"
fails 74 "cannot write to standard output" \
    "a batch to a full device stops with one diagnostic"
run sh -c 'srs-forward --secret-file "$1" -d "$2" </' sh "$SEC" "$FWD"
fails 74 "cannot read standard input: Is a directory" \
    "a directory on standard input"
run sh -c 'srs-forward --secret-file "$1" -d "$2" <&-' sh "$SEC" "$FWD"
fails 74 "cannot read standard input: Bad file descriptor" \
    "standard input closed"
run sh -c 'srs-forward --help >/dev/full' sh
fails 74 "cannot write to standard output" "--help to a full device"

# --- secret rotation: the first secret signs, all verify --------------------
ROT=$(secret_file rotated n3w s3cr3t)
run at 20000 srs-forward --secret-file "$ROT" -r "$SRS0"
succeeds "$A" "rotation: an address signed with the old secret reverses"
run at 20000 srs-forward --secret-file "$ROT" -d "$FWD" "$A"
isnt "$out" "$SRS0" "rotation: the new secret signs"
new=$out
run srs -r "$new"
fails 1 "bad hash" "rotation: the old secret alone does not verify it"
printf 'n3w\r\ns3cr3t\r\n' >"$T/rotcrlf"
chmod 600 "$T/rotcrlf"
run at 20000 srs-forward --secret-file "$T/rotcrlf" -r "$new"
succeeds "$A" "rotation: a secret file with CRLF lines"

# --- Local parts that need quotes ------------------------------------------
# A reversed address names the original sender and no one else, however
# the SRS address comes: quoted (Postfix) or with its quotes taken off
# (Exim's $local_part, specials and all).
# qcase SENDER ERE: forwarding SENDER gives an SRS address, quoted, that
# matches ERE; reversing it, and (without a space) the same with its
# quotes taken off, gives SENDER.
qcase() {
	run srs -d "$FWD" -- "$1"
	like "$rc:$out" "^0:$2\$" "forward $1"
	_srs=$out
	run srs -r -- "$_srs"
	succeeds "$1" "reverse $_srs"
	case $_srs in
	*' '*)	;;
	*)	_bare=$(printf '%s' "$_srs" |
		    sed 's/^"\(.*\)"@/\1@/; s/\\\(.\)/\1/g')
		run srs -r -- "$_bare"
		succeeds "$1" "reverse $_bare" ;;
	esac
}
H='SRS0=[^=]{4}=RA'
qcase '"victim@t.example,a"@attacker.example' \
    "\"$H=attacker\\.example=victim@t\\.example,a\"@fwd\\.example\\.net"
qcase '":include:/tmp/x"@y.example' \
    "\"$H=y\\.example=:include:/tmp/x\"@fwd\\.example\\.net"
qcase '"a\"b\\c"@x.example' \
    "\"$H=x\\.example=a\\\\\"b\\\\\\\\c\"@fwd\\.example\\.net"
qcase '"a \"b\""@x.example' \
    "\"$H=x\\.example=a \\\\\"b\\\\\"\"@fwd\\.example\\.net"
qcase '".lead"@x.example' "\"$H=x\\.example=\\.lead\"@fwd\\.example\\.net"
# Unquoted specials that an MTA let through: the SRS address is quoted
# (the peers write SRS0=...=a@b@fwd, no address), the reverse too.
run srs -d "$FWD" a@b@c.example
like "$rc:$out" "^0:\"$H=c\\.example=a@b\"@fwd\\.example\\.net\$" \
    "forward a@b@c.example: the SRS local part quoted"
run srs -r -- "$out"
succeeds '"a@b"@c.example' "...which reverses quoted"
run srs -d "$FWD" trail.@x.example
like "$rc:$out" "^0:\"$H=x\\.example=trail\\.\"@fwd\\.example\\.net\$" \
    "forward trail.@x.example: quoted"
run srs -r -- "$(printf '%s' "$out" | tr -d '"')"
succeeds '"trail."@x.example' "...its reverse too, from the unquoted form"
# Two dots in a row go bare, as the peers and MTAs have them.
run srs -d "$FWD" a..b@x.example
like "$rc:$out" "^0:$H=x\\.example=a\\.\\.b@fwd\\.example\\.net\$" \
    "forward a..b: bare"
run srs -r -- "$out"
succeeds a..b@x.example "...and back"
for bad in 'a@x,y.example' 'a@x:y.example' 'a@(x).example' 'a@x..example' \
    'a@.x.example' '"a"b"@x.example' '"a\"@x.example'; do
	run srs -d "$FWD" -- "$bad"
	fails 65 "not a valid address" "forward '$bad'"
done
run srs -r -- '"SRS0=AAAA=RA=attacker.example=victim"b"@fwd.example.net'
fails 65 "not a valid address" "reverse with a bare quote inside quotes"

done_testing
