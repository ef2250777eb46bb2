"""Correlated-move defence: a consensus far from a slow reference is not OK until confirmed.

Why: REFERENCE.md "Incidents" — Mango 2022: thin venues pumped together over minutes, every
market source followed, and so did the median. A median of correlated sources protects nothing,
so the consensus is bounded by a slower reference: the anchor source (a Chainlink-style
aggregator) while it is fresh, else, if configured, a slow exponential average of the accepted
consensus. A consensus further than `max_move` from the reference is DEGRADED (reason
"correlated move ...") until

- the anchor confirms it (comes back within `max_move`: a real crash the anchor follows),
- an operator confirms the price (`control.approve`, see the engine), or
- the consensus stays within `max_move` of one level for `hold` (a move still going on
  restarts the clock: a pump is never "held").

A confirmed level stays accepted (a consensus within `max_move` of it is OK) until the
reference agrees again. A stale anchor bounds nothing (LUNA 2022: a feed stuck while the market
fell must not hold a real crash back).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from ballast.oracle.domain.jump_guard import relative_move
from ballast.oracle.domain.policy import AnchorConfig

CHECK = "correlated_move"


@dataclass(frozen=True)
class Reference:
    price: Decimal
    label: str  # "anchor chainlink" or "slow average"


@dataclass(frozen=True)
class AnchorState:
    """What the defence remembers per symbol between rounds."""

    average: Decimal | None = None
    average_at: datetime | None = None
    moved_since: datetime | None = None
    moved_level: Decimal | None = None
    accepted: Decimal | None = None  # a level confirmed by hold or operator


@dataclass(frozen=True)
class AnchorVerdict:
    ok: bool
    state: AnchorState
    reason: str | None = None


def reference(
    state: AnchorState, anchor_price: Decimal | None, config: AnchorConfig
) -> Reference | None:
    """The fresh anchor's price, else the slow average when configured, else nothing."""
    if anchor_price is not None and config.source is not None:
        return Reference(anchor_price, f"anchor {config.source}")
    if config.slow_average is not None and state.average is not None:
        return Reference(state.average, "slow average")
    return None


def check(
    state: AnchorState, price: Decimal, now: datetime, ref: Reference | None,
    config: AnchorConfig,
) -> AnchorVerdict:
    """Judge a consensus `price` against the reference (see the module docstring)."""
    if ref is None:
        return _OK if state is CLEAR else AnchorVerdict(True, _calm(state, keep_accepted=True))
    moved = relative_move(price, ref.price)
    if moved <= config.max_move:
        return _OK if state is CLEAR else AnchorVerdict(True, _calm(state, keep_accepted=False))
    if state.accepted is not None and relative_move(price, state.accepted) <= config.max_move:
        return AnchorVerdict(True, state)
    since, level = state.moved_since, state.moved_level
    if since is None or level is None or relative_move(price, level) > config.max_move:
        since, level = now, price
    elif now - since >= config.hold:
        return AnchorVerdict(True, replace(state, moved_since=None, moved_level=None,
                                           accepted=price))
    reason = (f"correlated move: consensus {price:.8g} is {moved * 100:.2f}% from the "
              f"{ref.label} {ref.price:.8g} (max {config.max_move * 100:.2f}%), unconfirmed")
    return AnchorVerdict(False, replace(state, moved_since=since, moved_level=level), reason)


CLEAR = AnchorState()  # nothing pending, nothing averaged, nothing accepted
_OK = AnchorVerdict(True, CLEAR)


def _calm(state: AnchorState, *, keep_accepted: bool) -> AnchorState:
    """No move pending (and no accepted level once the reference agrees again)."""
    accepted = state.accepted if keep_accepted else None
    if state.moved_since is None and state.moved_level is None and state.accepted == accepted:
        return state
    return replace(state, moved_since=None, moved_level=None, accepted=accepted)


def confirm(state: AnchorState, price: Decimal) -> AnchorState:
    """An operator confirmed `price`: accept that level."""
    return replace(state, accepted=price, moved_since=None, moved_level=None)


def averaged(
    state: AnchorState, price: Decimal, now: datetime, config: AnchorConfig
) -> AnchorState:
    """Fold an OK consensus into the slow average (time-weighted EMA); no-op when off."""
    if config.slow_average is None:
        return state
    if state.average is None or state.average_at is None:
        return replace(state, average=price, average_at=now)
    elapsed = now - state.average_at
    if elapsed <= timedelta(0):
        return state
    alpha = 1 - (-_seconds(elapsed) / _seconds(config.slow_average)).exp()
    return replace(state, average=state.average + alpha * (price - state.average),
                   average_at=now)


def _seconds(span: timedelta) -> Decimal:
    return Decimal(span.days * 86_400 + span.seconds) + Decimal(span.microseconds).scaleb(-6)
