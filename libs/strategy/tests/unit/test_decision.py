"""The decision rules, one table row per rule and per boundary (PSTR seed sections 2, 3 and 5)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ballast.common.messages import (
    ConsensusStatus,
    DecisionAction,
    ExecutionMode,
    Holding,
    InputStatus,
    SafetyMode,
    StateStatus,
    TreasuryState,
)
from ballast.strategy.decision import History, evaluate
from ballast.strategy.params import StrategyParams
from ballast.strategy.policy import Policy
from ballast.strategy.tiers import tier_for

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
D = Decimal
POLICY = Policy(approval_threshold_usd=D(50_000))
NO_HISTORY = History(last_intervention_at=None, interventions_today=0)
HALF = D("0.50")


def with_params(**changes: Any) -> Policy:
    return replace(POLICY, params=replace(POLICY.params, **changes))


def pump(value_usd: Decimal, price: Decimal = HALF) -> Holding:
    amount = value_usd / price
    return Holding(symbol="PUMP", amount_raw=int(amount * 10**18), decimals=18, amount=amount,
                   price_usd=price, value_usd=value_usd)


def make_state(**overrides: Any) -> TreasuryState:
    """A state that acts at tier 2: price 0.78 vs VWAP 1.00 (drawdown 22%), RR 3, conc 0.5.

    Capacity is $100,000: the PUMP held ($100,000) binds before the reserve headroom
    ($3,000,000 - 1.5 x $1,000,000 = $1,500,000).
    """
    price = overrides.pop("price", D("0.78"))
    vwap = overrides.pop("vwap", D("1.00"))
    drawdown = 1 - price / vwap
    tier = overrides.pop("tier", tier_for(drawdown, POLICY.params).level)
    fields: dict[str, Any] = {
        "computed_at": NOW - timedelta(seconds=5),
        "status": StateStatus.OK,
        "holdings": [pump(D(100_000))],
        "treasury_value_usd": D(3_000_000),
        "pstr_price": price,
        "pstr_market_cap_usd": D(1_000_000),
        "reserve_ratio": D(3),
        "daily_budget_usd": D(2465),
        "intervention_capacity_usd": D(100_000),
        "vwap_30d": vwap,
        "drawdown": drawdown,
        "tier": tier,
        "deployment_share": D("0.25"),
        "safety_mode": SafetyMode.NORMAL,
        "pump_concentration": D("0.50"),
        "pump_concentration_limit": D("0.80"),
        "inputs": [InputStatus(symbol="PSTR", status=ConsensusStatus.OK, price=price)],
    }
    fields.update(overrides)
    return TreasuryState(**fields)


def decide(
    state: TreasuryState | None = None,
    history: History = NO_HISTORY,
    *,
    policy: Policy = POLICY,
    paused: bool = False,
    now: datetime = NOW,
) -> Any:
    return evaluate(
        state or make_state(), policy, history, now=now, paused=paused, mode=ExecutionMode.DRY_RUN
    )


def assert_blocked(decision: Any, rule: str) -> None:
    assert decision.action is DecisionAction.BLOCKED, decision.reasons
    assert any(r.startswith(rule + ":") for r in decision.reasons), decision.reasons
    assert decision.amount_in_raw == 0 and decision.amount_usd == 0


def assert_acts_or_blocked(decision: Any, acts: bool, rule: str) -> None:
    """ACT where `acts`, else blocked by `rule`."""
    if acts:
        assert decision.action is DecisionAction.ACT, decision.reasons
    else:
        assert_blocked(decision, rule)


def test_evaluate__all_conditions_hold__acts_with_tier_share_of_capacity() -> None:
    decision = decide()
    assert decision.action is DecisionAction.ACT, decision.reasons
    assert decision.inputs.tier == 2
    assert decision.deployment_share == D("0.25")
    assert decision.amount_usd == D("25000.00")
    assert decision.amount_in_raw == 50_000 * 10**18  # $25,000 at $0.50 per PUMP
    assert decision.decision_id == "pstr-20260310-0"
    assert not decision.requires_approval


def test_evaluate__acts__projects_reserve_ratio_after_the_amount_leaves() -> None:
    decision = decide()
    # RR 3 x ($3,000,000 - $25,000) / $3,000,000
    assert decision.inputs.reserve_ratio_after == D("2.975")


def test_evaluate__blocked__no_reserve_ratio_after() -> None:
    assert decide(paused=True).inputs.reserve_ratio_after is None


# ------------------------------------------------------------------ trigger: price < 0.85 x VWAP
@pytest.mark.parametrize(
    ("price", "acts"),
    [
        (D("0.8499"), True),  # just below the trigger (drawdown 15.01% -> tier 1)
        (D("0.85"), False),  # exactly 85% of VWAP: not below, no action
        (D("0.90"), False),
    ],
)
def test_evaluate__price_around_trigger__acts_only_strictly_below(
    price: Decimal, acts: bool
) -> None:
    decision = decide(make_state(price=price))
    assert_acts_or_blocked(decision, acts, "trigger")


def test_evaluate__vwap_missing__blocked() -> None:
    assert_blocked(decide(make_state(vwap_30d=None, tier=2)), "trigger")


# ------------------------------------------------------------------ tiers: 15/20/30% -> 10/25/40%
@pytest.mark.parametrize(
    ("price", "tier", "share"),
    [
        (D("0.8499"), 1, D("0.10")),
        (D("0.80"), 2, D("0.25")),  # drawdown exactly 20%: tier 2
        (D("0.8001"), 1, D("0.10")),
        (D("0.70"), 3, D("0.40")),  # drawdown exactly 30%: tier 3
        (D("0.7001"), 2, D("0.25")),
        (D("0.10"), 3, D("0.40")),
    ],
)
def test_evaluate__drawdown_at_tier_boundaries__tier_and_share(
    price: Decimal, tier: int, share: Decimal
) -> None:
    decision = decide(make_state(price=price))
    assert decision.action is DecisionAction.ACT, decision.reasons
    assert decision.inputs.tier == tier
    assert decision.deployment_share == share
    assert decision.amount_usd == share * 100_000


def test_evaluate__treasury_tier_disagrees__blocked() -> None:
    assert_blocked(decide(make_state(tier=3)), "tier")


# ------------------------------------------------------------------ reserve ratio 2.0 / 1.5
@pytest.mark.parametrize(
    ("rr", "acts", "share"),
    [
        (D("2.0"), True, D("0.25")),  # 2.0 is not under 2.0: full share
        (D("1.9999"), True, D("0.125")),  # under 2.0: halved
        (D("1.5"), True, D("0.125")),  # 1.5 is the minimum itself: allowed, reduced
        (D("1.4999"), False, D(0)),  # under 1.5: emergency stop
    ],
)
def test_evaluate__reserve_ratio_boundaries__reduced_or_stopped(
    rr: Decimal, acts: bool, share: Decimal
) -> None:
    decision = decide(make_state(reserve_ratio=rr))
    if acts:
        assert decision.action is DecisionAction.ACT, decision.reasons
        assert decision.deployment_share == share
    else:
        assert_blocked(decision, "reserve")


def test_evaluate__reserve_ratio_unknown__blocked() -> None:
    assert_blocked(decide(make_state(reserve_ratio=None)), "reserve")


def test_evaluate__treasury_in_emergency_stop__blocked() -> None:
    assert_blocked(decide(make_state(safety_mode=SafetyMode.EMERGENCY_STOP)), "reserve")


# ------------------------------------------------------------------ cooldown 48 h
@pytest.mark.parametrize(
    ("since", "acts"),
    [
        (timedelta(hours=48), True),
        (timedelta(hours=48) - timedelta(seconds=1), False),
        (timedelta(hours=1), False),
        (timedelta(days=10), True),
    ],
)
def test_evaluate__time_since_last_intervention__cooldown_boundary(
    since: timedelta, acts: bool
) -> None:
    decision = decide(history=History(last_intervention_at=NOW - since, interventions_today=0))
    assert_acts_or_blocked(decision, acts, "cooldown")


# ------------------------------------------------------------------ daily limit 1 per UTC day
@pytest.mark.parametrize(("today", "acts"), [(0, True), (1, False), (2, False)])
def test_evaluate__interventions_today__max_one_per_utc_day(today: int, acts: bool) -> None:
    history = History(last_intervention_at=None, interventions_today=today)
    decision = decide(history=history)
    assert_acts_or_blocked(decision, acts, "daily")


def test_evaluate__daily_limit_two__second_slot_gets_its_own_id() -> None:
    policy = with_params(max_daily_interventions=2, cooldown_hours=D(0))
    decision = decide(history=History(NOW - timedelta(hours=1), 1), policy=policy)
    assert decision.action is DecisionAction.ACT, decision.reasons
    assert decision.decision_id == "pstr-20260310-1"


# ------------------------------------------------------------------ PUMP concentration <= 0.80
@pytest.mark.parametrize(
    ("conc", "acts"), [(D("0.80"), True), (D("0.8001"), False), (None, False)]
)
def test_evaluate__pump_concentration__limit_inclusive(conc: Decimal | None, acts: bool) -> None:
    decision = decide(make_state(pump_concentration=conc))
    assert_acts_or_blocked(decision, acts, "concentration")


# ------------------------------------------------------------------ max_deployment 40%
def test_evaluate__tier_share_above_max_deployment__capped_at_max() -> None:
    policy = with_params(max_deployment=D("0.20"))
    decision = decide(make_state(price=D("0.60")), policy=policy)
    assert decision.action is DecisionAction.ACT
    assert decision.deployment_share == D("0.20")
    assert decision.amount_usd == D("20000.00")


def test_evaluate__deepest_drawdown__never_more_than_forty_percent() -> None:
    decision = decide(make_state(price=D("0.01"), holdings=[pump(D(1_000_000))]))
    assert decision.deployment_share == D("0.40")
    assert decision.amount_usd == D("0.40") * D(1_000_000)


def test_evaluate__amount_above_pump_holding__capped_at_holding() -> None:
    held = Holding(
        symbol="PUMP", amount_raw=123, decimals=18, amount=D(0), price_usd=D("0.5"),
        value_usd=D(100_000),
    )
    decision = decide(make_state(holdings=[held]))
    assert decision.amount_in_raw == 123


def test_evaluate__no_pump_price__blocked() -> None:
    assert_blocked(decide(make_state(holdings=[])), "capacity")


def test_evaluate__capacity_zero__blocked() -> None:
    # the reserve leaves no headroom: $3,000,000 - 1.5 x $2,000,000 = 0 (RR exactly 1.5)
    state = make_state(pstr_market_cap_usd=D(2_000_000), reserve_ratio=D("1.5"))
    assert_blocked(decide(state), "capacity")


def test_evaluate__state_under_other_strategy_params__blocked() -> None:
    other = StrategyParams(cooldown_hours=D(24)).fingerprint()
    assert_blocked(decide(make_state(strategy_fingerprint=other)), "strategy")


def test_evaluate__state_under_same_strategy_params__acts() -> None:
    state = make_state(strategy_fingerprint=POLICY.params.fingerprint())
    assert decide(state).action is DecisionAction.ACT


# ------------------------------------------------------------------ consensus and freshness
@pytest.mark.parametrize("status", [ConsensusStatus.DEGRADED, ConsensusStatus.HALTED])
def test_evaluate__consensus_not_ok__blocked(status: ConsensusStatus) -> None:
    inputs = [
        InputStatus(symbol="PSTR", status=ConsensusStatus.OK),
        InputStatus(symbol="PUMP", status=status),
    ]
    assert_blocked(decide(make_state(inputs=inputs)), "consensus")


def test_evaluate__consensus_input_stale__blocked() -> None:
    inputs = [InputStatus(symbol="PSTR", status=ConsensusStatus.OK, stale=True)]
    assert_blocked(decide(make_state(inputs=inputs)), "consensus")


def test_evaluate__no_consensus_inputs__blocked() -> None:
    assert_blocked(decide(make_state(inputs=[])), "consensus")


def test_evaluate__state_degraded__blocked() -> None:
    assert_blocked(decide(make_state(status=StateStatus.DEGRADED)), "state")


@pytest.mark.parametrize(("age", "acts"), [(900, True), (901, False)])
def test_evaluate__state_age__fifteen_minutes_inclusive(age: int, acts: bool) -> None:
    decision = decide(make_state(computed_at=NOW - timedelta(seconds=age)))
    assert_acts_or_blocked(decision, acts, "state")


# ------------------------------------------------------------------ pause and approval
def test_evaluate__paused__blocked() -> None:
    assert_blocked(decide(paused=True), "paused")


@pytest.mark.parametrize(("capacity", "needs"), [(D(200_000), False), (D(200_004), True)])
def test_evaluate__amount_above_approval_threshold__requires_approval(
    capacity: Decimal, needs: bool
) -> None:
    decision = decide(make_state(holdings=[pump(capacity)]))
    assert decision.action is DecisionAction.ACT
    assert decision.requires_approval is needs  # 25% of 200,000 = 50,000: not above


def test_evaluate__several_rules_fail__every_reason_listed() -> None:
    decision = decide(
        make_state(price=D("0.95"), reserve_ratio=D(1), pump_concentration=D("0.9")),
        History(NOW - timedelta(hours=2), 1),
        paused=True,
    )
    rules = {r.split(":")[0] for r in decision.reasons}
    assert {"paused", "trigger", "reserve", "cooldown", "daily", "concentration"} <= rules


def test_evaluate__same_blocked_state_twice__same_decision_id() -> None:
    state = make_state(price=D("0.95"))
    assert decide(state).decision_id == decide(state).decision_id


def test_decision_facts__stored_decision__carried_by_the_executed_fact() -> None:
    from ballast.common.messages import ExecutionStatus, InterventionExecuted  # noqa: PLC0415
    from ballast.intervention.building import decision_facts  # noqa: PLC0415

    payload = json.loads(decide().model_dump_json())
    executed = InterventionExecuted(
        decision_id="pstr-20260310-0", status=ExecutionStatus.DRY_RUN,
        mode=ExecutionMode.DRY_RUN, executed_at=NOW, **decision_facts(payload),
    )
    assert (executed.tier, executed.amount_usd, executed.price, executed.vwap_30d) == (
        2, D("25000.00"), D("0.78"), D("1.00"))
    assert executed.reserve_ratio_after == D("2.975")
