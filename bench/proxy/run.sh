#!/usr/bin/env bash
# One run: fake DSMR5 meter -> socat pty pair -> SERVER (ser2net | p1gateway)
# -> N raw TCP clients. Loopback only, bounded; every process started here is
# stopped by PID at exit. Prints one TSV row (see analyze.py) and the burst-
# admission count.
# Environment: SERVER ser2net|p1gateway (default p1gateway)  N (1)  DURATION (20)
#   INTERVAL telegram period s (1)  BAUD meter pacing (115200, 0 = burst)
#   PORT (2001)  P1GATEWAY binary (default ../../build/gateway/p1gateway)
#   OUT results root (default $TMPDIR/proxy-bench)
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
SERVER=${SERVER:-p1gateway}; N=${N:-1}; DURATION=${DURATION:-20}; INTERVAL=${INTERVAL:-1}
BAUD=${BAUD:-115200}; PORT=${PORT:-2001}
P1GATEWAY=${P1GATEWAY:-$HERE/../../build/gateway/p1gateway}
OUT=${OUT:-${TMPDIR:-/tmp}/proxy-bench}
RUN="$OUT/${SERVER}-N${N}-$(date +%H%M%S)"
mkdir -p "$RUN"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -f "$RUN/meter" "$RUN/ttyP1"
}
trap cleanup EXIT
ulimit -n 8192 2>/dev/null

socat pty,raw,echo=0,link="$RUN/meter" pty,raw,echo=0,link="$RUN/ttyP1" 2>>"$RUN/socat.log" &
PIDS+=($!)
for _ in $(seq 1 50); do [ -e "$RUN/ttyP1" ] && [ -e "$RUN/meter" ] && break; sleep 0.1; done

MAXCONN=$((N + 50))
case "$SERVER" in
  ser2net)
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
YAML
    ser2net -n -d -c "$RUN/ser2net.yaml" -P "$RUN/ser2net.pid" >"$RUN/server.log" 2>&1 &
    ;;
  p1gateway)
    [ -x "$P1GATEWAY" ] || { echo "p1gateway binary not found: $P1GATEWAY" >&2; exit 1; }
    cat >"$RUN/p1gateway.toml" <<TOML
[gateway]
log_level = "warn"

[metrics]
listen = ""

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
    "$P1GATEWAY" --config "$RUN/p1gateway.toml" >"$RUN/server.log" 2>&1 &
    ;;
  *) echo "SERVER must be ser2net or p1gateway" >&2; exit 2 ;;
esac
SRV_PID=$!; PIDS+=("$SRV_PID")
for _ in $(seq 1 50); do
  (exec 3<>/dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1
done
sleep 0.5
kill -0 "$SRV_PID" 2>/dev/null || { echo "$SERVER did not start:" >&2; cat "$RUN/server.log" >&2; exit 1; }

TOTAL=$(python3 -c "print($DURATION + 4)")
python3 "$HERE/procstat.py" --pid "$SRV_PID" --duration "$TOTAL" --out "$RUN/server.proc.csv" &
PIDS+=($!)
python3 "$HERE/meter.py" --dev "$RUN/meter" --interval "$INTERVAL" --duration "$TOTAL" \
        --baud "$BAUD" --log "$RUN/meter.csv" &
METER_PID=$!; PIDS+=("$METER_PID")
sleep 0.5
# All N clients connect at once (non-blocking connects in one process).
python3 "$HERE/clients.py" --port "$PORT" --n "$N" --duration "$DURATION" --out "$RUN/clients.json" &
CL=$!; PIDS+=("$CL")
wait "$CL"
kill "$METER_PID" 2>/dev/null
sleep 0.3
ROW=$(python3 "$HERE/analyze.py" "$RUN")
SERVED=$(python3 - "$RUN/clients.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(sum(1 for c in d["conns"] if c["recv"]), "of", len(d["conns"]))
PY
)
HDR="server\trun\treading_clients\ttelegrams_in_window\tdeliveries\tmissing\tcpu_s\twindow_s\tcpu_s_per_1000_deliv\trss_kb\thwm_kb\tlat_p50_ms\tlat_p99_ms\tlat_max_ms\tmeter_overruns\tclients_served"
[ -f "$OUT/results.tsv" ] || echo -e "$HDR" >"$OUT/results.tsv"
echo -e "$SERVER\t$ROW\t$SERVED" | tee -a "$OUT/results.tsv"
echo "run dir: $RUN"
