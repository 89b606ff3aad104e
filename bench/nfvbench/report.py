# SPDX-License-Identifier: BSD-3-Clause
"""Result schema (nfv-bench/1), its check, the text table and the HTML page
(self-contained: inline CSS and SVG, no script, no external resource)."""
import html
import math

NUM = (int, float)
LAT = {"count": int, "min": int, "mean": NUM, "p50": int, "p90": int, "p99": int, "p99_9": int, "max": int}
RATE = {"pps": NUM, "mpps": NUM, "gbps_l1": NUM, "capped": bool}
SIZE = {"size": (int, str), "frame_bytes": NUM, "ceiling_pps": NUM, "ndr": RATE, "pdr": RATE, "trials": list,
        "latency": list, "loss_curve": list}
SYSTEM = {"name": str, "kind": str, "role": str, "sizes": dict, "commands": list, "cores": dict}
TOP = {"schema": str, "name": str, "generated": str, "command": str, "machine": dict, "method": dict,
       "systems": list}
MACHINE = {"cpu_model": str, "cpus": int, "kernel": str, "dpdk_version": str, "hugepages": dict, "cores": dict,
           "shared_with_gen": list, "contended": bool, "note": str}
LINE_RATES = (10, 25, 40, 100)
COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]


def _check(obj, spec, where, errs):
    if not isinstance(obj, dict):
        errs.append("%s: not an object" % where)
        return
    for k, t in spec.items():
        if k not in obj:
            errs.append("%s.%s: missing" % (where, k))
        elif isinstance(t, dict):
            _check(obj[k], t, where + "." + k, errs)
        elif isinstance(obj[k], bool) and t is not bool:
            errs.append("%s.%s: boolean where %s expected" % (where, k, t))
        elif not isinstance(obj[k], t):
            errs.append("%s.%s: %s is not %s" % (where, k, type(obj[k]).__name__, t))


def validate(res):
    """Check a result against schema nfv-bench/1; returns a list of errors."""
    errs = []
    _check(res, TOP, "$", errs)
    if errs:
        return errs
    if res["schema"] != "nfv-bench/1":
        errs.append("$.schema: %r is not nfv-bench/1" % res["schema"])
    _check(res["machine"], MACHINE, "$.machine", errs)
    for i, s in enumerate(res["systems"]):
        w = "$.systems[%d]" % i
        _check(s, SYSTEM, w, errs)
        for k, z in s.get("sizes", {}).items():
            _check(z, SIZE, "%s.sizes.%s" % (w, k), errs)
            for j, lat in enumerate(z.get("latency", [])):
                _check(lat, {"load_pct": NUM, "rate_pps": NUM, "loss_ratio": NUM, "latency_ns": LAT},
                       "%s.sizes.%s.latency[%d]" % (w, k, j), errs)
            for j, p in enumerate(z.get("loss_curve", [])):
                _check(p, {"load_pct": NUM, "rate_pps": NUM, "offered_pps": NUM, "loss_ratio": NUM},
                       "%s.sizes.%s.loss_curve[%d]" % (w, k, j), errs)
    return errs


