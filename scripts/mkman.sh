#!/usr/bin/env bash
# Generate cerelay's man pages from the texts that already exist, so nothing is written twice:
# cerelay(1) and cerelay-COMMAND(1) from the program's --help output, cerelay.yaml(5) from
# docs/config.md. Only bash, awk and the built program are needed (the build runs this).
#
#   scripts/mkman.sh CERELAY OUTDIR [ROOT]     # writes OUTDIR/man1/*.1 and OUTDIR/man5/*.5
set -euo pipefail
CERELAY=${1:?usage: mkman.sh CERELAY OUTDIR [ROOT]}
OUT=${2:?usage: mkman.sh CERELAY OUTDIR [ROOT]}
ROOT=${3:-$(cd "$(dirname "$0")/.." && pwd)}
VERSION=$("$CERELAY" --version | awk '{print $2}')
mkdir -p "$OUT/man1" "$OUT/man5"

# help2roff NAME SECTION SUMMARY: --help text on stdin -> roff on stdout. The usage lines become
# SYNOPSIS; "heading:" lines become sections; indented blocks are kept as they are (.nf).
help2roff() {
  awk -v name="$1" -v sec="$2" -v summary="$3" -v version="$VERSION" '
    function esc(s) {
      gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s)
      if (s ~ /^[.\047]/) s = "\\&" s
      return s
    }
    function endpre() { if (pre) { print ".fi"; print ".RE"; pre = 0 } }
    BEGIN {
      up = toupper(name); gsub(/-/, "\\-", summary)
      printf ".TH \"%s\" \"%s\" \"\" \"cerelay %s\" \"cerelay manual\"\n", up, sec, version
      print ".SH NAME"; n = name; gsub(/-/, "\\-", n); print n " \\- " summary
      state = "start"
    }
    state == "start" && /^usage: / {
      print ".SH SYNOPSIS"; print ".nf"; sub(/^usage: /, ""); print esc($0); state = "usage"; next
    }
    state == "usage" && /^ +[a-z]/ { sub(/^ +/, ""); print esc($0); next }
    state == "usage" { print ".fi"; print ".SH DESCRIPTION"; state = "body" }
    state == "start" { print ".SH DESCRIPTION"; state = "body" }
    /^$/ { endpre(); para = 1; next }
    /^[A-Za-z][^:]*:$/ && length($0) < 60 {
      endpre(); h = toupper(substr($0, 1, length($0) - 1)); print ".SH " esc(h); para = 0; next
    }
    /^ / {
      if (!pre) { print ".RS 2"; print ".nf"; pre = 1 }
      print esc($0); para = 0; next
    }
    { endpre(); if (para) { print ".PP"; para = 0 } print esc($0) }
    END { endpre(); if (state == "usage") print ".fi" }
  '
}

see_also() {
  printf '.SH SEE ALSO\n%s\n' "$1"
}

summaries=$("$CERELAY" --help | awk '/^commands:/ {on = 1; next}
  on && /^  [a-z]/ {c = $1; $1 = ""; sub(/^ +/, ""); print c "\t" $0} on && /^$/ {on = 0}')
cmds=$(cut -f1 <<<"$summaries")

{
  "$CERELAY" --help | help2roff cerelay 1 "relays CloudEvents for AI telemetry"
  printf '.SH FILES\n.TP\n.I /etc/cerelay/cerelay.yaml\nthe relay configuration read by the cerelay.service unit; see\n.BR cerelay.yaml (5)\n'
  see_also "$(for c in $cmds; do printf '.BR cerelay\\-%s (1),\n' "$c"; done).BR cerelay.yaml (5)"
} >"$OUT/man1/cerelay.1"

for c in $cmds; do
  summary=$(awk -F'\t' -v c="$c" '$1 == c {print $2}' <<<"$summaries")
  args=("$c" --help)
  [ "$c" = config ] && args=(config check --help)
  {
    "$CERELAY" "${args[@]}" | help2roff "cerelay-$c" 1 "$summary"
    case "$c" in
    run | config | dry-run) see_also ".BR cerelay (1),
.BR cerelay.yaml (5)" ;;
    *) see_also ".BR cerelay (1)" ;;
    esac
  } >"$OUT/man1/cerelay-$c.1"
done

# docs/config.md -> cerelay.yaml(5): headings, paragraphs, lists, code blocks and tables.
awk -v version="$VERSION" '
  function esc(s) {
    gsub(/\\/, "\\e", s); gsub(/-/, "\\-", s)
    if (s ~ /^[.\047]/) s = "\\&" s
    return s
  }
  function inline(s,    m, t) {
    s = esc(s)
    while (match(s, /\[[^]]*\]\([^)]*\)/)) {
      m = substr(s, RSTART, RLENGTH); t = substr(m, 2, index(m, "]") - 2)
      s = substr(s, 1, RSTART - 1) t substr(s, RSTART + RLENGTH)
    }
    while (match(s, /`[^`]*`/))
      s = substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 1, RLENGTH - 2) "\\fR" substr(s, RSTART + RLENGTH)
    while (match(s, /\*\*[^*]*\*\*/))
      s = substr(s, 1, RSTART - 1) "\\fB" substr(s, RSTART + 2, RLENGTH - 4) "\\fR" substr(s, RSTART + RLENGTH)
    return s
  }
  BEGIN {
    printf ".TH \"CERELAY.YAML\" \"5\" \"\" \"cerelay %s\" \"cerelay manual\"\n", version
    print ".SH NAME"; print "cerelay.yaml \\- the cerelay relay configuration"
    print ".SH SYNOPSIS"; print ".B cerelay run \\-c /etc/cerelay/cerelay.yaml"
  }
  /^```/ { if (code) { print ".fi"; print ".RE"; code = 0 } else { print ".RS 2"; print ".nf"; code = 1 } next }
  code { print esc($0); next }
  /^# / { print ".SH DESCRIPTION"; next }
  /^## / { sub(/^## /, ""); gsub(/`/, ""); print ".SH " toupper(esc($0)); next }
  /^### / { sub(/^### /, ""); gsub(/`/, ""); print ".SS " esc($0); next }
  /^\|/ {
    if ($0 ~ /^\|[ :|-]*$/) next
    if (!table) { print ".RS 2"; print ".nf"; table = 1 }
    s = $0; gsub(/^\| *| *\|$/, "", s); gsub(/ *\| */, "  ", s); gsub(/`/, "", s); print esc(s); next
  }
  table { print ".fi"; print ".RE"; table = 0 }
  /^$/ { print ".PP"; next }
  /^ *[-*] / { sub(/^ *[-*] /, ""); print ".IP \\(bu 2"; print inline($0); next }
  /^[0-9]+\. / { print ".IP \\(bu 2"; sub(/^[0-9]+\. /, ""); print inline($0); next }
  { sub(/^ +/, ""); print inline($0) }
  END { if (table || code) { print ".fi"; print ".RE" } }
' "$ROOT/docs/config.md" >"$OUT/man5/cerelay.yaml.5"
printf '.SH SEE ALSO\n.BR cerelay (1),\n.BR cerelay\\-run (1),\n.BR cerelay\\-config (1)\n' \
  >>"$OUT/man5/cerelay.yaml.5"
