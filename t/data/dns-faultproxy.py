# A UDP DNS proxy that passes queries to a real server (knot) and answers
# the queries of one type wrongly, so that a fault can strike one lookup
# of a DNSSEC chain that is otherwise whole:
#	dns-faultproxy.py PORTFILE UPSTREAM_PORT QTYPE MODE
# QTYPE is a type number (52 for TLSA) or "any".  MODE:
#	garbage		the query's id, then bytes that are no DNS header's
#			promise (a question that is not there)
#	silent		no answer at all
#	servfail	SERVFAIL, as a validating resolver says for bogus data
# It binds 127.0.0.1 at a free port and writes the port to PORTFILE once it
# listens.  Anything over TCP is not served (a client falls back to it only
# on TC, which knot does not set for these small answers).
import os
import socket
import struct
import sys
import threading


def question(pkt):
    """The end of the first question and its type, or (None, None) when
    it cannot be read."""
    off = 12
    try:
        while pkt[off]:
            off += pkt[off] + 1
        return off + 5, struct.unpack(">H", pkt[off + 1:off + 3])[0]
    except (IndexError, struct.error):
        return None, None


def main():
    portfile, upstream, want, mode = sys.argv[1:5]
    up = ("127.0.0.1", int(upstream))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(tmp, portfile)

    def forward(pkt, client):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.settimeout(5)
        try:
            u.sendto(pkt, up)
            s.sendto(u.recv(65535), client)
        except OSError:
            pass
        finally:
            u.close()

    while True:
        pkt, client = s.recvfrom(65535)
        if len(pkt) < 12:
            continue
        end, qt = question(pkt)
        if end is None:
            continue
        if want != "any" and qt != int(want):
            threading.Thread(target=forward, args=(pkt, client),
                             daemon=True).start()
        elif mode == "garbage":
            # QR, one question promised, none there, then junk.
            s.sendto(pkt[:2] + b"\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00"
                     + b"\xff\xfe\xfd", client)
        elif mode == "servfail":
            flags = 0x8000 | (struct.unpack(">H", pkt[2:4])[0] & 0x7910) | 2
            s.sendto(pkt[:2] + struct.pack(">H", flags) + b"\0\1"
                     + b"\0" * 6 + pkt[12:end], client)


main()
