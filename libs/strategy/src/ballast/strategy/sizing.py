"""How much one intervention deploys (PSTR seed 2 "Intervention Capacity", "Deployment Tiers";
seed 5 "Safety Mechanisms", `max_deployment`). Each rule is applied exactly once:

- capacity (USD) = min(PUMP value, max(0, treasury value - min_rr_threshold x PSTR market cap)):
  what can be swapped without the reserve ratio falling under 1.5 (PSTR bought back is not a
  reserve, so a swap of X USD of PUMP lowers the treasury value by X). No tier, cap or safety
  factor inside it.
- share = min(tier share, max_deployment) x safety factor (1; 0.5 under RR 2.0; 0 under 1.5).
- amount = share x capacity, in PUMP units at the consensus price, never more than is held.

Worked example (seed defaults): PUMP $1,000,000, treasury $1,200,000, market cap $400,000
(RR 3.0): capacity $600,000, tier 3 -> $240,000. Market cap $640,000 (RR 1.875, reduced):
capacity $240,000, tier 3 -> $48,000, tier 1 -> $12,000. Market cap $850,000 (RR 1.41): nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from ballast.common.messages import SafetyMode
from ballast.strategy.params import StrategyParams, Tier
from ballast.strategy.reserve import safety_factor

CENT = Decimal("0.01")


def raw_amount(usd: Decimal, price_usd: Decimal, decimals: int) -> int:
    """USD worth of a token at `price_usd`, in its base units, rounded down (never more)."""
    if price_usd <= 0:
        raise ValueError("price must be positive")
    return int((usd / price_usd * Decimal(10) ** decimals).to_integral_value(rounding=ROUND_DOWN))


def intervention_capacity(
    pump_value: Decimal, treasury_value: Decimal, pstr_market_cap: Decimal, params: StrategyParams
) -> Decimal:
    """USD of PUMP that can be swapped keeping the reserve ratio at or above min_rr_threshold."""
    by_reserve = max(Decimal(0), treasury_value - params.min_rr_threshold * pstr_market_cap)
    return min(max(Decimal(0), pump_value), by_reserve)


def deployment_share(tier: Tier, mode: SafetyMode, params: StrategyParams) -> Decimal:
    """The tier's share capped at max_deployment, times the safety factor."""
    return min(tier.share, params.max_deployment) * safety_factor(mode, params)


@dataclass(frozen=True)
class Sizing:
    share: Decimal
    amount_usd: Decimal
    amount_in_raw: int
    reason: str | None = None
    """Why the amount is zero, when it is."""


def size(
    share: Decimal,
    capacity_usd: Decimal | None,
    pump_price: Decimal | None,
    pump_decimals: int,
    pump_held_raw: int,
) -> Sizing:
    """share x capacity, in PUMP base units at the consensus price, never above the PUMP held."""
    if capacity_usd is None or capacity_usd <= 0:
        return Sizing(share, Decimal(0), 0, "capacity: intervention capacity unknown or zero")
    amount_usd = (share * capacity_usd).quantize(CENT, rounding=ROUND_DOWN)
    if pump_price is None or pump_price <= 0:
        return Sizing(share, amount_usd, 0, "capacity: no PUMP price to size the swap")
    raw = min(raw_amount(amount_usd, pump_price, pump_decimals), pump_held_raw)
    if raw <= 0:
        return Sizing(share, amount_usd, 0, "capacity: amount rounds to zero PUMP")
    if raw == pump_held_raw:
        amount_usd = (Decimal(raw).scaleb(-pump_decimals) * pump_price).quantize(
            CENT, rounding=ROUND_DOWN
        )
    return Sizing(share, amount_usd, raw)
