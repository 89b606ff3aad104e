# SPDX-License-Identifier: BSD-3-Clause
"""nfv-bench's shared-ring link (wiring ring, issue 16 item 3) against the
memif link it replaces, on nfvd's forward chain, in the same test.

Over memif the DUT copies every frame in (server rx) and out (server tx);
over the shared rings it moves mbuf pointers. The figure compared is the
DUT's own cost: nfvd's worker busy cycles per packet, which sets the rate
one core can carry (TSC rate / cycles per packet). Rounds alternate the two
links and the test takes the median of the per-round ratios; never an
absolute rate (the host is shared and noisy)."""
import json
import os
import statistics
import signal
import subprocess
import time

import pytest

from benchlib import NFV_GEN

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="needs root (hugepages)"),
    pytest.mark.skipif(not os.access(NFV_GEN, os.X_OK), reason="nfv-gen not built: " + NFV_GEN),
]

ROUNDS = 3
STREAM = "tx=0,rx=1,src=10.0.0.2,dst=10.1.0.2"


def forward_chain(tmp_path, link, tag):
    if link == "ring":
        ports = [{"name": "in", "driver": "ring", "shared": tag + "a"},
                 {"name": "out", "driver": "ring", "shared": tag + "b"}]
    else:
        ports = [{"name": n, "driver": "memif", "socket": str(tmp_path / (n + ".sock")), "role": "server",
                  "id": i} for i, n in enumerate(("in", "out"))]
    return {"version": 1, "ports": ports,
            "chains": [{"name": "in-out", "ingress": ["in"], "vnfs": [], "egress": "out"}]}


def gen_cmd(tmp_path, link, tag, nfvd):
    if link == "ring":
        # a secondary process of nfvd, on an lcore id nfvd does not use
        eal = ["--lcores", "64@0", "--proc-type=secondary", "--file-prefix", nfvd.prefix]
        links = ["--", "--ring-link", tag + "a", "--ring-link", tag + "b"]
    else:
        eal = ["-l", "0", "--file-prefix", tag + "g", "--socket-mem=256"]
        for i, n in enumerate(("in", "out")):
            eal += ["--vdev", "net_memif%d,role=client,socket=%s,socket-abstract=no,id=%d" % (
                i, tmp_path / (n + ".sock"), i)]
        links = ["--", "--rxq", "2"]
    trial = {"rate_pps": 0, "duration_ms": 400, "size": 64, "flows": 256, "drain_ms": 100}
    return [NFV_GEN] + eal + ["--no-pci", "--log-level=3"] + links + [
        "--stream", STREAM, "--trial", json.dumps(trial)]


def worker(nfvd):
    w = nfvd.stats()["workers"]
    return sum(x["packets"] for x in w), sum(x["busy_cycles"] for x in w)


def one_run(nfvd_factory, tmp_path, link, tag, r):
    """nfvd's forward chain over one link kind, one unpaced trial: (busy
    cycles per packet of nfvd's worker, the trial's result)."""
    d = tmp_path / link
    d.mkdir(parents=True, exist_ok=True)
    nfvd = nfvd_factory(forward_chain(d, link, tag), name="f%s%d" % (link[:2], r))
    try:
        p0, c0 = worker(nfvd)
        p = subprocess.run(gen_cmd(d, link, tag, nfvd), capture_output=True, text=True, timeout=60)
        lines = [x for x in p.stdout.splitlines() if x.startswith("{")]
        assert p.returncode == 0 and lines, "nfv-gen over %s: rc %d\n%s\n%s" % (
            link, p.returncode, p.stdout[-2000:], p.stderr[-2000:])
        res = json.loads(lines[-1])
        assert res.get("ok"), res
        p1, c1 = worker(nfvd)
    finally:
        rc, out = nfvd.stop()
        for f in os.listdir("/dev/hugepages"):
            if f.startswith(tag + "gmap_"):
                os.unlink("/dev/hugepages/" + f)
        subprocess.run(["rm", "-rf", "/var/run/dpdk/%sg" % tag])
    # nfvd survived its secondary process and stopped cleanly
    assert rc == 0, out[-2000:]
    # every frame is accounted for: received, or lost (refused by the
    # full ring counts as lost)
    assert res["rx"] + res["lost"] == res["tx"] and res["rx"] > 0 and res["dup"] == 0, res
    assert p1 - p0 >= res["rx"], (p0, p1, res)
    return (c1 - c0) / (p1 - p0), res


