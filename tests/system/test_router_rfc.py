# SPDX-License-Identifier: BSD-3-Clause
"""Router and firewall RFC behaviour with real peers (issue 18 item 11):
what a router must not forward (RFC 1812 5.3.4, 5.3.5, 5.3.7, RFC 4291
2.5.2/2.5.3), must not answer with an ICMP error (RFC 1812 4.3.2.7), and
the firewall's reject never answering a broadcast.

    h1 (10.83.1.2/24, 2001:db8:83:1::2/64) --tap a-- [fw, rtr] --tap b-- h2
                                                    (10.83.2.2/24, 2001:db8:83:2::2/64)

The router has default routes via h2, so anything it wrongly forwards shows
on h2's wire. Frames are crafted with scapy on h1; a scapy sniffer in each
namespace reports what arrives. Nothing waits blindly: after the frames
under test, a marker that takes the same path (forwarded, or answered by
the control thread) is sent, and what the sniffers saw is read once the
marker arrived.
"""
import json
import os
import queue
import subprocess
import threading

import pytest

import nfvlib
from nfvlib import popen, reaches, run, wait_for

H1_4, H2_4, R1_4, R2_4 = "10.83.1.2", "10.83.2.2", "10.83.1.1", "10.83.2.1"
H1_6, H2_6, R1_6, R2_6 = ("2001:db8:83:1::2", "2001:db8:83:2::2",
                          "2001:db8:83:1::1", "2001:db8:83:2::1")
BCAST1, BCAST2 = "10.83.1.255", "10.83.2.255"
H1_MAC, H2_MAC = "02:83:01:00:00:02", "02:83:02:00:00:02"
PY = "/usr/bin/python3"  # Debian's: has scapy

# Prints "ready" once capturing, then one JSON line per frame on iface.
SNIFF = r"""
import json, sys
from scapy.all import *
conf.verb = 0
def show(p):
    d = {"esrc": p[Ether].src, "edst": p[Ether].dst}
    if IP in p:
        d["ip"] = [p[IP].src, p[IP].dst, p[IP].proto, p[IP].ttl]
    if ICMP in p:
        d["icmp"] = [p[ICMP].type, p[ICMP].code]
        if p[ICMP].type == 12:
            d["icmpptr"] = p[ICMP].ptr
        if p[ICMP].type == 5:
            d["icmpgw"] = p[ICMP].gw
        if p[ICMP].type == 18:
            d["mask"] = p[ICMP].addr_mask
        if p[ICMP].type == 14:
            d["ts"] = [p[ICMP].ts_ori, p[ICMP].ts_rx, p[ICMP].ts_tx]
    if ICMPv6ParamProblem in p:
        d["icmp6pp"] = [p[ICMPv6ParamProblem].type, p[ICMPv6ParamProblem].code,
                        p[ICMPv6ParamProblem].ptr]
    if ICMPv6ND_Redirect in p:
        r = p[ICMPv6ND_Redirect]
        d["redirect6"] = [r.tgt, r.dst, p[IPv6].hlim,
                          ICMPv6NDOptDstLLAddr in p and p[ICMPv6NDOptDstLLAddr].lladdr,
                          ICMPv6NDOptRedirectedHdr in p]
    if ICMPv6MLReport2 in p:
        # (scapy 2.5 dissects the first record only: read them whole)
        import socket
        b = bytes(p[ICMPv6MLReport2])
        d["mld"] = sorted(socket.inet_ntop(socket.AF_INET6, b[12 + 20 * i:28 + 20 * i])
                          for i in range(b[6] << 8 | b[7]) if len(b) >= 28 + 20 * i)
        d["hlim"] = p[IPv6].hlim
        z = bytearray(b)
        z[2:4] = b"\0\0"
        d["mldsum"] = in6_chksum(58, p[IPv6], bytes(z)) == (b[2] << 8 | b[3])
    if ICMPv6EchoReply in p:
        d["echo6"] = [p[ICMPv6EchoReply].id, p[ICMPv6EchoReply].seq]
    if IP in p and p[IP].ihl > 5:
        d["ipopt"] = bytes(p[IP])[20:p[IP].ihl * 4].hex()
    if IPv6 in p:
        d["ip6"] = [p[IPv6].src, p[IPv6].dst]
    if ARP in p:
        d["arp"] = [p[ARP].op, p[ARP].psrc, p[ARP].pdst]
    if Raw in p:
        d["raw"] = bytes(p[Raw].load)[:24].decode("latin-1")
    if ICMPv6DestUnreach in p or ICMPv6TimeExceeded in p:
        d["icmp6err"] = True
        e = p[ICMPv6DestUnreach] if ICMPv6DestUnreach in p else p[ICMPv6TimeExceeded]
        d["icmp6"] = [e.type, e.code]
    print(json.dumps(d), flush=True)
s = AsyncSniffer(iface=sys.argv[1], prn=show, store=False,
                 started_callback=lambda: print("ready", flush=True))
s.start()
sys.stdin.read()
s.stop()
"""


class Sniffer:
    """Frames seen on an interface of a namespace, as dicts."""

    def __init__(self, ns, ifname):
        self.proc = popen([PY, "-c", SNIFF, ifname], ns=ns, stdin=subprocess.PIPE)
        self.q = queue.Queue()
        self.seen = []
        threading.Thread(target=self._read, daemon=True).start()
        wait_for(lambda: self._take("ready"), 30, "sniffer on " + ifname)

    def _read(self):
        for line in self.proc.stdout:
            self.q.put(line.strip())

    def _take(self, want=None):
        while True:
            try:
                line = self.q.get_nowait()
            except queue.Empty:
                return False
            if line == "ready":
                if want == "ready":
                    return True
                continue
            if line.startswith("{"):
                self.seen.append(json.loads(line))

    def until(self, pred, what, timeout=20):
        """Wait for a frame matching pred; return every frame seen so far."""
        def got():
            self._take()
            return any(pred(f) for f in self.seen)
        wait_for(got, timeout, what)
        return list(self.seen)

    def close(self):
        self.proc.stdin.close()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def conf(tag):
    return {
        "version": 1,
        "ports": [{"name": "a", "driver": "tap", "iface": tag + "a"},
                  {"name": "b", "driver": "tap", "iface": tag + "b"}],
        "vnfs": [
            {"name": "fw", "class": "firewall", "default": "allow",
             "rules": [{"name": "no-echo", "action": "reject", "in-port": "a",
                        "proto": "udp", "dport": 7, "count": True}]},
            {"name": "rtr", "class": "router",
             "reassembly-timeout-ms": 2000,  # (RFC 8200's 60 s by default)
             "interfaces": [
                 {"name": "lan", "port": "a", "addresses": [R1_4 + "/24", R1_6 + "/64"]},
                 {"name": "wan", "port": "b", "addresses": [R2_4 + "/24", R2_6 + "/64"]}],
             # everything the router wrongly forwards goes to h2
             "routes": [{"prefix": "0.0.0.0/0", "via": H2_4},
                        {"prefix": "::/0", "via": H2_6}]},
        ],
        "chains": [{"name": "from-a", "ingress": ["a"], "vnfs": ["fw", "rtr"]},
                   {"name": "from-b", "ingress": ["b"], "vnfs": ["rtr"]}],
    }


