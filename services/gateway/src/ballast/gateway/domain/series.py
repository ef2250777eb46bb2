"""History queries: which series exist, and a window `from..to` cut into `step` buckets.

Each bucket reports the last value inside it (as Prometheus range queries report the sample at
each step), so a downsampled price is a price that was actually seen, never an average of two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

SERIES: dict[str, str] = {
    "price.<SYMBOL>": "consensus price of a symbol (oracle_consensus)",
    "reserve_ratio": "treasury value / PSTR market cap (treasury_snapshots)",
    "health_score": "health score (treasury_snapshots)",
    "nav_per_share": "StakeBasket NAV per share (etf_snapshots)",
    "aum": "StakeBasket AUM in USD (etf_snapshots)",
    "var": "1-day VaR 95%, historical, USD (risk reports)",
    "expected_shortfall": "1-day expected shortfall 95%, USD (risk reports)",
}
"""The series `GET /api/v1/history/{series}` serves: name -> what and where from."""

_DURATION = re.compile(r"^(\d+)(s|m|h|d)?$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
_SYMBOL = re.compile(r"^[A-Za-z0-9_\-]{1,32}$")
MAX_DURATION = timedelta(days=3660)
"""The longest duration a query takes (ten years): longer ones would leave the calendar."""


class QueryError(ValueError):
    """A history or report query the gateway refuses; the message says why."""


def parse_duration(text: str) -> timedelta:
    """`90`, `30s`, `5m`, `1h`, `1d` -> a timedelta (positive, at most MAX_DURATION)."""
    match = _DURATION.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise QueryError(f"{text!r}: a duration like 30s, 5m, 1h or 1d")
    seconds = int(match.group(1)) * _UNITS[match.group(2)]
    if seconds > MAX_DURATION.total_seconds():
        raise QueryError(f"{text!r}: at most {MAX_DURATION.days}d")
    return timedelta(seconds=seconds)


@dataclass(frozen=True)
class SeriesRef:
    name: str
    symbol: str | None = None


def parse_series(name: str) -> SeriesRef:
    if name.startswith("price."):
        symbol = name.removeprefix("price.")
        if not _SYMBOL.match(symbol):
            raise QueryError(f"{name!r}: price.<SYMBOL>, e.g. price.PSTR")
        return SeriesRef("price", symbol)
    if name not in SERIES:
        raise QueryError(f"{name!r}: unknown series; known: {', '.join(SERIES)}")
    return SeriesRef(name)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime
    step: timedelta


def window(
    start: datetime | None, end: datetime | None, step: str | None, now: datetime, max_points: int
) -> Window:
    """The window asked for; default the last 24 hours; at most `max_points` buckets."""
    end = end or now
    try:
        start = start or end - timedelta(hours=24)
    except OverflowError:
        raise QueryError("to: a time after 0001-01-02") from None
    if start.tzinfo is None or end.tzinfo is None:
        raise QueryError("from and to must carry a time zone (RFC 3339, e.g. ...Z)")
    if start >= end:
        raise QueryError("from must be before to")
    span = end - start
    # the default step rounds up to the microsecond: rounding down could ask for one point too many
    fitted = timedelta(microseconds=-(-span // timedelta(microseconds=max_points)))
    size = parse_duration(step) if step else max(fitted, timedelta(seconds=1))
    if span / size > max_points:
        raise QueryError(f"step too small: more than {max_points} points; use a larger step")
    return Window(start, end, size)
