"""Recommendation rules for the executor's rebalance (issue #9).

Move delegation away from a validator that is jailed (a felony: no income for `felonyRound`
rounds), inactive (refuses delegation), below its required margin or no longer a candidate
(neither can be elected, so the stake earns nothing next round), or whose missed blocks are
rising toward the misdemeanor threshold (at the threshold the round's income is forfeited; at the
felony threshold it is jailed). "Rising toward" means: at least `near_fraction` of the live
misdemeanor threshold AND more than at the start of this round. The count only falls at a round
turn (SlashIndicator.clean subtracts felonyThreshold / 4), so a validator that stopped missing
blocks goes back to HOLD at the next round instead of flapping between polls.

The rules say nothing about how much to move or where: the executor owns the rebalance.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ballast.validator_monitor.domain.changes import near_threshold
from ballast.validator_monitor.domain.model import Thresholds, ValidatorReading
from ballast.validator_monitor.domain.status import decode_status


class Action(StrEnum):
    MOVE_AWAY = "move_away"
    HOLD = "hold"


class Reason(StrEnum):
    JAILED = "jailed"
    INACTIVE = "inactive"
    MARGIN_LOW = "margin_low"
    NOT_CANDIDATE = "not_candidate"
    MISSED_BLOCKS_RISING = "missed_blocks_rising"


@dataclass(frozen=True)
class Recommendation:
    action: Action
    reasons: tuple[Reason, ...]

    @property
    def signature(self) -> tuple[str, tuple[str, ...]]:
        return self.action.value, tuple(r.value for r in self.reasons)


HOLD = Recommendation(Action.HOLD, ())


def recommend(
    reading: ValidatorReading | None,
    *,
    thresholds: Thresholds,
    round_start_missed: int,
    near_fraction: float,
) -> Recommendation:
    """MOVE_AWAY with every reason that applies, else HOLD. `None` is a vanished candidate."""
    if reading is None:
        return Recommendation(Action.MOVE_AWAY, (Reason.NOT_CANDIDATE,))
    status = decode_status(reading.status_bits)
    reasons: list[Reason] = []
    if status.is_jailed or reading.jailed_until_round is not None:
        reasons.append(Reason.JAILED)
    if status.is_inactive:
        reasons.append(Reason.INACTIVE)
    if status.is_margin_low:
        reasons.append(Reason.MARGIN_LOW)
    if not status.is_candidate:
        reasons.append(Reason.NOT_CANDIDATE)
    if (
        reading.missed_blocks >= near_threshold(thresholds, near_fraction)
        and reading.missed_blocks > round_start_missed
    ):
        reasons.append(Reason.MISSED_BLOCKS_RISING)
    return Recommendation(Action.MOVE_AWAY, tuple(reasons)) if reasons else HOLD
