"""The treasury's positions in a concentrated-liquidity (Uniswap V3) pool, read from the chain at
one block (REFERENCE.md "Uniswap V3"):

- the pool's `slot0` (sqrtPriceX96, tick) and active `liquidity`;
- the NonfungiblePositionManager's NFTs of the treasury (`balanceOf`, `tokenOfOwnerByIndex`),
  each position's `positions(tokenId)` (pool tokens and fee, ticks, liquidity), kept when it is
  this pool's;
- the fees each position would pay now: a static call of `collect` (everything, to the owner)
  from the owner, which credits the fees accrued since the position was last touched before
  answering; `positions()`' tokensOwed alone would miss them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ballast.common.evm.uniswap_v3 import MAX_UINT128, POOL_ABI, POSITION_MANAGER_ABI
from ballast.treasury.domain.concentrated_liquidity import ConcentratedReading, V3Position


@dataclass(frozen=True)
class ConcentratedPool:
    """A V3 pool of the deployment (`uniswap_v3.pools`) and its position manager."""

    name: str
    pool: str
    token0: str
    token1: str
    symbol0: str
    symbol1: str
    decimals0: int
    decimals1: int
    fee: int
    manager: str


async def read_pool(
    w3: Any,
    pool: ConcentratedPool,
    owner: str,
    block: int,
) -> ConcentratedReading:
    """The pool and the owner's positions in it, every call at `block`."""
    at = {"block_identifier": block}
    contract = w3.eth.contract(address=w3.to_checksum_address(pool.pool), abi=POOL_ABI)
    slot0 = await contract.functions.slot0().call(**at)
    active = await contract.functions.liquidity().call(**at)
    return ConcentratedReading(
        pool=pool.pool,
        pair=pool.name,
        token0=pool.symbol0,
        token1=pool.symbol1,
        decimals0=pool.decimals0,
        decimals1=pool.decimals1,
        sqrt_price_x96=int(slot0[0]),
        tick=int(slot0[1]),
        pool_liquidity=int(active),
        positions=tuple(await positions(w3, pool, owner, block)),
    )


async def positions(
    w3: Any,
    pool: ConcentratedPool,
    owner: str,
    block: int,
) -> list[V3Position]:
    """The owner's position NFTs in `pool` (liquidity or not), oldest first, each with what
    `collect` would pay it now."""
    at = {"block_identifier": block}
    owner = w3.to_checksum_address(owner)
    npm = w3.eth.contract(address=w3.to_checksum_address(pool.manager), abi=POSITION_MANAGER_ABI)
    ours = (pool.token0.lower(), pool.token1.lower(), pool.fee)
    found: list[V3Position] = []
    for index in range(int(await npm.functions.balanceOf(owner).call(**at))):
        token_id = int(await npm.functions.tokenOfOwnerByIndex(owner, index).call(**at))
        p = await npm.functions.positions(token_id).call(**at)
        if (str(p[2]).lower(), str(p[3]).lower(), int(p[4])) != ours:
            continue
        owed = await npm.functions.collect((token_id, owner, MAX_UINT128, MAX_UINT128)).call(
            {"from": owner}, **at
        )
        found.append(
            V3Position(token_id, int(p[5]), int(p[6]), int(p[7]), int(owed[0]), int(owed[1]))
        )
    return sorted(found, key=lambda p: p.token_id)
