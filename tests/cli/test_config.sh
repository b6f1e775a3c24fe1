#!/usr/bin/env bash
# Tests for `cerelay config check` (src/cli/cmd_config.c, src/relay/config.c): exit codes,
# messages, --print, and the annotated example.
. "$(dirname "$0")/lib.sh"
ROOT=${CER_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
EXAMPLE="$ROOT/examples/cerelay.yaml"

# The variables examples/cerelay.yaml reads.
example_env() {
  export KAFKA_USERNAME=relay KAFKA_PASSWORD=kafka-pw-123 EVENTS_TOKEN=events-tok-456 \
    MASK_KEY=mask-key-789
  unset RELAY_TOKEN
}

case_example_passes() {
  example_env
  expect_run 0 "$CERELAY" config check -c "$EXAMPLE"
  expect_eq "$OUT" "ok: $EXAMPLE"
  expect_eq "$ERR" ""
  expect_run 0 "$CERELAY" config check "$EXAMPLE"
  expect_eq "$OUT" "ok: $EXAMPLE"
  expect_run 0 "$CERELAY" config check -c - <"$EXAMPLE"
  expect_eq "$OUT" "ok: <stdin>"
  expect_run 0 "$CERELAY" config check --quiet -c "$EXAMPLE"
  expect_eq "$OUT" ""
}

case_example_needs_its_variables() {
  example_env
  unset MASK_KEY
  expect_run 1 "$CERELAY" config check -c "$EXAMPLE"
  expect_contains "$ERR" "cerelay.yaml:"
  expect_contains "$ERR" ": key 'masking.key': environment variable 'MASK_KEY' is not set"
  expect_eq "$OUT" ""
}

case_print_redacts_secrets() {
  example_env
  export RELAY_TOKEN=relay-tok-000
  expect_run 0 "$CERELAY" config check --print -c "$EXAMPLE"
  expect_contains "$ERR" "ok: $EXAMPLE"
  expect_contains "$OUT" 'binding: log'
  expect_contains "$OUT" '    password: "<redacted>"'
  expect_contains "$OUT" '    "Authorization": "<redacted>"'
  expect_contains "$OUT" '  key: "<redacted>"'
  expect_contains "$OUT" '    username: "relay"'
  for secret in kafka-pw-123 events-tok-456 mask-key-789 relay-tok-000; do
    case "$OUT$ERR" in *"$secret"*) fail "secret $secret printed" ;; esac
  done
  # the printed configuration is itself valid and prints the same again
  printf '%s\n' "$OUT" >"$TMP/effective.yaml"
  expect_run 0 "$CERELAY" config check --print -c "$TMP/effective.yaml"
  expect_eq "$OUT" "$(cat "$TMP/effective.yaml")"
}

case_defaults_without_a_file() {
  expect_run 0 "$CERELAY" config check
  expect_eq "$OUT" "ok: <defaults>"
  expect_run 0 "$CERELAY" config check --print
  expect_contains "$OUT" 'events: "127.0.0.1:8080"'
  expect_contains "$OUT" 'otlp: "127.0.0.1:4318"'
  expect_contains "$OUT" 'dir: "./var/cerelay"'
  expect_contains "$OUT" 'ack: local'
}

case_every_error_reported() {
  cat >"$TMP/bad.yaml" <<'EOF'
kafak:
  brokers: [a:1]
binding: kafka
kafka:
  sasl:
    mechanism: SCRAM
  linger_ms: 5x
log:
  segment_bytes: 1PiB
EOF
  expect_run 1 "$CERELAY" config check -c "$TMP/bad.yaml"
  expect_eq "$OUT" ""
  expect_eq "$ERR" "$TMP/bad.yaml:1:1: unknown key 'kafak' (did you mean 'kafka'?)
$TMP/bad.yaml:6:16: key 'kafka.sasl.mechanism': expected one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER, AWS_MSK_IAM, got 'SCRAM'
$TMP/bad.yaml:7:14: key 'kafka.linger_ms': expected an integer, got '5x'
$TMP/bad.yaml:9:18: key 'log.segment_bytes': expected a size (bytes, or a number with B, KiB, MiB, GiB, TiB, KB, MB, GB, TB), got '1PiB'"
}

