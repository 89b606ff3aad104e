# SPDX-License-Identifier: BSD-3-Clause
"""nfv-bench FILE: self-check, then every system of the bench file, each
frame size: NDR/PDR search, latency at loads, loss curve, back-to-back."""
import argparse
import datetime
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from . import config, duts, method, report, shield, trend
from .gen import DEFAULT_RXQ, NFVD_MAX_SLOTS, VHOST_MAX_SLOTS, Gen, GenError, link_of

WIRING_NOTE = {
    "memif": "memif, DUT server, nfv-gen client, %d-slot rings",
    "vhost": "vhost-user, nfv-gen virtio_user server (as QEMU for a guest), DUT vhost-user client, "
             "one queue pair",
    "ring": "ring: shared rte_rings (DPDK multi-process, mbuf pointers, no copy): nfv-gen a secondary "
            "process of the DUT, %d-slot rings; testpmd and OVS cannot attach to them and use memif "
            "(each system's link is in its 'link')",
}

REPO = duts.REPO
IMIX_AVG = (7 * 64 + 4 * 594 + 1518) / 12.0
SCHEMA_ID = "nfv-bench/1"


def frame_bytes(size):
    return IMIX_AVG if size == "imix" else float(size)


def l1_gbps(pps, size):
    return pps * (frame_bytes(size) + 20) * 8 / 1e9


def line_rate_pps(gbps, size):
    return gbps * 1e9 / ((frame_bytes(size) + 20) * 8)


class Ctx:
    pass


def _streams(cfg, spec, macs=None):
    """nfv-gen streams, per port pair k (ports 2k, 2k+1): a -> b; with
    bidirectional, also b -> a (addresses and ports swapped, to the DUT's
    out port, and mirror=1: flow f of b -> a is the reply of flow f of
    a -> b, so a stateful DUT (firewall, NAT) sees established traffic). Pair k's addresses are pair 0's with the second octet + k
    (IPv4) or the fourth group + k (IPv6). The trial rate is the sum.
    macs: per link, the DUT's MAC on it (in, out, in2, out2, ...) or None."""
    t = dict(cfg.get("traffic", {}))
    t.update(spec.get("traffic", {}))
    macs = macs or []
    v6 = cfg["ip"] == "ipv6"
    src0 = t.get("src", "2001:db8:a::2" if v6 else "10.0.0.2")
    dst0 = t.get("dst", "2001:db8:b::2" if v6 else "10.1.0.2")
    sport, dport = t.get("sport", 1024), t.get("dport", 5001)
    out = []
    for k in range(cfg.get("pairs", 1)):
        src, dst = _pair_addr(src0, k), _pair_addr(dst0, k)
        dmac = t.get("dmac") if k == 0 and t.get("dmac") else (
            macs[2 * k] if 2 * k < len(macs) else None)
        s = "tx=%d,rx=%d,src=%s,dst=%s,sport=%d,dport=%d" % (2 * k, 2 * k + 1, src, dst, sport, dport)
        if dmac:
            s += ",dmac=" + dmac
        out.append(s)
        if cfg.get("bidirectional"):
            r = "tx=%d,rx=%d,src=%s,dst=%s,sport=%d,dport=%d,mirror=1" % (
                2 * k + 1, 2 * k, dst, src, dport, sport)
            dmac = t.get("dmac_out") if k == 0 and t.get("dmac_out") else (
                macs[2 * k + 1] if 2 * k + 1 < len(macs) else None)
            if dmac:
                r += ",dmac=" + dmac
            out.append(r)
    return out


def _pair_addr(addr, k):
    if k == 0:
        return addr
    if ":" in addr:
        import ipaddress
        return str(ipaddress.IPv6Address(int(ipaddress.IPv6Address(addr)) + (k << 64)))
    o = [int(x) for x in addr.split(".")]
    o[1] = (o[1] + k) % 256
    return ".".join(map(str, o))


def dut_work(w0, w1, res):
    """What the DUT's forwarding threads did in a trial (their counters
    before and after it): busy cycles per packet, and their busy share of
    the trial's duration (1.0: the DUT had no cycle to spare: the rate is
    its limit, not the generator's). None when the DUT does not count."""
    if not w0 or not w1:
        return None
    busy = w1["busy_cycles"] - w0["busy_cycles"]
    pk = w1["packets"] - w0["packets"]
    dur = res.get("duration_s") or 0
    return {"cycles_per_packet": round(busy / pk, 1) if pk > 0 else None,
            "busy_share": round(min(1.0, busy / (dur * w1["tsc_hz"])), 3) if dur > 0 else None,
            # what the threads would forward with every cycle busy at that cost
            "capacity_pps": round(w1["tsc_hz"] * pk / busy) if busy > 0 and pk > 0 else None}


