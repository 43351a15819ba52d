#!/bin/sh
# srs-forward against the Shevek scheme's reference peers: Mail::SRS, pysrs
# and postsrsd 1.10, both directions, on seeded addresses, several secrets
# and several days pinned with libfaketime.
. "${MX_SRCDIR:-.}/t/lib.sh"

# postsrsd and exim live in /usr/sbin, not always on a user's PATH.
PATH=$PATH:/usr/sbin
need perl postsrsd
perl -MMail::SRS -e 1 2>/dev/null || skip_all "Mail::SRS not installed"
$PY -c 'import SRS' 2>/dev/null || skip_all "pysrs not installed"
use_faketime

D=$MX_SRCDIR/t/data
FWD=fwd.example.net

ours() {	# ours DAY ARGS... < in > out
	_day=$1
	shift
	at "$_day" srs-forward "$@"
}

ms() {	# ms DAY forward|reverse SECRETFILE [Key=Value...]
	_day=$1
	_m=$2
	_s=$3
	shift 3
	at "$_day" perl "$D/srs-mailsrs.pl" "$_m" "$FWD" "$_s" MaxAge=21 "$@"
}

py() {	# py DAY forward|reverse SECRETFILE [key=value...]
	_day=$1
	_m=$2
	_s=$3
	shift 3
	at "$_day" $PY "$D/srs-pysrs.py" "$_m" "$FWD" "$_s" "$@"
}

# pd_start DAY SECRETFILE [postsrsd options]: postsrsd on free ports,
# forward table on $PF, reverse on $PR; pd_stop ends it.  The clock ticks
# from noon (FAKETIME "@...") so its timeouts behave.
pd_start() {
	_day=$1
	_s=$2
	shift 2
	free_ports PF PR
	daemon env TZ=UTC LD_PRELOAD="$FT" FAKETIME="@$(noon "$_day")" \
	    postsrsd -s "$_s" -d "$FWD" -l 127.0.0.1 -f "$PF" -r "$PR" -4 \
	    "$@"
	PDPID=$!
	wait_port "$PF" && wait_port "$PR"
}

pd_stop() {
	kill "$PDPID" 2>/dev/null
	wait "$PDPID" 2>/dev/null
}

pd() {	# pd PORT < in > out
	$PY "$D/srs-tcptable.py" "$1"
}

addrs() {	# addrs SEED COUNT > file
	$PY "$D/srs-addrs.py" "$1" "$2"
}

