"""Postgres record of the contract monitor (asyncpg). Batched writes: one INSERT ... SELECT
FROM unnest(...) per range of logs, ON CONFLICT DO NOTHING on (tx_hash, log_index)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from ballast.common.db import Postgres
from ballast.common.messages import EtfMetrics
from ballast.contract_monitor.adapters.abi import args_json
from ballast.contract_monitor.adapters.governance import Created
from ballast.contract_monitor.domain.model import (
    DecodedLog,
    EtfReading,
    FeedRaw,
    StoredLog,
    ValidatorAllocation,
)

_INSERT = """
INSERT INTO contract_events
    (tx_hash, log_index, block_number, block_hash, contract, source, event_name, kind, args)
SELECT t, i, b, h, c, s, e, k, a::jsonb
FROM unnest($1::text[], $2::int[], $3::bigint[], $4::text[], $5::text[], $6::text[],
            $7::text[], $8::text[], $9::text[]) AS u(t, i, b, h, c, s, e, k, a)
ON CONFLICT (tx_hash, log_index) DO NOTHING
"""

_SELECT = """SELECT tx_hash, log_index, block_number, block_hash, contract, source, event_name,
                    kind, args::text AS args FROM contract_events"""


_COLUMNS = ("tx_hash", "log_index", "block_number", "block_hash", "contract", "source",
            "event_name", "kind", "args")


async def _insert_logs(conn: Any, logs: Sequence[StoredLog]) -> None:
    """COPY when none of the logs is stored yet (the normal forward case, ~10x an INSERT);
    a replayed range hits the unique key and goes through INSERT ... ON CONFLICT DO NOTHING."""
    records = _records(logs)
    try:
        async with conn.transaction():  # a savepoint: a failed COPY leaves the outer one usable
            await conn.copy_records_to_table("contract_events", records=records, columns=_COLUMNS)
        return
    except asyncpg.UniqueViolationError:
        pass
    await conn.execute(_INSERT, *(list(col) for col in zip(*records, strict=True)))


def _records(logs: Sequence[StoredLog]) -> list[tuple[Any, ...]]:
    """The rows of `logs` in _COLUMNS order; args as the decoder's JSON when it wrote it."""
    return [(log.tx_hash, log.log_index, log.block_number, log.block_hash, log.address,
             s.source, log.event_name, s.kind, log.args_json or args_json(log.args))
            for s in logs for log in (s.log,)]


def _row(r: Any) -> StoredLog:
    log = DecodedLog(
        address=r["contract"], event_name=r["event_name"], args=json.loads(r["args"]),
        block_number=int(r["block_number"]), block_hash=r["block_hash"], tx_hash=r["tx_hash"],
        log_index=int(r["log_index"]),
    )
    return StoredLog(log, r["source"], r["kind"])


