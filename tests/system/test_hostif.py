# SPDX-License-Identifier: BSD-3-Clause
"""Router host interfaces (docs/router.md "Host interfaces"): each router
interface's kernel twin, a tap nfvd creates in its own (here: the root)
network namespace, with the interface's MAC, MTU and addresses. Sockets
bound on the router's addresses in the root namespace talk to hosts in
namespaces through nfvd's ports.

    h1 (.2) --tap a-- rtr (.1, twin <tag>L) --tap b (VLAN 20)-- h2 (.2)
                          (.1, twin <tag>W)

The subnets are picked from the test process id: the twins' addresses and
connected routes live in the root namespace, which concurrent runs share.
"""
import json
import os
import re
import signal
import subprocess
import time

import pytest

import nfvlib
from nfvlib import popen, run, wait_for

PY = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else "python3"
_N = 20 + os.getpid() % 200
LAN4, WAN4 = "10.215.%d." % _N, "10.216.%d." % _N
LAN6, WAN6 = "fd00:215:%x::" % _N, "fd00:216:%x::" % _N
R1_4, H1_4, R2_4, H2_4 = LAN4 + "1", LAN4 + "2", WAN4 + "1", WAN4 + "2"
R1_6, H1_6, R2_6, H2_6 = LAN6 + "1", LAN6 + "2", WAN6 + "1", WAN6 + "2"


def conf(tag, hostif=True, **rtr):
    r = {"name": "rtr", "class": "router",
         "interfaces": [
             {"name": "lan", "port": "a", "addresses": [R1_4 + "/24", R1_6 + "/64"]},
             {"name": "wan", "port": "b", "vlan": 20, "mtu": 1400,
              "addresses": [R2_4 + "/24", R2_6 + "/64"]},
         ]}
    if hostif:
        r["interfaces"][0]["host-if"] = tag + "L"
        r["interfaces"][1]["host-if"] = tag + "W"
    r.update(rtr)
    return {
        "version": 1,
        "ports": [{"name": "a", "driver": "tap", "iface": tag + "a"},
                  {"name": "b", "driver": "tap", "iface": tag + "b"}],
        "vnfs": [r],
        "chains": [{"name": "from-a", "ingress": ["a"], "vnfs": ["rtr"]},
                   {"name": "from-b", "ingress": ["b"], "vnfs": ["rtr"]}],
    }


def exists(ifname):
    return os.path.exists("/sys/class/net/" + ifname)


def host(ns, ifname, a4, a6, gw4, gw6, vid=None):
    wait_for(lambda: exists(ifname), 10, "tap " + ifname)
    run(["ip", "link", "set", ifname, "netns", ns])
    if vid:  # a host on a switch access port: tc BPF pushes/pops the tag
        sh = os.path.join(nfvlib.REPO, "vnfs", "router", "lab-router.sh")
        obj = run(["bash", "-c", ". %s && rtr_lab_vlan_obj %d" % (sh, vid)]).stdout.strip()
        run(["tc", "qdisc", "add", "dev", ifname, "clsact"], ns=ns)
        for hook, sec in (("egress", "tc_push"), ("ingress", "tc_pop")):
            run(["tc", "filter", "add", "dev", ifname, hook, "bpf", "da", "obj", obj,
                 "sec", sec], ns=ns)
    run(["ip", "addr", "add", a4 + "/24", "dev", ifname], ns=ns)
    run(["ip", "addr", "add", a6 + "/64", "dev", ifname, "nodad"], ns=ns)
    run(["ip", "link", "set", ifname, "up"], ns=ns)
    run(["ip", "route", "add", "default", "via", gw4], ns=ns)
    run(["ip", "-6", "route", "add", "default", "via", gw6], ns=ns)


@pytest.fixture
def lab(nfvd_factory, ns_factory, tag):
    def start(**kw):
        nfvd = nfvd_factory(conf(tag, **kw))
        nfvd.tag = tag
        nfvd.h1, nfvd.h2 = ns_factory("h1"), ns_factory("h2")
        nfvd.if1, nfvd.if2 = tag + "a", tag + "b"
        nfvd.twin1, nfvd.twin2 = tag + "L", tag + "W"
        host(nfvd.h1, nfvd.if1, H1_4, H1_6, R1_4, R1_6)
        host(nfvd.h2, nfvd.if2, H2_4, H2_6, R2_4, R2_6, vid=20)
        return nfvd
    return start


def rtr(nfvd):
    return nfvd.stats()["vnfs"]["rtr"]


