#!/usr/bin/env bash
# Rebuild the seed corpus of fuzz_otlp from the OTLP test inputs: each seed is one mode byte
# (see fuzz_otlp.c) followed by a request body from tests/otlp/golden/.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
golden="$here/../../tests/otlp/golden"
out="$here/corpus"
mkdir -p "$out"
seed() { # seed NAME MODE FILE
  { printf "\\x$(printf %02x "$2")"; cat "$3"; } >"$out/$1"
}
seed logs_example_json 2 "$golden/logs_example.json"
seed logs_example_json_allow 18 "$golden/logs_example.json"
seed trace_example_json 3 "$golden/trace_example.json"
seed trace_example_json_all 11 "$golden/trace_example.json"
seed trace_example_json_det 43 "$golden/trace_example.json"
seed events_kvlist_array 2 "$golden/events_kvlist_array.json"
seed py_traces_pb 1 "$golden/py_traces.pb"
seed py_traces_pb_all 9 "$golden/py_traces.pb"
seed py_logs_pb_gz 4 "$golden/py_logs.pb.gz"
gzip -9cn "$golden/trace_example.json" >"$out/.tmp.gz"
seed trace_example_json_gz 7 "$out/.tmp.gz"
rm -f "$out/.tmp.gz"
