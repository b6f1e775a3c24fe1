#!/usr/bin/env python3
"""Driver of cerelay's interoperability tests (docs/interop.md). Each scenario is one ctest test
`interop/<name>` (tests/interop/CMakeLists.txt asks `interop.py list` for the names).

  interop.py list          the scenario names, one per line (kafka_* need the broker)
  interop.py setup         install the peers (scripts/interop-deps.sh), build the Go peer
  interop.py NAME          run one scenario: exit 0 when every event matched, 1 otherwise

Environment (set by CMake): CERELAY (build/cerelay), CER_ROOT (the repo), CER_CODEC
(interop_http_codec), CER_GOPEER (where setup puts the Go peer), CER_KAFKA_* (else read from
`scripts/kafka.sh env`), CER_CACHE (venv location, as scripts/interop-deps.sh).
Standard library only, run with /usr/bin/python3; the peers run in their own interpreters.
"""
import base64
import json
import os
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cecompare  # noqa: E402
from cecompare import Quirks  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.environ.get("CER_ROOT") or os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "events.ndjson")
SYS_PY = "/usr/bin/python3"


def cache_dir():
    home = os.environ.get("HOME") or "/root"
    return os.environ.get("CER_CACHE") or os.path.join(home, ".cache", "cerelay")


VENV_PY = os.path.join(cache_dir(), "venv", "bin", "python")


class Fail(Exception):
    pass


