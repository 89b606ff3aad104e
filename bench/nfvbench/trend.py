# SPDX-License-Identifier: BSD-3-Clause
"""Trends: compare two results, and the committed history of a result file.

compare(old, new): for each system x frame size found in both, the NDR and
PDR of each run, the ratio new/old, and a flag when the ratio moves further
than the runs' own spread. The spread of one figure of one run is, first
found wins:
  - "rounds": the run repeated its search (sizes.<z>.rounds, a list of
    {"ndr_pps", "pdr_pps"}): (max - min) / median over the rounds;
  - "ndr-pdr": the run's PDR is above its NDR: (PDR - NDR) / PDR, how far
    the loss boundary blurs between zero loss and the PDR's loss bound;
  - "none": the run records no spread; the threshold is DEFAULT_THRESHOLD.
A change is flagged when |ratio - 1| exceeds max(spread of the old run,
spread of the new run, the search's resolution).

history(path): every committed version of a result file (git log --follow),
oldest first, and charts(): one SVG line chart per frame size, one series
per system, x the commit's position in the history.
"""
import html
import json
import os
import statistics
import subprocess

from . import report

DEFAULT_THRESHOLD = 0.10  # a run that records no spread: flag a move beyond 10%


def _rounds_spread(z, key):
    rounds = z.get("rounds") or []
    vals = [r[key] for r in rounds if isinstance(r, dict) and isinstance(r.get(key), (int, float))]
    if len(vals) < 2:
        return None
    med = statistics.median(vals)
    return (max(vals) - min(vals)) / med if med > 0 else None


def spread(z, metric):
    """(relative spread, source) of metric "ndr" or "pdr" of one size."""
    s = _rounds_spread(z, metric + "_pps")
    if s is not None:
        return s, "rounds"
    ndr, pdr = z["ndr"]["pps"], z["pdr"]["pps"]
    if pdr > ndr > 0:
        return (pdr - ndr) / pdr, "ndr-pdr"
    return None, "none"


def _sizes(res):
    return [str(s) for s in res.get("method", {}).get("sizes", [])]


def compare(old, new):
    """Rows: dict(system, size, metric, old_pps, new_pps, ratio, threshold,
    spread_old, spread_new, source, flag) where flag is "" (within the
    spread), "UP", "DOWN" or "n/a" (a figure is 0 or missing)."""
    rows = []
    olds = {s["name"]: s for s in old["systems"]}
    res_old = old.get("method", {}).get("resolution") or 0.0
    res_new = new.get("method", {}).get("resolution") or 0.0
    sizes = _sizes(new) + [z for z in _sizes(old) if z not in _sizes(new)]
    for s in new["systems"]:
        o = olds.get(s["name"])
        if not o:
            continue
        for z in sizes:
            zo, zn = o["sizes"].get(z), s["sizes"].get(z)
            if not zo or not zn:
                continue
            for metric in ("ndr", "pdr"):
                a, b = zo[metric]["pps"], zn[metric]["pps"]
                so, src_o = spread(zo, metric)
                sn, src_n = spread(zn, metric)
                known = [x for x in (so, sn) if x is not None]
                if known:
                    thr = max(known + [res_old, res_new])
                    source = "/".join(sorted({src_o, src_n}))
                else:
                    thr = max(DEFAULT_THRESHOLD, res_old, res_new)
                    source = "default"
                ratio = b / a if a > 0 else None
                if ratio is None or b <= 0:
                    flag = "n/a"
                elif abs(ratio - 1) > thr:
                    flag = "UP" if ratio > 1 else "DOWN"
                else:
                    flag = ""
                rows.append({"system": s["name"], "size": z, "metric": metric, "old_pps": a, "new_pps": b,
                             "ratio": ratio, "threshold": thr, "spread_old": so, "spread_new": sn,
                             "source": source, "flag": flag})
    return rows


