"""Every shipped rule's page, rendered from a realistic fact, as the person on call reads it.

The facts carry the exact decimals services really publish (a consensus deviation of
0.2323242422466571204089801184, a reserve ratio of 1.4237891...): the page must show them
for people (issue #24), name the facts that matter, and say nothing twice.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ballast.alerts.adapters.rules_file import load_rules
from ballast.alerts.domain.config import Grouping
from ballast.alerts.domain.engine import AlertEngine
from ballast.alerts.domain.model import Notification, notification_payload
from ballast.alerts.domain.pages import Page, render_page
from ballast.common import messages as m
from ballast.testing.messages import validator_status

T0 = datetime(2026, 12, 5, 2, 10, tzinfo=UTC)
D = Decimal
TX = "0x" + "5e" * 32
OPERATOR = "0x" + "ab" * 20
Fact = tuple[str, m.Message]


def treasury(rr: str = "1.423789123456789012345678901", conc: str = "0.5") -> Fact:
    return "treasury.state", m.TreasuryState(
        computed_at=T0, status=m.StateStatus.OK, holdings=[],
        treasury_value_usd=D("1423789.123456789012345678901"),
        pstr_price=D("0.839583333333051025684"), pstr_market_cap_usd=D("1000000.000000000001"),
        reserve_ratio=D(rr), daily_budget_usd=D("2465.753424657534246575342466"),
        intervention_capacity_usd=D("48000"), vwap_30d=D("1.02"), drawdown=D("0.1769"), tier=1,
        deployment_share=D("0.15"), safety_mode=m.SafetyMode.EMERGENCY_STOP,
        pump_concentration=D(conc), pump_concentration_limit=D("0.8"), min_rr_threshold=D("1.5"),
        reduced_rr_threshold=D("2.0"), inputs=[],
    )  # fmt: skip


def consensus(status: str = "OK", sources: list[dict[str, Any]] | None = None) -> Fact:
    readings = sources or [
        {"source": "pyth", "price": "1.0003", "used": True, "deviation": "0.0002"},
        {"source": "dex_twap", "price": "0.7679254386912311", "used": False,
         "deviation": "0.2323242422466571204089801184", "flags": ["deviant"]},
    ]
    return "prices.consensus.PSTR", m.ConsensusPrice(
        symbol="PSTR", price=None if status == "HALTED" else D("1.000124999999999999"),
        status=m.ConsensusStatus(status),
        sources=[m.SourceReading.model_validate(r) for r in readings], sources_used=1,
        reasons=["only 1 source agrees, 2 needed"] if status != "OK" else [], computed_at=T0,
    )  # fmt: skip


def emergency() -> Fact:
    """The oracle's quorum failed and it consulted its configured emergency source."""
    subject, price = consensus("DEGRADED", [
        {"source": "chainlink", "price": "0.99912345678", "used": True, "deviation": "0"}])
    assert isinstance(price, m.ConsensusPrice)
    return subject, price.model_copy(update={
        "emergency_source": "chainlink", "reasons": ["quorum lost: 1 of 3 sources"]})


def executed(status: str = "dry_run", mode: str = "dry_run") -> Fact:
    live = mode == "live"
    return "intervention.executed", m.InterventionExecuted(
        decision_id="pstr-20261205-0", status=m.ExecutionStatus(status),
        mode=m.ExecutionMode(mode), tx_hash=TX if live and status == "confirmed" else None,
        amount_in_raw=57_142_857_142_857_142_857_142,
        amount_in=D("57142.857142857142857142"),
        reason={"dry_run": "dry run: quoted, not signed",
                "failed": "reverted: UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT"}.get(status),
        executed_at=T0, tier=2, amount_usd=D("25000.00"), price=D("0.7812345678901234"),
        vwap_30d=D("1.0183333333333333"), reserve_ratio_after=D("2.9750000000000000001"),
    )  # fmt: skip


def heartbeat(at: datetime) -> Fact:
    return "heartbeat.oracle", m.Heartbeat(
        service="oracle", instance="oracle-1", version="0.1.0", started_at=T0, sent_at=at,
        uptime_seconds=1, ready=True, interval_seconds=10,
    )  # fmt: skip


def validator(jailed: bool = False, missed: int = 0) -> Fact:
    return "validators.status", validator_status(
        OPERATOR, jailed=jailed, missed=missed, observed_at=T0, round=20412,
        jailed_until_round=20415 if jailed else None, total_delegated_raw=None,
    )  # fmt: skip


