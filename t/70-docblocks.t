#!/bin/sh
# Every display printed in a man page or the README (a recipe, a command,
# a configuration, the output a command gives) is tagged, and a test takes
# each one with `block FILE NAME` and runs it or compares against it: what
# an administrator pastes into production has run here first.
. "$MX_SRCDIR/t/lib.sh"
cd "$MX_SRCDIR" || exit 1

for f in man/*.[1-8] README.md; do
	t/docblock -l "$f"
done >"$T/blocks"

untagged=$(awk '$2 == "-" { n++ } END { print n + 0 }' "$T/blocks")
is "$untagged" 0 "every display is tagged"
[ "$untagged" -eq 0 ] ||
    diag "$(awk '$2 == "-" { print $1 }' "$T/blocks" | sort | uniq -c)"

dups=$(awk '$2 != "-"' "$T/blocks" | sort | uniq -d)
is "$dups" "" "tags are unique in each file"

while read -r f name; do
	[ "$name" = - ] && continue
	if grep -Eq -e "block $f $name([^A-Za-z0-9_.-]|\$)" t/*.t; then
		_result 0 "$f: '$name' is taken by a test"
	else
		_result 1 "$f: '$name' is taken by a test"
	fi
done <"$T/blocks"
done_testing
