#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The vhost-user path alone, nfvd next to Open vSwitch with DPDK, in one run.
#
# Far end: dpdk-testpmd with two virtio_user ports (vhost-user servers),
# io forwarding, seeded with "start tx_first N": 64-byte frames circulate
#   testpmd port0 -> [switch: in vhost A -> out vhost B] -> testpmd port1
#   -> testpmd io forward -> port0 -> ...
# The switch is nfvd (chain A -> B, no stage; net_vhost client=1) or OVS-DPDK
# (dpdkvhostuserclient ports, flow in_port=A,actions=output:B). Cores: the
# switch's forwarding core is CPU 1, testpmd forwards on CPU 0.
#
# Per switch and round: Mpps (what the switch forwarded per second over
# DURATION, from its own counters), its forwarding core's busy cycles per
# packet (nfvd: the worker's busy_cycles over its packets; OVS:
# pmd-stats-show "avg processing cycles per packet") and how busy that core
# was (nfvd: busy cycles over the window's cycles; OVS: processing cycles
# %). A switch core below 90 % busy was waiting for the far end: its Mpps is
# the loop's, not the switch's, and only cycles/packet compare. Both
# switches count busy cycles as TSC time across an iteration that had
# packets, so time the kernel took the thread away in such an iteration
# counts too: on a loaded host that inflates cycles/packet. The forwarding
# thread's on-CPU share (/proc/PID/task/TID/schedstat: time run over time
# run + time waited runnable, over the window) is reported, and
# "cpu-cyc/pkt" = cycles/packet x that share, the first-order estimate of
# what the switch itself spent (waits assumed to fall on busy and idle
# iterations alike). nfvd and testpmd run in sessions of their own
# (setsid), as OVS's daemons do: with the kernel's autogroups
# (/proc/sys/kernel/sched_autogroup_enabled) a session shares one CPU
# weight, and nfvd sharing the script's with testpmd got a third of the
# CPU time OVS's PMD got on the same loaded core (7-8 % against 23-25 %
# here). The far
# end's virtio_user ports use the in-order, no-mergeable-buffer rings
# (FAREND_OPTS, -F) that DPDK's faster virtio paths take.
#
# Systems alternate within each round (-r, default 3; order swapped every
# round); the summary gives each switch's median and the median of the
# per-round ratios (nfvd/OVS Mpps, OVS/nfvd cycles per packet). JSON lines:
# bench/results/vhost_vs_ovs-<date>.jsonl (header with command, load
# average, a line per measurement, a summary).
#
# Then guest round trips: the same loop with a QEMU guest as the chain's
# stage, the bridge image of guest/build.sh and nfvd's firewall inside the
# guest (nfvd.cpio.gz), reported with the accelerator used.
#
#   bench/vhost_vs_ovs.sh [-b BUILD_DIR] [-d SECONDS] [-n INFLIGHT_BURSTS]
#                         [-r ROUNDS] [-F VIRTIO_USER_OPTS] [-G]
#   -G: skip the guest round trip.
# Needs root, dpdk-testpmd (apt-get install dpdk-dev), openvswitch-switch-dpdk,
# qemu-system-x86 and free hugepages.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=
DURATION=5
INFLIGHT=32
GUEST=1
ROUNDS=3
FAREND_OPTS="in_order=1,mrg_rxbuf=0"
ARGS="$*"
while getopts b:d:n:r:F:Gh opt; do
	case $opt in
	b) BUILD=$OPTARG ;;
	d) DURATION=$OPTARG ;;
	n) INFLIGHT=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	F) FAREND_OPTS=$OPTARG ;;
	G) GUEST=0 ;;
	*) sed -n "3,44p" "$0"; exit 2 ;;
	esac
done
bench_find_build
bench_need_testpmd
. "$(dirname "${BASH_SOURCE[0]}")/lib/ovs.sh"
bench_need_ovs

bench_workdir vmbench
cleanup() { bench_stop_all; }
trap cleanup EXIT INT TERM
OUT=$ROOT/bench/results/vhost_vs_ovs-$(date +%Y%m%d-%H%M%S).jsonl
mkdir -p "$ROOT/bench/results"

