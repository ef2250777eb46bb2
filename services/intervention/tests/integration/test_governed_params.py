"""The decider on real Postgres with governed strategy numbers (ballast.strategy.onchain): a
governance.parameters change is decided with from the next treasury.state on, no restart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from ballast.common.messages import (
    DecisionAction,
    ExecutionMode,
    StrategyParameterChanged,
    TreasuryState,
)
from ballast.intervention.adapters.repository import Repository
from ballast.intervention.app import Decider
from ballast.strategy.onchain import WAD, LiveParams, apply, encode, from_wad
from ballast.strategy.params import StrategyParams
from ballast.strategy.policy import Policy

NOW = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)
READ_AT = 40  # the block the service read the contract at


def changed(key: str, old: int, new: int, block: int, index: int) -> StrategyParameterChanged:
    return StrategyParameterChanged(
        key=key, old_value=old, new_value=new, value=from_wad(new), contract="0x" + "11" * 20,
        tx_hash="0x" + "22" * 32, log_index=index, block_number=block,
        block_hash="0x" + "33" * 32, observed_at=NOW)


def state_at_88(make_state: Callable[..., TreasuryState], params: StrategyParams, tier: int,
                seconds: int) -> TreasuryState:
    """PSTR $0.88 against a $1.00 VWAP (12% drawdown), as a treasury under `params` says it."""
    return make_state(NOW - timedelta(seconds=60 - seconds), pstr_price=Decimal("0.88"),
                      drawdown=Decimal("0.12"), tier=tier,
                      strategy_fingerprint=params.fingerprint())


async def test_decider__trigger_raised_by_governance__next_state_decided_with_it(
    repo: Repository, recorder: Any, make_state: Callable[..., TreasuryState],
) -> None:
    seed = StrategyParams()
    live = LiveParams(seed)
    assert live.load(encode(seed), READ_AT) == []
    decider = Decider(repo, Policy(), ExecutionMode.DRY_RUN, recorder, clock=lambda: NOW,
                      live=live)
    told: list[StrategyParams] = []
    decider.on_params = told.append  # the executor's use_params in the service
    governed = apply(seed, {"trigger_threshold": 90 * WAD // 100,
                            "tier1_drawdown": 10 * WAD // 100})

    before = await decider.on_state(state_at_88(make_state, seed, 0, 0))
    # the constructor's value, replayed by a durable consumer: already in what was read
    decider.on_parameter(changed("trigger_threshold", 0, 95 * WAD // 100, READ_AT, 0))
    decider.on_parameter(changed("trigger_threshold", 85 * WAD // 100, 90 * WAD // 100, 41, 0))
    between = decider.active_policy.params.trigger_threshold  # tier 1 does not agree yet
    decider.on_parameter(changed("tier1_drawdown", 15 * WAD // 100, 10 * WAD // 100, 41, 1))
    after = await decider.on_state(state_at_88(make_state, governed, 1, 1))

    assert before.action is DecisionAction.BLOCKED
    assert before.inputs.trigger_threshold == Decimal("0.85")
    assert any(r.startswith("trigger:") for r in before.reasons)
    assert between == Decimal("0.85")
    assert after.action is DecisionAction.ACT, after.reasons
    assert after.inputs.trigger_threshold == Decimal("0.9")
    assert after.inputs.tier == 1
    assert decider.active_policy.params == governed
    assert decider.policy.params == seed  # the bootstrap policy itself is untouched
    assert told == [governed]  # once, when the set became consistent
