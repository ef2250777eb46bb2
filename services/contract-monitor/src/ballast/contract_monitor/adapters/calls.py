"""Many view calls at one block in one round trip: Multicall3.aggregate3 where it is deployed
(canonical address on Core and on the devnet), else one JSON-RPC batch of eth_calls."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ballast.common.evm.multicall import MULTICALL3, Call3, Multicall3
from ballast.contract_monitor.adapters import abi
from ballast.contract_monitor.adapters.rpc import Rpc, RpcError


@dataclass(frozen=True)
class Call:
    target: str
    fn: abi.Fn
    args: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Result:
    ok: bool
    value: tuple[Any, ...] = ()
    revert: bytes = b""


class _RpcNode:
    """Multicall3's node port over the raw JSON-RPC client (code asked at the latest block)."""

    def __init__(self, rpc: Rpc) -> None:
        self.rpc = rpc

    async def eth_call(self, to: str, data: bytes, block: int) -> bytes:
        return await self.rpc.eth_call(to, data, block)

    async def has_code(self, address: str, block: int) -> bool:
        return await self.rpc.code_size(address) > 0


class Caller:
    def __init__(self, rpc: Rpc, multicall: str | None = MULTICALL3) -> None:
        self.rpc = rpc
        self._mc = Multicall3(_RpcNode(rpc), multicall)

    @property
    def multicall(self) -> str | None:
        """Multicall3's address, None once it was found to have no code."""
        return None if self._mc.deployed is False else self._mc.address

    async def call(self, calls: Sequence[Call], block: int) -> list[Result]:
        if await self._mc.available(block):
            replies = await self._mc.aggregate3(
                [Call3(c.target, c.fn.encode(*c.args)) for c in calls], block)
            return [_result(c, r.ok, r.data) for c, r in zip(calls, replies, strict=True)]
        return await self._batch(calls, block)

    async def _batch(self, calls: Sequence[Call], block: int) -> list[Result]:
        out: list[Result] = []
        replies: list[Any]
        try:
            replies = await self.rpc.batch([
                ("eth_call", [{"to": c.target, "data": "0x" + c.fn.encode(*c.args).hex()},
                              hex(block)])
                for c in calls
            ])
        except RpcError:  # one reverted: ask one by one to know which
            replies = []
            for c in calls:
                try:
                    replies.append(await self.rpc.call("eth_call", [
                        {"to": c.target, "data": "0x" + c.fn.encode(*c.args).hex()}, hex(block)]))
                except RpcError as err:
                    replies.append(err)
        for c, reply in zip(calls, replies, strict=True):
            if isinstance(reply, RpcError):
                out.append(Result(False, revert=_revert_data(reply)))
            else:
                out.append(_result(c, True, bytes.fromhex(str(reply)[2:])))
        return out


def _result(call: Call, ok: bool, data: bytes) -> Result:
    if not ok:
        return Result(False, revert=data)
    try:
        return Result(True, call.fn.decode(data))
    except Exception:  # noqa: BLE001 - empty or short return data: no code there
        return Result(False, revert=data)


def _revert_data(err: RpcError) -> bytes:
    data = err.error.get("data") if isinstance(err.error, dict) else None
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    return b""
