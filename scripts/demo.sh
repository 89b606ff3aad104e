#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# nfvd demo: the lab. nfvd replaces the lab's router, DHCP server and
# firewall (chains/examples/lab.yaml; hosts from vnfs/router/lab-router.sh):
# host h1 on the LAN gets its address and gateway from nfvd's DHCP server
# (dhclient), host h2 sits behind VLAN 20 in another subnet; ping, ping -6,
# traceroute, iperf3 TCP and UDP go through firewall and router; then the
# leases, firewall rule hits, neighbours and counters.
# NFV_DEMO_CHAIN=chains/examples/lab-router.yaml runs the router alone (static
# addresses), chains/examples/demo.yaml the plain two-host forward demo.
# Builds build/ if needed, starts nfvd (live per-chain counters every
# second), stops it with SIGTERM (it prints its summary) and removes
# everything it created, whatever happens. Runs as root.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
chain=${NFV_DEMO_CHAIN:-chains/examples/lab.yaml}
build=${NFVD_BUILD:-$repo/build}
tag=nfvdemo                    # prefix of everything this script creates
run_dir=$(mktemp -d "/tmp/$tag.XXXXXX")
sock=$run_dir/nfvd.sock
prefix=$tag$$
nfvd_pid=

say() { printf '\n=== %s\n' "$*"; }
die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (namespaces, taps, hugepages)"

cleanup() {
	set +e
	if [ -n "$nfvd_pid" ] && kill -0 "$nfvd_pid" 2>/dev/null; then
		kill -TERM "$nfvd_pid"
		for _ in $(seq 100); do kill -0 "$nfvd_pid" 2>/dev/null || break; sleep 0.1; done
		kill -KILL "$nfvd_pid" 2>/dev/null
	fi
	for ns in $(ip netns list | awk '{print $1}' | grep "^$tag-"); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns"
	done
	rm -f /dev/hugepages/"$prefix"*
	rm -rf /var/run/dpdk/"$prefix" "$run_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

wait_until() { # timeout-seconds what command...
	local t=$1 what=$2 end
	shift 2
	end=$((SECONDS + t))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || die "timed out waiting for $what"
		kill -0 "$nfvd_pid" 2>/dev/null || die "nfvd exited (see its output above)"
		sleep 0.1
	done
}

build_if_needed() {
	if [ ! -f "$build/build.ninja" ]; then
		say "building nfvd into $build"
		meson setup "$build" --buildtype=debugoptimized >/dev/null
	fi
	meson compile -C "$build" nfvd nfvctl >/dev/null || die "build failed (run: meson compile -C $build nfvd nfvctl)"
}

# host NAME TAP ADDR: namespace $tag-NAME holding nfvd's tap TAP with ADDR
host() {
	local ns=$tag-$1 ifc=$2 addr=$3
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	wait_until 10 "tap $ifc" test -e "/sys/class/net/$ifc"
	ip link set "$ifc" netns "$ns"
	ip -n "$ns" addr add "$addr" dev "$ifc"
	ip -n "$ns" link set "$ifc" up
	echo "host $ns: $ifc $addr"
}

hosts_setup() {
	if lab_dhcp; then
		say "hosts: h1 asks nfvd's DHCP server for its address (dhclient)"
		rtr_lab_dhcp_up "$tag"
		return
	fi
	if lab_router; then
		rtr_lab_up "$tag"
		return
	fi
	host h1 nfvdemo-a 10.77.0.1/24
	host h2 nfvdemo-b 10.77.0.2/24
}

# The lab router demo (default chain) has its own hosts and traffic.
lab_router() { case "$(basename "$chain")" in lab-router.yaml | lab.yaml) return 0 ;; esac; return 1; }
lab_dhcp() { [ "$(basename "$chain")" = lab.yaml ]; }
# shellcheck source=../vnfs/router/lab-router.sh
. "$repo/vnfs/router/lab-router.sh"

traffic() {
	if lab_router; then
		rtr_lab_traffic "$tag"
		say "router neighbours (nfvctl neigh show)"
		"$build/nfvctl" -s "$sock" neigh show
		if lab_dhcp; then
			say "DHCP leases (nfvctl dhcp leases)"
			"$build/nfvctl" -s "$sock" dhcp leases
			say "firewall rules and hits (nfvctl fw rules)"
			"$build/nfvctl" -s "$sock" fw rules
		fi
		return
	fi
	say "ping h1 -> h2"
	ip netns exec $tag-h1 ping -c 5 -i 0.2 -W 2 10.77.0.2
	say "iperf3 (TCP, 5 s) h1 -> h2"
	ip netns exec $tag-h2 iperf3 -s -1 -B 10.77.0.2 >/dev/null &
	wait_until 10 "iperf3 server" ip netns exec $tag-h2 sh -c "ss -ltn | grep -q 10.77.0.2:5201"
	ip netns exec $tag-h1 iperf3 -c 10.77.0.2 -t 5 -f m
}

build_if_needed
say "starting nfvd with $chain (live counters every second)"
"$build/nfvd" --file-prefix "$prefix" -s "$sock" -l 0,1 --stats-interval 1000 "$chain" &
nfvd_pid=$!
wait_until 60 "nfvd control socket" "$build/nfvctl" -s "$sock" status
hosts_setup
traffic
say "nfvctl stats"
"$build/nfvctl" -s "$sock" stats
say "stopping nfvd (SIGTERM): final summary"
kill -TERM "$nfvd_pid"
wait "$nfvd_pid" && rc=0 || rc=$?
nfvd_pid=
[ "$rc" -eq 0 ] || die "nfvd exited with $rc"
say "demo done"
