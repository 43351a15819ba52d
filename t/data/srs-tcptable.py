# srs-tcptable.py: a client for Postfix's tcp_table protocol, as postsrsd
# 1.10 serves it, for t/30-srs-interop.t.  Run with /usr/bin/python3.
# Usage: srs-tcptable.py PORT < addresses
# Sends "get <key>" per line; prints the value of a "200 <value>" reply, or
# "ERR <text>" for any other.  tcp_table(5) percent-encodes whitespace,
# '%' and control bytes in keys and values both ways.
import socket
import sys


def enc(s):
    return ''.join('%%%02X' % b if b <= 32 or b >= 127 or b == 37
                   else chr(b) for b in s.encode())


def dec(s):
    b = bytearray()
    i = 0
    while i < len(s):
        if s[i] == '%' and i + 3 <= len(s):
            b.append(int(s[i + 1:i + 3], 16))
            i += 3
        else:
            b += s[i].encode()
            i += 1
    return b.decode()


keys = sys.stdin.read().split('\n')[:-1]
sock = socket.create_connection(('127.0.0.1', int(sys.argv[1])), 5)
sock.settimeout(10)
rf = sock.makefile('rb')
out = []
# Pipelined in chunks: postsrsd answers each line in order.
for i in range(0, len(keys), 200):
    chunk = keys[i:i + 200]
    sock.sendall(''.join('get %s\n' % enc(k) for k in chunk).encode())
    for _ in chunk:
        line = rf.readline().decode().rstrip('\r\n')
        if line.startswith('200 '):
            out.append(dec(line[4:]))
        else:
            out.append('ERR ' + line)
sock.close()
sys.stdout.write(''.join(x + '\n' for x in out))
