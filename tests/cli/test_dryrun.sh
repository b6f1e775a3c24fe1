#!/usr/bin/env bash
# Tests for `cerelay dry-run` (src/cli/cmd_dryrun.c): one JSON line per event (allow, deny,
# invalid), topic and key rendering, masking, OPA failure verdicts, exit codes, --help, and that
# nothing is ever written to a destination.
. "$(dirname "$0")/lib.sh"
ROOT=${CER_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}

ev() { # TYPE ID [SUBJECT] [EXTRA-MEMBERS]
  local subj=""
  [ -n "${3:-}" ] && subj=",\"subject\":\"$3\""
  printf '{"specversion":"1.0","type":"%s","source":"/s","id":"%s"%s%s}\n' "$1" "$2" "$subj" "${4:-}"
}

# A kafka-binding configuration with two deny rules and a route for io.coresdk.*.
write_config() {
  cat >"$TMP/relay.yaml" <<EOF
binding: kafka
kafka:
  brokers: [127.0.0.1:1]
  topic: "ai.{type}"
routes:
  - match: "io.coresdk.auth.*"
    topic: coresdk-auth
    key: "tenant-{tenantid}"
  - match: "io.coresdk.*"
    topic: "coresdk.{source}"
policy:
  default: allow
  rules:
    - name: no-prompts
      action: deny
      when: "type LIKE 'eventzr.llm.prompt.%'"
    - name: never-secrets
      action: deny
      when: "type = 'io.coresdk.secret.rotated'"
${1:-}
EOF
}

case_help() {
  expect_run 0 "$CERELAY" dry-run --help
  expect_contains "$OUT" "usage: cerelay dry-run -c CONFIG"
  expect_contains "$OUT" "Nothing is sent"
  expect_contains "$OUT" "exit status: 0"
  expect_run 0 "$CERELAY" help dry-run
  expect_contains "$OUT" "usage: cerelay dry-run"
  expect_run 0 "$CERELAY" --help
  expect_contains "$OUT" "dry-run"
}

case_allow_deny_invalid_lines() {
  write_config
  {
    ev eventzr.llm.usage.v1 e0 tenant-uuid
    ev eventzr.llm.prompt.v1 e1 tenant-uuid
    printf '%s\n' '{"specversion":"1.0","type":"t","source":"/s","id":"e2","time":"yesterday"}'
    ev io.coresdk.secret.rotated e3 tenant/acme
  } >"$TMP/in.ndjson"
  expect_run 1 "$CERELAY" dry-run -c "$TMP/relay.yaml" --no-event "$TMP/in.ndjson"
  expect_eq "$OUT" '{"index":0,"verdict":"allow","rule":"default","topic":"ai.eventzr.llm.usage.v1","key":"tenant-uuid"}
{"index":1,"verdict":"deny","rule":"no-prompts"}
{"index":2,"verdict":"invalid","error":"attribute '"'time'"': not an RFC 3339 timestamp"}
{"index":3,"verdict":"deny","rule":"never-secrets"}'
  expect_contains "$ERR" "dry-run: 4 event(s): 1 allowed, 2 denied, 1 invalid"
}

case_exit_zero_when_every_event_is_valid() {
  write_config
  { ev eventzr.llm.usage.v1 a t1; ev eventzr.llm.prompt.v1 b t1; } >"$TMP/in.ndjson"
  expect_run 0 "$CERELAY" dry-run -c "$TMP/relay.yaml" "$TMP/in.ndjson"
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" "2"
  expect_contains "$OUT" '"verdict":"deny"'
  # the whole event as it would leave, canonical and compact
  expect_contains "$OUT" ',"event":{"specversion":"1.0","id":"a","source":"/s","type":"eventzr.llm.usage.v1","subject":"t1"}}'
  # standard input
  expect_run 0 "$CERELAY" dry-run -c "$TMP/relay.yaml" - <"$TMP/in.ndjson"
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" "2"
  expect_run 0 "$CERELAY" dry-run -c "$TMP/relay.yaml" <"$TMP/in.ndjson"
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" "2"
}

case_batch_and_single_event() {
  write_config
  printf '[%s,%s,{"specversion":"1.0","id":"x"}]' "$(ev eventzr.llm.usage.v1 a t)" \
    "$(ev eventzr.llm.prompt.v1 b t)" >"$TMP/batch.json"
  expect_run 1 "$CERELAY" dry-run -c "$TMP/relay.yaml" "$TMP/batch.json"
  expect_contains "$OUT" '{"index":0,"verdict":"allow"'
  expect_contains "$OUT" '{"index":1,"verdict":"deny","rule":"no-prompts"}'
  expect_contains "$OUT" '{"index":2,"verdict":"invalid","error":"attribute '"'source'"': required attribute missing"}'
  # the seed's usage event, pretty-printed over several lines, is one event
  expect_run 0 "$CERELAY" dry-run -c "$TMP/relay.yaml" "$ROOT/examples/usage-event.json"
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" "1"
  expect_contains "$OUT" '"topic":"ai.eventzr.llm.usage.v1","key":"tenant-uuid"'
  expect_contains "$OUT" '"costUsd":0.0025'
}

