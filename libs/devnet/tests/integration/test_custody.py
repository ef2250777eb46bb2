"""The treasury Safe and the bot's Roles v2 role on anvil (issue 21 "Custody"): the bot's key
makes the policy's swap through the modifier, and the chain refuses what the role does not allow:
a PUMP transfer to the bot, a swap above the daily allowance; the allowance refills a day later."""

from __future__ import annotations

from typing import Any

from ballast.common.deployment import CustodyInfo
from ballast.common.evm.artifacts import load_artifact
from ballast.common.evm.roles import refusal
from ballast.devnet import Deployment
from ballast.devnet.bot_role import PUMP_PER_DAY, SWAP, bot_role, daily_pump_cap, targets
from ballast.devnet.chain import Sender, connect, contract
from ballast.devnet.custody import OWNER_KEYS, SafeOwners
from ballast.devnet.deployer import TREASURY_KEY
from ballast.strategy.params import StrategyParams
from ballast.testing.chain import Anvil
from ballast.testing.custody import DEADLINE, OR_VIOLATION, Bot

PARAMS = StrategyParams()


def test_custody__deployed__bot_is_no_owner_and_the_safe_holds_the_treasury(
    deployed: Deployment, custody: CustodyInfo, anvil: Anvil
) -> None:
    w3 = connect(anvil.rpc_url)
    safe = contract(w3, load_artifact("SafeL2"), custody.safe)
    assert safe.functions.getThreshold().call() == 2
    assert set(safe.functions.getOwners().call()) == set(custody.owners)
    assert deployed.treasury not in custody.owners and custody.bot == deployed.treasury
    assert safe.functions.isModuleEnabled(custody.roles).call()
    roles = contract(w3, load_artifact("Roles"), custody.roles)
    assert roles.functions.owner().call() == custody.safe
    pump = contract(w3, load_artifact("TestToken"), deployed.tokens["PUMP"].address)
    assert pump.functions.balanceOf(deployed.treasury).call() == 0
    assert pump.functions.balanceOf(custody.safe).call() > 0


def test_role__permitted_swap__safe_receives_pstr(bot: Bot, custody: CustodyInfo) -> None:
    pstr = bot.token("PSTR")
    before = pstr.functions.balanceOf(custody.safe).call()
    receipt = bot.through_role(bot.router(), "swapExactTokensForTokens",
                               *bot.swap_args(1_000 * 10**18, custody.safe))
    assert receipt["status"] == 1
    assert pstr.functions.balanceOf(custody.safe).call() > before
    assert pstr.functions.balanceOf(custody.bot).call() == 0


def test_role__pump_transfer_to_the_bot__reverts_on_chain(bot: Bot, custody: CustodyInfo) -> None:
    pump = bot.token("PUMP")
    held = pump.functions.balanceOf(custody.safe).call()
    receipt = bot.through_role(pump, "transfer", custody.bot, 10**18)
    assert receipt["status"] == 0
    assert pump.functions.balanceOf(custody.bot).call() == 0
    assert pump.functions.balanceOf(custody.safe).call() == held


def test_role__swap_to_the_bot__reverts_on_chain(bot: Bot, custody: CustodyInfo) -> None:
    receipt = bot.through_role(bot.router(), "swapExactTokensForTokens",
                               *bot.swap_args(1_000 * 10**18, custody.bot))
    assert receipt["status"] == 0


def test_role__swap_above_the_daily_allowance__reverts(bot: Bot, custody: CustodyInfo) -> None:
    cap = bot.roles.functions.allowances(PUMP_PER_DAY).call()[3]  # balance
    pump = bot.token("PUMP")
    assert cap == daily_pump_cap(PARAMS, pump.functions.balanceOf(custody.safe).call())
    # the swap's condition is either the intervention's or the accumulation's: an overrun of
    # either's allowance is "no branch holds"; the whole allowance goes through, one unit more not
    assert bot.goes_through(bot.router(), "swapExactTokensForTokens",
                            *bot.swap_args(cap, custody.safe))
    args = bot.swap_args(cap + 1, custody.safe)
    assert bot.violation(bot.router(), "swapExactTokensForTokens", *args) == (OR_VIOLATION,
                                                                              bytes(32))
    assert bot.through_role(bot.router(), "swapExactTokensForTokens", *args)["status"] == 0


