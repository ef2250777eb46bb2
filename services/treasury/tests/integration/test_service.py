"""The treasury service on a real NATS (JetStream) and Postgres: consensus and trades in,
treasury.state and health.score out, snapshots in Postgres, and a restart that recovers from
Postgres and the streams alone.

The chain is a fake with the devnet's starting treasury (cli devnet prices.py): 45M PUMP at
$0.50 and 7.5M USDC against 10M PSTR at $1.00, so RR 3.0 and PUMP concentration 75%.
"""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from decimal import Decimal as D
from typing import Any

import asyncpg
import nats
from nats.aio.msg import Msg

from ballast.common.messages import (
    AutomationKind,
    AutomationRequest,
    ConsensusPrice,
    ConsensusStatus,
    HealthLevel,
    StateStatus,
    Trade,
    TradeSide,
    utcnow,
)
from ballast.common.outbox import Outbox
from ballast.common.subjects import Namespace, prices_consensus, trades
from ballast.strategy.params import StrategyParams
from ballast.testing.pg import connected
from ballast.treasury.adapters.repository import Repository
from ballast.treasury.domain.liquidity import PoolReading
from ballast.treasury.domain.state import ChainSnapshot, TokenBalance, build_state
from ballast.treasury.domain.vwap import to_units
from ballast.treasury.main import TreasuryApp, build_app
from ballast.treasury.settings import TreasurySettings


class DevnetTreasury:
    """ChainReader fake: the devnet deployment's starting balances."""

    async def snapshot(self) -> ChainSnapshot:
        return ChainSnapshot(
            balances=(
                TokenBalance("PUMP", 45_000_000 * 10**18, 18),
                TokenBalance("USDC", 7_500_000 * 10**6, 6),
                TokenBalance("PSTR", 0, 18),
            ),
            pstr_total_supply_raw=10_000_000 * 10**18,
            pstr_decimals=18,
            read_at=utcnow(),
        )

    async def pools(self) -> list[PoolReading]:
        return []


def settings_for(nats_url: str, prefix: str, database_url: str) -> TreasurySettings:
    return TreasurySettings(
        nats_url=nats_url, bus_prefix=prefix, database_url=database_url,  # type: ignore[arg-type]
        http_port=0, http_host="127.0.0.1", state_debounce_seconds=0.05,
        state_interval_seconds=3600, chain_interval_seconds=3600, heartbeat_interval_seconds=60,
    )


async def start(settings: TreasurySettings) -> TreasuryApp:
    service = build_app(settings, chain=DevnetTreasury())
    await service.start()
    return service


def consensus(symbol: str, price: str, offset_ms: int = 0) -> ConsensusPrice:
    return ConsensusPrice(
        symbol=symbol, price=D(price), status=ConsensusStatus.OK, sources=[], sources_used=3,
        computed_at=utcnow() + timedelta(milliseconds=offset_ms),
    )


def trade(i: int) -> Trade:
    return Trade(
        venue="uniswap_v2", pair="PSTR-USDC", base_symbol="PSTR", quote_symbol="USDC",
        side=TradeSide.BUY, price=D("1.00") + D(i % 3 - 1) / 100, base_volume=D(1000),
        quote_volume=D(1000), tx_hash=f"0x{i:064x}", log_index=0, block_number=i,
        block_hash="0x" + "b" * 64, timestamp=utcnow() - timedelta(minutes=30 - i),
    )


async def test_treasury__crash_through_tiers__states_and_health_fall_then_restart_recovers(
    nats_server: Any, bus_namespace: str, database_url: str, listen: Any, publish: Any,
) -> None:
    settings = settings_for(nats_server.url, bus_namespace, database_url)
    out = await listen()
    service = await start(settings)
    try:
        # 30 trades at 0.99 / 1.00 / 1.01 with equal volume: VWAP exactly 1.00
        for i in range(30):
            await publish(trades("uniswap_v2", "PSTR-USDC"), trade(i))
        await out.wait(lambda: service.core.vwap.volume_total == to_units(D(30_000)))
        await publish(prices_consensus("PSTR"), consensus("PSTR", "1.00"))
        await out.wait(lambda: any(s.status is StateStatus.MISSING_INPUT and s.pstr_price
                                   for s in out.states))
        missing = [s for s in out.states if s.pstr_price][-1]
        assert any("PUMP: no consensus price received" in r for r in missing.reasons)
        assert not out.requests  # no accumulation while the state is incomplete

        await publish(prices_consensus("PUMP"), consensus("PUMP", "0.50"))
        await publish(prices_consensus("USDC"), consensus("USDC", "1.00"))
        await out.wait(lambda: bool(out.states) and out.states[-1].status is StateStatus.OK)
        calm = out.states[-1]
        assert calm.vwap_30d == D(1) and calm.reserve_ratio == D(3) and calm.tier == 0
        assert calm.pump_concentration == D("0.75")

        walk: list[tuple[int, HealthLevel]] = []
        for step, (price, tier) in enumerate((("0.85", 1), ("0.80", 2), ("0.65", 3)), 1):
            await publish(prices_consensus("PSTR"), consensus("PSTR", price, step))
            await out.wait(lambda t=tier: bool(out.states) and out.states[-1].tier == t)
            await out.wait(lambda p=price: bool(out.health) and out.states[-1].pstr_price == D(p)
                           and out.health[-1].computed_at == out.states[-1].computed_at)
            walk.append((out.states[-1].tier, out.health[-1].level))
        scores = [h.score for h in out.health if h.computed_at >= calm.computed_at]
        # tier 3 at RR 4.62: 0.333 x 1.538 + 0.333 x 2 x (1 - 0.40) + 0.334 = 1.246, still good
        assert walk == [(1, HealthLevel.GOOD), (2, HealthLevel.GOOD), (3, HealthLevel.GOOD)]
        assert scores == sorted(scores, reverse=True)  # the score only falls through the crash
        assert out.states[-1].deployment_share == D("0.40")
        assert out.states[-1].reserve_ratio is not None
        assert out.states[-1].reserve_ratio.quantize(D("0.01")) == D("4.62")

        async with connected(database_url) as conn:
            tiers = [r["tier"] for r in await conn.fetch(
                "SELECT tier FROM treasury_snapshots ORDER BY computed_at")]
        assert tiers[-1] == 3 and {1, 2, 3} <= set(tiers)
    finally:
        await service.stop()

    # Restart: prices and VWAP come back from Postgres; no message is sent again.
    before = len(out.states)
    service = await start(settings)
    try:
        await out.wait(lambda: len(out.states) > before and out.states[-1].status is StateStatus.OK)
        again = out.states[-1]
        assert (again.tier, again.vwap_30d, again.pstr_price) == (3, D(1), D("0.65"))
        # the hourly accumulation: 1,000,000 x 0.90 / 365 / 24 = 102.7397, to the cent down
        await out.wait(lambda: bool(out.requests))
        assert out.requests[0].amount_usd == D("102.73")
        assert out.requests[0].request_id.startswith("accumulate-")
    finally:
        await service.stop()


