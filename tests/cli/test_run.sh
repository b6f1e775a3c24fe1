#!/usr/bin/env bash
# Tests for the relay daemon `cerelay run` (src/relay/): ingest modes, bad input, ack modes,
# metrics, shutdown, and no loss across SIGKILL with the disk buffer.
. "$(dirname "$0")/lib.sh"
USAGE="$(dirname "$0")/validate/usage.json"
EV1='{"specversion":"1.0","id":"a1","source":"/s","type":"t.one","subject":"tenant-a"}'

log_config() { # FILE [extra yaml...]
  cat >"$1" <<YAML
binding: log
log:
  dir: $TMP/log
  fsync: never
listen:
  events: 127.0.0.1:0
  otlp: 127.0.0.1:0
ack: local
YAML
  shift
  for line in "$@"; do printf '%s\n' "$line" >>"$TMP/cfg.yaml"; done
}

count_topic() { "$CERELAY" tail --log "$TMP/log" --topic "$1" 2>/dev/null | wc -l; }

case_ingest_modes() {
  log_config "$TMP/cfg.yaml"
  start_relay "$TMP/cfg.yaml"
  post "$RELAY_URL" application/cloudevents+json "$(cat "$USAGE")"
  expect_eq "$STATUS" 202
  expect_eq "$BODY" '{"accepted":1}'
  post "$RELAY_URL" application/cloudevents-batch+json "[$EV1,${EV1/a1/a2}]"
  expect_eq "$STATUS" 202
  expect_eq "$BODY" '{"accepted":2}'
  post "$RELAY_URL" application/json '{"x":1}' -H 'ce-specversion: 1.0' -H 'ce-id: b1' \
    -H 'ce-source: /s' -H 'ce-type: t.bin' -H 'ce-subject: tenant%2Fa%20b'
  expect_eq "$STATUS" 202
  expect_eq "$(count_topic eventzr.llm.usage.v1)" 1
  expect_eq "$(count_topic t.one)" 2
  "$CERELAY" tail --log "$TMP/log" --topic t.bin >"$TMP/bin.out"
  expect_contains "$(cat "$TMP/bin.out")" '"subject":"tenant/a b"'
  expect_contains "$(cat "$TMP/bin.out")" '"data":{"x":1}'
  stop_relay
}

case_bad_input_rejected_and_nothing_forwarded() {
  log_config "$TMP/cfg.yaml"
  cat >>"$TMP/cfg.yaml" <<YAML
limits:
  max_body_bytes: 4KiB
  max_event_bytes: 4KiB
YAML
  start_relay "$TMP/cfg.yaml"
  post "$RELAY_URL" application/cloudevents+json '{"specversion":"1.0","id":"x",'
  expect_eq "$STATUS" 400
  expect_contains "$BODY" '"type":"urn:cerelay:problem:malformed"'
  expect_contains "$BODY" 'byte'
  post "$RELAY_URL" application/cloudevents-batch+json \
    "[$EV1,{\"specversion\":\"1.0\",\"id\":\"z\",\"source\":\"/s\",\"type\":\"t.one\",\"time\":\"noon\"}]"
  expect_eq "$STATUS" 400
  expect_contains "$BODY" '"errors":[{"index":1,"detail":"attribute '"'"'time'"'"': not an RFC 3339 timestamp"}]'
  post "$RELAY_URL" text/plain 'hello'
  expect_eq "$STATUS" 415
  post "$RELAY_URL" application/cloudevents+json "{\"specversion\":\"1.0\",\"id\":\"big\",\"source\":\"/s\",\"type\":\"t.one\",\"data\":\"$(head -c 6000 /dev/zero | tr '\0' a)\"}"
  expect_eq "$STATUS" 413
  expect_contains "$BODY" "max_body_bytes"
  post "$RELAY_URL" application/json '{}' -H 'ce-specversion: 1.0' -H 'ce-id: 1' \
    -H 'ce-source: /s' -H 'ce-type: t.one' -H 'ce-subject: bad%ZZescape'
  expect_eq "$STATUS" 400
  expect_contains "$BODY" "ce-subject"
  post "$RELAY_URL" application/json '{}' -H 'ce-specversion: 1.0' -H 'ce-id: 1' \
    -H 'ce-source: /s' -H $'ce-type: t.\xff'
  expect_eq "$STATUS" 400
  STATUS=$(curl -s -o /dev/null -w '%{http_code}' "$RELAY_URL")
  expect_eq "$STATUS" 405
  STATUS=$(curl -s -o /dev/null -w '%{http_code}' "$RELAY_BASE/nope")
  expect_eq "$STATUS" 404
  # nothing was forwarded, and the daemon is healthy
  expect_eq "$(count_topic t.one)" 0
  STATUS=$(curl -s -o /dev/null -w '%{http_code}' "$RELAY_BASE/healthz")
  expect_eq "$STATUS" 200
  post "$RELAY_URL" application/cloudevents+json "$EV1"
  expect_eq "$STATUS" 202
  curl -s "$RELAY_BASE/metrics" >"$TMP/metrics"
  expect_contains "$(cat "$TMP/metrics")" 'cerelay_requests_rejected_total{reason="too_large"} 1'
  expect_contains "$(cat "$TMP/metrics")" 'cerelay_requests_rejected_total{reason="media_type"} 1'
  expect_contains "$(cat "$TMP/metrics")" 'cerelay_requests_rejected_total{reason="invalid"} 1'
  expect_contains "$(cat "$TMP/metrics")" 'cerelay_events_accepted_total 1'
  stop_relay
}

