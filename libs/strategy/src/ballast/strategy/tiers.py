"""Drawdown and deployment tier (PSTR seed 2 "Deployment Logic", seed 3 "Trigger Conditions")."""

from __future__ import annotations

from decimal import Decimal

from ballast.strategy.params import NO_TIER, StrategyParams, Tier


def drawdown(price: Decimal | None, vwap: Decimal | None) -> Decimal | None:
    """How far the price is below its 30-day VWAP: `1 - price / vwap` (negative above it).

    None when either is unknown or not positive: no tier is chosen on a missing price.
    """
    if price is None or vwap is None or price <= 0 or vwap <= 0:
        return None
    return 1 - price / vwap


def tier_for(dd: Decimal | None, params: StrategyParams) -> Tier:
    """The highest tier whose threshold the drawdown reaches (inclusive, as the seed writes
    `Drawdown >= 15%`), else NO_TIER."""
    if dd is None:
        return NO_TIER
    for tier in sorted(params.tiers, key=lambda t: t.min_drawdown, reverse=True):
        if dd >= tier.min_drawdown:
            return tier
    return NO_TIER


def triggered(price: Decimal | None, vwap: Decimal | None, params: StrategyParams) -> bool:
    """Seed 3: "PSTR price drops below 85% of 30-day VWAP" (strictly below)."""
    if price is None or vwap is None or price <= 0 or vwap <= 0:
        return False
    return price < params.trigger_threshold * vwap
