# SPDX-License-Identifier: BSD-3-Clause
"""DHCP lease journal on a disk that fills up.

The lease file lives on a small tmpfs mounted for the test. During a storm
of relayed clients (bench/dhcp_client.py) a filler file takes all the free
space at random points and gives it back; then more clients, kill -9,
restart on the same file: every lease a client got an ACK for is listed
again (issue 18 item 6: a write error must leave the journal replayable and
nothing may be ACKed that is not replayed).
"""
import errno
import os
import random
import threading
import time

import pytest

from nfvlib import run, popen, wait_for
from test_dhcp_server import (STORM, SERVER, RELAY, attach, relay_ns, env,  # noqa: F401
                              client_ns, dc, pytestmark)


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
