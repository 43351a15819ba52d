#!/bin/sh
# srs-forward --scheme exim against Debian's Exim: srs_encode and
# inbound_srs through `exim -be`, with the day pinned by libfaketime.
. "${MX_SRCDIR:-.}/t/lib.sh"

# exim lives in /usr/sbin, not always on a user's PATH.
PATH=$PATH:/usr/sbin
need exim
use_faketime
exim -be '${srs_encode{k}{a@b.example}{c.example}}' 2>/dev/null |
    grep -q '^SRS0=' || skip_all "this exim has no srs_encode"

D=$MX_SRCDIR/t/data
FWD=fwd.example.net
SECRET=s3cr3t
S=$(secret_file s "$SECRET")

ours() {	# ours DAY ARGS...
	_day=$1
	shift
	at "$_day" srs-forward --scheme exim --secret-file "$S" "$@"
}

# exim_be DAY < expansions: one result line per expansion line.  exim -be
# reads stdin as a prompted session: "> " before each result, and a last
# prompt without a newline.
exim_be() {
	at "$1" exim -be | sed '$d; s/^> //'
}

# Expansion lines for a file of addresses.
encode() {	# encode < addresses
	sed "s/.*/\${srs_encode{$SECRET}{&}{$FWD}}/"
}

# inbound_srs takes the local part as Exim sees it: quotes removed.
inbound() {	# inbound < SRS addresses
	sed 's/@[^@]*$//; s/^"\(.*\)"$/\1/' |
	    sed "s/.*/\${if inbound_srs{&}{$SECRET}{\$srs_recipient}{no}}/"
}

# --- Known answer (REFERENCES.md) ---------------------------------------
run ours 20000 -d "$FWD" User@Example.COM
is "$out" "SRS0=9dd4=ra=Example.COM=User@fwd.example.net" \
    "known answer, day 20000"
run at 20000 exim -be "\${srs_encode{$SECRET}{User@Example.COM}{$FWD}}"
is "$out" "SRS0=9dd4=ra=Example.COM=User@fwd.example.net" \
    "exim gives the same known answer"
run ours 20010 -r SRS0=9dd4=ra=Example.COM=User@fwd.example.net
is "$out:$rc" "user@example.com:0" \
    "known answer reversed 10 days later, lower-cased as Exim does"

# --- Both directions on several days --------------------------------------
# 0, the known-answer day, stamps 5 and 1023 of the 1024-day cycle, more.
seed=500
for day in 0 20000 19461 19455 25000; do
	seed=$((seed + 1))
	$PY "$D/srs-addrs.py" "$seed" 150 >"$T/in"
	tr A-Z a-z <"$T/in" >"$T/lcin"
	ours "$day" -d "$FWD" <"$T/in" >"$T/o"
	encode <"$T/in" | exim_be "$day" >"$T/e"
	same "$T/o" "$T/e" "day $day: forward equals srs_encode"
	inbound <"$T/o" | exim_be "$day" >"$T/x"
	same "$T/x" "$T/lcin" "day $day: inbound_srs accepts ours"
	ours "$day" -r <"$T/o" >"$T/r"
	same "$T/r" "$T/x" "day $day: our reverse equals \$srs_recipient"
	ours "$day" -r <"$T/e" >"$T/r"
	same "$T/r" "$T/lcin" "day $day: we reverse what exim made"
done

# --- Age: 10 days pass, 11 do not; a stamp from tomorrow does not ------
for made in 19450 20000; do
	$PY "$D/srs-addrs.py" "$made" 30 >"$T/in"
	tr A-Z a-z <"$T/in" >"$T/lcin"
	ours "$made" -d "$FWD" <"$T/in" >"$T/o"
	for late in 10 11 -1; do
		day=$((made + late))
		what="made day $made, $late days later"
		run ours "$day" -r <"$T/o"
		inbound <"$T/o" | exim_be "$day" >"$T/x"
		if [ "$late" -eq 10 ]; then
			same "$T/out" "$T/lcin" "$what: we accept"
			is "$rc" 0 "$what: exit 0"
			same "$T/x" "$T/lcin" "$what: exim accepts"
		else
			is "$(grep -c . "$T/out")" 0 "$what: we refuse"
			is "$rc" 1 "$what: exit 1"
			like "$(head -n 1 "$T/err")" "timestamp too old" \
			    "$what: says why"
			is "$(grep -vc '^no$' "$T/x")" 0 "$what: exim refuses"
		fi
	done
