"""Trace context that outlives a message handler.

The bus middleware carries the trace in message headers, so a publish made inside a handler (or
a task the handler started) continues the trace of the message it handles. Work that happens
later, in another task, keeps the trace only if it was written down: the intervention executor
drives a decision over several passes, perhaps after a restart, so the decision row stores the
W3C `traceparent` of the handler that made it and every executor step resumes it. That is what
makes one trace run from a price to a swap receipt to a page (issue #10).
"""

from __future__ import annotations

from opentelemetry import propagate
from opentelemetry.context import Context

TRACEPARENT = "traceparent"


def current_traceparent() -> str | None:
    """The W3C traceparent of the current span, or None outside any recording span."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get(TRACEPARENT)


def resume(traceparent: str | None) -> Context:
    """A context whose parent is the span `traceparent` names (an empty one for None)."""
    return propagate.extract({TRACEPARENT: traceparent} if traceparent else {})
