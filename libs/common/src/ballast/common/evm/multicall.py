"""Many view calls at one block in one eth_call: Multicall3 `aggregate3`, over any node client.

Multicall3 sits at the canonical address 0xcA11...CA11 on Core, on most EVM chains and on the
devnet. `Multicall3` asks once whether there is code there (`available`); where there is none
the caller reads another way (a JSON-RPC batch, one eth_call each): that choice is the caller's,
since it knows what its calls mean. The node is a port (`EthNode`): the contract monitor gives
its raw JSON-RPC client, the validator monitor an AsyncWeb3 (`Web3Node`). Calls go in chunks of
`chunk` (a node limits the gas and size of one eth_call).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from eth_abi.abi import decode, encode

log = logging.getLogger("ballast.common.evm.multicall")

MULTICALL3 = "0xcA11bde05977b3631167028862bE2a173976CA11"
AGGREGATE3 = bytes.fromhex("82ad56cb")
"""Selector of aggregate3((address,bool,bytes)[]) -> (bool,bytes)[]."""


class EthNode(Protocol):
    """What Multicall3 needs of a node."""

    async def eth_call(self, to: str, data: bytes, block: int) -> bytes: ...

    async def has_code(self, address: str, block: int) -> bool: ...


@dataclass(frozen=True)
class Call3:
    """One call of an aggregate3: target, calldata, and whether it may fail alone (else the
    whole aggregate3 reverts)."""

    target: str
    data: bytes
    allow_failure: bool = True


@dataclass(frozen=True)
class Reply:
    ok: bool
    data: bytes


def encode_aggregate3(calls: Sequence[Call3]) -> bytes:
    packed = [(c.target, c.allow_failure, c.data) for c in calls]
    return AGGREGATE3 + encode(["(address,bool,bytes)[]"], [packed])


def decode_aggregate3(data: bytes) -> list[Reply]:
    (results,) = decode(["(bool,bytes)[]"], data)
    return [Reply(bool(ok), bytes(ret)) for ok, ret in results]


class Multicall3:
    """One client of the Multicall3 contract at `address` (None: known absent)."""

    def __init__(
        self, node: EthNode, address: str | None = MULTICALL3, *, chunk: int = 400
    ) -> None:
        if chunk < 1:
            raise ValueError(f"chunk must be at least 1, not {chunk}")
        self.node = node
        self.address = address
        self.chunk = chunk
        self._deployed: bool | None = None if address else False

    @property
    def deployed(self) -> bool | None:
        """Whether the chain has Multicall3 at the address (None until `available` asked)."""
        return self._deployed

    async def available(self, block: int) -> bool:
        """Asks the node once whether there is code at the address; remembers the answer."""
        if self._deployed is None:
            address = self.address or ""
            self._deployed = await self.node.has_code(address, block)
            if not self._deployed:
                log.warning("no Multicall3 on this chain: reading without it",
                            extra={"address": address})
        return self._deployed

    async def aggregate3(self, calls: Sequence[Call3], block: int) -> list[Reply]:
        """One reply per call, in order (an eth_call per chunk). Raises what the node raises
        when a call that may not fail fails (the whole aggregate3 reverts)."""
        if self.address is None:
            raise RuntimeError("no Multicall3 address: check `available` first")
        out: list[Reply] = []
        for start in range(0, len(calls), self.chunk):
            part = calls[start:start + self.chunk]
            raw = await self.node.eth_call(self.address, encode_aggregate3(part), block)
            out += decode_aggregate3(raw)
        return out


class Web3Node:
    """EthNode over an AsyncWeb3 (eth_call and eth_getCode at the block)."""

    def __init__(self, w3: Any) -> None:
        self.w3 = w3

    async def eth_call(self, to: str, data: bytes, block: int) -> bytes:
        reply: bytes = await self.w3.eth.call(
            {"to": self.w3.to_checksum_address(to), "data": data}, block_identifier=block)
        return bytes(reply)

    async def has_code(self, address: str, block: int) -> bool:
        code: bytes = await self.w3.eth.get_code(
            self.w3.to_checksum_address(address), block_identifier=block)
        return len(code) > 0