def host(ns, ifname, mac, a4, a6, gw4, gw6):
    wait_for(lambda: os.path.exists("/sys/class/net/" + ifname), 10, "tap " + ifname)
    run(["ip", "link", "set", ifname, "netns", ns])
    # the tap's kernel side starts with the router's MAC: tell them apart
    run(["ip", "link", "set", ifname, "address", mac], ns=ns)
    run(["ip", "addr", "add", a4 + "/24", "dev", ifname], ns=ns)
    run(["ip", "addr", "add", a6 + "/64", "dev", ifname, "nodad"], ns=ns)
    run(["ip", "link", "set", ifname, "up"], ns=ns)
    run(["ip", "route", "add", "default", "via", gw4], ns=ns)
    run(["ip", "-6", "route", "add", "default", "via", gw6], ns=ns)


@pytest.fixture
def lab(nfvd_factory, ns_factory, tag):
    nfvd = nfvd_factory(conf(tag))
    nfvd.h1, nfvd.h2 = ns_factory("h1"), ns_factory("h2")
    nfvd.if1, nfvd.if2 = tag + "a", tag + "b"
    host(nfvd.h1, nfvd.if1, H1_MAC, H1_4, H1_6, R1_4, R1_6)
    host(nfvd.h2, nfvd.if2, H2_MAC, H2_4, H2_6, R2_4, R2_6)
    wait_for(lambda: reaches(nfvd.h1, H2_4), 30, "IPv4 path h1 -> h2")
    wait_for(lambda: reaches(nfvd.h1, H2_6, six=True), 30, "IPv6 path h1 -> h2")
    nfvd.rmac = nfvd.stats()["vnfs"]["rtr"]["interfaces"][0]["mac"].lower()
    nfvd.sniffers = []

    def sniff(ns, ifname):
        s = Sniffer(ns, ifname)
        nfvd.sniffers.append(s)
        return s
    nfvd.sniff = sniff
    yield nfvd
    for s in nfvd.sniffers:
        s.close()


def send(ns, ifname, frames):
    """sendp() the scapy expressions in frames (a list of strings) from ns."""
    run([PY, "-c", "from scapy.all import *\nconf.verb = 0\nsendp([%s], iface=%r)"
         % (", ".join(frames), ifname)], ns=ns, timeout=60)


def send_until(ns, ifname, frame, sniffer, pred, what, tries=5):
    """Send frame from ns until sniffer sees a frame matching pred (3 s
    each time, tries times); every frame seen."""
    for _ in range(tries):
        send(ns, ifname, [frame])
        try:
            return sniffer.until(pred, what, timeout=3)
        except AssertionError:
            continue
    raise AssertionError("no " + what)


def rtr(nfvd):
    return nfvd.stats()["vnfs"]["rtr"]


def test_not_forwarded(lab):
    """Unicast IP in a link-layer broadcast frame, destinations in 127/8 and
    0/8, IPv6 from :: and ::1 (and to ::1): never on h2's wire, counted by
    reason, no ICMP error back to h1."""
    n = lab
    h2 = n.sniff(n.h2, n.if2)
    h1 = n.sniff(n.h1, n.if1)
    before = rtr(n)
    e, b = "Ether(dst=%r)" % n.rmac, "Ether(dst='ff:ff:ff:ff:ff:ff')"
    u = "UDP(sport=40000, dport=40009)"  # (sport 53 would be dissected as DNS)
    bad = [
        b + "/IP(src=%r, dst=%r)/%s/Raw(b'bad-bcast-frame')" % (H1_4, H2_4, u),
        b + "/IP(src=%r, dst=%r, ttl=1)/%s/Raw(b'bad-bcast-ttl1')" % (H1_4, H2_4, u),
        e + "/IP(src=%r, dst='127.0.0.1')/%s/Raw(b'bad-127')" % (H1_4, u),
        e + "/IP(src=%r, dst='0.1.2.3')/%s/Raw(b'bad-0/8')" % (H1_4, u),
        e + "/IPv6(src='::', dst=%r)/%s/Raw(b'bad-from-unspec')" % (H2_6, u),
        e + "/IPv6(src='::1', dst=%r)/%s/Raw(b'bad-from-loopback')" % (H2_6, u),
        e + "/IPv6(src=%r, dst='::1')/%s/Raw(b'bad-to-loopback')" % (H1_6, u),
    ]
    marks = [
        e + "/IP(src=%r, dst=%r)/%s/Raw(b'mark4')" % (H1_4, H2_4, u),
        e + "/IPv6(src=%r, dst=%r)/%s/Raw(b'mark6')" % (H1_6, H2_6, u),
    ]
    send(n.h1, n.if1, bad + marks)
    seen = h2.until(lambda f: f.get("raw") == "mark6", "the IPv6 marker on h2")
    h2.until(lambda f: f.get("raw") == "mark4", "the IPv4 marker on h2")
    assert not [f for f in seen if "bad-" in f.get("raw", "")], seen
    wait_for(lambda: rtr(n)["drops"]["link-broadcast"] - before["drops"]["link-broadcast"]
             == 2, 10, "link-broadcast drops")
    after = rtr(n)
    d = {k: after["drops"][k] - before["drops"][k] for k in after["drops"]}
    assert d["bad-destination"] == 3, d
    assert d["bad-source"] == 2, d
    assert after["control"]["icmp-errors-tx"] == before["control"]["icmp-errors-tx"]
    # nothing from the router about them on h1's side
    errs = [f for f in h1.seen if f["esrc"] != H1_MAC and
            (f.get("icmp", [0])[0] in (3, 11) or f.get("icmp6err"))]
    assert not errs, errs


