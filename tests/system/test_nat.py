# SPDX-License-Identifier: BSD-3-Clause
"""NAT44 (the firewall's nat: section, docs/nat.md) with real peers: a LAN
namespace behind nfvd and an "internet" namespace that knows only nfvd's
public address (no route to the LAN), joined by tap ports through the
firewall (with NAT) and the router, in both directions.

    lan ns 10.81.1.2/24, 10.81.1.3/24 <tap a> nfvd [fw+nat, rtr] <tap c> inet ns
    gw 10.81.1.1                        lan 10.81.1.1/24            203.0.113.2/24
                                        up  203.0.113.1/24 (public)  203.0.113.3/24
                                        default route via 203.0.113.2  (no route to 10/8)

The LAN is masqueraded to 203.0.113.1; port forwards 203.0.113.1:8080 ->
10.81.1.2:8080 (tcp) and 203.0.113.1:5353 -> 10.81.1.2:5353 (udp).
"""
import json
import re
import subprocess
import threading
import time

import pytest

import nfvlib
from nfvlib import move_link, ping, popen, reaches, run, wait_for

PY = "/usr/bin/python3"  # Debian's: has scapy
LAN1, LAN2, GW_LAN = "10.81.1.2", "10.81.1.3", "10.81.1.1"
PUB, INET1, INET2 = "203.0.113.1", "203.0.113.2", "203.0.113.3"

# Servers: tcp:PORT echoes (a line "who" is answered with the peer's
# ip:port), udp:PORT answers every datagram with the peer's ip:port.
SERVER = r"""
import selectors, socket, sys
sel = selectors.DefaultSelector()
for spec in sys.argv[1:]:
    proto, addr, port = spec.split(":")
    if proto == "tcp":
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((addr, int(port)))
        s.listen(64)
        sel.register(s, selectors.EVENT_READ, "accept")
    else:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((addr, int(port)))
        sel.register(s, selectors.EVENT_READ, "udp")
print("ready", flush=True)
while True:
    for key, _ in sel.select():
        s = key.fileobj
        if key.data == "accept":
            c, a = s.accept()
            sel.register(c, selectors.EVENT_READ, "%s:%d" % a)
        elif key.data == "udp":
            d, a = s.recvfrom(65536)
            s.sendto(("%s:%d" % a).encode(), a)
        else:
            try:
                d = s.recv(65536)
            except OSError:
                d = b""
            if not d:
                sel.unregister(s)
                s.close()
            elif d == b"who\n":
                s.sendall(key.data.encode())
            else:
                s.sendall(d)
"""

# UDP from SRC:SPORT to DST:DPORT, print the answer (the peer's view of
# us) or "timeout"; then, for WAIT seconds, every further datagram as
# "got IP:PORT" (the filtering tests), one per line.
UDP_ASK = r"""
import socket, sys, time
src, sport, dst, dport, tmo, wait = sys.argv[1:7]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((src, int(sport)))
s.settimeout(float(tmo))
ans = "timeout"
for _ in range(3):
    s.sendto(b"hello", (dst, int(dport)))
    try:
        ans = s.recv(100).decode()
        break
    except socket.timeout:
        pass
print(ans, flush=True)
end = time.monotonic() + float(wait)
while time.monotonic() < end:
    s.settimeout(max(0.01, end - time.monotonic()))
    try:
        d, a = s.recvfrom(100)
        print("got %s:%d" % a, flush=True)
    except socket.timeout:
        pass
"""

# TCP: connect, send "who", print the answer (or refused / timeout)
TCP_WHO = r"""
import socket, sys
host, port, tmo = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
s = socket.socket()
s.settimeout(tmo)
try:
    s.connect((host, port))
    s.sendall(b"who\n")
    print(s.recv(100).decode() or "closed")
except ConnectionRefusedError:
    print("refused")
except (socket.timeout, TimeoutError):
    print("timeout")
"""


