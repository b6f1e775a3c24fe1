#!/usr/bin/env python3
"""Generate real OTLP/HTTP exporter payloads for the C tests (run offline, output committed).

The OpenTelemetry Python SDK and its OTLP/HTTP exporters (PyPI: opentelemetry-sdk,
opentelemetry-exporter-otlp-proto-http) export through a fake requests session that captures
the request body and headers instead of sending them. Written to tests/otlp/golden/:
  py_traces.pb      ExportTraceServiceRequest, Content-Type application/x-protobuf
  py_logs.pb.gz     ExportLogsServiceRequest, gzip (the exporter's own compression)
  py_fixtures.txt   the headers each request was sent with
Usage: python3 -m venv /tmp/v && /tmp/v/bin/pip install opentelemetry-sdk \
           opentelemetry-exporter-otlp-proto-http && /tmp/v/bin/python tests/otlp/gen_fixtures.py
The C tests never run Python; they read the committed bytes.
"""
import os
import sys

import requests
from opentelemetry import trace
from opentelemetry._logs import SeverityNumber
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk._logs import LoggerProvider
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import IdGenerator
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, TraceFlags

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden")
captured = []


class CaptureSession(requests.Session):
    """A requests session that records each request and answers 200 with an empty body."""

    def request(self, method, url, **kw):
        hdrs = {k.lower(): v for k, v in dict(kw.get("headers") or {}).items()}
        captured.append((url, hdrs, kw.get("data")))
        r = requests.Response()
        r.status_code = 200
        r._content = b""
        return r


class FixedIds(IdGenerator):
    def __init__(self):
        self.n = 0

    def generate_span_id(self):
        self.n += 1
        return 0x00F067AA0BA90200 + self.n

    def generate_trace_id(self):
        return 0x4BF92F3577B34DA6A3CE929D0E0E4736


# 2026-02-27T11:59:58.750Z .. 12:00:00.000Z: the seed's 1250 ms.
T0 = 1772193598750000000
T1 = 1772193600000000000
resource = Resource(
    {"service.name": "llm-orch-svc", "tenant_id": "tenant-uuid", "deployment.environment": "test"}
)


def traces():
    tp = TracerProvider(resource=resource, id_generator=FixedIds())
    tp.add_span_processor(
        BatchSpanProcessor(
            OTLPSpanExporter(endpoint="http://collector.invalid/v1/traces",
                             session=CaptureSession())
        )
    )
    tracer = tp.get_tracer("llm.orchestrator", "1.0.0")
    parent = tracer.start_span("POST /v1/events", kind=SpanKind.SERVER, start_time=T0 - 5_000_000)
    parent.set_attribute("http.route", "/v1/events")
    if True:
        chat = tracer.start_span("chat anthropic.claude-3-sonnet-20240229-v1:0",
                                 kind=SpanKind.CLIENT, start_time=T0,
                                 context=trace.set_span_in_context(parent))
        chat.set_attributes({
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": "aws-bedrock",
            "gen_ai.request.model": "anthropic.claude-3-sonnet-20240229-v1:0",
            "gen_ai.response.model": "anthropic.claude-3-sonnet-20240229-v1:0",
            "gen_ai.usage.input_tokens": 150,
            "gen_ai.usage.output_tokens": 350,
            "gen_ai.request.temperature": 0.2,
            "gen_ai.response.finish_reasons": ["stop"],
            "app.use_case": "event-creation",
            "user_id": "user-uuid",
            "gen_ai.input.messages": '[{"role":"user","parts":[{"type":"text","content":"hi"}]}]',
        })
        chat.end(end_time=T1)
        parent.end(end_time=T1 + 2_000_000)
    tp.shutdown()


def logs():
    lp = LoggerProvider(resource=resource)
    lp.add_log_record_processor(
        BatchLogRecordProcessor(
            OTLPLogExporter(endpoint="http://collector.invalid/v1/logs",
                            compression=Compression.Gzip, session=CaptureSession())
        )
    )
    logger = lp.get_logger("checkout.audit", "2.1.0")
    ctx = trace.set_span_in_context(NonRecordingSpan(SpanContext(
        trace_id=0x4BF92F3577B34DA6A3CE929D0E0E4736, span_id=0x00F067AA0BA902B7,
        is_remote=False, trace_flags=TraceFlags(TraceFlags.SAMPLED))))
    logger.emit(timestamp=T1, observed_timestamp=T1 + 1000, context=ctx,
                severity_number=SeverityNumber.INFO, severity_text="INFO",
                body={"result": "allowed", "policy_latency_us": 43},
                attributes={"tenant_id": "acme", "user_id": "usr_2xK9", "action": "orders:create",
                            "ratio": 0.5, "tags": ["a", "b"], "ok": True},
                event_name="io.coresdk.policy.decision")
    logger.emit(timestamp=T1 + 1, severity_number=SeverityNumber.WARN, body="plain text line")
    lp.shutdown()


def main():
    traces()
    logs()
    if len(captured) != 2:
        sys.exit(f"expected one traces and one logs request, got {len(captured)}")
    lines = []
    span_bodies = [c for c in captured if c[0].endswith("/v1/traces")]
    log_bodies = [c for c in captured if c[0].endswith("/v1/logs")]
    url, headers, body = span_bodies[0]
    open(os.path.join(OUT, "py_traces.pb"), "wb").write(body)
    lines.append(f"py_traces.pb {headers.get('content-type')} "
                 f"{headers.get('content-encoding', 'identity')}")
    url, headers, body = log_bodies[0]
    open(os.path.join(OUT, "py_logs.pb.gz"), "wb").write(body)
    lines.append(f"py_logs.pb.gz {headers.get('content-type')} "
                 f"{headers.get('content-encoding', 'identity')}")
    open(os.path.join(OUT, "py_fixtures.txt"), "w").write("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
