#!/usr/bin/env bash
# One run: fake DSMR5 meter -> socat pty pair -> SERVER (ser2net | p1gateway)
# -> N raw TCP clients. Loopback only, bounded; every process started here is
# stopped by PID at exit. Prints one TSV row (see analyze.py) and the burst-
# admission count.
# Environment: SERVER (default p1gateway):
#     ser2net          ser2net 4 at its defaults (64-byte dev-to-net-bufsize)
#     ser2net-tuned    the same with dev-to-net-bufsize: 4096
#     minimal-send     minserver.c: one read, one send() per client, nothing else
#     minimal-uring    minserver.c: all sends of one read in one io_uring submission
#     p1gateway        p1gateway as configured (io_uring = "auto")
#     p1gateway-plain  P1GW_IO_URING=off: one write per client
#     p1gateway-batched P1GW_IO_URING=on: one io_uring submission per telegram
#   N (1)  DURATION (20)
#   INTERVAL telegram period s (1)  BAUD meter pacing (115200, 0 = burst)
#   PORT (2001)  P1GATEWAY binary (default ../../build/gateway/p1gateway)
#   OUT results root (default $TMPDIR/proxy-bench)
#   CLIENT c (latclient.c, epoll; default) | py (clients.py)
#   CLIENT_PROCS client processes sharing the N connections (default 1, c only)
#   SCRAPE 1: p1gateway serves /metrics on 127.0.0.1:METRICS_PORT (9470) and a
#     curl loop scrapes it (gzip) every SCRAPE_INTERVAL s (0.1; 0 = back to
#     back) for the whole run, to show what scrapes do to the fan-out
#     (default 0: metrics off)
#   PTY socat (meter -> socat pty pair -> server; default) | direct (meter.py owns
#     the pty and the server reads its slave: no socat hop in the latency)
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
SERVER=${SERVER:-p1gateway}; N=${N:-1}; DURATION=${DURATION:-20}; INTERVAL=${INTERVAL:-1}
BAUD=${BAUD:-115200}; PORT=${PORT:-2001}
CLIENT=${CLIENT:-c}; CLIENT_PROCS=${CLIENT_PROCS:-1}; PTY=${PTY:-socat}
SCRAPE=${SCRAPE:-0}; METRICS_PORT=${METRICS_PORT:-9470}; SCRAPE_INTERVAL=${SCRAPE_INTERVAL:-0.1}
METRICS_LISTEN=""
[ "$SCRAPE" = 1 ] && METRICS_LISTEN="127.0.0.1:${METRICS_PORT}"
P1GATEWAY=${P1GATEWAY:-$HERE/../../build/gateway/p1gateway}
OUT=${OUT:-${TMPDIR:-/tmp}/proxy-bench}
RUN="$OUT/${SERVER}-N${N}-$(date +%H%M%S)"
mkdir -p "$RUN"
. "$HERE/lib.sh"

[ "$CLIENT" = c ] && build_latclient
TOTAL=$(python3 -c "print($DURATION + 4)")
if [ "$PTY" = direct ]; then
  # The meter owns the pty; it holds its first telegram until the server and
  # the clients are up (same start offset as the socat path).
  python3 "$HERE/meter.py" --dev "$RUN/ttyP1" --pty-link --hold 1.5 --interval "$INTERVAL" \
          --duration "$(python3 -c "print($TOTAL + 1.5)")" --baud "$BAUD" --log "$RUN/meter.csv" &
  METER_PID=$!; PIDS+=("$METER_PID")
  for _ in $(seq 1 50); do [ -e "$RUN/ttyP1" ] && break; sleep 0.1; done
else
  socat pty,raw,echo=0,link="$RUN/meter" pty,raw,echo=0,link="$RUN/ttyP1" 2>>"$RUN/socat.log" &
  PIDS+=($!)
  for _ in $(seq 1 50); do [ -e "$RUN/ttyP1" ] && [ -e "$RUN/meter" ] && break; sleep 0.1; done
fi

MAXCONN=$((N + 50))
BUFSIZE_OPTION=""
[ "$SERVER" = ser2net-tuned ] && BUFSIZE_OPTION="dev-to-net-bufsize: 4096"
IO_URING=""
case "$SERVER" in p1gateway-plain) IO_URING=off ;; p1gateway-batched) IO_URING=on ;; esac
case "$SERVER" in
  ser2net|ser2net-tuned)
    cat >"$RUN/ser2net.yaml" <<YAML
%YAML 1.1
---
connection: &p1raw
  accepter: tcp,127.0.0.1,${PORT}
  connector: serialdev,${RUN}/ttyP1,115200n81,local,nobreak
  options:
    max-connections: ${MAXCONN}
    kickolduser: false
    mdns: false
    ${BUFSIZE_OPTION}
YAML
    ser2net -n -d -c "$RUN/ser2net.yaml" -P "$RUN/ser2net.pid" >"$RUN/server.log" 2>&1 &
    ;;
  minimal-send|minimal-uring)
    MINSERVER="$OUT/minserver"
    if [ ! -x "$MINSERVER" ] || [ "$HERE/minserver.c" -nt "$MINSERVER" ]; then
      cc -O2 -o "$MINSERVER" "$HERE/minserver.c" -luring || exit 1
    fi
    "$MINSERVER" --tty "$RUN/ttyP1" --port "$PORT" --mode "${SERVER#minimal-}" \
                 --max-clients "$MAXCONN" >"$RUN/server.log" 2>&1 &
    ;;
  p1gateway|p1gateway-plain|p1gateway-batched)
    [ -x "$P1GATEWAY" ] || { echo "p1gateway binary not found: $P1GATEWAY" >&2; exit 1; }
    cat >"$RUN/p1gateway.toml" <<TOML
