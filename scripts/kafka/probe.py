"""One-shot readiness probe used by scripts/kafka.sh start.

usage: python3 probe.py ENV_FILE
Exit 0 when every client listener of the broker answers a metadata request
listing broker 1; exit 1 otherwise (reasons on stderr).
"""
import os
import sys

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from confluent_kafka import KafkaException  # noqa: E402
from confluent_kafka.admin import AdminClient  # noqa: E402

import cerkafka  # noqa: E402


def main():
    env = cerkafka.read_env(sys.argv[1] if len(sys.argv) > 1 else cerkafka.default_env_file())
    ok = True
    for name, conf in cerkafka.listener_configs(env).items():
        conf = dict(conf, **{"socket.timeout.ms": 4000, "log_level": 0})
        try:
            md = AdminClient(conf).list_topics(timeout=4)
        except KafkaException as e:
            print(f"{name}: {e}", file=sys.stderr)
            ok = False
            continue
        if 1 not in md.brokers:
            print(f"{name}: metadata lists no broker 1: {md.brokers}", file=sys.stderr)
            ok = False
        else:
            print(f"{name}: ok ({md.brokers[1]})", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
