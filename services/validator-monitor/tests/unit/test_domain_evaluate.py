"""Change detection and one poll's decision: each change gives one status and at most one
recommendation, and deciding the same poll again gives the same fact ids."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from ballast.validator_monitor.domain.changes import ChangeKind, detect_changes, status_transition
from ballast.validator_monitor.domain.evaluate import EvaluateConfig, Evaluation, evaluate
from ballast.validator_monitor.domain.model import (
    ChainEvent,
    MonitorState,
    Snapshot,
    Thresholds,
    ValidatorReading,
)

A = "0x000000000000000000000000000000000000A000"
B = "0x000000000000000000000000000000000000a001"
T = Thresholds(50, 150)
CFG = EvaluateConfig(near_fraction=0.8, epoch_blocks=200)
NOW = datetime(2026, 11, 22, tzinfo=UTC)


def val(op: str, **kw: object) -> ValidatorReading:
    base = ValidatorReading(op, "0x" + "c" * 40, 17, 100, in_validator_set=True,
                            our_delegation_raw=10**18, our_staked_raw=10**18,
                            total_delegated_raw=10**20)
    return replace(base, **kw)  # type: ignore[arg-type]


def snap(block: int, round_: int, *readings: ValidatorReading) -> Snapshot:
    return Snapshot(block, NOW, round_, T, {r.operator: r for r in readings})


def event(name: str, op: str | None, block: int, **args: int | str) -> ChainEvent:
    return ChainEvent(name, block, 0, "0x" + "ab" * 32, op, dict(args))


def boot() -> Evaluation:
    return evaluate(MonitorState(), snap(10, 5, val(A), val(B)), [], CFG)


def kinds_of(ev: Evaluation, op: str) -> list[str]:
    return [c.kind.value for s in ev.statuses if s.reading.operator == op for c in s.changes]


def test_status_transition__jail_bit_set__status_changed_and_jailed() -> None:
    assert [c.kind for c in status_transition(17, 21)] == [ChangeKind.STATUS_CHANGED,
                                                          ChangeKind.JAILED]
    assert [c.kind for c in status_transition(21, 1)] == [
        ChangeKind.STATUS_CHANGED, ChangeKind.RELEASED, ChangeKind.UNELECTED]
    assert status_transition(17, 17) == []


def test_detect_changes__jailed_and_released_between_polls__both_from_the_logs() -> None:
    logs = [event("statusChanged", A, 11, oldStatus=17, newStatus=21),
            event("statusChanged", A, 12, oldStatus=21, newStatus=17)]
    found = detect_changes(val(A), val(A), prev_round=5, cur_round=5, thresholds=T,
                           near_fraction=0.8, events=logs)
    assert {c.kind for c in found} == {ChangeKind.STATUS_CHANGED, ChangeKind.JAILED,
                                       ChangeKind.RELEASED}


def test_detect_changes__count_crosses_threshold_without_log__misdemeanor_once() -> None:
    found = detect_changes(val(A, missed_blocks=49), val(A, missed_blocks=50), prev_round=5,
                           cur_round=5, thresholds=T, near_fraction=0.8)
    assert [c.kind for c in found] == [ChangeKind.MISSED_BLOCKS_INCREASED, ChangeKind.MISDEMEANOR]
    with_log = detect_changes(val(A, missed_blocks=39), val(A, missed_blocks=50), prev_round=5,
                              cur_round=5, thresholds=T, near_fraction=0.8,
                              events=[event("validatorMisdemeanor", A, 11, amount=0)])
    assert sorted(c.kind for c in with_log) == sorted([
        ChangeKind.MISDEMEANOR, ChangeKind.MISSED_BLOCKS_INCREASED,
        ChangeKind.MISSED_BLOCKS_NEAR_THRESHOLD])


def test_evaluate__bootstrap__epoch_status_for_all_and_no_changes() -> None:
    ev = boot()
    assert {s.reading.operator for s in ev.statuses} == {A, B}
    assert all(s.changes == () for s in ev.statuses)
    assert ev.recommendations == []
    assert ev.state.epoch == 0 and ev.state.block == 10


def test_evaluate__same_snapshot_again__publishes_nothing() -> None:
    first = boot()
    again = evaluate(first.state, snap(10, 5, val(A), val(B)), [], CFG)
    assert again.statuses == [] and again.recommendations == []


def test_evaluate__commission_change__one_status_no_recommendation() -> None:
    ev = evaluate(boot().state, snap(12, 5, val(A, commission_thousandths=150), val(B)), [], CFG)
    assert kinds_of(ev, A) == ["commission_changed"] and kinds_of(ev, B) == []
    assert len(ev.statuses) == 1 and ev.recommendations == []


def test_evaluate__same_poll_decided_twice__same_fact_ids() -> None:
    state = boot().state
    s = snap(12, 5, val(A, status_bits=21, jailed_until_round=7), val(B))
    one, two = evaluate(state, s, [], CFG), evaluate(state, s, [], CFG)
    assert [f.fact_id for f in one.statuses] == [f.fact_id for f in two.statuses]
    assert [f.fact_id for f in one.recommendations] == [f.fact_id for f in two.recommendations]
    assert one.recommendations[0].recommendation.signature == ("move_away", ("jailed",))


def test_evaluate__jailed_then_released_at_round_turn__move_away_then_hold() -> None:
    jailed = evaluate(boot().state, snap(12, 5, val(A, status_bits=21, jailed_until_round=6),
                                         val(B)), [], CFG)
    assert kinds_of(jailed, A) == ["status_changed", "jailed"]
    released = evaluate(jailed.state, snap(14, 6, val(A), val(B)), [], CFG)
    assert kinds_of(released, A) == ["round_turned", "status_changed", "released"]
    assert kinds_of(released, B) == ["round_turned"]
    assert [r.recommendation.signature for r in released.recommendations] == [("hold", ())]


def test_evaluate__missed_blocks_rising_then_cleaned__move_away_then_hold() -> None:
    ev = evaluate(boot().state, snap(12, 5, val(A, missed_blocks=50), val(B)),
                  [event("validatorMisdemeanor", A, 11, amount=0)], CFG)
    assert kinds_of(ev, A) == ["misdemeanor", "missed_blocks_increased",
                               "missed_blocks_near_threshold"]
    assert ev.recommendations[0].recommendation.signature == (
        "move_away", ("missed_blocks_rising",))
    # the round turns: SlashIndicator.clean takes 150 / 4 = 37 off -> 13, below near
    nxt = evaluate(ev.state, snap(14, 6, val(A, missed_blocks=13), val(B)), [], CFG)
    assert [r.recommendation.signature for r in nxt.recommendations] == [("hold", ())]


def test_evaluate__delegated_and_undelegated_between_polls__our_delegation_changed_once() -> None:
    logs = [event("delegatedCoin", A, 11, amount=5), event("undelegatedCoin", A, 12, amount=5)]
    ev = evaluate(boot().state, snap(12, 5, val(A), val(B)), logs, CFG)
    assert kinds_of(ev, A) == ["our_delegation_changed", "our_delegation_changed"]
    assert len([s for s in ev.statuses if s.reading.operator == A]) == 1


def test_evaluate__candidate_vanishes__unregistered_and_not_candidate() -> None:
    ev = evaluate(boot().state, snap(12, 5, val(B)), [], CFG)
    assert kinds_of(ev, A) == ["unregistered"]
    assert ev.recommendations[0].recommendation.signature == ("move_away", ("not_candidate",))
    assert A not in ev.state.validators


def test_evaluate__one_missed_block__status_with_missed_blocks_increased_only() -> None:
    ev = evaluate(boot().state, snap(12, 5, val(A, missed_blocks=1), val(B)), [], CFG)
    assert kinds_of(ev, A) == ["missed_blocks_increased"] and ev.recommendations == []
    cleaned = evaluate(ev.state, snap(14, 6, val(A), val(B)), [], CFG)
    assert kinds_of(cleaned, A) == ["round_turned"]  # the clean at the turn is no "change"


def test_evaluate__new_epoch__status_for_every_validator() -> None:
    ev = evaluate(boot().state, snap(200, 5, val(A), val(B)), [], CFG)
    assert {s.fact_id for s in ev.statuses} == {f"vm.status.{A}.epoch.1",
                                                f"vm.status.{B}.epoch.1"}


def test_evaluate__round_turns__apy_from_the_last_income_of_the_previous_round() -> None:
    first = evaluate(boot().state, snap(12, 5, val(A, income_raw=10**17), val(B)), [], CFG)
    assert first.apy[A] is None
    nxt = evaluate(first.state, snap(14, 6, val(A), val(B)), [], CFG)
    # 1e17 * 0.9 / 1e20 = 0.0009 per round
    assert nxt.apy[A] is not None and abs(float(nxt.apy[A]) - (1.0009**365 - 1)) < 1e-8
    # B earned nothing last round and holds as much of ours: the whole delegation earns half
    assert nxt.apy[B] == 0
    assert nxt.our_apy == (nxt.apy[A] / 2).quantize(nxt.apy[A])


def test_evaluate__first_round_half_way_through_the_utc_day__apy_from_extrapolated_income() -> None:
    round_ = 20_000
    noon = datetime.fromtimestamp(round_ * 86_400 + 43_200, UTC)
    s = Snapshot(10, noon, round_, T, {A: val(A, income_raw=5 * 10**16)})
    ev = evaluate(MonitorState(), s, [], CFG)
    # 5e16 by noon -> 1e17 for the day; * 0.9 / 1e20 = 0.0009 per round
    assert ev.apy[A] is not None and abs(float(ev.apy[A]) - (1.0009**365 - 1)) < 1e-8


def test_chain_events__slashed_by_consensus_and_transfer__resolved_to_operators() -> None:
    from ballast.validator_monitor.adapters.logs import RawEvent
    from ballast.validator_monitor.app import chain_events

    cons = "0x" + "c" * 40
    s = snap(12, 5, val(A, consensus=cons), val(B, consensus="0x" + "d" * 40))
    raw = [
        RawEvent("validatorSlashed", "0x" + "1" * 40, 11, 0, "0x", {"validator": cons}),
        RawEvent("transferredCoin", "0x" + "2" * 40, 11, 1, "0x",
                 {"sourceCandidate": A, "targetCandidate": B, "delegator": "0x" + "9" * 40,
                  "amount": 1, "realtimeAmount": 1}),
        RawEvent("turnedRound", "0x" + "3" * 40, 11, 2, "0x", {"round": 6}),
    ]
    got = [(e.name, e.operator) for e in chain_events(raw, s, MonitorState())]
    assert got == [("validatorSlashed", A), ("transferredCoin", A), ("transferredCoin", B),
                   ("turnedRound", None)]
