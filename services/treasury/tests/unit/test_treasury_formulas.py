"""PSTR seed sections 2 and 5: hand-computed tables for each treasury formula."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from ballast.common.messages import SafetyMode
from ballast.treasury.domain import treasury as f
from ballast.treasury.domain.params import StrategyParams

pytestmark = pytest.mark.unit
P = StrategyParams()
CENT = D("0.01")


@pytest.mark.parametrize(
    ("capital", "allocation", "period", "expected"),
    [
        # seed defaults: 1,000,000 x 0.90 / 365 = 900,000 / 365 = 2,465.75 per day
        (D(1_000_000), D("0.90"), 365, D("2465.75")),
        (D(365_000), D(1), 365, D("1000.00")),
        (D(1_000_000), D("0.90"), 30, D("30000.00")),
    ],
)
def test_daily_budget__seed_formula__capital_times_allocation_over_period(
    capital: D, allocation: D, period: int, expected: D
) -> None:
    assert f.daily_budget(capital, allocation, period).quantize(CENT) == expected


def test_hourly_accumulation__seed_defaults__a_24th_of_2465_75() -> None:
    daily = f.daily_budget(D(1_000_000), D("0.90"), 365)
    # 2,465.7534 / 24 = 102.7397
    assert f.hourly_accumulation(daily, SafetyMode.NORMAL).quantize(CENT) == D("102.74")
    assert f.hourly_accumulation(D(2400), SafetyMode.REDUCED) == D(100)


def test_hourly_accumulation__emergency_stop__nothing() -> None:
    assert f.hourly_accumulation(D(2400), SafetyMode.EMERGENCY_STOP) == 0


@pytest.mark.parametrize(
    ("value", "mcap", "expected"),
    [(D(3_000_000), D(1_000_000), D(3)), (D(1_500_000), D(1_000_000), D("1.5")),
     (D(1_000), D(0), None)],
)
def test_reserve_ratio__table__treasury_value_over_market_cap(
    value: D, mcap: D, expected: D | None
) -> None:
    assert f.reserve_ratio(value, mcap) == expected


def test_market_cap__supply_times_price__exact() -> None:
    assert f.market_cap(D(1_000_000), D("0.85")) == D(850_000)


@pytest.mark.parametrize(
    ("price", "vwap", "expected"),
    [(D(85), D(100), D("0.15")), (D(80), D(100), D("0.20")), (D(70), D(100), D("0.30")),
     (D(110), D(100), D("-0.10")), (D(100), D(100), D(0))],
)
def test_drawdown__table__one_minus_price_over_vwap(price: D, vwap: D, expected: D) -> None:
    assert f.drawdown(price, vwap) == expected


@pytest.mark.parametrize(
    ("dd", "tier", "share"),
    [
        (None, 0, D(0)),
        (D("-0.05"), 0, D(0)),
        (D("0.1499"), 0, D(0)),
        (D("0.15"), 1, D("0.10")),
        (D("0.1999"), 1, D("0.10")),
        (D("0.20"), 2, D("0.25")),
        (D("0.2999"), 2, D("0.25")),
        (D("0.30"), 3, D("0.40")),
        (D("0.90"), 3, D("0.40")),
    ],
)
def test_deployment_tier__boundaries_15_20_30__inclusive(
    dd: D | None, tier: int, share: D
) -> None:
    assert f.deployment_tier(dd) == f.Tier(tier, share)


@pytest.mark.parametrize(("price", "tier"), [(D(85), 1), (D(80), 2), (D(70), 3), (D("85.01"), 0)])
def test_deployment_tier__price_exactly_at_boundary_of_vwap_100__tier(price: D, tier: int) -> None:
    assert f.deployment_tier(f.drawdown(price, D(100))).tier == tier


@pytest.mark.parametrize(
    ("rr", "mode"),
    [
        (None, SafetyMode.EMERGENCY_STOP),
        (D("1.4999"), SafetyMode.EMERGENCY_STOP),
        (D("1.5"), SafetyMode.REDUCED),
        (D("1.9999"), SafetyMode.REDUCED),
        (D("2.0"), SafetyMode.NORMAL),
        (D("3.0"), SafetyMode.NORMAL),
    ],
)
def test_safety_mode__rr_boundaries_1_5_and_2_0__mode(rr: D | None, mode: SafetyMode) -> None:
    assert f.safety_mode(rr, P) is mode


@pytest.mark.parametrize(
    ("tier", "mode", "share"),
    [
        (f.Tier(3, D("0.40")), SafetyMode.NORMAL, D("0.40")),
        (f.Tier(3, D("0.40")), SafetyMode.REDUCED, D("0.20")),
        (f.Tier(2, D("0.25")), SafetyMode.NORMAL, D("0.25")),
        (f.Tier(3, D("0.40")), SafetyMode.EMERGENCY_STOP, D(0)),
    ],
)
def test_deployment_share__tier_and_mode__share(tier: f.Tier, mode: SafetyMode, share: D) -> None:
    assert f.deployment_share(tier, mode, P) == share


def test_deployment_share__tier_above_max_deployment__capped() -> None:
    params = StrategyParams(max_deployment=D("0.30"))
    assert f.deployment_share(f.Tier(3, D("0.40")), SafetyMode.NORMAL, params) == D("0.30")


@pytest.mark.parametrize(
    ("pump", "value", "mcap", "mode", "expected"),
    [
        # 40% of 2.4M PUMP = 0.96M; 3M - 1.5 x 1M = 1.5M of reserve headroom -> 0.96M
        (D(2_400_000), D(3_000_000), D(1_000_000), SafetyMode.NORMAL, D(960_000)),
        # 3M - 1.5 x 1.5M = 0.75M binds before 0.96M
        (D(2_400_000), D(3_000_000), D(1_500_000), SafetyMode.NORMAL, D(750_000)),
        # RR 1.875 (reduced): 3M - 1.5 x 1.6M = 0.6M, halved -> 0.3M
        (D(2_400_000), D(3_000_000), D(1_600_000), SafetyMode.REDUCED, D(300_000)),
        (D(2_400_000), D(3_000_000), D(2_100_000), SafetyMode.EMERGENCY_STOP, D(0)),
        # reserve below the floor: no headroom at all
        (D(2_400_000), D(3_000_000), D(2_500_000), SafetyMode.REDUCED, D(0)),
    ],
)
def test_intervention_capacity__table__min_of_size_and_reserve_headroom_times_mode(
    pump: D, value: D, mcap: D, mode: SafetyMode, expected: D
) -> None:
    assert f.intervention_capacity(pump, value, mcap, mode, P) == expected


@pytest.mark.parametrize(
    ("part", "total", "expected"),
    [(D(2_400_000), D(3_000_000), D("0.8")), (D(0), D(10), D(0)), (D(1), D(0), None)],
)
def test_concentration__table__part_over_total(part: D, total: D, expected: D | None) -> None:
    assert f.concentration(part, total) == expected
