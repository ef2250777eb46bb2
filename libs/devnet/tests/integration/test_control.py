"""Who controls the ETF after `ballast deploy devnet` (issue 21 "Control"): the timelock holds
every admin role and the PriceFeed, the deployer none; the guardian pauses the StakeBasket at
once but cannot resume it; a governor proposal, executed through the timelock after its delay,
resumes it (time travel on anvil, as in tests/e2e/test_governed_parameters.py)."""

from __future__ import annotations

from collections.abc import Callable, Generator
from typing import Any

import pytest
from eth_account import Account
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractCustomError, ContractLogicError

from ballast.common.evm.artifacts import load_artifact
from ballast.devnet import Deployment
from ballast.devnet.chain import connect, contract
from ballast.devnet.control import GUARDIAN_KEY
from ballast.testing.chain import Anvil, RpcError
from ballast.testing.devnet import deployed_devnet, reverted
from ballast.testing.governance import Governance, Proposal, encode

EMERGENCY = 3  # GovernorCountingQuadratic.ProposalType.EmergencyAction
ADMIN = b"\0" * 32
ETH = 10**18


def selector(signature: str) -> str:
    return "0x" + keccak(text=signature)[:4].hex()


UNAUTHORIZED = selector("AccessControlUnauthorizedAccount(address,bytes32)")
NOT_OWNER = selector("OwnableUnauthorizedAccount(address)")
PAUSED = selector("EnforcedPause()")


@pytest.fixture(scope="module")
def deployed(anvil: Anvil, tmp_path_factory: pytest.TempPathFactory) -> Generator[Deployment]:
    """`ballast deploy devnet` without a Safe; each test's changes undone (`w3`)."""
    with deployed_devnet(anvil, tmp_path_factory.mktemp("control")) as (deployment, _):
        yield deployment


@pytest.fixture
def w3(deployed: Deployment, anvil: Anvil) -> Generator[Web3]:
    with reverted(anvil):
        yield connect(anvil.rpc_url)


def at(w3: Web3, name: str, address: str) -> Contract:
    return contract(w3, load_artifact(name), address)


def send(w3: Web3, fn: Any, sender: str, value: int = 0) -> dict[str, Any]:
    tx = fn.transact({"from": Web3.to_checksum_address(sender), "value": value})
    receipt = dict(w3.eth.wait_for_transaction_receipt(tx))
    assert receipt["status"] == 1
    return receipt


def refused(action: Callable[[], Any], error: str) -> None:
    """`action` reverts (at its gas estimate) with the custom error whose selector is `error`."""
    with pytest.raises((ContractCustomError, ContractLogicError)) as info:
        action()
    assert str(getattr(info.value, "data", "")).startswith(error), info.value


def test_handover__deployed__timelock_admin_guardian_pauser_and_the_deployer_no_admin(
    w3: Web3, deployed: Deployment
) -> None:
    etf, timelock, deployer = deployed.etf, deployed.governance.timelock, deployed.deployer
    guardian = Account.from_key(GUARDIAN_KEY).address
    assert deployed.guardian == guardian
    for name, address in (("StakeBasket", etf.stake_basket),
                          ("StakingManager", etf.staking_manager),
                          ("UnbondingQueue", etf.unbonding_queue)):
        roles = at(w3, name, address).functions
        assert roles.hasRole(ADMIN, timelock).call(), name
        assert not roles.hasRole(ADMIN, deployer).call(), name
    feed = at(w3, "PriceFeed", etf.price_feed)
    assert feed.functions.owner().call() == timelock
    basket = at(w3, "StakeBasket", etf.stake_basket).functions
    pauser, operator = basket.PAUSER_ROLE().call(), basket.OPERATOR_ROLE().call()
    holders = (guardian, deployer, deployed.treasury)
    assert [basket.hasRole(pauser, a).call() for a in holders] == [True, False, False]
    assert [basket.hasRole(operator, a).call() for a in holders] == [False, True, True]
    # what the deployer did during the deployment, it can no longer do
    manager = at(w3, "StakingManager", etf.staking_manager).functions
    refused(lambda: send(w3, basket.setSwapTolerance(100), deployer), UNAUTHORIZED)
    refused(lambda: send(w3, manager.setAssetTargets(5_000, 5_000), deployer), UNAUTHORIZED)
    refused(lambda: send(w3, basket.grantRole(pauser, deployer), deployer), UNAUTHORIZED)
    refused(lambda: send(w3, feed.functions.removeFeed(b"CORE".ljust(32, b"\0")), deployer),
            NOT_OWNER)


def test_guardian__pauses_at_once__only_a_proposal_through_the_timelock_resumes(
    anvil: Anvil, w3: Web3, deployed: Deployment
) -> None:
    basket = at(w3, "StakeBasket", deployed.etf.stake_basket)
    b, guardian, trader = basket.functions, str(deployed.guardian), deployed.trader
    block = w3.eth.block_number
    receipt = send(w3, b.pause(), guardian)
    assert receipt["blockNumber"] == block + 1 and b.paused().call()  # one transaction, no wait
    refused(lambda: send(w3, b.deposit(0), trader, ETH), PAUSED)
    for who in (guardian, deployed.deployer, deployed.treasury):
        refused(lambda who=who: send(w3, b.unpause(), who), UNAUTHORIZED)

    gov = Governance(anvil, deployed)
    resume = Proposal([basket.address], [0], [encode("StakeBasket", "unpause")],
                      "Resume the StakeBasket: the incident is over")
    pid = gov.propose(resume, EMERGENCY)
    gov.vote_for(pid)
    gov.queue(resume)
    assert gov.state(pid) == "queued"
    too_early = "0x" + encode("PstrGovernor", "execute", *resume.call).hex()
    with pytest.raises(RpcError):
        anvil.rpc("eth_call", {"from": trader, "to": gov.governor, "data": too_early}, "latest")
    assert b.paused().call()

    gov.wait_out_timelock()
    gov.execute(resume)
    assert gov.state(pid) == "executed"
    assert not b.paused().call()
    send(w3, b.deposit(0), trader, ETH)
