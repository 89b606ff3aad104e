# SPDX-License-Identifier: BSD-3-Clause
"""nfvd start-up and shutdown: clean exit on SIGTERM, and one readable error
line with a non-zero exit for each way a start can go wrong."""
import os
import re
import signal
import subprocess
import time

import pytest

from nfvlib import NULL_CHAIN, Nfvd, wait_for


def start_fails(nfvd, timeout=20):
    """Run an Nfvd that must refuse to start; return (exit code, stderr).
    Hugepage files it left behind are in nfvd.left (then removed)."""
    p = subprocess.run(nfvd.cmdline(), capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    nfvd.left = nfvd.hugepage_files()
    nfvd.cleanup()
    return p.returncode, p.stderr


def nfvd_lines(stderr):
    """nfvd's own error lines (DPDK's EAL may add its own log lines)."""
    return [line for line in stderr.splitlines() if line and not line.startswith("EAL:")]


def test_sigterm_prints_summary_and_leaves_nothing(nfvd_factory):
    nfvd = nfvd_factory(NULL_CHAIN)
    wait_for(lambda: nfvd.stats()["chains"]["fwd"]["tx"] > 1000, 20, "forwarding")
    nfvd.proc.terminate()
    rc = nfvd.proc.wait(30)
    out = nfvd.output()
    assert rc == 0, out
    assert "nfvd summary" in out
    m = re.search(r"^fwd\s+(\d+)\s+(\d+)", out, re.M)
    assert m and int(m.group(2)) > 1000, "no chain line with the forwarded count in:\n" + out
    assert nfvd.hugepage_files() == []
    assert not os.path.exists(nfvd.sock)


def test_second_nfvd_on_same_socket_refused(nfvd_factory, tmp_path):
    first = nfvd_factory(NULL_CHAIN)
    second = Nfvd(NULL_CHAIN, tmp_path, name="second")
    second.sock = first.sock
    rc, err = start_fails(second)
    assert rc != 0
    assert nfvd_lines(err) == ["nfvd: another nfvd is running on %s" % first.sock], err
    assert first.ctl("status")["ok"], "the first nfvd must keep running"
    assert first.stats()["chains"]["fwd"]["tx"] > 0


def test_sighup_stops_cleanly(nfvd_factory):
    """The terminal nfvd runs in closes (SIGHUP): the same orderly stop as
    SIGTERM (summary, exit 0, socket and runtime folder removed), not the
    default action's abrupt death; SIGUSR1 is ignored."""
    nfvd = nfvd_factory(NULL_CHAIN)
    wait_for(lambda: nfvd.stats()["chains"]["fwd"]["tx"] > 1000, 20, "forwarding")
    nfvd.proc.send_signal(signal.SIGUSR1)
    assert nfvd.ctl("status")["ok"]
    nfvd.proc.send_signal(signal.SIGHUP)
    rc = nfvd.proc.wait(30)
    assert rc == 0, nfvd.output()
    assert "nfvd summary" in nfvd.output()
    assert not os.path.exists(nfvd.sock)
    assert not os.path.exists("/var/run/dpdk/" + nfvd.prefix)


def test_second_nfvd_on_same_file_prefix_refused(nfvd_factory, tmp_path):
    """A second nfvd with its own socket but the DPDK file prefix of a
    running one (two chain files left at the default prefix) cannot
    initialise DPDK: it exits 1 saying so, never runs as an empty daemon;
    the first keeps forwarding."""
    first = nfvd_factory(NULL_CHAIN)
    second = Nfvd(NULL_CHAIN, tmp_path, name="second")
    real_prefix = second.prefix
    second.prefix = first.prefix
    try:
        p = subprocess.run(second.cmdline(), capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
    finally:
        second.prefix = real_prefix
        second.cleanup()
    assert p.returncode == 1, p.stdout + p.stderr
    assert "DPDK EAL initialisation failed" in p.stderr, p.stderr
    assert "running" not in p.stdout, p.stdout
    assert first.ctl("status")["ok"]
    assert first.stats()["chains"]["fwd"]["tx"] > 0


@pytest.mark.parametrize("text,line,col,what", [
    # a value of the wrong type
    (NULL_CHAIN.replace('rx: true}', 'rx: true, mtu: big}'), 3, None, "mtu"),
    # a YAML syntax error (unclosed flow mapping)
    (NULL_CHAIN.replace('egress: sink}', 'egress: sink'), None, None, None),
    # a chain naming a port that does not exist
    (NULL_CHAIN.replace('egress: sink', 'egress: sinc'), 6, None, "sinc"),
], ids=["wrong-type", "syntax-error", "unknown-port"])
def test_bad_yaml_exits_1_with_file_line_col(need_nfvd, tmp_path, text, line, col, what):
    nfvd = Nfvd(text, tmp_path, name="bad")
    rc, err = start_fails(nfvd)
    assert rc == 1, err
    lines = nfvd_lines(err)
    assert lines, "no error message"
    m = re.match(r"^%s:(\d+):(\d+): " % re.escape(nfvd.file), lines[0])
    assert m, "not file:line:col: %r" % lines[0]
    if line:
        assert int(m.group(1)) == line, lines[0]
    if what:
        assert what in lines[0]
    assert "Segmentation" not in err and "Traceback" not in err


def test_missing_lcore_refused(need_nfvd, tmp_path):
    nfvd = Nfvd(NULL_CHAIN, tmp_path, name="lcore", lcores="0,%d" % (os.cpu_count() + 60))
    rc, err = start_fails(nfvd)
    assert rc == 1, err
    lines = nfvd_lines(err)
    assert len(lines) == 1, err
    assert "lcore %d" % (os.cpu_count() + 60) in lines[0] and "does not exist" in lines[0]


def test_too_few_hugepages_refused(need_nfvd, tmp_path):
    with open("/sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages") as f:
        free = int(f.read())
    # An mbuf takes over 2 KiB: this pool needs more pages than are free.
    mbufs = (free + 64) * 1024
    conf = NULL_CHAIN.replace("version: 1\n", "version: 1\nnfvd: {mbufs: %d}\n" % mbufs)
    nfvd = Nfvd(conf, tmp_path, name="huge")
    rc, err = start_fails(nfvd)
    assert rc == 1, err
    lines = nfvd_lines(err)
    assert len(lines) == 1, err
    assert "not enough hugepages" in lines[0] and "--no-huge" in lines[0]
    assert nfvd.left == []


def test_missing_file_refused(need_nfvd, tmp_path):
    nfvd = Nfvd(NULL_CHAIN, tmp_path, name="gone")
    os.unlink(nfvd.file)
    rc, err = start_fails(nfvd)
    assert rc == 1, err
    lines = nfvd_lines(err)
    assert len(lines) == 1, err
    assert nfvd.file in lines[0] and "No such file or directory" in lines[0]


def af_packet_sink(port_args):
    """NULL_CHAIN with its sink an af_packet port (port_args: "iface: X, ...")."""
    return NULL_CHAIN.replace('{name: sink, driver: "null"}',
                              '{name: sink, driver: af_packet, %s}' % port_args)


def port_refused(nfvd):
    """Start an nfvd whose port cannot start: it exits 1 with one error
    line of its own (returned), not half-started: no hugepage files, no
    socket left behind."""
    rc, err = start_fails(nfvd)
    assert rc == 1, err
    lines = [line for line in nfvd_lines(err) if line.startswith("nfvd:")]
    assert len(lines) == 1, err
    assert nfvd.left == []
    assert not os.path.exists(nfvd.sock)
    return lines[0]


def test_port_that_cannot_start_refused(need_nfvd, tmp_path, tag):
    # an af_packet port on an interface that does not exist
    line = port_refused(Nfvd(af_packet_sink("iface: %sx" % tag), tmp_path, name="port"))
    assert "port sink" in line and "af_packet" in line, line


def test_port_mtu_beyond_the_device_refused(need_nfvd, tmp_path, tag):
    """An mtu the port's driver cannot carry (af_packet: 1500, its ring
    frames are 2 KiB) is refused with the range the device takes."""
    a, b = tag + "m", tag + "n"
    subprocess.run(["ip", "link", "add", a, "type", "veth", "peer", "name", b], check=True)
    try:
        subprocess.run(["ip", "link", "set", a, "up"], check=True)
        line = port_refused(Nfvd(af_packet_sink("iface: %s, mtu: 9000" % a), tmp_path,
                                 name="mtu"))
        assert "port sink: mtu 9000" in line, line
        assert re.search(r"takes an mtu of \d+ to 1500", line), line
    finally:
        subprocess.run(["ip", "link", "del", a], check=False)


def test_router_interface_mtu_above_its_port_refused(need_nfvd, tmp_path, tag):
    """A router interface whose mtu is above its port's (a tap at the
    default 1500) would send packets the port drops instead of fragmenting
    or answering "too big": refused at start, naming both."""
    conf = """\
version: 1
ports:
  - {name: a, driver: tap, iface: %sa}
  - {name: b, driver: "null"}
vnfs:
  - name: rtr
    class: router
    interfaces:
      - {name: lan, port: a, mtu: 9000, addresses: [10.84.1.1/24]}
      - {name: wan, port: b, addresses: [10.84.2.1/24]}
chains:
  - {name: in, ingress: [a], vnfs: [rtr]}
""" % tag
    line = port_refused(Nfvd(conf, tmp_path, name="rmtu"))
    assert "interface lan: mtu 9000 is above the MTU of port a (1500)" in line, line


TAP_CHAIN = """\
version: 1
nfvd: {idle-sleep: %d}
ports:
  - {name: a, driver: tap, iface: %s}
  - {name: b, driver: "null"}
chains:
  - {name: fwd, ingress: [a], vnfs: [], egress: b}
"""


def _cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def test_one_cpu_mode_idle_worker_naps_and_busy_worker_leaves_control_alive(nfvd_factory,
                                                                           tag):
    """-l 1,1: the control thread and the one worker share CPU 1. Idle, the
    worker naps (nfvd uses a fraction of the CPU); flooded by a null port,
    the control socket still answers and counters move."""
    nfvd = nfvd_factory(TAP_CHAIN % (200, tag + "t"), lcores="1,1")
    st = nfvd.result("status")
    assert st["shared_cpu"] == 1 and st["idle_sleep_us"] == 200
    assert [w["lcore"] for w in st["workers"]] == [1]
    text = nfvd.nfvctl("status").stdout
    assert "one CPU (1) for the control thread and the worker" in text, text
    assert "idle workers nap 200 us" in text, text
    before, t0 = _cpu_seconds(nfvd.proc.pid), time.monotonic()
    wait_for(lambda: time.monotonic() - t0 > 2, 5, "2 s of idling")
    used = (_cpu_seconds(nfvd.proc.pid) - before) / (time.monotonic() - t0)
    assert used < 0.5, "idle nfvd on one CPU used %.0f%% of it" % (used * 100)
    assert nfvd.stats()["workers"][0]["naps"] > 100
    nfvd.stop()

    busy = nfvd_factory(NULL_CHAIN, lcores="1,1", name="busy")
    assert busy.result("status")["shared_cpu"] == 1
    seen = []
    for _ in range(20):
        seen.append(busy.stats()["chains"]["fwd"]["tx"])
    assert seen[-1] > seen[0] > 0
    assert busy.stats()["workers"][0]["naps"] == 0


def test_two_workers_on_the_main_cpu_refused(need_nfvd, tmp_path):
    nfvd = Nfvd(NULL_CHAIN, tmp_path, name="twice", lcores="1,1,0")
    rc, err = start_fails(nfvd)
    assert rc == 1, err
    lines = nfvd_lines(err)
    assert len(lines) == 1 and "only a single worker may share" in lines[0], err