# testpmd as the far end; $1 = name, $2 $3 = socket paths. Prints its fifo.
testpmd_start() {
	local name=$1 a=$2 b=$3 opts=${FAREND_OPTS:+,$FAREND_OPTS}
	rm -f "$W/$name.in"
	mkfifo "$W/$name.in"
	exec {TPFD}<>"$W/$name.in"
	setsid stdbuf -oL dpdk-testpmd --lcores 0@0,1@0 --file-prefix ${TAG}tp$name --no-pci \
		--in-memory --single-file-segments -m 1024 \
		--vdev "net_virtio_user0,path=$a,server=1,queues=1$opts" \
		--vdev "net_virtio_user1,path=$b,server=1,queues=1$opts" \
		-- -i --forward-mode=io --txpkts=64 --total-num-mbufs=16384 \
		< "$W/$name.in" > "$W/$name.log" 2>&1 &
	TPPID=$!
	PIDS+=($TPPID)
	# virtio_user in server mode waits in probe until the switch (the
	# vhost-user client, already retrying) connects
	for _ in $(seq 1 300); do
		grep -q 'testpmd>' "$W/$name.log" && return 0
		sleep 0.1
	done
	cat "$W/$name.log" >&2
	die "testpmd did not come up (no vhost-user client connected?)"
}
testpmd_stop() {
	testpmd_cmd "stop"
	testpmd_cmd "quit"
	exec {TPFD}>&-
	for _ in $(seq 1 100); do
		kill -0 "$TPPID" 2>/dev/null || return 0
		sleep 0.1
	done
	kill "$TPPID" 2>/dev/null || true
}
testpmd_cmd() { echo "$*" >&$TPFD; }

