# SPDX-License-Identifier: BSD-3-Clause
"""DHCP server VNF with real clients through nfvd.

nfvd owns a tap port "lan"; its Linux side is moved into a client namespace.
dhclient (isc-dhcp-client, with its own -sf script so nothing outside the
test is rewritten) and busybox udhcpc obtain, renew, release and re-obtain
leases. Relayed requests, malformed packets, pool exhaustion and the
kill -9 storm use bench/dhcp_client.py from the same namespace, acting as a
relay agent whose giaddr is a second address of the client interface.
"""
import contextlib
import json
import os
import shutil
import signal
import sys
import threading
import time

import pytest

from nfvlib import run, popen, wait_for

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "bench"))
import dhcp_client as dc  # noqa: E402

SERVER = "10.64.0.1"
RELAY = "10.65.0.1"      # giaddr: an address of the client interface
CLIENT_IP = "10.64.0.5"  # static address the relay-style client sends from
RESERVED_MAC = "02:64:00:00:00:99"
RESERVED_CID = "01:02:64:00:00:00:98"

pytestmark = pytest.mark.skipif(shutil.which("dhclient") is None, reason="no dhclient")

SCRIPT = """#!/bin/sh
# dhclient/udhcpc script for the tests: write what the client learned,
# set the address only (never /etc/resolv.conf or routes of the host);
# dhclient clears the environment, so the output folder is written in
out="%(out)s/${reason:-udhcpc-$1}"
env | grep -E '^(reason|new_|old_|ip|router|dns|subnet|domain|lease|mask|opt)' | sort > "$out.tmp"
mv "$out.tmp" "$out"
ip4="${new_ip_address:-$ip}"
case "${reason:-$1}" in
BOUND|RENEW|REBIND|REBOOT|bound|renew) ip addr add "$ip4/24" dev "${interface}" 2>/dev/null;;
esac
exit 0
"""


def dhcp_conf(tag, lease_file, pool="10.64.0.100-10.64.0.199", relay_pool="10.65.0.10-10.65.3.250",
              relay_plen=22, lease_time=3600, extra_if=None, lease_sync="fdatasync",
              compact_records=None):
    conf = {
        "version": 1,
        "ports": [{"name": "lan", "driver": "tap", "iface": tag + "l"}],
        "vnfs": [{
            "name": "dhcp0", "class": "dhcp",
            "interfaces": [{"port": "lan", "address": SERVER + "/24"}],
            "lease-file": lease_file,
            "lease-sync": lease_sync,
            "options": {"dns-servers": ["10.64.0.53", "10.64.0.54"],
                        "domain-name": "test.example"},
            "subnets": [
                {"subnet": "10.64.0.0/24",
                 "pools": [{"range": pool}],
                 "reservations": [{"mac": RESERVED_MAC, "address": "10.64.0.20"},
                                  {"client-id": RESERVED_CID, "address": "10.64.0.21"}],
                 "options": {"routers": [SERVER], "lease-time": lease_time}},
                {"subnet": "10.65.0.0/%d" % relay_plen,
                 "pools": [{"range": relay_pool}],
                 "options": {"routers": [RELAY]}},
            ],
        }],
        "chains": [{"name": "lan-in", "ingress": ["lan"], "vnfs": ["dhcp0"]}],
    }
    if compact_records is not None:
        conf["vnfs"][0]["compact-records"] = compact_records
    return conf


class Env:
    def __init__(self, nfvd, ns, ifname, out):
        self.nfvd, self.ns, self.ifname, self.out = nfvd, ns, ifname, out

    def leases(self):
        p = self.nfvd.nfvctl("--json", "dhcp", "leases")
        assert p.returncode == 0, p.stdout + p.stderr
        return json.loads(p.stdout)["leases"]

    def vnf(self):
        return self.nfvd.stats()["vnfs"]["dhcp0"]

    def learned(self, reason, timeout=20):
        path = os.path.join(self.out, reason)
        wait_for(lambda: os.path.exists(path), timeout, "client script with " + reason)
        with open(path) as f:
            return dict(line.rstrip("\n").split("=", 1) for line in f if "=" in line)


def attach(nfvd, ns, ifname, mac="02:64:00:00:00:01"):
    wait_for(lambda: run(["ip", "link", "show", ifname], check=False).returncode == 0,
             20, "tap " + ifname)
    run(["ip", "link", "set", ifname, "netns", ns])
    run(["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"], ns=ns)
    run(["ip", "link", "set", ifname, "address", mac], ns=ns)
    run(["ip", "link", "set", ifname, "up"], ns=ns)


CLIENTS = ("dhclient", "udhcpc")


