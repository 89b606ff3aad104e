# SPDX-License-Identifier: BSD-3-Clause
"""The lab demo (chains/examples/lab-fw.yaml): a stateful firewall in front
of the router. LAN hosts reach the WAN host; the WAN cannot open
connections inward except to TCP 8080 of the LAN server; TCP elsewhere is
refused, the rest dropped; the counters show it.

    lan ns 10.81.1.2/24 gw .1 <tap a> nfvd [fw -> rtr] <tap b> VLAN 20: 10.81.2.2/24 gw .1 wan ns
"""

import pytest

import nfvlib
from nfvlib import move_link, run, wait_for
from test_fw_traffic import PY, SERVER, CONNECT, Lines, fw_ctl



@pytest.fixture
def lab(nfvd_factory, ns_factory, tag):
    conf = nfvlib.lab_conf("lab-fw.yaml", tag)
    lan, wan = ns_factory("l"), ns_factory("w")
    d = nfvd_factory(conf)
    move_link(tag + "A", lan, "10.81.1.2/24")
    move_link(tag + "B", wan)
    nfvlib.lab_wan_host(wan, tag + "B")
    run(["ip", "route", "add", "default", "via", "10.81.1.1"], ns=lan)
    procs = []

    def server(ns, *specs):
        p = Lines(nfvlib.popen([PY, "-u", "-c", SERVER] + list(specs), ns=ns,
                               stdin=nfvlib.subprocess.DEVNULL))
        procs.append(p)
        p.expect("ready", 10)

    yield d, lan, wan, server
    for p in procs:
        p.stop()


def connect(ns, host, port, timeout=2):
    return run([PY, "-c", CONNECT, host, port, 0, timeout], ns=ns).stdout.strip()


def test_fw_lab_demo(lab):
    d, lan, wan, server = lab
    server(lan, "tcp:8080", "tcp:22")
    server(wan, "tcp:80")
    # the LAN reaches the WAN host (first packets also resolve ARP on the router)
    wait_for(lambda: run(["ping", "-c", "1", "-W", "1", "10.81.2.2"], ns=lan,
                         check=False).returncode == 0, 15, "LAN -> WAN ping")
    assert connect(lan, "10.81.2.2", 80) == "ok"
    # the WAN reaches the one open service, nothing else
    assert connect(wan, "10.81.1.2", 8080) == "ok"
    assert connect(wan, "10.81.1.2", 22) == "refused"
    assert run(["ping", "-c", "1", "-W", "1", "10.81.1.2"], ns=wan,
               check=False).returncode != 0
    # the one ICMP opening: the WAN pings the router's own address
    assert run(["ping", "-c", "1", "-W", "2", "10.81.2.1"], ns=wan, check=False).returncode == 0
    rules = {r["name"]: r["hits"] for r in fw_ctl(d, "rules")["rules"]}
    assert rules["lan-out"] >= 2 and rules["web-in"] >= 1
    assert rules["wan-tcp-refused"] >= 1 and rules["default"] >= 1
    assert rules["ping-router"] >= 1
    conns = fw_ctl(d, "conns")["conns"]
    assert any(c["dport"] == 8080 and c["src"] == "10.81.2.2" for c in conns)
    assert any(c["dport"] == 80 and c["src"] == "10.81.1.2" for c in conns)
    out = d.nfvctl("stats")
    assert out.returncode == 0 and "fw" in out.stdout, out.stdout + out.stderr
