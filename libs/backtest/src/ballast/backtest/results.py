"""What a run produced: interventions with their ROI, time series for the plots, and the summary
(`summary.json`). Floats appear only in `Samples`, which feed matplotlib; every amount in the
summary is a Decimal written as a string."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ballast.common.messages import HealthLevel, SafetyMode


@dataclass
class Intervention:
    decided_at: datetime
    tier: int
    share: Decimal
    amount_usd: Decimal
    amount_in_raw: int
    quote_out_raw: int
    min_out_raw: int
    price_before: Decimal
    executed_at: datetime | None = None
    reverted: bool = False
    pump_in: Decimal = Decimal(0)
    pstr_out: Decimal = Decimal(0)
    spent_usd: Decimal = Decimal(0)
    fee_usd: Decimal = Decimal(0)
    cost_usd: Decimal = Decimal(0)
    """USD of PUMP spent minus the PSTR received at the pre-trade price, plus gas."""
    price_after: Decimal | None = None
    price_later: Decimal | None = None
    price_impact: Decimal | None = None
    roi: Decimal | None = None

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in self.__dict__.items():
            out[k] = (v.isoformat() if isinstance(v, datetime)
                      else str(v) if isinstance(v, Decimal) else v)
        return out


@dataclass
class Samples:
    """Plot series, one point every `every` minutes, plus the hourly health and risk."""

    every: int
    t: list[datetime] = field(default_factory=list[datetime])
    price: list[float] = field(default_factory=list[float])
    base_price: list[float] = field(default_factory=list[float])
    vwap: list[float | None] = field(default_factory=list[float | None])
    rr: list[float | None] = field(default_factory=list[float | None])
    treasury_value: list[float] = field(default_factory=list[float])
    treasury_value_without: list[float] = field(default_factory=list[float])
    health_t: list[datetime] = field(default_factory=list[datetime])
    health: list[float | None] = field(default_factory=list[float | None])
    health_level: list[str | None] = field(default_factory=list[str | None])
    risk_t: list[datetime] = field(default_factory=list[datetime])
    var_usd: list[float | None] = field(default_factory=list[float | None])


@dataclass
class Drawdown:
    """Running peak-to-trough of one price series."""

    peak: Decimal = Decimal(0)
    worst: Decimal = Decimal(0)
    trough: Decimal = Decimal(0)
    """The price at which the drawdown from `peak` would pass `worst` (a cheap test per minute)."""

    def see(self, price: Decimal) -> None:
        if price > self.peak:
            self.peak = price
            self.trough = price * (1 - self.worst)
        elif self.peak > 0:
            dd = 1 - price / self.peak
            if dd > self.worst:
                self.worst = dd
            self.trough = self.peak * (1 - self.worst)


@dataclass
class Result:
    name: str
    settings: dict[str, str]
    account: dict[str, str]
    fingerprint: str
    start: datetime
    end: datetime
    minutes: int
    interventions: list[Intervention]
    blocked: Counter[str]
    fast_path: Counter[str]
    states_built: int
    decisions_evaluated: int
    drawdown_with: Decimal
    drawdown_without: Decimal
    low_with: Decimal
    low_without: Decimal
    """The lowest PSTR price of the window over its first price."""
    min_rr_with: Decimal | None
    min_rr_without: Decimal | None
    mode_minutes: Counter[SafetyMode]
    health_hours: Counter[HealthLevel]
    accumulation: dict[str, str]
    gas_usd: Decimal
    final_treasury_value: Decimal
    final_treasury_value_without: Decimal
    pstr_held: Decimal
    samples: Samples

    @property
    def acted(self) -> list[Intervention]:
        return [i for i in self.interventions if not i.reverted and i.executed_at is not None]

    def summary(self) -> dict[str, Any]:
        acted = self.acted
        days = {m.value: str(Decimal(self.mode_minutes[m]) / 1440) for m in SafetyMode}
        return {
            "definitions": DEFINITIONS,
            "scenario": self.name,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "days": str(Decimal(self.minutes) / 1440),
            "strategy": self.settings,
            "strategy_fingerprint": self.fingerprint,
            "market": self.account,
            "pstr_max_drawdown": {"with_policy": str(self.drawdown_with),
                                  "without_policy": str(self.drawdown_without)},
            "pstr_low_vs_start": {"with_policy": str(self.low_with),
                                  "without_policy": str(self.low_without)},
            "min_reserve_ratio": {"with_policy": _s(self.min_rr_with),
                                  "without_policy": _s(self.min_rr_without)},
            "interventions": [i.to_json() for i in self.interventions],
            "interventions_confirmed": len(acted),
            "interventions_reverted": sum(1 for i in self.interventions if i.reverted),
            "pump_spent": str(sum((i.pump_in for i in acted), Decimal(0))),
            "pump_spent_usd": str(sum((i.spent_usd for i in acted), Decimal(0))),
            "pstr_bought": str(self.pstr_held),
            "execution_cost_usd": str(sum((i.cost_usd for i in self.interventions), Decimal(0))),
            "fees_usd": str(sum((i.fee_usd for i in acted), Decimal(0))),
            "gas_usd": str(self.gas_usd),
            "decisions": {
                "taken": self.decisions_evaluated,
                "settled_by_fast_path": dict(sorted(self.fast_path.items())),
                "states_built_and_evaluated": self.states_built,
                "blocked_by_rule_when_evaluated": dict(sorted(self.blocked.items())),
            },
            "accumulation": self.accumulation,
            "treasury_value_end": {"with_policy": str(self.final_treasury_value),
                                   "without_policy": str(self.final_treasury_value_without)},
            "days_in_safety_mode": days,
            "health_hours_by_level": {lv.value: self.health_hours[lv] for lv in HealthLevel},
            "health_over_time": [
                {"t": t.isoformat(), "score": None if s is None else round(s, 4), "level": lv}
                for t, s, lv in zip(self.samples.health_t, self.samples.health,
                                    self.samples.health_level, strict=True)
            ],
        }


DEFINITIONS = {
    "without_policy": "the same bars with no intervention and no accumulation: the scenario's "
                      "PSTR price and the starting holdings",
    "pstr_max_drawdown": "largest fall of PSTR from a running peak, over the evaluation window",
    "pstr_low_vs_start": "lowest PSTR price of the window over its first price",
    "execution_cost_usd": "per swap: USD of PUMP spent minus the PSTR received at the pre-trade "
                          "market price (price impact and fee), plus gas; reverted swaps: gas",
    "roi": "PSTR bought, valued roi_horizon_hours later, over the USD spent, minus one "
           "(ballast.strategy.impact)",
    "decisions": "one decision per minute, as the intervention service takes one per "
                 "treasury.state; the fast path settles those evaluate must block anyway",
}


def _s(x: Decimal | None) -> str | None:
    return None if x is None else str(x)
