# SPDX-License-Identifier: BSD-3-Clause
"""Firewall connection tracking against hostile TCP segments (RFC 5961
3.2, Linux conntrack's invalid state), with real peers through the set-up
of test_fw_traffic.py:

    lan ns 10.9.0.1/24  <tap>  nfvd [fw]  <tap>  10.9.0.2/24 wan ns

A LAN client holds a TCP connection to a WAN server; from the WAN side
scapy injects resets far outside the window and a SYN on the connection's
tuple: each is dropped (ct-invalid) and the connection stays established
and keeps working.
"""
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