case_bearer_auth() {
  log_config "$TMP/cfg.yaml"
  cat >>"$TMP/cfg.yaml" <<YAML
  auth:
    bearer_tokens: ["\${RELAY_TOKEN}"]
YAML
  # the auth block belongs under listen: rewrite the file in order
  sed -i '/^ack: local$/d' "$TMP/cfg.yaml"; echo "ack: local" >>"$TMP/cfg.yaml"
  RELAY_TOKEN=s3cret start_relay "$TMP/cfg.yaml"
  post "$RELAY_URL" application/cloudevents+json "$EV1"
  expect_eq "$STATUS" 401
  post "$RELAY_URL" application/cloudevents+json "$EV1" -H 'Authorization: Bearer wrong'
  expect_eq "$STATUS" 401
  post "$RELAY_URL" application/cloudevents+json "$EV1" -H 'Authorization: Bearer s3cret'
  expect_eq "$STATUS" 202
  stop_relay
  if grep -q s3cret "$TMP/relay.err"; then fail "the token appears in the logs"; fi
}

case_unreachable_broker_ack_remote_is_an_error() {
  cat >"$TMP/cfg.yaml" <<YAML
binding: kafka
kafka:
  brokers: [127.0.0.1:9]
  topic: t
listen:
  events: 127.0.0.1:0
  otlp: ""
ack: remote
buffer:
  type: memory
shutdown:
  drain_timeout: 1s
YAML
  start_relay "$TMP/cfg.yaml" --ack-timeout 1500
  post "$RELAY_URL" application/cloudevents+json "$EV1"
  expect_eq "$STATUS" 504
  expect_contains "$BODY" "ack-timeout"
  stop_relay
}

case_sigterm_drains() {
  log_config "$TMP/cfg.yaml"
  start_relay "$TMP/cfg.yaml"
  for i in $(seq 1 20); do post "$RELAY_URL" application/cloudevents+json "${EV1/a1/d$i}"; done
  stop_relay
  expect_contains "$(cat "$TMP/relay.err")" "stopped"
  expect_eq "$(count_topic t.one)" 20
}

case_help() {
  expect_run 0 "$CERELAY" run --help
  expect_contains "$OUT" "usage: cerelay run"
  expect_run 2 "$CERELAY" run -c "$TMP/missing.yaml"
  expect_run 2 "$CERELAY" run --ack-timeout x
}

