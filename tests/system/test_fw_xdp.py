# SPDX-License-Identifier: BSD-3-Clause
"""Firewall XDP early drop on an af_xdp port on a veth.

    lan ns (tap) <-> nfvd [fw] <-> af_xdp on veth <tag>X  ==  <tag>Y in wan ns

The port's xdp-prog is the firewall's fw_xdp.o; the firewall writes its
source-prefix drop rules into the program's LPM maps, so packets from a
denied source are dropped in the kernel (counted by the program, shown in
nfvd's stats) and never reach the data plane; other traffic goes through
the AF_XDP socket as usual.
"""
import os

import pytest

import nfvlib
from nfvlib import move_link, run, veth, wait_for

FW_XDP = os.path.join(nfvlib.BUILD, "vnfs", "firewall", "fw_xdp.o")


def conf(tag, xdp_prog):
    return {
        "version": 1,
        "ports": [{"name": "lan", "driver": "tap", "iface": tag + "L"},
                  {"name": "wan", "driver": "af_xdp", "iface": tag + "X",
                   "xdp-prog": xdp_prog}],
        "vnfs": [{"name": "fw", "class": "firewall", "default": "allow", "rules": [
            {"name": "bogon", "action": "drop", "src": "198.18.0.0/24", "count": True},
            {"name": "lan-ok", "action": "allow", "in-port": "lan"}]}],
        "chains": [{"name": "out", "ingress": ["lan"], "vnfs": ["fw"], "egress": "wan"},
                   {"name": "in", "ingress": ["wan"], "vnfs": ["fw"], "egress": "lan"}],
    }


@pytest.fixture
def xdpnet(nfvd_factory, ns_factory, tag):
    if not os.path.exists(FW_XDP):
        pytest.skip("fw_xdp.o not built: " + FW_XDP)
    lan, wan = ns_factory("l"), ns_factory("w")
    with veth(tag + "X", tag + "Y", ns_b=wan):
        run(["ip", "addr", "add", "10.9.0.2/24", "dev", tag + "Y"], ns=wan)
        run(["ip", "addr", "add", "198.18.0.5/24", "dev", tag + "Y"], ns=wan)
        d = nfvd_factory(conf(tag, FW_XDP))
        move_link(tag + "L", lan, "10.9.0.1/24")
        run(["ip", "addr", "add", "198.18.0.1/24", "dev", tag + "L"], ns=lan)
        yield d, lan, wan


def xdp(d):
    return d.stats()["vnfs"]["fw"].get("xdp", {}).get("wan", {})


def test_fw_xdp_early_drop(xdpnet):
    d, lan, wan = xdpnet
    st = wait_for(lambda: xdp(d).get("attached") and xdp(d), 10, "the XDP maps found")
    assert st["deny_prefixes"] == 1, st
    # allowed source: through the AF_XDP socket and the firewall
    wait_for(lambda: run(["ping", "-c", "1", "-W", "1", "10.9.0.1"], ns=wan,
                         check=False).returncode == 0, 15, "ping through af_xdp")
    rule_drops = d.stats()["vnfs"]["fw"]["drops"]["rule"]
    # denied source: dropped by the XDP program, never seen by the data plane
    r = run(["ping", "-c", "3", "-i", "0.2", "-W", "1", "-I", "198.18.0.5", "198.18.0.1"],
            ns=wan, check=False)
    assert r.returncode != 0
    wait_for(lambda: xdp(d)["drops"] >= 3, 5, "3 kernel drops")
    assert d.stats()["vnfs"]["fw"]["drops"]["rule"] == rule_drops

