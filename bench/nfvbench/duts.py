# SPDX-License-Identifier: BSD-3-Clause
"""Devices under test, each wired to nfv-gen by two links, a and b.

wiring memif: every DUT is the memif server of <dir>/a.sock (nfv-gen
transmits there) and <dir>/b.sock (nfv-gen receives there) and forwards
a -> b (and b -> a); nfv-gen is the client of both (so its rings' size, the
default, is the same for every DUT).
wiring vhost: nfv-gen's ports are virtio_user servers of the same two
sockets (as QEMU's would be for a guest) and every DUT is a vhost-user client. Each recipe below is what a person would type;
the exact command lines land in the report.
"""
import json
import os
import re
import signal
import subprocess
import time

import yaml

from . import nfvd_ctl
from .gen import DEFAULT_RXQ, cleanup_hugepages, link_names, ring_args, ring_names, vdevs

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class DutError(RuntimeError):
    pass


def _stop(proc, sig=signal.SIGTERM, timeout=20):
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(sig)
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


class Dut:
    kind = "?"

    def __init__(self, name, spec, ctx):
        self.name = name
        self.spec = spec
        self.ctx = ctx  # .dir .prefix .gen_bin .nfvd_build .cores .log
        self.proc = None
        self.commands = []
        self.fwd_cores = []
        self.ctl_cores = []

    def start(self):
        raise NotImplementedError

    def stop(self):
        _stop(self.proc)
        self.proc = None
        cleanup_hugepages(self.ctx.prefix)

    def version(self):
        return None

    def sockets(self):
        """Sockets the DUT creates (memif server); none for vhost, where
        nfv-gen owns them; for ring, the DPDK primary's IPC socket (nfv-gen
        attaches as a secondary process once it exists)."""
        if self.ctx.wiring == "ring":
            return ["/var/run/dpdk/%s/mp_socket" % self.ctx.prefix]
        if self.ctx.wiring != "memif":
            return []
        return [os.path.join(self.ctx.dir, n + ".sock") for n in link_names(self.ctx.pairs)]

    def queues(self):
        return 2 if self.ctx.wiring == "memif" else 1

    def work(self):
        """The forwarding threads' work so far, for a trial's before/after:
        {"busy_cycles", "packets", "tsc_hz"} summed over them, or None when
        the DUT does not say (only nfvd counts its busy cycles here)."""
        return None

    def check_alive(self):
        if self.proc is not None and self.proc.poll() is not None:
            raise DutError("%s exited with %d (log: %s)" % (self.name, self.proc.returncode, self.ctx.log.name))


class LoopDut(Dut):
    """nfv-gen's reflector: the plain loop of the self-check, or, with
    police_pps, a DUT whose capacity is fixed on purpose."""
    kind = "loop"

    def start(self):
        c = self.ctx.cores["dut"][-1]
        ring = self.ctx.wiring == "ring"
        cmd = [self.ctx.gen_bin, "-l", str(c), "--file-prefix", self.ctx.prefix, "--no-pci", "--log-level=3",
               "--socket-mem=256"] + ([] if ring else vdevs(self.ctx.wiring, self.ctx.dir, "server",
                                                            pairs=self.ctx.pairs)) + [
               "--", "--loop", ",".join("%d:%d,%d:%d" % (2 * k, 2 * k + 1, 2 * k + 1, 2 * k)
                                        for k in range(self.ctx.pairs)), "--rxq",
               str(self.spec.get("gen_rxq", DEFAULT_RXQ[self.ctx.wiring]))]
        if ring:  # the reflector makes the shared rings, nfv-gen attaches
            cmd += ring_args(self.ctx.pairs) + ["--ring-size", str(self.ctx.ring_slots)]
        if not self.spec.get("police_pps"):
            # the plain loop is the measuring side's: the generator reads
            # its scheduling gaps (a policer is a DUT: its gaps are not)
            cmd += ["--gap-log", self.gap_log()]
        if self.spec.get("police_pps"):
            self.kind = "police"
            cmd += ["--police-pps", str(float(self.spec["police_pps"]))]
            if self.spec.get("police_depth_ms"):
                cmd += ["--police-depth-ms", str(float(self.spec["police_depth_ms"]))]
        self.fwd_cores = [c]
        self.commands.append(cmd)
        self.proc = subprocess.Popen(cmd, preexec_fn=self.ctx.shield.spawn_mask, stdout=self.ctx.log, stderr=self.ctx.log, stdin=subprocess.DEVNULL)

    def gap_log(self):
        """The loop's gap log that nfv-gen reads (--peer-gaps), or None."""
        return None if self.spec.get("police_pps") else os.path.join(self.ctx.dir, "loop.gaps")

    def stop(self):
        _stop(self.proc, signal.SIGINT)
        self.proc = None
        cleanup_hugepages(self.ctx.prefix)