case_kafka_ack_remote_end_to_end() {
  need_kafka
  T=$(fresh_topic relay)
  cat >"$TMP/cfg.yaml" <<YAML
binding: kafka
kafka:
  brokers: [$BOOT]
  topic: "$T.{type}"
listen:
  events: 127.0.0.1:0
  otlp: ""
ack: remote
buffer:
  type: memory
routes:
  - match: "eventzr.llm.*"
    key: "{tenantid}"
YAML
  start_relay "$TMP/cfg.yaml"
  post "$RELAY_URL" application/cloudevents+json "$(sed 's/"subject"/"tenantid": "acme", "subject"/' "$USAGE")"
  expect_eq "$STATUS" 202
  post "$RELAY_URL" application/cloudevents-batch+json "[$EV1,${EV1/a1/a2}]"
  expect_eq "$STATUS" 202
  post "$RELAY_URL" application/json '{"x":1}' -H 'ce-specversion: 1.0' -H 'ce-id: b1' \
    -H 'ce-source: /s' -H 'ce-type: t.one' -H 'ce-subject: tenant-b'
  expect_eq "$STATUS" 202
  stop_relay
  expect_run 0 "$CERELAY" tail --kafka "$BOOT" --topic "$T.eventzr.llm.usage.v1" --format pretty
  expect_contains "$OUT" "key=acme"
  expect_run 0 "$CERELAY" tail --kafka "$BOOT" --topic "$T.t.one"
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 3
  expect_contains "$OUT" '"id":"b1"'
  expect_contains "$OUT" '"data":{"x":1}'
}

case_tls_listener() {
  openssl req -x509 -newkey rsa:2048 -nodes -keyout "$TMP/key.pem" -out "$TMP/cert.pem" \
    -days 1 -subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 >/dev/null 2>&1 ||
    { fail "openssl could not make a certificate"; return; }
  log_config "$TMP/cfg.yaml"
  sed -i "s|^  otlp: 127.0.0.1:0|  otlp: \"\"\n  tls:\n    cert: $TMP/cert.pem\n    key: $TMP/key.pem|" "$TMP/cfg.yaml"
  start_relay "$TMP/cfg.yaml"
  url=${RELAY_URL/http:/https:}
  code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$TMP/cert.pem" -X POST "$url" \
    -H 'Content-Type: application/cloudevents+json' --data-binary "$EV1")
  expect_eq "$code" 202
  # without trusting the certificate the client refuses to talk
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$url" \
    -H 'Content-Type: application/cloudevents+json' --data-binary "$EV1")
  expect_eq "$code" 000
  stop_relay
  expect_eq "$(count_topic t.one)" 1
}

# Every event that got a 2xx under ack: local is in Kafka after a SIGKILL and a restart.
case_kafka_sigkill_ack_local_loses_nothing() {
  need_kafka
  T=$(fresh_topic kill)
  cat >"$TMP/cfg.yaml" <<YAML
binding: kafka
kafka:
  brokers: [$BOOT]
  topic: "$T"
listen:
  events: 127.0.0.1:0
  otlp: ""
ack: local
buffer:
  type: disk
  dir: $TMP/buffer
YAML
  start_relay "$TMP/cfg.yaml"
  : >"$TMP/acked"
  ( for i in $(seq 1 400); do
      code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$RELAY_URL" \
        -H 'Content-Type: application/cloudevents+json' --data-binary "${EV1/a1/k$i}")
      [ "$code" = 202 ] && echo "k$i" >>"$TMP/acked"
    done ) &
  loader=$!
  sleep 1.5
  kill -9 "$RELAY_PID"
  wait "$loader"
  n=$(wc -l <"$TMP/acked")
  [ "$n" -gt 0 ] || fail "no request was acknowledged before the kill"
  start_relay "$TMP/cfg.yaml"
  sleep 3
  stop_relay
  "$CERELAY" tail --kafka "$BOOT" --topic "$T" >"$TMP/got"
  while read -r id; do
    grep -q "\"id\":\"$id\"" "$TMP/got" || fail "acknowledged event $id is not in Kafka"
  done <"$TMP/acked"
  echo "acknowledged $n, in Kafka $(wc -l <"$TMP/got")" >&2
}

