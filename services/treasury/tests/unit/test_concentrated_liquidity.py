"""A V3 pool's position measured from one chain reading (amounts from liquidity at the pool
price, the real ticks, collect-static fees, IL against holding) and what is asked for it: an add
without a position, a rebalance past 15% from the band's centre, once per band (position NFT)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal as D
from decimal import localcontext

import pytest

from ballast.common.messages import AutomationKind, AutomationRequest, Holding
from ballast.strategy.concentrated import (
    PRECISION,
    Q96,
    band_centre,
    band_ticks,
    liquidity_for_amounts,
    sqrt_ratio_at_tick,
    tick_at_price,
)
from ballast.strategy.params import StrategyParams
from ballast.treasury.domain import concentrated_liquidity as cl
from ballast.treasury.domain import liquidity as lq

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
PARAMS = StrategyParams()
RAW = D("1e-12")  # 1 USDC (6 decimals, token1) per PSTR (18 decimals, token0)
LOWER, UPPER = band_ticks(RAW, 60, PARAMS)
CENTRE = band_centre(LOWER, UPPER)
PRICES: dict[str, D | None] = {"PSTR": D(1), "USDC": D(1)}
USDC = Holding(
    symbol="USDC",
    amount_raw=75 * 10**11,
    decimals=6,
    amount=D(7_500_000),
    price_usd=D(1),
    value_usd=D(7_500_000),
)


def sqrt_x96(raw_price: D) -> int:
    with localcontext(PRECISION):
        return int(raw_price.sqrt() * Q96)


SQRT = sqrt_x96(RAW)
LIQUIDITY = liquidity_for_amounts(
    SQRT, sqrt_ratio_at_tick(LOWER), sqrt_ratio_at_tick(UPPER), 50_000 * 10**18, 50_000 * 10**6
)


def reading(raw_price: D = RAW, *positions: cl.V3Position) -> cl.ConcentratedReading:
    return cl.ConcentratedReading(
        pool="0x" + "3" * 40,
        pair="PSTR-USDC-V3",
        token0="PSTR",
        token1="USDC",
        decimals0=18,
        decimals1=6,
        sqrt_price_x96=sqrt_x96(raw_price),
        tick=tick_at_price(raw_price),
        pool_liquidity=4 * LIQUIDITY,
        positions=positions,
    )


POSITION = cl.V3Position(7, LOWER, UPPER, LIQUIDITY, owed0=10 * 10**18, owed1=15 * 10**6)


def test_measure__at_the_mint_price__real_band_in_range_value_fees_and_no_loss() -> None:
    msg, rebalance = cl.measure(reading(RAW, POSITION), PRICES, D("0.4"), PARAMS)
    assert not rebalance and msg.in_range
    assert msg.lp_balance_raw == LIQUIDITY and msg.pool_share == D("0.25")
    # what the mint of 50,000 of each took: all of one, what the band's ratio asks of the other
    assert abs(msg.amount0 - 50_000) < D("0.01") or abs(msg.amount1 - 50_000) < D("0.01")
    assert msg.value_usd == msg.amount0 + msg.amount1 and D(90_000) < msg.value_usd < 100_000
    # the band's ticks in token units: at least ±10%, widened to the spacing only
    assert msg.range_lower is not None and msg.range_upper is not None
    assert D("0.89") < msg.range_lower <= D("0.9") and D("1.1") <= msg.range_upper < D("1.11")
    assert msg.range_centre == CENTRE.scaleb(12)
    assert msg.fees_earned_usd == D(25)  # 10 PSTR + 15 USDC owed
    assert msg.impermanent_loss is not None and abs(msg.impermanent_loss) < D("0.0001")
    assert msg.target_weight == D("0.4") and msg.band_started_at is None


def test_measure__price_up_20_percent__out_of_range_all_usdc_loss_rebalance() -> None:
    msg, rebalance = cl.measure(reading(CENTRE * D("1.2"), POSITION), PRICES, D("0.4"), PARAMS)
    assert rebalance and not msg.in_range
    assert msg.amount0 == 0 and msg.amount1 > 0 and msg.pool_share == 0
    assert msg.impermanent_loss is not None and msg.impermanent_loss < 0


@pytest.mark.parametrize("ratio", ["0.5", "0.85", "0.95", "1.05", "1.15", "1.3", "3"])
def test_impermanent_loss__any_move__non_positive_and_deeper_than_full_range(ratio: str) -> None:
    loss = cl.impermanent_loss(reading(CENTRE * D(ratio), POSITION))
    assert loss is not None and loss <= 0
    # concentrated liquidity loses more than a V2 (full range) position for the same move
    assert loss <= lq.impermanent_loss(D(ratio)) + D("1e-20")


def test_measure__no_position__nothing_held_no_band_value_zero() -> None:
    msg, rebalance = cl.measure(reading(), PRICES, D("0.4"), PARAMS)
    assert not rebalance and not msg.in_range
    assert (msg.value_usd, msg.lp_balance_raw, msg.range_centre, msg.fees_earned_usd) == (
        D(0),
        0,
        None,
        None,
    )


def test_measure__a_price_missing__value_and_fees_unknown() -> None:
    msg, _ = cl.measure(reading(RAW, POSITION), {"PSTR": None, "USDC": D(1)}, D("0.4"), PARAMS)
    assert msg.value_usd is None and msg.fees_earned_usd is None and msg.in_range


def test_plan__no_position__add_of_the_budget_from_usdc_per_pool_and_day() -> None:
    asked = cl.plan(reading(), D(40_000), {"USDC": USDC}, PARAMS, NOW)
    assert isinstance(asked, AutomationRequest)
    assert asked.kind is AutomationKind.LIQUIDITY_ADD and asked.amount_usd == D(40_000)
    assert asked.request_id == "PSTR-USDC-V3-20260310"
    assert asked.details == {
        "pair": "PSTR-USDC-V3",
        "pool": "0x" + "3" * 40,
        "fund_symbol": "USDC",
        "fund_index": "1",
        "fund_raw": str(40_000 * 10**6),
    }


def test_plan__no_position_no_funds__a_reason() -> None:
    asked = cl.plan(reading(), D(40_000), {}, PARAMS, NOW)
    assert isinstance(asked, str) and asked.startswith("PSTR-USDC-V3: no add")


@pytest.mark.parametrize(("ratio", "expected"), [("1.14", False), ("1.16", True), ("0.84", True)])
def test_plan__held__rebalance_only_past_15_percent_named_by_the_band(
    ratio: str, expected: bool
) -> None:
    older = replace(POSITION, token_id=3, owed0=0, owed1=0)
    asked = cl.plan(reading(CENTRE * D(ratio), older, POSITION), D(40_000), {}, PARAMS, NOW)
    if not expected:
        assert asked is None
        return
    assert isinstance(asked, AutomationRequest)
    assert asked.kind is AutomationKind.LIQUIDITY_REBALANCE
    assert asked.request_id == "PSTR-USDC-V3-band-7"  # the newest position NFT
    assert asked.details == {"pair": "PSTR-USDC-V3", "pool": "0x" + "3" * 40}


def test_plan__not_in_the_split__not_managed() -> None:
    assert cl.plan(reading(), None, {"USDC": USDC}, PARAMS, NOW) is None
    assert cl.plan(reading(CENTRE * 2, POSITION), None, {}, PARAMS, NOW) is None


def test_plan__emptied_nft__counts_as_no_position() -> None:
    emptied = replace(POSITION, liquidity=0)
    asked = cl.plan(reading(RAW, emptied), D(40_000), {"USDC": USDC}, PARAMS, NOW)
    assert isinstance(asked, AutomationRequest) and asked.kind is AutomationKind.LIQUIDITY_ADD


def test_build_liquidity__v2_and_v3__weights_and_in_range_share_by_value() -> None:
    v2 = lq.PoolReading(
        "0x" + "1" * 40,
        "PUMP-WCORE",
        "PUMP",
        "WCORE",
        D(2_400_000),
        D(1_000_000),
        D(1000),
        D(60),
        60 * 10**18,
    )
    prices = {**PRICES, "PUMP": D("0.5"), "WCORE": D("1.2")}
    out = cl.measure(reading(CENTRE * D("1.2"), POSITION), prices, D("0.4"), PARAMS)
    state = lq.build_liquidity(
        [(v2, lq.PoolEntry(D("0.4166"), D(1)), D("0.6"))], prices, NOW, PARAMS, [out]
    )
    wcore, v3 = state.positions
    assert v3.pair == "PSTR-USDC-V3" and state.rebalance_needed
    assert wcore.value_usd == D(144_000) and v3.value_usd is not None
    assert state.total_value_usd == wcore.value_usd + v3.value_usd
    assert state.in_range_share == D(144_000) / state.total_value_usd  # the V3 band is out
    assert any(r.startswith("PSTR-USDC-V3: price moved") for r in state.reasons)
