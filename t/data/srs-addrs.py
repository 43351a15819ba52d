# srs-addrs.py: seeded varied addresses for the SRS interop tests.
# Usage: /usr/bin/python3 srs-addrs.py SEED COUNT
# Mixed case, dots, plus signs, '=' and '-' inside local parts, long local
# parts, deep subdomains; never an SRS0/SRS1 local part.
import random
import sys

r = random.Random(int(sys.argv[1]))
LP = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789'
WORDS = ['user', 'John.Smith', 'bounce+tag', 'list=owner', 'MiXeD.CaSe',
         'first.last+sub=val', 'a', 'x_y', 'no-reply', 'o=', '=lead',
         'trail+', 'SRS', 'srs2', 'Postmaster', "o'brien", 'a..b', '9']
LABELS = ['example', 'Mail', 'sub', 'EXAMPLE', 'co', 'mx-1', 'a', 'xn--bcher-kva',
          'deep', 'Net', '42', 'relay']
TLDS = ['com', 'ORG', 'net', 'de', 'Co.Uk', 'io']


def local():
    k = r.randrange(5)
    if k == 0:
        return r.choice(WORDS)
    if k == 1:
        n = r.choice([1, 2, 8, 30, 64, 100, 200])
        return ''.join(r.choice(LP) for _ in range(n))
    parts = []
    for _ in range(r.randrange(1, 5)):
        w = ''.join(r.choice(LP) for _ in range(r.randrange(1, 10)))
        parts.append(w)
        parts.append(r.choice('.+=-_'))
    return ''.join(parts[:-1])


def domain():
    labels = [r.choice(LABELS) for _ in range(r.randrange(1, 5))]
    d = '.'.join(labels + [r.choice(TLDS)])
    return ''.join(c.upper() if r.random() < 0.2 else c for c in d)


for _ in range(int(sys.argv[2])):
    lp = local()
    while lp[:4].upper() in ('SRS0', 'SRS1'):
        lp = local()
    print('%s@%s' % (lp, domain()))
