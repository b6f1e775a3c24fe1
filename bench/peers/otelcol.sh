#!/usr/bin/env bash
# bench/peers/otelcol.sh — OTLP/HTTP log ingest into Kafka: cerelay next to the OpenTelemetry
# Collector (otlpreceiver + batchprocessor + contrib kafkaexporter), same broker, same load.
#
#   bench/peers/otelcol.sh [BUILD_DIR]        (make bench-peers; docs/benchmarks.md)
#
# Builds the Collector once with its builder (OCB) from the Go module proxy into
# ~/.cache/cerelay/otelcol-VERSION (never into the repository), starts the test broker, then
# runs four setups one at a time, interleaved over ROUNDS rounds, each loaded by h2load (HTTP/1.1,
# closed loop) with the same OTLP/HTTP protobuf log export (100 records, 52 KB; and 1 record):
#   otelcol-b1000   batch send_batch_size/send_batch_max_size 1000, kafka lz4, acks all
#   otelcol-dflt    batch processor defaults (8192), otherwise the same
#   cerelay         `cerelay run`, binding kafka, ack remote, memory buffer, default governance
#   cerelay-catoff  the same with `catalog: {mode: off}`
# Each point gets a fresh process and a fresh topic. Delivered log records are counted in Kafka
# (the Collector's records are OTLP blobs: the log records inside are counted). CPU is
# utime+stime from /proc/PID/stat over the measured window, RSS is VmHWM.
# Environment: CER_PEERS_DURATION (20 s per point), CER_PEERS_ROUNDS (3), CER_PEERS_CONNS (16),
# CER_PEERS_THREADS (2), CER_PEERS_SETUPS ("otelcol-b1000 otelcol-dflt cerelay cerelay-catoff"),
# CER_PEERS_SIZES ("100 1"), CER_OTELCOL_VERSION (0.165.0), CER_KAFKA_BOOTSTRAP,
# CER_PEERS_BUFFER (cerelay's buffer: memory, the default here as the Collector's queue is in
# memory, or disk, the relay's own default, in a temporary directory),
# CER_PEERS_KEEP_TOPICS=1 (keep each point's topic; by default it is deleted once counted),
# CER_PEERS_RESULTS=FILE (keep the raw rows), CER_PEERS_REPORT=FILE (only print their summary).
# Exit status: 0 when everything ran; 1 when the Collector could not be built or started
# (the cerelay half is still measured and printed); 2 for usage errors.
set -euo pipefail

OTEL_VERSION=${CER_OTELCOL_VERSION:-0.165.0}
DURATION=${CER_PEERS_DURATION:-20}
WARMUP=${CER_PEERS_WARMUP:-3}
ROUNDS=${CER_PEERS_ROUNDS:-3}
CONNS=${CER_PEERS_CONNS:-16}
THREADS=${CER_PEERS_THREADS:-2}
SETUPS=${CER_PEERS_SETUPS:-otelcol-b1000 otelcol-dflt cerelay cerelay-catoff}
SIZES=${CER_PEERS_SIZES:-100 1}
BROKER=${CER_KAFKA_BOOTSTRAP:-127.0.0.1:9092}
KAFKA_STATE=${CER_KAFKA_STATE:-/tmp/cerelay-kafka}
BUFFER=${CER_PEERS_BUFFER:-memory}

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build=$(cd "${1:-$root/build}" 2>/dev/null && pwd) || { echo "otelcol.sh: no build directory ${1:-$root/build} (run make build)" >&2; exit 2; }
cerelay=$build/cerelay
: "${HOME:=/root}"
cache=$HOME/.cache/cerelay/otelcol-$OTEL_VERSION
otelcol=$cache/otelcol-cerelay-peer

