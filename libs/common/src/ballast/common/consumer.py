"""The typed durable consumer under `Bus.subscriber`: nats-py directly, one lean path per message.

FastStream's per-message subscriber (dependency injection, a middleware chain, an anyio task
group, log context) cost about six times the raw consume (docs/perf/bus-profile-before.txt). This
path keeps every promise the bus makes and does only that, per message:

- decode: the handler's payload model, resolved once from its annotation, `model_validate_json`
  on the bytes; a `ValidationError` is a dead letter (logged, counted, acked);
- trace: the W3C context in the headers is the parent of a CONSUMER span `<subject> process`,
  current while the handler runs, so a publish it makes continues the trace (bustrace.py; a
  failed handler's error is recorded on it);
- metrics: the `ballast_bus_received_*` families FastStream's Prometheus middleware declared
  (same names and labels: app_name, broker, handler = the subject), label children cached;
- ack after the handler returns; a raised error is NACKed with a delay growing with the delivery
  count, and dead-lettered at `max_deliver` (the ConsumerSink, the Bus, sends it).

Pull consumers fetch `batch_size` at a time and run a batch's handlers concurrently, as
FastStream did, each message acked once its handler returns, the `+ACK`s of handlers returning
in the same loop turn in one write (`natswire.ack_all`); the received and in-process counters
move once a batch, the size and duration histograms once a message; the fetch is
`pullfeed.PullFeed`'s (nats-py's pull requests, without its per-message layers). Push consumers
(a deliver group named like the durable) are called in order by nats-py. A handler taking a
second parameter gets a `Delivery` (`.raw_message` is the nats Msg).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
import typing
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from nats.aio.msg import Msg
from nats.errors import ConnectionClosedError
from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig
from nats.js.errors import ServiceUnavailableError
from pydantic import ValidationError

from ballast.common.bustrace import BusTracer
from ballast.common.messages import Message
from ballast.common.natswire import ack_all
from ballast.common.pullfeed import PullFeed

log = logging.getLogger("ballast.bus")

Handler = Callable[..., Awaitable[Any]]


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a two-parameter handler gets next to the payload: the raw nats-py message."""

    raw_message: Msg


@dataclass(frozen=True)
class StreamRef:
    name: str


class ConsumerSink(typing.Protocol):
    """The Bus, as a consumer sees it: its retry rules, dead letters and received metrics."""

    @property
    def max_deliver(self) -> int: ...

    @property
    def redelivery_backoff_seconds(self) -> float: ...

    async def dead_letter(self, message: Any, error: BaseException, deliveries: int) -> None: ...

    def received(self, subject: str) -> ReceivedMetrics: ...


class ReceivedMetrics(typing.Protocol):
    def start(self, count: int) -> None: ...

    def observe(self, size: int, seconds: float, error: BaseException | None) -> None: ...

    def done(self, count: int) -> None: ...


def payload_model(handler: Handler) -> tuple[type[Message], bool]:
    """The handler's payload model (its first parameter's annotation, a name resolved in the
    handler's globals and closure) and whether it takes a second parameter (the Delivery)."""
    params = list(inspect.signature(handler).parameters.values())
    model: Any = params[0].annotation if params else None
    if isinstance(model, str):
        names = {**handler.__globals__, **inspect.getclosurevars(handler).nonlocals}
        head, *rest = model.split(".")
        model = names.get(head)
        for attr in rest:
            model = getattr(model, attr, None)
    if not (isinstance(model, type) and issubclass(model, Message)):
        raise TypeError(f"{handler.__qualname__}: annotate the first parameter with its model")
    return model, len(params) > 1


