#!/usr/bin/env bash
# Install the Debian packages cerelay needs to build and test. A no-op when all are present.
# Usage: scripts/deps.sh [--check]   (--check: list what is missing, install nothing)
set -euo pipefail

PKGS=(
  build-essential cmake ninja-build pkg-config git curl zlib1g-dev
  clang clang-format llvm libclang-rt-14-dev          # fuzzers, format check
  librdkafka-dev libcurl4-openssl-dev libmicrohttpd-dev libyaml-dev libssl-dev
  libprotobuf-c-dev protobuf-c-compiler
  libcjson-dev libjansson-dev                          # benchmark baselines only
  python3 python3-confluent-kafka                      # interoperability tests
  default-jdk-headless maven openssl                   # the test Kafka broker
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  printf 'missing: %s\n' "${missing[*]}"
  exit 1
fi
echo "deps: installing ${missing[*]}" >&2
SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q "${missing[@]}" >/tmp/cerelay-deps.log 2>&1; then
  $SUDO apt-get update -q >>/tmp/cerelay-deps.log 2>&1
  $SUDO apt-get install -y -q "${missing[@]}" >>/tmp/cerelay-deps.log 2>&1 || {
    echo "deps: apt-get install failed; see /tmp/cerelay-deps.log" >&2
    tail -n 20 /tmp/cerelay-deps.log >&2
    exit 1
  }
fi