def run(cmd, stdin=None, timeout=90, env=None, ok=(0,)):
    """Run cmd; return (stdout, stderr) as text. A non-zero exit is a test failure."""
    try:
        p = subprocess.run(cmd, input=stdin, capture_output=True, timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        raise Fail(f"timed out after {timeout}s: {shlex.join(cmd)}")
    except FileNotFoundError as e:
        raise Fail(f"cannot run {cmd[0]}: {e} (did interop/setup run?)")
    out, err = p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")
    if p.returncode not in ok:
        raise Fail(f"exit {p.returncode}: {shlex.join(cmd)}\n--- stdout\n{out[-3000:]}"
                   f"\n--- stderr\n{err[-3000:]}")
    return out, err


def corpus_lines(exclude=()):
    with open(CORPUS, encoding="utf-8") as f:
        lines = [line for line in f.read().splitlines() if line.strip()]
    return [line for line in lines if json.loads(line)["id"] not in exclude]


def expect_no_diffs(diffs, what, n):
    if diffs:
        raise Fail(f"{what}: {len(diffs)} difference(s):\n  " + "\n  ".join(diffs))
    print(f"ok: {what}: {n} events matched attribute by attribute")


# ------------------------------------------------------------------------------------------
# Peers. Each decoder returns a list of event dicts; each encoder writes files or records.
# ------------------------------------------------------------------------------------------
def codec():
    return os.environ.get("CER_CODEC") or os.path.join(ROOT, "build", "tests", "interop_http_codec")


def gopeer():
    return os.environ.get("CER_GOPEER") or os.path.join(ROOT, "build", "tests", "cegopeer")


def cerelay():
    c = os.environ.get("CERELAY")
    if not c:
        raise Fail("CERELAY is not set (the cerelay target was not built)")
    return c


def pysdk(*args):
    if not os.path.exists(VENV_PY):
        raise Fail(f"no venv python at {VENV_PY}: run scripts/interop-deps.sh (interop/setup)")
    return [VENV_PY, "-W", "ignore::DeprecationWarning", os.path.join(HERE, "pysdk_peer.py"),
            *args]


PY_API = {"pycore": "core", "pyv1": "v1"}


def http_encode(peer, mode, lines, out_dir):
    data = ("\n".join(lines) + "\n").encode()
    if peer == "ours":
        run([codec(), "encode", mode, out_dir], stdin=data)
    elif peer == "go":
        run([gopeer(), "http-encode", "-mode", mode, "-out", out_dir], stdin=data)
    else:
        run(pysdk("http-encode", PY_API[peer], mode, out_dir), stdin=data)
    n = len([f for f in os.listdir(out_dir) if f.endswith(".body")])
    return [os.path.join(out_dir, str(i)) for i in range(n)]


def http_decode(peer, prefixes):
    if peer == "ours":
        out = "".join(run([codec(), "decode", p])[0] for p in prefixes)
    elif peer == "go":
        out = run([gopeer(), "http-decode", *prefixes])[0]
    else:
        out = run(pysdk("http-decode", PY_API[peer], *prefixes))[0]
    return cecompare.load_ndjson(out)


# Events a peer cannot carry, with the reason (docs/interop.md, "Known gaps of the peers").
# Keys: (peer, direction, binding, mode); "*" matches anything. direction "read": the peer
# decodes what cerelay wrote; "write": cerelay decodes what the peer wrote.
_PCT = ("writes ce- header values without percent-encoding them (HTTP binding 3.1.3.2), so a "
        "'%' that is not an escape reaches the receiver, which must reject or guess")
PEER_GAPS = {
    ("go", "*", "*", "*"): {
        "interop-array": "sdk-go v2.15.2 treats only application/json and text/json as JSON "
                         "(event/content_type.go): a +json payload fails in structured mode and "
                         "is read as a string in binary mode"},
    ("go", "write", "http", "binary"): {
        "interop-text": "sdk-go v2.15.2 " + _PCT, "interop-ext": "sdk-go v2.15.2 " + _PCT},
    ("pyv1", "write", "http", "binary"): {
        "interop-text": "cloudevents.v1 " + _PCT, "interop-ext": "cloudevents.v1 " + _PCT},
    ("pyv1", "write", "kafka", "binary"): {
        "interop-minimal": "cloudevents.v1.kafka.to_binary raises KeyError('datacontenttype') "
                           "for an event without datacontenttype",
        "interop-implicit": "cloudevents.v1.kafka.to_binary raises KeyError('datacontenttype') "
                            "for an event without datacontenttype",
        "interop-ext": "cloudevents.v1.kafka.to_binary calls value.encode() on every attribute: "
                       "AttributeError for Integer and Boolean extensions",
        "interop-partitionkey": "cloudevents.v1.kafka.to_binary sends partitionkey as the record "
                                "key only, with no ce_partitionkey header; cerelay never derives "
                                "attributes from the key (docs/bindings.md)"},
    ("pycore", "write", "*", "binary"): {
        "interop-array": "cloudevents.core JSONFormat.write_data JSON-encodes dicts only: a "
                         "list is written as its Python repr",
        "interop-jsonstring": "cloudevents.core JSONFormat.write_data writes a str payload raw, "
                              "not as a JSON string, even for application/json"},
    ("pycore", "write", "kafka", "binary"): {
        "interop-minimal": "cloudevents.core.bindings.kafka.to_binary writes an event without "
                           "data as an empty value, not a null one; cerelay reads an empty value "
                           "as zero bytes of data (docs/bindings.md, Decoding rules)"},
}


def gaps(peer, direction, binding, mode):
    out = {}
    for (p, d, b, m), ids in PEER_GAPS.items():
        if p == peer and d in ("*", direction) and b in ("*", binding) and m in ("*", mode):
            out.update(ids)
    return out


# How each peer deviates when it decodes (cecompare.Quirks); see docs/interop.md.
READ_QUIRKS = {
    # cloudevents.core.v1.event.CloudEvent adds time=now when absent; Python datetime keeps us.
    "pycore": dict(adds_time=True, time_ns=1000, key_partitionkey=True),
    # cloudevents.v1 CloudEvent adds time=now when absent.
    "pyv1": dict(adds_time=True, key_partitionkey=True),
    # kafka_sarama.NewMessageFromConsumerMessage adds the record's position as extensions.
    "go": dict(ignore_attrs=("kafkaoffset", "kafkapartition", "kafkatopic")),
}
# Neither sdk-go v2.15.2 nor cloudevents.v1 percent-decodes HTTP ce- header values.
NO_PCT_DECODE = {"pyv1", "go"}
# What a peer does to the events it writes (so what cerelay then reads).
WRITE_QUIRKS = {
    # adds time=now; keeps time to the microsecond; binary mode writes a Python bool as
    # str(True) == "True" instead of the canonical "true".
    "pycore": dict(adds_time=True, time_ns=1000, bool_title=True),
    "pyv1": dict(adds_time=True),
    "go": dict(),
}


# ------------------------------------------------------------------------------------------
# HTTP scenarios (no broker): messages are file pairs N.headers.json + N.body.
# ------------------------------------------------------------------------------------------
def http_peer_reads_ours(peer, mode):
    lines = corpus_lines(exclude=gaps(peer, "read", "http", mode))
    q = dict(READ_QUIRKS[peer])
    if mode == "binary" and peer in NO_PCT_DECODE:
        q["unquote_attrs"] = True
    with tempfile.TemporaryDirectory() as d:
        prefixes = http_encode("ours", mode, lines, d)
        actual = http_decode(peer, prefixes)
    expected = [json.loads(line) for line in lines]
    diffs = cecompare.compare_sets(expected, actual, Quirks(**q),
                                   strict_types=mode != "binary")
    expect_no_diffs(diffs, f"{peer} read cerelay's HTTP {mode} messages", len(expected))


def http_ours_reads_peer(peer, mode):
    lines = corpus_lines(exclude=gaps(peer, "write", "http", mode))
    with tempfile.TemporaryDirectory() as d:
        prefixes = http_encode(peer, mode, lines, d)
        actual = http_decode("ours", prefixes)
    expected = [json.loads(line) for line in lines]
    q = dict(WRITE_QUIRKS[peer])
    if mode != "binary":
        q.pop("bool_title", None)
    diffs = cecompare.compare_sets(expected, actual, Quirks(**q), strict_types=mode != "binary")
    expect_no_diffs(diffs, f"cerelay read {peer}'s HTTP {mode} messages", len(expected))


# ------------------------------------------------------------------------------------------
# Kafka scenarios (label kafka): the real broker of scripts/kafka.sh.
# ------------------------------------------------------------------------------------------
_KENV = None


def kafka_env():
    global _KENV
    if _KENV is None:
        env = {}
        try:
            out = subprocess.run(["bash", os.path.join(ROOT, "scripts", "kafka.sh"), "env"],
                                 capture_output=True, timeout=30).stdout.decode()
            for line in out.splitlines():
                if line.startswith("export ") and "=" in line:
                    k, v = line[len("export "):].split("=", 1)
                    env[k] = (shlex.split(v) or [""])[0]
        except (OSError, subprocess.TimeoutExpired):
            pass
        env.update({k: v for k, v in os.environ.items() if k.startswith("CER_KAFKA_")})
        env.setdefault("CER_KAFKA_BOOTSTRAP", "127.0.0.1:9092")
        _KENV = env
    return _KENV


def require_broker(var="CER_KAFKA_BOOTSTRAP"):
    addr = kafka_env().get(var)
    if not addr:
        raise Fail(f"{var} is not known: is scripts/kafka.sh there? (`scripts/kafka.sh env`)")
    host, port = addr.split(",")[0].rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=3).close()
    except OSError as e:
        raise Fail(f"Kafka broker not reachable at {addr} ({var}): {e}. This test needs the "
                   f"broker: start it with `scripts/kafka.sh start` (make test does).")
    return addr


