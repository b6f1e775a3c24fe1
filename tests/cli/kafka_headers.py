"""Read every record of a topic with confluent_kafka (Debian's python3-confluent-kafka, as seed
002's consumer does) and print one JSON line per record: {"id": ce id, "headers": {name:
value}}. The id is the ce_id header (binary mode) or the value's "id" (structured mode).
usage: kafka_headers.py BOOTSTRAP TOPIC COUNT"""
import json
import sys
import time

from confluent_kafka import Consumer

boot, topic, want = sys.argv[1], sys.argv[2], int(sys.argv[3])
c = Consumer({"bootstrap.servers": boot, "group.id": "hdr-%d" % time.time_ns(),
              "auto.offset.reset": "earliest", "enable.auto.commit": False})
c.subscribe([topic])
got, deadline = 0, time.time() + 30
while got < want and time.time() < deadline:
    msg = c.poll(1.0)
    if msg is None or msg.error():
        continue
    hdrs = {k: (v.decode() if v is not None else None) for k, v in (msg.headers() or [])}
    ev_id = hdrs.get("ce_id")
    if ev_id is None:
        ev_id = json.loads(msg.value())["id"]
    print(json.dumps({"id": ev_id, "headers": hdrs}, sort_keys=True))
    got += 1
c.close()
sys.exit(0 if got == want else 1)
