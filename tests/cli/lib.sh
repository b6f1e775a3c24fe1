# Helpers for command-line tests. A script defines case_NAME() functions and ends with
# `run_case "$@"`. expect_run CODE CMD... runs CMD capturing stdout/stderr into $OUT/$ERR.
set -u
: "${CERELAY:?set CERELAY to the cerelay binary}"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
FAILS=0
fail() { echo "FAIL: $*" >&2; FAILS=$((FAILS + 1)); }
expect_run() {
  local want=$1; shift
  "$@" >"$TMP/out" 2>"$TMP/err"
  local got=$?
  OUT=$(cat "$TMP/out"); ERR=$(cat "$TMP/err")
  if [ "$got" != "$want" ]; then
    fail "exit $got, expected $want: $*"; echo "stdout: $OUT" >&2; echo "stderr: $ERR" >&2
  fi
}
expect_contains() { # HAYSTACK NEEDLE
  case "$1" in *"$2"*) ;; *) fail "expected to contain: $2"; echo "got: $1" >&2 ;; esac
}
expect_eq() {
  [ "$1" == "$2" ] || { fail "expected: $2"; echo "got:      $1" >&2; }
}
run_case() {
  local name=${1:?case name}
  "case_$name"
  [ "$FAILS" -eq 0 ] || exit 1
}

# Fail unless the test broker is reachable (never skip: a missing broker is a failure).
need_kafka() {
  BOOT=${CER_KAFKA_BOOTSTRAP:-}
  if [ -z "$BOOT" ]; then
    fail "CER_KAFKA_BOOTSTRAP is not set: start the broker with 'scripts/kafka.sh start' (make test does)"
    exit 1
  fi
  local host=${BOOT%%:*} port=${BOOT##*:}
  if ! (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
    fail "Kafka broker $BOOT is not reachable"
    exit 1
  fi
}
# A topic name no earlier run used.
fresh_topic() { echo "cerelay-test-$1-$$-$(date +%s%N)"; }

# Start tests/tools/http_stub answering STATUSES; sets STUB_DIR and STUB_URL.
start_stub() {
  STUB_DIR=$(mktemp -d "$TMP/stub.XXXX")
  "$HTTP_STUB" "$STUB_DIR" "$@" &
  STUB_PID=$!
  for _ in $(seq 1 100); do [ -f "$STUB_DIR/port" ] && break; sleep 0.05; done
  STUB_URL="http://127.0.0.1:$(cat "$STUB_DIR/port")/events"
  trap 'kill $STUB_PID 2>/dev/null; rm -rf "$TMP"' EXIT
}
stub_requests() { ls "$STUB_DIR"/*.body 2>/dev/null | wc -l; }

# Start `cerelay run -c CONFIG [ARGS]` in the background; sets RELAY_PID, RELAY_URL (the events
# endpoint), RELAY_BASE and RELAY_OTLP; the relay's stderr goes to $TMP/relay.err.
start_relay() {
  local cfg=$1; shift
  "$CERELAY" run -c "$cfg" --print-addresses "$@" >"$TMP/relay.addr" 2>>"$TMP/relay.err" &
  RELAY_PID=$!
  for _ in $(seq 1 200); do grep -q '^otlp' "$TMP/relay.addr" 2>/dev/null && break; sleep 0.05; done
  RELAY_URL=$(awk '/^events/{print $2}' "$TMP/relay.addr")
  RELAY_OTLP=$(awk '/^otlp/{print $2}' "$TMP/relay.addr")
  RELAY_BASE=${RELAY_URL%/events}
  [ -n "$RELAY_URL" ] || { fail "relay did not start"; cat "$TMP/relay.err" >&2; exit 1; }
  trap 'kill -9 $RELAY_PID 2>/dev/null; kill $STUB_PID 2>/dev/null; rm -rf "$TMP"' EXIT
}
stop_relay() {
  kill -TERM "$RELAY_PID" 2>/dev/null
  wait "$RELAY_PID" 2>/dev/null
}
# post URL CONTENT-TYPE BODY [curl args...]: sets STATUS and BODY
post() {
  local url=$1 ct=$2 data=$3; shift 3
  BODY=$(curl -s -o - -w '\n%{http_code}' -X POST "$url" -H "Content-Type: $ct" --data-binary "$data" "$@")
  STATUS=${BODY##*$'\n'}
  BODY=${BODY%$'\n'*}
}
