"""A governance proposal carried through on the devnet, step by step: proposed with its type,
voted For by the deployer (who holds the devnet's staked gPSTR: enough for the Parameter
Adjustment quorum), queued once the voting period is mined past, the timelock's delay waited out
by anvil time travel (`evm_increaseTime` + a mined block), executed by anyone.

`parameter_change` builds the one call that moves strategy parameters: StrategyParameters
`setMany`, which only the timelock (its owner) may make."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from eth_utils.crypto import keccak
from web3 import Web3

from ballast.common.evm.artifacts import load_artifact
from ballast.devnet import Deployment
from ballast.devnet.protocol import (
    TIMELOCK_DELAY_SECONDS,
    VOTING_DELAY_BLOCKS,
    VOTING_PERIOD_BLOCKS,
)
from ballast.strategy.onchain import key_bytes

PARAMETER = 0  # GovernorCountingQuadratic.ProposalType.ParameterAdjustment
STATES = ("pending", "active", "canceled", "defeated", "succeeded", "queued", "expired",
          "executed")  # OpenZeppelin IGovernor.ProposalState
_OFFLINE = Web3()


class Chain(Protocol):
    """What a proposal needs of an anvil (ballast.devstack.anvil.Anvil)."""

    def rpc(self, method: str, *params: Any) -> Any: ...
    def mine(self, blocks: int = 1) -> None: ...
    def increase_time(self, seconds: int, *, mine: bool = True) -> None: ...
    def send_transaction(self, tx: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]: ...


def _contract(name: str) -> Any:
    return _OFFLINE.eth.contract(abi=load_artifact(name).abi)


def encode(contract: str, fn: str, *args: Any) -> bytes:
    return bytes.fromhex(_contract(contract).encode_abi(fn, list(args))[2:])


@dataclass(frozen=True)
class Proposal:
    targets: list[str]
    values: list[int]
    calldatas: list[bytes]
    description: str

    @property
    def description_hash(self) -> bytes:
        return keccak(text=self.description)

    @property
    def call(self) -> tuple[list[str], list[int], list[bytes], bytes]:
        return self.targets, self.values, self.calldatas, self.description_hash


def parameter_change(deployment: Deployment, changes: Mapping[str, int],
                     description: str) -> Proposal:
    """One StrategyParameters.setMany of `changes` (name -> 18-decimal fixed point)."""
    target = deployment.governance.parameters
    assert target is not None, "this deployment has no StrategyParameters"
    data = encode("StrategyParameters", "setMany", [key_bytes(k) for k in changes],
                  list(changes.values()))
    return Proposal([target], [0], [data], description)


class Governance:
    def __init__(self, chain: Chain, deployment: Deployment) -> None:
        self.chain = chain
        self.governor = deployment.governance.governor
        self.voter = deployment.deployer

    def _send(self, fn: str, *args: Any, sender: str | None = None) -> dict[str, Any]:
        data = encode("PstrGovernor", fn, *args)
        receipt = self.chain.send_transaction({
            "from": sender or self.voter, "to": self.governor, "data": "0x" + data.hex(),
            "gas": hex(3_000_000)})
        assert int(receipt["status"], 16) == 1, f"{fn} reverted"
        return receipt

    def view(self, fn: str, *args: Any) -> Any:
        c = _contract("PstrGovernor")
        data = "0x" + encode("PstrGovernor", fn, *args).hex()
        raw = self.chain.rpc("eth_call", {"to": self.governor, "data": data}, "latest")
        outputs = c.get_function_by_name(fn).abi["outputs"]
        decoded = _OFFLINE.codec.decode([o["type"] for o in outputs], bytes.fromhex(raw[2:]))
        return decoded[0] if len(decoded) == 1 else decoded

    def state(self, proposal_id: int) -> str:
        return STATES[int(self.view("state", proposal_id))]

    def propose(self, p: Proposal, kind: int = PARAMETER) -> int:
        self._send("proposeTyped", kind, p.targets, p.values, p.calldatas, p.description)
        return int(self.view("hashProposal", *p.call))

    def vote_for(self, proposal_id: int) -> None:
        """Mine past the voting delay, vote For, mine past the voting period."""
        self.chain.mine(VOTING_DELAY_BLOCKS + 1)
        self._send("castVote", proposal_id, 1)
        self.chain.mine(VOTING_PERIOD_BLOCKS)

    def queue(self, p: Proposal) -> None:
        self._send("queue", *p.call)

    def wait_out_timelock(self) -> None:
        self.chain.increase_time(TIMELOCK_DELAY_SECONDS + 1)

    def execute(self, p: Proposal) -> dict[str, Any]:
        return self._send("execute", *p.call)

    def pass_and_execute(self, p: Proposal, kind: int = PARAMETER) -> int:
        """Every step in order, each state checked; the proposal's id."""
        pid = self.propose(p, kind)
        self.vote_for(pid)
        assert self.state(pid) == "succeeded", self.state(pid)
        self.queue(p)
        assert self.state(pid) == "queued"
        self.wait_out_timelock()
        self.execute(p)
        assert self.state(pid) == "executed"
        return pid


def setting_values(anvil: Chain, address: str, names: Sequence[str]) -> dict[str, int]:
    """StrategyParameters.get of each name, now."""
    found: dict[str, int] = {}
    for name in names:
        data = "0x" + encode("StrategyParameters", "get", key_bytes(name)).hex()
        raw = anvil.rpc("eth_call", {"to": address, "data": data}, "latest")
        found[name] = int(raw, 16)
    return found
