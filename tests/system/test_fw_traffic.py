# SPDX-License-Identifier: BSD-3-Clause
"""Firewall VNF with real peers: two namespaces joined by tap ports through a
chain with the firewall (lan -> fw -> wan and back).

    lan ns 10.9.0.1/24  <tap>  nfvd [fw]  <tap>  10.9.0.2/24 wan ns

TCP allowed / dropped / rejected (the client sees "connection refused"),
iperf3 through an allowed port, return traffic of outbound connections,
UDP and ICMP state with short timeouts, pcap-filter and eBPF rules, a rule
change under traffic, a full conntrack table, and crafted packets (scapy)
counted by drop reason.
"""
import os
import queue
import threading

import pytest

import nfvlib
from nfvlib import move_link, popen, run, wait_for

PY = "/usr/bin/python3"  # Debian's: has scapy
LAN_IP, WAN_IP = "10.9.0.1", "10.9.0.2"
FW_EXAMPLE = os.path.join(nfvlib.BUILD, "vnfs", "firewall", "fw_example.o")

# TCP echo server on each tcp:PORT, UDP echo on udp:PORT.
SERVER = r"""
import selectors, socket, sys
sel = selectors.DefaultSelector()
for spec in sys.argv[1:]:
    proto, port = spec.split(":")
    if proto == "tcp":
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", int(port)))
        s.listen(64)
        sel.register(s, selectors.EVENT_READ, "accept")
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("0.0.0.0", int(port)))
        sel.register(s, selectors.EVENT_READ, "udp")
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        s = key.fileobj
        if key.data == "accept":
            c, _ = s.accept()
            sel.register(c, selectors.EVENT_READ, "conn")
        elif key.data == "conn":
            try:
                d = s.recv(65536)
            except OSError:
                d = b""
            if d:
                s.sendall(d)
            else:
                sel.unregister(s)
                s.close()
        else:
            d, a = s.recvfrom(65536)
            s.sendto(d, a)
"""

# Connect, send, expect the echo: prints ok / refused / timeout.
CONNECT = r"""
import socket, sys
host, port, ttl, tmo = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
s = socket.socket()
s.settimeout(tmo)
if ttl:
    s.setsockopt(socket.IPPROTO_IP, socket.IP_TTL, ttl)
try:
    s.connect((host, port))
    s.sendall(b"ping")
    print("ok" if s.recv(4) == b"ping" else "bad")
except ConnectionRefusedError:
    print("refused")
except (socket.timeout, TimeoutError):
    print("timeout")
"""

# A UDP endpoint on one port: prints "got DATA HOST PORT" for each datagram,
# sends "HOST PORT DATA" lines read on stdin.
UDP_AGENT = r"""
import socket, sys, threading
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("0.0.0.0", int(sys.argv[1])))
def rx():
    while True:
        d, a = s.recvfrom(2048)
        print("got", d.decode(), a[0], a[1], flush=True)
threading.Thread(target=rx, daemon=True).start()
print("ready", flush=True)
for line in sys.stdin:
    host, port, data = line.split()
    s.sendto(data.encode(), (host, int(port)))
"""

# A TCP client that keeps one connection and echoes a line per stdin line.
KEEPER = r"""
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=5)
print("connected", flush=True)
for line in sys.stdin:
    s.sendall(line.encode())
    got = b""
    while not got.endswith(b"\n"):
        got += s.recv(100)
    print("echo", got.decode().strip(), flush=True)
"""


class Lines:
    """Lines printed by a background process, read by a thread."""

    def __init__(self, proc):
        self.proc = proc
        self.q = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self.q.put(line.strip())

    def expect(self, prefix, timeout=5):
        try:
            while True:
                line = self.q.get(timeout=timeout)
                if line.startswith(prefix):
                    return line
        except queue.Empty:
            raise AssertionError("no line starting with %r" % prefix)

    def pending(self):
        out = []
        while not self.q.empty():
            out.append(self.q.get())
        return out

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def stop(self):
        self.proc.kill()
        self.proc.wait()


class Net:
    def __init__(self, d, lan, wan):
        self.d, self.lan, self.wan = d, lan, wan
        self.procs = []

    def bg(self, ns, script, *args, stdin=False):
        p = popen([PY, "-u", "-c", script] + [str(a) for a in args], ns=ns,
                  stdin=nfvlib.subprocess.PIPE if stdin else nfvlib.subprocess.DEVNULL)
        lines = Lines(p)
        self.procs.append(lines)
        lines.expect("ready" if script is not KEEPER else "connected", 10)
        return lines

    def server(self, ns, *specs):
        return self.bg(ns, SERVER, *specs)

    def connect(self, ns, host, port, ttl=0, timeout=2):
        return run([PY, "-c", CONNECT, host, port, ttl, timeout], ns=ns).stdout.strip()

    def vnf(self):
        return self.d.stats()["vnfs"]["fw"]

    def drops(self, reason):
        return self.vnf()["drops"][reason]

    def counter(self, name):
        return self.vnf()["counters"][name]

    def conns(self):
        return fw_ctl(self.d, "conns")["conns"]

    def close(self):
        for p in self.procs:
            p.stop()