class TestpmdDut(Dut):
    """dpdk-testpmd io forwarding: the I/O floor."""
    kind = "testpmd"

    def start(self):
        cores = self.ctx.cores["dut"]
        cmd = ["stdbuf", "-oL", "dpdk-testpmd", "-l", ",".join(map(str, cores)), "--file-prefix", self.ctx.prefix,
               "--no-pci", "--log-level=3", "--socket-mem=512"] + vdevs(
               self.ctx.wiring, self.ctx.dir, "server", pairs=self.ctx.pairs) + [
               "--", "--forward-mode=io", "--auto-start", "--nb-cores=1", "--rxq=%d" % self.queues(),
               "--txq=%d" % self.queues(), "--rxd=1024", "--txd=1024",
               "--total-num-mbufs=16384"]
        self.fwd_cores = cores[1:] or cores
        self.ctl_cores = cores[:1]
        self.commands.append(cmd)
        self.proc = subprocess.Popen(cmd, preexec_fn=self.ctx.shield.spawn_mask, stdout=self.ctx.log, stderr=self.ctx.log, stdin=subprocess.PIPE)

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                self.proc.stdin.write(b"\n")
                self.proc.stdin.close()
                self.proc.wait(20)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                pass
        super().stop()

    def version(self):
        return "testpmd (DPDK %s)" % _pkgconfig_version("libdpdk")


