"""An intervention mined a minute after its decision, and its ROI (PSTR seed 3, step 5:
ballast.strategy.impact, the function the live performance tracking uses)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from ballast.backtest import book
from ballast.backtest.amm import BPS
from ballast.backtest.results import Intervention
from ballast.backtest.tape import at
from ballast.strategy.impact import impact

if TYPE_CHECKING:
    from ballast.backtest.engine import Engine


def execute(e: Engine, x: Intervention, minute: int, base: Decimal, p_pump: Decimal) -> None:
    """The swap against the pool at this minute's market price (see ballast.backtest.book); a
    fill moves the PSTR market by the pool's price factor, and the prices one minute and
    `roi_horizon_hours` later are watched for the ROI."""
    a = e.account
    before = base * e.impact.multiplier
    pool = book.pool_at(a, before, p_pump)
    fill = book.swap_pump_for_pstr(e.hold, a, pool, x.amount_in_raw, x.min_out_raw)
    x.executed_at, x.reverted = at(minute), fill.reverted
    x.price_before = before
    x.cost_usd = a.gas_usd
    if fill.reverted:
        return
    e.impact.apply(fill.price_factor)
    e.watch.setdefault(minute + 1, []).append((x, "after"))
    e.watch.setdefault(minute + a.roi_horizon_hours * 60, []).append((x, "later"))
    x.pump_in = Decimal(fill.pump_in_raw).scaleb(-18)
    x.pstr_out = Decimal(fill.pstr_out_raw).scaleb(-18)
    x.spent_usd = x.pump_in * p_pump
    x.fee_usd = x.spent_usd * a.fee_bps / BPS
    x.cost_usd += x.spent_usd - x.pstr_out * before


def roi(x: Intervention, a: book.Account, now: datetime) -> None:
    """Price impact and ROI of a filled intervention as of `now` (None past the run's end)."""
    if x.executed_at is None or x.reverted:
        return
    horizon = timedelta(hours=a.roi_horizon_hours)
    prices = [(t, p) for t, p in ((x.executed_at + timedelta(minutes=1), x.price_after),
                                  (x.executed_at + horizon, x.price_later)) if p is not None]
    found = impact(x.price_before, x.spent_usd, x.pstr_out, x.executed_at, prices, horizon, now)
    x.price_impact, x.roi = found.price_impact, found.roi
