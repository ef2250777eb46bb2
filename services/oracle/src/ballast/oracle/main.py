"""Composition root: settings -> Service, the core, feeds, history (docs/architecture.md).
`python -m ballast.oracle` runs it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from ballast.common.messages import ConsensusPrice, PriceObservation, Trade
from ballast.common.service import Service, ServiceApp
from ballast.common.settings import load_settings
from ballast.common.subjects import PRICES_CONSENSUS_ALL, PRICES_OBSERVED_ALL, TRADES_ALL
from ballast.oracle import handlers
from ballast.oracle.adapters.factory import FeedSupervisor
from ballast.oracle.adapters.publisher import BusPublisher
from ballast.oracle.adapters.repository import HistoryReader, HistoryWriter
from ballast.oracle.app import Oracle, SymbolSpec
from ballast.oracle.metrics import OracleMetrics
from ballast.oracle.settings import OracleSettings

MIGRATIONS = Path(__file__).parent / "migrations"


def symbol_specs(settings: OracleSettings) -> dict[str, SymbolSpec]:
    return {
        name: SymbolSpec(spec.consensus(), {s.label: s.policy() for s in spec.sources})
        for name, spec in settings.symbols.items()
    }


class OracleApp(ServiceApp):
    """`run_feeds=False` leaves the sources out, so a test can feed `app.core` itself."""

    def __init__(self, settings: OracleSettings, *, run_feeds: bool = True,
                 registry: CollectorRegistry | None = None) -> None:
        service = Service("oracle", settings, migrations_dir=MIGRATIONS, registry=registry)
        super().__init__(service)
        self.metrics = OracleMetrics(service.registry)
        self.history = HistoryWriter(service.db, self.metrics,
                                     max_buffered=settings.db_max_buffered_rows)
        reader = HistoryReader(service.db)
        self.core = Oracle(
            symbol_specs(settings), BusPublisher(service.bus), self.history, reader, self.metrics,
            operators=settings.operator_identities,
            heartbeat_seconds=settings.consensus_heartbeat_seconds,
            min_change=settings.consensus_min_change,
            startup_grace_seconds=settings.startup_grace_seconds)
        self.feeds = FeedSupervisor(settings, self.core, self.metrics, reader)
        bus = service.bus
        # declared for the AsyncAPI document; the publisher adapter does the work
        bus.publisher(PRICES_OBSERVED_ALL, PriceObservation, "every source reading")
        bus.publisher(PRICES_CONSENSUS_ALL, ConsensusPrice, "consensus on change and heartbeat")
        bus.publisher(TRADES_ALL, Trade, "confirmed DEX swaps, once each")
        handlers.register(bus, self.core)
        service.on_start(self.core.start)
        service.on_stop(self.core.stop)
        service.supervise("consensus-pump", self.core.run)
        service.every(settings.evaluate_seconds, "consensus-tick")(self.core.tick)
        service.every(settings.db_flush_seconds, "history-flush")(self.history.flush)
        if run_feeds:
            service.supervise("feeds", self.feeds.run)


def build_app(settings: OracleSettings, **overrides: Any) -> OracleApp:
    return OracleApp(settings, **overrides)


def main() -> None:
    settings = load_settings(OracleSettings)
    asyncio.run(build_app(settings).run())
