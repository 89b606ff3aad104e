# SPDX-License-Identifier: BSD-3-Clause
"""The measuring methods, independent of how a trial is run.

A trial is a callable: trial(rate_pps, duration_ms=None, count=0) -> dict with
at least offered_pps, tx, rx, lost, loss_ratio, latency_ns (nfv-gen's JSON).

- search(): RFC 2544 throughput by binary search, with ETSI TST009 loss
  verification (a failing trial is repeated; the rate fails only if the loss
  is confirmed), finding the no-drop rate (NDR, zero loss) and a partial-drop
  rate (PDR, loss <= pdr) in the same search.
- Loss of the measuring side: nfv-gen says when a trial's loss coincided
  with its own scheduling gaps (loss_in_gap: every packet missing was seen
  missing right after the generator/receiver lcore was off its core longer
  than gap_us). Such a failure says nothing about the DUT: the trial is
  repeated (up to gap_retries more times, beside verify_retries), and if
  every failing attempt at a rate failed only in gaps, the rate is excused
  (passes, marked gap_excused) when gap_excuse is on. Each trial records how
  many of its attempts failed only in gaps (gap_failed).
- latency(): trials at fractions of the found rate.
- loss_curve(): RFC 2544 frame loss rate at stepped offered loads.
- back_to_back(): longest burst at full speed with no loss.
"""

GEN_LIMITED = 0.985  # a trial that offered less than this share of its rate


def _passes(res, threshold):
    if threshold == 0:
        return res["lost"] == 0
    return res["loss_ratio"] <= threshold


class Interval:
    """[lo, hi]: lo passed (or 0), hi failed (or the ceiling, untested)."""

    def __init__(self, name, threshold, hi):
        self.name = name
        self.threshold = threshold
        self.lo = 0.0
        self.hi = float(hi)
        self.hi_failed = False
        self.best = None  # the trial result at lo
        self.best_excused = False  # lo passed only by excusing gap loss

    def done(self, resolution, min_step):
        if self.lo >= self.hi:
            return True
        return (self.hi - self.lo) <= max(self.hi * resolution, min_step)

    def account(self, rate, ok, res, excused=False):
        if ok:
            if rate >= self.lo:
                self.lo = rate
                self.best = res
                self.best_excused = excused
        else:
            if rate <= self.hi:
                self.hi = rate
                self.hi_failed = True
            if self.lo > self.hi:
                self.lo = 0.0
                self.best = None
                self.best_excused = False


def gap_only(res, threshold):
    """The trial failed threshold, and only because of the measuring
    side's own scheduling gaps (nfv-gen's loss_in_gap)."""
    return not _passes(res, threshold) and bool(res.get("loss_in_gap"))


