#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""nfvd's own part of route convergence: an FPM stream of N IPv4 routes,
encoded exactly as zebra 8.4's dplane_fpm_nl encodes BGP routes, replayed
into nfvd alone over TCP; routes per second into the FIB, and the router's
forwarding rate while they arrive against its rate when idle.

  bench/fpm_ingest.py [-n 1000000] [-b BUILD] [--mode nhg|inline]
                      [--order zebra|random] [-d 2]
                      [--no-forward] [--no-delete] [--write PREFIX]

The stream (as captured from zebra 8.4, see tests/fuzz/fpm_seeds): next-hop
objects first (RTM_NEWNEXTHOP: two gateways, then a group of both), then
one RTM_NEWROUTE per prefix (flags REQUEST|CREATE|REPLACE, table main,
protocol bgp (186), RTA_DST, RTA_PRIORITY 20, RTA_NH_ID); --mode inline
gives RTA_GATEWAY + RTA_OIF instead (`no fpm use-next-hop-groups`).
Prefixes: bench/router_routes_gen.py's Internet-like mix. Then the same
prefixes deleted (RTM_DELROUTE).

Ingest time: from the first byte sent until `nfvctl stats` counts all the
routes in the router (polled every 20 ms on the control socket); the
sender is a thread of this script on the same host. Forwarding: a looping
pcap port (64-byte UDP, 1024 flows to 100 /24s routed by the chain file)
into the router, a null sink, worker on lcore 1, control thread (and the
FPM ingest) on lcore 0; the sink's tx rate over the ingest window against
an idle window of -d seconds before it. This script (the sender thread and
the polls) is pinned to CPU 0, nfvd's control lcore, as zebra would run on
the control side of a router; the worker thread's own CPU seconds in each
window are read from /proc too, so the forwarding rate is also given per
worker CPU second (on a shared host the scheduler gives the worker's CPU
to other processes while the control thread is busy: the wall-clock rate
then measures the host; packets per worker CPU second measure what the
route load costs the data path itself: cache and FIB interference). One
JSON line per run is appended to bench/results/fpm_ingest-DATE.jsonl.
"""
import argparse
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "bench"))
import router_routes_gen  # noqa: E402
from nfvbench import nfvd_ctl  # noqa: E402

RMAC = "02:00:00:00:00:02"
NMAC = "02:00:00:00:00:09"
RTM_NEWROUTE, RTM_DELROUTE, RTM_NEWNEXTHOP = 24, 25, 104
F_NEW = 0x501  # NLM_F_REQUEST | NLM_F_CREATE | NLM_F_REPLACE
OIF = 2        # zebra's ifindex of the egress (no twin here: by subnet)


def frame(nltype, flags, body):
    nl = struct.pack("=IHHII", 16 + len(body), nltype, flags, 0, 0) + body
    return struct.pack(">BBH", 1, 1, 4 + len(nl)) + nl


def attr(t, data):
    a = struct.pack("=HH", 4 + len(data), t) + data
    return a + bytes(-len(a) % 4)


def nexthop(nid, gw=None, group=None):
    fam = 0 if group else socket.AF_INET
    body = struct.pack("=BBBBI", fam, 0, 11, 0, 0) + attr(1, struct.pack("=I", nid))
    if group:
        body += attr(2, b"".join(struct.pack("=IBBH", g, 0, 0, 0) for g in group))
    else:
        body += attr(6, socket.inet_aton(gw)) + attr(5, struct.pack("=I", OIF))
    return frame(RTM_NEWNEXTHOP, F_NEW, body)


def route(nltype, net, ln, nhid=None, gw=None):
    body = struct.pack("=BBBBBBBBI", socket.AF_INET, ln, 0, 0, 254, 186, 0, 1, 0)
    body += attr(1, struct.pack("!I", net)) + attr(6, struct.pack("=I", 20))
    if nltype == RTM_NEWROUTE:
        if nhid is not None:
            body += attr(30, struct.pack("=I", nhid))
        else:
            body += attr(5, socket.inet_aton(gw)) + attr(4, struct.pack("=I", OIF))
    return frame(nltype, F_NEW if nltype == RTM_NEWROUTE else 0x1, body)


def streams(n, mode, order="zebra"):
    """The add and delete streams: one frame per route made as route() does,
    then only the prefix, its length and the next hop patched per route.
    order "zebra": by address, then length, as zebra's table walk (the dump
    after a connect) and a BGP peer's adj-RIB-out walk send them; "random":
    the generator's order."""
    vias = ("192.168.0.1", "192.168.0.2")
    head = [nexthop(1, vias[0]), nexthop(2, vias[1]), nexthop(3, group=(1, 2))] \
        if mode == "nhg" else []
    tmpl_a = route(RTM_NEWROUTE, 0, 0, nhid=0) if mode == "nhg" else \
        route(RTM_NEWROUTE, 0, 0, gw="0.0.0.0")
    tmpl_d = route(RTM_DELROUTE, 0, 0)
    la, ld = len(tmpl_a), len(tmpl_d)
    add, dele = bytearray(tmpl_a * n), bytearray(tmpl_d * n)
    # offsets: rtm_dst_len at 4+16+1, RTA_DST's address at 4+16+12+4, the
    # next hop: RTA_NH_ID's id (the last attribute) or RTA_GATEWAY's address
    # (before RTA_OIF)
    dl, da = 21, 36
    rts = list(router_routes_gen.routes(n, via=vias))
    if order == "zebra":
        rts.sort()
    for i, (net, ln, via) in enumerate(rts):
        o, p = i * la, i * ld
        add[o + dl] = ln
        struct.pack_into("!I", add, o + da, net)
        if mode == "nhg":
            struct.pack_into("=I", add, o + la - 4, 1 + i % 3)
        else:
            struct.pack_into("4s", add, o + la - 12, socket.inet_aton(via))
        dele[p + dl] = ln
        struct.pack_into("!I", dele, p + da, net)
    return b"".join(head) + bytes(add), bytes(dele)


