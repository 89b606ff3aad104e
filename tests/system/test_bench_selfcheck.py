# SPDX-License-Identifier: BSD-3-Clause
"""The self-check (nfv-gen into its own reflector over memif, no DUT) on a
shared machine: loss of the measuring side is told from a DUT's (issue 16
item 2).

- The reflector writes its scheduling gaps to a log the generator reads
  (--gap-log / --peer-gaps): frames the link refused while the reflector was
  off its core (stopped on purpose here) are the measuring side's, and a
  trial that lost only so says so (loss_in_gap). The same stall in a
  reflector that is a DUT (no log) is the DUT's loss.
- The whole self-check search, with deeper rings and the repeats of trials
  that failed only in gaps, finds an NDR near its PDR (the goal: within 10 %
  on this machine; asserted loosely, 0.8, never an absolute rate).
"""
import json
import os
import signal
import subprocess
import tempfile
import threading
import time

import pytest

from benchlib import NFV_GEN, run_nfv_bench
from nfvbench import gen as nfvgen
from nfvbench import report

pytestmark = [
    pytest.mark.skipif(not os.access(NFV_GEN, os.X_OK), reason="nfv-gen not built: " + NFV_GEN),
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (hugepages)"),
]

RATE = 200000  # a 4096-slot ring holds 20 ms of it
STALL_S = 0.15  # the reflector stopped this long: ~26,000 frames refused


def _cleanup_prefix(prefix):
    nfvgen.cleanup_hugepages(prefix)
    subprocess.run(["rm", "-rf", "/var/run/dpdk/" + prefix], check=False)


def _stalled_trials(tag, with_log, tries=3):
    """Reflector (memif servers, lcore 1) and generator (memif clients with
    4096-slot rings, lcore 0); for each try, the reflector is stopped
    (SIGSTOP) for STALL_S from the start of a 600 ms trial at RATE. Yields
    the trial results."""
    d = tempfile.mkdtemp(prefix="b7sc.")
    gaps = os.path.join(d, "loop.gaps")
    lprefix, gprefix = "%sl" % tag, "%sg" % tag
    loop_cmd = [NFV_GEN, "-l", "1", "--file-prefix", lprefix, "--no-pci", "--log-level=3",
                "--socket-mem=256"] + nfvgen.memif_vdevs(d, "server") + [
                "--", "--loop", "0:1,1:0", "--rxq", "2"] + (["--gap-log", gaps] if with_log else [])
    log = open(os.path.join(d, "log.txt"), "w+")
    loop = subprocess.Popen(loop_cmd, stdout=log, stderr=log, stdin=subprocess.DEVNULL)
    g = None
    try:
        deadline = time.monotonic() + 30
        while not all(os.path.exists(os.path.join(d, n + ".sock")) for n in ("a", "b")):
            assert loop.poll() is None and time.monotonic() < deadline, open(log.name).read()
            time.sleep(0.05)
        g = nfvgen.Gen(NFV_GEN, d, 0, gprefix, ["tx=0,rx=1,src=10.0.0.2,dst=10.1.0.2"], log,
                       rxq=2, ring_slots=4096, peer_gaps=gaps if with_log else None)
        assert g.wait_link(20000), open(log.name).read()
        g.trial(10000, 64, 16, duration_ms=200)
        for _ in range(tries):
            loop.send_signal(signal.SIGSTOP)
            t = threading.Timer(STALL_S, loop.send_signal, (signal.SIGCONT,))
            t.start()
            try:
                res = g.trial(RATE, 64, 16, duration_ms=600)
            finally:
                t.join()
                loop.send_signal(signal.SIGCONT)
            yield res
    finally:
        if g:
            g.close()
        loop.send_signal(signal.SIGCONT)
        loop.send_signal(signal.SIGINT)
        try:
            loop.wait(20)
        except subprocess.TimeoutExpired:
            loop.kill()
            loop.wait()
        log.close()
        _cleanup_prefix(lprefix)
        _cleanup_prefix(gprefix)
        subprocess.run(["rm", "-rf", d], check=False)


