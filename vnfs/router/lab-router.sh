#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Lab router hosts for chains/examples/lab-router.yaml and lab.yaml, to be
# sourced (by scripts/demo.sh) or run:
#   lab-router.sh up|dhcp-up|traffic|down [NS_PREFIX]
#
#   rtr_lab_up PREFIX      after nfvd created taps rtrlab-a / rtrlab-b: hosts
#                          PREFIX-h1 (10.81.1.2/24, 2001:db8:81:1::2/64) on tap a and
#                          PREFIX-h2 (10.81.2.2/24, 2001:db8:81:2::2/64) on tap b
#                          behind VLAN 20, default routes via the router
#   rtr_lab_dhcp_up PREFIX the same, but h1 (MAC 02:81:01:00:00:02) gets its
#                          IPv4 address and default route from nfvd's DHCP
#                          server with dhclient, and PREFIX-inet, the upstream
#                          "internet" host, when nfvd has tap c
#                          (chains/examples/lab.yaml)
#   rtr_lab_inet_up PREFIX after nfvd created tap rtrlab-c: host PREFIX-inet
#                          (203.0.113.2/24), with no route to the lab's
#                          10.81.0.0/16: it knows only nfvd's public address
#                          203.0.113.1, so the LAN reaches it only through NAT
#   rtr_lab_traffic PREFIX ping, ping -6, traceroute, iperf3 TCP and UDP h1 -> h2;
#                          with PREFIX-inet up, rtr_lab_upstream_traffic too
#   rtr_lab_upstream_traffic PREFIX  h1 -> internet through NAT: ping,
#                          traceroute, curl, iperf3 TCP and UDP; the internet
#                          fetches h1's web page through the port forward
#                          203.0.113.1:8080 (and sees only 203.0.113.1)
#   rtr_lab_down PREFIX    remove the namespaces
#
# The kernel here has no 8021q module, so host h2's VLAN is made by a tc
# BPF program on its interface (push tag 20 on egress, pop on ingress): h2
# is "behind a VLAN" the way a host on a switch access port is.
RTR_LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

rtr_lab_vlan_obj() { # VID -> path of the compiled tc program
	local vid=$1 out=${TMPDIR:-/tmp}/rtrlab-vlan$1.o src
	src=$(mktemp "${TMPDIR:-/tmp}/rtrlab-vlan.XXXXXX.c")
	cat >"$src" <<'EOF'
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
SEC("tc_push") int vlan_push(struct __sk_buff *skb)
{
	bpf_skb_vlan_push(skb, bpf_htons(0x8100), VID);
	return TC_ACT_OK;
}
SEC("tc_pop") int vlan_pop(struct __sk_buff *skb)
{
	bpf_skb_vlan_pop(skb);
	return TC_ACT_OK;
}
char _license[] SEC("license") = "GPL";
EOF
	clang -O2 -target bpf -DVID="$vid" -I/usr/include/x86_64-linux-gnu -c "$src" -o "$out"
	rm -f "$src"
	echo "$out"
}

# rtr_lab_netns_add NS: a namespace whose resolver fails at once (a
# resolv.conf of its own naming its loopback, where nothing listens): the
# host's resolver is not reachable from the lab, and a lookup through the
# LAN's default route would wait out its timeouts (python's http.server
# looks up its own address's name before it listens)
rtr_lab_netns_add() {
	ip netns add "$1"
	mkdir -p "/etc/netns/$1"
	echo "nameserver 127.0.0.1" > "/etc/netns/$1/resolv.conf"
}

# rtr_lab_host NS TAP ADDR4|dhcp ADDR6 GW4 GW6 [VID]
rtr_lab_host() {
	local ns=$1 ifc=$2 a4=$3 a6=$4 gw4=$5 gw6=$6 vid=${7:-} obj
	rtr_lab_netns_add "$ns"
	ip -n "$ns" link set lo up
	for _ in $(seq 100); do [ -e "/sys/class/net/$ifc" ] && break; sleep 0.1; done
	ip link set "$ifc" netns "$ns"
	if [ -n "$vid" ]; then
		obj=$(rtr_lab_vlan_obj "$vid")
		ip netns exec "$ns" tc qdisc add dev "$ifc" clsact
		ip netns exec "$ns" tc filter add dev "$ifc" egress bpf da obj "$obj" sec tc_push
		ip netns exec "$ns" tc filter add dev "$ifc" ingress bpf da obj "$obj" sec tc_pop
	fi
	[ "$a4" = dhcp ] && ip -n "$ns" link set "$ifc" address 02:81:01:00:00:02
	[ "$a4" = dhcp ] || ip -n "$ns" addr add "$a4" dev "$ifc"
	ip -n "$ns" addr add "$a6" dev "$ifc" nodad
	ip -n "$ns" link set "$ifc" up
	if [ "$a4" = dhcp ]; then
		rtr_lab_dhclient "$ns" "$ifc"
		a4="$(ip -n "$ns" -4 -o addr show dev "$ifc" | awk '{print $4}') (DHCP)"
	else
		ip -n "$ns" route add default via "$gw4"
	fi
	ip -n "$ns" -6 route add default via "$gw6"
	# the hosts' own ICMP rate limits would hide the last traceroute hop
	ip netns exec "$ns" sysctl -qw net.ipv4.icmp_ratelimit=0 net.ipv6.icmp.ratelimit=0
	echo "host $ns: $ifc $a4 $a6${vid:+ (VLAN $vid)}"
}

