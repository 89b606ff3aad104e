#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# The neighbours and the host of chains/examples/lab-frr.yaml, to be sourced
# (by scripts/demo.sh and tests/system/test_frr_lab.py) or run:
#   lab-frr.sh up|show|traffic|down PREFIX RTR_NS [DIR]
#
# nfvd and its FRR run in namespace RTR_NS (nfvctl up there); nfvd created
# its taps frrlab-a, frrlab-o, frrlab-b in it. Everything made here is named
# after PREFIX (namespaces PREFIX-h1, PREFIX-ospf, PREFIX-bgp; FRR pathspaces
# PREFIXo, PREFIXb; their configuration and logs in DIR/<pathspace>/).
#
#   frr_lab_up PREFIX RTR_NS DIR   the three below
#   frr_lab_h1 PREFIX RTR_NS       PREFIX-h1 on tap frrlab-a: 10.82.0.2/24, gw
#                                  10.82.0.1; IPv6 by SLAAC from nfvd's adverts
#                                  (a host with the kernel's defaults)
#   frr_lab_ospf PREFIX RTR_NS DIR PREFIX-ospf on tap frrlab-o: FRR zebra + ospfd,
#                                  10.82.1.2/24, OSPFv2 point-to-point (hello 1 s,
#                                  dead 4 s), stub network 10.82.10.0/24
#   frr_lab_bgp PREFIX RTR_NS DIR  PREFIX-bgp on tap frrlab-b: FRR zebra + bgpd AS
#                                  65002, 10.82.2.2/24 and 2001:db8:82:2::2/64, eBGP
#                                  over IPv4 and IPv6 to nfvd's bgpd (AS 65001),
#                                  announces 10.82.20.0/24 and 2001:db8:82:20::/64
#   frr_lab_wait PREFIX SOCK PS T  until OSPF is Full, both BGP sessions are
#                                  Established (nfvd's FRR, pathspace PS), nfvd's
#                                  FIB has the learned routes and h1 its SLAAC
#                                  address; T seconds at most
#   frr_lab_show PREFIX SOCK PS    adjacency and session states, nfvctl route show
#   frr_lab_traffic PREFIX         ping and traceroute h1 -> 10.82.20.1 (known to
#                                  nfvd only from BGP), ping -6 to
#                                  2001:db8:82:20::1, ping to the OSPF stub
#   frr_lab_down PREFIX            stop the neighbours' FRR, remove the namespaces
#
# A second BGP neighbour (tests: ECMP) is frr_lab_bgp_router with other
# arguments. Tap ports give the kernel side the port's MAC: every host here
# gets its own.
FRR_LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
FRR_LAB_BIN=${FRR_LAB_BIN:-/usr/lib/frr}
# shellcheck source=lab-router.sh
. "$FRR_LAB_DIR/lab-router.sh"

# frr_lab_take RTR_NS TAP NS MAC: move nfvd's tap TAP from RTR_NS into a new
# namespace NS as a host interface with its own MAC
frr_lab_take() {
	local rns=$1 ifc=$2 ns=$3 mac=$4 i
	rtr_lab_netns_add "$ns"
	ip -n "$ns" link set lo up
	for ((i = 0; i < 200; i++)); do
		ip -n "$rns" link show "$ifc" >/dev/null 2>&1 && break
		sleep 0.1
	done
	ip -n "$rns" link set "$ifc" netns "$ns"
	ip -n "$ns" link set "$ifc" address "$mac"
	ip netns exec "$ns" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
}

# frr_lab_stub NS NAME ADDR...: a stub network of NS (a veth pair inside it,
# the addresses on NAME, its peer up and empty): what a router's LAN is
frr_lab_stub() {
	local ns=$1 name=$2 a
	shift 2
	ip -n "$ns" link add "$name" type veth peer name "$name-p"
	for a in "$@"; do
		case $a in
		*:*) ip -n "$ns" addr add "$a" dev "$name" nodad ;;
		*) ip -n "$ns" addr add "$a" dev "$name" ;;
		esac
	done
	ip -n "$ns" link set "$name-p" up
	ip -n "$ns" link set "$name" up
}

