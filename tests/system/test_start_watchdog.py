# SPDX-License-Identifier: BSD-3-Clause
"""Start-up is bounded (docs/design.md, "Start-up watchdog"): a start that
does not finish within --start-timeout says which step is stuck, exits 1 and
leaves no control socket and no /var/run/dpdk/<prefix> behind.

The stuck step here is real, not simulated: a pcap port reading a FIFO
(`tcpdump -w FIFO` style) blocks in the PMD's open until a writer appears.
"""
import os
import subprocess

import nfvlib

CONF = """\
version: 1
ports:
  - {name: a, driver: pcap, rx-file: rx.fifo}
  - {name: b, driver: "null"}
chains:
  - {name: c, ingress: [a], vnfs: [], egress: b}
"""


def run_nfvd(tmp_path, prefix, *args):
    sock = tmp_path / "s.sock"
    p = subprocess.Popen([nfvlib.NFVD, "--no-huge", "--file-prefix", prefix, "-s", str(sock)]
                         + list(args) + [str(tmp_path / "c.yaml")],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = p.communicate(timeout=90)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return p.returncode, out, sock


def test_stuck_start_gives_up_naming_the_step(tmp_path, tag):
    (tmp_path / "c.yaml").write_text(CONF)
    os.mkfifo(tmp_path / "rx.fifo")
    prefix = "wd" + tag
    try:
        rc, out, sock = run_nfvd(tmp_path, prefix, "--start-timeout", "2")
        assert rc == 1, out
        assert "start-up did not finish within 2 s (stuck in: port set-up)" in out, out
        assert not sock.exists()
        assert not os.path.exists("/var/run/dpdk/" + prefix)
    finally:
        subprocess.run(["rm", "-rf", "/var/run/dpdk/" + prefix])


def test_bad_start_timeout_refused(tmp_path, tag):
    (tmp_path / "c.yaml").write_text(CONF.replace("pcap, rx-file: rx.fifo", '"null", rx: true'))
    for bad in ("abc", "-1", "", "99999999"):
        rc, out, _ = run_nfvd(tmp_path, "wb" + tag, "--start-timeout", bad)
        assert rc == 1 and "bad --start-timeout" in out, out
