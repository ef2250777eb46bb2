from __future__ import annotations

from decimal import Decimal

import pytest

from ballast.backtest.scenarios import SCENARIOS, scenario


def test_scenario__same_name_and_seed__same_bars() -> None:
    a, b = scenario("crash", 7, days=4), scenario("crash", 7, days=4)
    assert a.series["PSTR"].prices == b.series["PSTR"].prices
    assert a.series["PSTR"].volumes == b.series["PSTR"].volumes
    assert scenario("crash", 8, days=4).series["PSTR"].prices != a.series["PSTR"].prices


def test_scenario__every_name__warm_up_then_window_of_minutes() -> None:
    for name in ("calm", "crash", "slow-bleed", "v-recovery", "prolonged-bear", "flash-spike",
                 "pump-dump"):
        assert name in SCENARIOS
        tape = scenario(name, 0, days=2, warmup_days=1)
        assert tape.length == 3 * 1440 and tape.warmup == 1440
        assert all(p > 0 for p in tape.series["PSTR"].prices)


def test_scenario__crash__pstr_ends_about_35_percent_down() -> None:
    tape = scenario("crash", 0, days=5, warmup_days=1)
    end = tape.series["PSTR"].prices[-1]
    assert Decimal("0.55") < end < Decimal("0.75")


def test_scenario__unknown_name__error_lists_the_known() -> None:
    with pytest.raises(ValueError, match="known: calm"):
        scenario("nope")
