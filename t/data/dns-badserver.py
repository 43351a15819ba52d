# A UDP DNS server that answers wrongly on purpose, for what knot never
# does: the first label of the query name picks the fault.  It binds
# 127.0.0.1 at a free port and writes the port to the file argv[1].
#	garbage		a header promising a question that is not there
#	short		a datagram of 5 bytes, less than a header
#	cut		a TXT answer cut off inside its record
#	servfail	SERVFAIL
#	formerr		FORMERR
#	badid		the answer under another id
#	othername	an answer to another question
#	chaos		a TXT record of class CH, not IN
#	arec		an A record for the name, not TXT
#	otherowner	a TXT record of another name
#	status		the reply of a STATUS query (opcode 2)
#	truncated	TC set (and no TCP listener behind it)
#	referral	NOERROR, no answer, NS records in authority
#	nul		a TXT record with a NUL byte inside
#	silent		no answer at all
#	twotsig		a TXT answer with two TSIG records (one is the most)
# Anything else: NOERROR with one TXT record "fine".
import os
import socket
import struct
import sys


def name_end(pkt, off):
    while pkt[off]:
        off += pkt[off] + 1
    return off + 1


def encode(name):
    return b"".join(bytes([len(l)]) + l for l in name.split(b".") if l) \
        + b"\0"


def rr(owner, rtype, rdata, rclass=1):
    return owner + struct.pack(">HHIH", rtype, rclass, 60, len(rdata)) \
        + rdata


def answer(q):
    qid, flags = struct.unpack(">HH", q[:4])
    qend = name_end(q, 12) + 4
    question = q[12:qend]
    label = q[13:13 + q[12]].lower()
    rd = flags & 0x0100
    hdr = lambda fl, an=0, ns=0, qd=1: struct.pack(
        ">HHHHHH", qid, 0x8000 | rd | fl, qd, an, ns, 0)
    txt = lambda s: bytes([len(s)]) + s
    if label == b"silent":
        return None
    if label == b"garbage":
        return hdr(0)
    if label == b"short":
        return hdr(0)[:5]
    if label == b"cut":
        full = hdr(0x0400, 1) + question + rr(b"\xc0\x0c", 16, txt(b"fine"))
        return full[:-3]
    if label == b"servfail":
        return hdr(2) + question
    if label == b"formerr":
        return hdr(1) + question
    if label == b"badid":
        return struct.pack(">H", qid ^ 1) + hdr(0)[2:] + question
    if label == b"othername":
        other = encode(b"other.example") + question[-4:]
        return hdr(0, 1) + other + rr(b"\xc0\x0c", 16, txt(b"fine"))
    if label == b"chaos":
        return hdr(0x0400, 1) + question + rr(b"\xc0\x0c", 16, txt(b"fine"),
                                              3)
    if label == b"arec":
        return hdr(0x0400, 1) + question + rr(b"\xc0\x0c", 1,
                                              b"\x7f\0\0\1")
    if label == b"otherowner":
        return hdr(0x0400, 1) + question + rr(encode(b"other.example"), 16,
                                              txt(b"fine"))
    if label == b"status":
        return hdr(0x0400 | 0x1000, 1) + question + rr(b"\xc0\x0c", 16,
                                                       txt(b"fine"))
    if label == b"truncated":
        return hdr(0x0200) + question
    if label == b"referral":
        return hdr(0, 0, 1) + question + rr(encode(b"example"), 2,
                                            encode(b"ns.example"))
    if label == b"nul":
        return hdr(0x0400, 1) + question + rr(b"\xc0\x0c", 16,
                                              txt(b"v=DKIM1\0; p="))
    if label == b"twotsig":
        tsig = rr(encode(b"key"), 250, encode(b"hmac-sha256") + bytes(6) +
                  struct.pack(">HHHHH", 300, 0, qid, 0, 0), 255)
        return struct.pack(">HHHHHH", qid, 0x8400 | rd, 1, 1, 0, 2) + \
            question + rr(b"\xc0\x0c", 16, txt(b"fine")) + tsig + tsig
    return hdr(0x0400, 1) + question + rr(b"\xc0\x0c", 16, txt(b"fine"))


s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while True:
    q, peer = s.recvfrom(4096)
    try:
        a = answer(q)
    except (IndexError, struct.error):
        continue
    if a is not None:
        s.sendto(a, peer)