def nat_conf(tag, nat=None, timeouts=None, rules=None, rtr_extra=None, rules_first=None):
    """The test chain: LAN on tap a, the internet on tap c, firewall (with
    NAT) before the router in both directions."""
    if nat is None:
        nat = {}
    nat.setdefault("snat", [{"name": "masq", "in-port": "a", "from": ["10.81.1.0/24"],
                             "outside-port": "c", "masquerade": PUB}])
    nat.setdefault("dnat", [
        {"name": "web", "outside-port": "c", "proto": "tcp", "address": PUB, "port": 8080,
         "to": LAN1 + ":8080"},
        {"name": "dns", "outside-port": "c", "proto": "udp", "address": PUB, "port": 5353,
         "to": LAN1 + ":5353"}])
    fw = {"name": "fw", "class": "firewall", "default": "drop",
          "conntrack": {"max": 65536}, "nat": nat,
          "rules": (rules_first or []) + [
              {"name": "lan-out", "action": "allow", "in-port": "a", "stateful": True},
              {"name": "ping-public", "action": "allow", "in-port": "c", "proto": "icmp",
               "icmp-type": 8, "dst": PUB + "/32"},
              {"name": "web-fwd", "action": "allow", "in-port": "c", "proto": "tcp",
               "dst": LAN1 + "/32", "dport": 8080, "stateful": True},
              {"name": "dns-fwd", "action": "allow", "in-port": "c", "proto": "udp",
               "dst": LAN1 + "/32", "dport": 5353, "stateful": True},
          ] + (rules or [])}
    if timeouts:
        fw["conntrack"]["timeouts"] = timeouts
    rtr = {"name": "rtr", "class": "router",
           "interfaces": [{"name": "lan", "port": "a", "addresses": [GW_LAN + "/24"]},
                          {"name": "up", "port": "c", "addresses": [PUB + "/24"]}],
           "routes": [{"prefix": "0.0.0.0/0", "via": INET1}]}
    rtr.update(rtr_extra or {})
    return {
        "version": 1,
        "ports": [{"name": "a", "driver": "tap", "iface": tag + "a"},
                  {"name": "c", "driver": "tap", "iface": tag + "c"}],
        "vnfs": [fw, rtr],
        "chains": [{"name": "from-a", "ingress": ["a"], "vnfs": ["fw", "rtr"]},
                   {"name": "from-c", "ingress": ["c"], "vnfs": ["fw", "rtr"]}],
    }


class Lab:
    def __init__(self, nfvd, lan, inet, tag):
        self.nfvd, self.lan, self.inet, self.tag = nfvd, lan, inet, tag
        self.procs = []

    def server(self, ns, *specs):
        p = popen([PY, "-u", "-c", SERVER] + list(specs), ns=ns)
        self.procs.append(p)
        assert p.stdout.readline().strip() == "ready"
        return p

    def udp(self, src, sport, dst, dport, tmo=1, wait=0, ns=None):
        out = run([PY, "-c", UDP_ASK, src, sport, dst, dport, tmo, wait], ns=ns or self.lan,
                  timeout=30 + wait).stdout.split("\n")
        return out[0].strip()

    def tcp_who(self, ns, host, port, tmo=3):
        return run([PY, "-c", TCP_WHO, host, port, tmo], ns=ns, timeout=30).stdout.strip()

    def fw(self):
        return self.nfvd.stats()["vnfs"]["fw"]

    def kill(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()


@pytest.fixture
def lab(nfvd_factory, ns_factory, tag):
    """start(**nat_conf options) -> Lab with .nfvd, .lan, .inet."""
    labs = []

    def start(**kw):
        nfvd = nfvd_factory(nat_conf(tag, **kw))
        lan, inet = ns_factory("l"), ns_factory("i")
        move_link(tag + "a", lan, addr=LAN1 + "/24")
        run(["ip", "addr", "add", LAN2 + "/24", "dev", tag + "a"], ns=lan)
        run(["ip", "route", "add", "default", "via", GW_LAN], ns=lan)
        move_link(tag + "c", inet, addr=INET1 + "/24")
        run(["ip", "addr", "add", INET2 + "/24", "dev", tag + "c"], ns=inet)
        # the hosts' ICMP rate limits would hide traceroute's last hop
        for ns in (lan, inet):
            run(["sysctl", "-qw", "net.ipv4.icmp_ratelimit=0"], ns=ns)
        lb = Lab(nfvd, lan, inet, tag)
        labs.append(lb)
        wait_for(lambda: reaches(lan, INET1), 20, "LAN -> internet through NAT")
        return lb

    yield start
    for lb in labs:
        lb.kill()


def scapy(ns, script, timeout=60):
    """Run a scapy script in ns; it prints one JSON line last."""
    p = run([PY, "-c", "from scapy.all import *\nconf.verb = 0\n" + script], ns=ns,
            timeout=timeout)
    return json.loads(p.stdout.strip().splitlines()[-1])


def sessions(nfvd):
    """`nfvctl --json nat sessions`, each row with .inside (the original
    source), .outside (its mapping: the reply's destination) and .remote."""
    r = nfvd.nfvctl("--json", "nat", "sessions", "1000")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)["sessions"]
    for x in rows:
        x["inside"], x["remote"] = x["original"].split(" -> ")
        x["outside"] = x["reply"].split(" -> ")[1]
    return rows


