#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# NAT44 (source NAT, masquerade) on one forwarding core, side by side in one run:
#   nfvd nat      chain src -> [fw (nat: snat masquerade)] -> sink
#   nfvd lab      chain src -> [fw+nat, router] (the lab chain: stateful rule,
#                 masquerade, routed to a static neighbour by a default route)
#   OVS-DPDK      ct(commit,nat(src=203.0.113.1:1024-65535)),output (one pass:
#                 the cheapest OVS NAT recipe, no recirculation)
#   Linux nft     masquerade on kernel veth (a namespace forwarding between two
#                 veths); fed by testpmd io through net_af_packet on CPU 1, so
#                 the kernel's forwarding, conntrack and NAT run in the sending
#                 core's softirq; "linux-fwd" is the same path without nft
# 64-byte UDP frames from a looping pcap (net_pcap infinite_rx=1, the same
# source for all), F flows = F/4 internal endpoints (source address and
# port) x 4 destinations: every endpoint keeps one mapping for its 4
# destinations (endpoint-independent mapping) and one address suffices.
# Mpps from the egress counter over DURATION; cycles/packet from nfvd's
# worker busy cycles, OVS's pmd-stats-show, and for the kernel the core's
# whole clock over its packets (testpmd keeps CPU 1 busy: it includes the
# af_packet send). Session setup (new flows per second on one core): a
# pcap read once in which every packet is a new internal endpoint (SETUP
# flows, a pool of 8 addresses); the busy cycles per packet of that pass
# less those of the same pass without NAT (the file's read) are the cost
# of a new session; TSC Hz / that = new sessions/s, for nfvd and OVS.
# Forwarding core: CPU 1; control / main lcore: CPU 0.
#
#   bench/nat_vs_ovs.sh [-b BUILD_DIR] [-d SECONDS] [-f "1024 100000"] [-r ROUNDS]
#                       [-s SETUP_FLOWS] [-O] [-K] [-N] [-S]
#   -O: skip OVS; -K: skip the kernel (nft); -N: skip nfvd; -S: skip session setup.
#   -r: all systems one after the other per round, ROUNDS times (default 3);
#   the summary gives each system's median and the median of the per-round
#   ratios (the host drifts between rounds; a ratio of two systems measured
#   seconds apart does not). Results: a table on stdout, JSON lines in
#   bench/results/nat_vs_ovs-<date>.jsonl. Targets (issue 14): nfvd >= 3x
#   OVS-DPDK at 100,000 flows, >= 10x nft; >= 1 M new sessions/s per core.
# Needs root, hugepages, dpdk-testpmd, openvswitch-switch-dpdk, nftables, python3.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh"
. "$(dirname "${BASH_SOURCE[0]}")/lib/ovs.sh"
ARGS="$*"

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=
DURATION=3
FLOWS="1024 100000"
ROUNDS=3
SETUP=400000
OVS=1
KERNEL=1
NFVD=1
SETUP_RUN=1
while getopts b:d:f:r:s:OKNSh opt; do
	case $opt in
	b) BUILD=$OPTARG ;;
	d) DURATION=$OPTARG ;;
	f) FLOWS=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	s) SETUP=$OPTARG ;;
	O) OVS=0 ;;
	K) KERNEL=0 ;;
	N) NFVD=0 ;;
	S) SETUP_RUN=0 ;;
	*) sed -n '3,36p' "$0"; exit 2 ;;
	esac
done
[ "$NFVD" = 0 ] || bench_find_build
[ "$KERNEL" = 0 ] || { bench_need_testpmd; command -v nft >/dev/null ||
	die "no nft: apt-get install nftables"; }
[ "$OVS" = 0 ] || bench_need_ovs

bench_workdir natbench
OUT=$ROOT/bench/results/nat_vs_ovs-$(date +%Y%m%d-%H%M%S).jsonl
mkdir -p "$ROOT/bench/results"
PUB=203.0.113.1                   # the public (masquerade) address
POOL_LO=198.51.100.1 POOL_HI=198.51.100.8 # session-setup pool (8 x 64,512 ports)
RMAC=02:00:00:00:00:02            # the frames' destination MAC (router / kernel)
NMAC=02:00:00:00:00:09            # the next hop behind the sink
KNS=${TAG}k$$                     # kernel: the NAT namespace
KSINK=${TAG}s$$                   # kernel: the sink namespace
KG=natbg$$ KI=natbi$$ KO=natbo$$ KS=natbs$$ # veths: gen<->in, out<->sink
TSC_HZ=
cleanup() {
	kernel_down
	bench_stop_all
}
trap cleanup EXIT INT TERM

