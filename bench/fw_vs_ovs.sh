#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Firewall throughput on one forwarding core, side by side in one run:
#   testpmd io    pcap -> null, no work (the I/O floor)
#   nfvd fw       chain src -> [firewall] -> sink
#   nfvd rtr+fw   chain src -> [firewall, router] (router: static neighbour)
#   OVS-DPDK      the same rules as OpenFlow flows; ct() for stateful
# 64-byte UDP frames from a looping pcap (net_pcap infinite_rx=1, the same
# source for all), into a null sink; 1024 and 100k flows; 10, 100, 1000
# rules (N-1 that do not match, then the allow rule: the worst case for a
# linear classifier); stateless and stateful (tracked connections: the
# first packet of a flow creates the entry, the rest hit it).
# Mpps from the sink's tx counter over DURATION; cycles/packet from nfvd's
# worker stats, OVS's pmd-stats-show and testpmd's --record-core-cycles.
# Forwarding core: CPU 1; control / main lcore: CPU 0.
#
#   bench/fw_vs_ovs.sh [-b BUILD_DIR] [-d SECONDS] [-f "1024 100000"]
#                      [-r "10 100 1000"] [-m "stateless stateful"] [-O] [-T]
#   -O: skip OVS; -T: skip testpmd. Results: a table on stdout and JSON
#   lines in bench/results/fw_vs_ovs-<date>.jsonl.
# Needs root, hugepages, dpdk-testpmd, openvswitch-switch-dpdk, python3.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/testpmd.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/ovs.sh"
ARGS="$*"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=
DURATION=3
FLOWS="1024 100000"
RULES="10 100 1000"
MODES="stateless stateful"
OVS=1
TESTPMD=1
while getopts b:d:f:r:m:OTh opt; do
	case $opt in
	b) BUILD=$OPTARG ;;
	d) DURATION=$OPTARG ;;
	f) FLOWS=$OPTARG ;;
	r) RULES=$OPTARG ;;
	m) MODES=$OPTARG ;;
	O) OVS=0 ;;
	T) TESTPMD=0 ;;
	*) sed -n '3,23p' "$0"; exit 2 ;;
	esac
done
bench_find_build
bench_need_testpmd
[ "$OVS" = 0 ] || bench_need_ovs

bench_workdir fwbench
OUT=$ROOT/bench/results/fw_vs_ovs-$(date +%Y%m%d-%H%M%S).jsonl
mkdir -p "$ROOT/bench/results"
cleanup() { bench_stop_all; }
trap cleanup EXIT INT TERM

# ---- traffic: 64-byte UDP frames (60 + FCS), one per flow ----
gen_pcap() { # flows file
	python3 - "$1" "$2" <<'EOF'
import struct, sys
n, path = int(sys.argv[1]), sys.argv[2]
def csum(b):
    s = sum(struct.unpack("!10H", b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i in range(n):
        src = bytes([10, (i >> 16) & 0xff, (i >> 8) & 0xff, i & 0xff])
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 46, 0, 0, 64, 17, 0, src,
                         bytes([192, 168, 0, 1]))
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        udp = struct.pack("!HHHH", 1024 + i % 50000, 5001, 26, 0) + bytes(18)
        eth = bytes.fromhex("020000000002" "020000000001" "0800")
        fr = eth + ip + udp
        f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)) + fr)
EOF
}

# ---- nfvd ----
fw_yaml() { # rules mode pcap router(0|1)
	local n=$1 mode=$2 pcap=$3 rtr=$4 st=false i stages="[fw]" egress=", egress: sink"
	[ "$mode" = stateful ] && st=true
	if [ "$rtr" = 1 ]; then
		stages="[fw, rtr]"
		egress=""
	fi
	cat <<EOT
version: 1
nfvd: {mbufs: $((FLOWS_NOW + 32768))}
ports:
  - {name: src, driver: pcap, rx-file: $pcap, loop: true}
  - {name: sink, driver: "null"}
vnfs:
  - name: fw
    class: firewall
    default: drop
    conntrack: {max: 262144}
    rules:
EOT
	for ((i = 0; i < n - 1; i++)); do
		echo "      - {action: drop, proto: udp, src: 172.16.$((i >> 8)).$((i & 255))/32, dport: $((1000 + i))}"
	done
	echo "      - {action: allow, proto: udp, dst: 192.168.0.0/16, stateful: $st}"
	if [ "$rtr" = 1 ]; then
		cat <<EOT
  - name: rtr
    class: router
    interfaces:
      - {name: in, port: src, addresses: [10.255.255.254/8], mac: "02:00:00:00:00:02"}
      - {name: out, port: sink, addresses: [192.168.0.254/24]}
    neighbours:
      - {address: 192.168.0.1, mac: "02:00:00:00:00:09", interface: out}
EOT
	fi
	echo "chains:"
	echo "  - {name: c, ingress: [src], vnfs: $stages$egress}"
}

