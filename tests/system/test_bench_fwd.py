# SPDX-License-Identifier: BSD-3-Clause
"""bench/fwd_vs_testpmd.py's bookkeeping (no DPDK: its runs are stood in):
a run whose measurement comes back empty under load is tried again, a round
that stays empty is reported and left out of the medians (it used to end the
script with a TypeError), and medians are of the per-round ratios."""
import importlib.util
import json
import os
import sys

import pytest

import nfvlib

SCRIPT = os.path.join(nfvlib.REPO, "bench", "fwd_vs_testpmd.py")


@pytest.fixture
def fwd(monkeypatch, tmp_path):
    spec = importlib.util.spec_from_file_location("fwd_vs_testpmd_" + str(os.getpid()), SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    build = tmp_path / "build"
    build.mkdir()
    (build / "nfvd").write_text("#!/bin/sh\n")
    (build / "nfvd").chmod(0o755)
    monkeypatch.setattr(mod, "make_pcap", lambda path: None)
    monkeypatch.setattr(mod.shutil, "which", lambda name: "/usr/bin/" + name)
    monkeypatch.setattr(mod.os, "geteuid", lambda: 0)

    def run(results, rounds, extra=()):
        """results[system] = list of what each call returns (a dict, or
        an exception to raise), in call order."""
        calls = {k: list(v) for k, v in results.items()}

        def next_of(system):
            r = calls[system].pop(0)
            if isinstance(r, Exception):
                raise r
            return dict(r)
        monkeypatch.setattr(mod, "run_testpmd", lambda *a, **k: next_of("testpmd"))
        monkeypatch.setattr(mod, "run_nfvd", lambda *a, **k: next_of("nfvd"))
        out = tmp_path / "out.json"
        monkeypatch.setattr(sys, "argv", [SCRIPT, "--build", str(build), "--rounds", str(rounds),
                                          "--duration", "0", "--warmup", "0",
                                          "--out", str(out)] + list(extra))
        mod.main()
        with open(out) as f:
            return json.load(f), calls
    return run


def good(cycles, mpps=10.0):
    return {"mpps": mpps, "cycles_per_packet": cycles, "packets": 1000, "seconds": 1.0}


EMPTY_NFVD = {"mpps": 0.0, "cycles_per_packet": None, "packets": 0, "seconds": 1.0}


def test_an_empty_measurement_is_tried_again(fwd):
    res, calls = fwd({"testpmd": [good(100), good(100)],
                      "nfvd": [EMPTY_NFVD, good(110), RuntimeError("timed out waiting"),
                               good(130)]}, rounds=2)
    assert not any(calls.values()), calls
    assert res["failed_runs"] == [] and res["rounds_measured"] == 2
    assert [r["tries"] for r in res["runs"]["nfvd"]] == [2, 2]
    assert res["round_ratios"]["cycles"] == [1.1, 1.3]
    assert res["nfvd_vs_testpmd"]["cycles_ratio"] == pytest.approx(1.2)


def test_a_round_that_stays_empty_is_reported_and_left_out(fwd, capsys):
    res, _ = fwd({"testpmd": [good(100), good(200), good(100)],
                  "nfvd": [good(120), EMPTY_NFVD, EMPTY_NFVD, good(150)]},
                 rounds=3, extra=["--retries", "1"])
    assert res["rounds_measured"] == 2
    assert res["failed_runs"] == [{"round": 2, "system": "nfvd",
                                   "why": "no packet counted in the measured interval"}]
    assert res["runs"]["nfvd"][1]["failed"]
    # medians of the rounds that have both runs only
    assert res["median"]["testpmd"]["cycles_per_packet"] == 100
    assert res["median"]["nfvd"]["cycles_per_packet"] == 135
    assert res["round_ratios"]["cycles"] == [1.2, 1.5]
    err = capsys.readouterr().err
    assert "round 2: nfvd failed: no packet counted" in err


def test_no_round_measured_is_an_error_not_a_traceback(fwd, capsys):
    with pytest.raises(SystemExit) as e:
        fwd({"testpmd": [good(100)], "nfvd": [EMPTY_NFVD]}, rounds=1, extra=["--retries", "0"])
    assert e.value.code == 1
    assert "no round measured both testpmd and nfvd" in capsys.readouterr().err


def test_baseline_build_instead_of_testpmd(fwd, tmp_path):
    base = tmp_path / "base"
    base.mkdir()
    (base / "nfvd").write_text("#!/bin/sh\n")
    (base / "nfvd").chmod(0o755)
    # both systems are nfvd runs: calls alternate baseline, nfvd / nfvd, baseline
    res, _ = fwd({"nfvd": [good(100), good(101), good(102), good(100)]}, rounds=2,
                 extra=["--baseline", str(base)])
    assert res["round_ratios"]["cycles"] == [1.01, 102 / 100]
    assert "nfvd_vs_baseline" in res and "nfvd_vs_testpmd" not in res


def test_a_retried_run_has_a_prefix_of_its_own(fwd, tmp_path):
    """A retry's name ("<round>r<try>") makes the run's file prefix (a str
    in a %d made every nfvd run fail with a TypeError)."""
    mod = importlib.util.module_from_spec(
        importlib.util.spec_from_file_location("fwd_vs_testpmd_real", SCRIPT))
    mod.__spec__.loader.exec_module(mod)
    with pytest.raises(OSError):  # no nfvd there: Popen fails, after the prefix is made
        mod.run_nfvd(str(tmp_path / "nobuild"), "x.pcap", str(tmp_path), 0, 0, "1r1", tag="bl")
