"""Prometheus metrics of the contract monitor, on the service's injected registry. USD figures
are floats here (for eyes and alert rules); the bus and Postgres carry the exact values."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ballast.common.messages import EtfMetrics


class MonitorMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        p = "ballast_contract_monitor"
        self.block = Gauge(f"{p}_block", "Blocks: head, confirmed, stored, published",
                           ["kind"], registry=registry)
        self.events = Counter(f"{p}_events", "Logs indexed, by event", ["event"],
                              registry=registry)
        self.reorgs = Counter(f"{p}_reorgs", "Reorganisations detected", registry=registry)
        self.rolled_back = Counter(f"{p}_rolled_back_events", "Logs undone by reorgs",
                                   registry=registry)
        self.polls = Counter(f"{p}_polls", "Polls by outcome", ["outcome"], registry=registry)
        self.poll_seconds = Histogram(f"{p}_poll_seconds", "Duration of one poll",
                                      registry=registry)
        self.read_failures = Counter(f"{p}_read_failures", "Suite reads that reverted",
                                     registry=registry)
        self.governance = Counter(f"{p}_governance_published", "governance.proposals by event",
                                  ["event"], registry=registry)
        e = "ballast_etf"
        self.nav = Gauge(f"{e}_nav_per_share_usd", "NAV per BASKET", registry=registry)
        self.aum = Gauge(f"{e}_aum_usd", "AUM in USD", registry=registry)
        self.aum_part = Gauge(f"{e}_aum_part_usd", "AUM parts in USD", ["part"],
                              registry=registry)
        self.supply = Gauge(f"{e}_basket_supply", "BASKET supply (base units)",
                            registry=registry)
        self.feed_price = Gauge(f"{e}_feed_price_usd", "PriceFeed price", ["symbol"],
                                registry=registry)
        self.feed_age = Gauge(f"{e}_feed_age_seconds", "Age of the PriceFeed price",
                              ["symbol"], registry=registry)
        self.feed_ok = Gauge(f"{e}_feed_ok", "1 when the PriceFeed answers", ["symbol"],
                             registry=registry)
        self.queue_length = Gauge(f"{e}_queue_length", "Unbonding queue length",
                                  registry=registry)
        self.oldest_wait = Gauge(f"{e}_queue_oldest_wait_seconds", "Oldest request's wait",
                                 registry=registry)
        self.capacity = Gauge(f"{e}_instant_withdrawal_capacity_usd",
                              "Free liquidity for instant withdrawals", registry=registry)
        self.allocation = Gauge(f"{e}_allocation_bps", "Validator weight, current and target",
                                ["validator", "kind"], registry=registry)
        self.max_deviation = Gauge(f"{e}_max_allocation_deviation_bps",
                                   "Largest |current - target| weight", registry=registry)
        self.asset_drift = Gauge(f"{e}_asset_drift_bps",
                                 "|CORE share of CORE+BTC - its target| (asset_rebalance past "
                                 "1000)", registry=registry)
        self.invariant = Gauge(f"{e}_invariant_ok", "1 when the invariant holds", ["name"],
                               registry=registry)
        self.realised_apy = Gauge(
            f"{e}_realised_apy", "NAV growth annualised over the last 30 days (or since the "
            "first snapshot): compare with ballast_validator_monitor_our_apy", registry=registry)
        self.depositors = Gauge(f"{e}_unique_depositors",
                                "Distinct addresses that ever deposited", registry=registry)

    def observe(self, m: EtfMetrics) -> None:
        self.nav.set(float(m.nav_per_share))
        self.aum.set(float(m.aum_usd))
        for part, value in (("core_staked", m.core_staked_usd), ("lstbtc", m.lstbtc_usd),
                            ("rewards", m.rewards_usd), ("liquidity", m.liquidity_usd)):
            self.aum_part.labels(part).set(float(value))
        self.supply.set(m.basket_supply_raw)
        for f in m.feeds:
            self.feed_ok.labels(f.symbol).set(1 if f.price is not None else 0)
            if f.price is not None:
                self.feed_price.labels(f.symbol).set(float(f.price))
            if f.age_seconds is not None:
                self.feed_age.labels(f.symbol).set(f.age_seconds)
        self.queue_length.set(m.queue_length)
        self.oldest_wait.set(m.oldest_wait_seconds or 0)
        self.capacity.set(float(m.instant_withdrawal_capacity_usd))
        for a in m.allocation:
            self.allocation.labels(a.validator, "current").set(a.current_weight_bps)
            self.allocation.labels(a.validator, "target").set(a.target_weight_bps)
        self.max_deviation.set(m.max_allocation_deviation_bps)
        self.asset_drift.set(m.asset_drift_bps)
        for check in m.invariants:
            self.invariant.labels(check.name).set(1 if check.ok else 0)
