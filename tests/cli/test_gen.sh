#!/usr/bin/env bash
# Tests for `cerelay gen` (src/cli/cmd_gen.c over the generator in src/catalog/).
. "$(dirname "$0")/lib.sh"

# Every event of 10,000 validates against the catalog, and all fifteen types occur.
case_ten_thousand_validate() {
  "$CERELAY" gen --stdout --count 10000 --rate 0 --seed 42 > "$TMP/g.ndjson" 2> "$TMP/g.err" ||
    fail "gen failed: $(cat "$TMP/g.err")"
  expect_contains "$(cat "$TMP/g.err")" "sent 10000, delivered 10000, failed 0"
  expect_eq "$(wc -l < "$TMP/g.ndjson")" 10000
  expect_run 0 "$CERELAY" catalog validate "$TMP/g.ndjson"
  expect_contains "$ERR" "ok: 10000 event(s)"
  expect_eq "$(grep -o '"source":"[^"]*","type":"[^"]*"' "$TMP/g.ndjson" | sed 's/.*"type"://' | sort -u | wc -l)" 15
  local usage; usage=$(grep -c '"type":"eventzr.llm.usage.v1"' "$TMP/g.ndjson")
  [ "$usage" -gt 6500 ] && [ "$usage" -lt 7500 ] || fail "usage share $usage of 10000"
  # large headers (retrieval ids) and large error payloads are in the mix
  grep -q '"retrievalids":"doc_' "$TMP/g.ndjson" || fail "no retrievalids extension"
  [ "$(awk 'length > 4096' "$TMP/g.ndjson" | wc -l)" -gt 0 ] || fail "no event over 4 KiB"
  # every event is a CloudEvent the core accepts too
  split -l 1000 "$TMP/g.ndjson" "$TMP/part."
  for f in "$TMP"/part.*; do "$CERELAY" validate -q "$f" || fail "core validation: $f"; done
}

