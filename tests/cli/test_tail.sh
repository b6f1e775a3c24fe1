#!/usr/bin/env bash
# Tests for `cerelay send --log` / `cerelay tail` on the local log and on the real Kafka broker
# (src/cli/cmd_tail.c, src/cli/source_*.c, src/sink/log.c, src/sink/kafka.c).
. "$(dirname "$0")/lib.sh"
USAGE="$(dirname "$0")/validate/usage.json"

send_usage() { # DEST... : 1 seed-000 usage event with a fresh id
  "$CERELAY" send "$@" --type eventzr.llm.usage.v1 --source llm-orch-svc --subject tenant-uuid \
    --data "@$USAGE" -q
}

case_log_send_and_tail() {
  L="$TMP/log"
  expect_run 0 "$CERELAY" send --log "$L" --topic usage --type t --source /s --subject tenant-a --count 10
  expect_contains "$ERR" "sent 10, delivered 10, failed 0"
  expect_run 0 "$CERELAY" tail --log "$L" --topic usage
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 10
  printf '%s\n' "$OUT" | "$CERELAY" validate -q - || fail "tail output does not validate"
  expect_contains "$OUT" '"subject":"tenant-a"'
  expect_run 0 "$CERELAY" tail --log "$L" --topic usage --count 3
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 3
  expect_run 0 "$CERELAY" tail --log "$L" --topic usage --offset latest
  expect_eq "$OUT" ""
  expect_run 0 "$CERELAY" tail --log "$L" --topic usage --offset 7
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 3
}

case_log_data_round_trip() {
  L="$TMP/log"
  send_usage --log "$L" --topic usage || fail "send failed"
  expect_run 0 "$CERELAY" tail --log "$L" --topic usage
  expect_contains "$OUT" '"data":{"specversion":"1.0","type":"eventzr.llm.usage.v1"'
  expect_contains "$OUT" '"costUsd":0.0025'
  "$CERELAY" send --log "$L" --topic bin --type t --source /s \
    --datacontenttype application/octet-stream --data 'raw bytes' -q
  expect_run 0 "$CERELAY" tail --log "$L" --topic bin
  expect_contains "$OUT" '"data_base64":"cmF3IGJ5dGVz"'
  "$CERELAY" send --log "$L" --topic none --type t --source /s -q
  expect_run 0 "$CERELAY" tail --log "$L" --topic none --format pretty
  expect_contains "$OUT" "(no data)"
}

case_log_partitions_by_key() {
  L="$TMP/log"
  for t in a b c d e f; do
    "$CERELAY" send --log "$L" --topic p --partitions 3 --type t --source /s --subject "tenant-$t" --count 4 -q
  done
  expect_run 0 "$CERELAY" tail --log "$L" --topic p --format pretty
  # every subject lives in exactly one partition
  for t in a b c d e f; do
    n=$(printf '%s\n' "$OUT" | grep -- "key=tenant-$t" | sed 's/@.*//' | sort -u | wc -l)
    expect_eq "$n" 1
  done
  expect_eq "$(printf '%s\n' "$OUT" | grep -c '^--- ')" 24
  [ -d "$L/p-2" ] || fail "no partition 2 directory"
}

case_log_key_template() {
  L="$TMP/log"
  expect_run 0 "$CERELAY" send --log "$L" --topic k --key '{tenantid}' --ext tenantid=acme \
    --type t --source /s
  expect_run 0 "$CERELAY" tail --log "$L" --topic k --format pretty
  expect_contains "$OUT" "key=acme"
  expect_run 1 "$CERELAY" send --log "$L" --topic k --key '{tenantid}' --type t --source /s
  expect_contains "$ERR" "tenantid"
}

case_log_topic_template() {
  L="$TMP/log"
  "$CERELAY" send --log "$L" --topic '{type}' --type eventzr.llm.usage.v1 --source /s -q
  "$CERELAY" send --log "$L" --topic '{type}' --type eventzr.llm.quota.low.v1 --source /s -q
  expect_run 0 "$CERELAY" tail --log "$L" --topic eventzr.llm.quota.low.v1
  expect_contains "$OUT" '"type":"eventzr.llm.quota.low.v1"'
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 1
}

case_log_group_positions() {
  L="$TMP/log"
  "$CERELAY" send --log "$L" --topic g --type t --source /s --count 10 -q
  expect_run 0 "$CERELAY" tail --log "$L" --topic g --group audit --count 4
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 4
  expect_run 0 "$CERELAY" tail --log "$L" --topic g --group audit
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 6
  expect_run 0 "$CERELAY" tail --log "$L" --topic g --group audit
  expect_eq "$OUT" ""
  expect_run 0 "$CERELAY" tail --log "$L" --topic g --group other
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 10
}

