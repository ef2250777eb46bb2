"""The Postgres record of decisions and transactions (migrations/0001_executions.sql).

Every state change is a compare-and-set on `phase`, so two executors racing on one decision
cannot both move it: the loser sees zero rows updated and reloads. The unique indexes are the last
fence: one acting intervention per (strategy, UTC day, slot), one live execution per
(account, nonce), one row per transaction hash.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg

from ballast.common.db import Postgres
from ballast.common.messages import (
    ControlCommand,
    DecisionAction,
    ExecutionMode,
    InterventionDecision,
    Message,
)
from ballast.common.tracing import current_traceparent
from ballast.intervention.domain.execution import Attempt, Execution, Phase
from ballast.strategy.decision import History

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy


@dataclass(frozen=True)
class Record:
    """An execution plus what the executor needs to build and report its transaction."""

    execution: Execution
    strategy: str
    amount_usd: Decimal
    amount_in_raw: int
    payload: dict[str, Any]
    account: str | None
    quoted_out_raw: int | None
    amount_out_min_raw: int | None
    deadline: int | None
    outcome: dict[str, Any] | None
    trace_context: str | None = None
    """The traceparent of the handler that decided (ballast.common.tracing)."""


class Repository:
    def __init__(self, pool: Postgres) -> None:
        self.pool = pool

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
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext($1))", f"intervention:{strategy}"
            )
            row = await conn.fetchrow(
                """SELECT
                     (SELECT payload FROM intervention_decisions
                       WHERE strategy = $1 AND state_key = $3 AND kind = 'intervention'
                       ORDER BY (action = 'act') DESC LIMIT 1) AS seen,
                     (SELECT max(decided_at) FROM intervention_decisions
                       WHERE kind = 'intervention' AND strategy = $1 AND action = 'act') AS last,
                     (SELECT count(*) FROM intervention_decisions
                       WHERE kind = 'intervention' AND strategy = $1 AND action = 'act'
                         AND utc_day = $2) AS today,
                     (SELECT paused FROM intervention_control WHERE scope = 'global') AS paused""",
                strategy,
                now.date(),
                state_key,
            )
            assert row is not None
            if row["seen"] is not None:
                return InterventionDecision.model_validate_json(row["seen"]), False
            history = History(row["last"], int(row["today"]))
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
                history.interventions_today if acting else 0,
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
        kind: str,
        *,
        mode: ExecutionMode,
        now: datetime,
        amount_usd: Decimal,
        strategy: str | None = None,
        amount_in_raw: int,
        payload: Message,
        budget_usd: Decimal | None = None,
        budget_since: datetime | None = None,
    ) -> tuple[bool, str | None]:
        """Record an automation action once per id; (created, reason it was refused)."""
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"automation:{kind}")
            if budget_usd is not None and budget_since is not None:
                spent = await conn.fetchval(
                    """SELECT coalesce(sum(amount_usd), 0) FROM intervention_decisions
                       WHERE kind = $1 AND action = 'act' AND decided_at >= $2
                         AND decision_id <> $3""",
                    kind,
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
                kind,
                now.date(),
                mode.value,
                now,
                amount_usd,
                Decimal(amount_in_raw),
                payload.model_dump_json(),
                strategy or kind,
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

    async def open_of_kind(self, kind: str, strategy: str) -> str | None:
        """The id of an unfinished execution of this kind and strategy, if any."""
        value = await self.pool.fetchval(
            """SELECT decision_id FROM intervention_decisions
               WHERE kind = $1 AND strategy = $2 AND action = 'act' AND published_at IS NULL
               ORDER BY decided_at LIMIT 1""",
            kind,
            strategy,
        )
        return None if value is None else str(value)

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

    async def open_executions(self) -> list[str]:
        rows = await self.pool.fetch(
            """SELECT decision_id FROM intervention_decisions
               WHERE action = 'act' AND published_at IS NULL ORDER BY decided_at, decision_id"""
        )
        return [r["decision_id"] for r in rows]

    async def find(self, decision_id: str) -> Record | None:
        try:
            return await self.load(decision_id)
        except KeyError:
            return None

    async def load(self, decision_id: str) -> Record:
        async with self.pool.acquire() as conn:
            row = await conn.fetchrow(
                "SELECT * FROM intervention_decisions WHERE decision_id = $1", decision_id
            )
            if row is None:
                raise KeyError(decision_id)
            txs = await conn.fetch(
                "SELECT * FROM intervention_txs WHERE decision_id = $1 ORDER BY attempt",
                decision_id,
            )
        attempts = tuple(
            Attempt(
                attempt=t["attempt"],
                nonce=t["nonce"],
                tx_hash=t["tx_hash"],
                raw=bytes(t["raw_tx"]),
                max_fee_per_gas=int(t["max_fee_per_gas"]),
                max_priority_fee_per_gas=int(t["max_priority_fee_per_gas"]),
                broadcast_at=t["broadcast_at"],
            )
            for t in txs
        )
        execution = Execution(
            decision_id=decision_id,
            kind=row["kind"],
            mode=ExecutionMode(row["mode"]),
            phase=Phase(row["phase"]),
            decided_at=row["decided_at"],
            requires_approval=row["requires_approval"],
            approved=row["approved_at"] is not None,
            nonce=row["nonce"],
            attempts=attempts,
            mined_hash=row["mined_hash"],
            mined_block=row["mined_block"],
            published=row["published_at"] is not None,
        )
        return Record(
            execution=execution,
            strategy=row["strategy"],
            amount_usd=Decimal(row["amount_usd"]),
            amount_in_raw=int(row["amount_in_raw"]),
            payload=json.loads(row["payload"]),
            account=row["account"],
            quoted_out_raw=_int(row["quoted_out_raw"]),
            amount_out_min_raw=_int(row["amount_out_min_raw"]),
            deadline=row["deadline"],
            outcome=json.loads(row["outcome"]) if row["outcome"] else None,
            trace_context=row["trace_context"],
        )

    # ------------------------------------------------------------------ transitions
    async def reserve_nonce(self, decision_id: str, account: str, chain_pending: int) -> bool:
        """decided -> nonce_reserved with the lowest free nonce of `account`.

        Free = at or above the chain's pending count and held by no reservation that still stands
        (a released nonce is free again). Taking the lowest, not one above the highest, matters:
        a nonce released below one already sent would otherwise stay a gap that the node never
        fills, and every later transaction of the account would wait behind it for ever.
        Serialised per account by an advisory lock; False if another executor moved the decision
        first.
        """
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"nonce:{account}")
            held = {
                int(r["nonce"]) for r in await conn.fetch(
                    """SELECT nonce FROM intervention_decisions
                       WHERE account = $1 AND nonce >= $2 AND NOT nonce_released""",
                    account,
                    chain_pending,
                )
            }
            nonce = chain_pending
            while nonce in held:
                nonce += 1
            status = await conn.execute(
                """UPDATE intervention_decisions
                   SET phase = 'nonce_reserved', account = $2, nonce = $3, updated_at = now()
                   WHERE decision_id = $1 AND phase = 'decided'""",
                decision_id,
                account,
                nonce,
            )
            return status.endswith(" 1")

    async def held_nonces(self, account: str, at_least: int) -> list[int]:
        """Nonces of `account` from `at_least` up that a reservation still holds."""
        rows = await self.pool.fetch(
            """SELECT nonce FROM intervention_decisions
               WHERE account = $1 AND nonce >= $2 AND NOT nonce_released ORDER BY nonce""",
            account,
            at_least,
        )
        return [int(r["nonce"]) for r in rows]

    async def record_signed(
        self,
        decision_id: str,
        attempt: Attempt,
        *,
        expected: Phase,
        quoted_out_raw: int | None = None,
        amount_out_min_raw: int | None = None,
        deadline: int | None = None,
    ) -> bool:
        """Persist the signed bytes and hash BEFORE broadcast; phase -> signed.

        `expected` is nonce_reserved for the first attempt, broadcast for a replacement.
        """
        async with self.pool.acquire() as conn, conn.transaction():
            status = await conn.execute(
                """UPDATE intervention_decisions
                   SET phase = 'signed', updated_at = now(),
                       quoted_out_raw = coalesce($3, quoted_out_raw),
                       amount_out_min_raw = coalesce($4, amount_out_min_raw),
                       deadline = coalesce($5, deadline)
                   WHERE decision_id = $1 AND phase = $2 AND nonce = $6""",
                decision_id,
                expected.value,
                _num(quoted_out_raw),
                _num(amount_out_min_raw),
                deadline,
                attempt.nonce,
            )
            if not status.endswith(" 1"):
                return False
            await conn.execute(
                """INSERT INTO intervention_txs (decision_id, attempt, nonce, tx_hash, raw_tx,
                       max_fee_per_gas, max_priority_fee_per_gas)
                   VALUES ($1, $2, $3, $4, $5, $6, $7)""",
                decision_id,
                attempt.attempt,
                attempt.nonce,
                attempt.tx_hash,
                attempt.raw,
                Decimal(attempt.max_fee_per_gas),
                Decimal(attempt.max_priority_fee_per_gas),
            )
            return True

    async def mark_broadcast(self, decision_id: str, attempt: int, at: datetime) -> None:
        async with self.pool.acquire() as conn, conn.transaction():
            await conn.execute(
                """UPDATE intervention_txs SET broadcast_at = coalesce(broadcast_at, $3)
                   WHERE decision_id = $1 AND attempt = $2""",
                decision_id,
                attempt,
                at,
            )
            await conn.execute(
                """UPDATE intervention_decisions SET phase = 'broadcast', updated_at = now()
                   WHERE decision_id = $1 AND phase = 'signed'""",
                decision_id,
            )

    async def mark_mined(self, decision_id: str, tx_hash: str, block: int) -> None:
        await self.pool.execute(
            """UPDATE intervention_decisions
               SET phase = 'mined', mined_hash = $2, mined_block = $3, updated_at = now()
               WHERE decision_id = $1 AND phase IN ('broadcast', 'mined')""",
            decision_id,
            tx_hash,
            block,
        )

    async def mark_reorged(self, decision_id: str) -> None:
        """The receipt vanished: rebroadcast the same bytes."""
        await self.pool.execute(
            """UPDATE intervention_decisions
               SET phase = 'signed', mined_hash = NULL, mined_block = NULL, updated_at = now()
               WHERE decision_id = $1 AND phase = 'mined'""",
            decision_id,
        )

    async def finalize(
        self, decision_id: str, phase: Phase, outcome: Message, *, release_nonce: bool = False
    ) -> bool:
        """Record the terminal outcome once (the first writer wins)."""
        status = await self.pool.execute(
            """UPDATE intervention_decisions
               SET phase = $2, outcome = $3, nonce_released = nonce_released OR $4,
                   updated_at = now()
               WHERE decision_id = $1
                 AND phase NOT IN ('confirmed', 'failed', 'dry_run')""",
            decision_id,
            phase.value,
            outcome.model_dump_json(),
            release_nonce,
        )
        return status.endswith(" 1")

    async def mark_published(self, decision_id: str) -> None:
        await self.pool.execute(
            """UPDATE intervention_decisions SET published_at = coalesce(published_at, now())
               WHERE decision_id = $1""",
            decision_id,
        )

    # ------------------------------------------------------------------ control
    async def paused(self) -> bool:
        async with self.pool.acquire() as conn:
            return await _paused(conn)

    async def record_command(self, cmd: ControlCommand, accepted: bool, detail: str) -> bool:
        """Idempotent by command id: False if this command was already applied."""
        inserted = await self.pool.fetchval(
            """INSERT INTO intervention_commands (command_id, command, issued_by, accepted, detail)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING 1""",
            cmd.command_id,
            cmd.command.value,
            cmd.issued_by,
            accepted,
            detail,
        )
        return inserted is not None

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


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _num(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value)