def new_topic(name):
    return f"interop-{name}-{os.getpid()}-{int(time.time() * 1000)}"


def expected_key(ev):
    """The record key cerelay's default mapper gives (ce_kafka_key): partitionkey, else
    subject, else null."""
    if "partitionkey" in ev:
        return ev["partitionkey"]
    return ev.get("subject")


def send(brokers, topic, mode, lines, props=()):
    with tempfile.NamedTemporaryFile("w", suffix=".ndjson", delete=False) as f:
        f.write("\n".join(lines) + "\n")
        path = f.name
    try:
        cmd = [cerelay(), "send", "--kafka", brokers, "--topic", topic, "--mode", mode,
               "--timeout", "30", "--file", path]
        for p in props:
            cmd += ["-X", p]
        _, err = run(cmd, timeout=60)
    finally:
        os.unlink(path)
    n = len(lines)
    if f"delivered {n}," not in err or "failed 0" not in err:
        raise Fail(f"cerelay send did not report {n} delivered and 0 failed:\n{err}")


def tail(brokers, topic, count, props=()):
    cmd = [cerelay(), "tail", "--kafka", brokers, "--topic", topic, "--offset", "earliest",
           "--count", str(count), "--format", "json"]
    for p in props:
        cmd += ["-X", p]
    out, _ = run(cmd, timeout=60)
    return cecompare.load_ndjson(out)


