"""Quorum and approval progress as GovernorCountingQuadratic counts them."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from decimal import Decimal

from ballast.common.messages import ProposalType
from ballast.contract_monitor.domain.governance import (
    Ballot,
    ProposalView,
    progress,
    proposal_message,
    tally,
    total_weight,
    voting_power,
    voting_weight,
)

E18 = 10**18


def test_voting_power__staked_tokens__weighted_one_and_a_half_then_rooted() -> None:
    assert voting_weight(100 * E18, 100 * E18) == 250 * E18
    assert voting_power(0, 100 * E18) == math.isqrt(150 * E18)
    assert voting_power(E18, 0) == 10**9  # one whole token alone


def test_voting_power__odd_base_units__weight_rounded_down_like_the_contract() -> None:
    assert voting_weight(0, 1) == 1  # (0 + 3) // 2
    assert voting_weight(1, 1) == 2  # (2 + 3) // 2


def test_tally__for_against_abstain__power_sums_and_quorum_counts_for_and_abstain_weight() -> None:
    t = tally([Ballot("a", 1, 400 * E18, 0), Ballot("b", 0, 900 * E18, 0),
               Ballot("c", 2, 0, 100 * E18)])
    assert (t.for_, t.against, t.abstain) == (
        math.isqrt(400 * E18), math.isqrt(900 * E18), math.isqrt(150 * E18))
    assert t.quorum_weight == 400 * E18 + 150 * E18


def test_tally__same_voter_twice__counted_once() -> None:
    t = tally([Ballot("a", 1, E18, 0), Ballot("a", 1, E18, 0)])
    assert t.for_ == 10**9


def test_progress__parameter_type_at_exactly_51_percent__passes() -> None:
    t = tally([])
    t = type(t)(against=49, for_=51, abstain=0, quorum_weight=100)
    p = progress(t, basis_weight=1000, quorum_bps=1000, approval_bps=5100)
    assert p.passing and p.quorum_reached and p.quorum_required == 100
    assert p.approval == Decimal("0.51") and p.approval_threshold == Decimal("0.51")


def test_progress__upgrade_type_below_quorum__not_reached() -> None:
    t = tally([Ballot("a", 1, 240 * E18, 0)])
    p = progress(t, total_weight(1000 * E18, 0), quorum_bps=2500, approval_bps=7500)
    assert not p.quorum_reached and p.passing and p.approval == 1


def test_total_weight__half_staked__supply_plus_half_the_stake() -> None:
    assert total_weight(1_000_000, 500_000) == 1_250_000


def test_proposal_message__active_proposal__type_deadline_and_progress() -> None:
    view = ProposalView(
        proposal_id=7, proposer="0x" + "ab" * 20, description="d", block_number=100,
        block_timestamp=1_000_000, state=1, type_index=3, quorum_bps=2000, approval_bps=6667,
        snapshot_block=90, deadline_block=140, basis_supply=1000 * E18, basis_staked=0,
        ballots=(Ballot("a", 1, 300 * E18, 0),),
    )
    m = proposal_message(view, "vote_cast", 3.0, datetime(2026, 1, 1, tzinfo=UTC))
    assert m.proposal_type == ProposalType.EMERGENCY and m.state == "active"
    assert m.seconds_to_deadline == 120
    assert m.vote_end_at == datetime.fromtimestamp(1_000_120, UTC)
    assert m.quorum_required == Decimal(200 * E18) and m.quorum_reached
    assert m.approval_threshold == Decimal("0.6667") and m.approval == 1
