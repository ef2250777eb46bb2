"""Messages the tests build again and again: one builder each."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ballast.common.messages import ConsensusPrice, ConsensusStatus, utcnow


def consensus(
    symbol: str = "PSTR",
    price: str = "1",
    *,
    sequence: int = 0,
    sources_used: int = 3,
    computed_at: datetime | None = None,
) -> ConsensusPrice:
    """An OK consensus of `sources_used` sources (none listed), computed now unless given."""
    return ConsensusPrice(
        symbol=symbol,
        price=Decimal(price),
        status=ConsensusStatus.OK,
        sources=[],
        sources_used=sources_used,
        computed_at=computed_at or utcnow(),
        sequence=sequence,
    )
