#!/bin/sh
# EHLO replies taken apart by common/ehlo.c (t/unit/ehlo-parse): every
# extension smtp-probe reports, the three spellings of early pipelining,
# LIMITS under RFC 9422's rules (a bad value ignores that limit, a grammar
# error the whole keyword, unknown names are ignored, names in any case,
# a limit given twice, numbers past six digits), ehlo_same, and the reply
# of a live Exim 4.96 (exim4 -bh) as Exim writes it.
. "${MX_SRCDIR:-.}/t/lib.sh"

EP=$MX_BUILDDIR/t/unit/ehlo-parse

# parse LINE...: the lines of a 250 reply (greeting first) through the
# driver, CRLF ended, as a server sends them; its output in $out.
parse() {
	_last=$#
	_i=0
	for _l; do
		_i=$((_i + 1))
		if [ "$_i" -eq "$_last" ]; then
			printf '250 %s\r\n' "$_l"
		else
			printf '250-%s\r\n' "$_l"
		fi
	done >"$T/reply"
	run "$EP" <"$T/reply"
}

# field NAME: a value of the last parse, unquoted.
field() {
	(eval "$out" && eval "printf '%s' \"\${$1}\"")
}

# limits: "mailmax rcptmax rcptdomainmax valid" of the last parse.
limits() {
	printf '%s %s %s %s' "$(field mailmax)" "$(field rcptmax)" \
	    "$(field rcptdomainmax)" "$(field limits_valid)"
}

# --- the extensions ----------------------------------------------------
parse 'mx.example Hello client [192.0.2.1]' 'SIZE 35882577' \
    'AUTH PLAIN LOGIN CRAM-MD5' PIPELINING CHUNKING DSN SMTPUTF8 PRDR \
    'XCLIENT NAME ADDR PROTO HELO LOGIN' STARTTLS 8BITMIME BINARYMIME \
    REQUIRETLS 'LIMITS RCPTMAX=20' HELP
is "$rc" 0 "a full reply parses"
is "$(field greeting)" 'mx.example Hello client [192.0.2.1]' "greeting kept"
is "$(field nkw)" 14 "one kw entry per line after the greeting"
for f in pipelining chunking dsn smtputf8 prdr starttls eightbitmime \
    binarymime requiretls size_offered; do
	is "$(field $f)" 1 "$f found"
done
is "$(field size)" 35882577 "SIZE's value"
is "$(field auth)" 'PLAIN LOGIN CRAM-MD5' "AUTH's mechanisms"
is "$(field xclient)" 'NAME ADDR PROTO HELO LOGIN' "XCLIENT's attributes"
is "$(limits)" '0 20 0 1' "LIMITS RCPTMAX=20"
is "$(field kw2)/$(field kw2_param)" 'AUTH/PLAIN LOGIN CRAM-MD5' \
    "a keyword and its parameter apart"
is "$(field pipeconnect)" - "no early pipelining offered"

parse 'mx.example' HELP
for f in pipelining chunking dsn smtputf8 prdr starttls eightbitmime \
    size_offered limits_offered; do
	is "$(field $f)" 0 "$f absent when not offered"
done
is "$(field auth)/$(field xclient)" -/- "no AUTH, no XCLIENT"

parse 'mx.example' 'size' 'Pipelining' 'auth login'
is "$(field size_offered)/$(field size)/$(field pipelining)/$(field auth)" \
    '1/0/1/login' "keywords in any case; SIZE without a value is 0"

parse 'mx.example' 'SIZE 18446744073709551616'
is "$(field size_offered)/$(field size)" 1/0 \
    "a SIZE past 64 bits is no value, not a wrapped one"
parse 'mx.example' 'SIZE 18446744073709551615'
is "$(field size)" 18446744073709551615 "the largest SIZE taken whole"

parse 'mx.example' 'AUTH=LOGIN PLAIN' '-X' 'SIZE 10'
is "$(field kw1_keyword)/$(field kw2_keyword)/$(field kw3_keyword)" 0/0/1 \
    "lines that are no ehlo-keyword are kept but marked"
is "$(field auth)" - "the old AUTH= line is not AUTH"

# --- early pipelining: the three spellings ---------------------------
parse 'mx.example' PIPELINING PIPECONNECT
is "$(field pipeconnect)" PIPECONNECT "PIPECONNECT (Exim 4.96, the draft)"
parse 'mx.example' PIPELINING PIPE_CONNECT
is "$(field pipeconnect)" PIPE_CONNECT "PIPE_CONNECT (Exim 4.95)"
parse 'mx.example' PIPELINING X_PIPE_CONNECT
is "$(field pipeconnect)" X_PIPE_CONNECT "X_PIPE_CONNECT (Exim 4.92)"
parse 'mx.example' x_pipe_connect
is "$(field pipeconnect)" X_PIPE_CONNECT "a spelling in lower case"
parse 'mx.example' X_PIPE_CONNECT PIPECONNECT PIPE_CONNECT
is "$(field pipeconnect)" PIPECONNECT "several spellings: the newest"
parse 'mx.example' PIPE-CONNECT XPIPECONNECT 'PIPECONNECTX'
is "$(field pipeconnect)" - "near misses are not early pipelining"

