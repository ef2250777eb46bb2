"""The broker every service uses: FastStream's NatsBroker plus Ballast's bus rules.

- Prometheus and OpenTelemetry middlewares on every broker, so each hop is counted and traced
  (the trace context rides in message headers, giving one trace from price to page).
- JetStream streams (ballast.common.subjects.STREAMS) are created or updated idempotently at start.
- Subscribers are durable pull consumers with explicit ack (NACK on error, redelivery with backoff).
- Publishes that can be retried carry `Nats-Msg-Id`, so the stream drops the duplicate.
- Dead letters: a message that fails validation, or still fails at its last delivery, is published
  to `deadletter.<original subject>` with the error and the original bytes, logged, counted in
  `ballast_deadletter_total{subject}`, and acked so the stream moves on. The service keeps running.
"""

from __future__ import annotations

import base64
import logging
import warnings
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from faststream import AckPolicy
from faststream._internal.middlewares import BaseMiddleware
from faststream.nats import ConsumerConfig, DeliverPolicy, JStream, NatsBroker, NatsMessage, PullSub
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from faststream.nats.prometheus import NatsPrometheusMiddleware
from nats.js.api import DiscardPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError
from prometheus_client import CollectorRegistry, Counter
from pydantic import ValidationError

from ballast.common.messages import DeadLetter, Message, utcnow
from ballast.common.subjects import STREAMS, Namespace, StreamSpec, deadletter, stream_for

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.js import JetStreamContext
    from opentelemetry.trace import TracerProvider

log = logging.getLogger("ballast.bus")

M = TypeVar("M", bound=Message)
MSG_ID_HEADER = "Nats-Msg-Id"


@dataclass(frozen=True)
class BusConfig:
    """What a Bus needs to connect; built from service settings."""

    service: str
    nats_url: str
    namespace: Namespace = Namespace()
    credentials_file: str | None = None
    max_deliver: int = 5
    ack_wait_seconds: float = 30.0
    redelivery_backoff_seconds: float = 1.0


