"""The bus's spans: W3C headers written and read without the global propagator's layers, the same
trace as through it, and the global propagator still used when it is not the default one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry import baggage, propagate, trace
from opentelemetry import context as otel_context
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.propagators.textmap import TextMapPropagator
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from ballast.common.bustrace import BusTracer


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracer(spans: InMemorySpanExporter) -> BusTracer:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(spans))
    return BusTracer(provider.get_tracer("test"))


class Marker(TextMapPropagator):
    """Another propagator a process could configure (OTEL_PROPAGATORS): writes `x-marker`,
    counts its extractions."""

    extracted = 0

    def inject(self, carrier: Any, context: Any = None, setter: Any = None) -> None:
        carrier["x-marker"] = "1"

    def extract(self, carrier: Any, context: Any = None, getter: Any = None) -> Any:
        Marker.extracted += 1
        return context or otel_context.Context()

    @property
    def fields(self) -> set[str]:
        return {"x-marker"}


@pytest.fixture
def with_marker() -> Iterator[None]:
    before = propagate.get_global_textmap()
    propagate.set_global_textmap(CompositePropagator([TraceContextTextMapPropagator(), Marker()]))
    yield
    propagate.set_global_textmap(before)


def finished(spans: InMemorySpanExporter) -> dict[str, ReadableSpan]:
    return {s.name: s for s in spans.get_finished_spans()}


def test_publish_then_process__header_as_the_propagator_writes_it__child_of_the_publish(
    tracer: BusTracer, spans: InMemorySpanExporter
) -> None:
    headers: dict[str, str] = {}
    sent = tracer.publish("a.b", headers)
    expected: dict[str, str] = {}
    propagate.inject(expected, context=trace.set_span_in_context(sent))
    tracer.end(sent)

    handled, token = tracer.process("a.b", headers)
    current = trace.get_current_span()
    tracer.end(handled, token)

    assert headers == expected
    assert current is handled and trace.get_current_span() is not handled
    by_name = finished(spans)
    process = by_name["a.b process"]
    assert process.parent is not None
    assert process.parent.span_id == by_name["a.b publish"].context.span_id
    assert process.kind == trace.SpanKind.CONSUMER
    assert process.attributes == {"messaging.system": "nats", "messaging.operation": "process",
                                  "messaging.destination_publish.name": "a.b"}


def test_publish__inside_a_handled_message__continues_its_trace(
    tracer: BusTracer, spans: InMemorySpanExporter
) -> None:
    handled, token = tracer.process("in", {
        "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})
    headers: dict[str, str] = {}
    tracer.end(tracer.publish("out", headers))
    tracer.end(handled, token)

    by_name = finished(spans)
    assert {s.context.trace_id for s in by_name.values()} == {
        0x4BF92F3577B34DA6A3CE929D0E0E4736}
    assert by_name["out publish"].parent.span_id == handled.get_span_context().span_id  # type: ignore[union-attr]
    assert headers["traceparent"].startswith("00-4bf92f3577b34da6a3ce929d0e0e4736-")


def test_process__no_or_bad_header__a_new_trace(
    tracer: BusTracer, spans: InMemorySpanExporter
) -> None:
    for headers in (None, {"traceparent": "00-" + "0" * 32 + "-00f067aa0ba902b7-01"}):
        span, token = tracer.process("x", headers)
        tracer.end(span, token)
    assert [s.parent for s in spans.get_finished_spans()] == [None, None]


def test_publish__baggage_in_the_context__the_global_propagator_writes_it_too(
    tracer: BusTracer,
) -> None:
    token = otel_context.attach(baggage.set_baggage("tenant", "t1"))
    try:
        headers: dict[str, str] = {}
        tracer.end(tracer.publish("a.b", headers))
    finally:
        otel_context.detach(token)
    assert headers["baggage"] == "tenant=t1" and "traceparent" in headers


@pytest.mark.usefixtures("with_marker")
def test_publish_then_process__another_global_propagator__used_both_ways(
    tracer: BusTracer, spans: InMemorySpanExporter
) -> None:
    headers: dict[str, str] = {}
    tracer.end(tracer.publish("a.b", headers))
    extracted = Marker.extracted
    span, token = tracer.process("a.b", headers)
    tracer.end(span, token)

    assert set(headers) == {"traceparent", "x-marker"}
    assert Marker.extracted == extracted + 1
    by_name = finished(spans)
    assert by_name["a.b process"].parent.span_id == by_name["a.b publish"].context.span_id  # type: ignore[union-attr]


def test_fail__the_error_recorded_on_the_span(
    tracer: BusTracer, spans: InMemorySpanExporter
) -> None:
    span, token = tracer.process("a.b", None)
    tracer.fail(span, ValueError("boom"))
    tracer.end(span, token)

    (done,) = spans.get_finished_spans()
    assert done.status.status_code == StatusCode.ERROR
    assert done.status.description == "ValueError: boom"
    assert [e.name for e in done.events] == ["exception"]