case_log_time_seek() {
  L="$TMP/log"
  "$CERELAY" send --log "$L" --topic ts --type t --source /s --count 3 -q
  sleep 1.1
  mid=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
  sleep 0.05
  "$CERELAY" send --log "$L" --topic ts --type t --source /s --count 2 -q
  expect_run 0 "$CERELAY" tail --log "$L" --topic ts --offset "@$mid"
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 2
  expect_run 0 "$CERELAY" tail --log "$L" --topic ts --offset "@2000-01-01T00:00:00Z"
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 5
  expect_run 2 "$CERELAY" tail --log "$L" --topic ts --offset "@yesterday"
}

case_log_follow() {
  L="$TMP/log"
  "$CERELAY" send --log "$L" --topic f --type t --source /s -q
  "$CERELAY" tail --log "$L" --topic f --follow --count 3 >"$TMP/follow.out" &
  pid=$!
  sleep 0.5
  "$CERELAY" send --log "$L" --topic f --type t --source /s --count 2 -q
  for _ in $(seq 1 100); do kill -0 $pid 2>/dev/null || break; sleep 0.1; done
  if kill -0 $pid 2>/dev/null; then kill $pid; fail "tail --follow did not see new events"; fi
  wait $pid || fail "tail --follow exited non-zero"
  expect_eq "$(wc -l <"$TMP/follow.out")" 3
}

case_tail_errors() {
  expect_run 2 "$CERELAY" tail --topic x
  expect_run 2 "$CERELAY" tail --log "$TMP/nolog" --topic x
  expect_contains "$ERR" "log:"
  mkdir -p "$TMP/empty"
  expect_run 2 "$CERELAY" tail --log "$TMP/empty" --topic x
  expect_contains "$ERR" "no topic 'x'"
  expect_run 2 "$CERELAY" tail --log "$TMP/empty" --topic x --format yaml
  expect_run 0 "$CERELAY" tail --help
  expect_contains "$OUT" "usage: cerelay tail"
}

case_kafka_binary_round_trip() {
  need_kafka
  T=$(fresh_topic bin)
  expect_run 0 "$CERELAY" send --kafka "$BOOT" --topic "$T" --type eventzr.llm.usage.v1 \
    --source llm-orch-svc --subject tenant-uuid --data "@$USAGE" --count 5
  expect_contains "$ERR" "sent 5, delivered 5, failed 0"
  expect_run 0 "$CERELAY" tail --kafka "$BOOT" --topic "$T"
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 5
  expect_contains "$OUT" '"subject":"tenant-uuid"'
  expect_contains "$OUT" '"costUsd":0.0025'
  expect_run 0 "$CERELAY" tail --kafka "$BOOT" --topic "$T" --format pretty --count 1
  expect_contains "$OUT" "key=tenant-uuid"
}

case_kafka_structured_and_template() {
  need_kafka
  T=$(fresh_topic st)
  expect_run 0 "$CERELAY" send --kafka "$BOOT" --topic "$T.{type}" --mode structured \
    --type usage --source /s --ext tenantid=acme --key '{tenantid}' --count 3
  expect_run 0 "$CERELAY" tail --kafka "$BOOT" --topic "$T.usage" --format pretty
  expect_eq "$(printf '%s\n' "$OUT" | grep -c '^--- ')" 3
  expect_contains "$OUT" "key=acme"
  # structured value plus ce_ headers (seed 002's consumer routes on ce_type)
  expect_run 0 "$CERELAY" send --kafka "$BOOT" --topic "$T.h" --mode structured --attr-headers \
    --type usage --source /s --subject tenant-a
  expect_run 0 "$CERELAY" tail --kafka "$BOOT" --topic "$T.h"
  expect_contains "$OUT" '"subject":"tenant-a"'
}

case_kafka_group_and_offsets() {
  need_kafka
  T=$(fresh_topic grp)
  "$CERELAY" send --kafka "$BOOT" --topic "$T" --type t --source /s --subject k --count 6 -q
  expect_run 0 "$CERELAY" tail --kafka "$BOOT" --topic "$T" --group "g-$T" --count 2
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 2
  expect_run 0 "$CERELAY" tail --kafka "$BOOT" --topic "$T" --group "g-$T"
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 4
  expect_run 0 "$CERELAY" tail --kafka "$BOOT" --topic "$T" --offset latest
  expect_eq "$OUT" ""
}

run_case "$@"
