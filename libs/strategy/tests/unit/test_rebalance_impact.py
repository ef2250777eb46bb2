"""Rebalance thresholds (PSTR seed 6, StakeBasket seed) and intervention impact (seed 3 step 5)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from ballast.strategy import impact, rebalance
from ballast.strategy.params import StrategyParams

P = StrategyParams()
T0 = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(("bps", "needed"), [(1000, False), (1001, True), (0, False)])
def test_etf_needs_rebalance__over_10pct__strictly(bps: int, needed: bool) -> None:
    assert rebalance.etf_needs_rebalance(bps, P) is needed


@pytest.mark.parametrize(
    ("price", "needed"), [(D("1.15"), False), (D("1.1501"), True), (D("0.8499"), True)]
)
def test_liquidity_needs_rebalance__past_15pct_from_centre(price: D, needed: bool) -> None:
    assert rebalance.liquidity_needs_rebalance(price, D(1), P) is needed


def test_range_bounds__centre_1__plus_minus_10pct() -> None:
    assert rebalance.range_bounds(D(1), P) == (D("0.90"), D("1.10"))


def test_impact__price_recovers__positive_roi_and_impact() -> None:
    prices = [(T0, D("0.70")), (T0 + timedelta(minutes=1), D("0.72")),
              (T0 + timedelta(hours=24), D("0.84"))]
    got = impact.impact(D("0.70"), D(7_000), D(10_000), T0, prices, timedelta(hours=24),
                        T0 + timedelta(days=2))
    assert got.price_after == D("0.72")
    assert got.price_impact is not None and got.price_impact.quantize(D("0.0001")) == D("0.0286")
    assert got.roi == D("0.2")  # 10,000 PSTR x 0.84 / 7,000 - 1


def test_impact__horizon_not_reached__roi_unknown() -> None:
    got = impact.impact(D("0.70"), D(7_000), D(10_000), T0, [(T0, D("0.70"))],
                        timedelta(hours=24), T0 + timedelta(hours=1))
    assert got.roi is None and got.price_after is None
