"""The oracle service's source list for the devnet, derived from a deployment.

The oracle reads its per-symbol sources from JSON (`BALLAST_ORACLE_CONFIG_FILE`, see
ballast.oracle.settings); this writes that JSON for the contracts `ballast deploy devnet` put on
chain, so the oracle watches exactly what the market scenarios move:

    PSTR   chainlink (TestAggregator), pyth_onchain (MockPyth), uniswap_v2 PSTR/USDC
    CORE   chainlink, pyth_onchain, uniswap_v2 WCORE/USDC
    PUMP   chainlink, pyth_onchain   (its pool is against WCORE, not USD)
    BTC    chainlink, pyth_onchain   (no BTC pool)
    USDC   chainlink, pyth_onchain   (the treasury values its USDC by consensus too)

plus, for every symbol, when the local off-chain server runs (`offchain_url`: `ballast up` and
the e2e harness start it, ballast.cli.offchain): pyth (Pyth Hermes, SSE stream) and switchboard
(Switchboard Crossbar). The chainlink source is each symbol's anchor (the oracle's default): the
correlated-move defence holds a consensus that runs away from it (the `pump` scenario).

The pools quote in USDC: their trades are published as `trades.devnet.PSTR-USDC` (quote USDC),
the pair the treasury's VWAP reads, and their TWAP stands for a USD price at USDC's peg.

Staleness fits the real-time scenarios (a step every 5 s): aggregators are "heartbeat" 60 s and
MockPyth prices may be 60 s old; a feed the stale-feed scenario freezes is stale a minute later.
The DEX TWAP window is 60 s, so the pools count a minute after start.

`ballast up` passes its own environment to every service, so
`BALLAST_ORACLE_CONFIG_FILE=<data dir>/oracle-devnet.json ballast up` already wires it.
`deploy()` writes it beside deployment.json as oracle-devnet.json on every run (the RPC URL can
change between runs of `ballast up` even when the chain's contracts do not).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ballast.common.deployment import Deployment

HEARTBEAT_SECONDS = 60
PYTH_MAX_AGE_SECONDS = 60
TWAP_WINDOW_SECONDS = 60
DEX_PAIRS = {"PSTR": ("PSTR-USDC", "PSTR"), "CORE": ("WCORE-USDC", "WCORE")}


def switchboard_feed_hash(symbol: str) -> str:
    """The devnet's Switchboard feed hash for `symbol`/USD (0x + 32 bytes, stable): the local
    Crossbar (ballast.cli.offchain) answers for it."""
    return "0x" + hashlib.sha256(f"ballast-devnet switchboard {symbol}/USD".encode()).hexdigest()


def oracle_config(
    deployment: Deployment, rpc_url: str, offchain_url: str | None = None
) -> dict[str, Any]:
    """`{"symbols": {...}}` in the oracle's settings format."""
    symbols: dict[str, Any] = {}
    for symbol, feed in deployment.feeds.items():
        sources: list[dict[str, Any]] = [
            {"kind": "chainlink", "rpc_url": rpc_url, "address": feed.aggregator,
             "heartbeat_seconds": HEARTBEAT_SECONDS},
            {"kind": "pyth_onchain", "rpc_url": rpc_url, "address": deployment.pyth,
             "feed_id": feed.pyth_id, "max_age_seconds": PYTH_MAX_AGE_SECONDS},
        ]
        if symbol in DEX_PAIRS:
            pool_name, base = DEX_PAIRS[symbol]
            sources.append({
                "kind": "uniswap_v2", "rpc_url": rpc_url,
                "pair": deployment.pools[pool_name].pair,
                "base_token": deployment.tokens[base].address,
                "venue": "devnet", "pair_name": pool_name, "quote_symbol": "USDC",
                "window_seconds": TWAP_WINDOW_SECONDS,
            })
        if offchain_url:
            sources += [
                {"kind": "pyth_hermes", "endpoint": offchain_url, "feed_id": feed.pyth_id,
                 "stream": True, "max_age_seconds": PYTH_MAX_AGE_SECONDS},
                {"kind": "switchboard_crossbar", "endpoint": offchain_url,
                 "feed_hash": switchboard_feed_hash(symbol)},
            ]
        symbols[symbol] = {"min_sources": 2, "sources": sources}
    return {"symbols": symbols}


def write_oracle_config(
    deployment: Deployment, rpc_url: str, path: Path, offchain_url: str | None = None
) -> Path:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(oracle_config(deployment, rpc_url, offchain_url), indent=2) + "\n")
    tmp.replace(path)
    return path
