"""Every key and value of the StrategyParameters contract (contracts/src/governance) at one block:
what a service reads at start before following `governance.parameters` (needs the `evm` extra).
Keys are returned as the contract has them (32 bytes); ballast.strategy.onchain names them."""

from __future__ import annotations

from typing import Any

from eth_utils.address import to_checksum_address
from web3 import AsyncWeb3

from ballast.common.evm.abi import function

GET_ALL = function("getAll", "", "bytes32[] keys, uint256[] values")


async def read_parameters(w3: AsyncWeb3[Any], address: str) -> tuple[int, dict[bytes, int]]:
    """(the block read at, {key: value}); the block is the latest when the call is made."""
    block = await w3.eth.block_number
    contract = w3.eth.contract(address=to_checksum_address(address), abi=[GET_ALL])
    keys, values = await contract.functions.getAll().call(block_identifier=block)
    return block, {bytes(k): int(v) for k, v in zip(keys, values, strict=True)}
