"""Risk, liquidity and performance reports (PSTR seed 5, 6 and KPIs), a helper of the core in
app.py: fetch from its record, the chain and the latest state, compute in domain/, publish."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from ballast.common.messages import (
    AutomationKind,
    AutomationRequest,
    LiquidityState,
    PerformanceReport,
    RiskReport,
)
from ballast.common.subjects import (
    LIQUIDITY_STATE,
    PERFORMANCE_REPORT,
    RISK_REPORT,
    automation_requested,
)
from ballast.strategy.liquidity import pool_budgets_usd
from ballast.treasury.domain import concentrated_liquidity as cl
from ballast.treasury.domain import liquidity as lq
from ballast.treasury.domain.concentrated_liquidity import ConcentratedReading
from ballast.treasury.domain.liquidity_actions import plan_requests
from ballast.treasury.domain.performance import build_performance
from ballast.treasury.domain.risk import build_risk

if TYPE_CHECKING:
    from ballast.treasury.app import Treasury

PRICE_HISTORY = timedelta(days=400)
"""How far back the per-minute consensus prices are kept: the risk report's daily closes."""


class Reports:
    """The scheduled (and on-demand) reports of one Treasury core."""

    def __init__(self, treasury: Treasury) -> None:
        self.t = treasury

    def _price(self, symbol: str) -> Decimal | None:
        found = self.t.prices.get(symbol) or self.t.prices.get(
            self.t.symbols.price_aliases.get(symbol, "")
        )
        return None if found is None else found.price

    async def risk_report(self) -> RiskReport:
        state = self.t.last_state or await self.t.recompute()
        values = {
            h.symbol: h.value_usd for h in state.holdings
            if h.symbol != self.t.symbols.pstr and h.value_usd is not None
        }
        now = self.t.clock()
        lookup = {s: [s, self.t.symbols.price_aliases.get(s, s)] for s in values}
        closes = await self.t.repo.daily_closes(
            sorted({x for v in lookup.values() for x in v}), now - PRICE_HISTORY
        )
        by_symbol: dict[str, dict[date, Decimal]] = {}
        for s, names in lookup.items():
            for name in names:
                if name in closes:
                    by_symbol[s] = closes[name]
                    break
        report = build_risk(
            values, by_symbol, state.pump_concentration, now, self.t.settings.risk_min_samples
        )
        await self.t.publish(report, RISK_REPORT, f"risk-{now.isoformat()}")
        return report

    async def liquidity_report(self) -> LiquidityState | None:
        if self.t.chain is None:
            return None
        readings = await self.t.chain.pools()
        now = self.t.clock()
        prices = {s: self._price(s) for r in readings for s in (r.token0, r.token1)}
        targets = self.t.settings.liquidity_targets()
        items: list[tuple[lq.PoolReading, lq.PoolEntry, Decimal]] = []
        v3: list[ConcentratedReading] = []
        for r in readings:
            target = targets.get(r.pair, Decimal(0))
            if isinstance(r, ConcentratedReading):
                if target > 0 or r.held:
                    v3.append(r)
                continue
            if (target == 0 and r.lp_balance_raw == 0) or r.reserve0 <= 0 or r.lp_supply <= 0:
                continue
            g = lq.liquidity_per_lp(r.reserve0, r.reserve1, r.lp_supply)
            entry = await self.t.repo.pool_entry(r.pool, r.reserve1 / r.reserve0, g, now)
            items.append((r, entry, target))
        measured = [cl.measure(r, prices, targets.get(r.pair, Decimal(0)), self.t.params)
                    for r in v3]
        state = lq.build_liquidity(items, prices, now, self.t.params, measured)
        rebalances = await self.t.repo.liquidity_actions_since(
            AutomationKind.LIQUIDITY_REBALANCE.value, now - timedelta(days=30))
        requests: list[AutomationRequest] = []
        reasons: list[str] = []
        if self.t.settings.liquidity_actions:
            budgets = pool_budgets_usd(self.t.settings.liquidity_pools, self.t.params)
            holdings = {h.symbol: h for h in (self.t.last_state.holdings
                                              if self.t.last_state else [])}
            planned = plan_requests([(r, e) for r, e, _ in items], budgets, holdings,
                                    self.t.params, now)
            requests, reasons = planned.requests, planned.reasons
            for r in v3:
                asked = cl.plan(r, budgets.get(r.pair), holdings, self.t.params, now)
                if isinstance(asked, str):
                    reasons.append(asked)
                elif asked is not None:
                    requests.append(asked)
        state = state.model_copy(update={
            "rebalances_30d": rebalances, "reasons": state.reasons + reasons,
        })
        await self.t.publish(state, LIQUIDITY_STATE, f"liquidity-{now.isoformat()}")
        self.t.metrics.observe_liquidity(state)
        for request in requests:
            # each report's request is a message of its own: the executor keeps the action
            # once by its request id; a msg-id of the request id alone would let JetStream
            # drop every repeat for two minutes, so an executor started after the first (a
            # dry run switched to live) would wait out the duplicate window
            await self.t.publish(request, automation_requested(request.kind.value),
                                 f"{request.request_id}@{now.isoformat()}")
        return state

    async def performance_report(self) -> PerformanceReport:
        now = self.t.clock()
        values = await self.t.repo.value_series(now - timedelta(days=31))
        daily: dict[date, Decimal] = {}
        for t, v in values:
            daily[t.astimezone(UTC).date()] = v
        window = timedelta(hours=self.t.settings.success_window_hours)
        report = build_performance(
            values=values,
            daily_values=[daily[d] for d in sorted(daily)][-31:],
            interventions=await self.t.repo.confirmed_interventions(
                now - timedelta(days=30),
                self.t.chain_snapshot.pstr_decimals if self.t.chain_snapshot else 18,
            ),
            pstr_prices=await self.t.repo.price_series(
                self.t.symbols.pstr, now - timedelta(days=31)
            ),
            native_price=self._price("CORE"),
            window=window,
            now=now,
        )
        await self.t.repo.record_impacts(report.interventions)
        await self.t.publish(report, PERFORMANCE_REPORT, f"perf-{now.isoformat()}")
        return report
