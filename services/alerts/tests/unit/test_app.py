"""The alerts core (app.py) with in-memory fakes of its ports (no Postgres, no NATS, no HTTP):
a fact is recorded, streamed, handed to delivery and relayed to the bus; a failed record is kept
and retried; silences and acknowledgements; rules reloads; heartbeats expected at start."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from ballast.alerts.adapters.channels import Channels
from ballast.alerts.adapters.outbox import OutboxRow
from ballast.alerts.adapters.rules_file import load_rules
from ballast.alerts.app import Alerts
from ballast.alerts.domain.config import RulesConfig
from ballast.alerts.domain.model import AlertRecord, Silence, Transitions, notification_payload
from ballast.alerts.metrics import AlertsMetrics
from ballast.alerts.settings import AlertsSettings
from ballast.common.messages import ControlCommand, ControlVerb

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
URL = "json://hooks.local/alerts"


class FakeRecord:
    """The Record port in memory; `fail` makes the next save raise (Postgres down)."""

    def __init__(self) -> None:
        self.records: dict[str, AlertRecord] = {}
        self.notified: list[dict[str, Any]] = []
        self.silences: dict[str, Silence] = {}
        self.bus: list[str] = []
        self.unsent: list[str] = []
        self.fail = False
        self.next_id = 0

    async def save(self, out: Transitions, channels: Channels, now: datetime, expiry: timedelta,
                   lease: timedelta | None = None) -> list[OutboxRow]:
        if self.fail:
            raise ConnectionError("postgres down")
        self.records.update(out.changed)
        rows: list[OutboxRow] = []
        for n in out.notifications:
            self.notified.append(notification_payload(n))
            self.unsent.append(f"{n.key}#{n.sequence}")
            for channel in channels.for_route(n.route):
                self.next_id += 1
                rows.append(OutboxRow(
                    id=self.next_id, key=n.key, sequence=n.sequence, channel=channel.id,
                    notification_id=n.id, severity=n.alert.severity.value,
                    payload=notification_payload(n), attempts=1, created_at=now,
                    expires_at=now + expiry,
                ))  # fmt: skip
        return rows

    async def relay_bus(self) -> int:
        sent, self.unsent = self.unsent, []
        self.bus += sent
        return len(sent)

    async def save_records(self, records: Iterable[AlertRecord]) -> None:
        self.records.update({r.key: r for r in records})

    async def load_records(self) -> list[AlertRecord]:
        return list(self.records.values())

    async def list_alerts(self, *, firing_only: bool = True) -> list[AlertRecord]:
        return [r for r in self.records.values() if r.firing or not firing_only]

    async def history(self, limit: int = 100) -> list[dict[str, Any]]:
        return self.notified[-limit:]

    async def save_silence(self, s: Silence) -> None:
        self.silences[s.id] = s

    async def load_silences(self, now: datetime) -> list[Silence]:
        return [s for s in self.silences.values() if s.expires_at > now]

    async def prune(self, before: datetime) -> dict[str, int]:
        return {}


class FakeRules:
    def __init__(self) -> None:
        self.next: RulesConfig | None = None

    def poll(self, *, force: bool = False) -> RulesConfig | None:
        config, self.next = self.next, None
        return config


class FakeDelivery:
    def __init__(self) -> None:
        self.rows: list[OutboxRow] = []

    def deliver_now(self, rows: Sequence[OutboxRow]) -> None:
        self.rows += rows


class FakeStream:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def publish(self, event: str, data: dict[str, Any]) -> None:
        self.events.append((event, data))


class World:
    def __init__(self, **settings: Any) -> None:
        self.now = T0
        self.record, self.rules = FakeRecord(), FakeRules()
        self.delivery, self.stream = FakeDelivery(), FakeStream()
        self.settings = AlertsSettings(
            database_url="postgresql://x/y", grouping=False,  # type: ignore[arg-type]
            channels={"critical": [URL], "warning": [URL]}, **settings,
        )
        self.core = Alerts(
            self.settings, load_rules(), record=self.record, rules_file=self.rules,
            channels=Channels(self.settings.channels), delivery=self.delivery,
            stream=self.stream, metrics=AlertsMetrics(CollectorRegistry()),
            lease=timedelta(seconds=60), clock=lambda: self.now,
        )

    async def settle(self) -> None:
        for _ in range(5):
            await asyncio.sleep(0)


async def test_on_fact__breach__recorded_streamed_delivered_and_relayed(facts: Any) -> None:
    w = World()
    await w.core.on_fact(*facts.validator(jailed=True))
    await w.settle()
    assert [r.rule for r in w.core.active()] == ["validator_jailed"]
    key = w.core.active()[0].key
    assert key in w.record.records
    assert [e for e, _ in w.stream.events] == ["alert"]
    assert [r.key for r in w.delivery.rows] == [key]
    assert w.record.bus == [f"{key}#1"]
    (family,) = w.core.metrics.notifications.collect()
    assert [s.value for s in family.samples if s.name.endswith("_total")] == [1]


async def test_on_fact__record_down__kept_and_saved_with_the_next_fact(facts: Any) -> None:
    w = World()
    w.record.fail = True
    with pytest.raises(ConnectionError):
        await w.core.on_fact(*facts.validator(jailed=True))
    assert not w.delivery.rows and not w.record.notified
    w.record.fail = False
    await w.core.tick()
    await w.settle()
    assert len(w.delivery.rows) == 1
    assert len(w.record.notified) == 1  # decided once, saved once
    assert await w.core.history(10) == w.record.notified


async def test_on_control__silence_then_ack(facts: Any) -> None:
    w = World()
    await w.core.on_fact(*facts.validator(jailed=True))
    key = w.core.active()[0].key
    await w.core.on_control(ControlCommand(
        command_id="s-1", command=ControlVerb.SILENCE, matchers={"rule": "validator_jailed"},
        issued_by="alice", issued_at=T0, reason="maintenance",
    ))  # fmt: skip
    assert w.record.silences["s-1"].expires_at == T0 + timedelta(hours=2)
    assert [s.id for s in w.core.silences()] == ["s-1"]
    await w.core.on_control(ControlCommand(
        command_id="a-1", command=ControlVerb.ACK, target=key, issued_by="bob", issued_at=T0,
    ))  # fmt: skip
    assert w.record.records[key].acknowledged_by == "bob"
    assert [e for e, _ in w.stream.events] == ["alert", "silence", "ack"]
    assert await w.core.expire_silence("s-1") and not w.core.silences()


async def test_reload_rules__new_threshold__applied_and_counted(facts: Any) -> None:
    w = World()
    rules = load_rules()
    w.rules.next = dataclasses.replace(rules, rules=rules.rules[:3])
    await w.core.reload_rules()
    assert len(w.core.engine.config.rules) == 3
    assert w.core.metrics.rules._value.get() == 3


async def test_start__expected_service_never_seen__missing_after_grace(facts: Any) -> None:
    w = World(expected_services=["oracle"], expected_grace_seconds=5)
    await w.core.start()
    w.now = T0 + timedelta(minutes=10)
    await w.core.tick()
    missing = [r for r in w.core.active() if r.labels.get("service") == "oracle"]
    assert missing, [r.rule for r in w.core.active()]
