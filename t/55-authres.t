#!/bin/sh
# Authentication-Results parsing (common/authres.c): the C unit tests, then
# the same values read by python3-authres and by us, method, result,
# reason and properties compared value by value.
. "${MX_SRCDIR:-.}/t/lib.sh"

UNIT=$MX_BUILDDIR/t/unit/authres-test

# The unit tests' TAP lines, renumbered into this test's.
if [ -x "$UNIT" ]; then
	run "$UNIT"
	plan=
	seen=0
	while IFS= read -r line; do
		case $line in
		"ok "*)
			_result 0 "${line#ok * - }"
			seen=$((seen + 1)) ;;
		"not ok "*)
			_result 1 "${line#not ok * - }"
			seen=$((seen + 1)) ;;
		1..*)	plan=${line#1..} ;;
		*)	printf '%s\n' "$line" ;;
		esac
	done <"$T/out"
	is "$plan:$rc" "$seen:$((_failed > 0))" "unit tests: all $seen run"
else
	_result 1 "$UNIT is built"
fi

# Records end with a line %%; folds are kept as written (LF here, CRLF in
# the last ones), and python3-authres takes them folded too.
cat >"$T/values" <<'EOF'
example.org 1; none
%%
example.com;
          spf=pass smtp.mailfrom=example.net
%%
example.com;
          auth=pass (cram-md5) smtp.auth=sender@example.net;
          spf=pass smtp.mailfrom=example.net
%%
example.com; iprev=pass
          policy.iprev=192.0.2.200
%%
example.com;
      dkim=pass reason="good signature"
        header.i=@mail-router.example.net;
      dkim=fail reason="bad signature"
        header.i=@newyork.example.com
%%
mail-router.example.net;
      dkim=pass (good signature) header.d=newyork.example.com
        header.b=oINEO8hg;
      dkim=fail (bad signature) header.d=mail-router.example.net
        header.b=EToRSuvU
%%
mx.google.com;
       dkim=pass header.i=@example.com header.s=20230601 header.b=Xy3AbCdE;
       arc=pass (i=1 spf=pass spfdomain=example.com dkim=pass dkdomain=example.com dmarc=pass fromdomain=example.com);
       spf=pass (google.com: domain of a@example.com designates 192.0.2.1 as permitted sender) smtp.mailfrom=a@example.com;
       dmarc=pass (p=NONE sp=NONE dis=NONE) header.from=example.com
%%
Mx.Example.ORG; spf=SoftFail smtp.mailfrom=User@Example.NET
%%
example.com; arc=pass header.oldest-pass=2 smtp.remote-ip=192.0.2.1
%%
example.com;arc=fail (i=2 cv) header.oldest-pass=0;spf=none
%%
example.com (comment (nested) here); dkim=pass (1024-bit key; unprotected) header.d=example.org header.i=@example.org
%%
example.com; dmarc=fail (p=reject dis=none) header.from=example.org
%%
example.com; dkim=neutral reason="invalid (public key: not available)" header.d=example.org
%%
example.com; dkim=fail reason=bodyhash header.d=example.org header.s=sel header.a=rsa-sha256
%%
example.com; dkim=permerror (bad message/signature format)
%%
example.com; spf=pass smtp.mailfrom=sub.example.org smtp.helo=mail.example.org
%%
example.com; x-original-ip=pass policy.x-thing=yes
%%
example.com; auth=pass smtp.auth=user
%%
example.com; iprev=fail policy.iprev=198.51.100.7 (mail.example.net)
%%
example.com; sender-id=pass header.from=someone@example.net
%%
example.com; dkim-adsp=none header.from=example.org
%%
example.com; vbr=pass header.md=example.net header.mv=certifier.example
%%
example.com; rrvs=pass smtp.rcptto=user@example.com
%%
example.com; smime=pass body.smime-identifier=user@example.org body.smime-part=1
%%
example.com (a) 1 (b); spf (c) = (d) fail (e) smtp (f) . (g) mailfrom (h) = (i) a@example.net (j)
%%
example.com; dkim=pass header.d=example.org header.b="AbCd/+9="
%%
example.com; spf=temperror smtp.mailfrom=example.org; dkim=temperror header.d=example.org; dmarc=temperror header.from=example.org
%%
example.com; dkim=pass header.i=@example.org; dkim=fail header.i=@other.example; dkim=policy header.i=@third.example
%%
example.com;
	spf=pass smtp.mailfrom=example.net;
	dkim=pass header.d=example.net
%%
example.com; spf=pass smtp.mailfrom="john doe"@example.net
%%
EOF
printf '%s\r\n%s\r\n%s\n%%%%\n' 'example.com;' \
    ' spf=pass smtp.mailfrom=a@example.net;' \
    '	arc=pass header.oldest-pass=1' >>"$T/values"
printf '%s\r\n%s\n%%%%\n' 'example.net 1 (crlf);' \
    '  dkim=pass (good) header.d=example.net header.s=s1' >>"$T/values"

cat >"$T/dump.py" <<'EOF'
# The dump of authres-test --dump, from python3-authres.
import sys
import authres

recs = open(sys.argv[1], 'rb').read().decode().split('\n%%\n')
for rec in recs[:-1]:
    try:
        h = authres.AuthenticationResultsHeader.parse_value(rec)
    except Exception as e:
        print('error')
        print('%s: %s' % (rec.split('\n')[0], e), file=sys.stderr)
        continue
    out = 'id=%s v=%s none=%d' % (h.authserv_id, h.version or '1',
                                  0 if h.results else 1)
    for r in h.results:
        out += ' | %s=%s' % (r.method.lower(), (r.result or '-').lower())
        if r.reason is not None:
            out += ' reason=%s' % r.reason
        for p in r.properties:
            out += ' %s.%s=%s' % (p.type.lower(), p.name.lower(), p.value)
    print(out)
EOF

n=$(grep -c '^%%$' "$T/values")
if ! $PY -c 'import authres' 2>/dev/null; then
	skip "$n" "python3-authres not installed"
	done_testing
fi
$PY "$T/dump.py" "$T/values" >"$T/py" 2>"$T/pyerr"
"$UNIT" --dump "$T/values" >"$T/ours"
is "$(wc -l <"$T/ours" | tr -d ' '):$(wc -l <"$T/py" | tr -d ' ')" "$n:$n" \
    "one line per value from each side"
i=1
while [ "$i" -le "$n" ]; do
	py=$(sed -n "${i}p" "$T/py")
	case $py in
	*'|'*)	first=${py#*| }
		first=${first%% *} ;;
	*)	first="no result" ;;
	esac
	is "$(sed -n "${i}p" "$T/ours")" "$py" \
	    "value $i read as python3-authres reads it ($first ...)"
	i=$((i + 1))
done
[ -s "$T/pyerr" ] && diag "$(cat "$T/pyerr")"
done_testing
