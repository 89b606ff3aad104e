#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# A VXLAN encap + decap hop on one forwarding core, nfvd next to OVS-DPDK's
# VXLAN tunnel port in the same run:
#   nfvd     pcap src -> chain -> vxlan port vx0 (encap) -> ring underlay ul
#            (what is sent on it is received on it) -> decap on vxlan port
#            vx1 (the peer VTEP: local and remote swapped, same VNI) ->
#            chain -> null sink
#   OVS-DPDK the same in one switch: br0 has src, vx0, vx1 (type=vxlan,
#            the same addresses and key) and sink, flows src->vx0 and
#            vx1->sink; br-phy has the ring underlay and holds both VTEP
#            addresses (native tunneling: tnl_push on output to vx0, out on
#            the ring, back in, tnl_pop to vx1). OVS runs in a network
#            namespace of its own (its VTEP addresses live on br-phy's
#            kernel interface there, not on this host's).
# 64-byte inner frames (60 + FCS) over 1024 UDP flows from a looping pcap.
# Each inner packet is counted once, at the sink: cycles/packet = the
# forwarding core's busy cycles (nfvd: worker busy_cycles; OVS:
# pmd-stats-show's processing cycles) over the packets the sink sent.
# Forwarding core: CPU 1; control / main lcore: CPU 0.
#
#   bench/vxlan_vs_ovs.sh [-b BUILD_DIR] [-d SECONDS] [-r ROUNDS] [-O]
#   -O: skip OVS. -r: nfvd and OVS one after the other ROUNDS times
#   (default 3); the ratio is the median of the per-round ratios (a noisy
#   host: two systems measured seconds apart can see different machines).
#   Results: a table on stdout and JSON lines in
#   bench/results/vxlan_vs_ovs-<date>.jsonl. Goal: nfvd >= 2x OVS-DPDK.
# Needs root, hugepages, openvswitch-switch-dpdk, python3.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/ovs.sh"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=
DURATION=3
OVS=1
ROUNDS=3
while getopts b:d:r:Oh opt; do
	case $opt in
	b) BUILD=$OPTARG ;;
	d) DURATION=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	O) OVS=0 ;;
	*) sed -n '3,27p' "$0"; exit 2 ;;
	esac
done
bench_find_build
[ "$OVS" = 0 ] || bench_need_ovs

bench_workdir vxbench
OUT=$ROOT/bench/results/vxlan_vs_ovs-$(date +%Y%m%d-%H%M%S).jsonl
mkdir -p "$ROOT/bench/results"
NS=${TAG}ns$$
UMAC=02:00:00:00:01:01 # the underlay's MAC: both VTEPs' next hop
cleanup() {
	bench_stop_all
	ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# ---- traffic: 64-byte UDP frames (60 + FCS), 1024 flows ----
python3 - "$W/flows.pcap" <<'EOF'
import struct, sys
def csum(b):
    s = sum(struct.unpack("!10H", b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(1024):
        src = bytes([10, 0, (i >> 8) & 0xff, i & 0xff])
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 46, 0, 0, 64, 17, 0, src, bytes([10, 1, 0, 1]))
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        udp = struct.pack("!HHHH", 1024 + i, 5001, 26, 0) + bytes(18)
        fr = bytes.fromhex("020000000002" "020000000001" "0800") + ip + udp
        f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)) + fr)
EOF

# ---- nfvd ----
cat > "$W/nfvd.yaml" <<EOT
version: 1
ports:
  - {name: src, driver: pcap, rx-file: $W/flows.pcap, loop: true}
  - {name: sink, driver: "null"}
  - {name: ul, driver: ring, mac: "$UMAC"}
  - {name: vx0, driver: vxlan, underlay: ul, local: 172.31.0.1, remote: 172.31.0.2, vni: 100,
     next-hop-mac: "$UMAC"}
  - {name: vx1, driver: vxlan, underlay: ul, local: 172.31.0.2, remote: 172.31.0.1, vni: 100,
     next-hop-mac: "$UMAC"}
chains:
  - {name: encap, ingress: [src], vnfs: [], egress: vx0}
  - {name: decap, ingress: [vx1], vnfs: [], egress: sink}
EOT

