#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# stress-apply.sh [MINUTES] - live apply under control-socket load (not in CI).
#
# Starts one nfvd (null ports, its own --file-prefix and socket) and for
# MINUTES (default 10) applies chain files back to back: two good ones in
# turn (instances added, kept, reconfigured, removed), now and then a bad one,
# a 20,000-key one, a FIFO and a directory (all must be refused), while
# CLIENTS (default 8) loops ask status and stats, one client pipelines
# requests and never reads, and one keeps trickling bytes. It checks that
# every answer comes, that no status takes more than 2 s, that nfvd's RSS
# stays bounded, and at the end that SIGTERM stops it (exit 0) and leaves no
# /var/run/dpdk/<prefix>. Prints a summary; exits 1 on any failure.
# Env: NFVD_BUILD (default build/), CLIENTS, MAX_RSS_MB (default 256).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build=${NFVD_BUILD:-$repo/build}
minutes=${1:-10}
clients=${CLIENTS:-8}
max_rss_mb=${MAX_RSS_MB:-256}
prefix=stress$$
work=$(mktemp -d /tmp/nfvd-stress.XXXXXX)
sock=$work/nfvd.sock
pids=()
nfvd_pid=

cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	if [ -n "$nfvd_pid" ] && kill -0 "$nfvd_pid" 2>/dev/null; then
		kill -KILL "$nfvd_pid" 2>/dev/null || true
	fi
	wait 2>/dev/null || true
	rm -rf "$work" "/var/run/dpdk/$prefix"
	rm -f /dev/hugepages/"$prefix"*
}
trap cleanup EXIT

base() {
	cat <<EOF
version: 1
ports:
  - {name: gen, driver: "null", rx: true}
  - {name: sink, driver: "null"}
EOF
}
{ base; cat <<EOF
chains:
  - {name: fwd, ingress: [gen], vnfs: [], egress: sink}
EOF
} >"$work/a.yaml"
{ base; cat <<EOF
vnfs:
  - {name: cnt, class: counter}
  - {name: cnt2, class: counter}
chains:
  - {name: fwd, ingress: [gen], vnfs: [cnt, cnt2], egress: sink}
EOF
} >"$work/b.yaml"
{ base; echo "chains: [{name: fwd, ingress: [nope], egress: sink}]"; } >"$work/bad.yaml"
{ base; echo "chains: [{name: fwd, ingress: [gen], egress: sink}]"; echo "x-bulk:";
  seq -f "  k%06g: 1" 0 19999; } >"$work/big.yaml"
mkfifo "$work/fifo.yaml"

"$build/nfvd" --file-prefix "$prefix" -s "$sock" -l 0,1 "$work/a.yaml" >"$work/nfvd.out" 2>&1 &
nfvd_pid=$!
for _ in $(seq 600); do
	"$build/nfvctl" -s "$sock" status >/dev/null 2>&1 && break
	kill -0 "$nfvd_pid" || { cat "$work/nfvd.out"; exit 1; }
	sleep 0.1
done

# Status and stats clients (one connection per request, as nfvctl): every
# answer must come, a status within 2 s.
client() {
	exec python3 - "$sock" "$work/client.$1" <<'EOF'
import json, socket, sys, time
n = bad = slow = 0
while True:
    for cmd in ("status", "stats"):
        t0 = time.monotonic()
        try:
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(30)
            s.connect(sys.argv[1])
            s.sendall(json.dumps({"v": 1, "id": n, "cmd": cmd}).encode() + b"\n")
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(1 << 16)
                if not chunk:
                    break
                buf += chunk
            s.close()
            if not json.loads(buf)["ok"]:
                bad += 1
        except (OSError, ValueError):
            bad += 1
        if cmd == "status" and time.monotonic() - t0 > 2:
            slow += 1
    n += 1
    with open(sys.argv[2], "w") as f:
        f.write("%d %d %d\n" % (n, bad, slow))
EOF
}
for i in $(seq "$clients"); do client "$i" & pids+=($!); done
# A client that pipelines requests and never reads, reconnecting when closed.
python3 - "$sock" <<'EOF' &
import socket, sys, time
while True:
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
        while True:
            s.sendall(b'{"v":1,"cmd":"status"}\n' * 1024)
    except OSError:
        time.sleep(0.5)
EOF
pids+=($!)
# A client that trickles a byte a second.
python3 - "$sock" <<'EOF' &
import socket, sys, time
while True:
    try:
        s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
        while True:
            s.send(b" "); time.sleep(1)
    except OSError:
        time.sleep(0.5)
EOF
pids+=($!)

end=$(($(date +%s) + minutes * 60))
applied=0 refused=0 failures=0 max_rss=0 round=0
expect() { # expect ok|refused FILE
	local out rc=0
	out=$("$build/nfvctl" -s "$sock" apply "$2" 2>&1) || rc=$?
	if [ "$1" = ok ] && [ $rc -eq 0 ]; then applied=$((applied + 1)); return; fi
	if [ "$1" = refused ] && [ $rc -eq 1 ]; then refused=$((refused + 1)); return; fi
	failures=$((failures + 1)); echo "apply $2: expected $1, got rc $rc: $out" >&2
}
while [ "$(date +%s)" -lt "$end" ]; do
	round=$((round + 1))
	expect ok "$work/b.yaml"
	expect ok "$work/a.yaml"
	case $((round % 10)) in
	3) expect refused "$work/bad.yaml" ;;
	5) expect refused "$work/fifo.yaml" ;;
	7) expect refused "$work" ;;
	9) expect refused "$work/big.yaml" ;;
	esac
	rss=$(awk '/^VmRSS:/ {print int($2 / 1024)}' "/proc/$nfvd_pid/status")
	[ "$rss" -gt "$max_rss" ] && max_rss=$rss
	if [ "$rss" -gt "$max_rss_mb" ]; then
		failures=$((failures + 1)); echo "nfvd RSS $rss MB > $max_rss_mb MB" >&2
	fi
	kill -0 "$nfvd_pid" || { echo "nfvd died" >&2; cat "$work/nfvd.out"; exit 1; }
done

for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
wait "${pids[@]}" 2>/dev/null || true
pids=()
requests=0 bad=0 slow=0
for f in "$work"/client.*; do
	read -r n b s <"$f"
	requests=$((requests + n)) bad=$((bad + b)) slow=$((slow + s))
done
"$build/nfvctl" -s "$sock" --json status | python3 -c \
	'import json,sys; print("control:", json.load(sys.stdin)["control"])' || true
kill -TERM "$nfvd_pid"
rc=0
for _ in $(seq 300); do kill -0 "$nfvd_pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$nfvd_pid" 2>/dev/null; then
	echo "nfvd did not stop within 30 s of SIGTERM" >&2; failures=$((failures + 1))
else
	wait "$nfvd_pid" || rc=$?
	nfvd_pid=
	[ $rc -eq 0 ] || { echo "nfvd exited $rc" >&2; failures=$((failures + 1)); }
fi
if [ -e "/var/run/dpdk/$prefix" ]; then
	echo "/var/run/dpdk/$prefix left behind" >&2; failures=$((failures + 1))
fi
echo "stress-apply: $minutes min, $round rounds, $applied applied, $refused refused;" \
	"clients: $requests rounds, $bad failed, $slow status over 2 s; max RSS $max_rss MB;" \
	"failures: $((failures + bad + slow))"
[ $((failures + bad + slow)) -eq 0 ]
