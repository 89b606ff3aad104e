#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# DHCPv4 session rate: nfvd's DHCP VNF vs ISC Kea (memfile, persist on),
# both driven by nfv-dhcpgen (bench/dhcpgen: the DPDK client emulator, one
# core), perfdhcp kept as a low-rate cross-check.
#
#   bench/dhcp_vs_kea.sh [BUILD_DIR]      (default: build)
#   env: RATES="5000 10000 ..."  offered exchanges/s (DISCOVER-OFFER-REQUEST-ACK)
#        PERIOD=4                seconds of new exchanges per step
#        CLIENTS=600000          emulated clients (MACs): at least the
#                                highest rate x PERIOD (a bound client
#                                does not start again)
#        TIMEOUT_MS=1000         a reply later than this is a timeout (a drop)
#        GEN_CPU=0 SRV_CPU=1     the emulator's and the server's CPU
#        SERVERS="nfvd nfvd-memif nfvd-write kea"
#        NFVD_BEFORE=PATH        also run this nfvd binary (servers
#                                "nfvd-before" and "nfvd-memif-before",
#                                lease-sync fdatasync): a before/after
#                                comparison in the same run
#        PERF_RATE=500           perfdhcp cross-check rate (0: none)
#        GEN_ARGS="--renew --release"   more emulator options
#        RESULTS_DIR=bench/results       where the JSON lines go
#        QUEUE=16384             every server's receive queue, frames
#        GEN_FRAMES=QUEUE        the emulator's af_packet ring (frames): it
#                                receives two replies per exchange, and the
#                                PMD's default (512) overflowed in 4 ms of
#                                its CPU taken at 60k exchanges/s
#        TRIALS=3                runs of a step lost while the emulator was
#                                off its CPU (starts skipped), at most
#
# Set-up: the emulator runs in namespace dhcpbg on an af_packet port of
# its veth end (10.64.0.5/12 there, for perfdhcp), pinned to GEN_CPU.
#   nfvd: the other end of a veth is nfvd's af_packet port; nfvd runs under
#         taskset -c SRV_CPU: its one-CPU mode (the control thread runs the
#         worker's loop, the journal writer beside it).
#   nfvd-memif: nfvd (fdatasync) on a memif port, the emulator its memif
#         client: nfvd on a link of its own kind, as on a NIC, with no
#         kernel socket between (the af_packet rows pay the kernel's
#         packet-socket and veth work on nfvd's CPU, Kea's rows on Kea's)
#   Kea:  the other end is in namespace dhcpbk (10.64.0.1/12), kea-dhcp4
#         pinned to SRV_CPU, raw sockets (direct clients), lfc off,
#         logging WARN.
# Every server gets a receive queue of about QUEUE (16,384) frames: at
# 80k exchanges/s (160k frames/s each way) it rides out ~100 ms without
# the CPU, which this host's neighbours take: Kea's sockets QUEUE KiB
# (RMEM, 16 MiB), nfvd's af_packet ring rx-desc QUEUE frames, the memif
# rings QUEUE slots (rsize, at most 2^14); the emulator's own af_packet
# ring too (GEN_FRAMES).
# Subnet 10.64.0.0/12, pool 10.64.1.0-10.79.255.254 for both; each step
# starts the server afresh with an empty lease store on /var/tmp. nfvd
# fdatasyncs each journal batch before its ACKs leave (nfvd-write: ACK
# after write(), Kea's memfile guarantee: it never fsyncs).
# Per step: completed exchanges/s, timeouts (offer/ack), NAKs, latency
# percentiles of DISCOVER->OFFER and REQUEST->ACK, the server's CPU time
# (its process, all threads) per exchange and SRV_CPU's busy time per
# exchange (everything on that CPU: kernel work, other processes). Zero
# drop: every exchange started completed (no timeout, no NAK, no start
# skipped). Then each server's highest zero-drop rate and the ratios.
# A step where the emulator could not start every exchange on time is
# marked gen-limited. JSON lines (first: machine, kernel, load) go to
# bench/results/.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$ROOT/build}
NFVD=$BUILD/nfvd
GEN=$BUILD/bench/dhcpgen/nfv-dhcpgen
RATES=${RATES:-"10000 12000 14000 16000 20000 40000 60000 80000 100000 120000"}
PERIOD=${PERIOD:-4}
CLIENTS=${CLIENTS:-600000}
TIMEOUT_MS=${TIMEOUT_MS:-1000}
SERVERS=${SERVERS:-"nfvd nfvd-memif nfvd-write kea"}
NFVD_BEFORE=${NFVD_BEFORE:-}
PERF_RATE=${PERF_RATE:-500}
GEN_ARGS=${GEN_ARGS:-}
GEN_CPU=${GEN_CPU:-0}
SRV_CPU=${SRV_CPU:-1}
QUEUE=${QUEUE:-16384}
RMEM=${RMEM:-$((QUEUE * 1024))}
TRIALS=${TRIALS:-3}
GEN_FRAMES=${GEN_FRAMES:-$QUEUE}
MEMIF_LOG2=$(awk -v q="$QUEUE" 'BEGIN { l = 0; while (2 ^ (l + 1) <= q && l < 14) l++; print l }')
RMEM_WAS=$(sysctl -n net.core.rmem_default)
RMEM_MAX_WAS=$(sysctl -n net.core.rmem_max)
NSG=dhcpbg
NSK=dhcpbk
WORK=$(mktemp -d /var/tmp/nfvd-dhcpbench.XXXXXX)
STAMP=$(date +%Y%m%d-%H%M%S)
RESULTS=${RESULTS_DIR:-$ROOT/bench/results}/dhcp_vs_kea-$STAMP.jsonl
SRV_PID=
STEP=0
LINK=af_packet
[ -n "$NFVD_BEFORE" ] && SERVERS="$SERVERS nfvd-before nfvd-memif-before"

