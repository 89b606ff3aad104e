#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# BGP route convergence (issue 13): a BGP speaker (bird2, in namespace S)
# announces N IPv4 prefixes (/24s from 11.0.0.0, default 1,000,000) at the
# same moment to two routers:
#
#   nfvd  (namespace N): nfvctl up with frr: {daemons: [zebra, bgpd]}:
#         bgpd -> zebra -> FPM (dplane_fpm_nl) -> nfvd's router FIB
#   linux (namespace L): zebra + bgpd without FPM: bgpd -> zebra -> the
#         kernel FIB (what a lab would run instead)
#
#        [S: bird2] 10.90.1.2 --veth-- 10.90.1.1 [N: bgpd, zebra, nfvd]
#                   10.90.2.2 --veth-- 10.90.2.1 [L: bgpd, zebra, kernel]
#
# Rounds (-r, default 3): in each, one session is enabled (birdc enable;
# t0 is that moment, the session's Established time is printed too: the
# first UPDATE follows it) and the script polls that router's FIB (nfvd:
# nfvctl stats routes4; Linux: ip route show proto bgp) until it holds all
# N; the session is disabled and the FIB waited empty again; then the other
# router. The order alternates between rounds (nfvd first in odd rounds)
# so a busy host's load drifts over both alike; the ratio nfvd / Linux is
# taken per round and the median reported. -m together enables both
# sessions at once instead (one round: the two routers compete for the
# CPUs). Polls take time themselves (ip route over 1M routes: ~1-3 s), so
# each figure is good to about one poll.
#
# The nfvd side's zebra also programs its namespace's kernel FIB (zebra
# does both); the nfvd FIB figure includes that work.
#
# Usage: bench/bgp_convergence.sh [-n PREFIXES] [-r ROUNDS] [-m alternate|together]
#                                 [-t TIMEOUT_S] [-b BUILD] [-k]
#   -k keeps the work folder. Needs root, bird2, frr (zebra, bgpd, vtysh).
#   One JSON line per round and one summary line go to stdout and to
#   bench/results/bgp_convergence-DATE.jsonl (with the load average).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib/common.sh"
ovs_stop() { :; } # bench_stop_all's OVS step: no OVS here

N=1000000
TIMEOUT=900
ROUNDS=3
MODE=alternate
while getopts "n:r:m:t:b:kh" o; do
	case $o in
	n) N=$OPTARG ;;
	r) ROUNDS=$OPTARG ;;
	m) MODE=$OPTARG ;;
	t) TIMEOUT=$OPTARG ;;
	b) BUILD=$OPTARG ;;
	k) KEEP=1 ;;
	*) sed -n '2,36p' "$0"; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || die "needs root (namespaces)"
[[ $N =~ ^[0-9]+$ ]] && [ "$N" -ge 1 ] && [ "$N" -le 4000000 ] || die "-n 1..4000000"
[[ $ROUNDS =~ ^[0-9]+$ ]] && [ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 20 ] || die "-r 1..20"
[ "$MODE" = alternate ] || [ "$MODE" = together ] || die "-m alternate or together"
command -v bird >/dev/null && command -v birdc >/dev/null || die "no bird: apt-get install bird2"
[ -x /usr/lib/frr/zebra ] && [ -x /usr/lib/frr/bgpd ] && command -v vtysh >/dev/null ||
	die "no FRR: apt-get install frr"
bench_find_build
bench_workdir bgpc$$
NS_S=${TAG}s NS_N=${TAG}n NS_L=${TAG}l
PS_N=${TAG}n PS_L=${TAG}l
UP_PID=

