"""The shared service runtime: ops port, heartbeat on the bus, readiness, clean stop."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, ClassVar

import aiohttp
import nats
from pydantic_settings import SettingsConfigDict

from ballast.common.messages import Heartbeat
from ballast.common.service import Service
from ballast.common.settings import ServiceSettings
from ballast.devstack.postgres import EmbeddedPostgres


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


async def test_service__supervised_task_turns_its_cancel_into_an_error__stop_still_ends(
    nats_server: Any, bus_namespace: str, database_url: str
) -> None:
    # A driver interrupted mid-query can raise its own error instead of CancelledError; a loop
    # that catches Exception and restarts would keep the task, and the stop, going for ever.
    settings = ProbeSettings(
        nats_url=nats_server.url, database_url=database_url,  # pyright: ignore[reportArgumentType]
        bus_prefix=bus_namespace, http_port=0, http_host="127.0.0.1",
    )
    service = Service("probe", settings)
    started = asyncio.Event()

    async def work() -> None:
        started.set()
        try:
            await asyncio.sleep(3600)
        except asyncio.CancelledError:
            raise RuntimeError("connection was closed in the middle of operation") from None

    async def job() -> None:
        await work()

    service.supervise("worker", work)
    service.every(3600, "job")(job)
    await service.start()
    await asyncio.wait_for(started.wait(), 10)
    await asyncio.wait_for(service.stop(), 10)  # before the fix: never returned
    assert not service.database.connected


async def readyz(port: int | None) -> tuple[int, dict[str, Any]]:
    async with aiohttp.ClientSession() as http, \
            http.get(f"http://127.0.0.1:{port}/readyz") as resp:
        return resp.status, await resp.json()


async def test_service__postgres_stopped_then_started__not_ready_then_ready_again(
    nats_server: Any, bus_namespace: str, tmp_path: Path
) -> None:
    # A pool outlives the server behind it: readiness must ask Postgres (issue 22, chaos suite).
    server = EmbeddedPostgres(tmp_path / "pg")
    dsn = (await asyncio.to_thread(server.start)).dsn
    settings = ProbeSettings(
        nats_url=nats_server.url, database_url=dsn,  # pyright: ignore[reportArgumentType]
        bus_prefix=bus_namespace, http_port=0, http_host="127.0.0.1",
    )
    service = Service("probe", settings)
    await service.start()
    try:
        assert (await readyz(service.ops.bound_port))[0] == 200
        await asyncio.to_thread(server.stop)

        async def checks_until(status: int) -> dict[str, Any]:
            async with asyncio.timeout(20):
                while (answer := await readyz(service.ops.bound_port))[0] != status:
                    await asyncio.sleep(0.1)
            return answer[1]["checks"]

        assert await checks_until(503) == {"nats": True, "postgres": False}
        await asyncio.to_thread(server.start)  # the same port and data
        assert await checks_until(200) == {"nats": True, "postgres": True}
        assert await service.database.fetchval("SELECT 1") == 1
    finally:
        await service.stop()
        await asyncio.to_thread(server.stop)
