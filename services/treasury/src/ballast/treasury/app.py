"""The treasury's application core: fetch (messages held, chain, record), decide (domain/,
ballast.strategy), act (a snapshot and its outbox messages in one transaction, then publish).
State lives in memory and in Postgres: `start` restores the latest consensus per symbol and the
VWAP's minute buckets; the durable consumers continue where they stopped. Nothing is recomputed
from the chain's history. The reports (risk, liquidity, performance) are beside it (reports.py).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Protocol

from opentelemetry import trace

from ballast.common.messages import (
    AutomationAction,
    AutomationKind,
    AutomationRequest,
    ConsensusPrice,
    ExecutionStatus,
    HealthScore,
    InterventionDecision,
    InterventionExecuted,
    InterventionImpact,
    Message,
    Trade,
    TreasuryState,
    utcnow,
)
from ballast.common.outbox import Pending
from ballast.common.subjects import HEALTH_SCORE, TREASURY_STATE, automation_requested
from ballast.strategy import accumulation
from ballast.strategy.health import build_health
from ballast.treasury.debounce import Debounced
from ballast.treasury.domain import vwap
from ballast.treasury.domain.concentrated_liquidity import Reading
from ballast.treasury.domain.liquidity import PoolEntry
from ballast.treasury.domain.performance import InterventionRecord
from ballast.treasury.domain.state import ChainSnapshot, build_state
from ballast.treasury.domain.vwap import WINDOW_MINUTES, Bucket, RollingVwap, minute_of
from ballast.treasury.metrics import TreasuryMetrics
from ballast.treasury.reports import PRICE_HISTORY, Reports
from ballast.treasury.settings import TreasurySettings
from ballast.treasury.write_behind import UnsavedPrices

log = logging.getLogger("ballast.treasury")
tracer = trace.get_tracer("ballast.treasury")
Clock = Callable[[], datetime]
STOP_WRITE_SECONDS = 5.0


# ---------------------------------------------------------------------- ports
class Record(Protocol):
    """The treasury's Postgres (adapters/repository.py) and its outbox; from `daily_closes` on,
    what the reports (reports.py) read and write."""

    async def relay_outbox(self) -> int: ...
    async def prune_outbox(self) -> None: ...
    async def latest_prices(self) -> dict[str, ConsensusPrice]: ...
    async def load_buckets(self, symbol: str, after_minute: int) -> list[Bucket]: ...
    async def record_trade(self, tx_hash: str, log_index: int, symbol: str, bucket: Bucket,
                           ) -> bool: ...
    async def record_decision(self, d: InterventionDecision) -> None: ...
    async def record_execution(self, e: InterventionExecuted) -> None: ...
    async def liquidity_action(self, action_id: str, kind: str, pool: str, tx_hash: str | None,
                               at: datetime) -> bool: ...
    async def save_prices(self, prices: Sequence[ConsensusPrice]) -> None: ...
    async def save_snapshot(self, state: TreasuryState, health: HealthScore | None,
                            prices: Sequence[ConsensusPrice] = (),
                            messages: Sequence[tuple[Message, str, str]] = ()) -> list[Pending]: ...
    async def publish_pending(self, pending: Sequence[Pending]) -> None: ...
    async def accumulation_claimed(self, hour: datetime) -> bool: ...
    async def claim_accumulation(self, hour: datetime, request: AutomationRequest, subject: str,
                                 ) -> list[Pending] | None: ...
    async def prune(self, before_minute: int, prices_before: datetime) -> None: ...
    async def daily_closes(self, symbols: list[str], since: datetime,
                           ) -> dict[str, dict[date, Decimal]]: ...
    async def pool_entry(self, pool: str, centre: Decimal, g: Decimal, now: datetime,
                         ) -> PoolEntry: ...
    async def liquidity_actions_since(self, kind: str, since: datetime) -> int: ...
    async def value_series(self, since: datetime) -> list[tuple[datetime, Decimal]]: ...
    async def price_series(self, symbol: str, since: datetime,
                           ) -> list[tuple[datetime, Decimal]]: ...
    async def confirmed_interventions(self, since: datetime, pstr_decimals: int = 18,
                                      ) -> list[InterventionRecord]: ...
    async def record_impacts(self, impacts: list[InterventionImpact]) -> None: ...


class Chain(Protocol):
    """What the treasury reads on-chain (adapters/chain.py, V2 and V3 pools; tests fake it)."""

    async def snapshot(self) -> ChainSnapshot: ...
    async def pools(self) -> Sequence[Reading]: ...


class Publisher(Protocol):
    """The bus, for what leaves without the outbox (ballast.common.bus.Bus)."""

    async def publish(self, payload: Message, subject: str, *, msg_id: str | None = None,
                      ) -> None: ...


# ---------------------------------------------------------------------- the core
class Treasury:
    """One per process; see the module docstring."""

    def __init__(
        self,
        settings: TreasurySettings,
        record: Record,
        chain: Chain | None,
        bus: Publisher,
        metrics: TreasuryMetrics,
        clock: Clock = utcnow,
    ) -> None:
        self.settings = settings
        self.params = settings.params()
        self.symbols = settings.symbols()
        self.repo = record
        self.chain = chain
        self.bus = bus
        self.metrics = metrics
        self.clock = clock
        self.prices: dict[str, ConsensusPrice] = {}
        self.vwap = RollingVwap()
        self.chain_snapshot: ChainSnapshot | None = None
        self.last_state: TreasuryState | None = None
        self.last_health: HealthScore | None = None
        self.recompute_soon = Debounced(
            self.recompute, lambda: self.settings.state_debounce_seconds, "treasury-state-debounce"
        )
        self.reports = Reports(self)
        self._unsaved_prices = UnsavedPrices()
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------------ start / stop
    async def start(self) -> None:
        """Restore from Postgres (prices, VWAP buckets) and read the chain once."""
        now = self.clock()
        await self.repo.relay_outbox()  # what a crash left between a commit and its publish
        self.prices = await self.repo.latest_prices()
        buckets = await self.repo.load_buckets(self.symbols.pstr, minute_of(now) - WINDOW_MINUTES)
        self.vwap.restore(buckets)
        await self.refresh_chain()
        log.info("treasury restored", extra={"prices": len(self.prices), "bars": len(buckets)})

    async def stop(self) -> None:
        await self.recompute_soon.stop()
        try:  # the last write: bounded, a stop must not hang on it
            await asyncio.wait_for(self.save_prices(), STOP_WRITE_SECONDS)
        except Exception as err:  # noqa: BLE001 - the oracle republishes within 30 s
            log.warning("prices not written at stop", extra={"error": repr(err)})

    # ------------------------------------------------------------------ inputs
    async def on_consensus(self, price: ConsensusPrice) -> None:
        known = self.prices.get(price.symbol)
        if known is not None and known.computed_at > price.computed_at:
            return  # an older consensus redelivered: the newer one stays
        self.prices[price.symbol] = price
        self._unsaved_prices.add(price)
        if self._changes_state(known, price):
            self.recompute_soon.schedule()

    def _changes_state(self, known: ConsensusPrice | None, price: ConsensusPrice) -> bool:
        """A new price or status, or a fresh copy of an input the last state called stale."""
        if known is None or (known.price, known.status) != (price.price, price.status):
            return True
        last = self.last_state
        return last is None or any(i.stale and i.symbol == price.symbol for i in last.inputs)

    async def on_trade(self, trade: Trade) -> None:
        bucket = vwap.trade_bucket(trade, self.symbols.pstr, self.settings.usd_quote_symbols)
        if bucket is None:
            return
        if await self.repo.record_trade(trade.tx_hash, trade.log_index, self.symbols.pstr, bucket):
            self.vwap.add_units(bucket.minute, bucket.pv_units, bucket.volume_units)
            self.metrics.trades.inc()

    async def on_decision(self, decision: InterventionDecision) -> None:
        await self.repo.record_decision(decision)

    async def on_execution(self, executed: InterventionExecuted) -> None:
        await self.repo.record_execution(executed)

    async def on_automation(self, action: AutomationAction) -> None:
        """A confirmed liquidity add or rebalance restarts its pool's band. A StakeBasket
        validator REBALANCE is another thing entirely and leaves the liquidity bands alone."""
        liquidity = (AutomationKind.LIQUIDITY_ADD, AutomationKind.LIQUIDITY_REBALANCE)
        pool = action.details.get("pool")
        if action.kind in liquidity and action.status is ExecutionStatus.CONFIRMED and pool:
            await self.repo.liquidity_action(
                action.action_id, action.kind.value, pool, action.tx_hash, action.executed_at
            )

    async def refresh_chain(self) -> None:
        if self.chain is None:
            return
        try:
            self.chain_snapshot = await self.chain.snapshot()
        except Exception as err:  # noqa: BLE001 - a failed read keeps the last snapshot
            self.metrics.chain_errors.inc()
            log.warning("chain read failed", extra={"error": repr(err)})

    # ------------------------------------------------------------------ treasury.state
    async def save_prices(self) -> None:
        """Write the consensus prices received since the last write (the 1-second job; the
        recompute writes them with its snapshot: write_behind.py)."""
        async with self._lock, self._unsaved_prices.taking() as prices:
            if prices:  # the lock: never beside a snapshot's write of the same rows
                await self.repo.save_prices(prices)

    async def recompute(self) -> TreasuryState:
        """Build, record and publish the state. The span continues the trace of the consensus
        that scheduled it (attached by the debounce)."""
        with tracer.start_as_current_span("treasury recompute"):
            return await self._recompute()

    async def _recompute(self) -> TreasuryState:
        async with self._lock:
            started = time.perf_counter()
            now = self.clock()
            max_age = timedelta(seconds=self.settings.max_price_age_seconds)
            state = build_state(
                self.chain_snapshot, self.prices, self.vwap.value(now), self.params, now,
                max_age, self.symbols,
            )
            health = build_health(state, self.params)
            stamp = now.isoformat()
            messages: list[tuple[Message, str, str]] = [
                (state, TREASURY_STATE, f"treasury-state-{stamp}")
            ]
            if health is not None:
                messages.append((health, HEALTH_SCORE, f"health-{stamp}"))
            async with self._unsaved_prices.taking() as prices:
                pending = await self.repo.save_snapshot(state, health, prices, messages)
            await self.repo.publish_pending(pending)
            self.last_state, self.last_health = state, health
            self.metrics.observe_state(state, health, time.perf_counter() - started)
            self.metrics.published.labels(TREASURY_STATE).inc()
            # Publish again the moment the freshest-looking input turns stale, rather than at
            # the next 5-minute cycle: a price that stopped updating is reported when it happens.
            due = [i.computed_at + max_age for i in state.inputs
                   if i.computed_at is not None and not i.stale]
            self.recompute_soon.schedule_in(
                (min(due) - self.clock()).total_seconds() + 0.001 if due else None
            )
            return state

    # ------------------------------------------------------------------ accumulation
    async def accumulate(self) -> AutomationRequest | None:
        """Hourly purchase request (seed "Hourly accumulation"); none in emergency stop
        (`accumulation.may_request`, the rule the intervention's plan applies too).

        The hour's row is claimed with the request in the outbox (one transaction), so a restart
        or a second replica never asks twice for the same hour and a crash never loses the ask;
        the request id is also the Nats-Msg-Id.
        """
        now = self.clock()
        period = int(self.settings.accumulation_interval_seconds)
        start = datetime.fromtimestamp(int(now.timestamp()) // period * period, UTC)
        if await self.repo.accumulation_claimed(start):
            return None
        state = self.last_state
        if state is None or now - state.computed_at > timedelta(minutes=1):
            state = await self.recompute()
        amount = accumulation.may_request(state.safety_mode, self.params)
        if amount is None:
            log.info("accumulation skipped", extra={"safety_mode": state.safety_mode.value})
            return None
        request = AutomationRequest(
            request_id=f"accumulate-{start:%Y%m%dT%H%M}", kind=AutomationKind.ACCUMULATE,
            amount_usd=amount, requested_at=now,
            reason=f"hourly share of the daily budget {state.daily_budget_usd:.2f} USD "
                   f"(safety mode {state.safety_mode.value})",
        )
        subject = automation_requested(AutomationKind.ACCUMULATE.value)
        pending = await self.repo.claim_accumulation(start, request, subject)
        if pending is None:
            return None
        await self.repo.publish_pending(pending)
        self.metrics.published.labels(subject).inc()
        return request

    async def publish(self, message: Message, subject: str, msg_id: str) -> None:
        """Publish a report straight to the bus (derived, recomputed on schedule), count it."""
        await self.bus.publish(message, subject, msg_id=msg_id)
        self.metrics.published.labels(subject).inc()

    async def prune(self) -> None:
        now = self.clock()
        await self.repo.prune(minute_of(now) - WINDOW_MINUTES, now - PRICE_HISTORY)
        await self.repo.prune_outbox()

    async def relay(self) -> None:  # what a crash left between a commit and its publish
        await self.repo.relay_outbox()