def nat_stats(nfvd):
    r = nfvd.nfvctl("--json", "nat", "stats")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_ping_tcp_udp_and_the_internet_sees_only_the_public_address(lab):
    lb = lab()
    assert ping(lb.lan, INET1, count=5) == (5, 5)
    # the router's own public address answers the LAN (not translated to
    # itself), and the internet
    assert ping(lb.lan, PUB, count=2) == (2, 2)
    assert ping(lb.inet, PUB, count=2) == (2, 2)
    lb.server(lb.inet, "tcp:0.0.0.0:7001", "udp:0.0.0.0:7002")
    # the internet sees the public address, never 10.81.1.x
    who = lb.tcp_who(lb.lan, INET1, 7001)
    assert who.startswith(PUB + ":"), who
    ans = lb.udp(LAN1, 40000, INET1, 7002)
    assert ans.startswith(PUB + ":"), ans
    # port preservation where the port is free (RFC 4787 REQ-3 "should")
    assert ans == PUB + ":40000", ans
    c = lb.fw()["counters"]
    assert c["nat-snat-new"] >= 3 and c["nat-translated"] > 10


def test_iperf3_tcp_and_udp_through_nat(lab):
    lb = lab()
    for args in (["-b", "50M", "-t", "3"], ["-u", "-b", "5M", "-t", "3"]):
        srv = popen(["iperf3", "-s", "-1", "-B", INET1], ns=lb.inet)
        try:
            wait_for(lambda: ":5201" in run(["ss", "-ltnH"], ns=lb.inet).stdout, 10,
                     "iperf3 server")
            cli = run(["iperf3", "-c", INET1, "-J"] + args, ns=lb.lan, check=False,
                      timeout=60)
            srv.wait(30)
        finally:
            if srv.poll() is None:
                srv.kill()
                srv.wait()
        res = json.loads(cli.stdout)
        assert "error" not in res, res.get("error")
        end = res["end"]
        if "-u" in args:
            # paced UDP: nearly everything arrives (a floor, not a rate)
            assert end["sum"]["packets"] > 1000
            assert end["sum"]["lost_packets"] <= end["sum"]["packets"] // 100, end["sum"]
        else:
            # 50 Mbit/s for 3 s is 18.75 MB: most of it arrives
            assert end["sum_received"]["bytes"] > 8_000_000, end["sum_received"]


def test_large_ping_in_fragments_through_nat(lab):
    """RFC 4787 REQ-14: a datagram in fragments crosses the NAT both ways.
    ping -s 3000 from the LAN (its requests and the replies are three
    fragments each at MTU 1500): the first fragment is translated, the
    later ones follow it with the same addresses; the LAN host reassembles
    the answer, so every ping is answered. A later fragment of no datagram
    the firewall has seen is dropped (fragments: drop, the default)."""
    lb = lab()
    p = run(["ping", "-n", "-q", "-M", "dont", "-s", "3000", "-c", "3", "-i", "0.2", "-W", "2",
             INET1], ns=lb.lan, check=False, timeout=60)
    assert re.search(r"3 packets transmitted, 3 received", p.stdout), (p.stdout, lb.fw())
    c = lb.fw()["counters"]
    # two later fragments per datagram, six datagrams
    assert c["fragments-followed"] >= 12, c
    res = scapy(lb.inet, """
send(IP(src=%r, dst=%r, id=4242, frag=100, proto=17)/Raw(b'x' * 64), iface=%r)
print('{}')
""" % (INET1, PUB, lb.tag + "c"))
    assert res == {}
    wait_for(lambda: lb.fw()["drops"].get("fragment", 0) >= 1, 10, "the stray fragment dropped")


def test_traceroute_through_nat(lab):
    lb = lab()
    out = run(["traceroute", "-n", "-q", "1", "-N", "1", "-w", "2", INET1], ns=lb.lan,
              timeout=60).stdout
    hops = re.findall(r"^\s*(\d+)\s+(\S+)", out, re.M)
    # hop 1 the router (its LAN address), hop 2 the internet host, whose
    # port-unreachable answers to 203.0.113.1 come back un-NATed (RFC 5508)
    assert hops[:2] == [("1", GW_LAN), ("2", INET1)], out
    assert lb.fw()["counters"]["nat-icmp-error"] >= 1


