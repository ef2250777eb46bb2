"""Oracle metrics, built against the service's injected registry (never the global one).

Issue #4 "Metrics": per source the last value, its age, errors and request latency; per symbol
the consensus value, status, number of sources used and the max deviation. Prometheus values are
floats by nature; the bus and Postgres keep the exact decimals.
"""

from __future__ import annotations

from datetime import datetime

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ballast.common.messages import ConsensusPrice, ConsensusStatus

STATUS_CODE = {ConsensusStatus.OK: 0, ConsensusStatus.DEGRADED: 1, ConsensusStatus.HALTED: 2}


class OracleMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        src = ["source", "symbol"]
        self.source_price = Gauge(
            "ballast_oracle_source_price", "Last price read from a source", src, registry=registry)
        self.source_age = Gauge(
            "ballast_oracle_source_age_seconds",
            "Age of the last reading (now - source publish time)", src, registry=registry)
        self.source_up = Gauge(
            "ballast_oracle_source_up", "1 when the last attempt succeeded, 0 when marked down",
            src, registry=registry)
        self.source_errors = Counter(
            "ballast_oracle_source_errors", "Failed reads by kind (http, timeout, malformed...)",
            [*src, "kind"], registry=registry)
        self.request_seconds = Histogram(
            "ballast_oracle_source_request_seconds", "Latency of one source read", ["source"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10), registry=registry)
        self.observations = Counter(
            "ballast_oracle_observations", "Readings taken in", src, registry=registry)
        self.consensus_price = Gauge(
            "ballast_oracle_consensus_price", "Consensus price (NaN when HALTED)", ["symbol"],
            registry=registry)
        self.consensus_status = Gauge(
            "ballast_oracle_consensus_status", "0 OK, 1 DEGRADED, 2 HALTED", ["symbol"],
            registry=registry)
        self.sources_used = Gauge(
            "ballast_oracle_consensus_sources_used", "Fresh agreeing sources in the consensus",
            ["symbol"], registry=registry)
        self.max_deviation = Gauge(
            "ballast_oracle_consensus_max_deviation", "Largest source deviation from the median",
            ["symbol"], registry=registry)
        self.checks_failed = Counter(
            "ballast_oracle_consensus_checks_failed",
            "Consensus rounds held back (DEGRADED) by a check: quorum_lost, unconfirmed_jump, "
            "two_source_disagreement, correlated_move; emergency_source counts rounds that had "
            "to consult the emergency source", ["symbol", "check"], registry=registry)
        self.confirmations = Counter(
            "ballast_oracle_operator_confirmations",
            "control.approve commands confirming a moved price, by outcome",
            ["symbol", "outcome"], registry=registry)
        self.consensus_published = Counter(
            "ballast_oracle_consensus_published", "Consensus messages published", ["symbol"],
            registry=registry)
        self.trades = Counter(
            "ballast_oracle_trades", "Confirmed DEX trades published", ["venue", "pair"],
            registry=registry)
        self.reorgs = Counter(
            "ballast_oracle_reorgs", "Reorgs seen below the confirmation depth", ["venue", "pair"],
            registry=registry)
        self.db_rows = Counter(
            "ballast_oracle_db_rows", "Rows written to Postgres", ["table"], registry=registry)
        self.db_errors = Counter(
            "ballast_oracle_db_errors", "Failed batch writes (rows kept for retry)", ["table"],
            registry=registry)

    def record_consensus(self, price: ConsensusPrice, now: datetime) -> None:
        symbol = price.symbol
        self.consensus_price.labels(symbol).set(
            float(price.price) if price.price is not None else float("nan"))
        self.consensus_status.labels(symbol).set(STATUS_CODE[price.status])
        self.sources_used.labels(symbol).set(price.sources_used)
        self.max_deviation.labels(symbol).set(
            float(price.max_deviation) if price.max_deviation is not None else float("nan"))
        for reading in price.sources:
            if reading.published_at is not None:
                age = (now - reading.published_at).total_seconds()
                self.source_age.labels(reading.source, symbol).set(age)
