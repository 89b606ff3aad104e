# SPDX-License-Identifier: BSD-3-Clause
"""Routes from FRR: the real zebra (Debian frr 8.4, -M dplane_fpm_nl) feeds
nfvd's router over FPM (docs/router.md, "Routes from FRR").

    h1 (10.91.1.2/24) --tap a-- rtr --tap b-- h2 (10.91.2.2/24, 10.99.0.1 on lo)
                                 |
      namespace R: nfvd + zebra + staticd (fpm address 127.0.0.1 port 2620);
      zebra's view of the subnets: a veth pair zv0 10.91.1.254/24,
      zv1 10.91.2.254/24 (no host twins here: next hops map to the router's
      interfaces by their connected subnet)

The route to 10.99.0.0/24 exists only in staticd's configuration.
"""
import os
import re
import shutil
import signal
import subprocess
import tempfile

import pytest

import nfvlib
from nfvlib import reaches, run, wait_for

H1, H2, R1, R2 = "10.91.1.2", "10.91.2.2", "10.91.1.1", "10.91.2.1"
H1_6, H2_6, R1_6, R2_6 = ("2001:db8:91:1::2", "2001:db8:91:2::2", "2001:db8:91:1::1",
                          "2001:db8:91:2::1")
FAR, FAR6 = "10.99.0.1", "2001:db8:99::1"
FPM_PORT = 2620

STATIC_CONF = """\
ip route 10.99.0.0/24 10.91.2.2
ip route 10.97.0.0/24 10.91.2.2
ip route 10.97.0.0/24 10.91.2.3
ip route 10.98.0.0/24 blackhole
ip route 10.96.0.0/24 10.91.2.2
ipv6 route 2001:db8:99::/64 2001:db8:91:2::2
"""


class NsNfvd(nfvlib.Nfvd):
    """nfvd in a network namespace (its FPM listener on that loopback)."""

    def __init__(self, ns, *a, **kw):
        super().__init__(*a, **kw)
        self.ns = ns

    def cmdline(self):
        return ["ip", "netns", "exec", self.ns] + super().cmdline()


def router_conf(tag, **fpm):
    f = {"listen": "127.0.0.1:%d" % FPM_PORT}
    f.update(fpm)
    return {
        "version": 1,
        "ports": [{"name": "a", "driver": "tap", "iface": tag + "a"},
                  {"name": "b", "driver": "tap", "iface": tag + "b"}],
        "vnfs": [{"name": "rtr", "class": "router", "fpm": f,
                  "interfaces": [
                      {"name": "lan", "port": "a", "addresses": [R1 + "/24", R1_6 + "/64"]},
                      {"name": "wan", "port": "b", "addresses": [R2 + "/24", R2_6 + "/64"]}]}],
        "chains": [{"name": "from-a", "ingress": ["a"], "vnfs": ["rtr"]},
                   {"name": "from-b", "ingress": ["b"], "vnfs": ["rtr"]}],
    }


class Frr:
    """zebra (+ staticd) in namespace ns with their own folder."""

    def __init__(self, ns, d, static_conf, zebra_extra=""):
        self.ns, self.d = ns, d
        os.makedirs(d, exist_ok=True)
        shutil.chown(d, "frr", "frr")
        self.write("zebra.conf", "fpm address 127.0.0.1 port %d\n%s" % (FPM_PORT, zebra_extra))
        self.write("staticd.conf", static_conf)
        self.procs = {}

    def write(self, name, text):
        p = os.path.join(self.d, name)
        with open(p, "w") as f:
            f.write(text)
        shutil.chown(p, "frr", "frr")

    def path(self, name):
        return os.path.join(self.d, name)

    def start(self, daemon):
        args = ["/usr/lib/frr/" + daemon, "-f", self.path(daemon + ".conf"),
                "-i", self.path(daemon + ".pid"), "-z", self.path("zserv.api"),
                "--vty_socket", self.d, "--log", "file:" + self.path(daemon + ".log")]
        if daemon == "zebra":
            args += ["-M", "dplane_fpm_nl"]
        out = open(self.path(daemon + ".out"), "a")
        self.procs[daemon] = subprocess.Popen(["ip", "netns", "exec", self.ns] + args,
                                              stdout=out, stderr=subprocess.STDOUT,
                                              stdin=subprocess.DEVNULL)
        out.close()
        if daemon == "zebra":
            wait_for(lambda: os.path.exists(self.path("zserv.api")), 20, "zebra's socket")

    def kill(self, daemon):
        p = self.procs.pop(daemon, None)
        if p is not None and p.poll() is None:
            p.send_signal(signal.SIGKILL)
            p.wait(10)
        if daemon == "zebra":
            for f in ("zserv.api", "zebra.vty"):
                if os.path.exists(self.path(f)):
                    os.unlink(self.path(f))

    def vtysh(self, *cmds):
        argv = ["vtysh", "--vty_socket", self.d]
        for c in cmds:
            argv += ["-c", c]
        return run(argv, ns=self.ns, check=False)

    def stop(self):
        for daemon in list(self.procs):
            self.kill(daemon)


