# srs-pysrs.py: pysrs (Debian's python3-srs) as a batch filter for
# t/30-srs-interop.t.  Run with /usr/bin/python3.
# Usage: srs-pysrs.py forward|reverse ALIAS SECRETFILE [key=value...]
# (keys as SRS.new takes them: hashlength, hashmin, maxage, separator).
# One address per line on stdin; one line out per line in: the result,
# or "ERR <reason>".  Warnings go to stderr.
import sys

import SRS

mode, alias, secretfile = sys.argv[1:4]
with open(secretfile) as f:
    secrets = [l.rstrip('\r\n') for l in f if l.rstrip('\r\n')]
kw = {}
for kv in sys.argv[4:]:
    k, v = kv.split('=', 1)
    kw[k] = v if k == 'separator' else int(v)
srs = SRS.new(secret=secrets, **kw)
out = []
for line in sys.stdin.read().split('\n')[:-1]:
    try:
        r = srs.forward(line, alias) if mode == 'forward' else srs.reverse(line)
    except Exception as e:
        r = 'ERR ' + ' '.join(str(e).split())
    out.append(r)
sys.stdout.write(''.join(x + '\n' for x in out))
