#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Router throughput on one forwarding core, side by side in one run:
#   testpmd io    pcap -> null, no work (the I/O floor)
#   nfvd router   chain src -> [rtr] (100 /24 routes via one static neighbour)
#   nfvd router   the same with 1,000,000 extra IPv4 routes installed
#   OVS-DPDK      100 OpenFlow flows: ip,nw_dst=P/24 -> set MACs, dec_ttl, output
# 64-byte UDP frames over 1024 flows and 100 destination prefixes from a
# looping pcap (net_pcap infinite_rx=1, the same source for all), into a
# null sink. Mpps from the sink's tx counter over DURATION; cycles/packet
# from nfvd's worker stats, OVS's pmd-stats-show and testpmd's
# --record-core-cycles. Also prints the 1M-route load time (router log).
# Forwarding core: CPU 1; control / main lcore: CPU 0.
#
#   bench/router_vs_ovs.sh [-b BUILD_DIR] [-d SECONDS] [-r ROUNDS] [-O] [-T] [-M]
#   -O: skip OVS; -T: skip testpmd; -M: skip the 1M-route run.
#   -r: run testpmd, nfvd (100 and 1M routes) and OVS one after the other ROUNDS times (default
#   1) and compare medians: on a VM whose neighbours come and go, two
#   systems measured seconds apart can see different machines; alternating
#   them and taking each one's median keeps the ratio honest.
#   Results: a table on stdout and JSON lines in
#   bench/results/router_vs_ovs-<date>.jsonl. Target: nfvd >= 2.5x OVS and
#   >= 0.5x testpmd.
# Needs root, hugepages, dpdk-testpmd, openvswitch-switch-dpdk, python3.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/testpmd.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/ovs.sh"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=
DURATION=3
OVS=1
TESTPMD=1
MILLION=1
ROUNDS=1
while getopts b:d:r:OTMh opt; do
	case $opt in
	b) BUILD=$OPTARG ;;
	d) DURATION=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	O) OVS=0 ;;
	T) TESTPMD=0 ;;
	M) MILLION=0 ;;
	*) sed -n '3,20p' "$0"; exit 2 ;;
	esac
done
bench_find_build
bench_need_testpmd
[ "$OVS" = 0 ] || bench_need_ovs

bench_workdir rtrbench
OUT=$ROOT/bench/results/router_vs_ovs-$(date +%Y%m%d-%H%M%S).jsonl
mkdir -p "$ROOT/bench/results"
RMAC=02:00:00:00:00:02 # router's "in" interface (the pcap's destination MAC)
NMAC=02:00:00:00:00:09 # the next hop behind the sink
cleanup() { bench_stop_all; }
trap cleanup EXIT INT TERM

