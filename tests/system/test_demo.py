# SPDX-License-Identifier: BSD-3-Clause
"""The README's main job, scripts/demo.sh, run as a user runs it (no
terminal, as root), with and without the guest VNF; its output checked for
what a user looks at: the DHCP lease, pings through, the router hop, the
guest's own counters (non-zero) and, once nfvctl has it, the packet trace.
Afterwards nothing of the demo is left (namespaces, DPDK runtime folder,
files in /tmp).

The guest run reuses the image the suite builds once (the guest_image
fixture of test_vm_guest.py, NFV_GUEST_CACHE): the demo must find it cached
and not build it again.
"""
import glob
import os
import re
import subprocess

import pytest

from test_vm_guest import BUILD, ROOT, guest_image, pytestmark  # noqa: F401

DEMO = os.path.join(ROOT, "scripts", "demo.sh")


def has_trace():
    r = subprocess.run([os.path.join(BUILD, "nfvctl"), "--help"], capture_output=True,
                       text=True)
    return re.search(r"^\s*trace\s", r.stdout + r.stderr, re.M) is not None


def leftovers(tag):
    """What the demo run with this tag (nfvdemo<pid>) left behind."""
    ns = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    return ([n for n in ns.split() if n.startswith(tag + "-")] +
            glob.glob("/tmp/%s.*" % tag) + glob.glob("/var/run/dpdk/%s" % tag) +
            glob.glob("/dev/hugepages/%s*" % tag))


def run_demo(env_extra, timeout):
    env = dict(os.environ, NFVD_BUILD=BUILD, **env_extra)
    env.pop("NFV_DEMO_CHAIN", None)
    p = subprocess.Popen([DEMO], env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = p.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        p.terminate()  # the demo cleans up on SIGTERM
        out, _ = p.communicate(timeout=60)
        raise AssertionError("demo not done after %d s:\n%s" % (timeout, out[-6000:]))
    assert p.returncode == 0, out[-6000:]
    assert leftovers("nfvdemo%d" % p.pid) == [], out[-2000:]
    return out


def check_lab(out):
    # h1 got its address from nfvd's DHCP server, the lease is bound
    assert re.search(r"host nfvdemo\d+-h1: rtrlab-a 10\.81\.1\.2/24 \(DHCP\)", out), out
    assert re.search(r"10\.81\.1\.2\s+bound\s+02:81:01:00:00:02", out), out
    # pings through firewall and router (TTL shows the router hop), v4 and v6
    assert re.search(r"64 bytes from 10\.81\.2\.2: icmp_seq=\d+ ttl=63", out), out
    assert re.search(r"64 bytes from 2001:db8:81:2::2: icmp_seq=\d+ ttl=63", out), out
    # traceroute ran (one probe per hop: on a loaded host a hop may show "*")
    assert "traceroute to 10.81.2.2" in out, out
    assert "iperf Done." in out
    assert "=== demo done" in out


def check_trace(out, stages):
    """nfvctl trace of one ping: every stage of the chain, then out of b."""
    if not has_trace():
        assert "this nfvctl has no trace verb" in out
        return
    start = out.index("=== trace of one ping")
    block = out[start:out.index("\n===", start + 1)]
    for stage in stages:
        assert re.search(r"\] %s \(" % re.escape(stage), block), block
    assert "tx port b" in block, block


def test_demo_without_guest():
    out = run_demo({"NFV_DEMO_GUEST": "0"}, timeout=180)
    check_lab(out)
    check_trace(out, ("dhcp", "fw", "rtr"))
    assert "wan-ctr" not in out and "nfvctl up" not in out


def test_demo_with_guest(guest_image):  # noqa: F811
    if not os.path.exists(os.path.join(guest_image, "nfvd.cpio.gz")):
        pytest.fail("no nfvd guest image in " + guest_image)
    out = run_demo({"NFV_DEMO_GUEST": "1", "NFV_GUEST_CACHE": guest_image}, timeout=420)
    check_lab(out)
    # the image the suite built is reused, not built again
    assert "guest: image in %s (cached)" % guest_image in out, out
    assert "building the guest image" not in out
    # the demo says how the guest runs: KVM, or TCG and why
    assert re.search(r"KVM is usable|KVM is not usable here \(.*\): the guest runs under TCG",
                     out), out
    assert re.search(r"wan-ctr\s+counter\s+running", out), out  # nfvctl vm list
    # the guest's own counters (its nfvd's console): it counted the traffic
    rx = [int(x) for x in re.findall(r"chain-wan-ctr: rx (\d+) tx \d+", out)]
    assert rx and rx[-1] > 0, out
    # and nfvd's side of the guest stage
    m = re.search(r"wan-ctr \(vm\)\n\s+counters\s+to-guest=(\d+)", out)
    assert m and int(m.group(1)) > 0, out
    assert "nfvctl: down" in out
    check_trace(out, ("dhcp", "fw", "rtr", "wan-ctr"))
