# SPDX-License-Identifier: BSD-3-Clause
"""nfv-dhcpgen, the DHCP client emulator of bench/dhcp_vs_kea.sh, against
real servers: nfvd's DHCP VNF over memif (a few hundred clients, each bound
exactly once at a unique address, then renewed and released, nfvd's own
counters agreeing) and ISC Kea at a low rate through an af_packet port on
a veth into Kea's namespace. No rate is asserted: the machine is shared."""
import json
import os
import shutil
import subprocess
import time

import pytest

import nfvlib

DHCPGEN = os.environ.get("NFV_DHCPGEN", os.path.join(nfvlib.BUILD, "bench", "dhcpgen", "nfv-dhcpgen"))

pytestmark = [
    pytest.mark.skipif(not os.access(DHCPGEN, os.X_OK), reason="nfv-dhcpgen not built: " + DHCPGEN),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (hugepages, namespaces)"),
]

N_CLIENTS = 300


def dhcpgen(tmp_path, vdev, args, ns=None, timeout=60):
    prefix = "dg%d%d" % (os.getpid(), int(time.monotonic() * 1000) % 100000)
    cmd = [DHCPGEN, "-l", "0", "--file-prefix", prefix, "--in-memory", "--no-pci", "--log-level=3",
           "--vdev", vdev, "--"] + [str(a) for a in args]
    try:
        p = subprocess.run(nfvlib._argv(cmd, ns), capture_output=True, text=True, timeout=timeout)
    finally:
        nfvlib.rm_dpdk_rundir(prefix)
    assert p.returncode == 0, p.stdout + p.stderr
    return json.loads(p.stdout.strip().splitlines()[-1])


def check_once(r, n):
    """Every client bound exactly once, no address twice, renewals and
    releases counted (a renewal may time out on a loaded machine: then it
    is counted as such, and that client sends no RELEASE)."""
    assert r["completed"] == n and r["clients_bound"] == n, r
    assert r["duplicate_addresses"] == 0 and r["malformed"] == 0
    assert r["naks"] == 0 and r["renew_naks"] == 0
    assert r["renews"] + r["timeouts"]["renew"] == n
    assert r["renews"] >= n // 2
    assert r["releases"] == r["renews"]
    lat = r["latency"]
    assert lat["exchange"]["count"] == n and lat["renew"]["count"] == r["renews"]
    e = lat["exchange"]
    assert 0 < e["min_us"] <= e["p50_us"] <= e["p99_us"] <= e["max_us"]
    assert sum(c for _, c in e["buckets_us"]) == n
    # the DISCOVER->ACK time holds the DISCOVER->OFFER and REQUEST->ACK times
    assert e["min_us"] >= lat["discover_offer"]["min_us"]


