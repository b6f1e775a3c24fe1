#!/usr/bin/env bash
# Tests for `cerelay replay` (src/cli/cmd_replay.c, src/cli/replay_kafka.c, src/cli/source_*.c)
# on the local log and the real Kafka broker: offset and time ranges compared id by id, resume
# after SIGKILL, --filter, --rate, --count.
. "$(dirname "$0")/lib.sh"
command -v jq >/dev/null || { fail "jq is needed by these tests"; exit 1; }

# "PARTITION OFFSET ID" for every record of a topic, from `tail --format pretty`.
records() { # SOURCE-ARGS...
  "$CERELAY" tail "$@" --format pretty |
    awk '/^--- /{split($2, a, "/"); split(a[length(a)], b, "@"); p=b[1]; o=b[2]}
         /^  id /{print p, o, $2}'
}
# Select the ids of records with partition P and FROM <= offset <= TO from a records listing.
select_range() { # LISTING P FROM TO
  awk -v p="$2" -v f="$3" -v t="$4" '$1==p && $2>=f && $2<=t {print $3}' <<<"$1"
}
# Wait (<= 10 s) until consumer group G has committed something, per `cerelay lag`.
wait_committed() { # LAG-SOURCE-ARGS... (ending with --group G)
  local n
  for _ in $(seq 1 100); do
    n=$("$CERELAY" lag "$@" --json 2>/dev/null | jq '[.partitions[].committed_offset]|add // 0')
    [ "${n:-0}" -gt 0 ] && return 0
    sleep 0.1
  done
  fail "group never committed: $*"
}
# N events on keys k0..k9 (N per key), optional extra send args.
send_keys() { # N DEST... [-- EXTRA]
  local n=$1; shift
  for i in $(seq 0 9); do
    "$CERELAY" send "$@" --type "type.$((i % 3))" --source /s --subject "k$i" --count "$n" -q ||
      fail "send failed"
  done
}

case_log_offset_range_ids() {
  L="$TMP/log"
  send_keys 3 --log "$L" --topic a --partitions 3
  all=$(records --log "$L" --topic a)
  expect_eq "$(wc -l <<<"$all")" 30
  expect_run 0 "$CERELAY" replay --from-log "$L" --topic a --offsets 0:2-5,2:0-3 --stdout
  want=$( (select_range "$all" 0 2 5; select_range "$all" 2 0 3) | sort)
  got=$(jq -r .id <<<"$OUT" | sort)
  [ -n "$want" ] || fail "empty selection"
  expect_eq "$got" "$want"
  expect_contains "$ERR" "replayed $(wc -l <<<"$want") of"
  # FROM-TO on every partition, and an open end
  expect_run 0 "$CERELAY" replay --from-log "$L" --topic a --offsets 1- --stdout -q
  want=$(for p in 0 1 2; do select_range "$all" "$p" 1 999; done | sort)
  expect_eq "$(jq -r .id <<<"$OUT" | sort)" "$want"
}

case_log_to_log_keeps_order_and_ids() {
  L="$TMP/log"
  send_keys 5 --log "$L" --topic a --partitions 2
  expect_run 0 "$CERELAY" replay --from-log "$L" --topic a --log "$TMP/copy" --to-topic b -q
  src=$("$CERELAY" tail --log "$L" --topic a | jq -r '"\(.subject) \(.id)"')
  dst=$("$CERELAY" tail --log "$TMP/copy" --topic b | jq -r '"\(.subject) \(.id)"')
  # per key, the same ids in the same order
  for k in k0 k3 k9; do
    expect_eq "$(grep "^$k " <<<"$dst")" "$(grep "^$k " <<<"$src")"
  done
  expect_eq "$(sort <<<"$dst")" "$(sort <<<"$src")"
}

case_log_time_range_broker_and_event() {
  L="$TMP/log"
  "$CERELAY" send --log "$L" --topic t --type t --source /s --time 2026-01-01T00:00:00Z --count 3 -q
  sleep 1.1
  t1=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
  sleep 0.05
  "$CERELAY" send --log "$L" --topic t --type t --source /s --time 2026-01-02T00:00:00Z --count 4 -q
  sleep 1.1
  t2=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
  sleep 0.05
  "$CERELAY" send --log "$L" --topic t --type t --source /s --time 2026-01-03T00:00:00Z --count 2 -q
  all=$(records --log "$L" --topic t)
  expect_run 0 "$CERELAY" replay --from-log "$L" --topic t --since "$t1" --until "$t2" --stdout
  expect_eq "$(jq -r .id <<<"$OUT")" "$(select_range "$all" 0 3 6)"
  # event time: the CloudEvents `time` attribute decides, not the append time
  expect_run 0 "$CERELAY" replay --from-log "$L" --topic t --time-source event \
    --since 2026-01-01T12:00:00Z --stdout
  expect_eq "$(jq -r .id <<<"$OUT")" "$(select_range "$all" 0 3 8)"
  expect_contains "$ERR" "3 filtered out"
  expect_run 0 "$CERELAY" replay --from-log "$L" --topic t --time-source event \
    --until 2026-01-02T00:00:00Z --stdout -q
  expect_eq "$(jq -r .id <<<"$OUT")" "$(select_range "$all" 0 0 2)"
}

