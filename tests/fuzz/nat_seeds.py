#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Write the seeds of tests/fuzz/fuzz_nat.c into tests/fuzz/nat_seeds/:
byte 0 the flags (bit 0 in-port c, bit 1 firewall [1]), then one frame.
Valid frames of every kind the NAT stage translates, and broken ones.
Run: /usr/bin/python3 tests/fuzz/nat_seeds.py (needs scapy)."""
import os

from scapy.all import ICMP, IP, TCP, UDP, Ether, Raw, fragment, raw

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nat_seeds")
E = Ether(src="02:00:00:00:00:02", dst="02:00:00:00:00:01")
LAN, PUB, INET = "10.81.1.2", "203.0.113.1", "203.0.113.2"


def seeds():
    out_udp = IP(src=LAN, dst=INET) / UDP(sport=40000, dport=7002) / Raw(b"x" * 8)
    out_tcp = IP(src=LAN, dst=INET) / TCP(sport=40001, dport=80, flags="S")
    xl_udp = IP(src=PUB, dst=INET) / UDP(sport=40000, dport=7002)
    xl_tcp = IP(src=PUB, dst=INET) / TCP(sport=40001, dport=80, flags="S")
    yield "out-udp", 0, out_udp
    yield "out-tcp-syn", 0, out_tcp
    yield "out-icmp-echo", 0, IP(src=LAN, dst=INET) / ICMP(id=7, seq=1)
    yield "in-udp-reply", 1, IP(src=INET, dst=PUB) / UDP(sport=7002, dport=40000)
    yield "in-tcp-synack", 1, IP(src=INET, dst=PUB) / TCP(sport=80, dport=40001,
                                                          flags="SA", ack=1001)
    yield "in-icmp-reply", 1, IP(src=INET, dst=PUB) / ICMP(type=0, id=7, seq=1)
    yield "in-dnat-web", 1, IP(src=INET, dst=PUB) / TCP(sport=5555, dport=8080, flags="S")
    yield "in-dnat-dns", 1, IP(src=INET, dst=PUB) / UDP(sport=5555, dport=53)
    yield "in-static", 1, IP(src=INET, dst="198.51.100.10") / TCP(sport=1, dport=22,
                                                                   flags="S")
    yield "in-unsolicited", 1, IP(src="203.0.113.9", dst=PUB) / UDP(sport=1, dport=40000)
    yield "hairpin", 0, IP(src="10.81.1.3", dst=PUB) / TCP(sport=3333, dport=8080,
                                                            flags="S")
    # ICMP errors quoting the translated packet, whole and cut short
    yield "in-icmp-unreach-udp", 1, IP(src=INET, dst=PUB) / ICMP(type=3, code=3) / xl_udp
    yield "in-icmp-ttl-tcp", 1, IP(src="192.0.2.1", dst=PUB) / ICMP(type=11) / xl_tcp
    yield "in-icmp-quote-4", 1, IP(src=INET, dst=PUB) / ICMP(type=3, code=1) / \
        Raw(raw(xl_udp)[:24])
    yield "in-icmp-quote-ip", 1, IP(src=INET, dst=PUB) / ICMP(type=3) / Raw(raw(xl_udp)[:20])
    yield "in-icmp-quote-icmp", 1, IP(src=INET, dst=PUB) / ICMP(type=3) / \
        IP(src=PUB, dst=INET) / ICMP(id=7)
    yield "in-icmp-nested", 1, IP(src=INET, dst=PUB) / ICMP(type=3) / \
        IP(src=PUB, dst=INET) / ICMP(type=3) / xl_udp
    yield "out-icmp-error", 0, IP(src=LAN, dst=INET) / ICMP(type=3, code=3) / \
        IP(src=INET, dst=LAN) / UDP(sport=7002, dport=40000)
    # truncated L4 headers, bad lengths, options, fragments
    yield "trunc-tcp", 0, Raw(raw(out_tcp)[:30])
    yield "trunc-udp", 1, Raw(raw(IP(src=INET, dst=PUB) / UDP(sport=7002, dport=40000))[:24])
    yield "trunc-icmp", 1, Raw(raw(IP(src=INET, dst=PUB) / ICMP(type=0, id=7))[:22])
    yield "tcp-doff-60", 0, IP(src=LAN, dst=INET) / TCP(sport=40001, dport=80, dataofs=15)
    yield "ip-options", 0, IP(src=LAN, dst=INET, ihl=6, options=b"\x01\x01\x01\x00") / \
        UDP(sport=40000, dport=7002)
    yield "udp-len-big", 0, IP(src=LAN, dst=INET) / UDP(sport=40000, dport=7002, len=500)
    frags = fragment(IP(src=LAN, dst=INET) / UDP(sport=40002, dport=7002) / Raw(b"y" * 200),
                     fragsize=64)
    yield "frag-first", 0, frags[0]
    yield "frag-later", 0, frags[1]
    frags = fragment(IP(src=INET, dst=PUB) / UDP(sport=7002, dport=40000) / Raw(b"z" * 200),
                     fragsize=64)
    yield "in-frag-first", 1, frags[0]
    yield "in-frag-later", 1, frags[1]
    # the CGN firewall [1]
    yield "cgn-out", 2, IP(src="10.81.7.9", dst=INET) / UDP(sport=1000, dport=53)
    yield "cgn-in", 3, IP(src=INET, dst="198.51.100.1") / UDP(sport=53, dport=1024)
    yield "cgn-in-icmp-err", 3, IP(src=INET, dst="198.51.100.2") / ICMP(type=3) / \
        IP(src="198.51.100.2", dst=INET) / UDP(sport=1088, dport=53)


def main():
    os.makedirs(OUT, exist_ok=True)
    for name, flags, pkt in seeds():
        if isinstance(pkt, Raw):  # cut-short IPv4 bytes
            frame = raw(Ether(src=E.src, dst=E.dst, type=0x800)) + raw(pkt)
        else:
            frame = raw(E / pkt)
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(bytes([flags]) + frame)


if __name__ == "__main__":
    main()
