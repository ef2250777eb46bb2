"""The executor under custody on anvil, past the pre-send check (the Safe devnet of
conftest.py): the StakeBasket automation is the Safe's, through the modifier; an allowance the
owners take away after signing makes the modifier revert, a failure never resent; a restart
after a proposal never also sends the swap."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg
import pytest

from ballast.common.messages import (
    AutomationAction,
    AutomationKind,
    AutomationRequest,
    ExecutionMode,
    ExecutionStatus,
)
from ballast.common.proposals.store import ProposalStore
from ballast.intervention.app import Decider
from ballast.intervention.domain.execution import Phase
from ballast.strategy.policy import Policy

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


async def test_custody__basket_stake__the_safe_calls_the_basket_through_the_modifier(
    world: Any,
) -> None:
    w = world
    decider = Decider(w.repo, Policy(), ExecutionMode.LIVE, w.executor.publish, clock=lambda: NOW)
    assert await decider.on_automation(AutomationRequest(
        request_id="s1", kind=AutomationKind.STAKE, amount_usd=Decimal(0), reason="test",
        requested_at=NOW))
    await w.settle(passes=12)
    (done,) = w.published
    assert isinstance(done, AutomationAction) and done.kind is AutomationKind.STAKE
    assert done.status is ExecutionStatus.CONFIRMED and done.tx_hash, done.reason
    assert int(done.details["core_raw"]) > 0  # deployLiquidity, called by the Safe
    tx = w.w3.eth.get_transaction(done.tx_hash)  # type: ignore[arg-type]
    assert tx["to"] == w.roles().address


async def test_custody__allowance_gone_after_signing__condition_violation_failed_not_retried(
    world: Any,
) -> None:
    """The owners take the allowance away between the executor's check and the mining: the
    modifier reverts the swap, which ends FAILED with the decoded violation, never resent."""
    w = world
    w.approve_router()
    fired: list[str] = []

    def take_it_away(point: str) -> None:
        if point == "after_sign_persist" and not fired:
            fired.append(point)
            w.set_pump_allowance(0)

    w.executor = replace(w.executor, crash=take_it_away)
    nonce_before = w.bot_nonce()
    decision_id = await w.decide()
    await w.settle()
    outcome = w.outcome()
    assert fired and outcome.status is ExecutionStatus.FAILED
    # the swap's condition is either the intervention's or the accumulation's (Status.OrViolation)
    assert outcome.reason == ("reverted: ConditionViolation(status 5, no branch holds: an "
                              "allowance spent or a parameter outside every branch) from the "
                              "Roles modifier")
    record = await w.repo.load(decision_id)
    assert len(record.execution.attempts) == 1 and w.bot_nonce() == nonce_before + 1
    await w.settle()
    assert len(w.published) == 1 and (await w.repo.load(decision_id)).execution.phase is (
        Phase.FAILED)


class Killed(Exception):  # noqa: N818 - the process's death, in-process
    pass


async def test_custody__restart_between_proposal_and_record__proposed_and_never_sent(
    world: Any, pool: asyncpg.Pool,
) -> None:
    """Killed after the proposal is stored, before the execution ends: on restart the allowance
    has refilled, yet the decision stays the Safe's proposal and the bot sends nothing."""
    w = world
    w.approve_router()
    w.set_pump_allowance(10 * 10**18)  # the tier-2 decision sells 50

    def die(point: str) -> None:
        if point == "after_propose":
            raise Killed

    decision_id = await w.decide()
    with pytest.raises(Killed):
        await replace(w.executor, crash=die).drive(decision_id)
    assert (await w.repo.load(decision_id)).execution.phase is Phase.NONCE_RESERVED
    w.set_pump_allowance(10**24)  # a new day, a larger allowance: the swap would now pass
    nonce_before = w.bot_nonce()
    await w.settle()
    outcome = w.outcome()
    assert outcome.status is ExecutionStatus.FAILED and outcome.reason is not None
    assert outcome.reason.startswith("proposed to the Safe: ")
    assert w.bot_nonce() == nonce_before
    (proposal,) = await ProposalStore(pool).list()
    assert proposal.message.decision_id == decision_id
