#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# nfvd demo: the lab. nfvd replaces the lab's router, DHCP server and
# firewall (chains/examples/lab.yaml; hosts from vnfs/router/lab-router.sh):
# host h1 on the LAN gets its address and gateway from nfvd's DHCP server
# (dhclient), host h2 sits behind VLAN 20 in another subnet; ping, ping -6,
# traceroute, iperf3 TCP and UDP go through firewall and router; lab.yaml
# also has an upstream: an "internet" host that knows only nfvd's public
# address, reached from h1 through NAT (ping, traceroute, curl, iperf3) and
# fetching h1's web page through a port forward; then the leases, firewall
# rule hits, NAT sessions, neighbours and counters.
# With a guest (the default when QEMU is installed): the chain of
# chains/examples/lab-guest.yaml, the same lab plus a counter VNF inside a
# QEMU guest on the WAN side (nfvctl up boots it; KVM when usable, else TCG
# emulation, said so); its image is built by guest/build.sh on the first run
# and cached (NFV_GUEST_CACHE, default ~/.cache/nfvd/guest); the demo shows
# the guest's own live counters and, when nfvctl has "trace", the trace of
# one ping crossing dhcp, fw, rtr and the guest.
# NFV_DEMO_GUEST=0 leaves the guest out (chains/examples/lab.yaml).
# NFV_DEMO_CHAIN=chains/examples/lab-router.yaml runs the router alone (static
# addresses), chains/examples/demo.yaml the plain two-host forward demo.
# NFV_DEMO_CHAIN=chains/examples/lab-frr.yaml: the router with a routing
# control plane: nfvctl up runs nfvd and FRR (zebra with FPM, ospfd, bgpd) in
# a namespace of their own; an FRR neighbour over OSPF, one over eBGP (IPv4
# and IPv6) and a host that gets its IPv6 address by SLAAC, each in its own
# namespace (vnfs/router/lab-frr.sh); the demo prints the OSPF adjacency, the
# BGP sessions, the routes nfvd learned (nfvctl route show, with their
# sources), a ping and traceroute to a prefix nfvd knows only from BGP and
# the host's SLAAC address.
# Builds build/ if needed, starts nfvd (live per-chain counters every
# second), stops it with SIGTERM (it prints its summary) and removes
# everything it created, whatever happens. Runs as root.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
build=${NFVD_BUILD:-$repo/build}
want_guest=${NFV_DEMO_GUEST:-1}
if [ -n "${NFV_DEMO_CHAIN:-}" ]; then
	chain=$NFV_DEMO_CHAIN
elif [ "$want_guest" = 0 ]; then
	chain=chains/examples/lab.yaml
else
	chain=chains/examples/lab-guest.yaml
fi
guest_dir=${NFV_GUEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/nfvd/guest}
guest_vnf=wan-ctr              # the guest VNF of lab-guest.yaml
tag=nfvdemo$$                  # prefix of everything this script creates
run_dir=$(mktemp -d "/tmp/$tag.XXXXXX")
export TMPDIR=$run_dir         # the lab hosts' files (dhclient, VLAN program) too
sock=$run_dir/nfvd.sock
prefix=$tag
nfvd_pid=
up_pid=                        # nfvctl up, when the chain has a guest
frr_gr_new=                    # ospfd's /var/run/frr/ospfd-gr.json is the demo's