def test_reflector_stall_is_the_measuring_sides(tag):
    """Self-check: the reflector's stall is the measuring side's loss."""
    seen = []
    for res in _stalled_trials(tag + "r", with_log=True, tries=4):
        assert res["ok"], res
        g = res["gaps"]
        assert res["peer_gaps"]["count"] >= 1 and res["peer_gaps"]["max_us"] >= 0.5e6 * STALL_S, res
        # refused frames leave no hole: their numbers went to the next ones
        assert res["tx_refused"] == g["refused_in_gap"] + g["refused_outside"], res
        # 150 ms stopped, a 20 ms ring: loss, unless the generator was
        # away just as long (then the try says nothing: next one)
        seen.append((res["lost"], res["loss_in_gap"], g["refused_peer_off"], g["refused_outside"]))
        if res["loss_in_gap"] and g["refused_peer_off"] > 0:
            break
    else:
        raise AssertionError("no trial put the stalled reflector's loss down to its gap: %r" % seen)


def test_dut_stall_is_the_duts(tag):
    """The same stall in a reflector that is not the measuring side (no gap
    log: a DUT) is loss outside any gap, unless the generator itself was
    away at the time (then it may catch up: at least one try must show it)."""
    seen = []
    for res in _stalled_trials(tag + "d", with_log=False, tries=4):
        assert "peer_gaps" not in res, res
        g = res["gaps"]
        seen.append((res["lost"], res["loss_in_gap"], g["refused_outside"]))
        if res["lost"] > 0 and not res["loss_in_gap"] and g["refused_outside"] > 0:
            break
    else:
        raise AssertionError("the DUT's stall was excused every time: %r" % seen)


def test_selfcheck_ndr_near_its_pdr(tmp_path):
    bench = tmp_path / "selfcheck.yaml"
    bench.write_text("""\
name: self-check alone
sizes: [64]
flows: 256
trial_ms: 200
search: {resolution: 0.1, verify_retries: 1, gap_retries: 2}
latency_loads: [50]
loss_steps: [100]
back_to_back: {enabled: false}
systems: []
""")
    # a run where the host starved the generator of CPU for the whole
    # search (no rate offered as asked: PDR 0, seen at load 24) says
    # nothing, nor one whose NDR bound was set by a failure that later
    # trials contradict (0.69 % lost at 6.4 Mpps, mostly in gaps, then 9.7
    # Mpps clean: NDR 6.0 against PDR 9.7, seen once in CI): another run,
    # up to three in all
    for _ in range(3):
        rc, text = run_nfv_bench([bench, "-o", tmp_path / "res", "--gen", NFV_GEN, "--build",
                                  os.path.dirname(NFV_GEN)], timeout=240)
        assert rc == 0, text
        res = json.loads((tmp_path / "res.json").read_text())
        assert report.validate(res) == []
        assert res["method"]["ring_slots"] == 4096 and res["method"]["goal_loss_ratio"] == 0.005
        (sc,) = res["systems"]
        assert sc["role"] == "selfcheck" and sc["error"] is None
        d = sc["sizes"]["64"]
        what = "NDR %r PDR %r trials %r" % (d["ndr"], d["pdr"], d["trials"])
        if d["pdr"]["pps"] > 0 and d["ndr"]["pps"] >= 0.8 * d["pdr"]["pps"]:
            break
    assert d["pdr"]["pps"] > 0 and d["ndr"]["pps"] > 0, what
    # the goal is 10 %; 0.8 leaves room for a host at load 20+
    assert d["ndr"]["pps"] >= 0.8 * d["pdr"]["pps"], what
    assert "gap_failed_trials" in d and all("gap_failed" in t for t in d["trials"])
    # the reflector's gaps were read per trial
    assert all("peer_gaps" in t for t in d["trials"]), what
    assert "self-check NDR / PDR: 64" in text
    # nfv-gen alone into a free sink: every frame sent came back, counted
    g = sc["gen_speed"]
    assert g.get("error") is None and g["rx_pps"] > 0 and g["lost"] == 0 and g["rx"] == g["tx"], g
    assert "nfv-gen alone on one core into a free sink" in text
