"""A UDP relay in front of a DNS server that holds each answer a while.

    dns-delay.py PORTFILE SERVER_PORT DELAY_MS

Binds 127.0.0.1 at a free port, writes it to PORTFILE, and sends each
datagram it gets on to 127.0.0.1:SERVER_PORT, handing the answer back
DELAY_MS later: a slow path to the server, for the bound on a whole
lookup.  Each query has a thread of its own, so delays do not add up.
"""
import os
import socket
import sys
import threading
import time

portfile, server, delay = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
with open(portfile + ".tmp", "w") as f:
    f.write("%d\n" % s.getsockname()[1])
os.rename(portfile + ".tmp", portfile)


def relay(q, peer):
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.settimeout(5)
    try:
        u.sendto(q, ("127.0.0.1", server))
        a = u.recv(65535)
    except OSError:
        return
    finally:
        u.close()
    time.sleep(delay / 1000)
    s.sendto(a, peer)


while True:
    q, peer = s.recvfrom(65535)
    threading.Thread(target=relay, args=(q, peer), daemon=True).start()
