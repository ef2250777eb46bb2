"""Concentrated liquidity maths: the ±10% band as ticks, position amounts, in range, rebalance."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ballast.strategy.concentrated import (
    Q96,
    amounts_for_liquidity,
    balancing_swap,
    band_centre,
    band_ticks,
    in_range,
    liquidity_for_amounts,
    needs_rebalance,
    price_at_tick,
    price_of_sqrt,
    spot_out,
    sqrt_ratio_at_tick,
    tick_at_price,
    token0_share,
)
from ballast.strategy.params import StrategyParams

PARAMS = StrategyParams()
USDC_PER_PSTR_RAW = Decimal("1e-12")  # $1 PSTR (18 decimals) in USDC (6 decimals)


def test_tick_at_price__known_points__floor_of_the_log() -> None:
    assert tick_at_price(Decimal(1)) == 0
    assert tick_at_price(Decimal("1.0001")) == 1
    assert tick_at_price(Decimal("1.00009")) == 0
    assert tick_at_price(Decimal("0.9999")) == -2  # 1.0001^-1 = 0.99990001 > 0.9999
    assert tick_at_price(USDC_PER_PSTR_RAW) == -276325


def test_sqrt_ratio_at_tick__the_pools_constants__equal_to_a_unit() -> None:
    assert sqrt_ratio_at_tick(0) == Q96
    # TickMath.MIN_SQRT_RATIO and MAX_SQRT_RATIO (the ticks' ends)
    assert abs(sqrt_ratio_at_tick(-887272) - 4295128739) <= 1
    max_ratio = 1461446703485210103287273052203988822378723970342
    assert abs(sqrt_ratio_at_tick(887272) - max_ratio) / max_ratio < Decimal("1e-18")


@pytest.mark.parametrize("centre", [Decimal(1), USDC_PER_PSTR_RAW, Decimal("2000.5")])
@pytest.mark.parametrize("spacing", [1, 10, 60, 200])
def test_band_ticks__any_centre__aligned_and_covering_plus_minus_ten_percent(
    centre: Decimal, spacing: int
) -> None:
    lower, upper = band_ticks(centre, spacing, PARAMS)
    assert lower % spacing == 0 and upper % spacing == 0
    assert price_at_tick(lower) <= centre * (1 - PARAMS.range_width)
    assert price_at_tick(upper) >= centre * (1 + PARAMS.range_width)
    # no wider than one spacing on each side
    assert price_at_tick(lower + spacing) > centre * (1 - PARAMS.range_width)
    assert price_at_tick(upper - spacing) < centre * (1 + PARAMS.range_width)
    # the tick rounding moves the centre by less than one spacing of price
    assert abs(band_centre(lower, upper) / centre - 1) < Decimal(spacing) / 10_000


def test_in_range__the_pools_convention__lower_inclusive_upper_exclusive() -> None:
    assert in_range(-60, -60, 60)
    assert in_range(59, -60, 60)
    assert not in_range(60, -60, 60)
    assert not in_range(-61, -60, 60)


def test_needs_rebalance__moves_around_the_band_centre__only_beyond_fifteen_percent() -> None:
    lower, upper = band_ticks(Decimal(1), 1, PARAMS)
    centre = band_centre(lower, upper)
    assert not needs_rebalance(centre * Decimal("1.14"), lower, upper, PARAMS)
    assert not needs_rebalance(centre * Decimal("0.86"), lower, upper, PARAMS)
    assert needs_rebalance(centre * Decimal("1.16"), lower, upper, PARAMS)
    assert needs_rebalance(centre * Decimal("0.84"), lower, upper, PARAMS)


def test_amounts__in_range__liquidity_round_trips_to_the_limiting_amounts() -> None:
    lower, upper = band_ticks(Decimal(1), 60, PARAMS)
    a, b, p = sqrt_ratio_at_tick(lower), sqrt_ratio_at_tick(upper), Q96
    liquidity = liquidity_for_amounts(p, a, b, 10**24, 10**24)
    amount0, amount1 = amounts_for_liquidity(p, a, b, liquidity)
    assert amount0 <= 10**24 and amount1 <= 10**24
    assert max(amount0, amount1) > 10**24 - 10**24 // 10**9  # the limiting one, to rounding
    # ±10% is not symmetric in log price (1.1 x 0.9 < 1): a little less of the value in token0
    # (1 - 1/sqrt(1.1) against 1 - sqrt(0.9): 47.5%)
    assert Decimal("0.46") < token0_share(p, a, b) < Decimal("0.49")


def test_amounts__outside_the_band__all_in_one_token() -> None:
    a, b = sqrt_ratio_at_tick(-600), sqrt_ratio_at_tick(600)
    below, above = sqrt_ratio_at_tick(-1200), sqrt_ratio_at_tick(1200)
    assert amounts_for_liquidity(below, a, b, 10**20)[1] == 0
    assert amounts_for_liquidity(above, a, b, 10**20)[0] == 0
    assert liquidity_for_amounts(below, a, b, 10**18, 0) > 0
    assert liquidity_for_amounts(above, a, b, 0, 10**18) > 0
    assert token0_share(below, a, b) == 1 and token0_share(above, a, b) == 0


def test_balancing_swap__one_sided_funding__swaps_about_half_into_the_other() -> None:
    lower, upper = band_ticks(Decimal(1), 60, PARAMS)
    a, b, p = sqrt_ratio_at_tick(lower), sqrt_ratio_at_tick(upper), Q96
    swap = balancing_swap(10**24, 0, p, a, b)
    assert swap is not None and swap.index_in == 0
    share = token0_share(p, a, b)  # 47.5%: what is left of token0 after the swap
    assert abs(Decimal(swap.amount_in) / 10**24 - (1 - share)) < Decimal("1e-9")
    swap = balancing_swap(0, 10**24, p, a, b)
    assert swap is not None and swap.index_in == 1
    assert abs(Decimal(swap.amount_in) / 10**24 - share) < Decimal("1e-9")
    # what a position of the band holds is balanced
    held = amounts_for_liquidity(p, a, b, 10**24)
    assert balancing_swap(*held, p, a, b) is None


def test_balancing_swap__price_moved_up__the_target_follows_the_pool_price() -> None:
    lower, upper = band_ticks(Decimal(4), 60, PARAMS)
    a, b, p = sqrt_ratio_at_tick(lower), sqrt_ratio_at_tick(upper), 2 * Q96
    assert abs(price_of_sqrt(p) - 4) < Decimal("1e-30")
    held0, held1 = amounts_for_liquidity(p, a, b, 10**24)
    assert balancing_swap(held0, held1, p, a, b) is None
    assert abs(Decimal(held1) / held0 / 4 - 1) < Decimal("0.15")  # near equal value at 4:1
    # 1 token0 is worth 4 token1: (1e24, 1e24) is short of token1
    swap = balancing_swap(10**24, 10**24, p, a, b)
    assert swap is not None and swap.index_in == 0


def test_spot_out__fee_and_price__applied_in_either_direction() -> None:
    p = 2 * Q96  # price 4
    assert spot_out(10**18, 0, p, 3000) == 4 * 10**18 * 997 // 1000
    assert spot_out(4 * 10**18, 1, p, 3000) == 10**18 * 997 // 1000
