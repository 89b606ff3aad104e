# SPDX-License-Identifier: BSD-3-Clause
"""The FRR lab (chains/examples/lab-frr.yaml, vnfs/router/lab-frr.sh) with
real daemons: nfvctl up runs nfvd and FRR (zebra -M dplane_fpm_nl, ospfd,
bgpd) in namespace <tag>r; the helper puts an FRR neighbour over OSPFv2
(<tag>-ospf), one over eBGP IPv4 and IPv6 (<tag>-bgp) and a SLAAC host
(<tag>-h1) on nfvd's taps. Each FRR has its own -N pathspace (<tag>,
<tag>o, <tag>b); all of it is removed after each test.

    h1 --tap a-- rtr (twins frr-lan, frr-ospf, frr-bgp) --tap o-- ospf
                                                        --tap b-- bgp

Timers are the example's: OSPF hello 1 s, dead 4 s; BGP keepalive 3 s,
hold 9 s, connect retry 2 s.
"""
import glob
import json
import os
import re
import signal
import subprocess
import time

import pytest
import yaml

import nfvlib
from nfvlib import NFVCTL, ping, reaches, run, wait_for
from test_frr_up import Up, pids

LAB_SH = os.path.join(nfvlib.REPO, "vnfs", "router", "lab-frr.sh")
EXAMPLE = os.path.join(nfvlib.REPO, "chains", "examples", "lab-frr.yaml")
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"
OSPF_DEAD = 4
BGP4, BGP6 = "10.82.2.2", "2001:db8:82:2::2"
GR_FILE = "/var/run/frr/ospfd-gr.json"  # ospfd 8.4 keeps it outside the pathspace


def sh(cmd, timeout=120):
    """A function of vnfs/router/lab-frr.sh"""
    return run(["bash", "-c", ". %s && %s" % (LAB_SH, cmd)], timeout=timeout,
               env=dict(os.environ, NFVCTL=NFVCTL))


def lab_conf(tag):
    with open(EXAMPLE) as f:
        conf = yaml.safe_load(f)
    conf.pop("nfvd", None)
    conf["frr"]["pathspace"] = tag
    return conf


class Lab:
    def __init__(self, tag, tmp, ns_factory):
        self.tag, self.tmp, self.ns_factory = tag, str(tmp), ns_factory
        self.up = None
        self.r = None
        self.h1, self.ospf, self.bgp = tag + "-h1", tag + "-ospf", tag + "-bgp"

    def start(self, conf=None, neighbours=True):
        self.r = self.ns_factory("r")
        self.up = Up(self.r, self.tmp, conf or lab_conf(self.tag))
        self.up.wait_up()
        if neighbours:
            sh("frr_lab_up %s %s %s" % (self.tag, self.r, self.tmp))
        return self

    @property
    def sock(self):
        return self.up.sock

    def vtysh(self, *cmds, ps=None):
        argv = ["vtysh", "-N", ps or self.tag]
        for c in cmds:
            argv += ["-c", c]
        return run(argv, check=False).stdout

    def bgp_states(self):
        """{neighbour address: state} of nfvd's bgpd"""
        out = self.vtysh("show bgp neighbors json")
        try:
            return {k: v.get("bgpState") for k, v in json.loads(out).items()}
        except ValueError:
            return {}

    def ospf_full(self):
        return "Full/" in self.vtysh("show ip ospf neighbor")

    def vnf(self, cmd, **args):
        r = nfvlib._request(self.sock, {"v": 1, "id": 1, "cmd": "vnf", "args": {
            "instance": "rtr", "cmd": cmd, "args": args}})
        assert r.get("ok"), r
        return r["result"]

    def routes(self):
        out = {}
        for x in self.vnf("route-show")["routes"]:
            out.setdefault(x["prefix"], []).append(x)
        return out

    def stats(self):
        return nfvlib._request(self.sock, {"v": 1, "id": 1, "cmd": "stats"})["result"]

    def rtr(self):
        return self.stats()["vnfs"]["rtr"]

    def learned(self, *prefixes):
        rt = self.routes()
        return rt if all(any(x.get("origin") == "frr" and x.get("selected")
                             for x in rt.get(p, [])) for p in prefixes) else None

    def routes4(self):
        r = self.rtr()
        return r["routes4"] if "routes4" in r else r["stats"]["routes4"]

    def ready(self):
        """frr_lab_ready: OSPF Full, both BGP sessions, the learned routes,
        h1's SLAAC address"""
        p = run(["bash", "-c", ". %s && frr_lab_ready %s %s %s" % (
            LAB_SH, self.tag, self.sock, self.tag)], check=False, timeout=30,
            env=dict(os.environ, NFVCTL=NFVCTL))
        return p.returncode == 0


