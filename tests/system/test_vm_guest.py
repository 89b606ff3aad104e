# SPDX-License-Identifier: BSD-3-Clause
"""VNFs in guests: a chain through a real QEMU guest (TCG here).

Two namespaces (vmA 10.77.0.1, vmB 10.77.0.2) joined to nfvd by af_packet
on veths; chain "up": lan -> [guest: Linux bridge on vhost-user] -> wan,
chain "down": wan -> lan in-process. One guest boot serves the traffic,
kill -9 and nfvd-restart tests (test_vm_errors.py: guests that fail).

Needs root, qemu-system-x86_64, a build dir with nfvctl and nfvd
(NFV_BUILD, default: the first build*/ with both) and the guest image
(built here with guest/build.sh into NFV_GUEST_CACHE, default
~/.cache/nfvd/guest).
"""
import glob
import json
import os
import shutil
import signal
import subprocess
import time

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TAG = "vmt"
NS_A, NS_B = TAG + "A", TAG + "B"


def find_build():
    env = os.environ.get("NFV_BUILD")
    cands = [env] if env else sorted(glob.glob(os.path.join(ROOT, "build*")))
    for d in cands:
        if d and os.access(os.path.join(d, "nfvctl"), os.X_OK) and \
                os.access(os.path.join(d, "nfvd"), os.X_OK):
            return os.path.abspath(d)
    return None


BUILD = find_build()
pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root"),
    pytest.mark.skipif(BUILD is None, reason="no build dir with nfvctl and nfvd"),
    pytest.mark.skipif(shutil.which("qemu-system-x86_64") is None, reason="no QEMU"),
]


def sh(cmd, check=True, **kw):
    return subprocess.run(cmd, shell=True, check=check, capture_output=True, text=True, **kw)


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.2)
    raise AssertionError("timed out after %ss waiting for %s" % (timeout, what))


_built = []


@pytest.fixture(scope="session")
def guest_image():
    out = os.environ.get("NFV_GUEST_CACHE",
                         os.path.expanduser("~/.cache/nfvd/guest"))
    if not _built:  # once per run, also when other modules import this fixture
        sh("%s/guest/build.sh -o %s -n %s/nfvd" % (ROOT, out, BUILD))
        _built.append(out)
    return out


def hosts_up(tag, hosts):
    """hosts: (side, namespace, address/len, gateway or None); each host is
    a namespace on veth <tag>-<side>1, whose peer <tag>-<side>0 nfvd opens."""
    hosts_down(tag, hosts)
    for side, ns, addr, gw in hosts:
        sh("ip netns add %s" % ns)
        sh("ip link add %s-%s0 type veth peer name %s-%s1" % (tag, side, tag, side))
        sh("ip link set %s-%s1 netns %s" % (tag, side, ns))
        sh("ip -n %s addr add %s dev %s-%s1" % (ns, addr, tag, side))
        sh("ip -n %s link set %s-%s1 up" % (ns, tag, side))
        sh("ip -n %s link set lo up" % ns)
        if gw:
            sh("ip -n %s route add default via %s" % (ns, gw))
        # nfvd forwards frames as read from af_packet: with the veth's tx
        # checksum offload the kernel leaves TCP/UDP checksums unfilled
        sh("ip netns exec %s ethtool -K %s-%s1 tx off" % (ns, tag, side))
        sh("ip link set %s-%s0 up" % (tag, side))


def hosts_down(tag, hosts):
    for side, ns, _, _ in hosts:
        sh("ip netns del %s" % ns, check=False)
        sh("ip link del %s-%s0" % (tag, side), check=False)


@pytest.fixture(scope="module")
def netns():
    hosts = [("lan", NS_A, "10.77.0.1/24", None), ("wan", NS_B, "10.77.0.2/24", None)]
    hosts_up(TAG, hosts)
    yield
    hosts_down(TAG, hosts)


def chain_file(tmp, img, boot_timeout=90, cmdline="quiet", extra_guest=False):
    run = os.path.join(tmp, "run")
    os.makedirs(run, exist_ok=True)
    text = """version: 1
nfvd:
  socket: {run}/nfvd.sock
ports:
  - {{name: lan, driver: af_packet, iface: {tag}-lan0}}
  - {{name: wan, driver: af_packet, iface: {tag}-wan0}}
  - {{name: g-in, driver: vhost, socket: {run}/g-in.sock}}
  - {{name: g-out, driver: vhost, socket: {run}/g-out.sock}}
vnfs:
  - name: br
    class: vm
    runtime: vm
    vm:
      image: {{kernel: {img}/vmlinux, initrd: {img}/bridge.cpio.gz, cmdline: "{cmdline}"}}
      memory: 256
      nics: [{{name: eth0, port: g-in}}, {{name: eth1, port: g-out}}]
      ingress: eth0
      egress: eth1
      accel: tcg
      boot-timeout: {bt}
chains:
  - {{name: up, ingress: [lan], vnfs: [br], egress: wan}}
  - {{name: down, ingress: [wan], vnfs: [], egress: lan}}
""".format(run=run, tag=TAG, img=img, bt=boot_timeout, cmdline=cmdline)
    path = os.path.join(tmp, "vm.yaml")
    with open(path, "w") as f:
        f.write(text)
    return path, os.path.join(run, "nfvd.sock")