# ---- traffic: 64-byte UDP frames (60 + FCS) ----
# gen_pcap FLOWS FILE DSTS: flow i = endpoint i / DSTS (10.0.0.0/8 address,
# source port) to 198.18.0.(1 + i % DSTS):5001
gen_pcap() {
	python3 - "$1" "$2" "$3" "$RMAC" <<'EOF'
import struct, sys
n, path, dsts = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
dmac = bytes.fromhex(sys.argv[4].replace(":", ""))
def csum(b):
    s = sum(struct.unpack("!10H", b))
    s = (s >> 16) + (s & 0xffff); s += s >> 16
    return ~s & 0xffff
with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    eth = dmac + bytes.fromhex("020000000001" "0800")
    for i in range(n):
        e = i // dsts
        src = bytes([10, (e >> 16) & 0xff, (e >> 8) & 0xff, e & 0xff])
        dst = bytes([198, 18, 0, 1 + i % dsts])
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 46, 0, 0, 64, 17, 0, src, dst)
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        udp = struct.pack("!HHHH", 1024 + (e * 7) % 60000, 5001, 26, 0) + bytes(18)
        fr = eth + ip + udp
        f.write(struct.pack("<IIII", 0, 0, len(fr), len(fr)) + fr)
EOF
}

# ---- report ----
declare -A RATES_ALL
printf "%-12s %8s %9s %9s  %s\n" system flows Mpps cyc/pkt notes
report() { # system flows pps cpp notes-json
	RATES_ALL[$1/$2]="${RATES_ALL[$1/$2]:-} $3"
	printf "%-12s %8s %9s %9s  %s\n" "$1" "$2" \
		"$(python3 -c "print('%.3f' % ($3 / 1e6))")" "$4" "$5"
	printf '{"system":"%s","flows":%s,"round":%s,"pps":%s,"cycles_per_packet":%s,"notes":%s}\n' \
		"$1" "$2" "$ROUND" "$3" "$4" "$5" >> "$OUT"
}
report_setup() { # system flows cycles-per-new-session notes-json
	local rate
	rate=$(python3 -c "c=float('$3'); print('%.0f' % ($TSC_HZ / c if c else 0))")
	RATES_ALL[$1/setup]="${RATES_ALL[$1/setup]:-} $rate"
	printf "%-12s %8s %9s %9s  new sessions/s per core (TSC Hz / cycles); %s\n" \
		"$1-setup" "$2" "$(python3 -c "print('%.3f' % ($rate / 1e6))")" "$3" "$4"
	printf '{"system":"%s-setup","flows":%s,"round":%s,"sessions_per_s":%s,"cycles_per_session":%s,"notes":%s}\n' \
		"$1" "$2" "$ROUND" "$rate" "$3" "$4" >> "$OUT"
}

