# The openspf RFC 7208 test suite beside t/data/spf-suite-dns.py, which
# serves scenario N at the port the file PORTS gives for it:
#	spf-suite.py pyspf SUITE PORTS TIMEOUT
#		runs every case through pyspf (python3-spf), whose resolver
#		(dnspython) asks that server over UDP and TCP, and prints
#		"ok ID" or "not ok ID: why" a line each, ID as SCENARIO/NAME;
#		the judgement is the suite driver's (testspf.py): the result
#		one of those accepted, the explanation equal where given,
#		with the default explanation set to "DEFAULT"
#	spf-suite.py ours SUITE PORTS TIMEOUT SPF-CHECK DIR
#		runs every case through our t/unit/spf-check, one process a
#		case, against the same server, and prints "ok ID: RESULT" or
#		"not ok ID: why" a line each.  spf_result must be one of those
#		accepted; where the case gives an explanation, spf_smtp_comment
#		must equal it, and where that is the driver's "DEFAULT", it
#		must be what spf-check gives for the same client and sender
#		when the sender's domain publishes "v=spf1 -all" alone (a zone
#		file written in DIR): our default explanation, whatever it is
#	spf-suite.py count SUITE
#		prints the number of cases
#	spf-suite.py probe PORT NAME TYPE [tcp]
#		one query, over UDP or TCP; prints the rcode and the answer
#		records a line each, or "timeout" when none comes in 2 s
import gzip
import os
import shlex
import subprocess
import sys
import threading

import yaml

OLD = {"unknown": "permerror", "error": "temperror"}


def load(path, portfile):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    ports = {}
    if portfile is not None:
        with open(portfile) as f:
            for line in f:
                i, p = line.split()
                ports[int(i)] = int(p)
    for i, d in enumerate(docs):
        for name, t in d["tests"].items():
            want = t["result"]
            if isinstance(want, str):
                want = [want]
            yield ports.get(i), "%d/%s" % (i, name), t, want


def pyspf_case(args):
    import dns.resolver
    import spf

    port, cid, t, want, timeout = args
    r = dns.resolver.Resolver(configure=False)
    r.nameservers = ["127.0.0.1"]
    r.port = port
    r.timeout = timeout
    r.lifetime = timeout
    dns.resolver.default_resolver = r
    q = spf.query(i=str(t["host"]), s=str(t["mailfrom"]), h=str(t["helo"]),
                  strict=t.get("strict", True), timeout=timeout)
    q.set_default_explanation("DEFAULT")
    res, _, exp = q.check()
    res = OLD.get(res, res)
    why = []
    if res not in want:
        why.append("result %s, not %s" % (res, " or ".join(want)))
    if "explanation" in t and t["explanation"] != exp:
        why.append("explanation '%s', not '%s'" % (exp, t["explanation"]))
    if why:
        return "not ok %s: %s" % (cid, "; ".join(why))
    return "ok %s" % cid


def pyspf(path, portfile, timeout):
    import multiprocessing

    # A few cases at once, so that those which wait for a timeout do not
    # add up; each worker points pyspf's resolver at the case's port.
    args = [c + (timeout,) for c in load(path, portfile)]
    with multiprocessing.get_context("fork").Pool(8) as pool:
        lines = pool.map(pyspf_case, args, chunksize=1)
    for line in lines:
        print(line)
    return 1 if any(l.startswith("not") for l in lines) else 0


def spf_check(prog, args):
    """spf-check's variables as a dict, and a complaint or None."""
    p = subprocess.run([prog] + args, capture_output=True, timeout=60)
    out = p.stdout.decode("utf-8", "replace")
    if p.returncode != 0 or p.stderr:
        return {}, "exit %d, stderr '%s'" % (
            p.returncode, p.stderr.decode("utf-8", "replace").strip())
    v = {}
    for line in out.splitlines():
        name, sep, value = line.partition("=")
        try:
            words = shlex.split(value)
        except ValueError:
            words = None
        if not sep or words is None or len(words) > 1:
            return v, "a line that is no name=value: '%s'" % line
        v[name] = words[0] if words else ""
    for name in ("spf_result", "spf_used_domain", "spf_header_comment",
                 "spf_smtp_comment"):
        if name not in v:
            return v, "no %s" % name
    return v, None