def test_directed_broadcast_no_error_no_arp(lab):
    """A ping to the wan subnet's directed broadcast (unicast frame to the
    router) and to the lan's (link-layer broadcast), and TTL 1 to it: no ICMP
    error, no echo reply, no ARP request for x.x.x.255, no neighbour entry."""
    n = lab
    h2 = n.sniff(n.h2, n.if2)
    h1 = n.sniff(n.h1, n.if1)
    before = rtr(n)
    e, b = "Ether(dst=%r)" % n.rmac, "Ether(dst='ff:ff:ff:ff:ff:ff')"
    send(n.h1, n.if1, [
        e + "/IP(src=%r, dst=%r)/ICMP(id=77, seq=1)/Raw(b'bc-ping-wan')" % (H1_4, BCAST2),
        e + "/IP(src=%r, dst=%r, ttl=1)/UDP(sport=40000, dport=33434)/Raw(b'bc-ttl1')"
        % (H1_4, BCAST2),
        e + "/IP(src=%r, dst=%r, ttl=1)/ICMP(id=77, seq=2)" % (H1_4, BCAST2),
        b + "/IP(src=%r, dst=%r)/ICMP(id=77, seq=3)/Raw(b'bc-ping-lan')" % (H1_4, BCAST1),
        b + "/IP(src=%r, dst=%r, ttl=1)/ICMP(id=77, seq=4)" % (H1_4, BCAST1),
        # marker: answered by the router's control thread after the above
        e + "/IP(src=%r, dst=%r)/ICMP(id=78, seq=1)/Raw(b'mark')" % (H1_4, R1_4),
    ])
    seen1 = h1.until(lambda f: f.get("icmp") == [0, 0] and f["ip"][0] == R1_4,
                     "the router's echo reply to the marker")
    # h2's side, in order after whatever the router sent for h1's frames
    assert reaches(n.h2, R2_4)
    seen2 = h2.until(lambda f: f.get("icmp") == [0, 0] and f.get("ip", [""])[0] == R2_4,
                     "the router's echo reply to h2")
    from_rtr = [f for f in seen1 if f["esrc"] != H1_MAC and "icmp" in f]
    assert all(f["icmp"] == [0, 0] and f["ip"][1] == H1_4 for f in from_rtr), from_rtr
    assert len(from_rtr) == 1, from_rtr  # the marker's reply, nothing for .255
    arps = [f for f in seen1 + seen2 if "arp" in f and f["arp"][2] in (BCAST1, BCAST2)]
    assert not arps, arps
    assert not [f for f in seen2 if "bc-" in f.get("raw", "")], seen2
    after = rtr(n)
    assert after["drops"]["broadcast"] - before["drops"]["broadcast"] == 5
    assert after["control"]["icmp-errors-tx"] == before["control"]["icmp-errors-tx"]
    # (no count of ARP requests: the ageing of h1's and h2's entries sends
    # some at any time; the sniffers and the neighbour table say none was
    # for a broadcast)
    neigh = nfvlib._request(n.sock, {"v": 1, "id": 1, "cmd": "vnf", "args": {
        "instance": "rtr", "cmd": "neigh-show", "args": {}}})["result"]["neighbours"]
    assert not [x for x in neigh if x["address"] in (BCAST1, BCAST2)], neigh


def test_martian_sources_not_forwarded(lab):
    """RFC 1812 5.3.7: a source that is an attached subnet's directed
    broadcast (the lan's, the wan's); RFC 3927 7: IPv4 link-local source or
    destination; RFC 4291 2.5.5.2: IPv4-mapped IPv6 source or destination.
    None reaches h2, each is counted, no ICMP error goes back."""
    n = lab
    h2 = n.sniff(n.h2, n.if2)
    h1 = n.sniff(n.h1, n.if1)
    before = rtr(n)
    e = "Ether(dst=%r)" % n.rmac
    u = "UDP(sport=40000, dport=40009)"
    bad = [
        e + "/IP(src=%r, dst=%r)/%s/Raw(b'bad-src-bcast-lan')" % (BCAST1, H2_4, u),
        e + "/IP(src=%r, dst=%r)/%s/Raw(b'bad-src-bcast-wan')" % (BCAST2, H2_4, u),
        e + "/IP(src=%r, dst=%r, ttl=1)/%s/Raw(b'bad-src-bcast-ttl1')" % (BCAST2, H2_4, u),
        e + "/IP(src='169.254.3.3', dst=%r)/%s/Raw(b'bad-src-ll4')" % (H2_4, u),
        e + "/IP(src=%r, dst='169.254.3.3')/%s/Raw(b'bad-dst-ll4')" % (H1_4, u),
        e + "/IPv6(src='::ffff:%s', dst=%r)/%s/Raw(b'bad-src-mapped')" % (H1_4, H2_6, u),
        e + "/IPv6(src=%r, dst='::ffff:%s')/%s/Raw(b'bad-dst-mapped')" % (H1_6, H2_4, u),
    ]
    marks = [
        e + "/IP(src=%r, dst=%r)/%s/Raw(b'mark4')" % (H1_4, H2_4, u),
        e + "/IPv6(src=%r, dst=%r)/%s/Raw(b'mark6')" % (H1_6, H2_6, u),
    ]
    send(n.h1, n.if1, bad + marks)
    seen = h2.until(lambda f: f.get("raw") == "mark6", "the IPv6 marker on h2")
    seen = h2.until(lambda f: f.get("raw") == "mark4", "the IPv4 marker on h2")
    assert not [f for f in seen if "bad-" in f.get("raw", "")], seen
    after = rtr(n)
    d = {k: after["drops"][k] - before["drops"][k] for k in after["drops"]}
    assert d["bad-source"] == 4 and d["bad-destination"] == 1 and d["link-local"] == 2, d
    assert after["control"]["icmp-errors-tx"] == before["control"]["icmp-errors-tx"]
    errs = [f for f in h1.seen if f["esrc"] != H1_MAC and
            (f.get("icmp", [0])[0] in (3, 11) or f.get("icmp6err"))]
    assert not errs, errs