def client_procs(ns):
    """(pid, command line) of the DHCP clients running in namespace ns."""
    r = run(["ip", "netns", "pids", ns], check=False)
    found = []
    for pid in r.stdout.split():
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                argv = [a.decode(errors="replace") for a in f.read().split(b"\0") if a]
        except OSError:
            continue
        if any(os.path.basename(a) in CLIENTS for a in argv[:2]):   # busybox udhcpc
            found.append((int(pid), " ".join(argv)))
    return found


@pytest.fixture
def client_ns(ns_factory):
    """ns_factory whose namespaces must hold no DHCP client (dhclient,
    udhcpc) when the test ends: one left running fails the test, and is
    killed (deleting a namespace does not end its processes)."""
    made = []

    def make(suffix):
        made.append(ns_factory(suffix))
        return made[-1]
    yield make
    leaked = [(ns, pid, cmd) for ns in made for pid, cmd in client_procs(ns)]
    for _ns, pid, _cmd in leaked:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    for _ns, pid, _cmd in leaked:
        wait_for(lambda: not os.path.exists("/proc/%d" % pid), 10, "client %d to end" % pid)
    assert not leaked, "DHCP clients left running by the test: %s" % leaked


@pytest.fixture
def env(nfvd_factory, client_ns, tag, tmp_path):
    def make(**kw):
        ns = client_ns("c")
        out = tmp_path / "out"
        out.mkdir(exist_ok=True)
        script = tmp_path / "client-script"
        script.write_text(SCRIPT % {"out": str(out)})
        script.chmod(0o755)
        lease_file = kw.pop("lease_file", str(tmp_path / "leases"))
        d = nfvd_factory(dhcp_conf(tag, lease_file, **kw))
        attach(d, ns, tag + "l")
        e = Env(d, ns, tag + "l", str(out))
        e.script, e.tmp, e.tag = str(script), tmp_path, tag
        return e
    return make


def dhclient(e, *args, timeout=30):
    """One dhclient run. Having got a lease, dhclient goes on as a daemon
    (renewing): stop it at once (SIGTERM: no RELEASE), the lease stays."""
    files = ["-sf", e.script, "-lf", str(e.tmp / "dhclient.leases"),
             "-pf", str(e.tmp / "dhclient.pid")]
    r = run(["dhclient", "-1", "-v"] + files + list(args) + [e.ifname], ns=e.ns,
            timeout=timeout, check=False)
    if "-r" not in args and "-x" not in args:
        stop_clients(e.ns)
    return r


def stop_clients(ns):
    """SIGTERM the DHCP clients running in namespace ns (dhclient exits
    without a RELEASE; "dhclient -x" would start one more client; its pid
    file may still name the previous daemon when "dhclient -1" returns) and
    wait until they are gone."""
    procs = client_procs(ns)
    for pid, _cmd in procs:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    for pid, _cmd in procs:
        wait_for(lambda: not os.path.exists("/proc/%d" % pid), 10, "client %d to end" % pid)


def test_dhclient_obtain_renew_release_reobtain(env):
    e = env(lease_time=6)   # short lease: dhclient renews (unicast) within seconds
    p = popen(["dhclient", "-d", "-v", "-sf", e.script,
               "-lf", str(e.tmp / "dhclient.leases"), "-pf", str(e.tmp / "dhclient.pid"),
               e.ifname], ns=e.ns)
    try:
        got = e.learned("BOUND")
        addr = got["new_ip_address"]
        assert addr.startswith("10.64.0.") and 100 <= int(addr.split(".")[3]) <= 199
        assert got["new_routers"] == SERVER
        assert got["new_domain_name_servers"] == "10.64.0.53 10.64.0.54"
        assert got["new_domain_name"] == "test.example"
        assert got["new_subnet_mask"] == "255.255.255.0"
        assert got["new_dhcp_server_identifier"] == SERVER
        assert [l for l in e.leases() if l["address"] == addr and l["state"] == "bound"]
        # renewal: unicast REQUEST with ciaddr (T1 = 3 s)
        renew = e.learned("RENEW", timeout=30)
        assert renew["new_ip_address"] == addr
        st = e.vnf()
        assert st["counters"]["arp-replies"] >= 1
        assert st["counters"]["ack"] >= 2
    finally:
        p.terminate()
        p.wait(10)
    # release: the lease is no longer listed as bound
    r = dhclient(e, "-r")
    assert r.returncode == 0, r.stdout + r.stderr
    wait_for(lambda: not [l for l in e.leases() if l["address"] == addr], 10,
             "released lease to leave the list")
    assert e.vnf()["counters"]["release"] == 1
    # re-obtain: the same client gets its address back
    os.unlink(os.path.join(e.out, "BOUND"))
    r = dhclient(e)
    assert r.returncode == 0, r.stdout + r.stderr
    assert e.learned("BOUND")["new_ip_address"] == addr


