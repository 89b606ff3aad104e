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


VHOST = """\
version: 1
ports:
  - {name: g, driver: vhost, socket: %s}
  - {name: b, driver: "null", rx: false}
chains:
  - {name: fwd, ingress: [g], vnfs: [], egress: b}
"""


def _vhost_frontend(path, ready, answered, hold):
    """The start of a guest NIC as QEMU's vhost-user frontend begins it (the
    socket's server side; nfvd's vhost port is the client): GET_FEATURES,
    GET_PROTOCOL_FEATURES, SET_OWNER, GET_QUEUE_NUM. Returns the features.
    The connection stays open until hold is set: a peer that goes away is
    logged as an error (rightly), and that is not the start's log."""
    import socket
    import struct

    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    srv.settimeout(60)
    ready.set()
    c, _ = srv.accept()
    c.settimeout(30)
    got = {}
    try:
        for req in (1, 15, 3, 17):  # GET_FEATURES, GET_PROTOCOL_FEATURES, SET_OWNER, GET_QUEUE_NUM
            c.sendall(struct.pack("<III", req, 0x1, 0))
            if req == 3:
                continue
            hdr = b""
            while len(hdr) < 20:
                chunk = c.recv(20 - len(hdr))
                assert chunk, "nfvd closed the vhost-user socket"
                hdr += chunk
            r, _, size, val = struct.unpack("<IIIQ", hdr)
            assert r == req and size == 8, (r, size)
            got[req] = val
        answered.set()
        hold.wait(60)
    finally:
        c.close()
        srv.close()
    return got


def _vhost_start_log(tmp_path, name, eal=()):
    """nfvd's output around a guest NIC's vhost-user start."""
    import threading

    path = str(tmp_path / (name + ".vhost"))
    ready, answered, hold, res = threading.Event(), threading.Event(), threading.Event(), {}
    t = threading.Thread(target=lambda: res.update(f=_vhost_frontend(path, ready, answered, hold)))
    t.start()
    assert ready.wait(30)
    n = Nfvd(VHOST % path, tmp_path, name=name, lcores="0,0", args=["--no-huge"])
    if eal:  # EAL arguments go after the chain file
        base = n.cmdline
        n.cmdline = lambda: base() + ["--"] + list(eal)
    try:
        n.start()
        assert answered.wait(60), "the vhost-user exchange did not complete"
    finally:
        n.stop()
        hold.set()
        t.join(30)
    assert sorted(res.get("f", {})) == [1, 15, 17], res
    return n.output()


def test_vhost_guest_start_log_is_short(need_nfvd, tmp_path):
    """A guest NIC's start used to print DPDK's vhost-user exchange at INFO
    (VHOST_CONFIG: a line per message, ~100 for a guest's boot); nfvd keeps
    the vhost log types at warning unless asked (docs/nics.md)."""
    out = _vhost_start_log(tmp_path, "quiet")
    lines = [x for x in out.splitlines() if "VHOST_CONFIG" in x]
    assert len(lines) <= 1, out  # at most a warning
    # asked for, it is all there
    out = _vhost_start_log(tmp_path, "verbose", eal=["--log-level=lib.vhost.*:info"])
    assert "read message VHOST_USER_GET_FEATURES" in out, out
    assert len([x for x in out.splitlines() if "VHOST_CONFIG" in x]) >= 5, out
