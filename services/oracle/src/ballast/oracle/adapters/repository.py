"""Postgres history over asyncpg: batched writes, bars kept in step with trades, VWAP.

Why batches: one INSERT per reading would cap the oracle far below its 20,000 readings/s goal.
Why not asyncpg's binary `copy_records_to_table`: the binary path encodes each Decimal and
timestamp in Python on the event loop (measured ~20 µs per reading row, ~55 µs per consensus
row with its JSON), which stalled the loop for milliseconds per flush and showed up in the
reading -> consensus p99. Consensus rows and trades go as CSV COPY (a few µs a line, the csv
module is C). Readings, the high-rate table, are kept as the JSON the bus got (the core
serialises each reading once, for both) and written per flush as one JSON array joined from
them (no second serialisation: it cost ~2-5 µs a row, docs/perf/oracle.md) that Postgres turns
into rows itself (`json_to_recordset`, in its own process; bench/oracle.py). Rows wait in
memory for at most one flush interval; a failed flush keeps them (bounded) and retries on the
next one, so a Postgres blip loses nothing and never stops the prices on the bus.
"""

from __future__ import annotations

import csv
import io
import itertools
import logging
from collections import deque
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg
from pydantic import TypeAdapter

from ballast.common.db import Postgres
from ballast.common.messages import ConsensusPrice, SourceReading, Trade
from ballast.oracle.metrics import OracleMetrics

log = logging.getLogger("ballast.oracle.history")

CONSENSUS_COLUMNS = ("symbol", "sequence", "price", "confidence", "status", "sources_used",
                     "max_deviation", "reasons", "sources", "computed_at")
TRADE_COLUMNS = ("venue", "pair", "base_symbol", "quote_symbol", "side", "price", "base_volume",
                 "quote_volume", "base_amount_raw", "quote_amount_raw", "tx_hash", "log_index",
                 "block_number", "block_hash", "ts")

# New trades only (ON CONFLICT DO NOTHING ... RETURNING) are folded into their minute bars, so a
# trade written twice (a retry, a replay after a reorg) is counted once.
_INSERT_TRADES_AND_BARS = """
WITH new AS (
    INSERT INTO oracle_trades SELECT * FROM oracle_trades_stage
    ON CONFLICT (tx_hash, log_index) DO NOTHING
    RETURNING base_symbol, quote_symbol, price, base_volume, ts, log_index
), agg AS (
    SELECT base_symbol, quote_symbol, date_trunc('minute', ts) AS minute,
           (array_agg(price ORDER BY ts, log_index))[1] AS open,
           max(price) AS high, min(price) AS low,
           (array_agg(price ORDER BY ts DESC, log_index DESC))[1] AS close,
           sum(base_volume) AS volume, sum(price * base_volume) AS price_volume,
           count(*)::integer AS trades, min(ts) AS open_at, max(ts) AS close_at
    FROM new GROUP BY 1, 2, 3
)
INSERT INTO oracle_bars_1m AS b
SELECT * FROM agg
ON CONFLICT (symbol, quote, minute) DO UPDATE SET
    open = CASE WHEN EXCLUDED.open_at < b.open_at THEN EXCLUDED.open ELSE b.open END,
    open_at = LEAST(b.open_at, EXCLUDED.open_at),
    high = GREATEST(b.high, EXCLUDED.high),
    low = LEAST(b.low, EXCLUDED.low),
    close = CASE WHEN EXCLUDED.close_at >= b.close_at THEN EXCLUDED.close ELSE b.close END,
    close_at = GREATEST(b.close_at, EXCLUDED.close_at),
    volume = b.volume + EXCLUDED.volume,
    price_volume = b.price_volume + EXCLUDED.price_volume,
    trades = b.trades + EXCLUDED.trades
"""


_INSERT_OBSERVATIONS = """
INSERT INTO oracle_observations (symbol, source, price, confidence, published_at, observed_at,
                                 block_number, feed_id)
SELECT symbol, source, price, confidence, published_at, observed_at, block_number, feed_id
FROM json_to_recordset($1::json) AS o(symbol text, source text, price numeric, confidence numeric,
                                      published_at timestamptz, observed_at timestamptz,
                                      block_number bigint, feed_id text)
"""
OBSERVATIONS_PER_STATEMENT = 20_000  # a bounded parameter even after a long Postgres outage

_SOURCES = TypeAdapter(list[SourceReading])


def _array(items: list[str]) -> str:
    """A Postgres text[] literal."""
    quoted = ('"' + i.replace("\\", "\\\\").replace('"', '\\"') + '"' for i in items)
    return "{" + ",".join(quoted) + "}"


def observations_json(batch: list[bytes]) -> str:
    """Readings (each its JSON, the bus's own encoding) as the array `_INSERT_OBSERVATIONS`
    reads."""
    return (b"[" + b",".join(batch) + b"]").decode()


def consensus_row(c: ConsensusPrice) -> tuple[Any, ...]:
    return (c.symbol, c.sequence, c.price, c.confidence, c.status.value, c.sources_used,
            c.max_deviation, _array(list(c.reasons)), _SOURCES.dump_json(c.sources).decode(),
            c.computed_at.isoformat())


