"""eth_getLogs against a node that caps the range: halved until it answers."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ballast.contract_monitor.adapters.logs import LogFetcher
from ballast.contract_monitor.adapters.rpc import RpcError


class CappedNode:
    """Answers eth_getLogs for at most `cap` blocks; one fake log per block."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.asked: list[tuple[int, int]] = []

    async def batch(self, calls: Sequence[tuple[str, Sequence[Any]]]) -> list[Any]:
        (_, (query,)), (_, (block_tag, _)) = calls
        low, high = int(query["fromBlock"], 16), int(query["toBlock"], 16)
        self.asked.append((low, high))
        if high - low + 1 > self.cap:
            raise RpcError("eth_getLogs", {"code": -32005, "message": "query returned too many"})
        return [[{"block": n} for n in range(low, high + 1)], {"hash": f"h{int(block_tag, 16)}"}]


async def test_fetch__node_caps_range_at_3_blocks__halves_and_returns_every_log_in_order() -> None:
    node = CappedNode(cap=3)
    fetcher = LogFetcher(node, ("0x" + "11" * 20,))  # type: ignore[arg-type]
    logs, header = await fetcher.fetch(10, 19)
    assert [entry["block"] for entry in logs] == list(range(10, 20))
    assert header == {"hash": "h19"}
    answered = [(lo, h) for lo, h in node.asked if h - lo + 1 <= 3]
    assert answered == [(10, 12), (13, 14), (15, 17), (18, 19)]
