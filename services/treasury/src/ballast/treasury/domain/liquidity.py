"""Liquidity management (PSTR seed section 6, "Liquidity Management").

Pool strategy: the seed's SOL pool (60%, primary trading pair) is the devnet's PUMP/WCORE pool
and its USDC pool (40%, stable value) is PSTR/USDC; both are targets in settings.

Concentration range ±10% around the price, rebalance past 15% from the range centre. The devnet's
pools are Uniswap V2, whose liquidity is spread over the full price range (0, inf): a V2 position
is never out of range. Its equivalent here: the range is a ±10% band around the centre (the pool
price when the position was entered or last rebalanced); "in range" means the pool price is inside
that band. Of a full-range position's value, only `v2_band_share(0.10)` (about 4.89%) backs
trading inside the band, so a V3 position concentrated on ±10% gives the same depth there with
about 1/20.4 of the capital (`v3_capital_efficiency`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ballast.common.messages import LiquidityPosition, LiquidityState
from ballast.strategy.params import StrategyParams
from ballast.strategy.rebalance import liquidity_needs_rebalance, range_bounds

RANGE_WIDTH = StrategyParams().range_width
"""The seed's ±10% (ballast.strategy.params), the default width of the band formulas below."""


def v2_band_share(width: Decimal = RANGE_WIDTH) -> Decimal:
    """Share of a full-range V2 position's value used by trading between p(1-w) and p(1+w).

    Value of the V3 position with the same liquidity L on [pa, pb] over the V2 value 2L sqrt(p):
    1 - (sqrt(pa/p) + sqrt(p/pb)) / 2.
    """
    return 1 - ((1 - width).sqrt() + (1 / (1 + width)).sqrt()) / 2


def v3_capital_efficiency(width: Decimal = RANGE_WIDTH) -> Decimal:
    return 1 / v2_band_share(width)


def impermanent_loss(price_ratio: Decimal) -> Decimal:
    """V2 LP value over holding, minus one, for a price ratio r = p_now / p_entry:
    `2 sqrt(r) / (1 + r) - 1` (<= 0; fees excluded, reported apart)."""
    if price_ratio <= 0:
        raise ValueError("price ratio must be positive")
    return 2 * price_ratio.sqrt() / (1 + price_ratio) - 1


def liquidity_per_lp(reserve0: Decimal, reserve1: Decimal, lp_supply: Decimal) -> Decimal:
    """sqrt(x*y) per LP token: grows only by fees in a V2 pool (swaps keep k, fees raise it)."""
    return (reserve0 * reserve1).sqrt() / lp_supply


def fee_share(entry_liquidity_per_lp: Decimal, now_liquidity_per_lp: Decimal) -> Decimal:
    """Share of today's position value that fees added since entry: 1 - g_entry / g_now."""
    return 1 - entry_liquidity_per_lp / now_liquidity_per_lp


@dataclass(frozen=True)
class PoolReading:
    """One pool as the chain shows it, and the treasury's LP balance in it (amounts in units)."""

    pool: str
    pair: str
    token0: str
    token1: str
    reserve0: Decimal
    reserve1: Decimal
    lp_supply: Decimal
    lp_balance: Decimal
    lp_balance_raw: int


@dataclass(frozen=True)
class PoolEntry:
    """Where the position was entered or last rebalanced (persisted by the service)."""

    centre_price: Decimal
    liquidity_per_lp: Decimal
    entered_at: datetime | None = None
    """When the band started: its identity (one rebalance per band)."""


def position(
    reading: PoolReading,
    entry: PoolEntry,
    prices: dict[str, Decimal | None],
    target_weight: Decimal,
    params: StrategyParams,
) -> tuple[LiquidityPosition, bool]:
    """One position message (actual_weight filled by `build_liquidity`) and its rebalance flag."""
    share = reading.lp_balance / reading.lp_supply if reading.lp_supply > 0 else Decimal(0)
    amount0, amount1 = reading.reserve0 * share, reading.reserve1 * share
    p0, p1 = prices.get(reading.token0), prices.get(reading.token1)
    value = None if p0 is None or p1 is None else amount0 * p0 + amount1 * p1
    pool_price = reading.reserve1 / reading.reserve0 if reading.reserve0 > 0 else None
    centre = entry.centre_price
    lower, upper = range_bounds(centre, params)
    in_range = pool_price is not None and lower <= pool_price <= upper
    il = fees = None
    if pool_price is not None:
        il = impermanent_loss(pool_price / centre)
    if value is not None and reading.lp_supply > 0 and reading.reserve0 * reading.reserve1 > 0:
        now_g = liquidity_per_lp(reading.reserve0, reading.reserve1, reading.lp_supply)
        fees = value * fee_share(entry.liquidity_per_lp, now_g)
    msg = LiquidityPosition(
        pool=reading.pool, pair=reading.pair, lp_balance_raw=reading.lp_balance_raw,
        pool_share=share, amount0=amount0, amount1=amount1, value_usd=value,
        target_weight=target_weight, actual_weight=None, range_lower=lower, range_upper=upper,
        range_centre=centre, in_range=in_range, impermanent_loss=il, fees_earned_usd=fees,
        band_started_at=entry.entered_at,
    )
    held = reading.lp_balance_raw > 0  # no position, nothing to rebalance (an add is due)
    return msg, held and pool_price is not None and liquidity_needs_rebalance(
        pool_price, centre, params)


def build_liquidity(
    items: list[tuple[PoolReading, PoolEntry, Decimal]],
    prices: dict[str, Decimal | None],
    now: datetime,
    params: StrategyParams,
    measured: Sequence[tuple[LiquidityPosition, bool]] = (),
) -> LiquidityState:
    """`liquidity.state`: each V2 (reading, entry, target weight) and each position `measured`
    elsewhere (a V3 pool's, domain/concentrated_liquidity.py) with its rebalance flag; weights,
    in-range share, signal."""
    built = [position(r, e, prices, w, params) for r, e, w in items] + list(measured)
    values = [p.value_usd for p, _ in built]
    total = None if any(v is None for v in values) else sum((v for v in values if v), Decimal(0))
    positions: list[LiquidityPosition] = []
    reasons = [
        f"V2 full range: the ±{params.range_width:.0%} band holds "
        f"{v2_band_share(params.range_width):.4%} of a position's value "
        f"(V3 capital efficiency {v3_capital_efficiency(params.range_width):.1f}x)"
    ]
    in_range_value = Decimal(0)
    for pos, rebalance in built:
        weight = None
        if total and pos.value_usd is not None:
            weight = pos.value_usd / total
            if pos.in_range:
                in_range_value += pos.value_usd
        if rebalance:
            reasons.append(
                f"{pos.pair}: price moved more than "
                f"{params.range_rebalance_distance:.0%} from the range centre"
            )
        if pos.value_usd is None:
            reasons.append(f"{pos.pair}: a token price is missing, value unknown")
        positions.append(pos.model_copy(update={"actual_weight": weight}))
    return LiquidityState(
        computed_at=now,
        positions=positions,
        total_value_usd=total,
        in_range_share=in_range_value / total if total else None,
        rebalance_needed=any(r for _, r in built),
        reasons=reasons,
    )
