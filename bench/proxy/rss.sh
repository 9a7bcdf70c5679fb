#!/usr/bin/env bash
# Memory of p1gateway with M meters and C clients: M fake DSMR5 meters
# (meter.py owning a pty each), one raw listener per meter, C latclient
# connections spread over the listeners, the Prometheus endpoint scraped
# (plain and gzip) every SCRAPE s. Samples VmRSS/VmHWM/RssAnon/RssFile every
# second; at the end writes smaps_rollup and a per-mapping RSS table.
# Environment: M (8)  C (200)  DURATION (20)  SCRAPE (2, 0 = never)
#   SOURCE pty (default) | sim (simulate = "dsmr5": no meter processes)
#   P1GATEWAY binary (default ../../build/gateway/p1gateway)  OUT scratch dir
#   PORT_BASE (2300; metrics on PORT_BASE + 99)
# Prints one line: rss_kb hwm_kb anon_kb file_kb (last sample), open fds and
# the gateway's CPU (utime + stime over DURATION, % of one core), and the run dir.
set -u
HERE="$(cd "$(dirname "$0")" && pwd)"
M=${M:-8}; C=${C:-200}; DURATION=${DURATION:-20}; SCRAPE=${SCRAPE:-2}; SOURCE=${SOURCE:-pty}
P1GATEWAY=${P1GATEWAY:-$HERE/../../build/gateway/p1gateway}
OUT=${OUT:-${TMPDIR:-/tmp}/proxy-bench}
PORT_BASE=${PORT_BASE:-2300}
RUN="$OUT/rss-M${M}-C${C}-$(date +%H%M%S)"
mkdir -p "$RUN"
. "$HERE/lib.sh"
build_latclient

TOTAL=$((DURATION + 10))
METRICS=$((PORT_BASE + 99))
{
  printf '[gateway]\nlog_level = "warn"\n\n[metrics]\nlisten = "127.0.0.1:%d"\n\n' "$METRICS"
  for i in $(seq 0 $((M - 1))); do
    printf '[[meters]]\nname = "m%d"\n' "$i"
    if [ "$SOURCE" = sim ]; then
      printf 'simulate = "dsmr5"\nrate = 1.0\n'
    else
      printf 'serial = "%s/tty%d"\npreset = "dsmr5"\n' "$RUN" "$i"
      python3 "$HERE/meter.py" --dev "$RUN/tty$i" --pty-link --duration "$TOTAL" \
              --log "$RUN/meter$i.csv" &
      PIDS+=($!)
    fi
    printf '\n  [[meters.listeners]]\n  listen = "127.0.0.1:%d"\n  protocol = "raw"\n' \
           $((PORT_BASE + i))
    printf '  max_clients = %d\n\n' $((C + 10))
  done
} >"$RUN/p1gateway.toml"
if [ "$SOURCE" != sim ]; then
  for i in $(seq 0 $((M - 1))); do
    for _ in $(seq 1 50); do [ -e "$RUN/tty$i" ] && break; sleep 0.1; done
  done
fi
"$P1GATEWAY" --config "$RUN/p1gateway.toml" >"$RUN/server.log" 2>&1 &
GW=$!; PIDS+=("$GW")
for _ in $(seq 1 50); do
  (exec 3<>/dev/tcp/127.0.0.1/$PORT_BASE) 2>/dev/null && break; sleep 0.1
done
sleep 1
kill -0 "$GW" 2>/dev/null || { echo "p1gateway did not start:" >&2; cat "$RUN/server.log" >&2; exit 1; }
grep -E '^(VmRSS|RssAnon|RssFile)' /proc/$GW/status | tr -s ' \t' ' ' | paste -sd' ' \
  | sed 's/^/idle before clients: /' >"$RUN/idle.txt"

per=$(( (C + M - 1) / M )); left=$C
for i in $(seq 0 $((M - 1))); do
  n=$(( left < per ? left : per )); [ "$n" -le 0 ] && break
  "$LATCLIENT" --port $((PORT_BASE + i)) --n "$n" --duration $((DURATION + 5)) \
               --out "$RUN/clients-$i.json" &
  PIDS+=($!); left=$((left - n))
done
echo "t_s rss_kb hwm_kb anon_kb file_kb threads" >"$RUN/mem.txt"
cpu_ticks() { awk '{print $14 + $15}' "/proc/$GW/stat"; }  # utime + stime
CPU0=$(cpu_ticks)
for t in $(seq 1 "$DURATION"); do
  if [ "$SCRAPE" != 0 ] && [ $((t % SCRAPE)) -eq 0 ]; then
    curl -s -o /dev/null "http://127.0.0.1:$METRICS/metrics"
    curl -s -o /dev/null -H 'Accept-Encoding: gzip' "http://127.0.0.1:$METRICS/metrics"
  fi
  awk -v t="$t" '/^VmRSS/{r=$2} /^VmHWM/{h=$2} /^RssAnon/{a=$2} /^RssFile/{f=$2} /^Threads/{th=$2}
       END{print t, r, h, a, f, th}' /proc/$GW/status >>"$RUN/mem.txt"
  [ "$t" -eq $((DURATION - 2)) ] && { cat /proc/$GW/smaps_rollup >"$RUN/smaps_rollup.txt";
    python3 "$HERE/smaps_table.py" "$GW" >"$RUN/smaps_table.txt"; FDS=$(ls /proc/$GW/fd | wc -l); }
  sleep 1
done
CPU_PCT=$(awk -v a="$CPU0" -v b="$(cpu_ticks)" -v hz="$(getconf CLK_TCK)" -v d="$DURATION" \
          'BEGIN{printf "%.2f", (b - a) / hz / d * 100}')
echo "$(tail -1 "$RUN/mem.txt" | cut -d' ' -f2-5) fds=$FDS cpu=${CPU_PCT}%  ($(cat "$RUN/idle.txt"))"
echo "run dir: $RUN"
