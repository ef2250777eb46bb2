"""The exactly-once execution state machine, as pure functions over a persisted record.

    decided -> nonce_reserved -> signed -> broadcast -> mined -> confirmed | failed -> published
       \\-> dry_run (paper mode: quoted and recorded, nothing signed)

Every arrow is written to Postgres before the next side effect, so a process killed anywhere
resumes from the record (issue #6 "Exactly once"):

- The nonce is reserved, then the signed raw transaction and its hash are persisted, and only then
  broadcast. After a crash the same bytes are rebroadcast, or the receipt reconciles it; a decision
  is never signed again with another nonce. "Already known", or "nonce too low" when one of our own
  hashes is mined, counts as sent.
- A transaction not mined after `stuck_after` is replaced at the same nonce with fees bumped by at
  least 12.5% (geth and anvil need 10% on both fee fields), under the fee cap.
- A reverted receipt is terminal: FAILED with the reason, never retried blindly (the market moved;
  the next decision is a new one, subject to the cooldown).

The executor (ballast.intervention.executor) asks `next_step` what to do, does the I/O, and feeds
what it saw back through `after_send` / `after_poll`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from enum import StrEnum

from ballast.common.messages import ExecutionMode
from ballast.intervention.domain.record import Attempt, ExecKind, Execution, Phase

__all__ = ["Attempt", "Execution", "Phase"]


TERMINAL = frozenset({Phase.CONFIRMED, Phase.FAILED, Phase.DRY_RUN})


class Step(StrEnum):
    """What the executor must do next for one execution."""

    EXPIRE = "expire"
    WAIT_APPROVAL = "wait_approval"
    WAIT_PAUSED = "wait_paused"
    SIMULATE = "simulate"
    RESERVE_NONCE = "reserve_nonce"
    SIGN = "sign"
    BROADCAST = "broadcast"
    POLL = "poll"
    PUBLISH = "publish"
    DONE = "done"


def next_step(
    ex: Execution, *, now: datetime, paused: bool, approval_delay: timedelta | None,
    ttl: timedelta | None = None, fresh: timedelta | None = None,
) -> Step:
    """What to do next. Pause and approval gate only what has not been signed yet: once a
    transaction may be in a mempool, it is followed to the end (abandoning it would not unsend it).
    A decision still unsigned after `ttl` expires: the market it was decided on is gone (a time
    lock nobody approved, a long pause), and a new state will be decided afresh. An intervention
    that no operator must approve expires sooner, when it is still unsigned `fresh` after it was
    decided (the chain unreachable, a pause): the treasury state it was decided on is old, and
    nothing acts on old data.
    """
    if ex.phase in TERMINAL:
        return Step.DONE if ex.published else Step.PUBLISH
    if ex.phase is Phase.DECIDED:
        if ex.mode is ExecutionMode.DRY_RUN:
            return Step.SIMULATE
        if ttl is not None and now - ex.decided_at > ttl:
            return Step.EXPIRE
        if fresh is not None and is_stale(ex, now, fresh):
            return Step.EXPIRE
        if paused:
            return Step.WAIT_PAUSED
        locked = ex.requires_approval and not ex.approved
        if locked and (approval_delay is None or now - ex.decided_at < approval_delay):
            return Step.WAIT_APPROVAL
        return Step.RESERVE_NONCE
    if ex.phase is Phase.NONCE_RESERVED:
        return Step.WAIT_PAUSED if paused else Step.SIGN
    if ex.phase is Phase.SIGNED:
        return Step.BROADCAST
    return Step.POLL  # BROADCAST or MINED


def is_stale(ex: Execution, now: datetime, fresh: timedelta) -> bool:
    """An intervention decided on a treasury state older than `fresh`, that no operator approves."""
    return (ex.kind is ExecKind.INTERVENTION and not ex.requires_approval
            and now - ex.decided_at > fresh)


# ------------------------------------------------------------------ broadcasting
class SendOutcome(StrEnum):
    ACCEPTED = "accepted"
    ALREADY_KNOWN = "already_known"
    NONCE_TOO_LOW = "nonce_too_low"
    UNDERPRICED = "underpriced"
    REJECTED = "rejected"


def classify_send_error(message: str) -> SendOutcome:
    """Map a node's eth_sendRawTransaction error text (geth, erigon, anvil wordings)."""
    text = message.lower()
    if "already known" in text or "known transaction" in text or "already imported" in text:
        return SendOutcome.ALREADY_KNOWN
    if "nonce too low" in text or "nonce is too low" in text or "oldnonce" in text:
        return SendOutcome.NONCE_TOO_LOW
    if "underpriced" in text:
        return SendOutcome.UNDERPRICED
    return SendOutcome.REJECTED


class SendVerdict(StrEnum):
    SENT = "sent"
    FOREIGN_NONCE = "foreign_nonce"
    REJECTED = "rejected"