class OvsDut(Dut):
    """Open vSwitch with DPDK (netdev datapath, one PMD core), two dpdk ports
    on the links (memif devargs, or dpdkvhostuserclient for vhost wiring),
    flows in_port=a -> b and back (NORMAL removed)."""
    kind = "ovs"
    VSWITCHD = "/usr/lib/openvswitch-switch-dpdk/ovs-vswitchd-dpdk"

    def _env(self):
        env = dict(os.environ)
        env.update(OVS_RUNDIR=self.run, OVS_LOGDIR=self.run, OVS_DBDIR=self.run)
        return env

    def _vsctl(self, *args):
        cmd = ["ovs-vsctl", "--db=unix:" + self.db_sock, "--timeout=120"] + list(args)
        self.commands.append(cmd)
        subprocess.run(cmd, check=True, env=self._env(), stdout=subprocess.DEVNULL, stderr=self.ctx.log)

    def start(self):
        if not os.access(self.VSWITCHD, os.X_OK):
            raise DutError("ovs: %s not installed (Debian package openvswitch-switch-dpdk)" % self.VSWITCHD)
        self.run = os.path.join(self.ctx.dir, "ovs")
        os.makedirs(self.run, exist_ok=True)
        self.db_sock = os.path.join(self.run, "db.sock")
        db = os.path.join(self.run, "conf.db")
        env = self._env()
        cores = self.ctx.cores["dut"]
        ctl, pmd = cores[0], cores[-1]
        self.fwd_cores, self.ctl_cores = [pmd], [ctl]
        steps = [
            ["ovsdb-tool", "create", db, "/usr/share/openvswitch/vswitch.ovsschema"],
            ["ovsdb-server", db, "--remote=punix:" + self.db_sock, "--pidfile=" + os.path.join(self.run, "ovsdb.pid"),
             "--detach", "--log-file=" + os.path.join(self.run, "ovsdb.log")],
        ]
        for cmd in steps:
            self.commands.append(cmd)
            subprocess.run(cmd, check=True, env=env, stdout=self.ctx.log, stderr=self.ctx.log)
        self._vsctl("--no-wait", "init")
        self._vsctl("--no-wait", "set", "Open_vSwitch", ".", "other_config:dpdk-init=true",
                    "other_config:dpdk-lcore-mask=0x%x" % (1 << ctl), "other_config:pmd-cpu-mask=0x%x" % (1 << pmd),
                    "other_config:dpdk-socket-mem=1024",
                    'other_config:dpdk-extra=--no-pci --file-prefix %s --log-level=3' % self.ctx.prefix)
        cmd = [self.VSWITCHD, "unix:" + self.db_sock, "--pidfile=" + os.path.join(self.run, "vswitchd.pid"),
               "--log-file=" + os.path.join(self.run, "vswitchd.log")]
        self.commands.append(cmd)
        self.proc = subprocess.Popen(cmd, preexec_fn=self.ctx.shield.spawn_mask, env=env, stdout=self.ctx.log, stderr=self.ctx.log, stdin=subprocess.DEVNULL)
        # the bridge's internal port is a kernel tap: a unique name keeps
        # another OVS on the machine out of the way
        self.br = "bnch%d" % (os.getpid() % 100000)
        br = self.br
        self._vsctl("add-br", br, "--", "set", "bridge", br, "datapath_type=netdev")
        links = link_names(self.ctx.pairs)
        memif = vdevs("memif", self.ctx.dir, "server", base=10, pairs=self.ctx.pairs)
        for i, n in enumerate(links):
            if self.ctx.wiring == "vhost":
                self._vsctl("add-port", br, "p" + n, "--", "set", "Interface", "p" + n,
                            "type=dpdkvhostuserclient",
                            "options:vhost-server-path=" + os.path.join(self.ctx.dir, n + ".sock"),
                            "ofport_request=%d" % (i + 1))
                continue
            devargs = memif[2 * i + 1]
            self._vsctl("add-port", br, "p" + n, "--", "set", "Interface", "p" + n, "type=dpdk",
                        "options:dpdk-devargs=" + devargs, "ofport_request=%d" % (i + 1))
        flows = [["del-flows", br]]
        for k in range(self.ctx.pairs):  # OpenFlow ports 2k+1 <-> 2k+2
            flows += [["add-flow", br, "in_port=%d,actions=output:%d" % (2 * k + 1, 2 * k + 2)],
                      ["add-flow", br, "in_port=%d,actions=output:%d" % (2 * k + 2, 2 * k + 1)]]
        for args in flows:
            cmd = ["ovs-ofctl", "--timeout=120"] + args
            self.commands.append(cmd)
            p = subprocess.run(cmd, env=env, capture_output=True, text=True)
            if p.returncode != 0:
                raise DutError("ovs: %s: %s (see %s)" % (" ".join(cmd), p.stderr.strip(),
                                                         os.path.join(self.run, "vswitchd.log")))

    def stop(self):
        _stop(self.proc)
        self.proc = None
        if hasattr(self, "run"):
            pid = _read_pid(os.path.join(self.run, "ovsdb.pid"))
            if pid:
                try:
                    os.kill(pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        cleanup_hugepages(self.ctx.prefix)

    def version(self):
        try:
            out = subprocess.run([self.VSWITCHD, "--version"], capture_output=True, text=True).stdout
            return out.splitlines()[0].strip()
        except (OSError, IndexError):
            return None


class NfvdDut(Dut):
    """nfvd running a chain file; the two ports the bench YAML names (in, out)
    are rewired to the links (memif server or vhost-user client ports), the
    rest of the file is kept as is."""
    kind = "nfvd"

    def start(self):
        nfvd = os.path.join(self.ctx.nfvd_build, "nfvd")
        if not os.access(nfvd, os.X_OK):
            raise DutError("nfvd: %s not built" % nfvd)
        chain_path = self.spec["chain"]
        if not os.path.isabs(chain_path):
            chain_path = os.path.join(REPO, chain_path)
        with open(chain_path) as f:
            chain = yaml.safe_load(f)
        links = link_names(self.ctx.pairs)
        rings = ring_names(self.ctx.pairs)
        want = {}
        for i, name in enumerate(self.port_names()):
            want[name] = (links[i], i)
        found = set()
        for p in chain.get("ports", []):
            if p.get("name") in want:
                link, memif_id = want[p["name"]]
                sock = os.path.join(self.ctx.dir, link + ".sock")
                keep = {k: v for k, v in p.items() if k in ("name", "mac", "mtu")}
                p.clear()
                p.update(keep)
                if self.ctx.wiring == "vhost":
                    p.update({"driver": "vhost", "socket": sock})
                elif self.ctx.wiring == "ring":
                    slots = self.ctx.ring_slots
                    p.update({"driver": "ring", "shared": rings[memif_id], "rx-desc": slots,
                              "tx-desc": slots})
                else:
                    p.update({"driver": "memif", "socket": sock, "role": "server", "id": memif_id})
                found.add(p["name"])
        missing = set(want) - found
        if missing:
            raise DutError("%s: no port named %s in the chain's ports" % (chain_path, ", ".join(sorted(missing))))
        chain.setdefault("nfvd", {})["socket"] = os.path.join(self.ctx.dir, "nfvd.sock")
        wired = os.path.join(self.ctx.dir, "chain.yaml")
        with open(wired, "w") as f:
            yaml.safe_dump(chain, f, sort_keys=False)
        cores = self.ctx.cores["dut"]
        cmd = [nfvd, "--file-prefix", self.ctx.prefix, "-l", ",".join(map(str, cores)), "--stats-interval", "0",
               wired]
        self.fwd_cores = cores[1:] or cores
        self.ctl_cores = cores[:1]
        self.commands.append(cmd)
        self.proc = subprocess.Popen(cmd, preexec_fn=self.ctx.shield.spawn_mask, stdout=self.ctx.log, stderr=self.ctx.log, stdin=subprocess.DEVNULL)

    def port_names(self):
        """The chain's ports wired to the links, in link order: in, out
        (pair 0), then in2, out2, ... (or the names the system gives in
        pairs_ports: [[in, out], [in2, out2], ...])."""
        given = self.spec.get("pair_ports")
        if given:
            return [n for pair in given for n in pair]
        names = [self.spec.get("in", "in"), self.spec.get("out", "out")]
        for k in range(2, self.ctx.pairs + 1):
            names += ["in%d" % k, "out%d" % k]
        return names

    def work(self):
        try:
            st = nfvd_ctl.request(os.path.join(self.ctx.dir, "nfvd.sock"), "stats")
            ws = st["workers"]
            return {"busy_cycles": sum(w["busy_cycles"] for w in ws),
                    "packets": sum(w["packets"] for w in ws), "tsc_hz": st["tsc_hz"]}
        except (OSError, ValueError, KeyError, TypeError, nfvd_ctl.NfvdCtlError):
            return None

    def ingress_mac(self, timeout, port=None):
        """The MAC of the DUT's `in` port (or of port: `out` for the reverse
        stream; routers drop frames for other hosts), read from nfvd's
        status once its control socket answers."""
        port = port or self.spec.get("in", "in")
        nfvctl = os.path.join(self.ctx.nfvd_build, "nfvctl")
        sock = os.path.join(self.ctx.dir, "nfvd.sock")
        end = time.monotonic() + timeout
        while True:
            self.check_alive()
            p = subprocess.run([nfvctl, "-s", sock, "--json", "status"], capture_output=True, text=True)
            if p.returncode == 0:
                try:
                    return json.loads(p.stdout)["ports"][port]["mac"].lower()
                except (ValueError, KeyError) as e:
                    raise DutError("nfvd status: no MAC for port %s (%s)" % (port, e))
            if time.monotonic() > end:
                raise DutError("nfvd: control socket %s did not answer: %s" % (sock, p.stderr.strip()))
            time.sleep(0.1)

    def version(self):
        try:
            out = subprocess.run(["git", "-C", REPO, "describe", "--always", "--dirty"], capture_output=True,
                                 text=True).stdout.strip()
            return "nfvd %s" % out
        except OSError:
            return "nfvd"


KINDS = {"loop": LoopDut, "police": LoopDut, "testpmd": TestpmdDut, "ovs": OvsDut, "nfvd": NfvdDut}


def make(name, spec, ctx):
    kind = spec.get("kind")
    if kind not in KINDS:
        raise DutError("system %s: kind must be one of %s" % (name, ", ".join(sorted(KINDS))))
    return KINDS[kind](name, spec, ctx)


def _read_pid(path):
    try:
        with open(path) as f:
            return int(f.read().strip())
    except (OSError, ValueError):
        return None


def _pkgconfig_version(pkg):
    try:
        return subprocess.run(["pkg-config", "--modversion", pkg], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return [float(x) for x in f.read().split()[:3]]
    except (OSError, ValueError):
        return []


def machine_info():
    info = {"cpu_model": "?", "cpus": os.cpu_count(), "kernel": os.uname().release,
            "dpdk_version": _pkgconfig_version("libdpdk")}
    try:
        with open("/proc/cpuinfo") as f:
            m = re.search(r"^model name\s*:\s*(.*)$", f.read(), re.M)
            if m:
                info["cpu_model"] = m.group(1).strip()
    except OSError:
        pass
    hp = {}
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                k, v = line.split(":", 1)
                if k in ("HugePages_Total", "HugePages_Free", "Hugepagesize"):
                    hp[k] = int(v.split()[0])
    except OSError:
        pass
    info["loadavg_at_start"] = loadavg()
    info["hugepages"] = {"size_kb": hp.get("Hugepagesize", 0), "total": hp.get("HugePages_Total", 0),
                         "free_at_start": hp.get("HugePages_Free", 0)}
    return info