def test_role__allowance_spent__refills_after_a_day(
    bot: Bot, custody: CustodyInfo, chain: Anvil
) -> None:
    router = bot.router()
    cap = bot.roles.functions.allowances(PUMP_PER_DAY).call()[3]
    assert bot.through_role(router, "swapExactTokensForTokens",
                            *bot.swap_args(cap, custody.safe))["status"] == 1
    one = bot.swap_args(10**18, custody.safe)
    assert bot.violation(router, "swapExactTokensForTokens", *one)[0] == OR_VIOLATION
    assert bot.through_role(router, "swapExactTokensForTokens", *one)["status"] == 0
    chain.increase_time(86_400)
    # the whole day's PUMP again: the allowance is back to its daily refill
    assert bot.through_role(router, "swapExactTokensForTokens",
                            *bot.swap_args(cap, custody.safe))["status"] == 1


def test_refusal__same_plan_as_the_chain__refuses_the_transfer_and_allows_the_swap(
    bot: Bot, deployed: Deployment, custody: CustodyInfo
) -> None:
    """The executor's pre-send check, from the plan the deployer applied."""
    held = bot.token("PUMP").functions.balanceOf(custody.safe).call()
    plan = bot_role(PARAMS, targets(deployed), custody.bot, held)
    transfer = bytes.fromhex(bot.token("PUMP").encode_abi("transfer", [custody.bot, 1])[2:])
    assert refusal(plan, custody.safe, deployed.tokens["PUMP"].address, transfer)
    swap = bytes.fromhex(bot.router().encode_abi(
        "swapExactTokensForTokens", bot.swap_args(10**18, custody.safe))[2:])
    assert refusal(plan, custody.safe, deployed.uniswap.router, swap) is None
    assert SWAP.startswith("swapExactTokensForTokens(")


def test_role__liquidity_on_a_configured_pool__to_the_safe_only(
    bot: Bot, deployed: Deployment, custody: CustodyInfo
) -> None:
    """add/removeLiquidity: the role's top-level Or over the pools' token pairs, on chain."""
    router = bot.router()
    assert bot.through_role(router, "swapExactTokensForTokens",
                            *bot.swap_args(10_000 * 10**18, custody.safe))["status"] == 1
    pstr, usdc = bot.token("PSTR"), bot.token("USDC")
    pair = contract(bot.w3, load_artifact("TestToken"), deployed.pools["PSTR-USDC"].pair)
    for token in (pstr, usdc, pair):
        assert bot.through_role(token, "approve", router.address, 2**256 - 1)["status"] == 1
    amount_pstr = pstr.functions.balanceOf(custody.safe).call() // 2
    amount_usdc = 1_000 * 10**6

    def add(to: str) -> dict[str, Any]:
        return bot.through_role(router, "addLiquidity", usdc.address, pstr.address, amount_usdc,
                                amount_pstr, 0, 0, to, DEADLINE)

    assert add(custody.bot)["status"] == 0
    assert add(custody.safe)["status"] == 1
    lp = pair.functions.balanceOf(custody.safe).call()
    assert lp > 0
    remove = [pstr.address, usdc.address, lp, 0, 0]
    assert bot.through_role(router, "removeLiquidity", *remove, custody.bot, DEADLINE)[
        "status"] == 0
    assert bot.through_role(router, "removeLiquidity", *remove, custody.safe, DEADLINE)[
        "status"] == 1
    assert pair.functions.balanceOf(custody.safe).call() == 0
    pump = deployed.tokens["PUMP"].address  # PUMP-USDC is no configured pool
    other = [usdc.address, pump, amount_usdc, 10**18, 0, 0, custody.safe, DEADLINE]
    assert bot.violation(router, "addLiquidity", *other)[0] == OR_VIOLATION
    assert bot.through_role(router, "addLiquidity", *other)["status"] == 0


def test_guardian__a_second_safe_of_the_owners__pauses_the_basket_the_bot_cannot(
    bot: Bot, deployed: Deployment, custody: CustodyInfo
) -> None:
    """With `--safe` the guardian is a Safe of its own (ballast.devnet.control): the owners
    pause through it; the bot's role on the treasury Safe reaches no pause."""
    w3, guardian = bot.w3, deployed.guardian
    assert guardian is not None and guardian != custody.safe
    safe = contract(w3, load_artifact("SafeL2"), guardian)
    assert safe.functions.getOwners().call() == custody.owners
    assert safe.functions.getThreshold().call() == custody.threshold
    assert not safe.functions.isModuleEnabled(custody.roles).call()
    basket = contract(w3, load_artifact("StakeBasket"), deployed.etf.stake_basket)
    assert bot.through_role(basket, "pause")["status"] == 0
    payer = Sender(w3, TREASURY_KEY)
    SafeOwners(w3, safe, OWNER_KEYS, payer).execute(
        basket.address, bytes.fromhex(basket.encode_abi("pause", [])[2:]))
    payer.settle()
    assert basket.functions.paused().call()