def host(nsr, ns, ifname, a4, a6, gw4, gw6):
    wait_for(lambda: run(["ip", "link", "show", ifname], ns=nsr, check=False).returncode == 0,
             20, "tap " + ifname)
    run(["ip", "link", "set", ifname, "netns", ns], ns=nsr)
    run(["ip", "link", "set", "lo", "up"], ns=ns)
    run(["ip", "addr", "add", a4 + "/24", "dev", ifname], ns=ns)
    run(["ip", "addr", "add", a6 + "/64", "dev", ifname, "nodad"], ns=ns)
    run(["ip", "link", "set", ifname, "up"], ns=ns)
    run(["ip", "route", "add", "default", "via", gw4], ns=ns)
    run(["ip", "-6", "route", "add", "default", "via", gw6], ns=ns)


@pytest.fixture
def lab(need_nfvd, ns_factory, tag, tmp_path):
    """nfvd and FRR in namespace R, hosts h1 and h2."""
    made = []

    class Lab:
        def nfvd(self, conf=None, **fpm):
            d = NsNfvd(self.r, conf or router_conf(tag, **fpm), tmp_path,
                       name="nfvd%d" % len(made), lcores="0,1")
            made.append(d)
            return d.start()

    lab = Lab()
    lab.r, lab.h1, lab.h2 = ns_factory("r"), ns_factory("h1"), ns_factory("h2")
    run(["ip", "link", "set", "lo", "up"], ns=lab.r)
    run(["ip", "link", "add", "zv0", "type", "veth", "peer", "name", "zv1"], ns=lab.r)
    run(["ip", "addr", "add", "10.91.1.254/24", "dev", "zv0"], ns=lab.r)
    run(["ip", "addr", "add", "10.91.2.254/24", "dev", "zv1"], ns=lab.r)
    run(["ip", "addr", "add", "2001:db8:91:2::fe/64", "dev", "zv1", "nodad"], ns=lab.r)
    for z in ("zv0", "zv1"):
        run(["ip", "link", "set", z, "up"], ns=lab.r)
    # zebra runs as user frr: a folder it can reach (pytest's tmp is 0700)
    frr_dir = tempfile.mkdtemp(prefix="nfv-frr-")
    os.chmod(frr_dir, 0o755)
    lab.frr = Frr(lab.r, frr_dir, STATIC_CONF)
    try:
        yield lab
    finally:
        lab.frr.stop()
        for d in made:
            d.stop()
        shutil.rmtree(frr_dir, ignore_errors=True)


def start_hosts(lab, tag, far=True):
    host(lab.r, lab.h1, tag + "a", H1, H1_6, R1, R1_6)
    host(lab.r, lab.h2, tag + "b", H2, H2_6, R2, R2_6)
    if far:
        run(["ip", "addr", "add", FAR + "/32", "dev", "lo"], ns=lab.h2)
        run(["ip", "addr", "add", FAR6 + "/128", "dev", "lo"], ns=lab.h2)


def vnf_cmd(nfvd, cmd, **args):
    """A router command (what `nfvctl route show` sends)."""
    r = nfvlib._request(nfvd.sock, {"v": 1, "id": 1, "cmd": "vnf", "args": {
        "instance": "rtr", "cmd": cmd, "args": args}})
    assert r.get("ok"), r
    return r


def routes(nfvd):
    r = vnf_cmd(nfvd, "route-show")
    out = {}
    for x in r["result"]["routes"]:
        out.setdefault(x["prefix"], []).append(x)
    return out


def fpm_stats(nfvd):
    return nfvd.stats()["vnfs"]["rtr"]["fpm"]


