"""The validator monitor's application core. One poll: fetch (confirmed head, logs since the
cursor, a snapshot at that block), decide (domain.evaluate), act (publish new facts and record
the poll in one Postgres transaction).

Why publish inside the transaction: a fact is recorded only if its publish was acked, and the
cursor only moves with the facts. If the process dies after a publish but before the commit, the
next poll decides again from the same state and the same block, producing the same fact ids;
JetStream drops the republished ids inside its duplicate window and Postgres remembers the rest.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from ballast.common.subjects import VALIDATORS_RECOMMENDATIONS, VALIDATORS_STATUS
from ballast.validator_monitor.adapters.logs import RawEvent
from ballast.validator_monitor.domain.changes import kinds
from ballast.validator_monitor.domain.evaluate import (
    EvaluateConfig,
    Evaluation,
    RecommendationFact,
    StatusFact,
    evaluate,
)
from ballast.validator_monitor.domain.model import (
    ChainEvent,
    MonitorState,
    Snapshot,
    Thresholds,
    ValidatorMemory,
)
from ballast.validator_monitor.metrics import ValidatorMetrics

log = logging.getLogger("ballast.validator_monitor")

_SUBJECT_ARG = {
    "statusChanged": ("operateAddr",),
    "validatorMisdemeanor": ("validator",),
    "validatorFelony": ("validator",),
    "validatorSlashed": ("validator",),
    "delegatedCoin": ("candidate",),
    "undelegatedCoin": ("candidate",),
    "transferredCoin": ("sourceCandidate", "targetCandidate"),
}


class Chain(Protocol):
    """Core DAO's validator contracts, read at a block."""

    async def chain_id(self) -> int: ...
    async def head(self) -> int: ...
    async def snapshot(self, block: int) -> Snapshot: ...


class Logs(Protocol):
    async def fetch(self, first: int, last: int) -> list[RawEvent]: ...


class Publisher(Protocol):
    async def status(self, fact: StatusFact, thresholds: Thresholds, at: datetime) -> None: ...
    async def recommendation(self, fact: RecommendationFact, at: datetime) -> None: ...


class PollRecord(Protocol):
    """One poll's writes, in one transaction."""

    async def events(self, events: Sequence[RawEvent],
                     operators: Sequence[str | None]) -> None: ...
    async def rounds(self, snap: Snapshot, memories: dict[str, ValidatorMemory],
                     apy: dict[str, Decimal | None]) -> None: ...
    async def gone(self, operators: Sequence[str], block: int) -> None: ...
    async def claim_fact(self, fact_id: str, subject: str, operator: str, round_: int,
                         kinds: Sequence[str]) -> bool: ...
    async def recommendation(self, operator: str, action: str, reasons: Sequence[str],
                             round_: int, block: int) -> None: ...
    async def cursor(self, chain_id: int, block: int, round_: int, epoch: int) -> None: ...


class Store(Protocol):
    async def load_state(self, chain_id: int) -> MonitorState: ...
    def transaction(self) -> AbstractAsyncContextManager[PollRecord]: ...


@dataclass(frozen=True)
class PollResult:
    block: int | None
    statuses: int = 0
    recommendations: int = 0
    duplicates: int = 0


def resolve(address: str, snap: Snapshot, state: MonitorState) -> str:
    """The operator address for an operator or consensus address (the two kinds of Core)."""
    if address in snap.validators or address in state.validators:
        return address
    found = snap.operator_of(address)
    if found is not None:
        return found
    for op, mem in state.validators.items():
        if mem.reading.consensus and mem.reading.consensus.lower() == address.lower():
            return op
    return address


def chain_events(raw: list[RawEvent], snap: Snapshot, state: MonitorState) -> list[ChainEvent]:
    out: list[ChainEvent] = []
    for e in raw:
        keys = _SUBJECT_ARG.get(e.name, ())
        if not keys:
            out.append(ChainEvent(e.name, e.block, e.log_index, e.tx_hash, None, e.args))
        for key in keys:
            op = resolve(str(e.args[key]), snap, state)
            out.append(ChainEvent(e.name, e.block, e.log_index, e.tx_hash, op, e.args))
    return out


