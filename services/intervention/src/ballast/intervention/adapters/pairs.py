"""Uniswap V2 liquidity on the chain: pair reads, router add/remove calldata, what a
transaction moved (REFERENCE.md "Uniswap V2"; UniswapV2Router02 `addLiquidity` /
`removeLiquidity`, which revert with INSUFFICIENT_A_AMOUNT / INSUFFICIENT_B_AMOUNT or EXPIRED
when a min or the deadline is not met)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address
from hexbytes import HexBytes

from ballast.intervention.adapters.chain import Chain

_U = {"type": "uint256"}
ROUTER_LIQUIDITY_ABI: list[dict[str, Any]] = [
    {
        "name": "addLiquidity",
        "type": "function",
        "stateMutability": "nonpayable",
        "inputs": [
            {"name": "tokenA", "type": "address"}, {"name": "tokenB", "type": "address"},
            {"name": "amountADesired", **_U}, {"name": "amountBDesired", **_U},
            {"name": "amountAMin", **_U}, {"name": "amountBMin", **_U},
            {"name": "to", "type": "address"}, {"name": "deadline", **_U},
        ],
        "outputs": [{"name": "amountA", **_U}, {"name": "amountB", **_U},
                    {"name": "liquidity", **_U}],
    },
    {
        "name": "removeLiquidity",
        "type": "function",
        "stateMutability": "nonpayable",
        "inputs": [
            {"name": "tokenA", "type": "address"}, {"name": "tokenB", "type": "address"},
            {"name": "liquidity", **_U}, {"name": "amountAMin", **_U},
            {"name": "amountBMin", **_U}, {"name": "to", "type": "address"},
            {"name": "deadline", **_U},
        ],
        "outputs": [{"name": "amountA", **_U}, {"name": "amountB", **_U}],
    },
]
PAIR_ABI: list[dict[str, Any]] = [
    {
        "name": "getReserves",
        "type": "function",
        "stateMutability": "view",
        "inputs": [],
        "outputs": [{"name": "reserve0", "type": "uint112"},
                    {"name": "reserve1", "type": "uint112"},
                    {"name": "blockTimestampLast", "type": "uint32"}],
    },
    {"name": "totalSupply", "type": "function", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", **_U}]},
]


@dataclass(frozen=True)
class PairState:
    reserve0: int
    reserve1: int
    supply: int


async def pair_state(chain: Chain, pair: str) -> PairState:
    contract = chain.w3.eth.contract(address=to_checksum_address(pair), abi=PAIR_ABI)
    r0, r1, _ = await contract.functions.getReserves().call()
    supply = await contract.functions.totalSupply().call()
    return PairState(int(r0), int(r1), int(supply))


def add_liquidity_calldata(
    chain: Chain, router: str, tokens: tuple[str, str], desired: tuple[int, int],
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
    chain: Chain, router: str, tokens: tuple[str, str], liquidity: int, mins: tuple[int, int],
    to: str, deadline: int,
) -> bytes:
    contract = chain.w3.eth.contract(address=to_checksum_address(router),
                                     abi=ROUTER_LIQUIDITY_ABI)
    data = contract.encode_abi("removeLiquidity", [
        to_checksum_address(tokens[0]), to_checksum_address(tokens[1]), liquidity, mins[0],
        mins[1], to_checksum_address(to), deadline,
    ])
    return bytes(HexBytes(data))
