"""Minute bars, the backtest's input: per symbol, one price and one traded volume per minute, and
optionally one price per oracle source.

The tape is a dense grid of minutes (`start_minute` .. `start_minute + length - 1`, minutes since
the Unix epoch, UTC). The first `warmup` minutes only feed the 30-day VWAP and the daily closes;
the policy runs on the rest (the evaluation window).

Per symbol:
- `prices[i]`: the market's price in minute i (USD). With per-source readings it is their median
  (the reference the "without the policy" drawdown is measured on).
- `volumes[i]`: the volume traded in minute i, in units of the symbol (PSTR/USDC trades: the
  VWAP's input).
- `sources`: source name -> price per minute (None: no reading from that source in the minute).
  Empty when the input has one price per symbol; the consensus then is that price (feeds.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MINUTES_PER_DAY = 1440


def at(minute: int) -> datetime:
    """The UTC instant a minute (since the epoch) starts."""
    return EPOCH + timedelta(minutes=minute)


@dataclass(frozen=True)
class Series:
    symbol: str
    prices: list[Decimal]
    volumes: list[Decimal]
    sources: dict[str, list[Decimal | None]] = field(
        default_factory=dict[str, list[Decimal | None]])


@dataclass(frozen=True)
class Tape:
    name: str
    start_minute: int
    length: int
    warmup: int
    series: dict[str, Series]

    def __post_init__(self) -> None:
        if self.length <= self.warmup:
            raise ValueError(
                f"{self.name}: {self.length} minutes is not more than the {self.warmup}-minute "
                "warm-up: nothing to evaluate"
            )
        for s in self.series.values():
            if len(s.prices) != self.length or len(s.volumes) != self.length:
                raise ValueError(f"{self.name}: {s.symbol} has not one bar per minute")
            if any(len(v) != self.length for v in s.sources.values()):
                raise ValueError(f"{self.name}: a {s.symbol} source has not one bar per minute")

    @property
    def days(self) -> Decimal:
        return Decimal(self.length - self.warmup) / MINUTES_PER_DAY

    def with_constant(self, symbol: str, price: Decimal) -> Tape:
        """The tape plus a symbol held at one price (no volume), unless it has one already."""
        if symbol in self.series:
            return self
        flat = Series(symbol, [price] * self.length, [Decimal(0)] * self.length)
        return Tape(self.name, self.start_minute, self.length, self.warmup,
                    {**self.series, symbol: flat})