# ---- nfvd ----
nfvd_yaml() { # pcap mbufs lab(0|1) setup(0|1|2: the setup pass without NAT)
	# without a router no interface owns 203.0.113.1: a one-address pool
	# (the same translation as masquerade); the lab chain masquerades
	local pcap=$1 mbufs=$2 lab=$3 setup=$4 loop=true to="pool: [$PUB]" stages="[fw]"
	local egress=", egress: sink"
	[ "$setup" != 0 ] && loop=false && to="pool: [$POOL_LO-$POOL_HI]"
	[ "$lab" = 1 ] && stages="[fw, rtr]" && egress="" && to="masquerade: $PUB"
	if [ "$setup" = 2 ]; then
		cat <<EOT
version: 1
nfvd: {mbufs: $mbufs}
ports:
  - {name: src, driver: pcap, rx-file: $pcap, loop: false}
  - {name: sink, driver: "null"}
vnfs:
  - {name: fw, class: firewall, default: allow}
chains:
  - {name: c, ingress: [src], vnfs: [fw], egress: sink}
EOT
		return
	fi
	cat <<EOT
version: 1
nfvd: {mbufs: $mbufs}
ports:
  - {name: src, driver: pcap, rx-file: $pcap, loop: $loop}
  - {name: sink, driver: "null"}
vnfs:
  - name: fw
    class: firewall
    default: drop
    conntrack: {max: $((SETUP * 2 > 262144 ? SETUP * 2 : 262144))}
    nat:
      snat:
        - {name: out, in-port: src, from: [10.0.0.0/8], outside-port: sink, $to}
    rules:
      - {name: out, action: allow, in-port: src, stateful: true}
EOT
	if [ "$lab" = 1 ]; then
		cat <<EOT
  - name: rtr
    class: router
    interfaces:
      - {name: in, port: src, addresses: [10.255.255.254/8], mac: "$RMAC"}
      - {name: out, port: sink, addresses: [$PUB/24]}
    neighbours:
      - {address: 203.0.113.2, mac: "$NMAC", interface: out}
    routes:
      - {prefix: 0.0.0.0/0, via: 203.0.113.2}
EOT
	fi
	echo "chains:"
	echo "  - {name: c, ingress: [src], vnfs: $stages$egress}"
}

nfvd_start() { # yaml -> NPID
	local sock=$W/nfvd.sock
	"$BUILD/nfvd" -s "$sock" --file-prefix ${TAG}nfvd -l 0,1 "$1" > "$W/nfvd.log" 2>&1 &
	NPID=$!
	PIDS+=($NPID)
	bench_nfvd_up "$sock" "$NPID" 600
}

nfvd_run() { # label flows lab
	local label=$1 flows=$2 lab=$3
	nfvd_yaml "$W/flows$flows.pcap" $((flows + 32768)) "$lab" 0 > "$W/nfvd.yaml"
	nfvd_start "$W/nfvd.yaml"
	sleep 1 # warm-up: every flow has its session after the first pass
	bench_nfvd_window "$W/nfvd.sock" "$NPID" fw > "$W/r"
	read -r PPS CPP DROPS < "$W/r"
	report "$label" "$flows" "$PPS" "$CPP" "{\"drops\":$DROPS}"
}

# the pcap read once, every packet a new endpoint: the worker's busy
# cycles per packet of that pass, with NAT (mode 1) and without (mode 2:
# a stateless allow-all firewall, the pcap read and the stage's parse);
# prints "CYCLES NOTES"
nfvd_setup_pass() { # mode
	local sock=$W/nfvd.sock a=-1 b
	nfvd_yaml "$W/setup.pcap" 65536 0 "$1" > "$W/nfvd.yaml"
	nfvd_start "$W/nfvd.yaml"
	# until the file is read: all of it out, or the sink's count still for 2 s
	local still=0
	for _ in $(seq 600); do
		b=$("$BUILD/nfvctl" -s "$sock" --json stats | python3 -c \
			'import json,sys; print(json.load(sys.stdin)["ports"]["sink"]["tx"])')
		[ "$b" -ge "$SETUP" ] && break
		if [ "$b" = "$a" ] && [ "$b" -gt 0 ]; then
			still=$((still + 1))
			[ "$still" -ge 4 ] && break
		else
			still=0
		fi
		a=$b
		sleep 0.5
	done
	"$BUILD/nfvctl" -s "$sock" --json stats > "$W/s.json"
	kill "$NPID"
	wait "$NPID" 2>/dev/null || true
	rm -f /dev/hugepages/"${TAG}"nfvd*
	python3 - "$W/s.json" <<'PYEOF'
import json, sys
s = json.load(open(sys.argv[1]))
w = s.get("workers") or [{}]
c, p = sum(x.get("busy_cycles", 0) for x in w), sum(x.get("packets", 0) for x in w)
tx = s["ports"]["sink"]["tx"]
drops = {k: v for k, v in s["vnfs"]["fw"]["drops"].items() if v}
print("%.0f %s" % (c / p if p else 0,
                   json.dumps({"forwarded": tx, "drops": drops}, separators=(",", ":"))))
PYEOF
}
nfvd_setup() {
	local nat base n1 n2
	read -r nat n1 < <(nfvd_setup_pass 1)
	read -r base n2 < <(nfvd_setup_pass 2)
	report_setup nfvd "$SETUP" "$((nat - base))" \
		"{\"with_nat\":$nat,\"without\":$base,\"nat\":$n1,\"base\":$n2}"
}

