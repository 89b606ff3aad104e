# SPDX-License-Identifier: BSD-3-Clause
"""An idle nfvd on one CPU idles (issue 18, item 14).

nfvd is a wire between two namespaces (af_packet ports on veths, chains
a -> b and b -> a) in its one-CPU mode (-l 1,1, default idle-sleep). With
no traffic it takes a small share of the CPU (the worker's nap backs off
to 1 ms, the control loop's to 1 ms), and the first ping after the idle
spell is answered.
"""
import os
import re
import time

from nfvlib import run, veth, wait_for

WIRE = """\
version: 1
ports:
  - {name: a, driver: af_packet, iface: %sa0}
  - {name: b, driver: af_packet, iface: %sb0}
chains:
  - {name: ab, ingress: [a], vnfs: [], egress: b}
  - {name: ba, ingress: [b], vnfs: [], egress: a}
"""


def _cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _ping(ns, addr):
    """One ping; its RTT in ms, or None when unanswered."""
    out = run(["ping", "-n", "-c", "1", "-W", "2", addr], ns=ns, check=False).stdout
    m = re.search(r"time=([\d.]+) ms", out)
    return float(m.group(1)) if m else None


def test_one_cpu_idle_nfvd_idles_and_first_ping_is_answered(nfvd_factory, ns_factory, tag):
    n1, n2 = ns_factory("1"), ns_factory("2")
    with veth(tag + "a0", tag + "a1", ns_b=n1), veth(tag + "b0", tag + "b1", ns_b=n2):
        run(["ip", "addr", "add", "10.9.0.1/24", "dev", tag + "a1"], ns=n1)
        run(["ip", "addr", "add", "10.9.0.2/24", "dev", tag + "b1"], ns=n2)
        nfvd = nfvd_factory(WIRE % (tag, tag), lcores="1,1")
        st = nfvd.result("status")
        assert st["shared_cpu"] == 1 and st["idle_sleep_us"] == 20, st
        # the wire works (and ARP is resolved)
        wait_for(lambda: _ping(n1, "10.9.0.2") is not None, 20, "a ping through nfvd")

        # 3 s of nothing: generous bound, the host is shared and noisy
        before, t0 = _cpu_seconds(nfvd.proc.pid), time.monotonic()
        wait_for(lambda: time.monotonic() - t0 > 3, 10, "3 s of idling")
        used = (_cpu_seconds(nfvd.proc.pid) - before) / (time.monotonic() - t0)
        assert used < 0.10, "idle nfvd on one CPU used %.0f%% of it" % (used * 100)
        naps = nfvd.stats()["workers"][0]["naps"]
        assert naps > 0

        # the first ping after the idle spell is answered
        rtt = _ping(n1, "10.9.0.2")
        assert rtt is not None, "first ping after idle not answered"


ROUTER = """\
version: 1
ports:
  - {name: a, driver: af_packet, iface: %sa0}
vnfs:
  - name: rtr
    class: router
    interfaces:
      - {name: lan, port: a, addresses: [10.9.1.1/24]}
chains:
  - {name: in, ingress: [a], vnfs: [rtr]}
"""


def _ctl_switches(pid):
    """Voluntary context switches of nfvd's main thread (the control loop)."""
    with open("/proc/%d/task/%d/status" % (pid, pid)) as f:
        return int(re.search(r"voluntary_ctxt_switches:\s+(\d+)", f.read()).group(1))


def test_idle_control_thread_sleeps_and_punts_wake_it(nfvd_factory, ns_factory, tag):
    """With a worker of its own, the idle control loop sleeps in poll() (its
    sockets, the punt doorbell, the next VNF tick) instead of waking every
    millisecond: a co-located process (a generator, a guest) keeps its
    core. A packet punted after the idle spell (a ping of the router's own
    address) wakes it through the workers' doorbell, and is answered."""
    n1 = ns_factory("1")
    with veth(tag + "a0", tag + "a1", ns_b=n1):
        run(["ip", "addr", "add", "10.9.1.2/24", "dev", tag + "a1"], ns=n1)
        nfvd = nfvd_factory(ROUTER % tag)
        assert nfvd.result("status")["shared_cpu"] == -1
        wait_for(lambda: _ping(n1, "10.9.1.1") is not None, 20, "a ping of the router")

        # 2 s without a packet or a request (the stats read after it is one)
        c0 = nfvd.stats()["engine"]["control"]
        s0, t0 = _ctl_switches(nfvd.proc.pid), time.monotonic()
        wait_for(lambda: time.monotonic() - t0 > 2, 10, "2 s of idling")
        rate = (_ctl_switches(nfvd.proc.pid) - s0) / (time.monotonic() - t0)
        c1 = nfvd.stats()["engine"]["control"]
        # ~100 a second (a VNF tick every 10 ms); a 1 ms nap made ~1,000
        assert rate < 400, "idle control thread woke %.0f times a second" % rate
        assert c1["woken_by_tick"] - c0["woken_by_tick"] > 20, (c0, c1)
        assert c1["woken_by_socket"] > c0["woken_by_socket"], (c0, c1)  # the stats request

        # the router's own address: ARP and the echo request are punted
        assert _ping(n1, "10.9.1.1") is not None, "ping after the idle spell not answered"
        c2 = nfvd.stats()["engine"]["control"]
        assert c2["woken_by_punt"] > c1["woken_by_punt"], (c1, c2)
