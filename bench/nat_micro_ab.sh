#!/bin/bash
# SPDX-License-Identifier: BSD-3-Clause
# Before/after of the cost of a new NAT44 session (bench/nat_micro) in one
# invocation: two builds' nat_micro run alternately, ROUNDS times each
# (old, new, old, new...), so both see the same host; the medians of the
# per-run costs (each run: 3 rounds of nat_micro's modes, its medians
# and its best rounds) and the median of the paired ratios (old / new,
# run k of each) are printed, each run's JSON line kept in
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
		# three rounds of the three modes: the cost from the medians and
		# from the best (least disturbed) rounds
		out=$("$bin" "$SESSIONS" "$MAX" 3 2>/dev/null)
		line=$(grep '^new NAT session' <<<"$out")
		cyc=$(sed -E 's/^new NAT session: ([0-9]+) cycles.*/\1/' <<<"$line")
		ct=$(sed -E 's/.*conntrack-only new connection: (-?[0-9]+) cycles.*/\1/' <<<"$line")
		best=$(grep '^best rounds' <<<"$out" | sed -E 's/.*session (-?[0-9]+) cycles.*/\1/')
		printf '{"build":"%s","round":%d,"sessions":%s,"ct_max":%s,"cycles_per_new_session":%s,"best_rounds":%s,"conntrack_only":%s}\n' \
			"$which" "$k" "$SESSIONS" "$MAX" "$cyc" "$best" "$ct" | tee -a "$OUT"
	done
done
python3 - "$OUT" <<'EOF'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])][1:]
def col(build, key):
    return [r[key] for r in rows if r["build"] == build]
old, new = col("old", "cycles_per_new_session"), col("new", "cycles_per_new_session")
oldb, newb = col("old", "best_rounds"), col("new", "best_rounds")
ratios = [o / n for o, n in zip(old, new) if n > 0]
s = {"system": "summary", "rounds": len(old), "old_median": statistics.median(old),
     "new_median": statistics.median(new), "old_best_rounds_median": statistics.median(oldb),
     "new_best_rounds_median": statistics.median(newb),
     "paired_ratio_median": statistics.median(ratios)}
print("cycles per new session, median of %d invocations each: old %.0f, new %.0f "
      "(paired old/new %.2fx); from each invocation's best rounds: old %.0f, new %.0f" %
      (len(old), s["old_median"], s["new_median"], s["paired_ratio_median"],
       s["old_best_rounds_median"], s["new_best_rounds_median"]))
open(sys.argv[1], "a").write(json.dumps(s) + "\n")
EOF
echo "results: $OUT"
