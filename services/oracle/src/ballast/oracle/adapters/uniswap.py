"""A Uniswap V2 pair as a price source (TWAP) and as a trade source (Swap events).

TWAP: REFERENCE.md "Uniswap V2"; the math is ballast.oracle.domain.twap. Each read pins block
`head - min_confirmations`, so a price is never taken from the block it appeared in (bZx 2020),
and the window must be covered by samples before any TWAP is given (Compound DAI 2020).

Trades: Swap logs from blocks at least `confirmations` deep, each (tx hash, log index) once.
The hash of the last scanned blocks is remembered; if the chain replaced one (a reorg deeper
than the depth), scanning restarts after the newest block still canonical, and the reorg is
counted. Logs flagged `removed` are ignored.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from eth_abi.abi import decode
from web3 import AsyncWeb3

from ballast.common.messages import PriceObservation, Trade, utcnow
from ballast.oracle.adapters import abis
from ballast.oracle.adapters.base import SourceError
from ballast.oracle.adapters.evm import rpc
from ballast.oracle.domain.trades import SwapAmounts, confirmed_range, fork_point, swap_to_trade
from ballast.oracle.domain.twap import PairState, TwapWindow, average_price, current_cumulative

log = logging.getLogger("ballast.oracle.uniswap")

SWAP_TOPIC = "0x" + AsyncWeb3.keccak(
    text="Swap(address,uint256,uint256,uint256,uint256,address)").hex().removeprefix("0x")


@dataclass(frozen=True)
class PairInfo:
    address: str
    token0: str
    token1: str
    decimals0: int
    decimals1: int
    token0_is_base: bool


class UniswapV2Pair:
    """Reads of one pair. `load()` once (tokens and decimals), then TWAP reads and log scans."""

    def __init__(self, w3: AsyncWeb3[Any], address: str, base_token: str) -> None:
        self.w3 = w3
        self.address = w3.to_checksum_address(address)
        self.base_token = w3.to_checksum_address(base_token)
        self.contract = w3.eth.contract(address=self.address, abi=abis.UNISWAP_V2_PAIR)
        self.info: PairInfo | None = None

    async def load(self) -> PairInfo:
        if self.info is None:
            fn = self.contract.functions
            token0 = await rpc(fn.token0().call(), "token0")
            token1 = await rpc(fn.token1().call(), "token1")
            if self.base_token not in (token0, token1):
                raise SourceError("config", f"{self.base_token} is not a token of {self.address}")
            dec0, dec1 = await asyncio.gather(self._decimals(token0), self._decimals(token1))
            self.info = PairInfo(self.address, token0, token1, dec0, dec1,
                                 token0 == self.base_token)
        return self.info

    async def _decimals(self, token: str) -> int:
        erc20 = self.w3.eth.contract(address=self.w3.to_checksum_address(token), abi=abis.ERC20)
        return int(await rpc(erc20.functions.decimals().call(), "decimals"))

    async def state(self, block: int) -> tuple[PairState, int]:
        """Cumulatives and reserves at `block`, and that block's timestamp."""
        fn = self.contract.functions
        reserves, c0, c1, header = await asyncio.gather(
            rpc(fn.getReserves().call(block_identifier=block), "getReserves"),
            rpc(fn.price0CumulativeLast().call(block_identifier=block), "price0CumulativeLast"),
            rpc(fn.price1CumulativeLast().call(block_identifier=block), "price1CumulativeLast"),
            get_block(self.w3, block),
        )
        r0, r1, last = reserves
        return PairState(int(c0), int(c1), int(r0), int(r1), int(last)), int(header["timestamp"])


class UniswapTwapFeed:
    """TWAP over `window_seconds` as a PriceObservation (polled).

    With `bootstrap`, the first read also samples the pair at the newest block at least one
    window older (found by binary search on block timestamps), so a restarted oracle has a TWAP
    at once instead of after a whole window of sampling. That needs the node to serve state that
    old (an archive node for long windows); if it cannot, the feed warms up as usual.
    """

    def __init__(self, pair: UniswapV2Pair, symbol: str, *, window_seconds: int,
                 min_confirmations: int = 1, source: str = "dex_twap",
                 on_head: Callable[[str, str, int], None] | None = None,
                 bootstrap: bool = True) -> None:
        self.pair = pair
        self.symbol, self.source = symbol, source
        self.window = TwapWindow(window_seconds)
        self.min_confirmations = min_confirmations
        self.on_head = on_head
        self._bootstrap = bootstrap

    async def read(self) -> PriceObservation:
        info = await self.pair.load()
        head = await rpc(self.pair.w3.eth.block_number, "eth_blockNumber")
        block = max(head - self.min_confirmations, 0)
        state, ts = await self.pair.state(block)
        point = current_cumulative(state, ts)
        if self._bootstrap:
            self._bootstrap = False
            await self._sample_one_window_back(block, ts)
        self.window.add(ts, point)
        if self.on_head is not None:
            self.on_head(self.source, self.symbol, head)
        start = self.window.start_for(ts)
        if start is None:
            raise SourceError("warmup", f"TWAP window of {self.window.window}s not covered yet",
                              backoff=False)
        price = average_price(start, point, decimals0=info.decimals0, decimals1=info.decimals1,
                              token0_is_base=info.token0_is_base)
        if price is None or price <= 0:
            raise SourceError("invalid", f"no TWAP ({price})")
        return PriceObservation(
            source=self.source, symbol=self.symbol, price=price,
            published_at=datetime.fromtimestamp(ts, UTC), observed_at=utcnow(),
            block_number=block, feed_id=info.address,
        )

    async def _sample_one_window_back(self, block: int, ts: int) -> None:
        target = ts - self.window.window
        lo, hi, found = 0, block, None
        try:
            while lo <= hi:  # newest block with timestamp <= target
                mid = (lo + hi) // 2
                if int((await get_block(self.pair.w3, mid))["timestamp"]) <= target:
                    found, lo = mid, mid + 1
                else:
                    hi = mid - 1
            if found is None:
                return
            state, old_ts = await self.pair.state(found)
        except SourceError as err:  # pruned state, or the pair did not exist yet
            log.info("TWAP bootstrap unavailable; warming up", extra={"error": str(err)})
            return
        self.window.add(old_ts, current_cumulative(state, old_ts))


