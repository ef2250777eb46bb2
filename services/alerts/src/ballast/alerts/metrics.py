"""Prometheus metrics of the alerts service, built against the service's injected registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class AlertsMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.facts = Counter(
            "ballast_alerts_facts", "Facts evaluated against the rules, by subject pattern",
            ["pattern"], registry=registry,
        )  # fmt: skip
        self.notifications = Counter(
            "ballast_alerts_notifications", "Notifications decided, by severity, state and reason",
            ["severity", "state", "reason"], registry=registry,
        )  # fmt: skip
        self.deliveries = Counter(
            "ballast_alerts_deliveries", "Delivery attempts per channel, by result",
            ["channel", "result"], registry=registry,
        )  # fmt: skip
        self.delivered_rows = Counter(
            "ballast_alerts_delivered_notifications", "Notifications delivered, per channel",
            ["channel"], registry=registry,
        )  # fmt: skip
        self.expired_rows = Counter(
            "ballast_alerts_expired_notifications", "Outbox rows expired undelivered",
            registry=registry,
        )  # fmt: skip
        self.delivery_seconds = Histogram(
            "ballast_alerts_delivery_seconds", "Time of one channel send (single or digest)",
            ["channel"], registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )  # fmt: skip
        self.active = Gauge(
            "ballast_alerts_active", "Firing alerts, by severity", ["severity"], registry=registry
        )
        self.rules = Gauge("ballast_alerts_rules", "Rules loaded", registry=registry)
        self.stream_clients = Gauge(
            "ballast_alerts_stream_clients", "Connected live-stream clients", registry=registry
        )