OTLP="$(dirname "$0")/../otlp/golden"

case_otlp_json_and_protobuf_to_log() {
  log_config "$TMP/cfg.yaml"
  start_relay "$TMP/cfg.yaml"
  base=${RELAY_OTLP%/v1/logs}
  # OTLP/JSON trace with GenAI attributes -> eventzr.llm.usage.v1
  code=$(curl -s -o "$TMP/resp" -w '%{http_code}' -X POST "$base/v1/traces" \
    -H 'Content-Type: application/json' --data-binary "@$OTLP/trace_example.json")
  expect_eq "$code" 200
  expect_contains "$(cat "$TMP/resp")" '{'
  # protobuf traces and gzipped protobuf logs captured from the OpenTelemetry Python SDK
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/v1/traces" \
    -H 'Content-Type: application/x-protobuf' --data-binary "@$OTLP/py_traces.pb")
  expect_eq "$code" 200
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/v1/logs" \
    -H 'Content-Type: application/x-protobuf' -H 'Content-Encoding: gzip' \
    --data-binary "@$OTLP/py_logs.pb.gz")
  expect_eq "$code" 200
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/v1/logs" \
    -H 'Content-Type: application/json' --data-binary "@$OTLP/logs_example.json")
  expect_eq "$code" 200
  # a truncated protobuf body is a 400 and nothing else changes
  head -c 37 "$OTLP/py_traces.pb" >"$TMP/trunc.pb"
  code=$(curl -s -o "$TMP/resp" -w '%{http_code}' -X POST "$base/v1/traces" \
    -H 'Content-Type: application/x-protobuf' --data-binary "@$TMP/trunc.pb")
  expect_eq "$code" 400
  expect_contains "$(cat "$TMP/resp")" "truncated"
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/v1/logs" -H 'Content-Type: text/plain' -d x)
  expect_eq "$code" 415
  stop_relay
  expect_run 0 "$CERELAY" tail --log "$TMP/log" --topic eventzr.llm.usage.v1
  expect_contains "$OUT" '"inputTokens":150'
  expect_contains "$OUT" '"outputTokens":350'
  expect_contains "$OUT" '"latencyMs":1250'
  [ "$(printf '%s\n' "$OUT" | wc -l)" -ge 2 ] || fail "expected usage events from JSON and protobuf"
}

case_kafka_otlp_end_to_end() {
  need_kafka
  T=$(fresh_topic otlp)
  cat >"$TMP/cfg.yaml" <<YAML
binding: kafka
kafka:
  brokers: [$BOOT]
  topic: "$T.{type}"
listen:
  events: ""
  otlp: 127.0.0.1:0
ack: remote
buffer:
  type: memory
YAML
  start_relay "$TMP/cfg.yaml"
  base=${RELAY_OTLP%/v1/logs}
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/v1/traces" \
    -H 'Content-Type: application/x-protobuf' --data-binary "@$OTLP/py_traces.pb")
  expect_eq "$code" 200
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/v1/traces" \
    -H 'Content-Type: application/json' --data-binary "@$OTLP/trace_example.json")
  expect_eq "$code" 200
  stop_relay
  expect_run 0 "$CERELAY" tail --kafka "$BOOT" --topic "$T.eventzr.llm.usage.v1"
  expect_contains "$OUT" '"provider":"aws-bedrock"'
  [ "$(printf '%s\n' "$OUT" | wc -l)" -ge 2 ] || fail "expected usage events from both encodings"
}

