# SPDX-License-Identifier: BSD-3-Clause
"""The lab chain (chains/examples/lab.yaml, the README demo): DHCP server,
stateful firewall and router in one chain. Real clients on the LAN get
their address, gateway and DNS from nfvd (busybox udhcpc from the pool,
dhclient for the reserved MAC), then reach the WAN host behind VLAN 20
through the firewall and the router with the route DHCP gave them.

    lan ns (DHCP) <tap a> nfvd [dhcp -> fw -> rtr] <tap b> VLAN 20: 10.81.2.2/24 wan ns
"""
import json
import shutil

import pytest

import nfvlib
from nfvlib import move_link, run, wait_for
from test_dhcp_server import client_ns, stop_clients  # noqa: F401 (fixture)


pytestmark = pytest.mark.skipif(shutil.which("dhclient") is None or
                                shutil.which("busybox") is None,
                                reason="needs dhclient and busybox")

# client script: record what was learned, set the address and the default
# route only (never the host's /etc/resolv.conf)
SCRIPT = """#!/bin/sh
out="%(out)s/${reason:-udhcpc-$1}"
env | grep -E '^(reason|new_|ip|router|dns|subnet|domain|lease)' | sort > "$out.tmp"
mv "$out.tmp" "$out"
addr="${new_ip_address:-$ip}"
gw="${new_routers:-$router}"
case "${reason:-$1}" in
BOUND|RENEW|REBIND|REBOOT|bound|renew)
    ip addr flush dev "$interface" scope global
    ip addr add "$addr/24" dev "$interface"
    ip route replace default via "${gw%% *}";;
esac
exit 0
"""


@pytest.fixture
def lab(nfvd_factory, client_ns, tag, tmp_path):
    conf = nfvlib.lab_conf("lab.yaml", tag)
    lan, wan = client_ns("l"), client_ns("w")
    d = nfvd_factory(conf)
    move_link(tag + "A", lan)
    move_link(tag + "B", wan)
    nfvlib.lab_wan_host(wan, tag + "B")
    script = tmp_path / "client.sh"
    script.write_text(SCRIPT % {"out": tmp_path})
    script.chmod(0o755)
    yield d, lan, wan, tag + "A", tmp_path


def learned(tmp, name):
    path = tmp / name
    wait_for(path.exists, 20, "client script call " + name)
    return dict(line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)


def default_route(ns):
    return run(["ip", "route", "show", "default"], ns=ns).stdout


def test_lab_lan_gets_address_and_routes_through(lab):
    d, lan, wan, ifc, tmp = lab
    script = str(tmp / "client.sh")
    # busybox udhcpc, any MAC: an address from the pool, the router as gateway
    run(["ip", "link", "set", ifc, "address", "02:81:01:00:00:33"], ns=lan)
    run(["busybox", "udhcpc", "-i", ifc, "-s", script, "-q", "-n", "-f", "-t", "5",
         "-T", "2"], ns=lan, timeout=60)
    got = learned(tmp, "udhcpc-bound")
    assert got["ip"].startswith("10.81.1.") and 100 <= int(got["ip"].split(".")[3]) <= 199
    assert got["router"] == "10.81.1.1" and got["dns"] == "10.81.1.1"
    assert "via 10.81.1.1" in default_route(lan)
    wait_for(lambda: run(["ping", "-c", "1", "-W", "1", "10.81.2.2"], ns=lan,
                         check=False).returncode == 0, 15, "LAN (udhcpc) -> WAN ping")

    # dhclient with the reserved MAC: the reservation's address
    run(["ip", "addr", "flush", "dev", ifc, "scope", "global"], ns=lan)
    run(["ip", "link", "set", ifc, "address", "02:81:01:00:00:02"], ns=lan)
    run(["dhclient", "-1", "-sf", script, "-lf", str(tmp / "dhclient.leases"),
         "-pf", str(tmp / "dhclient.pid"), ifc], ns=lan, timeout=60)
    # with its lease dhclient went on as a daemon: it must not outlive the test
    stop_clients(lan)
    got = learned(tmp, "BOUND")
    assert got["new_ip_address"] == "10.81.1.2"
    assert got["new_routers"] == "10.81.1.1"
    assert got["new_domain_name"] == "lab.example"
    assert "via 10.81.1.1" in default_route(lan)
    wait_for(lambda: run(["ping", "-c", "1", "-W", "1", "10.81.2.2"], ns=lan,
                         check=False).returncode == 0, 15, "LAN (dhclient) -> WAN ping")
    # TCP through firewall and router: iperf3 from the DHCP-configured host
    srv = nfvlib.popen(["iperf3", "-s", "-1", "-B", "10.81.2.2"], ns=wan)
    try:
        wait_for(lambda: "10.81.2.2:5201" in run(["ss", "-ltn"], ns=wan).stdout, 10,
                 "iperf3 server")
        r = run(["iperf3", "-c", "10.81.2.2", "-t", "2", "-J"], ns=lan, timeout=60)
        assert '"sum_received"' in r.stdout
    finally:
        srv.kill()
        srv.wait()
    # the WAN still cannot reach in: the firewall stands between
    assert run(["ping", "-c", "1", "-W", "1", "10.81.1.2"], ns=wan,
               check=False).returncode != 0

    r = d.nfvctl("--json", "dhcp", "leases")
    assert r.returncode == 0, r.stderr
    leases = {l["address"]: l for l in json.loads(r.stdout)["leases"]}
    assert leases["10.81.1.2"]["mac"].lower() == "02:81:01:00:00:02"
    assert leases["10.81.1.2"]["state"] == "bound"
    st = d.stats()["vnfs"]
    assert st["rtr"]["counters"]["forwarded-v4"] > 0
    assert st["fw"]["counters"]["ct-new"] > 0
