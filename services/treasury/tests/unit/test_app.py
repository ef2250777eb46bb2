"""The treasury's core (app.py) with in-memory fakes of its ports (no Postgres, no NATS, no
chain): ordering of consensus updates, debounce, trade dedup, the hourly accumulation rules,
restore at start, the write at stop and the reports."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D
from typing import Any

from prometheus_client import CollectorRegistry

from ballast.common.messages import (
    AutomationRequest,
    ConsensusPrice,
    ConsensusStatus,
    HealthScore,
    InterventionDecision,
    InterventionExecuted,
    InterventionImpact,
    Message,
    RiskReport,
    SafetyMode,
    Trade,
    TradeSide,
    TreasuryState,
)
from ballast.common.outbox import Pending
from ballast.treasury.app import Treasury
from ballast.treasury.domain.liquidity import PoolEntry, PoolReading
from ballast.treasury.domain.performance import InterventionRecord
from ballast.treasury.domain.state import ChainSnapshot, TokenBalance
from ballast.treasury.domain.vwap import Bucket, to_units
from ballast.treasury.metrics import TreasuryMetrics
from ballast.treasury.settings import TreasurySettings

NOW = datetime(2026, 11, 22, 12, 30, tzinfo=UTC)


class FakeBus:
    def __init__(self) -> None:
        self.sent: list[tuple[str, Message, str | None]] = []

    async def publish(self, payload: Message, subject: str, *, msg_id: str | None = None) -> None:
        self.sent.append((subject, payload, msg_id))

    def on(self, subject: str) -> list[Any]:
        return [p for s, p, _ in self.sent if s == subject]


class FakeRepo:
    """The Record port in memory; its outbox publishes to the fake bus when flushed."""

    def __init__(self, bus: FakeBus) -> None:
        self.bus = bus
        self.trades: set[tuple[str, int]] = set()
        self.hours: set[datetime] = set()
        self.snapshots = 0
        self.saved: list[D | None] = []
        self.latest: dict[str, ConsensusPrice] = {}
        self.buckets: list[Bucket] = []
        self.outbox: dict[str, Message] = {}
        self.unsent: list[Pending] = []
        self.decisions: list[str] = []

    async def relay_outbox(self) -> int:
        sent, self.unsent = self.unsent, []
        await self.publish_pending(sent)
        return len(sent)

    async def prune_outbox(self) -> None:
        pass

    async def latest_prices(self) -> dict[str, ConsensusPrice]:
        return dict(self.latest)

    async def load_buckets(self, symbol: str, after_minute: int) -> list[Bucket]:
        return [b for b in self.buckets if b.minute > after_minute]

    async def save_prices(self, prices: Sequence[ConsensusPrice]) -> None:
        self.saved += [p.price for p in prices]

    async def save_snapshot(
        self, state: TreasuryState, health: HealthScore | None,
        prices: Sequence[ConsensusPrice] = (), messages: Sequence[tuple[Message, str, str]] = (),
    ) -> list[Pending]:
        self.snapshots += 1
        self.saved += [p.price for p in prices]
        pending: list[Pending] = []
        for message, subject, msg_id in messages:
            self.outbox[msg_id] = message
            pending.append(Pending(msg_id, subject, message.model_dump_json(), None))
        return pending

    async def publish_pending(self, pending: Sequence[Pending]) -> None:
        for p in pending:
            await self.bus.publish(self.outbox[p.msg_id], p.subject, msg_id=p.msg_id)

    async def record_trade(self, tx_hash: str, log_index: int, symbol: str, bucket: Bucket,
                           ) -> bool:
        if (tx_hash, log_index) in self.trades:
            return False
        self.trades.add((tx_hash, log_index))
        return True

    async def record_decision(self, d: InterventionDecision) -> None:
        self.decisions.append(d.decision_id)

    async def record_execution(self, e: InterventionExecuted) -> None:
        self.decisions.append(e.decision_id)

    async def liquidity_action(self, action_id: str, kind: str, pool: str, tx_hash: str | None,
                               at: datetime) -> bool:
        return True

    async def accumulation_claimed(self, hour: datetime) -> bool:
        return hour in self.hours

    async def claim_accumulation(self, hour: datetime, request: AutomationRequest, subject: str,
                                 ) -> list[Pending] | None:
        if hour in self.hours:
            return None
        self.hours.add(hour)
        self.outbox[request.request_id] = request
        return [Pending(request.request_id, subject, request.model_dump_json(), None)]

    async def prune(self, before_minute: int, prices_before: datetime) -> None:
        self.buckets = [b for b in self.buckets if b.minute > before_minute]

    async def daily_closes(self, symbols: list[str], since: datetime,
                           ) -> dict[str, dict[date, D]]:
        return {}

    async def pool_entry(self, pool: str, centre: D, g: D, now: datetime) -> PoolEntry:
        return PoolEntry(centre, g, now)

    async def liquidity_actions_since(self, kind: str, since: datetime) -> int:
        return 0

    async def value_series(self, since: datetime) -> list[tuple[datetime, D]]:
        return []

    async def price_series(self, symbol: str, since: datetime) -> list[tuple[datetime, D]]:
        return []

    async def confirmed_interventions(self, since: datetime, pstr_decimals: int = 18,
                                      ) -> list[InterventionRecord]:
        return []

    async def record_impacts(self, impacts: list[InterventionImpact]) -> None:
        pass


class FakeChain:
    def __init__(self, pump: int = 45_000_000) -> None:
        self.pump = pump

    async def snapshot(self) -> ChainSnapshot:
        return ChainSnapshot(
            (TokenBalance("PUMP", self.pump * 10**18, 18),
             TokenBalance("USDC", 7_500_000 * 10**6, 6)),
            10_000_000 * 10**18, 18, NOW,
        )

    async def pools(self) -> list[PoolReading]:
        return []


def treasury(pump: int = 45_000_000) -> tuple[Treasury, FakeBus, FakeRepo]:
    settings = TreasurySettings(
        database_url="postgresql://x/y",  # type: ignore[arg-type]
        state_debounce_seconds=0.01,
    )
    bus = FakeBus()
    repo = FakeRepo(bus)
    t = Treasury(settings, repo, FakeChain(pump), bus, TreasuryMetrics(CollectorRegistry()),
                 clock=lambda: NOW)
    return t, bus, repo


def price(symbol: str, value: str, at: datetime = NOW) -> ConsensusPrice:
    return ConsensusPrice(symbol=symbol, price=D(value), status=ConsensusStatus.OK, sources=[],
                          sources_used=3, computed_at=at)


def trade(tx: int, pair: tuple[str, str] = ("PSTR", "USDC")) -> Trade:
    return Trade(
        venue="v2", pair="-".join(pair), base_symbol=pair[0], quote_symbol=pair[1],
        side=TradeSide.SELL, price=D(1), base_volume=D(10), quote_volume=D(10),
        tx_hash=f"0x{tx:064x}", log_index=0, block_number=1, block_hash="0x" + "b" * 64,
        timestamp=NOW - timedelta(minutes=1),
    )


async def ready(t: Treasury) -> None:
    await t.refresh_chain()
    await t.on_trade(trade(1))
    for symbol, value in (("PSTR", "1"), ("PUMP", "0.5"), ("USDC", "1")):
        await t.on_consensus(price(symbol, value))
    await asyncio.sleep(0.05)


async def test_on_consensus__burst_of_updates__one_debounced_state() -> None:
    t, bus, _ = treasury()
    await ready(t)
    before = len(bus.on("treasury.state"))
    for i in range(5):
        await t.on_consensus(price("PSTR", f"0.9{i}", NOW + timedelta(seconds=i)))
    await asyncio.sleep(0.05)
    states = bus.on("treasury.state")[before:]
    assert len(states) == 1 and states[0].pstr_price == D("0.94")


async def test_on_consensus__update_during_a_recompute__one_more_state_after_it() -> None:
    t, bus, _ = treasury()
    await ready(t)
    before = len(bus.on("treasury.state"))
    gate = asyncio.Event()
    publish = bus.publish

    async def slow_publish(payload: Message, subject: str, *, msg_id: str | None = None) -> None:
        await gate.wait()  # the first recompute is still publishing
        await publish(payload, subject, msg_id=msg_id)

    bus.publish = slow_publish  # type: ignore[method-assign]
    await t.on_consensus(price("PSTR", "0.95", NOW + timedelta(seconds=1)))
    await asyncio.sleep(0.05)
    await t.on_consensus(price("PSTR", "0.90", NOW + timedelta(seconds=2)))
    gate.set()
    await asyncio.sleep(0.1)
    assert [s.pstr_price for s in bus.on("treasury.state")[before:]] == [D("0.95"), D("0.90")]


async def test_prices__no_state_change__written_behind_then_with_the_next_snapshot() -> None:
    t, _, repo = treasury()
    await ready(t)
    assert D("1") in repo.saved  # with the first snapshot
    repo.saved.clear()
    await t.on_consensus(price("PSTR", "1", NOW + timedelta(seconds=5)))  # same price: no state
    assert repo.saved == []
    await t.save_prices()
    assert repo.saved == [D("1")]
    await t.save_prices()
    assert repo.saved == [D("1")]  # nothing new to write


async def test_on_consensus__older_than_known__ignored() -> None:
    t, _, _ = treasury()
    await t.on_consensus(price("PSTR", "0.80", NOW))
    await t.on_consensus(price("PSTR", "0.99", NOW - timedelta(seconds=1)))
    assert t.prices["PSTR"].price == D("0.80")


async def test_on_consensus__same_price_again__no_recompute() -> None:
    t, bus, _ = treasury()
    await ready(t)
    before = len(bus.on("treasury.state"))
    await t.on_consensus(price("PSTR", "1", NOW + timedelta(seconds=5)))
    await asyncio.sleep(0.05)
    assert len(bus.on("treasury.state")) == before


async def test_on_trade__redelivered_or_other_pair__counted_once() -> None:
    t, _, _ = treasury()
    await t.on_trade(trade(7))
    await t.on_trade(trade(7))
    await t.on_trade(trade(8, ("PUMP", "WCORE")))
    assert t.vwap.volume_total == to_units(D(10))


async def test_accumulate__normal_mode__one_request_per_hour() -> None:
    t, bus, _ = treasury()
    await ready(t)
    first = await t.accumulate()
    second = await t.accumulate()
    assert first is not None and second is None
    (request,) = bus.on("automation.requested.accumulate")
    assert isinstance(request, AutomationRequest)
    assert request.request_id == "accumulate-20261122T1200"
    assert request.amount_usd == D("102.73")  # 2,465.75 / 24 = 102.7397, to the cent down
    assert bus.sent[-1][2] == request.request_id  # the Nats-Msg-Id


async def test_accumulate__emergency_stop__nothing_requested() -> None:
    # 2M PUMP at $0.5 + 7.5M USDC = 8.5M over a 10M market cap: RR 0.85
    t, bus, repo = treasury(pump=2_000_000)
    await ready(t)
    assert t.last_state is not None and t.last_state.safety_mode is SafetyMode.EMERGENCY_STOP
    assert await t.accumulate() is None
    assert not bus.on("automation.requested.accumulate") and not repo.hours


async def test_accumulate__inputs_missing__nothing_requested() -> None:
    t, bus, _ = treasury()
    await t.refresh_chain()
    await t.on_consensus(price("PSTR", "1"))
    assert await t.accumulate() is None
    assert not bus.on("automation.requested.accumulate")


async def test_recompute__input_turns_stale__state_republished_then() -> None:
    t, bus, _ = treasury()
    clock = [NOW]
    t.clock = lambda: clock[0]
    object.__setattr__(t.settings, "max_price_age_seconds", 0.05)
    await ready(t)
    before = len(bus.on("treasury.state"))
    clock[0] = NOW + timedelta(seconds=1)
    await asyncio.sleep(0.15)
    states = bus.on("treasury.state")[before:]
    assert states and states[-1].status.value == "STALE_INPUT"


async def test_start__prices_and_bars_restored__outbox_relayed() -> None:
    t, bus, repo = treasury()
    repo.latest = {"PSTR": price("PSTR", "0.7")}
    repo.buckets = [Bucket(1, 5, 5), Bucket(10**9, to_units(D(2)), to_units(D(2)))]
    state = TreasuryState.model_validate_json((await t.recompute()).model_dump_json())
    repo.unsent = [Pending("left-by-a-crash", "treasury.state", state.model_dump_json(), None)]
    repo.outbox["left-by-a-crash"] = state
    bus.sent.clear()
    await t.start()
    assert t.prices["PSTR"].price == D("0.7")
    assert t.vwap.volume_total == to_units(D(2))  # the bar outside the window stays out
    assert t.chain_snapshot is not None
    assert [m for _, _, m in bus.sent] == ["left-by-a-crash"]


async def test_stop__unsaved_prices__written_once() -> None:
    t, _, repo = treasury()
    await t.on_consensus(price("PSTR", "0.8"))
    await t.stop()
    assert repo.saved == [D("0.8")]


async def test_risk_report__published_and_counted() -> None:
    t, bus, _ = treasury()
    await ready(t)
    report = await t.reports.risk_report()
    assert bus.on("risk.report") == [report] and isinstance(report, RiskReport)
    assert t.metrics.published.labels("risk.report")._value.get() == 1
