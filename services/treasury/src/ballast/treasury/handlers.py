"""The treasury's handlers and jobs: typed message -> domain -> record and publish.

Fetch first (messages, chain reads, Postgres), decide second (domain/), act third (Postgres
snapshot, then publish). State lives in memory for speed and in Postgres for restarts: `start`
restores the latest consensus per symbol and the VWAP's minute buckets from Postgres; the
durable consumers then continue the streams where they stopped. Nothing is recomputed from the
chain's history.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta

from opentelemetry import context as otel_context
from opentelemetry import trace

from ballast.common.bus import Bus
from ballast.common.messages import (
    AutomationAction,
    AutomationKind,
    AutomationRequest,
    ConsensusPrice,
    ExecutionStatus,
    HealthScore,
    InterventionDecision,
    InterventionExecuted,
    Message,
    SafetyMode,
    StateStatus,
    Trade,
    TreasuryState,
    utcnow,
)
from ballast.common.subjects import (
    HEALTH_SCORE,
    TREASURY_STATE,
    automation_requested,
)
from ballast.strategy.accumulation import hourly_budget
from ballast.strategy.health import build_health
from ballast.treasury.adapters.chain import ChainReader
from ballast.treasury.adapters.repository import Repository
from ballast.treasury.domain.state import ChainSnapshot, build_state
from ballast.treasury.domain.vwap import (
    WINDOW_MINUTES,
    Bucket,
    RollingVwap,
    minute_of,
    pstr_usd_leg,
    to_units,
)
from ballast.treasury.metrics import TreasuryMetrics
from ballast.treasury.settings import TreasurySettings

log = logging.getLogger("ballast.treasury")
tracer = trace.get_tracer("ballast.treasury")
PRICE_HISTORY = timedelta(days=400)
"""How far back the per-minute consensus prices are kept: the risk report's daily closes."""
Clock = Callable[[], datetime]
STOP_WRITE_SECONDS = 5.0


