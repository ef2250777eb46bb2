"""The gateway's own tables: stored reports and the control-command log."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ballast.common.db import Postgres
from ballast.common.messages import ControlCommand, Message

_COMMANDS = (
    "SELECT g.command_id, g.verb, g.issued_by, g.issued_at, g.target, g.decision_id, g.published,"
    " g.stream, g.stream_seq, g.error, i.accepted AS intervention_accepted,"
    " i.detail AS intervention_detail FROM gateway_control_commands g {join}"
    " ORDER BY g.issued_at DESC LIMIT $1"
)
"""`{join}` is one of two fixed clauses (commands()), never input."""


class GatewayRecords:
    def __init__(self, pool: Postgres) -> None:
        self.pool = pool

    async def store_report(self, kind: str, computed_at: datetime, report: Message) -> bool:
        """True when new (a redelivered report is stored once)."""
        status = await self.pool.execute(
            "INSERT INTO gateway_reports (kind, computed_at, payload) VALUES ($1, $2, $3::jsonb) "
            "ON CONFLICT (kind, computed_at) DO NOTHING",
            kind, computed_at, report.model_dump_json(),
        )
        return status.endswith(" 1")

    async def reports(self, kind: str, since: datetime, limit: int) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            "SELECT payload FROM gateway_reports WHERE kind = $1 AND computed_at >= $2 "
            "ORDER BY computed_at DESC LIMIT $3",
            kind, since, limit,
        )
        return [json.loads(r["payload"]) for r in rows]

    async def command_issued(self, cmd: ControlCommand) -> bool:
        """False when this command_id is already on record (a signed command sent twice)."""
        status = await self.pool.execute(
            "INSERT INTO gateway_control_commands (command_id, verb, issued_by, issued_at, "
            "target, decision_id, command) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) "
            "ON CONFLICT (command_id) DO NOTHING",
            cmd.command_id, cmd.command.value, cmd.issued_by, cmd.issued_at, cmd.target,
            cmd.decision_id, cmd.model_dump_json(),
        )
        return status.endswith(" 1")

    async def command_answered(
        self, command_id: str, stream: str | None, seq: int | None, error: str | None
    ) -> None:
        await self.pool.execute(
            "UPDATE gateway_control_commands SET published = $2, stream = $3, stream_seq = $4, "
            "error = $5 WHERE command_id = $1",
            command_id, error is None, stream, seq, error,
        )

    async def commands(self, limit: int) -> list[dict[str, Any]]:
        """The log, newest first, with the intervention service's answer where it gave one
        (intervention_commands: accepted or refused, and why)."""
        async with self.pool.acquire() as conn:
            answers = await conn.fetchval("SELECT to_regclass('intervention_commands') IS NOT NULL")
            join = (
                "LEFT JOIN intervention_commands i USING (command_id)" if answers
                else "LEFT JOIN (SELECT NULL::text AS command_id, NULL::boolean AS accepted, "
                     "NULL::text AS detail) i USING (command_id)"
            )
            sql = _COMMANDS.format(join=join)
            rows = await conn.fetch(sql, limit)
        return [
            {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in r.items()}
            for r in rows
        ]
