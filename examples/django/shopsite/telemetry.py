"""OpenTelemetry for the shop, switched on by environment variables (none set: no tracing at all).

OTLP_FILE=path          OTLP/JSON lines: one ExportTraceServiceRequest per exported batch
ZIPKIN_URL=url          Zipkin v2 JSON, posted by the SDK's Zipkin exporter
SPAN_THREAD_ATTRS=1     add thread.id / thread.name to every span (ThreadAttributes below)

The request header x-request-id (set by load.py) is captured on server spans as
http.request.header.x_request_id, to join spans to the load generator's log.
"""

import base64
import json
import os
import threading

from google.protobuf.json_format import MessageToDict
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult


class ThreadAttributes(SpanProcessor):
    """Records the thread that opens each span (OpenTelemetry general semantic conventions).

    on_start runs in the thread that starts the span, so this is where the span began, not
    necessarily where all of its work ran.
    """

    def on_start(self, span, parent_context=None):
        span.set_attribute("thread.id", threading.get_native_id())
        span.set_attribute("thread.name", threading.current_thread().name)


def _hex_ids(obj):
    """OTLP/JSON writes trace and span ids as lowercase hex, not protobuf-JSON's base64."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            if key in ("traceId", "spanId", "parentSpanId") and isinstance(value, str):
                obj[key] = base64.b64decode(value).hex()
            else:
                _hex_ids(value)
    elif isinstance(obj, list):
        for item in obj:
            _hex_ids(item)
    return obj


class OtlpJsonLinesExporter(SpanExporter):
    """Appends each batch as one ExportTraceServiceRequest in the OTLP/JSON encoding (what the
    Collector's file exporter writes): lowerCamelCase keys, enums as integers, 64-bit integers as
    strings, ids as hex. The Python SDK has no such file exporter."""

    def __init__(self, path):
        self._file = open(path, "a", encoding="utf-8")
        self._lock = threading.Lock()

    def export(self, spans):
        doc = _hex_ids(MessageToDict(encode_spans(spans), use_integers_for_enums=True))
        with self._lock:
            self._file.write(json.dumps(doc, separators=(",", ":")) + "\n")
            self._file.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self):
        with self._lock:
            self._file.close()


_done = False


def setup(service):
    global _done
    otlp, zipkin = os.environ.get("OTLP_FILE"), os.environ.get("ZIPKIN_URL")
    if _done or not (otlp or zipkin):
        return
    _done = True
    os.environ.setdefault("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST", "x-request-id")
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if os.environ.get("SPAN_THREAD_ATTRS") == "1":
        provider.add_span_processor(ThreadAttributes())
    if otlp:
        provider.add_span_processor(BatchSpanProcessor(OtlpJsonLinesExporter(otlp)))
    if zipkin:
        from opentelemetry.exporter.zipkin.json import ZipkinExporter

        provider.add_span_processor(BatchSpanProcessor(ZipkinExporter(endpoint=zipkin)))
    trace.set_tracer_provider(provider)

    from opentelemetry.instrumentation.django import DjangoInstrumentor
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor

    DjangoInstrumentor().instrument()
    HTTPXClientInstrumentor().instrument()
