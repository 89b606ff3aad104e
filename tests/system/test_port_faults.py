# SPDX-License-Identifier: BSD-3-Clause
"""Ports whose link goes down or whose peer goes away (issue 18, item 10).

nfvd forwards a -> b (a wire). Port a is an af_packet port on a veth whose
peer sits in a namespace and sends frames; port b is the port that fails:
  * af_packet on a veth whose peer is set down, then deleted;
  * tap whose interface is set down;
  * tap whose interface is gone (moved into a namespace that is deleted);
  * memif whose peer process is killed while frames flow.
Each time: status shows the link state the kernel has, tx_drops grows by
about the number of packets sent (each counted once, not once per retry)
and stops growing without traffic, and nothing is sent late when the link
comes back.
"""
import json
import os
import subprocess
import time

import pytest

from nfvlib import move_link, rm_dpdk_rundir, run, veth, wait_for

WIRE = """\
version: 1
ports:
  - {name: a, driver: af_packet, iface: %s}
  - {name: b, %s}
chains:
  - {name: fwd, ingress: [a], vnfs: [], egress: b}
"""

# N frames from the peer of port a: broadcast, an IPv4 ethertype, 64 bytes
SEND = r'''
import socket, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
f = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + b"\x08\x00" + b"\x45" + bytes(49)
for i in range(int(sys.argv[2])):
    s.send(f)
'''


def _quiet(ifname, ns=None):
    """No IPv6 chatter (router solicitations, MLD) of our own on ifname."""
    run(["sysctl", "-qw", "net.ipv6.conf.%s.disable_ipv6=1" % ifname], ns=ns)


def _ns_quiet(ns):
    run(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1",
         "net.ipv6.conf.default.disable_ipv6=1"], ns=ns)


def _send(ns, ifname, n):
    run(["python3", "-c", SEND, ifname, n], ns=ns)


def _rx_packets(ns, ifname):
    j = json.loads(run(["ip", "-s", "-j", "link", "show", ifname], ns=ns).stdout)
    return j[0]["stats64"]["rx"]["packets"]


def _port(nfvd, name):
    return nfvd.stats()["ports"][name]


def _link(nfvd, name):
    return nfvd.result("status")["ports"][name]["link"]


def _idle_window(seconds):
    t0 = time.monotonic()
    wait_for(lambda: time.monotonic() - t0 > seconds, seconds + 5, "%g s without traffic" % seconds)


def _drops_counted_once(nfvd, ns, src, n):
    """Send n frames into a; port b's tx_drops grows by about n (each once,
    whatever the device did with retries), then stays put without traffic."""
    before = _port(nfvd, "b")["tx_drops"]
    _send(ns, src, n)
    wait_for(lambda: _port(nfvd, "b")["tx_drops"] - before >= n, 10,
             "%d tx drops on b" % n)
    _idle_window(0.5)  # held packets, if any, are dropped within 1 ms
    settled = _port(nfvd, "b")["tx_drops"]
    _idle_window(1.5)
    after = _port(nfvd, "b")
    assert after["tx_drops"] == settled, "tx_drops grows without traffic: %d -> %d" % (
        settled, after["tx_drops"])
    # the other frames on a (none here: IPv6 is off) would be a handful
    assert n <= after["tx_drops"] - before <= n + 5, (before, after)
    return after


def test_af_packet_peer_down_then_deleted(nfvd_factory, ns_factory, tag):
    ns = ns_factory("n")
    _ns_quiet(ns)
    with veth(tag + "a0", tag + "a1", ns_b=ns), veth(tag + "b0", tag + "b1", ns_b=ns):
        _quiet(tag + "a0")
        _quiet(tag + "b0")
        nfvd = nfvd_factory(WIRE % (tag + "a0", "driver: af_packet, iface: %sb0" % tag))
        wait_for(lambda: _link(nfvd, "b") == "up", 10, "link b up")
        # the wire works
        rx0 = _rx_packets(ns, tag + "b1")
        _send(ns, tag + "a1", 20)
        wait_for(lambda: _rx_packets(ns, tag + "b1") - rx0 >= 20, 10, "20 frames on b1")

        # the peer goes down: b0 has no carrier
        run(["ip", "link", "set", tag + "b1", "down"], ns=ns)
        wait_for(lambda: _link(nfvd, "b") == "down", 10, "status: link b down")
        st = nfvd.stats()
        assert st["ports"]["b"]["link"] == "down"
        _drops_counted_once(nfvd, ns, tag + "a1", 343)
        assert nfvd.stats()["engine"]["drops"]["link-down"] >= 343

        # back up: nothing of the above comes out late
        rx1 = _rx_packets(ns, tag + "b1")
        run(["ip", "link", "set", tag + "b1", "up"], ns=ns)
        wait_for(lambda: _link(nfvd, "b") == "up", 10, "status: link b up again")
        _idle_window(1)
        assert _rx_packets(ns, tag + "b1") - rx1 <= 2, "frames sent late"
        _send(ns, tag + "a1", 20)
        wait_for(lambda: _rx_packets(ns, tag + "b1") - rx1 >= 20, 10, "20 frames on b1")
        _idle_window(0.5)
        assert _rx_packets(ns, tag + "b1") - rx1 <= 20 + 2, "frames sent late"

        # the veth is deleted (both ends): down, not "up"; drops once each
        run(["ip", "link", "del", tag + "b1"], ns=ns)
        wait_for(lambda: _link(nfvd, "b") == "down", 10, "status: link b down (gone)")
        _drops_counted_once(nfvd, ns, tag + "a1", 100)
        text = nfvd.nfvctl("status").stdout
        assert "down" in text, text
    rc, out = nfvd.stop()
    assert "port b link down" in out, out


