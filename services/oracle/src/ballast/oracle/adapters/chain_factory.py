"""On-chain sources (EVM): built lazily so HTTP-only deployments never import web3."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

from ballast.oracle.adapters.evm import (
    ChainlinkFeed,
    PythOnchainFeed,
    SwitchboardOnchainFeed,
    connect,
)
from ballast.oracle.adapters.repository import HistoryReader
from ballast.oracle.adapters.runner import run_polled, run_trade_scanner
from ballast.oracle.adapters.uniswap import SwapScanner, UniswapTwapFeed, UniswapV2Pair
from ballast.oracle.metrics import OracleMetrics
from ballast.oracle.settings import (
    ChainlinkSource,
    PythOnchainSource,
    SourceSettings,
    SwitchboardOnchainSource,
    UniswapV2Source,
)

log = logging.getLogger("ballast.oracle.sources")


def chain_job(symbol: str, source: SourceSettings, sink: Any, metrics: OracleMetrics,
              reader: HistoryReader) -> Coroutine[Any, Any, None] | None:
    """The task of one on-chain source (None for a kind this module does not handle)."""
    if isinstance(source, UniswapV2Source):
        return _uniswap(symbol, source, sink, metrics, reader)
    if not isinstance(source, ChainlinkSource | PythOnchainSource | SwitchboardOnchainSource):
        log.error("unknown source kind", extra={"symbol": symbol, "kind": source.kind})
        return None
    w3 = connect(source.rpc_url, source.timeout_seconds)
    if isinstance(source, ChainlinkSource):
        feed: Any = ChainlinkFeed(w3, source.address, symbol, source.label)
    elif isinstance(source, PythOnchainSource):
        feed = PythOnchainFeed(w3, source.address, source.feed_id, symbol, source.label)
    else:
        feed = SwitchboardOnchainFeed(w3, source.address, source.feed_id, symbol, source.label)
    return _closing(w3, run_polled(feed, sink, metrics, source.poll_seconds))


async def _closing(w3: Any, job: Coroutine[Any, Any, None]) -> None:
    """Run `job`; close the provider's HTTP session when it ends or is cancelled."""
    try:
        await job
    finally:
        await w3.provider.disconnect()


async def _uniswap(symbol: str, source: UniswapV2Source, sink: Any, metrics: OracleMetrics,
                   reader: HistoryReader) -> None:
    w3 = connect(source.rpc_url, source.timeout_seconds)
    pair = UniswapV2Pair(w3, source.pair, source.base_token)
    twap = UniswapTwapFeed(pair, symbol, window_seconds=source.window_seconds,
                           min_confirmations=source.min_confirmations, source=source.label,
                           on_head=sink.head, bootstrap=source.twap_bootstrap)
    pair_name = source.pair_name or f"{symbol}-{source.quote_symbol}"
    jobs = [run_polled(twap, sink, metrics, source.poll_seconds)]
    if source.trades:
        # resume after the last trade on record, so a restart neither skips nor repeats trades
        last = await reader.last_trade_block(source.venue, pair_name)
        scanner = SwapScanner(
            pair, venue=source.venue, pair_name=pair_name, base_symbol=symbol,
            quote_symbol=source.quote_symbol, confirmations=source.trade_confirmations,
            start_block=None if last is None else last + 1,
            on_reorg=lambda block: _reorg(metrics, source.venue, pair_name, block))
        jobs.append(run_trade_scanner(scanner, sink, metrics, source.poll_seconds,
                                      label=f"{source.label}_trades", symbol=symbol))
    try:
        async with asyncio.TaskGroup() as group:
            for job in jobs:
                group.create_task(job)
    finally:
        await w3.provider.disconnect()


def _reorg(metrics: OracleMetrics, venue: str, pair: str, block: int) -> None:
    metrics.reorgs.labels(venue, pair).inc()
    log.warning("reorg below the confirmation depth: rescanning",
                extra={"venue": venue, "pair": pair, "from_block": block + 1})