# ---- traffic: 64-byte UDP frames (60 + FCS), 1024 flows, 100 prefixes ----
python3 - "$W/flows.pcap" "$RMAC" <<'EOF'
import struct, sys
path, rmac = sys.argv[1], bytes.fromhex(sys.argv[2].replace(":", ""))
def csum(b):
    s = sum(struct.unpack("!10H", b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
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
EOF

# ---- nfvd ----
rtr_yaml() { # extra_routes
	cat <<EOT
version: 1
ports:
  - {name: src, driver: pcap, rx-file: $W/flows.pcap, loop: true}
  - {name: sink, driver: "null"}
vnfs:
  - name: rtr
    class: router
    max-routes: $(($1 + 1024))
    interfaces:
      - {name: in, port: src, addresses: [10.0.0.254/8], mac: "$RMAC"}
      - {name: out, port: sink, addresses: [192.168.0.254/24]}
    neighbours:
      - {address: 192.168.0.1, mac: "$NMAC"}
    routes:
EOT
	for ((p = 0; p < 100; p++)); do
		echo "      - {prefix: 172.16.$p.0/24, via: 192.168.0.1}"
	done
	# extra routes (Internet-like prefix lengths) from a routes file: the
	# fast loader; the traffic's 100 /24s stay the most specific match
	if [ "$1" -gt 0 ]; then
		[ -s "$W/routes.txt" ] ||
			python3 "$ROOT/bench/router_routes_gen.py" "$1" --via 192.168.0.1 > "$W/routes.txt"
		echo "    routes-file: $W/routes.txt"
	fi
	echo "chains:"
	echo "  - {name: c, ingress: [src], vnfs: [rtr]}"
}

nfvd_run() { # label extra_routes
	local label=$1 extra=$2 sock=$W/nfvd.sock t0 t1
	rtr_yaml "$extra" > "$W/nfvd.yaml"
	t0=$(date +%s%N)
	"$BUILD/nfvd" -s "$sock" --file-prefix ${TAG}nfvd -l 0,1 "$W/nfvd.yaml" \
		> "$W/nfvd.log" 2>&1 &
	local pid=$!
	PIDS+=($pid)
	bench_nfvd_up "$sock" "$pid" 1200
	t1=$(date +%s%N)
	sleep 1
	bench_nfvd_window "$sock" "$pid" rtr > "$W/r"
	read -r PPS CPP DROPS < "$W/r"
	report "$label" "$((extra + 100))" "$PPS" "$CPP" "$DROPS"
	local load
	load=$(sed -n 's/.*routes loaded in \([0-9]*\) ms.*/\1/p' "$W/nfvd.log" | head -1)
	if [ "$extra" -gt 0 ]; then
		printf "  %d routes: FIB load %s ms (router), start-up (nfvd start to control socket answering) %d ms\n" \
			"$((extra + 100))" "${load:-?}" "$(((t1 - t0) / 1000000))"
		printf '{"system":"load","routes":%d,"fib_load_ms":%s,"startup_ms":%d}\n' \
			"$((extra + 100))" "${load:-null}" "$(((t1 - t0) / 1000000))" >> "$OUT"
	fi
}

# ---- testpmd io ----
testpmd_run() {
	bench_testpmd_io "$W/flows.pcap" 16384
	report "testpmd-io" 0 "$TP_PPS" "$TP_CPP" "{}"
}

# ---- OVS-DPDK ----
ovs_run() {
	ovs_start
	vsctl add-port br0 sink -- set Interface sink type=dpdk \
		options:dpdk-devargs="net_null0,no-rx=1" ofport_request=2
	ovs ovs-ofctl del-flows br0
	for ((p = 0; p < 100; p++)); do
		echo "table=0,priority=100,ip,nw_dst=172.16.$p.0/24,actions=mod_dl_src:$RMAC,mod_dl_dst:$NMAC,dec_ttl,output:2"
	done > "$W/flows.of"
	ovs ovs-ofctl add-flows br0 "$W/flows.of"
	vsctl add-port br0 src -- set Interface src type=dpdk ofport_request=1 \
		options:dpdk-devargs="net_pcap0,rx_pcap=$W/flows.pcap,infinite_rx=1"
	sleep 1
	ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" dpif-netdev/pmd-stats-clear
	local a b cpp
	a=$(ovs_tx_pkts 2)
	sleep "$DURATION"
	b=$(ovs_tx_pkts 2)
	cpp=$(ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" dpif-netdev/pmd-stats-show |
		sed -n 's/.*avg processing cycles per packet: *\([0-9.]*\).*/\1/p' | head -1)
	vsctl del-port br0 src
	ovs_stop
	report "ovs-dpdk" 100 "$(( (b - a) / DURATION ))" "${cpp:-0}" "{}"
}

# ---- report ----
declare -A RATE
declare -A RATES_ALL
printf "%-14s %8s %9s %9s  %s\n" system routes Mpps cyc/pkt drops
report() { # system routes pps cpp drops
	RATE[$1]=$3
	RATES_ALL[$1]="${RATES_ALL[$1]:-} $3"
	printf "%-14s %8s %9s %9s  %s\n" "$1" "$2" \
		"$(python3 -c "print('%.3f' % ($3 / 1e6))")" "$4" "$5"
	printf '{"system":"%s","routes":%s,"pps":%s,"cycles_per_packet":%s,"drops":%s}\n' \
		"$1" "$2" "$3" "$4" "$5" >> "$OUT"
}

for ((round = 1; round <= ROUNDS; round++)); do
	[ "$ROUNDS" -gt 1 ] && echo "-- round $round of $ROUNDS"
	[ "$TESTPMD" = 1 ] && testpmd_run
	nfvd_run "nfvd-router" 0
	[ "$MILLION" = 1 ] && nfvd_run "nfvd-router-1M" 1000000
	[ "$OVS" = 1 ] && ovs_run
done
python3 - "${RATES_ALL[nfvd-router]:-0}" "${RATES_ALL[ovs-dpdk]:-0}" "${RATES_ALL[testpmd-io]:-0}" \
	"$ROUNDS" "$OUT" "${RATES_ALL[nfvd-router-1M]:-0}" <<'EOF'
import json, statistics, sys
rr, oo, tt, mm = ([float(x) for x in a.split()] for a in sys.argv[1:4] + sys.argv[6:7])
r, o, t, m = (statistics.median(v) for v in (rr, oo, tt, mm))
def paired(a, b):
    # each round measured both within seconds: the median of the per-round
    # ratios is the estimate that drift of the machine between rounds
    # does not move
    if len(a) != len(b) or not all(b):
        return None
    return statistics.median(x / y for x, y in zip(a, b))
po, pt, pm = paired(rr, oo), paired(rr, tt), paired(mm, rr)
if int(sys.argv[4]) > 1:
    print("medians of %s rounds: nfvd-router %.3f, nfvd-router-1M %.3f, testpmd-io %.3f, "
          "ovs-dpdk %.3f Mpps" % (sys.argv[4], r / 1e6, m / 1e6, t / 1e6, o / 1e6))
    with open(sys.argv[5], "a") as f:
        f.write(json.dumps({"system": "medians", "rounds": int(sys.argv[4]),
                            "nfvd_router_pps": r, "nfvd_router_1m_pps": m,
                            "testpmd_io_pps": t, "ovs_dpdk_pps": o,
                            "paired_ratio_ovs": po, "paired_ratio_testpmd": pt,
                            "paired_ratio_1m": pm}) + "\n")
if m:
    print("nfvd router 1M routes / 100 routes: %.2fx%s" % (
        pm if pm is not None else m / r, " median of per-round ratios" if pm else ""))
if o:
    print("nfvd router / OVS-DPDK:   %.2fx (target >= 2.5x)%s" % (
        po if po is not None else r / o, " median of per-round ratios" if po else ""))
if t:
    print("nfvd router / testpmd io: %.2fx (target >= 0.5x)%s" % (
        pt if pt is not None else r / t, " median of per-round ratios" if pt else ""))
EOF
echo "results: $OUT"
