"""Fan-out of bus messages to stream clients (WebSocket and SSE alike).

One core NATS subscription per distinct filter in use, shared by every client that asked for it
(reference-counted). Each filter keeps the latest frame per concrete subject: loaded once from
JetStream's last-per-subject when the filter is first used, then kept current by the live
messages. A client connecting gets those latest frames first, then the live ones; the snapshot
and the registration happen in one step of the event loop, so nothing falls between them.

The hub never waits on a client: it appends to the client's bounded queue (oldest dropped
first, counted) and wakes its writer. A client whose writer has made no progress for
`max_behind_seconds` while frames wait is cut: no more frames, its writer cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from ballast.common.messages import utcnow
from ballast.gateway.domain.client_queue import ClientQueue
from ballast.gateway.domain.filters import first_match
from ballast.gateway.domain.frames import encode_frame
from ballast.gateway.metrics import GatewayMetrics

log = logging.getLogger("ballast.gateway.hub")

OnMessage = Callable[[str, bytes], None]
Unsubscribe = Callable[[], Awaitable[None]]


class BusTap(Protocol):
    """What the hub needs from the bus (adapters/bus_tap.py over NATS; subjects un-prefixed)."""

    async def subscribe(self, pattern: str, on_message: OnMessage) -> Unsubscribe: ...
    async def last_values(self, pattern: str) -> list[tuple[str, bytes]]: ...


@dataclass(eq=False)
class StreamClient:
    filters: tuple[str, ...]
    name: str
    queue: ClientQueue
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    cut: asyncio.Event = field(default_factory=asyncio.Event)
    cut_reason: str = ""

    def index(self, pattern: str) -> int:
        return self.filters.index(pattern)


@dataclass(eq=False)
class Topic:
    pattern: str
    clients: set[StreamClient] = field(default_factory=set[StreamClient])
    latest: dict[str, str] = field(default_factory=dict[str, str])
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    refs: int = 0
    unsubscribe: Unsubscribe | None = None


class Hub:
    def __init__(
        self,
        tap: BusTap,
        metrics: GatewayMetrics,
        *,
        queue_size: int,
        max_behind_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        utc: Callable[[], datetime] = utcnow,
    ) -> None:
        self.tap, self.metrics = tap, metrics
        self.queue_size, self.max_behind = queue_size, max_behind_seconds
        self.clock, self.utc = clock, utc
        self.topics: dict[str, Topic] = {}
        self.clients: set[StreamClient] = set()
        self._reaper: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ clients
    async def connect(self, filters: tuple[str, ...], name: str) -> StreamClient:
        client = StreamClient(filters, name, ClientQueue(self.queue_size))
        acquired: list[str] = []
        try:
            for pattern in filters:
                await self._acquire(pattern)
                acquired.append(pattern)
        except BaseException:
            for pattern in acquired:
                await self._release(pattern)
            raise
        now = self.clock()
        latest: dict[str, str] = {}  # no await from here on: snapshot + live, no gap
        for i, pattern in enumerate(filters):
            for subject, frame in self.topics[pattern].latest.items():
                # the frame of the filter that will deliver the subject live, else any
                if subject not in latest or first_match(filters, subject) == i:
                    latest[subject] = frame
        for frame in latest.values():
            client.queue.push(frame, now)
        for pattern in filters:
            self.topics[pattern].clients.add(client)
        self.clients.add(client)
        self.metrics.stream_clients.set(len(self.clients))
        client.wake.set()
        return client

    async def disconnect(self, client: StreamClient) -> None:
        if client not in self.clients:
            return
        self.clients.discard(client)
        self.metrics.stream_clients.set(len(self.clients))
        for pattern in client.filters:
            self.topics[pattern].clients.discard(client)
            await self._release(pattern)

    def next_frame(self, client: StreamClient) -> str | None:
        return client.queue.take(self.clock())

    def sent(self, client: StreamClient) -> None:
        client.queue.sent(self.clock())
        self.metrics.frames_sent.inc()

    def cut(self, client: StreamClient, reason: str) -> None:
        """Stop serving a client: it gets no more frames and its writer is told to end."""
        if client.cut.is_set():
            return
        client.cut_reason = reason
        client.cut.set()
        client.wake.set()
        for pattern in client.filters:
            topic = self.topics.get(pattern)
            if topic is not None:
                topic.clients.discard(client)
        self.metrics.clients_cut.labels(reason).inc()
        log.info("stream client cut", extra={"client": client.name, "reason": reason,
                                             "dropped": client.queue.dropped})

    def close_all(self) -> None:
        for client in list(self.clients):
            self.cut(client, "shutdown")

    # ------------------------------------------------------------------ topics
    async def _acquire(self, pattern: str) -> None:
        topic = self.topics.get(pattern)
        if topic is not None:
            topic.refs += 1
            await topic.ready.wait()
            return
        topic = self.topics[pattern] = Topic(pattern, refs=1)
        try:
            topic.unsubscribe = await self.tap.subscribe(
                pattern, lambda subject, data: self._on_message(topic, subject, data)
            )
            try:
                last = await self.tap.last_values(pattern)
            except Exception as err:  # noqa: BLE001 - live frames still flow
                log.warning("latest values unavailable", extra={"filter": pattern,
                                                               "error": repr(err)})
                last = []
            received = self.utc()
            for subject, data in last:
                topic.latest.setdefault(subject, encode_frame(subject, data, received))
        except BaseException:
            del self.topics[pattern]
            topic.ready.set()
            raise
        topic.ready.set()

    async def _release(self, pattern: str) -> None:
        topic = self.topics.get(pattern)
        if topic is None:
            return
        topic.refs -= 1
        if topic.refs <= 0:
            del self.topics[pattern]
            if topic.unsubscribe is not None:
                with contextlib.suppress(Exception):
                    await topic.unsubscribe()

    def _on_message(self, topic: Topic, subject: str, data: bytes) -> None:
        frame = encode_frame(subject, data, self.utc())
        topic.latest[subject] = frame
        self.metrics.messages_in.inc()
        if not topic.clients:
            return
        now = self.clock()
        for client in list(topic.clients):
            if len(client.filters) > 1 and (
                first_match(client.filters, subject) != client.index(topic.pattern)
            ):
                continue
            if client.queue.push(frame, now):
                self.metrics.frames_dropped.inc()
            if client.queue.behind_seconds(now) > self.max_behind:
                self.cut(client, "behind")
            else:
                client.wake.set()

    # ------------------------------------------------------------------ reaper
    def start(self) -> None:
        self._reaper = asyncio.create_task(self._reap(), name="gateway-stream-reaper")

    async def stop(self) -> None:
        self.close_all()
        if self._reaper is not None:
            self._reaper.cancel()
            await asyncio.gather(self._reaper, return_exceptions=True)

    async def _reap(self) -> None:
        """Cut clients that fell behind while no new message arrived to notice it."""
        while True:
            await asyncio.sleep(max(self.max_behind / 4, 0.05))
            now = self.clock()
            for client in list(self.clients):
                if client.queue.behind_seconds(now) > self.max_behind:
                    self.cut(client, "behind")
