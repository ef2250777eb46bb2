"""Routine automation through the same machinery, on anvil: accumulate, rebalance, compound."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from eth_utils.crypto import keccak

from ballast.common.messages import (
    AutomationKind,
    AutomationRequest,
    EtfMetrics,
    ExecutionMode,
    ExecutionStatus,
)
from ballast.intervention.app import Decider

NOW = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)

# A stand-in keeper target with the StakeBasket automation entry points (solc 0.8.28, optimised,
# 200 runs):
#   contract Keeper {
#       event Rebalanced(address caller);
#       event Compounded(address caller);
#       function rebalance() external { emit Rebalanced(msg.sender); }
#       function compound() external returns (uint256) { emit Compounded(msg.sender); return 0; }
#       function stakingManager() external view returns (address) { return address(this); }
#       function pendingRewards() external pure returns (uint256) { return 1; }
#   }
# (The real StakeBasket.rebalance()/compound() have the same selectors; their own behaviour is
# tested in contracts/tests. A compound is planned only with rewards pending: the stand-in is its
# own staking manager, with some pending.)
KEEPER_BYTECODE = (
    "0x6080604052348015600e575f5ffd5b5061011e8061001c5f395ff3fe6080604052348015600e575f5ffd5b"
    "50600436106044575f3560e01c806322828cc21460485780637d7c2a1c14605b578063eded3fda1460635780"
    "63f69e2046146073575b5f5ffd5b6040513081526020015b60405180910390f35b60616079565b005b60015b"
    "6040519081526020016052565b606660ae565b6040513381527fb8815e3a0b9733f6390f55ab413c696ef91f"
    "ca3267f27f6c7e60fcd0984262cd9060200160405180910390a1565b6040513381525f907f7e14efc6aaeac9"
    "afb647fdb368509700917188d3e2c6080d016a6dddae61ca2b9060200160405180910390a1505f9056fea264"
    "6970667358221220b00dc13e8d5cab1d9e8391465747017c28c5fbaccd97ae725ce54e53fa18837964736f6c"
    "634300081c0033"
)
REBALANCED = "0x" + keccak(text="Rebalanced(address)").hex()
COMPOUNDED = "0x" + keccak(text="Compounded(address)").hex()


def deploy_keeper(dex: Any) -> str:
    tx = dex.w3.eth.send_transaction({"from": dex.deployer, "data": KEEPER_BYTECODE})
    return str(dex.w3.eth.wait_for_transaction_receipt(tx)["contractAddress"])


def deciding(harness: Any, mode: ExecutionMode) -> Decider:
    """The service's Decider, having seen a treasury state (accumulation sizes from it)."""
    decider = harness.decider(NOW, mode)
    decider.last_state = harness.state(NOW)
    return decider


REASONS = {
    AutomationKind.ACCUMULATE: "hourly accumulation",
    AutomationKind.COMPOUND: "round rewards",
}


def request(request_id: str, kind: AutomationKind, amount_usd: int = 0) -> AutomationRequest:
    return AutomationRequest(request_id=request_id, kind=kind, amount_usd=Decimal(amount_usd),
                             reason=REASONS[kind], requested_at=NOW)


def events(dex: Any, address: str, topic: str) -> int:
    logs = dex.w3.eth.get_logs({"address": address, "topics": [topic], "fromBlock": 0})
    return len(logs)


async def test_automation__accumulate_rebalance_compound__each_on_chain_and_published(
    harness: Any,
) -> None:
    dex = harness.dex
    keeper = deploy_keeper(dex)
    decider = deciding(harness, ExecutionMode.LIVE)
    executor = harness.executor(basket=keeper)
    pump_before = dex.contract("TestToken", dex.pump).functions.balanceOf(dex.treasury).call()
    assert await decider.on_automation(request("h12", AutomationKind.ACCUMULATE, 100))
    assert await decider.on_etf_metrics(EtfMetrics(
        block_number=1, block_timestamp=NOW, nav_per_share=Decimal(1), aum_usd=Decimal(0),
        core_staked_usd=Decimal(0), lstbtc_usd=Decimal(0), rewards_usd=Decimal(0),
        liquidity_usd=Decimal(0), basket_supply_raw=0, queue_length=0,
        instant_withdrawal_capacity_usd=Decimal(0), max_allocation_deviation_bps=1500,
    ))
    assert await decider.on_automation(request("r7", AutomationKind.COMPOUND))
    await harness.settle(executor)
    done = {a.kind: a for a in harness.automation_actions()}
    pump_after = dex.contract("TestToken", dex.pump).functions.balanceOf(dex.treasury).call()
    assert set(done) == {AutomationKind.ACCUMULATE, AutomationKind.REBALANCE,
                         AutomationKind.COMPOUND}
    assert all(a.status is ExecutionStatus.CONFIRMED and a.tx_hash for a in done.values())
    accumulate = done[AutomationKind.ACCUMULATE]
    assert accumulate.amount_in_raw == 100 * 10**6  # USDC at $1, 6 decimals
    assert accumulate.amount_out_raw == pump_after - pump_before > 0
    assert events(dex, keeper, REBALANCED) == 1
    assert events(dex, keeper, COMPOUNDED) == 1


async def test_automation__dry_run__priced_nothing_signed(harness: Any) -> None:
    dex = harness.dex
    nonce = dex.nonce(dex.treasury)
    decider = deciding(harness, ExecutionMode.DRY_RUN)
    await decider.on_automation(request("h13", AutomationKind.ACCUMULATE, 100))
    await decider.on_automation(request("c1", AutomationKind.COMPOUND))
    await harness.settle(harness.executor(live=False))
    done = {a.kind: a for a in harness.automation_actions()}
    assert {a.status for a in done.values()} == {ExecutionStatus.DRY_RUN}
    assert done[AutomationKind.ACCUMULATE].amount_out_raw > 0  # quoted
    assert dex.nonce(dex.treasury) == nonce


async def test_automation__quote_reverts__failed_and_nonce_released_for_the_next(
    harness: Any,
) -> None:
    dex = harness.dex
    keeper = deploy_keeper(dex)
    decider = deciding(harness, ExecutionMode.LIVE)
    # paying with a token that has no pool with PUMP: getAmountsOut reverts
    executor = harness.executor(basket=keeper, accumulate_token=dex.pair)
    assert await decider.on_automation(request("h14", AutomationKind.ACCUMULATE, 50))
    assert await decider.on_automation(request("r9", AutomationKind.COMPOUND))
    await harness.settle(executor)
    done = {a.kind: a for a in harness.automation_actions()}
    assert done[AutomationKind.ACCUMULATE].status is ExecutionStatus.FAILED
    assert "cannot be planned" in (done[AutomationKind.ACCUMULATE].reason or "")
    assert done[AutomationKind.COMPOUND].status is ExecutionStatus.CONFIRMED  # not stalled
    assert events(dex, keeper, COMPOUNDED) == 1