def limit_of(r):
    """Whose limit one size's figures show. At the search's ceiling (the
    loss curve's top step, what the generator offers unpaced): "dut" when
    the DUT's forwarding threads were busy 90 % of the trial or more (no
    cycle to spare: the rate is the DUT's); "generator" when the generator
    could not offer the ceiling and the DUT still had cycles; "loss"
    otherwise (the DUT lost frames with cycles to spare: bursts, its
    scheduling). None when the DUT does not count its cycles."""
    top = max(r.get("loss_curve") or [], key=lambda x: x["load_pct"], default=None)
    d = (top or {}).get("dut") or {}
    if d.get("busy_share") is None:
        return None
    if d["busy_share"] >= 0.9:
        return "dut"
    if top["offered_pps"] < top["rate_pps"] * method.GEN_LIMITED:
        return "generator"
    return "loss"


def _on_sigterm(signum, frame):
    raise SystemExit("nfv-bench: terminated")


class Runner:
    def __init__(self, cfg, args):
        self.cfg = cfg
        self.args = args
        self.workdir = tempfile.mkdtemp(prefix="nfvbench.")
        self.gen_bin = args.gen or os.path.join(args.build, "bench", "gen", "nfv-gen")
        self.seq = 0
        self.shield = shield.Shield(self._fwd_cores() if cfg.get("isolate") else [])

    def _fwd_cores(self):
        """The DUTs' forwarding cores (each system's dut cores but the first,
        the control one), minus the generator's: what the shield isolates."""
        out = set()
        for spec in [{}] + list(self.cfg["systems"]):
            cores = dict(self.cfg["cores"])
            cores.update(spec.get("cores", {}))
            dut = [cores["dut"]] if isinstance(cores["dut"], int) else list(cores["dut"])
            out |= set(dut[1:] or dut)
        gen = self.cfg["cores"]["gen"]
        return out - ({gen} if isinstance(gen, int) else set(gen))

    def progress(self, msg):
        if self.args.progress:
            print(msg, file=sys.stderr, flush=True)

    def _ctx(self, name, spec):
        self.seq += 1
        c = Ctx()
        c.dir = os.path.join(self.workdir, "%02d-%s" % (self.seq, name.replace("/", "_")))
        os.makedirs(c.dir, exist_ok=True)
        c.prefix = "bench%d_%d" % (os.getpid(), self.seq)
        c.gen_bin = self.gen_bin
        c.nfvd_build = self.args.build
        cores = dict(self.cfg["cores"])
        cores.update(spec.get("cores", {}))
        if isinstance(cores["dut"], int):
            cores["dut"] = [cores["dut"]]
        c.cores = cores
        c.log = open(os.path.join(c.dir, "log.txt"), "w+")
        c.wiring = link_of(self.cfg["wiring"], spec.get("kind"))
        c.ring_slots = min(int(self.cfg["ring_slots"]), NFVD_MAX_SLOTS)
        c.pairs = self.cfg.get("pairs", 1)
        c.shield = self.shield
        return c

    def run_system(self, name, spec, ceilings, role="dut"):
        ctx = self._ctx(name, spec)
        dut = duts.make(name, spec, ctx)
        gen = None
        out = {"name": name, "kind": spec["kind"], "role": role, "sizes": {}, "error": None,
               "link": ctx.wiring}
        self.progress("== %s (%s)" % (name, spec["kind"]))
        try:
            dut.start()
            self.wait_sockets(dut)
            macs = None
            if hasattr(dut, "ingress_mac"):
                macs = [dut.ingress_mac(self.args.link_timeout, p) for p in dut.port_names()]
            gen = Gen(self.gen_bin, ctx.dir, ctx.cores["gen"], ctx.prefix + "g",
                      _streams(self.cfg, spec, macs), ctx.log,
                      spec.get("gen_rxq", DEFAULT_RXQ[ctx.wiring]), ctx.wiring, ctx.pairs,
                      self.cfg["ring_slots"],
                      dut.gap_log() if hasattr(dut, "gap_log") else None, dut_prefix=ctx.prefix,
                      preexec=self.shield.spawn_mask,
                      recycle=spec.get("recycle", self.cfg.get("recycle", 0)))
            if not gen.wait_link(self.args.link_timeout * 1000):
                dut.check_alive()
                raise duts.DutError("%s: the %s links did not come up in %d s" % (
                    name, ctx.wiring, self.args.link_timeout))
            # the DUT's and nfv-gen's unpinned threads (EAL's interrupt,
            # IPC and telemetry threads, OVS's handlers) off the isolated cores
            self.shield.tighten()
            # a low-rate trial lets the DUT learn/resolve before counting:
            # every flow of every stream a few times (a -> b first creates
            # a stateful DUT's entries that b -> a replies then match)
            n_streams = ctx.pairs * (2 if self.cfg.get("bidirectional") else 1)
            gen.trial(10000, 64, self.cfg["flows"],
                      duration_ms=max(200, 4 * self.cfg["flows"] * n_streams // 10))
            for size in self.cfg["sizes"]:
                out["sizes"][str(size)] = self.run_size(gen, dut, size, ceilings)
        except (GenError, duts.DutError, OSError, subprocess.SubprocessError) as e:
            out["error"] = str(e)
            self.progress("!! %s: %s" % (name, e))
        finally:
            dut.stop()
            if gen:
                gen.close()
            # EAL leaves its runtime folders behind (the DUT's, nfv-gen's)
            for prefix in (ctx.prefix, ctx.prefix + "g"):
                shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)
        out["commands"] = [" ".join(shlex.quote(str(x)) for x in c) for c in dut.commands]
        if gen:
            out["commands"].insert(0, " ".join(shlex.quote(x) for x in gen.cmd))
        out["version"] = dut.version()
        out["cores"] = {"gen": ctx.cores["gen"], "forwarding": dut.fwd_cores, "control": dut.ctl_cores}
        ctx.log.seek(0)
        logtext = ctx.log.read()
        out["log_tail"] = logtext[-2000:]
        # nfv-gen's reflector prints its counters, with its own scheduling
        # gaps over the whole run, when stopped
        for line in reversed(logtext.splitlines()):
            if line.startswith("{") and '"gaps"' in line:
                try:
                    out["reflector_gaps"] = json.loads(line)["gaps"]
                except (ValueError, KeyError, TypeError):
                    pass
                break
        ctx.log.close()
        return out

    def gen_speed(self):
        """nfv-gen alone: one unpaced trial of 64-byte stamped frames on its
        one core into a sink that costs nothing (net_ring in its own
        process: what it sends on port 0 it receives on port 0), so every
        cycle is nfv-gen's own send and receive path. What nfv-gen can
        offer and count at most, whatever the link and the DUT."""
        core = self.cfg["cores"]["gen"]
        core = core if isinstance(core, int) else core[0]
        prefix = "bench%d_s" % os.getpid()  # --in-memory still makes /var/run/dpdk/<prefix>
        cmd = [self.gen_bin, "-l", str(core), "--in-memory", "--file-prefix", prefix, "--no-pci", "--log-level=3",
               "--vdev", "net_ring0", "--", "--stream", "tx=0,rx=0,src=10.0.0.2,dst=10.1.0.2",
               "--rxq", "1", "--trial", json.dumps({"rate_pps": 0, "duration_ms": max(500, self.cfg["trial_ms"]),
                                                    "size": 64, "flows": self.cfg["flows"]})]
        out = {"command": " ".join(shlex.quote(x) for x in cmd), "size": 64}
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
            r = json.loads([x for x in p.stdout.splitlines() if x.startswith("{")][-1])
            out.update({k: r.get(k) for k in ("offered_pps", "rx_pps", "tx", "rx", "lost", "cpu_s",
                                              "tx_pps_per_cpu", "rx_pps_per_cpu", "duration_s")})
            self.progress("   nfv-gen alone (net_ring sink): %.2f Mpps sent and received" % (r["rx_pps"] / 1e6))
        except (OSError, ValueError, IndexError, subprocess.SubprocessError) as e:
            out["error"] = str(e)
        finally:
            shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)
        return out

    def wait_sockets(self, dut):
        end = time.monotonic() + self.args.link_timeout
        while not all(os.path.exists(p) for p in dut.sockets()):
            dut.check_alive()
            if time.monotonic() > end:
                raise duts.DutError("%s: no memif socket %s after %d s" % (
                    dut.name, " ".join(dut.sockets()), self.args.link_timeout))
            time.sleep(0.05)

    def run_size(self, gen, dut, size, ceilings):
        cfg = self.cfg
        s = cfg["search"]
        tms = cfg["trial_ms"]
        flows = cfg["flows"]
        self.progress("-- %s, %s bytes" % (dut.name, size))

        gap_us = s.get("gap_us", 50)

        def trial(rate):
            dut.check_alive()
            w0 = dut.work()
            res = gen.trial(rate, size, flows, duration_ms=tms, gap_us=gap_us)
            res["dut_work"] = dut_work(w0, dut.work(), res)
            return res

        def trial_count(n):
            dut.check_alive()
            return gen.trial(0, size, flows, count=n, gap_us=gap_us)

        r = {"size": size, "frame_bytes": frame_bytes(size)}
        if ceilings is None:
            # self-check: what can the generator offer unpaced, then search
            # over the plain loop up to that
            # (the better of two: one the host starved of CPU would set
            # the ceiling of every DUT)
            top = max((gen.trial(0, size, flows, duration_ms=tms) for _ in range(2)),
                      key=lambda r: r["offered_pps"])
            ceiling = top["offered_pps"]
            if s.get("max_pps"):
                ceiling = min(ceiling, float(s["max_pps"]))
            r["gen_max_offered_pps"] = top["offered_pps"]
        else:
            ceiling = ceilings[str(size)]
        r["ceiling_pps"] = ceiling
        found = method.search(trial, ceiling, pdr=s["pdr"], resolution=s["resolution"],
                              verify_retries=s["verify_retries"], progress=self.progress,
                              gap_retries=s.get("gap_retries", 2), gap_excuse=s.get("gap_excuse", True))
        for k in ("ndr", "pdr"):
            v = found[k]
            res = v.pop("result")
            v["mpps"] = v["pps"] / 1e6
            v["gbps_l1"] = l1_gbps(v["pps"], size)
            v["latency_ns"] = res["latency_ns"] if res else None
            if res and res.get("dut_work"):
                v["dut"] = res["dut_work"]
            r[k] = v
        r["trials"] = found["trials"]
        # trials that failed only in the generator's own scheduling gaps
        r["gap_failed_trials"] = found["gap_failed_trials"]
        r["gap_excused_rates"] = found["gap_excused_rates"]
        base = r["ndr"]["pps"] or r["pdr"]["pps"]
        r["latency"] = method.latency(trial, base, cfg["latency_loads"], progress=self.progress) if base else []
        r["loss_curve"] = method.loss_curve(trial, ceiling, cfg["loss_steps"], progress=self.progress)
        r["limit"] = limit_of(r)
        b2b = cfg["back_to_back"]
        if b2b.get("enabled", True):
            maxf = max(64, int(ceiling * b2b.get("max_ms", 20) / 1000))
            r["back_to_back"] = method.back_to_back(trial_count, maxf, progress=self.progress)
        else:
            r["back_to_back"] = None
        self.progress("   %s %s: NDR %.3f Mpps (%.2f Gbps)%s, PDR %.3f Mpps" % (
            dut.name, size, r["ndr"]["mpps"], r["ndr"]["gbps_l1"], " capped" if r["ndr"]["capped"] else "",
            r["pdr"]["mpps"]))
        return r

    def run(self):
        # SIGTERM too must end in off(): the machine's tasks keep the masks
        # the shield gave them otherwise
        old = signal.signal(signal.SIGTERM, _on_sigterm)
        self.shield.on()
        try:
            res = self._run()
            res["machine"]["isolation"] = self.shield.summary()
        finally:
            self.shield.off()
            signal.signal(signal.SIGTERM, old)
        return res

    def _run(self):
        cfg = self.cfg
        started = time.time()
        machine = duts.machine_info()
        systems = []
        ceilings = None
        if cfg.get("selfcheck", True):
            sc = self.run_system("selfcheck", {"kind": "loop"}, None, role="selfcheck")
            sc["gen_speed"] = self.gen_speed()
            systems.append(sc)
            if sc["error"]:
                raise SystemExit("nfv-bench: self-check failed: %s" % sc["error"])
            ceilings = {k: (v["ndr"]["pps"] or v["pdr"]["pps"]) for k, v in sc["sizes"].items()}
        else:
            top = float(cfg["search"].get("max_pps") or 0)
            if not top:
                raise SystemExit("nfv-bench: selfcheck: false needs search.max_pps")
            ceilings = {str(s): top for s in cfg["sizes"]}
        for spec in cfg["systems"]:
            systems.append(self.run_system(spec["name"], spec, ceilings))
        gen_cores = {cfg["cores"]["gen"]} if isinstance(cfg["cores"]["gen"], int) else set(cfg["cores"]["gen"])
        shared = sorted({c for s in systems for c in s["cores"]["forwarding"] + s["cores"]["control"]} & gen_cores)
        machine["cores"] = {"gen": sorted(gen_cores), "systems": {s["name"]: s["cores"] for s in systems}}
        machine["shared_with_gen"] = shared
        machine["loadavg_at_end"] = duts.loadavg()
        machine["contended"] = bool(shared) or (machine["cpus"] or 0) <= 2
        machine["note"] = (
            "%d CPUs: the generator shares core(s) %s with the DUTs' control threads and the rest of the "
            "machine (load average %s at the start, %s at the end), so every figure is contended and only "
            "ratios taken in this one run compare" % (
                machine["cpus"], ",".join(map(str, shared)) or "-",
                "/".join("%.1f" % x for x in machine["loadavg_at_start"]),
                "/".join("%.1f" % x for x in machine["loadavg_at_end"]))) if machine["contended"] else \
            "generator and DUT forwarding cores are separate"
        return {
            "schema": SCHEMA_ID,
            "name": cfg["name"],
            "generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "duration_s": round(time.time() - started, 1),
            "command": self.args.command_line,
            "machine": machine,
            "method": {
                "standard": "RFC 2544 throughput/latency/frame loss/back-to-back; ETSI GS NFV-TST 009 "
                            "binary search with loss verification",
                "trial_ms": cfg["trial_ms"], "pdr": cfg["search"]["pdr"], "resolution": cfg["search"]["resolution"],
                "verify_retries": cfg["search"]["verify_retries"], "latency_loads_pct": cfg["latency_loads"],
                "goal_loss_ratio": cfg["search"]["pdr"], "gap_us": cfg["search"].get("gap_us", 50),
                "gap_retries": cfg["search"].get("gap_retries", 2),
                "gap_excuse": bool(cfg["search"].get("gap_excuse", True)),
                "loss_steps_pct": cfg["loss_steps"], "flows": cfg["flows"], "ip": cfg["ip"],
                "sizes": [str(s) for s in cfg["sizes"]],
                "wiring": WIRING_NOTE[self.cfg["wiring"]] % (
                    self.cfg["ring_slots"],) if "%d" in WIRING_NOTE[self.cfg["wiring"]] else
                WIRING_NOTE[self.cfg["wiring"]],
                "ring_slots": {"memif": self.cfg["ring_slots"], "vhost": VHOST_MAX_SLOTS}.get(
                    self.cfg["wiring"], min(self.cfg["ring_slots"], NFVD_MAX_SLOTS)),
                "bidirectional": bool(cfg.get("bidirectional")),
                "pairs": cfg.get("pairs", 1),
                "frame_size_note": "Ethernet frame bytes with FCS; IMIX is 64:594:1518 at 7:4:1 (avg %.1f); "
                                   "Gbps are L1 (+20 bytes preamble and gap per frame)" % IMIX_AVG,
            },
            "systems": systems,
        }


