"""The lifecycle: dedup, hysteresis, repeat, escalation, silences, inhibition, grouping."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from ballast.alerts.adapters.rules_file import load_rules
from ballast.alerts.domain.config import Grouping
from ballast.alerts.domain.engine import AlertEngine
from ballast.alerts.domain.model import Notification, Silence
from ballast.common.messages import AlertState, Severity

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


def engine_with(group_wait: float = 0, group_interval: float = 0) -> AlertEngine:
    grouping = Grouping(timedelta(seconds=group_wait), timedelta(seconds=group_interval))
    return AlertEngine(dataclasses.replace(load_rules(), grouping=grouping))


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def feed(engine: AlertEngine, fact: Any, seconds: float) -> list[Notification]:
    out = engine.on_fact(fact[0], fact[1], at(seconds)).notifications
    return out + engine.tick(at(seconds)).notifications


def summary(sent: list[Notification]) -> list[tuple[str, str]]:
    return [(n.alert.rule, n.alert.state.value) for n in sent]


def test_lifecycle__same_fact_replayed_100_times__one_alert_one_notification(facts: Any) -> None:
    engine = engine_with()
    fact = facts.treasury(rr="1.8")
    sent: list[Notification] = []
    for i in range(100):
        sent += feed(engine, fact, i * 0.1)
    assert summary(sent) == [("reserve_ratio_low", "firing")]
    assert [r.key for r in engine.active()] == ["reserve_ratio_low"]


def test_lifecycle__value_in_dead_band__stays_firing_until_clear(facts: Any) -> None:
    engine = engine_with()
    assert summary(feed(engine, facts.treasury(rr="1.45"), 0)) == [
        ("reserve_ratio_critical", "firing")
    ]
    # 1.52 is above the 1.5 threshold but below the 1.55 clear: no flapping
    assert feed(engine, facts.treasury(rr="1.52"), 1) == []
    assert engine.lifecycle.records["reserve_ratio_critical"].firing
    resolved = feed(engine, facts.treasury(rr="1.56"), 2)
    assert ("reserve_ratio_critical", "resolved") in summary(resolved)
    # re-armed: a new breach is a new episode and a new notification
    again = feed(engine, facts.treasury(rr="1.40"), 3)
    assert ("reserve_ratio_critical", "firing") in summary(again)


def test_lifecycle__governance_lowers_min_rr__threshold_and_clear_follow_the_state(
    facts: Any,
) -> None:
    engine = engine_with()
    # governance moved the emergency stop to 1.3: 1.45 is no longer critical
    quiet = feed(engine, facts.treasury(rr="1.45", min_rr="1.3"), 0)
    assert "reserve_ratio_critical" not in [rule for rule, _ in summary(quiet)]
    fired = feed(engine, facts.treasury(rr="1.29", min_rr="1.3"), 1)
    assert ("reserve_ratio_critical", "firing") in summary(fired)
    assert "1.3" in next(n.alert.summary for n in fired if n.alert.rule == "reserve_ratio_critical")
    # the clear is the margin past the governed threshold (1.35), not the seed's 1.55
    assert feed(engine, facts.treasury(rr="1.34", min_rr="1.3"), 2) == []
    resolved = feed(engine, facts.treasury(rr="1.36", min_rr="1.3"), 3)
    assert ("reserve_ratio_critical", "resolved") in summary(resolved)


def test_lifecycle__value_worse_by_step__renotified_only_then(facts: Any) -> None:
    engine = engine_with()
    first = feed(engine, facts.treasury(rr="1.45"), 0)
    assert len([n for n in first if n.alert.rule == "reserve_ratio_critical"]) == 1
    assert feed(engine, facts.treasury(rr="1.40"), 1) == []  # worse by 0.05 < 0.1 step
    assert feed(engine, facts.treasury(rr="1.48"), 2) == []  # better: never re-notify
    worse = feed(engine, facts.treasury(rr="1.34"), 3)  # 0.11 below the last notified 1.45
    assert [(n.alert.rule, n.reason, n.sequence) for n in worse] == [
        ("reserve_ratio_critical", "worse", 2)
    ]


def test_lifecycle__unacknowledged_firing__repeats_after_interval(facts: Any) -> None:
    engine = engine_with()
    feed(engine, facts.validator(jailed=True), 0)
    assert engine.tick(at(4 * 3600 - 1)).notifications == []
    repeat = engine.tick(at(4 * 3600)).notifications
    assert [(n.reason, n.sequence) for n in repeat] == [("repeat", 2)]


def test_lifecycle__acknowledged__no_repeat(facts: Any) -> None:
    engine = engine_with()
    feed(engine, facts.validator(jailed=True), 0)
    key = engine.active()[0].key
    assert engine.acknowledge(key, "oncall", at(10)) is not None
    assert engine.tick(at(5 * 3600)).notifications == []


def test_lifecycle__warning_unacknowledged_30m__escalates_to_critical(facts: Any) -> None:
    engine = engine_with()
    feed(engine, facts.treasury(rr="1.9"), 0)
    assert engine.tick(at(29 * 60)).notifications == []
    escalated = engine.tick(at(30 * 60)).notifications
    assert len(escalated) == 1
    alert = escalated[0].alert
    assert (alert.rule, alert.severity, alert.escalated) == (
        "reserve_ratio_low",
        Severity.CRITICAL,
        True,
    )
    assert escalated[0].route == "critical"


def test_lifecycle__warning_acknowledged__never_escalates(facts: Any) -> None:
    engine = engine_with()
    feed(engine, facts.treasury(rr="1.9"), 0)
    engine.acknowledge("reserve_ratio_low", "oncall", at(60))
    assert engine.tick(at(3600)).notifications == []
    assert engine.lifecycle.records["reserve_ratio_low"].severity is Severity.WARNING


def test_lifecycle__silenced__held_back_then_told_after_expiry(facts: Any) -> None:
    engine = engine_with()
    engine.lifecycle.add_silence(
        Silence("s1", {"rule": "validator_jailed"}, expires_at=at(600), starts_at=T0)
    )
    assert feed(engine, facts.validator(jailed=True), 1) == []
    assert engine.active()  # the alert exists, only its notification is held
    assert engine.tick(at(599)).notifications == []
    after = engine.tick(at(600)).notifications
    assert summary(after) == [("validator_jailed", "firing")]


def test_lifecycle__silence_by_label__other_labels_still_notify(facts: Any) -> None:
    engine = engine_with()
    other = "0x" + "ef" * 20
    engine.lifecycle.add_silence(
        Silence("s1", {"operator": other}, expires_at=at(600), starts_at=T0)
    )
    assert feed(engine, facts.validator(jailed=True, operator=other), 1) == []
    told = summary(feed(engine, facts.validator(jailed=True), 2))
    assert told == [("validator_jailed", "firing")]


def test_lifecycle__silence_without_matchers__rejected() -> None:
    engine = engine_with()
    with pytest.raises(ValueError, match="matcher"):
        engine.lifecycle.add_silence(Silence("s1", {}, expires_at=at(600), starts_at=T0))


def test_lifecycle__critical_firing__inhibits_its_warning(facts: Any) -> None:
    engine = engine_with()
    # one fact breaches both: the critical is applied first and inhibits the warning
    assert summary(feed(engine, facts.treasury(rr="1.4"), 0)) == [
        ("reserve_ratio_critical", "firing")
    ]
    assert engine.lifecycle.records["reserve_ratio_low"].firing
    # the critical recovers while the warning still holds: now the warning is told
    after = feed(engine, facts.treasury(rr="1.7"), 1)
    assert summary(after) == [
        ("reserve_ratio_critical", "resolved"),
        ("reserve_ratio_low", "firing"),
    ]


def test_lifecycle__group_wait__notifications_leave_together(facts: Any) -> None:
    engine = engine_with(group_wait=5, group_interval=30)
    other = "0x" + "ef" * 20
    assert feed(engine, facts.validator(jailed=True), 0) == []
    assert feed(engine, facts.validator(jailed=True, operator=other), 2) == []
    flushed = engine.tick(at(5)).notifications
    assert sorted(n.alert.labels["operator"] for n in flushed) == sorted(
        ["0x" + "ab" * 20, other]
    )
    # a change inside group_interval waits for the next flush
    assert feed(engine, facts.validator(jailed=False), 10) == []
    later = engine.tick(at(35)).notifications
    assert summary(later) == [("validator_jailed", "resolved")]


def test_lifecycle__restored_records__sequence_continues(facts: Any) -> None:
    engine = engine_with()
    feed(engine, facts.validator(jailed=True), 0)
    feed(engine, facts.validator(jailed=False), 1)
    records = list(engine.lifecycle.records.values())
    fresh = engine_with()
    fresh.lifecycle.restore(records, [])
    sent = feed(fresh, facts.validator(jailed=True), 2)
    assert [n.sequence for n in sent] == [3]
    assert sent[0].alert.state is AlertState.FIRING


def test_lifecycle__rule_removed_on_reload__its_alert_resolves(facts: Any) -> None:
    engine = engine_with()
    feed(engine, facts.validator(jailed=True), 0)
    config = engine.config
    kept = tuple(r for r in config.rules if r.name != "validator_jailed")
    out = engine.reload(dataclasses.replace(config, rules=kept), at(10))
    assert [(n.alert.rule, n.alert.state.value, n.reason) for n in out.notifications] == [
        ("validator_jailed", "resolved", "rule removed")
    ]
    assert not [r for r in engine.active() if r.rule == "validator_jailed"]