def test_emulator_binds_every_client_once_on_nfvd(nfvd_factory, tmp_path):
    sock = tmp_path / "m.sock"
    leases = tmp_path / "leases"
    d = nfvd_factory("""\
version: 1
ports:
  - {name: lan, driver: memif, socket: %s, role: server}
vnfs:
  - name: dhcp0
    class: dhcp
    interfaces: [{port: lan, address: 10.66.0.1/16}]
    lease-file: %s
    subnets:
      - subnet: 10.66.0.0/16
        pools: [{range: 10.66.1.0-10.66.1.199}, {range: 10.66.2.0-10.66.2.199}]
        options: {routers: [10.66.0.1], lease-time: 3600}
chains:
  - {name: lan-in, ingress: [lan], vnfs: [dhcp0]}
""" % (sock, leases), lcores="1")
    r = dhcpgen(tmp_path, "net_memif0,role=client,socket=%s,socket-abstract=no" % sock,
                ["-n", N_CLIENTS, "-x", N_CLIENTS, "-d", 40, "--once", "--renew", "--release",
                 "-r", 2000, "-t", 3000])
    check_once(r, N_CLIENTS)

    # nfvd saw the same: every RELEASE arrived (they have no answer: poll),
    # every binding and renewal was journaled, nothing left bound
    def server_done():
        s = d.stats()["vnfs"]["dhcp0"]
        return s if s["counters"]["release"] >= r["releases"] else None
    try:
        s = nfvlib.wait_for(server_done, 20, "nfvd to count the RELEASEs")
    except AssertionError:
        print(json.dumps(r), json.dumps(d.stats()["vnfs"]["dhcp0"]))
        raise
    c = s["counters"]
    assert c["release"] == r["releases"]
    assert c["ack"] >= N_CLIENTS + r["renews"] and c["nak"] == 0
    assert s["leases"]["bound"] == N_CLIENTS - r["releases"]
    assert s["journal"]["records"] >= N_CLIENTS + r["releases"]

    # a second round from the same clients (no --once: each exchange ends in
    # a RELEASE, the next one from a client may get another address): still
    # no address twice; the server's pool is 400, the clients 300
    r = dhcpgen(tmp_path, "net_memif0,role=client,socket=%s,socket-abstract=no" % sock,
                ["-n", N_CLIENTS, "-x", 2 * N_CLIENTS, "--release", "-w", 64, "-t", 3000])
    assert r["completed"] == 2 * N_CLIENTS and r["duplicate_addresses"] == 0, r
    assert r["naks"] == 0 and r["malformed"] == 0


KEA_CONF = """\
{"Dhcp4": {
  "interfaces-config": {"interfaces": ["%(ifname)s"], "dhcp-socket-type": "raw"},
  "lease-database": {"type": "memfile", "persist": true, "lfc-interval": 0,
                     "name": "%(dir)s/kea-leases.csv"},
  "valid-lifetime": 3600,
  "subnet4": [{"subnet": "10.66.0.0/16",
               "pools": [{"pool": "10.66.1.0 - 10.66.1.255"}],
               "option-data": [{"name": "routers", "data": "10.66.0.1"}]}],
  "loggers": [{"name": "kea-dhcp4", "severity": "INFO",
               "output_options": [{"output": "%(dir)s/kea.log"}]}]
}}
"""


@pytest.mark.skipif(shutil.which("kea-dhcp4") is None, reason="kea-dhcp4 not installed")
def test_emulator_against_kea_at_a_low_rate(ns_factory, tag, tmp_path):
    ns = ns_factory("k")
    ifname, outer = tag + "k", tag + "g"
    (tmp_path / "kea.json").write_text(KEA_CONF % {"ifname": ifname, "dir": tmp_path})
    with nfvlib.veth(outer, ifname, ns_b=ns):
        nfvlib.run(["ip", "-n", ns, "addr", "add", "10.66.0.1/16", "dev", ifname])
        nfvlib.run(["ip", "-n", ns, "link", "set", ifname, "up"])
        nfvlib.run(["ip", "link", "set", outer, "up"])
        env = dict(os.environ, KEA_PIDFILE_DIR=str(tmp_path), KEA_LOCKFILE_DIR=str(tmp_path))
        kea = subprocess.Popen(["ip", "netns", "exec", ns, "kea-dhcp4", "-c", str(tmp_path / "kea.json")],
                               env=env, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
        try:
            def started():
                assert kea.poll() is None, "kea-dhcp4 exited"
                try:
                    return "DHCP4_STARTED" in (tmp_path / "kea.log").read_text()
                except OSError:
                    return False
            nfvlib.wait_for(started, 30, "kea-dhcp4 to start")
            n = 100
            r = dhcpgen(tmp_path, "net_af_packet0,iface=%s" % outer,
                        ["-n", n, "-x", n, "-d", 40, "--once", "--renew", "--release", "-r", 200,
                         "-t", 3000, "--rxq", 1])
            check_once(r, n)
        finally:
            kea.terminate()
            kea.wait(10)
