"""Reads of the other services' tables (the system's record) and the gateway's own.

One database holds every service's tables (each service migrates its own). A table whose
service is not deployed reads as empty, never as an error: the API still answers.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from ballast.common.db import Postgres
from ballast.gateway.domain.queue import QueuedRequest
from ballast.gateway.domain.series import SeriesRef, Window

_SOURCES: dict[str, tuple[str, str, str, str]] = {
    # series -> (table, time column, value expression, extra condition)
    "price": ("oracle_consensus", "computed_at", "price", "symbol = $4 AND price IS NOT NULL"),
    "reserve_ratio": ("treasury_snapshots", "computed_at", "reserve_ratio",
                      "reserve_ratio IS NOT NULL"),
    "health_score": ("treasury_snapshots", "computed_at", "health_score",
                     "health_score IS NOT NULL"),
    "nav_per_share": ("etf_snapshots", "block_timestamp", "nav_per_share", "true"),
    "aum": ("etf_snapshots", "block_timestamp", "aum_usd", "true"),
    "var": ("gateway_reports", "computed_at", "(payload->>'var_historical_usd')::numeric",
            "kind = 'risk' AND payload->>'var_historical_usd' IS NOT NULL"),
    "expected_shortfall": ("gateway_reports", "computed_at",
                           "(payload->>'expected_shortfall_usd')::numeric",
                           "kind = 'risk' AND payload->>'expected_shortfall_usd' IS NOT NULL"),
}


class ReadModel:
    def __init__(self, pool: Postgres) -> None:
        self.pool = pool

    async def _exists(self, conn: Any, table: str) -> bool:
        return await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table)

    async def _rows(self, table: str, sql: str, *args: Any) -> list[dict[str, Any]]:
        """`sql`'s rows as JSON-ready dicts; none while `table` does not exist yet."""
        async with self.pool.acquire() as conn:
            if not await self._exists(conn, table):
                return []
            rows = await conn.fetch(sql, *args)
        return [_row(r) for r in rows]

    async def history(self, ref: SeriesRef, w: Window) -> list[dict[str, Any]]:
        table, at, value, where = _SOURCES[ref.name]
        # identifiers come from _SOURCES, values are parameters
        select = f"SELECT DISTINCT ON (bucket) date_bin($3, {at}, $1) AS bucket, {value} AS value"
        sql = (
            select + f" FROM {table} WHERE {at} >= $1 AND {at} < $2 AND {where}"  # noqa: S608
            f" ORDER BY bucket, {at} DESC"
        )
        args: list[Any] = [w.start, w.end, w.step]
        if ref.symbol is not None:
            args.append(ref.symbol)
        async with self.pool.acquire() as conn:
            if not await self._exists(conn, table):
                return []
            rows = await conn.fetch(sql, *args)
        return [{"t": r["bucket"].isoformat(), "value": _text(r["value"])} for r in rows]

    async def interventions(self, kinds: tuple[str, ...], limit: int) -> list[dict[str, Any]]:
        sql = (
            "SELECT decision_id, kind, strategy, action, mode, decided_at, amount_usd, phase, "
            "requires_approval, approved_by, approved_at, mined_hash, payload, outcome "
            "FROM intervention_decisions WHERE kind = ANY($1) ORDER BY decided_at DESC LIMIT $2"
        )
        return await self._rows("intervention_decisions", sql, list(kinds), limit)

    async def validators(self) -> list[dict[str, Any]]:
        """The latest round of each validator the validator-monitor records."""
        sql = (
            "SELECT DISTINCT ON (operator) operator, round, consensus, status_bits, "
            "in_validator_set, commission_thousandths, missed_blocks, misdemeanor_threshold, "
            "felony_threshold, total_delegated, our_delegation, estimated_apy, updated_at "
            "FROM validator_rounds ORDER BY operator, round DESC"
        )
        return await self._rows("validator_rounds", sql)

    async def alerts(self, firing_only: bool, limit: int) -> list[dict[str, Any]]:
        sql = (
            "SELECT key, rule, severity, labels, state, summary, description, value, starts_at, "
            "ends_at, acknowledged, acknowledged_by, route FROM alerts_state "
            "WHERE ($1 = false OR state = 'firing') ORDER BY starts_at DESC LIMIT $2"
        )
        return await self._rows("alerts_state", sql, firing_only, limit)

    async def withdrawal_queue(self) -> tuple[list[QueuedRequest], list[int]]:
        async with self.pool.acquire() as conn:
            if not await self._exists(conn, "contract_events"):
                return [], []
            queued = await conn.fetch(
                "SELECT args FROM contract_events WHERE event_name = 'RequestQueued'"
            )
            claimed = await conn.fetch(
                "SELECT args FROM contract_events WHERE event_name = 'WithdrawalClaimed'"
            )
        requests = [
            QueuedRequest(
                request_id=int(a["id"]), owner=a["owner"], asset=a["asset"],
                amount_raw=int(a["amount"]), shares_raw=int(a["shares"]),
                ready_at=datetime.fromtimestamp(int(a["readyAt"]), UTC),
            )
            for a in (_args(r["args"]) for r in queued)
        ]
        return requests, [int(_args(r["args"])["requestId"]) for r in claimed]


def _args(value: Any) -> dict[str, str]:
    return json.loads(value) if isinstance(value, str) else dict(value)


def _row(record: asyncpg.Record) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.items():
        if isinstance(value, datetime):
            out[key] = value.isoformat()
        elif key in ("payload", "outcome", "labels") and isinstance(value, str):
            out[key] = json.loads(value)
        elif value is None or isinstance(value, (bool, int, str)):
            out[key] = value
        else:
            out[key] = _text(value)  # Decimal and numeric(78,0) as strings, never floats
    return out


def _text(value: Any) -> str:
    """A number as plain decimal text (`50000`, never `5E+4`)."""
    return format(value, "f") if isinstance(value, Decimal) else str(value)
