from __future__ import annotations

from collections import Counter
from decimal import Decimal

import pytest

from ballast.backtest.book import Account
from ballast.backtest.engine import Engine
from ballast.backtest.scenarios import scenario
from ballast.common.messages import SafetyMode
from ballast.strategy.params import StrategyParams


def test_engine__crash__an_intervention_at_tier_1_or_more_is_executed() -> None:
    result = Engine(scenario("crash", 0, days=5), StrategyParams(), verify=True).run()
    acted = result.acted
    assert acted and all(x.tier >= 1 for x in acted)
    first = acted[0]
    assert first.pump_in > 0 and first.pstr_out > 0 and first.spent_usd > 0
    assert first.price_after is not None and first.price_after > first.price_before
    assert first.roi is not None  # 24 h later is inside the run
    assert result.pstr_held > 0


def test_engine__calm__no_intervention_and_reserve_ratio_near_3() -> None:
    result = Engine(scenario("calm", 0, days=3), StrategyParams(), verify=True).run()
    assert result.interventions == []
    assert result.fast_path["trigger"] == result.decisions_evaluated == 3 * 1440
    assert result.min_rr_with is not None and Decimal("2.5") < result.min_rr_with < 3
    assert result.mode_minutes == Counter({SafetyMode.NORMAL: 3 * 1440})


def test_engine__emergency_stop__blocks_every_intervention() -> None:
    # 8M USD of reserves against a 10M market cap: RR 0.8 < 1.5 from the start
    account = Account(pump_held=Decimal(10_000_000), usdc_held=Decimal(3_000_000))
    result = Engine(scenario("crash", 0, days=5), StrategyParams(), account, verify=True).run()
    assert result.interventions == []
    assert result.fast_path["reserve"] > 0 and result.states_built == 0
    assert result.mode_minutes[SafetyMode.EMERGENCY_STOP] == result.minutes


def test_engine__summary__has_every_field_of_the_report() -> None:
    summary = Engine(scenario("crash", 0, days=5), StrategyParams()).run().summary()
    for key in ("pstr_max_drawdown", "min_reserve_ratio", "interventions", "pump_spent",
                "execution_cost_usd", "health_over_time", "days_in_safety_mode",
                "health_hours_by_level", "accumulation", "strategy_fingerprint"):
        assert key in summary, key
    assert set(summary["pstr_max_drawdown"]) == {"with_policy", "without_policy"}
    assert Decimal(summary["pstr_max_drawdown"]["without_policy"]) > Decimal("0.30")
    x = summary["interventions"][0]
    assert {"tier", "amount_usd", "roi", "price_impact", "cost_usd"} <= set(x)
    assert sum(Decimal(d) for d in summary["days_in_safety_mode"].values()) == 5
    assert len(summary["health_over_time"]) == 5 * 24


def test_engine__cooldown__no_two_interventions_within_48_hours() -> None:
    result = Engine(scenario("prolonged-bear", 0, days=12), StrategyParams()).run()
    times = [x.decided_at for x in result.interventions]
    assert all((b - a).total_seconds() >= 48 * 3600 for a, b in zip(times, times[1:], strict=False))


def test_engine__accumulation__hourly_budget_bought() -> None:
    result = Engine(scenario("calm", 0, days=1), StrategyParams()).run()
    assert result.accumulation["buys"] == "24"
    assert Decimal(result.accumulation["spent_usd"]) == 24 * Decimal("102.73")


@pytest.mark.slow
@pytest.mark.parametrize("name", ["calm", "crash", "slow-bleed", "v-recovery", "prolonged-bear",
                                  "flash-spike", "pump-dump"])
def test_engine__verify_every_scenario__fast_path_agrees_with_evaluate(name: str) -> None:
    """Every minute the fast path settles is built and evaluated too; a disagreement raises."""
    result = Engine(scenario(name, 0), StrategyParams(), verify=True).run()
    assert sum(result.fast_path.values()) + result.states_built == result.decisions_evaluated