def test_two_hosts_same_source_port_get_distinct_mappings(lab):
    lb = lab()
    lb.server(lb.inet, "udp:0.0.0.0:7002", "tcp:0.0.0.0:7001")
    a = lb.udp(LAN1, 41000, INET1, 7002)
    b = lb.udp(LAN2, 41000, INET1, 7002)
    assert a.startswith(PUB + ":") and b.startswith(PUB + ":"), (a, b)
    assert a != b, "two internal endpoints share one mapping: %s" % a
    # the table shows both, each with its own external port
    ext = {s["inside"]: s["outside"] for s in sessions(lb.nfvd) if s["proto"] == "udp"}
    assert ext[LAN1 + ":41000"] != ext[LAN2 + ":41000"], ext


def test_endpoint_independent_mapping_seen_by_two_destinations(lab):
    """RFC 4787 REQ-1: one internal endpoint keeps one external address
    and port for every destination (what scapy sees on the internet side)."""
    lb = lab()
    sniff = popen([PY, "-u", "-c", r"""
from scapy.all import *
import json
conf.verb = 0
s = AsyncSniffer(iface="%s", filter="udp and dst port 7003", count=2, store=True)
s.start()
print("ready", flush=True)
s.join(timeout=20)
print(json.dumps([[p[IP].src, p[UDP].sport, p[IP].dst] for p in (s.results or [])]))
""" % (lb.tag + "c")], ns=lb.inet)
    try:
        assert sniff.stdout.readline().strip() == "ready"
        time.sleep(0.5)  # the sniffer's socket opens after its thread starts
        got = scapy(lb.lan, """
import json
for d in ("%s", "%s"):
    send(IP(src="%s", dst=d)/UDP(sport=42000, dport=7003)/Raw(b"x"))
print(json.dumps(1))
""" % (INET1, INET2, LAN1))
        assert got == 1
        out = json.loads(sniff.stdout.read().strip().splitlines()[-1])
    finally:
        if sniff.poll() is None:
            sniff.kill()
        sniff.wait()
    assert sorted(x[2] for x in out) == [INET1, INET2], out
    assert out[0][0] == out[1][0] == PUB, out
    assert out[0][1] == out[1][1], "mapping depends on the destination: %s" % out


def filtered(lb, from_addr):
    """A mapping for LAN1:43000 (to INET1:7002), then a datagram to its
    external port from from_addr:9999: does the LAN host get it?"""
    lb.server(lb.inet, "udp:%s:7002" % INET1)
    p = popen([PY, "-u", "-c", UDP_ASK, LAN1, 43000, INET1, 7002, 1, 8], ns=lb.lan)
    try:
        ans = p.stdout.readline().strip()
        assert ans.startswith(PUB + ":"), ans
        port = int(ans.split(":")[1])
        before = lb.fw()["counters"]["nat-filtered"]
        scapy(lb.inet, """
import json
send(IP(src="%s", dst="%s")/UDP(sport=9999, dport=%d)/Raw(b"unsolicited"))
print(json.dumps(1))
""" % (from_addr, PUB, port))
        line = p.stdout.readline().strip()  # "got ..." or EOF after the wait
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()
    return line, lb.fw()["counters"]["nat-filtered"] - before


def test_filtering_default_drops_unsolicited_inbound(lab):
    lb = lab()
    line, dropped = filtered(lb, INET2)
    assert line == "", "unsolicited inbound reached the LAN host: " + line
    assert dropped >= 1


def test_filtering_endpoint_independent_accepts_inbound(lab):
    lb = lab(nat={"filtering": "endpoint-independent"})
    line, dropped = filtered(lb, INET2)
    assert line == "got %s:9999" % INET2, line
    assert dropped == 0


def test_port_forward_from_outside_tcp_and_udp(lab):
    lb = lab()
    lb.server(lb.lan, "tcp:%s:8080" % LAN1, "udp:%s:5353" % LAN1)
    # the LAN host sees the internet host's real address (DNAT only)
    who = lb.tcp_who(lb.inet, PUB, 8080)
    assert who.startswith(INET1 + ":"), who
    assert lb.udp(INET1, 48000, PUB, 5353, ns=lb.inet) == INET1 + ":48000"
    assert lb.fw()["counters"]["nat-dnat-new"] >= 2
    # a port with no forward stays closed: nothing reaches the LAN
    assert lb.tcp_who(lb.inet, PUB, 8081, tmo=1) in ("timeout", "refused")


