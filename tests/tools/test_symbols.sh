#!/usr/bin/env bash
# Every non-static symbol a static library defines carries its library's prefix (docs/design.md,
# "Conventions"): nm over each archive given as LIB=PATH, failing on any other name.
# Usage: test_symbols.sh cerelay_ce=/path/libcerelay_ce.a cerelay_log=... ...
set -u
NM=${NM:-nm}

# Allowed prefixes per library (a regular expression over the symbol name).
prefixes() {
  case "$1" in
  cerelay_ce) echo '^ce_' ;; # ce_ public, ce__ internal
  cerelay_base) echo '^(cerx_|cer_)' ;;
  # The otlp library compiles the protoc-c output for the OTLP protos (src/otlp/proto), whose
  # names protoc-c chooses: opentelemetry__proto__*. Generated code, not ours to rename.
  cerelay_otlp) echo '^(cer_|opentelemetry__proto__)' ;;
  *) echo '^cer_' ;; # cer_ public, cer__ internal, cer_log_ / cer_log__ for the log
  esac
}

fails=0 total=0
for arg in "$@"; do
  lib=${arg%%=*} path=${arg#*=}
  [ -f "$path" ] || { echo "FAIL: $lib: no archive at $path"; fails=$((fails + 1)); continue; }
  re=$(prefixes "$lib")
  # Defined, external symbols: text, data, bss, read-only, common, weak.
  # Sanitizers add their own: ASan's ODR indicator "__odr_asan.NAME" stands for NAME (checked as
  # NAME), and runtime hooks (__asan_*, __sancov_*, __tsan_*, __ubsan_*) are the compiler's.
  syms=$("$NM" -g --defined-only "$path" | awk 'NF == 3 && $2 ~ /^[TDBRCVWGS]$/ { print $3 }' |
    sed 's/^__odr_asan\.//' | grep -Ev '^__(asan|sancov|sanitizer|tsan|ubsan)' | sort -u)
  n=$(printf '%s\n' "$syms" | grep -c . || true)
  total=$((total + n))
  bad=$(printf '%s\n' "$syms" | grep -Ev "$re" | grep . || true)
  if [ -n "$bad" ]; then
    while IFS= read -r s; do
      echo "FAIL: $lib exports '$s' without its prefix ($re): rename it or make it static"
      fails=$((fails + 1))
    done <<<"$bad"
  fi
done
echo "$# libraries, $total external symbols checked, $fails without their prefix"
[ "$fails" -eq 0 ]