cleanup() {
	local p
	if [ -n "$UP_PID" ] && kill -0 "$UP_PID" 2>/dev/null; then
		ip netns exec "$NS_N" "$BUILD/nfvctl" -s "$W/nfvd.sock" down >/dev/null 2>&1 || true
		wait "$UP_PID" 2>/dev/null || true
	fi
	for p in /var/run/frr/"$PS_L"/*.pid; do
		[ -e "$p" ] && kill "$(cat "$p")" 2>/dev/null || true
	done
	[ -e "$W/bird.pid" ] && kill "$(cat "$W/bird.pid")" 2>/dev/null || true
	sleep 1
	for p in /var/run/frr/"$PS_L"/*.pid; do
		[ -e "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null || true
	done
	rm -rf /var/run/frr/"$PS_L"
	for p in "$NS_S" "$NS_N" "$NS_L"; do ip netns del "$p" 2>/dev/null || true; done
	bench_stop_all
}
trap cleanup EXIT

for p in "$NS_S" "$NS_N" "$NS_L"; do
	ip netns add "$p"
	ip -n "$p" link set lo up
done
ip link add "${TAG}sn" netns "$NS_S" type veth peer name "${TAG}ns" netns "$NS_N"
ip link add "${TAG}sl" netns "$NS_S" type veth peer name "${TAG}ls" netns "$NS_L"
ip -n "$NS_S" addr add 10.90.1.2/24 dev "${TAG}sn"
ip -n "$NS_S" addr add 10.90.2.2/24 dev "${TAG}sl"
ip -n "$NS_N" addr add 10.90.1.1/24 dev "${TAG}ns"
ip -n "$NS_L" addr add 10.90.2.1/24 dev "${TAG}ls"
for l in "$NS_S ${TAG}sn" "$NS_S ${TAG}sl" "$NS_N ${TAG}ns" "$NS_L ${TAG}ls"; do
	set -- $l
	ip -n "$1" link set "$2" up
done

frr_conf() { # AS NEIGHBOUR ROUTER_ID
	cat <<EOC
router bgp $1
 bgp router-id $3
 no bgp ebgp-requires-policy
 neighbor $2 remote-as 65100
 address-family ipv4 unicast
  neighbor $2 activate
 exit-address-family
exit
EOC
}

# ---- nfvd with its FRR (nfvctl up) ----
cat > "$W/nfv.yaml" <<EOC
version: 1
ports:
  - {name: a, driver: tap, iface: ${TAG}a}
vnfs:
  - name: rtr
    class: router
    max-routes: $((N + N / 10 + 1024))
    fpm: {listen: "127.0.0.1:2620"}
    interfaces:
      - {name: up, port: a, addresses: [10.90.1.1/24]}
chains:
  - {name: from-a, ingress: [a], vnfs: [rtr]}
frr:
  daemons: [zebra, bgpd]
  pathspace: $PS_N
  fpm: 127.0.0.1:2620
  config-text: |
$(frr_conf 65001 10.90.1.2 10.90.1.1 | sed 's/^/    /')
EOC
ip netns exec "$NS_N" "$BUILD/nfvctl" -s "$W/nfvd.sock" up "$W/nfv.yaml" -- \
	--file-prefix "${TAG}n" -l 0,1 >"$W/up.log" 2>&1 &
UP_PID=$!
for ((i = 0; i < 900; i++)); do
	grep -q "is up" "$W/up.log" && break
	kill -0 "$UP_PID" 2>/dev/null || { cat "$W/up.log" >&2; die "nfvctl up failed"; }
	sleep 0.1
done
grep -q "is up" "$W/up.log" || die "nfvctl up not up after 90 s"

# ---- FRR on Linux: zebra without FPM, bgpd ----
mkdir -p "$W/lnx/$PS_L"
frr_conf 65002 10.90.2.2 10.90.2.1 >"$W/lnx/$PS_L/frr.conf"
echo "service integrated-vtysh-config" >"$W/lnx/$PS_L/vtysh.conf"
for d in zebra bgpd; do
	ip netns exec "$NS_L" /usr/lib/frr/$d -N "$PS_L" -f /dev/null --log stdout \
		>"$W/lnx-$d.log" 2>&1 </dev/null &
	PIDS+=($!)
	for ((i = 0; i < 300; i++)); do
		[ -S "/var/run/frr/$PS_L/$d.vty" ] && break
		sleep 0.1
	done
done
sleep 0.5
ip netns exec "$NS_L" vtysh -N "$PS_L" --config_dir "$W/lnx" -b >"$W/lnx-vtysh.log" 2>&1 ||
	{ cat "$W/lnx-vtysh.log" >&2; die "vtysh -b failed on the Linux router"; }

# ---- the speaker: bird2 with N static routes, sessions disabled ----
python3 - "$N" >"$W/static.conf" <<'EOP'
import sys
n = int(sys.argv[1])
base = 11 << 16  # 11.0.0.0/24 upward, skipping 127/8 and 224/3
out, p = [], base
while len(out) < n:
    a = p >> 16
    if a == 127 or a >= 224:
        p += 1 << 16
        continue
    out.append("route %d.%d.%d.0/24 blackhole;" % (a, (p >> 8) & 255, p & 255))
    p += 1
sys.stdout.write("protocol static announced {\n ipv4;\n" + "\n".join(out) + "\n}\n")
EOP
cat >"$W/bird.conf" <<EOC
router id 10.90.1.2;
log "$W/bird.log" all;
protocol device {}
include "$W/static.conf";
protocol bgp nfv {
	disabled; local 10.90.1.2 as 65100; neighbor 10.90.1.1 as 65001;
	ipv4 { import none; export all; next hop self; };
}
protocol bgp lnx {
	disabled; local 10.90.2.2 as 65100; neighbor 10.90.2.1 as 65002;
	ipv4 { import none; export all; next hop self; };
}
EOC
ip netns exec "$NS_S" bird -c "$W/bird.conf" -s "$W/bird.ctl" -P "$W/bird.pid"
for ((i = 0; i < 600; i++)); do
	birdc -s "$W/bird.ctl" show route count 2>/dev/null | grep -q "^$N of $N routes" && break
	sleep 0.1
done
birdc -s "$W/bird.ctl" show route count | grep -q "^$N of $N routes" ||
	die "bird did not load $N routes"

now() { date +%s.%N; }
nfv_routes() {
	"$BUILD/nfvctl" -s "$W/nfvd.sock" --json stats 2>/dev/null |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["vnfs"]["rtr"]["routes4"])' 2>/dev/null ||
		echo 0
}
lnx_routes() { ip -n "$NS_L" -4 route show proto bgp | wc -l; }
BASE_N=$(nfv_routes)

elapsed() { python3 -c "print(f'{$(now) - $1:.1f}')"; }
over() { python3 -c "import sys; sys.exit(0 if $(now) - $1 > $2 else 1)"; }
count() { if [ "$1" = nfv ]; then echo $(($(nfv_routes) - BASE_N)); else lnx_routes; fi; }
established() { birdc -s "$W/bird.ctl" show protocols 2>/dev/null | grep -qE "^$1 .*Established"; }

# measure SYSTEMS...: enable their sessions at once, poll each FIB until it
# holds N; sets EST_<sys> and DONE_<sys> (seconds from t0, empty: timeout)
measure() {
	local s t0 c
	t0=$(now)
	for s in "$@"; do
		birdc -s "$W/bird.ctl" enable "$s" >/dev/null
		eval "EST_$s= DONE_$s= LAST_$s=0"
	done
	while :; do
		local pending=0
		for s in "$@"; do
			[ -z "$(eval echo \$EST_$s)" ] && established "$s" && eval "EST_$s=$(elapsed "$t0")"
			if [ -z "$(eval echo \$DONE_$s)" ]; then
				c=$(count "$s")
				if [ "$c" -ge "$N" ]; then
					eval "DONE_$s=$(elapsed "$t0")"
				else
					pending=1
					eval "LAST_$s=$c"
				fi
			fi
		done
		[ "$pending" = 0 ] && break
		if over "$t0" "$TIMEOUT"; then
			echo "timeout after ${TIMEOUT} s: $(for s in "$@"; do echo -n "$s $(eval echo \$LAST_$s) "; done)of $N" >&2
			break
		fi
		sleep 0.2
	done
}

# withdraw SYSTEMS...: disable their sessions and wait for the FIBs to empty
withdraw() {
	local s t0
	t0=$(now)
	for s in "$@"; do birdc -s "$W/bird.ctl" disable "$s" >/dev/null; done
	for s in "$@"; do
		while [ "$(count "$s")" -gt 0 ]; do
			over "$t0" "$TIMEOUT" && { echo "withdraw: $s FIB not empty after $TIMEOUT s" >&2; break; }
			sleep 0.5
		done
	done
}

RES=$ROOT/bench/results/bgp_convergence-$(date +%Y%m%d-%H%M%S).jsonl
mkdir -p "$ROOT/bench/results"
HOST="$(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GB", $2 / 1048576}' /proc/meminfo), $(uname -r)"
RATIOS=()
[ "$MODE" = together ] && ROUNDS=1
printf '\nBGP convergence: %d IPv4 prefixes from bird2 (eBGP), t0 = session enabled, %s, %d round(s)\n' \
	"$N" "$MODE" "$ROUNDS"
printf '%-6s %-34s %14s %18s %10s\n' "round" "router" "Established s" "FIB complete s" "load"
for ((r = 1; r <= ROUNDS; r++)); do
	if [ "$MODE" = together ]; then
		order=("nfv lnx")
	elif ((r % 2)); then
		order=(nfv lnx)
	else
		order=(lnx nfv)
	fi
	for o in "${order[@]}"; do
		ld=$(cut -d' ' -f1 /proc/loadavg)
		# shellcheck disable=SC2086
		measure $o
		for s in $o; do
			lbl="nfvd (bgpd -> zebra -> FPM -> FIB)"
			[ "$s" = lnx ] && lbl="Linux (bgpd -> zebra -> kernel)"
			printf '%-6s %-34s %14s %18s %10s\n' "$r" "$lbl" "$(eval echo \${EST_$s:--})" \
				"$(eval echo \${DONE_$s:-not in $TIMEOUT s})" "$ld"
		done
		# shellcheck disable=SC2086
		withdraw $o
	done
	ratio=null
	[ -n "$DONE_nfv" ] && [ -n "$DONE_lnx" ] &&
		ratio=$(python3 -c "print(f'{$DONE_nfv / $DONE_lnx:.3f}')") && RATIOS+=("$ratio")
	printf '{"round": %d, "mode": "%s", "prefixes": %d, "nfvd_established_s": %s, "nfvd_fib_s": %s, "linux_established_s": %s, "linux_fib_s": %s, "nfvd_over_linux": %s, "load": "%s", "host": "%s"}\n' \
		"$r" "$MODE" "$N" "${EST_nfv:-null}" "${DONE_nfv:-null}" "${EST_lnx:-null}" "${DONE_lnx:-null}" \
		"$ratio" "$(cut -d' ' -f1-3 /proc/loadavg)" "$HOST" | tee -a "$RES"
done
MED=$(python3 -c "import statistics,sys; a=[float(x) for x in sys.argv[1:]]; print(f'{statistics.median(a):.3f}' if a else 'null')" "${RATIOS[@]}")
printf '{"summary": true, "mode": "%s", "prefixes": %d, "rounds": %d, "ratios": [%s], "median_nfvd_over_linux": %s, "load": "%s", "host": "%s"}\n' \
	"$MODE" "$N" "$ROUNDS" "$(IFS=,; echo "${RATIOS[*]}")" "$MED" "$(cut -d' ' -f1-3 /proc/loadavg)" "$HOST" | tee -a "$RES"
echo "median nfvd / Linux FIB-complete time: $MED (below 1: nfvd's FIB complete first); $RES"
