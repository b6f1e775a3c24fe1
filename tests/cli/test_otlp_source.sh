#!/usr/bin/env bash
# OTLP through the relay (issue 16): without a configured `source` each resource's service
# names the events' source (namespace/name/instance), with one the source is pinned; service,
# deployment environment and host reach every event as extensions either way (docs/otlp.md).
. "$(dirname "$0")/lib.sh"

BODY_JSON='{"resourceLogs":[{"resource":{"attributes":[
 {"key":"service.name","value":{"stringValue":"checkout"}},
 {"key":"service.namespace","value":{"stringValue":"shop"}},
 {"key":"service.instance.id","value":{"stringValue":"pod-7"}},
 {"key":"deployment.environment.name","value":{"stringValue":"prod"}},
 {"key":"host.name","value":{"stringValue":"node-1"}}]},
 "scopeLogs":[{"logRecords":[
  {"timeUnixNano":"1772193600000000000","body":{"stringValue":"one"}},
  {"timeUnixNano":"1772193600000000001","body":{"stringValue":"two"}}]}]}]}'

run_with() { # extra yaml line (or "") -> $OUT: the stored events
  rm -rf "$TMP/log"
  cat >"$TMP/cfg.yaml" <<YAML
binding: log
log:
  dir: $TMP/log
  fsync: never
listen:
  events: 127.0.0.1:0
  otlp: 127.0.0.1:0
ack: local
$1
YAML
  start_relay "$TMP/cfg.yaml"
  code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$RELAY_OTLP" \
    -H 'Content-Type: application/json' --data-binary "$BODY_JSON")
  expect_eq "$code" 200
  stop_relay
  expect_run 0 "$CERELAY" tail --log "$TMP/log" --topic io.opentelemetry.log
  [ "$(printf '%s\n' "$OUT" | grep -c '"hostname":"node-1"')" = 2 ] ||
    fail "resource extensions not on every event: $OUT"
}

case_source_from_service_unless_pinned() {
  run_with ""
  expect_contains "$OUT" '"source":"shop/checkout/pod-7"'
  expect_contains "$OUT" '"servicename":"checkout"'
  expect_contains "$OUT" '"servicenamespace":"shop"'
  expect_contains "$OUT" '"serviceinstanceid":"pod-7"'
  expect_contains "$OUT" '"deploymentenv":"prod"'
  run_with "source: https://orders.acme.com"
  expect_contains "$OUT" '"source":"https://orders.acme.com"'
  expect_contains "$OUT" '"servicename":"checkout"'
}

run_case "$@"
