"""treasury.state assembly: seed sections 2 and 5, and the missing/stale input rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest

from ballast.common.messages import ConsensusPrice, ConsensusStatus, SafetyMode, StateStatus
from ballast.strategy.params import StrategyParams
from ballast.treasury.domain.state import ChainSnapshot, TokenBalance, build_state

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
AGE = timedelta(minutes=5)
P = StrategyParams()


def chain(
    pump: int = 2_400_000, usdc: int = 600_000, core: int = 0, read_at: datetime = NOW
) -> ChainSnapshot:
    return ChainSnapshot(
        balances=(
            TokenBalance("PUMP", pump * 10**18, 18),
            TokenBalance("USDC", usdc * 10**6, 6),
            TokenBalance("PSTR", 0, 18),
            TokenBalance("CORE", core * 10**18, 18),
        ),
        pstr_total_supply_raw=1_000_000 * 10**18,
        pstr_decimals=18,
        read_at=read_at,
    )


def price(
    symbol: str, value: str | None, status: ConsensusStatus = ConsensusStatus.OK,
    at: datetime = NOW,
) -> ConsensusPrice:
    return ConsensusPrice(
        symbol=symbol, price=None if value is None else D(value), status=status, sources=[],
        sources_used=3, computed_at=at,
    )


def prices(pstr: str = "0.85", **extra: ConsensusPrice) -> dict[str, ConsensusPrice]:
    out = {"PSTR": price("PSTR", pstr), "PUMP": price("PUMP", "1"), "USDC": price("USDC", "1")}
    return out | extra


def test_build_state__tier1_inputs__hand_computed_fields() -> None:
    state = build_state(chain(), prices(), D(1), P, NOW, AGE)
    # treasury 2.4M PUMP + 0.6M USDC = 3M; market cap 1M x 0.85 = 850k; RR = 3M / 850k
    assert state.status is StateStatus.OK
    assert state.treasury_value_usd == D(3_000_000)
    assert state.pstr_market_cap_usd == D(850_000)
    assert state.reserve_ratio is not None
    assert state.reserve_ratio.quantize(D("0.0001")) == D("3.5294")
    assert state.drawdown == D("0.15")
    assert (state.tier, state.deployment_share) == (1, D("0.10"))
    assert state.safety_mode is SafetyMode.NORMAL
    # min(PUMP 2.4M, 3M - 1.5 x 850k = 1.725M) = 1.725M: no tier, cap or safety factor inside
    assert state.intervention_capacity_usd == D(1_725_000)
    assert state.strategy_fingerprint == P.fingerprint()
    assert state.pump_concentration == D("0.8")
    assert state.pump_concentration_limit == D("0.80")
    assert state.daily_budget_usd.quantize(D("0.01")) == D("2465.75")
    # the governed limits the alerts compare with
    assert (state.min_rr_threshold, state.reduced_rr_threshold) == (D("1.5"), D("2.0"))
    assert [i.symbol for i in state.inputs] == ["PSTR", "PUMP", "USDC"]


def test_build_state__pump_price_missing__missing_input_no_default_emergency() -> None:
    ps = prices()
    del ps["PUMP"]
    state = build_state(chain(), ps, D(1), P, NOW, AGE)
    assert state.status is StateStatus.MISSING_INPUT
    assert state.treasury_value_usd is None and state.reserve_ratio is None
    assert state.safety_mode is SafetyMode.EMERGENCY_STOP
    pump = next(i for i in state.inputs if i.symbol == "PUMP")
    assert pump.price is None and pump.status is ConsensusStatus.HALTED
    assert any("PUMP: no consensus price received" in r for r in state.reasons)


def test_build_state__pstr_halted__missing_input_carried_through() -> None:
    state = build_state(
        chain(), prices(PSTR=price("PSTR", None, ConsensusStatus.HALTED)), D(1), P, NOW, AGE
    )
    assert state.status is StateStatus.MISSING_INPUT
    assert state.pstr_price is None and state.pstr_market_cap_usd is None
    assert state.inputs[0].status is ConsensusStatus.HALTED


def test_build_state__pstr_degraded__degraded_and_values_computed() -> None:
    state = build_state(
        chain(), prices(PSTR=price("PSTR", "0.85", ConsensusStatus.DEGRADED)), D(1), P, NOW, AGE
    )
    assert state.status is StateStatus.DEGRADED
    assert state.inputs[0].status is ConsensusStatus.DEGRADED
    assert state.tier == 1


def test_build_state__stale_price__stale_input_flagged() -> None:
    old = NOW - timedelta(minutes=6)
    state = build_state(chain(), prices(USDC=price("USDC", "1", at=old)), D(1), P, NOW, AGE)
    assert state.status is StateStatus.STALE_INPUT
    usdc = next(i for i in state.inputs if i.symbol == "USDC")
    assert usdc.stale and usdc.computed_at == old


def test_build_state__old_chain_snapshot__stale_input_and_said() -> None:
    state = build_state(chain(read_at=NOW - timedelta(minutes=6)), prices(), D(1), P, NOW, AGE)
    assert state.status is StateStatus.STALE_INPUT
    assert any("chain: balance snapshot is stale" in r for r in state.reasons)


def test_build_state__no_vwap__missing_input_tier0() -> None:
    state = build_state(chain(), prices(), None, P, NOW, AGE)
    assert state.status is StateStatus.MISSING_INPUT
    assert (state.tier, state.drawdown) == (0, None)


def test_build_state__no_chain_snapshot__missing_input() -> None:
    state = build_state(None, prices(), D(1), P, NOW, AGE)
    assert state.status is StateStatus.MISSING_INPUT
    assert state.holdings == [] and state.reserve_ratio is None


def test_build_state__native_core__priced_by_wcore_alias() -> None:
    state = build_state(
        chain(core=1000), prices(WCORE=price("WCORE", "2")), D(1), P, NOW, AGE
    )
    core = next(h for h in state.holdings if h.symbol == "CORE")
    assert core.value_usd == D(2000)
    assert state.treasury_value_usd == D(3_002_000)


@pytest.mark.parametrize(
    ("pump", "mode"),
    # market cap 850k; RR 1.5 needs 1.275M, RR 2.0 needs 1.7M (USDC 0.6M on top of PUMP)
    [(675_000, SafetyMode.REDUCED), (674_999, SafetyMode.EMERGENCY_STOP),
     (1_100_000, SafetyMode.NORMAL), (1_099_999, SafetyMode.REDUCED)],
)
def test_build_state__rr_exactly_1_5_and_2_0__safety_mode(pump: int, mode: SafetyMode) -> None:
    assert build_state(chain(pump=pump), prices(), D(1), P, NOW, AGE).safety_mode is mode
