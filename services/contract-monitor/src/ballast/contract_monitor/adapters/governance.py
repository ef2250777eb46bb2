"""Reads of PstrGovernor and gPSTR for one proposal at one block, in one round trip."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ballast.contract_monitor.adapters import abi
from ballast.contract_monitor.adapters.calls import Call, Caller
from ballast.contract_monitor.adapters.suite import ReadError, revert_reason
from ballast.contract_monitor.domain.governance import Ballot, ProposalView

GOVERNOR = abi.functions("PstrGovernor")
TOKEN = abi.functions("GovernanceToken")
MC = abi.functions("Multicall3")


@dataclass(frozen=True)
class GovernanceAddresses:
    governor: str
    timelock: str
    token: str


@dataclass(frozen=True)
class Created:
    """What ProposalCreated recorded (from the event store)."""

    proposal_id: int
    proposer: str
    description: str


class GovernanceReader:
    def __init__(self, caller: Caller, addresses: GovernanceAddresses) -> None:
        self.caller = caller
        self.a = addresses

    async def read(
        self, created: Created, voters: Sequence[tuple[str, int]], block: int
    ) -> ProposalView:
        """`voters` are (voter, support) of the VoteCast logs up to `block`, in order."""
        g, pid = self.a.governor, created.proposal_id
        head = await self.caller.call([
            Call(g, GOVERNOR["state"], (pid,)),
            Call(g, GOVERNOR["proposalType"], (pid,)),
            Call(g, GOVERNOR["quorumBps"], (pid,)),
            Call(g, GOVERNOR["approvalThresholdBps"], (pid,)),
            Call(g, GOVERNOR["proposalSnapshot"], (pid,)),
            Call(g, GOVERNOR["proposalDeadline"], (pid,)),
        ], block)
        for r in head:
            if not r.ok:
                raise ReadError(f"proposal {pid} at {block}: {revert_reason(r.revert)}")
        state, kind, quorum_bps, approval_bps, snapshot, deadline = (int(r.value[0]) for r in head)
        # the governor's quorumRequired: the snapshot, or the latest block before it if pending
        basis = min(snapshot, block - 1)
        t = self.a.token
        calls = [Call(t, TOKEN["getPastTotalSupply"], (basis,)),
                 Call(t, TOKEN["getPastTotalStaked"], (basis,))]
        counted = [(v, s) for v, s in voters if snapshot < block]
        for voter, _ in counted:
            calls += [Call(t, TOKEN["getPastVotes"], (voter, snapshot)),
                      Call(t, TOKEN["getPastStaked"], (voter, snapshot))]
        if self.caller.multicall:
            calls.append(Call(self.caller.multicall, MC["getCurrentBlockTimestamp"]))
        res = await self.caller.call(calls, block)
        for r in res:
            if not r.ok:
                raise ReadError(f"gPSTR at {block}: {revert_reason(r.revert)}")
        values = [int(r.value[0]) for r in res]
        if self.caller.multicall:
            timestamp = values[-1]
        else:
            header = await self.caller.rpc.block(block)
            timestamp = int(header["timestamp"], 16) if header else 0
        ballots = tuple(
            Ballot(voter, support, values[2 + 2 * i], values[3 + 2 * i])
            for i, (voter, support) in enumerate(counted)
        )
        return ProposalView(
            proposal_id=pid, proposer=created.proposer, description=created.description,
            block_number=block, block_timestamp=timestamp, state=state, type_index=kind,
            quorum_bps=quorum_bps, approval_bps=approval_bps, snapshot_block=snapshot,
            deadline_block=deadline, basis_supply=values[0], basis_staked=values[1],
            ballots=ballots,
        )
