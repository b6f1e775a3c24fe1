#!/usr/bin/env bash
# Tests for `cerelay scorecard` (src/cli/cmd_scorecard.c, scorecard_*.c): end to end on the test
# broker (green, and red with the alerting consumer stalled), the JSON against the published
# schema, the HTML report rendered by headless Chromium, the thresholds file's errors. The
# three-broker case (label `cluster`, `make test-cluster`) stops and restarts a broker.
. "$(dirname "$0")/lib.sh"
SCHEMA=$CER_ROOT/docs/schemas/scorecard.schema.json
PY=/usr/bin/python3

# A python3 with the modules named, else fail (never skip).
need_py() {
  "$PY" -c "import $1" 2>/dev/null ||
    { fail "$PY cannot import $1 (scripts/deps.sh test browser installs it)"; exit 1; }
}

validate_json() { # FILE: valid against the schema, and a broken copy is not
  need_py jsonschema
  "$PY" - "$SCHEMA" "$1" <<'PY' || fail "JSON $1 does not validate against $SCHEMA"
import json, sys, jsonschema
schema, doc = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.Draft202012Validator(schema).validate(doc)
bad = dict(doc, verdict="purple")
try:
    jsonschema.Draft202012Validator(schema).validate(bad)
except jsonschema.ValidationError:
    sys.exit(0)
print("a document with verdict 'purple' validated: the schema checks nothing")
sys.exit(1)
PY
}

grade_of() { # JSON ID -> grade
  "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); print([c["grade"] for c in d["checks"] if c["id"]==sys.argv[2]][0])' "$1" "$2"
}

case_usage() {
  expect_run 0 "$CERELAY" scorecard --help
  expect_contains "$OUT" "Exit status: 0 green, 1 yellow, 2 red, 3 could not run"
  expect_contains "$OUT" "--scram-rotate-cmd CMD"
  expect_run 3 "$CERELAY" scorecard
  expect_contains "$ERR" "--kafka BROKERS is required"
  expect_run 3 "$CERELAY" scorecard --kafka 127.0.0.1:1 --burst 5x@1s/2s
  expect_contains "$ERR" "--burst"
  expect_run 3 "$CERELAY" scorecard --kafka 127.0.0.1:1 --ops retention,teleport
  expect_run 3 "$CERELAY" scorecard --kafka 127.0.0.1:1 --ops broker-restart
  expect_contains "$ERR" "--broker-restart-cmd"
  # Nothing listens on port 1: could not run, exit 3, no JSON written.
  expect_run 3 "$CERELAY" scorecard --kafka 127.0.0.1:1 --duration 1 --json "$TMP/x.json"
  expect_contains "$ERR" "could not run"
  [ ! -e "$TMP/x.json" ] || fail "a JSON report was written although nothing ran"
}

case_thresholds() {
  printf 'lag_recovery_s: {green: 2, yellow: 9}\nreplay_events_per_s: 50\n' >"$TMP/ok.yaml"
  printf 'lag_recovery_s: 3\nlag_recovry_s: 4\n' >"$TMP/typo.yaml"
  printf 'produce_ack_p99_ms: {green: 900, yellow: 100}\n' >"$TMP/order.yaml"
  printf 'produce_ack_p99_ms: fast\n' >"$TMP/nan.yaml"
  printf 'produce_ack_p99_ms: [1, 2]\n' >"$TMP/list.yaml"
  # A valid file gets past parsing (then the unreachable broker: 3, "could not run").
  expect_run 3 "$CERELAY" scorecard --kafka 127.0.0.1:1 --thresholds "$TMP/ok.yaml" --duration 1
  expect_contains "$ERR" "could not run"
  expect_run 3 "$CERELAY" scorecard --kafka 127.0.0.1:1 --thresholds "$TMP/typo.yaml"
  expect_contains "$ERR" "typo.yaml:2:1: unknown threshold 'lag_recovry_s'"
  expect_run 3 "$CERELAY" scorecard --kafka 127.0.0.1:1 --thresholds "$TMP/order.yaml"
  expect_contains "$ERR" "yellow 100 is on the better side of green 900"
  expect_run 3 "$CERELAY" scorecard --kafka 127.0.0.1:1 --thresholds "$TMP/nan.yaml"
  expect_contains "$ERR" "nan.yaml:1:21: produce_ack_p99_ms: not a non-negative number: 'fast'"
  expect_run 3 "$CERELAY" scorecard --kafka 127.0.0.1:1 --thresholds "$TMP/list.yaml"
  expect_contains "$ERR" "not a list"
}

