"""The bus every service uses: Ballast's bus rules over one nats-py connection.

FastStream's NatsBroker holds the connection (identity, TLS, reconnects) and the publisher
declarations the AsyncAPI document and the NATS permissions are read from; messages do not go
through FastStream's per-message machinery (its subscriber cost about six times the raw consume:
docs/perf/bus-profile-before.txt). Subscribers are `consumer.TypedConsumer`s on nats-py; publishes,
fetches and acks skip nats-py's per-message layers too (natswire.py, pullfeed.py).

- Every hop is counted (busmetrics.py: the `ballast_bus_*` families, FastStream's names) and
  traced: a publish is a PRODUCER span whose W3C `traceparent` rides in the headers, a handler
  runs in a CONSUMER span under it, giving one trace from price to page.
- JetStream streams (ballast.common.subjects.STREAMS) are created or updated idempotently at start.
- Subscribers are durable consumers with explicit ack (NACK on error, redelivery with backoff).
- Publishes that can be retried carry `Nats-Msg-Id`, so the stream drops the duplicate.
- Dead letters: a message that fails validation, or still fails at its last delivery, is published
  to `deadletter.<original subject>` with the error and the original bytes, logged, counted in
  `ballast_deadletter_total{subject}`, and acked so the stream moves on. The service keeps running.
- Identity: a user and password (or a .creds file) per service, TLS by a `tls://` URL (a CA file
  optional; a certificate it cannot verify stops the start: TlsRefusedError, one line). A
  publish or subscription the server refuses is logged and counted in
  `ballast_bus_permission_denied_total{operation}` (nats-py reports it to the error callback).
Services see only this class: what FastStream and nats-py do underneath is in transport.py.
"""

from __future__ import annotations

import base64
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from faststream.nats import DeliverPolicy, NatsBroker
from nats.js.api import ConsumerConfig
from opentelemetry import propagate, trace
from prometheus_client import CollectorRegistry

from ballast.common import facts, transport
from ballast.common.busconfig import BusConfig
from ballast.common.busmetrics import BusMetrics, HandlerMetrics, PublishMetrics
from ballast.common.bustrace import BusTracer
from ballast.common.consumer import Delivery, TypedConsumer
from ballast.common.messages import DeadLetter, Message, utcnow
from ballast.common.natswire import StreamPublisher
from ballast.common.subjects import deadletter, stream_for
from ballast.common.transport import (
    NatsTap,
    OnMessage,
    StreamAck,
    Unsubscribe,
    ensure_streams,
    stream_config,
)

if TYPE_CHECKING:
    from opentelemetry.trace import TracerProvider

__all__ = [
    "MSG_ID_HEADER", "Bus", "BusConfig", "BusMetrics", "Delivery", "NatsTap", "OnMessage",
    "StreamAck", "TypedConsumer", "Unsubscribe", "ensure_streams", "stream_config",
]

log = logging.getLogger("ballast.bus")

MSG_ID_HEADER = "Nats-Msg-Id"


@dataclass(frozen=True, slots=True)
class _Route:
    """Where a publish to one subject goes, resolved once: the prefixed subject, its stream."""

    destination: str
    stream: str
    metrics: PublishMetrics


