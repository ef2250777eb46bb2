"""The shared service runtime: ops port, heartbeat on the bus, readiness, clean stop."""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

import aiohttp
import nats
import pytest
from pydantic_settings import SettingsConfigDict

from ballast.common.messages import Heartbeat
from ballast.common.service import Service
from ballast.common.settings import ServiceSettings

pytestmark = pytest.mark.integration


class ProbeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BALLAST_PROBE_", extra="ignore", frozen=True)
    service_name: ClassVar[str] = "probe"


async def test_service__running__serves_ops_endpoints_and_heartbeats(
    nats_server: Any, bus_namespace: str, database_url: str
) -> None:
    settings = ProbeSettings(
        nats_url=nats_server.url,
        database_url=database_url,  # pyright: ignore[reportArgumentType]
        bus_prefix=bus_namespace,
        http_port=0,
        http_host="127.0.0.1",
        heartbeat_interval_seconds=0.2,
    )
    service = Service("probe", settings)
    beats: list[Heartbeat] = []
    nc = await nats.connect(nats_server.url)

    async def on_beat(msg: Any) -> None:
        beats.append(Heartbeat.model_validate_json(msg.data))

    await nc.subscribe(f"{bus_namespace}.heartbeat.probe", cb=on_beat)
    await service.start()
    try:
        async with asyncio.timeout(10):
            while len(beats) < 2:
                await asyncio.sleep(0.05)
        base = f"http://127.0.0.1:{service.ops.bound_port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(f"{base}/healthz") as resp:
                assert resp.status == 200
            async with http.get(f"{base}/readyz") as resp:
                body = await resp.json()
                assert resp.status == 200, body
                assert body["checks"] == {"nats": True, "postgres": True}
            async with http.get(f"{base}/metrics") as resp:
                text = await resp.text()
                assert "ballast_bus_published_total" in text
    finally:
        await service.stop()
        await nc.close()
    assert beats[0].service == "probe" and beats[0].ready is True
    assert beats[-1].interval_seconds == 1  # rounded, never 0
    assert not service.database.connected and not service.bus.connected
