"""Composition root: settings -> Service, engine, feeds, history (DESIGN.md "Inside a
service"). `python -m ballast.oracle` runs it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from faststream.nats import DeliverPolicy

from ballast.common.messages import ConsensusPrice, ControlCommand, PriceObservation, Trade
from ballast.common.service import Service
from ballast.common.settings import load_settings
from ballast.common.subjects import (
    CONTROL_ALL,
    PRICES_CONSENSUS_ALL,
    PRICES_OBSERVED_ALL,
    TRADES_ALL,
)
from ballast.oracle.adapters.factory import FeedSupervisor
from ballast.oracle.adapters.repository import HistoryReader, HistoryWriter
from ballast.oracle.control import apply_control
from ballast.oracle.engine import OracleEngine, SymbolSpec
from ballast.oracle.handlers import BusPublisher
from ballast.oracle.metrics import OracleMetrics
from ballast.oracle.settings import OracleSettings

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class OracleApp:
    service: Service
    engine: OracleEngine
    metrics: OracleMetrics
    feeds: FeedSupervisor
    history: HistoryWriter | None = None

    async def start(self) -> None:
        await self.service.start()

    async def stop(self) -> None:
        await self.service.stop()

    async def run(self) -> None:
        await self.service.run()


def symbol_specs(settings: OracleSettings) -> dict[str, SymbolSpec]:
    return {
        name: SymbolSpec(spec.consensus(), {s.label: s.policy() for s in spec.sources})
        for name, spec in settings.symbols.items()
    }


def build_app(settings: OracleSettings, *, run_feeds: bool = True) -> OracleApp:
    service = Service("oracle", settings, migrations_dir=MIGRATIONS)
    metrics = OracleMetrics(service.registry)
    engine = OracleEngine(symbol_specs(settings), BusPublisher(service.bus), metrics,
                          heartbeat_seconds=settings.consensus_heartbeat_seconds,
                          startup_grace_seconds=settings.startup_grace_seconds)
    feeds = FeedSupervisor(settings, engine, metrics)
    app = OracleApp(service, engine, metrics, feeds)
    bus = service.bus
    # declared for the AsyncAPI document; Bus.publish / the core publish do the work
    bus.publisher(PRICES_OBSERVED_ALL, PriceObservation, "every source reading")
    bus.publisher(PRICES_CONSENSUS_ALL, ConsensusPrice, "consensus on change and heartbeat")
    bus.publisher(TRADES_ALL, Trade, "confirmed DEX swaps, once each")

    @bus.subscriber(CONTROL_ALL, "oracle-control", deliver_policy=DeliverPolicy.NEW,
                    title="oracle:control",
                    description="approve (target oracle): an operator confirms a moved price")
    async def on_control(command: ControlCommand) -> None:
        apply_control(engine, command, settings.operator_identities, metrics)

    @service.on_start
    async def open_history() -> None:
        app.history = HistoryWriter(service.db, metrics,
                                    max_buffered=settings.db_max_buffered_rows)
        engine.history = app.history
        reader = HistoryReader(service.db)
        engine.set_sequences(await reader.last_sequences())
        feeds.reader = reader

    @service.on_stop
    async def close_history() -> None:
        await engine.drain()
        await engine.settle()
        if app.history is not None:
            await app.history.flush()

    @service.every(0.1, "consensus-pump")
    async def pump() -> None:
        await engine.run()

    @service.every(settings.evaluate_seconds, "consensus-tick")
    async def tick() -> None:
        await engine.tick()

    @service.every(settings.db_flush_seconds, "history-flush")
    async def flush() -> None:
        if app.history is not None:
            await app.history.flush()

    if run_feeds:
        @service.every(1.0, "feeds")
        async def sources() -> None:
            await feeds.run()

    return app


def main() -> None:
    settings = load_settings(OracleSettings)
    asyncio.run(build_app(settings).run())