class Bus:
    """One per service process; see the module docstring."""

    def __init__(
        self,
        config: BusConfig,
        registry: CollectorRegistry,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self.config = config
        self.ns = config.namespace
        self.metrics = BusMetrics(registry, config.service)
        self.trace = BusTracer(trace.get_tracer("ballast.bus", tracer_provider=tracer_provider))
        self._subjects: dict[str, str] = {}
        self._routes: dict[str, _Route] = {}
        self._stream_publisher = StreamPublisher(
            connection=lambda: transport.connection_or_none(self.broker))
        self._consumers: list[TypedConsumer] = []
        self.broker = NatsBroker(
            servers=config.nats_url,
            name=config.service,
            log_level=logging.DEBUG,
            graceful_timeout=10.0,
            error_cb=self._on_error,
            security=transport.security(
                config.user, config.password, config.credentials_file, config.tls_ca_file),
        )

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Connect, make sure every stream exists with its current limits, start subscribers."""
        await self.broker.connect()
        js = transport.jetstream(self.broker)
        await ensure_streams(js, self.ns)
        await self._stream_publisher.start(transport.connection(self.broker))
        await self.broker.start()
        for consumer in self._consumers:
            await consumer.start(js)

    async def stop(self) -> None:
        for consumer in self._consumers:
            await consumer.stop()
        await self._stream_publisher.stop()
        await self.broker.stop()

    async def _on_error(self, error: Exception) -> None:
        transport.refuse_tls(error, self.broker, self.config.nats_url)  # raises at first connect
        operation = transport.permission_denied(error)
        if operation is not None:  # the server refused it: a bug in the code or in the permissions
            self.metrics.permission_denied.labels(operation).inc()
            log.error("bus permission denied", extra={"operation": operation, "error": str(error)})

    @property
    def max_deliver(self) -> int:
        return self.config.max_deliver

    @property
    def redelivery_backoff_seconds(self) -> float:
        return self.config.redelivery_backoff_seconds

    @property
    def connected(self) -> bool:
        nc = transport.connection_or_none(self.broker)
        return nc is not None and bool(nc.is_connected)

    # ------------------------------------------------------------------ publish
    async def publish(self, payload: Message, subject: str, *, msg_id: str | None = None) -> None:
        """Publish a model to a JetStream subject and wait for the stream's ack.

        `msg_id` makes the publish safe to retry: JetStream drops a second message with the same
        id inside the stream's duplicate window.
        """
        await self.publish_json(payload.__pydantic_serializer__.to_json(payload), subject,
                                msg_id=msg_id)  # model_dump_json() as bytes, without the str

    async def publish_json(self, data: bytes, subject: str, *, msg_id: str | None) -> None:
        """Publish an already serialised message (the outbox's rows) with its msg-id, in a
        PRODUCER span whose trace context rides in the headers."""
        route = self._routes.get(subject) or self._route(subject)
        headers = {"content-type": "application/json"}
        if msg_id is not None:
            headers[MSG_ID_HEADER] = msg_id
        started = time.perf_counter()
        span = self.trace.publish(route.destination, headers)
        try:
            await self._stream_publisher.publish(route.destination, data, headers, route.stream)
        except Exception as err:
            route.metrics.failed(err)
            self.trace.fail(span, err)
            raise
        finally:
            self.trace.end(span)
        route.metrics.observe(time.perf_counter() - started)

    def _route(self, subject: str) -> _Route:
        dest, stream = self.ns.subject(subject), stream_for(subject).name
        return self._routes.setdefault(subject, _Route(
            dest, self.ns.stream(stream), self.metrics.publisher(dest, stream)))

    async def publish_many(self, items: Sequence[tuple[Message | bytes, str, str]]) -> None:
        """(payload, subject, msg_id) in order, all to one stream, waiting for the stream's ack
        of the last only (which says it holds them all): a backfill's rate, each safe to retry.
        A payload is a model or its JSON (a caller that serialises a batch faster itself)."""
        if not items:
            return
        spec = stream_for(items[0][1])
        known, prefixed = self._subjects, self.ns.subject
        await transport.publish_pipelined(
            transport.connection(self.broker), transport.jetstream(self.broker),
            self.ns.stream(spec.name),
            [(known.get(s) or known.setdefault(s, prefixed(s)),
              p if isinstance(p, bytes) else p.__pydantic_serializer__.to_json(p), msg_id)
             for p, s, msg_id in items])
        self.metrics.published.labels(spec.name).inc(len(items))

    async def publish_facts(self, items: Iterable[tuple[str, bytes]]) -> None:
        """Core NATS, no headers, no ack, not counted: for high-rate facts a reader may miss
        ((un-prefixed subject, serialised message) pairs, in order)."""
        known, prefixed = self._subjects, self.ns.subject
        await facts.publish_facts(transport.connection(self.broker), (
            (known.get(s) or known.setdefault(s, prefixed(s)), data) for s, data in items))

    async def publish_acked(
        self, payload: Message, subject: str, *, msg_id: str, wait_seconds: float = 5.0
    ) -> StreamAck:
        """Publish to JetStream with the trace context and `msg_id`; the stream's ack (its name
        and the message's sequence) is the answer."""
        headers = {"content-type": "application/json", MSG_ID_HEADER: msg_id}
        propagate.inject(headers)
        return await transport.publish_acked(
            transport.jetstream(self.broker), self.ns.subject(subject),
            payload.model_dump_json().encode(), headers, wait_seconds)

    # ------------------------------------------------------------------ reads
    def tap(self) -> NatsTap:
        """Core subscriptions and last-per-subject reads, without a durable consumer (a live
        view: the gateway's). Only once started."""
        return NatsTap(transport.connection(self.broker), transport.jetstream(self.broker),
                       self.ns)

    async def latest(self, pattern: str) -> list[tuple[str, bytes]]:
        """The last message of each subject matching `pattern` held by the streams."""
        return await self.tap().last_values(pattern)

    # ------------------------------------------------------------------ subscribe
    def subscriber(
        self,
        subject: str,
        durable: str,
        *,
        deliver_policy: DeliverPolicy = DeliverPolicy.ALL,
        batch_size: int = 16,
        title: str | None = None,
        description: str | None = None,
        push: bool = False,
    ) -> Callable[[Callable[..., Awaitable[Any]]], Any]:
        """Decorator: a durable consumer on `subject` (a pattern from subjects.py).

        The handler's first parameter is annotated with the payload model (validated from the
        bytes); a second parameter, if any, gets the `Delivery`. Explicit ack after the handler
        returns; a raised error is NACKed with a delay and redelivered, up to `max_deliver`, then
        dead-lettered; a payload that fails validation is dead-lettered at once.

        Pull (the default) fetches `batch_size` at a time. `push=True` makes it a push consumer
        (the server delivers to an inbox as messages arrive, at most `batch_size` unacked): for a
        high-rate subject whose latency matters, where a fetch round trip per message (batch 1)
        caps the rate and a bigger batch makes a lone message wait for company.
        `title` and `description` document the handler in the code only.
        """
        del title, description
        spec = stream_for(subject.replace(">", "x").replace("*", "x"))
        config = ConsumerConfig(
            durable_name=self.ns.durable(durable),
            deliver_policy=deliver_policy,
            max_deliver=self.config.max_deliver,
            ack_wait=self.config.ack_wait_seconds,
            max_ack_pending=batch_size if push else None,
        )

        def register(handler: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
            self._consumers.append(TypedConsumer(
                subject=self.ns.subject(subject), stream=self.ns.stream(spec.name),
                config=config, batch_size=batch_size, push=push, handler=handler, sink=self,
                tracer=self.trace))
            return handler

        return register

    @property
    def subscribers(self) -> list[TypedConsumer]:
        """Every durable consumer declared (`.subject`, `.stream.name`, `.config.durable_name`)."""
        return list(self._consumers)

    def received(self, subject: str) -> HandlerMetrics:
        return self.metrics.handler(subject)

    def publisher(self, subject: str, schema: type[Message], description: str = "") -> Any:
        """Declare a publisher for the AsyncAPI document (the Bus.publish call does the work)."""
        return self.broker.publisher(
            self.ns.subject(subject), schema=schema, description=description or None
        )

    # ------------------------------------------------------------------ dead letters
    async def dead_letter(self, message: Delivery, error: BaseException, deliveries: int) -> None:
        raw = message.raw_message
        original = self.ns.unprefix(raw.subject)
        letter = DeadLetter(
            original_subject=original,
            service=self.config.service,
            error=DeadLetter.describe(error),
            payload_b64=base64.b64encode(raw.data).decode(),
            headers=dict(raw.headers or {}),
            deliveries=max(deliveries, 1),
            failed_at=utcnow(),
        )
        self.metrics.deadletters.labels(original).inc()
        log.error(
            "dead letter",
            extra={"subject": original, "error": letter.error, "deliveries": letter.deliveries},
        )
        await self.publish(letter, deadletter(original))

