"""The delivery loop over the Postgres outbox: a channel that is down loses nothing.

Each pass leases the due rows (SKIP LOCKED, so replicas share the work), sends them per channel,
one message per row or one digest when several wait for the same channel (a burst or a channel
coming back after an outage is batched, never dropped or rate-limited away), then marks them
delivered, or schedules the next attempt with exponential backoff until the row expires.
New rows do not wait for a pass: `deliver_now` sends them at once (one send in flight per
channel; what arrives meanwhile leaves as one digest). The loop sleeps until the next row is due.

Delivery is at least once per (key, sequence, channel); the idempotency key in every message
lets a receiver make it exactly once even when an HTTP response is lost after the send.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from opentelemetry import trace

from ballast.alerts.adapters.channels import Channel, Channels
from ballast.alerts.adapters.notifier import Notifier
from ballast.alerts.adapters.outbox import OutboxRow
from ballast.alerts.metrics import AlertsMetrics
from ballast.common.tracing import resume

log = logging.getLogger("ballast.alerts.delivery")
tracer = trace.get_tracer("ballast.alerts")

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class DeliveryPolicy:
    backoff_base: timedelta = timedelta(seconds=1)
    backoff_max: timedelta = timedelta(seconds=60)
    lease: timedelta = timedelta(seconds=60)
    digest_max: int = 50
    claim_limit: int = 500
    idle_poll: timedelta = timedelta(seconds=5)

    def backoff(self, attempts: int) -> timedelta:
        exponent = min(max(attempts - 1, 0), 20)
        return min(self.backoff_base * (2**exponent), self.backoff_max)


class DeliveryOutbox(Protocol):
    """The delivery outbox (adapters/outbox.py): rows leased, settled, failed, expired."""

    async def expire(self, now: datetime) -> int: ...
    async def claim_due(self, now: datetime, lease: timedelta, limit: int) -> list[OutboxRow]: ...
    async def settle(self, channel: str, ids: Sequence[int], error: str | None, at: datetime,
                     retry_at: datetime | None, duration_ms: float) -> None: ...
    async def failed(self, ids: Sequence[int], error: str, next_at: datetime) -> None: ...
    async def next_due(self) -> datetime | None: ...


@dataclass(eq=False)
class DeliveryWorker:
    outbox: DeliveryOutbox
    channels: Channels
    notifier: Notifier
    clock: Clock
    policy: DeliveryPolicy
    metrics: AlertsMetrics
    _wake: asyncio.Event = field(default_factory=asyncio.Event, init=False)
    _inflight: set[asyncio.Task[None]] = field(default_factory=set[asyncio.Task[None]], init=False)
    _buffers: dict[str, list[OutboxRow]] = field(default_factory=dict[str, list[OutboxRow]],
                                                 init=False)
    _busy: set[str] = field(default_factory=set[str], init=False)

    def wake(self) -> None:
        self._wake.set()

    def deliver_now(self, rows: Sequence[OutboxRow]) -> None:
        """The fast path: rows just inserted (already leased) go out without waiting for a pass.

        At most one send per channel is in flight; rows arriving meanwhile wait in the channel's
        buffer and leave together as one digest when it returns, so an isolated alert goes out at
        once and a burst is batched instead of fanned out. A failed send settles its rows with a
        retry time and the loop takes over; a crash leaves them leased until the lease ends.
        """
        for row in rows:
            self._buffers.setdefault(row.channel, []).append(row)
        for channel in {row.channel for row in rows}:
            if channel in self._busy:
                continue
            self._busy.add(channel)
            task = asyncio.create_task(self._pump(channel), name=f"alerts-deliver-{channel}")
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _pump(self, channel: str) -> None:
        try:
            while self._buffers.get(channel):
                await self._send_channel(channel, self._buffers.pop(channel))
        except Exception:
            log.exception("immediate delivery failed; the loop retries when the lease ends")
        finally:
            self._busy.discard(channel)

    async def close(self) -> None:
        """Let sends in flight finish (they are short: one HTTP request each)."""
        if self._inflight:
            await asyncio.wait(self._inflight, timeout=10)

    async def run(self) -> None:
        """Until cancelled. A database error is logged and retried on the next pass."""
        while True:
            self._wake.clear()
            try:
                await self.drain_once()
                timeout = await self._sleep_for()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("delivery pass failed")
                timeout = self.policy.backoff_base.total_seconds()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=timeout)

    async def _sleep_for(self) -> float:
        due = await self.outbox.next_due()
        idle = self.policy.idle_poll.total_seconds()
        if due is None:
            return idle
        return min(max((due - self.clock()).total_seconds(), 0.0), idle)

    async def drain_once(self) -> int:
        """One pass: expire, lease what is due, send. Returns the rows delivered."""
        now = self.clock()
        expired = await self.outbox.expire(now)
        if expired:
            log.warning("notifications expired undelivered", extra={"rows": expired})
            self.metrics.expired_rows.inc(expired)
        rows = await self.outbox.claim_due(now, self.policy.lease, self.policy.claim_limit)
        if not rows:
            return 0
        per_channel: dict[str, list[OutboxRow]] = {}
        for row in rows:
            per_channel.setdefault(row.channel, []).append(row)
        results = await asyncio.gather(
            *(self._send_channel(channel, batch) for channel, batch in per_channel.items())
        )
        return sum(results)

    async def _send_channel(self, channel_id: str, rows: list[OutboxRow]) -> int:
        channel = self.channels.by_id.get(channel_id)
        if channel is None:
            # removed from the configuration: nothing can send it; let it expire
            ids = [r.id for r in rows]
            await self.outbox.failed(ids, "channel not configured", rows[0].expires_at)
            return 0
        delivered = 0
        step = self.policy.digest_max
        for start in range(0, len(rows), step):
            chunk = rows[start : start + step]
            if await self._send(channel.id, channel, chunk):
                delivered += len(chunk)
            else:
                # keep order: the rest waits for the same retry
                rest = rows[start + step :]
                if rest:
                    attempts = max(r.attempts for r in rest)
                    await self.outbox.failed(
                        [r.id for r in rest], "earlier batch failed", self._retry_at(attempts)
                    )
                break
        return delivered

    async def _send(self, channel_id: str, channel: Channel, rows: Sequence[OutboxRow]) -> bool:
        ids = [r.id for r in rows]
        started = time.perf_counter()
        with contextlib.ExitStack() as spans:
            opened = [spans.enter_context(span) for span in _delivery_spans(channel_id, rows)]
            try:
                error = await self.notifier.send(channel, rows)
            except Exception as err:  # noqa: BLE001 - any failure of a channel is a retry
                error = f"{type(err).__name__}: {err}"
            if error is not None:
                for span in opened:
                    span.set_status(trace.StatusCode.ERROR, error)
        elapsed = time.perf_counter() - started
        now = self.clock()
        retry_at = None
        if error is not None:
            attempts = max(r.attempts for r in rows)
            retry_at = self._retry_at(attempts)
            log.warning(
                "delivery failed, will retry",
                extra={"channel": channel.redacted, "rows": len(ids), "attempts": attempts,
                       "error": error},
            )  # fmt: skip
        await self.outbox.settle(channel_id, ids, error, now, retry_at, elapsed * 1000)
        result = "ok" if error is None else "failed"
        self.metrics.deliveries.labels(channel_id, result).inc()
        self.metrics.delivery_seconds.labels(channel_id).observe(elapsed)
        if error is None:
            self.metrics.delivered_rows.labels(channel_id).inc(len(ids))
        return error is None

    def _retry_at(self, attempts: int) -> datetime:
        return self.clock() + self.policy.backoff(attempts)


def _delivery_spans(
    channel_id: str, rows: Sequence[OutboxRow]
) -> list[AbstractContextManager[trace.Span]]:
    """One `alerts deliver` span per fact's trace in the batch, each a child of that fact's
    span: a page ends the trace of the fact that caused it, also when it leaves in a digest with
    other facts' pages or at a retry after an outage (the context is stored with the row)."""
    contexts = list(dict.fromkeys(r.trace_context for r in rows))
    return [
        tracer.start_as_current_span(
            "alerts deliver", context=resume(tp),
            attributes={"ballast.channel": channel_id, "ballast.rows": len(rows)},
        )
        for tp in contexts
    ]
