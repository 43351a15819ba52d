# A DNS server for the openspf RFC 7208 test suite: every scenario of the
# suite (a YAML file, gzipped or not, argv[1]) gets its own port on
# 127.0.0.1, UDP and TCP, serving that scenario's zone data by the rules of
# the suite's own driver (testspf.py in python3-spf):
#	- an SPF record is served as TXT too, unless the name lists TXT itself;
#	- "TXT: NONE" (or "SPF: NONE") is no record at all;
#	- TIMEOUT in a name's list: a query for a type not listed before it
#	  gets no answer, and records listed after it are never served;
#	- a record whose value is TIMEOUT: a query for its type gets no answer;
#	- a name that is not listed: NXDOMAIN, or no answer at all when it
#	  starts with "error.";
#	- a CNAME answer carries the target's records of the type asked for,
#	  one level deep, and no further CNAME (the driver emulates the
#	  additional data of pydns so; a chain that goes on, or loops, ends
#	  there, as when the target lies in a zone the server does not
#	  serve, and the client follows it if it will).
# Names match without regard to ASCII case; labels may hold any byte
# (spaces, '%', ':').  Answers too large for the client's UDP size come
# back truncated, and whole over TCP.  When all ports listen, the lines
# "SCENARIO PORT" (SCENARIO counts from 0 in file order) go to the file
# argv[2], written under a temporary name and renamed.
import gzip
import os
import selectors
import socket
import struct
import sys
import threading

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.opcode
import dns.rcode
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.rrset
import yaml

TTL = 300
CNAME_DEPTH = 1		# as the driver's lookup emulates pydns


class Timeout(Exception):
    pass


def key(labels):
    """The lookup key of a name given as byte labels: ASCII lower case."""
    return b".".join(l.lower() for l in labels if l)


def mkname(text):
    labels = [l.encode("utf-8") for l in str(text).split(".") if l]
    return dns.name.Name(labels + [b""])


def txt_wire(strings):
    """TXT rdata: each string as character-strings of at most 255 bytes.
    A record without strings cannot be sent (RFC 1035 3.3.14: one or
    more), so it goes out as one empty string, which SPF reads alike."""
    out = b""
    for s in strings or ("",):
        b = s.encode("utf-8")
        while True:
            out += bytes([min(len(b), 255)]) + b[:255]
            b = b[255:]
            if not b:
                break
    return out


def entries(rrs):
    """A name's list as the driver's getrdata makes it: 'TIMEOUT' or
    (TYPE, VALUE); SPF copied to TXT unless TXT is listed; NONE dropped."""
    out, txt, gen = [], [], True
    for m in rrs:
        if not isinstance(m, dict):
            out.append(m)
            continue
        for t, v in m.items():
            if t in ("TXT", "SPF") and isinstance(v, str):
                v = (v,)
            if t == "TXT":
                gen = False
            elif t == "SPF" and gen:
                txt.append(("TXT", v))
            if v != ("NONE",):
                out.append((t, v))
    if gen:
        out += txt
    return out


def rdata(t, v):
    rdtype = dns.rdatatype.from_text(t) if t != "SPF" else 99
    if t in ("TXT", "SPF"):
        return dns.rdata.GenericRdata(dns.rdataclass.IN, rdtype,
                                      txt_wire(v))
    if t == "MX":
        return dns.rdata.from_wire(dns.rdataclass.IN, rdtype,
                                   struct.pack(">H", int(v[0])) +
                                   mkname(v[1]).to_wire(), 0,
                                   2 + len(mkname(v[1]).to_wire()))
    if t in ("PTR", "CNAME"):
        w = mkname(v).to_wire()
        return dns.rdata.from_wire(dns.rdataclass.IN, rdtype, w, 0, len(w))
    return dns.rdata.from_text(dns.rdataclass.IN, rdtype, str(v))


