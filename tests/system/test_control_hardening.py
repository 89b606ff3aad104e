# SPDX-License-Identifier: BSD-3-Clause
"""The control socket under hostile or unlucky load (docs/control.md, limits).

- an apply of a huge file is read and checked off the control loop: other
  clients keep getting answers and SIGTERM ends nfvd while it is in flight;
  a second apply meanwhile is refused with a clear answer;
- a FIFO (apply or start-up file) is refused, not read, and an oversized
  file too;
- a client that pipelines requests and reads slowly keeps at most ~4 MiB of
  answers in nfvd and is closed (counted as slow_reader);
- 64 clients trickling bytes do not lock a new client out (the quietest one
  makes room; a request line has 10 s to complete);
- SIGTERM leaves no /var/run/dpdk/<prefix> behind.
"""
import json
import os
import signal
import socket
import subprocess
import threading
import time

import nfvlib

CONF = nfvlib.NULL_CHAIN

STATUS = b'{"v":1,"id":1,"cmd":"status"}\n'


connect = nfvlib.unix_connect
read_line = nfvlib.read_line


def timed_status(d, timeout=10):
    t0 = time.monotonic()
    r = nfvlib._request(d.sock, {"v": 1, "id": 9, "cmd": "status"}, timeout)
    return time.monotonic() - t0, r


def control(d):
    return d.result("status")["control"]


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_huge_apply_runs_aside_and_sigterm_ends_it(nfvd_factory, tmp_path):
    d = nfvd_factory(CONF)
    big = tmp_path / "big.yaml"
    with open(big, "w") as f:
        f.write(CONF)
        f.write("x-bulk:\n")  # one mapping of 100,000 keys
        f.write("".join("  k%06d: %d\n" % (i, i) for i in range(100000)))
    a = connect(d.sock, timeout=60)
    a.sendall((json.dumps({"v": 1, "id": 7, "cmd": "apply",
                           "args": {"path": str(big)}}) + "\n").encode())
    # While it is read and checked, every status answers within a second
    # (2 s allowed on this shared test machine).
    end = time.monotonic() + 4
    worst, in_flight = 0.0, False
    while time.monotonic() < end:
        dt, r = timed_status(d)
        assert r["ok"], r
        worst = max(worst, dt)
        in_flight |= r["result"]["control"]["apply_in_progress"]
    assert worst < 2.0, "status took %.2f s during the apply" % worst
    if in_flight and control(d)["apply_in_progress"]:
        r = d.ctl("apply", path=d.file)
        assert r["ok"] is False and "in progress" in r["error"], r
    t0 = time.monotonic()
    d.proc.send_signal(signal.SIGTERM)
    rc = d.proc.wait(30)
    assert rc == 0, d.output()
    assert time.monotonic() - t0 < 15
    # the applying client got its answer: aborted, or the file's error
    r = json.loads(read_line(a))
    a.close()
    assert r["id"] == 7 and r["ok"] is False, r
    assert "aborted: nfvd is stopping" in r["error"] or "x-bulk" in json.dumps(r), r


def test_fifo_and_oversized_files_refused(nfvd_factory, tmp_path):
    d = nfvd_factory(CONF)
    fifo = tmp_path / "chain.fifo"
    os.mkfifo(fifo)
    r = nfvlib._request(d.sock, {"v": 1, "id": 2, "cmd": "apply",
                                 "args": {"path": str(fifo)}}, 10)
    assert r["ok"] is False and "not a regular file (a FIFO)" in r["error"], r
    assert d.result("status")["generation"] >= 0
    huge = tmp_path / "huge.yaml"
    with open(huge, "w") as f:
        f.write(CONF)
        f.truncate(17 << 20)
    r = d.ctl("apply", path=str(huge))
    assert r["ok"] is False and "larger than the limit" in r["error"], r
    r = d.ctl("apply", path=str(tmp_path))
    assert r["ok"] is False and "a directory" in r["error"], r
    # a good apply still works afterwards
    r = d.apply(CONF)
    assert r["ok"], r
    # the start-up file: refused at once, nfvd exits 1
    p = subprocess.Popen([nfvlib.NFVD, "--file-prefix", d.prefix + "f", "-s",
                          str(tmp_path / "f.sock"), str(fifo)],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        out, _ = p.communicate(timeout=30)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    assert p.returncode == 1 and "not a regular file (a FIFO)" in out, out


def test_slow_reader_output_bounded_and_closed(nfvd_factory):
    d = nfvd_factory(CONF)
    pid = d.proc.pid
    base = rss_kib(pid)
    s = connect(d.sock, timeout=5)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 10)
    stop = threading.Event()

    def writer():
        burst = STATUS * 4096
        try:
            while not stop.is_set():
                s.sendall(burst)
        except OSError:
            pass

    t = threading.Thread(target=writer, daemon=True)
    t.start()
    worst, closed = 0, False
    end = time.monotonic() + 90
    try:
        while time.monotonic() < end:
            worst = max(worst, rss_kib(pid) - base)
            try:
                if s.recv(32 << 10) == b"":  # ~1.6 MB/s: slower than it asks
                    closed = True
                    break
            except socket.timeout:
                pass
            except ConnectionResetError:
                closed = True
                break
            time.sleep(0.02)
    finally:
        stop.set()
        s.close()
        t.join(10)
    assert closed, "nfvd kept a client that never drains its answers"
    assert worst < 64 << 10, "nfvd grew by %d KiB for one client" % worst
    assert control(d)["closed"]["slow_reader"] >= 1


