"""PSTR seed section 4: the health score, its five levels and the input normalisation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from ballast.common.messages import ConsensusPrice, ConsensusStatus, HealthLevel, SafetyMode
from ballast.strategy import health as h
from ballast.strategy.params import StrategyParams
from ballast.treasury.domain.state import ChainSnapshot, TokenBalance, build_state

P = StrategyParams()
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
Q = D("0.000001")


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (D("2.0"), HealthLevel.EXCELLENT),
        (D("1.5"), HealthLevel.EXCELLENT),
        (D("1.4999"), HealthLevel.GOOD),
        (D("1.0"), HealthLevel.GOOD),
        (D("0.9999"), HealthLevel.MODERATE),
        (D("0.8"), HealthLevel.MODERATE),
        (D("0.7999"), HealthLevel.POOR),
        (D("0.6"), HealthLevel.POOR),
        (D("0.5999"), HealthLevel.CRITICAL),
        (D(0), HealthLevel.CRITICAL),
    ],
)
def test_level__seed_boundaries__level(value: D, level: HealthLevel) -> None:
    assert h.level(value) is level


def test_score__seed_weights__weighted_sum() -> None:
    # 1 x 0.333 + 2 x 0.333 + 1 x 0.334 = 1.333
    assert h.score(D(1), D(2), D(1)) == D("1.333")
    assert h.score(D(2), D(2), D(2)) == D("2.000")


@pytest.mark.parametrize(
    ("rr", "component"),
    [(D(3), D(1)), (D("1.5"), D("0.5")), (D(6), D(2)), (D(9), D(2)), (D(0), D(0))],
)
def test_rr_component__rr_over_target_3__clamped_0_2(rr: D, component: D) -> None:
    assert h.rr_component(rr, P) == component


@pytest.mark.parametrize(
    ("capacity", "share", "mode", "component"),
    [
        # 2 x (capacity x safety factor - share x capacity) / capacity
        (D(2_400_000), D(0), SafetyMode.NORMAL, D(2)),
        (D(1_200_000), D("0.10"), SafetyMode.NORMAL, D("1.8")),
        (D(1_200_000), D("0.25"), SafetyMode.NORMAL, D("1.5")),
        (D(1_200_000), D("0.40"), SafetyMode.NORMAL, D("1.2")),
        (D(1_200_000), D("0.20"), SafetyMode.REDUCED, D("0.6")),  # 2 x (0.5 - 0.2)
        (D(1_200_000), D(0), SafetyMode.EMERGENCY_STOP, D(0)),
        (D(0), D(0), SafetyMode.NORMAL, D(0)),
    ],
)
def test_capacity_component__free_capacity_after_tier__table(
    capacity: D, share: D, mode: SafetyMode, component: D
) -> None:
    assert h.capacity_component(capacity, share, mode, P) == component


@pytest.mark.parametrize(
    ("conc", "component"),
    [(D("0.8"), D(1)), (D("0.9"), D("0.5")), (D("0.6"), D(1)), (D("0.95"), D("0.25")),
     (D(1), D(0))],
)
def test_diversification_component__against_80pct_limit__clamped_0_1(conc: D, component: D) -> None:
    assert h.diversification_component(conc, P) == component



def _health(pstr: str, pump: int = 2_400_000) -> h.HealthScore | None:
    ok = {"status": ConsensusStatus.OK, "sources": [], "sources_used": 3, "computed_at": NOW}
    prices = {
        "PSTR": ConsensusPrice(symbol="PSTR", price=D(pstr), **ok),
        "PUMP": ConsensusPrice(symbol="PUMP", price=D(1), **ok),
        "USDC": ConsensusPrice(symbol="USDC", price=D(1), **ok),
    }
    chain = ChainSnapshot(
        (TokenBalance("PUMP", pump * 10**18, 18), TokenBalance("USDC", 600_000 * 10**6, 6)),
        1_000_000 * 10**18, 18, NOW,
    )
    state = build_state(chain, prices, D(1), P, NOW, timedelta(minutes=5))
    return h.build_health(state, P)


@pytest.mark.parametrize(
    ("pstr", "score", "level"),
    [
        # RR 3 -> 1; no tier -> capacity 2; concentration 0.8 -> 1: 0.333 + 0.666 + 0.334
        ("1.00", D("1.333"), HealthLevel.GOOD),
        # tier 1: RR 3M/850k = 3.5294 -> 1.17647; capacity 2 x (1 - 0.10) = 1.8
        ("0.85", D("1.325165"), HealthLevel.GOOD),
        # tier 2: RR 3M/780k = 3.8462 -> 1.28205; capacity 2 x (1 - 0.25) = 1.5
        ("0.78", D("1.260423"), HealthLevel.GOOD),
        # tier 3: RR 3M/650k = 4.6154 -> 1.53846; capacity 2 x (1 - 0.40) = 1.2
        ("0.65", D("1.245908"), HealthLevel.GOOD),
    ],
)
def test_build_health__pstr_crash_through_tiers__score_falls(
    pstr: str, score: D, level: HealthLevel
) -> None:
    health = _health(pstr)
    assert health is not None
    assert health.score.quantize(Q) == score
    assert health.level is level


def test_build_health__rr_below_1_5__critical_with_emergency_recommendation() -> None:
    # 600k USDC + 300k PUMP = 900k over a 1M market cap: RR 0.9 -> 0.3; capacity 0;
    # concentration 1/3, under the limit -> 1: 0.0999 + 0 + 0.334 = 0.4339 -> critical
    health = _health("1.00", pump=300_000)
    assert health is not None
    assert health.score.quantize(Q) == D("0.433900")
    assert health.level is HealthLevel.CRITICAL
    assert any("emergency stop" in r for r in health.recommendations)
    assert health.recommendations[0] == "Emergency protocols activated"


def test_recommendations__concentration_over_limit__diversify() -> None:
    inputs = h.HealthInputs(D(3), D(0), D(0), D(1), D("0.9"), SafetyMode.NORMAL)
    recs = h.recommendations(HealthLevel.GOOD, inputs, P)
    assert recs[0] == "Minor adjustments needed"
    assert any("diversify" in r for r in recs)
