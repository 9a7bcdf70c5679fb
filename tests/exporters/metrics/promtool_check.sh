#!/bin/sh
# promtool_check.sh metrics RENDER_PROGRAM | rules RULES_FILE
# Exit 77 (ctest: skipped) when promtool is not installed.
set -eu
if ! command -v promtool >/dev/null 2>&1; then
  echo "SKIP: promtool not found (Debian package 'prometheus' provides it)"
  exit 77
fi
case "$1" in
  metrics)
    out=$("$2")
    [ -n "$out" ] || { echo "renderer printed nothing"; exit 1; }
    printf '%s\n' "$out" | promtool check metrics
    ;;
  rules)
    promtool check rules "$2"
    ;;
  *) echo "usage: $0 metrics PROGRAM | rules FILE"; exit 2 ;;
esac
