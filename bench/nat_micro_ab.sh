#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Before/after of the cost of a new NAT44 session (bench/nat_micro) in one
# invocation: two builds' nat_micro run alternately, ROUNDS times each
# (old, new, old, new...), so both see the same host; the medians of the
# per-run costs and the median of the paired ratios (old / new, run k of
# each) are printed, each run's JSON line kept in
# bench/results/nat_micro_ab-<date>.jsonl.
#
#   bench/nat_micro_ab.sh OLD_NAT_MICRO NEW_NAT_MICRO [-r ROUNDS] [-s SESSIONS] [-m CT_MAX]
#
# Build the old one from a commit with bench/nat_micro.c (c333ae9 or later):
#   git worktree add /tmp/nat-old <commit> && cd /tmp/nat-old &&
#   meson setup build --buildtype=debugoptimized && ninja -C build bench/nat_micro
# Defaults: 8 rounds of 400,000 new sessions, conntrack max 800,000 (the
# sizes of nat_vs_ovs.sh's session-setup pass: tables far larger than the
# last-level cache, as a full carrier-grade table is). Needs hugepages
# (EAL --in-memory when enough are free, else --no-huge: slower).
set -euo pipefail
[ $# -ge 2 ] || { sed -n '3,20p' "$0"; exit 2; }
OLD=$1 NEW=$2
shift 2
ROUNDS=8 SESSIONS=400000 MAX=800000
while getopts r:s:m: opt; do
	case $opt in
	r) ROUNDS=$OPTARG ;;
	s) SESSIONS=$OPTARG ;;
	m) MAX=$OPTARG ;;
	*) sed -n '3,20p' "$0"; exit 2 ;;
	esac
done
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$ROOT/bench/results/nat_micro_ab-$(date +%Y%m%d-%H%M%S).jsonl
mkdir -p "$ROOT/bench/results"
printf '{"command":"bench/nat_micro_ab.sh %s %s -r %s -s %s -m %s","date":"%s","loadavg":"%s","old":"%s","new":"%s"}\n' \
	"$OLD" "$NEW" "$ROUNDS" "$SESSIONS" "$MAX" "$(date -Is)" \
	"$(cut -d' ' -f1-3 /proc/loadavg)" "$(sha256sum "$OLD" | cut -c1-12)" \
	"$(sha256sum "$NEW" | cut -c1-12)" > "$OUT"
for ((k = 1; k <= ROUNDS; k++)); do
	for which in old new; do
		bin=$OLD
		[ "$which" = new ] && bin=$NEW
		# one round of the three modes; the summary line gives the cost
		line=$("$bin" "$SESSIONS" "$MAX" 1 2>/dev/null | grep '^new NAT session')
		cyc=$(sed -E 's/^new NAT session: ([0-9]+) cycles.*/\1/' <<<"$line")
		ct=$(sed -E 's/.*conntrack-only new connection: (-?[0-9]+) cycles.*/\1/' <<<"$line")
		printf '{"build":"%s","round":%d,"sessions":%s,"ct_max":%s,"cycles_per_new_session":%s,"conntrack_only":%s}\n' \
			"$which" "$k" "$SESSIONS" "$MAX" "$cyc" "$ct" | tee -a "$OUT"
	done
done
python3 - "$OUT" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])][1:]
old = [r["cycles_per_new_session"] for r in rows if r["build"] == "old"]
new = [r["cycles_per_new_session"] for r in rows if r["build"] == "new"]
ratios = [o / n for o, n in zip(old, new) if n > 0]
s = {"system": "summary", "rounds": len(old), "old_median": statistics.median(old),
     "new_median": statistics.median(new), "old_best": min(old), "new_best": min(new),
     "paired_ratio_median": statistics.median(ratios)}
print("old: median %.0f cycles per new session (best %.0f); new: median %.0f (best %.0f); "
      "old/new paired median %.2fx" % (s["old_median"], s["old_best"], s["new_median"],
                                       s["new_best"], s["paired_ratio_median"]))
open(sys.argv[1], "a").write(json.dumps(s) + "\n")
EOF
echo "results: $OUT"
