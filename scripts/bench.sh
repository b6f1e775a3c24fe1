#!/usr/bin/env bash
# Run every benchmark binary (BUILD_DIR/bench_*) one after the other. Usage: scripts/bench.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
shopt -s nullglob
ran=0
for b in "$build"/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b"
  ran=$((ran + 1))
done
[ $ran -gt 0 ] || { echo "bench: no benchmarks built in $build" >&2; exit 1; }
