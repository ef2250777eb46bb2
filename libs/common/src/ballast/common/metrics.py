"""Declaring a service's Prometheus metrics: one name prefix, one injected registry (never the
global one), so each declaration says only what is its own."""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class MetricFamily:
    """`MetricFamily(registry, "ballast_treasury").gauge("tier", "...")` declares
    `ballast_treasury_tier` in `registry`."""

    def __init__(self, registry: CollectorRegistry, prefix: str) -> None:
        self.registry = registry
        self.prefix = prefix

    def counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        return Counter(f"{self.prefix}_{name}", documentation, labels, registry=self.registry)

    def gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        return Gauge(f"{self.prefix}_{name}", documentation, labels, registry=self.registry)

    def histogram(
        self, name: str, documentation: str, labels: Sequence[str] = (), *,
        buckets: Sequence[float],
    ) -> Histogram:
        return Histogram(f"{self.prefix}_{name}", documentation, labels, registry=self.registry,
                         buckets=buckets)