case_bad_input() {
  write_config
  printf '{"specversion":"1.0",,}' >"$TMP/syn.json"
  expect_run 1 "$CERELAY" dry-run -c "$TMP/relay.yaml" "$TMP/syn.json"
  expect_contains "$OUT" '"verdict":"invalid","error":"byte 21'
  printf '[{"specversion":"1.0"}' >"$TMP/trunc.json"
  expect_run 1 "$CERELAY" dry-run -c "$TMP/relay.yaml" "$TMP/trunc.json"
  expect_eq "$OUT" ""
  expect_contains "$ERR" "trunc.json: byte"
  printf '\n  \n' >"$TMP/blank.json"
  expect_run 1 "$CERELAY" dry-run -c "$TMP/relay.yaml" "$TMP/blank.json"
  expect_contains "$ERR" "empty input"
  # NDJSON with a broken line: that line is invalid, the others are decided
  { ev eventzr.llm.usage.v1 a t; echo '{"oops'; ev eventzr.llm.usage.v1 c t; } >"$TMP/mixed.ndjson"
  expect_run 1 "$CERELAY" dry-run -c "$TMP/relay.yaml" --no-event "$TMP/mixed.ndjson"
  expect_contains "$OUT" '{"index":1,"verdict":"invalid","error":"byte'
  expect_contains "$OUT" '{"index":2,"verdict":"allow"'
}

case_topic_and_key_rendering() {
  write_config
  {
    ev io.coresdk.auth.verified a tenant/acme/user/u1 ',"tenantid":"acme"'
    ev io.coresdk.policy.decision b tenant/acme/user/u1
    ev eventzr.llm.usage.v1 c tenant-1 ',"partitionkey":"pk-7"'
    ev eventzr.llm.usage.v1 d
    ev io.coresdk.auth.denied e tenant/x
  } >"$TMP/in.ndjson"
  expect_run 1 "$CERELAY" dry-run -c "$TMP/relay.yaml" --no-event "$TMP/in.ndjson"
  expect_eq "$OUT" '{"index":0,"verdict":"allow","rule":"default","topic":"coresdk-auth","key":"tenant-acme"}
{"index":1,"verdict":"allow","rule":"default","topic":"coresdk./s","key":"tenant/acme/user/u1"}
{"index":2,"verdict":"allow","rule":"default","topic":"ai.eventzr.llm.usage.v1","key":"pk-7"}
{"index":3,"verdict":"allow","rule":"default","topic":"ai.eventzr.llm.usage.v1","key":null}
{"index":4,"verdict":"invalid","error":"key: key template: attribute '"'tenantid'"' is not set"}'
  # the log binding: one topic per type, the default key; http: no topic or key
  cat >"$TMP/log.yaml" <<EOF
binding: log
log:
  dir: $TMP/log
EOF
  expect_run 0 "$CERELAY" dry-run -c "$TMP/log.yaml" --no-event - < <(ev eventzr.llm.usage.v1 a t9)
  expect_eq "$OUT" '{"index":0,"verdict":"allow","rule":"default","topic":"eventzr.llm.usage.v1","key":"t9"}'
  cat >"$TMP/http.yaml" <<EOF
binding: http
http:
  endpoint: http://127.0.0.1:1/events
EOF
  expect_run 0 "$CERELAY" dry-run -c "$TMP/http.yaml" --no-event - < <(ev eventzr.llm.usage.v1 a t9)
  expect_eq "$OUT" '{"index":0,"verdict":"allow","rule":"default"}'
}

case_sends_nothing() {
  cat >"$TMP/log.yaml" <<EOF
binding: log
log:
  dir: $TMP/log
policy:
  dead_letter: true
  rules:
    - name: no-prompts
      action: deny
      when: "type LIKE 'eventzr.llm.prompt.%'"
dead_letter:
  log_dir: $TMP/dlq
EOF
  { ev eventzr.llm.usage.v1 a t; ev eventzr.llm.prompt.v1 b t; } >"$TMP/in.ndjson"
  expect_run 0 "$CERELAY" dry-run -c "$TMP/log.yaml" "$TMP/in.ndjson"
  expect_contains "$OUT" '{"index":1,"verdict":"deny","rule":"no-prompts","dead_letter":true}'
  [ ! -e "$TMP/log" ] || fail "dry-run wrote to the log directory: $(ls -R "$TMP/log")"
  [ ! -e "$TMP/dlq" ] || fail "dry-run wrote to the dead-letter directory"
  # a kafka binding whose broker does not exist: nothing is tried, it finishes at once
  write_config
  expect_run 0 timeout 10 "$CERELAY" dry-run -c "$TMP/relay.yaml" "$TMP/in.ndjson"
}

