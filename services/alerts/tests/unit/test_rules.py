"""Every shipped rule fires on its fact and resolves (by a recovering fact or by time)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ballast.alerts.adapters.rules_file import DEFAULT_RULES, RulesWatcher, load_rules
from ballast.alerts.domain.config import Grouping, RulesError
from ballast.alerts.domain.engine import AlertEngine
from ballast.alerts.domain.model import Notification, alert_key
from ballast.alerts.domain.spec import parse_rules
from ballast.common.messages import AlertState

T0 = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
Step = tuple[float, Any]  # (seconds after T0, (subject, fact) or None for a tick only)


def no_grouping() -> AlertEngine:
    config = dataclasses.replace(load_rules(), grouping=Grouping(timedelta(0), timedelta(0)))
    return AlertEngine(config)


def run(engine: AlertEngine, steps: list[Step]) -> list[Notification]:
    sent: list[Notification] = []
    for seconds, fact in steps:
        now = T0 + timedelta(seconds=seconds)
        if fact is not None:
            sent += engine.on_fact(fact[0], fact[1], now).notifications
        sent += engine.tick(now).notifications
    return sent


def sources(source: str, deviation: str = "0.01", flags: list[str] | None = None) -> list[Any]:
    return [
        {"source": source, "used": True, "deviation": deviation, "flags": flags or []},
        {"source": "switchboard", "used": True, "deviation": "0.01"},
    ]


H = 3600.0
CASES: dict[str, Callable[[Any], tuple[list[Step], list[Step]]]] = {
    "reserve_ratio_critical": lambda f: ([(0, f.treasury(rr="1.4"))], [(10, f.treasury("1.6"))]),
    "consensus_halted": lambda f: ([(0, f.consensus("HALTED"))], [(10, f.consensus("OK"))]),
    "intervention_failed": lambda f: (
        [(0, f.executed("failed", reason="slippage"))],
        [(6 * H + 1, None)],
    ),
    "heartbeat_missing": lambda f: (
        [(0, f.heartbeat("oracle", 10)), (31, None)],
        [(40, f.heartbeat("oracle", 10))],
    ),
    "validator_jailed": lambda f: ([(0, f.validator(jailed=True))], [(10, f.validator())]),
    "nav_drop": lambda f: (
        [(0, f.etf("1.00")), (60, f.etf("0.94"))],
        [(120, f.etf("0.97"))],
    ),
    "deadletters_piling_up": lambda f: (
        [(i, f.dead_letter()) for i in range(10)],
        [(9 + 300 + 1, None)],
    ),
    "health_critical": lambda f: ([(0, f.health("critical", "0.5"))], [(10, f.health("good"))]),
    "reserve_ratio_low": lambda f: ([(0, f.treasury(rr="1.9"))], [(10, f.treasury("2.1"))]),
    "oracle_deviation": lambda f: (
        [(0, f.consensus(sources=sources("pyth", "0.08")))],
        [(10, f.consensus(sources=sources("pyth", "0.01")))],
    ),
    "source_stale": lambda f: (
        [(0, f.consensus(sources=sources("pyth", flags=["stale"])))],
        [(10, f.consensus(sources=sources("pyth")))],
    ),
    "consensus_degraded": lambda f: ([(0, f.consensus("DEGRADED"))], [(10, f.consensus("OK"))]),
    "emergency_price_source": lambda f: (
        [(0, f.consensus(emergency_source="backup"))], [(10, f.consensus())]),
    "health_poor": lambda f: ([(0, f.health("poor", "0.7"))], [(10, f.health("good"))]),
    "pump_concentration_high": lambda f: (
        [(0, f.treasury(pump="0.85"))],
        [(10, f.treasury(pump="0.70"))],
    ),
    "unbonding_wait_long": lambda f: (
        [(0, f.etf(oldest_wait=700_000))],
        [(10, f.etf(oldest_wait=1000))],
    ),
    "validator_missed_blocks": lambda f: (
        [(0, f.validator(missed=40))],
        [(10, f.validator(missed=0))],
    ),
    "intervention_executed": lambda f: ([(0, f.executed("confirmed"))], [(H + 1, None)]),
    "health_improved": lambda f: (
        [(0, f.health("poor", "0.7")), (10, f.health("good"))],
        [(20, f.health("good"))],
    ),
    "automation_executed": lambda f: ([(0, f.automation())], [(H + 1, None)]),
    "proposal_created": lambda f: ([(0, f.proposal(event="created"))], [(24 * H + 1, None)]),
    "voting_deadline_near": lambda f: (
        [(0, f.proposal(seconds_to_deadline=3600))],
        [(10, f.proposal(seconds_to_deadline=0))],
    ),
    "quorum_at_risk": lambda f: (
        [(0, f.proposal(seconds_to_deadline=3600, quorum_reached=False))],
        [(10, f.proposal(seconds_to_deadline=3590, quorum_reached=True))],
    ),
}


@pytest.mark.parametrize("rule_name", sorted(CASES))
def test_rule__breaching_then_recovering__fires_then_resolves(rule_name: str, facts: Any) -> None:
    engine = no_grouping()
    rule = engine.config.by_name(rule_name)
    fire, resolve = CASES[rule_name](facts)

    fired = [n for n in run(engine, fire) if n.alert.rule == rule_name]
    assert [n.alert.state for n in fired] == [AlertState.FIRING]
    assert fired[0].alert.severity is rule.severity
    assert fired[0].alert.summary and "{" not in fired[0].alert.summary
    key = fired[0].key

    resolved = [n for n in run(engine, resolve) if n.alert.rule == rule_name]
    assert engine.lifecycle.records[key].state is AlertState.RESOLVED
    expected = [AlertState.RESOLVED] if rule.send_resolved else []
    assert [n.alert.state for n in resolved] == expected


def test_default_rules__every_rule__has_a_fire_and_resolve_case() -> None:
    names = {rule.name for rule in load_rules().rules}
    assert names - set(CASES) == {"watchdog"}


def test_watchdog__heartbeats_of_the_alerts_service__fire_and_never_resolve(facts: Any) -> None:
    engine = no_grouping()
    steps: list[Step] = [(i * 10, facts.heartbeat("alerts")) for i in range(13)]
    sent = [n for n in run(engine, steps) if n.alert.rule == "watchdog"]
    # at 0 s, then once a minute on a fresh heartbeat: 60 s and 120 s
    assert [n.sequence for n in sent] == [1, 2, 3]
    assert all(n.alert.state is AlertState.FIRING and n.route == "watchdog" for n in sent)


def test_watchdog__ticks_without_facts__stay_silent(facts: Any) -> None:
    engine = no_grouping()
    run(engine, [(0, facts.heartbeat("alerts"))])
    later = run(engine, [(s, None) for s in range(60, 3600, 60)])
    assert [n for n in later if n.alert.rule == "watchdog"] == []


def test_alert_key__labels_in_any_order__same_key() -> None:
    assert alert_key("r", {"b": "2", "a": "1"}) == alert_key("r", {"a": "1", "b": "2"})
    assert alert_key("r", {"a": "1", "b": "2"}) == "r{a=1,b=2}"
    assert alert_key("r", {}) == "r"


def test_parse_rules__unknown_key__error_names_the_rule() -> None:
    raw = {"rules": [{"name": "x", "subject": "treasury.state", "severity": "info", "fild": "a"}]}
    with pytest.raises(RulesError, match="rule x: unknown keys"):
        parse_rules(raw)


@pytest.mark.parametrize(("extra", "why"), [
    ({"clear": "1.6", "clear_margin": "0.1"}, "clear and clear_margin: give one"),
    ({"op": "eq", "clear_margin": "0.1"}, "clear_margin needs op lt, le, gt or ge"),
])
def test_parse_rules__clear_margin_misused__error_says_why(extra: dict[str, str], why: str) -> None:
    rule = {"name": "x", "subject": "treasury.state", "severity": "info", "field": "reserve_ratio",
            "op": "lt", "threshold_field": "min_rr_threshold", **extra}
    with pytest.raises(RulesError, match=why):
        parse_rules({"rules": [rule]})


def test_parse_rules__subject_not_on_the_bus__rejected() -> None:
    raw = {"rules": [{"name": "x", "subject": "nope.nothing", "severity": "info", "field": "a"}]}
    with pytest.raises(RulesError, match="nope.nothing"):
        parse_rules(raw)


def test_rules_watcher__file_changed__returns_new_rules(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(DEFAULT_RULES.read_text())
    watcher = RulesWatcher(path)
    assert watcher.poll() is None
    path.write_text("rules:\n- {name: only, subject: health.score, severity: info, field: level}")
    os.utime(path, (1, 1))
    config = watcher.poll()
    assert config is not None and [r.name for r in config.rules] == ["only"]


def test_rules_watcher__broken_file__keeps_previous_rules(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text("rules: [ {name: x, subject: nope, severity: info} ]")
    watcher = RulesWatcher(path)
    assert watcher.poll(force=True) is None


def test_heartbeat_missing__expected_service_never_seen__fires_after_grace() -> None:
    engine = no_grouping()
    engine.evaluator.expect("heartbeat_missing", {"service": "treasury"}, T0, timedelta(seconds=60))
    assert run(engine, [(59, None)]) == []
    fired = run(engine, [(61, None)])
    assert [(n.alert.rule, n.alert.labels) for n in fired] == [
        ("heartbeat_missing", {"service": "treasury"})
    ]


def test_for_each__source_disappears_from_consensus__its_alert_resolves(facts: Any) -> None:
    engine = no_grouping()
    fired = run(engine, [(0, facts.consensus(sources=sources("pyth", "0.08")))])
    assert [n.alert.labels for n in fired] == [{"symbol": "PSTR", "source": "pyth"}]
    only_switchboard = [{"source": "switchboard", "used": True, "deviation": "0.01"}]
    resolved = run(engine, [(10, facts.consensus(sources=only_switchboard))])
    assert [(n.alert.rule, n.alert.state.value) for n in resolved] == [
        ("oracle_deviation", "resolved")
    ]


def test_threshold__field_missing_in_fact__alert_kept_as_it_is(facts: Any) -> None:
    engine = no_grouping()
    run(engine, [(0, facts.treasury(rr="1.4"))])
    assert run(engine, [(10, facts.treasury(rr=None))]) == []  # no reading is not a recovery
    assert engine.lifecycle.records["reserve_ratio_critical"].firing
