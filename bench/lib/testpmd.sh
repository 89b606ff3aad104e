# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the bench scripts: dpdk-testpmd io forwarding (the I/O floor),
# looping pcap -> null sink, one forwarding core (CPU 1), main on CPU 0.
#
#   bench_testpmd_io PCAP MBUFS
# Needs W (work dir), TAG (file-prefix stem), DURATION (s) and the array PIDS
# (the caller's cleanup list). Sets TP_PPS (packets/s from port 1's TX) and
# TP_CPP (testpmd's own CPU cycles/packet).
bench_testpmd_io() {
	local pcap=$1 mbufs=$2 pid tx
	mkfifo "$W/tp.in"
	exec {TPFD}<>"$W/tp.in"
	stdbuf -oL dpdk-testpmd -l 0,1 --file-prefix ${TAG}tp --no-pci -m 1024 \
		--vdev "net_pcap0,rx_pcap=$pcap,infinite_rx=1" \
		--vdev "net_null0,no-rx=1" \
		-- -i --forward-mode=io --record-core-cycles --total-num-mbufs="$mbufs" \
		< "$W/tp.in" > "$W/tp.log" 2>&1 &
	pid=$!
	PIDS+=($pid)
	for _ in $(seq 1 200); do
		grep -q 'testpmd>' "$W/tp.log" && break
		sleep 0.1
	done
	echo "start" >&$TPFD
	sleep 1
	echo "clear port stats all" >&$TPFD
	echo "clear fwd stats all" >&$TPFD
	sleep "$DURATION"
	echo "show port stats 1" >&$TPFD
	echo "show fwd stats all" >&$TPFD
	echo "stop" >&$TPFD
	echo "quit" >&$TPFD
	exec {TPFD}>&-
	wait "$pid" 2>/dev/null || true
	rm -f "$W/tp.in" /dev/hugepages/${TAG}tp*
	tx=$(sed -n 's/.*TX-packets: *\([0-9]*\).*/\1/p' "$W/tp.log" | head -1)
	TP_PPS=$(( ${tx:-0} / DURATION ))
	TP_CPP=$(sed -n 's/.*CPU cycles\/packet=\([0-9.]*\).*/\1/p' "$W/tp.log" | tail -1)
	TP_CPP=${TP_CPP:-0}
}