# ---- OVS-DPDK ----
ovs_nat_flows() { # nat-spec
	echo "table=0,priority=100,ip,in_port=1,actions=ct(commit,nat(src=$1)),mod_dl_src:$RMAC,mod_dl_dst:$NMAC,output:2"
}
ovs_ports_up() { # pcap
	vsctl add-port br0 sink -- set Interface sink type=dpdk \
		options:dpdk-devargs="net_null0,no-rx=1" ofport_request=2
	ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" dpif-netdev/pmd-stats-clear
	vsctl add-port br0 src -- set Interface src type=dpdk ofport_request=1 \
		options:dpdk-devargs="net_pcap$OVS_N,rx_pcap=$1,infinite_rx=$2"
	OVS_N=$((OVS_N + 1))
}
ovs_ports_down() {
	vsctl del-port br0 src
	vsctl del-port br0 sink
	ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" dpctl/flush-conntrack >/dev/null 2>&1 || true
}
ovs_cpp() {
	ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" dpif-netdev/pmd-stats-show |
		sed -n 's/.*avg processing cycles per packet: *\([0-9.]*\).*/\1/p' | head -1
}
OVS_N=0
ovs_run() { # flows
	local flows=$1 a b cpp
	ovs ovs-ofctl del-flows br0
	ovs_nat_flows "$PUB:1024-65535" > "$W/flows.of"
	ovs ovs-ofctl add-flows br0 "$W/flows.of"
	# ports only while OVS is measured: a PMD thread with a port to poll
	# spins on the forwarding core and would halve the other systems' runs
	ovs_ports_up "$W/flows$flows.pcap" 1
	sleep 1
	ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" dpif-netdev/pmd-stats-clear
	a=$(ovs_tx_pkts 2)
	sleep "$DURATION"
	b=$(ovs_tx_pkts 2)
	cpp=$(ovs_cpp)
	local conns
	conns=$(ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" dpctl/ct-stats-show 2>/dev/null |
		sed -n 's/^[[:space:]]*[Tt]otal: *\([0-9]*\).*/\1/p' | head -1)
	# translated: the entries' reply tuples go to the public address
	local nat
	nat=$(ovs ovs-appctl -t "$W/ovs/ovs-vswitchd.ctl" dpctl/dump-conntrack 2>/dev/null |
		grep -c "dst=$PUB,") || true
	ovs_ports_down
	report ovs "$flows" "$(((b - a) / DURATION))" "${cpp:-0}" \
		"{\"conntrack\":${conns:-null},\"translated\":${nat:-0}}"
}
# the setup pass through OVS with the NAT flow (mode 1) and with a plain
# output flow (mode 2); prints "CYCLES FORWARDED"
ovs_setup_pass() {
	local a=-1 b cpp
	ovs ovs-ofctl del-flows br0
	if [ "$1" = 1 ]; then
		ovs_nat_flows "$POOL_LO-$POOL_HI:1024-65535" > "$W/flows.of"
	else
		echo "table=0,priority=100,ip,in_port=1,actions=mod_dl_src:$RMAC,mod_dl_dst:$NMAC,output:2" \
			> "$W/flows.of"
	fi
	ovs ovs-ofctl add-flows br0 "$W/flows.of"
	ovs_ports_up "$W/setup.pcap" 0
	local still=0
	for _ in $(seq 600); do
		sleep 0.5
		b=$(ovs_tx_pkts 2)
		[ "${b:-0}" -ge "$SETUP" ] && break
		if [ "$b" = "$a" ] && [ "${b:-0}" -gt 0 ]; then
			still=$((still + 1))
			[ "$still" -ge 4 ] && break
		else
			still=0
		fi
		a=$b
	done
	cpp=$(ovs_cpp)
	ovs_ports_down
	echo "${cpp:-0} ${b:-0}"
}
ovs_setup() {
	local nat base f1 f2
	read -r nat f1 < <(ovs_setup_pass 1)
	read -r base f2 < <(ovs_setup_pass 2)
	report_setup ovs "$SETUP" "$(python3 -c "print('%.0f' % ($nat - $base))")" \
		"{\"with_nat\":$nat,\"without\":$base,\"forwarded\":$f1}"
}

