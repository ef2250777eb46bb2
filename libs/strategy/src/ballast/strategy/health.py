"""Health score (PSTR seed section 4, "Health Monitoring System").

    Health Score = RR x 0.333 + Intervention Capacity x 0.333 + Diversification x 0.334

The seed does not say in which units the three inputs enter. Each is normalised to one common
scale, 1.0 meaning "at the seed's own target or limit", clamped so that no single input can
carry the score alone: "Excellent" (>= 1.5) needs surplus reserves and free capacity, and an
emergency stop (RR < 1.5) always lands in "Critical":

- reserve ratio: `RR / min_reserve_ratio` (target 3.0). So RR 3.0 -> 1.0, RR 2.0 (reduced
  deployment) -> 0.667, RR 1.5 (emergency stop) -> 0.5.
- intervention capacity: `2 x (usable - current) / capacity`, with the numbers the intervention
  sizes with (`ballast.strategy.sizing`): capacity is the PUMP that can be swapped keeping RR >=
  1.5, usable is capacity x the safety factor, current is what the current tier would deploy
  (`deployment_share x capacity`). So `2 x (safety factor - deployment share)`: 2.0 with no tier
  in normal mode, 1.8 / 1.5 / 1.2 at tiers 1 / 2 / 3, half of that under RR 2.0, 0 in emergency
  stop or with no capacity at all. It falls with every tier and with the safety mode.
- diversification: `(1 - PUMP concentration) / (1 - max_pump_concentration)`, clamped to
  [0, 1]: 1.0 at or under the 80% limit (the seed's only diversification rule), falling
  linearly to 0 at 100% PUMP.

Reserve ratio and capacity are clamped to [0, 2]. Worked example (seed defaults, 2.4M PUMP and
0.6M USDC at $1, 1M PSTR, VWAP $1): see tests/unit/test_health.py of ballast.strategy.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ballast.common.messages import (
    HealthLevel,
    HealthScore,
    SafetyMode,
    StateStatus,
    TreasuryState,
)
from ballast.strategy.params import StrategyParams
from ballast.strategy.reserve import safety_factor

W_RR = Decimal("0.333")
W_CAPACITY = Decimal("0.333")
W_DIVERSIFICATION = Decimal("0.334")
CAP = Decimal(2)

LEVELS: tuple[tuple[Decimal, HealthLevel, str], ...] = (
    (Decimal("1.5"), HealthLevel.EXCELLENT, "All systems optimal"),
    (Decimal("1.0"), HealthLevel.GOOD, "Minor adjustments needed"),
    (Decimal("0.8"), HealthLevel.MODERATE, "Increased monitoring required"),
    (Decimal("0.6"), HealthLevel.POOR, "Intervention recommended"),
)
"""Seed 4 "Health Status Levels" (inclusive lower bounds); below 0.6 is Critical."""
CRITICAL_TEXT = "Emergency protocols activated"


def _clamp(x: Decimal) -> Decimal:
    return max(Decimal(0), min(CAP, x))


def rr_component(rr: Decimal, params: StrategyParams) -> Decimal:
    return _clamp(rr / params.min_reserve_ratio)


def capacity_component(
    capacity_usd: Decimal,
    deployment_share: Decimal,
    mode: SafetyMode,
    params: StrategyParams,
) -> Decimal:
    if capacity_usd <= 0:
        return Decimal(0)
    usable = capacity_usd * safety_factor(mode, params)
    current = deployment_share * capacity_usd
    return _clamp(CAP * (usable - current) / capacity_usd)


def diversification_component(pump_concentration: Decimal, params: StrategyParams) -> Decimal:
    return min(Decimal(1), _clamp((1 - pump_concentration) / (1 - params.max_pump_concentration)))


def score(rr_c: Decimal, capacity_c: Decimal, diversification_c: Decimal) -> Decimal:
    """Seed 4, verbatim weights."""
    return rr_c * W_RR + capacity_c * W_CAPACITY + diversification_c * W_DIVERSIFICATION


def level(value: Decimal) -> HealthLevel:
    for bound, lvl, _ in LEVELS:
        if value >= bound:
            return lvl
    return HealthLevel.CRITICAL


@dataclass(frozen=True)
class HealthInputs:
    reserve_ratio: Decimal
    intervention_capacity_usd: Decimal
    deployment_share: Decimal
    pump_value_usd: Decimal
    pump_concentration: Decimal
    safety_mode: SafetyMode


def recommendations(
    lvl: HealthLevel, inputs: HealthInputs, params: StrategyParams
) -> list[str]:
    """The level's seed text, then one line for each input past a seed threshold."""
    texts = {lv: t for _, lv, t in LEVELS} | {HealthLevel.CRITICAL: CRITICAL_TEXT}
    out = [texts[lvl]]
    if inputs.safety_mode is SafetyMode.EMERGENCY_STOP:
        out.append(
            f"reserve ratio below {params.min_rr_threshold}: emergency stop, no deployment"
        )
    elif inputs.safety_mode is SafetyMode.REDUCED:
        out.append(f"reserve ratio below {params.reduced_rr_threshold}: deployment reduced")
    if inputs.reserve_ratio < params.min_reserve_ratio:
        out.append(
            f"reserve ratio under its {params.min_reserve_ratio} target: rebuild reserves"
        )
    if inputs.pump_concentration > params.max_pump_concentration:
        out.append(
            f"PUMP concentration over its {params.max_pump_concentration} limit: diversify"
        )
    return out


def health_inputs(state: TreasuryState, pump_symbol: str = "PUMP") -> HealthInputs | None:
    """The four numbers the score needs from a state; None when one of them is unknown."""
    pump = [h.value_usd for h in state.holdings if h.symbol == pump_symbol]
    pump_value = sum((v for v in pump if v is not None), Decimal(0))
    if (
        state.reserve_ratio is None
        or state.intervention_capacity_usd is None
        or state.pump_concentration is None
    ):
        return None
    return HealthInputs(
        reserve_ratio=state.reserve_ratio,
        intervention_capacity_usd=state.intervention_capacity_usd,
        deployment_share=state.deployment_share,
        pump_value_usd=pump_value,
        pump_concentration=state.pump_concentration,
        safety_mode=state.safety_mode,
    )


def build_health(state: TreasuryState, params: StrategyParams) -> HealthScore | None:
    """`health.score` for a state, or None when the state lacks an input (MISSING_INPUT).

    No score is invented from a missing input: the state already says what is missing.
    """
    inputs = health_inputs(state)
    if inputs is None or state.status is StateStatus.MISSING_INPUT:
        return None
    rr_c = rr_component(inputs.reserve_ratio, params)
    cap_c = capacity_component(
        inputs.intervention_capacity_usd, inputs.deployment_share, inputs.safety_mode, params
    )
    div_c = diversification_component(inputs.pump_concentration, params)
    total = score(rr_c, cap_c, div_c)
    lvl = level(total)
    return HealthScore(
        computed_at=state.computed_at,
        score=total,
        level=lvl,
        reserve_ratio_component=rr_c,
        intervention_capacity_component=cap_c,
        diversification_component=div_c,
        recommendations=recommendations(lvl, inputs, params),
        status=state.status,
    )
