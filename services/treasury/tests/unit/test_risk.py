"""PSTR seed section 5 and KPIs "Risk Metrics": VaR 95% (historical, parametric), ES, level."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ballast.common.messages import MarketRiskLevel
from ballast.treasury.domain import risk

NOW = datetime(2026, 11, 22, tzinfo=UTC)
LOSSES_1_TO_20 = [D(-k) for k in range(1, 21)]


def test_historical_var__losses_1_to_20__19th_smallest_loss() -> None:
    # n = 20, ceil(0.95 x 20) = 19: the 19th smallest loss is 19
    assert risk.historical_var(LOSSES_1_TO_20) == D(19)


def test_expected_shortfall__losses_1_to_20__mean_of_worst_one() -> None:
    # floor(0.05 x 20) = 1 tail scenario: the loss of 20
    assert risk.expected_shortfall(LOSSES_1_TO_20) == D(20)


def test_expected_shortfall__100_scenarios__mean_of_worst_five() -> None:
    pnl = [D(-k) for k in range(1, 101)]
    assert risk.historical_var(pnl) == D(95)
    assert risk.expected_shortfall(pnl) == D(98)  # (96 + 97 + 98 + 99 + 100) / 5


def test_parametric_var__losses_1_to_20__z_sigma_minus_mu() -> None:
    # mu = -10.5, sample sigma = sqrt(35) = 5.916080, z = 1.644854: 9.731085 + 10.5
    assert risk.parametric_var(LOSSES_1_TO_20).quantize(D("0.000001")) == D("20.231085")


def test_z_score__95pct__1_644854() -> None:
    assert risk.z_score(D("0.95")) == D("1.644853626951")


def test_scenario_pnl__two_assets_two_days__values_times_returns() -> None:
    pnl = risk.scenario_pnl(
        {"PUMP": D(1000), "USDC": D(500)},
        {"PUMP": [D("0.1"), D("-0.2")], "USDC": [D(0), D("0.01")]},
    )
    assert pnl == [D(100), D(-195)]  # 1000 x 0.1; 1000 x -0.2 + 500 x 0.01


def test_aligned_returns__gap_and_extra_day__last_consecutive_common_run() -> None:
    d = date(2026, 11, 1)
    a = {d: D(100), d + timedelta(1): D(110), d + timedelta(3): D(121), d + timedelta(4): D(110)}
    b = {d + timedelta(i): D(1) for i in range(5)}
    returns = risk.aligned_returns({"A": a, "B": b})
    assert returns == {"A": [D(110) / D(121) - 1], "B": [D(0)]}


@pytest.mark.parametrize(
    ("vol", "level"),
    [(D("0.0199"), MarketRiskLevel.LOW), (D("0.02"), MarketRiskLevel.MEDIUM),
     (D("0.05"), MarketRiskLevel.HIGH), (D("0.10"), MarketRiskLevel.EXTREME)],
)
def test_market_risk_level__volatility_bands__level(vol: D, level: MarketRiskLevel) -> None:
    assert risk.market_risk_level(vol) is level


def test_build_risk__few_samples__no_var_unknown_level_and_reason() -> None:
    day = date(2026, 11, 1)
    closes = {"PUMP": {day + timedelta(i): D(1) for i in range(5)}}
    report = risk.build_risk({"PUMP": D(100)}, closes, D(1), NOW, min_samples=20)
    assert report.var_historical_usd is None and report.sample_size == 4
    assert report.market_risk_level is MarketRiskLevel.UNKNOWN
    assert report.reasons == ["4 aligned daily returns, 20 needed for VaR"]


def test_build_risk__alternating_10pct__var_es_and_high_level() -> None:
    day = date(2026, 10, 1)
    closes = {"PUMP": {day + timedelta(i): D(100) if i % 2 == 0 else D(110) for i in range(21)}}
    # returns alternate +10% and -9.0909%: the worst day loses 1000 x 1/11 = 90.909
    report = risk.build_risk({"PUMP": D(1000)}, closes, D(1), NOW, min_samples=20)
    assert report.sample_size == 20
    assert report.var_historical_usd is not None and report.expected_shortfall_usd is not None
    assert report.var_historical_usd.quantize(D("0.001")) == D("90.909")
    assert report.expected_shortfall_usd >= report.var_historical_usd
    # deviations from the mean are +-0.095455; sample std 0.095455 x sqrt(20/19) = 0.0979
    assert report.daily_volatility is not None
    assert report.daily_volatility.quantize(D("0.0001")) == D("0.0979")
    assert report.market_risk_level is MarketRiskLevel.HIGH


pnls = st.lists(
    st.integers(min_value=-10**8, max_value=10**8).map(lambda i: D(i) / 100),
    min_size=2, max_size=250,
)
confidences = st.sampled_from([D("0.90"), D("0.95"), D("0.99")])


@given(pnls, confidences)
def test_expected_shortfall__any_pnl__at_least_var(pnl: list[D], c: D) -> None:
    assert risk.expected_shortfall(pnl, c) >= risk.historical_var(pnl, c)


@given(pnls, st.integers(min_value=1, max_value=10**6))
def test_var_es__scaled_portfolio__scale_by_same_factor(pnl: list[D], k: int) -> None:
    scaled = [p * k for p in pnl]
    assert risk.historical_var(scaled) == risk.historical_var(pnl) * k
    tol = D(10) ** -15 * (1 + abs(risk.expected_shortfall(pnl)) * k)
    assert abs(risk.expected_shortfall(scaled) - risk.expected_shortfall(pnl) * k) <= tol
    tol = D(10) ** -15 * (1 + max(abs(p) for p in pnl) * k)
    assert abs(risk.parametric_var(scaled) - risk.parametric_var(pnl) * k) <= tol