# frr_lab_frr NS PS DIR DAEMON...: FRR in NS with pathspace PS (-N): the
# daemons start empty, then vtysh -b applies DIR/PS/frr.conf
frr_lab_frr() {
	local ns=$1 ps=$2 dir=$3 d i
	shift 3
	echo "service integrated-vtysh-config" >"$dir/$ps/vtysh.conf"
	for d in "$@"; do
		ip netns exec "$ns" "$FRR_LAB_BIN/$d" -N "$ps" -f /dev/null --log stdout \
			>"$dir/$ps/$d.log" 2>&1 </dev/null &
		for ((i = 0; i < 300; i++)); do
			[ -S "/var/run/frr/$ps/$d.vty" ] && break
			sleep 0.1
		done
		[ -S "/var/run/frr/$ps/$d.vty" ] || {
			echo "lab-frr: FRR $d did not start in $ns (its log: $dir/$ps/$d.log)" >&2
			return 1
		}
	done
	ip netns exec "$ns" vtysh -N "$ps" --config_dir "$dir" -b >"$dir/$ps/vtysh.log" 2>&1 || {
		cat "$dir/$ps/vtysh.log" >&2
		echo "lab-frr: vtysh -b refused $dir/$ps/frr.conf" >&2
		return 1
	}
}

frr_lab_h1() {
	local p=$1 rns=$2 ns=$1-h1 ifc=frrlab-a k
	frr_lab_take "$rns" "$ifc" "$ns" 02:82:00:00:00:02
	# a host with the kernel's defaults: not a router, takes adverts
	for k in all default "$ifc"; do
		ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$k.forwarding=0" \
			"net.ipv6.conf.$k.accept_ra=1"
	done
	ip -n "$ns" addr add 10.82.0.2/24 dev "$ifc"
	ip -n "$ns" link set "$ifc" up
	ip -n "$ns" route add default via 10.82.0.1
	echo "host $ns: $ifc 10.82.0.2/24, IPv6 by SLAAC (nfvd's router advertisements)"
}

# frr_lab_ospf_router PREFIX RTR_NS DIR TAP NAME MAC ADDR STUB ROUTER_ID
frr_lab_ospf_router() {
	local p=$1 rns=$2 dir=$3 ifc=$4 name=$5 mac=$6 addr=$7 stub=$8 rid=$9
	local ns=$p-$name ps=$p${name:0:1}
	frr_lab_take "$rns" "$ifc" "$ns" "$mac"
	ip -n "$ns" addr add "$addr" dev "$ifc"
	ip -n "$ns" link set "$ifc" up
	frr_lab_stub "$ns" stub0 "${stub%.0/*}.1/${stub#*/}"
	mkdir -p "$dir/$ps"
	cat >"$dir/$ps/frr.conf" <<EOF
hostname $name
interface $ifc
 ip ospf network point-to-point
 ip ospf hello-interval 1
 ip ospf dead-interval 4
exit
router ospf
 ospf router-id $rid
 passive-interface stub0
 network $addr area 0
 network $stub area 0
exit
EOF
	frr_lab_frr "$ns" "$ps" "$dir" zebra ospfd
	echo "router $ns: $ifc $addr, FRR ospfd (vtysh -N $ps), stub $stub"
}

