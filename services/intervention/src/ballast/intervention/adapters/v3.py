"""Uniswap V3 (concentrated liquidity) on the chain: the pool's price, the treasury's positions,
and the NonfungiblePositionManager and SwapRouter calldata (REFERENCE.md "Uniswap V3").

- add: `mint` of a position between two ticks, bounded by amount0Min / amount1Min and a deadline
  (the manager reverts "Price slippage check" or "Transaction too old");
- remove: one `multicall` of `decreaseLiquidity` (all of it, bounded the same way), `collect`
  (everything owed, to the treasury) and `burn` (the emptied NFT): one transaction;
- swap: SwapRouter `exactInputSingle` through the pool, bounded by amountOutMinimum.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address
from hexbytes import HexBytes

from ballast.common.evm.uniswap_v3 import (
    MAX_UINT128,
    POOL_ABI,
    POSITION_MANAGER_ABI,
    SWAP_ROUTER_ABI,
)
from ballast.intervention.ports import ChainPort


@dataclass(frozen=True)
class Position:
    token_id: int
    tick_lower: int
    tick_upper: int
    liquidity: int


def _contract(chain: ChainPort, address: str, abi: list[dict[str, Any]]) -> Any:
    return chain.w3.eth.contract(address=to_checksum_address(address), abi=abi)


async def slot0(chain: ChainPort, pool: str) -> tuple[int, int]:
    """(sqrtPriceX96, tick) of the pool now."""
    found = await _contract(chain, pool, POOL_ABI).functions.slot0().call()
    return int(found[0]), int(found[1])


async def positions(
    chain: ChainPort, manager: str, owner: str, token0: str, token1: str, fee: int
) -> list[Position]:
    """The owner's positions in the pool (token0, token1, fee) that hold liquidity, oldest
    first."""
    npm = _contract(chain, manager, POSITION_MANAGER_ABI)
    count = int(await npm.functions.balanceOf(to_checksum_address(owner)).call())
    found: list[Position] = []
    for index in range(count):
        token_id = int(
            await npm.functions.tokenOfOwnerByIndex(to_checksum_address(owner), index).call()
        )
        p = await npm.functions.positions(token_id).call()
        same = (str(p[2]).lower(), str(p[3]).lower(), int(p[4])) == (
            token0.lower(),
            token1.lower(),
            fee,
        )
        if same and int(p[7]) > 0:
            found.append(Position(token_id, int(p[5]), int(p[6]), int(p[7])))
    return sorted(found, key=lambda p: p.token_id)


def _encode(
    chain: ChainPort, address: str, abi: list[dict[str, Any]], fn: str, args: list[Any]
) -> bytes:
    return bytes(HexBytes(_contract(chain, address, abi).encode_abi(fn, args)))


def mint_calldata(
    chain: ChainPort,
    manager: str,
    pool: tuple[str, str, int],
    ticks: tuple[int, int],
    desired: tuple[int, int],
    mins: tuple[int, int],
    to: str,
    deadline: int,
) -> bytes:
    token0, token1, fee = pool
    return _encode(
        chain,
        manager,
        POSITION_MANAGER_ABI,
        "mint",
        [
            (
                to_checksum_address(token0),
                to_checksum_address(token1),
                fee,
                ticks[0],
                ticks[1],
                desired[0],
                desired[1],
                mins[0],
                mins[1],
                to_checksum_address(to),
                deadline,
            )
        ],
    )


def remove_calldata(
    chain: ChainPort,
    manager: str,
    removals: list[tuple[int, int, tuple[int, int]]],
    to: str,
    deadline: int,
) -> bytes:
    """For each (tokenId, liquidity, mins): decreaseLiquidity (all of it) + collect (everything
    owed) + burn; all as one multicall."""
    calls: list[bytes] = []
    for token_id, liquidity, mins in removals:
        calls += [
            _encode(
                chain,
                manager,
                POSITION_MANAGER_ABI,
                "decreaseLiquidity",
                [(token_id, liquidity, mins[0], mins[1], deadline)],
            ),
            _encode(
                chain,
                manager,
                POSITION_MANAGER_ABI,
                "collect",
                [(token_id, to_checksum_address(to), MAX_UINT128, MAX_UINT128)],
            ),
            _encode(chain, manager, POSITION_MANAGER_ABI, "burn", [token_id]),
        ]
    return _encode(chain, manager, POSITION_MANAGER_ABI, "multicall", [calls])


def swap_calldata(
    chain: ChainPort,
    router: str,
    tokens: tuple[str, str],
    fee: int,
    amount_in: int,
    min_out: int,
    to: str,
    deadline: int,
) -> bytes:
    return _encode(
        chain,
        router,
        SWAP_ROUTER_ABI,
        "exactInputSingle",
        [
            (
                to_checksum_address(tokens[0]),
                to_checksum_address(tokens[1]),
                fee,
                to_checksum_address(to),
                deadline,
                amount_in,
                min_out,
                0,
            )
        ],
    )