def test_ring_link_carries_the_forward_chain_cheaper_than_memif(nfvd_factory, tmp_path, tag):
    ratios, seen = [], []
    for r in range(ROUNDS):
        got = {}
        for link in (("memif", "ring") if r % 2 == 0 else ("ring", "memif")):
            got[link] = one_run(nfvd_factory, tmp_path / str(r), link, tag, r)
        ratios.append(got["memif"][0] / got["ring"][0])
        seen.append({k: (round(v[0], 1), round(v[1]["rx_pps"])) for k, v in got.items()})
    # nfvd's cycles per packet over memif / over the ring: the copies the
    # ring saves are most of a 64-byte forward's cost
    assert statistics.median(ratios) >= 1.3, (ratios, seen)


def test_router_chain_over_the_ring_link(nfvd_factory, tag):
    """The router reads its interfaces' MACs from the ports and the ingress
    port from each mbuf: over net_ring both come from nfvd (the configured
    MAC is added to the ring port, the worker sets mbuf->port for a chain
    with stages), not from nfv-gen's side. Every frame of a slow trial is routed back."""
    nfvd = nfvd_factory(ring_chain("router.yaml", tag), name="rtr")
    status = nfvd.result("status")
    assert status["ports"]["in"]["mac"].lower() == "02:00:00:00:01:01", status["ports"]
    res = gen_trial(nfvd, tag, {"rate_pps": 10000, "duration_ms": 300, "size": 64, "flows": 16})
    drops = nfvd.nfvctl("drops").stdout
    # a stall of this shared host may lose a few at the ring, never most
    assert res["tx"] > 0 and res["rx"] >= 0.9 * res["tx"] and res["misrouted"] == 0, (res, drops)
    rc, out = nfvd.stop()
    assert rc == 0, out[-2000:]


def ring_chain(name, tag):
    """A bench chain file (bench/results/chains) on shared rings tag+port."""
    import yaml
    with open(os.path.join(os.path.dirname(NFV_GEN), "..", "..", "..", "bench", "results", "chains",
                           name)) as f:
        chain = yaml.safe_load(f)
    chain.pop("nfvd", None)
    for p in chain["ports"]:
        keep = {k: v for k, v in p.items() if k in ("name", "mac")}
        p.clear()
        p.update(keep, driver="ring", shared=tag + keep["name"])
    return chain


