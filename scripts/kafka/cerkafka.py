"""Shared helpers for scripts/kafka/probe.py and scripts/kafka/selftest.py.

Reads the env file written by `scripts/kafka.sh start`
($CER_KAFKA_STATE/env.sh, lines `export NAME=value`) and builds librdkafka
client configurations for each listener of the local test broker.
"""
import os
import shlex


def default_env_file():
    state = os.environ.get("CER_KAFKA_STATE") or "/tmp/cerelay-kafka"
    return os.path.join(state, "env.sh")


def read_env(path):
    env = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line.startswith("export "):
                continue
            # Values were written with bash's printf %q; shlex handles the
            # common quoting (plain words, backslash escapes, quotes).
            parts = shlex.split(line[len("export "):])
            if len(parts) == 1 and "=" in parts[0]:
                k, v = parts[0].split("=", 1)
                env[k] = v
    return env


def listener_configs(env):
    """name -> librdkafka config dict (without group.id etc.)."""
    return {
        "PLAINTEXT": {
            "bootstrap.servers": env["CER_KAFKA_BOOTSTRAP"],
        },
        "SSL": {
            "bootstrap.servers": env["CER_KAFKA_SSL_BOOTSTRAP"],
            "security.protocol": "SSL",
            "ssl.ca.location": env["CER_KAFKA_CA"],
            # librdkafka >= 2.0 default; spelled out so the check is explicit.
            "ssl.endpoint.identification.algorithm": "https",
        },
        "SCRAM-SHA-512": {
            "bootstrap.servers": env["CER_KAFKA_SCRAM_BOOTSTRAP"],
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "SCRAM-SHA-512",
            "sasl.username": env["CER_KAFKA_SCRAM_USER"],
            "sasl.password": env["CER_KAFKA_SCRAM_PASSWORD"],
        },
        "OAUTHBEARER": {
            "bootstrap.servers": env["CER_KAFKA_OAUTH_BOOTSTRAP"],
            "security.protocol": "SASL_PLAINTEXT",
            "sasl.mechanism": "OAUTHBEARER",
            "enable.sasl.oauthbearer.unsecure.jwt": True,
            "sasl.oauthbearer.config": "principal=" + env.get("CER_KAFKA_OAUTH_PRINCIPAL", "cerelay"),
        },
    }
