"""The core (app.ValidatorMonitor) with in-memory fakes for the chain, the record and the bus:
one poll publishes each new fact once, records it with the cursor in one transaction, and a
failed publish leaves the record as it was (no anvil, no Postgres, no NATS)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from ballast.validator_monitor.adapters.logs import RawEvent
from ballast.validator_monitor.app import ValidatorMonitor
from ballast.validator_monitor.domain.evaluate import (
    EvaluateConfig,
    RecommendationFact,
    StatusFact,
)
from ballast.validator_monitor.domain.model import (
    MonitorState,
    Snapshot,
    Thresholds,
    ValidatorMemory,
    ValidatorReading,
)
from ballast.validator_monitor.metrics import ValidatorMetrics

A = "0x000000000000000000000000000000000000A000"
B = "0x000000000000000000000000000000000000a001"
NOW = datetime(2026, 11, 22, tzinfo=UTC)


def reading(op: str, status_bits: int = 17) -> ValidatorReading:
    return ValidatorReading(op, "0x" + "c" * 40, status_bits, 100, in_validator_set=True,
                            our_delegation_raw=10**18, our_staked_raw=10**18,
                            total_delegated_raw=10**20)


class FakeChain:
    def __init__(self, head: int) -> None:
        self.head_block = head
        self.bits = {A: 17, B: 17}

    async def chain_id(self) -> int:
        return 1116

    async def head(self) -> int:
        return self.head_block

    async def snapshot(self, block: int) -> Snapshot:
        return Snapshot(block, NOW, block // 10, Thresholds(50, 150),
                        {op: reading(op, bits) for op, bits in self.bits.items()})

    async def fetch(self, first: int, last: int) -> list[RawEvent]:
        return []


class FakeRecord:
    def __init__(self, facts: set[str]) -> None:
        self.facts = facts
        self.claimed: list[str] = []
        self.cursor_at: int | None = None

    async def events(self, events: Sequence[RawEvent], operators: Sequence[str | None]) -> None:
        pass

    async def rounds(self, snap: Snapshot, memories: dict[str, ValidatorMemory],
                     apy: dict[str, Decimal | None]) -> None:
        pass

    async def gone(self, operators: Sequence[str], block: int) -> None:
        pass

    async def claim_fact(self, fact_id: str, subject: str, operator: str, round_: int,
                         kinds: Sequence[str]) -> bool:
        if fact_id in self.facts or fact_id in self.claimed:
            return False
        self.claimed.append(fact_id)
        return True

    async def recommendation(self, operator: str, action: str, reasons: Sequence[str],
                             round_: int, block: int) -> None:
        pass

    async def cursor(self, chain_id: int, block: int, round_: int, epoch: int) -> None:
        self.cursor_at = block


class FakeStore:
    """Fact ids and the cursor, committed only when the poll's transaction ends cleanly."""

    def __init__(self) -> None:
        self.facts: set[str] = set()
        self.cursor: int | None = None

    async def load_state(self, chain_id: int) -> MonitorState:
        return MonitorState()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[FakeRecord]:
        record = FakeRecord(self.facts)
        yield record
        self.facts.update(record.claimed)
        self.cursor = record.cursor_at


class FakePublisher:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.fail = False

    async def status(self, fact: StatusFact, thresholds: Thresholds, at: datetime) -> None:
        if self.fail:
            raise ConnectionError("nats away")
        self.sent.append(fact.fact_id)

    async def recommendation(self, fact: RecommendationFact, at: datetime) -> None:
        self.sent.append(fact.fact_id)


def monitor(chain: FakeChain, store: FakeStore, pub: FakePublisher,
            registry: Any = None) -> ValidatorMonitor:
    return ValidatorMonitor(chain, chain, store, pub,
                            ValidatorMetrics(registry or CollectorRegistry()), confirmations=2,
                            config=EvaluateConfig(near_fraction=0.8, epoch_blocks=200))


async def test_poll__new_block__each_fact_published_once_and_recorded_with_the_cursor() -> None:
    chain, store, pub = FakeChain(head=22), FakeStore(), FakePublisher()
    core = monitor(chain, store, pub)
    await core.start()
    first = await core.poll()
    assert first.block == 20 and first.statuses == 2 and store.cursor == 20
    assert sorted(pub.sent) == sorted(store.facts)
    assert (await core.poll()).block is None  # nothing confirmed since: idle
    before, core.state = core.state, MonitorState()  # decide the same poll again
    replay = await core.poll()
    assert replay.statuses == 0 and replay.duplicates == first.statuses + first.recommendations
    assert len(pub.sent) == first.statuses + first.recommendations
    assert core.state.block == before.block


async def test_poll__a_jail__one_status_with_the_change() -> None:
    chain, store, pub = FakeChain(head=22), FakeStore(), FakePublisher()
    core = monitor(chain, store, pub)
    await core.start()
    await core.poll()
    chain.bits[A], chain.head_block = 21, 25
    result = await core.poll()
    assert result.block == 23 and result.statuses == 1
    assert core.state.validators[A].reading.status_bits == 21


async def test_poll__publish_fails__nothing_recorded_and_the_next_poll_publishes() -> None:
    chain, store, pub, registry = FakeChain(head=22), FakeStore(), FakePublisher(), \
        CollectorRegistry()
    core = monitor(chain, store, pub, registry)
    await core.start()
    pub.fail = True
    with pytest.raises(ConnectionError):
        await core.poll()
    assert store.cursor is None and store.facts == set() and core.state.block is None
    assert registry.get_sample_value("ballast_validator_monitor_polls_total",
                                     {"outcome": "error"}) == 1
    pub.fail = False
    assert (await core.poll()).statuses == 2 and store.cursor == 20
