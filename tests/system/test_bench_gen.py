# SPDX-License-Identifier: BSD-3-Clause
"""nfv-gen and nfv-bench with real DPDK ports: the generator's counts over
an in-process ring loop (IPv4, IPv6, IMIX), and the full nfv-bench run
(search, latency, loss; the self-check is left out: its ceiling on a
busy 2-CPU machine can be too low to test against) against a DUT whose
capacity is fixed on purpose (nfv-gen's policing reflector), which the
search must find."""
import json
import os
import subprocess
import threading

import pytest

from benchlib import NFV_GEN, assert_carried, run_nfv_bench
from nfvbench import report
from nfvlib import rm_dpdk_rundir

pytestmark = [
    pytest.mark.skipif(not os.access(NFV_GEN, os.X_OK), reason="nfv-gen not built: " + NFV_GEN),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (hugepages)"),
]


def gen_ring_trial(trial, stream="src=10.0.0.1,dst=10.1.0.1"):
    """One trial from ring port 0 back to itself (net_ring loops tx to rx)."""
    prefix = "tgen%d" % os.getpid()  # --in-memory still makes /var/run/dpdk/<prefix>
    cmd = [NFV_GEN, "-l", "1", "--in-memory", "--file-prefix", prefix, "--no-pci", "--log-level=3",
           "--vdev", "net_ring0", "--", "--stream", "tx=0,rx=0," + stream, "--trial", json.dumps(trial)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    finally:
        rm_dpdk_rundir(prefix)
    assert p.returncode == 0, p.stderr
    lines = [json.loads(x) for x in p.stdout.splitlines() if x.startswith("{")]
    assert lines[0] == {"ok": True}  # link up
    return lines[-1]


def test_gen_paced_rate_and_counts_over_a_ring():
    # paced: rate x time (60000), never more; less when the process was
    # kept off its core near the end of the trial - such a trial says what
    # it offered, and is run again (a busy machine; no exact rate)
    for _ in range(5):
        r = gen_ring_trial({"rate_pps": 200000, "duration_ms": 300, "size": 64, "flows": 64})
        assert r["ok"]
        assert r["rate_pps"] == 200000 and r["tx"] <= 60000
        assert r["offered_pps"] == pytest.approx(r["tx"] / r["duration_s"], rel=1e-6)
        if r["tx"] >= 0.9 * 60000:
            break
    else:
        raise AssertionError("5 trials offered less than 90%% of 200000 pps (last: %.0f)"
                             % r["offered_pps"])
    assert r["rx"] == r["tx"] and r["lost"] == 0
    assert r["dup"] == 0 and r["reorder"] == 0 and r["foreign"] == 0
    lat = r["latency_ns"]
    assert lat["count"] == r["rx"]
    assert 0 < lat["min"] <= lat["p50"] <= lat["p99"] <= lat["p99_9"] <= lat["max"]
    assert r["offered_l1_gbps"] == pytest.approx(r["offered_pps"] * 84 * 8 / 1e9, rel=0.001)
    # the generator's own scheduling gaps are recorded (how many depends on
    # the machine); no loss, so none is put down to them
    g = r["gaps"]
    assert g["threshold_us"] == 50 and g["slack_us"] >= 2000
    assert g["count"] >= 0 and g["max_us"] <= g["total_us"] + 1e-6
    assert g["holes_outside"] == g["missing_outside"] == 0 and r["loss_in_gap"] is False


def test_gen_ipv6_imix_and_count_mode():
    r = gen_ring_trial({"rate_pps": 0, "count": 12000, "size": "imix", "flows": 7},
                       stream="src=2001:db8::1,dst=2001:db8:1::1")
    assert r["tx"] == 12000 and r["rx"] == 12000 and r["lost"] == 0
    assert r["size"] == "imix" and r["streams"][0]["ip"] == "ipv6"


def test_gen_rejects_bad_trials():
    r = gen_ring_trial({"rate_pps": 1000, "duration_ms": 10, "size": 9000})
    assert not r["ok"] and "size" in r["error"]
    r = gen_ring_trial({"rate_pps": 1000, "duration_ms": 10, "gap_us": 0})
    assert not r["ok"] and "gap_us" in r["error"]


# Low enough that a 1024-slot memif ring rides out 100 ms off-core on a busy
# 2-CPU machine; the bucket is as deep (1000 packets), which at 1 s trials
# makes anything above 1.1 x LIMIT lose.
LIMIT = 10000


@pytest.mark.parametrize("wiring", ["memif", "vhost", "ring"])
def test_search_finds_the_policed_limit(tmp_path, wiring):
    bench = tmp_path / "police.yaml"
    bench.write_text("""\
name: police test
wiring: %s
sizes: [64]
flows: 16
trial_ms: 1000
search: {resolution: 0.02, max_pps: %d, verify_retries: 2}
selfcheck: false
latency_loads: [50, 90]
loss_steps: [100, 50]
back_to_back: {enabled: false}
cores: {gen: 0, dut: [1]}
systems:
  - {name: police, kind: police, police_pps: %d, police_depth_ms: 100}
""" % (wiring, 4 * LIMIT, LIMIT))
    out = tmp_path / "res"
    # the search lands on the policer's rate: never above it (the bucket
    # depth allows 1.1 x LIMIT at 1 s trials), below it only when the
    # machine kept the reflector off its CPU long enough to lose (two
    # repeats of a lossy trial; a whole run again, 3 at most, when the NDR
    # still ends below 0.7 x LIMIT: a load average of 20 on 2 CPUs does that)
    found = []
    for _ in range(3):
        rc, text = run_nfv_bench([bench, "-o", out, "--gen", NFV_GEN, "--build",
                                  os.path.dirname(NFV_GEN)])
        assert rc == 0, text
        res = json.loads((tmp_path / "res.json").read_text())
        assert report.validate(res) == []
        (pol,) = res["systems"]
        assert pol["error"] is None
        d = pol["sizes"]["64"]
        assert d["ndr"]["pps"] <= 1.15 * LIMIT, d["ndr"]
        found.append(d["ndr"]["pps"])
        if d["ndr"]["pps"] >= 0.7 * LIMIT:
            break
    else:
        raise AssertionError("NDR below 0.7 x %d in 3 runs: %r" % (LIMIT, found))
    assert d["ceiling_pps"] == 4 * LIMIT
    assert not d["ndr"]["capped"]
    assert d["ndr"]["pps"] <= d["pdr"]["pps"] <= 1.2 * LIMIT, d["pdr"]
    # loss at the full ceiling: at least what a policer at LIMIT must drop
    # of what the trial says it offered (the bucket passes 1.1 x LIMIT at
    # most); more when the machine stalls the reflector
    top = [x for x in d["loss_curve"] if x["load_pct"] == 100][0]
    assert top["rate_pps"] == 4 * LIMIT
    assert top["loss_ratio"] >= 1 - 1.1 * LIMIT / top["offered_pps"] - 0.01, top
    assert [x["load_pct"] for x in d["latency"]] == [50, 90]
    assert res["machine"]["cpus"] == os.cpu_count()
    assert res["method"]["wiring"].startswith(wiring)
    html = (tmp_path / "res.html").read_text()
    assert "police" in html and "<svg" in html
    assert "RFC 2544 zero-loss throughput" in text


# the common part of the bench files below: one 64-byte size, a capped
# search without the self-check, short trials
QUICK = """\
sizes: [64]
flows: 16
trial_ms: 500
selfcheck: false
latency_loads: [50]
loss_steps: [100]
back_to_back: {enabled: false}
cores: {gen: 0, dut: [0, 1]}
"""


def run_bench(tmp_path, bench):
    """nfv-bench on bench (nfvd from the build holding nfv-gen); the result,
    checked against the schema."""
    rc, text = run_nfv_bench([bench, "-o", tmp_path / "res", "--gen", NFV_GEN, "--build",
                              os.path.dirname(os.path.dirname(os.path.dirname(NFV_GEN)))])
    assert rc == 0, text
    res = json.loads((tmp_path / "res.json").read_text())
    assert report.validate(res) == []
    return res


def test_bidirectional_streams_through_nfvd_router(tmp_path):
    """bidirectional: true sends b -> a as well (mirrored addresses, to the
    DUT's out port MAC): a router chain must carry both directions (its
    reverse neighbour resolved by ARP from nfv-gen): some rate up to the
    cap passes with zero loss (on a quiet machine, the cap itself)."""
    bench = tmp_path / "bidi.yaml"
    bench.write_text(QUICK + """\
name: bidirectional test
bidirectional: true
search: {resolution: 0.05, max_pps: 100000}
systems:
  - {name: rtr, kind: nfvd, chain: bench/results/chains/router.yaml}
""")
    res = run_bench(tmp_path, bench)
    assert res["method"]["bidirectional"] is True
    (rtr,) = res["systems"]
    assert rtr["error"] is None
    assert any("tx=1,rx=0" in c for c in rtr["commands"])
    assert_carried(rtr["sizes"]["64"], 100000, rtr["name"])


def test_bidirectional_through_stateful_firewall(tmp_path):
    """The router+firewall chain drops UDP that starts on the WAN side
    (default drop, only the LAN may open connections): the b -> a stream
    passes only because each of its flows is the reply of an a -> b flow
    (mirror=1) that the learning trial let the firewall track."""
    bench = tmp_path / "bidi-fw.yaml"
    bench.write_text(QUICK.replace("flows: 16", "flows: 256") + """\
name: bidirectional stateful
bidirectional: true
search: {resolution: 0.05, max_pps: 100000}
systems:
  - {name: rtr-fw, kind: nfvd, chain: bench/results/chains/router-fw.yaml}
""")
    res = run_bench(tmp_path, bench)
    (sut,) = res["systems"]
    assert sut["error"] is None
    assert any("tx=1,rx=0" in c and "mirror=1" in c for c in sut["commands"])
    assert_carried(sut["sizes"]["64"], 100000, sut["name"])


def test_two_port_pairs(tmp_path):
    """pairs: 2 wires two a/b link pairs to every DUT kind: nfvd (a forward
    chain over in/out and in2/out2) and testpmd carry both pairs' streams
    without loss at some rate up to the cap (on a quiet machine, the cap)."""
    chain = tmp_path / "fwd2.yaml"
    chain.write_text("""\
version: 1
ports:
  - {name: in, driver: "null"}
  - {name: out, driver: "null"}
  - {name: in2, driver: "null"}
  - {name: out2, driver: "null"}
chains:
  - {name: c1, ingress: [in], vnfs: [], egress: out}
  - {name: c2, ingress: [in2], vnfs: [], egress: out2}
""")
    bench = tmp_path / "pairs.yaml"
    bench.write_text(QUICK + """\
name: two pairs
pairs: 2
search: {resolution: 0.05, max_pps: 200000}
systems:
  - {name: fwd2, kind: nfvd, chain: %s}
  - {name: testpmd, kind: testpmd}
""" % chain)
    res = run_bench(tmp_path, bench)
    assert res["method"]["pairs"] == 2
    for s in res["systems"]:
        assert s["error"] is None, s
        assert any("tx=2,rx=3" in c for c in s["commands"]), s["commands"]
        assert_carried(s["sizes"]["64"], 200000, s["name"])


@pytest.mark.skipif(os.cpu_count() < 2, reason="needs a forwarding core apart from the generator's")
def test_isolate_moves_other_tasks_off_the_forwarding_core_and_back(tmp_path):
    """isolate: true keeps the DUT's forwarding core (cores.dut[1:]) to it
    for the run: a process of the machine that may run anywhere (a sleep
    started before) is restricted to the other cores while nfv-bench
    measures, and gets its mask back after; so does the test itself."""
    bench = tmp_path / "iso.yaml"
    bench.write_text(QUICK + """\
name: isolate test
isolate: true
search: {resolution: 0.1, max_pps: 100000}
systems:
  - {name: fwd, kind: nfvd, chain: bench/results/chains/forward.yaml}
""")
    everywhere = os.sched_getaffinity(0)
    other = subprocess.Popen(["sleep", "600"])
    seen = set()
    stop = threading.Event()

    def watch():
        while not stop.is_set():
            try:
                seen.add(frozenset(os.sched_getaffinity(other.pid)))
            except OSError:
                return
            stop.wait(0.05)

    t = threading.Thread(target=watch)
    t.start()
    try:
        res = run_bench(tmp_path, bench)
    finally:
        stop.set()
        t.join()
        after = os.sched_getaffinity(other.pid)
        other.kill()
        other.wait()
    iso = res["machine"]["isolation"]
    assert iso["enabled"] and iso["isolated_cpus"] == [1], iso
    assert iso["tasks_moved"] > 0
    assert frozenset(everywhere - {1}) in seen, seen  # moved while measuring
    assert after == everywhere and os.sched_getaffinity(0) == everywhere  # and back
    (fwd,) = res["systems"]
    assert fwd["error"] is None
    d = fwd["sizes"]["64"]
    assert_carried(d, 100000, "fwd")
    # nfvd counts its forwarding thread's cycles: every trial says what it cost
    top = max(d["loss_curve"], key=lambda x: x["load_pct"])
    assert top["dut"]["cycles_per_packet"] > 0 and 0 < top["dut"]["busy_share"] <= 1, top
    assert d["limit"] in ("dut", "generator", "loss")