[gateway]
log_level = "warn"

[metrics]
listen = "${METRICS_LISTEN}"

[[meters]]
name = "bench"
serial = "${RUN}/ttyP1"
preset = "dsmr5"

  [[meters.listeners]]
  listen = "127.0.0.1:${PORT}"
  protocol = "raw"
  max_clients = ${MAXCONN}
  replay_last = false
TOML
    P1GW_IO_URING=$IO_URING "$P1GATEWAY" --config "$RUN/p1gateway.toml" >"$RUN/server.log" 2>&1 &
    ;;
  *) echo "SERVER: ser2net[-tuned] | minimal-send | minimal-uring | p1gateway[-plain|-batched]" >&2
     exit 2 ;;
esac
SRV_PID=$!; PIDS+=("$SRV_PID")
if [ "$SCRAPE" = 1 ] && [ "${SERVER%%-*}" = p1gateway ]; then
  ( end=$((SECONDS + ${TOTAL%.*} + 1))
    while [ $SECONDS -lt $end ]; do
      curl -s -o /dev/null --compressed "http://127.0.0.1:${METRICS_PORT}/metrics"
      [ "$SCRAPE_INTERVAL" = 0 ] || sleep "$SCRAPE_INTERVAL"
    done ) &
  PIDS+=($!)
fi
for _ in $(seq 1 50); do
  (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1
done
sleep 0.5
kill -0 "$SRV_PID" 2>/dev/null || { echo "$SERVER did not start:" >&2; cat "$RUN/server.log" >&2; exit 1; }

python3 "$HERE/procstat.py" --pid "$SRV_PID" --duration "$TOTAL" --out "$RUN/server.proc.csv" &
PIDS+=($!)
if [ "$PTY" != direct ]; then
  python3 "$HERE/meter.py" --dev "$RUN/meter" --interval "$INTERVAL" --duration "$TOTAL" \
          --baud "$BAUD" --log "$RUN/meter.csv" &
  METER_PID=$!; PIDS+=("$METER_PID")
fi
sleep 0.5
# Syscalls over the middle of the run (perf's tracepoint count; costs the
# server nothing measurable), divided by the telegrams written meanwhile.
if command -v perf >/dev/null; then
  ( sleep 3
    python3 - "$RUN" "$SRV_PID" "$DURATION" <<'PY'
import os, subprocess, sys, time
run, pid, duration = sys.argv[1], sys.argv[2], float(sys.argv[3])
t0 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
subprocess.run(["perf", "stat", "-e", "raw_syscalls:sys_enter", "-x,", "-o",
                os.path.join(run, "syscalls.csv"), "-p", pid, "--", "sleep", str(max(1, duration - 5))],
               stderr=subprocess.DEVNULL)
t1 = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
open(os.path.join(run, "syscalls.window"), "w").write("%d %d\n" % (t0, t1))
PY
  ) &
  PERF_JOB=$!; PIDS+=("$PERF_JOB")
fi
# All N clients connect at once (non-blocking connects; CLIENT_PROCS processes).
CLS=()
if [ "$CLIENT" = c ]; then
  per=$(( (N + CLIENT_PROCS - 1) / CLIENT_PROCS )); first=0; p=0
  while [ "$first" -lt "$N" ]; do
    cnt=$(( N - first < per ? N - first : per ))
    "$LATCLIENT" --port "$PORT" --n "$cnt" --first-idx "$first" --duration "$DURATION" \
                 --out "$RUN/clients-$p.json" &
    CLS+=($!); PIDS+=($!)
    first=$((first + cnt)); p=$((p + 1))
  done
else
  python3 "$HERE/clients.py" --port "$PORT" --n "$N" --duration "$DURATION" --out "$RUN/clients.json" &
  CLS+=($!); PIDS+=($!)
fi
for c in "${CLS[@]}"; do wait "$c"; done
[ -n "${PERF_JOB:-}" ] && wait "$PERF_JOB"
kill "$METER_PID" 2>/dev/null
sleep 0.3
ROW=$(python3 "$HERE/analyze.py" "$RUN")
SERVED=$(python3 - "$RUN" <<'PY'
import glob, json, os, sys
conns = [c for f in glob.glob(os.path.join(sys.argv[1], "clients*.json")) for c in json.load(open(f))["conns"]]
print(sum(1 for c in conns if c["recv"]), "of", len(conns))
PY
)
SYSCALLS=$(python3 - "$RUN" <<'PY'
import os, sys
r = sys.argv[1]
try:
    t0, t1 = (int(x) for x in open(os.path.join(r, "syscalls.window")).read().split())
    count = next(int(l.split(",")[0]) for l in open(os.path.join(r, "syscalls.csv"))
                 if "raw_syscalls" in l)
except (OSError, ValueError, StopIteration):
    print("-"); sys.exit()
sent = sum(1 for l in open(os.path.join(r, "meter.csv")) if not l.startswith("#")
           and t0 <= int(l.split(",")[1]) <= t1)
print("%.1f" % (count / sent) if sent else "-")
PY
)
HDR="server\trun\treading_clients\ttelegrams_in_window\tdeliveries\tmissing\tcpu_s\twindow_s\tcpu_s_per_1000_deliv\trss_kb\thwm_kb\tlat_p50_ms\tlat_p99_ms\tlat_max_ms\tmeter_overruns\tsrv_lat_p50_ms\tsrv_lat_p99_ms\tclients_served\tsyscalls_per_telegram"
[ -f "$OUT/results.tsv" ] || echo -e "$HDR" >"$OUT/results.tsv"
echo -e "$SERVER\t$ROW\t$SERVED\t$SYSCALLS" | tee -a "$OUT/results.tsv"
echo "run dir: $RUN"
