"""What the oracle holds per symbol between consensus rounds: each source's latest reading,
its DOWN reason and chain head, and the symbol's guard state, sequence and last consensus."""

from __future__ import annotations

from dataclasses import dataclass, field

from ballast.common.messages import ConsensusPrice, PriceObservation
from ballast.oracle.domain.anchor import CLEAR, AnchorState
from ballast.oracle.domain.jump_guard import JumpState
from ballast.oracle.domain.policy import ConsensusConfig, SourcePolicy


@dataclass
class SourceState:
    policy: SourcePolicy
    reading: PriceObservation | None = None
    down: str | None = None
    head_block: int | None = None
    answered: bool = False
    """Has given a reading or an error since the start (see `startup_grace_seconds`)."""


@dataclass
class SymbolState:
    config: ConsensusConfig
    sources: dict[str, SourceState]
    jump: JumpState = field(default_factory=JumpState)
    anchor: AnchorState = CLEAR
    sequence: int = 0
    last: ConsensusPrice | None = None
    last_published: float = float("-inf")


def is_news(previous: PriceObservation | None, observation: PriceObservation) -> bool:
    """False for the same reading again (a REST poll between two publishes) and for one older
    than what we have (a lagging REST answer after the stream's)."""
    if previous is None:
        return True
    if (previous.published_at == observation.published_at
            and previous.price == observation.price
            and previous.block_number == observation.block_number):
        return False
    return observation.published_at >= previous.published_at