def test_hairpinning(lab):
    """RFC 4787 REQ-9 / RFC 5382 REQ-8: a LAN host reaches the port
    forward by the public address, and sees the other host's public
    (translated) address as the peer."""
    lb = lab()
    lb.server(lb.lan, "tcp:%s:8080" % LAN1, "udp:%s:5353" % LAN1)
    who = lb.tcp_who(lb.lan, PUB, 8080)
    assert who.startswith(PUB + ":"), who
    ans = lb.udp(LAN2, 44000, PUB, 5353)
    assert ans.startswith(PUB + ":"), ans
    assert lb.fw()["counters"]["nat-hairpin"] >= 2


def test_tcp_idle_past_udp_timeout_survives(lab):
    """udp 2 s, tcp-established 300 s: a UDP mapping made beside an idle TCP
    connection expires; the TCP connection still works afterwards."""
    lb = lab(timeouts={"udp": 2, "udp-stream": 2, "tcp-established": 300})
    lb.server(lb.inet, "tcp:0.0.0.0:7001", "udp:0.0.0.0:7002")
    conn = popen([PY, "-u", "-c", r"""
import socket, sys
s = socket.create_connection((sys.argv[1], 7001), timeout=5)
s.sendall(b"who\n"); print(s.recv(100).decode(), flush=True)
sys.stdin.readline()           # idle until told
s.sendall(b"still-there"); print(s.recv(100).decode(), flush=True)
""", INET1], ns=lb.lan, stdin=subprocess.PIPE)
    try:
        assert conn.stdout.readline().strip().startswith(PUB + ":")
        assert lb.udp(LAN1, 45000, INET1, 7002).startswith(PUB + ":")

        def udp_gone():
            ss = sessions(lb.nfvd)
            return (not any(s["proto"] == "udp" and s["inside"] == LAN1 + ":45000"
                            for s in ss)) and ss
        ss = wait_for(udp_gone, 30, "the UDP session to time out", interval=0.5)
        tcp = [s for s in ss if s["proto"] == "tcp" and s["remote"] == INET1 + ":7001"]
        assert tcp and tcp[0]["state"] == "established", ss
        new = lb.fw()["counters"]["nat-snat-new"]
        conn.stdin.write("go\n")
        conn.stdin.flush()
        assert conn.stdout.readline().strip() == "still-there"
        # the same session carried it (not a new one picked up mid-stream)
        assert lb.fw()["counters"]["nat-snat-new"] == new
    finally:
        if conn.poll() is None:
            conn.kill()
        conn.wait()


def test_pool_exhaustion_counted(lab):
    lb = lab(nat={"snat": [{"name": "tiny", "in-port": "a", "from": ["10.81.1.0/24"],
                            "outside-port": "c", "masquerade": PUB, "ports": "2000-2003"}]})
    lb.server(lb.inet, "udp:0.0.0.0:7002")
    got = [lb.udp(LAN1, 46000 + i, INET1, 7002, tmo=0.5) for i in range(6)]
    ok = [g for g in got if g.startswith(PUB + ":")]
    assert len(ok) == 4, got
    assert {int(g.split(":")[1]) for g in ok} <= set(range(2000, 2004)), got
    assert lb.fw()["drops"]["nat-ports-exhausted"] >= 2
    assert lb.nfvd.proc.poll() is None


