#!/usr/bin/env bash
# Install the peers of the interoperability tests (tests/interop/, docs/interop.md): Debian's
# python3-confluent-kafka, a venv holding the pinned official CloudEvents Python SDK, and a Go
# toolchain for the official CloudEvents Go SDK program. Idempotent: a no-op when all is there.
#
#   scripts/interop-deps.sh           install what is missing, then print the venv's python
#   scripts/interop-deps.sh --check   exit 1 (listing what is missing) instead of installing
#
# Environment: CER_CACHE (default $HOME/.cache/cerelay) holds the venv at $CER_CACHE/venv.
set -euo pipefail

# Pinned peer versions. The Go SDK is pinned in tests/interop/go/go.mod (v2.15.2: the newest
# release whose go.mod still builds with Debian 12's golang-go 1.19; v2.16 needs Go 1.23).
CLOUDEVENTS_PY=2.2.0
# The OpenTelemetry SDK's OTLP/gRPC exporter and grpcio (tests/relay/test_grpc.py).
OTEL_PY=1.45.2
GRPCIO_PY=1.85.4
PY=/usr/bin/python3

: "${HOME:=$(getent passwd "$(id -u)" 2>/dev/null | cut -d: -f6)}"
: "${HOME:=/root}"
CACHE=${CER_CACHE:-$HOME/.cache/cerelay}
VENV=$CACHE/venv
CHECK=0
[ "${1:-}" = "--check" ] && CHECK=1

log() { printf 'interop-deps: %s\n' "$*" >&2; }
die() { printf 'interop-deps: error: %s\n' "$*" >&2; exit 1; }

apt_install() {
  local SUDO=
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  log "apt-get install $*"
  if ! $SUDO apt-get install -y -q "$@" >/tmp/cerelay-interop-deps.log 2>&1; then
    $SUDO apt-get update -q >>/tmp/cerelay-interop-deps.log 2>&1 || true
    $SUDO apt-get install -y -q "$@" >>/tmp/cerelay-interop-deps.log 2>&1 || {
      tail -n 20 /tmp/cerelay-interop-deps.log >&2
      die "apt-get install $* failed; see /tmp/cerelay-interop-deps.log"
    }
  fi
}

have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

find_go() {
  if command -v go >/dev/null 2>&1; then command -v go; return 0; fi
  for g in /usr/local/go/bin/go /usr/lib/go/bin/go; do
    [ -x "$g" ] && { echo "$g"; return 0; }
  done
  return 1
}

missing=()
# 1. Debian packages: the system python with confluent_kafka, and venv support.
apt_pkgs=()
for p in python3 python3-venv python3-confluent-kafka; do
  have_pkg "$p" || apt_pkgs+=("$p")
done
find_go >/dev/null || apt_pkgs+=(golang-go)
if [ ${#apt_pkgs[@]} -gt 0 ]; then
  if [ $CHECK -eq 1 ]; then missing+=("${apt_pkgs[@]}"); else apt_install "${apt_pkgs[@]}"; fi
fi

# 2. The venv with the pinned SDK. --system-site-packages keeps Debian's confluent_kafka
#    importable from it.
venv_ok() {
  [ -x "$VENV/bin/python" ] &&
    "$VENV/bin/python" - "$CLOUDEVENTS_PY" "$GRPCIO_PY" "$OTEL_PY" <<'EOF' >/dev/null 2>&1
import sys
from importlib.metadata import version
import confluent_kafka  # noqa: F401 (from the system site-packages)
import cloudevents.core.bindings.http, cloudevents.v1.http, cloudevents.v1.kafka  # noqa: F401
import grpc, opentelemetry.sdk, opentelemetry.exporter.otlp.proto.grpc  # noqa: F401
sys.exit(0 if version("cloudevents") == sys.argv[1] and version("grpcio") == sys.argv[2] and
         version("opentelemetry-exporter-otlp-proto-grpc") == sys.argv[3] else 1)
EOF
}
if ! venv_ok; then
  if [ $CHECK -eq 1 ]; then
    missing+=("venv $VENV with cloudevents==$CLOUDEVENTS_PY, grpcio, opentelemetry-sdk")
  else
    if [ ! -x "$VENV/bin/python" ]; then
      log "creating $VENV"
      mkdir -p "$CACHE"
      "$PY" -m venv --system-site-packages "$VENV" || die "python3 -m venv failed"
    fi
    log "pip install cloudevents==$CLOUDEVENTS_PY grpcio==$GRPCIO_PY opentelemetry==$OTEL_PY"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check \
      "cloudevents==$CLOUDEVENTS_PY" "grpcio==$GRPCIO_PY" "opentelemetry-sdk==$OTEL_PY" \
      "opentelemetry-exporter-otlp-proto-grpc==$OTEL_PY" || die "pip install failed"
    venv_ok || die "the venv at $VENV still cannot import cloudevents $CLOUDEVENTS_PY + confluent_kafka"
  fi
fi

# 3. Go modules of the Go peer (downloaded once into the module cache, checked by go.sum).
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [ $CHECK -eq 0 ] && go=$(find_go); then
  (cd "$root/tests/interop/go" && GOFLAGS=-mod=mod "$go" mod download) ||
    die "go mod download failed in tests/interop/go"
fi

if [ ${#missing[@]} -gt 0 ]; then
  printf 'missing: %s\n' "${missing[*]}"
  exit 1
fi
echo "$VENV/bin/python"
