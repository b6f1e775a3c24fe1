"""The official CloudEvents Python SDK (PyPI `cloudevents`, pinned in scripts/interop-deps.sh)
as an interoperability peer for cerelay's tests (tests/interop/, docs/interop.md). Runs in the
venv that scripts/interop-deps.sh creates. Every event goes through the SDK's own codecs; this
file only moves bytes. Two APIs of the same package are peers:

  core  cloudevents.core.bindings.{http,kafka} + cloudevents.core.formats.json (the 2.x API)
  v1    cloudevents.v1.{conversion,http,kafka} (the 1.x API, kept in 2.x under cloudevents.v1)

  pysdk_peer.py http-encode API MODE DIR < events.ndjson      MODE: binary | structured
  pysdk_peer.py http-decode API DIR/N...                      prints NDJSON (SDK's JSON writer)
  pysdk_peer.py kafka-produce API MODE BROKERS TOPIC < events.ndjson
  pysdk_peer.py kafka-consume API BROKERS TOPIC COUNT         prints {"key", "event"} per line

The SDK has no batch reader or writer: http-decode of a batch message splits the JSON array
and hands each element to the SDK's structured-JSON reader (json-format.md section 4).
"""
import json
import os
import sys
import time
import uuid

from importlib.metadata import version


def die(msg):
    print(f"pysdk_peer: {msg}", file=sys.stderr)
    sys.exit(1)


def read_lines():
    return [line for line in sys.stdin.read().splitlines() if line.strip()]


# ------------------------------------------------------------------------------------------
# The two APIs behind one interface: parse a structured-JSON line, write an event as
# structured JSON, HTTP encode/decode, Kafka encode/decode.
# ------------------------------------------------------------------------------------------
class Core:
    def __init__(self):
        from cloudevents.core.bindings import http, kafka
        from cloudevents.core.formats.json import JSONFormat

        self.http, self.kafka, self.fmt = http, kafka, JSONFormat()

    def parse(self, line):
        return self.fmt.read(None, line.encode())

    def to_json(self, ev):
        return self.fmt.write(ev).decode()

    def http_encode(self, ev, mode):
        m = (self.http.to_binary if mode == "binary" else self.http.to_structured)(ev, self.fmt)
        return dict(m.headers), m.body

    def http_decode(self, headers, body):
        return self.http.from_http(self.http.HTTPMessage(headers=headers, body=body), self.fmt)

    def kafka_encode(self, ev, mode):
        f = self.kafka.to_binary if mode == "binary" else self.kafka.to_structured
        m = f(ev, self.fmt)
        return list(m.headers.items()), m.key, m.value

    def kafka_decode(self, headers, key, value):
        m = self.kafka.KafkaMessage(headers=dict(headers), key=key, value=value)
        return self.kafka.from_kafka(m, self.fmt)


def _is_json_type(ct):
    mt = (ct or "application/json").split(";", 1)[0].strip().lower()
    return mt.endswith("/json") or mt.endswith("+json")


class V1:
    """The 1.x API marshals every payload with json.dumps and unmarshals every Kafka value with
    json.loads unless told otherwise; it asks the caller for data_marshaller and
    data_unmarshaller callables for anything else. This peer passes the obvious ones: JSON for
    JSON media types, the bytes (or text) as they are for the rest."""

    def __init__(self):
        from cloudevents.v1 import conversion, http, kafka

        self.conv, self.http, self.kafka = conversion, http, kafka

    @staticmethod
    def marshaller(ev):
        if _is_json_type(ev.get("datacontenttype")):
            return None  # the SDK's default: JSON
        return lambda d: d

    def parse(self, line):
        return self.http.from_json(line)

    def to_json(self, ev):
        return self.conv.to_json(ev).decode()

    def http_encode(self, ev, mode):
        f = self.conv.to_binary if mode == "binary" else self.conv.to_structured
        headers, body = f(ev, self.marshaller(ev))
        return dict(headers), body if body is not None else b""

    def http_decode(self, headers, body):
        return self.http.from_http(headers, body)

    def kafka_encode(self, ev, mode):
        f = self.kafka.to_binary if mode == "binary" else self.kafka.to_structured
        m = f(ev, data_marshaller=self.marshaller(ev))
        return list(m.headers.items()), m.key, m.value

    def kafka_decode(self, headers, key, value):
        h = dict(headers)
        # from_* copy the key into partitionkey as given; bytes would not serialise to JSON.
        key = key.decode("utf-8") if isinstance(key, bytes) else key
        m = self.kafka.KafkaMessage(headers=h, key=key, value=value)
        ct = h["content-type"].decode("latin-1") if "content-type" in h else None
        if ct and ct.lower().startswith("application/cloudevents"):
            return self.kafka.from_structured(m)
        if value is None:
            return self.kafka.from_binary(m, data_unmarshaller=lambda d: None)
        if _is_json_type(ct):
            return self.kafka.from_binary(m)
        return self.kafka.from_binary(m, data_unmarshaller=lambda d: d)


