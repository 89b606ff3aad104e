# SPDX-License-Identifier: BSD-3-Clause
"""Firewall connection tracking against hostile TCP segments (RFC 5961
3.2, Linux conntrack's invalid state), with real peers through the set-up
of test_fw_traffic.py:

    lan ns 10.9.0.1/24  <tap>  nfvd [fw]  <tap>  10.9.0.2/24 wan ns

A LAN client holds a TCP connection to a WAN server; from the WAN side
scapy injects resets far outside the window and a SYN on the connection's
tuple: each is dropped (ct-invalid) and the connection stays established
and keeps working.

ICMPv6 errors about a tracked UDP flow whose quote carries extension
headers (a Packet Too Big about a fragmented datagram, RFC 4890 4.3.1) are
related and reach the LAN host; errors about an untracked flow or quoting a
non-first fragment meet the default policy.
"""
from nfvlib import run, wait_for
from test_fw_traffic import BASIC, KEEPER, LAN_IP, PY, WAN_IP, fwnet  # noqa: F401

# In the WAN namespace: learn the server's next sequence number from one
# of its segments, then send what a blind attacker would.
INJECT = r"""
import sys
from scapy.all import AsyncSniffer, IP, TCP, send, conf
conf.verb = 0
lan, wan, cport, iface = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
s = AsyncSniffer(iface=iface, filter="tcp and src port 9000 and dst port %d" % cport,
                 count=1, started_callback=lambda: print("ready", flush=True))
s.start()
s.join(30)
p = s.results[0]
nxt = (p[TCP].seq + len(p[TCP].payload)) & 0xffffffff
for off in (1500000000, -1500000000):
    send(IP(src=wan, dst=lan) / TCP(sport=9000, dport=cport, flags="R",
                                    seq=(nxt + off) & 0xffffffff), iface=iface)
send(IP(src=wan, dst=lan) / TCP(sport=9000, dport=cport, flags="S", seq=12345), iface=iface)
print("sent", nxt, flush=True)
"""


def test_blind_reset_and_responder_syn_dropped(fwnet, tag):  # noqa: F811
    n = fwnet(BASIC)
    n.server(n.wan, "tcp:9000")
    k = n.bg(n.lan, KEEPER, WAN_IP, 9000, stdin=True)
    k.send("one")
    k.expect("echo one")
    conn = [c for c in n.conns() if c["dport"] == 9000]
    assert len(conn) == 1 and conn[0]["state"] == "established", conn
    cport = conn[0]["sport"]
    before = n.drops("ct-invalid")
    inj = n.bg(n.wan, INJECT, LAN_IP, WAN_IP, cport, tag + "W")
    k.send("two")
    k.expect("echo two")
    inj.expect("sent", 30)
    k.send("three")
    k.expect("echo three")
    assert n.drops("ct-invalid") - before == 3
    conn = [c for c in n.conns() if c["dport"] == 9000]
    assert len(conn) == 1 and conn[0]["state"] == "established", conn


# ICMPv6 errors whose quote has extension headers (RFC 8200 4.1). In the
# LAN namespace: a UDP socket that sends a line per stdin line to the WAN
# host, and a raw ICMPv6 socket that prints each error received (type and
# the 4 bytes after the checksum, the PTB's MTU, used here as a tag).
LAN6, WAN6 = "fd09::1", "fd09::2"
UDP6_CLIENT = r"""
import socket, sys, threading
wan6, cport, dport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u.bind(("::", cport))
r = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
def rx():
    while True:
        d, a = r.recvfrom(4096)
        if 1 <= d[0] <= 4:
            print("err", d[0], int.from_bytes(d[4:8], "big"), flush=True)
threading.Thread(target=rx, daemon=True).start()
print("ready", flush=True)
for line in sys.stdin:
    u.sendto(line.strip().encode(), (wan6, dport))
    print("sent", flush=True)
"""

