"""The treasury's schedules survive restarts: three starts inside one hour publish the hourly
(here) risk report once; a start after a downtime of several hours publishes it once more."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import nats
from nats.aio.msg import Msg

from ballast.common.messages import RiskReport
from ballast.common.subjects import Namespace
from ballast.testing.pg import connected
from ballast.treasury.main import build_app
from ballast.treasury.settings import TreasurySettings

T0 = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)


async def test_treasury__restarted_three_times_in_one_hour__hourly_report_once_then_caught_up(
    nats_server: Any, bus_namespace: str, database_url: str
) -> None:
    settings = TreasurySettings(
        nats_url=nats_server.url, bus_prefix=bus_namespace, database_url=database_url,  # type: ignore[arg-type]
        http_port=0, http_host="127.0.0.1", state_interval_seconds=3600,
        chain_interval_seconds=3600, heartbeat_interval_seconds=60, risk_interval_seconds=3600,
    )
    reports: list[RiskReport] = []

    async def on_report(msg: Msg) -> None:
        reports.append(RiskReport.model_validate_json(msg.data))

    nc = await nats.connect(nats_server.url)
    await nc.subscribe(Namespace(bus_namespace).subject("risk.report"), cb=on_report)
    now = T0

    async def run_once(at: datetime) -> None:
        nonlocal now
        now = at
        app = build_app(settings, clock=lambda: now)  # no chain: state MISSING_INPUT
        await app.start()
        try:
            await asyncio.sleep(0.5)  # the jobs' first checks
        finally:
            await app.stop()

    try:
        for minute in (2, 25, 58):
            await run_once(T0 + timedelta(minutes=minute))
        await asyncio.sleep(0.3)
        assert len(reports) == 1
        await run_once(T0 + timedelta(hours=5, minutes=10))  # down from 06:58 to 11:10
        await asyncio.sleep(0.3)
        assert len(reports) == 2
        async with connected(database_url) as conn:
            rows = await conn.fetch("SELECT period_start FROM ballast_schedule "
                                    "WHERE job = 'treasury.risk' ORDER BY period_start")
        assert [r["period_start"] for r in rows] == [T0, T0 + timedelta(hours=5)]
    finally:
        await nc.drain()