# thread_sched_ns PID REGEX: "RUN WAIT", nanoseconds PID's threads whose
# name matches REGEX ran on a CPU and waited runnable for one (schedstat)
thread_sched_ns() {
	local pid=$1 re=$2 t n w run=0 wait=0
	for t in /proc/"$pid"/task/*; do
		[[ "$(cat "$t/comm" 2>/dev/null)" =~ $re ]] || continue
		read -r n w _ < "$t/schedstat" || continue
		run=$((run + n))
		wait=$((wait + w))
	done
	echo "$run $wait"
}
# oncpu_pct "RUN0 WAIT0" "RUN1 WAIT1": the share of the time the thread
# wanted a CPU that it had one (a poller wants one all the time; the rest
# of the window it waited behind other work on its CPU)
oncpu_pct() {
	python3 -c "
r0, w0 = map(int, '$1'.split()); r1, w1 = map(int, '$2'.split())
print('%.0f' % (100.0 * (r1 - r0) / ((r1 - r0) + (w1 - w0)) if r1 > r0 else 0))"
}

# report SYSTEM ROUND PPS CYCLES_PER_PACKET BUSY_PCT ONCPU_PCT
declare -A RATES_ALL CPP_ALL CCPP_ALL
report() {
	local ccpp
	ccpp=$(python3 -c "print('%.0f' % ($4 * $6 / 100.0))")
	RATES_ALL[$1]="${RATES_ALL[$1]:-} $3"
	CPP_ALL[$1]="${CPP_ALL[$1]:-} $4"
	CCPP_ALL[$1]="${CCPP_ALL[$1]:-} $ccpp"
	printf "  %-5s round %d: %7s Mpps %6s cyc/pkt, core %3s%% busy, thread on CPU %3s%%, %5s cpu-cyc/pkt\n" \
		"$1" "$2" "$(python3 -c "print('%.3f' % ($3 / 1e6))")" "$4" "$5" "$6" "$ccpp"
	printf '{"system":"%s","round":%d,"pps":%s,"cycles_per_packet":%s,"busy_pct":%s,"oncpu_pct":%s,"cpu_cycles_per_packet":%s}\n' \
		"$1" "$2" "$3" "$4" "$5" "$6" "$ccpp" >> "$OUT"
}

# ---- nfvd ----
# nfvd_measure NAME CONF PORT LINK_TIMEOUT: sets RATE, CPP, BUSY
nfvd_measure() {
	local name=$1 conf=$2 port=$3
	local sock=$W/nfvd-$name.sock
	setsid "$BUILD/nfvd" -s "$sock" --file-prefix ${TAG}nfvd$name -l 0,1 "$conf" \
		> "$W/nfvd-$name.log" 2>&1 &
	local pid=$!
	PIDS+=($pid)
	for _ in $(seq 1 100); do
		"$BUILD/nfvctl" -s "$sock" status >/dev/null 2>&1 && break
		sleep 0.1
	done
	"$BUILD/nfvctl" -s "$sock" status >/dev/null || { cat "$W/nfvd-$name.log" >&2; die "nfvd did not start"; }
	testpmd_start "$name" "$W/nfvd-a.sock" "$W/nfvd-b.sock"
	wait_links "$sock" "$4"
	testpmd_cmd "start tx_first $INFLIGHT"
	sleep 1
	"$BUILD/nfvctl" -s "$sock" --json stats > "$W/a.json"
	local t0 t1 c0 c1
	c0=$(thread_sched_ns "$pid" '^(lcore|rte)-worker')
	t0=$(date +%s.%N)
	sleep "$DURATION"
	"$BUILD/nfvctl" -s "$sock" --json stats > "$W/b.json"
	c1=$(thread_sched_ns "$pid" '^(lcore|rte)-worker')
	t1=$(date +%s.%N)
	ONCPU=$(oncpu_pct "$c0" "$c1")
	testpmd_stop
	kill "$pid"; wait "$pid" 2>/dev/null || true
	rm -f /dev/hugepages/"${TAG}"nfvd*
	read -r RATE CPP BUSY < <(python3 - "$W/a.json" "$W/b.json" "$port" "$t0" "$t1" <<'PYEOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
port, t0, t1 = sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
tx = b["ports"][port]["tx"] - a["ports"][port]["tx"]
def w(s):
    x = s.get("workers") or [{}]
    return sum(v.get("busy_cycles", 0) for v in x), sum(v.get("packets", 0) for v in x)
(c0, p0), (c1, p1) = w(a), w(b)
cpp = (c1 - c0) / (p1 - p0) if p1 > p0 else 0
# the window between the two stats requests, in the worker's clock
busy = 100.0 * (c1 - c0) / ((t1 - t0) * b.get("tsc_hz", 1)) if t1 > t0 else 0
print("%d %.0f %.0f" % (tx / (t1 - t0), cpp, min(busy, 100)))
PYEOF
)
}
wait_links() {
	local sock=$1 timeout=$2
	for _ in $(seq 1 $((timeout * 10))); do
		if "$BUILD/nfvctl" -s "$sock" --json stats | python3 -c "
import json,sys
p=json.load(sys.stdin)['ports']
sys.exit(0 if all(v.get('link') == 'up' for v in p.values()) else 1)"; then
			return 0
		fi
		sleep 0.1
	done
	die "vhost links not up after ${timeout}s"
}
port_rx() {
	"$BUILD/nfvctl" -s "$1" --json stats |
		python3 -c "import json,sys; print(json.load(sys.stdin)['ports']['$2']['tx'])"
}

# ---- OVS-DPDK ----
# ovs_measure: sets RATE, CPP, BUSY
ovs_measure() {
	ovs_start
	vsctl add-port br0 vhu0 -- set Interface vhu0 type=dpdkvhostuserclient \
		options:vhost-server-path="$W/ovs-a.sock" ofport_request=1
	vsctl add-port br0 vhu1 -- set Interface vhu1 type=dpdkvhostuserclient \
		options:vhost-server-path="$W/ovs-b.sock" ofport_request=2
	ovs ovs-ofctl del-flows br0
	ovs ovs-ofctl add-flow br0 in_port=1,actions=output:2
	testpmd_start ovs "$W/ovs-a.sock" "$W/ovs-b.sock"
	for _ in $(seq 1 100); do
		[ "$(vsctl get Interface vhu0 link_state)" = up ] &&
			[ "$(vsctl get Interface vhu1 link_state)" = up ] && break
		sleep 0.1
	done
	testpmd_cmd "start tx_first $INFLIGHT"
	sleep 1
	ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" dpif-netdev/pmd-stats-clear
	local a b t0 t1 st c0 c1 vpid
	vpid=$(cat "$W/ovs/ovs-vswitchd.pid")
	a=$(ovs_tx_pkts 2)
	c0=$(thread_sched_ns "$vpid" '^pmd')
	t0=$(date +%s.%N)
	sleep "$DURATION"
	b=$(ovs_tx_pkts 2)
	c1=$(thread_sched_ns "$vpid" '^pmd')
	t1=$(date +%s.%N)
	ONCPU=$(oncpu_pct "$c0" "$c1")
	st=$(ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" dpif-netdev/pmd-stats-show)
	testpmd_stop
	ovs_stop
	RATE=$(python3 -c "print(int(($b - $a) / ($t1 - $t0)))")
	CPP=$(sed -n 's/.*avg processing cycles per packet: *\([0-9.]*\).*/\1/p' <<< "$st" | head -1)
	CPP=$(python3 -c "print('%.0f' % float('${CPP:-0}'))")
	BUSY=$(sed -n 's/.*processing cycles: *[0-9]* *(\([0-9.]*\)%).*/\1/p' <<< "$st" | head -1)
	BUSY=$(python3 -c "print('%.0f' % float('${BUSY:-0}'))")
}
mpps() { python3 -c "print('%.3f' % ($1 / 1e6))"; }