class ValidatorMonitor:
    def __init__(
        self,
        chain: Chain,
        logs: Logs,
        store: Store,
        publisher: Publisher,
        metrics: ValidatorMetrics,
        *,
        confirmations: int,
        config: EvaluateConfig,
    ) -> None:
        self.chain, self.logs, self.store = chain, logs, store
        self.publisher, self.metrics = publisher, metrics
        self.confirmations = confirmations
        self.config = config
        self.chain_id = 0  # read at start
        self.state = MonitorState()

    async def start(self) -> None:
        """Which chain, and what the record says was seen of it."""
        self.chain_id = await self.chain.chain_id()
        self.state = await self.store.load_state(self.chain_id)
        log.info("validator monitor started",
                 extra={"chain_id": self.chain_id, "block": self.state.block})

    async def poll(self) -> PollResult:
        started = time.perf_counter()
        try:
            result = await self._poll()
        except Exception:
            self.metrics.polls.labels("error").inc()
            raise
        self.metrics.polls.labels("ok" if result.block is not None else "idle").inc()
        self.metrics.poll_seconds.observe(time.perf_counter() - started)
        return result

    async def _poll(self) -> PollResult:
        safe = await self.chain.head() - self.confirmations
        prev = self.state
        if safe < 0 or (prev.block is not None and safe <= prev.block):
            return PollResult(None)
        raw = await self.logs.fetch(prev.block + 1, safe) if prev.block is not None else []
        snap = await self.chain.snapshot(safe)
        events = chain_events(raw, snap, prev)
        decided = evaluate(prev, snap, events, self.config)
        result = await self._record(snap, raw, events, decided)
        self.state = decided.state
        self.metrics.observe(snap, decided.apy, decided.our_apy)
        for e in raw:
            self.metrics.events.labels(e.name).inc()
        return result

    async def _record(
        self, snap: Snapshot, raw: list[RawEvent], events: list[ChainEvent], decided: Evaluation
    ) -> PollResult:
        statuses = recs = dups = 0
        first_op: dict[tuple[int, int], str | None] = {}
        for e in events:
            first_op.setdefault((e.block, e.log_index), e.operator)
        async with self.store.transaction() as rec:
            await rec.events(raw, [first_op.get((e.block, e.log_index)) for e in raw])
            await rec.rounds(snap, decided.state.validators, decided.apy)
            gone = [s.reading.operator for s in decided.statuses
                    if s.reading.operator not in snap.validators]
            if gone:
                await rec.gone(gone, snap.block)
            for s in decided.statuses:
                kind_list = kinds(s.changes) or ["epoch"]
                if await rec.claim_fact(s.fact_id, VALIDATORS_STATUS, s.reading.operator,
                                        s.round, kind_list):
                    await self.publisher.status(s, snap.thresholds, snap.timestamp)
                    self.metrics.facts.labels(VALIDATORS_STATUS).inc()
                    statuses += 1
                else:
                    dups += 1
            for r in decided.recommendations:
                action, reasons = r.recommendation.signature
                await rec.recommendation(r.operator, action, reasons, r.round, snap.block)
                if await rec.claim_fact(r.fact_id, VALIDATORS_RECOMMENDATIONS, r.operator,
                                        r.round, [action, *reasons]):
                    await self.publisher.recommendation(r, snap.timestamp)
                    self.metrics.facts.labels(VALIDATORS_RECOMMENDATIONS).inc()
                    recs += 1
                else:
                    dups += 1
            epoch = decided.state.epoch if decided.state.epoch is not None else 0
            await rec.cursor(self.chain_id, snap.block, snap.round, epoch)
        if dups:
            self.metrics.duplicates.inc(dups)
        return PollResult(snap.block, statuses, recs, dups)
