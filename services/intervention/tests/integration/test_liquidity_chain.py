"""Liquidity actions on anvil with Uniswap V2: add at a pool's budget, rebalance after a >15%
move, and a SIGKILL between a rebalance's remove and its add that resumes without doubling."""

from __future__ import annotations

import signal
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from eth_utils.crypto import keccak
from web3 import Web3

from ballast.common.messages import (
    AutomationKind,
    AutomationRequest,
    ExecutionMode,
    ExecutionStatus,
)
from ballast.intervention.domain.execution import Phase
from ballast.intervention.legs import PoolConfig
from ballast.testing.forking import fork, wait

NOW = datetime(2026, 3, 10, 12, 30, tzinfo=UTC)
MINT = "0x" + keccak(text="Mint(address,uint256,uint256)").hex()
BURN = "0x" + keccak(text="Burn(address,uint256,uint256,address)").hex()
FUND = 20_000 * 10**18  # PUMP: 10,000 swapped to PSTR, the rest added beside it


def pool_of(dex: Any) -> PoolConfig:
    t0, t1 = sorted((dex.pump, dex.pstr), key=str.lower)
    return PoolConfig(dex.pair, t0, t1)


def pair_events(dex: Any, topic: str, from_block: int) -> int:
    return len(dex.w3.eth.get_logs({"address": Web3.to_checksum_address(dex.pair),
                                    "topics": [topic], "fromBlock": from_block}))


def lp_balance(dex: Any) -> int:
    return int(dex.contract("UniswapV2Pair", dex.pair).functions.balanceOf(dex.treasury).call())


def request(kind: AutomationKind, request_id: str, dex: Any) -> AutomationRequest:
    pool = pool_of(dex)
    details = {"pair": "PUMP-PSTR"}
    if kind is AutomationKind.LIQUIDITY_ADD:
        details |= {"fund_index": "0" if pool.token0 == dex.pump else "1",
                    "fund_raw": str(FUND)}
    return AutomationRequest(request_id=request_id, kind=kind, amount_usd=Decimal(10_000),
                             reason="test", requested_at=NOW, details=details)


def liquidity_harness(harness: Any) -> Any:
    harness.config = replace(harness.config, pools={"PUMP-PSTR": pool_of(harness.dex)},
                             owner=harness.dex.treasury)
    return harness


async def decide(harness: Any, req: AutomationRequest, mode: ExecutionMode) -> bool:
    return await harness.decider(NOW, mode).on_automation(req)


async def test_liquidity_add__live__swap_then_add_lp_held_by_the_treasury_published_once(
    harness: Any,
) -> None:
    h, dex = liquidity_harness(harness), harness.dex
    start = dex.w3.eth.block_number + 1
    assert await decide(h, request(AutomationKind.LIQUIDITY_ADD, "PUMP-PSTR-d1", dex),
                        ExecutionMode.LIVE)
    await h.settle(passes=20)
    [done] = h.automation_actions()
    assert done.kind is AutomationKind.LIQUIDITY_ADD
    assert done.status is ExecutionStatus.CONFIRMED, done.reason
    assert done.tx_hash == done.details["add_tx"]
    assert int(done.details["gas_used"]) == (int(done.details["swap_gas_used"])
                                             + int(done.details["add_gas_used"]))
    assert lp_balance(dex) == int(done.details["lp_received"]) > 0
    assert pair_events(dex, MINT, start) == 1
    # a redelivered request is the same action: nothing more on-chain
    assert not await decide(h, request(AutomationKind.LIQUIDITY_ADD, "PUMP-PSTR-d1", dex),
                            ExecutionMode.LIVE)
    await h.settle()
    assert pair_events(dex, MINT, start) == 1
    assert len(h.automation_actions()) == 1


async def test_liquidity_add__dry_run__previewed_nothing_signed(harness: Any) -> None:
    h, dex = liquidity_harness(harness), harness.dex
    nonce = dex.nonce(dex.treasury)
    await decide(h, request(AutomationKind.LIQUIDITY_ADD, "PUMP-PSTR-dry", dex),
                 ExecutionMode.DRY_RUN)
    await h.settle(h.executor(live=False))
    [done] = h.automation_actions()
    assert done.status is ExecutionStatus.DRY_RUN, done.reason
    assert int(done.details["swap_amount_in"]) == FUND // 2
    assert int(done.details["amount0_to_add"]) > 0 and int(done.details["amount1_to_add"]) > 0
    assert dex.nonce(dex.treasury) == nonce
    assert done.action_id == "liquidity_add-PUMP-PSTR-dry-dry_run"
    # the live run of the same request is not taken for a duplicate of the paper one
    assert await decide(h, request(AutomationKind.LIQUIDITY_ADD, "PUMP-PSTR-dry", dex),
                        ExecutionMode.LIVE)


async def add_position(h: Any, dex: Any) -> None:
    assert await decide(h, request(AutomationKind.LIQUIDITY_ADD, "PUMP-PSTR-seed", dex),
                        ExecutionMode.LIVE)
    await h.settle(passes=20)


async def test_liquidity_rebalance__after_a_20_percent_move__remove_and_re_add_once(
    harness: Any,
) -> None:
    h, dex = liquidity_harness(harness), harness.dex
    await add_position(h, dex)
    dex.move_price(10**24)  # 1M PUMP sold into 10M: PSTR per PUMP about -17%
    start = dex.w3.eth.block_number + 1
    lp_before = lp_balance(dex)
    assert await decide(h, request(AutomationKind.LIQUIDITY_REBALANCE, "PUMP-PSTR-band1", dex),
                        ExecutionMode.LIVE)
    await h.settle(passes=20)
    done = h.automation_actions(AutomationKind.LIQUIDITY_REBALANCE)
    assert len(done) == 1 and done[0].status is ExecutionStatus.CONFIRMED, done
    assert "swap_skipped" in done[0].details  # a V2 remove returns the tokens at the pool ratio
    assert pair_events(dex, BURN, start) == 1
    assert pair_events(dex, MINT, start) == 1
    assert lp_balance(dex) == int(done[0].details["lp_received"])
    assert abs(lp_balance(dex) - lp_before) < lp_before // 100



@pytest.mark.parametrize("point", ["after_leg_remove", "after_sign_persist", "after_broadcast",
                                   "after_receipt"])
async def test_liquidity_rebalance__sigkill_mid_rebalance__resumed_once(
    harness: Any, executor_life: Any, point: str,
) -> None:
    h, dex = liquidity_harness(harness), harness.dex
    await add_position(h, dex)
    dex.move_price(10**24)
    start = dex.w3.eth.block_number + 1
    action = f"liquidity_rebalance-PUMP-PSTR-{point}"
    assert await decide(h, request(AutomationKind.LIQUIDITY_REBALANCE, f"PUMP-PSTR-{point}",
                                   dex), ExecutionMode.LIVE)
    killed = await wait(fork(lambda: executor_life(h, point)), 60.0)
    assert killed == -signal.SIGKILL
    if point == "after_leg_remove":  # killed after the remove, before the add
        assert pair_events(dex, BURN, start) == 1
        assert pair_events(dex, MINT, start) == 0
    assert await wait(fork(lambda: executor_life(h, None)), 60.0) == 0
    record = await h.repo.load(action)
    assert record.execution.phase is Phase.CONFIRMED, record.outcome
    assert record.execution.published
    for leg in ("remove", "add"):
        assert len((await h.repo.load(f"{action}.{leg}")).execution.attempts) == 1
    assert pair_events(dex, BURN, start) == 1
    assert pair_events(dex, MINT, start) == 1
    assert lp_balance(dex) > 0
