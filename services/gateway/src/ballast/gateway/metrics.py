"""Prometheus metrics of the gateway, built against the service's injected registry.

Two families: the gateway's own (stream clients, frames, drops, HTTP requests, control
commands), and the key figures of the risk, performance and liquidity reports it stores, so a
dashboard and alert rules can use them (they exist nowhere else as metrics).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge

from ballast.common.messages import LiquidityState, MarketRiskLevel, PerformanceReport, RiskReport

RISK_LEVELS: dict[MarketRiskLevel, int] = {
    MarketRiskLevel.UNKNOWN: -1, MarketRiskLevel.LOW: 0, MarketRiskLevel.MEDIUM: 1,
    MarketRiskLevel.HIGH: 2, MarketRiskLevel.EXTREME: 3,
}
"""The market risk level as a number a rule can compare (unknown: -1)."""


class GatewayMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        def gauge(name: str, doc: str, labels: tuple[str, ...] = ()) -> Gauge:
            return Gauge(name, doc, labels, registry=registry)

        def counter(name: str, doc: str, labels: tuple[str, ...] = ()) -> Counter:
            return Counter(name, doc, labels, registry=registry)

        self.stream_clients = gauge("ballast_gateway_stream_clients", "Connected stream clients")
        self.messages_in = counter("ballast_gateway_stream_messages", "Bus messages received")
        self.frames_sent = counter("ballast_gateway_stream_frames_sent", "Frames sent to clients")
        self.frames_dropped = counter(
            "ballast_gateway_stream_frames_dropped", "Frames dropped from full client queues"
        )
        self.clients_cut = counter(
            "ballast_gateway_stream_clients_cut", "Clients cut off, by reason", ("reason",)
        )
        self.denied = counter(
            "ballast_gateway_auth_denied", "Requests refused: no or bad token, role, rate", ("why",)
        )
        self.control = counter(
            "ballast_gateway_control_commands", "Control commands published, by verb", ("verb",)
        )
        self.reports = counter(
            "ballast_gateway_reports_stored", "Reports stored in Postgres, by kind", ("kind",)
        )
        self.var_usd = gauge("ballast_risk_var_usd", "1-day VaR 95% in USD, by method", ("method",))
        self.expected_shortfall = gauge("ballast_risk_expected_shortfall_usd", "1-day ES 95% USD")
        self.market_risk = gauge(
            "ballast_risk_market_level", "Market risk level: -1 unknown, 0 low .. 3 extreme"
        )
        self.concentration = gauge("ballast_risk_pump_concentration", "PUMP share of treasury")
        self.portfolio = gauge("ballast_risk_portfolio_value_usd", "Portfolio value the VaR is of")
        self.sharpe = gauge("ballast_performance_sharpe_ratio", "Sharpe ratio (annualised)")
        self.max_drawdown = gauge("ballast_performance_max_drawdown", "Max drawdown (fraction)")
        self.success_rate = gauge(
            "ballast_performance_intervention_success_rate", "Interventions that met their aim"
        )
        self.growth_30d = gauge("ballast_performance_treasury_growth_30d", "30-day growth")
        self.execution_cost = gauge(
            "ballast_performance_execution_cost_usd", "Execution cost per intervention (USD)"
        )
        self.liquidity_value = gauge("ballast_liquidity_value_usd", "LP positions' value (USD)")
        self.liquidity_in_range = gauge("ballast_liquidity_in_range_share", "Value share in range")
        self._expose_before_first_report()

    def _expose_before_first_report(self) -> None:
        """Every series a dashboard or rule names exists from the first scrape: report figures
        as NaN (no report yet), labelled counters at 0."""
        for g in (self.var_usd.labels("historical"), self.var_usd.labels("parametric"),
                  self.expected_shortfall, self.market_risk, self.concentration, self.portfolio,
                  self.sharpe, self.max_drawdown, self.success_rate, self.growth_30d,
                  self.execution_cost, self.liquidity_value, self.liquidity_in_range):
            g.set(float("nan"))
        for verb in ("pause", "resume", "approve", "silence"):
            self.control.labels(verb)
        for reason in ("behind", "shutdown"):
            self.clients_cut.labels(reason)
        for why in ("token", "role", "rate", "subjects"):
            self.denied.labels(why)
        for kind in ("risk", "performance", "liquidity"):
            self.reports.labels(kind)

    def risk(self, r: RiskReport) -> None:
        _set(self.var_usd.labels("historical"), r.var_historical_usd)
        _set(self.var_usd.labels("parametric"), r.var_parametric_usd)
        _set(self.expected_shortfall, r.expected_shortfall_usd)
        _set(self.concentration, r.pump_concentration)
        _set(self.portfolio, r.portfolio_value_usd)
        self.market_risk.set(RISK_LEVELS[r.market_risk_level])

    def performance(self, p: PerformanceReport) -> None:
        _set(self.sharpe, p.sharpe_ratio)
        _set(self.max_drawdown, p.max_drawdown)
        _set(self.success_rate, p.intervention_success_rate)
        _set(self.growth_30d, p.treasury_growth_30d)
        _set(self.execution_cost, p.execution_cost_per_intervention_usd)

    def liquidity(self, state: LiquidityState) -> None:
        _set(self.liquidity_value, state.total_value_usd)
        _set(self.liquidity_in_range, state.in_range_share)


def _set(gauge: Gauge, value: object) -> None:
    """A figure the report could not compute is NaN (no sample shows as a gap, not as 0)."""
    gauge.set(float("nan") if value is None else float(str(value)))
