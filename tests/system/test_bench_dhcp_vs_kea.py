# SPDX-License-Identifier: BSD-3-Clause
"""bench/dhcp_vs_kea.sh end to end at a low rate: nfvd (af_packet and memif)
and Kea take turns, driven by nfv-dhcpgen; every server completes every
exchange it was offered with unique addresses, the result file holds the
machine line, one row per server and trial and the summary with each
server's zero-drop figure and the ratios to Kea; and the script leaves the
host as it found it (namespaces, veths, sysctls, DPDK run folders). No rate
is asserted: the machine is shared; the per-exchange timeout is long."""
import glob
import json
import os
import shutil
import subprocess

import pytest

import nfvlib

SCRIPT = os.path.join(nfvlib.REPO, "bench", "dhcp_vs_kea.sh")
DHCPGEN = os.path.join(nfvlib.BUILD, "bench", "dhcpgen", "nfv-dhcpgen")
SERVERS = ["nfvd", "nfvd-memif", "kea"]

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (namespaces, hugepages)"),
    pytest.mark.skipif(not os.access(DHCPGEN, os.X_OK), reason="nfv-dhcpgen not built"),
    pytest.mark.skipif(shutil.which("kea-dhcp4") is None, reason="kea-dhcp4 not installed"),
]


def sysctl(name):
    with open("/proc/sys/net/core/" + name) as f:
        return f.read().strip()


def netns():
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout


def test_dhcp_vs_kea_low_rate(tmp_path):
    before = {k: sysctl(k) for k in ("rmem_default", "rmem_max")}
    work_before = set(glob.glob("/var/tmp/nfvd-dhcpbench.*"))
    env = dict(os.environ, RATES="300", PERIOD="1", CLIENTS="1000", TIMEOUT_MS="5000",
               SERVERS=" ".join(SERVERS), PERF_RATE="0", TRIALS="2", QUEUE="1024",
               RESULTS_DIR=str(tmp_path))
    p = subprocess.run(["bash", SCRIPT, nfvlib.BUILD], env=env, capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    files = list(tmp_path.glob("dhcp_vs_kea-*.jsonl"))
    assert len(files) == 1, p.stdout[-2000:]
    lines = [json.loads(x) for x in files[0].read_text().splitlines()]
    head = lines[0]
    assert head["bench"] == "dhcp_vs_kea" and head["machine"]["cpus"] >= 1
    assert "RATES=300" in head["command"]
    rows = [r for r in lines if "exchanges_per_s" in r and "server" in r]
    for s in SERVERS:
        mine = [r for r in rows if r["server"] == s]
        assert mine, "no row for %s: %s" % (s, p.stdout[-2000:])
        last = mine[-1]
        # every exchange started completed, each client its own address
        assert last["started"] > 0 and last["completed"] == last["started"], last
        assert last["duplicate_addresses"] == 0 and last["naks"] == 0, last
        assert last["zero_drop"] is True and last["trial"] == len(mine)
        assert last["gen"]["clients_bound"] == last["completed"]
    journals = [r for r in lines if "journal" in r]
    assert {r["server"] for r in journals} == {"nfvd", "nfvd-memif"}
    assert all(r["journal"]["sync"] == "fdatasync" for r in journals)
    summary = lines[-1]
    assert summary["summary"] is True
    assert set(summary["zero_drop"]) == set(SERVERS)
    assert all(summary["zero_drop"][s] > 0 for s in SERVERS)
    assert set(summary["ratio_zero_drop_vs_kea"]) == {"nfvd", "nfvd-memif"}
    assert "ratio nfvd/kea (zero-drop)" in p.stdout
    # the host as it was
    assert {k: sysctl(k) for k in before} == before
    assert "dhcpbg" not in netns() and "dhcpbk" not in netns()
    assert not os.path.exists("/sys/class/net/dhcpb-nv")
    assert not os.path.exists("/var/run/dpdk/dhcpbench")
    assert not os.path.exists("/var/run/dpdk/dhcpbgen")
    assert set(glob.glob("/var/tmp/nfvd-dhcpbench.*")) == work_before
