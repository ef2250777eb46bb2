"""The alerts service's application core: a fact -> the rules -> record, stream, bus, delivery.

The path of one fact: handlers.py -> `Alerts.on_fact` -> the engine (domain/, pure, under one
lock so records change in order) -> the record (records, history, delivery outbox rows and the
`alerts.<severity>` bus copies; one transaction) -> the live stream -> the delivery loop is
handed the new rows -> the bus outbox is relayed (Nats-Msg-Id = key#sequence). A step that fails
keeps its work queued and is retried on the next fact or tick: the engine never decides the same
notification twice, so nothing is lost and nothing is doubled.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from ballast.alerts.adapters.channels import Channels
from ballast.alerts.adapters.outbox import OutboxRow
from ballast.alerts.domain.config import Grouping, Kind, RulesConfig
from ballast.alerts.domain.engine import AlertEngine
from ballast.alerts.domain.model import (
    AlertRecord,
    Silence,
    Transitions,
    notification_payload,
    record_json,
    silence_json,
)
from ballast.alerts.metrics import AlertsMetrics
from ballast.alerts.settings import AlertsSettings
from ballast.common.messages import ControlCommand, ControlVerb, Message, utcnow
from ballast.common.subjects import heartbeat, subject_matches

log = logging.getLogger("ballast.alerts")

DEFAULT_SILENCE = timedelta(hours=2)
Clock = Callable[[], datetime]


# ---------------------------------------------------------------------- ports
class Record(Protocol):
    """The alerts' Postgres and its bus outbox (adapters/repository.py)."""

    async def save(self, out: Transitions, channels: Channels, now: datetime, expiry: timedelta,
                   lease: timedelta | None = None) -> list[OutboxRow]: ...
    async def relay_bus(self) -> int: ...
    async def save_records(self, records: Iterable[AlertRecord]) -> None: ...
    async def load_records(self) -> list[AlertRecord]: ...
    async def list_alerts(self, *, firing_only: bool = True) -> list[AlertRecord]: ...
    async def history(self, limit: int = 100) -> list[dict[str, Any]]: ...
    async def save_silence(self, s: Silence) -> None: ...
    async def load_silences(self, now: datetime) -> list[Silence]: ...
    async def prune(self, before: datetime) -> dict[str, int]: ...


class Rules(Protocol):
    """The rules file (adapters/rules_file.py): new rules when it changed and parses."""

    def poll(self, *, force: bool = False) -> RulesConfig | None: ...


class Delivery(Protocol):
    """The delivery loop (delivery.py): rows just written go out at once."""

    def deliver_now(self, rows: Sequence[OutboxRow]) -> None: ...


class Stream(Protocol):
    """The live stream of the HTTP API (api.StreamHub)."""

    def publish(self, event: str, data: dict[str, Any]) -> None: ...


# ---------------------------------------------------------------------- the core
class Alerts:
    """One per process; see the module docstring. Also the HTTP API's backend (api.py)."""

    def __init__(
        self,
        settings: AlertsSettings,
        rules: RulesConfig,
        *,
        record: Record,
        rules_file: Rules,
        channels: Channels,
        delivery: Delivery,
        stream: Stream,
        metrics: AlertsMetrics,
        lease: timedelta,
        clock: Clock = utcnow,
    ) -> None:
        self.settings = settings
        self.repo = record
        self.rules_file = rules_file
        self.channels = channels
        self.delivery = delivery
        self.stream = stream
        self.metrics = metrics
        self.lease = lease
        self.clock = clock
        self.expiry = timedelta(seconds=settings.delivery_expiry_seconds)
        self.engine = AlertEngine(self._effective(rules))
        self.subscribed = sorted(self.engine.config.subjects())
        """The payload patterns handlers.py subscribes to (new ones need a restart)."""
        self.metrics.rules.set(len(self.engine.config.rules))
        self._lock = asyncio.Lock()
        self._unsaved: list[Transitions] = []
        self._publish_due = True
        """Relay the bus outbox: at start (what a crash left), after each notification."""
        self._publisher: asyncio.Task[None] | None = None

    # ------------------------------------------------------------------ start / stop
    async def start(self) -> None:
        """Restore the records and silences; expect the heartbeats of the expected services."""
        now = self.clock()
        self.engine.lifecycle.restore(
            await self.repo.load_records(), await self.repo.load_silences(now)
        )
        within = timedelta(seconds=self.settings.expected_grace_seconds)
        for rule in self.engine.config.rules:  # a service that never reports is missing too
            if rule.kind is not Kind.ABSENCE:
                continue
            for service in self.settings.expected_services:
                if subject_matches(rule.subject, heartbeat(service)):
                    labels = {name: service for name, path in rule.labels if path == "service"}
                    self.engine.evaluator.expect(rule.name, labels, now, within)

    async def stop(self) -> None:
        """Record what is still unsaved, and let the bus relay in flight finish."""
        with contextlib.suppress(Exception):
            await self._flush()
        if self._publisher is not None:
            await asyncio.gather(self._publisher, return_exceptions=True)

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

    async def prune(self) -> None:
        before = self.clock() - timedelta(days=self.settings.retention_days)
        pruned = await self.repo.prune(before)
        if any(pruned.values()):
            log.info("old alert history pruned", extra=pruned)

    async def reload_rules(self, *, force: bool = False) -> None:
        config = self.rules_file.poll(force=force)
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
        """Postgres first (the record), then the stream, the delivery loop and the bus."""
        while self._unsaved:
            out = self._unsaved[0]
            rows = await self.repo.save(
                out, self.channels, self.clock(), self.expiry, lease=self.lease
            )
            self._unsaved.pop(0)
            self.delivery.deliver_now(rows)
            for n in out.notifications:
                alert = n.alert
                self.metrics.notifications.labels(
                    alert.severity.value, alert.state.value, n.reason
                ).inc()
                self.stream.publish("alert", notification_payload(n))
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

    # ------------------------------------------------------------------ the API's backend
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
                self.stream.publish("ack", record_json(record))
            return record

    async def add_silence(self, silence: Silence) -> None:
        async with self._lock:
            self.engine.lifecycle.add_silence(silence)
            await self.repo.save_silence(silence)
        self.stream.publish("silence", silence_json(silence))

    async def expire_silence(self, silence_id: str) -> bool:
        async with self._lock:
            silence = self.engine.lifecycle.silences.get(silence_id)
            if silence is None:
                return False
            self.engine.lifecycle.expire_silence(silence_id)
            lifted = dataclasses.replace(silence, expires_at=self.clock())
            await self.repo.save_silence(lifted)
        self.stream.publish("silence", silence_json(lifted))
        return True

    def silences(self) -> list[Silence]:
        now = self.clock()
        return [s for s in self.engine.lifecycle.silences.values() if s.expires_at > now]
