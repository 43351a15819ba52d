"""NSEC3 opt-out as RFC 5155 6 has it, on a zone signed by ldns-signzone.

    dnssec-optout.py SIGNED ORIGIN ZSK

ldns-signzone -p sets the opt-out flag but still gives every unsigned
delegation an NSEC3 of its own, so a validator never has to prove one by
an opt-out span.  This drops those NSEC3 records from the signed zone file
SIGNED (rewritten in place), links each one's predecessor to its successor,
and signs the predecessors again with the ECDSAP256SHA256 key ZSK (the base
name of ldns-keygen's .key and .private files), with the expiration the
other signatures have.
"""
import base64
import sys

import dns.dnssec
import dns.name
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone
from cryptography.hazmat.primitives.asymmetric import ec


def private_key(path):
    with open(path) as f:
        for line in f:
            if line.startswith("PrivateKey:"):
                raw = base64.b64decode(line.split(":", 1)[1].strip())
                return ec.derive_private_key(int.from_bytes(raw, "big"),
                                             ec.SECP256R1())
    sys.exit("no PrivateKey in " + path)


def main():
    signed, origin, zsk = sys.argv[1:4]
    origin = dns.name.from_text(origin)
    zone = dns.zone.from_file(signed, origin, relativize=False,
                              check_origin=False)
    with open(zsk + ".key") as f:
        owner, _cls, _type, rdata = f.read().split(";")[0].split(None, 3)
    dnskey = dns.rrset.from_text(owner, 300, "IN", "DNSKEY", rdata)[0]
    key = private_key(zsk + ".private")

    nsec3 = {}
    for name, node in zone.nodes.items():
        rds = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NSEC3)
        if rds is not None:
            nsec3[name] = rds
    param = next(iter(nsec3.values()))[0]
    gone = []
    for name, node in zone.nodes.items():
        if name == origin:
            continue
        if node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.NS) is None:
            continue
        if node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.DS):
            continue
        h = dns.dnssec.nsec3_hash(name, param.salt, param.iterations,
                                  param.algorithm)
        gone.append(dns.name.from_text(h.lower(), origin))
    for g in gone:
        nxt = nsec3[g][0].next
        for name, rds in nsec3.items():
            if name in gone:
                continue
            rd = rds[0]
            label = base64.b32encode(rd.next).decode().translate(
                str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567",
                              "0123456789ABCDEFGHIJKLMNOPQRSTUV")).lower()
            if dns.name.from_text(label, origin) != g:
                continue
            new = rd.replace(next=nxt)
            rrset = dns.rrset.from_rdata(name, rds.ttl, new)
            old = zone.find_rdataset(name, dns.rdatatype.RRSIG,
                                     dns.rdatatype.NSEC3)
            exp = old[0].expiration
            sig = dns.dnssec.sign(rrset, key, origin, dnskey,
                                  expiration=exp)
            zone.replace_rdataset(name, dns.rdataset.from_rdata(rds.ttl,
                                                                new))
            zone.replace_rdataset(name, dns.rdataset.from_rdata(
                rds.ttl, sig))
        zone.delete_node(g)
    zone.to_file(signed, relativize=False)


main()
