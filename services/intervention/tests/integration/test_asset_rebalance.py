"""The StakeBasket's asset rebalance on the devnet (anvil, the whole deployer): the basket's
CORE/BTC split pushed past 10% from its 60/40 target is brought back by one asset_rebalance,
its legs (recall if short -> swapAssets through the WCORE/coreBTC pool -> deploy) each one
transaction, in paper mode nothing signed, and a SIGKILL between or inside legs resumed with
each leg done once."""

from __future__ import annotations

import signal
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from web3 import Web3

from ballast.common.deployment import Deployment
from ballast.common.evm.artifacts import load_artifact
from ballast.common.messages import (
    AutomationAction,
    AutomationKind,
    AutomationRequest,
    ExecutionMode,
    ExecutionStatus,
)
from ballast.intervention.adapters import basket as books
from ballast.intervention.asset_legs import state_drift
from ballast.intervention.domain.execution import Phase
from ballast.strategy.assets import Asset
from ballast.testing.forking import fork, wait

NOW = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)
ETH, SATS = 10**18, 10**8
KIND = AutomationKind.ASSET_REBALANCE


def contract(w3: Web3, name: str, address: str) -> Any:
    return w3.eth.contract(address=Web3.to_checksum_address(address), abi=load_artifact(name).abi)


def send(w3: Web3, fn: Any, sender: str, value: int = 0) -> None:
    receipt = w3.eth.wait_for_transaction_receipt(fn.transact({"from": sender, "value": value}))
    assert receipt["status"] == 1


def deposit_btc(w3: Web3, d: Deployment, sats: int) -> None:
    trader = Web3.to_checksum_address(d.trader)
    token = contract(w3, "MockCoreBTC", d.etf.corebtc)
    send(w3, token.functions.mint(trader, sats), trader)
    send(
        w3,
        contract(w3, "StakeBasket", d.etf.stake_basket).functions.depositCoreBTC(sats, 0),
        trader,
    )


async def drift(harness: Any, d: Deployment) -> Decimal:
    return state_drift(await books.asset_state(harness.chain, d.etf.stake_basket))


async def rebalance(
    harness: Any, d: Deployment, request_id: str, mode: ExecutionMode = ExecutionMode.LIVE
) -> AutomationAction:
    assert await harness.decider(NOW, mode).on_automation(
        AutomationRequest(
            request_id=request_id, kind=KIND, amount_usd=Decimal(0), reason="test", requested_at=NOW
        )
    )
    executor = harness.executor(basket=d.etf.stake_basket, live=mode is ExecutionMode.LIVE)
    await harness.settle(executor, passes=20)
    [done] = harness.automation_actions(KIND)
    return done


def print_gas(done: AutomationAction) -> None:
    legs = {
        leg: done.details.get(f"{leg}_gas_used", "skipped") for leg in ("recall", "swap", "deploy")
    }
    print(
        f"asset_rebalance sell {done.details['sell']}: gas per leg {legs}, "
        f"total {done.details['gas_used']}; drift {done.details['drift_before']} -> "
        f"{done.details['drift_after']}"
    )


