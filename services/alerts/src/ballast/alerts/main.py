"""Composition root: settings -> Service, engine, outbox, delivery, API (DESIGN.md "Inside a
service"). `python -m ballast.alerts` runs it.

The path of one fact: subscriber -> engine (pure, under one lock so records change in order) ->
Postgres (records, history, outbox rows; one transaction) -> live stream -> `alerts.<severity>`
on the bus (Nats-Msg-Id = key#sequence) -> the delivery loop is woken and sends the outbox rows.
A step that fails keeps its work queued and is retried on the next fact or tick: the engine
never decides the same notification twice, so nothing is lost and nothing is doubled.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import signal
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry

from ballast.alerts.adapters.channels import Channels
from ballast.alerts.adapters.notifier import AppriseNotifier, Notifier
from ballast.alerts.adapters.outbox import Outbox
from ballast.alerts.adapters.repository import AlertsRepository, notification_payload
from ballast.alerts.adapters.rules_file import RulesWatcher, load_rules
from ballast.alerts.api import AlertsApi, StreamHub, record_json, silence_json
from ballast.alerts.delivery import DeliveryPolicy, DeliveryWorker
from ballast.alerts.domain.config import Grouping, Kind, RulesConfig
from ballast.alerts.domain.engine import AlertEngine
from ballast.alerts.domain.model import AlertRecord, Silence, Transitions
from ballast.alerts.handlers import register_control, register_fact_subscribers
from ballast.alerts.metrics import AlertsMetrics
from ballast.alerts.settings import AlertsSettings
from ballast.alerts.status_report import StatusReportSender
from ballast.common.messages import Alert, ControlCommand, ControlVerb, Message, utcnow
from ballast.common.outbox import Outbox as BusOutbox
from ballast.common.service import Service
from ballast.common.settings import load_settings
from ballast.common.subjects import ALERTS_ALL, heartbeat, subject_matches

log = logging.getLogger("ballast.alerts")

MIGRATIONS = Path(__file__).parent / "migrations"
DEFAULT_SILENCE = timedelta(hours=2)

Clock = Callable[[], datetime]


class AlertsApp:
    def __init__(
        self,
        settings: AlertsSettings,
        *,
        clock: Clock = utcnow,
        notifier: Notifier | None = None,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.service = Service("alerts", settings, migrations_dir=MIGRATIONS, registry=registry)
        self.metrics = AlertsMetrics(self.service.registry)
        self.watcher = RulesWatcher(settings.rules_path)
        self.engine = AlertEngine(self._effective(load_rules(settings.rules_path)))
        self.metrics.rules.set(len(self.engine.config.rules))
        self.channels = Channels(settings.channels)
        self.notifier: Notifier = notifier or AppriseNotifier()
        self.hub = StreamHub(self.metrics)
        self.policy = DeliveryPolicy(
            backoff_base=timedelta(seconds=settings.delivery_backoff_base_seconds),
            backoff_max=timedelta(seconds=settings.delivery_backoff_max_seconds),
            digest_max=settings.digest_max,
        )
        self.expiry = timedelta(seconds=settings.delivery_expiry_seconds)
        self._repo: AlertsRepository | None = None
        self.worker: DeliveryWorker | None = None
        self._lock = asyncio.Lock()
        self._unsaved: list[Transitions] = []
        self._publish_due = True
        """Relay the bus outbox: at start (what a crash left), after each notification."""
        self._worker_task: asyncio.Task[None] | None = None
        self._publisher: asyncio.Task[None] | None = None
        self.subscribed = register_fact_subscribers(
            self.service.bus, self.engine.config.subjects(), self.on_fact, settings.fact_batch_size
        )
        register_control(self.service.bus, self.on_control)
        self.service.bus.publisher(ALERTS_ALL, Alert, "one notification of one alert key")
        AlertsApi(self, self.hub).add_routes(self.service.ops.app)
        self.service.on_start(self._open)
        self.service.on_stop(self._close)
        self.service.every(settings.tick_seconds, "alerts-tick")(self.tick)
        self.service.every(settings.rules_poll_seconds, "rules-reload")(self.reload_rules)
        self.service.every(3600.0, "alerts-retention")(self.prune)
        self.status_report = StatusReportSender.configured(settings, self.channels, clock())
        if self.status_report is not None:
            self.service.every(self.status_report.check_seconds, "status-report")(
                self._send_status_report
            )

    # ------------------------------------------------------------------ lifecycle
    @property
    def repo(self) -> AlertsRepository:
        if self._repo is None:
            raise RuntimeError("the alerts service has not started")
        return self._repo

    async def _open(self) -> None:
        self._repo = AlertsRepository(
            self.service.db, BusOutbox("alerts_bus_outbox", self.service.bus)
        )
        now = self.clock()
        self.engine.lifecycle.restore(
            await self._repo.load_records(), await self._repo.load_silences(now)
        )
        self._expect_heartbeats(now)
        outbox = Outbox(self.service.db)
        self.worker = DeliveryWorker(
            outbox, self.channels, self.notifier, self.clock, self.policy, self.metrics
        )
        self._worker_task = asyncio.create_task(self.worker.run(), name="alerts-delivery")
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().add_signal_handler(
                signal.SIGHUP, lambda: asyncio.ensure_future(self.reload_rules(force=True))
            )

    def _expect_heartbeats(self, now: datetime) -> None:
        """A service that never reports after this process starts is missing too."""
        within = timedelta(seconds=self.settings.expected_grace_seconds)
        for rule in self.engine.config.rules:
            if rule.kind is not Kind.ABSENCE:
                continue
            for service in self.settings.expected_services:
                if subject_matches(rule.subject, heartbeat(service)):
                    labels = {name: service for name, path in rule.labels if path == "service"}
                    self.engine.evaluator.expect(rule.name, labels, now, within)

    async def _close(self) -> None:
        self.hub.close()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            asyncio.get_running_loop().remove_signal_handler(signal.SIGHUP)
        if self.worker is not None:
            await self.worker.close()
        if self._worker_task is not None:
            self._worker_task.cancel()
            await asyncio.gather(self._worker_task, return_exceptions=True)
        with contextlib.suppress(Exception):
            await self._flush()
        if self._publisher is not None:
            await asyncio.gather(self._publisher, return_exceptions=True)

    async def start(self) -> None:
        await self.service.start()

    async def stop(self) -> None:
        await self.service.stop()

    async def run(self) -> None:
        await self.service.run()

    def _effective(self, config: RulesConfig) -> RulesConfig:
        if self.settings.grouping:
            return config
        return dataclasses.replace(config, grouping=Grouping(timedelta(0), timedelta(0)))

    # ------------------------------------------------------------------ inputs
    async def on_fact(self, subject: str, fact: Message) -> None:
        self.metrics.facts.labels(subject.split(".", 1)[0]).inc()
        async with self._lock:
            out = self.engine.on_fact(subject, fact, self.clock())
            await self._commit(out)

    async def tick(self) -> None:
        async with self._lock:
            out = self.engine.tick(self.clock())
            await self._commit(out)
        self._publish_soon()
        counts: dict[str, int] = {}
        for record in self.engine.active():
            counts[record.severity.value] = counts.get(record.severity.value, 0) + 1
        for severity in ("critical", "warning", "info", "governance"):
            self.metrics.active.labels(severity).set(counts.get(severity, 0))

    async def _send_status_report(self) -> None:
        if self.status_report is not None:
            await self.status_report.check(self.clock())

    async def prune(self) -> None:
        if self._repo is None:
            return
        before = self.clock() - timedelta(days=self.settings.retention_days)
        pruned = await self._repo.prune(before)
        if any(pruned.values()):
            log.info("old alert history pruned", extra=pruned)

    async def reload_rules(self, *, force: bool = False) -> None:
        config = self.watcher.poll(force=force)
        if config is None:
            return
        missing = config.subjects() - set(self.subscribed)
        if missing:
            log.warning(
                "new rules read subjects this process does not subscribe to: restart to apply",
                extra={"subjects": sorted(missing)},
            )
        async with self._lock:
            out = self.engine.reload(self._effective(config), self.clock())
            await self._commit(out)
        self.metrics.rules.set(len(config.rules))

    async def on_control(self, command: ControlCommand) -> None:
        if command.command is ControlVerb.SILENCE:
            matchers = dict(command.matchers) or ({"key": command.target} if command.target else {})
            if not matchers:
                log.warning("silence without matchers ignored", extra={"id": command.command_id})
                return
            await self.add_silence(
                Silence(
                    id=command.command_id,
                    matchers=matchers,
                    starts_at=command.issued_at,
                    expires_at=command.expires_at or command.issued_at + DEFAULT_SILENCE,
                    created_by=command.issued_by,
                    reason=command.reason,
                )
            )
        elif command.command is ControlVerb.ACK and command.target:
            await self.acknowledge(command.target, command.issued_by)

    # ------------------------------------------------------------------ outputs
    async def _commit(self, out: Transitions) -> None:
        if out.changed or out.notifications:
            self._unsaved.append(out)
        await self._flush()

    async def _flush(self) -> None:
        """Postgres first (the record), then the stream, the bus and the delivery loop."""
        while self._unsaved:
            out = self._unsaved[0]
            rows = await self.repo.save(
                out, self.channels, self.clock(), self.expiry, lease=self.policy.lease
            )
            self._unsaved.pop(0)
            if self.worker is not None:
                self.worker.deliver_now(rows)
            for n in out.notifications:
                alert = n.alert
                self.metrics.notifications.labels(
                    alert.severity.value, alert.state.value, n.reason
                ).inc()
                self.hub.publish("alert", notification_payload(n))
            self._publish_due = True
        self._publish_soon()

    def _publish_soon(self) -> None:
        """Bus copies leave the fact's path: they are in the bus outbox with the notification
        (one transaction), and one task relays them in order. What fails, or what a crash left,
        is relayed on the next tick."""
        if self._publish_due and (self._publisher is None or self._publisher.done()):
            self._publisher = asyncio.create_task(self._drain_publish(), name="alerts-publish")

    async def _drain_publish(self) -> None:
        try:
            while self._publish_due:
                self._publish_due = False
                while await self.repo.relay_bus():
                    pass
        except Exception as err:  # noqa: BLE001 - retried on the next tick
            self._publish_due = True
            log.warning("alert publish failed, will retry", extra={"error": repr(err)})

    # ------------------------------------------------------------------ API backend
    def now(self) -> datetime:
        return self.clock()

    def active(self) -> list[AlertRecord]:
        return self.engine.active()

    async def all_records(self) -> list[AlertRecord]:
        return await self.repo.list_alerts(firing_only=False)

    async def history(self, limit: int) -> list[dict[str, Any]]:
        return await self.repo.history(limit)

    async def acknowledge(self, key: str, by: str) -> AlertRecord | None:
        async with self._lock:
            record = self.engine.acknowledge(key, by, self.clock())
            if record is not None:
                await self.repo.save_records([record])
                self.hub.publish("ack", record_json(record))
            return record

    async def add_silence(self, silence: Silence) -> None:
        async with self._lock:
            self.engine.lifecycle.add_silence(silence)
            await self.repo.save_silence(silence)
        self.hub.publish("silence", silence_json(silence))

    async def expire_silence(self, silence_id: str) -> bool:
        async with self._lock:
            silence = self.engine.lifecycle.silences.get(silence_id)
            if silence is None:
                return False
            self.engine.lifecycle.expire_silence(silence_id)
            lifted = dataclasses.replace(silence, expires_at=self.clock())
            await self.repo.save_silence(lifted)
        self.hub.publish("silence", silence_json(lifted))
        return True

    def silences(self) -> list[Silence]:
        now = self.clock()
        return [s for s in self.engine.lifecycle.silences.values() if s.expires_at > now]


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