# dhclient in NS on IFC with a script that sets only the address and the
# default route it learned (the stock script would rewrite /etc/resolv.conf)
rtr_lab_dhclient() {
	local ns=$1 ifc=$2 d=${TMPDIR:-/tmp}/$1-dhclient
	mkdir -p "$d"
	cat > "$d/script" <<'SCRIPT'
#!/bin/sh
case "$reason" in
BOUND|RENEW|REBIND|REBOOT)
	len=0
	for o in $(echo "$new_subnet_mask" | tr . ' '); do
		while [ "$o" -gt 0 ]; do len=$((len + (o & 1))); o=$((o >> 1)); done
	done
	ip addr replace "$new_ip_address/$len" dev "$interface"
	for r in $new_routers; do ip route replace default via "$r"; break; done ;;
EXPIRE|FAIL|RELEASE|STOP)
	[ -n "$old_ip_address" ] && ip addr del "$old_ip_address" dev "$interface" ;;
esac
exit 0
SCRIPT
	chmod +x "$d/script"
	ip netns exec "$ns" dhclient -1 -sf "$d/script" -lf "$d/leases" -pf "$d/pid" "$ifc"
}

rtr_lab_dhcp_up() {
	local p=${1:-rtrlab}
	rtr_lab_host "$p-h1" rtrlab-a dhcp 2001:db8:81:1::2/64 10.81.1.1 2001:db8:81:1::1
	rtr_lab_host "$p-h2" rtrlab-b 10.81.2.2/24 2001:db8:81:2::2/64 10.81.2.1 2001:db8:81:2::1 20
	# the upstream when the chain has it (lab.yaml's port c; nfvd made
	# its taps together, a and b are up by now)
	[ ! -e /sys/class/net/rtrlab-c ] || rtr_lab_inet_up "$p"
}

# The upstream: a host on nfvd's port c that knows only its own subnet
# 203.0.113.0/24 (no default route, nothing toward 10.81.0.0/16)
rtr_lab_inet_up() {
	local ns=${1:-rtrlab}-inet ifc=rtrlab-c
	rtr_lab_netns_add "$ns"
	ip -n "$ns" link set lo up
	for _ in $(seq 100); do [ -e "/sys/class/net/$ifc" ] && break; sleep 0.1; done
	ip link set "$ifc" netns "$ns"
	ip -n "$ns" addr add 203.0.113.2/24 dev "$ifc"
	ip -n "$ns" link set "$ifc" up
	ip netns exec "$ns" sysctl -qw net.ipv4.icmp_ratelimit=0
	echo "host $ns: $ifc 203.0.113.2/24 (the internet: no route to 10.81.0.0/16)"
}

rtr_lab_up() {
	local p=${1:-rtrlab}
	rtr_lab_host "$p-h1" rtrlab-a 10.81.1.2/24 2001:db8:81:1::2/64 10.81.1.1 2001:db8:81:1::1
	rtr_lab_host "$p-h2" rtrlab-b 10.81.2.2/24 2001:db8:81:2::2/64 10.81.2.1 2001:db8:81:2::1 20
}

rtr_lab_traffic() {
	local p=${1:-rtrlab} h1=${1:-rtrlab}-h1 h2=${1:-rtrlab}-h2
	printf '\n=== ping h1 -> h2 (across the router, into VLAN 20)\n'
	ip netns exec "$h1" ping -c 5 -i 0.2 -W 2 10.81.2.2
	printf '\n=== ping -6 h1 -> h2\n'
	ip netns exec "$h1" ping -6 -c 5 -i 0.2 -W 2 2001:db8:81:2::2
	printf '\n=== traceroute h1 -> h2 (the router is hop 1)\n'
	ip netns exec "$h1" traceroute -n -q 1 -N 1 -w 2 10.81.2.2
	printf '\n=== iperf3 TCP (5 s) and UDP (20 Mbit/s, 3 s) h1 -> h2\n'
	ip netns exec "$h2" iperf3 -s -D -B 10.81.2.2 -I "${TMPDIR:-/tmp}/$p-iperf.pid"
	for _ in $(seq 50); do
		ip netns exec "$h2" ss -ltn | grep -q 10.81.2.2:5201 && break
		sleep 0.1
	done
	ip netns exec "$h1" iperf3 -c 10.81.2.2 -t 5 -f m
	ip netns exec "$h1" iperf3 -c 10.81.2.2 -u -b 20M -t 3 -f m
	kill "$(cat "${TMPDIR:-/tmp}/$p-iperf.pid")" 2>/dev/null
	rm -f "${TMPDIR:-/tmp}/$p-iperf.pid"
	if [ -e "/var/run/netns/$p-inet" ]; then
		rtr_lab_upstream_traffic "$p"
	fi
}

