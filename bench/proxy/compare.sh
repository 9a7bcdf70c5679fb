#!/usr/bin/env bash
# ser2net vs p1gateway on the same fake meter for N = 1, 10, 100, 1000 clients
# (all connecting at once). Needs ser2net (apt-get install ser2net), socat,
# python3 and a built p1gateway. Rows go to $OUT/results.tsv:
# CPU s per 1000 deliveries, p50/p99 latency, RSS, missing telegrams and how
# many of the N burst-connected clients were served at all.
# Environment: NS ("1 10 100 1000"), DURATION (20), SERVERS ("ser2net p1gateway"), OUT.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
export OUT=${OUT:-${TMPDIR:-/tmp}/proxy-bench-$(date +%Y%m%d-%H%M%S)}
PORT_BASE=${PORT_BASE:-2101}
i=0
for n in ${NS:-1 10 100 1000}; do
  for s in ${SERVERS:-ser2net p1gateway}; do
    SERVER=$s N=$n PORT=$((PORT_BASE + i)) bash "$HERE/run.sh" | head -1
    i=$((i + 1))
  done
done
echo
column -t -s $'\t' "$OUT/results.tsv" 2>/dev/null || cat "$OUT/results.tsv"