class Up:
    """nfvctl up FILE in the background, its output in a file."""
    count = 0

    def __init__(self, path, sock, tmp):
        Up.count += 1
        self.sock = sock
        self.log = open(os.path.join(tmp, "up.log"), "w+")
        self.proc = subprocess.Popen(
            [os.path.join(BUILD, "nfvctl"), "-s", sock, "up", path, "--",
             "--file-prefix", "%snfvd%d" % (TAG, Up.count), "-l", "0,1"],
            stdout=self.log, stderr=subprocess.STDOUT, text=True)

    def ctl(self, *args, check=True):
        r = subprocess.run([os.path.join(BUILD, "nfvctl"), "-s", self.sock] + list(args),
                           capture_output=True, text=True)
        if check:
            assert r.returncode == 0, r.stderr
        return r

    def guest(self, name="br"):
        r = self.ctl("--json", "vm", "list", check=False)
        if r.returncode != 0:
            return None
        return {g["name"]: g for g in json.loads(r.stdout)}.get(name)

    def stats(self):
        return json.loads(self.ctl("--json", "stats").stdout)

    def output(self):
        self.log.seek(0)
        return self.log.read()

    def down(self):
        if self.proc.poll() is None:
            self.ctl("down", check=False)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def ping_ok():
    return sh("ip netns exec %s ping -c 1 -W 1 10.77.0.2" % NS_A, check=False).returncode == 0


def nfvd_pid(sock):
    for p in glob.glob("/proc/[0-9]*/cmdline"):
        try:
            args = open(p, "rb").read().split(b"\0")
        except OSError:
            continue
        if args and args[0].endswith(b"/nfvd") and sock.encode() in args:
            return int(p.split("/")[2])
    return None


@pytest.fixture(scope="module")
def up(netns, guest_image, tmp_path_factory):
    tmp = str(tmp_path_factory.mktemp("vm"))
    path, sock = chain_file(tmp, guest_image)
    u = Up(path, sock, tmp)
    try:
        wait_for(lambda: (u.guest() or {}).get("state") == "running", 120,
                 "guest running:\n" + u.output())
        yield u
    finally:
        u.down()


def test_ping_and_iperf3_through_guest(up):
    wait_for(ping_ok, 30, "ping through the guest")
    srv = subprocess.Popen(["ip", "netns", "exec", NS_B, "iperf3", "-s", "-1"],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: sh("ip netns exec %s ss -ltn" % NS_B).stdout.find(":5201") >= 0,
                 10, "iperf3 server")
        r = sh("ip netns exec %s iperf3 -c 10.77.0.2 -t 2 -J" % NS_A)
        bps = json.loads(r.stdout)["end"]["sum_received"]["bits_per_second"]
        assert bps > 1e5
    finally:
        srv.kill()
        srv.wait()
    st = up.stats()
    assert st["vnfs"]["br"]["counters"]["to-guest"] > 0
    assert st["ports"]["g-out"]["rx"] > 0  # came back from the guest


def test_qemu_kill9_is_restarted(up):
    before = up.guest()
    os.kill(before["pid"], signal.SIGKILL)
    wait_for(lambda: (lambda g: g and g["pid"] != before["pid"] and g["state"] == "running")(
        up.guest()), 120, "guest restarted")
    assert up.guest()["restarts"] >= before["restarts"] + 1
    wait_for(ping_ok, 30, "ping after the guest restart")


def test_nfvd_restart_keeps_guest(up):
    qemu = up.guest()["pid"]
    old = nfvd_pid(up.sock)
    assert old is not None
    os.kill(old, signal.SIGTERM)
    wait_for(lambda: (nfvd_pid(up.sock) or old) != old, 30, "nfvd restarted by nfvctl up")
    wait_for(ping_ok, 60, "ping after the nfvd restart")
    assert up.guest()["pid"] == qemu
    os.kill(qemu, 0)  # still the same process


def test_vm_console_and_list(up):
    r = up.ctl("vm", "console", "br")
    assert "nfv-guest: ready" in r.stdout
    r = up.ctl("vm", "list")
    assert "br" in r.stdout and "running" in r.stdout