def test_link_local_source_beyond_scope(lab):
    """RFC 4443 3.1 / RFC 4291 2.5.6: a packet from a link-local source to
    a global destination (routed, or no route) is not forwarded; the sender
    gets destination unreachable code 2 (beyond scope of source address)
    from the router's link-local address, on its link."""
    n = lab
    h2 = n.sniff(n.h2, n.if2)
    h1 = n.sniff(n.h1, n.if1)
    ll = run(["ip", "-6", "-br", "addr", "show", "dev", n.if1], ns=n.h1).stdout
    src = next(w.split("/")[0] for w in ll.split() if w.startswith("fe80:"))
    e = "Ether(dst=%r)" % n.rmac
    u = "UDP(sport=40000, dport=40009)"
    send(n.h1, n.if1, [
        e + "/IPv6(src=%r, dst=%r)/%s/Raw(b'bad-ll-routed')" % (src, H2_6, u),
        e + "/IPv6(src=%r, dst='2001:db8:ffff::1')/%s/Raw(b'bad-ll-any')" % (src, u),
        e + "/IPv6(src=%r, dst=%r)/%s/Raw(b'mark6')" % (H1_6, H2_6, u),
    ])
    h2.until(lambda f: f.get("raw") == "mark6", "the IPv6 marker on h2")
    errs = h1.until(lambda f: f.get("icmp6") == [1, 2] and
                    len([g for g in h1.seen if g.get("icmp6") == [1, 2]]) >= 2,
                    "two destination unreachable code 2 on h1")
    # (h2's port unreachable about the marker comes back to h1 too)
    errs = [f for f in errs if f.get("icmp6") and f["ip6"][1] == src]
    assert len(errs) == 2 and all(f["icmp6"] == [1, 2] for f in errs), errs
    assert all(f["ip6"][1] == src and f["ip6"][0].startswith("fe80:") and
               f["esrc"] == n.rmac and f["edst"] == H1_MAC for f in errs), errs
    assert not [f for f in h2.seen if "bad-" in f.get("raw", "")], h2.seen


def test_ip_options_forwarded_or_answered(lab):
    """RFC 791 / RFC 1812 5.2.4 / RFC 7126: a record route option is
    forwarded with the router's egress address recorded; a loose source
    route is dropped; a malformed timestamp option draws ICMP parameter
    problem pointing at its length octet."""
    n = lab
    h2 = n.sniff(n.h2, n.if2)
    h1 = n.sniff(n.h1, n.if1)
    e = "Ether(dst=%r)" % n.rmac
    u = "UDP(sport=40000, dport=40009)"
    send(n.h1, n.if1, [
        e + "/IP(src=%r, dst=%r, options=[IPOption_RR(routers=['0.0.0.0', '0.0.0.0'])])"
        "/%s/Raw(b'opt-rr')" % (H1_4, H2_4, u),
        e + "/IP(src=%r, dst=%r, options=[IPOption_LSRR(routers=[%r])])/%s/Raw(b'bad-lsrr')"
        % (H1_4, H2_4, H2_4, u),
        e + "/IP(src=%r, dst=%r, options=IPOption(b'\\x01\\x44\\x28\\x05\\x00\\x00\\x00"
        "\\x00'))/%s/Raw(b'bad-ts')" % (H1_4, H2_4, u),
        e + "/IP(src=%r, dst=%r)/%s/Raw(b'mark4')" % (H1_4, H2_4, u),
    ])
    seen = h2.until(lambda f: f.get("raw") == "mark4", "the IPv4 marker on h2")
    # (h2's port unreachable quoting it shows the same payload)
    rr = [f for f in seen if f.get("raw") == "opt-rr" and f["ip"][1] == H2_4]
    assert len(rr) == 1, seen
    # type 7, length 11, pointer 8, the wan address 10.83.2.1, room for one more
    assert rr[0]["ipopt"].startswith("070b080a530201" + "00000000"), rr
    assert rr[0]["ip"][3] == 63, rr
    assert not [f for f in seen if "bad-" in f.get("raw", "") and f["ip"][1] == H2_4], seen
    pp = h1.until(lambda f: f.get("icmp") == [12, 0], "a parameter problem on h1")
    pp = [f for f in pp if f.get("icmp") == [12, 0]]
    assert len(pp) == 1 and pp[0]["ip"][0] == R1_4 and pp[0]["icmpptr"] == 22, pp
    assert rtr(n)["drops"]["source-route"] == 1


CONNECT = r"""
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(10)
try:
    s.connect((sys.argv[1], 22))
    print("connected")
except ConnectionRefusedError:
    print("refused")
except OSError as e:
    print("error", e)
"""


def test_router_as_a_host_refuses_tcp_and_unknown_protocols(lab):
    """RFC 793 (CLOSED) / RFC 1122 3.2.2.1 / RFC 8200 4: without a host
    twin, a TCP connect to the router's address is refused at once (RST),
    IPv4 and IPv6; another protocol gets protocol unreachable (IPv4) or
    parameter problem code 1 (IPv6)."""
    n = lab
    for addr in (R1_4, R1_6):
        r = run([PY, "-c", CONNECT, addr], ns=n.h1, timeout=60)
        assert r.stdout.strip() == "refused", (addr, r.stdout, r.stderr)
    h1 = n.sniff(n.h1, n.if1)
    e = "Ether(dst=%r)" % n.rmac
    send(n.h1, n.if1, [e + "/IP(src=%r, dst=%r, proto=47)/Raw(b'gre?')" % (H1_4, R1_4),
                       e + "/IPv6(src=%r, dst=%r, nh=47)/Raw(b'gre?')" % (H1_6, R1_6)])
    h1.until(lambda f: f.get("icmp") == [3, 2] and f["ip"][0] == R1_4,
             "protocol unreachable from the router")
    h1.until(lambda f: f.get("ip6", [""])[0] == R1_6 and f.get("icmp6pp") == [4, 1, 6],
             "parameter problem code 1 from the router")
    assert rtr(n)["control"]["tcp-resets-tx"] >= 2