def api(name):
    if name == "core":
        return Core()
    if name == "v1":
        return V1()
    die(f"unknown API {name!r} (core or v1)")


# ------------------------------------------------------------------------------------------
def http_encode(a, mode, out_dir):
    for n, line in enumerate(read_lines()):
        headers, body = a.http_encode(a.parse(line), mode)
        if isinstance(body, str):
            body = body.encode()
        with open(os.path.join(out_dir, f"{n}.headers.json"), "w") as f:
            json.dump(headers, f)
        with open(os.path.join(out_dir, f"{n}.body"), "wb") as f:
            f.write(body)


def http_decode(a, prefix):
    sys.stdout.flush()
    with open(prefix + ".headers.json") as f:
        headers = json.load(f)
    with open(prefix + ".body", "rb") as f:
        body = f.read()
    ct = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if ct.lower().startswith("application/cloudevents-batch+json"):
        # No batch API in the SDK: each array element goes to its structured-JSON reader.
        for elem in json.loads(body):
            print(a.to_json(a.parse(json.dumps(elem))))
        return
    print(a.to_json(a.http_decode(headers, body)))


def kafka_produce(a, mode, brokers, topic):
    from confluent_kafka import Producer

    p = Producer({"bootstrap.servers": brokers, "acks": "all", "linger.ms": 5})
    failed = []

    def report(err, msg):
        if err is not None:
            failed.append(str(err))

    lines = read_lines()
    for line in lines:
        headers, key, value = a.kafka_encode(a.parse(line), mode)
        if isinstance(value, str):
            value = value.encode()
        p.produce(topic, value=value, key=key, headers=headers, on_delivery=report)
    left = p.flush(30)
    if left or failed:
        die(f"kafka-produce: {left} undelivered, errors: {failed}")
    print(f"pysdk_peer: produced {len(lines)} to {topic} ({mode})", file=sys.stderr)


def kafka_consume(a, brokers, topic, count):
    from confluent_kafka import Consumer, KafkaError

    c = Consumer({"bootstrap.servers": brokers, "group.id": f"interop-pysdk-{uuid.uuid4()}",
                  "auto.offset.reset": "earliest", "enable.auto.commit": False})
    c.subscribe([topic])
    got, deadline = 0, time.monotonic() + 30
    try:
        while got < count:
            if time.monotonic() > deadline:
                die(f"kafka-consume: timed out with {got} of {count} records from {topic}")
            msg = c.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                die(f"kafka-consume: {msg.error()}")
            try:
                ev = a.kafka_decode(msg.headers() or [], msg.key(), msg.value())
            except Exception as e:  # the SDK rejected one of our records: that is the finding
                die(f"kafka-consume: record {msg.partition()}@{msg.offset()}: the SDK cannot "
                    f"decode it: {type(e).__name__}: {e}")
            key = msg.key().decode() if msg.key() is not None else None
            print(json.dumps({"key": key, "event": json.loads(a.to_json(ev))}))
            got += 1
    finally:
        c.close()


def main(argv):
    if len(argv) < 3:
        die(__doc__)
    cmd, a = argv[1], api(argv[2])
    if cmd == "version":
        print(version("cloudevents"))
    elif cmd == "http-encode" and len(argv) == 5:
        http_encode(a, argv[3], argv[4])
    elif cmd == "http-decode" and len(argv) >= 4:
        for prefix in argv[3:]:
            try:
                http_decode(a, prefix)
            except Exception as e:  # the SDK rejected one of our messages: that is the finding
                sys.stdout.flush()
                die(f"http-decode {prefix}: the SDK cannot decode it: {type(e).__name__}: {e}")
    elif cmd == "kafka-produce" and len(argv) == 6:
        kafka_produce(a, argv[3], argv[4], argv[5])
    elif cmd == "kafka-consume" and len(argv) == 6:
        kafka_consume(a, argv[3], argv[4], int(argv[5]))
    else:
        die(__doc__)


if __name__ == "__main__":
    main(sys.argv)
