#!/usr/bin/env bash
# The README as a user meets it: its console examples run as written (readme_examples.py), the
# files it names exist, its list of tools matches `cerelay --help`, and every command's --help
# states its exit statuses.
. "$(dirname "$0")/lib.sh"
ROOT=${CER_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}

case_examples_run_as_written() {
  expect_run 0 python3 "$(dirname "$0")/readme_examples.py" "$ROOT/README.md" "$CERELAY" "$ROOT"
  echo "$OUT"
  [ -z "$ERR" ] || echo "$ERR" >&2
}

# The examples that talk to Kafka, against the test broker (the README's 127.0.0.1:9092).
case_kafka_examples_run_as_written() {
  need_kafka
  [ "$BOOT" = 127.0.0.1:9092 ] || { fail "the README's examples use 127.0.0.1:9092, the broker is $BOOT"; return; }
  expect_run 0 python3 "$(dirname "$0")/readme_examples.py" --kafka "$ROOT/README.md" "$CERELAY" "$ROOT"
  echo "$OUT"
  [ -z "$ERR" ] || echo "$ERR" >&2
}

case_named_files_exist() {
  local f
  for f in $(grep -o 'examples/[A-Za-z0-9_./-]*[A-Za-z0-9]' "$ROOT/README.md" | sort -u); do
    [ -e "$ROOT/$f" ] || fail "README names $f, which does not exist"
  done
  for f in $(grep -o '(docs/[A-Za-z0-9_./-]*\.md)' "$ROOT/README.md" | tr -d '()' | sort -u); do
    [ -e "$ROOT/$f" ] || fail "README links $f, which does not exist"
  done
}

case_tools_list_is_complete() {
  local cmds c
  cmds=$("$CERELAY" --help | awk '/^commands:/ {on=1; next} on && /^  [a-z]/ {print $1} /^$/ && on {on=0}')
  [ -n "$cmds" ] || fail "no commands in cerelay --help"
  for c in $cmds; do
    grep -q "\`$c\`\|\`$c " "$ROOT/README.md" || fail "README's list of tools lacks '$c'"
  done
}

case_every_help_states_exit_status() {
  local cmds c
  cmds=$("$CERELAY" --help | awk '/^commands:/ {on=1; next} on && /^  [a-z]/ {print $1} /^$/ && on {on=0}')
  expect_run 0 "$CERELAY" --help
  expect_contains "$OUT" "exit status"
  for c in $cmds; do
    expect_run 0 "$CERELAY" "$c" --help
    grep -qi "exit status" <<<"$OUT" || fail "'cerelay $c --help' states no exit status"
    expect_eq "$ERR" ""
    # a usage error exits 2 and prints nothing on standard output; scorecard's 2 means red,
    # so its usage errors are 3, "could not run" (issue 15)
    if [ "$c" = scorecard ]; then
      expect_run 3 "$CERELAY" "$c" --no-such-option
    else
      expect_run 2 "$CERELAY" "$c" --no-such-option
    fi
    expect_eq "$OUT" ""
  done
  expect_run 0 "$CERELAY" run --help
  expect_contains "$OUT" "usage: cerelay run [-c FILE] [--print-addresses] [--ack-timeout MS]"
}

# An input that cannot be read is exit status 2 with nothing on standard output, in every
# command that reads one.
case_io_errors_exit_2_nothing_on_stdout() {
  local n=$TMP/nonexist
  local -a cmds=("validate $n" "send --stdout --file $n" "send --stdout --type t --source /s --data @$n"
    "tail --log $n --topic t" "sql --event $n true" "config check -c $n" "catalog validate $n"
    "catalog list --catalog $n" "run -c $n" "dry-run -c $n $n")
  local c
  for c in "${cmds[@]}"; do
    # shellcheck disable=SC2086
    expect_run 2 "$CERELAY" $c
    expect_eq "$OUT" ""
    expect_contains "$ERR" "nonexist"
    case "$ERR" in *"sent 0"* | *"ok:"*) fail "cerelay $c: a summary after the error: $ERR" ;; esac
  done
}

# examples/cerelay.yaml says it holds every key: at least every top-level section of the
# effective configuration is there.
case_example_config_has_every_section() {
  local k
  expect_run 0 "$CERELAY" config check --print
  for k in $(grep -o '^[a-z_]*:' <<<"$OUT" | tr -d :); do
    grep -q "^$k:" "$ROOT/examples/cerelay.yaml" || fail "examples/cerelay.yaml has no '$k:' section"
  done
}

run_case "$@"
