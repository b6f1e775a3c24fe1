#!/usr/bin/env bash
# Run every benchmark binary (BUILD_DIR/bench_*) one after the other. Usage: scripts/bench.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:-build}" && pwd)
shopt -s nullglob
cd "$(dirname "$0")/.." 2>/dev/null || true
if [ -x "$build/bench_kafka" ] && [ -x scripts/kafka.sh ]; then
  scripts/kafka.sh start >/dev/null
fi
ran=0
for b in "$build"/bench_*; do
  [ -x "$b" ] || continue
  echo "== $(basename "$b")"
  "$b"
  ran=$((ran + 1))
done
[ $ran -gt 0 ] || { echo "bench: no benchmarks built in $build" >&2; exit 1; }
