"""Gather the status report from Postgres: every service's record, read-only.

A table whose service is not deployed gives a section saying so, never an error.
"""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from ballast.common.db import Postgres
from ballast.gateway.domain.report import Section, StatusReport, Table


def _s(value: Any, suffix: str = "") -> str:
    if value is None:
        return "n/a"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") + suffix
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M:%S}"
    return f"{value}{suffix}"


def _d(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


class PooledReportSource:
    """The report from a pool (the running gateway); ReportSource holds one connection."""

    def __init__(self, pool: Postgres) -> None:
        self.pool = pool

    async def status_report(self, since: datetime, now: datetime) -> StatusReport:
        async with self.pool.acquire() as conn:
            return await ReportSource(conn).gather(since, now)  # pyright: ignore[reportArgumentType]


class ReportSource:
    def __init__(self, conn: asyncpg.Connection) -> None:
        self.conn = conn

    async def _has(self, table: str) -> bool:
        return bool(await self.conn.fetchval("SELECT to_regclass($1) IS NOT NULL", table))

    async def gather(self, since: datetime, now: datetime) -> StatusReport:
        sections = [
            await self.prices(since), await self.treasury(), await self.risk(),
            await self.liquidity(), await self.performance(), await self.actions(since),
            await self.alerts(since),
        ]
        return StatusReport(generated_at=now, since=since, sections=tuple(sections))

    async def prices(self, since: datetime) -> Section:
        if not await self._has("oracle_consensus"):
            return Section("Prices and oracle health", note="no oracle records here")
        rows = await self.conn.fetch(
            "SELECT DISTINCT ON (symbol) symbol, price, status, sources_used, max_deviation, "
            "computed_at FROM oracle_consensus ORDER BY symbol, computed_at DESC"
        )
        counts = await self.conn.fetch(
            "SELECT symbol, status, count(*) AS n FROM oracle_consensus WHERE computed_at >= $1 "
            "GROUP BY symbol, status", since,
        )
        seen: dict[str, dict[str, int]] = {}
        for c in counts:
            seen.setdefault(c["symbol"], {})[c["status"]] = c["n"]
        table = Table(
            ("symbol", "price", "status", "sources", "max deviation", "at", "OK/DEGRADED/HALTED"),
            tuple(
                (r["symbol"], _s(r["price"]), r["status"], str(r["sources_used"]),
                 _s(r["max_deviation"]), _s(r["computed_at"]),
                 "/".join(str(seen.get(r["symbol"], {}).get(k, 0))
                          for k in ("OK", "DEGRADED", "HALTED")))
                for r in rows
            ),
        )
        return Section("Prices and oracle health", table=table)

    async def treasury(self) -> Section:
        if not await self._has("treasury_snapshots"):
            return Section("Treasury", note="no treasury records here")
        row = await self.conn.fetchrow(
            "SELECT computed_at, status, treasury_value_usd, reserve_ratio, tier, safety_mode, "
            "health_score, health_level, state, health FROM treasury_snapshots "
            "ORDER BY computed_at DESC LIMIT 1"
        )
        if row is None:
            return Section("Treasury", note="no treasury state recorded yet")
        state = json.loads(row["state"])
        health = json.loads(row["health"]) if row["health"] else {}
        facts = (
            ("as of", _s(row["computed_at"])), ("status", row["status"]),
            ("treasury value (USD)", _s(row["treasury_value_usd"])),
            ("reserve ratio", _s(row["reserve_ratio"])), ("tier", str(row["tier"])),
            ("safety mode", row["safety_mode"]),
            ("intervention capacity (USD)", _s(_d(state.get("intervention_capacity_usd")))),
            ("drawdown from 30-day VWAP", _s(_d(state.get("drawdown")))),
            ("health", f"{_s(row['health_score'])} ({row['health_level'] or 'n/a'})"),
            ("- reserve ratio component", _s(_d(health.get("reserve_ratio_component")))),
            ("- capacity component", _s(_d(health.get("intervention_capacity_component")))),
            ("- diversification component", _s(_d(health.get("diversification_component")))),
        )
        recs = "; ".join(health.get("recommendations") or [])
        return Section("Treasury, reserve ratio and health", facts, note=recs)

    async def _latest_report(self, kind: str) -> dict[str, Any] | None:
        if not await self._has("gateway_reports"):
            return None
        raw = await self.conn.fetchval(
            "SELECT payload FROM gateway_reports WHERE kind = $1 ORDER BY computed_at DESC "
            "LIMIT 1", kind,
        )
        return json.loads(raw) if raw else None

    async def risk(self) -> Section:
        r = await self._latest_report("risk")
        if r is None:
            return Section("Risk", note="no risk report stored yet")
        return Section("Risk", (
            ("as of", r["computed_at"]), ("portfolio value (USD)", r["portfolio_value_usd"]),
            ("VaR 95% 1-day, historical (USD)", str(r.get("var_historical_usd"))),
            ("VaR 95% 1-day, parametric (USD)", str(r.get("var_parametric_usd"))),
            ("expected shortfall (USD)", str(r.get("expected_shortfall_usd"))),
            ("PUMP concentration", str(r.get("pump_concentration"))),
            ("market risk level", r["market_risk_level"]),
        ))

    async def liquidity(self) -> Section:
        r = await self._latest_report("liquidity")
        if r is None:
            return Section("Liquidity", note="no liquidity state stored yet")
        rows = tuple((p["pool"], str(p.get("value_usd")), str(p.get("actual_weight")),
                      str(p.get("target_weight")), "yes" if p["in_range"] else "NO",
                      str(p.get("impermanent_loss"))) for p in r["positions"])
        return Section(
            "Liquidity",
            (("as of", r["computed_at"]), ("total value (USD)", str(r.get("total_value_usd"))),
             ("in range", str(r.get("in_range_share"))),
             ("rebalance needed", "yes" if r["rebalance_needed"] else "no")),
            Table(("pool", "value USD", "weight", "target", "in range", "IL"), rows),
        )

    async def performance(self) -> Section:
        r = await self._latest_report("performance")
        if r is None:
            return Section("Performance KPIs", note="no performance report stored yet")
        return Section("Performance KPIs", (
            ("as of", r["computed_at"]), ("30-day growth", str(r.get("treasury_growth_30d"))),
            ("Sharpe ratio", str(r.get("sharpe_ratio"))),
            ("max drawdown", str(r.get("max_drawdown"))),
            ("intervention success rate", str(r.get("intervention_success_rate"))),
            ("interventions evaluated", str(r.get("interventions_evaluated"))),
            ("execution cost per intervention (USD)",
             str(r.get("execution_cost_per_intervention_usd"))),
        ))

    async def actions(self, since: datetime) -> Section:
        if not await self._has("intervention_decisions"):
            return Section("Interventions and automation", note="no intervention records here")
        rows = await self.conn.fetch(
            "SELECT kind, action, coalesce(outcome->>'status', phase) AS outcome, count(*) AS n, "
            "sum(amount_usd) AS usd FROM intervention_decisions WHERE decided_at >= $1 "
            "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3", since,
        )
        table = Table(("kind", "decision", "outcome", "count", "amount USD"),
                      tuple((r["kind"], r["action"], r["outcome"], str(r["n"]), _s(r["usd"]))
                            for r in rows))
        return Section("Interventions and automation", table=table,
                       note="" if rows else "none in this period")

    async def alerts(self, since: datetime) -> Section:
        if not await self._has("alerts_history"):
            return Section("Alerts", note="no alert records here")
        rows = await self.conn.fetch(
            "SELECT severity, state, count(*) AS n FROM alerts_history WHERE notified_at >= $1 "
            "AND reason IN ('firing', 'resolved') GROUP BY 1, 2 ORDER BY 1, 2", since,
        )
        firing = await self.conn.fetch(
            "SELECT severity, summary, starts_at FROM alerts_state WHERE state = 'firing' "
            "ORDER BY starts_at"
        ) if await self._has("alerts_state") else []
        facts = tuple((f"{r['severity']} {r['state']}", str(r["n"])) for r in rows)
        table = Table(("firing now", "summary", "since"),
                      tuple((r["severity"], r["summary"], _s(r["starts_at"])) for r in firing))
        return Section("Alerts raised and resolved", facts, table)
