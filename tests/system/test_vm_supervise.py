# SPDX-License-Identifier: BSD-3-Clause
"""nfvctl up as a supervisor of nfvd, without guests (docs/guests.md,
"What nfvctl up does" and "When nfvctl up dies"): nfvd restarts that fail
are retried with backoff until they work, `nfvctl down` stops an nfvd that
`up` found running, and after kill -9 of `nfvctl up` the status says nobody
supervises and a new `up` adopts the running nfvd (same pid)."""
import contextlib
import glob
import json
import os
import re
import shutil
import signal
import subprocess

import pytest

from nfvlib import NULL_CHAIN, NFVCTL, NFVD, wait_for


# nfvd's restart backoff (cmd_up.c): 0.5 s doubling to 10 s; an nfvd start
# takes a few seconds here, much more under load
BACKOFF_MAX_S = 10
START_S = 60


@pytest.fixture
def need_nfvctl():
    if os.geteuid() != 0:
        pytest.skip("system tests need root")
    for b in (NFVD, NFVCTL):
        if not os.access(b, os.X_OK):
            pytest.skip("not built: " + b)


def ctl(sock, *args, timeout=30):
    return subprocess.run([NFVCTL, "-s", sock] + [str(a) for a in args],
                          capture_output=True, text=True, timeout=timeout)


def nfvd_status(sock):
    """nfvd's status result (with nfvctl's "supervisor"), or None when it
    does not answer."""
    r = ctl(sock, "--json", "status")
    return json.loads(r.stdout) if r.returncode == 0 else None


def nfvd_pid(sock):
    st = nfvd_status(sock)
    return st["pid"] if st else None


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


class Up:
    """nfvctl -s SOCK up FILE -- nfvd options, in the background; output in
    a file. Several Ups of one test share the nfvd file prefix."""

    def __init__(self, tmp, name="up", nfvd=None, eal=()):
        """nfvd: an nfvlib.Nfvd already running whose socket and file to use;
        eal: EAL arguments for nfvd (after a second "--")."""
        self.tmp = str(tmp)
        self.sock = nfvd.sock if nfvd else os.path.join(self.tmp, "nfvd.sock")
        self.file = nfvd.file if nfvd else os.path.join(self.tmp, "chain.yaml")
        self.prefix = nfvd.prefix if nfvd else \
            "t%dsup%s" % (os.getpid(), os.path.basename(self.tmp)[-6:])
        self.log_path = os.path.join(self.tmp, name + ".log")
        if not os.path.exists(self.file):
            self.write(NULL_CHAIN)
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [NFVCTL, "-s", self.sock, "up", self.file, "--", "--file-prefix", self.prefix,
             "-l", "0,1"] + (["--"] + list(eal) if eal else []),
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def write(self, text):
        with open(self.file + ".new", "w") as f:
            f.write(text)
        os.rename(self.file + ".new", self.file)

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_up(self):
        def up():
            if self.proc.poll() is not None:
                raise AssertionError("nfvctl up exited %d:\n%s" % (self.proc.returncode,
                                                                   self.output()))
            return "is up" in self.output()
        wait_for(up, START_S, "nfvctl up to be up")
        return self

    def down(self):
        """nfvctl down; returns up's exit code."""
        if self.proc.poll() is None:
            ctl(self.sock, "down", timeout=90)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        return self.proc.returncode


@pytest.fixture
def ups(need_nfvctl, tmp_path):
    """make(name) -> a started Up in tmp_path; at the end: down, kill any
    nfvd left on the socket, remove the DPDK files of the prefix."""
    made = []

    def make(name="up", **kw):
        u = Up(tmp_path, name, **kw)
        made.append(u)
        return u

    yield make
    for u in made:
        with contextlib.suppress(Exception):
            u.down()
    if made:
        pid = nfvd_pid(made[0].sock)
        if pid:
            os.kill(pid, signal.SIGKILL)
            wait_for(lambda: not alive(pid), 30, "nfvd to die")
        for f in glob.glob("/dev/hugepages/%s*" % made[0].prefix):
            with contextlib.suppress(OSError):
                os.unlink(f)
        shutil.rmtree("/var/run/dpdk/" + made[0].prefix, ignore_errors=True)


def test_nfvd_restart_retried_with_backoff_until_the_file_is_fixed(ups):
    u = ups().wait_up()
    first = nfvd_pid(u.sock)
    assert first
    u.write(NULL_CHAIN.replace("driver: \"null\", rx: true", "driver: nope"))
    os.kill(first, signal.SIGKILL)
    # each attempt fails (nfvd refuses the file) and is logged with the reason
    wait_for(lambda: "nfvd restart failed (attempt 3)" in u.output(),
             3 * START_S, "three failed nfvd restarts:\n" + u.output())
    out = u.output()
    assert re.search(r"nfvd restart failed \(attempt 1\): exited with status \d+ before it "
                     r"answered on .*; retrying in [\d.]+ s", out), out
    delays = [float(d) for d in re.findall(r"nfvd restart failed \(attempt \d+\).*"
                                           r"retrying in ([\d.]+) s", out)]
    assert delays == sorted(delays) and delays[-1] > delays[0], delays  # backs off
    assert u.proc.poll() is None, "nfvctl up gave up:\n" + out
    # status, while nfvd is away, names the supervisor and why nfvd is not
    # back (between two attempts: one may be under way when we ask)

    def backoff_status():
        r = ctl(u.sock, "status")
        return r.returncode != 0 and re.search(
            r"supervisor: nfvd restart failed \d+ times, last: exited with status \d+ "
            r"before it answered on .*; next attempt in [\d.]+ s", r.stderr) and r
    r = wait_for(backoff_status, 60, "status during the backoff")
    assert "supervisor: nfvctl up %s (pid %d)" % (u.file, u.proc.pid) in r.stderr, r.stderr
    u.write(NULL_CHAIN)
    # back within one (capped) backoff and a start
    pid = wait_for(lambda: nfvd_pid(u.sock), BACKOFF_MAX_S + START_S,
                   "nfvd back after the fix:\n" + u.output())
    assert pid != first
    wait_for(lambda: "nfvd is back (pid %d) after" % pid in u.output(), 10,
             "the recovery in the log:\n" + u.output())
    assert u.down() == 0
    wait_for(lambda: not alive(pid), 30, "nfvd stopped by nfvctl down")


