# SPDX-License-Identifier: BSD-3-Clause
"""nfvd under valgrind: a pcap chain through counter, mac-rewrite and capture,
stopped by SIGTERM, leaves no leak and no memory error of nfvd's own.

DPDK's own findings (PMD plugin constructors, pcapng header padding) are
suppressed by tests/valgrind.supp, each with its reason."""
import os
import shutil
import signal
import subprocess

import pytest

from nfvlib import NFVD, REPO, mixed_frames, read_pcap, tshark_fields, wait_for, write_pcap

N = 200


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind not installed")
def test_nfvd_clean_under_valgrind(tmp_path):
    frames = mixed_frames(N)
    write_pcap(tmp_path / "in.pcap", frames)
    (tmp_path / "chain.yaml").write_text(f"""
version: 1
ports:
  - {{name: in, driver: pcap, rx-file: in.pcap}}
  - {{name: out, driver: pcap, tx-file: out.pcap}}
vnfs:
  - {{name: cnt, class: counter}}
  - {{name: rw, class: mac-rewrite, dst: "02:aa:bb:cc:dd:ee"}}
  - {{name: cap, class: capture, file: cap.pcapng}}
chains:
  - {{name: c1, ingress: in, vnfs: [cnt, rw, cap], egress: out}}
""")
    prefix = "vg%d" % os.getpid()
    sock = tmp_path / "nfvd.sock"
    log = tmp_path / "valgrind.log"
    # --fair-sched=yes: valgrind runs one thread at a time under a lock it
    # hands over unfairly by default; the busy-polling worker then starves
    # the control thread (no stats answer, the wait times out).
    proc = subprocess.Popen(
        ["valgrind", "--fair-sched=yes", "--leak-check=full", "--errors-for-leak-kinds=definite",
         "--error-exitcode=99", "--num-callers=40", "--suppressions=%s" % os.path.join(REPO, "tests", "valgrind.supp"),
         "--log-file=%s" % log, NFVD, "--no-huge", "-m", "512", "--file-prefix", prefix,
         "-s", str(sock), str(tmp_path / "chain.yaml")],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        # every frame went through before we stop it
        wait_for(lambda: proc.poll() is not None or _forwarded(sock) >= N, 120,
                 "all %d frames forwarded" % N)
        assert proc.poll() is None, proc.stdout.read()
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)
    report = log.read_text()
    assert proc.returncode == 0, report[-4000:]
    assert "ERROR SUMMARY: 0 errors" in report, report[-4000:]
    assert "definitely lost" not in report or "definitely lost: 0 bytes" in report
    assert "=== nfvd summary" in out
    assert len(read_pcap(tmp_path / "out.pcap")) == N
    assert len(tshark_fields(tmp_path / "cap.pcapng", "frame.len")) == N


def _forwarded(sock):
    import json
    import socket
    try:
        s = socket.socket(socket.AF_UNIX)
        s.settimeout(5)
        s.connect(str(sock))
        s.sendall(b'{"v":1,"id":1,"cmd":"stats"}\n')
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        s.close()
        return json.loads(buf)["result"]["chains"]["c1"]["rx"]
    except (OSError, ValueError, KeyError):
        return 0
