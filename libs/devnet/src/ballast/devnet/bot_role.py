"""The bot's role on the treasury Safe, generated from the strategy settings (issue 21 "Custody").

The intervention key is no owner of the Safe: it acts through the Zodiac Roles modifier, which
lets it make exactly these calls, each with the Safe as the only possible recipient:

- the router's `swapExactTokensForTokens` of PUMP for PSTR (path exactly [PUMP, PSTR]), to the
  Safe, with a non-zero `amountOutMin` (Roles v2 cannot tie it to a price: the executor's quote
  and slippage bound stay the off-chain check). The PUMP sold spends the daily allowance
  `max_daily_interventions x max_deployment x the PUMP held` (an intervention deploys at most
  `max_deployment` of its capacity, and capacity is at most the PUMP held: ballast.strategy.sizing),
  and each swap spends one of `max_daily_interventions` calls a day. Both refill at 00:00 UTC.
- the router's `swapExactTokensForTokens` along the hourly accumulation's path (the quote token,
  USDC, through WCORE to PUMP: `Targets.accumulate`), to the Safe, `amountOutMin` > 0; the quote
  token paid spends the daily allowance `accumulation.daily_budget` at a quote price down to
  `1 - slippage_cap` (the budget is in USD, the allowance in token units: a buy priced within the
  cap of the peg fits the day), and each buy one of 24 calls a day (the buy is hourly);
- the V3 position manager's `mint` of the configured V3 pools' (token0, token1, fee) with the
  Safe as `recipient`, `collect` to the Safe, `decreaseLiquidity` and `burn` (the manager lets
  only the NFT's owner, the Safe, make these). `increaseLiquidity` stays out: the manager lets
  anyone add to any position, so it could move the Safe's tokens into a position the bot owns;
- the router's `addLiquidity` / `removeLiquidity` on the configured pools' token pairs, to the Safe;
- a liquidity action's balancing swap (ballast.strategy.liquidity / concentrated
  `balancing_swap`), to the Safe, `amountOutMin` > 0: on a configured V2 pool the router's
  `swapExactTokensForTokensSupportingFeeOnTransferTokens` along exactly [token0, token1] or
  [token1, token0]; on a configured V3 pool the V3 SwapRouter's `exactInputSingle` of its tokens
  and fee, either way. The token sold spends that token's daily allowance (`balancing_key`,
  `daily_balancing_cap`: one per input token, shared by V2 and V3). The V2 balancing swap has a
  selector of its own on purpose: a PUMP -> PSTR balancing swap on the PSTR-PUMP pool has the
  intervention's calldata exactly, and the modifier's Or commits the first branch that holds, so
  one function could not tell them apart: either the balancing swap would spend the
  intervention's PUMP and swap-count allowances, or an intervention above its allowance would
  pass on the balancing one. With its own selector a `swapExactTokensForTokens` is always an
  intervention or a buy, a fee-on-transfer swap always a balancing swap (for the devnet's plain
  ERC-20s the router's two functions move the same amounts);
- `approve(router, ...)` on the pools' tokens and LP tokens (the router pulls what it trades),
  `approve(position manager, ...)` and `approve(V3 router, ...)` on the V3 pools' tokens;
- the StakeBasket automation calls (rebalance, compound, deploy/recall liquidity, swapAssets).

`bot_role` is the one function that says so; `ballast custody roles` prints or applies it.
"""

from __future__ import annotations

from base64 import urlsafe_b64encode
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from eth_utils.address import to_checksum_address

from ballast.common.deployment import (
    Deployment,
    EtfInfo,
    PoolInfo,
    TokenInfo,
    UniswapInfo,
    UniswapV3Info,
)
from ballast.common.evm import roles
from ballast.common.evm.roles import Allowance, Condition, RolePlan, Scope
from ballast.devnet.prices import FEED_PRICES_USD
from ballast.strategy.accumulation import daily_budget
from ballast.strategy.liquidity import LIQUIDITY_POOLS, liquidity_budget_usd
from ballast.strategy.params import StrategyParams
from ballast.strategy.routing import route
from ballast.strategy.sizing import raw_amount

