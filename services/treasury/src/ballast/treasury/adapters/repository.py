"""The treasury's Postgres record (migrations/0001_treasury.sql), over an asyncpg pool."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from ballast.common.db import Postgres, load_migrations, migrate
from ballast.common.messages import (
    AutomationRequest,
    ConsensusPrice,
    HealthScore,
    InterventionDecision,
    InterventionExecuted,
    Message,
    TreasuryState,
)
from ballast.common.outbox import Outbox, Pending, rows_args
from ballast.treasury.adapters.history import History
from ballast.treasury.domain.vwap import Bucket

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


class Repository(History):
    """The treasury's record: the live path's rows and outbox, and the reports' history."""

    def __init__(self, pool: Postgres, outbox: Outbox | None = None) -> None:
        super().__init__(pool)
        self.outbox = outbox
        """treasury.state and health.score leave through it, written with their snapshot."""

    async def migrate(self) -> None:
        async with self.pool.acquire() as conn:
            await migrate(conn, "treasury", load_migrations(MIGRATIONS))

    # ------------------------------------------------------------------ VWAP
    async def record_trade(
        self, tx_hash: str, log_index: int, symbol: str, bucket: Bucket
    ) -> bool:
        """Count a trade once: False when this (tx_hash, log_index) was already counted."""
        async with self.pool.acquire() as conn, conn.transaction():
            inserted = await conn.fetchval(
                "INSERT INTO treasury_vwap_trades (tx_hash, log_index, symbol, minute) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1",
                tx_hash, log_index, symbol, bucket.minute,
            )
            if inserted is None:
                return False
            await conn.execute(
                "INSERT INTO treasury_vwap_bars (symbol, minute, pv_units, volume_units) "
                "VALUES ($1, $2, $3, $4) ON CONFLICT (symbol, minute) DO UPDATE SET "
                "pv_units = treasury_vwap_bars.pv_units + EXCLUDED.pv_units, "
                "volume_units = treasury_vwap_bars.volume_units + EXCLUDED.volume_units",
                symbol, bucket.minute, bucket.pv_units, bucket.volume_units,
            )
            return True

    async def write_buckets(self, symbol: str, buckets: list[Bucket]) -> None:
        """Bulk load of minute bars (benchmarks and tests)."""
        async with self.pool.acquire() as conn:
            await conn.copy_records_to_table(
                "treasury_vwap_bars",
                records=[(symbol, b.minute, b.pv_units, b.volume_units) for b in buckets],
                columns=["symbol", "minute", "pv_units", "volume_units"],
            )

    async def load_buckets(self, symbol: str, after_minute: int) -> list[Bucket]:
        rows = await self.pool.fetch(
            "SELECT minute, pv_units, volume_units "
            "FROM treasury_vwap_bars WHERE symbol = $1 AND minute > $2",  # restore takes any order
            symbol, after_minute,
        )
        return [Bucket(r[0], r[1], r[2]) for r in rows]

    async def prune(self, before_minute: int, prices_before: datetime) -> None:
        """Drop VWAP rows that left the window, and price minutes older than risk looks back."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("DELETE FROM treasury_vwap_bars WHERE minute <= $1", before_minute)
            await conn.execute("DELETE FROM treasury_vwap_trades WHERE minute <= $1", before_minute)
            await conn.execute(
                "DELETE FROM treasury_price_minutes WHERE minute < $1", prices_before
            )

    # ------------------------------------------------------------------ prices
    async def save_prices(self, prices: Sequence[ConsensusPrice]) -> None:
        if prices:
            latest, minutes = _prices_sql(1)
            await self.pool.execute(  # this module's statements only
                f"WITH {_RELAXED}, latest AS ({latest}), minutes AS ({minutes}) "  # noqa: S608
                "SELECT 1 FROM relaxed", *_price_columns(prices))

    async def latest_prices(self) -> dict[str, ConsensusPrice]:
        rows = await self.pool.fetch("SELECT message::text AS m FROM treasury_latest_prices")
        out = [ConsensusPrice.model_validate_json(r["m"]) for r in rows]
        return {p.symbol: p for p in out}

    # ------------------------------------------------------------------ snapshots
    async def save_snapshot(
        self, state: TreasuryState, health: HealthScore | None,
        prices: Sequence[ConsensusPrice] = (),
        messages: Sequence[tuple[Message, str, str]] = (),
    ) -> list[Pending]:
        """The state and health, the consensus prices received since the last write, and the
        messages to publish for them (message, subject, msg-id) in the outbox: one statement,
        so one transaction and one round trip (the recompute is on the price -> decision path:
        docs/perf/path.md). Publish the returned messages with `publish_pending` once this
        returns."""
        outbox = self.outbox
        pending = [outbox.pending(m, s, i) for m, s, i in messages] if outbox is not None else []
        in_outbox = outbox.insert_sql(17) if outbox is not None and pending else None
        await self.pool.execute(
            _snapshot_sql(in_outbox),
            state.computed_at, state.status.value, state.treasury_value_usd,
            state.reserve_ratio, state.tier, state.safety_mode.value,
            health.score if health else None, health.level.value if health else None,
            state.model_dump_json(), health.model_dump_json() if health else None,
            *_price_columns(prices), *(rows_args(pending) if in_outbox else ()),
        )
        return pending

    async def latest_snapshot(self) -> tuple[TreasuryState, HealthScore | None] | None:
        row = await self.pool.fetchrow(
            "SELECT state::text AS s, health::text AS h FROM treasury_snapshots "
            "ORDER BY computed_at DESC, id DESC LIMIT 1"
        )
        if row is None:
            return None
        health = HealthScore.model_validate_json(row["h"]) if row["h"] else None
        return TreasuryState.model_validate_json(row["s"]), health

    # ------------------------------------------------------------------ interventions
    async def record_decision(self, d: InterventionDecision) -> None:
        trigger = None
        if d.inputs.vwap_30d is not None:
            trigger = d.inputs.trigger_threshold * d.inputs.vwap_30d
        await self.pool.execute(
            "INSERT INTO treasury_interventions (decision_id, decided_at, action, trigger_price, "
            "amount_usd, price_before) VALUES ($1, $2, $3, $4, $5, $6) "
            "ON CONFLICT (decision_id) DO UPDATE SET "
            "decided_at = EXCLUDED.decided_at, action = EXCLUDED.action, "
            "trigger_price = EXCLUDED.trigger_price, amount_usd = EXCLUDED.amount_usd, "
            "price_before = EXCLUDED.price_before",
            d.decision_id, d.decided_at, d.action.value, trigger, d.amount_usd, d.inputs.price,
        )

    async def record_execution(self, e: InterventionExecuted) -> None:
        await self.pool.execute(
            "INSERT INTO treasury_interventions (decision_id, executed_at, status, slippage, "
            "gas_cost_wei, amount_out_raw) VALUES ($1, $2, $3, $4, $5, $6) "
            "ON CONFLICT (decision_id) DO UPDATE SET "
            "executed_at = EXCLUDED.executed_at, status = EXCLUDED.status, "
            "slippage = EXCLUDED.slippage, gas_cost_wei = EXCLUDED.gas_cost_wei, "
            "amount_out_raw = EXCLUDED.amount_out_raw",
            e.decision_id, e.executed_at, e.status.value, e.slippage,
            None if e.gas_cost_wei is None else Decimal(e.gas_cost_wei),
            Decimal(e.amount_out_raw),
        )

    async def publish_pending(self, pending: Sequence[Pending]) -> None:
        """Publish what `save_snapshot` committed to the outbox, and mark it sent."""
        if self.outbox is not None:
            await self.outbox.flush(self.pool, pending)

    async def relay_outbox(self) -> int:
        """Publish what a crash left in the outbox between a commit and its publish."""
        return 0 if self.outbox is None else await self.outbox.relay(self.pool)

    async def prune_outbox(self) -> None:
        if self.outbox is not None:
            await self.outbox.prune(self.pool)

    # ------------------------------------------------------------------ accumulation
    async def accumulation_claimed(self, hour: datetime) -> bool:
        found = await self.pool.fetchval(
            "SELECT 1 FROM treasury_accumulation_requests WHERE hour = $1", hour
        )
        return found is not None

    async def claim_accumulation(
        self, hour: datetime, request: AutomationRequest, subject: str
    ) -> list[Pending] | None:
        """Claim the hour and put its request in the outbox, in one transaction: the messages to
        publish (`publish_pending`) for the first claim; None for a restart or a second replica
        (the hour is taken). A crash after the commit leaves the request to the relay."""
        async with self.pool.acquire() as conn, conn.transaction():
            got = await conn.fetchval(
                "INSERT INTO treasury_accumulation_requests (hour, request_id, amount_usd, "
                "requested_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING 1",
                hour, request.request_id, request.amount_usd, request.requested_at,
            )
            if got is None:
                return None
            if self.outbox is None:
                return []
            return [await self.outbox.add(conn, request, subject, request.request_id)]

    # ------------------------------------------------------------------ liquidity
    async def liquidity_action(
        self, action_id: str, kind: str, pool: str, tx_hash: str | None, at: datetime
    ) -> bool:
        """Record a confirmed add or rebalance once and restart its pool's band (the next
        reading enters it at the new price). False for a redelivered action."""
        async with self.pool.acquire() as conn, conn.transaction():
            inserted = await conn.fetchval(
                "INSERT INTO treasury_liquidity_actions (action_id, kind, pool, tx_hash, "
                "confirmed_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1",
                action_id, kind, pool.lower(), tx_hash, at,
            )
            if inserted is not None:
                await conn.execute(
                    "DELETE FROM treasury_pool_entries WHERE lower(pool) = $1", pool.lower()
                )
            return inserted is not None

_RELAXED = "relaxed AS (SELECT set_config('synchronous_commit', 'off', true))"
"""A WITH item to reference from a statement that writes derived rows: prices and snapshots
(the oracle's record and the streams hold their inputs) are committed without waiting for the WAL
flush, so a state costs no fsync. A crash of Postgres itself may lose the last fraction of a
second of them; nothing else is relaxed. `set_config(..., true)` is the statement's SET LOCAL,
read when its transaction commits."""


def _prices_sql(first: int) -> tuple[str, str]:
    """The upserts of `_price_columns`'s columns as parameters from $first: the latest price
    per symbol ($first..+2) and the minute prices ($first+3..+5), two statements to put in one
    (the first as a data-modifying WITH)."""
    a, b, c, d, e, f = (f"${first + i}" for i in range(6))
    return (  # parameter numbers, nothing else, go into the text
        "INSERT INTO treasury_latest_prices (symbol, computed_at, message) "  # noqa: S608
        f"SELECT * FROM unnest({a}::text[], {b}::timestamptz[], {c}::jsonb[]) "
        "ON CONFLICT (symbol) DO UPDATE SET "
        "computed_at = EXCLUDED.computed_at, message = EXCLUDED.message "
        "WHERE treasury_latest_prices.computed_at <= EXCLUDED.computed_at",
        "INSERT INTO treasury_price_minutes (symbol, minute, price) "  # noqa: S608
        f"SELECT * FROM unnest({d}::text[], {e}::timestamptz[], {f}::numeric[]) "
        "ON CONFLICT (symbol, minute) DO UPDATE SET price = EXCLUDED.price",
    )


def _snapshot_sql(outbox_insert: str | None) -> str:
    """The snapshot ($1-$10), `_prices_sql(11)`, and the outbox's rows ($17-$20) if any, in one
    statement, committed as derived rows (`_RELAXED`)."""
    latest, minutes = _prices_sql(11)
    outbox = f", outbox AS ({outbox_insert})" if outbox_insert else ""
    return (  # this module's statements, nothing else, go into the text
        f"WITH {_RELAXED}, "  # noqa: S608
        f"latest AS ({latest}), minutes AS ({minutes}){outbox} "
        "INSERT INTO treasury_snapshots (computed_at, status, treasury_value_usd, "
        "reserve_ratio, tier, safety_mode, health_score, health_level, state, health) "
        "SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb, $10::jsonb FROM relaxed")


def _price_columns(prices: Sequence[ConsensusPrice]) -> list[list[Any]]:
    """`_prices_sql`'s six columns: the newest price per symbol, and per (symbol, minute) (an
    upsert of many rows may touch each row once)."""
    newest: dict[str, ConsensusPrice] = {}
    minute: dict[tuple[str, datetime], Decimal] = {}
    for p in sorted(prices, key=lambda p: p.computed_at):
        newest[p.symbol] = p
        if p.price is not None:
            minute[(p.symbol, p.computed_at.replace(second=0, microsecond=0))] = p.price
    return [[p.symbol for p in newest.values()], [p.computed_at for p in newest.values()],
            [p.model_dump_json() for p in newest.values()],
            [s for s, _ in minute], [m for _, m in minute], list(minute.values())]
