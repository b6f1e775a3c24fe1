#!/usr/bin/env bash
# scripts/opa.sh — a real Open Policy Agent for cerelay's policy tests and for developers.
# OPA is a Go program: it is built once from its module with `go install` into a cache dir.
#
#   scripts/opa.sh install    # build OPA once (several minutes, ~1 GB of Go module cache)
#   scripts/opa.sh path       # print the binary's path (exit 1 when not installed)
#   scripts/opa.sh start      # start a server with tests/gov/opa/*.rego, wait until healthy
#   scripts/opa.sh status     # exit 0 and print the URL when running
#   scripts/opa.sh env        # shell exports: eval "$(scripts/opa.sh env)"
#   scripts/opa.sh stop       # SIGTERM, bounded wait, SIGKILL; no-op when stopped
#
# The OPA tests (tests/gov/test_policy_opa.c) start their own server from `path` on a free
# port; `start` is for trying policies by hand (docs/policy.md).
set -euo pipefail

OPA_VERSION=${CER_OPA_VERSION:-v1.4.2}
script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$script_dir/.." && pwd)

: "${HOME:=$(getent passwd "$(id -u)" 2>/dev/null | cut -d: -f6)}"
: "${HOME:=/root}"
CACHE=${CER_OPA_CACHE:-$HOME/.cache/cerelay/opa-$OPA_VERSION}
STATE=${CER_OPA_STATE:-/tmp/cerelay-opa}
HOST=${CER_OPA_HOST:-127.0.0.1}
PORT=${CER_OPA_PORT:-8181}
POLICIES=${CER_OPA_POLICIES:-$root/tests/gov/opa}
BIN=$CACHE/bin/opa
PIDFILE=$STATE/opa.pid
URL=http://$HOST:$PORT

log() { printf 'opa.sh: %s\n' "$*" >&2; }
die() { printf 'opa.sh: error: %s\n' "$*" >&2; exit 1; }

usage() {
	cat <<USAGE
usage: scripts/opa.sh install|path|start|stop|status|env|--help

Open Policy Agent $OPA_VERSION, built from its Go module into $CACHE.
  install   go install github.com/open-policy-agent/opa@$OPA_VERSION (once; needs Go)
  path      print the binary's path; exit 1 when not installed
  start     install if needed, run 'opa run --server' on $URL with the policies in
            $POLICIES, wait (<= 30 s) for /health
  stop      stop the server started by 'start'
  status    print the URL and exit 0 when the server answers /health, else exit 1
  env       print 'export CER_OPA_URL=...' and 'export CER_OPA_BIN=...'
environment: CER_OPA_VERSION, CER_OPA_CACHE, CER_OPA_STATE, CER_OPA_HOST, CER_OPA_PORT,
             CER_OPA_POLICIES
USAGE
}

installed() { [ -x "$BIN" ] && "$BIN" version >/dev/null 2>&1; }

install() {
	installed && return 0
	command -v go >/dev/null 2>&1 || die "go is not installed (scripts/deps.sh installs it)"
	mkdir -p "$CACHE/bin"
	log "building OPA $OPA_VERSION with $(go version | cut -d' ' -f3) (once; several minutes)"
	GOBIN=$CACHE/bin GOFLAGS=-mod=mod CGO_ENABLED=0 \
		go install "github.com/open-policy-agent/opa@$OPA_VERSION" ||
		die "go install github.com/open-policy-agent/opa@$OPA_VERSION failed"
	installed || die "$BIN does not run"
	log "installed $BIN"
}

healthy() { curl -fsS -m 2 "$URL/health" >/dev/null 2>&1; }

start() {
	install
	if healthy; then echo "$URL"; return 0; fi
	mkdir -p "$STATE"
	"$BIN" run --server --disable-telemetry --addr "$HOST:$PORT" --log-level error "$POLICIES" \
		>"$STATE/opa.log" 2>&1 &
	echo $! >"$PIDFILE"
	for _ in $(seq 1 300); do
		if healthy; then echo "$URL"; return 0; fi
		kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { cat "$STATE/opa.log" >&2; die "OPA exited"; }
		sleep 0.1
	done
	die "OPA did not answer $URL/health within 30 s (log: $STATE/opa.log)"
}

stop() {
	[ -f "$PIDFILE" ] || return 0
	local pid
	pid=$(cat "$PIDFILE")
	if kill -0 "$pid" 2>/dev/null; then
		kill -TERM "$pid" 2>/dev/null || true
		for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
		kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$PIDFILE"
}

case ${1:---help} in
install) install ;;
path) installed || die "OPA $OPA_VERSION is not installed: run scripts/opa.sh install"; echo "$BIN" ;;
start) start ;;
stop) stop ;;
status) if healthy; then echo "$URL"; else exit 1; fi ;;
env) echo "export CER_OPA_URL=$URL"; echo "export CER_OPA_BIN=$BIN" ;;
-h | --help | help) usage ;;
*) usage >&2; exit 2 ;;
esac