def test_echo_to_the_router_full_size(lab):
    """RFC 1122 3.2.2.6 / RFC 4443 4.2: an echo request to the router's
    addresses as large as the link MTU (1500) is answered whole, IPv4 (DF
    set, 1472 bytes of data) and IPv6 (1452)."""
    n = lab
    for args, reply in ((["-M", "do", "-s", "1472", R1_4], "1480 bytes from"),
                        (["-6", "-s", "1452", R1_6], "1460 bytes from")):
        # (a loaded host may lose one on a tap: answered whole is the point)
        p = run(["ping", "-n", "-c", "5", "-i", "0.2", "-W", "2"] + args, ns=n.h1,
                check=False, timeout=60)
        assert reply in p.stdout, p.stdout + p.stderr


def test_redirect_to_a_host_on_the_same_link(lab):
    """RFC 1812 5.2.7.2: a packet the router sends back out of the
    interface it came in on, to a next hop on the sender's own subnet, is
    forwarded, and the sender gets an ICMP host redirect (type 5 code 1)
    from the router's address on that link, naming the next hop."""
    n = lab
    h1b = "10.83.1.3"  # a second address of h1's: on the same link
    run(["ip", "addr", "add", h1b + "/24", "dev", n.if1], ns=n.h1)
    h1 = n.sniff(n.h1, n.if1)
    e = "Ether(dst=%r)" % n.rmac
    frame = e + "/IP(src=%r, dst=%r)/UDP(sport=40000, dport=40009)/Raw(b'redir')" % (H1_4, h1b)

    # (the first may wait for the router's ARP of h1b)
    got = send_until(n.h1, n.if1, frame, h1, lambda f: f.get("icmp") == [5, 1],
                     "a host redirect on h1")
    red = [f for f in got if f.get("icmp") == [5, 1]]
    assert red[0]["ip"][:2] == [R1_4, H1_4] and red[0]["icmpgw"] == h1b, red
    # the packet itself went on, back out to h1b (the router's MAC as source)
    h1.until(lambda f: f.get("raw") == "redir" and f.get("esrc") == n.rmac, "the packet forwarded")
    assert rtr(n)["control"]["redirects-tx"] >= 1


def test_fw_reject_never_answers_broadcast(lab):
    """The firewall's reject: a UDP packet to the lan's subnet broadcast in a
    broadcast frame gets no answer at all; one to the router's address gets
    ICMP port unreachable from the router's unicast address and MAC."""
    n = lab
    h1 = n.sniff(n.h1, n.if1)
    fw_before = n.stats()["vnfs"]["fw"]["counters"]["rejected"]
    send(n.h1, n.if1, [
        "Ether(dst='ff:ff:ff:ff:ff:ff')/IP(src=%r, dst=%r)/UDP(sport=5555, dport=7)"
        "/Raw(b'to-bcast')" % (H1_4, BCAST1),
        "Ether(dst=%r)/IP(src=%r, dst=%r)/UDP(sport=5556, dport=7)/Raw(b'to-router')"
        % (n.rmac, H1_4, R1_4),
    ])
    seen = h1.until(lambda f: f.get("icmp") == [3, 3], "the reject of the unicast packet")
    # every IPv4 frame to h1 (h1's own frames are seen too)
    answers = [f for f in seen if "ip" in f and f["esrc"] != H1_MAC]
    assert len(answers) == 1, answers
    a = answers[0]
    assert a["esrc"] == n.rmac and a["edst"] != "ff:ff:ff:ff:ff:ff", a
    assert a["ip"][0] == R1_4 and a["ip"][1] == H1_4, a
    assert n.stats()["vnfs"]["fw"]["counters"]["rejected"] - fw_before == 2


def test_echo6_to_all_nodes_all_routers_and_anycast(lab):
    """RFC 4443 4.2: an echo request to a multicast address (all-nodes
    ff02::1, all-routers ff02::2) or to an anycast address (the
    subnet-router anycast of each attached prefix, RFC 4291 2.6.1, which
    the router must support) is answered from a unicast address of the
    interface it came in on: ping -6 from h1 gets the router's replies."""
    n = lab
    for grp in ("ff02::1", "ff02::2", "ff05::2"):
        p = run(["ping", "-6", "-n", "-c", "3", "-i", "0.2", "-W", "2", "-I", n.if1, grp],
                ns=n.h1, check=False, timeout=60)
        # (h1's request comes from its global address: the reply from the
        # router's on the same prefix)
        assert "from %s:" % R1_6 in p.stdout, (grp, p.stdout + p.stderr)
    # the lan's own anycast and the wan's (through the router): the reply
    # from the router's address on the lan, h1's prefix
    for anycast in ("2001:db8:83:1::", "2001:db8:83:2::"):
        p = run(["ping", "-6", "-n", "-c", "3", "-i", "0.2", "-W", "2", anycast],
                ns=n.h1, check=False, timeout=60)
        assert "from %s" % R1_6 in p.stdout, (anycast, p.stdout + p.stderr)
    # (h2 has no address the replies come from: the router's own)
    r = rtr(n)
    assert r["control"]["echo-replies"] >= 15, r["control"]


