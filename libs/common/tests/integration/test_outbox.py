"""The transactional outbox on a real Postgres and NATS: a process SIGKILLed between its commit and
its publish loses nothing, and a publish repeated after a crash reaches consumers once."""

from __future__ import annotations

import asyncio
import signal
import sys
import textwrap
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import nats
import pytest
from prometheus_client import CollectorRegistry

from ballast.common.bus import Bus, BusConfig, ensure_streams
from ballast.common.messages import ConsensusPrice, ConsensusStatus
from ballast.common.outbox import Outbox, Pending, ddl
from ballast.common.subjects import Namespace

TABLE = "test_outbox"
SUBJECT = "prices.consensus.PSTR"

CRASHING_WRITER = textwrap.dedent(
    """
    import asyncio, os, signal, sys
    from datetime import UTC, datetime
    from decimal import Decimal
    import asyncpg
    from ballast.common.messages import ConsensusPrice, ConsensusStatus
    from ballast.common.outbox import Outbox

    class NeverCalled:
        async def publish_json(self, data, subject, *, msg_id):
            raise AssertionError("killed before any publish")

    async def main():
        conn = await asyncpg.connect(sys.argv[1])
        outbox = Outbox("test_outbox", NeverCalled())
        async with conn.transaction():
            await conn.execute("CREATE TABLE IF NOT EXISTS crash_rows (n int)")
            await conn.execute("INSERT INTO crash_rows VALUES (1)")
            price = ConsensusPrice(symbol="PSTR", price=Decimal("0.85"),
                                   status=ConsensusStatus.OK, sources=[], sources_used=3,
                                   computed_at=datetime.now(UTC), sequence=1)
            await outbox.add(conn, price, "prices.consensus.PSTR", "crash-1")
        os.kill(os.getpid(), signal.SIGKILL)  # committed, not published

    asyncio.run(main())
    """
)


def price(seq: int) -> ConsensusPrice:
    return ConsensusPrice(symbol="PSTR", price=Decimal("0.85"), status=ConsensusStatus.OK,
                          sources=[], sources_used=3, computed_at=datetime.now(UTC), sequence=seq)


@dataclass
class Setup:
    bus: Bus
    pool: asyncpg.Pool
    received: list[ConsensusPrice]  # what a JetStream consumer of SUBJECT got
    outbox: Outbox

    async def commit(self, *rows: tuple[int, str]) -> list[Pending]:
        """price(sequence) under each msg-id, added to the outbox in one committed transaction."""
        async with self.pool.acquire() as conn, conn.transaction():
            return [await self.outbox.add(conn, price(n), SUBJECT, msg_id) for n, msg_id in rows]


@pytest.fixture
async def setup(nats_server: Any, bus_namespace: str, database_url: str) -> AsyncIterator[Setup]:
    bus = Bus(BusConfig(service="test", nats_url=nats_server.url,
                        namespace=Namespace(bus_namespace)), registry=CollectorRegistry())
    await bus.start()
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
    await pool.execute(ddl(TABLE))
    received: list[ConsensusPrice] = []
    nc = await nats.connect(nats_server.url)
    js = nc.jetstream()
    await ensure_streams(js, bus.ns)

    async def on_msg(msg: Any) -> None:
        received.append(ConsensusPrice.model_validate_json(msg.data))
        await msg.ack()

    await js.subscribe(bus.ns.subject(SUBJECT), cb=on_msg, manual_ack=True)
    yield Setup(bus, pool, received, Outbox(TABLE, bus))
    await nc.drain()
    await pool.close()
    await bus.stop()


async def settle(received: list[ConsensusPrice], count: int) -> None:
    async with asyncio.timeout(10):
        while len(received) < count:
            await asyncio.sleep(0.02)
    await asyncio.sleep(0.3)  # a duplicate would arrive in this time


