# SPDX-License-Identifier: BSD-3-Clause
"""Helpers shared by the nfv-bench tests (tests/system/test_bench_*.py)."""
import glob
import os
import random
import shutil
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("NFVD_BUILD", os.path.join(REPO, "build"))
NFV_GEN = os.environ.get("NFV_GEN", os.path.join(BUILD, "bench", "gen", "nfv-gen"))
NFV_BENCH = os.path.join(REPO, "bench", "nfv-bench")
sys.path.insert(0, os.path.join(REPO, "bench"))


def run_nfv_bench(args, timeout=600):
    """bench/nfv-bench ARGS (Debian's python3, from the repository); returns
    (exit code, stdout + stderr). Removes what DPDK leaves behind for the
    file prefixes nfv-bench used (bench<its pid>_<n>, run.py)."""
    p = subprocess.Popen(["/usr/bin/python3", NFV_BENCH] + [str(a) for a in args],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, cwd=REPO)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.kill()
        out, _ = p.communicate()
    finally:
        for d in glob.glob("/var/run/dpdk/bench%d_*" % p.pid):
            shutil.rmtree(d, ignore_errors=True)
        for f in glob.glob("/dev/hugepages/bench%d_*" % p.pid):
            try:
                os.unlink(f)
            except OSError:
                pass
    return p.returncode, out


def assert_carried(d, cap, who=""):
    """d: one size of an nfv-bench result whose search was capped at cap
    (max_pps). What a functional test can ask of a DUT on a busy 2-CPU
    machine: some rate passed with zero loss (every stream of every pair and
    direction arrived: a miswired pair or a dropped direction loses at any
    rate, NDR 0), never above the cap, and the NDR is the rate the passing
    trial really offered. Never an exact rate: a trial at the cap may offer
    a little less (e.g. 199040 for 200000 after a 321 ms stall near its
    end) and says so (trials: rate_pps asked, offered_pps sent); how high
    the NDR gets depends on the machine's load. Returns the NDR."""
    from nfvbench import method
    ndr = d["ndr"]
    what = "%s: NDR %r, trials %r" % (who, ndr, d["trials"])
    # zero loss, or loss that was all the generator's own (gap_excused)
    assert 0 < ndr["pps"] <= cap and (ndr["loss_ratio"] == 0 or ndr.get("gap_excused")), what
    passed = [t for t in d["trials"] if t["ndr_pass"]
              and min(t["rate_pps"], t["offered_pps"]) == ndr["pps"]]
    assert passed, what  # credited with what the trial offered, never more
    if ndr["capped"]:
        t = passed[-1]
        assert t["rate_pps"] == cap and t["offered_pps"] >= method.GEN_LIMITED * cap, what
    return ndr["pps"]


class FakeDut:
    """A DUT on paper: forwards everything up to limit_pps, drops the excess;
    below the limit, a trial sees a transient loss with probability flake."""

    def __init__(self, limit_pps, flake=0.0, seed=1, gen_max_pps=None):
        self.limit = limit_pps
        self.flake = flake
        self.rng = random.Random(seed)
        self.gen_max = gen_max_pps
        self.calls = []

    def trial(self, rate, duration_ms=1000, count=0):
        self.calls.append(rate)
        offered = min(rate, self.gen_max) if self.gen_max else rate
        tx = int(offered * duration_ms / 1000)
        lost = max(0, int((offered - self.limit) * duration_ms / 1000))
        if lost == 0 and self.rng.random() < self.flake:
            lost = 3
        lat = {"count": tx - lost, "min": 1000, "mean": 2000.0, "p50": 1800, "p90": 2500, "p99": 4000,
               "p99_9": 9000, "max": 20000, "p99_99": 15000}
        return {"offered_pps": offered, "tx": tx, "rx": tx - lost, "lost": lost,
                "loss_ratio": lost / tx if tx else 0.0, "latency_ns": lat, "duration_s": duration_ms / 1000}


