"""One-minute OHLCV bars and VWAP over them.

Why: the treasury triggers on "PSTR price drops below 85% of 30-day VWAP" (PSTR seed,
"Intervention Engine"). Summing price × volume and volume per minute keeps any VWAP window a
cheap range sum: VWAP = Σ(price × volume) / Σ volume. Postgres keeps the same bars (the
oracle's migration); these functions are the reference and serve backtests.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal


def minute_of(ts: datetime) -> datetime:
    return ts.replace(second=0, microsecond=0)


@dataclass(frozen=True)
class MinuteBar:
    symbol: str
    minute: datetime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    volume: Decimal
    price_volume: Decimal
    trades: int = 1


def fold(bar: MinuteBar | None, symbol: str, ts: datetime, price: Decimal,
         volume: Decimal) -> MinuteBar:
    """Add one trade (in time order) to its minute's bar."""
    if bar is None:
        return MinuteBar(symbol, minute_of(ts), price, price, price, price, volume,
                         price * volume)
    return replace(
        bar,
        high=max(bar.high, price),
        low=min(bar.low, price),
        close=price,
        volume=bar.volume + volume,
        price_volume=bar.price_volume + price * volume,
        trades=bar.trades + 1,
    )


def bars_from_trades(
    symbol: str, trades: Iterable[tuple[datetime, Decimal, Decimal]]
) -> list[MinuteBar]:
    """(timestamp, price, base volume) trades -> bars, oldest first."""
    bars: dict[datetime, MinuteBar] = {}
    for ts, price, volume in sorted(trades, key=lambda t: t[0]):
        key = minute_of(ts)
        bars[key] = fold(bars.get(key), symbol, ts, price, volume)
    return [bars[k] for k in sorted(bars)]


def vwap(bars: Iterable[MinuteBar], start: datetime, end: datetime) -> Decimal | None:
    """Volume-weighted average price of the bars whose minute is in [start, end)."""
    volume, pv = Decimal(0), Decimal(0)
    for bar in bars:
        if start <= bar.minute < end:
            volume += bar.volume
            pv += bar.price_volume
    return pv / volume if volume > 0 else None
