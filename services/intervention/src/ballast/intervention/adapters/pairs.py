"""Uniswap V2 liquidity on the chain: pair reads, router add/remove calldata, what a
transaction moved (REFERENCE.md "Uniswap V2"; UniswapV2Router02 `addLiquidity` /
`removeLiquidity`, which revert with INSUFFICIENT_A_AMOUNT / INSUFFICIENT_B_AMOUNT or EXPIRED
when a min or the deadline is not met)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address
from hexbytes import HexBytes

from ballast.common.evm.abi import function
from ballast.intervention.ports import ChainPort

ROUTER_LIQUIDITY_ABI: list[dict[str, Any]] = [
    function("addLiquidity",
             "address tokenA, address tokenB, uint256 amountADesired, uint256 amountBDesired, "
             "uint256 amountAMin, uint256 amountBMin, address to, uint256 deadline",
             "uint256 amountA, uint256 amountB, uint256 liquidity", mutable=True),
    function("removeLiquidity",
             "address tokenA, address tokenB, uint256 liquidity, uint256 amountAMin, "
             "uint256 amountBMin, address to, uint256 deadline",
             "uint256 amountA, uint256 amountB", mutable=True),
    function("swapExactTokensForTokensSupportingFeeOnTransferTokens",
             "uint256 amountIn, uint256 amountOutMin, address[] path, address to, "
             "uint256 deadline", mutable=True),
]
PAIR_ABI: list[dict[str, Any]] = [
    function("getReserves", "",
             "uint112 reserve0, uint112 reserve1, uint32 blockTimestampLast"),
    function("totalSupply", "", "uint256"),
]


@dataclass(frozen=True)
class PairState:
    reserve0: int
    reserve1: int
    supply: int


async def pair_state(chain: ChainPort, pair: str) -> PairState:
    contract = chain.w3.eth.contract(address=to_checksum_address(pair), abi=PAIR_ABI)
    r0, r1, _ = await contract.functions.getReserves().call()
    supply = await contract.functions.totalSupply().call()
    return PairState(int(r0), int(r1), int(supply))


def add_liquidity_calldata(
    chain: ChainPort, router: str, tokens: tuple[str, str], desired: tuple[int, int],
    mins: tuple[int, int], to: str, deadline: int,
) -> bytes:
    contract = chain.w3.eth.contract(address=to_checksum_address(router),
                                     abi=ROUTER_LIQUIDITY_ABI)
    data = contract.encode_abi("addLiquidity", [
        to_checksum_address(tokens[0]), to_checksum_address(tokens[1]), desired[0], desired[1],
        mins[0], mins[1], to_checksum_address(to), deadline,
    ])
    return bytes(HexBytes(data))


def remove_liquidity_calldata(
    chain: ChainPort, router: str, tokens: tuple[str, str], liquidity: int, mins: tuple[int, int],
    to: str, deadline: int,
) -> bytes:
    contract = chain.w3.eth.contract(address=to_checksum_address(router),
                                     abi=ROUTER_LIQUIDITY_ABI)
    data = contract.encode_abi("removeLiquidity", [
        to_checksum_address(tokens[0]), to_checksum_address(tokens[1]), liquidity, mins[0],
        mins[1], to_checksum_address(to), deadline,
    ])
    return bytes(HexBytes(data))


def balancing_swap_calldata(
    chain: ChainPort, router: str, amount_in: int, min_out: int, path: list[str], to: str,
    deadline: int,
) -> bytes:
    """A liquidity leg's balancing swap: the router's fee-on-transfer swap function (the same
    amounts as `swapExactTokensForTokens` for plain tokens, the same INSUFFICIENT_OUTPUT_AMOUNT
    and EXPIRED reverts), so the custody role tells it from an intervention's swap by its
    selector (ballast.devnet.bot_role)."""
    contract = chain.w3.eth.contract(address=to_checksum_address(router),
                                     abi=ROUTER_LIQUIDITY_ABI)
    data = contract.encode_abi("swapExactTokensForTokensSupportingFeeOnTransferTokens", [
        amount_in, min_out, [to_checksum_address(p) for p in path], to_checksum_address(to),
        deadline,
    ])
    return bytes(HexBytes(data))