def test_echo6_with_extension_headers(lab):
    """RFC 8200 4: the router as the destination processes hop-by-hop and
    destination options headers before ICMPv6: an echo request behind
    padding options is answered; an unrecognized option acts as its type's
    two high-order bits say (4.2: 01 discard silently, 10 parameter problem
    code 2 pointing at the option); a routing header with segments left (a
    type the router does not implement, RFC 5095's type 0) gets parameter
    problem code 0 pointing at its type (4.4); hop-by-hop after another
    header gets parameter problem code 1 (4.1)."""
    n = lab
    h1 = n.sniff(n.h1, n.if1)
    e = "Ether(dst=%r)/IPv6(src=%r, dst=%r)" % (n.rmac, H1_6, R1_6)
    send(n.h1, n.if1, [
        e + "/IPv6ExtHdrHopByHop(options=[PadN(optdata=b'\\0\\0\\0\\0')])"
            "/IPv6ExtHdrDestOpt()/ICMPv6EchoRequest(id=0x4e01, seq=1)",
        e + "/IPv6ExtHdrDestOpt(options=[HBHOptUnknown(otype=0x41, optdata=b'ab')])"
            "/ICMPv6EchoRequest(id=0x4e01, seq=2)",
        e + "/IPv6ExtHdrHopByHop(options=[HBHOptUnknown(otype=0x81, optdata=b'ab')])"
            "/ICMPv6EchoRequest(id=0x4e01, seq=3)",
        e + "/IPv6ExtHdrRouting(type=0, segleft=1, addresses=[%r])"
            "/ICMPv6EchoRequest(id=0x4e01, seq=4)" % H2_6,
        e + "/IPv6ExtHdrDestOpt()/IPv6ExtHdrHopByHop()/ICMPv6EchoRequest(id=0x4e01, seq=5)",
        e + "/ICMPv6EchoRequest(id=0x4e01, seq=6)",  # the marker
    ])
    seen = h1.until(lambda f: f.get("echo6") == [0x4e01, 6], "the marker's reply")
    seen = h1.until(lambda f: sum("icmp6pp" in g for g in seen) >= 3 or False,
                    "three parameter problems", timeout=5) if \
        sum("icmp6pp" in g for g in seen) < 3 else seen
    replies = sorted(f["echo6"][1] for f in seen if "echo6" in f)
    assert replies == [1, 6], seen
    pp = sorted(tuple(f["icmp6pp"]) for f in seen if "icmp6pp" in f)
    # (type 4) code 0 at the routing type (40 + 2), code 1 at the
    # destination options' next header field (40), code 2 at the option (42)
    assert pp == [(4, 0, 42), (4, 1, 40), (4, 2, 42)], seen
    assert all(f["ip6"][0] == R1_6 for f in seen if "icmp6pp" in f or "echo6" in f), seen


def test_redirect6_to_a_host_on_the_same_link(lab):
    """RFC 4861 8.2: a packet the router forwards back out of the
    interface it came in on, from a neighbour to a destination on the same
    link, is forwarded, and the sender gets a redirect (type 137) from the
    router's link-local address with hop limit 255, target = destination
    (it is on the link), the target's link-layer address and the
    redirected header."""
    n = lab
    h1b = "2001:db8:83:1::3"  # a second address of h1's: on the same link
    run(["ip", "addr", "add", h1b + "/64", "dev", n.if1, "nodad"], ns=n.h1)
    h1 = n.sniff(n.h1, n.if1)
    frame = ("Ether(dst=%r)/IPv6(src=%r, dst=%r)/UDP(sport=40000, dport=40009)"
             "/Raw(b'redir6')" % (n.rmac, H1_6, h1b))

    # (the first may wait for the router's ND of h1b)
    got = send_until(n.h1, n.if1, frame, h1, lambda f: "redirect6" in f, "a redirect on h1")
    red = [f for f in got if "redirect6" in f][0]
    assert red["ip6"][0].startswith("fe80::") and red["ip6"][1] == H1_6, red
    assert red["redirect6"] == [h1b, h1b, 255, H1_MAC, True], red
    h1.until(lambda f: f.get("raw") == "redir6" and f.get("esrc") == n.rmac, "the packet forwarded")
    assert rtr(n)["control"]["redirects-tx"] >= 1


def test_errors_about_packets_to_the_router_come_from_the_address_sent_to(lab):
    """RFC 4443 2.2(a): an ICMPv6 error about a packet sent to one of the
    router's addresses comes from that address; IPv4 likewise (as Linux:
    a traceroute to the router's far address ends at that address). UDP to
    the wan addresses, sent from h1 on the lan: port unreachable from the
    wan addresses, not the lan ones."""
    n = lab
    h1 = n.sniff(n.h1, n.if1)
    e = "Ether(dst=%r)" % n.rmac
    send(n.h1, n.if1, [
        e + "/IP(src=%r, dst=%r)/UDP(sport=40001, dport=33434)" % (H1_4, R2_4),
        e + "/IPv6(src=%r, dst=%r)/UDP(sport=40001, dport=33434)" % (H1_6, R2_6),
    ])
    seen = h1.until(lambda f: f.get("icmp6") == [1, 4], "the ICMPv6 port unreachable")
    seen = h1.until(lambda f: f.get("icmp") == [3, 3], "the ICMP port unreachable")
    v4 = [f for f in seen if f.get("icmp") == [3, 3]]
    v6 = [f for f in seen if f.get("icmp6") == [1, 4]]
    assert v4[0]["ip"][:2] == [R2_4, H1_4], v4
    assert v6[0]["ip6"] == [R2_6, H1_6], v6


NS_SRC, NS_SRC2 = "2001:db8:83:1::7", "2001:db8:83:1::8"


