# SPDX-License-Identifier: BSD-3-Clause
"""nfv-bench method logic (no DPDK): the RFC 2544 / TST009 search converges
on DUTs whose capacity is known, loss verification ignores one-off loss,
the loss curve and back-to-back searches, bench-file errors, the schema."""
import json
import os

import pytest

from benchlib import FakeDut, GapHostDut, assert_carried, synthetic_result  # noqa: F401 (sets sys.path)
from nfvbench import config, method, report


@pytest.mark.parametrize("limit", [123456.0, 2.5e6, 9.99e6])
def test_search_converges_to_the_limit(limit):
    dut = FakeDut(limit)
    found = method.search(dut.trial, 14e6, pdr=0.005, resolution=0.005)
    ndr = found["ndr"]["pps"]
    assert limit * 0.99 <= ndr <= limit, ndr
    assert not found["ndr"]["capped"]
    # the PDR allows 0.5 % loss: a little above the limit, never below it
    assert limit <= found["pdr"]["pps"] <= limit * 1.006
    assert len(found["trials"]) < 30


def test_search_starts_at_the_ceiling_and_reports_a_cap():
    dut = FakeDut(20e6)
    found = method.search(dut.trial, 5e6)
    assert dut.calls[0] == 5e6
    assert found["ndr"]["pps"] == 5e6
    assert found["ndr"]["capped"]
    assert len(found["trials"]) == 1


def test_loss_in_the_generators_gaps_is_not_the_duts():
    """The host loses 0.05-0.4 % at every rate, always during the
    generator's own gaps (the self-check on this machine): without the gap
    rule the NDR collapses far below the PDR; with it the NDR comes within
    the resolution of the DUT's limit, and the trials that failed only in
    gaps are counted, per trial and in all."""
    limit = 3e6
    plain = method.search(GapHostDut(limit).trial, 8e6, resolution=0.01, gap_retries=0, gap_excuse=False)
    assert plain["ndr"]["pps"] < 0.1 * limit  # every trial lost something
    assert plain["pdr"]["pps"] >= limit * 0.99
    dut = GapHostDut(limit)
    found = method.search(dut.trial, 8e6, resolution=0.01)
    ndr, pdr = found["ndr"], found["pdr"]
    assert limit * 0.98 <= ndr["pps"] <= limit, ndr
    assert ndr["pps"] >= 0.9 * pdr["pps"]  # the target: NDR within 10 % of the PDR
    assert ndr["gap_excused"] and ndr["loss_ratio"] > 0  # honest: the loss is still reported
    assert found["gap_failed_trials"] == sum(t["gap_failed"] for t in found["trials"]) > 0
    assert found["gap_excused_rates"] == sum(1 for t in found["trials"] if t["gap_excused"]) > 0
    # every attempt was repeated gap_retries (2) times beside the verification
    assert sum(t["attempts"] for t in found["trials"]) == len(dut.calls)
    assert all(t["gaps"]["count"] == 3 for t in found["trials"])
    # above the limit, loss that is also the DUT's is never excused
    for t in found["trials"]:
        if t["offered_pps"] > limit * 1.001:
            assert not t["ndr_pass"] and "ndr" not in t["gap_excused"], t


def test_gap_loss_repeated_until_a_clean_trial():
    """Only some trials hit a gap: repeating them finds clean ones, so the
    NDR is right without excusing anything (gap_excuse off)."""
    limit = 2.7e6
    found = method.search(GapHostDut(limit, host_loss=0.5, seed=11).trial, 8e6, resolution=0.01,
                          gap_retries=4, gap_excuse=False)
    assert limit * 0.98 <= found["ndr"]["pps"] <= limit
    assert found["ndr"]["loss_ratio"] == 0 and not found["ndr"]["gap_excused"]
    assert found["gap_failed_trials"] > 0 and found["gap_excused_rates"] == 0