def test_live_applies_under_traffic_keep_sessions(lab, tmp_path):
    """50 `nfvctl apply` of changed NAT rules under traffic: a long TCP
    connection and a ping go on, the sessions stay."""
    lb = lab()
    lb.server(lb.inet, "tcp:0.0.0.0:7001")
    srv = popen(["iperf3", "-s", "-1", "-B", INET1], ns=lb.inet)
    wait_for(lambda: ":5201" in run(["ss", "-ltnH"], ns=lb.inet).stdout, 10, "iperf3 server")
    result = {}

    def iperf():
        result["iperf"] = run(["iperf3", "-c", INET1, "-J", "-b", "10M", "-t", "40"],
                              ns=lb.lan, check=False, timeout=120).stdout

    def pinger():
        result["ping"] = ping(lb.lan, INET1, count=300, interval="0.1")

    threads = [threading.Thread(target=iperf), threading.Thread(target=pinger)]
    for t in threads:
        t.start()
    try:
        wait_for(lambda: any(s["proto"] == "tcp" for s in sessions(lb.nfvd)), 10,
                 "the iperf3 session")
        base = nat_conf(lb.tag)
        for i in range(50):
            conf = nat_conf(lb.tag)
            # change something each time: a port forward comes and goes, the
            # forward's external port moves
            conf["vnfs"][0]["nat"]["dnat"][0]["port"] = 8080 + i % 2
            if i % 3 == 0:
                conf["vnfs"][0]["nat"]["dnat"].append(
                    {"name": "extra", "outside-port": "c", "proto": "udp",
                     "address": PUB, "port": 6000 + i, "to": LAN2 + ":6000"})
            path = tmp_path / ("apply%d.yaml" % i)
            path.write_text(nfvlib._yaml_text(conf))
            r = lb.nfvd.nfvctl("apply", str(path), timeout=60)
            assert r.returncode == 0, r.stdout + r.stderr
        path = tmp_path / "apply-base.yaml"
        path.write_text(nfvlib._yaml_text(base))
        assert lb.nfvd.nfvctl("apply", str(path), timeout=60).returncode == 0
    finally:
        for t in threads:
            t.join()
        if srv.poll() is None:
            srv.kill()
        srv.wait()
    assert result["ping"] == (300, 300), result["ping"]
    res = json.loads(result["iperf"])
    assert "error" not in res, res.get("error")
    assert res["end"]["sum_received"]["bytes"] > 10_000_000 * 40 / 8 // 2
    assert lb.fw()["drops"].get("nat-race", 0) == 0


def test_nfvctl_nat_sessions_and_stats(lab):
    lb = lab()
    lb.server(lb.inet, "udp:0.0.0.0:7002")
    assert lb.udp(LAN1, 47000, INET1, 7002) == PUB + ":47000"
    out = lb.nfvd.nfvctl("nat", "sessions")
    assert out.returncode == 0, out.stderr
    # one line per session: protocol, inside, outside, remote
    line = [l for l in out.stdout.splitlines() if "10.81.1.2:47000" in l]
    assert line and "203.0.113.1:47000" in line[0] and "203.0.113.2:7002" in line[0], \
        out.stdout
    st = lb.nfvd.nfvctl("nat", "stats")
    assert st.returncode == 0, st.stderr
    # the mappings, each public address's ports in use, the rules
    assert re.search(r"mappings: *[1-9]", st.stdout), st.stdout
    assert re.search(r"203\.0\.113\.1 +\d+ +[1-9]", st.stdout), st.stdout
    assert "masq" in st.stdout, st.stdout
    js = nat_stats(lb.nfvd)
    assert js["filtering"] == "address-and-port-dependent"
    assert js["mappings"] >= 2  # the UDP one and the fixture's ping
    assert [a["address"] for a in js["addresses"]] == [PUB]


def trace_show(nfvd):
    r = nfvd.nfvctl("--json", "trace", "show")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)["packets"]


def fw_notes(p, key="notes"):
    return next((s.get(key) or [] for s in p["stages"] if s["vnf"] == "fw"), [])


