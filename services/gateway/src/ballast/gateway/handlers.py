"""Bus subscribers: the reports that exist only on the bus, into Postgres and /metrics. Thin."""

from __future__ import annotations

from ballast.common.bus import Bus
from ballast.common.messages import LiquidityState, PerformanceReport, RiskReport
from ballast.common.subjects import LIQUIDITY_STATE, PERFORMANCE_REPORT, RISK_REPORT
from ballast.gateway.app import GatewayApp


def register(bus: Bus, app: GatewayApp) -> None:
    @bus.subscriber(RISK_REPORT, "gateway-risk", description="stored; VaR, ES as metrics")
    async def on_risk(report: RiskReport) -> None:
        await app.on_risk(report)

    @bus.subscriber(PERFORMANCE_REPORT, "gateway-performance", description="stored; KPIs")
    async def on_performance(report: PerformanceReport) -> None:
        await app.on_performance(report)

    @bus.subscriber(LIQUIDITY_STATE, "gateway-liquidity", description="stored; value, range")
    async def on_liquidity(state: LiquidityState) -> None:
        await app.on_liquidity(state)