def test_zebra_routes_feed_the_fib(lab, tag):
    nfvd = lab.nfvd()
    start_hosts(lab, tag)
    lab.frr.start("zebra")
    lab.frr.start("staticd")
    rt = wait_for(lambda: (lambda r: r if "10.99.0.0/24" in r and "2001:db8:99::/64" in r
                           and "10.97.0.0/24" in r and "10.98.0.0/24" in r else None)(
        routes(nfvd)), 30, "zebra's static routes in nfvd's RIB")
    far = rt["10.99.0.0/24"][0]
    assert far["source"] == "static" and far["origin"] == "frr", far
    assert far["via"] == H2 and far["interface"] == "wan" and far["selected"], far
    assert {x["via"] for x in rt["10.97.0.0/24"]} == {"10.91.2.2", "10.91.2.3"}
    assert rt["10.98.0.0/24"][0]["type"] == "blackhole"
    assert rt["2001:db8:99::/64"][0]["via"] == H2_6
    # traffic follows a route nfvd learned only from zebra
    wait_for(lambda: reaches(lab.h1, FAR), 20, "ping h1 -> 10.99.0.1 over zebra's route")
    wait_for(lambda: reaches(lab.h1, FAR6, six=True), 20, "ping h1 -> 2001:db8:99::1")
    g = vnf_cmd(nfvd, "route-get", address="10.98.0.7")["result"]
    assert g["type"] == "blackhole", g
    # delete: gone from the RIB, the FIB and the path
    r = lab.frr.vtysh("configure terminal", "no ip route 10.99.0.0/24 10.91.2.2")
    assert r.returncode == 0, r.stdout + r.stderr
    wait_for(lambda: "10.99.0.0/24" not in routes(nfvd), 20, "10.99.0.0/24 withdrawn")
    assert not reaches(lab.h1, FAR)
    # nfvctl shows the source
    p = nfvd.nfvctl("route", "show")
    lines = [ln.split() for ln in p.stdout.splitlines() if ln.startswith("  ")]
    assert lines and "source" in lines[0], (p.returncode, p.stdout, p.stderr)
    col = lines[0].index("source")  # a row without a column prints "-"
    src = {ln[0]: ln[col] for ln in lines[1:]}
    assert src["10.97.0.0/24"] == "static" and src["10.91.1.0/24"] == "connected", p.stdout


def start_frr(lab, nfvd, want=("10.99.0.0/24", "10.96.0.0/24")):
    lab.frr.start("zebra")
    lab.frr.start("staticd")
    return wait_for(lambda: (lambda r: r if all(p in r for p in want) else None)(routes(nfvd)),
                    30, "zebra's routes in nfvd's RIB")


class Pinger:
    """A ping running in the background (stopped with SIGINT, summary parsed)."""

    def __init__(self, ns, dst, interval="0.05"):
        self.p = nfvlib.popen(["ping", "-n", "-i", interval, dst], ns=ns,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)

    def stop(self):
        self.p.send_signal(signal.SIGINT)
        out = self.p.communicate(timeout=20)[0]
        m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
        assert m, out
        return int(m.group(1)), int(m.group(2))


