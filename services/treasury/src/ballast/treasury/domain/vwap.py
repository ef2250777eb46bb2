"""30-day VWAP over one-minute buckets, constant time per trade (PSTR seed section 3: the
intervention trigger is "PSTR price drops below 85% of 30-day VWAP"; section 1: "VWAP Calculator").

VWAP = sum(price x volume) / sum(volume) over the trades of the last 30 days = 43,200 minutes.
The window is a ring of 43,200 buckets holding each minute's sum(p x v) and sum(v), plus the two
running totals: a trade adds to one bucket and to the totals; moving the window forward subtracts
the buckets that fall out. Each minute enters and leaves once, so the cost per update is constant
(amortised over the minutes the clock moved).

The sums are integers in units of 1e-8 (a trade's p x v and v are rounded to 1e-8 once, on the
way in; the aggregators' precision): integer adds and subtracts are exact, so the running totals
never drift from the sum of the buckets however long the service runs (Decimal would round at
28 digits on each add). A minute's bucket fits Postgres' bigint up to 9.2e10 (USD x PSTR, and
PSTR), far beyond PSTR's 10M supply; bigint rather than numeric halves the cold start.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from typing import NamedTuple

from ballast.common.messages import Trade

WINDOW_MINUTES = 43_200
SCALE = 10**8
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def minute_of(ts: datetime) -> int:
    """Minutes since the epoch (UTC) of an aware datetime."""
    return int((ts - _EPOCH).total_seconds()) // 60


def to_units(x: Decimal) -> int:
    return int((x * SCALE).to_integral_value(rounding=ROUND_HALF_EVEN))


class Bucket(NamedTuple):
    """One minute's sums (a tuple: 43,200 of them are built at every cold start)."""

    minute: int
    pv_units: int
    volume_units: int


class RollingVwap:
    """The ring of minute buckets; see the module docstring."""

    def __init__(self, window_minutes: int = WINDOW_MINUTES) -> None:
        if window_minutes <= 0:
            raise ValueError("window must be positive")
        self.size = window_minutes
        self._minute = [-1] * window_minutes
        self._pv = [0] * window_minutes
        self._vol = [0] * window_minutes
        self.pv_total = 0
        self.volume_total = 0
        self.head: int | None = None

    def _evict(self, slot: int) -> None:
        self.pv_total -= self._pv[slot]
        self.volume_total -= self._vol[slot]
        self._minute[slot], self._pv[slot], self._vol[slot] = -1, 0, 0

    def advance(self, minute: int) -> int:
        """Move the window's newest minute to `minute`, dropping what falls out of it; the newest
        minute after the move."""
        if self.head is None:
            self.head = minute
            return minute
        if minute <= self.head:
            return self.head
        if minute - self.head >= self.size:
            self._minute = [-1] * self.size
            self._pv = [0] * self.size
            self._vol = [0] * self.size
            self.pv_total = self.volume_total = 0
        else:
            for m in range(self.head + 1, minute + 1):
                slot = m % self.size
                if self._minute[slot] != -1:
                    self._evict(slot)
        self.head = minute
        return minute

    def add_units(self, minute: int, pv_units: int, volume_units: int) -> bool:
        """Add to a minute's bucket. False (ignored) when the minute left the window already."""
        head = self.advance(minute)
        if minute <= head - self.size:
            return False
        slot = minute % self.size
        if self._minute[slot] != minute:
            if self._minute[slot] != -1:
                self._evict(slot)
            self._minute[slot] = minute
        self._pv[slot] += pv_units
        self._vol[slot] += volume_units
        self.pv_total += pv_units
        self.volume_total += volume_units
        return True

    def add(self, ts: datetime, price: Decimal, volume: Decimal) -> bool:
        return self.add_units(minute_of(ts), to_units(price * volume), to_units(volume))

    def restore(self, buckets: list[Bucket]) -> None:
        """Cold start from stored minute bars (any order): one pass straight into the ring.

        Into a ring that already holds buckets, they are added one by one instead.
        """
        if not buckets:
            return
        if self.head is not None:
            for b in sorted(buckets, key=lambda b: b.minute):
                self.add_units(b.minute, b.pv_units, b.volume_units)
            return
        newest = max(b.minute for b in buckets)
        oldest_kept = newest - self.size
        minutes, pvs, vols = self._minute, self._pv, self._vol
        for b in buckets:
            if b.minute <= oldest_kept:
                continue
            slot = b.minute % self.size
            if minutes[slot] != b.minute:
                minutes[slot], pvs[slot], vols[slot] = b.minute, 0, 0
            pvs[slot] += b.pv_units
            vols[slot] += b.volume_units
        self.pv_total, self.volume_total, self.head = sum(pvs), sum(vols), newest

    def value(self, now: datetime | None = None) -> Decimal | None:
        """The VWAP of the window ending at `now` (or the newest trade); None without volume."""
        if now is not None:
            self.advance(minute_of(now))
        if self.volume_total <= 0:
            return None
        return Decimal(self.pv_total) / Decimal(self.volume_total)


def pstr_usd_leg(
    trade: Trade, pstr: str = "PSTR", usd_quotes: frozenset[str] = frozenset({"USDC"})
) -> tuple[Decimal, Decimal] | None:
    """(USD price of PSTR, PSTR volume) of a PSTR/stablecoin trade, either way round; else None.

    Only trades quoted in a USD stablecoin enter the VWAP: a PSTR/PUMP trade would need a PUMP
    price at the trade's instant, which would mix two markets into one average.
    """
    if trade.base_symbol == pstr and trade.quote_symbol in usd_quotes:
        return trade.price, trade.base_volume
    if trade.quote_symbol == pstr and trade.base_symbol in usd_quotes and trade.price > 0:
        return 1 / trade.price, trade.quote_volume
    return None


def trade_bucket(
    trade: Trade, pstr: str = "PSTR", usd_quotes: frozenset[str] = frozenset({"USDC"})
) -> Bucket | None:
    """A PSTR/stablecoin trade as its minute's VWAP contribution (`pstr_usd_leg`); else None.
    The live treasury and the backtest's replay count a trade the same way."""
    leg = pstr_usd_leg(trade, pstr, usd_quotes)
    if leg is None:
        return None
    price, volume = leg
    return Bucket(minute_of(trade.timestamp), to_units(price * volume), to_units(volume))