# frr_lab_bgp_router PREFIX RTR_NS DIR TAP NAME MAC ADDR4 ADDR6 PEER4 PEER6 AS
#                    ROUTER_ID STUB4 STUB6 [EXTRA_ROUTER_BGP_LINES]
frr_lab_bgp_router() {
	local p=$1 rns=$2 dir=$3 ifc=$4 name=$5 mac=$6 a4=$7 a6=$8 peer4=$9
	local peer6=${10} as=${11} rid=${12} stub4=${13} stub6=${14} extra=${15:-}
	local ns=$p-$name ps=$p${name:0:1}${name:3}
	frr_lab_take "$rns" "$ifc" "$ns" "$mac"
	ip -n "$ns" addr add "$a4" dev "$ifc"
	ip -n "$ns" addr add "$a6" dev "$ifc" nodad
	ip -n "$ns" link set "$ifc" up
	frr_lab_stub "$ns" stub0 "${stub4%.0/*}.1/${stub4#*/}" "${stub6%::/*}::1/${stub6#*/}"
	mkdir -p "$dir/$ps"
	cat >"$dir/$ps/frr.conf" <<EOF
hostname $name
router bgp $as
 bgp router-id $rid
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 neighbor $peer4 remote-as 65001
 neighbor $peer4 timers 3 9
 neighbor $peer4 timers connect 2
 neighbor $peer4 advertisement-interval 0
 neighbor $peer6 remote-as 65001
 neighbor $peer6 timers 3 9
 neighbor $peer6 timers connect 2
 neighbor $peer6 advertisement-interval 0
$extra
 address-family ipv4 unicast
  network $stub4
  neighbor $peer4 activate
 exit-address-family
 address-family ipv6 unicast
  network $stub6
  neighbor $peer6 activate
 exit-address-family
exit
EOF
	frr_lab_frr "$ns" "$ps" "$dir" zebra bgpd
	echo "router $ns: $ifc $a4 $a6, FRR bgpd AS $as (vtysh -N $ps), announces $stub4 $stub6"
}

frr_lab_ospf() {
	frr_lab_ospf_router "$1" "$2" "$3" frrlab-o ospf 02:82:01:00:00:02 10.82.1.2/24 \
		10.82.10.0/24 10.82.255.10
}

frr_lab_bgp() {
	frr_lab_bgp_router "$1" "$2" "$3" frrlab-b bgp 02:82:02:00:00:02 10.82.2.2/24 \
		2001:db8:82:2::2/64 10.82.2.1 2001:db8:82:2::1 65002 10.82.255.20 \
		10.82.20.0/24 2001:db8:82:20::/64
}

frr_lab_up() {
	local p=$1 rns=$2 dir=$3
	frr_lab_h1 "$p" "$rns"
	frr_lab_ospf "$p" "$rns" "$dir"
	frr_lab_bgp "$p" "$rns" "$dir"
}

frr_lab_slaac() { # PREFIX: h1's SLAAC address (none: fails)
	ip -n "$1-h1" -6 -o addr show dev frrlab-a scope global -tentative |
		awk '{print $4}' | grep -E '^2001:db8:82:(0)?:'
}

# frr_lab_ready PREFIX SOCK PS: the whole lab converged
frr_lab_ready() {
	local p=$1 sock=$2 ps=$3 rt
	vtysh -N "$ps" -c "show ip ospf neighbor" 2>/dev/null | grep -q "Full/" || return 1
	[ "$(vtysh -N "$ps" -c "show bgp neighbors json" 2>/dev/null |
		grep -o '"bgpState":"Established"' | wc -l)" -ge 2 ] || return 1
	rt=$("${NFVCTL:-nfvctl}" -s "$sock" route show 2>/dev/null) || return 1
	grep -q "10.82.10.0/24 .*ospf" <<<"$rt" && grep -q "10.82.20.0/24 .*bgp" <<<"$rt" &&
		grep -q "2001:db8:82:20::/64 .*bgp" <<<"$rt" || return 1
	# the neighbours' way back to the LAN (learned from nfvd's FRR)
	ip -n "$p-ospf" route show 10.82.0.0/24 | grep -q via || return 1
	ip -n "$p-bgp" route show 10.82.0.0/24 | grep -q via || return 1
	ip -n "$p-bgp" -6 route show 2001:db8:82::/64 | grep -q via || return 1
	frr_lab_slaac "$p" >/dev/null
}

frr_lab_wait() {
	local p=$1 sock=$2 ps=$3 t=${4:-90} end
	end=$((SECONDS + t))
	until frr_lab_ready "$p" "$sock" "$ps"; do
		if [ $SECONDS -ge "$end" ]; then
			echo "lab-frr: not converged after $t s:" >&2
			frr_lab_show "$p" "$sock" "$ps" >&2
			return 1
		fi
		sleep 0.2
	done
}

# frr_lab_vtysh PS COMMAND: vtysh -N PS -c COMMAND without its note that
# /etc/frr/PS/vtysh.conf does not exist (nfvctl up keeps its own)
frr_lab_vtysh() {
	vtysh -N "$1" -c "$2" 2>&1 | grep -v "^% Can't open configuration file /etc/frr/"
}

