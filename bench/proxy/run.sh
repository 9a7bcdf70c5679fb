#!/usr/bin/env bash
# One run: fake DSMR5 meter -> socat pty pair -> SERVER (ser2net | p1gateway)
# -> N raw TCP clients. Loopback only, bounded; every process started here is
# stopped by PID at exit. Prints one TSV row (see analyze.py) and the burst-
# admission count.
# Environment: SERVER ser2net|p1gateway (default p1gateway)  N (1)  DURATION (20)
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
    "$P1GATEWAY" --config "$RUN/p1gateway.toml" >"$RUN/server.log" 2>&1 &
    ;;
  *) echo "SERVER must be ser2net or p1gateway" >&2; exit 2 ;;
esac
SRV_PID=$!; PIDS+=("$SRV_PID")
if [ "$SCRAPE" = 1 ] && [ "$SERVER" = p1gateway ]; then
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
kill "$METER_PID" 2>/dev/null
sleep 0.3
ROW=$(python3 "$HERE/analyze.py" "$RUN")
SERVED=$(python3 - "$RUN" <<'PY'
import glob, json, os, sys
conns = [c for f in glob.glob(os.path.join(sys.argv[1], "clients*.json")) for c in json.load(open(f))["conns"]]
print(sum(1 for c in conns if c["recv"]), "of", len(conns))
PY
)
HDR="server\trun\treading_clients\ttelegrams_in_window\tdeliveries\tmissing\tcpu_s\twindow_s\tcpu_s_per_1000_deliv\trss_kb\thwm_kb\tlat_p50_ms\tlat_p99_ms\tlat_max_ms\tmeter_overruns\tsrv_lat_p50_ms\tsrv_lat_p99_ms\tclients_served"
[ -f "$OUT/results.tsv" ] || echo -e "$HDR" >"$OUT/results.tsv"
echo -e "$SERVER\t$ROW\t$SERVED" | tee -a "$OUT/results.tsv"
echo "run dir: $RUN"
