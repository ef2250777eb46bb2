"""The bot's role on the treasury Safe, generated from the strategy settings (issue 21 "Custody").

The intervention key is no owner of the Safe: it acts through the Zodiac Roles modifier, which
lets it make exactly these calls, each with the Safe as the only possible recipient:

- the router's `swapExactTokensForTokens` of PUMP for PSTR (path exactly [PUMP, PSTR]), to the
  Safe, with a non-zero `amountOutMin` (Roles v2 cannot tie it to a price: the executor's quote
  and slippage bound stay the off-chain check). The PUMP sold spends the daily allowance
  `max_daily_interventions x max_deployment x the PUMP held` (an intervention deploys at most
  `max_deployment` of its capacity, and capacity is at most the PUMP held: ballast.strategy.sizing),
  and each swap spends one of `max_daily_interventions` calls a day. Both refill at 00:00 UTC.
- the router's `addLiquidity` / `removeLiquidity` on the configured pools' token pairs, to the Safe;
- `approve(router, ...)` on the pools' tokens and LP tokens (the router pulls what it trades);
- the StakeBasket automation calls (rebalance, compound, deploy/recall liquidity, swapAssets).

`bot_role` is the one function that says so; `ballast custody roles` prints or applies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from eth_utils.address import to_checksum_address

from ballast.common.deployment import Deployment, EtfInfo, PoolInfo, TokenInfo, UniswapInfo
from ballast.common.evm import roles
from ballast.common.evm.roles import Allowance, Condition, RolePlan, Scope
from ballast.strategy.params import StrategyParams

ROLE = roles.bytes32("ballast-bot")
PUMP_PER_DAY = roles.bytes32("pump-sold-per-day")
SWAPS_PER_DAY = roles.bytes32("pump-swaps-per-day")

SWAP = "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)"
ADD_LIQUIDITY = "addLiquidity(address,address,uint256,uint256,uint256,uint256,address,uint256)"
REMOVE_LIQUIDITY = "removeLiquidity(address,address,uint256,uint256,uint256,address,uint256)"
APPROVE = "approve(address,uint256)"
BASKET_CALLS = (
    "rebalance()",
    "compound()",
    "deployLiquidity(uint256,uint256)",
    "recallLiquidity(uint256,uint256)",
    "swapAssets(uint8,uint256,uint256,uint256)",
)
LIQUIDITY_POOLS = ("PSTR-PUMP", "PSTR-USDC")
"""The V2 pools the intervention provides liquidity to (PSTR seed 6: the primary and the stable)."""


@dataclass(frozen=True)
class Targets:
    """The addresses the role reaches: from a deployment (`targets`) or from configuration."""

    router: str
    pump: str
    pstr: str
    pools: tuple[tuple[str, str, str], ...]
    """(pair, token0, token1) of each pool the bot may add liquidity to and remove it from."""
    basket: str | None = None


def targets(deployment: Deployment, pools: tuple[str, ...] = LIQUIDITY_POOLS) -> Targets:
    d = deployment
    return targets_of(d.uniswap, d.tokens, d.pools, d.etf, pools)


def targets_of(uniswap: UniswapInfo, tokens: dict[str, TokenInfo], pool_infos: dict[str, PoolInfo],
               etf: EtfInfo | None, pools: tuple[str, ...] = LIQUIDITY_POOLS) -> Targets:
    return Targets(
        router=uniswap.router,
        pump=tokens["PUMP"].address,
        pstr=tokens["PSTR"].address,
        pools=tuple((p.pair, p.token0, p.token1)
                    for name in pools if (p := pool_infos.get(name)) is not None),
        basket=etf.stake_basket if etf else None,
    )


def daily_pump_cap(params: StrategyParams, pump_held_raw: int) -> int:
    """The most PUMP (base units) the policy can sell in one UTC day."""
    share = Decimal(params.max_daily_interventions) * params.max_deployment
    return int((share * pump_held_raw).to_integral_value(rounding=ROUND_DOWN))


def _pair_calls(pools: tuple[tuple[str, str, str], ...], tail: list[Condition]) -> Condition:
    """Either token order of any configured pool, then `tail` (the rest of the parameters)."""
    branches = [
        roles.call(roles.equal("address", a), roles.equal("address", b), *tail)
        for _, t0, t1 in pools for a, b in ((t0, t1), (t1, t0))
    ]
    return roles.either(*branches)


def bot_role(params: StrategyParams, t: Targets, bot: str, pump_held_raw: int) -> RolePlan:
    """The bot's permission set on the Safe that holds `pump_held_raw` PUMP."""
    swap = roles.call(
        roles.within(PUMP_PER_DAY),  # amountIn
        roles.above(0),  # amountOutMin
        roles.array(roles.equal("address", t.pump), roles.equal("address", t.pstr)),  # path
        roles.avatar(),  # to
        roles.calls_within(SWAPS_PER_DAY),
    )
    add = _pair_calls(t.pools, [roles.anything()] * 4 + [roles.avatar()])
    remove = _pair_calls(t.pools, [roles.anything()] * 3 + [roles.avatar()])
    scopes = [
        Scope(t.router, SWAP, swap),
        Scope(t.router, ADD_LIQUIDITY, add),
        Scope(t.router, REMOVE_LIQUIDITY, remove),
    ]
    spendable = {t.pump, t.pstr} | {x for pool in t.pools for x in pool}
    scopes += [Scope(token, APPROVE, roles.call(roles.equal("address", t.router)))
               for token in sorted(spendable, key=str.lower)]
    if t.basket is not None:
        scopes += [Scope(t.basket, fn) for fn in BASKET_CALLS]
    allowances = (
        Allowance(PUMP_PER_DAY, daily_pump_cap(params, pump_held_raw)),
        Allowance(SWAPS_PER_DAY, params.max_daily_interventions),
    )
    return RolePlan(ROLE, (to_checksum_address(bot),), tuple(scopes), allowances)