for p in kea-dhcp4 "$NFVD" "$GEN" ${NFVD_BEFORE:+"$NFVD_BEFORE"}; do
	command -v "$p" >/dev/null || { echo "dhcp_vs_kea: $p not found" >&2; exit 1; }
done
[ "$PERF_RATE" = 0 ] || command -v perfdhcp >/dev/null ||
	{ echo "dhcp_vs_kea: perfdhcp not found (PERF_RATE=0: no cross-check)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "dhcp_vs_kea: needs root (namespaces, hugepages)" >&2; exit 1; }

stop_server() {
	if [ -n "$SRV_PID" ]; then
		kill "$SRV_PID" 2>/dev/null || true
		wait "$SRV_PID" 2>/dev/null || true
		SRV_PID=
	fi
	rm -f /dev/hugepages/dhcpbench* ; rm -rf /var/run/dpdk/dhcpbench
}
cleanup() {
	stop_server
	rm -rf /var/run/dpdk/dhcpbgen
	ip netns del $NSG 2>/dev/null || true
	ip netns del $NSK 2>/dev/null || true
	ip link del dhcpb-nv 2>/dev/null || true
	sysctl -qw net.core.rmem_default="$RMEM_WAS" || true
	sysctl -qw net.core.rmem_max="$RMEM_MAX_WAS" || true
	rm -rf "$WORK"
}
trap cleanup EXIT
# Kea's sockets (and perfdhcp's) get RMEM bytes of receive buffer: with the
# kernel's 208 KiB default a socket overflows at a few thousand frames/s as
# soon as its process waits a few ms for the CPU (nfvd's af_packet ring is
# its own; both sysctls restored at exit)
sysctl -qw net.core.rmem_max="$(( $(sysctl -n net.core.rmem_max) > RMEM ? $(sysctl -n net.core.rmem_max) : RMEM ))"
sysctl -qw net.core.rmem_default="$RMEM"

cat > "$WORK/nfvd.yaml" <<EOF
version: 1
ports:
  - {name: lan, driver: af_packet, iface: dhcpb-nv, rx-desc: $QUEUE}
vnfs:
  - name: dhcp0
    class: dhcp
    interfaces: [{port: lan, address: 10.64.0.1/12}]
    lease-file: $WORK/nfvd-@STEP@.leases
    lease-sync: @SYNC@
    subnets:
      - subnet: 10.64.0.0/12
        pools: [{range: 10.64.1.0-10.79.255.254}]
        options: {routers: [10.64.0.1], dns-servers: [10.64.0.53], lease-time: 3600}
chains:
  - {name: lan-in, ingress: [lan], vnfs: [dhcp0]}
EOF

cat > "$WORK/kea.json" <<EOF
{"Dhcp4": {
  "interfaces-config": {"interfaces": ["dhcpbk-v"], "dhcp-socket-type": "raw"},
  "lease-database": {"type": "memfile", "persist": true, "lfc-interval": 0,
                     "name": "$WORK/kea-leases-@STEP@.csv"},
  "valid-lifetime": 3600,
  "subnet4": [{"subnet": "10.64.0.0/12",
               "pools": [{"pool": "10.64.1.0 - 10.79.255.254"}],
               "option-data": [{"name": "routers", "data": "10.64.0.1"},
                               {"name": "domain-name-servers", "data": "10.64.0.53"}]}],
  "loggers": [{"name": "kea-dhcp4", "severity": "WARN",
               "output_options": [{"output": "$WORK/kea.log"}]}]
}}
EOF

# the emulator's namespace and its veth end; the other end goes to the server
link_up() { # kind: nfvd | kea
	ip netns del $NSG 2>/dev/null || true
	ip netns del $NSK 2>/dev/null || true
	ip link del dhcpb-nv 2>/dev/null || true
	ip netns add $NSG
	ip -n $NSG link set lo up
	if [ "$1" = kea ]; then
		ip netns add $NSK
		ip -n $NSK link set lo up
		ip link add dhcpbk-v type veth peer name dhcpbg-v
		ip link set dhcpbk-v netns $NSK
		ip -n $NSK addr add 10.64.0.1/12 dev dhcpbk-v
		ip -n $NSK link set dhcpbk-v up
	else
		ip link add dhcpb-nv type veth peer name dhcpbg-v
		ip link set dhcpb-nv up
	fi
	ip link set dhcpbg-v netns $NSG
	ip -n $NSG addr add 10.64.0.5/12 dev dhcpbg-v
	ip -n $NSG link set dhcpbg-v up
}

start_server() { # server
	STEP=$((STEP + 1))
	LINK=af_packet
	case $1 in
	kea)
		link_up kea
		sed -e "s/@STEP@/$STEP/" "$WORK/kea.json" > "$WORK/kea-run.json"
		KEA_PIDFILE_DIR=$WORK KEA_LOCKFILE_DIR=$WORK ip netns exec $NSK \
			taskset -c "$SRV_CPU" kea-dhcp4 -c "$WORK/kea-run.json" >"$WORK/kea.out" 2>&1 &
		SRV_PID=$!
		;;
	*)
		local bin=$NFVD sync=fdatasync
		[ "$1" = nfvd-write ] && sync=write
		[ "${1%-before}" != "$1" ] && bin=$NFVD_BEFORE
		link_up nfvd
		sed -e "s/@SYNC@/$sync/" -e "s/@STEP@/$STEP/" "$WORK/nfvd.yaml" > "$WORK/nfvd-run.yaml"
		if [ "${1#nfvd-memif}" != "$1" ]; then
			LINK=memif
			sed -i "s#driver: af_packet, iface: dhcpb-nv#driver: memif, socket: $WORK/dhcp.sock, role: server#" \
				"$WORK/nfvd-run.yaml"
		fi
		taskset -c "$SRV_CPU" "$bin" --file-prefix dhcpbench -s "$WORK/nfvd.sock" \
			"$WORK/nfvd-run.yaml" >"$WORK/nfvd.log" 2>&1 &
		SRV_PID=$!
		for _ in $(seq 300); do
			"$BUILD/nfvctl" -s "$WORK/nfvd.sock" status >/dev/null 2>&1 && break
			kill -0 $SRV_PID 2>/dev/null || { cat "$WORK/nfvd.log" >&2; exit 1; }
			sleep 0.1
		done
		;;
	esac
	# the emulator's probe (a DISCOVER every 100 ms until an OFFER, up
	# to 10 s) waits for a server still starting
}

