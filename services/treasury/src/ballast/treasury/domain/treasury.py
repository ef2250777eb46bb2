"""Treasury management formulas (PSTR seed section 2, "Treasury Management System", and
section 5, "Safety Mechanisms").

Each function is one formula of the seed, exact in Decimal. `build_state` in state.py puts them
together into the `treasury.state` message.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ballast.common.messages import SafetyMode
from ballast.treasury.domain.params import StrategyParams

ZERO = Decimal(0)
ONE = Decimal(1)

TIERS: tuple[tuple[Decimal, int, Decimal], ...] = (
    (Decimal("0.30"), 3, Decimal("0.40")),
    (Decimal("0.20"), 2, Decimal("0.25")),
    (Decimal("0.15"), 1, Decimal("0.10")),
)
"""Seed section 2 "Deployment Logic": (drawdown at or above, tier, deployment share)."""


@dataclass(frozen=True)
class Tier:
    tier: int
    share: Decimal


NO_TIER = Tier(0, ZERO)


def daily_budget(
    total_capital: Decimal, treasury_allocation: Decimal, accumulation_period: int
) -> Decimal:
    """Seed 2: `(Total Capital x Treasury Allocation) / Accumulation Period` (USD per day)."""
    if accumulation_period <= 0:
        raise ValueError("accumulation_period must be positive")
    return total_capital * treasury_allocation / Decimal(accumulation_period)


def market_cap(total_supply: Decimal, price: Decimal) -> Decimal:
    """PSTR market cap: total supply x consensus price (KPIs: the reserve ratio's denominator)."""
    return total_supply * price


def reserve_ratio(treasury_value: Decimal, pstr_market_cap: Decimal) -> Decimal | None:
    """Seed 2 and KPIs: `Treasury Value / PSTR Market Cap`. None when the market cap is zero."""
    if pstr_market_cap <= 0:
        return None
    return treasury_value / pstr_market_cap


def drawdown(price: Decimal, vwap: Decimal) -> Decimal:
    """How far the price is below its 30-day VWAP: `1 - price / vwap` (negative when above).

    Seed 3 triggers when the price is below 85% of the VWAP, i.e. a drawdown over 15%.
    """
    if vwap <= 0:
        raise ValueError("vwap must be positive")
    return ONE - price / vwap


def deployment_tier(dd: Decimal | None) -> Tier:
    """Seed 2 "Deployment Logic": >= 30% -> tier 3 (40%), >= 20% -> 2 (25%), >= 15% -> 1 (10%).

    Boundaries are inclusive, exactly as the seed writes them (`Drawdown >= 15%`).
    """
    if dd is None:
        return NO_TIER
    for threshold, tier, share in TIERS:
        if dd >= threshold:
            return Tier(tier, share)
    return NO_TIER


def safety_mode(rr: Decimal | None, params: StrategyParams) -> SafetyMode:
    """Seed 5 "Safety Mechanisms": emergency stop if RR < 1.5, reduced deployment if RR < 2.0.

    An unknown reserve ratio fails closed (emergency stop): nothing may be deployed on a
    ratio nobody could compute. The state's status and reasons say why.
    """
    if rr is None or rr < params.min_rr_threshold:
        return SafetyMode.EMERGENCY_STOP
    if rr < params.reduced_rr_threshold:
        return SafetyMode.REDUCED
    return SafetyMode.NORMAL


def safety_factor(mode: SafetyMode, params: StrategyParams) -> Decimal:
    """What the safety mode leaves of a deployment: 1, the reduction factor, or 0."""
    if mode is SafetyMode.EMERGENCY_STOP:
        return ZERO
    if mode is SafetyMode.REDUCED:
        return params.reduced_deployment_factor
    return ONE


def deployment_share(tier: Tier, mode: SafetyMode, params: StrategyParams) -> Decimal:
    """The tier's share after the safety mode, never above `max_deployment` (seed 5 config)."""
    return min(tier.share, params.max_deployment) * safety_factor(mode, params)


def intervention_capacity(
    pump_value: Decimal,
    treasury_value: Decimal,
    pstr_market_cap: Decimal,
    mode: SafetyMode,
    params: StrategyParams,
) -> Decimal:
    """Seed 2 "Intervention Capacity: dynamic calculation based on reserve strength" (USD).

    The PUMP the treasury may swap in one intervention: at most `max_deployment` of its PUMP
    (seed 5, maximum single intervention size), and never so much that the reserve ratio would
    fall below `min_rr_threshold` (seed 5, reserve protection: the treasury value above
    1.5 x market cap), scaled by the safety mode (0 in emergency stop).
    """
    by_size = params.max_deployment * pump_value
    by_reserve = max(ZERO, treasury_value - params.min_rr_threshold * pstr_market_cap)
    return min(by_size, by_reserve) * safety_factor(mode, params)


def concentration(part: Decimal, total: Decimal) -> Decimal | None:
    """Seed 5 "Concentration Limits": PUMP value / treasury value (limit 80%)."""
    if total <= 0:
        return None
    return part / total


def hourly_accumulation(daily: Decimal, mode: SafetyMode) -> Decimal:
    """Seed "Hourly accumulation": a 24th of the daily budget each hour; none in emergency stop."""
    if mode is SafetyMode.EMERGENCY_STOP:
        return ZERO
    return daily / Decimal(24)
