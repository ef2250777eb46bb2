"""Prometheus metrics of the intervention service, built against an injected registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class InterventionMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.decisions = Counter(
            "ballast_intervention_decisions",
            "Evaluations of treasury.state, by action (act, blocked) and first blocking rule",
            ["action", "rule"],
            registry=registry,
        )
        self.decision_seconds = Histogram(
            "ballast_intervention_decision_seconds",
            "From a treasury.state handled to intervention.decided published",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
            registry=registry,
        )
        self.automation = Counter(
            "ballast_intervention_automation_requests",
            "Automation requests (accumulate, rebalance, compound), by kind and whether accepted",
            ["kind", "accepted"],
            registry=registry,
        )
        self.control = Counter(
            "ballast_intervention_control_commands",
            "Operator commands, by verb and whether accepted",
            ["command", "accepted"],
            registry=registry,
        )
        self.paused = Gauge(
            "ballast_intervention_paused",
            "1 while an operator pause is in force",
            registry=registry,
        )
        self.outcomes = Counter(
            "ballast_intervention_outcomes",
            "Terminal outcomes recorded by the executor, by kind and status",
            ["kind", "status"],
            registry=registry,
        )
        self.broadcasts = Counter(
            "ballast_intervention_broadcasts",
            "Raw transactions sent, by result (sent, foreign_nonce, rejected)",
            ["result"],
            registry=registry,
        )
        self.replacements = Counter(
            "ballast_intervention_replacements",
            "Stuck transactions replaced at the same nonce with bumped fees",
            registry=registry,
        )
        self.unfundable = Gauge(
            "ballast_intervention_withdrawals_unfundable_raw",
            "Queued StakeBasket withdrawals that recalling the whole stake cannot pay, in base "
            "units of the asset (0: the queue can be funded)", ["asset"], registry=registry,
        )
        self.lease_held = Gauge(
            "ballast_intervention_executor_lease",
            "1 while this process is the active executor",
            registry=registry,
        )
