"""Whether to intervene, and with how much: PSTR seed section 3 (Intervention Engine) and 5.

Every condition of the seed must hold; each one that fails adds a reason and the evaluation is
BLOCKED. The treasury's own tier, drawdown and safety mode are not trusted blindly: the drawdown and
the tier are recomputed here from the price and the VWAP the state carries (defence in depth), and
a disagreement blocks, because a state that contradicts itself is not one to spend money on.

Conditions (seed wording in quotes):
- consensus: "Multi-oracle consensus check": the state and every consensus input it used are OK
  and fresh.
- trigger: "PSTR price drops below 85% of 30-day VWAP": price < trigger_threshold x vwap_30d
  (strictly; equal does not trigger).
- tier: "Drawdown >= 15% -> Tier 1 ..." (inclusive thresholds).
- reserve: "Emergency stop if reserve ratio < 1.5" (1.5 itself passes); "Automatic deployment
  reduction if reserve ratio < 2.0" (2.0 itself is not reduced).
- cooldown: "Minimum 48-hour cooldown" (exactly 48 h passes).
- daily: "max 1 per day", per UTC day.
- concentration: "Maximum 80% PUMP concentration" (0.80 itself passes).
- max_deployment: "Maximum single intervention size" 40%: the share is capped, never exceeded.
- strategy: the state was computed under the same strategy params (fingerprint).
- paused: an operator pause blocks everything.

Sizing is `ballast.strategy.sizing`: each of capacity, tier share, cap and safety factor applied
exactly once, from the state's own values (capacity recomputed from its treasury value, PUMP value
and market cap).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from ballast.common.messages import (
    ConsensusStatus,
    DecisionAction,
    DecisionInputs,
    ExecutionMode,
    InterventionDecision,
    SafetyMode,
    StateStatus,
    TreasuryState,
)
from ballast.strategy import sizing
from ballast.strategy.policy import Policy
from ballast.strategy.reserve import safety_mode
from ballast.strategy.tiers import drawdown as recompute_drawdown
from ballast.strategy.tiers import tier_for, triggered


@dataclass(frozen=True)
class History:
    """What Postgres knows, read in the same transaction that records the decision."""

    last_intervention_at: datetime | None
    interventions_today: int
    slot: int | None = None
    """The next free act slot of the day (every acting decision recorded today, an expired one
    too: its id stays taken); None: `interventions_today`."""

    @property
    def next_slot(self) -> int:
        return self.interventions_today if self.slot is None else self.slot


def consensus_status(state: TreasuryState) -> ConsensusStatus:
    """The worst status among the state's consensus inputs; no input at all is HALTED."""
    if not state.inputs:
        return ConsensusStatus.HALTED
    order = [ConsensusStatus.OK, ConsensusStatus.DEGRADED, ConsensusStatus.HALTED]
    worst = max((i.status for i in state.inputs), key=order.index)
    if worst is ConsensusStatus.OK and any(i.stale for i in state.inputs):
        return ConsensusStatus.DEGRADED
    return worst


def _check_freshness(state: TreasuryState, policy: Policy, now: datetime) -> list[str]:
    reasons: list[str] = []
    if state.status is not StateStatus.OK:
        reasons.append(f"state: treasury state status is {state.status.value}")
    status = consensus_status(state)
    if status is not ConsensusStatus.OK:
        reasons.append(f"consensus: input status is {status.value}, only OK may be acted on")
    age = (now - state.computed_at).total_seconds()
    if age > policy.max_state_age_seconds:
        reasons.append(f"state: {age:.0f}s old > {policy.max_state_age_seconds}s")
    return reasons


def _check_price(state: TreasuryState, policy: Policy) -> list[str]:
    price, vwap = state.pstr_price, state.vwap_30d
    if price is None or vwap is None or price <= 0 or vwap <= 0:
        return ["trigger: price or 30-day VWAP missing"]
    if not triggered(price, vwap, policy.params):
        trigger = policy.params.trigger_threshold * vwap
        return [
            f"trigger: price {price} >= {policy.params.trigger_threshold} x VWAP {vwap} = {trigger}"
        ]
    return []


def _check_tier(state: TreasuryState, policy: Policy, drawdown: Decimal | None) -> list[str]:
    if drawdown is None:
        return []  # already reported by the trigger rule
    level = tier_for(drawdown, policy.params).level
    reasons: list[str] = []
    if level == 0:
        reasons.append(f"tier: drawdown {drawdown:.4f} below every tier threshold")
    if state.tier != level:
        reasons.append(f"tier: treasury says tier {state.tier}, recomputed tier {level}")
    return reasons


def _check_strategy(state: TreasuryState, policy: Policy) -> list[str]:
    ours = policy.params.fingerprint()
    theirs = state.strategy_fingerprint
    if theirs is not None and theirs != ours:
        return [f"strategy: state computed under strategy params {theirs}, ours are {ours}"]
    return []


def _check_reserve(state: TreasuryState, policy: Policy) -> list[str]:
    rr = state.reserve_ratio
    if rr is None:
        return ["reserve: reserve ratio unknown"]
    reasons: list[str] = []
    if rr < policy.params.min_rr_threshold:
        reasons.append(f"reserve: ratio {rr} < {policy.params.min_rr_threshold} (emergency stop)")
    if state.safety_mode is SafetyMode.EMERGENCY_STOP:
        reasons.append("reserve: treasury safety mode is emergency_stop")
    return reasons