def test_tap_interface_down(nfvd_factory, ns_factory, tag):
    ns = ns_factory("n")
    _ns_quiet(ns)
    with veth(tag + "a0", tag + "a1", ns_b=ns):
        _quiet(tag + "a0")
        nfvd = nfvd_factory(WIRE % (tag + "a0", "driver: tap, iface: %st" % tag))
        wait_for(lambda: _link(nfvd, "b") == "up", 10, "link b up")
        run(["ip", "link", "set", tag + "t", "down"])
        wait_for(lambda: _link(nfvd, "b") == "down", 10, "status: link b down")
        _drops_counted_once(nfvd, ns, tag + "a1", 343)


def test_tap_interface_gone(nfvd_factory, ns_factory, tag):
    """The tap's interface went into a namespace that was deleted: the
    device refuses every packet; each is dropped once after the hold
    bound, not retried (and counted) forever."""
    ns = ns_factory("n")
    _ns_quiet(ns)
    with veth(tag + "a0", tag + "a1", ns_b=ns):
        _quiet(tag + "a0")
        nfvd = nfvd_factory(WIRE % (tag + "a0", "driver: tap, iface: %st" % tag))
        peer = ns_factory("p")
        move_link(tag + "t", peer)
        run(["ip", "netns", "del", peer])
        wait_for(lambda: _link(nfvd, "b") != "up", 10, "status: link b not up")
        _drops_counted_once(nfvd, ns, tag + "a1", 343)


MEMIF_WIRE = """\
version: 1
ports:
  - {name: m, driver: memif, socket: %s, role: server}
chains:
  - {name: back, ingress: [m], vnfs: [], egress: m}
"""
TESTPMD = "/usr/bin/dpdk-testpmd"
# nfvd also sends frames of its own into m (a null port's): testpmd's one
# --tx-first burst is lost when it leaves before the memif link is up, and
# then nothing would loop (seen in CI as "frames
# looping through nfvd" failing at round 0, testpmd running)
MEMIF_WIRE_SEEDED = """\
version: 1
ports:
  - {name: m, driver: memif, socket: %s, role: server}
  - {name: gen, driver: "null", rx: true}
chains:
  - {name: back, ingress: [m], vnfs: [], egress: m}
  - {name: seed, ingress: [gen], vnfs: [], egress: m}
"""


