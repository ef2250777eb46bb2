"""Treasury facts: state, health, risk and liquidity (PSTR seed sections 2, 4, 5, 6, KPIs)."""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import Field

from ballast.common.messages._base import (
    BaseUnits,
    ConsensusStatus,
    Dec,
    Message,
    Symbol,
    UtcDatetime,
)


class SafetyMode(StrEnum):
    """PSTR seed "Safety Mechanisms": reduced deployment under RR 2.0, stop under 1.5."""

    NORMAL = "normal"
    REDUCED = "reduced"
    EMERGENCY_STOP = "emergency_stop"


class StateStatus(StrEnum):
    """Whether the state was computed from complete, fresh inputs."""

    OK = "OK"
    DEGRADED = "DEGRADED"
    MISSING_INPUT = "MISSING_INPUT"
    STALE_INPUT = "STALE_INPUT"


class Holding(Message):
    symbol: Symbol
    amount_raw: BaseUnits
    decimals: int = Field(ge=0, le=36)
    amount: Dec = Field(ge=0)
    price_usd: Dec | None = None
    value_usd: Dec | None = None


class InputStatus(Message):
    """A consensus input the state used, carried through unchanged (never hidden)."""

    symbol: Symbol
    status: ConsensusStatus
    price: Dec | None = None
    computed_at: UtcDatetime | None = None
    stale: bool = False


class TreasuryState(Message):
    """`treasury.state`: everything the intervention rules read."""

    computed_at: UtcDatetime
    status: StateStatus
    holdings: list[Holding]
    treasury_value_usd: Dec | None
    pstr_price: Dec | None
    pstr_market_cap_usd: Dec | None
    reserve_ratio: Dec | None = Field(description="treasury value / PSTR market cap")
    daily_budget_usd: Dec = Field(
        description="(total_capital x treasury_allocation) / accumulation_period"
    )
    intervention_capacity_usd: Dec | None
    vwap_30d: Dec | None
    drawdown: Dec | None = Field(description="1 - price / vwap_30d; positive when below VWAP")
    tier: int = Field(ge=0, le=3)
    deployment_share: Dec = Field(ge=0, le=1)
    safety_mode: SafetyMode
    pump_concentration: Dec | None
    pump_concentration_limit: Dec
    min_rr_threshold: Dec | None = Field(
        default=None, description="the reserve ratio under which interventions stop (governed)"
    )
    reduced_rr_threshold: Dec | None = Field(
        default=None, description="the reserve ratio under which deployment is reduced (governed)"
    )
    inputs: list[InputStatus]
    reasons: list[str] = Field(default_factory=list[str])
    strategy_fingerprint: str | None = Field(
        default=None, description="digest of the strategy params the state was computed under"
    )


class HealthLevel(StrEnum):
    EXCELLENT = "excellent"
    GOOD = "good"
    MODERATE = "moderate"
    POOR = "poor"
    CRITICAL = "critical"


class HealthScore(Message):
    """`health.score`: RR x 0.333 + capacity x 0.333 + diversification x 0.334 (PSTR seed 4)."""

    computed_at: UtcDatetime
    score: Dec
    level: HealthLevel
    reserve_ratio_component: Dec
    intervention_capacity_component: Dec
    diversification_component: Dec
    recommendations: list[str] = Field(default_factory=list[str])
    status: StateStatus = StateStatus.OK


class MarketRiskLevel(StrEnum):
    """Volatility-based level; UNKNOWN while too little history exists to measure it."""

    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    EXTREME = "extreme"
    UNKNOWN = "unknown"


class RiskReport(Message):
    """`risk.report`: 1-day VaR 95% (historical, parametric), ES, concentration, market risk."""

    computed_at: UtcDatetime
    portfolio_value_usd: Dec
    confidence_level: Dec = Field(default=Decimal("0.95"), gt=0, lt=1)
    horizon_days: int = Field(default=1, ge=1)
    var_historical_usd: Dec | None
    var_parametric_usd: Dec | None
    expected_shortfall_usd: Dec | None
    daily_volatility: Dec | None
    pump_concentration: Dec | None
    market_risk_level: MarketRiskLevel
    sample_size: int = Field(ge=0)
    reasons: list[str] = Field(default_factory=list[str])


class LiquidityPosition(Message):
    pool: str
    pair: Symbol
    lp_balance_raw: BaseUnits
    pool_share: Dec = Field(ge=0, le=1)
    amount0: Dec
    amount1: Dec
    value_usd: Dec | None
    target_weight: Dec
    actual_weight: Dec | None
    range_lower: Dec | None
    range_upper: Dec | None
    range_centre: Dec | None
    in_range: bool
    impermanent_loss: Dec | None = Field(description="LP value / hold value - 1 (<= 0)")
    fees_earned_usd: Dec | None
    band_started_at: UtcDatetime | None = Field(
        default=None, description="when the band was entered: the position's add or rebalance"
    )


class LiquidityState(Message):
    """`liquidity.state`: the seed's 60/40 pools, ±10% range, rebalance past 15% from centre."""

    computed_at: UtcDatetime
    positions: list[LiquidityPosition]
    total_value_usd: Dec | None
    in_range_share: Dec | None
    rebalance_needed: bool
    reasons: list[str] = Field(default_factory=list[str])
    rebalances_30d: int = Field(default=0, ge=0, description="confirmed in the last 30 days")


class InterventionImpact(Message):
    """PSTR seed 3 step 5: one confirmed intervention's price impact and ROI after N hours."""

    decision_id: str
    executed_at: UtcDatetime
    amount_usd: Dec
    price_before: Dec | None
    price_after: Dec | None
    price_later: Dec | None = Field(description="the PSTR price horizon_hours after execution")
    horizon_hours: Dec
    price_impact: Dec | None = Field(description="price_after / price_before - 1")
    roi: Dec | None = Field(description="PSTR bought at price_later / USD spent - 1")


class PerformanceReport(Message):
    """Every 6 hours: growth, Sharpe, max drawdown, success rate, execution cost."""

    computed_at: UtcDatetime
    treasury_growth_30d: Dec | None
    sharpe_ratio: Dec | None
    max_drawdown: Dec | None
    intervention_success_rate: Dec | None
    interventions_evaluated: int = Field(ge=0)
    execution_cost_per_intervention_usd: Dec | None
    interventions: list[InterventionImpact] = Field(default_factory=list[InterventionImpact])
