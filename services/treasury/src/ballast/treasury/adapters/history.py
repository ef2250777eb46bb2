"""The treasury's record read for its reports (risk, liquidity, performance): price and value
history, confirmed interventions and their impact, liquidity bands (migrations/0001..0005).
`Repository` (repository.py) is this plus the live path's writes: one object, the core's
`Record` port."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal

from ballast.common.db import Postgres
from ballast.common.messages import InterventionImpact
from ballast.treasury.domain.liquidity import PoolEntry
from ballast.treasury.domain.performance import InterventionRecord


class History:
    def __init__(self, pool: Postgres) -> None:
        self.pool = pool

    async def daily_closes(
        self, symbols: list[str], since: datetime
    ) -> dict[str, dict[date, Decimal]]:
        rows = await self.pool.fetch(
            "SELECT DISTINCT ON (symbol, (minute AT TIME ZONE 'UTC')::date) symbol, "
            "(minute AT TIME ZONE 'UTC')::date AS day, price FROM treasury_price_minutes "
            "WHERE symbol = ANY($1) AND minute >= $2 "
            "ORDER BY symbol, (minute AT TIME ZONE 'UTC')::date, minute DESC",
            symbols, since,
        )
        out: dict[str, dict[date, Decimal]] = defaultdict(dict)
        for r in rows:
            out[r["symbol"]][r["day"]] = r["price"]
        return dict(out)

    async def price_series(self, symbol: str, since: datetime) -> list[tuple[datetime, Decimal]]:
        rows = await self.pool.fetch(
            "SELECT minute, price FROM treasury_price_minutes WHERE symbol = $1 AND minute >= $2 "
            "ORDER BY minute",
            symbol, since,
        )
        return [(r["minute"], r["price"]) for r in rows]

    async def value_series(self, since: datetime) -> list[tuple[datetime, Decimal]]:
        """The treasury value, last snapshot of each hour (a state is stored on every consensus
        change: the series stays ~720 points a month however busy the market was)."""
        rows = await self.pool.fetch(
            "SELECT computed_at, treasury_value_usd FROM ("
            " SELECT DISTINCT ON (date_trunc('hour', computed_at)) computed_at, treasury_value_usd"
            " FROM treasury_snapshots WHERE computed_at >= $1 AND treasury_value_usd IS NOT NULL"
            " ORDER BY date_trunc('hour', computed_at), computed_at DESC) AS hourly "
            "ORDER BY computed_at",
            since,
        )
        return [(r["computed_at"], r["treasury_value_usd"]) for r in rows]

    async def confirmed_interventions(
        self, since: datetime, pstr_decimals: int = 18
    ) -> list[InterventionRecord]:
        rows = await self.pool.fetch(
            "SELECT decision_id, executed_at, trigger_price, amount_usd, slippage, gas_cost_wei, "
            "price_before, amount_out_raw "
            "FROM treasury_interventions WHERE status = 'confirmed' AND executed_at >= $1 "
            "ORDER BY executed_at",
            since,
        )
        return [
            InterventionRecord(
                executed_at=r["executed_at"], trigger_price=r["trigger_price"],
                amount_usd=r["amount_usd"] or Decimal(0), slippage=r["slippage"],
                gas_cost_wei=None if r["gas_cost_wei"] is None else int(r["gas_cost_wei"]),
                decision_id=r["decision_id"], price_before=r["price_before"],
                pstr_received=(
                    None if r["amount_out_raw"] is None
                    else Decimal(r["amount_out_raw"]).scaleb(-pstr_decimals)
                ),
            )
            for r in rows
        ]

    async def record_impacts(self, impacts: list[InterventionImpact]) -> None:
        """Seed 3 step 5: keep each intervention's measured impact and ROI with its record."""
        await self.pool.executemany(
            "UPDATE treasury_interventions SET price_after = $2, price_later = $3, "
            "price_impact = $4, roi = $5 WHERE decision_id = $1",
            [(i.decision_id, i.price_after, i.price_later, i.price_impact, i.roi)
             for i in impacts],
        )

    async def pool_entry(self, pool: str, centre: Decimal, g: Decimal, now: datetime) -> PoolEntry:
        """The stored entry of a pool, created at today's price on first sight."""
        row = await self.pool.fetchrow(
            "INSERT INTO treasury_pool_entries (pool, centre_price, liquidity_per_lp, entered_at) "
            "VALUES ($1, $2, $3, $4) ON CONFLICT (pool) DO UPDATE SET pool = EXCLUDED.pool "
            "RETURNING centre_price, liquidity_per_lp, entered_at",
            pool, centre, g, now,
        )
        if row is None:  # the upsert returns its row: None only if Postgres broke that promise
            raise RuntimeError(f"pool entry of {pool} not returned by its upsert")
        return PoolEntry(row["centre_price"], row["liquidity_per_lp"], row["entered_at"])

    async def liquidity_actions_since(self, kind: str, since: datetime) -> int:
        value = await self.pool.fetchval(
            "SELECT count(*) FROM treasury_liquidity_actions WHERE kind = $1 "
            "AND confirmed_at >= $2", kind, since,
        )
        return int(value or 0)
