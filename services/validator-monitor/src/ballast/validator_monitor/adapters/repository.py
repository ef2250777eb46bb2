"""Postgres record of the validator monitor (migrations/0001): round history, the log cursor,
decoded events, published fact ids and the last recommendation per operator.

One poll is one transaction: its events, round rows, fact ids, recommendations and the cursor
commit together, and facts are published inside it (see app.py), so after a crash the poll
is decided again from the state before it and produces the same fact ids.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any

import asyncpg

from ballast.common.db import Postgres
from ballast.validator_monitor.adapters.logs import RawEvent
from ballast.validator_monitor.domain.model import (
    MonitorState,
    Snapshot,
    ValidatorMemory,
    ValidatorReading,
)

Conn = asyncpg.Connection | asyncpg.pool.PoolConnectionProxy


def _num(value: int | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


class Repository:
    def __init__(self, pool: Postgres) -> None:
        self.pool = pool

    async def load_state(self, chain_id: int) -> MonitorState:
        async with self.pool.acquire() as conn:
            cursor = await conn.fetchrow(
                "SELECT last_block, last_round, last_epoch FROM validator_monitor_cursor "
                "WHERE chain_id = $1", chain_id)
            if cursor is None:
                return MonitorState()
            rows = await conn.fetch(
                """SELECT DISTINCT ON (r.operator) r.* FROM validator_rounds r
                   WHERE NOT EXISTS (SELECT 1 FROM validator_gone g
                                     WHERE g.operator = r.operator AND g.gone_block >= r.last_block)
                   ORDER BY r.operator, r.round DESC""")
            recs = await conn.fetch(
                "SELECT operator, action, reasons FROM validator_recommendations")
        memories = {str(r["operator"]): _memory(r) for r in rows}
        return MonitorState(
            block=int(cursor["last_block"]), round=int(cursor["last_round"]),
            epoch=int(cursor["last_epoch"]), validators=memories,
            recommendations={str(r["operator"]): (str(r["action"]), tuple(r["reasons"]))
                             for r in recs},
        )

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[PollRecord]:
        async with self.pool.acquire() as conn, conn.transaction():
            yield PollRecord(conn)


def _memory(r: asyncpg.Record) -> ValidatorMemory:
    reading = ValidatorReading(
        operator=str(r["operator"]), consensus=r["consensus"], status_bits=int(r["status_bits"]),
        commission_thousandths=int(r["commission_thousandths"]),
        commission_last_change_round=int(r["commission_last_change_round"]),
        commission_last_round_value=int(r["commission_last_round_value"]),
        effective_commission_thousandths=_int(r["effective_commission"]),
        jailed_until_round=_int(r["jailed_until_round"]),
        in_validator_set=bool(r["in_validator_set"]), missed_blocks=int(r["missed_blocks"]),
        income_raw=int(r["income"]), total_delegated_raw=_int(r["total_delegated"]),
        our_delegation_raw=int(r["our_delegation"]), our_staked_raw=int(r["our_staked"]),
        score_total=int(r["score_total"]), score_core=int(r["score_core"]),
    )
    return ValidatorMemory(reading, int(r["round"]), int(r["round_start_missed"]),
                           _int(r["previous_round_income"]))


class PollRecord:
    """What one poll writes, on one connection inside one transaction."""

    def __init__(self, conn: Conn) -> None:
        self.conn = conn

    async def events(self, events: Sequence[RawEvent], operators: Sequence[str | None]) -> None:
        await self.conn.executemany(
            """INSERT INTO validator_events (block, log_index, tx_hash, event, operator, args)
               VALUES ($1, $2, $3, $4, $5, $6::jsonb) ON CONFLICT DO NOTHING""",
            [(e.block, e.log_index, e.tx_hash, e.name, op,
              json.dumps({k: str(v) for k, v in e.args.items()}))
             for e, op in zip(events, operators, strict=True)],
        )

    async def rounds(
        self, snap: Snapshot, memories: dict[str, ValidatorMemory], apy: dict[str, Decimal | None]
    ) -> None:
        rows: list[tuple[Any, ...]] = []
        for op, m in memories.items():
            v = m.reading
            rows.append((
                op, m.round, v.consensus, v.status_bits, v.jailed_until_round,
                v.commission_thousandths, v.commission_last_change_round,
                v.commission_last_round_value, v.effective_commission_thousandths,
                v.in_validator_set, v.missed_blocks, m.round_start_missed,
                snap.thresholds.misdemeanor, snap.thresholds.felony, _num(v.income_raw),
                _num(m.previous_round_income), _num(v.total_delegated_raw),
                _num(v.our_delegation_raw), _num(v.our_staked_raw), _num(v.score_total),
                _num(v.score_core), apy.get(op), snap.block,
            ))
        await self.conn.executemany(
            """INSERT INTO validator_rounds (operator, round, consensus, status_bits,
                   jailed_until_round, commission_thousandths, commission_last_change_round,
                   commission_last_round_value, effective_commission, in_validator_set,
                   missed_blocks, round_start_missed, misdemeanor_threshold, felony_threshold,
                   income, previous_round_income, total_delegated, our_delegation, our_staked,
                   score_total, score_core, estimated_apy, first_block, last_block)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                       $17, $18, $19, $20, $21, $22, $23, $23)
               ON CONFLICT (operator, round) DO UPDATE SET
                   consensus = EXCLUDED.consensus, status_bits = EXCLUDED.status_bits,
                   jailed_until_round = EXCLUDED.jailed_until_round,
                   commission_thousandths = EXCLUDED.commission_thousandths,
                   commission_last_change_round = EXCLUDED.commission_last_change_round,
                   commission_last_round_value = EXCLUDED.commission_last_round_value,
                   effective_commission = EXCLUDED.effective_commission,
                   in_validator_set = EXCLUDED.in_validator_set,
                   missed_blocks = EXCLUDED.missed_blocks,
                   misdemeanor_threshold = EXCLUDED.misdemeanor_threshold,
                   felony_threshold = EXCLUDED.felony_threshold, income = EXCLUDED.income,
                   total_delegated = EXCLUDED.total_delegated,
                   our_delegation = EXCLUDED.our_delegation, our_staked = EXCLUDED.our_staked,
                   score_total = EXCLUDED.score_total, score_core = EXCLUDED.score_core,
                   estimated_apy = EXCLUDED.estimated_apy, last_block = EXCLUDED.last_block,
                   updated_at = now()""",
            rows,
        )

    async def gone(self, operators: Sequence[str], block: int) -> None:
        await self.conn.executemany(
            """INSERT INTO validator_gone (operator, gone_block) VALUES ($1, $2)
               ON CONFLICT (operator) DO UPDATE SET gone_block = EXCLUDED.gone_block""",
            [(op, block) for op in operators],
        )

    async def claim_fact(
        self, fact_id: str, subject: str, operator: str, round_: int, kinds: Sequence[str]
    ) -> bool:
        """Record a fact id; False when it was published before (then do not publish)."""
        inserted = await self.conn.fetchval(
            """INSERT INTO validator_facts (fact_id, subject, operator, round, kinds)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT (fact_id) DO NOTHING RETURNING true""",
            fact_id, subject, operator, round_, list(kinds))
        return bool(inserted)

    async def recommendation(
        self, operator: str, action: str, reasons: Sequence[str], round_: int, block: int
    ) -> None:
        await self.conn.execute(
            """INSERT INTO validator_recommendations (operator, action, reasons, round, block)
               VALUES ($1, $2, $3, $4, $5) ON CONFLICT (operator) DO UPDATE SET
               action = EXCLUDED.action, reasons = EXCLUDED.reasons, round = EXCLUDED.round,
               block = EXCLUDED.block, updated_at = now()""",
            operator, action, list(reasons), round_, block)

    async def cursor(self, chain_id: int, block: int, round_: int, epoch: int) -> None:
        await self.conn.execute(
            """INSERT INTO validator_monitor_cursor (chain_id, last_block, last_round, last_epoch)
               VALUES ($1, $2, $3, $4) ON CONFLICT (chain_id) DO UPDATE SET
               last_block = EXCLUDED.last_block, last_round = EXCLUDED.last_round,
               last_epoch = EXCLUDED.last_epoch, updated_at = now()""",
            chain_id, block, round_, epoch)