ROLE = roles.bytes32("ballast-bot")
PUMP_PER_DAY = roles.bytes32("pump-sold-per-day")
SWAPS_PER_DAY = roles.bytes32("pump-swaps-per-day")
QUOTE_PER_DAY = roles.bytes32("quote-paid-per-day")
BUYS_PER_DAY = roles.bytes32("accumulation-buys-per-day")
ALLOWANCE_KEYS = (PUMP_PER_DAY, SWAPS_PER_DAY, QUOTE_PER_DAY, BUYS_PER_DAY)
BUYS_A_DAY = 24
"""The accumulation buys hourly (PSTR seed 2)."""

SWAP = "swapExactTokensForTokens(uint256,uint256,address[],address,uint256)"
BALANCING_SWAP = ("swapExactTokensForTokensSupportingFeeOnTransferTokens(uint256,uint256,"
                  "address[],address,uint256)")
EXACT_INPUT_SINGLE = ("exactInputSingle((address,address,uint24,address,uint256,uint256,uint256,"
                      "uint160))")
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
MINT = ("mint((address,address,uint24,int24,int24,uint256,uint256,uint256,uint256,address,"
        "uint256))")
COLLECT = "collect((uint256,address,uint128,uint128))"
DECREASE_LIQUIDITY = "decreaseLiquidity((uint256,uint128,uint256,uint256,uint256))"
BURN = "burn(uint256)"


@dataclass(frozen=True)
class Targets:
    """The addresses the role reaches: from a deployment (`targets`) or from configuration."""

    router: str
    pump: str
    pstr: str
    pools: tuple[tuple[str, str, str], ...]
    """(pair, token0, token1) of each pool the bot may add liquidity to and remove it from."""
    basket: str | None = None
    accumulate: tuple[str, ...] = ()
    """The accumulation's router path (quote token first, PUMP last); () when none."""
    accumulate_decimals: int = 6
    position_manager: str | None = None
    v3_pools: tuple[tuple[str, str, int], ...] = ()
    """(token0, token1, fee) of each V3 pool the bot may mint positions in and swap through."""
    v3_router: str | None = None
    prices: tuple[tuple[str, int, Decimal], ...] = ()
    """(token, decimals, USD price) the balancing allowances are sized at; a pool token without
    one gets a zero allowance (the executor's plan: it reads the chain's ceilings instead)."""


def accumulation_path(tokens: dict[str, TokenInfo], pool_infos: dict[str, PoolInfo]) -> tuple[
        str, ...]:
    """The executor's accumulation route (ballast.strategy.routing, as its settings find it):
    USDC -> PUMP directly or through one pool's other token, never PSTR; () when none."""
    if "USDC" not in tokens:
        return ()
    path = route([(p.token0, p.token1) for p in pool_infos.values()], tokens["USDC"].address,
                 tokens["PUMP"].address, avoid=[tokens["PSTR"].address])
    return tuple(to_checksum_address(x) for x in path) if path else ()


def targets(deployment: Deployment, pools: tuple[str, ...] = LIQUIDITY_POOLS) -> Targets:
    d = deployment
    return targets_of(d.uniswap, d.tokens, d.pools, d.etf, pools, d.uniswap_v3)


def targets_of(uniswap: UniswapInfo, tokens: dict[str, TokenInfo], pool_infos: dict[str, PoolInfo],
               etf: EtfInfo | None, pools: tuple[str, ...] = LIQUIDITY_POOLS,
               v3: UniswapV3Info | None = None,
               prices_usd: Mapping[str, Decimal] = FEED_PRICES_USD) -> Targets:
    """The role's targets; the balancing allowances sized at `prices_usd` (by symbol; the
    devnet's starting prices unless given)."""
    usdc = tokens.get("USDC")
    return Targets(
        router=uniswap.router,
        pump=tokens["PUMP"].address,
        pstr=tokens["PSTR"].address,
        pools=tuple((p.pair, p.token0, p.token1)
                    for name in pools if (p := pool_infos.get(name)) is not None),
        basket=etf.stake_basket if etf else None,
        accumulate=accumulation_path(tokens, pool_infos),
        accumulate_decimals=usdc.decimals if usdc else 6,
        position_manager=v3.position_manager if v3 else None,
        v3_pools=tuple((p.token0, p.token1, p.fee) for p in v3.pools.values()) if v3 else (),
        v3_router=v3.router if v3 else None,
        prices=tuple((info.address, info.decimals, prices_usd[symbol])
                     for symbol, info in tokens.items() if symbol in prices_usd),
    )


