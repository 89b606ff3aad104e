#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# stress-start.sh [CYCLES] - nfvd start/stop under concurrent starts (not in CI).
#
# Starts and stops one nfvd CYCLES times (default 200; a tap port and a null
# port, its own --file-prefix and socket) while OTHERS (default 2) more nfvd
# loops start and stop beside it. A start counts as hung when the control
# socket has not answered within LIMIT s (default 30; a normal start takes
# 1-5 s here): then every thread's stack is printed (gdb -p PID -batch -ex
# 'thread apply all bt', into $work/hang.N.bt) with nfvd's output, and it is
# killed. Prints start times (median, max) and the hangs; exits 1 on any
# hang or a stop that did not exit 0. Env: NFVD_BUILD (default build/),
# OTHERS, LIMIT, KEEP=1 keeps the work dir.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${NFVD_BUILD:-$repo/build}
cycles=${1:-200}
others=${OTHERS:-2}
limit=${LIMIT:-30}
work=$(mktemp -d /tmp/nfvd-stress-start.XXXXXX)
tag=ss$(($$ % 1000))
pids=()

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	for f in "$work"/*.pid; do
		[ -e "$f" ] && kill -KILL "$(cat "$f")" 2>/dev/null || true
	done
	rm -rf /var/run/dpdk/"$tag"* /dev/hugepages/"$tag"*
	[ "${KEEP:-0}" = 1 ] || rm -rf "$work"
}
trap cleanup EXIT

conf() { # conf NAME -> chain file path
	cat >"$work/$1.yaml" <<EOY
version: 1
ports:
  - {name: a, driver: tap, iface: ${tag}$1}
  - {name: b, driver: "null", rx: false}
chains:
  - {name: fwd, ingress: [a], vnfs: [], egress: b}
EOY
	echo "$work/$1.yaml"
}

# one_start NAME N: start, wait for the socket, stop; prints "ms" or "HANG"
one_start() {
	local name=$1 n=$2 sock=$work/$1.sock out=$work/$1.out pid t0 t1 rc
	t0=$(date +%s%N)
	"$build/nfvd" --file-prefix "$tag$name" -s "$sock" "$(conf "$name")" >"$out" 2>&1 &
	pid=$!
	echo "$pid" >"$work/$name.pid"
	while ! "$build/nfvctl" -s "$sock" status >/dev/null 2>&1; do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" || true
			echo "EXIT $name.$n"; cp "$out" "$work/exit.$name.$n.out"; return
		fi
		if [ $(( ($(date +%s%N) - t0) / 1000000000 )) -ge "$limit" ]; then
			gdb -p "$pid" -batch -ex 'thread apply all bt' >"$work/hang.$name.$n.bt" 2>&1 || true
			cp "$out" "$work/hang.$name.$n.out"
			kill -KILL "$pid" 2>/dev/null || true
			wait "$pid" 2>/dev/null || true
			echo "HANG $name.$n"; return
		fi
		sleep 0.05
	done
	t1=$(date +%s%N)
	kill -TERM "$pid"
	rc=0; wait "$pid" || rc=$?
	rm -f "$work/$name.pid"
	[ "$rc" = 0 ] || { echo "STOP$rc $name.$n"; cp "$out" "$work/stop.$name.$n.out"; return; }
	echo $(( (t1 - t0) / 1000000 ))
}

: >"$work/others.log"
for o in $(seq "$others"); do
	( i=0; while :; do one_start "o$o" $((i++)) >>"$work/others.log"; done ) &
	pids+=($!)
done

: >"$work/main.log"
for i in $(seq "$cycles"); do
	r=$(one_start m "$i")
	echo "$r" >>"$work/main.log"
	case $r in [0-9]*) ;; *) echo "cycle $i: $r (see $work)" ;; esac
done

for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait 2>/dev/null || true
pids=()
bad=$(cat "$work/main.log" "$work/others.log" | grep -vc '^[0-9]' || true)
sort -n "$work/main.log" | grep '^[0-9]' >"$work/ms" || true
n=$(wc -l <"$work/ms")
echo "starts: $n of $cycles answered; median $(sed -n "$(( (n + 1) / 2 ))p" "$work/ms") ms," \
     "max $(tail -1 "$work/ms") ms; others: $(grep -c '^[0-9]' "$work/others.log" || true) starts"
grep -hv '^[0-9]' "$work/main.log" "$work/others.log" || true
if [ "$bad" -gt 0 ]; then
	KEEP=1
	echo "FAILED: $bad hung/failed starts or stops; stacks and output in $work"
	exit 1
fi
echo "OK"
