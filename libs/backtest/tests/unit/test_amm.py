from __future__ import annotations

from decimal import Decimal

from ballast.backtest.amm import Impact, Pool, amount_out, centred_pool, half_life_factor

E18 = 10**18


def test_amount_out__uniswap_v2_formula__fee_taken_on_the_way_in() -> None:
    # 1,000 in against 100,000 / 100,000 at 0.3%: 997 x 100000 / (100000 + 997)
    out = amount_out(1_000 * E18, 100_000 * E18, 100_000 * E18, 30)
    assert out == 997 * E18 * 100_000 * E18 // (100_000 * E18 + 997 * E18)
    assert amount_out(0, 10, 10, 30) == 0
    assert amount_out(10, 0, 10, 30) == 0


def test_pool_swap__buying__raises_the_price_and_keeps_k() -> None:
    pool = Pool(2_000_000 * E18, 1_000_000 * E18, 18, 18, 30)
    out, after = pool.swap(100_000 * E18)
    assert after.reserve_in == pool.reserve_in + 100_000 * E18
    assert after.reserve_out == pool.reserve_out - out
    assert after.price() > pool.price() == 2
    assert after.reserve_in * after.reserve_out >= pool.reserve_in * pool.reserve_out


def test_centred_pool__liquidity_and_price__reserves_match() -> None:
    pool = centred_pool(Decimal(1_000_000), Decimal(4), 18, 18, 30)
    assert pool.price().quantize(Decimal("0.000001")) == 4
    assert pool.reserve_in == 2_000_000 * E18 and pool.reserve_out == 500_000 * E18


def test_impact__one_half_life__halves_the_excess() -> None:
    impact = Impact(half_life_factor(Decimal(60)))
    impact.apply(Decimal(3))
    impact.decay(60)
    assert abs(impact.multiplier - 2) < Decimal("1e-20")
    impact.decay(60 * 100)
    assert impact.multiplier == 1


def test_impact__zero_half_life__no_memory() -> None:
    impact = Impact(half_life_factor(Decimal(0)))
    impact.apply(Decimal(5))
    impact.decay()
    assert impact.multiplier == 1
