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

# Empty input is "no events" (exit 1), never "invalid: 1 of 1"; an empty batch is valid.
case_empty_input() {
  expect_run 1 "$CERELAY" validate - </dev/null
  expect_eq "$OUT" ""
  expect_contains "$ERR" "<stdin>: no events (empty input)"
  expect_contains "$ERR" "no events"
  case "$ERR" in *"of 1 event"*) fail "empty input counted as an event: $ERR" ;; esac
  expect_run 1 "$CERELAY" validate <<<$' \n\t'
  expect_contains "$ERR" "no events"
  expect_run 1 "$CERELAY" validate "$D/usage.json" - </dev/null
  expect_eq "$OUT" ""
  expect_contains "$ERR" "invalid: 0 of 1 event(s), 1 empty input(s)"
  expect_run 0 "$CERELAY" validate <<<'[ ]'
  expect_eq "$OUT" "ok: 0 event(s)"
}

# An I/O error prints nothing on standard output (no "ok: 0 event(s)") and exits 2.
case_io_error_nothing_on_stdout() {
  expect_run 2 "$CERELAY" validate "$TMP/nonexist.json"
  expect_eq "$OUT" ""
  expect_contains "$ERR" "nonexist.json: No such file or directory"
  expect_run 2 "$CERELAY" validate "$D/usage.json" "$TMP/nonexist.json"
  expect_eq "$OUT" ""
  expect_run 2 "$CERELAY" validate "$TMP"
  expect_eq "$OUT" ""
  expect_contains "$ERR" "read error"
}

# The shapes are told apart by their first bytes: pretty-printed events one after another
# (what `jq .` writes) are a sequence; a batch's syntax errors name the input offset.
case_formats() {
  "$CERELAY" validate --print "$D/batch_mixed.json" 2>/dev/null >"$TMP/two.ndjson"
  python3 -c 'import json,sys
for l in open(sys.argv[1]): print(json.dumps(json.loads(l), indent=2))' "$TMP/two.ndjson" >"$TMP/seq.json"
  expect_run 0 "$CERELAY" validate "$TMP/seq.json"
  expect_eq "$OUT" "ok: 2 event(s)"
  printf '{"specversion":"1.0","id":"a","source":"/s","type":"t"}\n{\n "specversion":"1.0",\n "id":""}\n' >"$TMP/seq2.json"
  expect_run 1 "$CERELAY" validate "$TMP/seq2.json"
  expect_contains "$ERR" "event 2 (line 2):"
  printf '[{"specversion":"1.0","id":"a","source":"/s","type":"t"} x' >"$TMP/b1.json"
  expect_run 1 "$CERELAY" validate "$TMP/b1.json"
  expect_contains "$ERR" "b1.json: byte 57: expected ',' or ']' after event 1"
  printf '[{"specversion":"1.0","id":"a","source":"/s","type":"t"},{"specversion":"1.0",,"id":"a"}]' >"$TMP/b2.json"
  expect_run 1 "$CERELAY" validate "$TMP/b2.json"
  expect_contains "$ERR" "b2.json: event 2: byte 78: expected a member name"
  expect_contains "$ERR" "invalid: 1 of 2 event(s)"
  printf '[{"specversion":"1.0","id":"a","source":"/s","type":"t"},]' >"$TMP/b3.json"
  expect_run 1 "$CERELAY" validate "$TMP/b3.json"
  expect_contains "$ERR" "expected an event after ','"
}

# One event's line: ~512 bytes of valid CloudEvent.
big_line() {
  printf '{"specversion":"1.0","id":"id-1","source":"/load","type":"t","datacontenttype":"application/json","data":{"pad":"%s"}}' \
    "$(head -c 400 /dev/zero | tr '\0' x)"
}

