"""The backtest's hourly work, as the live treasury and intervention service schedule it: a full
treasury.state and its health score, the hourly accumulation, and (every `risk_every_minutes`, the
treasury's 2-hour cadence) the risk report over the daily closes."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from ballast.backtest import book
from ballast.backtest.tape import at
from ballast.common.messages import TreasuryState
from ballast.strategy import accumulation
from ballast.strategy.health import build_health
from ballast.treasury.domain.risk import build_risk
from ballast.treasury.domain.state import build_state

if TYPE_CHECKING:
    from ballast.backtest.engine import Engine


class Hourly:
    def __init__(self, engine: Engine) -> None:
        self.e = engine
        self.closes: dict[str, dict[date, Decimal]] = {}
        self.spent_usd = Decimal(0)
        self.started_at: datetime | None = None
        self.bought_pump = Decimal(0)
        self.buys = 0
        self.refused: Counter[str] = Counter()

    def run(self, minute: int, price: Decimal, p_pump: Decimal, p_usdc: Decimal,
            vwap: Decimal | None) -> None:
        e, now = self.e, at(minute)
        state = build_state(e.hold.snapshot(e.supply_raw, now),
                            e.state_prices(minute, price, p_pump, p_usdc), vwap, e.params, now,
                            book.MAX_PRICE_AGE)
        health = build_health(state, e.params)
        s = e.samples
        s.health_t.append(now)
        s.health.append(None if health is None else float(health.score))
        s.health_level.append(None if health is None else health.level.value)
        if health is not None:
            e.health_hours[health.level] += 1
        if e.account.accumulate:
            self._accumulate(state, now, p_pump, p_usdc)
        first = e.tape.start_minute + e.tape.warmup
        if (minute - first) % e.account.risk_every_minutes == 0:
            values = {h.symbol: h.value_usd for h in state.holdings
                      if h.symbol != "PSTR" and h.value_usd is not None}
            closes = {sym: self.closes.get(sym, {}) for sym in values}
            risk = build_risk(values, closes, state.pump_concentration, now)
            s.risk_t.append(now)
            s.var_usd.append(None if risk.var_historical_usd is None
                             else float(risk.var_historical_usd))

    def _accumulate(self, state: TreasuryState, now: datetime, p_pump: Decimal,
                    p_usdc: Decimal) -> None:
        e = self.e
        pump_value = sum((h.value_usd for h in state.holdings
                          if h.symbol == "PUMP" and h.value_usd is not None), Decimal(0))
        inputs = accumulation.AccumulationInputs(
            safety_mode=state.safety_mode, pump_value_usd=pump_value,
            treasury_value_usd=state.treasury_value_usd, quote_price_usd=p_usdc,
            quote_decimals=6, spent_usd=self.spent_usd, started_at=self.started_at)
        plan = accumulation.plan(inputs, e.params, now)
        if not plan.act:
            self.refused[plan.reasons[0].split(":")[0]] += 1
            return
        bought = book.buy_pump(e.hold, e.account, plan.amount_in_raw, p_usdc, p_pump)
        self.bought_pump += Decimal(bought).scaleb(-18)
        self.spent_usd += plan.amount_usd
        self.buys += 1
        if self.started_at is None:
            self.started_at = now

    def accumulation_summary(self) -> dict[str, str]:
        return {
            "buys": str(self.buys),
            "spent_usd": str(self.spent_usd),
            "pump_bought": str(self.bought_pump),
            "hourly_budget_usd": str(accumulation.hourly_budget(self.e.params)),
            "refused_by_first_reason": ", ".join(f"{k}={v}" for k, v in
                                                 sorted(self.refused.items())) or "none",
        }