async def test_treasury__risk_on_demand__published_and_returned(
    nats_server: Any, bus_namespace: str, database_url: str, nc: nats.NATS
) -> None:
    import aiohttp

    ns = Namespace(bus_namespace)
    service = await start(settings_for(nats_server.url, bus_namespace, database_url))
    reports: list[dict[str, Any]] = []

    async def on_risk(msg: Msg) -> None:
        reports.append(json.loads(msg.data))

    await nc.subscribe(ns.subject("risk.report"), cb=on_risk)
    try:
        url = f"http://127.0.0.1:{service.service.ops.bound_port}/reports/risk"
        async with aiohttp.ClientSession() as http, http.post(url) as response:
            body = await response.json()
        assert response.status == 200
        assert body["sample_size"] == 0 and body["var_historical_usd"] is None
        metrics_url = f"http://127.0.0.1:{service.service.ops.bound_port}/metrics"
        async with aiohttp.ClientSession() as http, http.get(metrics_url) as response:
            text = await response.text()
        assert "ballast_treasury_state_recompute_seconds_count" in text
        assert 'ballast_treasury_state_status{status="MISSING_INPUT"} 1.0' in text
        async with asyncio.timeout(5):
            while not reports:
                await asyncio.sleep(0.02)
    finally:
        await service.stop()


class NoPublish:
    """A publisher for a process that dies right after its commit: it never gets to publish."""

    async def publish_json(self, data: bytes, subject: str, *, msg_id: str) -> None:
        raise AssertionError("the crashed process never publishes")


async def test_treasury__state_committed_then_crash_before_publish__next_start_publishes_it_once(
    nats_server: Any, bus_namespace: str, database_url: str, listen: Any,
) -> None:
    """The outbox (ballast.common.outbox): the snapshot's transaction holds the state message, so
    a process killed between its commit and its publish loses nothing, and nothing twice."""
    settings = settings_for(nats_server.url, bus_namespace, database_url)
    first = await start(settings)  # migrations applied
    await first.stop()
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        repo = Repository(pool, Outbox("treasury_outbox", NoPublish()))
        state = build_state(None, {}, None, StrategyParams(), utcnow(), timedelta(minutes=5))
        pending = await repo.save_snapshot(
            state, None, (), [(state, "treasury.state", "treasury-state-crashed")]
        )
        assert len(pending) == 1  # committed; the process dies here
    finally:
        await pool.close()

    out = await listen()
    second = await start(settings)
    try:
        await out.wait(lambda: any(s.computed_at == state.computed_at for s in out.states))
        await asyncio.sleep(2.5)  # past one periodic relay: a second copy would be here by now
        assert [s.computed_at for s in out.states].count(state.computed_at) == 1
    finally:
        await second.stop()


async def test_treasury__hour_claimed_then_crash_before_publish__next_start_asks_once(
    nats_server: Any, bus_namespace: str, database_url: str, listen: Any,
) -> None:
    """The hour's claim and its request commit together: a process killed before its publish
    still asks for the hour (the relay), and a restart never claims it again."""
    settings = settings_for(nats_server.url, bus_namespace, database_url)
    first = await start(settings)
    await first.stop()
    now = utcnow()
    hour = now.replace(minute=0, second=0, microsecond=0)
    request = AutomationRequest(
        request_id=f"accumulate-{hour:%Y%m%dT%H%M}", kind=AutomationKind.ACCUMULATE,
        amount_usd=D("102.73"), reason="crashed before its publish", requested_at=now,
    )
    pool = await asyncpg.create_pool(database_url, min_size=1, max_size=1)
    try:
        repo = Repository(pool, Outbox("treasury_outbox", NoPublish()))
        pending = await repo.claim_accumulation(hour, request, "automation.requested.accumulate")
        assert pending is not None and len(pending) == 1  # committed; the process dies here
        assert await repo.claim_accumulation(hour, request, "x") is None  # the hour is taken
    finally:
        await pool.close()

    out = await listen()
    second = await start(settings)
    try:
        await out.wait(lambda: bool(out.requests))
        await asyncio.sleep(2.5)  # past one periodic relay and one accumulation check
        assert [r.request_id for r in out.requests] == [request.request_id]
    finally:
        await second.stop()
