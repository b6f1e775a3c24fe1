#!/usr/bin/env python3
"""OTLP/gRPC ingest (src/relay/grpc.c) against real clients: the OpenTelemetry Python SDK's
gRPC exporters (logs and a GenAI span, cleartext and TLS) and raw grpcio calls for the status
codes (bad input, too large, overload, unknown method, gzip, partial success, auth).

Each case_NAME function is one ctest test, relay/test_grpc/NAME. Runs under the venv of
scripts/interop-deps.sh (grpcio, opentelemetry-sdk, opentelemetry-exporter-otlp-proto-grpc);
without it the test fails, saying so.

  test_grpc.py list | NAME     (environment: CERELAY = the cerelay binary)
"""
import gzip
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

CERELAY = os.environ.get("CERELAY", "cerelay")
LOGS = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
TRACES = "/opentelemetry.proto.collector.trace.v1.TraceService/Export"


def free_port():
    """A free TCP port below 32768 (the ephemeral range starts above)."""
    for _ in range(100):
        p = random.randint(20000, 32000)
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", p))
            return p
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port")


class Relay:
    def __init__(self, extra="", ack="local", tls=False, ack_timeout=None, binding=None,
                 client_ca=None):
        self.dir = tempfile.mkdtemp(prefix="cer_grpc_")
        self.port = free_port()
        tls_yaml = ""
        if tls:
            self.cert = os.path.join(self.dir, "cert.pem")
            key = os.path.join(self.dir, "key.pem")
            subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                 "-out", self.cert, "-days", "1", "-subj", "/CN=localhost",
                 "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                check=True, capture_output=True)
            tls_yaml = f"  tls:\n    cert: {self.cert}\n    key: {key}\n"
            if client_ca:
                tls_yaml += f"    client_ca: {client_ca}\n"
        cfg = os.path.join(self.dir, "cfg.yaml")
        with open(cfg, "w") as f:
            binding = binding or f"binding: log\nlog:\n  dir: {self.dir}/log\n  fsync: never\n"
            f.write(f"{binding}"
                    f"listen:\n  events: \"\"\n  otlp: \"\"\n"
                    f"  otlp_grpc: 127.0.0.1:{self.port}\n{tls_yaml}"
                    f"ack: {ack}\nlogging:\n  level: error\n{extra}")
        args = [CERELAY, "run", "-c", cfg, "--print-addresses"]
        if ack_timeout:
            args += ["--ack-timeout", str(ack_timeout)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.url = None
        for line in self.proc.stdout:
            if line.startswith("grpc "):
                self.url = line.split()[1]
                break
        if not self.url or self.url == "disabled":
            self.proc.kill()
            raise AssertionError("the relay did not start: " + self.proc.stderr.read())
        self.target = f"127.0.0.1:{self.port}"

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=20)
        assert rc == 0, f"cerelay run exited {rc}: {self.proc.stderr.read()}"

    def tail(self, topic):
        r = subprocess.run([CERELAY, "tail", "--log", f"{self.dir}/log", "--topic", topic],
                           capture_output=True, text=True, timeout=20)
        return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]

    def close(self):
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def check(cond, what):
    if not cond:
        raise AssertionError(what)


# ---- raw OTLP protobuf (built with the opentelemetry-proto classes) -------------------------

def logs_request(bodies, attrs=None):
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
    recs = [LogRecord(time_unix_nano=1700000000000000000, body=AnyValue(string_value=b),
                      attributes=[KeyValue(key=k, value=AnyValue(string_value=v))
                                  for k, v in (attrs or {}).items()])
            for b in bodies]
    return ExportLogsServiceRequest(
        resource_logs=[ResourceLogs(scope_logs=[ScopeLogs(log_records=recs)])])


def call(target, path, payload, compression=None, metadata=None, creds=None, timeout=10):
    """A unary call with raw bytes; returns (code name, details, response bytes, trailers)."""
    import grpc
    opts = [("grpc.max_send_message_length", 64 << 20)]
    if creds:
        opts.append(("grpc.ssl_target_name_override", "localhost"))
        ch = grpc.secure_channel(target, creds, options=opts)
    else:
        ch = grpc.insecure_channel(target, options=opts)
    with ch:
        fn = ch.unary_unary(path, request_serializer=None, response_deserializer=None)
        try:
            resp, c = fn.with_call(payload, timeout=timeout, compression=compression,
                                   metadata=metadata)
            return "OK", "", resp, dict(c.trailing_metadata() or ())
        except grpc.RpcError as e:
            return e.code().name, e.details(), None, dict(e.trailing_metadata() or ())


