# SPDX-License-Identifier: BSD-3-Clause
"""Helpers shared by the nfvd system tests (tests/system/test_*.py).

Binaries
    NFVD, NFVCTL        paths from $NFVD / $NFVCTL, else $NFVD_BUILD/{nfvd,nfvctl},
                        else <repo>/build/{nfvd,nfvctl}
    REPO, BUILD         the repository and build directories

Waiting (never sleep blindly)
    wait_for(pred, timeout=10, what="...", interval=0.05)
                        poll pred() until it returns a true value, return that
                        value; raise AssertionError naming `what` on timeout

Processes
    run(cmd, ns=None, check=True, timeout=60, **kw) -> CompletedProcess
                        cmd is a list or a string (split on spaces); ns runs it
                        in that network namespace (ip netns exec); text output
    popen(cmd, ns=None, **kw) -> Popen

Namespaces and links (context managers: always removed on exit, even when the
test fails; names must carry your tag and stay <= 15 characters)
    netns(name)         create namespace `name`, yield it, delete it
    veth(a, b, ns_a=None, ns_b=None)
                        create the veth pair a<->b (each end optionally moved
                        into a namespace), yield (a, b), delete it
    tap(name)           create a persistent Linux tap `name`, yield, delete
    move_link(ifname, ns, addr=None, mac=None)
                        move an existing link (e.g. a tap nfvd created) into ns,
                        set it up, optionally give it an address ("10.0.0.1/24")

nfvd
    Nfvd(conf, tmpdir, lcores="0,1", args=(), name="nfvd", ns=None)
        conf            chain file: YAML text or a dict (dumped as YAML)
        ns              run nfvd in that network namespace (a "host" of its own)
        .start(timeout=60)  start nfvd with a unique --file-prefix and its own
                        socket in tmpdir; returns when `status` answers (raises
                        with nfvd's output if it exits first)
        .ctl(cmd, **args) -> the whole response dict (raw JSON over the socket)
        .result(cmd, **args) -> response["result"], asserting ok
        .stats()        -> result of `stats`
        .apply(conf)    -> response of `apply` for YAML text/dict (written aside)
        .nfvctl(*args)  -> CompletedProcess of build/nfvctl -s SOCK args...
        .stop(timeout=30) -> (exit code, stdout+stderr) after SIGTERM
        .cleanup()      kill if still running, remove /dev/hugepages/<prefix>*
                        and /var/run/dpdk/<prefix> (done by stop() too)
        .sock, .prefix, .file, .output()
    Use it as a context manager, or through the conftest fixture `nfvd_factory`
    which cleans up every instance it made.

Packets (scapy)
    write_pcap(path, pkts), read_pcap(path) -> list of bytes
    mixed_frames(n=64) -> list of scapy packets: 64..1518 bytes, IPv4 UDP/TCP/ICMP,
                        IPv6, ARP, 802.1Q VLAN
    tshark_fields(path, *fields) -> list of tuples (tshark -T fields, first
                        occurrence of each field)
"""
import contextlib
import glob
import itertools
import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BUILD = os.environ.get("NFVD_BUILD", os.path.join(REPO, "build"))
NFVD = os.environ.get("NFVD", os.path.join(BUILD, "nfvd"))
NFVCTL = os.environ.get("NFVCTL", os.path.join(BUILD, "nfvctl"))

_seq = itertools.count()


def wait_for(pred, timeout=10, what="condition", interval=0.05):
    """Poll pred() until it returns a true value; raise after timeout s."""
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError("timed out after %gs waiting for %s" % (timeout, what))
        time.sleep(interval)


def rm_dpdk_rundir(prefix):
    """Remove EAL's runtime folder of a file prefix (EAL makes it even with
    --in-memory and leaves it behind when its process ends)."""
    shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)


