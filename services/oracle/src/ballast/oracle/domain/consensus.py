"""One consensus round for one symbol: filter readings, weighted median, deviation, quorum.

Follows the PSTR seed, "Oracle Aggregation System": multi-source validation, median with
deviation monitoring (> max_price_deviation = 5% is flagged), confidence-weighted selection
(confidence_weight = 0.3). REFERENCE.md adds: staleness and bounds per feed (LUNA 2022), pause
on wide confidence (Pyth), never act on a price in the block it appeared (bZx 2020).

Order of the rules:
1. A source that is down, or whose reading is stale, out of bounds, too uncertain or too young
   (same block) does not enter the median (flags say why).
2. The confidence-weighted median of the rest (ballast.oracle.domain.median).
3. Each source's deviation from the median; one deviating more than max_price_deviation is
   DEVIANT and does not count towards the quorum. (It did enter the median: the median is what
   makes it harmless; taking it out and re-running would let a minority pick which honest
   sources remain.)
4. The price: the median blended with the precision-weighted mean of the agreeing sources
   (`median.blend`: a minority moves it at most confidence_weight × max_price_deviation).
5. Quorum: no fresh agreeing source -> HALTED (no price); fewer than min_sources -> DEGRADED;
   then DEGRADED (each with its reason first in `reasons`) for an unconfirmed jump
   (jump_guard), two sources further apart than max_price_deviation, or a correlated move away
   from the slow reference (anchor). Else OK.
6. Emergency source (seed: "Fallback Mechanisms"): configured, it stays out of every round
   until the quorum fails (HALTED or quorum lost); then the round is run again with it, and
   the message names it in `emergency_source`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from ballast.common.messages import (
    ConsensusPrice,
    ConsensusStatus,
    PriceObservation,
    SourceFlag,
    SourceReading,
)
from ballast.oracle.domain.anchor import CHECK as CORRELATED
from ballast.oracle.domain.anchor import CLEAR, AnchorState, averaged, check, reference
from ballast.oracle.domain.jump_guard import JumpState, guard
from ballast.oracle.domain.median import blend, confidence_weights, weighted_median
from ballast.oracle.domain.policy import ConsensusConfig, SourcePolicy

QUORUM = "quorum_lost"
JUMP = "unconfirmed_jump"
TWO_SOURCES = "two_source_disagreement"
EMERGENCY = "emergency_source"
CHECKS = (QUORUM, JUMP, TWO_SOURCES, CORRELATED, EMERGENCY)
_NO_ANCHOR = CLEAR


@dataclass(frozen=True)
class SourceInput:
    """The latest state of one configured source for the symbol."""

    source: str
    policy: SourcePolicy
    reading: PriceObservation | None = None
    down: str | None = None  # why the last attempt failed; None when the source is up
    head_block: int | None = None  # the source chain's newest block, for min_confirmations


@dataclass(frozen=True)
class Round:
    """A consensus round's result: the message to publish, the guards' next states and the
    checks that held it back (names as in the metrics: quorum_lost, unconfirmed_jump,
    two_source_disagreement, correlated_move; emergency_source when that source was used)."""

    price: ConsensusPrice
    jump: JumpState
    anchor: AnchorState = _NO_ANCHOR
    checks: tuple[str, ...] = ()


def reading_flags(
    item: SourceInput, now: datetime, head_block: int | None
) -> list[SourceFlag]:
    """Why a reading may not enter the median (empty list: it may)."""
    reading, policy = item.reading, item.policy
    head_block = item.head_block if item.head_block is not None else head_block
    if item.down is not None or reading is None:
        return [SourceFlag.DOWN]
    flags: list[SourceFlag] = []
    if now - reading.published_at > policy.max_age:
        flags.append(SourceFlag.STALE)
    if (policy.min_price is not None and reading.price < policy.min_price) or (
        policy.max_price is not None and reading.price > policy.max_price
    ):
        flags.append(SourceFlag.OUT_OF_BOUNDS)
    if (
        policy.max_conf_ratio is not None
        and reading.confidence is not None
        and reading.confidence / reading.price > policy.max_conf_ratio
    ):
        flags.append(SourceFlag.UNCERTAIN)
    if (
        policy.min_confirmations > 0
        and reading.block_number is not None
        and (head_block is None or head_block - reading.block_number < policy.min_confirmations)
    ):
        flags.append(SourceFlag.SAME_BLOCK)
    return flags


def compute(
    symbol: str,
    inputs: Sequence[SourceInput],
    config: ConsensusConfig,
    now: datetime,
    jump: JumpState,
    *,
    anchor: AnchorState = _NO_ANCHOR,
    head_block: int | None = None,
    sequence: int = 0,
) -> Round:
    """A full round (see the module docstring). Pure: same inputs, same output."""
    flags = {item.source: reading_flags(item, now, head_block) for item in inputs}
    name = config.emergency_source
    if name is None or name not in flags:
        return _round(symbol, inputs, flags, config, now, jump, anchor, sequence)
    regular = [i for i in inputs if i.source != name]
    result = _round(symbol, regular, flags, config, now, jump, anchor, sequence)
    if result.price.status is not ConsensusStatus.HALTED and QUORUM not in result.checks:
        return result
    why = result.price.reasons[0] if result.price.reasons else "quorum failed"
    if flags[name]:
        item = next(i for i in inputs if i.source == name)
        unusable = f"emergency source {name} unusable: {', '.join(f.value for f in flags[name])}"
        message = result.price.model_copy(update={
            "sources": [*result.price.sources, _reading(item, flags[name], None, used=False)],
            "reasons": [*result.price.reasons, unusable]})
        return replace(result, price=message)
    rerun = _round(symbol, inputs, flags, config, now, jump, anchor, sequence)
    message = rerun.price.model_copy(update={
        "emergency_source": name,
        "reasons": [f"emergency source {name} consulted: {why}", *rerun.price.reasons]})
    return replace(rerun, price=message, checks=(*rerun.checks, EMERGENCY))


def _round(
    symbol: str,
    inputs: Sequence[SourceInput],
    flags: dict[str, list[SourceFlag]],
    config: ConsensusConfig,
    now: datetime,
    jump: JumpState,
    anchor: AnchorState,
    sequence: int,
) -> Round:
    valid = [i for i in inputs if not flags[i.source] and i.reading is not None]
    if not valid:
        readings = [_reading(i, flags[i.source], None, used=False) for i in inputs]
        reasons = ["no fresh source", *_reasons(inputs, readings)]
        return Round(_halted(symbol, readings, reasons, now, sequence), jump, anchor)

    prices = [i.reading.price for i in valid if i.reading is not None]
    confs = [i.reading.confidence for i in valid if i.reading is not None]
    median = weighted_median(prices, confidence_weights(prices, confs, config.confidence_weight))

    readings: list[SourceReading] = []
    agreeing: list[PriceObservation] = []
    deviations: list[Decimal] = []
    for item in inputs:
        reading, item_flags = item.reading, list(flags[item.source])
        deviation = None if reading is None else abs(reading.price - median) / median
        used = False
        if not item_flags and reading is not None and deviation is not None:
            deviations.append(deviation)
            if deviation > config.max_price_deviation:
                item_flags.append(SourceFlag.DEVIANT)
            else:
                used = True
                agreeing.append(reading)
        readings.append(_reading(item, item_flags, deviation, used=used))

    reasons = _reasons(inputs, readings)
    if not agreeing:
        return Round(_halted(symbol, readings, ["no agreeing source", *reasons], now, sequence),
                     jump, anchor)
    price = blend(median, [(r.price, r.confidence) for r in agreeing], config.confidence_weight)

    failed: list[tuple[str, str]] = []  # (check, reason), in the order they are reported
    if len(agreeing) < config.min_sources:
        failed.append((QUORUM, f"quorum lost: {len(agreeing)} of {config.min_sources} sources"))
    else:
        verdict = guard(jump, price, max(r.published_at for r in agreeing), config)
        jump = verdict.state
        if not verdict.ok:
            failed.append((JUMP, verdict.reason or "unconfirmed jump"))
    if len(valid) == 2:
        apart = two_sources_apart(prices[0], prices[1])
        if apart > config.max_price_deviation:
            failed.append((TWO_SOURCES, (
                f"two sources disagree: {valid[0].source} and {valid[1].source} are "
                f"{apart * 100:.2f}% apart (max {config.max_price_deviation * 100:.2f}%)")))
    ref = reference(anchor, _anchor_price(inputs, flags, config), config.anchor)
    held = check(anchor, price, now, ref, config.anchor)
    anchor = held.state
    if not held.ok:
        failed.append((CORRELATED, held.reason or "correlated move"))

    status = ConsensusStatus.DEGRADED if failed else ConsensusStatus.OK
    if not failed:
        anchor = averaged(anchor, price, now, config.anchor)
    confidence = max(max(r.confidence or Decimal(0), abs(r.price - price)) for r in agreeing)
    message = ConsensusPrice(
        symbol=symbol,
        price=price,
        confidence=confidence,
        status=status,
        sources=readings,
        sources_used=len(agreeing),
        max_deviation=max(deviations),
        reasons=[reason for _, reason in failed] + reasons,
        computed_at=now,
        sequence=sequence,
    )
    return Round(message, jump, anchor, tuple(c for c, _ in failed))


def two_sources_apart(a: Decimal, b: Decimal) -> Decimal:
    """How far two sources are from each other, relative to their midpoint. With two sources
    each one's deviation from the midpoint is half of this, so a per-source check alone would
    pass two feeds 2 × max_price_deviation apart."""
    return abs(a - b) * 2 / (a + b)


def _anchor_price(
    inputs: Sequence[SourceInput], flags: dict[str, list[SourceFlag]], config: ConsensusConfig
) -> Decimal | None:
    """The anchor's price when it is configured, fresh and sane (else it bounds nothing)."""
    name = config.anchor.source
    for item in inputs:
        if item.source == name and not flags[item.source] and item.reading is not None:
            return item.reading.price
    return None


