#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""nfvd's forward chain next to dpdk-testpmd io forwarding, same ports, one core.

Source: a looping pcap of 1024 UDP flows of 64-byte frames (60 bytes in the
pcap + 4 FCS), written with scapy, read by net_pcap with infinite_rx=1.
Sink: net_null with no-rx=1. Both systems run one forwarding lcore (CPU 1)
and a main lcore (CPU 0), hugepages, their own --file-prefix. Both copy
every packet out of the pcap source into a fresh mbuf (~50 cycles/packet of
the forwarding core's time, see /work/shared/PEERS.md): the comparison is
fair because both pay it.

  testpmd: --forward-mode=io --record-core-cycles; rate from port 1's TX
           counter over the measured interval, cycles/packet from
           testpmd's own busy-cycle count ("CPU cycles/packet").
  nfvd:    chain src -> [forward] -> sink; rate from port sink's tx counter,
           cycles/packet = busy TSC cycles / packets of the worker from the
           `stats` command (workers[].busy_cycles, .packets), over the
           same interval.

Usage: bench/fwd_vs_testpmd.py [--build DIR] [--duration S] [--rounds N]
                               [--retries N] [--baseline DIR] [--out FILE.json]
Each round runs testpmd and nfvd (which goes first alternates); the table
shows the median of the rounds and the median of the per-round ratios.
--baseline DIR: instead of testpmd, the nfvd of another build (e.g. one
with -Dtrace_hooks=false: bench/trace_cost.py) on the same chain.
A run whose measurement comes back empty (no packet counted in the interval,
no cycle figure: a starved core on a loaded host) or that fails is tried
again up to --retries times; then the round is recorded as failed (its
reason in the JSON and on stderr) and left out of the medians. When no
round has both runs, the script says so and exits 1.
JSON goes to bench/results/fwd_vs_testpmd-<time>.json.
Needs root, dpdk-testpmd (package dpdk), python3-scapy, free hugepages.
"""
import argparse
import datetime
import glob
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from nfvbench import nfvd_ctl  # bench/ is the script's folder

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
TAG = "bfwd"  # file prefixes, socket names


def log(msg):
    print("fwd_vs_testpmd: " + msg, file=sys.stderr, flush=True)


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > end:
            raise RuntimeError("timed out waiting for " + what)
        time.sleep(0.05)


def make_pcap(path, flows=1024):
    from scapy.layers.inet import IP, UDP
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw
    from scapy.utils import wrpcap
    pkts = []
    for i in range(flows):
        p = (Ether(src="02:00:00:00:00:01", dst="02:00:00:00:00:02")
             / IP(src="10.0.%d.%d" % (i >> 8, i & 255), dst="10.1.0.1")
             / UDP(sport=1024 + i, dport=9))
        pkts.append(p / Raw(bytes(60 - len(p))))
    wrpcap(path, pkts)


def remove_prefix_files(prefix):
    for f in glob.glob("/dev/hugepages/%s*" % prefix):
        try:
            os.unlink(f)
        except OSError:
            pass
    shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)


# ---- testpmd ----

class Testpmd:
    def __init__(self, pcap, workdir, prefix):
        self.prefix = prefix
        self.logpath = os.path.join(workdir, prefix + ".log")
        self.logf = open(self.logpath, "w")
        cmd = ["stdbuf", "-oL", "dpdk-testpmd", "-l", "0,1", "--file-prefix", prefix, "--no-pci",
               "--vdev", "net_pcap0,rx_pcap=%s,infinite_rx=1" % pcap,
               "--vdev", "net_null0,no-rx=1",
               "--", "-i", "--forward-mode=io", "--record-core-cycles", "--nb-cores=1"]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=self.logf,
                                     stderr=subprocess.STDOUT, text=True)
        wait_for(lambda: self._alive() and "testpmd>" in self.log(), 60, "testpmd prompt")

    def _alive(self):
        if self.proc.poll() is not None:
            raise RuntimeError("testpmd exited %d:\n%s" % (self.proc.returncode, self.log()))
        return True

    def log(self):
        with open(self.logpath) as f:
            return f.read()

    def cmd(self, line, expect=None):
        """Send a command; wait until the log grows a new prompt (and expect)."""
        n = self.log().count("testpmd>")
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        wait_for(lambda: self._alive() and self.log().count("testpmd>") > n
                 and (expect is None or expect in self.log()), 30, "testpmd: " + line)
        return self.log()

    def tx_packets(self):
        out = self.cmd("show port stats 1")
        last = out.rsplit("NIC statistics for port 1", 1)[1]
        return int(re.search(r"TX-packets:\s+(\d+)", last).group(1))

    def close(self):
        try:
            if self.proc.poll() is None:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.flush()
                self.proc.wait(30)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()
        self.logf.close()
        remove_prefix_files(self.prefix)


def run_testpmd(pcap, workdir, warmup, duration, rnd):
    tp = Testpmd(pcap, workdir, "%stp%d_%s" % (TAG, os.getpid(), rnd))
    try:
        tp.cmd("start")
        time.sleep(warmup)  # the measured interval is timed, not waited for
        a, ta = tp.tx_packets(), time.monotonic()
        time.sleep(duration)
        b, tb = tp.tx_packets(), time.monotonic()
        out = tp.cmd("stop", expect="CPU cycles/packet")
        m = re.search(r"CPU cycles/packet=([\d.]+)", out)
        cyc = float(m.group(1)) if m else None
    finally:
        tp.close()
    return {"mpps": (b - a) / (tb - ta) / 1e6, "cycles_per_packet": cyc,
            "packets": b - a, "seconds": tb - ta}


# ---- nfvd ----

NFVD_CHAIN = """\
version: 1
ports:
  - {{name: src, driver: pcap, rx-file: {pcap}, loop: true}}
  - {{name: sink, driver: "null"}}
vnfs:
  - {{name: fwd, class: forward, port: sink}}
chains:
  - {{name: main, ingress: [src], vnfs: [fwd]}}
"""


def request(path, cmd):
    return nfvd_ctl.request(path, cmd)


def run_nfvd(build, pcap, workdir, warmup, duration, rnd, tag="nf"):
    prefix = "%s%s%d_%s" % (TAG, tag, os.getpid(), rnd)
    sock = os.path.join(workdir, prefix + ".sock")
    chain = os.path.join(workdir, "fwd.yaml")
    with open(chain, "w") as f:
        f.write(NFVD_CHAIN.format(pcap=pcap))
    logpath = os.path.join(workdir, prefix + ".log")
    logf = open(logpath, "w")
    proc = subprocess.Popen([os.path.join(build, "nfvd"), "--file-prefix", prefix, "-s", sock,
                             "-l", "0,1", "--stats-interval", "0", chain],
                            stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def answering():
        if proc.poll() is not None:
            with open(logpath) as f:
                raise RuntimeError("nfvd exited %d:\n%s" % (proc.returncode, f.read()))
        try:
            return request(sock, "status") is not None
        except (OSError, ValueError, RuntimeError):
            return False

    def snap():
        s = request(sock, "stats")
        w = s["workers"][0]
        return s["ports"]["sink"]["tx"], w["packets"], w["busy_cycles"], time.monotonic(), s

    try:
        wait_for(answering, 60, "nfvd control socket")
        wait_for(lambda: snap()[0] > 0, 30, "nfvd to forward")
        time.sleep(warmup)
        a = snap()
        time.sleep(duration)
        b = snap()
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        logf.close()
        remove_prefix_files(prefix)
    tx, pk, cy = b[0] - a[0], b[1] - a[1], b[2] - a[2]
    secs = b[3] - a[3]
    tsc_hz = b[4].get("tsc_hz") or 0
    return {"mpps": tx / secs / 1e6, "cycles_per_packet": cy / pk if pk else None,
            "total_cycles_per_packet": tsc_hz * secs / pk if pk and tsc_hz else None,
            "packets": tx, "seconds": secs, "worker_lcore": b[4]["workers"][0]["lcore"]}


def sysinfo():
    cpu = ""
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    dpdk = subprocess.run(["pkg-config", "--modversion", "libdpdk"], capture_output=True,
                          text=True).stdout.strip()
    try:
        commit = subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = ""
    return {"cpu": cpu, "cpus": os.cpu_count(), "kernel": platform.release(), "dpdk": dpdk,
            "commit": commit, "loadavg_at_start": os.getloadavg(), "cores": "main lcore 0, one forwarding lcore 1 (both systems)"}


def empty(res):
    """Why a run's measurement is unusable, or None."""
    if not res.get("packets"):
        return "no packet counted in the measured interval"
    if not res.get("cycles_per_packet"):
        return "no cycles/packet figure"
    return None


def measure(system, rnd, args, pcap, work):
    """One system's run of a round, tried up to 1 + args.retries times.
    Returns its result, or {"failed": why, "tries": [...]}."""
    tries = []
    for attempt in range(1 + args.retries):
        log("round %d/%d: %s%s" % (rnd + 1, args.rounds, system,
                                    " (try %d)" % (attempt + 1) if attempt else ""))
        name = "%d%s" % (rnd, "r%d" % attempt if attempt else "")
        try:
            if system == "testpmd":
                res = run_testpmd(pcap, work, args.warmup, args.duration, name)
            else:
                build = args.baseline if system == "baseline" else args.build
                res = run_nfvd(build, pcap, work, args.warmup, args.duration, name,
                               tag="bl" if system == "baseline" else "nf")
            why = empty(res)
        except (RuntimeError, OSError, ValueError, KeyError, IndexError, AttributeError,
                subprocess.SubprocessError) as e:
            res, why = None, "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")
        if why is None:
            res["loadavg_1min"] = os.getloadavg()[0]
            res["tries"] = attempt + 1
            return res
        log("round %d: %s: %s%s" % (rnd + 1, system, why,
                                     ", trying again" if attempt < args.retries else ""))
        tries.append(why)
    return {"failed": tries[-1], "tries": tries, "loadavg_1min": os.getloadavg()[0]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--duration", type=float, default=5.0, help="measured seconds per run")
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--rounds", type=int, default=3, help="testpmd+nfvd pairs; medians shown")
    ap.add_argument("--retries", type=int, default=2,
                    help="further tries of a run whose measurement came back empty")
    ap.add_argument("--baseline", metavar="DIR",
                    help="compare with the nfvd of build DIR instead of testpmd")
    ap.add_argument("--out", help="JSON file (default bench/results/fwd_vs_testpmd-TIME.json)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("fwd_vs_testpmd: must run as root (hugepages)")
    if not os.access(os.path.join(args.build, "nfvd"), os.X_OK):
        sys.exit("fwd_vs_testpmd: no nfvd in %s (meson setup build && ninja -C build)" % args.build)
    if args.baseline and not os.access(os.path.join(args.baseline, "nfvd"), os.X_OK):
        sys.exit("fwd_vs_testpmd: no nfvd in %s" % args.baseline)
    if not args.baseline and not shutil.which("dpdk-testpmd"):
        sys.exit("fwd_vs_testpmd: dpdk-testpmd not found (apt-get install dpdk)")

    work = tempfile.mkdtemp(prefix=TAG + ".")
    try:
        pcap = os.path.join(work, "udp64x1024.pcap")
        make_pcap(pcap)
        systems = ["baseline" if args.baseline else "testpmd", "nfvd"]
        runs = {k: [] for k in systems}
        failed = []
        for r in range(args.rounds):
            # alternate which system goes first, so a load change on the
            # machine does not always favour the same one
            order = systems if r % 2 == 0 else systems[::-1]
            for system in order:
                res = measure(system, r, args, pcap, work)
                if res.get("failed"):
                    failed.append({"round": r + 1, "system": system, "why": res["failed"]})
                runs[system].append(res)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    other = systems[0]
    ok = [r for r in range(args.rounds)
          if not runs[other][r].get("failed") and not runs["nfvd"][r].get("failed")]
    for f in failed:
        log("round %d: %s failed: %s" % (f["round"], f["system"], f["why"]))
    if not ok:
        log("no round measured both %s and nfvd: no result" % other)
        sys.exit(1)
    med = {k: {m: statistics.median(v[r][m] for r in ok)
               for m in ("mpps", "cycles_per_packet")} for k, v in runs.items()}
    # the ratio of each round (both runs close in time), then their median:
    # a load change between rounds moves both runs of a round together
    round_cyc = [runs["nfvd"][r]["cycles_per_packet"] / runs[other][r]["cycles_per_packet"]
                 for r in ok]
    round_mpps = [runs["nfvd"][r]["mpps"] / runs[other][r]["mpps"] for r in ok]
    ratio_mpps = statistics.median(round_mpps)
    ratio_cyc = statistics.median(round_cyc)
    result = {
        "benchmark": "fwd_vs_testpmd",
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join([os.path.relpath(sys.argv[0], REPO)] + sys.argv[1:]),
        "setup": {"source": "net_pcap rx_pcap (1024 UDP flows, 64-byte frames), infinite_rx=1",
                  "sink": "net_null no-rx=1", "duration_s": args.duration,
                  "warmup_s": args.warmup, "rounds": args.rounds},
        "system": sysinfo(),
        "runs": runs,
        "failed_runs": failed,
        "rounds_measured": len(ok),
        "median": med,
        "round_ratios": {"cycles": round_cyc, "mpps": round_mpps},
    }
    if args.baseline:
        result["baseline_build"] = os.path.abspath(args.baseline)
        result["nfvd_vs_baseline"] = {"mpps_ratio": ratio_mpps, "cycles_ratio": ratio_cyc}
    else:
        result["nfvd_vs_testpmd"] = {"mpps_ratio": ratio_mpps, "cycles_ratio": ratio_cyc,
                                     "within_10_percent": ratio_mpps >= 0.9}
    out = args.out or os.path.join(HERE, "results", "fwd_vs_testpmd-%s.json" %
                                   time.strftime("%Y%m%d-%H%M%S"))
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")

    names = {"testpmd": "dpdk-testpmd io", "baseline": "nfvd forward chain, baseline build",
             "nfvd": "nfvd forward chain"}
    print("64-byte UDP, 1024 flows, pcap loop -> null, one forwarding core "
          "(medians of %d rounds of %d, %g s each)" % (len(ok), args.rounds, args.duration))
    print("| system | Mpps | cycles/packet |")
    print("|---|---:|---:|")
    for k in systems:
        print("| %s | %.2f | %.1f |" % (names[k], med[k]["mpps"], med[k]["cycles_per_packet"]))
    print("| nfvd / %s (median of per-round ratios) | %.1f%% | %.1f%% |" % (
        other, ratio_mpps * 100, ratio_cyc * 100))
    if failed:
        print("failed runs (left out): %d" % len(failed))
    print("machine load average (1 min) during the runs: %.1f-%.1f on %d CPUs" % (
        min(x["loadavg_1min"] for v in runs.values() for x in v),
        max(x["loadavg_1min"] for v in runs.values() for x in v), os.cpu_count()))
    print("JSON: " + os.path.relpath(out, os.getcwd()))


if __name__ == "__main__":
    main()
