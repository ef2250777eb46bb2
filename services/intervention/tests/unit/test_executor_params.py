"""The executor follows governed strategy numbers: plans after a change use them."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from ballast.intervention.building import ExecConfig
from ballast.intervention.executor import Executor
from ballast.strategy.params import StrategyParams

A = "0x" + "11" * 20


def test_executor__use_params__builder_and_legs_plan_with_the_new_numbers() -> None:
    nothing: Any = None
    ex = Executor(nothing, nothing, None, nothing, ExecConfig(router=A, pump=A, pstr=A))
    governed = replace(StrategyParams(), slippage_cap=Decimal("0.01"),
                       etf_rebalance_deviation=Decimal("0.05"))

    ex.use_params(governed)

    assert ex.config.max_slippage == Decimal("0.01")
    assert ex.builder.config is ex.config
    assert ex.assets.config.params.etf_rebalance_deviation == Decimal("0.05")
    assert ex.config.router == A  # the rest of the configuration kept