def test_trace_notes_nat_mapping_and_reject(lab):
    """nfvctl trace shows the firewall's translation (original ->
    translated, new session or hit) both ways, and what its reject action
    sent (the control thread's note)."""
    lb = lab(rules_first=[{"name": "no-telnet", "action": "reject", "in-port": "a",
                           "proto": "tcp", "dport": 23}])
    lb.server(lb.inet, "udp:0.0.0.0:7003")
    r = lb.nfvd.nfvctl("trace", "start", "filter=udp port 7003", "count=20")
    assert r.returncode == 0, r.stdout + r.stderr
    # two exchanges: the first packet makes the session, the rest hit it
    assert lb.udp(LAN1, 40100, INET1, 7003) == PUB + ":40100"
    assert lb.udp(LAN1, 40100, INET1, 7003) == PUB + ":40100"

    def notes():
        return [n for p in trace_show(lb.nfvd) for n in fw_notes(p)]
    want = ["nat new session: source 10.81.1.2:40100 -> 203.0.113.1:40100",
            "nat session hit: destination 203.0.113.1:40100 -> 10.81.1.2:40100",
            "nat session hit: source 10.81.1.2:40100 -> 203.0.113.1:40100"]
    wait_for(lambda: all(w in notes() for w in want), 15, "the NAT notes")
    # the readable form too
    text = lb.nfvd.nfvctl("trace", "show").stdout
    assert want[0] in text, text

    # reject: the worker's rule note, then the control thread's refusal
    r = lb.nfvd.nfvctl("trace", "start", "filter=tcp dst port 23", "count=50")
    assert r.returncode == 0, r.stdout + r.stderr

    def refused():
        # the control thread's note is kept when the worker published the
        # record before the punt was handled (nearly always): try again
        # until one record has it
        assert lb.tcp_who(lb.lan, INET1, 23, tmo=2) == "refused"
        return any("reject: sent a TCP RST to 10.81.1.2 out port a" in n
                   for p in trace_show(lb.nfvd) for n in fw_notes(p, "control"))
    wait_for(refused, 30, "the reject note", interval=0.2)
    p = next(p for p in trace_show(lb.nfvd) if fw_notes(p))
    assert any("rule no-telnet: reject" in n for n in fw_notes(p)), p
    lb.nfvd.nfvctl("trace", "stop")


def test_lab_chain_upstream(nfvd_factory, ns_factory, tag):
    """chains/examples/lab.yaml (the demo): the LAN host reaches the
    internet host through NAT, the internet fetches the LAN host's web
    server through the port forward; the WAN host is still reached
    untranslated."""
    conf = nfvlib.lab_conf("lab.yaml", tag)
    d = nfvd_factory(conf)
    lan, wan, inet = ns_factory("l"), ns_factory("w"), ns_factory("i")
    move_link(tag + "A", lan, addr=LAN1 + "/24")
    run(["ip", "route", "add", "default", "via", GW_LAN], ns=lan)
    move_link(tag + "B", wan)
    nfvlib.lab_wan_host(wan, tag + "B")
    move_link(tag + "C", inet, addr=INET1 + "/24")
    wait_for(lambda: reaches(lan, INET1), 20, "LAN -> internet")
    lb = Lab(d, lan, inet, tag)
    try:
        lb.server(lan, "tcp:%s:8080" % LAN1)
        lb.server(inet, "tcp:0.0.0.0:7001")
        lb.server(wan, "tcp:0.0.0.0:7001")
        assert lb.tcp_who(lan, INET1, 7001).startswith(PUB + ":")
        # the WAN behind VLAN 20 sees the LAN address (not translated)
        assert lb.tcp_who(lan, "10.81.2.2", 7001).startswith(LAN1 + ":")
        # port forward: the internet host sees its own address echoed
        assert lb.tcp_who(inet, PUB, 8080).startswith(INET1 + ":")
        # the internet still cannot reach the LAN's private address
        assert run(["ping", "-c", "1", "-W", "1", LAN1], ns=inet,
                   check=False).returncode != 0
    finally:
        lb.kill()


BAD = [
    # a pool address that is an interface's own
    (lambda c: c["vnfs"][0]["nat"]["snat"][0].pop("masquerade") and
     c["vnfs"][0]["nat"]["snat"][0].update({"pool": [GW_LAN]}),
     r"pool address 10\.81\.1\.1 is the address of an interface"),
    # a port forward to an address on no interface's subnet
    (lambda c: c["vnfs"][0]["nat"]["dnat"][0].update({"to": "192.0.2.9:80"}),
     r"192\.0\.2\.9 is on no interface's subnet"),
    # a port range outside 1..65535
    (lambda c: c["vnfs"][0]["nat"]["snat"][0].update({"ports": "1024-70000"}),
     r"ports"),
    # a block size that does not divide the range
    (lambda c: c["vnfs"][0]["nat"]["snat"][0].update({"ports": "1024-65535",
                                                       "port-block": 1000}),
     r"does not divide the range"),
]


@pytest.mark.parametrize("i", range(len(BAD)))
def test_bad_nat_yaml_refused_with_position(nfvd_factory, tag, i):
    conf = nat_conf(tag)
    BAD[i][0](conf)
    d = nfvd_factory(conf, start=False)
    p = subprocess.run(d.cmdline(), capture_output=True, text=True, timeout=60)
    d.cleanup()
    assert p.returncode == 1, p.stdout + p.stderr
    assert re.search(r"\.yaml:\d+:\d+: .*" + BAD[i][1], p.stderr), p.stderr