def fw_conf(tag, fw, **extra_ports):
    return {
        "version": 1,
        "ports": [{"name": "lan", "driver": "tap", "iface": tag + "L"},
                  {"name": "wan", "driver": "tap", "iface": tag + "W"}],
        "vnfs": [dict({"name": "fw", "class": "firewall"}, **fw)],
        "chains": [{"name": "out", "ingress": ["lan"], "vnfs": ["fw"], "egress": "wan"},
                   {"name": "in", "ingress": ["wan"], "vnfs": ["fw"], "egress": "lan"}],
    }


@pytest.fixture
def fwnet(nfvd_factory, ns_factory, tag):
    made = []

    def make(fw):
        lan, wan = ns_factory("l"), ns_factory("w")
        d = nfvd_factory(fw_conf(tag, fw))
        move_link(tag + "L", lan, LAN_IP + "/24")
        move_link(tag + "W", wan, WAN_IP + "/24")
        n = Net(d, lan, wan)
        made.append(n)
        return n

    yield make
    for n in made:
        n.close()


BASIC = {
    "default": "drop",
    "conntrack": {"timeouts": {"udp": 2, "udp-stream": 3, "icmp": 2}},
    "rules": [
        {"name": "lan-out", "action": "allow", "in-port": "lan", "stateful": True,
         "count": True},
        {"name": "web-in", "action": "allow", "in-port": "wan", "proto": "tcp",
         "dport": 8080, "stateful": True, "count": True},
        {"name": "quiet", "action": "drop", "in-port": "wan", "proto": "tcp", "dport": 8081,
         "count": True},
        {"name": "refused", "action": "reject", "in-port": "wan", "proto": "tcp",
         "count": True},
    ],
}


def fw_ctl(d, cmd, **args):
    """Class command of the firewall instance "fw" (control cmd "vnf")."""
    r = nfvlib._request(d.sock, {"v": 1, "id": 1, "cmd": "vnf",
                                 "args": {"instance": "fw", "cmd": cmd, "args": args}})
    assert r.get("ok"), r
    return r["result"]


def rule_hits(net, name):
    rules = fw_ctl(net.d, "rules")["rules"]
    return next(r["hits"] for r in rules if r["name"] == name)


def test_fw_tcp_allow_drop_reject(fwnet):
    n = fwnet(BASIC)
    n.server(n.lan, "tcp:8080", "tcp:8081", "tcp:8082")
    n.server(n.wan, "tcp:9000")
    # from the WAN: allowed, silently dropped, refused by a RST
    assert n.connect(n.wan, LAN_IP, 8080) == "ok"
    assert n.connect(n.wan, LAN_IP, 8081) == "timeout"
    assert n.connect(n.wan, LAN_IP, 8082) == "refused"
    # outbound from the LAN works, its return traffic passes...
    assert n.connect(n.lan, WAN_IP, 9000) == "ok"
    # ...while a new inbound connection to the same kind of port is refused
    n.server(n.lan, "tcp:9000")
    assert n.connect(n.wan, LAN_IP, 9000) == "refused"
    assert rule_hits(n, "quiet") >= 1
    assert rule_hits(n, "refused") >= 2
    assert n.counter("rejected") >= 2
    assert n.counter("ct-hit") > 0
    st = n.vnf()
    assert any(r["name"] == "web-in" and r["hits"] >= 1 for r in st["rules"])
    out = n.d.nfvctl("fw", "rules")
    assert out.returncode == 0 and "refused" in out.stdout, out.stdout + out.stderr


def test_fw_iperf3_through_allowed_port(fwnet):
    n = fwnet(BASIC)
    srv = popen(["iperf3", "-s", "-p", "8080", "-1"], ns=n.lan)
    try:
        wait_for(lambda: "8080" in run(["ss", "-ltn"], ns=n.lan).stdout, 10, "iperf3 listening")
        r = run(["iperf3", "-c", LAN_IP, "-p", "8080", "-t", "2", "-J"], ns=n.wan, timeout=30)
        import json
        res = json.loads(r.stdout)
        assert res["end"]["sum_received"]["bytes"] > 100000
    finally:
        srv.kill()
        srv.wait()
    conns = n.conns()
    assert any(c["dport"] == 8080 and c["src"] == WAN_IP for c in conns)


