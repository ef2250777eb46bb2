"""PSTR seed sections 2, 3 and 5: hand-computed tables for each formula of ballast.strategy."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal as D

import pytest

from ballast.common.messages import SafetyMode
from ballast.strategy import reserve, sizing, tiers
from ballast.strategy.params import SEED_TIERS, StrategyParams, Tier, check

P = StrategyParams()


@pytest.mark.parametrize(
    ("value", "mcap", "expected"),
    [(D(3_000_000), D(1_000_000), D(3)), (D(1_500_000), D(1_000_000), D("1.5")),
     (D(1_000), D(0), None)],
)
def test_reserve_ratio__table__treasury_value_over_market_cap(
    value: D, mcap: D, expected: D | None
) -> None:
    assert reserve.reserve_ratio(value, mcap) == expected


def test_market_cap__supply_times_price__exact() -> None:
    assert reserve.market_cap(D(1_000_000), D("0.85")) == D(850_000)


@pytest.mark.parametrize(
    ("price", "vwap", "expected"),
    [(D(85), D(100), D("0.15")), (D(80), D(100), D("0.20")), (D(70), D(100), D("0.30")),
     (D(110), D(100), D("-0.10")), (D(100), D(100), D(0)), (None, D(100), None),
     (D(1), D(0), None)],
)
def test_drawdown__table__one_minus_price_over_vwap(
    price: D | None, vwap: D, expected: D | None
) -> None:
    assert tiers.drawdown(price, vwap) == expected


@pytest.mark.parametrize(
    ("dd", "tier", "share"),
    [
        (None, 0, D(0)), (D("-0.05"), 0, D(0)), (D("0.1499"), 0, D(0)),
        (D("0.15"), 1, D("0.10")), (D("0.1999"), 1, D("0.10")),
        (D("0.20"), 2, D("0.25")), (D("0.2999"), 2, D("0.25")),
        (D("0.30"), 3, D("0.40")), (D("0.90"), 3, D("0.40")),
    ],
)
def test_tier_for__boundaries_15_20_30__inclusive(dd: D | None, tier: int, share: D) -> None:
    found = tiers.tier_for(dd, P)
    assert (found.level, found.share) == (tier, share)


@pytest.mark.parametrize(
    ("price", "fires"), [(D("84.99"), True), (D(85), False), (D(90), False), (None, False)]
)
def test_triggered__below_85pct_of_vwap__strictly(price: D | None, fires: bool) -> None:
    assert tiers.triggered(price, D(100), P) is fires


@pytest.mark.parametrize(
    ("rr", "mode"),
    [(None, SafetyMode.EMERGENCY_STOP), (D("1.4999"), SafetyMode.EMERGENCY_STOP),
     (D("1.5"), SafetyMode.REDUCED), (D("1.9999"), SafetyMode.REDUCED),
     (D("2.0"), SafetyMode.NORMAL), (D("3.0"), SafetyMode.NORMAL)],
)
def test_safety_mode__rr_boundaries_1_5_and_2_0__mode(rr: D | None, mode: SafetyMode) -> None:
    assert reserve.safety_mode(rr, P) is mode


@pytest.mark.parametrize(
    ("tier", "mode", "share"),
    [
        (SEED_TIERS[0], SafetyMode.NORMAL, D("0.40")),
        (SEED_TIERS[0], SafetyMode.REDUCED, D("0.20")),
        (SEED_TIERS[1], SafetyMode.NORMAL, D("0.25")),
        (SEED_TIERS[0], SafetyMode.EMERGENCY_STOP, D(0)),
    ],
)
def test_deployment_share__tier_and_mode__min_of_tier_and_cap_times_safety(
    tier: Tier, mode: SafetyMode, share: D
) -> None:
    assert sizing.deployment_share(tier, mode, P) == share


def test_deployment_share__tier_above_max_deployment__capped() -> None:
    params = replace(P, max_deployment=D("0.30"))
    assert sizing.deployment_share(SEED_TIERS[0], SafetyMode.NORMAL, params) == D("0.30")


@pytest.mark.parametrize(
    ("pump", "value", "mcap", "expected"),
    [
        # the reserve binds: 1.2M - 1.5 x 400k = 600k < 1M of PUMP
        (D(1_000_000), D(1_200_000), D(400_000), D(600_000)),
        # the PUMP held binds: 3M - 1.5 x 1M = 1.5M > 1M
        (D(1_000_000), D(3_000_000), D(1_000_000), D(1_000_000)),
        # under the floor: no headroom at all
        (D(1_000_000), D(1_200_000), D(850_000), D(0)),
    ],
)
def test_intervention_capacity__table__min_of_pump_and_reserve_headroom(
    pump: D, value: D, mcap: D, expected: D
) -> None:
    assert sizing.intervention_capacity(pump, value, mcap, P) == expected


def _amount_usd(mcap: D, tier: Tier | None) -> D:
    """The issue's worked examples: PUMP $1,000,000 at $1, treasury $1,200,000."""
    pump, value = D(1_000_000), D(1_200_000)
    rr = reserve.reserve_ratio(value, mcap)
    mode = reserve.safety_mode(rr, P)
    capacity = sizing.intervention_capacity(pump, value, mcap, P)
    share = sizing.deployment_share(tier, mode, P) if tier else D(0)
    return sizing.size(share, capacity, D(1), 18, 10**30).amount_usd