# In the WAN namespace: a UDP socket on the flow's port (no port
# unreachable back) and, per stdin line "TYPE TAG KIND SPORT DPORT", an
# ICMPv6 error to the LAN host quoting IPv6(lan -> wan) / [extension
# headers of KIND] / UDP(SPORT, DPORT) / 100 bytes, sent on a raw socket
# (the kernel writes the IPv6 header and the checksum).
ICMP6_ERR = r"""
import socket, sys
from scapy.all import IPv6, IPv6ExtHdrDestOpt, IPv6ExtHdrFragment, UDP, Raw
lan6, wan6, dport = sys.argv[1], sys.argv[2], int(sys.argv[3])
u = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
u.bind(("::", dport))
r = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
ext = {"plain": [], "frag": [IPv6ExtHdrFragment(m=1, offset=0, id=9)],
       "dopt": [IPv6ExtHdrDestOpt()],
       "later": [IPv6ExtHdrFragment(m=1, offset=185, id=9)]}
print("ready", flush=True)
for line in sys.stdin:
    typ, tag, kind, sp, dp = line.split()
    q = IPv6(src=lan6, dst=wan6)
    for h in ext[kind]:
        q = q / h
    q = bytes(q / UDP(sport=int(sp), dport=int(dp)) / Raw(b"q" * 100))
    r.sendto(bytes([int(typ), 0, 0, 0]) + int(tag).to_bytes(4, "big") + q, (lan6, 0))
    print("sent", flush=True)
"""

# BASIC, with IPv6 neighbour discovery and MLD from the WAN side allowed
# (nothing else from the WAN meets the default policy, so its counter
# counts the errors dropped).
ND_IN = [{"action": "allow", "in-port": "wan", "proto": "icmp6", "icmp-type": t}
         for t in (133, 135, 136, 143)]


def test_icmp6_error_quoting_extension_headers_related(fwnet, tag):  # noqa: F811
    """A Packet Too Big (or another ICMPv6 error) about a tracked UDP flow
    whose quote has a Fragment or Destination Options header is related and
    reaches the sender (RFC 4890 4.3.1, RFC 8201; it was dropped by the
    default policy); one about an untracked flow, or quoting a non-first
    fragment (no ports), is not."""
    n = fwnet(dict(BASIC, rules=ND_IN + BASIC["rules"]))
    for ns, ifn, a in ((n.lan, tag + "L", LAN6), (n.wan, tag + "W", WAN6)):
        run(["ip", "-6", "addr", "add", a + "/64", "dev", ifn, "nodad"], ns=ns)
    cport, dport = 40053, 5300
    snd = n.bg(n.wan, ICMP6_ERR, LAN6, WAN6, dport, stdin=True)
    cli = n.bg(n.lan, UDP6_CLIENT, WAN6, cport, dport, stdin=True)
    cli.send("hello")
    cli.expect("sent")
    wait_for(lambda: any(c["dport"] == dport and c["sport"] == cport for c in n.conns()),
             10, "the UDP flow tracked")
    rel, dflt = n.counter("ct-related"), n.drops("default-policy")
    cases = [  # (type, tag, quote, sport, passes)
        (2, 1400, "plain", cport, True),
        (2, 1401, "frag", cport, True),
        (2, 1402, "dopt", cport, True),
        (1, 1403, "frag", cport, True),  # destination unreachable
        (2, 1404, "frag", cport + 1, False),  # no such flow
        (2, 1405, "later", cport, False),  # a non-first fragment: no ports
    ]
    for typ, t, kind, sp, ok in cases:
        snd.send("%d %d %s %d %d" % (typ, t, kind, sp, dport))
        snd.expect("sent")
        if ok:
            assert cli.expect("err").split() == ["err", str(typ), str(t)], (kind, t)
    n_ok = sum(1 for c in cases if c[4])
    wait_for(lambda: n.counter("ct-related") - rel >= n_ok
             and n.drops("default-policy") - dflt >= len(cases) - n_ok, 5, "counters")
    assert n.counter("ct-related") - rel == n_ok
    assert n.drops("default-policy") - dflt == len(cases) - n_ok
    assert not [line for line in cli.pending() if line.startswith("err")]