say() { printf '\n=== %s\n' "$*"; }
die() { printf 'demo: error: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || die "must run as root (namespaces, taps, hugepages)"

stop_pid() { # PID SECONDS: SIGTERM, SIGKILL after SECONDS
	kill -TERM "$1" 2>/dev/null || return 0
	for _ in $(seq $(($2 * 10))); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
}

cleanup() {
	set +e
	# nfvctl up stops its guests and nfvd (QEMU dies with it in any case)
	[ -n "$up_pid" ] && stop_pid "$up_pid" 30
	[ -n "$nfvd_pid" ] && stop_pid "$nfvd_pid" 10
	# the FRR neighbours of lab-frr.yaml (their pathspaces, namespaces) and
	# the state file ospfd 8.4 writes outside its pathspace
	! lab_frr || frr_lab_down "$tag"
	[ -z "$frr_gr_new" ] || rm -f /var/run/frr/ospfd-gr.json
	for ns in $(ip netns list | awk '{print $1}' | grep "^$tag-"); do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns"
		rm -rf "/etc/netns/$ns"
	done
	rm -f /dev/hugepages/"$prefix"*
	rm -rf /var/run/dpdk/"$prefix" "$run_dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

alive() { # the process the demo started: nfvctl up (guest) or nfvd
	kill -0 "${up_pid:-$nfvd_pid}" 2>/dev/null
}

wait_until() { # timeout-seconds what command...
	local t=$1 what=$2 end
	shift 2
	end=$((SECONDS + t))
	until "$@" >/dev/null 2>&1; do
		[ $SECONDS -lt $end ] || die "timed out waiting for $what"
		alive || die "$(if [ -n "$up_pid" ]; then echo nfvctl up; else echo nfvd; fi) exited (see its output above)"
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
	if lab_frr; then
		say "neighbours and host: FRR over OSPF, FRR over eBGP, h1 by SLAAC (vnfs/router/lab-frr.sh)"
		frr_lab_up "$tag" "$tag-rtr" "$run_dir"
		return
	fi
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
lab_router() {
	case "$(basename "$chain")" in lab-router.yaml | lab.yaml | lab-guest.yaml) return 0 ;; esac
	return 1
}
lab_dhcp() { case "$(basename "$chain")" in lab.yaml | lab-guest.yaml) return 0 ;; esac; return 1; }
has_guest() { grep -q '^ *runtime: *vm' "$chain"; }
lab_frr() { grep -q '^frr:' "$chain"; }
# shellcheck source=../vnfs/router/lab-router.sh
. "$repo/vnfs/router/lab-router.sh"
# shellcheck source=../vnfs/router/lab-frr.sh
. "$repo/vnfs/router/lab-frr.sh"
export NFVCTL=$build/nfvctl    # lab-frr.sh's nfvctl

traffic() {
	if lab_frr; then
		say "waiting for OSPF Full, BGP Established, the routes in nfvd's FIB, h1's SLAAC address"
		frr_lab_wait "$tag" "$sock" "$tag" 120 || die "the FRR lab did not converge"
		frr_lab_show "$tag" "$sock" "$tag"
		frr_lab_traffic "$tag"
		say "router neighbours (nfvctl neigh show)"
		"$build/nfvctl" -s "$sock" neigh show
		return
	fi
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
		if grep -q '^    nat:' "$chain"; then
			say "NAT sessions and stats (nfvctl nat sessions ; nfvctl nat stats)"
			"$build/nfvctl" -s "$sock" nat sessions
			"$build/nfvctl" -s "$sock" nat stats
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

# ---- the guest VNF (chains with runtime: vm) ----

# KVM or TCG: what nfvctl up will pick (orchestrator/vm.c vm_accel_pick)
guest_accel_note() {
	local why=
	if ! grep -qw -e vmx -e svm /proc/cpuinfo; then
		why="this CPU shows no vmx/svm"
	elif ! { : <>/dev/kvm; } 2>/dev/null; then
		why="/dev/kvm cannot be opened"
	fi
	if [ -z "$why" ]; then
		echo "guest: KVM is usable: the guest boots in seconds"
		return 0
	fi
	echo "guest: KVM is not usable here ($why): the guest runs under TCG,"
	echo "guest: QEMU's CPU emulator. It works the same, only slower: it boots in"
	echo "guest: 20-60 s (longer on a busy machine) and forwards a fraction of what"
	echo "guest: it would under KVM (ping and iperf3 below cross it)."
	echo "guest: NFV_DEMO_GUEST=0 runs the demo without the guest."
}

# The guest image (kernel + initramfs with nfvd), built once and cached, and
# again when nfvd is newer than the image. Fails when there can be no guest.
guest_image() {
	command -v qemu-system-x86_64 >/dev/null || {
		echo "guest: qemu-system-x86_64 not found (scripts/setup.sh installs it)"
		return 1
	}
	if [ -s "$guest_dir/vmlinux" ] && [ -s "$guest_dir/nfvd.cpio.gz" ] &&
		! [ "$build/nfvd" -nt "$guest_dir/nfvd.cpio.gz" ]; then
		echo "guest: image in $guest_dir (cached)"
		return 0
	fi
	say "building the guest image into $guest_dir (guest/build.sh; once, then cached)"
	if ! "$repo/guest/build.sh" -o "$guest_dir" -n "$build/nfvd" >"$run_dir/guest-build.log" 2>&1 ||
		! [ -s "$guest_dir/nfvd.cpio.gz" ]; then
		tail -n 5 "$run_dir/guest-build.log"
		echo "guest: guest/build.sh failed (its output above)"
		return 1
	fi
	echo "guest: built $guest_dir/vmlinux and nfvd.cpio.gz"
}

# The chain file with this run's folders: sockets in $run_dir, image in $guest_dir
guest_chain() {
	local out
	out=$run_dir/$(basename "$chain")
	sed -e "s|/run/nfvd/|$run_dir/|g" -e "s|/var/cache/nfvd/guest|$guest_dir|g" "$chain" >"$out"
	chain=$out
}

guest_state() {
	"$build/nfvctl" -s "$sock" --json vm list 2>/dev/null | python3 -c '
import json, sys
g = {v["name"]: v for v in json.load(sys.stdin)}.get(sys.argv[1], {})
print(g.get("state", "none"))' "$guest_vnf"
}

guest_wait() {
	local start=$SECONDS end=$((SECONDS + 240)) st
	say "waiting for guest $guest_vnf to boot (nfvctl vm list)"
	while :; do
		st=$(guest_state)
		[ "$st" = running ] && break
		[ $SECONDS -lt $end ] ||
			die "guest $guest_vnf not running after 240 s (state $st)"
		alive || die "nfvctl up exited (see its output above)"
		sleep 0.5
	done
	echo "guest $guest_vnf: running (waited $((SECONDS - start)) s here)"
	"$build/nfvctl" -s "$sock" vm list
	# the guest's nfvd forwards a moment after its links come up
	wait_until 60 "a first ping through the guest" \
		ip netns exec "$tag-h1" ping -c 1 -W 1 10.81.2.2
}

# The guest's own counters: its nfvd prints "chain-<vnf>: rx N tx N drop N"
# on its serial console every 2 s (nfvctl vm console).
guest_rx() {
	"$build/nfvctl" -s "$sock" vm console "$guest_vnf" 2>/dev/null |
		sed -n "s/.*chain-$guest_vnf: rx \([0-9]*\).*/\1/p" | tail -n 1 | grep -qv '^0*$'
}

guest_counters() {
	say "guest $guest_vnf: its own live counters (nfvctl vm console $guest_vnf, every 2 s)"
	wait_until 30 "the guest's counters" guest_rx
	"$build/nfvctl" -s "$sock" vm console "$guest_vnf" | grep "chain-$guest_vnf:" | tail -n 3
}

# One ping h1 -> h2 traced stage by stage (nfvctl trace, when this nfvctl has
# it). With the guest the echo request crosses its chain (from-a-wan) twice:
# dhcp, fw, rtr, then the guest stage sends it to the guest; back from the
# guest (port g-out) the chain resumes after the guest stage and sends it
# out of b. The router has pushed VLAN 20 by then, hence the filter's vlan
# half; the reply (to h1) does not match the filter.
trace_ping() {
	local n=1
	if ! "$build/nfvctl" --help 2>&1 | grep -q '^ *trace '; then
		echo "(this nfvctl has no trace verb: no packet trace shown)"
		return 0
	fi
	[ "$guest" = 0 ] || n=2
	say "trace of one ping h1 -> h2 (nfvctl trace): every stage it crossed"
	"$build/nfvctl" -s "$sock" trace start count=$n \
		"filter=(icmp and dst host 10.81.2.2) or (vlan and icmp and dst host 10.81.2.2)"
	ip netns exec "$tag-h1" ping -c 1 -W 2 10.81.2.2 >/dev/null || true
	"$build/nfvctl" -s "$sock" trace stop >/dev/null
	"$build/nfvctl" -s "$sock" trace show
}

# The FRR lab's chain file with this run's names: nfvd's socket, FRR's
# pathspace $tag; nfvctl up, nfvd and FRR run in namespace $tag-rtr (zebra
# programs that namespace's kernel FIB)
frr_chain() {
	local out
	out=$run_dir/$(basename "$chain")
	sed -e "s|/run/nfvd/|$run_dir/|g" -e "s|^  pathspace: .*|  pathspace: $tag|" "$chain" >"$out"
	chain=$out
	chmod 755 "$run_dir" # FRR's daemons run as user frr
	[ -e /var/run/frr/ospfd-gr.json ] || frr_gr_new=1
	ip netns add "$tag-rtr"
	ip -n "$tag-rtr" link set lo up
}

build_if_needed
guest=0
if has_guest; then
	[ "$(basename "$chain")" = lab-guest.yaml ] ||
		die "$chain has guests: the demo runs guests in lab-guest.yaml only (run others with: nfvctl up $chain)"
	if guest_image; then
		guest=1
		guest_accel_note
		guest_chain
	elif [ -z "${NFV_DEMO_CHAIN:-}" ]; then
		echo "guest: no guest image: the lab without the guest (chains/examples/lab.yaml)"
		chain=chains/examples/lab.yaml
	else
		die "$chain needs a guest image"
	fi
fi
if [ "$guest" = 1 ]; then
	say "starting nfvd and guest $guest_vnf: nfvctl up $(basename "$chain") (live counters every second)"
	# DPDK's vhost library logs each step of the vhost-user handshake
	# (VHOST_CONFIG, a hundred lines per guest boot): left out unless
	# NFV_DEMO_VERBOSE=1; the guest's state is in nfvctl vm list.
	if [ "${NFV_DEMO_VERBOSE:-0}" = 1 ]; then
		"$build/nfvctl" -s "$sock" up "$chain" -- \
			--file-prefix "$prefix" -l 0,1 --stats-interval 1000 &
	else
		"$build/nfvctl" -s "$sock" up "$chain" -- \
			--file-prefix "$prefix" -l 0,1 --stats-interval 1000 \
			> >(grep --line-buffered -v '^VHOST_CONFIG:') 2>&1 &
	fi
	up_pid=$!
	wait_until 60 "nfvd control socket" "$build/nfvctl" -s "$sock" status
	nfvd_pid=$("$build/nfvctl" -s "$sock" --json status |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["pid"])')
elif lab_frr; then
	say "starting nfvd and FRR in namespace $tag-rtr: nfvctl up $(basename "$chain") (live counters every second)"
	frr_chain
	ip netns exec "$tag-rtr" "$build/nfvctl" -s "$sock" up "$chain" -- \
		--file-prefix "$prefix" -l 0,1 --stats-interval 1000 > >(tee "$run_dir/up.log") 2>&1 &
	up_pid=$!
	wait_until 120 "nfvctl up: nfvd and FRR" grep -q " is up " "$run_dir/up.log"
	nfvd_pid=$("$build/nfvctl" -s "$sock" --json status |
		python3 -c 'import json, sys; print(json.load(sys.stdin)["pid"])')
else
	say "starting nfvd with $chain (live counters every second)"
	"$build/nfvd" --file-prefix "$prefix" -s "$sock" -l 0,1 --stats-interval 1000 "$chain" &
	nfvd_pid=$!
	wait_until 60 "nfvd control socket" "$build/nfvctl" -s "$sock" status
fi
hosts_setup
[ "$guest" = 0 ] || guest_wait
traffic
! lab_dhcp || trace_ping
[ "$guest" = 0 ] || guest_counters
say "nfvctl stats"
"$build/nfvctl" -s "$sock" stats
if [ -n "$up_pid" ]; then
	say "stopping $(if [ "$guest" = 1 ]; then echo guest; else echo FRR; fi) and nfvd (nfvctl down): final summary"
	"$build/nfvctl" -s "$sock" down >/dev/null
	wait "$up_pid" && rc=0 || rc=$?
	up_pid=
	nfvd_pid=
	[ "$rc" -eq 0 ] || die "nfvctl up exited with $rc"
else
	say "stopping nfvd (SIGTERM): final summary"
	kill -TERM "$nfvd_pid"
	wait "$nfvd_pid" && rc=0 || rc=$?
	nfvd_pid=
	[ "$rc" -eq 0 ] || die "nfvd exited with $rc"
fi
say "demo done"