class Treasury:
    """One per process; see the module docstring."""

    def __init__(
        self,
        settings: TreasurySettings,
        bus: Bus,
        metrics: TreasuryMetrics,
        chain: ChainReader | None,
        clock: Clock = utcnow,
    ) -> None:
        self.settings = settings
        self.params = settings.params()
        self.symbols = settings.symbols()
        self.bus = bus
        self.metrics = metrics
        self.chain = chain
        self.clock = clock
        self.prices: dict[str, ConsensusPrice] = {}
        self.vwap = RollingVwap()
        self.chain_snapshot: ChainSnapshot | None = None
        self.last_state: TreasuryState | None = None
        self.last_health: HealthScore | None = None
        self._repo: Repository | None = None
        self._debounce: asyncio.Task[None] | None = None
        self._recompute_due = False
        self._trigger: otel_context.Context | None = None
        self._unsaved_prices: dict[str, ConsensusPrice] = {}
        self._stale_timer: asyncio.TimerHandle | None = None
        self._lock = asyncio.Lock()

    @property
    def repo(self) -> Repository:
        if self._repo is None:
            raise RuntimeError("treasury not started")
        return self._repo

    # ------------------------------------------------------------------ start / stop
    async def start(self, repo: Repository) -> None:
        """Restore from Postgres (prices, VWAP buckets) and read the chain once."""
        self._repo = repo
        now = self.clock()
        await repo.relay_outbox()  # what a crash left between a commit and its publish
        self.prices = await repo.latest_prices()
        buckets = await repo.load_buckets(self.symbols.pstr, minute_of(now) - WINDOW_MINUTES)
        self.vwap.restore(buckets)
        await self.refresh_chain()
        log.info("treasury restored", extra={"prices": len(self.prices), "bars": len(buckets)})

    async def stop(self) -> None:
        if self._stale_timer is not None:
            self._stale_timer.cancel()
        if self._debounce is not None:
            self._debounce.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._debounce  # its connection is back in the pool before we go on
        if self._repo is not None:
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
        self._unsaved_prices[price.symbol] = price
        if self._changes_state(known, price):
            self.schedule_recompute()

    def _changes_state(self, known: ConsensusPrice | None, price: ConsensusPrice) -> bool:
        """A new price or status, or a fresh copy of an input the last state called stale."""
        if known is None or (known.price, known.status) != (price.price, price.status):
            return True
        last = self.last_state
        return last is None or any(i.stale and i.symbol == price.symbol for i in last.inputs)

    async def on_trade(self, trade: Trade) -> None:
        leg = pstr_usd_leg(trade, self.symbols.pstr, self.settings.usd_quote_symbols)
        if leg is None:
            return
        price, volume = leg
        bucket = Bucket(minute_of(trade.timestamp), to_units(price * volume), to_units(volume))
        if await self.repo.record_trade(
            trade.tx_hash, trade.log_index, self.symbols.pstr, bucket
        ):
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
    def schedule_recompute(self) -> None:
        """Debounce: a burst of consensus updates gives one recompute after the quiet period,
        and an update that arrives while a recompute runs gets one more right after it (never
        left for the 5-minute cycle). Each recompute runs in the trace context of the newest
        update that asked for it."""
        self._recompute_due = True
        self._trigger = otel_context.get_current()
        if self._debounce is not None and not self._debounce.done():
            return
        self._debounce = asyncio.create_task(self._recompute_while_due(),
                                             name="treasury-state-debounce")

    async def _recompute_while_due(self) -> None:
        while self._recompute_due:
            await asyncio.sleep(self.settings.state_debounce_seconds)
            self._recompute_due = False
            token = otel_context.attach(self._trigger or otel_context.get_current())
            try:
                await self.recompute()
            except Exception:
                log.exception("state recompute failed")
            finally:
                otel_context.detach(token)

    async def save_prices(self) -> None:
        """Write the consensus prices received since the last write (the 1-second job; the
        recompute writes them with its snapshot). Written behind, not per message: at a
        thousand updates a second a write each was the treasury's bottleneck (bench/path.py)."""
        async with self._lock, self._taking_unsaved_prices() as prices:
            if prices:  # the lock: never beside a snapshot's write of the same rows
                await self.repo.save_prices(prices)

    @contextlib.asynccontextmanager
    async def _taking_unsaved_prices(self) -> AsyncIterator[list[ConsensusPrice]]:
        """The prices not yet written, taken for one write; put back if the write fails or is
        cancelled (a later write, or stop(), takes them again)."""
        prices, self._unsaved_prices = self._unsaved_prices, {}
        try:
            yield list(prices.values())
        except BaseException:
            for symbol, price in prices.items():
                self._unsaved_prices.setdefault(symbol, price)
            raise

    async def recompute(self) -> TreasuryState:
        """Build, record and publish the state. The span continues the trace of the consensus
        that scheduled it (attached by the debounce loop)."""
        with tracer.start_as_current_span("treasury recompute"):
            return await self._recompute()

    async def _recompute(self) -> TreasuryState:
        async with self._lock:
            started = time.perf_counter()
            now = self.clock()
            state = build_state(
                self.chain_snapshot, self.prices, self.vwap.value(now), self.params, now,
                timedelta(seconds=self.settings.max_price_age_seconds), self.symbols,
            )
            health = build_health(state, self.params)
            stamp = now.isoformat()
            messages: list[tuple[Message, str, str]] = [
                (state, TREASURY_STATE, f"treasury-state-{stamp}")
            ]
            if health is not None:
                messages.append((health, HEALTH_SCORE, f"health-{stamp}"))
            async with self._taking_unsaved_prices() as prices:
                pending = await self.repo.save_snapshot(state, health, prices, messages)
            await self.repo.publish_pending(pending)
            self.last_state, self.last_health = state, health
            self._observe(state, health, time.perf_counter() - started)
            self._recompute_when_stale(state)
            return state

    def _recompute_when_stale(self, state: TreasuryState) -> None:
        """Publish the state again the moment its freshest-looking input turns stale, rather than
        at the next 5-minute cycle: a price that stopped updating is reported when it happens."""
        if self._stale_timer is not None:
            self._stale_timer.cancel()
            self._stale_timer = None
        max_age = timedelta(seconds=self.settings.max_price_age_seconds)
        due = [i.computed_at + max_age for i in state.inputs
               if i.computed_at is not None and not i.stale]
        if not due:
            return
        delay = (min(due) - self.clock()).total_seconds() + 0.001
        loop = asyncio.get_running_loop()
        self._stale_timer = loop.call_later(max(0.0, delay), self.schedule_recompute)

    def _observe(self, state: TreasuryState, health: HealthScore | None, took: float) -> None:
        m = self.metrics
        m.recompute_seconds.observe(took)
        m.tier.set(state.tier)
        for status in StateStatus:
            m.state_status.labels(status.value).set(1 if state.status is status else 0)
        for mode in SafetyMode:
            m.safety_mode.labels(mode.value).set(1 if state.safety_mode is mode else 0)
        for gauge, value in ((m.reserve_ratio, state.reserve_ratio),
                             (m.treasury_value, state.treasury_value_usd),
                             (m.drawdown, state.drawdown), (m.vwap, state.vwap_30d),
                             (m.health, health.score if health else None)):
            if value is not None:
                gauge.set(float(value))
        m.published.labels(TREASURY_STATE).inc()

    # ------------------------------------------------------------------ accumulation
    async def accumulate(self) -> AutomationRequest | None:
        """Hourly purchase request (seed "Hourly accumulation"); none in emergency stop.

        The hour's row in Postgres is claimed first, so a restart or a second replica never asks
        twice for the same hour; the request id is also the Nats-Msg-Id.
        """
        now = self.clock()
        period = int(self.settings.accumulation_interval_seconds)
        start = datetime.fromtimestamp(int(now.timestamp()) // period * period, UTC)
        if await self.repo.accumulation_claimed(start):
            return None
        state = self.last_state
        if state is None or now - state.computed_at > timedelta(minutes=1):
            state = await self.recompute()
        amount = hourly_budget(self.params)
        if amount <= 0 or state.safety_mode is SafetyMode.EMERGENCY_STOP:
            log.info("accumulation skipped", extra={"safety_mode": state.safety_mode.value})
            return None
        request_id = f"accumulate-{start:%Y%m%dT%H%M}"
        if not await self.repo.claim_accumulation(start, request_id, amount, now):
            return None
        request = AutomationRequest(
            request_id=request_id, kind=AutomationKind.ACCUMULATE, amount_usd=amount,
            reason=f"hourly share of the daily budget {state.daily_budget_usd:.2f} USD "
                   f"(safety mode {state.safety_mode.value})",
            requested_at=now,
        )
        subject = automation_requested(AutomationKind.ACCUMULATE.value)
        await self.bus.publish(request, subject, msg_id=request_id)
        self.metrics.published.labels(subject).inc()
        return request

    async def prune(self) -> None:
        now = self.clock()
        await self.repo.prune(minute_of(now) - WINDOW_MINUTES, now - PRICE_HISTORY)
        await self.repo.prune_outbox()

    async def relay(self) -> None:
        """Publish what the outbox still holds (a crash between a commit and its publish)."""
        await self.repo.relay_outbox()
