# SPDX-License-Identifier: BSD-3-Clause
"""Router VNF with real peers: two hosts in namespaces in different subnets,
h2 behind VLAN 20, joined to nfvd by tap ports.

    h1 (10.81.1.2/24, 2001:db8:81:1::2/64) --tap a-- rtr --tap b (VLAN 20)-- h2
                                                        (10.81.2.2/24, 2001:db8:81:2::2/64)

The kernel has no 8021q module: h2's VLAN is a tc BPF program on its
interface (tag 20 pushed on egress, popped on ingress), like a host on a
switch access port.
"""
import json
import os
import re
import subprocess
import threading

import pytest

import nfvlib
from nfvlib import ping, popen, reaches, run, wait_for

H1_4, H2_4, R1_4, R2_4 = "10.81.1.2", "10.81.2.2", "10.81.1.1", "10.81.2.1"
H1_6, H2_6, R1_6, R2_6 = ("2001:db8:81:1::2", "2001:db8:81:2::2",
                          "2001:db8:81:1::1", "2001:db8:81:2::1")
PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"

VLAN_BPF = r"""
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
SEC("tc_push") int vlan_push(struct __sk_buff *skb)
{
	bpf_skb_vlan_push(skb, bpf_htons(0x8100), VID);
	return TC_ACT_OK;
}
SEC("tc_pop") int vlan_pop(struct __sk_buff *skb)
{
	bpf_skb_vlan_pop(skb);
	return TC_ACT_OK;
}
char _license[] SEC("license") = "GPL";
"""


def router_conf(tag, **rtr):
    r = {"name": "rtr", "class": "router",
         "interfaces": [
             {"name": "lan", "port": "a", "addresses": [R1_4 + "/24", R1_6 + "/64"]},
             {"name": "wan", "port": "b", "vlan": 20, "mtu": 1280,
              "addresses": [R2_4 + "/24", R2_6 + "/64"]},
         ]}
    r.update(rtr)
    return {
        "version": 1,
        "ports": [{"name": "a", "driver": "tap", "iface": tag + "a"},
                  {"name": "b", "driver": "tap", "iface": tag + "b"}],
        "vnfs": [r],
        "chains": [{"name": "from-a", "ingress": ["a"], "vnfs": ["rtr"]},
                   {"name": "from-b", "ingress": ["b"], "vnfs": ["rtr"]}],
    }


def vlan_obj(tmp_path, vid):
    src, obj = tmp_path / "vlan.bpf.c", tmp_path / ("vlan%d.o" % vid)
    src.write_text(VLAN_BPF)
    run(["clang", "-O2", "-target", "bpf", "-DVID=%d" % vid,
         "-I/usr/include/x86_64-linux-gnu", "-c", str(src), "-o", str(obj)])
    return str(obj)


def host(ns, ifname, a4, a6, gw4, gw6, vlan_o=None):
    wait_for(lambda: os.path.exists("/sys/class/net/" + ifname), 10, "tap " + ifname)
    run(["ip", "link", "set", ifname, "netns", ns])
    if vlan_o:
        run(["tc", "qdisc", "add", "dev", ifname, "clsact"], ns=ns)
        run(["tc", "filter", "add", "dev", ifname, "egress", "bpf", "da", "obj", vlan_o,
             "sec", "tc_push"], ns=ns)
        run(["tc", "filter", "add", "dev", ifname, "ingress", "bpf", "da", "obj", vlan_o,
             "sec", "tc_pop"], ns=ns)
    run(["ip", "addr", "add", a4 + "/24", "dev", ifname], ns=ns)
    run(["ip", "addr", "add", a6 + "/64", "dev", ifname, "nodad"], ns=ns)
    run(["ip", "link", "set", ifname, "up"], ns=ns)
    run(["ip", "route", "add", "default", "via", gw4], ns=ns)
    run(["ip", "-6", "route", "add", "default", "via", gw6], ns=ns)


@pytest.fixture
def lab(nfvd_factory, ns_factory, tag, tmp_path):
    """start(**router_options) -> running Nfvd with .h1/.h2 namespaces."""
    def start(lcores="0,1", **rtr):
        nfvd = nfvd_factory(router_conf(tag, **rtr), lcores=lcores)
        nfvd.h1, nfvd.h2 = ns_factory("h1"), ns_factory("h2")
        nfvd.if1, nfvd.if2 = tag + "a", tag + "b"
        host(nfvd.h1, nfvd.if1, H1_4, H1_6, R1_4, R1_6)
        host(nfvd.h2, nfvd.if2, H2_4, H2_6, R2_4, R2_6, vlan_obj(tmp_path, 20))
        return nfvd
    return start


