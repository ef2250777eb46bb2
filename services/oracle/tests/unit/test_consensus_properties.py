"""Property tests: a minority of arbitrary sources cannot move the consensus out of the honest
range, and statuses always follow the quorum rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballast.common.messages import ConsensusStatus, PriceObservation, SourceFlag
from ballast.oracle.domain.consensus import SourceInput, compute, two_sources_apart
from ballast.oracle.domain.jump_guard import JumpState
from ballast.oracle.domain.median import cap_weights, confidence_weights, weighted_median
from ballast.oracle.domain.policy import ConsensusConfig, SourcePolicy

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
OPEN = SourcePolicy(max_age=timedelta(seconds=60), max_conf_ratio=None)

prices = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal("1000000000"), places=6)
honest_prices = st.decimals(min_value=Decimal("0.5"), max_value=Decimal("2000"), places=4)
confidences = st.one_of(
    st.none(), st.decimals(min_value=Decimal(0), max_value=Decimal("1000"), places=6)
)


def reading(i: int, price: Decimal, conf: Decimal | None, age: int = 1) -> SourceInput:
    observation = PriceObservation(
        source=f"s{i}", symbol="PSTR", price=price, confidence=conf,
        published_at=NOW - timedelta(seconds=age), observed_at=NOW,
    )
    return SourceInput(f"s{i}", OPEN, observation)


@st.composite
def byzantine_sets(draw: st.DrawFn) -> tuple[list[SourceInput], Decimal, Decimal]:
    n = draw(st.integers(min_value=1, max_value=9))
    f = draw(st.integers(min_value=0, max_value=(n - 1) // 2))
    honest = draw(st.lists(honest_prices, min_size=n - f, max_size=n - f))
    liars = draw(st.lists(prices, min_size=f, max_size=f))
    confs = draw(st.lists(confidences, min_size=n, max_size=n))
    order = draw(st.permutations(list(range(n))))
    values = honest + liars
    items = [reading(i, values[j], confs[i]) for i, j in enumerate(order)]
    return items, min(honest), max(honest)


@settings(max_examples=300, deadline=None)
@given(byzantine_sets(), st.decimals(min_value=0, max_value=1, places=2))
def test_compute__minority_arbitrary__moves_price_at_most_weight_times_deviation(
    case: tuple[list[SourceInput], Decimal, Decimal], weight: Decimal
) -> None:
    """The median stays in the honest range; the confidence blend moves the price at most
    confidence_weight × max_price_deviation from it, whatever the liars claim."""
    items, low, high = case
    config = ConsensusConfig(min_sources=1, confidence_weight=weight)
    price = compute("PSTR", items, config, NOW, JumpState()).price
    bound = weight * config.max_price_deviation
    slack = Decimal("1e-15")  # the blend keeps 18 significant digits
    if price.price is not None:
        assert low * (1 - bound) * (1 - slack) <= price.price <= high * (1 + bound) * (1 + slack)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(honest_prices, st.booleans(), st.booleans()), min_size=0, max_size=7),
    st.integers(min_value=1, max_value=4),
)
def test_compute__any_readings__status_follows_quorum(
    rows: list[tuple[Decimal, bool, bool]], min_sources: int
) -> None:
    items: list[SourceInput] = []
    for i, (value, stale, down) in enumerate(rows):
        item = reading(i, value, None, age=600 if stale else 1)
        items.append(SourceInput(item.source, item.policy, item.reading,
                                 down="timeout" if down else None))
    config = ConsensusConfig(min_sources=min_sources, jump_threshold=Decimal(1000))
    price = compute("PSTR", items, config, NOW, JumpState()).price
    used = [s for s in price.sources if s.used]
    assert price.sources_used == len(used)
    for s in used:
        assert not s.flags and s.deviation is not None
        assert s.deviation <= config.max_price_deviation
    fresh_up = sum(1 for _, stale, down in rows if not stale and not down)
    assert len(used) <= fresh_up
    if not used:
        assert price.status is ConsensusStatus.HALTED and price.price is None
    elif len(used) < min_sources:
        assert price.status is ConsensusStatus.DEGRADED
    elif fresh_up == 2 and two_sources_apart(*[s.price for s in used if s.price is not None]
                                             ) > config.max_price_deviation:
        assert price.status is ConsensusStatus.DEGRADED
        assert price.reasons[0].startswith("two sources disagree")
    else:
        assert price.status is ConsensusStatus.OK
    for s in price.sources:
        if s.deviation is not None and s.deviation > config.max_price_deviation and not s.flags:
            pytest.fail("a deviant source must be flagged")
        if s.flags and s.flags != [SourceFlag.DEVIANT]:
            assert not s.used


@given(st.lists(st.decimals(min_value=Decimal("0.001"), max_value=10, places=3), min_size=1,
                max_size=9), st.integers(min_value=0, max_value=4))
def test_cap_weights__any_weights__sum_one_and_f_largest_below_half(
    raw: list[Decimal], f: int
) -> None:
    f = min(f, (len(raw) - 1) // 2)
    weights = cap_weights(raw, f)
    assert abs(sum(weights) - 1) < Decimal("1e-20")
    if f:
        assert sum(sorted(weights)[-f:]) < Decimal("0.5")


def test_weighted_median__equal_weights__is_the_ordinary_median() -> None:
    values = [Decimal(v) for v in ("4", "1", "3", "2")]
    weights = confidence_weights(values, [None] * 4, Decimal("0.3"))
    assert weighted_median(values, weights) == Decimal("2.5")


@given(st.lists(st.tuples(honest_prices, confidences), min_size=1, max_size=9),
       st.decimals(min_value=0, max_value=1, places=2))
def test_confidence_weights__odd_count__equal_as_the_cap_makes_them(
    rows: list[tuple[Decimal, Decimal | None]], weight: Decimal
) -> None:
    """The shortcut for odd n equals what the cap gives (cap_weights at f = (n - 1) / 2)."""
    if len(rows) % 2 == 0:
        rows = rows[:-1]
    prices = [p for p, _ in rows]
    n = len(prices)
    relative = [Decimal(1) if c is None else c / p + Decimal("1e-12") for p, c in rows]
    raw = [(1 - weight) / n + weight / r / sum(1 / x for x in relative) for r in relative]
    capped = cap_weights(raw, (n - 1) // 2)
    shortcut = confidence_weights(prices, [c for _, c in rows], weight)
    assert all(abs(a - b) < Decimal("1e-20") for a, b in zip(capped, shortcut, strict=True))