S1=$(secret_file s1 s3cr3t)
S2=$(secret_file s2 "$($PY -c 'import random; r = random.Random(7)
print("".join(r.choice("abcdefghijklmnopqrstuvwxyz0123456789!#$%&*+-./:;<>?@[]^_{|}~") for _ in range(80)))')")
S3=$(secret_file s3 'K=ey+/With.Punct')

# Days: 0, the known-answer day, stamps 1023 and 5 (just before and after
# a wrap of the 1024-day cycle), and two more.
DAYS="0 20000 19455 19461 19999 25000"

# --- Known answers (REFERENCES.md) ------------------------------------
run ours 20000 --secret-file "$S1" -d "$FWD" User@Example.COM
is "$out" "SRS0=Ti5e=RA=Example.COM=User@fwd.example.net" "known answer, day 20000"
run ours 0 --secret-file "$S1" -d "$FWD" User@Example.COM
is "$out" "SRS0=Bx6k=AA=Example.COM=User@fwd.example.net" "known answer, day 0"
run ours 20010 --secret-file "$S1" --reverse \
    SRS0=Ti5e=RA=Example.COM=User@fwd.example.net
is "$out:$rc" "User@Example.COM:0" "known answer reversed 10 days later"

# --- Forward byte for byte, and reverse both ways ---------------------
# agree DAY SECRET IN OUT WANT WHAT: forward the addresses in IN with SECRET
# through $FWD, here and in the three peers; all must write OUT alike, and
# every one of them and we must reverse OUT to the addresses in WANT.
agree() {
	_day=$1 _sec=$2 _in=$3 _out=$4 _want=$5 _what=$6
	ours "$_day" --secret-file "$_sec" -d "$FWD" <"$_in" >"$_out"
	ms "$_day" forward "$_sec" <"$_in" >"$T/m"
	py "$_day" forward "$_sec" <"$_in" >"$T/p"
	pd_start "$_day" "$_sec"
	pd "$PF" <"$_in" >"$T/d"
	same "$_out" "$T/m" "$_what: equals Mail::SRS"
	same "$_out" "$T/p" "$_what: equals pysrs"
	same "$_out" "$T/d" "$_what: equals postsrsd"
	pd "$PR" <"$_out" >"$T/x"
	same "$T/x" "$_want" "$_what: postsrsd reverses ours"
	pd_stop
	ms "$_day" reverse "$_sec" <"$_out" >"$T/x"
	same "$T/x" "$_want" "$_what: Mail::SRS reverses ours"
	py "$_day" reverse "$_sec" <"$_out" >"$T/x"
	same "$T/x" "$_want" "$_what: pysrs reverses ours"
	ours "$_day" --secret-file "$_sec" -r <"$_out" >"$T/x"
	same "$T/x" "$_want" "$_what: we reverse ours"
}

seed=0
for day in $DAYS; do
	for s in "$S1" "$S2" "$S3"; do
		seed=$((seed + 1))
		what="day $day, secret $(basename "$s")"
		addrs "$seed" 150 >"$T/in"
		agree "$day" "$s" "$T/in" "$T/o" "$T/in" "$what: forward"
		for p in m p d; do
			ours "$day" --secret-file "$s" -r <"$T/$p" >"$T/x"
			same "$T/x" "$T/in" "$what: we reverse peer $p"
		done
	done
done

# --- Re-forwarding: SRS0 from another forwarder becomes SRS1; SRS1 keeps
# its first hop.  libsrs2 upstream garbles a re-forwarded SRS1, but the
# copy inside postsrsd 1.10 gets it right (checked here), so it is held to
# the same answers as Mail::SRS and pysrs.
S4=$(secret_file s4 hopsecret)

for day in 20000 19461; do
	addrs "$day" 60 >"$T/in"
	ours "$day" --secret-file "$S4" -d hop1.example.org <"$T/in" >"$T/srs0"
	agree "$day" "$S1" "$T/srs0" "$T/o" "$T/srs0" "day $day: SRS0 to SRS1"
	like "$(head -n 1 "$T/o")" '^SRS1=[^=]{4}=hop1\.example\.org==[^=]{4}=' \
	    "day $day: SRS0 re-forwarded is SRS1 naming the hop"
	ours "$day" --secret-file "$S1" -r <"$T/o" >"$T/x"
	ours "$day" --secret-file "$S4" -r <"$T/x" >"$T/y"
	same "$T/y" "$T/in" "day $day: and the first hop reverses that SRS0"

	# SRS1 forwarded again, through fwd2 with another secret.
	FWD=fwd2.example.com
	agree "$day" "$S2" "$T/o" "$T/o2" "$T/srs0" "day $day: SRS1 re-forwarded"
	FWD=fwd.example.net
done

# --- Secret rotation: the first secret signs, every one verifies -------
day=19461
addrs 101 80 >"$T/in"
NEW=$(secret_file new n3w-s3cr3t)
OLD=$(secret_file old 0ld-s3cr3t)
ROT=$(secret_file rot n3w-s3cr3t 0ld-s3cr3t)
ours "$day" --secret-file "$ROT" -d "$FWD" <"$T/in" >"$T/o"
ours "$day" --secret-file "$NEW" -d "$FWD" <"$T/in" >"$T/x"
same "$T/o" "$T/x" "rotation: the first secret signs"
ms "$day" forward "$ROT" <"$T/in" >"$T/m"
same "$T/o" "$T/m" "rotation: equals Mail::SRS with an array Secret"
ours "$day" --secret-file "$OLD" -d "$FWD" <"$T/in" >"$T/byold"
ours "$day" --secret-file "$ROT" -r <"$T/byold" >"$T/x"
same "$T/x" "$T/in" "rotation: we verify with the second secret"
run ours "$day" --secret-file "$NEW" -r "$(head -n 1 "$T/byold")"
is "$out:$rc" ":1" "rotation: the new secret alone refuses old addresses"
like "$err" "bad hash" "rotation: refused as a bad hash"
ms "$day" reverse "$ROT" <"$T/byold" >"$T/x"
same "$T/x" "$T/in" "rotation: Mail::SRS verifies with the second secret"
py "$day" reverse "$ROT" <"$T/byold" >"$T/x"
same "$T/x" "$T/in" "rotation: pysrs verifies with the second secret"
pd_start "$day" "$ROT"
pd "$PR" <"$T/byold" >"$T/x"
same "$T/x" "$T/in" "rotation: postsrsd verifies with the second line"
pd "$PF" <"$T/in" >"$T/d"
same "$T/o" "$T/d" "rotation: postsrsd signs with the first line"
pd_stop

# --- Hash length and minimum --------------------------------------------
addrs 202 80 >"$T/in"
for n in 6 8; do
	ours "$day" --secret-file "$S2" -d "$FWD" --hash-length "$n" \
	    <"$T/in" >"$T/o$n"
	like "$(head -n 1 "$T/o$n")" "^SRS0=[^=]{$n}=" \
	    "--hash-length $n writes $n characters"
	ms "$day" forward "$S2" HashLength="$n" <"$T/in" >"$T/m"
	same "$T/o$n" "$T/m" "--hash-length $n equals Mail::SRS"
	py "$day" forward "$S2" hashlength="$n" <"$T/in" >"$T/p"
	same "$T/o$n" "$T/p" "--hash-length $n equals pysrs"
	pd_start "$day" "$S2" -n "$n" -N "$n"
	pd "$PF" <"$T/in" >"$T/d"
	same "$T/o$n" "$T/d" "--hash-length $n equals postsrsd -n $n"
	pd "$PR" <"$T/o$n" >"$T/x"
	same "$T/x" "$T/in" "postsrsd -n $n reverses ours"
	pd_stop
	ms "$day" reverse "$S2" HashLength="$n" <"$T/o$n" >"$T/x"
	same "$T/x" "$T/in" "Mail::SRS HashLength $n reverses ours"
	ours "$day" --secret-file "$S2" -r --hash-length "$n" \
	    <"$T/o$n" >"$T/x"
	same "$T/x" "$T/in" "--hash-length $n reverses its own"
	# A longer hash than needed is checked in full and accepted.
	ours "$day" --secret-file "$S2" -r <"$T/o$n" >"$T/x"
	same "$T/x" "$T/in" "default length accepts a $n-character hash"
done
ours "$day" --secret-file "$S2" -d "$FWD" <"$T/in" >"$T/o4"
ours "$day" --secret-file "$S2" -r --hash-length 6 --hash-min 4 \
    <"$T/o4" >"$T/x"
same "$T/x" "$T/in" "--hash-min 4 accepts 4 characters with length 6"
ms "$day" reverse "$S2" HashLength=6 HashMin=4 <"$T/o4" >"$T/x"
same "$T/x" "$T/in" "Mail::SRS HashMin 4 agrees"
run ours "$day" --secret-file "$S2" -r --hash-length 6 "$(head -n 1 "$T/o4")"
is "$out:$rc" ":1" "--hash-length 6 alone refuses a 4-character hash"
ms "$day" reverse "$S2" HashLength=6 <"$T/o4" >"$T/x"
is "$(grep -c '^ERR' "$T/x")" 80 "Mail::SRS HashLength 6 refuses them too"
py "$day" reverse "$S2" hashlength=6 <"$T/o4" >"$T/x"
is "$(grep -c '^ERR' "$T/x")" 80 "pysrs hashlength 6 refuses them too"
pd_start "$day" "$S2" -n 6 -N 4
pd "$PR" <"$T/o4" >"$T/x"
same "$T/x" "$T/in" "postsrsd -N 4 accepts them"
pd_stop
pd_start "$day" "$S2" -n 6 -N 6
pd "$PR" <"$T/o4" >"$T/x"
is "$(grep -c '^ERR' "$T/x")" 80 "postsrsd -N 6 refuses them"
pd_stop

# --- Separators ----------------------------------------------------------
addrs 303 60 >"$T/in"
ours "$day" --secret-file "$S4" -d hop1.example.org <"$T/in" >"$T/srs0"
for sep in + -; do
	ours "$day" --secret-file "$S3" -d "$FWD" --separator "$sep" \
	    <"$T/in" >"$T/o"
	like "$(head -n 1 "$T/o")" "^SRS0\\$sep" "--separator $sep is used"
	ms "$day" forward "$S3" Separator="$sep" <"$T/in" >"$T/m"
	same "$T/o" "$T/m" "--separator $sep equals Mail::SRS"
	py "$day" forward "$S3" separator="$sep" <"$T/in" >"$T/p"
	same "$T/o" "$T/p" "--separator $sep equals pysrs"
	pd_start "$day" "$S3" -a "$sep"
	pd "$PF" <"$T/in" >"$T/d"
	same "$T/o" "$T/d" "--separator $sep equals postsrsd -a $sep"
	pd "$PR" <"$T/o" >"$T/x"
	same "$T/x" "$T/in" "postsrsd reverses SRS0$sep"
	pd_stop
	ms "$day" reverse "$S3" <"$T/o" >"$T/x"
	same "$T/x" "$T/in" "Mail::SRS (separator =) reverses SRS0$sep"
	ours "$day" --secret-file "$S3" -r <"$T/o" >"$T/x"
	same "$T/x" "$T/in" "we reverse SRS0$sep with the default separator"
	# An SRS0 with this separator from a hop keeps it inside the SRS1.
	ours "$day" --secret-file "$S4" -d hop1.example.org \
	    --separator "$sep" <"$T/in" >"$T/hop"
	ours "$day" --secret-file "$S3" -d "$FWD" --separator "$sep" \
	    <"$T/hop" >"$T/o"
	like "$(head -n 1 "$T/o")" "^SRS1\\$sep[^=]{4}=hop1\\.example\\.org=\\$sep" \
	    "SRS0$sep re-forwarded keeps its separator"
	ms "$day" forward "$S3" Separator="$sep" <"$T/hop" >"$T/m"
	same "$T/o" "$T/m" "SRS0$sep to SRS1$sep equals Mail::SRS"
	py "$day" forward "$S3" separator="$sep" <"$T/hop" >"$T/p"
	same "$T/o" "$T/p" "SRS0$sep to SRS1$sep equals pysrs"
	ours "$day" --secret-file "$S3" -r <"$T/o" >"$T/x"
	same "$T/x" "$T/hop" "SRS1$sep reverses to the SRS0$sep"
done

# --- Max age: 21 days pass, 22 do not, across the 1024-day wrap ---------
for made in 19452 20000; do
	addrs "$made" 40 >"$T/in"
	ours "$made" --secret-file "$S1" -d "$FWD" <"$T/in" >"$T/o"
	for late in 21 22 -1; do
		day=$((made + late))
		if [ "$late" -eq 21 ]; then
			cp "$T/in" "$T/want"
			v=accepted
		else
			: >"$T/want"
			v=refused
		fi
		what="made day $made, reversed $late days later"
		run ours "$day" --secret-file "$S1" -r <"$T/o"
		if [ "$v" = accepted ]; then
			same "$T/out" "$T/want" "$what: accepted"
			is "$rc" 0 "$what: exit 0"
		else
			is "$(grep -c . "$T/out")" 0 "$what: refused"
			is "$rc" 1 "$what: exit 1"
			like "$(head -n 1 "$T/err")" "timestamp too old or in the future" \
			    "$what: says why"
		fi
		ms "$day" reverse "$S1" <"$T/o" >"$T/m"
		py "$day" reverse "$S1" <"$T/o" >"$T/p"
		pd_start "$day" "$S1"
		pd "$PR" <"$T/o" >"$T/d"
		pd_stop
		for p in m p d; do
			if [ "$v" = accepted ]; then
				same "$T/$p" "$T/want" "$what: peer $p accepts"
			else
				is "$(grep -c '^ERR' "$T/$p")" 40 \
				    "$what: peer $p refuses"
			fi
		done
	done
	# Mail::SRS's own default is 21 days too (its manual shows 49 only
	# as an example).
	at $((made + 22)) perl "$D/srs-mailsrs.pl" reverse "$FWD" "$S1" \
	    <"$T/o" >"$T/m"
	is "$(grep -c '^ERR' "$T/m")" 40 \
	    "made day $made: Mail::SRS's default refuses 22 days"
	ms $((made + 40)) reverse "$S1" MaxAge=49 <"$T/o" >"$T/m"
	ours $((made + 40)) --secret-file "$S1" -r --max-age 49 <"$T/o" >"$T/x"
	same "$T/x" "$T/m" "made day $made: --max-age 49 as Mail::SRS MaxAge 49"
	same "$T/x" "$T/in" "made day $made: 40 days pass with --max-age 49"
	ours $((made + 50)) --secret-file "$S1" -r --max-age 49 <"$T/o" \
	    >"$T/x" 2>/dev/null
	is "$(grep -c . "$T/x")" 0 "made day $made: 50 days do not"
done

# --- Case: a smashed hash passes with a warning; the stamp either case --
day=20000
addrs 404 60 >"$T/in"
ours "$day" --secret-file "$S1" -d "$FWD" <"$T/in" >"$T/o"
tr a-z A-Z <"$T/o" >"$T/uc"
tr a-z A-Z <"$T/in" >"$T/ucin"
run ours "$day" --secret-file "$S1" -r <"$T/uc"
same "$T/out" "$T/ucin" "upper-cased addresses still reverse"
is "$rc" 0 "upper-cased: exit 0"
like "$(head -n 1 "$T/err")" "^srs-forward: line [0-9]+: hash of '.*' matched only ignoring case$" \
    "upper-cased: a warning on stderr"
ms "$day" reverse "$S1" <"$T/uc" >"$T/m" 2>"$T/merr"
same "$T/m" "$T/ucin" "Mail::SRS accepts them too"
like "$(head -n 1 "$T/merr")" "Case insensitive hash match" \
    "Mail::SRS warns too"
py "$day" reverse "$S1" <"$T/uc" >"$T/p" 2>/dev/null
same "$T/p" "$T/ucin" "pysrs accepts them too"
# Only the timestamp in lower case: the hash is intact.
sed 's/^\(SRS0=[^=]*=\)\(..\)/\1\L\2/' "$T/o" >"$T/lts"
like "$(head -n 1 "$T/lts")" '^SRS0=[^=]{4}=ra=' "stamp lower-cased"
run ours "$day" --secret-file "$S1" -r <"$T/lts"
same "$T/out" "$T/in" "a lower-case stamp is accepted"
is "$err" "" "a lower-case stamp is no warning"
ms "$day" reverse "$S1" <"$T/lts" >"$T/m"
same "$T/m" "$T/in" "Mail::SRS accepts a lower-case stamp"
py "$day" reverse "$S1" <"$T/lts" >"$T/p"
same "$T/p" "$T/in" "pysrs accepts a lower-case stamp"
# A tampered hash: its second character made a '9'.
sed 's/^\(SRS0=.\)./\19/' "$T/o" >"$T/bad"
run ours "$day" --secret-file "$S1" -r <"$T/bad"
is "$(grep -c . "$T/out")" "$(grep -c '^SRS0=.9' "$T/o")" \
    "a tampered hash is refused (unless it was already that character)"
is "$rc" 1 "tampered: exit 1"
ms "$day" reverse "$S1" <"$T/bad" >"$T/m"
py "$day" reverse "$S1" <"$T/bad" >"$T/p"
pd_start "$day" "$S1"
pd "$PR" <"$T/bad" >"$T/d"
pd "$PR" <"$T/uc" >"$T/duc"
pd "$PR" <"$T/lts" >"$T/dlts"
pd_stop
for p in m p d; do
	is "$(grep -vc '^ERR' "$T/$p")" "$(grep -c . "$T/out")" \
	    "peer $p accepts exactly the same tampered lines"
done
same "$T/dlts" "$T/in" "postsrsd accepts a lower-case stamp"
same "$T/duc" "$T/ucin" "postsrsd accepts a smashed hash"

# --- Odd inputs: we refuse what Mail::SRS and pysrs refuse -----------------
# postsrsd 1.10 is left out here: it accepts a hash with extra characters
# after the first hash-length ones (SRS0=Ti5eXY=...), which both other
# peers refuse, and it calls "SRS0@x" an SRS0 address.
g=SRS0=Ti5e=RA=Example.COM=User@fwd.example.net
h=SRS1=KzS+=hop.example==abcd=RA=x.org=u@fwd.example.net
cat >"$T/in" <<EOF
$g
srs0=Ti5e=RA=Example.COM=User@fwd.example.net
SRS0+Ti5e=RA=Example.COM=User@fwd.example.net
SRS0-Ti5e=ra=Example.COM=User@fwd.example.net
SRS0=Ti5e=RAA=Example.COM=User@fwd.example.net
SRS0=Ti5e=R1=Example.COM=User@fwd.example.net
SRS0=Ti5e=R=Example.COM=User@fwd.example.net
SRS0=Ti5e=RA=Example.COM=@fwd.example.net
SRS0=Ti5e=RA==User@fwd.example.net
SRS0=Ti5eXY=RA=Example.COM=User@fwd.example.net
SRS0=Ti5=RA=Example.COM=User@fwd.example.net
SRS0=Ti5f=RA=Example.COM=User@fwd.example.net
SRS0=Ti5e=RB=Example.COM=User@fwd.example.net
SRS0=Ti5e=RA=Example.COM=Usr@fwd.example.net
$h
SRS1=hop.example=hop.example==abcd=RA=x.org=u@fwd.example.net
SRS1=KzS+=hop.example=abcd=RA=x.org=u@fwd.example.net
SRS1=KzS+XY=hop.example==abcd=RA=x.org=u@fwd.example.net
SRS1=KzS+=hop.example==abcd=RA=x.org=v@fwd.example.net
SRS0=PByx=RA=Example.ORG="John.Smith"@fwd.example.net
EOF
ours 20000 --secret-file "$S1" -r <"$T/in" >"$T/o" 2>/dev/null
ms 20000 reverse "$S1" <"$T/in" 2>/dev/null | sed 's/^ERR .*//' >"$T/m"
py 20000 reverse "$S1" <"$T/in" 2>/dev/null | sed 's/^ERR .*//' >"$T/p"
same "$T/o" "$T/m" "odd SRS addresses: reversed or refused as Mail::SRS does"
same "$T/o" "$T/p" "odd SRS addresses: reversed or refused as pysrs does"
is "$(grep -c . "$T/o")" 6 "odd SRS addresses: six of them reverse"

# Quoted local parts: pysrs puts the quotes round the whole new local part,
# which stays a valid address; Mail::SRS and postsrsd leave them inside
# (SRS0=HHHH=TT=x.org="a b"@fwd, not an address at all).  We follow pysrs,
# specials inside the quotes included.
cat >"$T/in" <<'EOF'
"a b"@x.org
"John.Smith"@Example.ORG
"x=y"@Sub.Example.NET
"victim@t.example,a"@attacker.org
":include:/tmp/x"@y.org
EOF
for day in 20000 19461; do
	ours "$day" --secret-file "$S1" -d "$FWD" <"$T/in" >"$T/o"
	py "$day" forward "$S1" <"$T/in" >"$T/p"
	same "$T/o" "$T/p" "day $day: quoted local parts as pysrs"
	py "$day" reverse "$S1" <"$T/o" >"$T/x"
	same "$T/x" "$T/in" "day $day: pysrs reverses our quoted ones"
	ours "$day" --secret-file "$S1" -r <"$T/o" >"$T/x"
	same "$T/x" "$T/in" "day $day: we reverse our quoted ones"
done
# Where we knowingly differ: an unquoted local part with specials, which
# an MTA let through, the peers write bare (an SRS address that reads as
# two addresses) and give back bare; we quote both.
printf '%s\n' a@b@c.org >"$T/in"
ours 20000 --secret-file "$S1" -d "$FWD" <"$T/in" >"$T/o"
py 20000 forward "$S1" <"$T/in" >"$T/p"
is "$(cat "$T/p")" "$(tr -d '"' <"$T/o")" \
    "a@b@c.org: pysrs writes our address, without the quotes"
py 20000 reverse "$S1" <"$T/p" >"$T/x"
ours 20000 --secret-file "$S1" -r <"$T/p" >"$T/y"
is "$(cat "$T/x"):$(cat "$T/y")" 'a@b@c.org:"a@b"@c.org' \
    "...pysrs gives it back bare, we quoted"

done_testing
