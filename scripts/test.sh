#!/usr/bin/env bash
# The whole suite, as `make test` runs it: packages, format check, build, the test broker,
# ctest on the normal build and on the ASan+UBSan build, then short fuzzer runs.
# Environment: JOBS (parallel jobs), FUZZ_SECONDS (per fuzzer, default 10),
# CER_TEST_NO_KAFKA=1 (skip starting the broker: the tests labelled kafka then fail). The tests
# labelled cluster (three brokers) are left to `make test-cluster`, which .ci/run also runs.
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${JOBS:-$(nproc 2>/dev/null || echo 2)}
GEN=$(command -v ninja >/dev/null 2>&1 && echo "-G Ninja" || true)
t0=$(date +%s)
step() { echo; echo "== $* ($(( $(date +%s) - t0 ))s)"; }

step deps
scripts/deps.sh
[ -x scripts/interop-deps.sh ] && scripts/interop-deps.sh
# A real OPA for the policy tests: built once from the Go module proxy into a cache (minutes
# the first time, a no-op after); in the background while cerelay builds.
opa_pid=
if [ -x scripts/opa.sh ]; then
  scripts/opa.sh install >/tmp/cerelay-opa-install.log 2>&1 &
  opa_pid=$!
fi

step format-check
make --no-print-directory format-check

step build
cmake -S . -B build $GEN -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$JOBS"

started_kafka=0
cleanup() {
  if [ "$started_kafka" = 1 ]; then scripts/kafka.sh stop || true; fi
}
trap cleanup EXIT
if [ "${CER_TEST_NO_KAFKA:-0}" != 1 ] && [ -x scripts/kafka.sh ]; then
  step "kafka start"
  scripts/kafka.sh status >/dev/null 2>&1 || started_kafka=1
  scripts/kafka.sh start
  eval "$(scripts/kafka.sh env)"
  export CER_KAFKA_BOOTSTRAP=${CER_KAFKA_BOOTSTRAP:-127.0.0.1:9092}
fi

if [ -n "$opa_pid" ] && ! wait "$opa_pid"; then
  echo "scripts/opa.sh install failed:" >&2
  tail -n 30 /tmp/cerelay-opa-install.log >&2
  exit 1
fi

step "ctest (build)"
ctest --test-dir build --output-on-failure -j "$JOBS" -LE cluster ${CTEST_ARGS:-}

step "ctest (ASan+UBSan)"
cmake -S . -B build-asan $GEN -DCMAKE_BUILD_TYPE=Debug -DCER_SANITIZE=ON >/dev/null
cmake --build build-asan -j "$JOBS"
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
  ctest --test-dir build-asan --output-on-failure -j "$JOBS" -LE cluster ${CTEST_ARGS:-}

step "fuzz smoke (${FUZZ_SECONDS:-10}s per target)"
CC=clang cmake -S . -B build-fuzz $GEN -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCER_FUZZ=ON >/dev/null
cmake --build build-fuzz -j "$JOBS" --target fuzzers
scripts/fuzz.sh build-fuzz "${FUZZ_SECONDS:-10}"

step "done"