def reaches(ns, dst, six=False):
    p = run(["ping"] + (["-6"] if six else []) + ["-n", "-q", "-c", "1", "-W", "2", dst],
            ns=ns, check=False, timeout=30)
    return " 0% packet loss" in p.stdout


# A socket server in the root namespace (where the twins are): echoes what
# it gets back in upper case, once per connection/datagram, N times.
SERVER = r"""
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
kind = socket.SOCK_STREAM if sys.argv[3] == "tcp" else socket.SOCK_DGRAM
s = socket.socket(fam, kind)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], int(sys.argv[2])))
if kind == socket.SOCK_STREAM:
    s.listen(4)
print("ready", flush=True)
for _ in range(int(sys.argv[4])):
    if kind == socket.SOCK_STREAM:
        c, peer = s.accept()
        data = b""
        while not data.endswith(b"\n"):
            chunk = c.recv(65536)
            if not chunk:
                break
            data += chunk
        c.sendall(data.upper())
        c.close()
    else:
        data, peer = s.recvfrom(65536)
        s.sendto(data.upper(), peer)
    print("peer", peer[0], flush=True)
"""

CLIENT = r"""
import socket, sys
fam = socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET
kind = socket.SOCK_STREAM if sys.argv[3] == "tcp" else socket.SOCK_DGRAM
msg = sys.argv[4].encode() * int(sys.argv[5]) + b"\n"
for attempt in range(20):
    s = socket.socket(fam, kind)
    s.settimeout(2)
    try:
        if kind == socket.SOCK_STREAM:
            s.connect((sys.argv[1], int(sys.argv[2])))
            s.sendall(msg)
            got = b""
            while not got.endswith(b"\n"):
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
        else:
            s.sendto(msg, (sys.argv[1], int(sys.argv[2])))
            got = s.recv(65536)
        break
    except OSError:
        got = b""
    finally:
        s.close()
print(len(got), got == msg.upper(), flush=True)
"""


def serve(addr, port, proto, n=1):
    srv = popen([PY, "-c", SERVER, addr, port, proto, n])
    assert srv.stdout.readline().strip() == "ready"
    return srv


def round_trip(ns, addr, port, proto, word="hello", times=1):
    out = run([PY, "-c", CLIENT, addr, port, proto, word, times], ns=ns, timeout=90).stdout
    n, ok = out.split()
    return int(n), ok == "True"


def test_tcp_and_udp_reach_sockets_on_the_router_address(lab):
    nfvd = lab()
    # the twins: the interfaces' MACs, MTUs and addresses, up
    ifs = {i["name"]: i for i in rtr(nfvd)["interfaces"]}
    for name, twin, a4, a6, mtu in (("lan", nfvd.twin1, R1_4, R1_6, 1500),
                                   ("wan", nfvd.twin2, R2_4, R2_6, 1400)):
        link = json.loads(run(["ip", "-j", "addr", "show", "dev", twin]).stdout)[0]
        assert link["address"] == ifs[name]["mac"].lower()
        assert link["mtu"] == mtu
        addrs = {a["local"] for a in link["addr_info"]}
        assert {a4, a6} <= addrs, addrs
        assert "UP" in link["flags"]
        assert ifs[name]["host_if"]["name"] == twin
    wait_for(lambda: reaches(nfvd.h1, R1_4), 20, "h1 -> router")
    # TCP, both interfaces (wan: over VLAN 20), then a larger transfer
    srv = serve(R1_4, 7001, "tcp", 3)
    assert round_trip(nfvd.h1, R1_4, 7001, "tcp") == (6, True)
    assert round_trip(nfvd.h2, R1_4, 7001, "tcp") == (6, True)
    assert round_trip(nfvd.h1, R1_4, 7001, "tcp", "0123456789", 30000) == (300001, True)
    srv.wait(30)
    srv = serve(R2_4, 7002, "tcp", 1)
    assert round_trip(nfvd.h2, R2_4, 7002, "tcp", "vlan") == (5, True)
    srv.wait(30)
    # UDP, IPv4 and IPv6
    srv = serve(R1_4, 7003, "udp", 1)
    assert round_trip(nfvd.h1, R1_4, 7003, "udp", "datagram") == (9, True)
    srv.wait(30)
    wait_for(lambda: reaches(nfvd.h1, R1_6, six=True), 20, "h1 -> router (IPv6)")
    srv = serve(R1_6, 7004, "tcp", 1)
    assert round_trip(nfvd.h1, R1_6, 7004, "tcp", "six") == (4, True)
    srv.wait(30)
    srv = serve(R2_6, 7005, "udp", 1)
    assert round_trip(nfvd.h2, R2_6, 7005, "udp", "six") == (4, True)
    srv.wait(30)
    # the kernel learned the hosts (ARP/ND through the twins)
    neigh = run(["ip", "neigh", "show", "dev", nfvd.twin1]).stdout
    assert H1_4 in neigh and H1_6 in neigh, neigh
    assert H2_4 in run(["ip", "neigh", "show", "dev", nfvd.twin2]).stdout
    s = rtr(nfvd)
    assert s["control"]["host-if-to-kernel"] > 0
    assert s["control"]["host-if-from-kernel"] > 0
    # echo requests stay nfvd's
    assert s["control"]["echo-replies"] >= 2
    p = nfvd.nfvctl("stats")
    assert p.returncode == 0 and "punt-local-rate-limit" in p.stdout, p.stdout + p.stderr


