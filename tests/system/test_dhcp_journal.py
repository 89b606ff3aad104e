# SPDX-License-Identifier: BSD-3-Clause
"""DHCP lease journal on a disk that fills up.

The lease file lives on a small tmpfs mounted for the test. During a storm
of relayed clients (bench/dhcp_client.py) a filler file takes all the free
space at random points and gives it back; then more clients, kill -9,
restart on the same file: every lease a client got an ACK for is listed
again (issue 18 item 6: a write error must leave the journal replayable and
nothing may be ACKed that is not replayed).

One writer per lease file: two instances of one chain file, or two nfvd,
on the same file are refused; corrupt records skipped at load are counted.
"""
import errno
import json
import os
import random
import re
import threading
import time

import pytest
import yaml

from nfvlib import NFVCTL, run, popen, wait_for
from test_dhcp_server import (STORM, SERVER, RELAY, attach, relay_ns, env,  # noqa: F401
                              client_ns, dc, dhcp_conf, relay_jobs, pytestmark)


@pytest.fixture
def small_disk(tmp_path):
    d = tmp_path / "disk"
    d.mkdir()
    run(["mount", "-t", "tmpfs", "-o", "size=2m,mode=0755", "nfvd-test-disk", str(d)])
    yield d
    if run(["umount", str(d)], check=False).returncode != 0:
        run(["umount", "-l", str(d)], check=False)


