"""The replay mode on a recording of the devnet crash run's bus (tests/e2e crash path, filtered to
prices.consensus, trades, treasury.state and intervention.decided). The e2e test replays its own
live recording the same way; this one keeps the check fast and shows it can fail."""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from ballast.backtest.replay import Replay
from ballast.common.messages import DecisionAction
from ballast.strategy.params import StrategyParams
from ballast.strategy.policy import Policy

RECORDED = json.loads((Path(__file__).parent / "crash-bus.json").read_text())


def replayed(params: StrategyParams) -> Replay:
    replay = Replay(Policy(params=params))
    for subject, body in RECORDED:
        replay.feed(subject, body)
    return replay


def test_replay__recorded_crash_run__every_decision_identical() -> None:
    replay = replayed(StrategyParams())
    assert [a.action for a, _ in replay.pairs].count(DecisionAction.ACT) == 1
    assert len(replay.pairs) == 9
    assert replay.mismatches() == []
    act = next(b for _, b in replay.pairs if b.action is DecisionAction.ACT)
    assert act.tier == 1 and act.amount_in_raw > 0


def test_replay__other_max_deployment__the_acting_decision_differs() -> None:
    replay = replayed(replace(StrategyParams(), max_deployment=Decimal("0.05")))
    assert len(replay.mismatches()) == 1
    assert "amount_in_raw" in replay.mismatches()[0]
