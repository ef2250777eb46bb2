"""`--csv FILE`: real history as minute bars.

Columns (a header row is required; extra columns are ignored):

    time     ISO 8601 with a zone (2025-01-31T14:05:00Z) or Unix seconds
    symbol   PSTR, PUMP, USDC, ...
    price    USD per unit, a decimal
    volume   units of the symbol traded in that row's minute (0 for an oracle feed)
    source   optional: the oracle source of the price (pyth, chainlink, dex_twap, ...)

Rows are grouped by minute (time floored to the minute). With a `source` column, each source's
last price of the minute is one reading for the consensus (ballast.oracle's own `compute`); the
bar's price is their median. Without it, the last price of the minute is the bar's price. Volumes
of a minute add up. A minute with no row keeps the previous price (volume 0); a symbol whose first
row comes late is back-filled with its first price. A source keeps no price in a minute it did
not report: the consensus sees its last reading, with that reading's age. PSTR is required; PUMP
and USDC, when absent, are held at constant prices given by the caller.
"""

from __future__ import annotations

import csv
import statistics
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from ballast.backtest.tape import EPOCH, MINUTES_PER_DAY, Series, Tape

REQUIRED = ("time", "symbol", "price", "volume")


def _minute(text: str) -> int:
    text = text.strip()
    try:
        seconds = Decimal(text)
        return int(seconds) // 60
    except InvalidOperation:
        pass
    ts = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if ts.tzinfo is None:
        raise ValueError(f"time {text!r} has no time zone")
    return int((ts - EPOCH).total_seconds()) // 60


Rows = dict[str, dict[int, tuple[dict[str, Decimal], Decimal]]]
"""symbol -> minute -> (source -> price, volume)."""


def parse_rows(lines: Iterable[str], name: str) -> Rows:
    reader = csv.DictReader(lines)
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValueError(f"{name}: missing column(s) {', '.join(missing)} (need "
                         "time,symbol,price,volume[,source])")
    rows: Rows = {}
    for n, raw in enumerate(reader, start=2):
        row = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        try:
            minute = _minute(row["time"])
            price, volume = Decimal(row["price"]), Decimal(row["volume"] or "0")
        except (ValueError, InvalidOperation) as err:
            raise ValueError(f"{name} line {n}: {err}") from None
        if not price.is_finite() or price <= 0 or not volume.is_finite() or volume < 0:
            raise ValueError(f"{name} line {n}: price must be > 0 and volume >= 0")
        symbol, source = row["symbol"], row.get("source") or ""
        if not symbol:
            raise ValueError(f"{name} line {n}: empty symbol")
        readings, vol = rows.setdefault(symbol, {}).get(minute, ({}, Decimal(0)))
        readings[source] = price
        rows[symbol][minute] = (readings, vol + volume)
    if "PSTR" not in rows:
        raise ValueError(f"{name}: no PSTR rows")
    return rows


def _series(symbol: str, bars: dict[int, tuple[dict[str, Decimal], Decimal]], start: int,
            length: int) -> Series:
    sources = sorted({s for readings, _ in bars.values() for s in readings if s})
    first = bars[min(bars)][0]
    last = statistics.median(first.values())
    prices: list[Decimal] = []
    volumes: list[Decimal] = []
    by_source: dict[str, list[Decimal | None]] = {s: [] for s in sources}
    for minute in range(start, start + length):
        readings, volume = bars.get(minute, ({}, Decimal(0)))
        if readings:
            last = statistics.median(readings.values())
        prices.append(last)
        volumes.append(volume)
        for s in sources:
            by_source[s].append(readings.get(s))
    return Series(symbol, prices, volumes, by_source)


def load_csv(path: Path, warmup_days: int = 30) -> Tape:
    """The file's bars on one minute grid (see the module docstring)."""
    with path.open(newline="") as f:
        rows = parse_rows(f, path.name)
    start = min(min(b) for b in rows.values())
    end = max(max(b) for b in rows.values())
    length = end - start + 1
    warmup = warmup_days * MINUTES_PER_DAY
    if length <= warmup:
        raise ValueError(f"{path.name}: {length} minutes of history, more than the "
                         f"{warmup_days}-day warm-up is needed (--warmup-days to shorten it)")
    series = {s: _series(s, bars, start, length) for s, bars in rows.items()}
    return Tape(path.stem, start, length, warmup, series)
