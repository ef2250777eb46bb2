"""TWAP, swap-to-trade, reorg helpers, minute bars and VWAP, units and backoff."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from ballast.common.messages import TradeSide
from ballast.oracle.domain.backoff import backoff_delay
from ballast.oracle.domain.bars import bars_from_trades, vwap
from ballast.oracle.domain.trades import SwapAmounts, confirmed_range, fork_point, swap_to_trade
from ballast.oracle.domain.twap import (
    MOD_CUMULATIVE,
    MOD_TIME,
    Q112,
    CumulativePoint,
    PairState,
    TwapWindow,
    average_price,
    current_cumulative,
    spot_price,
)
from ballast.oracle.domain.units import BadValue, fixed, parse_decimal, scaled

E18, E6 = 10**18, 10**6


def test_current_cumulative__pair_idle__adds_counterfactual() -> None:
    state = PairState(0, 0, reserve0=1000 * E18, reserve1=2500 * E6, block_timestamp_last=100)
    point = current_cumulative(state, 160)
    assert point.price0_cumulative == (2500 * E6 * Q112 // (1000 * E18)) * 60
    average = average_price(CumulativePoint(100, 0, 0), point, decimals0=18, decimals1=6)
    assert average is not None and abs(average - Decimal("2.5")) < Decimal("1e-20")  # UQ112


def test_average_price__timestamp_and_cumulative_wrap__same_average() -> None:
    per_second = 3 * Q112  # price 3 (token1 per token0, equal decimals)
    start = CumulativePoint(MOD_TIME - 10, MOD_CUMULATIVE - per_second * 4, 0)
    end = CumulativePoint(20, (start.price0_cumulative + per_second * 30) % MOD_CUMULATIVE, 0)
    assert average_price(start, end, decimals0=18, decimals1=18) == Decimal(3)


def test_average_price__token1_is_base__inverse_with_decimals() -> None:
    state = PairState(0, 0, reserve0=2000 * E6, reserve1=1 * E18, block_timestamp_last=0)
    end = current_cumulative(state, 10)
    price = average_price(CumulativePoint(0, 0, 0), end, decimals0=6, decimals1=18,
                          token0_is_base=False)
    assert price is not None and abs(price - 2000) < Decimal("1e-20")
    assert spot_price(state, decimals0=6, decimals1=18, token0_is_base=False) == Decimal(2000)


def test_average_price__no_time_passed__none() -> None:
    point = CumulativePoint(5, 1, 1)
    assert average_price(point, point, decimals0=18, decimals1=18) is None


def test_twap_window__samples__uses_newest_at_least_window_old() -> None:
    window = TwapWindow(60)
    for t in range(0, 200, 10):
        window.add(t, CumulativePoint(t, t * Q112, 0))
    start = window.start_for(200)
    assert start is not None and start.timestamp == 140
    assert TwapWindow(60).start_for(10) is None


def test_swap_to_trade__base_sold__sell_with_effective_price() -> None:
    trade = swap_to_trade(SwapAmounts(10 * E18, 0, 0, 25 * E6), decimals0=18, decimals1=6)
    assert trade is not None
    assert (trade.side, trade.price, trade.base_volume, trade.quote_volume) == (
        TradeSide.SELL, Decimal("2.5"), Decimal(10), Decimal(25))


def test_swap_to_trade__base_bought_token1_base__buy() -> None:
    trade = swap_to_trade(SwapAmounts(30 * E6, 0, 0, 10 * E18), decimals0=6, decimals1=18,
                          token0_is_base=False)
    assert trade is not None and trade.side is TradeSide.BUY and trade.price == Decimal(3)


def test_swap_to_trade__no_base_moved__none() -> None:
    assert swap_to_trade(SwapAmounts(0, 5, 0, 5), decimals0=18, decimals1=18) is None


def test_confirmed_range__depth__only_deep_blocks() -> None:
    assert confirmed_range(100, 103, 3) is None
    assert confirmed_range(100, 110, 3) == (101, 107)


def test_fork_point__replaced_tail__last_common_block() -> None:
    remembered = [(10, "0xa"), (11, "0xb"), (12, "0xc")]
    assert fork_point(remembered, {10: "0xa", 11: "0xb", 12: "0xc"}) == 12
    assert fork_point(remembered, {10: "0xa", 11: "0xB", 12: "0xC"}) == 10
    assert fork_point(remembered, {10: "0x0"}) is None


def test_bars_from_trades__two_minutes__ohlcv_and_vwap() -> None:
    t0 = datetime(2026, 11, 22, 12, 0, 5, tzinfo=UTC)
    trades = [(t0, Decimal(2), Decimal(10)), (t0 + timedelta(seconds=30), Decimal(4), Decimal(5)),
              (t0 + timedelta(seconds=10), Decimal(1), Decimal(1)),
              (t0 + timedelta(seconds=70), Decimal(3), Decimal(5))]
    bars = bars_from_trades("PSTR", trades)
    first = bars[0]
    assert (first.open, first.high, first.low, first.close) == (2, 4, 1, 4)
    assert first.volume == 16 and first.price_volume == 41 and first.trades == 3
    total = vwap(bars, t0 - timedelta(minutes=1), t0 + timedelta(minutes=5))
    assert total == Decimal(56) / Decimal(21)
    assert vwap(bars, t0 + timedelta(hours=1), t0 + timedelta(hours=2)) is None


def test_scaled__pyth_wire_format__exact_decimal() -> None:
    assert scaled("6140993501000", -8) == Decimal("61409.93501000")
    assert fixed(123456789, 8) == Decimal("1.23456789")
    with pytest.raises(BadValue):
        scaled("12.5", -8)
    with pytest.raises(BadValue):
        parse_decimal(1.5)
    with pytest.raises(BadValue):
        parse_decimal("NaN")


def test_backoff_delay__attempts__grow_then_cap() -> None:
    delays = [backoff_delay(a, base=1, cap=8, jitter=0) for a in range(0, 7)]
    assert delays == [0, 1, 2, 4, 8, 8, 8]
    assert 0.8 <= backoff_delay(1, base=1, jitter=0.2, rand=0) < 1