case_reload_under_load_loses_nothing() {
  log_config "$TMP/cfg.yaml"
  cp "$TMP/cfg.yaml" "$TMP/base.yaml"
  printf 'routes:\n  - match: "t.*"\n    topic: before\n' >>"$TMP/cfg.yaml"
  start_relay "$TMP/cfg.yaml"
  : >"$TMP/acked"
  ( for i in $(seq 1 300); do
      code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$RELAY_URL" \
        -H 'Content-Type: application/cloudevents+json' --data-binary "${EV1/a1/r$i}")
      [ "$code" = 202 ] && echo "r$i" >>"$TMP/acked"
    done ) &
  loader=$!
  sleep 0.5
  # a bad file is refused and the relay keeps serving
  echo "routes: [oops" >"$TMP/cfg.yaml"
  kill -HUP "$RELAY_PID"
  sleep 0.3
  cp "$TMP/base.yaml" "$TMP/cfg.yaml"
  printf 'routes:\n  - match: "t.*"\n    topic: after\n' >>"$TMP/cfg.yaml"
  kill -HUP "$RELAY_PID"
  wait "$loader"
  post "$RELAY_URL" application/cloudevents+json "${EV1/a1/last}"
  expect_eq "$STATUS" 202
  stop_relay
  expect_contains "$(cat "$TMP/relay.err")" "SIGHUP: kept the running configuration"
  expect_contains "$(cat "$TMP/relay.err")" "SIGHUP: reloaded"
  echo last >>"$TMP/acked"
  "$CERELAY" tail --log "$TMP/log" --topic before >"$TMP/got" 2>/dev/null
  "$CERELAY" tail --log "$TMP/log" --topic after >>"$TMP/got"
  expect_eq "$(wc -l <"$TMP/acked")" 301
  while read -r id; do
    grep -q "\"id\":\"$id\"" "$TMP/got" || fail "acknowledged event $id was lost across the reload"
  done <"$TMP/acked"
  grep -q '"id":"last"' <("$CERELAY" tail --log "$TMP/log" --topic after) ||
    fail "the reloaded route was not applied"
}

case_governance_mask_and_deny() {
  log_config "$TMP/cfg.yaml"
  cat >>"$TMP/cfg.yaml" <<YAML
policy:
  default: allow
  rules:
    - name: no-debug
      action: deny
      when: "type LIKE '%.debug'"
masking:
  key: "\${MASK_KEY}"
  rules:
    - name: user-id
      path: /data/userId
      action: hash
YAML
  MASK_KEY=k3y start_relay "$TMP/cfg.yaml"
  post "$RELAY_URL" application/cloudevents+json \
    '{"specversion":"1.0","id":"g1","source":"/s","type":"app.usage","subject":"tenant-a","data":{"userId":"alice-7731","note":"mail bob@example.com","gen_ai.input.messages":[{"role":"user","content":"secret plan"}]}}'
  expect_eq "$STATUS" 202
  post "$RELAY_URL" application/cloudevents-batch+json \
    '[{"specversion":"1.0","id":"g2","source":"/s","type":"app.debug"},{"specversion":"1.0","id":"g3","source":"/s","type":"app.usage"}]'
  expect_eq "$STATUS" 202
  expect_eq "$BODY" '{"accepted":1,"denied":1}'
  curl -s "$RELAY_BASE/metrics" >"$TMP/metrics"
  stop_relay
  "$CERELAY" tail --log "$TMP/log" --topic app.usage >"$TMP/out"
  expect_eq "$(wc -l <"$TMP/out")" 2
  expect_contains "$(cat "$TMP/out")" '"id":"g1"'
  expect_contains "$(cat "$TMP/out")" '[REDACTED:email]'
  for secret in alice-7731 bob@example.com "secret plan"; do
    grep -q "$secret" "$TMP/out" && fail "'$secret' reached the destination"
    grep -q "$secret" "$TMP/relay.err" && fail "'$secret' is in the relay's log"
    grep -q "$secret" "$TMP/metrics" && fail "'$secret' is in the metrics"
  done
  [ -d "$TMP/log/app.debug-0" ] && fail "a denied event reached the log"
  expect_contains "$(cat "$TMP/metrics")" 'cerelay_policy_decisions_total{rule="no-debug",verdict="deny"} 1'
  expect_contains "$(cat "$TMP/metrics")" 'cerelay_mask_rule_hits_total{rule="user-id"} 1'
  expect_contains "$(cat "$TMP/metrics")" 'cerelay_mask_detections_total{detector="email"} 1'
}