say() { printf 'otelcol.sh: %s\n' "$*" >&2; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# The summary of a results file: medians over the rounds, ratios to the tuned Collector.
summary() { # results.tsv
awk -F'\t' -v dur="$DURATION" '
function median(key,    n, i, j, t, a) {
	n = split(vals[key], a, " ");
	for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	return n ? (n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2) : 0
}
{
	k = $1 SUBSEP $2;
	if (!(k in seen)) { seen[k] = 1; order[++no] = k }
	vals[k, "rps"] = vals[k, "rps"] " " $10 / dur;
	vals[k, "us"] = vals[k, "us"] " " ($10 > 0 ? $5 * 1e6 / $10 : 0);
	vals[k, "hwm"] = vals[k, "hwm"] " " $6 / 1024;
	vals[k, "kps"] = vals[k, "kps"] " " $9 / dur;
	vals[k, "bpr"] = vals[k, "bpr"] " " ($10 > 0 ? $11 / $10 : 0);
	vals[k, "disk"] = vals[k, "disk"] " " ($13 > 0 ? $15 / $13 : 0);
	vals[k, "log"] = vals[k, "log"] " " $16 / dur;
	vals[k, "cpu"] = vals[k, "cpu"] " " ($4 > 0 ? 100 * $5 / ($4 + 2) : 0);
	vals[k, "lat"] = vals[k, "lat"] " " ($18 + 0);
	vals[k, "bus"] = vals[k, "bus"] " " ($10 > 0 ? $19 * 1e6 / $10 : 0);
}
END {
	printf "%-15s %5s %12s %10s %6s %8s %9s %14s %13s %13s %11s %13s\n", "setup", "rec/req", "records/s", "us/record", "cpu%", "mean ms", "HWM MB",
		"kafka recs/s", "bytes/record", "disk B/record", "log B/s", "broker us/rec";
	for (i = 1; i <= no; i++) {
		split(order[i], kk, SUBSEP);
		k = order[i];
		rps[k] = median(k SUBSEP "rps"); us[k] = median(k SUBSEP "us");
		printf "%-15s %5s %12.0f %10.2f %6.0f %8.2f %9.1f %14.0f %13.0f %13.0f %11.0f %13.2f\n", kk[1], kk[2], rps[k], us[k],
			median(k SUBSEP "cpu"), median(k SUBSEP "lat"), median(k SUBSEP "hwm"), median(k SUBSEP "kps"), median(k SUBSEP "bpr"), median(k SUBSEP "disk"),
			median(k SUBSEP "log"), median(k SUBSEP "bus");
	}
	print "";
	print "ratios to otelcol-b1000 (records/s: higher is better; us/record: lower is better)";
	for (i = 1; i <= no; i++) {
		split(order[i], kk, SUBSEP);
		if (kk[1] !~ /^cerelay/) continue;
		b = "otelcol-b1000" SUBSEP kk[2];
		if (!(b in rps) || rps[b] == 0 || us[b] == 0) continue;
		printf "%-15s %5s   records/s %.2fx   us/record %.2fx\n", kk[1], kk[2], rps[order[i]] / rps[b], us[order[i]] / us[b];
	}
}' "$1"
}
# CER_PEERS_REPORT=FILE: print the summary of a results file kept with CER_PEERS_RESULTS.
if [ -n "${CER_PEERS_REPORT:-}" ]; then
	summary "$CER_PEERS_REPORT"
	exit 0
fi

work=$(mktemp -d /tmp/cerelay-peers-XXXXXX)
child=
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
	if [ -n "$child" ] && kill -0 "$child" 2>/dev/null; then
		kill -KILL "$child" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- 1. the Collector, built once per version into the cache ----
collector_ok=0
collector_why=
build_collector() {
	if [ -x "$otelcol" ] && "$otelcol" --version >/dev/null 2>&1; then
		say "Collector $OTEL_VERSION: cached at $otelcol (built in $(cat "$cache/build-seconds" 2>/dev/null || echo '?') s)"
		collector_ok=1
		return
	fi
	if ! command -v go >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		say "installing Debian's Go (golang-go)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q golang-go >/dev/null 2>&1 || true
	fi
	if ! command -v go >/dev/null 2>&1; then
		collector_why="no Go toolchain (apt-get install golang-go)"
		return
	fi
	# Debian's go.env says GOTOOLCHAIN=local; auto lets a Go older than the builder's go.mod
	# fetch the toolchain it names from the module proxy (or set GOTOOLCHAIN=goX.Y.Z).
	export GOTOOLCHAIN=${GOTOOLCHAIN:-auto}
	mkdir -p "$cache/bin"
	say "building the Collector $OTEL_VERSION with its builder (go: $(go version)); log: $cache/build.log"
	sed -e "s|OTEL_VERSION|$OTEL_VERSION|g" -e "s|OUTPUT_PATH|$cache/src|g" \
		"$root/bench/peers/otelcol-builder.yaml" >"$cache/manifest.yaml"
	local t0 t1
	t0=$(date +%s)
	# GOTOOLCHAIN=goX.Y.Z lets an older go fetch a newer toolchain from the module proxy.
	if GOBIN=$cache/bin go install "go.opentelemetry.io/collector/cmd/builder@v$OTEL_VERSION" \
		>"$cache/build.log" 2>&1 &&
		timeout 3600 "$cache/bin/builder" --config "$cache/manifest.yaml" >>"$cache/build.log" 2>&1 &&
		cp "$cache/src/otelcol-cerelay-peer" "$otelcol.tmp" && mv "$otelcol.tmp" "$otelcol"; then
		t1=$(date +%s)
		echo $((t1 - t0)) >"$cache/build-seconds"
		say "Collector built in $((t1 - t0)) s: $otelcol"
		collector_ok=1
	else
		collector_why="the build failed: $({ grep -m3 -iE 'error|fail|not found|invalid' "$cache/build.log" || tail -n3 "$cache/build.log"; } | tr '\n' ' ' | cut -c1-400) (full log: $cache/build.log)"
	fi
}
case " $SETUPS " in *" otelcol-"*) build_collector ;; esac
if [ "$collector_ok" != 1 ] && [ -n "$collector_why" ]; then
	say "THE COLLECTOR CANNOT BE BUILT HERE: $collector_why"
	say "measuring the cerelay half only"