def pcap(path):
    def csum(b):
        s = sum(struct.unpack("!10H", b))
        s = (s >> 16) + (s & 0xffff)
        s += s >> 16
        return ~s & 0xffff
    rmac = bytes.fromhex(RMAC.replace(":", ""))
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i in range(1024):
            src = bytes([10, 0, (i >> 8) & 0xff, i & 0xff])
            dst = bytes([172, 16, i % 100, 1 + (i // 100) % 250])
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 46, 0, 0, 64, 17, 0, src, dst)
            ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
            udp = struct.pack("!HHHH", 1024 + i, 5001, 26, 0) + bytes(18)
            fr = rmac + bytes.fromhex("020000000001" "0800") + ip + udp
            f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)) + fr)


def chain(w, n, port, forward):
    src = ("{name: src, driver: pcap, rx-file: %s/flows.pcap, loop: true}" % w if forward
           else '{name: src, driver: "null"}')
    routes = "".join("      - {prefix: 172.16.%d.0/24, via: 192.168.0.1}\n" % p
                     for p in range(100))
    return """version: 1
ports:
  - %s
  - {name: sink, driver: "null"}
vnfs:
  - name: rtr
    class: router
    max-routes: %d
    fpm: {listen: "127.0.0.1:%d"}
    interfaces:
      - {name: in, port: src, addresses: [10.0.0.254/8], mac: "%s"}
      - {name: out, port: sink, addresses: [192.168.0.254/24]}
    neighbours:
      - {address: 192.168.0.1, mac: "%s"}
      - {address: 192.168.0.2, mac: "%s"}
    routes:
%schains:
  - {name: c, ingress: [src], vnfs: [rtr]}
""" % (src, n + 2048, port, RMAC, NMAC, NMAC, routes)


def request(sock, cmd, **args):
    return nfvd_ctl.request(sock, cmd, timeout=60, **args)


def snap(sock):
    """(time, FPM frames the router has applied, sink tx packets, stats)"""
    st = request(sock, "stats")
    fpm = st["vnfs"]["rtr"].get("fpm", {})
    return time.monotonic(), fpm.get("frames", 0), st["ports"]["sink"]["tx"], st