case_log_filter_and_count() {
  L="$TMP/log"
  send_keys 2 --log "$L" --topic f
  expect_run 0 "$CERELAY" replay --from-log "$L" --topic f --stdout \
    --filter "type = 'type.1' AND subject <> 'k4'"
  want=$("$CERELAY" tail --log "$L" --topic f | jq -r 'select(.type=="type.1" and .subject!="k4")|.id')
  expect_eq "$(jq -r .id <<<"$OUT")" "$want"
  expect_eq "$(jq -r .type <<<"$OUT" | sort -u)" "type.1"
  expect_run 0 "$CERELAY" replay --from-log "$L" --topic f --stdout --count 7
  expect_eq "$(wc -l <<<"$OUT")" 7
}

case_log_rate() {
  L="$TMP/log"
  "$CERELAY" send --log "$L" --topic r --type t --source /s --count 150 -q
  expect_run 0 "$CERELAY" replay --from-log "$L" --topic r --log "$TMP/dst" --rate 100 -q
  # the measured rate: records over the span of the destination's append timestamps
  ts=$("$CERELAY" tail --log "$TMP/dst" --topic r --format pretty | awk '/^--- /{print $NF}')
  expect_eq "$(wc -l <<<"$ts")" 150
  first=$(date -d "$(head -n 1 <<<"$ts")" +%s.%N)
  last=$(date -d "$(tail -n 1 <<<"$ts")" +%s.%N)
  rate=$(echo "149 / ($last - $first)" | bc -l)
  echo "measured rate: $rate ev/s (asked 100)"
  [ "$(echo "$rate >= 90 && $rate <= 110" | bc)" = 1 ] || fail "measured rate $rate, wanted 100 +-10%"
}

case_log_resume_after_sigkill() {
  L="$TMP/log"
  send_keys 30 --log "$L" --topic k --partitions 3
  "$CERELAY" replay --from-log "$L" --topic k --log "$TMP/dst" --group rg --rate 100 -q \
    2>"$TMP/r1.err" &
  pid=$!
  wait_committed --log "$L" --group rg
  sleep 0.3
  kill -9 $pid
  wait $pid 2>/dev/null
  n1=$("$CERELAY" tail --log "$TMP/dst" --topic k | wc -l)
  [ "$n1" -gt 0 ] && [ "$n1" -lt 300 ] || fail "first run copied $n1 of 300 before the kill"
  expect_run 0 "$CERELAY" replay --from-log "$L" --topic k --log "$TMP/dst" --group rg
  src=$("$CERELAY" tail --log "$L" --topic k | jq -r .id | sort)
  dst=$("$CERELAY" tail --log "$TMP/dst" --topic k | jq -r .id | sort)
  # no gaps: every source id is there; copies repeat at most the last checkpoint (1 s)
  expect_eq "$(sort -u <<<"$dst")" "$src"
  dups=$(($(wc -l <<<"$dst") - 300))
  [ "$dups" -le 150 ] || fail "$dups duplicates, more than one checkpoint"
  expect_run 0 "$CERELAY" replay --from-log "$L" --topic k --log "$TMP/dst" --group rg
  expect_contains "$ERR" "replayed 0 of 0"
}

case_log_to_http_commits_only_acknowledged() {
  L="$TMP/log"
  send_keys 1 --log "$L" --topic h
  all=$(records --log "$L" --topic h)
  # a destination that refuses: nothing is committed, exit 1 naming the reason
  start_stub 400
  expect_run 1 "$CERELAY" replay --from-log "$L" --topic h --offsets 0:2-6 --http "$STUB_URL" \
    --group hg
  expect_contains "$ERR" "400"
  kill $STUB_PID; wait $STUB_PID 2>/dev/null
  expect_run 0 "$CERELAY" lag --log "$L" --json
  expect_eq "$(jq '[.partitions[]|select(.group=="hg")]|length' <<<"$OUT")" 0
  # a destination that accepts: the whole range, one request per event, ids in order
  start_stub 202
  expect_run 0 "$CERELAY" replay --from-log "$L" --topic h --offsets 0:2-6 --http "$STUB_URL" \
    --group hg
  expect_eq "$(stub_requests)" 5
  got=$(for i in 0 1 2 3 4; do jq -r .id "$STUB_DIR/$i.body"; done)
  expect_eq "$got" "$(select_range "$all" 0 2 6)"
  expect_run 0 "$CERELAY" lag --log "$L" --group hg --json
  expect_eq "$(jq '.partitions[0].committed_offset' <<<"$OUT")" 7
}

