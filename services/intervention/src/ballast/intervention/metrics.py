"""Prometheus metrics of the intervention service, built against an injected registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from ballast.common.metrics import MetricFamily


class InterventionMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        m = MetricFamily(registry, "ballast_intervention")
        self.decisions = m.counter(
            "decisions",
            "Evaluations of treasury.state, by action (act, blocked) and first blocking rule",
            ["action", "rule"],
        )
        self.decision_seconds = m.histogram(
            "decision_seconds", "From a treasury.state handled to intervention.decided published",
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
        )
        self.automation = m.counter(
            "automation_requests",
            "Automation requests (accumulate, rebalance, compound), by kind and whether accepted",
            ["kind", "accepted"],
        )
        self.control = m.counter(
            "control_commands", "Operator commands, by verb and whether accepted",
            ["command", "accepted"],
        )
        self.paused = m.gauge("paused", "1 while an operator pause is in force")
        self.outcomes = m.counter(
            "outcomes", "Terminal outcomes recorded by the executor, by kind and status",
            ["kind", "status"],
        )
        self.broadcasts = m.counter(
            "broadcasts", "Raw transactions sent, by result (sent, foreign_nonce, rejected)",
            ["result"],
        )
        self.replacements = m.counter(
            "replacements", "Stuck transactions replaced at the same nonce with bumped fees",
        )
        self.unfundable = m.gauge(
            "withdrawals_unfundable_raw",
            "Queued StakeBasket withdrawals that recalling the whole stake cannot pay, in base "
            "units of the asset (0: the queue can be funded)",
            ["asset"],
        )
        self.lease_held = m.gauge("executor_lease", "1 while this process is the active executor")