# --- LIMITS ------------------------------------------------------------
parse 'mx.example' 'LIMITS MAILMAX=5 RCPTMAX=10 RCPTDOMAINMAX=3'
is "$(limits)" '5 10 3 1' "LIMITS with all three limits"
is "$(field limits_why)" '' "and nothing to say"

parse 'mx.example' 'LIMITS X-FLAG MAILMAX=8'
is "$(limits)" '8 0 0 1' "an unknown name without a value (RFC 9422 3)"
is "$(field limits_why)" '' "unknown names ignored without a word"

parse 'mx.example' 'LIMITS FOO=bar BAZ=1 X_Y=a=b RCPTMAX=7'
is "$(limits)" '0 7 0 1' "unknown names with values ignored"

parse 'mx.example' 'LIMITS RCPTMAX MAILMAX=2'
is "$(limits)" '2 0 0 1' "a known limit with no value: that limit ignored"
like "$(field limits_why)" "no value for 'RCPTMAX'" "and why"

for v in abc 0 -1 +5 5x 0x10 1.5 1000000 '5,MAILMAX=1'; do
	parse 'mx.example' "LIMITS RCPTMAX=$v MAILMAX=2"
	is "$(limits)" '2 0 0 1' "RCPTMAX=$v: that limit ignored, MAILMAX kept"
	like "$(field limits_why)" "bad value 'RCPTMAX=" "RCPTMAX=$v: why"
done
parse 'mx.example' 'LIMITS RCPTMAX=99999999999999999999999999 MAILMAX=3'
is "$(limits)" '3 0 0 1' "a value past 64 bits ignored, not wrapped"
parse 'mx.example' 'LIMITS RCPTMAX=999999 MAILMAX=000042'
is "$(limits)" '42 999999 0 1' "six digits, leading zeros: taken"

# (Blanks between the keyword and its parameter are a keyword line's,
# as smtp_ehlo_param takes them; inside the parameter one SP only.)
for p in 'RCPTMAX=5  MAILMAX=2' 'RCPTMAX=5 MAILMAX=2 ' 'RCPTMAX=1;2' \
    'RCPTMAX= MAILMAX=2' '=5 MAILMAX=2' 'RCPT.MAX=5' 'RCPTMAX=5	MAILMAX=2' \
    'RCPTMAX=5 =' 'RCPTMAX=é'; do
	parse 'mx.example' "LIMITS $p"
	is "$(limits)" '0 0 0 0' "grammar error '$p': LIMITS ignored"
	like "$(field limits_offered)/$(field limits_why)" \
	    "^1/LIMITS ignored: bad syntax at '" "'$p': why"
done
parse 'mx.example' 'LIMITS'
is "$(limits)/$(field limits_why)" '0 0 0 0/LIMITS ignored: no limit given' \
    "LIMITS without a parameter: ignored"

parse 'mx.example' 'limits rcptmax=4 MailMax=2 RcptDomainMax=1'
is "$(limits)" '2 4 1 1' "names in any case"

parse 'mx.example' 'LIMITS RCPTMAX=10 RCPTMAX=4'
is "$(limits)" '0 4 0 1' "a limit given twice: the lower taken"
like "$(field limits_why)" "given twice 'RCPTMAX'" "and said"
parse 'mx.example' 'LIMITS RCPTMAX=4 rcptmax=10'
is "$(field rcptmax)" 4 "the lower also when it comes first"
parse 'mx.example' 'LIMITS RCPTMAX=abc RCPTMAX=6'
is "$(field rcptmax)" 6 "a bad value and a good one: the good one"

parse 'mx.example' 'LIMITS RCPTMAX=5' 'LIMITS RCPTMAX=9'
is "$(field rcptmax)" 5 "LIMITS twice: the first line counts"