def ll_of(twin):
    out = run(["ip", "-6", "-j", "addr", "show", "dev", twin, "scope", "link"]).stdout
    addrs = [a["local"] for i in json.loads(out) for a in i["addr_info"] if "local" in a]
    return addrs[0] if addrs else None


def test_link_local_and_multicast_reach_the_twin(lab):
    nfvd = lab()
    ll = wait_for(lambda: ll_of(nfvd.twin1), 10, "the twin's link-local address")
    # host -> twin's link-local (nfvd's own: the same EUI-64), once the
    # host's own link-local is past its DAD
    wait_for(lambda: reaches(nfvd.h1, ll + "%" + nfvd.if1, six=True), 20, "first ping6 to ll")
    p = run(["ping", "-6", "-n", "-q", "-c", "3", "-i", "0.2", "-W", "2",
             ll + "%" + nfvd.if1], ns=nfvd.h1, check=False, timeout=30)
    assert " 0% packet loss" in p.stdout, p.stdout
    # kernel -> host's link-local through the twin: its neighbour discovery
    # goes out the port, the host's advert comes back as a copy
    h1ll = json.loads(run(["ip", "-6", "-j", "addr", "show", "dev", nfvd.if1, "scope", "link"],
                          ns=nfvd.h1).stdout)[0]["addr_info"]
    h1ll = [a["local"] for a in h1ll if "local" in a][0]
    wait_for(lambda: reaches(None, h1ll + "%" + nfvd.twin1, six=True), 20,
             "first ping6 from the twin")
    p = run(["ping", "-6", "-n", "-q", "-c", "3", "-i", "0.2", "-W", "2",
             h1ll + "%" + nfvd.twin1], check=False, timeout=30)
    assert " 0% packet loss" in p.stdout, p.stdout
    # (no check of the kernel's echo replies to ff02::1 here: the root
    # namespace's ICMP rate limit is shared with whatever else runs there;
    # ff02::/16 to the twin is in the unit test test_to_the_twin)
    # IPv4 224.0.0.x (OSPF's groups): a UDP socket on the twin that joined
    # 224.0.0.6 gets a datagram sent to it by h1
    rcv = popen([PY, "-c", r"""
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, sys.argv[1].encode())
s.bind(("224.0.0.6", 7010))
s.setsockopt(socket.IPPROTO_IP, socket.IP_ADD_MEMBERSHIP,
             struct.pack("4s4s", socket.inet_aton("224.0.0.6"), socket.inet_aton(sys.argv[2])))
s.settimeout(20)
print("ready", flush=True)
print(s.recvfrom(100)[0].decode(), flush=True)
""", nfvd.twin1, R1_4])
    assert rcv.stdout.readline().strip() == "ready"
    snd = r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_IF, socket.inet_aton(sys.argv[1]))
for _ in range(40):
    s.sendto(b"allspf", ("224.0.0.6", 7010))
    time.sleep(0.25)
