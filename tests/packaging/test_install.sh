#!/usr/bin/env bash
# `make install` as a user runs it: into a temporary root (DESTDIR), then the installed tree is
# used as a user would: programs built with pkg-config against the installed headers and
# libraries, the man pages rendered, the completions sourced, the configuration checked.
. "$(dirname "$0")/../cli/lib.sh"
: "${CER_BUILD:?}" "${CER_ROOT:?}"
HERE=$(cd "$(dirname "$0")" && pwd)
SAN_FLAGS=()
case "${CER_SANITIZE:-OFF}" in ON | on | 1 | TRUE | true) SAN_FLAGS=(-fsanitize=address,undefined) ;; esac

install_tree() { # ROOT PREFIX
  DESTDIR=$1 cmake --install "$CER_BUILD" --prefix "$2" >"$TMP/install.log" 2>&1 ||
    { fail "cmake --install failed"; cat "$TMP/install.log" >&2; exit 1; }
}

case_install_tree() {
  install_tree "$TMP/root" /usr/local
  local P=$TMP/root/usr/local f
  for f in bin/cerelay lib/libcerelay_ce.a lib/libcerelay_emitter.a lib/libcerelay_catalog.a \
    include/cerelay/ce.h include/cerelay/emitter.h include/cerelay/catalog.h \
    lib/pkgconfig/cerelay.pc lib/pkgconfig/cerelay-ce.pc share/man/man1/cerelay.1 \
    share/man/man1/cerelay-validate.1 share/man/man1/cerelay-send.1 share/man/man1/cerelay-run.1 \
    share/man/man5/cerelay.yaml.5 lib/systemd/system/cerelay.service etc/cerelay/cerelay.yaml \
    share/bash-completion/completions/cerelay share/zsh/vendor-completions/_cerelay \
    share/doc/cerelay/examples/cerelay.yaml; do
    [ -e "$P/$f" ] || fail "not installed: $f"
  done
  # one man page per command of `cerelay --help`
  local c
  for c in $("$CERELAY" --help | awk '/^commands:/ {on=1; next} on && /^  [a-z]/ {print $1} /^$/ && on {on=0}'); do
    [ -e "$P/share/man/man1/cerelay-$c.1" ] || fail "no man page for $c"
  done
  # the pages render without warnings, and say what --help says
  expect_run 0 groff -k -man -Tutf8 -ww -z "$P"/share/man/man1/*.1 "$P"/share/man/man5/*.5
  expect_eq "$ERR" ""
  local page; page=$(MANWIDTH=100 man -l "$P/share/man/man1/cerelay-validate.1" 2>/dev/null)
  expect_contains "$page" "cerelay-validate - check CloudEvents"
  expect_contains "$page" "EXIT STATUS"
  expect_contains "$page" "--max-bytes N"
  page=$(MANWIDTH=100 man -l "$P/share/man/man5/cerelay.yaml.5" 2>/dev/null)
  expect_contains "$page" "cerelay.yaml - the cerelay relay configuration"
  # the unit runs the installed program on the installed configuration, sandboxed
  local unit; unit=$(cat "$P/lib/systemd/system/cerelay.service")
  expect_contains "$unit" "ExecStart=/usr/local/bin/cerelay run -c /usr/local/etc/cerelay/cerelay.yaml"
  for f in DynamicUser=yes StateDirectory=cerelay ProtectSystem=strict ProtectHome=yes \
    NoNewPrivileges=yes PrivateTmp=yes CapabilityBoundingSet= SystemCallFilter=@system-service; do
    expect_contains "$unit" "$f"
  done
  # the installed program checks the installed configuration
  expect_run 0 "$P/bin/cerelay" config check -c "$P/etc/cerelay/cerelay.yaml"
  # prefix /usr puts the configuration in /etc
  install_tree "$TMP/root2" /usr
  [ -e "$TMP/root2/etc/cerelay/cerelay.yaml" ] || fail "prefix /usr: no /etc/cerelay/cerelay.yaml"
  expect_contains "$(cat "$TMP/root2/usr/lib/systemd/system/cerelay.service")" \
    "ExecStart=/usr/bin/cerelay run -c /etc/cerelay/cerelay.yaml"
}

# A tiny program built with `pkg-config --cflags --libs cerelay` against the installed tree
# emits an event; the CloudEvents core alone links with libc only.
case_pkgconfig_programs() {
  install_tree "$TMP/root" /opt/cerelay
  export PKG_CONFIG_PATH=$TMP/root/opt/cerelay/lib/pkgconfig
  expect_run 0 pkg-config --modversion cerelay
  expect_eq "$OUT" "$("$CERELAY" --version | awk '{print $2}')"
  local flags; flags=$(pkg-config --cflags --libs cerelay) || fail "pkg-config cerelay"
  case "$flags" in *"$CER_ROOT"*) fail "pkg-config points into the source tree: $flags" ;; esac
  # shellcheck disable=SC2086
  cc -std=c11 -Wall -Werror "${SAN_FLAGS[@]}" -o "$TMP/emit_min" "$HERE/emit_min.c" $flags ||
    fail "emit_min does not build against the installed tree"
  expect_run 0 "$TMP/emit_min"
  expect_eq "$OUT" '{"specversion":"1.0","id":"installed-1","source":"/installed","type":"dev.cerelay.installed.v1"}'
  # the installed example (catalog + emitter) builds too
  # shellcheck disable=SC2086
  cc -std=c11 -Wall -Werror "${SAN_FLAGS[@]}" -o "$TMP/emit_usage" \
    "$TMP/root/opt/cerelay/share/doc/cerelay/examples/emit_usage.c" $flags ||
    fail "examples/emit_usage.c does not build against the installed tree"
  expect_run 0 "$TMP/emit_usage"
  expect_contains "$OUT" '"type":"eventzr.llm.usage.v1"'
  # cerelay-ce: libc only
  flags=$(pkg-config --cflags --libs cerelay-ce)
  expect_eq "$(sed 's/-I[^ ]*//g; s/-L[^ ]*//g' <<<"$flags" | xargs)" "-lcerelay_ce"
  # shellcheck disable=SC2086
  cc -std=c11 -Wall -Werror "${SAN_FLAGS[@]}" -o "$TMP/ce_only" "$HERE/ce_only.c" $flags ||
    fail "ce_only does not build with cerelay-ce alone"
  expect_run 0 "$TMP/ce_only"
  expect_eq "$OUT" '{"specversion":"1.0","id":"1","source":"/s","type":"t"}'
  local allowed='linux-vdso|ld-linux|libc\.so'
  [ ${#SAN_FLAGS[@]} -gt 0 ] && allowed="$allowed|libasan|libubsan|libm\\.so|libgcc_s|libstdc\\+\\+|libdl|librt|libpthread"
  local extra; extra=$(ldd "$TMP/ce_only" | grep -Ev "$allowed" || true)
  [ -z "$extra" ] || fail "cerelay-ce links more than libc: $extra"
}

case_completions() {
  install_tree "$TMP/root" /usr/local
  local comp=$TMP/root/usr/local/share/bash-completion/completions/cerelay
  local out
  out=$(PATH=$(dirname "$CERELAY"):$PATH bash -c '
    source "$1"
    COMP_WORDS=(cerelay va); COMP_CWORD=1; _cerelay; echo "1:${COMPREPLY[*]}"
    COMP_WORDS=(cerelay send --lin); COMP_CWORD=2; _cerelay; echo "2:${COMPREPLY[*]}"
    COMP_WORDS=(cerelay config ch); COMP_CWORD=2; _cerelay; echo "3:${COMPREPLY[*]}"
    COMP_WORDS=(cerelay tail --format ""); COMP_CWORD=3; _cerelay; echo "4:${COMPREPLY[*]}"
    COMP_WORDS=(cerelay run --ack); COMP_CWORD=2; _cerelay; echo "5:${COMPREPLY[*]}"' _ "$comp")
  expect_contains "$out" "1:validate"
  expect_contains "$out" "2:--linger"
  expect_contains "$out" "3:check"
  expect_contains "$out" "4:json pretty"
  expect_contains "$out" "5:--ack-timeout"
  local z=$TMP/root/usr/local/share/zsh/vendor-completions/_cerelay
  expect_eq "$(head -n 1 "$z")" "#compdef cerelay"
  command -v zsh >/dev/null || { fail "zsh is missing (scripts/deps.sh test installs it)"; return; }
  expect_run 0 zsh -n "$z"
  # the completion function with zsh's completion builtins replaced by ones that print
  cat >"$TMP/z.zsh" <<'ZSH'
compadd() { if [[ $1 == -a ]]; then print -r -- "compadd ${(j: :)${(P)2}}"; else print -r -- "compadd $*"; fi }
_describe() { print -r -- "describe ${(j:|:)${(P)4}}" }
_files() { print -r -- "files $*" }
words=(cerelay va); CURRENT=2; PREFIX=va; source $1
words=(cerelay send --li); CURRENT=3; PREFIX=--li; source $1
words=(cerelay config ch); CURRENT=3; PREFIX=ch; source $1
words=(cerelay tail --format ''); CURRENT=4; PREFIX=''; source $1
words=(cerelay validate ''); CURRENT=3; PREFIX=''; source $1
ZSH
  out=$(PATH=$(dirname "$CERELAY"):$PATH zsh -f "$TMP/z.zsh" "$z" 2>&1)
  expect_contains "$out" "describe validate:check CloudEvents"
  expect_contains "$out" "|send:deliver events"
  expect_contains "$out" "compadd --attr-headers"
  expect_contains "$out" " --linger "
  expect_contains "$out" "compadd check"
  expect_contains "$out" "compadd json pretty"
  expect_contains "$out" "files"
}

# The Makefile target, as the README gives it.
case_make_install_prefix() {
  expect_run 0 make -C "$CER_ROOT" --no-print-directory install BUILD="$CER_BUILD" PREFIX="$TMP/prefix"
  [ -x "$TMP/prefix/bin/cerelay" ] || fail "make install PREFIX=...: no bin/cerelay"
  [ -e "$TMP/prefix/lib/pkgconfig/cerelay.pc" ] || fail "make install PREFIX=...: no cerelay.pc"
  expect_run 0 "$TMP/prefix/bin/cerelay" validate "$TMP/prefix/share/doc/cerelay/examples/usage-event.json"
  expect_eq "$OUT" "ok: 1 event(s)"
  expect_run 0 make -C "$CER_ROOT" --no-print-directory uninstall BUILD="$CER_BUILD"
  expect_eq "$(find "$TMP/prefix" -type f | wc -l)" 0
}

# On a machine without the build packages and without root, `make` stops before CMake with
# one line saying what to run (it used to fail in CMake: "Package 'rdkafka' ... not found").
case_make_without_packages_says_what_to_run() {
  mkdir -p "$TMP/fakebin"
  printf '#!/bin/sh\nexit 1\n' >"$TMP/fakebin/dpkg-query" # nothing is installed
  printf '#!/bin/sh\n[ "$1" = -u ] && { echo 1000; exit 0; }\nexec /usr/bin/id "$@"\n' >"$TMP/fakebin/id"
  printf '#!/bin/sh\nexit 1\n' >"$TMP/fakebin/sudo" # no password-less sudo
  chmod +x "$TMP/fakebin"/*
  PATH=$TMP/fakebin:$PATH expect_run 1 "$CER_ROOT/scripts/deps.sh" build
  expect_eq "$(wc -l <<<"$ERR")" 1
  expect_contains "$ERR" "deps: missing Debian packages; run: sudo apt-get install build-essential cmake"
  expect_contains "$ERR" "librdkafka-dev"
  PATH=$TMP/fakebin:$PATH expect_run 1 "$CER_ROOT/scripts/deps.sh" --check build
  expect_contains "$OUT" "missing: build-essential"
  PATH=$TMP/fakebin:$PATH expect_run 2 make -C "$CER_ROOT" --no-print-directory BUILD="$TMP/nobuild"
  expect_contains "$ERR" "deps: missing Debian packages; run: sudo apt-get install"
  [ ! -e "$TMP/nobuild" ] || fail "make ran CMake although packages are missing"
  # with everything present it is silent and quick (a no-op)
  expect_run 0 "$CER_ROOT/scripts/deps.sh" build
  expect_eq "$OUT$ERR" ""
}

run_case "$@"
