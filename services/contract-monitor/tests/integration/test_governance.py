"""A governance proposal on the devnet followed from creation to execution: every Governor
event published once, with the tally and quorum counted as PstrGovernor counts them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from eth_utils.crypto import keccak

from ballast.contract_monitor.main import ContractMonitorApp
from ballast.testing.governance import Governance, parameter_change, setting_values

E18 = 10**18
Devnet = Any
PARAMETER = 0  # GovernorCountingQuadratic.ProposalType.ParameterAdjustment


async def test_monitor__proposal_created_voted_queued_executed__followed_with_governor_tally(
    devnet: Devnet, monitor_app: Any, seen: Any
) -> None:
    gov = devnet.deployment.governance
    pstr = devnet.deployment.tokens["PSTR"].address
    trader, admin = devnet.trader, devnet.admin
    # a second holder, who will vote against: 200,000 gPSTR liquid
    devnet.send(trader, pstr, "StakeBasketToken", "approve", gov.token, 200_000 * E18)
    devnet.send(trader, gov.token, "GovernanceToken", "depositFor", trader, 200_000 * E18)
    devnet.anvil.mine(1)
    app: ContractMonitorApp = await monitor_app()

    targets, values, calldatas = [admin], [0], [b""]
    description = "Raise the PSTR/USDC rebalance band to 12%"
    devnet.send(admin, gov.governor, "PstrGovernor", "proposeTyped", PARAMETER, targets, values,
                calldatas, description)
    desc_hash = keccak(text=description)
    (pid,) = devnet.view(gov.governor, "PstrGovernor", "hashProposal", targets, values,
                         calldatas, desc_hash)
    devnet.anvil.mine(2)
    await app.core.poll()
    devnet.send(admin, gov.governor, "PstrGovernor", "castVote", pid, 1)
    devnet.send(trader, gov.governor, "PstrGovernor", "castVote", pid, 0)
    await app.core.poll()
    against, for_, abstain = devnet.view(gov.governor, "PstrGovernor", "proposalVotes", pid)
    (required,) = devnet.view(gov.governor, "PstrGovernor", "quorumRequired", pid)
    devnet.anvil.mine(50)
    devnet.send(admin, gov.governor, "PstrGovernor", "queue", targets, values, calldatas,
                desc_hash)
    devnet.anvil.increase_time(61)
    devnet.send(admin, gov.governor, "PstrGovernor", "execute", targets, values, calldatas,
                desc_hash)
    await app.core.poll()

    messages = [p for p in (await seen()).proposals if p.proposal_id == str(pid)]
    events = [p for p in messages if p.event != "progress"]
    assert [p.event for p in events] == ["created", "vote_cast", "vote_cast", "queued",
                                         "executed"]
    created, _, voted, queued, executed = events
    assert created.proposal_type.value == "parameter" and created.description == description
    assert created.proposer == admin and created.state == "pending"
    assert created.seconds_to_deadline is not None and created.seconds_to_deadline > 0
    assert (voted.for_votes, voted.against_votes, voted.abstain_votes) == (
        Decimal(for_), Decimal(against), Decimal(abstain))
    assert voted.quorum_required == Decimal(required) and voted.quorum_reached
    assert voted.approval_threshold == Decimal("0.51")
    assert voted.approval == Decimal(for_) / Decimal(for_ + against)
    assert voted.state == "active"
    assert (queued.state, executed.state) == ("queued", "executed")
    assert executed.for_votes == Decimal(for_) and executed.seconds_to_deadline == 0
    progress = [p for p in messages if p.event == "progress"]
    assert progress and progress[0].state in ("pending", "active")
    registry = app.service.registry
    assert registry.get_sample_value(
        "ballast_contract_monitor_governance_published_total", {"event": "executed"}) == 1


async def test_monitor__parameter_proposal_executed__each_change_on_governance_parameters(
    devnet: Devnet, monitor_app: Any, seen: Any
) -> None:
    deployment = devnet.deployment
    address = deployment.governance.parameters
    app: ContractMonitorApp = await monitor_app()
    proposal = parameter_change(
        deployment, {"trigger_threshold": 90 * E18 // 100, "tier1_drawdown": 10 * E18 // 100},
        "Trigger at 90% of the 30-day VWAP; tier 1 from a 10% drawdown")

    before = devnet.anvil.block_number()
    Governance(devnet.anvil, deployment).pass_and_execute(proposal)
    await app.core.poll()

    published = (await seen()).parameters
    assert len([c for c in published if c.block_number <= before]) == 20  # the constructor's
    changes = [c for c in published if c.block_number > before]
    assert [(c.key, c.old_value, c.new_value) for c in changes] == [
        ("trigger_threshold", 85 * E18 // 100, 90 * E18 // 100),
        ("tier1_drawdown", 15 * E18 // 100, 10 * E18 // 100),
    ]
    assert changes[0].value == Decimal("0.9") and changes[0].contract == address
    assert not any(c.removed for c in changes)
    assert address is not None
    assert setting_values(devnet.anvil, address, ["trigger_threshold"]) == {
        "trigger_threshold": 90 * E18 // 100}
