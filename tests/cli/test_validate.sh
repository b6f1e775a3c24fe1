#!/usr/bin/env bash
# Tests for `cerelay validate` (src/cli/cmd_validate.c): exit codes, messages, --print.
. "$(dirname "$0")/lib.sh"
D="$(dirname "$0")/validate"

case_valid_single() {
  expect_run 0 "$CERELAY" validate "$D/usage.json"
  expect_eq "$OUT" "ok: 1 event(s)"
  expect_run 0 "$CERELAY" validate - <"$D/usage.json"
  expect_eq "$OUT" "ok: 1 event(s)"
  expect_run 0 "$CERELAY" validate --quiet "$D/usage.json"
  expect_eq "$OUT" ""
}

case_print_is_canonical() {
  expect_run 0 "$CERELAY" validate --print "$D/usage.json"
  expect_eq "$OUT" "$(cat "$D/usage.canonical.ndjson")"
  expect_contains "$ERR" "ok: 1 event(s)"
  # the canonical form is a fixed point
  "$CERELAY" validate --print "$D/usage.json" 2>/dev/null >"$TMP/once"
  expect_run 0 "$CERELAY" validate --print "$TMP/once"
  expect_eq "$OUT" "$(cat "$TMP/once")"
}

case_batch_reports_each_event() {
  expect_run 1 "$CERELAY" validate "$D/batch_mixed.json"
  expect_contains "$ERR" "batch_mixed.json: event 2: attribute 'time': not an RFC 3339 timestamp"
  expect_contains "$ERR" "batch_mixed.json: event 3: attribute 'type'"
  expect_contains "$ERR" "invalid: 2 of 4 event(s)"
  expect_run 1 "$CERELAY" validate --print "$D/batch_mixed.json"
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" "2"
  expect_contains "$OUT" '"data_base64":"aGVsbG8="'
}

case_ndjson() {
  "$CERELAY" validate --print "$D/batch_mixed.json" 2>/dev/null >"$TMP/two.ndjson"
  expect_run 0 "$CERELAY" validate "$TMP/two.ndjson"
  expect_eq "$OUT" "ok: 2 event(s)"
  printf '%s\n' '{"specversion":"1.0","id":"a","source":"/s","type":"t"}' \
    '{"specversion":"1.0","id":"","source":"/s","type":"t"}' >"$TMP/bad.ndjson"
  expect_run 1 "$CERELAY" validate "$TMP/bad.ndjson"
  expect_contains "$ERR" "event 2 (line 2): attribute 'id'"
}

case_syntax_error_offset() {
  printf '{"specversion":"1.0","id":"a",,"source":"/s","type":"t"}' >"$TMP/syn.json"
  expect_run 1 "$CERELAY" validate "$TMP/syn.json"
  expect_contains "$ERR" "syn.json: byte 30"
  printf '[{"specversion":"1.0"}' >"$TMP/trunc.json"
  expect_run 1 "$CERELAY" validate "$TMP/trunc.json"
  expect_contains "$ERR" "trunc.json: byte"
  printf '' >"$TMP/empty.json"
  expect_run 1 "$CERELAY" validate "$TMP/empty.json"
  expect_contains "$ERR" "empty input"
}

case_usage_and_io_errors() {
  expect_run 2 "$CERELAY" validate "$TMP/does-not-exist.json"
  expect_contains "$ERR" "does-not-exist.json: No such file or directory"
  expect_run 2 "$CERELAY" validate --bogus
  expect_run 2 "$CERELAY" validate --max-bytes nope "$D/usage.json"
  expect_contains "$ERR" "--max-bytes"
  expect_run 2 "$CERELAY" frobnicate
  expect_contains "$ERR" "unknown command 'frobnicate'"
  expect_run 2 "$CERELAY"
}

case_size_cap() {
  expect_run 1 "$CERELAY" validate --max-bytes 100 "$D/usage.json"
  expect_contains "$ERR" "usage.json:"
  expect_run 0 "$CERELAY" validate --max-bytes 64K "$D/usage.json"
}

case_help_and_version() {
  expect_run 0 "$CERELAY" --help
  expect_contains "$OUT" "validate"
  expect_run 0 "$CERELAY" validate --help
  expect_contains "$OUT" "usage: cerelay validate"
  expect_contains "$OUT" "exit status"
  expect_run 0 "$CERELAY" help validate
  expect_contains "$OUT" "usage: cerelay validate"
  expect_run 0 "$CERELAY" --version
  expect_contains "$OUT" "cerelay 0.1.0"
}

run_case "$@"