def etf(nav: str = "1.0531234567", oldest_wait: int | None = None) -> Fact:
    return "etf.metrics", m.EtfMetrics(
        block_number=100, block_timestamp=T0, nav_per_share=D(nav),
        aum_usd=D("1048212.4471234"), core_staked_usd=D(500000), lstbtc_usd=D(400000),
        rewards_usd=D(1000), liquidity_usd=D(99000), basket_supply_raw=10**24, queue_length=14,
        oldest_wait_seconds=oldest_wait, instant_withdrawal_capacity_usd=D("50000.5"),
    )  # fmt: skip


def health(level: str, score: str) -> Fact:
    return "health.score", m.HealthScore(
        computed_at=T0, score=D(score), level=m.HealthLevel(level),
        reserve_ratio_component=D("0.47"), intervention_capacity_component=D("0.1"),
        diversification_component=D("0.1"),
        recommendations=["reserve ratio under its 3.0 target: rebuild reserves"],
    )  # fmt: skip


def proposal(event: str = "progress", left: int = 5400, quorum: bool = True) -> Fact:
    return "governance.proposals", m.GovernanceProposal(
        proposal_id="7", event=event, proposal_type=m.ProposalType.PARAMETER, state="active",
        proposer=OPERATOR, description="Raise the trigger threshold to 0.88",
        for_votes=D("120500.5"), against_votes=D("10000"), abstain_votes=D(0),
        quorum_required=D(400000), quorum_reached=quorum, approval_threshold=D("0.51"),
        approval=D("0.92"), vote_end_at=T0 + timedelta(seconds=left), seconds_to_deadline=left,
        observed_at=T0,
    )  # fmt: skip


def dead_letter() -> Fact:
    return "deadletter.treasury.state", m.DeadLetter(
        original_subject="treasury.state", service="treasury", error="invalid payload",
        payload_b64="e30=", deliveries=1, failed_at=T0,
    )  # fmt: skip


def automation() -> Fact:
    return "automation.executed", m.AutomationAction(
        action_id="accumulate-20261205T0200", kind=m.AutomationKind.ACCUMULATE,
        status=m.ExecutionStatus.CONFIRMED, mode=m.ExecutionMode.LIVE, tx_hash=TX,
        executed_at=T0,
    )  # fmt: skip


Steps = list[tuple[float, Fact | None]]
FIRING: dict[str, Steps] = {
    "reserve_ratio_critical": [(0, treasury())],
    "reserve_ratio_low": [(0, treasury("1.9412"))],
    "pump_concentration_high": [(0, treasury("3.1", conc="0.8523423"))],
    "consensus_halted": [(0, consensus("HALTED"))],
    "consensus_degraded": [(0, consensus("DEGRADED"))],
    "oracle_deviation": [(0, consensus())],
    "source_stale": [(0, consensus(sources=[
        {"source": "switchboard", "price": "0.99871", "used": False, "deviation": "0.0014",
         "flags": ["stale"], "published_at": "2026-12-05T01:58:00Z"}]))],
    "emergency_price_source": [(0, emergency())],
    "intervention_executed": [(0, executed())],
    "intervention_failed": [(0, executed("failed", "live"))],
    "heartbeat_missing": [(0, heartbeat(T0)), (754, None)],
    "validator_jailed": [(0, validator(jailed=True))],
    "validator_missed_blocks": [(0, validator(missed=43))],
    "nav_drop": [(0, etf("1.0531234567")), (60, etf("0.9812345678"))],
    "unbonding_wait_long": [(0, etf(oldest_wait=700_000))],
    "deadletters_piling_up": [(i, dead_letter()) for i in range(12)],
    "health_critical": [(0, health("critical", "0.5123456"))],
    "health_poor": [(0, health("poor", "0.6612"))],
    "health_improved": [(0, health("poor", "0.6612")), (10, health("good", "0.8412"))],
    "automation_executed": [(0, automation())],
    "proposal_created": [(0, proposal("created", left=3 * 86400))],
    "voting_deadline_near": [(0, proposal(left=5400))],
    "quorum_at_risk": [(0, proposal(left=5400, quorum=False))],
    "watchdog": [(0, ("heartbeat.alerts", heartbeat(T0)[1]))],
}