def trade_row(t: Trade) -> tuple[Any, ...]:
    return (t.venue, t.pair, t.base_symbol, t.quote_symbol, t.side.value, t.price,
            t.base_volume, t.quote_volume, t.base_amount_raw, t.quote_amount_raw, t.tx_hash,
            t.log_index, t.block_number, t.block_hash, t.timestamp.isoformat())


def to_csv(rows: list[tuple[Any, ...]]) -> io.BytesIO:
    """CSV for COPY: None is an unquoted empty field (NULL); Decimals print exactly."""
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerows(rows)
    return io.BytesIO(text.getvalue().encode())


class HistoryWriter:
    """Buffers rows and writes them in batches on `flush()` (driven by a periodic job).
    Readings are buffered as their JSON (the bytes the bus got), the rest as rows."""

    def __init__(self, pool: Postgres, metrics: OracleMetrics, *,
                 max_buffered: int = 500_000) -> None:
        self.pool = pool
        self.metrics = metrics
        self.max_buffered = max_buffered
        self._rows: dict[str, deque[Any]] = {
            "oracle_observations": deque(), "oracle_consensus": deque(), "oracle_trades": deque()}

    def add_observations(self, encoded: Sequence[bytes]) -> None:
        self._add("oracle_observations", encoded)

    def add_consensus(self, c: ConsensusPrice) -> None:
        self._add("oracle_consensus", [consensus_row(c)])

    def add_trade(self, t: Trade) -> None:
        self._add("oracle_trades", [trade_row(t)])

    def _add(self, table: str, new: Sequence[Any]) -> None:
        rows = self._rows[table]
        rows.extend(new)
        if (over := len(rows) - self.max_buffered) > 0:  # Postgres has been away too long:
            for _ in range(over):  # keep the newest, count the loss
                rows.popleft()
            self.metrics.db_errors.labels(table).inc(over)

    @property
    def pending(self) -> int:
        return sum(len(r) for r in self._rows.values())

    async def flush(self) -> None:
        """Write everything buffered; on failure keep the rows for the next flush."""
        for table, rows in self._rows.items():
            left = len(rows)  # what is buffered now; later rows wait for the next flush
            size = OBSERVATIONS_PER_STATEMENT if table == "oracle_observations" else left
            while left > 0:
                batch = list(itertools.islice(rows, min(size, left)))
                left -= len(batch)
                try:
                    async with self.pool.acquire() as conn:
                        await self._write(conn, table, batch)
                except (asyncpg.PostgresError, OSError) as err:
                    self.metrics.db_errors.labels(table).inc()
                    log.warning("history write failed, will retry",
                                extra={"table": table, "rows": len(batch), "error": repr(err)})
                    break
                for _ in range(len(batch)):
                    rows.popleft()
                self.metrics.db_rows.labels(table).inc(len(batch))

    @staticmethod
    async def _write(conn: Any, table: str, batch: list[Any]) -> None:
        if table == "oracle_observations":
            await conn.execute(_INSERT_OBSERVATIONS, observations_json(batch))
        elif table == "oracle_consensus":
            await conn.copy_to_table(table, source=to_csv(batch), columns=CONSENSUS_COLUMNS,
                                     format="csv")
        else:
            async with conn.transaction():
                await conn.execute("CREATE TEMP TABLE oracle_trades_stage "
                                   "(LIKE oracle_trades) ON COMMIT DROP")
                await conn.copy_to_table("oracle_trades_stage", source=to_csv(batch),
                                         columns=TRADE_COLUMNS, format="csv")
                await conn.execute(_INSERT_TRADES_AND_BARS)


class HistoryReader:
    """Range queries the treasury and the tests need."""

    def __init__(self, pool: Postgres) -> None:
        self.pool = pool

    async def last_sequences(self) -> dict[str, int]:
        rows = await self.pool.fetch(
            "SELECT symbol, max(sequence) AS seq FROM oracle_consensus GROUP BY symbol")
        return {str(r["symbol"]): int(r["seq"]) for r in rows}

    async def last_trade_block(self, venue: str, pair: str) -> int | None:
        """Where a restarted trade scanner resumes (the DB is the record of what was seen)."""
        value = await self.pool.fetchval(
            "SELECT max(block_number) FROM oracle_trades WHERE venue = $1 AND pair = $2",
            venue, pair)
        return None if value is None else int(value)

    async def vwap(self, symbol: str, quote: str, start: datetime, end: datetime) -> Decimal | None:
        value = await self.pool.fetchval(
            "SELECT sum(price_volume) / NULLIF(sum(volume), 0) FROM oracle_bars_1m "
            "WHERE symbol = $1 AND quote = $2 AND minute >= $3 AND minute < $4",
            symbol, quote, start, end)
        return None if value is None else Decimal(value)

    async def bars(self, symbol: str, start: datetime, end: datetime) -> list[dict[str, Any]]:
        rows = await self.pool.fetch(
            "SELECT * FROM oracle_bars_1m WHERE symbol = $1 AND minute >= $2 AND minute < $3 "
            "ORDER BY minute", symbol, start, end)
        return [dict(r) for r in rows]
