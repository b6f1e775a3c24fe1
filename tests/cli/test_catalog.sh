#!/usr/bin/env bash
# Tests for `cerelay catalog` (src/cli/cmd_catalog.c over src/catalog/).
. "$(dirname "$0")/lib.sh"
ROOT=${CER_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}

case_list() {
  expect_run 0 "$CERELAY" catalog list
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 16
  expect_contains "$OUT" "TYPE"
  for t in usage semantic-cache.hit quota.low budget.exceeded provider.outage inference.failed \
           embeddings.generated kg.synced; do
    expect_contains "$OUT" "eventzr.llm.$t.v1"
  done
  for t in policy.decision auth.verified auth.denied tenant.created tenant.suspended \
           secret.rotated error; do
    expect_contains "$OUT" "io.coresdk.$t "
  done
  expect_contains "$OUT" "eventzr.llm.usage.v1                 eventzr.llm.usage.v1                 Usage telemetry after successful inference"
}

case_show() {
  expect_run 0 "$CERELAY" catalog show eventzr.llm.usage.v1
  expect_contains "$OUT" "topic:          eventzr.llm.usage.v1"
  expect_contains "$OUT" "partition key:  subject (subject = {tenantId} from the data)"
  expect_contains "$OUT" "dataschema:     https://cerelay.dev/schemas/eventzr.llm.usage.v1.json"
  expect_contains "$OUT" '"inputTokens": {'
  expect_contains "$OUT" '"costUsd": 0.0025,'
  # --schema is the schema file byte for byte; --example is a valid event
  "$CERELAY" catalog show eventzr.llm.usage.v1 --schema > "$TMP/schema.json"
  cmp -s "$TMP/schema.json" "$ROOT/catalog/schemas/eventzr.llm.usage.v1.json" ||
    fail "--schema differs from catalog/schemas/eventzr.llm.usage.v1.json"
  for t in $("$CERELAY" catalog list | tail -n +2 | cut -d' ' -f1); do
    "$CERELAY" catalog show "$t" --example > "$TMP/ex.json" || fail "no example for $t"
    "$CERELAY" validate -q "$TMP/ex.json" || fail "example of $t is not a CloudEvent"
    "$CERELAY" catalog validate -q "$TMP/ex.json" || fail "example of $t fails the catalog"
  done
  expect_run 1 "$CERELAY" catalog show eventzr.llm.usage.v9
  expect_contains "$ERR" "type 'eventzr.llm.usage.v9' is not in the catalog"
}

case_validate_messages() {
  "$CERELAY" catalog show eventzr.llm.usage.v1 --example | tr -d '\n' > "$TMP/good.json"
  sed 's/"inputTokens": 150/"inputTokens": -5/' "$TMP/good.json" > "$TMP/bad1.json"
  sed 's/"model": "[^"]*",//' "$TMP/good.json" > "$TMP/bad2.json"
  { cat "$TMP/good.json"; echo; cat "$TMP/bad1.json"; echo; cat "$TMP/bad2.json"; echo; } > "$TMP/all.ndjson"
  expect_run 1 "$CERELAY" catalog validate "$TMP/all.ndjson"
  expect_contains "$OUT" "all.ndjson: line 2: eventzr.llm.usage.v1: data.inputTokens: expected an integer >= 0, got -5"
  expect_contains "$OUT" "all.ndjson: line 3: eventzr.llm.usage.v1: data: missing required field 'model'"
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 2
  expect_contains "$ERR" "invalid: 2 of 3 event(s)"
  # warn mode reports and passes
  expect_run 0 "$CERELAY" catalog validate --mode warn "$TMP/all.ndjson"
  expect_contains "$OUT" "line 2: eventzr.llm.usage.v1: warning: data.inputTokens"
  expect_contains "$ERR" "ok: 3 event(s) (with warnings)"
  expect_run 0 "$CERELAY" catalog validate --mode off "$TMP/all.ndjson"
  # a batch array from stdin; unknown types and broken events are invalid
  { echo "["; cat "$TMP/good.json"; echo ',{"specversion":"1.0","id":"x","source":"/s","type":"com.example.x"}'
    echo ',{"specversion":"1.0","id":"y","source":"/s"}]'; } > "$TMP/batch.json"
  expect_run 1 "$CERELAY" catalog validate < "$TMP/batch.json"
  expect_contains "$OUT" "<stdin>: event 2: com.example.x: type: 'com.example.x' is not in the catalog"
  expect_contains "$OUT" "<stdin>: event 3: attribute 'type'"
  expect_contains "$ERR" "invalid: 2 of 3 event(s)"
}

case_extra_catalog_file() {
  cat > "$TMP/tool.json" <<'JSON'
{"type": "object", "properties": {"tool": {"type": "string"}}, "required": ["tool"],
 "additionalProperties": false}
JSON
  cat > "$TMP/extra.json" <<'JSON'
{"types": [{"type": "com.acme.tool.called.v1", "description": "Agent tool call",
            "subject": "{tool}", "schema": "tool.json"}]}
JSON
  expect_run 0 "$CERELAY" catalog list --catalog "$TMP/extra.json"
  expect_eq "$(printf '%s\n' "$OUT" | wc -l)" 17
  expect_contains "$OUT" "com.acme.tool.called.v1"
  expect_run 0 "$CERELAY" catalog show com.acme.tool.called.v1 --catalog "$TMP/extra.json"
  expect_contains "$OUT" "schema file:    tool.json"
  printf '%s\n' '{"specversion":"1.0","id":"1","source":"/a","type":"com.acme.tool.called.v1","subject":"x","data":{"tool":"search"}}' > "$TMP/ev.json"
  expect_run 1 "$CERELAY" catalog validate --catalog "$TMP/extra.json" "$TMP/ev.json"
  expect_contains "$OUT" "subject: expected 'search' (from the data), got 'x'"
  echo '{"types": [{"type": "a.b", "schema": {"pattern": "x"}}]}' > "$TMP/bad.json"
  expect_run 2 "$CERELAY" catalog list --catalog "$TMP/bad.json"
  expect_contains "$ERR" "bad.json: type 'a.b': schema: keyword 'pattern' is not supported"
}

case_usage_errors() {
  expect_run 0 "$CERELAY" catalog --help
  expect_contains "$OUT" "usage: cerelay catalog list"
  expect_run 0 "$CERELAY" help catalog
  expect_contains "$OUT" "cerelay catalog show TYPE"
  expect_run 2 "$CERELAY" catalog
  expect_contains "$ERR" "expected a subcommand"
  expect_run 2 "$CERELAY" catalog frobnicate
  expect_contains "$ERR" "unknown subcommand 'frobnicate'"
  expect_run 2 "$CERELAY" catalog show
  expect_run 2 "$CERELAY" catalog validate --mode strict -
  expect_contains "$ERR" "--mode: 'strict'"
  expect_run 2 "$CERELAY" catalog validate "$TMP/missing.json"
  expect_contains "$ERR" "missing.json"
  expect_run 0 "$CERELAY" --help
  expect_contains "$OUT" "catalog"
  expect_contains "$OUT" "gen "
}

run_case "$@"
