"""The alert's data: what a rule observed, the lifecycle record, notifications, silences."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ballast.common.messages import Alert, AlertState, Severity

SEVERITY_RANK = {Severity.INFO: 1, Severity.WARNING: 2, Severity.CRITICAL: 3}
"""Inhibition order. Governance alerts stand apart: they neither inhibit nor get inhibited."""


def alert_key(rule: str, labels: Mapping[str, str]) -> str:
    """Deterministic: the rule name, then the labels sorted by name (`rule{a=1,b=2}`)."""
    if not labels:
        return rule
    return rule + "{" + ",".join(f"{k}={labels[k]}" for k in sorted(labels)) + "}"


def notification_id(key: str, sequence: int) -> str:
    """Header- and subject-safe id of one notification of one alert: the idempotency key."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    return f"{digest}-{sequence}"


@dataclass(frozen=True)
class Observation:
    """One rule's verdict on one label set, from a fact or from the passing of time.

    `active` breaches the firing threshold; `cleared` is past the clear threshold (hysteresis:
    a firing alert resolves only once cleared). Both false means "in the dead band".
    """

    rule: str
    labels: Mapping[str, str]
    active: bool
    cleared: bool
    value: Decimal | str | None
    summary: str
    at: datetime
    description: str = ""

    @property
    def key(self) -> str:
        return alert_key(self.rule, self.labels)


@dataclass
class AlertRecord:
    """The lifecycle state of one alert key. Mutated only by `Lifecycle`."""

    key: str
    rule: str
    base_severity: Severity
    severity: Severity
    labels: dict[str, str]
    state: AlertState
    summary: str
    description: str
    value: Decimal | str | None
    starts_at: datetime
    last_seen_at: datetime
    ends_at: datetime | None = None
    sequence: int = 0
    notified_state: AlertState | None = None
    notified_severity: Severity | None = None
    last_notified_at: datetime | None = None
    last_notified_value: Decimal | str | None = None
    escalated: bool = False
    acknowledged: bool = False
    acknowledged_by: str | None = None
    acknowledged_at: datetime | None = None
    route: str = ""
    family: str | None = None
    send_resolved: bool = True

    @property
    def firing(self) -> bool:
        return self.state is AlertState.FIRING

    @property
    def told(self) -> bool:
        """Was the firing of the current episode notified?"""
        return (
            self.notified_state is AlertState.FIRING
            and self.last_notified_at is not None
            and self.last_notified_at >= self.starts_at
        )

    def to_message(self, notified_at: datetime, runbook_url: str | None = None) -> Alert:
        return Alert(
            key=self.key,
            rule=self.rule,
            severity=self.severity,
            state=self.state,
            labels=dict(self.labels),
            summary=self.summary,
            description=self.description,
            value=None if self.value is None else str(self.value),
            starts_at=self.starts_at,
            ends_at=self.ends_at,
            escalated=self.escalated,
            acknowledged=self.acknowledged,
            notified_at=notified_at,
            runbook_url=runbook_url,
        )


@dataclass(frozen=True)
class Notification:
    """One message about one alert, numbered per key: (key, sequence) is unique forever."""

    alert: Alert
    sequence: int
    route: str
    group: str
    reason: str

    @property
    def key(self) -> str:
        return self.alert.key

    @property
    def id(self) -> str:
        return notification_id(self.alert.key, self.sequence)


def notification_payload(n: Notification) -> dict[str, Any]:
    """What the history, the delivery outbox and the live stream keep of a notification."""
    return {
        "id": n.id,
        "sequence": n.sequence,
        "reason": n.reason,
        "route": n.route,
        "alert": n.alert.model_dump(mode="json"),
    }


@dataclass(frozen=True)
class Silence:
    """`control.silence`: label matchers (plus `rule`, `severity`) and an expiry."""

    id: str
    matchers: Mapping[str, str]
    expires_at: datetime
    starts_at: datetime
    created_by: str = ""
    reason: str = ""

    def active(self, now: datetime) -> bool:
        return self.starts_at <= now < self.expires_at

    def matches(self, record: AlertRecord) -> bool:
        if not self.matchers:
            return False
        for name, want in self.matchers.items():
            if name == "rule":
                got: str | None = record.rule
            elif name == "severity":
                got = record.severity.value
            elif name == "key":
                got = record.key
            else:
                got = record.labels.get(name)
            if got != want:
                return False
        return True


@dataclass
class Transitions:
    """What one step of the engine decided: notifications to send, records that changed."""

    notifications: list[Notification] = field(default_factory=list[Notification])
    changed: dict[str, AlertRecord] = field(default_factory=dict[str, AlertRecord])

    def extend(self, other: Transitions) -> None:
        self.notifications.extend(other.notifications)
        self.changed.update(other.changed)


def record_json(record: AlertRecord) -> dict[str, Any]:
    """What the HTTP API and its live stream show of an alert."""
    message = record.to_message(record.last_notified_at or record.starts_at)
    data = message.model_dump(mode="json")
    data.update(
        sequence=record.sequence,
        acknowledged_by=record.acknowledged_by,
        acknowledged_at=record.acknowledged_at.isoformat() if record.acknowledged_at else None,
        route=record.route,
    )
    return data


def silence_json(s: Silence) -> dict[str, Any]:
    """What the HTTP API and its live stream show of a silence."""
    return {
        "id": s.id,
        "matchers": dict(s.matchers),
        "starts_at": s.starts_at.isoformat(),
        "expires_at": s.expires_at.isoformat(),
        "created_by": s.created_by,
        "reason": s.reason,
    }
