"""The bot's role on anvil beyond the intervention (issue 21 "Custody"): the hourly accumulation's
USDC -> WCORE -> PUMP swap and a Uniswap V3 position's mint, decrease and collect go through the
modifier to the Safe; the same calls with the bot as recipient revert on chain."""

from __future__ import annotations

from typing import Any

from web3.contract import Contract

from ballast.common.deployment import CustodyInfo
from ballast.common.evm.roles import refusal
from ballast.common.evm.uniswap_v3 import MAX_UINT128, POOL_ABI, POSITION_MANAGER_ABI
from ballast.devnet import Deployment
from ballast.devnet.bot_role import QUOTE_PER_DAY, bot_role, daily_quote_cap, targets
from ballast.strategy.params import StrategyParams
from ballast.testing.custody import DEADLINE, Bot

PARAMS = StrategyParams()


def path(d: Deployment) -> list[str]:
    return [d.tokens[s].address for s in ("USDC", "WCORE", "PUMP")]


def test_targets__the_devnet_accumulation_path_and_v3_pool(deployed: Deployment) -> None:
    t = targets(deployed)
    assert list(t.accumulate) == path(deployed)
    assert deployed.uniswap_v3 is not None
    assert t.position_manager == deployed.uniswap_v3.position_manager
    pool = deployed.uniswap_v3.pools["PSTR-USDC-V3"]
    assert t.v3_pools == ((pool.token0, pool.token1, pool.fee),)


def test_role__accumulation_swap__to_the_safe_only(
    bot: Bot, deployed: Deployment, custody: CustodyInfo
) -> None:
    router, usdc, pump = bot.router(), bot.token("USDC"), bot.token("PUMP")
    assert bot.roles.functions.allowances(QUOTE_PER_DAY).call()[3] == daily_quote_cap(PARAMS, 6)
    assert bot.through_role(usdc, "approve", router.address, 2**256 - 1)["status"] == 1
    amount = 100 * 10**6
    quoted = router.functions.getAmountsOut(amount, path(deployed)).call()[-1]

    def buy(to: str) -> dict[str, Any]:
        return bot.through_role(router, "swapExactTokensForTokens", amount, quoted * 98 // 100,
                                path(deployed), to, DEADLINE)

    assert buy(custody.bot)["status"] == 0
    before = pump.functions.balanceOf(custody.safe).call()
    assert buy(custody.safe)["status"] == 1
    assert pump.functions.balanceOf(custody.safe).call() > before
    assert pump.functions.balanceOf(custody.bot).call() == 0
    # the executor's pre-send check agrees, from the plan the deployer applied
    plan = bot_role(PARAMS, targets(deployed), custody.bot, 0)
    data = bytes.fromhex(router.encode_abi("swapExactTokensForTokens", [
        amount, 1, path(deployed), custody.safe, DEADLINE])[2:])
    assert refusal(plan, custody.safe, router.address, data) is None


def manager(bot: Bot, d: Deployment) -> Contract:
    assert d.uniswap_v3 is not None
    return bot.w3.eth.contract(address=d.uniswap_v3.position_manager, abi=POSITION_MANAGER_ABI)


def test_role__v3_mint_decrease_collect__to_the_safe_only(
    bot: Bot, deployed: Deployment, custody: CustodyInfo
) -> None:
    assert deployed.uniswap_v3 is not None
    pool = deployed.uniswap_v3.pools["PSTR-USDC-V3"]
    npm = manager(bot, deployed)
    assert bot.through_role(bot.router(), "swapExactTokensForTokens",
                            *bot.swap_args(10_000 * 10**18, custody.safe))["status"] == 1
    token0, token1 = (bot.token(s) for s in ("PSTR", "USDC"))
    if token0.address.lower() != pool.token0.lower():
        token0, token1 = token1, token0
    for token in (token0, token1):
        assert bot.through_role(token, "approve", npm.address, 2**256 - 1)["status"] == 1
    tick = int(bot.w3.eth.contract(address=pool.pool, abi=POOL_ABI).functions.slot0().call()[1])
    lower = tick // pool.tick_spacing * pool.tick_spacing - 10 * pool.tick_spacing
    upper = lower + 21 * pool.tick_spacing
    desired = [10**18 if t.address == bot.d.tokens["PSTR"].address else 10**6
               for t in (token0, token1)]

    def mint(to: str) -> dict[str, Any]:
        params = (pool.token0, pool.token1, pool.fee, lower, upper, *desired, 0, 0, to, DEADLINE)
        return bot.through_role(npm, "mint", params)

    assert mint(custody.bot)["status"] == 0
    assert npm.functions.balanceOf(custody.bot).call() == 0
    assert mint(custody.safe)["status"] == 1
    token_id = npm.functions.tokenOfOwnerByIndex(custody.safe, 0).call()
    liquidity = npm.functions.positions(token_id).call()[7]
    assert liquidity > 0
    assert bot.through_role(npm, "decreaseLiquidity",
                            (token_id, liquidity, 0, 0, DEADLINE))["status"] == 1
    held = [t.functions.balanceOf(custody.safe).call() for t in (token0, token1)]
    assert bot.through_role(npm, "collect", (token_id, custody.bot, MAX_UINT128,
                                             MAX_UINT128))["status"] == 0
    assert bot.through_role(npm, "collect", (token_id, custody.safe, MAX_UINT128,
                                             MAX_UINT128))["status"] == 1
    after = [t.functions.balanceOf(custody.safe).call() for t in (token0, token1)]
    assert after[0] > held[0] and after[1] > held[1]
    assert [t.functions.balanceOf(custody.bot).call() for t in (token0, token1)] == [0, 0]
