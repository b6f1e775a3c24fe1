#!/usr/bin/env bash
# Tests for `cerelay lag` (src/cli/cmd_lag.c, src/cli/lag.c, src/cli/source_*_lag.c) on the
# local log and on the real Kafka broker; offsets are checked against Kafka's own
# kafka-consumer-groups tool (ConsumerGroupCommand), time lag against events with known times.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { fail "jq is needed by these tests"; exit 1; }

now_s() { date +%s.%N; }
# RFC 3339 time N seconds ago.
ago() { date -u -d "@$(echo "$(date +%s.%N) - $1" | bc)" +%Y-%m-%dT%H:%M:%S.%3NZ; }
# in_range VALUE LO HI: LO <= VALUE <= HI (decimals)
in_range() {
  [ "$(echo "$1 >= $2 && $1 <= $3" | bc)" = 1 ] || fail "$4: $1 not in [$2, $3]"
}
# A free TCP port below 32768.
free_port() {
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 12000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
  echo 0
}

# Kafka's own tool: kafka-consumer-groups.sh --describe, i.e. ConsumerGroupCommand from the
# kafka-tools jar next to the test broker's jars (fetched once with mvn, like scripts/kafka.sh).
KAFKA_LIB=${CER_KAFKA_CACHE:-$HOME/.cache/cerelay/kafka-3.9.1}/lib
TOOLS_DIR=$HOME/.cache/cerelay/kafka-tools-3.9.1
consumer_groups() {
  if [ ! -f "$TOOLS_DIR/kafka-tools-3.9.1.jar" ]; then
    mkdir -p "$TOOLS_DIR"
    (cd "$TMP" && mvn -B -ntp -q -Dmaven.repo.local="$KAFKA_LIB/../m2" \
      org.apache.maven.plugins:maven-dependency-plugin:3.6.1:copy \
      -Dartifact=org.apache.kafka:kafka-tools:3.9.1 -DoutputDirectory="$TOOLS_DIR" </dev/null) \
      >/dev/null 2>&1 || { fail "cannot fetch kafka-tools 3.9.1 with mvn"; exit 1; }
  fi
  java -Xmx256m -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -cp "$KAFKA_LIB/*:$TOOLS_DIR/*" \
    -Dlog4j.configuration=file:/dev/null \
    org.apache.kafka.tools.consumer.group.ConsumerGroupCommand "$@" 2>/dev/null
}

# Spread N events over keys k0..k9 with the given time.
send_spread() { # DEST... -- N TIME
  local n=$1 t=$2; shift 2
  for i in $(seq 0 9); do
    "$CERELAY" send "$@" --type t --source /s --subject "k$i" --time "$t" --count "$n" -q ||
      fail "send failed"
  done
}

case_log_offsets_and_time() {
  L="$TMP/log"
  t0=$(ago 100)
  send_spread 3 "$t0" --log "$L" --topic a --partitions 3
  "$CERELAY" tail --log "$L" --topic a --group g1 --count 7 >/dev/null
  "$CERELAY" tail --log "$L" --topic a --group g2 >/dev/null
  before=$(now_s)
  expect_run 0 "$CERELAY" lag --log "$L" --json
  after=$(now_s)
  # offsets: the same numbers tail saw; g1 consumed 7 of 30, g2 everything
  expect_eq "$(jq '[.partitions[]|select(.group=="g1")|.lag_records]|add' <<<"$OUT")" 23
  expect_eq "$(jq '[.partitions[]|select(.group=="g2")|.lag_records]|add' <<<"$OUT")" 0
  expect_eq "$(jq '[.partitions[]|select(.group=="g1")|.end_offset]|add' <<<"$OUT")" 30
  expect_eq "$(jq '[.partitions[]|select(.group=="g1")|.committed_offset]|add' <<<"$OUT")" 7
  # event lag of a lagging partition = now - t0 (100 s ago when sent), within a second
  ev=$(jq '[.partitions[]|select(.group=="g1" and .lag_records>0)|.event_lag_seconds]|max' <<<"$OUT")
  t0s=$(date -d "$t0" +%s.%N)
  in_range "$ev" "$(echo "$before - $t0s - 1" | bc)" "$(echo "$after - $t0s + 1" | bc)" "event lag"
  # record-time lag: records were appended just now, so it is small, and 0 where caught up
  tl=$(jq '[.partitions[]|select(.group=="g1" and .lag_records>0)|.lag_seconds]|max' <<<"$OUT")
  in_range "$tl" 0 10 "record lag"
  expect_eq "$(jq '[.partitions[]|select(.group=="g2")|.lag_seconds]|max' <<<"$OUT")" 0
  # the table has the same numbers
  expect_run 0 "$CERELAY" lag --log "$L" --group g1 --topic a
  expect_eq "$(awk 'NR>1{s+=$6} END{print s}' <<<"$OUT")" 23
  expect_contains "$OUT" "EVENT-LAG"
}

