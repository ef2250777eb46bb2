"""Composition root: settings -> Service, hub, app, API server (DESIGN.md "Inside a service").
`python -m ballast.gateway` runs it.

The gateway reads the bus (core subscriptions for the live stream, ephemeral JetStream
consumers for the latest values, durables for the reports it stores) and publishes only
`control.*` (deploy/nats/accounts.conf).
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from ballast.common.service import Service
from ballast.common.settings import load_settings
from ballast.common.subjects import CONTROL_ALL
from ballast.gateway import handlers
from ballast.gateway.adapters.control_publisher import JetStreamControlPublisher
from ballast.gateway.adapters.read_model import ReadModel
from ballast.gateway.adapters.records import GatewayRecords
from ballast.gateway.adapters.report_source import PooledReportSource
from ballast.gateway.adapters.tokens import load_tokens
from ballast.gateway.api import create_api
from ballast.gateway.app import ControlPublisher, GatewayApp, ReadPort, RecordsPort
from ballast.gateway.domain.access import TokenTable
from ballast.gateway.domain.ratelimit import RateLimiter
from ballast.gateway.hub import BusTap, Hub
from ballast.gateway.metrics import GatewayMetrics
from ballast.gateway.server import ApiServer
from ballast.gateway.settings import GatewaySettings

MIGRATIONS = Path(__file__).parent / "migrations"


class Gateway:
    """The running process: the Service glue plus the hub and the API server."""

    def __init__(
        self,
        settings: GatewaySettings,
        *,
        registry: CollectorRegistry | None = None,
        tokens: TokenTable | None = None,
        tap: BusTap | None = None,
        read: ReadPort | None = None,
        records: RecordsPort | None = None,
        publisher: ControlPublisher | None = None,
    ) -> None:
        self.settings = settings
        self.service = Service("gateway", settings, migrations_dir=MIGRATIONS, registry=registry)
        self.metrics = GatewayMetrics(self.service.registry)
        self.tokens = tokens if tokens is not None else load_tokens(settings.tokens_file)
        self._overrides: dict[str, Any] = {
            "tap": tap, "read": read, "records": records, "publisher": publisher,
        }
        self._app: GatewayApp | None = None
        self.hub: Hub | None = None
        self.api_server: ApiServer | None = None
        handlers.register(self.service.bus, lambda: self.app)
        self.service.bus.publisher(CONTROL_ALL, _control_schema(), "operator commands")
        self.service.on_start(self._open)
        self.service.on_stop(self._close)

    @property
    def app(self) -> GatewayApp:
        if self._app is None:
            raise RuntimeError("the gateway has not started")
        return self._app

    @property
    def api_port(self) -> int | None:
        return self.api_server.bound_port if self.api_server else None

    async def _open(self) -> None:
        bus = self.service.bus
        o = self._overrides
        tap: BusTap = o["tap"] or bus.tap()
        self._app = GatewayApp(
            tap=tap,
            read=o["read"] or ReadModel(self.service.db),
            records=o["records"] or GatewayRecords(self.service.db),
            publisher=o["publisher"] or JetStreamControlPublisher(bus),
            reports=PooledReportSource(self.service.db),
            tokens=self.tokens,
            metrics=self.metrics,
            limiter=RateLimiter(self.settings.control_rate_per_minute, self.settings.control_burst),
            history_max_points=self.settings.history_max_points,
            monotonic=time.monotonic,
        )
        self.hub = Hub(tap, self.metrics, queue_size=self.settings.stream_queue_size,
                       max_behind_seconds=self.settings.stream_max_behind_seconds)
        self.hub.start()
        api = create_api(self._app, self.hub, self.settings)
        self.api_server = ApiServer(api, self.settings.api_host, self.settings.api_port)
        await self.api_server.start()
        self.service.ops.checks["api"] = lambda: self.api_server is not None

    async def _close(self) -> None:
        if self.hub is not None:
            await self.hub.stop()
        if self.api_server is not None:
            await self.api_server.stop()

    async def start(self) -> None:
        await self.service.start()

    async def stop(self) -> None:
        await self.service.stop()

    async def run(self) -> None:
        await self.service.run()


def _control_schema() -> Any:
    from ballast.common.messages import ControlCommand  # noqa: PLC0415

    return ControlCommand


def build_app(settings: GatewaySettings, **overrides: Any) -> Gateway:
    return Gateway(settings, **overrides)


def main() -> None:
    settings = load_settings(GatewaySettings)
    try:
        gateway = build_app(settings)
    except ValueError as err:  # a bad tokens file: one line, no traceback, as load_settings
        print(f"configuration error: {err}", file=sys.stderr)
        raise SystemExit(2) from None
    asyncio.run(gateway.run())
