"""The delivery outbox in Postgres: lease what is due, settle what was tried, expire the rest.

Rows are written by AlertsRepository.save (with the records and history, in one statement);
this is the side the delivery loop reads and updates.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from ballast.common.db import Postgres, from_row


@dataclass(frozen=True)
class OutboxRow:
    id: int
    key: str
    sequence: int
    channel: str
    notification_id: str
    severity: str
    payload: dict[str, Any]
    attempts: int
    created_at: datetime
    expires_at: datetime
    trace_context: str | None = None
    """The traceparent of the fact that caused it (its delivery span continues that trace)."""


def outbox_row(r: asyncpg.Record) -> OutboxRow:
    return from_row(OutboxRow, r, payload=json.loads(r["payload"]))


class Outbox:
    def __init__(self, pool: Postgres) -> None:
        self.pool = pool

    async def claim_due(self, now: datetime, lease: timedelta, limit: int) -> list[OutboxRow]:
        """Lease every pending row of each channel that has a due row.

        A channel is retried as a whole: rows that piled up while it was down leave together
        (as one digest) once it is back. SKIP LOCKED: replicas never take the same row.
        """
        rows = await self.pool.fetch(
            """UPDATE alerts_outbox SET lease_until = $2, attempts = attempts + 1
               WHERE id IN (
                   SELECT id FROM alerts_outbox
                   WHERE status = 'pending'
                     AND (lease_until IS NULL OR lease_until < $1)
                     AND channel IN (
                         SELECT DISTINCT channel FROM alerts_outbox
                         WHERE status = 'pending' AND next_attempt_at <= $1
                           AND (lease_until IS NULL OR lease_until < $1))
                   ORDER BY id LIMIT $3 FOR UPDATE SKIP LOCKED)
               RETURNING id, key, sequence, channel, notification_id, severity, payload,
                         attempts, created_at, expires_at, trace_context""",
            now, now + lease, limit,
        )  # fmt: skip
        return sorted((outbox_row(r) for r in rows), key=lambda row: row.id)

    async def settle(
        self,
        channel: str,
        ids: Sequence[int],
        error: str | None,
        at: datetime,
        retry_at: datetime | None,
        duration_ms: float,
    ) -> None:
        """Mark rows delivered (error None) or due again at `retry_at`, and log the attempt.

        One transaction with an asynchronous commit: this is bookkeeping after the send. Losing
        it to a crash means one more send of rows the receiver can drop by idempotency key,
        never a lost notification (the rows themselves were committed synchronously).
        """
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SET LOCAL synchronous_commit = off")
            if error is None:
                await conn.execute(
                    """UPDATE alerts_outbox SET status = 'delivered', delivered_at = $2,
                           lease_until = NULL, last_error = NULL
                       WHERE id = ANY($1::bigint[])""",
                    list(ids), at,
                )  # fmt: skip
            else:
                await conn.execute(
                    """UPDATE alerts_outbox SET next_attempt_at = $2, lease_until = NULL,
                           last_error = $3
                       WHERE id = ANY($1::bigint[]) AND status = 'pending'""",
                    list(ids), retry_at or at, error[:2000],
                )  # fmt: skip
            await conn.execute(
                """INSERT INTO alerts_deliveries (channel, outbox_ids, ok, error, attempted_at,
                       duration_ms) VALUES ($1, $2::bigint[], $3, $4, $5, $6)""",
                channel, list(ids), error is None, error, at, duration_ms,
            )  # fmt: skip

    async def failed(self, ids: Sequence[int], error: str, next_at: datetime) -> None:
        await self.pool.execute(
            """UPDATE alerts_outbox SET next_attempt_at = $2, lease_until = NULL, last_error = $3
               WHERE id = ANY($1::bigint[]) AND status = 'pending'""",
            list(ids), next_at, error[:2000],
        )  # fmt: skip

    async def expire(self, now: datetime) -> int:
        status = await self.pool.execute(
            """UPDATE alerts_outbox SET status = 'expired', lease_until = NULL
               WHERE status = 'pending' AND expires_at <= $1""",
            now,
        )
        return int(status.rsplit(" ", 1)[-1])

    async def next_due(self) -> datetime | None:
        return await self.pool.fetchval(
            "SELECT min(next_attempt_at) FROM alerts_outbox WHERE status = 'pending'"
        )

    async def outbox_counts(self) -> dict[str, int]:
        rows = await self.pool.fetch("SELECT status, count(*) AS n FROM alerts_outbox GROUP BY 1")
        return {r["status"]: int(r["n"]) for r in rows}
