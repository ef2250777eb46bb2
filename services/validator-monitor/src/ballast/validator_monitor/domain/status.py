"""Core DAO candidate status bits (REFERENCE.md "Core DAO chain", CandidateHub).

CandidateHub keeps one `status` word per candidate: 1 candidate, 2 inactive (refuses
delegation), 4 jailed, 8 margin below the required margin, 16 validator of the current round.
17 (candidate | validator) is a healthy active validator; a candidate is electable only when its
status, without the validator bit, is exactly 1.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntFlag


class StatusBit(IntFlag):
    CANDIDATE = 1
    INACTIVE = 2
    JAILED = 4
    MARGIN_LOW = 8
    VALIDATOR = 16


ACTIVE_VALIDATOR = StatusBit.CANDIDATE | StatusBit.VALIDATOR


@dataclass(frozen=True)
class DecodedStatus:
    bits: int
    is_candidate: bool
    is_inactive: bool
    is_jailed: bool
    is_margin_low: bool
    is_validator: bool

    @property
    def electable(self) -> bool:
        """Core elects only candidates whose status without the validator bit is exactly 1."""
        return self.bits & ~int(StatusBit.VALIDATOR) == int(StatusBit.CANDIDATE)


def decode_status(bits: int) -> DecodedStatus:
    if bits < 0:
        raise ValueError(f"status bits cannot be negative: {bits}")
    return DecodedStatus(
        bits=bits,
        is_candidate=bool(bits & StatusBit.CANDIDATE),
        is_inactive=bool(bits & StatusBit.INACTIVE),
        is_jailed=bool(bits & StatusBit.JAILED),
        is_margin_low=bool(bits & StatusBit.MARGIN_LOW),
        is_validator=bool(bits & StatusBit.VALIDATOR),
    )


FLAG_NAMES: dict[StatusBit, str] = {
    StatusBit.CANDIDATE: "candidate",
    StatusBit.INACTIVE: "inactive",
    StatusBit.JAILED: "jailed",
    StatusBit.MARGIN_LOW: "margin_low",
    StatusBit.VALIDATOR: "validator",
}
"""Label values for per-flag metrics, in bit order."""
