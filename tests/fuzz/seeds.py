#!/usr/bin/env python3
# Writes the fuzzers' seed corpus (committed: run this again only to change the seeds):
#   corpus/args/NAME   arguments after "tcpconnlat", separated by NUL bytes (fuzz_args.c)
#   corpus/event/NAME  a struct event, an options byte and an event, or a perf record
#                      (fuzz_event.c reads every input all three ways)
import os
import socket
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

ARGS = {
    # What people type.
    "pid": ["-p", "181"],
    "min-ms": ["0.1"],
    "time-lport": ["-t", "-L"],
    "failed-retrans-json": ["-x", "-r", "-j"],
    "hist-by-dest": ["-H", "--by", "dest", "-i", "10"],
    "hist-by-list": ["-H", "--by", "dhost,dport"],
    "names-json": ["-N", "-j"],
    "bad-by-list": ["-H", "--by", "dest,daddr"],
    "count-duration": ["-c", "10", "-d", "60"],
    "ports": ["-6", "-P", "80,443,8080"],
    "daddr-v4": ["--daddr=10.0.0.0/8", "-4"],
    "daddr-v6": ["--daddr", "2001:db8::/32", "-ptr"],
    "uid-name": ["-u", "1000", "-n", "curl", "--cgroup=/sys/fs/cgroup/system.slice"],
    "backend": ["--backend=tracepoint", "-v", "--btf", "/boot/vmlinux", "--buffer-pages", "256"],
    "help": ["--help"],
    "version": ["--vers"],
    # What each must refuse in one line.
    "bad-pid": ["-p", "4194305"],
    "bad-4-6": ["-4", "-6"],
    "bad-ports": ["-P", "80,80,0"],
    "bad-17-ports": ["-P", ",".join(str(p) for p in range(1, 18))],
    "bad-pages": ["--buffer-pages", "63"],
    "bad-count-hist": ["-c", "5", "-H"],
    "bad-interval": ["-i", "5"],
    "bad-option": ["--bogus", "-q"],
    "bad-missing": ["-p"],
    "bad-ambiguous": ["--b=x"],
    "bad-name": ["-n", "\x1b[31msixteen-bytes"],
    "bad-ms": ["1e3", "0x10"],
    "bad-daddr": ["--daddr=::1/129", "-4"],
    "bad-twice": ["-p", "1", "--pid=2", "--", "-p"],
}


def event(saddr=b"", daddr=b"", comm=b"", ts=0, delta=0, tgid=0, lport=0, dport=0,
          af=socket.AF_INET, err=0, failed=0, rtx=0, cgroup=0):
    return struct.pack("<16s16s16sQQQIHHHHBBH", saddr, daddr, comm, ts, delta, cgroup, tgid,
                       lport, dport, af, err, failed, rtx, 0)


def v4(a):
    return socket.inet_pton(socket.AF_INET, a)


def v6(a):
    return socket.inet_pton(socket.AF_INET6, a)


def sample(raw, raw_size=None, rec_size=None):
    # PERF_RECORD_SAMPLE: header (type, misc, size), u32 raw size, raw data padded to 8.
    data = raw + b"\0" * 4
    size = 12 + len(data) if rec_size is None else rec_size
    return struct.pack("<IHHI", 9, 0, size, len(data) if raw_size is None else raw_size) + data


OK4 = event(v4("127.0.0.1"), v4("10.1.2.3"), b"curl", 123456789, 1234, 181, 40000, 443)
OK6 = event(v6("::1"), v6("2001:db8::1"), b"wget", 2000000, 250, 4242, 51000, 80,
            socket.AF_INET6)
EVENTS = {
    "ipv4-ok": OK4,
    "ipv6-ok": OK6,
    "refused": event(v4("127.0.0.1"), v4("127.0.0.1"), b"tconn", 5, 80, 7, 33000, 9,
                     err=111, failed=1),
    "timeout-retrans": event(v6("fe80::1"), v6("fe80::2"), b"ssh", 9, 3000000, 99, 1, 22,
                             socket.AF_INET6, err=110, failed=1, rtx=6),
    "unknown-errno": event(v4("1.2.3.4"), v4("5.6.7.8"), b"x", err=9999, failed=1),
    "aborted": event(v4("1.2.3.4"), v4("5.6.7.8"), b"y", failed=1),
    "bad-family": event(b"\xff" * 16, b"\xff" * 16, b"nc", af=99),
    "comm-unterminated": event(v4("10.0.0.1"), v4("10.0.0.2"), b"ABCDEFGHIJKLMNOP"),
    "comm-controls": event(v4("10.0.0.1"), v4("10.0.0.2"), b'\x1b[31m\\ "\x7f\xff\xc3\xa9\xe2\x82'),
    "comm-empty": event(v4("10.0.0.1"), v4("10.0.0.2"), b""),
    "max-values": b"\xff" * 80,
    "huge-times": event(v4("10.0.0.1"), v4("10.0.0.2"), b"z", 0x7fffffffffffffff,
                        0xffffffffffffffff, 0xffffffff, 65535, 65535, err=65535, failed=1,
                        rtx=255),
    "opts-all-json": b"\x1f" + OK4,
    "opts-all-text": b"\x0f" + OK6,
    "record-sample": sample(OK4),
    "record-sample-short": sample(OK4[:60]),
    "record-sample-overlong": sample(OK6, raw_size=200),
    "record-lost": struct.pack("<IHHQQ", 2, 0, 24, 1, 1000),
}


def write(kind, name, data):
    d = os.path.join(HERE, "corpus", kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)



# corpus/dns/NAME: a DNS message (fuzz_dns.c also reads it as a dns_events record).
def dns_name(n):
    return b"".join(bytes([len(l)]) + l.encode() for l in n.split(".")) + b"\0"


def dns_msg(qname, answers, flags=0x8180):
    hdr = struct.pack(">HHHHHH", 0x1234, flags, 1, len(answers), 0, 0)
    return hdr + dns_name(qname) + struct.pack(">HH", 1, 1) + b"".join(answers)


def dns_rr(owner, rtype, ttl, rdata):
    o = b"\xc0\x0c" if owner is None else dns_name(owner)
    return o + struct.pack(">HHIH", rtype, 1, ttl, len(rdata)) + rdata


DNS = {
    "a": dns_msg("www.example.test", [dns_rr(None, 1, 300, bytes([10, 0, 0, 1]))]),
    "aaaa": dns_msg("v6.test", [dns_rr(None, 28, 60, bytes(15) + b"\1")]),
    "cname": dns_msg("www.shop.test", [dns_rr(None, 5, 30, dns_name("edge.cdn.test")),
                                       dns_rr("edge.cdn.test", 1, 300, bytes([10, 0, 0, 2]))]),
    "loop": dns_msg("a.test", []) [:-0 or None] + b"\xc0\x18" + struct.pack(">HHIH", 1, 1, 60, 4) + bytes(4),
    "query": dns_msg("q.test", [], flags=0x0100),
    "many": dns_msg("many.test", [dns_rr(None, 1, 60, bytes([10, 0, i // 256, i % 256])) for i in range(40)]),
}

for name, args in ARGS.items():
    write("args", name, b"\0".join(a.encode() for a in args))
for name, data in EVENTS.items():
    write("event", name, data)
for name, data in DNS.items():
    write("dns", name, data)
