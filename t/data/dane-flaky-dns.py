# A UDP DNS server for tlsa-check --trust-ad: it answers from a zone file
# with the AD bit set, as a validating resolver does for a signed zone, and
# SERVFAIL for the names listed (one a line) in a file read at each query,
# so that a test can make one host's lookups fail for a moment:
#	dane-flaky-dns.py PORTFILE ZONEFILE FAILFILE
# The zone file needs its $ORIGIN.  It binds 127.0.0.1 at a free port and
# writes the port to PORTFILE once it listens.
import os
import socket
import sys

import dns.flags
import dns.message
import dns.rcode
import dns.rdataclass
import dns.zone


def failing(path):
    try:
        with open(path) as f:
            return {l.strip().rstrip(".").lower() for l in f if l.strip()}
    except OSError:
        return set()


def main():
    portfile, zonefile, failfile = sys.argv[1:4]
    zone = dns.zone.from_file(zonefile, origin=None, relativize=False,
                              check_origin=False)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    with open(portfile + ".tmp", "w") as f:
        f.write("%d\n" % s.getsockname()[1])
    os.rename(portfile + ".tmp", portfile)
    while True:
        data, peer = s.recvfrom(4096)
        try:
            q = dns.message.from_wire(data)
            qn, qt = q.question[0].name, q.question[0].rdtype
        except Exception:
            continue
        r = dns.message.make_response(q)
        if qn.to_text().rstrip(".").lower() in failing(failfile):
            r.set_rcode(dns.rcode.SERVFAIL)
        else:
            r.flags |= dns.flags.AD
            node = zone.get_node(qn)
            if node is None:
                r.set_rcode(dns.rcode.NXDOMAIN)
            else:
                rds = node.get_rdataset(dns.rdataclass.IN, qt)
                if rds is not None:
                    r.find_rrset(r.answer, qn, dns.rdataclass.IN, qt,
                                 create=True).update(rds)
        s.sendto(r.to_wire(), peer)


main()
