"""The bus's Prometheus families, declared against the service's injected registry.

Ballast's own (`ballast_deadletter_total`, `ballast_bus_published_total`,
`ballast_bus_permission_denied_total`) and the per-handler families FastStream's Prometheus
middleware used to declare (`ballast_bus_received_*`, `ballast_bus_published_messages_*`), with
the same names and labels, so the dashboards and alert rules read them unchanged. The typed
consumer and publish path record them directly, with each label set's child cached (a
`labels()` lookup per message was a visible share of the old profile).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ballast.common.metrics import MetricFamily

BROKER = "nats"
SIZE_BUCKETS = (*(2.0**n for n in range(4, 26, 2)), float("inf"))


class HandlerMetrics:
    """The received families' children for one (app, subject): what a consumer records."""

    def __init__(self, families: BusMetrics, subject: str) -> None:
        labels = (families.app_name, BROKER, subject)
        self._families = families
        self._labels = labels
        self.received = families.received.labels(*labels)
        self.in_process = families.in_process.labels(*labels)
        self.size = families.received_size.labels(*labels)
        self.duration = families.processed_duration.labels(*labels)
        self.acked = families.processed.labels(*labels[:3], "acked")
        self.nacked = families.processed.labels(*labels[:3], "nacked")

    def start(self, count: int = 1) -> None:
        """`count` messages received (a fetched batch's, counted once)."""
        self.received.inc(count)
        self.in_process.inc(count)

    def observe(self, size: int, seconds: float, error: BaseException | None) -> None:
        """One message handled: its size, time and outcome."""
        self.size.observe(size)
        self.duration.observe(seconds)
        if error is None:
            self.acked.inc()
            return
        self.nacked.inc()
        self._families.processed_exceptions.labels(*self._labels, type(error).__name__).inc()

    def done(self, count: int = 1) -> None:
        """`count` messages no longer in process (the batch's, once all are handled)."""
        self.in_process.dec(count)


class BusMetrics:
    """Bus counters, built against the service's injected registry."""

    def __init__(self, registry: CollectorRegistry, app_name: str = "") -> None:
        m = MetricFamily(registry, "ballast")
        self.app_name = app_name
        self.deadletters = m.counter(
            "deadletter", "Messages sent to the dead-letter path, by original subject", ["subject"])
        self.published = m.counter(
            "bus_published", "Messages published through the common bus path, by stream",
            ["stream"])
        self.permission_denied = m.counter(
            "bus_permission_denied",
            "Publishes and subscriptions the NATS server refused, by operation", ["operation"])
        handler = ["app_name", "broker", "handler"]
        self.received: Counter = m.counter(
            "bus_received_messages", "Count of received messages by broker and handler", handler)
        self.received_size: Histogram = m.histogram(
            "bus_received_messages_size_bytes",
            "Histogram of received messages size in bytes by broker and handler", handler,
            buckets=SIZE_BUCKETS)
        self.in_process: Gauge = m.gauge(
            "bus_received_messages_in_process",
            "Gauge of received messages in process by broker and handler", handler)
        self.processed: Counter = m.counter(
            "bus_received_processed_messages",
            "Count of received processed messages by broker, handler and status",
            [*handler, "status"])
        self.processed_duration, self.processed_exceptions = _timed(
            m, "bus_received_processed_messages", "received processed messages", handler)
        destination = ["app_name", "broker", "destination"]
        self.published_messages: Counter = m.counter(
            "bus_published_messages", "Count of published messages by destination and status",
            [*destination, "status"])
        self.publish_duration, self.publish_exceptions = _timed(
            m, "bus_published_messages", "published messages", destination)
        self._handlers: dict[str, HandlerMetrics] = {}

    def handler(self, subject: str) -> HandlerMetrics:
        found = self._handlers.get(subject)
        if found is None:
            found = self._handlers[subject] = HandlerMetrics(self, subject)
        return found

    def publisher(self, destination: str, stream: str) -> PublishMetrics:
        """The publish families' children for one destination subject (of `stream`)."""
        return PublishMetrics(self, destination, stream)


class PublishMetrics:
    """What a publish to one destination records: the children, made once."""

    def __init__(self, families: BusMetrics, destination: str, stream: str) -> None:
        labels = (families.app_name, BROKER, destination)
        self._families = families
        self._labels = labels
        self.succeeded = families.published_messages.labels(*labels, "success")
        self.duration = families.publish_duration.labels(*labels)
        self.published = families.published.labels(stream)

    def observe(self, seconds: float) -> None:
        self.succeeded.inc()
        self.duration.observe(seconds)
        self.published.inc()

    def failed(self, error: BaseException) -> None:
        self._families.publish_exceptions.labels(*self._labels, type(error).__name__).inc()


def _timed(
    m: MetricFamily, name: str, what: str, labels: list[str]
) -> tuple[Histogram, Counter]:
    """`<name>_duration_seconds` and `<name>_exceptions_total`, as FastStream named them."""
    by = labels[-1]
    return (
        m.histogram(f"{name}_duration_seconds",
                    f"Histogram of {what} duration in seconds by broker and {by}", labels,
                    buckets=Histogram.DEFAULT_BUCKETS),
        m.counter(f"{name}_exceptions",
                  f"Count of {what} exceptions by broker, {by} and exception_type",
                  [*labels, "exception_type"]),
    )
