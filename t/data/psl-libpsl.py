# The organizational domains libpsl (the C library curl and wget use)
# gives for names made from every rule of a public suffix list: each rule,
# one and two labels under it (a wildcard's label filled in), and the
# A-label form of the names in Unicode.  Writes the names to NAMES and
# "name org suffix" lines to WANT, the form dmarc-test --org prints.
#
# libpsl reads "*.x" as making x a public suffix too; the list's algorithm
# does not (x matches no rule longer than its parent's), so such names are
# left out, and counted on stdout.
#	psl-libpsl.py LIST NAMES WANT
import ctypes
import sys

lib = ctypes.CDLL("libpsl.so.5")
lib.psl_load_file.restype = ctypes.c_void_p
lib.psl_load_file.argtypes = [ctypes.c_char_p]
lib.psl_registrable_domain.restype = ctypes.c_char_p
lib.psl_registrable_domain.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
lib.psl_is_public_suffix.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
lib.psl_free.argtypes = [ctypes.c_void_p]

lst, names_out, want_out = sys.argv[1:4]
psl = lib.psl_load_file(lst.encode())
if not psl:
    sys.exit("libpsl cannot load " + lst)


def alabel(name):
    return ".".join(l if l.isascii() else
                    "xn--" + l.encode("punycode").decode()
                    for l in name.split("."))


names, normal, wild = [], set(), set()
for line in open(lst, encoding="utf-8"):
    r = line.split()
    if not r or r[0].startswith("//"):
        continue
    r = r[0].lower()
    if r.startswith("!"):
        base = [r[1:]]
    elif r.startswith("*."):
        wild.update((r[2:], alabel(r[2:])))
        base = [r[2:], "w1." + r[2:]]
    else:
        normal.update((r, alabel(r)))
        base = [r]
    for b in base:
        for n in (b, "x." + b, "x.y." + b):
            names.append(n)
            if not n.isascii():
                names.append(alabel(n))

left_out = 0
with open(names_out, "w", encoding="utf-8") as f, \
        open(want_out, "w", encoding="utf-8") as w:
    for n in names:
        if n in wild and n not in normal:
            left_out += 1
            continue
        f.write(n + "\n")
        org = lib.psl_registrable_domain(psl, n.encode())
        suffix = lib.psl_is_public_suffix(psl, n.encode())
        w.write("%s %s %d\n" % (n, org.decode() if org else n,
                                1 if suffix else 0))
lib.psl_free(psl)
print(len(names) - left_out, left_out)
