#!/usr/bin/env python3
"""Run the README's console examples as written and compare their output.

Every ```console block is a list of `$ command` lines (a trailing backslash continues the
command) each followed by its expected output. Commands run with bash in a scratch directory
holding `build` (the directory of the cerelay under test) and `examples` (the repository's), so
README paths work unchanged. Expected lines must appear in the command's output (standard output
and error together, in any order); ids, times and numbers may differ (UUIDs and digit runs are
normalised), and a line `...` ends the comparison. Commands that need a broker, an HTTP peer or
the relay started by `make run` are skipped and listed.

With --kafka, the examples that use the broker at 127.0.0.1:9092 (the test broker's address,
as the README gives it) run too, except long-running ones (--duration).

usage: readme_examples.py [--kafka] README CERELAY ROOT
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

NEEDS_PEER = re.compile(r"--kafka|--http|\bcurl\b|var/cerelay")
NEEDS_PEER_BUT_KAFKA = re.compile(r"--http|\bcurl\b|var/cerelay|--duration")


def examples(readme):
    """Yield (line number, command, expected lines) for every console block."""
    lines = open(readme, encoding="utf-8").read().split("\n")
    i = 0
    while i < len(lines):
        if lines[i].strip() != "```console":
            i += 1
            continue
        i += 1
        cur = None
        while i < len(lines) and lines[i].strip() != "```":
            ln = lines[i]
            if ln.startswith("$ "):
                if cur:
                    yield cur
                cmd, start = ln[2:], i + 1
                while cmd.endswith("\\") and i + 1 < len(lines):
                    i += 1
                    cmd = cmd + "\n" + lines[i]
                cur = (start, cmd, [])
            elif cur is not None and ln.strip():
                cur[2].append(ln)
            i += 1
        if cur:
            yield cur
        i += 1


def norm(s):
    s = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", s)
    s = re.sub(r"[0-9]+", "0", s)
    return " ".join(s.split())


def main():
    args = sys.argv[1:]
    with_kafka = "--kafka" in args
    if with_kafka:
        args.remove("--kafka")
    readme, cerelay, root = args[0:3]
    skip = NEEDS_PEER_BUT_KAFKA if with_kafka else NEEDS_PEER
    work = tempfile.mkdtemp(prefix="cerelay-readme-")
    failures = ran = 0
    skipped = []
    try:
        os.symlink(os.path.dirname(os.path.abspath(cerelay)), os.path.join(work, "build"))
        os.symlink(os.path.join(os.path.abspath(root), "examples"), os.path.join(work, "examples"))
        for lineno, cmd, expected in examples(readme):
            if skip.search(cmd) or (not with_kafka and NEEDS_PEER.search(cmd)):
                skipped.append("README.md:%d: %s" % (lineno, cmd.split("\n")[0]))
                continue
            ran += 1
            p = subprocess.run(["bash", "-c", cmd], cwd=work, capture_output=True, text=True,
                               timeout=120)
            out = (p.stdout + p.stderr).split("\n")
            have = [norm(x) for x in out if x.strip()]
            want = []
            for e in expected:
                if e.strip() == "...":
                    break
                want.append(e)
            problems = []
            for e in want:
                n = norm(e)
                if n in have:
                    have.remove(n)
                else:
                    problems.append("expected line missing: %r" % e)
            if not expected and p.returncode != 0:
                problems.append("exit status %d" % p.returncode)
            shows_failure = any(re.search(r"\binvalid\b|error|no events", e) for e in want)
            if p.returncode != 0 and expected and not shows_failure:
                problems.append("exit status %d" % p.returncode)
            if problems:
                failures += 1
                print("FAIL README.md:%d: $ %s" % (lineno, cmd), file=sys.stderr)
                for pr in problems:
                    print("  " + pr, file=sys.stderr)
                print("  output:\n    " + "\n    ".join(out), file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("README examples: %d run, %d failed, %d skipped (need a broker, HTTP peer or relay)"
          % (ran, failures, len(skipped)))
    for s in skipped:
        print("  skipped " + s)
    kafka_ran = with_kafka and any("--kafka" in c for _, c, _ in examples(readme))
    sys.exit(1 if failures or ran == 0 or (with_kafka and not kafka_ran) else 0)


if __name__ == "__main__":
    main()