def ping(ns, dst, count=1, interval="0.2", six=False):
    """ping from namespace ns (2 s per reply at most); (transmitted, received)."""
    cmd = ["ping"] + (["-6"] if six else []) + ["-n", "-q", "-c", count, "-i", interval,
                                                "-W", "2", dst]
    p = run(cmd, ns=ns, check=False, timeout=count * float(interval) + 30)
    m = re.search(r"(\d+) packets transmitted, (\d+) received", p.stdout)
    assert m, p.stdout + p.stderr
    return int(m.group(1)), int(m.group(2))


def reaches(ns, dst, six=False):
    """One ping from ns answered."""
    return ping(ns, dst, six=six)[1] == 1


def _argv(cmd, ns):
    if isinstance(cmd, str):
        cmd = shlex.split(cmd)
    cmd = [str(c) for c in cmd]
    return (["ip", "netns", "exec", ns] + cmd) if ns else cmd


def run(cmd, ns=None, check=True, timeout=60, **kw):
    """Run cmd (in namespace ns), return CompletedProcess with text output."""
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    p = subprocess.run(_argv(cmd, ns), timeout=timeout, **kw)
    if check and p.returncode != 0:
        raise AssertionError("command failed (%d): %s\n%s%s" % (
            p.returncode, " ".join(_argv(cmd, ns)), p.stdout or "", p.stderr or ""))
    return p


def popen(cmd, ns=None, **kw):
    kw.setdefault("stdout", subprocess.PIPE)
    kw.setdefault("stderr", subprocess.STDOUT)
    kw.setdefault("text", True)
    return subprocess.Popen(_argv(cmd, ns), **kw)


@contextlib.contextmanager
def netns(name):
    """A network namespace with lo up; deleted (with its links) on exit."""
    subprocess.run(["ip", "netns", "del", name], capture_output=True)
    run(["ip", "netns", "add", name])
    try:
        run(["ip", "link", "set", "lo", "up"], ns=name)
        yield name
    finally:
        subprocess.run(["ip", "netns", "del", name], capture_output=True)


def _link_del(name, ns=None):
    subprocess.run(_argv(["ip", "link", "del", name], ns), capture_output=True)


@contextlib.contextmanager
def veth(a, b, ns_a=None, ns_b=None):
    """A veth pair a<->b, ends optionally in namespaces, both ends up."""
    _link_del(a)
    run(["ip", "link", "add", a, "type", "veth", "peer", "name", b])
    try:
        for end, ns in ((a, ns_a), (b, ns_b)):
            if ns:
                run(["ip", "link", "set", end, "netns", ns])
            run(["ip", "link", "set", end, "up"], ns=ns)
        yield a, b
    finally:
        _link_del(a, ns_a)
        _link_del(b, ns_b)


@contextlib.contextmanager
def tap(name):
    """A persistent Linux tap device (not owned by nfvd)."""
    _link_del(name)
    run(["ip", "tuntap", "add", "dev", name, "mode", "tap"])
    try:
        run(["ip", "link", "set", name, "up"])
        yield name
    finally:
        _link_del(name)


def move_link(ifname, ns, addr=None, mac=None):
    """Move ifname into ns, bring it up, optionally set a MAC and an address."""
    wait_for(lambda: os.path.exists("/sys/class/net/" + ifname), 10, "link " + ifname)
    run(["ip", "link", "set", ifname, "netns", ns])
    if mac:
        run(["ip", "link", "set", ifname, "address", mac], ns=ns)
    if addr:
        run(["ip", "addr", "add", addr, "dev", ifname], ns=ns)
    run(["ip", "link", "set", ifname, "up"], ns=ns)


def lab_conf(example, tag):
    """A chain file of chains/examples as a dict, its tap interfaces renamed
    <tag><PORT> and its nfvd: section dropped (the test's nfvd sets those)."""
    import yaml
    with open(os.path.join(REPO, "chains", "examples", example)) as f:
        conf = yaml.safe_load(f)
    conf.pop("nfvd", None)
    for p in conf["ports"]:
        p["iface"] = tag + p["name"].upper()
    return conf