case_masking_applied() {
  write_config "masking:
  rules:
    - name: user-id
      path: /data/userId
      action: redact
  detectors: [email]"
  ev eventzr.llm.usage.v1 a tenant-uuid \
    ',"datacontenttype":"application/json","data":{"userId":"user-uuid","note":"mail bob@example.com","totalTokens":500}' \
    >"$TMP/in.ndjson"
  expect_run 0 "$CERELAY" dry-run -c "$TMP/relay.yaml" "$TMP/in.ndjson"
  expect_contains "$OUT" '"verdict":"allow"'
  expect_contains "$OUT" '"totalTokens":500'
  expect_contains "$OUT" '[REDACTED]'
  case "$OUT" in *user-uuid*) fail "userId was not masked: $OUT" ;; esac
  case "$OUT" in *bob@example.com*) fail "the e-mail address was not masked: $OUT" ;; esac
  # masking runs first, as in the relay: a rule on the clear subject no longer matches once
  # /subject is hashed, and the key is rendered from the hashed subject
  write_config "    - name: acme-only
      action: deny
      when: \"subject = 'tenant/acme/user/u1'\"
masking:
  key: k
  rules:
    - name: subject
      path: /subject
      action: hash"
  ev io.coresdk.policy.decision a tenant/acme/user/u1 >"$TMP/in.ndjson"
  expect_run 0 "$CERELAY" dry-run -c "$TMP/relay.yaml" --no-event "$TMP/in.ndjson"
  expect_contains "$OUT" '{"index":0,"verdict":"allow","rule":"default","topic":"coresdk./s","key":"'
  case "$OUT" in *tenant/acme/user/u1*) fail "the subject was not hashed: $OUT" ;; esac
}

case_opa_unreachable_fail_verdict() {
  write_config "  opa:
    url: http://127.0.0.1:1
    path: acme/cloudevents-egress
    timeout: 2s
    fail: deny"
  { ev io.coresdk.policy.decision a tenant/acme/user/u1; ev eventzr.llm.prompt.v1 b t; } >"$TMP/in.ndjson"
  expect_run 0 env -u http_proxy -u HTTP_PROXY "$CERELAY" dry-run -c "$TMP/relay.yaml" "$TMP/in.ndjson"
  expect_contains "$OUT" '{"index":0,"verdict":"deny","rule":"opa:acme/cloudevents-egress","reason":"OPA unreachable'
  # rules still decide first; OPA is not asked for a denied prompt
  expect_contains "$OUT" '{"index":1,"verdict":"deny","rule":"no-prompts"}'
}

case_usage_and_config_errors() {
  write_config
  ev eventzr.llm.usage.v1 a t >"$TMP/in.ndjson"
  expect_run 2 "$CERELAY" dry-run "$TMP/in.ndjson"
  expect_contains "$ERR" "-c CONFIG is required"
  expect_run 2 "$CERELAY" dry-run -c "$TMP/relay.yaml" "$TMP/in.ndjson" "$TMP/in.ndjson"
  expect_contains "$ERR" "at most one input file"
  expect_run 2 "$CERELAY" dry-run --bogus
  expect_run 2 "$CERELAY" dry-run -c "$TMP/nope.yaml" "$TMP/in.ndjson"
  expect_contains "$ERR" "nope.yaml"
  expect_run 2 "$CERELAY" dry-run -c "$TMP/relay.yaml" "$TMP/missing.ndjson"
  expect_contains "$ERR" "missing.ndjson: No such file or directory"
  # a CESQL error in a rule names the rule's key and the column
  write_config "    - name: broken
      action: deny
      when: \"type = = 'x'\""
  expect_run 2 "$CERELAY" dry-run -c "$TMP/relay.yaml" "$TMP/in.ndjson"
  expect_contains "$ERR" "policy.rules[2].when"
  expect_eq "$OUT" ""
}

# The relay's catalog check and limits.max_event_bytes are part of the same pipeline: an event
# the relay refuses with 400/413 is invalid here too (it used to print allow).
case_catalog_and_event_size_like_the_relay() {
  write_config "catalog:
  types:
    eventzr.llm.usage.v1: enforce
limits:
  max_event_bytes: 1KiB"
  {
    ev eventzr.llm.usage.v1 u0 t ',"datacontenttype":"application/json","data":{"inputTokens":-5}'
    ev t.small s1
    ev t.big b2 "" ",\"data\":\"$(head -c 1200 /dev/zero | tr '\0' a)\""
  } >"$TMP/in.ndjson"
  expect_run 1 "$CERELAY" dry-run -c "$TMP/relay.yaml" --no-event "$TMP/in.ndjson"
  expect_contains "$OUT" '{"index":0,"verdict":"invalid","error":"catalog (enforce): '
  expect_contains "$OUT" 'inputTokens'
  expect_contains "$OUT" '{"index":1,"verdict":"allow"'
  expect_contains "$OUT" '{"index":2,"verdict":"invalid","error":"the event is '
  expect_contains "$OUT" 'over limits.max_event_bytes (1024)'
}

run_case "$@"