nfvd_run() {
	local sock=$W/nfvd.sock
	"$BUILD/nfvd" -s "$sock" --file-prefix ${TAG}nfvd -l 0,1 "$W/nfvd.yaml" \
		> "$W/nfvd.log" 2>&1 &
	local pid=$!
	PIDS+=($pid)
	bench_nfvd_up "$sock" "$pid" 600
	sleep 1
	"$BUILD/nfvctl" -s "$sock" --json stats > "$W/a.json"
	sleep "$DURATION"
	"$BUILD/nfvctl" -s "$sock" --json stats > "$W/b.json"
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	rm -f /dev/hugepages/"${TAG}"nfvd*
	python3 - "$W/a.json" "$W/b.json" "$DURATION" > "$W/r" <<'PYEOF'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
d = float(sys.argv[3])
tx = b["ports"]["sink"]["tx"] - a["ports"]["sink"]["tx"]
busy = lambda s: sum(x.get("busy_cycles", 0) for x in (s.get("workers") or [{}]))
drops = {}
for p in ("vx0", "vx1"):
    for k, v in b["ports"][p]["tunnel"]["drops"].items():
        if v:
            drops[p + ":" + k] = v
cpp = (busy(b) - busy(a)) / tx if tx else 0
print("%d %.0f %s" % (tx / d, cpp, json.dumps(drops, separators=(",", ":"))))
PYEOF
	read -r PPS CPP DROPS < "$W/r"
	report "nfvd-vxlan" "$PPS" "$CPP" "$DROPS"
}