fi

# ---- 2. the broker, cerelay, the helpers and the payloads ----
[ -x "$cerelay" ] || { say "no $cerelay (run make build)"; exit 2; }
command -v h2load >/dev/null 2>&1 || { say "no h2load (scripts/deps.sh bench installs nghttp2-client)"; exit 2; }
if [ -z "${CER_KAFKA_BOOTSTRAP:-}" ]; then
	"$root/scripts/kafka.sh" start >/dev/null
fi
mkdir -p "$build/peers"
peerkit=$build/peers/peerkit
if [ ! -x "$peerkit" ] || [ "$root/bench/peers/peerkit.c" -nt "$peerkit" ]; then
	# shellcheck disable=SC2046
	cc -O2 -std=c11 -D_GNU_SOURCE -Wall -Wextra -o "$peerkit" "$root/bench/peers/peerkit.c" \
		$(pkg-config --cflags --libs rdkafka)
fi
for n in $SIZES; do
	bytes=$("$peerkit" payload "$n" "$work/logs-$n.pb")
	say "payload: $n log record(s) per request, $bytes bytes (OTLP/HTTP protobuf)"
done

# A free TCP port on 127.0.0.1 below 32768.
free_port() {
	local p used
	used=$(ss -Htan 2>/dev/null | awk '{print $4}' | sed 's/.*://' | sort -u)
	for _ in $(seq 200); do
		p=$((20000 + RANDOM % 12000))
		grep -qx "$p" <<<"$used" || { echo "$p"; return; }
	done
	return 1
}

write_config() { # setup port topic file
	local setup=$1 port=$2 topic=$3 file=$4 batch
	case $setup in
	otelcol-*)
		batch="batch: {}"
		[ "$setup" = otelcol-b1000 ] && batch="batch:
    send_batch_size: 1000
    send_batch_max_size: 1000"
		cat >"$file" <<EOF
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:$port
processors:
  $batch
exporters:
  kafka:
    brokers: ["$BROKER"]
    logs:
      topic: $topic
      encoding: otlp_proto
    producer:
      compression: lz4
      required_acks: -1
service:
  telemetry:
    logs:
      level: warn
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [kafka]
EOF
		;;
	cerelay*)
		cat >"$file" <<EOF
listen:
  events: ""
  otlp: 127.0.0.1:$port
  otlp_grpc: ""
binding: kafka
kafka:
  brokers: ["$BROKER"]
  topic: $topic
ack: remote
EOF
		if [ "$BUFFER" = disk ]; then
			printf 'buffer:\n  type: disk\n  dir: %s/buffer-%s\n' "$work" "$port" >>"$file"
		else
			printf 'buffer:\n  type: memory\n' >>"$file"
		fi
		[ "$setup" = cerelay-catoff ] && printf 'catalog:\n  mode: off\n' >>"$file"
		;;
	esac
}

start_setup() { # setup config log -> sets child (run from $work: nothing lands in the repo)
	cd "$work"
	case $1 in
	otelcol-*) "$otelcol" --config "file:$2" >"$3" 2>&1 & ;;
	cerelay*) "$cerelay" run -c "$2" >"$3" 2>&1 & ;;
	esac
	child=$!
	cd "$root"
}

