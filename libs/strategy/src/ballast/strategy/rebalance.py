"""When to rebalance (PSTR seed 6 "Auto-Rebalancing"; StakeBasket seed AutomationEngine)."""

from __future__ import annotations

from decimal import Decimal

from ballast.strategy.params import StrategyParams


def etf_needs_rebalance(max_deviation_bps: int, params: StrategyParams) -> bool:
    """StakeBasket seed: rebalance when the allocation deviates more than 10% from target."""
    return Decimal(max_deviation_bps) / 10_000 > params.etf_rebalance_deviation


def range_bounds(centre: Decimal, params: StrategyParams) -> tuple[Decimal, Decimal]:
    """Seed 6: the concentration range, ±10% around its centre."""
    return centre * (1 - params.range_width), centre * (1 + params.range_width)


def liquidity_needs_rebalance(price: Decimal, centre: Decimal, params: StrategyParams) -> bool:
    """Seed 6: rebalance when the price is more than 15% from the range centre."""
    return abs(price / centre - 1) > params.range_rebalance_distance