# The issue-17 case: NDJSON larger than max_event_bytes is checked line by line (it was tried
# as one event first and rejected: "event is 22450000 bytes, more than max_event_bytes").
case_large_ndjson() {
  big_line >"$TMP/one"; echo >>"$TMP/one"
  yes "$(cat "$TMP/one")" | head -n 50000 >"$TMP/big.ndjson"
  expect_run 0 "$CERELAY" validate "$TMP/big.ndjson"
  expect_eq "$OUT" "ok: 50000 event(s)"
  # the per-event limit applies per line
  expect_run 1 "$CERELAY" validate --max-bytes 64K - < <(head -n 3 "$TMP/big.ndjson";
    printf '{"specversion":"1.0","id":"b","source":"/s","type":"t","data":"%s"}\n' "$(head -c 70000 /dev/zero | tr '\0' y)";
    head -n 2 "$TMP/big.ndjson")
  expect_contains "$ERR" "event 4 (line 4): event is 70065 bytes, more than max_event_bytes (65536)"
  expect_contains "$ERR" "invalid: 1 of 6 event(s)"
  # a batch of the same size: each element is capped, not the array
  { echo '['; sed '$!s/$/,/' "$TMP/big.ndjson"; echo ']'; } >"$TMP/big.json"
  expect_run 0 "$CERELAY" validate "$TMP/big.json"
  expect_eq "$OUT" "ok: 50000 event(s)"
}

# Bounded memory: ~256 MB through a pipe costs no more resident memory than 1 MB (the limit
# leaves room for allocator noise; ASan's quarantine is kept small for this one command).
case_streaming_memory() {
  command -v /usr/bin/time >/dev/null || { fail "/usr/bin/time is missing (Debian package time)"; return; }
  big_line >"$TMP/one"; echo >>"$TMP/one"
  local line; line=$(cat "$TMP/one")
  local asan="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=1:malloc_context_size=0"
  yes "$line" | head -n 2000 | ASAN_OPTIONS=$asan /usr/bin/time -f '%M' -o "$TMP/rss.small" \
    "$CERELAY" validate -q - || fail "small input failed"
  yes "$line" | head -n 500000 | ASAN_OPTIONS=$asan /usr/bin/time -f '%M' -o "$TMP/rss.big" \
    "$CERELAY" validate - >"$TMP/out.big" || fail "big input failed"
  expect_eq "$(cat "$TMP/out.big")" "ok: 500000 event(s)"
  local small big; small=$(tail -n 1 "$TMP/rss.small"); big=$(tail -n 1 "$TMP/rss.big")
  echo "validate RSS: 1 MB input ${small} KB, 256 MB input ${big} KB" >&2
  [ "$big" -lt $((small + 16384)) ] || fail "RSS grew with the input: ${small} KB -> ${big} KB"
}

# --print streams: an event written to the pipe comes out before the writer closes it.
case_print_streams() {
  mkfifo "$TMP/in"
  "$CERELAY" validate --print - <"$TMP/in" >"$TMP/printed" 2>"$TMP/err" &
  local pid=$!
  exec 7>"$TMP/in"
  printf '{"specversion":"1.0","id":"first","source":"/s","type":"t"}\n' >&7
  local seen=0
  for _ in $(seq 1 200); do
    grep -q '"id":"first"' "$TMP/printed" 2>/dev/null && { seen=1; break; }
    sleep 0.05
  done
  [ "$seen" = 1 ] || fail "the first event was not printed while the pipe was open"
  printf '{"specversion":"1.0","id":"second","source":"/s","type":"t"}\n' >&7
  exec 7>&-
  wait "$pid" || fail "validate --print failed: $(cat "$TMP/err")"
  expect_eq "$(wc -l <"$TMP/printed")" 2
  expect_contains "$(cat "$TMP/err")" "ok: 2 event(s)"
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

# With a terminal on standard error, long work shows progress (script(1) gives a pty); without
# one, nothing but the summary.
case_progress_on_a_tty() {
  local ev='{"specversion":"1.0","id":"a","source":"/s","type":"t"}'
  printf '%s\n' "$ev" >"$TMP/one.ndjson"
  script -qec "{ cat '$TMP/one.ndjson'; sleep 1.3; cat '$TMP/one.ndjson'; } | '$CERELAY' validate -" \
    /dev/null >"$TMP/tty.out" 2>&1 </dev/null
  expect_contains "$(cat "$TMP/tty.out")" "<stdin>: 2 events, 0.0 MB"
  expect_contains "$(cat "$TMP/tty.out")" "ok: 2 event(s)"
  { cat "$TMP/one.ndjson"; sleep 1.3; cat "$TMP/one.ndjson"; } | expect_run 0 "$CERELAY" validate - 2>"$TMP/err"
  case "$(cat "$TMP/err")" in *events,*) fail "progress without a terminal" ;; esac
}

run_case "$@"