def cpu(pid):
    """CPU seconds of nfvd's control thread (its main thread) so far."""
    with open("/proc/%d/task/%d/stat" % (pid, pid)) as f:
        v = f.read().rsplit(")", 1)[1].split()
    return (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")


def worker_cpu(pid):
    """CPU seconds of nfvd's worker threads (EAL's rte-worker-N) so far."""
    tot = 0.0
    for tid in os.listdir("/proc/%d/task" % pid):
        try:
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                if not f.read().startswith(("rte-worker", "lcore-worker")):
                    continue
            with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                v = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tot += (int(v[11]) + int(v[12])) / os.sysconf("SC_CLK_TCK")
    return tot


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def replay(c, data, sock, until, pid):
    """Send data on the FPM connection c; poll until until(frames applied);
    return
    (seconds from the first byte, the window of the tx counts, tx at its
    start and end, the last stats, control-thread CPU seconds)."""
    t_start, _, tx0, _ = snap(sock)
    c0, w0 = cpu(pid), worker_cpu(pid)
    t0 = time.monotonic()
    th = threading.Thread(target=c.sendall, args=(data,))
    th.start()
    while True:
        t, fr, tx, st = snap(sock)
        if until(fr):
            break
        if t - t0 > 600:
            raise SystemExit("ingest did not finish in 600 s: %d frames" % fr)
        time.sleep(0.02)
    th.join()
    return t - t0, t - t_start, tx0, tx, st, cpu(pid) - c0, worker_cpu(pid) - w0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=1000000)
    ap.add_argument("-b", dest="build", default=None)
    ap.add_argument("--mode", choices=("nhg", "inline"), default="nhg")
    ap.add_argument("--order", choices=("zebra", "random"), default="zebra",
                    help="zebra: sorted as zebra's table walk sends; random")
    ap.add_argument("-d", type=float, default=2.0, help="idle window, s")
    ap.add_argument("--no-forward", action="store_true")
    ap.add_argument("--no-delete", action="store_true")
    ap.add_argument("--write", metavar="PREFIX",
                    help="write the streams to PREFIX.add and PREFIX.del (for "
                    "BUILD/bench/fpm_micro) and stop")
    a = ap.parse_args()
    if a.write:
        add, dele = streams(a.n, a.mode, a.order)
        for ext, data in (("add", add), ("del", dele)):
            with open("%s.%s" % (a.write, ext), "wb") as f:
                f.write(data)
        return
    build = a.build or next((os.path.join(ROOT, d) for d in sorted(os.listdir(ROOT))
                             if d.startswith("build") and
                             os.access(os.path.join(ROOT, d, "nfvd"), os.X_OK)), None)
    if build is None:
        raise SystemExit("fpm_ingest: no build dir with nfvd (give -b)")
    forward = not a.no_forward
    w = tempfile.mkdtemp(prefix="fpmbench.")
    prefix = "fpmb%d" % os.getpid()
    sock = os.path.join(w, "nfvd.sock")
    port = free_port()
    proc = None
    try:
        t = time.monotonic()
        add, dele = streams(a.n, a.mode, a.order)
        print("stream: %d routes (%s, %s order), %.1f MB, built in %.1f s" % (
            a.n, a.mode, a.order, len(add) / 1e6, time.monotonic() - t))
        if forward:
            pcap(os.path.join(w, "flows.pcap"))
        with open(os.path.join(w, "nfvd.yaml"), "w") as f:
            f.write(chain(w, a.n, port, forward))
        log = open(os.path.join(w, "nfvd.log"), "w")
        proc = subprocess.Popen([os.path.join(build, "nfvd"), "-s", sock, "--file-prefix",
                                 prefix, "-l", "0,1", os.path.join(w, "nfvd.yaml")],
                                stdout=log, stderr=subprocess.STDOUT)
        for _ in range(600):
            if proc.poll() is not None:
                raise SystemExit("nfvd exited:\n" + open(log.name).read())
            try:
                snap(sock)
                break
            except (OSError, ValueError, KeyError):
                time.sleep(0.1)
        time.sleep(1)
        if hasattr(os, "sched_setaffinity"):
            os.sched_setaffinity(0, {0})  # with nfvd's control lcore
        t0, _, tx0, st0 = snap(sock)
        w0 = worker_cpu(proc.pid)
        base = st0["vnfs"]["rtr"]["routes4"]
        time.sleep(a.d)
        t1, _, tx1, _ = snap(sock)
        idle_pps = (tx1 - tx0) / (t1 - t0)
        idle_wcpu = worker_cpu(proc.pid) - w0
        conn = socket.create_connection(("127.0.0.1", port))
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
        n_add = a.n + (3 if a.mode == "nhg" else 0)  # frames: next hops, routes
        secs, window, txa, txb, st, cs, wcs = replay(conn, add, sock,
                                                     lambda fr: fr >= n_add, proc.pid)
        load_pps = (txb - txa) / window
        fpm = st["vnfs"]["rtr"]["fpm"]
        routes4 = st["vnfs"]["rtr"]["routes4"]
        res = {"system": "nfvd-fpm-ingest", "load": open("/proc/loadavg").read().split()[:3], "mode": a.mode, "order": a.order, "routes": a.n,
               "fib_routes4": routes4,
               "bytes": len(add), "seconds": round(secs, 3),
               "routes_per_s": round(a.n / secs), "control_cpu_s": round(cs, 2),
               "routes_per_cpu_s": round(a.n / cs) if cs else None,
               "fpm": {k: fpm[k] for k in (
                   "routes-set", "malformed", "route-errors", "unresolved-nexthops")}}
        print("ingest: %d routes in %.2f s: %.0f routes/s (goal 1,000,000); the control "
              "thread ran %.2f s of it: %.0f routes per CPU second" % (
                  a.n, secs, a.n / secs, cs, a.n / cs if cs else 0))
        if fpm["routes-set"] != a.n or fpm["route-errors"] or routes4 < base + a.n - 100:
            print("  warning: routes-set %d, route-errors %d" % (fpm["routes-set"],
                                                                 fpm["route-errors"]))
        if forward:
            res.update(idle_pps=round(idle_pps), load_pps=round(load_pps),
                       load_over_idle=round(load_pps / idle_pps, 3) if idle_pps else None)
            print("forwarding: idle %.2f Mpps, while the routes arrive %.2f Mpps (%.0f%%; "
                  "goal within 10%%)" % (idle_pps / 1e6, load_pps / 1e6,
                                         100 * load_pps / idle_pps if idle_pps else 0))
            if idle_wcpu > 0 and wcs > 0:
                ip_c = (tx1 - tx0) / idle_wcpu
                lp_c = (txb - txa) / wcs
                res.update(idle_worker_cpu=round(idle_wcpu / (t1 - t0), 3),
                           load_worker_cpu=round(wcs / window, 3),
                           idle_pkts_per_worker_cpu_s=round(ip_c),
                           load_pkts_per_worker_cpu_s=round(lp_c),
                           load_over_idle_per_cpu=round(lp_c / ip_c, 3))
                print("  per worker CPU second: idle %.2f M, during the load %.2f M (%.0f%%); "
                      "the worker had %.0f%% of a CPU idle, %.0f%% during the load" % (
                          ip_c / 1e6, lp_c / 1e6, 100 * lp_c / ip_c,
                          100 * idle_wcpu / (t1 - t0), 100 * wcs / window))
        if not a.no_delete:
            r = replay(conn, dele, sock, lambda fr: fr >= n_add + a.n, proc.pid)
            secs_d, cs_d = r[0], r[5]
            res.update(delete_seconds=round(secs_d, 3), deletes_per_s=round(a.n / secs_d),
                       delete_cpu_s=round(cs_d, 2))
            print("delete: %d routes in %.2f s: %.0f routes/s (control thread %.2f s)" % (
                a.n, secs_d, a.n / secs_d, cs_d))
        conn.close()
        os.makedirs(os.path.join(ROOT, "bench", "results"), exist_ok=True)
        out = os.path.join(ROOT, "bench", "results",
                           "fpm_ingest-%s.jsonl" % time.strftime("%Y%m%d-%H%M%S"))
        with open(out, "a") as f:
            f.write(json.dumps(res) + "\n")
        print("result:", out)
    finally:
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for f in os.listdir("/dev/hugepages"):
            if f.startswith(prefix):
                os.unlink(os.path.join("/dev/hugepages", f))
        shutil.rmtree("/var/run/dpdk/" + prefix, ignore_errors=True)
        shutil.rmtree(w, ignore_errors=True)


if __name__ == "__main__":
    main()
