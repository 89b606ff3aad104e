# SPDX-License-Identifier: BSD-3-Clause
"""nfv-bench compare and trend: rows, ratios and flags against a known
change between two synthetic results (and between two committed versions of
bench/results/chains-vs-peers.json); the history of a result file committed
in a scratch git repository as one chart per size, one series per system."""
import copy
import json
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest

from benchlib import NFV_BENCH, REPO, synthetic_result
from nfvbench import report, trend


def _set(res, system, size, ndr, pdr, rounds=None):
    for s in res["systems"]:
        if s["name"] == system:
            z = s["sizes"][size]
            z["ndr"]["pps"], z["pdr"]["pps"] = float(ndr), float(pdr)
            z["ndr"]["mpps"], z["pdr"]["mpps"] = ndr / 1e6, pdr / 1e6
            if rounds is not None:
                z["rounds"] = [{"ndr_pps": a, "pdr_pps": b} for a, b in rounds]
            else:
                z.pop("rounds", None)
            return
    raise KeyError(system)


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    old = synthetic_result(systems=("selfcheck", "nfvd-fwd", "testpmd-io"), sizes=("64", "512"))
    # known figures: spread from rounds, from NDR-PDR, and none at all
    _set(old, "nfvd-fwd", "64", 1.0e6, 1.0e6, rounds=[(0.95e6, 1e6), (1.0e6, 1e6), (1.05e6, 1e6)])  # 10%
    _set(old, "nfvd-fwd", "512", 2.0e6, 2.0e6)
    _set(old, "testpmd-io", "64", 4.0e6, 5.0e6)  # NDR-PDR spread 20%
    _set(old, "testpmd-io", "512", 3.0e6, 3.0e6)
    new = copy.deepcopy(old)
    _set(new, "nfvd-fwd", "64", 1.2e6, 1.2e6, rounds=[(1.19e6, 1.2e6), (1.2e6, 1.2e6)])  # +20% > 10%: UP
    _set(new, "nfvd-fwd", "512", 1.9e6, 1.9e6)  # -5%, no spread, default 10%: not flagged
    _set(new, "testpmd-io", "64", 4.6e6, 5.0e6)  # +15% < 20% NDR-PDR spread: not flagged
    _set(new, "testpmd-io", "512", 2.4e6, 2.4e6)  # -20% > default 10%: DOWN
    d = tmp_path_factory.mktemp("cmp")
    paths = []
    for name, res in (("old", old), ("new", new)):
        assert report.validate(res) == []
        p = d / (name + ".json")
        p.write_text(json.dumps(res))
        paths.append(p)
    return old, new, paths


def _row(rows, system, size, metric):
    [r] = [r for r in rows if (r["system"], r["size"], r["metric"]) == (system, size, metric)]
    return r


def test_compare_ratios_spreads_and_flags(pair):
    old, new, _ = pair
    rows = trend.compare(old, new)
    assert len(rows) == 3 * 2 * 2  # every system x size x {NDR, PDR}
    r = _row(rows, "nfvd-fwd", "64", "ndr")
    assert r["ratio"] == pytest.approx(1.2) and r["source"] == "rounds"
    assert r["threshold"] == pytest.approx(0.10) and r["flag"] == "UP"
    r = _row(rows, "nfvd-fwd", "512", "ndr")
    assert r["ratio"] == pytest.approx(0.95) and r["source"] == "default"
    assert r["threshold"] == trend.DEFAULT_THRESHOLD and r["flag"] == ""
    r = _row(rows, "testpmd-io", "64", "ndr")
    assert r["ratio"] == pytest.approx(1.15) and r["source"] == "ndr-pdr"
    assert r["threshold"] == pytest.approx(0.20) and r["flag"] == ""
    r = _row(rows, "testpmd-io", "512", "pdr")
    assert r["ratio"] == pytest.approx(0.8) and r["flag"] == "DOWN"


def test_compare_cli_prints_rows(pair):
    _, _, (old, new) = pair
    p = subprocess.run(["/usr/bin/python3", NFV_BENCH, "compare", str(old), str(new)],
                       capture_output=True, text=True, cwd=REPO, timeout=60)
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    row = [x for x in lines if x.startswith("nfvd-fwd") and " 64 " in x and "NDR" in x]
    assert row and re.search(r"\s1\.000\s+1\.200\s+1\.200\s+10\.0%\s+rounds\s+UP$", row[0]), lines
    row = [x for x in lines if x.startswith("nfvd-fwd") and " 512 " in x and "NDR" in x]
    assert row and re.search(r"0\.950\s+10\.0%\s+default\s*$", row[0]), lines
    assert any("no spread recorded" in x for x in lines)


