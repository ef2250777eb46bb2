"""Treasury Prometheus metrics, built against the service's injected registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from ballast.common.messages import (
    HealthScore,
    LiquidityState,
    SafetyMode,
    StateStatus,
    TreasuryState,
)
from ballast.common.metrics import MetricFamily


class TreasuryMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        m = MetricFamily(registry, "ballast_treasury")
        self.reserve_ratio = m.gauge("reserve_ratio", "Treasury value / PSTR market cap")
        self.treasury_value = m.gauge("value_usd", "Treasury value in USD (PSTR excluded)")
        self.drawdown = m.gauge("drawdown", "1 - PSTR price / 30-day VWAP")
        self.vwap = m.gauge("vwap_30d", "30-day PSTR VWAP")
        self.tier = m.gauge("tier", "Deployment tier 0-3")
        self.health = m.gauge("health_score", "Health score")
        self.state_status = m.gauge("state_status", "1 for the current state status", ["status"])
        self.safety_mode = m.gauge("safety_mode", "1 for the current safety mode", ["mode"])
        self.recompute_seconds = m.histogram(
            "state_recompute_seconds", "Time to compute, store and publish one treasury.state",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
        )
        self.trades = m.counter("vwap_trades", "Trades counted in the VWAP")
        self.published = m.counter("published", "Messages published, by subject", ["subject"])
        self.liquidity_value = m.gauge(
            "liquidity_value_usd", "LP position value in USD, from the chain", ["pair"],
        )
        self.liquidity_in_range = m.gauge(
            "liquidity_in_range_share",
            "Share of LP value whose pool price is inside its ±10% band",
        )
        self.liquidity_il = m.gauge(
            "liquidity_impermanent_loss", "LP value / holding value - 1 since the band was entered",
            ["pair"],
        )
        self.liquidity_fees = m.gauge(
            "liquidity_fees_usd", "Fees earned since the band was entered", ["pair"],
        )
        self.liquidity_rebalances = m.gauge(
            "liquidity_rebalances_30d", "Confirmed liquidity rebalances in the last 30 days",
        )
        self.chain_errors = m.counter("chain_read_errors", "Failed on-chain reads")

    def observe_state(self, state: TreasuryState, health: HealthScore | None, took: float) -> None:
        self.recompute_seconds.observe(took)
        self.tier.set(state.tier)
        for status in StateStatus:
            self.state_status.labels(status.value).set(1 if state.status is status else 0)
        for mode in SafetyMode:
            self.safety_mode.labels(mode.value).set(1 if state.safety_mode is mode else 0)
        for gauge, value in ((self.reserve_ratio, state.reserve_ratio),
                             (self.treasury_value, state.treasury_value_usd),
                             (self.drawdown, state.drawdown), (self.vwap, state.vwap_30d),
                             (self.health, health.score if health else None)):
            if value is not None:
                gauge.set(float(value))

    def observe_liquidity(self, state: LiquidityState) -> None:
        for p in state.positions:
            for gauge, value in ((self.liquidity_value, p.value_usd),
                                 (self.liquidity_il, p.impermanent_loss),
                                 (self.liquidity_fees, p.fees_earned_usd)):
                if value is not None:
                    gauge.labels(p.pair).set(float(value))
        if state.in_range_share is not None:
            self.liquidity_in_range.set(float(state.in_range_share))
        self.liquidity_rebalances.set(state.rebalances_30d)