controls = 0
lock = threading.Lock()


def default_exp(prog, dirname, t):
    """Our default explanation for this client and sender."""
    global controls
    dom = str(t["mailfrom"]).rpartition("@")[2] or str(t["helo"])
    with lock:
        controls += 1
        zone = os.path.join(dirname, "default-%d.zone" % controls)
    with open(zone, "w") as f:
        f.write('%s. 300 IN TXT "v=spf1 -all"\n' % dom)
    v, bad = spf_check(prog, ["--dns-zone", zone, "--ip", str(t["host"]),
                              "--mail-from", str(t["mailfrom"]),
                              "--helo", str(t["helo"])])
    if bad or v["spf_result"] != "fail" or not v["spf_smtp_comment"]:
        return None
    return v["spf_smtp_comment"]


def ours_case(prog, dirname, timeout, case):
    port, cid, t, want = case
    v, bad = spf_check(prog, ["--resolver", "127.0.0.1@%d" % port,
                              "--timeout", str(timeout),
                              "--ip", str(t["host"]),
                              "--mail-from", str(t["mailfrom"]),
                              "--helo", str(t["helo"])])
    if bad:
        return "not ok %s: %s" % (cid, bad)
    res, com = v["spf_result"], v["spf_smtp_comment"]
    why = []
    if res not in want:
        why.append("result %s, not %s (%s)" % (res, " or ".join(want),
                                               v["spf_header_comment"]))
    exp = t.get("explanation")
    if exp == "DEFAULT":
        exp = default_exp(prog, dirname, t)
        if exp is None:
            why.append("no default explanation for a plain -all")
    if exp is not None and com != exp:
        why.append("spf_smtp_comment '%s', not '%s'" % (com, exp))
    if why:
        return "not ok %s: %s" % (cid, "; ".join(why))
    return "ok %s: %s" % (cid, res)


def ours(path, portfile, timeout, prog, dirname):
    from concurrent.futures import ThreadPoolExecutor

    # Several processes at once, so that the cases that wait for a
    # timeout do not add up.
    cases = list(load(path, portfile))
    with ThreadPoolExecutor(8) as pool:
        lines = list(pool.map(lambda c: ours_case(prog, dirname, timeout, c),
                              cases))
    for line in lines:
        print(line)
    return 1 if any(l.startswith("not") for l in lines) else 0


def probe(port, name, qtype, tcp):
    import dns.exception
    import dns.message
    import dns.query
    import dns.rcode
    import dns.rdatatype

    q = dns.message.make_query(name, qtype)
    try:
        if tcp:
            r = dns.query.tcp(q, "127.0.0.1", timeout=2, port=port)
        else:
            r = dns.query.udp(q, "127.0.0.1", timeout=2, port=port)
    except dns.exception.Timeout:
        print("timeout")
        return 0
    print(dns.rcode.to_text(r.rcode()))
    for s in r.answer:
        for rd in s:
            print(s.name, dns.rdatatype.to_text(s.rdtype), rd.to_text())
    return 0


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[:1] == ["pyspf"] and len(a) == 4:
        sys.exit(pyspf(a[1], a[2], float(a[3])))
    if a[:1] == ["ours"] and len(a) == 6:
        sys.exit(ours(a[1], a[2], a[3], a[4], a[5]))
    if a[:1] == ["count"] and len(a) == 2:
        sys.exit(print(sum(1 for _ in load(a[1], None))))
    if a[:1] == ["probe"] and len(a) in (4, 5):
        sys.exit(probe(int(a[1]), a[2], a[3], a[4:] == ["tcp"]))
    sys.exit("usage: spf-suite.py pyspf|ours|count|probe ...")
