#!/usr/bin/env bash
# Per-tenant rate limits (limits.tenant_rate; src/relay/ratelimit.c): a noisy tenant gets 429
# with Retry-After and a problem naming it, a quiet one none; overrides; batches are all or
# nothing; per-tenant metrics with their cardinality cap; SIGHUP changes the limits.
. "$(dirname "$0")/lib.sh"

cfg() { # FILE RATE BURST [extra yaml lines...]
  local f=$1 rate=$2 burst=$3; shift 3
  cat >"$f" <<YAML
binding: log
log:
  dir: $TMP/log
  fsync: never
listen:
  events: 127.0.0.1:0
  otlp: 127.0.0.1:0
ack: local
limits:
  tenant_rate:
    key: "{tenantid}"
    rate: $rate
    burst: $burst
    metrics_tenants: 3
YAML
  for line in "$@"; do printf '%s\n' "$line" >>"$f"; done
}
ev() { # ID TENANT
  printf '{"specversion":"1.0","id":"%s","source":"/s","type":"t.rate","tenantid":"%s","data":{}}' "$1" "$2"
}
send_n() { # N TENANT -> counts in $OK $LIMITED; last 429 headers/body in $TMP/h429, $TMP/b429
  OK=0 LIMITED=0
  for i in $(seq 1 "$1"); do
    code=$(curl -s -D "$TMP/h" -o "$TMP/b" -w '%{http_code}' -X POST "$RELAY_URL" \
      -H 'Content-Type: application/cloudevents+json' --data-binary "$(ev "$2-$i-$RANDOM" "$2")")
    case $code in
      202) OK=$((OK + 1)) ;;
      429) LIMITED=$((LIMITED + 1)); cp "$TMP/h" "$TMP/h429"; cp "$TMP/b" "$TMP/b429" ;;
      *) fail "unexpected status $code: $(cat "$TMP/b")" ;;
    esac
  done
}

case_noisy_tenant_limited_quiet_one_not() {
  cfg "$TMP/cfg.yaml" 1 5
  start_relay "$TMP/cfg.yaml"
  # the noisy tenant sends 60 events as fast as it can; the quiet one 4 in between
  t0=$(date +%s%N)
  send_n 30 noisy; n1=$OK l1=$LIMITED
  send_n 2 quiet; q1=$OK
  send_n 30 noisy; n2=$OK l2=$LIMITED
  send_n 2 quiet; q2=$OK
  secs=$(( ($(date +%s%N) - t0) / 1000000000 + 1 ))
  # admitted: at most the burst plus 1/s for the time it took (and at least the burst)
  [ $((n1 + n2)) -le $((5 + secs + 1)) ] || fail "noisy tenant: $((n1 + n2)) admitted in ${secs}s (burst 5, 1/s)"
  [ $((n1 + n2)) -ge 5 ] || fail "noisy tenant: its burst of 5 was not admitted ($((n1 + n2)))"
  [ $((l1 + l2)) -gt 0 ] || fail "noisy tenant: nothing refused"
  expect_eq "$((q1 + q2))" 4
  expect_contains "$(tr -d '\r' <"$TMP/h429")" "Retry-After: 1"
  expect_contains "$(tr -d '\r' <"$TMP/h429")" "Content-Type: application/problem+json"
  body=$(cat "$TMP/b429")
  expect_contains "$body" '"type":"urn:cerelay:problem:rate-limited"'
  expect_contains "$body" '"status":429'
  expect_contains "$body" '"tenant":"noisy"'
  expect_contains "$body" "tenant 'noisy' is over its rate limit (1 events/s, burst 5)"
  # the bucket refills at 1/s
  sleep 2.2
  send_n 2 noisy
  expect_eq "$OK" 2
  # per-tenant metrics
  m=$(curl -s "$RELAY_BASE/metrics")
  expect_contains "$m" 'cerelay_tenant_events_total{tenant="noisy",outcome="limited"}'
  expect_contains "$m" 'cerelay_tenant_events_total{tenant="quiet",outcome="accepted"} 4'
  expect_contains "$m" 'cerelay_tenant_events_total{tenant="quiet",outcome="limited"} 0'
  expect_contains "$m" 'cerelay_requests_rejected_total{reason="rate_limited"}'
  # the cardinality cap: 3 tenants by name, the rest as "other"
  send_n 1 t3; send_n 1 t4; send_n 1 t5
  m=$(curl -s "$RELAY_BASE/metrics")
  expect_contains "$m" 'tenant="t3",outcome="accepted"} 1'
  expect_contains "$m" 'tenant="other",outcome="accepted"} 2'
  # (only the rate limiter's series: the freshness histograms label tenants with their own cap)
  case "$(grep '^cerelay_tenant_events_total' <<<"$m")" in
    *'tenant="t5"'*) fail "more tenants named than metrics_tenants" ;;
  esac
  stop_relay
}

