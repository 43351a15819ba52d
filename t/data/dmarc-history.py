#!/usr/bin/python3
# dmarc-history.py TABLE FILE...: read DMARC history files as Debian's
# opendmarc-import would, strictly, and print the rows each record must
# give in TABLE, tab-separated, sorted, as t/86's queries print them:
#
#   records         the number of records
#   jobs            reporter and job id of each record
#   messages        jobid reporter received ipaddr mfrom from pdomain
#                   policy action spf align_dkim align_spf sigcount arc
#                   arc_policy
#   signatures      jobid domain selector pass error
#   arcseals        jobid instance domain selector
#   arcauthresults  jobid instance ip
#   requests        domain repuri adkim aspf p sp pct (the last record of
#                   each From domain wins, as the importer updates it)
#
# A record that is not exactly the lines mxkit writes, in its order (two
# writers' lines interleaved, a record cut short), is an error: the
# record's file and line on stderr, exit 1.
import json
import re
import sys

ORDER_HEAD = ["job", "reporter", "received", "ipaddr", "from", "mfrom", "spf"]
ORDER_TAIL = ["pct", "adkim", "aspf", "p", "sp", "align_dkim", "align_spf",
              "arc", "arc_policy", "action"]
NUM = re.compile(r"^[0-9]+$")


def records(path):
    recs, cur = [], None
    with open(path, "rb") as f:
        for no, raw in enumerate(f, 1):
            if not raw.endswith(b"\n"):
                sys.exit("%s:%d: line without its newline" % (path, no))
            line = raw[:-1].decode("ascii")
            key, _, val = line.partition(" ")
            if key == "job":
                if cur is not None:
                    recs.append(check(path, cur))
                cur = {"lines": [], "at": no}
            if cur is None:
                sys.exit("%s:%d: a line before the first job" % (path, no))
            cur["lines"].append((key, val))
    if cur is not None:
        recs.append(check(path, cur))
    return recs


def check(path, cur):
    lines, at = cur["lines"], cur["at"]
    keys = [k for k, _ in lines]
    i = len(ORDER_HEAD)
    if keys[:i] != ORDER_HEAD:
        sys.exit("%s:%d: record starts %s" % (path, at, keys[:i]))
    while i < len(keys) and keys[i] == "dkim":
        i += 1
    if keys[i:i + 2] != ["pdomain", "policy"]:
        sys.exit("%s:%d: no pdomain and policy after dkim" % (path, at))
    i += 2
    j = i
    while j < len(keys) and keys[j] == "rua":
        j += 1
    if j == i or keys[j:] != ORDER_TAIL:
        sys.exit("%s:%d: bad tail %s" % (path, at, keys[i:]))
    r = {"dkim": [], "rua": []}
    for k, v in lines:
        if k == "dkim":
            d = v.split(" ")
            if len(d) != 3 or not NUM.match(d[2]):
                sys.exit("%s:%d: bad dkim line '%s'" % (path, at, v))
            r["dkim"].append(d)
        elif k == "rua":
            if v != "-":
                r["rua"].append(v)
        elif k == "arc_policy":
            n, _, js = v.partition(" ")
            if not js.startswith("json:"):
                sys.exit("%s:%d: arc_policy without json:" % (path, at))
            r[k] = n
            r["arc_list"] = json.loads(js[5:])
        else:
            if " " in v or v == "":
                sys.exit("%s:%d: bad value '%s %s'" % (path, at, k, v))
            r[k] = v
    for k in ("received", "spf", "policy", "pct", "adkim", "aspf", "p", "sp",
              "align_dkim", "align_spf", "arc", "arc_policy", "action"):
        if not NUM.match(r[k]):
            sys.exit("%s:%d: %s is no number" % (path, at, k))
    return r


def main():
    table, paths = sys.argv[1], sys.argv[2:]
    recs = [r for p in paths for r in records(p)]
    rows = []
    if table == "records":
        print(len(recs))
        return
    for r in recs:
        if table == "jobs":
            rows.append([r["reporter"], r["job"]])
        elif table == "messages":
            rows.append([r["job"], r["reporter"], r["received"], r["ipaddr"],
                         r["mfrom"].lower(), r["from"].lower(),
                         r["pdomain"].lower(), r["policy"], r["action"],
                         r["spf"], r["align_dkim"], r["align_spf"],
                         str(len(r["dkim"])), r["arc"], r["arc_policy"]])
        elif table == "signatures":
            for d, s, a in r["dkim"]:
                if d != "-":
                    rows.append([r["job"], d, s, a,
                                 "1" if a in ("4", "5") else "0"])
        elif table == "arcseals":
            for a in r["arc_list"]:
                rows.append([r["job"], str(a["i"]), a["d"], a["s"]])
        elif table == "arcauthresults":
            for a in r["arc_list"]:
                rows.append([r["job"], str(a["i"]), a.get("ip", "")])
        elif table == "requests":
            pass
        else:
            sys.exit("unknown table " + table)
    if table == "requests":
        last = {}
        for r in recs:
            last[r["from"].lower()] = [r["from"].lower(), ",".join(r["rua"]),
                                       r["adkim"], r["aspf"], r["p"], r["sp"],
                                       r["pct"]]
        rows = list(last.values())
    for row in sorted(rows):
        print("\t".join(row))


main()