class GapHostDut(FakeDut):
    """The self-check on a busy host, on paper: the DUT forwards everything
    up to limit_pps; at every rate, with probability host_loss, the
    generator's own lcore is off its core long enough to lose 0.05-0.4 %
    of the trial, and nfv-gen says so (loss_in_gap: every missing packet
    seen right after a gap). DUT loss above the limit is never the gap's:
    where both occur, loss_in_gap is false."""

    def __init__(self, limit_pps, host_loss=1.0, seed=3):
        super().__init__(limit_pps, seed=seed)
        self.host_loss = host_loss
        self.gap_trials = 0

    def trial(self, rate, duration_ms=1000, count=0):
        r = super().trial(rate, duration_ms, count)
        gaps = {"threshold_us": 50.0, "slack_us": 2000.0, "count": 0, "total_us": 0.0, "max_us": 0.0,
                "holes_in_gap": 0, "holes_outside": 0, "missing_in_gap": 0, "missing_outside": 0}
        if r["lost"]:
            gaps["holes_outside"], gaps["missing_outside"] = 1, r["lost"]
        if self.rng.random() < self.host_loss:
            self.gap_trials += 1
            lost = max(1, int(r["tx"] * self.rng.uniform(0.0005, 0.004)))
            gaps.update(count=3, total_us=4000.0, max_us=2500.0, holes_in_gap=2, missing_in_gap=lost)
            r["lost"] += lost
            r["rx"] = r["tx"] - r["lost"]
            r["loss_ratio"] = r["lost"] / r["tx"] if r["tx"] else 0.0
        r["gaps"] = gaps
        r["loss_in_gap"] = r["lost"] > 0 and gaps["holes_outside"] == 0 and gaps["missing_in_gap"] >= r["lost"]
        return r


def synthetic_result(systems=("selfcheck", "nfvd-fwd", "testpmd-io", "ovs-dpdk"), sizes=("64", "512", "1518", "imix")):
    """A complete result in schema nfv-bench/1, as nfv-bench writes it, made
    from the fake DUT with made-up limits (for the report tests)."""
    from nfvbench import method, run
    res = {"schema": "nfv-bench/1", "name": "synthetic", "generated": "2026-01-01T00:00:00+00:00",
           "duration_s": 1.0, "command": "bench/nfv-bench synthetic.yaml",
           "machine": {"cpu_model": "Test CPU", "cpus": 2, "kernel": "6.1", "dpdk_version": "22.11",
                       "hugepages": {"size_kb": 2048, "total": 2048, "free_at_start": 1000},
                       "cores": {"gen": [0], "systems": {}}, "shared_with_gen": [0], "contended": True,
                       "note": "2 CPUs: contended"},
           "method": {"standard": "RFC 2544", "trial_ms": 100, "pdr": 0.005, "resolution": 0.01,
                      "verify_retries": 1, "latency_loads_pct": [10, 50, 90, 99],
                      "loss_steps_pct": [100, 80, 60, 40], "flows": 16, "ip": "ipv4", "sizes": list(sizes),
                      "wiring": "memif", "frame_size_note": "frames with FCS"},
           "systems": []}
    for k, name in enumerate(systems):
        s = {"name": name, "kind": "loop" if name == "selfcheck" else name.split("-")[0],
             "role": "selfcheck" if name == "selfcheck" else "dut", "sizes": {}, "error": None,
             "commands": ["%s --example" % name], "cores": {"gen": 0, "forwarding": [1], "control": [0]},
             "version": None}
        for z in sizes:
            fb = run.frame_bytes(z if z == "imix" else int(z))
            limit = min(12e6 / (k + 1), run.line_rate_pps(10, z if z == "imix" else int(z)))
            dut = FakeDut(limit)
            found = method.search(lambda r: dut.trial(r, 100), 14e6)
            d = {"size": z, "frame_bytes": fb, "ceiling_pps": 14e6, "trials": found["trials"]}
            for key in ("ndr", "pdr"):
                v = found[key]
                r = v.pop("result")
                v.update(mpps=v["pps"] / 1e6, gbps_l1=run.l1_gbps(v["pps"], z if z == "imix" else int(z)),
                         latency_ns=r["latency_ns"] if r else None)
                d[key] = v
            d["latency"] = method.latency(lambda r: dut.trial(r, 100), d["ndr"]["pps"], [10, 50, 90, 99])
            d["loss_curve"] = method.loss_curve(lambda r: dut.trial(r, 100), 14e6, [100, 80, 60, 40, 20])
            d["back_to_back"] = {"frames": 1000, "capped": False, "duration_us": 80.0, "trials": 3}
            s["sizes"][z] = d
        res["systems"].append(s)
    return res