@pytest.fixture
def frrlab(need_nfvd, tag, tmp_path, ns_factory):
    gr_before = os.path.exists(GR_FILE)
    lab = Lab(tag, tmp_path, ns_factory)
    try:
        yield lab
    finally:
        if lab.up is not None:
            lab.up.down()
        subprocess.run(["bash", "-c", ". %s && frr_lab_down %s" % (LAB_SH, tag)],
                       capture_output=True, timeout=60)
        for ps in (tag, tag + "o", tag + "b", tag + "b2"):
            for pid in pids(ps).values():
                os.kill(pid, signal.SIGKILL)
            subprocess.run(["rm", "-rf", "/var/run/frr/" + ps])
        if not gr_before and os.path.exists(GR_FILE):
            os.unlink(GR_FILE)


class Pinger:
    """A ping in the background (stopped with SIGINT, summary parsed)."""

    def __init__(self, ns, dst, interval="0.05"):
        self.p = nfvlib.popen(["ping", "-n", "-i", interval, "-W", "1", dst], ns=ns,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        out = self.p.communicate(timeout=20)[0]
        m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
        assert m, out
        return int(m.group(1)), int(m.group(2))


def test_ospf_full_routes_carry_traffic_and_link_down_withdraws(frrlab):
    lab = frrlab.start()
    wait_for(lab.ospf_full, 40, "OSPF Full through nfvd's port")
    rt = wait_for(lambda: lab.learned("10.82.10.0/24"), 30, "the OSPF stub in nfvd's RIB")
    r = rt["10.82.10.0/24"][0]
    assert r["source"] == "ospf" and r["via"] == "10.82.1.2" and r["interface"] == "ospf", r
    assert lab.vnf("route-get", address="10.82.10.1")["type"] == "gateway"
    wait_for(lambda: reaches(lab.h1, "10.82.10.1"), 20, "h1 -> 10.82.10.1 over OSPF's route")
    # the neighbour's link shut: gone from nfvd's FIB within the dead interval
    # (plus a poll and the host's load)
    run(["ip", "link", "set", "frrlab-o", "down"], ns=lab.ospf)
    t0 = time.monotonic()
    wait_for(lambda: "10.82.10.0/24" not in lab.routes(), OSPF_DEAD + 8,
             "10.82.10.0/24 withdrawn after the link went down")
    took = time.monotonic() - t0
    assert lab.vnf("route-get", address="10.82.10.1")["type"] == "no-route"
    assert not reaches(lab.h1, "10.82.10.1")
    print("withdrawn %.1f s after the link went down (dead interval %d s)" % (took, OSPF_DEAD))


def test_ebgp_v4_v6_established_and_10k_prefixes(frrlab):
    lab = frrlab.start()
    wait_for(lambda: (lambda s: s.get(BGP4) == "Established" and
                      s.get(BGP6) == "Established")(lab.bgp_states()), 40,
             "eBGP IPv4 and IPv6 sessions Established")
    rt = wait_for(lambda: lab.learned("10.82.20.0/24", "2001:db8:82:20::/64"), 30,
                  "the BGP routes in nfvd's RIB")
    assert rt["10.82.20.0/24"][0]["source"] == "bgp"
    assert rt["2001:db8:82:20::/64"][0]["source"] == "bgp"
    assert rt["2001:db8:82:20::/64"][0]["interface"] == "bgp"
    wait_for(lambda: reaches(lab.h1, "10.82.20.1"), 20, "h1 -> 10.82.20.1 over BGP")
    wait_for(lambda: lab.vnf("route-get", address="2001:db8:82:20::1")["type"] == "gateway",
             10, "the v6 route")
    wait_for(lambda: reaches(lab.h1, "2001:db8:82:20::1", six=True), 30,
             "h1 (SLAAC) -> 2001:db8:82:20::1 over BGP")
    # 10,000 prefixes: kernel routes of the neighbour's namespace, which its
    # zebra learns and its bgpd announces (redistribute kernel)
    wait_for(lab.ready, 40, "the whole lab converged (OSPF too)")
    base = lab.routes4()
    batch = os.path.join(lab.tmp, "routes.batch")
    with open(batch, "w") as f:
        for i in range(10000):
            f.write("route add blackhole 10.%d.%d.0/24\n" % (100 + i // 256, i % 256))
    run(["ip", "-batch", batch], ns=lab.bgp)
    run(["ip", "addr", "add", "10.120.7.1/32", "dev", "lo"], ns=lab.bgp)  # 10.120.7.0/24
    out = lab.vtysh("configure terminal", "router bgp 65002", "address-family ipv4 unicast",
                    "redistribute kernel", ps=lab.tag + "b")
    assert "%" not in out, out
    t0 = time.monotonic()
    wait_for(lambda: lab.routes4() >= base + 10000, 50,
             "10,000 prefixes in nfvd's FIB")
    print("10,000 prefixes in nfvd's FIB after %.1f s" % (time.monotonic() - t0))
    full = lab.routes4()
    rt = lab.routes()
    assert rt["10.120.7.0/24"][0]["source"] == "bgp" and rt["10.120.7.0/24"][0]["via"] == BGP4
    wait_for(lambda: reaches(lab.h1, "10.120.7.1"), 20, "h1 -> 10.120.7.1 (one of the 10,000)")
    # withdrawn: all of them leave the FIB, the traffic has no route
    out = lab.vtysh("configure terminal", "router bgp 65002", "address-family ipv4 unicast",
                    "no redistribute kernel", ps=lab.tag + "b")
    assert "%" not in out, out
    wait_for(lambda: lab.routes4() <= full - 10000, 50, "the 10,000 withdrawn")
    assert lab.vnf("route-get", address="10.120.7.1")["type"] == "no-route"
    assert not reaches(lab.h1, "10.120.7.1")
    assert "10.82.20.0/24" in lab.routes()


def ecmp_conf(tag):
    """The lab with a second BGP neighbour (port c, AS 65002 too) and
    maximum-paths 2 in nfvd's bgpd"""
    conf = lab_conf(tag)
    conf["ports"].append({"name": "c", "driver": "tap", "iface": "frrlab-c"})
    conf["vnfs"][0]["interfaces"].append(
        {"name": "bgp2", "port": "c", "host-if": "frr-bgp2",
         "addresses": ["10.82.3.1/24", "2001:db8:82:3::1/64"]})
    conf["chains"].append({"name": "from-c", "ingress": ["c"], "vnfs": ["rtr"]})
    text = conf["frr"]["config-text"]
    at = " neighbor 10.82.2.2 advertisement-interval 0\n"
    text = text.replace(at, at + " neighbor 10.82.3.2 remote-as 65002\n"
                        " neighbor 10.82.3.2 timers 3 9\n"
                        " neighbor 10.82.3.2 timers connect 2\n"
                        " neighbor 10.82.3.2 advertisement-interval 0\n")
    at = " address-family ipv4 unicast\n"
    text = text.replace(at, at + "  maximum-paths 2\n  neighbor 10.82.3.2 activate\n")
    conf["frr"]["config-text"] = text
    return conf


def udp_noports(ns):
    lines = [ln.split() for ln in open_in(ns, "/proc/net/snmp") if ln.startswith("Udp:")]
    return int(lines[1][lines[0].index("NoPorts")])


def open_in(ns, path):
    return run(["cat", path], ns=ns).stdout.splitlines()


def test_ecmp_over_two_bgp_neighbours_spreads_flows(frrlab):
    tag = frrlab.tag
    lab = frrlab.start(ecmp_conf(tag), neighbours=False)
    sh("frr_lab_h1 %s %s" % (tag, lab.r))
    for tap, name, mac, n, rid in (("frrlab-b", "bgp", "02:82:02:00:00:02", 2, 20),
                                   ("frrlab-c", "bgp2", "02:82:03:00:00:02", 3, 21)):
        # both announce 10.82.30.0/24 (each has 10.82.30.1 on its stub)
        sh("frr_lab_bgp_router %s %s %s %s %s %s 10.82.%d.2/24 2001:db8:82:%d::2/64 "
           "10.82.%d.1 2001:db8:82:%d::1 65002 10.82.255.%d 10.82.30.0/24 2001:db8:82:30::/64"
           % (tag, lab.r, lab.tmp, tap, name, mac, n, n, n, n, rid))
    rt = wait_for(lambda: (lambda r: r if len(r.get("10.82.30.0/24", [])) == 2 else None)(
        lab.routes()), 60, "10.82.30.0/24 over both neighbours in nfvd's RIB")
    assert {x["via"] for x in rt["10.82.30.0/24"]} == {"10.82.2.2", "10.82.3.2"}, rt
    assert {x["interface"] for x in rt["10.82.30.0/24"]} == {"bgp", "bgp2"}
    wait_for(lambda: reaches(lab.h1, "10.82.30.1"), 20, "h1 -> 10.82.30.1")
    ns1, ns2 = tag + "-bgp", tag + "-bgp2"
    before = udp_noports(ns1), udp_noports(ns2)
    # 128 flows (source ports), 4 datagrams each, to a closed port
    run([PY, "-c", r"""
import socket, time
for i in range(128):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("10.82.0.2", 20000 + i))
    for _ in range(4):
        s.sendto(b"x" * 32, ("10.82.30.1", 9))
        time.sleep(0.001)
    s.close()
"""], ns=lab.h1)
    got = wait_for(lambda: (lambda a, b: (a, b) if a + b >= 128 * 4 * 0.9 else None)(
        udp_noports(ns1) - before[0], udp_noports(ns2) - before[1]), 20,
        "the datagrams at the neighbours")
    # a flow hash: both neighbours get a share (each flow one way)
    assert min(got) >= 128 * 4 // 8, got
    print("flows spread: %d and %d datagrams" % got)


def zebra_pid(lab):
    return pids(lab.tag).get("zebra")


def test_zebra_killed_forwarding_continues_stale_until_resync(frrlab):
    """zebra killed: nfvctl up restarts it and, with it, bgpd and ospfd
    (FRR's daemons do not hand a new zebra their routes); nfvd forwards on
    the routes of the lost FPM session (stale) meanwhile and removes only
    those still stale at the resync: a prefix the neighbour withdrew while
    zebra was away is kept until then. The BGP neighbour's way back to h1
    is a static route here (its BGP session with nfvd restarts with bgpd):
    the ping measures nfvd's forwarding."""
    lab = frrlab.start()
    wait_for(lab.ready, 60, "the lab to converge")
    run(["ip", "route", "add", "10.82.0.0/24", "via", "10.82.2.1", "metric", "5"], ns=lab.bgp)
    # a second prefix from the neighbour, withdrawn while zebra is away
    run(["ip", "addr", "add", "10.82.21.1/24", "dev", "stub0"], ns=lab.bgp)
    out = lab.vtysh("configure terminal", "router bgp 65002", "address-family ipv4 unicast",
                    "network 10.82.21.0/24", ps=lab.tag + "b")
    assert "%" not in out, out
    wait_for(lambda: lab.learned("10.82.21.0/24"), 30, "10.82.21.0/24 in nfvd's RIB")
    wait_for(lambda: reaches(lab.h1, "10.82.20.1"), 20, "h1 -> 10.82.20.1")
    fpm0 = lab.rtr()["fpm"]
    old = zebra_pid(lab)
    ping = Pinger(lab.h1, "10.82.20.1")
    try:
        os.kill(old, signal.SIGKILL)
        wait_for(lambda: lab.rtr()["fpm"]["sessions-lost"] > fpm0["sessions-lost"], 20,
                 "nfvd to see zebra gone")
        out = lab.vtysh("configure terminal", "router bgp 65002", "address-family ipv4 unicast",
                        "no network 10.82.21.0/24", ps=lab.tag + "b")
        assert "%" not in out, out
        rt = lab.routes()
        # kept, marked stale, still forwarding
        for p in ("10.82.20.0/24", "10.82.10.0/24", "10.82.21.0/24"):
            assert rt[p][0].get("stale") is True, rt[p]
        assert lab.vnf("route-get", address="10.82.20.1")["type"] == "gateway"
        # zebra back, bgpd and ospfd restarted after it, the session up again
        wait_for(lambda: zebra_pid(lab) not in (None, old), 30, "zebra restarted")
        wait_for(lambda: lab.bgp_states().get(BGP4) == "Established" and
                 lab.learned("10.82.20.0/24") and
                 not lab.routes()["10.82.20.0/24"][0].get("stale"), 40,
                 "bgpd's routes through the new zebra:\n" + lab.up.output()[-2000:])
        f = lab.rtr()["fpm"]
        if f["resyncs"] == fpm0["resyncs"]:  # withdrawn, still kept before the resync
            rt = lab.routes()
            assert rt["10.82.21.0/24"][0].get("stale") is True, rt.get("10.82.21.0/24")
        wait_for(lambda: lab.rtr()["fpm"]["resyncs"] > fpm0["resyncs"], 40,
                 "the resync after zebra's restart")
        rt = lab.routes()
        assert "10.82.21.0/24" not in rt, rt.get("10.82.21.0/24")
        assert lab.rtr()["fpm"]["stale-removed"] > fpm0["stale-removed"]
        rt = wait_for(lambda: lab.learned("10.82.10.0/24"), 20, "ospfd's route")
        for p in ("10.82.20.0/24", "10.82.10.0/24", "2001:db8:82:20::/64"):
            assert p in rt and not any(x.get("stale") for x in rt[p]), (p, rt.get(p))
        assert reaches(lab.h1, "10.82.20.1")
    finally:
        sent, got = ping.stop()
    # forwarding never stopped: a few packets may go, not a gap
    assert sent >= 40 and sent - got <= max(5, sent // 20), (sent, got)
    assert "FRR bgpd restarts with zebra" in lab.up.output()


def retake(tap, ns, mac, *addrs, gw=None):
    """nfvd's new tap (after its restart) into the host namespace again"""
    wait_for(lambda: run(["ip", "link", "show", tap], ns=LAB_R[0], check=False).returncode == 0,
             30, "tap " + tap)
    run(["ip", "link", "set", tap, "netns", ns], ns=LAB_R[0])
    run(["ip", "link", "set", tap, "address", mac], ns=ns)
    for a in addrs:
        run(["ip", "addr", "add", a, "dev", tap] + (["nodad"] if ":" in a else []), ns=ns)
    run(["ip", "link", "set", tap, "up"], ns=ns)
    if gw:
        run(["ip", "route", "replace", "default", "via", gw], ns=ns)


LAB_R = [None]


def test_nfvd_restarted_under_running_frr_routes_come_back(frrlab):
    lab = frrlab.start()
    wait_for(lab.ready, 60, "the lab to converge")
    st = json.loads(run(["ip", "netns", "exec", lab.r, NFVCTL, "-s", lab.sock, "--json",
                         "status"]).stdout)
    old = st["pid"]
    zebra = zebra_pid(lab)
    os.kill(old, signal.SIGKILL)

    def new_nfvd():
        try:
            p = nfvlib._request(lab.sock, {"v": 1, "id": 1, "cmd": "status"}, 5)
            return p.get("ok") and p["result"].get("pid") not in (None, old)
        except (OSError, ValueError):
            return False
    wait_for(new_nfvd, 60, "nfvctl up to restart nfvd:\n" + lab.up.output())
    LAB_R[0] = lab.r
    retake("frrlab-a", lab.h1, "02:82:00:00:00:02", "10.82.0.2/24", gw="10.82.0.1")
    retake("frrlab-o", lab.ospf, "02:82:01:00:00:02", "10.82.1.2/24")
    retake("frrlab-b", lab.bgp, "02:82:02:00:00:02", "10.82.2.2/24", "2001:db8:82:2::2/64")
    # FRR kept running: zebra reconnects to the new nfvd and resends
    rt = wait_for(lambda: lab.learned("10.82.20.0/24", "10.82.10.0/24", "2001:db8:82:20::/64"),
                  60, "the learned routes back in the new nfvd")
    assert rt["10.82.20.0/24"][0]["source"] == "bgp"
    assert rt["10.82.10.0/24"][0]["source"] == "ospf"
    assert zebra_pid(lab) == zebra, "zebra was restarted too"
    wait_for(lambda: reaches(lab.h1, "10.82.20.1"), 30, "h1 -> 10.82.20.1 after the restart")
    wait_for(lambda: reaches(lab.h1, "10.82.10.1"), 30, "h1 -> 10.82.10.1 after the restart")


def test_flood_to_router_address_keeps_forwarding_and_bgp(frrlab):
    """The OSPF neighbour floods the router's address on its link (UDP to
    10.82.1.1, which goes to the twin): drops beyond host-punt-rate are
    counted, h1 -> BGP neighbour forwarding and the BGP session go on (a
    flood on h1's own link would fill that link's queue: any router's
    other traffic on it suffers)."""
    conf = lab_conf(frrlab.tag)
    conf["vnfs"][0]["host-punt-rate"] = 1000
    lab = frrlab.start(conf)
    wait_for(lambda: (lambda s: s.get(BGP4) == "Established")(lab.bgp_states()), 60,
             "the BGP session")
    wait_for(lambda: reaches(lab.h1, "10.82.20.1"), 30, "h1 -> 10.82.20.1")
    est = json.loads(lab.vtysh("show bgp neighbors %s json" % BGP4))[BGP4]
    base = lab.rtr()["drops"]["punt-local-rate-limit"]
    flood = nfvlib.popen([PY, "-c", r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.monotonic() + float(sys.argv[2])
msg = b"x" * 64
while time.monotonic() < end:
    for _ in range(100):
        try:
            s.sendto(msg, (sys.argv[1], 9999))
        except OSError:
            pass
""", "10.82.1.1", "12"], ns=lab.ospf)
    try:
        wait_for(lambda: lab.rtr()["drops"]["punt-local-rate-limit"] > base + 1000, 20,
                 "the flood to hit the host punt limit")
        # this host's CPUs are shared with the flood: a few echoes may go
        sent, got = ping(lab.h1, "10.82.20.1", count=20, interval="0.1")
        assert got >= 14, (sent, got)
    finally:
        flood.kill()
        flood.wait()
    now = json.loads(lab.vtysh("show bgp neighbors %s json" % BGP4))[BGP4]
    assert now["bgpState"] == "Established"
    assert now["connectionsEstablished"] == est["connectionsEstablished"], (est, now)
    assert now["connectionsDropped"] == est["connectionsDropped"]


def test_bad_input_refused_nothing_started(frrlab, tmp_path):
    """nfvctl up of the lab with a host interface name a kernel interface
    of nfvd's namespace has, or an FPM address it cannot bind: a clear
    start-up error and no FRR daemon left; a directory as FRR's config:
    file:line:col. (test_frr_up.py covers missing daemons and files,
    test_hostif.py names used twice, test_fpm.py a malformed address.)"""
    tag = frrlab.tag
    r = frrlab.ns_factory("x")
    run(["ip", "link", "add", "frr-lan", "type", "veth", "peer", "name", "frr-lanp"], ns=r)
    u = Up(r, tmp_path, lab_conf(tag))
    try:
        assert u.proc.wait(90) != 0
        out = u.output()
        assert "host-if frr-lan: a kernel interface of that name exists" in out, out
        assert pids(tag) == {} and not os.path.exists("/var/run/frr/" + tag), out
    finally:
        u.cleanup()
    conf = lab_conf(tag)
    conf["vnfs"][0]["fpm"]["listen"] = "192.0.2.1:2620"
    conf["frr"]["fpm"] = "192.0.2.1:2620"
    d = tmp_path / "fpm"
    d.mkdir()
    u = Up(frrlab.ns_factory("y"), d, conf)
    try:
        assert u.proc.wait(90) != 0
        out = u.output()
        assert "fpm: cannot listen on 192.0.2.1:2620" in out, out
        assert pids(tag) == {} and not os.path.exists("/var/run/frr/" + tag), out
    finally:
        u.cleanup()
    conf = lab_conf(tag)
    del conf["frr"]["config-text"]
    conf["frr"]["config"] = str(tmp_path)
    path = tmp_path / "bad.yaml"
    path.write_text(nfvlib._yaml_text(conf))
    p = run([NFVCTL, "validate", str(path)], check=False)
    assert p.returncode != 0
    assert re.search(r"bad\.yaml:\d+:\d+: frr\.config: cannot read \S+: not a regular file",
                     p.stdout + p.stderr), p.stdout + p.stderr


def test_demo_lab_frr():
    """scripts/demo.sh in its FRR mode: what it prints, nothing left behind"""
    demo = os.path.join(nfvlib.REPO, "scripts", "demo.sh")
    gr_before = os.path.exists(GR_FILE)
    env = dict(os.environ, NFVD_BUILD=nfvlib.BUILD,
               NFV_DEMO_CHAIN="chains/examples/lab-frr.yaml")
    p = subprocess.Popen([demo], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = p.communicate(timeout=150)
    except subprocess.TimeoutExpired:
        p.terminate()
        out, _ = p.communicate(timeout=60)
        raise AssertionError("demo not done after 150 s:\n" + out[-6000:])
    assert p.returncode == 0, out[-6000:]
    t = "nfvdemo%d" % p.pid
    ns = run(["ip", "netns", "list"]).stdout
    assert not [n for n in ns.split() if n.startswith(t + "-")], ns
    for g in ("/tmp/%s.*" % t, "/var/run/frr/%s*" % t, "/etc/netns/%s*" % t,
              "/var/run/dpdk/%s" % t):
        assert not glob.glob(g), g
    assert gr_before or not os.path.exists(GR_FILE)
    assert re.search(r"10\.82\.255\.10\s+1 Full/", out), out       # OSPF adjacency
    for peer in (r"10\.82\.2\.2", r"2001:db8:82:2::2"):             # sessions: prefixes
        assert re.search(peer + r"\s+4\s+65002\s+\d+\s+\d+\s+\d+\s+0\s+0\s+\S+\s+1\s+", out), out
    assert re.search(r"10\.82\.10\.0/24\s+unicast\s+\d+\s+ospf\s+ospf\s+yes", out), out
    assert re.search(r"10\.82\.20\.0/24\s+unicast\s+\d+\s+bgp\s+bgp\s+yes", out), out
    assert re.search(r"2001:db8:82:20::/64\s+unicast\s+\d+\s+bgp\s+bgp\s+yes", out), out
    assert re.search(r"64 bytes from 10\.82\.20\.1: icmp_seq=\d+ ttl=63", out), out
    assert "traceroute to 10.82.20.1" in out, out
    assert re.search(r"inet6 2001:db8:82:0:82:ff:fe00:2/64 scope global dynamic", out), out
    assert re.search(r"64 bytes from 2001:db8:82:20::1: icmp_seq=\d+ ttl=63", out), out
    assert "=== demo done" in out