class TypedConsumer:
    """One durable JetStream consumer feeding one typed handler (see the module docstring)."""

    def __init__(
        self, *, subject: str, stream: str, config: ConsumerConfig,
        batch_size: int, push: bool, handler: Handler, sink: ConsumerSink,
        tracer: BusTracer,
    ) -> None:
        self.subject = subject
        self.stream = StreamRef(stream)
        self.config = config
        self.batch_size = batch_size
        self.push = push
        self.handler = handler
        self.model, self._with_delivery = payload_model(handler)
        self._sink = sink
        self._trace = tracer
        self._sub: Any = None
        self._task: asyncio.Task[None] | None = None
        self._feed: PullFeed | None = None
        self._running = False
        self._busy = False

    async def start(self, js: JetStreamContext) -> None:
        self._running = True
        durable = self.config.durable_name
        if self.push:
            # A push consumer delivers to a group named like the durable: a restarted process
            # binds again at once (a plain push consumer refuses a new subscriber while the
            # server still counts the old one: "consumer is already bound", seen as a hung
            # restart test), and replicas share its messages like a pull consumer's.
            self._sub = await js.subscribe(  # pyright: ignore[reportUnknownMemberType]
                self.subject, queue=durable, durable=durable, stream=self.stream.name,
                config=self.config, manual_ack=True, cb=self.handle)
            return
        self._sub = await js.pull_subscribe(  # pyright: ignore[reportUnknownMemberType]
            self.subject, durable=durable, stream=self.stream.name, config=self.config)
        self._feed = PullFeed(self._sub)
        self._task = asyncio.create_task(self._pull(), name=f"bus-consumer-{durable}")

    async def stop(self, graceful_seconds: float = 10.0) -> None:
        """Stop fetching; a batch being handled finishes (up to `graceful_seconds`)."""
        self._running = False
        task, self._task = self._task, None
        if task is not None:
            if not self._busy:
                task.cancel()
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(task, graceful_seconds)
        sub, self._sub = self._sub, None
        feed, self._feed = self._feed, None
        if feed is not None:
            feed.close()
        if sub is not None:
            with contextlib.suppress(Exception):  # the connection may be gone already
                await sub.unsubscribe()

    async def _pull(self) -> None:
        feed = self._feed
        assert feed is not None
        while self._running:
            try:
                msgs = await feed.fetch(self.batch_size, seconds=1.0)
            except (TimeoutError, ConnectionClosedError, ServiceUnavailableError):
                continue
            except Exception:  # noqa: BLE001 - a reconnect in progress: try again shortly
                log.warning("bus fetch failed", exc_info=True,
                            extra={"subject": self.subject})
                await asyncio.sleep(0.5)
                continue
            self._busy = True
            try:
                await self.handle_batch(msgs)
            finally:
                self._busy = False

    async def handle_batch(self, msgs: list[Msg]) -> None:
        """A fetched batch: its handlers run concurrently, each message acked once its handler
        returns, the acks of handlers returning together in one write (`_Acks`); the received
        counters move once a batch."""
        if not msgs:
            return
        counts = Counter(m.subject for m in msgs)
        for subject, n in counts.items():
            self._sink.received(subject).start(n)
        acks = _Acks(msgs[0]._client, self.subject)  # pyright: ignore[reportPrivateUsage]

        async def one(msg: Msg) -> None:
            if await self._handle(msg):
                await acks.ack(msg)

        try:
            await asyncio.gather(*(one(m) for m in msgs))
        finally:
            for subject, n in counts.items():
                self._sink.received(subject).done(n)

    async def handle(self, msg: Msg) -> None:
        """One message (a push consumer's callback): handle, ack; never raises."""
        metrics = self._sink.received(msg.subject)
        metrics.start(1)
        ack = await self._handle(msg)
        metrics.done(1)
        if ack:
            try:
                await msg.ack()
            except Exception:  # noqa: BLE001 - the server redelivers after ack_wait
                log.exception("bus could not ack", extra={"subject": msg.subject})

    async def _handle(self, msg: Msg) -> bool:
        """Decode, trace, call the handler; True when the message is to be acked (handled, or
        dead-lettered at once as invalid); a failure is NACKed or dead-lettered and acked here."""
        metrics = self._sink.received(msg.subject)
        started = time.perf_counter()
        error: BaseException | None = None
        ack = False
        span, token = self._trace.process(msg.subject, msg.headers)
        try:
            ack = await self._call(msg)
        except Exception as err:  # noqa: BLE001 - settled below, never kills the loop
            self._trace.fail(span, err)
            if await self._settle_failure(msg, err):
                error = err  # counted as a handler exception, as FastStream counted it
        finally:
            self._trace.end(span, token)
        metrics.observe(len(msg.data), time.perf_counter() - started, error)
        return ack

    async def _call(self, msg: Msg) -> bool:
        try:
            body = self.model.model_validate_json(msg.data)
        except ValidationError as err:
            await self._sink.dead_letter(Delivery(msg), err, _deliveries(msg))
            return True
        if self._with_delivery:
            await self.handler(body, Delivery(msg))
        else:
            await self.handler(body)
        return True

    async def _settle_failure(self, msg: Msg, err: Exception) -> bool:
        """Dead-letter (a handler's own ValidationError, or the last delivery) or NACK with a
        delay; True when it will be retried."""
        deliveries = _deliveries(msg)
        try:
            if isinstance(err, ValidationError) or deliveries >= self._sink.max_deliver:
                await self._sink.dead_letter(Delivery(msg), err, deliveries)
                await msg.ack()
                return False
            log.warning("handler failed, will retry",
                        extra={"subject": msg.subject, "error": repr(err), "delivery": deliveries})
            await msg.nak(delay=self._sink.redelivery_backoff_seconds * deliveries)
        except Exception:  # noqa: BLE001 - the server redelivers after ack_wait
            log.exception("bus could not settle a failed message", extra={"subject": msg.subject})
        return True


class _Acks:
    """Acks of one batch: the first handler to return waits one loop turn for the others
    returning with it, then writes every ack gathered so far in one command."""

    def __init__(self, nc: Any, subject: str) -> None:
        self._nc, self._subject = nc, subject
        self._waiting: list[Msg] = []

    async def ack(self, msg: Msg) -> None:
        self._waiting.append(msg)
        if len(self._waiting) > 1:
            return  # an earlier one writes it
        await asyncio.sleep(0)
        batch, self._waiting = self._waiting, []
        try:
            await ack_all(self._nc, [m.reply for m in batch])
        except Exception:  # noqa: BLE001 - the server redelivers after ack_wait
            log.exception("bus could not ack", extra={"subject": self._subject})
            return
        for m in batch:
            m._ackd = True  # pyright: ignore[reportPrivateUsage]


def _deliveries(msg: Msg) -> int:
    try:
        return int(msg.metadata.num_delivered)
    except Exception:  # noqa: BLE001 - core NATS messages have no JetStream metadata
        return 1


__all__ = ["ConsumerSink", "Delivery", "TypedConsumer", "payload_model"]