def udhcpc(e, *args):
    return run(["busybox", "udhcpc", "-i", e.ifname, "-n", "-q",
                "-f", "-t", "5", "-T", "1", "-s", e.script] + list(args), ns=e.ns, check=False,
               timeout=30)


def test_udhcpc_two_clients_and_reservations(env):
    e = env()
    r = dhclient(e)
    assert r.returncode == 0, r.stdout + r.stderr
    a = e.learned("BOUND")["new_ip_address"]
    # a second client (own client id) on the same link gets another address
    r = udhcpc(e, "-x", "61:0102aabbccddee")
    assert r.returncode == 0, r.stdout + r.stderr
    got = e.learned("udhcpc-bound")
    assert got["ip"] != a and got["ip"].startswith("10.64.0.")
    assert got["router"] == SERVER
    assert got["dns"].split() == ["10.64.0.53", "10.64.0.54"]
    assert got["subnet"] == "255.255.255.0"
    # reservation by client id
    os.unlink(os.path.join(e.out, "udhcpc-bound"))
    r = udhcpc(e, "-x", "61:" + RESERVED_CID.replace(":", ""))
    assert r.returncode == 0, r.stdout + r.stderr
    assert e.learned("udhcpc-bound")["ip"] == "10.64.0.21"
    # reservation by MAC
    run(["ip", "link", "set", e.ifname, "address", RESERVED_MAC], ns=e.ns)
    os.unlink(os.path.join(e.out, "udhcpc-bound"))
    r = udhcpc(e)
    assert r.returncode == 0, r.stdout + r.stderr
    assert e.learned("udhcpc-bound")["ip"] == "10.64.0.20"
    addrs = [l["address"] for l in e.leases()]
    assert len(addrs) == len(set(addrs)) == 4


def relay_ns(e):
    run(["ip", "addr", "add", CLIENT_IP + "/24", "dev", e.ifname], ns=e.ns)
    run(["ip", "addr", "add", RELAY + "/22", "dev", e.ifname], ns=e.ns)


RELAY_CLIENT = r"""
import json, sys
sys.path.insert(0, %(bench)r)
import dhcp_client as dc
c = dc.RelayClient(%(server)r, %(relay)r)
out = []
for job in json.loads(sys.argv[1]):
    mac = bytes.fromhex(job["mac"])
    if job.get("raw"):
        c.send(bytes.fromhex(job["raw"]))
        continue
    opts = [(k, bytes.fromhex(v)) for k, v in job.get("opts", [])]
    off, ack = c.dora(mac, job["xid"], opts)
    out.append({"offer": off and {"yiaddr": off["yiaddr"], "type": off["type"],
                                  "opts": {k: v.hex() for k, v in off["opts"].items()}},
                "ack": ack and {"yiaddr": ack["yiaddr"], "type": ack["type"]}})
print(json.dumps(out))
"""


def relay_jobs(e, jobs):
    code = RELAY_CLIENT % {"bench": os.path.dirname(dc.__file__), "server": SERVER,
                           "relay": RELAY}
    r = run(["python3", "-c", code, json.dumps(jobs)], ns=e.ns, timeout=120)
    return json.loads(r.stdout)


def test_relayed_request_gets_relay_subnet_and_option82(env):
    e = env()
    relay_ns(e)
    ri = bytes([1, 6]) + b"eth0/1" + bytes([2, 4]) + b"\x0a\x0b\x0c\x0d"
    res = relay_jobs(e, [{"mac": "02d000000001", "xid": 77, "opts": [[82, ri.hex()]]}])
    off, ack = res[0]["offer"], res[0]["ack"]
    assert off["type"] == dc.OFFER
    assert off["yiaddr"].startswith("10.65.")
    assert bytes.fromhex(off["opts"]["82"]) == ri
    assert bytes.fromhex(off["opts"]["3"]) == dc.ip2b(RELAY)
    assert ack["type"] == dc.ACK and ack["yiaddr"] == off["yiaddr"]
    assert e.vnf()["counters"]["relayed"] == 2


def test_pool_exhaustion_no_offer_and_counted(env):
    e = env(relay_pool="10.65.0.10-10.65.0.11")
    relay_ns(e)
    res = relay_jobs(e, [{"mac": "02d0000000%02x" % i, "xid": 100 + i} for i in range(3)])
    assert [r["ack"]["type"] for r in res[:2]] == [dc.ACK, dc.ACK]
    assert res[2]["offer"] is None
    assert e.vnf()["drops"]["pool-exhausted"] >= 1


