"""The rolling 30-day VWAP (PSTR seed section 3 trigger input): exact, constant time per trade."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

from hypothesis import given
from hypothesis import strategies as st

from ballast.common.messages import Trade, TradeSide
from ballast.treasury.domain.vwap import (
    WINDOW_MINUTES,
    Bucket,
    RollingVwap,
    minute_of,
    pstr_usd_leg,
    to_units,
)

T0 = datetime(2026, 11, 1, tzinfo=UTC)
M = timedelta(minutes=1)


def test_value__two_trades__volume_weighted() -> None:
    v = RollingVwap()
    v.add(T0, D("1.0"), D(100))
    v.add(T0 + 5 * M, D("1.2"), D(50))
    # (1.0 x 100 + 1.2 x 50) / 150 = 160 / 150
    assert v.value() == D(160) / D(150)


def test_value__no_trades__none() -> None:
    assert RollingVwap().value(T0) is None


def test_value__oldest_minute_leaves_window__dropped() -> None:
    v = RollingVwap(window_minutes=3)
    v.add(T0, D(1), D(1))
    v.add(T0 + 2 * M, D(2), D(1))
    assert v.value() == D("1.5")
    assert v.value(T0 + 3 * M) == D(2)
    assert v.value(T0 + 5 * M) is None


def test_add__late_trade_inside_window__counted_outside__ignored() -> None:
    v = RollingVwap(window_minutes=10)
    v.add(T0 + 20 * M, D(2), D(1))
    assert v.add(T0 + 15 * M, D(4), D(1))
    assert not v.add(T0 + 10 * M, D(100), D(1))
    assert v.value() == D(3)


def test_value__30_day_window__43200_minutes() -> None:
    v = RollingVwap()
    v.add(T0, D(1), D(1))
    v.add(T0 + timedelta(days=1), D(3), D(1))
    assert v.value(T0 + (WINDOW_MINUTES - 1) * M) == D(2)
    assert v.value(T0 + WINDOW_MINUTES * M) == D(3)


def test_restore__buckets__same_as_incremental() -> None:
    live = RollingVwap(window_minutes=100)
    for i in range(150):
        live.add(T0 + i * M, D(1) + D(i) / 100, D(i % 7 + 1))
    buckets = [
        Bucket(minute_of(T0 + i * M), to_units((D(1) + D(i) / 100) * (i % 7 + 1)),
               to_units(D(i % 7 + 1)))
        for i in range(150)
    ]
    cold = RollingVwap(window_minutes=100)
    cold.restore(list(reversed(buckets)))
    assert (cold.pv_total, cold.volume_total) == (live.pv_total, live.volume_total)
    assert cold.value() == live.value()


trades = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=400),
        st.integers(min_value=1, max_value=10**6).map(lambda i: D(i) / 1000),
        st.integers(min_value=0, max_value=10**6).map(lambda i: D(i) / 100),
    ),
    min_size=1, max_size=80,
)


@given(trades, st.integers(min_value=0, max_value=500))
def test_rolling_totals__any_trades__equal_brute_force_over_window(
    items: list[tuple[int, D, D]], later: int
) -> None:
    window = 60
    v = RollingVwap(window_minutes=window)
    accepted: list[tuple[int, int, int]] = []
    for minute, price, volume in items:
        if v.add_units(minute, to_units(price * volume), to_units(volume)):
            accepted.append((minute, to_units(price * volume), to_units(volume)))
    assert v.head is not None
    end = v.head + later
    v.advance(end)
    inside = [a for a in accepted if a[0] > end - window]
    assert v.pv_total == sum(a[1] for a in inside)
    assert v.volume_total == sum(a[2] for a in inside)


def trade(base: str, quote: str, price: str, base_vol: str, quote_vol: str) -> Trade:
    return Trade(
        venue="uniswap_v2", pair=f"{base}-{quote}", base_symbol=base, quote_symbol=quote,
        side=TradeSide.BUY, price=D(price), base_volume=D(base_vol), quote_volume=D(quote_vol),
        tx_hash="0x" + "a" * 64, log_index=0, block_number=1, block_hash="0x" + "b" * 64,
        timestamp=T0,
    )


def test_pstr_usd_leg__pstr_usdc__price_and_base_volume() -> None:
    assert pstr_usd_leg(trade("PSTR", "USDC", "0.8", "100", "80")) == (D("0.8"), D(100))


def test_pstr_usd_leg__usdc_pstr__inverted() -> None:
    assert pstr_usd_leg(trade("USDC", "PSTR", "1.25", "80", "100")) == (D("0.8"), D(100))


def test_pstr_usd_leg__pstr_pump__ignored() -> None:
    assert pstr_usd_leg(trade("PSTR", "PUMP", "2", "1", "2")) is None