case_kafka_governance_end_to_end() {
  need_kafka
  T=$(fresh_topic gov)
  cat >"$TMP/cfg.yaml" <<YAML
binding: kafka
kafka:
  brokers: [$BOOT]
  topic: "$T.{type}"
listen:
  events: 127.0.0.1:0
  otlp: ""
ack: remote
buffer:
  type: memory
policy:
  default: deny
  rules:
    - name: llm-only
      action: allow
      when: "type LIKE 'eventzr.llm.%'"
YAML
  start_relay "$TMP/cfg.yaml"
  post "$RELAY_URL" application/cloudevents-batch+json \
    '[{"specversion":"1.0","id":"k1","source":"/s","type":"eventzr.llm.usage.v1","subject":"t","data":{"contact":"carol@example.org","phone":"+1 415 555 0100"}},{"specversion":"1.0","id":"k2","source":"/s","type":"io.coresdk.error","subject":"t"}]'
  expect_eq "$STATUS" 202
  expect_eq "$BODY" '{"accepted":1,"denied":1}'
  stop_relay
  expect_run 0 "$CERELAY" tail --kafka "$BOOT" --topic "$T.eventzr.llm.usage.v1"
  expect_contains "$OUT" '"id":"k1"'
  case "$OUT" in *carol@example.org*|*"555 0100"*) fail "PII reached Kafka: $OUT" ;; esac
  expect_run 2 "$CERELAY" tail --kafka "$BOOT" --topic "$T.io.coresdk.error"
}

case_catalog_enforce_warn_and_cost() {
  log_config "$TMP/cfg.yaml"
  cat >>"$TMP/cfg.yaml" <<YAML
catalog:
  mode: warn
  types:
    eventzr.llm.usage.v1: enforce
  prices: $CER_ROOT/catalog/prices.json
YAML
  start_relay "$TMP/cfg.yaml"
  # no costUsd: filled from the price table; valid otherwise
  post "$RELAY_URL" application/cloudevents+json "$(sed 's/"costUsd": 0.0025,//' "$USAGE")"
  expect_eq "$STATUS" 202
  # enforce: a negative token count rejects the request, naming the field
  post "$RELAY_URL" application/cloudevents+json "$(sed 's/"inputTokens": 150/"inputTokens": -5/' "$USAGE")"
  expect_eq "$STATUS" 400
  expect_contains "$BODY" "inputTokens"
  # warn: a quota.low event missing its fields is delivered and counted
  post "$RELAY_URL" application/cloudevents+json \
    '{"specversion":"1.0","id":"q1","source":"llm-orch-svc","type":"eventzr.llm.quota.low.v1","subject":"tenant-uuid","datacontenttype":"application/json","data":{"tenantId":"tenant-uuid"}}'
  expect_eq "$STATUS" 202
  curl -s "$RELAY_BASE/metrics" >"$TMP/metrics"
  stop_relay
  expect_contains "$(cat "$TMP/metrics")" 'cerelay_catalog_events_total{verdict="warned"} 1'
  expect_contains "$(cat "$TMP/metrics")" 'cerelay_catalog_events_total{verdict="rejected"} 1'
  expect_contains "$(cat "$TMP/metrics")" 'cerelay_catalog_cost_filled_total 1'
  expect_contains "$(cat "$TMP/relay.err")" "eventzr.llm.quota.low.v1 breaks its schema"
  expect_run 0 "$CERELAY" tail --log "$TMP/log" --topic eventzr.llm.usage.v1
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 1
  expect_contains "$OUT" '"costUsd":'
  expect_eq "$(count_topic eventzr.llm.quota.low.v1)" 1
}

