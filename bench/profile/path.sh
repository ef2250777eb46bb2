#!/usr/bin/env bash
# py-spy of the path's services while bench/path.py runs its 1,000 ticks/s phase: the profile
# docs/perf/path.md cites. Raw collapsed stacks in $OUT/spy-<service>.txt, summed per frame
# (inclusive and self samples) in $OUT/spy-<service>-summary.txt.
#
#     bash bench/profile/path.sh /tmp/path-profile      # ~2 minutes; run on a quiet machine
set -euo pipefail
OUT=${1:-/tmp/path-profile}
mkdir -p "$OUT"
cd "$(dirname "$0")/../.."
BENCH_SECONDS=70 BENCH_MAX_RATE=1000 .venv/bin/python bench/path.py > "$OUT/path.txt" 2>&1 &
bench=$!
for _ in $(seq 1 120); do pgrep -f "python -m ballast.treasury" > /dev/null && break; sleep 1; done
sleep 30  # the system's start and the warm-up, then 25 s of the steady phase
for s in treasury intervention oracle; do
  pid=$(pgrep -f "python -m ballast.$s\b" | head -1)
  .venv/bin/py-spy record -p "$pid" -d 25 -r 500 -f raw -o "$OUT/spy-$s.txt" > /dev/null 2>&1 &
done
wait "$bench"
wait
for s in treasury intervention oracle; do
  .venv/bin/python bench/profile/pyspy_collapse.py "$OUT/spy-$s.txt" 60 > "$OUT/spy-$s-summary.txt"
done
grep -E "move ->" "$OUT/path.txt" | head -3