def rtr(nfvd):
    return nfvd.stats()["vnfs"]["rtr"]


def vnf_cmd(nfvd, cmd, **args):
    """Class command on the router (what `nfvctl route add ...` sends)."""
    # Nfvd.ctl() takes the command name as its own "cmd" argument
    return nfvlib._request(nfvd.sock, {"v": 1, "id": 1, "cmd": "vnf", "args": {
        "instance": "rtr", "cmd": cmd, "args": args}})


def scapy(ns, script, timeout=60):
    """Run a scapy script in ns; it prints one JSON line."""
    p = run([PY, "-c", "from scapy.all import *\nconf.verb = 0\n" + script], ns=ns,
            timeout=timeout)
    return json.loads(p.stdout.strip().splitlines()[-1])


def test_ping_v4_v6_across_subnets_and_vlan(lab):
    nfvd = lab()
    wait_for(lambda: reaches(nfvd.h1, H2_4), 20, "first IPv4 ping h1 -> h2")
    assert ping(nfvd.h1, H2_4, count=5) == (5, 5)
    assert ping(nfvd.h2, H1_4, count=5) == (5, 5)
    wait_for(lambda: reaches(nfvd.h1, H2_6, six=True), 20, "first IPv6 ping h1 -> h2")
    assert ping(nfvd.h1, H2_6, count=5, six=True) == (5, 5)
    # the router's own addresses answer, on both sides
    assert ping(nfvd.h1, R1_4, count=2) == (2, 2)
    assert ping(nfvd.h2, R2_6, count=2, six=True) == (2, 2)
    s = rtr(nfvd)
    assert s["counters"]["forwarded-v4"] >= 10
    assert s["counters"]["forwarded-v6"] >= 10
    assert s["control"]["echo-replies"] >= 4
    neigh = {n["address"]: n for n in vnf_cmd(nfvd, "neigh-show")["result"]["neighbours"]}
    assert neigh[H2_4]["interface"] == "wan" and neigh[H2_4]["state"] == "reachable"
    assert neigh[H1_6]["interface"] == "lan" and neigh[H1_6]["mac"]


def test_traceroute_lists_the_router(lab):
    nfvd = lab()
    # h2's own ICMP rate limit must not hide the last hop
    run(["sysctl", "-qw", "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0"],
        ns=nfvd.h2)
    wait_for(lambda: reaches(nfvd.h1, H2_4), 20, "IPv4 path")
    out = run(["traceroute", "-n", "-q", "1", "-N", "1", "-w", "2", H2_4], ns=nfvd.h1).stdout
    hops = re.findall(r"^\s*(\d+)\s+(\S+)", out, re.M)
    assert hops[:2] == [("1", R1_4), ("2", H2_4)], out
    wait_for(lambda: reaches(nfvd.h1, H2_6, six=True), 20, "IPv6 path")
    out = run(["traceroute6", "-n", "-q", "1", "-N", "1", "-w", "2", H2_6], ns=nfvd.h1).stdout
    hops = re.findall(r"^\s*(\d+)\s+(\S+)", out, re.M)
    assert hops[:2] == [("1", R1_6), ("2", H2_6)], out
    assert rtr(nfvd)["counters"]["punt-ttl-expired"] >= 2


def test_ping_record_route(lab):
    """ping -R (RFC 791 record route): through the router, the reply's route
    lists the router's wan address on the way out and its lan address on
    the way back; to the router itself, the address pinged is recorded in
    the echo reply (RFC 1122 3.2.2.6)."""
    nfvd = lab()
    wait_for(lambda: reaches(nfvd.h1, H2_4), 20, "IPv4 path")
    out = run(["ping", "-n", "-R", "-c", "1", "-W", "2", H2_4], ns=nfvd.h1).stdout
    rr = re.findall(r"^\s*(?:RR:)?\s+(\d+\.\d+\.\d+\.\d+)\s*$", out, re.M)
    assert R2_4 in rr and H2_4 in rr and R1_4 in rr, out
    assert rr.index(R2_4) < rr.index(H2_4) < rr.index(R1_4), out
    out = run(["ping", "-n", "-R", "-c", "1", "-W", "2", R1_4], ns=nfvd.h1).stdout
    assert "1 received" in out, out
    rr = re.findall(r"^\s*(?:RR:)?\s+(\d+\.\d+\.\d+\.\d+)\s*$", out, re.M)
    assert rr[:2] == [H1_4, R1_4], out
    # ping -T tsandaddr (RFC 791 timestamp, flag 1) through the router: the
    # router's egress address with a time, between h1's and h2's
    out = run(["ping", "-n", "-T", "tsandaddr", "-c", "1", "-W", "2", H2_4], ns=nfvd.h1).stdout
    ts = re.findall(r"^\s*(?:TS:)?\s+(\d+\.\d+\.\d+\.\d+)\s+-?\d+", out, re.M)
    assert ts[:3] == [H1_4, R2_4, H2_4], out


