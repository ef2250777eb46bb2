"""Transactional outbox: a service's rows and the messages they cause, or neither (DESIGN.md).

A service writes each message it must publish into its outbox table in the same Postgres
transaction as the rows that cause it (`Outbox.add`). After the commit it publishes them at once
(`Outbox.flush`: no extra latency on the hot path), each with its `Nats-Msg-Id`, and marks them
sent. What a crash leaves behind is published by the relay (`Outbox.relay`, at start and every
few seconds):

- killed after the commit, before the publish: the rows are unsent; the relay publishes them;
- killed after the publish, before the mark: the relay publishes again under the same msg-id,
  which JetStream drops inside the stream's duplicate window, so consumers see one message;
- the publish fails (a JetStream ack that times out on a loaded server, NATS away): `flush`
  logs a warning and leaves the rest unsent for the relay; the caller's work is committed and
  does not fail with it (a message so deferred may reach consumers after a later one).

The relay takes its rows with `FOR UPDATE SKIP LOCKED`, so replicas never publish one row twice
at the same time, and resumes each row's trace (`traceparent` kept with the row), so a message
published after a restart stays in the trace of the work that caused it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

import asyncpg
from opentelemetry import context as otel_context

from ballast.common.db import Postgres
from ballast.common.messages import Message
from ballast.common.tracing import current_traceparent, resume

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy
_TABLE = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
log = logging.getLogger("ballast.outbox")


class JsonPublisher(Protocol):
    """What the outbox needs of the bus (ballast.common.bus.Bus has it)."""

    async def publish_json(self, data: bytes, subject: str, *, msg_id: str) -> None: ...


@dataclass(frozen=True)
class Pending:
    """A message written in a transaction, to publish once it commits."""

    msg_id: str
    subject: str
    payload: str
    traceparent: str | None


def ddl(table: str) -> str:
    """The outbox table of a service: put it in one of the service's migrations."""
    _check(table)
    return (
        f"CREATE TABLE IF NOT EXISTS {table} (\n"
        "    id          bigserial PRIMARY KEY,\n"
        "    msg_id      text NOT NULL UNIQUE,\n"
        "    subject     text NOT NULL,\n"
        "    payload     text NOT NULL,\n"
        "    traceparent text,\n"
        "    created_at  timestamptz NOT NULL DEFAULT now(),\n"
        "    sent_at     timestamptz\n"
        ");\n"
        f"CREATE INDEX IF NOT EXISTS {table}_unsent ON {table} (id) WHERE sent_at IS NULL;\n"
    )


def rows_args(pending: Sequence[Pending]) -> tuple[list[str], ...] | tuple[list[str | None], ...]:
    """`Outbox.insert_sql`'s parameters: msg_id, subject, payload and traceparent columns."""
    return ([p.msg_id for p in pending], [p.subject for p in pending],
            [p.payload for p in pending], [p.traceparent for p in pending])


def _check(table: str) -> None:
    if not _TABLE.match(table):
        raise ValueError(f"outbox table name must match {_TABLE.pattern}: {table!r}")


class Outbox:
    def __init__(self, table: str, publisher: JsonPublisher) -> None:
        _check(table)
        self.table = table
        self.publisher = publisher

    async def add(self, conn: Conn, message: Message, subject: str, msg_id: str) -> Pending:
        """Write `message` in the caller's transaction. A msg_id already there is kept as is."""
        pending = self.pending(message, subject, msg_id)
        await conn.execute(self.insert_sql(1), *rows_args([pending]))
        return pending

    @staticmethod
    def pending(message: Message, subject: str, msg_id: str) -> Pending:
        """The row `add` writes, for a caller that writes it inside a statement of its own
        (`insert_sql`, `rows_args`): one round trip for its rows and the outbox's."""
        return Pending(msg_id, subject, message.model_dump_json(), current_traceparent())

    def insert_sql(self, first: int) -> str:
        """The INSERT of `rows_args`'s four arrays as parameters $first..$first+3 (a statement
        alone, or a data-modifying WITH of a bigger one). A msg_id already there is kept."""
        a, b, c, d = (f"${first + i}::text[]" for i in range(4))
        return (f"INSERT INTO {self.table} (msg_id, subject, payload, traceparent) "  # noqa: S608 - checked name
                f"SELECT * FROM unnest({a}, {b}, {c}, {d}) ON CONFLICT (msg_id) DO NOTHING")

    async def flush(self, pool: Postgres, pending: Sequence[Pending]) -> None:
        """Publish what a transaction just committed, in order, then mark it sent; from the
        first publish that fails on, the relay's (a warning, not the caller's failure)."""
        sent: list[str] = []
        for p in pending:
            try:
                await self.publisher.publish_json(p.payload.encode(), p.subject, msg_id=p.msg_id)
            except Exception as err:  # noqa: BLE001 - committed rows: the relay publishes them
                log.warning("outbox publish deferred to the relay", extra={
                    "table": self.table, "subject": p.subject, "msg_id": p.msg_id,
                    "unsent": len(pending) - len(sent), "error": repr(err)})
                break
            sent.append(p.msg_id)
        if sent:
            await pool.execute(
                f"UPDATE {self.table} SET sent_at = now() "  # noqa: S608 - checked name
                "WHERE msg_id = ANY($1::text[]) AND sent_at IS NULL",
                sent,
            )

    async def relay(self, pool: Postgres, limit: int = 500) -> int:
        """Publish every unsent row (oldest first), each in its own trace; how many."""
        async with pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                f"SELECT id, msg_id, subject, payload, traceparent FROM {self.table} "  # noqa: S608 - checked name
                "WHERE sent_at IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED",
                limit,
            )
            for row in rows:
                token = otel_context.attach(resume(row["traceparent"]))
                try:
                    await self.publisher.publish_json(
                        str(row["payload"]).encode(), row["subject"], msg_id=row["msg_id"]
                    )
                finally:
                    otel_context.detach(token)
            if rows:
                await conn.execute(
                    f"UPDATE {self.table} SET sent_at = now() WHERE id = ANY($1::bigint[])",  # noqa: S608 - checked name
                    [r["id"] for r in rows],
                )
        return len(rows)

    async def prune(self, pool: Postgres, older_than: timedelta = timedelta(days=1)) -> None:
        """Forget sent rows past JetStream's duplicate window (a day by default)."""
        await pool.execute(
            f"DELETE FROM {self.table} WHERE sent_at < now() - $1::interval",  # noqa: S608 - checked name
            older_than,
        )