stop_child() {
	[ -n "$child" ] || return 0
	kill -TERM "$child" 2>/dev/null || true
	for _ in $(seq 150); do
		kill -0 "$child" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$child" 2>/dev/null || true
	wait "$child" 2>/dev/null || true
	child=
}

cpu_ticks() { # utime + stime of a pid, in clock ticks
	sed 's/.*) //' "/proc/$1/stat" | awk '{print $12 + $13}'
}

# The broker's CPU (the JVM of scripts/kafka.sh), to price one Kafka record per event; 0 if unknown.
broker_ticks() {
	local pid
	pid=$(cat "$KAFKA_STATE/kafka.pid" 2>/dev/null || true)
	if [ -n "$pid" ] && [ -r "/proc/$pid/stat" ]; then cpu_ticks "$pid"; else echo 0; fi
}

sum_offsets() { awk '{s += $2} END {print s + 0}' "$1"; }

results=$work/results.tsv
: >"$results"
hz=$(getconf CLK_TCK)

# One point: a fresh process and topic, a warm-up, DURATION s of load, counts from Kafka.
run_point() { # setup size round
	local setup=$1 size=$2 round=$3 port topic cfg log st mode
	port=$(free_port)
	topic=cerelay-peers-$$-$setup-$size-r$round
	cfg=$work/$setup-$size-$round.yaml
	log=$work/$setup-$size-$round.log
	write_config "$setup" "$port" "$topic" "$cfg"
	start_setup "$setup" "$cfg" "$log"
	local url=http://127.0.0.1:$port/v1/logs body=$work/logs-$size.pb
	st=000
	for _ in $(seq 120); do
		st=$(curl -s -o /dev/null -w '%{http_code}' --max-time 10 -H 'Content-Type: application/x-protobuf' \
			--data-binary "@$body" "$url" || true)
		case $st in 2??) break ;; esac
		kill -0 "$child" 2>/dev/null || break
		sleep 0.25
	done
	case $st in 2??) ;; *)
		say "$setup: no 2xx on $url (last status $st); log: $(tail -c 600 "$log" | tr '\n' ' ')"
		stop_child
		return 1
		;;
	esac
	# The topic exists once the first export reached Kafka (auto-created on first use).
	for _ in $(seq 60); do
		"$peerkit" snap "$BROKER" "$topic" >"$work/snap" 2>/dev/null && [ "$(sum_offsets "$work/snap")" -gt 0 ] && break
		sleep 0.5
	done
	local h2=(h2load --h1 -t "$THREADS" -c "$CONNS" -d "$body" -H 'Content-Type: application/x-protobuf')
	timeout $((WARMUP + 30)) "${h2[@]}" -D "$WARMUP" "$url" >/dev/null 2>&1 || true
	sleep 1
	"$peerkit" snap "$BROKER" "$topic" >"$work/before" 2>/dev/null || : >"$work/before"
	local c0 c1 b0 b1 t0 t1 log0 log1
	log0=$(wc -c <"$log")
	c0=$(cpu_ticks "$child")
	b0=$(broker_ticks)
	t0=$(date +%s.%N)
	timeout $((DURATION + 30)) "${h2[@]}" -D "$DURATION" "$url" >"$work/h2load.out" 2>&1 || true
	t1=$(date +%s.%N)
	sleep 2 # the batch timeout (200 ms) and the producers' linger
	c1=$(cpu_ticks "$child")
	b1=$(broker_ticks)
	log1=$(wc -c <"$log")
	local hwm
	hwm=$(awk '/^VmHWM:/ {print $2}' "/proc/$child/status")
	stop_child
	mode=events
	case $setup in otelcol-*) mode=otlp ;; esac
	local cnt
	cnt=$("$peerkit" count "$BROKER" "$topic" "$work/before" "$mode" 2>"$work/count.err" | tr '\n' ' ') || true
	local req ok
	req=$(awk '/^requests:/ {print $8}' "$work/h2load.out")
	ok=$(awk '/^status codes:/ {print $3}' "$work/h2load.out")
	# Mean time per request in ms (h2load: "time for request: min max mean sd +/- sd").
	local lat
	lat=$(awk '/^time for request:/ { v = $6; m = 1;
		if (v ~ /us$/) m = 0.001; else if (v ~ /ms$/) m = 1; else if (v ~ /s$/) m = 1000;
		sub(/[a-z]+$/, "", v); printf "%.2f", v * m }' "$work/h2load.out")
	local disk
	# The segments' bytes on the broker (the .index files are preallocated, left out).
	disk=$(find "$KAFKA_STATE"/data/ -path "*/$topic-*" -name '*.log' -printf '%s\n' 2>/dev/null | awk '{s += $1} END {print s + 0}')
	# The topic is counted and measured: delete it (CER_PEERS_KEEP_TOPICS=1 keeps it).
	if [ "${CER_PEERS_KEEP_TOPICS:-0}" != 1 ]; then
		"$peerkit" delete "$BROKER" "$topic" >/dev/null 2>&1 || say "    could not delete topic $topic"
	fi
	# fields: setup size round secs cpu_s hwm_kb requests_2xx requests_done window_records
	#         window_logrecords window_bytes total_records total_logrecords total_bytes disk_bytes log_bytes load1
	#         mean_ms broker_cpu_s
	awk -v setup="$setup" -v size="$size" -v round="$round" -v t0="$t0" -v t1="$t1" \
		-v c0="$c0" -v c1="$c1" -v hz="$hz" -v hwm="${hwm:-0}" -v ok="${ok:-0}" -v req="${req:-0}" \
		-v cnt="$cnt" -v disk="$disk" -v logb=$((log1 - log0)) -v load="$(cut -d' ' -f1 /proc/loadavg)" -v lat="${lat:-0}" -v b0="$b0" -v b1="$b1" \
		'BEGIN {
			split(cnt, f, " ");
			printf "%s\t%s\t%s\t%.3f\t%.3f\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%.3f\n",
				setup, size, round, t1 - t0, (c1 - c0) / hz, hwm, ok, req,
				f[2] + 0, f[4] + 0, f[6] + 0, f[8] + 0, f[10] + 0, f[12] + 0, disk, logb, load, lat, (b1 - b0) / hz
		}' >>"$results"
	tail -n1 "$results" | awk -F'\t' -v dur="$DURATION" '{
		rps = $10 / dur; us = $10 > 0 ? $5 * 1e6 / $10 : 0;
		printf "%-15s %4s/req  round %s  %9.0f records/s  %6.2f us/record  HWM %7.1f MB  2xx %8s  mean %7.2f ms  kafka records %8s  load %s\n",
			$1, $2, $3, rps, us, $6 / 1024, $7, $18, $9, $17
	}'
	if [ -s "$work/count.err" ]; then sed 's/^/    /' "$work/count.err"; fi
	# Requests answered vs records that reached Kafka.
	awk -F'\t' '{ want = $7 * $2; if (want > 0 && ($10 < want * 0.99 || $10 > want * 1.01 + 2 * $2 * 32))
		printf "    note: %d requests x %d records = %d answered 2xx, %d log records counted in Kafka\n", $7, $2, want, $10 }' \
		<(tail -n1 "$results")
	if [ "$((log1 - log0))" -gt 100000 ]; then
		say "    $setup wrote $((log1 - log0)) bytes of log in $DURATION s: $(head -c 300 "$log" | head -n2 | tr '\n' ' ')"
	fi
}

