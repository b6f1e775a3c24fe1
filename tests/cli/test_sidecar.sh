#!/usr/bin/env bash
# The CoreSDK sidecar layout (seed 002's coresdk-sidecar.yaml; src/relay/sidecar.c): `config
# check` and `run` read it, `config convert` prints it as a native cerelay.yaml. The files are
# tests/relay/golden/coresdk-sidecar*.yaml (origin: tests/relay/golden/SIDECAR.md).
. "$(dirname "$0")/lib.sh"
ROOT=${CER_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
G="$ROOT/tests/relay/golden"

case_check_accepts_the_seed_files() {
  export KAFKA_USERNAME=u KAFKA_PASSWORD=p EVENTS_TOKEN=tok
  for f in coresdk-sidecar.yaml coresdk-sidecar-http.yaml coresdk-sidecar-egress.yaml; do
    expect_run 0 "$CERELAY" config check -c "$G/$f"
    expect_eq "$OUT" "ok: $G/$f"
  done
  expect_run 0 "$CERELAY" config check --print -c "$G/coresdk-sidecar.yaml"
  expect_contains "$OUT" 'source: "https://orders.acme.com"'
  expect_contains "$OUT" 'binding: kafka'
  expect_contains "$OUT" '    - "kafka-2.acme.internal:9092"'
  expect_contains "$OUT" '  topic: "coresdk-events"'
  expect_contains "$OUT" $'  tls:\n    ca: null'
  expect_contains "$OUT" '    mechanism: SCRAM-SHA-512'
  expect_contains "$OUT" '    password: "<redacted>"'
  expect_run 0 "$CERELAY" config check --print -c "$G/coresdk-sidecar-http.yaml"
  expect_contains "$OUT" 'binding: http'
  expect_contains "$OUT" '  endpoint: "https://events.acme.internal/ingest"'
  expect_contains "$OUT" '  batch_size: 50'
  expect_contains "$OUT" '  flush_interval: 5s'
  expect_contains "$OUT" '"Authorization": "<redacted>"'
  # the OPA URL comes from CER_OPA_URL (default http://127.0.0.1:8181)
  expect_run 0 "$CERELAY" config check --print -c "$G/coresdk-sidecar-egress.yaml"
  expect_contains "$OUT" '    url: "http://127.0.0.1:8181"'
  expect_contains "$OUT" '    path: "acme/cloudevents-egress"'
  CER_OPA_URL=http://opa.acme.internal:8181 expect_run 0 "$CERELAY" config check --print \
    -c "$G/coresdk-sidecar-egress.yaml"
  expect_contains "$OUT" '    url: "http://opa.acme.internal:8181"'
}

case_convert_prints_a_native_config() {
  expect_run 0 "$CERELAY" config convert "$G/coresdk-sidecar.yaml"
  expect_contains "$OUT" '# tenant: acme'
  expect_contains "$OUT" '# otel.endpoint: http://localhost:4317'
  expect_contains "$OUT" '  otlp_grpc: "localhost:4317"'
  expect_contains "$OUT" 'source: "https://orders.acme.com"'
  expect_contains "$OUT" 'username: "${KAFKA_USERNAME}"'
  case "$OUT" in *cloud_events*) fail "convert kept a sidecar key" ;; esac
  printf '%s\n' "$OUT" >"$TMP/native.yaml"
  # the native file means the same: the effective configurations are identical
  export KAFKA_USERNAME=u KAFKA_PASSWORD=p
  expect_run 0 "$CERELAY" config check --print -c "$TMP/native.yaml"
  native=$OUT
  expect_run 0 "$CERELAY" config check --print -c "$G/coresdk-sidecar.yaml"
  expect_eq "$native" "$OUT"
  expect_run 0 "$CERELAY" config convert "$G/coresdk-sidecar-egress.yaml"
  expect_contains "$OUT" 'url: "${CER_OPA_URL:-http://127.0.0.1:8181}"'
  # a native file is not converted
  expect_run 1 "$CERELAY" config convert "$ROOT/examples/cerelay.yaml"
  expect_contains "$ERR" "not in the sidecar layout"
}

