# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the bench scripts: what each of them needs before it measures.
#
#   die MSG...               "<script>: MSG" on stderr, exit 1
#   bench_find_build         BUILD (from -b, else the first build*/ of the
#                            tree with nfvd and nfvctl), checked
#   bench_need_testpmd       dpdk-testpmd on PATH
#   bench_need_ovs           ovs-vswitchd-dpdk installed (lib/ovs.sh)
#   bench_workdir TAG        TAG, W (a fresh /tmp/TAG.XXXXXX) and PIDS=()
#   bench_stop_all           the processes in PIDS killed and reaped, OVS
#                            stopped, the TAG's hugepage files and DPDK
#                            runtime folders removed, W removed unless KEEP
# Needs ROOT (the tree) set by the caller.

die() { echo "$(basename "$0" .sh): $*" >&2; exit 1; }

bench_find_build() {
	local d
	if [ -z "${BUILD:-}" ]; then
		for d in "$ROOT"/build*; do
			[ -x "$d/nfvd" ] && [ -x "$d/nfvctl" ] && BUILD=$d && break
		done
	fi
	[ -n "${BUILD:-}" ] && [ -x "$BUILD/nfvd" ] || die "no build dir with nfvd (give -b)"
}

bench_need_testpmd() {
	command -v dpdk-testpmd >/dev/null || die "no dpdk-testpmd: apt-get install dpdk"
}

bench_need_ovs() {
	[ -x "$OVS_VSWITCHD" ] || die "no $OVS_VSWITCHD: apt-get install openvswitch-switch-dpdk (or give -O)"
}

bench_workdir() {
	TAG=$1
	W=$(mktemp -d "/tmp/$TAG.XXXXXX")
	PIDS=()
}

bench_stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
	ovs_stop
	rm -f /dev/hugepages/"${TAG}"*
	rm -rf /var/run/dpdk/"${TAG}"*
	[ -n "${KEEP:-}" ] || rm -rf "$W"
}

# bench_nfvd_up SOCK PID TRIES: wait (TRIES x 0.1 s at most) until the nfvd
# started as PID answers on SOCK; its log ($W/nfvd.log) and die otherwise.
bench_nfvd_up() {
	local sock=$1 pid=$2 tries=$3 i
	for ((i = 0; i < tries; i++)); do
		"$BUILD/nfvctl" -s "$sock" status >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	"$BUILD/nfvctl" -s "$sock" status >/dev/null 2>&1 && return 0
	cat "$W/nfvd.log" >&2
	die "nfvd did not start"
}

# bench_nfvd_window SOCK PID VNF: measure the running nfvd over DURATION
# seconds, stop it, print "PPS CYCLES_PER_PACKET DROPS_JSON": the sink
# port's tx rate, the workers' busy cycles per packet, VNF's non-zero drops.
bench_nfvd_window() {
	local sock=$1 pid=$2 vnf=$3
	"$BUILD/nfvctl" -s "$sock" --json stats > "$W/a.json"
	sleep "$DURATION"
	"$BUILD/nfvctl" -s "$sock" --json stats > "$W/b.json"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	rm -f /dev/hugepages/"${TAG}"nfvd*
	python3 - "$W/a.json" "$W/b.json" "$DURATION" "$vnf" <<'PYEOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
d = float(sys.argv[3])
tx = b["ports"]["sink"]["tx"] - a["ports"]["sink"]["tx"]
def cyc(s):
    w = s.get("workers") or [{}]
    return sum(x.get("busy_cycles", 0) for x in w), sum(x.get("packets", 0) for x in w)
(c0, p0), (c1, p1) = cyc(a), cyc(b)
cpp = (c1 - c0) / (p1 - p0) if p1 > p0 else 0
drops = {k: v for k, v in b["vnfs"][sys.argv[4]]["drops"].items() if v}
print("%d %.0f %s" % (tx / d, cpp, json.dumps(drops, separators=(",", ":"))))
PYEOF
}