# End to end on the single broker at a small rate: green, under 90 s; the JSON validates; the
# HTML report renders its charts in headless Chromium. Operations: retention only (adding
# partitions moves keys, which Apache Kafka grades yellow: see case_kafka_alerting_stalled).
# Latency thresholds from scorecard-ci.yaml: the suite shares two cores with sanitizer builds.
case_kafka_green() {
  need_kafka
  need_py PIL
  local t0=$SECONDS
  expect_run 0 "$CERELAY" scorecard --kafka "$BOOT" --duration 20 --rate 100 --burst 4x@6s/1s \
    --ops retention --thresholds "$(dirname "$0")/scorecard-ci.yaml" \
    --json "$TMP/sc.json" --html "$TMP/sc.html" --no-color
  local took=$((SECONDS - t0))
  echo "$OUT"
  [ "$took" -lt 90 ] || fail "the scorecard took $took s (the issue asks for under 90 s)"
  expect_contains "$OUT" "verdict: GREEN"
  expect_contains "$OUT" "<= 2000 ms / 5000 ms" # the thresholds file was applied
  expect_contains "$OUT" "freshness alerting steady p50/p99"
  expect_contains "$OUT" "replay exactness (every id once)"
  for id in produce.ack_latency freshness.alerting.steady freshness.alerting.burst \
    lag.recovery delivery.losses replay.exactness clients.compat ops.retention; do
    expect_eq "$id $(grade_of "$TMP/sc.json" "$id")" "$id green"
  done
  expect_eq "$(grade_of "$TMP/sc.json" ops.scram_rotation)" "skip" # no --scram-rotate-cmd
  expect_eq "$(grade_of "$TMP/sc.json" ops.partitions)" "skip"
  validate_json "$TMP/sc.json"
  # The report: both charts drew data ...
  "$PY" "$(dirname "$0")/scorecard_render.py" "$TMP/sc.html" "$TMP/sc.png" ||
    fail "the HTML report's charts are blank in headless Chromium"
  # ... and the same check fails on a page whose Chart.js was removed (it can fail).
  "$PY" - "$TMP/sc.html" "$TMP/nochart.html" <<'PY'
import sys
s = open(sys.argv[1]).read()
a = s.index("<script>")
b = s.index("</script>", a) + len("</script>")
open(sys.argv[2], "w").write(s[:a] + s[b:])
PY
  if "$PY" "$(dirname "$0")/scorecard_render.py" "$TMP/nochart.html" "$TMP/nochart.png"; then
    fail "the render check passed on a page without Chart.js"
  fi
  # The topics are deleted at the end (no --keep).
  local topic
  topic=$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["topic"])' "$TMP/sc.json")
  "$PY" - "$BOOT" "$topic" <<'PY' || fail "topic $topic still exists after the run"
import sys
from confluent_kafka.admin import AdminClient
md = AdminClient({"bootstrap.servers": sys.argv[1]}).list_topics(timeout=10)
sys.exit(1 if sys.argv[2] in md.topics else 0)
PY
}

# The test hook: the alerting group stops consuming for most of the run. Its freshness row is
# red, the verdict red, exit 2; nothing is lost (it catches up before the end). Partitions are
# added half-way: per-key order holds (green) or breaks only on keys that moved (yellow).
case_kafka_alerting_stalled() {
  need_kafka
  expect_run 2 "$CERELAY" scorecard --kafka "$BOOT" --duration 12 --rate 80 --burst none \
    --ops partitions --stall-group alerting --json "$TMP/sc.json" --no-color
  echo "$OUT"
  expect_contains "$OUT" "verdict: RED"
  expect_contains "$OUT" "STALLED by --stall-group"
  expect_eq "$(grade_of "$TMP/sc.json" freshness.alerting.steady)" "red"
  expect_eq "$(grade_of "$TMP/sc.json" freshness.evaluation.steady)" "green"
  expect_eq "$(grade_of "$TMP/sc.json" delivery.losses)" "green"
  expect_contains "$OUT" "3->5, 0 in-partition"
  case $(grade_of "$TMP/sc.json" ops.partitions) in green | yellow) ;; *) fail "ops.partitions red" ;; esac
  validate_json "$TMP/sc.json"
}

# Kafka's own ConfigCommand (kafka-configs.sh) from the test broker's jars: SCRAM users.
kafka_configs() {
  local lib=${CER_KAFKA_CACHE:-$HOME/.cache/cerelay/kafka-3.9.1}/lib
  [ -f "$lib/kafka_2.13-3.9.1.jar" ] || { fail "no Kafka jars in $lib (scripts/kafka.sh start fetches them)"; exit 1; }
  java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Dlog4j.configuration=file:/dev/null \
    -cp "$lib/*" kafka.admin.ConfigCommand --bootstrap-server "$BOOT" --entity-type users "$@" \
    >"$TMP/configs.log" 2>&1 || { cat "$TMP/configs.log" >&2; return 1; }
}