# --- ehlo_same ------------------------------------------------------------
printf '250-mx.example Hello a [192.0.2.1]\r\n250-SIZE 100\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 PIPECONNECT\r\n' >"$T/a"
# same_as_a WANT DESCRIPTION: ehlo_same of $T/a and $T/b
same_as_a() {
	run "$EP" --same "$T/b" <"$T/a"
	is "$(field same)" "$1" "$2"
}
printf '250-mx.example Hello b [192.0.2.9]\r\n250-PIPECONNECT\r\n250-auth plain login\r\n250-pipelining\r\n250 SIZE 100\r\n' >"$T/b"
same_as_a 1 "same: another greeting, another order, another case"
printf '250-mx.example Hello a\r\n250-SIZE 200\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250 PIPECONNECT\r\n' >"$T/b"
same_as_a 0 "not the same: SIZE changed"
printf '250-mx.example Hello a\r\n250-SIZE 100\r\n250-PIPELINING\r\n250 AUTH PLAIN LOGIN\r\n' >"$T/b"
same_as_a 0 "not the same: PIPECONNECT gone"
printf '250-mx.example Hello a\r\n250-SIZE 100\r\n250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250-PIPECONNECT\r\n250 LIMITS RCPTMAX=5\r\n' >"$T/b"
same_as_a 0 "not the same: LIMITS added"
printf '250-mx.example Hello a\r\n250-SIZE 100\r\n250-PIPELINING\r\n250-PIPELINING\r\n250 PIPECONNECT\r\n' >"$T/b"
same_as_a 0 "not the same: as many lines, one twice"

# --- a live Exim 4.96 ---------------------------------------------------
if command -v exim4 >/dev/null 2>&1 && command -v openssl >/dev/null 2>&1
then
	mkdir -p "$T/spool"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$T/key.pem" \
	    -out "$T/cert.pem" -days 2 -subj /CN=mx.test 2>/dev/null
	chmod 644 "$T/key.pem"
	cat >"$T/exim.conf" <<-EOF
	primary_hostname = mx.test
	spool_directory = $T/spool
	log_file_path = $T/%slog
	pipelining_connect_advertise_hosts = *
	chunking_advertise_hosts = *
	tls_advertise_hosts = *
	tls_certificate = $T/cert.pem
	tls_privatekey = $T/key.pem
	prdr_enable = true
	begin routers
	begin transports
	EOF
	printf 'EHLO client.test\r\nQUIT\r\n' |
	    exim4 -C "$T/exim.conf" -bh 127.0.0.1 2>"$T/exim.err" |
	    sed -n '/^250[- ]/p' >"$T/exim.ehlo"
	run "$EP" <"$T/exim.ehlo"
	# Exim writes CRLF; the shell compares without the CR.
	tr -d '\r' <"$T/exim.ehlo" >"$T/exim.lf"
	is "$rc" 0 "Exim's EHLO reply parses"
	n=$(wc -l <"$T/exim.lf")
	ok "Exim answered EHLO with several lines" [ "$n" -gt 5 ]
	is "$(field nkw)" $((n - 1)) "one kw entry per keyword line of Exim's"
	is "$(field greeting)" "$(sed -n '1s/^250-//p' "$T/exim.lf")" \
	    "Exim's greeting"
	i=0
	sed -n '2,$s/^250[- ]//p' "$T/exim.lf" >"$T/exim.kw"
	bad=
	while read -r name param; do
		i=$((i + 1))
		[ "$(field kw$i)" = "$name" ] &&
		    [ "$(field kw${i}_param)" = "$param" ] &&
		    [ "$(field kw${i}_keyword)" = 1 ] || bad="$bad $name"
	done <"$T/exim.kw"
	is "$bad" '' "each of Exim's keywords and parameters as Exim sent it"
	# Each flag set exactly when Exim's reply has its keyword.
	for kw in PIPELINING:pipelining CHUNKING:chunking STARTTLS:starttls \
	    PRDR:prdr SMTPUTF8:smtputf8 8BITMIME:eightbitmime DSN:dsn \
	    SIZE:size_offered; do
		want=0
		grep -q "^250[- ]${kw%%:*}\( \|\$\)" "$T/exim.lf" && want=1
		is "$(field ${kw#*:})" "$want" "Exim: ${kw#*:} is $want"
	done
	is "$(field size)" "$(sed -n 's/^250[- ]SIZE //p' "$T/exim.lf")" \
	    "Exim's SIZE value"
	want=-
	grep -q '^250[- ]PIPECONNECT$' "$T/exim.lf" && want=PIPECONNECT
	is "$(field pipeconnect)" "$want" "Exim 4.96's spelling: $want"
	ok "Exim 4.96 offers early pipelining" [ "$want" = PIPECONNECT ]
	run "$EP" --same "$T/exim.ehlo" <"$T/exim.ehlo"
	is "$(field same)" 1 "Exim's reply is the same as itself"
	tr 'a-z' 'A-Z' <"$T/exim.ehlo" | sed 's/^250-/250 /; $!s/^250 /250-/' \
	    >"$T/exim.upper"
	run "$EP" --same "$T/exim.upper" <"$T/exim.ehlo"
	is "$(field same)" 1 "and as itself in upper case"
else
	skip 19 "exim4 or openssl not installed"
fi

# --- the driver's input -------------------------------------------------
printf '250-mx.example\r\nnot a reply\r\n' >"$T/bad"
run "$EP" <"$T/bad"
is "$rc" 65 "a line that is no reply line: 65"
one_line_error ehlo-parse "one line"

done_testing
