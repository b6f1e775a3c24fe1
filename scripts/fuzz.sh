#!/usr/bin/env bash
# Run every libFuzzer target built in BUILD_DIR for SECONDS each, starting from its seed corpus
# in fuzz/<name>/corpus. Usage: scripts/fuzz.sh BUILD_DIR SECONDS
set -euo pipefail
build=${1:?usage: fuzz.sh BUILD_DIR SECONDS}
secs=${2:?usage: fuzz.sh BUILD_DIR SECONDS}
root=$(cd "$(dirname "$0")/.." && pwd)
shopt -s nullglob
targets=("$build"/fuzz/fuzz_*)
if [ ${#targets[@]} -eq 0 ]; then
  echo "fuzz: no fuzz targets in $build/fuzz" >&2
  exit 1
fi
for t in "${targets[@]}"; do
  name=$(basename "$t"); name=${name#fuzz_}
  seeds="$root/fuzz/$name/corpus"
  work="$build/fuzz/corpus-$name"
  mkdir -p "$work"
  echo "fuzz: $name for ${secs}s"
  args=("$work")
  [ -d "$seeds" ] && args+=("$seeds")
  "$t" -max_total_time="$secs" -print_final_stats=0 -artifact_prefix="$build/fuzz/$name-" \
    "${args[@]}" 2>"$build/fuzz/$name.log" || { tail -n 40 "$build/fuzz/$name.log"; exit 1; }
  grep -E "^#[0-9]+ +DONE" "$build/fuzz/$name.log" | tail -n 1 || true
done
echo "fuzz: ${#targets[@]} targets ok"
