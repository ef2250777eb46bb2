"""Every key and value of the StrategyParameters contract (contracts/src/governance) at one block:
what a service reads at start before following `governance.parameters` (needs the `evm` extra).
Keys are returned as the contract has them (32 bytes); ballast.strategy.onchain names them."""

from __future__ import annotations

from typing import Any

from eth_utils.address import to_checksum_address
from web3 import AsyncWeb3

from ballast.common.evm.abi import function
from ballast.common.evm.provider import connect

GET_ALL = function("getAll", "", "bytes32[] keys, uint256[] values")


async def read_parameters(w3: AsyncWeb3[Any], address: str) -> tuple[int, dict[bytes, int]]:
    """(the block read at, {key: value}); the block is the latest when the call is made."""
    block = await w3.eth.block_number
    contract = w3.eth.contract(address=to_checksum_address(address), abi=[GET_ALL])
    keys, values = await contract.functions.getAll().call(block_identifier=block)
    return block, {bytes(k): int(v) for k, v in zip(keys, values, strict=True)}


async def read_parameters_at(
    rpc_url: str, address: str, *, request_seconds: float | None = None, retry: bool = True
) -> tuple[int, dict[bytes, int]]:
    """`read_parameters` over a connection of its own to `rpc_url`, closed after (a reader that
    keeps no chain client: the treasury at start, `ballast backtest --chain`)."""
    w3 = connect(rpc_url, request_seconds, retry=retry)
    try:
        return await read_parameters(w3, address)
    finally:
        await w3.provider.disconnect()  # pyright: ignore[reportUnknownMemberType]
