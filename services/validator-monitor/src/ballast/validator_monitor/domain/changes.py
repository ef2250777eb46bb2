"""Change detection between two readings of one operator, plus what the logs add.

A snapshot diff alone misses what happens and un-happens between two polls (jailed and released,
delegated and undelegated); the logs alone miss what a restart skipped. So both count: status
transitions come from `statusChanged` logs when there are any and from the diff otherwise, and
our delegation changes from CoreAgent logs and from the diff. Every change carries a `key` that
is the same when the same change is detected again (a repeated poll), so the published fact can
be deduplicated on it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ballast.validator_monitor.domain.model import ChainEvent, Thresholds, ValidatorReading
from ballast.validator_monitor.domain.status import StatusBit


class ChangeKind(StrEnum):
    REGISTERED = "registered"
    UNREGISTERED = "unregistered"
    ROUND_TURNED = "round_turned"
    STATUS_CHANGED = "status_changed"
    JAILED = "jailed"
    RELEASED = "released"
    INACTIVE = "inactive"
    REACTIVATED = "reactivated"
    MARGIN_LOW = "margin_low"
    MARGIN_RESTORED = "margin_restored"
    ELECTED = "elected"
    UNELECTED = "unelected"
    COMMISSION_CHANGED = "commission_changed"
    OUR_DELEGATION_CHANGED = "our_delegation_changed"
    MISSED_BLOCKS_INCREASED = "missed_blocks_increased"
    MISSED_BLOCKS_NEAR_THRESHOLD = "missed_blocks_near_threshold"
    MISDEMEANOR = "misdemeanor"
    FELONY = "felony"


@dataclass(frozen=True)
class Change:
    kind: ChangeKind
    key: str


_SET_CLEAR: tuple[tuple[StatusBit, ChangeKind, ChangeKind], ...] = (
    (StatusBit.JAILED, ChangeKind.JAILED, ChangeKind.RELEASED),
    (StatusBit.INACTIVE, ChangeKind.INACTIVE, ChangeKind.REACTIVATED),
    (StatusBit.MARGIN_LOW, ChangeKind.MARGIN_LOW, ChangeKind.MARGIN_RESTORED),
    (StatusBit.VALIDATOR, ChangeKind.ELECTED, ChangeKind.UNELECTED),
)

DELEGATION_EVENTS = frozenset({"delegatedCoin", "undelegatedCoin", "transferredCoin"})


def status_transition(old: int, new: int) -> list[Change]:
    """The changes one status word transition means: the transition itself and each flag."""
    if old == new:
        return []
    key = f"status:{old}->{new}"
    found = [Change(ChangeKind.STATUS_CHANGED, key)]
    for bit, when_set, when_cleared in _SET_CLEAR:
        if new & bit and not old & bit:
            found.append(Change(when_set, key))
        elif old & bit and not new & bit:
            found.append(Change(when_cleared, key))
    return found


def near_threshold(thresholds: Thresholds, fraction: float) -> int:
    """Missed blocks from which a validator is "near" the misdemeanor threshold."""
    return max(1, math.ceil(thresholds.misdemeanor * fraction))


def detect_changes(
    prev: ValidatorReading | None,
    cur: ValidatorReading | None,
    *,
    prev_round: int | None,
    cur_round: int,
    thresholds: Thresholds,
    near_fraction: float,
    events: Sequence[ChainEvent] = (),
) -> list[Change]:
    """Changes of one operator between two readings (either may be None: new or gone).

    `events` are the logs about this operator between the two readings, in chain order.
    """
    found: list[Change] = []
    if prev is None and cur is None:
        return found
    if prev is None:
        found.append(Change(ChangeKind.REGISTERED, "registered"))
    if cur is None:
        found.append(Change(ChangeKind.UNREGISTERED, "unregistered"))
    if prev_round is not None and cur_round != prev_round:
        found.append(Change(ChangeKind.ROUND_TURNED, f"round:{cur_round}"))

    status_logs = [e for e in events if e.name == "statusChanged"]
    if status_logs:
        for e in status_logs:
            found += status_transition(int(e.args["oldStatus"]), int(e.args["newStatus"]))
    elif prev is not None and cur is not None:
        found += status_transition(prev.status_bits, cur.status_bits)
    found += _event_changes(events, cur_round)
    if prev is not None and cur is not None:
        found += _value_changes(prev, cur, thresholds, near_fraction, cur_round, events)
    return _unique(found)


def _event_changes(events: Sequence[ChainEvent], cur_round: int) -> list[Change]:
    found: list[Change] = []
    for e in events:
        if e.name == "validatorMisdemeanor":
            found.append(Change(ChangeKind.MISDEMEANOR, f"misdemeanor:{cur_round}:{e.ref}"))
        elif e.name == "validatorFelony":
            found.append(Change(ChangeKind.FELONY, f"felony:{cur_round}:{e.ref}"))
        elif e.name in DELEGATION_EVENTS:
            found.append(Change(ChangeKind.OUR_DELEGATION_CHANGED, f"{e.name}:{e.ref}"))
    return found


def _value_changes(
    prev: ValidatorReading,
    cur: ValidatorReading,
    thresholds: Thresholds,
    near_fraction: float,
    cur_round: int,
    events: Sequence[ChainEvent],
) -> list[Change]:
    found: list[Change] = []
    if prev.commission_thousandths != cur.commission_thousandths:
        found.append(Change(
            ChangeKind.COMMISSION_CHANGED,
            f"commission:{prev.commission_thousandths}->{cur.commission_thousandths}",
        ))
    if prev.our_delegation_raw != cur.our_delegation_raw:
        found.append(Change(
            ChangeKind.OUR_DELEGATION_CHANGED,
            f"our_delegation:{prev.our_delegation_raw}->{cur.our_delegation_raw}",
        ))
    if cur.missed_blocks > prev.missed_blocks:
        found.append(Change(
            ChangeKind.MISSED_BLOCKS_INCREASED,
            f"missed:{prev.missed_blocks}->{cur.missed_blocks}",
        ))
    near = near_threshold(thresholds, near_fraction)
    if prev.missed_blocks < near <= cur.missed_blocks:
        found.append(Change(ChangeKind.MISSED_BLOCKS_NEAR_THRESHOLD, f"near:{cur_round}"))
    # A misdemeanor whose log was not seen (say, before the cursor): the count crossed a
    # multiple of the threshold within one round.
    step = thresholds.misdemeanor
    if (
        not any(e.name == "validatorMisdemeanor" for e in events)
        and cur.missed_blocks // step > prev.missed_blocks // step
        and cur.missed_blocks < thresholds.felony
    ):
        found.append(Change(
            ChangeKind.MISDEMEANOR, f"misdemeanor:{cur_round}:count{cur.missed_blocks // step}"
        ))
    return found


def _unique(changes: list[Change]) -> list[Change]:
    seen: set[tuple[ChangeKind, str]] = set()
    out: list[Change] = []
    for c in changes:
        if (c.kind, c.key) not in seen:
            seen.add((c.kind, c.key))
            out.append(c)
    return out


def kinds(changes: Sequence[Change]) -> list[str]:
    """Distinct change kinds in first-seen order: the `changes` field of ValidatorStatus."""
    out: list[str] = []
    for c in changes:
        if c.kind.value not in out:
            out.append(c.kind.value)
    return out
