"""A liquidity action's balancing swap through the bot's role on anvil (issue 21 "Custody"): on a
configured V2 pool (the router's fee-on-transfer swap) and through the configured V3 pool
(`exactInputSingle`), to the Safe, within the sold token's daily allowance; to the bot, on a pool
the role does not name, or above the day's allowance, the modifier reverts. A balancing swap
selling PUMP spends the balancing allowance, never the intervention's."""

from __future__ import annotations

from typing import Any

from web3.contract import Contract

from ballast.common.deployment import CustodyInfo
from ballast.common.evm.roles import refusal
from ballast.common.evm.uniswap_v3 import SWAP_ROUTER_ABI
from ballast.devnet import Deployment
from ballast.devnet.bot_role import (
    PUMP_PER_DAY,
    SWAPS_PER_DAY,
    balancing_key,
    bot_role,
    daily_balancing_cap,
    targets,
)
from ballast.devnet.prices import FEED_PRICES_USD
from ballast.strategy.params import StrategyParams
from ballast.testing.custody import DEADLINE, OR_VIOLATION, Bot

PARAMS = StrategyParams()
FOT = "swapExactTokensForTokensSupportingFeeOnTransferTokens"
V3 = "PSTR-USDC-V3"


def left(bot: Bot, key: bytes) -> int:
    return int(bot.roles.functions.allowances(key).call()[3])


def approved(bot: Bot, symbol: str, spender: str) -> Contract:
    token = bot.token(symbol)
    assert bot.through_role(token, "approve", spender, 2**256 - 1)["status"] == 1
    return token


def test_v2_balancing_swap__configured_pair_to_the_safe__within_the_days_allowance(
    bot: Bot, deployed: Deployment, custody: CustodyInfo
) -> None:
    router = bot.router()
    usdc, pstr = approved(bot, "USDC", router.address), bot.token("PSTR")
    key = balancing_key(usdc.address)
    cap = daily_balancing_cap(PARAMS, 6, FEED_PRICES_USD["USDC"])
    assert left(bot, key) == cap == 100_000 * 10**6  # the liquidity allocation, $100,000
    assert usdc.functions.balanceOf(custody.safe).call() > cap  # the Safe could pay more
    path = [usdc.address, pstr.address]  # the PSTR-USDC pool, a configured one

    def swap(amount: int, to: str, via: list[str] = path) -> list[Any]:
        return [amount, 1, via, to, DEADLINE]

    assert bot.through_role(router, FOT, *swap(10**9, custody.bot))["status"] == 0
    before = pstr.functions.balanceOf(custody.safe).call()
    assert bot.through_role(router, FOT, *swap(10**9, custody.safe))["status"] == 1
    assert pstr.functions.balanceOf(custody.safe).call() > before
    assert pstr.functions.balanceOf(custody.bot).call() == 0
    assert left(bot, key) == cap - 10**9
    # the rest of the day's allowance goes through, one unit more does not
    assert bot.goes_through(router, FOT, *swap(cap - 10**9, custody.safe))
    above = swap(cap - 10**9 + 1, custody.safe)
    assert bot.violation(router, FOT, *above)[0] == OR_VIOLATION
    assert bot.through_role(router, FOT, *above)["status"] == 0
    # a pool the role does not name (PSTR-PUMP: the intervention's pair, not a liquidity pool),
    # or a longer path
    pump = deployed.tokens["PUMP"].address
    approved(bot, "PUMP", router.address)
    assert bot.violation(router, FOT, *swap(10**18, custody.safe, [pump, pstr.address]))[0] == (
        OR_VIOLATION)
    assert bot.through_role(router, FOT, *swap(10**18, custody.safe, [pump, pstr.address]))[
        "status"] == 0
    three = [usdc.address, pstr.address, pump]
    assert bot.through_role(router, FOT, *swap(10**6, custody.safe, three))["status"] == 0


def test_v2_balancing_swap__pump_to_wcore__spends_the_balancing_allowance_not_the_interventions(
    bot: Bot, deployed: Deployment, custody: CustodyInfo
) -> None:
    """PUMP sold on the PUMP-WCORE pool (the primary liquidity pool) spends PUMP's balancing
    allowance; the intervention's PUMP and swap count stay, and the intervention's own swap
    spends those, never the balancing allowance."""
    router = bot.router()
    pump, wcore = approved(bot, "PUMP", router.address), deployed.tokens["WCORE"].address
    pump_left, swaps_left = left(bot, PUMP_PER_DAY), left(bot, SWAPS_PER_DAY)
    key = balancing_key(pump.address)
    cap = daily_balancing_cap(PARAMS, 18, FEED_PRICES_USD["PUMP"])
    assert left(bot, key) == cap
    sold = 1_000 * 10**18
    assert bot.through_role(router, FOT, sold, 1, [pump.address, wcore], custody.safe,
                            DEADLINE)["status"] == 1
    assert left(bot, key) == cap - sold
    assert (left(bot, PUMP_PER_DAY), left(bot, SWAPS_PER_DAY)) == (pump_left, swaps_left)
    args = bot.swap_args(sold, custody.safe)
    assert bot.through_role(router, "swapExactTokensForTokens", *args)["status"] == 1
    assert left(bot, PUMP_PER_DAY) == pump_left - sold
    assert left(bot, key) == cap - sold


def v3_router(bot: Bot, d: Deployment) -> Contract:
    assert d.uniswap_v3 is not None
    return bot.w3.eth.contract(address=d.uniswap_v3.router, abi=SWAP_ROUTER_ABI)


def test_v3_balancing_swap__the_configured_pool_to_the_safe__else_reverts(
    bot: Bot, deployed: Deployment, custody: CustodyInfo
) -> None:
    assert deployed.uniswap_v3 is not None
    pool = deployed.uniswap_v3.pools[V3]
    router = v3_router(bot, deployed)
    usdc, pstr = approved(bot, "USDC", router.address), bot.token("PSTR")
    key = balancing_key(usdc.address)
    cap = left(bot, key)

    def swap(amount: int, to: str, fee: int = pool.fee, min_out: int = 1) -> tuple[Any, ...]:
        return (usdc.address, pstr.address, fee, to, DEADLINE, amount, min_out, 0)

    assert bot.through_role(router, "exactInputSingle", swap(10**9, custody.bot))["status"] == 0
    before = pstr.functions.balanceOf(custody.safe).call()
    assert bot.through_role(router, "exactInputSingle", swap(10**9, custody.safe))[
        "status"] == 1
    assert pstr.functions.balanceOf(custody.safe).call() > before
    assert pstr.functions.balanceOf(custody.bot).call() == 0
    assert left(bot, key) == cap - 10**9  # the same USDC allowance as the V2 balancing swap
    for wrong in (swap(10**9, custody.safe, fee=500), swap(10**9, custody.safe, min_out=0),
                  swap(cap - 10**9 + 1, custody.safe)):
        assert bot.violation(router, "exactInputSingle", wrong)[0] == OR_VIOLATION
        assert bot.through_role(router, "exactInputSingle", wrong)["status"] == 0
    # the executor's pre-send check agrees, from the plan the deployer applied
    plan = bot_role(PARAMS, targets(deployed), custody.bot, 0)
    data = bytes.fromhex(router.encode_abi("exactInputSingle", [swap(10**9, custody.safe)])[2:])
    assert refusal(plan, custody.safe, router.address, data) is None
    to_bot = bytes.fromhex(router.encode_abi("exactInputSingle", [swap(10**9, custody.bot)])[2:])
    assert "not the Safe" in (refusal(plan, custody.safe, router.address, to_bot) or "")
