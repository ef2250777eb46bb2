"""Liquidity provision as numbers (PSTR seed 6 "Liquidity Management"; Uniswap V2 router maths).

- Budgets: `liquidity_allocation` of `total_capital` (10% of $1M), split over the configured pools
  by `liquidity_split` (60% primary pair, 40% stable pair).
- A V2 position is full range: its amounts always follow the pool ratio. Adding takes the two
  tokens at the reserves' ratio (`optimal_amounts`, the router's own `quote`), removing returns
  them at that ratio (`removed_amounts`). The executor bounds every router call with these
  expectations less the seed's 2% slippage cap (its `amount_out_min`).
- Re-balancing the two tokens before a re-add (`balancing_swap`): swap half the excess value of
  one token into the other so both legs are worth the same at the pool price. After a V2 remove
  they already are (the amounts come out at the pool ratio), so a V2 rebalance normally needs no
  swap; the swap leg exists for tokens that do not (an initial add funded from one token).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from ballast.strategy.params import StrategyParams

LIQUIDITY_POOLS = ("PUMP-WCORE", "PSTR-USDC")
"""The V2 pools the treasury provides liquidity to, in `liquidity_split`'s order: the seed's
primary pair (SOL there, WCORE on Core) and its stable pair (USDC). The treasury's default, and
the pools the bot's on-chain role may add to, remove from and balance for."""

BALANCE_TOLERANCE = Decimal("0.01")
"""An imbalance under 1% of the position's value is not worth a swap (its fee and gas)."""


def liquidity_budget_usd(params: StrategyParams) -> Decimal:
    """USD the liquidity policy provides over all its pools: capital x liquidity_allocation."""
    return params.total_capital * params.liquidity_allocation


def pool_budgets_usd(pools: tuple[str, ...], params: StrategyParams) -> dict[str, Decimal]:
    """USD to provide per pool: capital x liquidity_allocation x the pool's split weight."""
    if len(pools) != len(params.liquidity_split):
        raise ValueError(f"{len(pools)} pools for {len(params.liquidity_split)} split weights")
    total = liquidity_budget_usd(params)
    return {p: total * w for p, w in zip(pools, params.liquidity_split, strict=True)}


def optimal_amounts(desired0: int, desired1: int, reserve0: int, reserve1: int) -> tuple[int, int]:
    """What `addLiquidity` will take of (desired0, desired1) at the reserves' ratio (the router's
    `_addLiquidity`: token1 = desired0 x r1 / r0 if that fits, else token0 = desired1 x r0 / r1)."""
    if reserve0 == 0 or reserve1 == 0:
        return desired0, desired1
    one = desired0 * reserve1 // reserve0
    if one <= desired1:
        return desired0, one
    return desired1 * reserve0 // reserve1, desired1


def removed_amounts(lp: int, supply: int, reserve0: int, reserve1: int) -> tuple[int, int]:
    """What burning `lp` of `supply` returns (UniswapV2Pair.burn, balances = reserves)."""
    if supply == 0:
        return 0, 0
    return lp * reserve0 // supply, lp * reserve1 // supply


@dataclass(frozen=True)
class Swap:
    """Swap `amount_in` of token `index_in` (0 or 1) into the other."""

    index_in: int
    amount_in: int


def balancing_swap(
    amount0: int, amount1: int, reserve0: int, reserve1: int,
    tolerance: Decimal = BALANCE_TOLERANCE,
) -> Swap | None:
    """The swap that leaves both amounts worth the same at the pool price, or None when they are
    within `tolerance` of the position's value. Price of token0 in token1 = reserve1 / reserve0."""
    if reserve0 == 0 or reserve1 == 0:
        raise ValueError("an empty pool has no price")
    value0 = Decimal(amount0) * reserve1 / reserve0  # in token1
    value1 = Decimal(amount1)
    total = value0 + value1
    if total == 0 or abs(value0 - value1) / total <= tolerance:
        return None
    if value0 > value1:
        excess0 = (value0 - value1) / 2 * reserve0 / reserve1
        return Swap(0, int(excess0.to_integral_value(rounding=ROUND_DOWN)))
    return Swap(1, int(((value1 - value0) / 2).to_integral_value(rounding=ROUND_DOWN)))
