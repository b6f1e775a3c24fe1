#!/usr/bin/env bash
# The Debian package: built from the tree under test (scripts/mkdeb.sh, what `make deb` runs),
# installed into this machine with dpkg -i (removed with dpkg -P afterwards; unpacked into a
# temporary root instead when not run as root), its unit checked, and its program started as
# the relay on a free port, taking an event over HTTP into the local log.
. "$(dirname "$0")/../cli/lib.sh"
: "${CER_BUILD:?}" "${CER_ROOT:?}"

# A TCP port below 32768 on which nothing listens.
free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$((20000 + RANDOM % 12000))
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return 0; }
  done
  return 1
}

build_deb() {
  DEB=$("$CER_ROOT/scripts/mkdeb.sh" "$CER_BUILD" "$TMP/debout" 2>"$TMP/mkdeb.err") ||
    { fail "mkdeb.sh failed: $(cat "$TMP/mkdeb.err")"; exit 1; }
  [ -f "$DEB" ] || { fail "no package at '$DEB'"; exit 1; }
}

case_deb_contents() {
  build_deb
  local info files
  info=$(dpkg-deb --info "$DEB")
  expect_contains "$info" "Package: cerelay"
  expect_contains "$info" "Version: $("$CERELAY" --version | awk '{print $2}')-1"
  expect_contains "$info" "Depends: "
  expect_contains "$info" "librdkafka1"
  expect_contains "$info" "libcurl4"
  expect_contains "$(dpkg-deb --field "$DEB" Architecture)" "$(dpkg --print-architecture)"
  expect_eq "$(dpkg-deb --ctrl-tarfile "$DEB" | tar -xO ./conffiles)" "/etc/cerelay/cerelay.yaml"
  files=$(dpkg-deb --contents "$DEB")
  for f in ./usr/bin/cerelay ./etc/cerelay/cerelay.yaml ./usr/lib/systemd/system/cerelay.service \
    ./usr/share/man/man1/cerelay.1.gz ./usr/share/man/man5/cerelay.yaml.5.gz \
    ./usr/share/bash-completion/completions/cerelay ./usr/lib/pkgconfig/cerelay.pc \
    ./usr/include/cerelay/ce.h; do
    expect_contains "$files" "$f"
  done
  case "$files" in *"root/root"*) ;; *) fail "files are not owned by root: $files" ;; esac
}

case_deb_install_and_run() {
  build_deb
  local R=""
  RELAY_PID=
  if [ "$(id -u)" = 0 ]; then
    # one installing test on this machine at a time, whichever checkout or build it runs from
    exec 9>/tmp/cerelay-deb-test.lock
    flock -w 240 9 || { fail "another cerelay .deb test holds /tmp/cerelay-deb-test.lock"; exit 1; }
    dpkg -s cerelay >/dev/null 2>&1 && { fail "a cerelay package is already installed"; exit 1; }
    trap 'kill -9 $RELAY_PID 2>/dev/null; dpkg -P cerelay >/dev/null 2>&1; rm -rf "$TMP"' EXIT
    expect_run 0 dpkg -i "$DEB"
    [ "$FAILS" = 0 ] || exit 1
    expect_eq "$(dpkg-query -W -f='${Status}' cerelay)" "install ok installed"
    expect_eq "$(command -v cerelay)" "/usr/bin/cerelay"
    # the unit as systemd reads it (works without a running systemd)
    if command -v systemd-analyze >/dev/null; then
      expect_run 0 systemd-analyze verify /usr/lib/systemd/system/cerelay.service
      local sec; sec=$(systemd-analyze security --offline=yes /usr/lib/systemd/system/cerelay.service 2>&1 | tail -n 1)
      expect_contains "$sec" "Overall exposure level for cerelay.service: "
      local lvl; lvl=$(sed -n 's/.*cerelay.service: \([0-9.]*\).*/\1/p' <<<"$sec")
      awk -v l="$lvl" 'BEGIN {exit !(l != "" && l < 3.0)}' || fail "unit exposure $lvl (want < 3.0): $sec"
    fi
    expect_contains "$(man -w cerelay-send 2>&1)" "/usr/share/man/man1/cerelay-send.1.gz"
  else
    R=$TMP/root
    dpkg-deb -x "$DEB" "$R"
  fi
  local BIN=$R/usr/bin/cerelay CONF=$R/etc/cerelay/cerelay.yaml
  expect_run 0 "$BIN" --version
  expect_run 0 "$BIN" config check -c "$CONF"
  # the shipped configuration, on free ports and a temporary log
  local pe po
  pe=$(free_port) && po=$(free_port) || { fail "no free port"; exit 1; }
  [ "$pe" != "$po" ] || po=$((pe + 1))
  sed -e "s|127.0.0.1:8080|127.0.0.1:$pe|; s|127.0.0.1:4318|127.0.0.1:$po|" \
    -e "s|/var/lib/cerelay/log|$TMP/log|" "$CONF" >"$TMP/relay.yaml"
  "$BIN" run -c "$TMP/relay.yaml" --print-addresses >"$TMP/relay.addr" 2>"$TMP/relay.err" &
  RELAY_PID=$!
  for _ in $(seq 1 200); do grep -q '^otlp' "$TMP/relay.addr" 2>/dev/null && break; sleep 0.05; done
  expect_contains "$(cat "$TMP/relay.addr")" "events http://127.0.0.1:$pe/events"
  post "http://127.0.0.1:$pe/events" application/cloudevents+json \
    '{"specversion":"1.0","id":"from-deb","source":"/deb","type":"dev.cerelay.deb.v1"}'
  expect_eq "$STATUS" 202
  expect_contains "$BODY" '"accepted":1'
  kill -TERM "$RELAY_PID"
  wait "$RELAY_PID" || fail "relay exited with $?: $(cat "$TMP/relay.err")"
  expect_run 0 "$BIN" tail --log "$TMP/log" --topic dev.cerelay.deb.v1
  expect_contains "$OUT" '"id":"from-deb"'
  if [ -z "$R" ]; then
    expect_run 0 dpkg -P cerelay
    [ ! -e /usr/bin/cerelay ] || fail "/usr/bin/cerelay left after dpkg -P"
    [ ! -e /etc/cerelay/cerelay.yaml ] || fail "/etc/cerelay/cerelay.yaml left after dpkg -P"
  fi
}

run_case "$@"
