"""The typed subscriber of the bus: a durable JetStream consumer on nats-py, no framework between.

FastStream's per-message pipeline (dependency injection, a middleware stack, a context scope per
message) cost about five times what the message itself did (issue 23, bench/bus.py), so the bus
consumes with nats-py directly and keeps the same rules:

- a durable pull consumer fetching up to `batch_size` at a time (the messages of one fetch are
  handled concurrently, each acked when its handler returns, as FastStream did), or a push
  consumer delivering to a group named like the durable, handled in order;
- the payload is validated straight from the bytes (`model_validate_json`) into the model the
  handler's first parameter is annotated with; a second parameter gets a `Received`;
- explicit ack after the handler returns; a raised error is NACKed with a delay growing with the
  delivery count and redelivered, up to `max_deliver`, then dead-lettered and acked; a payload
  that fails validation is dead-lettered and acked at once (`DeadLetterSink`, the Bus);
- each message is counted and traced (ballast.common.bus_telemetry).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig
from nats.js.errors import ServiceUnavailableError
from opentelemetry import context as otel_context
from opentelemetry.context import Context
from pydantic import ValidationError

from ballast.common.bus_telemetry import BusTelemetry, Incoming
from ballast.common.messages import Message

log = logging.getLogger("ballast.bus")

FETCH_TIMEOUT_SECONDS = 1.0
Handler = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class Received:
    """What a handler's second parameter gets: the subject (un-prefixed) and nats-py's message."""

    subject: str
    raw_message: Msg


@dataclass(frozen=True)
class Subscription:
    """A durable consumer as declared (names namespaced): what the service subscribes to, read by
    the permission generator (deploy/tools/ballast_introspect.py) as well as by `Consumer`."""

    subject: str
    stream: str
    durable: str
    model: type[Message]
    handler: Handler
    with_message: bool
    config: ConsumerConfig
    batch_size: int
    push: bool
    title: str | None = None
    description: str | None = None


class DeadLetterSink(Protocol):
    @property
    def max_deliver(self) -> int: ...

    @property
    def redelivery_backoff_seconds(self) -> float: ...

    def unprefix(self, subject: str) -> str: ...

    async def dead_letter(self, message: Msg, error: BaseException, deliveries: int) -> None: ...


def consumer_config(
    max_deliver: int,
    ack_wait: float,
    deliver_policy: Any,
    max_ack_pending: int | None,
) -> ConsumerConfig:
    return ConsumerConfig(
        ack_policy=AckPolicy.EXPLICIT,
        max_deliver=max_deliver,
        ack_wait=ack_wait,
        deliver_policy=deliver_policy,
        max_ack_pending=max_ack_pending,
    )


class Consumer:
    """The running side of one Subscription, from `start` to `stop`."""

    def __init__(self, sub: Subscription, sink: DeadLetterSink, telemetry: BusTelemetry) -> None:
        self.sub, self.sink, self.telemetry = sub, sink, telemetry
        self._incoming: dict[str, Incoming] = {}
        self._nats_sub: Any = None
        self._task: asyncio.Task[None] | None = None
        self._closing = False
        self._waiting = False  # in a fetch: nothing in hand, safe to cancel

    async def start(self, js: JetStreamContext) -> None:
        s = self.sub
        # the tasks made here (the fetch loop, nats-py's callback task) start from an empty trace
        # context, whatever span the caller is in: a message without one handles outside any
        token = otel_context.attach(Context())
        try:
            if s.push:
                self._nats_sub = await js.subscribe(  # pyright: ignore[reportUnknownMemberType]
                    s.subject,
                    queue=s.durable,
                    durable=s.durable,
                    stream=s.stream,
                    config=s.config,
                    manual_ack=True,
                    cb=self._deliver,
                )
                return
            self._nats_sub = await js.pull_subscribe(
                s.subject, durable=s.durable, stream=s.stream, config=s.config
            )
            self._task = asyncio.create_task(self._pull(self._nats_sub), name=f"pull {s.durable}")
        finally:
            otel_context.detach(token)

    async def stop(self, grace_seconds: float) -> None:
        """Stop fetching; let the messages in hand finish within `grace_seconds`."""
        self._closing = True
        task, self._task = self._task, None
        if task is not None:
            if self._waiting:
                task.cancel()
            _, pending = await asyncio.wait({task}, timeout=grace_seconds)
            if pending:
                log.error("handlers did not finish", extra={"durable": self.sub.durable})
                task.cancel()
                await asyncio.wait({task}, timeout=1.0)
        nats_sub, self._nats_sub = self._nats_sub, None
        if nats_sub is not None:
            try:
                if self.sub.push:
                    await asyncio.wait_for(nats_sub.drain(), grace_seconds)
                else:
                    await nats_sub.unsubscribe()
            except Exception as err:  # noqa: BLE001 - closing: the server forgets it anyway
                log.warning(
                    "unsubscribe failed", extra={"durable": self.sub.durable, "error": repr(err)}
                )

    async def _pull(self, pull: JetStreamContext.PullSubscription) -> None:
        batch = self.sub.batch_size
        while not self._closing:
            self._waiting = True
            try:
                msgs = await pull.fetch(batch, timeout=FETCH_TIMEOUT_SECONDS)
            except NatsTimeoutError:
                continue
            except (ConnectionClosedError, ServiceUnavailableError):
                await asyncio.sleep(0.1)
                continue
            except Exception:  # a server error on one fetch: log it, keep consuming
                log.exception("fetch failed", extra={"durable": self.sub.durable})
                await asyncio.sleep(1.0)
                continue
            finally:
                self._waiting = False
            if len(msgs) == 1:
                await self._deliver(msgs[0])
            else:
                await asyncio.gather(*(self._deliver(m) for m in msgs))

    async def _deliver(self, msg: Msg) -> None:
        """Handle one message; never raises (but a cancel)."""
        subject, data = msg.subject, msg.data
        counters = self._incoming.get(subject)
        if counters is None:
            counters = self._incoming[subject] = self.telemetry.incoming(subject)
        counters.received.inc()
        counters.size.observe(len(data))
        counters.in_process.inc()
        span, token = self.telemetry.start_consume(counters, msg.headers, len(data))
        start = time.perf_counter()
        nacked: BaseException | None = None
        try:
            nacked = await self._process(msg)
        except Exception as err:  # the dead-letter publish or the ack failed: deliver it again
            nacked = err
            log.exception("message not settled, will retry", extra={"subject": subject})
            self.telemetry.failed(subject, err)
            try:
                await msg.nak()
            except Exception:  # noqa: BLE001 - not acked either way: the server redelivers
                log.debug("nak failed", exc_info=True)
        finally:
            counters.duration.observe(time.perf_counter() - start)
            counters.in_process.dec()
            self.telemetry.end_consume(span, token, nacked)
        (counters.acked if nacked is None else counters.nacked).inc()

    async def _process(self, msg: Msg) -> BaseException | None:
        """Validate, handle, settle: None when acked, the handler's error when NACKed."""
        s, sink = self.sub, self.sink
        try:
            body = s.model.model_validate_json(msg.data)
        except ValidationError as err:
            await sink.dead_letter(msg, err, deliveries(msg))
            await msg.ack()
            return None
        try:
            if s.with_message:
                await s.handler(body, Received(sink.unprefix(msg.subject), msg))
            else:
                await s.handler(body)
        except Exception as err:
            n = deliveries(msg)
            if n >= sink.max_deliver:
                await sink.dead_letter(msg, err, n)
                await msg.ack()
                return None
            log.warning(
                "handler failed, will retry",
                exc_info=err,
                extra={"subject": msg.subject, "error": repr(err), "delivery": n},
            )
            self.telemetry.failed(msg.subject, err)
            await msg.nak(delay=sink.redelivery_backoff_seconds * n)
            return err
        await msg.ack()
        return None


def deliveries(msg: Msg) -> int:
    """How many times JetStream delivered `msg` (1 for a core NATS message)."""
    try:
        return int(msg.metadata.num_delivered or 1)
    except Exception:  # noqa: BLE001 - core NATS messages have no JetStream metadata
        return 1
