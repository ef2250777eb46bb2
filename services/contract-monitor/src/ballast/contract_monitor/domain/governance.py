"""Quorum and approval progress of a proposal, counted as PstrGovernor counts it.

PSTR seed, "Governance Integration": square-root voting power, a 1.5x weight for staked tokens,
quorum 10-25% and approval 51-75% by proposal type. GovernorCountingQuadratic (contracts/src/
governance) fixes the exact arithmetic, mirrored here integer for integer:

    weight = (2 * votes + 3 * staked) // 2          votes: liquid ERC20Votes, staked: own stake
    power  = isqrt(weight)                          what For / Against / Abstain add up
    total  = (2 * supply + total_staked) // 2       the quorum basis, in weight
    quorum reached  <=>  weight of For + Abstain voters >= total * quorum_bps // 10000
    passes          <=>  for > 0 and for * 10000 >= approval_bps * (for + against)

all at the proposal's snapshot block. Types and their (quorum, approval) bps at deployment:
Parameter 1000/5100, Treasury 1500/6000, Upgrade 2500/7500, Emergency 2000/6667.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from ballast.common.messages import GovernanceProposal, ProposalType

BPS = 10_000
PROPOSAL_TYPES = (
    ProposalType.PARAMETER,  # GovernorCountingQuadratic.ProposalType.ParameterAdjustment = 0
    ProposalType.TREASURY,  # TreasuryStrategy = 1
    ProposalType.UPGRADE,  # ProtocolUpgrade = 2
    ProposalType.EMERGENCY,  # EmergencyAction = 3
)
STATES = ("pending", "active", "canceled", "defeated", "succeeded", "queued", "expired",
          "executed")  # OpenZeppelin IGovernor.ProposalState
OPEN_STATES = frozenset({"pending", "active", "succeeded", "queued"})


def voting_weight(votes: int, staked: int) -> int:
    return (2 * votes + 3 * staked) // 2


def voting_power(votes: int, staked: int) -> int:
    return math.isqrt(voting_weight(votes, staked))


def total_weight(supply: int, total_staked: int) -> int:
    return (2 * supply + total_staked) // 2


@dataclass(frozen=True)
class Ballot:
    """One VoteCast: the voter's support (0 against, 1 for, 2 abstain) and, at the proposal's
    snapshot, its liquid votes and its staked balance."""

    voter: str
    support: int
    votes: int
    staked: int


@dataclass(frozen=True)
class Tally:
    against: int
    for_: int
    abstain: int
    quorum_weight: int


def tally(ballots: Iterable[Ballot]) -> Tally:
    against = for_ = abstain = quorum = 0
    seen: set[str] = set()
    for b in ballots:
        if b.voter in seen:  # the governor refuses a second vote; a replayed log adds nothing
            continue
        seen.add(b.voter)
        power = voting_power(b.votes, b.staked)
        if b.support == 0:
            against += power
        elif b.support == 1:
            for_ += power
            quorum += voting_weight(b.votes, b.staked)
        elif b.support == 2:
            abstain += power
            quorum += voting_weight(b.votes, b.staked)
    return Tally(against, for_, abstain, quorum)


@dataclass(frozen=True)
class Progress:
    quorum_required: int
    quorum_reached: bool
    approval: Decimal | None
    approval_threshold: Decimal
    passing: bool


def progress(t: Tally, basis_weight: int, quorum_bps: int, approval_bps: int) -> Progress:
    """`basis_weight` is total_weight() at the snapshot (or at the latest block before it)."""
    required = basis_weight * quorum_bps // BPS
    decided = t.for_ + t.against
    approval = None if decided == 0 else Decimal(t.for_) / Decimal(decided)
    passing = t.for_ > 0 and t.for_ * BPS >= approval_bps * decided
    return Progress(
        quorum_required=required,
        quorum_reached=t.quorum_weight >= required,
        approval=approval,
        approval_threshold=Decimal(approval_bps) / BPS,
        passing=passing,
    )


def seconds_to_deadline(deadline_block: int, block: int, block_seconds: float) -> int:
    """Voting closes after `deadline_block` (the governor's block clock): the estimate is the
    number of blocks left times the chain's block time (3 s on Core)."""
    return max(int((deadline_block - block) * block_seconds), 0)


def proposal_type(index: int) -> ProposalType:
    return PROPOSAL_TYPES[index]


def state_name(index: int) -> str:
    return STATES[index] if 0 <= index < len(STATES) else f"unknown_{index}"


@dataclass(frozen=True)
class ProposalView:
    """A proposal as read at one block: what its ProposalCreated said, the governor's settings
    for it, the quorum basis at its snapshot, and each voter's inputs."""

    proposal_id: int
    proposer: str
    description: str
    block_number: int
    block_timestamp: int
    state: int
    type_index: int
    quorum_bps: int
    approval_bps: int
    snapshot_block: int
    deadline_block: int
    basis_supply: int
    basis_staked: int
    ballots: tuple[Ballot, ...]


def proposal_message(
    view: ProposalView, event: str, block_seconds: float, observed_at: datetime
) -> GovernanceProposal:
    t = tally(view.ballots)
    p = progress(t, total_weight(view.basis_supply, view.basis_staked), view.quorum_bps,
                 view.approval_bps)
    left = seconds_to_deadline(view.deadline_block, view.block_number, block_seconds)
    state = state_name(view.state)
    return GovernanceProposal(
        proposal_id=str(view.proposal_id),
        event=event,
        proposal_type=proposal_type(view.type_index),
        state=state,
        proposer=view.proposer,
        description=view.description,
        for_votes=Decimal(t.for_),
        against_votes=Decimal(t.against),
        abstain_votes=Decimal(t.abstain),
        quorum_required=Decimal(p.quorum_required),
        quorum_reached=p.quorum_reached,
        approval_threshold=p.approval_threshold,
        approval=p.approval,
        vote_end_at=datetime.fromtimestamp(view.block_timestamp + left, UTC),
        seconds_to_deadline=left if state in ("pending", "active") else 0,
        observed_at=observed_at,
    )
