"""Concentrated liquidity (Uniswap V3) as numbers: the seed's ±`range_width` band as ticks, the
amounts of a position, when it is in range and when to rebalance it (PSTR seed 6; issue #18).

Prices here are the pool's own: raw token1 per raw token0 (decimals not applied), so a tick `t`
is the price 1.0001^t and the pool's `sqrtPriceX96` is sqrt(price) x 2^96 (REFERENCE.md "Uniswap
V3"; the V3 whitepaper, sections 6.1-6.3 for the amounts of a position).

- The band: `range_bounds(centre)` (0.9 x centre, 1.1 x centre) widened outwards to the pool's
  tick spacing, so it always covers at least ±10%.
- Its centre: the middle of its two prices (for a band built here, the price it was built at, up
  to the tick rounding), which `liquidity_needs_rebalance` compares the price with (15%).
- In range: the pool's convention, tickLower <= tick < tickUpper (only then does it earn fees).
- Amounts: a position's liquidity L holds (L x (1/sqrt(P) - 1/sqrt(Pb)), L x (sqrt(P) - sqrt(Pa)))
  between Pa and Pb at the current P; outside the band it is all one token.
- Balancing before a mint: swap so the two holdings are in the ratio the band takes at the pool
  price (`balancing_swap`), priced at the spot price; what the swap's fee and impact leave over
  stays in the treasury (the mint takes what fits, the rest is not lost).
"""

from __future__ import annotations

import math
from decimal import ROUND_DOWN, Context, Decimal, localcontext

from ballast.strategy.liquidity import BALANCE_TOLERANCE, Swap
from ballast.strategy.params import StrategyParams
from ballast.strategy.rebalance import liquidity_needs_rebalance, range_bounds

Q96 = 2**96
MIN_TICK, MAX_TICK = -887272, 887272
"""The pool's tick bounds (prices 2^-128 .. 2^128)."""
TICK_BASE = Decimal("1.0001")
FEE_UNITS = 1_000_000
"""A V3 pool's fee is in millionths (3000 = 0.30%)."""
PRECISION = Context(prec=60)


def price_at_tick(tick: int) -> Decimal:
    with localcontext(PRECISION):
        return TICK_BASE**tick


def tick_at_price(price: Decimal) -> int:
    """The greatest tick whose price is at most `price`."""
    if price <= 0:
        raise ValueError("a price must be positive")
    with localcontext(PRECISION):
        tick = math.floor(price.ln() / TICK_BASE.ln())
        # guard the floor against the last digit of the logarithms
        while price_at_tick(tick + 1) <= price:
            tick += 1
        while price_at_tick(tick) > price:
            tick -= 1
        return tick


def sqrt_ratio_at_tick(tick: int) -> int:
    """sqrt(1.0001^tick) x 2^96, rounded down (the pool's TickMath to within a unit or two)."""
    with localcontext(PRECISION):
        return int((price_at_tick(tick).sqrt() * Q96).to_integral_value(rounding=ROUND_DOWN))


def price_of_sqrt(sqrt_price_x96: int) -> Decimal:
    """The pool price (raw token1 per raw token0) of a `sqrtPriceX96`."""
    with localcontext(PRECISION):
        return (Decimal(sqrt_price_x96) / Q96) ** 2


