"""PSTR governance against a real anvil: gPSTR weight and power, typed quorum and approval
boundaries, and a proposal carried from creation to execution through the timelock.

Definitions under test (GovernorCountingQuadratic NatSpec; PSTR seed "Governance Integration"):
weight = votes + 1.5 * staked, power = floor(sqrt(weight)); the tally sums power and passes when
for * 10000 >= approvalBps * (for + against); quorum is the For + Abstain WEIGHT reaching
quorumBps of totalSupply + 0.5 * totalStaked. Amounts below are chosen so that every square root is
exact and every boundary is hit to the wei.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from math import isqrt
from typing import Any

import pytest
from etf_suite import event_logs, load_artifact
from eth_abi import decode
from eth_utils import keccak, to_checksum_address
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError

pytestmark = pytest.mark.integration

TOKEN = 10**18
SUPPLY = 1_000_000 * TOKEN  # all gPSTR in existence; the deployer keeps what tests do not hand out
VOTING_DELAY = 1  # blocks
VOTING_PERIOD = 20  # blocks
TIMELOCK_DELAY = 3_600  # seconds
ZERO = "0x" + "00" * 20

# ProposalType and OpenZeppelin ProposalState
PARAMETER, TREASURY, UPGRADE, EMERGENCY = 0, 1, 2, 3
ACTIVE, CANCELED, DEFEATED, SUCCEEDED, QUEUED, EXECUTED = 1, 2, 3, 4, 5, 7
AGAINST, FOR, ABSTAIN = 0, 1, 2
QUORUM_BPS = {PARAMETER: 1000, TREASURY: 1500, UPGRADE: 2500, EMERGENCY: 2000}
APPROVAL_BPS = {PARAMETER: 5100, TREASURY: 6000, UPGRADE: 7500, EMERGENCY: 6667}
TYPE_IDS = {
    PARAMETER: "parameter",
    TREASURY: "treasury",
    UPGRADE: "upgrade",
    EMERGENCY: "emergency",
}


def _error(signature: str) -> str:
    return keccak(text=signature)[:4].hex()


@dataclass
class Gov:
    w3: Web3
    accounts: list[str]
    pstr: Contract
    token: Contract
    timelock: Contract
    governor: Contract
    usdc: Contract

    @property
    def deployer(self) -> str:
        return self.accounts[0]

    def rpc(self, method: str, *params: Any) -> Any:
        reply = self.w3.provider.make_request(method, list(params))  # type: ignore[arg-type]
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]

    def send(self, fn: Any, sender: str | None = None) -> Any:
        tx = fn.transact({"from": sender or self.deployer})
        receipt = self.w3.eth.wait_for_transaction_receipt(tx)
        assert receipt["status"] == 1
        return receipt

    def mine(self, blocks: int = 1) -> None:
        self.rpc("anvil_mine", hex(blocks))

    def warp(self, seconds: int) -> None:
        """Mine a block `seconds` after the latest one (anvil_mine runs ahead of wall time, so a
        relative evm_increaseTime is not enough)."""
        latest = int(self.w3.eth.get_block("latest")["timestamp"])
        self.rpc("evm_setNextBlockTimestamp", latest + seconds)
        self.mine()  # gas estimation runs on `latest`: let it see the new time

    def give(self, holder: str, amount: int) -> None:
        self.send(self.token.functions.transfer(holder, amount))

    def action(self, amount: int) -> tuple[list[str], list[int], list[bytes]]:
        """One treasury call: the timelock pays `amount` USDC base units to account 9."""
        data = self.usdc.functions.transfer(self.accounts[9], amount)._encode_transaction_data()
        return [self.usdc.address], [0], [Web3.to_bytes(hexstr=data)]

    def propose(self, kind: int | None, description: str, amount: int = 1) -> tuple[int, Any]:
        targets, values, calldatas = self.action(amount)
        if kind is None:
            fn = self.governor.functions.propose(targets, values, calldatas, description)
        else:
            fn = self.governor.functions.proposeTyped(kind, targets, values, calldatas, description)
        receipt = self.send(fn)
        proposal_id = self.governor.functions.hashProposal(
            targets, values, calldatas, keccak(text=description)
        ).call()
        return proposal_id, receipt

    def vote(self, proposal_id: int, voter: str, support: int) -> Any:
        return self.send(self.governor.functions.castVote(proposal_id, support), sender=voter)

    def state(self, proposal_id: int) -> int:
        return int(self.governor.functions.state(proposal_id).call())

    def past_block(self) -> int:
        """The latest block, after mining one so that it is in the past for ERC-5805 lookups."""
        self.mine()
        return int(self.w3.eth.block_number) - 1


def _deploy(w3: Web3, deployer: str, name: str, *args: Any) -> Contract:
    art = load_artifact(name)
    tx = (
        w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
        .constructor(*args)
        .transact({"from": deployer})
    )
    address = w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
    return w3.eth.contract(address=address, abi=art["abi"])


def _start_node(request: pytest.FixtureRequest, tmp: pytest.TempPathFactory) -> Iterator[Any]:
    try:
        yield request.getfixturevalue("anvil")
        return
    except pytest.FixtureLookupError:
        pass
    from ballast.testing.chain import run_anvil

    with run_anvil(tmp.mktemp("anvil")) as private:
        yield private


@pytest.fixture(scope="module")
def gov(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gov]:
    """PSTR, gPSTR, timelock and governor wired as in production; SUPPLY gPSTR minted to the
    deployer; 1,000,000 USDC in the timelock (the treasury). Module state is snapshotted once."""
    for node in _start_node(request, tmp_path_factory):
        w3 = Web3(Web3.HTTPProvider(node.rpc_url))
        accounts = [to_checksum_address(a) for a in node.accounts]
        me = accounts[0]
        snapshot = w3.provider.make_request("evm_snapshot", [])["result"]  # type: ignore[arg-type]
        pstr = _deploy(w3, me, "TestToken", "PSTR", "PSTR", 18)
        token = _deploy(w3, me, "GovernanceToken", pstr.address)
        timelock = _deploy(w3, me, "PstrTimelock", TIMELOCK_DELAY, [], [ZERO], me)
        governor = _deploy(
            w3, me, "PstrGovernor", token.address, timelock.address, VOTING_DELAY, VOTING_PERIOD, 0
        )
        usdc = _deploy(w3, me, "TestToken", "USD Coin", "USDC", 6)
        g = Gov(w3, accounts, pstr, token, timelock, governor, usdc)
        for role in ("PROPOSER_ROLE", "CANCELLER_ROLE"):
            role_id = getattr(timelock.functions, role)().call()
            g.send(timelock.functions.grantRole(role_id, governor.address))
        admin = timelock.functions.DEFAULT_ADMIN_ROLE().call()
        g.send(timelock.functions.renounceRole(admin, me))
        g.send(pstr.functions.mint(me, SUPPLY))
        g.send(pstr.functions.approve(token.address, SUPPLY))
        g.send(token.functions.depositFor(me, SUPPLY))
        g.send(usdc.functions.mint(timelock.address, 1_000_000 * 10**6))
        yield g
        w3.provider.make_request("evm_revert", [snapshot])  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _isolated(gov: Gov) -> Iterator[None]:
    snapshot = gov.rpc("evm_snapshot")
    yield
    gov.rpc("evm_revert", snapshot)


def test_gov_token__liquid_holder_without_delegate_call__power_is_square_root(gov: Gov) -> None:
    holder = gov.accounts[1]
    gov.give(holder, 4 * TOKEN)
    block = gov.past_block()

    assert gov.token.functions.getVotes(holder).call() == 4 * TOKEN  # self-delegated by default
    assert gov.governor.functions.votingWeight(holder, block).call() == 4 * TOKEN
    assert gov.governor.functions.getVotes(holder, block).call() == 2 * 10**9


def test_gov_token__staked_tokens__weigh_one_and_a_half_before_the_root(gov: Gov) -> None:
    mixed, staker = gov.accounts[1], gov.accounts[2]
    gov.give(mixed, 3 * TOKEN)
    gov.send(gov.token.functions.stake(2 * TOKEN), sender=mixed)
    gov.give(staker, TOKEN)
    gov.send(gov.token.functions.stake(TOKEN), sender=staker)
    block = gov.past_block()

    # 1 liquid + 1.5 * 2 staked = 4 tokens of weight -> power sqrt(4e18) = 2e9
    assert gov.token.functions.getPastStaked(mixed, block).call() == 2 * TOKEN
    assert gov.governor.functions.votingWeight(mixed, block).call() == 4 * TOKEN
    assert gov.governor.functions.getVotes(mixed, block).call() == 2 * 10**9
    # fully staked: weight 1.5 tokens, power sqrt(1.5) x a liquid token's
    assert gov.governor.functions.votingWeight(staker, block).call() == 3 * TOKEN // 2
    assert gov.governor.functions.getVotes(staker, block).call() == isqrt(3 * TOKEN // 2)
    # the basis for quorum: every token once, staked ones half again
    total = gov.governor.functions.totalVotingWeight(block).call()
    assert total == SUPPLY + 3 * TOKEN // 2


def test_gov_token__unstake__returns_liquid_weight(gov: Gov) -> None:
    holder = gov.accounts[1]
    gov.give(holder, 2 * TOKEN)
    gov.send(gov.token.functions.stake(2 * TOKEN), sender=holder)
    gov.send(gov.token.functions.unstake(TOKEN), sender=holder)
    block = gov.past_block()

    assert gov.token.functions.balanceOf(holder).call() == TOKEN
    assert gov.token.functions.stakedOf(holder).call() == TOKEN
    assert gov.governor.functions.votingWeight(holder, block).call() == 5 * TOKEN // 2
    over = _error("InsufficientStake(address,uint256,uint256)")
    with pytest.raises(ContractCustomError, match=over):
        gov.token.functions.unstake(TOKEN + 1).transact({"from": holder})


def test_gov_token__delegated_liquid_votes__rooted_together_in_the_delegate(gov: Gov) -> None:
    a, b = gov.accounts[1], gov.accounts[2]
    gov.give(a, 5 * TOKEN)
    gov.give(b, 4 * TOKEN)
    gov.send(gov.token.functions.delegate(b), sender=a)
    block = gov.past_block()

    assert gov.governor.functions.getVotes(b, block).call() == 3 * 10**9  # sqrt(9e18)
    assert gov.governor.functions.getVotes(a, block).call() == 0


@pytest.mark.parametrize("kind", list(QUORUM_BPS), ids=list(TYPE_IDS.values()))
def test_governor__for_weight_at_and_one_wei_under_quorum__succeeds_and_is_defeated(
    gov: Gov, kind: int
) -> None:
    required = SUPPLY * QUORUM_BPS[kind] // 10_000
    at, under = gov.accounts[1], gov.accounts[2]
    gov.give(at, required)
    gov.give(under, required - 1)
    pid_at, _ = gov.propose(kind, f"quorum at {kind}")
    pid_under, _ = gov.propose(kind, f"quorum under {kind}")
    gov.mine(VOTING_DELAY + 1)
    gov.vote(pid_at, at, FOR)
    gov.vote(pid_under, under, FOR)

    assert gov.governor.functions.quorumRequired(pid_at).call() == required
    assert gov.governor.functions.quorumWeight(pid_at).call() == required
    assert gov.governor.functions.quorumWeight(pid_under).call() == required - 1
    assert gov.governor.functions.quorumBps(pid_at).call() == QUORUM_BPS[kind]
    gov.mine(VOTING_PERIOD)
    assert gov.state(pid_at) == SUCCEEDED
    assert gov.state(pid_under) == DEFEATED


def test_governor__against_votes__do_not_count_toward_quorum(gov: Gov) -> None:
    voter, opponent = gov.accounts[1], gov.accounts[2]
    gov.give(voter, TOKEN)
    gov.give(opponent, SUPPLY // 2)
    pid, _ = gov.propose(PARAMETER, "opposed")
    gov.mine(VOTING_DELAY + 1)
    gov.vote(pid, voter, FOR)
    gov.vote(pid, opponent, AGAINST)

    assert gov.governor.functions.quorumWeight(pid).call() == TOKEN
    gov.mine(VOTING_PERIOD)
    assert gov.state(pid) == DEFEATED


@pytest.mark.parametrize("kind", list(APPROVAL_BPS), ids=list(TYPE_IDS.values()))
def test_governor__for_share_at_and_just_under_approval__succeeds_and_is_defeated(
    gov: Gov, kind: int
) -> None:
    bps, unit = APPROVAL_BPS[kind], 10**6  # powers in multiples of 1e6 keep roots exact
    abstainer, for_at, for_under, against = gov.accounts[1:5]
    gov.give(abstainer, 300_000 * TOKEN)  # carries quorum (30% of supply) without taking sides
    gov.give(for_at, (bps * unit) ** 2)
    gov.give(for_under, (bps * unit - 1) ** 2)
    gov.give(against, ((10_000 - bps) * unit) ** 2)
    pid_at, _ = gov.propose(kind, f"approval at {kind}")
    pid_under, _ = gov.propose(kind, f"approval under {kind}")
    gov.mine(VOTING_DELAY + 1)
    for pid, supporter in ((pid_at, for_at), (pid_under, for_under)):
        gov.vote(pid, abstainer, ABSTAIN)
        gov.vote(pid, supporter, FOR)
        gov.vote(pid, against, AGAINST)

    g = gov.governor.functions
    assert g.forVotes(pid_at).call() == bps * unit
    assert g.againstVotes(pid_at).call() == (10_000 - bps) * unit
    assert g.abstainVotes(pid_at).call() == isqrt(300_000 * TOKEN)
    assert g.forVotes(pid_under).call() == bps * unit - 1
    assert g.approvalThresholdBps(pid_at).call() == bps
    assert g.proposalType(pid_at).call() == kind
    gov.mine(VOTING_PERIOD)
    assert gov.state(pid_at) == SUCCEEDED
    assert gov.state(pid_under) == DEFEATED


def test_governor__untyped_propose__is_a_protocol_upgrade(gov: Gov) -> None:
    pid, receipt = gov.propose(None, "no type given")

    (typed,) = event_logs(receipt, gov.governor.address, "ProposalTyped(uint256,uint8)")
    assert int.from_bytes(bytes(typed["topics"][1]), "big") == pid
    assert decode(["uint8"], bytes(typed["data"])) == (UPGRADE,)
    assert gov.governor.functions.proposalType(pid).call() == UPGRADE
    assert gov.governor.functions.quorumBps(pid).call() == 2500
    assert gov.governor.functions.approvalThresholdBps(pid).call() == 7500


def test_governor__treasury_proposal__created_voted_queued_executed_through_timelock(
    gov: Gov,
) -> None:
    whale, minnow, payee = gov.accounts[1], gov.accounts[2], gov.accounts[9]
    gov.give(whale, 200_000 * TOKEN)  # 20% of supply: over the 15% treasury quorum
    gov.give(minnow, 10_000 * TOKEN)
    amount = 250_000 * 10**6
    targets, values, calldatas = gov.action(amount)
    description = "Deploy 250,000 USDC of treasury reserves"
    desc_hash = keccak(text=description)

    pid, created = gov.propose(TREASURY, description, amount)
    assert event_logs(
        created,
        gov.governor.address,
        "ProposalCreated(uint256,address,address[],uint256[],string[],bytes[],uint256,uint256,string)",
    )
    assert event_logs(created, gov.governor.address, "ProposalTyped(uint256,uint8)")
    gov.mine(VOTING_DELAY + 1)
    assert gov.state(pid) == ACTIVE
    cast = gov.vote(pid, whale, FOR)
    gov.vote(pid, minnow, AGAINST)
    (vote_log,) = event_logs(
        cast, gov.governor.address, "VoteCast(address,uint256,uint8,uint256,string)"
    )
    assert decode(["uint256", "uint8", "uint256", "string"], bytes(vote_log["data"]))[:3] == (
        pid,
        FOR,
        isqrt(200_000 * TOKEN),
    )
    gov.mine(VOTING_PERIOD)
    assert gov.state(pid) == SUCCEEDED

    queued = gov.send(gov.governor.functions.queue(targets, values, calldatas, desc_hash))
    assert event_logs(queued, gov.governor.address, "ProposalQueued(uint256,uint256)")
    assert gov.state(pid) == QUEUED
    not_ready = _error("TimelockUnexpectedOperationState(bytes32,bytes32)")
    with pytest.raises(ContractCustomError, match=not_ready):
        gov.governor.functions.execute(targets, values, calldatas, desc_hash).transact(
            {"from": gov.deployer}
        )
    gov.warp(TIMELOCK_DELAY)
    executed = gov.send(gov.governor.functions.execute(targets, values, calldatas, desc_hash))

    assert event_logs(executed, gov.governor.address, "ProposalExecuted(uint256)")
    assert gov.state(pid) == EXECUTED
    assert gov.usdc.functions.balanceOf(payee).call() == amount
    assert gov.usdc.functions.balanceOf(gov.timelock.address).call() == 750_000 * 10**6


def test_governor__proposer_cancels_pending__emits_proposal_canceled(gov: Gov) -> None:
    pid, _ = gov.propose(EMERGENCY, "pause the intervention engine")
    targets, values, calldatas = gov.action(1)

    receipt = gov.send(
        gov.governor.functions.cancel(
            targets, values, calldatas, keccak(text="pause the intervention engine")
        )
    )

    assert event_logs(receipt, gov.governor.address, "ProposalCanceled(uint256)")
    assert gov.state(pid) == CANCELED


def test_governor__set_type_params_outside_governance__reverts_only_executor(gov: Gov) -> None:
    only_executor = _error("GovernorOnlyExecutor(address)")
    with pytest.raises(ContractCustomError, match=only_executor):
        gov.governor.functions.setProposalTypeParams(TREASURY, 2000, 6500).transact(
            {"from": gov.deployer}
        )
    assert gov.governor.functions.typeParams(TREASURY).call() == [1500, 6000]


def _pass_and_execute(gov: Gov, kind: int, call: Any, description: str, voter: str) -> None:
    data = Web3.to_bytes(hexstr=call._encode_transaction_data())
    targets: Sequence[str] = [gov.governor.address]
    receipt_pid = gov.send(
        gov.governor.functions.proposeTyped(kind, targets, [0], [data], description)
    )
    assert receipt_pid["status"] == 1
    pid = gov.governor.functions.hashProposal(targets, [0], [data], keccak(text=description)).call()
    gov.mine(VOTING_DELAY + 1)
    gov.vote(pid, voter, FOR)
    gov.mine(VOTING_PERIOD)
    desc_hash = keccak(text=description)
    gov.send(gov.governor.functions.queue(targets, [0], [data], desc_hash))
    gov.warp(TIMELOCK_DELAY)
    gov.send(gov.governor.functions.execute(targets, [0], [data], desc_hash))


def test_governor__type_params_changed_by_governance__open_proposals_keep_theirs(gov: Gov) -> None:
    voter = gov.accounts[1]
    gov.give(voter, 300_000 * TOKEN)
    open_pid, _ = gov.propose(TREASURY, "opened before the change")

    _pass_and_execute(
        gov,
        PARAMETER,
        gov.governor.functions.setProposalTypeParams(TREASURY, 2000, 6500),
        "Raise the treasury quorum to 20% and approval to 65%",
        voter,
    )

    assert gov.governor.functions.typeParams(TREASURY).call() == [2000, 6500]
    assert gov.governor.functions.quorumBps(open_pid).call() == 1500
    assert gov.governor.functions.approvalThresholdBps(open_pid).call() == 6000
    new_pid, _ = gov.propose(TREASURY, "opened after the change")
    assert gov.governor.functions.quorumBps(new_pid).call() == 2000
