"""Flash-spike defence: a big move is not OK until a later reading confirms it.

Why: REFERENCE.md "Incidents" — bZx 2020 (a price moved inside one transaction) and Compound
DAI 2020 (one venue printed $1.30 and was followed). A consensus that moves more than
`jump_threshold` from the last OK consensus is published as DEGRADED (the intervention service
must not act on it) until a consensus built from a later reading — published at least
`jump_confirm_after` after the one that started the jump, so several sources echoing the same
spike at once do not confirm each other — lands within `jump_confirm_tolerance` of the pending
price.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ballast.oracle.domain.policy import ConsensusConfig


@dataclass(frozen=True)
class JumpState:
    """What the guard remembers per symbol between consensus rounds."""

    last_ok: Decimal | None = None
    pending: Decimal | None = None
    pending_stamp: datetime | None = None


@dataclass(frozen=True)
class JumpVerdict:
    ok: bool
    state: JumpState
    reason: str | None = None


def relative_move(price: Decimal, reference: Decimal) -> Decimal:
    return abs(price - reference) / reference


def guard(
    state: JumpState, price: Decimal, stamp: datetime, config: ConsensusConfig
) -> JumpVerdict:
    """Judge a quorum-OK consensus `price` built from readings published up to `stamp`."""
    if state.last_ok is None or relative_move(price, state.last_ok) <= config.jump_threshold:
        return JumpVerdict(True, JumpState(last_ok=price))
    move = relative_move(price, state.last_ok)
    confirmed = (
        state.pending is not None
        and state.pending_stamp is not None
        and stamp > state.pending_stamp
        and stamp - state.pending_stamp >= config.jump_confirm_after
        and relative_move(price, state.pending) <= config.jump_confirm_tolerance
    )
    if confirmed:
        return JumpVerdict(True, JumpState(last_ok=price))
    if state.pending is not None and state.pending_stamp == stamp:
        return JumpVerdict(False, state, _reason(move, state.last_ok))
    return JumpVerdict(
        False,
        JumpState(last_ok=state.last_ok, pending=price, pending_stamp=stamp),
        _reason(move, state.last_ok),
    )


def _reason(move: Decimal, last_ok: Decimal) -> str:
    return f"unconfirmed jump of {move * 100:.2f}% from last OK price {last_ok}"