case_log_max_lag_exit() {
  L="$TMP/log"
  send_spread 1 "$(ago 30)" --log "$L" --topic m
  "$CERELAY" tail --log "$L" --topic m --group slow --count 2 >/dev/null
  "$CERELAY" tail --log "$L" --topic m --group fast >/dev/null
  sleep 1.2
  expect_run 1 "$CERELAY" lag --log "$L" --max-lag-seconds 1
  expect_contains "$ERR" "group 'slow' topic 'm' partition 0"
  expect_run 0 "$CERELAY" lag --log "$L" --max-lag-seconds 60
  expect_run 0 "$CERELAY" lag --log "$L" --group fast --max-lag-seconds 0.5
  expect_run 1 "$CERELAY" lag --log "$L" --max-lag-seconds 20 --time-source event
  expect_run 0 "$CERELAY" lag --log "$L" --max-lag-seconds 40 --time-source event
}

case_log_watch_lines() {
  L="$TMP/log"
  "$CERELAY" send --log "$L" --topic w --type t --source /s --count 5 -q
  "$CERELAY" tail --log "$L" --topic w --group wg --count 1 >/dev/null
  "$CERELAY" lag --log "$L" --watch 0.3 >"$TMP/watch.out" 2>&1 &
  pid=$!
  sleep 0.5
  "$CERELAY" send --log "$L" --topic w --type t --source /s --count 20 -q
  # wait (<= 10 s) for a pass that saw the 20 new events arrive: a produce rate > 0
  for _ in $(seq 1 100); do
    awk '$1=="wg" && $10+0 > 0 {found=1} END{exit !found}' "$TMP/watch.out" && break
    sleep 0.1
  done
  kill -INT $pid
  wait $pid || fail "lag --watch exited $?"
  n=$(grep -c '^GROUP' "$TMP/watch.out")
  [ "$n" -ge 2 ] || fail "expected >= 2 tables, got $n"
  grep -q 'CONSUME/s' "$TMP/watch.out" || fail "no rate columns"
  awk '$1=="wg" && $10+0 > 0 {found=1} END{exit !found}' "$TMP/watch.out" ||
    { fail "no produce rate seen"; cat "$TMP/watch.out" >&2; }
  # non-TTY output: one timestamp line per pass, no escape sequences
  grep -q $'\033' "$TMP/watch.out" && fail "escape sequences in piped output"
  grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' "$TMP/watch.out" || fail "no pass timestamps"
}

case_log_prometheus() {
  L="$TMP/log"
  "$CERELAY" send --log "$L" --topic p --type t --source /s --count 9 -q
  "$CERELAY" tail --log "$L" --topic p --group pg --count 4 >/dev/null
  port=$(free_port)
  "$CERELAY" lag --log "$L" --prometheus "127.0.0.1:$port" --watch 0.2 >/dev/null 2>"$TMP/prom.err" &
  pid=$!
  body=""
  for _ in $(seq 1 50); do
    body=$(curl -s "http://127.0.0.1:$port/metrics") && [ -n "$body" ] && break
    sleep 0.1
  done
  kill -TERM $pid
  wait $pid
  expect_contains "$body" 'cerelay_group_lag_records{group="pg",topic="p",partition="0"} 5'
  expect_contains "$body" '# TYPE cerelay_group_lag_seconds gauge'
  expect_contains "$body" 'cerelay_group_lag_seconds{group="pg",topic="p",partition="0"}'
  expect_contains "$body" 'cerelay_group_committed_offset{group="pg",topic="p",partition="0"} 4'
  expect_contains "$body" 'cerelay_group_end_offset{group="pg",topic="p",partition="0"} 9'
}