def gen_trial(nfvd, tag, trial, dmac="02:00:00:00:01:01"):
    cmd = [NFV_GEN, "--lcores", "64@0", "--proc-type=secondary", "--file-prefix", nfvd.prefix, "--no-pci",
           "--log-level=3", "--", "--ring-link", tag + "in", "--ring-link", tag + "out",
           "--stream", STREAM + ",dmac=" + dmac, "--trial", json.dumps(trial)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    lines = [x for x in p.stdout.splitlines() if x.startswith("{")]
    assert p.returncode == 0 and lines, (p.stdout[-2000:], p.stderr[-2000:])
    return json.loads(lines[-1])


def test_recycled_frames_through_the_router(nfvd_factory, tag):
    """recycle: nfv-gen sends the router's own output back in, untouched,
    rewriting each frame every 16th send (router-ring.yaml: the next hop
    answers to the router's lan MAC). A frame goes round ~100 times in this
    trial, so without the rewrites its TTL would run out (the router would
    drop it and send ICMP time exceeded: foreign frames to nfv-gen); every
    frame is counted and timed from nfv-gen's own records."""
    nfvd = nfvd_factory(ring_chain("router-ring.yaml", tag), name="rrc")
    res = gen_trial(nfvd, tag, {"rate_pps": 20000, "duration_ms": 500, "size": 64, "flows": 16,
                                "recycle": 16})
    drops = nfvd.nfvctl("drops").stdout
    rc, out = nfvd.stop()
    assert rc == 0, out[-2000:]
    assert res.get("ok") and res["recycle"] == 16, res
    # most sends were frames handed back, not new ones
    assert res["tx_kept"] >= 0.8 * res["tx"], res
    # every frame accounted for, each timed; a stall of this shared host
    # may lose a few at the ring, never most
    assert res["rx"] + res["lost"] == res["tx"] and res["rx"] >= 0.9 * res["tx"], res
    assert res["latency_ns"]["count"] == res["rx"] and res["dup"] == 0, res
    assert res["misrouted"] == 0 and res["foreign"] == 0, (res, drops)
    assert "ttl" not in drops.lower(), drops


def test_recycle_only_over_shared_rings(tmp_path, tag):
    """Over a link that copies (here nfv-gen's own net_ring vdev, no shared
    ring) the frames that come back are not the ones sent: recycle is
    refused with the reason, and a plain trial still runs."""
    base = [NFV_GEN, "-l", "0", "--file-prefix", tag + "r", "--no-pci", "--log-level=3",
            "--socket-mem=256", "--vdev", "net_ring0", "--", "--stream", "tx=0,rx=0,src=10.0.0.2,dst=10.1.0.2"]
    try:
        for trial, ok in (({"rate_pps": 1000, "duration_ms": 50, "recycle": 16}, False),
                          ({"rate_pps": 1000, "duration_ms": 50}, True)):
            p = subprocess.run(base + ["--trial", json.dumps(trial)], capture_output=True, text=True,
                               timeout=60)
            res = json.loads([x for x in p.stdout.splitlines() if x.startswith("{")][-1])
            assert res.get("ok", False) == ok, (trial, res, p.stderr[-1000:])
            if not ok:
                assert "recycle: only over shared-ring links" in res["error"], res
    finally:
        for f in os.listdir("/dev/hugepages"):
            if f.startswith(tag + "rmap_"):
                os.unlink("/dev/hugepages/" + f)
        subprocess.run(["rm", "-rf", "/var/run/dpdk/%sr" % tag])


def test_recycle_drops_a_stalled_generators_backlog(nfvd_factory, tag):
    """With recycle, nfv-gen moves frames at many times the trial's rate:
    after its own core was taken away (here: SIGSTOP for 60 ms, 60,000
    frames behind at 1 Mpps) sending the whole backlog at once would
    overflow the DUT's ring by itself. It sends at most half a ring of it
    and reports the rest as skipped (never sent, not offered)."""
    chain = {"version": 1,
             "ports": [{"name": n, "driver": "ring", "shared": tag + n, "rx-desc": 16384,
                        "tx-desc": 16384} for n in ("in", "out")],
             "chains": [{"name": "in-out", "ingress": ["in"], "vnfs": [], "egress": "out"}]}
    nfvd = nfvd_factory(chain, name="rsk")
    trial = {"rate_pps": 1e6, "duration_ms": 600, "size": 64, "flows": 16, "recycle": 16,
             "ring_slots": 16384}
    cmd = [NFV_GEN, "--lcores", "64@0", "--proc-type=secondary", "--file-prefix", nfvd.prefix, "--no-pci",
           "--log-level=3", "--", "--ring-link", tag + "in", "--ring-link", tag + "out",
           "--stream", STREAM, "--trial", json.dumps(trial)]
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # the wait-link answer comes first; the trial starts right after
        assert json.loads(p.stdout.readline()).get("ok"), p.stderr.read()
        time.sleep(0.15)
        os.kill(p.pid, signal.SIGSTOP)
        time.sleep(0.06)
        os.kill(p.pid, signal.SIGCONT)
        out, err = p.communicate(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    res = json.loads([x for x in out.splitlines() if x.startswith("{")][-1])
    rc, log = nfvd.stop()
    assert rc == 0, log[-2000:]
    assert res.get("ok"), (res, err[-1000:])
    # the stall is the generator's own gap; most of its backlog skipped
    assert res["gaps"]["max_us"] >= 40000, res["gaps"]
    assert 30000 <= res["skipped"] <= 70000, res
    assert res["tx"] + res["skipped"] >= 0.97 * 600000 and res["offered_pps"] < 0.97e6, res
    # what was sent got through: half a ring into an idle forwarder
    assert res["lost"] <= 0.01 * res["tx"], res
