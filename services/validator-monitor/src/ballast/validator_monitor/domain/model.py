"""What the monitor reads and remembers, as plain frozen data.

Addresses are EIP-55 checksummed strings. Core has two address kinds (REFERENCE.md): the operator
address keys CandidateHub, StakeHub and CoreAgent; the consensus address keys ValidatorSet and
SlashIndicator. Every reading is keyed by operator and carries its consensus address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class ValidatorReading:
    """One operator at one block, from the Core views."""

    operator: str
    consensus: str | None
    status_bits: int
    commission_thousandths: int
    """The candidate's commission in CandidateHub (what it charges from its next round)."""
    commission_last_change_round: int = 0
    commission_last_round_value: int = 0
    effective_commission_thousandths: int | None = None
    """ValidatorSet's commission for the current round (Core forces 1000 on a zero score)."""
    jailed_until_round: int | None = None
    in_validator_set: bool = False
    missed_blocks: int = 0
    income_raw: int = 0
    total_delegated_raw: int | None = None
    """CoreAgent.candidateMap realtime amount; None where the view is not available."""
    our_delegation_raw: int = 0
    """CoreAgent.getDelegator(op, StakingManager).realtimeAmount."""
    our_staked_raw: int = 0
    """...stakedAmount: the part that earns this round."""
    score_total: int = 0
    score_core: int = 0

    def commission_changed_in(self, round_: int) -> bool:
        """Core's `update()` saves the commission before a round's first change together with
        that round; a change this round shows as a different value saved in this round."""
        return (
            self.commission_last_change_round == round_
            and self.commission_last_round_value != self.commission_thousandths
        )


@dataclass(frozen=True)
class Thresholds:
    """SlashIndicator's live thresholds (governed on Core: read them, never hard-code)."""

    misdemeanor: int
    felony: int


@dataclass(frozen=True)
class Snapshot:
    """Every monitored operator at one confirmed block."""

    block: int
    timestamp: datetime
    round: int
    thresholds: Thresholds
    validators: dict[str, ValidatorReading]

    def operator_of(self, consensus: str) -> str | None:
        for reading in self.validators.values():
            if reading.consensus is not None and reading.consensus.lower() == consensus.lower():
                return reading.operator
        return None


@dataclass(frozen=True)
class ChainEvent:
    """A decoded log of the watched contracts, its subject resolved to an operator address."""

    name: str
    block: int
    log_index: int
    tx_hash: str
    operator: str | None
    args: dict[str, int | str] = field(default_factory=dict[str, "int | str"])

    @property
    def ref(self) -> str:
        return f"{self.block}.{self.log_index}"


@dataclass(frozen=True)
class ValidatorMemory:
    """What the monitor keeps about one operator between polls (and in Postgres)."""

    reading: ValidatorReading
    round: int
    round_start_missed: int
    """Missed-block count at the first reading of `round`: "rising" means above it."""
    previous_round_income: int | None = None
    """Income last seen in the previous round: the round's full income, for the APY."""


@dataclass(frozen=True)
class MonitorState:
    block: int | None = None
    round: int | None = None
    epoch: int | None = None
    validators: dict[str, ValidatorMemory] = field(default_factory=dict[str, ValidatorMemory])
    recommendations: dict[str, tuple[str, tuple[str, ...]]] = field(
        default_factory=dict[str, tuple[str, tuple[str, ...]]]
    )
    """operator -> (action, reasons) last published."""