case_overrides_batches_and_missing_key() {
  cfg "$TMP/cfg.yaml" 2 2 "    overrides:" "      - {tenant: big, rate: 1000, burst: 1000}"
  start_relay "$TMP/cfg.yaml"
  send_n 20 big
  expect_eq "$OK" 20
  # a batch is all or nothing: 2 for small (its burst) passes, then 2 more are refused whole
  b="[$(ev b1 small),$(ev b2 small)]"
  post "$RELAY_URL" application/cloudevents-batch+json "$b"
  expect_eq "$STATUS" 202
  post "$RELAY_URL" application/cloudevents-batch+json "[$(ev b3 big),$(ev b4 small)]"
  expect_eq "$STATUS" 429
  expect_contains "$BODY" '"tenant":"small"'
  # a batch with an element that does not decode is refused 400, its tokens untouched
  post "$RELAY_URL" application/cloudevents-batch+json "[$(ev b5 small),{\"specversion\":2}]"
  expect_eq "$STATUS" 400
  # events without the attribute share the tenant "-"
  post "$RELAY_URL" application/cloudevents+json \
    '{"specversion":"1.0","id":"x1","source":"/s","type":"t.rate","data":{}}'
  expect_eq "$STATUS" 202
  stop_relay
}

case_sighup_changes_the_limits() {
  cfg "$TMP/cfg.yaml" 1 1
  start_relay "$TMP/cfg.yaml"
  send_n 10 acme
  [ "$LIMITED" -ge 8 ] || fail "rate 1: only $LIMITED of 10 refused"
  cfg "$TMP/cfg.yaml" 1000 1000
  kill -HUP "$RELAY_PID"
  for _ in $(seq 1 50); do grep -q "SIGHUP: reloaded" "$TMP/relay.err" && break; sleep 0.1; done
  send_n 10 acme
  expect_eq "$OK" 10
  # and off again: rate 0 limits nothing
  cfg "$TMP/cfg.yaml" 0 0
  kill -HUP "$RELAY_PID"
  sleep 0.5
  send_n 10 acme
  expect_eq "$OK" 10
  stop_relay
}

case_config_checks() {
  cfg "$TMP/bad.yaml" 0 5 "    overrides:" "      - {tenant: a, rate: 3}" "      - {tenant: a, rate: 4}"
  expect_run 1 "$CERELAY" config check -c "$TMP/bad.yaml"
  expect_contains "$ERR" "key 'limits.tenant_rate.rate': required (events per second, > 0) when burst or overrides are given"
  expect_contains "$ERR" "key 'limits.tenant_rate.overrides[1].tenant': duplicate tenant 'a'"
  cfg "$TMP/bad2.yaml" 5 5 "    overrides:" "      - {tenant: a}"
  expect_run 1 "$CERELAY" config check -c "$TMP/bad2.yaml"
  expect_contains "$ERR" "limits.tenant_rate.overrides[0].rate"
}

run_case "$@"