def text_table(res):
    sizes = res["method"]["sizes"]
    rows = ["RFC 2544 zero-loss throughput (NDR), Mpps [Gbps L1]; PDR %.2f%% in ()" % (100 * res["method"]["pdr"])]
    rows.append("%-18s" % "system" + "".join("%22s" % (s + "B" if s != "imix" else "IMIX") for s in sizes))
    for s in res["systems"]:
        cells = []
        for z in sizes:
            d = s["sizes"].get(z)
            if not d:
                cells.append("%22s" % "-")
                continue
            cells.append("%22s" % ("%s%.2f [%.1f] (%.2f)" % (">=" if d["ndr"]["capped"] else "", d["ndr"]["mpps"],
                                                              d["ndr"]["gbps_l1"], d["pdr"]["mpps"])))
        rows.append("%-18s" % s["name"][:18] + "".join(cells) + ("  ERROR: " + s["error"] if s.get("error") else ""))
    rows += dut_lines(res)
    gf = [(s["name"], z, d.get("gap_failed_trials", 0), d.get("gap_excused_rates", 0))
          for s in res["systems"] for z, d in s["sizes"].items() if d.get("gap_failed_trials")]
    if gf:
        rows.append("trials that failed only in the measuring side's scheduling gaps (repeated; rates excused): " +
                    ", ".join("%s %s: %d (%d)" % x for x in gf))
    sc = [(z, d["ndr"]["pps"] / d["pdr"]["pps"]) for s in res["systems"] if s.get("role") == "selfcheck"
          for z, d in s["sizes"].items() if d.get("pdr", {}).get("pps")]
    if sc:
        rows.append("self-check NDR / PDR: " + ", ".join("%s %.2f" % x for x in sc))
    for s in res["systems"]:
        g = s.get("gen_speed") or {}
        if g.get("rx_pps"):
            rows.append("self-check, nfv-gen alone on one core into a free sink (net_ring): %.2f Mpps of 64-byte "
                        "stamped frames sent and received, %d lost" % (g["rx_pps"] / 1e6, g.get("lost") or 0))
    iso = isolation_note(res["machine"])
    if iso:
        rows.append(iso)
    if res["machine"].get("contended"):
        rows.append("note: " + res["machine"]["note"])
    return "\n".join(rows)


LIMITS = {"dut": "the DUT's limit (no cycle to spare)",
          "generator": "the generator's limit (the DUT had cycles to spare)",
          "loss": "loss with cycles to spare (bursts, the DUT's scheduling)"}


def dut_lines(res):
    """Per system and size whose DUT counts its cycles (nfvd): its
    forwarding threads at the search's ceiling (the loss curve's top step)
    and at the NDR, and whose limit the figures show (run.limit_of)."""
    out = []
    for s in res["systems"]:
        for z, d in s.get("sizes", {}).items():
            top = max(d.get("loss_curve") or [], key=lambda x: x["load_pct"], default=None)
            t = (top or {}).get("dut")
            if not t or t.get("busy_share") is None:
                continue
            n = (d.get("ndr") or {}).get("dut") or {}
            out.append("DUT %s %s: at the ceiling (%.2f Mpps offered) %d%% busy, %s cycles/packet (capacity %s)%s; "
                       "%s" % (
                           s["name"], z, top["offered_pps"] / 1e6, round(100 * t["busy_share"]),
                           t.get("cycles_per_packet"),
                           "%.2f Mpps" % (t["capacity_pps"] / 1e6) if t.get("capacity_pps") else "?",
                           ("; at the NDR %d%% busy, %s cycles/packet" % (
                               round(100 * n["busy_share"]), n.get("cycles_per_packet"))
                            if n.get("busy_share") is not None else ""),
                           LIMITS.get(d.get("limit"), "?")))
    return out


def isolation_note(m):
    """What the run's shield did (bench/nfvbench/shield.py), or ''."""
    iso = m.get("isolation") or {}
    if not iso.get("enabled"):
        return ""
    return ("isolated: core(s) %s kept to the DUTs' forwarding threads for the run (%d tasks and %d "
            "interrupts moved to core(s) %s; the kernel's per-CPU threads and tick stay)" % (
                ",".join(map(str, iso["isolated_cpus"])), iso["tasks_moved"], iso["irqs_moved"],
                ",".join(map(str, iso["housekeeping_cpus"]))))


# ------------------------------------------------------------------ SVG

