# SPDX-License-Identifier: BSD-3-Clause
"""A chain mixing in-process and guest VNFs (chains/examples/vm_router_fw.yaml):
router (in nfvd) -> firewall (nfvd's own firewall inside a QEMU guest, on the
virtio PMD, image guest/build.sh nfvd.cpio.gz, settings passed in by nfvctl)
-> egress. Host A (10.78.1.2/24) and host B (10.78.2.2/24) are in different
subnets, so everything between them is routed. The guest's rule drops TCP to
port 23 and nothing else: ping and iperf3 get through, port 23 does not, and
the guest's own counters (its console) show the drops.
"""
import os
import re
import subprocess

import pytest

from test_vm_guest import (ROOT, Up, guest_image, hosts_down, hosts_up,  # noqa: F401
                           pytestmark, sh, wait_for)

TAG = "vmr"
NS_A, NS_B = TAG + "A", TAG + "B"
EXAMPLE = os.path.join(ROOT, "chains", "examples", "vm_router_fw.yaml")


@pytest.fixture(scope="module")
def routed_netns():
    hosts = [("lan", NS_A, "10.78.1.2/24", "10.78.1.1"), ("wan", NS_B, "10.78.2.2/24", "10.78.2.1")]
    hosts_up(TAG, hosts)
    yield
    hosts_down(TAG, hosts)


@pytest.fixture(scope="module")
def fw_up(routed_netns, guest_image, tmp_path_factory):
    if not os.path.exists(os.path.join(guest_image, "nfvd.cpio.gz")):
        pytest.skip("no nfvd guest image (guest/build.sh found no nfvd)")
    tmp = str(tmp_path_factory.mktemp("vmrfw"))
    run = os.path.join(tmp, "run")
    os.makedirs(run)
    text = open(EXAMPLE).read()
    text = text.replace("/run/nfvd/", run + "/").replace("/var/cache/nfvd/guest", guest_image)
    text = text.replace("iface: veth-lan", "iface: %s-lan0" % TAG)
    text = text.replace("iface: veth-wan", "iface: %s-wan0" % TAG)
    text = text.replace("      on-failure: drop",
                        "      on-failure: drop\n      accel: tcg\n      boot-timeout: 180")
    path = os.path.join(tmp, "vm.yaml")
    with open(path, "w") as f:
        f.write(text)
    u = Up(path, os.path.join(run, "nfvd.sock"), tmp)
    try:
        wait_for(lambda: (u.guest("fw") or {}).get("state") == "running", 240,
                 "firewall guest running")
        yield u
    finally:
        u.down()


def tcp_open(port):
    return sh("ip netns exec %s nc -z -w 2 10.78.2.2 %d" % (NS_A, port),
              check=False).returncode == 0


def guest_chain_drops(u):
    """The last live counter line the guest's nfvd printed on its console."""
    out = u.ctl("vm", "console", "fw").stdout
    m = re.findall(r"chain-fw: rx (\d+) tx (\d+) drop (\d+)", out)
    return tuple(int(x) for x in m[-1]) if m else None


def test_router_then_firewall_guest(fw_up):
    assert fw_up.guest("fw")["class"] == "firewall"
    wait_for(lambda: sh("ip netns exec %s ping -c 1 -W 1 10.78.2.2" % NS_A,
                        check=False).returncode == 0, 60, "ping across router + guest")
    # the router is a hop: TTL 64 arrives as 63
    r = sh("ip netns exec %s ping -c 3 -i 0.3 -W 2 10.78.2.2" % NS_A)
    assert "ttl=63" in r.stdout, r.stdout
    servers = [subprocess.Popen(["ip", "netns", "exec", NS_B, "iperf3", "-s", "-p", str(p)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for p in (23, 5201)]
    try:
        wait_for(lambda: ":5201" in sh("ip netns exec %s ss -ltn" % NS_B).stdout and
                 ":23 " in sh("ip netns exec %s ss -ltn" % NS_B).stdout, 10, "servers")
        r = sh("ip netns exec %s iperf3 -c 10.78.2.2 -p 5201 -t 2" % NS_A, timeout=60)
        assert "receiver" in r.stdout
        assert tcp_open(5201)
        assert not tcp_open(23)   # the guest's rule drops it
    finally:
        for s in servers:
            s.kill()
            s.wait()
    st = fw_up.stats()
    assert st["vnfs"]["rtr"]["counters"]["forwarded-v4"] > 0
    assert st["vnfs"]["fw"]["counters"]["to-guest"] > 0
    assert st["ports"]["fw-out"]["rx"] > 0  # came back from the guest
    # the firewall inside the guest counted the dropped SYNs (its console)
    wait_for(lambda: (guest_chain_drops(fw_up) or (0, 0, 0))[2] > 0, 15,
             "the guest firewall's drop counter on its console:\n" +
             fw_up.ctl("vm", "console", "fw").stdout[-3000:])
