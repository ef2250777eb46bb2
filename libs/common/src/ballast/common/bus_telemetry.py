"""What the bus records about each message, cheaply: one span and a few counter updates a hop.

- Prometheus: the families FastStream's middleware exported, under the same names and labels
  (`ballast_bus_received_messages_total{app_name,broker,handler}`, ..._duration_seconds, the
  published ones), because dashboards and alert rules read them; plus `ballast_bus_published_total
  {stream}`. Label children are bound once per subject, not looked up per message.
- OpenTelemetry: a publish carries the W3C trace context in its headers. Inside a span that span's
  context is injected as is; outside any span a PRODUCER span `<subject> publish` starts the
  trace, so a consumer always has a parent in the publishing service. A consumer continues the
  context it finds in the headers with a CONSUMER span `<subject> process` (a root span when
  there is none), current while the handler runs, so what the handler publishes stays in the trace.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import CollectorRegistry, Counter, Histogram

from ballast.common.metrics import MetricFamily

if TYPE_CHECKING:
    from opentelemetry.trace import Span, TracerProvider

TRACEPARENT = "traceparent"
BROKER = "nats"
SIZE_BUCKETS = (*(2.0**e for e in range(4, 25, 2)), float("inf"))
"""FastStream's buckets for received message sizes (16 B to 16 MiB)."""


@dataclass(frozen=True)
class Outgoing:
    """A subject published to: its namespaced names, its span's name and attributes, its bound
    counters."""

    subject: str
    stream: str
    span_name: str
    attributes: dict[str, str]
    published: Any  # ballast_bus_published_total{stream}
    success: Any
    duration: Any


@dataclass(frozen=True)
class Incoming:
    """A subject a handler consumes: its span's name and attributes, its bound counters."""

    subject: str
    span_name: str
    attributes: dict[str, str]
    received: Any
    size: Any
    in_process: Any
    duration: Any
    acked: Any
    nacked: Any


Send = Callable[[str, bytes, dict[str, str], str], Awaitable[Any]]
"""(subject, data, headers, stream): the JetStream publish itself."""