def fill(path):
    """Take every free byte of the file system holding path."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        chunk = b"\0" * 65536
        while True:
            try:
                os.write(fd, chunk)
            except OSError as ex:
                if ex.errno != errno.ENOSPC:
                    raise
                if len(chunk) == 1:
                    return
                chunk = chunk[:len(chunk) // 2]
    finally:
        os.close(fd)


def read_acked(path):
    try:
        with open(path) as f:
            return [line.split() for line in f.read().splitlines() if line.strip()]
    except OSError:
        return []


@pytest.mark.parametrize("compact", [None, 200], ids=["append", "compacting"])
def test_disk_full_during_storm_keeps_every_acked_lease(small_disk, env, nfvd_factory,
                                                         tmp_path, compact):
    seed = int(os.environ.get("NFVD_TEST_SEED", random.randrange(1 << 30)))
    print("seed", seed)
    rnd = random.Random(seed)
    # "compacting": compactions during the storm too (they fail on the full
    # disk as well)
    e = env(lease_file=str(small_disk / "leases"), compact_records=compact)
    relay_ns(e)
    code = STORM % {"bench": os.path.dirname(dc.__file__), "server": SERVER, "relay": RELAY}
    acked1 = str(tmp_path / "acked1")
    storm = popen(["python3", "-c", code, "600", acked1, "1"], ns=e.ns)
    filler = str(small_disk / "filler")
    fills = 0
    stop = threading.Event()
    # the disk fills at random points of the storm (after so many ACKs),
    # stays full until a journal write failed on it (or 3 s) and a random
    # while more, then the space comes back
    points = sorted(rnd.sample(range(10, 500), 4))

    def write_errors():
        return e.vnf()["journal"]["write_errors"]

    def fill_loop():
        nonlocal fills
        for pt in points:
            while not stop.is_set() and len(read_acked(acked1)) < pt:
                stop.wait(0.005)
            if stop.is_set():
                return
            before = write_errors()
            fill(filler)
            fills += 1
            deadline = time.monotonic() + 3
            while not stop.is_set() and write_errors() == before and \
                    time.monotonic() < deadline:
                stop.wait(0.01)
            stop.wait(rnd.uniform(0, 0.5))
            os.unlink(filler)
    t = threading.Thread(target=fill_loop)
    t.start()
    try:
        # the storm ends by itself (every client ACKed, or its 60-s deadline)
        storm.wait(120)
    finally:
        stop.set()
        t.join()
        if storm.poll() is None:
            storm.kill()
            storm.wait()
        if os.path.exists(filler):
            os.unlink(filler)
    out = storm.stdout.read()
    st = e.vnf()
    assert storm.returncode == 0, out
    assert fills >= 1
    assert st["journal"]["write_errors"] >= 1, "the disk never filled under the journal: %s" % (
        st["journal"],)
    first = read_acked(acked1)
    assert len(first) >= 100, (len(first), st)
    # space is back: more clients, all ACKed
    acked2 = str(tmp_path / "acked2")
    r = run(["python3", "-c", code, "100", acked2, "2001"], ns=e.ns, timeout=120)
    assert r.returncode == 0, r.stderr
    second = read_acked(acked2)
    assert len(second) == 100, (len(second), e.vnf())
    acked = first + second
    addrs = [a for _x, a in acked]
    assert len(set(addrs)) == len(addrs), "an address was ACKed to two clients"
    # kill -9, restart on the same lease file
    e.nfvd.proc.kill()
    e.nfvd.proc.wait()
    e.nfvd.cleanup()
    with open(e.nfvd.file) as f:
        d2 = nfvd_factory(f.read())
    attach(d2, e.ns, e.ifname)
    e.nfvd = d2
    held = {l["address"]: l["mac"] for l in e.leases() if l["state"] == "bound"}
    lost = [(x, a) for x, a in acked
            if held.get(a) != ":".join("%02x" % b for b in dc.mac_of(int(x)))]
    assert not lost, "%d of %d ACKed leases lost after the disk was full (seed %d): %s" % (
        len(lost), len(acked), seed, lost[:5])


def second_server(conf, lease_file):
    """conf with a second dhcp instance (dhcp1, VLAN 10 of the same port,
    in the same chain) whose journal is lease_file."""
    conf["vnfs"].append({
        "name": "dhcp1", "class": "dhcp",
        "interfaces": [{"port": "lan", "vlan": 10, "address": "10.66.0.1/24"}],
        "lease-file": lease_file,
        "subnets": [{"subnet": "10.66.0.0/24", "pools": [{"range": "10.66.0.10-10.66.0.20"}]}],
    })
    conf["chains"][0]["vnfs"].append("dhcp1")
    return conf


def one_dora(e, x):
    res = relay_jobs(e, [{"mac": dc.mac_of(x).hex(), "xid": x}])
    assert res[0]["ack"] and res[0]["ack"]["type"] == dc.ACK, res
    return res[0]["ack"]["yiaddr"]


def test_two_servers_on_one_lease_file_refused(env, tag, tmp_path):
    """Two dhcp instances whose lease-files are one file (here through a
    symlink) would overwrite each other's journal records: nfvctl validate
    and apply refuse it at the second one's lease-file; the running server
    goes on serving."""
    e = env()
    relay_ns(e)
    one_dora(e, 1)
    os.symlink("leases", str(tmp_path / "lnk"))
    bad = str(tmp_path / "two.yaml")
    with open(bad, "w") as f:
        f.write(yaml.safe_dump(second_server(dhcp_conf(tag, str(tmp_path / "leases")),
                                             str(tmp_path / "lnk")), sort_keys=False))
    want = re.compile(re.escape(bad) + r":\d+:\d+: vnfs\[dhcp1\]\.lease-file: "
                      r"already used by vnfs\[dhcp0\]")
    r = run([NFVCTL, "validate", bad], check=False)
    assert r.returncode != 0 and want.search(r.stdout + r.stderr), r
    # the same file with another lease file is valid: the refusal is the file's
    ok = str(tmp_path / "two-ok.yaml")
    with open(ok, "w") as f:
        f.write(yaml.safe_dump(second_server(dhcp_conf(tag, str(tmp_path / "leases")),
                                             str(tmp_path / "other")), sort_keys=False))
    r = run([NFVCTL, "validate", ok], check=False)
    assert r.returncode == 0, r
    resp = e.nfvd.ctl("apply", path=bad)
    assert resp["ok"] is False and want.search(json.dumps(resp)), resp
    assert "dhcp1" not in e.nfvd.stats()["vnfs"]
    one_dora(e, 2)
    held = {l["address"] for l in e.leases() if l["state"] == "bound"}
    assert len(held) == 2, held


def test_second_nfvd_on_same_lease_file_refused(env, nfvd_factory, tag, tmp_path):
    """A second nfvd whose dhcp instance names the first one's lease file
    (through a symlink) does not start: the file is locked, the error names
    the first nfvd's pid; the first one keeps serving and its journal is
    untouched."""
    e = env()
    relay_ns(e)
    a1 = one_dora(e, 1)
    os.symlink("leases", str(tmp_path / "lnk"))
    size = os.path.getsize(str(tmp_path / "leases"))
    conf = dhcp_conf(tag, str(tmp_path / "lnk"))
    conf["ports"][0]["iface"] = tag + "m"
    d2 = nfvd_factory(conf, start=False, name="second")
    with pytest.raises(AssertionError):
        d2.start()
    want = "lease-file %s is in use by another process (pid %d)" % (
        tmp_path / "lnk", e.nfvd.proc.pid)
    assert want in d2.output(), d2.output()
    assert d2.proc.returncode != 0
    assert os.path.getsize(str(tmp_path / "leases")) == size
    a2 = one_dora(e, 2)
    held = {l["address"] for l in e.leases() if l["state"] == "bound"}
    assert held == {a1, a2}
    assert e.vnf()["journal"]["write_errors"] == 0


def test_corrupt_records_counted_and_logged(env, nfvd_factory, tmp_path):
    """A flipped byte in a record and a torn tail: the records behind the
    corrupt one are loaded, and the load says what it skipped (log line,
    journal.corrupt_records / torn_tail_bytes in stats)."""
    e = env()
    relay_ns(e)
    addrs = [one_dora(e, x) for x in range(1, 5)]
    records = e.vnf()["journal"]["records"]
    assert records == 4, e.vnf()["journal"]
    rc, _out = e.nfvd.stop()
    assert rc == 0
    path = str(tmp_path / "leases")
    rec = (os.path.getsize(path) - 16) // records
    with open(path, "r+b") as f:
        f.seek(16 + rec + 9)          # inside the second record
        b = f.read(1)
        f.seek(16 + rec + 9)
        f.write(bytes([b[0] ^ 0xff]))
        f.seek(0, os.SEEK_END)
        f.write(b"\x5a" * 30)         # a torn record
    with open(e.nfvd.file) as f:
        d2 = nfvd_factory(f.read())
    j = d2.stats()["vnfs"]["dhcp0"]["journal"]
    assert (j["corrupt_records"], j["torn_tail_bytes"]) == (1, 30), j
    assert "lease-file %s: skipped 1 corrupt records, cut 30-byte torn tail" % path \
        in d2.output(), d2.output()
    e.nfvd = d2
    held = {l["address"] for l in e.leases() if l["state"] == "bound"}
    assert held == {addrs[0], addrs[2], addrs[3]}, held
