# SPDX-License-Identifier: BSD-3-Clause
"""A small DHCPv4 client that talks to a server as a relay agent would
(UDP from port 67, giaddr set, replies unicast back to giaddr:67), for the
DHCP system tests and the crash storm. Messages are built with struct so
hundreds of clients run from one thread.
"""
import socket
import struct
import time

MAGIC = 0x63825363
DISCOVER, OFFER, REQUEST, DECLINE, ACK, NAK, RELEASE, INFORM = range(1, 9)


def ip2b(ip):
    return socket.inet_aton(ip)


def b2ip(b):
    return socket.inet_ntoa(b)


def mac_of(i, prefix=b"\x02\xd0"):
    return prefix + struct.pack("!I", i)


def build(mtype, mac, xid, giaddr="0.0.0.0", ciaddr="0.0.0.0", opts=(), flags=0,
          op=1, cookie=MAGIC, end=True):
    """BOOTREQUEST bytes; opts is a list of (code, bytes)."""
    hdr = struct.pack("!BBBBIHH4s4s4s4s16s64s128sI", op, 1, 6, 1 if giaddr != "0.0.0.0" else 0,
                      xid, 0, flags, ip2b(ciaddr), b"\0" * 4, b"\0" * 4, ip2b(giaddr),
                      mac.ljust(16, b"\0"), b"\0" * 64, b"\0" * 128, cookie)
    o = b""
    if mtype:
        o += bytes([53, 1, mtype])
    for code, val in opts:
        o += bytes([code, len(val)]) + val
    if end:
        o += b"\xff"
    return hdr + o


def parse(data):
    """Reply -> dict(op, xid, yiaddr, giaddr, chaddr, flags, opts{code: bytes}) or None."""
    if len(data) < 240:
        return None
    (op, _ht, _hl, _hops, xid, _secs, flags, _ci, yi, _si, gi, ch) = struct.unpack(
        "!BBBBIHH4s4s4s4s16s", data[:44])
    if struct.unpack("!I", data[236:240])[0] != MAGIC:
        return None
    opts, i = {}, 240
    while i < len(data):
        c = data[i]
        if c == 0:
            i += 1
            continue
        if c == 255 or i + 1 >= len(data):
            break
        n = data[i + 1]
        opts[c] = data[i + 2:i + 2 + n]
        i += 2 + n
    return dict(op=op, xid=xid, yiaddr=b2ip(yi), giaddr=b2ip(gi), chaddr=ch[:6], flags=flags,
                opts=opts, type=opts.get(53, b"\0")[0])


class RelayClient:
    """Talks to server:67 from a socket bound to giaddr:67 (run it in the
    client namespace, where giaddr is an address of the interface)."""

    def __init__(self, server, giaddr):
        self.server, self.giaddr = server, giaddr
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.bind((giaddr, 67))

    def close(self):
        self.s.close()

    def send(self, payload):
        self.s.sendto(payload, (self.server, 67))

    def recv(self, timeout):
        self.s.settimeout(timeout)
        try:
            data, _ = self.s.recvfrom(4096)
        except socket.timeout:
            return None
        return parse(data)

    def exchange(self, payload, xid, timeout=6.0, tries=3):
        """Send, wait for the reply with this xid (resending every
        timeout / tries s); None if none. 2 s per try: a loaded host kept
        the first reply (ARP for the relay first) past 0.67 s."""
        for _ in range(tries):
            self.send(payload)
            end = time.monotonic() + timeout / tries
            while time.monotonic() < end:
                r = self.recv(max(0.01, end - time.monotonic()))
                if r is not None and r["xid"] == xid:
                    return r
        return None

    def dora(self, mac, xid, opts=()):
        """DISCOVER/OFFER/REQUEST/ACK; returns (offer, ack) (either may be None)."""
        off = self.exchange(build(DISCOVER, mac, xid, self.giaddr, opts=opts), xid)
        if off is None or off["type"] != OFFER:
            return off, None
        req = build(REQUEST, mac, xid, self.giaddr, opts=list(opts) + [
            (54, off["opts"][54]), (50, ip2b(off["yiaddr"]))])
        return off, self.exchange(req, xid)