def test_large_ping_to_the_router(lab):
    """RFC 1122 3.3.2 / RFC 8200 4.5: ping -s 3000 to the router's own
    address, IPv4 and IPv6 (three fragments each way at MTU 1500):
    reassembled, answered in fragments."""
    nfvd = lab()
    wait_for(lambda: reaches(nfvd.h1, R1_4), 20, "the router")
    p = run(["ping", "-n", "-q", "-M", "dont", "-s", "3000", "-c", "3", "-i", "0.2", "-W", "2",
             R1_4], ns=nfvd.h1, check=False, timeout=60)
    assert "3 packets transmitted, 3 received" in p.stdout, (p.stdout, rtr(nfvd)["control"])
    c = rtr(nfvd)["control"]
    assert c["reassembled"] >= 3 and c["fragments-tx"] >= 9, c
    # IPv6 (RFC 8200 4.5): the same with fragment headers
    wait_for(lambda: reaches(nfvd.h1, R1_6, six=True), 20, "the router (IPv6)")
    p = run(["ping", "-6", "-n", "-q", "-s", "3000", "-c", "3", "-i", "0.2", "-W", "2", R1_6],
            ns=nfvd.h1, check=False, timeout=60)
    assert "3 packets transmitted, 3 received" in p.stdout, (p.stdout, rtr(nfvd)["control"])
    assert rtr(nfvd)["control"]["reassembled"] >= 6


def test_iperf3_tcp_and_udp(lab):
    nfvd = lab()
    wait_for(lambda: reaches(nfvd.h1, H2_4), 20, "IPv4 path")
    # moderate rates (the issue: "no loss at moderate rate"): an unpaced TCP
    # flow probes for the bottleneck by filling queues until it loses
    for args in (["-b", "100M", "-t", "3"], ["-u", "-b", "5M", "-t", "3"]):
        srv = popen(["iperf3", "-s", "-1", "-B", H2_4], ns=nfvd.h2)
        wait_for(lambda: ":5201" in run(["ss", "-ltnH"], ns=nfvd.h2).stdout, 10,
                 "iperf3 server")
        cli = run(["iperf3", "-c", H2_4, "-J"] + args, ns=nfvd.h1, check=False,
                  timeout=60)
        srv.wait(30)
        res = json.loads(cli.stdout)
        assert "error" not in res, res.get("error")
        end = res["end"]
        if "-u" in args:
            assert end["sum"]["packets"] > 1000
            assert end["sum"]["lost_packets"] == 0, end["sum"]
        else:
            # 100 Mbit/s for 3 s is 37.5 MB: most of it arrives
            assert end["sum_received"]["bytes"] > 20_000_000, end["sum_received"]
            assert end["sum_sent"]["retransmits"] < 50


def test_one_cpu_router_ping_and_iperf3(lab):
    """The lab router on one CPU (-l 1,1: control thread and a napping
    worker share it): ping both ways, then TCP at a moderate rate."""
    nfvd = lab(lcores="1,1")
    assert nfvd.result("status")["shared_cpu"] == 1
    wait_for(lambda: reaches(nfvd.h1, H2_4), 20, "IPv4 path")
    assert ping(nfvd.h1, H2_4, count=10, interval="0.05") == (10, 10)
    assert ping(nfvd.h2, H1_6, count=10, interval="0.05", six=True) == (10, 10)
    srv = popen(["iperf3", "-s", "-1", "-B", H2_4], ns=nfvd.h2)
    wait_for(lambda: ":5201" in run(["ss", "-ltnH"], ns=nfvd.h2).stdout, 10, "iperf3 server")
    cli = run(["iperf3", "-c", H2_4, "-J", "-b", "50M", "-t", "2"], ns=nfvd.h1, check=False,
              timeout=60)
    srv.wait(30)
    end = json.loads(cli.stdout)["end"]
    assert end["sum_received"]["bytes"] > 8_000_000, end["sum_received"]
    assert rtr(nfvd)["counters"]["forwarded-v4"] > 1000
    assert nfvd.stats()["workers"][0]["naps"] > 0


