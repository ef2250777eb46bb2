"""What an intervention did (PSTR seed 3, execution step 5 "Performance Tracking: ROI and impact
measurement").

- price impact: the PSTR price just after the swap over the price the decision saw, minus one;
- ROI after N hours: the PSTR bought, valued at the price N hours later, over the USD of PUMP
  spent, minus one (a buy-back that the market then holds is worth more than it cost).
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal


@dataclass(frozen=True)
class Impact:
    price_before: Decimal
    price_after: Decimal | None
    price_later: Decimal | None
    price_impact: Decimal | None
    roi: Decimal | None


def price_at(prices: Sequence[tuple[datetime, Decimal]], when: datetime) -> Decimal | None:
    """The last price at or before `when` (prices sorted by time), None before the first."""
    i = bisect.bisect_right([t for t, _ in prices], when)
    return prices[i - 1][1] if i else None


def price_after(prices: Sequence[tuple[datetime, Decimal]], when: datetime) -> Decimal | None:
    """The first price strictly after `when`, None if there is none yet."""
    i = bisect.bisect_right([t for t, _ in prices], when)
    return prices[i][1] if i < len(prices) else None


def impact(
    price_before: Decimal,
    spent_usd: Decimal,
    pstr_received: Decimal,
    executed_at: datetime,
    prices: Sequence[tuple[datetime, Decimal]],
    horizon: timedelta,
    now: datetime,
) -> Impact:
    after = price_after(prices, executed_at)
    later = price_at(prices, executed_at + horizon) if now >= executed_at + horizon else None
    return Impact(
        price_before=price_before,
        price_after=after,
        price_later=later,
        price_impact=None if after is None or price_before <= 0 else after / price_before - 1,
        roi=None if later is None or spent_usd <= 0 else pstr_received * later / spent_usd - 1,
    )
