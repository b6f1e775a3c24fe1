#!/usr/bin/env python3
"""End-to-end check of the local test broker started by scripts/kafka.sh.

    scripts/kafka.sh start && python3 scripts/kafka/selftest.py

For every listener (PLAINTEXT, SSL with the generated CA, SSL with a client
certificate, SASL SCRAM-SHA-512, SASL SCRAM-SHA-256, SASL OAUTHBEARER with an
unsecured JWT) it produces a message to a fresh auto-created topic and
consumes it back through a consumer group. It also checks that the broker
rejects a wrong SCRAM password and a TLS client that does not trust the CA.
Exits non-zero on any failure.

Needs confluent_kafka (Debian: python3-confluent-kafka, in /usr/bin/python3).
When the interpreter running this file lacks it, the script re-executes itself
with /usr/bin/python3.
"""
import os
import sys
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, HERE)

try:
    import confluent_kafka  # noqa: F401
except ImportError:
    if os.path.realpath(sys.executable) != os.path.realpath("/usr/bin/python3") and os.access(
        "/usr/bin/python3", os.X_OK
    ) and not os.environ.get("CER_KAFKA_SELFTEST_REEXEC"):
        os.environ["CER_KAFKA_SELFTEST_REEXEC"] = "1"
        os.execv("/usr/bin/python3", ["/usr/bin/python3", os.path.abspath(__file__)] + sys.argv[1:])
    sys.exit("selftest: confluent_kafka is not importable (Debian: apt-get install -y python3-confluent-kafka)")

from confluent_kafka import Consumer, KafkaError, KafkaException, Producer  # noqa: E402

import cerkafka  # noqa: E402

TIMEOUT = float(os.environ.get("CER_KAFKA_SELFTEST_TIMEOUT", "30"))


def quiet(conf):
    # librdkafka would log connection errors to stderr; negative tests cause them on purpose.
    return dict(conf, **{"log_level": 0})


def roundtrip(name, conf, partitions):
    """Produce one message to a new topic and consume it back; returns seconds taken."""
    t0 = time.monotonic()
    topic = "cerelay-selftest-%s-%s" % (name.lower().replace("_", "-"), uuid.uuid4().hex[:12])
    payload = ("hello over %s %s" % (name, uuid.uuid4())).encode()
    delivered = []

    def on_delivery(err, msg):
        delivered.append((err, msg))

    p = Producer(quiet(dict(conf, **{"acks": "all", "enable.idempotence": True})))
    p.produce(topic, key=b"k", value=payload, headers=[("ce_specversion", b"1.0")], on_delivery=on_delivery)
    remaining = p.flush(TIMEOUT)
    if remaining or not delivered:
        raise AssertionError("message not delivered within %.0fs" % TIMEOUT)
    err, msg = delivered[0]
    if err is not None:
        raise AssertionError("delivery failed: %s" % err)

    md = p.list_topics(topic, timeout=10)
    nparts = len(md.topics[topic].partitions)
    if partitions and nparts != partitions:
        raise AssertionError("auto-created topic has %d partitions, expected %d" % (nparts, partitions))

    c = Consumer(
        quiet(
            dict(
                conf,
                **{
                    "group.id": "cerelay-selftest-" + uuid.uuid4().hex[:12],
                    "auto.offset.reset": "earliest",
                    "enable.auto.commit": False,
                },
            )
        )
    )
    try:
        c.subscribe([topic])
        deadline = time.monotonic() + TIMEOUT
        while True:
            if time.monotonic() > deadline:
                raise AssertionError("message not consumed within %.0fs" % TIMEOUT)
            m = c.poll(0.5)
            if m is None:
                continue
            if m.error():
                if m.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise AssertionError("consume error: %s" % m.error())
            if m.value() == payload:
                if m.key() != b"k" or (m.headers() or []) != [("ce_specversion", b"1.0")]:
                    raise AssertionError("key/headers mismatch: %r %r" % (m.key(), m.headers()))
                c.commit(message=m, asynchronous=False)
                break
    finally:
        c.close()
    return time.monotonic() - t0, msg.partition(), msg.offset()


def expect_rejected(name, conf, wanted_codes):
    """The broker must refuse this client: librdkafka reports one of wanted_codes
    (via error_cb) and metadata requests fail."""
    errors = []
    p = Producer(quiet(dict(conf, **{"error_cb": errors.append})))
    deadline = time.monotonic() + 15
    while not any(e.code() in wanted_codes for e in errors):
        if time.monotonic() > deadline:
            raise AssertionError("expected one of %s, got %s" % (wanted_codes, [str(e) for e in errors]))
        p.poll(0.2)
    try:
        p.list_topics(timeout=1)
    except KafkaException:
        pass
    else:
        raise AssertionError("metadata request unexpectedly succeeded")
    return [str(e) for e in errors if e.code() in wanted_codes][0]


def main():
    env_file = sys.argv[1] if len(sys.argv) > 1 else cerkafka.default_env_file()
    if not os.path.exists(env_file):
        sys.exit("selftest: %s not found; start the broker first: scripts/kafka.sh start" % env_file)
    env = cerkafka.read_env(env_file)
    confs = cerkafka.listener_configs(env)
    partitions = int(env.get("CER_KAFKA_PARTITIONS", "0") or 0)

    cases = [
        ("PLAINTEXT", confs["PLAINTEXT"]),
        ("SSL", confs["SSL"]),
        ("SSL_MTLS", dict(confs["SSL"], **{
            "ssl.certificate.location": env["CER_KAFKA_CLIENT_CERT"],
            "ssl.key.location": env["CER_KAFKA_CLIENT_KEY"],
        })),
        ("SCRAM-SHA-512", confs["SCRAM-SHA-512"]),
        ("SCRAM-SHA-256", dict(confs["SCRAM-SHA-512"], **{"sasl.mechanism": "SCRAM-SHA-256"})),
        ("OAUTHBEARER", confs["OAUTHBEARER"]),
    ]
    failed = passed = 0
    print("selftest: confluent_kafka %s, librdkafka %s" % (confluent_kafka.version()[0], confluent_kafka.libversion()[0]))
    for name, conf in cases:
        try:
            secs, part, off = roundtrip(name, conf, partitions)
            print("ok    %-14s %-16s produce+consume %.2fs (partition %d offset %d)" % (name, conf["bootstrap.servers"], secs, part, off))
            passed += 1
        except Exception as e:  # noqa: BLE001
            print("FAIL  %-14s %-16s %s" % (name, conf["bootstrap.servers"], e))
            failed += 1

    # A TLS client without our CA (librdkafka falls back to the system CA store).
    untrusted = {k: v for k, v in confs["SSL"].items() if k != "ssl.ca.location"}
    negatives = [
        ("SCRAM wrong password", dict(confs["SCRAM-SHA-512"], **{"sasl.password": "not-the-password"}),
         [KafkaError._AUTHENTICATION]),
        ("SSL untrusted CA", untrusted, [KafkaError._SSL]),
    ]
    for name, conf, codes in negatives:
        try:
            why = expect_rejected(name, conf, codes)
            print("ok    %-22s rejected: %s" % (name, why[:160]))
            passed += 1
        except Exception as e:  # noqa: BLE001
            print("FAIL  %-22s %s" % (name, e))
            failed += 1

    print("selftest: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
