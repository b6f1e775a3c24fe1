#!/usr/bin/env bash
# Install the Debian packages cerelay needs to build, test and package. A no-op when all are
# present. Every Makefile target calls it for the groups it needs, so `make` on a fresh
# checkout installs the build packages instead of failing in CMake.
#
#   scripts/deps.sh [--check] [GROUP...]
#
# Groups: build (compile cerelay), format (clang-format), fuzz (clang, libFuzzer), bench
# (baseline JSON libraries, h2load), test (the suite's peers: Python, Go, the Kafka broker's
# JDK, Chart.js for the scorecard's HTML report), browser (headless Chromium and PIL: the
# scorecard report's rendering test), deb (Debian packaging tools); default: all of them.
# --check lists what is missing and exits 1, installing nothing. Without root (or sudo) it
# stops with one line saying what to run.
set -euo pipefail

declare -A GROUP=(
  [build]="build-essential cmake ninja-build pkg-config git curl zlib1g-dev librdkafka-dev
           libcurl4-openssl-dev libmicrohttpd-dev libnghttp2-dev libyaml-dev libssl-dev libprotobuf-c-dev
           protobuf-c-compiler"
  [format]="clang-format"
  [fuzz]="clang llvm libclang-rt-14-dev"
  [bench]="libcjson-dev libjansson-dev nghttp2-client"
  [test]="python3 python3-confluent-kafka python3-jsonschema default-jdk-headless maven openssl time
          zsh libjs-chart.js"
  [browser]="chromium chromium-driver python3-pil"
  [deb]="dpkg-dev fakeroot"
)
ORDER=(build format fuzz bench test browser deb)

check=0
groups=()
for a in "$@"; do
  case "$a" in
  --check) check=1 ;;
  all) groups+=("${ORDER[@]}") ;;
  -h | --help)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  *)
    [ -n "${GROUP[$a]:-}" ] || {
      echo "deps: unknown group '$a' (groups: ${ORDER[*]})" >&2
      exit 2
    }
    groups+=("$a")
    ;;
  esac
done
[ ${#groups[@]} -gt 0 ] || groups=("${ORDER[@]}")

pkgs=()
for g in "${groups[@]}"; do
  for p in ${GROUP[$g]}; do pkgs+=("$p"); done
done

# One dpkg-query for all: the packages not reported as installed are missing.
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${pkgs[@]}" 2>/dev/null |
  awk '/ install ok installed$/ {print $1}' || true)
missing=()
for p in "${pkgs[@]}"; do
  grep -qx "$p" <<<"$installed" || missing+=("$p")
done
# Deduplicate (a package may be in two groups).
if [ ${#missing[@]} -gt 0 ]; then
  mapfile -t missing < <(printf '%s\n' "${missing[@]}" | awk '!seen[$0]++')
fi

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$check" = 1 ]; then
  printf 'missing: %s\n' "${missing[*]}"
  exit 1
fi
SUDO=
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    SUDO="sudo -n"
  else
    echo "deps: missing Debian packages; run: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
fi
echo "deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q "${missing[@]}" >/tmp/cerelay-deps.log 2>&1; then
  $SUDO apt-get update -q >>/tmp/cerelay-deps.log 2>&1
  $SUDO apt-get install -y -q "${missing[@]}" >>/tmp/cerelay-deps.log 2>&1 || {
    echo "deps: apt-get install failed; see /tmp/cerelay-deps.log" >&2
    tail -n 20 /tmp/cerelay-deps.log >&2
    exit 1
  }
fi
