# SPDX-License-Identifier: BSD-3-Clause
"""`frr:` in a chain file: nfvctl up runs FRR's daemons beside nfvd
(orchestrator/frr.c). Everything runs inside a network namespace of the
test (zebra programs the kernel FIB of the namespace it runs in).

- start order (nfvd answers, then zebra with dplane_fpm_nl, then the
  others), the configuration applied (vtysh -N <pathspace> reads it back),
  a killed daemon restarted with its configuration, up-status, nfvctl down
  stops everything and leaves no pathspace folder;
- nfvctl up killed with SIGKILL: the daemons stop too (the guard);
- bad input: a daemon name that is no FRR daemon, an unreadable config, a
  bad FPM address, a pathspace already in use, a config FRR refuses:
  refused with file:line:col or a clear start-up error, nothing started.
"""
import json
import os
import re
import signal
import subprocess

import pytest

import nfvlib
from nfvlib import NFVCTL, run, wait_for

FRR_CONF = """\
ip route 10.99.0.0/16 blackhole
router bgp 65001
 bgp router-id 10.0.0.1
 neighbor 10.85.1.2 remote-as 65002
exit
"""


def chain(tag, frr):
    return {
        "version": 1,
        "ports": [{"name": "a", "driver": "tap", "iface": tag + "a"}],
        "vnfs": [{"name": "rtr", "class": "router",
                  "interfaces": [{"name": "lan", "port": "a",
                                  "addresses": ["10.85.1.1/24"]}]}],
        "chains": [{"name": "from-a", "ingress": ["a"], "vnfs": ["rtr"]}],
        "frr": frr,
    }


def pids(ps):
    """{daemon: pid} of FRR's pid files of pathspace ps (live ones)"""
    out = {}
    d = "/var/run/frr/" + ps
    for f in os.listdir(d) if os.path.isdir(d) else []:
        if f.endswith(".pid"):
            try:
                pid = int(open(os.path.join(d, f)).read().strip())
                os.kill(pid, 0)
                out[f[:-4]] = pid
            except (OSError, ValueError):
                pass
    return out


class Up:
    def __init__(self, ns, tmp, conf):
        self.ns, self.tmp = ns, str(tmp)
        self.file = os.path.join(self.tmp, "chain.yaml")
        self.sock = os.path.join(self.tmp, "nfvd.sock")
        self.prefix = "t%dfrr%s" % (os.getpid(), os.path.basename(self.tmp)[-6:])
        with open(self.file, "w") as f:
            f.write(nfvlib._yaml_text(conf))
        self.log_path = os.path.join(self.tmp, "up.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, NFVCTL, "-s", self.sock, "up", self.file, "--",
             "--file-prefix", self.prefix, "-l", "0,1"],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    def wait_up(self):
        def up():
            if self.proc.poll() is not None:
                raise AssertionError("nfvctl up exited %d:\n%s" % (self.proc.returncode,
                                                                   self.output()))
            return "is up" in self.output()
        wait_for(up, 90, "nfvctl up to be up")
        return self

    def status(self):
        p = run(["ip", "netns", "exec", self.ns, NFVCTL, "-s", self.sock, "-j", "status"],
                check=False)
        return p

    def vtysh(self, ps, cmd):
        return run(["vtysh", "-N", ps, "-c", cmd], ns=self.ns, check=False).stdout

    def down(self):
        if self.proc.poll() is None:
            run(["ip", "netns", "exec", self.ns, NFVCTL, "-s", self.sock, "down"],
                check=False, timeout=90)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.cleanup()
        return self.proc.returncode

    def cleanup(self):
        self.log.close()
        # an nfvd left by a killed nfvctl up
        with open(os.devnull, "w") as null:
            subprocess.run(["ip", "netns", "exec", self.ns, NFVCTL, "-s", self.sock,
                            "shutdown"], stdout=null, stderr=null, timeout=30)
        nfvlib.Nfvd.cleanup(self)

    # nfvlib.Nfvd.cleanup's fields
    proc_ = None
    _out = None


@pytest.fixture
def up_factory(ns_factory, tmp_path, need_nfvd):
    made = []

    def make(conf):
        u = Up(ns_factory("up"), tmp_path, conf)
        made.append(u)
        return u
    yield make
    for u in made:
        if u.proc.poll() is None:
            u.proc.kill()
            u.proc.wait()
        for ps in list(u.pathspaces if hasattr(u, "pathspaces") else []):
            for pid in pids(ps).values():
                os.kill(pid, signal.SIGKILL)


