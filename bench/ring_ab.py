#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""Generators side by side against one nfvd chain over shared rings.

    bench/ring_ab.py [--build BUILD] [--nfvd NFVD] [--chain router|forward]
                     [--chain-file FILE] [--slots N] [--rounds R] [--rate PPS ...]
                     NAME=NFV_GEN[:RECYCLE] ...

Starts nfvd (BUILD/nfvd, or --nfvd) with a bench chain on two shared-ring
links, then for each round runs every variant once, in turn: that nfv-gen
binary as a secondary process, one trial per --rate (0 = unpaced), with
`recycle` RECYCLE (0 or absent: off). Prints per trial what nfv-gen offered
and got back and nfvd's worker busy cycles per packet over the trial (read
before and after from its stats): the DUT's cost with that generator. The
variants alternate within each round; compare them round by round (this
host's figures move between minutes, see docs/bench.md).

Example (the generator of another commit against this one, router chain):
    git worktree add /tmp/base <sha> && (cd /tmp/base && meson setup build && ninja -C build)
    bench/ring_ab.py --rounds 3 --rate 0 --rate 20e6 \\
        old=/tmp/base/build/bench/gen/nfv-gen new=build/bench/gen/nfv-gen \\
        new-rc=build/bench/gen/nfv-gen:16
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from nfvbench import nfvd_ctl  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
RMAC = "02:00:00:00:01:01"  # router-ring.yaml's lan MAC


def chain_file(kind, slots, sock, path=None):
    """The bench chain (or the chain file at path) on shared rings
    nb_in/nb_out, slots deep."""
    name = {"router": "router-ring.yaml", "forward": "forward.yaml"}[kind]
    with open(path or os.path.join(ROOT, "bench", "results", "chains", name)) as f:
        chain = yaml.safe_load(f)
    chain["nfvd"] = {"socket": sock}
    for p in chain["ports"]:
        keep = {k: v for k, v in p.items() if k in ("name", "mac")}
        p.clear()
        p.update(keep, driver="ring", shared="nb_" + keep["name"], **{"rx-desc": slots, "tx-desc": slots})
    return chain


def work(sock):
    st = nfvd_ctl.request(sock, "stats")
    return (sum(w["busy_cycles"] for w in st["workers"]), sum(w["packets"] for w in st["workers"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--nfvd")
    ap.add_argument("--chain", choices=("router", "forward"), default="router")
    ap.add_argument("--chain-file", help="another chain file of the same shape (ports in, out)")
    ap.add_argument("--slots", type=int, default=4096)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--rate", type=float, action="append")
    ap.add_argument("--duration-ms", type=int, default=250)
    ap.add_argument("variants", nargs="+", metavar="NAME=NFV_GEN[:RECYCLE]")
    a = ap.parse_args()
    variants = []
    for v in a.variants:
        name, _, rest = v.partition("=")
        path, _, rc = rest.partition(":")
        if not name or not os.access(path, os.X_OK):
            ap.error("%s: NAME=NFV_GEN[:RECYCLE] with an executable nfv-gen" % v)
        variants.append((name, path, int(rc or 0)))
    rates = a.rate or [0.0]
    work_dir = tempfile.mkdtemp(prefix="ring_ab.")
    sock = os.path.join(work_dir, "nfvd.sock")
    path = os.path.join(work_dir, "chain.yaml")
    with open(path, "w") as f:
        yaml.safe_dump(chain_file(a.chain, a.slots, sock, a.chain_file), f)
    prefix = "ringab%d" % os.getpid()
    log = open(os.path.join(work_dir, "nfvd.log"), "w")
    dut = subprocess.Popen([a.nfvd or os.path.join(a.build, "nfvd"), "--file-prefix", prefix, "-l", "0,1",
                            "--stats-interval", "0", path], stdout=log, stderr=subprocess.STDOUT)
    stream = "tx=0,rx=1,src=10.0.0.2,dst=10.1.0.2,sport=1024,dport=5001"
    if a.chain == "router":
        stream += ",dmac=" + RMAC
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                work(sock)
                break
            except OSError:
                if dut.poll() is not None or time.monotonic() > deadline:
                    sys.exit("ring_ab: nfvd did not start (see %s)" % log.name)
                time.sleep(0.1)
        print("# %s chain, %d-slot rings, %d ms trials; cyc/pkt: nfvd's worker" % (
            a.chain, a.slots, a.duration_ms))
        for r in range(a.rounds):
            for name, gen, rc in variants:
                p = subprocess.Popen([gen, "--lcores", "64@0", "--proc-type=secondary", "--file-prefix", prefix,
                                      "--no-pci", "--log-level=3", "--", "--ring-link", "nb_in", "--ring-link",
                                      "nb_out", "--stream", stream],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
                reqs = [{"cmd": "trial", "rate_pps": 1e4, "duration_ms": 200, "size": 64, "flows": 1024}]
                for rate in rates:
                    q = {"cmd": "trial", "rate_pps": rate, "duration_ms": a.duration_ms, "size": 64,
                         "flows": 1024, "ring_slots": a.slots}
                    if rc:
                        q["recycle"] = rc
                    reqs.append(q)
                for i, q in enumerate(reqs):
                    b0 = work(sock)
                    p.stdin.write(json.dumps(q) + "\n")
                    p.stdin.flush()
                    d = json.loads(p.stdout.readline())
                    b1 = work(sock)
                    if i == 0:
                        continue  # the learning trial
                    if not d.get("ok"):
                        print("%d %-8s %s" % (r, name, d.get("error")), flush=True)
                        continue
                    cpp = (b1[0] - b0[0]) / max(1, b1[1] - b0[1])
                    print("%d %-8s rate %6.2f offered %6.2f rx %6.2f Mpps loss %.5f dut %6.1f cyc/pkt "
                          "kept %.3f skipped %d gaps %d max %.0f us" % (
                              r, name, q["rate_pps"] / 1e6, d["offered_pps"] / 1e6, d["rx_pps"] / 1e6,
                              d["loss_ratio"], cpp, d.get("tx_kept", 0) / max(1, d["tx"]), d.get("skipped", 0),
                              d["gaps"]["count"], d["gaps"]["max_us"]), flush=True)
                p.stdin.write('{"cmd":"quit"}\n')
                p.stdin.flush()
                p.wait(30)
    finally:
        dut.terminate()
        dut.wait(30)
        shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)
        shutil.rmtree(work_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
