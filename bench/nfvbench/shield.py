# SPDX-License-Identifier: BSD-3-Clause
"""Keep the DUTs' forwarding cores to the DUTs while nfv-bench measures.

What `isolcpus=` / `cset shield` do, at run time and undone at the end:
every task of the machine that may run on a forwarding core and is not
pinned to one CPU (lcore threads, OVS PMD threads are) is restricted to
the other cores, the housekeeping set, and so are the interrupts that can
be moved. A DUT's forwarding thread then has its core to itself, except
for the kernel's per-CPU threads and the timer tick, which no run-time
setting moves.

Why: the zero-loss search otherwise measures whoever else the scheduler
puts on the DUT's core (docs/bench.md, "Isolated forwarding cores", has
what was seen and measured). Off by default (bench file `isolate: true`):
on a 2-CPU machine the housekeeping core is the generator's.

Life cycle: Shield(cpus) -> on() -> tighten() after each DUT and generator
start (their non-lcore threads) -> off() (restores every mask it changed
on a task that still exists, and the interrupts). spawn_mask() is the
preexec_fn of a process that must see every CPU at exec (DPDK's EAL only
uses the CPUs of its affinity), tighten() then moves its unpinned threads.
A task that refuses (kernel thread, exited) is skipped: nothing here
fails a run.
"""
import os


def _tasks():
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            tids = os.listdir("/proc/%s/task" % pid)
        except OSError:
            continue
        for t in tids:
            yield int(t)


def _irqs():
    try:
        names = os.listdir("/proc/irq")
    except OSError:
        return []
    return [n for n in names if n.isdigit()]


def _fmt(cpus):
    return ",".join(str(c) for c in sorted(cpus))


class Shield:
    def __init__(self, isolated):
        self.all = set(os.sched_getaffinity(0))
        self.isolated = set(isolated) & self.all
        self.house = self.all - self.isolated
        self.saved = {}  # tid -> original mask
        self.saved_irqs = {}  # irq -> original smp_affinity_list
        self.active = False

    def usable(self):
        """True when there is something to isolate and somewhere else to run."""
        return bool(self.isolated) and bool(self.house) and os.geteuid() == 0

    def _move(self, tid):
        try:
            cur = os.sched_getaffinity(tid)
        except OSError:
            return False
        # pinned to one CPU (an lcore, a PMD, a per-CPU kthread), or already off
        if len(cur) <= 1 or not (cur & self.isolated):
            return False
        want = cur - self.isolated or self.house
        try:
            os.sched_setaffinity(tid, want)
        except OSError:
            return False
        self.saved.setdefault(tid, cur)
        return True

    def on(self):
        if not self.usable():
            return self.summary()
        self.active = True
        self.tighten()
        for irq in _irqs():
            path = "/proc/irq/%s/smp_affinity_list" % irq
            try:
                with open(path) as f:
                    old = f.read().strip()
                with open(path, "w") as f:
                    f.write(_fmt(self.house))
                self.saved_irqs[irq] = old
            except OSError:
                pass  # per-CPU or managed interrupts stay where they are
        return self.summary()

    def tighten(self):
        """Move every unpinned task off the isolated cores (call after a
        process started: its control threads float until moved)."""
        if not self.active:
            return 0
        return sum(1 for t in _tasks() if self._move(t))

    def spawn_mask(self):
        """preexec_fn for a DUT or generator: every CPU at exec."""
        if self.active:
            os.sched_setaffinity(0, self.all)

    def off(self):
        if not self.active:
            return
        for tid, mask in self.saved.items():
            try:
                os.sched_setaffinity(tid, mask)
            except OSError:
                pass
        for irq, old in self.saved_irqs.items():
            try:
                with open("/proc/irq/%s/smp_affinity_list" % irq, "w") as f:
                    f.write(old)
            except OSError:
                pass
        self.active = False

    def summary(self):
        return {"enabled": self.active, "isolated_cpus": sorted(self.isolated) if self.active else [],
                "housekeeping_cpus": sorted(self.house) if self.active else [],
                "tasks_moved": len(self.saved), "irqs_moved": len(self.saved_irqs)}