# title (after the severity), then lines the body must show
EXPECTED: dict[str, tuple[str, list[str]]] = {
    "reserve_ratio_critical": (
        "FIRING: Reserve ratio 1.42x is below the emergency threshold 1.50x: interventions stop",
        ["Reserve ratio: 1.42x (treasury value $1,423,789.12 / PSTR market cap $1,000,000.00)",
         "PSTR price: $0.83958", "Safety mode: emergency-stop",
         "Intervention capacity: $48,000.00"]),
    "reserve_ratio_low": ("FIRING: Reserve ratio 1.94x is below 2.00x: deployment is reduced",
                           ["Reserve ratio: 1.94x (treasury value $1,423,789.12 / PSTR market"
                           " cap $1,000,000.00)", "PSTR price: $0.83958",
                           "Safety mode: emergency-stop", "Intervention capacity: $48,000.00"]),
    "pump_concentration_high": ("FIRING: PUMP concentration 85.2% is above 80.0%",
                                ["Treasury value: $1,423,789.12"]),
    "consensus_halted": ("FIRING: Price consensus for PSTR is HALTED: interventions are blocked",
                         ["Sources used: 1", "Why: only 1 source agrees, 2 needed"]),
    "consensus_degraded": ("FIRING: Price consensus for PSTR is DEGRADED: interventions wait",
                           ["Consensus: $1.0001 (sources used: 1)",
                            "Why: only 1 source agrees, 2 needed"]),
    "oracle_deviation": (
        "FIRING: dex_twap price $0.76793 is 23.2% off the PSTR consensus $1.0001 "
        "(threshold 5.0%)",
        ["Source: dex_twap", "Its price: $0.76793", "Consensus: $1.0001 (OK, sources used: 1)",
         "Deviation: 23.2% (threshold 5.0%)"]),
    "source_stale": ("FIRING: Price source switchboard for PSTR is stale",
                     ["Last price: $0.99871, published 2026-12-05 01:58 UTC",
                      "Consensus: $1.0001 (OK)"]),
    "emergency_price_source": (
        "FIRING: Consensus for PSTR uses the emergency price source chainlink: quorum failed",
        ["Consensus: $1.0001 (sources used: 1)", "Why: quorum lost: 1 of 3 sources"]),
    "intervention_executed": (
        "FIRING: Intervention pstr-20261205-0 dry-run: tier 2, 57,142.86 PUMP ($25,000.00) "
        "for PSTR",
        ["Mode: dry-run", "Tier: 2", "Amount: 57,142.86 PUMP ($25,000.00)",
         "PSTR price: $0.78123 against the 30-day VWAP $1.0183",
         "Reserve ratio after: 2.98x (projected at the decision)",
         "Transaction: dry run: quoted, not signed"]),
    "intervention_failed": (
        "FIRING: Intervention pstr-20261205-0 failed: reverted: UniswapV2Router: "
        "INSUFFICIENT_OUTPUT_AMOUNT",
        ["Mode: live", "Tier: 2", "Amount: 57,142.86 PUMP ($25,000.00)",
         "PSTR price: $0.78123 against the 30-day VWAP $1.0183",
         "Reserve ratio after: 2.98x (projected at the decision)",
         "Transaction: reverted: UniswapV2Router: INSUFFICIENT_OUTPUT_AMOUNT"]),
    "heartbeat_missing": ("FIRING: No heartbeat from oracle for 12 min", []),
    "validator_jailed": (f"FIRING: Validator {OPERATOR} is jailed",
                         ["Round: 20412", "Jailed until round: 20415", "Missed blocks: 0"]),
    "validator_missed_blocks": (
        f"FIRING: Validator {OPERATOR} missed 43 blocks (warn at 40, misdemeanor at 50)", []),
    "nav_drop": ("FIRING: NAV per share changed -6.8% within an hour (threshold -5.0%)",
                 ["NAV per share now: $0.98123", "AUM: $1,048,212.45"]),
    "unbonding_wait_long": (
        "FIRING: Oldest unbonding request has waited 8 d 2 h (limit 7 d)",
        ["Queue: 14 requests", "Instant withdrawal capacity: $50,000.50"]),
    "deadletters_piling_up": (
        "FIRING: 10 dead letters from treasury in 5 minutes (threshold 10)", []),
    "health_critical": ("FIRING: Treasury health is CRITICAL (score 51.2%): emergency protocols",
                        ["Score: 51.2%",
                         "Recommendations: reserve ratio under its 3.0 target: rebuild reserves"]),
    "health_poor": ("FIRING: Treasury health is POOR (score 66.1%): intervention recommended",
                    ["Score: 66.1%",
                     "Recommendations: reserve ratio under its 3.0 target: rebuild reserves"]),
    "health_improved": ("FIRING: Treasury health improved from poor to good (score 84.1%)", []),
    "automation_executed": (
        "FIRING: Automation accumulate accumulate-20261205T0200 confirmed",
        ["Mode: live", f"Transaction: {TX}"]),
    "proposal_created": ("FIRING: New parameter proposal 7",
                         ["Raise the trigger threshold to 0.88",
                          "Voting ends: 2026-12-08 02:10 UTC"]),
    "voting_deadline_near": ("FIRING: Voting on proposal 7 ends in 1 h 30 min",
                             ["For: 120,500.5 / against: 10,000 / abstain: 0",
                              "Quorum reached: yes"]),
    "quorum_at_risk": ("FIRING: Proposal 7 has not reached quorum with 1 h 30 min left",
                       ["Quorum required: 400,000",
                        "For: 120,500.5 / against: 10,000 / abstain: 0"]),
    "watchdog": ("FIRING: Watchdog: the alerting pipeline is alive (bus -> rules -> outbox "
                 "-> channel)", []),
}