def after_send(outcome: SendOutcome, *, own_hash_mined: bool) -> SendVerdict:
    """Whether a broadcast counts as sent.

    ACCEPTED and ALREADY_KNOWN: sent. NONCE_TOO_LOW: sent only if one of our own hashes is mined
    (we are rebroadcasting after a crash); otherwise another transaction may have taken our
    nonce, which the executor confirms by polling (after_poll) before it fails the decision.
    UNDERPRICED: a transaction of ours at this nonce with higher fees is pending: sent.
    """
    if outcome in (SendOutcome.ACCEPTED, SendOutcome.ALREADY_KNOWN, SendOutcome.UNDERPRICED):
        return SendVerdict.SENT
    if outcome is SendOutcome.NONCE_TOO_LOW:
        return SendVerdict.SENT if own_hash_mined else SendVerdict.FOREIGN_NONCE
    return SendVerdict.REJECTED


# ------------------------------------------------------------------ receipts
@dataclass(frozen=True)
class Receipt:
    tx_hash: str
    block_number: int
    status: int
    gas_used: int
    effective_gas_price: int


@dataclass(frozen=True)
class ChainView:
    """Read in this order: the account's mined nonce, then receipts, then the head."""

    account_nonce_mined: int
    receipt: Receipt | None
    head: int


class PollVerdict(StrEnum):
    WAIT = "wait"
    MINED = "mined"
    CONFIRMED = "confirmed"
    REVERTED = "reverted"
    REORGED = "reorged"
    REPLACE = "replace"
    FOREIGN_NONCE = "foreign_nonce"


def after_poll(
    ex: Execution,
    view: ChainView,
    *,
    now: datetime,
    confirmations: int,
    stuck_after: timedelta,
) -> PollVerdict:
    if view.receipt is not None:
        depth = view.head - view.receipt.block_number + 1
        if depth < confirmations:
            return PollVerdict.MINED
        return PollVerdict.CONFIRMED if view.receipt.status == 1 else PollVerdict.REVERTED
    if ex.phase is Phase.MINED:
        return PollVerdict.REORGED  # our receipt vanished: back to broadcast, same bytes
    latest = ex.latest
    sent_at = latest.broadcast_at if latest else None
    waited = sent_at is not None and now - sent_at >= stuck_after
    if ex.nonce is not None and view.account_nonce_mined > ex.nonce:
        # nonce consumed and none of our hashes has a receipt: a node can count the nonce a
        # moment before it serves the receipt, so this is concluded only after `stuck_after`
        return PollVerdict.FOREIGN_NONCE if waited else PollVerdict.WAIT
    return PollVerdict.REPLACE if waited else PollVerdict.WAIT


# ------------------------------------------------------------------ fees and amounts
BUMP = Decimal("0.125")


@dataclass(frozen=True)
class Fees:
    max_fee_per_gas: int
    max_priority_fee_per_gas: int


def initial_fees(base_fee: int, priority_fee: int, cap: int) -> Fees | None:
    """EIP-1559: max fee = 2 x base fee + tip, clipped to the cap. None when even the current
    base fee plus the tip is above the cap: wait rather than pay more than configured."""
    if base_fee + priority_fee > cap:
        return None
    return Fees(min(2 * base_fee + priority_fee, cap), priority_fee)


def bumped_fees(old: Fees, base_fee: int, priority_fee: int, cap: int) -> Fees | None:
    """Replacement fees: both fields up by at least 12.5%; None if the cap does not allow it."""
    min_prio = math.ceil(old.max_priority_fee_per_gas * (1 + BUMP)) + 1
    min_max = math.ceil(old.max_fee_per_gas * (1 + BUMP)) + 1
    prio = max(min_prio, priority_fee)
    max_fee = max(min_max, 2 * base_fee + prio)
    max_fee = min(max_fee, cap)
    if max_fee < min_max or max_fee < base_fee + min(prio, max_fee):
        return None
    return Fees(max_fee, min(prio, max_fee))


def amount_out_min(quoted_out: int, max_slippage: Decimal) -> int:
    """amountOutMin = quote x (1 - max slippage), rounded down (issue #6; seed "Maximum 2%")."""
    if not Decimal(0) <= max_slippage < 1:
        raise ValueError("max_slippage must be in [0, 1)")
    return int((Decimal(quoted_out) * (1 - max_slippage)).to_integral_value(rounding=ROUND_DOWN))


@dataclass(frozen=True)
class SwapResult:
    effective_price: Decimal | None
    slippage: Decimal | None
    gas_cost_wei: int


def swap_result(
    *,
    amount_in: int,
    amount_out: int,
    quoted_out: int,
    decimals_in: int,
    decimals_out: int,
    gas_used: int,
    effective_gas_price: int,
) -> SwapResult:
    """Effective price in input tokens per output token; slippage = 1 - out / quote (positive
    when worse than quoted)."""
    price = None
    if amount_out > 0:
        price = (Decimal(amount_in) / Decimal(10) ** decimals_in) / (
            Decimal(amount_out) / Decimal(10) ** decimals_out
        )
    slip = None
    if quoted_out > 0:
        slip = 1 - Decimal(amount_out) / Decimal(quoted_out)
    return SwapResult(price, slip, gas_used * effective_gas_price)
