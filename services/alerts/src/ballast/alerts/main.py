"""Composition root: settings -> Service, record, delivery loop, API, the core (app.py)
(docs/architecture.md). `python -m ballast.alerts` runs it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from datetime import timedelta
from pathlib import Path

from prometheus_client import CollectorRegistry

from ballast.alerts.adapters.channels import Channels
from ballast.alerts.adapters.notifier import AppriseNotifier, Notifier
from ballast.alerts.adapters.outbox import Outbox
from ballast.alerts.adapters.repository import AlertsRepository
from ballast.alerts.adapters.rules_file import RulesWatcher, load_rules
from ballast.alerts.adapters.status_report import StatusReportSender
from ballast.alerts.api import AlertsApi, StreamHub
from ballast.alerts.app import Alerts, Clock
from ballast.alerts.delivery import DeliveryPolicy, DeliveryWorker
from ballast.alerts.handlers import subscribe
from ballast.alerts.metrics import AlertsMetrics
from ballast.alerts.settings import AlertsSettings
from ballast.common.messages import Alert, utcnow
from ballast.common.outbox import Outbox as BusOutbox
from ballast.common.service import Service, ServiceApp
from ballast.common.settings import load_settings
from ballast.common.subjects import ALERTS_ALL

MIGRATIONS = Path(__file__).parent / "migrations"
RETENTION_CHECK_SECONDS = 3600.0


class AlertsApp(ServiceApp):
    """The alerts process: its Service, record, delivery loop, live stream and API, the core,
    subscribers and jobs (tick, rules reload, retention, the status report)."""

    def __init__(
        self,
        settings: AlertsSettings,
        *,
        clock: Clock = utcnow,
        notifier: Notifier | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        super().__init__(Service("alerts", settings, migrations_dir=MIGRATIONS, registry=registry))
        service = self.service
        self.clock = clock
        metrics = AlertsMetrics(service.registry)
        channels = Channels(settings.channels)
        policy = DeliveryPolicy(
            backoff_base=timedelta(seconds=settings.delivery_backoff_base_seconds),
            backoff_max=timedelta(seconds=settings.delivery_backoff_max_seconds),
            digest_max=settings.digest_max,
        )
        self.hub = StreamHub(metrics)
        self.worker = DeliveryWorker(
            Outbox(service.db), channels, notifier or AppriseNotifier(), clock, policy, metrics
        )
        self.core = Alerts(
            settings,
            load_rules(settings.rules_path),
            record=AlertsRepository(service.db, BusOutbox("alerts_bus_outbox", service.bus)),
            rules_file=RulesWatcher(settings.rules_path),
            channels=channels,
            delivery=self.worker,
            stream=self.hub,
            metrics=metrics,
            lease=policy.lease,
            clock=clock,
        )
        subscribe(service.bus, self.core, settings.fact_batch_size)
        service.bus.publisher(ALERTS_ALL, Alert, "one notification of one alert key")
        AlertsApi(self.core, self.hub).add_routes(service.ops.app)
        service.on_start(self._open)
        service.on_stop(self._close)
        service.supervise("alerts-delivery", self.worker.run)
        service.every(settings.tick_seconds, "alerts-tick")(self.core.tick)
        service.every(settings.rules_poll_seconds, "rules-reload")(self.core.reload_rules)
        service.every(RETENTION_CHECK_SECONDS, "alerts-retention")(self.core.prune)
        self.status_report = StatusReportSender.configured(settings, channels, clock())
        if self.status_report is not None:
            service.schedule(
                self.status_report.every.total_seconds(), "status-report", clock=clock,
                at_first_start=False,
            )(self.status_report.send)

    async def _open(self) -> None:
        await self.core.start()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(
                signal.SIGHUP, lambda: asyncio.ensure_future(self.core.reload_rules(force=True))
            )

    async def _close(self) -> None:
        self.hub.close()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        await self.worker.close()
        await self.core.stop()


def build_app(
    settings: AlertsSettings,
    *,
    clock: Clock = utcnow,
    notifier: Notifier | None = None,
    registry: CollectorRegistry | None = None,
) -> AlertsApp:
    return AlertsApp(settings, clock=clock, notifier=notifier, registry=registry)


def main() -> None:
    settings = load_settings(AlertsSettings)
    asyncio.run(build_app(settings).run())