# ---- 3. the rounds ----
say "broker $BROKER; cerelay buffer $BUFFER; $ROUNDS rounds x {$SETUPS} x {$SIZES} records/request; h2load --h1 $THREADS threads x $CONNS connections, ${DURATION} s per point (+${WARMUP} s warm-up)"
load_start=$(loadavg)
say "load average at start: $load_start ($(nproc) cores)"
failed=0
for round in $(seq "$ROUNDS"); do
	for setup in $SETUPS; do
		case $setup in otelcol-*) [ "$collector_ok" = 1 ] || continue ;; esac
		for size in $SIZES; do
			run_point "$setup" "$size" "$round" || failed=1
		done
	done
done
load_end=$(loadavg)

# ---- 4. the summary ----
echo
echo "OTLP/HTTP logs -> Kafka, medians of $ROUNDS rounds; load average $load_start at start, $load_end at end ($(nproc) cores)"
summary "$results"
if [ -n "${CER_PEERS_RESULTS:-}" ]; then cp "$results" "$CER_PEERS_RESULTS"; fi
if [ "$collector_ok" != 1 ] && case " $SETUPS " in *" otelcol-"*) true ;; *) false ;; esac; then
	say "THE COLLECTOR WAS NOT MEASURED: ${collector_why:-it did not start}"
	exit 1
fi
exit "$failed"