def test_zebra_restart_keeps_forwarding(lab, tag):
    """zebra killed: its routes stay (stale) and carry traffic; zebra back:
    the resync replaces them and removes the one withdrawn meanwhile."""
    nfvd = lab.nfvd(**{"resync-ms": 2000})
    start_hosts(lab, tag)
    start_frr(lab, nfvd)
    wait_for(lambda: reaches(lab.h1, FAR), 20, "ping h1 -> 10.99.0.1 over zebra's route")
    ping = Pinger(lab.h1, FAR)
    try:
        wait_for(lambda: fpm_stats(nfvd)["frames"] > 0, 5, "frames")
        # zebra first: staticd gone first would have zebra withdraw its
        # routes (and nfvd follow) before zebra dies
        lab.frr.kill("zebra")
        lab.frr.kill("staticd")
        wait_for(lambda: not fpm_stats(nfvd)["connected"], 20, "nfvd to see zebra gone")
        rt = routes(nfvd)
        assert rt["10.99.0.0/24"][0].get("stale") is True, rt["10.99.0.0/24"]
        assert rt["10.96.0.0/24"][0].get("stale") is True
        # withdrawn while zebra is away: gone only after the next resync.
        # A zebra killed -9 leaves its routes in its namespace's kernel
        # table, and the next zebra reads them back as its own and sends
        # them again (metric 20, the kernel route's) until FRR's own sweep:
        # then nfvd rightly keeps the route. This test is about nfvd's
        # sweep of a route zebra no longer has: take zebra's leftover out.
        lab.frr.write("staticd.conf", STATIC_CONF.replace("ip route 10.96.0.0/24 10.91.2.2\n",
                                                          ""))
        run(["ip", "route", "del", "10.96.0.0/24"], ns=lab.r, check=False)
        assert reaches(lab.h1, FAR)  # still forwarding without zebra
        lab.frr.start("zebra")
        lab.frr.start("staticd")
        wait_for(lambda: fpm_stats(nfvd)["resyncs"] >= 1, 40, "the resync to complete")
        rt = routes(nfvd)
        assert "10.96.0.0/24" not in rt, rt.get("10.96.0.0/24")
        assert "stale" not in rt["10.99.0.0/24"][0], rt["10.99.0.0/24"]
        assert fpm_stats(nfvd)["stale-removed"] >= 1
        assert reaches(lab.h1, FAR)
    finally:
        sent, got = ping.stop()
    # a few packets may go at the kill or the restart, not the gap
    assert sent >= 20 and sent - got <= max(5, sent // 20), (sent, got)


def test_nfvd_restart_under_running_zebra(lab, tag):
    """nfvd stopped and started again: zebra reconnects, routes come back."""
    nfvd = lab.nfvd()
    start_hosts(lab, tag)
    start_frr(lab, nfvd)
    nfvd.stop()
    nfvd = lab.nfvd()
    start_hosts(lab, tag, far=False)  # nfvd's new taps
    rt = wait_for(lambda: (lambda r: r if "10.99.0.0/24" in r and "2001:db8:99::/64" in r
                           else None)(routes(nfvd)), 40, "routes back after nfvd's restart")
    assert rt["10.99.0.0/24"][0]["source"] == "static"
    wait_for(lambda: reaches(lab.h1, FAR), 20, "ping h1 -> 10.99.0.1 after nfvd's restart")
    assert fpm_stats(nfvd)["sessions"] == 1


def test_fpm_address_refused(nfvd_factory, tag, tmp_path):
    """A malformed listen address: file:line:col; one that cannot be bound:
    a clear start-up error."""
    conf = router_conf(tag)
    conf["vnfs"][0]["fpm"] = {"listen": "127.0.0.1:99999"}
    bad = nfvd_factory(conf, start=False)
    p = subprocess.run([nfvlib.NFVCTL, "validate", bad.file], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode != 0
    assert re.search(r":\d+:\d+: .*fpm.*listen.*ADDRESS:PORT", p.stdout + p.stderr), \
        p.stdout + p.stderr
    conf["vnfs"][0]["fpm"] = {"listen": "192.0.2.1:2620"}  # no such local address
    d = nfvd_factory(conf, start=False)
    with pytest.raises(AssertionError) as e:
        d.start()
    assert "fpm: cannot listen on 192.0.2.1:2620" in str(e.value), str(e.value)



def test_next_hops_by_host_twin(lab, tag):
    """With host interfaces, zebra sees the twins and names them by ifindex:
    an interface-only route (no gateway to map by subnet) lands on the
    twin's router interface."""
    conf = router_conf(tag)
    for f, n in zip(conf["vnfs"][0]["interfaces"], ("l", "w")):
        f["host-if"] = tag + n
    for z in ("zv0", "zv1"):  # zebra sees only the twins
        run(["ip", "link", "del", z], ns=lab.r, check=False)
    lab.frr.write("staticd.conf", "ip route 10.95.0.0/24 %sw\n"
                  "ip route 10.99.0.0/24 10.91.2.2\n" % tag)
    nfvd = lab.nfvd(conf=conf)
    lab.frr.start("zebra")
    lab.frr.start("staticd")
    rt = wait_for(lambda: (lambda r: r if "10.95.0.0/24" in r and "10.99.0.0/24" in r
                           else None)(routes(nfvd)), 30, "zebra's routes over the twins")
    on_link = rt["10.95.0.0/24"][0]
    assert on_link["interface"] == "wan" and "via" not in on_link, on_link
    assert rt["10.99.0.0/24"][0]["interface"] == "wan"
    # zebra's connected routes of the twins map too (and lose to the router's)
    assert fpm_stats(nfvd)["unresolved-nexthops"] == 0, fpm_stats(nfvd)
    assert [x["source"] for x in rt["10.91.2.0/24"]].count("connected") == 1
