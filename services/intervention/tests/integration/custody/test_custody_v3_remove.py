"""A V3 rebalance under custody (issue 21): the remove leg, the position manager's multicall of
decreaseLiquidity + collect + burn, goes through the Roles modifier as a MultiSendCallOnly batch
checked call by call; the Safe gets the tokens, the emptied NFT is burned, the band minted again
for the Safe. A position that is the band around the price now needs no balancing swap; one above
the price (all of it in one token) needs it: `exactInputSingle` through the modifier to the Safe."""

from __future__ import annotations

from typing import Any

from web3 import Web3
from web3.contract import Contract

from ballast.common.evm.artifacts import load_artifact
from ballast.common.evm.multisend import unpack
from ballast.common.evm.uniswap_v3 import POOL_ABI, POSITION_MANAGER_ABI, SWAP_ROUTER_ABI
from ballast.common.messages import AutomationKind, ExecutionStatus
from ballast.devnet.bot_role import balancing_key
from ballast.devnet.chain import contract
from ballast.strategy.concentrated import band_ticks, price_of_sqrt

NAME = "PSTR-USDC-V3"
DEADLINE = 2**40


def calldata(c: Contract, fn: str, *args: Any) -> bytes:
    return bytes.fromhex(c.encode_abi(fn, list(args))[2:])


def mint_the_band_for_the_safe(w: Any, npm: Contract, above: bool = False) -> int:
    """The bot, through its role: PUMP -> PSTR for the Safe, the manager approved, the band around
    the pool price (`above`: a band as wide just above it, all token0) minted to the Safe; its
    token id."""
    assert w.d.uniswap_v3 is not None
    pool = w.d.uniswap_v3.pools[NAME]
    w.approve_router()
    pump, pstr = (w.d.tokens[s].address for s in ("PUMP", "PSTR"))
    router = contract(w.w3, load_artifact("UniswapV2Router02"), w.d.uniswap.router)
    assert w.through_role(router.address, calldata(
        router, "swapExactTokensForTokens", 10_000 * 10**18, 1, [pump, pstr], w.safe,
        DEADLINE))["status"] == 1
    for symbol in ("PSTR", "USDC"):
        token = w.token(symbol)
        assert w.through_role(token.address, calldata(
            token, "approve", npm.address, 2**256 - 1))["status"] == 1
    sqrt_price = int(w.w3.eth.contract(address=pool.pool, abi=POOL_ABI).functions.slot0().call()[0])
    lower, upper = band_ticks(price_of_sqrt(sqrt_price), pool.tick_spacing)
    if above:
        lower, upper = upper, 2 * upper - lower
    desired = [10**18 if t.lower() == pstr.lower() else 10**6 for t in (pool.token0, pool.token1)]
    params = (pool.token0, pool.token1, pool.fee, lower, upper, *desired, 0, 0, w.safe, DEADLINE)
    assert w.through_role(npm.address, calldata(npm, "mint", params))["status"] == 1
    return int(npm.functions.tokenOfOwnerByIndex(w.safe, 0).call())


async def test_custody__v3_rebalance__the_remove_through_the_modifier_tokens_to_the_safe(
    world: Any,
) -> None:
    w = world
    assert w.d.uniswap_v3 is not None and w.d.custody is not None
    assert w.executor.config.custody.multisend == w.d.custody.multisend is not None
    npm = w.w3.eth.contract(address=w.d.uniswap_v3.position_manager, abi=POSITION_MANAGER_ABI)
    old = mint_the_band_for_the_safe(w, npm)
    pool = w.d.uniswap_v3.pools[NAME]
    tokens = [w.w3.eth.contract(address=Web3.to_checksum_address(t), abi=w.token("PSTR").abi)
              for t in (pool.token0, pool.token1)]
    done = await w.automate(AutomationKind.LIQUIDITY_REBALANCE, "v3-r1", details={"pair": NAME})
    assert done.status is ExecutionStatus.CONFIRMED, done.reason
    assert "swap_skipped" in done.details  # the band's ratio already: no V3 swap needed
    # the remove: the bot's transaction to the modifier, the tokens collected by the Safe
    tx = w.w3.eth.get_transaction(done.details["remove_tx"])
    assert (tx["from"], tx["to"]) == (Web3.to_checksum_address(w.bot), w.roles().address)
    _, sent = w.roles().decode_function_input(tx["input"])
    assert (sent["to"], sent["operation"]) == (w.d.custody.multisend, 1)  # the batch, delegated
    assert [c.data[:4] for c in unpack(sent["data"])] == [
        bytes.fromhex(npm.encode_abi(fn, args)[2:10]) for fn, args in (
            ("decreaseLiquidity", [(old, 1, 0, 0, 0)]), ("collect", [(old, w.safe, 0, 0)]),
            ("burn", [old]))]
    remove = await w.repo.load("liquidity_rebalance-v3-r1.remove")
    received = [int(remove.outcome["details"][f"recv:{t.address.lower()}"]) for t in tokens]
    assert received[0] > 0 and received[1] > 0
    assert [t.functions.balanceOf(w.bot).call() for t in tokens] == [0, 0]
    # the emptied NFT burned; the band minted again, held by the Safe
    assert npm.functions.balanceOf(w.safe).call() == 1
    new = int(npm.functions.tokenOfOwnerByIndex(w.safe, 0).call())
    assert new != old and int(npm.functions.positions(new).call()[7]) > 0


async def test_custody__v3_rebalance_out_of_the_band__balancing_swap_through_the_modifier(
    world: Any,
) -> None:
    """The position above the price holds token0 only: the rebalance's remove returns one token,
    its swap leg (exactInputSingle to the Safe, the role's token0 balancing allowance) makes the
    band's ratio, the add mints the band around the price for the Safe."""
    w = world
    assert w.d.uniswap_v3 is not None and w.d.custody is not None
    npm = w.w3.eth.contract(address=w.d.uniswap_v3.position_manager, abi=POSITION_MANAGER_ABI)
    old = mint_the_band_for_the_safe(w, npm, above=True)
    pool = w.d.uniswap_v3.pools[NAME]

    def left() -> int:
        return int(w.roles().functions.allowances(balancing_key(pool.token0)).call()[3])

    allowance = left()
    done = await w.automate(AutomationKind.LIQUIDITY_REBALANCE, "v3-r2", details={"pair": NAME})
    assert done.status is ExecutionStatus.CONFIRMED, done.reason
    assert "swap_tx" in done.details and "swap_skipped" not in done.details
    tx = w.w3.eth.get_transaction(done.details["swap_tx"])
    assert (tx["from"], tx["to"]) == (Web3.to_checksum_address(w.bot), w.roles().address)
    _, sent = w.roles().decode_function_input(tx["input"])
    router = w.w3.eth.contract(address=w.d.uniswap_v3.router, abi=SWAP_ROUTER_ABI)
    assert sent["to"] == router.address
    _, args = router.decode_function_input(sent["data"])
    p = args["params"]
    assert (p["tokenIn"].lower(), p["recipient"]) == (pool.token0.lower(), w.safe)
    assert p["amountIn"] > 0 and left() == allowance - p["amountIn"]
    assert npm.functions.balanceOf(w.safe).call() == 1
    new = int(npm.functions.tokenOfOwnerByIndex(w.safe, 0).call())
    assert new != old and int(npm.functions.positions(new).call()[7]) > 0
