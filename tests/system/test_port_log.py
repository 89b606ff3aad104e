# SPDX-License-Identifier: BSD-3-Clause
"""DPDK's log at port start-up: what is noise is not printed, real errors
are (issue 17, item 4).

DPDK 22.11's tap PMD tries to add a "multiq" qdisc on every start; this
kernel has none, and the PMD printed four ERR lines (then ran fine without
rte_flow, which nfvd does not use). nfvd filters exactly those while it
probes a tap port; a tap that really cannot start still prints the PMD's
reason, and with the tap PMD's log level raised everything is shown.
"""
import subprocess

import pytest

from nfvlib import Nfvd, veth

TAP = """\
version: 1
ports:
  - {name: a, driver: tap, iface: %s}
  - {name: b, driver: "null", rx: false}
chains:
  - {name: fwd, ingress: [a], vnfs: [], egress: b}
"""

NOISE = ("qdisc_create_multiq", "multiq qdisc", "Disabling rte flow support",
         "Specified qdisc kind is unknown")


def _run(nfvd, eal=(), timeout=60):
    """nfvd that stops by itself after 1 s; (exit code, all its output)."""
    cmd = nfvd.cmdline()
    cmd[-1:-1] = ["--duration", "1"]
    if eal:
        cmd += ["--"] + list(eal)
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                           timeout=timeout, stdin=subprocess.DEVNULL)
    finally:
        nfvd.cleanup()
    return p.returncode, p.stdout


def test_tap_start_prints_no_qdisc_noise(need_nfvd, tmp_path, tag):
    # with the tap PMD's log level raised, nothing is filtered: this is how
    # to see what the PMD says (docs/nics.md)
    rc, out = _run(Nfvd(TAP % (tag + "t"), tmp_path, name="dbg"),
                   eal=["--log-level=pmd.net.tap:debug"])
    assert rc == 0, out
    if "multiq qdisc" not in out:
        pytest.skip("this kernel has the multiq qdisc: the tap PMD has nothing to say")
    rc, out = _run(Nfvd(TAP % (tag + "t"), tmp_path, name="tap"))
    assert rc == 0, out
    assert "nfvd: running" in out and "nfvd: stopped" in out, out
    for noise in NOISE:
        assert noise not in out, out


def test_tap_real_error_still_printed(need_nfvd, tmp_path, tag):
    # the tap's name is taken by a veth: the PMD cannot make its interface
    with veth(tag + "v0", tag + "v1"):
        rc, out = _run(Nfvd(TAP % (tag + "v0"), tmp_path, name="bad"))
    assert rc == 1, out
    assert "Unable to set TUNSETIFF for %sv0" % tag in out, out
    assert "Unable to create TAP interface" in out, out
    assert "nfvd: port a: driver tap cannot start" in out, out
    for noise in NOISE:
        assert noise not in out, out
