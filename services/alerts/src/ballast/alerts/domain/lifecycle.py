"""The alert lifecycle, Alertmanager-grade: observations and time in, notifications out.

- One record per deterministic key (rule + sorted labels). A notification is numbered per key;
  (key, sequence) is the idempotency key of everything downstream (bus msg id, outbox row).
- Firing and resolved notifications. A record tells each episode (starts_at) once: a replayed
  fact changes nothing, so 100 replays make one alert and one notification.
- Hysteresis: an alert fires past `threshold` and resolves only past `clear` (re-arm after
  recovery); while firing it re-notifies early only when the value got worse by `renotify_step`.
- Repeat interval for unacknowledged firing alerts; escalation of an unacknowledged alert after
  `escalate_after` to `escalate_to` (a warning becomes critical).
- Silences (label matchers and an expiry) and inhibition (a firing alert of a higher severity in
  the same `family` with the same labels) hold notifications back; once lifted, the record is
  reconciled and the current state is told.
- Grouping: notifications wait `group_wait` for their group's first flush, then
  `group_interval` between flushes, and leave together (one digest per channel downstream).
- Watchdog rules are always firing and re-notify on a fresh fact only, so a silent watchdog
  means some stage between the bus and the channel stopped (the dead man's switch).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ballast.alerts.domain.config import Kind, Rule, RulesConfig
from ballast.alerts.domain.model import (
    SEVERITY_RANK,
    AlertRecord,
    Notification,
    Observation,
    Silence,
    Transitions,
    alert_key,
)
from ballast.common.messages import AlertState


@dataclass
class _Group:
    pending: dict[str, Notification] = field(default_factory=dict[str, Notification])
    first_pending_at: datetime | None = None
    last_flush_at: datetime | None = None


class Lifecycle:
    def __init__(self, config: RulesConfig) -> None:
        self.config = config
        self._rules = {rule.name: rule for rule in config.rules}
        self.records: dict[str, AlertRecord] = {}
        self.silences: dict[str, Silence] = {}
        self._groups: dict[str, _Group] = {}

    def reload(self, config: RulesConfig, now: datetime) -> Transitions:
        """New rules; alerts of a rule that is gone resolve (told if their firing was)."""
        self.config = config
        self._rules = {rule.name: rule for rule in config.rules}
        out = Transitions()
        for record in self.records.values():
            if record.firing and record.rule not in self._rules:
                record.state, record.ends_at = AlertState.RESOLVED, now
                record.summary = f"{record.summary} (rule removed)"
                out.changed[record.key] = record
                if record.told and record.send_resolved:
                    self._notify(record, now, "rule removed", out)
        return self._flush(now, out)

    def restore(self, records: Iterable[AlertRecord], silences: Iterable[Silence]) -> None:
        """Continue from the records in Postgres after a restart (sequences carry on)."""
        self.records.update({record.key: record for record in records})
        self.silences.update({silence.id: silence for silence in silences})

    # ------------------------------------------------------------------ observations
    def apply(self, observation: Observation, now: datetime) -> Transitions:
        out = Transitions()
        rule = self._rules.get(observation.rule)
        if rule is None:
            return out
        record = self.records.get(observation.key)
        if record is None or not record.firing:
            if observation.active:
                record = self._open(rule, observation, record, now)
                out.changed[record.key] = record
                self._reconcile(record, now, "firing", out)
            return self._flush(now, out)
        record.last_seen_at = now
        if observation.cleared:
            record.state, record.ends_at = AlertState.RESOLVED, now
            record.value = observation.value if observation.value is not None else record.value
            record.summary = observation.summary or record.summary  # the resolved page: now
            out.changed[record.key] = record
            self._reconcile(record, now, "resolved", out)
            return self._flush(now, out)
        worse = (observation.active and record.notified_state is AlertState.FIRING
                 and rule.worse_by_step(record.last_notified_value, observation.value))
        if (observation.value, observation.summary, observation.description) != (
            record.value, record.summary, record.description
        ):
            record.value = observation.value
            record.summary = observation.summary or record.summary
            record.description = observation.description or record.description
            out.changed[record.key] = record
        if rule.kind is Kind.WATCHDOG and self._due(record, self._repeat(rule), now):
            self._notify(record, now, "watchdog", out)
        elif worse and not self._suppressed(record, now):
            self._notify(record, now, "worse", out)
        return self._flush(now, out)

    def _open(
        self, rule: Rule, obs: Observation, record: AlertRecord | None, now: datetime
    ) -> AlertRecord:
        if record is None:
            record = AlertRecord(
                key=obs.key,
                rule=rule.name,
                base_severity=rule.severity,
                severity=rule.severity,
                labels=dict(obs.labels),
                state=AlertState.FIRING,
                summary=obs.summary or rule.summary,
                description=obs.description or rule.description,
                value=obs.value,
                starts_at=now,
                last_seen_at=now,
            )
            self.records[record.key] = record
        record.state, record.starts_at, record.ends_at = AlertState.FIRING, now, None
        record.last_seen_at, record.value = now, obs.value
        record.summary = obs.summary or rule.summary
        record.description = obs.description or rule.description
        record.severity, record.base_severity = rule.severity, rule.severity
        record.escalated = record.acknowledged = False
        record.acknowledged_by = record.acknowledged_at = None
        record.route, record.family, record.send_resolved = (
            rule.route_name,
            rule.family,
            rule.send_resolved,
        )
        return record

    # ------------------------------------------------------------------ time
    def tick(self, now: datetime) -> Transitions:
        """Expire silences, resolve stale alerts, escalate, repeat, lift held notifications."""
        out = Transitions()
        for silence_id in [s.id for s in self.silences.values() if now >= s.expires_at]:
            del self.silences[silence_id]
        for record in list(self.records.values()):
            rule = self._rules.get(record.rule)
            if rule is None:
                continue
            if record.firing and rule.kind is not Kind.WATCHDOG:
                self._tick_firing(rule, record, now, out)
            else:
                self._reconcile(record, now, "reconciled", out)
        return self._flush(now, out)

    def _tick_firing(
        self, rule: Rule, record: AlertRecord, now: datetime, out: Transitions
    ) -> None:
        if rule.resolve_after is not None and now - record.last_seen_at >= rule.resolve_after:
            record.state, record.ends_at = AlertState.RESOLVED, now
            out.changed[record.key] = record
            self._reconcile(record, now, "resolved", out)
            return
        if (
            rule.escalate_after is not None
            and not record.escalated
            and not record.acknowledged
            and now - record.starts_at >= rule.escalate_after
            and SEVERITY_RANK.get(rule.escalate_to, 0) > SEVERITY_RANK.get(record.severity, 0)
        ):
            record.severity, record.escalated = rule.escalate_to, True
            record.route = rule.escalate_to.value
            out.changed[record.key] = record
            if not self._suppressed(record, now):
                self._notify(record, now, "escalated", out)
                return
        if (
            not record.acknowledged
            and record.told
            and self._due(record, self._repeat(rule), now)
            and not self._suppressed(record, now)
        ):
            self._notify(record, now, "repeat", out)
            return
        self._reconcile(record, now, "reconciled", out)

    def _repeat(self, rule: Rule) -> timedelta:
        return rule.repeat_interval or self.config.repeat_interval

    @staticmethod
    def _due(record: AlertRecord, interval: timedelta, now: datetime) -> bool:
        return record.last_notified_at is None or now - record.last_notified_at >= interval

    # ------------------------------------------------------------------ operators
    def acknowledge(self, key: str, by: str, now: datetime) -> AlertRecord | None:
        """Stops repeats and escalation of the current episode. Unknown key: None."""
        record = self.records.get(key)
        if record is None:
            return None
        record.acknowledged, record.acknowledged_by, record.acknowledged_at = True, by, now
        return record

    def add_silence(self, silence: Silence) -> None:
        if not silence.matchers:
            raise ValueError("a silence needs at least one matcher")
        self.silences[silence.id] = silence

    def expire_silence(self, silence_id: str) -> bool:
        return self.silences.pop(silence_id, None) is not None

    def silenced_by(self, record: AlertRecord, now: datetime) -> list[str]:
        return [s.id for s in self.silences.values() if s.active(now) and s.matches(record)]

    def inhibited_by(self, record: AlertRecord) -> str | None:
        rank = SEVERITY_RANK.get(record.severity)
        if record.family is None or rank is None:
            return None
        for other in self.records.values():
            if (
                other.firing
                and other.key != record.key
                and other.family == record.family
                and other.labels == record.labels
                and SEVERITY_RANK.get(other.severity, 0) > rank
            ):
                return other.key
        return None

    def active(self) -> list[AlertRecord]:
        return [r for r in self.records.values() if r.firing]

    # ------------------------------------------------------------------ notifications
    def _suppressed(self, record: AlertRecord, now: datetime) -> bool:
        return bool(self.silenced_by(record, now)) or self.inhibited_by(record) is not None

    def _reconcile(self, record: AlertRecord, now: datetime, reason: str, out: Transitions) -> None:
        """Tell the current state once, unless held back by a silence or an inhibition."""
        if record.firing:
            if record.told or self._suppressed(record, now):
                return
            self._notify(record, now, reason, out)
        elif record.told and record.notified_state is AlertState.FIRING:
            if record.send_resolved and not self._suppressed(record, now):
                self._notify(record, now, reason, out)
            elif not record.send_resolved:
                record.notified_state = AlertState.RESOLVED  # nothing to tell, episode closed

    def _notify(self, record: AlertRecord, now: datetime, reason: str, out: Transitions) -> None:
        record.sequence += 1
        record.notified_state, record.notified_severity = record.state, record.severity
        record.last_notified_at, record.last_notified_value = now, record.value
        out.changed[record.key] = record
        rule = self._rules.get(record.rule)
        group_labels = {k: record.labels.get(k, "") for k in (rule.group_by if rule else ())}
        notification = Notification(
            alert=record.to_message(now, rule.runbook_url if rule else None),
            sequence=record.sequence,
            route=record.route or record.severity.value,
            group=alert_key(record.rule, group_labels) + "@" + record.severity.value,
            reason=reason,
        )
        group = self._groups.setdefault(notification.group, _Group())
        if not group.pending:
            group.first_pending_at = now
        group.pending[notification.key] = notification

    def _flush(self, now: datetime, out: Transitions) -> Transitions:
        grouping = self.config.grouping
        for name, group in list(self._groups.items()):
            if not group.pending or group.first_pending_at is None:
                idle = group.last_flush_at is None or (
                    now - group.last_flush_at > grouping.group_interval
                )
                if idle:
                    del self._groups[name]
                continue
            if group.last_flush_at is None:
                due = group.first_pending_at + grouping.group_wait
            else:
                due = max(group.first_pending_at, group.last_flush_at + grouping.group_interval)
            if now >= due:
                out.notifications.extend(group.pending.values())
                group.pending, group.first_pending_at, group.last_flush_at = {}, None, now
        return out
