"""The delivery worker with a fake outbox and a fake channel (no Postgres, no HTTP)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import CollectorRegistry

from ballast.alerts.adapters.channels import Channel, Channels, channel_id
from ballast.alerts.adapters.outbox import OutboxRow
from ballast.alerts.delivery import DeliveryPolicy, DeliveryWorker
from ballast.alerts.metrics import AlertsMetrics

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
URL = "json://hooks.local/alerts"
CH = channel_id(URL)


def row(i: int, channel: str = CH, attempts: int = 1) -> OutboxRow:
    alert = {"key": f"k{i}", "rule": "r", "severity": "critical", "state": "firing",
             "labels": {}, "summary": f"s{i}", "value": None}  # fmt: skip
    return OutboxRow(
        id=i, key=f"k{i}", sequence=1, channel=channel, notification_id=f"n{i}",
        severity="critical", payload={"id": f"n{i}", "alert": alert}, attempts=attempts,
        created_at=T0, expires_at=T0 + timedelta(days=1),
    )  # fmt: skip


class FakeOutbox:
    def __init__(self, due: list[OutboxRow] | None = None) -> None:
        self.due = due or []
        self.settled: list[tuple[list[int], str | None, datetime | None]] = []
        self.failed_rows: list[tuple[list[int], str]] = []

    async def expire(self, now: datetime) -> int:
        return 0

    async def claim_due(self, now: datetime, lease: timedelta, limit: int) -> list[OutboxRow]:
        rows, self.due = self.due, []
        return rows

    async def settle(
        self, channel: str, ids: Sequence[int], error: str | None, at: datetime,
        retry_at: datetime | None, duration_ms: float,
    ) -> None:  # fmt: skip
        self.settled.append((list(ids), error, retry_at))

    async def failed(self, ids: Sequence[int], error: str, next_at: datetime) -> None:
        self.failed_rows.append((list(ids), error))

    async def next_due(self) -> datetime | None:
        return None


class FakeChannel:
    """Records each send; can hold the first one open, or refuse."""

    def __init__(self, refuse: bool = False) -> None:
        self.sends: list[list[str]] = []
        self.release = asyncio.Event()
        self.hold = False
        self.refuse = refuse

    async def send(self, channel: Channel, rows: Sequence[OutboxRow]) -> str | None:
        self.sends.append([r.notification_id for r in rows])
        if self.hold:
            await self.release.wait()
        return "refused" if self.refuse else None


def worker(outbox: FakeOutbox, notifier: FakeChannel, digest_max: int = 50) -> DeliveryWorker:
    policy = DeliveryPolicy(backoff_base=timedelta(seconds=1), digest_max=digest_max)
    return DeliveryWorker(
        outbox, Channels({"critical": [URL]}), notifier, lambda: T0, policy,
        AlertsMetrics(CollectorRegistry()),
    )


async def test_deliver_now__rows_while_a_send_is_in_flight__leave_as_one_digest() -> None:
    outbox, channel = FakeOutbox(), FakeChannel()
    w = worker(outbox, channel)
    channel.hold = True
    w.deliver_now([row(1)])
    await asyncio.sleep(0)
    for i in range(2, 6):
        w.deliver_now([row(i)])
    channel.release.set()
    await w.close()
    assert channel.sends == [["n1"], ["n2", "n3", "n4", "n5"]]
    assert [ids for ids, error, _ in outbox.settled if error is None] == [[1], [2, 3, 4, 5]]


async def test_deliver_now__channel_refuses__rows_settled_with_backoff() -> None:
    outbox, channel = FakeOutbox(), FakeChannel(refuse=True)
    w = worker(outbox, channel)
    w.deliver_now([row(1, attempts=3)])
    await w.close()
    assert outbox.settled == [([1], "refused", T0 + timedelta(seconds=4))]


async def test_drain_once__more_than_digest_max__chunks_and_stops_at_first_failure() -> None:
    outbox = FakeOutbox([row(i) for i in range(1, 8)])
    channel = FakeChannel(refuse=True)
    w = worker(outbox, channel, digest_max=3)
    assert await w.drain_once() == 0
    assert channel.sends == [["n1", "n2", "n3"]]  # the rest waits for the same retry
    assert outbox.failed_rows == [([4, 5, 6, 7], "earlier batch failed")]


async def test_drain_once__channel_no_longer_configured__left_to_expire() -> None:
    outbox = FakeOutbox([row(1, channel="ch-gone")])
    channel = FakeChannel()
    assert await worker(outbox, channel).drain_once() == 0
    assert channel.sends == [] and outbox.failed_rows == [([1], "channel not configured")]


def test_fake_outbox__has_the_methods_the_worker_calls() -> None:
    from ballast.alerts.adapters.outbox import Outbox

    used: Any = ("expire", "claim_due", "settle", "failed", "next_due")
    assert all(hasattr(Outbox, name) and hasattr(FakeOutbox, name) for name in used)