class SwapScanner:
    """Confirmed Swap logs of one pair as Trades (see the module docstring)."""

    def __init__(self, pair: UniswapV2Pair, *, venue: str, pair_name: str, base_symbol: str,
                 quote_symbol: str, confirmations: int = 2, start_block: int | None = None,
                 chunk: int = 2000, remember: int = 64,
                 on_reorg: Callable[[int], None] | None = None) -> None:
        self.pair = pair
        self.venue, self.pair_name = venue, pair_name
        self.base_symbol, self.quote_symbol = base_symbol, quote_symbol
        self.confirmations, self.chunk = confirmations, chunk
        self.scanned_to: int | None = None if start_block is None else start_block - 1
        self._remembered: deque[tuple[int, str]] = deque(maxlen=remember)
        self._seen: set[tuple[str, int]] = set()
        self._seen_order: deque[tuple[str, int]] = deque()
        self.on_reorg = on_reorg

    async def poll(self) -> list[Trade]:
        info = await self.pair.load()
        w3 = self.pair.w3
        head = await rpc(w3.eth.block_number, "eth_blockNumber")
        if self.scanned_to is None:
            self.scanned_to = head - self.confirmations
        await self._check_reorg()
        span = confirmed_range(self.scanned_to, head, self.confirmations)
        if span is None:
            return []
        trades: list[Trade] = []
        headers: dict[int, Any] = {}
        for lo in range(span[0], span[1] + 1, self.chunk):
            hi = min(lo + self.chunk - 1, span[1])
            query: Any = {"address": info.address, "fromBlock": lo, "toBlock": hi,
                          "topics": [SWAP_TOPIC]}
            logs = await rpc(w3.eth.get_logs(query), "eth_getLogs")
            for log in sorted(logs, key=lambda x: (x["blockNumber"], x["logIndex"])):
                trade = await self._trade(info, log, headers)
                if trade is not None:
                    trades.append(trade)
            top = headers.get(hi) or await get_block(w3, hi)
            self._remembered.append((hi, _hex(top["hash"])))
            self.scanned_to = hi
        return trades

    async def _trade(self, info: PairInfo, log: Any, headers: dict[int, Any]) -> Trade | None:
        if log.get("removed"):
            return None
        key = (_hex(log["transactionHash"]), int(log["logIndex"]))
        if key in self._seen:
            return None
        try:
            a0in, a1in, a0out, a1out = decode(["uint256"] * 4, bytes(log["data"]))
        except Exception as err:  # noqa: BLE001 - a malformed log must not stop the scan
            raise SourceError("malformed", f"Swap data: {err}") from None
        figures = swap_to_trade(SwapAmounts(a0in, a1in, a0out, a1out), decimals0=info.decimals0,
                                decimals1=info.decimals1, token0_is_base=info.token0_is_base)
        self._remember_seen(key)
        if figures is None:
            return None
        number = int(log["blockNumber"])
        if number not in headers:
            headers[number] = await get_block(self.pair.w3, number)
        return Trade(
            venue=self.venue, pair=self.pair_name, base_symbol=self.base_symbol,
            quote_symbol=self.quote_symbol, side=figures.side, price=figures.price,
            base_volume=figures.base_volume, quote_volume=figures.quote_volume,
            base_amount_raw=figures.base_raw, quote_amount_raw=figures.quote_raw,
            tx_hash=key[0], log_index=key[1], block_number=number,
            block_hash=_hex(log["blockHash"]),
            timestamp=datetime.fromtimestamp(int(headers[number]["timestamp"]), UTC),
        )

    def _remember_seen(self, key: tuple[str, int], limit: int = 100_000) -> None:
        self._seen.add(key)
        self._seen_order.append(key)
        if len(self._seen_order) > limit:
            self._seen.discard(self._seen_order.popleft())

    async def _check_reorg(self) -> None:
        if not self._remembered:
            return
        w3 = self.pair.w3
        number, known = self._remembered[-1]
        current = await get_block(w3, number)
        if _hex(current["hash"]) == known:
            return
        canonical: dict[int, str] = {}
        for n, _ in self._remembered:
            block = await get_block(w3, n)
            canonical[n] = _hex(block["hash"])
        point = fork_point(list(self._remembered), canonical)
        oldest = self._remembered[0][0]
        self.scanned_to = point if point is not None else max(oldest - self.chunk, 0)
        while self._remembered and self._remembered[-1][0] > self.scanned_to:
            self._remembered.pop()
        if self.on_reorg is not None:
            self.on_reorg(self.scanned_to)


async def get_block(w3: AsyncWeb3[Any], number: int) -> Any:
    """A block header (hash, timestamp) as a plain mapping."""
    return await rpc(w3.eth.get_block(number), "eth_getBlockByNumber")


def _hex(value: Any) -> str:
    text = value.hex() if isinstance(value, bytes | bytearray) else str(value)
    return text if text.startswith("0x") else "0x" + text
