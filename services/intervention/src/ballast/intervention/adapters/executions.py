"""The execution rows of intervention_decisions and intervention_txs: load, and every
transition from decided to published as a compare-and-set on `phase` (two executors racing on one
decision cannot both move it: the loser sees zero rows updated and reloads).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from ballast.common.db import Postgres
from ballast.common.messages import ExecutionMode, Message
from ballast.intervention.domain.execution import Attempt, Execution, Phase
from ballast.intervention.domain.record import ExecKind, RecordError


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

    @property
    def final_outcome(self) -> dict[str, Any]:
        """The terminal outcome of an execution in a terminal phase."""
        if self.outcome is None:
            raise RecordError(f"{self.execution.decision_id} has no outcome to publish")
        return self.outcome


class Executions:
    def __init__(self, pool: Postgres) -> None:
        self.pool = pool

    async def open_of_kind(self, kind: ExecKind, strategy: str) -> str | None:
        """The id of an unfinished execution of this kind and strategy, if any."""
        value = await self.pool.fetchval(
            """SELECT decision_id FROM intervention_decisions
               WHERE kind = $1 AND strategy = $2 AND action = 'act' AND published_at IS NULL
               ORDER BY decided_at LIMIT 1""",
            kind.value,
            strategy,
        )
        return None if value is None else str(value)

    async def open_before(self, kinds: frozenset[ExecKind], decision_id: str) -> str | None:
        """A live execution of one of `kinds` decided before `decision_id` and not finished."""
        value = await self.pool.fetchval(
            """SELECT o.decision_id FROM intervention_decisions o, intervention_decisions d
               WHERE d.decision_id = $2 AND o.kind = ANY($1::text[]) AND o.action = 'act'
                 AND o.mode = 'live' AND o.published_at IS NULL
                 AND (o.decided_at, o.decision_id) < (d.decided_at, d.decision_id)
               ORDER BY o.decided_at LIMIT 1""",
            sorted(k.value for k in kinds),
            decision_id,
        )
        return None if value is None else str(value)

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
            kind=ExecKind(row["kind"]),
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
            held = set(await _held_nonces(conn, account, chain_pending))
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
        return await _held_nonces(self.pool, account, at_least)

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


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _num(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value)


async def _held_nonces(db: Any, account: str, at_least: int) -> list[int]:
    """Nonces of `account` from `at_least` up that a reservation still holds (`db`: a pool, or
    the connection of a transaction that holds the account's nonce lock)."""
    rows = await db.fetch(
        """SELECT nonce FROM intervention_decisions
           WHERE account = $1 AND nonce >= $2 AND NOT nonce_released ORDER BY nonce""",
        account,
        at_least,
    )
    return [int(r["nonce"]) for r in rows]