class Zone:
    def __init__(self, zonedata):
        self.names = {}
        self.exists = set()
        for name, rrs in (zonedata or {}).items():
            labels = [l.encode("utf-8") for l in str(name).split(".")]
            k = key(labels)
            self.names[k] = (mkname(name), entries(rrs))
            # the names above a listed one exist too (no data, not NXDOMAIN)
            parts = k.split(b".")
            for i in range(len(parts)):
                self.exists.add(b".".join(parts[i:]))

    def lookup(self, k, qtype, level=0):
        """The records (level, owner, TYPE, VALUE) the driver yields for a
        query, or None for a name that does not exist; Timeout when the
        query goes unanswered."""
        if k not in self.names:
            if k.startswith(b"error."):
                raise Timeout()
            return None
        owner, ents = self.names[k]
        out = []
        unseen = True
        for e in ents:
            if e == "TIMEOUT":
                if unseen:
                    raise Timeout()
                break
            t, v = e
            if t == qtype:
                unseen = False
            if v == "TIMEOUT":
                if t == qtype:
                    raise Timeout()
                continue
            out.append((level, owner, t, v))
            if level < CNAME_DEPTH and t == "CNAME" and qtype != "CNAME":
                more = self.lookup(key(mkname(v).labels), qtype, level + 1)
                out += more or []
        return out

    def answer(self, query):
        """The response to a query message, or None to stay silent."""
        r = dns.message.make_response(query)
        r.flags |= dns.flags.AA
        if query.opcode() != dns.opcode.QUERY or len(query.question) != 1:
            r.set_rcode(dns.rcode.NOTIMP)
            return r
        q = query.question[0]
        if q.rdclass != dns.rdataclass.IN:
            r.set_rcode(dns.rcode.REFUSED)
            return r
        qtype = "SPF" if q.rdtype == 99 else dns.rdatatype.to_text(q.rdtype)
        k = key(q.name.labels)
        try:
            recs = self.lookup(k, qtype)
        except Timeout:
            return None
        if recs is None:
            if k not in self.exists:
                r.set_rcode(dns.rcode.NXDOMAIN)
            return r
        sets = {}
        last = k
        for level, owner, t, v in recs:
            if t != qtype and (t != "CNAME" or level > 0):
                continue
            if t == "CNAME":
                last = key(mkname(v).labels)
            s = sets.get((owner, t))
            if s is None:
                s = sets[(owner, t)] = dns.rrset.RRset(
                    owner, dns.rdataclass.IN,
                    99 if t == "SPF" else dns.rdatatype.from_text(t))
                s.update_ttl(TTL)
                r.answer.append(s)
            s.add(rdata(t, v))
        # RFC 6604: after a CNAME the code is the target's
        if last != k and last not in self.names and last not in self.exists:
            r.set_rcode(dns.rcode.NXDOMAIN)
        return r


def udp_reply(zone, data):
    try:
        q = dns.message.from_wire(data)
    except dns.exception.DNSException:
        return None
    r = zone.answer(q)
    if r is None:
        return None
    size = max(512, min(q.payload, 4096)) if q.edns >= 0 else 512
    try:
        return r.to_wire(max_size=size)
    except dns.exception.TooBig:
        r.answer = []
        r.flags |= dns.flags.TC
        return r.to_wire()


def recv_all(c, n):
    b = b""
    while len(b) < n:
        d = c.recv(n - len(b))
        if not d:
            return None
        b += d
    return b


def tcp_serve(zone, c):
    c.settimeout(10)
    try:
        while True:
            h = recv_all(c, 2)
            if h is None:
                break
            data = recv_all(c, struct.unpack(">H", h)[0])
            if data is None:
                break
            try:
                r = zone.answer(dns.message.from_wire(data))
            except dns.exception.DNSException:
                break
            if r is None:
                continue	# silent: the client times out
            w = r.to_wire()
            c.sendall(struct.pack(">H", len(w)) + w)
    except OSError:
        pass
    finally:
        c.close()


def listen_pair():
    """A UDP and a TCP socket on the same free port of 127.0.0.1."""
    for _ in range(100):
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            t.bind(("127.0.0.1", port))
        except OSError:
            u.close()
            t.close()
            continue
        t.listen(16)
        return u, t, port
    sys.exit("spf-suite-dns: no free port pair")


def main():
    path, portfile = sys.argv[1], sys.argv[2]
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    sel = selectors.DefaultSelector()
    lines = []
    for i, d in enumerate(docs):
        zone = Zone(d.get("zonedata"))
        u, t, port = listen_pair()
        sel.register(u, selectors.EVENT_READ, ("udp", zone))
        sel.register(t, selectors.EVENT_READ, ("tcp", zone))
        lines.append("%d %d\n" % (i, port))
    with open(portfile + ".tmp", "w") as f:
        f.writelines(lines)
    os.rename(portfile + ".tmp", portfile)
    while True:
        for sk, _ in sel.select():
            kind, zone = sk.data
            if kind == "udp":
                data, peer = sk.fileobj.recvfrom(65535)
                w = udp_reply(zone, data)
                if w is not None:
                    sk.fileobj.sendto(w, peer)
            else:
                c, _ = sk.fileobj.accept()
                threading.Thread(target=tcp_serve, args=(zone, c),
                                 daemon=True).start()


if __name__ == "__main__":
    main()