# ---- cases ----------------------------------------------------------------------------------

def sdk_export(relay, insecure=True, creds=None):
    """The OpenTelemetry SDK's gRPC exporters: two log records and one GenAI span."""
    from opentelemetry._logs import LogRecord, SeverityNumber
    from opentelemetry.exporter.otlp.proto.grpc._log_exporter import OTLPLogExporter
    from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import SimpleLogRecordProcessor
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    res = Resource.create({"service.name": "grpc-test", "tenant.id": "tenant-a"})
    endpoint = relay.url if insecure else f"localhost:{relay.port}"
    kw = {"endpoint": endpoint, "insecure": insecure}
    if creds:
        kw["credentials"] = creds
    lexp = OTLPLogExporter(**kw)
    lp = LoggerProvider(resource=res)
    lp.add_log_record_processor(SimpleLogRecordProcessor(lexp))
    logger = lp.get_logger("test")
    for i in range(2):
        logger.emit(LogRecord(body=f"hello over grpc {i}", severity_number=SeverityNumber.INFO,
                              attributes={"n": i}))
    lp.shutdown()
    sexp = OTLPSpanExporter(**kw)
    tp = TracerProvider(resource=res)
    tp.add_span_processor(SimpleSpanProcessor(sexp))
    with tp.get_tracer("test").start_as_current_span("chat gpt-4o") as span:
        span.set_attribute("gen_ai.system", "openai")
        span.set_attribute("gen_ai.request.model", "gpt-4o")
        span.set_attribute("gen_ai.usage.input_tokens", 12)
        span.set_attribute("gen_ai.usage.output_tokens", 34)
    tp.shutdown()


def check_sdk_events(relay):
    # The SDK retries an export whose answer it did not see (a connection reset on a loaded
    # machine), so a record may arrive twice (at-least-once): count distinct records.
    logs = [e for e in relay.tail("io.opentelemetry.log") if "grpc" in json.dumps(e.get("data"))]
    bodies = sorted(set(json.dumps(e.get("data"), sort_keys=True) for e in logs))
    check(len(bodies) == 2, f"2 distinct log events expected, got {len(bodies)}: {logs}")
    check(all("hello over grpc" in b for b in bodies), f"log bodies: {bodies}")
    usage = relay.tail("eventzr.llm.usage.v1")
    check(len(usage) >= 1 and len(set(json.dumps(u["data"], sort_keys=True) for u in usage)) == 1,
          f"1 distinct usage event expected, got {usage}")
    d = usage[0]["data"]
    check(d["model"] == "gpt-4o" and d["provider"] == "openai", f"usage data {d}")
    check(d["inputTokens"] == 12 and d["outputTokens"] == 34, f"usage tokens {d}")


def case_sdk_logs_and_genai_span():
    """The SDK exports over h2c to the relay (ack local); the events are read back with
    `cerelay tail` from the local log."""
    r = Relay()
    try:
        sdk_export(r)
        r.stop()
        check_sdk_events(r)
    finally:
        r.close()


def case_sdk_tls():
    """The same over TLS (ALPN h2, listen.tls cert/key), the SDK trusting the test's CA."""
    import grpc
    r = Relay(tls=True)
    try:
        with open(r.cert, "rb") as f:
            creds = grpc.ssl_channel_credentials(root_certificates=f.read())
        sdk_export(r, insecure=False, creds=creds)
        code, _, resp, _ = call(r.target, LOGS, logs_request(["tls raw"]).SerializeToString(),
                                creds=creds)
        check(code == "OK", f"raw call over TLS: {code}")
        r.stop()
        check_sdk_events(r)
    finally:
        r.close()