def test_frr_started_configured_supervised_and_stopped(up_factory, tag):
    ps = "t" + tag
    u = up_factory(chain(tag, {"daemons": ["zebra", "bgpd", "staticd"],
                               "config-text": FRR_CONF, "pathspace": ps}))
    u.pathspaces = [ps]
    u.wait_up()
    out = u.output()
    assert "FRR up (pathspace %s: vtysh -N %s)" % (ps, ps) in out, out
    # nfvd answered before zebra started: zebra's FPM peer is configured
    running = u.vtysh(ps, "show running-config")
    assert "fpm address 127.0.0.1" in running, running
    assert "router bgp 65001" in running and "neighbor 10.85.1.2 remote-as 65002" in running
    assert "ip route 10.99.0.0/16 blackhole" in running
    wait_for(lambda: "10.99.0.0/16" in u.vtysh(ps, "show ip route static"), 20,
             "staticd's route in zebra")
    first = pids(ps)
    assert set(first) == {"zebra", "bgpd", "staticd"}, first
    st = json.loads(run(["ip", "netns", "exec", u.ns, NFVCTL, "-s", u.sock, "--json",
                         "status"]).stdout)
    frr = st["supervisor"]["frr"]
    assert frr["pathspace"] == ps
    assert [(d["name"], d["state"], d["pid"]) for d in frr["daemons"]] == \
        [("zebra", "up", first["zebra"]), ("bgpd", "up", first["bgpd"]),
         ("staticd", "up", first["staticd"])]
    text = run(["ip", "netns", "exec", u.ns, NFVCTL, "-s", u.sock, "status"]).stdout
    assert "frr: pathspace %s (vtysh -N %s)" % (ps, ps) in text, text
    # bgpd killed: restarted (backoff) and given its configuration again
    os.kill(first["bgpd"], signal.SIGKILL)
    wait_for(lambda: pids(ps).get("bgpd") not in (None, first["bgpd"]), 30,
             "bgpd restarted:\n" + u.output())
    wait_for(lambda: "router bgp 65001" in u.vtysh(ps, "show running-config"), 30,
             "bgpd's configuration applied again")
    assert "FRR bgpd killed by signal 9" in u.output()
    assert pids(ps)["zebra"] == first["zebra"]
    assert u.down() == 0
    assert pids(ps) == {}
    assert not os.path.exists("/var/run/frr/" + ps)


def test_frr_stops_when_nfvctl_up_dies(up_factory, tag):
    ps = "t" + tag
    u = up_factory(chain(tag, {"daemons": ["bgpd"], "config-text": FRR_CONF,
                               "pathspace": ps}))
    u.pathspaces = [ps]
    u.wait_up()
    before = pids(ps)
    assert set(before) == {"zebra", "bgpd"}, before
    # SIGKILL to nfvctl up (ip netns exec execs it: the Popen pid is nfvctl)
    u.proc.send_signal(signal.SIGKILL)
    u.proc.wait()
    wait_for(lambda: pids(ps) == {}, 30, "FRR's daemons to stop after nfvctl up died")
    wait_for(lambda: not os.path.exists("/var/run/frr/" + ps), 30, "the pathspace folder")
    u.cleanup()


def validate(tmp_path, conf, name="bad.yaml"):
    path = tmp_path / name
    path.write_text(nfvlib._yaml_text(conf))
    p = run([NFVCTL, "validate", str(path)], check=False)
    return p.returncode, p.stdout + p.stderr


def test_frr_bad_input_refused(tmp_path, tag, ns_factory, need_nfvd):
    rc, out = validate(tmp_path, chain(tag, {"daemons": ["zebra", "bgpdd"],
                                             "config-text": FRR_CONF}))
    assert rc != 0 and re.search(r"bad\.yaml:\d+:\d+: frr\.daemons\[1\]: no FRR daemon "
                                 r"\"bgpdd\" \(did you mean bgpd\?\)", out), out
    rc, out = validate(tmp_path, chain(tag, {"config": "missing.conf"}))
    assert rc != 0 and re.search(r"bad\.yaml:\d+:\d+: frr\.config: cannot read "
                                 r"\S*missing\.conf: No such file", out), out
    rc, out = validate(tmp_path, chain(tag, {"config-text": FRR_CONF, "fpm": "127.0.0.1"}))
    assert rc != 0 and re.search(r"bad\.yaml:\d+:\d+: frr\.fpm: expected ADDR:PORT", out), out
    rc, out = validate(tmp_path, chain(tag, {"config-text": FRR_CONF, "pathspace": "a/b"}))
    assert rc != 0 and re.search(r"bad\.yaml:\d+:\d+: frr\.pathspace: pathspace \"a/b\"",
                                 out), out
    rc, out = validate(tmp_path, chain(tag, {"daemons": ["bgpd"]}))
    assert rc != 0 and "frr needs config" in out, out
    rc, out = validate(tmp_path, chain(tag, {"config-text": FRR_CONF, "bin-dir": "/nonexistent"}))
    assert rc != 0 and re.search(r"frr: FRR daemon zebra is not installed "
                                 r"\(/nonexistent/zebra: No such file", out), out
    # a config FRR itself refuses: nfvctl up says where, starts nothing
    ns = ns_factory("bad")
    conf = chain(tag, {"daemons": ["bgpd"], "config-text": FRR_CONF + "bogus command x\n",
                       "pathspace": "t" + tag})
    u = Up(ns, tmp_path, conf)
    try:
        assert u.proc.wait(60) == 1
        out = u.output()
        assert "frr: FRR refuses the configuration frr: config-text" in out, out
        assert re.search(r"line \d+: % Unknown command.*bogus command x", out), out
        assert "nfvd" not in out.split("frr:")[0] or "answers" not in out
        assert not os.path.exists(u.sock)
        assert pids("t" + tag) == {}
    finally:
        u.cleanup()