case_cross_key_rules() {
  printf 'binding: kafka\nack: remote\n' >"$TMP/nobrokers.yaml"
  expect_run 1 "$CERELAY" config check -c "$TMP/nobrokers.yaml"
  expect_eq "$ERR" "$TMP/nobrokers.yaml:1:10: key 'kafka.brokers': required when binding is kafka"
  printf 'policy:\n  rules:\n    - {name: a, action: deny, when: "type = "}\n' >"$TMP/sql.yaml"
  expect_run 1 "$CERELAY" config check -c "$TMP/sql.yaml"
  expect_contains "$ERR" "sql.yaml:3:45: key 'policy.rules[0].when': CESQL: "
}

case_unset_variable() {
  unset CER_TEST_NOT_SET
  printf 'http:\n  headers:\n    Authorization: "Bearer ${CER_TEST_NOT_SET}"\n' >"$TMP/env.yaml"
  expect_run 1 "$CERELAY" config check -c "$TMP/env.yaml"
  expect_eq "$ERR" "$TMP/env.yaml:3:20: key 'http.headers.Authorization': environment variable 'CER_TEST_NOT_SET' is not set"
  export CER_TEST_NOT_SET=x
  expect_run 0 "$CERELAY" config check -c "$TMP/env.yaml"
}

case_yaml_errors() {
  printf 'kafka: &k {topic: a}\nhttp: *k\n' >"$TMP/anchor.yaml"
  expect_run 1 "$CERELAY" config check -c "$TMP/anchor.yaml"
  expect_eq "$ERR" "$TMP/anchor.yaml:1:8: anchors are not supported (&k)
$TMP/anchor.yaml:2:7: aliases are not supported (*k)"
  printf 'kafka: [\n' >"$TMP/syntax.yaml"
  expect_run 1 "$CERELAY" config check -c "$TMP/syntax.yaml"
  expect_contains "$ERR" "syntax.yaml:2:1: YAML: "
  head -c 1048577 /dev/zero | tr '\0' '#' >"$TMP/big.yaml"
  expect_run 1 "$CERELAY" config check -c "$TMP/big.yaml"
  expect_eq "$ERR" "$TMP/big.yaml: larger than 1048576 bytes"
}

case_usage_and_io_errors() {
  expect_run 2 "$CERELAY" config check -c "$TMP/missing.yaml"
  expect_eq "$ERR" "$TMP/missing.yaml: No such file or directory"
  expect_run 2 "$CERELAY" config check -c "$TMP"
  expect_contains "$ERR" "Is a directory"
  expect_run 2 "$CERELAY" config check --bogus
  expect_contains "$ERR" "usage: cerelay config check"
  expect_run 2 "$CERELAY" config check -c a.yaml b.yaml
  expect_contains "$ERR" "only one configuration file"
  expect_run 2 "$CERELAY" config check -c
  expect_run 2 "$CERELAY" config
  expect_contains "$ERR" "usage: cerelay config check"
  expect_run 2 "$CERELAY" config frobnicate
  expect_contains "$ERR" "unknown command 'frobnicate'"
}

case_help() {
  expect_run 0 "$CERELAY" config check --help
  expect_contains "$OUT" "usage: cerelay config check"
  expect_contains "$OUT" "exit status: 0 valid, 1 invalid"
  expect_run 0 "$CERELAY" config --help
  expect_contains "$OUT" "check"
  expect_run 0 "$CERELAY" help config
  expect_contains "$OUT" "usage: cerelay config check"
  expect_run 0 "$CERELAY" --help
  expect_contains "$OUT" "config     check a relay configuration file"
}

run_case "$@"