@pytest.mark.parametrize(
    ("mcap", "tier", "amount"),
    [
        (D(400_000), SEED_TIERS[0], D(240_000)),  # RR 3.0: capacity 600k, tier 3 -> 40%
        (D(640_000), SEED_TIERS[0], D(48_000)),  # RR 1.875 reduced: 240k x 40% x 0.5
        (D(640_000), SEED_TIERS[2], D(12_000)),  # 240k x 10% x 0.5
        (D(850_000), SEED_TIERS[0], D(0)),  # RR 1.41: emergency stop
    ],
)
def test_size__worked_examples_of_the_issue__each_rule_once(
    mcap: D, tier: Tier, amount: D
) -> None:
    assert _amount_usd(mcap, tier) == amount


def test_size__amount_above_pump_held__capped_at_holding_and_revalued() -> None:
    sized = sizing.size(D("0.40"), D(1_000_000), D(2), 18, 5 * 10**18)
    assert sized.amount_in_raw == 5 * 10**18
    assert sized.amount_usd == D(10)


def test_size__no_price__zero_with_reason() -> None:
    sized = sizing.size(D("0.40"), D(1_000_000), None, 18, 10**30)
    assert sized.amount_in_raw == 0 and sized.reason is not None


@pytest.mark.parametrize(
    ("part", "total", "expected"),
    [(D(2_400_000), D(3_000_000), D("0.8")), (D(0), D(10), D(0)), (D(1), D(0), None)],
)
def test_concentration__table__part_over_total(part: D, total: D, expected: D | None) -> None:
    assert reserve.concentration(part, total) == expected


def test_check__seed_defaults__consistent() -> None:
    assert check(P) == []


def test_check__trigger_disagrees_with_tier_1__one_line_naming_both() -> None:
    errors = check(replace(P, trigger_threshold=D("0.80")))
    assert len(errors) == 1
    assert "trigger_threshold 0.80" in errors[0] and "tier 1 starts at 15%" in errors[0]


def test_check__trigger_moved_with_its_tier__consistent() -> None:
    moved = (Tier(3, D("0.30"), D("0.40")), Tier(2, D("0.25"), D("0.25")),
             Tier(1, D("0.20"), D("0.10")))
    assert check(replace(P, trigger_threshold=D("0.80"), tiers=moved)) == []


def test_fingerprint__one_key_differs__differs() -> None:
    assert P.fingerprint() == StrategyParams().fingerprint()
    assert P.fingerprint() != replace(P, cooldown_hours=D(47)).fingerprint()