@pytest.mark.parametrize("lcores", ["0,1", "1"], ids=["worker", "one-cpu"])
def test_memif_peer_killed_under_traffic(nfvd_factory, tmp_path, lcores):
    """A memif peer killed while frames flow both ways (testpmd io-forwards
    what nfvd sends back: a loop at full speed): DPDK's memif PMD unmaps the
    shared rings on its interrupt thread while a worker may be polling them
    (dataplane/unmap_guard.c); nfvd must live through every kill, show the
    link down, and take the next peer."""
    if not os.access(TESTPMD, os.X_OK):
        pytest.skip("dpdk-testpmd not installed")
    sock = tmp_path / "m.sock"
    nfvd = nfvd_factory(MEMIF_WIRE_SEEDED % sock, lcores=lcores)
    for i in range(12):
        prefix = "tpk%d_%d" % (os.getpid(), i)
        log = tmp_path / ("testpmd%d.log" % i)
        with open(log, "w") as lf:
            p = subprocess.Popen(
                [TESTPMD, "-l", "0,1", "--no-pci", "--in-memory", "--file-prefix", prefix,
                 "--log-level=3", "--vdev", "net_memif0,role=client,socket=%s,socket-abstract=no" % sock,
                 "--", "--forward-mode=io", "--tx-first", "--auto-start", "--no-mlockall"],
                stdin=subprocess.PIPE, stdout=lf, stderr=subprocess.STDOUT)
        try:
            rx0 = _port(nfvd, "m")["rx"]
            try:
                wait_for(lambda: _port(nfvd, "m")["rx"] - rx0 > 10000, 30,
                         "frames looping through nfvd (round %d)" % i)
            except AssertionError as e:
                # what the peer said (seen failing at round 0 in 2 CI runs
                # of 8, never locally: its start-up is the suspect)
                raise AssertionError("%s; testpmd %s; nfvd port m %s; testpmd's output:\n%s" % (
                    e, "running" if p.poll() is None else "exited %s" % p.returncode,
                    _port(nfvd, "m"), log.read_text()[-3000:])) from None
        finally:
            p.kill()
            p.wait()
            rm_dpdk_rundir(prefix)
        wait_for(lambda: _link(nfvd, "m") == "down", 10, "link m down after the kill (round %d)" % i)
    assert nfvd.proc.poll() is None, nfvd.output()
    assert nfvd.stats()["ports"]["m"]["link"] == "down"
    rc, out = nfvd.stop()
    assert rc == 0, out


MEMIF_CLIENT = """\
version: 1
ports:
  - {name: m, driver: memif, socket: %s, role: client}
  - {name: gen, driver: "null", rx: true}
  - {name: sink, driver: "null"}
chains:
  - {name: out, ingress: [gen], vnfs: [], egress: m}
  - {name: back, ingress: [m], vnfs: [], egress: sink}
"""


def test_memif_client_to_a_server_with_one_rx_queue(nfvd_factory, tmp_path):
    """nfvd as a memif client of another nfvd (the server: one rx queue):
    a client asking for more tx rings than the server has rx queues is
    refused by the server ("Invalid ring index") and its link stays down;
    nfvd's client asks for rx-queues rings each way. Frames go out, are
    hairpinned by the server and come back."""
    sock = tmp_path / "m.sock"
    server = nfvd_factory(MEMIF_WIRE % sock, name="server")
    client = nfvd_factory(MEMIF_CLIENT % sock, name="client")
    wait_for(lambda: _link(client, "m") == "up" and _link(server, "m") == "up", 20,
             "memif link up on both sides")
    wait_for(lambda: _port(client, "m")["rx"] > 10000, 30, "frames back from the server")
    assert _port(server, "m")["rx"] > 10000


@pytest.mark.parametrize("lcores", ["0,1", "1"], ids=["worker", "one-cpu"])
def test_memif_client_redials_a_server_that_restarts(nfvd_factory, tmp_path, lcores):
    """DPDK 22.11's memif client connects once, at device start: a server
    that goes away and comes back was never rejoined until nfvd restarted.
    nfvd's client now redials while its link is down (the port out of the
    workers' polling while the device is stopped and started): the server
    stopped, frames to it are counted as link-down drops, the server back,
    the link comes up again and frames come back from it."""
    sock = tmp_path / "m.sock"
    server = nfvd_factory(MEMIF_WIRE % sock, name="server")
    client = nfvd_factory(MEMIF_CLIENT % sock, name="client", lcores=lcores)
    wait_for(lambda: _link(client, "m") == "up", 20, "memif link up")
    wait_for(lambda: _port(client, "m")["rx"] > 10000, 30, "frames back from the server")

    server.stop()
    wait_for(lambda: _link(client, "m") == "down", 20, "the client's link down")
    down = client.stats()["engine"]["drops"]["link-down"]
    wait_for(lambda: client.stats()["engine"]["drops"]["link-down"] > down, 20,
             "frames to the gone server dropped as link-down")
    # redials that find no server: the client keeps running and answers
    tries = client.result("status")["ports"]["m"]["redials"]
    wait_for(lambda: client.result("status")["ports"]["m"]["redials"] >= tries + 2, 20,
             "two redials without a server")
    assert client.result("status")["ports"]["m"]["link"] == "down"

    server2 = nfvd_factory(MEMIF_WIRE % sock, name="server2")
    wait_for(lambda: _link(client, "m") == "up" and _link(server2, "m") == "up", 30,
             "the client rejoined the restarted server")
    rx = _port(client, "m")["rx"]
    wait_for(lambda: _port(client, "m")["rx"] > rx + 10000, 30, "frames back from the new server")
    assert client.proc.poll() is None
    # the PMD's error for a refused connect once, not once a second
    assert client.output().count("Failed to connect") <= 1, client.output()[-2000:]
