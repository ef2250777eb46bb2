"""One consensus round for one symbol: filter readings, weighted median, deviation, quorum.

Follows the PSTR seed, "Oracle Aggregation System": multi-source validation, median with
deviation monitoring (> max_price_deviation = 5% is flagged), confidence-weighted selection
(confidence_weight = 0.3). REFERENCE.md adds: staleness and bounds per feed (LUNA 2022), pause
on wide confidence (Pyth), never act on a price in the block it appeared (bZx 2020).

Order of the rules:
1. A source that is down, or whose reading is stale, out of bounds, too uncertain or too young
   (same block) does not enter the median (flags say why).
2. The confidence-weighted median of the rest (ballast.oracle.domain.median) is the price.
3. Each source's deviation from it; one deviating more than max_price_deviation is DEVIANT and
   does not count towards the quorum. (It did enter the median: the median is what makes it
   harmless; taking it out and re-running would let a minority pick which honest sources remain.)
4. Quorum: no fresh agreeing source -> HALTED (no price); fewer than min_sources -> DEGRADED;
   else OK unless the jump guard holds it back (DEGRADED until confirmed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from ballast.common.messages import (
    ConsensusPrice,
    ConsensusStatus,
    PriceObservation,
    SourceFlag,
    SourceReading,
)
from ballast.oracle.domain.jump_guard import JumpState, guard
from ballast.oracle.domain.median import confidence_weights, weighted_median
from ballast.oracle.domain.policy import ConsensusConfig, SourcePolicy


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
    """A consensus round's result: the message to publish and the guard's next state."""

    price: ConsensusPrice
    jump: JumpState


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
    head_block: int | None = None,
    sequence: int = 0,
) -> Round:
    """A full round (see the module docstring). Pure: same inputs, same output."""
    flags = {item.source: reading_flags(item, now, head_block) for item in inputs}
    valid = [i for i in inputs if not flags[i.source] and i.reading is not None]
    if not valid:
        readings = [_reading(i, flags[i.source], None, used=False) for i in inputs]
        reasons = ["no fresh source", *_reasons(inputs, readings)]
        return Round(_halted(symbol, readings, reasons, now, sequence), jump)

    prices = [i.reading.price for i in valid if i.reading is not None]
    confs = [i.reading.confidence for i in valid if i.reading is not None]
    price = weighted_median(prices, confidence_weights(prices, confs, config.confidence_weight))

    readings: list[SourceReading] = []
    agreeing: list[PriceObservation] = []
    deviations: list[Decimal] = []
    for item in inputs:
        reading, item_flags = item.reading, list(flags[item.source])
        deviation = None if reading is None else abs(reading.price - price) / price
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
                     jump)

    status = ConsensusStatus.OK
    if len(agreeing) < config.min_sources:
        status = ConsensusStatus.DEGRADED
        reasons.insert(0, f"quorum lost: {len(agreeing)} of {config.min_sources} sources")
    else:
        verdict = guard(jump, price, max(r.published_at for r in agreeing), config)
        jump = verdict.state
        if not verdict.ok:
            status = ConsensusStatus.DEGRADED
            reasons.insert(0, verdict.reason or "unconfirmed jump")

    confidence = max(max(r.confidence or Decimal(0), abs(r.price - price)) for r in agreeing)
    message = ConsensusPrice(
        symbol=symbol,
        price=price,
        confidence=confidence,
        status=status,
        sources=readings,
        sources_used=len(agreeing),
        max_deviation=max(deviations),
        reasons=reasons,
        computed_at=now,
        sequence=sequence,
    )
    return Round(message, jump)


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


def same_outcome(a: ConsensusPrice | None, b: ConsensusPrice) -> bool:
    """Whether `b` says nothing new over `a` (publish on change, else on the heartbeat)."""
    if a is None:
        return False
    return (
        a.price == b.price
        and a.status == b.status
        and a.sources_used == b.sources_used
        and [(s.source, s.used, s.flags) for s in a.sources]
        == [(s.source, s.used, s.flags) for s in b.sources]
    )
