"""A liquidity add that needs its balancing swap, under custody (issue 21): funded from USDC
only, the executor swaps part of it into PSTR through the Roles modifier (the V3 SwapRouter's
`exactInputSingle`, or the V2 router's fee-on-transfer swap) to the Safe, spending the role's
daily USDC balancing allowance, then adds; the Safe holds the position, the bot nothing."""

from __future__ import annotations

from typing import Any

from web3 import Web3

from ballast.common.evm.artifacts import load_artifact
from ballast.common.evm.uniswap_v3 import POSITION_MANAGER_ABI, SWAP_ROUTER_ABI
from ballast.common.messages import AutomationAction, AutomationKind, ExecutionStatus
from ballast.devnet.bot_role import balancing_key
from ballast.devnet.chain import contract

FUND = 2_000 * 10**6  # USDC: all of it in one token, so the add's swap leg is needed


async def add_from_usdc(w: Any, name: str, index: int, request_id: str) -> AutomationAction:
    done = await w.automate(AutomationKind.LIQUIDITY_ADD, request_id, details={
        "pair": name, "fund_index": str(index), "fund_raw": str(FUND)})
    assert done.status is ExecutionStatus.CONFIRMED, done.reason
    assert "swap_tx" in done.details and "swap_skipped" not in done.details
    return done


def swap_sent(w: Any, done: AutomationAction) -> tuple[str, bytes]:
    """(target, calldata) of the swap leg: the bot's transaction to the modifier."""
    tx = w.w3.eth.get_transaction(done.details["swap_tx"])
    assert (tx["from"], tx["to"]) == (Web3.to_checksum_address(w.bot), w.roles().address)
    _, sent = w.roles().decode_function_input(tx["input"])
    assert sent["operation"] == 0
    return sent["to"], bytes(sent["data"])


def left(w: Any, token: str) -> int:
    return int(w.roles().functions.allowances(balancing_key(token)).call()[3])


async def test_custody__v3_add_from_usdc__balancing_swap_through_the_modifier_then_mint(
    world: Any,
) -> None:
    w = world
    assert w.d.uniswap_v3 is not None
    pool = w.d.uniswap_v3.pools["PSTR-USDC-V3"]
    usdc, pstr = w.token("USDC"), w.token("PSTR")
    index = 0 if pool.token0.lower() == usdc.address.lower() else 1
    allowance = left(w, usdc.address)
    done = await add_from_usdc(w, "PSTR-USDC-V3", index, "v3-add-usdc")
    to, data = swap_sent(w, done)
    router = w.w3.eth.contract(address=w.d.uniswap_v3.router, abi=SWAP_ROUTER_ABI)
    assert to == router.address
    _, args = router.decode_function_input(data)
    p = args["params"]
    assert (p["tokenIn"], p["tokenOut"], p["recipient"]) == (usdc.address, pstr.address, w.safe)
    amount_in = p["amountIn"]
    assert 0 < amount_in < FUND and left(w, usdc.address) == allowance - amount_in
    npm = w.w3.eth.contract(address=w.d.uniswap_v3.position_manager, abi=POSITION_MANAGER_ABI)
    token_id = npm.functions.tokenOfOwnerByIndex(w.safe, 0).call()
    assert str(token_id) == done.details["token_id"] and int(done.details["liquidity"]) > 0
    assert [t.functions.balanceOf(w.bot).call() for t in (usdc, pstr)] == [0, 0]


async def test_custody__v2_add_from_usdc__fee_on_transfer_swap_then_add__lp_to_the_safe(
    world: Any,
) -> None:
    w = world
    pair = w.d.pools["PSTR-USDC"]
    usdc, pstr = w.token("USDC"), w.token("PSTR")
    index = 0 if pair.token0.lower() == usdc.address.lower() else 1
    allowance = left(w, usdc.address)
    done = await add_from_usdc(w, "PSTR-USDC", index, "v2-add-usdc")
    to, data = swap_sent(w, done)
    router = contract(w.w3, load_artifact("UniswapV2Router02"), w.d.uniswap.router)
    assert to == router.address
    fn, args = router.decode_function_input(data)
    assert fn.fn_name == "swapExactTokensForTokensSupportingFeeOnTransferTokens"
    assert args["path"] == [usdc.address, pstr.address] and args["to"] == w.safe
    assert 0 < args["amountIn"] < FUND and left(w, usdc.address) == allowance - args["amountIn"]
    lp = contract(w.w3, load_artifact("TestToken"), pair.pair)
    assert lp.functions.balanceOf(w.safe).call() == int(done.details["lp_received"]) > 0
    assert lp.functions.balanceOf(w.bot).call() == 0
