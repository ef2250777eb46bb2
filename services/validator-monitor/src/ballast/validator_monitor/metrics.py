"""Prometheus metrics of the validator monitor, on the service's injected registry.

Per validator (label `operator`, the operator address): status bits and one 0/1 gauge per flag,
missed blocks, commission, our delegation, total delegated, round income, score, jailed-until
round and the estimated APY. Wei amounts are floats here: metrics are for eyes and alert rules,
the bus and Postgres carry the exact integers.
"""

from __future__ import annotations

import contextlib
from decimal import Decimal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from ballast.validator_monitor.domain.model import Snapshot, ValidatorReading
from ballast.validator_monitor.domain.status import FLAG_NAMES


class ValidatorMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        def gauge(name: str, doc: str, labels: tuple[str, ...] = ("operator",)) -> Gauge:
            return Gauge(f"ballast_validator_{name}", doc, list(labels), registry=registry)

        self.status_bits = gauge("status_bits", "CandidateHub status word")
        self.status_flag = gauge("status_flag", "1 when the status bit is set",
                                 ("operator", "flag"))
        self.missed_blocks = gauge("missed_blocks", "SlashIndicator missed-block count")
        self.commission = gauge("commission_thousandths", "Candidate commission, thousandths")
        self.our_delegation = gauge("our_delegation_wei", "StakingManager's CORE at the validator")
        self.total_delegated = gauge("total_delegated_wei", "All CORE delegated to the validator")
        self.income = gauge("income_wei", "Validator income accrued this round")
        self.score = gauge("score", "StakeHub hybrid score (total)")
        self.jailed_until = gauge("jailed_until_round", "Round the jail ends (0: not jailed)")
        self.apy = gauge("estimated_apy", "Estimated APY of a CORE delegation (last full round)")
        self.round = Gauge("ballast_validator_monitor_round", "Core round (CandidateHub roundTag)",
                           registry=registry)
        self.block = Gauge("ballast_validator_monitor_block", "Last confirmed block processed",
                           registry=registry)
        self.thresholds = Gauge("ballast_validator_monitor_threshold",
                                "SlashIndicator thresholds", ["kind"], registry=registry)
        self.our_apy = Gauge("ballast_validator_monitor_our_apy",
                             "Estimated APY of our whole delegation (stake-weighted)",
                             registry=registry)
        self.polls = Counter("ballast_validator_monitor_polls", "Polls by outcome", ["outcome"],
                             registry=registry)
        self.poll_seconds = Histogram("ballast_validator_monitor_poll_seconds",
                                      "Duration of one poll", registry=registry)
        self.events = Counter("ballast_validator_monitor_events", "Watched logs by event",
                              ["event"], registry=registry)
        self.facts = Counter("ballast_validator_monitor_facts", "Facts published, by subject",
                             ["subject"], registry=registry)
        self.duplicates = Counter("ballast_validator_monitor_duplicate_facts",
                                  "Facts not published again (id already recorded)",
                                  registry=registry)
        self._known: set[str] = set()

    def observe(self, snap: Snapshot, apy: dict[str, Decimal | None],
                our_apy: Decimal | None) -> None:
        self.round.set(snap.round)
        self.block.set(snap.block)
        self.thresholds.labels("misdemeanor").set(snap.thresholds.misdemeanor)
        self.thresholds.labels("felony").set(snap.thresholds.felony)
        if our_apy is not None:
            self.our_apy.set(float(our_apy))
        for op, v in snap.validators.items():
            self._validator(v, apy.get(op))
        for op in self._known - set(snap.validators):
            self._forget(op)
        self._known = set(snap.validators)

    def _validator(self, v: ValidatorReading, apy: Decimal | None) -> None:
        op = v.operator
        self.status_bits.labels(op).set(v.status_bits)
        for bit, name in FLAG_NAMES.items():
            self.status_flag.labels(op, name).set(1 if v.status_bits & bit else 0)
        self.missed_blocks.labels(op).set(v.missed_blocks)
        self.commission.labels(op).set(v.commission_thousandths)
        self.our_delegation.labels(op).set(v.our_delegation_raw)
        self.total_delegated.labels(op).set(v.total_delegated_raw or 0)
        self.income.labels(op).set(v.income_raw)
        self.score.labels(op).set(v.score_total)
        self.jailed_until.labels(op).set(v.jailed_until_round or 0)
        if apy is not None:
            self.apy.labels(op).set(float(apy))

    def _forget(self, op: str) -> None:
        for g in (self.status_bits, self.missed_blocks, self.commission, self.our_delegation,
                  self.total_delegated, self.income, self.score, self.jailed_until, self.apy):
            with contextlib.suppress(KeyError):
                g.remove(op)
        for name in FLAG_NAMES.values():
            with contextlib.suppress(KeyError):
                self.status_flag.remove(op, name)
