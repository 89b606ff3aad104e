# SPDX-License-Identifier: BSD-3-Clause
"""Drive an nfv-gen process over its stdin/stdout JSON protocol."""
import json
import os
import subprocess


class GenError(RuntimeError):
    pass


def link_names(pairs=1):
    """Link names, port order: a, b (pair 0), a1, b1 (pair 1), ..."""
    out = []
    for k in range(pairs):
        sfx = "" if k == 0 else str(k)
        out += ["a" + sfx, "b" + sfx]
    return out


def memif_vdevs(sockdir, role, base=0, pairs=1, ring_slots=None):
    """The memif ports of a wiring: per pair 'a' toward the DUT, 'b' back.
    The client (nfv-gen) sets the rings' size for both directions (memif
    rsize, log2); None keeps the driver's default (1024 slots). The same
    for every DUT: nfv-gen is the client of each."""
    out = []
    for i, n in enumerate(link_names(pairs)):
        v = "net_memif%d,role=%s,socket=%s,socket-abstract=no,id=%d" % (
            base + i, role, os.path.join(sockdir, n + ".sock"), i)
        if ring_slots and role == "client":
            v += ",rsize=%d" % (min(int(ring_slots), MEMIF_MAX_SLOTS).bit_length() - 1)
        out += ["--vdev", v]
    return out


def vhost_vdevs(sockdir, role, base=0, pairs=1, ring_slots=None):
    """The same links as vhost-user: the generator's side is virtio_user
    in server mode (it owns the sockets, like QEMU does for a guest), the
    DUT's side is a vhost-user client (net_vhost client=1, OVS
    dpdkvhostuserclient, nfvd's vhost ports), one queue pair each."""
    out = []
    for i, n in enumerate(link_names(pairs)):
        path = os.path.join(sockdir, n + ".sock")
        if role == "client":  # the generator
            v = "net_virtio_user%d,path=%s,server=1,queues=1,queue_size=%d" % (
                base + i, path, min(int(ring_slots or 1024), VHOST_MAX_SLOTS))
        else:
            v = "net_vhost%d,iface=%s,client=1,queues=1" % (base + i, path)
        out += ["--vdev", v]
    return out


def ring_names(pairs=1):
    """Shared-ring link names (wiring ring): nb_a, nb_b, nb_a1, ... The
    rings live in the DUT's own DPDK memory (its --file-prefix), so the
    names need not differ between runs."""
    return ["nb_" + n for n in link_names(pairs)]


def ring_args(pairs=1):
    out = []
    for n in ring_names(pairs):
        out += ["--ring-link", n]
    return out


def link_of(wiring, kind):
    """The link a system of this kind is measured over: wiring ring needs
    a DUT that makes shared rings (nfvd, nfv-gen's reflector); testpmd
    and OVS cannot attach to named ring pairs, they get memif."""
    if wiring == "ring" and kind not in ("nfvd", "loop", "police"):
        return "memif"
    return wiring


WIRINGS = {"memif": memif_vdevs, "vhost": vhost_vdevs}
# virtio_user's queue_size: at most 1024 here (a virtqueue as QEMU gives one)
VHOST_MAX_SLOTS = 1024
# the shared rings (wiring ring: nfvd's rx-desc / tx-desc, the reflector's
# --ring-size): nfv-gen's 65,535 mbufs fill both rings of a link with room
NFVD_MAX_SLOTS = 16384
# memif in DPDK 22.11: rsize=14 (16384) stops the client's transmit here
MEMIF_MAX_SLOTS = 8192
DEFAULT_RING_SLOTS = 1024
DEFAULT_RXQ = {"memif": 2, "vhost": 1, "ring": 1}
# nfv-gen's lcore id in a secondary process: apart from the DUT's (mempool
# caches are per lcore id, and the DUT frees nfv-gen's mbufs)
RING_GEN_LCORE_BASE = 64


def vdevs(wiring, sockdir, role, base=0, pairs=1, ring_slots=None):
    return WIRINGS[wiring](sockdir, role, base, pairs, ring_slots)