def daily_pump_cap(params: StrategyParams, pump_held_raw: int) -> int:
    """The most PUMP (base units) the policy can sell in one UTC day."""
    share = Decimal(params.max_daily_interventions) * params.max_deployment
    return int((share * pump_held_raw).to_integral_value(rounding=ROUND_DOWN))


def daily_quote_cap(params: StrategyParams, decimals: int) -> int:
    """The most quote token (base units) the accumulation pays in one UTC day: the daily budget
    (USD) at a quote price down to 1 - slippage_cap."""
    floor = 1 - params.slippage_cap
    return int((daily_budget(params) / floor).scaleb(decimals).to_integral_value(ROUND_DOWN))


def daily_balancing_cap(params: StrategyParams, decimals: int, price_usd: Decimal) -> int:
    """The most of one token (base units) the liquidity actions' balancing swaps sell in one UTC
    day: the whole liquidity allocation (capital x liquidity_allocation,
    ballast.strategy.liquidity.liquidity_budget_usd) at the token's USD price when the role is
    applied.

    The policy has no bound of its own on a balancing swap, so this is derived from the settings
    the liquidity policy sizes its actions with: a balancing swap sells part of one action's
    value (V2: half the excess of one token; V3: the excess over the band's ratio), and an action
    moves one pool's budget (an add funds exactly its budget, a rebalance moves the position an
    add made), which is its split share of the allocation. The whole allocation a day leaves room
    for a pool's add and rebalance on one day and for the price to fall since the role was
    applied; the owners re-apply the role (`ballast custody roles --apply`) after a larger move,
    as for the PUMP allowance."""
    return raw_amount(liquidity_budget_usd(params), price_usd, decimals)


def balancing_key(token: str) -> bytes:
    """The allowance a balancing swap selling `token` spends: "lp-" and the token's 20 address
    bytes in URL-safe base64 (the whole address: 40 hex digits would not fit in 32 bytes)."""
    return roles.bytes32("lp-" + urlsafe_b64encode(bytes.fromhex(token[2:])).decode())


def _pair_calls(pools: tuple[tuple[str, str, str], ...], tail: list[Condition]) -> Condition:
    """Either token order of any configured pool, then `tail` (the rest of the parameters)."""
    branches = [
        roles.call(roles.equal("address", a), roles.equal("address", b), *tail)
        for _, t0, t1 in pools for a, b in ((t0, t1), (t1, t0))
    ]
    return roles.either(*branches)