case_errors_point_into_the_sidecar_file() {
  printf 'tenant: acme\ncloud_events:\n  enabled: maybe\n  sorce: x\n' >"$TMP/bad.yaml"
  expect_run 1 "$CERELAY" config check -c "$TMP/bad.yaml"
  expect_contains "$ERR" "bad.yaml:3:12: key 'cloud_events.enabled': expected true or false"
  expect_contains "$ERR" "bad.yaml:4:3: unknown key 'cloud_events.sorce' in the sidecar layout (did you mean 'cloud_events.source'?)"
  printf 'tenant: acme\ncloud_events:\n  kafka:\n    topik: t\n' >"$TMP/bad2.yaml"
  expect_run 1 "$CERELAY" config check -c "$TMP/bad2.yaml"
  expect_contains "$ERR" "bad2.yaml:4:5: unknown key 'kafka.topik' (did you mean 'kafka.topic'?)"
  printf 'source: a\ncloud_events:\n  source: b\n' >"$TMP/twice.yaml"
  expect_run 1 "$CERELAY" config check -c "$TMP/twice.yaml"
  expect_contains "$ERR" "key 'source': set twice (natively and by sidecar key 'cloud_events.source')"
  # enabled: false exports nothing
  printf 'cloud_events:\n  enabled: false\n' >"$TMP/off.yaml"
  expect_run 0 "$CERELAY" config check --print -c "$TMP/off.yaml"
  expect_contains "$OUT" $'policy:\n  default: deny'
}

# The seed's file as it is, its brokers pointed at the test broker's SCRAM-SHA-512 listener
# (which speaks no TLS, so `tls: true` is the one line dropped), delivers an event that
# `cerelay tail --kafka` reads back.
case_kafka_seed_file_runs_and_delivers() {
  need_kafka
  SCRAM=${CER_KAFKA_SCRAM_BOOTSTRAP:-127.0.0.1:9095}
  export KAFKA_USERNAME=${CER_KAFKA_SCRAM_USER:-cerelay}
  export KAFKA_PASSWORD=${CER_KAFKA_SCRAM_PASSWORD:-cerelay-secret}
  sed -e "s/kafka-1.acme.internal:9092/$SCRAM/" -e '/kafka-2.acme.internal/d' \
    -e '/^    tls: true$/d' "$G/coresdk-sidecar.yaml" >"$TMP/sidecar.yaml"
  cat >>"$TMP/sidecar.yaml" <<YAML
listen:
  events: 127.0.0.1:0
  otlp: 127.0.0.1:0
  otlp_grpc: ""
ack: remote
buffer:
  type: memory
YAML
  cd "$TMP" || exit 1
  start_relay "$TMP/sidecar.yaml"
  id="sidecar-$$-$(date +%s%N)"
  post "$RELAY_URL" application/cloudevents+json \
    "{\"specversion\":\"1.0\",\"id\":\"$id\",\"source\":\"https://orders.acme.com\",\"type\":\"io.coresdk.policy.decision\",\"subject\":\"tenant/acme/user/usr_2xK9\",\"data\":{\"result\":\"allowed\"}}"
  expect_eq "$STATUS" 202
  stop_relay
  expect_run 0 "$CERELAY" tail --kafka "$BOOT" --topic coresdk-events
  got=$(printf '%s\n' "$OUT" | grep -F "\"id\":\"$id\"")
  [ -n "$got" ] || { fail "event $id not read back"; cat "$TMP/relay.err" >&2; }
  expect_contains "$got" '"type":"io.coresdk.policy.decision"'
  expect_contains "$got" '"subject":"tenant/acme/user/usr_2xK9"'
}

run_case "$@"
