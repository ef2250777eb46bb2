"""Messages the tests build again and again: one builder each."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from ballast.common.messages import ConsensusPrice, ConsensusStatus, ValidatorStatus, utcnow


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


def validator_status(
    operator: str,
    *,
    jailed: bool = False,
    missed: int = 0,
    threshold: int = 50,
    observed_at: datetime | None = None,
    **fields: Any,
) -> ValidatorStatus:
    """A registered validator of ours (10^21 delegated), elected unless `jailed`, with `missed`
    blocks against a misdemeanour `threshold` (felony at 150); `fields` override the rest."""
    values: dict[str, Any] = {
        "operator_address": operator,
        "consensus_address": None,
        "round": 20000,
        "status_bits": 4 if jailed else 17,
        "is_candidate": True,
        "is_inactive": False,
        "is_jailed": jailed,
        "is_margin_low": False,
        "is_validator": not jailed,
        "commission_thousandths": 100,
        "total_delegated_raw": 10**24,
        "our_delegation_raw": 10**21,
        "missed_blocks": missed,
        "misdemeanor_threshold": threshold,
        "felony_threshold": 150,
        "observed_at": observed_at or utcnow(),
    }
    return ValidatorStatus(**(values | fields))