def case_mtls_client_certificate_required():
    """listen.tls.client_ca on the gRPC listener: the handshake refuses a client without a
    certificate signed by the CA (the call fails, nothing is stored); a client with one is
    served and its subject reaches the events as `clientsubject` (a spoofed one is replaced)."""
    import grpc
    pki = tempfile.mkdtemp(prefix="cer_grpc_pki_")
    try:
        def run(*a):
            subprocess.run(list(a), check=True, capture_output=True, cwd=pki)
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
            "-out", "ca.pem", "-days", "1", "-subj", "/CN=Test CA")
        run("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "billing.key", "-out",
            "billing.csr", "-subj", "/O=Acme/CN=billing")
        run("openssl", "x509", "-req", "-in", "billing.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
            "-CAcreateserial", "-out", "billing.pem", "-days", "1")
        r = Relay(tls=True, client_ca=os.path.join(pki, "ca.pem"))
        try:
            with open(r.cert, "rb") as f:
                server_ca = f.read()
            payload = logs_request(["mtls"], {"clientsubject": "CN=spoofed"}).SerializeToString()
            code, details, _, _ = call(r.target, LOGS, payload,
                                       creds=grpc.ssl_channel_credentials(server_ca), timeout=5)
            check(code != "OK", f"a client without a certificate was served: {code}")
            with open(os.path.join(pki, "billing.key"), "rb") as f:
                ckey = f.read()
            with open(os.path.join(pki, "billing.pem"), "rb") as f:
                ccert = f.read()
            creds = grpc.ssl_channel_credentials(server_ca, ckey, ccert)
            code, details, _, _ = call(r.target, LOGS, payload, creds=creds)
            check(code == "OK", f"a client with a certificate: {code} {details}")
            r.stop()
            logs = r.tail("io.opentelemetry.log")
            check(len(logs) == 1, f"1 event stored, got {len(logs)}")
            check(logs[0].get("clientsubject") == "CN=billing,O=Acme",
                  f"clientsubject {logs[0].get('clientsubject')!r}")
        finally:
            r.close()
    finally:
        shutil.rmtree(pki, ignore_errors=True)


def case_garbage_is_invalid_argument():
    r = Relay()
    try:
        code, det, _, _ = call(r.target, LOGS, b"\xff\xff\xff\xff\x0f garbage")
        check(code == "INVALID_ARGUMENT", f"garbage: {code} {det}")
        code, det, _, _ = call(r.target, TRACES, b"\x0a\x05\x0a")  # truncated
        check(code == "INVALID_ARGUMENT", f"truncated: {code} {det}")
        # an OTLP/HTTP client on the gRPC port is told where it should go
        import http.client
        hc = http.client.HTTPConnection("127.0.0.1", r.port, timeout=5)
        hc.request("POST", "/v1/logs", body=b"{}", headers={"Content-Type": "application/json"})
        resp = hc.getresponse()
        check(resp.status == 400 and b"listen.otlp" in resp.read(), f"HTTP/1: {resp.status}")
        hc.close()
        code, det, _, _ = call(r.target, "/opentelemetry.proto.collector.metrics.v1."
                               "MetricsService/Export", b"")
        check(code == "UNIMPLEMENTED", f"metrics: {code} {det}")
        # the relay still serves after bad input
        code, det, _, _ = call(r.target, LOGS, logs_request(["ok"]).SerializeToString())
        check(code == "OK", f"after garbage: {code} {det}")
        r.stop()
    finally:
        r.close()


def case_too_large_is_resource_exhausted():
    r = Relay(extra="limits:\n  max_body_bytes: 64KiB\n  max_event_bytes: 16KiB\n")
    try:
        big = logs_request(["x" * 1000] * 100).SerializeToString()
        check(len(big) > 64 << 10, "the message is larger than the limit")
        code, det, _, tr = call(r.target, LOGS, big)
        check(code == "RESOURCE_EXHAUSTED", f"too large: {code} {det}")
        check("max_body_bytes" in det, f"detail names the limit: {det}")
        check("grpc-retry-pushback-ms" not in tr, "too large is not retryable")
        # 32 MiB declared: answered from its first bytes, without reading the rest
        t0 = time.time()
        code, det, _, _ = call(r.target, TRACES, b"\x0a" * (32 << 20))
        check(code == "RESOURCE_EXHAUSTED", f"32 MiB: {code} {det}")
        check(time.time() - t0 < 10, f"32 MiB answered in {time.time() - t0:.1f} s")
        r.stop()
    finally:
        r.close()