def test_compare_cli_refuses_a_non_result(tmp_path, pair):
    bad = tmp_path / "bad.json"
    bad.write_text('{"schema": "other"}')
    p = subprocess.run(["/usr/bin/python3", NFV_BENCH, "compare", str(bad), str(pair[2][1])],
                       capture_output=True, text=True, cwd=REPO, timeout=60)
    assert p.returncode == 1 and "bad.json" in p.stderr and "missing" in p.stderr


def test_compare_committed_versions():
    """Two committed versions of chains-vs-peers.json (git show REV:PATH)."""
    path = "bench/results/chains-vs-peers.json"
    revs = subprocess.run(["git", "-C", REPO, "log", "--format=%H", "--follow", "--", path],
                          capture_output=True, text=True).stdout.split()
    if len(revs) < 2:
        pytest.skip("fewer than two committed versions of %s (shallow clone?)" % path)
    p = subprocess.run(["/usr/bin/python3", NFV_BENCH, "compare", "%s:%s" % (revs[1], path),
                        "%s:%s" % (revs[0], path)], capture_output=True, text=True, cwd=REPO, timeout=60)
    assert p.returncode == 0, p.stderr
    old = json.loads(subprocess.run(["git", "-C", REPO, "show", "%s:%s" % (revs[1], path)],
                                    capture_output=True, text=True).stdout)
    new = json.loads(subprocess.run(["git", "-C", REPO, "show", "%s:%s" % (revs[0], path)],
                                    capture_output=True, text=True).stdout)
    rows = trend.compare(old, new)
    assert rows
    for r in rows:
        want = r["new_pps"] / r["old_pps"] if r["old_pps"] else None
        assert r["ratio"] == (pytest.approx(want) if want else None)
        line = [x for x in p.stdout.splitlines() if x.split()[:3] == [r["system"][:18], r["size"],
                                                                     r["metric"].upper()]]
        assert line, (r, p.stdout)


@pytest.fixture
def history_repo(tmp_path):
    """A scratch repository where results/x.json is committed three times
    (renamed once on the way) with known NDRs."""
    git = ["git", "-C", str(tmp_path), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run(git + ["init", "-q"], check=True)
    (tmp_path / "results").mkdir()
    systems = ("selfcheck", "nfvd-fwd", "testpmd-io")
    for k, name in enumerate(("old.json", "x.json", "x.json")):
        res = synthetic_result(systems=systems, sizes=("64", "512"))
        for s in systems:
            for z in ("64", "512"):
                _set(res, s, z, (k + 1) * 1e6, (k + 1) * 1e6)
        if k == 1:
            subprocess.run(git + ["mv", "results/old.json", "results/x.json"], check=True)
        (tmp_path / "results" / name).write_text(json.dumps(res))
        subprocess.run(git + ["add", "results"], check=True)
        subprocess.run(git + ["commit", "-q", "-m", "run %d" % k], check=True)
    return tmp_path / "results" / "x.json", systems


def test_trend_one_series_per_system(history_repo, tmp_path):
    path, systems = history_repo
    hist = trend.history(str(path))
    assert [h["subject"] for h in hist] == ["run 0", "run 1", "run 2"]
    svgs = trend.charts(hist)
    assert len(svgs) == 2  # one chart per frame size
    for svg in svgs:
        root = ET.fromstring(svg)
        lines = root.findall("{http://www.w3.org/2000/svg}polyline")
        assert len(lines) == len(systems)
        for pl in lines:
            assert len(pl.get("points").split()) == 3  # one point per committed version
        for s in systems:
            assert ">%s<" % s in svg
    out = tmp_path / "trend.html"
    p = subprocess.run(["/usr/bin/python3", NFV_BENCH, "trend", str(path), "--report", "-o", str(out)],
                       capture_output=True, text=True, cwd=REPO, timeout=60)
    assert p.returncode == 0, p.stderr
    page = out.read_text()
    assert "History of committed results" in page and "<script" not in page
    assert not re.search(r"""\ssrc=|<link|url\(""", page)
    assert len(re.findall(r"<svg.*?</svg>", page, re.S)) == 2 + 2 * 2 + 2
