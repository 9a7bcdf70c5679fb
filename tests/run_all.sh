#!/usr/bin/env bash
# The whole test suite, as README.md gives it and CI runs it: installs the
# Debian packages, then builds and runs ctest in three configurations, and
# tests the Debian package:
#   build/        RelWithDebInfo: unit, loop, black-box and promtool tests
#   build-asan/   GCC ASan+UBSan: the same tests under sanitizers
#   build-fuzz/   clang libFuzzer targets, each run for a bounded time
#   build-deb/    the .deb, built, linted, installed, run and purged
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
jobs=$(nproc)

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
cmake --build build -j "$jobs"
ctest --test-dir build --output-on-failure -j "$jobs"

cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DP1GW_SANITIZE=ON -DP1GW_BENCH=OFF
cmake --build build-asan -j "$jobs"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$jobs"

CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DP1GW_FUZZ=ON
cmake --build build-fuzz -j "$jobs"
# Ten targets for P1GW_FUZZ_SECONDS (15) each, in parallel: about a minute on 2 cores.
ctest --test-dir build-fuzz --output-on-failure -j "$jobs"
bash tests/deploy/package_test.sh
echo "all test configurations passed"
