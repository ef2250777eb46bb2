"""Per-source and per-symbol rules of the consensus.

Numbers come from the PSTR seed's `oracle_config` (max_price_deviation 0.05, confidence_weight
0.3) and from REFERENCE.md's incident list: staleness and bounds are per feed (LUNA 2022), never
trust one block (bZx 2020).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal


@dataclass(frozen=True)
class SourcePolicy:
    """When a reading of one source for one symbol may enter the median.

    - `max_age`: older than this (by the source's own publish time) is STALE. Chainlink feeds use
      their own heartbeat plus a margin (REFERENCE.md "Chainlink").
    - `min_price` / `max_price`: sane bounds set by us, not by the feed.
    - `max_conf_ratio`: confidence / price above this is UNCERTAIN (REFERENCE.md "Pyth":
      pause when conf/price is too wide).
    - `min_confirmations`: blocks that must follow the reading's block before it is used
      ("never act on a price update in the same block it appears"); 1 for DEX sources.
    """

    max_age: timedelta = timedelta(seconds=60)
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    max_conf_ratio: Decimal | None = Decimal("0.02")
    min_confirmations: int = 0


@dataclass(frozen=True)
class AnchorConfig:
    """The correlated-move defence (REFERENCE.md "Incidents": Mango 2022 — a median of thin
    venues pumped together follows them; bound it by a slower, independent reference).

    - `source`: the anchor, a slower independent source (a Chainlink-style aggregator), used as
      the reference while its reading is fresh. A stale anchor bounds nothing (LUNA 2022).
    - `slow_average`: time constant of an exponential average of the accepted consensus, the
      reference when the anchor is not fresh (None: off — a real crash behind a dead anchor
      must not be held back by our own past).
    - `max_move`: a consensus further than this from the reference is DEGRADED ...
    - `hold`: ... until the anchor comes back within `max_move`, an operator confirms the
      price, or the consensus stays within `max_move` of one level for this long.

    Defaults stop a slow 10x pump of every market venue over minutes (the anchor does not
    follow) and let a fast crash through once the anchor confirms it.
    """

    source: str | None = None
    max_move: Decimal = Decimal("0.10")
    hold: timedelta = timedelta(hours=1)
    slow_average: timedelta | None = None

    def __post_init__(self) -> None:
        if self.max_move <= 0:
            raise ValueError("anchor max_move must be positive")
        if self.hold <= timedelta(0):
            raise ValueError("anchor hold must be positive")
        if self.slow_average is not None and self.slow_average <= timedelta(0):
            raise ValueError("slow_average must be positive")


@dataclass(frozen=True)
class ConsensusConfig:
    """Per-symbol consensus rules (PSTR seed, oracle_config)."""

    min_sources: int = 2
    max_price_deviation: Decimal = Decimal("0.05")
    confidence_weight: Decimal = Decimal("0.3")
    jump_threshold: Decimal = Decimal("0.10")
    jump_confirm_tolerance: Decimal = Decimal("0.02")
    jump_confirm_after: timedelta = timedelta(seconds=1)
    anchor: AnchorConfig = field(default_factory=lambda: AnchorConfig())
    emergency_source: str | None = None
    """A source consulted only when the quorum fails (seed: "Fallback Mechanisms")."""

    def __post_init__(self) -> None:
        if self.min_sources < 1:
            raise ValueError("min_sources must be at least 1")
        if not Decimal(0) <= self.confidence_weight <= Decimal(1):
            raise ValueError("confidence_weight must be within [0, 1]")
        if self.max_price_deviation <= 0 or self.jump_threshold <= 0:
            raise ValueError("deviation and jump thresholds must be positive")