def case_overload_is_resource_exhausted_with_retry_info():
    """Over limits.max_memory_bytes: RESOURCE_EXHAUSTED with RetryInfo (OTLP: retryable)."""
    r = Relay(extra="limits:\n  max_body_bytes: 1MiB\n  max_memory_bytes: 1MiB\n")
    try:
        msg = logs_request(["y" * 990000]).SerializeToString()
        code, det, _, tr = call(r.target, LOGS, msg)
        check(code == "RESOURCE_EXHAUSTED", f"overload: {code} {det}")
        check(tr.get("grpc-retry-pushback-ms") == "1000", f"pushback trailer: {tr}")
        check("grpc-status-details-bin" in tr, f"RetryInfo in google.rpc.Status: {tr}")
        from google.rpc import error_details_pb2, status_pb2
        st = status_pb2.Status.FromString(tr["grpc-status-details-bin"])
        check(st.code == 8 and "max_memory_bytes" in st.message, f"google.rpc.Status: {st}")
        ri = error_details_pb2.RetryInfo()
        check(len(st.details) == 1 and st.details[0].Unpack(ri), f"details: {st.details}")
        check(ri.retry_delay.seconds == 1, f"RetryInfo: {ri}")
        # the request's bytes were released: a small request passes again
        code, det, _, _ = call(r.target, LOGS, logs_request(["small"]).SerializeToString())
        check(code == "OK", f"after overload: {code} {det}")
        r.stop()
    finally:
        r.close()


def case_gzip_and_partial_success():
    """A gzip-compressed request; one record too large for limits.max_event_bytes is rejected
    and reported in partial_success, the others are stored."""
    import grpc
    from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceResponse
    r = Relay(extra="limits:\n  max_event_bytes: 2KiB\n")
    try:
        msg = logs_request(["small one", "z" * 5000, "small two"]).SerializeToString()
        code, det, resp, _ = call(r.target, LOGS, msg, compression=grpc.Compression.Gzip)
        check(code == "OK", f"gzip: {code} {det}")
        out = ExportLogsServiceResponse.FromString(resp)
        check(out.partial_success.rejected_log_records == 1, f"partial_success: {out}")
        check(out.partial_success.error_message, "an error message")
        r.stop()
        n = len(r.tail("io.opentelemetry.log"))
        check(n == 2, f"2 events stored, got {n}")
    finally:
        r.close()


