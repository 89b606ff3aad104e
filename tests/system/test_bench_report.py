# SPDX-License-Identifier: BSD-3-Clause
"""nfv-bench report: the HTML page is self-contained, holds the RFC 2544
table, the charts and the machine's honesty notes, and renders in headless
Chromium (screenshot taken and checked non-blank)."""
import os
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET

import pytest

from benchlib import synthetic_result
from nfvbench import report


@pytest.fixture(scope="module")
def page():
    res = synthetic_result()
    return res, report.render_html(res)


def test_html_is_self_contained(page):
    _, html = page
    assert "<script" not in html
    # nothing fetched from elsewhere: no src=, no <link>, no url( in CSS
    assert not re.search(r"""\ssrc=|<link|url\(|https?://(?!www\.w3\.org/2000/svg)""", html)


def test_html_has_table_charts_and_machine_notes(page):
    res, html = page
    for name in ("nfvd-fwd", "testpmd-io", "ovs-dpdk", "selfcheck"):
        assert name in html
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    # throughput Mpps + Gbps, then latency and loss per frame size
    assert len(svgs) == 2 + 2 * len(res["method"]["sizes"])
    for s in svgs:
        ET.fromstring(s)  # each chart is well-formed SVG
    assert "100 GbE line" in svgs[0] and "10 GbE line" in svgs[1]
    assert "Contended figures" in html
    assert "Test CPU" in html and "22.11" in html
    ndr = res["systems"][1]["sizes"]["64"]["ndr"]["mpps"]
    assert "%.3f" % ndr in html


def _png_stats(path):
    from PIL import Image
    with Image.open(path) as im:
        im = im.convert("RGB")
        w, h = im.size
        colors = im.getcolors(maxcolors=1 << 20) or []
        nonwhite = sum(n for n, c in colors if c != (255, 255, 255))
        return w, h, len(colors), nonwhite / float(w * h)


@pytest.mark.skipif(not shutil.which("chromium"), reason="Debian chromium not installed")
def test_report_renders_in_headless_chromium(page, tmp_path):
    _, html = page
    src = tmp_path / "report.html"
    src.write_text(html)
    shot = tmp_path / "shot.png"
    cmd = ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run",
           "--user-data-dir=" + str(tmp_path / "profile"), "--window-size=1280,2400",
           "--screenshot=" + str(shot), "file://" + str(src)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr[-2000:]
    assert os.path.getsize(shot) > 10000
    w, h, ncolors, ink = _png_stats(shot)
    assert (w, h) == (1280, 2400)
    # text, tables and coloured chart lines: many colours, real ink
    assert ncolors > 50, ncolors
    assert 0.02 < ink < 0.9, ink
