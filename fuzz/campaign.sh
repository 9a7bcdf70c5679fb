#!/usr/bin/env bash
# A fuzzing campaign: builds the fuzz configuration if needed, runs each
# target (or the ones named) for a number of executions, prints per target
# execs, exec/s, coverage (cov/ft from libFuzzer's final stats) and crashes,
# then merges the new interesting inputs back into fuzz/corpus/<target>,
# minimised (-merge=1 into a fresh dir, which then replaces the corpus).
#
#   fuzz/campaign.sh [-n RUNS] [-B BUILD_DIR] [TARGET...]
#
# RUNS defaults to 10,000,000 (libFuzzer -runs=); TARGETs default to all. One
# libFuzzer process at a time (no -jobs/-workers); run it under `nice`.
# Crash artifacts and the run logs stay in BUILD_DIR/fuzz/campaign/<target>/.
# A crash ends a libFuzzer process; the run goes on for the executions left,
# until P1GW_FUZZ_MAX_CRASHES (5) crashes. Extra libFuzzer flags can be given
# in P1GW_FUZZ_FLAGS.
set -euo pipefail

# All in one function called on the last line: bash reads a script as it
# runs, so an edit to this file must not change a campaign already running.
main() {
  all_targets=(framer_fuzz decrypt_fuzz parser_fuzz telnet_fuzz rfc2217_fuzz config_fuzz ser2net_fuzz http_fuzz)
  runs=10000000
  max_crashes=${P1GW_FUZZ_MAX_CRASHES:-5}
  root=$(cd "$(dirname "$0")/.." && pwd)
  build=$root/build-fuzz
  lock=${P1GW_BUILD_LOCK:-/tmp/p1gw-build.lock}  # serialises builds on a shared machine

  usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
  while getopts "n:B:h" opt; do
    case $opt in
      n) runs=$OPTARG ;;
      B) build=$(realpath -m "$OPTARG") ;;
      h) usage 0 ;;
      *) usage 2 ;;
    esac
  done
  shift $((OPTIND - 1))
  targets=("$@")
  [[ ${#targets[@]} -gt 0 ]] || targets=("${all_targets[@]}")
  for t in "${targets[@]}"; do
    [[ " ${all_targets[*]} " == *" $t "* ]] || { echo "unknown target '$t' (${all_targets[*]})" >&2; exit 2; }
  done

  locked() { if command -v flock >/dev/null; then flock "$lock" "$@"; else "$@"; fi; }

  if [[ ! -f $build/build.ninja ]] || ! grep -q '^P1GW_FUZZ:BOOL=ON' "$build/CMakeCache.txt"; then
    CC=clang CXX=clang++ locked cmake -S "$root" -B "$build" -G Ninja \
      -DCMAKE_BUILD_TYPE=RelWithDebInfo -DP1GW_FUZZ=ON
  fi
  locked cmake --build "$build" -j "$(nproc)" --target "${targets[@]}"

  # Seeds that live elsewhere in the tree (merged in, so a corpus never loses
  # what they cover); the telnet/rfc2217 seeds exist only in the corpus.
  seed_files() {
    case $1 in
      framer_fuzz | decrypt_fuzz | parser_fuzz) ls "$root"/tests/data/*.txt "$root"/tests/data/*.bin ;;
      config_fuzz) ls "$root"/config/*.toml ;;
      ser2net_fuzz) ls "$root"/tests/config/ser2net/data/* ;;
    esac
  }

  summary=()
  for t in "${targets[@]}"; do
    bin=$build/fuzz/$t
    corpus=$root/fuzz/corpus/$t
    dir=$build/fuzz/campaign/$t
    rm -rf "$dir/new" "$dir/seeds" "$dir/merged"
    mkdir -p "$dir/new" "$dir/seeds" "$dir/artifacts" "$corpus"
    seed_files "$t" | xargs -r cp -t "$dir/seeds"
    dict=()
    [[ -f $root/fuzz/$t.dict ]] && dict=(-dict="$root/fuzz/$t.dict")

    echo "== $t: $runs runs (logs: $dir/fuzz.<n>.log)"
    # A crash ends a libFuzzer process (its input is saved as an artifact and
    # not added to the corpus); the run is restarted for the executions left,
    # up to max_crashes times. New inputs go to the first directory only.
    execs=0 crashes=0 attempt=0 rc=0 cov= ft= start=$SECONDS
    rm -f "$dir"/fuzz.*.log
    while ((execs < runs)); do
      attempt=$((attempt + 1))
      log=$dir/fuzz.$attempt.log
      set +e
      # shellcheck disable=SC2086
      "$bin" -runs=$((runs - execs)) -print_final_stats=1 -rss_limit_mb=2048 -timeout=30 \
        -artifact_prefix="$dir/artifacts/" "${dict[@]}" ${P1GW_FUZZ_FLAGS:-} \
        "$dir/new" "$corpus" "$dir/seeds" >"$log" 2>&1
      rc=$?
      set -e
      n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
      execs=$((execs + ${n:-0}))
      last=$(grep -E '^#[0-9]+[[:space:]]+(INITED|NEW|REDUCE|pulse|DONE|RELOAD)' "$log" | tail -1 || true)
      [[ -z $last ]] || cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
      [[ -z $last ]] || ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
      # 0: done; 72: interrupted (Ctrl-C on the campaign stops it cleanly).
      ((rc != 0 && rc != 72)) || break
      crashes=$((crashes + 1))
      echo "   crash after $execs execs: $(grep -m1 -o 'Test unit written to .*' "$log" || echo "exit $rc, see $log")"
      if ((crashes >= max_crashes || ${n:-0} == 0)); then break; fi
    done
    secs=$((SECONDS - start))
    rate=$((execs / (secs > 0 ? secs : 1)))

    # Minimise: the old corpus, the new inputs and the seeds into a fresh dir.
    before="$(find "$corpus" -type f | wc -l) files, $(($(du -sb "$corpus" | cut -f1) / 1024)) KiB"
    mkdir -p "$dir/merged"
    if "$bin" -merge=1 -rss_limit_mb=2048 -timeout=30 "${dict[@]}" \
        "$dir/merged" "$corpus" "$dir/new" "$dir/seeds" >"$dir/merge.log" 2>&1 &&
        [[ -n $(ls -A "$dir/merged") ]]; then
      find "$corpus" -type f -delete
      cp "$dir/merged"/* "$corpus"/
    else
      echo "   merge failed, corpus left as it was (see $dir/merge.log)"
    fi
    after="$(find "$corpus" -type f | wc -l) files, $(($(du -sb "$corpus" | cut -f1) / 1024)) KiB"
    line=$(printf '%-13s execs %-9s exec/s %-6s cov %-5s ft %-6s crashes %-3s corpus %s -> %s' \
      "$t" "$execs" "$rate" "${cov:-?}" "${ft:-?}" "$crashes" "$before" "$after")
    echo "   $line"
    ((crashes == 0)) || echo "   artifacts: $dir/artifacts/ (reproduce: $bin <file>)"
    summary+=("$line")
  done

  echo
  echo "== summary"
  printf '%s\n' "${summary[@]}"
}

main "$@"; exit