frr_lab_show() {
	local p=$1 sock=$2 ps=$3
	printf '\n=== OSPF adjacency (nfvd'"'"'s FRR: vtysh -N %s -c "show ip ospf neighbor")\n' "$ps"
	frr_lab_vtysh "$ps" "show ip ospf neighbor"
	printf '\n=== BGP sessions (vtysh -N %s -c "show bgp summary")\n' "$ps"
	frr_lab_vtysh "$ps" "show bgp ipv4 unicast summary"
	frr_lab_vtysh "$ps" "show bgp ipv6 unicast summary"
	printf '\n=== nfvd'"'"'s routes and their sources (nfvctl route show)\n'
	"${NFVCTL:-nfvctl}" -s "$sock" route show
	printf '\n=== host %s-h1: its IPv6 address by SLAAC and default route (RA)\n' "$p"
	ip -n "$p-h1" -6 addr show dev frrlab-a scope global
	ip -n "$p-h1" -6 route show default
}

# frr_lab_ping NS ARGS...: ping (3 echoes) after a first answer (at most
# 20 s: a route just learned, a neighbour being resolved); a loss is shown,
# not fatal
frr_lab_ping() {
	local ns=$1 i
	shift
	for ((i = 0; i < 20; i++)); do
		ip netns exec "$ns" ping -c 1 -W 1 "$@" >/dev/null 2>&1 && break
	done
	ip netns exec "$ns" ping -c 3 -i 0.2 -W 2 "$@" || echo "(packets lost: a loaded host?)"
}

frr_lab_traffic() {
	local ns=$1-h1
	printf '\n=== ping h1 -> 10.82.20.1 (the BGP neighbour'"'"'s stub: nfvd knows it only from BGP)\n'
	frr_lab_ping "$ns" 10.82.20.1
	printf '\n=== traceroute h1 -> 10.82.20.1 (nfvd, then the BGP neighbour)\n'
	ip netns exec "$ns" traceroute -n -q 1 -w 2 10.82.20.1 || true
	printf '\n=== ping -6 h1 (SLAAC address) -> 2001:db8:82:20::1 (BGP, IPv6)\n'
	frr_lab_ping "$ns" -6 2001:db8:82:20::1
	printf '\n=== ping h1 -> 10.82.10.1 (the OSPF neighbour'"'"'s stub: learned by OSPF)\n'
	frr_lab_ping "$ns" 10.82.10.1
}

# frr_lab_frr_stop PS: the daemons of pathspace PS (pid files), then its folder
frr_lab_frr_stop() {
	local ps=$1 f i
	for f in /var/run/frr/"$ps"/*.pid; do
		[ -e "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	for ((i = 0; i < 50; i++)); do
		compgen -G "/var/run/frr/$ps/*.vty" >/dev/null || break
		sleep 0.1
	done
	for f in /var/run/frr/"$ps"/*.pid; do
		[ -e "$f" ] && kill -9 "$(cat "$f")" 2>/dev/null
	done
	rm -rf "/var/run/frr/$ps"
}

frr_lab_down() {
	local p=$1 ns
	local ps
	for ps in /var/run/frr/"${p}"o /var/run/frr/"${p}"b*; do
		[ -e "$ps" ] && frr_lab_frr_stop "$(basename "$ps")"
	done
	for ns in $(ip netns list | awk '{print $1}' | grep -E "^$p-(h1|ospf|bgp)"); do
		ip netns del "$ns" 2>/dev/null
		rm -rf "/etc/netns/$ns"
	done
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -e
	cmd=${1:-}
	shift || true
	case "$cmd" in
	up) frr_lab_up "${1:?PREFIX}" "${2:?RTR_NS}" "${3:-${TMPDIR:-/tmp}}" ;;
	show) frr_lab_show "${1:?PREFIX}" "${2:?SOCK}" "${3:?PATHSPACE}" ;;
	traffic) frr_lab_traffic "${1:?PREFIX}" ;;
	down) frr_lab_down "${1:?PREFIX}" ;;
	*) sed -n '3,40p' "$0"; exit 2 ;;
	esac
fi