def test_arp_aging_and_reresolution(lab):
    nfvd = lab(**{"reachable-ms": 500, "retrans-ms": 200, "probes": 2})
    wait_for(lambda: reaches(nfvd.h1, H2_4), 20, "IPv4 path")

    def entry():
        for n in vnf_cmd(nfvd, "neigh-show")["result"]["neighbours"]:
            if n["address"] == H2_4:
                return n
        return None

    first = entry()
    # reachable time over -> stale -> unicast probe answered -> reachable again
    wait_for(lambda: entry()["replies"] >= first["replies"] + 2, 10,
             "the router to confirm h2 again by itself")
    assert entry()["mac"] is not None
    # h2 changes its MAC: the probes to the old one fail, the entry fails,
    # and the next packet resolves the new MAC
    new_mac = "02:81:00:00:02:99"
    run(["ip", "link", "set", nfvd.if2, "address", new_mac], ns=nfvd.h2)
    wait_for(lambda: entry()["state"] in ("failed", "reachable") and
             (entry()["mac"] or "").lower() != first["mac"].lower(), 15,
             "the old MAC to be withdrawn")
    wait_for(lambda: reaches(nfvd.h1, H2_4), 20, "ping after re-resolution")
    assert entry()["mac"].lower() == new_mac


def test_icmp_errors_received_by_sender(lab):
    nfvd = lab()
    wait_for(lambda: reaches(nfvd.h1, H2_4), 20, "IPv4 path")
    wait_for(lambda: reaches(nfvd.h1, H2_6, six=True), 20, "IPv6 path")
    got = scapy(nfvd.h1, f"""
import json
r = {{}}
a = sr1(IP(dst="10.200.0.1")/UDP(dport=9), timeout=3)
r["unreach"] = [a[ICMP].type, a[ICMP].code, a[IP].src] if a else None
a = sr1(IP(dst="{H2_4}", flags="DF")/UDP(dport=9)/Raw(b"x" * 1372), timeout=3)
r["fragneeded"] = [a[ICMP].type, a[ICMP].code, a[ICMP].nexthopmtu] if a else None
a = sr1(IP(dst="{H2_4}", ttl=1)/UDP(dport=33434), timeout=3)
r["ttl"] = [a[ICMP].type, a[ICMP].code, a[IP].src] if a else None
a = sr1(IPv6(dst="{H2_6}")/UDP(dport=9)/Raw(b"x" * 1300), timeout=3)
r["ptb"] = [a[ICMPv6PacketTooBig].mtu] if a and ICMPv6PacketTooBig in a else None
a = sr1(IPv6(dst="2001:db8:9999::1")/UDP(dport=9), timeout=3)
r["unreach6"] = [a[ICMPv6DestUnreach].code] if a and ICMPv6DestUnreach in a else None
print(json.dumps(r))
""")
    assert got["unreach"] == [3, 0, R1_4]
    assert got["fragneeded"] == [3, 4, 1280]
    assert got["ttl"] == [11, 0, R1_4]
    assert got["ptb"] == [1280]
    assert got["unreach6"] == [0]
    assert rtr(nfvd)["control"]["icmp-errors-tx"] >= 5


def test_fragments_oversize_without_df(lab):
    """A 1428-byte IPv4 packet without DF toward the WAN interface (MTU
    1280) is fragmented by the router (what a router does, RFC 791/1812);
    h2 reassembles and answers. With DF it is refused (frag-needed, above)."""
    nfvd = lab()
    wait_for(lambda: reaches(nfvd.h1, H2_4), 20, "IPv4 path")
    p = run(["ping", "-n", "-q", "-M", "dont", "-s", "1400", "-c", "3", "-i", "0.2", "-W", "2",
             H2_4], ns=nfvd.h1, check=False, timeout=30)
    assert " 0% packet loss" in p.stdout, p.stdout + p.stderr
    st = rtr(nfvd)
    assert st["counters"]["punt-fragment"] >= 3
    assert st["control"]["fragmented"] >= 3
    assert st["control"]["fragments-tx"] >= 6
    # larger than h1's own MTU: h1 fragments, the router fragments again
    p = run(["ping", "-n", "-q", "-M", "dont", "-s", "3000", "-c", "2", "-i", "0.2", "-W", "2",
             H2_4], ns=nfvd.h1, check=False, timeout=30)
    assert " 0% packet loss" in p.stdout, p.stdout + p.stderr


