"""The Postgres record of decisions and transactions (migrations/0001_executions.sql).

Every state change is a compare-and-set on `phase`, so two executors racing on one decision
cannot both move it: the loser sees zero rows updated and reloads. The unique indexes are the last
fence: one acting intervention per (strategy, UTC day, slot), one live execution per
(account, nonce), one row per transaction hash.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal

import asyncpg

from ballast.common.db import locked_transaction
from ballast.common.messages import (
    ControlCommand,
    DecisionAction,
    ExecutionMode,
    InterventionDecision,
    Message,
)
from ballast.common.tracing import current_traceparent
from ballast.intervention.adapters.executions import Executions, Record
from ballast.intervention.domain.record import ExecKind
from ballast.strategy.decision import History

# an intervention that expired unsigned (next_step's EXPIRE: no nonce was ever taken) never
# reached the chain: it uses neither the day's count nor the cooldown, only its id's slot
_EXPIRED = ("(phase = 'failed' AND nonce IS NULL AND coalesce(outcome->>'reason', '') "
            "LIKE 'expired:%')")

__all__ = ["Record", "Repository"]

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy


class Repository(Executions):
    """The service's tables: decisions, automation actions, commands (here) and the execution
    transitions (Executions). Takes the Database (or a test's pool); connected at start."""

    # ------------------------------------------------------------------ decisions
    async def decide(
        self,
        strategy: str,
        now: datetime,
        evaluate: Callable[[History, bool], InterventionDecision],
        state_key: str | None = None,
    ) -> tuple[InterventionDecision, bool]:
        """Read history and pause, evaluate, and record, in one transaction under a lock.

        Returns the decision and whether it was newly recorded. A state already decided on
        (same `state_key`: a redelivery) returns the recorded decision. A unique-key conflict on
        an acting decision (another process got there first) returns it as blocked.
        """
        async with self.pool.acquire() as conn, locked_transaction(
                conn, f"intervention:{strategy}"):
            row = await conn.fetchrow(
                f"""SELECT
                     (SELECT payload FROM intervention_decisions
                       WHERE strategy = $1 AND state_key = $3 AND kind = 'intervention'
                       ORDER BY (action = 'act') DESC LIMIT 1) AS seen,
                     (SELECT max(decided_at) FROM intervention_decisions
                       WHERE kind = 'intervention' AND strategy = $1 AND action = 'act'
                         AND NOT {_EXPIRED}) AS last,
                     (SELECT count(*) FILTER (WHERE NOT {_EXPIRED}) FROM intervention_decisions
                       WHERE kind = 'intervention' AND strategy = $1 AND action = 'act'
                         AND utc_day = $2) AS today,
                     (SELECT count(*) FROM intervention_decisions
                       WHERE kind = 'intervention' AND strategy = $1 AND action = 'act'
                         AND utc_day = $2) AS slots,
                     (SELECT paused FROM intervention_control WHERE scope = 'global') AS paused""",  # noqa: S608 - a constant
                strategy,
                now.date(),
                state_key,
            )
            if row is None:  # a SELECT of scalar subqueries returns one row
                raise RuntimeError("the decision history query returned no row")
            if row["seen"] is not None:
                return InterventionDecision.model_validate_json(row["seen"]), False
            history = History(row["last"], int(row["today"]), int(row["slots"]))
            decision = evaluate(history, bool(row["paused"]))
            acting = decision.action is DecisionAction.ACT
            inserted = await conn.fetchval(
                """INSERT INTO intervention_decisions
                     (decision_id, kind, strategy, action, utc_day, slot, mode, decided_at,
                      amount_usd, amount_in_raw, requires_approval, payload, decided_published,
                      state_key, trace_context)
                   VALUES ($1, 'intervention', $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                           $13, $14)
                   ON CONFLICT DO NOTHING RETURNING 1""",
                decision.decision_id,
                strategy,
                decision.action.value,
                now.date(),
                history.next_slot if acting else 0,
                decision.mode.value,
                decision.decided_at,
                decision.amount_usd,
                Decimal(decision.amount_in_raw),
                decision.requires_approval,
                decision.model_dump_json(),
                not acting,  # blocked ones are published by the handler, redelivery covers loss
                state_key,
                current_traceparent(),
            )
            if acting and inserted is None:
                blocked = decision.model_copy(
                    update={
                        "decision_id": f"{decision.decision_id}-conflict-{now:%H%M%S%f}",
                        "action": DecisionAction.BLOCKED,
                        "reasons": ["daily: an acting decision is already recorded (unique key)"],
                        "amount_usd": Decimal(0),
                        "amount_in_raw": 0,
                        "deployment_share": Decimal(0),
                    }
                )
                return blocked, False
            return decision, inserted is not None

    async def create_automation(
        self,
        decision_id: str,
        kind: ExecKind,
        *,
        mode: ExecutionMode,
        now: datetime,
        amount_usd: Decimal,
        strategy: str | None = None,
        amount_in_raw: int,
        payload: Message,
        budget_usd: Decimal | None = None,
        budget_since: datetime | None = None,
        exclusive: bool = False,
    ) -> tuple[bool, str | None]:
        """Record an automation action once per id; (created, reason it was refused).
        `exclusive`: refused ("open") while another action of the kind is unfinished."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"automation:{kind}")
            if exclusive and await conn.fetchval(
                """SELECT 1 FROM intervention_decisions WHERE kind = $1 AND action = 'act'
                     AND published_at IS NULL AND decision_id <> $2 LIMIT 1""",
                kind.value,
                decision_id,
            ):
                return False, "open"
            if budget_usd is not None and budget_since is not None:
                spent = await conn.fetchval(
                    """SELECT coalesce(sum(amount_usd), 0) FROM intervention_decisions
                       WHERE kind = $1 AND action = 'act' AND decided_at >= $2
                         AND decision_id <> $3""",
                    kind.value,
                    budget_since,
                    decision_id,
                )
                if Decimal(spent) + amount_usd > budget_usd:
                    return False, f"budget: {spent} + {amount_usd} > {budget_usd} this hour"
            inserted = await conn.fetchval(
                """INSERT INTO intervention_decisions
                     (decision_id, kind, strategy, action, utc_day, mode, decided_at,
                      amount_usd, amount_in_raw, payload, decided_published, trace_context)
                   VALUES ($1, $2, $9, 'act', $3, $4, $5, $6, $7, $8, true, $10)
                   ON CONFLICT DO NOTHING RETURNING 1""",
                decision_id,
                kind.value,
                now.date(),
                mode.value,
                now,
                amount_usd,
                Decimal(amount_in_raw),
                payload.model_dump_json(),
                strategy or kind.value,
                current_traceparent(),
            )
            return inserted is not None, None if inserted else "duplicate"

    async def accumulation_totals(self) -> tuple[Decimal, datetime | None]:
        """USD decided for accumulation over the whole period (failed executions excluded), and
        when the first one was decided: the period's spend and start."""
        row = await self.pool.fetchrow(
            """SELECT coalesce(sum(amount_usd) FILTER (
                        WHERE coalesce(outcome->>'status', '') <> 'failed'), 0) AS spent,
                      min(decided_at) AS first
               FROM intervention_decisions WHERE kind = 'accumulate' AND action = 'act'"""
        )
        if row is None:  # an aggregate returns one row; kept for the type checker
            return Decimal(0), None
        return Decimal(row["spent"]), row["first"]

    async def unpublished_decisions(self) -> list[InterventionDecision]:
        rows = await self.pool.fetch(
            """SELECT payload FROM intervention_decisions
               WHERE kind = 'intervention' AND NOT decided_published ORDER BY decided_at"""
        )
        return [InterventionDecision.model_validate_json(r["payload"]) for r in rows]

    async def mark_decided_published(self, decision_id: str) -> None:
        await self.pool.execute(
            "UPDATE intervention_decisions SET decided_published = true WHERE decision_id = $1",
            decision_id,
        )

    # ------------------------------------------------------------------ control
    async def paused(self) -> bool:
        async with self.pool.acquire() as conn:
            return await _paused(conn)

    async def record_command(self, cmd: ControlCommand, accepted: bool, detail: str) -> bool:
        """Idempotent by command id: False if this command was already on record (a refusal is
        replaced by an acceptance, never the other way)."""
        inserted = await self.pool.fetchval(
            """INSERT INTO intervention_commands (command_id, command, issued_by, accepted, detail)
               VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (command_id) DO UPDATE SET accepted = true, detail = EXCLUDED.detail
                   WHERE EXCLUDED.accepted AND NOT intervention_commands.accepted
               RETURNING 1""",
            cmd.command_id,
            cmd.command.value,
            cmd.issued_by,
            accepted,
            detail,
        )
        return inserted is not None

    async def command_applied(self, command_id: str) -> bool:
        """True when this command id was accepted and applied before (a replay is not)."""
        return bool(await self.pool.fetchval(
            "SELECT accepted FROM intervention_commands WHERE command_id = $1", command_id))

    async def set_paused(self, paused: bool, cmd: ControlCommand) -> None:
        """Persisted; the newest command (by issued_at) wins even if redelivered out of order."""
        await self.pool.execute(
            """INSERT INTO intervention_control
                   (scope, paused, command_id, issued_by, reason, issued_at)
               VALUES ('global', $1, $2, $3, $4, $5)
               ON CONFLICT (scope) DO UPDATE SET paused = $1, command_id = $2, issued_by = $3,
                   reason = $4, issued_at = $5, updated_at = now()
               WHERE intervention_control.issued_at <= $5""",
            paused,
            cmd.command_id,
            cmd.issued_by,
            cmd.reason,
            cmd.issued_at,
        )

    async def approve(self, decision_id: str, by: str, at: datetime) -> bool:
        status = await self.pool.execute(
            """UPDATE intervention_decisions SET approved_by = $2, approved_at = $3
               WHERE decision_id = $1 AND approved_at IS NULL AND requires_approval""",
            decision_id,
            by,
            at,
        )
        return status.endswith(" 1")


async def _paused(conn: Conn) -> bool:
    value = await conn.fetchval("SELECT paused FROM intervention_control WHERE scope = 'global'")
    return bool(value)