def test_loss_verification_ignores_transient_loss():
    # one trial in three below the limit loses a few frames: without the
    # repeat the search would end far below the limit
    dut = FakeDut(4e6, flake=0.3, seed=7)
    found = method.search(dut.trial, 8e6, resolution=0.01, verify_retries=2)
    assert found["ndr"]["pps"] >= 4e6 * 0.98
    assert any(t["attempts"] > 1 for t in found["trials"])


def test_without_verification_transient_loss_lowers_the_result():
    dut = FakeDut(4e6, flake=1.0)  # every trial loses a few frames
    found = method.search(dut.trial, 8e6, resolution=0.01, verify_retries=0)
    assert found["ndr"]["pps"] == 0  # no zero-loss rate exists
    assert found["pdr"]["pps"] >= 4e6 * 0.99


def test_a_capped_search_says_what_it_offered():
    # issue seen on a fresh clone: a stall near the end of the trial at the
    # cap (200000) let the generator offer 0.5 % less; the search passes at
    # its cap, credited with 199040, and its trial says both rates
    dut = FakeDut(1e6, gen_max_pps=199040)
    found = method.search(dut.trial, 200000, resolution=0.05)
    assert found["ndr"]["capped"] and found["ndr"]["pps"] < 200000
    assert found["trials"][0]["rate_pps"] == 200000
    assert found["trials"][0]["offered_pps"] == 199040
    assert assert_carried(found, 200000, "fake") == 199040


def test_generator_limited_trials_never_pass():
    # the generator cannot offer more than 3 Mpps: a DUT good for 5 Mpps
    # must not be credited with more than what was really offered
    dut = FakeDut(5e6, gen_max_pps=3e6)
    found = method.search(dut.trial, 8e6, resolution=0.01)
    assert found["ndr"]["pps"] <= 3e6
    assert any(t["gen_limited"] for t in found["trials"])


def test_loss_curve_steps_down_and_stops_after_two_clean_steps():
    dut = FakeDut(5e6)
    curve = method.loss_curve(dut.trial, 10e6, [100, 90, 80, 70, 60, 50, 40, 30, 20, 10])
    loads = [p["load_pct"] for p in curve]
    assert loads == [40, 50, 60, 70, 80, 90, 100]  # 50 and 40 clean: stop
    assert curve[-1]["loss_ratio"] == pytest.approx(0.5, abs=0.001)
    assert curve[0]["loss_ratio"] == 0


def test_back_to_back_finds_the_longest_clean_burst():
    def burst(n):  # a DUT with a 5000-frame buffer
        lost = max(0, n - 5000)
        return {"lost": lost, "tx": n, "duration_s": n / 10e6}
    b = method.back_to_back(burst, 100000, resolution=0.01, max_trials=20)
    assert 4900 <= b["frames"] <= 5000
    assert not b["capped"]


def write(tmp_path, text):
    p = tmp_path / "b.yaml"
    p.write_text(text)
    return str(p)


@pytest.mark.parametrize("text,where,field", [
    ("sizes: [64, 65536]\nsystems: [{name: a, kind: testpmd}]\n", ":1:13:", "sizes[1]"),
    ("systems:\n  - {name: a, kind: vpp}\n", ":2:21:", "systems[0].kind"),
    ("systems:\n  - {name: a, kind: nfvd}\n", ":2:5:", "systems[0].chain"),
    ("flows: many\nsystems: [{name: a, kind: testpmd}]\n", ":1:8:", "flows"),
    ("systems: [{name: a, kind: testpmd}]\ntrial_sec: 3\n", ":2:1:", "trial_sec"),
    ("search: {pdr: high}\nsystems: [{name: a, kind: testpmd}]\n", ":1:15:", "search.pdr"),
    ("selfcheck: false\nsystems: []\n", ":1:1:", "systems"),
    ("ring_slots: 3000\nsystems: [{name: a, kind: testpmd}]\n", ":1:13:", "ring_slots"),
    ("recycle: 16\nsystems: [{name: a, kind: testpmd}]\n", ":1:10:", "recycle"),
    ("wiring: ring\nrecycle: 40\nsystems: [{name: a, kind: testpmd}]\n", ":2:10:", "recycle"),
    ("wiring: ring\nsystems:\n  - {name: a, kind: testpmd, recycle: -1}\n", ":3:39:", "systems[0].recycle"),
    ("systems: [{name: a, kind: testpmd}\n", ":2:1:", ""),
])
def test_bench_file_errors_name_line_column_and_field(tmp_path, text, where, field):
    p = write(tmp_path, text)
    with pytest.raises(config.ConfigError) as e:
        config.load(p)
    msg = str(e.value)
    assert msg.startswith(p + where), msg
    assert field in msg


