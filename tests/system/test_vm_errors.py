# SPDX-License-Identifier: BSD-3-Clause
"""VNFs in guests that fail: a guest that never boots (clear error after its
boot-timeout, the other chain keeps forwarding) and bad guest specs
(readable file:line:col errors). Helpers and set-up: test_vm_guest.py.
"""
import json
import os
import re
import signal
import subprocess

import pytest

from test_vm_guest import (BUILD, NS_A, NS_B, TAG, Up, chain_file,  # noqa: F401
                           guest_image, netns, nfvd_pid, pytestmark, sh, wait_for)


def mac_of(ns, ifname):
    return json.loads(sh("ip -n %s -j link show %s" % (ns, ifname)).stdout)[0]["address"]


def test_guest_that_never_boots(netns, guest_image, tmp_path):
    # init is cat: the kernel runs, the guest never drives its NICs
    path, sock = chain_file(str(tmp_path), guest_image, boot_timeout=5,
                            cmdline="quiet rdinit=/bin/cat")
    u = Up(path, sock, str(tmp_path))
    try:
        wait_for(lambda: "guest br: not up after 5 s (boot-timeout" in u.output(), 60,
                 "the boot-timeout error")
        assert u.guest()["state"] in ("backoff", "booting")
        # static neighbours: no ARP needed across the dead guest
        sh("ip -n %s neigh replace 10.77.0.2 lladdr %s dev %s-lan1"
           % (NS_A, mac_of(NS_B, TAG + "-wan1"), TAG))
        sh("ip -n %s neigh replace 10.77.0.1 lladdr %s dev %s-wan1"
           % (NS_B, mac_of(NS_A, TAG + "-lan1"), TAG))
        # the in-process chain still forwards: B -> A
        before = u.stats()
        sh("ip netns exec %s ping -c 3 -i 0.2 -W 1 10.77.0.1" % NS_B, check=False)
        # and what reaches the dead guest's stage is dropped and counted
        sh("ip netns exec %s ping -c 3 -i 0.2 -W 1 10.77.0.2" % NS_A, check=False)
        after = u.stats()
        assert after["chains"]["down"]["tx"] >= before["chains"]["down"]["tx"] + 3
        assert after["ports"]["lan"]["tx"] >= before["ports"]["lan"]["tx"] + 3
        assert after["vnfs"]["br"]["drops"]["stage-down"] >= \
            before["vnfs"]["br"]["drops"]["stage-down"] + 3
    finally:
        u.down()


def test_guest_whose_restart_fails_keeps_retrying(netns, guest_image, tmp_path):
    # QEMU's log path turned into a folder: every restart fails before QEMU
    # runs; nfvctl up retries with backoff (logged) until it is a file again
    path, sock = chain_file(str(tmp_path), guest_image)
    u = Up(path, sock, str(tmp_path))
    try:
        first = wait_for(lambda: (lambda g: g if g and g["pid"] > 0 else None)(u.guest()), 60,
                         "the guest's QEMU:\n" + u.output())
        log = os.path.join(str(tmp_path), "run", "br.qemu.log")
        os.unlink(log)
        os.mkdir(log)
        os.kill(first["pid"], signal.SIGKILL)
        wait_for(lambda: u.output().count("guest br: restart failed: ") >= 3, 90,
                 "three failed guest restarts:\n" + u.output())
        delays = [int(x) for x in re.findall(r"guest br: restart failed: .*Is a directory; "
                                             r"restart in (\d+) ms", u.output())]
        assert len(delays) >= 3 and delays == sorted(delays) and delays[-1] > delays[0], \
            u.output()
        g = u.guest()
        assert g["state"] == "backoff" and "Is a directory" in g["last_error"], g
        os.rmdir(log)
        wait_for(lambda: (lambda g: g and g["pid"] > 0 and g["pid"] != first["pid"])(
            u.guest()), 60, "the guest restarted:\n" + u.output())
        assert u.guest()["restarts"] >= 1
    finally:
        u.down()


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except (OSError, IndexError):
        return False


