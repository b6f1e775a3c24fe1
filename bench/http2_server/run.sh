#!/usr/bin/env bash
# HTTP/2 for OTLP/gRPC, measured (docs/http-server-choice.md):
#  1. the minimal unary server of bench_http2_server on nghttp2 and on h2o, under h2load;
#  2. the relay itself (ack local, the local log), OTLP/gRPC vs OTLP/HTTP, 100 log records a
#     request, under h2load (--h1 for OTLP/HTTP).
# Reports req/s (h2load) and the server's CPU per request (utime+stime from /proc/PID/stat).
#   bench/http2_server/run.sh [BUILD_DIR] [REQUESTS]
set -euo pipefail
B=${1:-build}
N=${2:-100000}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TMP=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$TMP"' EXIT
PY=${PY:-$HOME/.cache/cerelay/venv/bin/python}
TICK=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
port() { echo $((20000 + RANDOM % 12000)); }
LOGS=/opentelemetry.proto.collector.logs.v1.LogsService/Export

# One load run: label pid n c m url h2load-args... ; prints a table row.
load() {
  local label=$1 pid=$2 n=$3 c=$4 m=$5 url=$6
  shift 6
  local c0 c1 out rps
  c0=$(cpu "$pid")
  out=$(h2load -n "$n" -c "$c" -m "$m" "$@" "$url" 2>&1)
  c1=$(cpu "$pid")
  rps=$(awk '/^finished in/ {print $4}' <<<"$out")
  local ok
  ok=$(awk '/^requests:/ {print $8}' <<<"$out")
  awk -v l="$label" -v c="$c" -v m="$m" -v r="$rps" -v d=$((c1 - c0)) -v t="$TICK" -v n="$n" \
    -v ok="$ok" 'BEGIN {printf "| %s | %d | %d | %.0f | %.1f | %s |\n", l, c, m, r, d / t * 1e6 / n, ok}'
}

# 1. libraries: a 1 KiB gRPC message per request
head -c 1019 /dev/zero | tr '\0' 'x' >"$TMP/msg"
printf '\x00\x00\x00\x03\xfb' | cat - "$TMP/msg" >"$TMP/body.grpc"
echo "| server | connections | streams each | req/s | µs CPU/req | succeeded |"
echo "|---|---|---|---|---|---|"
for s in nghttp2 h2o; do
  p=$(port)
  "$B/bench_http2_server" "$s" "$p" >"$TMP/$s.out" 2>&1 &
  pid=$!
  for _ in $(seq 50); do grep -q listening "$TMP/$s.out" 2>/dev/null && break; sleep 0.05; done
  for cm in "1 1" "16 1" "16 16"; do
    set -- $cm
    load "$s" "$pid" "$N" "$1" "$2" "http://127.0.0.1:$p$LOGS" -d "$TMP/body.grpc" \
      -H 'content-type: application/grpc' -H 'te: trailers'
  done
  kill "$pid"
done

# 2. the relay: gRPC vs HTTP/1.1, 100 records a request
"$PY" - "$TMP" <<'PYEOF'
import sys
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.common.v1.common_pb2 import AnyValue
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
recs = [LogRecord(time_unix_nano=1700000000000000000 + i,
                  body=AnyValue(string_value=f"record {i} " + "x" * 60)) for i in range(100)]
m = ExportLogsServiceRequest(resource_logs=[ResourceLogs(scope_logs=[ScopeLogs(log_records=recs)])]).SerializeToString()
open(sys.argv[1] + "/otlp.pb", "wb").write(m)
open(sys.argv[1] + "/otlp.grpc", "wb").write(b"\0" + len(m).to_bytes(4, "big") + m)
PYEOF
gp=$(port)
hp=$((gp + 1))
cat >"$TMP/relay.yaml" <<YAML
binding: log
log: {dir: $TMP/log, fsync: never}
listen: {events: "", otlp: "127.0.0.1:$hp", otlp_grpc: "127.0.0.1:$gp"}
ack: local
logging: {level: error}
YAML
"$B/cerelay" run -c "$TMP/relay.yaml" --print-addresses >"$TMP/relay.out" 2>&1 &
pid=$!
for _ in $(seq 100); do grep -q '^grpc' "$TMP/relay.out" 2>/dev/null && break; sleep 0.05; done
RN=$((N / 5))
echo
echo "| relay, 100 records/request | connections | streams each | req/s | µs CPU/req | succeeded |"
echo "|---|---|---|---|---|---|"
for cm in "1 1" "16 1" "16 8"; do
  set -- $cm
  load "OTLP/gRPC" "$pid" "$RN" "$1" "$2" "http://127.0.0.1:$gp$LOGS" -d "$TMP/otlp.grpc" \
    -H 'content-type: application/grpc' -H 'te: trailers'
  [ "$2" = 1 ] && load "OTLP/HTTP" "$pid" "$RN" "$1" 1 "http://127.0.0.1:$hp/v1/logs" --h1 \
    -d "$TMP/otlp.pb" -H 'content-type: application/x-protobuf'
done
kill "$pid"