class BusMetrics:
    """Bus counters, built against the service's injected registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.deadletters = Counter(
            "ballast_deadletter",
            "Messages sent to the dead-letter path, by original subject",
            ["subject"],
            registry=registry,
        )
        self.published = Counter(
            "ballast_bus_published",
            "Messages published through the common bus path, by stream",
            ["stream"],
            registry=registry,
        )


class Bus:
    """One per service process. Wraps a FastStream NatsBroker; see the module docstring."""

    def __init__(
        self,
        config: BusConfig,
        registry: CollectorRegistry,
        tracer_provider: TracerProvider | None = None,
    ) -> None:
        self.config = config
        self.ns = config.namespace
        self.metrics = BusMetrics(registry)
        middlewares: list[Any] = [
            NatsPrometheusMiddleware(
                registry=registry, app_name=config.service, metrics_prefix="ballast_bus"
            ),
            NatsTelemetryMiddleware(tracer_provider=tracer_provider),
            self._deadletter_middleware,
        ]
        kwargs: dict[str, Any] = {}
        if config.credentials_file:
            from faststream.nats import NatsCredentials  # noqa: PLC0415 - only when configured

            kwargs["security"] = NatsCredentials(config.credentials_file)
        self.broker = NatsBroker(
            servers=config.nats_url,
            name=config.service,
            middlewares=middlewares,
            log_level=logging.DEBUG,
            graceful_timeout=10.0,
            **kwargs,
        )

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Connect, make sure every stream exists with its current limits, start subscribers."""
        await self.broker.connect()
        await ensure_streams(self.jetstream, self.ns)
        await self.broker.start()

    async def stop(self) -> None:
        await self.broker.stop()

    @property
    def connection(self) -> Client:
        return self.broker.connection

    @property
    def jetstream(self) -> JetStreamContext:
        return self.broker.config.connection_state.stream

    @property
    def connected(self) -> bool:
        try:
            return bool(self.broker.connection.is_connected)
        except Exception:  # noqa: BLE001 - not connected yet
            return False

    # ------------------------------------------------------------------ publish
    async def publish(self, payload: Message, subject: str, *, msg_id: str | None = None) -> None:
        """Publish a model to a JetStream subject and wait for the stream's ack.

        `msg_id` makes the publish safe to retry: JetStream drops a second message with the same
        id inside the stream's duplicate window.
        """
        spec = stream_for(subject)
        headers = {"content-type": "application/json"}
        if msg_id is not None:
            headers[MSG_ID_HEADER] = msg_id
        await self.broker.publish(
            payload.model_dump_json().encode(),
            self.ns.subject(subject),
            headers=headers,
            stream=self.ns.stream(spec.name),
        )
        self.metrics.published.labels(spec.name).inc()

    async def publish_json(self, data: bytes, subject: str, *, msg_id: str) -> None:
        """Publish an already serialised message (the outbox's rows) with its msg-id."""
        spec = stream_for(subject)
        await self.broker.publish(
            data,
            self.ns.subject(subject),
            headers={"content-type": "application/json", MSG_ID_HEADER: msg_id},
            stream=self.ns.stream(spec.name),
        )
        self.metrics.published.labels(spec.name).inc()

    async def publish_core(self, payload: Message, subject: str) -> None:
        """Fire-and-forget publish on core NATS (no stream ack): for high-rate, lossy facts."""
        await self.broker.publish(
            payload.model_dump_json().encode(),
            self.ns.subject(subject),
            headers={"content-type": "application/json"},
        )

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

        The handler is typed with the payload model; FastStream validates it. Explicit ack after
        the handler returns; a raised error is NACKed with a delay and redelivered, up to
        `max_deliver`, then dead-lettered.

        Pull (the default) fetches `batch_size` at a time. `push=True` makes it a push consumer
        (the server delivers to an inbox as messages arrive, at most `batch_size` unacked): for a
        high-rate subject whose latency matters, where a fetch round trip per message (batch 1)
        caps the rate and a bigger batch makes a lone message wait for company.
        """
        spec = stream_for(subject.replace(">", "x").replace("*", "x"))
        # A push consumer delivers to a group named like the durable: a restarted process binds
        # again at once (a plain push consumer refuses a new subscriber while the server still
        # counts the old one: "consumer is already bound", seen as a hung restart test), and
        # replicas would share its messages like a pull consumer's.
        flow: dict[str, Any] = (
            {"queue": self.ns.durable(durable)} if push
            else {"pull_sub": PullSub(batch_size=batch_size, timeout=1.0)}
        )
        subscriber: Any = self.broker.subscriber
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "The JetStream Push consumer", RuntimeWarning)
            decorator: Callable[[Callable[..., Awaitable[Any]]], Any] = subscriber(
                self.ns.subject(subject),
                stream=JStream(self.ns.stream(spec.name), declare=False),
                durable=self.ns.durable(durable),
                config=ConsumerConfig(
                    max_deliver=self.config.max_deliver,
                    ack_wait=self.config.ack_wait_seconds,
                    deliver_policy=deliver_policy,
                    max_ack_pending=batch_size if push else None,
                ),
                ack_policy=AckPolicy.NACK_ON_ERROR,
                title=title,
                description=description,
                **flow,
            )
        return decorator

    def publisher(self, subject: str, schema: type[Message], description: str = "") -> Any:
        """Declare a publisher for the AsyncAPI document (the Bus.publish call does the work)."""
        return self.broker.publisher(
            self.ns.subject(subject), schema=schema, description=description or None
        )

    # ------------------------------------------------------------------ dead letters
    def _deadletter_middleware(self, msg: Any, /, *, context: Any) -> BaseMiddleware[Any, Any]:
        return _DeadLetterMiddleware(msg, context=context, bus=self)

    async def dead_letter(
        self, message: NatsMessage, error: BaseException, deliveries: int
    ) -> None:
        raw = message.raw_message
        original = self.ns.unprefix(raw.subject)
        letter = DeadLetter(
            original_subject=original,
            service=self.config.service,
            error=_describe(error),
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


class _DeadLetterMiddleware(BaseMiddleware[Any, Any]):
    def __init__(self, msg: Any, /, *, context: Any, bus: Bus) -> None:
        super().__init__(msg, context=context)
        self.bus = bus

    async def consume_scope(self, call_next: Callable[[Any], Awaitable[Any]], msg: Any) -> Any:
        try:
            return await call_next(msg)
        except ValidationError as err:
            await self.bus.dead_letter(msg, err, _deliveries(msg))
            return None
        except Exception as err:
            deliveries = _deliveries(msg)
            if deliveries >= self.bus.config.max_deliver:
                await self.bus.dead_letter(msg, err, deliveries)
                return None
            log.warning(
                "handler failed, will retry",
                extra={"subject": getattr(msg.raw_message, "subject", "?"), "error": repr(err),
                       "delivery": deliveries},
            )
            await msg.nack(delay=self.bus.config.redelivery_backoff_seconds * deliveries)
            raise


def _deliveries(msg: Any) -> int:
    try:
        return int(msg.raw_message.metadata.num_delivered)
    except Exception:  # noqa: BLE001 - core NATS messages have no JetStream metadata
        return 1


def _describe(error: BaseException) -> str:
    if isinstance(error, ValidationError):
        parts = [
            f"{'.'.join(str(p) for p in e['loc']) or '<root>'}: {e['msg']}" for e in error.errors()
        ]
        return "invalid payload: " + "; ".join(parts)[:2000]
    return f"{type(error).__name__}: {error}"[:2000]


def stream_config(spec: StreamSpec, ns: Namespace) -> StreamConfig:
    return StreamConfig(
        name=ns.stream(spec.name),
        description=spec.description or None,
        subjects=[ns.subject(s) for s in spec.subjects],
        storage=StorageType.FILE,
        max_age=spec.max_age.total_seconds(),
        max_bytes=spec.max_bytes,
        duplicate_window=spec.duplicate_window.total_seconds(),
        discard=DiscardPolicy.OLD,
    )


async def ensure_streams(
    js: JetStreamContext, ns: Namespace, specs: Sequence[StreamSpec] = STREAMS
) -> None:
    """Create every stream, or update it to the current definition. Safe to run concurrently."""
    for spec in specs:
        config = stream_config(spec, ns)
        try:
            await js.add_stream(config)  # pyright: ignore[reportUnknownMemberType]
        except BadRequestError:
            # exists with another configuration: bring it to the current definition
            await js.update_stream(config)  # pyright: ignore[reportUnknownMemberType]
