"""Composition root: settings -> Service, Core readers, monitor, poll job (DESIGN.md "Inside a
service"). `python -m ballast.validator_monitor` runs it."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from ballast.common.messages import ValidatorRecommendation, ValidatorStatus
from ballast.common.service import Service
from ballast.common.settings import load_settings
from ballast.common.subjects import VALIDATORS_RECOMMENDATIONS, VALIDATORS_STATUS
from ballast.validator_monitor.adapters.core import CoreAddresses, CoreReader, connect
from ballast.validator_monitor.adapters.logs import LogReader
from ballast.validator_monitor.adapters.repository import Repository
from ballast.validator_monitor.domain.evaluate import EvaluateConfig
from ballast.validator_monitor.handlers import FactPublisher
from ballast.validator_monitor.metrics import ValidatorMetrics
from ballast.validator_monitor.monitor import ValidatorMonitor
from ballast.validator_monitor.settings import ValidatorMonitorSettings

MIGRATIONS = Path(__file__).parent / "migrations"


@dataclass
class ValidatorMonitorApp:
    service: Service
    monitor: ValidatorMonitor
    metrics: ValidatorMetrics

    async def start(self) -> None:
        await self.service.start()

    async def stop(self) -> None:
        await self.service.stop()

    async def run(self) -> None:
        await self.service.run()


def build_app(settings: ValidatorMonitorSettings, *, poll: bool = True) -> ValidatorMonitorApp:
    """`poll=False` leaves the poll job out, so a test can drive `app.monitor.poll()` itself."""
    service = Service("validator-monitor", settings, migrations_dir=MIGRATIONS)
    metrics = ValidatorMetrics(service.registry)
    core = CoreReader(
        connect(settings.rpc_url, settings.rpc_timeout_seconds),
        CoreAddresses(
            validator_set=settings.validator_set,
            slash_indicator=settings.slash_indicator,
            candidate_hub=settings.candidate_hub,
            stake_hub=settings.stake_hub,
            core_agent=settings.core_agent,
        ),
        settings.staking_manager,
        multicall=settings.multicall3 if settings.use_multicall else None,
        concurrency=settings.rpc_concurrency,
    )
    monitor = ValidatorMonitor(
        core,
        LogReader(core, max_range=settings.max_log_range),
        FactPublisher(service.bus),
        metrics,
        confirmations=settings.confirmations,
        config=EvaluateConfig(
            near_fraction=settings.near_threshold_fraction, epoch_blocks=settings.epoch_blocks
        ),
    )
    bus = service.bus
    # declared for the AsyncAPI document; Bus.publish does the work
    bus.publisher(VALIDATORS_STATUS, ValidatorStatus, "every validator each epoch and on change")
    bus.publisher(VALIDATORS_RECOMMENDATIONS, ValidatorRecommendation,
                  "move_away / hold for the executor's rebalance, on change")

    @service.on_start
    async def start_monitor() -> None:
        await monitor.start(Repository(service.db))

    @service.on_stop
    async def close_rpc() -> None:
        await core.close()

    if poll:
        @service.every(settings.poll_interval_seconds, "validator-poll")
        async def poll_chain() -> None:
            await monitor.poll()

    return ValidatorMonitorApp(service, monitor, metrics)


def main() -> None:
    settings = load_settings(ValidatorMonitorSettings)
    asyncio.run(build_app(settings).run())
