"""Performance report every 6 hours (PSTR seed "Key Metrics & KPIs", "Financial Metrics" and
"Execution Cost"; "6-hour performance reports: success rate and impact analysis").

- treasury growth: value now / value 30 days ago - 1 (from the treasury-value snapshots);
- Sharpe ratio: mean / sample std of daily returns x sqrt(365), risk-free rate 0 (crypto
  trades every day);
- maximum drawdown: the largest peak-to-trough fall of the value series, as a fraction;
- intervention success rate: confirmed interventions after which the PSTR price rose back above
  the trigger price (trigger_threshold x 30-day VWAP at the decision) within the configured
  window, over those whose window has ended or that already succeeded;
- execution cost per intervention: slippage x amount + gas x native price, averaged;
- each confirmed intervention's price impact and ROI after the window (ballast.strategy.impact,
  seed 3 step 5), in `interventions`.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from ballast.common.messages import InterventionImpact, PerformanceReport
from ballast.strategy.impact import impact

DAYS_PER_YEAR = Decimal(365)
WEI = Decimal(10) ** 18


def growth(
    series: Sequence[tuple[datetime, Decimal]], now: datetime, days: int = 30
) -> Decimal | None:
    """Value now over the last value at or before `now - days`, minus one. None without one."""
    if not series:
        return None
    start = now - timedelta(days=days)
    before = [v for t, v in series if t <= start]
    if not before or before[-1] <= 0:
        return None
    return series[-1][1] / before[-1] - 1


def sharpe_ratio(daily_values: Sequence[Decimal]) -> Decimal | None:
    """Annualised: mean(r) / std(r) x sqrt(365). None with fewer than 2 returns or no spread."""
    rets = [b / a - 1 for a, b in zip(daily_values, daily_values[1:], strict=False) if a > 0]
    if len(rets) < 2:
        return None
    n = Decimal(len(rets))
    mu = sum(rets, Decimal(0)) / n
    std = (sum(((r - mu) ** 2 for r in rets), Decimal(0)) / (n - 1)).sqrt()
    if std == 0:
        return None
    return mu / std * DAYS_PER_YEAR.sqrt()


def max_drawdown(values: Sequence[Decimal]) -> Decimal | None:
    """Largest (peak - trough) / peak over the series, 0 if it never fell."""
    if not values:
        return None
    peak, worst = values[0], Decimal(0)
    for v in values:
        peak = max(peak, v)
        if peak > 0:
            worst = max(worst, (peak - v) / peak)
    return worst


@dataclass(frozen=True)
class InterventionRecord:
    """A confirmed intervention as the decision and its execution describe it."""

    executed_at: datetime
    trigger_price: Decimal | None
    amount_usd: Decimal
    slippage: Decimal | None
    gas_cost_wei: int | None
    decision_id: str = ""
    price_before: Decimal | None = None
    pstr_received: Decimal | None = None


def succeeded(
    record: InterventionRecord,
    prices: Sequence[tuple[datetime, Decimal]],
    window: timedelta,
    now: datetime,
) -> bool | None:
    """True if a price above the trigger appears within the window, False once the window ended
    without one, None while it is still open (or the trigger is unknown)."""
    if record.trigger_price is None:
        return None
    end = record.executed_at + window
    times = [t for t, _ in prices]
    lo = bisect.bisect_right(times, record.executed_at)
    hi = bisect.bisect_right(times, end)
    if any(p > record.trigger_price for _, p in prices[lo:hi]):
        return True
    return False if now >= end else None


def execution_cost(record: InterventionRecord, native_price: Decimal | None) -> Decimal | None:
    """Seed KPIs "Execution Cost: slippage + gas costs per intervention" in USD."""
    slip = (record.slippage or Decimal(0)) * record.amount_usd
    if record.gas_cost_wei is None or record.gas_cost_wei == 0:
        return slip
    if native_price is None:
        return None
    return slip + Decimal(record.gas_cost_wei) / WEI * native_price


def intervention_impact(
    record: InterventionRecord,
    prices: Sequence[tuple[datetime, Decimal]],
    window: timedelta,
    now: datetime,
) -> InterventionImpact:
    """Seed 3 step 5 for one record; unknown parts stay None (no price yet, no PSTR amount)."""
    found = None
    if record.price_before is not None and record.pstr_received is not None:
        found = impact(record.price_before, record.amount_usd, record.pstr_received,
                       record.executed_at, prices, window, now)
    return InterventionImpact(
        decision_id=record.decision_id,
        executed_at=record.executed_at,
        amount_usd=record.amount_usd,
        price_before=record.price_before,
        price_after=found.price_after if found else None,
        price_later=found.price_later if found else None,
        horizon_hours=Decimal(int(window.total_seconds())) / 3600,
        price_impact=found.price_impact if found else None,
        roi=found.roi if found else None,
    )


def build_performance(
    values: Sequence[tuple[datetime, Decimal]],
    daily_values: Sequence[Decimal],
    interventions: Sequence[InterventionRecord],
    pstr_prices: Sequence[tuple[datetime, Decimal]],
    native_price: Decimal | None,
    window: timedelta,
    now: datetime,
) -> PerformanceReport:
    outcomes = [succeeded(r, pstr_prices, window, now) for r in interventions]
    judged = [o for o in outcomes if o is not None]
    costs = [execution_cost(r, native_price) for r in interventions]
    known = [c for c in costs if c is not None]
    return PerformanceReport(
        computed_at=now,
        treasury_growth_30d=growth(values, now),
        sharpe_ratio=sharpe_ratio(daily_values),
        max_drawdown=max_drawdown([v for _, v in values]),
        intervention_success_rate=(
            Decimal(sum(judged)) / Decimal(len(judged)) if judged else None
        ),
        interventions_evaluated=len(judged),
        execution_cost_per_intervention_usd=(
            sum(known, Decimal(0)) / Decimal(len(known)) if known and len(known) == len(costs)
            else None
        ),
        interventions=[intervention_impact(r, pstr_prices, window, now) for r in interventions],
    )