def test_malformed_packets_counted_and_server_keeps_serving(env):
    e = env()
    relay_ns(e)
    mac = dc.mac_of(5)
    good = dc.build(dc.DISCOVER, mac, 9, RELAY)
    bad = {
        "truncated": good[:200],
        "bad-cookie": dc.build(dc.DISCOVER, mac, 9, RELAY, cookie=0x63825364),
        "option-past-end": dc.build(dc.DISCOVER, mac, 9, RELAY, end=False) + bytes([12, 100, 65]),
        "bad-overload": dc.build(dc.DISCOVER, mac, 9, RELAY, opts=[(52, b"\x09")]),
        "bad-option-length": dc.build(0, mac, 9, RELAY, opts=[(53, b"")]),
        "bad-op": dc.build(dc.DISCOVER, mac, 9, RELAY, op=2),
    }
    # oversize: a server id of 5 bytes
    bad_oversize = dc.build(dc.REQUEST, mac, 9, RELAY, opts=[(54, b"\x0a\x40\x00\x01\x00")])
    jobs = [{"mac": mac.hex(), "raw": b.hex()} for b in list(bad.values()) + [bad_oversize]]
    relay_jobs(e, jobs)
    want = dict((k, 1) for k in bad)
    want["bad-option-length"] = 2

    def counted():
        d = e.vnf()["drops"]
        return all(d[k] >= n for k, n in want.items())
    wait_for(counted, 10, "every malformed packet counted: %s" % want)
    res = relay_jobs(e, [{"mac": mac.hex(), "xid": 10}])
    assert res[0]["ack"]["type"] == dc.ACK


STORM = r"""
import json, socket, sys, time
sys.path.insert(0, %(bench)r)
import dhcp_client as dc
n, acked_path = int(sys.argv[1]), sys.argv[2]
first = int(sys.argv[3]) if len(sys.argv) > 3 else 1   # xids first .. first + n - 1
c = dc.RelayClient(%(server)r, %(relay)r)


def send(p):
    try:
        c.send(p)
    except OSError:     # ARP for the server not resolved (yet): resent below
        pass


state = {}   # xid -> phase
acked = open(acked_path, "w")
sent_at = {}
pending = list(range(first, first + n))
deadline = time.monotonic() + 60
while time.monotonic() < deadline and (pending or any(v != "acked" for v in state.values())):
    # keep up to 64 exchanges in flight
    while pending and sum(1 for v in state.values() if v != "acked") < 64:
        x = pending.pop(0)
        state[x] = "discover"
        sent_at[x] = time.monotonic()
        send(dc.build(dc.DISCOVER, dc.mac_of(x), x, %(relay)r))
    r = c.recv(0.2)
    if r is None:
        for x, v in state.items():    # resend what went unanswered
            if v != "acked" and time.monotonic() - sent_at[x] > 1:
                sent_at[x] = time.monotonic()
                state[x] = "discover"
                send(dc.build(dc.DISCOVER, dc.mac_of(x), x, %(relay)r))
        continue
    x = r["xid"]
    if r["type"] == dc.OFFER and state.get(x) == "discover":
        state[x] = "request"
        send(dc.build(dc.REQUEST, dc.mac_of(x), x, %(relay)r,
                        opts=[(54, r["opts"][54]), (50, dc.ip2b(r["yiaddr"]))]))
    elif r["type"] == dc.ACK and state.get(x) == "request":
        state[x] = "acked"
        acked.write("%%d %%s\n" %% (x, r["yiaddr"]))
        acked.flush()
"""