def case_bearer_auth():
    # listen.auth sits under listen: write the whole block
    d = tempfile.mkdtemp(prefix="cer_grpc_")
    port = free_port()
    cfg = os.path.join(d, "cfg.yaml")
    with open(cfg, "w") as f:
        f.write(f"binding: log\nlog:\n  dir: {d}/log\n  fsync: never\nlisten:\n  events: \"\"\n"
                f"  otlp: \"\"\n  otlp_grpc: 127.0.0.1:{port}\n  auth:\n"
                f"    bearer_tokens: [s3cret]\nlogging:\n  level: error\n")
    p = subprocess.Popen([CERELAY, "run", "-c", cfg, "--print-addresses"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        p.stdout.readline()
        for line in p.stdout:
            if line.startswith("grpc"):
                break
        msg = logs_request(["auth"]).SerializeToString()
        code, _, _, _ = call(f"127.0.0.1:{port}", LOGS, msg)
        check(code == "UNAUTHENTICATED", f"no token: {code}")
        code, _, _, _ = call(f"127.0.0.1:{port}", LOGS, msg,
                             metadata=[("authorization", "Bearer s3cret")])
        check(code == "OK", f"with token: {code}")
        p.send_signal(signal.SIGTERM)
        check(p.wait(timeout=20) == 0, "clean exit")
    finally:
        p.kill()
        p.wait()
        shutil.rmtree(d, ignore_errors=True)


def case_delivery_failure_is_unavailable():
    """ack remote to an HTTP destination that never answers: UNAVAILABLE after the ack
    timeout, without blocking other calls on the same event loop."""
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", free_port()))
    lsock.listen(16)  # accepts, never answers
    port = lsock.getsockname()[1]
    r = Relay(binding=f"binding: http\nhttp:\n  endpoint: http://127.0.0.1:{port}/sink\n"
              "  timeout: 30s\nbuffer:\n  type: memory\nshutdown:\n  drain_timeout: 1s\n",
              ack="remote", ack_timeout=1500)
    try:
        # a client that gives up while its request waits: the stream goes, the request is
        # settled later without it
        code, det, _, _ = call(r.target, LOGS, logs_request(["gave up"]).SerializeToString(),
                               timeout=0.3)
        check(code == "DEADLINE_EXCEEDED", f"client deadline: {code} {det}")
        t0 = time.time()
        code, det, _, _ = call(r.target, LOGS, logs_request(["never acked"]).SerializeToString())
        check(code == "UNAVAILABLE", f"ack timeout: {code} {det}")
        check("acknowledg" in det, f"detail: {det}")
        check(time.time() - t0 < 8, "answered after the ack timeout")
        r.stop()
    finally:
        r.close()
        lsock.close()


def case_kafka_sdk_to_kafka():
    """The SDK over gRPC to a relay on the Kafka binding (ack remote); the events read back
    from the broker with `cerelay tail --kafka`. Needs the test broker (CER_KAFKA_BOOTSTRAP,
    scripts/kafka.sh): fails without it."""
    boot = os.environ.get("CER_KAFKA_BOOTSTRAP")
    check(boot, "CER_KAFKA_BOOTSTRAP is not set: start the broker with 'scripts/kafka.sh start'")
    topic = f"cerelay-test-grpc-{os.getpid()}-{time.time_ns()}"
    r = Relay(binding=f"binding: kafka\nkafka:\n  brokers: [{boot}]\n  topic: {topic}\n"
              "  linger_ms: 1\nbuffer:\n  type: memory\n", ack="remote")
    try:
        sdk_export(r)
        r.stop()
        out = subprocess.run([CERELAY, "tail", "--kafka", boot, "--topic", topic, "--count", "3"],
                             capture_output=True, text=True, timeout=30)
        evs = [json.loads(line) for line in out.stdout.splitlines() if line.strip()]
        types = sorted(e["type"] for e in evs)
        check(types == ["eventzr.llm.usage.v1", "io.opentelemetry.log", "io.opentelemetry.log"],
              f"events from Kafka: {types} {out.stderr}")
        usage = [e for e in evs if e["type"] == "eventzr.llm.usage.v1"][0]["data"]
        check(usage["model"] == "gpt-4o" and usage["inputTokens"] == 12, f"usage: {usage}")
    finally:
        r.close()


def case_sigterm_answers_requests_in_flight():
    """SIGTERM while a request waits for its acknowledgement (an HTTP destination answering
    after 1 s): the relay sends GOAWAY, still answers the request OK, then exits 0."""
    import http.server
    import threading

    class Slow(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            time.sleep(1.0)
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Slow)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    r = Relay(binding=f"binding: http\nhttp:\n  endpoint: http://127.0.0.1:"
              f"{srv.server_address[1]}/sink\n  batch_size: 1\nbuffer:\n  type: memory\n",
              ack="remote")
    try:
        res = {}
        t = threading.Thread(target=lambda: res.update(
            r=call(r.target, LOGS, logs_request(["in flight"]).SerializeToString())))
        t.start()
        time.sleep(0.4)
        r.proc.send_signal(signal.SIGTERM)
        t.join(15)
        code, det, _, _ = res.get("r", ("NO ANSWER", "", None, None))
        check(code == "OK", f"the request in flight: {code} {det}")
        check(r.proc.wait(timeout=20) == 0, "clean exit")
    finally:
        r.close()
        srv.shutdown()


def case_default_port_taken_is_a_warning():
    """listen.otlp_grpc unset: 127.0.0.1:4317. When that port is taken the relay starts anyway
    (the other listeners work) and says so; an address that is set and taken stops the start."""
    # Hold the port ourselves: another test's relay may have it for a moment (every relay
    # without listen.otlp_grpc tries 4317), and could let it go while ours starts.
    blocker = socket.socket()
    blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    deadline = time.time() + 150
    while True:
        try:
            blocker.bind(("127.0.0.1", 4317))
            blocker.listen(1)
            break
        except OSError:
            if time.time() > deadline:
                raise AssertionError("127.0.0.1:4317 stayed taken for 150 s")
            time.sleep(0.2)
    d = tempfile.mkdtemp(prefix="cer_grpc_")
    try:
        cfg = os.path.join(d, "cfg.yaml")
        with open(cfg, "w") as f:
            f.write(f"binding: log\nlog:\n  dir: {d}/log\nlisten:\n  events: 127.0.0.1:0\n"
                    "  otlp: \"\"\nlogging:\n  level: warn\n")
        p = subprocess.Popen([CERELAY, "run", "-c", cfg, "--print-addresses"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = [p.stdout.readline() for _ in range(3)]
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=20)
        check(p.returncode == 0, f"exit {p.returncode}: {err}")
        check(lines[0].startswith("events http://127.0.0.1:"), f"ready lines: {lines}")
        check(lines[2].strip() == "grpc disabled", f"ready lines: {lines}")
        check("127.0.0.1:4317 is in use" in err, f"the warning: {err}")
        text = open(cfg).read().replace('  otlp: ""\n', '  otlp: ""\n  otlp_grpc: 127.0.0.1:4317\n')
        open(cfg, "w").write(text)
        r = subprocess.run([CERELAY, "run", "-c", cfg], capture_output=True, text=True,
                           timeout=20)
        check(r.returncode == 2 and "cannot listen on 127.0.0.1:4317" in r.stderr,
              f"set and taken: exit {r.returncode}: {r.stderr}")
    finally:
        blocker.close()
        shutil.rmtree(d, ignore_errors=True)


def case_silent_clients_cost_no_cpu():
    """Connections that send nothing (cleartext, and TLS before its handshake) leave the event
    loop asleep: no busy wait on a socket that is writable while TLS waits to read."""
    r = Relay(tls=True)
    try:
        socks = [socket.create_connection(("127.0.0.1", r.port)) for _ in range(4)]
        time.sleep(0.2)
        tick = os.sysconf("SC_CLK_TCK")

        def cpu():
            f = open(f"/proc/{r.proc.pid}/stat").read().rsplit(")", 1)[1].split()
            return (int(f[11]) + int(f[12])) / tick
        c0 = cpu()
        time.sleep(1.0)
        used = cpu() - c0
        check(used < 0.15, f"the relay used {used:.2f} s of CPU in 1 s with 4 silent clients")
        for s_ in socks:  # still open: nothing was closed to save the CPU
            try:
                check(s_.recv(1, socket.MSG_DONTWAIT) != b"", "the relay closed a silent client")
            except BlockingIOError:
                pass
        for s_ in socks:
            s_.close()
        r.stop()
    finally:
        r.close()


def case_concurrent_streams_ack_local():
    """64 calls in flight on one HTTP/2 connection, each answered once its events are in the
    log (ack local): every one OK, every record stored once."""
    import grpc
    r = Relay()
    try:
        with grpc.insecure_channel(r.target) as ch:
            fn = ch.unary_unary(LOGS)
            futs = [fn.future(logs_request([f"c{i}-a", f"c{i}-b"]).SerializeToString(), timeout=20)
                    for i in range(64)]
            codes = [f.code().name for f in futs]
        check(all(c == "OK" for c in codes), f"codes: {sorted(set(codes))}")
        r.stop()
        n = len(r.tail("io.opentelemetry.log"))
        check(n == 128, f"128 events stored, got {n}")
    finally:
        r.close()


CASES = {n[5:]: f for n, f in sorted(globals().items()) if n.startswith("case_")}


def main():
    if len(sys.argv) < 2:
        print(__doc__)
        return 2
    if sys.argv[1] == "list":
        print("\n".join(CASES))
        return 0
    try:
        import grpc  # noqa: F401
        import opentelemetry.exporter.otlp.proto.grpc  # noqa: F401
    except ImportError as e:
        print(f"FAIL: {e}: run scripts/interop-deps.sh (the venv with grpcio and the "
              "OpenTelemetry SDK)", file=sys.stderr)
        return 1
    try:
        CASES[sys.argv[1]]()
    except AssertionError as e:
        print(f"FAIL: {e}", file=sys.stderr)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