# ---- Linux: nft masquerade on veth ----
kernel_up() {
	ip netns add "$KNS"
	ip netns add "$KSINK"
	ip link add "$KG" type veth peer name "$KI"
	ip link add "$KO" type veth peer name "$KS"
	ip link set "$KI" netns "$KNS"
	ip link set "$KO" netns "$KNS"
	ip link set "$KS" netns "$KSINK"
	ip link set "$KG" up
	ip -n "$KNS" link set lo up
	ip -n "$KNS" link set "$KI" address "$RMAC" up
	ip -n "$KNS" link set "$KO" up
	ip -n "$KSINK" link set "$KS" address "$NMAC" up
	ip -n "$KNS" addr add 10.255.255.254/8 dev "$KI"
	ip -n "$KNS" addr add "$PUB/24" dev "$KO"
	ip -n "$KNS" neigh add 203.0.113.2 lladdr "$NMAC" dev "$KO" nud permanent
	ip -n "$KNS" route add default via 203.0.113.2
	ip netns exec "$KNS" sysctl -qw net.ipv4.ip_forward=1 net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf."$KI".rp_filter=0 net.ipv4.conf.default.rp_filter=0
	# the sink has no address and no route: IPv4 drops the frames on arrival
	# no offloads to make 64-byte frames look bigger
	ethtool -K "$KG" gro off gso off tso off >/dev/null 2>&1 || true
}
kernel_down() {
	ip netns del "$KNS" 2>/dev/null || true
	ip netns del "$KSINK" 2>/dev/null || true
	ip link del "$KG" 2>/dev/null || true
}
kernel_nft() { # on|off
	[ "$1" = on ] || return 0
	ip netns exec "$KNS" nft -f - <<EOT
table ip nat {
	chain post {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "$KO" ip saddr 10.0.0.0/8 counter masquerade
	}
}
EOT
}
kernel_tx() {
	ip netns exec "$KNS" cat "/sys/class/net/$KO/statistics/tx_packets"
}
kernel_run() { # label flows nft(on|off)
	local label=$1 flows=$2 pid a b n=0 nat=0
	# a fresh namespace each run: no connection left from the last one
	kernel_up
	kernel_nft "$3"
	mkfifo "$W/tp.in"
	exec {TPFD}<>"$W/tp.in"
	stdbuf -oL dpdk-testpmd -l 0,1 --file-prefix ${TAG}tp --no-pci -m 1024 \
		--vdev "net_pcap0,rx_pcap=$W/flows$flows.pcap,infinite_rx=1" \
		--vdev "net_af_packet0,iface=$KG,qpairs=1" \
		-- -i --forward-mode=io --total-num-mbufs=$((flows + 32768)) \
		< "$W/tp.in" > "$W/tp.log" 2>&1 &
	pid=$!
	PIDS+=($pid)
	for _ in $(seq 1 300); do
		grep -q 'testpmd>' "$W/tp.log" && break
		sleep 0.1
	done
	echo "start" >&$TPFD
	sleep 1
	a=$(kernel_tx)
	sleep "$DURATION"
	b=$(kernel_tx)
	if [ "$3" = on ]; then
		n=$(ip netns exec "$KNS" cat /proc/sys/net/netfilter/nf_conntrack_count)
		# the nat chain sees a connection's first packet: one per flow
		nat=$(ip netns exec "$KNS" nft list chain ip nat post |
			sed -n 's/.*counter packets \([0-9]*\).*/\1/p')
	fi
	echo "stop" >&$TPFD
	echo "quit" >&$TPFD
	exec {TPFD}>&-
	wait "$pid" 2>/dev/null || true
	rm -f "$W/tp.in" /dev/hugepages/${TAG}tp*
	rm -rf /var/run/dpdk/${TAG}tp
	kernel_down
	local pps=$(((b - a) / DURATION))
	# CPU 1 is busy all the time (testpmd polls): its clock over its packets
	report "$label" "$flows" "$pps" \
		"$(python3 -c "print('%.0f' % ($TSC_HZ / $pps if $pps else 0))")" \
		"{\"conntrack\":$n,\"translated\":${nat:-0}}"
}

