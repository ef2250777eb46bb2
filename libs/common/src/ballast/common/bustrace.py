"""The bus's spans and W3C trace headers: the SDK's spans, without its convenience layers.

Every publish is a PRODUCER span `<subject> publish` whose context rides in the message's
`traceparent` header, and every handled message a CONSUMER span `<subject> process` whose parent
is that header, current while the handler runs: what makes one trace from a price to a page.
Both stay recording spans of the service's tracer provider (its sampler, processors, exporter).

What this module leaves out, per message (docs/perf/bus.md, docs/perf/bus-profile-2.txt): the
`start_as_current_span` context manager and `use_span` (a generator, a decorator and a context
per span: the publish span need not be current, nothing runs under it but the socket write), the
composite propagator's lookups (the default one is W3C trace context and baggage: the header is
formatted from the span's context, and parsed by the W3C propagator alone) and a name and
attribute dict per span (cached per subject). Another propagator set through OTEL_PROPAGATORS,
or baggage in the context, takes the global propagator's path as before.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from opentelemetry import baggage, propagate, trace
from opentelemetry import context as otel_context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from ballast.common.tracing import TRACEPARENT

TRACESTATE = "tracestate"
_W3C_FIELDS = frozenset({TRACEPARENT, TRACESTATE, "baggage"})
_W3C = TraceContextTextMapPropagator()

Token = Any
"""What `opentelemetry.context.attach` returns, for `BusTracer.end`."""


@dataclass(frozen=True, slots=True)
class _Names:
    name: str
    attributes: dict[str, str]


class BusTracer:
    """The bus's span factory over one tracer (see the module docstring)."""

    def __init__(self, tracer: trace.Tracer) -> None:
        self.tracer = tracer
        self._publish: dict[str, _Names] = {}
        self._process: dict[str, _Names] = {}
        self._textmap: object = None
        self._w3c = False

    def publish(self, destination: str, headers: dict[str, str]) -> Span:
        """A PRODUCER span, child of the current one, its context written into `headers`; the
        caller ends it (`end`, `fail`)."""
        names = self._publish.get(destination)
        if names is None:
            names = self._publish[destination] = _Names(f"{destination} publish", {
                "messaging.system": "nats", "messaging.operation": "publish",
                "messaging.destination.name": destination})
        span = self.tracer.start_span(names.name, kind=SpanKind.PRODUCER,
                                      attributes=names.attributes)
        if self._w3c_only() and not baggage.get_all():
            ctx = span.get_span_context()
            if ctx.is_valid:
                headers[TRACEPARENT] = (
                    f"00-{ctx.trace_id:032x}-{ctx.span_id:016x}-{ctx.trace_flags:02x}")
                if ctx.trace_state:
                    headers[TRACESTATE] = ctx.trace_state.to_header()
        else:
            propagate.inject(headers, context=trace.set_span_in_context(span))
        return span

    def process(self, subject: str, headers: dict[str, str] | None) -> tuple[Span, Token]:
        """A CONSUMER span whose parent is the trace context in `headers` (a new trace without
        one), made current: `end` it with the token."""
        names = self._process.get(subject)
        if names is None:
            names = self._process[subject] = _Names(f"{subject} process", {
                "messaging.system": "nats", "messaging.operation": "process",
                "messaging.destination_publish.name": subject})
        parent = None
        if headers:
            parent = (_W3C.extract(headers) if self._w3c_only() and "baggage" not in headers
                      else propagate.extract(headers))
        span = self.tracer.start_span(names.name, context=parent, kind=SpanKind.CONSUMER,
                                      attributes=names.attributes)
        return span, otel_context.attach(trace.set_span_in_context(span))

    def _w3c_only(self) -> bool:
        """The process propagates W3C trace context (and baggage) only: OpenTelemetry's
        default (checked again when the global propagator is replaced)."""
        textmap = propagate.get_global_textmap()
        if textmap is not self._textmap:
            self._textmap, self._w3c = textmap, textmap.fields <= _W3C_FIELDS
        return self._w3c

    @staticmethod
    def fail(span: Span, error: BaseException) -> None:
        """Record `error` on the span and mark it failed (what `use_span` does on an error)."""
        span.record_exception(error)
        span.set_status(Status(StatusCode.ERROR, f"{type(error).__name__}: {error}"))

    @staticmethod
    def end(span: Span, token: Token = None) -> None:
        if token is not None:
            otel_context.detach(token)
        span.end()


__all__ = ["BusTracer"]