def test_malformed_packets_counted_by_reason(lab):
    nfvd = lab()
    wait_for(lambda: reaches(nfvd.h1, H2_4), 20, "IPv4 path")
    rmac = rtr(nfvd)["interfaces"][0]["mac"]
    before = rtr(nfvd)
    scapy(nfvd.h1, f"""
import json
e = Ether(dst="{rmac}")
er = Ether(dst="{rmac}", type=0x800)  # raw bytes after it are IPv4
ok = IP(src="{H1_4}", dst="{H2_4}")/UDP(dport=9)/Raw(b"y" * 20)
bad_sum = IP(bytes(ok)); bad_sum.chksum = 0x1234
raw = bytes(IP(bytes(ok)))
hdr = bytearray(raw[:20])
hdr[2:4] = (400).to_bytes(2, "big")  # total length beyond the frame
hdr[10:12] = bytes(2)
hdr[10:12] = checksum(bytes(hdr)).to_bytes(2, "big")
bad_len = bytes(hdr) + raw[20:]
frames = [
    e/bad_sum,
    er/Raw(bad_len),
    er/Raw(raw[:12]),
    e/IP(src="{H1_4}", dst="{H2_4}", options=[IPOption_LSRR(routers=["{H2_4}"])])/UDP(dport=9),
    e/IP(src="{H1_4}", dst="{H2_4}", ttl=0)/UDP(dport=9),
    e/IP(src="{H1_4}", dst="{H2_4}", ttl=1)/UDP(dport=9),
    er/Raw(b"\\x65" + raw[1:]),
]
sendp(frames, iface="{nfvd.if1}")
print(json.dumps(len(frames)))
""")

    def delta(kind, name):
        return rtr(nfvd)[kind][name] - before[kind][name]

    wait_for(lambda: delta("drops", "bad-checksum") == 1, 10, "bad-checksum drop")
    assert delta("drops", "bad-length") == 1
    assert delta("drops", "truncated") == 1
    assert delta("drops", "source-route") == 1  # (other options are forwarded)
    assert delta("drops", "bad-version") == 1
    assert delta("counters", "punt-ttl-expired") == 2
    assert nfvd.proc.poll() is None


def test_route_add_del_under_traffic_no_loss(lab):
    nfvd = lab()
    wait_for(lambda: reaches(nfvd.h1, H2_4), 20, "IPv4 path")
    result = {}

    def stream():
        result["ping"] = ping(nfvd.h1, H2_4, count=400, interval="0.01")

    t = threading.Thread(target=stream)
    t.start()
    n = 0
    while t.is_alive() and n < 200:
        p = "10.%d.%d.0/24" % (100 + n // 250, n % 250)
        r = vnf_cmd(nfvd, "route-add", prefix=p, via=H2_4)
        assert r["ok"], r
        if n % 2:
            assert vnf_cmd(nfvd, "route-del", prefix=p)["ok"]
        n += 1
    t.join()
    assert n >= 20
    assert result["ping"] == (400, 400)
    # bad CLI input is refused with a reason, nothing changes
    r = vnf_cmd(nfvd, "route-add", prefix="10.250.0.0/16", via="10.9.9.9")
    assert not r["ok"] and "not on any connected subnet" in json.dumps(r)
    r = vnf_cmd(nfvd, "route-add", prefix="10.250.0.1/16", via=H2_4)
    assert not r["ok"] and "host bits" in json.dumps(r)
    routes = vnf_cmd(nfvd, "route-show", family=4)["result"]["routes"]
    assert not any(x["prefix"].startswith("10.250.") for x in routes)
    assert sum(1 for x in routes if x["prefix"].startswith("10.10")) == n - n // 2


def test_bad_router_yaml_refused_with_position(nfvd_factory, tag):
    conf = router_conf(tag)
    conf["vnfs"][0]["interfaces"][1]["vlan"] = 4095
    conf["vnfs"][0]["routes"] = [{"prefix": "0.0.0.0/0", "via": "10.9.9.9"}]
    d = nfvd_factory(conf, start=False)
    p = subprocess.run(d.cmdline(), capture_output=True, text=True, timeout=60)
    d.cleanup()
    assert p.returncode == 1
    assert re.search(r"\.yaml:\d+:\d+: .*vlan", p.stderr), p.stderr
    assert re.search(r"\.yaml:\d+:\d+: .*not on any connected subnet", p.stderr), p.stderr