nfvd_run() { # label flows rules mode router
	local label=$1 flows=$2 n=$3 mode=$4 rtr=$5 sock=$W/nfvd.sock
	FLOWS_NOW=$flows # net_pcap infinite_rx keeps the whole file in mbufs
	fw_yaml "$n" "$mode" "$W/flows$flows.pcap" "$rtr" > "$W/nfvd.yaml"
	"$BUILD/nfvd" -s "$sock" --file-prefix ${TAG}nfvd -l 0,1 "$W/nfvd.yaml" \
		> "$W/nfvd.log" 2>&1 &
	local pid=$!
	PIDS+=($pid)
	bench_nfvd_up "$sock" "$pid" 200
	sleep 1 # warm-up: flows get their conntrack entries, caches fill
	bench_nfvd_window "$sock" "$pid" fw > "$W/r"
	read -r PPS CPP DROPS < "$W/r"
	report "$label" "$flows" "$n" "$mode" "$PPS" "$CPP" "$DROPS"
}

# ---- testpmd io ----
testpmd_run() { # flows
	local flows=$1
	bench_testpmd_io "$W/flows$flows.pcap" $((flows + 32768))
	report "testpmd-io" "$flows" 0 "-" "$TP_PPS" "$TP_CPP" "{}"
}

# ---- OVS-DPDK ----
ovs_flows() { # rules mode router
	local n=$1 mode=$2 rtr=$3 i t=0 out="output:2"
	[ "$rtr" = 1 ] && out="mod_dl_src:02:00:00:00:00:08,mod_dl_dst:02:00:00:00:00:09,dec_ttl,output:2"
	if [ "$mode" = stateful ]; then
		echo "table=0,priority=65000,ip,ct_state=-trk,actions=ct(table=1)"
		echo "table=1,priority=65000,ip,ct_state=+trk+est,actions=$out"
		t=1
	fi
	for ((i = 0; i < n - 1; i++)); do
		echo "table=$t,priority=$((60000 - i)),udp,nw_src=172.16.$((i >> 8)).$((i & 255)),tp_dst=$((1000 + i)),actions=drop"
	done
	if [ "$mode" = stateful ]; then
		echo "table=1,priority=1000,ct_state=+trk+new,udp,nw_dst=192.168.0.0/16,actions=ct(commit),$out"
	else
		echo "table=0,priority=1000,udp,nw_dst=192.168.0.0/16,actions=$out"
	fi
}
ovs_run() { # label flows rules mode router
	local label=$1 flows=$2 n=$3 mode=$4 rtr=$5
	ovs ovs-ofctl del-flows br0
	ovs_flows "$n" "$mode" "$rtr" > "$W/flows.of"
	ovs ovs-ofctl add-flows br0 "$W/flows.of"
	vsctl --if-exists del-port br0 src
	ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" dpctl/flush-conntrack >/dev/null 2>&1 || true
	# ports only while OVS is measured: a PMD thread with a port to poll
	# spins on the forwarding core and would halve the other systems' runs
	vsctl add-port br0 sink -- set Interface sink type=dpdk \
		options:dpdk-devargs="net_null0,no-rx=1" ofport_request=2
	vsctl add-port br0 src -- set Interface src type=dpdk ofport_request=1 \
		options:dpdk-devargs="net_pcap$flows,rx_pcap=$W/flows$flows.pcap,infinite_rx=1"
	sleep 1
	ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" dpif-netdev/pmd-stats-clear
	local a b
	a=$(ovs_tx_pkts 2)
	sleep "$DURATION"
	b=$(ovs_tx_pkts 2)
	local cpp
	cpp=$(ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" dpif-netdev/pmd-stats-show |
		sed -n 's/.*avg processing cycles per packet: *\([0-9.]*\).*/\1/p' | head -1)
	vsctl del-port br0 src
	vsctl del-port br0 sink
	report "$label" "$flows" "$n" "$mode" "$(( (b - a) / DURATION ))" "${cpp:-0}" "{}"
}

# ---- report ----
printf "%-12s %7s %6s %-10s %9s %9s  %s\n" system flows rules mode Mpps cyc/pkt drops
report() { # system flows rules mode pps cpp drops
	printf "%-12s %7s %6s %-10s %9s %9s  %s\n" "$1" "$2" "$3" "$4" \
		"$(python3 -c "print('%.3f' % ($5 / 1e6))")" "$6" "$7"
	printf '{"system":"%s","flows":%s,"rules":%s,"mode":"%s","pps":%s,"cycles_per_packet":%s,"drops":%s}\n' \
		"$1" "$2" "$3" "$4" "$5" "$6" "$7" >> "$OUT"
}

printf '{"command":"%s","date":"%s","loadavg":"%s"}\n' "$0 $ARGS" "$(date -Is)" \
	"$(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT"
for f in $FLOWS; do
	gen_pcap "$f" "$W/flows$f.pcap"
done
[ "$OVS" = 1 ] && ovs_start
for f in $FLOWS; do
	[ "$TESTPMD" = 1 ] && testpmd_run "$f"
	for n in $RULES; do
		for m in $MODES; do
			nfvd_run "nfvd-fw" "$f" "$n" "$m" 0
			[ "$OVS" = 1 ] && ovs_run "ovs" "$f" "$n" "$m" 0
		done
	done
	# the issue's target: router + stateful firewall, 100 rules
	nfvd_run "nfvd-rtr+fw" "$f" 100 stateful 1
	[ "$OVS" = 1 ] && ovs_run "ovs-rtr+fw" "$f" 100 stateful 1
done
echo "results: $OUT"
