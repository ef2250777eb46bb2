"""Prometheus metrics of the alerts service, built against the service's injected registry."""

from __future__ import annotations

from prometheus_client import CollectorRegistry

from ballast.common.metrics import MetricFamily


class AlertsMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        m = MetricFamily(registry, "ballast_alerts")
        self.facts = m.counter(
            "facts", "Facts evaluated against the rules, by subject pattern", ["pattern"],
        )
        self.notifications = m.counter(
            "notifications", "Notifications decided, by severity, state and reason",
            ["severity", "state", "reason"],
        )
        self.deliveries = m.counter(
            "deliveries", "Delivery attempts per channel, by result", ["channel", "result"],
        )
        self.delivered_rows = m.counter(
            "delivered_notifications", "Notifications delivered, per channel", ["channel"],
        )
        self.expired_rows = m.counter("expired_notifications", "Outbox rows expired undelivered")
        self.delivery_seconds = m.histogram(
            "delivery_seconds", "Time of one channel send (single or digest)", ["channel"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
        )
        self.active = m.gauge("active", "Firing alerts, by severity", ["severity"])
        self.rules = m.gauge("rules", "Rules loaded")
        self.stream_clients = m.gauge("stream_clients", "Connected live-stream clients")
