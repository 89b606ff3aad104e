# SPDX-License-Identifier: BSD-3-Clause
"""Two hosts (network namespaces) joined by nfvd over tap ports.

nfvd creates the taps; each test moves them into the hosts' namespaces,
then runs real ping and iperf3 between the hosts through nfvd.
"""
import json
import re
import threading

import pytest

from nfvlib import popen, run, wait_for

H1_IP, H2_IP = "10.78.0.1", "10.78.0.2"
N_STREAM = 5000  # pings in the live-apply stream (~10 s)
H1_MAC, H2_MAC = "02:78:00:00:00:01", "02:78:00:00:00:02"

FORWARD_VNFS = [
    {"name": "fwd-ab", "class": "forward", "port": "b"},
    {"name": "fwd-ba", "class": "forward", "port": "a"},
]


def tap_conf(tag, vnfs, stages_ab, stages_ba):
    return {
        "version": 1,
        "ports": [
            {"name": "a", "driver": "tap", "iface": tag + "a"},
            {"name": "b", "driver": "tap", "iface": tag + "b"},
        ],
        "vnfs": vnfs,
        "chains": [
            {"name": "ab", "ingress": ["a"], "vnfs": stages_ab},
            {"name": "ba", "ingress": ["b"], "vnfs": stages_ba},
        ],
    }