"""
    sender = popen([PY, "-c", snd, H1_4], ns=nfvd.h1)
    try:
        assert rcv.stdout.readline().strip() == "allspf"
    finally:
        sender.kill()
        sender.wait()
        rcv.kill()
        rcv.wait()
    assert rtr(nfvd)["counters"]["punt-host-multicast"] >= 1


def test_flood_to_router_address_is_rate_limited(lab):
    """A UDP flood to the router's address: punts beyond host-punt-rate are
    dropped (counted); h1 <-> h2 forwarding and the twin's TCP keep working."""
    nfvd = lab(**{"host-punt-rate": 500})
    wait_for(lambda: reaches(nfvd.h1, H2_4), 20, "h1 -> h2")
    flood = popen([PY, "-c", r"""
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end = time.monotonic() + float(sys.argv[2])
msg = b"x" * 64
while time.monotonic() < end:
    for _ in range(100):
        try:
            s.sendto(msg, (sys.argv[1], 9999))
        except OSError:
            pass
""", R1_4, "8"], ns=nfvd.h1)
    try:
        base = rtr(nfvd)["drops"]["punt-local-rate-limit"]
        wait_for(lambda: rtr(nfvd)["drops"]["punt-local-rate-limit"] > base + 1000, 20,
                 "the flood to hit the host punt limit")
        # forwarding between the hosts is untouched
        p = run(["ping", "-n", "-q", "-c", "10", "-i", "0.1", "-W", "2", H1_4], ns=nfvd.h2,
                check=False, timeout=30)
        m = re.search(r"(\d+) received", p.stdout)
        assert m and int(m.group(1)) >= 9, p.stdout
        assert nfvd.proc.poll() is None
    finally:
        flood.kill()
        flood.wait()
    # and the control plane still answers
    assert nfvd.result("status")


def twin_of(nfvd, i):
    return rtr(nfvd)["interfaces"][i].get("host_if")


def test_live_apply_creates_renames_removes_and_stop_removes(lab, tag):
    nfvd = lab(hostif=False)
    assert not exists(tag + "L") and twin_of(nfvd, 0) is None
    # on: created
    r = nfvd.apply(conf(tag))
    assert r.get("ok"), r
    wait_for(lambda: exists(tag + "L") and exists(tag + "W"), 20, "twins after apply")
    idx = int(open("/sys/class/net/%sL/ifindex" % tag).read())
    # another address on lan: the same twin (same ifindex) gets it
    c = conf(tag)
    c["vnfs"][0]["interfaces"][0]["addresses"].append(LAN4.replace(".215.", ".217.") + "1/24")
    assert nfvd.apply(c).get("ok")
    wait_for(lambda: LAN4.replace(".215.", ".217.") + "1" in
             run(["ip", "-4", "addr", "show", "dev", tag + "L"]).stdout, 20, "new address")
    assert int(open("/sys/class/net/%sL/ifindex" % tag).read()) == idx
    # renamed: the old goes, the new comes
    c["vnfs"][0]["interfaces"][0]["host-if"] = tag + "M"
    assert nfvd.apply(c).get("ok")
    wait_for(lambda: exists(tag + "M") and not exists(tag + "L"), 20, "renamed twin")
    # off: removed
    c["vnfs"][0]["interfaces"][1].pop("host-if")
    assert nfvd.apply(c).get("ok")
    wait_for(lambda: not exists(tag + "W"), 20, "twin removed")
    # TCP through the renamed twin
    wait_for(lambda: reaches(nfvd.h1, R1_4), 20, "h1 -> router")
    srv = serve(R1_4, 7020, "tcp", 1)
    assert round_trip(nfvd.h1, R1_4, 7020, "tcp") == (6, True)
    srv.wait(30)
    # stop: nothing left behind
    rc, out = nfvd.stop()
    assert rc == 0, out
    assert not exists(tag + "M")


def test_sigkill_leaves_no_twin(nfvd_factory, tag):
    nfvd = nfvd_factory(conf(tag))
    wait_for(lambda: exists(tag + "L"), 20, "twin")
    nfvd.proc.send_signal(signal.SIGKILL)
    nfvd.proc.wait(30)
    wait_for(lambda: not exists(tag + "L") and not exists(tag + "W"), 20,
             "the kernel to remove the twins")


def test_name_clash_with_a_kernel_interface_refused(nfvd_factory, tag):
    with nfvlib.tap(tag + "L"):
        nfvd = nfvd_factory(conf(tag), start=False)
        with pytest.raises(AssertionError):
            nfvd.start(timeout=60)
        out = nfvd.output()
        assert "host-if %sL: a kernel interface of that name exists" % tag in out, out
        assert exists(tag + "L")  # not ours: left alone
    assert not exists(tag + "W")