case_replay_errors() {
  expect_run 2 "$CERELAY" replay --stdout
  expect_run 2 "$CERELAY" replay --from-log "$TMP/x" --topic a
  expect_contains "$ERR" "exactly one of"
  mkdir -p "$TMP/l"
  "$CERELAY" send --log "$TMP/l" --topic a --type t --source /s -q
  expect_run 2 "$CERELAY" replay --from-log "$TMP/l" --topic a --stdout --offsets 5:1-2
  expect_contains "$ERR" "partition 5 does not exist"
  expect_run 2 "$CERELAY" replay --from-log "$TMP/l" --topic a --stdout --offsets 0:4-2
  expect_contains "$ERR" "TO must be"
  expect_run 2 "$CERELAY" replay --from-log "$TMP/l" --topic a --stdout --since yesterday
  expect_contains "$ERR" "--since"
  expect_run 2 "$CERELAY" replay --from-log "$TMP/l" --topic a --kafka 127.0.0.1:1 --mode structured
  expect_contains "$ERR" "as they are"
  expect_run 2 "$CERELAY" replay --from-log "$TMP/l" --topic a --stdout --rate 0
  expect_run 0 "$CERELAY" replay --help
  expect_contains "$OUT" "Exit status"
}

case_kafka_offset_range_keeps_partitions() {
  need_kafka
  T=$(fresh_topic rps)
  send_keys 4 --kafka "$BOOT" --topic "$T"
  all=$(records --kafka "$BOOT" --topic "$T")
  expect_eq "$(wc -l <<<"$all")" 40
  expect_run 0 "$CERELAY" replay --from-kafka "$BOOT" --topic "$T" --offsets 0:1-6,1:0-2 \
    --kafka "$BOOT" --to-topic "$T.copy"
  got=$(records --kafka "$BOOT" --topic "$T.copy")
  # same partition, same order, id by id
  expect_eq "$(awk '$1==0{print $3}' <<<"$got")" "$(select_range "$all" 0 1 6)"
  expect_eq "$(awk '$1==1{print $3}' <<<"$got")" "$(select_range "$all" 1 0 2)"
  expect_eq "$(awk '$1==2' <<<"$got")" ""
}

case_kafka_time_range() {
  need_kafka
  T=$(fresh_topic rpt)
  send_keys 1 --kafka "$BOOT" --topic "$T"
  sleep 1.1
  t1=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
  sleep 0.05
  send_keys 2 --kafka "$BOOT" --topic "$T"
  sleep 1.1
  t2=$(date -u +%Y-%m-%dT%H:%M:%S.%3NZ)
  sleep 0.05
  send_keys 1 --kafka "$BOOT" --topic "$T"
  src=$("$CERELAY" tail --kafka "$BOOT" --topic "$T" --offset "@$t1" | jq -r .id)
  # the middle batch: tail from t1, minus what came after t2
  after=$("$CERELAY" tail --kafka "$BOOT" --topic "$T" --offset "@$t2" | jq -r .id)
  want=$(grep -vxF -f <(echo "$after") <<<"$src" | sort)
  expect_eq "$(wc -l <<<"$want")" 20
  expect_run 0 "$CERELAY" replay --from-kafka "$BOOT" --topic "$T" --since "$t1" --until "$t2" \
    --stdout
  expect_eq "$(jq -r .id <<<"$OUT" | sort)" "$want"
  # --filter on the Kafka source: only k3's events, all 4 of them
  expect_run 0 "$CERELAY" replay --from-kafka "$BOOT" --topic "$T" --filter "subject = 'k3'" \
    --stdout
  expect_eq "$(jq -r .id <<<"$OUT" | sort)" \
    "$("$CERELAY" tail --kafka "$BOOT" --topic "$T" | jq -r 'select(.subject=="k3")|.id' | sort)"
  expect_eq "$(wc -l <<<"$OUT")" 4
}

case_kafka_resume_after_sigkill_exactly_once() {
  need_kafka
  T=$(fresh_topic rpk)
  send_keys 30 --kafka "$BOOT" --topic "$T"
  G="rg-$T"
  "$CERELAY" replay --from-kafka "$BOOT" --topic "$T" --kafka "$BOOT" --to-topic "$T.copy" \
    --group "$G" --rate 100 -q 2>"$TMP/r1.err" &
  pid=$!
  wait_committed --kafka "$BOOT" --group "$G"
  sleep 0.3
  kill -9 $pid
  wait $pid 2>/dev/null
  expect_run 0 "$CERELAY" lag --kafka "$BOOT" --group "$G" --json
  done1=$(jq '[.partitions[].committed_offset]|add' <<<"$OUT")
  [ "${done1:-0}" -gt 0 ] && [ "$done1" -lt 300 ] || fail "first run committed $done1 of 300"
  expect_run 0 "$CERELAY" replay --from-kafka "$BOOT" --topic "$T" --kafka "$BOOT" \
    --to-topic "$T.copy" --group "$G"
  src=$("$CERELAY" tail --kafka "$BOOT" --topic "$T" | jq -r .id | sort)
  dst=$("$CERELAY" tail --kafka "$BOOT" --topic "$T.copy" | jq -r .id | sort)
  expect_eq "$(wc -l <<<"$src")" 300
  # exactly once: every id, none twice (read_committed sees only committed transactions)
  expect_eq "$dst" "$src"
}

run_case "$@"
