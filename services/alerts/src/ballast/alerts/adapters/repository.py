"""Postgres for alerts: lifecycle records, history, the delivery outbox, attempts, silences.

The outbox row is unique per (alert key, notification sequence, channel): saving the same
transitions twice (a replayed fact, a retried handler) inserts nothing the second time, so a
notification is delivered once per channel however often the path above it runs.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

import asyncpg

from ballast.alerts.adapters.channels import Channels
from ballast.alerts.adapters.outbox import OutboxRow, outbox_row
from ballast.alerts.domain.model import (
    AlertRecord,
    Silence,
    Transitions,
    notification_payload,
)
from ballast.common.db import Postgres, from_row
from ballast.common.messages import AlertState, Severity
from ballast.common.outbox import Outbox
from ballast.common.subjects import alerts
from ballast.common.tracing import current_traceparent

Conn = asyncpg.Pool | asyncpg.Connection | asyncpg.pool.PoolConnectionProxy


def _text(value: Decimal | str | None) -> str | None:
    return None if value is None else str(value)


def _value(text: str | None) -> Decimal | str | None:
    if text is None:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return text


_UPSERT = """
INSERT INTO alerts_state (key, rule, base_severity, severity, labels, state, summary, description,
    value, starts_at, ends_at, last_seen_at, sequence, notified_state, notified_severity,
    last_notified_at, last_notified_value, escalated, acknowledged, acknowledged_by,
    acknowledged_at, route, family, send_resolved, updated_at)
VALUES ($1, $2, $3, $4, $5::jsonb, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
    $19, $20, $21, $22, $23, $24, now())
ON CONFLICT (key) DO UPDATE SET
    severity = EXCLUDED.severity, base_severity = EXCLUDED.base_severity,
    labels = EXCLUDED.labels, state = EXCLUDED.state, summary = EXCLUDED.summary,
    description = EXCLUDED.description, value = EXCLUDED.value, starts_at = EXCLUDED.starts_at,
    ends_at = EXCLUDED.ends_at, last_seen_at = EXCLUDED.last_seen_at,
    sequence = GREATEST(alerts_state.sequence, EXCLUDED.sequence),
    notified_state = EXCLUDED.notified_state, notified_severity = EXCLUDED.notified_severity,
    last_notified_at = EXCLUDED.last_notified_at,
    last_notified_value = EXCLUDED.last_notified_value, escalated = EXCLUDED.escalated,
    acknowledged = EXCLUDED.acknowledged, acknowledged_by = EXCLUDED.acknowledged_by,
    acknowledged_at = EXCLUDED.acknowledged_at, route = EXCLUDED.route,
    family = EXCLUDED.family, send_resolved = EXCLUDED.send_resolved, updated_at = now()
"""

_STATE_COLUMNS = """key text, rule text, base_severity text, severity text, labels jsonb,
    state text, summary text, description text, value text, starts_at timestamptz,
    ends_at timestamptz, last_seen_at timestamptz, sequence integer, notified_state text,
    notified_severity text, last_notified_at timestamptz, last_notified_value text,
    escalated boolean, acknowledged boolean, acknowledged_by text, acknowledged_at timestamptz,
    route text, family text, send_resolved boolean"""

_SAVE = f"""
WITH state AS (
    INSERT INTO alerts_state (key, rule, base_severity, severity, labels, state, summary,
        description, value, starts_at, ends_at, last_seen_at, sequence, notified_state,
        notified_severity, last_notified_at, last_notified_value, escalated, acknowledged,
        acknowledged_by, acknowledged_at, route, family, send_resolved, updated_at)
    SELECT x.*, now() FROM jsonb_to_recordset($1::jsonb) AS x({_STATE_COLUMNS})
    ON CONFLICT (key) DO UPDATE SET
        severity = EXCLUDED.severity, base_severity = EXCLUDED.base_severity,
        labels = EXCLUDED.labels, state = EXCLUDED.state, summary = EXCLUDED.summary,
        description = EXCLUDED.description, value = EXCLUDED.value,
        starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at,
        last_seen_at = EXCLUDED.last_seen_at,
        sequence = GREATEST(alerts_state.sequence, EXCLUDED.sequence),
        notified_state = EXCLUDED.notified_state,
        notified_severity = EXCLUDED.notified_severity,
        last_notified_at = EXCLUDED.last_notified_at,
        last_notified_value = EXCLUDED.last_notified_value, escalated = EXCLUDED.escalated,
        acknowledged = EXCLUDED.acknowledged, acknowledged_by = EXCLUDED.acknowledged_by,
        acknowledged_at = EXCLUDED.acknowledged_at, route = EXCLUDED.route,
        family = EXCLUDED.family, send_resolved = EXCLUDED.send_resolved, updated_at = now()
    RETURNING 1
), history AS (
    INSERT INTO alerts_history (key, sequence, notification_id, rule, severity, state, reason,
        route, payload, notified_at)
    SELECT * FROM jsonb_to_recordset($2::jsonb) AS x(key text, sequence integer,
        notification_id text, rule text, severity text, state text, reason text, route text,
        payload jsonb, notified_at timestamptz)
    ON CONFLICT (key, sequence) DO NOTHING
    RETURNING 1
)
INSERT INTO alerts_outbox (key, sequence, channel, notification_id, severity, payload,
    next_attempt_at, created_at, expires_at, lease_until, attempts, trace_context)