def test_echo6_atomic_fragment_and_fragments_with_options(lab):
    """RFC 6946: an atomic fragment (a fragment header with offset 0 and M
    clear) to the router is processed on its own: the echo request in it
    is answered; RFC 8200 4.5: an echo request in fragments whose
    fragmentable part starts with a destination options header is
    reassembled and answered (the reply in fragments of the MTU); RFC
    6980: neighbour discovery in an atomic fragment is ignored."""
    n = lab
    h1 = n.sniff(n.h1, n.if1)
    e = "Ether(dst=%r)" % n.rmac
    ip = "IPv6(src=%r, dst=%r)" % (H1_6, R1_6)
    send(n.h1, n.if1, [
        e + "/" + ip + "/IPv6ExtHdrFragment(offset=0, m=0, id=0x4e03)"
            "/ICMPv6EchoRequest(id=0x4e03, seq=1)",
        "*[%s/f for f in fragment6(%s/IPv6ExtHdrFragment(id=0x4e04)/IPv6ExtHdrDestOpt()"
        "/ICMPv6EchoRequest(id=0x4e03, seq=2, data=b'y' * 2000), 1280)]" % (e, ip),
        e + "/IPv6(src=%r, dst=%r, hlim=255)/IPv6ExtHdrFragment(offset=0, m=0, id=0x4e05)"
            "/ICMPv6ND_NS(tgt=%r)/ICMPv6NDOptSrcLLAddr(lladdr=%r)" % (NS_SRC, R1_6, R1_6, H1_MAC),
        # the same solicitation whole: answered (the check can fail)
        e + "/IPv6(src=%r, dst=%r, hlim=255)/ICMPv6ND_NS(tgt=%r)/ICMPv6NDOptSrcLLAddr("
            "lladdr=%r)" % (NS_SRC2, R1_6, R1_6, H1_MAC),
        # more to come, 13 bytes: no multiple of 8
        e + "/" + ip + "/IPv6ExtHdrFragment(offset=0, m=1, id=0x4e06)"
            "/ICMPv6EchoRequest(id=0x4e03, seq=9, data=b'x' * 5)",
        e + "/" + ip + "/ICMPv6EchoRequest(id=0x4e03, seq=3)",  # the marker
    ])
    seen = h1.until(lambda f: f.get("echo6") == [0x4e03, 3], "the marker's reply")
    if [0x4e03, 2] not in [f.get("echo6") for f in seen]:
        seen = h1.until(lambda f: f.get("echo6") == [0x4e03, 2], "the reassembled one's reply",
                        timeout=5)
    assert sorted(f["echo6"][1] for f in seen if f.get("echo6", [0])[0] == 0x4e03) == [1, 2, 3]
    pp = h1.until(lambda f: "icmp6pp" in f, "the parameter problem")
    assert [f["icmp6pp"] for f in pp if "icmp6pp" in f] == [[4, 0, 4]], pp
    # the whole solicitation is answered, the one in a fragment is not
    seen = h1.until(lambda f: f.get("ip6") == [R1_6, NS_SRC2], "the advert to the whole NS")
    assert not any(f.get("ip6", [0, 0])[1] == NS_SRC for f in seen), seen


def test_reassembly_time_exceeded(lab):
    """RFC 1122 3.3.2 / RFC 792, RFC 8200 4.5: a datagram for the router of
    which only the first fragment came is abandoned after the reassembly
    timeout (2 s in this lab, 60 s by default) and its sender gets a time
    exceeded, code 1 (fragment reassembly time exceeded), IPv4 and IPv6;
    none for a datagram whose first fragment never came."""
    n = lab
    h1, h2 = n.sniff(n.h1, n.if1), n.sniff(n.h2, n.if2)
    e = "Ether(dst=%r)" % n.rmac
    send(n.h1, n.if1, [
        e + "/IP(src=%r, dst=%r, flags='MF', id=0x4e07)/ICMP(id=0x4e07)/Raw(b'x' * 64)"
            % (H1_4, R1_4),
        e + "/IPv6(src=%r, dst=%r)/IPv6ExtHdrFragment(offset=0, m=1, id=0x4e07)"
            "/ICMPv6EchoRequest(id=0x4e07, data=b'x' * 64)" % (H1_6, R1_6),
    ])
    # a later fragment alone: no error (RFC 8200 4.5: only with the
    # first); from h2, whose chain has no firewall to drop it first
    rmac2 = n.stats()["vnfs"]["rtr"]["interfaces"][1]["mac"].lower()
    send(n.h2, n.if2, [
        "Ether(dst=%r)/IPv6(src=%r, dst=%r)/IPv6ExtHdrFragment(offset=8, m=1, id=0x4e08, nh=58)"
        "/Raw(b'y' * 64)" % (rmac2, H2_6, R2_6)])
    seen = h1.until(lambda f: f.get("icmp") == [11, 1], "the ICMP time exceeded", timeout=30)
    seen = h1.until(lambda f: f.get("icmp6") == [3, 1], "the ICMPv6 time exceeded", timeout=30)
    assert len([f for f in seen if f.get("icmp6") == [3, 1]]) == 1, seen
    te = [f for f in seen if f.get("icmp") == [11, 1]][0]
    assert te["ip"][:2] == [R1_4, H1_4], te
    wait_for(lambda: rtr(n)["control"]["reassembly-failed"] >= 3, 20, "3 datagrams abandoned")
    assert len([f for f in h1.until(lambda f: True, "frames") if f.get("icmp6") == [3, 1]]) == 1
    assert not [f for f in h2.until(lambda f: True, "frames") if f.get("icmp6") == [3, 1]]


def test_duplicate_address_not_used(lab, tag):
    """RFC 4862 5.4: the router runs duplicate address detection for its
    addresses (at start and on apply); an address another node on the
    link already has (h1 answers the router's solicitation from ::) is not
    used (5.4.5): the router does not answer solicitations for it, so h1
    keeps it, while its other addresses are answered as before. An advert
    for a router's address outside detection only counts (a host could
    otherwise take the router's address away)."""
    n = lab
    dup = "2001:db8:84::99"  # a second prefix on the lan
    run(["ip", "addr", "add", dup + "/64", "dev", n.if1, "nodad"], ns=n.h1)
    c = conf(tag)
    c["vnfs"][1]["interfaces"][0]["addresses"].append(dup + "/64")
    r = n.apply(c)
    assert r.get("ok"), r
    wait_for(lambda: rtr(n)["interfaces"][0].get("dad_conflict"), 20, "the conflict detected")
    h1 = n.sniff(n.h1, n.if1)
    ns = ("Ether(dst=%r)/IPv6(src=%r, dst=%r, hlim=255)/ICMPv6ND_NS(tgt=%r)"
          "/ICMPv6NDOptSrcLLAddr(lladdr=%r)")
    send(n.h1, n.if1, [ns % (n.rmac, NS_SRC, dup, dup, H1_MAC),
                       ns % (n.rmac, NS_SRC2, R1_6, R1_6, H1_MAC)])
    seen = h1.until(lambda f: f.get("ip6") == [R1_6, NS_SRC2], "the advert for the router's own")
    assert not any(f.get("ip6", [0, 0])[1] == NS_SRC for f in seen), seen
    # a late advert claiming R1_6 (after detection) takes nothing away
    before = rtr(n)["control"]["dad-conflicts"]
    send(n.h1, n.if1, ["Ether(dst='33:33:00:00:00:01')/IPv6(src=%r, dst='ff02::1', hlim=255)"
                       "/ICMPv6ND_NA(tgt=%r, R=0, S=0, O=1)/ICMPv6NDOptDstLLAddr(lladdr=%r)"
                       % (H1_6, R1_6, H1_MAC)])
    wait_for(lambda: rtr(n)["control"]["dad-conflicts"] > before, 10, "the advert counted")
    assert reaches(n.h1, R1_6, six=True)


