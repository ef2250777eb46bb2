"""liquidity.state and performance.report from the running service (real NATS and Postgres):
pool entries persist until a confirmed rebalance, and intervention history from the bus feeds
the success rate and execution cost."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from decimal import Decimal as D
from typing import Any

import nats

from ballast.common.messages import (
    AutomationAction,
    AutomationKind,
    AutomationRequest,
    ConsensusPrice,
    ConsensusStatus,
    DecisionAction,
    DecisionInputs,
    ExecutionMode,
    ExecutionStatus,
    InterventionDecision,
    InterventionExecuted,
    Message,
    utcnow,
)
from ballast.common.subjects import (
    AUTOMATION_EXECUTED,
    INTERVENTION_DECIDED,
    INTERVENTION_EXECUTED,
    prices_consensus,
)
from ballast.testing.pg import connected
from ballast.testing.waiting import eventually
from ballast.treasury.domain.liquidity import PoolReading
from ballast.treasury.domain.state import ChainSnapshot, TokenBalance
from ballast.treasury.main import build_app
from ballast.treasury.settings import TreasurySettings


class Pools:
    """ChainReader fake whose pool reserves the test moves."""

    def __init__(self) -> None:
        self.pstr_usdc = (D(1_000_000), D(1_000_000))

    async def snapshot(self) -> ChainSnapshot:
        return ChainSnapshot(
            (TokenBalance("PUMP", 45_000_000 * 10**18, 18),
             TokenBalance("USDC", 7_500_000 * 10**6, 6)),
            10_000_000 * 10**18, 18, utcnow(),
        )

    async def pools(self) -> list[PoolReading]:
        r0, r1 = self.pstr_usdc
        return [
            # treasury holds 6% of PUMP/WCORE: 144,000 PUMP ($72k) + 60,000 WCORE ($72k)
            PoolReading("0x" + "1" * 40, "PUMP-WCORE", "PUMP", "WCORE", D(2_400_000),
                        D(1_000_000), D(1000), D(60), 60 * 10**18),
            # and 4.8% of PSTR/USDC: 48,000 PSTR + 48,000 USDC ($96k) at the start
            PoolReading("0x" + "2" * 40, "PSTR-USDC", "PSTR", "USDC", r0, r1, D(1000), D(48),
                        48 * 10**18),
        ]


def consensus(symbol: str, price: str) -> ConsensusPrice:
    return ConsensusPrice(symbol=symbol, price=D(price), status=ConsensusStatus.OK, sources=[],
                          sources_used=3, computed_at=utcnow())


async def test_treasury__liquidity_and_performance__from_chain_bus_and_postgres(
    requested: list[AutomationRequest],
    nats_server: Any, bus_namespace: str, database_url: str, nc: nats.NATS,
    publish: Callable[[str, Message], Awaitable[None]],
) -> None:
    settings = TreasurySettings(
        nats_url=nats_server.url, bus_prefix=bus_namespace, database_url=database_url,  # type: ignore[arg-type]
        http_port=0, http_host="127.0.0.1", state_debounce_seconds=0.05,
    )
    pools = Pools()
    service = build_app(settings, chain=pools)
    treasury = service.core
    await service.start()
    try:
        for symbol, price in (("PSTR", "1.00"), ("PUMP", "0.50"), ("USDC", "1"), ("WCORE", "1.2")):
            await publish(prices_consensus(symbol), consensus(symbol, price))
        await eventually(lambda: len(treasury.prices) == 4)

        first = await service.core.reports.liquidity_report()
        assert first is not None
        wcore, usdc = first.positions
        assert (wcore.value_usd, usdc.value_usd, first.total_value_usd) == (
            D(144_000), D(96_000), D(240_000))
        assert (wcore.target_weight, usdc.target_weight) == (D("0.60"), D("0.40"))
        assert wcore.actual_weight == D("0.6") and first.in_range_share == 1
        assert not first.rebalance_needed

        # PSTR/USDC pool price up 20% (constant product): out of range, rebalance signalled
        k = D(10**12)
        pools.pstr_usdc = ((k / D("1.2")).sqrt(), (k * D("1.2")).sqrt())
        moved = await service.core.reports.liquidity_report()
        assert moved is not None
        assert moved.rebalance_needed and not moved.positions[1].in_range
        assert moved.positions[1].range_centre == D(1)
        il = moved.positions[1].impermanent_loss
        assert il is not None and il.quantize(D("0.000001")) == D("-0.004141")

        # a StakeBasket validator rebalance is not a liquidity rebalance: the bands stay
        await publish(AUTOMATION_EXECUTED, AutomationAction(
            action_id="rb-1", kind=AutomationKind.REBALANCE, status=ExecutionStatus.CONFIRMED,
            mode=ExecutionMode.LIVE, executed_at=utcnow()))
        await asyncio.sleep(0.3)
        still = await service.core.reports.liquidity_report()
        assert still is not None and still.rebalance_needed
        assert still.positions[1].range_centre == D(1) and still.rebalances_30d == 0
        band = still.positions[1].band_started_at
        assert band is not None
        # asked once per band: both reports of the moved pool name the same request
        asked = [r for r in requested if r.kind is AutomationKind.LIQUIDITY_REBALANCE]
        assert {r.request_id for r in asked} == {f"PSTR-USDC-band-{band:%Y%m%dT%H%M%S}"}
        assert {r.details["pool"] for r in asked} == {"0x" + "2" * 40}

        # the confirmed liquidity rebalance of that pool re-enters it around the new price
        await publish(AUTOMATION_EXECUTED, AutomationAction(
            action_id="liquidity_rebalance-x", kind=AutomationKind.LIQUIDITY_REBALANCE,
            status=ExecutionStatus.CONFIRMED, mode=ExecutionMode.LIVE, executed_at=utcnow(),
            tx_hash="0x" + "ab" * 32, details={"pool": "0x" + "2" * 40}))
        await asyncio.sleep(0.3)
        after = await service.core.reports.liquidity_report()
        assert after is not None and not after.rebalance_needed
        centre = after.positions[1].range_centre
        assert centre is not None and centre.quantize(D("0.0001")) == D("1.2000")
        assert after.positions[0].band_started_at == still.positions[0].band_started_at
        assert after.rebalances_30d == 1

        # an intervention 2 hours ago at trigger 0.85 x 1.00; PSTR is now 0.90 -> success
        executed_at = utcnow() - timedelta(hours=2)
        inputs = DecisionInputs(
            consensus_status=ConsensusStatus.OK, price=D("0.80"), vwap_30d=D(1),
            trigger_threshold=D("0.85"), drawdown=D("0.20"), tier=2, reserve_ratio=D(3),
            intervention_capacity_usd=D(9_000_000), pump_concentration=D("0.75"),
            last_intervention_at=None, interventions_today=0, paused=False)
        await publish(INTERVENTION_DECIDED, InterventionDecision(
            decision_id="d-1", strategy="pstr", action=DecisionAction.ACT, reasons=[],
            inputs=inputs, deployment_share=D("0.25"), amount_usd=D(10_000),
            amount_in_raw=20_000 * 10**18, mode=ExecutionMode.LIVE,
            decided_at=executed_at - timedelta(seconds=5)))
        await publish(INTERVENTION_EXECUTED, InterventionExecuted(
            decision_id="d-1", status=ExecutionStatus.CONFIRMED, mode=ExecutionMode.LIVE,
            slippage=D("0.01"), gas_cost_wei=2 * 10**15, executed_at=executed_at,
            amount_out_raw=12_500 * 10**18))  # $10,000 at $0.80
        await publish(prices_consensus("PSTR"), consensus("PSTR", "0.90"))
        await eventually(lambda: treasury.prices["PSTR"].price == D("0.90"))
        await treasury.save_prices()  # the write-behind, now rather than within the second
        await asyncio.sleep(0.2)  # the decision and execution rows
        report = await service.core.reports.performance_report()
        assert report.intervention_success_rate == 1 and report.interventions_evaluated == 1
        # 1% of $10,000 + 0.002 CORE at $1.20 (native CORE priced by WCORE)
        assert report.execution_cost_per_intervention_usd == D("100.0024")
        assert report.max_drawdown is not None
        # seed 3 step 5: the first price kept after the swap is this minute's last, $0.90
        (impact,) = report.interventions
        assert (impact.decision_id, impact.price_before, impact.price_after) == (
            "d-1", D("0.80"), D("0.90"))
        assert impact.price_impact == D("0.125")
        assert impact.price_later is None and impact.roi is None  # 24 h not over yet
        async with connected(database_url) as conn:
            row = await conn.fetchrow("SELECT price_impact, roi, amount_out_raw "
                                      "FROM treasury_interventions WHERE decision_id = 'd-1'")
        assert row is not None and row["price_impact"] == D("0.125") and row["roi"] is None
        assert row["amount_out_raw"] == 12_500 * 10**18
    finally:
        await service.stop()
