# Sourced by run.sh and rss.sh: PID bookkeeping (every process a script
# starts is stopped by PID at exit, never by name) and the latclient build.
# Needs HERE, OUT and RUN set.
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
  sleep 0.3
  for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  rm -f "$RUN/meter" "$RUN/ttyP1"
}
trap cleanup EXIT
ulimit -n 8192 2>/dev/null

build_latclient() {
  LATCLIENT="$OUT/latclient"
  if [ ! -x "$LATCLIENT" ] || [ "$HERE/latclient.c" -nt "$LATCLIENT" ]; then
    cc -O2 -o "$LATCLIENT" "$HERE/latclient.c" || exit 1
  fi
}