class Gen:
    """nfv-gen on the generator's side of the links: tx on <sockdir>/a.sock,
    rx on b.sock (memif client, or virtio_user server for vhost)."""

    def __init__(self, binary, sockdir, lcore, prefix, streams, log, rxq=2, wiring="memif", pairs=1,
                 ring_slots=None, peer_gaps=None, dut_prefix=None, preexec=None, recycle=0):
        # virtio_user hands its memory to the vhost-user backend as file
        # descriptors, at most 8 regions: one file per memseg list
        seg = ["--single-file-segments"] if wiring == "vhost" else []
        if wiring == "ring":
            # a secondary process of the DUT: its shared memory, its rings
            # (their size is the DUT's: ring_slots, see duts.py)
            self.cmd = [binary, "--lcores", "%d@%d" % (RING_GEN_LCORE_BASE + lcore, lcore),
                        "--proc-type=secondary", "--file-prefix", dut_prefix, "--no-pci",
                        "--log-level=3", "--"] + ring_args(pairs)
        else:
            self.cmd = [binary, "-l", str(lcore), "--file-prefix", prefix, "--no-pci", "--log-level=3",
                        "--socket-mem=512"] + seg + vdevs(wiring, sockdir, "client", pairs=pairs,
                                                               ring_slots=ring_slots) + [
                        "--", "--rxq", str(rxq)]
        if peer_gaps:
            self.cmd += ["--peer-gaps", peer_gaps]
        # the links' ring size, which decides how long a gap can be lossless
        self.ring_slots = min(int(ring_slots or DEFAULT_RING_SLOTS),
                              {"vhost": VHOST_MAX_SLOTS, "ring": NFVD_MAX_SLOTS}.get(wiring, MEMIF_MAX_SLOTS))
        for s in streams:
            self.cmd += ["--stream", s]
        # send received frames again as the DUT left them, rewritten every
        # `recycle` sends (nfv-gen's gen_rc.h): shared-ring links only
        self.recycle = int(recycle) if wiring == "ring" else 0
        self.prefix = prefix
        self.log = log
        # preexec: the run's Shield.spawn_mask (every CPU at exec: EAL uses
        # only the CPUs of its affinity)
        self.proc = subprocess.Popen(self.cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=log, text=True, bufsize=1, preexec_fn=preexec)
        self.info = self.request({"cmd": "info"})

    def request(self, req):
        if self.proc.poll() is not None:
            raise GenError("nfv-gen exited with %d (see %s)" % (self.proc.returncode, self.log.name))
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(10)
            raise GenError("nfv-gen exited with %s (see %s)" % (self.proc.returncode, self.log.name))
        res = json.loads(line)
        if not res.get("ok"):
            raise GenError("nfv-gen: %s: %s" % (req.get("cmd"), res.get("error", "failed")))
        return res

    def wait_link(self, timeout_ms):
        try:
            self.request({"cmd": "wait-link", "timeout_ms": timeout_ms})
            return True
        except GenError:
            return False

    def trial(self, rate_pps, size, flows, duration_ms=1000, count=0, drain_ms=100, gap_us=50):
        req = {"cmd": "trial", "rate_pps": float(rate_pps), "size": size, "flows": flows,
               "duration_ms": int(duration_ms), "count": int(count), "drain_ms": int(drain_ms),
               "gap_us": float(gap_us), "ring_slots": self.ring_slots}
        if self.recycle:
            req["recycle"] = self.recycle
        return self.request(req)

    def close(self):
        if self.proc.poll() is None:
            try:
                self.proc.stdin.write('{"cmd":"quit"}\n')
                self.proc.stdin.flush()
                self.proc.wait(10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        cleanup_hugepages(self.prefix)


def cleanup_hugepages(prefix):
    d = "/dev/hugepages"
    try:
        for f in os.listdir(d):
            if f.startswith(prefix + "map_"):
                os.unlink(os.path.join(d, f))
    except OSError:
        pass