def test_bad_host_if_names_refused_with_position(tmp_path, tag, need_nfvd):
    c = conf(tag)
    c["vnfs"][0]["interfaces"][0]["host-if"] = "x" * 16
    c["vnfs"][0]["interfaces"][1]["host-if"] = "bad/name"
    f = tmp_path / "bad.yaml"
    import yaml
    f.write_text(yaml.safe_dump(c, sort_keys=False))
    p = subprocess.run([nfvlib.NFVCTL, "validate", str(f)], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode != 0
    err = p.stdout + p.stderr
    assert re.search(r"bad\.yaml:\d+:\d+: .*host-if.*longer than 15", err), err
    assert re.search(r"bad\.yaml:\d+:\d+: .*host-if \"bad/name\"", err), err
    c = conf(tag)
    c["vnfs"][0]["interfaces"][1]["host-if"] = tag + "L"
    f.write_text(yaml.safe_dump(c, sort_keys=False))
    p = subprocess.run([nfvlib.NFVCTL, "validate", str(f)], capture_output=True, text=True,
                       timeout=30)
    assert p.returncode != 0 and "is already interface \"lan\"'s host interface" in \
        p.stdout + p.stderr, p.stdout + p.stderr


def test_carrier_follows_the_port_link(nfvd_factory, ns_factory, tag):
    """An af_packet port on a veth: the peer goes down, the port's link goes
    down, and so does the twin's carrier (its addresses stay)."""
    h = ns_factory("h")
    with nfvlib.veth(tag + "p", tag + "q", ns_b=h):
        c = {"version": 1,
             "ports": [{"name": "a", "driver": "af_packet", "iface": tag + "p"}],
             "vnfs": [{"name": "rtr", "class": "router", "interfaces": [
                 {"name": "lan", "port": "a", "addresses": [R1_4 + "/24", R1_6 + "/64"],
                  "host-if": tag + "L"}]}],
             "chains": [{"name": "in", "ingress": ["a"], "vnfs": ["rtr"]}]}
        nfvd = nfvd_factory(c)
        carrier = "/sys/class/net/%sL/carrier" % tag

        def carrier_is(v):
            try:
                return open(carrier).read().strip() == v
            except OSError:  # reads fail while the device is down
                return False
        wait_for(lambda: carrier_is("1"), 20, "carrier on")
        run(["ip", "link", "set", tag + "q", "down"], ns=h)
        wait_for(lambda: carrier_is("0"), 20, "carrier off with the port's link")
        assert R1_6 in run(["ip", "-6", "addr", "show", "dev", tag + "L"]).stdout
        run(["ip", "link", "set", tag + "q", "up"], ns=h)
        wait_for(lambda: carrier_is("1"), 20, "carrier on again")
        assert rtr(nfvd)["interfaces"][0]["host_if"]["carrier"] is True
        # its addresses, link-local included, are there after the flap
        wait_for(lambda: ll_of(tag + "L"), 10, "the link-local address back")
        addrs = run(["ip", "addr", "show", "dev", tag + "L"]).stdout
        assert R1_4 in addrs and R1_6 in addrs, addrs
        nfvd.stop()


def test_apply_refused_on_a_kernel_name_clash(lab, tag):
    nfvd = lab()
    with nfvlib.tap(tag + "X"):
        c = conf(tag)
        c["vnfs"][0]["interfaces"][0]["host-if"] = tag + "X"
        r = nfvd.apply(c)
        assert not r.get("ok"), r
        assert "host-if %sX: a kernel interface of that name exists" % tag in json.dumps(r), r
        # nothing changed: the old twins are there and still nfvd's
        assert exists(tag + "L") and exists(tag + "W")
        assert twin_of(nfvd, 0)["name"] == tag + "L"
    wait_for(lambda: reaches(nfvd.h1, R1_4), 20, "h1 -> router")
    srv = serve(R1_4, 7030, "tcp", 1)
    assert round_trip(nfvd.h1, R1_4, 7030, "tcp") == (6, True)
    srv.wait(30)


def test_port_interface_name_refused(tmp_path, tag, need_nfvd):
    import yaml
    c = conf(tag)
    c["vnfs"][0]["interfaces"][0]["host-if"] = tag + "a"  # port a's tap
    f = tmp_path / "clash.yaml"
    f.write_text(yaml.safe_dump(c, sort_keys=False))
    p = subprocess.run([nfvlib.NFVCTL, "validate", str(f)], capture_output=True, text=True,
                       timeout=30)
    err = p.stdout + p.stderr
    assert p.returncode != 0
    assert re.search(r"clash\.yaml:\d+:\d+: .*host-if \"%sa\" is the kernel interface of "
                     r"port a" % tag, err), err