def kafka_peer_reads_send(peer, mode):
    brokers = require_broker()
    lines = corpus_lines(exclude=gaps(peer, "read", "kafka", mode))
    expected = [json.loads(line) for line in lines]
    topic = new_topic(f"{peer}-reads-{mode}")
    send(brokers, topic, mode, lines)
    keys, diffs = {}, []
    if peer == "go":
        out, _ = run([gopeer(), "kafka-recv", "-brokers", brokers, "-topic", topic,
                      "-count", str(len(lines)), "-timeout", "30s"])
        actual = cecompare.load_ndjson(out)
    else:
        out, _ = run(pysdk("kafka-consume", PY_API[peer], brokers, topic, str(len(lines))))
        recs = cecompare.load_ndjson(out)
        actual = [r["event"] for r in recs]
        keys = {r["event"].get("id"): r["key"] for r in recs}
        for e in expected:
            if e["id"] in keys and keys[e["id"]] != expected_key(e):
                diffs.append(f"event {e['id']!r}: record key {keys[e['id']]!r}, expected "
                             f"{expected_key(e)!r}")
    diffs += cecompare.compare_sets(expected, actual, Quirks(**READ_QUIRKS[peer]), keys,
                                    ordered=False, strict_types=mode == "structured")
    expect_no_diffs(diffs, f"{peer} read `cerelay send --mode {mode}` records", len(expected))


def kafka_tail_reads_peer(peer, mode):
    brokers = require_broker()
    lines = corpus_lines(exclude=gaps(peer, "write", "kafka", mode))
    expected = [json.loads(line) for line in lines]
    topic = new_topic(f"tail-reads-{peer}-{mode}")
    data = ("\n".join(lines) + "\n").encode()
    if peer == "go":
        run([gopeer(), "kafka-send", "-brokers", brokers, "-topic", topic, "-mode", mode],
            stdin=data)
    else:
        run(pysdk("kafka-produce", PY_API[peer], mode, brokers, topic), stdin=data)
    actual = tail(brokers, topic, len(lines))
    q = dict(WRITE_QUIRKS[peer])
    if mode != "binary":
        q.pop("bool_title", None)
    diffs = cecompare.compare_sets(expected, actual, Quirks(**q), ordered=False,
                                   strict_types=mode == "structured")
    expect_no_diffs(diffs, f"`cerelay tail` read {peer}'s {mode} records", len(expected))