def _check_limits(policy: Policy, history: History, now: datetime) -> list[str]:
    reasons: list[str] = []
    if history.last_intervention_at is not None:
        since = now - history.last_intervention_at
        if since < timedelta(hours=float(policy.params.cooldown_hours)):
            hours = Decimal(since.total_seconds()) / 3600
            limit = policy.params.cooldown_hours
            reasons.append(f"cooldown: {hours:.2f}h since the last intervention < {limit}h")
    if history.interventions_today >= policy.params.max_daily_interventions:
        reasons.append(
            f"daily: {history.interventions_today} intervention(s) today, "
            f"max {policy.params.max_daily_interventions} per UTC day"
        )
    return reasons


def limit_reasons(policy: Policy, history: History, now: datetime) -> list[str]:
    """The cooldown and daily-limit reasons alone. When this is not empty, `evaluate` blocks
    whatever the state says (the backtest's fast path skips building the state then)."""
    return _check_limits(policy, history, now)


def _check_concentration(state: TreasuryState, policy: Policy) -> list[str]:
    conc = state.pump_concentration
    if conc is None:
        return ["concentration: PUMP concentration unknown"]
    if conc > policy.params.max_pump_concentration:
        return [f"concentration: PUMP {conc} > max {policy.params.max_pump_concentration}"]
    return []


def size(state: TreasuryState, policy: Policy, drawdown: Decimal | None) -> sizing.Sizing:
    """`ballast.strategy.sizing` on the state's own numbers (see the module docstring)."""
    params = policy.params
    tier = tier_for(drawdown, params)
    if tier.level == 0:
        return sizing.Sizing(Decimal(0), Decimal(0), 0)
    share = sizing.deployment_share(tier, safety_mode(state.reserve_ratio, params), params)
    pump = next((h for h in state.holdings if h.symbol == policy.pump_symbol), None)
    tv, mcap = state.treasury_value_usd, state.pstr_market_cap_usd
    capacity = None
    if pump is not None and pump.value_usd is not None and tv is not None and mcap is not None:
        capacity = sizing.intervention_capacity(pump.value_usd, tv, mcap, params)
    return sizing.size(
        share,
        capacity,
        pump.price_usd if pump else None,
        pump.decimals if pump else 0,
        pump.amount_raw if pump else 0,
    )


def reserve_ratio_after(state: TreasuryState, amount_usd: Decimal) -> Decimal | None:
    """The reserve ratio once `amount_usd` of PUMP has left the reserve, at the same prices.

    The treasury's ratio is reserve value / PSTR market cap, and the PSTR bought back is not a
    reserve (ballast.treasury.domain.state), so only the numerator shrinks:
    RR x (value - amount) / value. None when the state does not say.
    """
    rr, value = state.reserve_ratio, state.treasury_value_usd
    if rr is None or value is None or value <= 0:
        return None
    return rr * (value - amount_usd) / value


def blocked_decision_id(policy: Policy, state: TreasuryState) -> str:
    """Deterministic per state, so a redelivered state republishes the same id (dedup)."""
    digest = hashlib.sha256(state.model_dump_json().encode()).hexdigest()[:12]
    return f"{policy.strategy}-{state.computed_at:%Y%m%dT%H%M%S}-{digest}-blocked"


def act_decision_id(policy: Policy, now: datetime, slot: int) -> str:
    """One per (strategy, UTC day, slot): the key Postgres keeps unique."""
    return f"{policy.strategy}-{now:%Y%m%d}-{slot}"


def evaluate(
    state: TreasuryState,
    policy: Policy,
    history: History,
    *,
    now: datetime,
    paused: bool,
    mode: ExecutionMode,
) -> InterventionDecision:
    """Decide from data only. `now` is timezone-aware UTC; the UTC day is taken from it."""
    drawdown = recompute_drawdown(state.pstr_price, state.vwap_30d)
    reasons: list[str] = []
    if paused:
        reasons.append("paused: an operator paused interventions")
    reasons += _check_strategy(state, policy)
    reasons += _check_freshness(state, policy, now)
    reasons += _check_price(state, policy)
    reasons += _check_tier(state, policy, drawdown)
    reasons += _check_reserve(state, policy)
    reasons += _check_limits(policy, history, now)
    reasons += _check_concentration(state, policy)
    sized = size(state, policy, drawdown)
    if sized.reason is not None:
        reasons.append(sized.reason)
    act = not reasons
    tier = tier_for(drawdown, policy.params)
    inputs = DecisionInputs(
        consensus_status=consensus_status(state),
        price=state.pstr_price,
        vwap_30d=state.vwap_30d,
        trigger_threshold=policy.params.trigger_threshold,
        drawdown=drawdown,
        tier=tier.level,
        reserve_ratio=state.reserve_ratio,
        intervention_capacity_usd=state.intervention_capacity_usd,
        pump_concentration=state.pump_concentration,
        last_intervention_at=history.last_intervention_at,
        interventions_today=history.interventions_today,
        paused=paused,
        reserve_ratio_after=reserve_ratio_after(state, sized.amount_usd) if act else None,
    )
    if act:
        reasons = [
            f"trigger: price {state.pstr_price} < {policy.params.trigger_threshold}"
            f" x VWAP {state.vwap_30d}",
            f"tier: {inputs.tier} (drawdown {drawdown:.4f}), share {sized.share}",
        ]
    requires_approval = (
        act
        and policy.approval_threshold_usd is not None
        and sized.amount_usd > policy.approval_threshold_usd
    )
    return InterventionDecision(
        decision_id=(
            act_decision_id(policy, now, history.next_slot)
            if act
            else blocked_decision_id(policy, state)
        ),
        strategy=policy.strategy,
        action=DecisionAction.ACT if act else DecisionAction.BLOCKED,
        reasons=reasons,
        inputs=inputs,
        deployment_share=sized.share if act else Decimal(0),
        amount_usd=sized.amount_usd if act else Decimal(0),
        amount_in_raw=sized.amount_in_raw if act else 0,
        mode=mode,
        requires_approval=requires_approval,
        decided_at=now,
    )