def bot_role(params: StrategyParams, t: Targets, bot: str, pump_held_raw: int) -> RolePlan:
    """The bot's permission set on the Safe that holds `pump_held_raw` PUMP."""
    swap = _swap(PUMP_PER_DAY, (t.pump, t.pstr), SWAPS_PER_DAY)
    allowances = [Allowance(PUMP_PER_DAY, daily_pump_cap(params, pump_held_raw)),
                  Allowance(SWAPS_PER_DAY, params.max_daily_interventions)]
    if t.accumulate:
        swap = roles.either(swap, _swap(QUOTE_PER_DAY, t.accumulate, BUYS_PER_DAY))
        allowances += [Allowance(QUOTE_PER_DAY, daily_quote_cap(params, t.accumulate_decimals)),
                       Allowance(BUYS_PER_DAY, BUYS_A_DAY)]
    add = _pair_calls(t.pools, [roles.anything()] * 4 + [roles.avatar()])
    remove = _pair_calls(t.pools, [roles.anything()] * 3 + [roles.avatar()])
    scopes = [
        Scope(t.router, SWAP, swap),
        Scope(t.router, ADD_LIQUIDITY, add),
        Scope(t.router, REMOVE_LIQUIDITY, remove),
    ]
    if t.pools:
        scopes.append(Scope(t.router, BALANCING_SWAP, _balancing_v2(t.pools)))
    spenders: dict[str, list[str]] = {}
    for token in {t.pump, t.pstr, *t.accumulate[:1]} | {x for pool in t.pools for x in pool}:
        spenders.setdefault(token.lower(), [t.router])
    sold = {x.lower() for _, t0, t1 in t.pools for x in (t0, t1)}
    if t.position_manager is not None and t.v3_pools:
        scopes += _v3_scopes(t.position_manager, t.v3_pools)
        v3_spenders = [t.position_manager, *([t.v3_router] if t.v3_router else [])]
        if t.v3_router is not None:
            scopes.append(Scope(t.v3_router, EXACT_INPUT_SINGLE, _balancing_v3(t.v3_pools)))
            sold |= {x.lower() for t0, t1, _ in t.v3_pools for x in (t0, t1)}
        for t0, t1, _ in t.v3_pools:
            for token in (t0, t1):
                spenders.setdefault(token.lower(), []).extend(v3_spenders)
    priced = {a.lower(): (decimals, price) for a, decimals, price in t.prices}
    allowances += [Allowance(balancing_key(token), daily_balancing_cap(params, *priced[token])
                             if token in priced else 0) for token in sorted(sold)]
    scopes += [Scope(to_checksum_address(token), APPROVE, _one_of(
        [roles.call(roles.equal("address", s)) for s in spenders[token]]))
        for token in sorted(spenders)]
    if t.basket is not None:
        scopes += [Scope(t.basket, fn) for fn in BASKET_CALLS]
    return RolePlan(ROLE, (to_checksum_address(bot),), tuple(scopes), tuple(allowances))


def _one_of(branches: list[Condition]) -> Condition:
    return branches[0] if len(branches) == 1 else roles.either(*branches)


def _swap(spent: bytes, path: tuple[str, ...], calls: bytes) -> Condition:
    """swapExactTokensForTokens of at most the allowance `spent` along exactly `path`, to the
    Safe, amountOutMin > 0, each call one of the allowance `calls`."""
    return roles.call(
        roles.within(spent),  # amountIn
        roles.above(0),  # amountOutMin
        roles.array(*(roles.equal("address", x) for x in path)),  # path
        roles.avatar(),  # to
        roles.calls_within(calls),
    )


def _balancing_v2(pools: tuple[tuple[str, str, str], ...]) -> Condition:
    """The V2 balancing swap: a configured pool's pair either way, the token sold within its
    daily allowance, amountOutMin > 0, to the Safe."""
    return roles.either(*[roles.call(
        roles.within(balancing_key(a)), roles.above(0),
        roles.array(roles.equal("address", a), roles.equal("address", b)), roles.avatar())
        for _, t0, t1 in pools for a, b in ((t0, t1), (t1, t0))])


def _balancing_v3(pools: tuple[tuple[str, str, int], ...]) -> Condition:
    """exactInputSingle through a configured V3 pool (its tokens and fee) either way, to the
    Safe, amountIn within the sold token's daily allowance, amountOutMinimum > 0."""
    return roles.either(*[roles.call(roles.fields(
        roles.equal("address", a), roles.equal("address", b), roles.equal("uint24", fee),
        roles.avatar(), roles.anything(), roles.within(balancing_key(a)), roles.above(0),
        roles.anything())) for t0, t1, fee in pools for a, b in ((t0, t1), (t1, t0))])


def _v3_scopes(manager: str, pools: tuple[tuple[str, str, int], ...]) -> list[Scope]:
    """mint in the pools (their tokens and fee) to the Safe; collect to the Safe; decrease and
    burn (the manager allows them only to the position's owner or approved: the Safe)."""
    mint = _one_of([roles.call(roles.fields(
        roles.equal("address", t0), roles.equal("address", t1), roles.equal("uint24", fee),
        *[roles.anything()] * 6, roles.avatar(), roles.anything())) for t0, t1, fee in pools])
    collect = roles.call(roles.fields(roles.anything(), roles.avatar(), roles.anything(),
                                      roles.anything()))
    return [Scope(manager, MINT, mint), Scope(manager, COLLECT, collect),
            Scope(manager, DECREASE_LIQUIDITY), Scope(manager, BURN)]
