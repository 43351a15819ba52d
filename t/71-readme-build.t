#!/bin/sh
# The README's two ways in: the quick start is what CI runs, command for
# command, and the build by hand works as printed on a clean copy of the
# tree (make check aside, which is running this test).
. "$MX_SRCDIR/t/lib.sh"
cd "$MX_SRCDIR" || exit 1

# The quick start without its comments, beside .ci/run's commands.
block README.md quick-start | sed 's/ *#.*//' >"$T/quick"
grep -v '^#' .ci/run | grep -v '^set -eu$' | grep -v '^cd ' >"$T/ci"
same "$T/quick" "$T/ci" "the quick start is what .ci/run runs"

# A clean copy: the tracked files only, or the tree less its build output
# when this is no git checkout (a distcheck).
mkdir "$T/src" "$T/inst"
if [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$(pwd -P)" ]; then
	git ls-files -z | xargs -0 cp --parents -t "$T/src"
else
	# A distcheck's tree is read-only, and lies inside the checkout.
	cp -R . "$T/src" && chmod -R u+w "$T/src" &&
	    (cd "$T/src" && make distclean >/dev/null 2>&1)
fi
block README.md build >"$T/build.sh"
# make check is this run; make install goes to a staging directory.
ok "the build has make check" grep -q '^make check ' "$T/build.sh"
ok "the build has make install" grep -q '^make install ' "$T/build.sh"
sed -e '/^make check /d' -e "s|^make install |make install DESTDIR=$T/inst |" \
    -e 's/^make /make -j2 /' "$T/build.sh" >"$T/build2.sh"
(cd "$T/src" && sh -e "$T/build2.sh") >"$T/build.log" 2>&1
ok "the build by hand runs as printed" test $? -eq 0 ||
    diag "$(tail -n 5 "$T/build.log")"
for b in arc-sign arc-verify srs-forward; do
	ok "make install put $b in place" test -x "$T/inst/usr/local/bin/$b"
done
ok "make install put the man pages in place" \
    test -f "$T/inst/usr/local/share/man/man7/mxkit.7"
"$T/src/configure" --help >"$T/help"
ok "the sanitizer option exists" grep -q -- --enable-sanitizers "$T/help"
done_testing
