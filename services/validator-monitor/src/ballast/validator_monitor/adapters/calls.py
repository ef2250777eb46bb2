"""Many view calls at one block: one Multicall3 `aggregate3` per chunk where the chain has it
(Core mainnet and the devnet do, at the canonical 0xcA11...CA11), else one eth_call each.

A mainnet poll reads about eight views per candidate; batching turns some 250 requests every
poll into three, which matters on a public RPC. A call marked optional may fail (None); any
other failure raises, and the poll is retried whole.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from eth_utils.abi import get_abi_output_types
from web3 import AsyncWeb3
from web3.contract import AsyncContract
from web3.exceptions import BadFunctionCallOutput, ContractLogicError

from ballast.common.evm.multicall import MULTICALL3, Call3, Multicall3, Web3Node

__all__ = ["MULTICALL3", "Call", "CallFailedError", "Caller"]


class CallFailedError(RuntimeError):
    pass


@dataclass(frozen=True)
class Call:
    contract: AsyncContract
    fn: str
    args: Sequence[Any] = field(default_factory=tuple)
    optional: bool = False

    def describe(self) -> str:
        return f"{self.fn}({', '.join(map(str, self.args))}) at {self.contract.address}"


def _outputs(call: Call) -> list[str]:
    for item in call.contract.abi:
        if item.get("type") == "function" and item.get("name") == call.fn:
            return list(get_abi_output_types(item))  # type: ignore[arg-type]
    raise KeyError(call.fn)


class Caller:
    def __init__(
        self,
        w3: AsyncWeb3[Any],
        multicall: str | None = MULTICALL3,
        *,
        concurrency: int = 16,
        chunk: int = 400,
    ) -> None:
        self.w3 = w3
        self.multicall = Multicall3(Web3Node(w3), multicall, chunk=chunk)
        self._limit = asyncio.Semaphore(concurrency)

    @property
    def batching(self) -> bool | None:
        """Whether reads go through Multicall3 (None until the first read found out)."""
        return self.multicall.deployed

    async def run(self, calls: Sequence[Call], block: int) -> list[Any]:
        """Results in order; a tuple for several outputs, the value for one, None for a failed
        optional call."""
        if not calls:
            return []
        if await self.multicall.available(block):
            return await self._aggregate(calls, block)
        return list(await asyncio.gather(*(self._single(c, block) for c in calls)))

    async def _aggregate(self, calls: Sequence[Call], block: int) -> list[Any]:
        packed = [Call3(c.contract.address, bytes.fromhex(
            c.contract.encode_abi(c.fn, args=list(c.args))[2:]), c.optional) for c in calls]
        async with self._limit:
            results = await self.multicall.aggregate3(packed, block)
        out: list[Any] = []
        for call, (ok, data) in zip(calls, ((r.ok, r.data) for r in results), strict=True):
            if not ok or not data:
                if not call.optional:
                    raise CallFailedError(f"{call.describe()} failed at block {block}")
                out.append(None)
                continue
            values = self.w3.codec.decode(_outputs(call), bytes(data))
            out.append(values[0] if len(values) == 1 else tuple(values))
        return out

    async def _single(self, call: Call, block: int) -> Any:
        fn = call.contract.functions[call.fn](*call.args)
        try:
            async with self._limit:
                return await fn.call(block_identifier=block)
        except (ContractLogicError, BadFunctionCallOutput):
            if call.optional:
                return None
            raise
