"""PSTR seed KPIs: 30-day growth, Sharpe, max drawdown, success rate, execution cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from ballast.treasury.domain import performance as pf

NOW = datetime(2026, 11, 22, tzinfo=UTC)
H = timedelta(hours=1)


def test_growth__value_30_days_ago__ratio_minus_one() -> None:
    series = [(NOW - timedelta(days=31), D(100)), (NOW - timedelta(days=30), D(110)),
              (NOW - timedelta(days=1), D(120)), (NOW, D(121))]
    assert pf.growth(series, NOW) == D("0.1")  # 121 / 110 - 1


def test_growth__history_shorter_than_30_days__none() -> None:
    assert pf.growth([(NOW - timedelta(days=3), D(1)), (NOW, D(2))], NOW) is None


def test_sharpe_ratio__plus_minus_10pct__5_515() -> None:
    # returns 0.1, -0.1, 0.1: mean 1/30, sample std 0.11547; 0.288675 x sqrt(365) = 5.5151
    sharpe = pf.sharpe_ratio([D(100), D(110), D(99), D("108.9")])
    assert sharpe is not None and sharpe.quantize(D("0.0001")) == D("5.5151")


def test_sharpe_ratio__flat__none() -> None:
    assert pf.sharpe_ratio([D(1), D(1), D(1)]) is None


@pytest.mark.parametrize(
    ("values", "expected"),
    [([D(100), D(120), D(90), D(130), D(65)], D("0.5")), ([D(1), D(2), D(3)], D(0)),
     ([D(100), D(75), D(100)], D("0.25"))],
)
def test_max_drawdown__table__largest_peak_to_trough(values: list[D], expected: D) -> None:
    assert pf.max_drawdown(values) == expected


def record(trigger: str | None = "0.85") -> pf.InterventionRecord:
    return pf.InterventionRecord(
        executed_at=NOW - 48 * H, trigger_price=None if trigger is None else D(trigger),
        amount_usd=D(10_000), slippage=D("0.01"), gas_cost_wei=2 * 10**15,
    )


def test_succeeded__price_back_above_trigger_in_window__true() -> None:
    prices = [(NOW - 47 * H, D("0.80")), (NOW - 46 * H, D("0.86"))]
    assert pf.succeeded(record(), prices, 24 * H, NOW) is True


def test_succeeded__only_after_window__false() -> None:
    prices = [(NOW - 47 * H, D("0.80")), (NOW - 10 * H, D("0.90"))]
    assert pf.succeeded(record(), prices, 24 * H, NOW) is False


def test_succeeded__window_still_open__none() -> None:
    assert pf.succeeded(record(), [(NOW - 47 * H, D("0.80"))], 72 * H, NOW) is None


def test_execution_cost__slippage_and_gas__usd() -> None:
    # 1% of $10,000 = $100; 0.002 CORE of gas at $1.50 = $0.003
    assert pf.execution_cost(record(), D("1.5")) == D("100.003")


def test_build_performance__two_interventions__success_rate_and_mean_cost() -> None:
    prices = [(NOW - 47 * H, D("0.86"))]
    report = pf.build_performance(
        values=[(NOW - timedelta(days=30), D(100)), (NOW, D(90))],
        daily_values=[D(100), D(90)],
        interventions=[record(), record("0.90")],
        pstr_prices=prices,
        native_price=D("1.5"),
        window=24 * H,
        now=NOW,
    )
    assert report.intervention_success_rate == D("0.5")
    assert report.interventions_evaluated == 2
    assert report.execution_cost_per_intervention_usd == D("100.003")
    assert report.treasury_growth_30d == D("-0.1") and report.max_drawdown == D("0.1")
