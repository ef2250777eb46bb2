"""The whole oracle service against real NATS + Postgres and the local Hermes/Crossbar stand-ins:
consensus on the bus, a source going bad, history in Postgres, trades and minute bars."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import aiohttp
import pytest

from ballast.common import transport
from ballast.common.messages import (
    ConsensusStatus,
    SourceFlag,
    Trade,
    TradeSide,
)
from ballast.oracle.adapters.repository import HistoryReader
from ballast.oracle.main import OracleApp, build_app
from ballast.oracle.settings import OracleSettings
from ballast.testing.pg import connected
from ballast.testing.waiting import eventually

BTC = "e62df6c8b4a85fe1a67db44dc12de5db330f7ac66b72dc658afedf0f4a415b43"
SB = "4cd1cad962425681af07b9254b7d804de3ca3446fbfd1371bb258d2c75059812"


def settings(nats_url: str, prefix: str, db: str, symbols: dict[str, Any]) -> OracleSettings:
    return OracleSettings(
        nats_url=nats_url, bus_prefix=prefix, database_url=db, http_port=0,
        http_host="127.0.0.1", symbols=symbols, evaluate_seconds=0.05,
        consensus_heartbeat_seconds=0.5, db_flush_seconds=0.05,
        heartbeat_interval_seconds=5,
    )


@pytest.fixture
async def running(request: pytest.FixtureRequest) -> AsyncIterator[list[OracleApp]]:
    apps: list[OracleApp] = []
    yield apps
    for app in apps:
        await app.stop()


async def test_oracle__two_http_sources_then_one_fails__ok_then_degraded_and_recorded(
    nats_server: Any, bus_namespace: str, database_url: str, fake_sources: Any,
    bus_listener: Any, running: list[OracleApp],
) -> None:
    symbols = {"BTC": {"min_sources": 2, "max_price_deviation": "0.05", "sources": [
        {"kind": "pyth_hermes", "endpoint": fake_sources.url, "feed_id": BTC, "stream": True,
         "max_age_seconds": 1e9},
        {"kind": "switchboard_crossbar", "endpoint": fake_sources.url, "feed_hash": SB,
         "poll_seconds": 0.05, "timeout_seconds": 0.5},
    ]}}
    app = build_app(settings(nats_server.url, bus_namespace, database_url, symbols))
    running.append(app)
    await app.start()

    await eventually(lambda: any(c.status is ConsensusStatus.OK for c in bus_listener.consensus))
    ok = next(c for c in bus_listener.consensus if c.status is ConsensusStatus.OK)
    assert ok.sources_used == 2 and ok.price is not None
    assert Decimal("61405") <= ok.price <= Decimal("61409.93501")
    assert {o.source for o in bus_listener.observed} == {"pyth", "switchboard"}

    fake_sources.mode = "500"
    await eventually(lambda: bus_listener.consensus[-1].status is ConsensusStatus.HALTED
                or any(c.status is ConsensusStatus.DEGRADED for c in bus_listener.consensus))
    degraded = next(c for c in bus_listener.consensus if c.status is not ConsensusStatus.OK
                    and c.sequence > ok.sequence)
    flags = {s.source: s.flags for s in degraded.sources}
    assert SourceFlag.DOWN in flags["switchboard"] or SourceFlag.DOWN in flags["pyth"]
    registry = app.service.registry
    errors = registry.get_sample_value("ballast_oracle_source_errors_total",
                                       {"source": "switchboard", "symbol": "BTC", "kind": "http"})
    assert errors is not None and errors >= 1
    status = registry.get_sample_value("ballast_oracle_consensus_status", {"symbol": "BTC"})
    assert status in (1.0, 2.0)
    async with aiohttp.ClientSession() as http:
        url = f"http://127.0.0.1:{app.service.ops.bound_port}/metrics"
        async with http.get(url) as resp:
            text = await resp.text()
    for name in ("ballast_oracle_source_price", "ballast_oracle_source_age_seconds",
                 "ballast_oracle_source_request_seconds_count", "ballast_oracle_consensus_price",
                 "ballast_oracle_consensus_sources_used", "ballast_oracle_consensus_max_deviation"):
        assert f"{name}{{" in text

    await app.stop()
    running.clear()
    async with connected(database_url) as conn:
        rows = await conn.fetchval("SELECT count(*) FROM oracle_observations WHERE symbol='BTC'")
        published = await conn.fetch(
            "SELECT sequence, status FROM oracle_consensus ORDER BY sequence")
    assert rows >= 2
    sequences = sorted({c.sequence for c in bus_listener.consensus})
    assert [r["sequence"] for r in published] == sequences
    assert {r["status"] for r in published} >= {"OK"}


async def test_oracle__trades_injected_twice__published_once_and_bars_vwap(
    nats_server: Any, bus_namespace: str, database_url: str, bus_listener: Any,
    running: list[OracleApp],
) -> None:
    app = build_app(settings(nats_server.url, bus_namespace, database_url, {}))
    running.append(app)
    await app.start()
    minute = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)

    def trade(i: int, price: str, volume: str, second: int) -> Trade:
        p, v = Decimal(price), Decimal(volume)
        return Trade(venue="uniswap_v2", pair="PSTR-USDC", base_symbol="PSTR",
                     quote_symbol="USDC", side=TradeSide.BUY, price=p, base_volume=v,
                     quote_volume=p * v, base_amount_raw=int(v * 10**18),
                     quote_amount_raw=int(p * v * 10**6), tx_hash="0x" + f"{i:064x}",
                     log_index=i, block_number=100 + i, block_hash="0x" + "ab" * 32,
                     timestamp=minute + timedelta(seconds=second))

    batch = [trade(1, "2", "10", 5), trade(2, "4", "5", 30), trade(3, "1", "1", 10),
             trade(4, "3", "5", 70)]
    for t in batch:
        app.core.trade(t)
    app.core.trade(batch[0])  # a replay: the stream and Postgres keep it once
    await eventually(lambda: len(bus_listener.trades) >= 5)
    reader = HistoryReader(app.service.db)

    async def bars_written() -> bool:
        rows = await reader.bars("PSTR", minute, minute + timedelta(minutes=5))
        return sum(r["trades"] for r in rows) == 4

    async with asyncio.timeout(10):
        while not await bars_written():
            await asyncio.sleep(0.05)
    bars = await reader.bars("PSTR", minute, minute + timedelta(minutes=5))
    first = bars[0]
    assert (first["open"], first["high"], first["low"], first["close"]) == (2, 4, 1, 4)
    assert first["volume"] == 16 and first["price_volume"] == 41
    vwap = await reader.vwap("PSTR", "USDC", minute, minute + timedelta(minutes=5))
    assert vwap is not None and abs(vwap - Decimal(56) / Decimal(21)) < Decimal("1e-15")
    assert bus_listener.msg_ids.count(f"trade:{batch[0].tx_hash}:1") == 2  # same id: deduped
    js = transport.jetstream(app.service.bus.broker)
    info = await js.stream_info(app.service.bus.ns.stream("PRICES"))
    assert info.state.messages == 4
    assert json.loads(batch[0].model_dump_json())["price"] == "2"
