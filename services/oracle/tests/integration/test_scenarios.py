"""Devnet scenarios through the whole service: three on-chain oracles on anvil (TestAggregator,
MockPyth, a Switchboard stand-in), real NATS and Postgres.

- oracle-attack: one source pushed 50% off -> consensus within 1% of the honest price, the bad
  source flagged DEVIANT, status OK (REFERENCE.md "Incidents": Mango, bZx).
- stale-feed: a feed stops updating -> dropped as STALE; DEGRADED once quorum is lost (LUNA).
- flash-spike: every source spikes at once for one reading -> never an OK consensus at the spike
  price (jump guard).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import pytest

from ballast.common.messages import ConsensusStatus, SourceFlag, TradeSide
from ballast.oracle.main import OracleApp, build_app
from ballast.oracle.settings import OracleSettings

FEED = "9b4503710cc8c53f75c30e6e4fda1a7064680ef2e0ee97acd2e3a7c37b3c830c"


class Oracles:
    """The three on-chain oracles of the devnet, settable from the test."""

    def __init__(self, chain: Any) -> None:
        self.chain = chain
        self.aggregator = chain.deploy("TestAggregator", 8, "PSTR / USD", 250_000_000)
        self.pyth = chain.deploy("MockPyth", 3600, 1)
        self.board = chain.deploy("MockSwitchboard")
        self.round = 1

    def chainlink(self, price: str, ts: int) -> None:
        self.round += 1
        answer = int(Decimal(price) * 10**8)
        self.chain.send(self.aggregator.functions.setRoundData(self.round, answer, ts, ts,
                                                               self.round))

    def pyth_price(self, price: str, ts: int) -> None:
        value = int(Decimal(price) * 10**8)
        data = self.pyth.functions.createPriceFeedUpdateData(
            bytes.fromhex(FEED), value, value // 1000, -8, value, value // 1000, ts, ts - 1).call()
        self.chain.wait(self.pyth.functions.updatePriceFeeds([data]).transact(
            {"from": self.chain.me, "value": 1}))

    def switchboard(self, price: str, ts: int) -> None:
        self.chain.send(self.board.functions.setUpdate(
            bytes.fromhex(FEED), int(Decimal(price) * 10**18), ts, ts))

    def all(self, price: str, ts: int) -> None:
        self.chainlink(price, ts)
        self.pyth_price(price, ts)
        self.switchboard(price, ts)

    def settings(self, rpc_url: str, nats_url: str, prefix: str, db: str,
                 max_age_seconds: float = 30) -> OracleSettings:
        common: dict[str, Any] = {"rpc_url": rpc_url, "poll_seconds": 0.05,
                                  "max_age_seconds": max_age_seconds, "max_conf_ratio": "0.01"}
        values: dict[str, Any] = {
            "nats_url": nats_url, "bus_prefix": prefix, "database_url": db, "http_port": 0,
            "http_host": "127.0.0.1", "evaluate_seconds": 0.05, "db_flush_seconds": 0.1,
            "consensus_heartbeat_seconds": 1.0,
            "symbols": {"PSTR": {"min_sources": 2, "jump_threshold": "0.10", "sources": [
                {"kind": "chainlink", "address": self.aggregator.address,
                 "heartbeat_seconds": max_age_seconds, "heartbeat_grace_seconds": 0, **common},
                {"kind": "pyth_onchain", "name": "pyth", "address": self.pyth.address,
                 "feed_id": FEED, **common},
                {"kind": "switchboard_onchain", "name": "switchboard",
                 "address": self.board.address, "feed_id": FEED, **common},
            ]}},
        }
        return OracleSettings(**values)


@pytest.fixture
async def devnet(
    chain: Any, anvil_snapshot: Any, nats_server: Any, bus_namespace: str, database_url: str
) -> AsyncIterator[tuple[Oracles, OracleApp]]:
    oracles = Oracles(chain)
    oracles.all("2.50", int(time.time()))
    app = build_app(oracles.settings(anvil_snapshot.rpc_url, nats_server.url, bus_namespace,
                                     database_url))
    await app.start()
    yield oracles, app
    await app.stop()


def flags(price: Any, source: str) -> list[SourceFlag]:
    return next(s.flags for s in price.sources if s.source == source)


async def test_scenario_oracle_attack__one_source_pushed_50pct__within_1pct_and_flagged(
    devnet: tuple[Oracles, OracleApp], bus_listener: Any
) -> None:
    oracles, _ = devnet
    await bus_listener.wait_for(lambda c: c.status is ConsensusStatus.OK and c.sources_used == 3)
    oracles.switchboard("3.75", int(time.time()))
    attacked = await bus_listener.wait_for(
        lambda c: SourceFlag.DEVIANT in flags(c, "switchboard"))
    assert attacked.status is ConsensusStatus.OK
    assert attacked.price is not None and abs(attacked.price / Decimal("2.5") - 1) < Decimal("0.01")
    assert attacked.sources_used == 2 and attacked.max_deviation > Decimal("0.05")


async def test_scenario_stale_feed__feeds_stop__dropped_then_degraded(
    chain: Any, anvil_snapshot: Any, nats_server: Any, bus_namespace: str, database_url: str,
    bus_listener: Any,
) -> None:
    oracles = Oracles(chain)
    settings = oracles.settings(anvil_snapshot.rpc_url, nats_server.url, bus_namespace,
                                database_url, max_age_seconds=2)
    live = {"chainlink", "pyth_price", "switchboard"}

    running = True

    async def keep_updating() -> None:  # the feeds in `live` publish every 0.3 s
        while running:
            now = int(time.time())
            for feed in sorted(live):
                await asyncio.to_thread(getattr(oracles, feed), "2.50", now)
            await asyncio.sleep(0.3)

    updater = asyncio.create_task(keep_updating())
    app = build_app(settings)
    await app.start()
    try:
        await bus_listener.wait_for(
            lambda c: c.status is ConsensusStatus.OK and c.sources_used == 3)
        live.discard("chainlink")  # Chainlink stops: past its 2 s heartbeat it is STALE
        dropped = await bus_listener.wait_for(lambda c: SourceFlag.STALE in flags(c, "chainlink"))
        assert dropped.status is ConsensusStatus.OK and dropped.sources_used == 2
        live.discard("switchboard")
        degraded = await bus_listener.wait_for(lambda c: c.status is ConsensusStatus.DEGRADED)
        assert degraded.sources_used == 1 and degraded.reasons[0].startswith("quorum lost")
        assert flags(degraded, "switchboard") == [SourceFlag.STALE]
        status = app.service.registry.get_sample_value("ballast_oracle_consensus_status",
                                                       {"symbol": "PSTR"})
        assert status == 1.0
    finally:
        running = False
        await updater  # let an update in flight land before the next test's snapshot
        await app.stop()


async def test_scenario_flash_spike__all_sources_spike_once__no_ok_at_spike_price(
    devnet: tuple[Oracles, OracleApp], bus_listener: Any
) -> None:
    oracles, _ = devnet
    await bus_listener.wait_for(lambda c: c.status is ConsensusStatus.OK and c.sources_used == 3)
    start = len(bus_listener.consensus)
    spike = int(time.time()) + 1
    oracles.all("5.00", spike)
    held = await bus_listener.wait_for(lambda c: c.price == Decimal("5.00"))
    assert held.status is ConsensusStatus.DEGRADED and "unconfirmed jump" in held.reasons[0]
    oracles.all("2.50", spike + 2)
    await bus_listener.wait_for(lambda c: c.status is ConsensusStatus.OK and c.sources_used == 3
                                and c.price == Decimal("2.50"))
    seen = bus_listener.consensus[start:]
    assert not [c for c in seen if c.status is ConsensusStatus.OK and c.price is not None
                and c.price > Decimal("2.75")]


async def test_oracle_dex_source__swaps_and_time__twap_consensus_trades_and_bars(
    dex: Any, anvil_snapshot: Any, nats_server: Any, bus_namespace: str, database_url: str,
    bus_listener: Any,
) -> None:
    values: dict[str, Any] = {
        "nats_url": nats_server.url, "bus_prefix": bus_namespace, "database_url": database_url,
        "http_port": 0, "http_host": "127.0.0.1", "evaluate_seconds": 0.05,
        "db_flush_seconds": 0.05,
        "symbols": {"PSTR": {"min_sources": 1, "sources": [{
            "kind": "uniswap_v2", "rpc_url": anvil_snapshot.rpc_url, "pair": dex.pair.address,
            "base_token": dex.base.address, "quote_symbol": "USDC", "window_seconds": 60,
            "twap_bootstrap": False,
            "poll_seconds": 0.05, "trade_confirmations": 1, "max_age_seconds": 1e9}]}},
    }
    anvil_snapshot.mine(1)  # the pair must exist at head - 1, the block the TWAP reads
    app = build_app(OracleSettings(**values))
    await app.start()
    try:
        registry = app.service.registry
        labels = {"source": "dex_twap", "symbol": "PSTR", "kind": "warmup"}
        async with asyncio.timeout(10):
            while not registry.get_sample_value("ballast_oracle_source_errors_total", labels):
                await asyncio.sleep(0.02)  # the first TWAP sample is taken
        receipt = dex.swap(2_000 * 10**18)
        anvil_snapshot.mine(1)
        anvil_snapshot.increase_time(120)
        anvil_snapshot.mine(1)
        ok = await bus_listener.wait_for(lambda c: c.status is ConsensusStatus.OK)
        assert ok.price is not None and Decimal("2.3") < ok.price < Decimal("2.5")
        async with asyncio.timeout(10):
            while not bus_listener.trades:
                await asyncio.sleep(0.02)
        trade = bus_listener.trades[0]
        assert trade.pair == "PSTR-USDC" and trade.base_volume == Decimal(2000)
        assert trade.tx_hash.removeprefix("0x") == bytes(receipt["transactionHash"]).hex()
        pool = app.service.db
        async with asyncio.timeout(10):
            while not await pool.fetchval("SELECT count(*) FROM oracle_bars_1m"):
                await asyncio.sleep(0.05)
        bar = await pool.fetchrow("SELECT * FROM oracle_bars_1m")
        assert bar["symbol"] == "PSTR" and bar["quote"] == "USDC" and bar["volume"] == 2000
    finally:
        await app.stop()

    dex.swap(3_000 * 10**6, sell_base=False)  # while the oracle is down
    anvil_snapshot.mine(5)
    restarted = build_app(OracleSettings(**values))  # resumes after the last trade on record
    await restarted.start()
    try:
        async with asyncio.timeout(10):
            while len(bus_listener.trades) < 2:
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.3)
        assert [t.side for t in bus_listener.trades] == [TradeSide.SELL, TradeSide.BUY]
    finally:
        await restarted.stop()
