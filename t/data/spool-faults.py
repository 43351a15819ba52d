# The judge and the saboteur of t/45-queuefile-faults.t: what a directory
# of Exim spool files holds, and the runs of queuefile-copy that a test
# kills or pulls the floor from under.
#
#	spool-faults.py clone INPUT N [NEW]
#		N copies of the messages Exim queued in the spool input
#		directory INPUT (split or flat), each under a new id, into
#		INPUT beside them; NEW of them with a 23-character id (Exim
#		4.97's form).  The id is changed everywhere it is written
#		(the files' names and first lines, Received:, Message-Id:)
#		and the header lengths of -H written anew, so that each copy
#		is a message as Exim would have written it.  Owner and mode
#		as the seed's.  Prints the new ids, one a line.
#	spool-faults.py snap DIR [dirs]
#		every file and directory under DIR: its path, type, size,
#		mode, owner, group, mtime, inode and the SHA-256 of its
#		bytes, sorted; Exim's own journal (-J) and msglog files left
#		out, and with "dirs" the directories' mtimes and sizes, for
#		a spool Exim is delivering from
#	spool-faults.py check SRC DST [TODO]
#		whether DST (a target or a spool input directory, split or
#		flat) holds only what a reader may see: every file under a
#		final name (ID-D, ID-H) byte for byte its SRC counterpart, no
#		-H without its -D, nothing else but temporary files (a
#		leading dot).  Prints "complete=N tmp=M"; each fault on
#		stderr, then status 1.  The ids of SRC without a complete
#		message in DST go to the file TODO.
#	spool-faults.py kept ORIG FROM DST
#		after a killed --requeue --remove from FROM (once a copy of
#		ORIG) into DST: no message lost, each of ORIG's either whole
#		in DST or still in FROM (-H and -D as in ORIG)
#	spool-faults.py kill MAX SEED OUT ERR CMD...
#		run CMD (its output to OUT and ERR) and kill it with SIGKILL
#		after a delay drawn from [0, MAX) seconds; prints the delay
#		and how it ended: "killed" or "exit N"
#	spool-faults.py vanish DIR SEEN OUT ERR CMD...
#		run CMD and, as soon as a file appears in DIR (flat),
#		remove DIR and all in it, again until it stays gone; every
#		name it saw there goes to the file SEEN (a file put there
#		before the directory went is seen: rmdir fails until it
#		is).  Prints "exit N" or "signal N"
#	spool-faults.py hold FILE LEN READY
#		fcntl F_WRLCK on FILE's bytes [0, LEN), as Exim locks a -D
#		it delivers; writes READY once held, then sleeps until killed
import fcntl
import hashlib
import os
import random
import re
import signal
import stat
import subprocess
import sys
import time

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
ID = re.compile(r"^([0-9A-Za-z]{6}-[0-9A-Za-z]{6}-[0-9A-Za-z]{2}|"
                r"[0-9A-Za-z]{6}-[0-9A-Za-z]{11}-[0-9A-Za-z]{4})-([DH])$")


def b62(n, width):
    s = ""
    for _ in range(width):
        s = B62[n % 62] + s
        n //= 62
    return s


def files(top):
    """name -> path of the files in top and in its one-character
    subdirectories (a split spool), as a reader of either finds them."""
    out = {}
    for e in sorted(os.listdir(top)):
        p = os.path.join(top, e)
        if len(e) == 1 and os.path.isdir(p):
            for f in sorted(os.listdir(p)):
                out[f] = os.path.join(p, f)
        elif os.path.isfile(p):
            out.setdefault(e, p)
    return out


def relabel(h, old, new):
    """The -H bytes h of message old, as the -H of message new: the id
    replaced in every line, the header lengths counted again.  The
    envelope of a seed made here has no blank line before the headers'
    (no multi-line ACL value)."""
    env, hdrs = h.split(b"\n\n", 1)
    env = env.replace(old, new)
    out = []
    while hdrs:
        n = int(hdrs[:3])
        text = hdrs[5:5 + n].replace(old, new)
        out.append(b"%03d%c " % (len(text), hdrs[3]) + text)
        hdrs = hdrs[5 + n:]
    return env + b"\n\n" + b"".join(out)


def clone(top, n, new):
    seeds = sorted(k[:-2] for k in files(top) if k.endswith("-H"))
    have = files(top)
    k = 0
    for i in range(n):
        seed = seeds[i % len(seeds)]
        # An id already there (a real one whose pid is small) is passed
        # over for the next number.
        while True:
            if i < new:
                nid = seed[:7] + b62(k, 11) + "-" + seed[14:16] + "00"
            else:
                nid = seed[:7] + b62(k, 6) + seed[13:]
            k += 1
            if nid + "-H" not in have and nid + "-D" not in have:
                break
        old, enc = seed.encode(), nid.encode()
        for kind in "DH":
            src = have[seed + "-" + kind]
            with open(src, "rb") as f:
                data = f.read()
            if kind == "H":
                data = relabel(data, old, enc)
            else:
                data = enc + data[len(old):]
            dst = os.path.join(os.path.dirname(src), nid + "-" + kind)
            with open(dst, "xb") as f:
                f.write(data)
            st = os.stat(src)
            os.chown(dst, st.st_uid, st.st_gid)
            os.chmod(dst, stat.S_IMODE(st.st_mode))
        print(nid)


