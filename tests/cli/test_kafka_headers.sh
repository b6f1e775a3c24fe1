#!/usr/bin/env bash
# Kafka record headers (issue 16): static and per-event (template) headers from `cerelay send
# --kafka-header`, the relay's kafka.headers / kafka.header_templates and, under the relay, the
# emitter's kafka.header.<Name>, in binary and structured mode; read back from the real broker
# by a confluent_kafka consumer (tests/cli/kafka_headers.py).
. "$(dirname "$0")/lib.sh"
ROOT=${CER_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3 # Debian's python3-confluent-kafka

consume() { # TOPIC COUNT -> $OUT, one JSON line per record
  expect_run 0 "$PY" "$ROOT/tests/cli/kafka_headers.py" "$BOOT" "$1" "$2"
}
line_of() { printf '%s\n' "$OUT" | grep -F "\"id\": \"$1\""; }

EV_T='{"specversion":"1.0","id":"with-tenant","source":"/s","type":"t.hdr","tenantid":"acme","data":{}}'
EV_N='{"specversion":"1.0","id":"no-tenant","source":"/s","type":"t.hdr","data":{}}'

case_kafka_send_headers_both_modes() {
  need_kafka
  for mode in binary structured; do
    T=$(fresh_topic "hdr-$mode")
    printf '%s\n%s\n' "$EV_T" "$EV_N" >"$TMP/ev.ndjson"
    expect_run 0 "$CERELAY" send --kafka "$BOOT" --topic "$T" --mode "$mode" \
      --kafka-header 'x-static: fixed value' --kafka-header 'x-tenant: tenant-{tenantid}' \
      --kafka-header 'x-brace: {{literal}}' --file "$TMP/ev.ndjson"
    consume "$T" 2
    a=$(line_of with-tenant) b=$(line_of no-tenant)
    expect_contains "$a" '"x-static": "fixed value"'
    expect_contains "$a" '"x-tenant": "tenant-acme"'
    expect_contains "$a" '"x-brace": "{literal}"'
    expect_contains "$b" '"x-static": "fixed value"'
    case "$b" in *x-tenant*) fail "$mode: x-tenant set on an event without tenantid" ;; esac
    if [ "$mode" = binary ]; then
      expect_contains "$a" '"ce_type": "t.hdr"'
    else
      expect_contains "$a" '"content-type": "application/cloudevents+json'
    fi
  done
}

case_send_header_usage_errors() {
  expect_run 2 "$CERELAY" send --stdout --kafka-header 'x: y' --type t --source /s
  expect_contains "$ERR" "--kafka-header needs --kafka"
  expect_run 2 "$CERELAY" send --kafka 127.0.0.1:1 --topic t --kafka-header 'novalue' \
    --type t --source /s
  expect_contains "$ERR" "--kafka-header: expected 'Name: value'"
  expect_run 2 "$CERELAY" send --kafka 127.0.0.1:1 --topic t --kafka-header 'ce_type: x' \
    --type t --source /s
  expect_contains "$ERR" "ce_* and content-type are the CloudEvents binding's own"
  expect_run 2 "$CERELAY" send --kafka 127.0.0.1:1 --topic t --kafka-header 'x: {open' \
    --type t --source /s
  expect_contains "$ERR" "header 'x': template '{open'"
}

case_config_header_keys_checked() {
  printf 'kafka:\n  headers:\n    ce_type: x\n  header_templates:\n    x-t: "{open"\n' \
    >"$TMP/bad.yaml"
  expect_run 1 "$CERELAY" config check -c "$TMP/bad.yaml"
  expect_contains "$ERR" "key 'kafka.headers.ce_type'"
  expect_contains "$ERR" "ce_* and content-type are the CloudEvents binding's own headers"
  expect_contains "$ERR" "key 'kafka.header_templates.x-t'"
}

case_kafka_relay_headers_both_modes() {
  need_kafka
  export HDR_TOKEN='tok{en}'
  for mode in binary structured; do
    T=$(fresh_topic "relay-hdr-$mode")
    cat >"$TMP/cfg.yaml" <<YAML
binding: kafka
kafka:
  brokers: [$BOOT]
  topic: "$T"
  mode: $mode
  headers:
    x-origin: cerelay
    x-token: \${HDR_TOKEN}
  header_templates:
    x-tenant: "{tenantid}"
    x-type-subject: "{type}/{subject}"
listen:
  events: 127.0.0.1:0
  otlp: 127.0.0.1:0
ack: remote
buffer:
  type: memory
YAML
    start_relay "$TMP/cfg.yaml"
    post "$RELAY_URL" application/cloudevents+json \
      '{"specversion":"1.0","id":"r1","source":"/s","type":"t.hdr","subject":"sub-1","tenantid":"globex","data":{}}'
    expect_eq "$STATUS" 202
    post "$RELAY_URL" application/cloudevents+json "$EV_N"
    expect_eq "$STATUS" 202
    stop_relay
    consume "$T" 2
    a=$(line_of r1) b=$(line_of no-tenant)
    expect_contains "$a" '"x-origin": "cerelay"'
    expect_contains "$a" '"x-token": "tok{en}"' # a static value is taken literally
    expect_contains "$a" '"x-tenant": "globex"'
    expect_contains "$a" '"x-type-subject": "t.hdr/sub-1"'
    expect_contains "$b" '"x-origin": "cerelay"'
    case "$b" in *x-tenant* | *x-type-subject*) fail "$mode: template header without its attribute" ;; esac
  done
}

run_case "$@"
