"""Reserve ratio and safety mode (PSTR seed 2 "Reserve Ratio Monitoring", seed 5 "Safety
Mechanisms")."""

from __future__ import annotations

from decimal import Decimal

from ballast.common.messages import SafetyMode
from ballast.strategy.params import StrategyParams


def market_cap(total_supply: Decimal, price: Decimal) -> Decimal:
    """PSTR market cap: total supply x consensus price (the reserve ratio's denominator)."""
    return total_supply * price


def reserve_ratio(treasury_value: Decimal, pstr_market_cap: Decimal) -> Decimal | None:
    """Seed 2 and KPIs: `Treasury Value / PSTR Market Cap`. None when the market cap is zero."""
    if pstr_market_cap <= 0:
        return None
    return treasury_value / pstr_market_cap


def safety_mode(rr: Decimal | None, params: StrategyParams) -> SafetyMode:
    """Seed 5: emergency stop if RR < 1.5, reduced deployment if RR < 2.0 (1.5 and 2.0 pass).

    An unknown reserve ratio fails closed: nothing is deployed on a ratio nobody could compute.
    """
    if rr is None or rr < params.min_rr_threshold:
        return SafetyMode.EMERGENCY_STOP
    if rr < params.reduced_rr_threshold:
        return SafetyMode.REDUCED
    return SafetyMode.NORMAL


def safety_factor(mode: SafetyMode, params: StrategyParams) -> Decimal:
    """What the safety mode leaves of a deployment: 1, the reduction factor, or 0."""
    if mode is SafetyMode.EMERGENCY_STOP:
        return Decimal(0)
    if mode is SafetyMode.REDUCED:
        return params.reduced_deployment_factor
    return Decimal(1)


def concentration(part: Decimal, total: Decimal) -> Decimal | None:
    """Seed 5 "Concentration Limits": PUMP value / treasury value (limit 80%)."""
    if total <= 0:
        return None
    return part / total
