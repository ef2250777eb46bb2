"""The outbox against real Postgres and a real local webhook that goes down and comes back."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import nats
import pytest
from prometheus_client import CollectorRegistry

from ballast.alerts.adapters.channels import Channels
from ballast.alerts.adapters.notifier import AppriseNotifier
from ballast.alerts.adapters.outbox import Outbox
from ballast.alerts.adapters.repository import AlertsRepository
from ballast.alerts.adapters.rules_file import load_rules
from ballast.alerts.delivery import DeliveryPolicy, DeliveryWorker
from ballast.alerts.domain.config import Grouping
from ballast.alerts.domain.engine import AlertEngine
from ballast.alerts.domain.model import Transitions
from ballast.alerts.metrics import AlertsMetrics
from ballast.common.bus import Bus, BusConfig
from ballast.common.db import load_migrations, migrate
from ballast.common.messages import Alert
from ballast.common.outbox import Outbox as BusOutbox
from ballast.common.subjects import Namespace

MIGRATIONS = Path(__file__).resolve().parents[2] / "src/ballast/alerts/migrations"
EXPIRY = timedelta(hours=1)
FAST = DeliveryPolicy(
    backoff_base=timedelta(seconds=0.1),
    backoff_max=timedelta(seconds=0.5),
    idle_poll=timedelta(seconds=0.5),
)


def now() -> datetime:
    return datetime.now(UTC)


@pytest.fixture
async def repo(database_url: str) -> AsyncIterator[AlertsRepository]:
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=5)
    async with pool.acquire() as conn:
        await migrate(conn, "alerts", load_migrations(MIGRATIONS))
    yield AlertsRepository(pool)
    await pool.close()


def engine() -> AlertEngine:
    config = load_rules()
    return AlertEngine(dataclasses.replace(config, grouping=Grouping(timedelta(0), timedelta(0))))


def operator(i: int) -> str:
    return "0x" + f"{i:040x}"


async def outage_scenario(
    repo: AlertsRepository, webhook: Any, facts: Any, outage: float
) -> None:
    channels = Channels({"critical": [webhook.url + "?cto=1&rto=2"]})
    worker = DeliveryWorker(Outbox(repo.pool), channels, AppriseNotifier(), now, FAST,
                            AlertsMetrics(CollectorRegistry()))
    alerts = engine()
    expected: list[str] = []

    async def fire(i: int) -> None:
        subject, fact = facts.validator(jailed=True, operator=operator(i))
        out = alerts.on_fact(subject, fact, now())
        expected.extend(n.id for n in out.notifications)
        # the service's path: rows come back leased and are sent at once; while the channel
        # is down that send fails and the loop retries them with backoff
        worker.deliver_now(await repo.save(out, channels, now(), EXPIRY, lease=FAST.lease))

    task = asyncio.create_task(worker.run())
    try:
        await webhook.stop()  # the channel is down
        started = asyncio.get_running_loop().time()
        i = 0
        while asyncio.get_running_loop().time() - started < outage:
            await fire(i)
            i += 1
            await asyncio.sleep(min(0.5, outage / 6))

        async def failed_attempts() -> int:
            return await repo.pool.fetchval("SELECT count(*) FROM alerts_deliveries WHERE NOT ok")

        async with asyncio.timeout(15):  # the first send of a process can be slow under load
            while not await failed_attempts():
                await asyncio.sleep(0.05)
        assert webhook.requests == []
        await webhook.start()  # same port: the channel is back
        await fire(i + 1)  # and one more after it came back

        async def all_delivered() -> bool:
            counts = await Outbox(repo.pool).outbox_counts()
            return counts.get("delivered", 0) == len(expected)

        async with asyncio.timeout(15):
            while not await all_delivered():
                await asyncio.sleep(0.05)
    finally:
        await worker.close()
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    received = collections.Counter(webhook.ids)
    assert set(received) == set(expected)
    assert all(count == 1 for count in received.values()), received.most_common(3)
    # the backlog came back as a digest, not one request per notification
    assert len(webhook.requests) < len(expected)


async def test_delivery__webhook_down_3s_then_up__every_notification_exactly_once(
    repo: AlertsRepository, webhook: Any, facts: Any
) -> None:
    await outage_scenario(repo, webhook, facts, outage=3.0)


@pytest.mark.slow
@pytest.mark.chaos  # the webhook channel down 30 s: in the chaos suite (issue 22)
async def test_delivery__webhook_down_30s_then_up__every_notification_exactly_once(
    repo: AlertsRepository, webhook: Any, facts: Any
) -> None:
    await outage_scenario(repo, webhook, facts, outage=30.0)


async def test_repository__same_transitions_saved_twice__one_outbox_row_per_channel(
    repo: AlertsRepository, facts: Any
) -> None:
    channels = Channels({"critical": ["json://127.0.0.1:9/a", "json://127.0.0.1:9/b"]})
    subject, fact = facts.validator(jailed=True)
    out = engine().on_fact(subject, fact, now())
    assert len(out.notifications) == 1
    assert len(await repo.save(out, channels, now(), EXPIRY)) == 2
    assert await repo.save(out, channels, now(), EXPIRY) == []
    assert await repo.pool.fetchval("SELECT count(*) FROM alerts_outbox") == 2
    assert await repo.pool.fetchval("SELECT count(*) FROM alerts_history") == 1


async def test_repository__records_saved__load_back_equal(
    repo: AlertsRepository, facts: Any
) -> None:
    alerts = engine()
    subject, fact = facts.treasury(rr="1.4")
    out = alerts.on_fact(subject, fact, now())
    await repo.save(out, Channels({}), now(), EXPIRY)
    loaded = {r.key: r for r in await repo.load_records()}
    for key, record in alerts.lifecycle.records.items():
        assert loaded[key] == record


async def test_delivery__row_past_expiry__expired_not_sent(
    repo: AlertsRepository, facts: Any
) -> None:
    channels = Channels({"critical": ["json://127.0.0.1:9/hook"]})
    subject, fact = facts.validator(jailed=True)
    out: Transitions = engine().on_fact(subject, fact, now())
    await repo.save(out, channels, now() - timedelta(hours=2), EXPIRY)
    worker = DeliveryWorker(Outbox(repo.pool), channels, AppriseNotifier(), now, FAST,
                            AlertsMetrics(CollectorRegistry()))
    assert await worker.drain_once() == 0
    assert await Outbox(repo.pool).outbox_counts() == {"expired": 1}


async def test_repository__prune__old_settled_rows_go_records_stay(
    repo: AlertsRepository, facts: Any
) -> None:
    channels = Channels({"critical": ["json://127.0.0.1:9/hook"]})
    old = now() - timedelta(days=100)
    subject, fact = facts.validator(jailed=True)
    rows = await repo.save(engine().on_fact(subject, fact, old), channels, old, EXPIRY, FAST.lease)
    await Outbox(repo.pool).settle(rows[0].channel, [r.id for r in rows], None, old, None, 1.0)
    pending = await repo.save(
        engine().on_fact(*facts.validator(jailed=True, operator=operator(7)), old),
        channels, old, timedelta(days=365),
    )  # fmt: skip
    pruned = await repo.prune(now() - timedelta(days=90))
    assert pruned == {"alerts_outbox": 1, "alerts_deliveries": 1, "alerts_history": 2}
    assert await Outbox(repo.pool).outbox_counts() == {"pending": len(pending)}
    assert len(await repo.load_records()) == 2


class NoPublish:
    """The bus of a process killed right after its commit: it never publishes."""

    async def publish_json(self, data: bytes, subject: str, *, msg_id: str) -> None:
        raise AssertionError("the crashed process never publishes")


async def test_bus_copy__crash_after_commit__relayed_once_on_restart(
    repo: AlertsRepository, facts: Any, nats_server: Any, bus_namespace: str
) -> None:
    """alerts.<severity> copies are written with their notification (ballast.common.outbox): a
    crash between the commit and the publish loses none, and the relay sends each once."""

    channels = Channels({"critical": ["json://127.0.0.1:9/never"]})
    crashed = AlertsRepository(repo.pool, BusOutbox("alerts_bus_outbox", NoPublish()))
    subject, fact = facts.validator(jailed=True, operator=operator(1))
    out = engine().on_fact(subject, fact, now())
    assert out.notifications
    await crashed.save(out, channels, now(), EXPIRY)  # committed; the process dies here

    bus = Bus(BusConfig(service="test", nats_url=nats_server.url,
                        namespace=Namespace(bus_namespace)), registry=CollectorRegistry())
    await bus.start()
    nc = await nats.connect(nats_server.url)
    received: list[Alert] = []

    async def on_alert(msg: Any) -> None:
        received.append(Alert.model_validate_json(msg.data))

    await nc.jetstream().subscribe(bus.ns.subject("alerts.>"), cb=on_alert)
    try:
        restarted = AlertsRepository(repo.pool, BusOutbox("alerts_bus_outbox", bus))
        assert await restarted.relay_bus() == len(out.notifications)
        assert await restarted.relay_bus() == 0
        async with asyncio.timeout(10):
            while len(received) < len(out.notifications):
                await asyncio.sleep(0.05)
        await asyncio.sleep(0.3)
        assert [a.rule for a in received] == [n.alert.rule for n in out.notifications]
    finally:
        await nc.drain()
        await bus.stop()
