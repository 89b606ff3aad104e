#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The vhost-user path alone, nfvd next to Open vSwitch with DPDK, in one run.
#
# Far end: dpdk-testpmd with two virtio_user ports (vhost-user servers),
# io forwarding, seeded with "start tx_first N": 64-byte frames circulate
#   testpmd port0 -> [switch: in vhost A -> out vhost B] -> testpmd port1
#   -> testpmd io forward -> port0 -> ...
# The switch is nfvd (chain A -> B, no stage; net_vhost client=1) or OVS-DPDK
# (dpdkvhostuserclient ports, flow in_port=A,actions=output:B). The rate is
# what the switch forwarded per second over DURATION, from its own counters.
# Cores: the switch's forwarding core is CPU 1, testpmd forwards on CPU 0.
#
# Then guest round trips: the same loop with a QEMU guest as the chain's
# stage, the bridge image of guest/build.sh and nfvd's firewall inside the
# guest (nfvd.cpio.gz), reported with the accelerator used.
#
#   bench/vhost_vs_ovs.sh [-b BUILD_DIR] [-d SECONDS] [-n INFLIGHT_BURSTS] [-G]
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
while getopts b:d:n:Gh opt; do
	case $opt in
	b) BUILD=$OPTARG ;;
	d) DURATION=$OPTARG ;;
	n) INFLIGHT=$OPTARG ;;
	G) GUEST=0 ;;
	*) sed -n '3,23p' "$0"; exit 2 ;;
	esac
done
bench_find_build
bench_need_testpmd
. "$(dirname "${BASH_SOURCE[0]}")/lib/ovs.sh"
bench_need_ovs

bench_workdir vmbench
cleanup() { bench_stop_all; }
trap cleanup EXIT INT TERM

# testpmd as the far end; $1 = name, $2 $3 = socket paths. Prints its fifo.
testpmd_start() {
	local name=$1 a=$2 b=$3
	mkfifo "$W/$name.in"
	exec {TPFD}<>"$W/$name.in"
	stdbuf -oL dpdk-testpmd --lcores 0@0,1@0 --file-prefix ${TAG}tp$name --no-pci \
		--in-memory --single-file-segments -m 1024 \
		--vdev "net_virtio_user0,path=$a,server=1,queues=1" \
		--vdev "net_virtio_user1,path=$b,server=1,queues=1" \
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

# ---- nfvd ----
nfvd_rate() {
	local name=$1 conf=$2 port=$3
	local sock=$W/nfvd-$name.sock
	"$BUILD/nfvd" -s "$sock" --file-prefix ${TAG}nfvd$name -l 0,1 "$conf" \
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
	local a b
	a=$(port_rx "$sock" "$port")
	sleep "$DURATION"
	b=$(port_rx "$sock" "$port")
	testpmd_stop
	kill "$pid"; wait "$pid" 2>/dev/null || true
	RATE=$(( (b - a) / DURATION ))
}
port_rx() {
	"$BUILD/nfvctl" -s "$1" --json stats |
		python3 -c "import json,sys; print(json.load(sys.stdin)['ports']['$2']['tx'])"
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

# ---- OVS-DPDK ----
ovs_rate() {
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
	local a b
	a=$(ovs_tx_pkts 2)
	sleep "$DURATION"
	b=$(ovs_tx_pkts 2)
	testpmd_stop
	ovs_stop
	RATE=$(( (b - a) / DURATION ))
}
mpps() { python3 -c "print('%.3f' % ($1 / 1e6))"; }

# 1. OVS
ovs_rate
OVS=$RATE

# 2. nfvd, same far end
cat > "$W/nfvd.yaml" <<EOT
version: 1
ports:
  - {name: a, driver: vhost, socket: $W/nfvd-a.sock}
  - {name: b, driver: vhost, socket: $W/nfvd-b.sock}
chains:
  - {name: ab, ingress: [a], vnfs: [], egress: b}
EOT
nfvd_rate vh "$W/nfvd.yaml" b 30
NFVD=$RATE

echo "vhost-user path, 64-byte frames, one forwarding core, ${DURATION}s:"
printf "  %-28s %8s Mpps\n" "OVS-DPDK (dpdkvhostuserclient)" "$(mpps "$OVS")"
printf "  %-28s %8s Mpps\n" "nfvd (net_vhost client)" "$(mpps "$NFVD")"
python3 -c "print('  nfvd / OVS: %.2fx' % ($NFVD / max($OVS, 1)))"

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
