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