class BusTelemetry:
    """The bus's Prometheus families (in the service's registry) and its tracer."""

    def __init__(
        self,
        registry: CollectorRegistry,
        app_name: str,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self.app = app_name
        self.tracer = trace.get_tracer("ballast.bus", tracer_provider=tracer_provider)
        b = MetricFamily(registry, "ballast")
        self.deadletters = b.counter(
            "deadletter", "Messages sent to the dead-letter path, by original subject", ["subject"]
        )
        self.published = b.counter(
            "bus_published", "Messages published through the common bus path, by stream", ["stream"]
        )
        self.permission_denied = b.counter(
            "bus_permission_denied",
            "Publishes and subscriptions the NATS server refused, by operation",
            ["operation"],
        )
        m = MetricFamily(registry, "ballast_bus")
        rx = ["app_name", "broker", "handler"]
        tx = ["app_name", "broker", "destination"]
        self.rx_total = m.counter("received_messages", "Received messages by handler", rx)
        self.rx_size = Histogram(
            "ballast_bus_received_messages_size_bytes",
            "Received message sizes by handler",
            rx,
            registry=registry,
            buckets=SIZE_BUCKETS,
        )
        self.rx_in_process = m.gauge(
            "received_messages_in_process", "Received messages being handled, by handler", rx
        )
        self.rx_processed: Counter = m.counter(
            "received_processed_messages", "Handled messages by handler and status", [*rx, "status"]
        )
        self.rx_duration: Histogram = Histogram(
            "ballast_bus_received_processed_messages_duration_seconds",
            "Handling time by handler",
            rx,
            registry=registry,
        )
        self.rx_exceptions: Counter = m.counter(
            "received_processed_messages_exceptions",
            "Handler failures by handler and exception type",
            [*rx, "exception_type"],
        )
        self.tx_total: Counter = m.counter(
            "published_messages", "Published messages by destination and status", [*tx, "status"]
        )
        self.tx_duration: Histogram = Histogram(
            "ballast_bus_published_messages_duration_seconds",
            "Publish time (until the stream's ack) by destination",
            tx,
            registry=registry,
        )
        self.tx_exceptions: Counter = m.counter(
            "published_messages_exceptions",
            "Failed publishes by destination and exception type",
            [*tx, "exception_type"],
        )

    # ------------------------------------------------------------------ publish
    def outgoing(self, subject: str, stream: str, stream_label: str) -> Outgoing:
        """`subject` and `stream` namespaced; `stream_label` the stream's name in subjects.py."""
        labels = (self.app, BROKER, subject)
        return Outgoing(
            subject,
            stream,
            f"{subject} publish",
            {
                "messaging.system": BROKER,
                "messaging.destination.name": subject,
                "messaging.operation": "publish",
            },
            self.published.labels(stream_label),
            self.tx_total.labels(*labels, "success"),
            self.tx_duration.labels(*labels),
        )

    async def publish(
        self, out: Outgoing, data: bytes, headers: dict[str, str], send: Send
    ) -> None:
        """Put the trace context in `headers`, `send`, count it."""
        span: Span | None = None
        current = trace.get_current_span().get_span_context()
        if current.is_valid:
            _inject(headers, current)
        else:
            span = self.tracer.start_span(
                out.span_name, kind=SpanKind.PRODUCER, attributes=out.attributes
            )
            started = span.get_span_context()
            if started.is_valid:
                _inject(headers, started)
            else:  # the API's no-op tracer: nothing to end
                span = None
        start = time.perf_counter()
        try:
            await send(out.subject, data, headers, out.stream)
        except Exception as err:
            labels = (self.app, BROKER, out.subject)
            self.tx_exceptions.labels(*labels, type(err).__name__).inc()
            self.tx_total.labels(*labels, "error").inc()
            if span is not None:
                span.record_exception(err)
                span.set_status(Status(StatusCode.ERROR))
            raise
        else:
            out.success.inc()
            out.published.inc()
        finally:
            out.duration.observe(time.perf_counter() - start)
            if span is not None:
                span.end()

    # ------------------------------------------------------------------ consume
    def incoming(self, subject: str) -> Incoming:
        labels = (self.app, BROKER, subject)
        return Incoming(
            subject,
            f"{subject} process",
            {
                "messaging.system": BROKER,
                "messaging.destination.name": subject,
                "messaging.operation": "process",
            },
            self.rx_total.labels(*labels),
            self.rx_size.labels(*labels),
            self.rx_in_process.labels(*labels),
            self.rx_duration.labels(*labels),
            self.rx_processed.labels(*labels, "acked"),
            self.rx_processed.labels(*labels, "nacked"),
        )

    def failed(self, subject: str, error: BaseException) -> None:
        self.rx_exceptions.labels(self.app, BROKER, subject, type(error).__name__).inc()

    def start_consume(
        self, into: Incoming, headers: dict[str, str] | None, size: int
    ) -> tuple[Span, object | None]:
        """A CONSUMER span continuing the headers' trace (else a root span), current until
        `end_consume`. The caller runs in a task whose OpenTelemetry context is empty (Consumer
        starts its tasks so), which is what a handler sees when there is no trace at all."""
        parent = _W3C.extract(headers) if headers and TRACEPARENT in headers else _EMPTY
        span = self.tracer.start_span(
            into.span_name, context=parent, kind=SpanKind.CONSUMER, attributes=into.attributes
        )
        if not span.get_span_context().is_valid:
            return span, None
        if span.is_recording():
            span.set_attribute("messaging.message.payload_size_bytes", size)
        return span, otel_context.attach(trace.set_span_in_context(span, parent))

    @staticmethod
    def end_consume(span: Span, token: object | None, error: BaseException | None = None) -> None:
        if token is not None:
            otel_context.detach(token)  # pyright: ignore[reportArgumentType]
        if error is not None and span.is_recording():
            span.record_exception(error)
            span.set_status(Status(StatusCode.ERROR))
        span.end()


_W3C = TraceContextTextMapPropagator()
_EMPTY = Context()


def _inject(headers: dict[str, str], span: SpanContext) -> None:
    """The W3C trace context of `span` into `headers`, as TraceContextTextMapPropagator writes it
    (FastStream's middleware propagated that one only, not baggage)."""
    headers[TRACEPARENT] = f"00-{span.trace_id:032x}-{span.span_id:016x}-{span.trace_flags:02x}"
    if span.trace_state:
        headers["tracestate"] = span.trace_state.to_header()
