"""The consumer of seed 002 (shared/seeds/002_*.txt), made runnable: Debian's confluent_kafka
reading what `cerelay send` produced, routing on the `ce_type` header as the seed does, with
key = subject. Run with /usr/bin/python3 (Debian's python3-confluent-kafka), not a venv.

  seed_consumer.py BROKERS TOPIC COUNT    prints one JSON object per record:
      {"partition", "offset", "key", "headers": [[name, value], ...], "value_b64", "handled"}

The seed's own code has two slips this file corrects: Message.headers() is a list of (name,
bytes) pairs (or None), not a dict, so `msg.headers().get("ce_type")` raises AttributeError; and
it json.loads() the value as a whole event, which holds for structured mode only; in binary
mode (what this consumer is for) the value is the event's data.
"""
import base64
import json
import sys
import time
import uuid

from confluent_kafka import Consumer, KafkaError


def handle_usage(data):
    # What the seed's handler would do with an eventzr.llm.usage.v1 event's data.
    return {"usage_total_tokens": data["totalTokens"], "cost_usd": data["costUsd"]}


def main(brokers, topic, count):
    consumer = Consumer({
        "bootstrap.servers": brokers,
        "group.id": f"interop-seed-consumer-{uuid.uuid4()}",
        "auto.offset.reset": "earliest",
    })
    consumer.subscribe([topic])
    got, deadline = 0, time.monotonic() + 30
    try:
        while got < count:
            if time.monotonic() > deadline:
                sys.exit(f"seed_consumer: timed out with {got} of {count} records from {topic}")
            msg = consumer.poll(0.5)
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                sys.exit(f"seed_consumer: {msg.error()}")
            headers = dict(msg.headers() or [])
            event_type = headers.get("ce_type", b"").decode()
            handled = None
            if event_type == "eventzr.llm.usage.v1":
                handled = handle_usage(json.loads(msg.value()))
            print(json.dumps({
                "partition": msg.partition(),
                "offset": msg.offset(),
                "key": None if msg.key() is None else msg.key().decode("utf-8"),
                "headers": [[k, None if v is None else v.decode("utf-8")]
                            for k, v in (msg.headers() or [])],
                "value_b64": None if msg.value() is None
                else base64.b64encode(msg.value()).decode(),
                "handled": handled,
            }), flush=True)
            got += 1
    finally:
        consumer.close()


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