def test_bench_file_defaults(tmp_path):
    cfg = config.load(write(tmp_path, "systems: [{name: tp, kind: testpmd}]\nsearch: {pdr: 0.001}\n"))
    assert cfg["sizes"] == [64, 512, 1518, "imix"]
    assert cfg["search"]["pdr"] == 0.001
    assert cfg["search"]["verify_retries"] == 1


def test_result_schema_accepts_a_full_result_and_names_what_is_wrong():
    res = json.loads(json.dumps(synthetic_result()))
    assert report.validate(res) == []
    del res["systems"][1]["sizes"]["64"]["ndr"]["mpps"]
    res["machine"]["contended"] = "yes"
    errs = report.validate(res)
    assert "$.systems[1].sizes.64.ndr.mpps: missing" in errs
    assert any(e.startswith("$.machine.contended") for e in errs)


def test_text_table_marks_capped_rates_and_contention():
    res = synthetic_result(systems=("selfcheck", "nfvd-fwd"), sizes=("64",))
    res["systems"][1]["sizes"]["64"]["ndr"]["capped"] = True
    t = report.text_table(res)
    assert ">=" in t.splitlines()[3]
    assert "contended" in t


def test_results_committed_validate():
    d = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "bench", "results")
    files = [f for f in os.listdir(d) if f.endswith(".json")] if os.path.isdir(d) else []
    ours = 0
    for f in files:
        with open(os.path.join(d, f)) as fh:
            res = json.load(fh)
        # other benchmarks keep their own files here too
        if isinstance(res, dict) and str(res.get("schema", "")).startswith("nfv-bench/"):
            ours += 1
            assert report.validate(res) == [], f
    assert ours >= 1, "no nfv-bench result committed under bench/results"


def test_dut_work_and_whose_limit_a_size_shows():
    """The DUT's forwarding threads in a trial (their counters before and
    after): cycles per packet, busy share of the trial, capacity at that
    cost; and limit_of: the DUT's limit only when it had no cycle to spare
    at the ceiling, the generator's when it could not offer the ceiling
    while the DUT idled, otherwise loss with cycles to spare."""
    from nfvbench import run
    hz = 2_000_000_000
    w0 = {"busy_cycles": 1_000, "packets": 10, "tsc_hz": hz}
    w1 = {"busy_cycles": 1_000 + hz // 4, "packets": 10 + 5_000_000, "tsc_hz": hz}
    d = run.dut_work(w0, w1, {"duration_s": 0.25})
    assert d == {"cycles_per_packet": 100.0, "busy_share": 1.0, "capacity_pps": 20_000_000}
    half = run.dut_work(w0, w1, {"duration_s": 0.5})
    assert half["busy_share"] == 0.5
    assert run.dut_work(None, w1, {"duration_s": 0.25}) is None

    def size(busy, offered, rate=10e6):
        return {"loss_curve": [{"load_pct": 60, "rate_pps": 0.6 * rate, "offered_pps": 0.6 * rate,
                                "loss_ratio": 0, "dut": {"busy_share": 0.1}},
                               {"load_pct": 100, "rate_pps": rate, "offered_pps": offered,
                                "loss_ratio": 0.01, "dut": {"busy_share": busy}}]}
    assert run.limit_of(size(0.95, 8e6)) == "dut"
    assert run.limit_of(size(0.5, 8e6)) == "generator"
    assert run.limit_of(size(0.5, 10e6)) == "loss"
    assert run.limit_of({"loss_curve": [{"load_pct": 100, "rate_pps": 1, "offered_pps": 1,
                                         "loss_ratio": 0}]}) is None
