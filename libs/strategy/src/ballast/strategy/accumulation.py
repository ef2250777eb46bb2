"""Hourly PUMP accumulation (PSTR seed 2 "Daily Budget Calculation", "Monitoring & Alerting:
Hourly accumulation", seed 5 "Concentration Limits").

The daily budget is `(total_capital x treasury_allocation) / accumulation_period`; each hour buys a
24th of it, paid in the quote token (USDC on the devnet) priced at its consensus price, never at an
assumed peg. A buy is refused on a state that is not OK (a missing, stale or DEGRADED input:
nothing buys on a price the oracle does not vouch for), in emergency stop, once the PUMP
concentration would pass its limit, after the accumulation period, and once the allocated
capital is spent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal

from ballast.common.messages import SafetyMode, StateStatus
from ballast.strategy.params import StrategyParams
from ballast.strategy.sizing import CENT, raw_amount


def daily_budget(params: StrategyParams) -> Decimal:
    """Seed 2: `(Total Capital x Treasury Allocation) / Accumulation Period` (USD per day)."""
    return params.total_capital * params.treasury_allocation / Decimal(params.accumulation_period)


def hourly_budget(params: StrategyParams) -> Decimal:
    """A 24th of the daily budget, to the cent (rounded down: never more than the budget)."""
    return (daily_budget(params) / 24).quantize(CENT, rounding=ROUND_DOWN)


EMERGENCY_STOP = "reserve: emergency stop, no accumulation"


def stopped(safety_mode: SafetyMode) -> str | None:
    """The one emergency-stop rule of accumulation: its reason, or None when buying may go on.
    The treasury asks it before requesting an hour's buy (`may_request`) and the plan asks it
    again before buying (`plan`)."""
    return EMERGENCY_STOP if safety_mode is SafetyMode.EMERGENCY_STOP else None


def may_request(safety_mode: SafetyMode, params: StrategyParams) -> Decimal | None:
    """The hour's request (the hourly budget), or None: no budget, or emergency stop."""
    amount = hourly_budget(params)
    if amount <= 0 or stopped(safety_mode) is not None:
        return None
    return amount


def capital(params: StrategyParams) -> Decimal:
    """All the accumulation may ever spend: total_capital x treasury_allocation."""
    return params.total_capital * params.treasury_allocation


@dataclass(frozen=True)
class AccumulationInputs:
    safety_mode: SafetyMode
    pump_value_usd: Decimal
    treasury_value_usd: Decimal | None
    quote_price_usd: Decimal | None
    quote_decimals: int
    spent_usd: Decimal
    """Accumulation already decided, over the whole period."""
    started_at: datetime | None
    """The first accumulation of the period (None: this is the first)."""
    requested_usd: Decimal | None = None
    """What the hour's request asked for; the plan never buys more than asked."""
    state_status: StateStatus = StateStatus.OK
    """The treasury state's status: only an OK state (every input OK and fresh) buys."""


@dataclass(frozen=True)
class AccumulationPlan:
    amount_usd: Decimal
    amount_in_raw: int
    reasons: list[str] = field(default_factory=list[str])

    @property
    def act(self) -> bool:
        return not self.reasons


def plan(inputs: AccumulationInputs, params: StrategyParams, now: datetime) -> AccumulationPlan:
    """This hour's buy, or the reasons there is none."""
    reasons: list[str] = []
    if inputs.state_status is not StateStatus.OK:
        reasons.append(f"state: treasury state status is {inputs.state_status.value}")
    stop = stopped(inputs.safety_mode)
    if stop is not None:
        reasons.append(stop)
    if inputs.started_at is not None:
        end = inputs.started_at + timedelta(days=params.accumulation_period)
        if now >= end:
            reasons.append(f"period: the {params.accumulation_period}-day period ended {end:%F}")
    remaining = capital(params) - inputs.spent_usd
    wanted = hourly_budget(params)
    if inputs.requested_usd is not None:
        wanted = min(wanted, inputs.requested_usd)
    amount = max(Decimal(0), min(wanted, remaining)).quantize(
        CENT, rounding=ROUND_DOWN
    )
    if amount <= 0:
        reasons.append(f"capital: {capital(params):,.2f} USD allocated, all spent")
    tv = inputs.treasury_value_usd
    if tv is None or tv <= 0:
        reasons.append("concentration: treasury value unknown")
    else:
        after = (inputs.pump_value_usd + amount) / tv
        if after > params.max_pump_concentration:
            reasons.append(
                f"concentration: PUMP would be {after:.2%} > {params.max_pump_concentration:.0%}"
            )
    price = inputs.quote_price_usd
    raw = 0
    if price is None or price <= 0:
        reasons.append("price: no consensus price for the quote token")
    else:
        raw = raw_amount(amount, price, inputs.quote_decimals)
    return AccumulationPlan(amount, raw, reasons)