def test_trickling_clients_do_not_lock_out_a_new_one(nfvd_factory):
    d = nfvd_factory(CONF)
    socks = [connect(d.sock) for _ in range(64)]
    stop = threading.Event()

    def trickle():
        # one byte of a request each round, none ever completes
        while not stop.is_set():
            for s in socks:
                try:
                    s.send(b" ")
                except OSError:
                    pass
            stop.wait(1)

    t = threading.Thread(target=trickle, daemon=True)
    t.start()
    try:
        def answered():
            try:
                return nfvlib._request(d.sock, {"v": 1, "id": 3, "cmd": "status"}, 5)["ok"]
            except (OSError, ValueError):
                return False
        nfvlib.wait_for(answered, 15, "a new client to be answered")
        c = control(d)
        assert c["closed"]["evicted"] >= 1, c
        # a request line has 10 s to complete: the trickling ones go
        nfvlib.wait_for(lambda: control(d)["closed"]["slow_request"] >= 32, 60,
                        "trickling clients to be closed")
    finally:
        stop.set()
        t.join(10)
        for s in socks:
            s.close()


def test_sigterm_removes_the_dpdk_runtime_dir(nfvd_factory):
    d = nfvd_factory(CONF)
    rundir = "/var/run/dpdk/" + d.prefix
    assert os.path.isdir(rundir)
    d.proc.send_signal(signal.SIGTERM)
    assert d.proc.wait(30) == 0, d.output()
    assert not os.path.exists(rundir), os.listdir(rundir)


ROUTER_ROUTES_FILE = """\
version: 1
ports:
  - {name: gen, driver: "null", rx: true}
  - {name: sink, driver: "null"}
vnfs:
  - name: rtr
    class: router
    interfaces:
      - {name: in, port: gen, addresses: [10.0.0.254/8]}
      - {name: out, port: sink, addresses: [192.168.0.254/24]}
    routes-file: %s
chains:
  - {name: fwd, ingress: [gen], vnfs: [rtr], egress: sink}
"""

DHCP_LEASE_FILE = """\
version: 1
ports:
  - {name: gen, driver: "null", rx: true}
  - {name: sink, driver: "null"}
vnfs:
  - name: dhcp0
    class: dhcp
    lease-file: %s
    interfaces:
      - {port: gen, address: 10.9.0.1/24}
    subnets:
      - subnet: 10.9.0.0/24
        pools:
          - range: 10.9.0.100-10.9.0.199
chains:
  - {name: fwd, ingress: [gen], vnfs: [dhcp0], egress: sink}
"""


def test_fifo_routes_and_lease_files_refused(nfvd_factory, tmp_path):
    """A file a VNF reads (router routes-file, DHCP lease-file) that is a
    FIFO is refused, not read: the apply answers with the reason, the loader
    is free for the next apply, nfvd keeps running."""
    d = nfvd_factory(CONF)
    fifo = tmp_path / "x.fifo"
    os.mkfifo(fifo)
    for text in (ROUTER_ROUTES_FILE, DHCP_LEASE_FILE):
        r = d.apply(text % fifo)
        assert r["ok"] is False and "not a regular file" in json.dumps(r), r
        assert d.result("status")["generation"] >= 0
    # nothing held the loader: a good apply goes through at once
    r = d.apply(CONF.replace("fwd", "fwd2"))
    assert r["ok"], r


def test_one_shot_clients_below_the_limit_never_refused(nfvd_factory):
    """48 clients each making one-shot requests (connect, ask, read, hang
    up) as fast as they can, fewer than the 64 allowed at once: none is
    refused. (Clients that hung up after their answer used to hold their
    slot until the loop read the hang-up, and new ones were refused as
    "too many clients".)"""
    d = nfvd_factory(CONF)
    errors = []

    def client():
        for i in range(60):
            try:
                r = nfvlib._request(d.sock, {"v": 1, "id": i, "cmd": "version"}, 10)
                if not r.get("ok"):
                    errors.append(r)
            except (OSError, ValueError) as e:
                errors.append(repr(e))
    threads = [threading.Thread(target=client) for _ in range(48)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [], errors[:5]
    assert control(d)["closed"]["refused"] == 0, control(d)