def test_guest_restart_waits_while_nfvd_is_away(netns, guest_image, tmp_path):
    # QEMU would block at start waiting for nfvd's vhost client: a guest
    # restart that comes due while nfvd cannot be restarted (broken chain
    # file) waits until nfvd answers again
    path, sock = chain_file(str(tmp_path), guest_image)
    good = open(path).read()
    u = Up(path, sock, str(tmp_path))
    try:
        first = wait_for(lambda: (lambda g: g if g and g["pid"] > 0 else None)(u.guest()), 60,
                         "the guest's QEMU:\n" + u.output())
        nfvd = nfvd_pid(sock)
        with open(path, "w") as f:
            f.write(good.replace("driver: af_packet", "driver: nope"))
        os.kill(nfvd, signal.SIGKILL)
        wait_for(lambda: "nfvd (pid %d) killed by signal 9" % nfvd in u.output(), 30,
                 "nfvd's death noticed:\n" + u.output())
        os.kill(first["pid"], signal.SIGKILL)
        wait_for(lambda: "nfvd restart failed (attempt 3)" in u.output(), 120,
                 "failed nfvd restarts:\n" + u.output())
        g = u.guest()  # its 1 s backoff is long over: still waiting for nfvd
        assert g["state"] == "backoff" and g["pid"] == -1, (g, u.output())
        with open(path, "w") as f:
            f.write(good)
        wait_for(lambda: (lambda g: g and g["pid"] > 0)(u.guest()), 90,
                 "the guest started once nfvd is back:\n" + u.output())
        out = u.output()
        assert out.index("nfvd is back") < out.index("guest br: restarted, QEMU pid"), out
    finally:
        u.down()


def test_kill9_of_up_stops_its_guests_and_a_new_up_adopts_nfvd(netns, guest_image, tmp_path):
    # docs/guests.md "When nfvctl up dies": QEMU goes with its supervisor
    # (no guest left unwatched), nfvd stays, status says nobody supervises
    path, sock = chain_file(str(tmp_path), guest_image)
    u1 = Up(path, sock, str(tmp_path))
    u2 = None
    nfvd = None
    try:
        g = wait_for(lambda: (lambda g: g if g and g["pid"] > 0 else None)(u1.guest()), 60,
                     "the guest's QEMU:\n" + u1.output())
        nfvd = nfvd_pid(sock)
        u1.proc.kill()
        u1.proc.wait()
        wait_for(lambda: not alive(g["pid"]), 30, "QEMU to end with nfvctl up")
        assert alive(nfvd)
        r = u1.ctl("status")
        assert "supervisor: NONE" in r.stdout, r.stdout
        os.makedirs(os.path.join(str(tmp_path), "second"))
        u2 = Up(path, sock, os.path.join(str(tmp_path), "second"))
        g2 = wait_for(lambda: (lambda g: g if g and g["pid"] > 0 else None)(u2.guest()), 60,
                      "the new guest:\n" + u2.output())
        assert g2["pid"] != g["pid"]
        assert "nfvd (pid %d) already answers" % nfvd in u2.output()
        assert nfvd_pid(sock) == nfvd
        assert "supervisor: nfvctl up %s (pid %d)" % (path, u2.proc.pid) in \
            u2.ctl("status").stdout
        u2.down()
        wait_for(lambda: not alive(nfvd) and not alive(g2["pid"]), 30,
                 "nfvd and the guest stopped by nfvctl down")
    finally:
        if u2 is not None:
            u2.down()
        if nfvd is not None and alive(nfvd):
            os.kill(nfvd, signal.SIGKILL)


@pytest.mark.parametrize("edit,expect", [
    (("{img}/vmlinux", "/nonexistent/vmlinux"), "cannot read /nonexistent/vmlinux"),
    (("port: g-out", "port: lan"), "needs driver: vhost"),
    (("port: g-out", "port: nope"), "no port named \"nope\""),
    (("memory: 256", "memory: 16"), "too small"),
])
def test_bad_spec_is_a_readable_error(guest_image, tmp_path, edit, expect):
    path, sock = chain_file(str(tmp_path), guest_image)
    text = open(path).read()
    old = edit[0].format(img=guest_image)
    assert old in text
    with open(path, "w") as f:
        f.write(text.replace(old, edit[1]))
    r = subprocess.run([os.path.join(BUILD, "nfvctl"), "-s", sock, "up", path],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 1
    assert expect in r.stderr
    assert path + ":" in r.stderr  # file:line:col