def snap(top, nodirs):
    rows = []
    for d, dirs, names in os.walk(top):
        for e in sorted(dirs + names):
            p = os.path.join(d, e)
            if e.endswith("-J") or "/msglog" in p[len(top):]:
                continue
            st = os.lstat(p)
            h, mtime = "", st.st_mtime_ns
            size = st.st_size
            if nodirs and stat.S_ISDIR(st.st_mode):
                mtime = size = 0
            if stat.S_ISREG(st.st_mode):
                with open(p, "rb") as f:
                    h = hashlib.sha256(f.read()).hexdigest()
            rows.append("%s %o %d %d %d %d %d %s" % (
                os.path.relpath(p, top), st.st_mode, size,
                st.st_uid, st.st_gid, mtime, st.st_ino, h))
    print("\n".join(sorted(rows)))


def same(a, b):
    with open(a, "rb") as f, open(b, "rb") as g:
        return f.read() == g.read()


def check(src, dst, todo=None):
    have, got = files(src), files(dst)
    faults, complete, tmp = [], set(), 0
    for d, dirs, names in os.walk(dst):
        for e in dirs:
            if d != dst or len(e) != 1:
                faults.append("a directory %s" % os.path.join(d, e))
    for name, p in sorted(got.items()):
        m = ID.match(name)
        if name.startswith("."):
            tmp += 1
        elif not m:
            faults.append("a file under no name of the spool: %s" % p)
        elif name not in have:
            faults.append("%s: not in the source" % p)
        elif not same(p, have[name]):
            faults.append("%s: not its source byte for byte (%d bytes, "
                          "%d wanted)" % (p, os.path.getsize(p),
                                          os.path.getsize(have[name])))
        elif m.group(2) == "H":
            if m.group(1) + "-D" not in got:
                faults.append("%s: a -H without its -D" % p)
            else:
                complete.add(m.group(1))
    if todo:
        with open(todo, "w") as f:
            for k in sorted(have):
                if k.endswith("-H") and k[:-2] not in complete:
                    f.write(k[:-2] + "\n")
    for f in faults:
        print(f, file=sys.stderr)
    print("complete=%d tmp=%d" % (len(complete), tmp))
    return 1 if faults else 0


def kept(orig, frm, dst):
    have, left, got = files(orig), files(frm), files(dst)
    lost = 0
    for k in sorted(have):
        if not k.endswith("-H"):
            continue
        i = k[:-2]
        whole = all(i + s in got and same(got[i + s], have[i + s])
                    for s in ("-D", "-H"))
        still = all(i + s in left and same(left[i + s], have[i + s])
                    for s in ("-D", "-H"))
        if not whole and not still:
            print("%s: neither in the spool nor in %s" % (i, frm),
                  file=sys.stderr)
            lost += 1
    return 1 if lost else 0


def spawn(out, err, cmd):
    with open(out, "wb") as o, open(err, "wb") as e:
        return subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=o,
                                stderr=e)


def ended(rc):
    return "exit %d" % rc if rc >= 0 else "signal %d" % -rc


def kill(most, seed, out, err, cmd):
    delay = random.Random(seed).uniform(0, most)
    p = spawn(out, err, cmd)
    try:
        p.wait(delay)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
        print("%.3f killed" % delay)
        return 0
    print("%.3f %s" % (delay, ended(p.returncode)))
    return 0


def vanish(top, seen, out, err, cmd):
    p = spawn(out, err, cmd)
    end = time.monotonic() + 10
    while p.poll() is None and time.monotonic() < end:
        try:
            if os.listdir(top):
                break
        except FileNotFoundError:
            break
        time.sleep(0.001)
    names = set()
    while True:
        try:
            now = os.listdir(top)
        except FileNotFoundError:
            break
        names.update(now)
        for e in now:
            try:
                os.unlink(os.path.join(top, e))
            except FileNotFoundError:
                pass
        try:
            os.rmdir(top)
        except OSError:
            pass
    with open(seen, "w") as f:
        f.write("".join(e + "\n" for e in sorted(names)))
    print(ended(p.wait()))
    return 0


def hold(path, n, ready):
    fd = os.open(path, os.O_RDWR)
    fcntl.lockf(fd, fcntl.LOCK_EX | fcntl.LOCK_NB, n, 0, os.SEEK_SET)
    with open(ready, "w") as f:
        f.write("held\n")
    signal.pause()


def main(a):
    if a[0] == "clone":
        clone(a[1], int(a[2]), int(a[3]) if len(a) > 3 else 0)
    elif a[0] == "snap":
        snap(a[1], len(a) > 2 and a[2] == "dirs")
    elif a[0] == "check":
        return check(a[1], a[2], a[3] if len(a) > 3 else None)
    elif a[0] == "kept":
        return kept(a[1], a[2], a[3])
    elif a[0] == "kill":
        return kill(float(a[1]), int(a[2]), a[3], a[4], a[5:])
    elif a[0] == "vanish":
        return vanish(a[1], a[2], a[3], a[4], a[5:])
    elif a[0] == "hold":
        hold(a[1], int(a[2]), a[3])
    return 0


sys.exit(main(sys.argv[1:]))
