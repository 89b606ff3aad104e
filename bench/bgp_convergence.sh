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
# Both BGP sessions are enabled together (birdc enable); t0 is that
# moment (each session's Established time is printed too; the first UPDATE
# follows it). Then the script polls nfvd's FIB (nfvctl stats: routes4) and
# the kernel's (ip route show proto bgp) until each holds all N, and prints
# the times side by side. Polls take time themselves (ip route over 1M
# routes: ~1-3 s), so each figure is good to about one poll.
#
# The nfvd side's zebra also programs its namespace's kernel FIB (zebra
# does both); the nfvd FIB figure includes that work.
#
# Usage: bench/bgp_convergence.sh [-n PREFIXES] [-t TIMEOUT_S] [-b BUILD] [-k]
#   -k keeps the work folder. Needs root, bird2, frr (zebra, bgpd, vtysh).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
. "$ROOT/bench/lib/common.sh"
ovs_stop() { :; } # bench_stop_all's OVS step: no OVS here

N=1000000
TIMEOUT=900
while getopts "n:t:b:kh" o; do
	case $o in
	n) N=$OPTARG ;;
	t) TIMEOUT=$OPTARG ;;
	b) BUILD=$OPTARG ;;
	k) KEEP=1 ;;
	*) sed -n '2,27p' "$0"; exit 2 ;;
	esac
done
[ "$(id -u)" = 0 ] || die "needs root (namespaces)"
[[ $N =~ ^[0-9]+$ ]] && [ "$N" -ge 1 ] && [ "$N" -le 4000000 ] || die "-n 1..4000000"
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

T0=$(now)
birdc -s "$W/bird.ctl" enable nfv >/dev/null
birdc -s "$W/bird.ctl" enable lnx >/dev/null
EST_N= EST_L= DONE_N= DONE_L=
while :; do
	t=$(now)
	el=$(python3 -c "print(f'{$t - $T0:.1f}')")
	if [ -z "$EST_N$EST_L" ] || [ -z "$EST_N" ] || [ -z "$EST_L" ]; then
		s=$(birdc -s "$W/bird.ctl" show protocols 2>/dev/null)
		[ -z "$EST_N" ] && grep -qE "^nfv .*Established" <<<"$s" && EST_N=$el
		[ -z "$EST_L" ] && grep -qE "^lnx .*Established" <<<"$s" && EST_L=$el
	fi
	if [ -z "$DONE_N" ]; then
		c=$(($(nfv_routes) - BASE_N))
		[ "$c" -ge "$N" ] && DONE_N=$(python3 -c "print(f'{$(now) - $T0:.1f}')")
	fi
	if [ -z "$DONE_L" ]; then
		k=$(lnx_routes)
		[ "$k" -ge "$N" ] && DONE_L=$(python3 -c "print(f'{$(now) - $T0:.1f}')")
	fi
	[ -n "$DONE_N" ] && [ -n "$DONE_L" ] && break
	if python3 -c "import sys; sys.exit(0 if $el > $TIMEOUT else 1)"; then
		echo "timeout after ${TIMEOUT} s: nfvd FIB $c, kernel FIB $k of $N" >&2
		break
	fi
	sleep 0.2
done
printf '\nBGP convergence: %d IPv4 prefixes from bird2 (eBGP), t0 = both sessions enabled\n' "$N"
printf '%-34s %14s %18s\n' "router" "Established s" "FIB complete s"
printf '%-34s %14s %18s\n' "nfvd (bgpd -> zebra -> FPM -> FIB)" "${EST_N:--}" "${DONE_N:-not in ${TIMEOUT} s}"
printf '%-34s %14s %18s\n' "Linux (bgpd -> zebra -> kernel)" "${EST_L:--}" "${DONE_L:-not in ${TIMEOUT} s}"
printf '{"prefixes": %d, "nfvd_established_s": %s, "nfvd_fib_s": %s, "linux_established_s": %s, "linux_fib_s": %s, "load": "%s"}\n' \
	"$N" "${EST_N:-null}" "${DONE_N:-null}" "${EST_L:-null}" "${DONE_L:-null}" "$(cut -d' ' -f1-3 /proc/loadavg)"