def host(ns, ifname, mac, addr):
    """Move nfvd's tap ifname into ns as that host's only interface."""
    wait_for(lambda: run(["ip", "link", "show", ifname], check=False).returncode == 0,
             10, "tap " + ifname)
    run(["ip", "link", "set", ifname, "netns", ns])
    # No IPv6: keeps the hosts quiet apart from the test's own traffic.
    run(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"], ns=ns)
    run(["ip", "link", "set", ifname, "address", mac], ns=ns)
    run(["ip", "addr", "add", addr + "/24", "dev", ifname], ns=ns)
    run(["ip", "link", "set", ifname, "up"], ns=ns)


def link_stats(ns, ifname):
    j = json.loads(run(["ip", "-j", "-s", "link", "show", "dev", ifname], ns=ns).stdout)
    return j[0]["stats64"]


@pytest.fixture
def hosts(nfvd_factory, ns_factory, tag):
    """start(conf) -> running Nfvd with h1 on port a and h2 on port b."""
    def start(conf):
        nfvd = nfvd_factory(conf)
        h1, h2 = ns_factory("h1"), ns_factory("h2")
        host(h1, tag + "a", H1_MAC, H1_IP)
        host(h2, tag + "b", H2_MAC, H2_IP)
        nfvd.h1, nfvd.h2 = h1, h2
        return nfvd
    return start


def ping(ns, dst, count, interval):
    """Run ping; return (transmitted, received)."""
    p = run(["ping", "-n", "-q", "-c", count, "-i", interval, "-W", "2", dst], ns=ns,
            check=False, timeout=count * max(float(interval), 0.01) + 30)
    m = re.search(r"(\d+) packets transmitted, (\d+) received", p.stdout)
    assert m, p.stdout + p.stderr
    return int(m.group(1)), int(m.group(2))


def iperf3_server(ns, addr):
    srv = popen(["iperf3", "-s", "-1", "-B", addr], ns=ns)
    wait_for(lambda: ":5201" in run(["ss", "-ltnH"], ns=ns).stdout, 10, "iperf3 server")
    return srv


def test_ping_and_iperf3_through_forward_chain(hosts, tag):
    nfvd = hosts(tap_conf(tag, FORWARD_VNFS, ["fwd-ab"], ["fwd-ba"]))

    sent, received = ping(nfvd.h1, H2_IP, 20, "0.05")
    assert (sent, received) == (20, 20)
    sent, received = ping(nfvd.h2, H1_IP, 20, "0.05")
    assert (sent, received) == (20, 20)

    srv = iperf3_server(nfvd.h2, H2_IP)
    cli = run(["iperf3", "-c", H2_IP, "-t", "3", "-J"], ns=nfvd.h1, check=False, timeout=60)
    srv.wait(30)
    res = json.loads(cli.stdout)
    assert cli.returncode == 0 and "error" not in res, cli.stdout
    assert res["end"]["sum_received"]["bytes"] > 1_000_000

    # Every frame a host sent reached nfvd, and every frame nfvd forwarded
    # reached the other host: the kernel's tap counters equal nfvd's.
    def counters_match():
        s = nfvd.stats()
        k1, k2 = link_stats(nfvd.h1, tag + "a"), link_stats(nfvd.h2, tag + "b")
        want = (k1["tx"]["packets"], k2["tx"]["packets"], k2["rx"]["packets"], k1["rx"]["packets"])
        got = (s["ports"]["a"]["rx"], s["ports"]["b"]["rx"],
               s["ports"]["b"]["tx"], s["ports"]["a"]["tx"])
        return got if got == want and s["chains"]["ab"]["rx"] == got[0] else None
    wait_for(counters_match, 10, "nfvd counters to match the hosts' tap counters")
    s = nfvd.stats()
    assert s["chains"]["ab"]["drops"] == 0 and s["chains"]["ba"]["drops"] == 0


def test_live_apply_under_traffic_loses_nothing(hosts, tag):
    counters = [{"name": "cnt-ab", "class": "counter"}, {"name": "cnt-ba", "class": "counter"}]
    rewrites = [
        {"name": "mac-ab", "class": "mac-rewrite", "src": H1_MAC, "dst": H2_MAC},
        {"name": "mac-ba", "class": "mac-rewrite", "src": H2_MAC, "dst": H1_MAC},
    ]
    conf_a = tap_conf(tag, counters + FORWARD_VNFS, ["cnt-ab", "fwd-ab"], ["cnt-ba", "fwd-ba"])
    conf_b = tap_conf(tag, rewrites + FORWARD_VNFS, ["mac-ab", "fwd-ab"], ["mac-ba", "fwd-ba"])
    nfvd = hosts(conf_a)
    # ARP resolved before the stream starts, so every ping is a data frame.
    assert ping(nfvd.h1, H2_IP, 1, "0.2") == (1, 1)
    # Frames the hosts sent while the taps were still being moved and set
    # up may have been dropped at tx: count drops from here on.
    base = nfvd.stats()

    result = {}
    done = threading.Event()

    def stream():
        try:
            result["ping"] = ping(nfvd.h1, H2_IP, N_STREAM, "0.002")  # ~500/s paced
        finally:
            done.set()

    t = threading.Thread(target=stream)
    t.start()
    try:
        gens = []
        for i in range(50):
            r = nfvd.apply(conf_b if i % 2 == 0 else conf_a)
            assert r.get("ok"), "apply %d refused: %s" % (i, r)
            gens.append(r["result"]["generation"])
            assert not done.is_set(), "traffic ended before apply %d: make the stream longer" % i
    finally:
        t.join(120)
    assert gens == sorted(set(gens)), "generations not increasing: %s" % gens

    sent, received = result["ping"]
    assert sent == N_STREAM and received == sent, "ping lost %d of %d" % (sent - received, sent)
    s = nfvd.stats()
    for name in ("ab", "ba"):
        assert s["chains"][name]["drops"] == base["chains"][name]["drops"], s["chains"]
    lost = {k: v - base["engine"]["drops"].get(k, 0) for k, v in s["engine"]["drops"].items()}
    assert sum(lost.values()) == 0, "engine drops during the applies: %s" % lost
    # back on conf_a (50 applies, even): the counters are the fresh instances'
    assert s["vnfs"]["cnt-ab"]["class"] == "counter"


def _kernel_mac(ifname):
    j = json.loads(run(["ip", "-j", "link", "show", "dev", ifname]).stdout)
    return j[0]["address"].lower()


def test_tap_kernel_side_does_not_share_the_ports_mac(nfvd_factory, tag):
    """The tap PMD gives the kernel side of a tap the port's own MAC; a host
    handed that interface would then talk to a router whose MAC is its own
    (src = dst in every capture). nfvd gives the kernel side the port's MAC
    with the last bit flipped: a port with a configured MAC and one with
    the PMD's random MAC."""
    conf = tap_conf(tag, FORWARD_VNFS, ["fwd-ab"], ["fwd-ba"])
    conf["ports"][1]["mac"] = "02:78:00:00:aa:01"
    nfvd = nfvd_factory(conf)
    ports = nfvd.result("status")["ports"]
    for name in ("a", "b"):
        wait_for(lambda: run(["ip", "link", "show", tag + name], check=False).returncode == 0,
                 10, "tap " + tag + name)
        port_mac, host_mac = ports[name]["mac"].lower(), _kernel_mac(tag + name)
        assert host_mac != port_mac, (name, host_mac)
        first = int(host_mac.split(":")[0], 16)
        assert first & 0x02 and not first & 0x01, host_mac  # locally administered unicast
    assert _kernel_mac(tag + "b") == "02:78:00:00:aa:00"