SELECT x.key, x.sequence, x.channel, x.notification_id, x.severity, x.payload, $4, $4, $5, $6,
    CASE WHEN $6::timestamptz IS NULL THEN 0 ELSE 1 END, $7
FROM jsonb_to_recordset($3::jsonb) AS x(key text, sequence integer, channel text,
    notification_id text, severity text, payload jsonb)
ON CONFLICT (key, sequence, channel) DO NOTHING
RETURNING id, key, sequence, channel, notification_id, severity, payload, attempts, created_at,
    expires_at, trace_context
"""  # noqa: S608 - the only interpolation is the constant column list above
"""Records, history and outbox rows in ONE statement (one round trip, atomic by itself)."""


def _record_doc(r: AlertRecord) -> dict[str, Any]:
    def ts(value: datetime | None) -> str | None:
        return None if value is None else value.isoformat()

    return {
        "key": r.key, "rule": r.rule, "base_severity": r.base_severity.value,
        "severity": r.severity.value, "labels": r.labels, "state": r.state.value,
        "summary": r.summary, "description": r.description, "value": _text(r.value),
        "starts_at": ts(r.starts_at), "ends_at": ts(r.ends_at),
        "last_seen_at": ts(r.last_seen_at), "sequence": r.sequence,
        "notified_state": r.notified_state.value if r.notified_state else None,
        "notified_severity": r.notified_severity.value if r.notified_severity else None,
        "last_notified_at": ts(r.last_notified_at),
        "last_notified_value": _text(r.last_notified_value), "escalated": r.escalated,
        "acknowledged": r.acknowledged, "acknowledged_by": r.acknowledged_by,
        "acknowledged_at": ts(r.acknowledged_at), "route": r.route, "family": r.family,
        "send_resolved": r.send_resolved,
    }  # fmt: skip


def _record_args(r: AlertRecord) -> tuple[Any, ...]:
    return (
        r.key, r.rule, r.base_severity.value, r.severity.value, json.dumps(r.labels),
        r.state.value, r.summary, r.description, _text(r.value), r.starts_at, r.ends_at,
        r.last_seen_at, r.sequence, r.notified_state.value if r.notified_state else None,
        r.notified_severity.value if r.notified_severity else None, r.last_notified_at,
        _text(r.last_notified_value), r.escalated, r.acknowledged, r.acknowledged_by,
        r.acknowledged_at, r.route, r.family, r.send_resolved,
    )  # fmt: skip


def _record(row: asyncpg.Record) -> AlertRecord:
    notified_state, notified_severity = row["notified_state"], row["notified_severity"]
    return from_row(
        AlertRecord, row,
        base_severity=Severity(row["base_severity"]),
        severity=Severity(row["severity"]),
        labels=json.loads(row["labels"]),
        state=AlertState(row["state"]),
        value=_value(row["value"]),
        notified_state=AlertState(notified_state) if notified_state else None,
        notified_severity=Severity(notified_severity) if notified_severity else None,
        last_notified_value=_value(row["last_notified_value"]),
    )


class AlertsRepository:
    def __init__(self, pool: Postgres, bus_outbox: Outbox | None = None) -> None:
        self.pool = pool
        self.bus_outbox = bus_outbox
        """alerts.<severity> copies, written with their notification (ballast.common.outbox)."""

    # ------------------------------------------------------------------ transitions
    async def save(
        self,
        out: Transitions,
        channels: Channels,
        now: datetime,
        expiry: timedelta,
        lease: timedelta | None = None,
    ) -> list[OutboxRow]:
        """Records, history and outbox rows in one transaction. Returns the rows inserted.

        With `lease`, the new rows come back already leased (attempt 1) for the caller to send
        at once; should that send never report, the lease runs out and the loop retries them.
        """
        if not out.changed and not out.notifications:
            return []
        lease_until = None if lease is None else now + lease
        records = [_record_doc(r) for r in out.changed.values()]
        history: list[dict[str, Any]] = []
        outbox: list[dict[str, Any]] = []
        for n in out.notifications:
            payload = notification_payload(n)
            history.append({
                "key": n.key, "sequence": n.sequence, "notification_id": n.id,
                "rule": n.alert.rule, "severity": n.alert.severity.value,
                "state": n.alert.state.value, "reason": n.reason, "route": n.route,
                "payload": payload, "notified_at": n.alert.notified_at.isoformat(),
            })  # fmt: skip
            outbox.extend(
                {"key": n.key, "sequence": n.sequence, "channel": channel.id,
                 "notification_id": n.id, "severity": n.alert.severity.value, "payload": payload}
                for channel in channels.for_route(n.route)
            )  # fmt: skip
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                _SAVE, json.dumps(records), json.dumps(history), json.dumps(outbox),
                now, now + expiry, lease_until, current_traceparent(),
            )  # fmt: skip
            if self.bus_outbox is not None:
                for n in out.notifications:
                    await self.bus_outbox.add(
                        conn, n.alert, alerts(n.alert.severity.value), f"{n.key}#{n.sequence}"
                    )
        return sorted((outbox_row(r) for r in rows), key=lambda row: row.id)

    async def relay_bus(self) -> int:
        """Publish the alerts.<severity> copies not yet on the bus, oldest first; how many."""
        return 0 if self.bus_outbox is None else await self.bus_outbox.relay(self.pool)

    async def save_records(self, records: Iterable[AlertRecord]) -> None:
        rows = [_record_args(r) for r in records]
        if rows:
            await self.pool.executemany(_UPSERT, rows)

    async def load_records(self) -> list[AlertRecord]:
        return [_record(r) for r in await self.pool.fetch("SELECT * FROM alerts_state")]

    async def list_alerts(self, *, firing_only: bool = True) -> list[AlertRecord]:
        where = "WHERE state = 'firing'" if firing_only else ""
        rows = await self.pool.fetch(f"SELECT * FROM alerts_state {where} ORDER BY starts_at")  # noqa: S608
        return [_record(r) for r in rows]

    async def history(self, limit: int = 100) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            "SELECT payload FROM alerts_history ORDER BY id DESC LIMIT $1", limit
        )
        return [json.loads(r["payload"]) for r in rows]

    # ------------------------------------------------------------------ silences
    async def save_silence(self, s: Silence) -> None:
        await self.pool.execute(
            """INSERT INTO alerts_silences (id, matchers, starts_at, expires_at, created_by, reason)
               VALUES ($1, $2::jsonb, $3, $4, $5, $6)
               ON CONFLICT (id) DO UPDATE SET matchers = EXCLUDED.matchers,
                   starts_at = EXCLUDED.starts_at, expires_at = EXCLUDED.expires_at""",
            s.id, json.dumps(dict(s.matchers)), s.starts_at, s.expires_at, s.created_by, s.reason,
        )  # fmt: skip

    async def load_silences(self, now: datetime) -> list[Silence]:
        rows = await self.pool.fetch("SELECT * FROM alerts_silences WHERE expires_at > $1", now)
        return [
            Silence(
                id=r["id"],
                matchers=json.loads(r["matchers"]),
                starts_at=r["starts_at"],
                expires_at=r["expires_at"],
                created_by=r["created_by"],
                reason=r["reason"],
            )
            for r in rows
        ]

    # ------------------------------------------------------------------ outbox
    async def prune(self, before: datetime) -> dict[str, int]:
        """Forget settled outbox rows, attempts and notifications older than `before`.

        Pending rows and the lifecycle records (alerts_state) are never pruned: they carry the
        sequences that keep notification ids unique.
        """
        counts: dict[str, int] = {}
        async with self.pool.acquire() as conn:
            for table, where in (
                ("alerts_outbox", "status <> 'pending' AND created_at < $1"),
                ("alerts_deliveries", "attempted_at < $1"),
                ("alerts_history", "notified_at < $1"),
            ):
                status = await conn.execute(f"DELETE FROM {table} WHERE {where}", before)  # noqa: S608
                counts[table] = int(status.rsplit(" ", 1)[-1])
        return counts
