"""A small JSON-RPC client over aiohttp: single calls and batches, answers left as raw JSON.

Why not web3's provider: the hot path (eth_getLogs over thousands of logs) wants the raw reply,
decoded by our own topic0 table (abi.py), and a read of the whole suite wants one round trip
(a Multicall3 aggregate3, or a JSON-RPC batch where Multicall3 is not deployed). web3's result
formatters and per-contract event objects cost about 4x the raw rate here (REFERENCE.md
"Measured": 14,200 vs 3,200 events/s).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import aiohttp


class RpcError(RuntimeError):
    """The node answered with a JSON-RPC error (or not at all)."""

    def __init__(self, method: str, error: Any) -> None:
        super().__init__(f"{method}: {error}")
        self.method = method
        self.error = error


class Rpc:
    def __init__(self, url: str, timeout: float = 30.0) -> None:
        self.url = url
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None
        self._ids = itertools.count(1)

    def _http(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(self, method: str, params: Sequence[Any] = ()) -> Any:
        body = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": list(params)}
        async with self._http().post(self.url, json=body) as resp:
            reply = await resp.json(content_type=None)
        if "error" in reply:
            raise RpcError(method, reply["error"])
        return reply.get("result")

    async def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        """Several calls in one HTTP request; results in call order (RpcError on any error)."""
        if not calls:
            return []
        first = next(self._ids)
        body = [
            {"jsonrpc": "2.0", "id": first + i, "method": m, "params": list(p)}
            for i, (m, p) in enumerate(calls)
        ]
        for _ in range(len(calls) - 1):
            next(self._ids)
        async with self._http().post(self.url, json=body) as resp:
            replies = await resp.json(content_type=None)
        if isinstance(replies, dict):  # a node that refuses batches answers with one error
            raise RpcError("batch", replies.get("error", replies))
        by_id = {int(r["id"]): r for r in replies}
        out: list[Any] = []
        for i, (method, _) in enumerate(calls):
            reply = by_id.get(first + i)
            if reply is None or "error" in reply:
                raise RpcError(method, None if reply is None else reply["error"])
            out.append(reply.get("result"))
        return out

    # ------------------------------------------------------------------ helpers
    async def block_number(self) -> int:
        return int(await self.call("eth_blockNumber"), 16)

    async def chain_id(self) -> int:
        return int(await self.call("eth_chainId"), 16)

    async def block(self, number: int | str) -> dict[str, Any] | None:
        tag = hex(number) if isinstance(number, int) else number
        return await self.call("eth_getBlockByNumber", [tag, False])

    async def block_hashes(self, numbers: Sequence[int]) -> dict[int, str | None]:
        """Hash of each block number now (None where the chain is shorter)."""
        blocks = await self.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        return {n: (b["hash"] if b else None) for n, b in zip(numbers, blocks, strict=True)}

    async def get_logs(self, addresses: Sequence[str], from_block: int, to_block: int) -> list[Any]:
        return await self.call(
            "eth_getLogs",
            [{"address": list(addresses), "fromBlock": hex(from_block), "toBlock": hex(to_block)}],
        )

    async def eth_call(self, to: str, data: bytes, block: int | str = "latest") -> bytes:
        tag = hex(block) if isinstance(block, int) else block
        result = await self.call("eth_call", [{"to": to, "data": "0x" + data.hex()}, tag])
        return bytes.fromhex(result[2:])

    async def code_size(self, address: str) -> int:
        code = await self.call("eth_getCode", [address, "latest"])
        return max(0, (len(code) - 2) // 2)