case_json_logs_and_readiness() {
  log_config "$TMP/cfg.yaml"
  printf 'logging:\n  format: json\n  level: info\n' >>"$TMP/cfg.yaml"
  start_relay "$TMP/cfg.yaml"
  STATUS=$(curl -s -o "$TMP/ready" -w '%{http_code}' "$RELAY_BASE/readyz")
  expect_eq "$STATUS" 200
  expect_contains "$(cat "$TMP/ready")" '"status":"ready"'
  post "$RELAY_URL" text/plain 'x'
  stop_relay
  while read -r line; do
    case "$line" in
      '{"time":"'*'","level":"'*'","msg":"'*'"}') ;;
      *) fail "not a JSON log line: $line" ;;
    esac
  done <"$TMP/relay.err"
  expect_contains "$(cat "$TMP/relay.err")" '"msg":"ready: CloudEvents on'
  expect_contains "$(cat "$TMP/relay.err")" '415 Unsupported media type'
}

# Issue 11: limits are enforced where bytes enter, and every refusal is problem+json.
case_limits_enforced_at_ingest() {
  log_config "$TMP/cfg.yaml" "limits:" "  max_event_bytes: 64KiB" "  max_batch_events: 3" \
    "http:" "  batch_size: 3"
  start_relay "$TMP/cfg.yaml"
  big=$(head -c 100000 /dev/zero | tr '\0' a)
  post "$RELAY_URL" application/cloudevents+json \
    "{\"specversion\":\"1.0\",\"id\":\"b\",\"source\":\"/s\",\"type\":\"t.big\",\"data\":\"$big\"}"
  expect_eq "$STATUS" 413
  expect_contains "$BODY" '"type":"urn:cerelay:problem:too-large"'
  expect_contains "$BODY" '"errors":[{"index":0,'
  post "$RELAY_URL" application/cloudevents-batch+json "[$EV1,$EV1,$EV1,$EV1]"
  expect_eq "$STATUS" 413
  expect_contains "$BODY" 'max_batch_events'
  post "$RELAY_URL" application/cloudevents+json '{"specversion":"1.0","id":"x","type":"t"}'
  expect_eq "$STATUS" 400
  expect_contains "$BODY" '"type":"urn:cerelay:problem:invalid-event"'
  expect_contains "$BODY" '"errors":[{"index":0,'
  hdr=$(head -c 70000 /dev/zero | tr '\0' h)
  STATUS=$(curl -s -o "$TMP/h.out" -D "$TMP/h.head" -w '%{http_code}' -X POST "$RELAY_URL" \
    -H "Content-Type: application/cloudevents+json" -H "X-Big: $hdr" --data-binary "$EV1")
  expect_eq "$STATUS" 431
  expect_contains "$(cat "$TMP/h.head")" 'application/problem+json'
  expect_contains "$(cat "$TMP/h.out")" 'urn:cerelay:problem:header-too-large'
  post "$RELAY_URL" application/cloudevents+json "$EV1"
  expect_eq "$STATUS" 202
  curl -s "$RELAY_BASE/metrics" >"$TMP/metrics"
  stop_relay
  expect_contains "$(cat "$TMP/metrics")" 'cerelay_requests_rejected_total{reason="too_large"} 2'
  expect_contains "$(cat "$TMP/metrics")" 'cerelay_requests_rejected_total{reason="invalid"} 1'
  expect_contains "$(cat "$TMP/metrics")" 'cerelay_requests_rejected_total{reason="header_too_large"} 1'
  # nothing refused reached the log; what was accepted reads back
  expect_run 0 "$CERELAY" tail --log "$TMP/log" --topic t.one
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 1
  [ ! -e "$TMP/log/t.big-0" ] || fail "the refused event reached the log"
}

run_case "$@"
