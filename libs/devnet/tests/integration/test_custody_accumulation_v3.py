"""The bot's role on anvil beyond the intervention (issue 21 "Custody"): the hourly accumulation's
USDC -> WCORE -> PUMP swap and a Uniswap V3 position's mint, decrease and collect go through the
modifier to the Safe, the V3 remove also as one MultiSendCallOnly batch the modifier unwraps;
the same calls with the bot as recipient revert on chain."""

from __future__ import annotations

from typing import Any

from hexbytes import HexBytes
from web3.contract import Contract

from ballast.common.deployment import CustodyInfo
from ballast.common.evm.multisend import Inner
from ballast.common.evm.roles import refusal
from ballast.common.evm.uniswap_v3 import MAX_UINT128, POOL_ABI, POSITION_MANAGER_ABI
from ballast.devnet import Deployment
from ballast.devnet.bot_role import QUOTE_PER_DAY, bot_role, daily_quote_cap, targets
from ballast.strategy.params import StrategyParams
from ballast.testing.custody import DEADLINE, OR_VIOLATION, Bot

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


def test_role__accumulation_off_its_path_or_above_the_days_quote__reverts(
    bot: Bot, deployed: Deployment, custody: CustodyInfo
) -> None:
    router, usdc = bot.router(), bot.token("USDC")
    assert bot.through_role(usdc, "approve", router.address, 2**256 - 1)["status"] == 1
    cap = bot.roles.functions.allowances(QUOTE_PER_DAY).call()[3]
    assert usdc.functions.balanceOf(custody.safe).call() > cap  # the Safe could pay more
    usdc_, pstr, pump = (deployed.tokens[s].address for s in ("USDC", "PSTR", "PUMP"))
    through_pstr = [10**6, 1, [usdc_, pstr, pump], custody.safe, DEADLINE]
    assert bot.violation(router, "swapExactTokensForTokens", *through_pstr)[0] == OR_VIOLATION
    assert bot.through_role(router, "swapExactTokensForTokens", *through_pstr)["status"] == 0
    assert bot.goes_through(router, "swapExactTokensForTokens", cap, 1, path(deployed),
                            custody.safe, DEADLINE)
    above = [cap + 1, 1, path(deployed), custody.safe, DEADLINE]
    assert bot.violation(router, "swapExactTokensForTokens", *above)[0] == OR_VIOLATION
    held = usdc.functions.balanceOf(custody.safe).call()
    assert bot.through_role(router, "swapExactTokensForTokens", *above)["status"] == 0
    assert usdc.functions.balanceOf(custody.safe).call() == held


def manager(bot: Bot, d: Deployment) -> Contract:
    assert d.uniswap_v3 is not None
    return bot.w3.eth.contract(address=d.uniswap_v3.position_manager, abi=POSITION_MANAGER_ABI)


def mint_in_the_safe(bot: Bot, d: Deployment, custody: CustodyInfo) -> tuple[
        Contract, list[Contract], Any]:
    """(manager, [token0, token1], mint(to) -> receipt) of the PSTR-USDC V3 pool, the Safe
    holding PSTR and USDC and the manager approved on both."""
    assert d.uniswap_v3 is not None
    pool = d.uniswap_v3.pools["PSTR-USDC-V3"]
    npm = manager(bot, d)
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
    desired = [10**18 if t.address == d.tokens["PSTR"].address else 10**6
               for t in (token0, token1)]

    def mint(to: str) -> dict[str, Any]:
        params = (pool.token0, pool.token1, pool.fee, lower, upper, *desired, 0, 0, to, DEADLINE)
        return bot.through_role(npm, "mint", params)

    return npm, [token0, token1], mint


def balances(tokens: list[Contract], holder: str) -> list[int]:
    return [t.functions.balanceOf(holder).call() for t in tokens]


def test_role__v3_mint_decrease_collect__to_the_safe_only(
    bot: Bot, deployed: Deployment, custody: CustodyInfo
) -> None:
    npm, tokens, mint = mint_in_the_safe(bot, deployed, custody)
    assert mint(custody.bot)["status"] == 0
    assert npm.functions.balanceOf(custody.bot).call() == 0
    assert mint(custody.safe)["status"] == 1
    token_id = npm.functions.tokenOfOwnerByIndex(custody.safe, 0).call()
    liquidity = npm.functions.positions(token_id).call()[7]
    assert liquidity > 0
    assert bot.through_role(npm, "decreaseLiquidity",
                            (token_id, liquidity, 0, 0, DEADLINE))["status"] == 1
    held = balances(tokens, custody.safe)
    assert bot.through_role(npm, "collect", (token_id, custody.bot, MAX_UINT128,
                                             MAX_UINT128))["status"] == 0
    assert bot.through_role(npm, "collect", (token_id, custody.safe, MAX_UINT128,
                                             MAX_UINT128))["status"] == 1
    after = balances(tokens, custody.safe)
    assert after[0] > held[0] and after[1] > held[1]
    assert balances(tokens, custody.bot) == [0, 0]


def test_role__v3_remove_as_one_batch__each_call_checked_tokens_to_the_safe(
    bot: Bot, deployed: Deployment, custody: CustodyInfo
) -> None:
    """The executor's V3 remove under custody: decreaseLiquidity + collect + burn as one
    MultiSendCallOnly batch the modifier unwraps; the manager's own multicall of the same calls
    is refused, and so is a batch whose collect pays the bot."""
    npm, tokens, mint = mint_in_the_safe(bot, deployed, custody)
    assert mint(custody.safe)["status"] == 1
    token_id = npm.functions.tokenOfOwnerByIndex(custody.safe, 0).call()
    liquidity = npm.functions.positions(token_id).call()[7]

    def calls(to: str) -> list[bytes]:
        return [bytes(HexBytes(npm.encode_abi(fn, [args]))) for fn, args in (
            ("decreaseLiquidity", (token_id, liquidity, 0, 0, DEADLINE)),
            ("collect", (token_id, to, MAX_UINT128, MAX_UINT128)), ("burn", token_id))]

    held = balances(tokens, custody.safe)
    assert bot.through_role(npm, "multicall", calls(custody.safe))["status"] == 0
    assert bot.batch([Inner(npm.address, c) for c in calls(custody.bot)])["status"] == 0
    as_delegate = [Inner(npm.address, c, operation=1) for c in calls(custody.safe)]
    assert bot.batch(as_delegate)["status"] == 0
    assert npm.functions.positions(token_id).call()[7] == liquidity  # nothing moved yet
    assert bot.batch([Inner(npm.address, c) for c in calls(custody.safe)])["status"] == 1
    after = balances(tokens, custody.safe)
    assert after[0] > held[0] and after[1] > held[1]
    assert balances(tokens, custody.bot) == [0, 0]
    assert npm.functions.balanceOf(custody.safe).call() == 0  # the emptied NFT burned
