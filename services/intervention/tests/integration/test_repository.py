"""The Postgres record on a real server: unique decisions, nonces, persisted bytes, control."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from ballast.common.messages import (
    ControlCommand,
    ControlVerb,
    DecisionAction,
    ExecutionMode,
    ExecutionStatus,
    InterventionDecision,
    InterventionExecuted,
    TreasuryState,
)
from ballast.intervention.adapters.repository import Repository
from ballast.intervention.domain.execution import Attempt, Phase
from ballast.strategy.decision import History, evaluate
from ballast.strategy.policy import Policy

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
POLICY = Policy()
ACCOUNT = "0x" + "11" * 20


async def decide(
    repo: Repository, state: TreasuryState, now: datetime = NOW
) -> tuple[InterventionDecision, bool]:
    def run(history: History, paused: bool) -> InterventionDecision:
        return evaluate(state, POLICY, history, now=now, paused=paused, mode=ExecutionMode.LIVE)

    return await repo.decide(POLICY.strategy, now, run)


def command(verb: ControlVerb, **kw: str) -> ControlCommand:
    return ControlCommand(
        command_id=f"{verb.value}-{kw.get('decision_id', '')}-{id(kw)}",
        command=verb,
        issued_by="ops@example",
        issued_at=NOW,
        **kw,  # type: ignore[arg-type]
    )


async def test_decide__two_evaluations_at_once__one_acting_row(
    repo: Repository, make_state: Callable[..., TreasuryState]
) -> None:
    state = make_state(NOW)
    results = await asyncio.gather(*(decide(repo, state) for _ in range(4)))
    actions = sorted(d.action.value for d, _ in results)
    assert actions == ["act", "blocked", "blocked", "blocked"]
    acted = next(d for d, _ in results if d.action is DecisionAction.ACT)
    assert acted.decision_id == "pstr-20260310-0"
    assert await repo.open_executions() == ["pstr-20260310-0"]


async def test_decide__acted_yesterday__cooldown_blocks_today(
    repo: Repository, make_state: Callable[..., TreasuryState]
) -> None:
    first, _ = await decide(repo, make_state(NOW), NOW)
    later = NOW + timedelta(hours=20)  # the next UTC day, inside 48 h
    second, _ = await decide(repo, make_state(later), later)
    third, _ = await decide(repo, make_state(NOW + timedelta(hours=48)), NOW + timedelta(hours=48))
    assert first.action is DecisionAction.ACT
    assert second.action is DecisionAction.BLOCKED
    assert [r.split(":")[0] for r in second.reasons] == ["cooldown"]
    assert third.action is DecisionAction.ACT


async def test_decide__act_expired_unsigned__next_state_acts_again_in_the_next_slot(
    repo: Repository, make_state: Callable[..., TreasuryState]
) -> None:
    first, _ = await decide(repo, make_state(NOW), NOW)
    assert first.decision_id == "pstr-20260310-0"
    expired = InterventionExecuted(
        decision_id=first.decision_id, status=ExecutionStatus.FAILED, mode=ExecutionMode.LIVE,
        executed_at=NOW, reason="expired: decided on a state older than 0:00:30, not signed")
    assert await repo.finalize(first.decision_id, Phase.FAILED, expired)
    later = NOW + timedelta(minutes=2)

    second, _ = await decide(repo, make_state(later), later)

    # the expired one never reached the chain: no cooldown, not counted; its id stays taken
    assert second.action is DecisionAction.ACT, second.reasons
    assert second.decision_id == "pstr-20260310-1"
    failed = InterventionExecuted(
        decision_id=second.decision_id, status=ExecutionStatus.FAILED, mode=ExecutionMode.LIVE,
        executed_at=later, reason="reverted: INSUFFICIENT_OUTPUT_AMOUNT")
    assert await repo.finalize(second.decision_id, Phase.FAILED, failed)
    third, _ = await decide(repo, make_state(later + timedelta(minutes=1)),
                            later + timedelta(minutes=1))
    assert third.action is DecisionAction.BLOCKED  # a sent one that failed still counts


async def test_unique_index__second_act_same_strategy_and_day__refused(
    repo: Repository, pool: asyncpg.Pool, make_state: Callable[..., TreasuryState]
) -> None:
    await decide(repo, make_state(NOW))
    with pytest.raises(asyncpg.UniqueViolationError):
        await pool.execute(
            """INSERT INTO intervention_decisions (decision_id, kind, strategy, action, utc_day,
                   slot, mode, decided_at, payload)
               VALUES ('other', 'intervention', 'pstr', 'act', $1, 0, 'live', $2, '{}')""",
            NOW.date(),
            NOW,
        )


async def test_decide__paused_persisted__blocked_with_reason(
    repo: Repository, make_state: Callable[..., TreasuryState]
) -> None:
    await repo.set_paused(True, command(ControlVerb.PAUSE))
    decision, _ = await decide(repo, make_state(NOW))
    assert decision.action is DecisionAction.BLOCKED
    assert decision.reasons == ["paused: an operator paused interventions"]
    await repo.set_paused(False, command(ControlVerb.RESUME))
    assert not await repo.paused()


async def test_reserve_nonce__two_decisions__consecutive_and_chain_floor(
    repo: Repository, make_state: Callable[..., TreasuryState]
) -> None:
    first, _ = await decide(repo, make_state(NOW), NOW)
    later = NOW + timedelta(days=3)
    second, _ = await decide(repo, make_state(later), later)
    assert await repo.reserve_nonce(first.decision_id, ACCOUNT, chain_pending=5)
    assert not await repo.reserve_nonce(first.decision_id, ACCOUNT, chain_pending=5)  # CAS
    assert await repo.reserve_nonce(second.decision_id, ACCOUNT, chain_pending=5)
    a, b = await repo.load(first.decision_id), await repo.load(second.decision_id)
    assert (a.execution.nonce, b.execution.nonce) == (5, 6)
    assert a.execution.phase is Phase.NONCE_RESERVED


async def test_reserve_nonce__released_below_a_sent_one__taken_next_so_no_gap_stalls_the_account(
    repo: Repository, make_state: Callable[..., TreasuryState]
) -> None:
    # A reserves 5 and fails before signing (released) after B already took 6 and sent it: the
    # node holds B until 5 is mined, so the next reservation must be 5, not 7.
    first, _ = await decide(repo, make_state(NOW))
    second, _ = await decide(repo, make_state(NOW + timedelta(days=3)), NOW + timedelta(days=3))
    third, _ = await decide(repo, make_state(NOW + timedelta(days=6)), NOW + timedelta(days=6))
    assert await repo.reserve_nonce(first.decision_id, ACCOUNT, chain_pending=5)
    assert await repo.reserve_nonce(second.decision_id, ACCOUNT, chain_pending=5)
    released = InterventionExecuted(
        decision_id=first.decision_id, status=ExecutionStatus.FAILED, mode=ExecutionMode.LIVE,
        reason="not needed", executed_at=NOW,
    )
    assert await repo.finalize(first.decision_id, Phase.FAILED, released, release_nonce=True)
    assert await repo.reserve_nonce(third.decision_id, ACCOUNT, chain_pending=5)
    assert (await repo.load(third.decision_id)).execution.nonce == 5
    # and one the chain has already counted is never handed out
    fourth, _ = await decide(repo, make_state(NOW + timedelta(days=9)), NOW + timedelta(days=9))
    assert await repo.reserve_nonce(fourth.decision_id, ACCOUNT, chain_pending=6)
    assert (await repo.load(fourth.decision_id)).execution.nonce == 7


async def test_record_signed__persists_bytes_before_broadcast__second_writer_refused(
    repo: Repository, make_state: Callable[..., TreasuryState]
) -> None:
    decision, _ = await decide(repo, make_state(NOW))
    await repo.reserve_nonce(decision.decision_id, ACCOUNT, chain_pending=0)
    attempt = Attempt(1, 0, "0x" + "aa" * 32, b"\x02signed", 30, 2)
    ok = await repo.record_signed(
        decision.decision_id, attempt, expected=Phase.NONCE_RESERVED, quoted_out_raw=1000,
        amount_out_min_raw=980, deadline=123,
    )
    again = await repo.record_signed(decision.decision_id, attempt, expected=Phase.NONCE_RESERVED)
    record = await repo.load(decision.decision_id)
    assert ok and not again
    assert record.execution.phase is Phase.SIGNED
    assert record.execution.attempts[0].raw == b"\x02signed"
    assert record.execution.attempts[0].broadcast_at is None
    assert (record.quoted_out_raw, record.amount_out_min_raw, record.deadline) == (1000, 980, 123)
    await repo.mark_broadcast(decision.decision_id, 1, NOW)
    record = await repo.load(decision.decision_id)
    assert record.execution.phase is Phase.BROADCAST
    assert record.execution.attempts[0].broadcast_at == NOW


async def test_finalize__twice__first_outcome_kept(
    repo: Repository, make_state: Callable[..., TreasuryState]
) -> None:
    decision, _ = await decide(repo, make_state(NOW))

    def outcome(status: ExecutionStatus) -> InterventionExecuted:
        return InterventionExecuted(
            decision_id=decision.decision_id, status=status, mode=ExecutionMode.LIVE,
            executed_at=NOW,
        )

    assert await repo.finalize(decision.decision_id, Phase.FAILED, outcome(ExecutionStatus.FAILED))
    assert not await repo.finalize(
        decision.decision_id, Phase.CONFIRMED, outcome(ExecutionStatus.CONFIRMED)
    )
    record = await repo.load(decision.decision_id)
    assert record.execution.phase is Phase.FAILED
    assert record.outcome is not None and record.outcome["status"] == "failed"
    await repo.mark_published(decision.decision_id)
    assert await repo.open_executions() == []


async def test_approve__decision_needing_approval__approved_once(
    repo: Repository, make_state: Callable[..., TreasuryState]
) -> None:
    state = make_state(NOW)

    def run(history: History, paused: bool) -> InterventionDecision:
        policy = Policy(approval_threshold_usd=None)
        d = evaluate(state, policy, history, now=NOW, paused=paused, mode=ExecutionMode.LIVE)
        return d.model_copy(update={"requires_approval": True})

    decision, _ = await repo.decide("pstr", NOW, run)
    assert await repo.approve(decision.decision_id, "ops", NOW)
    assert not await repo.approve(decision.decision_id, "ops", NOW)
    assert (await repo.load(decision.decision_id)).execution.approved


async def test_record_command__same_id_twice__applied_once(repo: Repository) -> None:
    cmd = command(ControlVerb.PAUSE)
    assert await repo.record_command(cmd, True, "")
    assert not await repo.record_command(cmd, True, "")


async def test_unpublished_decisions__after_commit__listed_until_marked(
    repo: Repository, make_state: Callable[..., TreasuryState]
) -> None:
    decision, _ = await decide(repo, make_state(NOW))
    blocked, _ = await decide(repo, make_state(NOW, pstr_price=None))
    assert [d.decision_id for d in await repo.unpublished_decisions()] == [decision.decision_id]
    await repo.mark_decided_published(decision.decision_id)
    assert await repo.unpublished_decisions() == []
    assert blocked.action is DecisionAction.BLOCKED
