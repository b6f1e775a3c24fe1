#!/usr/bin/env bash
# Tests for `cerelay send` (src/cli/cmd_send.c and the sinks in src/sink/).
. "$(dirname "$0")/lib.sh"
D="$(dirname "$0")/validate"
USAGE_DATA="$D/usage.json"

case_stdout_flags() {
  expect_run 0 "$CERELAY" send --stdout --type eventzr.llm.usage.v1 --source llm-orch-svc \
    --subject tenant-uuid --ext tenantid=acme --data '{"inputTokens":150,"costUsd":0.0025}'
  expect_contains "$OUT" '"type":"eventzr.llm.usage.v1"'
  expect_contains "$OUT" '"datacontenttype":"application/json"'
  expect_contains "$OUT" '"tenantid":"acme"'
  expect_contains "$OUT" '"data":{"inputTokens":150,"costUsd":0.0025}'
  [[ "$OUT" =~ \"id\":\"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\" ]] ||
    fail "id is not a UUIDv7: $OUT"
  [[ "$OUT" =~ \"time\":\"20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:.]{12}Z\" ]] || fail "no time: $OUT"
  expect_contains "$ERR" "sent 1, delivered 1, failed 0"
  printf '%s\n' "$OUT" | "$CERELAY" validate -q - || fail "output does not validate"
}

case_stdout_count_fresh_ids() {
  expect_run 0 "$CERELAY" send --stdout --type t --source /s --count 50
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 50
  expect_eq "$(printf '%s\n' "$OUT" | grep -o '"id":"[^"]*"' | sort -u | wc -l)" 50
  expect_contains "$ERR" "sent 50, delivered 50, failed 0"
}

case_data_from_file_and_text() {
  expect_run 0 "$CERELAY" send --stdout --type t --source /s --data "@$USAGE_DATA"
  expect_contains "$OUT" '"data":{"specversion":"1.0"'
  expect_run 0 "$CERELAY" send --stdout --type t --source /s --datacontenttype text/plain \
    --data 'hello "world"'
  expect_contains "$OUT" '"data":"hello \"world\""'
  expect_run 2 "$CERELAY" send --stdout --type t --source /s --data '{not json'
  expect_contains "$ERR" "data: not a JSON value"
}

case_file_inputs() {
  expect_run 1 "$CERELAY" send --stdout --file "$D/batch_mixed.json"
  expect_contains "$ERR" "sent 4, delivered 2, failed 2"
  expect_contains "$ERR" "event 2: attribute 'time': not an RFC 3339 timestamp"
  expect_run 0 "$CERELAY" send --stdout --file "$USAGE_DATA"
  expect_contains "$ERR" "sent 1, delivered 1"
  printf '%s\n' '{"specversion":"1.0","id":"1","source":"/s","type":"t"}' '' \
    '{"specversion":"1.0","id":"2","source":"/s","type":"t"}' >"$TMP/two.ndjson"
  expect_run 0 "$CERELAY" send --stdout --file - <"$TMP/two.ndjson"
  expect_contains "$ERR" "sent 2, delivered 2"
}

case_usage_errors() {
  expect_run 2 "$CERELAY" send --type t --source /s
  expect_contains "$ERR" "exactly one of"
  expect_run 2 "$CERELAY" send --stdout --http http://x --type t --source /s
  expect_run 2 "$CERELAY" send --stdout --source /s
  expect_contains "$ERR" "--type and --source are required"
  expect_run 2 "$CERELAY" send --stdout --type t --source /s --id x --count 2
  expect_run 2 "$CERELAY" send --kafka 127.0.0.1:9 --type t --source /s
  expect_contains "$ERR" "--topic is required"
  expect_run 2 "$CERELAY" send --kafka 127.0.0.1:9 --topic x --type t --source /s -X no.such.prop=1
  expect_contains "$ERR" "kafka property 'no.such.prop'"
  expect_run 2 "$CERELAY" send --kafka 127.0.0.1:9 --topic x --mode batch --type t --source /s
  expect_contains "$ERR" "--mode"
  expect_run 2 "$CERELAY" send --stdout --type t --source 'a b'
  expect_contains "$ERR" "attribute 'source'"
  expect_run 2 "$CERELAY" send --stdout --type t --source /s --ext Bad=1
  expect_contains "$ERR" "attribute name 'Bad'"
  expect_run 0 "$CERELAY" send --help
  expect_contains "$OUT" "usage: cerelay send"
}

case_http_structured() {
  start_stub 202
  expect_run 0 "$CERELAY" send --http "$STUB_URL" --type t --source /s --id one --subject 'tenant/acme'
  expect_eq "$(stub_requests)" 1
  expect_contains "$(cat "$STUB_DIR/0.headers")" "content-type: application/cloudevents+json"
  expect_contains "$(cat "$STUB_DIR/0.body")" '"id":"one"'
  expect_contains "$(cat "$STUB_DIR/0.body")" '"subject":"tenant/acme"'
}

case_http_binary_percent_encoding() {
  start_stub 200
  expect_run 0 "$CERELAY" send --http "$STUB_URL" --mode binary --type t --source /s --id one \
    --subject 'a b "c" %é' --data '{"x":1}'
  local h; h=$(cat "$STUB_DIR/0.headers")
  expect_contains "$h" "ce-subject: a%20b%20%22c%22%20%25%C3%A9"
  expect_contains "$h" "ce-id: one"
  expect_contains "$h" "content-type: application/json"
  expect_eq "$(cat "$STUB_DIR/0.body")" '{"x":1}'
}

case_http_batch() {
  start_stub 202
  expect_run 0 "$CERELAY" send --http "$STUB_URL" --mode batch --batch-size 2 --type t --source /s --count 5
  expect_eq "$(stub_requests)" 3
  expect_contains "$(cat "$STUB_DIR/0.headers")" "content-type: application/cloudevents-batch+json"
  expect_eq "$(grep -o '"specversion"' "$STUB_DIR"/*.body | wc -l)" 5
  expect_contains "$ERR" "sent 5, delivered 5, failed 0"
}

case_http_retries_then_succeeds() {
  start_stub 503,429,202 --retry-after 0
  expect_run 0 "$CERELAY" send --http "$STUB_URL" --type t --source /s
  expect_eq "$(stub_requests)" 3
  expect_contains "$ERR" "delivered 1"
}

case_http_permanent_failure() {
  start_stub 400
  expect_run 1 "$CERELAY" send --http "$STUB_URL" --type t --source /s
  expect_eq "$(stub_requests)" 1
  expect_contains "$ERR" "failed 1"
  expect_contains "$ERR" "status 400"
}

case_http_header_env() {
  start_stub 202
  EVENTS_TOKEN=s3cret expect_run 0 "$CERELAY" send --http "$STUB_URL" --type t --source /s \
    --header 'Authorization: Bearer ${EVENTS_TOKEN}'
  expect_contains "$(cat "$STUB_DIR/0.headers")" "authorization: Bearer s3cret"
  expect_run 2 env -u EVENTS_TOKEN "$CERELAY" send --http "$STUB_URL" --type t --source /s \
    --header 'Authorization: Bearer ${EVENTS_TOKEN}'
  expect_contains "$ERR" "'EVENTS_TOKEN' is not set"
}

case_unreachable_broker_fails() {
  expect_run 1 "$CERELAY" send --kafka 127.0.0.1:9 --topic t --type t --source /s \
    -X message.timeout.ms=1500 --timeout 10
  expect_contains "$ERR" "sent 1, delivered 0, failed 1"
}

# A failed delivery is reported with the sink's own reason, never "unknown error" (the sink
# codes were once passed to ce_strerror, which knows only the core's codes).
case_sink_failure_names_reason() {
  expect_run 1 "$CERELAY" send --http http://127.0.0.1:9/ --type t --source /s --timeout 2
  expect_contains "$ERR" "failed 1"
  expect_contains "$ERR" "failed: http: "
  case "$ERR" in *"unknown error"*) fail "a sink failure printed 'unknown error'" ;; esac
}

# Wait up to ~10 s for `cerelay tail --log DIR --topic T` to print an event with id ID.
seen_in_log() {
  local dir=$1 topic=$2 id=$3
  for _ in $(seq 1 200); do
    "$CERELAY" tail --log "$dir" --topic "$topic" 2>/dev/null | grep -q "\"id\":\"$id\"" && return 0
    sleep 0.05
  done
  return 1
}

# `send --file -` sends each line as it arrives: the first event is in the local log while
# the writer still holds the pipe open, and every acknowledgement is awaited at the end.
case_stream_stdin_to_log() {
  mkfifo "$TMP/in"
  "$CERELAY" send --log "$TMP/log" --topic t --file - --linger 20 <"$TMP/in" 2>"$TMP/send.err" &
  local pid=$!
  exec 7>"$TMP/in"
  printf '{"specversion":"1.0","id":"first","source":"/s","type":"t"}\n' >&7
  seen_in_log "$TMP/log" t first || fail "event 1 not in the log while the pipe is open"
  printf '{"specversion":"1.0","id":"second","source":"/s","type":"t"}\n{"specversion":"1.0"}\n' >&7
  seen_in_log "$TMP/log" t second || fail "event 2 not in the log while the pipe is open"
  kill -0 "$pid" 2>/dev/null || fail "send exited before the end of its input"
  printf '{"specversion":"1.0","id":"third","source":"/s","type":"t"}\n' >&7
  exec 7>&-
  wait "$pid"
  expect_eq "$?" 1
  local err; err=$(cat "$TMP/send.err")
  expect_contains "$err" "sent 4, delivered 3, failed 1"
  expect_contains "$err" "<stdin>: event 3 (line 3): attribute 'id': required attribute missing"
  expect_eq "$("$CERELAY" tail --log "$TMP/log" --topic t | grep -c '"id"')" 3
}

# HTTP batch mode over a pipe: a batch that is not full goes after --linger, not at EOF.
case_stream_stdin_http_batch() {
  start_stub 202
  mkfifo "$TMP/in"
  "$CERELAY" send --http "$STUB_URL" --mode batch --batch-size 100 --linger 50 --file - \
    <"$TMP/in" 2>"$TMP/send.err" &
  local pid=$!
  exec 7>"$TMP/in"
  printf '{"specversion":"1.0","id":"a","source":"/s","type":"t"}\n{"specversion":"1.0","id":"b","source":"/s","type":"t"}\n' >&7
  for _ in $(seq 1 200); do [ "$(stub_requests)" -ge 1 ] && break; sleep 0.05; done
  expect_eq "$(stub_requests)" 1
  expect_eq "$(grep -o '"specversion"' "$STUB_DIR"/0.body | wc -l)" 2
  printf '{"specversion":"1.0","id":"c","source":"/s","type":"t"}\n' >&7
  exec 7>&-
  wait "$pid" || fail "send failed: $(cat "$TMP/send.err")"
  expect_eq "$(stub_requests)" 2
  expect_contains "$(cat "$TMP/send.err")" "sent 3, delivered 3, failed 0"
}

# A file of any size streams (NDJSON larger than max_event_bytes, a batch, a sequence).
# Ctrl-C on `tail -F | cerelay send --file -`: what was read is still delivered.
case_stream_stdin_interrupt_delivers() {
  mkfifo "$TMP/in"
  "$CERELAY" send --log "$TMP/log" --topic t --file - --linger 600000 <"$TMP/in" 2>"$TMP/send.err" &
  local pid=$!
  exec 7>"$TMP/in"
  printf '{"specversion":"1.0","id":"held","source":"/s","type":"t"}\n' >&7
  # once read and submitted, the topic exists; lingering for 10 minutes, the event is not
  # appended yet
  for _ in $(seq 1 200); do
    [ -e "$TMP/log/t.topic" ] && break
    sleep 0.05
  done
  [ -e "$TMP/log/t.topic" ] || fail "the event was not submitted"
  expect_eq "$("$CERELAY" tail --log "$TMP/log" --topic t 2>&1)" ""
  kill -INT "$pid"
  wait "$pid" || fail "send exited with $? after SIGINT: $(cat "$TMP/send.err")"
  exec 7>&-
  local err; err=$(cat "$TMP/send.err")
  expect_contains "$err" "interrupted: delivering what was read"
  expect_contains "$err" "sent 1, delivered 1, failed 0"
  expect_contains "$("$CERELAY" tail --log "$TMP/log" --topic t)" '"id":"held"'
}

case_file_streams_large() {
  local line='{"specversion":"1.0","id":"x","source":"/s","type":"t","data":{"n":1}}'
  yes "$line" | head -n 30000 >"$TMP/big.ndjson"
  expect_run 0 "$CERELAY" send --log "$TMP/log" --topic big --file "$TMP/big.ndjson" -q
  expect_eq "$ERR" ""
  expect_eq "$("$CERELAY" tail --log "$TMP/log" --topic big | wc -l)" 30000
  { echo '['; sed '$!s/$/,/' "$TMP/big.ndjson"; echo ']'; } >"$TMP/big.json"
  expect_run 0 "$CERELAY" send --stdout --file "$TMP/big.json"
  expect_contains "$ERR" "sent 30000, delivered 30000, failed 0"
  expect_run 1 "$CERELAY" send --stdout --file - <<<'[{"specversion":"1.0","id":"1","source":"/s","type":"t"} x'
  expect_contains "$ERR" "<stdin>: byte 57: expected ',' or ']' after event 1"
  expect_contains "$ERR" "sent 2, delivered 1, failed 1"
}

case_file_errors() {
  expect_run 2 "$CERELAY" send --stdout --file "$TMP/nonexist.ndjson"
  expect_eq "$OUT" ""
  expect_contains "$ERR" "nonexist.ndjson: No such file or directory"
  expect_run 2 "$CERELAY" send --stdout --file - --linger x </dev/null
  expect_contains "$ERR" "--linger"
  expect_run 0 "$CERELAY" send --stdout --file - </dev/null
  expect_contains "$ERR" "sent 0, delivered 0, failed 0"
}

# The Kafka producer gets --linger as linger.ms; a line sent through a pipe reaches the topic
# before the writer closes it.
case_kafka_stream_stdin() {
  need_kafka
  local topic; topic=$(fresh_topic stream)
  mkfifo "$TMP/in"
  "$CERELAY" send --kafka "$BOOT" --topic "$topic" --linger 5 --file - <"$TMP/in" 2>"$TMP/send.err" &
  local pid=$!
  exec 7>"$TMP/in"
  printf '{"specversion":"1.0","id":"k1","source":"/s","type":"t"}\n' >&7
  local got=0
  for _ in $(seq 1 60); do
    "$CERELAY" tail --kafka "$BOOT" --topic "$topic" --count 1 -X socket.timeout.ms=2000 \
      2>/dev/null | grep -q '"id":"k1"' && { got=1; break; }
    sleep 0.25
  done
  [ "$got" = 1 ] || fail "event not in Kafka while the pipe is open"
  exec 7>&-
  wait "$pid" || fail "send failed: $(cat "$TMP/send.err")"
  expect_contains "$(cat "$TMP/send.err")" "sent 1, delivered 1, failed 0"
}

run_case "$@"