def band_ticks(
    centre: Decimal, spacing: int, params: StrategyParams | None = None
) -> tuple[int, int]:
    """(tickLower, tickUpper) of the ±range_width band around `centre`, widened outwards to
    multiples of `spacing` and kept inside the usable ticks."""
    if spacing <= 0:
        raise ValueError("tick spacing must be positive")
    low, high = range_bounds(centre, params or StrategyParams())
    top = tick_at_price(high)
    if price_at_tick(top) < high:
        top += 1  # the least tick at or above the band's top price
    lower = (tick_at_price(low) // spacing) * spacing
    upper = -(-top // spacing) * spacing
    lowest, highest = -(MAX_TICK // spacing) * spacing, (MAX_TICK // spacing) * spacing
    lower, upper = max(lower, lowest), min(upper, highest)
    if lower >= upper:
        raise ValueError(f"an empty band ({lower}, {upper})")
    return lower, upper


def band_centre(lower: int, upper: int) -> Decimal:
    """The middle of the band's two prices."""
    with localcontext(PRECISION):
        return (price_at_tick(lower) + price_at_tick(upper)) / 2


def in_range(tick: int, lower: int, upper: int) -> bool:
    return lower <= tick < upper


def needs_rebalance(
    price: Decimal, lower: int, upper: int, params: StrategyParams | None = None
) -> bool:
    """Seed 6: the price is more than range_rebalance_distance from the band's centre."""
    return liquidity_needs_rebalance(price, band_centre(lower, upper), params or StrategyParams())


def _liquidity0(amount0: int, sqrt_a: int, sqrt_b: int) -> int:
    return amount0 * sqrt_a * sqrt_b // Q96 // (sqrt_b - sqrt_a)


def _liquidity1(amount1: int, sqrt_a: int, sqrt_b: int) -> int:
    return amount1 * Q96 // (sqrt_b - sqrt_a)


def liquidity_for_amounts(
    sqrt_price: int, sqrt_a: int, sqrt_b: int, amount0: int, amount1: int
) -> int:
    """The most liquidity (amount0, amount1) can fund between the two sqrt prices (sqrt_a <
    sqrt_b) at `sqrt_price`: what a mint of those desired amounts gets."""
    if not sqrt_a < sqrt_b:
        raise ValueError("sqrt_a must be below sqrt_b")
    if sqrt_price <= sqrt_a:
        return _liquidity0(amount0, sqrt_a, sqrt_b)
    if sqrt_price >= sqrt_b:
        return _liquidity1(amount1, sqrt_a, sqrt_b)
    return min(_liquidity0(amount0, sqrt_price, sqrt_b), _liquidity1(amount1, sqrt_a, sqrt_price))


def amounts_for_liquidity(
    sqrt_price: int, sqrt_a: int, sqrt_b: int, liquidity: int
) -> tuple[int, int]:
    """(amount0, amount1) a position of `liquidity` holds at `sqrt_price` (rounded down: what a
    full withdrawal returns, before fees)."""
    if not sqrt_a < sqrt_b:
        raise ValueError("sqrt_a must be below sqrt_b")
    p = min(max(sqrt_price, sqrt_a), sqrt_b)
    amount0 = liquidity * Q96 * (sqrt_b - p) // sqrt_b // p
    amount1 = liquidity * (p - sqrt_a) // Q96
    return amount0, amount1


def spot_out(amount_in: int, index_in: int, sqrt_price: int, fee: int) -> int:
    """What `amount_in` of token `index_in` buys at the spot price less the pool fee (an upper
    bound of a real swap: the impact only lowers it)."""
    with localcontext(PRECISION):
        net = Decimal(amount_in) * (FEE_UNITS - fee) / FEE_UNITS
        price = price_of_sqrt(sqrt_price)
        out = net * price if index_in == 0 else net / price
        return int(out.to_integral_value(rounding=ROUND_DOWN))


def token0_share(sqrt_price: int, sqrt_a: int, sqrt_b: int) -> Decimal:
    """The share of a position's value (in token1 at the pool price) held in token0."""
    unit0, unit1 = amounts_for_liquidity(sqrt_price, sqrt_a, sqrt_b, 10**30)
    with localcontext(PRECISION):
        value0 = unit0 * price_of_sqrt(sqrt_price)
        total = value0 + unit1
        return value0 / total if total else Decimal(0)


def balancing_swap(
    amount0: int,
    amount1: int,
    sqrt_price: int,
    sqrt_a: int,
    sqrt_b: int,
    tolerance: Decimal = BALANCE_TOLERANCE,
) -> Swap | None:
    """The swap that leaves (amount0, amount1) in the ratio the band takes at `sqrt_price`, or
    None when they are within `tolerance` of the holdings' value."""
    with localcontext(PRECISION):
        price = price_of_sqrt(sqrt_price)
        value0 = amount0 * price
        total = value0 + amount1
        if total == 0:
            return None
        excess = value0 - token0_share(sqrt_price, sqrt_a, sqrt_b) * total  # in token1
        if abs(excess) / total <= tolerance:
            return None
        if excess > 0:
            return Swap(0, int((excess / price).to_integral_value(rounding=ROUND_DOWN)))
        return Swap(1, int((-excess).to_integral_value(rounding=ROUND_DOWN)))
