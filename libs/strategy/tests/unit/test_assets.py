"""ballast.strategy.assets: the CORE/BTC drift, the 10% bound and the trade back to target."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ballast.strategy.assets import (
    Asset,
    drift,
    drift_bps,
    plan,
    rebalancing_swap,
    recall_for_swap,
    to_raw,
    value_usd,
)
from ballast.strategy.basket import AssetBook
from ballast.strategy.params import StrategyParams

D = Decimal
P = StrategyParams()
E18, E8 = 10**18, 10**8
PRICES = (D("1.20"), D(65_000))


def test_drift__on_target__zero() -> None:
    assert drift(D(60), D(40), 6_000) == 0
    assert drift(D(0), D(0), 6_000) == 0


def test_drift__core_overweight__positive_share_points() -> None:
    assert drift(D(75), D(25), 6_000) == D("0.15")
    assert drift_bps(D(45), D(55), 6_000) == 1_500


def test_rebalancing_swap__within_the_seeds_10pct__nothing() -> None:
    assert rebalancing_swap(D(70), D(30), 6_000, P) is None  # exactly 10%: not past it
    assert rebalancing_swap(D(51), D(49), 6_000, P) is None


def test_rebalancing_swap__btc_overweight_past_10pct__sells_btc_back_to_target() -> None:
    swap = rebalancing_swap(D(40_000), D(60_000), 6_000, P)
    assert swap is not None
    assert swap.sell is Asset.CORE_BTC and swap.amount_usd == D(20_000)
    assert swap.drift == D("-0.2")
    # after the trade (fee aside) the split is on target
    assert drift(D(40_000) + swap.amount_usd, D(60_000) - swap.amount_usd, 6_000) == 0


def test_rebalancing_swap__threshold_is_the_shared_param() -> None:
    loose = StrategyParams(etf_rebalance_deviation=D("0.25"))
    assert rebalancing_swap(D(40_000), D(60_000), 6_000, loose) is None


def test_value_usd__held_plus_staked__queue_money_excluded() -> None:
    book = AssetBook(balance=3 * E18, owed=1 * E18, staked=8 * E18)
    assert value_usd(book, D("1.20"), 18) == D("12.00")
    short = AssetBook(balance=1 * E18, owed=3 * E18, staked=8 * E18)  # paid from the stake
    assert value_usd(short, D("1.20"), 18) == D("7.20")


def test_to_raw__rounds_down_in_base_units() -> None:
    assert to_raw(D(65_000), D(65_000), 8) == E8
    assert to_raw(D(1), D(3), 8) == 33_333_333
    with pytest.raises(ValueError, match="positive"):
        to_raw(D(1), D(0), 8)


def test_recall_for_swap__free_covers_sale_and_buffer__nothing() -> None:
    # sell 100 of free 500, stake 1000: left 1400, buffer 140, free after 400
    assert recall_for_swap(AssetBook(balance=500, owed=0, staked=1_000), 100) == 0


def test_recall_for_swap__free_short__recall_the_sale_plus_the_buffer_left() -> None:
    # sell 600, free 100, stake 900: left 400, buffer 40 -> recall 600 + 40 - 100
    assert recall_for_swap(AssetBook(balance=100, owed=0, staked=900), 600) == 540


def test_recall_for_swap__queue_owed_more_than_held__shortfall_recalled_too() -> None:
    # holds 3,000, owes 8,000: the first 5,000 back pay the queue; sell 4,000 of what is left
    # (3,000 - 8,000 + 27,000 - 4,000 = 18,000, buffer 1,800)
    book = AssetBook(balance=3_000, owed=8_000, staked=27_000)
    assert recall_for_swap(book, 4_000) == 5_000 + 4_000 + 1_800


def test_recall_for_swap__more_than_staked__capped() -> None:
    assert recall_for_swap(AssetBook(balance=0, owed=0, staked=50), 600) == 50


def test_plan__large_btc_deposit__btc_sold_from_free_liquidity_no_recall() -> None:
    # the devnet's 60/40 basket ($12,000 CORE, $8,000 BTC) after a 1 BTC deposit
    core = AssetBook(balance=2_000 * E18, owed=0, staked=8_000 * E18)
    btc = AssetBook(balance=2_461_538 + E8, owed=0, staked=9_846_153)
    p = plan(core, btc, PRICES, 6_000, P)
    assert p is not None and p.sell is Asset.CORE_BTC and p.recall_raw == 0
    total = D(12_000) + value_usd(btc, PRICES[1], 8)
    expected = to_raw(total * D("0.6") - D(12_000), PRICES[1], 8)
    assert abs(p.swap_raw - expected) <= 1
    assert p.drift < -D("0.1")


def test_plan__core_overweight_mostly_staked__recalled_first() -> None:
    core = AssetBook(balance=1_000 * E18, owed=0, staked=99_000 * E18)  # $120,000
    btc = AssetBook(balance=0, owed=0, staked=E8)  # $65,000 -> CORE 64.9% vs 30%
    p = plan(core, btc, PRICES, 3_000, P)
    assert p is not None and p.sell is Asset.CORE
    assert p.recall_raw == recall_for_swap(core, p.swap_raw)
    assert p.recall_raw > p.swap_raw - 1_000 * E18  # the buffer of what is left stays liquid


def test_plan__on_target__none() -> None:
    core = AssetBook(balance=0, owed=0, staked=10_000 * E18)
    btc = AssetBook(balance=0, owed=0, staked=12_307_692)
    assert plan(core, btc, PRICES, 6_000, P) is None
