"""ballast.strategy.liquidity: budgets, router amounts and the balancing swap."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ballast.strategy.liquidity import (
    Swap,
    balancing_swap,
    optimal_amounts,
    pool_budgets_usd,
    removed_amounts,
)
from ballast.strategy.params import StrategyParams
from ballast.strategy.sizing import raw_amount


def test_pool_budgets__seed_defaults__60k_and_40k_of_1m_capital() -> None:
    budgets = pool_budgets_usd(("PUMP-WCORE", "PSTR-USDC"), StrategyParams())
    assert budgets == {"PUMP-WCORE": Decimal(60_000), "PSTR-USDC": Decimal(40_000)}


def test_pool_budgets__three_pools_for_two_weights__refused() -> None:
    with pytest.raises(ValueError, match="3 pools for 2"):
        pool_budgets_usd(("a", "b", "c"), StrategyParams())


def test_optimal_amounts__token1_short__token0_scaled_down() -> None:
    assert optimal_amounts(100, 300, 1_000, 2_000) == (100, 200)
    assert optimal_amounts(100, 150, 1_000, 2_000) == (75, 150)


def test_removed_amounts__tenth_of_supply__tenth_of_reserves() -> None:
    assert removed_amounts(10, 100, 1_000, 2_000) == (100, 200)
    assert removed_amounts(10, 0, 1_000, 2_000) == (0, 0)


def test_balancing_swap__amounts_at_pool_ratio__none() -> None:
    assert balancing_swap(100, 200, 1_000, 2_000) is None


def test_balancing_swap__all_token0__half_of_it_swapped() -> None:
    assert balancing_swap(1_000, 0, 1_000, 2_000) == Swap(0, 500)


def test_balancing_swap__token1_heavy__half_the_excess_of_token1() -> None:
    # value0 = 100 x 2 = 200 token1, value1 = 600: swap (600 - 200) / 2 = 200 token1
    assert balancing_swap(100, 600, 1_000, 2_000) == Swap(1, 200)


def test_raw_amount__30k_usd_of_pump_at_half_a_dollar__60k_pump_in_wei() -> None:
    assert raw_amount(Decimal(30_000), Decimal("0.5"), 18) == 60_000 * 10**18