def kafka_confluent_reads_send(mode):
    """Seed 002's consumer on `cerelay send` records: every ce_ header, content-type, the key
    and the value, byte for byte where the binding fixes the bytes."""
    brokers = require_broker()
    lines = corpus_lines()
    expected = {json.loads(line)["id"]: json.loads(line) for line in lines}
    topic = new_topic(f"confluent-reads-{mode}")
    send(brokers, topic, mode, lines)
    out, _ = run([SYS_PY, os.path.join(HERE, "seed_consumer.py"), brokers, topic,
                  str(len(lines))])
    recs = cecompare.load_ndjson(out)
    diffs = []
    if len(recs) != len(lines):
        diffs.append(f"expected {len(lines)} records, got {len(recs)}")
    seen = set()
    for r in recs:
        hs = r["headers"]
        names = [h[0] for h in hs]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            diffs.append(f"record {r['partition']}@{r['offset']}: repeated headers {dup}")
        h = dict(hs)
        value = None if r["value_b64"] is None else base64.b64decode(r["value_b64"])
        if mode == "binary":
            rid = h.get("ce_id")
        else:
            rid = json.loads(value).get("id") if value else None
        e = expected.get(rid)
        where = f"record {r['partition']}@{r['offset']} (id {rid!r})"
        if e is None:
            diffs.append(f"{where}: no such event was sent")
            continue
        seen.add(rid)
        if r["key"] != expected_key(e):
            diffs.append(f"{where}: key {r['key']!r}, expected {expected_key(e)!r}")
        if mode == "binary":
            # Rebuild the event from headers + value exactly as the Kafka binding says.
            got = {n[3:]: v for n, v in h.items() if n.startswith("ce_")}
            for n in h:
                if not n.startswith("ce_") and n != "content-type":
                    diffs.append(f"{where}: unexpected header {n!r}")
            if "content-type" in h:
                got["datacontenttype"] = h["content-type"]
            kind, data = cecompare.data_of(e)
            if kind == "none":
                if value is not None:
                    diffs.append(f"{where}: event without data, expected a null value "
                                 f"(tombstone), got {value!r}")
            elif value is None:
                diffs.append(f"{where}: null value, expected the data")
            elif kind == "json":
                try:
                    got["data"] = json.loads(value)
                except ValueError as ex:
                    diffs.append(f"{where}: value is not the JSON data: {ex}: {value!r}")
            else:
                got["data_base64"] = base64.b64encode(value).decode()
            diffs += [f"{where}: {d}" for d in cecompare.diff(e, got)]
            if e["type"] == "eventzr.llm.usage.v1":
                want = {"usage_total_tokens": 500, "cost_usd": 0.0025}
                if r["handled"] != want:
                    diffs.append(f"{where}: the seed's ce_type routing handled {r['handled']!r}, "
                                 f"expected {want!r}")
        else:
            ct = h.get("content-type", "")
            if not ct.lower().startswith("application/cloudevents+json"):
                diffs.append(f"{where}: content-type {ct!r}, expected application/cloudevents+json")
            diffs += [f"{where}: {d}" for d in cecompare.diff(e, json.loads(value),
                                                                  strict_types=True)]
            # Attribute headers in structured mode are optional (a MAY); when present they
            # must agree with the event.
            for n, v in h.items():
                if not n.startswith("ce_"):
                    continue
                want = e.get(n[3:])
                if want is None:
                    agrees = False
                elif n == "ce_time":
                    agrees = cecompare.instant_ns(v) == cecompare.instant_ns(want)
                else:
                    agrees = cecompare.attr_str(want) == v
                if not agrees:
                    diffs.append(f"{where}: header {n}={v!r} disagrees with the event "
                                 f"({want!r})")
    for rid in expected:
        if rid not in seen:
            diffs.append(f"event {rid!r}: not received")
    expect_no_diffs(diffs, f"confluent_kafka read `cerelay send --mode {mode}` records",
                    len(lines))


LISTENERS = {
    "plaintext": ("CER_KAFKA_BOOTSTRAP", lambda env: []),
    "ssl": ("CER_KAFKA_SSL_BOOTSTRAP", lambda env: [
        "security.protocol=ssl", f"ssl.ca.location={env['CER_KAFKA_CA']}"]),
    "scram": ("CER_KAFKA_SCRAM_BOOTSTRAP", lambda env: [
        "security.protocol=sasl_plaintext", "sasl.mechanism=SCRAM-SHA-512",
        f"sasl.username={env.get('CER_KAFKA_SCRAM_USER', 'cerelay')}",
        f"sasl.password={env.get('CER_KAFKA_SCRAM_PASSWORD', 'cerelay-secret')}"]),
    "oauthbearer": ("CER_KAFKA_OAUTH_BOOTSTRAP", lambda env: [
        "security.protocol=sasl_plaintext", "sasl.mechanism=OAUTHBEARER",
        "enable.sasl.oauthbearer.unsecure.jwt=true",
        f"sasl.oauthbearer.config=principal={env.get('CER_KAFKA_OAUTH_PRINCIPAL', 'cerelay')}"]),
}


