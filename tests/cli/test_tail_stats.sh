#!/usr/bin/env bash
# Tests for `cerelay tail --stats` (src/cli/cmd_tail.c, src/cli/fresh.c): end-to-end freshness
# (consume time - CloudEvents time) percentiles per type and tenant, on the local log and Kafka.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { fail "jq is needed by these tests"; exit 1; }

# NDJSON: N events of TYPE for tenant TENANT (tenantid extension), the i-th (1..N) with time
# now - i*STEP seconds.
events() { # N TYPE TENANT STEP
  local now i
  now=$(date +%s)
  for i in $(seq 1 "$1"); do
    printf '{"specversion":"1.0","id":"%s-%s-%d","source":"/s","type":"%s","tenantid":"%s","time":"%s"}\n' \
      "$2" "$3" "$i" "$2" "$3" "$(date -u -d "@$((now - i * $4))" +%Y-%m-%dT%H:%M:%SZ)"
  done
}
in_range() {
  [ "$(echo "$1 >= $2 && $1 <= $3" | bc)" = 1 ] || fail "$4: $1 not in [$2, $3]"
}

case_log_stats_percentiles() {
  L="$TMP/log"
  t0=$(date +%s)
  events 100 llm.usage acme 1 >"$TMP/a.ndjson"
  events 10 llm.quota beta 30 >"$TMP/b.ndjson"
  "$CERELAY" send --log "$L" --topic s --file "$TMP/a.ndjson" -q || fail "send a"
  "$CERELAY" send --log "$L" --topic s --file "$TMP/b.ndjson" -q || fail "send b"
  "$CERELAY" send --log "$L" --topic s --type llm.usage --source /s --subject tenant-c \
    --count 4 -q
  "$CERELAY" send --log "$L" --topic s --type llm.usage --source /s --subject tenant-c \
    --time 2200-01-01T00:00:00Z -q
  expect_run 0 "$CERELAY" tail --log "$L" --topic s --stats --format json
  last=$(tail -n 1 <<<"$OUT")
  expect_eq "$(jq .final <<<"$last")" true
  expect_eq "$(jq .events <<<"$last")" 115
  a='.series[]|select(.type=="llm.usage" and .tenant=="acme")'
  expect_eq "$(jq "$a|.count" <<<"$last")" 100
  # ages 1..100 s (plus the seconds the test took, measured: a loaded machine under ASan took
  # 4.4 s): p50 ~ 50, p95 ~ 95, p99 ~ 99, within 2 % bucket precision
  el=$(($(date +%s) - t0 + 1))
  in_range "$(jq "$a|.p50_seconds" <<<"$last")" 49 $((51 + el)) p50
  in_range "$(jq "$a|.p95_seconds" <<<"$last")" 92.5 $((97 + el)) p95
  in_range "$(jq "$a|.p99_seconds" <<<"$last")" 96.5 $((101 + el)) p99
  in_range "$(jq "$a|.max_seconds" <<<"$last")" 100 $((100 + el)).5 max
  b='.series[]|select(.type=="llm.quota" and .tenant=="beta")'
  expect_eq "$(jq "$b|.count" <<<"$last")" 10
  in_range "$(jq "$b|.p50_seconds" <<<"$last")" 147 $((154 + el)) "beta p50"
  # the subject is the tenant when there is no tenantid; a future time counts as 0 and "future"
  c='.series[]|select(.tenant=="tenant-c")'
  expect_eq "$(jq "$c|.count" <<<"$last")" 5
  expect_eq "$(jq "$c|.future" <<<"$last")" 1
  # the table names the same series
  expect_run 0 "$CERELAY" tail --log "$L" --topic s --stats
  expect_contains "$OUT" "llm.quota"
  expect_contains "$OUT" "P99"
}

case_log_stats_cardinality_cap() {
  L="$TMP/log"
  for t in $(seq 1 105); do events 1 t "tenant$t" 1; done >"$TMP/c.ndjson"
  "$CERELAY" send --log "$L" --topic c --file "$TMP/c.ndjson" -q || fail "send"
  expect_run 0 "$CERELAY" tail --log "$L" --topic c --stats --format json
  last=$(tail -n 1 <<<"$OUT")
  expect_eq "$(jq '.series|length' <<<"$last")" 101
  expect_eq "$(jq '.series[]|select(.tenant=="other")|.count' <<<"$last")" 5
}

case_log_stats_follow_prints_every_second() {
  L="$TMP/log"
  "$CERELAY" send --log "$L" --topic f --type t --source /s --count 3 -q
  "$CERELAY" tail --log "$L" --topic f --stats --follow --format json >"$TMP/f.out" &
  pid=$!
  sleep 2.5
  kill -INT $pid
  wait $pid || fail "tail --stats --follow exited $?"
  n=$(grep -c '"final":false' "$TMP/f.out")
  [ "$n" -ge 1 ] && [ "$n" -le 3 ] || fail "expected 1-3 periodic reports in 2.5 s, got $n"
  expect_eq "$(grep -c '"final":true' "$TMP/f.out")" 1
}

case_kafka_stats_as_a_group() {
  need_kafka
  T=$(fresh_topic stats)
  events 30 llm.usage acme 0 | sed 's/"time":"[^"]*"/"time":"'"$(date -u -d '-10 sec' +%Y-%m-%dT%H:%M:%S.%3NZ)"'"/' \
    >"$TMP/k.ndjson"
  "$CERELAY" send --kafka "$BOOT" --topic "$T" --file "$TMP/k.ndjson" -q || fail "send"
  expect_run 0 "$CERELAY" tail --kafka "$BOOT" --topic "$T" --group "g-$T" --stats --format json
  last=$(tail -n 1 <<<"$OUT")
  expect_eq "$(jq '.series[0].count' <<<"$last")" 30
  in_range "$(jq '.series[0].p50_seconds' <<<"$last")" 9.8 13 "kafka p50"
  # it consumed as the group: the group has caught up
  expect_run 0 "$CERELAY" lag --kafka "$BOOT" --group "g-$T" --json
  expect_eq "$(jq '[.partitions[].lag_records]|add' <<<"$OUT")" 0
}

run_case "$@"
