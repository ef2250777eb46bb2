"""PSTR seed section 6: 60/40 pools, ±10% range, IL, fees, in-range share, 15% rebalance."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from ballast.strategy.params import StrategyParams
from ballast.strategy.rebalance import liquidity_needs_rebalance
from ballast.treasury.domain import liquidity as lq

NOW = datetime(2026, 11, 22, tzinfo=UTC)
Q = D("0.000001")


def test_v2_band_share__10pct__about_4_89pct() -> None:
    # 1 - (sqrt(0.9) + sqrt(1/1.1)) / 2 = 1 - (0.948683 + 0.953463) / 2 = 0.048927
    assert lq.v2_band_share().quantize(Q) == D("0.048927")
    assert lq.v3_capital_efficiency().quantize(D("0.1")) == D("20.4")


@pytest.mark.parametrize(
    ("ratio", "loss"),
    [(D(1), D(0)), (D(4), D("-0.2")), (D("0.25"), D("-0.2")), (D("1.21"), D("-0.004525"))],
)
def test_impermanent_loss__price_ratio__2sqrt_r_over_1_plus_r_minus_1(ratio: D, loss: D) -> None:
    assert lq.impermanent_loss(ratio).quantize(Q) == loss.quantize(Q)


@pytest.mark.parametrize(
    ("price", "rebalance"),
    [(D("1.15"), False), (D("1.1501"), True), (D("0.85"), False), (D("0.8499"), True)],
)
def test_needs_rebalance__15pct_from_centre__strictly_more(price: D, rebalance: bool) -> None:
    assert liquidity_needs_rebalance(price, D(1), StrategyParams()) is rebalance


def test_fee_share__liquidity_per_lp_up_1pct__0_0099() -> None:
    assert lq.fee_share(D(1), D("1.01")).quantize(Q) == D("0.009901")


def reading(pair: str, r0: str, r1: str, t0: str, t1: str) -> lq.PoolReading:
    return lq.PoolReading(
        pool="0x" + "1" * 40, pair=pair, token0=t0, token1=t1, reserve0=D(r0), reserve1=D(r1),
        lp_supply=D(100), lp_balance=D(10), lp_balance_raw=10 * 10**18,
    )


def test_build_liquidity__two_pools_one_moved__weights_in_range_and_signal() -> None:
    prices: dict[str, D | None] = {"PUMP": D(1), "WCORE": D(10), "PSTR": D("1.2"), "USDC": D(1)}
    # PUMP/WCORE: 1000 PUMP, 100 WCORE; 10% share = 100 PUMP ($100) + 10 WCORE ($100) = $200
    wcore = reading("PUMP-WCORE", "1000", "100", "PUMP", "WCORE")
    g_wcore = lq.liquidity_per_lp(D(1000), D(100), D(100))
    # PSTR/USDC: 1000 PSTR, 1200 USDC; pool price 1.2 vs centre 1.0 (+20%): out of range
    # 10% share = 100 PSTR ($120) + 120 USDC ($120) = $240; fees: g up from 10 to sqrt(12)
    usdc = reading("PSTR-USDC", "1000", "1200", "PSTR", "USDC")
    state = lq.build_liquidity(
        [
            (wcore, lq.PoolEntry(D("0.1"), g_wcore), D("0.60")),
            (usdc, lq.PoolEntry(D(1), D(10)), D("0.40")),
        ],
        prices,
        NOW,
        StrategyParams(),
    )
    a, b = state.positions
    assert state.total_value_usd == D(440)
    assert a.value_usd == D(200) and a.in_range and a.impermanent_loss == 0
    assert a.fees_earned_usd == 0 and a.target_weight == D("0.60")
    assert a.actual_weight is not None and a.actual_weight.quantize(Q) == D("0.454545")
    assert (a.range_lower, a.range_upper) == (D("0.090"), D("0.110"))
    assert not b.in_range and b.value_usd == D(240)
    assert b.impermanent_loss is not None
    assert b.impermanent_loss.quantize(Q) == D("-0.004141")  # 2 sqrt(1.2) / 2.2 - 1
    # sqrt(1000 x 1200) / 100 = 10.954451; 240 x (1 - 10 / 10.954451) = 240 x 0.087129
    assert b.fees_earned_usd is not None and b.fees_earned_usd.quantize(D("0.001")) == D("20.911")
    assert state.in_range_share is not None
    assert state.in_range_share.quantize(Q) == D("0.454545")
    assert state.rebalance_needed


def test_build_liquidity__missing_price__value_unknown_and_said() -> None:
    pos = reading("PUMP-WCORE", "1000", "100", "PUMP", "WCORE")
    state = lq.build_liquidity(
        [(pos, lq.PoolEntry(D("0.1"), D(1)), D("0.60"))], {"PUMP": D(1), "WCORE": None}, NOW,
        StrategyParams(),
    )
    assert state.total_value_usd is None and state.in_range_share is None
    assert any("missing" in r for r in state.reasons)