class Repository:
    def __init__(self, pool: Postgres) -> None:
        self.pool = pool

    # ------------------------------------------------------------------ cursor
    async def cursor(self, chain_id: int) -> tuple[int, int, int] | None:
        """(stored_block, published_block, reorgs) of this chain, None before the first run."""
        row = await self.pool.fetchrow(
            "SELECT stored_block, published_block, reorgs FROM contract_monitor_cursor "
            "WHERE chain_id=$1", chain_id)
        if row is None:
            return None
        return int(row["stored_block"]), int(row["published_block"]), int(row["reorgs"])

    async def init_cursor(self, chain_id: int, block: int) -> None:
        await self.pool.execute(
            "INSERT INTO contract_monitor_cursor (chain_id, stored_block, published_block) "
            "VALUES ($1, $2, $2) ON CONFLICT DO NOTHING", chain_id, block)

    async def mark_published(self, chain_id: int, block: int) -> None:
        await self.pool.execute(
            "UPDATE contract_monitor_cursor SET published_block=$2, updated_at=now() "
            "WHERE chain_id=$1 AND published_block < $2", chain_id, block)

    # ------------------------------------------------------------------ events
    async def store(
        self, chain_id: int, logs: Sequence[StoredLog], checkpoints: Sequence[tuple[int, str]],
        to_block: int,
    ) -> None:
        """Logs of blocks up to `to_block`, their block hashes and the cursor, atomically."""
        async with self.pool.acquire() as conn, conn.transaction():
            if logs:
                await _insert_logs(conn, logs)
            if checkpoints:
                await conn.execute(
                    "INSERT INTO contract_monitor_blocks (number, hash) "
                    "SELECT * FROM unnest($1::bigint[], $2::text[]) "
                    "ON CONFLICT (number) DO UPDATE SET hash = EXCLUDED.hash",
                    [n for n, _ in checkpoints], [h for _, h in checkpoints])
            await conn.execute(
                "UPDATE contract_monitor_cursor SET stored_block=$2, updated_at=now() "
                "WHERE chain_id=$1", chain_id, to_block)

    async def events_between(self, low: int, high: int) -> list[StoredLog]:
        """Stored logs of blocks in (low, high], in chain order."""
        rows = await self.pool.fetch(
            _SELECT + " WHERE block_number > $1 AND block_number <= $2 "
            "ORDER BY block_number, log_index", low, high)
        return [_row(r) for r in rows]

    async def checkpoints(self, at_or_below: int, limit: int) -> list[tuple[int, str]]:
        rows = await self.pool.fetch(
            "SELECT number, hash FROM contract_monitor_blocks WHERE number <= $1 "
            "ORDER BY number DESC LIMIT $2", at_or_below, limit)
        return [(int(r["number"]), str(r["hash"])) for r in rows]

    async def rollback(self, chain_id: int, fork: int) -> list[StoredLog]:
        """Forget everything after block `fork`; returns the deleted logs, in chain order."""
        async with self.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                "DELETE FROM contract_events WHERE block_number > $1 RETURNING tx_hash, "
                "log_index, block_number, block_hash, contract, source, event_name, kind, "
                "args::text AS args", fork)
            await conn.execute("DELETE FROM contract_monitor_blocks WHERE number > $1", fork)
            await conn.execute("DELETE FROM etf_snapshots WHERE block_number > $1", fork)
            await conn.execute(
                "UPDATE contract_monitor_cursor SET stored_block=LEAST(stored_block, $2), "
                "published_block=LEAST(published_block, $2), reorgs=reorgs + 1, "
                "updated_at=now() WHERE chain_id=$1", chain_id, fork)
        logs = [_row(r) for r in rows]
        logs.sort(key=lambda s: (s.log.block_number, s.log.log_index))
        return logs

    async def prune_blocks(self, below: int) -> None:
        await self.pool.execute("DELETE FROM contract_monitor_blocks WHERE number < $1", below)

    async def event_names_between(self, names: Sequence[str], low: int, high: int) -> list[str]:
        if not names:
            return []
        rows = await self.pool.fetch(
            "SELECT event_name FROM contract_events WHERE event_name = ANY($1::text[]) "
            "AND block_number > $2 AND block_number <= $3", list(names), low, high)
        return [str(r["event_name"]) for r in rows]

    # ------------------------------------------------------------------ governance
    async def created(self, proposal_id: int) -> Created | None:
        row = await self.pool.fetchrow(
            "SELECT args::text AS args FROM contract_events WHERE source='governance' AND "
            "event_name='ProposalCreated' AND args->>'proposalId' = $1", str(proposal_id))
        if row is None:
            return None
        args = json.loads(row["args"])
        return Created(proposal_id, args["proposer"], args["description"])

    async def voters(self, proposal_id: int, up_to_block: int) -> list[tuple[str, int]]:
        rows = await self.pool.fetch(
            "SELECT args->>'voter' AS voter, (args->>'support')::int AS support "
            "FROM contract_events WHERE source='governance' AND event_name LIKE 'VoteCast%' "
            "AND args->>'proposalId' = $1 AND block_number <= $2 "
            "ORDER BY block_number, log_index", str(proposal_id), up_to_block)
        return [(str(r["voter"]), int(r["support"])) for r in rows]

    async def open_proposals(self) -> list[int]:
        """Created and neither executed nor canceled (the governor's terminal events)."""
        rows = await self.pool.fetch(
            "SELECT args->>'proposalId' AS pid FROM contract_events c WHERE source='governance' "
            "AND event_name='ProposalCreated' AND NOT EXISTS (SELECT 1 FROM contract_events d "
            "WHERE d.source='governance' AND d.event_name IN ('ProposalExecuted', "
            "'ProposalCanceled') AND d.args->>'proposalId' = c.args->>'proposalId') "
            "ORDER BY block_number")
        return [int(r["pid"]) for r in rows]

    # ------------------------------------------------------------------ snapshots
    async def save_snapshot(self, reading: EtfReading, metrics: EtfMetrics) -> None:
        await self.pool.execute(
            "INSERT INTO etf_snapshots (block_number, block_timestamp, nav_per_share, aum_usd, "
            "basket_supply, queue_length, invariants_ok, reading, metrics) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9::jsonb) "
            "ON CONFLICT (block_number) DO NOTHING",
            reading.block_number, reading.block_timestamp, metrics.nav_per_share,
            metrics.aum_usd, reading.supply, reading.queue_length,
            all(i.ok for i in metrics.invariants), reading_to_json(reading),
            metrics.model_dump_json())

    async def first_nav_since(self, since: datetime) -> tuple[datetime, Decimal] | None:
        """The oldest NAV per share of the window: where the realised APY is measured from."""
        row = await self.pool.fetchrow(
            "SELECT block_timestamp, nav_per_share FROM etf_snapshots "
            "WHERE block_timestamp >= $1 ORDER BY block_number LIMIT 1", since)
        return None if row is None else (row["block_timestamp"], Decimal(row["nav_per_share"]))

    async def unique_depositors(self) -> int:
        value = await self.pool.fetchval(
            "SELECT count(DISTINCT lower(args ->> 'user')) FROM contract_events "
            "WHERE event_name = 'Deposited'")
        return int(value or 0)

    async def last_reading(self) -> EtfReading | None:
        row = await self.pool.fetchrow(
            "SELECT reading::text AS reading FROM etf_snapshots "
            "ORDER BY block_number DESC LIMIT 1")
        return None if row is None else reading_from_json(row["reading"])


def reading_to_json(r: EtfReading) -> str:
    data = dataclasses.asdict(r)
    data["block_timestamp"] = r.block_timestamp.isoformat()
    return json.dumps(data, default=str)


def reading_from_json(text: str) -> EtfReading:
    data = json.loads(text)
    data["block_timestamp"] = datetime.fromisoformat(data["block_timestamp"])
    data["allocation"] = [ValidatorAllocation(**a) for a in data["allocation"]]
    data["feeds"] = [FeedRaw(**f) for f in data["feeds"]]
    return EtfReading(**data)