def main_compare(argv):
    ap = argparse.ArgumentParser(prog="nfv-bench compare", description="compare two results: NDR and PDR of "
                                 "each system x size, the ratio, and UP/DOWN beyond the runs' spread")
    ap.add_argument("old", help="result JSON (or REV:PATH, read with git show)")
    ap.add_argument("new", help="result JSON (or REV:PATH)")
    args = ap.parse_args(argv)
    res = []
    for a in (args.old, args.new):
        try:
            if not os.path.exists(a) and ":" in a:
                text = subprocess.run(["git", "-C", REPO, "show", a], capture_output=True, text=True,
                                      check=True).stdout
            else:
                with open(a) as f:
                    text = f.read()
            res.append(json.loads(text))
        except (OSError, ValueError, subprocess.CalledProcessError) as e:
            print("nfv-bench compare: %s: %s" % (a, getattr(e, "stderr", None) or e), file=sys.stderr)
            return 1
        errs = report.validate(res[-1])
        if errs:
            print("nfv-bench compare: %s: not an nfv-bench/1 result: %s" % (a, "; ".join(errs[:3])),
                  file=sys.stderr)
            return 1
    print("old: %s (%s)\nnew: %s (%s)" % (args.old, res[0]["generated"], args.new, res[1]["generated"]))
    print(trend.compare_text(trend.compare(res[0], res[1])))
    return 0


