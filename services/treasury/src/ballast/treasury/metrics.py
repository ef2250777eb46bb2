"""Treasury Prometheus metrics, built against the service's injected registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ballast.common.messages import (
    HealthScore,
    LiquidityState,
    SafetyMode,
    StateStatus,
    TreasuryState,
)


class TreasuryMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.reserve_ratio = Gauge(
            "ballast_treasury_reserve_ratio", "Treasury value / PSTR market cap", registry=registry
        )
        self.treasury_value = Gauge(
            "ballast_treasury_value_usd", "Treasury value in USD (PSTR excluded)", registry=registry
        )
        self.drawdown = Gauge(
            "ballast_treasury_drawdown", "1 - PSTR price / 30-day VWAP", registry=registry
        )
        self.vwap = Gauge("ballast_treasury_vwap_30d", "30-day PSTR VWAP", registry=registry)
        self.tier = Gauge("ballast_treasury_tier", "Deployment tier 0-3", registry=registry)
        self.health = Gauge("ballast_treasury_health_score", "Health score", registry=registry)
        self.state_status = Gauge(
            "ballast_treasury_state_status", "1 for the current state status", ["status"],
            registry=registry,
        )
        self.safety_mode = Gauge(
            "ballast_treasury_safety_mode", "1 for the current safety mode", ["mode"],
            registry=registry,
        )
        self.recompute_seconds = Histogram(
            "ballast_treasury_state_recompute_seconds",
            "Time to compute, store and publish one treasury.state",
            buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0),
            registry=registry,
        )
        self.trades = Counter(
            "ballast_treasury_vwap_trades", "Trades counted in the VWAP", registry=registry
        )
        self.published = Counter(
            "ballast_treasury_published", "Messages published, by subject", ["subject"],
            registry=registry,
        )
        self.liquidity_value = Gauge(
            "ballast_treasury_liquidity_value_usd", "LP position value in USD, from the chain",
            ["pair"], registry=registry,
        )
        self.liquidity_in_range = Gauge(
            "ballast_treasury_liquidity_in_range_share",
            "Share of LP value whose pool price is inside its ±10% band", registry=registry,
        )
        self.liquidity_il = Gauge(
            "ballast_treasury_liquidity_impermanent_loss",
            "LP value / holding value - 1 since the band was entered", ["pair"], registry=registry,
        )
        self.liquidity_fees = Gauge(
            "ballast_treasury_liquidity_fees_usd", "Fees earned since the band was entered",
            ["pair"], registry=registry,
        )
        self.liquidity_rebalances = Gauge(
            "ballast_treasury_liquidity_rebalances_30d",
            "Confirmed liquidity rebalances in the last 30 days", registry=registry,
        )
        self.chain_errors = Counter(
            "ballast_treasury_chain_read_errors", "Failed on-chain reads", registry=registry
        )

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