def lab_wan_host(ns, ifname, addr="10.81.2.2/24", gw="10.81.2.1", vid=20):
    """The lab's WAN host (vnfs/router/lab-router.sh): behind VLAN vid,
    made by a tc BPF program that pushes/pops the tag (the kernel here has
    no 8021q module), with addr and a default route via gw."""
    sh = os.path.join(REPO, "vnfs", "router", "lab-router.sh")
    obj = run(["bash", "-c", ". %s && rtr_lab_vlan_obj %d" % (sh, vid)]).stdout.strip()
    run(["tc", "qdisc", "add", "dev", ifname, "clsact"], ns=ns)
    for hook, sec in (("egress", "tc_push"), ("ingress", "tc_pop")):
        run(["tc", "filter", "add", "dev", ifname, hook, "bpf", "da", "obj", obj, "sec", sec],
            ns=ns)
    run(["ip", "addr", "add", addr, "dev", ifname], ns=ns)
    run(["ip", "route", "add", "default", "via", gw], ns=ns)


def _request(path, obj, timeout=30):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        s.sendall((json.dumps(obj) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(1 << 16)
            if not chunk:
                break
            buf += chunk
        return json.loads(buf)
    finally:
        s.close()


def _yaml_text(conf):
    if isinstance(conf, str):
        return conf
    import yaml
    return yaml.safe_dump(conf, sort_keys=False)


class Nfvd:
    """One nfvd process with its own file prefix, socket and work dir."""

    def __init__(self, conf, tmpdir, lcores="0,1", args=(), name="nfvd", ns=None):
        self.dir = str(tmpdir)
        self.ns = ns
        self.name = name
        self.prefix = "t%d%s%d" % (os.getpid(), name[:4], next(_seq))
        self.sock = os.path.join(self.dir, name + ".sock")
        self.file = os.path.join(self.dir, name + ".yaml")
        self.lcores = lcores
        self.args = [str(a) for a in args]
        self.proc = None
        self._out_path = os.path.join(self.dir, name + ".out")
        self._out = None
        self._napply = 0
        with open(self.file, "w") as f:
            f.write(_yaml_text(conf))

    def cmdline(self):
        cmd = [NFVD, "--file-prefix", self.prefix, "-s", self.sock]
        if self.lcores:
            cmd += ["-l", self.lcores]
        # ip netns exec execs nfvd: the same process, signals reach it
        return _argv(cmd + self.args + [self.file], self.ns)

    def start(self, timeout=60):
        self._out = open(self._out_path, "w")
        self.proc = subprocess.Popen(self.cmdline(), stdout=self._out,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        try:
            wait_for(self._answering, timeout, "nfvd to answer on " + self.sock)
        except BaseException:
            self.cleanup()
            raise
        return self

    def _answering(self):
        if self.proc.poll() is not None:
            raise AssertionError("nfvd exited %d before answering:\n%s" % (
                self.proc.returncode, self.output()))
        try:
            return _request(self.sock, {"v": 1, "id": 0, "cmd": "status"}, 5).get("ok")
        except (OSError, ValueError):
            return False

    def output(self):
        """Everything nfvd printed so far (stdout and stderr)."""
        try:
            with open(self._out_path) as f:
                return f.read()
        except OSError:
            return ""

    def ctl(self, cmd, **args):
        return _request(self.sock, {"v": 1, "id": 1, "cmd": cmd, "args": args})

    def result(self, cmd, **args):
        r = self.ctl(cmd, **args)
        assert r.get("ok"), "%s failed: %s" % (cmd, r)
        return r["result"]

    def stats(self):
        return self.result("stats")

    def apply(self, conf):
        """Apply a chain file (YAML text or dict); returns the raw response."""
        self._napply += 1
        path = os.path.join(self.dir, "%s.apply%d.yaml" % (self.name, self._napply))
        with open(path, "w") as f:
            f.write(_yaml_text(conf))
        return self.ctl("apply", path=path)

    def nfvctl(self, *args, timeout=30):
        return subprocess.run([NFVCTL, "-s", self.sock] + [str(a) for a in args],
                              capture_output=True, text=True, timeout=timeout)

    def stop(self, timeout=30):
        """SIGTERM, wait, clean up; return (exit code, output)."""
        rc = None
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                rc = self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        elif self.proc is not None:
            rc = self.proc.returncode
        self.cleanup()
        return rc, self.output()

    def cleanup(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self._out is not None:
            self._out.close()
            self._out = None
        for f in glob.glob("/dev/hugepages/%s*" % self.prefix):
            with contextlib.suppress(OSError):
                os.unlink(f)
        rm_dpdk_rundir(self.prefix)

    def hugepage_files(self):
        return glob.glob("/dev/hugepages/%s*" % self.prefix)

    def __enter__(self):
        return self.start() if self.proc is None else self

    def __exit__(self, *exc):
        self.cleanup()


def write_pcap(path, pkts):
    from scapy.utils import wrpcap
    wrpcap(str(path), pkts)


def read_pcap(path):
    """Frames of a pcap file as a list of bytes (empty list if no packet)."""
    from scapy.utils import RawPcapReader
    if not os.path.exists(path) or os.path.getsize(path) < 24:
        return []
    return [bytes(data) for data, _meta in RawPcapReader(str(path))]


def mixed_frames(n=64):
    """n frames of every kind a chain should carry untouched, 64..1518 bytes."""
    from scapy.layers.inet import ICMP, IP, TCP, UDP
    from scapy.layers.inet6 import IPv6
    from scapy.layers.l2 import ARP, Dot1Q, Ether
    from scapy.packet import Raw

    sizes = [64, 65, 128, 256, 511, 512, 1000, 1024, 1500, 1514, 1518]
    eth = dict(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
    kinds = [
        lambda i: Ether(**eth) / IP(src="10.0.0.1", dst="10.0.1.%d" % (i % 250 + 1)) / UDP(sport=1000 + i, dport=53),
        lambda i: Ether(**eth) / IP(src="10.0.0.2", dst="10.0.1.9") / TCP(sport=2000 + i, dport=80, flags="S"),
        lambda i: Ether(**eth) / IP(src="10.0.0.3", dst="10.0.1.9") / ICMP(id=i, seq=i),
        lambda i: Ether(**eth) / IPv6(src="fd00::1", dst="fd00:1::%x" % (i + 1)) / UDP(sport=3000 + i, dport=5000),
        lambda i: Ether(src=eth["src"], dst="ff:ff:ff:ff:ff:ff") / ARP(psrc="10.0.0.1", pdst="10.0.0.%d" % (i % 250 + 2)),
        lambda i: Ether(**eth) / Dot1Q(vlan=10 + i % 100) / IP(src="10.9.0.1", dst="10.9.0.2") / UDP(sport=4000 + i, dport=5002),
    ]
    out = []
    for i in range(n):
        p = kinds[i % len(kinds)](i)
        size = sizes[i % len(sizes)]
        pad = size - len(p)
        if pad > 0:
            p = p / Raw(bytes((i + j) & 0xFF for j in range(pad)))
        out.append(p)
    return out


def tshark_fields(path, *fields, display_filter=None):
    cmd = ["tshark", "-n", "-r", str(path), "-T", "fields", "-E", "occurrence=f"]
    for f in fields:
        cmd += ["-e", f]
    if display_filter:
        cmd += ["-Y", display_filter]
    out = run(cmd, timeout=60).stdout
    return [tuple(line.split("\t")) for line in out.splitlines() if line]


# The smallest chain: a null port that receives (endless packets) into a
# null sink, no VNF. For tests of the daemon itself.
NULL_CHAIN = """\
version: 1
ports:
  - {name: gen, driver: "null", rx: true}
  - {name: sink, driver: "null"}
chains:
  - {name: fwd, ingress: [gen], vnfs: [], egress: sink}
"""


def unix_connect(path, timeout=10):
    """A connected AF_UNIX stream socket (the control socket)."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(path)
    return s


def read_line(s):
    """Bytes up to and including the next newline (or until EOF)."""
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf
