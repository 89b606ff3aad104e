#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""What the packet trace costs when it is off (issue 17: "off costs nothing
measurable on the fast path: one predictable branch per burst").

Two builds of the same tree: BUILD (the trace hooks compiled in, no trace
running) and BASE (meson -Dtrace_hooks=false: the hooks compiled out; made
here when absent). Two paths, in alternating rounds, and for each the
median of the per-round ratios BUILD / BASE of cycles per packet:

  forward  bench/fwd_vs_testpmd.py --baseline BASE: nfvd's forward chain
           (pcap loop -> null, 64-byte frames, one worker), busy cycles per
           packet of the worker; the engine's per-burst trace check.
  router   BUILD/bench/rtr_micro (IPv4 and IPv6): the router stage alone on
           1024 flows, best pass of 3 s; the router's own trace checks (one
           per burst and family, and the drop/punt verbs').

Usage: bench/trace_cost.py [--build DIR] [--base DIR] [--rounds N]
                           [--duration S] [--out FILE.json]
Writes bench/results/trace_cost-<time>.json and prints a table. Needs root,
hugepages, python3-scapy (the forward path). A loaded host moves every
figure: read the ratios with the spread of the rounds beside them.
"""
import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def log(msg):
    print("trace_cost: " + msg, file=sys.stderr, flush=True)


def ensure_base(base):
    if not os.path.exists(os.path.join(base, "build.ninja")):
        log("configuring %s (-Dtrace_hooks=false)" % base)
        subprocess.run(["meson", "setup", base, "--buildtype=debugoptimized",
                        "-Dtrace_hooks=false", "-Dtests=disabled"], cwd=REPO, check=True,
                       stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-C", base, "nfvd", "bench/rtr_micro"], check=True,
                   stdout=subprocess.DEVNULL)


def rtr_micro(build, v6):
    cmd = [os.path.join(build, "bench", "rtr_micro"), "1024"] + (["v6"] if v6 else [])
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    m = re.search(r"([\d.]+) cycles/packet", p.stdout)
    if p.returncode != 0 or not m:
        raise RuntimeError("%s: %s%s" % (" ".join(cmd), p.stdout, p.stderr))
    return float(m.group(1))


def spread(xs):
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=os.path.join(REPO, "build"))
    ap.add_argument("--base", default=os.path.join(REPO, "build-notrace"))
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--duration", type=float, default=3.0, help="forward path: s per run")
    ap.add_argument("--skip-forward", action="store_true")
    ap.add_argument("--out")
    args = ap.parse_args()
    ensure_base(args.base)
    for b in (args.build, args.base):
        if not os.access(os.path.join(b, "bench", "rtr_micro"), os.X_OK):
            sys.exit("trace_cost: no bench/rtr_micro in %s" % b)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    result = {"benchmark": "trace_cost",
              "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "command": " ".join([os.path.relpath(sys.argv[0], REPO)] + sys.argv[1:]),
              "commit": subprocess.run(["git", "-C", REPO, "rev-parse", "--short", "HEAD"],
                                       capture_output=True, text=True).stdout.strip(),
              "cpus": os.cpu_count(), "loadavg_at_start": os.getloadavg(),
              "build": os.path.abspath(args.build), "base": os.path.abspath(args.base),
              "paths": {}}

    # router stage: alternate which build goes first each round
    for fam, v6 in (("router_v4", False), ("router_v6", True)):
        rounds = []
        for r in range(args.rounds):
            order = ["build", "base"] if r % 2 == 0 else ["base", "build"]
            got = {}
            for which in order:
                got[which] = rtr_micro(args.build if which == "build" else args.base, v6)
            got["ratio"] = got["build"] / got["base"]
            got["loadavg_1min"] = os.getloadavg()[0]
            log("%s round %d/%d: with hooks %.1f, without %.1f cycles/packet (%.3f)" % (
                fam, r + 1, args.rounds, got["build"], got["base"], got["ratio"]))
            rounds.append(got)
        result["paths"][fam] = {
            "rounds": rounds,
            "cycles_with_hooks": spread([x["build"] for x in rounds]),
            "cycles_without": spread([x["base"] for x in rounds]),
            "ratio": spread([x["ratio"] for x in rounds])}

    # forward chain: fwd_vs_testpmd.py does the alternating and the retries
    if not args.skip_forward:
        fwd_out = os.path.join(HERE, "results", "trace_cost-fwd-%s.json" % stamp)
        p = subprocess.run([sys.executable, os.path.join(HERE, "fwd_vs_testpmd.py"),
                            "--build", args.build, "--baseline", args.base,
                            "--rounds", str(args.rounds), "--duration", str(args.duration),
                            "--out", fwd_out], text=True, capture_output=True)
        sys.stderr.write(p.stderr)
        if p.returncode == 0:
            with open(fwd_out) as f:
                fwd = json.load(f)
            os.unlink(fwd_out)
            ok = fwd["round_ratios"]["cycles"]
            result["paths"]["forward"] = {
                "runs": fwd["runs"], "failed_runs": fwd["failed_runs"],
                "cycles_with_hooks": spread([x["cycles_per_packet"] for x in fwd["runs"]["nfvd"]
                                             if not x.get("failed")]),
                "cycles_without": spread([x["cycles_per_packet"]
                                          for x in fwd["runs"]["baseline"]
                                          if not x.get("failed")]),
                "ratio": spread(ok)}
        else:
            result["paths"]["forward"] = {"failed": p.stderr.strip().splitlines()[-1:]}
    result["loadavg_at_end"] = os.getloadavg()

    out = args.out or os.path.join(HERE, "results", "trace_cost-%s.json" % stamp)
    with open(out, "w") as f:
        json.dump(result, f, indent=2)
        f.write("\n")
    print("trace hooks compiled in (no trace running) / compiled out, cycles per packet, "
          "%d alternating rounds" % args.rounds)
    print("| path | with hooks | without | ratio: median (min-max) |")
    print("|---|---:|---:|---:|")
    for name, r in result["paths"].items():
        if "ratio" not in r:
            print("| %s | failed | | |" % name)
            continue
        print("| %s | %.1f | %.1f | %.3f (%.3f-%.3f) |" % (
            name, r["cycles_with_hooks"]["median"], r["cycles_without"]["median"],
            r["ratio"]["median"], r["ratio"]["min"], r["ratio"]["max"]))
    print("load average %.1f at start, %.1f at end, %d CPUs" % (
        result["loadavg_at_start"][0], result["loadavg_at_end"][0], os.cpu_count()))
    print("JSON: " + os.path.relpath(out, os.getcwd()))


if __name__ == "__main__":
    main()