def _reading(
    item: SourceInput, flags: list[SourceFlag], deviation: Decimal | None, *, used: bool
) -> SourceReading:
    r = item.reading
    return SourceReading(
        source=item.source,
        price=None if r is None else r.price,
        confidence=None if r is None else r.confidence,
        published_at=None if r is None else r.published_at,
        used=used,
        deviation=deviation,
        flags=flags,
    )


def _reasons(inputs: Sequence[SourceInput], readings: Sequence[SourceReading]) -> list[str]:
    down = {i.source: i.down for i in inputs if i.down}
    out: list[str] = []
    for r in readings:
        if r.flags:
            detail = f" ({down[r.source]})" if r.source in down else ""
            out.append(f"{r.source}: {', '.join(f.value for f in r.flags)}{detail}")
    return out


def _halted(
    symbol: str, readings: list[SourceReading], reasons: list[str], now: datetime, sequence: int
) -> ConsensusPrice:
    return ConsensusPrice(
        symbol=symbol,
        status=ConsensusStatus.HALTED,
        sources=readings,
        sources_used=0,
        reasons=reasons,
        computed_at=now,
        sequence=sequence,
    )


def same_outcome(a: ConsensusPrice | None, b: ConsensusPrice,
                 min_change: Decimal = Decimal(0)) -> bool:
    """Whether `b` says nothing new over `a`, the last published (publish on change, else on the
    heartbeat): the same status, sources and flags, and a price that moved less than
    `min_change` (relative) from `a`'s; with `min_change` 0, any move is new."""
    if a is None:
        return False
    if a.price != b.price and (
        a.price is None or b.price is None or a.price == 0
        or abs(b.price - a.price) >= min_change * abs(a.price) or min_change == 0
    ):
        return False
    return (
        a.status == b.status
        and a.sources_used == b.sources_used
        and [(s.source, s.used, s.flags) for s in a.sources]
        == [(s.source, s.used, s.flags) for s in b.sources]
    )