def search(trial, ceiling_pps, pdr=0.005, resolution=0.01, min_step_pps=1000,
           verify_retries=1, max_trials=40, progress=None, gap_retries=2, gap_excuse=True):
    """Binary search for NDR and PDR below ceiling_pps. Returns a dict:
    {ndr: {pps, loss_ratio, capped, result}, pdr: {...}, trials: [...]}."""
    ndr = Interval("ndr", 0, ceiling_pps)
    pdrv = Interval("pdr", pdr, ceiling_pps)
    trials = []
    rate = float(ceiling_pps)  # RFC 2544 starts at the maximum rate
    while len(trials) < max_trials:
        res = trial(rate)
        # a trial the generator could not offer at its rate says nothing
        # about the DUT: run it again (the machine may have been busy; the
        # generator's own gaps are what gap_retries allows for)
        for _ in range(verify_retries + gap_retries):
            if res.get("offered_pps", rate) >= rate * GEN_LIMITED:
                break
            res = trial(rate)
        attempts = [res]
        # TST009 loss verification: repeat a trial that failed the stricter
        # bound still open; the rate fails only if every repeat fails too.
        # A failure only in the measuring side's gaps is repeated too,
        # without using up the verification repeats.
        target = ndr if not ndr.done(resolution, min_step_pps) else pdrv
        gap_reps = 0
        while not _passes(res, target.threshold):
            if gap_only(res, target.threshold) and gap_reps < gap_retries:
                gap_reps += 1
            elif len(attempts) - gap_reps > verify_retries:
                break
            if progress:
                progress("  verify %.3f Mpps (loss %.4f%%%s): repeat" % (
                    rate / 1e6, 100 * res["loss_ratio"],
                    ", in the generator's gaps" if gap_only(res, target.threshold) else ""))
            res = trial(rate)
            attempts.append(res)
        offered = res.get("offered_pps", rate)
        gen_limited = offered < rate * GEN_LIMITED
        ok_ndr = any(_passes(a, 0) for a in attempts)
        ok_pdr = any(_passes(a, pdr) for a in attempts)
        gap_failed = sum(1 for a in attempts if gap_only(a, 0))
        excused = []
        if gap_excuse:
            # every attempt failed, each only in the measuring side's gaps
            if not ok_ndr and all(gap_only(a, 0) for a in attempts):
                ok_ndr = True
                excused.append("ndr")
            if not ok_pdr and all(gap_only(a, pdr) for a in attempts):
                ok_pdr = True
                excused.append("pdr")
        if gen_limited:
            # not testable here: the rate counts as failed, whatever the loss
            ok_ndr = ok_pdr = False
            excused = []
        # a pass is credited with what was really offered, never more
        eff = min(rate, offered)
        ndr.account(eff if ok_ndr else rate, ok_ndr, res, "ndr" in excused)
        pdrv.account(eff if ok_pdr else rate, ok_pdr, res, "pdr" in excused)
        trials.append({"rate_pps": rate, "offered_pps": offered, "loss_ratio": res["loss_ratio"],
                       "lost": res["lost"], "attempts": len(attempts), "ndr_pass": ok_ndr,
                       "pdr_pass": ok_pdr, "gen_limited": gen_limited, "gap_failed": gap_failed,
                       "gap_excused": excused,
                       "gaps": {k: res["gaps"][k] for k in ("count", "max_us", "total_us")}
                       if isinstance(res.get("gaps"), dict) else None})
        if isinstance(res.get("gaps"), dict) and "refused_in_gap" in res["gaps"]:
            # frames the link refused while a measuring side was away, and
            # the loss put down to no gap (the DUT's, by the method)
            for k in ("refused_in_gap", "refused_outside", "missing_outside"):
                if k in res["gaps"]:
                    trials[-1][k] = res["gaps"][k]
        if res.get("dut_work"):
            # the DUT's forwarding threads in the last attempt (run.dut_work)
            trials[-1]["dut"] = res["dut_work"]
        if isinstance(res.get("peer_gaps"), dict):
            # the self-check reflector's own gaps during the trial
            trials[-1]["peer_gaps"] = {k: res["peer_gaps"][k] for k in ("count", "max_us", "total_us")}
        if progress:
            progress("  trial %.3f Mpps (offered %.3f): loss %.4f%% %s  NDR [%.3f, %.3f]  PDR [%.3f, %.3f]" % (
                rate / 1e6, offered / 1e6, 100 * res["loss_ratio"],
                "gen-limited" if gen_limited else "pass" if ok_ndr else ("pdr-pass" if ok_pdr else "fail"),
                ndr.lo / 1e6, ndr.hi / 1e6, pdrv.lo / 1e6, pdrv.hi / 1e6))
        if not ndr.done(resolution, min_step_pps):
            rate = (ndr.lo + ndr.hi) / 2
        elif not pdrv.done(resolution, min_step_pps):
            rate = (pdrv.lo + pdrv.hi) / 2
        else:
            break

    def out(iv):
        return {"pps": iv.lo, "loss_ratio": iv.best["loss_ratio"] if iv.best else None,
                "capped": iv.lo > 0 and not iv.hi_failed, "gap_excused": iv.best_excused,
                "result": iv.best}
    return {"ndr": out(ndr), "pdr": out(pdrv), "trials": trials,
            "gap_failed_trials": sum(t["gap_failed"] for t in trials),
            "gap_excused_rates": sum(1 for t in trials if t["gap_excused"])}


def latency(trial, rate_pps, loads_pct, progress=None):
    out = []
    for pct in loads_pct:
        r = rate_pps * pct / 100.0
        if r <= 0:
            continue
        res = trial(r)
        out.append({"load_pct": pct, "rate_pps": r, "offered_pps": res.get("offered_pps", r),
                    "loss_ratio": res["loss_ratio"], "latency_ns": res["latency_ns"]})
        if progress:
            lat = res["latency_ns"]
            progress("  latency at %d%% (%.3f Mpps): p50 %.1f us p99 %.1f us max %.1f us" % (
                pct, r / 1e6, lat["p50"] / 1e3, lat["p99"] / 1e3, lat["max"] / 1e3))
    return out


def loss_curve(trial, max_pps, steps_pct, progress=None):
    """RFC 2544 26.3: from the maximum down in steps; stop after two
    successive steps without loss."""
    out = []
    clean = 0
    for pct in sorted(steps_pct, reverse=True):
        r = max_pps * pct / 100.0
        res = trial(r)
        out.append({"load_pct": pct, "rate_pps": r, "offered_pps": res.get("offered_pps", r),
                    "loss_ratio": res["loss_ratio"]})
        if res.get("dut_work"):
            out[-1]["dut"] = res["dut_work"]
        if progress:
            progress("  loss at %d%% (%.3f Mpps): %.4f%%" % (pct, r / 1e6, 100 * res["loss_ratio"]))
        clean = clean + 1 if res["lost"] == 0 else 0
        if clean >= 2:
            break
    return sorted(out, key=lambda x: x["load_pct"])


def back_to_back(trial_count, max_frames, min_frames=64, resolution=0.05, max_trials=12, progress=None):
    """RFC 2544 26.4: the longest burst sent at full speed without loss.
    trial_count(n) sends n frames unpaced and returns the trial result."""
    lo, hi, best = 0, int(max_frames), None
    n = hi
    tried = 0
    while tried < max_trials:
        res = trial_count(n)
        tried += 1
        ok = res["lost"] == 0
        if progress:
            progress("  back-to-back %d frames: lost %d" % (n, res["lost"]))
        if ok:
            lo, best = n, res
            if n == hi:
                break
        else:
            hi = n
        if hi - lo <= max(hi * resolution, 1) or hi <= min_frames:
            break
        n = (lo + hi) // 2
    return {"frames": lo, "capped": lo == int(max_frames),
            "duration_us": best["duration_s"] * 1e6 if best else 0.0, "trials": tried}