def compare_text(rows, old_label="old", new_label="new"):
    out = ["%-18s %-5s %-4s %10s %10s %8s %7s  %-14s %s" % (
        "system", "size", "", old_label[:10], new_label[:10], "ratio", "spread", "spread from", "change")]
    for r in rows:
        out.append("%-18s %-5s %-4s %10.3f %10.3f %8s %6.1f%%  %-14s %s" % (
            r["system"][:18], r["size"], r["metric"].upper(), r["old_pps"] / 1e6, r["new_pps"] / 1e6,
            "%.3f" % r["ratio"] if r["ratio"] is not None else "-", 100 * r["threshold"], r["source"],
            r["flag"]))
    out.append("figures in Mpps; ratio new/old; a change is flagged (UP/DOWN) beyond the larger spread of "
               "the two runs (or the search resolution); 'default' means neither run records a spread and "
               "%.0f%% is used" % (100 * DEFAULT_THRESHOLD))
    if any(r["source"] == "default" for r in rows):
        out.append("note: rows marked 'default' have no spread recorded (NDR = PDR and no rounds)")
    return "\n".join(out)


# ------------------------------------------------------------ history

def _git(repo, *args):
    return subprocess.run(["git", "-C", repo] + list(args), capture_output=True, text=True, check=True).stdout


def history(path, repo=None):
    """Committed versions of path, oldest first: list of dict(commit, date,
    subject, result). Versions that do not parse as results are skipped."""
    path = os.path.abspath(path)
    repo = repo or _git(os.path.dirname(path), "rev-parse", "--show-toplevel").strip()
    rel = os.path.relpath(path, repo)
    # --name-only gives the path at each revision (it may have been renamed)
    log = _git(repo, "log", "--follow", "--name-only", "--format=%x00%H%x09%cI%x09%s", "--", rel)
    out = []
    for chunk in log.split("\x00")[1:]:
        lines = [x for x in chunk.splitlines() if x.strip()]
        commit, date, subject = (lines[0].split("\t", 2) + ["", ""])[:3]
        name = lines[1] if len(lines) > 1 else rel
        try:
            res = json.loads(_git(repo, "show", "%s:%s" % (commit, name)))
        except (subprocess.CalledProcessError, ValueError):
            continue
        if not isinstance(res, dict) or not isinstance(res.get("systems"), list):
            continue
        out.append({"commit": commit, "date": date, "subject": subject, "result": res})
    out.reverse()
    return out


def charts(hist, metric="ndr"):
    """One chart per frame size: a series per system, NDR (or PDR) Mpps
    against the version's position in the history (1 = oldest)."""
    sizes = []
    for h in hist:
        sizes += [z for z in _sizes(h["result"]) if z not in sizes]
    names = []
    for h in hist:
        names += [s["name"] for s in h["result"]["systems"] if s["name"] not in names]
    out = []
    for z in sizes:
        c = report.Chart("%s history, %s" % (metric.upper(), "IMIX" if z == "imix" else z + " bytes"),
                         "committed version (1 = oldest)", "Mpps")
        for i, name in enumerate(names):
            pts = []
            for k, h in enumerate(hist, 1):
                for s in h["result"]["systems"]:
                    d = s["sizes"].get(z) if s["name"] == name else None
                    if d and d[metric]["pps"] > 0:
                        pts.append((k, d[metric]["pps"] / 1e6))
            c.add(name, pts, report.COLORS[i % len(report.COLORS)])
        out.append(c.svg())
    return out


def history_html(hist):
    """The history section: the charts and the table of versions."""
    h = ["<h2>History of committed results</h2><div class='charts'>%s</div>" % "".join(charts(hist))]
    h.append("<table><tr><th>#</th><th class='l'>commit</th><th class='l'>date</th><th class='l'>subject</th>"
             "<th class='l'>machine</th></tr>")
    for k, v in enumerate(hist, 1):
        m = v["result"].get("machine", {})
        h.append("<tr><td>%d</td><td class='l'><code>%s</code></td><td class='l'>%s</td><td class='l'>%s</td>"
                 "<td class='l'>%s</td></tr>" % (
                     k, v["commit"][:10], html.escape(v["date"]), html.escape(v["subject"][:100]),
                     "contended" if m.get("contended") else "quiet"))
    h.append("</table>")
    return "".join(h)


def trend_page(path, hist):
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>%s history</title><style>%s</style>"
            "</head><body><h1>%s</h1><p>%d committed versions; NDR per system and frame size.</p>%s</body></html>"
            % (html.escape(path), report.CSS, html.escape(path), len(hist), history_html(hist)))