# SCRAM rotation under load on the test broker's SCRAM listener, as a user made for the test:
# the run authenticates with the old password, --scram-rotate-cmd changes it half-way; new
# clients must get in with the new password only, and nothing acknowledged may be lost.
case_kafka_scram_rotation() {
  need_kafka
  local scram=${CER_KAFKA_SCRAM_BOOTSTRAP:-127.0.0.1:9095} user="scorecard-$$-$RANDOM"
  kafka_configs --alter --entity-name "$user" --add-config 'SCRAM-SHA-512=[password=old-secret]' ||
    { fail "cannot create SCRAM user $user"; exit 1; }
  # The rotation command: Kafka's ConfigCommand, as an operator would run kafka-configs.sh.
#!/usr/bin/env bash
# Called by the scorecard with CER_SCORECARD_SCRAM_USER and CER_SCORECARD_SCRAM_NEW_PASSWORD.
. "$(dirname "$0")/lib.sh" 2>/dev/null || true
EOS
  {
    echo "BOOT=$BOOT CER_KAFKA_CACHE=${CER_KAFKA_CACHE:-}"
    declare -f kafka_configs fail
    echo "TMP=$TMP"
    echo 'kafka_configs --alter --entity-name "$CER_SCORECARD_SCRAM_USER" --add-config "SCRAM-SHA-512=[password=$CER_SCORECARD_SCRAM_NEW_PASSWORD]"'
  } >"$TMP/rotate.sh"
  chmod +x "$TMP/rotate.sh"
  expect_run 0 "$CERELAY" scorecard --kafka "$scram" -X security.protocol=SASL_PLAINTEXT \
    -X sasl.mechanism=SCRAM-SHA-512 -X sasl.username="$user" -X sasl.password=old-secret \
    --duration 12 --rate 80 --burst none --ops scram --scram-rotate-cmd "bash $TMP/rotate.sh" \
    --scram-new-password new-secret --thresholds "$(dirname "$0")/scorecard-ci.yaml" \
    --json "$TMP/sc.json" --no-color
  echo "$OUT"
  expect_contains "$OUT" "new accepted, old refused, 0 lost"
  expect_eq "$(grade_of "$TMP/sc.json" ops.scram_rotation)" "green"
  expect_eq "$(grade_of "$TMP/sc.json" delivery.losses)" "green"
  expect_eq "$(grade_of "$TMP/sc.json" replay.exactness)" "green"
  expect_eq "$(grade_of "$TMP/sc.json" clients.compat)" "green"
  kafka_configs --alter --entity-name "$user" --delete-config SCRAM-SHA-512 || true
}

# Three brokers (scripts/kafka.sh cluster-start): broker 2 is stopped and started again while
# producing; no acknowledged event may be lost and freshness must recover in the threshold.
case_cluster_broker_restart() {
  local boot=${CER_KAFKA_CLUSTER_BOOTSTRAP:-}
  [ -n "$boot" ] || { fail "CER_KAFKA_CLUSTER_BOOTSTRAP is not set: run 'make test-cluster' (scripts/kafka.sh cluster-start)"; exit 1; }
  local k=$CER_ROOT/scripts/kafka.sh
  "$k" cluster-start-broker 2 >/dev/null 2>&1 # a previous failed run may have left it down
  "$CERELAY" scorecard --kafka "$boot" --duration 40 --rate 100 --burst 3x@15s/2s \
    --ops retention,broker-restart \
    --broker-restart-cmd "$k cluster-stop-broker 2 && sleep 5 && $k cluster-start-broker 2" \
    --json "$TMP/sc.json" --no-color >"$TMP/out" 2>"$TMP/err"
  local rc=$?
  cat "$TMP/out" "$TMP/err"
  # The verdict may be yellow or red on a loaded machine (freshness rows); the run must complete.
  [ "$rc" -le 2 ] || { fail "the scorecard could not run (exit $rc)"; exit 1; }
  expect_eq "$(grade_of "$TMP/sc.json" ops.broker_restart)" "green"
  expect_eq "$(grade_of "$TMP/sc.json" delivery.losses)" "green"
  expect_eq "$(grade_of "$TMP/sc.json" replay.exactness)" "green"
  validate_json "$TMP/sc.json"
  "$k" cluster-status >/dev/null || fail "cluster not running after the test"
}

run_case "$@"
