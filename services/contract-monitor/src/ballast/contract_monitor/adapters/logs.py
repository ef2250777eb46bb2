"""The logs of the watched contracts, range by range, with each range's last block hash."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from ballast.contract_monitor.adapters.rpc import Rpc, RpcError

log = logging.getLogger("ballast.contract_monitor")


class LogFetcher:
    def __init__(self, rpc: Rpc, addresses: Sequence[str]) -> None:
        self.rpc = rpc
        self.addresses = list(addresses)

    async def fetch(self, low: int, high: int) -> tuple[list[Any], dict[str, Any] | None]:
        """One round trip: the range's logs and its last block's hash. A node that refuses the
        range (public RPCs cap blocks or results per eth_getLogs) gets two halves instead."""
        try:
            raw, header = await self.rpc.batch([
                ("eth_getLogs", [{"address": self.addresses, "fromBlock": hex(low),
                                  "toBlock": hex(high)}]),
                ("eth_getBlockByNumber", [hex(high), False]),
            ])
        except RpcError as err:
            if high <= low or err.method != "eth_getLogs":
                raise
            mid = (low + high) // 2
            log.info("eth_getLogs range refused, halving",
                     extra={"from": low, "to": high, "error": str(err)[:200]})
            first, _ = await self.fetch(low, mid)
            second, header = await self.fetch(mid + 1, high)
            return first + second, header
        return raw, header
