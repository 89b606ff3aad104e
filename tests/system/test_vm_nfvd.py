# SPDX-License-Identifier: BSD-3-Clause
"""The project's own firewall inside a guest: nfvd runs on the virtio PMD in
the guest image (guest/build.sh nfvd.cpio.gz) with the chain file nfvctl
writes from the VNF's settings. Chain "up": lan -> [fw in a guest] -> wan;
its rule drops TCP to port 5201 and nothing else, so ping and iperf3 on
another port get through while port 5201 does not.
"""
import os
import subprocess

import pytest

from test_vm_guest import (NS_A, NS_B, TAG, Up, chain_file, guest_image,  # noqa: F401
                           netns, pytestmark, sh, wait_for)

FW = """    class: firewall
    default: allow
    rules:
      - {name: no-5201, action: drop, proto: tcp, dport: 5201, count: true}"""


@pytest.fixture(scope="module")
def fw_up(netns, guest_image, tmp_path_factory):
    if not os.path.exists(os.path.join(guest_image, "nfvd.cpio.gz")):
        pytest.skip("no nfvd guest image (guest/build.sh found no nfvd)")
    tmp = str(tmp_path_factory.mktemp("vmfw"))
    path, sock = chain_file(tmp, guest_image, boot_timeout=180)
    text = open(path).read()
    text = text.replace("    class: vm", FW).replace("bridge.cpio.gz", "nfvd.cpio.gz")
    text = text.replace("memory: 256", "memory: 512\n      vcpus: 2")
    with open(path, "w") as f:
        f.write(text)
    u = Up(path, sock, tmp)
    try:
        wait_for(lambda: (u.guest() or {}).get("state") == "running", 240,
                 "firewall guest running")
        yield u
    finally:
        u.down()


def tcp_open(port):
    return sh("ip netns exec %s nc -z -w 2 10.77.0.2 %d" % (NS_A, port),
              check=False).returncode == 0


def test_firewall_rule_applies_in_guest(fw_up):
    assert fw_up.guest()["class"] == "firewall"
    wait_for(lambda: sh("ip netns exec %s ping -c 1 -W 1 10.77.0.2" % NS_A,
                        check=False).returncode == 0, 60, "ping through the firewall guest")
    servers = [subprocess.Popen(["ip", "netns", "exec", NS_B, "iperf3", "-s", "-p", str(p)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for p in (5201, 5202)]
    try:
        wait_for(lambda: ":5202" in sh("ip netns exec %s ss -ltn" % NS_B).stdout, 10,
                 "iperf3 servers")
        r = sh("ip netns exec %s iperf3 -c 10.77.0.2 -p 5202 -t 2" % NS_A, timeout=30)
        assert "receiver" in r.stdout
        assert not tcp_open(5201)   # the guest's rule drops it
        assert tcp_open(5202)
    finally:
        for s in servers:
            s.kill()
            s.wait()
    st = fw_up.stats()["vnfs"]["br"]
    assert st["class"] == "vm" and st["counters"]["to-guest"] > 0