# ---- OVS-DPDK, in a namespace of its own ----
ovs_run() {
	ip netns del "$NS" 2>/dev/null || true
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	# every OVS command of lib/ovs.sh runs in the namespace
	ovs() { OVS_RUNDIR=$W/ovs OVS_LOGDIR=$W/ovs OVS_DBDIR=$W/ovs ip netns exec "$NS" "$@"; }
	ovs_start
	vsctl add-br br-phy -- set bridge br-phy datapath_type=netdev \
		other_config:hwaddr="$UMAC"
	vsctl add-port br-phy ul -- set Interface ul type=dpdk \
		options:dpdk-devargs="net_ring0" options:n_rxq=2
	# (a ring port loops tx queue N to rx queue N: the PMD sends on queue
	# 1, so rx queue 1 must be polled too)
	ovs ip link set br-phy up
	ovs ip addr add 172.31.0.1/24 dev br-phy
	ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" ovs/route/add 172.31.0.1/32 br-phy
	ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" ovs/route/add 172.31.0.2/32 br-phy
	ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" tnl/arp/set br-phy 172.31.0.1 "$UMAC"
	ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" tnl/arp/set br-phy 172.31.0.2 02:00:00:00:01:02
	vsctl add-port br0 sink -- set Interface sink type=dpdk \
		options:dpdk-devargs="net_null0,no-rx=1" ofport_request=2
	vsctl add-port br0 vx0 -- set Interface vx0 type=vxlan ofport_request=3 \
		options:local_ip=172.31.0.1 options:remote_ip=172.31.0.2 options:key=100
	vsctl add-port br0 vx1 -- set Interface vx1 type=vxlan ofport_request=4 \
		options:local_ip=172.31.0.1 options:remote_ip=172.31.0.1 options:key=100
	ovs ovs-ofctl del-flows br0
	ovs ovs-ofctl add-flow br0 "in_port=1,actions=output:3"
	ovs ovs-ofctl add-flow br0 "in_port=4,actions=output:2"
	# the loop: what vx0 sends to 172.31.0.2 comes back on the ring and is
	# readdressed to this vswitchd's own VTEP (OVS does not tunnel to one
	# of its own addresses), where vx1 (remote = the source) decapsulates
	ovs ovs-ofctl del-flows br-phy
	ovs ovs-ofctl add-flow br-phy "in_port=LOCAL,actions=output:ul"
	ovs ovs-ofctl add-flow br-phy \
		"in_port=ul,udp,tp_dst=4789,actions=mod_nw_dst:172.31.0.1,mod_dl_dst:$UMAC,LOCAL"
	ovs ovs-ofctl add-flow br-phy "priority=0,actions=NORMAL"
	vsctl add-port br0 src -- set Interface src type=dpdk ofport_request=1 \
		options:dpdk-devargs="net_pcap0,rx_pcap=$W/flows.pcap,infinite_rx=1"
	sleep 1
	ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" dpif-netdev/pmd-stats-clear
	local a b st cpp n
	a=$(ovs_tx_pkts 2)
	sleep "$DURATION"
	b=$(ovs_tx_pkts 2)
	st=$(ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" dpif-netdev/pmd-stats-show)
	{
		echo "$st"
		ovs ovs-ofctl dump-ports br0
		ovs ovs-ofctl dump-ports br-phy
		ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" dpctl/dump-flows
		ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" tnl/ports/show
		ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" ofproto/trace br0 \
			in_port=1,dl_src=02:00:00:00:00:01,dl_dst=02:00:00:00:00:02,dl_type=0x0800,nw_src=10.0.0.1,nw_dst=10.1.0.1
		ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" ovs/route/show
		ovs ip addr show br-phy
		cat "$W/ovs/ovs-vswitchd.log"
	} > "$W/ovs-state.txt" 2>&1
	# processing cycles over the packets the sink sent (the PMD's own
	# per-packet average counts each packet twice: as received from src
	# and again from the underlay)
	cpp=$(echo "$st" | sed -n 's/.*processing cycles: *\([0-9]*\).*/\1/p' | head -1)
	n=$((b - a))
	vsctl del-port br0 src
	ovs_stop
	unset -f ovs
	ovs() { OVS_RUNDIR=$W/ovs OVS_LOGDIR=$W/ovs OVS_DBDIR=$W/ovs "$@"; }
	ip netns del "$NS"
	if [ "$n" -le 0 ]; then
		echo "ovs-dpdk: no packet reached the sink (KEEP=1: $W/ovs-state.txt)" >&2
		report "ovs-dpdk-vxlan" 0 0 "{}"
		return
	fi
	report "ovs-dpdk-vxlan" "$((n / DURATION))" "$(((${cpp:-0}) / n))" "{}"
}

# ---- report ----
declare -A ALL
printf "%-16s %9s %9s  %s\n" system Mpps cyc/pkt drops
report() { # system pps cpp drops
	ALL[$1]="${ALL[$1]:-} $3"
	printf "%-16s %9s %9s  %s\n" "$1" "$(python3 -c "print('%.3f' % ($2 / 1e6))")" "$3" "$4"
	printf '{"system":"%s","pps":%s,"cycles_per_packet":%s,"drops":%s}\n' \
		"$1" "$2" "$3" "$4" >> "$OUT"
}

for ((round = 1; round <= ROUNDS; round++)); do
	[ "$ROUNDS" -gt 1 ] && echo "-- round $round of $ROUNDS"
	nfvd_run
	[ "$OVS" = 1 ] && ovs_run
done
python3 - "${ALL[nfvd-vxlan]:-}" "${ALL[ovs-dpdk-vxlan]:-}" "$ROUNDS" "$OUT" <<'EOF'
import json, statistics, sys
nn = [float(x) for x in sys.argv[1].split()]
oo = [float(x) for x in sys.argv[2].split()]
n = statistics.median(nn)
o = statistics.median(oo) if oo else 0
# OVS cycles / nfvd cycles per round: > 1 means nfvd spends fewer
ratio = (statistics.median(y / x for x, y in zip(nn, oo) if x and y)
         if oo and len(oo) == len(nn) and any(x and y for x, y in zip(nn, oo)) else None)
print("medians of %s rounds: nfvd %.0f, OVS-DPDK %s cycles/packet" % (
    sys.argv[3], n, "%.0f" % o if oo else "-"))
if ratio:
    print("OVS-DPDK / nfvd cycles per packet: %.2fx (goal >= 2x), median of per-round ratios"
          % ratio)
with open(sys.argv[4], "a") as f:
    f.write(json.dumps({"system": "medians", "rounds": int(sys.argv[3]),
                        "nfvd_cycles_per_packet": n, "ovs_cycles_per_packet": o or None,
                        "paired_ratio_ovs_over_nfvd": ratio}) + "\n")
EOF
echo "results: $OUT"