def main_trend(argv):
    ap = argparse.ArgumentParser(prog="nfv-bench trend", description="the committed history of a result file "
                                 "as line charts (HTML, self-contained)")
    ap.add_argument("file", help="a committed result JSON, e.g. bench/results/chains-vs-peers.json")
    ap.add_argument("-o", "--out", help="HTML file (default FILE without .json + -trend.html)")
    ap.add_argument("--report", action="store_true",
                    help="write the full report of the newest version with the history section in it")
    args = ap.parse_args(argv)
    try:
        hist = trend.history(args.file)
    except (OSError, subprocess.CalledProcessError) as e:
        print("nfv-bench trend: %s: %s" % (args.file, getattr(e, "stderr", None) or e), file=sys.stderr)
        return 1
    if not hist:
        print("nfv-bench trend: %s: no committed version is an nfv-bench result" % args.file, file=sys.stderr)
        return 1
    out = args.out or os.path.splitext(args.file)[0] + "-trend.html"
    if args.report:
        report.write_html(hist[-1]["result"], out, trend.history_html(hist))
    else:
        with open(out, "w") as f:
            f.write(trend.trend_page(args.file, hist))
    print("%d versions of %s; wrote %s" % (len(hist), args.file, out))
    return 0


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "compare":
        return main_compare(argv[1:])
    if argv and argv[0] == "trend":
        return main_trend(argv[1:])
    ap = argparse.ArgumentParser(prog="nfv-bench", description=__doc__ + " Also: nfv-bench compare OLD NEW; "
                                 "nfv-bench trend FILE.")
    ap.add_argument("file", help="bench YAML file")
    ap.add_argument("-o", "--out", default="nfv-bench-result", help="output stem: STEM.json and STEM.html")
    ap.add_argument("--build", default=os.environ.get("NFVD_BUILD", os.path.join(REPO, "build")),
                    help="meson build dir holding nfvd and bench/gen/nfv-gen")
    ap.add_argument("--gen", help="nfv-gen binary (default BUILD/bench/gen/nfv-gen)")
    ap.add_argument("--progress", action="store_true", help="show the search as it goes (stderr)")
    ap.add_argument("--link-timeout", type=int, default=30, help="seconds to wait for the DUT's links")
    ap.add_argument("--html-only", metavar="JSON", help="re-render the HTML of a result file")
    ap.add_argument("--keep", action="store_true", help="keep the work folder (logs, wired chain files)")
    args = ap.parse_args(argv)
    args.command_line = " ".join(shlex.quote(a) for a in ["bench/nfv-bench"] + (argv if argv is not None else sys.argv[1:]))
    if args.html_only:
        with open(args.html_only) as f:
            res = json.load(f)
        report.write_html(res, args.out + ".html")
        return 0
    try:
        cfg = config.load(args.file)
    except config.ConfigError as e:
        print("nfv-bench: %s" % e, file=sys.stderr)
        return 1
    runner = Runner(cfg, args)
    try:
        res = runner.run()
    finally:
        if args.keep:
            print("work folder kept: " + runner.workdir, file=sys.stderr)
        else:
            shutil.rmtree(runner.workdir, ignore_errors=True)
    errs = report.validate(res)
    if errs:
        print("nfv-bench: result does not match its schema: %s" % "; ".join(errs), file=sys.stderr)
        return 1
    with open(args.out + ".json", "w") as f:
        json.dump(res, f, indent=1)
    report.write_html(res, args.out + ".html")
    print(report.text_table(res))
    print("wrote %s.json and %s.html" % (args.out, args.out))
    return 0 if not any(s["error"] for s in res["systems"]) else 2
