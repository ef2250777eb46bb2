"""Confidence-weighted median that a minority of arbitrary sources cannot move.

Why: the PSTR seed asks for a "median price calculation" with "confidence-weighted price
selection" (oracle_config.confidence_weight = 0.3). A plain confidence weighting lets one liar
who claims a tiny confidence interval outweigh everyone, which is exactly the manipulation the
median exists to stop (REFERENCE.md "Incidents": bZx, Mango). So each source's weight is

    w_i = (1 - cw) / n  +  cw × q_i / Σq,     q_i = price_i / conf_i (precision)

and then capped at 1 / (2f + 1) with f = floor((n - 1) / 2) (the excess is spread over the
others). Any f sources then weigh less than one half, so the weighted median stays inside the
range of the honest sources whenever at most f are arbitrary. With n = 2f + 1 the cap makes all
weights equal: the plain median.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Context, Decimal

_ONE = Decimal(1)
_TWO = Decimal(2)
_FLOOR = Decimal("1e-12")  # relative confidence of an exact (conf = 0) source
_MAX_PRECISION = 1 / _FLOOR
_SIGNIFICANT = Context(prec=18)  # a blended price keeps 18 significant digits


def confidence_weights(
    prices: Sequence[Decimal], confidences: Sequence[Decimal | None], confidence_weight: Decimal
) -> list[Decimal]:
    """Weights summing to 1 (see the module docstring). Sources without a confidence interval
    (Chainlink, a DEX TWAP) get the median precision of those that have one."""
    n = len(prices)
    if n == 0:
        return []
    if n % 2 == 1:  # n = 2f + 1: the cap 1/(2f + 1) = 1/n makes every weight equal anyway
        return [_ONE / n] * n
    relative: list[Decimal | None] = [
        None if c is None else max(c / p, _FLOOR) for p, c in zip(prices, confidences, strict=True)
    ]
    known = sorted(r for r in relative if r is not None)
    if confidence_weight == 0 or not known:
        return [_ONE / n] * n
    fill = known[len(known) // 2]
    precision = [_ONE / (fill if r is None else r) for r in relative]
    total = sum(precision, Decimal(0))
    raw = [(_ONE - confidence_weight) / n + confidence_weight * q / total for q in precision]
    return cap_weights(raw, byzantine_tolerance(n))


def byzantine_tolerance(n: int) -> int:
    """How many arbitrary sources a median over `n` tolerates: floor((n - 1) / 2)."""
    return max((n - 1) // 2, 0)


def cap_weights(weights: Sequence[Decimal], f: int) -> list[Decimal]:
    """Normalise, then cap each weight at 1/(2f+1), spreading the excess over the rest."""
    total = sum(weights, Decimal(0))
    result = [w / total for w in weights]
    if f == 0:
        return result
    cap = _ONE / (2 * f + 1)
    capped: set[int] = set()
    while True:
        over = [i for i, w in enumerate(result) if i not in capped and w > cap]
        if not over:
            return result
        capped.update(over)
        free = [i for i in range(len(result)) if i not in capped]
        remaining = _ONE - cap * len(capped)
        free_total = sum((result[i] for i in free), Decimal(0))
        for i in capped:
            result[i] = cap
        for i in free:
            result[i] = (
                remaining * result[i] / free_total if free_total > 0 else remaining / len(free)
            )


def weighted_median(values: Sequence[Decimal], weights: Sequence[Decimal]) -> Decimal:
    """Midpoint of the lower and upper weighted medians (the usual median for equal weights).

    Both lie inside the honest range when the honest weight exceeds one half, so their midpoint
    does too.
    """
    if not values:
        raise ValueError("median of nothing")
    pairs = sorted(zip(values, weights, strict=True), key=lambda vw: vw[0])
    total = sum((w for _, w in pairs), Decimal(0))
    return (_crossing(pairs, total) + _crossing(list(reversed(pairs)), total)) / _TWO


def _crossing(pairs: Sequence[tuple[Decimal, Decimal]], total: Decimal) -> Decimal:
    cumulative = Decimal(0)
    for value, weight in pairs:
        cumulative += weight
        if cumulative * _TWO >= total:
            return value
    return pairs[-1][0]


def blend(
    median: Decimal,
    agreeing: Sequence[tuple[Decimal, Decimal | None]],
    confidence_weight: Decimal,
) -> Decimal:
    """`median + cw × (m − median)`, m the precision-weighted mean of the agreeing sources.

    Why: with the seed's three sources the cap above makes every weight equal, so
    `confidence_weight` would change nothing. Blending gives it its meaning — precise sources
    pull the price towards them — and keeps the manipulation bound: every agreeing source lies
    within max_price_deviation of the median, so m does too, and the blend moves the price at
    most cw × max_price_deviation from a median a minority cannot move out of the honest range.
    `agreeing` is (price, confidence) of the sources within max_price_deviation of the median.
    """
    if confidence_weight == 0 or not agreeing:
        return median
    # precision q = price / conf = 1 / relative confidence, capped like confidence_weights
    precision = [None if c is None else _MAX_PRECISION if c == 0 else min(p / c, _MAX_PRECISION)
                 for p, c in agreeing]
    fill = _ONE
    if None in precision:
        known = sorted(q for q in precision if q is not None)
        if not known:
            return median
        fill = known[(len(known) - 1) // 2]
    weighted = total = Decimal(0)
    for (price, _), q in zip(agreeing, precision, strict=True):
        if q is None:
            q = fill
        weighted += q * price
        total += q
    return _SIGNIFICANT.plus(median + confidence_weight * (weighted / total - median))