def test_reassembly_survives_a_flood_of_incomplete_datagrams(nfvd_factory, ns_factory, tag):
    """300 first fragments that never complete (spoofed on-link sources)
    fill the router's reassembly table (256 datagrams); with the default
    60 s timeout a full table would refuse every new datagram for a
    minute. Under pressure the datagrams waiting longest (over 0.5 s) are
    given up: a large ping to the router is answered within seconds."""
    c = conf(tag)
    del c["vnfs"][1]["reassembly-timeout-ms"]
    n = nfvd_factory(c)
    h1 = ns_factory("h1")
    host(h1, tag + "a", H1_MAC, H1_4, H1_6, R1_4, R1_6)
    wait_for(lambda: reaches(h1, R1_4), 30, "the router")
    rmac = n.stats()["vnfs"]["rtr"]["interfaces"][0]["mac"].lower()
    send(h1, tag + "a", [
        "*[Ether(dst=%r)/IP(src='10.83.1.%%d' %% (10 + i %% 200), dst=%r, flags='MF', id=i)"
        "/ICMP()/Raw(b'x' * 64) for i in range(300)]" % (rmac, R1_4)])
    p = run(["ping", "-n", "-c", "6", "-i", "0.5", "-W", "1", "-s", "3000", R1_4], ns=h1,
            check=False, timeout=60)
    assert " 0 received" not in p.stdout, p.stdout
    assert rtr(n)["control"]["reassembly-pressure"] >= 1


def test_timestamp_and_address_mask_queries_answered(lab):
    """RFC 1812 4.3.3.9 (a router MUST answer ICMP address mask requests:
    the mask of the address asked, RFC 950) and 4.3.3.8 / RFC 792
    (timestamp: the originate timestamp returned with receive and transmit
    times in ms since midnight UT)."""
    n = lab
    h1 = n.sniff(n.h1, n.if1)
    e = "Ether(dst=%r)/IP(src=%r, dst=%r)" % (n.rmac, H1_4, R1_4)
    send(n.h1, n.if1, [e + "/ICMP(type=17, id=0x4e09, seq=1, addr_mask='0.0.0.0')",
                       e + "/ICMP(type=13, id=0x4e09, seq=2, ts_ori=12345, ts_rx=0, ts_tx=0)"])
    seen = h1.until(lambda f: f.get("icmp") == [18, 0], "the address mask reply")
    seen = h1.until(lambda f: f.get("icmp") == [14, 0], "the timestamp reply")
    mask = [f for f in seen if f.get("icmp") == [18, 0]][0]
    assert mask["mask"] == "255.255.255.0" and mask["ip"][:2] == [R1_4, H1_4], mask
    ts = [f for f in seen if f.get("icmp") == [14, 0]][0]
    assert ts["ts"][0] == 12345 and 0 < ts["ts"][1] < 86400000 and ts["ts"][2] >= ts["ts"][1], ts


def test_mld_reports_for_the_groups_nd_needs(lab):
    """RFC 4861 6.2.2 / 7.2.1: the router is a listener of all-routers and
    of its addresses' solicited-node groups; RFC 3810: it reports them
    (MLDv2, hop limit 1, to ff02::16) in answer to a general query, so a
    switch that snoops MLD keeps sending it the hosts' solicitations."""
    n = lab
    h1 = n.sniff(n.h1, n.if1)
    send(n.h1, n.if1, [
        "Ether(dst='33:33:00:00:00:01')/IPv6(src='fe80::83:1', dst='ff02::1', hlim=1)"
        "/IPv6ExtHdrHopByHop(options=[RouterAlert()])/ICMPv6MLQuery2()"])
    seen = h1.until(lambda f: "mld" in f and f["esrc"] == n.rmac, "the router's report")
    rep = [f for f in seen if "mld" in f and f["esrc"] == n.rmac][0]
    assert rep["ip6"][1] == "ff02::16" and rep["ip6"][0].startswith("fe80::"), rep
    assert rep["hlim"] == 1 and rep["mldsum"], rep
    # all-routers and the solicited-node group of 2001:db8:83:1::1
    assert "ff02::2" in rep["mld"] and "ff02::1:ff00:1" in rep["mld"], rep
    assert rtr(n)["control"]["mld-queries-rx"] >= 1


def neighbours(n):
    r = nfvlib._request(n.sock, {"v": 1, "id": 1, "cmd": "vnf", "args": {
        "instance": "rtr", "cmd": "neigh-show", "args": {}}})
    assert r.get("ok"), r
    return {e["address"]: e for e in r["result"]["neighbours"]}


def test_neighbour_learnt_from_a_solicitation_is_stale(lab):
    """RFC 4861 7.2.3: a neighbour solicitation with a source link-layer
    address creates (or updates) the sender's entry as STALE (its address
    used, reachability to be confirmed), not REACHABLE; an answer to the
    router's own solicitation makes an entry REACHABLE (h2, resolved by
    the router to forward h1's ping)."""
    n = lab
    send(n.h1, n.if1, ["Ether(dst=%r)/IPv6(src=%r, dst=%r, hlim=255)/ICMPv6ND_NS(tgt=%r)"
                       "/ICMPv6NDOptSrcLLAddr(lladdr=%r)" % (n.rmac, NS_SRC2, R1_6, R1_6,
                                                            H1_MAC)])
    e = wait_for(lambda: neighbours(n).get(NS_SRC2), 10, "the entry of " + NS_SRC2)
    assert e["state"] == "stale" and e["mac"] == H1_MAC, e
    assert neighbours(n)[H2_6]["state"] == "reachable", neighbours(n)[H2_6]