def test_fw_udp_state_and_timeout(fwnet):
    n = fwnet(BASIC)
    a = n.bg(n.lan, UDP_AGENT, 7100, stdin=True)
    b = n.bg(n.wan, UDP_AGENT, 7001, stdin=True)
    base = n.drops("default-policy")
    # unsolicited from the WAN: dropped
    b.send("%s 7100 early" % LAN_IP)
    wait_for(lambda: n.drops("default-policy") > base, 5, "the early datagram dropped")
    # the LAN opens the flow; the reply comes back
    a.send("%s 7001 hello" % WAN_IP)
    b.expect("got hello", 5)
    b.send("%s 7100 reply1" % LAN_IP)
    a.expect("got reply1", 5)
    assert not any("early" in x for x in a.pending())
    c = [x for x in n.conns() if x["proto"] == 17 and x["sport"] == 7100]
    assert c and c[0]["state"] == "udp-stream"
    # udp-stream timeout is 3 s: the entry goes, then the WAN is blocked again
    wait_for(lambda: not any(x["sport"] == 7100 for x in n.conns()), 10, "udp entry expiry")
    base = n.drops("default-policy")
    b.send("%s 7100 late" % LAN_IP)
    wait_for(lambda: n.drops("default-policy") > base, 5, "the late datagram dropped")
    assert not any("late" in x for x in a.pending())


def test_fw_icmp_state(fwnet):
    n = fwnet(BASIC)
    assert run(["ping", "-c", "1", "-W", "2", WAN_IP], ns=n.lan, check=False).returncode == 0
    assert any(c["proto"] == 1 and c["state"] == "icmp" for c in n.conns())
    # the WAN cannot ping in (new identifier, no rule)
    assert run(["ping", "-c", "1", "-W", "1", LAN_IP], ns=n.wan, check=False).returncode != 0
    wait_for(lambda: not any(c["proto"] == 1 for c in n.conns()), 10, "icmp entry expiry")


def test_fw_large_ping_in_fragments(fwnet):
    """ping -s 3000 through the firewall (fragments: drop, the default):
    each request and reply is three fragments; the first is filtered like
    any packet (lan-out allows it, the reply is the connection's), the later
    ones follow it, so every ping is answered. From the WAN, where no rule
    allows the first fragment, nothing gets through, later fragments
    neither."""
    n = fwnet(BASIC)
    p = run(["ping", "-n", "-q", "-M", "dont", "-s", "3000", "-c", "3", "-i", "0.2", "-W", "2",
             WAN_IP], ns=n.lan, check=False, timeout=60)
    assert "3 packets transmitted, 3 received" in p.stdout, (p.stdout, n.vnf())
    assert n.counter("fragments-followed") >= 12
    before = n.drops("fragment")
    p = run(["ping", "-n", "-q", "-M", "dont", "-s", "3000", "-c", "2", "-i", "0.2", "-W", "1",
             LAN_IP], ns=n.wan, check=False, timeout=60)
    assert " 0 received" in p.stdout, p.stdout
    assert n.drops("fragment") >= before + 4


def test_fw_pcap_filter_and_ebpf_rules(fwnet):
    if not os.path.exists(FW_EXAMPLE):
        pytest.skip("fw_example.o not built: " + FW_EXAMPLE)
    n = fwnet({"default": "allow", "rules": [
        {"name": "pcap", "action": "drop", "filter": "tcp dst port 8443 and src host " + WAN_IP,
         "count": True},
        {"name": "ebpf", "action": "reject", "bpf": {"file": FW_EXAMPLE, "section": "socket"},
         "count": True}]})
    n.server(n.lan, "tcp:8443", "tcp:8050", "tcp:8100")
    assert n.connect(n.wan, LAN_IP, 8443) == "timeout"
    assert n.connect(n.lan, LAN_IP, 8443) == "ok"  # local, never crosses nfvd
    # fw_example.o matches TCP to 8000-8099 with TTL < 16
    assert n.connect(n.wan, LAN_IP, 8050, ttl=5) == "refused"
    assert n.connect(n.wan, LAN_IP, 8050) == "ok"
    assert n.connect(n.wan, LAN_IP, 8100, ttl=5) == "ok"
    assert rule_hits(n, "pcap") >= 1 and rule_hits(n, "ebpf") >= 1


def test_fw_rule_change_keeps_established(fwnet):
    n = fwnet(BASIC)
    n.server(n.wan, "tcp:9000")
    k = n.bg(n.lan, KEEPER, WAN_IP, 9000, stdin=True)
    k.send("one")
    k.expect("echo one")
    new = dict(BASIC, rules=[{"name": "no-9000", "action": "drop", "in-port": "lan",
                              "proto": "tcp", "dport": 9000, "count": True}] + BASIC["rules"])
    conf = fw_conf_from(n)
    conf["vnfs"] = [dict({"name": "fw", "class": "firewall"}, **new)]
    r = n.d.apply(conf)
    assert r.get("ok"), r
    # the established connection keeps working; a new one is dropped
    for i in range(20):
        k.send("line%d" % i)
        k.expect("echo line%d" % i)
    assert n.connect(n.lan, WAN_IP, 9000) == "timeout"
    assert rule_hits(n, "no-9000") >= 1


