"""The pure execution state machine: steps, send outcomes, receipts, fee bumps, amounts."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ballast.common.messages import ExecutionMode
from ballast.intervention.domain.execution import (
    Attempt,
    ChainView,
    Execution,
    Fees,
    Phase,
    PollVerdict,
    Receipt,
    SendOutcome,
    SendVerdict,
    Step,
    after_poll,
    after_send,
    amount_out_min,
    bumped_fees,
    classify_send_error,
    initial_fees,
    next_step,
    swap_result,
)
from ballast.intervention.domain.record import ExecKind

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
GWEI = 10**9
ATTEMPT = Attempt(1, 7, "0x" + "ab" * 32, b"raw", 30 * GWEI, 2 * GWEI, NOW - timedelta(seconds=10))
EX = Execution(
    decision_id="pstr-20260310-0",
    kind=ExecKind.INTERVENTION,
    mode=ExecutionMode.LIVE,
    phase=Phase.DECIDED,
    decided_at=NOW,
    requires_approval=False,
    approved=False,
    nonce=None,
    attempts=(),
    mined_hash=None,
    mined_block=None,
    published=False,
)


def step(ex: Execution, *, paused: bool = False, delay: timedelta | None = None) -> Step:
    return next_step(ex, now=NOW, paused=paused, approval_delay=delay)


@pytest.mark.parametrize(
    ("phase", "expected"),
    [
        (Phase.DECIDED, Step.RESERVE_NONCE),
        (Phase.NONCE_RESERVED, Step.SIGN),
        (Phase.SIGNED, Step.BROADCAST),
        (Phase.BROADCAST, Step.POLL),
        (Phase.MINED, Step.POLL),
        (Phase.CONFIRMED, Step.PUBLISH),
        (Phase.FAILED, Step.PUBLISH),
        (Phase.DRY_RUN, Step.PUBLISH),
    ],
)
def test_next_step__each_phase__the_next_action(phase: Phase, expected: Step) -> None:
    assert step(replace(EX, phase=phase)) is expected


def test_next_step__terminal_and_published__done() -> None:
    assert step(replace(EX, phase=Phase.CONFIRMED, published=True)) is Step.DONE


def test_next_step__dry_run_mode__simulates_never_reserves_a_nonce() -> None:
    assert step(replace(EX, mode=ExecutionMode.DRY_RUN)) is Step.SIMULATE


@pytest.mark.parametrize("phase", [Phase.DECIDED, Phase.NONCE_RESERVED])
def test_next_step__paused_before_signing__waits(phase: Phase) -> None:
    assert step(replace(EX, phase=phase), paused=True) is Step.WAIT_PAUSED


def test_next_step__paused_after_broadcast__still_follows_the_receipt() -> None:
    assert step(replace(EX, phase=Phase.BROADCAST), paused=True) is Step.POLL


@pytest.mark.parametrize(
    ("approved", "delay", "age", "expected"),
    [
        (False, None, timedelta(days=9), Step.WAIT_APPROVAL),  # no delay: approval only
        (True, None, timedelta(0), Step.RESERVE_NONCE),
        (False, timedelta(hours=1), timedelta(minutes=59), Step.WAIT_APPROVAL),
        (False, timedelta(hours=1), timedelta(hours=1), Step.RESERVE_NONCE),  # delay elapsed
    ],
)
def test_next_step__time_lock__approval_or_delay(
    approved: bool, delay: timedelta | None, age: timedelta, expected: Step
) -> None:
    ex = replace(EX, requires_approval=True, approved=approved, decided_at=NOW - age)
    assert step(ex, delay=delay) is expected


@pytest.mark.parametrize(
    ("age", "expected"),
    [(timedelta(hours=6), Step.RESERVE_NONCE), (timedelta(hours=6, seconds=1), Step.EXPIRE)],
)
def test_next_step__unsigned_decision_older_than_ttl__expires(
    age: timedelta, expected: Step
) -> None:
    ex = replace(EX, decided_at=NOW - age)
    assert next_step(ex, now=NOW, paused=False, approval_delay=None,
                     ttl=timedelta(hours=6)) is expected


FRESH = timedelta(seconds=30)


@pytest.mark.parametrize(
    ("changes", "age", "paused", "expected"),
    [
        ({}, timedelta(seconds=30), False, Step.RESERVE_NONCE),
        ({}, timedelta(seconds=31), False, Step.EXPIRE),  # the chain was away: old state
        ({}, timedelta(seconds=31), True, Step.EXPIRE),  # a pause outlived it
        ({"kind": ExecKind.ACCUMULATE}, timedelta(minutes=5), False, Step.RESERVE_NONCE),
        ({"requires_approval": True, "approved": True}, timedelta(minutes=5), False,
         Step.RESERVE_NONCE),  # an operator approved it: the ttl bounds it
        ({"phase": Phase.NONCE_RESERVED}, timedelta(minutes=5), False, Step.SIGN),
    ],
)
def test_next_step__intervention_unsigned_past_fresh__expires_unless_approved_or_other_kind(
    changes: dict[str, object], age: timedelta, paused: bool, expected: Step
) -> None:
    ex = replace(EX, decided_at=NOW - age, **changes)  # pyright: ignore[reportArgumentType]
    assert next_step(ex, now=NOW, paused=paused, approval_delay=None,
                     ttl=timedelta(hours=6), fresh=FRESH) is expected


def test_next_step__signed_decision_older_than_ttl__still_followed() -> None:
    ex = replace(EX, phase=Phase.BROADCAST, decided_at=NOW - timedelta(days=3))
    assert next_step(ex, now=NOW, paused=False, approval_delay=None,
                     ttl=timedelta(hours=6)) is Step.POLL


@pytest.mark.parametrize(
    ("message", "outcome"),
    [
        ("already known", SendOutcome.ALREADY_KNOWN),
        ("Known transaction: 0xabc", SendOutcome.ALREADY_KNOWN),
        ("nonce too low: next nonce 8, tx nonce 7", SendOutcome.NONCE_TOO_LOW),
        ("replacement transaction underpriced", SendOutcome.UNDERPRICED),
        ("insufficient funds for gas * price + value", SendOutcome.REJECTED),
    ],
)
def test_classify_send_error__node_wordings__outcome(message: str, outcome: SendOutcome) -> None:
    assert classify_send_error(message) is outcome


@pytest.mark.parametrize(
    ("outcome", "mined", "verdict"),
    [
        (SendOutcome.ACCEPTED, False, SendVerdict.SENT),
        (SendOutcome.ALREADY_KNOWN, False, SendVerdict.SENT),
        (SendOutcome.NONCE_TOO_LOW, True, SendVerdict.SENT),
        (SendOutcome.NONCE_TOO_LOW, False, SendVerdict.FOREIGN_NONCE),
        (SendOutcome.UNDERPRICED, False, SendVerdict.SENT),
        (SendOutcome.REJECTED, False, SendVerdict.REJECTED),
    ],
)
def test_after_send__outcomes__counts_as_sent_or_not(
    outcome: SendOutcome, mined: bool, verdict: SendVerdict
) -> None:
    assert after_send(outcome, own_hash_mined=mined) is verdict


def poll(ex: Execution, view: ChainView, confirmations: int = 3) -> PollVerdict:
    return after_poll(
        ex, view, now=NOW, confirmations=confirmations, stuck_after=timedelta(seconds=60)
    )


SENT = replace(EX, phase=Phase.BROADCAST, nonce=7, attempts=(ATTEMPT,))


@pytest.mark.parametrize(
    ("head", "status", "verdict"),
    [
        (101, 1, PollVerdict.MINED),  # 2 blocks deep < 3
        (102, 1, PollVerdict.CONFIRMED),  # exactly 3 deep
        (102, 0, PollVerdict.REVERTED),
    ],
)
def test_after_poll__receipt_depth__mined_then_final(
    head: int, status: int, verdict: PollVerdict
) -> None:
    receipt = Receipt(ATTEMPT.tx_hash, 100, status, 120_000, GWEI)
    assert poll(SENT, ChainView(8, receipt, head)) is verdict


def test_after_poll__receipt_gone_after_mined__reorged() -> None:
    assert poll(replace(SENT, phase=Phase.MINED), ChainView(7, None, 105)) is PollVerdict.REORGED


@pytest.mark.parametrize(
    ("age", "verdict"), [(59, PollVerdict.WAIT), (60, PollVerdict.FOREIGN_NONCE)]
)
def test_after_poll__nonce_used_without_our_receipt__foreign_after_grace(
    age: int, verdict: PollVerdict
) -> None:
    ex = replace(SENT, attempts=(replace(ATTEMPT, broadcast_at=NOW - timedelta(seconds=age)),))
    assert poll(ex, ChainView(8, None, 105)) is verdict


@pytest.mark.parametrize(("age", "verdict"), [(59, PollVerdict.WAIT), (60, PollVerdict.REPLACE)])
def test_after_poll__not_mined__replace_after_stuck_timeout(age: int, verdict: PollVerdict) -> None:
    ex = replace(SENT, attempts=(replace(ATTEMPT, broadcast_at=NOW - timedelta(seconds=age)),))
    assert poll(ex, ChainView(7, None, 105)) is verdict


def test_initial_fees__base_fee_above_cap__none() -> None:
    assert initial_fees(100 * GWEI, GWEI, cap=50 * GWEI) is None
    assert initial_fees(10 * GWEI, GWEI, cap=50 * GWEI) == Fees(21 * GWEI, GWEI)
    assert initial_fees(30 * GWEI, GWEI, cap=50 * GWEI) == Fees(50 * GWEI, GWEI)


def test_bumped_fees__replacement__both_fields_up_at_least_12_5_percent() -> None:
    old = Fees(30 * GWEI, 2 * GWEI)
    new = bumped_fees(old, base_fee=10 * GWEI, priority_fee=GWEI, cap=100 * GWEI)
    assert new is not None
    assert new.max_fee_per_gas >= old.max_fee_per_gas * 1.125
    assert new.max_priority_fee_per_gas >= old.max_priority_fee_per_gas * 1.125


def test_bumped_fees__cap_too_low__none() -> None:
    assert bumped_fees(Fees(30 * GWEI, 2 * GWEI), 10 * GWEI, GWEI, cap=32 * GWEI) is None


@pytest.mark.parametrize(
    ("quote", "slippage", "expected"),
    [(1000, Decimal("0.02"), 980), (999, Decimal("0.02"), 979), (1000, Decimal(0), 1000)],
)
def test_amount_out_min__quote_and_slippage__rounded_down(
    quote: int, slippage: Decimal, expected: int
) -> None:
    assert amount_out_min(quote, slippage) == expected


def test_swap_result__amounts__price_slippage_and_gas_cost() -> None:
    result = swap_result(
        amount_in=2 * 10**18,
        amount_out=99 * 10**6,
        quoted_out=100 * 10**6,
        decimals_in=18,
        decimals_out=6,
        gas_used=100_000,
        effective_gas_price=3 * GWEI,
    )
    assert result.effective_price == Decimal(2) / Decimal(99)
    assert result.slippage == Decimal("0.01")
    assert result.gas_cost_wei == 300_000 * GWEI
