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

from ballast.common.service import Service, ServiceApp
from ballast.common.settings import load_settings
from ballast.common.subjects import CONTROL_ALL
from ballast.gateway import handlers
from ballast.gateway.adapters.bus_tap import ServiceBusTap
from ballast.gateway.adapters.control_publisher import JetStreamControlPublisher
from ballast.gateway.adapters.proposals import GatewayProposals
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


class Gateway(ServiceApp):
    """The running process: the Service glue plus the hub and the API server.

    Everything is built here; start connects Postgres and the bus (Service), then starts the hub
    and the API server. The bus adapters reach the NATS connection only when used (after start).
    """

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
        super().__init__(
            Service("gateway", settings, migrations_dir=MIGRATIONS, registry=registry)
        )
        service, bus = self.service, self.service.bus
        self.settings = settings
        self.metrics = GatewayMetrics(service.registry)
        self.tokens = tokens if tokens is not None else load_tokens(settings.tokens_file)
        tap = tap or ServiceBusTap(bus)
        self.app = GatewayApp(
            tap=tap,
            read=read or ReadModel(service.db),
            records=records or GatewayRecords(service.db),
            publisher=publisher or JetStreamControlPublisher(bus),
            reports=PooledReportSource(service.db),
            tokens=self.tokens,
            metrics=self.metrics,
            limiter=RateLimiter(settings.control_rate_per_minute, settings.control_burst),
            history_max_points=settings.history_max_points,
            monotonic=time.monotonic,
        )
        self.hub = Hub(tap, self.metrics, queue_size=settings.stream_queue_size,
                       max_behind_seconds=settings.stream_max_behind_seconds)
        self.proposals = GatewayProposals(service.db, settings.rpc_url)
        self.api_server = ApiServer(create_api(self.app, self.hub, settings, self.proposals),
                                    settings.api_host, settings.api_port)
        handlers.register(bus, self.app)
        bus.publisher(CONTROL_ALL, _control_schema(), "operator commands")
        service.on_start(self._open)
        service.on_stop(self._close)

    @property
    def api_port(self) -> int | None:
        return self.api_server.bound_port

    async def _open(self) -> None:
        self.hub.start()
        await self.api_server.start()
        self.service.ops.checks["api"] = lambda: self.api_server.bound_port is not None

    async def _close(self) -> None:
        await self.hub.stop()
        await self.api_server.stop()
        await self.proposals.close()


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