cat > "$W/nfvd.yaml" <<EOT
version: 1
ports:
  - {name: a, driver: vhost, socket: $W/nfvd-a.sock}
  - {name: b, driver: vhost, socket: $W/nfvd-b.sock}
chains:
  - {name: ab, ingress: [a], vnfs: [], egress: b}
EOT

printf '{"command":"%s","date":"%s","loadavg":"%s","farend":"testpmd io, 2 virtio_user servers on CPU 0 (%s)","duration_s":%s,"inflight_bursts":%s}\n' \
	"$0 $ARGS" "$(date -Is)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$FAREND_OPTS" "$DURATION" "$INFLIGHT" >> "$OUT"
echo "vhost-user path, 64-byte frames, one forwarding core (CPU 1), ${DURATION}s, $ROUNDS round(s):"
for ((round = 1; round <= ROUNDS; round++)); do
	# alternate the order: the host drifts, neither switch always goes first
	for sys in $( ((round % 2)) && echo "ovs nfvd" || echo "nfvd ovs"); do
		if [ "$sys" = ovs ]; then
			ovs_measure
		else
			nfvd_measure vh "$W/nfvd.yaml" b 30
		fi
		report "$sys" "$round" "$RATE" "$CPP" "$BUSY" "$ONCPU"
		rm -f "$W/nfvd-a.sock" "$W/nfvd-b.sock" "$W/ovs-a.sock" "$W/ovs-b.sock"
	done
done
python3 - "${RATES_ALL[nfvd]}" "${RATES_ALL[ovs]}" "${CPP_ALL[nfvd]}" "${CPP_ALL[ovs]}" \
	"${CCPP_ALL[nfvd]}" "${CCPP_ALL[ovs]}" "$OUT" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PYEOF'
import json, statistics, sys
nr, orr, nc, oc, ncc, occ = ([float(x) for x in a.split()] for a in sys.argv[1:7])
med = statistics.median
def paired(a, b):
    # each round measured both within seconds: the median of the per-round
    # ratios is what drift of the host between rounds does not move
    r = [x / y for x, y in zip(a, b) if y]
    return med(r) if r else None
rate_ratio, cyc_ratio, ccyc_ratio = paired(nr, orr), paired(oc, nc), paired(occ, ncc)
for name, r, c, cc in (("OVS-DPDK (dpdkvhostuserclient)", orr, oc, occ), ("nfvd (net_vhost client)", nr, nc, ncc)):
    print("  %-30s %7.3f Mpps %6.0f cyc/pkt %6.0f cpu-cyc/pkt (medians)" % (name, med(r) / 1e6, med(c), med(cc)))
print("  nfvd / OVS Mpps: %s; OVS / nfvd cycles per packet: %s, cpu-cycles per packet: %s "
      "(medians of the per-round ratios)" % tuple("%.2fx" % x if x else "-" for x in (rate_ratio, cyc_ratio, ccyc_ratio)))
with open(sys.argv[7], "a") as f:
    f.write(json.dumps({"summary": True, "rounds": len(nr), "nfvd_mpps_median": med(nr) / 1e6,
                        "ovs_mpps_median": med(orr) / 1e6, "nfvd_cycles_per_packet_median": med(nc),
                        "ovs_cycles_per_packet_median": med(oc), "nfvd_cpu_cycles_per_packet_median": med(ncc),
                        "ovs_cpu_cycles_per_packet_median": med(occ), "nfvd_over_ovs_mpps": rate_ratio,
                        "ovs_over_nfvd_cycles": cyc_ratio, "ovs_over_nfvd_cpu_cycles": ccyc_ratio,
                        "loadavg_at_end": sys.argv[8]}) + "\n")