@pytest.mark.parametrize("sync", ["fdatasync", "write"])
def test_kill9_during_storm_keeps_every_acked_lease(env, nfvd_factory, tag, tmp_path, sync):
    """lease-sync: fdatasync (the default) and write (page cache only, what
    Kea's memfile gives) both keep every ACKed lease across a kill -9."""
    e = env(lease_sync=sync)
    relay_ns(e)
    acked_path = str(tmp_path / "acked")
    code = STORM % {"bench": os.path.dirname(dc.__file__), "server": SERVER, "relay": RELAY}
    storm = popen(["python3", "-c", code, "500", acked_path], ns=e.ns)

    def n_acked():
        try:
            with open(acked_path) as f:
                return len(f.read().splitlines())
        except OSError:
            return 0
    try:
        wait_for(lambda: n_acked() >= 200, 60, "200 ACKs in the storm")
        e.nfvd.proc.kill()          # kill -9 in the middle of the storm
        e.nfvd.proc.wait()
    finally:
        storm.kill()
        storm.wait()
    with open(acked_path) as f:
        acked = [line.split() for line in f.read().splitlines() if line.strip()]
    assert len(acked) >= 200
    addrs = [a for _x, a in acked]
    assert len(set(addrs)) == len(addrs), "an address was ACKed to two clients"
    e.nfvd.cleanup()
    # restart on the same lease file
    with open(e.nfvd.file) as f:
        d2 = nfvd_factory(f.read())
    attach(d2, e.ns, e.ifname)
    e.nfvd = d2
    relay_ns(e)
    held = {l["address"]: l["mac"] for l in e.leases() if l["state"] == "bound"}
    lost = [(x, a) for x, a in acked
            if held.get(a) != ":".join("%02x" % b for b in dc.mac_of(int(x)))]
    assert not lost, "%d ACKed leases lost after kill -9: %s" % (len(lost), lost[:5])
    # and the clients get the same addresses back
    res = relay_jobs(e, [{"mac": dc.mac_of(int(x)).hex(), "xid": int(x)} for x, _a in acked[:20]])
    assert [r["ack"]["yiaddr"] for r in res] == [a for _x, a in acked[:20]]


def test_apply_reconfigures_in_place(env):
    """nfvctl apply with new options, a new reservation and a larger pool:
    the running server keeps its leases (no re-create: its counters go on),
    a renewing client keeps its address and learns the new options."""
    e = env()
    r = dhclient(e)
    assert r.returncode == 0, r.stderr
    first = e.learned("BOUND")
    addr = first["new_ip_address"]
    assert first["new_domain_name_servers"] == "10.64.0.53 10.64.0.54"
    acks = e.vnf()["counters"]["ack"]
    assert acks >= 1
    conf = dhcp_conf(e.tag, str(e.tmp / "leases"), pool="10.64.0.100-10.64.0.220")
    sub = conf["vnfs"][0]
    sub["options"]["dns-servers"] = ["10.64.0.99"]
    sub["subnets"][0]["reservations"].append({"mac": "02:64:00:00:00:77",
                                              "address": "10.64.0.77"})
    resp = e.nfvd.apply(conf)
    assert resp.get("ok"), resp
    assert e.vnf()["counters"]["ack"] == acks          # same instance, counters kept
    assert any(l["address"] == addr for l in e.leases())
    # the client renews (REBOOT with its recorded lease): same address, new DNS
    os.unlink(os.path.join(e.out, "BOUND"))
    r = dhclient(e)
    assert r.returncode == 0, r.stderr
    got = e.learned("REBOOT") if os.path.exists(os.path.join(e.out, "REBOOT")) \
        else e.learned("BOUND")
    assert got["new_ip_address"] == addr
    assert got["new_domain_name_servers"] == "10.64.0.99"
    assert e.vnf()["counters"]["ack"] == acks + 1


SEND_FRAMES = r"""
import sys
from scapy.all import Ether, IP, UDP, Raw, sendp
iface, mac, payload = sys.argv[1], sys.argv[2], bytes.fromhex(sys.argv[3])
def frame(**kw):
    ip = {k[3:]: v for k, v in kw.items() if k.startswith("ip_")}
    udp = {k[4:]: v for k, v in kw.items() if k.startswith("udp_")}
    return (Ether(src=mac, dst="ff:ff:ff:ff:ff:ff") /
            IP(src="0.0.0.0", dst="255.255.255.255", **ip) /
            UDP(sport=68, dport=67, **udp) / Raw(payload))
sendp([frame(ip_chksum=0x1234), frame(udp_chksum=0x1234), frame(udp_chksum=0), frame()],
      iface=iface, verbose=False)
"""


def test_bad_checksums_dropped_and_counted(env):
    """RFC 1122 3.2.1.2 / 4.1.3.4: a request with a bad IPv4 header or UDP
    checksum is dropped silently and counted; one without a UDP checksum
    (0) and a right one are answered."""
    e = env()
    mac = dc.mac_of(77)
    payload = dc.build(dc.DISCOVER, mac, 77)
    r = run([sys.executable, "-c", SEND_FRAMES, e.ifname, ":".join("%02x" % b for b in mac),
             payload.hex()], ns=e.ns, check=False)
    assert r.returncode == 0, r.stderr

    def counted():
        v = e.vnf()
        return v["drops"]["bad-ip-checksum"] == 1 and v["drops"]["bad-udp-checksum"] == 1 \
            and v["counters"]["offer"] == 2
    wait_for(counted, 10, "two checksum drops and two offers: %s" % (e.vnf(),))
    assert e.vnf()["counters"]["discover"] == 2