def kafka_listener(name):
    var, props_of = LISTENERS[name]
    env = kafka_env()
    brokers = require_broker(var)
    props = props_of(env)
    lines = corpus_lines()
    expected = [json.loads(line) for line in lines]
    topic = new_topic(f"listener-{name}")
    send(brokers, topic, "binary", lines, props)
    actual = tail(brokers, topic, len(lines), props)
    diffs = cecompare.compare_sets(expected, actual, ordered=False)
    expect_no_diffs(diffs, f"cerelay send + tail over {name} ({brokers})", len(expected))


# ------------------------------------------------------------------------------------------
def scenarios():
    s = {}
    peers = ("pycore", "pyv1", "go")
    for p in peers:
        for m in ("binary", "structured", "batch"):
            s[f"http_{p}_reads_ours_{m}"] = (http_peer_reads_ours, p, m)
        if p != "pycore":  # pycore mistakes it for binary mode: docs/interop.md
            s[f"http_{p}_reads_ours_structured_headers"] = (http_peer_reads_ours, p,
                                                            "structured+headers")
        for m in ("binary", "structured") + (("batch",) if p == "go" else ()):
            s[f"http_ours_reads_{p}_{m}"] = (http_ours_reads_peer, p, m)
    for m in ("binary", "structured"):
        s[f"kafka_confluent_reads_send_{m}"] = (kafka_confluent_reads_send, m)
    for p in peers:
        for m in ("binary", "structured"):
            if p == "pyv1" and m == "structured":
                continue  # cloudevents.v1.kafka structured mode is not the spec's: docs/interop.md
            s[f"kafka_{p}_reads_send_{m}"] = (kafka_peer_reads_send, p, m)
            s[f"kafka_tail_reads_{p}_{m}"] = (kafka_tail_reads_peer, p, m)
    for name in LISTENERS:
        s[f"kafka_listener_{name}"] = (kafka_listener, name)
    return s


def find_go():
    for g in (shutil.which("go"), "/usr/local/go/bin/go", "/usr/lib/go/bin/go"):
        if g and os.access(g, os.X_OK):
            return g
    return None


def setup():
    run(["bash", os.path.join(ROOT, "scripts", "interop-deps.sh")], timeout=900)
    print("cloudevents (Python SDK)", run(pysdk("version", "core"))[0].strip())
    go = find_go()
    if not go:
        raise Fail("no go toolchain found (scripts/interop-deps.sh installs golang-go)")
    env = dict(os.environ, GOFLAGS="-mod=mod")
    os.makedirs(os.path.dirname(gopeer()), exist_ok=True)
    p = subprocess.run([go, "build", "-o", gopeer(), "."], cwd=os.path.join(HERE, "go"),
                       env=env, capture_output=True, timeout=600)
    if p.returncode != 0:
        raise Fail(f"go build of the Go peer failed:\n{p.stderr.decode()}")
    v = subprocess.run([go, "list", "-m", "github.com/cloudevents/sdk-go/v2"],
                       cwd=os.path.join(HERE, "go"), env=env, capture_output=True)
    print(v.stdout.decode().strip(), "built into", gopeer())


def main(argv):
    if len(argv) != 2:
        sys.exit(__doc__)
    name = argv[1]
    try:
        if name == "list":
            print("\n".join(scenarios()))
        elif name == "setup":
            setup()
        else:
            sc = scenarios().get(name)
            if sc is None:
                sys.exit(f"interop.py: no scenario {name!r} (see `interop.py list`)")
            sc[0](*sc[1:])
    except Fail as e:
        print(f"FAIL: interop/{name}: {e}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv)
