#!/usr/bin/env bash
# The proxy side by side on one fake meter: ser2net (defaults and
# dev-to-net-bufsize 4096), the minimal C server (one send() per client, and
# one io_uring submission per read) and p1gateway (plain writes and batched)
# for N = 1, 10, 100, 1000 raw clients that all connect at once, 20
# telegrams/s written whole to a pty the server reads directly. Needs ser2net
# (apt-get install ser2net), perf (raw_syscalls tracepoint; else no syscall
# column), liburing-dev, python3 and a built p1gateway. Rows go to
# $OUT/results.tsv (see run.sh); the Markdown table (table.py) is printed and
# saved as $OUT/table.md: CPU us per delivery and its ratio to the minimal
# server, syscalls per telegram, RSS, server-side p50/p99 latency.
# Environment: NS ("1 10 100 1000"), SERVERS (all seven but p1gateway's auto),
#   DURATION (20), INTERVAL (0.05), OUT.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
export OUT=${OUT:-${TMPDIR:-/tmp}/proxy-bench-$(date +%Y%m%d-%H%M%S)}
export INTERVAL=${INTERVAL:-0.05} BAUD=${BAUD:-0} PTY=${PTY:-direct} DURATION=${DURATION:-20}
PORT_BASE=${PORT_BASE:-2101}
SERVERS=${SERVERS:-ser2net ser2net-tuned minimal-send minimal-uring p1gateway-plain p1gateway-batched}
i=0
for n in ${NS:-1 10 100 1000}; do
  for s in $SERVERS; do
    procs=1; [ "$n" -ge 100 ] && procs=2
    SERVER=$s N=$n CLIENT_PROCS=$procs PORT=$((PORT_BASE + i)) bash "$HERE/run.sh" | head -1
    i=$((i + 1))
  done
done
echo
python3 "$HERE/table.py" "$OUT/results.tsv" | tee "$OUT/table.md"
