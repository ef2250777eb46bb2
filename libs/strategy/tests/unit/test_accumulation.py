"""Hourly accumulation (PSTR seed 2 daily budget, seed 5 concentration limit)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from ballast.common.messages import SafetyMode, StateStatus
from ballast.strategy import accumulation as acc
from ballast.strategy.params import StrategyParams

P = StrategyParams()
NOW = datetime(2026, 12, 5, 10, 0, tzinfo=UTC)
BASE = acc.AccumulationInputs(
    safety_mode=SafetyMode.NORMAL, pump_value_usd=D(1_000_000),
    treasury_value_usd=D(3_000_000), quote_price_usd=D("0.998"), quote_decimals=6,
    spent_usd=D(0), started_at=None,
)


def test_daily_budget__seed_defaults__900k_over_365() -> None:
    assert acc.daily_budget(P).quantize(D("0.01")) == D("2465.75")


def test_hourly_budget__seed_defaults__a_24th_to_the_cent() -> None:
    assert acc.hourly_budget(P) == D("102.73")  # 2,465.7534 / 24 = 102.7397, rounded down


def test_plan__normal__buys_the_hourly_budget_at_the_consensus_price() -> None:
    plan = acc.plan(BASE, P, NOW)
    assert plan.act, plan.reasons
    assert plan.amount_usd == D("102.73")
    assert plan.amount_in_raw == 102_935_871  # 102.73 / 0.998 USDC, 6 decimals, rounded down


def test_plan__emergency_stop__refused() -> None:
    plan = acc.plan(replace(BASE, safety_mode=SafetyMode.EMERGENCY_STOP), P, NOW)
    assert not plan.act and plan.reasons[0].startswith("reserve:")


def test_plan__concentration_would_pass_80pct__refused() -> None:
    plan = acc.plan(replace(BASE, pump_value_usd=D("2399950")), P, NOW)
    assert not plan.act and any(r.startswith("concentration:") for r in plan.reasons)


def test_plan__period_over__refused() -> None:
    started = NOW - timedelta(days=365)
    plan = acc.plan(replace(BASE, started_at=started), P, NOW)
    assert any(r.startswith("period:") for r in plan.reasons)


def test_plan__capital_nearly_spent__buys_only_the_rest_then_stops() -> None:
    rest = acc.plan(replace(BASE, spent_usd=D(900_000) - D(50)), P, NOW)
    assert rest.act and rest.amount_usd == D(50)
    done = acc.plan(replace(BASE, spent_usd=D(900_000)), P, NOW)
    assert not done.act and any(r.startswith("capital:") for r in done.reasons)


def test_plan__no_quote_price__refused_never_assumes_a_peg() -> None:
    plan = acc.plan(replace(BASE, quote_price_usd=None), P, NOW)
    assert not plan.act and any(r.startswith("price:") for r in plan.reasons)


def test_plan__state_degraded__refused_on_an_unvouched_price() -> None:
    plan = acc.plan(replace(BASE, state_status=StateStatus.DEGRADED), P, NOW)
    assert not plan.act and plan.reasons[0] == "state: treasury state status is DEGRADED"


def test_may_request__the_treasury_and_the_plan_share_the_emergency_stop_rule() -> None:
    assert acc.may_request(SafetyMode.NORMAL, P) == D("102.73")
    assert acc.may_request(SafetyMode.EMERGENCY_STOP, P) is None
    stopped = acc.plan(replace(BASE, safety_mode=SafetyMode.EMERGENCY_STOP), P, NOW)
    assert acc.stopped(SafetyMode.EMERGENCY_STOP) in stopped.reasons
    assert acc.stopped(SafetyMode.NORMAL) is None


def test_may_request__no_budget__none() -> None:
    assert acc.may_request(SafetyMode.NORMAL, replace(P, total_capital=D(0))) is None
