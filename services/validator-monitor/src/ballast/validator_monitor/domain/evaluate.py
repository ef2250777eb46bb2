"""One poll's decision: previous state + a confirmed snapshot + the logs in between -> the facts
to publish and the next state. Fetch first, decide here, act in the adapters.

Facts (issue #9): a `validators.status` per validator whenever something about it changed, and
for every validator once per epoch (Core: 200 blocks); a recommendation whenever a validator's
(action, reasons) differs from the last one published (none published counts as HOLD). Each
fact has an id that is the same when the same poll is decided again from the same state (it
includes the block of the previous snapshot), and different for a later, real change: JetStream
drops a republished id (Nats-Msg-Id) and Postgres keeps the ids already published.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from ballast.validator_monitor.domain.apy import (
    ROUND_SECONDS,
    estimate_apy,
    extrapolated_round_income,
    weighted_apy,
)
from ballast.validator_monitor.domain.changes import Change, detect_changes
from ballast.validator_monitor.domain.model import (
    ChainEvent,
    MonitorState,
    Snapshot,
    ValidatorMemory,
    ValidatorReading,
)
from ballast.validator_monitor.domain.rules import HOLD, Recommendation, recommend


@dataclass(frozen=True)
class EvaluateConfig:
    near_fraction: float = 0.8
    epoch_blocks: int = 200


@dataclass(frozen=True)
class StatusFact:
    fact_id: str
    reading: ValidatorReading
    round: int
    changes: tuple[Change, ...]
    estimated_apy: Decimal | None
    commission_changed: bool


@dataclass(frozen=True)
class RecommendationFact:
    fact_id: str
    operator: str
    round: int
    recommendation: Recommendation


@dataclass(frozen=True)
class Evaluation:
    state: MonitorState
    statuses: list[StatusFact] = field(default_factory=list[StatusFact])
    recommendations: list[RecommendationFact] = field(default_factory=list[RecommendationFact])
    apy: dict[str, Decimal | None] = field(default_factory=dict[str, "Decimal | None"])
    our_apy: Decimal | None = None


def _digest(*parts: object) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:16]


def _memory(prev: ValidatorMemory | None, cur: ValidatorReading, round_: int) -> ValidatorMemory:
    if prev is None:
        return ValidatorMemory(cur, round_, cur.missed_blocks)
    if prev.round == round_:
        return replace(prev, reading=cur)
    last_income = prev.reading.income_raw if prev.round == round_ - 1 else None
    return ValidatorMemory(cur, round_, cur.missed_blocks, last_income)


def evaluate(
    state: MonitorState,
    snap: Snapshot,
    events: Sequence[ChainEvent],
    config: EvaluateConfig,
) -> Evaluation:
    epoch = snap.block // config.epoch_blocks
    new_epoch = state.epoch is None or epoch > state.epoch
    bootstrap = state.block is None
    memories: dict[str, ValidatorMemory] = {}
    recs: dict[str, tuple[str, tuple[str, ...]]] = dict(state.recommendations)
    statuses: list[StatusFact] = []
    recommendations: list[RecommendationFact] = []
    apys: dict[str, Decimal | None] = {}

    operators = list(snap.validators) + [op for op in state.validators if op not in snap.validators]
    for op in operators:
        prev_mem = state.validators.get(op)
        cur = snap.validators.get(op)
        mine = [e for e in events if e.operator == op]
        changes: list[Change] = []
        if not bootstrap:
            changes = detect_changes(
                prev_mem.reading if prev_mem else None, cur,
                prev_round=state.round, cur_round=snap.round, thresholds=snap.thresholds,
                near_fraction=config.near_fraction, events=mine,
            )
        if cur is None:
            assert prev_mem is not None
            gone = replace(prev_mem.reading, status_bits=0, in_validator_set=False)
            statuses.append(StatusFact(_status_id(op, snap.round, state.block, changes),
                                       gone, snap.round, tuple(changes), None, False))
            rec = recommend(None, thresholds=snap.thresholds, round_start_missed=0,
                            near_fraction=config.near_fraction)
            if recs.get(op, HOLD.signature) != rec.signature:
                recommendations.append(RecommendationFact(
                    _rec_id(op, snap.round, rec, state.block), op, snap.round, rec))
                recs[op] = rec.signature
            continue

        mem = _memory(prev_mem, cur, snap.round)
        memories[op] = mem
        income = mem.previous_round_income
        if income is None:
            into_round = int(snap.timestamp.timestamp()) - snap.round * ROUND_SECONDS
            income = extrapolated_round_income(cur.income_raw, into_round)
        apy = estimate_apy(
            income,
            cur.effective_commission_thousandths
            if cur.effective_commission_thousandths is not None else cur.commission_thousandths,
            core_stake_raw=cur.total_delegated_raw, score_total=cur.score_total,
            score_core=cur.score_core,
        )
        apys[op] = apy
        if changes or new_epoch:
            fact_id = (_status_id(op, snap.round, state.block, changes) if changes
                       else f"vm.status.{op}.epoch.{epoch}")
            statuses.append(StatusFact(fact_id, cur, snap.round, tuple(changes), apy,
                                       cur.commission_changed_in(snap.round)))
        rec = recommend(cur, thresholds=snap.thresholds, round_start_missed=mem.round_start_missed,
                        near_fraction=config.near_fraction)
        if recs.get(op, HOLD.signature) != rec.signature:
            recommendations.append(RecommendationFact(
                _rec_id(op, snap.round, rec, state.block), op, snap.round, rec))
            recs[op] = rec.signature

    ours = [(m.reading.our_delegation_raw, a) for op, m in memories.items()
            if (a := apys.get(op)) is not None and m.reading.our_delegation_raw > 0]
    new_state = MonitorState(
        block=snap.block, round=snap.round, epoch=epoch if new_epoch else state.epoch,
        validators=memories, recommendations=recs,
    )
    return Evaluation(new_state, statuses, recommendations, apys, weighted_apy(ours))


def _status_id(op: str, round_: int, prev_block: int | None, changes: Sequence[Change]) -> str:
    return f"vm.status.{op}.{round_}.{_digest(prev_block, *sorted(c.key for c in changes))}"


def _rec_id(op: str, round_: int, rec: Recommendation, prev_block: int | None) -> str:
    action, reasons = rec.signature
    return f"vm.rec.{op}.{round_}.{action}.{_digest(prev_block, *reasons)}"