def fw_conf_from(n):
    import yaml
    with open(n.d.file) as f:
        return yaml.safe_load(f)


def test_fw_conntrack_table_full(fwnet):
    fw = dict(BASIC, conntrack={"max": 16})
    n = fwnet(fw)
    n.server(n.wan, "udp:7001")
    agents = [n.bg(n.lan, UDP_AGENT, 7200 + i, stdin=True) for i in range(17)]
    for i, a in enumerate(agents[:16]):
        a.send("%s 7001 f%d" % (WAN_IP, i))
        a.expect("got f%d" % i, 5)
    agents[16].send("%s 7001 f16" % WAN_IP)
    wait_for(lambda: n.drops("ct-full") >= 1, 5, "ct-full drop")
    assert not agents[16].pending()
    assert n.vnf()["conntrack"]["entries"] == 16
    # flows already tracked keep working
    agents[3].send("%s 7001 again" % WAN_IP)
    agents[3].expect("got again", 5)


CRAFT = r"""
import sys
from scapy.all import Ether, IP, TCP, UDP, Raw, sendp, get_if_hwaddr
iface, dst, dmac = sys.argv[1], sys.argv[2], sys.argv[3]
src = "10.9.0.2"
e = Ether(src=get_if_hwaddr(iface), dst=dmac)
pk = [
    e / IP(src=src, dst=dst) / TCP(sport=1, dport=80, flags="SF"),        # bad-tcp-flags
    e / IP(src=src, dst=dst) / TCP(sport=1, dport=80, flags=""),          # bad-tcp-flags
    e / IP(src=src, dst=dst) / TCP(sport=1, dport=80, flags="FPU"),       # bad-tcp-flags
    e / IP(src=src, dst=dst, proto=6) / Raw(b"\x00\x01\x00\x50\x00\x00"), # truncated-l4
    e / IP(src=src, dst=dst, proto=17) / Raw(b"\x00\x01"),                # truncated-l4
    e / IP(src=src, dst=dst, frag=100, proto=17) / Raw(b"x" * 40),        # fragment
    e / IP(src=src, dst=dst, ihl=4) / Raw(b"x" * 40),                     # bad-l3
]
sendp(pk, iface=iface, verbose=False)
"""


def test_fw_crafted_packets_counted_by_reason(fwnet, tag):
    n = fwnet(dict(BASIC, default="allow"))
    dmac = run(["cat", "/sys/class/net/%sL/address" % tag], ns=n.lan).stdout.strip()
    before = n.vnf()["drops"]
    run([PY, "-c", CRAFT, tag + "W", LAN_IP, dmac], ns=n.wan)
    want = {"bad-tcp-flags": 3, "truncated-l4": 2, "fragment": 1, "bad-l3": 1}

    def done():
        d = n.vnf()["drops"]
        return all(d[k] - before[k] >= v for k, v in want.items())
    wait_for(done, 5, "drops by reason " + str(want))
    d = n.vnf()["drops"]
    for k, v in want.items():
        assert d[k] - before[k] == v, (k, d)


def test_fw_bad_apply_refused(fwnet):
    """Bad rules are refused with file:line:col and the reason; nothing changes."""
    n = fwnet(BASIC)
    names = [r["name"] for r in fw_ctl(n.d, "rules")["rules"]]
    fw_xdp_obj = os.path.join(nfvlib.BUILD, "vnfs", "firewall", "fw_xdp.o")
    bad = [
        ({"action": "drop", "filter": "tcp port ninety"}, "pcap-filter does not compile"),
        ({"action": "allow", "proto": "tcp", "dport": "2000-1000"}, "range start is above its end"),
        ({"action": "drop", "src": "10.0.0.1/8"}, "src"),
        ({"action": "drop", "colour": "red"}, "colour"),
    ]
    if os.path.exists(fw_xdp_obj):
        bad.append(({"action": "drop", "bpf": {"file": fw_xdp_obj}}, "map"))
    for rule, why in bad:
        conf = fw_conf_from(n)
        conf["vnfs"][0]["rules"] = [rule]
        r = n.d.apply(conf)
        text = str(r)
        assert not r.get("ok"), r
        assert why in text and ".yaml:" in text, text
    assert [r["name"] for r in fw_ctl(n.d, "rules")["rules"]] == names
    n.server(n.lan, "tcp:8080")
    assert n.connect(n.wan, LAN_IP, 8080) == "ok"