# ---- the run ----
TSC_HZ=$(python3 - <<'EOF'
import re
# the TSC's rate as the kernel measured it (tsc_khz is not exported):
# the CPU's nominal clock from /proc/cpuinfo
for l in open("/proc/cpuinfo"):
    m = re.match(r"model name.*@ *([0-9.]+)GHz", l)
    if m:
        print(int(float(m.group(1)) * 1e9)); break
    m = re.match(r"cpu MHz\s*:\s*([0-9.]+)", l)
    if m:
        print(int(float(m.group(1)) * 1e6)); break
EOF
)
printf '{"command":"%s","date":"%s","loadavg":"%s","tsc_hz":%s}\n' "$0 $ARGS" "$(date -Is)" \
	"$(cut -d' ' -f1-3 /proc/loadavg)" "$TSC_HZ" >> "$OUT"
for f in $FLOWS; do
	gen_pcap "$f" "$W/flows$f.pcap" 4
done
[ "$SETUP_RUN" = 1 ] && gen_pcap "$SETUP" "$W/setup.pcap" 1
[ "$OVS" = 1 ] && ovs_start
for ((ROUND = 1; ROUND <= ROUNDS; ROUND++)); do
	echo "-- round $ROUND of $ROUNDS"
	for f in $FLOWS; do
		[ "$NFVD" = 1 ] && nfvd_run nfvd "$f" 0
		[ "$OVS" = 1 ] && ovs_run "$f"
		[ "$KERNEL" = 1 ] && kernel_run nft "$f" on
		[ "$KERNEL" = 1 ] && kernel_run linux-fwd "$f" off
		[ "$NFVD" = 1 ] && nfvd_run nfvd-lab "$f" 1
	done
	if [ "$SETUP_RUN" = 1 ]; then
		[ "$NFVD" = 1 ] && nfvd_setup
		[ "$OVS" = 1 ] && ovs_setup
	fi
done

# ---- summary: medians and the medians of per-round ratios ----
for k in "${!RATES_ALL[@]}"; do echo "$k${RATES_ALL[$k]}"; done > "$W/rates"
python3 - "$OUT" "$ROUNDS" "$FLOWS" "$W/rates" <<'EOF'
import json, statistics, sys
rates = {}
for line in open(sys.argv[4]):
    k, *v = line.split()
    rates[k] = [float(x) for x in v]
out, rounds, flows = sys.argv[1], int(sys.argv[2]), sys.argv[3].split()
def paired(a, b):
    a, b = rates.get(a), rates.get(b)
    if not a or not b or len(a) != len(b) or not all(b):
        return None
    return statistics.median(x / y for x, y in zip(a, b))
summary = {"system": "summary", "rounds": rounds, "medians": {}, "ratios": {}}
print("medians of %d rounds (Mpps; setup: M new sessions/s per core):" % rounds)
for k in sorted(rates):
    m = statistics.median(rates[k])
    summary["medians"][k] = m
    print("  %-20s %8.3f" % (k, m / 1e6))
goals = {"ovs": 3, "nft": 10}
for f in flows:
    for other in ("ovs", "nft", "linux-fwd"):
        for mine in ("nfvd", "nfvd-lab"):
            r = paired("%s/%s" % (mine, f), "%s/%s" % (other, f))
            if r is not None:
                summary["ratios"]["%s/%s@%s" % (mine, other, f)] = r
                goal = goals.get(other) if mine == "nfvd" and f == "100000" else None
                print("  %-9s / %-9s %7s flows: %6.2fx%s" % (
                    mine, other, f, r, " (target >= %dx)" % goal if goal else ""))
r = paired("nfvd/setup", "ovs/setup")
if r is not None:
    summary["ratios"]["nfvd/ovs@setup"] = r
    print("  new sessions/s nfvd / ovs: %.2fx" % r)
if rates.get("nfvd/setup"):
    print("  nfvd new sessions/s per core: %.2f M (target >= 1 M)" %
          (statistics.median(rates["nfvd/setup"]) / 1e6))
print("  (ratios: median of per-round ratios)")
with open(out, "a") as f:
    f.write(json.dumps(summary) + "\n")
EOF
echo "results: $OUT"