proc_ticks() { # utime + stime of the server process, all threads
	awk '{ print $14 + $15 }' "/proc/$SRV_PID/stat" 2>/dev/null || echo 0
}
cpu_ticks() { # busy jiffies of SRV_CPU
	awk -v c="cpu$SRV_CPU" '$1 == c { t = 0; for (i = 2; i <= 9; i++) t += $i; print t - $5 - $6 }' /proc/stat
}

run_gen() { # args... -> JSON on stdout
	if [ "$LINK" = memif ]; then
		# nfvd's one-CPU mode transmits on 2 queues (worker + control)
		"$GEN" -l "$GEN_CPU" --file-prefix dhcpbgen --in-memory --no-pci --log-level=3 \
			--vdev "net_memif0,role=client,socket=$WORK/dhcp.sock,socket-abstract=no,rsize=$MEMIF_LOG2" -- --rxq 2 "$@"
		return
	fi
	ip netns exec $NSG "$GEN" -l "$GEN_CPU" --file-prefix dhcpbgen --in-memory --no-pci \
		--log-level=3 --vdev "net_af_packet0,iface=dhcpbg-v,framecnt=$GEN_FRAMES" -- --rxq 1 "$@"
}

# run SERVER RATE -> one printed line, one JSON line
run_step() { # SERVER RATE TRIAL; $WORK/retry not empty: run it again
	local server=$1 rate=$2 trial=$3 p0 p1 c0 c1 out
	p0=$(proc_ticks); c0=$(cpu_ticks)
	# shellcheck disable=SC2086
	out=$(run_gen -n "$CLIENTS" -r "$rate" -d "$PERIOD" -t "$TIMEOUT_MS" $GEN_ARGS 2>"$WORK/gen.err") ||
		{ cat "$WORK/gen.err" >&2; out='{}'; }
	p1=$(proc_ticks); c1=$(cpu_ticks)
	python3 - "$server" "$rate" "$((p1 - p0))" "$((c1 - c0))" "$(getconf CLK_TCK)" "$out" "$RESULTS" \
		"$trial" "$TRIALS" "$WORK/retry" <<'PY'
import json, sys
server, rate, pt, ct, hz, out, path, trial, trials, retry_path = sys.argv[1:]
r = json.loads(out) if out.strip() else {}
done = r.get("completed", 0)
to = r.get("timeouts", {})
lat = r.get("latency", {})
def pct(k, p):
    return lat.get(k, {}).get(p, 0) / 1000.0
row = {"server": server, "offered": int(rate), "exchanges_per_s": r.get("exchanges_per_s", 0),
       "started": r.get("started", 0), "completed": done, "timeouts_offer": to.get("offer", 0),
       "timeouts_ack": to.get("ack", 0), "naks": r.get("naks", 0),
       "starts_skipped": r.get("starts_skipped", 0),
       "duplicate_addresses": r.get("duplicate_addresses", 0),
       # every exchange started completed (a start the emulator skipped,
       # kept off its CPU, is not the server's drop: the rate says it)
       "zero_drop": bool(done) and done == r.get("started") and r.get("naks", 1) == 0,
       "server_cpu_us_per_x": int(pt) / int(hz) * 1e6 / done if done else 0,
       "cpu_busy_us_per_x": int(ct) / int(hz) * 1e6 / done if done else 0,
       "gen_busy_us_per_x": r.get("busy_us_per_exchange", 0),
       "latency_ms": {k: {p: pct(k, p + "_us") for p in ("p50", "p90", "p99", "max")}
                      for k in ("discover_offer", "request_ack", "exchange")},
       "trial": int(trial), "gen": r}
# lost while the emulator had a gap of its own (it skipped starts: 10 ms
# or more off its CPU), and no more than such a gap can explain (the
# exchanges of the gap and of its 10 ms, twice over): not the server's
# verdict, the step runs again. A server far above its limit loses more.
lost = row["timeouts_offer"] + row["timeouts_ack"] + row["naks"]
row["retried"] = (not row["zero_drop"] and row["starts_skipped"] > 0 and
                  lost <= 2 * (row["starts_skipped"] + int(rate) // 100) and
                  int(trial) < int(trials))
open(retry_path, "w").write("retry\n" if row["retried"] else "")
with open(path, "a") as f:
    f.write(json.dumps(row) + "\n")
print("%-11s %7d %9.0f %6d %6d %5d %4s %7.2f %7.2f %7.2f %7.2f %8.1f %8.1f%s" % (
    server, row["offered"], row["exchanges_per_s"], row["timeouts_offer"], row["timeouts_ack"],
    row["naks"], "yes" if row["zero_drop"] else "no", row["latency_ms"]["discover_offer"]["p50"],
    row["latency_ms"]["discover_offer"]["p99"], row["latency_ms"]["request_ack"]["p50"],
    row["latency_ms"]["request_ack"]["p99"], row["server_cpu_us_per_x"], row["cpu_busy_us_per_x"],
    # the emulator could not start every exchange on time (kept off its
    # CPU): the offered rate was not met, the step measures the host
    ("  gen-limited (%d starts skipped)" % row["starts_skipped"] if row["starts_skipped"] else "") +
    ("  trial %d" % row["trial"] if row["trial"] > 1 else "") + ("  (again)" if row["retried"] else "")))
PY
}

# perfdhcp at a low rate, relayed through 10.64.0.5 (its cross-check of
# the emulator: both should see every exchange complete)
run_perfdhcp() { # server
	local out
	out=$(ip netns exec $NSG taskset -c "$GEN_CPU" perfdhcp -4 -l 10.64.0.5 -r "$PERF_RATE" \
		-R 100000 -p 3 -W 500000 10.64.0.1 2>&1 || true)
	echo "$out" | awk -v server="$1" -v rate="$PERF_RATE" -v json="$RESULTS" '
		/^Rate:/ { done = $2 }
		/^sent packets:/ { sent[x] = $3 }
		/^received packets:/ { got[x] = $3 }
		/Statistics for: DISCOVER-OFFER/ { x = "do" }
		/Statistics for: REQUEST-ACK/ { x = "ra" }
		/^drops:/ { d[x] = $2 }
		/^avg delay:/ { a[x] = $3 }
		END {
			printf "%-11s %7d %9.0f  perfdhcp: drops DO %d RA %d, avg delay DO %.2f RA %.2f ms\n",
			       server, rate, done, d["do"], d["ra"], a["do"], a["ra"]
			printf "{\"perfdhcp\":true,\"server\":\"%s\",\"offered\":%d,\"dora_per_s\":%.1f,\"drops_do\":%d,\"drops_ra\":%d,\"avg_ms_do\":%s,\"avg_ms_ra\":%s}\n",
			       server, rate, done, d["do"], d["ra"], a["do"] + 0, a["ra"] + 0 >> json
		}'
}

mkdir -p "$(dirname "$RESULTS")"
python3 - "$RESULTS" "$*" <<'PY'
import json, os, platform, sys
model = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
env = {k: os.environ.get(k) for k in ("RATES", "PERIOD", "CLIENTS", "TIMEOUT_MS", "SERVERS",
                                        "NFVD_BEFORE", "GEN_ARGS", "GEN_CPU", "SRV_CPU") if os.environ.get(k)}
with open(sys.argv[1], "w") as f:
    f.write(json.dumps({"bench": "dhcp_vs_kea", "command": " ".join(
        ["%s=%s" % kv for kv in env.items()] + ["bench/dhcp_vs_kea.sh"] + sys.argv[2:]).strip(),
        "machine": {"cpus": os.cpu_count(), "model": model, "kernel": platform.release(),
                    "loadavg_start": open("/proc/loadavg").read().split()[:3]}}) + "\n")
PY
# the emulator's own capacity: clients and a fake server in one process
# on one core, over a port that loops back (no server, no link cost)
SELF=$("$GEN" -l "$GEN_CPU" --file-prefix dhcpbgen --in-memory --no-pci --log-level=3 \
	--vdev net_ring0 -- --self --rxq 1 -n "$CLIENTS" -w 512 -d "$PERIOD" 2>&1 | tail -1)
python3 - "$SELF" "$RESULTS" <<'PY'
import json, sys
r = json.loads(sys.argv[1])
print("self-check (emulator + fake server, one core, net_ring loop): %.0f exchanges/s, "
      "%.0f per CPU second (the process had %.0f%% of its CPU), duplicates %d, timeouts %d"
      % (r["exchanges_per_s"], r["exchanges_per_cpu_s"], 100 * r["cpu_s"] / max(r["wall_s"], 1e-9),
         r["duplicate_addresses"], sum(r["timeouts"].values())))
with open(sys.argv[2], "a") as f:
    f.write(json.dumps({"selfcheck": True, "exchanges_per_s": r["exchanges_per_s"],
                        "exchanges_per_cpu_s": r["exchanges_per_cpu_s"], "gen": r}) + "\n")
PY
printf "%-11s %7s %9s %6s %6s %5s %4s %7s %7s %7s %7s %8s %8s\n" server offered "x/s" "to-O" "to-A" \
	naks zero "DO-p50" "DO-p99" "RA-p50" "RA-p99" "srv-us/x" "cpu-us/x"
# one server at one rate: a trial lost while the emulator itself was kept
# off its CPU (it had to skip starts: a gap of 10 ms or more), no more
# than that gap explains, measured the host, and is run again, up to
# TRIALS times (TST009's repeated trials; every trial is in the JSON, the
# summary counts those run again)
run_rate() { # SERVER RATE
	local server=$1 rate=$2 trial=1
	while :; do
		start_server "$server"
		run_step "$server" "$rate" "$trial"
		if [ "${server#nfvd}" != "$server" ]; then
			"$BUILD/nfvctl" -s "$WORK/nfvd.sock" --json stats > "$WORK/stats.json" 2>/dev/null || true
			python3 - "$WORK/stats.json" "$server" "$rate" "$trial" >> "$RESULTS" <<'PY' || true
import json, sys
d = json.load(open(sys.argv[1]))["vnfs"]["dhcp0"]
print(json.dumps({"server": sys.argv[2], "offered": int(sys.argv[3]), "trial": int(sys.argv[4]),
    "journal": {"sync": d["journal"]["sync"], "commit_max_us": d["journal"]["commit_max_us"],
    "fsyncs": d["journal"]["fsyncs"], "backlog_drops": d["drops"]["journal-backlog"]}}))
PY
		fi
		stop_server
		[ "$trial" -lt "$TRIALS" ] && [ -s "$WORK/retry" ] || break
		trial=$((trial + 1))
	done
}

# rates outer, servers inner: the servers take turns at every rate, so a
# noisy minute of this host falls on all of them, not on one
for rate in $RATES; do
	for server in $SERVERS; do
		run_rate "$server" "$rate"
	done
done
for server in $SERVERS; do
	# perfdhcp is a kernel-socket client: not on a memif link
	if [ "$PERF_RATE" != 0 ] && [ "${server#nfvd-memif}" = "$server" ]; then
		start_server "$server"
		# perfdhcp gives up on a server that is not answering yet
		run_gen -n 1 -x 1 -t 2000 >/dev/null 2>&1 || true
		run_perfdhcp "$server"
		stop_server
	fi
done

python3 - "$RESULTS" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
head = lines[0]
rows = [r for r in lines if "exchanges_per_s" in r and "server" in r]
again = {}
for r in rows:
    if r.get("retried"):
        again[r["server"]] = again.get(r["server"], 0) + 1
best, top, cpu = {}, {}, {}
for r in rows:
    s = r["server"]
    top[s] = max(top.get(s, 0), r["exchanges_per_s"])
    if r["zero_drop"] and r["exchanges_per_s"] >= best.get(s, 0):
        best[s] = r["exchanges_per_s"]
        cpu[s] = r["server_cpu_us_per_x"]
head["machine"]["loadavg_end"] = open("/proc/loadavg").read().split()[:3]
summary = {"summary": True, "zero_drop": best, "completed_max": top, "server_cpu_us_at_zero_drop": cpu,
           "loadavg_end": head["machine"]["loadavg_end"],
           "trials_lost_in_emulator_gaps": again}
print()
servers = list(dict.fromkeys(r["server"] for r in rows))
for s in servers:
    print("%-11s highest zero-drop rate: %8.0f exchanges/s   highest completed: %8.0f/s"
          "   server CPU per exchange there: %.1f us" % (s, best.get(s, 0), top.get(s, 0), cpu.get(s, 0)))
ratios = {}
for s in servers:
    if s != "kea" and best.get("kea"):
        ratios[s] = best.get(s, 0) / best["kea"]
        print("ratio %s/kea (zero-drop): %.2fx" % (s, ratios[s]))
summary["ratio_zero_drop_vs_kea"] = ratios
if again:
    print("trials run again (lost while the emulator was off its CPU): " +
          ", ".join("%s %d" % kv for kv in again.items()))
print("load average start %s, end %s" % (" ".join(head["machine"]["loadavg_start"]),
                                          " ".join(head["machine"]["loadavg_end"])))
with open(sys.argv[1], "a") as f:
    f.write(json.dumps(summary) + "\n")
print("results: " + sys.argv[1])
EOF