PYEOF
echo "  results: $OUT"

# 3. guest round trips: the Linux bridge image (a stand-in for a foreign
# VNF) and nfvd's own firewall inside the guest (nfvd.cpio.gz, DPDK on the
# virtio PMD), each on the same loop
[ "$GUEST" = 1 ] || exit 0
IMG=${NFV_GUEST_CACHE:-$HOME/.cache/nfvd/guest}
"$ROOT/guest/build.sh" -o "$IMG" -n "$BUILD/nfvd" > /dev/null
guest_rt() { # kind (bridge|nfvd)
	local kind=$1 vnf up a b accel
	if [ "$kind" = bridge ]; then
		vnf="class: vm
    runtime: vm
    vm:
      image: {kernel: $IMG/vmlinux, initrd: $IMG/bridge.cpio.gz, cmdline: quiet}
      memory: 256"
	else
		vnf="class: firewall
    runtime: vm
    default: allow
    rules: [{name: no-telnet, action: drop, proto: tcp, dport: 23}]
    vm:
      image: {kernel: $IMG/vmlinux, initrd: $IMG/nfvd.cpio.gz, cmdline: quiet nfv.hugepages=128}
      memory: 512
      vcpus: 2
      boot-timeout: 240"
	fi
	cat > "$W/guest-$kind.yaml" <<EOT
version: 1
ports:
  - {name: a, driver: vhost, socket: $W/g-$kind-a.sock}
  - {name: b, driver: vhost, socket: $W/g-$kind-b.sock}
  - {name: gin, driver: vhost, socket: $W/g-$kind-in.sock}
  - {name: gout, driver: vhost, socket: $W/g-$kind-out.sock}
vnfs:
  - name: guest
    $vnf
      nics: [{name: eth0, port: gin}, {name: eth1, port: gout}]
      ingress: eth0
      egress: eth1
chains:
  - {name: ab, ingress: [a], vnfs: [guest], egress: b}
EOT
	"$BUILD/nfvctl" -s "$W/nfvd-g-$kind.sock" up "$W/guest-$kind.yaml" -- \
		--file-prefix ${TAG}nfvdg$kind -l 0,1 > "$W/up-$kind.log" 2>&1 &
	up=$!
	PIDS+=($up)
	for _ in $(seq 1 2400); do
		"$BUILD/nfvctl" -s "$W/nfvd-g-$kind.sock" --json vm list 2>/dev/null |
			grep -q '"state": "running"' && break
		sleep 0.1
	done
	"$BUILD/nfvctl" -s "$W/nfvd-g-$kind.sock" --json vm list 2>/dev/null |
		grep -q '"state": "running"' || { cat "$W/up-$kind.log" >&2; die "$kind guest not running after 240 s"; }
	testpmd_start "guest-$kind" "$W/g-$kind-a.sock" "$W/g-$kind-b.sock"
	accel=$("$BUILD/nfvctl" -s "$W/nfvd-g-$kind.sock" --json vm list |
		python3 -c "import json,sys; print(json.load(sys.stdin)[0]['accel'])")
	wait_links "$W/nfvd-g-$kind.sock" 30
	testpmd_cmd "start tx_first $INFLIGHT"
	sleep 1
	a=$(port_rx "$W/nfvd-g-$kind.sock" b)
	sleep "$DURATION"
	b=$(port_rx "$W/nfvd-g-$kind.sock" b)
	testpmd_stop
	"$BUILD/nfvctl" -s "$W/nfvd-g-$kind.sock" down >/dev/null || true
	wait "$up" 2>/dev/null || true
	printf "  %-28s %8s Mpps (%s in the guest, accel %s)\n" "guest round trip ($kind)" \
		"$(mpps $(( (b - a) / DURATION )))" \
		"$([ "$kind" = bridge ] && echo "Linux bridge" || echo "nfvd firewall on the virtio PMD")" \
		"$accel"
}
guest_rt bridge
guest_rt nfvd
