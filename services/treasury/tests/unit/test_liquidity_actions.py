"""plan_requests: an add per unfunded pool at its 60/40 budget, a rebalance per band past 15%."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest

from ballast.common.messages import AutomationKind, Holding
from ballast.strategy.params import StrategyParams
from ballast.treasury.domain.liquidity import PoolEntry, PoolReading
from ballast.treasury.domain.liquidity_actions import plan_requests

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
ENTERED = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
BUDGETS = {"PUMP-WCORE": D(60_000), "PSTR-USDC": D(40_000)}
HOLDINGS = {
    "PUMP": Holding(symbol="PUMP", amount_raw=45 * 10**24, decimals=18, amount=D(45 * 10**6),
                    price_usd=D("0.5"), value_usd=D(22_500_000)),
    "USDC": Holding(symbol="USDC", amount_raw=75 * 10**11, decimals=6, amount=D(75 * 10**5),
                    price_usd=D(1), value_usd=D(7_500_000)),
}


def reading(pair: str, t0: str, t1: str, r0: str, r1: str, lp: int) -> PoolReading:
    return PoolReading("0x" + "1" * 40 if pair == "PUMP-WCORE" else "0x" + "2" * 40, pair, t0,
                       t1, D(r0), D(r1), D(1000), D(lp), lp * 10**18)


def test_plan_requests__no_positions__adds_at_60_40_funded_from_held_tokens() -> None:
    items = [(reading("PUMP-WCORE", "PUMP", "WCORE", "2400000", "1000000", 0),
              PoolEntry(D("0.4167"), D(1), ENTERED)),
             (reading("PSTR-USDC", "PSTR", "USDC", "1000000", "1000000", 0),
              PoolEntry(D(1), D(1), ENTERED))]
    planned = plan_requests(items, BUDGETS, HOLDINGS, StrategyParams(), NOW)
    wcore, usdc = planned.requests
    assert wcore.kind is AutomationKind.LIQUIDITY_ADD and wcore.amount_usd == D(60_000)
    assert wcore.request_id == "PUMP-WCORE-20260310"
    assert wcore.details["fund_symbol"] == "PUMP" and wcore.details["fund_index"] == "0"
    assert int(wcore.details["fund_raw"]) == 120_000 * 10**18  # $60k of PUMP at $0.50
    assert usdc.details["fund_symbol"] == "USDC" and usdc.details["fund_index"] == "1"
    assert int(usdc.details["fund_raw"]) == 40_000 * 10**6


def test_plan_requests__holdings_too_small__no_add_and_a_reason() -> None:
    items = [(reading("PSTR-USDC", "PSTR", "USDC", "1000000", "1000000", 0),
              PoolEntry(D(1), D(1), ENTERED))]
    planned = plan_requests(items, BUDGETS, {"PUMP": HOLDINGS["PUMP"]}, StrategyParams(), NOW)
    assert planned.requests == []
    assert "PSTR-USDC: no add" in planned.reasons[0]


@pytest.mark.parametrize(("price", "expected"), [("1.14", False), ("1.16", True),
                                                 ("0.84", True)])
def test_plan_requests__held_position__rebalance_only_past_15_percent(
    price: str, expected: bool,
) -> None:
    items = [(reading("PSTR-USDC", "PSTR", "USDC", "1000000", str(1_000_000 * D(price)), 48),
              PoolEntry(D(1), D(1), ENTERED))]
    planned = plan_requests(items, BUDGETS, HOLDINGS, StrategyParams(), NOW)
    assert bool(planned.requests) is expected
    if expected:
        [req] = planned.requests
        assert req.kind is AutomationKind.LIQUIDITY_REBALANCE
        assert req.request_id == "PSTR-USDC-band-20260301T080000"
