"""StakeBasket staking and withdrawal funding on the devnet (anvil, the whole deployer): deposits
staked leaving the instant-withdrawal buffer; a queued withdrawal funded by a recall ahead of
its maturity and claimed by the user at maturity; the decider's triggers from etf.metrics."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from web3 import Web3
from web3.logs import DISCARD

from ballast.common.deployment import Deployment
from ballast.common.evm.artifacts import load_artifact
from ballast.common.messages import (
    AutomationKind,
    AutomationRequest,
    EtfMetrics,
    ExecutionMode,
    ExecutionStatus,
)
from ballast.intervention.app import Decider
from ballast.intervention.domain.automation import AutomationConfig
from ballast.strategy.policy import Policy

NOW = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)
ETH = 10**18


def basket(w3: Web3, d: Deployment, name: str, address: str) -> Any:
    return w3.eth.contract(address=Web3.to_checksum_address(address),
                           abi=load_artifact(name).abi)


async def run(harness: Any, d: Deployment, kind: AutomationKind, request_id: str) -> Any:
    assert await harness.decider(NOW).on_automation(AutomationRequest(
        request_id=request_id, kind=kind, amount_usd=Decimal(0), reason="test",
        requested_at=NOW))
    await harness.settle(harness.executor(basket=d.etf.stake_basket), passes=12)
    [done] = harness.automation_actions(kind)
    return done


async def test_stake__deposit_waiting__staked_leaving_a_10pct_buffer(
    harness: Any, devnet: Deployment,
) -> None:
    w3 = harness.dex.w3
    manager = basket(w3, devnet, "StakingManager", devnet.etf.staking_manager)
    # the devnet's first position: 10,000 CORE deposited, 8,000 staked by the deployer
    staked_before = manager.functions.totalStaked().call()
    done = await run(harness, devnet, AutomationKind.STAKE, "s1")
    assert done.status is ExecutionStatus.CONFIRMED and done.tx_hash, done.reason
    assert int(done.details["core_raw"]) == 1_000 * ETH  # 2,000 free - 10% of 10,000
    assert manager.functions.totalStaked().call() == staked_before + 1_000 * ETH
    assert w3.eth.get_balance(Web3.to_checksum_address(devnet.etf.stake_basket)) == 1_000 * ETH
    assert int(done.details["gas_used"]) > 0


async def test_fund_withdrawals__queued_request__recalled_early_and_claimed_at_maturity(
    harness: Any, devnet: Deployment,
) -> None:
    w3, node = harness.dex.w3, harness.dex.node
    b = basket(w3, devnet, "StakeBasket", devnet.etf.stake_basket)
    queue = basket(w3, devnet, "UnbondingQueue", devnet.etf.unbonding_queue)
    trader = Web3.to_checksum_address(devnet.trader)
    # 3,600 BASKET (= 3,000 CORE at NAV 1 and CORE $1.20) against 2,000 CORE free: queued
    tx = b.functions.withdraw(3_600 * ETH, 0, 0).transact({"from": trader})
    w3.eth.wait_for_transaction_receipt(tx)
    request_id = queue.functions.nextId().call() - 1
    request = queue.functions.getRequest(request_id).call()
    owed = request[4]
    assert owed > 2_000 * ETH

    done = await run(harness, devnet, AutomationKind.FUND_WITHDRAWALS, "f1")
    assert done.status is ExecutionStatus.CONFIRMED, done.reason
    assert done.details["unfundable_core_raw"] == "0"
    held = w3.eth.get_balance(Web3.to_checksum_address(devnet.etf.stake_basket))
    assert held >= owed  # funded ahead of maturity, the buffer on top
    assert held - owed == int(done.details["core_raw"]) - (owed - 2_000 * ETH)

    # at maturity the user's claim succeeds
    node.rpc("evm_increaseTime", request[6] - w3.eth.get_block("latest")["timestamp"] + 1)
    node.rpc("evm_mine")
    before = w3.eth.get_balance(trader)
    receipt = w3.eth.wait_for_transaction_receipt(
        b.functions.claimWithdrawal(request_id).transact({"from": harness.dex.deployer}))
    assert receipt["status"] == 1
    assert w3.eth.get_balance(trader) == before + owed


def metrics(**fields: Any) -> EtfMetrics:
    base: dict[str, Any] = dict(
        block_number=1, block_timestamp=NOW, nav_per_share=Decimal(1), aum_usd=Decimal(10_000),
        core_staked_usd=Decimal(0), lstbtc_usd=Decimal(0), rewards_usd=Decimal(0),
        liquidity_usd=Decimal(1_000), basket_supply_raw=0, queue_length=0,
        instant_withdrawal_capacity_usd=Decimal(1_000))
    return EtfMetrics(**(base | fields))


@pytest.mark.parametrize(("fields", "expected"), [
    ({"instant_withdrawal_capacity_usd": Decimal(1_000)}, []),
    ({"instant_withdrawal_capacity_usd": Decimal(2_500)}, [AutomationKind.STAKE]),
    ({"unfunded_queue_usd": Decimal(300), "queue_length": 2}, [AutomationKind.FUND_WITHDRAWALS]),
    ({"unfunded_queue_usd": Decimal(0), "queue_length": 2}, []),
])
async def test_on_etf_metrics__buffer_and_queue__stake_or_fund_once_per_interval(
    repo: Any, recorder: Any, fields: dict[str, Any], expected: list[AutomationKind],
) -> None:
    decider = Decider(repo, Policy(), ExecutionMode.DRY_RUN, recorder,
                      automation=AutomationConfig(compound_min_rewards_usd=None),
                      clock=lambda: NOW)
    assert await decider.on_etf_metrics(metrics(**fields)) == expected
    assert await decider.on_etf_metrics(metrics(**fields)) == []


async def test_compound__rewards_accrued__claimed_through_stake_hub_and_restaked(
    harness: Any, devnet: Deployment,
) -> None:
    w3 = harness.dex.w3
    agent = basket(w3, devnet, "MockCoreAgent", devnet.core_system.core_agent)
    manager = basket(w3, devnet, "StakingManager", devnet.etf.staking_manager)
    hub = basket(w3, devnet, "CoreStakeHub", devnet.core_system.stake_hub)
    round_now = agent.functions.roundTag().call()
    w3.eth.wait_for_transaction_receipt(agent.functions.setRound(round_now + 30).transact(
        {"from": harness.dex.deployer}))  # 30 rounds at the devnet's 0.01% a round
    pending = manager.functions.pendingRewards().call()
    staked = manager.functions.totalStaked().call()
    assert pending > 0
    done = await run(harness, devnet, AutomationKind.COMPOUND, "c1")
    assert done.status is ExecutionStatus.CONFIRMED and done.tx_hash, done.reason
    assert manager.functions.totalStaked().call() == staked + pending
    receipt = w3.eth.get_transaction_receipt(done.tx_hash)
    claims = [e for e in hub.events.claimedReward().process_receipt(receipt, errors=DISCARD)
              if e["address"] == hub.address]
    assert [(c["args"]["delegator"], c["args"]["amount"]) for c in claims] == [
        (manager.address, pending)]


async def test_compound__no_rewards_pending__ends_not_needed_and_sends_nothing(
    harness: Any, devnet: Deployment,
) -> None:
    # a compound decided from etf.metrics read before the last compound was mined
    w3 = harness.dex.w3
    manager = basket(w3, devnet, "StakingManager", devnet.etf.staking_manager)
    assert manager.functions.pendingRewards().call() == 0
    block = w3.eth.block_number
    done = await run(harness, devnet, AutomationKind.COMPOUND, "c0")
    assert done.status is ExecutionStatus.FAILED and not done.tx_hash
    assert done.reason == "not needed: compound: no rewards pending"
    assert w3.eth.block_number == block  # nothing mined