async def test_asset_rebalance__btc_deposit_past_10pct__btc_sold_core_deployed_back_on_target(
    harness: Any,
    devnet: Deployment,
) -> None:
    w3 = harness.dex.w3
    deposit_btc(w3, devnet, SATS // 10)  # $6,500 of BTC on a $20,000 60/40 basket: 45% CORE
    assert await drift(harness, devnet) < Decimal("-0.10")
    manager = contract(w3, "StakingManager", devnet.etf.staking_manager)
    staked_before = manager.functions.totalStaked().call()
    nonce = w3.eth.get_transaction_count(harness.signer.address)

    done = await rebalance(harness, devnet, "r1")

    assert done.status is ExecutionStatus.CONFIRMED, done.reason
    assert done.details["sell"] == Asset.CORE_BTC.name
    assert "recall_skipped" in done.details  # the deposit left enough free coreBTC
    assert done.details["swap_tx"] and done.details["deploy_tx"] == done.tx_hash
    assert int(done.details["swap_gas_used"]) > 0 and int(done.details["deploy_gas_used"]) > 0
    assert w3.eth.get_transaction_count(harness.signer.address) == nonce + 2  # swap, deploy
    assert abs(Decimal(done.details["drift_after"])) < Decimal("0.01")
    assert abs(await drift(harness, devnet)) < Decimal("0.01")
    # the CORE bought is staked above its 10% buffer
    deployed = int(done.details["deployed_raw"])
    assert manager.functions.totalStaked().call() == staked_before + deployed > staked_before
    print_gas(done)

    # done once: the same request again is a duplicate, and nothing more is sent
    assert not await harness.decider(NOW).on_automation(
        AutomationRequest(
            request_id="r1", kind=KIND, amount_usd=Decimal(0), reason="again", requested_at=NOW
        )
    )
    await harness.settle(harness.executor(basket=devnet.etf.stake_basket))
    assert w3.eth.get_transaction_count(harness.signer.address) == nonce + 2


async def test_asset_rebalance__core_overweight_and_staked__recalled_swapped_deployed(
    harness: Any,
    devnet: Deployment,
) -> None:
    w3 = harness.dex.w3
    b = contract(w3, "StakeBasket", devnet.etf.stake_basket)
    trader, admin = Web3.to_checksum_address(devnet.trader), harness.dex.deployer
    send(w3, b.functions.deposit(0), trader, 20_000 * ETH)  # 30,000 CORE: 82% of the basket
    send(w3, b.functions.deployLiquidity(21_000 * ETH, 0), admin)  # 1,000 CORE left free
    lst_before = (
        contract(w3, "StakingManager", devnet.etf.staking_manager).functions.lstBtcBalance().call()
    )

    done = await rebalance(harness, devnet, "r2")

    assert done.status is ExecutionStatus.CONFIRMED, done.reason
    assert done.details["sell"] == Asset.CORE.name
    sold = int(done.details["amount_in_raw"])
    recalled = int(done.details["recalled_raw"])
    assert recalled > sold - 1_000 * ETH  # the sale plus the buffer of what is left
    assert {"recall_tx", "swap_tx", "deploy_tx"} <= set(done.details)
    assert abs(await drift(harness, devnet)) < Decimal("0.01")
    lst_after = (
        contract(w3, "StakingManager", devnet.etf.staking_manager).functions.lstBtcBalance().call()
    )
    assert lst_after == lst_before + int(done.details["deployed_raw"])
    print_gas(done)


async def test_asset_rebalance__paper_mode__previewed_nothing_signed(
    harness: Any,
    devnet: Deployment,
) -> None:
    w3 = harness.dex.w3
    deposit_btc(w3, devnet, SATS // 10)
    nonce = w3.eth.get_transaction_count(harness.signer.address)

    done = await rebalance(harness, devnet, "p1", ExecutionMode.DRY_RUN)

    assert done.status is ExecutionStatus.DRY_RUN and done.tx_hash is None, done.reason
    assert done.details["sell"] == Asset.CORE_BTC.name
    assert int(done.details["amount_in_raw"]) > 0 and int(done.details["quoted_out_raw"]) > 0
    assert w3.eth.get_transaction_count(harness.signer.address) == nonce
    assert await drift(harness, devnet) < Decimal("-0.10")  # nothing moved


async def test_asset_rebalance__on_target__fails_not_needed_nothing_sent(
    harness: Any,
    devnet: Deployment,
) -> None:
    nonce = harness.dex.w3.eth.get_transaction_count(harness.signer.address)
    done = await rebalance(harness, devnet, "n1")
    assert done.status is ExecutionStatus.FAILED
    assert done.reason is not None and "not needed" in done.reason
    assert harness.dex.w3.eth.get_transaction_count(harness.signer.address) == nonce


async def test_asset_rebalance__after_a_stake_decided_first__waits_then_recalls_what_it_staked(
    harness: Any,
    devnet: Deployment,
) -> None:
    w3 = harness.dex.w3
    deposit_btc(w3, devnet, SATS // 10)
    for offset, kind in ((0, AutomationKind.STAKE), (1, KIND)):
        at = NOW + timedelta(seconds=offset)
        assert await harness.decider(at).on_automation(
            AutomationRequest(
                request_id=f"s{offset}",
                kind=kind,
                amount_usd=Decimal(0),
                reason="test",
                requested_at=at,
            )
        )
    await harness.settle(harness.executor(basket=devnet.etf.stake_basket), passes=30)

    [stake] = harness.automation_actions(AutomationKind.STAKE)
    [done] = harness.automation_actions(KIND)
    assert stake.status is ExecutionStatus.CONFIRMED and done.status is ExecutionStatus.CONFIRMED
    stake_block = w3.eth.get_transaction_receipt(stake.tx_hash)["blockNumber"]
    recall = w3.eth.get_transaction_receipt(done.details["recall_tx"])
    assert recall["blockNumber"] > stake_block  # the stake first, then the rebalance sized
    assert int(stake.details["core_btc_raw"]) > 0  # the stake took the deposit's coreBTC ...
    assert int(done.details["recalled_raw"]) > 0  # ... and the rebalance recalled what it sells
    assert abs(await drift(harness, devnet)) < Decimal("0.01")



def basket_events(w3: Web3, d: Deployment, name: str, from_block: int) -> int:
    b = contract(w3, "StakeBasket", d.etf.stake_basket)
    return len(b.events[name]().get_logs(from_block=from_block))


@pytest.mark.parametrize(
    "point",
    [
        "after_leg_recall",
        "after_leg_swap",
        "after_sign_persist",
        "after_broadcast",
        "after_receipt",
    ],
)
async def test_asset_rebalance__sigkill_between_and_inside_legs__resumed_each_leg_once(
    harness: Any,
    devnet: Deployment,
    executor_life: Any,
    point: str,
) -> None:
    w3 = harness.dex.w3
    b = contract(w3, "StakeBasket", devnet.etf.stake_basket)
    send(w3, b.functions.deposit(0), Web3.to_checksum_address(devnet.trader), 20_000 * ETH)
    send(w3, b.functions.deployLiquidity(21_000 * ETH, 0), harness.dex.deployer)
    start = w3.eth.block_number + 1
    assert await harness.decider(NOW).on_automation(
        AutomationRequest(
            request_id=point, kind=KIND, amount_usd=Decimal(0), reason="test", requested_at=NOW
        )
    )
    config = replace(harness.config, basket=devnet.etf.stake_basket)
    killed = await wait(fork(lambda: executor_life(harness, point, config)), 60.0)
    assert killed == -signal.SIGKILL
    assert await wait(fork(lambda: executor_life(harness, None, config)), 60.0) == 0

    action = f"asset_rebalance-{point}"
    record = await harness.repo.load(action)
    assert record.execution.phase is Phase.CONFIRMED, record.outcome
    assert record.execution.published
    for leg in ("recall", "swap", "deploy"):
        assert len((await harness.repo.load(f"{action}.{leg}")).execution.attempts) == 1
    for event in ("LiquidityRecalled", "AssetsSwapped", "LiquidityDeployed"):
        assert basket_events(w3, devnet, event, start) == 1, event
    assert abs(await drift(harness, devnet)) < Decimal("0.01")
