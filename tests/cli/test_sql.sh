#!/usr/bin/env bash
# Tests for `cerelay sql` (src/cli/cmd_sql.c) and `cerelay tail --filter`.
. "$(dirname "$0")/lib.sh"
USAGE="$(dirname "$0")/validate/usage.json"

case_values_as_json_literals() {
  expect_run 0 "$CERELAY" sql "1 + 2"
  expect_eq "$OUT" "3"
  expect_run 0 "$CERELAY" sql "CONCAT('a', 'b')"
  expect_eq "$OUT" '"ab"'
  expect_run 0 "$CERELAY" sql "TRUE AND NOT FALSE"
  expect_eq "$OUT" "true"
  expect_run 0 "$CERELAY" sql "CONCAT('say \"', 'hi', '\"')"
  expect_eq "$OUT" '"say \"hi\""'
}

case_against_an_event() {
  expect_run 0 "$CERELAY" sql --event "$USAGE" "type LIKE 'eventzr.llm.%' AND subject = 'tenant-uuid'"
  expect_eq "$OUT" "true"
  expect_run 0 "$CERELAY" sql --event "$USAGE" "source"
  expect_eq "$OUT" '"llm-orch-svc"'
}

case_errors_and_exit_codes() {
  expect_run 1 "$CERELAY" sql "myext = 'x'"
  expect_eq "$OUT" "false"
  expect_contains "$ERR" "missingAttribute"
  expect_run 1 "$CERELAY" sql "1 / 0"
  expect_contains "$ERR" "math"
  expect_run 2 "$CERELAY" sql "1 +"
  expect_contains "$ERR" "byte 3"
  expect_run 2 "$CERELAY" sql
  expect_run 2 "$CERELAY" sql --event "$TMP/none.json" "TRUE"
  expect_run 0 "$CERELAY" sql --help
  expect_contains "$OUT" "usage: cerelay sql"
}

case_tail_filter() {
  L="$TMP/log"
  for t in a b a c a; do
    "$CERELAY" send --log "$L" --topic f --type "eventzr.llm.usage.v1" --source /s --subject "tenant-$t" -q
  done
  "$CERELAY" send --log "$L" --topic f --type "io.coresdk.error" --source /s --subject tenant-a -q
  expect_run 0 "$CERELAY" tail --log "$L" --topic f --filter "subject = 'tenant-a' AND type LIKE 'eventzr.%'"
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 3
  expect_run 0 "$CERELAY" tail --log "$L" --topic f --filter "subject = 'tenant-a'" --count 2
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 2
  expect_run 0 "$CERELAY" tail --log "$L" --topic f --filter "nosuch = 'x'"
  expect_eq "$OUT" ""
  expect_run 2 "$CERELAY" tail --log "$L" --topic f --filter "subject ="
  expect_contains "$ERR" "--filter"
}

run_case "$@"