def test_sigterm_during_the_backoff_ends_up(ups):
    u = ups().wait_up()
    first = nfvd_pid(u.sock)
    u.write("version: 1\nports: [\n")
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: "nfvd restart failed (attempt 2)" in u.output(), 2 * START_S,
             "two failed nfvd restarts:\n" + u.output())
    u.proc.terminate()
    assert u.proc.wait(30) == 0, u.output()
    out = u.output()
    assert "nfvctl: down" in out
    assert "(attempt 4)" not in out, out  # no new attempt once told to stop
    assert nfvd_status(u.sock) is None
    assert not os.path.exists(os.path.join(u.tmp, "nfvctl-up.pid"))


def test_down_stops_an_adopted_nfvd(need_nfvctl, nfvd_factory, tmp_path):
    d = nfvd_factory(NULL_CHAIN)
    u = Up(tmp_path, nfvd=d)
    try:
        u.wait_up()
        assert "already answers" in u.output()
        r = ctl(d.sock, "down", timeout=90)
        assert r.returncode == 0, r.stderr
        assert d.proc.wait(30) == 0, d.output()  # as "nfvctl shutdown": clean exit
        assert u.proc.wait(30) == 0, u.output()
    finally:
        u.down()


def test_up_killed_then_a_new_up_adopts_nfvd(ups):
    u1 = ups("up1").wait_up()
    pid = nfvd_pid(u1.sock)
    st = nfvd_status(u1.sock)
    sup = st["supervisor"]
    assert (sup["pid"], sup["file"], sup["alive"]) == (u1.proc.pid, u1.file, True), sup
    assert sup["nfvd"]["state"] == "up" and sup["nfvd"]["pid"] == pid, sup
    u1.proc.kill()
    u1.proc.wait()
    # nfvd keeps running; status says nobody supervises it
    assert nfvd_pid(u1.sock) == pid
    st = nfvd_status(u1.sock)
    assert st["supervisor"]["alive"] is False and st["supervisor"]["pid"] == u1.proc.pid
    r = ctl(u1.sock, "status")
    assert "supervisor: NONE" in r.stdout and "died" in r.stdout, r.stdout
    # a new up adopts it: same nfvd, supervised again
    u2 = ups("up2").wait_up()
    assert "nfvd (pid %d) already answers" % pid in u2.output()
    assert nfvd_pid(u2.sock) == pid
    sup = nfvd_status(u2.sock)["supervisor"]
    assert sup["pid"] == u2.proc.pid and sup["nfvd"]["adopted"] is True, sup
    assert "supervisor: nfvctl up %s (pid %d)" % (u2.file, u2.proc.pid) in \
        ctl(u2.sock, "status").stdout
    # the adopted nfvd is supervised: killed, it is restarted
    os.kill(pid, signal.SIGKILL)
    new = wait_for(lambda: (nfvd_pid(u2.sock) or pid) != pid and nfvd_pid(u2.sock),
                   BACKOFF_MAX_S + START_S, "nfvd restarted:\n" + u2.output())
    assert "found running at start) is gone" in u2.output()
    assert u2.down() == 0
    wait_for(lambda: not alive(new), 30, "nfvd stopped by nfvctl down")
    assert nfvd_status(u2.sock) is None


def test_up_passes_eal_arguments_after_a_second_double_dash(ups):
    """nfvctl up FILE -- NFVD_OPTIONS -- EAL_ARGS: the EAL arguments reach
    nfvd's EAL (here a log level that shows EAL's debug lines, which nfvd
    alone would not print), also when up restarts nfvd."""
    u = ups(eal=["--log-level=lib.eal:debug"]).wait_up()
    dbg = "EAL: Ask a virtual area of"  # a DEBUG line: not there at EAL's default level
    assert dbg in u.output(), u.output()
    pid = nfvd_pid(u.sock)
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: nfvd_pid(u.sock) not in (None, pid), START_S, "nfvd restarted by up")
    starts = u.output().split("EAL: Detected CPU lcores")
    assert len(starts) == 3 and dbg in starts[2], u.output()
    assert u.down() == 0


def test_up_refuses_too_many_nfvd_arguments(need_nfvctl, tmp_path):
    r = ctl(str(tmp_path / "s.sock"), "up", str(tmp_path / "x.yaml"), "--", *(["-v"] * 60))
    assert r.returncode == 2, r
    assert "too many nfvd arguments" in r.stderr, r.stderr