# rtr_lab_wait_port NS ADDR:PORT: until a TCP listener is up (5 s at most)
rtr_lab_wait_port() {
	for _ in $(seq 50); do
		ip netns exec "$1" ss -ltn | grep -q "$2" && return 0
		sleep 0.1
	done
	return 1
}

rtr_lab_upstream_traffic() {
	local p=${1:-rtrlab} h1=${1:-rtrlab}-h1 inet=${1:-rtrlab}-inet
	local t=${TMPDIR:-/tmp} web
	printf '\n=== ping h1 -> internet 203.0.113.2 (masqueraded to 203.0.113.1)\n'
	ip netns exec "$h1" ping -c 3 -i 0.2 -W 2 203.0.113.2
	printf '\n=== traceroute h1 -> internet (the router, then the internet host)\n'
	ip netns exec "$h1" traceroute -n -q 1 -N 1 -w 2 203.0.113.2
	printf '\n=== web: h1 fetches a page from the internet; the internet sees 203.0.113.1\n'
	web=$(mktemp -d "$t/$p-web.XXXXXX")
	echo "hello from the internet" > "$web/index.html"
	ip netns exec "$inet" python3 -m http.server -b 203.0.113.2 -d "$web" 8000 \
		> "$web/inet.log" 2>&1 &
	local inet_web=$!
	rtr_lab_wait_port "$inet" 203.0.113.2:8000
	ip netns exec "$h1" curl -sS -m 5 http://203.0.113.2:8000/
	kill "$inet_web" 2>/dev/null || true
	wait "$inet_web" 2>/dev/null || true
	sed -n 's/^\(.*"GET.*\)/  internet web log: \1/p' "$web/inet.log"
	printf '\n=== port forward: the internet fetches 203.0.113.1:8080 -> h1 10.81.1.2:8080\n'
	echo "hello from the LAN host h1" > "$web/index.html"
	ip netns exec "$h1" python3 -m http.server -b 10.81.1.2 -d "$web" 8080 \
		> "$web/h1.log" 2>&1 &
	local h1_web=$!
	rtr_lab_wait_port "$h1" 10.81.1.2:8080 || { cat "$web/h1.log"; ip -n "$h1" addr; ip netns exec "$h1" ss -ltnp; false; }
	ip netns exec "$inet" curl -sS -m 5 http://203.0.113.1:8080/
	kill "$h1_web" 2>/dev/null || true
	wait "$h1_web" 2>/dev/null || true
	printf '\n=== iperf3 TCP (2 s) and UDP (10 Mbit/s, 2 s) h1 -> internet through NAT\n'
	ip netns exec "$inet" iperf3 -s -D -B 203.0.113.2 -I "$t/$p-iperf-inet.pid"
	rtr_lab_wait_port "$inet" 203.0.113.2:5201
	ip netns exec "$h1" iperf3 -c 203.0.113.2 -t 2 -f m
	ip netns exec "$h1" iperf3 -c 203.0.113.2 -u -b 10M -t 2 -f m
	kill "$(cat "$t/$p-iperf-inet.pid")" 2>/dev/null || true
	rm -rf "$t/$p-iperf-inet.pid" "$web"
}

rtr_lab_down() {
	local p=${1:-rtrlab} ns
	for ns in "$p-h1" "$p-h2" "$p-inet"; do
		ip netns pids "$ns" 2>/dev/null | xargs -r kill 2>/dev/null
		ip netns del "$ns" 2>/dev/null
		rm -rf "/etc/netns/$ns"
		rm -rf "${TMPDIR:-/tmp}/$ns-dhclient"
	done
	return 0
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	set -euo pipefail
	case "${1:-}" in
	up) rtr_lab_up "${2:-rtrlab}" ;;
	dhcp-up) rtr_lab_dhcp_up "${2:-rtrlab}" ;;
	traffic) rtr_lab_traffic "${2:-rtrlab}" ;;
	down) rtr_lab_down "${2:-rtrlab}" ;;
	*) echo "usage: $0 up|dhcp-up|traffic|down [NS_PREFIX]" >&2; exit 2 ;;
	esac
fi