async def test_outbox__sigkill_after_commit_before_publish__relay_publishes_it_once(
    setup: Setup, database_url: str
) -> None:
    pool, received, outbox = setup.pool, setup.received, setup.outbox
    writer = await asyncio.create_subprocess_exec(
        sys.executable, "-c", CRASHING_WRITER, database_url, stderr=asyncio.subprocess.PIPE
    )
    _, err = await asyncio.wait_for(writer.communicate(), 60)
    assert writer.returncode == -signal.SIGKILL, err.decode()
    assert await pool.fetchval("SELECT count(*) FROM crash_rows") == 1  # the rows committed
    await asyncio.sleep(0.3)
    assert received == []  # and nothing was published

    assert await outbox.relay(pool) == 1  # the restarted process's relay
    assert await outbox.relay(pool) == 0  # sent once, marked
    await settle(received, 1)
    assert [p.sequence for p in received] == [1]


async def test_outbox__published_then_killed_before_mark__consumers_see_one(
    setup: Setup,
) -> None:
    bus, pool, received, outbox = setup.bus, setup.pool, setup.received, setup.outbox
    (pending,) = await setup.commit((7, "twice-7"))
    # what flush does up to the crash: the publish, and no mark
    await bus.publish_json(pending.payload.encode(), SUBJECT, msg_id=pending.msg_id)
    assert await outbox.relay(pool) == 1  # the relay publishes it again, same msg-id
    await settle(received, 1)
    assert [p.sequence for p in received] == [7]  # JetStream dropped the second


async def test_outbox__flush_after_commit__published_in_order_and_marked(
    setup: Setup,
) -> None:
    pool, received, outbox = setup.pool, setup.received, setup.outbox
    pending = await setup.commit(*((n, f"flush-{n}") for n in (1, 2, 3)))
    await outbox.flush(pool, pending)
    await settle(received, 3)
    assert [p.sequence for p in received] == [1, 2, 3]
    assert await pool.fetchval(f"SELECT count(*) FROM {TABLE} WHERE sent_at IS NULL") == 0  # noqa: S608
    assert await outbox.relay(pool) == 0


class AckTimesOutOnce:
    """The bus, but the second publish's JetStream ack times out (a loaded server)."""

    def __init__(self, bus: Bus) -> None:
        self.bus, self.calls = bus, 0

    async def publish_json(self, data: bytes, subject: str, *, msg_id: str) -> None:
        self.calls += 1
        if self.calls == 2:
            raise nats.errors.TimeoutError
        await self.bus.publish_json(data, subject, msg_id=msg_id)


async def test_outbox__flush_publish_times_out__no_raise_rest_left_to_the_relay_once_each(
    setup: Setup, caplog: pytest.LogCaptureFixture
) -> None:
    pool, received = setup.pool, setup.received
    outbox = Outbox(TABLE, AckTimesOutOnce(setup.bus))
    pending = await setup.commit(*((n, f"timeout-{n}") for n in (1, 2, 3)))

    await outbox.flush(pool, pending)  # the caller's work stands: no exception

    assert "outbox publish deferred to the relay" in caplog.text
    unsent = await pool.fetch(f"SELECT msg_id FROM {TABLE} WHERE sent_at IS NULL ORDER BY id")  # noqa: S608
    assert [r["msg_id"] for r in unsent] == ["timeout-2", "timeout-3"]
    assert await outbox.relay(pool) == 2
    await settle(received, 3)
    assert [p.sequence for p in received] == [1, 2, 3]


async def test_outbox__rolled_back_transaction__nothing_to_publish(
    setup: Setup,
) -> None:
    pool, outbox = setup.pool, setup.outbox
    with pytest.raises(RuntimeError):
        async with pool.acquire() as conn, conn.transaction():
            await outbox.add(conn, price(9), SUBJECT, "rolled-back")
            raise RuntimeError("the rows failed")
    assert await outbox.relay(pool) == 0


def test_outbox__table_name_not_an_identifier__refused() -> None:
    with pytest.raises(ValueError, match="outbox table name"):
        ddl("x; DROP TABLE y")
