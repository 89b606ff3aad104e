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