class Chart:
    """A small line chart; x and y may be log scaled."""

    def __init__(self, title, xlabel, ylabel, xlog=False, ylog=False, w=560, h=320):
        self.title, self.xlabel, self.ylabel = title, xlabel, ylabel
        self.xlog, self.ylog, self.w, self.h = xlog, ylog, w, h
        self.series = []  # (label, points, color, dash, markers)
        self.ml, self.mr, self.mt, self.mb = 64, 150, 30, 44

    def add(self, label, pts, color, dash=None, markers=True):
        pts = [(x, y) for x, y in pts if y is not None and (not self.ylog or y > 0) and (not self.xlog or x > 0)]
        if pts:
            self.series.append((label, pts, color, dash, markers))

    def _range(self, vals, log):
        lo, hi = min(vals), max(vals)
        if log:
            lo, hi = 10 ** math.floor(math.log10(lo)), 10 ** math.ceil(math.log10(hi))
            if lo == hi:
                hi = lo * 10
        else:
            lo = min(0, lo)
            hi = hi * 1.08 if hi > 0 else 1
        return lo, hi

    def _map(self, v, lo, hi, log, a, b):
        if log:
            v, lo, hi = math.log10(v), math.log10(lo), math.log10(hi)
        return a + (v - lo) / (hi - lo) * (b - a) if hi != lo else a

    def svg(self):
        w, h = self.w, self.h
        out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" '
               'font-family="sans-serif" font-size="11">' % (w, h, w, h),
               '<rect width="100%%" height="100%%" fill="#fff"/>',
               '<text x="%d" y="18" font-size="13" font-weight="bold">%s</text>' % (self.ml, html.escape(self.title))]
        if not self.series:
            out.append('<text x="%d" y="%d">no data</text></svg>' % (w // 2 - 20, h // 2))
            return "".join(out)
        xs = [x for s in self.series for x, _ in s[1]]
        ys = [y for s in self.series for _, y in s[1]]
        xlo, xhi = self._range(xs, self.xlog)
        ylo, yhi = self._range(ys, self.ylog)
        x0, x1, y0, y1 = self.ml, w - self.mr, h - self.mb, self.mt

        def X(v):
            return self._map(v, xlo, xhi, self.xlog, x0, x1)

        def Y(v):
            return self._map(v, ylo, yhi, self.ylog, y0, y1)
        out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#888"/>' % (x0, y1, x1 - x0, y0 - y1))
        for v in _ticks(ylo, yhi, self.ylog):
            yy = Y(v)
            out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#eee"/>' % (x0, x1, yy, yy))
            out.append('<text x="%d" y="%.1f" text-anchor="end">%s</text>' % (x0 - 4, yy + 4, _fmt(v)))
        for v in _ticks(xlo, xhi, self.xlog):
            xx = X(v)
            out.append('<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" stroke="#eee"/>' % (xx, xx, y0, y1))
            out.append('<text x="%.1f" y="%d" text-anchor="middle">%s</text>' % (xx, y0 + 14, _fmt(v)))
        out.append('<text x="%d" y="%d" text-anchor="middle">%s</text>' % ((x0 + x1) // 2, h - 8, html.escape(self.xlabel)))
        out.append('<text transform="translate(14,%d) rotate(-90)" text-anchor="middle">%s</text>' % (
            (y0 + y1) // 2, html.escape(self.ylabel)))
        for i, (label, pts, color, dash, markers) in enumerate(self.series):
            pts = sorted(pts)
            d = " ".join("%.1f,%.1f" % (X(x), min(max(Y(y), y1), y0)) for x, y in pts)
            out.append('<polyline points="%s" fill="none" stroke="%s" stroke-width="2"%s/>' % (
                d, color, ' stroke-dasharray="%s"' % dash if dash else ""))
            if markers:
                for x, y in pts:
                    out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (X(x), min(max(Y(y), y1), y0), color))
            ly = y1 + 6 + i * 15
            out.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"%s/>' % (
                x1 + 8, x1 + 28, ly, ly, color, ' stroke-dasharray="%s"' % dash if dash else ""))
            out.append('<text x="%d" y="%d">%s</text>' % (x1 + 32, ly + 4, html.escape(label[:20])))
        out.append("</svg>")
        return "".join(out)


def _ticks(lo, hi, log):
    if log:
        t, v = [], lo
        while v <= hi * 1.0001:
            t.append(v)
            v *= 10
        return t
    step = 10 ** math.floor(math.log10((hi - lo) / 5 or 1))
    for m in (1, 2, 5, 10):
        if (hi - lo) / (step * m) <= 6:
            step *= m
            break
    t, v = [], math.ceil(lo / step) * step
    while v <= hi:
        t.append(v)
        v += step
    return t


def _fmt(v):
    if v == 0:
        return "0"
    if abs(v) >= 1000 or abs(v) < 0.01:
        return "%g" % v
    return ("%.2f" % v).rstrip("0").rstrip(".")


def _xsize(k, z):
    return z["frame_bytes"]


def charts(res):
    duts = [s for s in res["systems"] if s["sizes"]]
    sizes = res["method"]["sizes"]
    out = []
    mpps = Chart("Zero-loss throughput (NDR) vs frame size", "frame size, bytes (IMIX at its mean)", "Mpps",
                 ylog=True)
    gbps = Chart("Zero-loss throughput (NDR), L1 Gbps", "frame size, bytes (IMIX at its mean)", "Gbps (L1)",
                 ylog=True)
    grid = [64, 128, 256, 512, 1024, 1518]
    for g, dash in zip(LINE_RATES, ("2,2", "4,3", "6,3", "8,4")):
        mpps.add("%d GbE line" % g, [(s, g * 1e3 / ((s + 20) * 8)) for s in grid], "#aaa", dash, markers=False)
        gbps.add("%d GbE line" % g, [(64, g), (1518, g)], "#aaa", dash, markers=False)
    for i, s in enumerate(duts):
        c = COLORS[i % len(COLORS)]
        pts = [(z["frame_bytes"], z["ndr"]["mpps"]) for z in s["sizes"].values()]
        mpps.add(s["name"], pts, c)
        gbps.add(s["name"], [(z["frame_bytes"], z["ndr"]["gbps_l1"]) for z in s["sizes"].values()], c)
    out.append(("throughput", [mpps.svg(), gbps.svg()]))
    lat_charts, loss_charts = [], []
    for z in sizes:
        lc = Chart("Latency vs load, %s" % (z + " bytes" if z != "imix" else "IMIX"),
                   "load, % of the system's NDR (PDR if NDR is 0)", "microseconds", ylog=True)
        sc = Chart("Frame loss vs offered load, %s" % (z + " bytes" if z != "imix" else "IMIX"),
                   "offered load, Mpps", "loss, %")
        for i, s in enumerate(duts):
            d = s["sizes"].get(z)
            if not d:
                continue
            c = COLORS[i % len(COLORS)]
            for key, dash in (("p50", None), ("p99", "5,3"), ("p99_9", "1,3")):
                lc.add("%s %s" % (s["name"], key.replace("_", ".")),
                       [(p["load_pct"], p["latency_ns"][key] / 1e3) for p in d["latency"]], c, dash)
            sc.add(s["name"], [(p["offered_pps"] / 1e6, 100 * p["loss_ratio"]) for p in d["loss_curve"]], c)
        lat_charts.append(lc.svg())
        loss_charts.append(sc.svg())
    out.append(("latency", lat_charts))
    out.append(("loss", loss_charts))
    return out


CSS = """body{font-family:sans-serif;margin:24px;color:#222;max-width:1250px}
table{border-collapse:collapse;margin:8px 0 18px}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}
th{background:#f0f0f0}td.l,th.l{text-align:left}.warn{background:#fff3cd;border:1px solid #e0c36a;padding:8px 12px}
.charts svg{margin:6px;border:1px solid #ddd}code,pre{font-size:12px;background:#f6f6f6}pre{padding:6px;white-space:pre-wrap}
.err{color:#b00}"""


def _esc(v):
    return html.escape(str(v))


def render_html(res, extra=""):
    """extra: more HTML (the history section of nfv-bench trend/--history)
    placed before the machine table."""
    m, meth = res["machine"], res["method"]
    sizes = meth["sizes"]
    h = ["<!DOCTYPE html><html><head><meta charset='utf-8'><title>%s</title><style>%s</style></head><body>" % (
        _esc(res["name"]), CSS)]
    h.append("<h1>%s</h1><p>%s &middot; generated %s in %s s &middot; <code>%s</code></p>" % (
        _esc(res["name"]), _esc(meth["standard"]), _esc(res["generated"]), _esc(res.get("duration_s", "?")),
        _esc(res["command"])))
    if isolation_note(m):
        h.append("<p>%s.</p>" % _esc(isolation_note(m)))
    if dut_lines(res):
        h.append("<h2>The DUTs' forwarding threads</h2><ul>%s</ul>" % "".join(
            "<li>%s</li>" % _esc(x) for x in dut_lines(res)))
    if m.get("contended"):
        h.append("<p class='warn'><b>Contended figures.</b> %s.</p>" % _esc(m["note"]))
    h.append("<h2>RFC 2544 throughput</h2><table><tr><th class='l'>system</th>")
    for z in sizes:
        h.append("<th colspan='4'>%s</th>" % ("IMIX" if z == "imix" else z + " B"))
    h.append("</tr><tr><th></th>" + "<th>NDR Mpps</th><th>Gbps</th><th>PDR Mpps</th><th>p99 &micro;s @90%</th>" * len(sizes)
             + "</tr>")
    for s in res["systems"]:
        h.append("<tr><td class='l'>%s <small>(%s%s)</small></td>" % (
            _esc(s["name"]), _esc(s["kind"]), ", " + _esc(s["link"]) if s.get("link") else ""))
        for z in sizes:
            d = s["sizes"].get(z)
            if not d:
                h.append("<td colspan='4'>-</td>")
                continue
            l90 = [p for p in d["latency"] if p["load_pct"] == 90]
            h.append("<td>%s%.3f</td><td>%.2f</td><td>%.3f</td><td>%s</td>" % (
                "&ge;" if d["ndr"]["capped"] else "", d["ndr"]["mpps"], d["ndr"]["gbps_l1"], d["pdr"]["mpps"],
                "%.1f" % (l90[0]["latency_ns"]["p99"] / 1e3) if l90 else "-"))
        h.append("</tr>")
        if s.get("error"):
            h.append("<tr><td class='l err' colspan='%d'>error: %s</td></tr>" % (1 + 4 * len(sizes), _esc(s["error"])))
    h.append("</table><p>&ge; marks a rate at the self-check ceiling: the generator, not the system, was the limit. "
             "PDR: loss &le; %.2f%%. %s</p>" % (100 * meth["pdr"], _esc(meth["frame_size_note"])))
    for s in res["systems"]:
        g = s.get("gen_speed") or {}
        if g.get("rx_pps"):
            h.append("<p>Self-check, nfv-gen alone on one core into a sink that costs nothing (net_ring in its "
                     "own process): %.2f Mpps of 64-byte stamped frames sent and received, %d lost.</p>" % (
                         g["rx_pps"] / 1e6, g.get("lost") or 0))
    for title, svgs in charts(res):
        h.append("<h2>%s</h2><div class='charts'>%s</div>" % (
            {"throughput": "Throughput vs frame size", "latency": "Latency percentiles vs load",
             "loss": "Frame loss rate vs offered load"}[title], "".join(svgs)))
    h.append("<h2>Back-to-back and latency detail</h2><table><tr><th class='l'>system</th><th>size</th>"
             "<th>back-to-back frames</th><th>load %</th><th>min</th><th>mean</th><th>p50</th><th>p99</th>"
             "<th>p99.9</th><th>max (&micro;s)</th></tr>")
    for s in res["systems"]:
        for z in sizes:
            d = s["sizes"].get(z)
            if not d:
                continue
            b2b = d.get("back_to_back") or {}
            for p in d["latency"] or [{"load_pct": "-", "latency_ns": None}]:
                lat = p["latency_ns"]
                cells = "".join("<td>%.1f</td>" % (lat[k] / 1e3) for k in ("min", "mean", "p50", "p99", "p99_9", "max")) \
                    if lat else "<td colspan='6'>-</td>"
                h.append("<tr><td class='l'>%s</td><td>%s</td><td>%s</td><td>%s</td>%s</tr>" % (
                    _esc(s["name"]), _esc(z), ("%s%d" % ("&ge;" if b2b.get("capped") else "", b2b["frames"]))
                    if b2b else "-", _esc(p["load_pct"]), cells))
    h.append("</table>")
    h.append(gaps_html(res))
    h.append(extra)
    h.append("<h2>Machine</h2><table>")
    hp = m["hugepages"]
    for k, v in (("CPU", "%s (%s CPUs)" % (m["cpu_model"], m["cpus"])), ("kernel", m["kernel"]),
                 ("DPDK", m["dpdk_version"]), ("hugepages", "%d x %d kB (%d free at start)" % (
                     hp["total"], hp["size_kb"], hp["free_at_start"])),
                 ("load average (1/5/15 min)", "%s at the start, %s at the end" % (
                     "/".join(map(str, m.get("loadavg_at_start", []))), "/".join(map(str, m.get("loadavg_at_end", []))))),
                 ("generator cores", ",".join(map(str, m["cores"]["gen"]))),
                 ("shared with the generator", ",".join(map(str, m["shared_with_gen"])) or "none")):
        h.append("<tr><th class='l'>%s</th><td class='l'>%s</td></tr>" % (_esc(k), _esc(v)))
    h.append("</table><h2>Systems and their commands</h2>")
    for s in res["systems"]:
        c = s["cores"]
        h.append("<h3>%s</h3><p>%s; forwarding cores %s, control cores %s</p><pre>%s</pre>" % (
            _esc(s["name"]), _esc(s.get("version") or s["kind"]), _esc(c["forwarding"]), _esc(c["control"]),
            _esc("\n".join(s["commands"]))))
    h.append("<h2>Method</h2><pre>%s</pre></body></html>" % _esc(
        "\n".join("%s: %s" % (k, v) for k, v in meth.items())))
    return "".join(h)


def gaps_html(res):
    """Loss of the measuring side: per system x size, the trials that failed
    only during the generator's own scheduling gaps, the rates excused, the
    longest gap seen in the search's trials; the reflector's gaps."""
    meth = res["method"]
    if "gap_us" not in meth:
        return ("<h2>Measuring-side gaps</h2><p>Not recorded: this result predates nfv-gen's gap detector "
                "(loss of the generator's host cannot be told from the DUT's).</p>")
    h = ["<h2>Measuring-side gaps</h2><p>A loop turn of nfv-gen later than %s &micro;s is a scheduling gap of the "
         "generator/receiver (and, in the self-check, of the reflector, read from its gap log); a trial whose every "
         "missing packet was seen missing right after such a gap, or was refused by the link while the "
         "generator caught up after one or while the reflector was off its core, failed "
         "only because of the measuring side: it is repeated up to %s more times%s.</p>" % (
             _esc(meth["gap_us"]), _esc(meth.get("gap_retries")),
             ", and a rate where every attempt failed only so passes (excused)" if meth.get("gap_excuse") else "")]
    h.append("<table><tr><th class='l'>system</th><th>size</th><th>search trials</th><th>attempts failed only "
             "in gaps</th><th>rates excused</th><th>NDR excused</th><th>longest gap &micro;s</th>"
             "<th>reflector gaps (longest &micro;s)</th><th>NDR / PDR</th></tr>")
    for s in res["systems"]:
        rg = s.get("reflector_gaps")
        for z in meth["sizes"]:
            d = s["sizes"].get(z)
            if not d:
                continue
            mx = max([t["gaps"]["max_us"] for t in d["trials"] if t.get("gaps")] or [0])
            pdr = d["pdr"]["pps"]
            h.append("<tr><td class='l'>%s</td><td>%s</td><td>%d</td><td>%s</td><td>%s</td><td>%s</td>"
                     "<td>%.0f</td><td>%s</td><td>%s</td></tr>" % (
                         _esc(s["name"]), _esc(z), len(d["trials"]), _esc(d.get("gap_failed_trials", "-")),
                         _esc(d.get("gap_excused_rates", "-")), "yes" if d["ndr"].get("gap_excused") else "no",
                         mx, "%d (%.0f)" % (rg["count"], rg["max_us"]) if rg else "-",
                         "%.2f" % (d["ndr"]["pps"] / pdr) if pdr else "-"))
    h.append("</table>")
    return "".join(h)


def write_html(res, path, extra=""):
    with open(path, "w") as f:
        f.write(render_html(res, extra))