done

# --- Case and tampering: Exim's scheme is lower case only ---------------
day=20000
$PY "$D/srs-addrs.py" 600 40 >"$T/in"
ours "$day" -d "$FWD" <"$T/in" >"$T/o"
for how in stamp hash tamper; do
	case $how in
	stamp)	sed 's/^\(SRS0=....=\)\(..\)/\1\U\2/' "$T/o" ;;
	hash)	sed 's/^\(SRS0=\)\(....\)/\1\U\2/' "$T/o" ;;
	tamper)	sed 's/^\(SRS0=\)\(.\)/\1\2\n/; s/\n[0-7]/8/; s/\n./0/' \
		    "$T/o" ;;
	esac >"$T/bad"
	# Lines the change left as they were still verify.
	n=$(paste -d '\n' "$T/o" "$T/bad" | uniq -u | wc -l)
	n=$((n / 2))
	run ours "$day" -r <"$T/bad"
	is "$(grep -c . "$T/out")" $((40 - n)) "$how: we refuse every changed line"
	[ "$n" -gt 0 ] && is "$rc" 1 "$how: exit 1"
	inbound <"$T/bad" | exim_be "$day" >"$T/x"
	is "$(grep -vc '^no$' "$T/x")" $((40 - n)) "$how: exim refuses them too"
done

# --- SRS addresses are wrapped again: the Exim scheme has no SRS1 ---------
cat >"$T/in" <<'EOF'
SRS0=abcd=ra=x.example=u@hop.example
SRS1=abcd=hop.example==abcd=ra=x.example=u@hop2.example
srs0=x@y.example
EOF
ours 20000 -d "$FWD" <"$T/in" >"$T/o"
encode <"$T/in" | exim_be 20000 >"$T/e"
same "$T/o" "$T/e" "SRS0 and SRS1 inputs forwarded as srs_encode does"
ours 20000 -r <"$T/o" >"$T/r"
inbound <"$T/o" | exim_be 20000 >"$T/x"
same "$T/r" "$T/x" "and reversed as inbound_srs does"
# srs_encode rewrites an address in the forwarding domain too; srs-forward
# leaves it alone, as the Shevek peers do (a documented divergence).
run ours 20000 -d "$FWD" a@FWD.example.net
is "$out:$rc" "a@FWD.example.net:0" "the forwarding domain is left alone"

# --- Quoted local parts -----------------------------------------------------
cat >"$T/in" <<'EOF'
"a b"@x.example
"John Smith"@Example.ORG
"a@b"@x.example
"quoted.but.plain"@x.example
"x=y z"@Sub.X.example
EOF
tr A-Z a-z <"$T/in" >"$T/lcin"
for day in 20000 19461; do
	ours "$day" -d "$FWD" <"$T/in" >"$T/o"
	encode <"$T/in" | exim_be "$day" >"$T/e"
	same "$T/o" "$T/e" "day $day: quoted local parts as srs_encode"
	# Exim hashes a needlessly quoted local part with its quotes but
	# rebuilds it without them, so it refuses what it made itself for
	# "quoted.but.plain"; so do we.  Its "no" is our empty line.
	inbound <"$T/o" | exim_be "$day" | sed 's/^no$//' >"$T/x"
	ours "$day" -r <"$T/o" >"$T/r" 2>/dev/null
	same "$T/r" "$T/x" "day $day: quoted: our reverse equals \$srs_recipient"
	is "$(sed -n 4p "$T/x")" "" "day $day: exim refuses its own \"quoted.but.plain\""
done

done_testing