case_seed_reproducible() {
  "$CERELAY" gen --stdout --count 300 --rate 0 --seed 7 -q > "$TMP/a" || fail "run a"
  "$CERELAY" gen --stdout --count 300 --rate 0 --seed 7 -q > "$TMP/b" || fail "run b"
  "$CERELAY" gen --stdout --count 300 --rate 0 --seed 8 -q > "$TMP/c" || fail "run c"
  cmp -s "$TMP/a" "$TMP/b" || fail "same seed, different output"
  cmp -s "$TMP/a" "$TMP/c" && fail "different seeds, same output"
  expect_eq "$(wc -l < "$TMP/a")" 300
  # times follow the virtual clock from --start, 1/rate apart (unlimited: 1 ms)
  head -1 "$TMP/a" | grep -q '"time":"2026-01-01T00:00:00.000Z"' || fail "first time"
  sed -n 3p "$TMP/a" | grep -q '"time":"2026-01-01T00:00:00.002Z"' || fail "third time"
  "$CERELAY" gen --stdout --count 2 --rate 0 --seed 7 --start 2026-05-01T10:00:00Z -q > "$TMP/d"
  head -1 "$TMP/d" | grep -q '"time":"2026-05-01T10:00:00.000Z"' || fail "--start"
  # without a seed: a random one, printed; fresh ids
  expect_run 0 "$CERELAY" gen --stdout --count 5 --rate 0
  expect_contains "$ERR" "gen: seed "
  expect_eq "$(printf '%s\n' "$OUT" | grep -o '"id":"[^"]*"' | sort -u | wc -l)" 5
}

# Token bucket: 100 events at 50/s take about two seconds, with progress once a second.
case_rate_limit_and_progress() {
  local t0 t1; t0=$(date +%s%N)
  expect_run 0 "$CERELAY" gen --stdout --count 100 --rate 50 --seed 1
  t1=$(date +%s%N)
  local ms=$(( (t1 - t0) / 1000000 ))
  [ "$ms" -ge 1700 ] && [ "$ms" -lt 10000 ] || fail "100 events at 50/s took $ms ms"
  expect_contains "$ERR" "gen: 1 s: sent "
  expect_contains "$ERR" "sent 100, delivered 100, failed 0"
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 100
}

# --burst 2x@1s/500ms: from 1.0 s to 1.5 s the rate doubles; with --seed the times show it.
case_burst_schedule() {
  expect_run 0 "$CERELAY" gen --stdout --count 21 --rate 10 --burst 2x@1s/500ms --seed 3 -q
  expect_eq "$(printf '%s\n' "$OUT" | sed -n 10p | grep -o '"time":"[^"]*"')" '"time":"2026-01-01T00:00:00.900Z"'
  expect_eq "$(printf '%s\n' "$OUT" | sed -n 12p | grep -o '"time":"[^"]*"')" '"time":"2026-01-01T00:00:01.050Z"'
  expect_eq "$(printf '%s\n' "$OUT" | sed -n 21p | grep -o '"time":"[^"]*"')" '"time":"2026-01-01T00:00:01.500Z"'
  # by the wall clock: 3 s at 20/s is 60 events, plus a 5x burst of 500 ms at 2 s (+40)
  expect_run 0 "$CERELAY" gen --stdout --duration 3s --rate 20 --burst 5x@2s/500ms -q
  local n; n=$(printf '%s\n' "$OUT" | wc -l)
  [ "$n" -ge 70 ] && [ "$n" -le 115 ] || fail "3 s with a burst gave $n events"
}

case_log_and_http() {
  expect_run 0 "$CERELAY" gen --log "$TMP/log" --count 200 --rate 0 --seed 5
  expect_contains "$ERR" "sent 200, delivered 200, failed 0"
  local want; want=$("$CERELAY" gen --stdout --count 200 --rate 0 --seed 5 -q | grep -c '"type":"eventzr.llm.usage.v1"')
  expect_run 0 "$CERELAY" tail --log "$TMP/log" --topic eventzr.llm.usage.v1
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" "$want"
  start_stub 202
  expect_run 0 "$CERELAY" gen --http "$STUB_URL" --mode batch --batch-size 50 --count 120 --rate 0
  expect_contains "$ERR" "sent 120, delivered 120, failed 0"
  expect_eq "$(stub_requests)" 3
}

case_usage_errors() {
  expect_run 0 "$CERELAY" gen --help
  expect_contains "$OUT" "usage: cerelay gen"
  expect_run 2 "$CERELAY" gen --count 1
  expect_contains "$ERR" "exactly one of"
  expect_run 2 "$CERELAY" gen --stdout --count 5 --duration 1
  expect_contains "$ERR" "--count or --duration"
  expect_run 2 "$CERELAY" gen --stdout --burst 5x10s
  expect_contains "$ERR" "--burst: expected MULTx@PERIOD"
  expect_run 2 "$CERELAY" gen --stdout --burst 2x@1s/1s
  expect_run 2 "$CERELAY" gen --stdout --profile retail
  expect_contains "$ERR" "unknown profile 'retail'"
  expect_run 2 "$CERELAY" gen --stdout --tenants 0
  expect_run 2 "$CERELAY" gen --stdout --rate -1
  expect_run 2 "$CERELAY" gen --stdout --start 2026-01-01T00:00:00Z
  expect_contains "$ERR" "--start needs --seed"
  expect_run 2 "$CERELAY" gen --kafka 127.0.0.1:9 -X no.such.prop=1
  expect_contains "$ERR" "no.such.prop"
}

case_kafka_gen() {
  need_kafka
  local T; T=$(fresh_topic gen)
  expect_run 0 "$CERELAY" gen --kafka "$BOOT" --topic "$T" --count 300 --rate 0 --seed 11
  expect_contains "$ERR" "sent 300, delivered 300, failed 0"
  expect_run 0 "$CERELAY" tail --kafka "$BOOT" --topic "$T" --count 300
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 300
  printf '%s\n' "$OUT" > "$TMP/k.ndjson"
  expect_run 0 "$CERELAY" catalog validate "$TMP/k.ndjson"
  # keyed by subject: the tenant
  expect_run 0 "$CERELAY" tail --kafka "$BOOT" --topic "$T" --format pretty --count 1
  expect_contains "$OUT" "key="
}

run_case "$@"
