"""Composition root: settings -> Service, Core readers, the core, poll job
(docs/architecture.md). `python -m ballast.validator_monitor` runs it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from ballast.common.messages import ValidatorRecommendation, ValidatorStatus
from ballast.common.service import Service, ServiceApp
from ballast.common.settings import load_settings
from ballast.common.subjects import VALIDATORS_RECOMMENDATIONS, VALIDATORS_STATUS
from ballast.validator_monitor.adapters.core import CoreAddresses, CoreReader, connect
from ballast.validator_monitor.adapters.logs import LogReader
from ballast.validator_monitor.adapters.publisher import FactPublisher
from ballast.validator_monitor.adapters.repository import Repository
from ballast.validator_monitor.app import ValidatorMonitor
from ballast.validator_monitor.domain.evaluate import EvaluateConfig
from ballast.validator_monitor.metrics import ValidatorMetrics
from ballast.validator_monitor.settings import ValidatorMonitorSettings

MIGRATIONS = Path(__file__).parent / "migrations"


class ValidatorMonitorApp(ServiceApp):
    """`poll=False` leaves the poll job out, so a test can drive `app.core.poll()` itself."""

    def __init__(self, settings: ValidatorMonitorSettings, *, poll: bool = True,
                 registry: CollectorRegistry | None = None) -> None:
        service = Service("validator-monitor", settings, migrations_dir=MIGRATIONS,
                          registry=registry)
        super().__init__(service)
        self.metrics = ValidatorMetrics(service.registry)
        self.chain = CoreReader(
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
        self.core = ValidatorMonitor(
            self.chain,
            LogReader(self.chain, max_range=settings.max_log_range),
            Repository(service.db),
            FactPublisher(service.bus),
            self.metrics,
            confirmations=settings.confirmations,
            config=EvaluateConfig(near_fraction=settings.near_threshold_fraction,
                                  epoch_blocks=settings.epoch_blocks),
        )
        # declared for the AsyncAPI document; the publisher adapter does the work
        service.bus.publisher(VALIDATORS_STATUS, ValidatorStatus,
                              "every validator each epoch and on change")
        service.bus.publisher(VALIDATORS_RECOMMENDATIONS, ValidatorRecommendation,
                              "move_away / hold for the executor's rebalance, on change")
        service.on_start(self.core.start)
        service.on_stop(self.chain.close)
        if poll:
            @service.every(settings.poll_interval_seconds, "validator-poll")
            async def poll_chain() -> None:
                await self.core.poll()


def build_app(settings: ValidatorMonitorSettings, **overrides: Any) -> ValidatorMonitorApp:
    return ValidatorMonitorApp(settings, **overrides)


def main() -> None:
    settings = load_settings(ValidatorMonitorSettings)
    asyncio.run(build_app(settings).run())