case_lag_errors() {
  expect_run 2 "$CERELAY" lag
  expect_run 2 "$CERELAY" lag --log "$TMP/none"
  expect_contains "$ERR" "cannot open directory"
  mkdir -p "$TMP/l"
  expect_run 2 "$CERELAY" lag --log "$TMP/l" --group nosuch
  expect_contains "$ERR" "no group 'nosuch'"
  expect_run 2 "$CERELAY" lag --log "$TMP/l" --max-lag-seconds x
  expect_contains "$ERR" "--max-lag-seconds"
  expect_run 2 "$CERELAY" lag --log "$TMP/l" --prometheus nonsense
  # an unreachable cluster is an error (exit 2) naming the request, not an empty answer
  expect_run 2 "$CERELAY" lag --kafka 127.0.0.1:1 --timeout 0.5
  expect_contains "$ERR" "listing consumer groups"
  expect_run 2 "$CERELAY" lag --kafka 127.0.0.1:1 --timeout 0.5 --group g
  expect_contains "$ERR" "group 'g'"
  expect_run 0 "$CERELAY" lag --help
  expect_contains "$OUT" "exit status"
}

case_kafka_offsets_match_kafka_tool() {
  need_kafka
  T=$(fresh_topic lag)
  G="g-$T"
  send_spread 4 "$(ago 10)" --kafka "$BOOT" --topic "$T"
  "$CERELAY" tail --kafka "$BOOT" --topic "$T" --group "$G" --count 13 >/dev/null
  expect_run 0 "$CERELAY" lag --kafka "$BOOT" --group "$G"
  mine=$(awk 'NR>1{print $1, $2, $3, $4, $5, $6}' <<<"$OUT" | sort)
  theirs=$(consumer_groups --bootstrap-server "$BOOT" --describe --group "$G" |
    awk '$1=="'"$G"'"{print $1, $2, $3, $4, $5, $6}' | sort)
  [ -n "$theirs" ] || fail "kafka-consumer-groups printed nothing for $G"
  expect_eq "$mine" "$theirs"
  # discovered without --group: the same rows among all groups
  expect_run 0 "$CERELAY" lag --kafka "$BOOT" --topic "$T" --json
  expect_eq "$(jq -r '.partitions[]|"\(.group) \(.topic) \(.partition) \(.committed_offset) \(.end_offset) \(.lag_records)"' <<<"$OUT" | sort)" "$mine"
}

case_kafka_time_lag_and_exit() {
  need_kafka
  T=$(fresh_topic lagt)
  G="g-$T"
  t0=$(ago 100)
  p0=$(now_s)
  "$CERELAY" send --kafka "$BOOT" --topic "$T" --type t --source /s --subject one \
    --time "$t0" --count 10 -q
  p1=$(now_s)
  "$CERELAY" tail --kafka "$BOOT" --topic "$T" --group "$G" --count 4 >/dev/null
  sleep 1.5
  before=$(now_s)
  expect_run 0 "$CERELAY" lag --kafka "$BOOT" --group "$G" --json
  after=$(now_s)
  expect_eq "$(jq '.partitions|length' <<<"$OUT")" 1
  expect_eq "$(jq '.partitions[0].lag_records' <<<"$OUT")" 6
  t0s=$(date -d "$t0" +%s.%N)
  in_range "$(jq '.partitions[0].event_lag_seconds' <<<"$OUT")" \
    "$(echo "$before - $t0s - 1" | bc)" "$(echo "$after - $t0s + 1" | bc)" "event lag"
  in_range "$(jq '.partitions[0].lag_seconds' <<<"$OUT")" \
    "$(echo "$before - $p1 - 1" | bc)" "$(echo "$after - $p0 + 1" | bc)" "broker time lag"
  expect_run 1 "$CERELAY" lag --kafka "$BOOT" --group "$G" --max-lag-seconds 1
  expect_contains "$ERR" "group '$G'"
  expect_run 0 "$CERELAY" lag --kafka "$BOOT" --group "$G" --max-lag-seconds 60
  expect_run 1 "$CERELAY" lag --kafka "$BOOT" --group "$G" --max-lag-seconds 60 --time-source event
  # the group catches up: lag 0 and exit 0 even with a tight threshold
  "$CERELAY" tail --kafka "$BOOT" --topic "$T" --group "$G" >/dev/null
  expect_run 0 "$CERELAY" lag --kafka "$BOOT" --group "$G" --json --max-lag-seconds 0
  expect_eq "$(jq '.partitions[0].lag_records' <<<"$OUT")" 0
}

run_case "$@"