def engine() -> AlertEngine:
    config = dataclasses.replace(load_rules(), grouping=Grouping(timedelta(0), timedelta(0)))
    return AlertEngine(config)


def fire(alerts: AlertEngine, rule: str) -> Notification:
    sent: list[Notification] = []
    for seconds, fact in FIRING[rule]:
        now = T0 + timedelta(seconds=seconds)
        if fact is not None:
            sent += alerts.on_fact(fact[0], fact[1], now).notifications
        sent += alerts.tick(now).notifications
    (notification,) = [n for n in sent if n.alert.rule == rule]
    return notification


def page_of(notification: Notification) -> Page:
    return render_page([notification_payload(notification)])


FLOAT_NOISE = re.compile(r"\d[.,]\d{7,}")


def test_expected_pages__cover_every_default_rule() -> None:
    assert {rule.name for rule in load_rules().rules} == set(EXPECTED) == set(FIRING)


@pytest.mark.parametrize("rule", sorted(EXPECTED))
def test_page__realistic_fact__names_the_facts_without_noise(rule: str) -> None:
    notification = fire(engine(), rule)
    page = page_of(notification)
    title, lines = EXPECTED[rule]
    severity = notification.alert.severity.value.upper()

    assert page.title == f"[{severity}] {title}"
    body = page.text.splitlines()
    assert body[: len(lines)] == lines
    assert body[len(lines):] == [
        "Since: 2026-12-05 " + body[len(lines)].split(" ")[2] + " UTC",
        f"Runbook: docs/runbook.md#{rule}",
        f"Alert: {notification.key} (notification {notification.id})",
    ]
    shown = page.title + "\n" + page.text
    assert not FLOAT_NOISE.search(shown), shown
    assert "{" not in shown.replace(notification.key, "") and "n/a" not in shown
    assert len(set(body)) == len(body) and title.split(": ", 1)[1] not in page.text


def test_page__resolved_deviation__says_how_long_it_fired() -> None:
    alerts = engine()
    fire(alerts, "oracle_deviation")
    calm = consensus(sources=[
        {"source": "pyth", "price": "1.0003", "used": True, "deviation": "0.0002"},
        {"source": "dex_twap", "price": "0.99", "used": True, "deviation": "0.0101"}])
    later = T0 + timedelta(minutes=12, seconds=20)
    (resolved,) = alerts.on_fact(calm[0], calm[1], later).notifications
    page = page_of(resolved)
    assert page.title == (
        "[WARNING] RESOLVED after firing for 12 min: dex_twap price $0.99 is 1.0% off the "
        "PSTR consensus $1.0001 (threshold 5.0%)")  # the values that resolved it
    assert page.text.splitlines()[0] == "Fired: 2026-12-05 02:10 to 02:22 UTC"
    assert page.resolved


def test_page__confirmed_live_intervention__transaction_hash() -> None:
    alerts = engine()
    subject, fact = executed("confirmed", "live")
    (notification,) = alerts.on_fact(subject, fact, T0).notifications
    page = page_of(notification)
    assert page.title.startswith("[INFO] FIRING: Intervention pstr-20261205-0 confirmed: tier 2")
    assert "Mode: live" in page.text and f"Transaction: {TX}" in page.text


def test_page__html__facts_one_per_line_runbook_linked() -> None:
    page = page_of(fire(engine(), "intervention_executed"))
    assert "<b>Amount:</b> 57,142.86 PUMP ($25,000.00)<br>" in page.html
    assert '<a href="docs/runbook.md#intervention_executed">' in page.html
    assert "Intervention pstr-20261205-0" not in page.html
