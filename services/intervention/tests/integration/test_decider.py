"""The decider on real Postgres: decisions published, control honoured, automation budgets."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ballast.common import subjects
from ballast.common.messages import (
    AutomationAction,
    AutomationKind,
    AutomationRequest,
    ControlCommand,
    ControlVerb,
    DecisionAction,
    EtfMetrics,
    ExecutionMode,
    ExecutionStatus,
    TreasuryState,
)
from ballast.intervention.adapters.repository import Repository
from ballast.intervention.app import Decider
from ballast.intervention.domain.automation import AutomationConfig
from ballast.strategy.policy import Policy

NOW = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)


def make_decider(repo: Repository, recorder: Any, **kw: Any) -> Decider:
    return Decider(
        repo,
        Policy(),
        ExecutionMode.DRY_RUN,
        recorder,
        automation=AutomationConfig(),
        operators=("ops@ballast",),
        clock=lambda: NOW,
        **kw,
    )


def control(verb: ControlVerb, by: str = "ops@ballast", n: int = 1, **kw: Any) -> ControlCommand:
    return ControlCommand(
        command_id=f"{verb.value}-{n}", command=verb, issued_by=by,
        issued_at=NOW + timedelta(seconds=n), **kw,
    )


def request(kind: AutomationKind, rid: str, usd: str) -> AutomationRequest:
    return AutomationRequest(
        request_id=rid, kind=kind, amount_usd=Decimal(usd), reason="test", requested_at=NOW
    )


def etf(deviation_bps: int) -> EtfMetrics:
    zero = Decimal(0)
    return EtfMetrics(
        block_number=1, block_timestamp=NOW, nav_per_share=Decimal(1), aum_usd=zero,
        core_staked_usd=zero, lstbtc_usd=zero, rewards_usd=zero, liquidity_usd=zero,
        basket_supply_raw=0, queue_length=0, instant_withdrawal_capacity_usd=zero,
        max_allocation_deviation_bps=deviation_bps,
    )


async def test_on_state__acting__recorded_published_and_marked(
    repo: Repository, recorder: Any, make_state: Callable[..., TreasuryState]
) -> None:
    decision = await make_decider(repo, recorder).on_state(make_state(NOW))
    published = recorder.on(subjects.INTERVENTION_DECIDED)
    assert decision.action is DecisionAction.ACT
    assert [d.decision_id for d in published] == [decision.decision_id]
    assert recorder.sent[0].msg_id == f"decided-{decision.decision_id}"
    assert await repo.unpublished_decisions() == []


async def test_on_state__blocked__published_with_reasons(
    repo: Repository, recorder: Any, make_state: Callable[..., TreasuryState]
) -> None:
    decision = await make_decider(repo, recorder).on_state(make_state(NOW, pstr_price=Decimal(1)))
    (published,) = recorder.on(subjects.INTERVENTION_DECIDED)
    assert decision.action is DecisionAction.BLOCKED
    assert published.reasons and published.reasons[0].startswith("trigger:")
    assert published.inputs.price == Decimal(1)


async def test_on_control__operator_pause__next_decision_blocked_then_resume_acts(
    repo: Repository, recorder: Any, make_state: Callable[..., TreasuryState]
) -> None:
    decider = make_decider(repo, recorder)
    assert await decider.on_control(control(ControlVerb.PAUSE, n=1)) == "paused"
    blocked = await decider.on_state(make_state(NOW))
    assert await decider.on_control(control(ControlVerb.RESUME, n=2)) == "resumed"
    acted = await decider.on_state(make_state(NOW + timedelta(seconds=1)))  # the next state
    assert blocked.action is DecisionAction.BLOCKED and blocked.inputs.paused
    assert acted.action is DecisionAction.ACT


async def test_on_control__not_an_operator__refused_and_not_paused(
    repo: Repository, recorder: Any
) -> None:
    result = await make_decider(repo, recorder).on_control(control(ControlVerb.PAUSE, by="eve"))
    assert result.startswith("refused")
    assert not await repo.paused()


async def test_on_control__older_pause_redelivered_after_resume__stays_resumed(
    repo: Repository, recorder: Any
) -> None:
    decider = make_decider(repo, recorder)
    await decider.on_control(control(ControlVerb.PAUSE, n=1))
    await decider.on_control(control(ControlVerb.RESUME, n=2))
    await decider.on_control(control(ControlVerb.PAUSE, n=1).model_copy(
        update={"command_id": "pause-redelivered"}))
    assert not await repo.paused()


async def test_on_control__approve__time_locked_decision_approved(
    repo: Repository, recorder: Any, make_state: Callable[..., TreasuryState]
) -> None:
    decider = Decider(
        repo, Policy(approval_threshold_usd=Decimal(10)), ExecutionMode.DRY_RUN, recorder,
        operators=("ops@ballast",), clock=lambda: NOW,
    )
    decision = await decider.on_state(make_state(NOW))
    assert decision.requires_approval
    assert not (await repo.load(decision.decision_id)).execution.approved
    approve = control(ControlVerb.APPROVE, decision_id=decision.decision_id)
    assert await decider.on_control(approve) == "approved"
    assert (await repo.load(decision.decision_id)).execution.approved


async def test_on_automation__accumulation_over_hourly_budget__refused_and_published(
    repo: Repository, recorder: Any, make_state: Callable[..., TreasuryState]
) -> None:
    decider = make_decider(repo, recorder)
    decider.last_state = make_state(NOW)
    first = await decider.on_automation(request(AutomationKind.ACCUMULATE, "h1-a", "60"))
    second = await decider.on_automation(request(AutomationKind.ACCUMULATE, "h1-b", "40"))
    third = await decider.on_automation(request(AutomationKind.ACCUMULATE, "h1-c", "5"))
    again = await decider.on_automation(request(AutomationKind.ACCUMULATE, "h1-a", "60"))
    refused = [m for m in recorder.on(subjects.AUTOMATION_EXECUTED)
               if isinstance(m, AutomationAction)]
    # the seed's hourly budget: 1,000,000 x 0.90 / 365 / 24 = $102.73
    assert (first, second, third, again) == (True, True, False, False)
    assert [(m.action_id, m.status) for m in refused] == [
        ("accumulate-h1-c", ExecutionStatus.FAILED)
    ]
    record = await repo.load("accumulate-h1-a")
    assert record.amount_in_raw == 60 * 10**6  # USDC base units at its consensus price, $1


async def test_on_automation__accumulation_priced_from_consensus__no_assumed_peg(
    repo: Repository, recorder: Any, make_state: Callable[..., TreasuryState]
) -> None:
    decider = make_decider(repo, recorder)
    state = make_state(NOW)
    usdc = next(h for h in state.holdings if h.symbol == "USDC")
    cheap = usdc.model_copy(update={"price_usd": Decimal("0.80")})
    decider.last_state = state.model_copy(update={"holdings": [state.holdings[0], cheap]})
    assert await decider.on_automation(request(AutomationKind.ACCUMULATE, "h2-a", "60"))
    assert (await repo.load("accumulate-h2-a")).amount_in_raw == 75 * 10**6  # $60 / $0.80


async def test_on_automation__accumulation_without_state__refused_with_reason(
    repo: Repository, recorder: Any
) -> None:
    decider = make_decider(repo, recorder)
    assert not await decider.on_automation(request(AutomationKind.ACCUMULATE, "h3-a", "60"))
    (refused,) = [m for m in recorder.on(subjects.AUTOMATION_EXECUTED)
                  if isinstance(m, AutomationAction)]
    assert refused.status is ExecutionStatus.FAILED and refused.reason is not None
    assert refused.reason.startswith("state:")


@pytest.mark.parametrize(("bps", "created"), [(1000, False), (1001, True)])
async def test_on_etf_metrics__allocation_deviation__rebalance_above_ten_percent(
    repo: Repository, recorder: Any, bps: int, created: bool
) -> None:
    decider = make_decider(repo, recorder)
    assert await decider.on_etf_metrics(etf(bps)) == ([AutomationKind.REBALANCE] if created else [])
    assert await decider.on_etf_metrics(etf(bps)) == []  # at most one per 60 minutes
    bucket = int(NOW.timestamp()) // 3600
    expected = [f"rebalance-every3600s-{bucket}"] if created else []
    assert await repo.open_executions() == expected


async def test_on_etf_metrics__rewards_accrued__compound_once_per_round(
    repo: Repository, recorder: Any
) -> None:
    metrics = etf(0).model_copy(update={"rewards_usd": Decimal("12.5")})
    today = make_decider(repo, recorder)
    tomorrow = make_decider(repo, recorder)
    tomorrow.clock = lambda: NOW + timedelta(days=1)
    assert await today.on_etf_metrics(metrics) == [AutomationKind.COMPOUND]
    assert await today.on_etf_metrics(metrics) == []
    assert await today.on_etf_metrics(etf(0)) == []  # nothing accrued: nothing to compound
    assert await tomorrow.on_etf_metrics(metrics) == [AutomationKind.COMPOUND]


async def test_on_automation__compound__recorded_once(repo: Repository, recorder: Any) -> None:
    decider = make_decider(repo, recorder)
    assert await decider.on_automation(request(AutomationKind.COMPOUND, "c1", "0"))
    assert not await decider.on_automation(request(AutomationKind.COMPOUND, "c1", "0"))
    assert (await repo.load("compound-c1")).execution.kind == "compound"


async def test_on_state__same_state_redelivered__same_acting_decision_published_again(
    repo: Repository, recorder: Any, make_state: Callable[..., TreasuryState]
) -> None:
    decider = make_decider(repo, recorder)
    state = make_state(NOW)
    first = await decider.on_state(state)
    again = await decider.on_state(state)  # JetStream redelivery after a crash before the ack
    other = await decider.on_state(make_state(NOW + timedelta(seconds=1)))
    assert first == again and first.action is DecisionAction.ACT
    assert [p.msg_id for p in recorder.sent][:2] == [f"decided-{first.decision_id}"] * 2
    assert other.action is DecisionAction.BLOCKED  # a new state the same day: daily limit


@pytest.mark.parametrize(("age", "created"), [(3600, True), (3601, False)])
async def test_on_automation__request_age__stale_after_an_hour_refused(
    repo: Repository, recorder: Any, age: int, created: bool,
    make_state: Callable[..., TreasuryState],
) -> None:
    req = request(AutomationKind.ACCUMULATE, f"old-{age}", "10").model_copy(
        update={"requested_at": NOW - timedelta(seconds=age)}
    )
    decider = make_decider(repo, recorder)
    decider.last_state = make_state(NOW)
    assert await decider.on_automation(req) is created
    refused = recorder.on(subjects.AUTOMATION_EXECUTED)
    assert len(refused) == (0 if created else 1)
